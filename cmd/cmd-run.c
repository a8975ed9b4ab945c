/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>

#include "cmd/cmd.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "netfilter/net-project.h"
#include "netfilter/netfilter.h"
#include "reconcile/bus.h"
#include "reconcile/bus-unit.h"
#include "reconcile/names.h"
#include "reconcile/reconcile.h"
#include "reconcile/runtime/runtime.h"

/* run SERVICE [COMMAND...]: docker compose run, a one-off machine of a service. Its S.json is the
 * service's with the command, entrypoint, environment, user and working directory overridden
 * (service_spec_override()), names of its own (machine P-S-run-HEX, state S-run-HEX) and one
 * address of its own on each of the service's networks (the highest free one); no ports are
 * published (docker's default without --service-ports). It runs as a transient unit of systemd
 * running our run-service wrapper, as the service's own unit does, with our stdin, stdout and
 * stderr (nspawn's --console=pipe hands them to the command); Requires= and After= on the
 * project's network unit and, unless --no-deps, on the units of the services it depends on, which
 * systemd thus starts first. Attached, run waits for the command and exits with its status, then
 * stops the unit; whenever the unit stops, its ExecStopPost= (run-remove) removes the one-off
 * machine's veths, netns, state and S.json. */

#define RUN_UNIT_PREFIX "nspawn-compose-run-"

