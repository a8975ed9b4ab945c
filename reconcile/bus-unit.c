/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "lib/strv.h"
#include "reconcile/bus.h"
#include "reconcile/bus-unit.h"

int bus_unit_kill(sd_bus *bus, const char *unit, const char *whom, int signo, sd_bus_error *error) {
        /* busctl call … Manager KillUnit ssi UNIT all 9 */
        return sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "KillUnit", error, NULL,
                                  "ssi", unit, whom, (int32_t) signo);
}

int bus_unit_freeze(sd_bus *bus, const char *unit, bool freeze, sd_bus_error *error) {
        /* busctl call … Manager FreezeUnit s UNIT (ThawUnit alike); the reply comes once frozen */
        int r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, freeze ? "FreezeUnit" : "ThawUnit",
                                   error, NULL, "s", unit);
        return r < 0 && error && sd_bus_error_has_name(error, SD_BUS_ERROR_NOT_SUPPORTED) ? -EOPNOTSUPP : r;
}

static int unit_path(const char *unit, char **ret) {
        return sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, ret);
}

int bus_unit_get_string(sd_bus *bus, const char *unit, const char *interface, const char *property, char **ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = unit_path(unit, &path);
        if (r < 0)
                return r;
        return sd_bus_get_property_string(bus, SYSTEMD_DEST, path, interface, property, NULL, ret);
}

static int get_trivial(sd_bus *bus, const char *unit, const char *interface, const char *property, char type,
                       void *ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = unit_path(unit, &path);
        if (r < 0)
                return r;
        return sd_bus_get_property_trivial(bus, SYSTEMD_DEST, path, interface, property, NULL, type, ret);
}

int bus_unit_get_int(sd_bus *bus, const char *unit, const char *interface, const char *property, int32_t *ret) {
        return get_trivial(bus, unit, interface, property, 'i', ret);
}

int bus_unit_get_u64(sd_bus *bus, const char *unit, const char *interface, const char *property, uint64_t *ret) {
        return get_trivial(bus, unit, interface, property, 't', ret);
}

int bus_unit_get_state(sd_bus *bus, const char *unit, BusUnitState *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(bus_unit_state_done) BusUnitState s = {};
        _cleanup_free_ char *path = NULL;
        const char *job;
        uint32_t id;
        int r;

        r = unit_path(unit, &path);
        if (r < 0)
                return r;
        /* the job first: see BusUnitState */
        r = sd_bus_get_property(bus, SYSTEMD_DEST, path, SYSTEMD_UNIT_IFACE, "Job", NULL, &reply, "(uo)");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "(uo)", &id, &job);
        if (r < 0)
                return r;
        s.has_job = id != 0;
        r = sd_bus_get_property_string(bus, SYSTEMD_DEST, path, SYSTEMD_UNIT_IFACE, "ActiveState", NULL, &s.active_state);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, SYSTEMD_DEST, path, SYSTEMD_UNIT_IFACE, "SubState", NULL, &s.sub_state);
        if (r < 0)
                return r;
        *ret = s;
        s = (BusUnitState) {};
        return 0;
}

void bus_unit_state_done(BusUnitState *s) {
        s->active_state = mfree(s->active_state);
        s->sub_state = mfree(s->sub_state);
}

bool bus_unit_state_ended(const BusUnitState *s) {
        return !s->has_job && (streq_ptr(s->active_state, "inactive") || streq_ptr(s->active_state, "failed") ||
                               streq_ptr(s->sub_state, "exited"));
}

typedef enum UnitPropKind {
        UNIT_PROP_STRING,       /* s */
        UNIT_PROP_U64,          /* t: a number, or "infinity" */
        UNIT_PROP_QUOTA,        /* CPUQuota=P.PP% as CPUQuotaPerSecUSec (t) */
        UNIT_PROP_CPUSET,       /* "0-3,6" as a bit mask (ay) */
        UNIT_PROP_PAIR,         /* a(ss): "A B" (DeviceAllow=) or "A:B" (LoadCredential=) */
        UNIT_PROP_DEVICE_U64,   /* a(st): "DEVICE N" */
} UnitPropKind;

static const char *const unit_prop_type[] = {
        [UNIT_PROP_STRING] = "s",
        [UNIT_PROP_U64] = "t",
        [UNIT_PROP_QUOTA] = "t",
        [UNIT_PROP_CPUSET] = "ay",
        [UNIT_PROP_PAIR] = "a(ss)",
        [UNIT_PROP_DEVICE_U64] = "a(st)",
};

