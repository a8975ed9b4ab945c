/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>

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

#define POPULATE_DEPTH_MAX 128
#define XATTR_LIST_MAX_SIZE (64U * 1024U)

typedef struct Populate {
        const char *volume;     /* for messages */
        unsigned n_skipped;
} Populate;

static bool xattr_copied(const char *name) {
        return startswith(name, "user.") || streq(name, "security.capability");
}

/* Best effort where the file system has no xattrs; a value we cannot read is left out. */
static int copy_xattrs(int from, int to) {
        _cleanup_free_ char *names = NULL;
        ssize_t n = flistxattr(from, NULL, 0);

        if (n <= 0)
                return 0;
        if ((size_t) n > XATTR_LIST_MAX_SIZE)
                return -E2BIG;
        names = malloc(n);
        if (!names)
                return -ENOMEM;
        n = flistxattr(from, names, n);
        if (n < 0)
                return 0;       /* grew under us: the image store is not written to, skip */
        for (char *k = names; k < names + n; k += strlen(k) + 1) {
                char value[4096];
                ssize_t l;

                if (!xattr_copied(k))
                        continue;
                l = fgetxattr(from, k, value, sizeof value);
                if (l < 0)
                        continue;
                if (fsetxattr(to, k, value, l, 0) < 0 && errno != EOPNOTSUPP)
                        return -errno;
        }
        return 0;
}

/* Owner, then mode (a chown clears setuid bits), then xattrs (it clears file capabilities too),
 * then times. */
static int copy_attrs(int from, int to, const struct stat *st) {
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        int r;

        if (fchown(to, st->st_uid, st->st_gid) < 0)
                return -errno;
        if (fchmod(to, st->st_mode & 07777) < 0)
                return -errno;
        r = copy_xattrs(from, to);
        if (r < 0)
                return r;
        return futimens(to, ts) < 0 ? -errno : 0;
}

static int copy_data(int from, int to) {
        char buf[64 * 1024];

        for (;;) {
                ssize_t n = read(from, buf, sizeof buf), w;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                for (char *p = buf; n > 0; p += w, n -= w) {
                        w = write(to, p, n);
                        if (w < 0 && errno == EINTR)
                                w = 0;
                        else if (w < 0)
                                return -errno;
                }
        }
}

static int copy_regular(int src_dir, int dst_dir, const char *name) {
        _cleanup_close_ int from = -EBADF, to = -EBADF;
        struct stat st;
        int r;

        from = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (from < 0)
                return -errno;
        if (fstat(from, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        to = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (to < 0)
                return -errno;
        r = copy_data(from, to);
        if (r < 0)
                return r;
        return copy_attrs(from, to, &st);
}

static int copy_symlink(int src_dir, int dst_dir, const char *name, const struct stat *st) {
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        char target[PATH_MAX];
        ssize_t n = readlinkat(src_dir, name, target, sizeof target);

        if (n < 0)
                return -errno;
        if ((size_t) n >= sizeof target)
                return -ENAMETOOLONG;
        target[n] = 0;
        if (symlinkat(target, dst_dir, name) < 0 ||
            fchownat(dst_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
            utimensat(dst_dir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

static int copy_tree(Populate *p, int src, int dst, unsigned depth);

static int copy_subdir(Populate *p, int src_dir, int dst_dir, const char *name, unsigned depth) {
        _cleanup_close_ int from = -EBADF, to = -EBADF;
        struct stat st;
        int r;

        if (depth >= POPULATE_DEPTH_MAX)
                return -ELOOP;
        from = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (from < 0)
                return -errno;
        if (fstat(from, &st) < 0)
                return -errno;
        if (mkdirat(dst_dir, name, 0700) < 0)
                return -errno;
        to = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (to < 0)
                return -errno;
        r = copy_tree(p, from, to, depth + 1);
        if (r < 0)
                return r;
        return copy_attrs(from, to, &st);
}

/* Copies the entries of the directory @src into the directory @dst (both fds stay open). */
static int copy_tree(Populate *p, int src, int dst, unsigned depth) {
        _cleanup_closedir_ DIR *d = NULL;
        int fd = fcntl(src, F_DUPFD_CLOEXEC, 3), r;
        struct dirent *de;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                (void) close(fd);
                return r;
        }
        while ((errno = 0, de = readdir(d))) {
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(src, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
                if (S_ISDIR(st.st_mode))
                        r = copy_subdir(p, src, dst, de->d_name, depth);
                else if (S_ISREG(st.st_mode))
                        r = copy_regular(src, dst, de->d_name);
                else if (S_ISLNK(st.st_mode))
                        r = copy_symlink(src, dst, de->d_name, &st);
                else {
                        log_debug("%s: not copying '%s' (neither a directory, a file nor a symlink)",
                                  p->volume, de->d_name);
                        p->n_skipped++;
                        r = 0;
                }
                if (r < 0)
                        return r;
        }
        return errno > 0 ? -errno : 0;
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
                sub = depth < POPULATE_DEPTH_MAX ?
                        openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -EBADF;
                if (sub >= 0)
                        empty_dir(sub, depth + 1);
                (void) unlinkat(fd, de->d_name, AT_REMOVEDIR);
        }
}

int rt_volume_populate(int image_root_fd, const char *target, const char *volume_dir, NcError *reterr) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF;
        Populate p = { .volume = volume_dir };
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
        r = copy_tree(&p, src, dst, 0);
        if (r >= 0)
                r = copy_attrs(src, dst, &st);
        if (r < 0) {
                empty_dir(dst, 0);
                return nc_error_set(reterr, r, "volume %s: copying the image's %s: %m", volume_dir, target);
        }
        log_debug("%s: populated from the image's %s (%u special files left out)", volume_dir, target,
                  p.n_skipped);
        return 1;
}
