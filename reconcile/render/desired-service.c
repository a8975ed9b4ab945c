/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <inttypes.h>

#include "healthd/health.h"
#include "reconcile/render/desired-internal.h"
#include "reconcile/runtime/runtime.h"

json_object *desired_node_to_json(const ComposeNode *n) {
        json_object *o;
        int64_t v;

        if (!n)
                return NULL;
        switch (n->type) {
        case COMPOSE_NODE_BOOL:
                return json_object_new_boolean(streq(n->scalar, "true"));
        case COMPOSE_NODE_INT:
                return compose_node_int(n, &v) >= 0 ? json_object_new_int64(v) : json_object_new_string(n->scalar);
        case COMPOSE_NODE_FLOAT:
        case COMPOSE_NODE_STRING:
                return json_object_new_string(n->scalar);
        case COMPOSE_NODE_MAP:
                o = json_object_new_object();
                COMPOSE_MAP_FOREACH(i, n)
                        json_object_object_add(o, n->keys[i]->scalar, desired_node_to_json(n->items[i]));
                return o;
        case COMPOSE_NODE_SEQ:
                o = json_object_new_array();
                COMPOSE_SEQ_FOREACH(i, n)
                        json_object_array_add(o, desired_node_to_json(n->items[i]));
                return o;
        case COMPOSE_NODE_NULL:
        case _COMPOSE_NODE_TYPE_MAX:
        case _COMPOSE_NODE_TYPE_INVALID:
                break;
        }
        return NULL;
}

/* A SEQ of scalars as a JSON string array; a single scalar as a one-element array. */
static json_object *strings_json(const ComposeNode *n) {
        json_object *a = json_object_new_array();

        if (compose_node_is_scalar(n))
                json_object_array_add(a, json_object_new_string(n->scalar));
        COMPOSE_SEQ_FOREACH(i, n)
                if (compose_node_str(n->items[i]))
                        json_object_array_add(a, json_object_new_string(compose_node_str(n->items[i])));
        return a;
}

/* entrypoint/command: null (from the image) or a list. */
static json_object *argv_json(const ComposeNode *n) {
        return n && n->type != COMPOSE_NODE_NULL ? strings_json(n) : NULL;
}

/* environment as "K=V" in compose order; K: null (unset) is left out, as docker does. */
static json_object *environment_json(const ComposeNode *env) {
        json_object *a = json_object_new_array();

        COMPOSE_MAP_FOREACH(i, env) {
                _cleanup_free_ char *kv = NULL;
                const char *v = compose_node_str(env->items[i]);

                if (v && asprintf(&kv, "%s=%s", env->keys[i]->scalar, v) >= 0)
                        json_object_array_add(a, json_object_new_string(kv));
        }
        COMPOSE_SEQ_FOREACH(i, env)
                if (compose_node_str(env->items[i]) && strchr(compose_node_str(env->items[i]), '='))
                        json_object_array_add(a, json_object_new_string(compose_node_str(env->items[i])));
        return a;
}

/* Map of string values; a list of "k=v" is accepted too. */
static json_object *string_map_json(const ComposeNode *m) {
        json_object *o = json_object_new_object();

        COMPOSE_MAP_FOREACH(i, m)
                json_object_object_add(o, m->keys[i]->scalar,
                                       json_object_new_string(strempty(compose_node_str(m->items[i]))));
        COMPOSE_SEQ_FOREACH(i, m) {
                const char *s = compose_node_str(m->items[i]), *eq = s ? strchr(s, '=') : NULL;
                _cleanup_free_ char *k = eq ? strndup(s, eq - s) : NULL;

                if (k)
                        json_object_object_add(o, k, json_object_new_string(eq + 1));
        }
        return o;
}

static json_object *ulimits_json(const ComposeNode *m) {
        json_object *o = json_object_new_object();

        COMPOSE_MAP_FOREACH(i, m) {
                const ComposeNode *v = m->items[i];
                json_object *l = json_object_new_object();
                int64_t soft = 0, hard = 0;

                if (compose_node_int(v, &soft) >= 0)
                        hard = soft;
                else {
                        (void) compose_node_int(compose_map_get(v, "soft"), &soft);
                        (void) compose_node_int(compose_map_get(v, "hard"), &hard);
                }
                json_object_object_add(l, "soft", json_object_new_int64(soft));
                json_object_object_add(l, "hard", json_object_new_int64(hard));
                json_object_object_add(o, m->keys[i]->scalar, l);
        }
        return o;
}

