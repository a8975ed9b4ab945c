/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/time-util.h"
#include "lib/utf8.h"
#include "reconcile/names.h"

/* logs [-f] [-n N] [-t] [--since T] [--until T] [SERVICE...]: the journal of the project's service
 * units, each line prefixed with its service, as docker compose logs does. */

static int add_matches(sd_journal *j, const char *project, char **services) {
        int r = 0;

        STRV_FOREACH(s, services) {
                _cleanup_free_ char *unit = name_service_unit(project, *s), *m = NULL;

                if (!unit || !(m = strjoin("_SYSTEMD_UNIT=", unit)))
                        return -ENOMEM;
                r = sd_journal_add_match(j, m, 0);
                if (r < 0)
                        return r;
                r = sd_journal_add_disjunction(j);
                if (r < 0)
                        return r;
        }
        return r;
}

/* sd_journal_get_data() returns "FIELD=value": the value starts after the field name and '='. */
static bool journal_field(sd_journal *j, const char *field, const char **ret, size_t *ret_size) {
        const void *d;
        size_t l, skip = strlen(field) + 1;

        if (sd_journal_get_data(j, field, &d, &l) < 0 || l < skip)
                return false;
        *ret = (const char*) d + skip;
        *ret_size = l - skip;
        return true;
}

/* A machine's output on a terminal: whatever could drive the operator's terminal (C0 and C1
 * controls, invalid UTF-8) as \xNN, as journalctl does (lib/utf8.h). Elsewhere (a file, a pipe) the
 * bytes go out as they are. */
static void print_message(const char *msg, size_t n, bool escape) {
        _cleanup_free_ char *e = NULL;

        if (!escape) {
                fwrite(msg, 1, n, stdout);
                return;
        }
        e = escape_terminal(msg, n);
        if (e)
                fputs(e, stdout);
}

typedef struct LogsPrinter {
        const CmdLogs *o;
        const char *unit_prefix;
        size_t width;                   /* of the longest service name: docker pads the prefixes */
        bool escape;
} LogsPrinter;

/* docker's prefix colors, one per service in the order given */
static const char *prefix_color(const LogsPrinter *p, const char *service, size_t n) {
        static const char *const colors[] = { "36", "33", "32", "35", "34", "96", "93", "92", "95", "94" };
        size_t i = 0;

        STRV_FOREACH(s, p->o->services) {
                if (strlen(*s) == n && strncmp(*s, service, n) == 0)
                        return colors[i % ELEMENTSOF(colors)];
                i++;
        }
        return "0";
}

/* RFC 3339 with nanoseconds in UTC, as docker's --timestamps. */
static void print_timestamp(uint64_t usec) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;
        char buf[32];

        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm));
        printf("%s.%06" PRIu64 "000Z ", buf, usec % USEC_PER_SEC);
}

/* "web  | message", the service being the unit name between the project's prefix and ".service". */
static void print_entry(sd_journal *j, const LogsPrinter *p) {
        const char *unit, *msg, *service;
        size_t ul, ml, pl = strlen(p->unit_prefix), sl = strlen(".service"), n;
        uint64_t usec = 0;

        if (!journal_field(j, "MESSAGE", &msg, &ml) || !journal_field(j, "_SYSTEMD_UNIT", &unit, &ul) ||
            ul <= pl + sl || strncmp(unit, p->unit_prefix, pl) != 0)
                return;
        service = unit + pl;
        n = ul - pl - sl;
        if (!p->o->no_prefix) {
                if (p->o->color)
                        printf("\033[%sm%-*.*s |\033[0m ", prefix_color(p, service, n), (int) p->width, (int) n, service);
                else
                        printf("%-*.*s | ", (int) p->width, (int) n, service);
        }
        if (p->o->timestamps && sd_journal_get_realtime_usec(j, &usec) >= 0)
                print_timestamp(usec);
        print_message(msg, ml, p->escape);
        putchar('\n');
}

