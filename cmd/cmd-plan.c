/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "reconcile/reconcile.h"
#include "reconcile/runtime/runtime.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/time-util.h"
#include "lib/utf8.h"
#include "reconcile/generation.h"
#include "reconcile/names.h"

/* plan: the drift report (exit 0 in sync, 2 drift, 1 error). apply: converge once. up and create
 * (cmd-up.c) converge through cmd_apply_project() too, with what ReconcileSelect narrows. */

enum { ARG_FORMAT = 0x100, ARG_PULL, ARG_ROLLBACK };

const CmdOption cmd_plan_options[] = {
        { "format", 0, "text|json|junit|github", ARG_FORMAT, "Output format (junit, github: for CI)" },
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

const CmdOption cmd_apply_options[] = {
        { "format",  0,   "text|json",             ARG_FORMAT, "Output format of the plan" },
        { "pull",    0,   "missing|always|never",  ARG_PULL,   "Pull images before converging (default missing)" },
        { "dry-run", 'n', NULL,                    CMD_OPT_DRY_RUN, "Show the plan, change nothing" },
        { "rollback", 0,  NULL,                    ARG_ROLLBACK, "When services fail, put back those this apply changed as the last generation had them" },
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

static int parse_plan_option(int id, const char *arg, void *userdata) {
        CmdApply *a = userdata;

        switch (id) {
        case ARG_FORMAT:
                a->ci_format = streq(arg, "junit") || streq(arg, "github") ? arg : NULL;
                return cmd_parse_format(id, arg, &a->json);
        case ARG_ROLLBACK:
                a->rollback = true;
                return 0;
        case ARG_PULL:
                a->pull = image_pull_policy_from_string(arg);
                if (a->pull < 0)
                        return log_error("invalid --pull value \"%s\": expected missing, always or never", arg),
                                -EINVAL;
                return 0;
        }
        return 0;
}

static void print_plan(const CmdGlobal *g, const Reconcile *c, bool json) {
        _cleanup_free_ char *s = json ? plan_format_json(c->plan, c->project->name)
                                      : plan_format_text(c->plan, cmd_color(g));

        if (!s) {
                log_oom();
                return;
        }
        if (json)
                puts(s);
        else if (c->plan->n_actions == 0)
                printf("%s: in sync\n", c->project->name);
        else
                fputs(s, stdout);
}

/* up --scale SERVICE=N: the number of replicas instead of the file's, as docker compose's --scale. */
static int apply_scale(ComposeProject *p, char **scale) {
        ComposeNode *services = compose_map_get(p->model, "services");

        STRV_FOREACH(s, scale) {
                _cleanup_free_ char *name = strndup(*s, strcspn(*s, "="));
                const char *eq = strchr(*s, '=');
                ComposeNode *svc;
                char *end = NULL;
                long n;

                if (!name)
                        return log_oom();
                svc = compose_map_get(services, name);
                if (!svc)
                        return log_error_errno(-ENOENT, "no such service: %s", name);
                errno = 0;
                n = eq ? strtol(eq + 1, &end, 10) : -1;
                if (!eq || errno || !end || *end || end == eq + 1 || n < 0 || n > DESIRED_REPLICAS_MAX)
                        return log_error_errno(-EINVAL, "invalid --scale '%s': SERVICE=N, N from 0 to %d", *s,
                                               DESIRED_REPLICAS_MAX);
                if (compose_map_set(svc, "scale", compose_node_new_int(n, &svc->mark)) < 0)
                        return log_oom();
        }
        return 0;
}

/* "Container P.web  Waiting 10s: starting (2/3 checks failed: …)" while a start takes long. */
static void print_waiting(const DesiredService *s, const char *why, uint64_t waited_usec, void *userdata) {
        const CmdGlobal *g = userdata;
        _cleanup_free_ char *safe = escape_terminal(why, strlen(why)), *state = NULL;

        if (!safe || asprintf(&state, "Waiting %" PRIu64 "s: %s", waited_usec / USEC_PER_SEC, safe) < 0)
                return;
        cmd_progress(g, "Container", s->machine, state);
}

static int prepare(CmdGlobal *g, const CmdApply *a, bool apply, ComposeProject **ret_project, Reconcile **ret) {
        ReconcileOptions o = {
                .runtime = g->runtime,
                .read_only = !apply,
                .pull = a->pull,
                .pull_now = apply && !g->dry_run && a->pull != IMAGE_PULL_NEVER,
                .progress = cmd_pull_progress(g) && !a->quiet_pull,
                .select = a->select,
                .digests = a->digests,
                .on_waiting = print_waiting,
                .on_pulled = a->quiet_pull ? NULL : cmd_print_pulled,
                .userdata = g,
        };
        NcError err = {};
        int r;

        r = cmd_load_project(g, ret_project);
        if (r < 0)
                return r;
        r = apply_scale(*ret_project, a->scale);
        if (r < 0)
                return r;
        r = reconcile_new(*ret_project, &o, ret, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        STRV_FOREACH(w, (*ret)->desired->warnings)
                log_warning("%s", *w);
        log_debug("Actual state read with %u D-Bus calls, pipelined after one ListUnitsByPatterns.",
                  (*ret)->actual->bus_calls);
        return 0;
}

/* Where the compose file names a service, for --format github. */
static int service_mark(const char *service, const char **ret_file, unsigned *ret_line, unsigned *ret_column,
                        void *userdata) {
        const ComposeNode *services = compose_map_get(((const ComposeProject*) userdata)->model, "services");
        ssize_t i = compose_map_index(services, service);

        char cwd[PATH_MAX];
        const char *rel;

        if (i < 0 || !services->keys[i]->mark.file)
                return -ENOENT;
        /* CI wants the path from where it runs, the repository's top */
        rel = getcwd(cwd, sizeof cwd) ? startswith(services->keys[i]->mark.file, cwd) : NULL;
        *ret_file = rel && rel[0] == '/' ? rel + 1 : services->keys[i]->mark.file;
        *ret_line = services->keys[i]->mark.line;
        *ret_column = services->keys[i]->mark.column;
        return 0;
}

static void print_ci_report(const Reconcile *c, const char *format) {
        _cleanup_free_ char *s = streq(format, "junit") ?
                plan_format_junit(c->plan, c->desired, c->project->name) :
                plan_format_github(c->plan, c->desired, c->project->name, service_mark, (void*) c->project);

        if (!s) {
                log_oom();
                return;
        }
        fputs(s, stdout);
}

int cmd_plan(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *c = NULL;
        CmdApply a = { .pull = IMAGE_PULL_MISSING };
        int r;

        r = cmd_parse(argc, argv, g, parse_plan_option, &a);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (prepare(g, &a, false, &p, &c) < 0)
                return CMD_EXIT_ERROR;
        if (a.ci_format)
                print_ci_report(c, a.ci_format);
        else
                print_plan(g, c, a.json);
        /* A host port another project holds cannot be applied: an error, not drift. */
        STRV_FOREACH(d, c->actual->network_drift)
                if (startswith(*d, "conflict:"))
                        return log_error("%s: published port taken by another project: %s", p->name, *d), 1;
        return c->plan->n_actions == 0 ? 0 : 2;
}

/* up's progress, from the plan: docker's "Container P.S  Started" per service. */
static void print_progress(CmdGlobal *g, const Reconcile *c) {
        for (size_t i = 0; i < c->desired->n_services; i++) {
                const DesiredService *s = &c->desired->services[i];
                bool restart = plan_has_action(c->plan, PLAN_RESTART, s->name);

                if (!reconcile_select_has(&c->options.select, c->desired, s->name))
                        continue;
                if (restart)
                        cmd_progress(g, "Container", s->machine, "Recreated");
                if (c->options.select.no_start)
                        cmd_progress(g, "Container", s->machine, "Created");
                else if (restart || plan_has_action(c->plan, PLAN_START, s->name))
                        cmd_progress(g, "Container", s->machine, "Started");
                else
                        cmd_progress(g, "Container", s->machine, "Running");
        }
}

/* For ls: the compose files this project was last converged from. Best effort. */
static void record_config_files(const ComposeProject *p) {
        _cleanup_free_ char *path = name_config_files_path(p->name), *text = strv_join(p->files, "\n");
        int r;

        if (!path || !text)
                return;
        r = write_file_atomic(path, text, strlen(text), 0644);
        if (r < 0)
                log_debug_errno(r, "Cannot write %s: %m", path);
}

/* The services the plan of @c changed (started, restarted, wrote files of), that the file has. */
static char **changed_services(const Reconcile *c) {
        char **l = NULL;

        for (size_t i = 0; i < c->plan->n_actions; i++) {
                const char *s = c->plan->actions[i].service;

                if (s && desired_state_find_service(c->desired, s) && !strv_contains(l, s) && strv_extend(&l, s) < 0)
                        return strv_free(l);
        }
        return l ?: calloc(1, sizeof(char *));
}

/* Why the apply of @c failed, for a failed generation and the messages: which services, or the
 * timeout. NULL on OOM. */
static char *failure_reason(const Reconcile *c, const CmdApply *a, bool timed_out) {
        _cleanup_free_ char *list = NULL;
        char *why = NULL;

        if (timed_out)
                return asprintf(&why, "services not running|healthy after %ds", a->wait_timeout) < 0 ? NULL : why;
        list = strv_join(c->failed_services, ", ");
        return list && asprintf(&why, "%s did not reach their state", list) >= 0 ? why : NULL;
}

/* Roll back after @c failed: asked (--rollback, or deploy.update_config.failure_action: rollback on
 * a service that failed), and a service that failed is one the apply changed (or it timed out
 * while it changed some): a failure of a service it did not touch is not its to undo. */
static bool wants_rollback(const CmdApply *a, const Reconcile *c, char **changed, bool timed_out) {
        const ComposeNode *services = compose_map_get(c->project->model, "services");
        bool asked = a->rollback, ours = timed_out && strv_length(changed) > 0;

        STRV_FOREACH(name, c->failed_services) {
                const DesiredService *s = desired_state_find_service(c->desired, *name);
                const ComposeNode *svc = s ? compose_map_get(services, s->compose_name) : NULL;
                const ComposeNode *uc = compose_map_get(compose_map_get(svc, "deploy"), "update_config");

                if (!s || !strv_contains(changed, s->name))
                        continue;
                ours = true;
                asked = asked || streq_ptr(compose_map_get_str(uc, "failure_action"), "rollback");
        }
        return asked && ours;
}

/* The id of the good generation installed before @c executes (0: none): what a rollback restores. */
static unsigned installed_generation(const Reconcile *c) {
        Generation *gens = NULL;
        size_t n = 0, i;
        unsigned id;

        if (generations_read(c->project->name, &gens, &n, NULL) < 0)
                return 0;
        i = generation_installed(gens, n, c->actual);
        id = i < n ? gens[i].id : 0;
        generations_free(gens, n);
        return id;
}

/* After @c failed (@why): the services it changed go back to generation @before, the one installed
 * before it (else to the newest good one), which the services the failed apply added are not in:
 * they go. Always an error: the apply did not do what the file says. */
static int roll_back(CmdGlobal *g, Reconcile **c, char **changed, const char *why, unsigned before) {
        _cleanup_free_ char *project = strdup((*c)->project->name), *list = strv_join(changed, ", ");
        const Generation *good;
        Generation *gens = NULL;
        NcError err = {};
        size_t n = 0;
        int r;

        _cleanup_strv_free_ char **added = NULL;

        if (!project || !list)
                return log_oom();
        /* what the failed apply added: changed services that had no unit before it */
        STRV_FOREACH(s, changed) {
                const DesiredService *ds = desired_state_find_service((*c)->desired, *s);

                if (ds && !actual_state_find_unit((*c)->actual, ds->unit) && strv_extend(&added, *s) < 0)
                        return log_oom();
        }
        r = generations_read(project, &gens, &n, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        good = NULL;
        for (size_t i = 0; before > 0 && i < n && !good; i++)
                if (gens[i].id == before && !gens[i].failure)
                        good = &gens[i];
        if (!good)
                good = generation_last_good(gens, n);
        if (!good) {
                generations_free(gens, n);
                return log_error_errno(-EHOSTDOWN, "%s: no earlier generation to roll back to.", why);
        }
        /* the rollback takes the project's lock again */
        *c = reconcile_free(*c);
        log_notice("%s: rolling %s back to generation %u.", why, list, good->id);
        r = cmd_rollback_services(g, project, good, changed, added);
        if (r >= 0)
                log_error("%s: %s; rolled %s back to generation %u.", project, why, list, good->id);
        generations_free(gens, n);
        return -EHOSTDOWN;
}

int cmd_apply_project(CmdGlobal *g, const CmdApply *a, ComposeProject **ret_project) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *c = NULL;
        _cleanup_free_ char *orphans = NULL;
        NcError err = {};
        int r;

        if (prepare(g, a, true, &p, &c) < 0)
                return -EINVAL;
        if (c->orphans && !(orphans = strv_join(c->orphans, ", ")))
                return log_oom();
        if (orphans)
                log_warning("Found orphan containers (%s) for this project. If you removed or renamed this service "
                            "in your compose file, you can run this command with the --remove-orphans flag to "
                            "clean it up.", orphans);
        if (!a->progress || g->dry_run)
                print_plan(g, c, a->json);
        if (g->dry_run)
                goto done;
        if (c->plan->n_actions > 0) {
                unsigned before = installed_generation(c);

                /* --wait-timeout: the wait for systemd's jobs ends then (-ETIME); they go on */
                if (a->wait_timeout > 0)
                        c->options.deadline_usec = now_usec(CLOCK_MONOTONIC) + (uint64_t) a->wait_timeout * USEC_PER_SEC;
                r = reconcile_execute(c, &err);
                STRV_FOREACH(n, c->notes)
                        log_notice("%s", *n);
                STRV_FOREACH(f, c->failures)
                        log_error("Service %s", *f);
                if (r == -EHOSTDOWN && a->ret_failed && !(*a->ret_failed = strv_copy(c->failed_services)))
                        return log_oom();
                if (r == -EHOSTDOWN || r == -ETIME) {
                        _cleanup_strv_free_ char **changed = changed_services(c);
                        _cleanup_free_ char *why = failure_reason(c, a, r == -ETIME);

                        if (!changed || !why)
                                return log_oom();
                        /* the attempt too, for history: never a rollback's target */
                        if (!a->select.services && !a->select.no_start && (r = generation_record(c, why, &err)) < 0)
                                log_warning("Cannot record this generation: %s", err.error ? err.message : strerror(-r));
                        if (wants_rollback(a, c, changed, !c->failures))
                                return roll_back(g, &c, changed, why, before);
                        r = c->failures ? -EHOSTDOWN : -ETIME;
                }
                if (r == -ETIME)
                        return log_error_errno(-ETIMEDOUT, "%s: services not running|healthy after %ds",
                                               p->name, a->wait_timeout);
                if (r == -EHOSTDOWN)
                        return log_error_errno(r, "%zu service(s) did not reach their desired state.",
                                               strv_length(c->failures));
                if (r < 0)
                        return cmd_log_error(r, &err);
        }
        record_config_files(p);
        /* what every service converged to, when it was all of them */
        if (!a->select.services && !a->select.no_start && (r = generation_record(c, NULL, &err)) < 0)
                log_warning("Cannot record this generation: %s", err.error ? err.message : strerror(-r));
        if (a->on_applied && (r = a->on_applied(a->userdata)) < 0)
                return r;
        if (a->progress)
                print_progress(g, c);
        else if (!a->json && c->plan->n_actions > 0)
                printf("%s: applied %zu change(s)\n", p->name, c->plan->n_actions);
done:
        if (ret_project) {
                c = reconcile_free(c);          /* it points to the project */
                *ret_project = TAKE_PTR(p);
        }
        return 0;
}

int cmd_apply(int argc, char *argv[], CmdGlobal *g) {
        CmdApply a = { .pull = IMAGE_PULL_MISSING };
        int r;

        r = cmd_parse(argc, argv, g, parse_plan_option, &a);
        if (r <= 0)
                return cmd_parse_exit(r);
        return cmd_apply_project(g, &a, NULL) < 0 ? CMD_EXIT_ERROR : 0;
}
