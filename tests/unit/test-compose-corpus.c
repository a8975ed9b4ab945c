/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>

#include "reconcile/compose/compose.h"
#include "lib/fileio.h"
#include "lib/strv.h"
#include "tests/fuzz/compose-roundtrip.h"
#include "tests/tap.h"

/* Acceptance of the corpus of published compose files (tests/data/corpus, README.md there)
 * through the whole loader, as `nspawn-compose -f FILE config` runs it. Each valid file is loaded
 * from its own scratch project directory holding the sibling files it names (empty env files, the
 * base file it extends, a file it includes), with the variables it requires; its `config` output,
 * YAML and JSON, must load again to the same model. Each invalid file must be rejected with the
 * message the README expects, at the position that message implies. */

typedef struct CorpusCase {
        const char *name;               /* file in compose/ */
        const char *const *siblings;    /* pairs: path in the project directory, content ("@F": corpus file F) */
        const char *const *env;         /* "K=V", the process environment */
        const char *base;               /* a sibling loaded first, as the -f file this one overrides */
        const char *rejected;           /* docker compose rejects the file too: the message fragment */
} CorpusCase;

/* The variables sentry's .env gives values that must be numbers, durations or image names. */
static const char *const sentry_env[] = {
        "HEALTHCHECK_INTERVAL=30s", "HEALTHCHECK_TIMEOUT=1m30s", "HEALTHCHECK_RETRIES=10",
        "HEALTHCHECK_START_PERIOD=10s", "HEALTHCHECK_FILE_INTERVAL=60s", "HEALTHCHECK_FILE_TIMEOUT=10s",
        "HEALTHCHECK_FILE_RETRIES=3", "HEALTHCHECK_FILE_START_PERIOD=600s", "SENTRY_BIND=9000",
        "SNUBA_IMAGE=getsentry/snuba:nightly", "RELAY_IMAGE=getsentry/relay:nightly",
        "SYMBOLICATOR_IMAGE=getsentry/symbolicator:nightly", "TASKBROKER_IMAGE=getsentry/taskbroker:nightly",
        "VROOM_IMAGE=getsentry/vroom:nightly", "UPTIME_CHECKER_IMAGE=getsentry/uptime-checker:nightly",
        "LAUNCHPAD_IMAGE=getsentry/launchpad:nightly", NULL,
};

static const CorpusCase cases[] = {
        /* The include target is not published with it; a small one stands in. */
        { "compose-go__compose-include.yml",
          (const char *const[]) { "subdir/compose-test-extends-imported.yaml",
                                  "services:\n  imported:\n    image: nginx:1.25\n    environment:\n      - FROM=imported\n",
                                  NULL } },
        { "compose-go__include-dir-compose.yml", (const char *const[]) { "extra.env", "", NULL } },
        /* Extends its sibling under the sibling's original name. */
        { "compose-v1__extends-healthcheck-2.yml",
          (const char *const[]) { "healthcheck-1.yml", "@compose-v1__extends-healthcheck-1.yml", NULL } },
        { "compose__publish-env_file-forms.yml",
          (const char *const[]) { "common.yaml", "services:\n  foo:\n    image: test\n    environment:\n      COMMON: \"1\"\n",
                                  "test.env", "", NULL } },
        /* An override of frappe's database service, defined in another of its files. */
        { "frappe-docker__override-mariadb-secrets.yml",
          (const char *const[]) { "compose.base.yaml",
                                  "services:\n  db:\n    image: mariadb:10.6\n    environment:\n      MYSQL_ROOT_PASSWORD: admin\n",
                                  "db-password.txt", "secret\n", NULL },
          (const char *const[]) { "DB_PASSWORD_SECRETS_FILE=db-password.txt", NULL },
          "compose.base.yaml" },
        { "ghost-docker__compose.yml", (const char *const[]) { ".env", "", NULL },
          (const char *const[]) { "DOMAIN=example.com", "DATABASE_PASSWORD=pw", "DATABASE_ROOT_PASSWORD=pw", NULL } },
        { "netbox-docker__docker-compose.yml",
          (const char *const[]) { "env/netbox.env", "", "env/postgres.env", "", "env/redis.env", "",
                                  "env/redis-cache.env", "", NULL } },
        { "sentry-self-hosted__docker-compose.yml", .env = sentry_env },
        /* A schema fixture: one ${VARIABLE} in fields of every type, integers, booleans and
         * durations alike; no single value loads, with docker compose either. */
        { "compose-go__using-variables.yml", .rejected = "failed to cast to expected type" },
        /* A spec excerpt: its services depend on a gateway service the excerpt leaves out. */
        { "compose-spec__extension-x-function.yml", .rejected = "depends on undefined service \"gateway\"" },
};

