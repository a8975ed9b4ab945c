/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "reconcile/reconcile.h"
#include "reconcile/runtime/runtime.h"
#include "lib/log.h"
#include "lib/strv.h"

/* plan: the drift report (exit 0 in sync, 2 drift, 1 error). apply: converge once. */

typedef struct PlanArgs {
        bool json, dry_run, runtime, is_apply;
        ImagePullPolicy pull;
} PlanArgs;

static int parse_args(int argc, char *argv[], bool is_apply, PlanArgs *a) {
        static const struct option options[] = {
                { "format",  required_argument, NULL, 'F' },
                { "dry-run", no_argument,       NULL, 'n' },
                { "pull",    required_argument, NULL, 'P' },
                { "runtime", no_argument,       NULL, 'R' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        int c;

        *a = (PlanArgs) { .pull = IMAGE_PULL_MISSING, .is_apply = is_apply };
        while ((c = getopt_long(argc, argv, "nh", options, NULL)) >= 0)
                switch (c) {
                case 'F':
                        if (!streq(optarg, "text") && !streq(optarg, "json"))
                                return log_error_errno(-EINVAL, "Unknown format '%s': expected text or json.", optarg);
                        a->json = streq(optarg, "json");
                        break;
                case 'n':
                        if (!is_apply)
                                return log_error_errno(-EINVAL, "--dry-run is an option of apply.");
                        a->dry_run = true;
                        break;
                case 'P':
                        a->pull = image_pull_policy_from_string(optarg);
                        if (a->pull < 0)
                                return log_error_errno(-EINVAL, "Unknown pull policy '%s': expected missing, "
                                                       "always or never.", optarg);
                        break;
                case 'R':
                        a->runtime = true;
                        break;
                case 'h':
                        printf("Usage: nspawn-compose %s [--format text|json] [--runtime]%s\n", argv[0],
                               is_apply ? " [--dry-run] [--pull missing|always|never]" : "");
                        return 0;
                default:
                        return -EINVAL;
                }
        return 1;
}

static void print_plan(const Reconcile *c, bool json) {
        _cleanup_free_ char *s = json ? plan_format_json(c->plan, c->project->name)
                                      : plan_format_text(c->plan, isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));

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

static int prepare(CmdGlobal *g, const PlanArgs *a, bool pull_now, ComposeProject **ret_project,
                   Reconcile **ret) {
        ReconcileOptions o = {
                .runtime = a->runtime,
                .read_only = !pull_now && !a->dry_run && !a->is_apply,
                .pull = a->pull,
                .pull_now = pull_now && a->pull != IMAGE_PULL_NEVER,
                .progress = isatty(STDERR_FILENO),
        };
        NcError err = {};
        int r;

        r = cmd_load_project(g, ret_project);
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

int cmd_plan(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *c = NULL;
        PlanArgs a;
        int r;

        r = parse_args(argc, argv, false, &a);
        if (r <= 0)
                return r < 0;
        if (prepare(g, &a, false, &p, &c) < 0)
                return 1;
        print_plan(c, a.json);
        /* A host port another project holds cannot be applied: an error, not drift. */
        STRV_FOREACH(d, c->actual->network_drift)
                if (startswith(*d, "conflict:"))
                        return log_error("%s: published port taken by another project: %s", p->name, *d), 1;
        return c->plan->n_actions == 0 ? 0 : 2;
}

int cmd_apply(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *c = NULL;
        NcError err = {};
        PlanArgs a;
        int r;

        r = parse_args(argc, argv, true, &a);
        if (r <= 0)
                return r < 0;
        if (prepare(g, &a, !a.dry_run, &p, &c) < 0)
                return 1;
        print_plan(c, a.json);
        if (a.dry_run || c->plan->n_actions == 0)
                return 0;
        r = reconcile_execute(c, &err);
        STRV_FOREACH(n, c->notes)
                log_notice("%s", *n);
        STRV_FOREACH(f, c->failures)
                log_error("Service %s", *f);
        if (r == -EHOSTDOWN)
                return log_error("%zu service(s) did not reach their desired state.", strv_length(c->failures)), 1;
        if (r < 0)
                return cmd_log_error(r, &err), 1;
        if (!a.json)
                printf("%s: applied %zu change(s)\n", p->name, c->plan->n_actions);
        return 0;
}
