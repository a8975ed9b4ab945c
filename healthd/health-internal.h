/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the healthd .c files only; nothing outside healthd/ includes this. */

#include <grp.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "healthd/health.h"

uint64_t health_config_verdict_window_usec(const HealthConfig *c);

/* The last HEALTH_OUTPUT_MAX bytes of a probe's output: a ring buffer. */
typedef struct HealthOutput {
        char buf[HEALTH_OUTPUT_MAX];
        size_t start, len;
        bool truncated;                 /* bytes were dropped from the front */
} HealthOutput;

void health_output_reset(HealthOutput *o);
void health_output_append(HealthOutput *o, const void *data, size_t n);
void health_output_append_str(HealthOutput *o, const char *s);
/* Copies the kept bytes to @out (HEALTH_OUTPUT_MAX + 1 bytes), NUL-terminated. Returns the length. */
size_t health_output_flatten(const HealthOutput *o, char *out);

/* The probe cgroup, or none (then the probe's process group is killed). */
typedef struct HealthCgroup {
        char *path;                     /* NULL: no cgroup */
        int procs_fd;                   /* cgroup.procs, written "0" by the probe child */
} HealthCgroup;

/* Finds the cgroup for @spec (see HealthConfig.probe_cgroup), creates it and opens it. Without a
 * usable cgroup, returns 0 with ret->path == NULL. */
int health_cgroup_open(const char *spec, HealthCgroup *ret, NcError *reterr);
/* SIGKILLs every process in it. >0 if any was there, 0 if empty. */
int health_cgroup_kill(const HealthCgroup *cg);
/* Makes the cgroup again when someone removed it since it was opened (its cgroup.procs fd would
 * then refuse every process with ENODEV): systemd trimming the unit's cgroup of the instance
 * before, as seen on cgroup v2. 1 made again, 0 still there, -errno. */
int health_cgroup_revalidate(HealthCgroup *cg);
/* Kills what is left, waits until it is empty and removes it. */
void health_cgroup_done(HealthCgroup *cg);
/* "<cgroup2 mount><our cgroup's parent>/probe" when our cgroup is named "supervisor", else -ENOENT. */
int health_cgroup_default_path(char **ret);


typedef struct HealthChecker HealthChecker;

struct HealthChecker {
        sd_event *event;
        HealthConfig config;
        HealthLeader leader;
        HealthCgroup cgroup;
        HealthCallback callback;
        void *userdata;

        HealthState state;
        uint64_t started_usec;          /* "container start" for the start period */
        sd_event_source *timer;         /* the next probe, or the running probe's timeout */
        bool stopped;

        /* exec probes, prepared once */
        char **exec_argv;
        char **exec_envp;
        int null_fd;

        /* the running probe */
        bool running, timed_out;
        uint64_t probe_start_usec;
        HealthOutput output;
        char output_text[HEALTH_OUTPUT_MAX + 1];
        pid_t probe_pid;                /* exec: the helper that enters the namespaces */
        int output_fd;
        sd_event_source *child_source, *io_source;
        int socket_fd;                  /* tcp/http */
        size_t http_sent, http_len, http_head_len;
        char http_request[512];
        char http_head[256];            /* the response's first bytes, up to the status line */
};

/* Builds exec_argv and exec_envp from the config. */
int health_exec_prepare(HealthChecker *c);
/* Exec probe: starts it; health_checker_probe_done() follows. */
int health_exec_start(HealthChecker *c);
/* Kills the running exec probe and all it spawned; its exit still arrives through sd-event. */
void health_exec_kill(HealthChecker *c);
/* Kills and reaps the exec probe synchronously (on free). */
void health_exec_abandon(HealthChecker *c);

/* TCP/HTTP probes. */
int health_net_start(HealthChecker *c);
void health_net_stop(HealthChecker *c);

/* Called by the probe kinds when a probe ended: @exit_code 0 passes. */
int health_checker_probe_done(HealthChecker *c, int exit_code);
