/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>
#include <math.h>

#include "reconcile/compose/compose-normalize-internal.h"
#include "lib/strv.h"

/* The field tables below list compose-go's types (types/types.go and friends) in declaration order,
 * which is the order `docker compose config` prints their keys in. */

#define F(n, k) { .name = (n), .kind = (k) }
#define FS(n, k, s) { .name = (n), .kind = (k), .schema = &(s) }
#define FH(n, k, h) { .name = (n), .kind = (k), .hook = (h) }
#define FSH(n, k, s, h) { .name = (n), .kind = (k), .schema = &(s), .hook = (h) }

static const NormField device_request_fields[] = {
        F("capabilities", NORM_STRING_LIST), F("driver", NORM_STRING), F("count", NORM_ANY),
        F("device_ids", NORM_STRING_LIST), F("options", NORM_MAPPING),
};
static const NormSchema device_request_schema = NORM_SCHEMA(device_request_fields, NULL);

static const NormField discrete_resource_fields[] = { F("kind", NORM_STRING), F("value", NORM_INT) };
static const NormSchema discrete_resource_schema = NORM_SCHEMA(discrete_resource_fields, NULL);
static const NormField generic_resource_fields[] = {
        FS("discrete_resource_spec", NORM_STRUCT, discrete_resource_schema),
};
static const NormSchema generic_resource_schema = NORM_SCHEMA(generic_resource_fields, NULL);

static const NormField resource_fields[] = {
        F("cpus", NORM_FLOAT32), F("memory", NORM_BYTES), F("pids", NORM_INT),
        FS("devices", NORM_STRUCT_SEQ, device_request_schema),
        FS("generic_resources", NORM_STRUCT_SEQ, generic_resource_schema),
};
static const NormSchema resource_schema = NORM_SCHEMA(resource_fields, NULL);

static const NormField resources_fields[] = {
        FS("limits", NORM_STRUCT, resource_schema), FS("reservations", NORM_STRUCT, resource_schema),
};
static const NormSchema resources_schema = NORM_SCHEMA(resources_fields, NULL);

static const NormField update_config_fields[] = {
        F("parallelism", NORM_INT_PTR), F("delay", NORM_DURATION), F("failure_action", NORM_STRING),
        F("monitor", NORM_DURATION), F("max_failure_ratio", NORM_FLOAT32), F("order", NORM_STRING),
};
static const NormSchema update_config_schema = NORM_SCHEMA(update_config_fields, NULL);

static const NormField restart_policy_fields[] = {
        F("condition", NORM_STRING), F("delay", NORM_DURATION_PTR), F("max_attempts", NORM_INT_PTR),
        F("window", NORM_DURATION_PTR),
};
static const NormSchema restart_policy_schema = NORM_SCHEMA(restart_policy_fields, NULL);

static const NormField preference_fields[] = { F("spread", NORM_STRING) };
static const NormSchema preference_schema = NORM_SCHEMA(preference_fields, NULL);

static const NormField placement_fields[] = {
        F("constraints", NORM_STRING_LIST), FS("preferences", NORM_STRUCT_SEQ, preference_schema),
        F("max_replicas_per_node", NORM_INT),
};
static const NormSchema placement_schema = NORM_SCHEMA(placement_fields, NULL);

static const NormField deploy_fields[] = {
        F("mode", NORM_STRING), F("replicas", NORM_INT_PTR), F("labels", NORM_MAPPING),
        FS("update_config", NORM_STRUCT, update_config_schema),
        FS("rollback_config", NORM_STRUCT, update_config_schema),
        FS("resources", NORM_STRUCT_VALUE, resources_schema),
        FS("restart_policy", NORM_STRUCT, restart_policy_schema),
        FS("placement", NORM_STRUCT_VALUE, placement_schema), F("endpoint_mode", NORM_STRING),
};
static const NormSchema deploy_schema = NORM_SCHEMA(deploy_fields, NULL);

static const NormField healthcheck_fields[] = {
        FH("test", NORM_STRING_LIST, norm_hook_healthcheck_test), F("timeout", NORM_DURATION_PTR),
        F("interval", NORM_DURATION_PTR), F("retries", NORM_INT_PTR), F("start_period", NORM_DURATION_PTR),
        F("start_interval", NORM_DURATION_PTR), F("disable", NORM_BOOL),
};
static const NormSchema healthcheck_schema = NORM_SCHEMA(healthcheck_fields, NULL);

