/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "reconcile/runtime/runtime.h"

/* The ExecStart= of every service unit: `nspawn-compose run-service /etc/nspawn-compose/P/S.json`. */

static void run_service_help(void) {
        printf("Usage: nspawn-compose run-service S.json\n\n"
               "Run one service's machine in the foreground as a systemd unit's main process\n"
               "(internal: service units run it).\n\n"
               "Options:\n"
               "      --nspawn PATH   systemd-nspawn binary to run\n");
}

int cmd_run_service(int argc, char *argv[], CmdGlobal *g) {
        static const struct option options[] = {
                { "nspawn", required_argument, NULL, 'n' },
                { "help",   no_argument,       NULL, 'h' },
                {}
        };
        _cleanup_(service_spec_freep) ServiceSpec *spec = NULL;
        ServiceRunOptions opts = {};
        NcError err = {};
        char buf[1024];
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        opts.nspawn = optarg;
                        break;
                case 'h':
                        run_service_help();
                        return 0;
                default:
                        return 1;
                }
        if (optind + 1 != argc) {
                log_error("Expected exactly one argument, the service's S.json; see --help.");
                return 1;
        }
        r = service_spec_load(argv[optind], &spec, &err);
        if (r >= 0)     /* one report for both: the unit's status says why it did not start */
                r = service_run(spec, &opts, &err);
        if (r < 0) {
                if (err.error != 0)
                        nc_error_format(&err, buf, sizeof(buf));
                else
                        snprintf(buf, sizeof(buf), "%s", strerror(-r));
                (void) sd_notifyf(false, "STATUS=Failed: %s", buf);
                log_error_errno(r, "Failed to run service from '%s': %s", argv[optind], buf);
                return 1;
        }
        return r;       /* nspawn's exit status, 0 after a requested stop */
}
