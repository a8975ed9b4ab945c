/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "lib/in-addr-util.h"
#include "lib/strv.h"
#include "lib/time-util.h"
#include "reconcile/compose/compose-internal.h"

typedef struct FixedBuf {
        char *buf;
        size_t len, size;
} FixedBuf;

static bool strcaseeq(const char *a, const char *b) {
        return strcasecmp(a, b) == 0;
}

/* Value syntaxes compose accepts inside scalars. Both the schema check (which reports them with a
 * position) and normalization (which rewrites them into the canonical form) use these, so the two
 * can never disagree about what a valid port or duration is. Messages carry no position: callers
 * prefix it. */

static bool all_digits(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char) s[i]))
                        return false;
        return true;
}

/* One decimal port number of @n bytes at @s, 1..65535. */
static int parse_port_number(const char *s, size_t n, uint16_t *ret, NcError *reterr) {
        unsigned long v = 0;

        if (!all_digits(s, n))
                return nc_error_set(reterr, -EINVAL, "invalid port \"%.*s\"", (int) n, s);
        for (size_t i = 0; i < n; i++) {
                v = v * 10 + (unsigned long) (s[i] - '0');
                if (v > 65535)
                        break;
        }
        if (v == 0 || v > 65535)
                return nc_error_set(reterr, -ERANGE, "port %.*s out of range", (int) n, s);
        *ret = (uint16_t) v;
        return 0;
}

int compose_parse_port_range(const char *s, size_t n, ComposePortRange *ret, NcError *reterr) {
        const char *dash = memchr(s, '-', n);
        ComposePortRange r;
        int k;

        assert(s);
        assert(ret);
        if (n == 0)
                return nc_error_set(reterr, -EINVAL, "no port specified");
        if (!dash) {
                k = parse_port_number(s, n, &r.start, reterr);
                if (k < 0)
                        return k;
                r.end = r.start;
        } else {
                k = parse_port_number(s, (size_t) (dash - s), &r.start, reterr);
                if (k < 0)
                        return k;
                k = parse_port_number(dash + 1, n - (size_t) (dash + 1 - s), &r.end, reterr);
                if (k < 0)
                        return k;
                if (r.end < r.start)
                        return nc_error_set(reterr, -EINVAL, "invalid port range \"%.*s\"", (int) n, s);
        }
        *ret = r;
        return 0;
}

bool compose_protocol_is_valid(const char *p) {
        assert(p);

        return strcaseeq(p, "tcp") || strcaseeq(p, "udp") || strcaseeq(p, "sctp");
}

/* docker's words for a bad half of a port ("Invalid hostPort: 99999"), then ours. */
static int port_spec_error(int r, const char *what, const char *text, NcError *reterr) {
        char detail[sizeof reterr->message] = "";

        if (!reterr || isempty(text))
                return r;
        snprintf(detail, sizeof detail, "%s", reterr->message);
        *reterr = (NcError) {};         /* the first error set wins: make room for the whole one */
        return nc_error_set(reterr, r, "invalid %s: %s (%s)", what, text, detail);
}

/* "[PORT[-END]][/PROTO]" → range and protocol (lowercased, default tcp). @what names the port in
 * messages (docker's "containerPort"), or NULL. */
static int parse_target(const char *s, const char *what, ComposePortRange *ret, char proto[static 8],
                        NcError *reterr) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t) (slash - s) : strlen(s);
        int r;

        r = compose_parse_port_range(s, n, ret, reterr);
        if (r < 0)
                return what ? port_spec_error(r, what, strndupa(s, n), reterr) : r;
        if (!slash || isempty(slash + 1)) {
                strcpy(proto, "tcp");
                return 0;
        }
        if (!compose_protocol_is_valid(slash + 1))
                return nc_error_set(reterr, -EINVAL, "invalid protocol \"%s\"", slash + 1);
        for (size_t i = 0; slash[1 + i]; i++)
                proto[i] = (char) tolower((unsigned char) slash[1 + i]);
        proto[strlen(slash + 1)] = 0;
        return 0;
}