static const NormField logging_fields[] = { F("driver", NORM_STRING), F("options", NORM_MAPPING) };
static const NormSchema logging_schema = NORM_SCHEMA(logging_fields, NULL);

static const NormField file_ref_fields[] = {
        F("source", NORM_STRING), F("target", NORM_STRING), F("uid", NORM_STRING), F("gid", NORM_STRING),
        F("mode", NORM_FILE_MODE),
};
static const NormSchema file_ref_schema = NORM_SCHEMA(file_ref_fields, NULL);

static const NormField build_fields[] = {
        F("context", NORM_STRING), F("dockerfile", NORM_STRING), F("dockerfile_inline", NORM_STRING),
        F("entitlements", NORM_STRING_LIST), FH("args", NORM_MAPPING_EQ, norm_hook_build_args),
        F("provenance", NORM_STRING), F("sbom", NORM_STRING), F("ssh", NORM_ANY), F("labels", NORM_MAPPING),
        F("cache_from", NORM_STRING_LIST), F("cache_to", NORM_STRING_LIST), F("no_cache", NORM_BOOL),
        F("no_cache_filter", NORM_STRING_LIST), F("additional_contexts", NORM_MAPPING), F("pull", NORM_BOOL),
        FH("extra_hosts", NORM_STRING_LIST, norm_hook_extra_hosts), F("isolation", NORM_STRING),
        F("network", NORM_STRING), F("target", NORM_STRING),
        FSH("secrets", NORM_STRUCT_SEQ, file_ref_schema, norm_hook_secret_refs), F("shm_size", NORM_BYTES),
        F("tags", NORM_STRING_LIST), FH("ulimits", NORM_ANY, norm_hook_ulimits),
        F("platforms", NORM_STRING_LIST), F("privileged", NORM_BOOL),
};
static const NormSchema build_schema = NORM_SCHEMA(build_fields, norm_finish_build);

static const NormField depends_on_fields[] = {
        F("condition", NORM_STRING), F("restart", NORM_BOOL), F("required", NORM_BOOL_PTR),
};
static const NormSchema depends_on_schema = NORM_SCHEMA(depends_on_fields, NULL);

static const NormField service_network_fields[] = {
        F("aliases", NORM_STRING_LIST), F("driver_opts", NORM_MAPPING), F("gw_priority", NORM_INT),
        F("interface_name", NORM_STRING), F("ipv4_address", NORM_STRING), F("ipv6_address", NORM_STRING),
        F("link_local_ips", NORM_STRING_LIST), F("mac_address", NORM_STRING), F("priority", NORM_INT),
};
static const NormSchema service_network_schema = NORM_SCHEMA(service_network_fields, NULL);

static const NormField port_fields[] = {
        F("name", NORM_STRING), F("mode", NORM_STRING), F("host_ip", NORM_STRING), F("target", NORM_INT),
        F("published", NORM_STRING), F("protocol", NORM_STRING), F("app_protocol", NORM_STRING),
};
const NormSchema norm_port_schema = NORM_SCHEMA(port_fields, NULL);

static const NormField volume_bind_fields[] = {
        F("selinux", NORM_STRING), F("propagation", NORM_STRING), F("create_host_path", NORM_BOOL),
        F("recursive", NORM_STRING),
};
static const NormSchema volume_bind_schema = NORM_SCHEMA(volume_bind_fields, NULL);
static const NormField volume_volume_fields[] = {
        F("labels", NORM_MAPPING), F("nocopy", NORM_BOOL), F("subpath", NORM_STRING),
};
static const NormSchema volume_volume_schema = NORM_SCHEMA(volume_volume_fields, NULL);
static const NormField volume_tmpfs_fields[] = { F("size", NORM_BYTES), F("mode", NORM_INT) };
static const NormSchema volume_tmpfs_schema = NORM_SCHEMA(volume_tmpfs_fields, NULL);
static const NormField volume_image_fields[] = { F("subpath", NORM_STRING) };
static const NormSchema volume_image_schema = NORM_SCHEMA(volume_image_fields, NULL);

