/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "healthd/health.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/time-util.h"
#include "reconcile/runtime/runtime-internal.h"

/* The wrapper: the unit's main process (research anchors-netfilter-systemd §6.2).
 *
 *   move into <unit cgroup>/supervisor → netns, veths, addresses, net.* sysctls
 *   → private mount namespace: overlay root, /etc/hosts, /etc/resolv.conf, volume directories
 *   → fork systemd-nspawn with our own NOTIFY_SOCKET
 *   → X_NSPAWN_LEADER_PID= and READY=1 from nspawn: the container runs; write started-hash;
 *     READY=1 to systemd now, or through healthd on the first healthy probe
 *   → SIGTERM: STOPPING=1, stop_signal to the payload, SIGKILL to its cgroup after the grace
 *     period → nspawn exits → we exit (0 after a requested stop, else nspawn's status).
 *
 * Being the process systemd watches, its event handlers log (stderr goes to the journal). */

extern char **environ;

typedef struct Service {
        const ServiceSpec *spec;
        const ServiceRunOptions *opts;
        ImageConfig *image;
        ServicePaths paths;
        HealthConfig health;
        char *unit_cgroup;              /* NULL when we could not take <unit>/supervisor */
        sd_event *event;
        int notify_fd;
        pid_t nspawn_pid, leader_pid;
        bool nspawn_ready, running, stopping;
        bool ready;                     /* READY=1 sent */
        int stop_exit_code;             /* ours after a stop we carried out: 0 when it was requested */
        int stop_signal;
        HealthChecker *checker;
        RtHooks *hooks;                 /* post_start or pre_stop hooks running */
        sd_event_source *hooks_extend;  /* while post_start hooks run: EXTEND_TIMEOUT_USEC now and then */
        bool pre_stopping;              /* the pre_stop hooks run before the stop */
} Service;

void service_paths_done(ServicePaths *p) {
        char **all[] = { &p->runtime_dir, &p->root, &p->notify_socket, &p->started_hash, &p->state_dir,
                         &p->upper, &p->work, &p->volumes, &p->layer_hash, &p->lower, &p->files,
                         &p->user_helper, &p->environment };

        assert(p);

        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                free_and_replace_ptr(all[i], NULL);
}

int service_paths_init(ServicePaths *p, const ServiceSpec *s, const ServiceRunOptions *o, const char *image_dir) {
        const char *run = o && o->runtime_dir ? o->runtime_dir : NC_RUNTIME_DIR;
        const char *state = o && o->state_dir ? o->state_dir : NC_STATE_DIR;

        assert(p);
        assert(s);
        assert(image_dir);

        if (asprintf(&p->runtime_dir, "%s/%s/%s", run, s->project, s->service) < 0 ||
            asprintf(&p->state_dir, "%s/%s/%s", state, s->project, s->service) < 0 ||
            !(p->root = path_join(p->runtime_dir, "root")) ||
            !(p->notify_socket = path_join(p->runtime_dir, "notify")) ||
            !(p->started_hash = path_join(p->runtime_dir, "started-hash")) ||
            !(p->upper = path_join(p->state_dir, "upper")) ||
            !(p->work = path_join(p->state_dir, "work")) ||
            !(p->volumes = path_join(p->state_dir, "volumes")) ||
            !(p->layer_hash = path_join(p->state_dir, "layer-hash")) ||
            !(p->files = path_join(p->runtime_dir, "files")) ||
            !(p->user_helper = path_join(p->state_dir, "user-helper")) ||
            !(p->environment = path_join(p->runtime_dir, "environment")) ||
            !(p->lower = path_join(image_dir, "rootfs")))
                return -ENOMEM;
        return 0;
}

/* Ends the hooks that run, and the start timeout's extension for them. */
static void service_hooks_free(Service *s) {
        s->hooks = rt_hooks_free(s->hooks);
        s->hooks_extend = sd_event_source_disable_unref(s->hooks_extend);
}

static void service_done(Service *s) {
        service_hooks_free(s);
        s->checker = health_checker_free(s->checker);
        health_config_done(&s->health);
        s->image = image_config_free(s->image);
        service_paths_done(&s->paths);
        free_and_replace_ptr(&s->unit_cgroup, NULL);
        if (s->notify_fd >= 0)
                (void) close(s->notify_fd);
        s->event = sd_event_unref(s->event);
}

