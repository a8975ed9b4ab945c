/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <netinet/in.h>
#include <assert.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <libnftnl/udata.h>

#include "netfilter/netfilter-internal.h"

/* The fixed part of the table: sets, chains and rules. Nothing here grows with ports or projects.
 *
 * Hairpin: a machine that reaches a published port through a host address (the gateway, the
 * host's LAN address, ...) is DNATed to a machine that is usually on the same bridge. Without
 * SNAT the target answers the client directly at layer 2, past the host's conntrack, and the
 * client drops a reply from an address it never talked to. A per-machine "saddr . daddr" set only
 * covers a machine reaching itself; instead every DNATed connection whose source is a project
 * subnet (@nets4/@nets6, internal ones included) is masqueraded, so replies always come back
 * through the host, whichever machine or bridge is on either side. Connections from outside keep
 * their source address. */

/* nft's datatype ids (nftables include/datatype.h); only `nft list` reads them. */
enum {
        TYPE_IPADDR = 7,
        TYPE_IP6ADDR = 8,
        TYPE_INET_PROTOCOL = 12,
        TYPE_INET_SERVICE = 13,
        TYPE_INTEGER = 4,
        TYPE_IFNAME = FW_TYPE_IFNAME,
        TYPE_BITS = 6,
};

#define CONCAT2(a, b) (((a) << TYPE_BITS) | (b))
#define CONCAT3(a, b, c) CONCAT2(CONCAT2(a, b), c)
#define CONCAT4(a, b, c, d) CONCAT2(CONCAT3(a, b, c), d)
#define PROTO_PORT CONCAT2(TYPE_INET_PROTOCOL, TYPE_INET_SERVICE)
#define PROTO_PORT_SLOT CONCAT3(TYPE_INET_PROTOCOL, TYPE_INET_SERVICE, TYPE_INTEGER)

const FwSetDef fw_set_defs[_FW_SET_MAX] = {
        [FW_SET_PUB4] = { "pub4", NFT_SET_MAP, PROTO_PORT, 8,
                          CONCAT2(TYPE_IPADDR, TYPE_INET_SERVICE), 8, AF_INET },
        [FW_SET_PUB4_ADDR] = { "pub4_addr", NFT_SET_MAP, CONCAT3(TYPE_IPADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE), 12,
                               CONCAT2(TYPE_IPADDR, TYPE_INET_SERVICE), 8, AF_INET, .by_addr = true },
        [FW_SET_PUB6] = { "pub6", NFT_SET_MAP, PROTO_PORT, 8,
                          CONCAT2(TYPE_IP6ADDR, TYPE_INET_SERVICE), 20, AF_INET6 },
        [FW_SET_PUB6_ADDR] = { "pub6_addr", NFT_SET_MAP, CONCAT3(TYPE_IP6ADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE), 24,
                               CONCAT2(TYPE_IP6ADDR, TYPE_INET_SERVICE), 20, AF_INET6, .by_addr = true },
        [FW_SET_LB4] = { "lb4", NFT_SET_MAP, PROTO_PORT_SLOT, 12,
                         CONCAT2(TYPE_IPADDR, TYPE_INET_SERVICE), 8, AF_INET, .slot = true },
        [FW_SET_LB4_ADDR] = { "lb4_addr", NFT_SET_MAP, CONCAT4(TYPE_IPADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE, TYPE_INTEGER), 16,
                              CONCAT2(TYPE_IPADDR, TYPE_INET_SERVICE), 8, AF_INET, .by_addr = true, .slot = true },
        [FW_SET_LB6] = { "lb6", NFT_SET_MAP, PROTO_PORT_SLOT, 12,
                         CONCAT2(TYPE_IP6ADDR, TYPE_INET_SERVICE), 20, AF_INET6, .slot = true },
        [FW_SET_LB6_ADDR] = { "lb6_addr", NFT_SET_MAP, CONCAT4(TYPE_IP6ADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE, TYPE_INTEGER), 28,
                              CONCAT2(TYPE_IP6ADDR, TYPE_INET_SERVICE), 20, AF_INET6, .by_addr = true, .slot = true },
        [FW_SET_NETS4] = { "nets4", NFT_SET_INTERVAL, TYPE_IPADDR, 4 },
        [FW_SET_NETS6] = { "nets6", NFT_SET_INTERVAL, TYPE_IP6ADDR, 16 },
        [FW_SET_MASQ4] = { "masq4", NFT_SET_INTERVAL, TYPE_IPADDR, 4 },
        [FW_SET_MASQ6] = { "masq6", NFT_SET_INTERVAL, TYPE_IP6ADDR, 16 },
        [FW_SET_LNET_IFS] = { "lnet_ifs", 0, TYPE_IFNAME, IFNAMSIZ },
};

