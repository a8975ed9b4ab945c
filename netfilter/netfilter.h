/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "lib/macro.h"

/* Published ports and project networks as nftables state, programmed over netlink (libnftnl +
 * libmnl), plus the rtnetlink work for bridges, veths, addresses and named network namespaces.
 * Knows nothing about compose: callers hand in plain port and network descriptions.
 *
 * One table holds every project; its chains and rules never change, only set/map elements do,
 * and every element carries the comment "project/service" (ports) or "project/network":
 *
 *   table inet nspawn_compose {
 *     map pub4      { type inet_proto . inet_service : ipv4_addr . inet_service }               "8080:80"
 *     map pub4_addr { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service }   "127.0.0.1:8080:80"
 *     map pub6      { type inet_proto . inet_service : ipv6_addr . inet_service }
 *     map pub6_addr { type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service }
 *     map lb4 / lb4_addr / lb6 / lb6_addr   the same with a last key field "mark": the slot of one
 *                                           target of a port balanced over 2..FW_BALANCE_MAX targets
 *     set nets4 / nets6 { flags interval }   every project subnet
 *     set masq4 / masq6 { flags interval }   subnets that are not internal: outbound masquerade
 *     set lnet_ifs { type ifname }           project bridges (route_localnet=1)
 *     chain raw_prerouting  { filter prerouting -300: iifname @lnet_ifs ip daddr|saddr 127.0.0.0/8 drop }
 *     chain prerouting      { nat prerouting -100: fib daddr type local jump published }
 *     chain output          { nat output -100: ip6 daddr ::1 return; fib daddr type local jump published }
 *     chain published       { dnat ip to ip daddr . meta l4proto . th dport map @pub4_addr; ...pub4, pub6_addr, pub6;
 *                             for n in 2..FW_BALANCE_MAX, per lb map:
 *                             dnat ip to meta l4proto . th dport . numgen inc mod n offset n(n-1)/2 map @lb4 }
 *     chain postrouting     { nat postrouting 100:
 *                             ct status dnat ip saddr 127.0.0.0/8 masquerade     host 127.0.0.1 -> machine
 *                             ct status dnat ip(6) saddr @nets4/6 masquerade     hairpin, see fw-layout.c
 *                             ip(6) saddr @masq4/6 ip(6) daddr != @nets4/6 masquerade }
 *   } */

#define FW_TABLE_NAME "nspawn_compose"

/* At most this many targets share one balanced host port. */
#define FW_BALANCE_MAX 16

/* One published port, as in project.json. Strings are borrowed. */
typedef struct FwPort {
        const char *service;            /* element comment is "project/service" */
        const char *protocol;           /* "tcp" (NULL too), "udp" or "sctp" */
        const char *host_ip;            /* NULL, "", "0.0.0.0", "::" or "[::]": every host address of
                                         * the target's family; else one IPv4/IPv6 host address */
        uint16_t host_port;
        const char *target_ip;          /* the machine's IPv4 or IPv6 address */
        uint16_t target_port;
        bool allocated;                 /* container-only port: host port chosen by us (informational) */
        const char *balance;            /* NULL, or a group name: the ports of one group with the same
                                         * host address, port and protocol are one balanced port, whose
                                         * new connections go to their targets in turn */
} FwPort;

/* One project network. */
typedef struct FwNetwork {
        const char *name;               /* element comment is "project/name" */
        const char *bridge;             /* interface name */
        const char *subnet;             /* "10.89.0.0/24"; NULL or "" for none */
        const char *gateway;            /* the bridge's address in @subnet ("10.89.0.1"); NULL: none */
        const char *ipv6_subnet;        /* "fd00:1::/64"; NULL or "" for none */
        const char *ipv6_gateway;       /* NULL: none */
        bool internal;                  /* no outbound masquerade */
} FwNetwork;

/* Checks that DNAT can serve @p (e.g. host_ip "::1" cannot: IPv6 has no route_localnet). 0 or -EINVAL
 * with a message naming the port. */
int fw_port_check(const FwPort *p, NcError *reterr);
/* Checks every port, and that no two claim the same host address, port and protocol (a wildcard
 * address overlaps every specific one of its family) unless they are one balanced group of at most
 * FW_BALANCE_MAX. 0, -EINVAL, -EADDRINUSE or -E2BIG. */
int fw_ports_check(const FwPort *ports, size_t n, NcError *reterr);

typedef struct FwContext FwContext;

/* Opens a NETLINK_NETFILTER socket in the caller's network namespace. 0 or -errno. */
int fw_open(FwContext **ret, NcError *reterr);
FwContext *fw_close(FwContext *ctx);    /* NULL-safe, returns NULL */
DEFINE_TRIVIAL_CLEANUP_FUNC(FwContext*, fw_close);

/* Makes the project's elements exactly @ports and @networks, creating or repairing the table,
 * chains, sets and rules as needed, in one atomic batch; other projects' elements are left alone.
 * Then flushes conntrack entries of removed or re-pointed ports. Returns the number of changes
 * (0: already in sync), -EADDRINUSE when another owner holds a host port, or -errno. */
int fw_sync_project(FwContext *ctx, const char *project,
                    const FwPort *ports, size_t n_ports,
                    const FwNetwork *networks, size_t n_networks, NcError *reterr);

/* Removes every element of @project, and the table when no element remains. Returns the number
 * of elements removed (0: nothing to do) or -errno. */
