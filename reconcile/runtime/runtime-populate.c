/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "lib/copy.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/safe-open.h"
#include "reconcile/runtime/runtime-internal.h"

/* docker's copy of an image's content into a new volume: when a volume is empty as a service that
 * mounts it starts, it gets what the image holds at the mount point, with owners, modes, times,
 * file capabilities and user xattrs; the volume's directory takes the owner and mode of the
 * image's. An image that runs as a non-root USER relies on it to own its data directory.
 *
 * The image is untrusted. The walk goes by directory fds from the mount point down, every entry
 * opened O_NOFOLLOW relative to its parent, so no symlink in the image is ever followed (the mount
 * point itself is resolved inside the image's root, as the machine sees it); symlinks are copied
 * as symlinks, hardlinks become separate copies, files are read to their end whatever their size
 * says, and only directories, regular files and symlinks are copied (no devices, FIFOs or
 * sockets). The copy goes into a volume directory whose parents are private (0700 somewhere
 * above it), so a setuid program from the image is no use to the host's users. */

typedef struct Populate {
        const char *volume;     /* for messages */
        unsigned n_skipped;
} Populate;

static void populate_skipped(const char *path, mode_t mode, void *userdata) {
        Populate *p = userdata;

        log_debug("%s: not copying '%s' (mode %o: neither a directory, a file nor a symlink)", p->volume, path,
                  (unsigned) mode);
        p->n_skipped++;
}

static int dir_is_empty(int fd) {
        _cleanup_closedir_ DIR *d = NULL;
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        struct dirent *de;

        if (dup_fd < 0)
                return -errno;
        d = fdopendir(dup_fd);
        if (!d) {
                (void) close(dup_fd);
                return -errno;
        }
        while ((errno = 0, de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        return 0;
        return errno > 0 ? -errno : 1;
}

/* Some directory above @path is ours and closed to everyone else (no group or other bits). */
static bool has_private_parent(const char *path) {
        _cleanup_free_ char *dir = path_dirname(path);

        while (dir && !streq(dir, "/") && !streq(dir, ".")) {
                struct stat st;
                char *up;

                if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                        return false;
                if (st.st_uid == geteuid() && (st.st_mode & 0077) == 0)
                        return true;
                up = path_dirname(dir);
                free(dir);
                dir = up;
        }
        return false;
}

/* Removes what a failed copy left, so that the next start copies again into an empty volume. By fds
 * and O_NOFOLLOW as the copy: another machine may share the volume and change it meanwhile. */
static void empty_dir(int fd, unsigned depth) {
        _cleanup_closedir_ DIR *d = NULL;
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        struct dirent *de;

        if (dup_fd < 0)
                return;
        d = fdopendir(dup_fd);
        if (!d) {
                (void) close(dup_fd);
                return;
        }
        while ((de = readdir(d))) {
                _cleanup_close_ int sub = -EBADF;
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, "..") ||
                    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (!S_ISDIR(st.st_mode)) {
                        (void) unlinkat(fd, de->d_name, 0);
                        continue;
                }
                sub = depth < COPY_DEPTH_MAX ?
                        openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -EBADF;
                if (sub >= 0)
                        empty_dir(sub, depth + 1);
                (void) unlinkat(fd, de->d_name, AT_REMOVEDIR);
        }
}

int rt_volume_populate(int image_root_fd, const char *target, const char *volume_dir, NcError *reterr) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF;
        Populate p = { .volume = volume_dir };
        CopyOptions o = { .keep_owner = true, .xattrs = true, .skipped = populate_skipped, .userdata = &p };
        struct stat st;
        int r;

        assert(image_root_fd >= 0);
        assert(target);
        assert(volume_dir);

        /* The mount point as the machine would resolve it; nothing there, or no directory: nothing
         * to copy, as docker. */
        src = open_in_root(image_root_fd, target, O_RDONLY | O_DIRECTORY, 0);
        if (src == -ENOENT || src == -ENOTDIR)
                return 0;
        if (src < 0)
                return nc_error_set(reterr, src, "volume %s: the image's %s: %m", volume_dir, target);
        dst = open(volume_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dst < 0)
                return nc_error_set(reterr, -errno, "%s: %m", volume_dir);
        /* Services sharing a volume may start at once: one of them copies, the others see it full. */
        if (flock(dst, LOCK_EX) < 0)
                return nc_error_set(reterr, -errno, "%s: lock: %m", volume_dir);
        r = dir_is_empty(dst);
        if (r <= 0)
                return r < 0 ? nc_error_set(reterr, r, "%s: %m", volume_dir) : 0;
        if (!has_private_parent(volume_dir))
                return nc_error_set(reterr, -EPERM, "%s: refusing to copy the image's %s into it: no directory "
                                    "above it is private to us (mode 0700)", volume_dir, target);
        if (fstat(src, &st) < 0)
                return nc_error_set(reterr, -errno, "volume %s: the image's %s: %m", volume_dir, target);
        r = copy_dir_contents(src, dst, &o);
        if (r >= 0)
                r = copy_attrs(src, dst, &st, &o);
        if (r < 0) {
                empty_dir(dst, 0);
                return nc_error_set(reterr, r, "volume %s: copying the image's %s: %m", volume_dir, target);
        }
        log_debug("%s: populated from the image's %s (%u special files left out)", volume_dir, target,
                  p.n_skipped);
        return 1;
}
