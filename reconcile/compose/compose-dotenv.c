/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdint.h>

#include "reconcile/compose/compose-internal.h"
#include "lib/strv.h"

/* .env and env_file parsing as docker compose does it (compose-go dotenv/parser.go):
 *
 *   # comment                   whole-line comments; blank lines
 *   export KEY=value            "export" is dropped
 *   KEY = value                 blanks around '=' (or ':', the YAML-like form) are dropped
 *   KEY=value # comment         " #" ends an unquoted value; trailing blanks are dropped
 *   KEY='a\'b'                  single quotes: literal, except that \' is a quote
 *   KEY="a\n${X:-d}"            double quotes: \a \b \f \n \r \t \v \" \\ \$ \0ooo, then ${}
 *   KEY="two                    quoted values may span lines
 *   lines"
 *   KEY                         no '=': KEY's value from the environment, if it has one
 *
 * ${} in unquoted and double-quoted values is substituted as in compose files; a name resolves
 * against the earlier lines of the same file first, then @lookup, then what *env already held
 * (compose's order when it reads several env files). */

typedef struct Dotenv {
        const char *path;
        const char *p;                  /* the cursor */
        unsigned line;                  /* line of the cursor, 1-based */
        unsigned stmt_line;             /* line where the current statement starts */
        char **out;                     /* this file's "K=V", keys unique, in order */
        char **before;                  /* *env as it came in */
        ComposeLookup lookup;
        void *userdata;
        NcError *reterr;
} Dotenv;

/* dotenv's isSpace: blanks, but not the line break. */
static bool is_blank(uint32_t c) {
        return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ' || c == 0x85 || c == 0xA0;
}

