/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <limits.h>

#include "lib/fileio.h"
#include "reconcile/render/desired-internal.h"

DesiredState *desired_state_free(DesiredState *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_files; i++) {
                free(s->files[i].path);
                free(s->files[i].content);
                free(s->files[i].symlink);
                free(s->files[i].service);
        }
        for (size_t i = 0; i < s->n_services; i++) {
                DesiredService *d = &s->services[i];

                for (size_t k = 0; k < d->n_deps; k++) {
                        free(d->deps[k].service);
                        free(d->deps[k].condition);
                }
                free(d->deps);
                free(d->name);
                free(d->compose_name);
                free(d->netns_owner);
                free(d->unit);
                free(d->machine);
                free(d->hash);
                free(d->image);
                free(d->image_digest);
                free(d->settings_path);
                free(d->address);
                strv_free(d->inputs);
        }
        for (size_t i = 0; i < s->n_networks; i++) {
                free(s->networks[i].name);
                free(s->networks[i].bridge);
                free(s->networks[i].subnet);
                free(s->networks[i].gateway);
                free(s->networks[i].ipv6_subnet);
                free(s->networks[i].ipv6_gateway);
        }
        for (size_t i = 0; i < s->n_ports; i++) {
                free(s->ports[i].service);
                free(s->ports[i].protocol);
                free(s->ports[i].host_ip);
                free(s->ports[i].target_ip);
                free(s->ports[i].balance);
        }
        free(s->files);
        free(s->services);
        free(s->networks);
        free(s->ports);
        free(s->project);
        strv_free(s->warnings);
        strv_free(s->compose_services);
        free(s);
        return NULL;
}

static void desired_context_done(DesiredContext *c) {
        for (size_t i = 0; i < c->n_units; i++) {
                for (size_t k = 0; k < c->units[i].n_attach; k++) {
                        strv_free(c->units[i].attach[k].aliases);
                        free(c->units[i].attach[k].ipv6_address);
                }
                free(c->units[i].attach);
        }
        free(c->units);
        free(c->nets);
        for (size_t i = 0; i < c->n_credentials; i++)
                free(c->credentials[i].path);
        free(c->credentials);
        free(c->settings_dir);
        free(c->unit_dir);
        free(c->target_unit);
        free(c->network_unit);
        json_object_putp(&c->previous);
        json_object_putp(&c->host_ports);
        desired_state_free(c->state);
}

const DesiredFile *desired_state_find_file(const DesiredState *s, const char *path) {
        for (size_t i = 0; i < s->n_files; i++)
                if (streq(s->files[i].path, path))
                        return &s->files[i];
        return NULL;
}

const DesiredService *desired_state_find_service(const DesiredState *s, const char *name) {
        for (size_t i = 0; i < s->n_services; i++)
                if (streq(s->services[i].name, name))
                        return &s->services[i];
        return NULL;
}

static DesiredFile *file_new(DesiredState *s, const char *path, const char *service) {
        DesiredFile *f = reallocarray(s->files, s->n_files + 1, sizeof *f);

        if (!f)
                return NULL;
        s->files = f;
        f = &s->files[s->n_files];
        *f = (DesiredFile) { .path = strdup(path), .service = service ? strdup(service) : NULL };
        if (!f->path || (service && !f->service)) {
                free(f->path);
                free(f->service);
                return NULL;
        }
        s->n_files++;
        return f;
}

int desired_add_file(DesiredState *s, const char *path, char *content, mode_t mode, const char *service) {
        _cleanup_free_ char *data = content;
        DesiredFile *f;

        if (!data)
                return -ENOMEM;
        f = file_new(s, path, service);
        if (!f)
                return -ENOMEM;
        f->size = strlen(data);
        f->content = TAKE_PTR(data);
        f->mode = mode;
        return 0;
}

int desired_add_symlink(DesiredState *s, const char *path, const char *target) {
        DesiredFile *f = file_new(s, path, NULL);

        if (!f)
                return -ENOMEM;
        f->symlink = strdup(target);
        f->mode = 0777;
        return f->symlink ? 0 : -ENOMEM;
}


