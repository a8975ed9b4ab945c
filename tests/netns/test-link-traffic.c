/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bridges, veths and named netns over rtnetlink, then real TCP and UDP through the published
 * ports: from the "host" (the test's own netns) via 127.0.0.1 and via a host address, and from one
 * machine to another through a host address (hairpin). Everything lives in throwaway namespaces. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "netfilter/netfilter-internal.h"
#include "tests/netns/netns-harness.h"
#include "tests/tap.h"

#define BRIDGE "nc-br0"
#define NS_A "nc-a"
#define NS_B "nc-b"

static const FwNetwork net = { .name = "default", .bridge = BRIDGE, .subnet = "10.89.0.0/24" };

static FwPort ports[] = {
        { .service = "a", .host_port = 8080, .target_ip = "10.89.0.2", .target_port = 80 },
        { .service = "a", .protocol = "udp", .host_ip = "127.0.0.1", .host_port = 9090,
          .target_ip = "10.89.0.2", .target_port = 9090 },
        { .service = "a", .host_ip = "127.0.0.1", .host_port = 8443, .target_ip = "10.89.0.2",
          .target_port = 80 },
};

static void sync_ports(void) {
        _cleanup_(fw_closep) FwContext *ctx = NULL;
        NcError err = {};

        ASSERT_OK(fw_open(&ctx, NULL));
        if (fw_sync_project(ctx, "t", ports, ELEMENTSOF(ports), &net, 1, &err) < 0)
                TAP_FAIL("sync: %s", err.message);
}

/* A server inside @netns: answers every TCP connection on port 80 and every UDP datagram on
 * 9090 with "NAME PEER_ADDRESS". Returns its pid once it listens. */
static pid_t server_start(const char *netns, const char *name) {
        int ready[2], fd, tcp, udp;
        pid_t pid;

        ASSERT_OK(pipe2(ready, O_CLOEXEC));
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid > 0) {
                char c;

                close(ready[1]);
                ASSERT_EQ(read(ready[0], &c, 1), 1);
                close(ready[0]);
                return pid;
        }
        /* Dies with the test, even when an assertion aborts it. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        fd = netns_open(netns);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
                _exit(1);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80) };
        tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &(int) { 1 }, sizeof(int));
        if (bind(tcp, (void*) &a, sizeof a) < 0 || listen(tcp, 16) < 0)
                _exit(1);
        a.sin_port = htons(9090);
        udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (bind(udp, (void*) &a, sizeof a) < 0)
                _exit(1);
        (void) write(ready[1], "x", 1);
        for (;;) {
                struct pollfd p[2] = { { .fd = tcp, .events = POLLIN }, { .fd = udp, .events = POLLIN } };
                struct sockaddr_in peer;
                socklen_t l = sizeof peer;
                char msg[64], buf[64];

                if (poll(p, 2, -1) < 0)
                        _exit(1);
                if (p[0].revents) {
                        int c = accept4(tcp, (void*) &peer, &l, SOCK_CLOEXEC);

                        snprintf(msg, sizeof msg, "%s %s", name, inet_ntoa(peer.sin_addr));
                        (void) write(c, msg, strlen(msg));
                        close(c);
                }
                if (p[1].revents) {
                        ssize_t n = recvfrom(udp, buf, sizeof buf, 0, (void*) &peer, &l);

                        snprintf(msg, sizeof msg, "%s %s", name, inet_ntoa(peer.sin_addr));
                        if (n >= 0)
                                (void) sendto(udp, msg, strlen(msg), 0, (void*) &peer, l);
                }
        }
}

static void server_stop(pid_t pid) {
        kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
}

static int client_socket(int type) {
        struct timeval tv = { .tv_sec = 5 };    /* a hang guard only */
        int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        return fd;
}

/* Connects to ip:port (from @netns, or NULL for the test's netns) and returns what the server
 * said, or "" with errno set. */
static const char *tcp_ask(const char *netns, const char *ip, uint16_t port) {
        static char reply[64];
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
        _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), fd = -EBADF;
        ssize_t n = -1;

        if (netns) {
                _cleanup_close_ int ns = netns_open(netns);

                ASSERT_OK(setns(ns, CLONE_NEWNET));
        }
        fd = client_socket(SOCK_STREAM);
        inet_pton(AF_INET, ip, &a.sin_addr);
        if (connect(fd, (void*) &a, sizeof a) >= 0)
                n = read(fd, reply, sizeof reply - 1);
        reply[MAX(n, 0)] = 0;
        ASSERT_OK(setns(self, CLONE_NEWNET));
        return reply;
}

