/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <limits.h>

#include "healthd/health.h"
#include "reconcile/render/desired-internal.h"

/* Device policy of systemd's own systemd-nspawn@.service (v252). */
const char *const desired_nspawn_device_allow[] = {
        "/dev/net/tun rwm", "char-pts rw", "/dev/loop-control rw", "block-loop rw", "block-blkext rw",
        "/dev/mapper/control rw", "block-device-mapper rw", NULL,
};

bool desired_healthcheck_enabled(const ComposeNode *hc) {
        const ComposeNode *test = compose_map_get(hc, "test");

        return hc && !compose_map_get_bool(hc, "disable", false) &&
               !(test && test->n_items > 0 && streq_ptr(compose_node_str(test->items[0]), "NONE"));
}

/* How long a start may take before systemd gives up: healthd's health_config_timeout_start_usec(), the
 * time its checker needs at most to call the service healthy or unhealthy plus a margin (the wrapper's
 * EXTEND_TIMEOUT_USEC= counts the same way). Only the timing matters here, and that there is a test:
 * compose's, or the image's when compose gives timings only. A one-shot service (something waits for
 * its completion) runs as long as it runs. */
uint64_t desired_start_timeout(const ComposeNode *hc, bool oneshot) {
        static char *const some_test[] = { (char *) "test", NULL };
        HealthConfig c = { .type = HEALTH_TEST_NONE };
        int64_t retries = 0;

        if (oneshot)
                return USEC_INFINITY;
        if (desired_healthcheck_enabled(hc)) {
                c.type = HEALTH_TEST_CMD;
                c.argv = (char **) some_test;
        }
        /* unset or invalid: 0, healthd's "default" (validation reports invalid ones) */
        (void) parse_go_duration_usec(strempty(compose_map_get_str(hc, "interval")), &c.interval_usec);
        (void) parse_go_duration_usec(strempty(compose_map_get_str(hc, "timeout")), &c.timeout_usec);
        (void) parse_go_duration_usec(strempty(compose_map_get_str(hc, "start_period")), &c.start_period_usec);
        (void) parse_go_duration_usec(strempty(compose_map_get_str(hc, "start_interval")), &c.start_interval_usec);
        (void) compose_node_int(compose_map_get(hc, "retries"), &retries);
        c.retries = retries > 0 && retries <= UINT_MAX ? (unsigned) retries : 0;
        return health_config_timeout_start_usec(&c);
}

typedef struct RestartPolicy {
        const char *restart;            /* Restart= */
        uint64_t attempts;              /* on-failure:N → N; 0 = unlimited */
} RestartPolicy;

/* restart: no | always | unless-stopped | on-failure[:N]; else deploy.restart_policy
 * (condition none | on-failure | any, max_attempts). */
static RestartPolicy restart_policy(const ComposeNode *svc) {
        const char *r = compose_map_get_str(svc, "restart"), *n;
        const ComposeNode *rp = compose_map_get(compose_map_get(svc, "deploy"), "restart_policy");
        RestartPolicy p = { "no", 0 };
        uint64_t v;

        if (r) {
                if (streq(r, "always") || streq(r, "unless-stopped"))
                        p.restart = "always";
                else if ((n = startswith(r, "on-failure"))) {
                        p.restart = "on-failure";
                        ComposeNode count = { .type = COMPOSE_NODE_STRING, .scalar = (char *) n + 1 };

                        if (*n == ':' && desired_node_uint(&count, 1, 1000000, &v) >= 0)
                                p.attempts = v;
                }
                return p;
        }
        if (!rp)
                return p;
        r = compose_map_get_str(rp, "condition") ?: "any";
        p.restart = streq(r, "any") ? "always" : streq(r, "on-failure") ? "on-failure" : "no";
        if (!streq(p.restart, "no") && desired_node_uint(compose_map_get(rp, "max_attempts"), 1, 1000000, &v) >= 0)
                p.attempts = v;
        return p;
}

static void unit_header(StrBuf *b, DesiredContext *c, const char *description) {
        _cleanup_free_ char *d = unit_value_escape(description);

        strbuf_append(b, NC_HEADER_COMMENT "[Unit]\n");
        strbuf_printf(b, "Description=%s\n", strempty(d));
        strbuf_printf(b, "X-NspawnCompose-Project=%s\n", c->name);
}

static void unit_exec(StrBuf *b, DesiredContext *c, const char *key, const char *verb, const char *arg) {
        _cleanup_free_ char *exe = unit_exec_arg_escape(c->options->exe ?: DESIRED_EXE_DEFAULT);
        _cleanup_free_ char *a = unit_exec_arg_escape(arg);

        strbuf_printf(b, "%s=%s %s %s\n", key, strempty(exe), verb, strempty(a));
}

static void unit_timespan(StrBuf *b, const char *key, uint64_t usec) {
        _cleanup_free_ char *t = format_timespan_unit(usec);

        strbuf_printf(b, "%s=%s\n", key, strempty(t));
}

