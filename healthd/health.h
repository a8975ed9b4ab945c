/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "lib/error.h"
#include "lib/macro.h"
#include "lib/seccomp-util.h"

/* In-process healthchecks with Docker's semantics (moby daemon/health.go), driven by sd-event.
 *
 * Defaults, used wherever a duration or retries is 0: interval 30s, timeout 30s, retries 3,
 * start_period 0s, start_interval 5s. start_interval follows the Docker engine (defaultStartInterval),
 * not the compose-spec text ("default: interval"): engine parity.
 *
 * Exec probes (CMD, CMD-SHELL) run inside the container as its payload runs (health_spawn(), which
 * `exec` uses too): the service's user, working directory and environment, the payload's
 * capabilities, no_new_privs and seccomp filter. stdout+stderr are
 * captured; the LAST 4 KiB are kept (Docker keeps the first 4 KiB; the end of the output is where
 * errors are). A probe runs in its own cgroup and everything it spawned is killed when it ends or
 * times out; without a writable cgroup, its process group is killed instead.
 *
 * The caller must be single-threaded (the probe child resolves users with plain reads after fork)
 * and must block SIGCHLD, as sd_event_add_child() requires. */

/* ---- a process inside a machine, as its payload runs ---- */

/* The machine's process we copy, pinned: every fd refers to the process that was alive when we
 * opened the pidfd, even if its PID is later reused. Everything else is read from the kernel's
 * /proc/PID/status, never from a file the machine controls. */
typedef struct HealthLeader {
        pid_t pid;
        int pidfd;
        int root_fd;                    /* /proc/PID/root */
        int netns_fd;                   /* /proc/PID/ns/net, for native probes on its loopback */
        int setns_flags;                /* CLONE_NEW* to enter through the pidfd */
        uint64_t cap_bounding, cap_permitted, cap_effective;
        bool no_new_privs;
        bool seccomp;                   /* it runs under a filter (nspawn's): so do we */
        SyscallFilter filter;           /* nspawn's filter for cap_bounding, when seccomp */
        unsigned cap_last;
} HealthLeader;

int health_leader_open(pid_t pid, HealthLeader *ret, NcError *reterr);
void health_leader_done(HealthLeader *l);
/* 0 while the leader runs, -ESRCH once it exited. */
int health_leader_alive(const HealthLeader *l);

typedef struct HealthSpawn {
        char **argv;                    /* argv[0] is looked up in envp's PATH inside the machine */
        char **envp;                    /* HOME= from the user's entry is added when it has none */
        const char *user;               /* "uid[:gid]" or "name[:group]" (the machine's files); NULL = root */
        const char *working_dir;        /* NULL = "/" */
        int stdio[3];                   /* become fds 0, 1, 2 */
        int cgroup_procs_fd;            /* cgroup.procs to join first; -EBADF: stay in ours */
        bool own_process_group;         /* the helper leads a new process group (probes kill it) */
        bool controlling_tty;           /* a new session with stdio[0], a terminal, as its tty */
        bool die_with_parent;
        const char *tag;                /* prefix of the setup's error messages; NULL = "healthcheck" */
} HealthSpawn;

/* Exit codes of the spawn's own setup, as a shell reports them (and docker exec). */
#define HEALTH_EXIT_CANNOT_RUN 126
#define HEALTH_EXIT_NOT_FOUND  127

/* Forks a helper that resolves the user in the machine's /etc/passwd and /etc/group (opened
 * safely, size-capped, never a FIFO), closes every other fd, enters every namespace and the root of
 * @l, drops to its bounding set, installs its seccomp filter, sets no_new_privs as it has it,
 * switches user (root keeps the leader's effective and permitted sets, any other user none;
 * inheritable and ambient are cleared), changes to the working directory, and only then forks the
 * command into the machine's pid namespace. Non-dumpable from the first instruction. The helper
 * exits with the command's status (126: setup failed, 127: not found, 128+N: signal N), as
 * nsenter does. *ret_pid is the helper. 0 or -errno (fork). */
