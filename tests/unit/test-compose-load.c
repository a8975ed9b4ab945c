/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <sys/stat.h>

#include "reconcile/compose/compose.h"
#include "lib/fileio.h"
#include "lib/strv.h"
#include "tests/tap.h"

/* compose_project_load() end to end on files in a scratch directory: which files it finds, how it
 * names the project, .env and the environment, profiles, extends and include with their paths. */

static char scratch[] = "/tmp/test-compose-load.XXXXXX";

static void put(const char *rel, const char *text) {
        _cleanup_free_ char *p = path_join(scratch, rel);

        ASSERT_OK(write_file_atomic(p, text, strlen(text), 0644));
}

static char *at(const char *rel) {
        return path_join(scratch, rel);
}

static ComposeProject *load(const ComposeOptions *o, NcError *err) {
        ComposeProject *p = NULL;

        if (compose_project_load(o, &p, err) < 0)
                return NULL;
        return p;
}

static ComposeNode *service(const ComposeProject *p, const char *name) {
        return compose_map_get(compose_map_get(p->model, "services"), name);
}

static const char *env_of(const ComposeProject *p, const char *svc, const char *key) {
        return compose_map_get_str(compose_map_get(service(p, svc), "environment"), key);
}

TEST(finds_default_file_and_override_and_names_project_after_dir) {
        _cleanup_free_ char *dir = at("My_Proj.1");
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        ComposeOptions o = { .project_directory = dir };

        put("My_Proj.1/compose.yaml", "services:\n  a:\n    image: x\n    environment: {K: base}\n");
        put("My_Proj.1/compose.override.yaml", "services:\n  a:\n    environment: {K: override}\n");
        put("My_Proj.1/docker-compose.yml", "services:\n  ignored: {image: y}\n");
        p = load(&o, NULL);
        ASSERT_NOT_NULL(p);
        ASSERT_STREQ(p->name, "my_proj1");
        ASSERT_STREQ(env_of(p, "a", "K"), "override");
        ASSERT_NULL(service(p, "ignored"));
}

TEST(compose_file_variable_and_project_name_precedence) {
        _cleanup_free_ char *dir = at("envsel"), *one = NULL;
        _cleanup_(compose_project_freep) ComposeProject *p = NULL, *q = NULL, *r = NULL;
        char *env[] = { (char*) "COMPOSE_FILE=one.yml:two.yml", (char*) "COMPOSE_PROJECT_NAME=FromEnv", NULL };
        ComposeOptions o = { .project_directory = dir, .environ = env };

        put("envsel/one.yml", "name: fromfile\nservices:\n  a: {image: one}\n");
        put("envsel/two.yml", "services:\n  a: {image: two}\n");
        p = load(&o, NULL);
        ASSERT_NOT_NULL(p);
        ASSERT_STREQ(compose_map_get_str(service(p, "a"), "image"), "two");
        ASSERT_STREQ(p->name, "fromenv");               /* COMPOSE_PROJECT_NAME over name: */
        o.project_name = "Flag";
        q = load(&o, NULL);
        ASSERT_STREQ(q->name, "flag");                   /* -p over everything */
        one = at("envsel/one.yml");
        r = load(&(ComposeOptions) { .files = (char*[]) { one, NULL } }, NULL);
        ASSERT_STREQ(r->name, "fromfile");              /* name: over the directory */
}

TEST(dotenv_and_process_environment) {
        _cleanup_free_ char *dir = at("dotenv"), *alt = at("dotenv/alt.env");
        _cleanup_(compose_project_freep) ComposeProject *p = NULL, *q = NULL;
        char *env[] = { (char*) "B=process", NULL };
        ComposeOptions o = { .project_directory = dir, .environ = env };

        put("dotenv/.env", "A=dot\nB=dot\nC=${A}-x\n");
        put("dotenv/alt.env", "A=alt\n");
        put("dotenv/compose.yml", "services:\n  s:\n    image: i\n    environment: [\"A=$A\", \"B=${B}\", \"C=$C\", \"D=${D:-def}\"]\n");
        p = load(&o, NULL);
        ASSERT_NOT_NULL(p);
        ASSERT_STREQ(env_of(p, "s", "A"), "dot");
        ASSERT_STREQ(env_of(p, "s", "B"), "process");   /* the process environment wins over .env */
        ASSERT_STREQ(env_of(p, "s", "C"), "dot-x");
        ASSERT_STREQ(env_of(p, "s", "D"), "def");
        o.env_files = (char*[]) { alt, NULL };          /* --env-file replaces .env */
        q = load(&o, NULL);
        ASSERT_STREQ(env_of(q, "s", "A"), "alt");
        ASSERT_STREQ(env_of(q, "s", "C"), "");
        ASSERT_TRUE(strv_length(q->warnings) >= 1);     /* C unset: a warning */
}

