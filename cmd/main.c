/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"

extern char **environ;

/* The verbs, with the names, meaning and options of docker compose's where it has them. */
const CmdVerb cmd_verbs[] = {
        { "up",      cmd_up,      "[SERVICE...]", "Create and start the services (then follow their logs without -d)", cmd_up_options },
        { "down",    cmd_down,    NULL,           "Stop and remove everything of the project", cmd_down_options },
        { "create",  cmd_create,  "[SERVICE...]", "Create the services' units and state without starting them", cmd_create_options },
        { "start",   cmd_start,   "[SERVICE...]", "Start services", cmd_start_options, false, true },
        { "stop",    cmd_stop,    "[SERVICE...]", "Stop services", cmd_stop_options, false, true },
        { "restart", cmd_restart, "[SERVICE...]", "Restart services", cmd_restart_options, false, true },
        { "kill",    cmd_kill,    "[SERVICE...]", "Send a signal to the services' processes (default SIGKILL)", cmd_kill_options, false, true },
        { "pause",   cmd_pause,   "[SERVICE...]", "Pause services (freeze their cgroups)", cmd_pause_options, false, true },
        { "unpause", cmd_unpause, "[SERVICE...]", "Unpause services", cmd_pause_options, false, true },
        { "rm",      cmd_rm,      "[SERVICE...]", "Remove stopped services' machines and state", cmd_rm_options, false, true },
        { "ps",      cmd_ps,      "[SERVICE...]", "List the project's services", cmd_ps_options, false, true },
        { "ls",      cmd_ls,      NULL,           "List the compose projects on this host", cmd_ls_options },
        { "logs",    cmd_logs,    "[SERVICE...]", "View the services' output", cmd_logs_options, false, true },
        { "exec",    cmd_exec,    "SERVICE COMMAND [ARGS...]", "Run a command inside a service's machine", cmd_exec_options, true, true },
        { "cp",      cmd_cp,      "SERVICE:SRC_PATH DEST_PATH | SRC_PATH SERVICE:DEST_PATH", "Copy files/folders between a service's machine and the local filesystem", cmd_cp_options, false, true },
        { "events",  cmd_events,  "[SERVICE...]", "Receive real time events from the services' machines", cmd_events_options, false, true },
        { "run",     cmd_run,     "SERVICE [COMMAND] [ARGS...]", "Run a one-off command on a service (a machine of its own)", cmd_run_options, true },
        { "port",    cmd_port,    "SERVICE PRIVATE_PORT", "Print the public port for a port binding", cmd_port_options, false, true },
        { "stats",   cmd_stats,   "[SERVICE...]", "Display a live stream of the services' resource usage statistics", cmd_stats_options, false, true },
        { "top",     cmd_top,     "[SERVICE...]", "Display the running processes", cmd_top_options, false, true },
        { "images",  cmd_images,  "[SERVICE...]", "List the images the services use", cmd_images_options, false, true },
        { "wait",    cmd_wait,    "SERVICE...",   "Block until the services stop, exit with the first one's code", cmd_wait_options, false, true },
        { "pull",    cmd_pull,    "[SERVICE...]", "Pull the services' images into the image store", NULL },
        { "build",   cmd_build,   "[SERVICE...]", "Build the services' images (build:) into the image store", cmd_build_options },
        { "config",  cmd_config,  NULL,           "Print the resolved compose model", NULL },
        { "export",  cmd_export,  "SERVICE",      "Export a service's filesystem as a tar archive", cmd_export_options, false, true },
        { "image",   cmd_image,   "ls|rm|prune",  "Manage the image store: what it holds and what uses it", NULL },
        { "secret",  cmd_secret,  "create|ls|rm", "Manage credentials for external secrets and configs", NULL },
        { "version", cmd_version, NULL,           "Show the nspawn-compose version information", cmd_version_options },
        { "plan",    cmd_plan,    NULL,           "Show what apply would change (exit 2 on drift)", cmd_plan_options },
        { "apply",   cmd_apply,   NULL,           "Converge the host to the compose file", cmd_apply_options },
        { "history", cmd_history, NULL,           "List the generations apply recorded", cmd_history_options },
        { "rollback", cmd_rollback, NULL,         "Converge to an earlier generation again", cmd_rollback_options },
        { "auto-update", cmd_auto_update, NULL,   "Pull the images of services labelled io.containers.autoupdate=registry; apply, rolling back what fails", cmd_auto_update_options },
        { "render",  cmd_render,  "DIR",          "Write the files apply installs below a directory", cmd_render_options },
        { "supervise", cmd_supervise, NULL,       "Keep converging (a Type=notify service)", cmd_supervise_options },
        { "net-up",   cmd_net_up,   NULL, NULL, NULL },         /* the network unit's ExecStart= */
        { "net-down", cmd_net_down, NULL, NULL, NULL },         /* the network unit's ExecStop= */
        { "run-service", cmd_run_service, NULL, NULL, NULL },   /* internal: ExecStart of service units */
        { "run-remove", cmd_run_remove, NULL, NULL, NULL },     /* internal: ExecStopPost of run's units */
        { "gen",     cmd_gen,     NULL, NULL, NULL },           /* build time: man page, completions */
};
const size_t cmd_n_verbs = ELEMENTSOF(cmd_verbs);

