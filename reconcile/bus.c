/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/strv.h"
#include "lib/time-util.h"
#include "reconcile/bus.h"

/* Talking to systemd's manager: jobs and their completion, reload, reset-failed. The job waiting
 * follows systemctl's: subscribe, match JobRemoved before queueing, then wait until every queued
 * job has been removed, recording each result. */

struct BusJobs {
        sd_bus *bus;
        sd_bus_slot *slot;
        char **pending;                 /* job object paths */
        char **pending_units;           /* their units, in the same order */
        char **results;                 /* "unit=result" of finished jobs */
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusJobs *j = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        int r;

        r = sd_bus_message_read(m, "uoss", &id, &path, &unit, &result);
        if (r < 0)
                return 0;
        for (size_t i = 0; j->pending && j->pending[i]; i++) {
                if (!streq(j->pending[i], path))
                        continue;
                log_debug("Job %s for %s: %s", path, unit, result);
                (void) strv_consume(&j->results, strjoin(unit, "=", result));
                /* drop entry i from both lists, keeping them parallel */
                free(j->pending[i]);
                free(j->pending_units[i]);
                for (size_t k = i; j->pending[k]; k++) {
                        j->pending[k] = j->pending[k + 1];
                        j->pending_units[k] = j->pending_units[k + 1];
                }
                break;
        }
        return 0;
}

