/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "lib/macro.h"

int read_fd_full(int fd, size_t max_size, char **ret, size_t *ret_size) {
        /* room for one byte more than allowed, which tells "exactly max_size" from "longer", and the NUL */
        size_t cap = max_size < SIZE_MAX - 1 ? max_size + 2 : SIZE_MAX, size = 0, alloc = 0;
        _cleanup_free_ char *buf = NULL;

        for (;;) {
                ssize_t n;

                if (alloc - size < 4096 && alloc < cap) {
                        size_t na = MIN(MAX(alloc * 2, (size_t) 8192), cap);
                        char *nb = realloc(buf, na);

                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        alloc = na;
                }
                n = read(fd, buf + size, alloc - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += n;
                if (size > max_size)
                        return -EFBIG;
        }
        buf[size] = 0;
        if (ret_size)
                *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_full_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_fd_full(fd, SIZE_MAX, ret, ret_size);
}

int read_full_file_max(const char *path, size_t max_size, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below anyway) */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t) st.st_size > max_size)
                return -EFBIG;
        return read_fd_full(fd, max_size, ret, ret_size);
}

int mkdir_parents_and_self(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; ; s++) {
                bool end = *s == 0;

                if (*s != '/' && !end)
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                if (end)
                        break;
                *s = '/';
        }
        return 0;
}

