/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "lib/in-addr-util.h"
#include "reconcile/compose/compose-normalize-internal.h"
#include "lib/strv.h"

/* Per-field rewrites of a service's short forms (compose-go transform and loader/normalize.go),
 * run before the field's kind is applied. */

static ComposeNode *new_map_with(const ComposeMark *mark, const char *key, ComposeNode *value) {
        _cleanup_(compose_node_freep) ComposeNode *m = norm_new_map(mark);

        if (!m || compose_map_set(m, key, value) < 0)
                return NULL;
        return TAKE_PTR(m);
}

typedef int (*ItemFunc)(NormCtx *c, ComposeNode **slot, const char *path);

/* Calls @f on each item of a list ("path[i]") or each value of a mapping ("path.key"). */
static int each_item(NormCtx *c, ComposeNode *n, ItemFunc f, const char *path) {
        char child[NORM_PATH_MAX];
        int r;

        COMPOSE_SEQ_FOREACH(i, n)
                if ((r = f(c, &n->items[i], norm_path_index(child, path, i))) < 0)
                        return r;
        COMPOSE_MAP_FOREACH(i, n)
                if ((r = f(c, &n->items[i], norm_path_key(child, path, n->keys[i]->scalar))) < 0)
                        return r;
        return 0;
}

static bool is_remote_context(const char *s) {
        static const char *const prefixes[] = { "https://", "http://", "git://", "github.com/", "git@" };

        if (strstr(s, "://"))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (startswith(s, prefixes[i]))
                        return true;
        return false;
}

int norm_hook_build(NormCtx *c, ComposeNode **slot, const char *path) {
        ComposeNode *n = *slot, *m;

        assert(c);
        assert(slot);
        assert(*slot);

        (void) c;
        (void) path;
        if (n->type != COMPOSE_NODE_STRING)
                return 0;
        m = new_map_with(&n->mark, "context", compose_node_dup(n));
        return norm_replace_node(slot, m);
}

static int make_local_path_absolute(NormCtx *c, ComposeNode **slot) {
        if (!*slot || (*slot)->type != COMPOSE_NODE_STRING || is_remote_context((*slot)->scalar))
                return 0;
        return norm_replace_string(slot, norm_abs_path(c->working_dir, (*slot)->scalar));
}

