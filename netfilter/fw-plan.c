/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <netinet/in.h>
#include <linux/netfilter/nf_tables.h>

#include "netfilter/netfilter-internal.h"

/* The diff between a dump and the desired elements, as a pure function, and the batch that
 * carries it out. Elements are matched by key (set, key bytes, interval-end flag) after sorting
 * both sides, so 10000 ports cost a sort, not a quadratic scan. */

void fw_plan_done(FwPlan *p) {
        free(p->add);
        free(p->del);
        free(p->alt_old);
        free(p->alt_new);
        free(p->conflict);
        free(p->conflict_owner);
        *p = (FwPlan) {};
}

static int key_cmp(const void *x, const void *y) {
        return fw_elem_key_cmp(*(const FwElem *const *) x, *(const FwElem *const *) y);
}

const FwElem **fw_elems_sorted(const FwElem *elems, size_t n) {
        const FwElem **v = calloc(n ?: 1, sizeof *v);

        if (!v)
                return NULL;
        for (size_t i = 0; i < n; i++)
                v[i] = &elems[i];
        qsort(v, n, sizeof *v, key_cmp);
        return v;
}

static void plan_structure(const FwSnapshot *s, FwPlan *p) {
        p->table_missing = !s->table;
        for (FwSetId i = 0; i < _FW_SET_MAX; i++) {
                p->set_missing[i] = !s->set_present[i];
                p->set_broken[i] = s->set_present[i] && !s->set_ok[i];
        }
        for (FwChainId i = 0; i < _FW_CHAIN_MAX; i++) {
                p->chain_missing[i] = !s->chain_present[i];
                p->chain_broken[i] = s->chain_present[i] && !s->chain_ok[i];
                p->rules_broken[i] = s->chain_present[i] && !s->rules_ok[i];
        }
}

/* Walks both sorted lists once. */
static void plan_elems(const FwElem **have, size_t n_have, const FwElem **want, size_t n_want,
                       const char *project, FwPlan *p) {
        size_t i = 0, j = 0;

        while (i < n_have || j < n_want) {
                int c = i >= n_have ? 1 : j >= n_want ? -1 : key_cmp(&have[i], &want[j]);

                if (c < 0) {
                        if (fw_elem_owned_by(have[i], project))
                                p->del[p->n_del++] = have[i];
                        i++;
                } else if (c > 0)
                        p->add[p->n_add++] = want[j++];
                else {
                        if (!fw_elem_owned_by(have[i], project)) {
                                p->conflict[p->n_conflict] = want[j];
                                p->conflict_owner[p->n_conflict++] = have[i];
                        } else if (!fw_elem_equal(have[i], want[j])) {
                                p->alt_old[p->n_alt] = have[i];
                                p->alt_new[p->n_alt++] = want[j];
                        }
                        i++, j++;
                }
        }
}

