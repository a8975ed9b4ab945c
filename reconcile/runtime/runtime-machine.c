/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>

#include "reconcile/runtime/runtime-internal.h"

#define MACHINED "org.freedesktop.machine1"

/* machined keeps a machine registered by a unit whose nspawn was SIGKILLed (watchdog, stop
 * timeout, OOM) for as long as the unit is not inactive, and Restart= never lets it become
 * inactive: the next nspawn then fails with "Machine … already exists". A machine of that name
 * registered by our own unit cannot be alive while we start, so we unregister it. One of another
 * unit is left alone (nspawn reports the clash).
 *
 *   busctl call org.freedesktop.machine1 /org/freedesktop/machine1 \
 *          org.freedesktop.machine1.Manager UnregisterMachine s P-S
 *
 * Returns 1 if a stale record was removed, 0 if there was none or it is not ours. */
int rt_machine_unregister_stale(const char *machine, NcError *reterr) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = NULL, *own = NULL;
        const char *path;
        int r;

        assert(machine);

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return nc_error_set(reterr, r, "system bus: %m");
        r = sd_bus_call_method(bus, MACHINED, "/org/freedesktop/machine1", MACHINED ".Manager", "GetMachine",
                               &error, &reply, "s", machine);
        if (r < 0)
                return sd_bus_error_has_name(&error, MACHINED ".NoSuchMachine") ? 0 :
                        nc_error_set(reterr, r, "GetMachine(%s): %s", machine, error.message ?: strerror(-r));
        /* Whose it is we cannot tell: not ours, then. */
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return 0;
        r = sd_bus_get_property_string(bus, MACHINED, path, MACHINED ".Machine", "Unit", &error, &unit);
        if (r < 0)
                return 0;
        r = sd_pid_get_unit(0, &own);
        if (r < 0)
                return 0;
        if (!streq(unit, own))
                return 0;
        r = sd_bus_call_method(bus, MACHINED, "/org/freedesktop/machine1", MACHINED ".Manager",
                               "UnregisterMachine", &error, NULL, "s", machine);
        if (r < 0)
                return nc_error_set(reterr, r, "UnregisterMachine(%s): %s", machine, error.message ?: strerror(-r));
        return 1;
}
