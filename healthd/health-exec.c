/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "healthd/health-internal.h"
#include "lib/strv.h"
#include "lib/user-db.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Exit codes of the probe's own setup, as a shell reports them. */
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND  127

extern char **environ;

static bool env_has(char * const *env, const char *prefix) {
        STRV_FOREACH(e, env)
                if (startswith(*e, prefix))
                        return true;
        return false;
}

int health_exec_prepare(HealthChecker *c) {
        _cleanup_strv_free_ char **argv = NULL, **envp = NULL;

        assert(c);

        if (c->config.type == HEALTH_TEST_CMD_SHELL) {
                /* moby: getShell() + Test[1:], i.e. extra items become $0, $1... */
                if (strv_extend(&argv, "/bin/sh") < 0 || strv_extend(&argv, "-c") < 0)
                        return -ENOMEM;
        }
        STRV_FOREACH(a, c->config.argv)
                if (strv_extend(&argv, *a) < 0)
                        return -ENOMEM;
        envp = strv_copy(c->config.environment);
        if (!envp)
                return -ENOMEM;
        if (!env_has(envp, "PATH=") && strv_extend(&envp, DEFAULT_PATH) < 0)
                return -ENOMEM;
        c->n_env = strv_length(envp);
        c->env_has_home = env_has(envp, "HOME=");
        /* the spare slot for HOME=, filled in the child once the user is known */
        if (strv_extend(&envp, "") < 0)
                return -ENOMEM;
        envp[c->n_env] = (free(envp[c->n_env]), NULL);
        c->exec_argv = TAKE_PTR(argv);
        c->exec_envp = TAKE_PTR(envp);
        return 0;
}

static _noreturn_ void child_fail(const char *what, int error, int code) {
        dprintf(STDERR_FILENO, "healthcheck: %s: %s\n", what, strerror(error));
        _exit(code);
}

static void reset_signals(void) {
        sigset_t none;

        sigemptyset(&none);
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
}

/* No more privilege than the payload: its bounding set and no_new_privs, no ambient capabilities.
 * Exec as root then gets exactly the bounding set; any other uid gets none. */
