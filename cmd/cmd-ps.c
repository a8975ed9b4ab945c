/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "healthd/health.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/bus-unit.h"
#include "reconcile/names.h"
#include "reconcile/reconcile.h"

/* ps: one line (or JSON object) per service: docker's state, health, published ports; by default
 * only the running ones, as docker compose ps. */

static char *service_ports(const Reconcile *c, const DesiredService *s, json_object *publishers) {
        StrBuf b = {};

        for (size_t i = 0; i < c->desired->n_ports; i++) {
                const DesiredPort *p = &c->desired->ports[i];
                const char *ip = isempty(p->host_ip) ? "0.0.0.0" : p->host_ip;
                json_object *o;

                if (!streq(p->service, s->name))
                        continue;
                strbuf_printf(&b, "%s%s%s%s:%u->%u/%s", b.len ? ", " : "", strchr(ip, ':') ? "[" : "", ip,
                              strchr(ip, ':') ? "]" : "", p->host_port, p->target_port, p->protocol);
                o = json_object_new_object();
                json_object_object_add(o, "URL", json_object_new_string(ip));
                json_object_object_add(o, "TargetPort", json_object_new_int(p->target_port));
                json_object_object_add(o, "PublishedPort", json_object_new_int(p->host_port));
                json_object_object_add(o, "Protocol", json_object_new_string(p->protocol));
                json_object_array_add(publishers, o);
        }
        return strbuf_steal(&b);
}

/* The wrapper reports health in the unit's StatusText=, as healthd words it. */
static const char *health_of(const ActualUnit *u) {
        return strempty(health_status_to_string(health_status_from_status_text(u ? u->status_text : NULL)));
}

/* docker's container states: created, running, restarting, paused, exited (and dead, removing). */
static const char *docker_state(const Reconcile *c, const DesiredService *s, const ActualUnit *u) {
        _cleanup_free_ char *freezer = NULL, *state = NULL;

        if (!u || (streq(u->load_state, "not-found") && streq(u->active_state, "inactive")))
                return NULL;
        if (streq(u->active_state, "activating") && streq_ptr(u->sub_state, "auto-restart"))
                return "restarting";
        if (streq(u->active_state, "failed") || streq_ptr(u->sub_state, "exited"))
                return "exited";
        if (streq(u->active_state, "inactive")) {
                state = name_state_dir(c->project->name, s->name);
                return state && access(state, F_OK) >= 0 ? "exited" : "created";
        }
        if (bus_unit_get_string(c->bus, u->name, SYSTEMD_UNIT_IFACE, "FreezerState", &freezer) >= 0 &&
            !streq(freezer, "running"))
                return "paused";
        return "running";
}

enum { ARG_FORMAT = 0x100, ARG_SERVICES, ARG_STATUS, ARG_FILTER, ARG_NO_TRUNC, ARG_ORPHANS };

