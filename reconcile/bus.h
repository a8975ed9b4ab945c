/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "lib/macro.h"

/* systemd's manager and machined over D-Bus: connections, jobs and the few calls apply makes. */

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

/* How a job joins systemd's queue (the job modes of `systemctl --job-mode=`). */
typedef enum BusJobMode {
        /* "replace": the unit's dependencies follow, as systemctl does: a stop or restart is passed
         * on to the units that Requires= or PartOf= this one, a start pulls in what it requires. */
        BUS_JOB_REPLACE,
        /* "ignore-requirements": this unit alone; ordering (After=) still holds against other jobs.
         * docker compose's semantics: stopping or restarting a service leaves its dependents be. */
        BUS_JOB_IGNORE_REQUIREMENTS,
        _BUS_JOB_MODE_MAX,
        _BUS_JOB_MODE_INVALID = -EINVAL,
} BusJobMode;

const char *bus_job_mode_to_string(BusJobMode m);

typedef struct BusJobs BusJobs;
/* Subscribes to the manager and watches JobRemoved. */
int bus_jobs_new(sd_bus *bus, BusJobs **ret);
BusJobs *bus_jobs_free(BusJobs *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusJobs*, bus_jobs_free);
/* Queues @method ("StartUnit", "RestartUnit", "StopUnit") for @unit in @mode; bus_jobs_wait() waits for
 * it. A job systemd merged into one already queued here is waited for once. */
int bus_jobs_queue(BusJobs *j, const char *method, const char *unit, BusJobMode mode, sd_bus_error *error);
/* Waits until every queued job is removed. */
int bus_jobs_wait(BusJobs *j);
/* Told of a job still pending: its unit and systemd's state of the job ("waiting": queued behind
 * the units its unit is ordered after; "running"). */
typedef void (*BusJobsReport)(sd_bus *bus, const char *unit, const char *job_state, void *userdata);
/* bus_jobs_wait() until @deadline_usec (CLOCK_MONOTONIC; UINT64_MAX: none; then -ETIME, the jobs
 * go on), calling @report (NULL: none) for each pending job every @every_usec. */
int bus_jobs_wait_report(BusJobs *j, uint64_t deadline_usec, uint64_t every_usec, BusJobsReport report,
                         void *userdata);
/* The @i-th finished job, in order of completion: its unit and result. false past the last. */
bool bus_jobs_finished(const BusJobs *j, size_t i, const char **ret_unit, const char **ret_result);
/* Result of the last job of @unit ("done", "failed", "dependency", "timeout", …) or NULL. */
const char *bus_jobs_result(const BusJobs *j, const char *unit);
/* A connection to systemd: its private socket when we are root, else the system bus. */
int bus_open_systemd(sd_bus **ret);
int bus_daemon_reload(sd_bus *bus, sd_bus_error *error);
/* The leader PID machined records for @machine (on the system bus). -ENXIO etc. when not running. */
int bus_machine_leader(sd_bus *bus, const char *machine, pid_t *ret);
/* The unit of the machine machined has under @machine: 1 and *ret_unit ("" when none), 0 when there
 * is no such machine, or -errno. */
int bus_machine_unit(sd_bus *bus, const char *machine, char **ret_unit);
int bus_reset_failed(sd_bus *bus, const char *unit);
