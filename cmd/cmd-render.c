/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/names.h"
#include "reconcile/reconcile.h"
#include "reconcile/runtime/runtime.h"

/* The previous allocation: the installed one if readable, else what the last render into @dir kept. */
static char *previous_ipam(const char *project, const char *dir) {
        _cleanup_free_ char *path = name_ipam_path(project), *in_dir = NULL;
        char *text = NULL;

        if (path && read_full_file(path, &text, NULL) >= 0)
                return text;
        in_dir = path ? path_join(dir, path) : NULL;
        if (in_dir && read_full_file(in_dir, &text, NULL) >= 0)
                return text;
        return NULL;
}

static int log_problems(const ComposeProject *p) {
        _cleanup_strv_free_ char **errors = NULL, **warnings = NULL;

        if (desired_check(p, &errors, &warnings) < 0)
                return log_oom();
        STRV_FOREACH(e, errors)
                log_error("%s", *e);
        return -EOPNOTSUPP;
}

static void show_allocated_ports(const DesiredState *s) {
        for (size_t i = 0; i < s->n_ports; i++)
                if (s->ports[i].allocated)
                        printf("%s: container port %u/%s published on host port %u (allocated)\n",
                               s->ports[i].service, s->ports[i].target_port, s->ports[i].protocol,
                               s->ports[i].host_port);
}

/* Writes exactly the files apply installs, laid out below DIR as they would be below /. Needs no root
 * and no systemd. Addresses and host ports stay as the last apply (or the last render into DIR)
 * recorded them. */
enum { ARG_EXE = 0x100 };

const CmdOption cmd_render_options[] = {
        { "output-dir", 'o', "DIR",  'o',     "Where to write (required)" },
        { "exe",        0,   "PATH", ARG_EXE, "Program named in the units (default " DESIRED_EXE_DEFAULT ")" },
        CMD_OPTION_RUNTIME,
        CMD_OPTION_HELP,
        {}
};

typedef struct RenderArgs {
        const char *dir, *exe;
} RenderArgs;

static int parse_render_option(int id, const char *arg, void *userdata) {
        RenderArgs *a = userdata;

        if (id == 'o')
                a->dir = arg;
        else if (id == ARG_EXE)
                a->exe = arg;
        return 0;
}

int cmd_render(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(desired_state_freep) DesiredState *s = NULL;
        _cleanup_strv_free_ char **digests = NULL, **taken = NULL;
        _cleanup_free_ char *ipam = NULL;
        DesiredOptions o = { .image_digest = desired_store_digest, .userdata = &digests };
        uint8_t key[NC_HASH_KEY_SIZE];
        RenderArgs a = {};
        const char *dir;
        NcError err = {};
        int r;

        r = cmd_parse(argc, argv, g, parse_render_option, &a);
        if (r <= 0)
                return cmd_parse_exit(r);
        dir = a.dir;
        o.exe = a.exe;
        o.runtime = g->runtime;
        if (!dir) {
                log_error("render needs --output-dir DIR.");
                return 1;
        }
        if (cmd_load_project(g, &p) < 0)
                return 1;
        ipam = previous_ipam(p->name, dir);
        o.ipam_json = ipam;
        if (desired_taken_subnets(NULL, p->name, &taken) < 0)
                return log_oom(), 1;
        o.taken_subnets = taken;
        /* The host's hash key when it is readable (root), so the files are the ones apply installs. */
        if (reconcile_hash_key(/* create= */ false, key, NULL) > 0) {
                o.hash_key = key;
                o.hash_key_size = sizeof key;
        }
        r = desired_render(p, &o, &s, &err);
        if (r == -EOPNOTSUPP)
                return log_problems(p), 1;
        if (r < 0)
                return cmd_log_error(r, &err), 1;
        STRV_FOREACH(w, s->warnings)
                log_warning("%s", *w);
        r = desired_write(s, dir, /* beneath= */ true, &err);
        if (r < 0)
                return cmd_log_error(r, &err), 1;
        for (size_t i = 0; i < s->n_files; i++)
                printf("%s\n", s->files[i].path);
        show_allocated_ports(s);
        return 0;
}
