/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lib/fileio.h"
#include "lib/strv.h"
#include "reconcile/runtime/runtime-internal.h"

HealthcheckSpec *healthcheck_spec_free(HealthcheckSpec *h) {
        if (!h)
                return NULL;
        strv_free(h->test);
        free(h);
        return NULL;
}

ImageConfig *image_config_free(ImageConfig *c) {
        if (!c)
                return NULL;
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        strv_free(c->env);
        free(c->working_dir);
        free(c->user);
        free(c->stop_signal);
        strv_free(c->exposed_ports);
        healthcheck_spec_free(c->healthcheck);
        free(c);
        return NULL;
}

/* Docker keeps durations in nanoseconds. */
static int duration_ns(struct json_object *o, const char *key, const char *what, uint64_t *ret_usec,
                       NcError *reterr) {
        uint64_t ns = 0;
        int r;

        r = rt_json_uint64(o, key, what, &ns, reterr);
        if (r < 0)
                return r;
        *ret_usec = ns / 1000;
        return 0;
}

int rt_healthcheck_from_docker(struct json_object *o, const char *what, HealthcheckSpec **ret, NcError *reterr) {
        _cleanup_(healthcheck_spec_freep) HealthcheckSpec *h = NULL;
        int64_t retries = 0;
        int r;

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        r = rt_json_strv(o, "Test", what, &h->test, reterr);
        if (r >= 0)
                r = duration_ns(o, "Interval", what, &h->interval_usec, reterr);
        if (r >= 0)
                r = duration_ns(o, "Timeout", what, &h->timeout_usec, reterr);
        if (r >= 0)
                r = duration_ns(o, "StartPeriod", what, &h->start_period_usec, reterr);
        if (r >= 0)
                r = duration_ns(o, "StartInterval", what, &h->start_interval_usec, reterr);
        if (r >= 0)
                r = rt_json_int64(o, "Retries", what, &retries, reterr);
        if (r < 0)
                return r;
        if (retries < 0 || retries > 1000000)
                return nc_error_set(reterr, -EINVAL, "%s: 'Retries' out of range", what);
        h->retries = (unsigned) retries;
        /* An empty Test inherits from a parent image in docker; here there is none left to inherit. */
        if (strv_length(h->test) == 0) {
                *ret = NULL;
                return 0;
        }
        *ret = TAKE_PTR(h);
        return 0;
}

static int exposed_ports(struct json_object *config, ImageConfig *c, NcError *reterr) {
        struct json_object *ports = NULL;
        int r;

        r = rt_json_object(config, "ExposedPorts", "image config", &ports, reterr);
        if (r < 0 || !ports)
                return r;
        c->exposed_ports = calloc(1, sizeof(char*));
        if (!c->exposed_ports)
                return -ENOMEM;
        json_object_object_foreach(ports, k, v) {
                (void) v;
                if (strv_extend(&c->exposed_ports, k) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* "" means unset in image configs. */
static void drop_empty(char **s) {
        if (*s && !**s)
                free_and_replace_ptr(s, NULL);
}

static int parse_config(struct json_object *config, ImageConfig *c, NcError *reterr) {
        const char *w = "image config";
        struct json_object *hc = NULL;
        int r;

        r = rt_json_strv(config, "Entrypoint", w, &c->entrypoint, reterr);
        if (r >= 0)
                r = rt_json_strv(config, "Cmd", w, &c->cmd, reterr);
        if (r >= 0)
                r = rt_json_strv(config, "Env", w, &c->env, reterr);
        if (r >= 0)
                r = rt_json_string(config, "WorkingDir", w, &c->working_dir, reterr);
        if (r >= 0)
                r = rt_json_string(config, "User", w, &c->user, reterr);
        if (r >= 0)
                r = rt_json_string(config, "StopSignal", w, &c->stop_signal, reterr);
        if (r >= 0)
                r = exposed_ports(config, c, reterr);
        if (r >= 0)
                r = rt_json_object(config, "Healthcheck", w, &hc, reterr);
        if (r >= 0 && hc)
                r = rt_healthcheck_from_docker(hc, "image config: Healthcheck", &c->healthcheck, reterr);
        if (r < 0)
                return r;
        drop_empty(&c->working_dir);
        drop_empty(&c->user);
        drop_empty(&c->stop_signal);
        return 0;
}

int image_config_parse(const char *json, ImageConfig **ret, NcError *reterr) {
        _cleanup_(json_object_putp) struct json_object *root = NULL;
        _cleanup_(image_config_freep) ImageConfig *c = NULL;
        struct json_object *config = NULL;
        int r;

        r = rt_json_parse(json, "image config", &root, reterr);
        if (r < 0)
                return r;
        r = rt_json_object(root, "config", "image config", &config, reterr);
        if (r < 0)
                return r;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        if (config) {   /* an image built from a bare tarball has no "config" at all */
                r = parse_config(config, c, reterr);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

int image_config_load(const char *store, const char *digest, ImageConfig **ret, NcError *reterr) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
        int r;

        r = image_store_path(store, digest, &dir, reterr);
        if (r < 0)
                return r;
        path = path_join(dir, "config.json");
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %s", path, strerror(-r));
        return image_config_parse(text, ret, reterr);
}
