/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <time.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/time-util.h"
#include "reconcile/actual.h"
#include "reconcile/bus-unit.h"
#include "reconcile/runtime/runtime.h"

/* up [-d] [SERVICE...]: converge as apply does (cmd_apply_project()), narrowed to SERVICE... and
 * their dependencies; without -d, follow their logs as logs -f does until they have all stopped or
 * SIGINT/SIGTERM comes, then stop them ("Gracefully stopping...") and exit 130, as docker compose.
 * create: the same, starting nothing. */

enum {
        ARG_WAIT = 0x100,
        ARG_WAIT_TIMEOUT,
        ARG_FORCE_RECREATE,
        ARG_NO_RECREATE,
        ARG_NO_DEPS,
        ARG_REMOVE_ORPHANS,
        ARG_PULL,
        ARG_NO_START,
        ARG_NO_COLOR,
        ARG_NO_LOG_PREFIX,
        ARG_TIMESTAMPS,
        ARG_QUIET_PULL,
        ARG_NO_BUILD,
        ARG_SCALE,
};

#define UP_COMMON_OPTIONS                                                                                       \
        { "force-recreate", 0, NULL, ARG_FORCE_RECREATE, "Recreate services even if their configuration and image haven't changed" }, \
        { "no-recreate",    0, NULL, ARG_NO_RECREATE,    "If services already run, don't recreate them" },      \
        { "pull",           0, "always|missing|never", ARG_PULL, "Pull images before running (default missing)" }, \
        { "quiet-pull",     0, NULL, ARG_QUIET_PULL,     "Pull without printing progress information" },        \
        { "remove-orphans", 0, NULL, ARG_REMOVE_ORPHANS, "Remove services not defined in the compose file" },   \
        { "no-build",       0, NULL, ARG_NO_BUILD,       "Accepted: nothing is built here" },                   \
        { "scale",          0, "SERVICE=NUM", ARG_SCALE, "Scale SERVICE to NUM instances; overrides scale: in the compose file" }, \
        CMD_OPTION_DRY_RUN,                                                                                     \
        CMD_OPTION_RUNTIME,                                                                                     \
        CMD_OPTION_HELP

const CmdOption cmd_up_options[] = {
        { "detach",         'd', NULL, 'd',              "Detached mode: run the services in the background" },
        { "wait",           0,   NULL, ARG_WAIT,         "Wait for the services to be running|healthy; implies -d" },
        { "wait-timeout",   0,   "N",  ARG_WAIT_TIMEOUT, "Seconds to wait for the project to be running|healthy" },
        { "no-deps",        0,   NULL, ARG_NO_DEPS,      "Don't start linked services" },
        { "no-start",       0,   NULL, ARG_NO_START,     "Don't start the services after creating them" },
        { "timeout",        't', "N",  't',              "Shutdown timeout in seconds, when attached" },
        { "no-color",       0,   NULL, ARG_NO_COLOR,     "Produce monochrome output" },
        { "no-log-prefix",  0,   NULL, ARG_NO_LOG_PREFIX, "Don't print prefix in logs" },
        { "timestamps",     0,   NULL, ARG_TIMESTAMPS,   "Show timestamps" },
        UP_COMMON_OPTIONS,
        {}
};

const CmdOption cmd_create_options[] = {
        UP_COMMON_OPTIONS,
        {}
};

typedef struct UpArgs {
        CmdApply apply;
        CmdLogs logs;
        bool detach;
        int timeout;
} UpArgs;

static int parse_up_option(int id, const char *arg, void *userdata) {
        UpArgs *a = userdata;

        switch (id) {
        case 'd':
        case ARG_WAIT:
                a->detach = true;
                return 0;
        case ARG_WAIT_TIMEOUT:
                return cmd_parse_int(id, arg, &a->apply.wait_timeout);
        case ARG_FORCE_RECREATE:
                a->apply.select.force_recreate = true;
                return 0;
        case ARG_NO_RECREATE:
                a->apply.select.no_recreate = true;
                return 0;
        case ARG_NO_DEPS:
                a->apply.select.no_deps = true;
                return 0;
        case ARG_NO_START:
                a->apply.select.no_start = true;
                return 0;
        case ARG_REMOVE_ORPHANS:
                a->apply.select.keep_orphans = false;
                return 0;
        case ARG_PULL:
                a->apply.pull = image_pull_policy_from_string(arg);
                if (a->apply.pull < 0)
                        return log_error("invalid --pull value \"%s\": expected always, missing or never", arg),
                                -EINVAL;
                return 0;
        case ARG_SCALE:
                return strv_extend(&a->apply.scale, arg) < 0 ? log_oom() : 0;
        case ARG_QUIET_PULL:
                a->apply.quiet_pull = true;
                return 0;
        case 't':
                return cmd_parse_int(id, arg, &a->timeout);
        case ARG_NO_COLOR:
                a->logs.color = false;
                return 0;
        case ARG_NO_LOG_PREFIX:
                a->logs.no_prefix = true;
                return 0;
        case ARG_TIMESTAMPS:
                a->logs.timestamps = true;
                return 0;
        }
        return 0;
}