int desired_replicas(const ComposeNode *svc, unsigned *ret) {
        const ComposeNode *n = compose_map_get(svc, "scale") ?:
                               compose_map_get(compose_map_get(svc, "deploy"), "replicas");
        uint64_t v = 1;

        if (n && desired_node_uint(n, 0, DESIRED_REPLICAS_MAX, &v) < 0)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

/* One machine of a compose service: replica @replica of @replicas. */
typedef struct ReplicaKey {
        const ComposeNode *key;
        unsigned replica, replicas;
        char *name;
} ReplicaKey;

static int service_init(DesiredContext *c, size_t i, const ReplicaKey *rk, NcError *reterr) {
        DesiredService *d = &c->state->services[i];
        const char *name = rk->name, *compose_name = rk->key->scalar, *digest, *image;
        const ComposeNode *cn;
        int r;

        d->name = strdup(name);
        d->compose_name = strdup(compose_name);
        if (!d->name || !d->compose_name)
                return -ENOMEM;
        d->replica = rk->replica;
        c->units[i].name = d->name;
        c->units[i].compose_name = d->compose_name;
        c->units[i].replica = rk->replica;
        c->units[i].replicas = rk->replicas;
        c->units[i].node = compose_map_get(c->services, compose_name);
        cn = compose_map_get(c->units[i].node, "container_name");
        if (cn && rk->replicas > 1) {
                char path[300];

                snprintf(path, sizeof path, "services.%s.container_name", compose_name);
                return compose_node_error(cn, reterr, -EINVAL, path, "a service with %u replicas cannot have a "
                                          "container_name: each machine needs a name of its own", rk->replicas);
        }
        r = name_machine(c->name, name, compose_node_str(cn), &d->machine);
        if (r == -EINVAL && cn) {
                char path[300];

                snprintf(path, sizeof path, "services.%s.container_name", name);
                return compose_node_error(cn, reterr, r, path, "'%s' is not usable as a machine name: "
                                          "[a-zA-Z0-9] then [a-zA-Z0-9.-] (docker's rule without '_', as "
                                          "machined takes a hostname), at most 64 bytes", strempty(cn->scalar));
        }
        if (r == -EINVAL)
                return compose_node_error(rk->key, reterr, r, "services", "'%s': not usable as a machine name", name);
        if (r < 0)
                return r;
        for (size_t k = 0; k < i; k++) {
                if (streq(c->state->services[k].name, name)) {
                        const DesiredService *o = &c->state->services[k];
                        bool mine = rk->replica > 1;

                        return compose_node_error(rk->key, reterr, -EEXIST, "services", "'%s' is both the service "
                                                  "'%s' and replica %u of '%s'", name, mine ? o->compose_name : compose_name,
                                                  mine ? rk->replica : o->replica, mine ? compose_name : o->compose_name);
                }
                if (streq(c->state->services[k].machine, d->machine))
                        return compose_node_error(rk->key, reterr, -EEXIST, "services",
                                                  "'%s' and '%s' map to the same machine name '%s'",
                                                  c->state->services[k].name, name, d->machine);
        }
        /* one image for all replicas: a build's result is named after the compose service */
        r = desired_service_image(c->name, compose_name, c->units[i].node, &d->image);
        if (r < 0)
                return r;
        image = d->image;
        digest = c->options->image_digest && *image ? c->options->image_digest(image, c->options->userdata) : NULL;
        d->image_digest = strdup(strempty(digest));
        d->unit = name_service_unit(c->name, name);
        if (asprintf(&d->settings_path, "%s/%s.json", c->settings_dir, name) < 0)
                d->settings_path = NULL;
        return d->image_digest && d->unit && d->settings_path ? 0 : -ENOMEM;
}

static int cmp_replica_key(const void *a, const void *b) {
        return strcmp(((const ReplicaKey *) a)->name, ((const ReplicaKey *) b)->name);
}

/* Every machine of every service: replica 1 of S is named S, replica N "S-N" (docker compose's
 * containers are P-S-1, P-S-N); a service with 0 replicas has none. */
static int services_init(DesiredContext *c, NcError *reterr) {
        size_t n = c->services ? c->services->n_items : 0, total = 0;
        ReplicaKey *keys = NULL;
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                unsigned k;
                char path[300];

                if (strv_extend(&c->state->compose_services, c->services->keys[i]->scalar) < 0)
                        return -ENOMEM;

                snprintf(path, sizeof path, "services.%s", c->services->keys[i]->scalar);
                if (desired_replicas(c->services->items[i], &k) < 0)
                        return compose_node_error(c->services->items[i], reterr, -EINVAL, path,
                                                  "replicas must be a count from 0 to %u", DESIRED_REPLICAS_MAX);
                total += k;
        }
        keys = calloc(total + 1, sizeof *keys);
        c->state->services = calloc(total + 1, sizeof *c->state->services);
        c->units = calloc(total + 1, sizeof *c->units);
        if (!keys || !c->state->services || !c->units) {
                free(keys);
                return -ENOMEM;
        }
        total = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                unsigned k = 1;

                (void) desired_replicas(c->services->items[i], &k);
                for (unsigned j = 1; j <= k && r >= 0; j++) {
                        keys[total] = (ReplicaKey) { .key = c->services->keys[i], .replica = j, .replicas = k };
                        if (j == 1)
                                keys[total].name = strdup(c->services->keys[i]->scalar);
                        else if (asprintf(&keys[total].name, "%s-%u", c->services->keys[i]->scalar, j) < 0)
                                keys[total].name = NULL;
                        r = keys[total++].name ? 0 : -ENOMEM;
                }
        }
        if (r >= 0)
                qsort(keys, total, sizeof *keys, cmp_replica_key);
        for (size_t i = 0; i < total && r >= 0; i++) {
                c->state->n_services++;
                c->n_units++;
                r = service_init(c, i, &keys[i], reterr);
        }
        for (size_t i = 0; i < total; i++)
                free(keys[i].name);
        free(keys);
        return r;
}