TEST(profiles_from_option_and_environment) {
        _cleanup_free_ char *dir = at("prof");
        _cleanup_(compose_project_freep) ComposeProject *p = NULL, *q = NULL;
        char *env[] = { (char*) "COMPOSE_PROFILES=debug,test", NULL };
        ComposeOptions o = { .project_directory = dir };

        put("prof/compose.yml", "services:\n  a: {image: a}\n  b: {image: b, profiles: [test]}\n"
                                "  c: {image: c, profiles: [debug], depends_on: [b]}\n");
        p = load(&o, NULL);
        ASSERT_NOT_NULL(p);
        ASSERT_NOT_NULL(service(p, "a"));
        ASSERT_NULL(service(p, "b"));
        ASSERT_NULL(service(p, "c"));
        o.environ = env;
        q = load(&o, NULL);
        ASSERT_NOT_NULL(service(q, "b"));
        ASSERT_NOT_NULL(service(q, "c"));
}

TEST(extends_same_file_other_file_and_cycles) {
        _cleanup_free_ char *dir = at("ext"), *base_env = at("ext/lib/base.env");
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        ComposeOptions o = { .project_directory = dir };
        NcError err = {};

        put("ext/lib/base.yml", "services:\n  base:\n    image: base\n    env_file: base.env\n"
                                "    environment: {FROM: base, KEEP: yes}\n");
        put("ext/lib/base.env", "E=from-base-env\n");
        put("ext/compose.yml", "services:\n"
                               "  common: {image: common, environment: {FROM: common}}\n"
                               "  web: {extends: common, command: [x]}\n"
                               "  api:\n    extends: {file: lib/base.yml, service: base}\n"
                               "    environment: {FROM: api}\n");
        p = load(&o, &err);
        ASSERT_NOT_NULL(p);
        ASSERT_STREQ(compose_map_get_str(service(p, "web"), "image"), "common");
        ASSERT_STREQ(env_of(p, "web", "FROM"), "common");
        ASSERT_STREQ(env_of(p, "api", "FROM"), "api");
        ASSERT_STREQ(env_of(p, "api", "KEEP"), "yes");
        ASSERT_STREQ(env_of(p, "api", "E"), "from-base-env");   /* env_file relative to lib/ */
        ASSERT_NULL(compose_map_get(service(p, "api"), "extends"));

        put("ext/cycle.yml", "services:\n  a: {image: i, extends: b}\n  b: {image: i, extends: a}\n");
        compose_project_free(p);
        _cleanup_free_ char *cycle = at("ext/cycle.yml");
        err = (NcError) {};
        p = load(&(ComposeOptions) { .files = (char*[]) { cycle, NULL } }, &err);
        ASSERT_NULL(p);
        ASSERT_STRCONTAINS(err.message, "circular reference");
}

TEST(include_resolves_paths_where_written_and_rejects_conflicts) {
        _cleanup_free_ char *dir = at("inc"), *data = at("inc/sub/data");
        _cleanup_(compose_project_freep) ComposeProject *p = NULL, *q = NULL;
        ComposeOptions o = { .project_directory = dir };
        const ComposeNode *vol;
        NcError err = {};

        put("inc/sub/compose.yml", "services:\n  db:\n    image: db\n    volumes: [\"./data:/var/lib/db\"]\n");
        put("inc/compose.yml", "include: [sub/compose.yml]\nservices:\n  web: {image: web, depends_on: [db]}\n");
        p = load(&o, &err);
        ASSERT_NOT_NULL(p);
        vol = compose_map_get(service(p, "db"), "volumes")->items[0];
        ASSERT_STREQ(compose_map_get_str(vol, "type"), "bind");
        ASSERT_STREQ(compose_map_get_str(vol, "source"), data);

        put("inc/conflict.yml", "include: [sub/compose.yml]\nservices:\n  db: {image: other}\n");
        _cleanup_free_ char *conflict = at("inc/conflict.yml");
        q = load(&(ComposeOptions) { .files = (char*[]) { conflict, NULL } }, &err);
        ASSERT_NULL(q);
        ASSERT_STRCONTAINS(err.message, "conflicting");
}

TEST(no_file_is_a_clear_error) {
        _cleanup_free_ char *dir = at("empty");
        ComposeOptions o = { .project_directory = dir };
        NcError err = {};

        ASSERT_OK(mkdir_parents_and_self(dir, 0755));
        ASSERT_NULL(load(&o, &err));
        ASSERT_STRCONTAINS(err.message, "no configuration file provided");
}

TEST(cleanup) {
        ASSERT_OK(rm_rf(scratch));
}

__attribute__((constructor(101))) static void make_scratch(void) {
        if (!mkdtemp(scratch))
                abort();
}

TAP_MAIN();