static const CorpusCase *find_case(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (streq(cases[i].name, name))
                        return &cases[i];
        return NULL;
}

static char *corpus_file(const char *sub, const char *name) {
        _cleanup_free_ char *dir = path_join(tap_env("NC_CORPUS_DIR"), sub);

        ASSERT_NOT_NULL(dir);
        return path_join(dir, name);
}

static int not_hidden(const struct dirent *de) {
        return de->d_name[0] != '.';
}

/* The names in @dir, sorted. */
static char **list_dir(const char *dir) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        struct dirent **entries;
        int n = scandir(dir, &entries, not_hidden, alphasort);

        if (n < 0)
                TAP_FAIL("%s: %s", dir, strerror(errno));
        for (int i = 0; i < n; i++) {
                ASSERT_OK(strv_extend(&l, entries[i]->d_name));
                free(entries[i]);
        }
        free(entries);
        return TAKE_PTR(l);
}

static void write_text(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *path = path_join(dir, name), *parent = NULL, *copy = NULL;

        ASSERT_NOT_NULL(path);
        if (text[0] == '@') {
                _cleanup_free_ char *src = corpus_file("compose", text + 1);

                ASSERT_OK(read_full_file(src, &copy, NULL));
                text = copy;
        }
        parent = path_dirname(path);
        ASSERT_OK(mkdir_parents_and_self(parent, 0755));
        ASSERT_OK(write_file_atomic(path, text, strlen(text), 0644));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 ? -errno : 0;
}

