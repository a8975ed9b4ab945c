/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Native TCP and HTTP probes against listeners on 127.0.0.1, driven by a real sd-event loop, and the
 * checker's scheduling and events. The "container" is this process: its netns is the one the
 * loopback default enters. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "healthd/health.h"
#include "tests/tap.h"

#define MSEC 1000ULL

typedef struct Seen {
        sd_event *event;
        unsigned n, want;
        HealthEvent ev[8];
        char output[8][HEALTH_OUTPUT_MAX + 1];
} Seen;

static int on_event(HealthChecker *c, const HealthEvent *ev, void *userdata) {
        Seen *s = userdata;

        if (s->n < ELEMENTSOF(s->ev)) {
                s->ev[s->n] = *ev;
                snprintf(s->output[s->n], sizeof s->output[s->n], "%s", ev->output);
                s->ev[s->n].output = s->output[s->n];
        }
        if (++s->n >= s->want)
                (void) sd_event_exit(s->event, 0);
        return 0;
}

/* Runs a checker until it reported @want probes. */
static void run_checker(HealthConfig *cfg, unsigned want, Seen *s) {
        sd_event *e = NULL;
        HealthChecker *c = NULL;
        NcError err = {};

        *s = (Seen) { .want = want };
        ASSERT_OK(sd_event_new(&e));
        s->event = e;
        if (!cfg->interval_usec)
                cfg->interval_usec = 1 * MSEC;
        if (!cfg->timeout_usec)
                cfg->timeout_usec = 5000 * MSEC;
        if (health_checker_new(e, cfg, getpid(), on_event, s, &c, &err) < 0)
                TAP_FAIL("health_checker_new: %s", err.message);
        ASSERT_NOT_NULL(c);
        ASSERT_OK(sd_event_loop(e));
        health_checker_free(c);
        sd_event_unref(e);
}

static int listener(uint16_t *ret_port) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof a;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(bind(fd, (struct sockaddr*) &a, sizeof a));
        ASSERT_OK(listen(fd, 16));
        ASSERT_OK(getsockname(fd, (struct sockaddr*) &a, &len));
        *ret_port = ntohs(a.sin_port);
        return fd;
}

/* A port nothing listens on. */
static uint16_t closed_port(void) {
        uint16_t port;
        int fd = listener(&port);

        close(fd);
        return port;
}

/* A child that answers every connection with @response after reading the request ("" = close at
 * once, NULL = never answer). It dies with us. */
static pid_t http_server(const char *response, uint16_t *ret_port) {
        int fd = listener(ret_port);
        pid_t pid = fork();

        ASSERT_TRUE(pid >= 0);
        if (pid > 0) {
                close(fd);
                return pid;
        }
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (;;) {
                char buf[1024];
                int conn = accept(fd, NULL, NULL);

                if (conn < 0)
                        continue;
                if (!response) {
                        pause();
                        continue;
                }
                (void) !read(conn, buf, sizeof buf);
                (void) !write(conn, response, strlen(response));
                close(conn);
        }
}

static void stop_server(pid_t pid) {
        ASSERT_OK(kill(pid, SIGKILL));
        ASSERT_EQ(waitpid(pid, NULL, 0), pid);
}

TEST(tcp_connect_passes) {
        HealthConfig cfg = { .type = HEALTH_TEST_TCP, .address = "127.0.0.1" };
        int fd = listener(&cfg.port);
        Seen s;

        run_checker(&cfg, 1, &s);
        ASSERT_EQ(s.ev[0].exit_code, 0);
        ASSERT_EQ(s.ev[0].status, HEALTH_HEALTHY);
        ASSERT_TRUE(s.ev[0].first_healthy);
        ASSERT_TRUE(s.ev[0].changed);
        ASSERT_EQ(s.ev[0].extend_timeout_usec, 0);
        close(fd);
}

