/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/fileio.h"
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
        if (g->verb && g->verb->host_replicas)
                return cmd_host_replicas(g, *ret);
        return 0;
}

static void config_help(void) {
        printf("Usage: nspawn-compose config [OPTIONS]\n\n"
               "Print the resolved compose model, in the canonical shape `docker compose config` prints.\n\n"
               "Options:\n"
               "      --format yaml|json  Output format (default yaml)\n"
               "      --services          Print the service names, one per line\n"
               "      --images            Print the image names, one per line\n"
               "      --volumes           Print the volume names, one per line\n"
               "      --profiles          Print the profile names, one per line\n"
               "      --hash SERVICES     Print each service's config hash (comma-separated names, or *)\n"
               "      --no-interpolate    Do not interpolate environment variables\n"
               "  -o, --output FILE       Write to FILE instead of stdout\n"
               "  -q, --quiet             Only validate the configuration, print nothing\n");
}

typedef enum ConfigPrint {
        PRINT_MODEL,
        PRINT_SERVICES,
        PRINT_IMAGES,
        PRINT_VOLUMES,
        PRINT_PROFILES,
        PRINT_HASH,
} ConfigPrint;

/* "NAME HASH" lines for @which ("*" or comma-separated names), as docker compose prints them: by name. */
static int print_hashes(const ComposeProject *p, const char *which, StrBuf *out) {
        const ComposeNode *services = compose_map_get(p->model, "services");
        _cleanup_strv_free_ char **names = NULL;

        if (streq(which, "*")) {
                COMPOSE_MAP_FOREACH(i, services)
                        if (strv_extend(&names, services->keys[i]->scalar) < 0)
                                return log_oom();
        } else {
                names = strv_split(which, ",");
                if (!names)
                        return log_oom();
        }
        if (!names)             /* no services */
                return 0;
        strv_sort(names);
        STRV_FOREACH(n, names) {
                const ComposeNode *svc = compose_map_get(services, *n);
                char hash[65];
                int r;

                if (!svc)
                        return log_error_errno(-ENOENT, "no such service: %s: not found", *n);
                r = compose_service_hash(svc, hash);
                if (r < 0)
                        return log_error_errno(r, "Failed to hash service %s: %m", *n);
                strbuf_printf(out, "%s %s\n", *n, hash);
        }
        return 0;
}

static int print_list(const ComposeProject *p, ConfigPrint what, StrBuf *out) {
        const ComposeNode *services = compose_map_get(p->model, "services");
        _cleanup_strv_free_ char **lines = NULL;

        switch (what) {
        case PRINT_SERVICES:
                lines = compose_project_service_names(p);
                break;
        case PRINT_IMAGES:
                /* a service without image: the name docker compose builds it under */
                lines = calloc(1, sizeof(char*));
                COMPOSE_MAP_FOREACH(i, services) {
                        const char *image = compose_map_get_str(services->items[i], "image");

                        if (lines && (image ? strv_extend(&lines, image) :
                                      strv_extendf(&lines, "%s-%s", p->name, services->keys[i]->scalar)) < 0)
                                lines = strv_free(lines);
                }
                break;
        case PRINT_VOLUMES: {
                const ComposeNode *volumes = compose_map_get(p->model, "volumes");

                lines = calloc(1, sizeof(char*));
                COMPOSE_MAP_FOREACH(i, volumes)
                        if (lines && strv_extend(&lines, volumes->keys[i]->scalar) < 0)
                                lines = strv_free(lines);
                break;
        }
        case PRINT_PROFILES:
                lines = p->profiles ? strv_copy(p->profiles) : calloc(1, sizeof(char*));
                break;
        case PRINT_MODEL:
        case PRINT_HASH:
                return -EINVAL;
        }
        if (!lines)
                return log_oom();
        STRV_FOREACH(l, lines)
                strbuf_printf(out, "%s\n", *l);
        return 0;
}

int cmd_config(int argc, char *argv[], CmdGlobal *g) {
        enum { ARG_FORMAT = 0x100, ARG_SERVICES, ARG_IMAGES, ARG_VOLUMES, ARG_PROFILES, ARG_HASH, ARG_NO_INTERPOLATE };
        static const struct option options[] = {
                { "format",         required_argument, NULL, ARG_FORMAT         },
                { "services",       no_argument,       NULL, ARG_SERVICES       },
                { "images",         no_argument,       NULL, ARG_IMAGES         },
                { "volumes",        no_argument,       NULL, ARG_VOLUMES        },
                { "profiles",       no_argument,       NULL, ARG_PROFILES       },
                { "hash",           required_argument, NULL, ARG_HASH           },
                { "no-interpolate", no_argument,       NULL, ARG_NO_INTERPOLATE },
                { "output",         required_argument, NULL, 'o'                },
                { "quiet",          no_argument,       NULL, 'q'                },
                { "help",           no_argument,       NULL, 'h'                },
                {}
        };
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(strbuf_done) StrBuf out = {};
        const char *output = NULL, *hash = NULL;
        ConfigPrint what = PRINT_MODEL;
        bool quiet = false, json = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "o:qh", options, NULL)) >= 0)
                switch (c) {
                case ARG_FORMAT:
                        if (!streq(optarg, "yaml") && !streq(optarg, "json")) {
                                log_error("Unknown format '%s': expected yaml or json.", optarg);
                                return 1;
                        }
                        json = streq(optarg, "json");
                        break;
                case ARG_SERVICES:
                        what = PRINT_SERVICES;
                        break;
                case ARG_IMAGES:
                        what = PRINT_IMAGES;
                        break;
                case ARG_VOLUMES:
                        what = PRINT_VOLUMES;
                        break;
                case ARG_PROFILES:
                        what = PRINT_PROFILES;
                        break;
                case ARG_HASH:
                        what = PRINT_HASH;
                        hash = optarg;
                        break;
                case ARG_NO_INTERPOLATE:
                        g->compose.skip_interpolate = true;
                        break;
                case 'o':
                        output = optarg;
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
        if (optind < argc) {
                log_error("Selecting services (%s) is not supported; config prints the whole project.", argv[optind]);
                return 1;
        }

        /* as docker compose: the lists and hashes do not read env_file */
        g->compose.skip_env_resolution = what != PRINT_MODEL;
        if (cmd_load_project(g, &p) < 0)
                return 1;
        if (quiet)
                return 0;
        if (what == PRINT_MODEL) {
                _cleanup_free_ char *model =
                        compose_dump(p->model, (json ? COMPOSE_DUMP_JSON : 0) |
                                               (g->compose.skip_interpolate ? COMPOSE_DUMP_VERBATIM : 0));

                if (!model)
                        return log_oom(), 1;
                strbuf_append(&out, model);
                if (json)
                        strbuf_append_char(&out, '\n');
        } else if (what == PRINT_HASH) {
                if (print_hashes(p, hash, &out) < 0)
                        return 1;
        } else if (print_list(p, what, &out) < 0)
                return 1;
        if (out.oom)
                return log_oom(), 1;
        if (output) {
                r = write_file_atomic(output, out.buf ?: "", out.len, 0644);
                if (r < 0)
                        return log_error_errno(r, "Failed to write %s: %m", output), 1;
                return 0;
        }
        fwrite(out.buf ?: "", 1, out.len, stdout);
        return 0;
}
