/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "reconcile/compose/compose.h"

/* Exit codes, as docker compose's: 1 for an error, 16 for a command line it cannot parse (an
 * unknown flag, a missing or malformed flag value), 130 when interrupted. */
#define CMD_EXIT_ERROR 1
#define CMD_EXIT_USAGE 16
#define CMD_EXIT_CANCELED 130

typedef enum CmdAnsi {                 /* in --ansi's order */
        CMD_ANSI_NEVER,
        CMD_ANSI_ALWAYS,
        CMD_ANSI_AUTO,
} CmdAnsi;

typedef struct CmdVerb CmdVerb;

/* Global options, parsed by main.c before the verb. */
typedef struct CmdGlobal {
        ComposeOptions compose;         /* -f, -p, --project-directory, --env-file, --profile */
        const CmdVerb *verb;            /* the verb running, for cmd_parse() and its --help */
        bool dry_run;                   /* --dry-run, before or after the verb */
        bool runtime;                   /* --runtime: units and settings under /run */
        CmdAnsi ansi;
        const char *progress;           /* auto, tty, plain, quiet */
        int parallel;                   /* accepted; systemd runs the jobs in parallel */
} CmdGlobal;

/* Each verb gets its own argv (argv[0] is the verb name) and returns an exit code (above; plan
 * also 2 = drift). Verbs log errors themselves. */
typedef int (*CmdFunc)(int argc, char *argv[], CmdGlobal *g);

/* One option of a verb: what getopt_long() parses, what --help prints, what completions offer.
 * A table ends with an entry whose name is NULL. */
typedef struct CmdOption {
        const char *name;               /* the long name */
        char short_name;                /* 0: none */
        const char *arg;                /* what it takes ("N", "SIGNAL", "never|always|auto"); NULL: a flag */
        int id;                         /* what cmd_parse() hands the verb: the short name or an id >= 0x100 */
        const char *help;
} CmdOption;

/* Options every verb that takes them shares; cmd_parse() handles them itself. */
enum {
        CMD_OPT_DRY_RUN = 0x80,
        CMD_OPT_RUNTIME,
        CMD_OPT_HELP = 'h',
};
#define CMD_OPTION_HELP    { "help",    'h', NULL, CMD_OPT_HELP,    "Show this help" }
#define CMD_OPTION_DRY_RUN { "dry-run", 0,   NULL, CMD_OPT_DRY_RUN, "Show what would be done, change nothing" }
#define CMD_OPTION_RUNTIME { "runtime", 0,   NULL, CMD_OPT_RUNTIME, "Units and settings under /run (gone at reboot)" }

struct CmdVerb {
        const char *name;
        CmdFunc func;
        const char *args;               /* "[SERVICE...]" in the usage line */
        const char *summary;            /* NULL: internal, not listed */
        const CmdOption *options;       /* NULL: the verb parses its own */
        bool options_end_at_args;       /* exec: the command's options are its own */
        bool host_replicas;             /* acts on the machines there are: a service's replicas are
                                         * those on the host (after up --scale), not the file's */
};

extern const CmdVerb cmd_verbs[];
extern const size_t cmd_n_verbs;
extern const CmdOption cmd_global_options[];

/* Hands each option of g->verb (NULL: the global ones) to @f (its id and argument); @f returns < 0
 * after logging why the value is wrong, > 0 when the command is done (--version). 1: go on, the arguments start at optind; 0: --help was printed or @f was done; -EINVAL: a usage
 * error, logged as docker compose words it ("unknown flag: --foo"). */
typedef int (*CmdOptionFunc)(int id, const char *arg, void *userdata);
int cmd_parse(int argc, char *argv[], CmdGlobal *g, CmdOptionFunc f, void *userdata);
/* The exit code for cmd_parse()'s result when it is not 1. */
static inline int cmd_parse_exit(int r) {
        return r < 0 ? CMD_EXIT_USAGE : 0;
}
/* An integer flag value; logs 'invalid argument "x" for "-t, --timeout" flag' (docker's) and
 * returns -EINVAL. */
int cmd_parse_int(int id, const char *arg, int *ret);
/* A value out of @choices (NULL-terminated; NULL: the option's own arg, "a|b|c"); its index, or
 * -EINVAL logged. */
int cmd_parse_choice(int id, const char *arg, const char * const *choices);
/* --format's value out of the option's own choices; *ret_json tells whether it is "json". */
int cmd_parse_format(int id, const char *arg, bool *ret_json);
/* --index N: 1 is the only container a service has. */
int cmd_parse_index(int id, const char *arg);

/* What exec and run take alike for the command they run: -d, -e K[=V] (repeatable), -u, -w, each
 * option's id its short letter. */
