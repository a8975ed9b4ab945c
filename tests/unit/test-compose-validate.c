/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>

#include "reconcile/compose/compose-internal.h"
#include "lib/fileio.h"
#include "lib/strv.h"
#include "tests/tap.h"

/* The schema and reference checks, on the corpus of published compose files (valid ones must
 * pass, invalid ones fail with compose's message) and on tests/data/invalid/, one fixture per
 * rule, whose first line says the expected error: "# expect: LINE:COLUMN: MESSAGE". */

static char *source_path(const char *rel) {
        const char *root = getenv("NC_SOURCE_ROOT");

        return path_join(root ?: ".", rel);
}

/* Variables some corpus files require (${VAR:?msg}, or typed values and images that their .env
 * provides, as sentry's healthcheck settings); everything else is unset. */
static const char *const corpus_vars[] = {
        "HEALTHCHECK_INTERVAL", "30s",
        "HEALTHCHECK_TIMEOUT", "1m30s",
        "HEALTHCHECK_RETRIES", "10",
        "HEALTHCHECK_START_PERIOD", "10s",
        "HEALTHCHECK_FILE_INTERVAL", "60s",
        "HEALTHCHECK_FILE_TIMEOUT", "10s",
        "HEALTHCHECK_FILE_RETRIES", "3",
        "HEALTHCHECK_FILE_START_PERIOD", "600s",
        "SENTRY_BIND", "9000",
        "SNUBA_IMAGE", "getsentry/snuba:nightly",
        "RELAY_IMAGE", "getsentry/relay:nightly",
        "SYMBOLICATOR_IMAGE", "getsentry/symbolicator:nightly",
        "TASKBROKER_IMAGE", "getsentry/taskbroker:nightly",
        "VROOM_IMAGE", "getsentry/vroom:nightly",
        "UPTIME_CHECKER_IMAGE", "getsentry/uptime-checker:nightly",
        "LAUNCHPAD_IMAGE", "getsentry/launchpad:nightly",
        "DOMAIN", "example.com",
        "DB_PASSWORD_SECRETS_FILE", "/run/secret",
        "DATABASE_PASSWORD", "pw",
        "DATABASE_ROOT_PASSWORD", "pw",
        NULL,
};

static const char *corpus_lookup(const char *name, void *userdata) {
        (void) userdata;
        for (size_t i = 0; corpus_vars[i]; i += 2)
                if (streq(corpus_vars[i], name))
                        return corpus_vars[i + 1];
        return NULL;
}

/* parse → interpolate → schema check → reference check, as the loader runs them around
 * normalization (the reference check understands the short forms too). */
static int validate_text(const char *file, const char *text, NcError *err) {
        _cleanup_(compose_node_freep) ComposeNode *root = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        int r;

        r = compose_yaml_parse(file, text, strlen(text), &root, err);
        if (r < 0)
                return r;
        if (!root)
                return nc_error_set_at(err, -EINVAL, file, 0, 0, "empty compose file");
        r = compose_interpolate_tree(root, corpus_lookup, NULL, &warnings, err);
        if (r < 0)
                return r;
        r = compose_validate_schema(root, err);
        if (r < 0)
                return r;
        return compose_validate_references(root, err);
}

static int validate_file(const char *path, NcError *err) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;
        return validate_text(path, text, err);
}

static int schema_only(const char *path, NcError *err) {
        _cleanup_(compose_node_freep) ComposeNode *root = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;
        r = compose_yaml_parse(path, text, strlen(text), &root, err);
        if (r < 0)
                return r;
        r = compose_interpolate_tree(root, corpus_lookup, NULL, &warnings, err);
        if (r < 0)
                return r;
        return compose_validate_schema(root, err);
}

