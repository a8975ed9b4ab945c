/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "lib/fileio.h"
#include "tests/tap.h"

/* A test file whose cases work below one fresh directory, /tmp/NAME-XXXXXX, made before main() and
 * removed at exit and on a failed assertion's abort(). tmp_path(rel) is a path below it. */
#define TEST_SCRATCH_DIR(name)                                                  \
        static char tmpdir[] = "/tmp/" name "-XXXXXX";                          \
                                                                                \
        static void remove_tmpdir(int sig) {                                    \
                (void) rm_rf(tmpdir);                                           \
                if (sig) {                                                      \
                        signal(sig, SIG_DFL);                                   \
                        raise(sig);                                             \
                }                                                               \
        }                                                                       \
                                                                                \
        __attribute__((constructor)) static void make_tmpdir(void) {            \
                if (!mkdtemp(tmpdir)) {                                         \
                        printf("Bail out! mkdtemp: %s\n", strerror(errno));     \
                        exit(EXIT_FAILURE);                                     \
                }                                                               \
                signal(SIGABRT, remove_tmpdir);                                 \
        }                                                                       \
                                                                                \
        __attribute__((destructor)) static void drop_tmpdir(void) {             \
                remove_tmpdir(0);                                               \
        }                                                                       \
                                                                                \
        static char *tmp_path(const char *rel) {                                \
                char *p = path_join(tmpdir, rel);                               \
                                                                                \
                ASSERT_NOT_NULL(p);                                             \
                return p;                                                       \
        }
