/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <netinet/in.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "netfilter/netfilter-internal.h"

/* Project bridges. A bridge takes the lowest MAC of its ports unless one was set, so every machine
 * joining would change it and flush the neighbours' ARP entries for the gateway: set a fixed one
 * derived from the name instead (rtnl_link_mac). ARP retransmits every 50 ms (not 1 s)
 * so a machine that was probed before its address came up is found quickly. */

#define BRIDGE_RETRANS_TIME_MS 50

static int bridge_create(Rtnl *r, const char *name, const uint8_t mac[static 6]) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct nlattr *info;

        nlh->nlmsg_type = RTM_NEWLINK;
        nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
        ((struct ifinfomsg*) mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg)))->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
        info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
        mnl_attr_nest_end(nlh, info);
        return rtnl_call(r, nlh, NULL, NULL);
}

static int bridge_set_mac(Rtnl *r, const LinkInfo *l, const uint8_t mac[static 6]) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifinfomsg *ifi;
        int k;

        if (memcmp(l->mac, mac, 6) == 0)
                return 0;
        nlh->nlmsg_type = RTM_NEWLINK;
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_index = l->ifindex;
        mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
        k = rtnl_call(r, nlh, NULL, NULL);
        return k < 0 ? k : 1;
}

/* Per-device ARP parameters: RTM_SETNEIGHTBL for table "arp_cache" with NDTPA_IFINDEX. */
static int bridge_set_retrans(Rtnl *r, int ifindex) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct nlattr *parms;
        struct ndtmsg *ndt;

        nlh->nlmsg_type = RTM_SETNEIGHTBL;
        ndt = mnl_nlmsg_put_extra_header(nlh, sizeof *ndt);
        ndt->ndtm_family = AF_INET;
        mnl_attr_put_strz(nlh, NDTA_NAME, "arp_cache");
        parms = mnl_attr_nest_start(nlh, NDTA_PARMS);
        mnl_attr_put_u32(nlh, NDTPA_IFINDEX, (uint32_t) ifindex);
        mnl_attr_put_u64(nlh, NDTPA_RETRANS_TIME, BRIDGE_RETRANS_TIME_MS);
        mnl_attr_nest_end(nlh, parms);
        return rtnl_call(r, nlh, NULL, NULL);
}

static int open_link(const char *ifname, Rtnl *r, LinkInfo *l, NcError *reterr);

/* Is @l a bridge and @owner's? One with no mark is taken only when @adopt_unmarked: the caller's own
 * records name it (a bridge of a release that did not mark them). */
static int bridge_owned(const char *name, const LinkInfo *l, const char *owner, bool adopt_unmarked,
                        NcError *reterr) {
        if (!streq(l->kind, "bridge"))
                return nc_error_set(reterr, -EEXIST, "'%s' exists and is not a bridge", name);
        if (isempty(l->alias) && !adopt_unmarked)
                return nc_error_set(reterr, -EEXIST, "bridge '%s' exists and carries no owner mark: not ours, "
                                    "not taking it over", name);
        if (!isempty(l->alias) && !streq(l->alias, owner))
                return nc_error_set(reterr, -EEXIST, "bridge '%s' exists and is not ours (it is \"%s\")", name,
                                    l->alias);
        return 0;
}

/* Creates the bridge or checks that @name is one, and ours. 1 if created. */
static int bridge_get(Rtnl *r, const char *name, const char *owner, bool adopt_unmarked,
                      const uint8_t mac[static 6], LinkInfo *ret, NcError *reterr) {
        int k, created = 0;

        k = rtnl_link_get(r, name, ret);
        if (k == -ENODEV) {
                k = bridge_create(r, name, mac);
                if (k < 0 && k != -EEXIST)
                        return nc_error_set(reterr, k, "cannot create bridge '%s': %m", name);
                created = 1;
                k = rtnl_link_get(r, name, ret);
        }
        if (k < 0)
                return nc_error_set(reterr, k, "cannot read link '%s': %m", name);
        /* the one we just made has no mark yet */
        k = bridge_owned(name, ret, owner, adopt_unmarked || created, reterr);
        return k < 0 ? k : created;
}

int bridge_check(const char *name, const char *owner, bool adopt_unmarked, NcError *reterr) {
        _cleanup_(rtnl_close) Rtnl r = {};
        LinkInfo l;
        int k;

        assert(owner);

        k = open_link(name, &r, &l, reterr);
        if (k == -ENODEV)
                return 0;
        if (k < 0)
                return k;
        return bridge_owned(name, &l, owner, adopt_unmarked, reterr);
}

