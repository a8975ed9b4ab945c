/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "lib/strv.h"
#include "lib/utf8.h"

size_t utf8_char(const char *s, size_t n, unsigned *ret) {
        const unsigned char *p = (const unsigned char *) s;
        unsigned c, min;
        size_t len;

        if (n == 0)
                return 0;
        if (p[0] < 0x80) {
                len = 1, c = p[0], min = 0;
        } else if ((p[0] & 0xe0) == 0xc0) {
                len = 2, c = p[0] & 0x1f, min = 0x80;
        } else if ((p[0] & 0xf0) == 0xe0) {
                len = 3, c = p[0] & 0x0f, min = 0x800;
        } else if ((p[0] & 0xf8) == 0xf0) {
                len = 4, c = p[0] & 0x07, min = 0x10000;
        } else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (p[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        if (ret)
                *ret = c;
        return len;
}

static bool is_terminal_control(unsigned c) {
        return (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f);
}

char *escape_terminal(const char *s, size_t n) {
        StrBuf b = {};

        for (size_t i = 0; i < n;) {
                unsigned c;
                size_t l = utf8_char(s + i, n - i, &c);

                if (l == 0 || is_terminal_control(c)) {
                        /* an invalid byte alone, or every byte of a control character */
                        for (size_t k = 0; k < MAX(l, (size_t) 1); k++)
                                strbuf_printf(&b, "\\x%02x", (unsigned char) s[i + k]);
                        i += MAX(l, (size_t) 1);
                        continue;
                }
                strbuf_append_n(&b, s + i, l);
                i += l;
        }
        return strbuf_steal(&b);
}
