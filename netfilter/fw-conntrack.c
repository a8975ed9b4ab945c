/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>

#include "netfilter/netfilter-internal.h"

/* Raw ctnetlink over libmnl: dump the conntrack table of one family, pick the entries that went
 * through a given mapping (original destination = the published host port, reply source = the
 * old target), then delete each by its original tuple. */

typedef struct CtTuple {
        FwAddr src, dst;
        uint8_t proto;
        uint16_t sport, dport;          /* network order */
} CtTuple;

typedef struct CtMatch {
        const FwMapping *m;
        size_t n_m;
        int family;
        char (*victims)[128];           /* original tuple attributes, copied */
        size_t n_victims, alloc;
        int error;
} CtMatch;

static int tuple_parse(const struct nlattr *nest, int family, CtTuple *ret) {
        const struct nlattr *tb[CTA_TUPLE_MAX + 1] = {}, *ip[CTA_IP_MAX + 1] = {}, *pr[CTA_PROTO_MAX + 1] = {};
        size_t alen = family == AF_INET ? 4 : 16;
        CtTuple t = {};

        if (nl_attr_parse_nested(nest, tb, CTA_TUPLE_MAX) < 0 || !tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO] ||
            nl_attr_parse_nested(tb[CTA_TUPLE_IP], ip, CTA_IP_MAX) < 0 ||
            nl_attr_parse_nested(tb[CTA_TUPLE_PROTO], pr, CTA_PROTO_MAX) < 0)
                return -EBADMSG;
        const struct nlattr *src = ip[family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC];
        const struct nlattr *dst = ip[family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST];
        if (!src || !dst || mnl_attr_get_payload_len(src) != alen || mnl_attr_get_payload_len(dst) != alen ||
            !pr[CTA_PROTO_NUM] || !pr[CTA_PROTO_SRC_PORT] || !pr[CTA_PROTO_DST_PORT])
                return -EBADMSG;
        memcpy(t.src.bytes, mnl_attr_get_payload(src), alen);
        memcpy(t.dst.bytes, mnl_attr_get_payload(dst), alen);
        t.proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
        t.sport = mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]);
        t.dport = mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]);
        *ret = t;
        return 0;
}

static bool went_through(const FwMapping *m, int family, const CtTuple *orig, const CtTuple *reply) {
        size_t alen = family == AF_INET ? 4 : 16;

        return m->family == family && orig->proto == m->protocol && orig->dport == htons(m->host_port) &&
                (m->host_any || memcmp(orig->dst.bytes, m->host.bytes, alen) == 0) &&
                reply->sport == htons(m->target_port) && memcmp(reply->src.bytes, m->target.bytes, alen) == 0;
}

static int ct_cb(const struct nlmsghdr *nlh, void *data) {
        const struct nlattr *tb[CTA_MAX + 1] = {};
        CtTuple orig, reply;
        CtMatch *st = data;
        bool hit = false;

        if (nl_attr_parse(nlh, sizeof(struct nfgenmsg), tb, CTA_MAX) < 0 || !tb[CTA_TUPLE_ORIG] ||
            !tb[CTA_TUPLE_REPLY] || tuple_parse(tb[CTA_TUPLE_ORIG], st->family, &orig) < 0 ||
            tuple_parse(tb[CTA_TUPLE_REPLY], st->family, &reply) < 0)
                return MNL_CB_OK;
        for (size_t i = 0; i < st->n_m && !hit; i++)
                hit = went_through(&st->m[i], st->family, &orig, &reply);
        if (!hit || tb[CTA_TUPLE_ORIG]->nla_len > sizeof st->victims[0])
                return MNL_CB_OK;
        if (st->n_victims >= st->alloc) {
                size_t n = MAX(16u, st->alloc * 2);
                char (*v)[128] = realloc(st->victims, n * sizeof *v);

                if (!v) {
                        st->error = -ENOMEM;
                        return MNL_CB_ERROR;
                }
                st->victims = v;
                st->alloc = n;
        }
        memcpy(st->victims[st->n_victims++], tb[CTA_TUPLE_ORIG], tb[CTA_TUPLE_ORIG]->nla_len);
        return MNL_CB_OK;
}

static struct nlmsghdr *ct_request(FwContext *ctx, char *buf, uint16_t type, uint16_t flags, int family) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct nfgenmsg *g;

        nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
        nlh->nlmsg_flags = NLM_F_REQUEST | flags;
        nlh->nlmsg_seq = ctx->seq++;
        g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
        g->nfgen_family = (uint8_t) family;
        g->version = NFNETLINK_V0;
        return nlh;
}

static void ct_match_done(CtMatch *st) {
        free(st->victims);
        st->victims = NULL;
}

static int flush_family(FwContext *ctx, const FwMapping *m, size_t n, int family) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        _cleanup_(ct_match_done) CtMatch st = { .m = m, .n_m = n, .family = family };
        int r, deleted = 0;

        r = fw_dump(ctx, ct_request(ctx, buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family), ct_cb, &st);
        if (st.error < 0)
                return st.error;
        if (r < 0)
                return r;
        for (size_t i = 0; i < st.n_victims; i++) {
                struct nlmsghdr *nlh = ct_request(ctx, buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, family);
                const struct nlattr *a = (const void*) st.victims[i];

                memcpy(mnl_nlmsg_get_payload_tail(nlh), a, MNL_ALIGN(a->nla_len));
                nlh->nlmsg_len += MNL_ALIGN(a->nla_len);
                r = fw_dump(ctx, nlh, NULL, NULL);
                if (r == -ENOENT)       /* the entry ended meanwhile */
                        continue;
                if (r < 0)
                        return r;
                deleted++;
        }
        return deleted;
}

int fw_conntrack_flush(FwContext *ctx, const FwMapping *m, size_t n) {
        int r4, r6;

        r4 = flush_family(ctx, m, n, AF_INET);
        r6 = flush_family(ctx, m, n, AF_INET6);
        if (r4 < 0)
                return r4;
        if (r6 < 0)
                return r6;
        return r4 + r6;
}