/* The image, its config and the store directory; the digest from S.json, else refs.json. */
static int load_image(Service *s, char **ret_dir, NcError *reterr) {
        _cleanup_free_ char *digest = NULL;
        const char *d = s->spec->image_digest;
        int r;

        if (isempty(d)) {
                r = image_resolve(s->opts->store, s->spec->image, &digest, reterr);
                if (r < 0)
                        return r;
                d = digest;
        }
        r = image_store_path(s->opts->store, d, ret_dir, reterr);
        if (r < 0)
                return r;
        if (access(*ret_dir, F_OK) < 0)
                return nc_error_set(reterr, -ENOENT, "image '%s' (%s) is not in the store; pull it first",
                                    s->spec->image, d);
        return image_config_load(s->opts->store, d, &s->image, reterr);
}

static int notify_socket_open(const char *path, NcError *reterr) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        int one = 1;

        if (strlen(path) >= sizeof(sa.sun_path))
                return nc_error_set(reterr, -ENAMETOOLONG, "%s: path too long for a socket", path);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(path);
        if (bind(fd, (struct sockaddr*) &sa, sizeof(sa)) < 0)
                return nc_error_set(reterr, -errno, "%s: %m", path);
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return nc_error_set(reterr, -errno, "%s: SO_PASSCRED: %m", path);
        return TAKE_FD(fd);
}

/* Our environment minus systemd's notify, watchdog and socket-activation variables, plus
 * nspawn's own NOTIFY_SOCKET: nspawn's READY=1 must not reach systemd, health gating would
 * be bypassed (and with NotifyAccess=main systemd would reject it noisily). */
static char **nspawn_environ(const Service *s) {
        static const char *const drop[] = { "NOTIFY_SOCKET=", "WATCHDOG_PID=", "WATCHDOG_USEC=", "LISTEN_PID=",
                                            "LISTEN_FDS=", "LISTEN_FDNAMES=", "SYSTEMD_SECCOMP=",
                                            "SYSTEMD_NSPAWN_TMPFS_TMP=" };
        _cleanup_strv_free_ char **env = calloc(1, sizeof(char*));
        char *n;

        if (!env)
                return NULL;
        for (char **e = environ; e && *e; e++) {
                bool keep = true;

                for (size_t i = 0; i < ELEMENTSOF(drop); i++)
                        keep = keep && !startswith(*e, drop[i]);
                if (keep && strv_extend(&env, *e) < 0)
                        return NULL;
        }
        if (asprintf(&n, "NOTIFY_SOCKET=%s", s->paths.notify_socket) < 0 || strv_consume(&env, n) < 0)
                return NULL;
        /* /tmp belongs to the writable layer (read-only with read_only), as in docker, instead of
         * nspawn's own tmpfs */
        if (strv_extend(&env, "SYSTEMD_NSPAWN_TMPFS_TMP=0") < 0)
                return NULL;
        /* privileged: no seccomp filter either, as docker --privileged */
        if (s->spec->privileged && strv_extend(&env, "SYSTEMD_SECCOMP=0") < 0)
                return NULL;
        return TAKE_PTR(env);
}

static void posix_spawnattr_destroyp(posix_spawnattr_t **attr) {
        if (*attr)
                (void) posix_spawnattr_destroy(*attr);
}

static int spawn_nspawn(Service *s, char **argv, NcError *reterr) {
        _cleanup_strv_free_ char **env = nspawn_environ(s);
        posix_spawnattr_t attr;
        sigset_t none;
        int r;

        if (!env)
                return -ENOMEM;
        if (s->opts->nspawn)
                free_and_replace_ptr(&argv[0], strdup(s->opts->nspawn));
        if (!argv[0])
                return -ENOMEM;
        sigemptyset(&none);
        if (posix_spawnattr_init(&attr) != 0)
                return -ENOMEM;
        /* Only once initialized may it be destroyed. The posix_spawn*() calls return a positive errno. */
        _unused_ _cleanup_(posix_spawnattr_destroyp) posix_spawnattr_t *attr_destructor = &attr;
        r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
        if (r != 0)
                return nc_error_set(reterr, -r, "cannot run %s: %m", argv[0]);
        r = posix_spawnattr_setsigmask(&attr, &none);
        if (r != 0)
                return nc_error_set(reterr, -r, "cannot run %s: %m", argv[0]);
        r = posix_spawnp(&s->nspawn_pid, argv[0], NULL, &attr, argv, env);
        if (r != 0)
                return nc_error_set(reterr, -r, "cannot run %s: %m", argv[0]);
        return 0;
}

