/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/cgroup-util.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/actual.h"
#include "reconcile/bus.h"
#include "reconcile/bus-unit.h"

/* stats [SERVICE...]: docker compose stats, from what systemd accounts for each service's unit
 * (CPUUsageNSec, MemoryCurrent, TasksCurrent, IOReadBytes/IOWriteBytes) and, where systemd does not
 * account (cgroup v1 or hybrid without the controller's accounting), from the unit's cgroup in the
 * v1 controllers' hierarchies; the network counters of the machine's interfaces from the kernel's
 * /proc/LEADER/net/dev (its network namespace's); and where neither has a number, from the unit's
 * processes (/proc/PID/stat). CPU % is docker's: CPU time over wall time of
 * two samples a second apart, 100% per fully used CPU. */

const CmdOption cmd_stats_options[] = {
        { "all",       'a', NULL,         'a', "Show all containers (default shows just running)" },
        { "format",    0,   "table|json", 'F', "Output format (default table)" },
        { "no-stream", 0,   NULL,         'S', "Disable streaming stats and only pull the first result" },
        { "no-trunc",  0,   NULL,         'T', "Accepted; nothing is truncated" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

typedef struct StatsArgs {
        bool all, json, no_stream;
} StatsArgs;

static int parse_stats_option(int id, const char *arg, void *userdata) {
        StatsArgs *a = userdata;

        switch (id) {
        case 'a':
                a->all = true;
                return 0;
        case 'F':
                return cmd_parse_format(id, arg, &a->json);
        case 'S':
                a->no_stream = true;
                return 0;
        }
        return 0;
}

typedef struct Sample {
        uint64_t cpu_ns, mem, limit, pids, blk_read, blk_write, net_rx, net_tx;
        uint64_t at_ns;                 /* CLOCK_MONOTONIC */
        bool running;
} Sample;

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* A number at the start of @file in the cgroup @cg of the v1 hierarchy @controller; UINT64_MAX when
 * there is none. */
static uint64_t cgroup_v1_u64(const char *controller, const char *cg, const char *file) {
        _cleanup_free_ char *path = NULL, *s = NULL;

        if (asprintf(&path, "/sys/fs/cgroup/%s%s/%s", controller, cg, file) < 0 ||
            read_full_file_max(path, 4096, &s, NULL) < 0)
                return UINT64_MAX;
        return strtoull(s, NULL, 10);
}

static uint64_t unit_u64(sd_bus *bus, const char *unit, const char *iface, const char *property) {
        uint64_t v = UINT64_MAX;

        (void) bus_unit_get_u64(bus, unit, iface, property, &v);
        return v;
}

/* Bytes received and sent on every interface of the netns of @pid but lo. */
static void net_counters(pid_t pid, uint64_t *rx, uint64_t *tx) {
        _cleanup_free_ char *path = NULL, *s = NULL;
        _cleanup_strv_free_ char **lines = NULL;

        *rx = *tx = 0;
        if (asprintf(&path, "/proc/%d/net/dev", (int) pid) < 0 || read_full_file_max(path, 1 << 20, &s, NULL) < 0)
                return;
        lines = strv_split(s, "\n");
        STRV_FOREACH(l, lines) {
                char name[64];
                unsigned long long r, t, skip;

                if (sscanf(*l, " %63[^:]: %llu %llu %llu %llu %llu %llu %llu %llu %llu", name, &r, &skip, &skip,
                           &skip, &skip, &skip, &skip, &skip, &t) != 10 || streq(name, "lo"))
                        continue;
                *rx += r;
                *tx += t;
        }
}

/* What systemd and the v1 controllers did not tell, from the unit's processes (its cgroup in the
 * cgroup2 hierarchy, which hybrid hosts have too): their CPU time, resident memory and threads.
 * Processes that exited took their CPU time with them: a lower bound. */
static void from_processes(const char *cg, Sample *s) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_free_ char **pids = NULL;
        uint64_t cpu = 0, rss = 0, tasks = 0;
        long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);

        if (cg_unified_dir(cg, &dir) < 0 || cg_pids_recursive(dir, &pids) < 0)
                return;
        STRV_FOREACH(pid, pids) {
                _cleanup_free_ char *path = NULL, *stat = NULL;
                unsigned long long utime, stime, threads, rss_pages;
                const char *p;

                if (asprintf(&path, "/proc/%s/stat", *pid) < 0 || read_full_file_max(path, 4096, &stat, NULL) < 0)
                        continue;
                /* after the command's ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt
                 * cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss */
                p = strrchr(stat, ')');
                if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %llu %*d %*u %*u %llu",
                                 &utime, &stime, &threads, &rss_pages) != 4)
                        continue;
                cpu += (utime + stime) * (1000000000ULL / (uint64_t) (tick > 0 ? tick : 100));
                rss += rss_pages * (uint64_t) (page > 0 ? page : 4096);
                tasks += threads;
        }
        if (s->cpu_ns == UINT64_MAX)
                s->cpu_ns = cpu;
        if (s->mem == UINT64_MAX)
                s->mem = rss;
        if (s->pids == UINT64_MAX)
                s->pids = tasks;
}

