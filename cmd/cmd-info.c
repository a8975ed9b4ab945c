/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>

#include "cmd/cmd.h"
#include "lib/cgroup-util.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/actual.h"
#include "reconcile/bus-unit.h"
#include "reconcile/names.h"
#include "reconcile/reconcile.h"

/* port, images, top, version, wait: what docker compose tells about a project's containers. */

const CmdOption cmd_version_options[] = {
        { "short",  0,   NULL,          's', "Shows only the version number" },
        { "format", 'f', "pretty|json", 'f', "Format the output (default pretty)" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_HELP,
        {}
};

/* version and images: -s/--short or -q/--quiet (2), else the index of --format's value. */
static int parse_mode_option(int id, const char *arg, void *userdata) {
        int *mode = userdata, r;

        if (id == 's' || id == 'q') {
                *mode = 2;
                return 0;
        }
        r = cmd_parse_choice(id, arg, NULL);
        if (r < 0)
                return r;
        if (*mode != 2)
                *mode = r;
        return 0;
}

int cmd_version(int argc, char *argv[], CmdGlobal *g) {
        int mode = 0, r;                /* 0 pretty, 1 json, 2 short */

        r = cmd_parse(argc, argv, g, parse_mode_option, &mode);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (mode == 2)
                printf("%s\n", NC_VERSION);
        else if (mode == 1)
                printf("{\"version\":\"%s\"}\n", NC_VERSION);
        else
                printf("nspawn-compose version %s\n", NC_VERSION);
        return 0;
}

/* The desired state (render, read only) and the units: what port and images need. */
static int open_read_only(CmdGlobal *g, ComposeProject **ret_p, Reconcile **ret) {
        ReconcileOptions o = { .read_only = true, .runtime = g->runtime };
        NcError err = {};
        int r;

        r = cmd_load_project(g, ret_p);
        if (r < 0)
                return r;
        r = reconcile_new(*ret_p, &o, ret, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        return 0;
}

const CmdOption cmd_port_options[] = {
        { "protocol", 0, "tcp|udp", 'P', "Protocol (default tcp)" },
        { "index",    0, "N",       'i', "Index of the container (only 1: one machine per service)" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

typedef struct PortArgs {
        const char *protocol;
        int index;
} PortArgs;

static int parse_port_option(int id, const char *arg, void *userdata) {
        PortArgs *a = userdata;

        if (id == 'i')
                return cmd_parse_int(id, arg, &a->index);
        if (cmd_parse_choice(id, arg, NULL) < 0)
                return -EINVAL;
        a->protocol = arg;
        return 0;
}

int cmd_port(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *c = NULL;
        PortArgs a = { .protocol = "tcp", .index = 1 };
        const DesiredService *s;
        int port, r;

        r = cmd_parse(argc, argv, g, parse_port_option, &a);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (argc - optind != 2)
                return log_error("requires at least 2 arg(s), only received %d", argc - optind), CMD_EXIT_ERROR;
        port = atoi(argv[optind + 1]);
        if (port <= 0 || port > 65535)
                return log_error("invalid port '%s'", argv[optind + 1]), CMD_EXIT_ERROR;
        if (open_read_only(g, &p, &c) < 0)
                return CMD_EXIT_ERROR;
        s = desired_state_find_service(c->desired, argv[optind]);
        if (!s)
                return log_error("no such service: %s", argv[optind]), CMD_EXIT_ERROR;
        if (a.index != 1 || !actual_unit_running(actual_state_find_unit(c->actual, s->unit)))
                return log_error("service \"%s\" is not running container #%d", s->name, a.index), CMD_EXIT_ERROR;
        for (size_t i = 0; i < c->desired->n_ports; i++) {
                const DesiredPort *d = &c->desired->ports[i];
                const char *ip = isempty(d->host_ip) ? "0.0.0.0" : d->host_ip;

                if (!streq(d->service, s->name) || d->target_port != port || !streq(d->protocol, a.protocol))
                        continue;
                printf(strchr(ip, ':') ? "[%s]:%u\n" : "%s:%u\n", ip, d->host_port);
                return 0;
        }
        return log_error("no port %d/%s for container %s", port, a.protocol, s->machine), CMD_EXIT_ERROR;
}

const CmdOption cmd_images_options[] = {
        { "quiet",  'q', NULL,         'q', "Only display the image IDs" },
        { "format", 0,   "table|json", 'F', "Output format (default table)" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

/* "registry/name:tag@sha256:…" split as docker shows it: repository, tag. */
static void split_ref(const char *ref, char **ret_repo, char **ret_tag) {
        size_t at = strcspn(ref, "@"), slash = 0, colon = 0;

        for (size_t i = 0; i < at; i++)
                if (ref[i] == '/')
                        slash = i;
                else if (ref[i] == ':')
                        colon = i;
        if (colon > slash) {
                *ret_repo = strndup(ref, colon);
                *ret_tag = strndup(ref + colon + 1, at - colon - 1);
        } else {
                *ret_repo = strndup(ref, at);
                *ret_tag = strdup("latest");
        }
}

int cmd_images(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *c = NULL;
        _cleanup_strv_free_ char **services = NULL;
        json_object *list = NULL;
        int mode = 0, r;                /* 0 table, 1 json, 2 quiet */

        r = cmd_parse(argc, argv, g, parse_mode_option, &mode);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (open_read_only(g, &p, &c) < 0 || cmd_services(p, argv + optind, &services) < 0)
                return CMD_EXIT_ERROR;
        if (mode == 1)
                list = json_object_new_array();
        else if (mode == 0)
                printf("%-24s %-40s %-12s %-12s\n", "CONTAINER", "REPOSITORY", "TAG", "IMAGE ID");
        for (size_t i = 0; i < c->desired->n_services; i++) {
                const DesiredService *s = &c->desired->services[i];
                _cleanup_free_ char *repo = NULL, *tag = NULL;
                const char *id = startswith(strempty(s->image_digest), "sha256:");

                if (!strv_contains(services, s->name) || isempty(s->image) || !id)
                        continue;       /* docker lists the images of created containers */
                split_ref(s->image, &repo, &tag);
                if (!repo || !tag)
                        return log_oom(), CMD_EXIT_ERROR;
                if (mode == 2)
                        printf("%s\n", s->image_digest);
                else if (mode == 1) {
                        json_object *e = json_object_new_object();
                        json_object_object_add(e, "ContainerName", json_object_new_string(s->machine));
                        json_object_object_add(e, "Repository", json_object_new_string(repo));
                        json_object_object_add(e, "Tag", json_object_new_string(tag));
                        json_object_object_add(e, "ID", json_object_new_string(s->image_digest));
                        json_object_array_add(list, e);
                } else
                        printf("%-24s %-40s %-12s %-12.12s\n", s->machine, repo, tag, id);
        }
        if (list) {
                puts(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(list);
        }
        return 0;
}

const CmdOption cmd_top_options[] = {
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

/* Every process of the cgroup @dir and the ones below it, as "UID PID PPID CMD" lines. */
static void print_cgroup_procs(const char *dir) {
        _cleanup_strv_free_ char **pids = NULL;

        (void) cg_pids_recursive(dir, &pids);
        STRV_FOREACH(pid, pids) {
                _cleanup_free_ char *status = NULL, *cmdline = NULL, *sp = NULL, *cp = NULL;
                const char *uid, *ppid;
                size_t n = 0;

                if (asprintf(&sp, "/proc/%s/status", *pid) < 0 || asprintf(&cp, "/proc/%s/cmdline", *pid) < 0 ||
                    read_full_file(sp, &status, NULL) < 0)
                        continue;
                (void) read_full_file(cp, &cmdline, &n);
                for (size_t i = 0; cmdline && i + 1 < n; i++)
                        if (cmdline[i] == 0)
                                cmdline[i] = ' ';
                uid = strstr(status, "\nUid:\t");
                ppid = strstr(status, "\nPPid:\t");
                printf("%-8.*s %-8s %-8.*s %s\n", uid ? (int) strcspn(uid + 6, "\t\n") : 1, uid ? uid + 6 : "?",
                       *pid, ppid ? (int) strcspn(ppid + 7, "\n") : 1, ppid ? ppid + 7 : "?", strempty(cmdline));
        }
}

int cmd_top(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(cmd_units_done) CmdUnits u = {};
        int r;

        r = cmd_parse(argc, argv, g, NULL, NULL);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (cmd_units_open(g, argv + optind, &u) < 0)
                return CMD_EXIT_ERROR;
        STRV_FOREACH(s, u.services) {
                _cleanup_free_ char *unit = NULL, *cg = NULL, *dir = NULL, *machine = cmd_machine(u.project, *s);
                const ActualUnit *a = cmd_units_find(&u, *s, &unit);

                if (!machine)
                        return log_oom(), CMD_EXIT_ERROR;
                if (!actual_unit_running(a) ||
                    bus_unit_get_string(u.bus, unit, SYSTEMD_SERVICE_IFACE, "ControlGroup", &cg) < 0 || isempty(cg))
                        continue;
                r = cg_unified_dir(cg, &dir);
                if (r < 0)
                        return log_error_errno(r, "Cannot find the cgroup2 hierarchy: %m"), CMD_EXIT_ERROR;
                printf("%s\n%-8s %-8s %-8s %s\n", machine, "UID", "PID", "PPID", "CMD");
                print_cgroup_procs(dir);
                printf("\n");
        }
        return 0;
}

const CmdOption cmd_wait_options[] = {
        { "down-project", 0, NULL, 'D', "Drops the project when the first service stops" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

static int parse_wait_option(int id, const char *arg, void *userdata) {
        (void) arg;
        *(bool*) userdata = id == 'D';
        return 0;
}

/* wait SERVICE...: until the first of them stops; its main process's exit status is ours, as
 * docker compose wait prints and returns it. */
int cmd_wait(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(cmd_units_done) CmdUnits u = {};
        _cleanup_close_ int sfd = -EBADF;
        bool down = false;
        sigset_t ss;
        int r;

        r = cmd_parse(argc, argv, g, parse_wait_option, &down);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (optind >= argc)
                return log_error("requires at least 1 arg(s), only received 0"), CMD_EXIT_ERROR;
        if (cmd_units_open(g, argv + optind, &u) < 0)
                return CMD_EXIT_ERROR;
        sigemptyset(&ss);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0 || (sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
                return log_error_errno(-errno, "Cannot catch signals: %m"), CMD_EXIT_ERROR;
        for (;;) {
                struct signalfd_siginfo si;

                STRV_FOREACH(s, u.services) {
                        _cleanup_free_ char *unit = name_service_unit(u.project->name, *s);
                        _cleanup_(bus_unit_state_done) BusUnitState st = {};
                        int32_t status = 0;

                        if (!unit)
                                return log_oom(), CMD_EXIT_ERROR;
                        if (bus_unit_get_state(u.bus, unit, &st) < 0)
                                return log_error("Cannot read the state of %s.", unit), CMD_EXIT_ERROR;
                        if (!bus_unit_state_ended(&st))
                                continue;
                        (void) bus_unit_get_int(u.bus, unit, SYSTEMD_SERVICE_IFACE, "ExecMainStatus", &status);
                        printf("%d\n", (int) status);
                        fflush(stdout);
                        if (down) {
                                char *dargv[] = { (char*) "down", NULL };
                                const CmdVerb *v = g->verb;

                                for (size_t i = 0; i < cmd_n_verbs; i++)
                                        if (streq(cmd_verbs[i].name, "down"))
                                                g->verb = &cmd_verbs[i];
                                optind = 0;
                                (void) cmd_down(1, dargv, g);
                                g->verb = v;
                        }
                        return status;
                }
                if (read(sfd, &si, sizeof si) == sizeof si)
                        return CMD_EXIT_CANCELED;
                /* systemd signals no change of a unit we are not subscribed to: look again shortly */
                (void) usleep(200 * 1000);
        }
}
