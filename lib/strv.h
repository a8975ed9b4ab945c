/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/macro.h"

/* NULL-terminated string arrays (char **), as systemd's strv. NULL is the empty array. */

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char**, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char * const *l);
bool strv_contains(char * const *l, const char *s);
/* Appends a copy of @s. 0 or -ENOMEM. */
int strv_extend(char ***l, const char *s);
/* Appends @s itself, taking ownership (freed on failure). 0 or -ENOMEM. */
int strv_consume(char ***l, char *s);
char **strv_copy(char * const *l);
/* Splits @s at any of @sep (empty fields dropped). NULL on OOM. */
char **strv_split(const char *s, const char *sep);
/* Joins with @sep. NULL on OOM. */
char *strv_join(char * const *l, const char *sep);
/* In a list of "KEY\nVALUE" lines, the VALUE of @key, or NULL. */
const char *strv_pair_value(char * const *l, const char *key);
void strv_sort(char **l);

/* A NULL-terminated array literal of its arguments, for argv and the like. */
#define STRV_MAKE(...) ((char*[]) { __VA_ARGS__, NULL })

#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)

/* Environment lists ("KEY=VALUE" entries). The value of @key (the last entry for it), or NULL. */
const char *strv_env_get(char * const *l, const char *key);
/* Sets @key to @value: replaces the first entry for @key, or appends one. 0 or -ENOMEM. */
int strv_env_set(char ***l, const char *key, const char *value);

/* Growable string. */
typedef struct StrBuf {
        char *buf;
        size_t len, alloc;
        bool oom;                       /* sticky: any failed append sets it */
} StrBuf;

void strbuf_append(StrBuf *b, const char *s);
void strbuf_append_n(StrBuf *b, const char *s, size_t n);
void strbuf_append_char(StrBuf *b, char c);
void strbuf_printf(StrBuf *b, const char *fmt, ...) _printf_(2, 3);
/* Hands over the NUL-terminated string (never NULL unless OOM) and resets @b. */
char *strbuf_steal(StrBuf *b);
void strbuf_done(StrBuf *b);

/* Concatenates the strings (a NULL-terminated list). NULL on OOM. */
char *strjoin_real(const char *a, ...) __attribute__((sentinel));
#define strjoin(a, ...) strjoin_real((a), __VA_ARGS__, NULL)

/* Appends a formatted string. 0 or -ENOMEM. */
int strv_extendf(char ***l, const char *fmt, ...) _printf_(2, 3);

/* @s with C's escapes for quotes, backslashes and control characters ("a\nb" for a newline), for
 * quoting a value in a message on one line. NULL on OOM. */
char *cescape(const char *s);

/* Non-empty and only [A-Za-z0-9._-]: a name as compose gives services, networks and volumes. */
bool string_is_name(const char *s);
