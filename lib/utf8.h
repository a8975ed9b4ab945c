/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Text from a machine is untrusted: before it reaches a terminal, every byte that could drive the
 * terminal is written as "\xNN", as journalctl does. Those are the C0 controls but tab, DEL, the C1
 * controls (U+0080..U+009F, which terminals read as ESC sequences, CSI among them) and every byte
 * that is not part of valid UTF-8 (a lone 0x9b is CSI to an 8-bit terminal). Everything else,
 * valid multi-byte characters included, stays as it is. Returns a NUL-terminated copy, or NULL when
 * out of memory. */
char *escape_terminal(const char *s, size_t n);

/* The length of the valid UTF-8 character at @s (at most @n bytes: shortest form, no surrogates, at
 * most U+10FFFF) and its code point in *ret; 0 when @s does not start one. */
size_t utf8_char(const char *s, size_t n, unsigned *ret);
