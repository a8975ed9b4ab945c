/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <assert.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>

#include "netfilter/netfilter-internal.h"

/* One transaction is one contiguous buffer: BATCH_BEGIN, the messages, BATCH_END, sent with a
 * single sendmsg() (the kernel only treats one skb as a batch). Each message is built in place
 * into reserved room, so nothing is copied. */

#define FW_MSG_ROOM (256 * 1024)        /* the most one message may take */
#define FW_ELEMS_PER_MSG 512            /* < 200 bytes each */

static int reserve(FwBatch *b, size_t room) {
        size_t need = b->len + room;
        char *p;

        if (need <= b->alloc)
                return 0;
        need = MAX(need, b->alloc * 2);
        p = realloc(b->buf, need);
        if (!p)
                return -ENOMEM;
        /* Zeroed, so libnftnl's and libmnl's in-place building never sees stale bytes. */
        memset(p + b->alloc, 0, need - b->alloc);
        b->buf = p;
        b->alloc = need;
        return 0;
}

static int note_what(FwBatch *b, uint32_t seq, const char *what) {
        size_t i = seq - b->seq_first;

        if (i >= b->what_alloc) {
                size_t n = MAX(i + 1, b->what_alloc * 2);
                char (*w)[64] = realloc(b->what, n * sizeof *w);

                if (!w)
                        return -ENOMEM;
                b->what = w;
                b->what_alloc = n;
        }
        snprintf(b->what[i], sizeof b->what[i], "%s", what);
        return 0;
}

const char *fw_batch_what(const FwBatch *b, uint32_t seq) {
        if (seq < b->seq_first || seq - b->seq_first >= b->what_alloc)
                return "batch";
        return b->what[seq - b->seq_first];
}

int fw_batch_begin(FwBatch *b, uint32_t seq, uint32_t genid) {
        struct nlmsghdr *nlh;

        *b = (FwBatch) { .seq_first = seq, .seq_next = seq };
        if (reserve(b, MNL_SOCKET_BUFFER_SIZE) < 0 || note_what(b, seq, "batch") < 0)
                return -ENOMEM;
        nlh = nftnl_batch_begin(b->buf, b->seq_next++);
        /* The kernel refuses the batch (-ERESTART) if the ruleset moved past the generation
         * our dump saw: two units syncing at once never both create the rules. */
        if (genid != 0)
                mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
        b->len += NLMSG_ALIGN(nlh->nlmsg_len);
        return 0;
}

struct nlmsghdr *fw_batch_add(FwBatch *b, uint16_t type, uint16_t flags, const char *what) {
        if (reserve(b, FW_MSG_ROOM) < 0 || note_what(b, b->seq_next, what) < 0)
                return NULL;
        return nftnl_nlmsg_build_hdr(b->buf + b->len, type, NFPROTO_INET, flags | NLM_F_ACK, b->seq_next++);
}

void fw_batch_commit(FwBatch *b, struct nlmsghdr *nlh) {
        assert(nlh->nlmsg_len <= FW_MSG_ROOM);
        b->len += NLMSG_ALIGN(nlh->nlmsg_len);
        b->n_msgs++;
}

int fw_batch_end(FwBatch *b) {
        struct nlmsghdr *nlh;

        if (reserve(b, MNL_SOCKET_BUFFER_SIZE) < 0 || note_what(b, b->seq_next, "batch end") < 0)
                return -ENOMEM;
        nlh = nftnl_batch_end(b->buf + b->len, b->seq_next++);
        b->len += NLMSG_ALIGN(nlh->nlmsg_len);
        return 0;
}

void fw_batch_done(FwBatch *b) {
        free(b->buf);
        free(b->what);
        *b = (FwBatch) {};
}

