/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/actual.h"
#include "reconcile/bus.h"
#include "reconcile/bus-unit.h"
#include "reconcile/names.h"
#include "reconcile/reconcile.h"

/* stop, start, restart, kill, pause, unpause, rm: docker compose's verbs on a project's containers,
 * here on its services' units, through systemd. A service's "container" is its machine, named P.S.
 *
 * Stop and restart jobs are queued in systemd's "ignore-requirements" mode: the named service alone,
 * its dependents keep running, as with docker compose (bus.h). */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
        interrupted = sig;
}

/* Waits for @jobs. SIGALRM (the timeout) or, when caught, SIGINT/SIGTERM interrupt the wait: then
 * whatever of @units still runs gets SIGKILL, as docker's stop does after its timeout. */
static int wait_or_kill(sd_bus *bus, BusJobs *jobs, char **units, int timeout, bool force_on_signal) {
        struct sigaction sa = { .sa_handler = on_interrupt }, old_alrm, old_int, old_term;
        sigset_t ss;
        int r;

        interrupted = 0;
        (void) sigaction(SIGALRM, &sa, &old_alrm);
        if (force_on_signal) {
                (void) sigaction(SIGINT, &sa, &old_int);
                (void) sigaction(SIGTERM, &sa, &old_term);
                sigemptyset(&ss);
                sigaddset(&ss, SIGINT);
                sigaddset(&ss, SIGTERM);
                (void) sigprocmask(SIG_UNBLOCK, &ss, NULL);
        }
        if (timeout == 0)
                interrupted = SIGALRM;
        else if (timeout > 0)
                alarm((unsigned) timeout);
        for (;;) {
                if (interrupted) {
                        STRV_FOREACH(u, units)
                                (void) bus_unit_kill(bus, *u, "all", SIGKILL, NULL);
                        interrupted = 0;
                }
                r = bus_jobs_wait(jobs);
                if (r != -EINTR)
                        break;
        }
        alarm(0);
        (void) sigaction(SIGALRM, &old_alrm, NULL);
        if (force_on_signal) {
                (void) sigaction(SIGINT, &old_int, NULL);
                (void) sigaction(SIGTERM, &old_term, NULL);
        }
        return r;
}

/* Queues @method for the units of @services that pass @want; progress @doing, then @done or the
 * job's result. */
static int units_jobs(CmdGlobal *g, const CmdUnits *u, char **services, const char *method,
                      bool (*want)(const ActualUnit *a), const char *doing, const char *done, int timeout,
                      bool force_on_signal) {
        _cleanup_(bus_jobs_freep) BusJobs *jobs = NULL;
        _cleanup_strv_free_ char **units = NULL, **machines = NULL;
        int r, ret = 0;

        r = bus_jobs_new(u->bus, &jobs);
        if (r < 0)
                return log_error_errno(r, "Cannot subscribe to systemd: %m");
        STRV_FOREACH(s, services ?: u->services) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_free_ char *unit = NULL, *machine = cmd_machine(u->project, *s);
                const ActualUnit *a = cmd_units_find(u, *s, &unit);

                if (!unit || !machine)
                        return log_oom();
                if (!want(a))
                        continue;
                cmd_progress(g, "Container", machine, doing);
                if (g->dry_run)
                        continue;
                if (streq(method, "StartUnit") || streq(method, "RestartUnit"))
                        (void) bus_reset_failed(u->bus, unit);
                /* as docker compose: stopping or restarting a service leaves its dependents be */
                r = bus_jobs_queue(jobs, method, unit,
                                   streq(method, "StartUnit") ? BUS_JOB_REPLACE : BUS_JOB_IGNORE_REQUIREMENTS,
                                   &error);
                if (r < 0) {
                        ret = log_error_errno(r, "Cannot %s %s: %s", doing, *s, error.message ?: strerror(-r));
                        continue;
                }
                if (strv_extend(&units, unit) < 0 || strv_extend(&machines, machine) < 0)
                        return log_oom();
        }
        r = wait_or_kill(u->bus, jobs, units, timeout, force_on_signal);
        if (r < 0)
                return log_error_errno(r, "Waiting for systemd's jobs: %m");
        for (size_t i = 0; units && units[i]; i++) {
                const char *result = bus_jobs_result(jobs, units[i]);

                if (!result || streq(result, "done"))
                        cmd_progress(g, "Container", machines[i], done);
                else
                        ret = log_error_errno(-EIO, "Container %s: %s failed (job %s); see 'nspawn-compose logs'.",
                                              machines[i], doing, result);
        }
        return ret;
}

static bool want_running(const ActualUnit *a) {
        return a && !streq(a->active_state, "inactive") && !streq(a->active_state, "failed");
}

static bool want_created(const ActualUnit *a) {
        return a;
}