const FwChainDef fw_chain_defs[_FW_CHAIN_MAX] = {
        [FW_CHAIN_RAW_PREROUTING] = { "raw_prerouting", "filter", NF_INET_PRE_ROUTING, -300 },
        [FW_CHAIN_PUBLISHED] = { "published" },
        [FW_CHAIN_PREROUTING] = { "prerouting", "nat", NF_INET_PRE_ROUTING, -100 },
        [FW_CHAIN_OUTPUT] = { "output", "nat", NF_INET_LOCAL_OUT, -100 },
        [FW_CHAIN_POSTROUTING] = { "postrouting", "nat", NF_INET_POST_ROUTING, 100 },
};

/* nft's own ids, as nft stores a set's `typeof` in its user data (nftables include/expression.h,
 * proto.h, and each expression's build_udata()): what `nft list` prints from and `nft -f` reads
 * back. A key with a numgen part needs it: its type "integer" has no size of its own. */
enum {
        EXPR_PAYLOAD = 7, EXPR_META = 9, EXPR_CONCAT = 13, EXPR_NUMGEN = 23,
        PROTO_DESC_TH = 11, PROTO_DESC_IP = 12, PROTO_DESC_IP6 = 13,
        THDR_DPORT = 2, IPHDR_DADDR = 12, IP6HDR_DADDR = 9,
};

typedef struct TypeofPart {
        uint32_t etype;
        uint32_t attrs[3];              /* the expression's udata attributes 0, 1, 2 */
        unsigned n_attrs;
} TypeofPart;

#define TYPEOF_IP_DADDR { EXPR_PAYLOAD, { PROTO_DESC_IP, IPHDR_DADDR }, 2 }
#define TYPEOF_IP6_DADDR { EXPR_PAYLOAD, { PROTO_DESC_IP6, IP6HDR_DADDR }, 2 }
#define TYPEOF_L4PROTO { EXPR_META, { NFT_META_L4PROTO }, 1 }
#define TYPEOF_TH_DPORT { EXPR_PAYLOAD, { PROTO_DESC_TH, THDR_DPORT }, 2 }
#define TYPEOF_NUMGEN { EXPR_NUMGEN, { NFT_NG_INCREMENTAL, FW_BALANCE_MAX, 0 }, 3 }

/* typeof concatenation @parts as attribute @type of @b */
static bool put_typeof(struct nftnl_udata_buf *b, uint8_t type, const TypeofPart *parts, size_t n) {
        struct nftnl_udata *outer, *data;

        outer = nftnl_udata_nest_start(b, type);
        if (!outer || !nftnl_udata_put_u32(b, NFTNL_UDATA_SET_TYPEOF_EXPR, EXPR_CONCAT))
                return false;
        data = nftnl_udata_nest_start(b, NFTNL_UDATA_SET_TYPEOF_DATA);
        if (!data)
                return false;
        for (size_t i = 0; i < n; i++) {
                struct nftnl_udata *part = nftnl_udata_nest_start(b, (uint8_t) i), *attrs;

                if (!part || !nftnl_udata_put_u32(b, 0, parts[i].etype))
                        return false;
                attrs = nftnl_udata_nest_start(b, 1);
                if (!attrs)
                        return false;
                for (unsigned k = 0; k < parts[i].n_attrs; k++)
                        if (!nftnl_udata_put_u32(b, (uint8_t) k, parts[i].attrs[k]))
                                return false;
                nftnl_udata_nest_end(b, attrs);
                nftnl_udata_nest_end(b, part);
        }
        nftnl_udata_nest_end(b, data);
        nftnl_udata_nest_end(b, outer);
        return true;
}

