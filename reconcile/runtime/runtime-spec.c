/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <inttypes.h>

#include "healthd/health.h"
#include "lib/fileio.h"
#include "lib/strv.h"
#include "reconcile/names.h"
#include "reconcile/runtime/runtime-internal.h"

/* S.json as docs/runtime.md describes it. Unknown keys are ignored (a newer renderer may add
 * some); a known key of the wrong type is an error naming it. */

static void mount_done(ServiceMount *m) {
        free(m->type);
        free(m->source);
        free(m->credential);
        free(m->target);
        free(m->options);
}

static void network_done(ServiceNetwork *n) {
        free(n->name);
        free(n->bridge);
        free(n->veth);
        free(n->address);
        free(n->gateway);
        free(n->ipv6_address);
        free(n->ipv6_gateway);
        strv_free(n->aliases);
}

static void hook_done(ServiceHook *h) {
        strv_free(h->command);
        free(h->user);
        free(h->working_dir);
        strv_free(h->environment);
}

ServiceSpec *service_spec_free(ServiceSpec *s) {
        if (!s)
                return NULL;
        free(s->project);
        free(s->service);
        free(s->machine);
        free(s->hash);
        free(s->image);
        free(s->image_digest);
        strv_free(s->entrypoint);
        strv_free(s->command);
        strv_free(s->environment);
        free(s->working_dir);
        free(s->user);
        free(s->hostname);
        strv_free(s->cap_add);
        strv_free(s->cap_drop);
        strv_free(s->sysctls);
        for (size_t i = 0; i < s->n_ulimits; i++)
                free(s->ulimits[i].name);
        free(s->ulimits);
        free(s->stop_signal);
        for (size_t i = 0; i < s->n_mounts; i++)
                mount_done(&s->mounts[i]);
        free(s->mounts);
        for (size_t i = 0; i < s->n_networks; i++)
                network_done(&s->networks[i]);
        free(s->networks);
        free(s->netns);
        free(s->netns_of);
        free(s->hosts_file);
        strv_free(s->dns);
        strv_free(s->dns_search);
        strv_free(s->extra_hosts);
        health_config_free(s->healthcheck);
        free(s->on_unhealthy);
        health_config_free(s->probe);
        for (size_t i = 0; i < s->n_post_start; i++)
                hook_done(&s->post_start[i]);
        free(s->post_start);
        for (size_t i = 0; i < s->n_pre_stop; i++)
                hook_done(&s->pre_stop[i]);
        free(s->pre_stop);
        free(s);
        return NULL;
}

/* "uid"/"gid" as compose writes them (numeric strings), "mode" a number: a secret or config. */
static int parse_id_string(struct json_object *o, const char *key, unsigned *ret, NcError *reterr) {
        _cleanup_free_ char *v = NULL;
        char *end;
        unsigned long n;
        int r;

        r = rt_json_string(o, key, "S.json: mounts[]", &v, reterr);
        if (r < 0 || !v)
                return r;
        errno = 0;
        n = strtoul(v, &end, 10);
        if (!isdigit((unsigned char) v[0]) || *end || errno || n >= UINT32_MAX)
                return nc_error_set(reterr, -EINVAL, "S.json: mounts[]: '%s' must be a number, not '%s'", key, v);
        *ret = (unsigned) n;
        return 1;
}

static int parse_mount_owner(struct json_object *o, ServiceMount *m, NcError *reterr) {
        unsigned uid = 0, gid = 0;
        int64_t mode = -1;
        int r, u, g;

        u = parse_id_string(o, "uid", &uid, reterr);
        if (u < 0)
                return u;
        g = parse_id_string(o, "gid", &gid, reterr);
        if (g < 0)
                return g;
        r = rt_json_int64(o, "mode", "S.json: mounts[]", &mode, reterr);
        if (r < 0)
                return r;
        if (mode > 07777)
                return nc_error_set(reterr, -EINVAL, "S.json: mounts[]: mode %" PRIi64 " is out of range", mode);
        if (u == 0 && g == 0 && mode < 0)
                return 0;
        if (!streq(m->type, "bind"))
                return nc_error_set(reterr, -EINVAL, "S.json: mounts[]: uid, gid and mode are for bind mounts");
        m->copy = true;
        m->uid = uid;
        m->gid = gid;
        m->mode = mode >= 0 ? (mode_t) mode : 0444;
        return 0;
}

