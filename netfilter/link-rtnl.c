/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <netinet/in.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <time.h>

#include "lib/namespace-util.h"
#include "netfilter/netfilter-internal.h"

/* Small rtnetlink helpers over libmnl: one request, one ack. */

static int rtnl_open_here(Rtnl *ret) {
        Rtnl r = {};

        r.nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!r.nl)
                return -errno;
        if (mnl_socket_bind(r.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                int e = -errno;

                mnl_socket_close(r.nl);
                return e;
        }
        r.portid = mnl_socket_get_portid(r.nl);
        r.seq = (uint32_t) time(NULL);
        *ret = r;
        return 0;
}

static int rtnl_open_cb(void *userdata) {
        return rtnl_open_here(userdata);
}

/* A socket keeps the netns it was created in: enter @netns_fd for the socket() call only. */
void rtnl_link_mac(const char *name, uint8_t mac[static 6]) {
        uint64_t h = 0xcbf29ce484222325ULL;     /* FNV-1a */

        for (const char *p = name; *p; p++)
                h = (h ^ (uint8_t) *p) * 0x100000001b3ULL;
        for (size_t i = 0; i < 6; i++)
                mac[i] = (uint8_t) (h >> (8 * i));
        mac[0] = (mac[0] & 0xfe) | 0x02;
}

int rtnl_open(int netns_fd, Rtnl *ret) {
        if (netns_fd < 0)
                return rtnl_open_here(ret);
        return netns_call(netns_fd, rtnl_open_cb, ret);
}

void rtnl_close(Rtnl *r) {
        if (r->nl)
                mnl_socket_close(r->nl);
        *r = (Rtnl) {};
}

int rtnl_call(Rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *userdata) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        ssize_t n;
        int k;

        nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        nlh->nlmsg_seq = ++r->seq;
        if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        do {
                n = mnl_socket_recvfrom(r->nl, buf, sizeof buf);
                if (n < 0)
                        return -errno;
                k = mnl_cb_run(buf, n, nlh->nlmsg_seq, r->portid, cb, userdata);
                if (k < 0)
                        return -errno;
        } while (k > MNL_CB_STOP);
        return 0;
}

static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags, int ifindex) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifinfomsg *ifi;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        return nlh;
}

typedef struct AttrTable {
        const struct nlattr **tb;
        uint16_t max;
} AttrTable;

static int attr_cb(const struct nlattr *a, void *data) {
        const AttrTable *t = data;
        uint16_t type = mnl_attr_get_type(a) & NLA_TYPE_MASK;

        if (type <= t->max)
                t->tb[type] = a;
        return MNL_CB_OK;
}

int nl_attr_parse(const struct nlmsghdr *nlh, unsigned offset, const struct nlattr **tb, uint16_t max) {
        AttrTable t = { tb, max };

        memset(tb, 0, (max + 1) * sizeof *tb);
        return mnl_attr_parse(nlh, offset, attr_cb, &t) < 0 ? -EBADMSG : 0;
}

int nl_attr_parse_nested(const struct nlattr *nest, const struct nlattr **tb, uint16_t max) {
        AttrTable t = { tb, max };

        memset(tb, 0, (max + 1) * sizeof *tb);
        return mnl_attr_parse_nested(nest, attr_cb, &t) < 0 ? -EBADMSG : 0;
}

/* IFLA_AF_SPEC -> AF_INET -> IFLA_INET_CONF: u32 values indexed by IPV4_DEVCONF_* - 1 */
static bool route_localnet_parse(const struct nlattr *af_spec) {
        const struct nlattr *inet;

        mnl_attr_for_each_nested(inet, af_spec) {
                const struct nlattr *tb[IFLA_INET_MAX + 1] = {};
                const uint32_t *conf;

                if (mnl_attr_get_type(inet) != AF_INET || nl_attr_parse_nested(inet, tb, IFLA_INET_MAX) < 0 ||
                    !tb[IFLA_INET_CONF] ||
                    mnl_attr_get_payload_len(tb[IFLA_INET_CONF]) < IPV4_DEVCONF_ROUTE_LOCALNET * 4)
                        continue;
                conf = mnl_attr_get_payload(tb[IFLA_INET_CONF]);
                return conf[IPV4_DEVCONF_ROUTE_LOCALNET - 1] != 0;
        }
        return false;
}

