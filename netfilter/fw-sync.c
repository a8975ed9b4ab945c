/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <netinet/in.h>
#include <linux/netfilter/nf_tables.h>

#include "netfilter/netfilter-internal.h"

/* dump -> plan -> one batch, retried when the ruleset moved between dump and commit. */

#define FW_ATTEMPTS 8

static int conflict_error(const FwPlan *p, NcError *reterr) {
        char want[200], have[200];

        return nc_error_set(reterr, -EADDRINUSE, "%s is taken: the table holds %s",
                            fw_elem_format(p->conflict[0], want, sizeof want),
                            fw_elem_format(p->conflict_owner[0], have, sizeof have));
}

static int broken_set_error(const FwPlan *p, NcError *reterr) {
        for (FwSetId i = 0; i < _FW_SET_MAX; i++)
                if (p->set_broken[i])
                        return nc_error_set(reterr, -EEXIST,
                                            "set '%s' of table inet %s has an unexpected type; delete the "
                                            "table ('nft delete table inet %s') and sync again",
                                            fw_set_defs[i].name, FW_TABLE_NAME, FW_TABLE_NAME);
        return 0;
}

static bool same_mapping(const FwMapping *a, const FwMapping *b) {
        size_t alen = in_addr_family_size(a->family);

        return a->family == b->family && a->protocol == b->protocol && a->host_any == b->host_any &&
                a->host_port == b->host_port && a->target_port == b->target_port &&
                (a->host_any || memcmp(a->host.bytes, b->host.bytes, alen) == 0) &&
                memcmp(a->target.bytes, b->target.bytes, alen) == 0;
}

/* A removed element whose port and target an added one keeps: a balanced port's replica that only
 * moved to another slot when the group changed size. Its flows are still right. */
static bool mapping_kept(const FwMapping *m, const FwPlan *p) {
        for (size_t i = 0; i < p->n_add; i++) {
                FwMapping a;

                if (fw_elem_mapping(p->add[i], &a) >= 0 && same_mapping(m, &a))
                        return true;
        }
        return false;
}

/* Conntrack keeps the old NAT binding of a flow; drop the flows of every mapping we removed or
 * re-pointed so new packets see the new map. */
static void flush_conntrack(FwContext *ctx, const FwPlan *p) {
        _cleanup_free_ FwMapping *m = calloc(p->n_del + p->n_alt + 1, sizeof *m);
        size_t n = 0;

        if (!m)
                return;
        for (size_t i = 0; i < p->n_del; i++)
                if (fw_elem_mapping(p->del[i], &m[n]) >= 0 &&
                    !(m[n].n_group > 0 && mapping_kept(&m[n], p)))
                        n++;
        for (size_t i = 0; i < p->n_alt; i++)
                if (fw_elem_mapping(p->alt_old[i], &m[n]) >= 0)
                        n++;
        if (n > 0)
                (void) fw_conntrack_flush(ctx, m, n);
}

/* One attempt: 1+ = changes committed, 0 = nothing to do, -ERESTART = raced, retry. */
static int sync_once(FwContext *ctx, const char *project, const FwElem *want, size_t n_want, bool remove,
                     NcError *reterr) {
        _cleanup_(fw_snapshot_done) FwSnapshot s = {};
        _cleanup_(fw_plan_done) FwPlan p = {};
        _cleanup_(fw_batch_done) FwBatch b = {};
        NcError err = {};
        size_t n;
        int r;

        r = fw_snapshot_read(ctx, &s, reterr);
        if (r < 0)
                return r;
        r = fw_plan_compute(&s, project, want, n_want, remove, &p);
        if (r < 0)
                return r;
        if (p.n_conflict > 0)
                return conflict_error(&p, reterr);
        r = broken_set_error(&p, reterr);
        if (r < 0)
                return r;
        n = fw_plan_n_changes(&p);
        if (n == 0)
                return 0;
        r = fw_plan_build_batch(&p, &b, ctx->seq, s.genid);
        if (r < 0)
                return r;
        ctx->seq = b.seq_next;
        r = fw_batch_send(ctx, &b, &err);
        if (r == -ERESTART)
                return r;
        if (r < 0)
                return nc_error_set(reterr, r, "%s", err.message);
        flush_conntrack(ctx, &p);
        return (int) MIN(n, (size_t) INT32_MAX);
}

