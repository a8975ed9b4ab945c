/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <json-c/json.h>
#include <stdio.h>

#include "lib/strv.h"
#include "reconcile/names.h"
#include "reconcile/plan.h"

/* plan_compute() is a pure function of the desired and the actual state. It restarts exactly the
 * services whose effective configuration (the hash H of docs/runtime.md) differs from the one they
 * were started with, plus their restart: true dependents, and nothing else. */

static const char *const kind_table[_PLAN_KIND_MAX] = {
        [PLAN_PULL] = "pull",
        [PLAN_STOP] = "stop",
        [PLAN_WRITE_FILE] = "write-file",
        [PLAN_REMOVE_FILE] = "remove-file",
        [PLAN_DAEMON_RELOAD] = "daemon-reload",
        [PLAN_SYNC_NETWORK] = "sync-network",
        [PLAN_START] = "start",
        [PLAN_RESTART] = "restart",
        [PLAN_REMOVE_STATE] = "remove-state",
};

const char *plan_kind_to_string(PlanKind k) {
        return k >= 0 && k < _PLAN_KIND_MAX ? kind_table[k] : NULL;
}

void plan_action_done(PlanAction *a) {
        free(a->service);
        free(a->unit);
        free(a->path);
        free(a->field);
        free(a->desired);
        free(a->actual);
        free(a->reason);
}

Plan *plan_free(Plan *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_actions; i++)
                plan_action_done(&p->actions[i]);
        free(p->actions);
        free(p);
        return NULL;
}

static char *dup_or_null(const char *s) {
        return s ? strdup(s) : NULL;
}

/* What plan_add() copies into a new action; every string may be NULL. */
typedef struct PlanItem {
        PlanKind kind;
        const char *service, *unit, *path, *field, *desired, *actual, *reason;
} PlanItem;

static int plan_add_item(Plan *p, const PlanItem *i) {
        PlanAction *n = realloc(p->actions, (p->n_actions + 1) * sizeof *n), *a;

        if (!n)
                return -ENOMEM;
        p->actions = n;
        a = &p->actions[p->n_actions];
        *a = (PlanAction) {
                .kind = i->kind,
                .service = dup_or_null(i->service),
                .unit = dup_or_null(i->unit),
                .path = dup_or_null(i->path),
                .field = dup_or_null(i->field),
                .desired = dup_or_null(i->desired),
                .actual = dup_or_null(i->actual),
                .reason = dup_or_null(i->reason),
        };
        if ((i->service && !a->service) || (i->unit && !a->unit) || (i->path && !a->path) ||
            (i->field && !a->field) || (i->desired && !a->desired) || (i->actual && !a->actual) ||
            (i->reason && !a->reason)) {
                plan_action_done(a);
                return -ENOMEM;
        }
        p->n_actions++;
        return 0;
}

/* Appends an action: plan_add(plan, .kind = PLAN_START, .service = "web", .reason = "not running"). */
#define plan_add(plan, ...) plan_add_item((plan), &(const PlanItem) { __VA_ARGS__ })

bool plan_has_action(const Plan *p, PlanKind kind, const char *service) {
        for (size_t i = 0; i < p->n_actions; i++)
                if (p->actions[i].kind == kind && streq_ptr(p->actions[i].service, service))
                        return true;
        return false;
}

static bool file_matches(const DesiredFile *d, const ActualFile *a) {
        if (!a)
                return false;
        if (d->symlink || a->symlink)
                return streq_ptr(d->symlink, a->symlink);
        return a->mode == d->mode && a->size == d->size && (d->size == 0 || memcmp(a->content, d->content, d->size) == 0);
}

static bool is_unit_path(const char *path) {
        return strstr(path, "/systemd/system/") && (endswith(path, ".service") || endswith(path, ".target"));
}

/* Top-level keys of two JSON documents whose values differ: "environment, image". Secret-safe: only
 * key names. NULL when either side is not a JSON object. */
