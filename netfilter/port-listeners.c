/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/fileio.h"
#include "lib/log.h"
#include "netfilter/netfilter-internal.h"
#include "netfilter/port-listeners.h"

typedef struct Dump {
        uint8_t protocol;
        PortListener *items;
        size_t n;
        int error;
} Dump;

static int diag_cb(const struct nlmsghdr *nlh, void *userdata) {
        Dump *d = userdata;
        const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *tb[INET_DIAG_MAX + 1];
        PortListener *l;

        if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || mnl_nlmsg_get_payload_len(nlh) < sizeof *m)
                return MNL_CB_OK;
        /* a UDP socket connected to a peer takes only that peer's packets; port 0: not bound */
        if (m->id.idiag_sport == 0 || (d->protocol == IPPROTO_UDP && m->id.idiag_dport != 0))
                return MNL_CB_OK;
        l = reallocarray(d->items, d->n + 1, sizeof *l);
        if (!l) {
                d->error = -ENOMEM;
                return MNL_CB_ERROR;
        }
        d->items = l;
        l = &d->items[d->n++];
        *l = (PortListener) {
                .protocol = d->protocol, .family = m->idiag_family, .port = ntohs(m->id.idiag_sport),
                .inode = m->idiag_inode,
        };
        memcpy(l->addr.bytes, m->id.idiag_src, in_addr_family_size(m->idiag_family));
        if (nl_attr_parse(nlh, sizeof *m, tb, INET_DIAG_MAX) >= 0 && tb[INET_DIAG_SKV6ONLY])
                l->v6only = mnl_attr_get_u8(tb[INET_DIAG_SKV6ONLY]);
        return MNL_CB_OK;
}

int port_listeners_dump(int family, uint8_t protocol, PortListener **ret, size_t *ret_n, NcError *reterr) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct inet_diag_req_v2 *req;
        Dump d = { .protocol = protocol };
        Rtnl nl = {};
        int r;

        assert(family == AF_INET || family == AF_INET6);
        assert(protocol == IPPROTO_TCP || protocol == IPPROTO_UDP);

        nl.nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
        if (!nl.nl)
                return nc_error_set(reterr, -errno, "cannot open a NETLINK_SOCK_DIAG socket: %m");
        if (mnl_socket_bind(nl.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                r = -errno;
                rtnl_close(&nl);
                return nc_error_set(reterr, r, "cannot bind a NETLINK_SOCK_DIAG socket: %m");
        }
        nl.portid = mnl_socket_get_portid(nl.nl);
        nl.seq = (uint32_t) time(NULL);
        /* ss -lnt (-lnu): SOCK_DIAG_BY_FAMILY, dump, family, protocol, states LISTEN (UDP: all) */
        nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
        nlh->nlmsg_flags = NLM_F_DUMP;
        req = mnl_nlmsg_put_extra_header(nlh, sizeof *req);
        req->sdiag_family = family;
        req->sdiag_protocol = protocol;
        req->idiag_states = protocol == IPPROTO_TCP ? 1U << TCP_LISTEN : ~0U;
        r = rtnl_call(&nl, nlh, diag_cb, &d);
        rtnl_close(&nl);
        if (d.error < 0)
                r = d.error;
        if (r < 0) {
                free(d.items);
                if (r == -ENOENT || r == -EOPNOTSUPP || r == -EINVAL)   /* no udp_diag (or inet_diag) */
                        return -EPROTONOSUPPORT;
                return nc_error_set(reterr, r, "cannot list the host's sockets: %m");
        }
        *ret = d.items;
        *ret_n = d.n;
        return 0;
}

bool port_listener_takes(const PortListener *l, uint8_t protocol, int family, bool any,
                         const union in_addr_union *host, uint16_t port) {
        size_t size = in_addr_family_size(family);
        static const union in_addr_union zero = {};

        if (l->protocol != protocol || l->port != port)
                return false;
        if (l->family == family)
                return any || memcmp(&l->addr, &zero, size) == 0 || memcmp(&l->addr, host, size) == 0;
        /* [::] without IPV6_V6ONLY takes IPv4 too, as does a v4-mapped ::ffff:a.b.c.d */
        if (family != AF_INET || l->family != AF_INET6 || l->v6only)
                return false;
        if (IN6_IS_ADDR_UNSPECIFIED(&l->addr.in6))
                return true;
        return IN6_IS_ADDR_V4MAPPED(&l->addr.in6) && (any || memcmp(l->addr.bytes + 12, host, 4) == 0);
}

static bool pid_holds(int proc_fd, const char *pid, const char *want) {
        _cleanup_closedir_ DIR *d = NULL;
        char path[64], link[64];
        struct dirent *de;
        int fd;

        snprintf(path, sizeof path, "%s/fd", pid);
        fd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return false;
        d = fdopendir(fd);
        if (!d) {
                (void) close(fd);
                return false;
        }
        while ((de = readdir(d))) {
                ssize_t n = readlinkat(dirfd(d), de->d_name, link, sizeof link - 1);

                if (n > 0 && (link[n] = 0, streq(link, want)))
                        return true;
        }
        return false;
}

