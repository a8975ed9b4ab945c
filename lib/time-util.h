/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <time.h>

/* Time units, as systemd's time-util.h. */

#define NSEC_PER_SEC  UINT64_C(1000000000)
#define NSEC_PER_MSEC UINT64_C(1000000)
#define NSEC_PER_USEC UINT64_C(1000)
#define USEC_PER_SEC  UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_INFINITY UINT64_MAX

/* Go's time.ParseDuration, the syntax compose reads durations in: a sequence of decimal numbers
 * each with a unit ("1h30m", "1.5s", "300ms", ".5us"), an optional sign, "0" alone without a unit;
 * units ns, us (µs, μs), ms, s, m, h, and compose's d and w. Exact integer arithmetic, so "1.1s"
 * is 1100000000ns. 0; -EINVAL when malformed; -ENOMSG when a number has no unit or one we do not
 * know ("30", "5sec"); -ERANGE beyond int64 nanoseconds. */
int parse_go_duration_nsec(const char *s, int64_t *ret_nsec);

/* The same, as a time span in µs (systemd's unit): -EINVAL when malformed or without a unit,
 * -ERANGE when negative or too large. */
int parse_go_duration_usec(const char *s, uint64_t *ret_usec);

/* docker's RAMInBytes (go-units), the syntax compose reads byte sizes in:
 * "<number>[.<fraction>][ ][kmgtp][i][b]", binary multiples, any case: "1024", "512m", "1.5GiB",
 * "10 kb". Fractions of a byte are dropped. 0; -EINVAL when malformed (also any sign);
 * -ERANGE beyond INT64_MAX. */
int parse_size(const char *s, int64_t *ret_bytes);

/* The time of @clock (CLOCK_MONOTONIC, ...) in µs. */
uint64_t now_usec(clockid_t clock);