static char *json_changed_keys(const char *desired, const char *actual) {
        json_object *d = json_tokener_parse(desired), *a = actual ? json_tokener_parse(actual) : NULL;
        _cleanup_strv_free_ char **keys = NULL;

        if (!d || !json_object_is_type(d, json_type_object)) {
                json_object_put(d);
                json_object_put(a);
                return NULL;
        }
        json_object_object_foreach(d, k, v) {
                json_object *o = a ? json_object_object_get(a, k) : NULL;
                if (!streq(k, "hash") && !json_object_equal(v, o))
                        (void) strv_extend(&keys, k);
        }
        if (a && json_object_is_type(a, json_type_object)) {
                json_object_object_foreach(a, k2, v2) {
                        (void) v2;
                        if (!json_object_object_get_ex(d, k2, NULL))
                                (void) strv_extend(&keys, k2);
                }
        }
        json_object_put(d);
        json_object_put(a);
        return keys ? strv_join(keys, ", ") : NULL;
}

static int plan_files(Plan *p, const DesiredState *d, const ActualState *a, bool *ret_reload) {
        bool reload = false;
        int r;

        for (size_t i = 0; i < d->n_files; i++) {
                const DesiredFile *f = &d->files[i];
                const ActualFile *af = actual_state_find_file(a, f->path);
                _cleanup_free_ char *fields = NULL;

                if (file_matches(f, af))
                        continue;
                if (af && f->content && af->content && endswith(f->path, ".json"))
                        fields = json_changed_keys(f->content, af->content);
                r = plan_add(p, .kind = PLAN_WRITE_FILE, .service = f->service, .path = f->path,
                             .field = fields, .reason = af ? "content differs" : "missing");
                if (r < 0)
                        return r;
                reload = reload || is_unit_path(f->path);
        }
        for (size_t i = 0; i < a->n_files; i++) {
                if (desired_state_find_file(d, a->files[i].path))
                        continue;
                r = plan_add(p, .kind = PLAN_REMOVE_FILE, .path = a->files[i].path, .reason = "not desired");
                if (r < 0)
                        return r;
                reload = reload || is_unit_path(a->files[i].path);
        }
        for (size_t i = 0; i < a->n_units; i++)
                reload = reload || a->units[i].need_daemon_reload;
        *ret_reload = reload;
        return 0;
}

/* A service whose unit has another name now (one of an earlier release): stopped before its successor
 * starts, its links and runtime state go, its writable layer and anonymous volumes stay. */
static int plan_renamed(Plan *p, const ActualUnit *u, const DesiredService *s) {
        if (streq(u->active_state, "inactive"))
                return 0;
        return plan_add(p, .kind = PLAN_STOP, .service = u->service, .unit = u->name, .field = "unit",
                        .desired = s->unit, .actual = u->name, .reason = "the unit is renamed");
}

