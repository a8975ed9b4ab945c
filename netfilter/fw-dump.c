/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <libnftnl/udata.h>

#include "netfilter/netfilter-internal.h"

/* Reads our table back: which chains, sets and rules exist and whether they are as defined, and
 * every element of our sets. Rules are recognized by their comment tag, never by bytecode (the
 * kernel normalizes expressions). */

typedef struct DumpState {
        FwSnapshot *s;
        size_t rules_seen[_FW_CHAIN_MAX];
        bool rules_bad[_FW_CHAIN_MAX];
        FwSetId set;                    /* element dumps */
        int error;
} DumpState;

void fw_snapshot_done(FwSnapshot *s) {
        free(s->elems);
        *s = (FwSnapshot) {};
}

static struct nlmsghdr *request(FwContext *ctx, char *buf, uint16_t type, uint16_t family, uint16_t flags) {
        return nftnl_nlmsg_build_hdr(buf, type, family, flags, ctx->seq++);
}

static int gen_cb(const struct nlmsghdr *nlh, void *data) {
        DumpState *st = data;
        struct nftnl_gen *g = nftnl_gen_alloc();

        if (!g)
                return MNL_CB_ERROR;
        if (nftnl_gen_nlmsg_parse(nlh, g) >= 0)
                st->s->genid = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
        nftnl_gen_free(g);
        return MNL_CB_OK;
}

static int table_cb(const struct nlmsghdr *nlh, void *data) {
        _cleanup_(nftnl_table_freep) struct nftnl_table *t = nftnl_table_alloc();
        DumpState *st = data;

        if (!t || nftnl_table_nlmsg_parse(nlh, t) < 0)
                return MNL_CB_ERROR;
        if (streq(nftnl_table_get_str(t, NFTNL_TABLE_NAME), FW_TABLE_NAME))
                st->s->table = true;
        return MNL_CB_OK;
}

static bool chain_as_defined(struct nftnl_chain *c, const FwChainDef *d) {
        if (!d->type)
                return !nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
        return nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
                nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == d->hooknum &&
                nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) == d->prio &&
                streq_ptr(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), d->type) &&
                nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_ACCEPT;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data) {
        _cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
        DumpState *st = data;
        FwChainId id;

        if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0)
                return MNL_CB_ERROR;
        if (!streq(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), FW_TABLE_NAME))
                return MNL_CB_OK;
        id = fw_chain_from_name(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
        if (id < 0)
                return MNL_CB_OK;       /* a chain someone added: not ours to judge */
        st->s->chain_present[id] = true;
        st->s->chain_ok[id] = chain_as_defined(c, &fw_chain_defs[id]);
        return MNL_CB_OK;
}

static int rule_comment_cb(const struct nftnl_udata *attr, void *data) {
        const char **tag = data;

        if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT && nftnl_udata_len(attr) > 0 &&
            ((const char*) nftnl_udata_get(attr))[nftnl_udata_len(attr) - 1] == 0)
                *tag = nftnl_udata_get(attr);
        return 0;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data) {
        _cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();
        const char *tag = NULL, *expected;
        DumpState *st = data;
        const void *udata;
        uint32_t len;
        FwChainId id;

        if (!r || nftnl_rule_nlmsg_parse(nlh, r) < 0)
                return MNL_CB_ERROR;
        if (!streq(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), FW_TABLE_NAME))
                return MNL_CB_OK;
        id = fw_chain_from_name(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
        if (id < 0)
                return MNL_CB_OK;
        udata = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
        if (udata)
                (void) nftnl_udata_parse(udata, len, rule_comment_cb, &tag);
        expected = fw_rule_tag(id, st->rules_seen[id]++);
        if (!expected || !tag || !streq(tag, expected))
                st->rules_bad[id] = true;
        return MNL_CB_OK;
}

static bool set_as_defined(struct nftnl_set *s, const FwSetDef *d) {
        uint32_t flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);

        return (flags & (NFT_SET_MAP | NFT_SET_INTERVAL | NFT_SET_CONCAT | NFT_SET_TIMEOUT)) == d->flags &&
                nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN) == d->key_len &&
                (!(d->flags & NFT_SET_MAP) || nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN) == d->data_len);
}

static int set_cb(const struct nlmsghdr *nlh, void *data) {
        _cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
        DumpState *st = data;
        FwSetId id;

        if (!s || nftnl_set_nlmsg_parse(nlh, s) < 0)
                return MNL_CB_ERROR;
        if (!streq(nftnl_set_get_str(s, NFTNL_SET_TABLE), FW_TABLE_NAME))
                return MNL_CB_OK;
        id = fw_set_from_name(nftnl_set_get_str(s, NFTNL_SET_NAME));
        if (id < 0)
                return MNL_CB_OK;
        st->s->set_present[id] = true;
        st->s->set_ok[id] = set_as_defined(s, &fw_set_defs[id]);
        return MNL_CB_OK;
}

