/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "lib/error.h"

/* Calls on one unit of systemd's beside jobs (bus.h): signals, the freezer, properties. */

/* KillUnit: @signo to @whom ("all", "main", "control") of @unit's processes. */
int bus_unit_kill(sd_bus *bus, const char *unit, const char *whom, int signo, sd_bus_error *error);
/* FreezeUnit/ThawUnit (cgroup v2's freezer). -EOPNOTSUPP, with systemd's words in @error, where
 * the unit or the host cannot. */
int bus_unit_freeze(sd_bus *bus, const char *unit, bool freeze, sd_bus_error *error);
/* A property of @unit on @interface ("org.freedesktop.systemd1.Unit", "….Service"). */
int bus_unit_get_string(sd_bus *bus, const char *unit, const char *interface, const char *property, char **ret);
int bus_unit_get_int(sd_bus *bus, const char *unit, const char *interface, const char *property, int32_t *ret);
/* A 't' property (UINT64_MAX: systemd does not know, e.g. MemoryCurrent without accounting). */
int bus_unit_get_u64(sd_bus *bus, const char *unit, const char *interface, const char *property, uint64_t *ret);

/* Where a unit is: its ActiveState and SubState, read after its Job, so that a job that finishes
 * between the reads is never taken for a unit that already ran: a start job pending when the
 * state was read shows as has_job, one that ended shows in the state. */
typedef struct BusUnitState {
        char *active_state, *sub_state;
        bool has_job;
} BusUnitState;

int bus_unit_get_state(sd_bus *bus, const char *unit, BusUnitState *ret);
void bus_unit_state_done(BusUnitState *s);
/* Its main process ran and ended, nothing queued: inactive, failed, or exited (RemainAfterExit=). */
bool bus_unit_state_ended(const BusUnitState *s);

/* The assignments of @unit_text's [Service] section (a unit file of ours, desired-unit.c) that a
 * transient unit made in its stead must carry too, appended to @m inside StartTransientUnit's
 * a(sv) as systemd's typed properties: credentials, device access and resource limits. The set of
 * keys is closed; other keys are not carried (the caller sets what differs, e.g. ExecStart=).
 * -EINVAL, with the line in @reterr, for a value of those keys that does not parse. */
int bus_append_unit_assignments(sd_bus_message *m, const char *unit_text, NcError *reterr);

/* What bus_append_unit_assignments() appends, one (sv) each: @property of D-Bus type @type ("s",
 * "t", "a(ss)", "a(st)" with one element, or "ay"), from @a, @b, @u or @mask. */
typedef struct UnitAssignment {
        const char *property, *type;
        char *a, *b;
        uint64_t u;
        uint8_t *mask;
        size_t mask_size;
} UnitAssignment;

int unit_assignments_parse(const char *unit_text, UnitAssignment **ret, size_t *ret_n, NcError *reterr);
void unit_assignment_done(UnitAssignment *a);
void unit_assignments_free(UnitAssignment *l, size_t n);

#define SYSTEMD_UNIT_IFACE "org.freedesktop.systemd1.Unit"
#define SYSTEMD_SERVICE_IFACE "org.freedesktop.systemd1.Service"
