/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "lib/error.h"
#include "lib/macro.h"
#include "reconcile/compose/compose.h"

/* The reconcile module: desired state (render), actual state, plan and apply. */

/* ==== Desired state (render): reconcile/desired*.c =============================================
 *
 * desired_render() turns a loaded, canonical project into exactly the files apply installs
 * (docs/runtime.md) plus the facts plan/apply need. Pure: the only input besides the project is
 * DesiredOptions (previous ipam.json, image digests); the only file reads are the content of
 * env_files, configs and secrets for the service hash (unreadable ones are hashed as such). */

typedef struct DesiredFile {
        char *path;                     /* absolute, as under / ("/etc/systemd/system/x.service") */
        char *content;                  /* NUL-terminated; NULL for a symlink */
        size_t size;
        mode_t mode;                    /* 0644, 0600 for S.json and secrets */
        char *symlink;                  /* non-NULL: a symlink to this target instead of a file */
        char *service;                  /* the service the file belongs to; NULL: project-wide */
} DesiredFile;

typedef struct DesiredDependency {
        char *service;
        char *condition;                /* service_started | service_healthy | service_completed_successfully */
        bool required;                  /* Requires= (true) or Wants= */
        bool restart;                   /* restart this service when the dependency restarts (PartOf=) */
} DesiredDependency;

typedef struct DesiredService {
        char *name;                     /* compose service name */
        char *unit;                     /* nspawn-compose-P-S.service */
        char *machine;                  /* P-S */
        char *hash;                     /* H, 64 hex digits (docs/runtime.md) */
        char *image;                    /* image reference as written */
        char *image_digest;             /* "sha256:…", "" when unknown */
        char *settings_path;            /* /etc/nspawn-compose/P/S.json */
        DesiredDependency *deps;
        size_t n_deps;
        bool oneshot;                   /* a dependent waits for successful completion */
        bool has_healthcheck;           /* compose defines a test (not NONE) */
        char **inputs;                  /* env_files, configs, secrets files hashed into H */
} DesiredService;

typedef struct DesiredNetwork {
        char *name;                     /* compose key */
        char *bridge;                   /* nc-<10 hex> */
        char *subnet, *gateway;         /* "10.89.0.0/24", "10.89.0.1" */
        char *ipv6_subnet, *ipv6_gateway;       /* NULL: no IPv6 */
        bool internal;
} DesiredNetwork;

typedef struct DesiredPort {
        char *service;
        char *protocol;                 /* "tcp" | "udp" | "sctp" */
        char *host_ip;                  /* "" = every host address */
        uint16_t host_port;
        char *target_ip;
        uint16_t target_port;
        bool allocated;                 /* container-only port: host port chosen by us, persisted */
} DesiredPort;

typedef struct DesiredState {
        char *project;
        DesiredFile *files;             /* sorted by path */
        size_t n_files;
        DesiredService *services;       /* sorted by name */
        size_t n_services;
        DesiredNetwork *networks;       /* sorted by name */
        size_t n_networks;
        DesiredPort *ports;             /* in project.json order */
        size_t n_ports;
        char **warnings;                /* "file:line:col: key.path: message": ignored settings */
} DesiredState;

/* Returns the image digest ("sha256:…") for @image, or NULL when not known (not pulled). */
typedef const char *(*DesiredImageDigest)(const char *image, void *userdata);

/* A DesiredImageDigest reading the local image store (refs.json; no network). @userdata is a
 * `char ***` cache, freed with strv_free() after the DesiredState is no longer rendered. */
const char *desired_store_digest(const char *image, void *userdata);

typedef struct DesiredOptions {
        const char *ipam_json;          /* previous /var/lib/nspawn-compose/P/ipam.json; NULL: none */
        char **taken_subnets;           /* IPv4 subnets other projects use ("10.89.0.0/24"); skipped */
        const char *exe;                /* program in ExecStart=; NULL: /usr/bin/nspawn-compose */
        bool runtime;                   /* units under /run/systemd/system, settings under /run */
        DesiredImageDigest image_digest;
        void *userdata;
} DesiredOptions;

#define DESIRED_EXE_DEFAULT "/usr/bin/nspawn-compose"

/* 0 and *ret, or -errno: -EOPNOTSUPP when the project uses something nspawn-compose cannot honour
 * (the first such problem in @reterr, with its position and key path; desired_check() lists all),
 * -EINVAL for bad values (subnets, addresses, ports), -EADDRINUSE/-ENOSPC for allocation failures. */
