/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdio.h>

#include "lib/strv.h"

char **strv_free(char **l) {
        STRV_FOREACH(s, l)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;

        STRV_FOREACH(s, l)
                n++;
        return n;
}

bool strv_contains(char * const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

int strv_consume(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **nl;

        if (!s)
                return -ENOMEM;
        nl = realloc(*l, sizeof(char*) * (n + 2));
        if (!nl) {
                free(s);
                return -ENOMEM;
        }
        nl[n] = s;
        nl[n + 1] = NULL;
        *l = nl;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

char **strv_copy(char * const *l) {
        char **r = calloc(1, sizeof(char*));

        if (!r)
                return NULL;
        STRV_FOREACH(s, l)
                if (strv_extend(&r, *s) < 0)
                        return strv_free(r);
        return r;
}

char **strv_split(const char *s, const char *sep) {
        char **r = calloc(1, sizeof(char*));

        if (!r)
                return NULL;
        while (*s) {
                size_t n = strcspn(s, sep);

                if (n > 0 && strv_consume(&r, strndup(s, n)) < 0)
                        return strv_free(r);
                s += n;
                if (*s)
                        s++;
        }
        return r;
}

char *strv_join(char * const *l, const char *sep) {
        StrBuf b = {};

        STRV_FOREACH(s, l) {
                if (s != l)
                        strbuf_append(&b, sep);
                strbuf_append(&b, *s);
        }
        return strbuf_steal(&b);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

void strv_sort(char **l) {
        if (!l)
                return;
        qsort(l, strv_length(l), sizeof(char*), cmp_str);
}

static bool env_entry_is(const char *entry, const char *key, size_t len) {
        return strncmp(entry, key, len) == 0 && entry[len] == '=';
}

const char *strv_env_get(char * const *l, const char *key) {
        size_t len = strlen(key);

        for (size_t i = strv_length(l); i > 0; i--)
                if (env_entry_is(l[i - 1], key, len))
                        return l[i - 1] + len + 1;
        return NULL;
}

int strv_env_set(char ***l, const char *key, const char *value) {
        size_t len = strlen(key);
        char *e;

        e = strjoin(key, "=", value);
        if (!e)
                return -ENOMEM;
        STRV_FOREACH(i, *l)
                if (env_entry_is(*i, key, len)) {
                        free_and_replace_ptr((char **) i, e);
                        return 0;
                }
        return strv_consume(l, e);
}

void strbuf_append_n(StrBuf *b, const char *s, size_t n) {
        if (b->oom)
                return;
        if (b->len + n + 1 > b->alloc) {
                size_t na = MAX(b->alloc * 2, b->len + n + 64);
                char *nb = realloc(b->buf, na);
                if (!nb) {
                        b->oom = true;
                        return;
                }
                b->buf = nb;
                b->alloc = na;
        }
        memcpy(b->buf + b->len, s, n);
        b->len += n;
        b->buf[b->len] = 0;
}

void strbuf_append(StrBuf *b, const char *s) {
        strbuf_append_n(b, s, strlen(s));
}

void strbuf_append_char(StrBuf *b, char c) {
        strbuf_append_n(b, &c, 1);
}

void strbuf_printf(StrBuf *b, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->oom = true;
                return;
        }
        strbuf_append_n(b, s, n);
}

char *strbuf_steal(StrBuf *b) {
        char *r;

        if (b->oom) {
                strbuf_done(b);
                return NULL;
        }
        r = b->buf ?: strdup("");
        *b = (StrBuf) {};
        return r;
}

void strbuf_done(StrBuf *b) {
        free(b->buf);
        *b = (StrBuf) {};
}

char *strjoin_real(const char *a, ...) {
        StrBuf b = {};
        va_list ap;

        strbuf_append(&b, a);
        va_start(ap, a);
        for (const char *s; (s = va_arg(ap, const char*)); )
                strbuf_append(&b, s);
        va_end(ap);
        return strbuf_steal(&b);
}

int strv_extendf(char ***l, const char *fmt, ...) {
        va_list ap;
        char *s;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        return n < 0 ? -ENOMEM : strv_consume(l, s);
}

bool string_is_name(const char *s) {
        if (isempty(s))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("._-", *s))
                        return false;
        return true;
}

char *cescape(const char *s) {
        static const char from[] = "\a\b\f\n\r\t\v\\\"", to[] = "abfnrtv\\\"";
        StrBuf b = {};

        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                const char *e = strchr(from, *p);

                if (e)
                        strbuf_printf(&b, "\\%c", to[e - from]);
                else if (*p < 0x20 || *p == 0x7f)
                        strbuf_printf(&b, "\\x%02x", *p);
                else
                        strbuf_append_char(&b, (char) *p);
        }
        return strbuf_steal(&b);
}

const char *strv_pair_value(char * const *l, const char *key) {
        size_t n = strlen(key);

        STRV_FOREACH(p, l)
                if (strncmp(*p, key, n) == 0 && (*p)[n] == '\n')
                        return *p + n + 1;
        return NULL;
}
