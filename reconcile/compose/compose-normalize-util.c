/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reconcile/compose/compose-normalize-internal.h"
#include "lib/strv.h"

static bool key_is_digit(unsigned char c) {
        return c >= '0' && c <= '9';
}

static bool key_is_letter(unsigned char c) {
        /* Bytes of multi-byte UTF-8 sequences count as letters, as most such runes are. */
        return isalpha(c) || c >= 0x80;
}

/* The end of the digit run of @s starting at @i. */
static size_t digit_run_end(const char *s, size_t i) {
        while (key_is_digit(s[i]))
                i++;
        return i;
}

/* Compares the digit runs a[i..ae) and b[i..be) as go-yaml does, with numbers of any length:
 * their values, or with @counted_zeros 10^length plus their value, so that a leading zero makes a
 * run larger. Go computes those in an int64 that wraps past 18 digits; exact values keep the order
 * total (and so the same however the keys came in) where Go's is not. */
static int digit_run_compare(const char *a, size_t ae, const char *b, size_t be, size_t i, bool counted_zeros) {
        size_t as = i, bs = i;
        int r;

        if (!counted_zeros) {
                while (as < ae && a[as] == '0')
                        as++;
                while (bs < be && b[bs] == '0')
                        bs++;
        }
        if (ae - as != be - bs)
                return ae - as < be - bs ? -1 : 1;
        r = memcmp(a + as, b + bs, ae - as);
        return r < 0 ? -1 : r > 0;
}

/* go-yaml's order of map keys (sorter.go keyList.Less): letters by code point, a letter after a
 * digit run or before anything else, and digit runs by number. */
bool norm_key_less(const char *a, const char *b) {
        bool digits = false;
        size_t i;

        assert(a);
        assert(b);

        for (i = 0; a[i] && b[i]; i++) {
                unsigned char x = a[i], y = b[i];
                bool xl, yl, counted_zeros = false;
                size_t ae, be;
                int r;

                if (x == y) {
                        digits = key_is_digit(x);
                        continue;
                }
                xl = key_is_letter(x);
                yl = key_is_letter(y);
                if (xl && yl)
                        return x < y;
                if (xl || yl)
                        return digits ? xl : yl;
                /* Neither is a letter: the digit runs starting here (empty for other bytes) as numbers.
                 * Leading zeros count when the shared run before here has a non-zero digit. */
                if (x == '0' || y == '0')
                        for (size_t j = i; j > 0 && key_is_digit(a[j - 1]); j--)
                                if (a[j - 1] != '0') {
                                        counted_zeros = true;
                                        break;
                                }
                ae = digit_run_end(a, i);
                be = digit_run_end(b, i);
                r = digit_run_compare(a, ae, b, be, i, counted_zeros);
                if (r != 0)
                        return r < 0;
                if (ae != be)
                        return ae < be;
                return x < y;
        }
        return strlen(a) < strlen(b);
}

static bool norm_key_less_cb(const char *a, const char *b, void *userdata) {
        return norm_key_less(a, b);
}

void norm_sort_map(ComposeNode *map) {
        compose_map_sort_by(map, norm_key_less_cb, NULL);
}

const char *norm_path_key(char buf[static NORM_PATH_MAX], const char *parent, const char *key) {
        assert(buf);
        assert(key);

        snprintf(buf, NORM_PATH_MAX, "%s%s%s", strempty(parent), isempty(parent) ? "" : ".", key);
        return buf;
}

const char *norm_path_index(char buf[static NORM_PATH_MAX], const char *parent, size_t i) {
        assert(buf);

        snprintf(buf, NORM_PATH_MAX, "%s[%zu]", strempty(parent), i);
        return buf;
}