static bool put_lb_typeof(struct nftnl_udata_buf *b, FwSetId set) {
        static const TypeofPart data4[] = { TYPEOF_IP_DADDR, TYPEOF_TH_DPORT },
                                data6[] = { TYPEOF_IP6_DADDR, TYPEOF_TH_DPORT };
        const FwSetDef *d = &fw_set_defs[set];
        TypeofPart key[4];
        size_t n = 0;

        if (d->by_addr)
                key[n++] = d->family == AF_INET ? (TypeofPart) TYPEOF_IP_DADDR : (TypeofPart) TYPEOF_IP6_DADDR;
        key[n++] = (TypeofPart) TYPEOF_L4PROTO;
        key[n++] = (TypeofPart) TYPEOF_TH_DPORT;
        key[n++] = (TypeofPart) TYPEOF_NUMGEN;
        return nftnl_udata_put_u32(b, NFTNL_UDATA_SET_KEYBYTEORDER, 0) &&
                nftnl_udata_put_u32(b, NFTNL_UDATA_SET_DATABYTEORDER, 0) &&
                put_typeof(b, NFTNL_UDATA_SET_KEY_TYPEOF, key, n) &&
                put_typeof(b, NFTNL_UDATA_SET_DATA_TYPEOF, d->family == AF_INET ? data4 : data6, 2);
}

int fw_set_userdata(FwSetId set, struct nftnl_set *s) {
        _cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *b = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
        const FwSetDef *d = &fw_set_defs[set];
        bool ok = true;

        if (!b)
                return -ENOMEM;
        if (d->key_type == FW_TYPE_IFNAME)
                /* tells `nft list` that the key is a string in host order, not a number */
                ok = nftnl_udata_put_u32(b, NFTNL_UDATA_SET_KEYBYTEORDER, FW_BYTEORDER_HOST);
        else if (d->slot)
                ok = put_lb_typeof(b, set);
        if (!ok)
                return -ENOBUFS;
        if (nftnl_udata_buf_len(b) == 0)
                return 0;
        return nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(b), nftnl_udata_buf_len(b)) < 0 ?
                -ENOMEM : 0;
}

FwSetId fw_set_from_name(const char *name) {
        for (FwSetId i = 0; i < _FW_SET_MAX; i++)
                if (streq(fw_set_defs[i].name, name))
                        return i;
        return _FW_SET_INVALID;
}

FwChainId fw_chain_from_name(const char *name) {
        for (FwChainId i = 0; i < _FW_CHAIN_MAX; i++)
                if (streq(fw_chain_defs[i].name, name))
                        return i;
        return _FW_CHAIN_INVALID;
}

/* ---- expressions: each returns false on OOM ---- */

static bool add_expr(struct nftnl_rule *r, struct nftnl_expr *e) {
        if (!e)
                return false;
        nftnl_rule_add_expr(r, e);
        return true;
}

static bool meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg) {
        struct nftnl_expr *e = nftnl_expr_alloc("meta");

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
        return add_expr(r, e);
}

static bool payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg) {
        struct nftnl_expr *e = nftnl_expr_alloc("payload");

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
        return add_expr(r, e);
}

static bool cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len) {
        struct nftnl_expr *e = nftnl_expr_alloc("cmp");

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG32_00);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
        if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len) < 0) {
                nftnl_expr_free(e);
                return false;
        }
        return add_expr(r, e);
}

/* meta nfproto ipv4|ipv6 */
static bool nfproto(struct nftnl_rule *r, uint8_t family) {
        return meta(r, NFT_META_NFPROTO, NFT_REG32_00) && cmp(r, NFT_CMP_EQ, &family, 1);
}

