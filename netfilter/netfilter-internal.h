/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the netfilter/ sources and their tests; nothing else includes it. */

#include <linux/netlink.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "lib/in-addr-util.h"
#include "netfilter/netfilter.h"

DEFINE_VOID_CLEANUP_FUNC(struct nftnl_table*, nftnl_table_free);
DEFINE_VOID_CLEANUP_FUNC(struct nftnl_chain*, nftnl_chain_free);
DEFINE_VOID_CLEANUP_FUNC(struct nftnl_rule*, nftnl_rule_free);
DEFINE_VOID_CLEANUP_FUNC(struct nftnl_set*, nftnl_set_free);
DEFINE_VOID_CLEANUP_FUNC(struct nftnl_set_elem*, nftnl_set_elem_free);
DEFINE_VOID_CLEANUP_FUNC(struct nftnl_udata_buf*, nftnl_udata_buf_free);

/* Addresses are parsed with lib/in-addr-util.h. */
typedef union in_addr_union FwAddr;

/* One user-data attribute in libnftnl's format (type, length, value), as nft writes comments. */
typedef struct FwUdata {
        uint8_t buf[2 + 128];
        uint32_t len;
} FwUdata;

FwUdata fw_udata_strz(uint8_t type, const char *s);     /* truncated to 127 bytes */

/* The host side of a published port (fw-elem.c), parsed and checked as fw_port_check() does. */
typedef struct FwPortHost {
        uint8_t protocol;               /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
        int family;                     /* of the target, and of the host address */
        bool any;                       /* every host address of @family */
        FwAddr addr;                    /* unless @any */
} FwPortHost;

int fw_port_host(const FwPort *p, FwPortHost *ret, NcError *reterr);

/* ---- the fixed layout (fw-layout.c) ---- */

typedef enum FwSetId {
        FW_SET_PUB4,
        FW_SET_PUB4_ADDR,
        FW_SET_PUB6,
        FW_SET_PUB6_ADDR,
        FW_SET_LB4,                     /* the port sets come first, pub* before lb* */
        FW_SET_LB4_ADDR,
        FW_SET_LB6,
        FW_SET_LB6_ADDR,
        FW_SET_NETS4,
        FW_SET_NETS6,
        FW_SET_MASQ4,
        FW_SET_MASQ6,
        FW_SET_LNET_IFS,
        _FW_SET_MAX,
        _FW_SET_INVALID = -EINVAL,
} FwSetId;

typedef struct FwSetDef {
        const char *name;
        uint32_t flags;                 /* NFT_SET_MAP, NFT_SET_INTERVAL */
        uint32_t key_type, key_len;     /* nft datatype ids, for `nft list` */
        uint32_t data_type, data_len;
        int family;                     /* port sets: of host and target; 0 for the others */
        bool by_addr;                   /* port sets: the key starts with the host address */
        bool slot;                      /* lb*: the key ends with the balancing slot */
} FwSetDef;

static inline bool fw_set_is_port(FwSetId set) {
        return set >= FW_SET_PUB4 && set <= FW_SET_LB6_ADDR;
}

/* A balanced port of @n targets (2..FW_BALANCE_MAX) owns the slots [fw_slot_base(n), +n): one
 * rule per @n draws "numgen inc mod n offset fw_slot_base(n)", so the ranges of different @n
 * never overlap and a port is only found by the rule of its own group size. */
static inline uint32_t fw_slot_base(unsigned n) {
        return n * (n - 1) / 2;
}

#define FW_TYPE_IFNAME 41              /* nft's datatype id of ifname */
#define FW_BYTEORDER_HOST 1             /* nft's BYTEORDER_HOST_ENDIAN */

extern const FwSetDef fw_set_defs[_FW_SET_MAX];
FwSetId fw_set_from_name(const char *name);
/* The set's user data, for `nft list` and `nft -f`: its key's byte order or its typeof. */
int fw_set_userdata(FwSetId set, struct nftnl_set *s);

typedef enum FwChainId {
        FW_CHAIN_RAW_PREROUTING,
        FW_CHAIN_PUBLISHED,             /* before its users: they jump to it */
        FW_CHAIN_PREROUTING,
        FW_CHAIN_OUTPUT,
        FW_CHAIN_POSTROUTING,
        _FW_CHAIN_MAX,
        _FW_CHAIN_INVALID = -EINVAL,
} FwChainId;

typedef struct FwChainDef {
        const char *name;
        const char *type;               /* NULL: regular chain */
        uint32_t hooknum;
        int32_t prio;
} FwChainDef;

extern const FwChainDef fw_chain_defs[_FW_CHAIN_MAX];
FwChainId fw_chain_from_name(const char *name);

/* Number of rules in @chain, and the comment that tags its i-th rule. */
size_t fw_chain_n_rules(FwChainId chain);
const char *fw_rule_tag(FwChainId chain, size_t i);
/* Builds the i-th rule of @chain. NULL on OOM. */
struct nftnl_rule *fw_rule_build(FwChainId chain, size_t i);

/* ---- elements (fw-elem.c) ---- */