int compose_parse_expose(const char *s, ComposePortRange *ret, char ret_protocol[static 8], NcError *reterr) {
        assert(s);
        assert(ret);
        assert(ret_protocol);
        return parse_target(s, NULL, ret, ret_protocol, reterr);
}

static_assert(COMPOSE_HOST_IP_MAX == INET6_ADDRSTRLEN, "host_ip holds any IPv6 address");

int compose_parse_host_ip(const char *s, size_t n, char ret[static COMPOSE_HOST_IP_MAX], NcError *reterr) {
        char ip[COMPOSE_HOST_IP_MAX];

        assert(s);
        assert(ret);
        in_addr_unbracket(&s, &n);
        if (n >= sizeof ip)
                return nc_error_set(reterr, -EINVAL, "invalid IP address \"%.*s\"", (int) n, s);
        memcpy(ip, s, n);
        ip[n] = 0;
        if (n > 0 && in_addr_from_string_auto(ip, NULL, &(union in_addr_union) {}) < 0)
                return nc_error_set(reterr, -EINVAL, "invalid IP address \"%s\"", ip);
        strcpy(ret, ip);
        return 0;
}

/* Short syntax, split as docker does: the last ':' field is the target, the one before it the
 * published port, everything before that the host IP (so a bare IPv6 address may hold colons). */
int compose_parse_port_spec(const char *s, ComposePortSpec *ret, NcError *reterr) {
        ComposePortSpec p = {};
        const char *last, *prev = NULL;
        int r;

        assert(s);
        assert(ret);
        last = strrchr(s, ':');
        if (last)
                for (const char *c = last; c > s; c--)
                        if (c[-1] == ':') {
                                prev = c - 1;
                                break;
                        }
        r = parse_target(last ? last + 1 : s, "containerPort", &p.target, p.protocol, reterr);
        if (r < 0)
                return r;
        if (prev) {
                r = compose_parse_host_ip(s, (size_t) (prev - s), p.host_ip, reterr);
                if (r < 0)
                        return r;
        }
        if (last && last > (prev ? prev + 1 : s)) {
                const char *hs = prev ? prev + 1 : s;

                r = compose_parse_port_range(hs, (size_t) (last - hs), &p.published, reterr);
                if (r < 0)
                        return port_spec_error(r, "hostPort", strndupa(hs, (size_t) (last - hs)), reterr);
                /* A host range with a single target is a pool to pick from; otherwise sizes match. */
                if (p.target.end != p.target.start &&
                    p.published.end - p.published.start != p.target.end - p.target.start)
                        return nc_error_set(reterr, -EINVAL,
                                            "invalid ranges specified for container and host ports: \"%s\"", s);
        }
        *ret = p;
        return 0;
}

/* Durations as compose reads them (str2duration): Go's time.ParseDuration, plus d and w. */
int compose_parse_duration(const char *s, int64_t *ret_nsec, NcError *reterr) {
        int r;

        assert(s);
        assert(ret_nsec);
        r = parse_go_duration_nsec(s, ret_nsec);
        if (r == -ENOMSG)
                return nc_error_set(reterr, -EINVAL, "invalid duration \"%s\": missing or unknown unit", s);
        if (r == -ERANGE)
                return nc_error_set(reterr, -ERANGE, "invalid duration \"%s\": out of range", s);
        if (r < 0)
                return nc_error_set(reterr, -EINVAL, "invalid duration \"%s\"", s);
        return 0;
}