/* Positions @j before the last @n entries (all of them when there are fewer). */
static int seek_tail_lines(sd_journal *j, uint64_t n) {
        int r;

        r = sd_journal_seek_tail(j);
        if (r < 0)
                return r;
        r = sd_journal_previous_skip(j, n + 1);
        if (r < 0)
                return r;
        if ((uint64_t) r < n + 1)
                return sd_journal_seek_head(j);
        return 0;
}

/* Waits for journal entries, a signal on o->signal_fd, or a second (to ask o->done). >0: the
 * signal's number. */
static int wait_journal(sd_journal *j, const CmdLogs *o) {
        struct pollfd p[2] = { { .fd = sd_journal_get_fd(j), .events = (short) sd_journal_get_events(j) },
                               { .fd = o->signal_fd, .events = POLLIN } };
        struct signalfd_siginfo si;
        int r;

        if (p[0].fd < 0)
                return p[0].fd;
        if (poll(p, o->signal_fd >= 0 ? 2 : 1, o->done ? 1000 : -1) < 0)
                return errno == EINTR ? 0 : -errno;
        if (o->signal_fd >= 0 && (p[1].revents & POLLIN) && read(o->signal_fd, &si, sizeof si) == sizeof si)
                return (int) si.ssi_signo;
        r = sd_journal_process(j);
        return r < 0 ? r : 0;
}

int cmd_logs_show(const ComposeProject *p, const CmdLogs *o) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_free_ char *prefix = name_service_unit_prefix(p->name);
        LogsPrinter printer = { .o = o, .escape = isatty(STDOUT_FILENO) };
        int r;

        if (!prefix)
                return log_oom();
        printer.unit_prefix = prefix;
        STRV_FOREACH(s, o->services)
                printer.width = MAX(printer.width, strlen(*s));
        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return log_error_errno(r, "Failed to open the journal: %m");
        r = add_matches(j, p->name, o->services);
        if (r >= 0 && o->tail >= 0)
                r = seek_tail_lines(j, (uint64_t) o->tail);
        else if (r >= 0 && o->since > 0)
                r = sd_journal_seek_realtime_usec(j, o->since);
        if (r < 0)
                return log_error_errno(r, "Failed to read the journal: %m");
        for (;;) {
                uint64_t usec;

                r = sd_journal_next(j);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the journal: %m");
                if (r > 0) {
                        if (sd_journal_get_realtime_usec(j, &usec) >= 0) {
                                if (o->since > 0 && usec < o->since)
                                        continue;
                                if (o->until > 0 && usec > o->until)
                                        return 0;
                        }
                        print_entry(j, &printer);
                        continue;
                }
                if (!o->follow)
                        return 0;
                fflush(stdout);
                if (o->done && o->done(o->userdata))
                        return 0;
                r = wait_journal(j, o);
                if (r < 0)
                        return log_error_errno(r, "Failed to wait for the journal: %m");
                if (r > 0)
                        return r;
        }
}

/* docker's --since/--until: RFC 3339 ("2013-01-02T13:23:37Z", with fractions or an offset), a
 * date, Unix seconds, or a duration back from now ("42m"). CLOCK_REALTIME µs. */
