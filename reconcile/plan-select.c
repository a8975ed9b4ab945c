/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "lib/strv.h"
#include "reconcile/reconcile.h"

/* up SERVICE..., --no-deps, --force-recreate, --no-recreate, --remove-orphans and create narrow or
 * widen the plan plan_compute() made for the whole project, here, so that the plan stays a function
 * of the desired and the actual state and apply executes whatever plan it is given. */

/* Adds @service and, unless @no_deps, everything it depends on, transitively. */
static int select_add(char ***set, const DesiredState *d, const char *service, bool no_deps) {
        const DesiredService *s = desired_state_find_service(d, service);
        int r;

        if (strv_contains(*set, service))
                return 0;
        r = strv_extend(set, service);
        if (r < 0 || !s || no_deps)
                return r;
        for (size_t i = 0; i < s->n_deps; i++) {
                r = select_add(set, d, s->deps[i].service, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A compose service named on the command line means every replica of it. */
static int select_add_replicas(char ***set, const DesiredState *d, const char *service, bool no_deps) {
        int r = select_add(set, d, service, no_deps);

        for (size_t i = 0; r >= 0 && i < d->n_services; i++)
                if (d->services[i].replica > 1 && streq(d->services[i].compose_name, service))
                        r = select_add(set, d, d->services[i].name, no_deps);
        return r;
}

/* A machine of a service the file still has, beyond its replica count now: replica N > 1 of S, as
 * its unit file says (X-NspawnCompose-Replica-Of=S), or S itself scaled to 0. Scaling down removes
 * it, as docker compose does, --remove-orphans or not. */
static bool is_scaled_down(const DesiredState *d, const ActualState *a, const char *service) {
        if (strv_contains(d->compose_services, service))
                return true;
        for (size_t i = 0; i < a->n_units; i++)
                if (streq_ptr(a->units[i].service, service) && a->units[i].replica_of &&
                    strv_contains(d->compose_services, a->units[i].replica_of))
                        return true;
        return false;
}

static char **select_set(const ReconcileSelect *s, const DesiredState *d, bool recreated) {
        char **set = NULL;
        bool grew = recreated;

        STRV_FOREACH(n, s->services)
                if (select_add_replicas(&set, d, *n, s->no_deps) < 0)
                        return strv_free(set);
        while (set && grew) {
                grew = false;
                for (size_t i = 0; i < d->n_services; i++) {
                        const DesiredService *x = &d->services[i];

                        if (strv_contains(set, x->name))
                                continue;
                        for (size_t k = 0; k < x->n_deps && !grew; k++)
                                if (x->deps[k].restart && strv_contains(set, x->deps[k].service)) {
                                        if (select_add(&set, d, x->name, s->no_deps) < 0)
                                                return strv_free(set);
                                        grew = true;
                                }
                }
        }
        return set ?: calloc(1, sizeof(char*));
}

bool reconcile_select_has(const ReconcileSelect *s, const DesiredState *d, const char *service) {
        _cleanup_strv_free_ char **set = NULL;

        if (!s->services)
                return true;
        set = select_set(s, d, false);
        return set && strv_contains(set, service);
}

/* A file of a service no longer in the compose file: its unit (and a wants link to it), its
 * S.json and S.hosts (names.h, render). */
static bool is_orphan_file(const char *path, char * const *orphans, char * const *units) {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

        if (strv_contains(units, base))
                return true;
        STRV_FOREACH(o, orphans) {
                size_t l = strlen(*o);
                if (strncmp(base, *o, l) == 0 && (streq(base + l, ".json") || streq(base + l, ".hosts")))
                        return true;
        }
        return false;
}

static int add_recreate(Plan *p, const DesiredService *s) {
        PlanAction *n = realloc(p->actions, (p->n_actions + 1) * sizeof *n);

        if (!n)
                return -ENOMEM;
        p->actions = n;
        n[p->n_actions] = (PlanAction) {
                .kind = PLAN_RESTART,
                .service = strdup(s->name),
                .unit = strdup(s->unit),
                .field = strdup("force-recreate"),
                .reason = strdup("recreate asked for (--force-recreate)"),
        };
        if (!n[p->n_actions].service || !n[p->n_actions].unit || !n[p->n_actions].field || !n[p->n_actions].reason) {
                plan_action_done(&n[p->n_actions]);
                return -ENOMEM;
        }
        p->n_actions++;
        return 0;
}

/* Whether the action @a stays in the plan. */
static bool keep_action(const PlanAction *a, const DesiredState *d, const ActualState *actual,
                        const ReconcileSelect *s, char * const *set, char * const *recreate_set,
                        char * const *orphans, char * const *orphan_units) {
        bool orphan = a->service && !desired_state_find_service(d, a->service) && !is_scaled_down(d, actual, a->service) &&
                !strv_contains(s->remove_orphans, a->service);

        switch (a->kind) {
        case PLAN_STOP:
        case PLAN_REMOVE_STATE:
                return !(orphan && s->keep_orphans);
        case PLAN_REMOVE_FILE:
                return !(s->keep_orphans && is_orphan_file(a->path, orphans, orphan_units));
        case PLAN_PULL:
                return !set || strv_contains(set, a->service);
        case PLAN_RESTART:
        case PLAN_START:
                if (s->no_start || (a->kind == PLAN_RESTART && s->no_recreate))
                        return false;
                if (!a->service)        /* the target: it would start every service it wants */
                        return !set;
                return !set || strv_contains(a->kind == PLAN_RESTART ? recreate_set : set, a->service);
        case PLAN_WRITE_FILE:
        case PLAN_DAEMON_RELOAD:
        case PLAN_SYNC_NETWORK:
        case _PLAN_KIND_MAX:
        case _PLAN_KIND_INVALID:
                return true;
        }
        return true;
}

int plan_select(Plan *p, const DesiredState *d, const ActualState *a, const ReconcileSelect *s, char ***ret_orphans) {
        _cleanup_strv_free_ char **set = NULL, **recreate_set = NULL, **orphans = NULL, **orphan_units = NULL;
        size_t k = 0;
        int r;

        if (s->services && (!(set = select_set(s, d, false)) || !(recreate_set = select_set(s, d, true))))
                return -ENOMEM;
        for (size_t i = 0; s->keep_orphans && i < a->n_units; i++) {
                const ActualUnit *u = &a->units[i];

                if (!u->service || desired_state_find_service(d, u->service) || strv_contains(orphans, u->service) ||
                    is_scaled_down(d, a, u->service) || strv_contains(s->remove_orphans, u->service))
                        continue;
                if (strv_extend(&orphans, u->service) < 0 || strv_extend(&orphan_units, u->name) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < p->n_actions; i++) {
                PlanAction *x = &p->actions[i];

                if (keep_action(x, d, a, s, set, recreate_set, orphans, orphan_units)) {
                        p->actions[k++] = *x;
                        continue;
                }
                plan_action_done(x);
        }
        p->n_actions = k;
        for (size_t i = 0; s->force_recreate && !s->no_start && i < d->n_services; i++) {
                const DesiredService *ds = &d->services[i];

                if ((set && !strv_contains(set, ds->name)) || !actual_unit_running(actual_state_find_unit(a, ds->unit)) ||
                    plan_has_action(p, PLAN_RESTART, ds->name) || plan_has_action(p, PLAN_START, ds->name))
                        continue;
                r = add_recreate(p, ds);
                if (r < 0)
                        return r;
        }
        if (ret_orphans)
                *ret_orphans = TAKE_PTR(orphans);
        return 0;
}