/* table inet nspawn_compose { comment "..." } */
int fw_batch_add_table(FwBatch *b) {
        _cleanup_(nftnl_table_freep) struct nftnl_table *t = nftnl_table_alloc();
        FwUdata u = fw_udata_strz(NFTNL_UDATA_TABLE_COMMENT, "managed by nspawn-compose; changes are overwritten");
        struct nlmsghdr *nlh;

        nlh = t ? fw_batch_add(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "add table") : NULL;
        if (!nlh)
                return -ENOMEM;
        if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, FW_TABLE_NAME) < 0 ||
            nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, u.buf, u.len) < 0)
                return -ENOMEM;
        nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
        nftnl_table_nlmsg_build_payload(nlh, t);
        fw_batch_commit(b, nlh);
        return 0;
}

int fw_batch_del_table(FwBatch *b) {
        _cleanup_(nftnl_table_freep) struct nftnl_table *t = nftnl_table_alloc();
        struct nlmsghdr *nlh;

        nlh = t ? fw_batch_add(b, NFT_MSG_DELTABLE, 0, "delete table") : NULL;
        if (!nlh)
                return -ENOMEM;
        if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, FW_TABLE_NAME) < 0)
                return -ENOMEM;
        nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
        nftnl_table_nlmsg_build_payload(nlh, t);
        fw_batch_commit(b, nlh);
        return 0;
}

static struct nftnl_set *set_new(FwSetId set) {
        _cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();

        if (!s)
                return NULL;
        if (nftnl_set_set_str(s, NFTNL_SET_TABLE, FW_TABLE_NAME) < 0 ||
            nftnl_set_set_str(s, NFTNL_SET_NAME, fw_set_defs[set].name) < 0)
                return NULL;
        nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
        return TAKE_PTR(s);
}

/* map pub4 { type inet_proto . inet_service : ipv4_addr . inet_service } and the like */
int fw_batch_add_set(FwBatch *b, FwSetId set) {
        _cleanup_(nftnl_set_freep) struct nftnl_set *s = set_new(set);
        const FwSetDef *d = &fw_set_defs[set];
        struct nlmsghdr *nlh;
        char what[64];
        int r;

        snprintf(what, sizeof what, "add set %s", d->name);
        nlh = s ? fw_batch_add(b, NFT_MSG_NEWSET, NLM_F_CREATE, what) : NULL;
        if (!nlh)
                return -ENOMEM;
        nftnl_set_set_u32(s, NFTNL_SET_ID, set + 1);
        r = fw_set_userdata(set, s);
        if (r < 0)
                return r;
        nftnl_set_set_u32(s, NFTNL_SET_FLAGS, d->flags);
        nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->key_type);
        nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
        if (d->flags & NFT_SET_MAP) {
                nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, d->data_type);
                nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, d->data_len);
        }
        nftnl_set_nlmsg_build_payload(nlh, s);
        fw_batch_commit(b, nlh);
        return 0;
}

static struct nftnl_chain *chain_new(FwChainId chain) {
        _cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();

        if (!c)
                return NULL;
        if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FW_TABLE_NAME) < 0 ||
            nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, fw_chain_defs[chain].name) < 0)
                return NULL;
        nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
        return TAKE_PTR(c);
}

/* chain prerouting { type nat hook prerouting priority -100; policy accept; } and the like */
int fw_batch_add_chain(FwBatch *b, FwChainId chain) {
        _cleanup_(nftnl_chain_freep) struct nftnl_chain *c = chain_new(chain);
        const FwChainDef *d = &fw_chain_defs[chain];
        struct nlmsghdr *nlh;
        char what[64];

        snprintf(what, sizeof what, "add chain %s", d->name);
        nlh = c ? fw_batch_add(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, what) : NULL;
        if (!nlh)
                return -ENOMEM;
        if (d->type) {
                if (nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, d->type) < 0)
                        return -ENOMEM;
                nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, d->hooknum);
                nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, d->prio);
                nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
        }
        nftnl_chain_nlmsg_build_payload(nlh, c);
        fw_batch_commit(b, nlh);
        return 0;
}