int norm_finish_build(NormCtx *c, ComposeNode *map, const char *path) {
        ComposeNode *extra = compose_map_get(map, "additional_contexts");
        int r;

        assert(c);
        assert(map);

        (void) path;
        r = norm_map_default(map, "context", compose_node_new_string(".", &map->mark));
        if (r < 0)
                return r;
        if (!compose_map_get(map, "dockerfile_inline")) {
                r = norm_map_default(map, "dockerfile", compose_node_new_string("Dockerfile", &map->mark));
                if (r < 0)
                        return r;
        }
        r = make_local_path_absolute(c, &map->items[compose_map_index(map, "context")]);
        if (r < 0)
                return r;
        COMPOSE_MAP_FOREACH(i, extra) {
                r = make_local_path_absolute(c, &extra->items[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Resolves "KEY" entries without a value from the project environment (compose's Resolve); entries
 * still unset stay null when @keep_empty, else they are dropped. */
static int resolve_mapping(NormCtx *c, ComposeNode **slot, bool keep_empty, const char *path) {
        ComposeNode *map;
        int r;

        if ((*slot)->type == COMPOSE_NODE_NULL)
                return 0;
        r = norm_as_mapping(c, slot, true, path, &map);
        if (r < 0)
                return r;
        for (size_t i = 0; i < map->n_items;) {
                const char *v;

                if (map->items[i]->type != COMPOSE_NODE_NULL) {
                        i++;
                        continue;
                }
                v = c->lookup ? c->lookup(map->keys[i]->scalar, c->userdata) : NULL;
                if (v) {
                        r = norm_replace_string(&map->items[i], strdup(v));
                        if (r < 0)
                                return r;
                } else if (!keep_empty) {
                        ComposeNode *gone = compose_map_take(map, map->keys[i]->scalar);

                        compose_node_free(gone);
                        continue;
                }
                i++;
        }
        return 0;
}

int norm_hook_environment(NormCtx *c, ComposeNode **slot, const char *path) {
        assert(c);
        assert(slot);
        assert(*slot);

        return resolve_mapping(c, slot, /* keep_empty= */ true, path);
}

int norm_hook_build_args(NormCtx *c, ComposeNode **slot, const char *path) {
        assert(c);
        assert(slot);
        assert(*slot);

        return resolve_mapping(c, slot, /* keep_empty= */ false, path);
}

static ComposeNode *dependency_new(const ComposeMark *mark, bool restart) {
        _cleanup_(compose_node_freep) ComposeNode *m = norm_new_map(mark);

        if (!m ||
            compose_map_set(m, "condition", compose_node_new_string("service_started", mark)) < 0 ||
            (restart && compose_map_set(m, "restart", compose_node_new_bool(true, mark)) < 0) ||
            compose_map_set(m, "required", compose_node_new_bool(true, mark)) < 0)
                return NULL;
        m->flags |= COMPOSE_NODE_STRUCT;        /* ServiceDependency's fields, in its order */
        return TAKE_PTR(m);
}

static ComposeNode *dependency_default(const ComposeMark *mark) {
        return dependency_new(mark, /* restart= */ false);
}

static ComposeNode *null_new(const ComposeMark *mark) {
        return compose_node_new(COMPOSE_NODE_NULL, mark);
}

/* The list of names *slot into a mapping of each name to what @value makes (depends_on, networks). */
static int names_to_map(NormCtx *c, ComposeNode **slot, const char *what,
                        ComposeNode *(*value)(const ComposeMark *mark), const char *path) {
        _cleanup_(compose_node_freep) ComposeNode *map = norm_new_map(&(*slot)->mark);
        ComposeNode *seq = *slot;
        char child[NORM_PATH_MAX];

        if (!map)
                return -ENOMEM;
        COMPOSE_SEQ_FOREACH(i, seq) {
                ComposeNode *item = seq->items[i];
                int r;

                if (item->type != COMPOSE_NODE_STRING)
                        return norm_type_error(c, item, norm_path_index(child, path, i), what);
                r = compose_map_set_at(map, item->scalar, &item->mark, value(&item->mark));
                if (r < 0)
                        return r;
        }
        return norm_replace_node(slot, TAKE_PTR(map));
}

int norm_hook_depends_on(NormCtx *c, ComposeNode **slot, const char *path) {
        char child[NORM_PATH_MAX];
        ComposeNode *map;
        int r;

        assert(c);
        assert(slot);
        assert(*slot);

        if ((*slot)->type == COMPOSE_NODE_SEQ)
                return names_to_map(c, slot, "a service name", dependency_default, path);
        map = *slot;
        if (map->type != COMPOSE_NODE_MAP)
                return map->type == COMPOSE_NODE_NULL ? 0 : norm_type_error(c, map, path, "a mapping or a list");
        COMPOSE_MAP_FOREACH(i, map) {
                ComposeNode *d = map->items[i];

                norm_path_key(child, path, map->keys[i]->scalar);
                if (d->type == COMPOSE_NODE_NULL) {
                        compose_node_free(d);
                        map->items[i] = d = norm_new_map(&map->keys[i]->mark);
                        if (!d)
                                return -ENOMEM;
                }
                if (d->type != COMPOSE_NODE_MAP)
                        return norm_type_error(c, d, child, "a mapping");
                r = norm_map_default(d, "condition", compose_node_new_string("service_started", &d->mark));
                if (r < 0)
                        return r;
                r = norm_map_default(d, "required", compose_node_new_bool(true, &d->mark));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int env_file_entry(NormCtx *c, ComposeNode **slot, const char *path) {
        ComposeNode *m, *p;
        int r;

        if ((*slot)->type == COMPOSE_NODE_STRING) {
                r = norm_replace_node(slot, new_map_with(&(*slot)->mark, "path", compose_node_dup(*slot)));
                if (r < 0)
                        return r;
        }
        m = *slot;
        if (m->type != COMPOSE_NODE_MAP)
                return norm_type_error(c, m, path, "a path or a mapping");
        p = compose_map_get(m, "path");
        if (!p || p->type != COMPOSE_NODE_STRING)
                return compose_node_error(m, c->reterr, -EINVAL, path, "'path' is required");
        r = norm_replace_string(&m->items[compose_map_index(m, "path")], norm_abs_path(c->working_dir, p->scalar));
        if (r < 0)
                return r;
        r = norm_map_default(m, "required", compose_node_new_bool(true, &m->mark));
        if (r < 0)
                return r;
        r = norm_value(c, &m->items[compose_map_index(m, "required")], NORM_BOOL_PTR, NULL, path);
        if (r < 0)
                return r;
        m->flags |= COMPOSE_NODE_STRUCT;        /* EnvFile: path, required, format */
        return 0;
}

int norm_hook_env_file(NormCtx *c, ComposeNode **slot, const char *path) {
        ComposeNode *seq = *slot;

        assert(c);
        assert(slot);
        assert(*slot);

        if ((seq->type == COMPOSE_NODE_STRING || seq->type == COMPOSE_NODE_MAP) && norm_wrap_in_seq(slot) < 0)
                return -ENOMEM;
        seq = *slot;
        if (seq->type != COMPOSE_NODE_SEQ)
                return seq->type == COMPOSE_NODE_NULL ? 0 : norm_type_error(c, seq, path, "a path or a list");
        return each_item(c, seq, env_file_entry, path);
}

static char *extra_host_string(const char *host, const char *ip) {
        size_t l = strlen(ip);
        char *e;

        /* "[::1]" is written without its brackets. */
        if (l > 2 && ip[0] == '[' && ip[l - 1] == ']') {
                if (asprintf(&e, "%s=%.*s", host, (int) l - 2, ip + 1) < 0)
                        return NULL;
        } else if (asprintf(&e, "%s=%s", host, ip) < 0)
                return NULL;
        return e;
}

/* One "host=ip" line of /etc/hosts: the host a host name, the address one docker's engine takes
 * (an IP, maybe bracketed, or host-gateway), so neither can add lines of its own. An empty address
 * (a map entry without a value) is kept as compose-go keeps it. */
static int extra_host_one(NormCtx *c, const ComposeNode *n, const char *host, const char *ip, char ***out,
                          const char *path) {
        if (!compose_dns_name_is_valid(host))
                return compose_node_error(n, c->reterr, -EINVAL, path, "bad host name '%s'", host);
        if (!isempty(ip) && !streq(ip, "host-gateway") &&
            in_addr_from_string_bracketed(ip, NULL, &(union in_addr_union) {}) < 0)
                return compose_node_error(n, c->reterr, -EINVAL, path, "invalid IP address in add-host: \"%s\"", ip);
        return strv_consume(out, extra_host_string(host, ip));
}

/* One host with its comma-separated addresses (compose-go's HostsList) into "host=ip" strings. */
static int extra_host_add(NormCtx *c, const ComposeNode *n, const char *host, const char *ips, char ***out,
                          const char *path) {
        const char *p = ips;

        if (isempty(host) || strpbrk(host, ":="))
                return compose_node_error(n, c->reterr, -EINVAL, path, "bad host name '%s'", host);
        for (;;) {
                const char *comma = strchr(p, ',');
                _cleanup_free_ char *ip = strndup(p, comma ? (size_t) (comma - p) : strlen(p));
                int r;

                if (!ip)
                        return -ENOMEM;
                r = extra_host_one(c, n, host, ip, out, path);
                if (r < 0)
                        return r;
                if (!comma)
                        return 0;
                p = comma + 1;
        }
}

static int extra_hosts_from_list(NormCtx *c, const ComposeNode *seq, char ***out, const char *path) {
        char child[NORM_PATH_MAX];

        COMPOSE_SEQ_FOREACH(i, seq) {
                const ComposeNode *item = seq->items[i];
                _cleanup_free_ char *s = norm_scalar_text(item);
                char *sep;
                int r;

                norm_path_index(child, path, i);
                if (!s)
                        return compose_node_is_scalar(item) ? -ENOMEM : norm_type_error(c, item, child, "a string");
                sep = strchr(s, '=') ?: strchr(s, ':');
                if (!sep)
                        return compose_node_error(item, c->reterr, -EINVAL, child,
                                                  "invalid additional host, missing IP: %s", s);
                *sep = 0;
                r = extra_host_add(c, item, s, sep + 1, out, child);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int extra_hosts_from_map(NormCtx *c, const ComposeNode *map, char ***out, const char *path) {
        char child[NORM_PATH_MAX];

        COMPOSE_MAP_FOREACH(i, map) {
                const ComposeNode *v = map->items[i];
                const char *host = map->keys[i]->scalar;
                int r = 0;

                norm_path_key(child, path, host);
                if (v->type == COMPOSE_NODE_NULL)
                        r = extra_host_add(c, v, host, "", out, child);
                else if (compose_node_is_scalar(v))
                        r = extra_host_add(c, v, host, v->scalar, out, child);
                else if (v->type == COMPOSE_NODE_SEQ) {
                        COMPOSE_SEQ_FOREACH(j, v) {
                                if (!compose_node_is_scalar(v->items[j]))
                                        return norm_type_error(c, v->items[j], child, "an address");
                                r = extra_host_one(c, v->items[j], host, v->items[j]->scalar, out, child);
                                if (r < 0)
                                        return r;
                        }
                } else
                        r = norm_type_error(c, v, child, "an address or a list of addresses");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* extra_hosts prints as a sorted list of "host=ip" (HostsList.MarshalYAML). */
int norm_hook_extra_hosts(NormCtx *c, ComposeNode **slot, const char *path) {
        _cleanup_strv_free_ char **hosts = NULL;
        ComposeNode *n = *slot;
        int r;

        assert(c);
        assert(slot);
        assert(*slot);

        if (n->type == COMPOSE_NODE_SEQ)
                r = extra_hosts_from_list(c, n, &hosts, path);
        else if (n->type == COMPOSE_NODE_MAP)
                r = extra_hosts_from_map(c, n, &hosts, path);
        else
                return n->type == COMPOSE_NODE_NULL ? 0 : norm_type_error(c, n, path, "a mapping or a list");
        if (r < 0)
                return r;
        if (hosts)              /* none: an empty list or map; qsort() takes no NULL */
                strv_sort(hosts);
        return norm_replace_strv(slot, hosts);
}

int norm_hook_healthcheck_test(NormCtx *c, ComposeNode **slot, const char *path) {
        assert(c);
        assert(slot);
        assert(*slot);

        (void) c;
        (void) path;
        if ((*slot)->type != COMPOSE_NODE_STRING)
                return 0;
        return norm_replace_strv(slot, (char *[]) { (char *) "CMD-SHELL", (*slot)->scalar, NULL });
}

/* A list of network names is the same as a mapping of those names to null. */
int norm_hook_service_networks(NormCtx *c, ComposeNode **slot, const char *path) {
        assert(c);
        assert(slot);
        assert(*slot);

        if ((*slot)->type != COMPOSE_NODE_SEQ)
                return 0;
        return names_to_map(c, slot, "a network name", null_new, path);
}

/* ulimits: a single number stays a number; {soft, hard} always prints both (UlimitsConfig.MarshalYAML). */
static int ulimit_entry(NormCtx *c, ComposeNode **slot, const char *path) {
        _cleanup_(compose_node_freep) ComposeNode *m = NULL;
        ComposeNode *n = *slot;
        int64_t v, soft = 0, hard = 0;

        if (compose_node_int(n, &v) >= 0) {
                if (v != 0)
                        return norm_replace_node(slot, compose_node_new_int(v, &n->mark));
        } else if (n->type != COMPOSE_NODE_MAP)
                return norm_type_error(c, n, path, "an integer or a mapping");
        if (n->type == COMPOSE_NODE_MAP) {
                const ComposeNode *s = compose_map_get(n, "soft"), *h = compose_map_get(n, "hard");

                if ((s && compose_node_int(s, &soft) < 0) || (h && compose_node_int(h, &hard) < 0))
                        return compose_node_error(n, c->reterr, -EINVAL, path, "soft and hard must be integers");
        }
        m = norm_new_map(&n->mark);
        if (!m ||
            compose_map_set(m, "soft", compose_node_new_int(soft, &n->mark)) < 0 ||
            compose_map_set(m, "hard", compose_node_new_int(hard, &n->mark)) < 0)
                return -ENOMEM;
        m->flags |= COMPOSE_NODE_STRUCT;        /* UlimitsConfig: soft, then hard */
        return norm_replace_node(slot, TAKE_PTR(m));
}

int norm_hook_ulimits(NormCtx *c, ComposeNode **slot, const char *path) {
        int r;

        assert(c);
        assert(slot);
        assert(*slot);

        if ((*slot)->type != COMPOSE_NODE_MAP)
                return (*slot)->type == COMPOSE_NODE_NULL ? 0 : norm_type_error(c, *slot, path, "a mapping");
        r = each_item(c, *slot, ulimit_entry, path);
        norm_sort_map(*slot);
        return r;
}

/* configs/secrets references: a bare name is {source: name}; secrets default their target to
 * /run/secrets/<source>. */
static int file_ref(NormCtx *c, ComposeNode **slot, const char *path) {
        int r;

        if ((*slot)->type == COMPOSE_NODE_STRING) {
                r = norm_replace_node(slot, new_map_with(&(*slot)->mark, "source", compose_node_dup(*slot)));
                if (r < 0)
                        return r;
        }
        return (*slot)->type == COMPOSE_NODE_MAP ? 0 : norm_type_error(c, *slot, path, "a name or a mapping");
}

static int secret_ref(NormCtx *c, ComposeNode **slot, const char *path) {
        _cleanup_free_ char *t = NULL;
        const char *source;
        int r;

        r = file_ref(c, slot, path);
        if (r < 0)
                return r;
        source = compose_map_get_str(*slot, "source");
        if (!source || compose_map_get(*slot, "target"))
                return 0;
        if (asprintf(&t, "/run/secrets/%s", source) < 0)
                return -ENOMEM;
        return compose_map_set(*slot, "target", compose_node_new_string(t, &(*slot)->mark));
}

static int file_refs(NormCtx *c, ComposeNode **slot, bool secret, const char *path) {
        if ((*slot)->type != COMPOSE_NODE_SEQ)
                return 0;
        return each_item(c, *slot, secret ? secret_ref : file_ref, path);
}

int norm_hook_file_refs(NormCtx *c, ComposeNode **slot, const char *path) {
        assert(c);
        assert(slot);
        assert(*slot);

        return file_refs(c, slot, /* secret= */ false, path);
}

int norm_hook_secret_refs(NormCtx *c, ComposeNode **slot, const char *path) {
        assert(c);
        assert(slot);
        assert(*slot);

        return file_refs(c, slot, /* secret= */ true, path);
}

/* "host[:container[:permissions]]" (DeviceMapping.UnmarshalYAML). */
static int device_entry(NormCtx *c, ComposeNode **slot, const char *path) {
        _cleanup_strv_free_ char **parts = NULL;
        _cleanup_(compose_node_freep) ComposeNode *m = NULL;
        ComposeNode *n = *slot;
        size_t k;

        if (n->type != COMPOSE_NODE_STRING)
                return n->type == COMPOSE_NODE_MAP ? 0 : norm_type_error(c, n, path, "a string or a mapping");
        parts = strv_split(n->scalar, ":");
        if (!parts)
                return -ENOMEM;
        k = strv_length(parts);
        if (k < 1 || k > 3)
                return compose_node_error(n, c->reterr, -EINVAL, path,
                                          "confusing device mapping, please use long syntax: %s", n->scalar);
        m = norm_new_map(&n->mark);
        if (!m ||
            compose_map_set(m, "source", compose_node_new_string(parts[0], &n->mark)) < 0 ||
            compose_map_set(m, "target", compose_node_new_string(parts[k >= 2], &n->mark)) < 0 ||
            compose_map_set(m, "permissions", compose_node_new_string(k == 3 ? parts[2] : "rwm", &n->mark)) < 0)
                return -ENOMEM;
        return norm_replace_node(slot, TAKE_PTR(m));
}

int norm_hook_devices(NormCtx *c, ComposeNode **slot, const char *path) {
        assert(c);
        assert(slot);
        assert(*slot);

        return (*slot)->type == COMPOSE_NODE_SEQ ? each_item(c, *slot, device_entry, path) : 0;
}

/* Services named by links, network_mode/ipc/pid/uts/cgroup "service:X" and volumes_from become
 * dependencies unless depends_on already names them (loader/normalize.go). */
static int implicit_dependency(ComposeNode *service, const char *name, bool restart, const ComposeMark *mark) {
        ComposeNode *deps = compose_map_get(service, "depends_on");
        int r;

        if (!deps) {
                r = compose_map_set_at(service, "depends_on", mark, norm_new_map(mark));
                if (r < 0)
                        return r;
                deps = compose_map_get(service, "depends_on");
        }
        if (compose_map_index(deps, name) >= 0)
                return 0;
        r = compose_map_set_at(deps, name, mark, dependency_new(mark, restart));
        if (r < 0)
                return r;
        norm_sort_map(deps);
        return 0;
}

static int implicit_dependencies(ComposeNode *service) {
        static const char *const namespaces[] = { "network_mode", "ipc", "pid", "uts", "cgroup" };
        const ComposeNode *links = compose_map_get(service, "links"), *from = compose_map_get(service, "volumes_from");
        int r = 0;

        COMPOSE_SEQ_FOREACH(i, links) {
                _cleanup_free_ char *name = strdup(links->items[i]->scalar);
                char *colon;

                if (!name)
                        return -ENOMEM;
                colon = strchr(name, ':');
                if (colon && !strchr(colon + 1, ':'))
                        *colon = 0;
                r = implicit_dependency(service, name, true, &links->items[i]->mark);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(namespaces); i++) {
                const ComposeNode *ns = compose_map_get(service, namespaces[i]);
                const char *ref = ns ? startswith(strempty(compose_node_str(ns)), "service:") : NULL;

                if (ref && (r = implicit_dependency(service, ref, true, &ns->mark)) < 0)
                        return r;
        }
        COMPOSE_SEQ_FOREACH(i, from) {
                const char *v = from->items[i]->scalar;
                _cleanup_free_ char *name = NULL;

                if (startswith(v, "container:"))
                        continue;
                name = strndup(v, strcspn(v, ":"));
                if (!name)
                        return -ENOMEM;
                r = implicit_dependency(service, name, false, &from->items[i]->mark);
                if (r < 0)
                        return r;
        }
        return 0;
}

int norm_finish_service(NormCtx *c, ComposeNode *map, const char *path) {
        ssize_t i = compose_map_index(map, "pull_policy");
        int r;

        assert(c);
        assert(map);

        if (i >= 0 && streq_ptr(compose_node_str(map->items[i]), "if_not_present")) {
                r = norm_replace_string(&map->items[i], strdup("missing"));
                if (r < 0)
                        return r;
        }
        if (c->resolve_env) {
                r = norm_service_env_files(c, map, path);
                if (r < 0)
                        return r;
        }
        return implicit_dependencies(map);
}