char *norm_scalar_text(const ComposeNode *n) {
        if (!compose_node_is_scalar(n)) {
                errno = EINVAL;
                return NULL;
        }
        if (n->type == COMPOSE_NODE_FLOAT) {
                const char *s = n->scalar;

                /* YAML spells infinities and NaN its own way; Go prints what it decoded. */
                if (strstr(s, "inf") || strstr(s, "Inf") || strstr(s, "INF"))
                        return strdup(s[0] == '-' ? "-Inf" : "+Inf");
                if (strstr(s, "nan") || strstr(s, "NaN") || strstr(s, "NAN"))
                        return strdup("NaN");
                return compose_format_float(strtod(s, NULL), false, COMPOSE_FLOAT_YAML);
        }
        if (n->type == COMPOSE_NODE_BOOL)
                return strdup(strchr("tT", n->scalar[0]) ? "true" : "false");
        return strdup(n->scalar);
}

typedef struct ShellState {
        bool escaped, single, dbl, dollar, got;
} ShellState;

static int shell_flush(StrBuf *buf, ShellState *st, char ***args) {
        char *s;

        if (!st->got)
                return 0;
        s = strbuf_steal(buf);
        st->got = false;
        return s ? strv_consume(args, s) : -ENOMEM;
}

/* One character outside any escape. 1 to stop at a shell operator, 0 to go on, <0 on error. */
static int shell_char(char ch, StrBuf *buf, ShellState *st, char ***args) {
        bool quoted = st->single || st->dbl || st->dollar;

        if (ch == '\\' && !st->single) {
                st->escaped = true;
                return 0;
        }
        if (strchr(" \t\r\n", ch) && !quoted)
                return shell_flush(buf, st, args);
        if (ch == '"' && !st->single && !st->dollar) {
                st->got = st->got || st->dbl;
                st->dbl = !st->dbl;
                return 0;
        }
        if (ch == '\'' && !st->dbl && !st->dollar) {
                st->got = st->got || st->single;
                st->single = !st->single;
                return 0;
        }
        if (ch == '(' && !st->single && !st->dbl) {
                if (st->dollar || buf->len == 0 || buf->buf[buf->len - 1] != '$')
                        return -EINVAL;
                st->dollar = true;
        } else if (ch == ')' && !st->single && !st->dbl) {
                if (!st->dollar)
                        return -EINVAL;
                st->dollar = false;
        } else if (strchr(";&|<>", ch) && !quoted)
                return 1;
        st->got = true;
        strbuf_append_char(buf, ch);
        return 0;
}

int norm_shell_split(const char *s, char ***ret) {
        _cleanup_strv_free_ char **args = NULL;
        _cleanup_(strbuf_done) StrBuf buf = {};
        ShellState st = {};
        int r;

        assert(s);
        assert(ret);

        for (const char *p = s; *p; p++) {
                if (st.escaped) {
                        st.escaped = false;
                        st.got = true;
                        if (st.dollar)
                                strbuf_append_char(&buf, '\\');
                        strbuf_append_char(&buf, *p);
                        continue;
                }
                r = shell_char(*p, &buf, &st, &args);
                if (r < 0)
                        return r;
                if (r > 0)
                        break;
        }
        r = shell_flush(&buf, &st, &args);
        if (r < 0)
                return r;
        if (buf.oom)
                return -ENOMEM;
        if (st.escaped || st.single || st.dbl || st.dollar)
                return -EINVAL;
        if (!args && !(args = calloc(1, sizeof(char*))))
                return -ENOMEM;
        *ret = TAKE_PTR(args);
        return 0;
}

char *norm_path_clean(const char *p) {
        _cleanup_strv_free_ char **parts = strv_split(p, "/");
        _cleanup_strv_free_ char **out = NULL;
        bool rooted = p[0] == '/';
        size_t n = 0;
        char *joined;

        assert(p);

        if (!parts)
                return NULL;
        STRV_FOREACH(c, parts) {
                if (streq(*c, "."))
                        continue;
                if (streq(*c, "..") && n > 0 && !streq(out[n - 1], "..")) {
                        free(out[--n]);
                        out[n] = NULL;
                        continue;
                }
                if (streq(*c, "..") && rooted)
                        continue;
                if (strv_extend(&out, *c) < 0)
                        return NULL;
                n++;
        }
        joined = out ? strv_join(out, "/") : strdup("");
        if (!joined)
                return NULL;
        if (rooted || !*joined) {
                char *r = NULL;

                if (asprintf(&r, "%s%s", rooted ? "/" : ".", rooted ? joined : "") < 0)
                        r = NULL;
                free(joined);
                return r;
        }
        return joined;
}

