/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/reconcile.h"

static void build_help(void) {
        printf("Usage: nspawn-compose build [--no-cache] [--pull] [SERVICE...]\n\n"
               "Build the images of the services with build: (or of the SERVICEs given) into\n"
               "" NC_IMAGE_STORE ", as apply would; a build runs even when its context is\n"
               "unchanged (buildah's layer cache keeps that quick). Prints one line per image:\n"
               "service, image, digest. Running services keep running: apply restarts them.\n\n"
               "Options:\n"
               "      --no-cache  Build without buildah's layer cache\n"
               "      --pull      Fetch the base images again\n");
}

int cmd_build(int argc, char *argv[], CmdGlobal *g) {
        enum { ARG_NO_CACHE = 0x100, ARG_PULL };
        static const struct option options[] = {
                { "no-cache", no_argument, NULL, ARG_NO_CACHE },
                { "pull",     no_argument, NULL, ARG_PULL     },
                { "help",     no_argument, NULL, 'h'          },
                {}
        };
        ImageBuildOptions o = { .force = true };
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_strv_free_ char **names = NULL, **done = NULL;
        int c, ret = 0;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_NO_CACHE:
                        o.no_cache = true;
                        break;
                case ARG_PULL:
                        o.pull = true;
                        break;
                case 'h':
                        build_help();
                        return 0;
                default:
                        return 1;
                }
        if (cmd_load_project(g, &p) < 0)
                return 1;
        names = optind < argc ? strv_copy(argv + optind) : compose_project_service_names(p);
        if (!names)
                return log_oom(), 1;
        STRV_FOREACH(n, names) {
                _cleanup_free_ char *digest = NULL, *image = NULL;
                const ComposeNode *svc = compose_map_get(compose_map_get(p->model, "services"), *n);
                NcError err = {};
                int r;

                if (!svc) {
                        log_error("No service '%s' in project '%s'.", *n, p->name);
                        ret = 1;
                        continue;
                }
                if (!reconcile_service_builds(p, *n)) {
                        if (optind < argc) {
                                log_error("Service '%s' has no build: section.", *n);
                                ret = 1;
                        }
                        continue;
                }
                if (desired_service_image(p->name, *n, svc, &image) < 0)
                        return log_oom(), 1;
                if (strv_contains(done, image))
                        continue;
                r = reconcile_build(p, *n, &o, &digest, &err);
                if (r < 0) {
                        cmd_log_error(r, &err);
                        ret = 1;
                        continue;
                }
                if (strv_extend(&done, image) < 0)
                        return log_oom(), 1;
                printf("%s\t%s\t%s\n", *n, image, digest);
                fflush(stdout);
        }
        return ret;
}