const CmdOption cmd_run_options[] = {
        { "detach",         'd', NULL,      'd', "Run container in background and print its name" },
        { "entrypoint",     0,   "CMD",     'E', "Override the entrypoint of the image" },
        { "env",            'e', "KEY=VAL", 'e', "Set environment variables (repeatable)" },
        { "interactive",    'i', NULL,      'i', "Accepted: stdin is always the command's" },
        { "name",           0,   "NAME",    'n', "Assign a name to the container (its machine)" },
        { "no-TTY",         'T', NULL,      'T', "Accepted: no pseudo-TTY is allocated here" },
        { "no-deps",        0,   NULL,      'D', "Don't start linked services" },
        { "quiet-pull",     0,   NULL,      'Q', "Accepted; images are pulled by up/create" },
        { "remove-orphans", 0,   NULL,      'O', "Accepted; run never touches other services" },
        { "rm",             0,   NULL,      'r', "Automatically remove the container when it exits" },
        { "user",           'u', "USER",    'u', "Run as specified username or uid" },
        { "workdir",        'w', "DIR",     'w', "Working directory inside the container" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

typedef struct RunArgs {
        CmdCommandArgs cmd;             /* -d, -e, -u, -w as exec's */
        bool no_deps, rm;
        char **entrypoint;
        const char *name;
} RunArgs;

static void run_args_done(RunArgs *a) {
        cmd_command_args_done(&a->cmd);
        strv_free(a->entrypoint);
}

static int parse_run_option(int id, const char *arg, void *userdata) {
        RunArgs *a = userdata;
        int r = cmd_parse_command_option(id, arg, &a->cmd);

        if (r != 0)
                return r < 0 ? r : 0;
        switch (id) {
        case 'E':
                strv_free(a->entrypoint);
                a->entrypoint = strv_split(arg, " \t\n");
                return a->entrypoint ? 0 : log_oom();
        case 'n':
                a->name = arg;
                return 0;
        case 'D':
                a->no_deps = true;
                return 0;
        case 'r':
                a->rm = true;
                return 0;
        }
        return 0;
}

/* "10.89.0.2/24" → address, prefix. */
static int parse_cidr(const char *s, struct in_addr *ret, unsigned *ret_prefix) {
        char ip[INET_ADDRSTRLEN];
        unsigned prefix;

        if (sscanf(s, "%15[0-9.]/%u", ip, &prefix) != 2 || prefix < 8 || prefix > 30 || inet_pton(AF_INET, ip, ret) != 1)
                return -EINVAL;
        *ret_prefix = prefix;
        return 0;
}

/* The IPv4 addresses taken on @network: every service's and every one-off's (their S.json). */
static void taken_on(const DesiredState *d, const char *runs_dir, const char *network, char ***taken) {
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_(closedirp) DIR *dir = opendir(runs_dir);
        struct dirent *de;

        for (size_t i = 0; i < d->n_services; i++)
                (void) strv_extend(&paths, d->services[i].settings_path);
        while (dir && (de = readdir(dir)))
                if (endswith(de->d_name, ".json"))
                        (void) strv_consume(&paths, path_join(runs_dir, de->d_name));
        STRV_FOREACH(p, paths) {
                _cleanup_(service_spec_freep) ServiceSpec *s = NULL;

                if (service_spec_load(*p, &s, NULL) < 0)
                        continue;
                for (size_t k = 0; k < s->n_networks; k++)
                        if (streq(s->networks[k].name, network) && s->networks[k].address)
                                (void) strv_extend(taken, s->networks[k].address);
        }
}

/* The highest free address of @n's subnet ("10.89.0.254/24"). */
static int allocate(const DesiredState *d, const char *runs_dir, const ServiceNetwork *n, char **ret) {
        _cleanup_strv_free_ char **taken = NULL;
        struct in_addr a, gw = {};
        unsigned prefix;
        uint32_t net, bcast;

        if (parse_cidr(n->address, &a, &prefix) < 0)
                return -EINVAL;
        if (n->gateway)
                (void) inet_pton(AF_INET, n->gateway, &gw);
        taken_on(d, runs_dir, n->name, &taken);
        net = ntohl(a.s_addr) & (0xffffffffU << (32 - prefix));
        bcast = net | ~(0xffffffffU << (32 - prefix));
        for (uint32_t h = bcast - 1; h > net; h--) {
                struct in_addr c = { .s_addr = htonl(h) };
                char ip[INET_ADDRSTRLEN], cidr[INET_ADDRSTRLEN + 4];
                bool used = c.s_addr == gw.s_addr;

                inet_ntop(AF_INET, &c, ip, sizeof ip);
                snprintf(cidr, sizeof cidr, "%s/%u", ip, prefix);
                STRV_FOREACH(t, taken)
                        used = used || streq(*t, cidr) || (startswith(*t, ip) && (*t)[strlen(ip)] == '/');
                if (!used) {
                        *ret = strdup(cidr);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return -EADDRNOTAVAIL;
}

static int append_strv_property(sd_bus_message *m, const char *name, char **l) {
        int r = sd_bus_message_open_container(m, 'r', "sv");

        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, l);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* StartTransientUnit of @unit running `EXE run-service SPEC`, @deps required and ordered before, with
 * the credentials, device access and limits of the service's own unit (@unit_text). */
static int start_unit(sd_bus *bus, const char *unit, const char *machine, const char *spec, const char *unit_text,
                      char **deps, bool detach, sd_bus_error *error, NcError *reterr) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *desc = NULL;
        char exe[PATH_MAX];
        const char *argv[] = { exe, "run-service", spec }, *post[] = { exe, "run-remove", spec };
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        int r;

        if (n < 0)
                return -errno;
        exe[n] = 0;
        if (asprintf(&desc, "nspawn-compose run %s", machine) < 0)
                return -ENOMEM;
        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", unit, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)",
                                          "Description", "s", desc,
                                          "Type", "s", "exec",
                                          "RemainAfterExit", "b", !detach,
                                          "KillMode", "s", "mixed",
                                          "Delegate", "b", true,
                                          "Slice", "s", "machine.slice",
                                          "CollectMode", "s", detach ? "inactive-or-failed" : "inactive");
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "ExecStart", "a(sasb)", 1, exe, 3, argv[0], argv[1], argv[2], false);
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "ExecStopPost", "a(sasb)", 1, exe, 3, post[0], post[1], post[2], false);
        if (r >= 0)
                r = bus_append_unit_assignments(m, unit_text, reterr);
        if (r >= 0 && deps)
                r = append_strv_property(m, "Requires", deps);
        if (r >= 0 && deps)
                r = append_strv_property(m, "After", deps);
        if (r >= 0 && !detach)
                r = sd_bus_message_append(m, "(sv)(sv)(sv)", "StandardInputFileDescriptor", "h", STDIN_FILENO,
                                          "StandardOutputFileDescriptor", "h", STDOUT_FILENO,
                                          "StandardErrorFileDescriptor", "h", STDERR_FILENO);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, 0, error, NULL);
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
        interrupted = sig;
}

/* Until the command ended: its exit status (128+N for signal N), or -errno when it never ran. */
static int wait_unit(sd_bus *bus, const char *unit) {
        struct sigaction sa = { .sa_handler = on_interrupt };
        bool stopping = false;

        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);
        for (;;) {
                _cleanup_(bus_unit_state_done) BusUnitState st = {};
                _cleanup_free_ char *result = NULL;
                int32_t status = 0, code = 0;
                uint64_t started = 0;

                if (interrupted && !stopping) {
                        (void) sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit",
                                                  NULL, NULL, "ss", unit, "replace");
                        stopping = true;
                }
                if (bus_unit_get_state(bus, unit, &st) < 0)
                        return -ENOENT;
                if (bus_unit_state_ended(&st)) {
                        (void) bus_unit_get_string(bus, unit, SYSTEMD_SERVICE_IFACE, "Result", &result);
                        (void) bus_unit_get_int(bus, unit, SYSTEMD_SERVICE_IFACE, "ExecMainStatus", &status);
                        (void) bus_unit_get_int(bus, unit, SYSTEMD_SERVICE_IFACE, "ExecMainCode", &code);
                        (void) bus_unit_get_u64(bus, unit, SYSTEMD_SERVICE_IFACE, "ExecMainStartTimestamp", &started);
                        if (interrupted)
                                return CMD_EXIT_CANCELED;
                        if (started == 0)       /* a dependency failed: the command never ran */
                                return log_error_errno(-EIO, "The one-off machine did not start; see 'journalctl -u %s'.",
                                                       unit);
                        if (streq_ptr(result, "success") || streq_ptr(result, "exit-code"))
                                return status;
                        if (streq_ptr(result, "signal") || streq_ptr(result, "core-dump") || code == 2 || code == 3)
                                return 128 + status;
                        return log_error_errno(-EIO, "The one-off machine did not run: %s; see 'journalctl -u %s'.",
                                               strempty(result), unit);
                }
                (void) usleep(100 * 1000);
        }
}