static const NormField service_volume_fields[] = {
        F("type", NORM_STRING), F("source", NORM_STRING), F("target", NORM_STRING), F("read_only", NORM_BOOL),
        F("consistency", NORM_STRING), FS("bind", NORM_STRUCT, volume_bind_schema),
        FS("volume", NORM_STRUCT, volume_volume_schema), FS("tmpfs", NORM_STRUCT, volume_tmpfs_schema),
        FS("image", NORM_STRUCT, volume_image_schema),
};
const NormSchema norm_service_volume_schema = NORM_SCHEMA(service_volume_fields, norm_finish_service_volume);

static const NormField device_mapping_fields[] = {
        F("source", NORM_STRING), F("target", NORM_STRING), F("permissions", NORM_STRING),
};
static const NormSchema device_mapping_schema = NORM_SCHEMA(device_mapping_fields, NULL);

static const NormField credential_spec_fields[] = {
        F("config", NORM_STRING), F("file", NORM_STRING), F("registry", NORM_STRING),
};
static const NormSchema credential_spec_schema = NORM_SCHEMA(credential_spec_fields, NULL);

static const NormField extends_fields[] = { F("file", NORM_STRING), F("service", NORM_STRING) };
static const NormSchema extends_schema = NORM_SCHEMA(extends_fields, NULL);

static const NormField weight_device_fields[] = { F("path", NORM_STRING), F("weight", NORM_INT) };
static const NormSchema weight_device_schema = NORM_SCHEMA(weight_device_fields, NULL);
static const NormField throttle_device_fields[] = { F("path", NORM_STRING), F("rate", NORM_BYTES) };
static const NormSchema throttle_device_schema = NORM_SCHEMA(throttle_device_fields, NULL);
static const NormField blkio_fields[] = {
        F("weight", NORM_INT), FS("weight_device", NORM_STRUCT_SEQ, weight_device_schema),
        FS("device_read_bps", NORM_STRUCT_SEQ, throttle_device_schema),
        FS("device_read_iops", NORM_STRUCT_SEQ, throttle_device_schema),
        FS("device_write_bps", NORM_STRUCT_SEQ, throttle_device_schema),
        FS("device_write_iops", NORM_STRUCT_SEQ, throttle_device_schema),
};
static const NormSchema blkio_schema = NORM_SCHEMA(blkio_fields, NULL);

static const NormField service_hook_fields[] = {
        F("command", NORM_SHELL_COMMAND), F("user", NORM_STRING), F("privileged", NORM_BOOL),
        F("working_dir", NORM_STRING), F("environment", NORM_MAPPING_EQ),
};
static const NormSchema service_hook_schema = NORM_SCHEMA(service_hook_fields, NULL);

