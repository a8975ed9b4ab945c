/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>

#include "healthd/health-internal.h"
#include "lib/strv.h"
#include "lib/time-util.h"

/* Probes need not be exact; this lets sd-event coalesce wake-ups a little. */
#define TIMER_ACCURACY_USEC (1 * USEC_PER_MSEC)

static bool is_exec(const HealthChecker *c) {
        return c->config.type == HEALTH_TEST_CMD || c->config.type == HEALTH_TEST_CMD_SHELL;
}

static uint64_t event_now_usec(HealthChecker *c) {
        uint64_t t = 0;

        (void) sd_event_now(c->event, CLOCK_MONOTONIC, &t);
        return t;
}

static uint64_t since_start(const HealthChecker *c, uint64_t t) {
        return t > c->started_usec ? t - c->started_usec : 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

static int arm_timer(HealthChecker *c, uint64_t when) {
        int r;

        if (!c->timer)
                return sd_event_add_time(c->event, &c->timer, CLOCK_MONOTONIC, when, TIMER_ACCURACY_USEC,
                                         on_timer, c);
        r = sd_event_source_set_time(c->timer, when);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

/* Go's time.Duration format, as in moby's "Health check exceeded timeout (30s)". */
static void format_duration(uint64_t usec, char *buf, size_t size) {
        uint64_t s = usec / USEC_PER_SEC;

        if (usec % USEC_PER_SEC != 0) {
                if (usec < USEC_PER_SEC)
                        snprintf(buf, size, "%" PRIu64 "ms", usec / USEC_PER_MSEC);
                else
                        snprintf(buf, size, "%" PRIu64 ".%03" PRIu64 "s", s,
                                 usec % USEC_PER_SEC / USEC_PER_MSEC);
        } else if (s >= 3600)
                snprintf(buf, size, "%" PRIu64 "h%" PRIu64 "m%" PRIu64 "s", s / 3600, s / 60 % 60, s % 60);
        else if (s >= 60)
                snprintf(buf, size, "%" PRIu64 "m%" PRIu64 "s", s / 60, s % 60);
        else
                snprintf(buf, size, "%" PRIu64 "s", s);
}

static void start_probe(HealthChecker *c) {
        int r;

        c->probe_start_usec = event_now_usec(c);
        c->running = true;
        c->timed_out = false;
        health_output_reset(&c->output);
        r = is_exec(c) ? health_exec_start(c) : health_net_start(c);
        if (r < 0) {
                if (c->output.len == 0) {
                        char buf[256];

                        snprintf(buf, sizeof buf, "healthcheck: cannot start probe: %s\n", strerror(-r));
                        health_output_append_str(&c->output, buf);
                }
                (void) health_checker_probe_done(c, -1);
                return;
        }
        r = arm_timer(c, c->probe_start_usec + health_config_timeout_usec(&c->config));
        if (r < 0) {
                /* without a timeout the probe could hang forever: give it up */
                if (is_exec(c))
                        health_exec_abandon(c);
                else
                        health_net_stop(c);
                (void) health_checker_probe_done(c, -1);
        }
}

static void time_out(HealthChecker *c) {
        char d[32], buf[96];

        c->timed_out = true;
        format_duration(health_config_timeout_usec(&c->config), d, sizeof d);
        snprintf(buf, sizeof buf, "Health check exceeded timeout (%s)", d);
        health_output_reset(&c->output);
        health_output_append_str(&c->output, buf);
        if (is_exec(c))
                health_exec_kill(c);    /* the helper's exit ends the probe */
        else {
                health_net_stop(c);
                (void) health_checker_probe_done(c, -1);
        }
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        HealthChecker *c = userdata;

        if (c->stopped)
                return 0;
        if (!c->running)
                start_probe(c);
        else if (!c->timed_out)
                time_out(c);
        return 0;
}

uint64_t health_checker_extend_timeout_usec(HealthChecker *c) {
        uint64_t now, period_end;

        if (!c || c->state.ever_healthy)
                return 0;
        now = event_now_usec(c);
        period_end = c->started_usec + health_config_start_period_usec(&c->config);
        return (period_end > now ? period_end - now : 0) + health_config_verdict_window_usec(&c->config) +
                HEALTH_TIMEOUT_START_MARGIN_USEC;
}

int health_checker_probe_done(HealthChecker *c, int exit_code) {
        uint64_t end = event_now_usec(c), since = since_start(c, c->probe_start_usec);
        HealthEvent ev = {
                .previous = c->state.status,
                .exit_code = c->timed_out ? -1 : exit_code,
                .timed_out = c->timed_out,
                .probe_start_usec = c->probe_start_usec,
                .probe_end_usec = end,
                .retries = health_config_retries(&c->config),
                .in_start_period = c->state.status == HEALTH_STARTING &&
                                   since < health_config_start_period_usec(&c->config),
        };
        bool was_healthy = c->state.ever_healthy;
        int r;

        assert(c);

        c->running = false;
        ev.status = health_state_apply(&c->state, &c->config, since, ev.exit_code == 0);
        ev.in_start_period = ev.in_start_period && ev.exit_code != 0;
        ev.changed = ev.status != ev.previous;
        ev.first_healthy = !was_healthy && c->state.ever_healthy;
        ev.failing_streak = c->state.failing_streak;
        ev.output_truncated = c->output.truncated;
        health_output_flatten(&c->output, c->output_text);
        ev.output = c->output_text;
        ev.extend_timeout_usec = health_checker_extend_timeout_usec(c);

        r = arm_timer(c, end + health_state_next_interval_usec(&c->state, &c->config, since_start(c, end)));
        if (r < 0)
                c->stopped = true;
        if (c->callback && c->callback(c, &ev, c->userdata) < 0)
                c->stopped = true;
        if (c->stopped && c->timer)
                (void) sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        return 0;
}

static HealthChecker *checker_alloc(sd_event *e) {
        HealthChecker *c = calloc(1, sizeof *c);

        if (!c)
                return NULL;
        c->event = sd_event_ref(e);
        c->leader = (HealthLeader) { .pidfd = -EBADF, .root_fd = -EBADF, .netns_fd = -EBADF };
        c->cgroup = (HealthCgroup) { .procs_fd = -EBADF };
        c->null_fd = c->output_fd = c->socket_fd = -EBADF;
        c->state = HEALTH_STATE_INIT;
        return c;
}

static int checker_setup(HealthChecker *c, const HealthConfig *cfg, pid_t leader, NcError *reterr) {
        int r;

        r = health_config_copy(cfg, &c->config);
        if (r < 0)
                return nc_error_set(reterr, r, "out of memory");
        r = health_leader_open(leader, &c->leader, reterr);
        if (r < 0)
                return r;
        if (!is_exec(c))
                return 0;
        r = health_cgroup_open(cfg->probe_cgroup, &c->cgroup, reterr);
        if (r < 0)
                return r;
        r = health_exec_prepare(c);
        if (r < 0)
                return nc_error_set(reterr, r, "out of memory");
        c->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (c->null_fd < 0)
                return nc_error_set(reterr, -errno, "/dev/null: %m");
        return 0;
}

int health_checker_new(sd_event *e, const HealthConfig *cfg, pid_t leader, HealthCallback cb,
                       void *userdata, HealthChecker **ret, NcError *reterr) {
        _cleanup_(health_checker_freep) HealthChecker *c = NULL;
        int r;

        assert(e);
        assert(cfg);
        assert(ret);

        if (!health_config_has_check(cfg)) {
                *ret = NULL;
                return 0;
        }
        c = checker_alloc(e);
        if (!c)
                return nc_error_set(reterr, -ENOMEM, "out of memory");
        c->callback = cb;
        c->userdata = userdata;
        r = checker_setup(c, cfg, leader, reterr);
        if (r < 0)
                return r;
        c->started_usec = event_now_usec(c);
        r = arm_timer(c, c->started_usec + health_state_next_interval_usec(&c->state, &c->config, 0));
        if (r < 0)
                return nc_error_set(reterr, r, "cannot arm the probe timer: %m");
        *ret = TAKE_PTR(c);
        return 0;
}

HealthChecker *health_checker_free(HealthChecker *c) {
        if (!c)
                return NULL;
        if (is_exec(c))
                health_exec_abandon(c);
        else
                health_net_stop(c);
        c->timer = sd_event_source_disable_unref(c->timer);
        health_cgroup_done(&c->cgroup);
        health_leader_done(&c->leader);
        if (c->null_fd >= 0)
                close(c->null_fd);
        strv_free(c->exec_argv);
        strv_free(c->exec_envp);
        health_config_done(&c->config);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}

HealthStatus health_checker_get_status(const HealthChecker *c) {
        return c ? c->state.status : _HEALTH_STATUS_INVALID;
}

int health_checker_probe_now(HealthChecker *c) {
        if (!c)
                return -EINVAL;
        if (c->running || c->stopped)
                return 0;
        return arm_timer(c, event_now_usec(c));
}