/* The payload is the stub init's only child (--as-pid2). 0 when there is none (yet). */
static pid_t payload_pid(pid_t leader) {
        _cleanup_free_ char *path = NULL, *text = NULL;

        if (leader <= 0 || asprintf(&path, "/proc/%d/task/%d/children", (int) leader, (int) leader) < 0)
                return 0;
        if (read_full_file(path, &text, NULL) < 0)
                return 0;
        return (pid_t) strtol(text, NULL, 10);
}

static void fail_running(Service *s, int r, const char *what) {
        log_error_errno(r, "%s; stopping the container.", what);
        if (s->nspawn_pid > 0)
                (void) kill(s->nspawn_pid, SIGTERM);
}

static void service_stop(Service *s, int exit_code);

static int on_health(HealthChecker *c, const HealthEvent *ev, void *userdata) {
        Service *s = userdata;
        char buf[512];
        const char *text = health_event_status_text(ev, buf, sizeof(buf));

        if (ev->first_healthy) {
                s->ready = true;
                (void) sd_notifyf(false, "READY=1\nSTATUS=%s", text);
        } else
                (void) sd_notifyf(false, "STATUS=%s", text);
        if (!s->ready && ev->status == HEALTH_UNHEALTHY) {
                /* Ready means healthy: a service that never got there fails its start job, and so the
                 * start of what Requires= it, instead of extending the start timeout forever. */
                log_error("Service '%s' did not become healthy: %s", s->spec->service, strempty(ev->output));
                service_stop(s, EXIT_FAILURE);
                return -ECANCELED;
        }
        if (ev->extend_timeout_usec > 0)
                (void) sd_notifyf(false, "EXTEND_TIMEOUT_USEC=%" PRIu64, ev->extend_timeout_usec);
        if (ev->changed && ev->status == HEALTH_UNHEALTHY) {
                log_warning("Service '%s' is unhealthy: %s", s->spec->service, strempty(ev->output));
                if (streq_ptr(s->spec->on_unhealthy, "restart"))
                        (void) sd_notify(false, "WATCHDOG=trigger");
        } else if (ev->changed)
                log_info("Service '%s' is %s.", s->spec->service, health_status_to_string(ev->status));
        return 0;
}

/* Ready, or its healthchecks start: after the post_start hooks, so that what depends on the service
 * starts when they are done (docker compose runs them before it reports the service started). */
static void container_ready(Service *s) {
        NcError err = {};
        int r;

        if (health_config_has_check(&s->health)) {
                r = health_checker_new(s->event, &s->health, s->leader_pid, on_health, s, &s->checker, &err);
                if (r < 0) {
                        fail_running(s, r, err.message);
                        return;
                }
        }
        if (s->checker)
                /* the checks' window begins now, whatever post_start hooks took of TimeoutStartSec= */
                (void) sd_notifyf(false, "STATUS=starting\nEXTEND_TIMEOUT_USEC=%" PRIu64,
                                  health_checker_extend_timeout_usec(s->checker));
        else
                (void) sd_notify(false, "READY=1\nSTATUS=running");
}

static void post_start_done(int result, void *userdata) {
        Service *s = userdata;

        service_hooks_free(s);
        if (s->stopping)
                return;
        if (result != 0) {
                fail_running(s, -ECANCELED, "A post_start hook failed");
                return;
        }
        container_ready(s);
}

/* post_start hooks run within the unit's start, whose timeout is for the healthcheck: while they
 * run, systemd's start timeout is pushed on (EXTEND_TIMEOUT_USEC= must come again before the last
 * one ends). docker compose does not bound them; a machine is hostile, so here they have
 * POST_START_TIMEOUT_USEC together, then they are killed and the start fails. */
