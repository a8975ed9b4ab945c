/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdio.h>

#include "reconcile/compose/compose-internal.h"
#include "lib/strv.h"

/* The reference check, on the canonical tree after normalization: every service, network, volume,
 * secret and config a service names must exist, and depends_on must not loop. Messages are docker
 * compose's (compose-go checkConsistency and graph.CheckCycle), prefixed with the key path. The
 * short forms are understood too (depends_on and networks as lists, "name:/path" volumes, secrets
 * and configs as names), so the check holds whatever normalization left in place. */

/* A service another service refers to. */
typedef struct ServiceRef {
        const char *target;             /* the referenced service (points into the tree or @buf) */
        const ComposeNode *at;          /* node to report at */
        const char *key;                /* "depends_on", "links", ... */
        bool required;                  /* depends_on required: false may name a disabled service */
        char buf[256];
} ServiceRef;

typedef int (*ServiceRefFunc)(const char *service, const ServiceRef *ref, void *userdata);

static void ref_prefix(ServiceRef *ref, const char *s, const char *strip) {
        const char *colon;

        if (strip && startswith(s, strip))
                s += strlen(strip);
        colon = strchr(s, ':');
        snprintf(ref->buf, sizeof ref->buf, "%.*s", colon ? (int) (colon - s) : (int) strlen(s), s);
        ref->target = ref->buf;
}

static int for_each_depends_on(const char *name, const ComposeNode *deps, ServiceRefFunc f, void *userdata) {
        int r;

        COMPOSE_MAP_FOREACH(i, deps) {
                ServiceRef ref = {
                        .target = deps->keys[i]->scalar, .at = deps->keys[i], .key = "depends_on",
                        .required = compose_map_get_bool(deps->items[i], "required", true),
                };
                r = f(name, &ref, userdata);
                if (r != 0)
                        return r;
        }
        COMPOSE_SEQ_FOREACH(i, deps) {
                ServiceRef ref = { .at = deps->items[i], .key = "depends_on", .required = true };

                ref.target = compose_node_str(deps->items[i]);
                if (!ref.target)
                        continue;
                r = f(name, &ref, userdata);
                if (r != 0)
                        return r;
        }
        return 0;
}

/* links ("svc[:alias]") and volumes_from ("svc[:ro]", "service:svc", but not "container:x"). */
static int for_each_prefixed(const char *name, const ComposeNode *list, const char *key, ServiceRefFunc f,
                             void *userdata) {
        COMPOSE_SEQ_FOREACH(i, list) {
                ServiceRef ref = { .at = list->items[i], .key = key, .required = true };
                const char *s = compose_node_str(list->items[i]);
                int r;

                if (!s || startswith(s, "container:"))
                        continue;
                ref_prefix(&ref, s, "service:");
                r = f(name, &ref, userdata);
                if (r != 0)
                        return r;
        }
        return 0;
}

/* Calls @f for every service @svc refers to; stops at the first non-zero return. Normalization
 * copies links, volumes_from and network_mode: service: into depends_on (as compose-go does),
 * keeping their marks: those are visited first, so errors name the key the user wrote. */
static int for_each_service_ref(const char *name, const ComposeNode *svc, ServiceRefFunc f, void *userdata) {
        const ComposeNode *mode = compose_map_get(svc, "network_mode");
        const char *m = compose_node_str(mode);
        int r;

        r = for_each_prefixed(name, compose_map_get(svc, "links"), "links", f, userdata);
        if (r != 0)
                return r;
        r = for_each_prefixed(name, compose_map_get(svc, "volumes_from"), "volumes_from", f, userdata);
        if (r != 0)
                return r;
        if (m && startswith(m, "service:")) {
                ServiceRef ref = { .at = mode, .key = "network_mode", .required = true };

                snprintf(ref.buf, sizeof ref.buf, "%s", m + strlen("service:"));
                ref.target = ref.buf;
                r = f(name, &ref, userdata);
                if (r != 0)
                        return r;
        }
        return for_each_depends_on(name, compose_map_get(svc, "depends_on"), f, userdata);
}

/* ---- undefined names ----------------------------------------------------------------------- */