static void sample(sd_bus *bus, sd_bus *system, const char *unit, const char *machine, Sample *s) {
        _cleanup_free_ char *cg = NULL;
        struct sysinfo si;
        pid_t leader;

        *s = (Sample) { .at_ns = now_ns() };
        if (bus_unit_get_string(bus, unit, SYSTEMD_SERVICE_IFACE, "ControlGroup", &cg) < 0 || isempty(cg))
                return;
        s->running = true;
        s->cpu_ns = unit_u64(bus, unit, SYSTEMD_SERVICE_IFACE, "CPUUsageNSec");
        if (s->cpu_ns == UINT64_MAX)
                s->cpu_ns = cgroup_v1_u64("cpuacct", cg, "cpuacct.usage");
        s->mem = unit_u64(bus, unit, SYSTEMD_SERVICE_IFACE, "MemoryCurrent");
        if (s->mem == UINT64_MAX)
                s->mem = cgroup_v1_u64("memory", cg, "memory.usage_in_bytes");
        s->pids = unit_u64(bus, unit, SYSTEMD_SERVICE_IFACE, "TasksCurrent");
        if (s->pids == UINT64_MAX)
                s->pids = cgroup_v1_u64("pids", cg, "pids.current");
        s->blk_read = unit_u64(bus, unit, SYSTEMD_SERVICE_IFACE, "IOReadBytes");
        s->blk_write = unit_u64(bus, unit, SYSTEMD_SERVICE_IFACE, "IOWriteBytes");
        s->limit = unit_u64(bus, unit, SYSTEMD_SERVICE_IFACE, "MemoryMax");
        if (s->limit == UINT64_MAX)
                s->limit = unit_u64(bus, unit, SYSTEMD_SERVICE_IFACE, "MemoryLimit");
        if (s->limit == UINT64_MAX && sysinfo(&si) >= 0)
                s->limit = (uint64_t) si.totalram * si.mem_unit;
        if (s->cpu_ns == UINT64_MAX || s->mem == UINT64_MAX || s->pids == UINT64_MAX)
                from_processes(cg, s);
        if (system && bus_machine_leader(system, machine, &leader) >= 0)
                net_counters(leader, &s->net_rx, &s->net_tx);
}

typedef struct Row {
        char name[128], cpu[32], mem_usage[64], mem_perc[32], net[64], block[64], pids[32];
} Row;

