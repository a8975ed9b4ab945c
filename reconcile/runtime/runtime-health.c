/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "healthd/health.h"
#include "lib/strv.h"
#include "reconcile/runtime/runtime-internal.h"

/* S.json's healthcheck (else the image's) and x-nspawn-compose.probe, as healthd's HealthConfig.
 * The native probe ({"type": "tcp"|"http", "port": N, "path": "/", "address": null}) replaces
 * the exec test and keeps the healthcheck's timing. */

static int probe_parse(const char *json, HealthConfig *c, NcError *reterr) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        _cleanup_free_ char *type = NULL;
        const char *w = "S.json: x-nspawn-compose.probe";
        int64_t port = 0;
        int r;

        r = rt_json_parse(json, w, &o, reterr);
        if (r >= 0)
                r = rt_json_string(o, "type", w, &type, reterr);
        if (r >= 0)
                r = rt_json_int64(o, "port", w, &port, reterr);
        if (r >= 0)
                r = rt_json_string(o, "path", w, &c->http_path, reterr);
        if (r >= 0)
                r = rt_json_string(o, "address", w, &c->address, reterr);
        if (r < 0)
                return r;
        if (streq_ptr(type, "tcp"))
                c->type = HEALTH_TEST_TCP;
        else if (streq_ptr(type, "http"))
                c->type = HEALTH_TEST_HTTP;
        else
                return nc_error_set(reterr, -EINVAL, "%s: 'type' must be \"tcp\" or \"http\"", w);
        if (port < 1 || port > 65535)
                return nc_error_set(reterr, -EINVAL, "%s: 'port' must be 1…65535", w);
        c->port = (uint16_t) port;
        c->argv = strv_free(c->argv);
        return 0;
}

static int copy_str(const char *s, char **ret) {
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int rt_health_config(const ServiceSpec *s, const ImageConfig *img, HealthConfig *ret, NcError *reterr) {
        const HealthcheckSpec *h = s->healthcheck ?: img ? img->healthcheck : NULL;
        const HealthcheckSpec *image_check = img ? img->healthcheck : NULL;
        HealthConfig c = { .type = HEALTH_TEST_NONE };
        int r = 0;

        if (h) {
                /* compose timings without a test keep the image's test (none: no check) */
                r = health_config_set_test(&c, h->test ?: image_check ? image_check->test : NULL, reterr);
                c.interval_usec = h->interval_usec;
                c.timeout_usec = h->timeout_usec;
                c.start_period_usec = h->start_period_usec;
                c.start_interval_usec = h->start_interval_usec;
                c.retries = h->retries;
        }
        /* "NONE" switches the probe off too: the user disabled health checking altogether */
        if (r >= 0 && s->probe_json && !(h && c.type == HEALTH_TEST_NONE))
                r = probe_parse(s->probe_json, &c, reterr);
        if (r >= 0)
                r = service_merge_env(s, img, &c.environment);
        if (r >= 0)
                r = copy_str(s->user ?: img ? img->user : NULL, &c.user);
        if (r >= 0)
                r = copy_str(s->working_dir ?: img ? img->working_dir : NULL, &c.working_dir);
        if (r < 0) {
                health_config_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}