int bridge_ensure(const char *name, const char *owner, bool adopt_unmarked, const char *gateway_cidr,
                  NcError *reterr) {
        _cleanup_(rtnl_close) Rtnl r = {};
        uint8_t mac[6];
        LinkInfo l;
        int k, changed;

        if (isempty(name) || strlen(name) >= IFNAMSIZ)
                return nc_error_set(reterr, -EINVAL, "invalid bridge name '%s'", strempty(name));
        k = rtnl_open(-1, &r);
        if (k < 0)
                return nc_error_set(reterr, k, "cannot open rtnetlink: %m");
        rtnl_link_mac(name, mac);
        assert(owner);
        changed = bridge_get(&r, name, owner, adopt_unmarked, mac, &l, reterr);
        if (changed < 0)
                return changed;
        k = rtnl_link_set_alias(&r, &l, owner);
        if (k < 0)
                return nc_error_set(reterr, k, "cannot mark bridge '%s' as ours: %m", name);
        changed |= k;
        k = bridge_set_mac(&r, &l, mac);
        if (k >= 0)
                changed |= k;
        if (k >= 0)
                k = bridge_set_retrans(&r, l.ifindex);
        if (k >= 0)
                k = rtnl_link_set_route_localnet(&r, &l);
        if (k >= 0)
                changed |= k;
        if (k < 0)
                return nc_error_set(reterr, k, "cannot configure bridge '%s': %m", name);
        if (!isempty(gateway_cidr)) {
                k = rtnl_addr_ensure(&r, l.ifindex, gateway_cidr, reterr);
                if (k < 0)
                        return k;
                changed |= k;
        }
        k = rtnl_link_up(&r, &l);
        if (k < 0)
                return nc_error_set(reterr, k, "cannot bring bridge '%s' up: %m", name);
        return changed | k;
}

/* Opens rtnetlink and reads @ifname: 0, -ENODEV (not recorded in @reterr) or -errno. */
static int open_link(const char *ifname, Rtnl *r, LinkInfo *l, NcError *reterr) {
        int k;

        k = rtnl_open(-1, r);
        if (k < 0)
                return nc_error_set(reterr, k, "cannot open rtnetlink: %m");
        k = rtnl_link_get(r, ifname, l);
        if (k < 0 && k != -ENODEV)
                return nc_error_set(reterr, k, "cannot read link '%s': %m", ifname);
        return k;
}

static int remove_link(const char *ifname, const char *kind, const char *owner, NcError *reterr) {
        assert(kind);
        assert(owner);

        _cleanup_(rtnl_close) Rtnl r = {};
        LinkInfo l;
        int k;

        k = open_link(ifname, &r, &l, reterr);
        if (k == -ENODEV)
                return 0;
        if (k < 0)
                return k;
        if (!streq(l.kind, kind))
                return nc_error_set(reterr, -EINVAL, "'%s' is not a %s; not removing it", ifname, kind);
        if (!isempty(l.alias) && !streq(l.alias, owner))
                return nc_error_set(reterr, -EEXIST, "'%s' is not ours (it is \"%s\"); not removing it", ifname,
                                    l.alias);
        k = rtnl_link_delete(&r, l.ifindex);
        if (k == -ENODEV)
                return 0;
        if (k < 0)
                return nc_error_set(reterr, k, "cannot delete link '%s': %m", ifname);
        return 1;
}

int bridge_remove(const char *name, const char *owner, NcError *reterr) {
        return remove_link(name, "bridge", owner, reterr);
}

int veth_remove(const char *ifname, const char *owner, NcError *reterr) {
        return remove_link(ifname, "veth", owner, reterr);
}

int link_exists(const char *ifname) {
        _cleanup_(rtnl_close) Rtnl r = {};
        LinkInfo l;
        int k;

        k = open_link(ifname, &r, &l, NULL);
        if (k == -ENODEV)
                return 0;
        return k < 0 ? k : l.ifindex;
}

int link_address_ensure(const char *ifname, const char *cidr, NcError *reterr) {
        _cleanup_(rtnl_close) Rtnl r = {};
        LinkInfo l;
        int k;

        k = open_link(ifname, &r, &l, reterr);
        if (k == -ENODEV)
                return nc_error_set(reterr, k, "no link '%s'", ifname);
        if (k < 0)
                return k;
        return rtnl_addr_ensure(&r, l.ifindex, cidr, reterr);
}
