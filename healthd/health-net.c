/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "healthd/health-internal.h"
#include "lib/in-addr-util.h"
#include "lib/namespace-util.h"

/* Native probes need nothing inside the image: a non-blocking TCP connect, optionally followed by
 * an HTTP/1.0 GET whose status line decides (2xx and 3xx pass). */

typedef union Address {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
} Address;

static int parse_address(const char *s, uint16_t port, Address *ret, socklen_t *ret_len) {
        union in_addr_union u;
        Address a = {};
        int family;

        if (in_addr_from_string_auto(s, &family, &u) < 0)
                return -EINVAL;
        if (family == AF_INET) {
                a.in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = u.in };
                *ret_len = sizeof a.in;
        } else {
                a.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = u.in6 };
                *ret_len = sizeof a.in6;
        }
        *ret = a;
        return 0;
}

static int stream_socket(void *userdata) {
        int fd = socket(*(int*) userdata, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        return fd < 0 ? -errno : fd;
}

/* A socket that lives in the leader's network namespace, whatever the address: the probe reaches
 * the service on its own loopback, even on an internal network, and never anything the service
 * could not reach itself (the host's 127.0.0.1, another project's networks). Only this thread
 * switches, and it switches back. */
static int socket_in_leader_netns(HealthChecker *c, int family) {
        return netns_call(c->leader.netns_fd, stream_socket, &family);
}

static void finish(HealthChecker *c, int code) {
        health_net_stop(c);
        (void) health_checker_probe_done(c, code);
}

static void append_error(HealthChecker *c, const char *what, int error) {
        char buf[256];

        snprintf(buf, sizeof buf, "%s %s:%u: %s\n", what, c->config.address ?: "127.0.0.1",
                 c->config.port, strerror(error));
        health_output_append_str(&c->output, buf);
}

static void fail_errno(HealthChecker *c, const char *what, int error) {
        append_error(c, what, error);
        finish(c, 1);
}

/* "HTTP/1.1 204 No Content" → 0 for 2xx/3xx, 1 otherwise, -EBADMSG if not a status line. */
static int http_status_code(const char *line) {
        int major, minor, status;

        if (sscanf(line, "HTTP/%d.%d %3d", &major, &minor, &status) != 3)
                return -EBADMSG;
        return status >= 200 && status < 400 ? 0 : 1;
}

static void http_read_head(HealthChecker *c) {
        ssize_t n;
        char *eol;
        int r;

        n = recv(c->socket_fd, c->http_head + c->http_head_len,
                 sizeof c->http_head - 1 - c->http_head_len, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n < 0)
                return fail_errno(c, "HTTP GET", errno);
        c->http_head_len += n;
        c->http_head[c->http_head_len] = 0;
        eol = strchr(c->http_head, '\n');
        if (!eol && n > 0 && c->http_head_len < sizeof c->http_head - 1)
                return;
        if (eol)
                *eol = 0;
        health_output_append_str(&c->output, c->http_head);
        r = http_status_code(c->http_head);
        if (r < 0)
                health_output_append_str(&c->output, n == 0 && c->http_head_len == 0 ?
                                         "empty HTTP response" : " (not an HTTP status line)");
        finish(c, r == 0 ? 0 : 1);
}

static void http_send(HealthChecker *c) {
        ssize_t n = send(c->socket_fd, c->http_request + c->http_sent, c->http_len - c->http_sent,
                         MSG_NOSIGNAL);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n < 0)
                return fail_errno(c, "HTTP GET", errno);
        c->http_sent += n;
        if (c->http_sent == c->http_len)
                (void) sd_event_source_set_io_events(c->io_source, EPOLLIN);
}

static void on_connected(HealthChecker *c) {
        int error = 0;
        socklen_t len = sizeof error;

        if (getsockopt(c->socket_fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                error = errno;
        if (error != 0)
                return fail_errno(c, "connect", error);
        c->http_len = 0;                /* marks "connected" */
        if (c->config.type == HEALTH_TEST_TCP)
                return finish(c, 0);
        c->http_len = strlen(c->http_request);
        (void) sd_event_source_set_io_events(c->io_source, EPOLLOUT | EPOLLIN);
        http_send(c);
}

static int on_socket(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        HealthChecker *c = userdata;

        if (c->http_len == 0)
                on_connected(c);
        else if (c->http_sent < c->http_len)
                http_send(c);
        else
                http_read_head(c);
        return 0;
}

static void build_request(HealthChecker *c, const Address *a) {
        const char *addr = c->config.address ?: "localhost";
        bool v6 = a->sa.sa_family == AF_INET6 && c->config.address;

        snprintf(c->http_request, sizeof c->http_request,
                 "GET %s HTTP/1.0\r\nHost: %s%s%s:%u\r\nUser-Agent: nspawn-compose-healthcheck\r\n"
                 "Accept: */*\r\nConnection: close\r\n\r\n",
                 c->config.http_path ?: "/", v6 ? "[" : "", addr, v6 ? "]" : "", c->config.port);
}

int health_net_start(HealthChecker *c) {
        Address a;
        socklen_t len;
        int r;

        assert(c);

        r = parse_address(c->config.address ?: "127.0.0.1", c->config.port, &a, &len);
        if (r < 0)
                return r;
        build_request(c, &a);
        c->http_sent = c->http_len = c->http_head_len = 0;
        c->socket_fd = socket_in_leader_netns(c, a.sa.sa_family);
        if (c->socket_fd < 0)
                return c->socket_fd;
        r = sd_event_add_io(c->event, &c->io_source, c->socket_fd, EPOLLOUT, on_socket, c);
        if (r < 0) {
                health_net_stop(c);
                return r;
        }
        /* EINPROGRESS: the io source fires when connected; any other error shows there too. */
        if (connect(c->socket_fd, &a.sa, len) < 0 && errno != EINPROGRESS) {
                r = -errno;
                append_error(c, "connect", -r);
                health_net_stop(c);
                return r;
        }
        return 0;
}

void health_net_stop(HealthChecker *c) {
        assert(c);

        c->io_source = sd_event_source_disable_unref(c->io_source);
        if (c->socket_fd >= 0)
                c->socket_fd = (close(c->socket_fd), -EBADF);
}