#define FW_KEY_MAX 28
#define FW_DATA_MAX 20
#define FW_COMMENT_MAX 128

typedef struct FwElem {
        FwSetId set;
        uint8_t key[FW_KEY_MAX];
        uint8_t data[FW_DATA_MAX];
        uint32_t key_len, data_len;
        uint32_t flags;                 /* NFT_SET_ELEM_INTERVAL_END */
        char comment[FW_COMMENT_MAX];   /* "project/service" */
} FwElem;

/* Orders by set, key and interval flag (an end before a start at one key). */
int fw_elem_key_cmp(const FwElem *a, const FwElem *b);
/* Same set, key and interval flag: the kernel's notion of identity. */
bool fw_elem_same_key(const FwElem *a, const FwElem *b);
/* Also the same data and comment. */
bool fw_elem_equal(const FwElem *a, const FwElem *b);
/* True if @e belongs to @project (its comment starts with "project/"). */
bool fw_elem_owned_by(const FwElem *e, const char *project);
/* "pub4 tcp/8080 -> 10.89.0.2:80 (web/api)". */
const char *fw_elem_format(const FwElem *e, char *buf, size_t size);

/* Appends the elements of a port (one) or a network (2-5: interval starts/ends, bridge) to
 * *elems. A port of a balanced group of @n_group targets takes the lb* slot @index (0..n-1); with
 * @n_group 0 or 1 it is a plain pub* element. 0 or -errno. */
int fw_port_to_elems(const char *project, const FwPort *p, unsigned n_group, unsigned index,
                     FwElem **elems, size_t *n, NcError *reterr);
int fw_network_to_elems(const char *project, const FwNetwork *net, FwElem **elems, size_t *n,
                        NcError *reterr);
/* The desired elements of a project, checked. */
int fw_project_elems(const char *project, const FwPort *ports, size_t n_ports,
                     const FwNetwork *networks, size_t n_networks,
                     FwElem **ret, size_t *ret_n, NcError *reterr);

/* Converts between FwElem and libnftnl. */
struct nftnl_set_elem *fw_elem_to_nftnl(const FwElem *e);
int fw_elem_from_nftnl(FwSetId set, struct nftnl_set_elem *ne, FwElem *ret);

/* The port mapping behind a pub* or lb* element (for conntrack). */
typedef struct FwMapping {
        int family;
        uint8_t protocol;
        bool host_any;
        unsigned n_group, index;        /* lb*: the group's size and this target's place in it */
        FwAddr host, target;
        uint16_t host_port, target_port;        /* host order */
} FwMapping;
int fw_elem_mapping(const FwElem *e, FwMapping *ret);

/* ---- batches (fw-batch.c) ---- */

typedef struct FwBatch {
        char *buf;
        size_t len, alloc;
        uint32_t seq_first, seq_next;
        size_t n_msgs;                  /* messages between begin and end */
        char (*what)[64];               /* per message, by seq - seq_first */
        size_t what_alloc;
} FwBatch;

/* Starts a batch; @genid != 0 makes the kernel refuse it (-ERESTART) if the ruleset changed. */
int fw_batch_begin(FwBatch *b, uint32_t seq, uint32_t genid);
/* Reserves room for one message of @type (NFT_MSG_*) and returns its header. NULL on OOM. */
struct nlmsghdr *fw_batch_add(FwBatch *b, uint16_t type, uint16_t flags, const char *what);
/* Accounts the payload written to the header fw_batch_add() returned. */
void fw_batch_commit(FwBatch *b, struct nlmsghdr *nlh);
int fw_batch_end(FwBatch *b);
void fw_batch_done(FwBatch *b);
const char *fw_batch_what(const FwBatch *b, uint32_t seq);

int fw_batch_add_table(FwBatch *b);
int fw_batch_del_table(FwBatch *b);
int fw_batch_add_set(FwBatch *b, FwSetId set);
int fw_batch_add_chain(FwBatch *b, FwChainId chain);
int fw_batch_del_chain(FwBatch *b, FwChainId chain);
int fw_batch_flush_chain(FwBatch *b, FwChainId chain);
int fw_batch_add_rules(FwBatch *b, FwChainId chain);
/* NEWSETELEM (@add) or DELSETELEM for elems[0..n), which may span sets; split into messages. */
int fw_batch_elems(FwBatch *b, bool add, const FwElem *const *elems, size_t n);

/* ---- kernel state: the snapshot (fw-dump.c), sending and dumping (fw-context.c) ---- */

typedef struct FwSnapshot {
        uint32_t genid;
        bool table;
        bool chain_present[_FW_CHAIN_MAX];
        bool chain_ok[_FW_CHAIN_MAX];   /* hook, priority, type, policy as defined */
        bool rules_ok[_FW_CHAIN_MAX];   /* exactly the defined rules, by tag, in order */
        bool set_present[_FW_SET_MAX];
        bool set_ok[_FW_SET_MAX];       /* key/data types and flags as defined */
        FwElem *elems;
        size_t n_elems;
} FwSnapshot;