/* "<int>[.<frac>]" of @v / @unit, trailing zeros of the fraction dropped. */
static void format_fraction(FixedBuf *b, uint64_t v, uint64_t unit, const char *suffix) {
        uint64_t frac = v % unit;
        int digits = 0;

        for (uint64_t u = unit; u > 1; u /= 10)
                digits++;
        b->len += (size_t) snprintf(b->buf + b->len, b->size - b->len, "%" PRIu64, v / unit);
        if (frac > 0) {
                char f[24];
                int n = snprintf(f, sizeof f, "%0*" PRIu64, digits, frac);

                while (n > 0 && f[n - 1] == '0')
                        f[--n] = 0;
                b->len += (size_t) snprintf(b->buf + b->len, b->size - b->len, ".%s", f);
        }
        b->len += (size_t) snprintf(b->buf + b->len, b->size - b->len, "%s", suffix);
}

/* As Go's Duration.String(): "1h0m0s", "1m30s", "2.5s", "300ms", "0s". */
const char *compose_format_duration(int64_t nsec, char buf[static COMPOSE_DURATION_MAX]) {
        FixedBuf b = { .buf = buf, .size = COMPOSE_DURATION_MAX };
        uint64_t u = nsec < 0 ? -(uint64_t) nsec : (uint64_t) nsec;
        const uint64_t second = NSEC_PER_SEC;

        assert(buf);

        buf[0] = 0;
        if (nsec < 0)
                b.len += (size_t) snprintf(buf, b.size, "-");
        if (u == 0)
                format_fraction(&b, 0, 1, "s");
        else if (u < 1000)
                format_fraction(&b, u, 1, "ns");
        else if (u < 1000000)
                format_fraction(&b, u, 1000, "\xc2\xb5s");
        else if (u < second)
                format_fraction(&b, u, 1000000, "ms");
        else {
                uint64_t h = u / (3600 * second), m = u / (60 * second) % 60;

                if (h > 0)
                        b.len += (size_t) snprintf(buf + b.len, b.size - b.len, "%" PRIu64 "h", h);
                if (h > 0 || m > 0)
                        b.len += (size_t) snprintf(buf + b.len, b.size - b.len, "%" PRIu64 "m", m);
                format_fraction(&b, u % (60 * second), second, "s");
        }
        return buf;
}

/* docker's RAMInBytes. */
int compose_parse_size(const char *s, int64_t *ret_bytes, NcError *reterr) {
        int r;

        assert(s);
        assert(ret_bytes);
        r = parse_size(s, ret_bytes);
        if (r == -ERANGE)
                return nc_error_set(reterr, -ERANGE, "invalid size \"%s\": out of range", s);
        if (r < 0)
                return nc_error_set(reterr, -EINVAL, "invalid size \"%s\"", s);
        return 0;
}

int compose_parse_number(const char *s, double *ret) {
        char *end;
        double v;

        assert(s);
        assert(ret);
        errno = 0;
        v = strtod(s, &end);
        if (isempty(s) || *end)
                return -EINVAL;
        if (errno != 0)
                return -errno;
        *ret = v;
        return 0;
}

size_t compose_utf8_next(const char *s, uint32_t *ret) {
        const unsigned char *u = (const unsigned char *) s;
        size_t n = u[0] < 0x80 ? 1 : (u[0] & 0xE0) == 0xC0 ? 2 : (u[0] & 0xF0) == 0xE0 ? 3 :
                   (u[0] & 0xF8) == 0xF0 ? 4 : 0;
        uint32_t c = n == 1 ? u[0] : n == 2 ? u[0] & 0x1F : n == 3 ? u[0] & 0x0F : u[0] & 0x07;

        for (size_t i = 1; i < n; i++) {
                if ((u[i] & 0xC0) != 0x80)
                        n = 0;
                if (n == 0)
                        break;
                c = c << 6 | (u[i] & 0x3F);
        }
        if (n == 0 || (n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000)) {
                *ret = 0xFFFD;
                return 1;
        }
        *ret = c;
        return n;
}

/* Shortest decimal digits that read back as @v (as a float when @single): the digits without the
 * point, trailing zeros dropped, and the exponent of the first digit (as %e prints it). */
