/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"

int cmd_log_error(int r, const NcError *err) {
        char buf[1024];

        if (!err || err->error == 0)
                return log_error_errno(r, "%m");
        return log_error_errno(r, "%s", nc_error_format(err, buf, sizeof buf));
}

int cmd_load_project(CmdGlobal *g, ComposeProject **ret) {
        NcError err = {};
        int r;

        r = compose_project_load(&g->compose, ret, &err);
        if (r < 0) {
                if (err.error == 0)
                        return log_error_errno(r, "Failed to load the compose project: %m");
                return cmd_log_error(r, &err);
        }
        STRV_FOREACH(w, (*ret)->warnings)
                log_warning("%s", *w);
        return 0;
}

static void config_help(void) {
        printf("Usage: nspawn-compose config [--format yaml|json] [--services] [--quiet]\n\n"
               "Print the resolved compose model, in the canonical shape `docker compose config` prints.\n");
}

int cmd_config(int argc, char *argv[], CmdGlobal *g) {
        static const struct option options[] = {
                { "format",   required_argument, NULL, 'F' },
                { "services", no_argument,       NULL, 's' },
                { "quiet",    no_argument,       NULL, 'q' },
                { "help",     no_argument,       NULL, 'h' },
                {}
        };
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_free_ char *out = NULL;
        bool services = false, quiet = false, json = false;
        int c;

        while ((c = getopt_long(argc, argv, "qh", options, NULL)) >= 0)
                switch (c) {
                case 'F':
                        if (!streq(optarg, "yaml") && !streq(optarg, "json")) {
                                log_error("Unknown format '%s': expected yaml or json.", optarg);
                                return 1;
                        }
                        json = streq(optarg, "json");
                        break;
                case 's':
                        services = true;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'h':
                        config_help();
                        return 0;
                default:
                        return 1;
                }

        if (cmd_load_project(g, &p) < 0)
                return 1;
        if (quiet)
                return 0;
        if (services) {
                _cleanup_strv_free_ char **names = compose_project_service_names(p);

                if (!names)
                        return log_oom(), 1;
                STRV_FOREACH(n, names)
                        puts(*n);
                return 0;
        }
        out = json ? compose_dump_json(p->model) : compose_dump_yaml(p->model);
        if (!out)
                return log_oom(), 1;
        fputs(out, stdout);
        if (json)
                putchar('\n');
        return 0;
}
