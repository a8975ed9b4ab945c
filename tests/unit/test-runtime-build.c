/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "reconcile/runtime/runtime-internal.h"
#include "tests/tap.h"

/* ---- .dockerignore ---- */

static bool excluded(const char *ignore, const char *path) {
        _cleanup_(dockerignore_freep) DockerIgnore *d = NULL;

        ASSERT_OK(dockerignore_parse(ignore, &d));
        return dockerignore_excluded(d, path);
}

TEST(pattern_star_and_question_stay_in_one_component) {
        ASSERT_TRUE(dockerignore_pattern_match("*.log", "a.log"));
        ASSERT_FALSE(dockerignore_pattern_match("*.log", "dir/a.log"));
        ASSERT_TRUE(dockerignore_pattern_match("*/*.log", "dir/a.log"));
        ASSERT_TRUE(dockerignore_pattern_match("a?c", "abc"));
        ASSERT_FALSE(dockerignore_pattern_match("a?c", "a/c"));
        ASSERT_FALSE(dockerignore_pattern_match("a*", "a/b"));
        ASSERT_TRUE(dockerignore_pattern_match("a*", "a"));
}

TEST(pattern_double_star_spans_components) {
        ASSERT_TRUE(dockerignore_pattern_match("**/*.go", "a.go"));
        ASSERT_TRUE(dockerignore_pattern_match("**/*.go", "x/y/a.go"));
        ASSERT_FALSE(dockerignore_pattern_match("**/*.go", "x/y/a.goo"));
        ASSERT_TRUE(dockerignore_pattern_match("a/**/b", "a/b"));
        ASSERT_TRUE(dockerignore_pattern_match("a/**/b", "a/x/y/b"));
        ASSERT_FALSE(dockerignore_pattern_match("a/**/b", "ab"));
        ASSERT_TRUE(dockerignore_pattern_match("a/**", "a/x/y"));
        ASSERT_TRUE(dockerignore_pattern_match("**", "anything/at/all"));
}

TEST(pattern_classes_and_escapes) {
        ASSERT_TRUE(dockerignore_pattern_match("[abc].txt", "b.txt"));
        ASSERT_FALSE(dockerignore_pattern_match("[abc].txt", "d.txt"));
        ASSERT_TRUE(dockerignore_pattern_match("[a-c]x", "bx"));
        ASSERT_TRUE(dockerignore_pattern_match("[^a-c]x", "dx"));
        ASSERT_FALSE(dockerignore_pattern_match("[!a-c]x", "ax"));
        ASSERT_TRUE(dockerignore_pattern_match("\\*.txt", "*.txt"));
        ASSERT_FALSE(dockerignore_pattern_match("\\*.txt", "a.txt"));
        ASSERT_TRUE(dockerignore_pattern_match("[", "["));  /* an unclosed class is a literal */
}

TEST(comments_blank_lines_whitespace_and_cleaning) {
        const char *ig = "# a comment\n\n   secret.txt  \n/abs/./path/\n./x/../y\n";

        ASSERT_TRUE(excluded(ig, "secret.txt"));
        ASSERT_FALSE(excluded(ig, "# a comment"));
        ASSERT_TRUE(excluded(ig, "abs/path"));
        ASSERT_TRUE(excluded(ig, "abs/path/below"));
        ASSERT_TRUE(excluded(ig, "y"));
        ASSERT_FALSE(excluded(ig, "x"));
        ASSERT_FALSE(excluded(NULL, "anything"));
}

TEST(a_directory_pattern_covers_what_is_below) {
        ASSERT_TRUE(excluded("node_modules\n", "node_modules/a/b.js"));
        ASSERT_FALSE(excluded("node_modules\n", "src/node_modules"));
        ASSERT_TRUE(excluded("**/node_modules\n", "src/node_modules/x"));
}

TEST(exceptions_and_the_last_match_wins) {
        const char *ig = "*.md\n!README.md\n";

        ASSERT_TRUE(excluded(ig, "CHANGES.md"));
        ASSERT_FALSE(excluded(ig, "README.md"));
        /* later exclusion beats an earlier exception */
        ASSERT_TRUE(excluded("*.md\n!README*.md\nREADME-secret.md\n", "README-secret.md"));
        ASSERT_FALSE(excluded("*.md\n!README*.md\nREADME-secret.md\n", "README-public.md"));
        /* everything but one directory */
        ASSERT_TRUE(excluded("*\n!src\n", "docs/a"));
        ASSERT_FALSE(excluded("*\n!src\n", "src/main.c"));
        ASSERT_TRUE(excluded("*\n!src\nsrc/*.o\n", "src/main.o"));
}

/* ---- the context hash ---- */

static char dir[] = "/tmp/test-runtime-build.XXXXXX";

static void put(const char *rel, const char *data) {
        _cleanup_free_ char *p = path_join(dir, rel);

        ASSERT_OK(write_file_atomic(p, data, strlen(data), 0644));
}

static void hash(const ImageBuildSpec *s, char out[static 65]) {
        NcError err = {};

        if (image_build_hash(s, out, &err) < 0)
                TAP_FAIL("image_build_hash: %s", err.message);
}