static int link_cb(const struct nlmsghdr *nlh, void *data) {
        const struct nlattr *tb[IFLA_MAX + 1] = {}, *info[IFLA_INFO_MAX + 1] = {};
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
        LinkInfo *l = data;

        if (nlh->nlmsg_type != RTM_NEWLINK || nl_attr_parse(nlh, sizeof *ifi, tb, IFLA_MAX) < 0)
                return MNL_CB_ERROR;
        *l = (LinkInfo) { .ifindex = ifi->ifi_index, .flags = ifi->ifi_flags };
        if (tb[IFLA_MASTER])
                l->master = (int) mnl_attr_get_u32(tb[IFLA_MASTER]);
        if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof l->mac)
                memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), sizeof l->mac);
        if (tb[IFLA_LINKINFO] && nl_attr_parse_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX) >= 0 &&
            info[IFLA_INFO_KIND])
                snprintf(l->kind, sizeof l->kind, "%s", mnl_attr_get_str(info[IFLA_INFO_KIND]));
        if (tb[IFLA_AF_SPEC])
                l->route_localnet = route_localnet_parse(tb[IFLA_AF_SPEC]);
        if (tb[IFLA_IFALIAS])
                snprintf(l->alias, sizeof l->alias, "%.*s", (int) mnl_attr_get_payload_len(tb[IFLA_IFALIAS]),
                         (const char*) mnl_attr_get_payload(tb[IFLA_IFALIAS]));
        return MNL_CB_OK;
}

int rtnl_link_get(Rtnl *r, const char *ifname, LinkInfo *ret) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh;
        LinkInfo l = {};
        int k;

        if (isempty(ifname) || strlen(ifname) >= IFNAMSIZ)
                return -EINVAL;
        nlh = link_msg(buf, RTM_GETLINK, 0, 0);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
        k = rtnl_call(r, nlh, link_cb, &l);
        if (k < 0)
                return k;
        if (l.ifindex <= 0)
                return -ENODEV;
        *ret = l;
        return 0;
}

int rtnl_link_up(Rtnl *r, const LinkInfo *l) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;
        int k;

        if (l->flags & IFF_UP)
                return 0;
        nlh = link_msg(buf, RTM_NEWLINK, 0, l->ifindex);
        ifi = mnl_nlmsg_get_payload(nlh);
        ifi->ifi_change = IFF_UP;
        ifi->ifi_flags = IFF_UP;
        k = rtnl_call(r, nlh, NULL, NULL);
        return k < 0 ? k : 1;
}

int rtnl_link_set_alias(Rtnl *r, const LinkInfo *l, const char *alias) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh;

        int k;

        if (streq(l->alias, alias))
                return 0;
        nlh = link_msg(buf, RTM_NEWLINK, 0, l->ifindex);
        mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
        k = rtnl_call(r, nlh, NULL, NULL);
        return k < 0 ? k : 1;
}

int rtnl_link_set_master(Rtnl *r, const LinkInfo *l, int master) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh;
        int k;

        if (l->master == master)
                return 0;
        nlh = link_msg(buf, RTM_NEWLINK, 0, l->ifindex);
        mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t) master);
        k = rtnl_call(r, nlh, NULL, NULL);
        return k < 0 ? k : 1;
}

/* route_localnet=1 on this link only (never on "all": the values are OR-ed, CVE-2020-8558). */
int rtnl_link_set_route_localnet(Rtnl *r, const LinkInfo *l) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlattr *spec, *inet, *conf;
        struct nlmsghdr *nlh;
        int k;

        if (l->route_localnet)
                return 0;
        nlh = link_msg(buf, RTM_NEWLINK, 0, l->ifindex);
        spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
        inet = mnl_attr_nest_start(nlh, AF_INET);
        conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
        mnl_attr_put_u32(nlh, IPV4_DEVCONF_ROUTE_LOCALNET, 1);
        mnl_attr_nest_end(nlh, conf);
        mnl_attr_nest_end(nlh, inet);
        mnl_attr_nest_end(nlh, spec);
        k = rtnl_call(r, nlh, NULL, NULL);
        return k < 0 ? k : 1;
}

