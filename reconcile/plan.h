/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "reconcile/actual.h"
#include "reconcile/render/desired.h"

/* The plan: a pure function of the desired and the actual state (docs/plan-format.md). */

typedef enum PlanKind {
        PLAN_PULL,                      /* image not in the store */
        PLAN_STOP,                      /* orphan service: stop before its files go */
        PLAN_WRITE_FILE,
        PLAN_REMOVE_FILE,
        PLAN_DAEMON_RELOAD,
        PLAN_SYNC_NETWORK,              /* bridges, masquerade, published ports (net-up) */
        PLAN_START,
        PLAN_RESTART,
        PLAN_REMOVE_STATE,              /* orphan service: writable layer, netns, runtime dir */
        _PLAN_KIND_MAX,
        _PLAN_KIND_INVALID = -EINVAL,
} PlanKind;

typedef struct PlanAction {
        PlanKind kind;
        char *service;                  /* NULL: project-wide */
        char *unit;                     /* for START/RESTART/STOP */
        char *path;                     /* for WRITE_FILE/REMOVE_FILE */
        char *field;                    /* what differs: "environment", "image", "unit", "state", … */
        char *desired, *actual;         /* short values; never secret values */
        char *reason;                   /* one line for people */
} PlanAction;

typedef struct Plan {
        PlanAction *actions;
        size_t n_actions;
} Plan;

/* Frees what @a holds, not @a itself. */
void plan_action_done(PlanAction *a);
Plan *plan_free(Plan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Plan*, plan_free);
const char *plan_kind_to_string(PlanKind k);
/* Does @p hold an action @kind for @service? */
bool plan_has_action(const Plan *p, PlanKind kind, const char *service);

/* The pure heart: what to do to turn @a into @d. Ordered: pull, stop orphans, files, reload,
 * network, start/restart (dependency order), orphan state. Never restarts an unchanged service. */
int plan_compute(const DesiredState *d, const ActualState *a, Plan **ret);

/* Text (one line per action; @color for a terminal) or JSON (docs/plan-format.md). NULL on OOM. */
char *plan_format_text(const Plan *p, bool color);
char *plan_format_json(const Plan *p, const char *project);
/* plan-report.c: the plan as CI reads it, one check per resource of @d (each service, each file of
 * ours, the network, systemd's reload), each plan action failing the one it concerns. JUnit XML;
 * or GitHub workflow commands (::error per drifted resource, at the compose position @mark gives a
 * service, if any; one ::notice when in sync). NULL on OOM. */
typedef int (*PlanMarkFunc)(const char *service, const char **ret_file, unsigned *ret_line, unsigned *ret_column,
                            void *userdata);
char *plan_format_junit(const Plan *p, const DesiredState *d, const char *project);
char *plan_format_github(const Plan *p, const DesiredState *d, const char *project, PlanMarkFunc mark,
                         void *userdata);