void fw_snapshot_done(FwSnapshot *s);

struct FwContext {
        struct mnl_socket *nl;
        uint32_t portid, seq;
        char *rbuf;                     /* receive buffer */
};

int fw_snapshot_read(FwContext *ctx, FwSnapshot *ret, NcError *reterr);
/* Sends a finished batch; 0 when every message was accepted and the transaction committed. */
int fw_batch_send(FwContext *ctx, FwBatch *b, NcError *reterr);
/* Runs a dump request and calls @cb for each reply message. */
int fw_dump(FwContext *ctx, struct nlmsghdr *req, mnl_cb_t cb, void *userdata);

/* ---- plan (fw-plan.c) ---- */

typedef struct FwPlan {
        bool table_missing, table_delete;
        bool set_missing[_FW_SET_MAX], set_broken[_FW_SET_MAX];
        bool chain_missing[_FW_CHAIN_MAX], chain_broken[_FW_CHAIN_MAX], rules_broken[_FW_CHAIN_MAX];
        const FwElem **add;             /* missing: into the desired list */
        size_t n_add;
        const FwElem **del;             /* extra: into the snapshot */
        size_t n_del;
        const FwElem **alt_old, **alt_new;      /* same key, other data or comment: re-point */
        size_t n_alt;
        const FwElem **conflict, **conflict_owner;      /* desired keys another owner holds */
        size_t n_conflict;
} FwPlan;

void fw_plan_done(FwPlan *p);
/* Pure: what turns @s into "the project owns exactly want[0..n)", repairing the structure; with
 * @remove, what drops all of the project's elements (and the table if nothing else remains). */
int fw_plan_compute(const FwSnapshot *s, const char *project, const FwElem *want, size_t n_want,
                    bool remove, FwPlan *ret);
/* Number of changes the plan makes (a re-point counts once). */
size_t fw_plan_n_changes(const FwPlan *p);
/* Builds the batch carrying out @p. */
int fw_plan_build_batch(const FwPlan *p, FwBatch *b, uint32_t seq, uint32_t genid);
/* Pointers to elems[0..n), sorted by set and key. NULL on OOM. */
const FwElem **fw_elems_sorted(const FwElem *elems, size_t n);

/* ---- conntrack (fw-conntrack.c) ---- */

/* Deletes the conntrack entries created through the given mappings. Returns the count or -errno. */
int fw_conntrack_flush(FwContext *ctx, const FwMapping *m, size_t n);

/* ---- rtnetlink (link-rtnl.c) ---- */

typedef struct Rtnl {
        struct mnl_socket *nl;
        uint32_t portid, seq;
} Rtnl;

typedef struct LinkInfo {
        int ifindex;
        unsigned flags;                 /* IFF_* */
        int master;                     /* ifindex or 0 */
        char kind[16];                  /* "bridge", "veth", "" */
        uint8_t mac[6];
        bool route_localnet;
        char alias[256];                /* IFLA_IFALIAS: who made it ("nspawn-compose P/N"), "" */
} LinkInfo;

/* mnl_attr_parse() into tb[0..max] (zeroed first); attribute types beyond @max, which a newer
 * kernel than our headers may send, are skipped. 0 or -EBADMSG. */
int nl_attr_parse(const struct nlmsghdr *nlh, unsigned offset, const struct nlattr **tb, uint16_t max);
int nl_attr_parse_nested(const struct nlattr *nest, const struct nlattr **tb, uint16_t max);

/* Opens a NETLINK_ROUTE socket in the netns @netns_fd (-1: the caller's). */
int rtnl_open(int netns_fd, Rtnl *ret);
/* A unicast, locally administered MAC address that depends on @name alone: a link made again under
 * the same name has the same address, so its neighbours' ARP and NDP entries stay right. */
void rtnl_link_mac(const char *name, uint8_t mac[static 6]);
void rtnl_close(Rtnl *r);
/* Sends @nlh with NLM_F_ACK and waits for the ack; replies before it go to @cb. 0 or -errno. */
int rtnl_call(Rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *userdata);
/* 0 and *ret filled, -ENODEV if there is no such link, or -errno. */
int rtnl_link_get(Rtnl *r, const char *ifname, LinkInfo *ret);
/* Brings the link up unless it is; sets its master; deletes it. 1 changed, 0 not, -errno. */
int rtnl_link_up(Rtnl *r, const LinkInfo *l);
int rtnl_link_set_alias(Rtnl *r, const LinkInfo *l, const char *alias);
int rtnl_link_set_master(Rtnl *r, const LinkInfo *l, int master);
int rtnl_link_set_route_localnet(Rtnl *r, const LinkInfo *l);
int rtnl_link_delete(Rtnl *r, int ifindex);
/* Adds @cidr unless the link has that address with that prefix. */
int rtnl_addr_ensure(Rtnl *r, int ifindex, const char *cidr, NcError *reterr);
/* Default route via @gateway over @ifindex (replaced if present: returns 0 then). */
int rtnl_route_default(Rtnl *r, int ifindex, const char *gateway, NcError *reterr);
