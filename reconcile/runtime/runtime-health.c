/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "healthd/health.h"
#include "lib/strv.h"
#include "reconcile/runtime/runtime-internal.h"

/* The healthcheck run-service gives healthd: S.json's (else the image's) test and timings, with
 * x-nspawn-compose.probe, a native TCP/HTTP test, in place of the exec test. */

int rt_healthcheck_read(struct json_object *o, const RtHealthKeys *keys, const char *what, HealthConfig *c,
                        char ***ret_test, NcError *reterr) {
        const struct {
                const char *key;
                uint64_t *usec;
        } durations[] = {
                { keys->interval, &c->interval_usec },
                { keys->timeout, &c->timeout_usec },
                { keys->start_period, &c->start_period_usec },
                { keys->start_interval, &c->start_interval_usec },
        };
        int64_t retries = 0;
        int r;

        assert(keys);
        assert(what);
        assert(c);
        assert(ret_test);

        r = rt_json_strv(o, keys->test, what, ret_test, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(durations); i++) {
                uint64_t v = 0;

                r = rt_json_uint64(o, durations[i].key, what, &v, reterr);
                if (r < 0)
                        return r;
                *durations[i].usec = v / keys->units_per_usec;
        }
        r = rt_json_int64(o, keys->retries, what, &retries, reterr);
        if (r < 0)
                return r;
        if (retries < 0 || retries > 1000000)
                return nc_error_set(reterr, -EINVAL, "%s: '%s' out of range", what, keys->retries);
        c->retries = (unsigned) retries;
        return 0;
}

static int copy_str(const char *s, char **ret) {
        free_and_replace_ptr(ret, NULL);
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* The test of @from (none without @from) replaces that of @c; the timings stay. */
static int copy_test(const HealthConfig *from, HealthConfig *c) {
        static const HealthConfig none = { .type = HEALTH_TEST_NONE };
        int r;

        from = from ?: &none;
        c->type = from->type;
        c->port = from->port;
        c->argv = strv_free(c->argv);
        if (from->argv && !(c->argv = strv_copy(from->argv)))
                return -ENOMEM;
        r = copy_str(from->address, &c->address);
        if (r < 0)
                return r;
        return copy_str(from->http_path, &c->http_path);
}

int rt_health_config(const ServiceSpec *s, const ImageConfig *img, HealthConfig *ret) {
        const HealthConfig *image_check = img ? img->healthcheck : NULL;
        const HealthConfig *h = s->healthcheck ?: image_check;
        _cleanup_(health_config_done) HealthConfig c = { .type = HEALTH_TEST_NONE };
        int r;

        assert(s);
        assert(ret);

        if (h) {
                r = health_config_copy(h, &c);
                if (r < 0)
                        return r;
        }
        /* compose timings without a test keep the image's test (none: no check) */
        if (s->healthcheck && s->healthcheck_image_test) {
                r = copy_test(image_check, &c);
                if (r < 0)
                        return r;
        }
        /* "NONE" switches the probe off too: the user disabled health checking altogether */
        if (s->probe && !(h && c.type == HEALTH_TEST_NONE)) {
                r = copy_test(s->probe, &c);
                if (r < 0)
                        return r;
        }
        r = service_merge_env(s, img, &c.environment);
        if (r < 0)
                return r;
        r = copy_str(s->user ?: img ? img->user : NULL, &c.user);
        if (r < 0)
                return r;
        r = copy_str(s->working_dir ?: img ? img->working_dir : NULL, &c.working_dir);
        if (r < 0)
                return r;
        *ret = c;
        c = (HealthConfig) {};
        return 0;
}
