/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "healthd/health-internal.h"
#include "lib/strv.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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
        c->exec_argv = TAKE_PTR(argv);
        c->exec_envp = TAKE_PTR(envp);
        return 0;
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
        pid_t pid;

        assert(c);

        r = health_cgroup_revalidate(&c->cgroup);
        if (r < 0)
                return r;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        r = health_spawn(&c->leader, &(HealthSpawn) {
                                 .argv = c->exec_argv, .envp = c->exec_envp,
                                 .user = c->config.user, .working_dir = c->config.working_dir,
                                 .stdio = { c->null_fd, fds[1], fds[1] },
                                 .cgroup_procs_fd = c->cgroup.procs_fd,
                                 .own_process_group = true, .die_with_parent = true,
                         }, &pid);
        close(fds[1]);
        if (r < 0) {
                close(fds[0]);
                return r;
        }
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