/* Go's unicode.IsSpace. */
static bool is_space(uint32_t c) {
        return is_blank(c) || c == '\n' || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
               c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* [A-Za-z0-9_.\-\[\]] and, as compose takes any Unicode letter or digit, the other non-ASCII
 * characters that are not blanks. */
static bool is_key_char(uint32_t c) {
        if (c < 0x80)
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '.' || c == '-' || c == '[' || c == ']';
        return !is_space(c) && c != 0xFFFD;
}

/* The length of s[0..len) without trailing Unicode spaces. */
static size_t trimmed_length(const char *s, size_t len) {
        while (len > 0) {
                size_t k = len - 1;
                uint32_t c;

                while (k > 0 && ((unsigned char) s[k] & 0xC0) == 0x80)      /* back to a character start */
                        k--;
                if (compose_utf8_next(s + k, &c) != len - k || !is_space(c))
                        break;
                len = k;
        }
        return len;
}

/* KEY with no '=': the environment's value (not this file's). */
static const char *lookup_inherited(const char *name, void *userdata) {
        Dotenv *d = userdata;
        const char *v = d->lookup ? d->lookup(name, d->userdata) : NULL;

        return v ?: strv_env_get(d->before, name);
}

static const char *lookup_value(const char *name, void *userdata) {
        Dotenv *d = userdata;

        return strv_env_get(d->out, name) ?: lookup_inherited(name, userdata);
}

static int dotenv_error(Dotenv *d, int error, const char *fmt, ...) _printf_(3, 4);
static int dotenv_error(Dotenv *d, int error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        nc_error_setv_at(d->reterr, error, d->path, d->stmt_line, 0, fmt, ap);
        va_end(ap);
        return error;
}

/* Moves to the next statement, over blank lines and comment lines. False at the end. */
static bool skip_to_statement(Dotenv *d) {
        for (;;) {
                uint32_t c;
                size_t n;

                while (*d->p && (n = compose_utf8_next(d->p, &c), is_space(c))) {
                        d->line += c == '\n';
                        d->p += n;
                }
                if (*d->p != '#')
                        return *d->p;
                d->p += strcspn(d->p, "\n");
        }
}

static void skip_blanks(Dotenv *d) {
        uint32_t c;
        size_t n;

        while (*d->p && (n = compose_utf8_next(d->p, &c), is_blank(c)))
                d->p += n;
}

/* Reads the key up to '=', ':' or the end of the line. *ret_inherited: there is no value. */
static int parse_key(Dotenv *d, char **ret_key, bool *ret_inherited) {
        const char *start = d->p, *end;
        uint32_t c = 0;
        size_t n;

        for (; *d->p; d->p += n) {
                n = compose_utf8_next(d->p, &c);
                if (c == '=' || c == ':' || c == '\n')
                        break;
                if (!is_blank(c) && !is_key_char(c))
                        return dotenv_error(d, -EINVAL, "unexpected character \"%.*s\" in variable name \"%.*s\"",
                                            (int) n, d->p, (int) strcspn(start, "\n"), start);
        }
        /* A key alone on the file's last line, without a line break, is inherited too. */
        *ret_inherited = !*d->p || c == '\n';
        end = start + trimmed_length(start, d->p - start);
        if (memchr(start, ' ', end - start))
                return dotenv_error(d, -EINVAL, "key cannot contain a space");
        *ret_key = strndup(start, end - start);
        if (!*ret_key)
                return -ENOMEM;
        if (*d->p) {
                d->line += c == '\n';
                d->p++;
        }
        return 0;
}

/* The rest of the line, up to " #", without trailing blanks. */
static int parse_unquoted(Dotenv *d, char **ret) {
        size_t n = strcspn(d->p, "\n"), len;
        const char *comment;
        char *v;

        v = strndup(d->p, n);
        if (!v)
                return -ENOMEM;
        comment = strstr(v, " #");
        len = trimmed_length(v, comment ? (size_t) (comment - v) : n);
        v[len] = 0;
        d->p += n;
        if (*d->p) {
                d->p++;
                d->line++;
        }
        *ret = v;
        return 0;
}

/* From the opening @quote to the closing one: a backslash before the quote character drops out,
 * every other backslash stays (double quotes expand them afterwards). */
static int parse_quoted(Dotenv *d, char quote, char **ret) {
        const char *start = d->p;
        StrBuf b = {};
        bool escaped = false;

        for (d->p++; *d->p; d->p++) {
                char c = *d->p;

                d->line += c == '\n';
                if (escaped) {
                        escaped = false;
                        if (c != quote)
                                strbuf_append_char(&b, '\\');
                        strbuf_append_char(&b, c);
                } else if (c == '\\')
                        escaped = true;
                else if (c == quote) {
                        d->p++;
                        *ret = strbuf_steal(&b);
                        return *ret ? 0 : -ENOMEM;
                } else
                        strbuf_append_char(&b, c);
        }
        strbuf_done(&b);
        return dotenv_error(d, -EINVAL, "unterminated quoted value %.*s", (int) strcspn(start, "\n"), start);
}

static void append_rune(StrBuf *b, uint32_t c) {
        if (c < 0x80)
                strbuf_append_char(b, c);
        else {
                strbuf_append_char(b, 0xC0 | c >> 6);
                strbuf_append_char(b, 0x80 | (c & 0x3F));
        }
}

/* \0 and up to three digits: an octal byte when there are exactly three octal digits ≤ 0377
 * (then written as that code point, as Go's string(rune) does); else the text stays. */
static size_t expand_octal(const char *s, StrBuf *b) {
        size_t n = 2 + MIN(strspn(s + 2, "0123456789"), (size_t) 3);
        unsigned v;

        if (n == 5 && strspn(s + 2, "01234567") >= 3 && (v = (s[2] - '0') * 64 + (s[3] - '0') * 8 + (s[4] - '0')) <= 0377) {
                if (v != 0)     /* a NUL cannot be part of a C string: it is dropped */
                        append_rune(b, v);
        } else
                strbuf_append_n(b, s, n);
        return n;
}

/* The escapes double-quoted values know. "\$" becomes "$$", so that substitution leaves a '$'. */
static char *expand_escapes(const char *s) {
        static const char from[] = "abfnrtv\"\\", to[] = "\a\b\f\n\r\t\v\"\\";
        StrBuf b = {};

        while (*s) {
                const char *x = s[0] == '\\' && s[1] ? strchr(from, s[1]) : NULL;

                if (x) {
                        strbuf_append_char(&b, to[x - from]);
                        s += 2;
                } else if (s[0] == '\\' && s[1] == '$') {
                        strbuf_append(&b, "$$");
                        s += 2;
                } else if (s[0] == '\\' && s[1] == '0')
                        s += expand_octal(s, &b);
                else
                        strbuf_append_char(&b, *s++);
        }
        return strbuf_steal(&b);
}

static int substitute(Dotenv *d, const char *key, char **value) {
        _cleanup_free_ char *out = NULL;
        NcError err = {};
        int r;

        r = compose_interpolate(*value, lookup_value, d, /* warnings= */ NULL, &out, &err);
        if (r < 0)
                return dotenv_error(d, r, "%s: %s", key, err.message);
        free_and_replace_ptr(value, TAKE_PTR(out));
        return 0;
}

static int parse_value(Dotenv *d, const char *key, char **ret) {
        _cleanup_free_ char *v = NULL;
        char quote = *d->p;
        int r;

        if (quote == '\'' || quote == '"')
                r = parse_quoted(d, quote, &v);
        else
                r = parse_unquoted(d, &v);
        if (r < 0)
                return r;
        if (quote == '"') {
                char *e = expand_escapes(v);

                if (!e)
                        return -ENOMEM;
                free_and_replace_ptr(&v, e);
        }
        if (quote != '\'') {
                r = substitute(d, key, &v);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

static int parse_statement(Dotenv *d) {
        _cleanup_free_ char *key = NULL, *value = NULL;
        const char *after;
        bool inherited;
        int r;

        d->stmt_line = d->line;
        after = startswith(d->p, "export");
        if (after && *after && strchr(" \t\n\f\r", *after)) {
                d->p = after;
                skip_blanks(d);
        }
        r = parse_key(d, &key, &inherited);
        if (r < 0)
                return r;
        if (inherited) {
                const char *v = *key ? lookup_inherited(key, d) : NULL;

                return v ? strv_env_set(&d->out, key, v) : 0;
        }
        skip_blanks(d);
        r = parse_value(d, key, &value);
        if (r < 0)
                return r;
        /* compose accepts "=value" (an empty name); nothing could ever read it */
        return *key ? strv_env_set(&d->out, key, value) : 0;
}

static void dotenv_done(Dotenv *d) {
        d->out = strv_free(d->out);
}

static int dotenv_run(Dotenv *d, char ***env) {
        int r;

        while (skip_to_statement(d)) {
                r = parse_statement(d);
                if (r < 0)
                        return r;
        }
        /* The file's entries go in only when all of it parsed. */
        STRV_FOREACH(e, d->out) {
                *strchr(*e, '=') = 0;
                r = strv_env_set(env, *e, *e + strlen(*e) + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

int compose_dotenv_parse(const char *path, const char *text, ComposeLookup lookup, void *userdata,
                         char ***env, NcError *reterr) {
        _cleanup_(dotenv_done) Dotenv d = {
                .path = path,
                .p = startswith(text, "\xEF\xBB\xBF") ?: text,        /* a UTF-8 BOM is skipped */
                .line = 1,
                .before = *env,
                .lookup = lookup,
                .userdata = userdata,
                .reterr = reterr,
        };
        int r;

        assert(text);
        assert(env);

        r = dotenv_run(&d, env);
        if (r == -ENOMEM)
                return nc_error_set_at(reterr, r, path, 0, 0, "out of memory");
        return r;
}
