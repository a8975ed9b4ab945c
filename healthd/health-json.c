/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>

#include "healthd/health-internal.h"
#include "lib/strv.h"

static int get_usec(const json_object *o, const char *key, uint64_t *ret, NcError *reterr) {
        json_object *v;
        int64_t n;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return 0;
        if (!json_object_is_type(v, json_type_int))
                return nc_error_set(reterr, -EINVAL, "healthcheck.%s: not an integer", key);
        n = json_object_get_int64(v);
        if (n < 0)
                return nc_error_set(reterr, -ERANGE, "healthcheck.%s: negative", key);
        *ret = (uint64_t) n;
        return 0;
}

static int get_test(HealthConfig *c, const json_object *o, NcError *reterr) {
        _cleanup_strv_free_ char **test = NULL;
        json_object *v, *disable;
        size_t n;

        if (json_object_object_get_ex(o, "disable", &disable) && json_object_get_boolean(disable))
                return health_config_set_test(c, NULL, reterr);
        if (!json_object_object_get_ex(o, "test", &v) || json_object_is_type(v, json_type_null))
                return health_config_set_test(c, NULL, reterr);
        if (json_object_is_type(v, json_type_string))   /* a string is CMD-SHELL */
                return health_config_set_test(c, (char*[]) { "CMD-SHELL", (char*) json_object_get_string(v),
                                                              NULL }, reterr);
        if (!json_object_is_type(v, json_type_array))
                return nc_error_set(reterr, -EINVAL, "healthcheck.test: not a list");
        n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
                json_object *item = json_object_array_get_idx(v, i);

                if (!json_object_is_type(item, json_type_string))
                        return nc_error_set(reterr, -EINVAL, "healthcheck.test[%zu]: not a string", i);
                if (strv_extend(&test, json_object_get_string(item)) < 0)
                        return nc_error_set(reterr, -ENOMEM, "out of memory");
        }
        return health_config_set_test(c, test, reterr);
}

static int parse_healthcheck(HealthConfig *c, const json_object *o, NcError *reterr) {
        json_object *v;
        int r;

        r = get_test(c, o, reterr);
        if (r >= 0)
                r = get_usec(o, "interval_usec", &c->interval_usec, reterr);
        if (r >= 0)
                r = get_usec(o, "timeout_usec", &c->timeout_usec, reterr);
        if (r >= 0)
                r = get_usec(o, "start_period_usec", &c->start_period_usec, reterr);
        if (r >= 0)
                r = get_usec(o, "start_interval_usec", &c->start_interval_usec, reterr);
        if (r < 0)
                return r;
        if (json_object_object_get_ex(o, "retries", &v) && !json_object_is_type(v, json_type_null)) {
                int64_t n = json_object_get_int64(v);

                if (!json_object_is_type(v, json_type_int) || n < 0 || n > 1000000)
                        return nc_error_set(reterr, -EINVAL, "healthcheck.retries: not a count");
                c->retries = (unsigned) n;
        }
        return 0;
}

static const char *get_string(const json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int parse_probe(HealthConfig *c, const json_object *o, NcError *reterr) {
        const char *type = get_string(o, "type"), *address = get_string(o, "address"),
                *path = get_string(o, "path");
        json_object *v;
        int64_t port;

        if (streq_ptr(type, "tcp"))
                c->type = HEALTH_TEST_TCP;
        else if (streq_ptr(type, "http"))
                c->type = HEALTH_TEST_HTTP;
        else
                return nc_error_set(reterr, -EINVAL, "x-nspawn-compose.probe.type: '%s' is not tcp or http",
                                    strempty(type));
        port = json_object_object_get_ex(o, "port", &v) ? json_object_get_int64(v) : 0;
        if (port < 1 || port > 65535)
                return nc_error_set(reterr, -EINVAL, "x-nspawn-compose.probe.port: not a port");
        if (path && path[0] != '/')
                return nc_error_set(reterr, -EINVAL, "x-nspawn-compose.probe.path: must start with '/'");
        c->port = (uint16_t) port;
        if ((address && !(c->address = strdup(address))) || (path && !(c->http_path = strdup(path))))
                return nc_error_set(reterr, -ENOMEM, "out of memory");
        return 0;
}

int health_config_from_json(const struct json_object *healthcheck, const struct json_object *probe,
                            HealthConfig *ret, NcError *reterr) {
        HealthConfig c = {};
        int r = 0;

        if (healthcheck && json_object_is_type(healthcheck, json_type_object))
                r = parse_healthcheck(&c, healthcheck, reterr);
        if (r >= 0 && probe && json_object_is_type(probe, json_type_object))
                r = parse_probe(&c, probe, reterr);
        if (r < 0) {
                health_config_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}