int cmd_units_stop(CmdGlobal *g, const CmdUnits *u, char **services, int timeout, bool force_on_signal) {
        return units_jobs(g, u, services, "StopUnit", want_running, "Stopping", "Stopped", timeout, force_on_signal);
}

const CmdOption cmd_stop_options[] = {
        { "timeout", 't', "N", 't', "Shutdown timeout in seconds (default: the service's stop_grace_period)" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

typedef struct UnitsArgs {
        int timeout;
        int signo;
        bool force, stop, volumes;
} UnitsArgs;

static int parse_units_option(int id, const char *arg, void *userdata) {
        UnitsArgs *a = userdata;

        switch (id) {
        case 't':
                return cmd_parse_int(id, arg, &a->timeout);
        case 's': {
                const char *n = strncasecmp(arg, "SIG", 3) == 0 ? arg + 3 : arg;
                char *end;
                long v = strtol(arg, &end, 10);

                if (!*end && v > 0 && v < NSIG) {
                        a->signo = (int) v;
                        return 0;
                }
                for (int i = 1; i < NSIG; i++)
                        if (sigabbrev_np(i) && strcasecmp(sigabbrev_np(i), n) == 0) {
                                a->signo = i;
                                return 0;
                        }
                return log_error("invalid signal: %s", arg), -EINVAL;
        }
        case 'f':
                a->force = true;
                return 0;
        case 'S':
                a->stop = true;
                return 0;
        case 'v':
                a->volumes = true;
                return 0;
        }
        return 0;
}

/* Parses the options, opens the units: -1 to go on, else the exit code. */
static int units_begin(int argc, char *argv[], CmdGlobal *g, UnitsArgs *a, CmdUnits *u) {
        int r;

        r = cmd_parse(argc, argv, g, parse_units_option, a);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (cmd_units_open(g, argv + optind, u) < 0)
                return CMD_EXIT_ERROR;
        return -1;
}

#define UNITS_BEGIN(a, u)                                               \
        do {                                                            \
                int _e = units_begin(argc, argv, g, (a), (u));          \
                if (_e >= 0)                                            \
                        return _e;                                      \
        } while (0)

int cmd_stop(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(cmd_units_done) CmdUnits u = {};
        UnitsArgs a = { .timeout = -1 };

        UNITS_BEGIN(&a, &u);
        return cmd_units_stop(g, &u, NULL, a.timeout, false) < 0 ? CMD_EXIT_ERROR : 0;
}

const CmdOption cmd_start_options[] = {
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

int cmd_start(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(cmd_units_done) CmdUnits u = {};
        UnitsArgs a = { .timeout = -1 };

        UNITS_BEGIN(&a, &u);
        STRV_FOREACH(s, u.services)
                if (!cmd_units_find(&u, *s, NULL))
                        return log_error("service \"%s\" has no container to start", *s), CMD_EXIT_ERROR;
        return units_jobs(g, &u, NULL, "StartUnit", want_created, "Starting", "Started", -1, false) < 0 ?
                CMD_EXIT_ERROR : 0;
}

const CmdOption cmd_restart_options[] = {
        { "timeout", 't', "N", 't', "Shutdown timeout in seconds (default: the service's stop_grace_period)" },
        { "no-deps", 0,   NULL, 'D', "Accepted: restart never restarts dependents here" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

int cmd_restart(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(cmd_units_done) CmdUnits u = {};
        UnitsArgs a = { .timeout = -1 };

        UNITS_BEGIN(&a, &u);
        return units_jobs(g, &u, NULL, "RestartUnit", want_created, "Restarting", "Started", a.timeout, false) < 0 ?
                CMD_EXIT_ERROR : 0;
}

const CmdOption cmd_kill_options[] = {
        { "signal",         's', "SIGNAL", 's', "Signal to send to the service's processes (default SIGKILL)" },
        { "remove-orphans", 0,   NULL,     'O', "Accepted; kill never touches services not in the file" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

/* kill, pause, unpause: one call per running service, no job. */
typedef enum UnitCall {
        UNIT_KILL,
        UNIT_FREEZE,
        UNIT_THAW,
} UnitCall;

static int units_call(CmdGlobal *g, const CmdUnits *u, UnitCall call, int signo) {
        static const char *const doing[] = { "Killing", "Pausing", "Unpausing" };
        static const char *const done[] = { "Killed", "Paused", "Unpaused" };
        static const char *const verb[] = { "kill", "pause", "unpause" };
        int ret = 0;

        STRV_FOREACH(s, u->services) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_free_ char *unit = NULL, *machine = cmd_machine(u->project, *s);
                const ActualUnit *au = cmd_units_find(u, *s, &unit);
                int r;

                if (!unit || !machine)
                        return log_oom();
                if (call == UNIT_KILL ? !actual_unit_running(au) : !au || !streq(au->active_state, "active"))
                        continue;
                cmd_progress(g, "Container", machine, doing[call]);
                if (g->dry_run)
                        continue;
                /* pause: systemd's freezer (cgroup v2's cgroup.freeze) on the whole unit */
                r = call == UNIT_KILL ? bus_unit_kill(u->bus, unit, "all", signo, &error) :
                                        bus_unit_freeze(u->bus, unit, call == UNIT_FREEZE, &error);
                if (r < 0) {
                        ret = log_error_errno(r, "Cannot %s %s: %s", verb[call], *s, error.message ?: strerror(-r));
                        continue;
                }
                cmd_progress(g, "Container", machine, done[call]);
        }
        return ret;
}

int cmd_kill(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(cmd_units_done) CmdUnits u = {};
        UnitsArgs a = { .signo = SIGKILL };

        UNITS_BEGIN(&a, &u);
        return units_call(g, &u, UNIT_KILL, a.signo) < 0 ? CMD_EXIT_ERROR : 0;
}

const CmdOption cmd_pause_options[] = {
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

static int pause_units(int argc, char *argv[], CmdGlobal *g, bool freeze) {
        _cleanup_(cmd_units_done) CmdUnits u = {};
        UnitsArgs a = {};

        UNITS_BEGIN(&a, &u);
        return units_call(g, &u, freeze ? UNIT_FREEZE : UNIT_THAW, 0) < 0 ? CMD_EXIT_ERROR : 0;
}

int cmd_pause(int argc, char *argv[], CmdGlobal *g) {
        return pause_units(argc, argv, g, true);
}

int cmd_unpause(int argc, char *argv[], CmdGlobal *g) {
        return pause_units(argc, argv, g, false);
}

const CmdOption cmd_rm_options[] = {
        { "force",   'f', NULL, 'f', "Don't ask to confirm removal" },
        { "stop",    's', NULL, 'S', "Stop the services, if required, before removing" },
        { "volumes", 'v', NULL, 'v', "Accepted: anonymous volumes always go with the machine's layer" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

/* A service has a "container" when it has state of its own (writable layer, runtime directory). */
static bool has_state(const ComposeProject *p, const char *service) {
        _cleanup_free_ char *state = name_state_dir(p->name, service), *run = name_runtime_dir(p->name, service);

        return (state && access(state, F_OK) >= 0) || (run && access(run, F_OK) >= 0);
}

static bool confirm(const char *question) {
        char line[16] = "";

        fprintf(stderr, "? %s [y/N] ", question);
        fflush(stderr);
        if (!fgets(line, sizeof line, stdin))
                return false;
        return line[0] == 'y' || line[0] == 'Y';
}

int cmd_rm(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(cmd_units_done) CmdUnits u = {};
        _cleanup_(reconcile_freep) Reconcile *c = NULL;
        _cleanup_strv_free_ char **gone = NULL, **machines = NULL;
        ReconcileOptions o = { .for_down = true };
        UnitsArgs a = {};
        NcError err = {};
        int r;

        UNITS_BEGIN(&a, &u);
        o.runtime = g->runtime;
        if (a.stop && cmd_units_stop(g, &u, NULL, -1, false) < 0)
                return CMD_EXIT_ERROR;
        STRV_FOREACH(s, u.services) {
                _cleanup_free_ char *unit = NULL;
                const ActualUnit *au = cmd_units_find(&u, *s, &unit);

                if (!a.stop && au && actual_unit_running(au))
                        continue;       /* docker compose rm leaves running containers */
                if (!has_state(u.project, *s))
                        continue;
                if (strv_extend(&gone, *s) < 0 || strv_consume(&machines, cmd_machine(u.project, *s)) < 0)
                        return log_oom(), CMD_EXIT_ERROR;
        }
        if (!gone) {
                fprintf(stderr, "No stopped containers\n");
                return 0;
        }
        _cleanup_free_ char *list = strv_join(machines, ", ");
        if (!list)
                return log_oom(), CMD_EXIT_ERROR;
        fprintf(stderr, "Going to remove %s\n", list);
        if (g->dry_run)
                return 0;
        if (!a.force && !confirm("Are you sure?"))
                return 0;
        r = reconcile_new(u.project, &o, &c, &err);
        if (r < 0)
                return cmd_log_error(r, &err), CMD_EXIT_ERROR;
        for (size_t i = 0; gone[i]; i++) {
                cmd_progress(g, "Container", machines[i], "Removing");
                err = (NcError) {};
                r = reconcile_remove_service(c, gone[i], &err);
                if (r < 0)
                        return cmd_log_error(r, &err), CMD_EXIT_ERROR;
                cmd_progress(g, "Container", machines[i], "Removed");
        }
        return 0;
}