static int parse_log_time(int id, const char *arg, uint64_t *ret) {
        struct tm tm = {};
        struct timespec now;
        uint64_t d;
        const char *e;
        char *end;

        clock_gettime(CLOCK_REALTIME, &now);
        if (parse_go_duration_usec(arg, &d) >= 0) {
                *ret = (uint64_t) now.tv_sec * USEC_PER_SEC + (uint64_t) now.tv_nsec / 1000 - d;
                return 0;
        }
        errno = 0;
        d = strtoull(arg, &end, 10);
        if (errno == 0 && end != arg && (*end == 0 || *end == '.')) {
                *ret = d * USEC_PER_SEC;
                return 0;
        }
        e = strptime(arg, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!e) {
                tm = (struct tm) {};
                e = strptime(arg, "%Y-%m-%d", &tm);
        }
        if (e) {
                long off = 0;
                uint64_t frac = 0, scale = USEC_PER_SEC;

                if (*e == '.')
                        for (e++; *e >= '0' && *e <= '9'; e++)
                                if (scale > 1) {
                                        scale /= 10;
                                        frac += (uint64_t) (*e - '0') * scale;
                                }
                if ((*e == '+' || *e == '-') && strlen(e) == 6 && e[3] == ':')
                        off = (*e == '-' ? -1 : 1) * (strtol(e + 1, NULL, 10) * 3600 + strtol(e + 4, NULL, 10) * 60);
                else if (*e && !streq(e, "Z"))
                        e = NULL;
                if (e) {
                        *ret = (uint64_t) (timegm(&tm) - off) * USEC_PER_SEC + frac;
                        return 0;
                }
        }
        (void) id;
        log_error("invalid argument \"%s\" for \"--%s\" flag: expected a timestamp (2013-01-02T13:23:37Z) "
                  "or a duration (42m)", arg, id == 'S' ? "since" : "until");
        return -EINVAL;
}

enum { ARG_SINCE = 'S', ARG_UNTIL = 'U', ARG_NO_LOG_PREFIX = 0x100, ARG_NO_COLOR, ARG_INDEX };

const CmdOption cmd_logs_options[] = {
        { "follow",        'f', NULL,    'f',               "Follow log output" },
        { "tail",          'n', "N|all", 'n',               "Number of lines to show from the end of the logs (default all)" },
        { "timestamps",    't', NULL,    't',               "Show timestamps" },
        { "since",         0,   "TIME",  ARG_SINCE,         "Show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m)" },
        { "until",         0,   "TIME",  ARG_UNTIL,         "Show logs before a timestamp or relative (42m)" },
        { "no-log-prefix", 0,   NULL,    ARG_NO_LOG_PREFIX, "Don't print prefix in logs" },
        { "no-color",      0,   NULL,    ARG_NO_COLOR,      "Produce monochrome output" },
        { "index",         0,   "N",     ARG_INDEX,         "Index of the container (only 1: one machine per service)" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_HELP,
        {}
};

static int parse_logs_option(int id, const char *arg, void *userdata) {
        CmdLogs *o = userdata;
        int n;

        switch (id) {
        case 'f':
                o->follow = true;
                return 0;
        case 'n':
                if (streq(arg, "all")) {
                        o->tail = -1;
                        return 0;
                }
                if (cmd_parse_int(id, arg, &n) < 0)
                        return -EINVAL;
                o->tail = n < 0 ? -1 : n;
                return 0;
        case 't':
                o->timestamps = true;
                return 0;
        case ARG_SINCE:
                return parse_log_time(id, arg, &o->since);
        case ARG_UNTIL:
                return parse_log_time(id, arg, &o->until);
        case ARG_NO_LOG_PREFIX:
                o->no_prefix = true;
                return 0;
        case ARG_NO_COLOR:
                o->color = false;
                return 0;
        case ARG_INDEX:
                return cmd_parse_index(id, arg);
        }
        return 0;
}

int cmd_logs(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_strv_free_ char **services = NULL;
        /* prefixes in color only when asked (--ansi always): a terminal sees no escape sequence of ours */
        CmdLogs o = { .tail = -1, .signal_fd = -1, .color = g->ansi == CMD_ANSI_ALWAYS };
        int r;

        r = cmd_parse(argc, argv, g, parse_logs_option, &o);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (cmd_load_project(g, &p) < 0 || cmd_services(p, argv + optind, &services) < 0)
                return CMD_EXIT_ERROR;
        o.services = services;
        return cmd_logs_show(p, &o) < 0 ? CMD_EXIT_ERROR : 0;
}