/* The first of have[0..n) not before @probe. */
static size_t lower_bound(const FwElem **have, size_t n, const FwElem *probe) {
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (fw_elem_key_cmp(have[mid], probe) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* A plain port (pub*) and a balanced one (lb*) on the same host address, port and protocol live in
 * sibling maps under different keys, and the kernel would take the pub* one first: the one of
 * another owner that claims @w's port there, or NULL. */
static const FwElem *sibling_claim(const FwElem **have, size_t n_have, const FwElem *w, const char *project) {
        FwElem probe = {};
        size_t i;

        if (!fw_set_is_port(w->set))
                return NULL;
        if (fw_set_defs[w->set].slot) {
                /* the pub* key is the lb* key without its slot */
                probe.set = w->set - (FW_SET_LB4 - FW_SET_PUB4);
                probe.key_len = w->key_len - 4;
                memcpy(probe.key, w->key, probe.key_len);
                i = lower_bound(have, n_have, &probe);
                if (i < n_have && fw_elem_same_key(have[i], &probe) && !fw_elem_owned_by(have[i], project))
                        return have[i];
                return NULL;
        }
        /* every lb* key with the pub* key as prefix: slot 0 sorts first */
        probe.set = w->set + (FW_SET_LB4 - FW_SET_PUB4);
        probe.key_len = w->key_len + 4;
        memcpy(probe.key, w->key, w->key_len);
        for (i = lower_bound(have, n_have, &probe);
             i < n_have && have[i]->set == probe.set && memcmp(have[i]->key, w->key, w->key_len) == 0; i++)
                if (!fw_elem_owned_by(have[i], project))
                        return have[i];
        return NULL;
}

static void plan_sibling_conflicts(const FwElem **have, size_t n_have, const FwElem **want, size_t n_want,
                                   const char *project, FwPlan *p) {
        for (size_t j = 0; j < n_want; j++) {
                const FwElem *o = sibling_claim(have, n_have, want[j], project);

                if (o) {
                        p->conflict[p->n_conflict] = want[j];
                        p->conflict_owner[p->n_conflict++] = o;
                }
        }
}

int fw_plan_compute(const FwSnapshot *s, const char *project, const FwElem *want, size_t n_want,
                    bool remove, FwPlan *ret) {
        _cleanup_free_ const FwElem **have = NULL, **wants = NULL;
        size_t n = s->n_elems + n_want + 1;
        FwPlan p = {};

        have = fw_elems_sorted(s->elems, s->n_elems);
        wants = fw_elems_sorted(want, remove ? 0 : n_want);
        p.add = calloc(n, sizeof *p.add);
        p.del = calloc(n, sizeof *p.del);
        p.alt_old = calloc(n, sizeof *p.alt_old);
        p.alt_new = calloc(n, sizeof *p.alt_new);
        /* a wanted element may conflict both under its key and in its sibling map */
        p.conflict = calloc(n + n_want, sizeof *p.conflict);
        p.conflict_owner = calloc(n + n_want, sizeof *p.conflict_owner);
        if (!have || !wants || !p.add || !p.del || !p.alt_old || !p.alt_new || !p.conflict || !p.conflict_owner) {
                fw_plan_done(&p);
                return -ENOMEM;
        }
        plan_elems(have, s->n_elems, wants, remove ? 0 : n_want, project, &p);
        plan_sibling_conflicts(have, s->n_elems, wants, remove ? 0 : n_want, project, &p);
        if (remove)
                /* Leave a broken structure alone; drop the table once nobody else has elements. */
                p.table_delete = s->table && p.n_del == s->n_elems;
        else
                plan_structure(s, &p);
        *ret = p;
        return 0;
}

static size_t structure_changes(const FwPlan *p) {
        size_t n = p->table_missing + p->table_delete;

        for (FwSetId i = 0; i < _FW_SET_MAX; i++)
                n += p->set_missing[i];
        for (FwChainId i = 0; i < _FW_CHAIN_MAX; i++)
                n += p->chain_missing[i] || p->chain_broken[i] || p->rules_broken[i];
        return n;
}

size_t fw_plan_n_changes(const FwPlan *p) {
        return structure_changes(p) + p->n_add + p->n_del + p->n_alt;
}

/* Hook, priority or policy edited: a base chain cannot be re-hooked, so it is recreated. */
static int batch_recreate_chain(FwBatch *b, FwChainId c) {
        int r;

        r = fw_batch_flush_chain(b, c);
        if (r < 0)
                return r;
        r = fw_batch_del_chain(b, c);
        if (r < 0)
                return r;
        return fw_batch_add_chain(b, c);
}

static int batch_chain(const FwPlan *p, FwBatch *b, FwChainId c) {
        int r;

        if (p->chain_broken[c])
                r = batch_recreate_chain(b, c);
        else if (p->chain_missing[c])
                r = fw_batch_add_chain(b, c);
        else if (p->rules_broken[c])
                r = fw_batch_flush_chain(b, c);
        else
                return 0;
        if (r < 0)
                return r;
        return fw_batch_add_rules(b, c);
}

static int batch_structure(const FwPlan *p, FwBatch *b) {
        int r;

        if (p->table_missing) {
                r = fw_batch_add_table(b);
                if (r < 0)
                        return r;
        }
        for (FwSetId i = 0; i < _FW_SET_MAX; i++)
                if (p->set_missing[i]) {
                        r = fw_batch_add_set(b, i);
                        if (r < 0)
                                return r;
                }
        for (FwChainId i = 0; i < _FW_CHAIN_MAX; i++) {
                r = batch_chain(p, b, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int batch_messages(const FwPlan *p, FwBatch *b, uint32_t seq, uint32_t genid) {
        int r;

        r = fw_batch_begin(b, seq, genid);
        if (r < 0)
                return r;
        r = batch_structure(p, b);
        if (r < 0)
                return r;
        /* Deletions first: re-pointing a key is delete + add in the same transaction. */
        r = fw_batch_elems(b, false, p->del, p->n_del);
        if (r < 0)
                return r;
        r = fw_batch_elems(b, false, p->alt_old, p->n_alt);
        if (r < 0)
                return r;
        r = fw_batch_elems(b, true, p->alt_new, p->n_alt);
        if (r < 0)
                return r;
        r = fw_batch_elems(b, true, p->add, p->n_add);
        if (r < 0)
                return r;
        if (p->table_delete) {
                r = fw_batch_del_table(b);
                if (r < 0)
                        return r;
        }
        return fw_batch_end(b);
}

int fw_plan_build_batch(const FwPlan *p, FwBatch *b, uint32_t seq, uint32_t genid) {
        int r;

        assert(p);
        assert(b);

        r = batch_messages(p, b, seq, genid);
        if (r < 0)
                fw_batch_done(b);       /* a half-built batch is never sent */
        return r;
}