int desired_render(const ComposeProject *p, const DesiredOptions *o, DesiredState **ret, NcError *reterr);
DesiredState *desired_state_free(DesiredState *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(DesiredState*, desired_state_free);

/* Every setting the project uses that nspawn-compose cannot honour (*ret_errors) or ignores
 * (*ret_warnings), as "file:line:col: key.path: message". 0 or -ENOMEM. */
int desired_check(const ComposeProject *p, char ***ret_errors, char ***ret_warnings);

const DesiredFile *desired_state_find_file(const DesiredState *s, const char *path);
const DesiredService *desired_state_find_service(const DesiredState *s, const char *name);

/* Writes every file of @s below @root ("/" for apply; the output directory for render) with
 * write_file_atomic(), symlinks likewise (temp + rename). Files of other projects and stale files are
 * not touched. Returns the number of files changed, or -errno with the path in @reterr. */
int desired_write(const DesiredState *s, const char *root, NcError *reterr);

/* IPv4 subnets recorded in the ipam.json of every project but @project below @state_dir (NULL: the
 * state directory), for DesiredOptions.taken_subnets. Unreadable files are skipped. 0 or -errno. */
int desired_taken_subnets(const char *state_dir, const char *project, char ***ret);

/* Where apply keeps the IPAM allocation that desired_render() takes back as DesiredOptions.ipam_json. */
char *desired_ipam_path(const char *project);

/* Escaping of values placed in unit files (NULL on OOM):
 * - unit_value_escape(): a free-text value (Description=): '%' → "%%"; control characters, invalid
 *   UTF-8, a trailing backslash and leading/trailing blanks as literal "\xNN" text.
 * - unit_exec_arg_escape(): one ExecStart= argument, read back byte-exact by systemd: quoted when
 *   needed, C escapes for '\\', '"', control characters and invalid UTF-8, '%' → "%%", '$' → "$$". */
char *unit_value_escape(const char *s);
char *unit_exec_arg_escape(const char *s);

/* ==== end of desired state ==================================================================== */

/* ==== Actual state, plan and apply: reconcile/{actual,plan,bus,apply}.c =========================
 *
 * Actual state is what of ours is really on the host; plan_compute() is a pure function of the
 * desired and the actual state; apply executes a plan (docs/plan-format.md). */


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
        char *file_hash;                /* X-NspawnCompose-Hash of the installed file, or NULL */
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
/* Does @p hold an action @kind for @service? */
bool plan_has_action(const Plan *p, PlanKind kind, const char *service);

/* The pure heart: what to do to turn @a into @d. Ordered: pull, stop orphans, files, reload,
 * network, start/restart (dependency order), orphan state. Never restarts an unchanged service. */
int plan_compute(const DesiredState *d, const ActualState *a, Plan **ret);

/* Text (one line per action; @color for a terminal) or JSON (docs/plan-format.md). NULL on OOM. */
char *plan_format_text(const Plan *p, bool color);
char *plan_format_json(const Plan *p, const char *project);

/* ---- systemd jobs (bus.c) ---- */
#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

/* "nspawn-compose-P.target", the unit that groups project @project. NULL on OOM. */
char *reconcile_target_name(const char *project);

typedef struct BusJobs BusJobs;
/* Subscribes to the manager and watches JobRemoved. */
int bus_jobs_new(sd_bus *bus, BusJobs **ret);
BusJobs *bus_jobs_free(BusJobs *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusJobs*, bus_jobs_free);
/* Queues @method ("StartUnit", "RestartUnit", "StopUnit") for @unit in mode "replace". */
int bus_jobs_queue(BusJobs *j, const char *method, const char *unit, sd_bus_error *error);
/* Waits until every queued job is removed. */
int bus_jobs_wait(BusJobs *j);
/* The @i-th finished job, in order of completion: its unit and result. false past the last. */
bool bus_jobs_finished(const BusJobs *j, size_t i, const char **ret_unit, const char **ret_result);
/* Result of the last job of @unit ("done", "failed", "dependency", "timeout", …) or NULL. */
const char *bus_jobs_result(const BusJobs *j, const char *unit);
/* A connection to systemd: its private socket when we are root, else the system bus. */
int bus_open_systemd(sd_bus **ret);
int bus_daemon_reload(sd_bus *bus, sd_bus_error *error);
/* The leader PID machined records for @machine (on the system bus). -ENXIO etc. when not running. */
int bus_machine_leader(sd_bus *bus, const char *machine, pid_t *ret);
int bus_reset_failed(sd_bus *bus, const char *unit);

/* ---- prepare and execute (apply.c) ---- */

typedef struct ReconcileOptions {
        bool runtime;                   /* units and settings under /run */
        bool offline;                   /* render + files only: no lock, no bus, no nft (tests, render) */
        bool read_only;                 /* plan, ps: no lock (never blocks behind an apply) */
        bool for_down;                  /* down: a project that no longer renders still goes down */
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
/* Everything of the project gone: units stopped and removed, machines, links, netns, nft elements,
 * state; named volumes too with @volumes; images always kept. */
int reconcile_down(Reconcile *c, bool volumes, NcError *reterr);