/* A byte count as compose writes it ("512m", 536870912, -1); -1 stays -1. */
static int limit_bytes(const ComposeNode *n, const char *path, const char *key, int64_t *ret, NcError *reterr) {
        const char *s = compose_node_str(n);

        if (!n)
                return 0;
        if (streq_ptr(s, "-1")) {
                *ret = -1;
                return 0;
        }
        if (!s || parse_size(s, ret) < 0)
                return compose_node_error(n, reterr, -EINVAL, path, "invalid %s '%s'", key, strempty(s));
        return 0;
}

/* docker: memswap_limit is memory plus swap; unset means as much swap as memory, -1 unlimited. */
static int limits_swap(const ComposeNode *svc, const char *path, DesiredLimits *l, NcError *reterr) {
        const ComposeNode *n = compose_map_get(svc, "memswap_limit");
        int64_t total = 0;
        int r;

        r = limit_bytes(n, path, "memswap_limit", &total, reterr);
        if (r < 0)
                return r;
        if (total != 0 && l->memory == 0)
                return compose_node_error(n, reterr, -EINVAL, path, "memswap_limit needs mem_limit");
        if (l->memory == 0)
                return 0;
        l->has_swap = true;
        if (total < 0)
                l->swap = UINT64_MAX;
        else if (total == 0)
                l->swap = l->memory;
        else if ((uint64_t) total < l->memory)
                return compose_node_error(n, reterr, -EINVAL, path, "memswap_limit is below mem_limit");
        else
                l->swap = (uint64_t) total - l->memory;
        return 0;
}

/* runc's conversions of cgroup v1 values to v2's: cpu.shares [2, 262144] to cpu.weight [1, 10000],
 * blkio.weight [10, 1000] to io.weight [1, 10000]. */
static uint64_t cpu_weight_from_shares(uint64_t shares) {
        return 1 + ((shares - 2) * 9999) / 262142;
}

static uint64_t io_weight_from_blkio(uint64_t weight) {
        return 1 + ((weight - 10) * 9999) / 990;
}

static const struct {
        const char *key, *directive;
        const char *value;              /* "rate" | "weight" */
} blkio_lists[] = {
        { "weight_device",     "IODeviceWeight",      "weight" },
        { "device_read_bps",   "IOReadBandwidthMax",  "rate" },
        { "device_write_bps",  "IOWriteBandwidthMax", "rate" },
        { "device_read_iops",  "IOReadIOPSMax",       "rate" },
        { "device_write_iops", "IOWriteIOPSMax",      "rate" },
};

/* A blkio_config value: a weight in [10, 1000], or a rate (bytes: "1mb" or a number; IOPS: a number). */
static int blkio_value(const ComposeNode *n, const char *kind, const char *path, uint64_t *ret, NcError *reterr) {
        int64_t v = -1;

        if (streq(kind, "weight")) {
                if (compose_node_int(n, &v) < 0 || v < 10 || v > 1000)
                        return compose_node_error(n, reterr, -EINVAL, path, "weight must be in [10, 1000]");
        } else if (compose_node_int(n, &v) < 0 && (!compose_node_str(n) || parse_size(compose_node_str(n), &v) < 0))
                return compose_node_error(n, reterr, -EINVAL, path, "invalid rate '%s'", strempty(compose_node_str(n)));
        if (v <= 0)
                return compose_node_error(n, reterr, -EINVAL, path, "a rate must be positive");
        *ret = streq(kind, "weight") ? io_weight_from_blkio(v) : (uint64_t) v;
        return 0;
}

