/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"

extern char **environ;

typedef struct Verb {
        const char *name;
        CmdFunc func;
        const char *help;
} Verb;

static const Verb verbs[] = {
        { "config",  cmd_config, "Print the resolved compose model" },
        { "plan",    cmd_plan,   "Show what apply would change (exit 2 on drift)" },
        { "apply",   cmd_apply,  "Converge the host to the compose file" },
        { "down",    cmd_down,   "Stop and remove everything of the project" },
        { "ps",      cmd_ps,     "List the project's services" },
        { "logs",    cmd_logs,   "Show the services' logs" },
        { "exec",    cmd_exec,   "Run a command inside a service's machine" },
        { "render",  cmd_render, "Write the files apply installs below a directory" },
        { "pull",    cmd_pull,   "Pull the services' images into the image store" },
        { "build",   cmd_build,  "Build the services' images (build:) into the image store" },
        { "supervise", cmd_supervise, "Keep converging (a Type=notify service)" },
        { "net-up",   cmd_net_up,   NULL },     /* the network unit's ExecStart= */
        { "net-down", cmd_net_down, NULL },     /* the network unit's ExecStop= */
        { "run-service", cmd_run_service, NULL },     /* internal: ExecStart of service units */
        { "version", NULL,       NULL },
};

static void help(void) {
        printf("Usage: nspawn-compose [OPTIONS] COMMAND [ARGS...]\n\n"
               "Run a compose project on systemd-nspawn machines, reconciled by systemd.\n\n"
               "Options:\n"
               "  -f, --file FILE              Compose file (repeatable)\n"
               "  -p, --project-name NAME      Project name\n"
               "      --project-directory DIR  Project directory (default: the first file's)\n"
               "      --env-file FILE          Environment file (repeatable; default: .env)\n"
               "      --profile NAME           Enable a profile (repeatable)\n"
               "  -v, --verbose                Debug logging\n"
               "  -h, --help                   Show this help\n"
               "      --version                Show the version\n\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (verbs[i].help)
                        printf("  %-12s %s\n", verbs[i].name, verbs[i].help);
}

static int parse_global(int argc, char *argv[], CmdGlobal *g) {
        enum { ARG_VERSION = 0x100, ARG_PROJECT_DIRECTORY, ARG_ENV_FILE, ARG_PROFILE };
        static const struct option options[] = {
                { "file",              required_argument, NULL, 'f'                   },
                { "project-name",      required_argument, NULL, 'p'                   },
                { "project-directory", required_argument, NULL, ARG_PROJECT_DIRECTORY },
                { "env-file",          required_argument, NULL, ARG_ENV_FILE          },
                { "profile",           required_argument, NULL, ARG_PROFILE           },
                { "verbose",           no_argument,       NULL, 'v'                   },
                { "help",              no_argument,       NULL, 'h'                   },
                { "version",           no_argument,       NULL, ARG_VERSION           },
                {}
        };
        int c;

        /* "+": stop at the first non-option, the verb; its options are its own. */
        while ((c = getopt_long(argc, argv, "+f:p:vh", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        if (strv_extend(&g->compose.files, optarg) < 0)
                                return log_oom();
                        break;
                case 'p':
                        g->compose.project_name = optarg;
                        break;
                case ARG_PROJECT_DIRECTORY:
                        g->compose.project_directory = optarg;
                        break;
                case ARG_ENV_FILE:
                        if (strv_extend(&g->compose.env_files, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_PROFILE:
                        if (strv_extend(&g->compose.profiles, optarg) < 0)
                                return log_oom();
                        break;
                case 'v':
                        log_set_max_level(LOG_DEBUG);
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("nspawn-compose %s\n", NC_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        return 1;
}

int main(int argc, char *argv[]) {
        CmdGlobal g = { .compose.environ = environ };
        int r, ret = 1;

        r = parse_global(argc, argv, &g);
        if (r <= 0) {
                ret = r < 0 ? 1 : 0;
                goto finish;
        }
        if (optind >= argc) {
                log_error("No command given; see --help.");
                goto finish;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, argv[optind])) {
                        int vargc = argc - optind;
                        char **vargv = argv + optind;

                        optind = 0;     /* the verb parses its own options with getopt */
                        if (!verbs[i].func) {
                                printf("nspawn-compose %s\n", NC_VERSION);
                                ret = 0;
                                goto finish;
                        }
                        ret = verbs[i].func(vargc, vargv, &g);
                        goto finish;
                }
        log_error("Unknown command '%s'; see --help.", argv[optind]);
finish:
        strv_free(g.compose.files);
        strv_free(g.compose.env_files);
        strv_free(g.compose.profiles);
        return ret;
}