/* run-remove S.json: the ExecStopPost= of a one-off machine's unit: its links, netns, state and
 * S.json go (the names are those S.json gives, which run wrote). */
int cmd_run_remove(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(service_spec_freep) ServiceSpec *s = NULL;
        _cleanup_free_ char *run = NULL, *state = NULL;
        NcError err = {};
        int r;

        (void) g;
        if (argc != 2)
                return log_error("Expected exactly one argument, the one-off machine's S.json."), CMD_EXIT_ERROR;
        r = service_spec_load(argv[1], &s, &err);
        if (r < 0)
                return cmd_log_error(r, &err), CMD_EXIT_ERROR;
        (void) service_links_remove(s, NULL);
        run = name_runtime_dir(s->project, s->service);
        state = name_state_dir(s->project, s->service);
        if (!run || !state)
                return log_oom(), CMD_EXIT_ERROR;
        (void) rm_rf(run);
        (void) rm_rf(state);
        (void) unlink(argv[1]);
        return 0;
}

/* The unit stops (its ExecStopPost= removes the rest) and is forgotten. */
static void remove_run(sd_bus *bus, const char *unit) {
        (void) sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit", NULL, NULL, "ss",
                                  unit, "replace");
        for (unsigned i = 0; i < 300; i++) {
                _cleanup_(bus_unit_state_done) BusUnitState st = {};

                if (bus_unit_get_state(bus, unit, &st) < 0 ||
                    (!st.has_job && (streq(st.active_state, "inactive") || streq(st.active_state, "failed"))))
                        break;
                (void) usleep(100 * 1000);
        }
        (void) bus_reset_failed(bus, unit);
}

