/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "cmd/cmd.h"
#include "reconcile/reconcile.h"
#include "reconcile/runtime/runtime.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/strv.h"

/* supervise: a persistent Type=notify service that keeps the host converged. A pass is exactly an
 * apply (load, render, read, plan, execute); passes run at start, every --interval, and shortly
 * after the compose files or their directories change. READY=1 is sent when the loop starts;
 * STATUS= says how the last pass went. */

#define DEBOUNCE_USEC (500 * UINT64_C(1000))

typedef struct Supervisor {
        CmdGlobal *global;
        sd_event *event;
        sd_event_source *timer, *inotify;
        uint64_t interval_usec;
        bool runtime;
        char **watched;                 /* directories under inotify watch */
        unsigned passes, failures;
} Supervisor;

static void supervisor_done(Supervisor *s) {
        s->timer = sd_event_source_unref(s->timer);
        s->inotify = sd_event_source_unref(s->inotify);
        s->event = sd_event_unref(s->event);
        s->watched = strv_free(s->watched);
}

static int schedule_pass(Supervisor *s, uint64_t delay_usec);

static void watch_files(Supervisor *s, const ComposeProject *p) {
        int fd = sd_event_source_get_io_fd(s->inotify);

        STRV_FOREACH(f, p->files) {
                _cleanup_free_ char *dir = path_dirname(*f);

                if (!dir || strv_contains(s->watched, dir))
                        continue;
                /* Directories, not files: editors replace files by renaming over them. */
                if (inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_CREATE) < 0)
                        log_warning_errno(-errno, "Cannot watch %s, changes there wait for the next pass: %m", dir);
                else
                        (void) strv_consume(&s->watched, TAKE_PTR(dir));
        }
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
        watch_files(s, p);
        r = reconcile_new(p, &o, &c, reterr);
        if (r < 0)
                return r;
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

static int run_pass(Supervisor *s) {
        NcError err = {};
        char buf[1024];
        size_t n = 0;
        int r;

        s->passes++;
        r = converge(s, &n, &err);
        if (r < 0 && r != -EHOSTDOWN)
                log_error_errno(r, "Pass %u failed: %s", s->passes,
                                err.error ? nc_error_format(&err, buf, sizeof buf) : strerror(-r));
        s->failures += r < 0;
        if (r < 0)
                (void) sd_notifyf(false, "STATUS=pass %u failed: %s", s->passes,
                                  r == -EHOSTDOWN ? "services did not reach their state" : strerror(-r));
        else if (n > 0)
                (void) sd_notifyf(false, "STATUS=pass %u: applied %zu change(s)", s->passes, n);
        else
                (void) sd_notifyf(false, "STATUS=pass %u: in sync", s->passes);
        return 0;
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        Supervisor *s = userdata;

        (void) run_pass(s);
        /* The next pass counts from the end of this one. */
        return schedule_pass(s, s->interval_usec);
}

static int schedule_pass(Supervisor *s, uint64_t delay_usec) {
        uint64_t now;
        int r;

        r = sd_event_now(s->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        if (!s->timer)
                return sd_event_add_time(s->event, &s->timer, CLOCK_MONOTONIC, now + delay_usec, 0, on_timer, s);
        r = sd_event_source_set_time(s->timer, now + delay_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
}

static int on_inotify(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Supervisor *s = userdata;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        /* Drain; which file changed does not matter, a pass reads everything again. */
        while (read(fd, buf, sizeof buf) > 0)
                ;
        return schedule_pass(s, DEBOUNCE_USEC);
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
        r = sd_event_set_watchdog(s.event, true);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the watchdog: %m"), 1;
        ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (ifd < 0)
                return log_error_errno(-errno, "Failed to create an inotify instance: %m"), 1;
        r = sd_event_add_io(s.event, &s.inotify, ifd, EPOLLIN, on_inotify, &s);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the compose files: %m"), 1;
        r = schedule_pass(&s, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to schedule the first pass: %m"), 1;
        /* Ready once the loop runs: a first pass may pull images for minutes, which must not count
         * against the unit's start timeout; STATUS= tells how each pass went. */
        (void) sd_notify(false, "READY=1\nSTATUS=first pass starting");
        r = sd_event_loop(s.event);
        (void) sd_notify(false, "STOPPING=1");
        if (r < 0)
                return log_error_errno(r, "Supervisor loop failed: %m"), 1;
        return 0;
}
