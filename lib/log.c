/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"

static int max_level = LOG_INFO;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) {
        char buf[4096];
        va_list ap;
        int saved = errno;

        if (level > max_level)
                return error;

        if (error < 0)
                errno = -error;          /* for %m */
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        errno = saved;

        /* one record per line, each with its priority, as systemd's log does: a message holding a
         * newline (a tool's multi-line error, a value quoted in a message) stays at its level */
        for (char *l = buf, *next; l; l = next) {
                next = strchr(l, '\n');
                if (next)
                        *next++ = 0;
                if (!*l && !next && l != buf)
                        break;          /* the newline that ended the message */
                if (max_level >= LOG_DEBUG)
                        fprintf(stderr, "<%d>%s:%d: %s\n", level, file, line, l);
                else
                        fprintf(stderr, "<%d>%s\n", level, l);
        }
        return error;
}