static int elem_push(FwSnapshot *s, const FwElem *e) {
        if ((s->n_elems & (s->n_elems - 1)) == 0) {
                FwElem *a = realloc(s->elems, (s->n_elems ? s->n_elems * 2 : 1) * sizeof *a);

                if (!a)
                        return -ENOMEM;
                s->elems = a;
        }
        s->elems[s->n_elems++] = *e;
        return 0;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data) {
        _cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
        struct nftnl_set_elems_iter *it;
        struct nftnl_set_elem *ne;
        DumpState *st = data;
        FwElem e;

        if (!s || nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
                return MNL_CB_ERROR;
        it = nftnl_set_elems_iter_create(s);
        if (!it)
                return MNL_CB_ERROR;
        while ((ne = nftnl_set_elems_iter_next(it)))
                if (fw_elem_from_nftnl(st->set, ne, &e) < 0 || elem_push(st->s, &e) < 0) {
                        st->error = -ENOMEM;
                        break;
                }
        nftnl_set_elems_iter_destroy(it);
        return st->error < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int dump_elems(FwContext *ctx, DumpState *st, FwSetId set) {
        _cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh;

        if (!s)
                return -ENOMEM;
        if (nftnl_set_set_str(s, NFTNL_SET_TABLE, FW_TABLE_NAME) < 0 ||
            nftnl_set_set_str(s, NFTNL_SET_NAME, fw_set_defs[set].name) < 0)
                return -ENOMEM;
        nlh = request(ctx, buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP);
        nftnl_set_elems_nlmsg_build_payload(nlh, s);
        st->set = set;
        return fw_dump(ctx, nlh, elems_cb, st);
}

/* GETRULE/GETSET dumps filtered to our table by the kernel. */
static struct nlmsghdr *table_filtered(FwContext *ctx, char *buf, uint16_t type) {
        struct nlmsghdr *nlh = request(ctx, buf, type, NFPROTO_INET, NLM_F_DUMP);

        mnl_attr_put_strz(nlh, type == NFT_MSG_GETRULE ? NFTA_RULE_TABLE : NFTA_SET_TABLE, FW_TABLE_NAME);
        return nlh;
}

/* The kernel keeps no user data on an interval's end element: it belongs to whoever owns the
 * start right before it in address order. */
static int inherit_interval_owners(FwSnapshot *s) {
        _cleanup_free_ const FwElem **v = fw_elems_sorted(s->elems, s->n_elems);
        const FwElem *start = NULL;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_elems; i++) {
                FwElem *e = (FwElem*) v[i];

                if (!(fw_set_defs[e->set].flags & NFT_SET_INTERVAL))
                        continue;
                if (!(e->flags & NFT_SET_ELEM_INTERVAL_END))
                        start = e;
                else if (start && start->set == e->set) {
                        strcpy(e->comment, start->comment);
                        start = NULL;
                }
        }
        return 0;
}

/* Generation, table, and when the table exists its chains, rules, sets and their elements. */
static int snapshot_dump(FwContext *ctx, FwSnapshot *s, DumpState *st) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        int r;

        r = fw_dump(ctx, request(ctx, buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK), gen_cb, st);
        if (r < 0)
                return r;
        r = fw_dump(ctx, request(ctx, buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_DUMP), table_cb, st);
        if (r < 0 || !s->table)
                return r;
        r = fw_dump(ctx, request(ctx, buf, NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_DUMP), chain_cb, st);
        if (r < 0)
                return r;
        r = fw_dump(ctx, table_filtered(ctx, buf, NFT_MSG_GETRULE), rule_cb, st);
        if (r < 0)
                return r;
        r = fw_dump(ctx, table_filtered(ctx, buf, NFT_MSG_GETSET), set_cb, st);
        if (r < 0)
                return r;
        for (FwSetId i = 0; i < _FW_SET_MAX; i++) {
                if (!s->set_present[i])
                        continue;
                r = dump_elems(ctx, st, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int snapshot_read_once(FwContext *ctx, FwSnapshot *s) {
        DumpState st = { .s = s };
        int r;

        r = snapshot_dump(ctx, s, &st);
        if (r < 0)
                return st.error < 0 ? st.error : r;     /* a callback's error says more than mnl's */
        if (!s->table)
                return 0;
        r = inherit_interval_owners(s);
        if (r < 0)
                return r;
        for (FwChainId i = 0; i < _FW_CHAIN_MAX; i++)
                s->rules_ok[i] = s->chain_present[i] && !st.rules_bad[i] &&
                        st.rules_seen[i] == fw_chain_n_rules(i);
        return 0;
}

int fw_snapshot_read(FwContext *ctx, FwSnapshot *ret, NcError *reterr) {
        FwSnapshot s = {};
        int r;

        /* A dump interrupted by a concurrent change reports EINTR (NLM_F_DUMP_INTR): read again. */
        for (unsigned attempt = 0;; attempt++) {
                r = snapshot_read_once(ctx, &s);
                if (r != -EINTR || attempt >= 5)
                        break;
                fw_snapshot_done(&s);
        }
        if (r < 0) {
                fw_snapshot_done(&s);
                return nc_error_set(reterr, r, "cannot read table inet %s: %m", FW_TABLE_NAME);
        }
        *ret = s;
        return 0;
}