TEST(netns_bridge_veth) {
        char path[128], mac[32], mac2[32];
        int ms;
        FILE *f;

        ASSERT_EQ(netns_ensure(NS_A, NULL), 1);
        ASSERT_EQ(netns_ensure(NS_A, NULL), 0);
        ASSERT_EQ(netns_ensure(NS_B, NULL), 1);
        ASSERT_EQ(bridge_ensure(BRIDGE, "test/net", false, "10.89.0.1/24", NULL), 1);
        ASSERT_EQ(bridge_ensure(BRIDGE, "test/net", false, "10.89.0.1/24", NULL), 0);
        ASSERT_TRUE(link_exists(BRIDGE) > 0);
        harness_show("cat /sys/class/net/" BRIDGE "/address");
        f = fopen("/sys/class/net/" BRIDGE "/address", "re");
        ASSERT_NOT_NULL(fgets(mac, sizeof mac, f));
        fclose(f);
        snprintf(path, sizeof path, "/proc/sys/net/ipv4/neigh/%s/retrans_time_ms", BRIDGE);
        f = fopen(path, "re");
        ASSERT_EQ(fscanf(f, "%d", &ms), 1);
        fclose(f);
        ASSERT_TRUE(ms >= 50 && ms < 100);      /* 50, rounded to jiffies */
        ASSERT_EQ(veth_ensure("vh-a", "test/a", BRIDGE, NS_A, "eth0", "10.89.0.2/24", "10.89.0.1", NULL), 1);
        ASSERT_EQ(veth_ensure("vh-a", "test/a", BRIDGE, NS_A, "eth0", "10.89.0.2/24", "10.89.0.1", NULL), 0);
        ASSERT_EQ(veth_ensure("vh-b", "test/b", BRIDGE, NS_B, "eth0", "10.89.0.3/24", "10.89.0.1", NULL), 1);
        /* Ports joining did not change the bridge's MAC. */
        f = fopen("/sys/class/net/" BRIDGE "/address", "re");
        ASSERT_NOT_NULL(fgets(mac2, sizeof mac2, f));
        fclose(f);
        ASSERT_STREQ(mac, mac2);
        harness_show("ip -br addr; ip netns exec " NS_A " ip -br addr; ip netns exec " NS_A " ip route");
}

/* The MAC address of eth0 in @netns, "" when there is none. */
static char *peer_mac(const char *netns, char buf[static 32]) {
        char cmd[128];
        FILE *f;

        snprintf(cmd, sizeof cmd, "ip -n %s link show eth0 | awk '/link\\/ether/ { print $2 }'", netns);
        f = popen(cmd, "re");
        ASSERT_NOT_NULL(f);
        if (!fgets(buf, 32, f))
                buf[0] = 0;
        pclose(f);
        buf[strcspn(buf, "\n")] = 0;
        return buf;
}

/* A machine restarted gets its veth made again: with the MAC address it had, so the neighbours'
 * entries for its address stay right. Two machines' MACs differ. */
TEST(veth_made_again_keeps_its_mac) {
        char a[32], a2[32], b[32];

        ASSERT_TRUE(strlen(peer_mac(NS_A, a)) == 17);
        ASSERT_TRUE(strlen(peer_mac(NS_B, b)) == 17);
        ASSERT_TRUE(!streq(a, b));
        ASSERT_EQ(veth_remove("vh-a", "test/a", NULL), 1);
        ASSERT_STREQ(peer_mac(NS_A, a2), "");
        ASSERT_EQ(veth_ensure("vh-a", "test/a", BRIDGE, NS_A, "eth0", "10.89.0.2/24", "10.89.0.1", NULL), 1);
        ASSERT_STREQ(peer_mac(NS_A, a2), a);
}

TEST(forwarding_is_reported) {
        ASSERT_EQ(fw_enable_forwarding(false, NULL), 1);
        ASSERT_EQ(fw_enable_forwarding(false, NULL), 0);
}

TEST(tcp_via_localhost_and_host_address) {
        pid_t a = server_start(NS_A, "a");

        sync_ports();
        /* From 127.0.0.1 the machine sees the bridge address (masquerade of 127/8). */
        ASSERT_STREQ(tcp_ask(NULL, "127.0.0.1", 8080), "a 10.89.0.1");
        ASSERT_STREQ(tcp_ask(NULL, "10.89.0.1", 8080), "a 10.89.0.1");
        /* Published on 127.0.0.1 only: not on the host's other addresses. */
        ASSERT_STREQ(tcp_ask(NULL, "127.0.0.1", 8443), "a 10.89.0.1");
        ASSERT_STREQ(tcp_ask(NULL, "10.89.0.1", 8443), "");
        server_stop(a);
}

