/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "lib/fileio.h"
#include "lib/macro.h"

/* Reads @fd to its end, refusing more than @max_size bytes. */
static int read_fd_full(int fd, size_t max_size, char **ret, size_t *ret_size) {
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

static int file_has_content(const char *path, const void *data, size_t size, mode_t mode) {
        _cleanup_free_ char *old = NULL;
        size_t old_size;
        struct stat st;

        if (stat(path, &st) < 0 || (st.st_mode & 07777) != mode)
                return false;
        if ((size_t) st.st_size != size)
                return false;
        if (read_full_file(path, &old, &old_size) < 0)
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

/* Opens an unnamed file in @dir (O_TMPFILE): a writer killed before linking leaves nothing behind. */
static int open_tmpfile(const char *dir, const char *path, char **ret_tmp) {
        int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);

        if (fd >= 0) {
                *ret_tmp = NULL;
                return fd;
        }
        /* File systems without O_TMPFILE: a named temporary file. */
        if (asprintf(ret_tmp, "%s.#nc%ld", path, (long) getpid()) < 0)
                return -ENOMEM;
        fd = open(*ret_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        return fd < 0 ? -errno : fd;
}

/* Gives the unnamed file a temporary name beside @path. */
static int link_tmpfile(int fd, const char *path, char **tmp) {
        char proc[64];

        if (asprintf(tmp, "%s.#nc%ld", path, (long) getpid()) < 0)
                return -ENOMEM;
        (void) unlink(*tmp);
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, *tmp, AT_SYMLINK_FOLLOW) < 0)
                return -errno;
        return 0;
}

/* Writes, syncs and moves the temp file @fd over @path. *tmp names the temp file once it has a name
 * (an O_TMPFILE file gets one only when linked), for the caller to remove on failure. */
static int fill_and_rename(int fd, const char *path, const void *data, size_t size, mode_t mode, char **tmp) {
        int r;

        r = write_all(fd, data, size);
        if (r < 0)
                return r;
        if (fchmod(fd, mode) < 0)
                return -errno;
        if (fsync(fd) < 0)
                return -errno;
        if (!*tmp) {
                r = link_tmpfile(fd, path, tmp);
                if (r < 0)
                        return r;
        }
        if (rename(*tmp, path) < 0)
                return -errno;
        return 0;
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode) {
        _cleanup_free_ char *dir = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (file_has_content(path, data, size, mode))
                return 0;

        dir = path_dirname(path);
        if (!dir)
                return -ENOMEM;
        r = mkdir_parents_and_self(dir, 0755);
        if (r < 0)
                return r;
        fd = open_tmpfile(dir, path, &tmp);
        if (fd < 0)
                return fd;
        r = fill_and_rename(fd, path, data, size, mode, &tmp);
        if (r < 0) {
                if (tmp)
                        (void) unlink(tmp);
                return r;
        }
        return 1;
}

static int rm_rf_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        /* -1 with errno set stops the walk, and nftw() returns it. */
        if ((type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
                return -1;
        return 0;
}

int rm_rf(const char *path) {
        if (nftw(path, rm_rf_one, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 0;
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