static bool lookup(struct nftnl_rule *r, uint32_t sreg, FwSetId set, bool map, bool invert) {
        struct nftnl_expr *e = nftnl_expr_alloc("lookup");

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
        if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, fw_set_defs[set].name) < 0) {
                nftnl_expr_free(e);
                return false;
        }
        if (map)
                nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG32_00);
        if (invert)
                nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
        return add_expr(r, e);
}

static bool dnat(struct nftnl_rule *r, uint32_t family, uint32_t reg_proto) {
        struct nftnl_expr *e = nftnl_expr_alloc("nat");

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, family);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG32_00);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, reg_proto);
        return add_expr(r, e);
}

static bool masq(struct nftnl_rule *r) {
        return add_expr(r, nftnl_expr_alloc("masq"));
}

static bool verdict(struct nftnl_rule *r, int v, const char *chain) {
        struct nftnl_expr *e = nftnl_expr_alloc("immediate");

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t) v);
        if (chain && nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0) {
                nftnl_expr_free(e);
                return false;
        }
        return add_expr(r, e);
}

/* fib daddr type local */
static bool fib_daddr_local(struct nftnl_rule *r) {
        struct nftnl_expr *e = nftnl_expr_alloc("fib");
        uint32_t local = RTN_LOCAL;

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG32_00);
        return add_expr(r, e) && cmp(r, NFT_CMP_EQ, &local, sizeof local);
}

/* ct status dnat */
static bool ct_status_dnat(struct nftnl_rule *r) {
        struct nftnl_expr *ct = nftnl_expr_alloc("ct"), *bw;
        uint32_t mask = IPS_DST_NAT, zero = 0;

        if (!ct)
                return false;
        nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
        nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_DREG, NFT_REG32_00);
        if (!add_expr(r, ct))
                return false;
        bw = nftnl_expr_alloc("bitwise");
        if (!bw)
                return false;
        nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_SREG, NFT_REG32_00);
        nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_DREG, NFT_REG32_00);
        nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_LEN, sizeof mask);
        if (nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof mask) < 0 ||
            nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof zero) < 0) {
                nftnl_expr_free(bw);
                return false;
        }
        return add_expr(r, bw) && cmp(r, NFT_CMP_NEQ, &zero, sizeof zero);
}

/* ip saddr|daddr 127.0.0.0/8: one byte, as nft emits it */
static bool ip_loopback(struct nftnl_rule *r, uint32_t offset) {
        uint8_t net = 127;

        return nfproto(r, NFPROTO_IPV4) &&
                payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, 1, NFT_REG32_00) &&
                cmp(r, NFT_CMP_EQ, &net, 1);
}

/* ---- rules, one function each; the comment above each is what `nft list` prints ---- */

enum {
        IP_SADDR = 12, IP_DADDR = 16,           /* offsets in struct iphdr */
        IP6_SADDR = 8, IP6_DADDR = 24,          /* offsets in struct ip6_hdr */
        TH_DPORT = 2,
};

/* iifname @lnet_ifs ip daddr 127.0.0.0/8 drop   (route_localnet=1 must not expose the host's 127/8) */
static bool rule_lnet_daddr(struct nftnl_rule *r, _unused_ unsigned n) {
        return meta(r, NFT_META_IIFNAME, NFT_REG32_00) &&
                lookup(r, NFT_REG32_00, FW_SET_LNET_IFS, false, false) &&
                ip_loopback(r, IP_DADDR) && verdict(r, NF_DROP, NULL);
}

/* iifname @lnet_ifs ip saddr 127.0.0.0/8 drop   (nor accept spoofed loopback sources) */
static bool rule_lnet_saddr(struct nftnl_rule *r, _unused_ unsigned n) {
        return meta(r, NFT_META_IIFNAME, NFT_REG32_00) &&
                lookup(r, NFT_REG32_00, FW_SET_LNET_IFS, false, false) &&
                ip_loopback(r, IP_SADDR) && verdict(r, NF_DROP, NULL);
}