int health_spawn(const HealthLeader *l, const HealthSpawn *s, pid_t *ret_pid);

#define HEALTH_DEFAULT_INTERVAL_USEC       (30ULL * 1000000ULL)
#define HEALTH_DEFAULT_TIMEOUT_USEC        (30ULL * 1000000ULL)
#define HEALTH_DEFAULT_START_PERIOD_USEC   0ULL
#define HEALTH_DEFAULT_START_INTERVAL_USEC (5ULL * 1000000ULL)
#define HEALTH_DEFAULT_RETRIES             3U
#define HEALTH_OUTPUT_MAX                  4096U
/* Start timeout of a service without healthcheck, and the slack added on top of the worst case. */
#define HEALTH_NO_CHECK_TIMEOUT_START_USEC (90ULL * 1000000ULL)
#define HEALTH_TIMEOUT_START_MARGIN_USEC   (30ULL * 1000000ULL)

typedef enum HealthTestType {
        HEALTH_TEST_NONE,               /* no check (test ["NONE"]): ready at start */
        HEALTH_TEST_CMD,                /* argv exec'd inside the container (PATH from its environment) */
        HEALTH_TEST_CMD_SHELL,          /* /bin/sh -c argv[0] argv[1..] inside the container */
        HEALTH_TEST_TCP,                /* native: TCP connect to address:port */
        HEALTH_TEST_HTTP,               /* native: HTTP/1.0 GET address:port http_path, 2xx/3xx passes */
        _HEALTH_TEST_TYPE_MAX,
        _HEALTH_TEST_TYPE_INVALID = -EINVAL,
} HealthTestType;

typedef struct HealthConfig {
        HealthTestType type;
        char **argv;                    /* CMD and CMD-SHELL */
        char *address;                  /* TCP/HTTP: IPv4/IPv6 literal; NULL = loopback. Always from the leader's netns */
        uint16_t port;                  /* TCP/HTTP */
        char *http_path;                /* HTTP; NULL = "/" */
        uint64_t interval_usec, timeout_usec, start_period_usec, start_interval_usec;  /* 0 = default */
        unsigned retries;               /* 0 = default */
        /* Where exec probes run: the service's environment ("K=V"), user ("uid[:gid]" or "name[:group]",
         * resolved in the container's /etc/passwd and /etc/group; NULL = root) and working directory. */
        char **environment;
        char *user;
        char *working_dir;
        /* cgroup2 directory the probes run in (created, removed on free). NULL: "probe" beside our own
         * cgroup when that is named "supervisor" (the wrapper's place in the unit), else none.
         * "": none, kill the probe's process group instead. A directory of a cgroup v1 hierarchy
         * (name=systemd) works too: without cgroup.kill its processes are killed one by one. */
        char *probe_cgroup;
} HealthConfig;

void health_config_done(HealthConfig *c);
int health_config_copy(const HealthConfig *c, HealthConfig *ret);
/* Fills type and argv from a Docker test list: ["NONE"], ["CMD", argv...], ["CMD-SHELL", cmd...].
 * 0, or -EINVAL with detail. An empty list means NONE. */