static void row(const char *machine, const Sample *a, const Sample *b, Row *r) {
        char x[32], y[32];
        double dt = (double) (b->at_ns - a->at_ns), dcpu = 0;

        snprintf(r->name, sizeof r->name, "%s", machine);
        if (b->cpu_ns != UINT64_MAX && a->cpu_ns != UINT64_MAX && b->cpu_ns >= a->cpu_ns && dt > 0)
                dcpu = (double) (b->cpu_ns - a->cpu_ns) / dt * 100.0;
        snprintf(r->cpu, sizeof r->cpu, "%.2f%%", b->running ? dcpu : 0.0);
        cmd_human_size(x, sizeof x, b->mem, true);
        cmd_human_size(y, sizeof y, b->limit, true);
        snprintf(r->mem_usage, sizeof r->mem_usage, "%s / %s", x, y);
        snprintf(r->mem_perc, sizeof r->mem_perc, "%.2f%%",
                 b->mem != UINT64_MAX && b->limit != UINT64_MAX && b->limit > 0 ? (double) b->mem / (double) b->limit * 100.0 : 0.0);
        cmd_human_size(x, sizeof x, b->net_rx, false);
        cmd_human_size(y, sizeof y, b->net_tx, false);
        snprintf(r->net, sizeof r->net, "%s / %s", x, y);
        cmd_human_size(x, sizeof x, b->blk_read, false);
        cmd_human_size(y, sizeof y, b->blk_write, false);
        snprintf(r->block, sizeof r->block, "%s / %s", x, y);
        snprintf(r->pids, sizeof r->pids, "%llu", (unsigned long long) (b->pids == UINT64_MAX ? 0 : b->pids));
}

static void print_row(const Row *r, bool json) {
        if (json) {
                json_object *o = json_object_new_object();

                json_object_object_add(o, "BlockIO", json_object_new_string(r->block));
                json_object_object_add(o, "CPUPerc", json_object_new_string(r->cpu));
                json_object_object_add(o, "Container", json_object_new_string(r->name));
                json_object_object_add(o, "MemPerc", json_object_new_string(r->mem_perc));
                json_object_object_add(o, "MemUsage", json_object_new_string(r->mem_usage));
                json_object_object_add(o, "Name", json_object_new_string(r->name));
                json_object_object_add(o, "NetIO", json_object_new_string(r->net));
                json_object_object_add(o, "PIDs", json_object_new_string(r->pids));
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(o);
        } else
                printf("%-24s %-9s %-22s %-9s %-18s %-18s %s\n", r->name, r->cpu, r->mem_usage, r->mem_perc, r->net,
                       r->block, r->pids);
}

int cmd_stats(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(cmd_units_done) CmdUnits u = {};
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *system = NULL;
        _cleanup_strv_free_ char **units = NULL, **machines = NULL;
        _cleanup_free_ Sample *prev = NULL, *cur = NULL;
        StatsArgs a = {};
        size_t n = 0;
        int r;

        r = cmd_parse(argc, argv, g, parse_stats_option, &a);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (cmd_units_open(g, argv + optind, &u) < 0)
                return CMD_EXIT_ERROR;
        STRV_FOREACH(s, u.services) {
                _cleanup_free_ char *unit = NULL;
                const ActualUnit *au = cmd_units_find(&u, *s, &unit);

                if (!unit)
                        return log_oom(), CMD_EXIT_ERROR;
                if (!au || (!a.all && !actual_unit_running(au)))
                        continue;
                if (strv_extend(&units, unit) < 0 || strv_consume(&machines, cmd_machine(u.project, *s)) < 0)
                        return log_oom(), CMD_EXIT_ERROR;
                n++;
        }
        (void) sd_bus_open_system(&system);       /* machined, for the leader's network counters */
        prev = calloc(n + 1, sizeof *prev);
        cur = calloc(n + 1, sizeof *cur);
        if (!prev || !cur)
                return log_oom(), CMD_EXIT_ERROR;
        for (size_t i = 0; i < n; i++)
                sample(u.bus, system, units[i], machines[i], &prev[i]);
        for (;;) {
                (void) usleep(1000 * 1000);     /* docker's first result, too, compares two reads */
                if (!a.no_stream && !a.json && isatty(STDOUT_FILENO))
                        fputs("\033[2J\033[H", stdout);
                if (!a.json)
                        printf("%-24s %-9s %-22s %-9s %-18s %-18s %s\n", "NAME", "CPU %", "MEM USAGE / LIMIT",
                               "MEM %", "NET I/O", "BLOCK I/O", "PIDS");
                for (size_t i = 0; i < n; i++) {
                        Row row_ = {};

                        sample(u.bus, system, units[i], machines[i], &cur[i]);
                        row(machines[i], &prev[i], &cur[i], &row_);
                        print_row(&row_, a.json);
                        prev[i] = cur[i];
                }
                fflush(stdout);
                if (a.no_stream)
                        return 0;
        }
}