enum {
        ARG_VERSION = 0x100,
        ARG_PROJECT_DIRECTORY,
        ARG_ENV_FILE,
        ARG_PROFILE,
        ARG_ANSI,
        ARG_PROGRESS,
        ARG_PARALLEL,
        ARG_COMPATIBILITY,
};

const CmdOption cmd_global_options[] = {
        { "ansi",              0,   "never|always|auto", ARG_ANSI, "Control when to print ANSI control characters" },
        { "compatibility",     0,   NULL,        ARG_COMPATIBILITY,     "Accepted; changes nothing here" },
        CMD_OPTION_DRY_RUN,
        { "env-file",          0,   "FILE",      ARG_ENV_FILE,          "Environment file (repeatable; default: .env)" },
        { "file",              'f', "FILE",      'f',                   "Compose file (repeatable)" },
        { "parallel",          0,   "N",         ARG_PARALLEL,          "Accepted; systemd runs the jobs in parallel" },
        { "profile",           0,   "NAME",      ARG_PROFILE,           "Enable a profile (repeatable)" },
        { "progress",          0,   "auto|tty|plain|quiet", ARG_PROGRESS, "Type of progress output" },
        { "project-directory", 0,   "DIR",       ARG_PROJECT_DIRECTORY, "Project directory (default: the first file's)" },
        { "project-name",      'p', "NAME",      'p',                   "Project name" },
        { "verbose",           'v', NULL,        'v',                   "Debug logging" },
        CMD_OPTION_HELP,
        { "version",           0,   NULL,        ARG_VERSION,           "Show the version" },
        {}
};

static int parse_global_option(int id, const char *arg, void *userdata) {
        CmdGlobal *g = userdata;
        int r;

        switch (id) {
        case 'f':
                return strv_extend(&g->compose.files, arg) < 0 ? log_oom() : 0;
        case 'p':
                g->compose.project_name = arg;
                return 0;
        case ARG_PROJECT_DIRECTORY:
                g->compose.project_directory = arg;
                return 0;
        case ARG_ENV_FILE:
                return strv_extend(&g->compose.env_files, arg) < 0 ? log_oom() : 0;
        case ARG_PROFILE:
                return strv_extend(&g->compose.profiles, arg) < 0 ? log_oom() : 0;
        case 'v':
                log_set_max_level(LOG_DEBUG);
                return 0;
        case ARG_ANSI:
                r = cmd_parse_choice(id, arg, NULL);
                if (r < 0)
                        return r;
                g->ansi = (CmdAnsi) r;
                return 0;
        case ARG_PROGRESS:
                if (cmd_parse_choice(id, arg, NULL) < 0)
                        return log_error("unsupported --progress value \"%s\"", arg), -EINVAL;
                g->progress = arg;
                return 0;
        case ARG_PARALLEL:
                return cmd_parse_int(id, arg, &g->parallel);
        case ARG_COMPATIBILITY:
                return 0;
        case ARG_VERSION:
                printf("nspawn-compose version %s\n", NC_VERSION);
                return 1;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        CmdGlobal g = { .compose.environ = environ, .ansi = CMD_ANSI_AUTO, .progress = "auto", .parallel = -1 };
        int r, ret = CMD_EXIT_ERROR;

        r = cmd_parse(argc, argv, &g, parse_global_option, &g);
        if (r <= 0) {
                ret = cmd_parse_exit(r);
                goto finish;
        }
        if (optind >= argc) {
                cmd_help(NULL);         /* as docker compose: the help, exit 0 */
                ret = 0;
                goto finish;
        }
        for (size_t i = 0; i < cmd_n_verbs; i++)
                if (streq(cmd_verbs[i].name, argv[optind])) {
                        int vargc = argc - optind;
                        char **vargv = argv + optind;

                        optind = 0;     /* the verb parses its own options with getopt */
                        g.verb = &cmd_verbs[i];
                        ret = cmd_verbs[i].func(vargc, vargv, &g);
                        goto finish;
                }
        cmd_help(NULL);
        log_error("unknown command: \"%s\"", argv[optind]);
        ret = CMD_EXIT_USAGE;
finish:
        strv_free(g.compose.files);
        strv_free(g.compose.env_files);
        strv_free(g.compose.profiles);
        return ret;
}
