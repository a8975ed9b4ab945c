/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/reconcile.h"

/* build: docker compose build. The services' build: sections (or the SERVICEs named) are built into
 * the image store as apply would, even when the context is unchanged (buildah's layer cache keeps
 * that quick). One line per image: service, image, digest. Nothing restarts: apply does that. */

enum {
        ARG_NO_CACHE = 0x100,
        ARG_PULL,
};

const CmdOption cmd_build_options[] = {
        { "no-cache", 0, NULL, ARG_NO_CACHE, "Do not use buildah's layer cache" },
        { "pull",     0, NULL, ARG_PULL,     "Always fetch the base images again" },
        CMD_OPTION_HELP,
        {}
};

static int parse_option(int id, const char *arg, void *userdata) {
        ImageBuildOptions *o = userdata;

        (void) arg;
        if (id == ARG_NO_CACHE)
                o->no_cache = true;
        else if (id == ARG_PULL)
                o->pull = true;
        return 0;
}

int cmd_build(int argc, char *argv[], CmdGlobal *g) {
        ImageBuildOptions o = { .force = true };
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_strv_free_ char **services = NULL, **done = NULL;
        bool named;
        int r, ret = 0;

        r = cmd_parse(argc, argv, g, parse_option, &o);
        if (r <= 0)
                return cmd_parse_exit(r);
        named = optind < argc;
        if (cmd_load_project(g, &p) < 0 || cmd_services(p, argv + optind, &services) < 0)
                return CMD_EXIT_ERROR;
        STRV_FOREACH(n, services) {
                const ComposeNode *svc = compose_map_get(compose_map_get(p->model, "services"), *n);
                _cleanup_free_ char *digest = NULL, *image = NULL;
                NcError err = {};

                if (!reconcile_service_builds(p, *n)) {
                        if (named) {
                                log_error("service '%s' has no build: section", *n);
                                ret = CMD_EXIT_ERROR;
                        }
                        continue;
                }
                if (desired_service_image(p->name, *n, svc, &image) < 0)
                        return log_oom(), CMD_EXIT_ERROR;
                if (strv_contains(done, image))
                        continue;       /* services sharing an image build it once */
                r = reconcile_build(p, *n, &o, &digest, &err);
                if (r < 0) {
                        cmd_log_error(r, &err);
                        ret = CMD_EXIT_ERROR;
                        continue;
                }
                if (strv_extend(&done, image) < 0)
                        return log_oom(), CMD_EXIT_ERROR;
                printf("%s\t%s\t%s\n", *n, image, digest);
                fflush(stdout);
        }
        return ret;
}