static const NormField service_fields[] = {
        F("profiles", NORM_STRING_LIST), F("annotations", NORM_MAPPING), F("attach", NORM_BOOL_PTR),
        FSH("build", NORM_STRUCT, build_schema, norm_hook_build), F("develop", NORM_ANY),
        FS("blkio_config", NORM_STRUCT, blkio_schema), F("cap_add", NORM_STRING_LIST),
        F("cap_drop", NORM_STRING_LIST), F("cgroup_parent", NORM_STRING), F("cgroup", NORM_STRING),
        F("cpu_count", NORM_INT), F("cpu_percent", NORM_FLOAT32), F("cpu_period", NORM_INT),
        F("cpu_quota", NORM_INT), F("cpu_rt_period", NORM_INT), F("cpu_rt_runtime", NORM_INT),
        F("cpus", NORM_FLOAT32), F("cpuset", NORM_STRING), F("cpu_shares", NORM_INT),
        F("command", NORM_SHELL_COMMAND),
        FSH("configs", NORM_STRUCT_SEQ, file_ref_schema, norm_hook_file_refs),
        F("container_name", NORM_STRING), FS("credential_spec", NORM_STRUCT, credential_spec_schema),
        FSH("depends_on", NORM_STRUCT_MAP, depends_on_schema, norm_hook_depends_on),
        FS("deploy", NORM_STRUCT, deploy_schema), F("device_cgroup_rules", NORM_STRING_LIST),
        FSH("devices", NORM_STRUCT_SEQ, device_mapping_schema, norm_hook_devices),
        F("dns", NORM_STRING_LIST), F("dns_opt", NORM_STRING_LIST), F("dns_search", NORM_STRING_LIST),
        F("dockerfile", NORM_STRING), F("domainname", NORM_STRING), F("entrypoint", NORM_SHELL_COMMAND),
        F("provider", NORM_ANY), FH("environment", NORM_MAPPING_EQ, norm_hook_environment),
        FH("env_file", NORM_ANY, norm_hook_env_file), F("expose", NORM_STRING_LIST),
        FS("extends", NORM_STRUCT, extends_schema), F("external_links", NORM_STRING_LIST),
        FH("extra_hosts", NORM_STRING_LIST, norm_hook_extra_hosts), F("group_add", NORM_STRING_LIST),
        FS("gpus", NORM_STRUCT_SEQ, device_request_schema), F("hostname", NORM_STRING),
        FS("healthcheck", NORM_STRUCT, healthcheck_schema), F("image", NORM_STRING),
        F("init", NORM_BOOL_PTR), F("ipc", NORM_STRING), F("isolation", NORM_STRING),
        F("labels", NORM_MAPPING), F("label_file", NORM_STRING_LIST), F("links", NORM_STRING_LIST),
        FS("logging", NORM_STRUCT, logging_schema), F("log_driver", NORM_STRING),
        F("log_opt", NORM_MAPPING), F("mem_limit", NORM_BYTES), F("mem_reservation", NORM_BYTES),
        F("memswap_limit", NORM_BYTES), F("mem_swappiness", NORM_BYTES), F("mac_address", NORM_STRING),
        F("models", NORM_ANY), F("net", NORM_STRING), F("network_mode", NORM_STRING),
        FSH("networks", NORM_STRUCT_MAP, service_network_schema, norm_hook_service_networks),
        F("oom_kill_disable", NORM_BOOL), F("oom_score_adj", NORM_INT), F("pid", NORM_STRING),
        F("pids_limit", NORM_INT), F("platform", NORM_STRING),
        FSH("ports", NORM_STRUCT_SEQ, norm_port_schema, norm_hook_ports), F("privileged", NORM_BOOL),
        F("pull_policy", NORM_STRING), F("read_only", NORM_BOOL), F("restart", NORM_STRING),
        F("runtime", NORM_STRING), F("scale", NORM_INT_PTR),
        FSH("secrets", NORM_STRUCT_SEQ, file_ref_schema, norm_hook_secret_refs),
        F("security_opt", NORM_STRING_LIST), F("shm_size", NORM_BYTES), F("stdin_open", NORM_BOOL),
        F("stop_grace_period", NORM_DURATION_PTR), F("stop_signal", NORM_STRING),
        F("storage_opt", NORM_MAPPING), F("sysctls", NORM_MAPPING), F("tmpfs", NORM_STRING_LIST),
        F("tty", NORM_BOOL), FH("ulimits", NORM_ANY, norm_hook_ulimits), F("use_api_socket", NORM_BOOL),
        F("user", NORM_STRING), F("userns_mode", NORM_STRING), F("uts", NORM_STRING),
        F("volume_driver", NORM_STRING),
        FSH("volumes", NORM_STRUCT_SEQ, norm_service_volume_schema, norm_hook_service_volumes),
        F("volumes_from", NORM_STRING_LIST), F("working_dir", NORM_STRING),
        FS("post_start", NORM_STRUCT_SEQ, service_hook_schema), FS("pre_stop", NORM_STRUCT_SEQ, service_hook_schema),
};
const NormSchema norm_service_schema = NORM_SCHEMA(service_fields, norm_finish_service);

static const NormField ipam_pool_fields[] = {
        F("subnet", NORM_STRING), F("gateway", NORM_STRING), F("ip_range", NORM_STRING),
        F("aux_addresses", NORM_MAPPING),
};
static const NormSchema ipam_pool_schema = NORM_SCHEMA(ipam_pool_fields, NULL);
static const NormField ipam_fields[] = {
        F("driver", NORM_STRING), FS("config", NORM_STRUCT_SEQ, ipam_pool_schema), F("options", NORM_MAPPING),
};
static const NormSchema ipam_schema = NORM_SCHEMA(ipam_fields, NULL);

