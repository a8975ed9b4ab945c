/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/actual.h"
#include "reconcile/bus.h"
#include "reconcile/names.h"

/* ls: every nspawn-compose project on this host, found by its state or settings directory
 * (names.h), with docker compose ls's columns: NAME STATUS CONFIG FILES. */

static int add_projects(const char *dir, char ***projects) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.' || name_project_check(de->d_name, NULL) < 0 ||
                    strv_contains(*projects, de->d_name))
                        continue;
                if (strv_extend(projects, de->d_name) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* docker's "exited(1), running(2)": how many services are in each state, by state name. */
static char *project_status(const char *project, const ActualState *a, size_t *ret_running) {
        size_t n[3] = {};
        static const char *const names[] = { "created", "exited", "running" };
        StrBuf b = {};

        for (size_t i = 0; i < a->n_units; i++) {
                const ActualUnit *u = &a->units[i];
                _cleanup_free_ char *state = NULL;

                if (!u->service || (streq(u->load_state, "not-found") && streq(u->active_state, "inactive")))
                        continue;
                if (actual_unit_running(u) && !streq_ptr(u->sub_state, "exited"))
                        n[2]++;
                else if (streq(u->active_state, "inactive") &&
                         !((state = name_state_dir(project, u->service)) && access(state, F_OK) >= 0))
                        n[0]++;
                else
                        n[1]++;
        }
        for (size_t i = 0; i < ELEMENTSOF(n); i++)
                if (n[i] > 0)
                        strbuf_printf(&b, "%s%s(%zu)", b.len ? ", " : "", names[i], n[i]);
        *ret_running = n[2];
        return strbuf_steal(&b);
}

static char *config_files(const char *project) {
        _cleanup_free_ char *path = name_config_files_path(project), *text = NULL;
        _cleanup_strv_free_ char **l = NULL;

        if (!path || read_full_file(path, &text, NULL) < 0)
                return strdup("");
        l = strv_split(text, "\n");
        return l ? strv_join(l, ",") : NULL;
}

enum { ARG_FORMAT = 0x100, ARG_FILTER };

const CmdOption cmd_ls_options[] = {
        { "all",    'a', NULL,         'a',        "Show all projects, stopped ones too" },
        { "quiet",  'q', NULL,         'q',        "Only display the project names" },
        { "format", 0,   "table|json", ARG_FORMAT, "Output format (default table)" },
        { "filter", 0,   "name=NAME",  ARG_FILTER, "Filter by a property (name)" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_HELP,
        {}
};

typedef struct LsArgs {
        bool all, quiet, json;
        const char *name;
} LsArgs;

static int parse_ls_option(int id, const char *arg, void *userdata) {
        LsArgs *a = userdata;

        switch (id) {
        case 'a':
                a->all = true;
                return 0;
        case 'q':
                a->quiet = true;
                return 0;
        case ARG_FORMAT:
                return cmd_parse_format(id, arg, &a->json);
        case ARG_FILTER:
                if (!startswith(arg, "name="))
                        return log_error("invalid filter '%s'", arg), -EINVAL;
                a->name = arg + strlen("name=");
                return 0;
        }
        return 0;
}

int cmd_ls(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **projects = NULL;
        _cleanup_free_ char *etc = name_settings_dir("", false), *run = name_settings_dir("", true);
        json_object *list = NULL;
        LsArgs a = {};
        int r;

        r = cmd_parse(argc, argv, g, parse_ls_option, &a);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (!etc || !run)
                return log_oom(), CMD_EXIT_ERROR;
        r = add_projects(NC_STATE_DIR, &projects);
        if (r >= 0)
                r = add_projects(etc, &projects);
        if (r >= 0)
                r = add_projects(run, &projects);
        if (r < 0)
                return log_error_errno(r, "Cannot list the projects: %m"), CMD_EXIT_ERROR;
        strv_sort(projects);
        r = bus_open_systemd(&bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to systemd: %m"), CMD_EXIT_ERROR;
        if (a.json)
                list = json_object_new_array();
        else if (!a.quiet)
                printf("%-24s %-24s %s\n", "NAME", "STATUS", "CONFIG FILES");
        STRV_FOREACH(p, projects) {
                _cleanup_(actual_state_freep) ActualState *as = NULL;
                _cleanup_free_ char *status = NULL, *files = NULL;
                size_t running;

                if (a.name && !streq(a.name, *p))
                        continue;
                r = actual_read(bus, *p, "/", false, NULL, &as, NULL);
                if (r < 0) {
                        log_warning_errno(r, "Cannot read the state of project '%s': %m", *p);
                        continue;
                }
                status = project_status(*p, as, &running);
                files = config_files(*p);
                if (!status || !files)
                        return log_oom(), CMD_EXIT_ERROR;
                if (isempty(status) || (!a.all && running == 0))
                        continue;
                if (a.json) {
                        json_object *e = json_object_new_object();
                        json_object_object_add(e, "Name", json_object_new_string(*p));
                        json_object_object_add(e, "Status", json_object_new_string(status));
                        json_object_object_add(e, "ConfigFiles", json_object_new_string(files));
                        json_object_array_add(list, e);
                } else if (a.quiet)
                        printf("%s\n", *p);
                else
                        printf("%-24s %-24s %s\n", *p, status, files);
        }
        if (a.json) {
                puts(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(list);
        }
        return 0;
}
