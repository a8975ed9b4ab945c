/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/mman.h>

#include "healthd/health-internal.h"
#include "lib/strv.h"
#include "tests/tap.h"

#define SEC 1000000ULL

typedef struct Step {
        uint64_t since_start;           /* probe start minus container start */
        bool success;
        HealthStatus expect;
        unsigned expect_streak;
} Step;

static void run_steps(const HealthConfig *c, const Step *steps, size_t n) {
        HealthState s = HEALTH_STATE_INIT;

        for (size_t i = 0; i < n; i++) {
                HealthStatus st = health_state_apply(&s, c, steps[i].since_start, steps[i].success);

                if (st != steps[i].expect || s.status != st || s.failing_streak != steps[i].expect_streak)
                        TAP_FAIL("step %zu: status %s streak %u, expected %s streak %u", i,
                                 health_status_to_string(st), s.failing_streak,
                                 health_status_to_string(steps[i].expect), steps[i].expect_streak);
        }
}

TEST(first_success_is_healthy) {
        HealthConfig c = {};
        Step steps[] = {
                { 30 * SEC, true, HEALTH_HEALTHY, 0 },
        };
        run_steps(&c, steps, ELEMENTSOF(steps));
}

TEST(default_retries_give_unhealthy_on_third_failure) {
        HealthConfig c = {};
        Step steps[] = {
                { 30 * SEC, false, HEALTH_STARTING, 1 },
                { 60 * SEC, false, HEALTH_STARTING, 2 },
                { 90 * SEC, false, HEALTH_UNHEALTHY, 3 },
                { 120 * SEC, false, HEALTH_UNHEALTHY, 4 },
                { 150 * SEC, true, HEALTH_HEALTHY, 0 },
        };
        run_steps(&c, steps, ELEMENTSOF(steps));
}

TEST(start_period_failures_do_not_count_while_starting) {
        HealthConfig c = { .start_period_usec = 60 * SEC, .retries = 2 };
        Step steps[] = {
                { 5 * SEC, false, HEALTH_STARTING, 0 },
                { 10 * SEC, false, HEALTH_STARTING, 0 },
                { 59 * SEC, false, HEALTH_STARTING, 0 },
                { 60 * SEC, false, HEALTH_STARTING, 1 },   /* the period has ended */
                { 90 * SEC, false, HEALTH_UNHEALTHY, 2 },
        };
        run_steps(&c, steps, ELEMENTSOF(steps));
}

TEST(start_period_failures_count_once_healthy) {
        HealthConfig c = { .start_period_usec = 60 * SEC, .retries = 2 };
        Step steps[] = {
                { 5 * SEC, false, HEALTH_STARTING, 0 },
                { 10 * SEC, true, HEALTH_HEALTHY, 0 },
                { 15 * SEC, false, HEALTH_HEALTHY, 1 },    /* no longer starting: counts */
                { 20 * SEC, false, HEALTH_UNHEALTHY, 2 },
                { 25 * SEC, false, HEALTH_UNHEALTHY, 3 },
                { 30 * SEC, true, HEALTH_HEALTHY, 0 },
        };
        run_steps(&c, steps, ELEMENTSOF(steps));
}

TEST(success_resets_streak) {
        HealthConfig c = { .retries = 3 };
        Step steps[] = {
                { 1 * SEC, true, HEALTH_HEALTHY, 0 },
                { 2 * SEC, false, HEALTH_HEALTHY, 1 },
                { 3 * SEC, false, HEALTH_HEALTHY, 2 },
                { 4 * SEC, true, HEALTH_HEALTHY, 0 },
                { 5 * SEC, false, HEALTH_HEALTHY, 1 },
                { 6 * SEC, false, HEALTH_HEALTHY, 2 },
                { 7 * SEC, false, HEALTH_UNHEALTHY, 3 },
        };
        run_steps(&c, steps, ELEMENTSOF(steps));
}

TEST(retries_one) {
        HealthConfig c = { .retries = 1 };
        Step steps[] = {
                { 1 * SEC, false, HEALTH_UNHEALTHY, 1 },
        };
        run_steps(&c, steps, ELEMENTSOF(steps));
}

