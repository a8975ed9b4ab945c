/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/time-util.h"
#include "reconcile/actual.h"
#include "reconcile/bus.h"
#include "reconcile/names.h"

/* What several verbs share: the services they are given, the units of those, color, progress. */

bool cmd_service_known(const ComposeProject *p, const char *name) {
        const ComposeNode *services = compose_map_get(p->model, "services");
        const char *dash = strrchr(name, '-');
        _cleanup_free_ char *base = NULL;
        unsigned n = 1;
        char *end = NULL;
        long k;

        if (compose_map_get(services, name))
                return true;
        if (!dash || !(base = strndup(name, dash - name)) || !compose_map_get(services, base))
                return false;
        if (dash[1] < '1' || dash[1] > '9' || strspn(dash + 1, "0123456789") != strlen(dash + 1))
                return false;   /* "S-N" as render names replicas: digits, no leading zero */
        k = strtol(dash + 1, &end, 10);
        return k >= 2 && desired_replicas(compose_map_get(services, base), &n) >= 0 && k <= n;
}

int cmd_host_replicas(const CmdGlobal *g, ComposeProject *p) {
        _cleanup_(actual_state_freep) ActualState *a = NULL;
        ComposeNode *services = compose_map_get(p->model, "services");
        NcError err = {};
        int r;

        /* the installed unit files alone (no bus): their marker lines say whose replica each is */
        r = actual_read(NULL, p->name, "/", g->runtime, NULL, &a, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        COMPOSE_MAP_FOREACH(k, services) {
                ComposeNode *svc = services->items[k];
                const char *name = services->keys[k]->scalar;
                unsigned n = 0, file = 1;

                for (size_t i = 0; i < a->n_units; i++) {
                        const ActualUnit *u = &a->units[i];
                        const char *num = u->service ? startswith(u->service, name) : NULL;

                        if (!u->file_hash)
                                continue;       /* no file of ours: not installed */
                        if (streq_ptr(u->service, name) && !u->replica_of)
                                n = MAX(n, 1u);
                        else if (streq_ptr(u->replica_of, name) && num && num[0] == '-')
                                n = MAX(n, (unsigned) MIN(strtoul(num + 1, NULL, 10), DESIRED_REPLICAS_MAX));
                }
                if (n == 0 || (desired_replicas(svc, &file) >= 0 && file == n))
                        continue;
                if (compose_map_set(svc, "scale", compose_node_new_int(n, &svc->mark)) < 0)
                        return log_oom();
        }
        return 0;
}

int cmd_services(const ComposeProject *p, char * const *services, char ***ret) {
        const ComposeNode *all = compose_map_get(p->model, "services");
        _cleanup_strv_free_ char **l = NULL;

        if (strv_length(services) == 0) {
                l = compose_project_service_names(p);
                if (!l)
                        return log_oom();
        } else {
                STRV_FOREACH(s, services)
                        if (!cmd_service_known(p, *s))
                                return log_error("no such service: %s", *s), -ENOENT;
                l = strv_copy(services);
                if (!l)
                        return log_oom();
        }
        /* a compose service means every machine of it: replica N > 1 is "S-N" */
        for (size_t i = 0, n = strv_length(l); i < n; i++) {
                unsigned k = 1;

                if (desired_replicas(compose_map_get(all, l[i]), &k) < 0)
                        continue;
                for (unsigned j = 2; j <= k; j++)
                        if (strv_extendf(&l, "%s-%u", l[i], j) < 0)
                                return log_oom();
        }
        *ret = TAKE_PTR(l);
        return 0;
}

bool cmd_color(const CmdGlobal *g) {
        if (g->ansi != CMD_ANSI_AUTO)
                return g->ansi == CMD_ANSI_ALWAYS;
        return isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

void cmd_progress(const CmdGlobal *g, const char *what, const char *name, const char *state) {
        if (streq(g->progress, "quiet"))
                return;
        fprintf(stderr, "%s%s %s  %s\n", g->dry_run ? "DRY-RUN MODE - " : "", what, name, state);
}

void cmd_print_pulled(const ImagePullStats *st, void *userdata) {
        const CmdGlobal *g = userdata;
        char size[32], rate[32], state[160];
        double sec = (double) st->usec / USEC_PER_SEC;

        cmd_human_size(size, sizeof size, st->bytes, /* binary= */ true);
        cmd_human_size(rate, sizeof rate, sec > 0 ? (uint64_t) ((double) st->bytes / sec) : st->bytes, true);
        snprintf(state, sizeof state, "Pulled (%u layer%s, %s in %.1fs, %s/s)", st->layers,
                 st->layers == 1 ? "" : "s", size, sec, rate);
        cmd_progress(g, "Image", st->ref, state);
}

/* S.json as apply installed it (/etc, else /run for --runtime): root's, 0600, trusted. */
/* Where S.json of @service is installed (/etc, else /run for --runtime): 1 and *ret, 0 when it is
 * nowhere, -ENOMEM. */
static int settings_path(const char *project, const char *service, char **ret) {
        for (int runtime = 0; runtime < 2; runtime++) {
                _cleanup_free_ char *dir = name_settings_dir(project, runtime), *name = NULL, *path = NULL;

                if (!dir || asprintf(&name, "%s.json", service) < 0 || !(path = path_join(dir, name)))
                        return -ENOMEM;
                if (access(path, F_OK) >= 0) {
                        *ret = TAKE_PTR(path);
                        return 1;
                }
        }
        return 0;
}

bool cmd_settings_installed(const char *project, const char *service) {
        _cleanup_free_ char *path = NULL;

        return settings_path(project, service, &path) != 0;
}

int cmd_load_settings(const char *project, const char *service, ServiceSpec **ret) {
        _cleanup_free_ char *path = NULL;
        NcError err = {};
        int r;

        r = settings_path(project, service, &path);
        if (r < 0)
                return log_oom();
        if (r == 0)
                return log_error_errno(-ENOENT, "Service '%s' has no installed settings (S.json); run apply first.",
                                       service);
        r = service_spec_load(path, ret, &err);
        return r < 0 ? cmd_log_error(r, &err) : 0;
}

bool cmd_pull_progress(const CmdGlobal *g) {
        return !streq(g->progress, "quiet");
}

char *cmd_machine(const ComposeProject *p, const char *service) {
        const ComposeNode *svc = compose_map_get(compose_map_get(p->model, "services"), service);
        char *m = NULL;

        /* container_name: names the machine, as render names it */
        return name_machine(p->name, service, compose_map_get_str(svc, "container_name"), &m) < 0 ? NULL : m;
}

int cmd_units_open(CmdGlobal *g, char **args, CmdUnits *ret) {
        NcError err = {};
        int r;

        *ret = (CmdUnits) {};
        r = cmd_load_project(g, &ret->project);
        if (r < 0)
                return r;
        r = cmd_services(ret->project, args, &ret->services);
        if (r < 0)
                return r;
        r = name_project_check(ret->project->name, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        r = bus_open_systemd(&ret->bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to systemd: %m");
        r = actual_read(ret->bus, ret->project->name, "/", g->runtime, NULL, &ret->actual, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        return 0;
}

void cmd_units_done(CmdUnits *u) {
        actual_state_free(u->actual);
        sd_bus_flush_close_unref(u->bus);
        strv_free(u->services);
        compose_project_free(u->project);
        *u = (CmdUnits) {};
}

const ActualUnit *cmd_units_find(const CmdUnits *u, const char *service, char **ret_name) {
        _cleanup_free_ char *name = name_service_unit(u->project->name, service);
        const ActualUnit *a = name ? actual_state_find_unit(u->actual, name) : NULL;

        if (a && streq(a->load_state, "not-found") && streq(a->active_state, "inactive"))
                a = NULL;
        if (ret_name)
                *ret_name = TAKE_PTR(name);
        return a;
}

void cmd_human_size(char *buf, size_t size, uint64_t v, bool binary) {
        static const char *const bin[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
        static const char *const dec[] = { "B", "kB", "MB", "GB", "TB", "PB" };
        double d = v == UINT64_MAX ? 0 : (double) v, base = binary ? 1024 : 1000;
        size_t i = 0;

        while (d >= base && i < 5) {
                d /= base;
                i++;
        }
        snprintf(buf, size, binary ? "%.4g%s" : "%.3g%s", d, binary ? bin[i] : dec[i]);
}
