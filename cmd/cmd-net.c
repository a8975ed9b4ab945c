/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cmd/cmd.h"
#include "lib/log.h"
#include "netfilter/net-project.h"

/* net-up / net-down PROJECT_JSON: the project's network unit (ExecStart/ExecReload and ExecStop),
 * so networks and published ports come back at boot without apply. apply calls the same functions. */

static int net_verb(int argc, char *argv[], bool up) {
        _cleanup_(net_project_file_freep) NetProjectFile *f = NULL;
        NetProjectChanges changes = {};
        NcError err = {};
        int r;

        if (argc != 2)
                return log_error("Usage: nspawn-compose %s PROJECT_JSON", argv[0]), 1;
        r = net_project_load(argv[1], &f, &err);
        if (r < 0)
                return cmd_log_error(r, &err), 1;
        /* the file is the installed one, our record of the project's bridges */
        r = up ? net_project_up(&f->net, &f->net, &changes, &err) : net_project_down(&f->net, &err);
        if (r < 0)
                return cmd_log_error(r, &err), 1;
        if (changes.forwarding_enabled)
                log_notice("Enabled IP forwarding (net.ipv4.ip_forward=1) for project networks.");
        if (changes.nft_changes > 0)
                log_info("Made %u nftables change(s) for project '%s'.", changes.nft_changes, f->net.project);
        return 0;
}

int cmd_net_up(int argc, char *argv[], CmdGlobal *g) {
        return net_verb(argc, argv, true);
}

int cmd_net_down(int argc, char *argv[], CmdGlobal *g) {
        return net_verb(argc, argv, false);
}
