/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"
#include "lib/macro.h"

/* The actual state: what of a project's is really on the host (files, units, started hashes,
 * nftables drift). Read by actual_read(); compared with the desired state by plan_compute(). */

typedef struct sd_bus sd_bus;

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
        char *replica_of;               /* X-NspawnCompose-Replica-Of: replica N > 1 of this service, or NULL */
} ActualUnit;

typedef struct ActualFile {
        char *path;
        char *content;                  /* NULL for a symlink */
        size_t size;
        mode_t mode;
        char *symlink;
        char *foreign_owner;            /* a unit file at one of our paths without our project's marker:
                                         * the project its marker names, "" for none. NULL: ours */
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

void actual_unit_done(ActualUnit *u);
void actual_file_done(ActualFile *f);
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
/* Running, or on its way: a unit waiting to be restarted after a crash ("activating" in sub-state
 * "auto-restart") is not. NULL: not. */
bool actual_unit_running(const ActualUnit *u);
