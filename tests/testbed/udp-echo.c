/* udp-echo PORT: answers every UDP datagram on 0.0.0.0:PORT (and [::]:PORT when IPv6 is up)
 * with the same bytes. The test/echo image runs it beside a busybox nc TCP echo, because
 * busybox nc has no UDP mode. Linked statically: the images carry no libc. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int open_udp(int family, unsigned port) {
        struct sockaddr_storage ss = {};
        socklen_t len;
        int fd, one = 1;

        if (family == AF_INET6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;
                a->sin6_family = AF_INET6;
                a->sin6_port = htons(port);
                a->sin6_addr = in6addr_any;
                len = sizeof(*a);
        } else {
                struct sockaddr_in *a = (struct sockaddr_in *) &ss;
                a->sin_family = AF_INET;
                a->sin_port = htons(port);
                a->sin_addr.s_addr = htonl(INADDR_ANY);
                len = sizeof(*a);
        }
        fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* v6-only so that the IPv4 socket can bind the same port beside it */
        if (family == AF_INET6)
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &ss, len) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static void echo_one(int fd) {
        char buf[65536];
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        ssize_t n;

        n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *) &peer, &plen);
        if (n >= 0)
                (void) sendto(fd, buf, (size_t) n, 0, (struct sockaddr *) &peer, plen);
}

int main(int argc, char *argv[]) {
        struct pollfd pfd[2];
        nfds_t n = 0;
        unsigned long port;
        char *end;

        if (argc != 2) {
                fprintf(stderr, "usage: udp-echo PORT\n");
                return 2;
        }
        port = strtoul(argv[1], &end, 10);
        if (*end || port == 0 || port > 65535) {
                fprintf(stderr, "udp-echo: bad port '%s'\n", argv[1]);
                return 2;
        }
        pfd[n].fd = open_udp(AF_INET, (unsigned) port);
        if (pfd[n].fd < 0) {
                fprintf(stderr, "udp-echo: IPv4 port %lu: %s\n", port, strerror(-pfd[n].fd));
                return 1;
        }
        pfd[n++].events = POLLIN;
        pfd[n].fd = open_udp(AF_INET6, (unsigned) port);
        if (pfd[n].fd >= 0)
                pfd[n++].events = POLLIN;

        for (;;) {
                if (poll(pfd, n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("udp-echo: poll");
                        return 1;
                }
                for (nfds_t i = 0; i < n; i++)
                        if (pfd[i].revents & POLLIN)
                                echo_one(pfd[i].fd);
        }
}
