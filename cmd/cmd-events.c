/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "cmd/cmd.h"
#include "healthd/health.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/actual.h"
#include "reconcile/bus.h"
#include "reconcile/bus-unit.h"
#include "reconcile/names.h"

/* events [SERVICE...]: docker compose events, from systemd's and machined's D-Bus signals: the
 * PropertiesChanged of the services' units (ActiveState: start, die, stop after a requested stop;
 * StatusText: health_status) and machined's MachineNew/MachineRemoved of their machines (create,
 * destroy). One line per event in docker compose's text, or with --json one object per line with
 * its keys (time, type, action, id, service, attributes). Runs until interrupted. */

const CmdOption cmd_events_options[] = {
        { "json", 0, NULL, 'j', "Output events as a stream of json objects" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

typedef struct EventUnit {
        char *service, *unit, *machine, *path, *image;
        char *active_state, *status_text;
} EventUnit;

typedef struct Events {
        EventUnit *units;
        size_t n_units;
        const char *project;
        bool json;
} Events;

static int parse_events_option(int id, const char *arg, void *userdata) {
        (void) arg;
        if (id == 'j')
                *(bool*) userdata = true;
        return 0;
}

static void emit(const Events *e, const EventUnit *u, const char *action) {
        struct timespec ts;
        struct tm tm;
        char when[64];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        if (e->json) {
                json_object *o = json_object_new_object(), *attrs = json_object_new_object();

                strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
                snprintf(when + strlen(when), sizeof when - strlen(when), ".%09ldZ", ts.tv_nsec);
                json_object_object_add(attrs, "image", json_object_new_string(strempty(u->image)));
                json_object_object_add(attrs, "name", json_object_new_string(u->machine));
                json_object_object_add(attrs, "unit", json_object_new_string(u->unit));
                json_object_object_add(o, "action", json_object_new_string(action));
                json_object_object_add(o, "attributes", attrs);
                json_object_object_add(o, "id", json_object_new_string(u->machine));
                json_object_object_add(o, "service", json_object_new_string(u->service));
                json_object_object_add(o, "time", json_object_new_string(when));
                json_object_object_add(o, "type", json_object_new_string("container"));
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(o);
        } else {
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
                printf("%s.%06ld container %s %s (image=%s, name=%s, unit=%s)\n", when, ts.tv_nsec / 1000, action,
                       u->machine, strempty(u->image), u->machine, u->unit);
        }
        fflush(stdout);
}

static EventUnit *find_by_path(Events *e, const char *path) {
        for (size_t i = 0; i < e->n_units; i++)
                if (streq(e->units[i].path, path))
                        return &e->units[i];
        return NULL;
}

static EventUnit *find_by_machine(Events *e, const char *machine) {
        for (size_t i = 0; i < e->n_units; i++)
                if (streq(e->units[i].machine, machine))
                        return &e->units[i];
        return NULL;
}

static bool is_down(const char *state) {
        return !state || streq(state, "inactive") || streq(state, "failed");
}

static void active_state_changed(Events *e, EventUnit *u, const char *state) {
        if (streq_ptr(u->active_state, state))
                return;
        if (streq(state, "active"))
                emit(e, u, "start");
        else if (is_down(state) && !is_down(u->active_state)) {
                emit(e, u, "die");
                if (streq_ptr(u->active_state, "deactivating"))
                        emit(e, u, "stop");     /* a stop asked for, as docker's stop: die, then stop */
        }
        free_and_replace_ptr(&u->active_state, strdup(state));
}

static void status_text_changed(Events *e, EventUnit *u, const char *text) {
        HealthStatus now = health_status_from_status_text(text), before = health_status_from_status_text(u->status_text);
        char action[64];

        if (now >= 0 && now != before) {
                snprintf(action, sizeof action, "health_status: %s", health_status_to_string(now));
                emit(e, u, action);
        }
        free_and_replace_ptr(&u->status_text, strdup(text));
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Events *e = userdata;
        EventUnit *u = find_by_path(e, sd_bus_message_get_path(m));
        const char *iface, *key, *value;
        int r;

        (void) error;
        if (!u || sd_bus_message_read(m, "s", &iface) < 0 ||
            sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}") < 0)
                return 0;
        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv")) > 0) {
                if (sd_bus_message_read(m, "s", &key) < 0)
                        return 0;
                if ((streq(key, "ActiveState") || streq(key, "StatusText")) &&
                    sd_bus_message_read(m, "v", "s", &value) >= 0) {
                        if (streq(key, "ActiveState"))
                                active_state_changed(e, u, value);
                        else
                                status_text_changed(e, u, value);
                } else if (sd_bus_message_skip(m, "v") < 0)
                        return 0;
                if (sd_bus_message_exit_container(m) < 0)
                        return 0;
        }
        return 0;
}

static int on_machine(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Events *e = userdata;
        const char *name, *path;
        EventUnit *u;

        (void) error;
        if (sd_bus_message_read(m, "so", &name, &path) < 0 || !(u = find_by_machine(e, name)))
                return 0;
        emit(e, u, streq(sd_bus_message_get_member(m), "MachineNew") ? "create" : "destroy");
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void) userdata;
        (void) si;
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void events_done(Events *e) {
        for (size_t i = 0; i < e->n_units; i++) {
                EventUnit *u = &e->units[i];

                free(u->service);
                free(u->unit);
                free(u->machine);
                free(u->path);
                free(u->image);
                free(u->active_state);
                free(u->status_text);
        }
        free(e->units);
}

int cmd_events(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(cmd_units_done) CmdUnits u = {};
        _cleanup_(events_done) Events e = {};
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *system = NULL;
        _cleanup_(sd_event_unrefp) sd_event *ev = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sigset_t ss;
        int r;

        r = cmd_parse(argc, argv, g, parse_events_option, &e.json);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (cmd_units_open(g, argv + optind, &u) < 0)
                return CMD_EXIT_ERROR;
        e.project = u.project->name;
        e.units = calloc(strv_length(u.services) + 1, sizeof *e.units);
        if (!e.units)
                return log_oom(), CMD_EXIT_ERROR;
        STRV_FOREACH(s, u.services) {
                EventUnit *x = &e.units[e.n_units++];
                const char *image = compose_map_get_str(compose_map_get(compose_map_get(u.project->model, "services"), *s),
                                                        "image");

                x->service = strdup(*s);
                x->unit = name_service_unit(u.project->name, *s);
                x->machine = cmd_machine(u.project, *s);
                x->image = image ? strdup(image) : NULL;
                if (!x->service || !x->unit || !x->machine ||
                    sd_bus_path_encode("/org/freedesktop/systemd1/unit", x->unit, &x->path) < 0)
                        return log_oom(), CMD_EXIT_ERROR;
                (void) bus_unit_get_string(u.bus, x->unit, SYSTEMD_UNIT_IFACE, "ActiveState", &x->active_state);
                (void) bus_unit_get_string(u.bus, x->unit, SYSTEMD_SERVICE_IFACE, "StatusText", &x->status_text);
                r = sd_bus_match_signal(u.bus, NULL, NULL, x->path, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_properties_changed, &e);
                if (r < 0)
                        return log_error_errno(r, "Cannot watch %s: %m", x->unit), CMD_EXIT_ERROR;
        }
        r = sd_bus_call_method(u.bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe", &error, NULL, NULL);
        if (r < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.systemd1.AlreadySubscribed"))
                return log_error_errno(r, "Cannot subscribe to systemd: %s", error.message ?: strerror(-r)),
                        CMD_EXIT_ERROR;
        r = sd_bus_open_system(&system);
        if (r >= 0)
                r = sd_bus_match_signal(system, NULL, "org.freedesktop.machine1", "/org/freedesktop/machine1",
                                        "org.freedesktop.machine1.Manager", "MachineNew", on_machine, &e);
        if (r >= 0)
                r = sd_bus_match_signal(system, NULL, "org.freedesktop.machine1", "/org/freedesktop/machine1",
                                        "org.freedesktop.machine1.Manager", "MachineRemoved", on_machine, &e);
        if (r < 0)
                log_warning_errno(r, "Cannot watch machined, no create/destroy events: %m");
        r = sd_event_default(&ev);
        if (r < 0)
                return log_error_errno(r, "sd_event: %m"), CMD_EXIT_ERROR;
        sigemptyset(&ss);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGTERM);
        (void) sigprocmask(SIG_BLOCK, &ss, NULL);
        if (sd_event_add_signal(ev, NULL, SIGINT, on_signal, NULL) < 0 ||
            sd_event_add_signal(ev, NULL, SIGTERM, on_signal, NULL) < 0 ||
            sd_bus_attach_event(u.bus, ev, 0) < 0 || (system && sd_bus_attach_event(system, ev, 0) < 0))
                return log_error("Cannot set up the event loop."), CMD_EXIT_ERROR;
        r = sd_event_loop(ev);
        if (system)
                sd_bus_detach_event(system);
        sd_bus_detach_event(u.bus);
        return r < 0 ? log_error_errno(r, "Event loop: %m"), CMD_EXIT_ERROR : 0;
}