static void up_args_done(UpArgs *a) {
        a->apply.scale = strv_free(a->apply.scale);
}

static int up_parse(int argc, char *argv[], CmdGlobal *g, UpArgs *a) {
        int r;

        *a = (UpArgs) {
                .apply = { .pull = IMAGE_PULL_MISSING, .progress = true, .select.keep_orphans = true },
                .logs = { .tail = -1, .signal_fd = -1, .color = g->ansi == CMD_ANSI_ALWAYS, .follow = true },
                .timeout = -1,
        };
        r = cmd_parse(argc, argv, g, parse_up_option, a);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (a->apply.select.force_recreate && a->apply.select.no_recreate)
                return log_error("--force-recreate and --no-recreate are incompatible"), CMD_EXIT_ERROR;
        if (optind < argc)
                a->apply.select.services = argv + optind;
        return -1;
}

/* Whether every followed service has stopped; says which exited, as docker's "web exited with code 0". */
typedef struct UpFollow {
        CmdUnits *units;
        char **exited;
} UpFollow;

static bool all_exited(void *userdata) {
        UpFollow *f = userdata;
        bool all = true;

        STRV_FOREACH(s, f->units->services) {
                _cleanup_free_ char *unit = NULL, *active = NULL, *sub = NULL;
                int32_t status = 0;

                (void) cmd_units_find(f->units, *s, &unit);
                if (!unit || bus_unit_get_string(f->units->bus, unit, SYSTEMD_UNIT_IFACE, "ActiveState", &active) < 0 ||
                    bus_unit_get_string(f->units->bus, unit, SYSTEMD_UNIT_IFACE, "SubState", &sub) < 0) {
                        all = false;
                        continue;
                }
                if (!(streq(active, "inactive") || streq(active, "failed") || streq(sub, "exited"))) {
                        all = false;
                        continue;
                }
                if (strv_contains(f->exited, *s))
                        continue;
                (void) bus_unit_get_int(f->units->bus, unit, SYSTEMD_SERVICE_IFACE, "ExecMainStatus", &status);
                printf("%s exited with code %d\n", *s, (int) status);
                (void) strv_extend(&f->exited, *s);
        }
        return all;
}

/* Attached: follow the logs; on a signal stop the services, exit 130. */
static int up_attached(CmdGlobal *g, UpArgs *a, uint64_t since) {
        _cleanup_(cmd_units_done) CmdUnits u = {};
        _cleanup_close_ int sfd = -EBADF;
        _cleanup_free_ char *names = NULL;
        UpFollow follow = {};
        sigset_t ss;
        int r;

        if (cmd_units_open(g, a->apply.select.services, &u) < 0)
                return CMD_EXIT_ERROR;
        names = strv_join(u.services, ", ");
        if (!names)
                return log_oom(), CMD_EXIT_ERROR;
        sigemptyset(&ss);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0 || (sfd = signalfd(-1, &ss, SFD_CLOEXEC)) < 0)
                return log_error_errno(-errno, "Cannot catch signals: %m"), CMD_EXIT_ERROR;
        printf("Attaching to %s\n", names);
        follow.units = &u;
        a->logs.services = u.services;
        a->logs.since = since;
        a->logs.signal_fd = sfd;
        a->logs.done = all_exited;
        a->logs.userdata = &follow;
        r = cmd_logs_show(u.project, &a->logs);
        strv_free(follow.exited);
        if (r < 0)
                return CMD_EXIT_ERROR;
        if (r == 0)
                return 0;       /* every service exited by itself */
        printf("Gracefully stopping... (press Ctrl+C again to force)\n");
        fflush(stdout);
        r = cmd_units_stop(g, &u, NULL, a->timeout, /* force_on_signal= */ true);
        return r < 0 ? CMD_EXIT_ERROR : CMD_EXIT_CANCELED;
}

int cmd_up(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(up_args_done) UpArgs a = {};
        struct timespec now;
        uint64_t since;
        int r;

        r = up_parse(argc, argv, g, &a);
        if (r >= 0)
                return r;
        clock_gettime(CLOCK_REALTIME, &now);
        since = (uint64_t) now.tv_sec * USEC_PER_SEC + (uint64_t) now.tv_nsec / 1000;
        if (cmd_apply_project(g, &a.apply, NULL) < 0)
                return CMD_EXIT_ERROR;
        if (a.detach || a.apply.select.no_start || g->dry_run)
                return 0;
        return up_attached(g, &a, since);
}

int cmd_create(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(up_args_done) UpArgs a = {};
        int r;

        r = up_parse(argc, argv, g, &a);
        if (r >= 0)
                return r;
        a.apply.select.no_start = true;
        return cmd_apply_project(g, &a.apply, NULL) < 0 ? CMD_EXIT_ERROR : 0;
}