static const NormField network_fields[] = {
        F("name", NORM_STRING), F("driver", NORM_STRING), F("driver_opts", NORM_MAPPING),
        FS("ipam", NORM_STRUCT_VALUE, ipam_schema), F("external", NORM_BOOL), F("internal", NORM_BOOL),
        F("attachable", NORM_BOOL), F("labels", NORM_MAPPING), F("enable_ipv4", NORM_BOOL_PTR),
        F("enable_ipv6", NORM_BOOL_PTR),
};
const NormSchema norm_network_schema = NORM_SCHEMA(network_fields, NULL);

static const NormField volume_fields[] = {
        F("name", NORM_STRING), F("driver", NORM_STRING), F("driver_opts", NORM_MAPPING),
        F("external", NORM_BOOL), F("labels", NORM_MAPPING),
};
const NormSchema norm_volume_schema = NORM_SCHEMA(volume_fields, NULL);

/* SecretConfig never prints its content; ConfigObjConfig drops it when it came from the environment
 * (compose.c: MarshalYAML); both are handled by the top-level code. */
static const NormField file_object_fields[] = {
        F("name", NORM_STRING), F("file", NORM_STRING), F("environment", NORM_STRING),
        F("content", NORM_STRING), F("external", NORM_BOOL), F("labels", NORM_MAPPING),
        F("driver", NORM_STRING), F("driver_opts", NORM_MAPPING), F("template_driver", NORM_STRING),
};
const NormSchema norm_secret_schema = NORM_SCHEMA(file_object_fields, NULL);
const NormSchema norm_config_schema = NORM_SCHEMA(file_object_fields, NULL);

static int set_scalar(ComposeNode *n, ComposeNodeType type, char *text) {
        if (!text)
                return -ENOMEM;
        free_and_replace_ptr(&n->scalar, text);
        n->type = type;
        n->flags &= ~COMPOSE_NODE_QUOTED;
        return 0;
}

static int norm_string(NormCtx *c, ComposeNode *n, const char *path) {
        if (!compose_node_is_scalar(n))
                return norm_type_error(c, n, path, "a string");
        if (set_scalar(n, COMPOSE_NODE_STRING, norm_scalar_text(n)) < 0)
                return -ENOMEM;
        return isempty(n->scalar);
}

static int norm_bool(NormCtx *c, ComposeNode *n, NormKind kind, const char *path) {
        static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
        static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };
        bool v = false, found = false;

        if (n->type == COMPOSE_NODE_BOOL) {
                v = streq(n->scalar, "true");
                found = true;
        }
        for (size_t i = 0; !found && compose_node_is_scalar(n) && i < ELEMENTSOF(yes); i++)
                if (streq(n->scalar, yes[i]) || streq(n->scalar, no[i])) {
                        v = streq(n->scalar, yes[i]);
                        found = true;
                }
        if (!found)
                return norm_type_error(c, n, path, "a boolean");
        if (set_scalar(n, COMPOSE_NODE_BOOL, strdup(v ? "true" : "false")) < 0)
                return -ENOMEM;
        return kind == NORM_BOOL && !v;
}

static int norm_int(NormCtx *c, ComposeNode *n, NormKind kind, const char *path) {
        int64_t v;
        char *s;

        if (compose_node_int(n, &v) < 0)
                return norm_type_error(c, n, path, "an integer");
        if (asprintf(&s, "%" PRIi64, v) < 0 || set_scalar(n, COMPOSE_NODE_INT, s) < 0)
                return -ENOMEM;
        return kind == NORM_INT && v == 0;
}

static int norm_float32(NormCtx *c, ComposeNode *n, const char *path) {
        _cleanup_free_ char *text = NULL;
        ComposeNodeType type;
        double v;

        if (!compose_node_is_scalar(n) || n->type == COMPOSE_NODE_BOOL)
                return norm_type_error(c, n, path, "a number");
        if (compose_parse_number(n->scalar, &v) < 0)
                return compose_node_error(n, c->reterr, -EINVAL, path, "invalid number '%s'", n->scalar);
        text = compose_format_float((float) v, true, COMPOSE_FLOAT_YAML);
        if (!text)
                return -ENOMEM;
        type = compose_float_text_is_integer(text) ? COMPOSE_NODE_INT : COMPOSE_NODE_FLOAT;
        if (set_scalar(n, type, TAKE_PTR(text)) < 0)
                return -ENOMEM;
        return (float) v == 0;
}

