/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "reconcile/render/desired-internal.h"

/* What render does with each service key compose knows. Keys used by render are USE; keys without
 * a run-time effect for a machine (metadata, build-time, CLI behaviour) are QUIET; the rest are
 * ignored with a warning. Keys absent from the table are unknown (a newer compose): warned about. */
typedef enum KeyAction {
        KEY_USE,
        KEY_QUIET,
        KEY_WARN,
} KeyAction;

static const struct {
        const char *key;
        KeyAction action;
} service_keys[] = {
        { "annotations", KEY_QUIET },   { "attach", KEY_QUIET },        { "blkio_config", KEY_USE },
        { "build", KEY_USE },           { "cap_add", KEY_USE },         { "cap_drop", KEY_USE },
        { "cgroup", KEY_WARN },         { "cgroup_parent", KEY_WARN },  { "command", KEY_USE },
        { "configs", KEY_USE },         { "container_name", KEY_USE }, { "cpu_count", KEY_WARN },
        { "cpu_percent", KEY_WARN },    { "cpu_period", KEY_WARN },     { "cpu_quota", KEY_WARN },
        { "cpu_rt_period", KEY_WARN },  { "cpu_rt_runtime", KEY_WARN }, { "cpu_shares", KEY_USE },
        { "cpus", KEY_USE },            { "cpuset", KEY_USE },         { "credential_spec", KEY_WARN },
        { "depends_on", KEY_USE },      { "deploy", KEY_USE },          { "develop", KEY_QUIET },
        { "device_cgroup_rules", KEY_WARN }, { "devices", KEY_USE },   { "dns", KEY_USE },
        { "dns_opt", KEY_WARN },        { "dns_search", KEY_USE },     { "domainname", KEY_WARN },
        { "entrypoint", KEY_USE },      { "env_file", KEY_USE },        { "environment", KEY_USE },
        { "expose", KEY_QUIET },        { "extends", KEY_QUIET },       { "external_links", KEY_WARN },
        { "extra_hosts", KEY_USE },     { "gpus", KEY_WARN },           { "group_add", KEY_WARN },
        { "healthcheck", KEY_USE },     { "hostname", KEY_USE },        { "image", KEY_USE },
        { "init", KEY_USE },            { "ipc", KEY_USE },             { "isolation", KEY_WARN },
        { "label_file", KEY_QUIET },    { "labels", KEY_QUIET },        { "links", KEY_QUIET },
        { "logging", KEY_WARN },        { "mac_address", KEY_WARN },    { "mem_limit", KEY_USE },
        { "mem_reservation", KEY_USE }, { "mem_swappiness", KEY_WARN }, { "memswap_limit", KEY_USE },
        { "models", KEY_WARN },         { "network_mode", KEY_USE },    { "networks", KEY_USE },
        { "oom_kill_disable", KEY_WARN }, { "oom_score_adj", KEY_USE }, { "pid", KEY_USE },
        { "pids_limit", KEY_USE },      { "platform", KEY_QUIET },      { "ports", KEY_USE },
        { "post_start", KEY_USE },     { "pre_stop", KEY_USE },       { "privileged", KEY_USE },
        { "profiles", KEY_QUIET },      { "provider", KEY_WARN },       { "pull_policy", KEY_QUIET },
        { "read_only", KEY_USE },       { "restart", KEY_USE },         { "runtime", KEY_WARN },
        { "scale", KEY_USE },           { "secrets", KEY_USE },         { "security_opt", KEY_USE },
        { "shm_size", KEY_USE },       { "stdin_open", KEY_QUIET },    { "stop_grace_period", KEY_USE },
        { "stop_signal", KEY_USE },     { "storage_opt", KEY_WARN },    { "sysctls", KEY_USE },
        { "tmpfs", KEY_USE },           { "tty", KEY_QUIET },           { "ulimits", KEY_USE },
        { "use_api_socket", KEY_WARN }, { "user", KEY_USE },            { "userns_mode", KEY_WARN },
        { "uts", KEY_WARN },            { "volumes", KEY_USE },         { "volumes_from", KEY_USE },
        { "working_dir", KEY_USE },
};

typedef struct Checker {
        DesiredProblems *out;
        int r;                          /* first allocation failure */
} Checker;

static void problem(Checker *k, bool error, const ComposeNode *n, const char *path, const char *fmt, ...)
        _printf_(5, 6);
