/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "lib/error.h"
#include "lib/macro.h"
#include "reconcile/actual.h"
#include "reconcile/compose/compose.h"
#include "reconcile/names.h"
#include "reconcile/plan.h"
#include "reconcile/render/desired.h"
#include "reconcile/runtime/runtime.h"

/* Reconciling a project: prepare (lock, render, pull, read the actual state, plan), then execute the
 * plan, or take everything down. Execution stops at the first error; a rerun continues from wherever
 * the system is, because every step is idempotent and the next plan is computed from the real state. */

/* What up, create and their flags ask of an apply besides converging everything (plan-select.c). */
typedef struct ReconcileSelect {
        char **services;                /* up SERVICE...: only these, and what they depend on; NULL: all */
        bool no_deps;                   /* only @services themselves */
        bool force_recreate;            /* recreate the selected running services, changed or not */
        bool no_recreate;               /* never recreate a running service, even if it changed */
        bool keep_orphans;              /* leave services no longer in the file as they are (no --remove-orphans) */
        char **remove_orphans;          /* services no longer in the file that go even so (a rollback's:
                                         * those the failed apply added) */
        bool no_start;                  /* create: files, reload, networks; start nothing */
} ReconcileSelect;

/* Told, every RECONCILE_WAITING_USEC while apply waits for systemd to start services, of each service
 * still starting and why: its wrapper's STATUS= ("starting (2/3 checks failed: …)", "running
 * post_start hooks"; machine-controlled text: escape it before showing it), or that its start is
 * queued behind the services it depends on. */
typedef void (*ReconcileWaiting)(const DesiredService *s, const char *why, uint64_t waited_usec, void *userdata);
#define RECONCILE_WAITING_USEC (5 * UINT64_C(1000000))

typedef struct ReconcileOptions {
        bool runtime;                   /* units and settings under /run */
        bool offline;                   /* render + files only: no lock, no bus, no nft (tests, render) */
        bool read_only;                 /* plan, ps: no lock (never blocks behind an apply) */
        bool for_down;                  /* down: a project that no longer renders still goes down */
        bool pull_now;                  /* pull images while preparing (apply; not plan/dry-run) */
        int pull;                       /* ImagePullPolicy */
        bool progress;
        const char *exe;                /* NULL: the default path in units */
        char **digests;                 /* "image\ndigest" taken instead of the store's refs (a
                                         * rollback's images, generation.h); NULL: the store's */
        ReconcileSelect select;
        uint64_t deadline_usec;         /* CLOCK_MONOTONIC: execution waits for systemd's jobs until
                                         * then, and fails with -ETIME (up --wait-timeout); 0: none */
        ReconcileWaiting on_waiting;    /* NULL: nothing is told */
        ImagePulled on_pulled;          /* of each image pulled (image_pull()) */
        void *userdata;                 /* of both */
} ReconcileOptions;

typedef struct Reconcile {
        const ComposeProject *project;
        ReconcileOptions options;
        sd_bus *bus;
        int lock_fd;
        int store_lock_fd;              /* image_store_lock(), shared: no image goes while we use it */
        DesiredState *desired;
        ActualState *actual;
        Plan *plan;
        char **digests;                 /* "image\ndigest" resolved from the store */
        uint8_t hash_key[NC_HASH_KEY_SIZE];
        bool have_hash_key;
        char **failures;                /* per failed service: what and the journal tail */
        char **failed_services;         /* their names, in the same order */
        char **notes;                   /* what apply or down left on purpose ("volume x kept: …"), for people */
        char **taken_subnets;           /* other projects' subnets the render avoided */
        char **orphans;                 /* services no longer in the file that select.keep_orphans left */
} Reconcile;

/* The project's lock, as an apply takes it (waited for): the fd, held until closed, or -errno. What
 * must not run beside an apply (export reading a stopped service's layer) takes it too. */
int reconcile_lock_project(const char *project, NcError *reterr);

/* The key of the configuration hashes (NC_HASH_KEY): one per host, root-only, made with @create when
 * missing (an apply; read-only verbs never write). 1 and the key, 0 when there is none, or -errno. */
int reconcile_hash_key(bool create, uint8_t ret[static NC_HASH_KEY_SIZE], NcError *reterr);

/* image_pull() of @ref, the image of @service (NULL: of none), whose failure names the service and
 * the position of its `image:` ("compose.yml:4:12: services.web.image: cannot pull 'REF' for service
 * 'web': <skopeo's text>"). 1 pulled, 0 present, or -errno. */
int reconcile_pull(const ComposeProject *p, const char *service, const char *ref, const ImagePullOptions *o,
                   char **ret_digest, NcError *reterr);

/* build.c: whether @service has a `build:`. */
bool reconcile_service_builds(const ComposeProject *p, const char *service);
/* Makes the image of @service (which has a `build:`) present by its pull_policy: "never" takes the
 * store's, "always" pulls and builds when that fails, "build" runs the build every time (buildah's
 * layer cache makes an unchanged one quick and gives the same digest), otherwise it builds when
 * the store lacks the image or the context changed (image_build()); o->force builds whatever the
 * policy. A failure is at the position of its `build:`. 1 built or pulled, 0 present, or -errno. */
int reconcile_build(const ComposeProject *p, const char *service, const ImageBuildOptions *o, char **ret_digest,
                    NcError *reterr);
/* reconcile_build() for each image the services of @d build, once each. 1 when one changed. */
int reconcile_build_images(const ComposeProject *p, const DesiredState *d, NcError *reterr);

/* Locks, renders, pulls (if asked), reads the actual state and computes the plan. */
int reconcile_new(const ComposeProject *p, const ReconcileOptions *o, Reconcile **ret, NcError *reterr);
Reconcile *reconcile_free(Reconcile *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Reconcile*, reconcile_free);
/* Narrows @p to what @s asks (plan-select.c): drops the actions of services not selected and of
 * kept orphans (their names in *ret_orphans, a new list), adds a restart per service to recreate.
 * 0 or -ENOMEM. */
int plan_select(Plan *p, const DesiredState *d, const ActualState *a, const ReconcileSelect *s, char ***ret_orphans);
/* Whether @service is one @s selects (every service when @s selects none by name). */
bool reconcile_select_has(const ReconcileSelect *s, const DesiredState *d, const char *service);

/* Executes c->plan. -EHOSTDOWN when services did not reach their state (c->failures says which). */
int reconcile_execute(Reconcile *c, NcError *reterr);
/* rm: what a stopped service leaves besides its files (its machine's writable layer and anonymous
 * volumes, netns, veths, runtime state), as docker compose rm removes a stopped container. */
int reconcile_remove_service(Reconcile *c, const char *service, NcError *reterr);
/* Everything of the project gone: units stopped and removed, machines, links, netns, nft elements,
 * state; named volumes too with @volumes; images always kept. */
int reconcile_down(Reconcile *c, bool volumes, NcError *reterr);
