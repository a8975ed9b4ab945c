/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "healthd/health-internal.h"
#include "lib/strv.h"

void health_config_done(HealthConfig *c) {
        if (!c)
                return;
        c->argv = strv_free(c->argv);
        c->environment = strv_free(c->environment);
        free(c->address);
        free(c->http_path);
        free(c->user);
        free(c->working_dir);
        free(c->probe_cgroup);
        *c = (HealthConfig) {};
}

HealthConfig *health_config_free(HealthConfig *c) {
        if (!c)
                return NULL;
        health_config_done(c);
        free(c);
        return NULL;
}

static int strdup_or_null(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int strv_copy_or_null(char * const *l, char ***ret) {
        if (!l) {
                *ret = NULL;
                return 0;
        }
        *ret = strv_copy(l);
        return *ret ? 0 : -ENOMEM;
}

int health_config_copy(const HealthConfig *c, HealthConfig *ret) {
        HealthConfig n = {
                .type = c->type,
                .port = c->port,
                .interval_usec = c->interval_usec,
                .timeout_usec = c->timeout_usec,
                .start_period_usec = c->start_period_usec,
                .start_interval_usec = c->start_interval_usec,
                .retries = c->retries,
        };

        assert(c);
        assert(ret);

        if (strv_copy_or_null(c->argv, &n.argv) < 0 ||
            strv_copy_or_null(c->environment, &n.environment) < 0 ||
            strdup_or_null(c->address, &n.address) < 0 ||
            strdup_or_null(c->http_path, &n.http_path) < 0 ||
            strdup_or_null(c->user, &n.user) < 0 ||
            strdup_or_null(c->working_dir, &n.working_dir) < 0 ||
            strdup_or_null(c->probe_cgroup, &n.probe_cgroup) < 0) {
                health_config_done(&n);
                return -ENOMEM;
        }
        *ret = n;
        return 0;
}

int health_config_set_test(HealthConfig *c, char * const *test, NcError *reterr) {
        HealthTestType type;
        char **argv = NULL;

        assert(c);

        if (strv_length(test) == 0 || streq(test[0], "NONE")) {
                c->type = HEALTH_TEST_NONE;
                c->argv = strv_free(c->argv);
                return 0;
        }
        if (streq(test[0], "CMD"))
                type = HEALTH_TEST_CMD;
        else if (streq(test[0], "CMD-SHELL"))
                type = HEALTH_TEST_CMD_SHELL;
        else
                return nc_error_set(reterr, -EINVAL, "healthcheck test: unknown type '%s'", test[0]);
        if (!test[1] || isempty(test[1]))
                return nc_error_set(reterr, -EINVAL, "healthcheck test: '%s' without a command", test[0]);

        argv = strv_copy(test + 1);
        if (!argv)
                return nc_error_set(reterr, -ENOMEM, "out of memory");
        strv_free(c->argv);
        c->argv = argv;
        c->type = type;
        return 0;
}

bool health_config_has_check(const HealthConfig *c) {
        if (!c)
                return false;
        switch (c->type) {
        case HEALTH_TEST_CMD:
        case HEALTH_TEST_CMD_SHELL:
                return strv_length(c->argv) > 0;
        case HEALTH_TEST_TCP:
        case HEALTH_TEST_HTTP:
                return c->port > 0;
        case HEALTH_TEST_NONE:
        case _HEALTH_TEST_TYPE_MAX:
        case _HEALTH_TEST_TYPE_INVALID:
                break;
        }
        return false;
}

/* Compose (and moby's timeoutWithDefault) treat 0 as "not set". */
uint64_t health_config_interval_usec(const HealthConfig *c) {
        assert(c);

        return c->interval_usec ?: HEALTH_DEFAULT_INTERVAL_USEC;
}

uint64_t health_config_timeout_usec(const HealthConfig *c) {
        assert(c);

        return c->timeout_usec ?: HEALTH_DEFAULT_TIMEOUT_USEC;
}

uint64_t health_config_start_period_usec(const HealthConfig *c) {
        assert(c);

        return c->start_period_usec ?: HEALTH_DEFAULT_START_PERIOD_USEC;
}

uint64_t health_config_start_interval_usec(const HealthConfig *c) {
        assert(c);

        return c->start_interval_usec ?: HEALTH_DEFAULT_START_INTERVAL_USEC;
}

unsigned health_config_retries(const HealthConfig *c) {
        assert(c);

        return c->retries ?: HEALTH_DEFAULT_RETRIES;
}

/* Durations come from users: saturate at UINT64_MAX (systemd's "infinity") instead of wrapping. */
static uint64_t add_sat(uint64_t a, uint64_t b) {
        uint64_t t;

        return __builtin_add_overflow(a, b, &t) ? UINT64_MAX : t;
}

/* The worst case from the end of the start period to a verdict: one probe that began inside the
 * period (its failure does not count), then @retries counted failures. */
static uint64_t verdict_window_usec(const HealthConfig *c) {
        uint64_t step = add_sat(MAX(health_config_interval_usec(c), health_config_start_interval_usec(c)),
                                health_config_timeout_usec(c)), t;

        return __builtin_mul_overflow(health_config_retries(c) + 1ULL, step, &t) ? UINT64_MAX : t;
}

uint64_t health_config_timeout_start_usec(const HealthConfig *c) {
        if (!health_config_has_check(c))
                return HEALTH_NO_CHECK_TIMEOUT_START_USEC;
        return add_sat(add_sat(health_config_start_period_usec(c), verdict_window_usec(c)),
                       HEALTH_TIMEOUT_START_MARGIN_USEC);
}

/* Exported to the checker through health-internal.h. */
uint64_t health_config_verdict_window_usec(const HealthConfig *c) {
        assert(c);

        return verdict_window_usec(c);
}
