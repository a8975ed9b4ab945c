/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Golden files: every tests/data/render/<case>/compose.yml renders to exactly the tree below
 * <case>/expected/ (byte for byte, symlinks by target), or, for a case with expected-error.txt, fails
 * with exactly that message. Regenerate after an intended change with
 *     NC_REGENERATE=1 meson test -C build desired-golden
 * and review the diff. Rendered units must also pass `systemd-analyze verify`. */
#include <dirent.h>
#include <sys/stat.h>

#include "reconcile/runtime/runtime.h"
#include "tests/unit/test-desired-util.h"

/* Fixed environment for the cases: the loader reads nothing from the test's own. */
static char *case_environ[] = {
        (char *) "TOKEN=t0k%n$HOME\"'\\",
        (char *) "GREETING=grüße aus 100% $x",
        NULL,
};

static char *source_path(const char *rel) {
        char *r;

        ASSERT_NOT_NULL(getenv("NC_SOURCE_ROOT"));
        ASSERT_TRUE(asprintf(&r, "%s/%s", getenv("NC_SOURCE_ROOT"), rel) > 0);
        return r;
}

static int load_case(const char *dir, ComposeProject **ret, NcError *err) {
        _cleanup_free_ char *file = NULL;
        char *files[2] = {};
        ComposeOptions o = { .files = files, .project_directory = dir, .environ = case_environ };

        ASSERT_TRUE(asprintf(&file, "%s/compose.yml", dir) > 0);
        files[0] = file;
        return compose_project_load(&o, ret, err);
}

/* "file:line:col: message" with the source root cut off, so the text does not depend on the checkout. */
static char *error_text(const NcError *err) {
        const char *root = getenv("NC_SOURCE_ROOT");
        char buf[1024], *r;
        const char *s = nc_error_format(err, buf, sizeof buf), *rest = startswith(s, root);

        ASSERT_TRUE(asprintf(&r, "%s\n", rest ? rest + (*rest == '/') : s) > 0);
        return r;
}

static void regenerate(const DesiredState *s, const char *expected) {
        _cleanup_free_ char *cmd = NULL;
        NcError err = {};

        ASSERT_TRUE(asprintf(&cmd, "rm -rf '%s'", expected) > 0);
        ASSERT_EQ(system(cmd), 0);
        ASSERT_OK(desired_write(s, expected, true, &err));
        printf("# regenerated %s\n", expected);
}

/* Every path below @dir (files and symlinks), relative, sorted. */
static void list_tree(const char *dir, const char *rel, char ***l) {
        _cleanup_free_ char *path = NULL;
        struct dirent *de;
        DIR *d;

        ASSERT_TRUE(asprintf(&path, "%s%s", dir, rel) > 0);
        d = opendir(path);
        ASSERT_NOT_NULL(d);
        while ((de = readdir(d))) {
                _cleanup_free_ char *sub = NULL;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                ASSERT_TRUE(asprintf(&sub, "%s/%s", rel, de->d_name) > 0);
                if (de->d_type == DT_DIR)
                        list_tree(dir, sub, l);
                else
                        ASSERT_OK(strv_extend(l, sub));
        }
        closedir(d);
        strv_sort(*l);
}

static void compare_tree(const DesiredState *s, const char *expected) {
        _cleanup_strv_free_ char **have = NULL;

        list_tree(expected, "", &have);
        ASSERT_EQ(strv_length(have), s->n_files);
        for (size_t i = 0; i < s->n_files; i++) {
                const DesiredFile *f = &s->files[i];
                _cleanup_free_ char *path = path_join(expected, f->path), *data = NULL;
                char target[4096];
                ssize_t n;

                ASSERT_STREQ(have[i], f->path);
                if (f->symlink) {
                        n = readlink(path, target, sizeof target - 1);
                        ASSERT_TRUE(n > 0);
                        target[n] = 0;
                        ASSERT_STREQ(target, f->symlink);
                        continue;
                }
                ASSERT_OK(read_full_file(path, &data, NULL));
                if (!streq(data, f->content))
                        TAP_FAIL("%s differs from the rendered file:\n%s", path, f->content);
        }
}

/* Every S.json must be what run-service reads. */
static void parse_settings(const DesiredState *s) {
        for (size_t i = 0; i < s->n_services; i++) {
                _cleanup_(service_spec_freep) ServiceSpec *spec = NULL;
                NcError err = {};
                char buf[1024];

                if (service_spec_parse(desired_state_find_file(s, s->services[i].settings_path)->content,
                                       s->services[i].settings_path, &spec, &err) < 0)
                        TAP_FAIL("run-service cannot read it: %s", nc_error_format(&err, buf, sizeof buf));
                ASSERT_STREQ(spec->machine, s->services[i].machine);
        }
}

/* Set when systemd-analyze is missing: the cases that rendered units then report a skip. */
static bool units_unverified;

static void verify_case(const ComposeProject *p) {
        DesiredOptions o = { .exe = "/bin/true" };
        _cleanup_(desired_state_freep) DesiredState *s = NULL;
        _cleanup_free_ char *units = NULL;
        NcError err = {};
        int r;

        ASSERT_OK(desired_render(p, &o, &s, &err));
        parse_settings(s);
        ASSERT_OK(desired_write(s, test_tmpdir_new(), true, &err));
        ASSERT_TRUE(asprintf(&units, "%s/etc/systemd/system", test_tmpdir) > 0);
        r = verify_units_in(units);
        if (r == 77)
                units_unverified = true;
        else
                ASSERT_OK(r);
        test_tmpdir_remove();
}

