/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "reconcile/compose/compose.h"

/* Global options, parsed by main.c before the verb. */
typedef struct CmdGlobal {
        ComposeOptions compose;         /* -f, -p, --project-directory, --env-file, --profile */
} CmdGlobal;

/* Each verb gets its own argv (argv[0] is the verb name) and returns an exit code
 * (0 success, 1 error; plan also 2 = drift). Verbs log errors themselves. */
typedef int (*CmdFunc)(int argc, char *argv[], CmdGlobal *g);

/* Logs a library error: the detail @err recorded (file:line:column: message), else strerror(-r).
 * Returns @r. */
int cmd_log_error(int r, const NcError *err);

/* Loads the project from the global options; logs the error (file:line:column) and warnings. */
int cmd_load_project(CmdGlobal *g, ComposeProject **ret);

int cmd_config(int argc, char *argv[], CmdGlobal *g);
int cmd_plan(int argc, char *argv[], CmdGlobal *g);
int cmd_apply(int argc, char *argv[], CmdGlobal *g);
int cmd_down(int argc, char *argv[], CmdGlobal *g);
int cmd_ps(int argc, char *argv[], CmdGlobal *g);
int cmd_logs(int argc, char *argv[], CmdGlobal *g);
int cmd_exec(int argc, char *argv[], CmdGlobal *g);
int cmd_render(int argc, char *argv[], CmdGlobal *g);
int cmd_pull(int argc, char *argv[], CmdGlobal *g);
int cmd_build(int argc, char *argv[], CmdGlobal *g);
int cmd_run_service(int argc, char *argv[], CmdGlobal *g);
int cmd_net_up(int argc, char *argv[], CmdGlobal *g);
int cmd_net_down(int argc, char *argv[], CmdGlobal *g);
int cmd_supervise(int argc, char *argv[], CmdGlobal *g);
