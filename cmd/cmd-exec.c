/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "cmd/cmd.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/strv.h"

/* exec SERVICE CMD...: runs a command inside the service's machine, with the environment of its
 * main process, as docker compose exec does. The leader comes from machined; nsenter(1) enters
 * every namespace and the machine's root, and the command's exit status is ours. */

static int machine_leader(sd_bus *bus, const char *machine, pid_t *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path;
        uint32_t leader;
        int r;

        /* busctl call org.freedesktop.machine1 /org/freedesktop/machine1 …Manager GetMachine s NAME */
        r = sd_bus_call_method(bus, "org.freedesktop.machine1", "/org/freedesktop/machine1",
                               "org.freedesktop.machine1.Manager", "GetMachine", &error, &reply, "s", machine);
        sd_bus_error_free(&error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_trivial(bus, "org.freedesktop.machine1", path, "org.freedesktop.machine1.Machine",
                                        "Leader", NULL, 'u', &leader);
        if (r < 0)
                return r;
        *ret = (pid_t) leader;
        return 0;
}

/* The service's main process: the leader's first child when nspawn runs it as PID 2 under its stub
 * init (whose own environment is nspawn's), else the leader. */
static pid_t payload_pid(pid_t leader) {
        _cleanup_free_ char *path = NULL, *children = NULL;
        long pid;

        if (asprintf(&path, "/proc/%d/task/%d/children", (int) leader, (int) leader) < 0 ||
            read_full_file(path, &children, NULL) < 0)
                return leader;
        pid = strtol(children, NULL, 10);
        return pid > 0 ? (pid_t) pid : leader;
}

/* A process's environment ("K=V\0K=V\0"), as the service's processes see it. */
static char **leader_environ(pid_t pid) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        char **env = calloc(1, sizeof(char*));
        size_t size;

        if (!env || asprintf(&path, "/proc/%d/environ", (int) pid) < 0 || read_full_file(path, &data, &size) < 0)
                return env;
        for (size_t i = 0; i < size; i += strlen(data + i) + 1)
                if (data[i] && strv_extend(&env, data + i) < 0)
                        break;
        return env;
}

int cmd_exec(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **args = NULL, **env = NULL;
        _cleanup_free_ char *machine = NULL, *target = NULL;
        pid_t leader;
        int r, i = 1;

        if (argc > 1 && (streq(argv[1], "-h") || streq(argv[1], "--help"))) {
                printf("Usage: nspawn-compose exec SERVICE COMMAND [ARGS...]\n");
                return 0;
        }
        if (argc > 1 && streq(argv[1], "--"))
                i++;
        if (argc - i < 2)
                return log_error("Usage: nspawn-compose exec SERVICE COMMAND [ARGS...]"), 1;
        if (cmd_load_project(g, &p) < 0)
                return 1;
        if (!compose_map_get(compose_map_get(p->model, "services"), argv[i]))
                return log_error("No such service: '%s'.", argv[i]), 1;
        if (asprintf(&machine, "%s-%s", p->name, argv[i]) < 0)
                return log_oom(), 1;
        for (char *c = machine; *c; c++)
                if (*c == '_')
                        *c = '-';
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = machine_leader(bus, machine, &leader);
        if (r < 0)
                return log_error_errno(r, "Service '%s' is not running (machine %s): %m", argv[i], machine), 1;

        env = leader_environ(payload_pid(leader));
        if (asprintf(&target, "--target=%d", (int) leader) < 0 || !env ||
            strv_extend(&args, "nsenter") < 0 || strv_extend(&args, target) < 0 ||
            strv_extend(&args, "--all") < 0 || strv_extend(&args, "--root") < 0 ||
            strv_extend(&args, "--wd") < 0 || strv_extend(&args, "--") < 0)
                return log_oom(), 1;
        for (int k = i + 1; k < argc; k++)
                if (strv_extend(&args, argv[k]) < 0)
                        return log_oom(), 1;
        fflush(stdout);
        execve("/usr/bin/nsenter", args, env);
        return log_error_errno(-errno, "Failed to run nsenter: %m"), 127;
}