/* The whole loader (compose_project_load): what the user sees. */
static int load_file(const char *path, NcError *err) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_strv_free_ char **env = NULL;
        char *files[] = { (char*) path, NULL }, *no_env_files[] = { NULL };
        ComposeOptions o = { .files = files, .env_files = no_env_files };

        for (size_t i = 0; corpus_vars[i]; i += 2) {
                char *kv;

                if (asprintf(&kv, "%s=%s", corpus_vars[i], corpus_vars[i + 1]) < 0 || strv_consume(&env, kv) < 0)
                        return -ENOMEM;
        }
        o.environ = env;
        return compose_project_load(&o, &p, err);
}

static char **list_dir(const char *dir, const char *suffix) {
        _cleanup_strv_free_ char **l = NULL;
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return NULL;
        while ((de = readdir(d)))
                if (endswith(de->d_name, suffix) && strv_extend(&l, de->d_name) < 0)
                        break;
        closedir(d);
        strv_sort(l);
        return TAKE_PTR(l);
}

/* ---- the corpus ---------------------------------------------------------------------------- */

static void expect_corpus_error(const char *name, const char *message) {
        _cleanup_free_ char *path = path_join(tap_env("NC_CORPUS_DIR"), name);
        NcError err = {};

        ASSERT_NOT_NULL(path);
        ASSERT_TRUE(validate_file(path, &err) < 0);
        tap_diag("%s: %u:%u: %s", name, err.line, err.column, err.message);
        ASSERT_STRCONTAINS(err.message, message);
}

TEST(corpus_depends_on_cycle) {
        expect_corpus_error("compose-invalid/compose-go__depends-on-cycle.yml",
                            "dependency cycle detected: service1 -> service2 -> service3 -> service1");
}

TEST(corpus_depends_on_self) {
        expect_corpus_error("compose-invalid/compose-go__depends-on-self.yml",
                            "dependency cycle detected: service1 -> service1");
}

TEST(corpus_unknown_field) {
        _cleanup_free_ char *path = path_join(tap_env("NC_CORPUS_DIR"), "compose-invalid/compose__wrong-composefile-unknown-field.yml");
        NcError err = {};

        ASSERT_TRUE(validate_file(path, &err) < 0);
        ASSERT_STREQ(err.message, "services.simple: additional property wrongField is not allowed");
        ASSERT_EQ(err.line, 4);
        ASSERT_EQ(err.column, 5);
}

TEST(corpus_legacy_v1_format) {
        _cleanup_free_ char *path = path_join(tap_env("NC_CORPUS_DIR"), "compose-invalid/compose-v1__legacy-v1-format-ports.yml");
        NcError err = {};

        ASSERT_TRUE(validate_file(path, &err) < 0);
        ASSERT_STRCONTAINS(err.message, "additional property simple is not allowed");
        ASSERT_STRCONTAINS(err.message, "legacy version 1 format");
        ASSERT_EQ(err.line, 2);
        ASSERT_EQ(err.column, 1);
}

/* Rejected before validation: by the YAML parser (duplicate keys) and the loader (empty file). */
TEST(corpus_rejected_by_parser) {
        expect_corpus_error("compose-invalid/compose-spec__build-duplicate-service-key.yml",
                            "mapping key \"base\" already defined");
        expect_corpus_error("compose-invalid/compose-v1__duplicate-keys.yml", "already defined");
        expect_corpus_error("compose-invalid/compose-go__empty.yml", "empty compose file");
}

TEST(corpus_valid_files_pass_schema) {
        _cleanup_free_ char *dir = path_join(tap_env("NC_CORPUS_DIR"), "compose");
        _cleanup_strv_free_ char **files = list_dir(dir, ".yml");
        size_t n = 0, failed = 0;

        ASSERT_NOT_NULL(files);
        STRV_FOREACH(f, files) {
                _cleanup_free_ char *path = path_join(dir, *f);
                NcError err = {};
                char buf[1024];

                /* A schema test fixture with ${VARIABLE} in every field, integers, booleans and
                 * durations alike: no single value of VARIABLE makes all of them valid after
                 * interpolation (docker compose rejects it too without suitable values). */
                if (streq(*f, "compose-go__using-variables.yml"))
                        continue;
                if (schema_only(path, &err) < 0) {
                        tap_diag("%s: %s", *f, nc_error_format(&err, buf, sizeof buf));
                        failed++;
                }
                n++;
        }
        ASSERT_EQ(failed, 0);
        ASSERT_TRUE(n >= 40);
}