ssize_t desired_service_index(DesiredContext *c, const char *name) {
        for (size_t i = 0; i < c->state->n_services; i++)
                if (streq(c->units[i].name, name))
                        return i;
        return -ENOENT;
}

ssize_t desired_service_by_container(DesiredContext *c, const char *name) {
        for (size_t k = 0; k < c->state->n_services; k++) {
                _cleanup_free_ char *docker = NULL;

                if (asprintf(&docker, "%s-%s-%u", c->name, c->units[k].compose_name, c->units[k].replica) < 0)
                        return -ENOMEM;
                if (streq(c->state->services[k].machine, name) || streq(docker, name))
                        return k;
        }
        return -ENOENT;
}

/* The service a network_mode names: service:X or container:NAME (desired_service_by_container());
 * only this project's machines can be joined: another's namespace is not ours to hold. */
static int network_mode_target(DesiredContext *c, size_t i, const ComposeNode *n, ssize_t *ret, NcError *reterr) {
        const char *v = strempty(compose_node_str(n)), *x;
        char path[300];

        snprintf(path, sizeof path, "services.%s.network_mode", c->units[i].name);
        if ((x = startswith(v, "service:"))) {
                *ret = desired_service_index(c, x);
                if (*ret < 0)
                        return compose_node_error(n, reterr, -ENOENT, path, "service '%s' is not defined", x);
        } else {
                x = startswith(v, "container:");
                *ret = desired_service_by_container(c, x);
                if (*ret == -ENOMEM)
                        return -ENOMEM;
                if (*ret < 0)
                        return compose_node_error(n, reterr, -ENOENT, path, "no service of this project runs as "
                                                  "machine '%s': only this project's machines can be joined", x);
        }
        if ((size_t) *ret == i)
                return compose_node_error(n, reterr, -ELOOP, path, "a service cannot join its own network namespace");
        return 0;
}

