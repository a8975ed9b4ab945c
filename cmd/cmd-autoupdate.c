/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/runtime/runtime.h"

/* auto-update: Podman's `podman auto-update` for a compose project. A service opts in with
 * Podman's label, `io.containers.autoupdate: registry`; its image is pulled again into the store,
 * without recording the reference, and when the digest differs from the one the installed
 * service runs (its S.json), those services alone are applied with the new digests and
 * --rollback. Only once they are ready, with the project's lock still held, do the references
 * point at the new digests: until then no other apply (a supervisor's, a timer's) can take an
 * image that did not work, and a service that does not become ready goes back to the generation
 * installed before, its reference untouched. The shipped nspawn-compose-auto-update@.timer runs
 * it daily. */

#define AUTOUPDATE_LABEL "io.containers.autoupdate"

const CmdOption cmd_auto_update_options[] = {
        { "format", 0, "table|json", 0x100, "Output format" },
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

static int parse_auto_update_option(int id, const char *arg, void *userdata) {
        return id == 0x100 ? cmd_parse_format(id, arg, userdata) : 0;
}

typedef struct Update {
        char *service, *image, *old, *new;
        const char *result;             /* "false", "true", "rolled back", "failed" */
        char *error;
} Update;

static void updates_free(Update *l, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(l[i].service);
                free(l[i].image);
                free(l[i].old);
                free(l[i].new);
                free(l[i].error);
        }
        free(l);
}

