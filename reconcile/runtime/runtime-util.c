/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "reconcile/runtime/runtime-internal.h"
#include "lib/fileio.h"
#include "lib/process.h"

extern char **environ;

#define STDERR_KEEP 4096

/* Keeps the last STDERR_KEEP bytes read from @fd; that is where tools put the error. */
static int read_tail(int fd, char **ret) {
        _cleanup_free_ char *buf = malloc(2 * STDERR_KEEP + 1);
        size_t len = 0;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, 2 * STDERR_KEEP - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += n;
                if (len == 2 * STDERR_KEEP) {
                        memmove(buf, buf + STDERR_KEEP, STDERR_KEEP);
                        len = STDERR_KEEP;
                }
        }
        while (len > 0 && buf[len - 1] == '\n')
                len--;
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

static void posix_spawn_file_actions_destroyp(posix_spawn_file_actions_t **fa) {
        if (*fa)
                (void) posix_spawn_file_actions_destroy(*fa);
}

int rt_spawn_capture(char * const *argv, bool show_stdout, char **ret_stderr) {
        _cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
        _cleanup_free_ char *err = NULL;
        posix_spawn_file_actions_t fa;
        int pipefd[2], r, status;
        pid_t pid;

        assert(argv);
        assert(argv[0]);

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        rfd = pipefd[0];
        wfd = pipefd[1];
        if (posix_spawn_file_actions_init(&fa) != 0)
                return -ENOMEM;
        /* Only once initialized may it be destroyed. The posix_spawn*() calls return a positive errno. */
        _unused_ _cleanup_(posix_spawn_file_actions_destroyp) posix_spawn_file_actions_t *fa_destructor = &fa;
        r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r != 0)
                return -r;
        if (show_stdout)
                r = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
        else
                r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        if (r != 0)
                return -r;
        r = posix_spawn_file_actions_adddup2(&fa, wfd, STDERR_FILENO);
        if (r != 0)
                return -r;
        r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        if (r != 0)
                return -r;
        (void) close(TAKE_FD(wfd));   /* EOF on rfd once the child exits */
        r = read_tail(rfd, &err);
        status = wait_for_status(pid);
        if (r < 0)
                return r;
        if (ret_stderr)
                *ret_stderr = TAKE_PTR(err);
        return status;
}

int rt_signal_from_string(const char *s) {
        const char *n = startswith(s, "SIG") ?: s, *rt;
        char *end;
        long v;

        assert(s);

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno == 0 && end != s && !*end)
                return v > 0 && v < _NSIG ? (int) v : -EINVAL;
        rt = startswith(n, "RTMIN");
        if (rt) {
                v = *rt == '+' ? strtol(rt + 1, &end, 10) : 0;
                if ((*rt && (*rt != '+' || *end)) || v < 0 || SIGRTMIN + v > SIGRTMAX)
                        return -EINVAL;
                return SIGRTMIN + (int) v;
        }
        for (int i = 1; i < SIGRTMIN; i++) {
                const char *abbrev = sigabbrev_np(i);

                if (abbrev && streq(abbrev, n))
                        return i;
        }
        return -EINVAL;
}

int state_dir_ensure(const char *path, NcError *reterr) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        path = path ?: NC_STATE_DIR;
        r = mkdir_parents_and_self(path, 0700);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", path);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return nc_error_set(reterr, -errno, "%s: %m", path);
        if (fstat(fd, &st) < 0)
                return nc_error_set(reterr, -errno, "%s: %m", path);
        if (st.st_uid != geteuid())
                return nc_error_set(reterr, -EPERM, "%s is owned by uid %u, not by us: refusing to use it",
                                    path, (unsigned) st.st_uid);
        if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
                return nc_error_set(reterr, -errno, "%s: %m", path);
        return 0;
}
