/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmd/cmd.h"
#include "lib/json-util.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/actual.h"
#include "reconcile/bus.h"
#include "reconcile/generation.h"
#include "reconcile/reconcile.h"

/* history: the project's generations (reconcile/generation.h); rollback: converge to one of them
 * again; and what apply --rollback does when services it changed fail (cmd_rollback_services()). */

enum { ARG_FORMAT = 0x100, ARG_TO };

const CmdOption cmd_history_options[] = {
        { "format", 0, "table|json", ARG_FORMAT, "Output format" },
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

const CmdOption cmd_rollback_options[] = {
        { "to", 0, "N", ARG_TO, "The generation to go back to (default: the good one before the installed one)" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

/* The project's name: -p, else the compose file's (which may be the broken one: -p needs none). */
static int project_name(CmdGlobal *g, char **ret) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        NcError err = {};
        int r;

        if (g->compose.project_name) {
                r = name_project_check(g->compose.project_name, &err);
                if (r < 0)
                        return cmd_log_error(r, &err);
                *ret = strdup(g->compose.project_name);
                return *ret ? 0 : log_oom();
        }
        r = cmd_load_project(g, &p);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p->name);
        return 0;
}

typedef struct History {
        char *project;
        Generation *gens;
        size_t n;
        ActualState *actual;
        sd_bus *bus;
} History;

static void history_done(History *h) {
        free(h->project);
        generations_free(h->gens, h->n);
        actual_state_free(h->actual);
        sd_bus_flush_close_unref(h->bus);
        *h = (History) {};
}

static int history_open(CmdGlobal *g, History *h) {
        NcError err = {};
        int r;

        r = project_name(g, &h->project);
        if (r < 0)
                return r;
        r = generations_read(h->project, &h->gens, &h->n, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        r = bus_open_systemd(&h->bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to systemd: %m");
        r = actual_read(h->bus, h->project, "/", g->runtime, NULL, &h->actual, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        return 0;
}

static const Generation *generation_find(const History *h, unsigned id) {
        for (size_t i = 0; i < h->n; i++)
                if (h->gens[i].id == id)
                        return &h->gens[i];
        return NULL;
}

/* rollback's default: the newest good generation older than the one installed (one step back, and
 * one more on the next rollback), or when none is installed, the newest good one. */
static const Generation *generation_before_installed(const History *h) {
        size_t installed = generation_installed(h->gens, h->n, h->actual);

        for (size_t i = installed; i > 0; i--)
                if (!h->gens[i - 1].failure)
                        return &h->gens[i - 1];
        return NULL;
}

static char *format_time(uint64_t usec) {
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;
        char buf[64];

        if (!localtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                return strdup("-");
        return strdup(buf);
}

/* "web=sha256:1234…" of each image, for the table. */
static char *images_summary(const Generation *gen) {
        StrBuf b = {};

        STRV_FOREACH(d, gen->digests) {
                const char *nl = strchr(*d, '\n'), *hex = nl ? startswith(nl + 1, "sha256:") : NULL;

                if (!nl)
                        continue;
                strbuf_printf(&b, "%s%.*s@%.12s", b.len > 0 ? " " : "", (int) (nl - *d), *d, hex ?: nl + 1);
        }
        return strbuf_steal(&b) ?: strdup("");
}

static int parse_history_option(int id, const char *arg, void *userdata) {
        return id == ARG_FORMAT ? cmd_parse_format(id, arg, userdata) : 0;
}

int cmd_history(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(history_done) History h = {};
        json_object *list = NULL;
        bool json = false;
        int r;

        r = cmd_parse(argc, argv, g, parse_history_option, &json);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (history_open(g, &h) < 0)
                return CMD_EXIT_ERROR;
        if (json)
                list = json_object_new_array();
        else
                printf("%-10s %-19s %-8s %-8s %-30s %s\n", "GENERATION", "CREATED", "CURRENT", "SERVICES", "RESULT", "IMAGES");
        for (size_t i = 0; i < h.n; i++) {
                const Generation *gen = &h.gens[i];
                _cleanup_free_ char *when = format_time(gen->created_usec), *images = images_summary(gen);
                bool current = generation_is_installed(gen, h.actual);

                if (json) {
                        json_object *o = json_object_new_object(), *services = json_object_new_array();

                        STRV_FOREACH(s, gen->hashes)
                                json_object_array_add(services, json_object_new_string_len(*s, (int) strcspn(*s, "\n")));
                        json_object_object_add(o, "Generation", json_object_new_int64(gen->id));
                        json_object_object_add(o, "Created", json_object_new_int64((int64_t) gen->created_usec));
                        json_object_object_add(o, "Current", json_object_new_boolean(current));
                        json_object_object_add(o, "Failure", gen->failure ? json_object_new_string(gen->failure) : NULL);
                        json_object_object_add(o, "Services", services);
                        json_object_array_add(list, o);
                        continue;
                }
                printf("%-10u %-19s %-8s %-8zu %-30s %s\n", gen->id, strempty(when), current ? "yes" : "",
                       strv_length(gen->hashes), gen->failure ? "failed" : "ok", strempty(images));
        }
        if (json)
                puts(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
        json_object_put(list);
        return 0;
}

int cmd_rollback_services(CmdGlobal *g, const char *project, const Generation *gen, char **services, char **added) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *c = NULL;
        ReconcileOptions o = {
                .runtime = g->runtime,
                .pull = IMAGE_PULL_NEVER,
                .digests = gen->digests,
                /* services the generation does not have stay, as `up SERVICE` leaves them (another
                 * `up -d c` may have started them), except those the failed apply itself added */
                .select = { .services = services, .no_deps = services != NULL, .keep_orphans = true,
                            .remove_orphans = added },
        };
        NcError err = {};
        int r;

        r = generation_load_project(project, gen, g->compose.environ, &p, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        r = reconcile_new(p, &o, &c, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        if (c->orphans) {
                _cleanup_free_ char *list = strv_join(c->orphans, ", ");

                log_warning("Found orphan containers (%s) for this project: generation %u does not have them; "
                            "they are left as they are.", strempty(list), gen->id);
        }
        if (g->dry_run) {
                _cleanup_free_ char *s = plan_format_text(c->plan, cmd_color(g));

                fputs(strempty(s), stdout);
                return 0;
        }
        r = reconcile_execute(c, &err);
        STRV_FOREACH(f, c->failures)
                log_error("Service %s", *f);
        if (r == -EHOSTDOWN)
                return log_error_errno(r, "%zu service(s) did not reach their state of generation %u either.",
                                       strv_length(c->failures), gen->id);
        if (r < 0)
                return cmd_log_error(r, &err);
        return (int) c->plan->n_actions;
}

static int parse_rollback_option(int id, const char *arg, void *userdata) {
        unsigned *to = userdata;
        int n = 0, r;

        if (id != ARG_TO)
                return 0;
        r = cmd_parse_int(id, arg, &n);
        if (r < 0)
                return r;
        if (n < 1)
                return log_error("invalid --to %d: a generation is 1 or more", n), -EINVAL;
        *to = (unsigned) n;
        return 0;
}

int cmd_rollback(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(history_done) History h = {};
        const Generation *target = NULL;
        unsigned to = 0;
        int r;

        r = cmd_parse(argc, argv, g, parse_rollback_option, &to);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (history_open(g, &h) < 0)
                return CMD_EXIT_ERROR;
        target = to ? generation_find(&h, to) : generation_before_installed(&h);
        if (!target && to)
                return log_error("%s has no generation %u (history lists them).", h.project, to), CMD_EXIT_ERROR;
        if (!target)
                return log_error("%s has no good generation before the one installed.", h.project), CMD_EXIT_ERROR;
        if (target->failure)
                return log_error("Generation %u failed (%s): not one to go back to.", to, target->failure),
                        CMD_EXIT_ERROR;
        /* the actual state is read again under the lock, by the rollback's reconcile */
        h.actual = actual_state_free(h.actual);
        h.bus = sd_bus_flush_close_unref(h.bus);
        r = cmd_rollback_services(g, h.project, target, NULL, NULL);
        if (r < 0)
                return CMD_EXIT_ERROR;
        if (!g->dry_run)
                printf("%s: rolled back to generation %u (%d change(s))\n", h.project, target->id, r);
        return 0;
}