int bus_jobs_new(sd_bus *bus, BusJobs **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(bus_jobs_freep) BusJobs *j = calloc(1, sizeof *j);
        int r;

        if (!j)
                return -ENOMEM;
        j->bus = sd_bus_ref(bus);
        r = sd_bus_match_signal(bus, &j->slot, NULL, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                on_job_removed, j);
        if (r < 0)
                return r;
        /* busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 …Manager Subscribe
         * (a connection subscribes once; a second waiter on it is told it already is) */
        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe", &error, NULL, NULL);
        if (r < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.systemd1.AlreadySubscribed"))
                return r;
        *ret = TAKE_PTR(j);
        return 0;
}

BusJobs *bus_jobs_free(BusJobs *j) {
        if (!j)
                return NULL;
        sd_bus_slot_unref(j->slot);
        sd_bus_unref(j->bus);
        strv_free(j->pending);
        strv_free(j->pending_units);
        strv_free(j->results);
        free(j);
        return NULL;
}

static const char *const job_mode_table[_BUS_JOB_MODE_MAX] = {
        [BUS_JOB_REPLACE] = "replace",
        [BUS_JOB_IGNORE_REQUIREMENTS] = "ignore-requirements",
};

const char *bus_job_mode_to_string(BusJobMode m) {
        return m >= 0 && m < _BUS_JOB_MODE_MAX ? job_mode_table[m] : NULL;
}

int bus_jobs_queue(BusJobs *j, const char *method, const char *unit, BusJobMode mode, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path, *m = bus_job_mode_to_string(mode);
        int r;

        assert(j);
        assert(method);
        assert(unit);
        if (!m)
                return -EINVAL;
        /* busctl call … Manager StartUnit ss UNIT MODE   (RestartUnit, StopUnit alike) */
        r = sd_bus_call_method(j->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, method, error, &reply,
                               "ss", unit, m);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        log_debug("Queued %s %s (%s): %s", method, unit, m, path);
        if (strv_contains(j->pending, path))
                return 0;               /* merged into a job we already wait for */
        r = strv_extend(&j->pending_units, unit);
        if (r < 0)
                return r;
        r = strv_extend(&j->pending, path);
        if (r < 0) {
                size_t n = strv_length(j->pending_units);
                j->pending_units[n - 1] = mfree(j->pending_units[n - 1]);
        }
        return r;
}

static void report_pending(BusJobs *j, BusJobsReport report, void *userdata) {
        _cleanup_strv_free_ char **paths = strv_copy(j->pending), **units = strv_copy(j->pending_units);

        /* a copy: the report may talk to the bus, which may remove jobs from the lists */
        for (size_t i = 0; paths && units && paths[i] && units[i]; i++) {
                _cleanup_free_ char *state = NULL;

                /* busctl get-property org.freedesktop.systemd1 JOB …Job State */
                if (sd_bus_get_property_string(j->bus, SYSTEMD_DEST, paths[i], "org.freedesktop.systemd1.Job",
                                               "State", NULL, &state) < 0)
                        continue;       /* gone meanwhile */
                report(j->bus, units[i], state, userdata);
        }
}

int bus_jobs_wait_report(BusJobs *j, uint64_t deadline_usec, uint64_t every_usec, BusJobsReport report,
                         void *userdata) {
        uint64_t next = report ? now_usec(CLOCK_MONOTONIC) + every_usec : UINT64_MAX;

        while (j->pending && j->pending[0]) {
                uint64_t now, until;
                int r = sd_bus_process(j->bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                now = now_usec(CLOCK_MONOTONIC);
                if (now >= deadline_usec)
                        return -ETIME;
                if (report && now >= next) {
                        report_pending(j, report, userdata);
                        next = now + every_usec;
                        continue;
                }
                until = MIN(next, deadline_usec);
                r = sd_bus_wait(j->bus, until == UINT64_MAX ? UINT64_MAX : until - now);
                if (r < 0)
                        return r;
        }
        return 0;
}

int bus_jobs_wait(BusJobs *j) {
        return bus_jobs_wait_report(j, UINT64_MAX, 0, NULL, NULL);
}

bool bus_jobs_finished(const BusJobs *j, size_t i, const char **ret_unit, const char **ret_result) {
        static __thread char unit[512];
        const char *eq;

        if (i >= strv_length(j->results))
                return false;
        eq = strrchr(j->results[i], '=');
        snprintf(unit, sizeof unit, "%.*s", (int) (eq - j->results[i]), j->results[i]);
        *ret_unit = unit;
        *ret_result = eq + 1;
        return true;
}

const char *bus_jobs_result(const BusJobs *j, const char *unit) {
        size_t l = strlen(unit);
        const char *found = NULL;

        STRV_FOREACH(s, j->results)
                if (strncmp(*s, unit, l) == 0 && (*s)[l] == '=')
                        found = *s + l + 1;     /* the last job of the unit counts */
        return found;
}

/* Until the connection is authenticated and running. sd_bus_start() only begins the handshake;
 * left unfinished while we pull and build for longer than the bus's authentication timeout,
 * the connection is closed under us and the first call fails with ENOTCONN. */
static int bus_wait_ready(sd_bus *bus) {
        for (;;) {
                int r = sd_bus_is_ready(bus);
                if (r != 0)
                        return r < 0 ? r : 0;
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0)
                        return r;
        }
}

int bus_open_systemd(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        /* As root, talk to systemd directly on its private socket, as systemctl does: a round trip
         * there costs a fraction of one through the bus daemon. Otherwise, or if that fails, the
         * system bus. */
        if (geteuid() == 0 && access("/run/systemd/private", F_OK) >= 0 &&
            sd_bus_new(&bus) >= 0 &&
            sd_bus_set_address(bus, "unix:path=/run/systemd/private") >= 0 &&
            sd_bus_start(bus) >= 0 && bus_wait_ready(bus) >= 0) {
                *ret = TAKE_PTR(bus);
                return 0;
        }
        bus = sd_bus_flush_close_unref(bus);
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = bus_wait_ready(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

int bus_daemon_reload(sd_bus *bus, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        /* busctl call … Manager Reload; the reply comes when the reload is complete. */
        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Reload");
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, 300 * UINT64_C(1000000), error, NULL);
}

int bus_reset_failed(sd_bus *bus, const char *unit) {
        /* busctl call … Manager ResetFailedUnit s UNIT; "not loaded" is fine */
        int r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "ResetFailedUnit", NULL,
                                   NULL, "s", unit);
        return r < 0 && r != -ENOENT ? r : 0;
}

/* machined's object of @machine: busctl call org.freedesktop.machine1 /org/freedesktop/machine1
 * …Manager GetMachine s NAME. @ret_path lives as long as @ret_reply. */
static int machine_object(sd_bus *bus, const char *machine, sd_bus_error *error, sd_bus_message **ret_reply,
                          const char **ret_path) {
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.machine1", "/org/freedesktop/machine1",
                               "org.freedesktop.machine1.Manager", "GetMachine", error, ret_reply, "s", machine);
        if (r < 0)
                return r;
        return sd_bus_message_read(*ret_reply, "o", ret_path);
}

int bus_machine_leader(sd_bus *bus, const char *machine, pid_t *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path;
        uint32_t leader;
        int r;

        r = machine_object(bus, machine, &error, &reply, &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_trivial(bus, "org.freedesktop.machine1", path, "org.freedesktop.machine1.Machine",
                                        "Leader", &error, 'u', &leader);
        if (r < 0)
                return r;
        *ret = (pid_t) leader;
        return 0;
}

int bus_machine_unit(sd_bus *bus, const char *machine, char **ret_unit) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path;
        int r;

        r = machine_object(bus, machine, &error, &reply, &path);
        if (r < 0 && sd_bus_error_has_name(&error, "org.freedesktop.machine1.NoSuchMachine"))
                return 0;
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, "org.freedesktop.machine1", path, "org.freedesktop.machine1.Machine",
                                       "Unit", &error, ret_unit);
        return r < 0 ? r : 1;
}
