/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "cmd/cmd.h"
#include "netfilter/netfilter.h"
#include "reconcile/bus.h"
#include "reconcile/bus-unit.h"
#include "reconcile/names.h"
#include "reconcile/reconcile.h"
#include "reconcile/runtime/runtime.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/time-util.h"

/* supervise: a persistent Type=notify service that keeps the host converged. A pass is exactly an
 * apply (load, render, read, plan, execute). Passes run at start, every --interval (the safety
 * net), and shortly after something changes: the compose files, .env and the files services read
 * (inotify on their directories); one of the project's units going down (systemd's
 * PropertiesChanged); a unit file of ours written by someone else (inotify on the unit directory);
 * our nftables table changed (its notifications); SIGHUP. What a pass itself changes is drained
 * after it, so it does not call for another. Passes that fail in a row space the next ones out
 * (1 s, 2 s, … up to --interval). READY=1 is sent when the loop starts; STATUS= says what runs and
 * how the last pass went. */

#define DEBOUNCE_USEC (500 * UINT64_C(1000))

/* A unit that went down, and how often in a row (each within UNIT_DOWN_WINDOW_USEC of the last). */
typedef struct UnitDowns {
        char *unit;
        unsigned n;
        uint64_t last_usec;
} UnitDowns;

#define UNIT_DOWN_WINDOW_USEC (60 * USEC_PER_SEC)

typedef struct Supervisor {
        CmdGlobal *global;
        sd_event *event;
        sd_bus *bus;
        sd_event_source *timer, *sources, *owned, *nft;
        uint64_t interval_usec;
        bool runtime;
        bool draining;                  /* reading what the last pass caused: ignored */
        char **watched;                 /* directories under the sources' inotify watch */
        char **context_notices;         /* build contexts said to be too big to watch whole */
        char *project;
        char *unit_prefix;              /* "nspawn-compose-P.": the project's services and target */
        char *network_unit;             /* "nspawn-compose-P-network.service" */
        char *unit_path_prefix, *network_unit_path;     /* their D-Bus object paths */
        UnitDowns *downs;               /* units seen going down lately, for their backoff */
        size_t n_downs;
        char reason[256];               /* why the next pass runs */
        unsigned passes, failures, failing;     /* failing: the last ones, in a row */
} Supervisor;

static void supervisor_done(Supervisor *s) {
        s->timer = sd_event_source_disable_unref(s->timer);
        s->sources = sd_event_source_disable_unref(s->sources);
        s->owned = sd_event_source_disable_unref(s->owned);
        s->nft = sd_event_source_disable_unref(s->nft);
        s->bus = sd_bus_flush_close_unref(s->bus);
        s->event = sd_event_unref(s->event);
        s->watched = strv_free(s->watched);
        s->context_notices = strv_free(s->context_notices);
        s->project = mfree(s->project);
        s->unit_prefix = mfree(s->unit_prefix);
        s->network_unit = mfree(s->network_unit);
        s->unit_path_prefix = mfree(s->unit_path_prefix);
        s->network_unit_path = mfree(s->network_unit_path);
        for (size_t i = 0; i < s->n_downs; i++)
                free(s->downs[i].unit);
        s->downs = mfree(s->downs);
}

static int schedule_pass(Supervisor *s, uint64_t delay_usec, const char *reason);

/* Directories, not files: editors replace files by renaming over them. @name is what the watch is
 * known by; @fd (if >= 0) the directory itself, opened without following symlinks, so that what is
 * watched is what was checked. */
static int watch_path(Supervisor *s, char *name, int fd) {
        _cleanup_free_ char *owned = name;
        char proc[64];
        int ifd = sd_event_source_get_io_fd(s->sources);

        if (!name)
                return -ENOMEM;
        if (strv_contains(s->watched, name))
                return 0;
        if (fd >= 0)
                snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        if (inotify_add_watch(ifd, fd >= 0 ? proc : name, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                              IN_CREATE | IN_ONLYDIR) < 0)
                return log_warning_errno(-errno, "Cannot watch %s, changes there wait for the next pass: %m", name);
        return strv_consume(&s->watched, TAKE_PTR(owned));
}

static void watch_dir(Supervisor *s, const char *path) {
        (void) watch_path(s, path_dirname(path), -EBADF);
}

/* Whether @path is one of @dirs or below one. */
static bool path_under_any(const char *path, char * const *dirs) {
        STRV_FOREACH(d, dirs) {
                const char *rest = startswith(path, *d);

                if (rest && (*rest == 0 || *rest == '/'))
                        return true;
        }
        return false;
}