typedef struct CmdCommandArgs {
        char **env;
        const char *user, *workdir;
        bool detach;
} CmdCommandArgs;
/* 1 when @id is one of those (and taken), 0 when it is not, -errno (logged). */
int cmd_parse_command_option(int id, const char *arg, CmdCommandArgs *a);
void cmd_command_args_done(CmdCommandArgs *a);
void cmd_help(const CmdVerb *v);
/* Whether to color stdout (--ansi, NO_COLOR, a terminal). */
bool cmd_color(const CmdGlobal *g);
/* A byte count as docker prints one (go-units): binary "1.5GiB" (%.4g) or decimal "1.98MB" (%.3g). */
void cmd_human_size(char *buf, size_t size, uint64_t v, bool binary);
/* A progress line on stderr, as docker compose's "plain" progress ("Container p.web  Stopped");
 * nothing with --progress quiet. */
void cmd_progress(const CmdGlobal *g, const char *what, const char *name, const char *state);

/* Logs a library error: the detail @err recorded (file:line:column: message), else strerror(-r).
 * Returns @r. */
int cmd_log_error(int r, const NcError *err);

/* Loads the project from the global options; logs the error (file:line:column) and warnings. */
int cmd_load_project(CmdGlobal *g, ComposeProject **ret);
/* A service of the file, or replica N > 1 of one ("S-N", N up to its replicas). */
bool cmd_service_known(const ComposeProject *p, const char *name);
/* Sets each service's replica count (scale:) in @p's model to the number of its machines whose
 * units are installed, for the services that have any: what `up --scale` made, as the verbs that
 * act on the machines there are see it. */
int cmd_host_replicas(const CmdGlobal *g, ComposeProject *p);
/* @services (NULL: every service of @p) checked against @p: "no such service: x" logged, -ENOENT.
 * *ret is a new list, each compose service followed by its replicas beyond the first. */
int cmd_services(const ComposeProject *p, char * const *services, char ***ret);

int cmd_config(int argc, char *argv[], CmdGlobal *g);
int cmd_plan(int argc, char *argv[], CmdGlobal *g);
int cmd_apply(int argc, char *argv[], CmdGlobal *g);
int cmd_up(int argc, char *argv[], CmdGlobal *g);
int cmd_create(int argc, char *argv[], CmdGlobal *g);
int cmd_down(int argc, char *argv[], CmdGlobal *g);
int cmd_ps(int argc, char *argv[], CmdGlobal *g);
int cmd_ls(int argc, char *argv[], CmdGlobal *g);
int cmd_logs(int argc, char *argv[], CmdGlobal *g);
int cmd_exec(int argc, char *argv[], CmdGlobal *g);
int cmd_render(int argc, char *argv[], CmdGlobal *g);
int cmd_pull(int argc, char *argv[], CmdGlobal *g);
int cmd_build(int argc, char *argv[], CmdGlobal *g);
int cmd_run_service(int argc, char *argv[], CmdGlobal *g);
int cmd_net_up(int argc, char *argv[], CmdGlobal *g);
int cmd_net_down(int argc, char *argv[], CmdGlobal *g);
int cmd_supervise(int argc, char *argv[], CmdGlobal *g);
int cmd_stop(int argc, char *argv[], CmdGlobal *g);
int cmd_start(int argc, char *argv[], CmdGlobal *g);
int cmd_restart(int argc, char *argv[], CmdGlobal *g);
int cmd_kill(int argc, char *argv[], CmdGlobal *g);
int cmd_pause(int argc, char *argv[], CmdGlobal *g);
int cmd_unpause(int argc, char *argv[], CmdGlobal *g);
int cmd_rm(int argc, char *argv[], CmdGlobal *g);
int cmd_wait(int argc, char *argv[], CmdGlobal *g);
int cmd_top(int argc, char *argv[], CmdGlobal *g);
int cmd_port(int argc, char *argv[], CmdGlobal *g);
int cmd_images(int argc, char *argv[], CmdGlobal *g);
int cmd_version(int argc, char *argv[], CmdGlobal *g);
int cmd_gen(int argc, char *argv[], CmdGlobal *g);
int cmd_cp(int argc, char *argv[], CmdGlobal *g);
int cmd_stats(int argc, char *argv[], CmdGlobal *g);
int cmd_events(int argc, char *argv[], CmdGlobal *g);
int cmd_run(int argc, char *argv[], CmdGlobal *g);
int cmd_run_remove(int argc, char *argv[], CmdGlobal *g);
int cmd_history(int argc, char *argv[], CmdGlobal *g);
int cmd_auto_update(int argc, char *argv[], CmdGlobal *g);
int cmd_image(int argc, char *argv[], CmdGlobal *g);
int cmd_export(int argc, char *argv[], CmdGlobal *g);
int cmd_rollback(int argc, char *argv[], CmdGlobal *g);
typedef struct Generation Generation;
/* Converges @services (NULL: all) of @project to generation @gen with its images (no pull):
 * apply --rollback and rollback. Services @gen does not have stay as they are, but those in
 * @added (what a failed apply added) go. The number of changes, or -errno (logged). */
int cmd_rollback_services(CmdGlobal *g, const char *project, const Generation *gen, char **services, char **added);