static void problem(Checker *k, bool error, const ComposeNode *n, const char *path, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL, *text = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        text = msg ? desired_format_at(n, path, "%s", msg) : NULL;
        if (!text || strv_extend(error ? &k->out->errors : &k->out->warnings, text) < 0) {
                k->r = -ENOMEM;
                return;
        }
        if (error)
                (void) compose_node_error(n, &k->out->first, -EOPNOTSUPP, path, "%s", msg);
}

static ssize_t service_key_index(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(service_keys); i++)
                if (streq(service_keys[i].key, key))
                        return i;
        return -ENOENT;
}

/* "host", "service:x", "container:x" share a namespace we cannot share between machines. */
/* @key's value must be one of @ok ("service:*" matches any value with that prefix). */
static void check_namespace_mode(Checker *k, const ComposeNode *svc, const char *key, const char *path,
                                 const char *const *ok) {
        const ComposeNode *n = compose_map_get(svc, key);
        const char *v = compose_node_str(n);
        char p[512];

        if (!n)
                return;
        for (; *ok; ok++)
                if (v && (endswith(*ok, "*") ? strncmp(v, *ok, strlen(*ok) - 1) == 0 : streq(v, *ok)))
                        return;
        snprintf(p, sizeof p, "%s.%s", path, key);
        problem(k, true, n, p, "'%s' is not supported: each service is its own machine", strempty(v));
}

/* build: keys buildah is given (runtime.h ImageBuildSpec, ImageBuildOptions), then those without an
 * equivalent there: ignored with a warning, since the image still builds without them. */
static const char *const build_used[] = {
        "context", "dockerfile", "dockerfile_inline", "args", "target", "labels", "no_cache", "pull",
        "extra_hosts", "network", "tags", NULL,
};

static void check_build(Checker *k, const ComposeNode *build, const char *path) {
        const char *context = compose_map_get_str(build, "context"), *net = compose_map_get_str(build, "network");
        char p[512];

        COMPOSE_MAP_FOREACH(i, build) {
                const char *key = build->keys[i]->scalar;

                if (strv_contains((char **) build_used, key) || startswith(key, "x-"))
                        continue;
                snprintf(p, sizeof p, "%s.%s", path, key);
                if (streq(key, "additional_contexts") || streq(key, "secrets") || streq(key, "ssh"))
                        problem(k, true, build->keys[i], p, "not supported: the build gets one local context");
                else
                        problem(k, false, build->keys[i], p, "not supported; ignored");
        }
        snprintf(p, sizeof p, "%s.context", path);
        if (!context || context[0] != '/')
                problem(k, true, compose_map_get(build, "context") ?: build, p,
                        "'%s': only a local directory can be a build context", strempty(context));
        snprintf(p, sizeof p, "%s.network", path);
        if (net && !streq(net, "default") && !streq(net, "host") && !streq(net, "none"))
                problem(k, true, compose_map_get(build, "network"), p,
                        "'%s' is not supported: a build has the host's network or none", net);
}

static void check_image(Checker *k, const ComposeNode *svc, const char *path) {
        const ComposeNode *build = compose_map_get(svc, "build");
        char p[512];

        snprintf(p, sizeof p, "%s.build", path);
        if (build)
                check_build(k, build, p);
        else if (isempty(compose_map_get_str(svc, "image")))
                problem(k, true, svc, path, "no 'image:' given");
}

static void check_replicas(Checker *k, const ComposeNode *n, const char *path) {
        uint64_t v;

        if (n && desired_node_uint(n, 0, DESIRED_REPLICAS_MAX, &v) < 0)
                problem(k, true, n, path, "replicas must be a count from 0 to %u", DESIRED_REPLICAS_MAX);
}

static void check_deploy(Checker *k, const ComposeNode *svc, const char *path) {
        const ComposeNode *d = compose_map_get(svc, "deploy"), *res = compose_map_get(d, "resources");
        char p[512];

        snprintf(p, sizeof p, "%s.scale", path);
        check_replicas(k, compose_map_get(svc, "scale"), p);
        snprintf(p, sizeof p, "%s.deploy.replicas", path);
        check_replicas(k, compose_map_get(d, "replicas"), p);
        if (streq_ptr(compose_map_get_str(d, "mode"), "global")) {
                snprintf(p, sizeof p, "%s.deploy.mode", path);
                problem(k, false, compose_map_get(d, "mode"), p, "ignored: runs as one machine");
        }
        COMPOSE_MAP_FOREACH(i, compose_map_get(res, "reservations")) {
                const ComposeNode *rv = compose_map_get(res, "reservations");

                if (streq(rv->keys[i]->scalar, "memory"))
                        continue;       /* MemoryLow= */
                snprintf(p, sizeof p, "%s.deploy.resources.reservations.%s", path, rv->keys[i]->scalar);
                problem(k, false, rv->items[i], p, "ignored: of the reservations only memory is applied");
        }
}