static int norm_bytes(NormCtx *c, ComposeNode *n, const char *path) {
        int64_t v;
        char *s;

        if (n->type == COMPOSE_NODE_INT) {
                if (compose_node_int(n, &v) < 0)
                        return norm_type_error(c, n, path, "a byte size");
        } else if (n->type != COMPOSE_NODE_STRING)
                return norm_type_error(c, n, path, "a byte size");
        else {
                NcError err = {};
                int r = compose_parse_size(n->scalar, &v, &err);

                if (r < 0)
                        return compose_node_error(n, c->reterr, r, path, "%s", err.message);
        }
        if (asprintf(&s, "%" PRIi64, v) < 0 || set_scalar(n, COMPOSE_NODE_STRING, s) < 0)
                return -ENOMEM;
        return v == 0;
}

static int norm_duration(NormCtx *c, ComposeNode *n, NormKind kind, const char *path) {
        char buf[COMPOSE_DURATION_MAX];
        NcError err = {};
        int64_t ns;
        int r;

        if (n->type != COMPOSE_NODE_STRING && n->type != COMPOSE_NODE_INT)
                return norm_type_error(c, n, path, "a duration");
        r = compose_parse_duration(n->scalar, &ns, &err);
        if (r < 0)
                return compose_node_error(n, c->reterr, r, path, "%s", err.message);
        if (set_scalar(n, COMPOSE_NODE_STRING, strdup(compose_format_duration(ns, buf))) < 0)
                return -ENOMEM;
        return kind == NORM_DURATION && ns == 0;
}

static int norm_file_mode(NormCtx *c, ComposeNode *n, const char *path) {
        char *end, *s;
        long long v;

        if (n->type == COMPOSE_NODE_INT)
                return 0;
        if (n->type != COMPOSE_NODE_STRING)
                return norm_type_error(c, n, path, "a file mode");
        errno = 0;
        v = strtoll(n->scalar, &end, 8);
        if (errno != 0 || *end || isempty(n->scalar))
                return compose_node_error(n, c->reterr, -EINVAL, path, "invalid file mode '%s'", n->scalar);
        if (asprintf(&s, "%lld", v) < 0 || set_scalar(n, COMPOSE_NODE_INT, s) < 0)
                return -ENOMEM;
        return 0;
}

static int norm_string_list(NormCtx *c, ComposeNode **slot, const char *path) {
        ComposeNode *n = *slot;
        char child[NORM_PATH_MAX];

        if (compose_node_is_scalar(n)) {
                if (norm_wrap_in_seq(slot) < 0)
                        return -ENOMEM;
                n = *slot;
        }
        if (n->type != COMPOSE_NODE_SEQ)
                return norm_type_error(c, n, path, "a string or a list of strings");
        COMPOSE_SEQ_FOREACH(i, n) {
                int r = norm_string(c, n->items[i], norm_path_index(child, path, i));

                if (r < 0)
                        return r;
        }
        return n->n_items == 0;
}

/* "K=V" (or "K") list items into map entries. */
int norm_mapping_from_list(NormCtx *c, ComposeNode **slot, bool null_without_value, const char *path) {
        _cleanup_(compose_node_freep) ComposeNode *map = norm_new_map(&(*slot)->mark);
        ComposeNode *seq = *slot;
        char child[NORM_PATH_MAX];

        assert(c);
        assert(slot);
        assert(*slot);

        if (!map)
                return -ENOMEM;
        COMPOSE_SEQ_FOREACH(i, seq) {
                ComposeNode *item = seq->items[i];
                _cleanup_free_ char *text = norm_scalar_text(item);
                ComposeNode *v;
                char *eq;
                int r;

                if (!text)
                        return compose_node_is_scalar(item) ? -ENOMEM :
                                norm_type_error(c, item, norm_path_index(child, path, i), "a string");
                eq = strchr(text, '=');
                if (eq)
                        *eq = 0;
                if (eq || !null_without_value)
                        v = compose_node_new_string(eq ? eq + 1 : "", &item->mark);
                else
                        v = compose_node_new(COMPOSE_NODE_NULL, &item->mark);
                r = compose_map_set_at(map, text, &item->mark, v);
                if (r < 0)
                        return r;
        }
        return norm_replace_node(slot, TAKE_PTR(map));
}