/* fib daddr type local jump published */
static bool rule_jump_published(struct nftnl_rule *r, _unused_ unsigned n) {
        return fib_daddr_local(r) && verdict(r, NFT_JUMP, fw_chain_defs[FW_CHAIN_PUBLISHED].name);
}

/* ip6 daddr ::1 return   (no route_localnet for IPv6: a DNATed ::1 would hang, not be refused) */
static bool rule_no_ip6_loopback(struct nftnl_rule *r, _unused_ unsigned n) {
        return nfproto(r, NFPROTO_IPV6) &&
                payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_DADDR, 16, NFT_REG32_00) &&
                cmp(r, NFT_CMP_EQ, &in6addr_loopback, sizeof in6addr_loopback) &&
                verdict(r, NFT_RETURN, NULL);
}

/* meta l4proto . th dport into @reg and the next register */
static bool proto_port(struct nftnl_rule *r, uint32_t reg) {
        return meta(r, NFT_META_L4PROTO, reg) &&
                payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, TH_DPORT, 2, reg + 1);
}

/* dnat ip to ip daddr . meta l4proto . th dport map @pub4_addr */
static bool rule_pub4_addr(struct nftnl_rule *r, _unused_ unsigned n) {
        return nfproto(r, NFPROTO_IPV4) &&
                payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP_DADDR, 4, NFT_REG32_00) &&
                proto_port(r, NFT_REG32_01) && lookup(r, NFT_REG32_00, FW_SET_PUB4_ADDR, true, false) &&
                dnat(r, NFPROTO_IPV4, NFT_REG32_01);
}

/* dnat ip to meta l4proto . th dport map @pub4 */
static bool rule_pub4(struct nftnl_rule *r, _unused_ unsigned n) {
        return nfproto(r, NFPROTO_IPV4) && proto_port(r, NFT_REG32_00) &&
                lookup(r, NFT_REG32_00, FW_SET_PUB4, true, false) && dnat(r, NFPROTO_IPV4, NFT_REG32_01);
}

/* dnat ip6 to ip6 daddr . meta l4proto . th dport map @pub6_addr   (the address fills 4 registers) */
static bool rule_pub6_addr(struct nftnl_rule *r, _unused_ unsigned n) {
        return nfproto(r, NFPROTO_IPV6) &&
                payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_DADDR, 16, NFT_REG32_00) &&
                proto_port(r, NFT_REG32_04) && lookup(r, NFT_REG32_00, FW_SET_PUB6_ADDR, true, false) &&
                dnat(r, NFPROTO_IPV6, NFT_REG32_04);
}

/* dnat ip6 to meta l4proto . th dport map @pub6 */
static bool rule_pub6(struct nftnl_rule *r, _unused_ unsigned n) {
        return nfproto(r, NFPROTO_IPV6) && proto_port(r, NFT_REG32_00) &&
                lookup(r, NFT_REG32_00, FW_SET_PUB6, true, false) && dnat(r, NFPROTO_IPV6, NFT_REG32_04);
}

/* numgen inc mod @n offset fw_slot_base(@n) into @reg */
static bool numgen_slot(struct nftnl_rule *r, uint32_t reg, unsigned n) {
        struct nftnl_expr *e = nftnl_expr_alloc("numgen");

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, reg);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, n);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_INCREMENTAL);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, fw_slot_base(n));
        return add_expr(r, e);
}

/* dnat ip to ip daddr . meta l4proto . th dport . numgen inc mod N offset O map @lb4_addr */
static bool rule_lb4_addr(struct nftnl_rule *r, unsigned n) {
        return nfproto(r, NFPROTO_IPV4) &&
                payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP_DADDR, 4, NFT_REG32_00) &&
                proto_port(r, NFT_REG32_01) && numgen_slot(r, NFT_REG32_03, n) &&
                lookup(r, NFT_REG32_00, FW_SET_LB4_ADDR, true, false) && dnat(r, NFPROTO_IPV4, NFT_REG32_01);
}

