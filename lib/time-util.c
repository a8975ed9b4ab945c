/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>

#include "lib/macro.h"
#include "lib/time-util.h"

static const struct {
        const char *name;
        int64_t nsec;
} duration_units[] = {
        { "ns", 1 },
        { "us", NSEC_PER_USEC },
        { "\xc2\xb5s", NSEC_PER_USEC },         /* U+00B5 micro sign */
        { "\xce\xbcs", NSEC_PER_USEC },         /* U+03BC Greek mu */
        { "ms", NSEC_PER_MSEC },
        { "s", NSEC_PER_SEC },
        { "m", 60 * NSEC_PER_SEC },
        { "h", 3600 * NSEC_PER_SEC },
        { "d", 86400 * NSEC_PER_SEC },
        { "w", 604800 * NSEC_PER_SEC },
};

/* The unit at *p (the longest name that matches), advancing *p; 0 if none. */
static int64_t duration_unit(const char **p) {
        size_t best = 0;
        int64_t v = 0;

        for (size_t i = 0; i < ELEMENTSOF(duration_units); i++) {
                size_t l = strlen(duration_units[i].name);

                if (l > best && strncmp(*p, duration_units[i].name, l) == 0) {
                        best = l;
                        v = duration_units[i].nsec;
                }
        }
        if (isalpha((unsigned char) (*p)[best]))       /* "5sec": not a unit we know */
                return 0;
        *p += best;
        return v;
}

/* One "<int>[.<frac>]<unit>" component, added to *total. */
static int duration_component(const char **p, __int128 *total) {
        const char *s = *p;
        __int128 whole = 0, frac = 0, scale = 1;
        bool digits = false;
        int64_t unit;

        for (; isdigit((unsigned char) *s); s++, digits = true)
                if (whole <= INT64_MAX)
                        whole = whole * 10 + (*s - '0');
        if (*s == '.')
                for (s++; isdigit((unsigned char) *s); s++, digits = true)
                        if (scale < INT64_C(1000000000000000000)) {
                                frac = frac * 10 + (*s - '0');
                                scale *= 10;
                        }
        if (!digits)
                return -EINVAL;
        unit = duration_unit(&s);
        if (unit == 0)
                return -ENOMSG;
        *total += whole * unit + frac * unit / scale;
        *p = s;
        return 0;
}

int parse_go_duration_nsec(const char *s, int64_t *ret_nsec) {
        __int128 total = 0;
        bool neg = false;
        int r;

        if (*s == '+' || *s == '-')
                neg = *s++ == '-';
        if (streq(s, "0")) {
                *ret_nsec = 0;
                return 0;
        }
        if (!*s)
                return -EINVAL;
        while (*s) {
                r = duration_component(&s, &total);
                if (r < 0)
                        return r;
                if (total > INT64_MAX)
                        return -ERANGE;
        }
        *ret_nsec = (int64_t) (neg ? -total : total);
        return 0;
}

int parse_size(const char *s, int64_t *ret_bytes) {
        static const char units[] = "kmgtp";
        long double v = 0, scale = 1, mult = 1;
        const char *u;
        bool digits = false;

        for (; isdigit((unsigned char) *s); s++, digits = true)
                v = v * 10 + (*s - '0');
        if (digits && *s == '.' && isdigit((unsigned char) s[1]))
                for (s++; isdigit((unsigned char) *s); s++)
                        v += (*s - '0') * (scale /= 10);
        if (!digits)
                return -EINVAL;
        if (*s == ' ')
                s++;
        if (*s && (u = strchr(units, tolower((unsigned char) *s)))) {
                for (const char *i = units; i <= u; i++)
                        mult *= 1024;
                s++;
        }
        if (*s == 'i' || *s == 'I')
                s++;
        if (*s == 'b' || *s == 'B')
                s++;
        if (*s)
                return -EINVAL;
        if (v * mult > (long double) INT64_MAX)
                return -ERANGE;
        *ret_bytes = (int64_t) (v * mult);
        return 0;
}

int parse_go_duration_usec(const char *s, uint64_t *ret_usec) {
        int64_t nsec;
        int r;

        r = parse_go_duration_nsec(s, &nsec);
        if (r < 0)
                return r == -ERANGE ? r : -EINVAL;
        if (nsec < 0)
                return -ERANGE;
        *ret_usec = (uint64_t) nsec / NSEC_PER_USEC;
        return 0;
}

uint64_t now_usec(clockid_t clock) {
        struct timespec ts;

        assert_se(clock_gettime(clock, &ts) == 0);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}