static const struct {
        const char *key, *property;
        UnitPropKind kind;
        char sep;               /* UNIT_PROP_PAIR: between the two */
} unit_props[] = {
        { "LoadCredential",          "LoadCredential",          UNIT_PROP_PAIR, ':' },
        { "LoadCredentialEncrypted", "LoadCredentialEncrypted", UNIT_PROP_PAIR, ':' },
        { "DevicePolicy",            "DevicePolicy",            UNIT_PROP_STRING },
        { "DeviceAllow",             "DeviceAllow",             UNIT_PROP_PAIR, ' ' },
        { "MemoryMax",               "MemoryMax",               UNIT_PROP_U64 },
        { "MemoryLow",               "MemoryLow",               UNIT_PROP_U64 },
        { "MemorySwapMax",           "MemorySwapMax",           UNIT_PROP_U64 },
        { "TasksMax",                "TasksMax",                UNIT_PROP_U64 },
        { "CPUWeight",               "CPUWeight",               UNIT_PROP_U64 },
        { "IOWeight",                "IOWeight",                UNIT_PROP_U64 },
        { "CPUQuota",                "CPUQuotaPerSecUSec",      UNIT_PROP_QUOTA },
        { "AllowedCPUs",             "AllowedCPUs",             UNIT_PROP_CPUSET },
        { "IODeviceWeight",          "IODeviceWeight",          UNIT_PROP_DEVICE_U64 },
        { "IOReadBandwidthMax",      "IOReadBandwidthMax",      UNIT_PROP_DEVICE_U64 },
        { "IOWriteBandwidthMax",     "IOWriteBandwidthMax",     UNIT_PROP_DEVICE_U64 },
        { "IOReadIOPSMax",           "IOReadIOPSMax",           UNIT_PROP_DEVICE_U64 },
        { "IOWriteIOPSMax",          "IOWriteIOPSMax",          UNIT_PROP_DEVICE_U64 },
};

#define CPUSET_BYTES_MAX 1024   /* 8192 CPUs */

static int parse_u64(const char *s, uint64_t *ret) {
        char *end;

        if (streq(s, "infinity")) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (!(*s >= '0' && *s <= '9'))
                return -EINVAL;
        errno = 0;
        *ret = strtoull(s, &end, 10);
        return errno != 0 || *end ? -EINVAL : 0;
}

/* "150.00%" (desired-unit.c writes two decimals) as µs of CPU time per second. */
static int parse_quota(const char *s, uint64_t *ret) {
        unsigned long long whole;
        int n = -1;

        if (sscanf(s, "%llu.%n", &whole, &n) != 1 || n < 0 || whole > UINT64_MAX / 1000000 ||
            !(s[n] >= '0' && s[n] <= '9' && s[n + 1] >= '0' && s[n + 1] <= '9') || !streq(s + n + 2, "%"))
                return -EINVAL;
        *ret = whole * 10000 + (uint64_t) (s[n] - '0') * 1000 + (uint64_t) (s[n + 1] - '0') * 100;
        return 0;
}

/* "0-3,6" as systemd's CPU mask: bit N of byte N / 8 for CPU N. */
static int parse_cpuset(const char *s, uint8_t mask[static CPUSET_BYTES_MAX], size_t *ret_size) {
        size_t size = 0;

        memset(mask, 0, CPUSET_BYTES_MAX);
        while (*s) {
                unsigned lo, hi;
                int n = -1;

                if (sscanf(s, "%u%n", &lo, &n) != 1)
                        return -EINVAL;
                s += n;
                hi = lo;
                if (*s == '-') {
                        if (sscanf(s + 1, "%u%n", &hi, &n) != 1)
                                return -EINVAL;
                        s += 1 + n;
                }
                if (hi < lo || hi >= CPUSET_BYTES_MAX * 8 || (*s && *s != ','))
                        return -EINVAL;
                for (unsigned c = lo; c <= hi; c++)
                        mask[c / 8] |= (uint8_t) (1U << (c % 8));
                size = MAX(size, (size_t) hi / 8 + 1);
                s += *s == ',';
        }
        *ret_size = size;
        return 0;
}

/* Our units escape '%' as "%%" in these values (unit_value_escape()); a byte it writes as "\xNN"
 * has no place in them. */
static char *value_unescape(const char *s) {
        StrBuf b = {};

        if (strstr(s, "\\x"))
                return NULL;
        for (; *s; s++) {
                strbuf_append_char(&b, *s);
                if (s[0] == '%' && s[1] == '%')
                        s++;
        }
        return strbuf_steal(&b) ?: strdup("");
}