/* dnat ip to meta l4proto . th dport . numgen inc mod N offset O map @lb4 */
static bool rule_lb4(struct nftnl_rule *r, unsigned n) {
        return nfproto(r, NFPROTO_IPV4) && proto_port(r, NFT_REG32_00) && numgen_slot(r, NFT_REG32_02, n) &&
                lookup(r, NFT_REG32_00, FW_SET_LB4, true, false) && dnat(r, NFPROTO_IPV4, NFT_REG32_01);
}

/* dnat ip6 to ip6 daddr . meta l4proto . th dport . numgen inc mod N offset O map @lb6_addr */
static bool rule_lb6_addr(struct nftnl_rule *r, unsigned n) {
        return nfproto(r, NFPROTO_IPV6) &&
                payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_DADDR, 16, NFT_REG32_00) &&
                proto_port(r, NFT_REG32_04) && numgen_slot(r, NFT_REG32_06, n) &&
                lookup(r, NFT_REG32_00, FW_SET_LB6_ADDR, true, false) && dnat(r, NFPROTO_IPV6, NFT_REG32_04);
}

/* dnat ip6 to meta l4proto . th dport . numgen inc mod N offset O map @lb6 */
static bool rule_lb6(struct nftnl_rule *r, unsigned n) {
        return nfproto(r, NFPROTO_IPV6) && proto_port(r, NFT_REG32_00) && numgen_slot(r, NFT_REG32_02, n) &&
                lookup(r, NFT_REG32_00, FW_SET_LB6, true, false) && dnat(r, NFPROTO_IPV6, NFT_REG32_04);
}

/* ct status dnat ip saddr 127.0.0.0/8 masquerade   (a machine cannot answer the host's 127.0.0.1) */
static bool rule_masq_localhost(struct nftnl_rule *r, _unused_ unsigned n) {
        return ct_status_dnat(r) && ip_loopback(r, IP_SADDR) && masq(r);
}

/* ct status dnat ip saddr @nets4 masquerade   (hairpin, see the top of this file) */
static bool rule_hairpin4(struct nftnl_rule *r, _unused_ unsigned n) {
        return ct_status_dnat(r) && nfproto(r, NFPROTO_IPV4) &&
                payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP_SADDR, 4, NFT_REG32_00) &&
                lookup(r, NFT_REG32_00, FW_SET_NETS4, false, false) && masq(r);
}

/* ct status dnat ip6 saddr @nets6 masquerade */
static bool rule_hairpin6(struct nftnl_rule *r, _unused_ unsigned n) {
        return ct_status_dnat(r) && nfproto(r, NFPROTO_IPV6) &&
                payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_SADDR, 16, NFT_REG32_00) &&
                lookup(r, NFT_REG32_00, FW_SET_NETS6, false, false) && masq(r);
}

/* ip saddr @masq4 ip daddr != @nets4 masquerade   (outbound; between project subnets keep sources) */
static bool rule_masq4(struct nftnl_rule *r, _unused_ unsigned n) {
        return nfproto(r, NFPROTO_IPV4) &&
                payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP_SADDR, 4, NFT_REG32_00) &&
                lookup(r, NFT_REG32_00, FW_SET_MASQ4, false, false) &&
                payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP_DADDR, 4, NFT_REG32_00) &&
                lookup(r, NFT_REG32_00, FW_SET_NETS4, false, true) && masq(r);
}

/* ip6 saddr @masq6 ip6 daddr != @nets6 masquerade */
static bool rule_masq6(struct nftnl_rule *r, _unused_ unsigned n) {
        return nfproto(r, NFPROTO_IPV6) &&
                payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_SADDR, 16, NFT_REG32_00) &&
                lookup(r, NFT_REG32_00, FW_SET_MASQ6, false, false) &&
                payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_DADDR, 16, NFT_REG32_00) &&
                lookup(r, NFT_REG32_00, FW_SET_NETS6, false, true) && masq(r);
}

typedef struct FwRuleDef {
        FwChainId chain;
        const char *tag;
        bool (*build)(struct nftnl_rule *r, unsigned n);
        unsigned n;                     /* the balanced rules: group size */
} FwRuleDef;

