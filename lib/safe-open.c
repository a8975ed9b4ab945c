/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "lib/macro.h"
#include "lib/safe-open.h"

#define OPEN_IN_ROOT_ATTEMPTS 64

static int open_resolved(int root_fd, const char *path, int flags, mode_t mode, uint64_t resolve) {
        struct open_how how = {
                .flags = flags | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY),    /* O_PATH takes no others */
                .mode = mode,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
        };
        /* With ".." in the path the kernel fails with EAGAIN when any rename or mount happened on
         * the system during the lookup, and asks for a retry: bounded, since a machine renaming in
         * a loop must not hold us forever. */
        for (unsigned attempt = 0;; attempt++) {
                int fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
                if (fd >= 0)
                        return fd;
                if (errno != EAGAIN || attempt >= OPEN_IN_ROOT_ATTEMPTS)
                        return -errno;
        }
}

int open_in_root(int root_fd, const char *path, int flags, mode_t mode) {
        return open_resolved(root_fd, path, flags, mode, 0);
}

int open_in_root_same_mount(int root_fd, const char *path, int flags, mode_t mode) {
        return open_resolved(root_fd, path, flags, mode, RESOLVE_NO_XDEV);
}

int open_regular_in_root(int root_fd, const char *path, off_t max_size) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = open_in_root(root_fd, path, O_RDONLY | O_NONBLOCK, 0);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (st.st_size > max_size)
                return -EFBIG;
        return TAKE_FD(fd);
}

int fd_reopen(int fd, int flags) {
        char path[64];
        int r;

        if (flags & O_DIRECTORY)
                r = openat(fd, ".", flags | O_CLOEXEC);
        else {
                snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
                r = open(path, flags | O_CLOEXEC | O_NOCTTY);
        }
        return r < 0 ? -errno : r;
}
