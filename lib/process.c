/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/macro.h"
#include "lib/process.h"

int wait_for_status(pid_t pid) {
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

static int close_nointr(int fd) {
        (void) close(fd);
        return -EBADF;
}

int fork_and_call(int (*func)(void *userdata), void *userdata) {
        _cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
        int pipefd[2];
        ssize_t n;
        pid_t pid;
        int r, status;

        assert(func);

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        rfd = pipefd[0];
        wfd = pipefd[1];
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                r = func(userdata);
                _exit(write(wfd, &r, sizeof r) == sizeof r ? EXIT_SUCCESS : EXIT_FAILURE);
        }
        wfd = close_nointr(wfd);        /* EOF for the read once the child is gone */
        do
                n = read(rfd, &r, sizeof r);
        while (n < 0 && errno == EINTR);
        status = wait_for_status(pid);
        if (status < 0)
                return status;
        if (n != sizeof r || status != 0)
                return -EPROTO;
        return r;
}