typedef struct RefCheck {
        const ComposeNode *root, *services;
        NcError *reterr;
} RefCheck;

static int undefined_service(const char *name, const ServiceRef *ref, void *userdata) {
        RefCheck *c = userdata;
        char path[300];

        /* A dependency that is not required may name a service its profile disabled. */
        if (compose_map_get(c->services, ref->target) || !ref->required)
                return 0;
        snprintf(path, sizeof path, "services.%s.%s", name, ref->key);
        if (streq(ref->key, "network_mode"))
                return compose_node_error(ref->at, c->reterr, -ENOENT, path,
                                          "service \"%s\" not found for network_mode 'service:%s'",
                                          ref->target, ref->target);
        return compose_node_error(ref->at, c->reterr, -ENOENT, path,
                                  "service \"%s\" depends on undefined service \"%s\"", name, ref->target);
}

static bool defined(const RefCheck *c, const char *section, const char *name) {
        return compose_map_get(compose_map_get(c->root, section), name);
}

static int undefined_error(const RefCheck *c, const ComposeNode *at, const char *service, const char *key,
                           const char *what, const char *name) {
        char path[300];

        snprintf(path, sizeof path, "services.%s.%s", service, key);
        return compose_node_error(at, c->reterr, -ENOENT, path, "service \"%s\" refers to undefined %s %s",
                                  service, what, name);
}

static int check_networks(const RefCheck *c, const char *name, const ComposeNode *svc) {
        const ComposeNode *nets = compose_map_get(svc, "networks");

        /* "default" exists implicitly: compose creates it for services that name no network. */
        COMPOSE_MAP_FOREACH(i, nets) {
                const char *n = nets->keys[i]->scalar;

                if (!streq(n, "default") && !defined(c, "networks", n))
                        return undefined_error(c, nets->keys[i], name, "networks", "network", n);
        }
        COMPOSE_SEQ_FOREACH(i, nets) {
                const char *n = compose_node_str(nets->items[i]);

                if (n && !streq(n, "default") && !defined(c, "networks", n))
                        return undefined_error(c, nets->items[i], name, "networks", "network", n);
        }
        return 0;
}

/* The named volume a volumes entry mounts, or NULL (bind, tmpfs, anonymous). Short form:
 * "SOURCE:TARGET[:MODE]" where SOURCE is a name when it is not a path. */
static const char *volume_name(const ComposeNode *v, char *buf, size_t size) {
        const char *s = compose_node_str(v), *colon;

        if (v->type == COMPOSE_NODE_MAP) {
                if (!streq_ptr(compose_map_get_str(v, "type"), "volume"))
                        return NULL;
                s = compose_map_get_str(v, "source");
                return isempty(s) ? NULL : s;
        }
        if (!s || !(colon = strchr(s, ':')) || colon == s || strchr("/.~", s[0]))
                return NULL;
        snprintf(buf, size, "%.*s", (int) (colon - s), s);
        return buf;
}

static int check_volumes(const RefCheck *c, const char *name, const ComposeNode *svc) {
        const ComposeNode *vols = compose_map_get(svc, "volumes");
        char buf[256];

        COMPOSE_SEQ_FOREACH(i, vols) {
                const char *v = volume_name(vols->items[i], buf, sizeof buf);

                if (v && !defined(c, "volumes", v))
                        return undefined_error(c, vols->items[i], name, "volumes", "volume", v);
        }
        return 0;
}

/* secrets / configs entries: a name, or {source: name, ...}. */
static int check_file_refs(const RefCheck *c, const char *name, const ComposeNode *list, const char *key,
                           const char *section, const char *what) {
        COMPOSE_SEQ_FOREACH(i, list) {
                const ComposeNode *e = list->items[i];
                const char *s = e->type == COMPOSE_NODE_MAP ? compose_map_get_str(e, "source") : compose_node_str(e);

                if (s && !defined(c, section, s))
                        return undefined_error(c, e, name, key, what, s);
        }
        return 0;
}

static int check_image_or_build(const RefCheck *c, const ComposeNode *key, const ComposeNode *svc) {
        if (!isempty(compose_map_get_str(svc, "image")) || compose_map_get(svc, "build") ||
            compose_map_get(svc, "provider"))
                return 0;
        return compose_node_error(key, c->reterr, -EINVAL, NULL,
                                  "service \"%s\" has neither an image nor a build context specified", key->scalar);
}