/* The option tables of the verbs (in their files). */
extern const CmdOption cmd_plan_options[], cmd_apply_options[], cmd_up_options[], cmd_create_options[],
        cmd_down_options[], cmd_ps_options[], cmd_ls_options[], cmd_logs_options[], cmd_exec_options[],
        cmd_render_options[], cmd_stop_options[], cmd_start_options[], cmd_restart_options[],
        cmd_kill_options[], cmd_pause_options[], cmd_rm_options[], cmd_wait_options[], cmd_top_options[],
        cmd_port_options[], cmd_images_options[], cmd_version_options[], cmd_supervise_options[],
        cmd_cp_options[], cmd_stats_options[], cmd_events_options[], cmd_run_options[],
        cmd_history_options[], cmd_rollback_options[], cmd_auto_update_options[], cmd_export_options[];
extern const CmdOption cmd_build_options[];

/* logs, and up without -d: the journal of @services (NULL: all) of @p, "web | line" as docker
 * compose prints it. */
typedef struct CmdLogs {
        char **services;
        bool follow, timestamps, no_prefix, color;
        long tail;                      /* -1: all */
        uint64_t since, until;          /* CLOCK_REALTIME µs; 0: none */
        int signal_fd;                  /* follow until a signal arrives on it (up); -1: none */
        /* follow until this returns true (checked once a second); NULL: forever */
        bool (*done)(void *userdata);
        void *userdata;
} CmdLogs;
/* 0 when done, the signal's number when one came, or -errno (logged). */
int cmd_logs_show(const ComposeProject *p, const CmdLogs *o);

/* The units of a project's services, for the verbs that act on them (stop, start, kill, …). */
typedef struct ActualState ActualState;
typedef struct ActualUnit ActualUnit;
typedef struct sd_bus sd_bus;
typedef struct CmdUnits {
        ComposeProject *project;
        sd_bus *bus;
        ActualState *actual;
        char **services;                /* the ones named, checked; all when none were */
} CmdUnits;
/* Loads the project, checks @args (service names; empty: all), connects to systemd, reads the
 * units. Logs errors. */
int cmd_units_open(CmdGlobal *g, char **args, CmdUnits *ret);
void cmd_units_done(CmdUnits *u);
/* The unit of @service (new string in *ret_name when not NULL) as systemd has it, NULL when
 * systemd knows none. */
const ActualUnit *cmd_units_find(const CmdUnits *u, const char *service, char **ret_name);
/* Stops @services (NULL: u->services), SIGKILLs what still runs after @timeout seconds (< 0: the
 * unit's own TimeoutStopSec=, from stop_grace_period) or, with @force_on_signal, on SIGINT/SIGTERM
 * (up's second Ctrl+C). Progress lines as docker's. 0 or -errno (logged). */
int cmd_units_stop(CmdGlobal *g, const CmdUnits *u, char **services, int timeout, bool force_on_signal);
/* "P.S", the machine (docker's container name); NULL on OOM. */
char *cmd_machine(const ComposeProject *p, const char *service);

/* apply, up, create: converge (cmd-plan.c). */
#include "reconcile/reconcile.h"

/* ImagePullOptions.on_pulled (userdata: the CmdGlobal): "Image REF  Pulled (3 layers, 1.2 MiB in
 * 0.4s, 2.9 MiB/s)". */
void cmd_print_pulled(const ImagePullStats *st, void *userdata);
/* S.json of @service as apply installed it (/etc, else /run for --runtime): root's, 0600, trusted.
 * -ENOENT (logged) when there is none. */
int cmd_load_settings(const char *project, const char *service, ServiceSpec **ret);
/* Whether S.json of @service is installed (true on OOM: the caller then loads it and fails). */
bool cmd_settings_installed(const char *project, const char *service);
/* Whether skopeo's progress goes to stderr: not with --progress quiet. */
bool cmd_pull_progress(const CmdGlobal *g);

typedef struct CmdApply {
        ReconcileSelect select;
        int pull;                       /* ImagePullPolicy */
        bool json;                      /* the plan as JSON */
        const char *ci_format;          /* plan: "junit" | "github" | NULL */
        char **scale;                   /* up --scale: "SERVICE=N" over the file's scale/replicas */
        bool progress;                  /* up: docker's progress lines instead of the plan */
        bool quiet_pull;                /* up --quiet-pull: pulls print nothing */
        int wait_timeout;               /* seconds to wait for the services at most; <= 0: no bound */
        bool rollback;                  /* apply --rollback: services that fail go back to the last
                                         * generation (also deploy.update_config.failure_action) */
        char **digests;                 /* "image\ndigest" taken instead of the store's refs */
        /* called once the apply converged, with the project's lock still held: auto-update records
         * the references it pulled there, so that no other apply sees them before they worked */
        int (*on_applied)(void *userdata);
        void *userdata;
        char ***ret_failed;             /* if not NULL: the services that did not reach their state */
} CmdApply;
/* Loads the project and converges it as @a asks; *ret_project for the caller to go on with.
 * 0, or -errno (logged). */
int cmd_apply_project(CmdGlobal *g, const CmdApply *a, ComposeProject **ret_project);
int cmd_secret(int argc, char *argv[], CmdGlobal *g);
