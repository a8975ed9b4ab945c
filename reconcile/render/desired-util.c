/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>

#include "reconcile/render/desired-internal.h"
#include "reconcile/runtime/runtime.h"

static const struct {
        const char *suffix;
        uint64_t nsec;
} duration_units[] = {
        { "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 }, { "ms", 1000000 },
        { "s", UINT64_C(1000000000) }, { "m", UINT64_C(60000000000) }, { "h", UINT64_C(3600000000000) },
};

/* Reads one "<number><unit>" element of a Go duration and adds it (in ns) to *total. */
static int parse_duration_element(const char **p, uint64_t *total) {
        const char *s = *p;
        uint64_t whole = 0, frac = 0, scale = 1;
        size_t digits = 0;

        for (; isdigit((unsigned char) *s); s++, digits++)
                if (__builtin_mul_overflow(whole, 10, &whole) || __builtin_add_overflow(whole, *s - '0', &whole))
                        return -ERANGE;
        if (*s == '.')
                for (s++; isdigit((unsigned char) *s); s++, digits++)
                        if (scale < UINT64_C(1000000000000))
                                frac = frac * 10 + (*s - '0'), scale *= 10;
        if (digits == 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(duration_units); i++) {
                const char *rest = startswith(s, duration_units[i].suffix);
                uint64_t v, u = duration_units[i].nsec;

                /* "m" must not take the "m" of "ms" */
                if (!rest || (*rest && !isdigit((unsigned char) *rest) && *rest != '.'))
                        continue;
                if (__builtin_mul_overflow(whole, u, &v) || __builtin_add_overflow(v, frac * u / scale, &v) ||
                    __builtin_add_overflow(*total, v, total))
                        return -ERANGE;
                *p = rest;
                return 0;
        }
        return -EINVAL;
}

int parse_go_duration(const char *s, uint64_t *ret_usec) {
        uint64_t total = 0;
        int r;

        if (*s == '+')
                s++;
        if (streq(s, "0")) {
                *ret_usec = 0;
                return 0;
        }
        if (!*s)
                return -EINVAL;
        while (*s) {
                r = parse_duration_element(&s, &total);
                if (r < 0)
                        return r;
        }
        *ret_usec = total / 1000;
        return 0;
}

int parse_bytes(const char *s, uint64_t *ret) {
        static const char units[] = "bkmgtp";
        char *end;
        uint64_t v, mult = 1;
        const char *u;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno)
                return -errno;
        if (*end) {
                char c = tolower((unsigned char) *end);

                u = strchr(units, c);
                if (!c || !u)
                        return -EINVAL;
                for (const char *x = units; x < u; x++)
                        mult *= 1024;
                end++;
                if (*end && (tolower((unsigned char) *end) != 'b' || c == 'b' || end[1]))
                        return -EINVAL;
        }
        if (__builtin_mul_overflow(v, mult, ret))
                return -ERANGE;
        return 0;
}

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

const char *desired_store_digest(const char *image, void *userdata) {
        char ***cache = userdata;
        size_t l = strlen(image);
        _cleanup_free_ char *d = NULL;

        STRV_FOREACH(s, *cache)
                if (strncmp(*s, image, l) == 0 && (*s)[l] == '\n')
                        return *s + l + 1;
        if (image_resolve(NULL, image, &d, NULL) < 0 || strv_consume(cache, strjoin(image, "\n", d)) < 0)
                return NULL;
        return (*cache)[strv_length(*cache) - 1] + l + 1;
}
