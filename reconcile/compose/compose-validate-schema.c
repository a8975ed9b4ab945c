/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "lib/in-addr-util.h"
#include "reconcile/compose/compose-internal.h"
#include "lib/strv.h"

/* The schema check: the Compose Specification's JSON schema (compose-spec.json, draft-07) written
 * out as C tables, run on the merged, interpolated tree before normalization, so every raw
 * short/long form is still there and every node still has its mark. On top of the JSON schema it
 * checks the value syntaxes compose rejects at load time (ports, durations, sizes, booleans,
 * restart and pull policies), with the same parsers normalization uses (compose-parse.c).
 *
 * Messages follow docker compose's ("additional property X is not allowed", "must be a string or
 * number", "must be one of the following: ..."), prefixed with the key path of the offending node
 * and positioned at it (at the key itself for unknown keys). */

/* Node types a schema accepts: bits indexed by ComposeNodeType. */
enum {
        T_NULL   = 1 << COMPOSE_NODE_NULL,
        T_BOOL   = 1 << COMPOSE_NODE_BOOL,
        T_INT    = 1 << COMPOSE_NODE_INT,
        T_FLOAT  = 1 << COMPOSE_NODE_FLOAT,
        T_STRING = 1 << COMPOSE_NODE_STRING,
        T_MAP    = 1 << COMPOSE_NODE_MAP,
        T_SEQ    = 1 << COMPOSE_NODE_SEQ,
        T_NUMBER = T_INT | T_FLOAT,
};

typedef struct Path {
        char buf[512];
        size_t len;
} Path;

typedef struct Schema Schema;
typedef int (*SchemaCheck)(const ComposeNode *n, const char *path, NcError *reterr);

typedef struct SchemaKey {
        const char *name;
        const Schema *schema;
} SchemaKey;

struct Schema {
        unsigned types;
        /* MAP: the allowed keys ({} ends the list); x- keys are allowed too unless no_extensions.
         * Without keys, any key is allowed (restricted to [a-zA-Z0-9._-] with name_keys) and
         * each value must match @values (anything when NULL). */
        const SchemaKey *keys;
        bool no_extensions;
        bool name_keys;
        const Schema *values;
        const char *const *required;
        /* SEQ: each item must match @items (anything when NULL); unique: no two equal items. */
        const Schema *items;
        bool unique;
        /* Scalars: the allowed values (NULL ends the list). */
        const char *const *enum_values;
        /* Any node, after the checks above passed: further rules. */
        SchemaCheck check;
};

#define KEYS(...) ((const SchemaKey[]) { __VA_ARGS__, {} })
#define STRS(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define SCHEMA(...) (&(const Schema) { __VA_ARGS__ })

/* ---- value checks ------------------------------------------------------------------------- */

static int parse_error(const ComposeNode *n, const char *path, NcError *reterr, const NcError *e) {
        return compose_node_error(n, reterr, e->error ?: -EINVAL, path, "%s", e->message);
}

static int check_port(const ComposeNode *n, const char *path, NcError *reterr) {
        ComposePortSpec spec;
        NcError e = {};

        if (!compose_node_is_scalar(n))
                return 0;
        if (n->type == COMPOSE_NODE_FLOAT)
                return compose_node_error(n, reterr, -EINVAL, path, "invalid port \"%s\"", n->scalar);
        if (compose_parse_port_spec(n->scalar, &spec, &e) < 0)
                return parse_error(n, path, reterr, &e);
        return 0;
}

static int check_expose(const ComposeNode *n, const char *path, NcError *reterr) {
        ComposePortRange range;
        char proto[8];
        NcError e = {};

        if (compose_parse_expose(n->scalar, &range, proto, &e) < 0)
                return parse_error(n, path, reterr, &e);
        return 0;
}

/* Long syntax target: one port. */
static int check_port_number(const ComposeNode *n, const char *path, NcError *reterr) {
        ComposePortRange range;
        NcError e = {};

        if (compose_parse_port_range(n->scalar, strlen(n->scalar), &range, &e) < 0)
                return parse_error(n, path, reterr, &e);
        if (range.start != range.end)
                return compose_node_error(n, reterr, -EINVAL, path, "invalid port \"%s\"", n->scalar);
        return 0;
}

/* Long syntax published: a port or a range; empty means "not published". */
static int check_published(const ComposeNode *n, const char *path, NcError *reterr) {
        ComposePortRange range;
        NcError e = {};

        if (isempty(n->scalar))
                return 0;
        if (compose_parse_port_range(n->scalar, strlen(n->scalar), &range, &e) < 0)
                return parse_error(n, path, reterr, &e);
        return 0;
}

static int check_protocol(const ComposeNode *n, const char *path, NcError *reterr) {
        if (!compose_protocol_is_valid(n->scalar))
                return compose_node_error(n, reterr, -EINVAL, path, "invalid protocol \"%s\"", n->scalar);
        return 0;
}

static int check_host_ip(const ComposeNode *n, const char *path, NcError *reterr) {
        char ip[COMPOSE_HOST_IP_MAX];

        if (compose_parse_host_ip(n->scalar, strlen(n->scalar), ip, NULL) < 0)
                return compose_node_error(n, reterr, -EINVAL, path, "invalid IP address \"%s\"", n->scalar);
        return 0;
}

static int check_duration(const ComposeNode *n, const char *path, NcError *reterr) {
        int64_t nsec;
        NcError e = {};

        if (compose_parse_duration(n->scalar, &nsec, &e) < 0)
                return parse_error(n, path, reterr, &e);
        return 0;
}

