/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "reconcile/reconcile.h"
#include "lib/log.h"
#include "lib/strv.h"

int cmd_down(int argc, char *argv[], CmdGlobal *g) {
        static const struct option options[] = {
                { "volumes", no_argument, NULL, 'v' },
                { "runtime", no_argument, NULL, 'R' },
                { "help",    no_argument, NULL, 'h' },
                {}
        };
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *rc = NULL;
        ReconcileOptions o = { .for_down = true };
        bool volumes = false;
        NcError err = {};
        int c, r;

        while ((c = getopt_long(argc, argv, "vh", options, NULL)) >= 0)
                switch (c) {
                case 'v':
                        volumes = true;
                        break;
                case 'R':
                        o.runtime = true;
                        break;
                case 'h':
                        printf("Usage: nspawn-compose down [--volumes] [--runtime]\n\n"
                               "Stop and remove everything of the project; named volumes only with --volumes.\n");
                        return 0;
                default:
                        return 1;
                }
        if (cmd_load_project(g, &p) < 0)
                return 1;
        r = reconcile_new(p, &o, &rc, &err);
        if (r < 0)
                return cmd_log_error(r, &err), 1;
        err = (NcError) {};     /* a render error down could live with is not the outcome */
        r = reconcile_down(rc, volumes, &err);
        if (r < 0)
                return cmd_log_error(r, &err), 1;
        STRV_FOREACH(n, rc->notes)
                log_notice("%s", *n);
        printf("%s: down\n", p->name);
        return 0;
}