static void check_mounts(Checker *k, const ComposeNode *svc, const ComposeNode *model, const char *path) {
        const ComposeNode *vols = compose_map_get(svc, "volumes");
        char p[512];

        COMPOSE_SEQ_FOREACH(i, vols) {
                const ComposeNode *v = vols->items[i], *top;
                const char *type = compose_map_get_str(v, "type"), *driver;

                snprintf(p, sizeof p, "%s.volumes[%zu]", path, i);
                if (!type || (!streq(type, "bind") && !streq(type, "volume") && !streq(type, "tmpfs"))) {
                        problem(k, true, v, p, "mount type '%s' is not supported", strempty(type));
                        continue;
                }
                top = compose_map_get(compose_map_get(model, "volumes"), strempty(compose_map_get_str(v, "source")));
                driver = compose_map_get_str(top, "driver");
                if (streq(type, "volume") && driver && !streq(driver, "local"))
                        problem(k, false, v, p, "volume driver '%s' ignored: a local directory is used", driver);
        }
}

static void check_ports(Checker *k, const ComposeNode *svc, const char *path) {
        const ComposeNode *ports = compose_map_get(svc, "ports");
        char p[512];

        COMPOSE_SEQ_FOREACH(i, ports) {
                const char *proto = compose_map_get_str(ports->items[i], "protocol");

                snprintf(p, sizeof p, "%s.ports[%zu].protocol", path, i);
                if (proto && !streq(proto, "tcp") && !streq(proto, "udp"))
                        problem(k, true, ports->items[i], p, "protocol '%s' is not supported (tcp, udp)", proto);
        }
}

static void check_service_keys(Checker *k, const ComposeNode *svc, const char *path) {
        char p[512];

        COMPOSE_MAP_FOREACH(i, svc) {
                const char *key = svc->keys[i]->scalar;
                ssize_t j = service_key_index(key);

                if (startswith(key, "x-") || (j >= 0 && service_keys[j].action != KEY_WARN))
                        continue;
                snprintf(p, sizeof p, "%s.%s", path, key);
                problem(k, false, svc->keys[i], p, j >= 0 ? "not supported; ignored" : "unknown key; ignored");
        }
}

static void check_service(Checker *k, const ComposeNode *model, const char *name, const ComposeNode *svc) {
        static const char *const net_ok[] = { "bridge", "default", "none", "host", "service:*", "container:*", NULL };
        static const char *const ipc_ok[] = { "private", "shareable", "host", "service:*", "container:*", NULL };
        static const char *const none[] = { NULL };
        char path[300], p[512];

        snprintf(path, sizeof path, "services.%s", name);
        check_service_keys(k, svc, path);
        check_image(k, svc, path);
        check_namespace_mode(k, svc, "network_mode", path, net_ok);
        if (streq_ptr(compose_map_get_str(svc, "network_mode"), "host") && compose_map_get(svc, "ports")) {
                snprintf(p, sizeof p, "%s.ports", path);
                problem(k, false, compose_map_get(svc, "ports"), p,
                        "published ports are discarded when using host network mode");
        }
        check_namespace_mode(k, svc, "pid", path, none);
        check_namespace_mode(k, svc, "ipc", path, ipc_ok);
        for (const char *const *h = (const char *const[]) { "post_start", "pre_stop", NULL }; *h; h++)
                COMPOSE_SEQ_FOREACH(i, compose_map_get(svc, *h)) {
                        const ComposeNode *hook = compose_map_get(svc, *h)->items[i];

                        snprintf(p, sizeof p, "%s.%s[%zu].privileged", path, *h, i);
                        if (compose_map_get_bool(hook, "privileged", false))
                                problem(k, false, compose_map_get(hook, "privileged"), p,
                                        "ignored: a hook runs with the service's privileges");
                }
        COMPOSE_SEQ_FOREACH(i, compose_map_get(svc, "security_opt")) {
                const ComposeNode *o = compose_map_get(svc, "security_opt")->items[i];

                snprintf(p, sizeof p, "%s.security_opt[%zu]", path, i);
                if (desired_security_opt(compose_node_str(o)) < 0)
                        problem(k, false, o, p, "'%s' ignored: nspawn's own seccomp filter and confinement apply",
                                strempty(compose_node_str(o)));
        }
        if (compose_map_get(svc, "shm_size") && compose_map_get_str(svc, "ipc") &&
            !streq(compose_map_get_str(svc, "ipc"), "private")) {
                snprintf(p, sizeof p, "%s.shm_size", path);
                problem(k, false, compose_map_get(svc, "shm_size"), p, "ignored: a shared /dev/shm is a directory "
                        "of the host's /run");
        }
        check_deploy(k, svc, path);
        check_mounts(k, svc, model, path);
        check_ports(k, svc, path);
}