TEST(tcp_refused_counts_to_unhealthy) {
        HealthConfig cfg = { .type = HEALTH_TEST_TCP, .address = "127.0.0.1", .retries = 2 };
        Seen s;

        cfg.port = closed_port();
        run_checker(&cfg, 3, &s);
        ASSERT_EQ(s.ev[0].status, HEALTH_STARTING);
        ASSERT_FALSE(s.ev[0].changed);
        ASSERT_EQ(s.ev[0].failing_streak, 1);
        ASSERT_TRUE(s.ev[0].extend_timeout_usec > 0);
        ASSERT_STRCONTAINS(s.ev[0].output, "Connection refused");
        ASSERT_EQ(s.ev[1].status, HEALTH_UNHEALTHY);
        ASSERT_TRUE(s.ev[1].changed);
        ASSERT_FALSE(s.ev[1].first_healthy);
        ASSERT_EQ(s.ev[2].status, HEALTH_UNHEALTHY);
        ASSERT_FALSE(s.ev[2].changed);
        ASSERT_EQ(s.ev[2].failing_streak, 3);
        /* each probe starts after the previous one ended */
        ASSERT_TRUE(s.ev[1].probe_start_usec >= s.ev[0].probe_end_usec + cfg.interval_usec);
}

TEST(start_period_failures_then_success) {
        HealthConfig cfg = { .type = HEALTH_TEST_TCP, .address = "127.0.0.1", .retries = 1,
                             .start_period_usec = 3600 * 1000 * MSEC, .start_interval_usec = 1 * MSEC };
        char text[256];
        Seen s;

        cfg.port = closed_port();
        run_checker(&cfg, 3, &s);
        for (unsigned i = 0; i < 3; i++) {
                ASSERT_EQ(s.ev[i].status, HEALTH_STARTING);
                ASSERT_TRUE(s.ev[i].in_start_period);
                ASSERT_EQ(s.ev[i].failing_streak, 0);
        }
        /* the remaining start period is in the extension */
        ASSERT_TRUE(s.ev[2].extend_timeout_usec > 3500ULL * 1000 * MSEC);
        ASSERT_STRCONTAINS(health_event_status_text(&s.ev[2], text, sizeof text),
                           "starting (start period; check failed: connect 127.0.0.1:");
}

TEST(http_2xx_and_3xx_pass) {
        const char *ok[] = { "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "HTTP/1.0 302 Found\r\n\r\n" };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                HealthConfig cfg = { .type = HEALTH_TEST_HTTP, .address = "127.0.0.1", .http_path = "/health" };
                pid_t pid = http_server(ok[i], &cfg.port);
                Seen s;

                run_checker(&cfg, 1, &s);
                ASSERT_EQ(s.ev[0].exit_code, 0);
                ASSERT_EQ(s.ev[0].status, HEALTH_HEALTHY);
                ASSERT_STRCONTAINS(s.ev[0].output, i == 0 ? "200 OK" : "302 Found");
                stop_server(pid);
        }
}

TEST(http_error_and_garbage_fail) {
        const char *bad[] = { "HTTP/1.1 503 Service Unavailable\r\n\r\n", "SSH-2.0-OpenSSH\r\n", "" };
        const char *expect[] = { "503 Service Unavailable", "not an HTTP status line", "empty HTTP response" };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                HealthConfig cfg = { .type = HEALTH_TEST_HTTP, .address = "127.0.0.1", .retries = 1 };
                pid_t pid = http_server(bad[i], &cfg.port);
                Seen s;

                run_checker(&cfg, 1, &s);
                ASSERT_EQ(s.ev[0].exit_code, 1);
                ASSERT_EQ(s.ev[0].status, HEALTH_UNHEALTHY);
                ASSERT_STRCONTAINS(s.ev[0].output, expect[i]);
                stop_server(pid);
        }
}

TEST(http_silent_server_times_out) {
        HealthConfig cfg = { .type = HEALTH_TEST_HTTP, .address = "127.0.0.1", .retries = 1,
                             .timeout_usec = 200 * MSEC };
        pid_t pid = http_server(NULL, &cfg.port);
        Seen s;

        run_checker(&cfg, 1, &s);
        ASSERT_EQ(s.ev[0].exit_code, -1);
        ASSERT_TRUE(s.ev[0].timed_out);
        ASSERT_STREQ(s.ev[0].output, "Health check exceeded timeout (200ms)");
        stop_server(pid);
}

TEST(loopback_in_leader_netns) {
        HealthConfig cfg = { .type = HEALTH_TEST_TCP };
        int fd;
        Seen s;

        if (geteuid() != 0)
                TAP_SKIP("entering a network namespace needs root");
        fd = listener(&cfg.port);
        run_checker(&cfg, 1, &s);
        ASSERT_EQ(s.ev[0].exit_code, 0);
        close(fd);
}