/* depends_on as systemd sees it: Requires= (Wants= for required: false) gives what docker compose
 * does at boot and when the dependency fails to start: the dependent does not start without it,
 * and After= orders the two. apply stops and restarts a service alone (BUS_JOB_IGNORE_REQUIREMENTS),
 * so these do not pass its recreation on to the dependents; restart: true adds PartOf=, and the
 * plan restarts such a dependent itself. */
static void service_unit_deps(StrBuf *b, DesiredContext *c, const DesiredService *d, bool with_deps) {
        strbuf_printf(b, "PartOf=%s\n", c->target_unit);
        strbuf_printf(b, "Requires=%s\n", c->network_unit);
        strbuf_printf(b, "After=%s\n", c->network_unit);
        for (size_t k = 0; with_deps && k < d->n_deps; k++) {
                const DesiredService *dep = desired_state_find_service(c->state, d->deps[k].service);

                strbuf_printf(b, "%s=%s\n", d->deps[k].required ? "Requires" : "Wants", dep->unit);
                strbuf_printf(b, "After=%s\n", dep->unit);
                if (d->deps[k].restart)
                        strbuf_printf(b, "PartOf=%s\n", dep->unit);
        }
}

/* x-nspawn-compose.on_unhealthy: restart. The wrapper sends WATCHDOG=trigger on unhealthy; systemd then
 * sends WatchdogSignal= to it (SIGTERM: it stops the machine as on any stop, instead of dying of the
 * default SIGABRT) and restarts the unit when Restart= covers a watchdog failure, which "no" does not. */
static bool restart_on_unhealthy(const ComposeNode *svc) {
        return streq_ptr(compose_map_get_str(compose_map_get(svc, "x-nspawn-compose"), "on_unhealthy"), "restart");
}

static void service_unit_restart(StrBuf *b, const RestartPolicy *p, bool oneshot, bool on_unhealthy) {
        if (on_unhealthy)
                strbuf_append(b, "WatchdogSignal=SIGTERM\n");
        strbuf_printf(b, "Restart=%s\n", on_unhealthy && streq(p->restart, "no") ? "on-watchdog" : p->restart);
        strbuf_append(b, "RestartSec=1\n");
        /* nspawn exits 133 when the machine asked to be rebooted: start it again (as systemd-nspawn@).
         * systemd refuses RestartForceExitStatus= for Type=oneshot. */
        strbuf_append(b, "SuccessExitStatus=133\n");
        if (!oneshot)
                strbuf_append(b, "RestartForceExitStatus=133\n");
}

/* Limits systemd applies to the whole unit before ExecStart: nspawn's --property= does nothing
 * under --keep-unit. Invalid values were already refused while rendering S.json. */
static void service_unit_limits(StrBuf *b, const ComposeNode *svc) {
        DesiredLimits l;

        if (desired_service_limits(svc, NULL, &l, NULL) < 0)
                return;
        if (l.memory > 0)
                strbuf_printf(b, "MemoryMax=%" PRIu64 "\n", l.memory);
        if (l.has_swap && l.swap == UINT64_MAX)
                strbuf_append(b, "MemorySwapMax=infinity\n");
        else if (l.has_swap)
                strbuf_printf(b, "MemorySwapMax=%" PRIu64 "\n", l.swap);
        if (l.cpu_permyriad > 0)
                strbuf_printf(b, "CPUQuota=%" PRIu64 ".%02" PRIu64 "%%\n", l.cpu_permyriad / 100, l.cpu_permyriad % 100);
        if (l.pids > 0)
                strbuf_printf(b, "TasksMax=%" PRIi64 "\n", l.pids);
        else if (l.pids < 0)
                strbuf_append(b, "TasksMax=infinity\n");
        if (l.cpu_weight > 0)
                strbuf_printf(b, "CPUWeight=%" PRIu64 "\n", l.cpu_weight);
        if (l.cpuset)
                strbuf_printf(b, "AllowedCPUs=%s\n", l.cpuset);
        if (l.memory_low > 0)
                strbuf_printf(b, "MemoryLow=%" PRIu64 "\n", l.memory_low);
        if (l.io_weight > 0)
                strbuf_printf(b, "IOWeight=%" PRIu64 "\n", l.io_weight);
        desired_blkio_lines(svc, b);
}