/* Only ever called on a directory this test made with mkdtemp(). */
static void remove_tree(const char *dir) {
        (void) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A failed assertion abort()s: the scratch directory goes with the process. */
static char scratch[] = "/tmp/test-compose-corpus-XXXXXX";

static void remove_scratch_on_abort(int sig) {
        remove_tree(scratch);
        signal(sig, SIG_DFL);
        raise(sig);
}

static const char *scratch_dir(void) {
        if (!endswith(scratch, "XXXXXX"))
                return scratch;
        ASSERT_NOT_NULL(mkdtemp(scratch));
        signal(SIGABRT, remove_scratch_on_abort);
        return scratch;
}

/* ---- valid files ---------------------------------------------------------------------------- */

static void check_roundtrip(const char *name, const ComposeProject *p, const char *path, const ComposeOptions *o,
                            char *(*dump)(const ComposeNode *root), const char *what) {
        _cleanup_(compose_project_freep) ComposeProject *again = NULL;
        _cleanup_free_ char *text = NULL;
        NcError err = {};
        RoundtripResult r;

        r = compose_roundtrip(p->model, dump, path, o, &text, &again, &err);
        if (r == ROUNDTRIP_EQUAL)
                return;
        printf("# %s:\n", name);
        compose_roundtrip_report(stdout, r, what, text, p->model, again, &err);
        TAP_FAIL("%s: the %s output of config is not stable", name, what);
}

static void write_siblings(const CorpusCase *c, const char *dir) {
        for (size_t i = 0; c && c->siblings && c->siblings[i]; i += 2)
                write_text(dir, c->siblings[i], c->siblings[i + 1]);
}

/* Loads corpus file @name as DIR/compose.yml (after the case's base file, if any). Returns whether
 * it loaded; a file docker compose rejects too must fail with the case's message. */
static bool check_valid_file(const char *name, const char *dir) {
        const CorpusCase *c = find_case(name);
        _cleanup_free_ char *path = path_join(dir, "compose.yml"), *base = NULL, *source = NULL;
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        char *files[3] = {}, buf[1024];
        ComposeOptions o = { .files = files, .environ = c ? (char **) c->env : NULL };
        NcError err = {};
        int r;

        ASSERT_NOT_NULL(path);
        ASSERT_TRUE(asprintf(&source, "@%s", name) >= 0);
        write_text(dir, "compose.yml", source);
        write_siblings(c, dir);
        base = c && c->base ? path_join(dir, c->base) : NULL;
        files[0] = base ?: path;
        files[1] = base ? path : NULL;

        r = compose_project_load(&o, &p, &err);
        if (c && c->rejected) {
                tap_diag("%s: rejected as docker compose does: %s", name, nc_error_format(&err, buf, sizeof buf));
                ASSERT_TRUE(r < 0);
                ASSERT_STRCONTAINS(err.message, c->rejected);
                return false;
        }
        if (r < 0)
                TAP_FAIL("%s: %s", name, nc_error_format(&err, buf, sizeof buf));
        ASSERT_NOT_NULL(compose_map_get(p->model, "services"));
        /* The reload reads the dump as the last file: the model holds the merge of all of them. */
        check_roundtrip(name, p, path, &o, compose_dump_yaml, "YAML");
        check_roundtrip(name, p, path, &o, compose_dump_json, "JSON");
        return true;
}

TEST(valid_files_load_and_config_is_stable) {
        _cleanup_free_ char *dir = corpus_file("compose", "");
        const char *top;
        _cleanup_strv_free_ char **names = list_dir(dir);
        size_t loaded = 0, n = 0;

        top = scratch_dir();
        STRV_FOREACH(f, names) {
                _cleanup_free_ char *project = path_join(top, *f);

                ASSERT_OK(mkdir_parents_and_self(project, 0755));
                loaded += check_valid_file(*f, project);
                n++;
        }
        remove_tree(top);
        printf("# %zu of %zu corpus files loaded and round-tripped\n", loaded, n);
        /* Every case of the table names a corpus file, and every file but the rejected ones loads. */
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                ASSERT_TRUE(strv_contains(names, cases[i].name));
        ASSERT_EQ(loaded + 2, n);
}

/* ---- invalid files -------------------------------------------------------------------------- */

typedef struct InvalidCase {
        const char *name;               /* file in compose-invalid/ */
        const char *as;                 /* name to save it under */
        const char *message;            /* fragment the README expects */
        unsigned line, column;          /* where the message points; 0/0: no position (the whole file) */
        bool any_position;              /* a position the README does not give: require one, any */
} InvalidCase;

static const InvalidCase invalid_cases[] = {
        { "compose-go__depends-on-cycle.yml", "compose.yml",
          "dependency cycle detected: service1 -> service2 -> service3 -> service1", .any_position = true },
        { "compose-go__depends-on-self.yml", "compose.yml",
          "dependency cycle detected: service1 -> service1", .any_position = true },
        { "compose-go__empty.yml", "compose.yml", "empty compose file" },
        /* It includes itself by its original name. */
        { "compose-go__include-cycle.yml", "compose-include-cycle.yaml", "include cycle detected", 2, 5 },
        { "compose-spec__build-duplicate-service-key.yml", "compose.yml", "mapping key \"base\" already defined", 9, 2 },
        { "compose-v1__duplicate-keys.yml", "compose.yml", "mapping key \"command\" already defined", 4, 3 },
        { "compose-v1__legacy-v1-format-ports.yml", "compose.yml", "additional property simple is not allowed", 2, 1 },
        { "compose__wrong-composefile-unknown-field.yml", "compose.yml",
          "services.simple: additional property wrongField is not allowed", 4, 5 },
};

static void check_invalid_file(const InvalidCase *c, const char *dir) {
        _cleanup_free_ char *path = path_join(dir, c->as), *source = NULL, *prefix = NULL;
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        char *files[] = { path, NULL }, buf[1024];
        ComposeOptions o = { .files = files };
        NcError err = {};
        const char *shown;

        ASSERT_TRUE(asprintf(&source, "@../compose-invalid/%s", c->name) >= 0);
        write_text(dir, c->as, source);
        ASSERT_TRUE(compose_project_load(&o, &p, &err) < 0);
        shown = nc_error_format(&err, buf, sizeof buf);
        printf("# %s: %s\n", c->name, shown);
        ASSERT_STRCONTAINS(err.message, c->message);
        /* What the user sees starts with file:line:column (or just the file). */
        if (c->any_position) {
                ASSERT_TRUE(err.line > 0 && err.column > 0);
                ASSERT_TRUE(asprintf(&prefix, "%s:%u:%u: ", path, err.line, err.column) >= 0);
        } else if (c->line > 0)
                ASSERT_TRUE(asprintf(&prefix, "%s:%u:%u: ", path, c->line, c->column) >= 0);
        else
                ASSERT_TRUE(asprintf(&prefix, "%s: ", path) >= 0);
        if (!startswith(shown, prefix))
                TAP_FAIL("%s: expected the message to start with \"%s\"", c->name, prefix);
}

TEST(invalid_files_are_rejected_with_position) {
        _cleanup_free_ char *dir = corpus_file("compose-invalid", "");
        const char *top;
        _cleanup_strv_free_ char **names = list_dir(dir);

        ASSERT_EQ(strv_length(names), ELEMENTSOF(invalid_cases));
        top = scratch_dir();
        for (size_t i = 0; i < ELEMENTSOF(invalid_cases); i++) {
                _cleanup_free_ char *project = path_join(top, invalid_cases[i].name);

                ASSERT_TRUE(strv_contains(names, invalid_cases[i].name));
                ASSERT_OK(mkdir_parents_and_self(project, 0755));
                check_invalid_file(&invalid_cases[i], project);
        }
        remove_tree(top);
}

TAP_MAIN();