int fw_remove_project(FwContext *ctx, const char *project, NcError *reterr);

/* The project's elements as the kernel holds them, saved before a change so that a step failing
 * after it can put them back: fw_restore_project() makes them exactly the saved ones again (and
 * removes the project's elements, and the table when it is left empty, when none were saved). */
typedef struct FwSaved FwSaved;
int fw_save_project(FwContext *ctx, const char *project, FwSaved **ret, NcError *reterr);
int fw_restore_project(FwContext *ctx, const char *project, const FwSaved *s, NcError *reterr);
FwSaved *fw_saved_free(FwSaved *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(FwSaved*, fw_saved_free);

typedef enum FwDriftKind {
        FW_DRIFT_MISSING,               /* a desired element is absent */
        FW_DRIFT_EXTRA,                 /* the project owns an element it should not */
        FW_DRIFT_ALTERED,               /* same key, other target or owner */
        FW_DRIFT_CONFLICT,              /* the key belongs to another project (sync fails) */
        FW_DRIFT_STRUCTURE,             /* table, chain, set or rules missing or edited */
        _FW_DRIFT_KIND_MAX,
        _FW_DRIFT_KIND_INVALID = -EINVAL,
} FwDriftKind;

typedef struct FwDrift {
        FwDriftKind kind;
        char what[200];                 /* "pub4 tcp/8080 -> 10.89.0.2:80 (web/api)", "chain postrouting: rules edited" */
} FwDrift;

typedef struct FwDiff {
        FwDrift *items;
        size_t n_items;
        bool structure_ok;              /* table, chains, sets and rules intact */
} FwDiff;

FwDiff *fw_diff_free(FwDiff *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(FwDiff*, fw_diff_free);
const char *fw_drift_kind_to_string(FwDriftKind k);

/* Compares the kernel's state with what fw_sync_project() would make it; changes nothing.
 * Returns the number of drift items (0: in sync) or -errno; *ret is always set on success. */
int fw_diff_project(FwContext *ctx, const char *project,
                    const FwPort *ports, size_t n_ports,
                    const FwNetwork *networks, size_t n_networks, FwDiff **ret, NcError *reterr);

/* A non-blocking socket that receives nftables' change notifications, for a supervisor's event
 * loop; fw_monitor_drain() reads every one queued: 1 when any was about our table (or some were
 * lost), 0 when none, -errno. */
int fw_monitor_open(NcError *reterr);
int fw_monitor_drain(int fd);

/* Sets net.ipv4.ip_forward (and net.ipv6.conf.all.forwarding when @ipv6) to 1 in the caller's
 * netns. 1 if a value changed, 0 if already on, -errno. */
int fw_enable_forwarding(bool ipv6, NcError *reterr);

/* Links, over rtnetlink in the caller's netns. All are idempotent: 1 = changed, 0 = already so. */

/* ifindex (> 0) of @ifname, 0 if there is none, -errno. */
int link_exists(const char *ifname);
/* A bridge with a fixed MAC derived from @name (joining ports never change it), ARP retrans time
 * 50 ms, route_localnet=1, @gateway_cidr ("10.89.0.1/24" or an IPv6 one; NULL for none) and up,
 * marked as @owner's (its interface alias). A link of that name that is not a bridge, a bridge
 * marked as someone else's, or one with no mark (unless @adopt_unmarked: the caller's own records
 * name it, as those of a release that did not mark bridges do) is refused (-EEXIST). Call again
 * with the IPv6 gateway to add it. */
int bridge_ensure(const char *name, const char *owner, bool adopt_unmarked, const char *gateway_cidr,
                  NcError *reterr);
/* 0 when @name is free or @owner's bridge (or an unmarked one, with @adopt_unmarked); -EEXIST with
 * the reason otherwise. */
int bridge_check(const char *name, const char *owner, bool adopt_unmarked, NcError *reterr);
/* Remove the bridge, or the veth (its peer goes with it), unless the link is another kind or marked
 * as someone else's than @owner (-EINVAL, -EEXIST). An unmarked one is removed: the callers name
 * only links their installed records (project.json, S.json) list. 1 removed, 0 there was none. */
int bridge_remove(const char *name, const char *owner, NcError *reterr);
int veth_remove(const char *ifname, const char *owner, NcError *reterr);
/* Adds @cidr to @ifname (replace semantics; IPv6 without DAD). */
int link_address_ensure(const char *ifname, const char *cidr, NcError *reterr);

/* A named network namespace at /run/netns/NAME, as `ip netns add` makes it. */
int netns_ensure(const char *name, NcError *reterr);
int netns_remove(const char *name, NcError *reterr);
/* O_CLOEXEC fd of the namespace, for setns(), or -errno. */
int netns_open(const char *name);

/* A veth pair: @host_if marked as @owner's, enslaved to @bridge, route_localnet=1, up; the peer
 * created inside @netns as @ifname_in_ns with @cidr, up, lo up, and a default route via @gateway
 * (NULL: no route; pass an IPv6 cidr/gateway in a second call, which then only adds them). A host
 * side that is not a veth or is marked as someone else's is refused (-EEXIST), untouched. */
int veth_ensure(const char *host_if, const char *owner, const char *bridge, const char *netns,
                const char *ifname_in_ns, const char *cidr, const char *gateway, NcError *reterr);