int health_config_set_test(HealthConfig *c, char * const *test, NcError *reterr);
bool health_config_has_check(const HealthConfig *c);
/* health_config_done() and free(). NULL-safe, returns NULL. */
HealthConfig *health_config_free(HealthConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(HealthConfig*, health_config_free);
/* The effective value of each field (defaults applied). */
uint64_t health_config_interval_usec(const HealthConfig *c);
uint64_t health_config_timeout_usec(const HealthConfig *c);
uint64_t health_config_start_period_usec(const HealthConfig *c);
uint64_t health_config_start_interval_usec(const HealthConfig *c);
unsigned health_config_retries(const HealthConfig *c);
/* The unit's TimeoutStartSec: start_period + (retries+1) * (max(interval, start_interval) + timeout)
 * + HEALTH_TIMEOUT_START_MARGIN_USEC, or HEALTH_NO_CHECK_TIMEOUT_START_USEC without a check. */
uint64_t health_config_timeout_start_usec(const HealthConfig *c);

typedef enum HealthStatus {
        HEALTH_STARTING,
        HEALTH_HEALTHY,
        HEALTH_UNHEALTHY,
        _HEALTH_STATUS_MAX,
        _HEALTH_STATUS_INVALID = -EINVAL,
} HealthStatus;

const char *health_status_to_string(HealthStatus s);

/* The pure state machine (moby handleProbeResult). */
typedef struct HealthState {
        HealthStatus status;
        unsigned failing_streak;
        bool ever_healthy;
} HealthState;

#define HEALTH_STATE_INIT ((HealthState) { .status = HEALTH_STARTING })

/* Applies one probe result. @since_start_usec: probe start minus container start. Success gives
 * healthy from any state; a failure while still starting inside the start period does not count;
 * otherwise it grows the streak and @retries consecutive failures give unhealthy. Returns the new
 * status. */
HealthStatus health_state_apply(HealthState *s, const HealthConfig *c, uint64_t since_start_usec,
                                bool success);
/* Delay before the next probe (and before the first): start_interval while starting inside the
 * start period, else interval. */
uint64_t health_state_next_interval_usec(const HealthState *s, const HealthConfig *c,
                                         uint64_t since_start_usec);

typedef struct HealthChecker HealthChecker;

/* What the callback receives after every probe. Pointers are valid during the callback only. */
typedef struct HealthEvent {
        HealthStatus status, previous;
        bool changed;                   /* status != previous */
        bool first_healthy;             /* healthy for the first time: send READY=1 */
        bool in_start_period;           /* the failure did not count */
        unsigned failing_streak, retries;
        int exit_code;                  /* 0 passes; -1: timeout or the probe could not run */
        bool timed_out;
        const char *output;             /* last <= HEALTH_OUTPUT_MAX bytes, NUL-terminated */
        bool output_truncated;
        uint64_t probe_start_usec, probe_end_usec;      /* CLOCK_MONOTONIC */
        uint64_t extend_timeout_usec;   /* while never healthy: EXTEND_TIMEOUT_USEC to send; else 0 */
} HealthEvent;

/* Return < 0 to stop probing (the checker stays allocated; free it). */
typedef int (*HealthCallback)(HealthChecker *c, const HealthEvent *ev, void *userdata);

/* Starts checking the container whose leader is @leader: the first probe runs after
 * health_state_next_interval_usec(). With no check in @cfg, returns 0 and *ret = NULL: the caller is
 * ready at once. -ESRCH if the leader is gone. */
int health_checker_new(sd_event *e, const HealthConfig *cfg, pid_t leader, HealthCallback cb,
                       void *userdata, HealthChecker **ret, NcError *reterr);
/* Kills a running probe and everything it spawned, waits for it, removes the probe cgroup. */
HealthChecker *health_checker_free(HealthChecker *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(HealthChecker*, health_checker_free);

HealthStatus health_checker_get_status(const HealthChecker *c);
/* EXTEND_TIMEOUT_USEC while the service has never been healthy: the time from now within which the
 * checker is sure to reach healthy or unhealthy, plus the margin. 0 once it has been healthy. */
uint64_t health_checker_extend_timeout_usec(HealthChecker *c);
/* Runs the next probe now instead of at its scheduled time (no-op while one runs). */
int health_checker_probe_now(HealthChecker *c);

/* One line for STATUS=: "starting", "starting (2/3 checks failed: …)", "healthy", "unhealthy: …". */
const char *health_event_status_text(const HealthEvent *ev, char *buf, size_t size);
/* The status a health_event_status_text() line reports (its first word); _HEALTH_STATUS_INVALID when
 * @text is empty or is not such a line. */
HealthStatus health_status_from_status_text(const char *text);
