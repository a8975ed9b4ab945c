/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "healthd/health.h"
#include "lib/log.h"
#include "reconcile/runtime/runtime-internal.h"

/* post_start and pre_stop: each hook in turn, inside the running machine as `exec` runs a command
 * (health_spawn(): the machine's namespaces, root, filter and the payload's privileges as the
 * hook's user), its output in the unit's journal. */

struct RtHooks {
        sd_event *event;
        const ServiceSpec *spec;
        const ImageConfig *image;
        HealthLeader leader;
        const ServiceHook *hooks;
        size_t n, next;
        const char *what;
        sd_event_source *child, *timer;
        pid_t pid;
        int null_fd;
        bool finished;
        RtHooksDone done;
        void *userdata;
};

RtHooks *rt_hooks_free(RtHooks *h) {
        if (!h)
                return NULL;
        sd_event_source_disable_unref(h->child);
        if (h->pid > 0) {       /* still running, or killed at the timeout: it goes, and is reaped */
                siginfo_t si;

                (void) kill(-h->pid, SIGKILL);
                (void) kill(h->pid, SIGKILL);
                (void) waitid(P_PID, h->pid, &si, WEXITED);
        }
        sd_event_source_disable_unref(h->timer);
        health_leader_done(&h->leader);
        safe_close(h->null_fd);
        sd_event_unref(h->event);
        free(h);
        return NULL;
}

static void finish(RtHooks *h, int result) {
        if (h->finished)
                return;
        h->finished = true;
        h->timer = sd_event_source_disable_unref(h->timer);
        h->done(result, h->userdata);
}

/* The service's environment, then the hook's: "K=V" replaces or adds K, "K" alone removes it. */
static int hook_environment(const RtHooks *h, const ServiceHook *hook, char ***ret) {
        _cleanup_strv_free_ char **env = NULL;
        int r;

        r = service_merge_env(h->spec, h->image, &env);
        if (r < 0)
                return r;
        STRV_FOREACH(e, hook->environment) {
                size_t klen = strcspn(*e, "=");
                size_t k = 0;

                for (size_t i = 0; env && env[i]; i++)
                        if (strncmp(env[i], *e, klen) == 0 && env[i][klen] == '=')
                                free(env[i]);
                        else
                                env[k++] = env[i];
                if (env)
                        env[k] = NULL;
                if ((*e)[klen] == '=' && strv_extend(&env, *e) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(env);
        return 0;
}

static int start_next(RtHooks *h);

static int on_hook_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        RtHooks *h = userdata;
        int status = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;

        h->child = sd_event_source_disable_unref(h->child);
        h->pid = 0;
        if (h->finished)
                return 0;
        if (status != 0) {
                log_error("%s hook %zu of '%s' exited with status %d.", h->what, h->next + 1, h->spec->service, status);
                finish(h, status);
                return 0;
        }
        h->next++;
        if (start_next(h) < 0)
                finish(h, HEALTH_EXIT_CANNOT_RUN);
        return 0;
}

static int on_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        RtHooks *h = userdata;

        log_error("%s hook %zu of '%s' did not end in time; killing it.", h->what, h->next + 1, h->spec->service);
        if (h->pid > 0)
                (void) kill(-h->pid, SIGKILL);
        finish(h, -ETIME);
        return 0;
}

static int start_next(RtHooks *h) {
        _cleanup_strv_free_ char **env = NULL;
        const ServiceHook *hook;
        int r;

        if (h->next >= h->n) {
                finish(h, 0);
                return 0;
        }
        hook = &h->hooks[h->next];
        r = hook_environment(h, hook, &env);
        if (r < 0)
                return r;
        log_info("Running %s hook %zu of '%s': %s", h->what, h->next + 1, h->spec->service, hook->command[0]);
        r = health_spawn(&h->leader, &(HealthSpawn) {
                                 .argv = hook->command, .envp = env,
                                 .user = hook->user ?: service_user(h->spec, h->image),
                                 .working_dir = hook->working_dir ?: service_working_dir(h->spec, h->image),
                                 .stdio = { h->null_fd, STDOUT_FILENO, STDERR_FILENO },
                                 .cgroup_procs_fd = -EBADF,
                                 .own_process_group = true,
                                 .die_with_parent = true,
                                 .tag = h->what,
                         }, &h->pid);
        if (r < 0)
                return log_error_errno(r, "Cannot run %s hook %zu of '%s': %m", h->what, h->next + 1, h->spec->service);
        return sd_event_add_child(h->event, &h->child, h->pid, WEXITED, on_hook_exit, h);
}

int rt_hooks_start(sd_event *event, const ServiceSpec *s, const ImageConfig *img, pid_t leader,
                   const ServiceHook *hooks, size_t n, const char *what, uint64_t timeout_usec,
                   RtHooksDone done, void *userdata, RtHooks **ret, NcError *reterr) {
        _cleanup_(rt_hooks_freep) RtHooks *h = NULL;
        int r;

        assert(event);
        assert(s);
        assert(done);
        assert(ret);

        h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        *h = (RtHooks) {
                .event = sd_event_ref(event), .spec = s, .image = img, .hooks = hooks, .n = n, .what = what,
                .done = done, .userdata = userdata, .null_fd = -EBADF,
                .leader = { .pidfd = -EBADF, .root_fd = -EBADF, .netns_fd = -EBADF },
        };
        h->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (h->null_fd < 0)
                return nc_error_set(reterr, -errno, "/dev/null: %m");
        r = health_leader_open(leader, &h->leader, reterr);
        if (r < 0)
                return r;
        if (timeout_usec > 0) {
                r = sd_event_add_time_relative(event, &h->timer, CLOCK_MONOTONIC, timeout_usec, 0, on_timeout, h);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: timer: %m", what);
        }
        r = start_next(h);
        if (r < 0)
                return nc_error_set(reterr, r, "%s hook %zu: %m", what, h->next + 1);
        *ret = TAKE_PTR(h);
        return 0;
}