static void float_shortest(double v, bool single, char digits[static 32], int *ret_exp) {
        char buf[64];
        const char *s;
        size_t k = 0;

        for (int p = 1; p <= 17; p++) {
                snprintf(buf, sizeof buf, "%.*e", p - 1, v);
                if (single ? strtof(buf, NULL) == (float) v : strtod(buf, NULL) == v)
                        break;
        }
        for (s = buf + (buf[0] == '-'); *s && *s != 'e'; s++)
                if (isdigit((unsigned char) *s))
                        digits[k++] = *s;
        while (k > 1 && digits[k - 1] == '0')
                k--;
        digits[k] = 0;
        *ret_exp = atoi(s + 1);
}

char *compose_format_float(double v, bool single, ComposeFloatStyle style) {
        char digits[32];
        StrBuf b = {};
        bool e_form;
        int exp;
        size_t nd;

        if (isinf(v))
                return strdup(style == COMPOSE_FLOAT_YAML ? (v < 0 ? "-.inf" : ".inf") : (v < 0 ? "-Inf" : "+Inf"));
        if (isnan(v))
                return strdup(style == COMPOSE_FLOAT_YAML ? ".nan" : "NaN");
        if (v == 0)
                return strdup(signbit(v) ? "-0" : "0");
        float_shortest(v, single, digits, &exp);
        nd = strlen(digits);
        if (style == COMPOSE_FLOAT_JSON)
                e_form = fabs(v) < 1e-6 || fabs(v) >= 1e21;
        else    /* 'g' with the shortest precision: an exponent below 1e-4 and from 1e+6 on */
                e_form = exp < -4 || exp >= 6;
        if (v < 0)
                strbuf_append_char(&b, '-');
        if (e_form) {
                strbuf_append_char(&b, digits[0]);
                if (nd > 1) {
                        strbuf_append_char(&b, '.');
                        strbuf_append(&b, digits + 1);
                }
                /* Go writes two exponent digits at least; encoding/json takes the 0 of "e-07" out */
                if (style == COMPOSE_FLOAT_JSON && exp < 0 && exp > -10)
                        strbuf_printf(&b, "e-%d", -exp);
                else
                        strbuf_printf(&b, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
        } else if (exp < 0) {
                strbuf_append(&b, "0.");
                for (int i = -1; i > exp; i--)
                        strbuf_append_char(&b, '0');
                strbuf_append(&b, digits);
        } else
                for (int i = 0; i <= exp || (size_t) i < nd; i++) {
                        if (i == exp + 1)
                                strbuf_append_char(&b, '.');
                        strbuf_append_char(&b, (size_t) i < nd ? digits[i] : '0');
                }
        return strbuf_steal(&b);
}

bool compose_float_text_is_integer(const char *s) {
        return s[strspn(s, "-0123456789")] == 0;
}

/* The spellings compose's interpolation casts to booleans (yaml 1.1 style). */
int compose_parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "y", "yes", "true", "on" }, *const no[] = { "n", "no", "false", "off" };

        assert(s);
        assert(ret);
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcaseeq(s, yes[i])) {
                        *ret = true;
                        return 0;
                }
                if (strcaseeq(s, no[i])) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

/* One label: letters, digits, '-' and '_' (compose service names, which are host names on the
 * project's networks, may hold underscores), 1 to 63 bytes, not starting or ending with '-'. */
static bool dns_label_is_valid(const char *s, size_t n) {
        if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '-' && s[i] != '_')
                        return false;
        return true;
}

bool compose_dns_name_is_valid(const char *s) {
        size_t n;

        assert(s);

        n = strlen(s);
        if (n == 0 || n > 253)
                return false;
        for (const char *p = s;; ) {
                size_t l = strcspn(p, ".");

                if (!dns_label_is_valid(p, l))
                        return false;
                if (!p[l])
                        return true;
                p += l + 1;
        }
}

bool compose_volume_name_is_valid(const char *s) {
        assert(s);

        /* docker's local volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]* (so never "", "." or ".."). */
        if (!isalnum((unsigned char) s[0]))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("_.-", *s))
                        return false;
        return true;
}