#define LB_RULE(name, k) { FW_CHAIN_PUBLISHED, "nspawn-compose: " #name " mod " #k, rule_##name, k }
#define LB_RULES(name)                                                                  \
        LB_RULE(name, 2), LB_RULE(name, 3), LB_RULE(name, 4), LB_RULE(name, 5),         \
        LB_RULE(name, 6), LB_RULE(name, 7), LB_RULE(name, 8), LB_RULE(name, 9),         \
        LB_RULE(name, 10), LB_RULE(name, 11), LB_RULE(name, 12), LB_RULE(name, 13),     \
        LB_RULE(name, 14), LB_RULE(name, 15), LB_RULE(name, 16)
static_assert(FW_BALANCE_MAX == 16, "LB_RULES() lists 2..16");

/* In chain order; the tag is the rule's comment and how a dump recognizes it. */
static const FwRuleDef rule_defs[] = {
        { FW_CHAIN_RAW_PREROUTING, "nspawn-compose: no 127/8 to host", rule_lnet_daddr },
        { FW_CHAIN_RAW_PREROUTING, "nspawn-compose: no 127/8 from machines", rule_lnet_saddr },
        { FW_CHAIN_PUBLISHED, "nspawn-compose: pub4_addr", rule_pub4_addr },
        { FW_CHAIN_PUBLISHED, "nspawn-compose: pub4", rule_pub4 },
        { FW_CHAIN_PUBLISHED, "nspawn-compose: pub6_addr", rule_pub6_addr },
        { FW_CHAIN_PUBLISHED, "nspawn-compose: pub6", rule_pub6 },
        LB_RULES(lb4_addr),
        LB_RULES(lb4),
        LB_RULES(lb6_addr),
        LB_RULES(lb6),
        { FW_CHAIN_PREROUTING, "nspawn-compose: published", rule_jump_published },
        { FW_CHAIN_OUTPUT, "nspawn-compose: no ::1", rule_no_ip6_loopback },
        { FW_CHAIN_OUTPUT, "nspawn-compose: published", rule_jump_published },
        { FW_CHAIN_POSTROUTING, "nspawn-compose: localhost", rule_masq_localhost },
        { FW_CHAIN_POSTROUTING, "nspawn-compose: hairpin4", rule_hairpin4 },
        { FW_CHAIN_POSTROUTING, "nspawn-compose: hairpin6", rule_hairpin6 },
        { FW_CHAIN_POSTROUTING, "nspawn-compose: masq4", rule_masq4 },
        { FW_CHAIN_POSTROUTING, "nspawn-compose: masq6", rule_masq6 },
};

static const FwRuleDef *rule_def(FwChainId chain, size_t i) {
        for (size_t k = 0; k < ELEMENTSOF(rule_defs); k++)
                if (rule_defs[k].chain == chain && i-- == 0)
                        return &rule_defs[k];
        return NULL;
}

size_t fw_chain_n_rules(FwChainId chain) {
        size_t n = 0;

        for (size_t k = 0; k < ELEMENTSOF(rule_defs); k++)
                n += rule_defs[k].chain == chain;
        return n;
}

const char *fw_rule_tag(FwChainId chain, size_t i) {
        const FwRuleDef *d = rule_def(chain, i);

        return d ? d->tag : NULL;
}

struct nftnl_rule *fw_rule_build(FwChainId chain, size_t i) {
        _cleanup_(nftnl_rule_freep) struct nftnl_rule *r = NULL;
        const FwRuleDef *d = rule_def(chain, i);
        FwUdata u;

        assert(d);
        r = nftnl_rule_alloc();
        if (!r)
                return NULL;
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
        if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, FW_TABLE_NAME) < 0 ||
            nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, fw_chain_defs[chain].name) < 0)
                return NULL;
        u = fw_udata_strz(NFTNL_UDATA_RULE_COMMENT, d->tag);
        if (nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, u.buf, u.len) < 0 || !d->build(r, d->n))
                return NULL;
        return TAKE_PTR(r);
}
