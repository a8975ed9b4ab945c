/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

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
