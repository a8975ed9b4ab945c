/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lib/strv.h"
#include "reconcile/render/desired-internal.h"
#include "reconcile/render/unit-escape.h"

/* Length of the valid UTF-8 sequence at @s (1-4), or 0 if it is not one. No overlongs, no
 * surrogates, nothing above U+10FFFF: what systemd's utf8_is_valid() accepts. */
size_t utf8_sequence_length(const char *s) {
        const unsigned char *u = (const unsigned char *) s;
        size_t n;
        uint32_t c;

        if (u[0] < 0x80)
                return 1;
        if (u[0] >= 0xc2 && u[0] <= 0xdf)
                n = 2, c = u[0] & 0x1f;
        else if (u[0] >= 0xe0 && u[0] <= 0xef)
                n = 3, c = u[0] & 0x0f;
        else if (u[0] >= 0xf0 && u[0] <= 0xf4)
                n = 4, c = u[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((u[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (u[i] & 0x3f);
        }
        if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        return n;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

char *unit_value_escape(const char *s) {
        StrBuf b = {};
        size_t len = strlen(s);

        for (size_t i = 0; i < len; ) {
                unsigned char c = s[i];
                size_t n = utf8_sequence_length(s + i);
                /* systemd strips leading/trailing blanks and joins a line ending in '\\' with the next */
                bool edge = (i == 0 || i == len - 1) && (is_blank(c) || (c == '\\' && i == len - 1));

                if (c == '%')
                        strbuf_append(&b, "%%");
                else if (n == 0 || c < 0x20 || c == 0x7f || edge) {
                        strbuf_printf(&b, "\\x%02x", c);
                        n = 1;
                } else
                        strbuf_append_n(&b, s + i, n);
                i += n ?: 1;
        }
        return strbuf_steal(&b);
}

static bool exec_arg_is_plain(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._:=@+,-", *s))
                        return false;
        return true;
}

static void exec_arg_escape_char(StrBuf *b, const char *s, size_t *n) {
        static const char from[] = "\a\b\f\n\r\t\v\\\"", to[] = "abfnrtv\\\"";
        unsigned char c = *s;
        const char *e;

        *n = utf8_sequence_length(s);
        if (c == '%')
                strbuf_append(b, "%%");
        else if (c == '$')
                strbuf_append(b, "$$");
        else if (c && (e = strchr(from, c))) {
                strbuf_append_char(b, '\\');
                strbuf_append_char(b, to[e - from]);
        } else if (*n == 0 || c < 0x20 || c == 0x7f) {
                strbuf_printf(b, "\\x%02x", c);
                *n = 1;
        } else
                strbuf_append_n(b, s, *n);
}

char *unit_exec_arg_escape(const char *s) {
        StrBuf b = {};

        if (exec_arg_is_plain(s))
                return strdup(s);
        /* Double quotes keep blanks and ';' inside one argument; systemd unquotes and C-unescapes
         * ExecStart= words, expands "%x" specifiers and "$VAR" environment variables, so all are
         * escaped. */
        strbuf_append_char(&b, '"');
        for (size_t n; *s; s += n)
                exec_arg_escape_char(&b, s, &n);
        strbuf_append_char(&b, '"');
        return strbuf_steal(&b);
}