TEST(corpus_invalid_files_fail_to_load) {
        static const char *const cases[] = {
                "compose-go__depends-on-cycle.yml", "dependency cycle detected: service1 -> service2 -> service3 -> service1",
                "compose-go__depends-on-self.yml", "dependency cycle detected: service1 -> service1",
                "compose-go__empty.yml", "empty compose file",
                "compose-spec__build-duplicate-service-key.yml", "mapping key \"base\" already defined",
                "compose-v1__duplicate-keys.yml", "mapping key \"command\" already defined",
                "compose-v1__legacy-v1-format-ports.yml", "additional property simple is not allowed",
                "compose__wrong-composefile-unknown-field.yml", "services.simple: additional property wrongField is not allowed",
        };
        _cleanup_free_ char *dir = path_join(tap_env("NC_CORPUS_DIR"), "compose-invalid");
        _cleanup_strv_free_ char **files = list_dir(dir, ".yml");

        ASSERT_EQ(strv_length(files), ELEMENTSOF(cases) / 2 + 1);   /* + the include cycle, below */
        for (size_t i = 0; i < ELEMENTSOF(cases); i += 2) {
                _cleanup_free_ char *path = path_join(dir, cases[i]);
                NcError err = {};

                ASSERT_TRUE(load_file(path, &err) < 0);
                tap_diag("%s: %u:%u: %s", cases[i], err.line, err.column, err.message);
                ASSERT_STRCONTAINS(err.message, cases[i + 1]);
        }
}

/* The file includes itself by its original name; copy it there. */
TEST(corpus_include_cycle) {
        _cleanup_free_ char *src = path_join(tap_env("NC_CORPUS_DIR"), "compose-invalid/compose-go__include-cycle.yml"), *text = NULL;
        _cleanup_free_ char *path = NULL;
        char dir[] = "/tmp/test-compose-validate-XXXXXX";
        NcError err = {};
        int r;

        ASSERT_OK(read_full_file(src, &text, NULL));
        ASSERT_NOT_NULL(mkdtemp(dir));
        path = path_join(dir, "compose-include-cycle.yaml");
        ASSERT_OK(write_file_atomic(path, text, strlen(text), 0644));
        r = load_file(path, &err);
        (void) unlink(path);
        (void) rmdir(dir);
        ASSERT_TRUE(r < 0);
        ASSERT_STRCONTAINS(err.message, "include cycle detected");
}

/* The whole loader on the valid corpus: the reference check passes on every canonical tree. The
 * exceptions fail for reasons outside the file, as they do with docker compose. */
TEST(corpus_valid_files_load) {
        static const char *const expected_failures[] = {
                "compose-go__compose-include.yml", "cannot read compose file",          /* include target not in the corpus */
                "compose-go__include-dir-compose.yml", "not found",                     /* env_file not in the corpus */
                "compose-go__using-variables.yml", "failed to cast",                    /* ${VARIABLE} in typed fields */
                "compose-spec__extension-x-function.yml", "undefined service \"gateway\"", /* a spec excerpt */
                "compose-v1__extends-healthcheck-2.yml", "cannot read compose file",    /* extends a renamed file */
                "compose__publish-env_file-forms.yml", "cannot read compose file",      /* extends common.yaml */
                "ghost-docker__compose.yml", "not found",                               /* env_file .env not in the corpus */
                "frappe-docker__override-mariadb-secrets.yml", "neither an image nor a build context", /* an override */
                "netbox-docker__docker-compose.yml", "not found",                       /* env_file not in the corpus */
        };
        _cleanup_free_ char *dir = path_join(tap_env("NC_CORPUS_DIR"), "compose");
        _cleanup_strv_free_ char **files = list_dir(dir, ".yml");
        size_t failed = 0;

        ASSERT_NOT_NULL(files);
        STRV_FOREACH(f, files) {
                _cleanup_free_ char *path = path_join(dir, *f);
                const char *expected = NULL;
                NcError err = {};
                char buf[1024];
                int r;

                for (size_t i = 0; i < ELEMENTSOF(expected_failures); i += 2)
                        if (streq(*f, expected_failures[i]))
                                expected = expected_failures[i + 1];
                r = load_file(path, &err);
                if (expected ? r >= 0 || !strstr(err.message, expected) : r < 0) {
                        tap_diag("%s: %s", *f, r < 0 ? nc_error_format(&err, buf, sizeof buf) : "(accepted)");
                        failed++;
                }
        }
        ASSERT_EQ(failed, 0);
}