const CmdOption cmd_ps_options[] = {
        { "all",      'a', NULL,        'a',          "Show all services, stopped ones too" },
        { "quiet",    'q', NULL,        'q',          "Only display the machine names" },
        { "services", 0,   NULL,        ARG_SERVICES, "Display services" },
        { "status",   0,   "STATE",     ARG_STATUS,   "Filter by state: paused|restarting|removing|running|dead|created|exited (repeatable)" },
        { "filter",   0,   "status=STATE", ARG_FILTER, "Filter services by a property (status)" },
        { "format",   0,   "table|json", ARG_FORMAT,  "Output format (default table)" },
        { "no-trunc", 0,   NULL,        ARG_NO_TRUNC, "Accepted: nothing is truncated" },
        { "orphans",  0,   "BOOL",      ARG_ORPHANS,  "Accepted: orphans are never listed" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

typedef struct PsArgs {
        bool all, quiet, services, json;
        char **status;
} PsArgs;

static int parse_ps_option(int id, const char *arg, void *userdata) {
        static const char * const states[] = { "paused", "restarting", "removing", "running", "dead", "created",
                                                "exited", NULL };
        PsArgs *a = userdata;

        switch (id) {
        case 'a':
                a->all = true;
                return 0;
        case 'q':
                a->quiet = true;
                return 0;
        case ARG_SERVICES:
                a->services = true;
                return 0;
        case ARG_FILTER:
        case ARG_STATUS:
                if (id == ARG_FILTER && !startswith(arg, "status="))
                        return log_error("invalid filter '%s'", arg), -EINVAL;
                if (id == ARG_FILTER)
                        arg += strlen("status=");
                if (cmd_parse_choice(ARG_STATUS, arg, states) < 0)
                        return -EINVAL;
                return strv_extend(&a->status, arg) < 0 ? log_oom() : 0;
        case ARG_FORMAT:
                return cmd_parse_format(id, arg, &a->json);
        }
        return 0;
}

int cmd_ps(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *rc = NULL;
        _cleanup_strv_free_ char **services = NULL;
        ReconcileOptions o = { .read_only = true };
        PsArgs a = {};
        json_object *list = NULL;
        NcError err = {};
        int r;

        r = cmd_parse(argc, argv, g, parse_ps_option, &a);
        if (r <= 0) {
                strv_free(a.status);
                return cmd_parse_exit(r);
        }
        _cleanup_strv_free_ char **status = a.status;
        o.runtime = g->runtime;
        if (cmd_load_project(g, &p) < 0 || cmd_services(p, argv + optind, &services) < 0)
                return CMD_EXIT_ERROR;
        r = reconcile_new(p, &o, &rc, &err);
        if (r < 0)
                return cmd_log_error(r, &err), CMD_EXIT_ERROR;

        if (a.json)
                list = json_object_new_array();
        else if (!a.quiet && !a.services)
                printf("%-16s %-24s %-32s %-12s %-10s %s\n", "SERVICE", "NAME", "IMAGE", "STATUS", "HEALTH", "PORTS");
        for (size_t i = 0; i < rc->desired->n_services; i++) {
                const DesiredService *s = &rc->desired->services[i];
                const ActualUnit *u = actual_state_find_unit(rc->actual, s->unit);
                const char *addr = isempty(s->address) ? NULL : s->address, *state = docker_state(rc, s, u);
                json_object *publishers = json_object_new_array();
                _cleanup_free_ char *ports = service_ports(rc, s, publishers), *shown = NULL;
                int32_t exit_code = 0;

                if (!strv_contains(services, s->name) || !state ||
                    (status ? !strv_contains(status, state) :
                     !a.all && !streq(state, "running") && !streq(state, "restarting") && !streq(state, "paused"))) {
                        json_object_put(publishers);
                        continue;
                }
                if (streq(state, "exited"))
                        (void) bus_unit_get_int(rc->bus, s->unit, SYSTEMD_SERVICE_IFACE, "ExecMainStatus", &exit_code);
                if (streq(state, "exited") ? asprintf(&shown, "exited (%d)", (int) exit_code) < 0 :
                                             !(shown = strdup(state)))
                        return log_oom(), CMD_EXIT_ERROR;
                if (a.json) {
                        json_object *e = json_object_new_object();
                        /* docker compose's keys */
                        json_object_object_add(e, "Name", json_object_new_string(s->machine));
                        json_object_object_add(e, "Service", json_object_new_string(s->name));
                        json_object_object_add(e, "Project", json_object_new_string(p->name));
                        json_object_object_add(e, "Image", json_object_new_string(strempty(s->image)));
                        json_object_object_add(e, "State", json_object_new_string(state));
                        json_object_object_add(e, "Status", json_object_new_string(shown));
                        json_object_object_add(e, "Health", json_object_new_string(health_of(u)));
                        json_object_object_add(e, "ExitCode", json_object_new_int(exit_code));
                        json_object_object_add(e, "Publishers", publishers);
                        /* ours: systemd's view */
                        json_object_object_add(e, "service", json_object_new_string(s->name));
                        json_object_object_add(e, "unit", json_object_new_string(s->unit));
                        json_object_object_add(e, "machine", json_object_new_string(s->machine));
                        json_object_object_add(e, "state", json_object_new_string(u ? u->active_state : "absent"));
                        json_object_object_add(e, "sub_state", json_object_new_string(u ? u->sub_state : ""));
                        json_object_object_add(e, "health", json_object_new_string(health_of(u)));
                        json_object_object_add(e, "status", json_object_new_string(u ? strempty(u->status_text) : ""));
                        json_object_object_add(e, "address", addr ? json_object_new_string(addr) : NULL);
                        json_object_object_add(e, "ports", json_object_new_string(strempty(ports)));
                        json_object_object_add(e, "restarts", json_object_new_int64(u ? u->n_restarts : 0));
                        json_object_array_add(list, e);
                        continue;
                }
                json_object_put(publishers);
                if (a.services)
                        printf("%s\n", s->name);
                else if (a.quiet)
                        printf("%s\n", s->machine);
                else
                        printf("%-16s %-24s %-32s %-12s %-10s %s\n", s->name, s->machine, strempty(s->image), shown,
                               health_of(u), strempty(ports));
        }
        if (a.json) {
                puts(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(list);
        }
        return 0;
}