int norm_as_mapping(NormCtx *c, ComposeNode **slot, bool null_without_value, const char *path, ComposeNode **ret) {
        int r;

        assert(c);
        assert(slot);
        assert(*slot);
        assert(ret);

        if ((*slot)->type == COMPOSE_NODE_SEQ) {
                r = norm_mapping_from_list(c, slot, null_without_value, path);
                if (r < 0)
                        return r;
        }
        if ((*slot)->type != COMPOSE_NODE_MAP)
                return norm_type_error(c, *slot, path, "a mapping or a list of KEY=VALUE strings");
        *ret = *slot;
        return 0;
}

static int norm_mapping(NormCtx *c, ComposeNode **slot, bool keep_null, const char *path) {
        char child[NORM_PATH_MAX];
        ComposeNode *map;
        int r;

        r = norm_as_mapping(c, slot, keep_null, path, &map);
        if (r < 0)
                return r;
        COMPOSE_MAP_FOREACH(i, map) {
                ComposeNode *v = map->items[i];

                if (v->type == COMPOSE_NODE_NULL) {
                        if (!keep_null && set_scalar(v, COMPOSE_NODE_STRING, strdup("")) < 0)
                                return -ENOMEM;
                        continue;
                }
                r = norm_string(c, v, norm_path_key(child, path, map->keys[i]->scalar));
                if (r < 0)
                        return r;
        }
        norm_sort_map(map);
        return map->n_items == 0;
}

static int norm_shell_command(NormCtx *c, ComposeNode **slot, const char *path) {
        ComposeNode *n = *slot;
        _cleanup_strv_free_ char **args = NULL;
        int r;

        if (n->type == COMPOSE_NODE_SEQ)
                return norm_string_list(c, slot, path);
        if (n->type != COMPOSE_NODE_STRING)
                return norm_type_error(c, n, path, "a string or a list of strings");
        r = norm_shell_split(n->scalar, &args);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return compose_node_error(n, c->reterr, r, path, "invalid command line string");
        r = norm_replace_strv(slot, args);
        return r < 0 ? r : (*slot)->n_items == 0;
}

static int norm_struct_seq(NormCtx *c, ComposeNode *seq, const NormSchema *schema, const char *path) {
        char child[NORM_PATH_MAX];
        int r;

        if (seq->type != COMPOSE_NODE_SEQ)
                return norm_type_error(c, seq, path, "a list");
        COMPOSE_SEQ_FOREACH(i, seq) {
                r = norm_struct(c, seq->items[i], schema, norm_path_index(child, path, i));
                if (r < 0)
                        return r;
        }
        return seq->n_items == 0;
}

static int norm_struct_map(NormCtx *c, ComposeNode *map, const NormSchema *schema, const char *path) {
        char child[NORM_PATH_MAX];
        int r;

        if (map->type != COMPOSE_NODE_MAP)
                return norm_type_error(c, map, path, "a mapping");
        COMPOSE_MAP_FOREACH(i, map) {
                if (map->items[i]->type == COMPOSE_NODE_NULL)
                        continue;
                r = norm_struct(c, map->items[i], schema, norm_path_key(child, path, map->keys[i]->scalar));
                if (r < 0)
                        return r;
        }
        norm_sort_map(map);
        return map->n_items == 0;
}

static int norm_struct_value(NormCtx *c, ComposeNode *n, const NormSchema *schema, NormKind kind,
                             const char *path) {
        int r = norm_struct(c, n, schema, path);

        if (r < 0)
                return r;
        if (kind == NORM_STRUCT_VALUE)
                n->flags |= COMPOSE_NODE_STRUCT_VALUE;
        return 0;
}