/* ---- own fixtures: one per rule ------------------------------------------------------------ */

/* The expected "LINE:COLUMN: MESSAGE" of a fixture: its "# expect: " line, or for the whole
 * loader its "# loader: " line when there is one. */
static void fixture_expectation(const char *name, const char *text, bool loader, char *want, size_t size) {
        const char *expect = startswith(text, "# expect: "), *eol, *l;

        if (!expect)
                TAP_FAIL("%s: first line must be \"# expect: LINE:COLUMN: MESSAGE\"", name);
        eol = strchrnul(expect, '\n');
        l = *eol ? startswith(eol + 1, "# loader: ") : NULL;
        if (loader && l) {
                expect = l;
                eol = strchrnul(l, '\n');
        }
        snprintf(want, size, "%.*s", (int) (eol - expect), expect);
}

/* Runs every fixture through the checks (or the whole loader); counts the ones whose error is not the expected one. */
static size_t check_fixtures(bool loader) {
        _cleanup_free_ char *dir = source_path("tests/data/invalid");
        _cleanup_strv_free_ char **files = list_dir(dir, ".yml");
        size_t n = 0, failed = 0;

        ASSERT_NOT_NULL(files);
        STRV_FOREACH(f, files) {
                _cleanup_free_ char *path = path_join(dir, *f), *text = NULL;
                char got[1024], want[1024];
                NcError err = {};
                int r;

                ASSERT_OK(read_full_file(path, &text, NULL));
                fixture_expectation(*f, text, loader, want, sizeof want);
                if (want[0] == '(')     /* "(not compared: why)" */
                        continue;
                r = loader ? load_file(path, &err) : validate_text(*f, text, &err);
                if (r >= 0)
                        snprintf(got, sizeof got, "(accepted)");
                else
                        snprintf(got, sizeof got, "%u:%u: %s", err.line, err.column, err.message);
                if (!streq(got, want)) {
                        printf("# %s:\n#   got  %s\n#   want %s\n", *f, got, want);
                        failed++;
                }
                n++;
        }
        printf("# %zu fixtures\n", n);
        ASSERT_TRUE(n > 0);
        return failed;
}

TEST(fixtures_fail_with_expected_message_and_position) {
        ASSERT_EQ(check_fixtures(/* loader= */ false), 0);
}

/* The same fixtures through the whole loader. Where the loader stops earlier with its own
 * message (include and extends are resolved before the schema check), the fixture's second line
 * says so: "# loader: LINE:COLUMN: MESSAGE". */
TEST(fixtures_fail_to_load) {
        ASSERT_EQ(check_fixtures(/* loader= */ true), 0);
}

/* ---- the shared value parsers ---------------------------------------------------------------- */

