/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host sockets that a published port would shadow, found over NETLINK_SOCK_DIAG in a fresh netns:
 * TCP listeners and bound UDP sockets, by protocol and host address, with the process that holds
 * them; sockets that take no packets for the port (connected UDP, IPv6-only, another address) are
 * not listeners of it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "netfilter/port-listeners.h"
#include "tests/netns/netns-harness.h"
#include "tests/tap.h"

/* A socket of @type bound to @addr:@port (IPv6 when @addr has a colon), listening when TCP. */
static int bound(int type, const char *addr, uint16_t port, bool v6only) {
        struct sockaddr_storage ss = {};
        socklen_t len;
        int fd, one = 1;

        if (strchr(addr, ':')) {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) &ss;

                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(port);
                ASSERT_EQ(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
                len = sizeof *s6;
        } else {
                struct sockaddr_in *s4 = (struct sockaddr_in *) &ss;

                s4->sin_family = AF_INET;
                s4->sin_port = htons(port);
                ASSERT_EQ(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
                len = sizeof *s4;
        }
        fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
        ASSERT_TRUE(fd >= 0);
        if (ss.ss_family == AF_INET6)
                ASSERT_EQ(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int) { v6only }, sizeof(int)), 0);
        ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
        ASSERT_EQ(bind(fd, (struct sockaddr *) &ss, len), 0);
        if (type == SOCK_STREAM)
                ASSERT_EQ(listen(fd, 1), 0);
        return fd;
}

static int check(const char *protocol, const char *host_ip, uint16_t port, NcError *err) {
        const char *target = host_ip && strchr(host_ip, ':') ? "fd00::2" : "10.89.0.2";
        FwPort p = { .service = "web", .protocol = protocol, .host_ip = host_ip, .host_port = port,
                     .target_ip = target, .target_port = 80 };

        *err = (NcError) {};
        return fw_ports_check_listeners(&p, 1, NULL, 0, err);
}

TEST(nothing_listens_in_a_fresh_netns) {
        NcError err;

        ASSERT_EQ(check("tcp", NULL, 8080, &err), 0);
        ASSERT_EQ(check("udp", NULL, 8080, &err), 0);
}

TEST(a_tcp_listener_on_loopback) {
        int fd = bound(SOCK_STREAM, "127.0.0.1", 8081, false);
        _cleanup_free_ PortListener *l = NULL;
        char comm[16];
        size_t n = 0;
        pid_t pid;
        NcError err;

        ASSERT_OK(port_listeners_dump(AF_INET, IPPROTO_TCP, &l, &n, NULL));
        ASSERT_EQ(n, 1);
        ASSERT_EQ(l[0].port, 8081);
        ASSERT_EQ(l[0].addr.in.s_addr, htonl(INADDR_LOOPBACK));
        ASSERT_EQ(port_listener_owner(l[0].inode, &pid, comm), 1);
        ASSERT_EQ(pid, getpid());
        /* every host address, or 127.0.0.1 itself: shadowed */
        ASSERT_EQ(check("tcp", NULL, 8081, &err), -EADDRINUSE);
        ASSERT_STRCONTAINS(err.message, "service 'web': port 8081/tcp: bind for 0.0.0.0:8081 failed: port is "
                           "already allocated");
        ASSERT_STRCONTAINS(err.message, "listens on 127.0.0.1:8081");
        ASSERT_STRCONTAINS(err.message, comm);
        ASSERT_EQ(check("tcp", "127.0.0.1", 8081, &err), -EADDRINUSE);
        /* another address, port, protocol or family: not */
        ASSERT_EQ(check("tcp", "127.0.0.2", 8081, &err), 0);
        ASSERT_EQ(check("tcp", NULL, 8082, &err), 0);
        ASSERT_EQ(check("udp", NULL, 8081, &err), 0);
        ASSERT_EQ(check("tcp", "::", 8081, &err), 0);
        /* a port the project publishes already is its own: not checked */
        FwPort mine = { .service = "web", .host_port = 8081, .target_ip = "10.89.0.3", .target_port = 8 };
        FwPort want = { .service = "web", .host_port = 8081, .target_ip = "10.89.0.2", .target_port = 80 };
        ASSERT_EQ(fw_ports_check_listeners(&want, 1, &mine, 1, &err), 0);
        mine.host_ip = "127.0.0.1";
        ASSERT_EQ(fw_ports_check_listeners(&want, 1, &mine, 1, &err), -EADDRINUSE);
        close(fd);
        ASSERT_EQ(check("tcp", NULL, 8081, &err), 0);
}

TEST(a_bound_udp_socket_but_not_a_connected_one) {
        int fd = bound(SOCK_DGRAM, "0.0.0.0", 5353, false), c = bound(SOCK_DGRAM, "127.0.0.1", 5354, false);
        struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        NcError err;

        ASSERT_EQ(connect(c, (struct sockaddr *) &peer, sizeof peer), 0);
        ASSERT_EQ(check("udp", "127.0.0.1", 5353, &err), -EADDRINUSE);
        ASSERT_STRCONTAINS(err.message, "port 5353/udp: bind for 127.0.0.1:5353 failed");
        ASSERT_STRCONTAINS(err.message, "listens on 0.0.0.0:5353");
        ASSERT_EQ(check("tcp", "127.0.0.1", 5353, &err), 0);
        ASSERT_EQ(check("udp", NULL, 5354, &err), 0);
        close(fd);
        close(c);
}

TEST(ipv6_sockets_take_ipv4_unless_v6only) {
        int dual = bound(SOCK_STREAM, "::", 9001, false), v6 = bound(SOCK_STREAM, "::", 9002, true);
        NcError err;

        ASSERT_EQ(check("tcp", NULL, 9001, &err), -EADDRINUSE);
        ASSERT_STRCONTAINS(err.message, "listens on [::]:9001");
        ASSERT_EQ(check("tcp", NULL, 9002, &err), 0);
        ASSERT_EQ(check("tcp", "::", 9002, &err), -EADDRINUSE);
        ASSERT_STRCONTAINS(err.message, "bind for [::]:9002 failed");
        close(dual);
        close(v6);
}

TAP_MAIN();