#define HOOKS_EXTEND_EVERY_USEC (10 * USEC_PER_SEC)
#define HOOKS_EXTEND_USEC (30 * USEC_PER_SEC)
#define POST_START_TIMEOUT_USEC (5 * 60 * USEC_PER_SEC)

static int on_hooks_extend(sd_event_source *src, uint64_t usec, void *userdata) {
        (void) sd_notifyf(false, "EXTEND_TIMEOUT_USEC=%" PRIu64, HOOKS_EXTEND_USEC);
        (void) sd_event_source_set_time(src, usec + HOOKS_EXTEND_EVERY_USEC);
        return 0;
}

static void container_started(Service *s) {
        NcError err = {};
        int r;

        s->running = true;
        log_info("Machine '%s' is running, leader PID %d.", s->spec->machine, (int) s->leader_pid);
        r = write_file_atomic(s->paths.started_hash, strempty(s->spec->hash), strlen(strempty(s->spec->hash)), 0644);
        if (r < 0)
                log_warning_errno(r, "Failed to write %s: %m", s->paths.started_hash);
        r = rt_sysctls_ipc(s->spec, s->leader_pid, &err);
        if (r < 0) {
                fail_running(s, r, err.message);
                return;
        }
        if (s->spec->n_post_start == 0) {
                container_ready(s);
                return;
        }
        (void) sd_notify(false, "STATUS=running post_start hooks");
        r = sd_event_add_time_relative(s->event, &s->hooks_extend, CLOCK_MONOTONIC, 0, 0, on_hooks_extend, s);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->hooks_extend, SD_EVENT_ON);
        if (r < 0) {
                service_hooks_free(s);
                fail_running(s, r, "Cannot arm the start timeout's extension for post_start hooks");
                return;
        }
        r = rt_hooks_start(s->event, s->spec, s->image, s->leader_pid, s->spec->post_start, s->spec->n_post_start,
                           "post_start", POST_START_TIMEOUT_USEC, post_start_done, s, &s->hooks, &err);
        if (r < 0) {
                service_hooks_free(s);
                fail_running(s, r, err.message);
        }
}

/* nspawn's messages: "STATUS=Container running.\nX_NSPAWN_LEADER_PID=N", then "READY=1". */
static void notify_parse(Service *s, char *msg) {
        _cleanup_strv_free_ char **lines = strv_split(msg, "\n");
        const char *v;

        STRV_FOREACH(l, lines)
                if ((v = startswith(*l, "X_NSPAWN_LEADER_PID=")))
                        s->leader_pid = (pid_t) strtol(v, NULL, 10);
                else if (streq(*l, "READY=1"))
                        s->nspawn_ready = true;
        if (s->leader_pid > 0 && s->nspawn_ready && !s->running && !s->stopping)
                container_started(s);
}

static int on_notify(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        union {
                struct cmsghdr h;
                uint8_t buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
        } control;
        char buf[4097];
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        struct ucred *cred = NULL;
        ssize_t n;

        n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0)
                return 0;       /* EAGAIN or EINTR: nothing to read now */
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
                        cred = (struct ucred*) CMSG_DATA(c);
                else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                        for (int *f = (int*) CMSG_DATA(c); (uint8_t*) f < (uint8_t*) c + c->cmsg_len; f++)
                                (void) close(*f);       /* nobody may park fds with us */
        if (!cred || cred->pid != ((Service*) userdata)->nspawn_pid || (size_t) n >= sizeof(buf) ||
            (mh.msg_flags & MSG_TRUNC))
                return 0;
        buf[n] = 0;
        notify_parse(userdata, buf);
        return 0;
}

static int on_stop_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        Service *s = userdata;
        pid_t payload = payload_pid(s->leader_pid);

        log_warning("Machine '%s' did not stop within its grace period; killing it.", s->spec->machine);
        if (!s->unit_cgroup || rt_cgroup_kill_payload(s->unit_cgroup) < 0) {
                if (payload > 0)
                        (void) kill(payload, SIGKILL);
                if (s->leader_pid > 0)
                        (void) kill(s->leader_pid, SIGKILL);
        }
        return 0;
}

/* docker stop: stop_signal to the payload itself (the stub init would only send SIGTERM), then
 * SIGKILL after stop_grace_period. Without a payload yet, nspawn aborts the start on SIGTERM.
 * Once nspawn has exited we exit with @exit_code. */
