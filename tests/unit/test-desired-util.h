/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers shared by the tests of render (reconcile/render/). */

#include <json-c/json.h>
#include <signal.h>

#include "lib/fileio.h"
#include "lib/strv.h"
#include "reconcile/render/desired.h"
#include "tests/tap.h"

/* A canonical compose tree from JSON text (what the normalizer produces, without the loader). */
static inline ComposeNode *node_from_json(json_object *j) {
        ComposeNode *n;
        char buf[64];

        switch (json_object_get_type(j)) {
        case json_type_null:
                return compose_node_new(COMPOSE_NODE_NULL, NULL);
        case json_type_boolean:
                return compose_node_new_bool(json_object_get_boolean(j), NULL);
        case json_type_int:
                snprintf(buf, sizeof buf, "%" PRId64, json_object_get_int64(j));
                return compose_node_new_scalar(COMPOSE_NODE_INT, buf, NULL);
        case json_type_double:
                return compose_node_new_scalar(COMPOSE_NODE_FLOAT, json_object_get_string(j), NULL);
        case json_type_string:
                return compose_node_new_string(json_object_get_string(j), NULL);
        case json_type_object:
                n = compose_node_new(COMPOSE_NODE_MAP, NULL);
                json_object_object_foreach(j, k, v)
                        if (compose_map_set(n, k, node_from_json(v)) < 0)
                                abort();
                return n;
        case json_type_array:
                n = compose_node_new(COMPOSE_NODE_SEQ, NULL);
                for (size_t i = 0; i < json_object_array_length(j); i++)
                        if (compose_seq_append(n, node_from_json(json_object_array_get_idx(j, i))) < 0)
                                abort();
                return n;
        }
        abort();
}

/* A project named @name whose model is the JSON @text (single quotes stand for double quotes). */
static inline ComposeProject *project_from_json(const char *name, const char *text) {
        ComposeProject *p = calloc(1, sizeof *p);
        char *t = strdup(text);
        json_object *j;

        for (char *c = t; *c; c++)
                if (*c == '\'')
                        *c = '"';
        j = json_tokener_parse(t);
        if (!p || !j)
                TAP_FAIL("bad test JSON: %s", t);
        free(t);
        p->name = strdup(name);
        p->working_dir = strdup("/srv/project");
        p->model = node_from_json(j);
        json_object_put(j);
        return p;
}

static inline const char *file_content(const DesiredState *s, const char *path) {
        const DesiredFile *f = desired_state_find_file(s, path);

        if (!f)
                TAP_FAIL("no file %s", path);
        return f->content;
}

/* A temporary directory removed at the end of the test, and also when an ASSERT abort()s. */
static char test_tmpdir[64];

static inline void test_tmpdir_remove(void) {
        char cmd[128];

        if (!test_tmpdir[0])
                return;
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_tmpdir);
        (void) !system(cmd);
        test_tmpdir[0] = 0;
}

static inline void test_tmpdir_on_abort(int sig) {
        test_tmpdir_remove();
        signal(sig, SIG_DFL);
        raise(sig);
}

static inline const char *test_tmpdir_new(void) {
        test_tmpdir_remove();
        snprintf(test_tmpdir, sizeof test_tmpdir, "/tmp/nc-desired-XXXXXX");
        if (!mkdtemp(test_tmpdir))
                TAP_FAIL("mkdtemp: %m");
        signal(SIGABRT, test_tmpdir_on_abort);
        return test_tmpdir;
}

/* `systemd-analyze verify` on every unit file in @dir: 0 when all load without a message about them,
 * 77 when systemd-analyze is missing. It needs no running systemd: verify starts a private manager in
 * test mode; --man=no keeps it from looking up Documentation= pages. */
static inline int verify_units_in(const char *dir) {
        _cleanup_free_ char *cmd = NULL, *err = NULL, *errpath = NULL;
        int r;

        if (system("command -v systemd-analyze >/dev/null") != 0)
                return 77;
        if (asprintf(&errpath, "%s.verify-err", dir) < 0 ||
            asprintf(&cmd, "cd '%s' && systemd-analyze verify --man=no *.service *.target >/dev/null 2>'%s'",
                     dir, errpath) < 0)
                abort();
        r = system(cmd);
        if (read_full_file(errpath, &err, NULL) < 0)
                return -EIO;
        (void) unlink(errpath);
        /* messages about our units name the file (errors in a line) or the unit (bad settings) */
        if (r != 0 || strstr(err, dir) || strstr(err, "nspawn-compose-")) {
                printf("# systemd-analyze verify in %s:\n%s", dir, err);
                return -EINVAL;
        }
        return 0;
}