int port_listener_owner(uint32_t inode, pid_t *ret_pid, char ret_comm[static 16]) {
        _cleanup_closedir_ DIR *d = opendir("/proc");
        char want[32];
        struct dirent *de;

        if (!d)
                return 0;
        snprintf(want, sizeof want, "socket:[%" PRIu32 "]", inode);
        while ((de = readdir(d))) {
                _cleanup_free_ char *comm = NULL;
                char path[64];

                if (de->d_name[strspn(de->d_name, "0123456789")] != 0 || !pid_holds(dirfd(d), de->d_name, want))
                        continue;
                snprintf(path, sizeof path, "/proc/%s/comm", de->d_name);
                (void) read_full_file(path, &comm, NULL);
                snprintf(ret_comm, 16, "%.*s", (int) strcspn(strempty(comm), "\n"), strempty(comm));
                *ret_pid = (pid_t) atoi(de->d_name);
                return 1;
        }
        return 0;
}

static const char *addr_text(int family, const union in_addr_union *a, char buf[static INET6_ADDRSTRLEN + 2]) {
        char t[INET6_ADDRSTRLEN];

        if (!inet_ntop(family, a, t, sizeof t))
                snprintf(t, sizeof t, "?");
        snprintf(buf, INET6_ADDRSTRLEN + 2, family == AF_INET6 ? "[%s]" : "%s", t);
        return buf;
}

static int listener_error(const FwPort *p, const FwPortHost *h, const PortListener *l, NcError *reterr) {
        char host[INET6_ADDRSTRLEN + 2], at[INET6_ADDRSTRLEN + 2], comm[16], who[64] = "a socket";
        static const union in_addr_union any = {};
        pid_t pid;

        if (port_listener_owner(l->inode, &pid, comm) > 0)
                snprintf(who, sizeof who, "'%s' (pid %d)", comm, (int) pid);
        return nc_error_set(reterr, -EADDRINUSE, "service '%s': port %u/%s: bind for %s:%u failed: port is "
                            "already allocated (%s listens on %s:%u)", strempty(p->service), p->host_port,
                            l->protocol == IPPROTO_UDP ? "udp" : "tcp",
                            addr_text(h->family, h->any ? &any : &h->addr, host), p->host_port, who,
                            addr_text(l->family, &l->addr, at), l->port);
}

typedef struct Listeners {
        PortListener *items;
        size_t n;
        bool read;
} Listeners;

static bool port_held(const FwPortHost *h, uint16_t port, const FwPort *held, size_t n_held) {
        for (size_t i = 0; i < n_held; i++) {
                FwPortHost o;

                if (held[i].host_port == port && fw_port_host(&held[i], &o, NULL) >= 0 &&
                    o.protocol == h->protocol && o.family == h->family && o.any == h->any &&
                    (h->any || memcmp(&o.addr, &h->addr, in_addr_family_size(h->family)) == 0))
                        return true;
        }
        return false;
}

int fw_ports_check_listeners(const FwPort *ports, size_t n, const FwPort *held, size_t n_held,
                             NcError *reterr) {
        /* [family == AF_INET6][protocol == IPPROTO_UDP]: read when first needed */
        Listeners cache[2][2] = {};
        int r = 0;

        for (size_t i = 0; i < n && r >= 0; i++) {
                FwPortHost h;

                r = fw_port_host(&ports[i], &h, reterr);
                if (r < 0 || (h.protocol != IPPROTO_TCP && h.protocol != IPPROTO_UDP) ||
                    port_held(&h, ports[i].host_port, held, n_held))
                        continue;
                /* an IPv4 port is also lost by IPv6 sockets that take IPv4 */
                for (int f = 0; f < 2 && r >= 0; f++) {
                        Listeners *c = &cache[f][h.protocol == IPPROTO_UDP];

                        if (f == 0 && h.family == AF_INET6)
                                continue;
                        if (!c->read) {
                                r = port_listeners_dump(f ? AF_INET6 : AF_INET, h.protocol, &c->items, &c->n,
                                                        reterr);
                                c->read = true;
                                if (r == -EPROTONOSUPPORT) {
                                        log_debug("The kernel cannot list %s sockets; not checking for listeners.",
                                                  h.protocol == IPPROTO_UDP ? "UDP" : "TCP");
                                        r = 0;
                                }
                                if (r < 0)
                                        break;
                        }
                        for (size_t k = 0; k < c->n; k++)
                                if (port_listener_takes(&c->items[k], h.protocol, h.family, h.any, &h.addr,
                                                        ports[i].host_port)) {
                                        r = listener_error(&ports[i], &h, &c->items[k], reterr);
                                        break;
                                }
                }
        }
        for (size_t f = 0; f < 2; f++)
                for (size_t p = 0; p < 2; p++)
                        free(cache[f][p].items);
        return r < 0 ? r : 0;
}