static int check_service(RefCheck *c, const ComposeNode *key, const ComposeNode *svc) {
        const char *name = key->scalar;
        int r;

        r = for_each_service_ref(name, svc, undefined_service, c);
        if (r != 0)
                return r;
        r = check_networks(c, name, svc);
        if (r != 0)
                return r;
        r = check_volumes(c, name, svc);
        if (r != 0)
                return r;
        r = check_file_refs(c, name, compose_map_get(svc, "secrets"), "secrets", "secrets", "secret");
        if (r != 0)
                return r;
        r = check_file_refs(c, name, compose_map_get(svc, "configs"), "configs", "configs", "config");
        if (r != 0)
                return r;
        r = check_file_refs(c, name, compose_map_get(compose_map_get(svc, "build"), "secrets"),
                            "build.secrets", "secrets", "build secret");
        if (r != 0)
                return r;
        return check_image_or_build(c, key, svc);
}

/* ---- dependency cycles --------------------------------------------------------------------- */

/* As compose-go's graph.CheckCycle, so the same cycle is reported: services in name order, each
 * searched depth-first through its dependencies in name order; the first service met twice on
 * the current path closes the cycle. Services fully searched without finding one are not searched
 * again (they cannot lead to a cycle), which keeps this linear. */

typedef struct Vertex {
        const char *name;
        const ComposeNode *service;
        char **deps;                    /* sorted, unique */
        bool done, on_path;
} Vertex;

typedef struct Graph {
        Vertex *v;
        size_t n;
        const char **path;
        size_t n_path;
        NcError *reterr;
} Graph;

static int vertex_cmp(const void *a, const void *b) {
        return strcmp(((const Vertex*) a)->name, ((const Vertex*) b)->name);
}

static Vertex *graph_find(Graph *g, const char *name) {
        Vertex key = { .name = name };

        return bsearch(&key, g->v, g->n, sizeof *g->v, vertex_cmp);
}

static int add_edge(const char *name, const ServiceRef *ref, void *userdata) {
        char ***deps = userdata;

        (void) name;
        if (strv_contains(*deps, ref->target))
                return 0;
        return strv_extend(deps, ref->target);
}

static void graph_done(Graph *g) {
        for (size_t i = 0; i < g->n; i++)
                strv_free(g->v[i].deps);
        free(g->v);
        free(g->path);
}

static int graph_build(Graph *g, const ComposeNode *services) {
        g->v = calloc(MAX(services->n_items, (size_t) 1), sizeof *g->v);
        g->path = calloc(MAX(services->n_items, (size_t) 1) + 1, sizeof *g->path);
        if (!g->v || !g->path)
                return -ENOMEM;
        COMPOSE_MAP_FOREACH(i, services) {
                Vertex *v = &g->v[g->n++];
                int r;

                v->name = services->keys[i]->scalar;
                v->service = services->items[i];
                r = for_each_service_ref(v->name, v->service, add_edge, &v->deps);
                if (r < 0)
                        return r;
                if (v->deps)
                        strv_sort(v->deps);
        }
        qsort(g->v, g->n, sizeof *g->v, vertex_cmp);
        return 0;
}

/* Finds where a service names @target (the depends_on entry, link, ...), for the error position. */
typedef struct RefFind {
        const char *target;
        const ComposeNode *at;
        const char *key;
} RefFind;

static int find_ref(const char *name, const ServiceRef *ref, void *userdata) {
        RefFind *f = userdata;

        (void) name;
        if (!streq(ref->target, f->target))
                return 0;
        f->at = ref->at;
        f->key = ref->key;
        return 1;
}

