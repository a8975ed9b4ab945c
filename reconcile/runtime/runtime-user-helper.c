/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The user helper: the payload's first program when compose or the image names a user. nspawn runs
 * it as root inside the machine, once every mount is in place:
 *
 *     user-helper [--home] [--no-login-names] USER -- COMMAND [ARG...]
 *
 * It resolves USER ("uid[:gid]" or "name[:group]") in the machine's /etc/passwd and /etc/group as
 * docker does (a bind-mounted /etc/passwd counts), sets HOME from the user's entry with --home
 * (neither the image nor compose set one), drops nspawn's USER=root and LOGNAME=root with
 * --no-login-names, switches to the user and runs COMMAND through PATH. nspawn's own --user= needs
 * getent(1) in the image and cannot take a group.
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

int main(int argc, char *argv[]) {
        bool home = false, no_login_names = false;
        UserIds u;
        int i = 1, r;

        for (; i < argc && startswith(argv[i], "--") && !streq(argv[i], "--"); i++)
                if (streq(argv[i], "--home"))
                        home = true;
                else if (streq(argv[i], "--no-login-names"))
                        no_login_names = true;
                else
                        return fail(argv[i], EINVAL);
        if (argc - i < 3 || !streq(argv[i + 1], "--"))
                return fail("usage: user-helper [--home] [--no-login-names] USER -- COMMAND [ARG...]", EINVAL);
        if (resolve(argv[i], &u) < 0) {
                dprintf(STDERR_FILENO, "nspawn-compose: unable to find user '%s': no matching entries in the "
                        "machine's /etc/passwd or /etc/group\n", argv[i]);
                return EXIT_HELPER;
        }
        if ((home && setenv("HOME", u.home, 1) < 0) ||
            (no_login_names && (unsetenv("USER") < 0 || unsetenv("LOGNAME") < 0)))
                return fail("environment", errno);
        if (setgroups(u.n_groups, u.groups) < 0 || setresgid(u.gid, u.gid, u.gid) < 0 ||
            setresuid(u.uid, u.uid, u.uid) < 0)
                return fail("switching user", errno);
        execvp(argv[i + 2], argv + i + 2);
        r = errno;
        dprintf(STDERR_FILENO, "nspawn-compose: cannot run %s: %s\n", argv[i + 2], strerror(r));
        return r == ENOENT ? 127 : 126;         /* as a shell or docker says it */
}