TEST(hairpin_through_a_host_address) {
        pid_t a = server_start(NS_A, "a");

        sync_ports();
        /* b -> gateway:8080 -> a on the same bridge; a answers the host, not b directly. */
        ASSERT_STREQ(tcp_ask(NS_B, "10.89.0.1", 8080), "a 10.89.0.1");
        /* a reaching its own published port (with br_netfilter loaded this needs the port's
         * hairpin mode; without it, the host routes and masquerades). */
        ASSERT_STREQ(tcp_ask(NS_A, "10.89.0.1", 8080), "a 10.89.0.1");
        /* Plain traffic between machines keeps its source. */
        ASSERT_STREQ(tcp_ask(NS_B, "10.89.0.2", 80), "a 10.89.0.3");
        server_stop(a);
}

/* The same when the host routes bridged-to-host traffic itself (no br_netfilter): then only the
 * masquerade of DNATed connections from project subnets keeps replies on the host's path. */
TEST(hairpin_without_br_netfilter) {
        const char *knob = "/proc/sys/net/bridge/bridge-nf-call-iptables";
        pid_t a;

        if (access(knob, F_OK) >= 0)
                ASSERT_OK(harness_write(knob, "0"));
        a = server_start(NS_A, "a");
        ASSERT_STREQ(tcp_ask(NS_B, "10.89.0.1", 8080), "a 10.89.0.1");
        ASSERT_STREQ(tcp_ask(NS_A, "10.89.0.1", 8080), "a 10.89.0.1");
        ASSERT_STREQ(tcp_ask(NULL, "127.0.0.1", 8080), "a 10.89.0.1");
        server_stop(a);
        if (access(knob, F_OK) >= 0)
                ASSERT_OK(harness_write(knob, "1"));
}

static const char *udp_ask_port(int fd, uint16_t port) {
        static char reply[64];
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
        ssize_t n;

        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        ASSERT_EQ(sendto(fd, "?", 1, 0, (void*) &a, sizeof a), 1);
        n = recv(fd, reply, sizeof reply - 1, 0);
        reply[MAX(n, 0)] = 0;
        return reply;
}

static const char *udp_ask(int fd) {
        return udp_ask_port(fd, 9090);
}

TEST(udp_repoint_flushes_conntrack) {
        pid_t a = server_start(NS_A, "a"), b = server_start(NS_B, "b");
        _cleanup_close_ int fd = client_socket(SOCK_DGRAM);

        sync_ports();
        ASSERT_STREQ(udp_ask(fd), "a 10.89.0.1");
        /* Same client socket, same 5-tuple: only a flushed conntrack entry sees the new target. */
        ports[1].target_ip = "10.89.0.3";
        sync_ports();
        ASSERT_STREQ(udp_ask(fd), "b 10.89.0.1");
        ports[1].target_ip = "10.89.0.2";
        sync_ports();
        ASSERT_STREQ(udp_ask(fd), "a 10.89.0.1");
        server_stop(a);
        server_stop(b);
}

/* Two machines behind one balanced host port: new connections alternate between them (the
 * round-robin counter of the "mod 2" rule is this test's alone), on every address and on one;
 * ungrouped again, the port goes to one target. */
TEST(balanced_port_alternates_between_targets) {
        pid_t a = server_start(NS_A, "a"), b = server_start(NS_B, "b");
        FwPort lb[] = {
                { .service = "a", .host_port = 8090, .target_ip = "10.89.0.2", .target_port = 80, .balance = "g" },
                { .service = "b", .host_port = 8090, .target_ip = "10.89.0.3", .target_port = 80, .balance = "g" },
                { .service = "a", .host_ip = "127.0.0.1", .host_port = 8091, .target_ip = "10.89.0.2",
                  .target_port = 80, .balance = "g" },
                { .service = "b", .host_ip = "127.0.0.1", .host_port = 8091, .target_ip = "10.89.0.3",
                  .target_port = 80, .balance = "g" },
        };
        _cleanup_(fw_closep) FwContext *ctx = NULL;
        unsigned seen_a = 0, seen_b = 0;
        NcError err = {};

        ASSERT_OK(fw_open(&ctx, NULL));
        if (fw_sync_project(ctx, "t", lb, ELEMENTSOF(lb), &net, 1, &err) < 0)
                TAP_FAIL("sync: %s", err.message);
        harness_show("nft list map inet " FW_TABLE_NAME " lb4; nft list map inet " FW_TABLE_NAME " lb4_addr");
        for (unsigned i = 0; i < 10; i++) {
                const char *r = tcp_ask(NULL, i % 2 ? "127.0.0.1" : "10.89.0.1", 8090);

                seen_a += streq(r, "a 10.89.0.1");
                seen_b += streq(r, "b 10.89.0.1");
        }
        ASSERT_EQ(seen_a, 5);
        ASSERT_EQ(seen_b, 5);
        seen_a = seen_b = 0;
        for (unsigned i = 0; i < 4; i++) {
                const char *r = tcp_ask(NULL, "127.0.0.1", 8091);

                seen_a += streq(r, "a 10.89.0.1");
                seen_b += streq(r, "b 10.89.0.1");
        }
        ASSERT_EQ(seen_a, 2);
        ASSERT_EQ(seen_b, 2);
        ASSERT_STREQ(tcp_ask(NULL, "10.89.0.1", 8091), "");
        ASSERT_EQ(fw_sync_project(ctx, "t", lb, ELEMENTSOF(lb), &net, 1, NULL), 0);
        /* another project's plain port on the balanced one: refused, though its key is another */
        FwPort plain = { .service = "x", .host_port = 8090, .target_ip = "10.89.0.9", .target_port = 80 };
        err = (NcError) {};
        ASSERT_EQ(fw_sync_project(ctx, "other", &plain, 1, NULL, 0, &err), -EADDRINUSE);
        ASSERT_STRCONTAINS(err.message, "(t/a)");

        /* one replica left: a plain port */
        ASSERT_TRUE(fw_sync_project(ctx, "t", &lb[1], 1, &net, 1, NULL) > 0);
        for (unsigned i = 0; i < 3; i++)
                ASSERT_STREQ(tcp_ask(NULL, "127.0.0.1", 8090), "b 10.89.0.1");
        sync_ports();
        server_stop(a);
        server_stop(b);
}

