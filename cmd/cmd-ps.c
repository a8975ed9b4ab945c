/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "healthd/health.h"
#include "reconcile/reconcile.h"
#include "lib/log.h"
#include "lib/strv.h"

/* ps: one line (or JSON object) per service: state, health, address, published ports, restarts. */

static char *service_ports(const Reconcile *c, const DesiredService *s) {
        StrBuf b = {};

        for (size_t i = 0; i < c->desired->n_ports; i++) {
                const DesiredPort *p = &c->desired->ports[i];
                if (!streq(p->service, s->name))
                        continue;
                strbuf_printf(&b, "%s%s%s%s:%u->%u/%s", b.len ? ", " : "",
                              strchr(p->host_ip, ':') ? "[" : "", isempty(p->host_ip) ? "0.0.0.0" : p->host_ip,
                              strchr(p->host_ip, ':') ? "]" : "", p->host_port, p->target_port, p->protocol);
        }
        return strbuf_steal(&b);
}

/* The wrapper reports health in the unit's StatusText=, as healthd words it. */
static const char *health_of(const ActualUnit *u) {
        return strempty(health_status_to_string(health_status_from_status_text(u ? u->status_text : NULL)));
}

int cmd_ps(int argc, char *argv[], CmdGlobal *g) {
        static const struct option options[] = {
                { "format",  required_argument, NULL, 'F' },
                { "runtime", no_argument,       NULL, 'R' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *rc = NULL;
        ReconcileOptions o = { .read_only = true };
        json_object *list = NULL;
        bool json = false;
        NcError err = {};
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'F':
                        json = streq(optarg, "json");
                        break;
                case 'R':
                        o.runtime = true;
                        break;
                case 'h':
                        printf("Usage: nspawn-compose ps [--format text|json]\n");
                        return 0;
                default:
                        return 1;
                }
        if (cmd_load_project(g, &p) < 0)
                return 1;
        r = reconcile_new(p, &o, &rc, &err);
        if (r < 0)
                return cmd_log_error(r, &err), 1;

        if (json)
                list = json_object_new_array();
        else
                printf("%-20s %-24s %-10s %-16s %-8s %s\n", "SERVICE", "STATE", "HEALTH", "ADDRESS", "RESTARTS", "PORTS");
        for (size_t i = 0; i < rc->desired->n_services; i++) {
                const DesiredService *s = &rc->desired->services[i];
                const ActualUnit *u = actual_state_find_unit(rc->actual, s->unit);
                const char *addr = isempty(s->address) ? NULL : s->address;
                _cleanup_free_ char *ports = service_ports(rc, s), *state = NULL;

                if (asprintf(&state, "%s (%s)", u ? u->active_state : "absent", u ? u->sub_state : "-") < 0)
                        return log_oom(), 1;
                if (json) {
                        json_object *e = json_object_new_object();
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
                } else
                        printf("%-20s %-24s %-10s %-16s %-8u %s\n", s->name, state, health_of(u),
                               addr ?: "-", u ? u->n_restarts : 0, strempty(ports));
        }
        if (json) {
                puts(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(list);
        }
        return 0;
}