int fw_batch_del_chain(FwBatch *b, FwChainId chain) {
        _cleanup_(nftnl_chain_freep) struct nftnl_chain *c = chain_new(chain);
        struct nlmsghdr *nlh;
        char what[64];

        snprintf(what, sizeof what, "delete chain %s", fw_chain_defs[chain].name);
        nlh = c ? fw_batch_add(b, NFT_MSG_DELCHAIN, 0, what) : NULL;
        if (!nlh)
                return -ENOMEM;
        nftnl_chain_nlmsg_build_payload(nlh, c);
        fw_batch_commit(b, nlh);
        return 0;
}

/* flush chain X: DELRULE naming only the chain deletes all its rules */
int fw_batch_flush_chain(FwBatch *b, FwChainId chain) {
        _cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();
        struct nlmsghdr *nlh;
        char what[64];

        snprintf(what, sizeof what, "flush chain %s", fw_chain_defs[chain].name);
        nlh = r ? fw_batch_add(b, NFT_MSG_DELRULE, 0, what) : NULL;
        if (!nlh)
                return -ENOMEM;
        if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, FW_TABLE_NAME) < 0 ||
            nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, fw_chain_defs[chain].name) < 0)
                return -ENOMEM;
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
        nftnl_rule_nlmsg_build_payload(nlh, r);
        fw_batch_commit(b, nlh);
        return 0;
}

int fw_batch_add_rules(FwBatch *b, FwChainId chain) {
        size_t n = fw_chain_n_rules(chain);

        for (size_t i = 0; i < n; i++) {
                _cleanup_(nftnl_rule_freep) struct nftnl_rule *r = fw_rule_build(chain, i);
                struct nlmsghdr *nlh;
                char what[64];

                snprintf(what, sizeof what, "add rule %s: %s", fw_chain_defs[chain].name, fw_rule_tag(chain, i));
                nlh = r ? fw_batch_add(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, what) : NULL;
                if (!nlh)
                        return -ENOMEM;
                nftnl_rule_nlmsg_build_payload(nlh, r);
                fw_batch_commit(b, nlh);
        }
        return 0;
}

/* One message for up to FW_ELEMS_PER_MSG elements of one set. */
static int batch_elems_chunk(FwBatch *b, bool add, FwSetId set, const FwElem *const *elems, size_t n) {
        _cleanup_(nftnl_set_freep) struct nftnl_set *s = set_new(set);
        struct nlmsghdr *nlh;
        char what[64];

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct nftnl_set_elem *ne = fw_elem_to_nftnl(elems[i]);

                if (!ne)
                        return -ENOMEM;
                nftnl_set_elem_add(s, ne);
        }
        snprintf(what, sizeof what, "%s %zu element(s) %s %s", add ? "add" : "delete", n,
                 add ? "to" : "from", fw_set_defs[set].name);
        nlh = fw_batch_add(b, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, add ? NLM_F_CREATE | NLM_F_EXCL : 0,
                           what);
        if (!nlh)
                return -ENOMEM;
        nftnl_set_elems_nlmsg_build_payload(nlh, s);
        fw_batch_commit(b, nlh);
        return 0;
}

int fw_batch_elems(FwBatch *b, bool add, const FwElem *const *elems, size_t n) {
        _cleanup_free_ const FwElem **chunk = calloc(FW_ELEMS_PER_MSG, sizeof *chunk);
        int r;

        if (!chunk)
                return -ENOMEM;
        for (FwSetId set = 0; set < _FW_SET_MAX; set++) {
                size_t k = 0;

                for (size_t i = 0; i < n; i++) {
                        if (elems[i]->set != set)
                                continue;
                        chunk[k++] = elems[i];
                        if (k < FW_ELEMS_PER_MSG)
                                continue;
                        r = batch_elems_chunk(b, add, set, chunk, k);
                        if (r < 0)
                                return r;
                        k = 0;
                }
                if (k > 0) {
                        r = batch_elems_chunk(b, add, set, chunk, k);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}
