/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>

#include "lib/error.h"

int nc_error_setv_at(NcError *reterr, int error, const char *file, unsigned line, unsigned column,
                     const char *fmt, va_list ap) {
        int saved_errno = errno;

        assert(error < 0);
        if (!reterr || reterr->error != 0)
                return error;

        reterr->error = error;
        snprintf(reterr->file, sizeof reterr->file, "%s", strempty(file));
        reterr->line = line;
        reterr->column = column;
        errno = -error;                 /* %m formats @error, whatever errno holds by now */
        vsnprintf(reterr->message, sizeof reterr->message, fmt, ap);
        errno = saved_errno;
        return error;
}

int nc_error_set_at(NcError *reterr, int error, const char *file, unsigned line, unsigned column,
                    const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        nc_error_setv_at(reterr, error, file, line, column, fmt, ap);
        va_end(ap);
        return error;
}

int nc_error_set(NcError *reterr, int error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        nc_error_setv_at(reterr, error, NULL, 0, 0, fmt, ap);
        va_end(ap);
        return error;
}

const char *nc_error_format(const NcError *e, char *buf, size_t size) {
        if (!isempty(e->file) && e->line > 0)
                snprintf(buf, size, "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
        else if (!isempty(e->file))
                snprintf(buf, size, "%s: %s", e->file, e->message);
        else
                snprintf(buf, size, "%s", e->message);
        return buf;
}
