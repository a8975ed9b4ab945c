/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/copy.h"
#include "lib/fileio.h"
#include "lib/macro.h"
#include "lib/safe-open.h"

#define XATTR_LIST_MAX_SIZE (64U * 1024U)

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

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
                return 0;       /* grew under us: skip */
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
int copy_attrs(int from, int to, const struct stat *st, const CopyOptions *o) {
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        int r;

        if (fchown(to, o->keep_owner ? st->st_uid : o->uid, o->keep_owner ? st->st_gid : o->gid) < 0)
                return -errno;
        if (fchmod(to, st->st_mode & (o->keep_owner ? 07777 : 01777)) < 0)
                return -errno;
        if (o->xattrs) {
                r = copy_xattrs(from, to);
                if (r < 0)
                        return r;
        }
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

/* A free temporary name in @dir for what is then renamed over the real one. */
static void temp_name(char buf[static 32]) {
        uint64_t v = 0;

        if (getrandom(&v, sizeof v, GRND_NONBLOCK) != sizeof v)
                v ^= (uint64_t) getpid() << 32 ^ (uint64_t) (uintptr_t) buf;
        snprintf(buf, 32, ".#nc-copy-%016" PRIx64, v);
}

/* Creates the file that becomes @name: @name itself (O_EXCL), or with o->replace a temporary one
 * whose name goes to *ret_temp. Never opens what exists. */
static int create_file(int dir, const char *name, const CopyOptions *o, char temp[static 32]) {
        for (unsigned i = 0; i < 16; i++) {
                int fd;

                if (o->replace)
                        temp_name(temp);
                fd = openat(dir, o->replace ? temp : name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd >= 0 || errno != EEXIST || !o->replace)
                        return fd < 0 ? -errno : fd;
        }
        return -EEXIST;
}

static int commit_file(int dir, const char *temp, const char *name, const CopyOptions *o, int r) {
        if (!o->replace)
                return r;
        if (r >= 0 && renameat(dir, temp, dir, name) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dir, temp, 0);
        return r;
}

static int copy_regular(int from, const struct stat *st, int dst_dir, const char *name, const CopyOptions *o) {
        _cleanup_close_ int to = -EBADF;
        char temp[32] = "";
        int r;

        to = create_file(dst_dir, name, o, temp);
        if (to < 0)
                return to;
        r = copy_data(from, to);
        if (r >= 0)
                r = copy_attrs(from, to, st, o);
        return commit_file(dst_dir, temp, name, o, r);
}

int copy_symlink_at(const char *target, const struct stat *st, int dst_dir, const char *name, const CopyOptions *o) {
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        char temp[32] = "";
        int r = 0;

        for (unsigned i = 0; i < 16; i++) {
                if (o->replace)
                        temp_name(temp);
                r = symlinkat(target, dst_dir, o->replace ? temp : name) < 0 ? -errno : 0;
                if (r != -EEXIST || !o->replace)
                        break;
        }
        if (r < 0)
                return r;
        if (fchownat(dst_dir, o->replace ? temp : name, o->keep_owner ? st->st_uid : o->uid,
                     o->keep_owner ? st->st_gid : o->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
            utimensat(dst_dir, o->replace ? temp : name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                r = -errno;
        return commit_file(dst_dir, temp, name, o, r);
}

/* Kernel interfaces, not data: their trees are left out. */
static bool pseudo_fs(int fd) {
        struct statfs sfs;

        if (fstatfs(fd, &sfs) < 0)
                return false;
        switch ((unsigned long) sfs.f_type) {
        case PROC_SUPER_MAGIC: case SYSFS_MAGIC: case CGROUP_SUPER_MAGIC: case CGROUP2_SUPER_MAGIC:
        case DEVPTS_SUPER_MAGIC: case DEBUGFS_MAGIC: case SECURITYFS_MAGIC: case TRACEFS_MAGIC:
        case BPF_FS_MAGIC:
                return true;
        }
        return false;
}

typedef struct CopyWalk {
        const CopyOptions *o;
        char path[PATH_MAX];            /* below the top, for o->skipped */
} CopyWalk;

static int walk_dir(CopyWalk *w, int src, int dst, unsigned depth);

static int walk_fd(CopyWalk *w, int fd, const struct stat *st, int dst_dir, const char *name, unsigned depth) {
        _cleanup_close_ int to = -EBADF;
        int r;

        if (S_ISREG(st->st_mode))
                return copy_regular(fd, st, dst_dir, name, w->o);
        if (depth >= COPY_DEPTH_MAX)
                return -ELOOP;
        if (mkdirat(dst_dir, name, 0700) < 0 && (errno != EEXIST || !w->o->replace))
                return -errno;
        /* O_NOFOLLOW: an existing symlink of the name is refused, not entered */
        to = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (to < 0)
                return -errno;
        r = walk_dir(w, fd, to, depth + 1);
        if (r < 0)
                return r;
        return copy_attrs(fd, to, st, w->o);
}

static void skipped(CopyWalk *w, mode_t mode) {
        if (w->o->skipped)
                w->o->skipped(w->path, mode, w->o->userdata);
}

static int walk_entry(CopyWalk *w, int src, int dst, const char *name, unsigned depth) {
        _cleanup_close_ int pfd = -EBADF, fd = -EBADF;
        struct stat st;

        if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(src, name, target, sizeof target);

                if (n < 0)
                        return -errno;
                if ((size_t) n >= sizeof target)
                        return -ENAMETOOLONG;
                target[n] = 0;
                return copy_symlink_at(target, &st, dst, name, w->o);
        }
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
                skipped(w, st.st_mode);
                return 0;
        }
        /* the inode looked at, opened only once it is known to be a directory or a regular file: a
         * device or FIFO put there meanwhile is never opened */
        pfd = openat(src, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (pfd < 0)
                return -errno;
        if (fstat(pfd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
                skipped(w, st.st_mode);
                return 0;
        }
        fd = fd_reopen(pfd, O_RDONLY | O_NONBLOCK | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
        if (fd < 0)
                return fd;
        if (S_ISDIR(st.st_mode) && pseudo_fs(fd)) {
                skipped(w, st.st_mode);
                return 0;
        }
        return walk_fd(w, fd, &st, dst, name, depth);
}

static int walk_dir(CopyWalk *w, int src, int dst, unsigned depth) {
        _cleanup_closedir_ DIR *d = NULL;
        int fd = fcntl(src, F_DUPFD_CLOEXEC, 3), r;
        size_t len = strlen(w->path);
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
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                snprintf(w->path + len, sizeof w->path - len, "%s%s", len > 0 ? "/" : "", de->d_name);
                r = walk_entry(w, src, dst, de->d_name, depth);
                w->path[len] = 0;
                if (r < 0)
                        return r;
        }
        return errno > 0 ? -errno : 0;
}

int copy_dir_contents(int src, int dst, const CopyOptions *o) {
        CopyWalk w = { .o = o };

        return walk_dir(&w, src, dst, 0);
}

int copy_fd_at(int fd, const struct stat *st, int dst_dir, const char *dst_name, const CopyOptions *o) {
        CopyWalk w = { .o = o };

        if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
                return -EBADFD;
        if (strchr(dst_name, '/') || streq(dst_name, ".") || streq(dst_name, "..") || isempty(dst_name))
                return -EINVAL;
        snprintf(w.path, sizeof w.path, "%s", dst_name);
        return walk_fd(&w, fd, st, dst_dir, dst_name, 0);
}
