/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cmd/cmd.h"
#include "reconcile/reconcile.h"
#include "lib/log.h"
#include "lib/strv.h"

/* down: everything of the project goes (units, machines, links, netns, nft elements, state); named
 * volumes only with --volumes; images always stay. */

enum { ARG_REMOVE_ORPHANS = 0x100, ARG_RMI };

const CmdOption cmd_down_options[] = {
        { "volumes",        'v', NULL,        'v',                "Remove the named volumes the project made" },
        { "remove-orphans", 0,   NULL,        ARG_REMOVE_ORPHANS, "Accepted: down always removes services no longer in the file" },
        { "timeout",        't', "N",         't',                "Accepted: the units' own stop timeouts apply" },
        { "rmi",            0,   "local|all", ARG_RMI,            "Accepted: images stay in the store" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

static int parse_down_option(int id, const char *arg, void *userdata) {
        int t;

        if (id == 'v')
                *(bool*) userdata = true;
        else if (id == 't')
                return cmd_parse_int(id, arg, &t);
        return 0;
}

int cmd_down(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *rc = NULL;
        ReconcileOptions o = { .for_down = true };
        bool volumes = false;
        NcError err = {};
        int r;

        r = cmd_parse(argc, argv, g, parse_down_option, &volumes);
        if (r <= 0)
                return cmd_parse_exit(r);
        o.runtime = g->runtime;         /* the options may set either */
        o.read_only = g->dry_run;
        if (cmd_load_project(g, &p) < 0)
                return CMD_EXIT_ERROR;
        r = reconcile_new(p, &o, &rc, &err);
        if (r < 0)
                return cmd_log_error(r, &err), CMD_EXIT_ERROR;
        if (g->dry_run) {
                for (size_t i = 0; i < rc->actual->n_units; i++)
                        printf("stop+remove  %s\n", rc->actual->units[i].name);
                for (size_t i = 0; i < rc->actual->n_files; i++)
                        if (!rc->actual->files[i].foreign_owner)
                                printf("remove-file  %s\n", rc->actual->files[i].path);
                return 0;
        }
        err = (NcError) {};     /* a render error down could live with is not the outcome */
        r = reconcile_down(rc, volumes, &err);
        if (r < 0)
                return cmd_log_error(r, &err), CMD_EXIT_ERROR;
        STRV_FOREACH(n, rc->notes)
                log_notice("%s", *n);
        printf("%s: down\n", p->name);
        return 0;
}