static int blkio_check(const ComposeNode *svc, const char *path, DesiredLimits *l, NcError *reterr) {
        const ComposeNode *blkio = compose_map_get(svc, "blkio_config"), *w = compose_map_get(blkio, "weight");
        char p[512];
        uint64_t v;
        int r;

        if (w) {
                snprintf(p, sizeof p, "%s.blkio_config.weight", path);
                r = blkio_value(w, "weight", p, &l->io_weight, reterr);
                if (r < 0)
                        return r;
        }
        for (size_t k = 0; k < ELEMENTSOF(blkio_lists); k++) {
                const ComposeNode *list = compose_map_get(blkio, blkio_lists[k].key);

                COMPOSE_SEQ_FOREACH(j, list) {
                        const ComposeNode *e = list->items[j];

                        snprintf(p, sizeof p, "%s.blkio_config.%s[%zu]", path, blkio_lists[k].key, j);
                        if (!desired_device_path_ok(compose_map_get_str(e, "path")))
                                return compose_node_error(e, reterr, -EINVAL, p, "'path' must be a device under /dev");
                        r = blkio_value(compose_map_get(e, streq(blkio_lists[k].value, "weight") ? "weight" : "rate"),
                                        blkio_lists[k].value, p, &v, reterr);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

void desired_blkio_lines(const ComposeNode *svc, StrBuf *b) {
        const ComposeNode *blkio = compose_map_get(svc, "blkio_config");

        for (size_t k = 0; k < ELEMENTSOF(blkio_lists); k++) {
                const ComposeNode *list = compose_map_get(blkio, blkio_lists[k].key);

                COMPOSE_SEQ_FOREACH(j, list) {
                        const ComposeNode *e = list->items[j];
                        uint64_t v;

                        if (blkio_value(compose_map_get(e, streq(blkio_lists[k].value, "weight") ? "weight" : "rate"),
                                        blkio_lists[k].value, "", &v, NULL) >= 0)
                                strbuf_printf(b, "%s=%s %" PRIu64 "\n", blkio_lists[k].directive,
                                              compose_map_get_str(e, "path"), v);
                }
        }
}

static int cpu_knobs(const ComposeNode *svc, const char *path, DesiredLimits *l, NcError *reterr) {
        const ComposeNode *shares = compose_map_get(svc, "cpu_shares"), *cpuset = compose_map_get(svc, "cpuset");
        int64_t v;

        if (shares) {
                if (compose_node_int(shares, &v) < 0 || v < 0 || v > 262144)
                        return compose_node_error(shares, reterr, -EINVAL, path, "cpu_shares must be in [0, 262144]");
                if (v > 0)      /* 0: the default, as docker */
                        l->cpu_weight = cpu_weight_from_shares(v < 2 ? 2 : (uint64_t) v);
        }
        if (cpuset) {
                const char *c = compose_node_str(cpuset);

                if (isempty(c) || strspn(c, "0123456789,-") != strlen(c) || !isdigit((unsigned char) c[0]))
                        return compose_node_error(cpuset, reterr, -EINVAL, path, "invalid cpuset '%s': CPU numbers "
                                                  "and ranges, as 0-3,5", strempty(c));
                l->cpuset = c;
        }
        return 0;
}

int desired_service_limits(const ComposeNode *svc, const char *path, DesiredLimits *ret, NcError *reterr) {
        const ComposeNode *lim = compose_map_get(compose_map_get(compose_map_get(svc, "deploy"), "resources"), "limits");
        const ComposeNode *mem = compose_map_get(svc, "mem_limit") ?: compose_map_get(lim, "memory");
        const ComposeNode *cpus = compose_map_get(svc, "cpus") ?: compose_map_get(lim, "cpus");
        const ComposeNode *pids = compose_map_get(svc, "pids_limit") ?: compose_map_get(lim, "pids");
        const ComposeNode *res = compose_map_get(compose_map_get(compose_map_get(svc, "deploy"), "resources"),
                                                 "reservations");
        DesiredLimits l = {};
        int64_t memory = 0;
        char *end = NULL;
        double v = 0;
        int r;

        r = limit_bytes(mem, path, "memory limit", &memory, reterr);
        if (r < 0)
                return r;
        l.memory = memory > 0 ? (uint64_t) memory : 0;          /* 0 and -1: no limit */
        r = limits_swap(svc, path, &l, reterr);
        if (r < 0)
                return r;
        if (cpus) {
                errno = 0;
                v = strtod(strempty(compose_node_str(cpus)), &end);
                if (errno || !end || *end || end == compose_node_str(cpus) || v < 0 || v > 100000)
                        return compose_node_error(cpus, reterr, -EINVAL, path, "invalid cpus '%s'",
                                                  strempty(compose_node_str(cpus)));
                l.cpus = compose_node_str(cpus);
                l.cpu_permyriad = (uint64_t) (v * 10000 + 0.5);
                if (v > 0 && l.cpu_permyriad == 0)
                        l.cpu_permyriad = 1;    /* the smallest quota systemd takes */
        }
        if (pids && compose_node_int(pids, &l.pids) < 0)
                return compose_node_error(pids, reterr, -EINVAL, path, "invalid pids limit '%s'",
                                          strempty(compose_node_str(pids)));
        memory = 0;
        r = limit_bytes(compose_map_get(svc, "mem_reservation") ?: compose_map_get(res, "memory"), path,
                        "memory reservation", &memory, reterr);
        if (r < 0)
                return r;
        l.memory_low = memory > 0 ? (uint64_t) memory : 0;
        r = cpu_knobs(svc, path, &l, reterr);
        if (r < 0)
                return r;
        r = blkio_check(svc, path, &l, reterr);
        if (r < 0)
                return r;
        *ret = l;
        return 0;
}

static int limits_json(const ComposeNode *svc, const char *path, json_object **ret, NcError *reterr) {
        json_object *o;
        DesiredLimits l;
        int r;

        r = desired_service_limits(svc, path, &l, reterr);
        if (r < 0)
                return r;
        o = json_object_new_object();
        json_object_object_add(o, "memory", l.memory > 0 ? json_object_new_int64((int64_t) l.memory) : NULL);
        json_object_object_add(o, "cpus", l.cpu_permyriad > 0 ? json_object_new_string(l.cpus) : NULL);
        json_object_object_add(o, "pids", l.pids > 0 ? json_object_new_int64(l.pids) : NULL);
        *ret = o;
        return 0;
}

static int duration_field(const ComposeNode *m, const char *key, uint64_t def, const char *path, uint64_t *ret,
                          NcError *reterr) {
        const ComposeNode *n = compose_map_get(m, key);

        *ret = def;
        if (!n || parse_go_duration_usec(compose_node_str(n) ?: "", ret) >= 0)
                return 0;
        return compose_node_error(n, reterr, -EINVAL, path, "%s: invalid duration '%s'", key,
                                  strempty(compose_node_str(n)));
}

/* Unset timings and retries are written as healthd's defaults (the docker engine's). */
static int healthcheck_json(const ComposeNode *hc, const char *path, json_object **ret, NcError *reterr) {
        static const struct { const char *key; uint64_t def; } d[] = {
                { "interval", HEALTH_DEFAULT_INTERVAL_USEC }, { "timeout", HEALTH_DEFAULT_TIMEOUT_USEC },
                { "start_period", HEALTH_DEFAULT_START_PERIOD_USEC },
                { "start_interval", HEALTH_DEFAULT_START_INTERVAL_USEC },
        };
        _cleanup_(json_object_putp) json_object *o = NULL;
        const ComposeNode *test = compose_map_get(hc, "test");
        int64_t retries = HEALTH_DEFAULT_RETRIES;
        int r;

        *ret = NULL;
        if (!hc)
                return 0;
        o = json_object_new_object();
        if (compose_map_get_bool(hc, "disable", false))
                json_object_object_add(o, "test", strings_json(&(ComposeNode) { .type = COMPOSE_NODE_STRING,
                                                                                .scalar = (char *) "NONE" }));
        else
                json_object_object_add(o, "test",
                                       test && test->type == COMPOSE_NODE_SEQ ? strings_json(test) : NULL);
        for (size_t i = 0; i < ELEMENTSOF(d); i++) {
                char key[64];
                uint64_t v;

                r = duration_field(hc, d[i].key, d[i].def, path, &v, reterr);
                if (r < 0)
                        return r;
                snprintf(key, sizeof key, "%s_usec", d[i].key);
                json_object_object_add(o, key, json_object_new_int64(v));
                if (i == 1) {   /* runtime.md order: retries after timeout */
                        (void) compose_node_int(compose_map_get(hc, "retries"), &retries);
                        json_object_object_add(o, "retries", json_object_new_int64(retries));
                }
        }
        *ret = TAKE_PTR(o);
        return 0;
}

static json_object *networks_json(DesiredContext *c, size_t s) {
        json_object *a = json_object_new_array();

        for (size_t k = 0; k < c->units[s].n_attach; k++) {
                const DesiredAttach *at = &c->units[s].attach[k];
                const DesiredNetwork *net = &c->state->networks[at->network];
                _cleanup_free_ char *veth = name_veth(c->name, c->units[s].name, net->name), *cidr = NULL, *cidr6 = NULL;
                _cleanup_free_ char *addr = desired_ipv4_format(at->address);
                json_object *o = json_object_new_object(), *aliases = json_object_new_array();

                if (asprintf(&cidr, "%s/%u", strempty(addr), c->nets[at->network].prefix) < 0)
                        cidr = NULL;
                STRV_FOREACH(al, at->aliases)
                        json_object_array_add(aliases, json_object_new_string(*al));
                json_object_object_add(o, "name", json_object_new_string(net->name));
                json_object_object_add(o, "bridge", json_object_new_string(net->bridge));
                json_object_object_add(o, "veth", json_object_new_string(strempty(veth)));
                json_object_object_add(o, "address", json_object_new_string(strempty(cidr)));
                json_object_object_add(o, "gateway", json_object_new_string(net->gateway));
                /* With its prefix, like "address": the wrapper configures it as given. */
                if (at->ipv6_address && net->ipv6_subnet && strchr(net->ipv6_subnet, '/') &&
                    asprintf(&cidr6, "%s%s", at->ipv6_address, strchr(net->ipv6_subnet, '/')) < 0)
                        cidr6 = NULL;
                json_object_object_add(o, "ipv6_address", desired_json_str(cidr6));
                json_object_object_add(o, "ipv6_gateway", desired_json_str(net->ipv6_gateway));
                json_object_object_add(o, "internal", json_object_new_boolean(net->internal));
                json_object_object_add(o, "aliases", aliases);
                json_object_array_add(a, o);
        }
        return a;
}

/* extra_hosts: "name=ip" (compose ≥ 2.24), "name:ip" or a map name → ip | [ip…]; out as "name:ip". */
static json_object *extra_hosts_json(const ComposeNode *n) {
        json_object *a = json_object_new_array();

        COMPOSE_SEQ_FOREACH(i, n) {
                const char *s = compose_node_str(n->items[i]), *sep;
                _cleanup_free_ char *e = NULL;

                if (!s || !((sep = strchr(s, '=')) || (sep = strchr(s, ':'))))
                        continue;
                if (asprintf(&e, "%.*s:%s", (int) (sep - s), s, sep + 1) >= 0)
                        json_object_array_add(a, json_object_new_string(e));
        }
        COMPOSE_MAP_FOREACH(i, n) {
                const ComposeNode *v = n->items[i];
                size_t m = v->type == COMPOSE_NODE_SEQ ? v->n_items : 1;

                for (size_t j = 0; j < m; j++) {
                        const char *ip = compose_node_str(v->type == COMPOSE_NODE_SEQ ? v->items[j] : v);
                        _cleanup_free_ char *e = NULL;

                        if (ip && asprintf(&e, "%s:%s", n->keys[i]->scalar, ip) >= 0)
                                json_object_array_add(a, json_object_new_string(e));
                }
        }
        return a;
}

static json_object *stop_signal_json(const ComposeNode *svc) {
        const char *s = compose_map_get_str(svc, "stop_signal");
        _cleanup_free_ char *t = NULL;

        if (!s)
                return json_object_new_string("SIGTERM");
        if (startswith(s, "SIG") || isdigit((unsigned char) *s) || asprintf(&t, "SIG%s", s) < 0)
                return json_object_new_string(s);
        return json_object_new_string(t);
}

static void add_bools(json_object *o, const ComposeNode *svc) {
        static const char *const keys[] = { "init", "privileged", "read_only" };
        const ComposeNode *opts = compose_map_get(svc, "security_opt");
        bool nnp = false;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                json_object_object_add(o, keys[i], json_object_new_boolean(compose_map_get_bool(svc, keys[i], false)));
        COMPOSE_SEQ_FOREACH(k, opts) {
                int r = desired_security_opt(compose_node_str(opts->items[k]));

                if (r >= 0)
                        nnp = r > 0;
        }
        if (nnp)
                json_object_object_add(o, "no_new_privileges", json_object_new_boolean(true));
}

/* post_start / pre_stop: [{command, user, working_dir, environment}] (privileged is warned about by
 * desired_check_project(): a hook has the service's privileges). Absent when there are none. */
static int hooks_json(const ComposeNode *svc, const char *key, const char *path, json_object *o, NcError *reterr) {
        const ComposeNode *hooks = compose_map_get(svc, key);
        json_object *a;
        char p[512];

        if (!hooks || hooks->type != COMPOSE_NODE_SEQ || hooks->n_items == 0)
                return 0;
        a = json_object_new_array();
        json_object_object_add(o, key, a);
        COMPOSE_SEQ_FOREACH(i, hooks) {
                const ComposeNode *h = hooks->items[i], *cmd = compose_map_get(h, "command");
                const char *wd = compose_map_get_str(h, "working_dir");
                json_object *e;

                snprintf(p, sizeof p, "%s.%s[%zu]", path, key, i);
                if (!cmd || cmd->type != COMPOSE_NODE_SEQ || cmd->n_items == 0)
                        return compose_node_error(h, reterr, -EINVAL, p, "a hook needs a command");
                if (wd && wd[0] != '/')
                        return compose_node_error(h, reterr, -EINVAL, p, "working_dir must be an absolute path");
                e = json_object_new_object();
                json_object_array_add(a, e);
                json_object_object_add(e, "command", strings_json(cmd));
                json_object_object_add(e, "user", desired_json_str(compose_map_get_str(h, "user")));
                json_object_object_add(e, "working_dir", desired_json_str(wd));
                json_object_object_add(e, "environment", environment_json(compose_map_get(h, "environment")));
        }
        return 0;
}

/* oom_score_adj: [-1000, 1000], as the kernel takes it. */
static int oom_score_adj_json(const ComposeNode *svc, const char *path, json_object *o, NcError *reterr) {
        const ComposeNode *n = compose_map_get(svc, "oom_score_adj");
        int64_t v;

        if (!n)
                return 0;
        if (compose_node_int(n, &v) < 0 || v < -1000 || v > 1000)
                return compose_node_error(n, reterr, -EINVAL, path, "oom_score_adj must be in [-1000, 1000]");
        json_object_object_add(o, "oom_score_adj", json_object_new_int64(v));
        return 0;
}

static json_object *extension_json(const ComposeNode *svc) {
        const ComposeNode *x = compose_map_get(svc, "x-nspawn-compose");
        json_object *o = desired_node_to_json(x);

        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                o = json_object_new_object();
        }
        if (!json_object_object_get_ex(o, "on_unhealthy", NULL))
                json_object_object_add(o, "on_unhealthy", NULL);
        if (!json_object_object_get_ex(o, "probe", NULL))
                json_object_object_add(o, "probe", NULL);
        return o;
}

static void add_identity(DesiredContext *c, size_t i, const char *hash, json_object *o) {
        const DesiredService *d = &c->state->services[i];
        const ComposeNode *svc = c->units[i].node;
        _cleanup_free_ char *hostname = name_default_hostname(d->name, d->machine);

        json_object_object_add(o, "managed-by", json_object_new_string("nspawn-compose"));
        json_object_object_add(o, "project", json_object_new_string(c->name));
        json_object_object_add(o, "service", json_object_new_string(d->name));
        json_object_object_add(o, "machine", json_object_new_string(d->machine));
        json_object_object_add(o, "hash", json_object_new_string(hash));
        json_object_object_add(o, "image", json_object_new_string(strempty(d->image)));
        json_object_object_add(o, "image_digest", json_object_new_string(strempty(d->image_digest)));
        json_object_object_add(o, "entrypoint", argv_json(compose_map_get(svc, "entrypoint")));
        json_object_object_add(o, "command", argv_json(compose_map_get(svc, "command")));
        json_object_object_add(o, "environment", environment_json(compose_map_get(svc, "environment")));
        json_object_object_add(o, "working_dir", desired_json_str(compose_map_get_str(svc, "working_dir")));
        json_object_object_add(o, "user", desired_json_str(compose_map_get_str(svc, "user")));
        json_object_object_add(o, "hostname",
                               json_object_new_string(compose_map_get_str(svc, "hostname") ?: strempty(hostname)));
        add_bools(o, svc);
        json_object_object_add(o, "cap_add", strings_json(compose_map_get(svc, "cap_add")));
        json_object_object_add(o, "cap_drop", strings_json(compose_map_get(svc, "cap_drop")));
        json_object_object_add(o, "sysctls", string_map_json(compose_map_get(svc, "sysctls")));
        json_object_object_add(o, "ulimits", ulimits_json(compose_map_get(svc, "ulimits")));
}

/* In another service's network namespace (network_mode service:/container:), a service has that
 * one's network settings as a docker container has: hostname, hosts file, DNS; on the host's
 * (network_mode: host), no namespace of ours. */
static void add_network_settings(DesiredContext *c, size_t i, json_object *o) {
        ssize_t owner = c->units[i].netns_owner;
        size_t net = owner >= 0 ? (size_t) owner : i;
        const ComposeNode *svc = c->units[net].node;
        _cleanup_free_ char *netns = NULL, *hosts = NULL;

        if (!c->units[i].host_network)
                netns = name_netns(c->name, c->units[net].name);
        if (asprintf(&hosts, "%s/%s.hosts", c->settings_dir, c->units[net].name) < 0)
                hosts = NULL;
        if (owner >= 0) {
                json_object_object_add(o, "netns_of", json_object_new_string(c->units[owner].name));
                _cleanup_free_ char *hostname = name_default_hostname(c->units[owner].name,
                                                                      c->state->services[owner].machine);

                json_object_object_add(o, "hostname", json_object_new_string(compose_map_get_str(svc, "hostname") ?:
                                                                            strempty(hostname)));
        }
        if (c->units[i].host_network)
                json_object_object_add(o, "host_network", json_object_new_boolean(true));
        json_object_object_add(o, "networks", networks_json(c, i));
        json_object_object_add(o, "netns", json_object_new_string(strempty(netns)));
        json_object_object_add(o, "hosts_file", json_object_new_string(strempty(hosts)));
        json_object_object_add(o, "dns", strings_json(compose_map_get(svc, "dns")));
        json_object_object_add(o, "dns_search", strings_json(compose_map_get(svc, "dns_search")));
        json_object_object_add(o, "extra_hosts", extra_hosts_json(compose_map_get(svc, "extra_hosts")));
}

/* The healthcheck and x-nspawn-compose carry the user's values (a probe is passed through as
 * written): read them with run-service's own S.json parser, so that what it would reject fails
 * render rather than the service's start. */
static int check_health_settings(const ComposeNode *svc, const char *path, json_object *hc, json_object *x,
                                 NcError *reterr) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(service_spec_freep) ServiceSpec *spec = NULL;
        NcError e = {};
        int r;

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "project", json_object_new_string("p"));
        json_object_object_add(o, "service", json_object_new_string("s"));
        json_object_object_add(o, "machine", json_object_new_string("m"));
        json_object_object_add(o, "image", json_object_new_string("i"));
        json_object_object_add(o, "healthcheck", json_object_get(hc));
        json_object_object_add(o, "x-nspawn-compose", json_object_get(x));
        r = service_spec_parse(json_object_to_json_string(o), NULL, &spec, &e);
        if (r == -ENOMEM || !e.error)
                return r;
        return compose_node_error(svc, reterr, r, path, "run-service would reject it: %s", e.message);
}

