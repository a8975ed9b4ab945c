/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reconcile/runtime/runtime-internal.h"

/* .dockerignore as docker reads it (moby/patternmatcher): one pattern a line, '#' starts a comment
 * line, surrounding whitespace is dropped, '!' makes an exception, a pattern is a cleaned path
 * relative to the context root ("/a/./b/" is "a/b"). '*' and '?' match within one path component,
 * "**" any number of components (zero too), "[...]" a class, '\' escapes. A pattern that matches a
 * directory matches everything below it, and the last pattern that matches a path decides. */

struct DockerIgnore {
        char **patterns;                /* cleaned, without '!' */
        bool *exception;
        size_t n;
        bool any_exception;
};

DockerIgnore *dockerignore_free(DockerIgnore *d) {
        if (!d)
                return NULL;
        strv_free(d->patterns);
        free(d->exception);
        free(d);
        return NULL;
}

/* Go's filepath.Clean of a relative path, leading '/' dropped: "" and "." stay "." */
static char *pattern_clean(const char *s) {
        _cleanup_free_ char *out = malloc(strlen(s) + 2);
        size_t n = 0;

        if (!out)
                return NULL;
        while (*s) {
                size_t l;

                s += strspn(s, "/");
                l = strcspn(s, "/");
                if (l == 0)
                        break;
                if (l == 1 && s[0] == '.')
                        ;
                else if (l == 2 && s[0] == '.' && s[1] == '.') {
                        /* ".." removes the last component; above the root it stays at the root */
                        while (n > 0 && out[n - 1] != '/')
                                n--;
                        if (n > 0)
                                n--;
                } else {
                        if (n > 0)
                                out[n++] = '/';
                        memcpy(out + n, s, l);
                        n += l;
                }
                s += l;
        }
        if (n == 0)
                out[n++] = '.';
        out[n] = 0;
        return TAKE_PTR(out);
}

int dockerignore_parse(const char *text, DockerIgnore **ret) {
        _cleanup_(dockerignore_freep) DockerIgnore *d = calloc(1, sizeof *d);
        const char *p = text ?: "";

        assert(ret);

        if (!d)
                return -ENOMEM;
        while (*p) {
                size_t l = strcspn(p, "\n");
                _cleanup_free_ char *line = strndup(p, l), *clean = NULL;
                char *s, *e;
                bool exception = false;
                bool *ex;

                p += l + (p[l] == '\n');
                if (!line)
                        return -ENOMEM;
                if (line[0] == '#')
                        continue;
                s = line + strspn(line, " \t\r\f\v");
                for (e = s + strlen(s); e > s && strchr(" \t\r\f\v", e[-1]); e--)
                        ;
                *e = 0;
                if (*s == '!') {
                        exception = true;
                        s++;
                        s += strspn(s, " \t");
                }
                if (!*s)
                        continue;
                clean = pattern_clean(s);
                if (!clean)
                        return -ENOMEM;
                ex = reallocarray(d->exception, d->n + 1, sizeof *ex);
                if (!ex)
                        return -ENOMEM;
                d->exception = ex;
                if (strv_consume(&d->patterns, TAKE_PTR(clean)) < 0)
                        return -ENOMEM;
                d->exception[d->n++] = exception;
                d->any_exception = d->any_exception || exception;
        }
        *ret = TAKE_PTR(d);
        return 0;
}

/* "[...]" at @p against @c: the length of the class in *ret_len, and whether @c is in it. A class
 * without its ']' matches a literal '['. */
static bool class_match(const char *p, char c, size_t *ret_len) {
        const char *q = p + 1;
        bool negate = false, in = false;

        if (*q == '^' || *q == '!') {
                negate = true;
                q++;
        }
        for (bool first = true; *q && (first || *q != ']'); first = false) {
                char lo = *q, hi;

                if (lo == '\\' && q[1])
                        lo = *++q;
                q++;
                hi = lo;
                if (*q == '-' && q[1] && q[1] != ']') {
                        q++;
                        hi = *q == '\\' && q[1] ? *++q : *q;
                        q++;
                }
                if (c >= lo && c <= hi)
                        in = true;
        }
        if (*q != ']') {
                *ret_len = 1;
                return c == '[';
        }
        *ret_len = q + 1 - p;
        return c != '/' && in != negate;
}

bool dockerignore_pattern_match(const char *p, const char *s) {
        size_t l;

        for (;;)
                switch (*p) {
                case 0:
                        return *s == 0;
                case '*':
                        if (p[1] == '*') {
                                p += 2;
                                if (*p == '/')
                                        p++;
                                if (!*p)
                                        return true;            /* a trailing "**": everything below */
                                /* nothing, or anything that ends with a slash (an optional ".*" plus "/") */
                                if (dockerignore_pattern_match(p, s))
                                        return true;
                                for (; *s; s++)
                                        if (*s == '/' && dockerignore_pattern_match(p, s + 1))
                                                return true;
                                return false;
                        }
                        p++;
                        for (;; s++) {
                                if (dockerignore_pattern_match(p, s))
                                        return true;
                                if (!*s || *s == '/')
                                        return false;
                        }
                case '?':
                        if (!*s || *s == '/')
                                return false;
                        p++, s++;
                        break;
                case '[':
                        if (!*s || !class_match(p, *s, &l))
                                return false;
                        p += l, s++;
                        break;
                default:
                        if (*p == '\\' && p[1])
                                p++;
                        if (*p != *s)
                                return false;
                        p++, s++;
                }
}

/* The pattern matches @path or one of the directories above it. */
static bool pattern_covers(const char *pattern, const char *path) {
        _cleanup_free_ char *prefix = NULL;

        if (dockerignore_pattern_match(pattern, path))
                return true;
        prefix = strdup(path);
        if (!prefix)
                return false;
        for (char *slash = strchr(prefix, '/'); slash; slash = strchr(slash + 1, '/')) {
                bool m;

                *slash = 0;
                m = dockerignore_pattern_match(pattern, prefix);
                *slash = '/';
                if (m)
                        return true;
        }
        return false;
}

bool dockerignore_excluded(const DockerIgnore *d, const char *path) {
        bool excluded = false;

        if (!d)
                return false;
        for (size_t i = 0; i < d->n; i++)
                if (d->exception[i] == excluded && pattern_covers(d->patterns[i], path))
                        excluded = !d->exception[i];
        return excluded;
}

bool dockerignore_has_exceptions(const DockerIgnore *d) {
        return d && d->any_exception;
}
