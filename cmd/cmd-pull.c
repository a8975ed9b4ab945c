/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/reconcile.h"

static void pull_help(void) {
        printf("Usage: nspawn-compose pull [--policy always|missing|never] [--quiet] [IMAGE...]\n\n"
               "Pull the images of every service of the project (or the IMAGEs given) into\n"
               "" NC_IMAGE_STORE ". Prints one line per image: reference, digest, what happened.\n\n"
               "Options:\n"
               "      --policy POLICY  always (default), missing or never\n"
               "  -q, --quiet          No progress output\n");
}

/* A failure names the service and its `image:` position when the image is one of the project's. */
static int pull_one(const ComposeProject *p, const char *service, const char *ref, const ImagePullOptions *o) {
        _cleanup_free_ char *digest = NULL;
        NcError err = {};
        int r;

        r = reconcile_pull(p, service, ref, o, &digest, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        printf("%s\t%s\t%s\n", ref, digest, r > 0 ? "pulled" : "present");
        fflush(stdout);
        return 0;
}

/* The project's images, in service order, each once, with the first service that uses each
 * (parallel lists); services that build theirs are left out, services without one are errors. */
static int project_images(const ComposeProject *p, char ***ret_images, char ***ret_services) {
        _cleanup_strv_free_ char **names = compose_project_service_names(p), **images = calloc(1, sizeof(char*));
        _cleanup_strv_free_ char **services = calloc(1, sizeof(char*));
        const ComposeNode *all = compose_map_get(p->model, "services");
        int r = 0;

        if (!names || !images || !services)
                return log_oom();
        STRV_FOREACH(n, names) {
                const char *image = compose_map_get_str(compose_map_get(all, *n), "image");

                if (reconcile_service_builds(p, *n))
                        continue;       /* built, not pulled: the build verb */
                if (!image)
                        r = log_error_errno(-EINVAL, "Service '%s' has no image.", *n);
                else if (!strv_contains(images, image) &&
                         (strv_extend(&images, image) < 0 || strv_extend(&services, *n) < 0))
                        return log_oom();
        }
        if (r < 0)
                return r;
        *ret_images = TAKE_PTR(images);
        *ret_services = TAKE_PTR(services);
        return 0;
}

int cmd_pull(int argc, char *argv[], CmdGlobal *g) {
        static const struct option options[] = {
                { "policy", required_argument, NULL, 'P' },
                { "quiet",  no_argument,       NULL, 'q' },
                { "help",   no_argument,       NULL, 'h' },
                {}
        };
        ImagePullOptions o = { .policy = IMAGE_PULL_ALWAYS, .progress = cmd_pull_progress(g),
                               .on_pulled = cmd_print_pulled, .userdata = g };
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_strv_free_ char **images = NULL, **services = NULL;
        int c, ret = 0;

        while ((c = getopt_long(argc, argv, "qh", options, NULL)) >= 0)
                switch (c) {
                case 'P':
                        o.policy = image_pull_policy_from_string(optarg);
                        if (o.policy < 0) {
                                log_error("Unknown pull policy '%s': expected always, missing or never.", optarg);
                                return 1;
                        }
                        break;
                case 'q':
                        o.progress = false;
                        o.on_pulled = NULL;
                        break;
                case 'h':
                        pull_help();
                        return 0;
                default:
                        return 1;
                }
        if (optind < argc)
                images = strv_copy(argv + optind);
        else if (cmd_load_project(g, &p) < 0 || project_images(p, &images, &services) < 0)
                return 1;
        if (!images)
                return log_oom(), 1;
        for (size_t i = 0; images[i]; i++)
                if (pull_one(p, services ? services[i] : NULL, images[i], &o) < 0)
                        ret = 1;
        return ret;
}
