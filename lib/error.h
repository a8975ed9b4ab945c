/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>

#include "lib/macro.h"

/* The error detail every library function may fill in besides its negative errno return.
 * Caller-owned (usually on the stack), nothing to free, usable after OOM. Keeps the first error only,
 * so the innermost, most precise message wins. */
typedef struct NcError {
        int error;                      /* negative errno; 0 = nothing recorded */
        char file[256];                 /* file the position refers to; "" = none */
        unsigned line, column;          /* 1-based; 0 = not applicable */
        char message[512];
} NcError;

/* Records @error (< 0) and a message, in which %m formats @error (as systemd's log_*_errno() do).
 * NULL-safe. Returns @error so `return nc_error_set(...)` works. */
int nc_error_set(NcError *reterr, int error, const char *fmt, ...) _printf_(3, 4);

/* Same, with a position in a file. */
int nc_error_set_at(NcError *reterr, int error, const char *file, unsigned line, unsigned column,
                    const char *fmt, ...) _printf_(6, 7);
int nc_error_setv_at(NcError *reterr, int error, const char *file, unsigned line, unsigned column,
                     const char *fmt, va_list ap) _printf_(6, 0);

/* Formats "file:line:column: message" (or the parts that are set) into @buf. Returns @buf. */
const char *nc_error_format(const NcError *e, char *buf, size_t size);
