/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "healthd/health-internal.h"
#include "lib/process.h"
#include "lib/safe-open.h"
#include "lib/strv.h"
#include "lib/user-db.h"

/* A process inside a machine, set up as its payload is (health.h). Everything the machine controls
 * is hostile: the helper is non-dumpable from its first instruction, reads the machine's user
 * database only through safe opens, and holds nothing but stdio, the payload's credentials and its
 * filter by the time it forks into the machine's pid namespace, where the container could see it. */

/* /etc/passwd and /etc/group beyond this are not a user database. */
#define USER_DB_MAX_SIZE (4 * 1024 * 1024)

extern char **environ;

static const char *tag = "healthcheck";       /* per helper process: set first thing after fork */

static _noreturn_ void spawn_fail(const char *what, int error) {
        dprintf(STDERR_FILENO, "%s: %s: %s\n", tag, what, strerror(error));
        _exit(HEALTH_EXIT_CANNOT_RUN);
}

static void reset_signals(void) {
        sigset_t none;

        sigemptyset(&none);
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
}

/* From the host side, before entering anything: a FIFO or device at /etc/passwd is no file, and a
 * file that blocks (FUSE) only holds this helper, which the caller's timeout kills. */
static void resolve_user(const HealthLeader *l, const char *spec, UserIds *ret) {
        int pw = open_regular_in_root(l->root_fd, "etc/passwd", USER_DB_MAX_SIZE);
        int gr = open_regular_in_root(l->root_fd, "etc/group", USER_DB_MAX_SIZE);
        int r;

        r = user_ids_resolve(spec, pw, gr, ret);
        if (pw >= 0)
                close(pw);
        if (gr >= 0)
                close(gr);
        if (r < 0) {
                dprintf(STDERR_FILENO, "%s: unable to find user '%s' in the container\n", tag, strempty(spec));
                _exit(HEALTH_EXIT_CANNOT_RUN);
        }
}

/* Only the leader's pidfd and root stay, as fds 3 and 4. */
static void close_all_but_leader(const HealthLeader *l) {
        int pidfd = fcntl(l->pidfd, F_DUPFD_CLOEXEC, 5), root = fcntl(l->root_fd, F_DUPFD_CLOEXEC, 5);

        if (pidfd < 0 || root < 0 || dup3(pidfd, 3, O_CLOEXEC) < 0 || dup3(root, 4, O_CLOEXEC) < 0 ||
            close_range(5, ~0U, 0) < 0)
                spawn_fail("closing file descriptors", errno);
}

static void enter_machine(const HealthLeader *l) {
        if (setns(3, l->setns_flags) < 0)
                spawn_fail("entering the container", errno);
        if (fchdir(4) < 0 || chroot(".") < 0)
                spawn_fail("entering the container root", errno);
        if (close_range(3, ~0U, 0) < 0)
                spawn_fail("close_range", errno);
}

