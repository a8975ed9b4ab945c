/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small TAP harness. TEST(name) { ... } registers a case; TAP_MAIN() runs them in order and prints
 * "1..N" and "ok/not ok" lines. A failed ASSERT prints "# file:line: expr" and abort()s, which gdb and
 * the sanitizers understand; meson then reports the missing cases as a failure. TAP_SKIP(reason) in a
 * case's body prints "ok N - name # SKIP reason" and returns: meson counts a file whose every case
 * skipped as skipped, and .ci/run counts each skipped case. */

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct TapCase {
        const char *name;
        void (*func)(void);
} TapCase;

/* A diagnostic: every line of the formatted text as a TAP comment ("# ..."), so that a message
 * holding a newline cannot end the comment and become an unknown TAP line. */
__attribute__((format(printf, 1, 2), unused))
static void tap_diag(const char *fmt, ...) {
        char *text = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        for (char *l = text, *next; l; l = next) {
                next = strchr(l, '\n');
                if (next)
                        *next++ = 0;
                printf("# %s\n", l);
        }
        free(text);
        fflush(stdout);
}

#define TAP_MAX_CASES 512
extern TapCase tap_cases[TAP_MAX_CASES];
extern unsigned tap_n_cases, tap_current;
extern bool tap_skipped;

/* More cases than the table holds fail the whole file, before any case runs. */
#define TEST(n)                                                                 \
        static void test_##n(void);                                             \
        __attribute__((constructor)) static void tap_register_##n(void) {       \
                if (tap_n_cases >= TAP_MAX_CASES) {                             \
                        printf("Bail out! more than %d cases (TAP_MAX_CASES)\n", TAP_MAX_CASES); \
                        exit(EXIT_FAILURE);                                     \
                }                                                               \
                tap_cases[tap_n_cases++] = (TapCase) { #n, test_##n };          \
        }                                                                       \
        static void test_##n(void)

/* Only in a TEST() body: the return leaves the case. */
#define TAP_SKIP(...)                                                           \
        do {                                                                    \
                printf("ok %u - %s # SKIP ", tap_current + 1, tap_cases[tap_current].name); \
                printf(__VA_ARGS__);                                            \
                fputc('\n', stdout);                                            \
                tap_skipped = true;                                             \
                return;                                                         \
        } while (0)

#define TAP_FAIL(...)                                                           \
        do {                                                                    \
                printf("# %s:%d:\n", __FILE__, __LINE__);                       \
                tap_diag(__VA_ARGS__);                                          \
                abort();                                                        \
        } while (0)

#define ASSERT_TRUE(e)  do { if (!(e)) TAP_FAIL("expected true: %s", #e); } while (0)
#define ASSERT_FALSE(e) do { if (e) TAP_FAIL("expected false: %s", #e); } while (0)
#define ASSERT_NULL(e)  do { if ((e) != NULL) TAP_FAIL("expected NULL: %s", #e); } while (0)
#define ASSERT_NOT_NULL(e) do { if ((e) == NULL) TAP_FAIL("expected non-NULL: %s", #e); } while (0)
#define ASSERT_OK(e)                                                            \
        do {                                                                    \
                intmax_t _r = (e);                                              \
                if (_r < 0)                                                     \
                        TAP_FAIL("%s failed: %jd (%s)", #e, _r, strerror((int) -_r)); \
        } while (0)
#define ASSERT_EQ(a, b)                                                         \
        do {                                                                    \
                intmax_t _a = (a), _b = (b);                                    \
                if (_a != _b)                                                   \
                        TAP_FAIL("%s == %s: %jd != %jd", #a, #b, _a, _b);       \
        } while (0)
#define ASSERT_STREQ(a, b)                                                      \
        do {                                                                    \
                const char *_a = (a), *_b = (b);                                \
                if (!_a || !_b || strcmp(_a, _b) != 0)                          \
                        TAP_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,          \
                                 _a ?: "(null)", _b ?: "(null)");               \
        } while (0)
#define ASSERT_STRCONTAINS(a, b)                                                \
        do {                                                                    \
                const char *_a = (a), *_b = (b);                                \
                if (!_a || !_b || !strstr(_a, _b))                              \
                        TAP_FAIL("%s contains %s: \"%s\" !~ \"%s\"", #a, #b,    \
                                 _a ?: "(null)", _b ?: "(null)");               \
        } while (0)

/* A variable of the environment meson gives every test (test_env in tests/meson.build: NC_SOURCE_ROOT,
 * NC_BUILD_ROOT, NC_CORPUS_DIR). Fails when it is unset: run the test with `meson test`. */
static inline const char *tap_env(const char *var) {
        const char *v = getenv(var);

        if (!v)
                TAP_FAIL("%s is not set: run the test with meson test", var);
        return v;
}

#define TAP_MAIN()                                                              \
        TapCase tap_cases[TAP_MAX_CASES];                                       \
        unsigned tap_n_cases, tap_current;                                      \
        bool tap_skipped;                                                       \
        int main(void) {                                                        \
                printf("1..%u\n", tap_n_cases);                                 \
                for (tap_current = 0; tap_current < tap_n_cases; tap_current++) { \
                        fflush(stdout);                                         \
                        tap_skipped = false;                                    \
                        tap_cases[tap_current].func();                          \
                        if (!tap_skipped)                                       \
                                printf("ok %u - %s\n", tap_current + 1,         \
                                       tap_cases[tap_current].name);            \
                }                                                               \
                return 0;                                                       \
        }