static int cycle_error(Graph *g, size_t from, const Vertex *last, const char *closing) {
        RefFind f = { .target = closing, .at = last->service, .key = "depends_on" };
        StrBuf b = {};
        _cleanup_free_ char *cycle = NULL;
        char path[300];

        (void) for_each_service_ref(last->name, last->service, find_ref, &f);
        for (size_t i = from; i < g->n_path; i++)
                strbuf_printf(&b, "%s -> ", g->path[i]);
        strbuf_append(&b, closing);
        cycle = strbuf_steal(&b);
        if (!cycle)
                return -ENOMEM;
        snprintf(path, sizeof path, "services.%s.%s", last->name, f.key);
        return compose_node_error(f.at, g->reterr, -ELOOP, path, "dependency cycle detected: %s", cycle);
}

static int search_cycle(Graph *g, Vertex *v) {
        int r;

        g->path[g->n_path++] = v->name;
        v->on_path = true;
        STRV_FOREACH(d, v->deps) {
                Vertex *child = graph_find(g, *d);

                if (!child || child->done)
                        continue;
                if (child->on_path) {
                        size_t from = 0;

                        while (!streq(g->path[from], child->name))
                                from++;
                        return cycle_error(g, from, v, child->name);
                }
                r = search_cycle(g, child);
                if (r < 0)
                        return r;
        }
        v->on_path = false;
        v->done = true;
        g->n_path--;
        return 0;
}

static int check_cycles(const ComposeNode *services, NcError *reterr) {
        _cleanup_(graph_done) Graph g = { .reterr = reterr };
        int r;

        r = graph_build(&g, services);
        if (r < 0)
                return r;
        for (size_t i = 0; i < g.n; i++) {
                if (g.v[i].done)
                        continue;
                r = search_cycle(&g, &g.v[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int compose_validate_references(const ComposeNode *root, NcError *reterr) {
        RefCheck c = { .root = root, .services = compose_map_get(root, "services"), .reterr = reterr };
        int r;

        COMPOSE_MAP_FOREACH(i, c.services) {
                r = check_service(&c, c.services->keys[i], c.services->items[i]);
                if (r < 0)
                        return r;
        }
        return c.services && c.services->type == COMPOSE_NODE_MAP ? check_cycles(c.services, reterr) : 0;
}

/* ---- resources no service uses --------------------------------------------------------------- */

static int use_sources(char ***used, const ComposeNode *refs, const char *type) {
        COMPOSE_SEQ_FOREACH(i, refs) {
                const ComposeNode *r = refs->items[i];
                const char *source = compose_map_get_str(r, "source");

                if (type && !streq_ptr(compose_map_get_str(r, "type"), type))
                        continue;
                if (!isempty(source) && !strv_contains(*used, source) && strv_extend(used, source) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static void keep_only(ComposeNode *root, const char *section, char * const *used) {
        ComposeNode *map = compose_map_get(root, section);

        for (size_t i = 0; map && map->type == COMPOSE_NODE_MAP && i < map->n_items; )
                if (strv_contains(used, map->keys[i]->scalar))
                        i++;
                else
                        (void) compose_map_remove(map, map->keys[i]->scalar);
        if (map && map->type == COMPOSE_NODE_MAP && map->n_items == 0)
                (void) compose_map_remove(root, section);
}

int compose_drop_unused_resources(ComposeNode *root) {
        _cleanup_strv_free_ char **networks = NULL, **volumes = NULL, **secrets = NULL, **configs = NULL;
        const ComposeNode *services = compose_map_get(root, "services");

        COMPOSE_MAP_FOREACH(i, services) {
                const ComposeNode *s = services->items[i], *nets = compose_map_get(s, "networks");

                COMPOSE_MAP_FOREACH(j, nets)
                        if (!strv_contains(networks, nets->keys[j]->scalar) &&
                            strv_extend(&networks, nets->keys[j]->scalar) < 0)
                                return -ENOMEM;
                if (use_sources(&volumes, compose_map_get(s, "volumes"), "volume") < 0 ||
                    use_sources(&secrets, compose_map_get(s, "secrets"), NULL) < 0 ||
                    use_sources(&secrets, compose_map_get(compose_map_get(s, "build"), "secrets"), NULL) < 0 ||
                    use_sources(&configs, compose_map_get(s, "configs"), NULL) < 0)
                        return -ENOMEM;
        }
        keep_only(root, "networks", networks);
        keep_only(root, "volumes", volumes);
        keep_only(root, "secrets", secrets);
        keep_only(root, "configs", configs);
        return 0;
}