int desired_service_json(DesiredContext *c, size_t i, const char *hash, char **ret, NcError *reterr) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *mounts = json_object_new_array();
        const ComposeNode *svc = c->units[i].node;
        json_object *limits, *hc, *x;
        char path[300];
        uint64_t grace;
        int r;

        if (!o || !mounts)
                return -ENOMEM;
        snprintf(path, sizeof path, "services.%s", c->units[i].compose_name);
        add_identity(c, i, hash, o);
        r = limits_json(svc, path, &limits, reterr);
        if (r < 0)
                return r;
        json_object_object_add(o, "limits", limits);
        r = oom_score_adj_json(svc, path, o, reterr);
        if (r < 0)
                return r;
        r = hooks_json(svc, "post_start", path, o, reterr);
        if (r < 0)
                return r;
        r = hooks_json(svc, "pre_stop", path, o, reterr);
        if (r < 0)
                return r;
        json_object_object_add(o, "stop_signal", stop_signal_json(svc));
        r = duration_field(svc, "stop_grace_period", 10 * USEC_PER_SEC, path, &grace, reterr);
        if (r < 0)
                return r;
        json_object_object_add(o, "stop_grace_period_usec", json_object_new_int64(grace));
        r = desired_service_mounts(c, i, mounts, reterr);
        if (r < 0)
                return r;
        json_object_object_add(o, "mounts", TAKE_PTR(mounts));
        add_network_settings(c, i, o);
        snprintf(path, sizeof path, "services.%s.healthcheck", c->units[i].compose_name);
        r = healthcheck_json(compose_map_get(svc, "healthcheck"), path, &hc, reterr);
        if (r < 0)
                return r;
        json_object_object_add(o, "healthcheck", hc);
        x = extension_json(svc);
        json_object_object_add(o, "x-nspawn-compose", x);
        snprintf(path, sizeof path, "services.%s", c->units[i].compose_name);
        r = check_health_settings(svc, path, hc, x, reterr);
        if (r < 0)
                return r;
        *ret = desired_json_text(o);
        return *ret ? 0 : -ENOMEM;
}