int rtnl_link_delete(Rtnl *r, int ifindex) {
        char buf[MNL_SOCKET_BUFFER_SIZE];

        return rtnl_call(r, link_msg(buf, RTM_DELLINK, 0, ifindex), NULL, NULL);
}

typedef struct AddrMatch {
        int ifindex, family;
        unsigned prefixlen;
        FwAddr addr;
        bool found;
} AddrMatch;

static int addr_cb(const struct nlmsghdr *nlh, void *data) {
        const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *tb[IFA_MAX + 1] = {}, *a;
        AddrMatch *m = data;
        size_t alen = m->family == AF_INET ? 4 : 16;

        if (nlh->nlmsg_type != RTM_NEWADDR || (int) ifa->ifa_index != m->ifindex || ifa->ifa_family != m->family ||
            nl_attr_parse(nlh, sizeof *ifa, tb, IFA_MAX) < 0)
                return MNL_CB_OK;
        a = tb[IFA_LOCAL] ?: tb[IFA_ADDRESS];
        if (a && mnl_attr_get_payload_len(a) == alen && ifa->ifa_prefixlen == m->prefixlen &&
            memcmp(mnl_attr_get_payload(a), m->addr.bytes, alen) == 0)
                m->found = true;
        return MNL_CB_OK;
}

static struct nlmsghdr *addr_msg(char *buf, uint16_t type, uint16_t flags, const AddrMatch *m) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifaddrmsg *ifa;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = (uint8_t) m->family;
        ifa->ifa_prefixlen = (uint8_t) m->prefixlen;
        ifa->ifa_index = (uint32_t) m->ifindex;
        return nlh;
}

int rtnl_addr_ensure(Rtnl *r, int ifindex, const char *cidr, NcError *reterr) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        AddrMatch m = { .ifindex = ifindex };
        struct nlmsghdr *nlh;
        size_t alen;
        int k;

        if (in_addr_prefix_from_string(AF_UNSPEC, cidr, &m.family, &m.addr, &m.prefixlen) < 0)
                return nc_error_set(reterr, -EINVAL, "invalid address '%s'", cidr);
        alen = in_addr_family_size(m.family);
        k = rtnl_call(r, addr_msg(buf, RTM_GETADDR, NLM_F_DUMP, &m), addr_cb, &m);
        if (k < 0)
                return nc_error_set(reterr, k, "cannot list addresses: %m");
        if (m.found)
                return 0;
        nlh = addr_msg(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &m);
        mnl_attr_put(nlh, IFA_LOCAL, alen, m.addr.bytes);
        mnl_attr_put(nlh, IFA_ADDRESS, alen, m.addr.bytes);
        /* Static addresses on our own links: no duplicate detection delay. */
        if (m.family == AF_INET6)
                mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
        k = rtnl_call(r, nlh, NULL, NULL);
        if (k < 0)
                return nc_error_set(reterr, k, "cannot add address %s: %m", cidr);
        return 1;
}

int rtnl_route_default(Rtnl *r, int ifindex, const char *gateway, NcError *reterr) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh;
        struct rtmsg *rtm;
        unsigned replace;
        int family, k = 0;
        FwAddr gw;

        if (in_addr_from_string_bracketed(gateway, &family, &gw) < 0)
                return nc_error_set(reterr, -EINVAL, "invalid gateway '%s'", gateway);
        for (replace = 0; replace < 2; replace++) {
                nlh = mnl_nlmsg_put_header(buf);
                nlh->nlmsg_type = RTM_NEWROUTE;
                nlh->nlmsg_flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
                rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
                *rtm = (struct rtmsg) { .rtm_family = (uint8_t) family, .rtm_table = RT_TABLE_MAIN,
                                        .rtm_protocol = RTPROT_STATIC, .rtm_scope = RT_SCOPE_UNIVERSE,
                                        .rtm_type = RTN_UNICAST };
                mnl_attr_put(nlh, RTA_GATEWAY, family == AF_INET ? 4 : 16, gw.bytes);
                mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t) ifindex);
                k = rtnl_call(r, nlh, NULL, NULL);
                if (k != -EEXIST)
                        break;
        }
        if (k < 0)
                return nc_error_set(reterr, k, "cannot add a default route via %s: %m", gateway);
        return replace ? 0 : 1;
}