static void run_case(const char *dir) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(desired_state_freep) DesiredState *s = NULL;
        _cleanup_free_ char *expected = NULL, *errfile = NULL, *want = NULL, *got = NULL;
        bool regen = getenv("NC_REGENERATE");
        NcError err = {};
        int r;

        ASSERT_TRUE(asprintf(&expected, "%s/expected", dir) > 0);
        ASSERT_TRUE(asprintf(&errfile, "%s/expected-error.txt", dir) > 0);
        r = load_case(dir, &p, &err);
        if (r >= 0)
                r = desired_render(p, NULL, &s, &err);
        if (r < 0) {
                got = error_text(&err);
                if (regen)
                        ASSERT_OK(write_file_atomic(errfile, got, strlen(got), 0644));
                ASSERT_OK(read_full_file(errfile, &want, NULL));
                ASSERT_STREQ(got, want);
                return;
        }
        if (regen)
                regenerate(s, expected);
        compare_tree(s, expected);
        verify_case(p);
}

TEST(golden_cases) {
        _cleanup_free_ char *root = source_path("tests/data/render");
        _cleanup_strv_free_ char **cases = NULL;
        struct dirent *de;
        DIR *d = opendir(root);

        ASSERT_NOT_NULL(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        ASSERT_OK(strv_consume(&cases, path_join(root, de->d_name)));
        closedir(d);
        strv_sort(cases);
        ASSERT_TRUE(strv_length(cases) >= 3);
        STRV_FOREACH(c, cases) {
                printf("# case %s\n", *c + strlen(root) + 1);
                fflush(stdout);
                run_case(*c);
        }
        if (units_unverified)
                TAP_SKIP("systemd-analyze not installed: units not verified");
}

/* Every published compose file of the corpus either renders (and its units pass verify) or render
 * says what it cannot honour, with a key path; files the loader rejects are counted, not judged. */
/* Loads a corpus file; an env_file it names but does not ship is given as an empty file, in a copy
 * of the file in a temporary project directory. */
static int corpus_load(const char *path, ComposeProject **ret, NcError *err) {
        _cleanup_free_ char *data = NULL, *copy = NULL, *parent = path_dirname(path), *dir = NULL;
        char *files[2] = { (char *) path, NULL };
        ComposeOptions co = { .files = files };
        int r;

        dir = realpath(parent, NULL);   /* the loader names files by their resolved path */
        ASSERT_NOT_NULL(dir);
        for (unsigned tries = 0; ; tries++) {
                const char *missing, *end, *base;
                _cleanup_free_ char *rel = NULL, *empty = NULL;

                *err = (NcError) {};
                r = compose_project_load(&co, ret, err);
                if (r >= 0 || tries > 8 || !(missing = strstr(err->message, "env file ")) ||
                    !(end = strstr(missing, " not found")))
                        return r;
                missing += strlen("env file ");
                base = copy ? test_tmpdir : dir;
                if (!startswith(missing, base))
                        return r;
                missing += strlen(base);
                if (!copy) {
                        ASSERT_OK(read_full_file(path, &data, NULL));
                        ASSERT_TRUE(asprintf(&copy, "%s/compose.yml", test_tmpdir_new()) > 0);
                        ASSERT_OK(write_file_atomic(copy, data, strlen(data), 0644));
                        files[0] = copy;
                }
                rel = strndup(missing, end - missing);
                empty = path_join(test_tmpdir, rel);
                ASSERT_OK(write_file_atomic(empty, "", 0, 0644));
        }
}

static void corpus_file(const char *path, unsigned *rendered, unsigned *refused, unsigned *unloaded) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(desired_state_freep) DesiredState *s = NULL;
        NcError err = {};
        char buf[1024];
        int r;

        r = corpus_load(path, &p, &err);
        if (r < 0) {
                tap_diag("  not loaded: %s", nc_error_format(&err, buf, sizeof buf));
                test_tmpdir_remove();
                (*unloaded)++;
                return;
        }
        r = desired_render(p, NULL, &s, &err);
        if (r < 0) {
                if (isempty(err.message))
                        TAP_FAIL("%s: render failed without a message: %s", path, strerror(-r));
                tap_diag("  refused: %s", nc_error_format(&err, buf, sizeof buf));
                test_tmpdir_remove();
                (*refused)++;
                return;
        }
        verify_case(p);
        (*rendered)++;
}

TEST(corpus) {
        _cleanup_free_ char *root = path_join(tap_env("NC_CORPUS_DIR"), "compose");
        _cleanup_strv_free_ char **files = NULL;
        unsigned rendered = 0, refused = 0, unloaded = 0;
        struct dirent *de;
        DIR *d = opendir(root);

        if (!d)
                TAP_FAIL("%s: %s", root, strerror(errno));
        while ((de = readdir(d)))
                if (endswith(de->d_name, ".yml") || endswith(de->d_name, ".yaml"))
                        ASSERT_OK(strv_consume(&files, path_join(root, de->d_name)));
        closedir(d);
        strv_sort(files);
        STRV_FOREACH(f, files) {
                printf("# %s\n", *f + strlen(root) + 1);
                fflush(stdout);
                corpus_file(*f, &rendered, &refused, &unloaded);
        }
        printf("# corpus: %u rendered and verified, %u refused with a reason, %u not loaded\n",
               rendered, refused, unloaded);
        ASSERT_TRUE(rendered > 0);
        if (units_unverified)
                TAP_SKIP("systemd-analyze not installed: units not verified");
}

TAP_MAIN();
