/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "lib/strv.h"
#include "reconcile/actual.h"

/* The ActualState type: freeing and lookups, no I/O (plan_compute() links only this). */

void actual_unit_done(ActualUnit *u) {
        free(u->name);
        free(u->load_state);
        free(u->active_state);
        free(u->sub_state);
        free(u->result);
        free(u->invocation_id);
        free(u->status_text);
        free(u->fragment_path);
        free(u->service);
        free(u->file_hash);
        free(u->replica_of);
}

void actual_file_done(ActualFile *f) {
        free(f->path);
        free(f->content);
        free(f->symlink);
        free(f->foreign_owner);
}

ActualState *actual_state_free(ActualState *a) {
        if (!a)
                return NULL;
        for (size_t i = 0; i < a->n_units; i++)
                actual_unit_done(&a->units[i]);
        for (size_t i = 0; i < a->n_files; i++)
                actual_file_done(&a->files[i]);
        free(a->units);
        free(a->files);
        free(a->project);
        strv_free(a->started_hashes);
        strv_free(a->network_drift);
        free(a);
        return NULL;
}

const ActualUnit *actual_state_find_unit(const ActualState *a, const char *name) {
        for (size_t i = 0; i < a->n_units; i++)
                if (streq(a->units[i].name, name))
                        return &a->units[i];
        return NULL;
}

const ActualFile *actual_state_find_file(const ActualState *a, const char *path) {
        for (size_t i = 0; i < a->n_files; i++)
                if (streq(a->files[i].path, path))
                        return &a->files[i];
        return NULL;
}

const char *actual_state_started_hash(const ActualState *a, const char *service) {
        size_t l = strlen(service);

        STRV_FOREACH(s, a->started_hashes)
                if (strncmp(*s, service, l) == 0 && (*s)[l] == '=')
                        return *s + l + 1;
        return NULL;
}

bool actual_unit_running(const ActualUnit *u) {
        if (!u)
                return false;
        if (streq(u->active_state, "activating") && streq_ptr(u->sub_state, "auto-restart"))
                return false;
        return streq(u->active_state, "active") || streq(u->active_state, "activating") ||
               streq(u->active_state, "reloading");
}