int cmd_run(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(run_args_done) RunArgs a = {};
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(reconcile_freep) Reconcile *c = NULL;
        _cleanup_(service_spec_freep) ServiceSpec *spec = NULL;
        _cleanup_free_ char *json = NULL, *text = NULL, *service = NULL, *machine = NULL, *unit = NULL,
                            *runs = NULL, *spec_path = NULL, *netns = NULL, *unit_path = NULL, *unit_text = NULL;
        _cleanup_strv_free_ char **veths = NULL, **addresses = NULL, **deps = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_close_ int lock = -EBADF, store_lock = -EBADF;
        ReconcileOptions o = { .read_only = true };
        const DesiredService *d;
        NcError err = {};
        uint8_t rnd[6] = {};
        char hex[13];
        int r, status;

        r = cmd_parse(argc, argv, g, parse_run_option, &a);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (optind >= argc)
                return log_error("requires at least 1 arg(s), only received 0"), CMD_EXIT_ERROR;
        /* the machine's name and part of its unit's: what container_name may be */
        if (a.name && !name_container_name_valid(a.name))
                return log_error("invalid --name '%s': [a-zA-Z0-9] then [a-zA-Z0-9.-], at most 64 bytes", a.name),
                        CMD_EXIT_ERROR;
        o.runtime = g->runtime;
        if (cmd_load_project(g, &p) < 0)
                return CMD_EXIT_ERROR;
        /* the image the render chooses stays until the one-off's S.json names it */
        store_lock = image_store_lock(NULL, /* exclusive= */ false, &err);
        if (store_lock < 0)
                return cmd_log_error(store_lock, &err), CMD_EXIT_ERROR;
        r = reconcile_new(p, &o, &c, &err);
        if (r < 0)
                return cmd_log_error(r, &err), CMD_EXIT_ERROR;
        d = desired_state_find_service(c->desired, argv[optind]);
        if (!d)
                return log_error("no such service: %s", argv[optind]), CMD_EXIT_ERROR;
        r = read_full_file(d->settings_path, &text, NULL);
        if (r >= 0)
                r = service_spec_parse(text, d->settings_path, &spec, &err);
        if (r < 0)
                return log_error_errno(r, "Service %s has no settings (%s): run 'nspawn-compose create %s' first.",
                                       d->name, d->settings_path, d->name), CMD_EXIT_ERROR;
        /* the one-off has what the service's unit gives it: credentials, devices, limits */
        unit_path = path_join(name_unit_dir(g->runtime), d->unit);
        if (!unit_path)
                return log_oom(), CMD_EXIT_ERROR;
        r = read_full_file(unit_path, &unit_text, NULL);
        if (r < 0)
                return log_error_errno(r, "Service %s has no unit (%s): run 'nspawn-compose create %s' first.",
                                       d->name, unit_path, d->name), CMD_EXIT_ERROR;

        (void) getrandom(rnd, sizeof rnd, GRND_NONBLOCK);
        snprintf(hex, sizeof hex, "%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
        if (asprintf(&service, "%s-run-%s", d->name, hex) < 0 ||
            (a.name ? !(machine = strdup(a.name)) : asprintf(&machine, "%s-%s-run-%s", p->name, d->name, hex) < 0) ||
            asprintf(&unit, RUN_UNIT_PREFIX "%s.service", machine) < 0 ||
            asprintf(&runs, "/run/nspawn-compose/%s/runs", p->name) < 0 ||
            asprintf(&spec_path, "%s/%s.json", runs, service) < 0 || !(netns = name_netns(p->name, service)))
                return log_oom(), CMD_EXIT_ERROR;
        if (g->dry_run) {
                cmd_progress(g, "Container", machine, "Creating");
                cmd_progress(g, "Container", machine, "Created");
                return 0;
        }
        r = mkdir_parents_and_self(runs, 0700);
        if (r < 0)
                return log_error_errno(r, "%s: %m", runs), CMD_EXIT_ERROR;
        /* one allocation at a time: the address is taken once its S.json is written */
        lock = open(runs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lock < 0 || flock(lock, LOCK_EX) < 0)
                return log_error_errno(-errno, "%s: %m", runs), CMD_EXIT_ERROR;
        for (size_t i = 0; i < spec->n_networks; i++) {
                char *ip = NULL;

                r = allocate(c->desired, runs, &spec->networks[i], &ip);
                if (r < 0)
                        return log_error_errno(r, "No free address on network %s: %m", spec->networks[i].name),
                                CMD_EXIT_ERROR;
                if (strv_consume(&addresses, ip) < 0 ||
                    strv_consume(&veths, name_veth(p->name, service, spec->networks[i].name)) < 0)
                        return log_oom(), CMD_EXIT_ERROR;
        }
        r = service_spec_override(text, &(ServiceSpecOverride) {
                        .service = service, .machine = machine,
                        .netns = spec->netns_of || spec->host_network ? NULL : netns,
                        .veths = veths, .addresses = addresses,
                        .entrypoint = a.entrypoint,
                        .command = argc - optind > 1 ? argv + optind + 1 : NULL,
                        .environment = a.cmd.env, .user = a.cmd.user, .working_dir = a.cmd.workdir,
                }, &json, &err);
        if (r < 0)
                return cmd_log_error(r, &err), CMD_EXIT_ERROR;
        r = write_file_atomic(spec_path, json, strlen(json), 0600);
        if (r < 0)
                return log_error_errno(r, "%s: %m", spec_path), CMD_EXIT_ERROR;
        lock = safe_close(lock);
        store_lock = safe_close(store_lock);

        /* systemd starts what it requires first: the networks and, unless --no-deps, the dependencies */
        if (strv_consume(&deps, name_network_unit(p->name)) < 0)
                return log_oom(), CMD_EXIT_ERROR;
        for (size_t k = 0; !a.no_deps && k < d->n_deps; k++) {
                const DesiredService *dep = desired_state_find_service(c->desired, d->deps[k].service);

                if (dep && strv_extend(&deps, dep->unit) < 0)
                        return log_oom(), CMD_EXIT_ERROR;
        }
        cmd_progress(g, "Container", machine, "Creating");
        r = start_unit(c->bus, unit, machine, spec_path, unit_text, deps, a.cmd.detach, &error, &err);
        if (r < 0) {
                log_error_errno(r, "Cannot start %s: %s", unit, err.error ? err.message : error.message ?: strerror(-r));
                (void) unlink(spec_path);
                return CMD_EXIT_ERROR;
        }
        cmd_progress(g, "Container", machine, "Created");
        if (a.cmd.detach) {
                printf("%s\n", machine);
                return 0;
        }
        status = wait_unit(c->bus, unit);
        remove_run(c->bus, unit);
        return status < 0 ? CMD_EXIT_ERROR : status;
}