/* A build context: its directory and those below, breadth first, up to WATCH_CONTEXT_DIRS (a
 * context bigger than that is read at the periodic pass). Each is opened from its parent's fd
 * without following symlinks; .git is left out, and so are the sources of bind mounts (@binds):
 * what a machine writes there must not make passes, nor choose what the host watches. */
#define WATCH_CONTEXT_DIRS 256

static void watch_context(Supervisor *s, const char *context, char * const *binds) {
        _cleanup_strv_free_ char **queue = NULL;
        _cleanup_free_ int *fds = NULL;
        size_t n = 0;

        if (context[0] != '/' || path_under_any(context, binds))
                return;         /* a URL, or a machine's */
        fds = calloc(WATCH_CONTEXT_DIRS, sizeof *fds);
        if (!fds || strv_extend(&queue, context) < 0)
                return;
        fds[n++] = open(context, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        for (size_t i = 0; i < n; i++) {
                _cleanup_closedir_ DIR *d = NULL;
                struct dirent *de;

                if (fds[i] < 0 || watch_path(s, strdup(queue[i]), fds[i]) < 0) {
                        safe_close(fds[i]);
                        continue;
                }
                d = fdopendir(fds[i]);
                if (!d) {
                        safe_close(fds[i]);
                        continue;
                }
                while ((de = readdir(d)) && n < WATCH_CONTEXT_DIRS) {
                        _cleanup_free_ char *child = NULL;
                        int cfd;

                        if (streq(de->d_name, ".") || streq(de->d_name, "..") || streq(de->d_name, ".git") ||
                            (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
                                continue;
                        child = path_join(queue[i], de->d_name);
                        if (!child || path_under_any(child, binds))
                                continue;
                        cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (cfd < 0)
                                continue;       /* not a directory, or a symlink */
                        if (strv_consume(&queue, TAKE_PTR(child)) < 0) {
                                safe_close(cfd);
                                break;
                        }
                        fds[n++] = cfd;
                }
                if (de && n >= WATCH_CONTEXT_DIRS && !strv_contains(s->context_notices, context)) {
                        log_notice("Build context %s has more than %u directories: changes below them wait "
                                   "for the next pass.", context, WATCH_CONTEXT_DIRS);
                        (void) strv_extend(&s->context_notices, context);
                }
        }
}

/* The host directories bind-mounted into the project's machines. */
static char **bind_sources(const ComposeNode *services) {
        char **l = NULL;

        COMPOSE_MAP_FOREACH(i, services) {
                const ComposeNode *vols = compose_map_get(services->items[i], "volumes");

                COMPOSE_SEQ_FOREACH(k, vols) {
                        const ComposeNode *v = vols->items[k];
                        const char *src = compose_map_get_str(v, "source");

                        if (streq_ptr(compose_map_get_str(v, "type"), "bind") && src && src[0] == '/' &&
                            strv_extend(&l, src) < 0)
                                return strv_free(l);
                }
        }
        return l ?: calloc(1, sizeof(char *));
}

/* What the project reads: its compose files (their directories hold .env too), each service's
 * env_files, configs and secrets files, and its build context. */
static void watch_sources(Supervisor *s, const ComposeProject *p, const DesiredState *d) {
        const ComposeNode *services = compose_map_get(p->model, "services");

        STRV_FOREACH(f, p->files)
                watch_dir(s, *f);
        for (size_t i = 0; d && i < d->n_services; i++)
                STRV_FOREACH(f, d->services[i].inputs)
                        watch_dir(s, *f);
        _cleanup_strv_free_ char **binds = bind_sources(services);

        COMPOSE_MAP_FOREACH(i, services) {
                const char *context = compose_map_get_str(compose_map_get(services->items[i], "build"), "context");

                if (context && binds)
                        watch_context(s, context, binds);
        }
}

/* The project's name, for telling its units from others': "nspawn-compose-P." starts the names
 * of its services' units and its target, and its network unit has a name of its own (a prefix
 * "nspawn-compose-P" alone would take project P-staging's units for P's). */
static int set_project(Supervisor *s, const char *project) {
        _cleanup_free_ char *copy = NULL, *prefix = NULL, *network = NULL, *path = NULL, *network_path = NULL;

        if (streq_ptr(s->project, project))
                return 0;
        copy = strdup(project);
        prefix = name_service_unit_prefix(project);
        network = name_network_unit(project);
        /* the encoding goes character by character: the prefix's path is the paths' prefix */
        if (!copy || !prefix || !network ||
            sd_bus_path_encode("/org/freedesktop/systemd1/unit", prefix, &path) < 0 ||
            sd_bus_path_encode("/org/freedesktop/systemd1/unit", network, &network_path) < 0)
                return -ENOMEM;
        free_and_replace_ptr(&s->project, TAKE_PTR(copy));
        free_and_replace_ptr(&s->unit_prefix, TAKE_PTR(prefix));
        free_and_replace_ptr(&s->network_unit, TAKE_PTR(network));
        free_and_replace_ptr(&s->unit_path_prefix, TAKE_PTR(path));
        free_and_replace_ptr(&s->network_unit_path, TAKE_PTR(network_path));
        return 0;
}

static bool is_project_unit(const Supervisor *s, const char *name) {
        return s->unit_prefix && (startswith(name, s->unit_prefix) || streq(name, s->network_unit));
}

static bool is_project_unit_path(const Supervisor *s, const char *path) {
        return s->unit_path_prefix && (startswith(path, s->unit_path_prefix) || streq(path, s->network_unit_path));
}

/* How long to wait before the pass for @unit going down: the debounce the first time, then 1 s,
 * 2 s, 4 s … (at most --interval) while it keeps going down within a minute of the last time: a
 * service that starts and crashes again and again is not started every second. */
static uint64_t unit_down_delay(Supervisor *s, const char *unit) {
        uint64_t now = 0;
        UnitDowns *d = NULL;

        (void) sd_event_now(s->event, CLOCK_MONOTONIC, &now);
        for (size_t i = 0; i < s->n_downs && !d; i++)
                if (streq(s->downs[i].unit, unit))
                        d = &s->downs[i];
        if (!d) {
                UnitDowns *grown = reallocarray(s->downs, s->n_downs + 1, sizeof *s->downs);
                char *copy = strdup(unit);

                if (!grown || !copy) {
                        free(copy);
                        if (grown)
                                s->downs = grown;
                        return s->interval_usec;
                }
                s->downs = grown;
                d = &s->downs[s->n_downs++];
                *d = (UnitDowns) { .unit = copy };
        }
        d->n = now - d->last_usec < UNIT_DOWN_WINDOW_USEC ? d->n + 1 : 1;
        d->last_usec = now;
        if (d->n <= 1)
                return DEBOUNCE_USEC;
        return MIN(s->interval_usec, USEC_PER_SEC << MIN(d->n - 2, 20U));
}

/* One converging pass: the number of changes applied, or -errno with the detail in @reterr. */
static int converge(Supervisor *s, size_t *ret_changes, NcError *reterr) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *c = NULL;
        ReconcileOptions o = { .runtime = s->runtime, .pull_now = true, .pull = IMAGE_PULL_MISSING };
        int r;

        r = cmd_load_project(s->global, &p);
        if (r < 0)
                return r;
        watch_sources(s, p, NULL);
        if (set_project(s, p->name) < 0)
                return -ENOMEM;
        r = reconcile_new(p, &o, &c, reterr);
        if (r < 0)
                return r;
        watch_sources(s, p, c->desired);
        *ret_changes = c->plan->n_actions;
        if (c->plan->n_actions == 0)
                return 0;
        r = reconcile_execute(c, reterr);
        STRV_FOREACH(f, c->failures)
                log_error("Service %s", *f);
        if (r < 0)
                return r;
        log_info("%s: applied %zu change(s).", p->name, c->plan->n_actions);
        return 0;
}

static void drain_inotify(sd_event_source *src) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        while (read(sd_event_source_get_io_fd(src), buf, sizeof buf) > 0)
                ;
}

/* What the pass did to our units, unit files and table: read and dropped. What someone else did
 * meanwhile goes with it; the periodic pass is there for that. */
static void drain_own_changes(Supervisor *s) {
        drain_inotify(s->owned);
        if (s->nft)
                (void) fw_monitor_drain(sd_event_source_get_io_fd(s->nft));
        s->draining = true;
        while (s->bus && sd_bus_process(s->bus, NULL) > 0)
                ;
        s->draining = false;
}

static int run_pass(Supervisor *s) {
        NcError err = {};
        char buf[1024];
        size_t n = 0;
        int r;

        s->passes++;
        log_debug("Pass %u: %s.", s->passes, s->reason);
        (void) sd_notifyf(false, "STATUS=pass %u: converging (%s)", s->passes, s->reason);
        r = converge(s, &n, &err);
        drain_own_changes(s);
        if (r < 0 && r != -EHOSTDOWN)
                log_error_errno(r, "Pass %u failed: %s", s->passes,
                                err.error ? nc_error_format(&err, buf, sizeof buf) : strerror(-r));
        s->failures += r < 0;
        s->failing = r < 0 ? s->failing + 1 : 0;
        if (r < 0)
                (void) sd_notifyf(false, "STATUS=pass %u failed: %s", s->passes,
                                  r == -EHOSTDOWN ? "services did not reach their state" : strerror(-r));
        else if (n > 0)
                (void) sd_notifyf(false, "STATUS=pass %u (%s): applied %zu change(s)", s->passes, s->reason, n);
        else
                (void) sd_notifyf(false, "STATUS=pass %u (%s): in sync", s->passes, s->reason);
        return 0;
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        Supervisor *s = userdata;

        (void) run_pass(s);
        /* The next pass counts from the end of this one. */
        s->timer = sd_event_source_disable_unref(s->timer);
        return schedule_pass(s, s->interval_usec, "periodic");
}

/* The next pass in @delay_usec, unless one is due sooner. Failing passes in a row push it out. */
static int schedule_pass(Supervisor *s, uint64_t delay_usec, const char *reason) {
        uint64_t now, due, at;
        int r;

        if (s->failing > 0)
                delay_usec = MAX(delay_usec, MIN(s->interval_usec, USEC_PER_SEC << MIN(s->failing - 1, 20U)));
        r = sd_event_now(s->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        at = now + delay_usec;
        if (s->timer && sd_event_source_get_time(s->timer, &due) >= 0 && due <= at)
                return 0;
        snprintf(s->reason, sizeof s->reason, "%s", reason);
        if (!s->timer)
                return sd_event_add_time(s->event, &s->timer, CLOCK_MONOTONIC, at, 0, on_timer, s);
        return sd_event_source_set_time(s->timer, at);
}

/* Reads every pending event of the inotify @fd, each told to @fn. */
static void inotify_each(int fd, void (*fn)(Supervisor *s, const struct inotify_event *e), Supervisor *s) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;

        while ((n = read(fd, buf, sizeof buf)) > 0)
                for (char *p = buf; p < buf + n; ) {
                        const struct inotify_event *e = (const struct inotify_event *) p;

                        fn(s, e);
                        p += sizeof *e + e->len;
                }
}

/* A watched directory that went (IN_IGNORED) is watched again by the next pass, when it is there. */
static void on_source_event(Supervisor *s, const struct inotify_event *e) {
        if (e->mask & IN_IGNORED)
                s->watched = strv_free(s->watched);
}

static int on_sources(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        /* which file changed does not matter, a pass reads everything again */
        inotify_each(fd, on_source_event, userdata);
        return schedule_pass(userdata, DEBOUNCE_USEC, "the project's files changed");
}

static void on_owned_event(Supervisor *s, const struct inotify_event *e) {
        char why[256];

        if (e->len == 0 || !is_project_unit(s, e->name))
                return;
        snprintf(why, sizeof why, "unit file %s changed", e->name);
        (void) schedule_pass(s, DEBOUNCE_USEC, why);
}

static int on_owned(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        inotify_each(fd, on_owned_event, userdata);
        return 0;
}

static int on_nft(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        int r = fw_monitor_drain(fd);

        if (r < 0)
                log_warning_errno(r, "Cannot read nftables' notifications: %m");
        return r == 0 ? 0 : schedule_pass(userdata, DEBOUNCE_USEC, "table " FW_TABLE_NAME " changed");
}

/* PropertiesChanged of a unit: the project's one going inactive or failed calls for a pass. */
static int on_unit_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        const char *path = sd_bus_message_get_path(m), *iface = NULL, *name, *state;
        _cleanup_free_ char *unit = NULL;
        char why[256];

        if (s->draining || !path || !is_project_unit_path(s, path))
                return 0;
        if (sd_bus_message_read(m, "s", &iface) < 0 || !streq(iface, SYSTEMD_UNIT_IFACE) ||
            sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                if (sd_bus_message_read(m, "s", &name) < 0)
                        return 0;
                if (!streq(name, "ActiveState")) {
                        if (sd_bus_message_skip(m, "v") < 0 || sd_bus_message_exit_container(m) < 0)
                                return 0;
                        continue;
                }
                if (sd_bus_message_read(m, "v", "s", &state) < 0)
                        return 0;
                if (!streq(state, "inactive") && !streq(state, "failed"))
                        return 0;
                (void) sd_bus_path_decode(path, "/org/freedesktop/systemd1/unit", &unit);
                snprintf(why, sizeof why, "%s is %s", unit ?: path, state);
                return schedule_pass(s, unit_down_delay(s, unit ?: path), why);
        }
        return 0;
}

