/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ==== Actual state, plan and apply: reconcile/{bus,actual,plan,apply}.c ========================
 * (to be folded into reconcile.h, the module's one public header) */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "lib/error.h"
#include "lib/macro.h"

typedef struct DesiredState DesiredState;

typedef struct ActualUnit {
        char *name;
        char *load_state, *active_state, *sub_state;
        char *result;                   /* Service.Result ("success", "exit-code", "timeout", …) */
        char *invocation_id;            /* 32 hex digits; "" when never started */
        char *status_text;              /* Service.StatusText: health as the wrapper reports it */
        char *fragment_path;
        bool need_daemon_reload;
        uint32_t n_restarts;
        char *service;                  /* X-NspawnCompose-Service from the file; NULL for target/network */
} ActualUnit;

typedef struct ActualFile {
        char *path;
        char *content;                  /* NULL for a symlink */
        size_t size;
        mode_t mode;
        char *symlink;
} ActualFile;

typedef struct ActualState {
        char *project;
        ActualFile *files;              /* every file of ours on disk, sorted by path */
        size_t n_files;
        ActualUnit *units;              /* every unit of ours systemd knows or has a file for, sorted */
        size_t n_units;
        char **started_hashes;          /* "S=H" from /run/nspawn-compose/P/S/started-hash */
        char **network_drift;           /* what netfilter found missing/extra/altered, one line each */
        unsigned bus_calls;             /* D-Bus round trips it took to read this */
} ActualState;

ActualState *actual_state_free(ActualState *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(ActualState*, actual_state_free);

/* Reads our files for @project from below @root (/ normally) — the settings directory, our units, the
 * target's wants symlink, plus the paths in @also (the desired files kept elsewhere, e.g. ipam.json) —
 * our units from systemd through @bus (NULL: files only), and the started hashes. */
int actual_read(sd_bus *bus, const char *project, const char *root, bool runtime, char * const *also,
                ActualState **ret, NcError *reterr);
const ActualUnit *actual_state_find_unit(const ActualState *a, const char *name);
const ActualFile *actual_state_find_file(const ActualState *a, const char *path);
const char *actual_state_started_hash(const ActualState *a, const char *service);

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

Plan *plan_free(Plan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Plan*, plan_free);
const char *plan_kind_to_string(PlanKind k);

/* The pure heart: what to do to turn @a into @d. Ordered: pull, stop orphans, files, reload,
 * network, start/restart (dependency order), orphan state. Never restarts an unchanged service. */
int plan_compute(const DesiredState *d, const ActualState *a, Plan **ret);

/* Text (one line per action; @color for a terminal) or JSON (docs/plan-format.md). NULL on OOM. */
char *plan_format_text(const Plan *p, bool color);
char *plan_format_json(const Plan *p, const char *project);

/* ---- systemd jobs (bus.c) ---- */
typedef struct BusJobs BusJobs;
/* Subscribes to the manager and watches JobRemoved. */
int bus_jobs_new(sd_bus *bus, BusJobs **ret);
BusJobs *bus_jobs_free(BusJobs *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusJobs*, bus_jobs_free);
/* Queues @method ("StartUnit", "RestartUnit", "StopUnit") for @unit in mode "replace". */
int bus_jobs_queue(BusJobs *j, const char *method, const char *unit, sd_bus_error *error);
/* Waits until every queued job is removed. */
int bus_jobs_wait(BusJobs *j);
/* Result of the last job of @unit ("done", "failed", "dependency", "timeout", …) or NULL. */
const char *bus_jobs_result(const BusJobs *j, const char *unit);
/* A connection to systemd: its private socket when we are root, else the system bus. */
int bus_open_systemd(sd_bus **ret);
int bus_daemon_reload(sd_bus *bus, sd_bus_error *error);
int bus_reset_failed(sd_bus *bus, const char *unit);

/* ---- prepare and execute (apply.c) ---- */
typedef struct ComposeProject ComposeProject;
typedef struct FwPort FwPort;
typedef struct FwNetwork FwNetwork;

typedef struct ReconcileOptions {
        bool runtime;                   /* units and settings under /run */
        bool offline;                   /* render + files only: no lock, no bus, no nft (tests, render) */
        bool read_only;                 /* plan, ps: no lock (never blocks behind an apply) */
        bool pull_now;                  /* pull images while preparing (apply; not plan/dry-run) */
        int pull;                       /* ImagePullPolicy */
        bool progress;
        const char *exe;                /* NULL: the default path in units */
} ReconcileOptions;

typedef struct Reconcile {
        const ComposeProject *project;
        ReconcileOptions options;
        sd_bus *bus;
        int lock_fd;
        DesiredState *desired;
        ActualState *actual;
        Plan *plan;
        char **digests;                 /* "image\ndigest" resolved from the store */
        char **failures;                /* per failed service: what and the journal tail */
} Reconcile;

/* Locks, renders, pulls (if asked), reads the actual state and computes the plan. */
int reconcile_new(const ComposeProject *p, const ReconcileOptions *o, Reconcile **ret, NcError *reterr);
Reconcile *reconcile_free(Reconcile *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Reconcile*, reconcile_free);
/* Executes c->plan. -EHOSTDOWN when services did not reach their state (c->failures says which). */
int reconcile_execute(Reconcile *c, NcError *reterr);
/* Fills ports[d->n_ports] and nets[d->n_networks] (strings borrowed from @d). */
void reconcile_fw_model(const DesiredState *d, FwPort *ports, FwNetwork *nets);
/* Everything of the project gone: units stopped and removed, machines, links, netns, nft elements,
 * state; named volumes too with @volumes; images always kept. */
int reconcile_down(Reconcile *c, bool volumes, NcError *reterr);