static const char *home_dir(void) {
        return getenv("HOME") ?: "/";
}

static char *join_clean(const char *a, const char *b) {
        _cleanup_free_ char *j = NULL;

        if (asprintf(&j, "%s/%s", a, b) < 0)
                return NULL;
        return norm_path_clean(j);
}

char *norm_abs_path(const char *wd, const char *p) {
        assert(p);

        if (p[0] == '~')
                return join_clean(home_dir(), p + 1);
        if (p[0] == '/')
                return strdup(p);
        return join_clean(wd, p);
}

char *norm_abs_unix_path(const char *wd, const char *p) {
        _cleanup_free_ char *expanded = NULL;

        assert(p);

        if (streq(p, "~") || startswith(p, "~/")) {
                if (asprintf(&expanded, "%s%s", home_dir(), p + 1) < 0)
                        return NULL;
                p = expanded;
        }
        if (p[0] == '/')
                return strdup(p);
        return join_clean(wd, p);
}

int norm_replace_node(ComposeNode **slot, ComposeNode *n) {
        assert(slot);

        if (!n)
                return -ENOMEM;
        compose_node_free(*slot);
        *slot = n;
        return 0;
}

int norm_replace_string(ComposeNode **slot, char *s) {
        _cleanup_free_ char *owned = s;
        ComposeNode *n;

        assert(slot);

        if (!owned)
                return -ENOMEM;
        n = compose_node_new(COMPOSE_NODE_STRING, *slot ? &(*slot)->mark : NULL);
        if (!n)
                return -ENOMEM;
        n->scalar = TAKE_PTR(owned);
        return norm_replace_node(slot, n);
}

int norm_wrap_in_seq(ComposeNode **slot) {
        _cleanup_(compose_node_freep) ComposeNode *seq = compose_node_new(COMPOSE_NODE_SEQ, &(*slot)->mark);

        assert(slot);
        assert(*slot);

        if (!seq || compose_seq_append(seq, TAKE_PTR(*slot)) < 0)
                return -ENOMEM;
        *slot = TAKE_PTR(seq);
        return 0;
}

int norm_replace_strv(ComposeNode **slot, char * const *l) {
        _cleanup_(compose_node_freep) ComposeNode *seq = compose_node_new(COMPOSE_NODE_SEQ, &(*slot)->mark);

        assert(slot);
        assert(*slot);

        if (!seq)
                return -ENOMEM;
        STRV_FOREACH(s, l)
                if (compose_seq_append(seq, compose_node_new_string(*s, &(*slot)->mark)) < 0)
                        return -ENOMEM;
        return norm_replace_node(slot, TAKE_PTR(seq));
}

int norm_map_default(ComposeNode *map, const char *key, ComposeNode *value) {
        assert(map);
        assert(key);

        if (compose_map_get(map, key) || compose_map_index(map, key) >= 0) {
                compose_node_free(value);
                return 0;
        }
        return compose_map_set_at(map, key, &map->mark, value);
}

ComposeNode *norm_new_map(const ComposeMark *mark) {
        return compose_node_new(COMPOSE_NODE_MAP, mark);
}

int norm_type_error(NormCtx *c, const ComposeNode *n, const char *path, const char *what) {
        assert(c);
        assert(n);

        return compose_node_error(n, c->reterr, -EINVAL, path, "must be %s, not %s", what,
                                  compose_node_type_to_string(n->type));
}
