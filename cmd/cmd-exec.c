/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "cmd/cmd.h"
#include "reconcile/bus.h"
#include "reconcile/names.h"
#include "reconcile/reconcile.h"
#include "lib/fileio.h"
#include "lib/user-db.h"
#include "lib/log.h"
#include "lib/strv.h"

/* exec SERVICE CMD...: runs a command inside the service's machine, with the environment of its
 * main process, as docker compose exec does. The leader comes from machined; nsenter(1) enters
 * every namespace and the machine's root, and the command's exit status is ours. */

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

/* -u USER resolved in the machine's own /etc/passwd and /etc/group, as docker exec does. */
static int exec_user(pid_t pid, const char *spec, char ***args) {
        _cleanup_free_ char *passwd = NULL, *group = NULL, *s = NULL, *gs = NULL;
        _cleanup_close_ int pfd = -EBADF, gfd = -EBADF;
        UserIds ids;
        int r;

        if (asprintf(&passwd, "/proc/%d/root/etc/passwd", (int) pid) < 0 ||
            asprintf(&group, "/proc/%d/root/etc/group", (int) pid) < 0)
                return -ENOMEM;
        pfd = open(passwd, O_RDONLY | O_CLOEXEC);
        gfd = open(group, O_RDONLY | O_CLOEXEC);
        r = user_ids_resolve(spec, pfd, gfd, &ids);
        if (r < 0)
                return r;
        if (asprintf(&s, "--setuid=%u", (unsigned) ids.uid) < 0 || asprintf(&gs, "--setgid=%u", (unsigned) ids.gid) < 0)
                return -ENOMEM;
        r = strv_extend(args, s);
        return r < 0 ? r : strv_extend(args, gs);
}

typedef struct ExecArgs {
        char **env;                     /* -e K=V, added to the service's environment */
        const char *user, *workdir;
} ExecArgs;

static int parse_exec_args(int argc, char *argv[], ExecArgs *a) {
        static const struct option options[] = {
                { "no-TTY",  no_argument,       NULL, 'T' },
                { "env",     required_argument, NULL, 'e' },
                { "user",    required_argument, NULL, 'u' },
                { "workdir", required_argument, NULL, 'w' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        int c;

        /* "+": options end at the service name; the command's own options are its own. */
        while ((c = getopt_long(argc, argv, "+Te:u:w:h", options, NULL)) >= 0)
                switch (c) {
                case 'T':
                        break;                  /* never a TTY: stdio is passed through as it is */
                case 'e':
                        if (strv_extend(&a->env, optarg) < 0)
                                return log_oom();
                        break;
                case 'u':
                        a->user = optarg;
                        break;
                case 'w':
                        a->workdir = optarg;
                        break;
                case 'h':
                        printf("Usage: nspawn-compose exec [-T] [-e K=V]... [-u USER] [-w DIR] SERVICE COMMAND [ARGS...]\n");
                        return 0;
                default:
                        return -EINVAL;
                }
        if (argc - optind < 2)
                return log_error_errno(-EINVAL, "Usage: nspawn-compose exec [OPTIONS] SERVICE COMMAND [ARGS...]");
        return 1;
}

int cmd_exec(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **args = NULL, **env = NULL;
        _cleanup_free_ char *machine = NULL, *target = NULL, *wd = NULL;
        ExecArgs a = {};
        const char *service;
        pid_t leader, payload;
        int r, i;

        r = parse_exec_args(argc, argv, &a);
        if (r <= 0) {
                strv_free(a.env);
                return r < 0;
        }
        i = optind;
        service = argv[i];
        r = cmd_load_project(g, &p);
        if (r >= 0 && !compose_map_get(compose_map_get(p->model, "services"), service))
                r = log_error_errno(-ENOENT, "No such service: '%s'.", service);
        if (r >= 0 && (r = name_machine(p->name, service, &machine)) < 0)
                r = log_error_errno(r, "No machine name for service '%s': %m", service);
        if (r < 0) {
                strv_free(a.env);
                return 1;
        }
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = bus_machine_leader(bus, machine, &leader);
        if (r < 0) {
                strv_free(a.env);
                return log_error_errno(r, "Service '%s' is not running (machine %s): %m", service, machine), 1;
        }

        /* The payload, not nspawn's stub init: its namespaces, root, working directory and environment. */
        payload = payload_pid(leader);
        env = leader_environ(payload);
        STRV_FOREACH(e, a.env)
                if (env && strv_extend(&env, *e) < 0)
                        return log_oom(), 1;
        strv_free(a.env);
        if (asprintf(&target, "--target=%d", (int) payload) < 0 || !env ||
            /* nsenter opens the directory before it enters the root: name it through /proc. */
            (a.workdir && asprintf(&wd, "--wd=/proc/%d/root/%s", (int) payload, a.workdir) < 0) ||
            strv_extend(&args, "nsenter") < 0 || strv_extend(&args, target) < 0 ||
            strv_extend(&args, "--all") < 0 || strv_extend(&args, "--root") < 0 ||
            strv_extend(&args, wd ?: "--wd") < 0)
                return log_oom(), 1;
        if (a.user && (r = exec_user(payload, a.user, &args)) < 0)
                return log_error_errno(r, "Unknown user '%s' in service '%s': %m", a.user, service), 1;
        if (strv_extend(&args, "--") < 0)
                return log_oom(), 1;
        for (int k = i + 1; k < argc; k++)
                if (strv_extend(&args, argv[k]) < 0)
                        return log_oom(), 1;
        fflush(stdout);
        execve("/usr/bin/nsenter", args, env);
        return log_error_errno(-errno, "Failed to run nsenter: %m"), 127;
}