static int check_size(const ComposeNode *n, const char *path, NcError *reterr) {
        int64_t bytes;
        NcError e = {};

        /* Numbers are byte counts; -1 means unlimited where compose allows it (memswap_limit). */
        if (n->type != COMPOSE_NODE_STRING || streq(n->scalar, "-1"))
                return 0;
        if (compose_parse_size(n->scalar, &bytes, &e) < 0)
                return parse_error(n, path, reterr, &e);
        return 0;
}

static int check_bool_string(const ComposeNode *n, const char *path, NcError *reterr) {
        bool b;

        if (n->type == COMPOSE_NODE_STRING && compose_parse_bool(n->scalar, &b) < 0)
                return compose_node_error(n, reterr, -EINVAL, path, "invalid boolean \"%s\"", n->scalar);
        return 0;
}

static int check_int_string(const ComposeNode *n, const char *path, NcError *reterr) {
        int64_t v;

        if (n->type == COMPOSE_NODE_STRING && compose_node_int(n, &v) < 0)
                return compose_node_error(n, reterr, -EINVAL, path, "invalid integer \"%s\"", n->scalar);
        return 0;
}

static int check_number_string(const ComposeNode *n, const char *path, NcError *reterr) {
        double v;

        if (n->type == COMPOSE_NODE_STRING && compose_parse_number(n->scalar, &v) < 0)
                return compose_node_error(n, reterr, -EINVAL, path, "invalid number \"%s\"", n->scalar);
        return 0;
}

static int check_oom_score_adj(const ComposeNode *n, const char *path, NcError *reterr) {
        int64_t v;

        if (compose_node_int(n, &v) < 0)
                return compose_node_error(n, reterr, -EINVAL, path, "invalid integer \"%s\"", n->scalar);
        if (v < -1000 || v > 1000)
                return compose_node_error(n, reterr, -ERANGE, path, "must be between -1000 and 1000");
        return 0;
}

static int check_restart(const ComposeNode *n, const char *path, NcError *reterr) {
        const char *s = n->scalar, *count;
        int64_t v;

        if (isempty(s) || streq(s, "no") || streq(s, "always") || streq(s, "unless-stopped") ||
            streq(s, "on-failure"))
                return 0;
        count = startswith(s, "on-failure:");
        if (count) {
                ComposeNode c = { .type = COMPOSE_NODE_STRING, .scalar = (char*) count };

                if (compose_node_int(&c, &v) >= 0 && v >= 0)
                        return 0;
        }
        return compose_node_error(n, reterr, -EINVAL, path,
                                  "invalid restart policy \"%s\": must be one of \"no\", \"always\", "
                                  "\"on-failure[:max-retries]\", \"unless-stopped\"", s);
}

static int check_pull_policy(const ComposeNode *n, const char *path, NcError *reterr) {
        static const char *const fixed[] = {
                "", "always", "never", "build", "if_not_present", "missing", "refresh", "daily", "weekly",
        };
        const char *every = startswith(n->scalar, "every_");
        int64_t nsec;

        for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
                if (streq(n->scalar, fixed[i]))
                        return 0;
        if (every && compose_parse_duration(every, &nsec, NULL) >= 0 && nsec > 0)
                return 0;
        return compose_node_error(n, reterr, -EINVAL, path,
                                  "invalid pull policy \"%s\": must be one of \"always\", \"never\", \"build\", "
                                  "\"missing\", \"refresh\", \"daily\", \"weekly\", \"every_<duration>\"", n->scalar);
}

/* @n must be one of @values. */
static int check_one_of(const ComposeNode *n, const char *path, const char *const *values, NcError *reterr) {
        StrBuf b = {};
        _cleanup_free_ char *list = NULL;

        for (const char *const *v = values; *v; v++)
                if (streq(n->scalar, *v))
                        return 0;
        for (const char *const *v = values; *v; v++)
                strbuf_printf(&b, "%s\"%s\"", v == values ? "" : ", ", *v);
        list = strbuf_steal(&b);
        if (!list)
                return -ENOMEM;
        return compose_node_error(n, reterr, -EINVAL, path, "must be one of the following: %s", list);
}

/* Deploy mode and endpoint mode may be empty (an unset variable): compose takes the default. */
static int check_enum_or_empty(const ComposeNode *n, const char *path, NcError *reterr,
                               const char *const *values) {
        return isempty(n->scalar) ? 0 : check_one_of(n, path, values, reterr);
}

static int check_deploy_mode(const ComposeNode *n, const char *path, NcError *reterr) {
        return check_enum_or_empty(n, path, reterr, STRS("replicated", "global", "replicated-job", "global-job"));
}

static int check_endpoint_mode(const ComposeNode *n, const char *path, NcError *reterr) {
        return check_enum_or_empty(n, path, reterr, STRS("vip", "dnsrr"));
}