static int plan_orphans(Plan *p, const DesiredState *d, const ActualState *a) {
        for (size_t i = 0; i < a->n_units; i++) {
                const ActualUnit *u = &a->units[i];
                const DesiredService *s;
                int r;

                if (!u->service)
                        continue;
                s = desired_state_find_service(d, u->service);
                if (s && streq(s->unit, u->name))
                        continue;
                if (s) {
                        r = plan_renamed(p, u, s);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!streq(u->active_state, "inactive")) {
                        r = plan_add(p, .kind = PLAN_STOP, .service = u->service, .unit = u->name,
                                     .field = "state", .desired = "removed", .actual = u->active_state,
                                     .reason = "service no longer in the compose file");
                        if (r < 0)
                                return r;
                }
                r = plan_add(p, .kind = PLAN_REMOVE_STATE, .service = u->service, .unit = u->name,
                             .reason = "machine, netns and writable layer of a removed service");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Why @s must restart, or NULL: the hash it was started with differs from the desired one. A unit
 * still starting (a healthcheck not yet passed) has recorded no hash: then the one of the file it
 * was loaded from counts. */
static char *restart_fields(const Plan *p, const DesiredService *s, const ActualState *a, const ActualUnit *u) {
        const char *started = actual_state_started_hash(a, s->name) ?: u->file_hash;
        _cleanup_strv_free_ char **fields = NULL;

        if (!started || streq(started, s->hash))
                return NULL;
        for (size_t i = 0; i < p->n_actions; i++) {
                const PlanAction *x = &p->actions[i];
                if (x->kind == PLAN_WRITE_FILE && streq_ptr(x->service, s->name))
                        (void) strv_extend(&fields, x->field ?: strrchr(x->path, '/') + 1);
        }
        if (!fields)
                return strdup("configuration");         /* files already written (someone reloaded) */
        return strv_join(fields, ", ");
}

static int plan_service(Plan *p, const DesiredState *d, const DesiredService *s, const ActualState *a) {
        const ActualUnit *u = actual_state_find_unit(a, s->unit);
        _cleanup_free_ char *fields = NULL;

        if (!actual_unit_running(u)) {
                _cleanup_free_ char *why = NULL;
                if (u && streq(u->active_state, "failed") &&
                    asprintf(&why, "failed (%s)", strempty(u->result)) < 0)
                        return -ENOMEM;
                return plan_add(p, .kind = PLAN_START, .service = s->name, .unit = s->unit, .field = "state",
                                .desired = "active", .actual = u ? u->active_state : "absent",
                                .reason = why ?: "not running");
        }
        fields = restart_fields(p, s, a, u);
        if (fields)
                return plan_add(p, .kind = PLAN_RESTART, .service = s->name, .unit = s->unit, .field = fields,
                                .desired = s->hash, .actual = actual_state_started_hash(a, s->name),
                                .reason = "configuration changed");
        /* restart: true dependents follow their dependency (PartOf=, which systemd enforces too when
         * someone restarts the dependency by hand). Any other dependent keeps running: apply stops a
         * changed service alone, as docker compose recreates it. */
        for (size_t i = 0; i < s->n_deps; i++)
                if (s->deps[i].restart && plan_has_action(p, PLAN_RESTART, s->deps[i].service))
                        return plan_add(p, .kind = PLAN_RESTART, .service = s->name, .unit = s->unit,
                                        .field = "depends_on",
                                        .reason = "a dependency restarts (restart: true)");
        (void) d;
        return 0;
}

/* Services in dependency order: a service comes after everything it depends on. */
static int plan_services(Plan *p, const DesiredState *d, const ActualState *a) {
        _cleanup_free_ bool *done = calloc(MAX(d->n_services, (size_t) 1), sizeof(bool));
        size_t n_done = 0;

        if (!done)
                return -ENOMEM;
        while (n_done < d->n_services) {
                bool progress = false;

                for (size_t i = 0; i < d->n_services; i++) {
                        const DesiredService *s = &d->services[i];
                        bool ready = !done[i];
                        int r;

                        for (size_t j = 0; ready && j < s->n_deps; j++) {
                                const DesiredService *dep = desired_state_find_service(d, s->deps[j].service);
                                ready = !dep || done[dep - d->services];
                        }
                        if (!ready)
                                continue;
                        r = plan_service(p, d, s, a);
                        if (r < 0)
                                return r;
                        done[i] = progress = true;
                        n_done++;
                }
                if (!progress)
                        return -ELOOP;          /* the loader rejects cycles; defend anyway */
        }
        return 0;
}

/* The network unit re-runs net-up when project.json changed under a running unit, or nftables drifted. */
static int plan_network(Plan *p, const ActualState *a, const char *network) {
        const ActualUnit *u = actual_state_find_unit(a, network);
        int r;

        STRV_FOREACH(line, a->network_drift) {
                r = plan_add(p, .kind = PLAN_SYNC_NETWORK, .unit = network, .field = "network", .reason = *line);
                if (r < 0)
                        return r;
        }
        if (!actual_unit_running(u) || a->network_drift)
                return 0;
        for (size_t i = 0; i < p->n_actions; i++)
                if (p->actions[i].kind == PLAN_WRITE_FILE && endswith(p->actions[i].path, "/project.json"))
                        return plan_add(p, .kind = PLAN_SYNC_NETWORK, .unit = network, .field = p->actions[i].field,
                                        .reason = "networks or published ports changed");
        return 0;
}

int plan_compute(const DesiredState *d, const ActualState *a, Plan **ret) {
        _cleanup_(plan_freep) Plan *p = calloc(1, sizeof *p);
        _cleanup_free_ char *target = name_target_unit(d->project), *network = name_network_unit(d->project);
        const ActualUnit *u;
        bool reload;
        int r;

        assert(d);
        assert(a);
        assert(ret);

        if (!p || !target || !network)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_services; i++) {
                if (!isempty(d->services[i].image_digest))
                        continue;
                r = plan_add(p, .kind = PLAN_PULL, .service = d->services[i].name, .field = "image",
                             .desired = d->services[i].image, .reason = "image not in the local store");
                if (r < 0)
                        return r;
        }
        r = plan_orphans(p, d, a);
        if (r < 0)
                return r;
        r = plan_files(p, d, a, &reload);
        if (r < 0)
                return r;
        if (reload) {
                r = plan_add(p, .kind = PLAN_DAEMON_RELOAD, .reason = "unit files changed");
                if (r < 0)
                        return r;
        }
        r = plan_network(p, a, network);
        if (r < 0)
                return r;
        r = plan_services(p, d, a);
        if (r < 0)
                return r;
        u = actual_state_find_unit(a, target);
        if (!actual_unit_running(u)) {
                r = plan_add(p, .kind = PLAN_START, .unit = target, .field = "state", .desired = "active",
                             .actual = u ? u->active_state : "absent", .reason = "project target not active");
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

/* ---- output -------------------------------------------------------------------------------- */

char *plan_format_text(const Plan *p, bool color) {
        StrBuf b = {};

        for (size_t i = 0; i < p->n_actions; i++) {
                const PlanAction *a = &p->actions[i];
                const char *c = "", *e = color ? "\033[0m" : "";

                if (color)
                        c = a->kind == PLAN_STOP || a->kind == PLAN_REMOVE_FILE || a->kind == PLAN_REMOVE_STATE ?
                                "\033[31m" : a->kind == PLAN_RESTART || a->kind == PLAN_WRITE_FILE ? "\033[33m" : "\033[32m";
                strbuf_printf(&b, "%s%-13s%s", c, plan_kind_to_string(a->kind), e);
                if (a->path || a->unit || a->service)
                        strbuf_printf(&b, " %s", a->path ?: a->unit ?: a->service);
                if (a->service && (a->path || a->unit))
                        strbuf_printf(&b, " [%s]", a->service);
                if (a->field)
                        strbuf_printf(&b, " %s", a->field);
                strbuf_printf(&b, ": %s\n", strempty(a->reason));
        }
        return strbuf_steal(&b);
}

static void json_add_str(json_object *o, const char *k, const char *v) {
        json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

char *plan_format_json(const Plan *p, const char *project) {
        json_object *root = json_object_new_object(), *list = json_object_new_array();
        char *s;

        for (size_t i = 0; i < p->n_actions; i++) {
                const PlanAction *a = &p->actions[i];
                json_object *o = json_object_new_object();

                json_add_str(o, "kind", plan_kind_to_string(a->kind));
                json_add_str(o, "service", a->service);
                json_add_str(o, "unit", a->unit);
                json_add_str(o, "path", a->path);
                json_add_str(o, "field", a->field);
                json_add_str(o, "desired", a->desired);
                json_add_str(o, "actual", a->actual);
                json_add_str(o, "reason", a->reason);
                json_object_array_add(list, o);
        }
        json_add_str(root, "project", project);
        json_object_object_add(root, "in_sync", json_object_new_boolean(p->n_actions == 0));
        json_object_object_add(root, "changes", list);
        s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
        return s;
}