char *desired_service_unit(DesiredContext *c, size_t i, const char *hash, bool with_deps) {
        const DesiredService *d = &c->state->services[i];
        const ComposeNode *svc = c->units[i].node;
        RestartPolicy rp = restart_policy(svc);
        _cleanup_free_ char *desc = NULL;
        uint64_t grace = 10 * USEC_PER_SEC;
        StrBuf b = {};

        if (asprintf(&desc, "nspawn-compose %s/%s", c->name, d->name) < 0)
                return NULL;
        (void) parse_go_duration_usec(strempty(compose_map_get_str(svc, "stop_grace_period")), &grace);
        if (d->oneshot && streq(rp.restart, "always"))
                rp.restart = "on-failure";      /* systemd refuses Restart=always for Type=oneshot */
        unit_header(&b, c, desc);
        strbuf_printf(&b, "X-NspawnCompose-Service=%s\n", d->name);
        if (d->replica > 1)     /* what tells a replica from a service, when scaling down removes it */
                strbuf_printf(&b, "X-NspawnCompose-Replica-Of=%s\n", d->compose_name);
        strbuf_printf(&b, "X-NspawnCompose-Hash=%s\n", hash);
        service_unit_deps(&b, c, d, with_deps);
        if (rp.attempts > 0)
                /* StartLimitBurst counts starts: the first one plus N restarts */
                strbuf_printf(&b, "StartLimitIntervalSec=infinity\nStartLimitBurst=%" PRIu64 "\n", rp.attempts + 1);
        else
                strbuf_append(&b, "StartLimitIntervalSec=0\n");
        strbuf_append(&b, "\n[Service]\n");
        strbuf_append(&b, d->oneshot ? "Type=oneshot\nRemainAfterExit=yes\n" : "Type=notify\n");
        /* A service that is not restarted when it exits 0 has done its job: it stays active (exited), so
         * apply sees it converged rather than starting it again each time, as docker shows it exited
         * and leaves it. With Restart=always the exit must end the unit so that it restarts. */
        if (!d->oneshot && !streq(rp.restart, "always"))
                strbuf_append(&b, "RemainAfterExit=yes\n");
        strbuf_append(&b, "NotifyAccess=main\n");
        unit_exec(&b, c, "ExecStart", "run-service", d->settings_path);
        desired_credential_lines(c, i, &b);
        strbuf_append(&b, "KillMode=mixed\nDelegate=yes\nSlice=machine.slice\nDevicePolicy=closed\n");
        for (size_t k = 0; desired_nspawn_device_allow[k]; k++)
                strbuf_printf(&b, "DeviceAllow=%s\n", desired_nspawn_device_allow[k]);
        desired_device_allow_lines(svc, &b);
        service_unit_limits(&b, svc);
        unit_timespan(&b, "TimeoutStartSec", desired_start_timeout(compose_map_get(svc, "healthcheck"), d->oneshot));
        /* pre_stop hooks have the grace period, and then the stop signal has it again */
        unit_timespan(&b, "TimeoutStopSec", (compose_map_get(svc, "pre_stop") ? 2 : 1) * grace + 5 * USEC_PER_SEC);
        service_unit_restart(&b, &rp, d->oneshot, restart_on_unhealthy(svc));
        strbuf_printf(&b, "\n[Install]\nWantedBy=%s\n", c->target_unit);
        return strbuf_steal(&b);
}

/* Project networks: bridges, masquerade, published ports. ExecReload= re-runs net-up, so apply can
 * update ports or add a network without a restart, which Requires= would pass on to every service. */
char *desired_network_unit(DesiredContext *c) {
        _cleanup_free_ char *desc = NULL, *pj = NULL;
        const DesiredFile *f;
        char hash[SHA256_DIGEST_SIZE * 2 + 1];
        StrBuf b = {};

        if (asprintf(&desc, "nspawn-compose %s networks", c->name) < 0 ||
            asprintf(&pj, "%s/project.json", c->settings_dir) < 0)
                return NULL;
        f = desired_state_find_file(c->state, pj);
        sha256_hex(f ? f->content : "", f ? f->size : 0, hash);
        unit_header(&b, c, desc);
        strbuf_printf(&b, "X-NspawnCompose-Hash=%s\n", hash);
        strbuf_printf(&b, "PartOf=%s\n", c->target_unit);
        strbuf_append(&b, "StartLimitIntervalSec=0\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\n");
        unit_exec(&b, c, "ExecStart", "net-up", pj);
        unit_exec(&b, c, "ExecReload", "net-up", pj);
        unit_exec(&b, c, "ExecStop", "net-down", pj);
        strbuf_printf(&b, "\n[Install]\nWantedBy=%s\n", c->target_unit);
        return strbuf_steal(&b);
}

char *desired_target_unit(DesiredContext *c) {
        _cleanup_free_ char *desc = NULL;
        StrBuf b = {};

        if (asprintf(&desc, "nspawn-compose project %s", c->name) < 0)
                return NULL;
        unit_header(&b, c, desc);
        strbuf_printf(&b, "Wants=%s\n", c->network_unit);
        for (size_t i = 0; i < c->state->n_services; i++)
                strbuf_printf(&b, "Wants=%s\n", c->state->services[i].unit);
        strbuf_append(&b, "\n[Install]\nWantedBy=multi-user.target\n");
        return strbuf_steal(&b);
}