/* A struct value field the mapping lacks is there all the same, empty, as in Go. */
static int add_struct_values(ComposeNode *map, const NormSchema *schema) {
        for (size_t i = 0; i < schema->n_fields; i++) {
                ComposeNode *v;
                int r;

                if (schema->fields[i].kind != NORM_STRUCT_VALUE || compose_map_get(map, schema->fields[i].name))
                        continue;
                v = norm_new_map(&map->mark);
                if (!v)
                        return -ENOMEM;
                v->flags |= COMPOSE_NODE_STRUCT_VALUE;
                r = compose_map_set(map, schema->fields[i].name, v);
                if (r < 0)
                        return r;
        }
        return 0;
}

int norm_value(NormCtx *c, ComposeNode **slot, NormKind kind, const NormSchema *schema, const char *path) {
        ComposeNode *n = *slot;

        assert(c);
        assert(slot);
        assert(*slot);

        if (kind == NORM_ANY)
                return 0;
        if (n->type == COMPOSE_NODE_NULL)
                return 1;       /* Go's zero value: omitted */
        switch (kind) {
        case NORM_STRING:
                return norm_string(c, n, path);
        case NORM_BOOL:
        case NORM_BOOL_PTR:
                return norm_bool(c, n, kind, path);
        case NORM_INT:
        case NORM_INT_PTR:
                return norm_int(c, n, kind, path);
        case NORM_FLOAT32:
                return norm_float32(c, n, path);
        case NORM_BYTES:
                return norm_bytes(c, n, path);
        case NORM_DURATION:
        case NORM_DURATION_PTR:
                return norm_duration(c, n, kind, path);
        case NORM_FILE_MODE:
                return norm_file_mode(c, n, path);
        case NORM_STRING_LIST:
                return norm_string_list(c, slot, path);
        case NORM_MAPPING:
        case NORM_MAPPING_EQ:
                return norm_mapping(c, slot, kind == NORM_MAPPING_EQ, path);
        case NORM_SHELL_COMMAND:
                return norm_shell_command(c, slot, path);
        case NORM_STRUCT:
        case NORM_STRUCT_VALUE:
                return norm_struct_value(c, n, schema, kind, path);
        case NORM_STRUCT_SEQ:
                return norm_struct_seq(c, n, schema, path);
        case NORM_STRUCT_MAP:
                return norm_struct_map(c, n, schema, path);
        case NORM_ANY:
                break;
        }
        return 0;
}

static const NormField *find_field(const NormSchema *schema, const char *name) {
        for (size_t i = 0; i < schema->n_fields; i++)
                if (streq(schema->fields[i].name, name))
                        return schema->fields + i;
        return NULL;
}

/* The schema's fields first, in the schema's order; then the others by norm_key_less(). */
static bool schema_key_less(const char *a, const char *b, void *userdata) {
        const NormSchema *schema = userdata;
        const NormField *fa = find_field(schema, a), *fb = find_field(schema, b);

        if (fa && fb)
                return fa < fb;
        if (fa || fb)
                return fa;
        return norm_key_less(a, b);
}

void norm_order_keys(ComposeNode *map, const NormSchema *schema) {
        assert(schema);

        compose_map_sort_by(map, schema_key_less, (void*) schema);
        map->flags |= COMPOSE_NODE_STRUCT;
}

int norm_struct(NormCtx *c, ComposeNode *map, const NormSchema *schema, const char *path) {
        char child[NORM_PATH_MAX];
        int r;

        assert(c);
        assert(map);
        assert(schema);

        if (map->type != COMPOSE_NODE_MAP)
                return norm_type_error(c, map, path, "a mapping");
        for (size_t i = 0; i < map->n_items;) {
                const NormField *f = find_field(schema, map->keys[i]->scalar);

                if (!f) {
                        i++;
                        continue;
                }
                norm_path_key(child, path, f->name);
                if (f->hook) {
                        r = f->hook(c, &map->items[i], child);
                        if (r < 0)
                                return r;
                }
                r = norm_value(c, &map->items[i], f->kind, f->schema, child);
                if (r < 0)
                        return r;
                if (r > 0) {
                        (void) compose_map_remove(map, f->name);
                        continue;
                }
                i++;
        }
        if (schema->finish) {
                r = schema->finish(c, map, path);
                if (r < 0)
                        return r;
        }
        r = add_struct_values(map, schema);
        if (r < 0)
                return r;
        norm_order_keys(map, schema);
        return 0;
}
