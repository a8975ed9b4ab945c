/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <systemd/sd-journal.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"

/* logs [-f] [-n N] [SERVICE...]: the journal of the project's service units, each line prefixed
 * with its service, as docker compose logs does. */

static int add_matches(sd_journal *j, const char *project, char **services) {
        int r = 0;

        STRV_FOREACH(s, services) {
                _cleanup_free_ char *m = NULL;

                if (asprintf(&m, "_SYSTEMD_UNIT=nspawn-compose-%s-%s.service", project, *s) < 0)
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

static void print_entry(sd_journal *j, const char *project) {
        const void *unit, *msg;
        size_t ul, ml;
        size_t skip = strlen("_SYSTEMD_UNIT=nspawn-compose-") + strlen(project) + 1;

        if (sd_journal_get_data(j, "MESSAGE", &msg, &ml) < 0 ||
            sd_journal_get_data(j, "_SYSTEMD_UNIT", &unit, &ul) < 0 || ul <= skip + strlen(".service"))
                return;
        printf("%.*s | %.*s\n", (int) (ul - skip - strlen(".service")), (const char*) unit + skip,
               (int) (ml - 8), (const char*) msg + 8);
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
        sd_journal *j = NULL;
        bool follow = false;
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

        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return log_error_errno(r, "Failed to open the journal: %m"), 1;
        r = add_matches(j, p->name, services);
        if (r >= 0 && tail >= 0) {
                r = sd_journal_seek_tail(j);
                if (r >= 0)
                        r = sd_journal_previous_skip(j, tail + 1);
                /* Fewer entries than asked for: all of them, from the first. */
                if (r >= 0 && (uint64_t) r < (uint64_t) tail + 1)
                        r = sd_journal_seek_head(j);
        }
        if (r < 0) {
                sd_journal_close(j);
                return log_error_errno(r, "Failed to read the journal: %m"), 1;
        }
        for (;;) {
                r = sd_journal_next(j);
                if (r < 0)
                        break;
                if (r > 0) {
                        print_entry(j, p->name);
                        continue;
                }
                if (!follow)
                        break;
                fflush(stdout);
                r = sd_journal_wait(j, UINT64_MAX);
                if (r < 0)
                        break;
        }
        sd_journal_close(j);
        return r < 0 ? 1 : 0;
}