/* network_mode: whose network namespace each service runs in. */
static int network_modes(DesiredContext *c, NcError *reterr) {
        int r;

        for (size_t i = 0; i < c->n_units; i++) {
                const ComposeNode *n = compose_map_get(c->units[i].node, "network_mode");
                const char *v = strempty(compose_node_str(n));

                c->units[i].netns_of = c->units[i].netns_owner = -1;
                if (startswith(v, "service:") || startswith(v, "container:")) {
                        r = network_mode_target(c, i, n, &c->units[i].netns_of, reterr);
                        if (r < 0)
                                return r;
                } else
                        c->units[i].host_network = streq(v, "host");
        }
        /* a chain ends at a service with a namespace of its own, or the host's */
        for (size_t i = 0; i < c->n_units; i++) {
                ssize_t j = c->units[i].netns_of;
                size_t steps = 0;

                while (j >= 0 && c->units[j].netns_of >= 0 && steps++ < c->n_units)
                        j = c->units[j].netns_of;
                if (j >= 0 && c->units[j].netns_of >= 0) {
                        char path[300];

                        snprintf(path, sizeof path, "services.%s.network_mode", c->units[i].name);
                        return compose_node_error(compose_map_get(c->units[i].node, "network_mode"), reterr, -ELOOP,
                                                  path, "the services' network_mode entries name each other in a cycle");
                }
                c->units[i].netns_owner = j;
                if (j >= 0 && c->units[j].host_network) {
                        c->units[i].host_network = true;
                        c->units[i].netns_owner = -1;
                }
                if (c->units[i].netns_owner >= 0 &&
                    !(c->state->services[i].netns_owner = strdup(c->units[c->units[i].netns_owner].name)))
                        return -ENOMEM;
        }
        return 0;
}

/* Service @i needs service @j and starts after it (Requires=, After=); with @restart it is recreated
 * with it too (PartOf=), an explicit depends_on then made so. */
static int implicit_dependency(DesiredContext *c, size_t i, size_t j, bool restart) {
        DesiredService *d = &c->state->services[i];
        const char *x = c->units[j].name;
        DesiredDependency *dep;

        for (size_t k = 0; k < d->n_deps; k++)
                if (streq(d->deps[k].service, x)) {
                        d->deps[k].required = d->deps[k].required || restart;
                        d->deps[k].restart = d->deps[k].restart || restart;
                        return 0;
                }
        dep = reallocarray(d->deps, d->n_deps + 1, sizeof *dep);
        if (!dep)
                return -ENOMEM;
        d->deps = dep;
        dep = &d->deps[d->n_deps++];
        *dep = (DesiredDependency) {
                .service = strdup(x), .condition = strdup("service_started"), .required = true, .restart = restart,
        };
        return dep->service && dep->condition ? 0 : -ENOMEM;
}

/* What docker compose's loader makes dependencies of (services' refs it turns into depends_on) that
 * it does not see: a namespace joined through container:NAME, volumes_from container:NAME. A service
 * in another's network or IPC namespace is recreated with it, as docker compose does: the namespace
 * it holds goes when that service is recreated. */