TEST(ever_healthy_is_sticky) {
        HealthConfig c = { .retries = 1 };
        HealthState s = HEALTH_STATE_INIT;

        ASSERT_FALSE(s.ever_healthy);
        health_state_apply(&s, &c, 0, false);
        ASSERT_FALSE(s.ever_healthy);
        health_state_apply(&s, &c, 0, true);
        health_state_apply(&s, &c, 0, false);
        ASSERT_EQ(s.status, HEALTH_UNHEALTHY);
        ASSERT_TRUE(s.ever_healthy);
}

TEST(next_interval) {
        HealthConfig c = { .start_period_usec = 60 * SEC, .interval_usec = 10 * SEC };
        HealthState s = HEALTH_STATE_INIT;

        /* start interval (engine default 5s) while starting in the period */
        ASSERT_EQ(health_state_next_interval_usec(&s, &c, 0), 5 * SEC);
        ASSERT_EQ(health_state_next_interval_usec(&s, &c, 59 * SEC), 5 * SEC);
        ASSERT_EQ(health_state_next_interval_usec(&s, &c, 60 * SEC), 10 * SEC);
        s.status = HEALTH_HEALTHY;
        ASSERT_EQ(health_state_next_interval_usec(&s, &c, 1 * SEC), 10 * SEC);
        c.start_interval_usec = 2 * SEC;
        s.status = HEALTH_STARTING;
        ASSERT_EQ(health_state_next_interval_usec(&s, &c, 1 * SEC), 2 * SEC);
        /* no start period: the first probe waits the interval, as the engine does */
        c = (HealthConfig) {};
        ASSERT_EQ(health_state_next_interval_usec(&s, &c, 0), 30 * SEC);
}

TEST(defaults) {
        HealthConfig c = {};

        ASSERT_EQ(health_config_interval_usec(&c), 30 * SEC);
        ASSERT_EQ(health_config_timeout_usec(&c), 30 * SEC);
        ASSERT_EQ(health_config_retries(&c), 3);
        ASSERT_EQ(health_config_start_period_usec(&c), 0);
        ASSERT_EQ(health_config_start_interval_usec(&c), 5 * SEC);
}

TEST(timeout_start) {
        char *test[] = { "CMD", "true", NULL };
        HealthConfig c = {};

        ASSERT_EQ(health_config_timeout_start_usec(&c), HEALTH_NO_CHECK_TIMEOUT_START_USEC);
        ASSERT_OK(health_config_set_test(&c, test, NULL));
        /* 0 + 4 * (30 + 30) + 30 */
        ASSERT_EQ(health_config_timeout_start_usec(&c), 270 * SEC);
        c.start_period_usec = 120 * SEC;
        c.interval_usec = 2 * SEC;
        c.timeout_usec = 1 * SEC;
        c.retries = 5;
        /* 120 + 6 * (max(2, 5) + 1) + 30 */
        ASSERT_EQ(health_config_timeout_start_usec(&c), 186 * SEC);
        health_config_done(&c);
}

