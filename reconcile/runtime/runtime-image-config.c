/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "healthd/health.h"
#include "lib/fileio.h"
#include "lib/strv.h"
#include "reconcile/runtime/runtime-internal.h"

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
        health_config_free(c->healthcheck);
        free(c);
        return NULL;
}

int rt_healthcheck_from_docker(struct json_object *o, const char *what, HealthConfig **ret, NcError *reterr) {
        static const RtHealthKeys keys = {      /* docker keeps durations in nanoseconds */
                "Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries", 1000,
        };
        _cleanup_(health_config_freep) HealthConfig *h = NULL;
        _cleanup_strv_free_ char **test = NULL;
        int r;

        assert(what);
        assert(ret);

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        r = rt_healthcheck_read(o, &keys, what, h, &test, reterr);
        if (r < 0)
                return r;
        /* An empty Test inherits from a parent image in docker; here there is none left to inherit. */
        if (strv_length(test) == 0) {
                *ret = NULL;
                return 0;
        }
        r = health_config_set_test(h, test, reterr);
        if (r < 0)
                return r;
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
        if (r < 0)
                return r;
        r = rt_json_strv(config, "Cmd", w, &c->cmd, reterr);
        if (r < 0)
                return r;
        r = rt_json_strv(config, "Env", w, &c->env, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(config, "WorkingDir", w, &c->working_dir, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(config, "User", w, &c->user, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(config, "StopSignal", w, &c->stop_signal, reterr);
        if (r < 0)
                return r;
        r = exposed_ports(config, c, reterr);
        if (r < 0)
                return r;
        r = rt_json_object(config, "Healthcheck", w, &hc, reterr);
        if (r < 0)
                return r;
        if (hc) {
                r = rt_healthcheck_from_docker(hc, "image config: Healthcheck", &c->healthcheck, reterr);
                if (r < 0)
                        return r;
        }
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

        assert(json);
        assert(ret);

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

        assert(ret);

        r = image_store_path(store, digest, &dir, reterr);
        if (r < 0)
                return r;
        path = path_join(dir, "config.json");
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", path);
        return image_config_parse(text, ret, reterr);
}