/* The services that opted in and are installed, with their images pulled again. */
static int check_services(CmdGlobal *g, const ComposeProject *p, Update **ret, size_t *ret_n) {
        const ComposeNode *services = compose_map_get(p->model, "services");
        ImagePullOptions po = { .policy = IMAGE_PULL_ALWAYS, .progress = cmd_pull_progress(g),
                                .on_pulled = cmd_print_pulled, .userdata = g, .keep_refs = true };
        Update *l = NULL;
        size_t n = 0;

        COMPOSE_MAP_FOREACH(i, services) {
                const ComposeNode *svc = services->items[i];
                const char *policy = compose_map_get_str(compose_map_get(svc, "labels"), AUTOUPDATE_LABEL);
                const char *image = compose_map_get_str(svc, "image");
                _cleanup_(service_spec_freep) ServiceSpec *spec = NULL;
                Update *u, *grown;
                NcError err = {};

                if (!policy)
                        continue;
                if (!streq(policy, "registry") || !image || compose_map_get(svc, "build")) {
                        log_warning("Service %s: %s=%s ignored: only 'registry', on a pulled image, is done here.",
                                    services->keys[i]->scalar, AUTOUPDATE_LABEL, policy);
                        continue;
                }
                grown = reallocarray(l, n + 1, sizeof *l);
                if (!grown) {
                        updates_free(l, n);
                        return log_oom();
                }
                l = grown;
                u = &l[n++];
                *u = (Update) { .service = strdup(services->keys[i]->scalar), .image = strdup(image), .result = "false" };
                if (!u->service || !u->image) {
                        updates_free(l, n);
                        return log_oom();
                }
                /* what the installed service runs; one that is not installed is not ours to start */
                if (!cmd_settings_installed(p->name, u->service)) {
                        log_notice("Service %s is not installed: not updated.", u->service);
                        u->result = "not installed";
                        continue;
                }
                if (cmd_load_settings(p->name, u->service, &spec) < 0) {
                        u->result = "failed";
                        continue;
                }
                if (!isempty(spec->image_digest) && !(u->old = strdup(spec->image_digest))) {
                        updates_free(l, n);
                        return log_oom();
                }
                if (image_pull(image, &po, &u->new, &err) < 0) {
                        u->result = "failed";
                        u->error = strdup(err.error ? err.message : "cannot pull");
                        log_error("Service %s: cannot pull %s: %s", u->service, image, strempty(u->error));
                } else if (!streq_ptr(u->old, u->new))
                        u->result = "true";
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

static void print_updates(const Update *l, size_t n, bool json) {
        json_object *list = json ? json_object_new_array() : NULL;

        if (!json)
                printf("%-16s %-40s %-12s %s\n", "SERVICE", "IMAGE", "UPDATED", "DIGEST");
        for (size_t i = 0; i < n; i++) {
                const char *digest = streq(l[i].result, "true") ? l[i].new : l[i].old;

                if (json) {
                        json_object *o = json_object_new_object();

                        json_object_object_add(o, "Service", json_object_new_string(l[i].service));
                        json_object_object_add(o, "Image", json_object_new_string(l[i].image));
                        json_object_object_add(o, "Updated", json_object_new_string(l[i].result));
                        json_object_object_add(o, "Old", l[i].old ? json_object_new_string(l[i].old) : NULL);
                        json_object_object_add(o, "New", l[i].new ? json_object_new_string(l[i].new) : NULL);
                        json_object_array_add(list, o);
                } else
                        printf("%-16s %-40s %-12s %s\n", l[i].service, l[i].image, l[i].result, strempty(digest));
        }
        if (json)
                puts(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
        json_object_put(list);
}

typedef struct Pending {
        Update *updates;
        size_t n;
        const char *which;              /* point the references of the updates with this result */
} Pending;

/* CmdApply.on_applied: the updated services are ready; their references take the new digests. A
 * reference that cannot be pointed fails that update alone: the service runs the new image, and
 * the next apply would take it back to the old one, so say so. */
static int point_refs(void *userdata) {
        const Pending *pd = userdata;

        for (size_t i = 0; i < pd->n; i++) {
                Update *u = &pd->updates[i];
                NcError err = {};

                if (!streq(u->result, pd->which) || image_ref_point(NULL, u->image, u->new, &err) >= 0)
                        continue;
                log_error("Service %s runs %s, but %s cannot point at it (%s): the next apply takes the old "
                          "image again.", u->service, u->new, u->image, strempty(err.message));
                u->result = "failed";
                free_and_replace_ptr(&u->error, strdup(strempty(err.message)));
        }
        return 0;
}

/* An apply of @services alone with @digests ("image\ndigest"), quietly: the JSON a caller reads
 * is ours. *ret_failed: the services that did not become ready. */
static int apply_digests(CmdGlobal *g, char **services, char **digests, Pending *pd, char ***ret_failed) {
        CmdApply a = {
                .pull = IMAGE_PULL_NEVER,
                .select = { .services = services, .no_deps = true, .keep_orphans = true },
                .progress = true,       /* progress lines on stderr, not the plan on stdout */
                .digests = digests,
                .on_applied = point_refs,
                .userdata = pd,
                .ret_failed = ret_failed,
        };

        return cmd_apply_project(g, &a, NULL);
}

int cmd_auto_update(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_strv_free_ char **services = NULL, **digests = NULL, **failed_services = NULL;
        _cleanup_strv_free_ char **back = NULL, **back_digests = NULL;
        Update *updates = NULL;
        bool json = false, failed = false;
        size_t n = 0;
        int r;

        r = cmd_parse(argc, argv, g, parse_auto_update_option, &json);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (cmd_load_project(g, &p) < 0 || check_services(g, p, &updates, &n) < 0)
                return CMD_EXIT_ERROR;
        for (size_t i = 0; i < n; i++)
                if (streq(updates[i].result, "true") &&
                    (strv_extend(&services, updates[i].service) < 0 ||
                     strv_consume(&digests, strjoin(updates[i].image, "\n", updates[i].new)) < 0))
                        goto oom;
        if (services) {
                Pending pd = { updates, n, "true" };

                /* the updated services alone, as podman auto-update restarts only their units; the
                 * references move once they are ready, under the project's lock (point_refs) */
                r = apply_digests(g, services, digests, &pd, &failed_services);
                if (r < 0 && !failed_services)
                        /* nothing said which service: the apply itself failed, whatever it changed */
                        for (size_t i = 0; i < n; i++)
                                if (streq(updates[i].result, "true"))
                                        updates[i].result = "failed";
        }
        /* Each service whose new image did not become ready goes back to the digest it ran, as
         * podman does for the failed unit alone; the others keep theirs. */
        for (size_t i = 0; i < n; i++) {
                Update *u = &updates[i];

                if (!streq(u->result, "true") || !strv_contains(failed_services, u->service))
                        continue;
                u->result = "rolling back";
                if (!u->old) {
                        u->result = "failed";   /* no digest it ran: nothing to go back to */
                        continue;
                }
                if (strv_extend(&back, u->service) < 0 || strv_consume(&back_digests, strjoin(u->image, "\n", u->old)) < 0)
                        goto oom;
        }
        if (back) {
                _cleanup_strv_free_ char **still = NULL;
                Pending pd = { updates, n, "true" };    /* the references of the good ones, if they moved not yet */

                /* the render writes every service's files: the good ones keep their new digests */
                for (size_t i = 0; i < n; i++)
                        if (streq(updates[i].result, "true") &&
                            strv_consume(&back_digests, strjoin(updates[i].image, "\n", updates[i].new)) < 0)
                                goto oom;

                r = apply_digests(g, back, back_digests, &pd, &still);
                for (size_t i = 0; i < n; i++)
                        if (streq(updates[i].result, "rolling back"))
                                updates[i].result = r >= 0 ? "rolled back" : "failed";
        }
        for (size_t i = 0; i < n; i++)
                failed = failed || streq(updates[i].result, "failed") || streq(updates[i].result, "rolled back");
        print_updates(updates, n, json);
        updates_free(updates, n);
        return failed ? CMD_EXIT_ERROR : 0;
oom:
        updates_free(updates, n);
        return log_oom(), CMD_EXIT_ERROR;
}
