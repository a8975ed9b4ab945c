/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <netinet/in.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "netfilter/netfilter-internal.h"

/* A machine's link to a project bridge. The peer is created directly inside the machine's netns
 * under its final name, so it never appears on the host and two machines' "eth0" never clash. Its
 * MAC address follows from the host side's name, which names the project, service and network: a
 * machine that is restarted keeps its address and its MAC, and the other machines' neighbour
 * entries for it stay right (a new random MAC would leave them sending to the old one until the
 * entry went stale, tens of seconds). */

static int veth_create(Rtnl *host, const char *host_if, int bridge, int netns_fd, const char *peer) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct nlattr *info, *data, *peer_attr;
        struct ifinfomsg *ifi;
        uint8_t mac[6];

        rtnl_link_mac(host_if, mac);
        nlh->nlmsg_type = RTM_NEWLINK;
        nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
        mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
        mnl_attr_put_strz(nlh, IFLA_IFNAME, host_if);
        mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t) bridge);
        info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
        data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        /* VETH_INFO_PEER carries a struct ifinfomsg, then the peer's attributes. */
        peer_attr = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
        ifi = mnl_nlmsg_get_payload_tail(nlh);
        memset(ifi, 0, sizeof *ifi);
        nlh->nlmsg_len += MNL_ALIGN(sizeof *ifi);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
        mnl_attr_put(nlh, IFLA_ADDRESS, sizeof mac, mac);
        mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t) netns_fd);
        mnl_attr_nest_end(nlh, peer_attr);
        mnl_attr_nest_end(nlh, data);
        mnl_attr_nest_end(nlh, info);
        return rtnl_call(host, nlh, NULL, NULL);
}

/* Makes sure the pair exists: 1 if (re)created. A host side whose peer is gone is recreated. A host
 * side marked as someone else's is never touched. */
static int veth_pair(Rtnl *host, Rtnl *ns, const char *host_if, const char *owner, const LinkInfo *bridge,
                     int netns_fd, const char *peer, NcError *reterr) {
        LinkInfo l, p;
        int k, kp;

        k = rtnl_link_get(host, host_if, &l);
        if (k >= 0 && !streq(l.kind, "veth"))
                return nc_error_set(reterr, -EEXIST, "'%s' exists and is not a veth", host_if);
        if (k >= 0 && !isempty(l.alias) && !streq(l.alias, owner))
                return nc_error_set(reterr, -EEXIST, "veth '%s' exists and is not ours (it is \"%s\")", host_if,
                                    l.alias);
        kp = rtnl_link_get(ns, peer, &p);
        if (k >= 0 && kp >= 0)
                return 0;
        if (k >= 0 && (k = rtnl_link_delete(host, l.ifindex)) < 0)
                return nc_error_set(reterr, k, "cannot delete stale '%s': %m", host_if);
        if (kp >= 0 && (k = rtnl_link_delete(ns, p.ifindex)) < 0)
                return nc_error_set(reterr, k, "cannot delete stale '%s' in the netns: %m", peer);
        k = veth_create(host, host_if, bridge->ifindex, netns_fd, peer);
        if (k < 0)
                return nc_error_set(reterr, k, "cannot create veth '%s' <-> '%s': %m", host_if, peer);
        return 1;
}

/* Hairpin mode on the bridge port: where br_netfilter is loaded, a machine's packet to its own
 * published port is DNATed while being bridged and must leave through the port it came in on,
 * which a bridge refuses otherwise. Without br_netfilter the host routes it and this is unused. */
static int veth_port_hairpin(Rtnl *host, int ifindex) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifinfomsg *ifi;
        struct nlattr *info;

        nlh->nlmsg_type = RTM_SETLINK;
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_BRIDGE;
        ifi->ifi_index = ifindex;
        info = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
        mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
        mnl_attr_nest_end(nlh, info);
        return rtnl_call(host, nlh, NULL, NULL);
}

static int veth_host_side(Rtnl *host, const char *host_if, const char *owner, const LinkInfo *bridge,
                          NcError *reterr) {
        LinkInfo l;
        int k, changed;

        k = rtnl_link_get(host, host_if, &l);
        if (k < 0)
                return nc_error_set(reterr, k, "cannot read '%s': %m", host_if);
        changed = k = rtnl_link_set_alias(host, &l, owner);
        if (k >= 0)
                k = rtnl_link_set_master(host, &l, bridge->ifindex);
        if (k >= 0)
                changed |= k;
        if (k >= 0)
                k = rtnl_link_set_route_localnet(host, &l);
        if (k >= 0)
                changed |= k;
        if (k >= 0)
                k = veth_port_hairpin(host, l.ifindex);
        if (k >= 0)
                k = rtnl_link_up(host, &l);
        if (k < 0)
                return nc_error_set(reterr, k, "cannot configure '%s': %m", host_if);
        return changed | k;
}

static int veth_ns_side(Rtnl *ns, const char *peer, const char *cidr, const char *gateway, NcError *reterr) {
        LinkInfo l, lo;
        int k, changed = 0;

        k = rtnl_link_get(ns, peer, &l);
        if (k >= 0)
                k = rtnl_link_get(ns, "lo", &lo);
        if (k >= 0)
                k = rtnl_link_up(ns, &lo);
        if (k >= 0)
                changed |= k, k = rtnl_link_up(ns, &l);
        if (k < 0)
                return nc_error_set(reterr, k, "cannot bring up '%s' in the netns: %m", peer);
        changed |= k;
        if (!isempty(cidr)) {
                k = rtnl_addr_ensure(ns, l.ifindex, cidr, reterr);
                if (k < 0)
                        return k;
                changed |= k;
        }
        if (!isempty(gateway)) {
                k = rtnl_route_default(ns, l.ifindex, gateway, reterr);
                if (k < 0)
                        return k;
                changed |= k;
        }
        return changed;
}

int veth_ensure(const char *host_if, const char *owner, const char *bridge, const char *netns,
                const char *ifname_in_ns, const char *cidr, const char *gateway, NcError *reterr) {
        _cleanup_(rtnl_close) Rtnl host = {}, ns = {};
        _cleanup_close_ int netns_fd = -EBADF;
        int k, changed;
        LinkInfo br;

        if (isempty(host_if) || strlen(host_if) >= IFNAMSIZ || isempty(ifname_in_ns) ||
            strlen(ifname_in_ns) >= IFNAMSIZ)
                return nc_error_set(reterr, -EINVAL, "invalid interface name '%s' or '%s'",
                                    strempty(host_if), strempty(ifname_in_ns));
        assert(owner);
        netns_fd = netns_open(netns);
        if (netns_fd < 0)
                return nc_error_set(reterr, netns_fd, "cannot open netns '%s': %m", netns);
        k = rtnl_open(-1, &host);
        if (k >= 0)
                k = rtnl_open(netns_fd, &ns);
        if (k < 0)
                return nc_error_set(reterr, k, "cannot open rtnetlink: %m");
        k = rtnl_link_get(&host, bridge, &br);
        if (k < 0)
                return nc_error_set(reterr, k, "bridge '%s': %m", bridge);
        changed = veth_pair(&host, &ns, host_if, owner, &br, netns_fd, ifname_in_ns, reterr);
        if (changed < 0)
                return changed;
        k = veth_host_side(&host, host_if, owner, &br, reterr);
        if (k < 0)
                return k;
        changed |= k;
        k = veth_ns_side(&ns, ifname_in_ns, cidr, gateway, reterr);
        if (k < 0)
                return k;
        return changed | k;
}
