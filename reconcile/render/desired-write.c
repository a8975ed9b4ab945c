/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "reconcile/render/desired-internal.h"

/* Every file through one write batch: one sync for all of them, not one per file. */
int desired_write(const DesiredState *s, const char *root, bool beneath, NcError *reterr) {
        _cleanup_(write_batch_freep) WriteBatch *batch = NULL;
        _cleanup_close_ int root_fd = -EBADF;
        int changed = 0, r;

        r = write_batch_new(&batch);
        if (r < 0)
                return r;

        if (beneath) {
                r = mkdir_parents_and_self(root, 0755);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: %m", root);
                root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (root_fd < 0)
                        return nc_error_set(reterr, -errno, "%s: %m", root);
        }
        for (size_t i = 0; i < s->n_files; i++) {
                const DesiredFile *f = &s->files[i];
                _cleanup_free_ char *path = path_join(root, f->path);
                /* beneath: relative to root_fd, without the leading '/' */
                const char *rel = f->path + strspn(f->path, "/");
                int dir_fd = beneath ? root_fd : AT_FDCWD;
                const char *where = beneath ? rel : path;
                WriteFlags flags = beneath ? WRITE_BENEATH : 0;

                if (!path)
                        return -ENOMEM;
                if (f->symlink)
                        r = symlink_atomic_at(dir_fd, where, f->symlink, flags);
                else
                        r = write_batch_add(batch, dir_fd, where, f->content, f->size, f->mode, flags);
                if (r == -ELOOP || r == -EXDEV)
                        return nc_error_set(reterr, r, "%s: a directory on the way is a symlink; not writing "
                                            "through it", path);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: %m", path);
                changed += r > 0;
        }
        r = write_batch_commit(batch);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", root);
        return changed;
}
