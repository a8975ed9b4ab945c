/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "reconcile/reconcile.h"

/* Generations: what one successful apply converged a project to, kept so that a later apply whose
 * services fail can be rolled back (docs/cli.md: history, rollback, apply --rollback). Each is a
 * directory NC_GENERATIONS_DIR/P/N/, root's alone (the model holds the services'
 * environment): compose.json, the canonical model the apply rendered (interpolated, env_files read
 * into environment, paths absolute), and generation.json, its time, project directory, the image
 * digests it ran and each service's configuration hash. The last GENERATIONS_KEPT stay, and the
 * newest good one always. */

#define GENERATIONS_KEPT 10

typedef struct Generation {
        unsigned id;                    /* 1, 2, …: later ones are newer */
        uint64_t created_usec;          /* CLOCK_REALTIME */
        char *working_dir;
        char *model_path;               /* …/N/compose.json */
        char **digests;                 /* "image\ndigest", as Reconcile.digests */
        char **hashes;                  /* "service\nhash", sorted */
        char *failure;                  /* an apply that failed, and why: never a rollback's target;
                                         * NULL: it succeeded */
} Generation;

void generation_done(Generation *g);
void generations_free(Generation *l, size_t n);

/* After an apply of every service: records what @c converged to (or, with @failure, failed to) as
 * a new generation, unless the newest one has the same services with the same hashes and result.
 * 1 recorded, 0 not, -errno. */
int generation_record(const Reconcile *c, const char *failure, NcError *reterr);

/* The newest generation that succeeded, or NULL. */
const Generation *generation_last_good(const Generation *l, size_t n);

/* The project's generations, oldest first (none: 0 and NULL). */
int generations_read(const char *project, Generation **ret, size_t *ret_n, NcError *reterr);

/* The project as generation @g had it: its model, with every profile it names on (it holds only
 * the active services). The model was interpolated before and every '$' left in it is written
 * "$$": interpolating it again gives back exactly the values it had, whatever @environment ("K=V",
 * the caller's: where secrets of `environment:` are read, as at an apply) holds. */
int generation_load_project(const char *project, const Generation *g, char **environment, ComposeProject **ret,
                            NcError *reterr);

/* Whether @g's services and hashes are those of @d; those of the unit files installed in @a. */
bool generation_matches(const Generation *g, const DesiredState *d);
bool generation_is_installed(const Generation *g, const ActualState *a);
/* The index in @l of the newest good generation installed as @a has it, or @n when none is. */
size_t generation_installed(const Generation *l, size_t n, const ActualState *a);
bool generation_has_service(const Generation *g, const char *service);