static int sync_retrying(FwContext *ctx, const char *project, const FwElem *want, size_t n_want, bool remove,
                         NcError *reterr) {
        int r = -ERESTART;

        for (unsigned i = 0; i < FW_ATTEMPTS && r == -ERESTART; i++)
                r = sync_once(ctx, project, want, n_want, remove, reterr);
        if (r == -ERESTART)
                return nc_error_set(reterr, r, "table inet %s kept changing during %u attempts",
                                    FW_TABLE_NAME, FW_ATTEMPTS);
        return r;
}

int fw_sync_project(FwContext *ctx, const char *project,
                    const FwPort *ports, size_t n_ports,
                    const FwNetwork *networks, size_t n_networks, NcError *reterr) {
        _cleanup_free_ FwElem *want = NULL;
        size_t n_want;
        int r;

        r = fw_project_elems(project, ports, n_ports, networks, n_networks, &want, &n_want, reterr);
        if (r < 0)
                return r;
        return sync_retrying(ctx, project, want, n_want, false, reterr);
}

int fw_remove_project(FwContext *ctx, const char *project, NcError *reterr) {
        if (isempty(project) || strchr(project, '/'))
                return nc_error_set(reterr, -EINVAL, "invalid project name '%s'", strempty(project));
        return sync_retrying(ctx, project, NULL, 0, true, reterr);
}

struct FwSaved {
        FwElem *elems;
        size_t n_elems;
};

FwSaved *fw_saved_free(FwSaved *s) {
        if (!s)
                return NULL;
        free(s->elems);
        return mfree(s);
}

int fw_save_project(FwContext *ctx, const char *project, FwSaved **ret, NcError *reterr) {
        _cleanup_(fw_snapshot_done) FwSnapshot snap = {};
        _cleanup_(fw_saved_freep) FwSaved *s = NULL;
        int r;

        assert(ret);

        r = fw_snapshot_read(ctx, &snap, reterr);
        if (r < 0)
                return r;
        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->elems = calloc(MAX(snap.n_elems, (size_t) 1), sizeof *s->elems);
        if (!s->elems)
                return -ENOMEM;
        for (size_t i = 0; i < snap.n_elems; i++)
                if (fw_elem_owned_by(&snap.elems[i], project))
                        s->elems[s->n_elems++] = snap.elems[i];
        *ret = TAKE_PTR(s);
        return 0;
}

int fw_restore_project(FwContext *ctx, const char *project, const FwSaved *s, NcError *reterr) {
        assert(s);

        if (s->n_elems == 0)
                return fw_remove_project(ctx, project, reterr);
        return sync_retrying(ctx, project, s->elems, s->n_elems, false, reterr);
}

/* ---- drift report ---- */

static const char *const drift_kind_table[_FW_DRIFT_KIND_MAX] = {
        [FW_DRIFT_MISSING] = "missing",
        [FW_DRIFT_EXTRA] = "extra",
        [FW_DRIFT_ALTERED] = "altered",
        [FW_DRIFT_CONFLICT] = "conflict",
        [FW_DRIFT_STRUCTURE] = "structure",
};

const char *fw_drift_kind_to_string(FwDriftKind k) {
        return k >= 0 && k < _FW_DRIFT_KIND_MAX ? drift_kind_table[k] : NULL;
}

FwDiff *fw_diff_free(FwDiff *d) {
        if (!d)
                return NULL;
        free(d->items);
        free(d);
        return NULL;
}

