/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "lib/macro.h"
#include "lib/time-util.h"
#include "tests/tap.h"

static int64_t duration(const char *s) {
        int64_t v = -42;

        ASSERT_OK(parse_go_duration_nsec(s, &v));
        return v;
}

static int64_t size(const char *s) {
        int64_t v = -42;

        ASSERT_OK(parse_size(s, &v));
        return v;
}

TEST(go_durations) {
        ASSERT_EQ(duration("0"), 0);
        ASSERT_EQ(duration("+0"), 0);
        ASSERT_EQ(duration("-0"), 0);
        ASSERT_EQ(duration("0s"), 0);
        ASSERT_EQ(duration("1ns"), 1);
        ASSERT_EQ(duration("1.5us"), 1500);
        ASSERT_EQ(duration("1\xc2\xb5s"), 1000);
        ASSERT_EQ(duration("1\xce\xbcs"), 1000);
        ASSERT_EQ(duration("300ms"), 300 * (int64_t) NSEC_PER_MSEC);
        ASSERT_EQ(duration("1.1s"), INT64_C(1100000000));
        ASSERT_EQ(duration(".5s"), 500 * (int64_t) NSEC_PER_MSEC);
        ASSERT_EQ(duration("1.s"), (int64_t) NSEC_PER_SEC);
        ASSERT_EQ(duration("1m30s"), 90 * (int64_t) NSEC_PER_SEC);
        ASSERT_EQ(duration("2m3ms"), 120 * (int64_t) NSEC_PER_SEC + 3 * (int64_t) NSEC_PER_MSEC);
        ASSERT_EQ(duration("1.5h"), 5400 * (int64_t) NSEC_PER_SEC);
        ASSERT_EQ(duration("1h30m0.5s"), INT64_C(5400500000000));
        ASSERT_EQ(duration("1d"), 86400 * (int64_t) NSEC_PER_SEC);
        ASSERT_EQ(duration("1w"), 7 * 86400 * (int64_t) NSEC_PER_SEC);
        ASSERT_EQ(duration("-1m"), -60 * (int64_t) NSEC_PER_SEC);
        /* more fraction digits than nanoseconds hold are dropped, not rounded */
        ASSERT_EQ(duration("0.0000000019s"), 1);
        /* the largest duration there is, and one nanosecond more */
        ASSERT_EQ(duration("9223372036854775807ns"), INT64_MAX);
        ASSERT_EQ(parse_go_duration_nsec("9223372036854775808ns", &(int64_t) {0}), -ERANGE);
        ASSERT_EQ(parse_go_duration_nsec("2562048h", &(int64_t) {0}), -ERANGE);
        ASSERT_EQ(parse_go_duration_nsec("99999999999999999999999s", &(int64_t) {0}), -ERANGE);
        ASSERT_EQ(parse_go_duration_nsec("2562047h2562047h", &(int64_t) {0}), -ERANGE);
}

TEST(go_durations_invalid) {
        ASSERT_EQ(parse_go_duration_nsec("", &(int64_t) {0}), -EINVAL);
        ASSERT_EQ(parse_go_duration_nsec("-", &(int64_t) {0}), -EINVAL);
        ASSERT_EQ(parse_go_duration_nsec("s", &(int64_t) {0}), -EINVAL);
        ASSERT_EQ(parse_go_duration_nsec(".s", &(int64_t) {0}), -EINVAL);
        ASSERT_EQ(parse_go_duration_nsec("1s!", &(int64_t) {0}), -EINVAL);
        ASSERT_EQ(parse_go_duration_nsec(" 1s", &(int64_t) {0}), -EINVAL);
        ASSERT_EQ(parse_go_duration_nsec("1s-1s", &(int64_t) {0}), -EINVAL);
        ASSERT_EQ(parse_go_duration_nsec("30", &(int64_t) {0}), -ENOMSG);
        ASSERT_EQ(parse_go_duration_nsec("1m30", &(int64_t) {0}), -ENOMSG);
        ASSERT_EQ(parse_go_duration_nsec("5sec", &(int64_t) {0}), -ENOMSG);
        ASSERT_EQ(parse_go_duration_nsec("5x", &(int64_t) {0}), -ENOMSG);
        ASSERT_EQ(parse_go_duration_nsec("1y", &(int64_t) {0}), -ENOMSG);
}

TEST(go_durations_usec) {
        uint64_t u;

        ASSERT_OK(parse_go_duration_usec("1m30s", &u));
        ASSERT_EQ(u, 90 * USEC_PER_SEC);
        ASSERT_OK(parse_go_duration_usec("1500ns", &u));
        ASSERT_EQ(u, 1);                /* rounded down to whole µs */
        ASSERT_OK(parse_go_duration_usec("0", &u));
        ASSERT_EQ(u, 0);
        ASSERT_EQ(parse_go_duration_usec("-1s", &u), -ERANGE);
        ASSERT_EQ(parse_go_duration_usec("30", &u), -EINVAL);
        ASSERT_EQ(parse_go_duration_usec("", &u), -EINVAL);
        ASSERT_EQ(parse_go_duration_usec("2562048h", &u), -ERANGE);
}

TEST(sizes) {
        ASSERT_EQ(size("0"), 0);
        ASSERT_EQ(size("1024"), 1024);
        ASSERT_EQ(size("10b"), 10);
        ASSERT_EQ(size("1k"), 1024);
        ASSERT_EQ(size("10 kb"), 10240);
        ASSERT_EQ(size("1KiB"), 1024);
        ASSERT_EQ(size("512m"), INT64_C(512) << 20);
        ASSERT_EQ(size("1gb"), INT64_C(1) << 30);
        ASSERT_EQ(size("1.5GiB"), INT64_C(3) << 29);
        ASSERT_EQ(size("2t"), INT64_C(2) << 40);
        ASSERT_EQ(size("3P"), INT64_C(3) << 50);
        ASSERT_EQ(size("1.5"), 1);              /* fractions of a byte are dropped */
        ASSERT_EQ(size("1 "), 1);               /* as go-units' pattern: each part optional */
        ASSERT_EQ(size("1ib"), 1);
        ASSERT_EQ(size("9223372036854775807"), INT64_MAX);
        ASSERT_EQ(parse_size("8192p", &(int64_t) {0}), -ERANGE);
        ASSERT_EQ(parse_size("9223372036854775808", &(int64_t) {0}), -ERANGE);
        ASSERT_EQ(parse_size("99999999999999999999999", &(int64_t) {0}), -ERANGE);
}

TEST(sizes_invalid) {
        static const char *const bad[] = {
                "", "lots", "-1", "+1", " 1", "1x", "1e", "12q", ".5k", "1.k", "1  k", "1kk", "1bb",
                "1k ", "1.5.5",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_EQ(parse_size(bad[i], &(int64_t) {0}), -EINVAL);
}

TAP_MAIN();