/* A balanced group that shrinks moves its remaining targets to other slots (other keys); their
 * flows keep going to them, and only the removed target's flows are flushed. */
TEST(shrinking_group_keeps_the_flows_of_the_rest) {
        pid_t a = server_start(NS_A, "a"), b = server_start(NS_B, "b");
        FwPort lb[] = {
                { .service = "a", .protocol = "udp", .host_port = 9095, .target_ip = "10.89.0.2", .target_port = 9090,
                  .balance = "g" },
                { .service = "b", .protocol = "udp", .host_port = 9095, .target_ip = "10.89.0.3", .target_port = 9090,
                  .balance = "g" },
                { .service = "c", .protocol = "udp", .host_port = 9095, .target_ip = "10.89.0.2", .target_port = 9090,
                  .balance = "g" },
        };
        _cleanup_close_ int x = client_socket(SOCK_DGRAM), y = client_socket(SOCK_DGRAM), z = client_socket(SOCK_DGRAM);
        _cleanup_(fw_closep) FwContext *ctx = NULL;
        const char *r;

        ASSERT_OK(fw_open(&ctx, NULL));
        ASSERT_TRUE(fw_sync_project(ctx, "t", lb, 3, &net, 1, NULL) > 0);
        /* three fresh flows take the three slots in turn, wherever the turn stands */
        r = udp_ask_port(x, 9095);
        ASSERT_TRUE(streq(r, "a 10.89.0.1") || streq(r, "b 10.89.0.1"));
        while (!streq(udp_ask_port(x, 9095), "a 10.89.0.1"))     /* x's flow is fixed: find one to a */
                x = safe_close(x), x = client_socket(SOCK_DGRAM);
        while (!streq(udp_ask_port(y, 9095), "b 10.89.0.1"))
                y = safe_close(y), y = client_socket(SOCK_DGRAM);
        ASSERT_TRUE(fw_sync_project(ctx, "t", lb, 2, &net, 1, NULL) > 0);
        /* Fresh flows take turns over a and b; after one more to a, the next turn is b's, which x
         * would take were its flow flushed. */
        while (!streq(udp_ask_port(z, 9095), "a 10.89.0.1"))
                z = safe_close(z), z = client_socket(SOCK_DGRAM);
        ASSERT_STREQ(udp_ask_port(x, 9095), "a 10.89.0.1");
        ASSERT_STREQ(udp_ask_port(y, 9095), "b 10.89.0.1");
        sync_ports();
        server_stop(a);
        server_stop(b);
}

TEST(teardown) {
        _cleanup_(fw_closep) FwContext *ctx = NULL;

        ASSERT_OK(fw_open(&ctx, NULL));
        ASSERT_TRUE(fw_remove_project(ctx, "t", NULL) > 0);
        /* a veth marked as someone else's stays; ours goes, with its peer */
        ASSERT_EQ(veth_remove("vh-a", "test/b", NULL), -EEXIST);
        ASSERT_EQ(veth_remove(BRIDGE, "test/net", NULL), -EINVAL);
        ASSERT_EQ(veth_remove("vh-a", "test/a", NULL), 1);
        ASSERT_EQ(veth_remove("vh-a", "test/a", NULL), 0);
        ASSERT_EQ(bridge_remove(BRIDGE, "test/net", NULL), 1);
        ASSERT_EQ(bridge_remove(BRIDGE, "test/net", NULL), 0);
        ASSERT_EQ(netns_remove(NS_A, NULL), 1);
        ASSERT_EQ(netns_remove(NS_A, NULL), 0);
        ASSERT_EQ(netns_remove(NS_B, NULL), 1);
}

TAP_MAIN();