TEST(set_test) {
        char *none[] = { "NONE", NULL }, *cmd[] = { "CMD", "pg_isready", "-U", "x", NULL };
        char *shell[] = { "CMD-SHELL", "curl -f localhost || exit 1", NULL };
        char *bad[] = { "FOO", "x", NULL }, *empty[] = { "CMD", NULL };
        HealthConfig c = {}, d = {};
        NcError err = {};

        ASSERT_OK(health_config_set_test(&c, cmd, NULL));
        ASSERT_EQ(c.type, HEALTH_TEST_CMD);
        ASSERT_EQ(strv_length(c.argv), 3);
        ASSERT_STREQ(c.argv[0], "pg_isready");
        ASSERT_TRUE(health_config_has_check(&c));
        ASSERT_OK(health_config_set_test(&c, shell, NULL));
        ASSERT_EQ(c.type, HEALTH_TEST_CMD_SHELL);
        ASSERT_STREQ(c.argv[0], "curl -f localhost || exit 1");
        ASSERT_OK(health_config_copy(&c, &d));
        ASSERT_STREQ(d.argv[0], c.argv[0]);
        ASSERT_OK(health_config_set_test(&c, none, NULL));
        ASSERT_EQ(c.type, HEALTH_TEST_NONE);
        ASSERT_FALSE(health_config_has_check(&c));
        ASSERT_OK(health_config_set_test(&c, NULL, NULL));
        ASSERT_FALSE(health_config_has_check(&c));
        ASSERT_EQ(health_config_set_test(&c, bad, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "'FOO'");
        ASSERT_EQ(health_config_set_test(&c, empty, NULL), -EINVAL);
        health_config_done(&c);
        health_config_done(&d);
}

TEST(output_keeps_last_4k) {
        static HealthOutput o;
        char out[HEALTH_OUTPUT_MAX + 1], line[16];

        health_output_reset(&o);
        health_output_append_str(&o, "hello\n");
        ASSERT_EQ(health_output_flatten(&o, out), 6);
        ASSERT_STREQ(out, "hello\n");
        ASSERT_FALSE(o.truncated);

        health_output_reset(&o);
        for (unsigned i = 1; i <= 3000; i++) {
                snprintf(line, sizeof line, "%u\n", i);
                health_output_append_str(&o, line);
        }
        ASSERT_EQ(health_output_flatten(&o, out), HEALTH_OUTPUT_MAX);
        ASSERT_TRUE(o.truncated);
        ASSERT_TRUE(endswith(out, "\n2999\n3000\n"));

        /* one write larger than the buffer */
        {
                static char big[3 * HEALTH_OUTPUT_MAX];

                memset(big, 'a', sizeof big);
                big[sizeof big - 1] = 'z';
                health_output_reset(&o);
                health_output_append(&o, big, sizeof big);
                ASSERT_EQ(health_output_flatten(&o, out), HEALTH_OUTPUT_MAX);
                ASSERT_EQ(out[HEALTH_OUTPUT_MAX - 1], 'z');
                ASSERT_EQ(out[0], 'a');
        }
}

TEST(status_text) {
        HealthEvent ev = { .status = HEALTH_STARTING, .retries = 3 };
        char buf[256];

        ASSERT_STREQ(health_event_status_text(&ev, buf, sizeof buf), "starting");
        ev.exit_code = 1;
        ev.output = "connecting\nconnection refused\n";
        ev.in_start_period = true;
        ASSERT_STREQ(health_event_status_text(&ev, buf, sizeof buf),
                     "starting (start period; check failed: connection refused)");
        ev.in_start_period = false;
        ev.failing_streak = 2;
        ASSERT_STREQ(health_event_status_text(&ev, buf, sizeof buf),
                     "starting (2/3 checks failed: connection refused)");
        ev.status = HEALTH_UNHEALTHY;
        ev.output = "";
        ASSERT_STREQ(health_event_status_text(&ev, buf, sizeof buf), "unhealthy: exit status 1");
        ev.output = "tab\there\r\n";
        ASSERT_STREQ(health_event_status_text(&ev, buf, sizeof buf), "unhealthy: tab here");
        ev.status = HEALTH_HEALTHY;
        ev.exit_code = 0;
        ASSERT_STREQ(health_event_status_text(&ev, buf, sizeof buf), "healthy");
}

/* What ps reads back from the unit's StatusText=: every line status_text writes gives its status. */
TEST(status_text_reads_back) {
        HealthEvent ev = { .retries = 3, .exit_code = 1, .failing_streak = 2, .output = "refused" };
        char buf[256];

        for (HealthStatus s = 0; s < _HEALTH_STATUS_MAX; s++) {
                ev.status = s;
                ASSERT_EQ(health_status_from_status_text(health_event_status_text(&ev, buf, sizeof buf)), s);
        }
        ev.in_start_period = true;
        ev.status = HEALTH_STARTING;
        ASSERT_EQ(health_status_from_status_text(health_event_status_text(&ev, buf, sizeof buf)), HEALTH_STARTING);
        ASSERT_EQ(health_status_from_status_text(NULL), _HEALTH_STATUS_INVALID);
        ASSERT_EQ(health_status_from_status_text(""), _HEALTH_STATUS_INVALID);
        ASSERT_EQ(health_status_from_status_text("healthyish"), _HEALTH_STATUS_INVALID);
        ASSERT_EQ(health_status_from_status_text("Started."), _HEALTH_STATUS_INVALID);
}

TAP_MAIN();
