/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdio.h>

#include "healthd/health-internal.h"

static const char * const status_table[_HEALTH_STATUS_MAX] = {
        [HEALTH_STARTING]  = "starting",
        [HEALTH_HEALTHY]   = "healthy",
        [HEALTH_UNHEALTHY] = "unhealthy",
};

const char *health_status_to_string(HealthStatus s) {
        if (s < 0 || s >= _HEALTH_STATUS_MAX)
                return NULL;
        return status_table[s];
}

static bool in_start_period(const HealthState *s, const HealthConfig *c, uint64_t since_start_usec) {
        return s->status == HEALTH_STARTING && since_start_usec < health_config_start_period_usec(c);
}

/* moby daemon/health.go handleProbeResult(): exit 0 resets the streak and gives healthy from any
 * state; a failure while starting and inside the start period is not counted; otherwise the streak
 * grows and reaching retries gives unhealthy (the container keeps running). */
HealthStatus health_state_apply(HealthState *s, const HealthConfig *c, uint64_t since_start_usec,
                                bool success) {
        assert(s);
        assert(c);

        if (success) {
                s->failing_streak = 0;
                s->status = HEALTH_HEALTHY;
                s->ever_healthy = true;
                return s->status;
        }
        if (in_start_period(s, c, since_start_usec))
                return s->status;
        s->failing_streak++;
        if (s->failing_streak >= health_config_retries(c))
                s->status = HEALTH_UNHEALTHY;
        return s->status;
}

/* moby monitor() getInterval(): the start interval applies only while still starting inside the
 * start period. */
uint64_t health_state_next_interval_usec(const HealthState *s, const HealthConfig *c,
                                         uint64_t since_start_usec) {
        assert(s);
        assert(c);

        if (in_start_period(s, c, since_start_usec))
                return health_config_start_interval_usec(c);
        return health_config_interval_usec(c);
}

/* The last non-empty line of @output, control characters as spaces, at most @max bytes. */
static void last_line(const char *output, char *buf, size_t size) {
        const char *end = output + strlen(output), *begin;
        size_t n;

        while (end > output && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
                end--;
        begin = end;
        while (begin > output && begin[-1] != '\n')
                begin--;
        n = MIN((size_t) (end - begin), size - 1);
        for (size_t i = 0; i < n; i++)
                buf[i] = (unsigned char) begin[i] < ' ' || begin[i] == 0x7f ? ' ' : begin[i];
        buf[n] = 0;
}

const char *health_event_status_text(const HealthEvent *ev, char *buf, size_t size) {
        char line[200], detail[240];

        assert(ev);
        assert(buf);
        assert(size > 0);

        last_line(strempty(ev->output), line, sizeof line);
        if (isempty(line))
                snprintf(line, sizeof line, "exit status %d", ev->exit_code);
        if (ev->exit_code == 0)
                snprintf(detail, sizeof detail, "%s", "");
        else
                snprintf(detail, sizeof detail, "%s", line);

        switch (ev->status) {
        case HEALTH_HEALTHY:
                snprintf(buf, size, "healthy");
                break;
        case HEALTH_UNHEALTHY:
                snprintf(buf, size, "unhealthy: %s", detail);
                break;
        case HEALTH_STARTING:
                if (ev->exit_code == 0)
                        snprintf(buf, size, "starting");
                else if (ev->in_start_period)
                        snprintf(buf, size, "starting (start period; check failed: %s)", detail);
                else
                        snprintf(buf, size, "starting (%u/%u checks failed: %s)",
                                 ev->failing_streak, ev->retries, detail);
                break;
        case _HEALTH_STATUS_MAX:
        case _HEALTH_STATUS_INVALID:
        default:
                snprintf(buf, size, "unknown");
                break;
        }
        return buf;
}

void health_output_reset(HealthOutput *o) {
        assert(o);

        o->start = o->len = 0;
        o->truncated = false;
}

void health_output_append(HealthOutput *o, const void *data, size_t n) {
        const char *p = data;

        assert(o);
        assert(data || n == 0);

        /* Only the tail of a write larger than the buffer can survive. */
        if (n > HEALTH_OUTPUT_MAX) {
                p += n - HEALTH_OUTPUT_MAX;
                n = HEALTH_OUTPUT_MAX;
                o->truncated = true;
        }
        for (size_t i = 0; i < n; i++) {
                if (o->len < HEALTH_OUTPUT_MAX) {
                        o->buf[(o->start + o->len) % HEALTH_OUTPUT_MAX] = p[i];
                        o->len++;
                } else {
                        o->buf[o->start] = p[i];
                        o->start = (o->start + 1) % HEALTH_OUTPUT_MAX;
                        o->truncated = true;
                }
        }
}

void health_output_append_str(HealthOutput *o, const char *s) {
        assert(o);
        assert(s);

        health_output_append(o, s, strlen(s));
}

size_t health_output_flatten(const HealthOutput *o, char *out) {
        assert(o);
        assert(out);

        for (size_t i = 0; i < o->len; i++) {
                char ch = o->buf[(o->start + i) % HEALTH_OUTPUT_MAX];

                /* keep the result a C string */
                out[i] = ch ?: ' ';
        }
        out[o->len] = 0;
        return o->len;
}

HealthStatus health_status_from_status_text(const char *text) {
        size_t n = strcspn(strempty(text), " :");

        for (HealthStatus s = 0; s < _HEALTH_STATUS_MAX; s++)
                if (strlen(status_table[s]) == n && strncmp(text, status_table[s], n) == 0)
                        return s;
        return _HEALTH_STATUS_INVALID;
}