static void service_stop(Service *s, int exit_code) {
        pid_t payload = payload_pid(s->leader_pid);

        s->stopping = true;
        s->stop_exit_code = exit_code;
        if (payload <= 0 || kill(payload, s->stop_signal) < 0) {
                (void) kill(s->nspawn_pid, SIGTERM);
                return;
        }
        log_info("Stopping machine '%s' with %s.", s->spec->machine, s->spec->stop_signal);
        if (sd_event_add_time_relative(s->event, NULL, CLOCK_MONOTONIC, s->spec->stop_grace_period_usec, 0,
                                       on_stop_timeout, s) < 0)
                (void) kill(s->nspawn_pid, SIGTERM);
}

static void pre_stop_done(int result, void *userdata) {
        Service *s = userdata;

        service_hooks_free(s);
        if (result != 0)        /* docker compose stops the container all the same */
                log_warning("A pre_stop hook of '%s' failed; stopping it anyway.", s->spec->service);
        s->pre_stopping = false;
        if (!s->stopping)
                service_stop(s, 0);
}

/* docker compose: pre_stop hooks first, within the grace period; then the stop signal. A second
 * request while they run stops at once. */
static int on_signal(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata) {
        Service *s = userdata;
        NcError err = {};
        int r;

        if (s->stopping) {
                (void) kill(s->nspawn_pid, SIGTERM);
                return 0;
        }
        if (s->pre_stopping) {
                service_hooks_free(s);
                s->pre_stopping = false;
                service_stop(s, 0);
                return 0;
        }
        (void) sd_notify(false, "STOPPING=1");
        s->checker = health_checker_free(s->checker);
        service_hooks_free(s);     /* post_start hooks still running end now */
        if (s->running && s->spec->n_pre_stop > 0) {
                s->pre_stopping = true;
                r = rt_hooks_start(s->event, s->spec, s->image, s->leader_pid, s->spec->pre_stop, s->spec->n_pre_stop,
                                   /* 0 would mean no bound: a second at least */
                                   "pre_stop", MAX(s->spec->stop_grace_period_usec, (uint64_t) 1000000),
                                   pre_stop_done, s, &s->hooks, &err);
                if (r >= 0)
                        return 0;
                log_warning_errno(r, "%s", err.message);
                s->pre_stopping = false;
        }
        service_stop(s, 0);
        return 0;
}

static int on_nspawn_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        Service *s = userdata;
        int code = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;

        s->checker = health_checker_free(s->checker);
        service_hooks_free(s);
        if (s->stopping || s->pre_stopping) {
                log_info("Machine '%s' stopped (status %d).", s->spec->machine, code);
                code = s->stop_exit_code;       /* a requested stop is a clean end, whatever the payload said */
        } else
                log_full(code == 0 ? LOG_INFO : LOG_ERR, "systemd-nspawn for '%s' exited with status %d.",
                         s->spec->machine, code);
        return sd_event_exit(s->event, code);
}

static int setup_event(Service *s, NcError *reterr) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        r = sd_event_default(&s->event);
        if (r < 0)
                return nc_error_set(reterr, r, "event loop: %m");
        r = sd_event_add_signal(s->event, NULL, SIGTERM, on_signal, s);
        if (r < 0)
                return nc_error_set(reterr, r, "event loop: SIGTERM: %m");
        r = sd_event_add_signal(s->event, NULL, SIGINT, on_signal, s);
        if (r < 0)
                return nc_error_set(reterr, r, "event loop: SIGINT: %m");
        r = sd_event_add_io(s->event, NULL, s->notify_fd, EPOLLIN, on_notify, s);
        if (r < 0)
                return nc_error_set(reterr, r, "event loop: notify socket: %m");
        r = sd_event_set_watchdog(s->event, true);
        if (r < 0)
                return nc_error_set(reterr, r, "event loop: watchdog: %m");
        return 0;
}

