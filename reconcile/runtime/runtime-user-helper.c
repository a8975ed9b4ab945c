/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The payload's first program: nspawn runs it as root inside the machine, once every mount is in
 * place, and it becomes the payload by exec:
 *
 *     user-helper [--env-file FILE] [--home] [--no-login-names] [--user USER] -- COMMAND [ARG...]
 *
 * --env-file: the payload's environment, "K=V" entries each ended by a NUL, set over nspawn's own. The
 * values (passwords, tokens) so never stand on a command line, where any local user could read them
 * in /proc/PID/cmdline or `systemctl status`: the file is bound read-only from a 0600 file of the host.
 * --user: resolves USER ("uid[:gid]" or "name[:group]") in the machine's /etc/passwd and /etc/group
 * as docker does (a bind-mounted /etc/passwd counts) and switches to it; --home sets HOME from the
 * user's entry (neither the image nor compose set one), --no-login-names drops nspawn's USER=root and
 * LOGNAME=root. nspawn's own --user= needs getent(1) in the image and cannot take a group.
 * Then runs COMMAND through PATH (the new one).
 *
 * Built statically (the machine's libraries are unknown) and embedded into nspawn-compose, which
 * writes it next to the service's writable layer and binds it into the machine. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/macro.h"
#include "lib/user-db.h"

#define EXIT_HELPER 125         /* docker's status when the container could not be set up */

static int fail(const char *what, int error) {
        dprintf(STDERR_FILENO, "nspawn-compose: %s: %s\n", what, strerror(error));
        return EXIT_HELPER;
}

static int resolve(const char *spec, UserIds *ret) {
        int pw = open("/etc/passwd", O_RDONLY | O_CLOEXEC), gr = open("/etc/group", O_RDONLY | O_CLOEXEC);
        int r = user_ids_resolve(spec, pw, gr, ret);

        if (pw >= 0)
                (void) close(pw);
        if (gr >= 0)
                (void) close(gr);
        return r;
}

#define ENV_FILE_MAX (16u << 20)

/* Sets every "K=V" of @path over the environment. The buffer stays: putenv() keeps pointers into it. */
static int load_environment(const char *path) {
        static char buf[ENV_FILE_MAX + 1];
        size_t n = 0;
        ssize_t k;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        while (n < ENV_FILE_MAX && (k = read(fd, buf + n, ENV_FILE_MAX - n)) != 0) {
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        k = -errno;
                        (void) close(fd);
                        return (int) k;
                }
                n += (size_t) k;
        }
        (void) close(fd);
        if (n == ENV_FILE_MAX)
                return -EFBIG;
        buf[n] = 0;
        for (size_t i = 0; i < n; i += strlen(buf + i) + 1) {
                if (!strchr(buf + i, '=') || buf[i] == '=')
                        return -EINVAL;
                if (putenv(buf + i) < 0)
                        return -errno;
        }
        return 0;
}

static int switch_user(const char *spec, bool home, bool no_login_names) {
        UserIds u;

        if (resolve(spec, &u) < 0) {
                dprintf(STDERR_FILENO, "nspawn-compose: unable to find user '%s': no matching entries in the "
                        "machine's /etc/passwd or /etc/group\n", spec);
                return EXIT_HELPER;
        }
        if ((home && setenv("HOME", u.home, 1) < 0) ||
            (no_login_names && (unsetenv("USER") < 0 || unsetenv("LOGNAME") < 0)))
                return fail("environment", errno);
        if (setgroups(u.n_groups, u.groups) < 0 || setresgid(u.gid, u.gid, u.gid) < 0 ||
            setresuid(u.uid, u.uid, u.uid) < 0)
                return fail("switching user", errno);
        return 0;
}

int main(int argc, char *argv[]) {
        const char *env_file = NULL, *user = NULL;
        bool home = false, no_login_names = false;
        int i = 1, r;

        for (; i < argc && !streq(argv[i], "--"); i++)
                if (streq(argv[i], "--home"))
                        home = true;
                else if (streq(argv[i], "--no-login-names"))
                        no_login_names = true;
                else if (streq(argv[i], "--env-file") && i + 1 < argc)
                        env_file = argv[++i];
                else if (streq(argv[i], "--user") && i + 1 < argc)
                        user = argv[++i];
                else
                        return fail(argv[i], EINVAL);
        if (argc - i < 2)
                return fail("usage: user-helper [--env-file FILE] [--home] [--no-login-names] [--user USER] "
                            "-- COMMAND [ARG...]", EINVAL);
        if (env_file) {
                r = load_environment(env_file);
                if (r < 0)
                        return fail(env_file, -r);
        }
        if (user) {
                r = switch_user(user, home, no_login_names);
                if (r != 0)
                        return r;
        }
        execvp(argv[i + 1], argv + i + 1);
        r = errno;
        dprintf(STDERR_FILENO, "nspawn-compose: cannot run %s: %s\n", argv[i + 1], strerror(r));
        return r == ENOENT ? 127 : 126;         /* as a shell or docker says it */
}