static int parse_mount(struct json_object *o, ServiceMount *m, NcError *reterr) {
        const char *w = "S.json: mounts[]";
        int r;

        if (!json_object_is_type(o, json_type_object))
                return nc_error_set(reterr, -EINVAL, "%s: expected an object", w);
        r = rt_json_string(o, "type", w, &m->type, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(o, "source", w, &m->source, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(o, "target", w, &m->target, reterr);
        if (r < 0)
                return r;
        r = rt_json_bool(o, "read_only", w, &m->read_only, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(o, "options", w, &m->options, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(o, "credential", w, &m->credential, reterr);
        if (r < 0)
                return r;
        if (!m->type || (!streq(m->type, "bind") && !streq(m->type, "volume") && !streq(m->type, "tmpfs") &&
                         !streq(m->type, "shm")))
                return nc_error_set(reterr, -EINVAL, "%s: 'type' must be bind, volume, tmpfs or shm", w);
        if (streq(m->type, "shm") && !streq_ptr(m->target, "/dev/shm"))
                return nc_error_set(reterr, -EINVAL, "%s: an shm mount is of /dev/shm", w);
        if (!m->target || m->target[0] != '/')
                return nc_error_set(reterr, -EINVAL, "%s: 'target' must be an absolute path", w);
        if (m->source && m->source[0] != '/')
                return nc_error_set(reterr, -EINVAL, "%s: 'source' '%s' must be an absolute path", w, m->source);
        if (m->credential && (!streq(m->type, "bind") || m->source || !name_credential_valid(m->credential)))
                return nc_error_set(reterr, -EINVAL, "%s: credential '%s' must be a name, of a bind mount without "
                                    "a source", w, m->credential);
        if (streq(m->type, "bind") && !m->source && !m->credential)
                return nc_error_set(reterr, -EINVAL, "%s: bind mount of '%s' has no source", w, m->target);
        r = parse_mount_owner(o, m, reterr);
        if (r >= 0 && m->credential && !m->copy) {      /* a credential is always a copy: root's, 0444 */
                m->copy = true;
                m->mode = 0444;
        }
        return r;
}

static int parse_network(struct json_object *o, ServiceNetwork *n, NcError *reterr) {
        const char *w = "S.json: networks[]";
        int r;

        if (!json_object_is_type(o, json_type_object))
                return nc_error_set(reterr, -EINVAL, "%s: expected an object", w);
        r = rt_json_string(o, "name", w, &n->name, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(o, "bridge", w, &n->bridge, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(o, "veth", w, &n->veth, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(o, "address", w, &n->address, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(o, "gateway", w, &n->gateway, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(o, "ipv6_address", w, &n->ipv6_address, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(o, "ipv6_gateway", w, &n->ipv6_gateway, reterr);
        if (r < 0)
                return r;
        r = rt_json_strv(o, "aliases", w, &n->aliases, reterr);
        if (r < 0)
                return r;
        if (!n->name || !n->bridge || !n->veth || !n->address)
                return nc_error_set(reterr, -EINVAL, "%s: 'name', 'bridge', 'veth' and 'address' are required", w);
        if (!strchr(n->address, '/'))
                return nc_error_set(reterr, -EINVAL, "%s: address '%s' needs a prefix length", w, n->address);
        return 0;
}

/* Parses the array @key into @n elements of @size bytes each with @parse. */
static int parse_array(struct json_object *o, const char *key, size_t size,
                       int (*parse)(struct json_object *e, void *item, NcError *reterr),
                       void **ret, size_t *ret_n, NcError *reterr) {
        struct json_object *a = NULL;
        size_t n;
        int r;

        r = rt_json_array(o, key, "S.json", &a, reterr);
        if (r < 0 || !a)
                return r;
        n = json_object_array_length(a);
        *ret = calloc(n ?: 1, size);
        if (!*ret)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                *ret_n = i + 1;         /* counted before parsing, so a half-filled item is freed too */
                r = parse(json_object_array_get_idx(a, i), (char*) *ret + i * size, reterr);
                if (r < 0)
                        return r;
        }
        *ret_n = n;
        return 0;
}

static int parse_mount_v(struct json_object *e, void *item, NcError *reterr) {
        return parse_mount(e, item, reterr);
}

static int parse_network_v(struct json_object *e, void *item, NcError *reterr) {
        return parse_network(e, item, reterr);
}

static int parse_hook_v(struct json_object *e, void *item, NcError *reterr) {
        const char *w = "S.json: hooks[]";
        ServiceHook *h = item;
        int r;

        if (!json_object_is_type(e, json_type_object))
                return nc_error_set(reterr, -EINVAL, "%s: expected an object", w);
        r = rt_json_strv(e, "command", w, &h->command, reterr);
        if (r >= 0)
                r = rt_json_string(e, "user", w, &h->user, reterr);
        if (r >= 0)
                r = rt_json_string(e, "working_dir", w, &h->working_dir, reterr);
        if (r >= 0)
                r = rt_json_strv(e, "environment", w, &h->environment, reterr);
        if (r < 0)
                return r;
        if (strv_length(h->command) == 0)
                return nc_error_set(reterr, -EINVAL, "%s: 'command' must not be empty", w);
        if (h->working_dir && h->working_dir[0] != '/')
                return nc_error_set(reterr, -EINVAL, "%s: 'working_dir' must be an absolute path", w);
        return 0;
}

/* {"nofile": {"soft": 1, "hard": 2}} or {"nproc": 65535} (soft = hard). */
static int parse_ulimits(struct json_object *o, ServiceSpec *s, NcError *reterr) {
        const char *w = "S.json: ulimits";
        struct json_object *u = NULL;
        int r;

        r = rt_json_object(o, "ulimits", "S.json", &u, reterr);
        if (r < 0 || !u)
                return r;
        s->ulimits = calloc(json_object_object_length(u) ?: 1, sizeof(ServiceUlimit));
        if (!s->ulimits)
                return -ENOMEM;
        json_object_object_foreach(u, k, v) {
                ServiceUlimit *l = &s->ulimits[s->n_ulimits++];

                l->name = strdup(k);
                if (!l->name)
                        return -ENOMEM;
                if (json_object_is_type(v, json_type_int))
                        l->soft = l->hard = json_object_get_int64(v);
                else if (json_object_is_type(v, json_type_object)) {
                        l->soft = l->hard = -2;
                        r = rt_json_int64(v, "soft", w, &l->soft, reterr);
                        if (r < 0)
                                return r;
                        r = rt_json_int64(v, "hard", w, &l->hard, reterr);
                        if (r < 0)
                                return r;
                } else
                        return nc_error_set(reterr, -EINVAL, "%s: '%s' must be a number or {soft, hard}", w, k);
                if (l->soft < -1 || l->hard < -1 || (l->hard != -1 && (l->soft == -1 || l->soft > l->hard)))
                        return nc_error_set(reterr, -EINVAL, "%s: '%s' needs soft <= hard (-1 = unlimited)", w, k);
        }
        return 0;
}

static int parse_healthcheck(struct json_object *o, ServiceSpec *s, NcError *reterr) {
        static const RtHealthKeys keys = {
                "test", "interval_usec", "timeout_usec", "start_period_usec", "start_interval_usec", "retries", 1,
        };
        const char *w = "S.json: healthcheck";
        _cleanup_(health_config_freep) HealthConfig *h = NULL;
        _cleanup_strv_free_ char **test = NULL;
        struct json_object *hc = NULL;
        int r;

        r = rt_json_object(o, "healthcheck", "S.json", &hc, reterr);
        if (r < 0 || !hc)
                return r;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        r = rt_healthcheck_read(hc, &keys, w, h, &test, reterr);
        if (r < 0)
                return r;
        /* null or absent: the image's test with these timings, as docker merges them */
        if (test && strv_length(test) == 0)
                return nc_error_set(reterr, -EINVAL, "%s: 'test' must not be empty", w);
        if (test) {
                r = health_config_set_test(h, test, reterr);
                if (r < 0)
                        return r;
        }
        s->healthcheck_image_test = !test;
        s->healthcheck = TAKE_PTR(h);
        return 0;
}

/* An HTTP request target as RFC 3986 allows it in origin form: "/" path characters (unreserved,
 * sub-delims, ':', '@', '/', %HH) and an optional "?" query of those and '?'. Nothing else: the path
 * goes onto the request line, where CR, LF or a space would add lines of the author's choosing. */
static bool http_path_valid(const char *p) {
        for (; *p; p++)
                if (*p == '%') {
                        if (!isxdigit((unsigned char) p[1]) || !isxdigit((unsigned char) p[2]))
                                return false;
                        p += 2;
                } else if (!isalnum((unsigned char) *p) && !strchr("-._~!$&'()*+,;=:@/?", *p))
                        return false;
        return true;
}

/* {"type": "tcp"|"http", "port": N, "path": "/…"|null, "address": "IP"|null} */
static int parse_probe(struct json_object *x, ServiceSpec *s, NcError *reterr) {
        const char *w = "S.json: x-nspawn-compose.probe";
        _cleanup_(health_config_freep) HealthConfig *p = NULL;
        _cleanup_free_ char *type = NULL;
        struct json_object *o = NULL;
        int64_t port = 0;
        int r;

        r = rt_json_object(x, "probe", "S.json: x-nspawn-compose", &o, reterr);
        if (r < 0 || !o)
                return r;
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        r = rt_json_string(o, "type", w, &type, reterr);
        if (r < 0)
                return r;
        r = rt_json_int64(o, "port", w, &port, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(o, "path", w, &p->http_path, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(o, "address", w, &p->address, reterr);
        if (r < 0)
                return r;
        if (streq_ptr(type, "tcp"))
                p->type = HEALTH_TEST_TCP;
        else if (streq_ptr(type, "http"))
                p->type = HEALTH_TEST_HTTP;
        else
                return nc_error_set(reterr, -EINVAL, "%s: 'type' must be \"tcp\" or \"http\"", w);
        if (port < 1 || port > 65535)
                return nc_error_set(reterr, -EINVAL, "%s: 'port' must be 1…65535", w);
        if (p->http_path && p->http_path[0] != '/')
                return nc_error_set(reterr, -EINVAL, "%s: 'path' must start with '/'", w);
        if (p->http_path && !http_path_valid(p->http_path))
                return nc_error_set(reterr, -EINVAL, "%s: 'path' may hold only URI path and query characters "
                                    "(RFC 3986; no spaces or control characters, %%-encode others)", w);
        p->port = (uint16_t) port;
        s->probe = TAKE_PTR(p);
        return 0;
}

static int parse_extension(struct json_object *o, ServiceSpec *s, NcError *reterr) {
        const char *w = "S.json: x-nspawn-compose";
        struct json_object *x = NULL;
        int r;

        r = rt_json_object(o, "x-nspawn-compose", "S.json", &x, reterr);
        if (r < 0 || !x)
                return r;
        r = rt_json_string(x, "on_unhealthy", w, &s->on_unhealthy, reterr);
        if (r < 0)
                return r;
        if (s->on_unhealthy && !streq(s->on_unhealthy, "restart"))
                return nc_error_set(reterr, -EINVAL, "%s: 'on_unhealthy' must be \"restart\" or null", w);
        return parse_probe(x, s, reterr);
}

typedef struct StringField {
        const char *key;
        size_t offset;
        bool required;
} StringField;

#define STRING_FIELD(k, field, req) { k, offsetof(ServiceSpec, field), req }

static const StringField string_fields[] = {
        STRING_FIELD("project",      project,      true),
        STRING_FIELD("service",      service,      true),
        STRING_FIELD("machine",      machine,      true),
        STRING_FIELD("hash",         hash,         false),
        STRING_FIELD("image",        image,        true),
        STRING_FIELD("image_digest", image_digest, false),
        STRING_FIELD("working_dir",  working_dir,  false),
        STRING_FIELD("user",         user,         false),
        STRING_FIELD("hostname",     hostname,     false),
        STRING_FIELD("stop_signal",  stop_signal,  false),
        STRING_FIELD("netns",        netns,        false),
        STRING_FIELD("netns_of",     netns_of,     false),
        STRING_FIELD("hosts_file",   hosts_file,   false),
};

typedef struct StrvField {
        const char *key;
        size_t offset;
        bool map;                       /* {"k": "v"} read as "k=v" */
} StrvField;

#define STRV_FIELD(k, field, m) { k, offsetof(ServiceSpec, field), m }

static const StrvField strv_fields[] = {
        STRV_FIELD("entrypoint",  entrypoint,  false),
        STRV_FIELD("command",     command,     false),
        STRV_FIELD("environment", environment, false),
        STRV_FIELD("cap_add",     cap_add,     false),
        STRV_FIELD("cap_drop",    cap_drop,    false),
        STRV_FIELD("sysctls",     sysctls,     true),
        STRV_FIELD("dns",         dns,         false),
        STRV_FIELD("dns_search",  dns_search,  false),
        STRV_FIELD("extra_hosts", extra_hosts, false),
};

static int parse_scalars(struct json_object *o, ServiceSpec *s, NcError *reterr) {
        struct json_object *v = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(string_fields); i++) {
                char **p = (char**) ((char*) s + string_fields[i].offset);

                r = rt_json_string(o, string_fields[i].key, "S.json", p, reterr);
                if (r < 0)
                        return r;
                if (string_fields[i].required && isempty(*p))
                        return nc_error_set(reterr, -EINVAL, "S.json: '%s' is required",
                                            string_fields[i].key);
        }
        for (size_t i = 0; i < ELEMENTSOF(strv_fields); i++) {
                char ***p = (char***) ((char*) s + strv_fields[i].offset);

                r = (strv_fields[i].map ? rt_json_strmap : rt_json_strv)(o, strv_fields[i].key, "S.json", p, reterr);
                if (r < 0)
                        return r;
        }
        r = rt_json_bool(o, "init", "S.json", &s->init, reterr);
        if (r < 0)
                return r;
        r = rt_json_bool(o, "privileged", "S.json", &s->privileged, reterr);
        if (r < 0)
                return r;
        r = rt_json_bool(o, "read_only", "S.json", &s->read_only, reterr);
        if (r < 0)
                return r;
        r = rt_json_bool(o, "host_network", "S.json", &s->host_network, reterr);
        if (r < 0)
                return r;
        r = rt_json_bool(o, "no_new_privileges", "S.json", &s->no_new_privileges, reterr);
        if (r < 0)
                return r;
        if (json_object_object_get_ex(o, "oom_score_adj", &v) && v) {
                int64_t adj = 0;

                r = rt_json_int64(o, "oom_score_adj", "S.json", &adj, reterr);
                if (r < 0)
                        return r;
                if (adj < -1000 || adj > 1000)
                        return nc_error_set(reterr, -EINVAL, "S.json: 'oom_score_adj' must be in [-1000, 1000]");
                s->has_oom_score_adj = true;
                s->oom_score_adj = (int) adj;
        }
        return rt_json_uint64(o, "stop_grace_period_usec", "S.json", &s->stop_grace_period_usec, reterr);
}

static int check_spec(ServiceSpec *s, NcError *reterr) {
        if (!isempty(s->image_digest) && !rt_digest_hex(s->image_digest))
                return nc_error_set(reterr, -EINVAL, "S.json: 'image_digest' '%s' is not a sha256 digest",
                                    s->image_digest);
        if (s->working_dir && s->working_dir[0] != '/')
                return nc_error_set(reterr, -EINVAL, "S.json: 'working_dir' must be an absolute path");
        STRV_FOREACH(e, s->sysctls)
                if (strchr(*e, '/'))
                        return nc_error_set(reterr, -EINVAL, "S.json: sysctl '%s' is not a dotted name", *e);
        if (isempty(s->netns))
                s->netns = mfree(s->netns);
        if (s->host_network && (s->netns || s->n_networks > 0))
                return nc_error_set(reterr, -EINVAL, "S.json: 'host_network' takes no 'netns' and no 'networks'");
        if (s->netns_of && (!s->netns || s->n_networks > 0))
                return nc_error_set(reterr, -EINVAL, "S.json: 'netns_of' takes a 'netns' and no 'networks'");
        if (!s->stop_signal && !(s->stop_signal = strdup("SIGTERM")))
                return -ENOMEM;
        if (!s->hostname && !(s->hostname = strdup(s->service)))
                return -ENOMEM;
        return 0;
}

/* Everything of S.json; the messages it leaves name no file. */
static int parse_spec(const char *json, ServiceSpec *s, NcError *reterr) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        int r;

        r = rt_json_parse(json, "S.json", &o, reterr);
        if (r < 0)
                return r;
        r = parse_scalars(o, s, reterr);
        if (r < 0)
                return r;
        r = parse_array(o, "mounts", sizeof(ServiceMount), parse_mount_v, (void**) &s->mounts,
                        &s->n_mounts, reterr);
        if (r < 0)
                return r;
        r = parse_array(o, "networks", sizeof(ServiceNetwork), parse_network_v, (void**) &s->networks,
                        &s->n_networks, reterr);
        if (r < 0)
                return r;
        r = parse_array(o, "post_start", sizeof(ServiceHook), parse_hook_v, (void**) &s->post_start,
                        &s->n_post_start, reterr);
        if (r < 0)
                return r;
        r = parse_array(o, "pre_stop", sizeof(ServiceHook), parse_hook_v, (void**) &s->pre_stop,
                        &s->n_pre_stop, reterr);
        if (r < 0)
                return r;
        r = parse_ulimits(o, s, reterr);
        if (r < 0)
                return r;
        r = parse_healthcheck(o, s, reterr);
        if (r < 0)
                return r;
        r = parse_extension(o, s, reterr);
        if (r < 0)
                return r;
        return check_spec(s, reterr);
}

int service_spec_parse(const char *json, const char *path, ServiceSpec **ret, NcError *reterr) {
        _cleanup_(service_spec_freep) ServiceSpec *s = NULL;
        NcError e = {};
        int r;

        assert(json);
        assert(ret);

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->stop_grace_period_usec = 10 * 1000000ULL;
        r = parse_spec(json, s, &e);
        if (r < 0) {
                if (e.error)
                        (void) nc_error_set_at(reterr, r, path, 0, 0, "%s", e.message);
                return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

int service_spec_load(const char *path, ServiceSpec **ret, NcError *reterr) {
        _cleanup_free_ char *text = NULL;
        int r;

        assert(path);
        assert(ret);

        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return nc_error_set_at(reterr, r, path, 0, 0, "%m");
        return service_spec_parse(text, path, ret, reterr);
}

static json_object *strv_to_json(char **l) {
        json_object *a = json_object_new_array();

        STRV_FOREACH(s, l)
                json_object_array_add(a, json_object_new_string(*s));
        return a;
}

int service_spec_override(const char *json, const ServiceSpecOverride *o, char **ret, NcError *reterr) {
        _cleanup_(json_object_putp) struct json_object *root = NULL;
        struct json_object *nets = NULL, *env = NULL, *x = NULL;
        size_t n;
        int r;

        assert(json);
        assert(o);
        assert(ret);

        r = rt_json_parse(json, "S.json", &root, reterr);
        if (r < 0)
                return r;
        if (!json_object_is_type(root, json_type_object))
                return nc_error_set(reterr, -EINVAL, "S.json: not an object");
        json_object_object_add(root, "service", json_object_new_string(o->service));
        json_object_object_add(root, "machine", json_object_new_string(o->machine));
        if (o->netns)           /* NULL: the service's own setting (another's namespace, or the host's) */
                json_object_object_add(root, "netns", json_object_new_string(o->netns));
        if (o->entrypoint)
                json_object_object_add(root, "entrypoint", strv_to_json(o->entrypoint));
        if (o->command)
                json_object_object_add(root, "command", strv_to_json(o->command));
        if (o->user)
                json_object_object_add(root, "user", json_object_new_string(o->user));
        if (o->working_dir)
                json_object_object_add(root, "working_dir", json_object_new_string(o->working_dir));
        if (o->environment) {
                if (!json_object_object_get_ex(root, "environment", &env) || !json_object_is_type(env, json_type_array)) {
                        env = json_object_new_array();
                        json_object_object_add(root, "environment", env);
                }
                STRV_FOREACH(e, o->environment)
                        json_object_array_add(env, json_object_new_string(*e));
        }
        if (json_object_object_get_ex(root, "x-nspawn-compose", &x) && json_object_is_type(x, json_type_object))
                json_object_object_del(x, "on_unhealthy");
        if (json_object_object_get_ex(root, "networks", &nets) && json_object_is_type(nets, json_type_array)) {
                n = json_object_array_length(nets);
                if (strv_length(o->veths) != n || strv_length(o->addresses) != n)
                        return nc_error_set(reterr, -EINVAL, "S.json: %zu networks, %zu addresses given", n,
                                            strv_length(o->addresses));
                for (size_t i = 0; i < n; i++) {
                        struct json_object *net = json_object_array_get_idx(nets, i);

                        if (!json_object_is_type(net, json_type_object))
                                return nc_error_set(reterr, -EINVAL, "S.json: networks[%zu] is not an object", i);
                        json_object_object_add(net, "veth", json_object_new_string(o->veths[i]));
                        json_object_object_add(net, "address", json_object_new_string(o->addresses[i]));
                        json_object_object_del(net, "ipv6_address");
                        json_object_object_del(net, "ipv6_gateway");
                        json_object_object_del(net, "aliases");
                }
        }
        *ret = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        return *ret ? 0 : -ENOMEM;
}