static void drop_bounding_set(const HealthLeader *l) {
        for (unsigned cap = 0; cap <= l->cap_last && cap < 64; cap++)
                if (!(l->cap_bounding & (UINT64_C(1) << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                        spawn_fail("dropping capabilities", errno);
}

/* Root keeps what the leader has (within its bounding set); any other uid has nothing left after
 * setresuid(). Inheritable and ambient are empty either way. */
static void set_capabilities(const HealthLeader *l, uid_t uid) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};
        uint64_t eff = uid == 0 ? l->cap_effective & l->cap_bounding : 0;
        uint64_t prm = uid == 0 ? l->cap_permitted & l->cap_bounding : 0;

        d[0].effective = (uint32_t) eff;
        d[1].effective = (uint32_t) (eff >> 32);
        d[0].permitted = (uint32_t) prm;
        d[1].permitted = (uint32_t) (prm >> 32);
        if (syscall(SYS_capset, &h, d) < 0)
                spawn_fail("setting capabilities", errno);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                spawn_fail("clearing ambient capabilities", errno);
}

static void become_payload(const HealthLeader *l, const UserIds *u) {
        drop_bounding_set(l);
        /* still with CAP_SYS_ADMIN, so no no_new_privs is needed for it; every call below is allowed */
        if (l->seccomp && syscall_filter_install(&l->filter) < 0)
                spawn_fail("installing the seccomp filter", errno);
        if (l->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                spawn_fail("no_new_privs", errno);
        if (setgroups(u->n_groups, u->groups) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
            setresuid(u->uid, u->uid, u->uid) < 0)
                spawn_fail("switching user", errno);
        set_capabilities(l, u->uid);
}

/* The command: the first process of ours inside the machine's pid namespace. */
static _noreturn_ void run_command(const HealthSpawn *s, const char *home_env) {
        size_t n = strv_length(s->envp);
        char *env[n + 2];
        bool has_home = false;

        reset_signals();
        for (size_t i = 0; i < n; i++) {
                env[i] = s->envp[i];
                has_home = has_home || startswith(env[i], "HOME=");
        }
        env[n] = has_home ? NULL : (char*) home_env;
        env[n + 1] = NULL;
        if (s->controlling_tty && (setsid() < 0 || ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0))
                spawn_fail("terminal", errno);
        /* execvp searches the PATH of the environment it runs with: the machine's. */
        environ = env;
        execvp(s->argv[0], s->argv);
        dprintf(STDERR_FILENO, "%s: %s: %s\n", tag, s->argv[0], strerror(errno));
        _exit(errno == ENOENT ? HEALTH_EXIT_NOT_FOUND : HEALTH_EXIT_CANNOT_RUN);
}

static void die_with(pid_t parent) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
                _exit(HEALTH_EXIT_CANNOT_RUN);
}

static _noreturn_ void run_helper(const HealthLeader *l, const HealthSpawn *s, pid_t parent) {
        const char *dir = s->working_dir ?: "/";
        char home_env[sizeof ((UserIds*) NULL)->home + 8];
        UserIds u;
        pid_t pid;
        int r;

        /* before anything of the machine is touched: no ptrace, no /proc/PID/fd, no core */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                _exit(HEALTH_EXIT_CANNOT_RUN);
        tag = s->tag ?: tag;
        if (s->die_with_parent)
                die_with(parent);
        if (s->own_process_group)
                (void) setpgid(0, 0);
        for (int fd = 0; fd < 3; fd++)
                if (s->stdio[fd] != fd && dup2(s->stdio[fd], fd) < 0)
                        _exit(HEALTH_EXIT_CANNOT_RUN);
        if (s->cgroup_procs_fd >= 0 && write(s->cgroup_procs_fd, "0", 1) < 0)
                spawn_fail("joining the cgroup", errno);
        resolve_user(l, s->user, &u);
        close_all_but_leader(l);
        enter_machine(l);
        become_payload(l, &u);
        if (chdir(dir) < 0)
                spawn_fail(dir, errno);
        if (s->die_with_parent)
                die_with(parent);       /* the death signal does not survive a change of credentials */
        snprintf(home_env, sizeof home_env, "HOME=%s", u.home);

        pid = fork();
        if (pid < 0)
                spawn_fail("fork", errno);
        if (pid == 0)
                run_command(s, home_env);
        r = wait_for_status(pid);
        _exit(r < 0 ? HEALTH_EXIT_CANNOT_RUN : r);
}

int health_spawn(const HealthLeader *l, const HealthSpawn *s, pid_t *ret_pid) {
        pid_t parent = getpid(), pid;

        assert(l);
        assert(s);
        assert(s->argv && s->argv[0]);
        assert(ret_pid);

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                run_helper(l, s, parent);
        if (s->own_process_group)
                (void) setpgid(pid, pid);       /* as the child does: whichever runs first */
        *ret_pid = pid;
        return 0;
}
