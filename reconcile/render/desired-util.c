/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>

#include "reconcile/render/desired-internal.h"
#include "reconcile/runtime/runtime.h"

char *format_timespan_unit(uint64_t usec) {
        char *r;

        if (usec == USEC_INFINITY)
                return strdup("infinity");
        if (usec % USEC_PER_SEC == 0)
                return asprintf(&r, "%" PRIu64 "s", usec / USEC_PER_SEC) < 0 ? NULL : r;
        if (usec % 1000 == 0)
                return asprintf(&r, "%" PRIu64 "ms", usec / 1000) < 0 ? NULL : r;
        return asprintf(&r, "%" PRIu64 "us", usec) < 0 ? NULL : r;
}

char *desired_format_at(const ComposeNode *n, const char *path, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        char *r;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (k < 0)
                return NULL;
        if (n && n->mark.file)
                k = asprintf(&r, "%s:%u:%u: %s: %s", n->mark.file, n->mark.line, n->mark.column, path, msg);
        else
                k = asprintf(&r, "%s: %s", path, msg);
        return k < 0 ? NULL : r;
}

int desired_node_uint(const ComposeNode *n, uint64_t min, uint64_t max, uint64_t *ret) {
        const char *s = compose_node_str(n);
        char *end;
        uint64_t v;

        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || *end)
                return errno ? -errno : -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

char *desired_json_text(json_object *o) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE);
        char *r;

        if (!s)
                return NULL;
        return asprintf(&r, "%s\n", s) < 0 ? NULL : r;
}

json_object *desired_json_str(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

const char *desired_project_env(const ComposeProject *p, const char *name) {
        size_t l = strlen(name);

        STRV_FOREACH(e, p->environment)
                if (strncmp(*e, name, l) == 0 && (*e)[l] == '=')
                        return *e + l + 1;
        return NULL;
}

int desired_service_image(const char *project, const char *service, const ComposeNode *svc, char **ret) {
        const char *image = compose_map_get_str(svc, "image");
        char *s;

        if (!isempty(image) || !compose_map_get(svc, "build"))
                s = strdup(strempty(image));
        else
                s = strjoin(project, "-", service);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

const char *desired_store_digest(const char *image, void *userdata) {
        char ***cache = userdata;
        _cleanup_free_ char *d = NULL;
        const char *known = strv_pair_value(*cache, image);

        if (known)
                return known;
        if (image_resolve(NULL, image, &d, NULL) < 0 || strv_consume(cache, strjoin(image, "\n", d)) < 0)
                return NULL;
        return (*cache)[strv_length(*cache) - 1] + strlen(image) + 1;
}

int desired_security_opt(const char *opt) {
        const char *v = startswith(strempty(opt), "no-new-privileges");

        if (!v)
                return -EOPNOTSUPP;
        if (isempty(v) || streq(v, ":true") || streq(v, "=true"))
                return 1;
        if (streq(v, ":false") || streq(v, "=false"))
                return 0;
        return -EOPNOTSUPP;
}

bool desired_device_path_ok(const char *p) {
        if (!p || !startswith(p, "/dev/") || strstr(p, "/../") || endswith(p, "/.."))
                return false;
        for (; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("/_.-:+", *p))
                        return false;
        return true;
}