char *path_join(const char *a, const char *b) {
        char *r;
        size_t la = strlen(a);

        while (la > 1 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        if (asprintf(&r, "%.*s/%s", (int) la, a, b) < 0)
                return NULL;
        return r;
}

char *path_dirname(const char *path) {
        const char *slash = strrchr(path, '/');

        if (!slash)
                return strdup(".");
        if (slash == path)
                return strdup("/");
        return strndup(path, slash - path);
}

/* The directory @path (relative to @dir_fd, or absolute), made as needed with @mode: an O_PATH fd.
 * With WRITE_BENEATH each component is made and opened in turn, and none may be a symlink or "..". */
static int open_mkdir_at(int dir_fd, const char *path, mode_t mode, WriteFlags flags) {
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int fd = -EBADF;
        char *save = NULL;
        int r;

        if (!(flags & WRITE_BENEATH)) {
                if (dir_fd != AT_FDCWD && path[0] != '/')
                        return -EINVAL;
                r = mkdir_parents_and_self(path, mode);
                if (r < 0)
                        return r;
                fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                return fd < 0 ? -errno : TAKE_FD(fd);
        }
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        fd = openat(dir_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (char *c = strtok_r(p, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                struct open_how how = {
                        .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
                };
                int next;

                if (streq(c, "."))
                        continue;
                if (mkdirat(fd, c, mode) < 0 && errno != EEXIST)
                        return -errno;
                next = (int) syscall(SYS_openat2, fd, c, &how, sizeof how);
                if (next < 0)
                        return -errno;
                close(fd);
                fd = next;
        }
        return TAKE_FD(fd);
}

/* Splits @path into its directory (NULL for none) and last component. */
static int path_split(const char *path, char **ret_dir, const char **ret_base) {
        const char *slash = strrchr(path, '/');

        *ret_base = slash ? slash + 1 : path;
        if (isempty(*ret_base) || streq(*ret_base, ".") || streq(*ret_base, ".."))
                return -EINVAL;
        *ret_dir = slash ? (slash == path ? strdup("/") : strndup(path, slash - path)) : strdup(".");
        return *ret_dir ? 0 : -ENOMEM;
}

/* Already exactly these bytes and this mode? A symlink is not. */
static bool file_has_content(int dfd, const char *name, const void *data, size_t size, mode_t mode) {
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *old = NULL;
        size_t old_size;
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != mode ||
            (size_t) st.st_size != size)
                return false;
        if (read_fd_full(fd, size, &old, &old_size) < 0)
                return false;
        return old_size == size && memcmp(old, data, size) == 0;
}

static int write_all(int fd, const void *data, size_t size) {
        const char *p = data;

        while (size > 0) {
                ssize_t n = write(fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                size -= n;
        }
        return 0;
}

static void tmp_name(char buf[static 64], const char *base) {
        snprintf(buf, 64, ".#nc%ld.%.32s", (long) getpid(), base);
}

/* A file written but not yet in place: an O_TMPFILE file (a writer killed before linking leaves
 * nothing behind) where the file system has them, else one named @tmp. */
typedef struct PendingFile {
        int dfd, fd;
        char *name;
        char tmp[64];
        bool named;
} PendingFile;

static void pending_file_done(PendingFile *f) {
        if (f->named && f->fd >= 0)     /* never moved into place */
                (void) unlinkat(f->dfd, f->tmp, 0);
        f->fd = safe_close(f->fd);
        f->dfd = safe_close(f->dfd);
        f->name = mfree(f->name);
}

/* Writes @data with @mode to a temp file in @dfd, which it takes (*ret owns it, or it is closed). */
static int pending_file_write(int dfd, const char *name, const void *data, size_t size, mode_t mode,
                              PendingFile *ret) {
        _cleanup_(pending_file_done) PendingFile f = { .dfd = dfd, .fd = -EBADF };
        int r;

        f.name = strdup(name);
        if (!f.name)
                return -ENOMEM;
        tmp_name(f.tmp, name);
        f.fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        if (f.fd < 0) {
                (void) unlinkat(dfd, f.tmp, 0);
                f.fd = openat(dfd, f.tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (f.fd < 0)
                        return -errno;
                f.named = true;
        }
        r = write_all(f.fd, data, size);
        if (r < 0)
                return r;
        if (fchmod(f.fd, mode) < 0)
                return -errno;
        *ret = f;
        f = (PendingFile) { .dfd = -EBADF, .fd = -EBADF };
        return 0;
}

/* Moves a written (and synced) temp file over its name. */
static int pending_file_finish(PendingFile *f) {
        char proc[64];

        if (!f->named) {
                (void) unlinkat(f->dfd, f->tmp, 0);
                snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
                if (linkat(AT_FDCWD, proc, f->dfd, f->tmp, AT_SYMLINK_FOLLOW) < 0)
                        return -errno;
                f->named = true;
        }
        if (renameat(f->dfd, f->tmp, f->dfd, f->name) < 0)
                return -errno;
        f->named = false;       /* in place: nothing to remove */
        return 0;
}

/* The directory of @path (made as needed), and whether @path there holds @data with @mode already. */
static int target_dir(int dir_fd, const char *path, const void *data, size_t size, mode_t mode, WriteFlags flags,
                      int *ret_dfd, const char **ret_base) {
        _cleanup_free_ char *dir = NULL;
        const char *base;
        int dfd, r;

        r = path_split(path, &dir, &base);
        if (r < 0)
                return r;
        dfd = open_mkdir_at(dir_fd, dir, 0755, flags);
        if (dfd < 0)
                return dfd;
        if (file_has_content(dfd, base, data, size, mode)) {
                safe_close(dfd);
                return 0;
        }
        *ret_dfd = dfd;
        *ret_base = base;
        return 1;
}

int write_file_atomic_at(int dir_fd, const char *path, const void *data, size_t size, mode_t mode,
                         WriteFlags flags) {
        _cleanup_(pending_file_done) PendingFile f = { .dfd = -EBADF, .fd = -EBADF };
        const char *base;
        int dfd, r;

        r = target_dir(dir_fd, path, data, size, mode, flags, &dfd, &base);
        if (r <= 0)
                return r;
        r = pending_file_write(dfd, base, data, size, mode, &f);
        if (r < 0)
                return r;
        if (fsync(f.fd) < 0)
                return -errno;
        r = pending_file_finish(&f);
        return r < 0 ? r : 1;
}

struct WriteBatch {
        PendingFile files[WRITE_BATCH_MAX];
        size_t n;
};

int write_batch_new(WriteBatch **ret) {
        WriteBatch *b = calloc(1, sizeof *b);

        if (!b)
                return -ENOMEM;
        *ret = b;
        return 0;
}

WriteBatch *write_batch_free(WriteBatch *b) {
        if (!b)
                return NULL;
        for (size_t i = 0; i < b->n; i++)
                pending_file_done(&b->files[i]);
        free(b);
        return NULL;
}

int write_batch_commit(WriteBatch *b) {
        dev_t devs[WRITE_BATCH_MAX];
        size_t n_devs = 0;
        int r = 0;

        /* one syncfs per file system instead of an fsync per file, then every rename */
        for (size_t i = 0; i < b->n && r >= 0; i++) {
                struct stat st;
                bool seen = false;

                if (fstat(b->files[i].fd, &st) < 0) {
                        r = -errno;
                        break;
                }
                for (size_t k = 0; k < n_devs; k++)
                        seen = seen || devs[k] == st.st_dev;
                if (!seen && syncfs(b->files[i].fd) < 0)
                        r = -errno;
                if (!seen)
                        devs[n_devs++] = st.st_dev;
        }
        for (size_t i = 0; i < b->n && r >= 0; i++)
                r = pending_file_finish(&b->files[i]);
        for (size_t i = 0; i < b->n; i++)
                pending_file_done(&b->files[i]);
        b->n = 0;
        return r;
}

int write_batch_add(WriteBatch *b, int dir_fd, const char *path, const void *data, size_t size, mode_t mode,
                    WriteFlags flags) {
        const char *base;
        int dfd, r;

        if (b->n == WRITE_BATCH_MAX) {
                r = write_batch_commit(b);
                if (r < 0)
                        return r;
        }
        r = target_dir(dir_fd, path, data, size, mode, flags, &dfd, &base);
        if (r <= 0)
                return r;
        r = pending_file_write(dfd, base, data, size, mode, &b->files[b->n]);
        if (r < 0)
                return r;
        b->n++;
        return 1;
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode) {
        return write_file_atomic_at(AT_FDCWD, path, data, size, mode, 0);
}

int symlink_atomic_at(int dir_fd, const char *path, const char *target, WriteFlags flags) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -EBADF;
        char buf[PATH_MAX], tmp[64];
        const char *base;
        ssize_t n;
        int r;

        r = path_split(path, &dir, &base);
        if (r < 0)
                return r;
        dfd = open_mkdir_at(dir_fd, dir, 0755, flags);
        if (dfd < 0)
                return dfd;
        n = readlinkat(dfd, base, buf, sizeof buf - 1);
        if (n >= 0 && (buf[n] = 0, streq(buf, target)))
                return 0;
        tmp_name(tmp, base);
        (void) unlinkat(dfd, tmp, 0);
        if (symlinkat(target, dfd, tmp) < 0)
                return -errno;
        if (renameat(dfd, tmp, dfd, base) < 0) {
                r = -errno;
                (void) unlinkat(dfd, tmp, 0);
                return r;
        }
        return 1;
}

/* Removes what @dfd's entry @name is, a tree walked by fds: each directory opened with O_NOFOLLOW
 * relative to its parent, so an entry someone swaps for a symlink is removed as the symlink it is,
 * never followed; nothing on another file system (@dev) is entered. */
static int rm_rf_at(int dfd, const char *name, dev_t dev, unsigned depth) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (unlinkat(dfd, name, 0) >= 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM)
                return -errno;
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_dev != dev)
                return -EXDEV;          /* a mount point: not ours to empty */
        if (depth > 256)
                return -ELOOP;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -EBADF;                    /* the DIR owns it now */
        while (r >= 0 && (errno = 0, de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = rm_rf_at(dirfd(d), de->d_name, dev, depth + 1);
        closedir(d);
        if (r < 0)
                return r;
        return unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

int rm_rf(const char *path) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -EBADF;
        const char *base;
        struct stat st;
        int r;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        r = path_split(path, &dir, &base);
        if (r < 0)
                return r;
        dfd = open(isempty(dir) ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        return rm_rf_at(dfd, base, st.st_dev, 0);
}

int write_string_file(const char *path, const char *value) {
        int fd, r = 0;

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (write(fd, value, strlen(value)) < 0)
                r = -errno;
        close(fd);
        return r;
}