static int check_healthcheck_test(const ComposeNode *n, const char *path, NcError *reterr) {
        const char *first;

        if (n->type != COMPOSE_NODE_SEQ || n->n_items == 0)
                return 0;
        first = compose_node_str(n->items[0]);
        if (!first || !(streq(first, "CMD") || streq(first, "CMD-SHELL") || streq(first, "NONE")))
                return compose_node_error(n->items[0], reterr, -EINVAL, path,
                                          "healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"");
        return 0;
}

static int check_service(const ComposeNode *n, const char *path, NcError *reterr) {
        const ComposeNode *mode = compose_map_get(n, "network_mode"), *nets = compose_map_get(n, "networks");

        if (mode && nets && nets->type != COMPOSE_NODE_NULL)
                return compose_node_error(mode, reterr, -EINVAL, path,
                                          "service declares mutually exclusive `network_mode` and `networks`");
        return 0;
}

static bool is_external(const ComposeNode *n) {
        const ComposeNode *e = compose_map_get(n, "external");
        bool b;

        if (!e)
                return false;
        if (e->type == COMPOSE_NODE_MAP)
                return true;
        return compose_node_is_scalar(e) && compose_parse_bool(e->scalar, &b) >= 0 && b;
}

static int check_secret(const ComposeNode *n, const char *path, NcError *reterr) {
        if (n->type != COMPOSE_NODE_MAP || is_external(n) || compose_map_get(n, "file") ||
            compose_map_get(n, "environment"))
                return 0;
        return compose_node_error(n, reterr, -EINVAL, path, "secret must declare either `file` or `environment`");
}

static int check_config(const ComposeNode *n, const char *path, NcError *reterr) {
        if (n->type != COMPOSE_NODE_MAP || is_external(n) || compose_map_get(n, "file") ||
            compose_map_get(n, "environment") || compose_map_get(n, "content"))
                return 0;
        return compose_node_error(n, reterr, -EINVAL, path,
                                  "config must declare either `file`, `environment` or `content`");
}

/* Names and addresses that end up as lines of /etc/hosts and resolv.conf: one that holds a newline
 * or a space would add lines of its own. docker compose passes them to the engine, which refuses a
 * bad dns ("IP address is not correctly formatted") and dns_search ("is not a valid domain"), and
 * takes any hostname or alias; we refuse those too (docs/compose-differences.md). */
static int check_dns_name(const ComposeNode *n, const char *path, NcError *reterr) {
        _cleanup_free_ char *q = NULL;

        if (!compose_node_is_scalar(n) || compose_dns_name_is_valid(n->scalar))
                return 0;
        q = cescape(n->scalar);
        return compose_node_error(n, reterr, -EINVAL, path, "\"%s\" is not a valid hostname", strempty(q));
}

static int check_dns_search(const ComposeNode *n, const char *path, NcError *reterr) {
        _cleanup_free_ char *q = NULL;

        /* "." is docker's "no search domain" */
        if (!compose_node_is_scalar(n) || streq(n->scalar, ".") || compose_dns_name_is_valid(n->scalar))
                return 0;
        q = cescape(n->scalar);
        return compose_node_error(n, reterr, -EINVAL, path, "%s is not a valid domain", strempty(q));
}

static int check_ip_address(const ComposeNode *n, const char *path, NcError *reterr) {
        if (!compose_node_is_scalar(n) || in_addr_from_string_auto(n->scalar, NULL, &(union in_addr_union) {}) >= 0)
                return 0;
        return compose_node_error(n, reterr, -EINVAL, path, "IP address is not correctly formatted: %s", n->scalar);
}

/* Top-level volumes: an explicit name, or the key of an external volume (which is its name), is a
 * directory of the volume store, so it must be a volume name as docker allows it. */
static int check_volume_name(const ComposeNode *n, const char *path, const char *name, NcError *reterr) {
        if (compose_volume_name_is_valid(name))
                return 0;
        return compose_node_error(n, reterr, -EINVAL, path,
                                  "\"%s\" includes invalid characters for a local volume name, only "
                                  "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed", name);
}

static bool is_external(const ComposeNode *n);

static int check_volumes(const ComposeNode *n, const char *path, NcError *reterr) {
        COMPOSE_MAP_FOREACH(i, n) {
                const ComposeNode *v = n->items[i], *name = compose_map_get(v, "name"), *ext;
                char child[512];
                int r = 0;

                snprintf(child, sizeof child, "%s.%s", path, n->keys[i]->scalar);
                ext = compose_map_get(v, "external");
                if (compose_node_is_scalar(name))
                        r = check_volume_name(name, child, name->scalar, reterr);
                else if (ext && ext->type == COMPOSE_NODE_MAP && compose_node_is_scalar(compose_map_get(ext, "name")))
                        r = check_volume_name(compose_map_get(ext, "name"), child,
                                              compose_map_get(ext, "name")->scalar, reterr);
                else if (is_external(v))
                        r = check_volume_name(n->keys[i], child, n->keys[i]->scalar, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- the tables (compose-spec.json definitions, in its order) ------------------------------- */

static const Schema string = { T_STRING };
static const Schema dns_name = { T_STRING, .check = check_dns_name };
static const Schema dns_names = { T_SEQ, .items = &dns_name, .unique = true };
static const Schema ip_address = { T_STRING, .check = check_ip_address };
static const Schema dns_search_domain = { T_STRING, .check = check_dns_search };
static const Schema boolean = { T_BOOL };
static const Schema number = { T_NUMBER };
static const Schema integer = { T_INT };
static const Schema anything = { ~0u };
static const Schema bool_or_string = { T_BOOL | T_STRING, .check = check_bool_string };
static const Schema bool_or_any_string = { T_BOOL | T_STRING };
static const Schema int_or_string = { T_INT | T_STRING, .check = check_int_string };
static const Schema number_or_string = { T_NUMBER | T_STRING, .check = check_number_string };
static const Schema number_or_any_string = { T_NUMBER | T_STRING };
static const Schema duration = { T_STRING, .check = check_duration };
static const Schema size = { T_NUMBER | T_STRING, .check = check_size };
static const Schema list_of_strings = { T_SEQ, .items = &string, .unique = true };
static const Schema string_list = { T_SEQ, .items = &string };
static const Schema string_or_list = { T_STRING | T_SEQ, .items = &string, .unique = true };
static const Schema command = { T_NULL | T_STRING | T_SEQ, .items = &string };
static const Schema list_or_dict = {
        T_MAP | T_SEQ, .values = SCHEMA(T_STRING | T_NUMBER | T_BOOL | T_NULL), .items = &string, .unique = true,
};
static const Schema options_map = { T_MAP, .values = SCHEMA(T_STRING | T_NUMBER) };
static const Schema extra_hosts = {
        T_MAP | T_SEQ, .values = SCHEMA(T_STRING | T_SEQ, .items = &string), .items = &string, .unique = true,
};

static const Schema service_hook = {
        T_MAP,
        .keys = KEYS({ "command", &command },
                     { "user", &string },
                     { "privileged", &bool_or_string },
                     { "working_dir", &string },
                     { "environment", &list_or_dict }),
        .required = STRS("command"),
};

static const Schema ulimits = {
        T_MAP,
        .values = SCHEMA(T_INT | T_STRING | T_MAP,
                         .keys = KEYS({ "hard", SCHEMA(T_INT | T_STRING) }, { "soft", SCHEMA(T_INT | T_STRING) }),
                         .required = STRS("soft", "hard")),
};

static const Schema config_or_secret_refs = {
        T_SEQ,
        .items = SCHEMA(T_STRING | T_MAP,
                        .keys = KEYS({ "source", &string },
                                     { "target", &string },
                                     { "uid", &string },
                                     { "gid", &string },
                                     { "mode", &number_or_any_string })),
};

static const Schema device_requests = {
        T_SEQ,
        .items = SCHEMA(T_MAP,
                        .keys = KEYS({ "capabilities", &list_of_strings },
                                     { "count", &int_or_string },
                                     { "device_ids", &list_of_strings },
                                     { "driver", &string },
                                     { "options", &list_or_dict })),
};

static const Schema build = {
        T_STRING | T_MAP,
        .keys = KEYS({ "context", &string },
                     { "dockerfile", &string },
                     { "dockerfile_inline", &string },
                     { "entitlements", &string_list },
                     { "args", &list_or_dict },
                     { "ssh", &list_or_dict },
                     { "labels", &list_or_dict },
                     { "cache_from", &string_list },
                     { "cache_to", &string_list },
                     { "no_cache", &bool_or_string },
                     { "additional_contexts", &list_or_dict },
                     { "network", &string },
                     { "provenance", &bool_or_any_string },
                     { "sbom", &bool_or_any_string },
                     { "pull", &bool_or_string },
                     { "target", &string },
                     { "shm_size", &size },
                     { "extra_hosts", &extra_hosts },
                     { "isolation", &string },
                     { "privileged", &bool_or_string },
                     { "secrets", &config_or_secret_refs },
                     { "tags", &string_list },
                     { "ulimits", &ulimits },
                     { "platforms", &string_list }),
};

static const Schema blkio_limits = {
        T_SEQ,
        .items = SCHEMA(T_MAP, .no_extensions = true,
                        .keys = KEYS({ "path", &string }, { "rate", SCHEMA(T_INT | T_STRING, .check = check_size) })),
};

static const Schema blkio_config = {
        T_MAP, .no_extensions = true,
        .keys = KEYS({ "device_read_bps", &blkio_limits },
                     { "device_read_iops", &blkio_limits },
                     { "device_write_bps", &blkio_limits },
                     { "device_write_iops", &blkio_limits },
                     { "weight", &int_or_string },
                     { "weight_device", SCHEMA(T_SEQ, .items = SCHEMA(T_MAP, .no_extensions = true,
                                                                       .keys = KEYS({ "path", &string },
                                                                                    { "weight", &int_or_string }))) }),
};

static const Schema depends_on = {
        T_SEQ | T_MAP, .items = &string, .unique = true, .name_keys = true,
        .values = SCHEMA(T_MAP,
                         .keys = KEYS({ "restart", &bool_or_string },
                                      { "required", &boolean },
                                      { "condition", SCHEMA(T_STRING, .enum_values = STRS("service_started",
                                                                                           "service_healthy",
                                                                                           "service_completed_successfully")) }),
                         .required = STRS("condition")),
};

static const Schema devices = {
        T_SEQ,
        .items = SCHEMA(T_STRING | T_MAP,
                        .keys = KEYS({ "source", &string }, { "target", &string }, { "permissions", &string }),
                        .required = STRS("source")),
};

static const Schema env_file = {
        T_STRING | T_SEQ,
        .items = SCHEMA(T_STRING | T_MAP, .no_extensions = true,
                        .keys = KEYS({ "path", &string }, { "format", &string }, { "required", &bool_or_string }),
                        .required = STRS("path")),
};

static const Schema extends = {
        T_STRING | T_MAP, .no_extensions = true,
        .keys = KEYS({ "service", &string }, { "file", &string }),
        .required = STRS("service"),
};

static const Schema healthcheck = {
        T_MAP,
        .keys = KEYS({ "disable", &bool_or_string },
                     { "interval", &duration },
                     { "retries", &number_or_string },
                     { "test", SCHEMA(T_STRING | T_SEQ, .items = &string, .check = check_healthcheck_test) },
                     { "timeout", &duration },
                     { "start_period", &duration },
                     { "start_interval", &duration }),
};

static const Schema development = {
        T_MAP | T_NULL,
        .keys = KEYS({ "watch", SCHEMA(T_SEQ, .items = SCHEMA(
                T_MAP,
                .keys = KEYS({ "ignore", &string_or_list },
                             { "include", &string_or_list },
                             { "path", &string },
                             { "action", SCHEMA(T_STRING, .enum_values = STRS("rebuild", "sync", "restart",
                                                                              "sync+restart", "sync+exec")) },
                             { "target", &string },
                             { "exec", &service_hook },
                             { "initial_sync", &boolean }),
                .required = STRS("path", "action"))) }),
};

static const Schema update_config = {
        T_MAP,
        .keys = KEYS({ "parallelism", &int_or_string },
                     { "delay", &duration },
                     { "failure_action", SCHEMA(T_STRING, .enum_values = STRS("continue", "pause", "rollback")) },
                     { "monitor", &duration },
                     { "max_failure_ratio", &number_or_string },
                     { "order", SCHEMA(T_STRING, .enum_values = STRS("start-first", "stop-first")) }),
};

static const Schema resources = {
        T_MAP,
        .keys = KEYS({ "limits", SCHEMA(T_MAP,
                                        .keys = KEYS({ "cpus", &number_or_string },
                                                     { "memory", SCHEMA(T_STRING, .check = check_size) },
                                                     { "pids", &int_or_string })) },
                     { "reservations", SCHEMA(T_MAP,
                                              .keys = KEYS({ "cpus", &number_or_string },
                                                           { "memory", SCHEMA(T_STRING, .check = check_size) },
                                                           { "generic_resources", SCHEMA(T_SEQ, .items = SCHEMA(
                                                                   T_MAP,
                                                                   .keys = KEYS({ "discrete_resource_spec", SCHEMA(
                                                                           T_MAP,
                                                                           .keys = KEYS({ "kind", &string },
                                                                                        { "value", &number_or_string })) }))) },
                                                           { "devices", &device_requests })) }),
};

static const Schema deployment = {
        T_MAP | T_NULL,
        .keys = KEYS({ "mode", SCHEMA(T_STRING, .check = check_deploy_mode) },
                     { "endpoint_mode", SCHEMA(T_STRING, .check = check_endpoint_mode) },
                     { "replicas", &int_or_string },
                     { "labels", &list_or_dict },
                     { "rollback_config", &update_config },
                     { "update_config", &update_config },
                     { "resources", &resources },
                     { "restart_policy", SCHEMA(T_MAP,
                                                .keys = KEYS({ "condition", SCHEMA(T_STRING, .enum_values = STRS(
                                                                       "none", "on-failure", "any")) },
                                                             { "delay", &duration },
                                                             { "max_attempts", &int_or_string },
                                                             { "window", &duration })) },
                     { "placement", SCHEMA(T_MAP,
                                           .keys = KEYS({ "constraints", &string_list },
                                                        { "preferences", SCHEMA(T_SEQ, .items = SCHEMA(
                                                                T_MAP, .keys = KEYS({ "spread", &string }))) },
                                                        { "max_replicas_per_node", &int_or_string })) }),
};

static const Schema gpus = {
        T_STRING | T_SEQ, .enum_values = STRS("all"),
        .items = SCHEMA(T_MAP,
                        .keys = KEYS({ "capabilities", &list_of_strings },
                                     { "count", &int_or_string },
                                     { "device_ids", &list_of_strings },
                                     { "driver", &string },
                                     { "options", &list_or_dict })),
};

static const Schema logging = {
        T_MAP,
        .keys = KEYS({ "driver", &string },
                     { "options", SCHEMA(T_MAP, .values = SCHEMA(T_STRING | T_NUMBER | T_NULL)) }),
};

static const Schema service_networks = {
        T_SEQ | T_MAP, .items = &string, .unique = true, .name_keys = true,
        .values = SCHEMA(T_MAP | T_NULL,
                         .keys = KEYS({ "aliases", &dns_names },
                                      { "interface_name", &string },
                                      { "ipv4_address", &string },
                                      { "ipv6_address", &string },
                                      { "link_local_ips", &list_of_strings },
                                      { "mac_address", &string },
                                      { "driver_opts", &options_map },
                                      { "priority", &number },
                                      { "gw_priority", &number })),
};

static const Schema ports = {
        T_SEQ, .unique = true,
        .items = SCHEMA(T_NUMBER | T_STRING | T_MAP, .check = check_port,
                        .keys = KEYS({ "name", &string },
                                     { "mode", SCHEMA(T_STRING, .enum_values = STRS("host", "ingress")) },
                                     { "host_ip", SCHEMA(T_STRING, .check = check_host_ip) },
                                     { "target", SCHEMA(T_INT | T_STRING, .check = check_port_number) },
                                     { "published", SCHEMA(T_INT | T_STRING, .check = check_published) },
                                     { "protocol", SCHEMA(T_STRING, .check = check_protocol) },
                                     { "app_protocol", &string })),
};

static const Schema service_volumes = {
        T_SEQ, .unique = true,
        .items = SCHEMA(
                T_STRING | T_MAP,
                .keys = KEYS({ "type", SCHEMA(T_STRING, .enum_values = STRS("bind", "volume", "tmpfs", "cluster",
                                                                           "npipe", "image")) },
                             { "source", &string },
                             { "target", &string },
                             { "read_only", &bool_or_string },
                             { "consistency", &string },
                             { "bind", SCHEMA(T_MAP,
                                              .keys = KEYS({ "propagation", SCHEMA(T_STRING, .enum_values = STRS(
                                                                     "shared", "slave", "private", "rshared",
                                                                     "rslave", "rprivate")) },
                                                           { "create_host_path", &bool_or_string },
                                                           { "recursive", SCHEMA(T_STRING, .enum_values = STRS(
                                                                     "enabled", "disabled", "writable", "readonly")) },
                                                           { "selinux", SCHEMA(T_STRING, .enum_values = STRS("z", "Z")) })) },
                             { "volume", SCHEMA(T_MAP,
                                                .keys = KEYS({ "labels", &list_or_dict },
                                                             { "nocopy", &bool_or_string },
                                                             { "subpath", &string })) },
                             { "tmpfs", SCHEMA(T_MAP,
                                               .keys = KEYS({ "size", SCHEMA(T_INT | T_STRING, .check = check_size) },
                                                            { "mode", &number_or_any_string })) },
                             { "image", SCHEMA(T_MAP, .keys = KEYS({ "subpath", &string })) }),
                .required = STRS("type")),
};

static const Schema service = {
        T_MAP, .check = check_service,
        .keys = KEYS({ "develop", &development },
                     { "deploy", &deployment },
                     { "annotations", &list_or_dict },
                     { "attach", &bool_or_string },
                     { "build", &build },
                     { "blkio_config", &blkio_config },
                     { "cap_add", &list_of_strings },
                     { "cap_drop", &list_of_strings },
                     { "cgroup", SCHEMA(T_STRING, .enum_values = STRS("host", "private")) },
                     { "cgroup_parent", &string },
                     { "command", &command },
                     { "configs", &config_or_secret_refs },
                     { "container_name", &string },
                     { "cpu_count", &int_or_string },
                     { "cpu_percent", &int_or_string },
                     { "cpu_shares", &number_or_any_string },
                     { "cpu_quota", &number_or_any_string },
                     { "cpu_period", &number_or_any_string },
                     { "cpu_rt_period", &number_or_any_string },
                     { "cpu_rt_runtime", &number_or_any_string },
                     { "cpus", &number_or_string },
                     { "cpuset", &string },
                     { "credential_spec", SCHEMA(T_MAP, .keys = KEYS({ "config", &string },
                                                                     { "file", &string },
                                                                     { "registry", &string })) },
                     { "depends_on", &depends_on },
                     { "device_cgroup_rules", &list_of_strings },
                     { "devices", &devices },
                     { "dns", SCHEMA(T_STRING | T_SEQ, .items = &ip_address, .unique = true,
                                     .check = check_ip_address) },
                     { "dns_opt", &list_of_strings },
                     { "dns_search", SCHEMA(T_STRING | T_SEQ, .items = &dns_search_domain, .unique = true,
                                            .check = check_dns_search) },
                     { "domainname", &dns_name },
                     { "entrypoint", &command },
                     { "env_file", &env_file },
                     { "label_file", SCHEMA(T_STRING | T_SEQ, .items = &string) },
                     { "environment", &list_or_dict },
                     { "expose", SCHEMA(T_SEQ, .unique = true,
                                        .items = SCHEMA(T_STRING | T_NUMBER, .check = check_expose)) },
                     { "extends", &extends },
                     { "provider", SCHEMA(T_MAP, .required = STRS("type"),
                                          .keys = KEYS({ "type", &string },
                                                       { "options", SCHEMA(T_MAP, .values = SCHEMA(
                                                               T_STRING | T_NUMBER | T_BOOL | T_SEQ,
                                                               .items = SCHEMA(T_STRING | T_NUMBER | T_BOOL))) })) },
                     { "external_links", &list_of_strings },
                     { "extra_hosts", &extra_hosts },
                     { "gpus", &gpus },
                     { "group_add", SCHEMA(T_SEQ, .items = SCHEMA(T_STRING | T_NUMBER), .unique = true) },
                     { "healthcheck", &healthcheck },
                     { "hostname", &dns_name },
                     { "image", &string },
                     { "init", &bool_or_string },
                     { "ipc", &string },
                     { "isolation", &string },
                     { "labels", &list_or_dict },
                     { "links", &list_of_strings },
                     { "logging", &logging },
                     { "mac_address", &string },
                     { "mem_limit", &size },
                     { "mem_reservation", &size },
                     { "mem_swappiness", &int_or_string },
                     { "memswap_limit", &size },
                     { "network_mode", &string },
                     { "models", SCHEMA(T_SEQ | T_MAP, .items = &string, .unique = true, .name_keys = true,
                                        .values = SCHEMA(T_MAP, .keys = KEYS({ "endpoint_var", &string },
                                                                             { "model_var", &string }))) },
                     { "networks", &service_networks },
                     { "oom_kill_disable", &bool_or_string },
                     { "oom_score_adj", SCHEMA(T_INT | T_STRING, .check = check_oom_score_adj) },
                     { "pid", SCHEMA(T_STRING | T_NULL) },
                     { "pids_limit", &number_or_string },
                     { "platform", &string },
                     { "ports", &ports },
                     { "post_start", SCHEMA(T_SEQ, .items = &service_hook) },
                     { "pre_stop", SCHEMA(T_SEQ, .items = &service_hook) },
                     { "privileged", &bool_or_string },
                     { "profiles", &list_of_strings },
                     { "pull_policy", SCHEMA(T_STRING, .check = check_pull_policy) },
                     { "pull_refresh_after", &string },
                     { "read_only", &bool_or_string },
                     { "restart", SCHEMA(T_STRING, .check = check_restart) },
                     { "runtime", &string },
                     { "scale", &int_or_string },
                     { "security_opt", &list_of_strings },
                     { "shm_size", &size },
                     { "secrets", &config_or_secret_refs },
                     { "sysctls", &list_or_dict },
                     { "stdin_open", &bool_or_string },
                     { "stop_grace_period", &duration },
                     { "stop_signal", &string },
                     { "storage_opt", SCHEMA(T_MAP) },
                     { "tmpfs", &string_or_list },
                     { "tty", &bool_or_string },
                     { "ulimits", &ulimits },
                     { "use_api_socket", &boolean },
                     { "user", &string },
                     { "uts", &string },
                     { "userns_mode", &string },
                     { "volumes", &service_volumes },
                     { "volumes_from", &list_of_strings },
                     { "working_dir", &string }),
};

/* external: true, "true", or the deprecated {name: ...}. */
static const Schema external = {
        T_BOOL | T_STRING | T_MAP, .check = check_bool_string, .keys = KEYS({ "name", &string }),
};

/* Secrets and configs: the spec leaves their external mapping open. */
static const Schema external_any = { T_BOOL | T_STRING | T_MAP, .check = check_bool_string, .values = &anything };

static const Schema network = {
        T_MAP | T_NULL,
        .keys = KEYS({ "name", &string },
                     { "driver", &string },
                     { "driver_opts", &options_map },
                     { "ipam", SCHEMA(T_MAP,
                                      .keys = KEYS({ "driver", &string },
                                                   { "config", SCHEMA(T_SEQ, .items = SCHEMA(
                                                           T_MAP,
                                                           .keys = KEYS({ "subnet", &string },
                                                                        { "ip_range", &string },
                                                                        { "gateway", &string },
                                                                        { "aux_addresses", SCHEMA(
                                                                                T_MAP, .values = &string) }))) },
                                                   { "options", SCHEMA(T_MAP, .values = &string) })) },
                     { "external", &external },
                     { "internal", &bool_or_string },
                     { "enable_ipv4", &bool_or_string },
                     { "enable_ipv6", &bool_or_string },
                     { "attachable", &bool_or_string },
                     { "labels", &list_or_dict }),
};

static const Schema volume = {
        T_MAP | T_NULL,
        .keys = KEYS({ "name", &string },
                     { "driver", &string },
                     { "driver_opts", &options_map },
                     { "external", &external },
                     { "labels", &list_or_dict }),
};

static const Schema secret = {
        T_MAP, .check = check_secret,
        .keys = KEYS({ "name", &string },
                     { "environment", &string },
                     { "file", &string },
                     { "external", &external_any },
                     { "labels", &list_or_dict },
                     { "driver", &string },
                     { "driver_opts", &options_map },
                     { "template_driver", &string }),
};

static const Schema config = {
        T_MAP, .check = check_config,
        .keys = KEYS({ "name", &string },
                     { "content", &string },
                     { "environment", &string },
                     { "file", &string },
                     { "external", &external_any },
                     { "labels", &list_or_dict },
                     { "template_driver", &string }),
};

static const Schema model = {
        T_MAP, .required = STRS("model"),
        .keys = KEYS({ "name", &string },
                     { "model", &string },
                     { "context_size", &integer },
                     { "runtime_flags", &string_list }),
};

static const Schema include_entry = {
        T_STRING | T_MAP, .no_extensions = true,
        .keys = KEYS({ "path", &string_or_list },
                     { "env_file", &string_or_list },
                     { "project_directory", &string }),
};

/* Top-level sections may be left empty ("volumes:" with nothing under it). */
static const Schema root = {
        T_MAP,
        .keys = KEYS({ "version", &string },
                     { "name", &string },
                     { "include", SCHEMA(T_SEQ, .items = &include_entry) },
                     { "services", SCHEMA(T_MAP | T_NULL, .name_keys = true, .values = &service) },
                     { "models", SCHEMA(T_MAP | T_NULL, .values = &model) },
                     { "networks", SCHEMA(T_MAP | T_NULL, .values = &network) },
                     { "volumes", SCHEMA(T_MAP | T_NULL, .name_keys = true, .values = &volume,
                                         .check = check_volumes) },
                     { "secrets", SCHEMA(T_MAP | T_NULL, .name_keys = true, .values = &secret) },
                     { "configs", SCHEMA(T_MAP | T_NULL, .name_keys = true, .values = &config) }),
};

/* ---- the walker ------------------------------------------------------------------------------ */

static int check_node(const Schema *s, const ComposeNode *n, Path *p, NcError *reterr);

static size_t path_push_key(Path *p, const char *key) {
        size_t old = p->len;
        int k = snprintf(p->buf + p->len, sizeof p->buf - p->len, "%s%s", p->len > 0 ? "." : "", key);

        p->len = MIN(p->len + (size_t) MAX(k, 0), sizeof p->buf - 1);
        return old;
}

static size_t path_push_index(Path *p, size_t i) {
        size_t old = p->len;
        int k = snprintf(p->buf + p->len, sizeof p->buf - p->len, "[%zu]", i);

        p->len = MIN(p->len + (size_t) MAX(k, 0), sizeof p->buf - 1);
        return old;
}

static void path_pop(Path *p, size_t old) {
        p->len = old;
        p->buf[old] = 0;
}

/* A number where a string is expected is taken as its text: published files carry things like
 * `version: 3.8` or `user: 1000`, and what matters downstream is the text. Every other mismatch
 * (a list for a string, a string for a mapping, a boolean for a string, ...) is an error. */
static bool type_ok(unsigned types, const ComposeNode *n) {
        if (types & (1u << n->type))
                return true;
        return (types & T_STRING) && (n->type == COMPOSE_NODE_INT || n->type == COMPOSE_NODE_FLOAT);
}

static int type_error(unsigned types, const ComposeNode *n, const Path *p, NcError *reterr) {
        const char *words[6];
        size_t k = 0;
        StrBuf b = {};
        _cleanup_free_ char *what = NULL;

        if (types & T_STRING)
                words[k++] = "string";
        if ((types & T_NUMBER) == T_INT)
                words[k++] = "integer";
        else if (types & T_NUMBER)
                words[k++] = "number";
        if (types & T_BOOL)
                words[k++] = "boolean";
        if (types & T_SEQ)
                words[k++] = "list";
        if (types & T_MAP)
                words[k++] = "mapping";
        if (k == 0)
                words[k++] = "null";
        for (size_t i = 0; i < k; i++)
                strbuf_printf(&b, "%s%s", i == 0 ? "" : i + 1 == k ? " or " : ", ", words[i]);
        what = strbuf_steal(&b);
        if (!what)
                return -ENOMEM;
        return compose_node_error(n, reterr, -EINVAL, p->buf, "must be %s %s",
                                  strchr("aeiou", what[0]) ? "an" : "a", what);
}

static const Schema *schema_key(const Schema *s, const char *key) {
        for (const SchemaKey *k = s->keys; k->name; k++)
                if (streq(k->name, key))
                        return k->schema;
        return NULL;
}

/* A root key that holds a service definition: the file uses the legacy version 1 format. */
static bool looks_like_v1_service(const ComposeNode *v) {
        return v && v->type == COMPOSE_NODE_MAP &&
                (compose_map_get(v, "image") || compose_map_get(v, "build") || compose_map_get(v, "command"));
}

static int unknown_key(const Schema *s, const ComposeNode *map, size_t i, const Path *p, NcError *reterr) {
        const ComposeNode *key = map->keys[i];

        if (s == &root && looks_like_v1_service(map->items[i]))
                return compose_node_error(key, reterr, -EINVAL, p->buf,
                                          "additional property %s is not allowed: this looks like a service in the "
                                          "legacy version 1 format, which is not supported; define services under "
                                          "a top-level 'services:' key", key->scalar);
        return compose_node_error(key, reterr, -EINVAL, p->buf, "additional property %s is not allowed", key->scalar);
}

static int check_map_entry(const Schema *s, const ComposeNode *map, size_t i, Path *p, NcError *reterr) {
        const char *key = map->keys[i]->scalar;
        const Schema *sub = s->values;
        size_t old;
        int r;

        if (s->keys) {
                sub = schema_key(s, key);
                if (!sub) {
                        if (!s->no_extensions && startswith(key, "x-"))
                                return 0;
                        return unknown_key(s, map, i, p, reterr);
                }
        } else if (s->name_keys && !string_is_name(key))
                return unknown_key(s, map, i, p, reterr);
        /* !reset drops the value; with nothing to merge over it is as if the key were absent. */
        if (!sub || (map->items[i]->flags & COMPOSE_NODE_TAG_RESET))
                return 0;
        old = path_push_key(p, key);
        r = check_node(sub, map->items[i], p, reterr);
        path_pop(p, old);
        return r;
}

static int check_map(const Schema *s, const ComposeNode *n, Path *p, NcError *reterr) {
        int r;

        COMPOSE_MAP_FOREACH(i, n) {
                r = check_map_entry(s, n, i, p, reterr);
                if (r < 0)
                        return r;
        }
        for (const char *const *req = s->required; req && *req; req++)
                if (!compose_map_get(n, *req))
                        return compose_node_error(n, reterr, -EINVAL, p->buf, "%s is required", *req);
        return 0;
}

static int check_seq(const Schema *s, const ComposeNode *n, Path *p, NcError *reterr) {
        size_t dup_first = 0, dup_second = SIZE_MAX;
        int r;

        /* found up front (sorting, not comparing every pair), reported where the pairwise scan would */
        if (s->unique) {
                r = compose_seq_first_duplicate(n, &dup_first, &dup_second);
                if (r < 0)
                        return r;
                if (r == 0)
                        dup_second = SIZE_MAX;
        }
        COMPOSE_SEQ_FOREACH(i, n) {
                size_t old = path_push_index(p, i);

                r = s->items ? check_node(s->items, n->items[i], p, reterr) : 0;
                path_pop(p, old);
                if (r < 0)
                        return r;
                if (i == dup_second)
                        return compose_node_error(n->items[i], reterr, -EINVAL, p->buf,
                                                  "array items[%zu,%zu] must be unique", dup_first, i);
        }
        return 0;
}

static int check_node(const Schema *s, const ComposeNode *n, Path *p, NcError *reterr) {
        int r = 0;

        if (!type_ok(s->types, n))
                return type_error(s->types, n, p, reterr);
        if (n->type == COMPOSE_NODE_MAP)
                r = check_map(s, n, p, reterr);
        else if (n->type == COMPOSE_NODE_SEQ)
                r = check_seq(s, n, p, reterr);
        else if (s->enum_values && compose_node_is_scalar(n))
                r = check_one_of(n, p->buf, s->enum_values, reterr);
        if (r < 0)
                return r;
        if (s->check && (compose_node_is_scalar(n) || n->type == COMPOSE_NODE_MAP || n->type == COMPOSE_NODE_SEQ))
                return s->check(n, p->buf, reterr);
        return 0;
}

int compose_validate_schema(const ComposeNode *root_node, NcError *reterr) {
        Path p = {};

        if (!root_node || root_node->type != COMPOSE_NODE_MAP)
                return compose_node_error(root_node, reterr, -EINVAL, NULL, "top-level object must be a mapping");
        return check_node(&root, root_node, &p, reterr);
}