static int implicit_dependencies(DesiredContext *c, size_t i) {
        const ComposeNode *from = compose_map_get(c->units[i].node, "volumes_from");
        int r;

        const char *ipc = startswith(strempty(compose_map_get_str(c->units[i].node, "ipc")), "container:");

        if (c->units[i].netns_of >= 0) {
                r = implicit_dependency(c, i, c->units[i].netns_of, /* restart= */ true);
                if (r < 0)
                        return r;
        }
        if (ipc) {              /* its /dev/shm is the other's, a new one when that one is recreated */
                ssize_t j = desired_service_by_container(c, ipc);

                if (j == -ENOMEM)
                        return -ENOMEM;
                r = j >= 0 && (size_t) j != i ? implicit_dependency(c, i, j, /* restart= */ true) : 0;
                if (r < 0)
                        return r;
        }
        COMPOSE_SEQ_FOREACH(k, from) {
                const char *v = startswith(strempty(compose_node_str(from->items[k])), "container:");
                _cleanup_free_ char *name = v ? strndup(v, strcspn(v, ":")) : NULL;
                ssize_t j;

                if (!v)
                        continue;
                if (!name)
                        return -ENOMEM;
                j = desired_service_by_container(c, name);
                if (j == -ENOMEM)
                        return -ENOMEM;
                r = j >= 0 && (size_t) j != i ? implicit_dependency(c, i, j, /* restart= */ false) : 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* depends_on: every machine of the service named (each of its replicas). */
static int dependency_add(DesiredContext *c, size_t i, const ComposeNode *key, const ComposeNode *v,
                          NcError *reterr) {
        DesiredService *d = &c->state->services[i];
        const char *name = key->scalar, *cond = compose_map_get_str(v, "condition") ?: "service_started";
        bool required = compose_map_get_bool(v, "required", true);
        ssize_t j = desired_service_index(c, name);
        _cleanup_free_ char *msg = NULL;
        char path[512];

        snprintf(path, sizeof path, "services.%s.depends_on.%s", c->units[i].compose_name, name);
        if (j < 0 && compose_map_get(c->services, name)) {      /* scaled to 0: nothing to wait for */
                msg = desired_format_at(key, path, "service '%s' has no replicas; ignored", name);
                return msg && strv_consume(&c->state->warnings, TAKE_PTR(msg)) >= 0 ? 0 : -ENOMEM;
        }
        if (j < 0 && required)
                return compose_node_error(key, reterr, -ENOENT, path, "service '%s' is not defined", name);
        if (j < 0) {    /* docker compose warns and goes on when required: false */
                msg = desired_format_at(key, path, "service '%s' is not defined; ignored (required: false)", name);
                return msg && strv_consume(&c->state->warnings, TAKE_PTR(msg)) >= 0 ? 0 : -ENOMEM;
        }
        if (!streq(cond, "service_started") && !streq(cond, "service_healthy") &&
            !streq(cond, "service_completed_successfully"))
                return compose_node_error(v, reterr, -EINVAL, path, "unknown condition '%s'", cond);
        for (size_t k = 0; k < c->n_units; k++) {
                DesiredDependency *dep;

                if (!streq(c->units[k].compose_name, name))
                        continue;
                dep = reallocarray(d->deps, d->n_deps + 1, sizeof *dep);
                if (!dep)
                        return -ENOMEM;
                d->deps = dep;
                dep = &d->deps[d->n_deps++];
                *dep = (DesiredDependency) {
                        .service = strdup(c->units[k].name), .condition = strdup(cond),
                        .required = required, .restart = compose_map_get_bool(v, "restart", false),
                };
                if (!dep->service || !dep->condition)
                        return -ENOMEM;
                if (streq(cond, "service_completed_successfully"))
                        c->units[k].dependents_need_completion = true;
        }
        return 0;
}

static int oneshot_restart_warning(DesiredContext *c, size_t i) {
        const ComposeNode *n = compose_map_get(c->units[i].node, "restart");
        const char *v = compose_node_str(n);
        _cleanup_free_ char *msg = NULL, *path = NULL;

        if (!v || (!streq(v, "always") && !streq(v, "unless-stopped")))
                return 0;
        if (asprintf(&path, "services.%s.restart", c->units[i].name) < 0)
                return -ENOMEM;
        msg = desired_format_at(n, path, "'%s' becomes 'on-failure': a dependent waits for this service to "
                                "complete (systemd refuses Restart=always for Type=oneshot)", v);
        return msg && strv_consume(&c->state->warnings, TAKE_PTR(msg)) >= 0 ? 0 : -ENOMEM;
}

static int dependencies(DesiredContext *c, NcError *reterr) {
        int r;

        for (size_t i = 0; i < c->state->n_services; i++) {
                const ComposeNode *deps = compose_map_get(c->units[i].node, "depends_on");

                COMPOSE_MAP_FOREACH(k, deps) {
                        r = dependency_add(c, i, deps->keys[k], deps->items[k], reterr);
                        if (r < 0)
                                return r;
                }
                COMPOSE_SEQ_FOREACH(k, deps) {          /* short form, if not normalized */
                        r = compose_node_is_scalar(deps->items[k]) ?
                            dependency_add(c, i, deps->items[k], NULL, reterr) : 0;
                        if (r < 0)
                                return r;
                }
                r = implicit_dependencies(c, i);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->state->n_services; i++) {
                DesiredService *d = &c->state->services[i];
                const ComposeNode *svc = c->units[i].node;

                d->oneshot = c->units[i].dependents_need_completion;
                r = d->oneshot ? oneshot_restart_warning(c, i) : 0;
                if (r < 0)
                        return r;
                d->has_healthcheck = desired_healthcheck_enabled(compose_map_get(svc, "healthcheck"));
        }
        return 0;
}

static void hash_part(Sha256 *h, const char *label, const char *data, size_t size) {
        char head[PATH_MAX + 64];

        snprintf(head, sizeof head, "%s %zu\n", label, size);
        sha256_update(h, head, strlen(head));
        sha256_update(h, data, size);
        sha256_update(h, "\n", 1);
}

/* An input file's content: as rendered if we render it, else from disk; one we cannot read is hashed
 * by its error, so a render without root still gives a stable (if different) hash. */
static void hash_input(Sha256 *h, const DesiredState *s, const char *path) {
        const DesiredFile *f = desired_state_find_file(s, path);
        _cleanup_free_ char *data = NULL, *label = NULL;
        size_t size = 0;
        int r;

        if (asprintf(&label, "input %s", path) < 0)
                return;
        if (f) {
                hash_part(h, label, f->content, f->size);
                return;
        }
        /* a FIFO or /dev/zero as a secret's source must not hang or fill memory: hashed as unreadable */
        r = read_full_file_max(path, INPUT_FILE_SIZE_MAX, &data, &size);
        if (r < 0) {
                char err[64];

                snprintf(err, sizeof err, "unreadable: %s", strerror(-r));
                hash_part(h, label, err, strlen(err));
                return;
        }
        hash_part(h, label, data, size);
}

/* H = sha256 over unit (without its depends_on lines), S.json (both with an empty hash), every input
 * and the image digest, each framed as "<label> <size>\n<bytes>\n" (docs/runtime.md). S.hosts is not part of it: the names of
 * the other services change when services come and go, and apply updates /etc/hosts of a running
 * machine in place, as docker's DNS needs no restart either. */
static void service_hash(DesiredContext *c, size_t i, const char *unit, const char *json,
                         char ret[static SHA256_DIGEST_SIZE * 2 + 1]) {
        const DesiredService *d = &c->state->services[i];
        uint8_t digest[SHA256_DIGEST_SIZE];
        Sha256 h;

        sha256_init(&h);
        hash_part(&h, "unit", unit, strlen(unit));
        hash_part(&h, "settings", json, strlen(json));
        STRV_FOREACH(in, d->inputs)
                hash_input(&h, c->state, *in);
        hash_part(&h, "image", d->image_digest, strlen(d->image_digest));
        sha256_final(&h, digest);
        /* Keyed with a secret of this host: H is in world-readable unit files, and it covers environment
         * values and secrets, so without the key it would let anyone check guesses of them. */
        if (c->options->hash_key)
                hmac_sha256(c->options->hash_key, c->options->hash_key_size, digest, sizeof digest, digest);
        sha256_digest_to_hex(digest, ret);
}

static int service_files(DesiredContext *c, size_t i, NcError *reterr) {
        DesiredService *d = &c->state->services[i];
        _cleanup_free_ char *json = NULL, *unit = NULL, *hosts = NULL, *hosts_path = NULL, *unit_path = NULL;
        char hash[SHA256_DIGEST_SIZE * 2 + 1];
        int r;

        r = desired_service_inputs(c, i, &d->inputs);
        if (r < 0)
                return r;
        d->address = c->units[i].n_attach > 0 ? desired_ipv4_format(c->units[i].attach[0].address) : strdup("");
        if (!d->address)
                return -ENOMEM;
        r = desired_service_json(c, i, "", &json, reterr);
        if (r < 0)
                return r;
        unit = desired_service_unit(c, i, "", /* with_deps= */ false);
        hosts = desired_hosts_file(c, i);
        if (!unit || !hosts)
                return -ENOMEM;
        service_hash(c, i, unit, json, hash);
        d->hash = strdup(hash);
        free(json);
        json = NULL;
        r = desired_service_json(c, i, hash, &json, reterr);
        if (r < 0)
                return r;
        free(unit);
        unit = desired_service_unit(c, i, hash, /* with_deps= */ true);
        if (!d->hash || !unit || asprintf(&hosts_path, "%s/%s.hosts", c->settings_dir, d->name) < 0 ||
            asprintf(&unit_path, "%s/%s", c->unit_dir, d->unit) < 0)
                return -ENOMEM;
        r = desired_add_file(c->state, d->settings_path, TAKE_PTR(json), 0600, d->name);
        if (r < 0)
                return r;
        r = desired_add_file(c->state, hosts_path, TAKE_PTR(hosts), 0644, d->name);
        if (r < 0)
                return r;
        return desired_add_file(c->state, unit_path, TAKE_PTR(unit), 0644, d->name);
}

static int add_path_file(DesiredContext *c, const char *dir, const char *name, char *content) {
        _cleanup_free_ char *path = path_join(dir, name);

        if (!path) {
                free(content);
                return -ENOMEM;
        }
        return desired_add_file(c->state, path, content, 0644, NULL);
}

static int project_files(DesiredContext *c) {
        _cleanup_free_ char *ipam = name_ipam_path(c->name), *target = NULL, *link = NULL;
        int r;

        if (!ipam)
                return -ENOMEM;
        r = add_path_file(c, c->settings_dir, "project.json", desired_project_json(c));
        if (r < 0)
                return r;
        r = desired_add_file(c->state, ipam, desired_ipam_json(c), 0644, NULL);
        if (r < 0)
                return r;
        /* after project.json: its hash goes into the network unit */
        r = add_path_file(c, c->unit_dir, c->network_unit, desired_network_unit(c));
        if (r < 0)
                return r;
        r = add_path_file(c, c->unit_dir, c->target_unit, desired_target_unit(c));
        if (r < 0)
                return r;
        target = path_join(c->unit_dir, c->target_unit);
        if (!target || asprintf(&link, "%s/multi-user.target.wants/%s", c->unit_dir, c->target_unit) < 0)
                return -ENOMEM;
        return desired_add_symlink(c->state, link, target);
}

static int cmp_file(const void *a, const void *b) {
        return strcmp(((const DesiredFile *) a)->path, ((const DesiredFile *) b)->path);
}

static int context_init(DesiredContext *c, const ComposeProject *p, const DesiredOptions *o, NcError *reterr) {
        int r;

        c->project = p;
        c->options = o;
        c->services = compose_map_get(p->model, "services");
        c->name = p->name;
        r = name_project_check(c->name, reterr);
        if (r < 0)
                return r;
        c->settings_dir = name_settings_dir(c->name, o->runtime);
        c->unit_dir = strdup(name_unit_dir(o->runtime));
        c->target_unit = name_target_unit(c->name);
        c->network_unit = name_network_unit(c->name);
        if (!c->settings_dir || !c->unit_dir || !c->target_unit || !c->network_unit)
                return -ENOMEM;
        if (o->ipam_json) {
                c->previous = json_tokener_parse(o->ipam_json);
                if (!c->previous)       /* a broken file only costs stable addresses: start over */
                        c->previous = json_object_new_object();
        }
        c->state = calloc(1, sizeof *c->state);
        if (!c->state || !(c->state->project = strdup(c->name)))
                return -ENOMEM;
        return 0;
}

static int problems_take(DesiredContext *c, NcError *reterr) {
        DesiredProblems pr;
        int r;

        r = desired_check_project(c->project, &pr);
        if (r < 0)
                return r;
        c->state->warnings = pr.warnings;
        if (pr.errors) {
                size_t n = strv_length(pr.errors);

                strv_free(pr.errors);
                if (reterr && !reterr->error) {
                        *reterr = pr.first;
                        if (n > 1)
                                snprintf(reterr->message + strlen(reterr->message),
                                         sizeof reterr->message - strlen(reterr->message), " (and %zu more)", n - 1);
                }
                return pr.first.error;
        }
        return 0;
}

int desired_render(const ComposeProject *p, const DesiredOptions *o, DesiredState **ret, NcError *reterr) {
        static const DesiredOptions defaults = {};
        _cleanup_(desired_context_done) DesiredContext c = {};
        int r;

        assert(p);
        assert(ret);

        r = context_init(&c, p, o ?: &defaults, reterr);
        if (r < 0)
                return r;
        r = problems_take(&c, reterr);
        if (r < 0)
                return r;
        r = services_init(&c, reterr);
        if (r < 0)
                return r;
        r = network_modes(&c, reterr);
        if (r < 0)
                return r;
        r = dependencies(&c, reterr);
        if (r < 0)
                return r;
        r = desired_networks(&c, reterr);
        if (r < 0)
                return r;
        r = desired_addresses(&c, reterr);
        if (r < 0)
                return r;
        r = desired_ports(&c, reterr);
        if (r < 0)
                return r;
        r = desired_secret_files(&c, reterr);
        if (r < 0)
                return r;
        r = desired_credentials(&c, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c.state->n_services; i++) {
                r = service_files(&c, i, reterr);
                if (r < 0)
                        return r;
        }
        r = project_files(&c);
        if (r < 0)
                return r;
        qsort(c.state->files, c.state->n_files, sizeof *c.state->files, cmp_file);
        *ret = TAKE_PTR(c.state);
        return 0;
}