static int parse_assignment(size_t k, const char *value, UnitAssignment *ret) {
        UnitAssignment a = { .property = unit_props[k].property, .type = unit_prop_type[unit_props[k].kind] };
        _cleanup_free_ char *v = value_unescape(value);
        char *sep;
        int r = 0;

        if (!v)
                return -EINVAL;
        switch (unit_props[k].kind) {
        case UNIT_PROP_STRING:
                a.a = TAKE_PTR(v);
                break;
        case UNIT_PROP_U64:
                r = parse_u64(v, &a.u);
                break;
        case UNIT_PROP_QUOTA:
                r = parse_quota(v, &a.u);
                break;
        case UNIT_PROP_CPUSET:
                a.mask = malloc(CPUSET_BYTES_MAX);
                r = a.mask ? parse_cpuset(v, a.mask, &a.mask_size) : -ENOMEM;
                break;
        case UNIT_PROP_PAIR:
                sep = strchr(v, unit_props[k].sep);
                if (sep)
                        *sep = 0;
                a.a = strdup(v);
                a.b = strdup(sep ? sep + 1 : "");
                r = a.a && a.b ? 0 : -ENOMEM;
                break;
        case UNIT_PROP_DEVICE_U64:
                sep = strrchr(v, ' ');
                if (!sep)
                        return -EINVAL;
                *sep = 0;
                r = parse_u64(sep + 1, &a.u);
                a.a = strdup(v);
                r = r ?: a.a ? 0 : -ENOMEM;
                break;
        }
        if (r < 0) {
                unit_assignment_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}

void unit_assignment_done(UnitAssignment *a) {
        free(a->a);
        free(a->b);
        free(a->mask);
        *a = (UnitAssignment) {};
}

void unit_assignments_free(UnitAssignment *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                unit_assignment_done(&l[i]);
        free(l);
}

int unit_assignments_parse(const char *unit_text, UnitAssignment **ret, size_t *ret_n, NcError *reterr) {
        _cleanup_strv_free_ char **lines = strv_split(unit_text, "\n");
        UnitAssignment *l = NULL;
        bool service = false;
        unsigned line = 0;
        size_t n = 0;
        int r;

        if (!lines)
                return -ENOMEM;
        STRV_FOREACH(p, lines) {
                const char *eq = strchr(*p, '=');

                line++;
                if (**p == '[')
                        service = streq(*p, "[Service]");
                if (!service || !eq)
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(unit_props); k++) {
                        UnitAssignment *grown;

                        if (strlen(unit_props[k].key) != (size_t) (eq - *p) || !startswith(*p, unit_props[k].key))
                                continue;
                        grown = reallocarray(l, n + 1, sizeof *l);
                        if (!grown) {
                                unit_assignments_free(l, n);
                                return -ENOMEM;
                        }
                        l = grown;
                        r = parse_assignment(k, eq + 1, &l[n]);
                        if (r < 0) {
                                unit_assignments_free(l, n);
                                return r == -EINVAL ? nc_error_set(reterr, r, "line %u: cannot carry '%s'", line, *p) : r;
                        }
                        n++;
                        break;
                }
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

static int append_assignment(sd_bus_message *m, const UnitAssignment *a) {
        int r;

        if (streq(a->type, "s"))
                return sd_bus_message_append(m, "(sv)", a->property, "s", a->a);
        if (streq(a->type, "t"))
                return sd_bus_message_append(m, "(sv)", a->property, "t", a->u);
        /* systemd appends each of these arrays to what the unit has so far */
        if (streq(a->type, "a(ss)"))
                return sd_bus_message_append(m, "(sv)", a->property, "a(ss)", 1, a->a, a->b);
        if (streq(a->type, "a(st)"))
                return sd_bus_message_append(m, "(sv)", a->property, "a(st)", 1, a->a, a->u);
        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", a->property);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "ay");
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', a->mask, a->mask_size);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r < 0 ? r : sd_bus_message_close_container(m);
}

int bus_append_unit_assignments(sd_bus_message *m, const char *unit_text, NcError *reterr) {
        UnitAssignment *l = NULL;
        size_t n = 0;
        int r;

        r = unit_assignments_parse(unit_text, &l, &n, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = append_assignment(m, &l[i]);
        unit_assignments_free(l, n);
        return r < 0 ? nc_error_set(reterr, r, "cannot build the transient unit: %m") : 0;
}