TEST(port_spec_forms) {
        ComposePortSpec p;

        ASSERT_OK(compose_parse_port_spec("3000", &p, NULL));
        ASSERT_EQ(p.target.start, 3000);
        ASSERT_EQ(p.published.start, 0);
        ASSERT_STREQ(p.protocol, "tcp");
        ASSERT_OK(compose_parse_port_spec("9090-9091:8080-8081", &p, NULL));
        ASSERT_EQ(p.published.start, 9090);
        ASSERT_EQ(p.published.end, 9091);
        ASSERT_EQ(p.target.end, 8081);
        ASSERT_OK(compose_parse_port_spec("8000-9000:80", &p, NULL));
        ASSERT_OK(compose_parse_port_spec("127.0.0.1:5000-5010:5000-5010", &p, NULL));
        ASSERT_STREQ(p.host_ip, "127.0.0.1");
        ASSERT_OK(compose_parse_port_spec("::1:6000:6000", &p, NULL));
        ASSERT_STREQ(p.host_ip, "::1");
        ASSERT_EQ(p.published.start, 6000);
        ASSERT_OK(compose_parse_port_spec("[::1]:6001:6001", &p, NULL));
        ASSERT_STREQ(p.host_ip, "::1");
        ASSERT_OK(compose_parse_port_spec("6060:6060/UDP", &p, NULL));
        ASSERT_STREQ(p.protocol, "udp");
        ASSERT_OK(compose_parse_port_spec(":80:80", &p, NULL));
        ASSERT_STREQ(p.host_ip, "");
        ASSERT_OK(compose_parse_port_spec("127.0.0.1::80", &p, NULL));
        ASSERT_EQ(p.published.start, 0);
}

TEST(port_spec_errors) {
        ComposePortSpec p;
        NcError e = {};

        /* docker's words first ("Invalid hostPort: 0"), then ours */
        ASSERT_EQ(compose_parse_port_spec("0:80", &p, &e), -ERANGE);
        ASSERT_STREQ(e.message, "invalid hostPort: 0 (port 0 out of range)");
        e = (NcError) {};
        ASSERT_EQ(compose_parse_port_spec("80:65536", &p, &e), -ERANGE);
        ASSERT_STREQ(e.message, "invalid containerPort: 65536 (port 65536 out of range)");
        e = (NcError) {};
        ASSERT_EQ(compose_parse_port_spec("abc", &p, &e), -EINVAL);
        ASSERT_STREQ(e.message, "invalid containerPort: abc (invalid port \"abc\")");
        e = (NcError) {};
        ASSERT_EQ(compose_parse_port_spec("80:", &p, &e), -EINVAL);
        ASSERT_STREQ(e.message, "no port specified");
        e = (NcError) {};
        ASSERT_EQ(compose_parse_port_spec("90-80:90-80", &p, &e), -EINVAL);
        ASSERT_STREQ(e.message, "invalid containerPort: 90-80 (invalid port range \"90-80\")");
        ASSERT_TRUE(compose_parse_port_spec("1.2.3:80:80", &p, NULL) < 0);
        ASSERT_TRUE(compose_parse_port_spec("80/icmp", &p, NULL) < 0);
}