static int on_sighup(sd_event_source *source, const struct signalfd_siginfo *si, void *userdata) {
        return schedule_pass(userdata, 0, "SIGHUP");
}

/* Where a change of our units shows: the unit directory, systemd's signals, nftables'. Each is an
 * optimisation over the periodic pass: one that cannot be had is warned about, not fatal. */
static void watch_owned(Supervisor *s) {
        _cleanup_close_ int ifd = -EBADF, nft = -EBADF;
        const char *dir = name_unit_dir(s->runtime);
        NcError err = {};
        int r;

        ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (ifd < 0 || inotify_add_watch(ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0 ||
            sd_event_add_io(s->event, &s->owned, ifd, EPOLLIN, on_owned, s) < 0)
                log_warning_errno(-errno, "Cannot watch %s; edits of our unit files wait for the next pass: %m", dir);
        else {
                (void) sd_event_source_set_io_fd_own(s->owned, true);
                TAKE_FD(ifd);
        }
        nft = fw_monitor_open(&err);
        if (nft < 0 || sd_event_add_io(s->event, &s->nft, nft, EPOLLIN, on_nft, s) < 0)
                log_warning("Cannot watch nftables (%s); changes of our table wait for the next pass.",
                            nft < 0 ? err.message : "event loop");
        else {
                (void) sd_event_source_set_io_fd_own(s->nft, true);
                TAKE_FD(nft);
        }
        r = bus_open_systemd(&s->bus);
        /* systemd's private socket closes when it re-executes (an upgrade): the loop ends then with
         * an error, and systemd starts the supervisor again (Restart=on-failure), connected anew */
        if (r >= 0)
                r = sd_bus_set_exit_on_disconnect(s->bus, true);
        if (r >= 0)
                r = sd_bus_attach_event(s->bus, s->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_match_signal(s->bus, NULL, SYSTEMD_DEST, NULL, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_unit_changed, s);
        /* systemd sends units' signals only while someone subscribed */
        if (r >= 0)
                r = sd_bus_call_method(s->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe", NULL, NULL, "");
        if (r < 0) {
                log_warning_errno(r, "Cannot follow systemd's unit changes; a stopped service waits for the next pass: %m");
                s->bus = sd_bus_flush_close_unref(s->bus);
        }
}

/* Keeps the host converged: apply now, every --interval and when the compose files change. */
const CmdOption cmd_supervise_options[] = {
        { "interval", 0, "SECONDS", 'i', "Seconds between passes (default 60)" },
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

static int parse_supervise_option(int id, const char *arg, void *userdata) {
        Supervisor *s = userdata;
        char *end;
        double v;

        if (id != 'i')
                return 0;
        v = strtod(arg, &end);
        if (*end || v <= 0)
                return log_error_errno(-EINVAL, "Invalid --interval '%s': seconds expected.", arg);
        s->interval_usec = (uint64_t) (v * 1e6);
        return 0;
}

int cmd_supervise(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(supervisor_done) Supervisor s = { .global = g, .interval_usec = 60 * UINT64_C(1000000) };
        _cleanup_close_ int ifd = -EBADF;
        sigset_t mask;
        int r;

        r = cmd_parse(argc, argv, g, parse_supervise_option, &s);
        if (r <= 0)
                return cmd_parse_exit(r);
        s.runtime = g->runtime;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&s.event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m"), 1;
        r = sd_event_add_signal(s.event, NULL, SIGTERM, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGTERM: %m"), 1;
        r = sd_event_add_signal(s.event, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGINT: %m"), 1;
        r = sd_event_add_signal(s.event, NULL, SIGHUP, on_sighup, &s);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGHUP: %m"), 1;
        r = sd_event_set_watchdog(s.event, true);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the watchdog: %m"), 1;
        ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (ifd < 0)
                return log_error_errno(-errno, "Failed to create an inotify instance: %m"), 1;
        r = sd_event_add_io(s.event, &s.sources, ifd, EPOLLIN, on_sources, &s);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the compose files: %m"), 1;
        (void) sd_event_source_set_io_fd_own(s.sources, true);
        TAKE_FD(ifd);
        watch_owned(&s);
        r = schedule_pass(&s, 0, "start");
        if (r < 0)
                return log_error_errno(r, "Failed to schedule the first pass: %m"), 1;
        /* Ready once the loop runs: a first pass may pull images for minutes, which must not count
         * against the unit's start timeout; STATUS= tells how each pass went. */
        (void) sd_notify(false, "READY=1\nSTATUS=first pass starting");
        r = sd_event_loop(s.event);
        (void) sd_notify(false, "STOPPING=1");
        if (r < 0)
                return log_error_errno(r, "Supervisor loop failed: %m"), 1;
        if (r > 0)
                return log_error("Lost the connection to systemd; exiting for systemd to start the supervisor again."), 1;
        return 0;
}
