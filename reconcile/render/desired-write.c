/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <sys/stat.h>

#include "lib/fileio.h"
#include "reconcile/render/desired-internal.h"

/* 1 if @path is already a symlink to @target, else replaces whatever is there atomically. */
static int symlink_atomic(const char *path, const char *target) {
        _cleanup_free_ char *dir = path_dirname(path), *tmp = NULL;
        char buf[PATH_MAX];
        ssize_t n;
        int r;

        if (!dir)
                return -ENOMEM;
        n = readlink(path, buf, sizeof buf - 1);
        if (n >= 0 && (buf[n] = 0, streq(buf, target)))
                return 0;
        r = mkdir_parents_and_self(dir, 0755);
        if (r < 0)
                return r;
        if (asprintf(&tmp, "%s.#nc%ld", path, (long) getpid()) < 0)
                return -ENOMEM;
        (void) unlink(tmp);
        if (symlink(target, tmp) < 0)
                return -errno;
        if (rename(tmp, path) < 0) {
                r = -errno;
                (void) unlink(tmp);
                return r;
        }
        return 1;
}

int desired_write(const DesiredState *s, const char *root, NcError *reterr) {
        int changed = 0, r;

        for (size_t i = 0; i < s->n_files; i++) {
                const DesiredFile *f = &s->files[i];
                _cleanup_free_ char *path = path_join(root, f->path);

                if (!path)
                        return -ENOMEM;
                if (f->symlink)
                        r = symlink_atomic(path, f->symlink);
                else
                        r = write_file_atomic(path, f->content, f->size, f->mode);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: %m", path);
                changed += r > 0;
        }
        return changed;
}