static FwDrift *drift_add(FwDiff *d, FwDriftKind kind) {
        FwDrift *item = &d->items[d->n_items++];

        *item = (FwDrift) { .kind = kind };
        if (kind == FW_DRIFT_STRUCTURE)
                d->structure_ok = false;
        return item;
}

static void diff_structure(const FwPlan *p, FwDiff *d) {
        if (p->table_missing) {
                snprintf(drift_add(d, FW_DRIFT_STRUCTURE)->what, sizeof d->items->what,
                         "table inet %s missing", FW_TABLE_NAME);
                return;
        }
        for (FwSetId i = 0; i < _FW_SET_MAX; i++)
                if (p->set_missing[i] || p->set_broken[i])
                        snprintf(drift_add(d, FW_DRIFT_STRUCTURE)->what, sizeof d->items->what, "set %s %s",
                                 fw_set_defs[i].name, p->set_missing[i] ? "missing" : "has an unexpected type");
        for (FwChainId i = 0; i < _FW_CHAIN_MAX; i++)
                if (p->chain_missing[i] || p->chain_broken[i] || p->rules_broken[i])
                        snprintf(drift_add(d, FW_DRIFT_STRUCTURE)->what, sizeof d->items->what, "chain %s %s",
                                 fw_chain_defs[i].name,
                                 p->chain_missing[i] ? "missing" :
                                 p->chain_broken[i] ? "edited (hook, priority or policy)" :
                                 "rules flushed or edited");
}

static void diff_elems(const FwPlan *p, FwDiff *d) {
        char old[200], new[200];

        for (size_t i = 0; i < p->n_add; i++)
                fw_elem_format(p->add[i], drift_add(d, FW_DRIFT_MISSING)->what, sizeof d->items->what);
        for (size_t i = 0; i < p->n_del; i++)
                fw_elem_format(p->del[i], drift_add(d, FW_DRIFT_EXTRA)->what, sizeof d->items->what);
        for (size_t i = 0; i < p->n_alt; i++)
                snprintf(drift_add(d, FW_DRIFT_ALTERED)->what, sizeof d->items->what, "%s, was %s",
                         fw_elem_format(p->alt_new[i], new, sizeof new),
                         fw_elem_format(p->alt_old[i], old, sizeof old));
        for (size_t i = 0; i < p->n_conflict; i++)
                snprintf(drift_add(d, FW_DRIFT_CONFLICT)->what, sizeof d->items->what, "%s, held by %s",
                         fw_elem_format(p->conflict[i], new, sizeof new),
                         fw_elem_format(p->conflict_owner[i], old, sizeof old));
}

int fw_diff_project(FwContext *ctx, const char *project,
                    const FwPort *ports, size_t n_ports,
                    const FwNetwork *networks, size_t n_networks, FwDiff **ret, NcError *reterr) {
        _cleanup_(fw_snapshot_done) FwSnapshot s = {};
        _cleanup_(fw_plan_done) FwPlan p = {};
        _cleanup_(fw_diff_freep) FwDiff *d = NULL;
        _cleanup_free_ FwElem *want = NULL;
        size_t n_want, max;
        int r;

        r = fw_project_elems(project, ports, n_ports, networks, n_networks, &want, &n_want, reterr);
        if (r < 0)
                return r;
        r = fw_snapshot_read(ctx, &s, reterr);
        if (r < 0)
                return r;
        r = fw_plan_compute(&s, project, want, n_want, false, &p);
        if (r < 0)
                return r;
        max = 1 + _FW_SET_MAX + _FW_CHAIN_MAX + p.n_add + p.n_del + p.n_alt + p.n_conflict;
        d = calloc(1, sizeof *d);
        if (!d || !(d->items = calloc(max, sizeof *d->items)))
                return -ENOMEM;
        d->structure_ok = true;
        diff_structure(&p, d);
        diff_elems(&p, d);
        *ret = TAKE_PTR(d);
        return (int) MIN((*ret)->n_items, (size_t) INT32_MAX);
}