static void assert_changes(const ImageBuildSpec *s, char before[static 65], bool changes, const char *what) {
        char now[65];

        hash(s, now);
        if (changes == streq(before, now))
                TAP_FAIL("%s: the hash %s", what, changes ? "did not change" : "changed");
        memcpy(before, now, 65);
}

TEST(context_hash_follows_what_the_build_sends) {
        _cleanup_free_ char *sub = NULL;
        char h[65];
        ImageBuildSpec s = { .image = "test", .context = dir };
        char *args[] = { (char *) "A=1", NULL }, *args2[] = { (char *) "A=2", NULL };

        ASSERT_NOT_NULL(mkdtemp(dir));
        put("Dockerfile", "FROM scratch\nCOPY . /\n");
        put("app.txt", "one\n");
        put(".dockerignore", "*.log\nbuild\n!build/keep\n");
        hash(&s, h);

        assert_changes(&s, h, false, "nothing changed");
        put("app.txt", "two\n");
        assert_changes(&s, h, true, "content of a file");
        put("debug.log", "noise\n");
        assert_changes(&s, h, false, "an ignored file added");
        put("debug.log", "more noise\n");
        assert_changes(&s, h, false, "an ignored file changed");
        put("build/out.o", "obj\n");
        assert_changes(&s, h, false, "a file in an ignored directory");
        put("build/keep", "kept\n");
        assert_changes(&s, h, true, "an exception in an ignored directory");
        put("new/file", "x\n");
        assert_changes(&s, h, true, "a new file");
        sub = path_join(dir, "new/file");
        ASSERT_EQ(chmod(sub, 0755), 0);
        assert_changes(&s, h, true, "a mode");
        ASSERT_EQ(unlink(sub), 0);
        ASSERT_EQ(symlink("app.txt", sub), 0);
        assert_changes(&s, h, true, "a file became a symlink");
        put("Dockerfile", "FROM scratch\nCOPY . /app\n");
        assert_changes(&s, h, true, "the Dockerfile");
        s.args = args;
        assert_changes(&s, h, true, "an arg");
        s.args = args2;
        assert_changes(&s, h, true, "an arg's value");
        s.target = "final";
        assert_changes(&s, h, true, "the target");
        s.network = "none";
        assert_changes(&s, h, true, "the network");
        s.tags = args;          /* more names of the result are no input of the build */
        assert_changes(&s, h, false, "tags");
        put(".dockerignore", "*.log\n");
        assert_changes(&s, h, true, ".dockerignore now lets build/ in");
        s.dockerfile_inline = "FROM scratch\n";
        assert_changes(&s, h, true, "an inline Dockerfile");

        ASSERT_OK(rm_rf(dir));
}

TEST(missing_context_or_dockerfile_is_an_error) {
        char d[] = "/tmp/test-runtime-build.XXXXXX", h[65];
        ImageBuildSpec s = { .image = "test", .context = d, .dockerfile = "Containerfile" };
        NcError err = {};

        ASSERT_NOT_NULL(mkdtemp(d));
        ASSERT_EQ(image_build_hash(&s, h, &err), -ENOENT);
        ASSERT_STRCONTAINS(err.message, "Containerfile");
        ASSERT_OK(rm_rf(d));
        err = (NcError) {};
        ASSERT_EQ(image_build_hash(&s, h, &err), -ENOENT);
        ASSERT_STRCONTAINS(err.message, "build context");
}

/* ---- buildah's errors ---- */

TEST(a_failing_step_is_found_in_the_dockerfile) {
        const char *df = "# syntax comment\nARG B=x\nFROM $B AS base\n\nRUN true\nRUN  echo a \\\n"
                         "  # a comment inside\n    b\nrun false\nFOO bar\nRUN false && more\n";

        ASSERT_EQ(rt_dockerfile_step_line(df, "RUN true"), 5);
        ASSERT_EQ(rt_dockerfile_step_line(df, "RUN echo a b"), 6);      /* continuation lines joined */
        ASSERT_EQ(rt_dockerfile_step_line(df, "RUN false"), 9);         /* case aside; exact before prefix */
        ASSERT_EQ(rt_dockerfile_step_line(df, "FOO "), 10);             /* buildah drops the arguments */
        ASSERT_EQ(rt_dockerfile_step_line(df, "COPY x /"), 0);
        ASSERT_EQ(rt_dockerfile_step_line(df, ""), 0);
}

TEST(the_builder_error_is_its_last_error_line_at_the_dockerfile_line) {
        const char *df = "FROM x\nRUN true\nFOO bar\n";
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        a = rt_builder_error("level=error msg=noise\nError: building at STEP \"FOO \": Build error: Unknown "
                             "instruction: \"FOO\" &imagebuilder.Step{Env:[]string{}}", "Dockerfile", df);
        ASSERT_STREQ(a, "Dockerfile:3: building at STEP \"FOO \": Build error: Unknown instruction: \"FOO\"");
        b = rt_builder_error("subprocess exited with status 1\nError: building at STEP \"RUN nothere\": exit "
                             "status 1\n", "Dockerfile", df);
        ASSERT_STREQ(b, "building at STEP \"RUN nothere\": exit status 1");
        c = rt_builder_error("just some output", "Dockerfile", NULL);
        ASSERT_STREQ(c, "just some output");
}

TAP_MAIN();
