/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/utf8.h"
#include "reconcile/names.h"

/* logs [-f] [-n N] [SERVICE...]: the journal of the project's service units, each line prefixed
 * with its service, as docker compose logs does. */

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

/* "web | message", the service being the unit name between the project's prefix and ".service". */
static void print_entry(sd_journal *j, const char *unit_prefix, bool escape) {
        const char *unit, *msg;
        size_t ul, ml, pl = strlen(unit_prefix), sl = strlen(".service");

        if (!journal_field(j, "MESSAGE", &msg, &ml) || !journal_field(j, "_SYSTEMD_UNIT", &unit, &ul) ||
            ul <= pl + sl || strncmp(unit, unit_prefix, pl) != 0)
                return;
        printf("%.*s | ", (int) (ul - pl - sl), unit + pl);
        print_message(msg, ml, escape);
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

int cmd_logs(int argc, char *argv[], CmdGlobal *g) {
        static const struct option options[] = {
                { "follow", no_argument,       NULL, 'f' },
                { "tail",   required_argument, NULL, 'n' },
                { "help",   no_argument,       NULL, 'h' },
                {}
        };
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_strv_free_ char **services = NULL;
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_free_ char *prefix = NULL;
        bool follow = false, escape = isatty(STDOUT_FILENO);
        long tail = -1;
        int c, r;

        while ((c = getopt_long(argc, argv, "fn:h", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        follow = true;
                        break;
                case 'n': {
                        char *end;

                        tail = strtol(optarg, &end, 10);
                        if (*end || tail < 0) {
                                log_error("Invalid -n '%s': a number of lines expected.", optarg);
                                return 1;
                        }
                        break;
                }
                case 'h':
                        printf("Usage: nspawn-compose logs [-f] [-n N] [SERVICE...]\n");
                        return 0;
                default:
                        return 1;
                }
        if (cmd_load_project(g, &p) < 0)
                return 1;
        services = optind < argc ? strv_copy(argv + optind) : compose_project_service_names(p);
        if (!services)
                return log_oom(), 1;
        STRV_FOREACH(s, services)
                if (!compose_map_get(compose_map_get(p->model, "services"), *s))
                        return log_error("No such service: '%s'.", *s), 1;

        prefix = name_service_unit_prefix(p->name);
        if (!prefix)
                return log_oom(), 1;
        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return log_error_errno(r, "Failed to open the journal: %m"), 1;
        r = add_matches(j, p->name, services);
        if (r < 0)
                return log_error_errno(r, "Failed to read the journal: %m"), 1;
        if (tail >= 0) {
                r = seek_tail_lines(j, (uint64_t) tail);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the journal: %m"), 1;
        }
        for (;;) {
                r = sd_journal_next(j);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the journal: %m"), 1;
                if (r > 0) {
                        print_entry(j, prefix, escape);
                        continue;
                }
                if (!follow)
                        return 0;
                fflush(stdout);
                r = sd_journal_wait(j, UINT64_MAX);
                if (r < 0)
                        return log_error_errno(r, "Failed to wait for the journal: %m"), 1;
        }
}