TEST(host_ip_forms) {
        char ip[COMPOSE_HOST_IP_MAX];
        NcError e = {};

        ASSERT_OK(compose_parse_host_ip("127.0.0.1", 9, ip, NULL));
        ASSERT_STREQ(ip, "127.0.0.1");
        ASSERT_OK(compose_parse_host_ip("[::1]:8080", 5, ip, NULL));
        ASSERT_STREQ(ip, "::1");
        ASSERT_OK(compose_parse_host_ip("", 0, ip, NULL));
        ASSERT_STREQ(ip, "");
        ASSERT_OK(compose_parse_host_ip("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 45, ip, NULL));
        ASSERT_EQ(compose_parse_host_ip("1.2.3", 5, ip, &e), -EINVAL);
        ASSERT_STREQ(e.message, "invalid IP address \"1.2.3\"");
        e = (NcError) {};
        ASSERT_EQ(compose_parse_host_ip("0000:0000:0000:0000:0000:0000:0000:0000:0000", 44, ip, &e), -EINVAL);
        ASSERT_TRUE(compose_parse_host_ip("00000000000000000000000000000000000000000000000", 47, ip, NULL) < 0);
}

TEST(expose_forms) {
        ComposePortRange r;
        char proto[8];

        ASSERT_OK(compose_parse_expose("3000-3005/udp", &r, proto, NULL));
        ASSERT_EQ(r.start, 3000);
        ASSERT_EQ(r.end, 3005);
        ASSERT_STREQ(proto, "udp");
        ASSERT_TRUE(compose_parse_expose("3000:3000", &r, proto, NULL) < 0);
}

static void assert_duration(const char *in, int64_t nsec, const char *canonical) {
        char buf[COMPOSE_DURATION_MAX];
        int64_t v = -1;

        ASSERT_OK(compose_parse_duration(in, &v, NULL));
        ASSERT_EQ(v, nsec);
        ASSERT_STREQ(compose_format_duration(v, buf), canonical);
}

TEST(durations) {
        assert_duration("1m30s", INT64_C(90000000000), "1m30s");
        assert_duration("90s", INT64_C(90000000000), "1m30s");
        assert_duration("1.1s", INT64_C(1100000000), "1.1s");
        assert_duration("2.5s", INT64_C(2500000000), "2.5s");
        assert_duration("1h", INT64_C(3600000000000), "1h0m0s");
        assert_duration("300ms", 300000000, "300ms");
        assert_duration("1.5us", 1500, "1.5\xc2\xb5s");
        assert_duration("10ns", 10, "10ns");
        assert_duration("0", 0, "0s");
        assert_duration("-1m", -INT64_C(60000000000), "-1m0s");
        assert_duration("1d", INT64_C(86400000000000), "24h0m0s");
        assert_duration("1h30m0.5s", INT64_C(5400500000000), "1h30m0.5s");
        ASSERT_TRUE(compose_parse_duration("30", &(int64_t) {0}, NULL) < 0);
        ASSERT_TRUE(compose_parse_duration("", &(int64_t) {0}, NULL) < 0);
        ASSERT_TRUE(compose_parse_duration("5sec", &(int64_t) {0}, NULL) < 0);
        ASSERT_TRUE(compose_parse_duration("s", &(int64_t) {0}, NULL) < 0);
        ASSERT_TRUE(compose_parse_duration("1.s", &(int64_t) {0}, NULL) >= 0);
        ASSERT_EQ(compose_parse_duration("999999999h", &(int64_t) {0}, NULL), -ERANGE);
}

TEST(sizes_and_booleans) {
        int64_t v;
        bool b;

        ASSERT_OK(compose_parse_size("1024", &v, NULL));
        ASSERT_EQ(v, 1024);
        ASSERT_OK(compose_parse_size("512m", &v, NULL));
        ASSERT_EQ(v, INT64_C(512) * 1024 * 1024);
        ASSERT_OK(compose_parse_size("1.5GiB", &v, NULL));
        ASSERT_EQ(v, INT64_C(3) * 512 * 1024 * 1024);
        ASSERT_OK(compose_parse_size("10 kb", &v, NULL));
        ASSERT_EQ(v, 10240);
        ASSERT_TRUE(compose_parse_size("lots", &v, NULL) < 0);
        ASSERT_TRUE(compose_parse_size("-1", &v, NULL) < 0);
        ASSERT_TRUE(compose_parse_size("1x", &v, NULL) < 0);
        ASSERT_OK(compose_parse_bool("Yes", &b));
        ASSERT_TRUE(b);
        ASSERT_OK(compose_parse_bool("off", &b));
        ASSERT_FALSE(b);
        ASSERT_TRUE(compose_parse_bool("maybe", &b) < 0);
}

TEST(numbers) {
        double d;

        ASSERT_OK(compose_parse_number("1.5", &d));
        ASSERT_TRUE(d == 1.5);
        ASSERT_OK(compose_parse_number("-2e3", &d));
        ASSERT_TRUE(d == -2000);
        ASSERT_EQ(compose_parse_number("", &d), -EINVAL);
        ASSERT_EQ(compose_parse_number("1.5x", &d), -EINVAL);
        ASSERT_EQ(compose_parse_number("abc", &d), -EINVAL);
        ASSERT_EQ(compose_parse_number("1e999", &d), -ERANGE);
}

TAP_MAIN();