static void drop_privileges(const HealthLeader *l) {
        for (unsigned cap = 0; cap <= l->cap_last && cap < 64; cap++)
                if (!(l->cap_bounding & (UINT64_C(1) << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                        child_fail("dropping capabilities", errno, EXIT_CANNOT_RUN);
        (void) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        if (l->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail("no_new_privs", errno, EXIT_CANNOT_RUN);
}

static void switch_user(HealthChecker *c, char *home_env, size_t size) {
        int pw = open("/etc/passwd", O_RDONLY | O_CLOEXEC), gr = open("/etc/group", O_RDONLY | O_CLOEXEC);
        UserIds u;
        int r;

        r = user_ids_resolve(c->config.user, pw, gr, &u);
        if (pw >= 0)
                close(pw);
        if (gr >= 0)
                close(gr);
        if (r < 0) {
                dprintf(STDERR_FILENO, "healthcheck: unable to find user '%s' in the container\n",
                        strempty(c->config.user));
                _exit(EXIT_CANNOT_RUN);
        }
        drop_privileges(&c->leader);
        if (setgroups(u.n_groups, u.groups) < 0 || setgid(u.gid) < 0 || setuid(u.uid) < 0)
                child_fail("switching user", errno, EXIT_CANNOT_RUN);
        snprintf(home_env, size, "HOME=%s", u.home);
}

/* The probe itself: the first process inside the container's pid namespace. */
static _noreturn_ void run_payload(HealthChecker *c) {
        char home_env[300];
        const char *dir = c->config.working_dir ?: "/";

        reset_signals();
        switch_user(c, home_env, sizeof home_env);
        if (chdir(dir) < 0)
                child_fail(dir, errno, EXIT_CANNOT_RUN);
        if (!c->env_has_home)
                c->exec_envp[c->n_env] = home_env;
        if (close_range(3, ~0U, 0) < 0)
                child_fail("close_range", errno, EXIT_CANNOT_RUN);
        /* execvp searches the PATH of the environment it runs with: the container's. */
        environ = c->exec_envp;
        execvp(c->exec_argv[0], c->exec_argv);
        child_fail(c->exec_argv[0], errno, errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN);
}

static int wait_status(pid_t pid) {
        siginfo_t si = {};

        while (waitid(P_PID, pid, &si, WEXITED) < 0)
                if (errno != EINTR)
                        return EXIT_CANNOT_RUN;
        return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

/* The helper: enters the namespaces, then forks the payload (CLONE_NEWPID applies to children only)
 * and exits with its status, as nsenter does. */
static _noreturn_ void run_helper(HealthChecker *c, pid_t parent, int out_fd) {
        pid_t pid;

        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
                _exit(EXIT_CANNOT_RUN);
        (void) setpgid(0, 0);
        if (dup2(c->null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
            dup2(out_fd, STDERR_FILENO) < 0)
                _exit(EXIT_CANNOT_RUN);
        if (c->cgroup.procs_fd >= 0 && write(c->cgroup.procs_fd, "0", 1) < 0)
                child_fail("joining the probe cgroup", errno, EXIT_CANNOT_RUN);
        if (setns(c->leader.pidfd, c->leader.setns_flags) < 0)
                child_fail("entering the container", errno == ESRCH ? ESRCH : errno, EXIT_CANNOT_RUN);
        if (fchdir(c->leader.root_fd) < 0 || chroot(".") < 0)
                child_fail("entering the container root", errno, EXIT_CANNOT_RUN);
        pid = fork();
        if (pid < 0)
                child_fail("fork", errno, EXIT_CANNOT_RUN);
        if (pid == 0)
                run_payload(c);
        (void) close_range(3, ~0U, 0);
        _exit(wait_status(pid));
}

static void read_output(HealthChecker *c) {
        char buf[4096];
        ssize_t n;

        while (c->output_fd >= 0) {
                n = read(c->output_fd, buf, sizeof buf);
                if (n > 0) {
                        health_output_append(&c->output, buf, n);
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n == 0 || errno != EAGAIN) {
                        c->io_source = sd_event_source_disable_unref(c->io_source);
                        c->output_fd = (close(c->output_fd), -EBADF);
                }
                break;
        }
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        read_output(userdata);
        return 0;
}

/* Everything the probe spawned goes with it, whether it finished or timed out. */
static void kill_probe_tree(HealthChecker *c) {
        if (c->cgroup.path)
                (void) health_cgroup_kill(&c->cgroup);
        else if (c->probe_pid > 0)
                (void) kill(-c->probe_pid, SIGKILL);
}

static int on_helper_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        HealthChecker *c = userdata;
        int code = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;

        /* The helper is a zombie until this returns, so its process group id is still ours. */
        kill_probe_tree(c);
        read_output(c);
        if (c->output_fd >= 0) {
                c->io_source = sd_event_source_disable_unref(c->io_source);
                c->output_fd = (close(c->output_fd), -EBADF);
        }
        c->child_source = sd_event_source_disable_unref(c->child_source);
        c->probe_pid = 0;
        return health_checker_probe_done(c, code);
}

static int watch_probe(HealthChecker *c, pid_t pid, int out_fd) {
        int r;

        r = sd_event_add_child(c->event, &c->child_source, pid, WEXITED, on_helper_exit, c);
        if (r < 0)
                return r;
        /* Freeing the source (on checker free) SIGKILLs and reaps the helper. */
        r = sd_event_source_set_child_process_own(c->child_source, true);
        if (r < 0)
                return r;
        r = sd_event_add_io(c->event, &c->io_source, out_fd, EPOLLIN, on_output, c);
        if (r < 0)
                return r;
        c->output_fd = out_fd;
        return 0;
}

int health_exec_start(HealthChecker *c) {
        int fds[2], r;
        pid_t parent = getpid(), pid;

        assert(c);

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (pid == 0) {
                close(fds[0]);
                run_helper(c, parent, fds[1]);
        }
        close(fds[1]);
        (void) setpgid(pid, pid);       /* as the child does: whichever runs first */
        c->probe_pid = pid;
        r = fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0 ? -errno : watch_probe(c, pid, fds[0]);
        if (r < 0) {
                if (c->output_fd != fds[0])
                        close(fds[0]);
                health_exec_abandon(c);
        }
        return r;
}

void health_exec_kill(HealthChecker *c) {
        assert(c);

        kill_probe_tree(c);
        if (c->child_source)
                (void) sd_event_source_send_child_signal(c->child_source, SIGKILL, NULL, 0);
}

void health_exec_abandon(HealthChecker *c) {
        assert(c);

        kill_probe_tree(c);
        /* process_own: SIGKILL and reap now */
        if (c->child_source)
                c->child_source = sd_event_source_disable_unref(c->child_source);
        else if (c->probe_pid > 0) {
                (void) kill(c->probe_pid, SIGKILL);
                (void) waitpid(c->probe_pid, NULL, 0);
        }
        c->io_source = sd_event_source_disable_unref(c->io_source);
        if (c->output_fd >= 0)
                c->output_fd = (close(c->output_fd), -EBADF);
        c->probe_pid = 0;
}