/* Everything that can fail before anything is changed on the host. */
static int service_prepare(Service *s, char ***ret_argv, NcError *reterr) {
        _cleanup_free_ char *image_dir = NULL;
        int r;

        r = load_image(s, &image_dir, reterr);
        if (r < 0)
                return r;
        s->stop_signal = rt_signal_from_string(s->spec->stop_signal);
        if (s->stop_signal < 0)
                return nc_error_set(reterr, -EINVAL, "unknown stop_signal '%s'", s->spec->stop_signal);
        r = rt_sysctls_check(s->spec, reterr);
        if (r < 0)
                return r;
        r = service_paths_init(&s->paths, s->spec, s->opts, image_dir);
        if (r < 0)
                return r;
        r = rt_health_config(s->spec, s->image, &s->health);
        if (r < 0)
                return r;
        return service_nspawn_argv(s->spec, s->image,
                                   &(NspawnPaths) { .root = s->paths.root, .volume_dir = s->paths.volumes,
                                                    .files_dir = s->paths.files,
                                                    .user_helper = s->paths.user_helper,
                                                    .env_file = s->paths.environment },
                                   ret_argv, reterr);
}

/* Cgroup, network, root file system, notify socket: in that order (see the top). */
static int service_setup(Service *s, NcError *reterr) {
        NcError cg = {}, stale = {};
        int r;

        r = state_dir_ensure(s->opts->state_dir, reterr);
        if (r < 0)
                return r;
        r = rt_cgroup_enter_supervisor(&s->unit_cgroup, &cg);
        if (r < 0)      /* hybrid hierarchy, or run by hand outside a delegated unit */
                log_full_errno(r == -EOPNOTSUPP ? LOG_INFO : LOG_WARNING, r, "%s", cg.message);
        if (r == -EOPNOTSUPP && !s->health.probe_cgroup)
                (void) rt_cgroup_probe_v1(&s->health.probe_cgroup);
        r = rt_network_ensure(s->spec, reterr);
        if (r < 0)
                return r;
        r = rt_sysctls_net(s->spec, reterr);
        if (r < 0)
                return r;
        r = rt_shm_prepare(s->spec, reterr);
        if (r < 0)
                return r;
        r = rt_mount_namespace();
        if (r < 0)
                return nc_error_set(reterr, r, "private mount namespace: %m");
        r = rt_rootfs_mount(&s->paths, s->spec->hash, reterr);
        if (r < 0)
                return r;
        r = rt_rootfs_prepare(&s->paths, s->spec, reterr);
        if (r < 0)
                return r;
        r = rt_volumes_prepare(&s->paths, s->spec, reterr);
        if (r < 0)
                return r;
        r = rt_mountpoints_prepare(&s->paths, s->spec, service_working_dir(s->spec, s->image), reterr);
        if (r < 0)
                return r;
        r = rt_files_prepare(&s->paths, s->spec, reterr);
        if (r < 0)
                return r;
        r = rt_user_helper_install(&s->paths, reterr);
        if (r < 0)
                return r;
        r = rt_environment_write(&s->paths, s->spec, s->image, reterr);
        if (r < 0)
                return r;
        r = rt_machine_unregister_stale(s->spec->machine, &stale);
        if (r > 0)
                log_info("Removed the stale registration of machine '%s'.", s->spec->machine);
        else if (r < 0)
                log_warning_errno(r, "%s", stale.message);
        s->notify_fd = notify_socket_open(s->paths.notify_socket, reterr);
        return s->notify_fd < 0 ? s->notify_fd : 0;
}

int service_run(const ServiceSpec *spec, const ServiceRunOptions *opts, NcError *reterr) {
        static const ServiceRunOptions defaults = {};
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_(service_done) Service s = { .spec = spec, .opts = opts ?: &defaults, .notify_fd = -EBADF };
        int r;

        assert(spec);

        r = service_prepare(&s, &argv, reterr);
        if (r < 0)
                return r;
        r = service_setup(&s, reterr);
        if (r < 0)
                return r;
        r = setup_event(&s, reterr);
        if (r < 0)
                return r;
        r = spawn_nspawn(&s, argv, reterr);
        if (r < 0)
                return r;
        r = sd_event_add_child(s.event, NULL, s.nspawn_pid, WEXITED, on_nspawn_exit, &s);
        if (r < 0)
                return r;
        (void) sd_notifyf(false, "STATUS=starting machine %s", spec->machine);
        return sd_event_loop(s.event);
}