static void check_network(Checker *k, const char *name, const ComposeNode *net) {
        const char *driver = compose_map_get_str(net, "driver");
        const ComposeNode *ipam = compose_map_get(net, "ipam");
        char path[300];

        snprintf(path, sizeof path, "networks.%s", name);
        if (driver && (streq(driver, "host") || streq(driver, "none")))
                problem(k, true, net, path, "driver '%s' is not supported", driver);
        else if (driver && !streq(driver, "bridge"))
                problem(k, false, net, path, "driver '%s' ignored: a bridge is used", driver);
        if (compose_map_get_bool(net, "external", false))
                problem(k, false, net, path, "external network ignored: the project gets its own bridge");
        if (compose_map_get_str(ipam, "driver") && !streq(compose_map_get_str(ipam, "driver"), "default"))
                problem(k, false, ipam, path, "ipam driver ignored");
}

static void check_secret_like(Checker *k, const char *kind, const char *name, const ComposeNode *n) {
        char path[300];

        snprintf(path, sizeof path, "%s.%s", kind, name);
        if (compose_map_get_bool(n, "external", false))
                ;       /* from systemd's credential store: desired_credentials() */
        else if (!compose_map_get(n, "file") && !compose_map_get(n, "environment") && !compose_map_get(n, "content"))
                problem(k, true, n, path, "no source: give 'file:' or 'environment:'");
        if (compose_map_get(n, "driver") || compose_map_get(n, "template_driver"))
                problem(k, false, n, path, "driver ignored");
}

static void check_top_level(Checker *k, const ComposeNode *model) {
        static const char *const known[] = { "version", "name", "services", "networks", "volumes", "secrets",
                                             "configs", "include", NULL };

        COMPOSE_MAP_FOREACH(i, model) {
                const char *key = model->keys[i]->scalar;
                bool ok = startswith(key, "x-");

                for (const char *const *s = known; *s && !ok; s++)
                        ok = streq(*s, key);
                if (!ok)
                        problem(k, false, model->keys[i], key, "not supported; ignored");
        }
}

int desired_check_project(const ComposeProject *p, DesiredProblems *ret) {
        const ComposeNode *model = p->model, *services = compose_map_get(model, "services");
        const ComposeNode *nets = compose_map_get(model, "networks");
        DesiredProblems out = {};
        Checker k = { .out = &out };

        check_top_level(&k, model);
        COMPOSE_MAP_FOREACH(i, services)
                check_service(&k, model, services->keys[i]->scalar, services->items[i]);
        COMPOSE_MAP_FOREACH(i, nets)
                check_network(&k, nets->keys[i]->scalar, nets->items[i]);
        for (const char *const *kind = (const char *const[]) { "secrets", "configs", NULL }; *kind; kind++) {
                const ComposeNode *m = compose_map_get(model, *kind);

                COMPOSE_MAP_FOREACH(i, m)
                        check_secret_like(&k, *kind, m->keys[i]->scalar, m->items[i]);
        }
        if (k.r < 0) {
                strv_free(out.errors);
                strv_free(out.warnings);
                return k.r;
        }
        *ret = out;
        return 0;
}

int desired_check(const ComposeProject *p, char ***ret_errors, char ***ret_warnings) {
        DesiredProblems out;
        int r;

        r = desired_check_project(p, &out);
        if (r < 0)
                return r;
        *ret_errors = out.errors;
        *ret_warnings = out.warnings;
        return 0;
}