/* A process in a network namespace of its own, listening on its own 127.0.0.1; the port comes back
 * through @ready once it listens. */
static pid_t leader_in_own_netns(uint16_t *ret_port) {
        int ready[2];
        pid_t pid;

        ASSERT_OK(pipe(ready));
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                struct ifreq ifr = { .ifr_name = "lo", .ifr_flags = IFF_UP };
                uint16_t port;
                int sock;

                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (unshare(CLONE_NEWNET) < 0)
                        _exit(1);
                sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (sock < 0 || ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
                        _exit(1);
                (void) listener(&port);
                (void) !write(ready[1], &port, sizeof port);
                for (;;)
                        pause();
        }
        close(ready[1]);
        ASSERT_EQ(read(ready[0], ret_port, sizeof *ret_port), (ssize_t) sizeof *ret_port);
        close(ready[0]);
        return pid;
}

/* An address does not move the probe out of the service's netns: 127.0.0.1 is the service's own
 * loopback, never the host's. */
TEST(address_probe_connects_from_the_leader_netns) {
        HealthConfig cfg = { .type = HEALTH_TEST_TCP, .address = "127.0.0.1", .retries = 1 };
        HealthChecker *c = NULL;
        sd_event *e = NULL;
        Seen s = { .want = 1 };
        pid_t leader;

        if (geteuid() != 0)
                TAP_SKIP("a network namespace needs root");
        leader = leader_in_own_netns(&cfg.port);
        ASSERT_OK(sd_event_new(&e));
        s.event = e;
        cfg.interval_usec = 1 * MSEC;
        cfg.timeout_usec = 5000 * MSEC;
        ASSERT_OK(health_checker_new(e, &cfg, leader, on_event, &s, &c, NULL));
        ASSERT_OK(sd_event_loop(e));
        health_checker_free(c);
        sd_event_unref(e);
        stop_server(leader);
        ASSERT_EQ(s.ev[0].exit_code, 0);
}

TEST(probe_now_skips_the_wait) {
        HealthConfig cfg = { .type = HEALTH_TEST_TCP, .address = "127.0.0.1",
                             .interval_usec = 3600ULL * 1000 * MSEC };
        int fd = listener(&cfg.port);
        HealthChecker *c = NULL;
        sd_event *e = NULL;
        Seen s = { .want = 1 };

        ASSERT_OK(sd_event_new(&e));
        s.event = e;
        ASSERT_OK(health_checker_new(e, &cfg, getpid(), on_event, &s, &c, NULL));
        ASSERT_OK(health_checker_probe_now(c));
        ASSERT_OK(sd_event_loop(e));
        ASSERT_EQ(s.n, 1);
        ASSERT_EQ(s.ev[0].status, HEALTH_HEALTHY);
        ASSERT_EQ(health_checker_get_status(c), HEALTH_HEALTHY);
        ASSERT_EQ(health_checker_extend_timeout_usec(c), 0);
        health_checker_free(c);
        sd_event_unref(e);
        close(fd);
}

TEST(no_check_means_no_checker) {
        HealthConfig cfg = {};
        HealthChecker *c = (HealthChecker*) 0x1;
        sd_event *e = NULL;

        ASSERT_OK(sd_event_default(&e));
        ASSERT_OK(health_checker_new(e, &cfg, getpid(), on_event, NULL, &c, NULL));
        ASSERT_NULL(c);
        sd_event_unref(e);
}

TEST(dead_leader_is_esrch) {
        HealthConfig cfg = { .type = HEALTH_TEST_TCP, .port = 1 };
        HealthChecker *c = NULL;
        sd_event *e = NULL;
        pid_t pid = fork();

        ASSERT_TRUE(pid >= 0);
        if (pid == 0)
                _exit(0);
        ASSERT_EQ(waitpid(pid, NULL, 0), pid);
        ASSERT_OK(sd_event_default(&e));
        ASSERT_EQ(health_checker_new(e, &cfg, pid, on_event, NULL, &c, NULL), -ESRCH);
        sd_event_unref(e);
}

TAP_MAIN();
