/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reconcile/compose/compose-internal.h"
#include "lib/strv.h"
#include "tests/tap.h"

/* The environment every case sees. */
static const char *const test_env[][2] = {
        { "A", "a" },
        { "B", "b" },
        { "a", "lower" },
        { "EMPTY", "" },
        { "PORT", "8080" },
        { "ADMIN_DOMAIN", "admin.example" },
        { "ERPNEXT_VERSION", "v15.0.0" },
        { "TTY", "yes" },
        { "RO", "Off" },
        { "R", "5" },
        { "CPUS", "0.1" },
        { "BIG", "99999999999999999999" },
        { "DOLLAR", "$A" },
        { "FOO", "first" },
        { "BAR", "" },
};

static const char *lookup(const char *name, void *userdata) {
        for (size_t i = 0; i < ELEMENTSOF(test_env); i++)
                if (streq(test_env[i][0], name))
                        return test_env[i][1];
        return NULL;
}

static const struct {
        const char *in, *out;
        const char *warning;            /* the one warning expected, or NULL for none */
} ok_cases[] = {
        { "plain",                       "plain",       NULL },
        { "",                            "",            NULL },
        { "$A",                          "a",           NULL },
        { "${A}",                        "a",           NULL },
        { "${a}",                        "lower",       NULL },
        { "x$A-y",                       "xa-y",        NULL },
        { "$A:-x",                       "a:-x",        NULL },
        { "${A}${B}",                    "ab",          NULL },
        { "$A_B",                        "",            "variable A_B is not set, defaulting to a blank string" },
        { "${UNSET}",                    "",            "variable UNSET is not set, defaulting to a blank string" },
        { "$UNSET/x",                    "/x",          "variable UNSET is not set, defaulting to a blank string" },
        /* $$ and lone '$' */
        { "$$",                          "$",           NULL },
        { "$$A",                         "$A",          NULL },
        { "$${A}",                       "${A}",        NULL },
        { "$$$A",                        "$a",          NULL },
        { "$",                           "$",           NULL },
        { "a$",                          "a$",          NULL },
        { "$5 $- $ x $.",                "$5 $- $ x $.", NULL },
        { "$DOLLAR",                     "$A",          NULL },     /* values are not re-expanded */
        /* defaults */
        { "${UNSET:-def}",               "def",         NULL },
        { "${EMPTY:-def}",               "def",         NULL },
        { "${A:-def}",                   "a",           NULL },
        { "${UNSET-def}",                "def",         NULL },
        { "${EMPTY-def}",                "",            NULL },
        { "${A-def}",                    "a",           NULL },
        { "${UNSET:-}",                  "",            NULL },
        { "${UNSET-}",                   "",            NULL },
        { "${UNSET:-a b:c/d?e+f}",       "a b:c/d?e+f", NULL },
        { "${UNSET-a:-b}",               "a:-b",        NULL },
        { "${UNSET:-x}}",                "x}",          NULL },
        { "${A:-x} and ${B}",            "a and b",     NULL },
        { "${A:-x} {y} ${UNSET:-z}",     "a {y} z",     NULL },
        { "${UNSET:-{x}}",               "{x}",         NULL },
        { "${UNSET:-{}}",                "{}",          NULL },
        { "line1 ${A}\nline2 ${UNSET:-d}\n", "line1 a\nline2 d\n", NULL },
        /* nested */
        { "${UNSET:-${B:-x}}",           "b",           NULL },
        { "${UNSET:-${UNSET2:-x}}",      "x",           NULL },
        { "${UNSET:-pre-${B}-post}",     "pre-b-post",  NULL },
        { "${A:-${UNSET2}}",             "a",           "variable UNSET2 is not set, defaulting to a blank string" },
        /* replacements */
        { "${A:+yes}",                   "yes",         NULL },
        { "${EMPTY:+yes}",               "",            NULL },
        { "${UNSET:+yes}",               "",            NULL },
        { "${A+yes}",                    "yes",         NULL },
        { "${EMPTY+yes}",                "yes",         NULL },
        { "${UNSET+yes}",                "",            NULL },
        /* required, when satisfied */
        { "${A:?missing}",               "a",           NULL },
        { "${A?missing}",                "a",           NULL },
        { "${EMPTY?missing}",            "",            NULL },
        /* ${NAME[key]}: kept as written */
        { "${A[x]}",                     "${A[x]}",     NULL },
        { "${A[x]} $B",                  "${A[x]} b",   NULL },
        /* compose-go's own template tests */
        { "a $ string",                             "a $ string",             NULL },
        { "^REGEX$",                                "^REGEX$",                NULL },
        { "$}",                                     "$}",                     NULL },
        { "$FOO-bar",                               "first-bar",              NULL },
        { "This ${BAR} var",                        "This  var",              NULL },
        { "ok ${BAR:-/non:-alphanumeric}",          "ok /non:-alphanumeric",  NULL },
        { "+ok ${UNSET:-${BAR-defaultValue}}",      "+ok ",                   NULL },
        { ":?ok ${BAR-defaultValue}",               ":?ok ",                  NULL },
        { "?ok ${BAR:-defaultValue}",               "?ok defaultValue",       NULL },
        { "ok ${UNSET_VAR-${FOO} ${FOO}}",          "ok first first",         NULL },
        { "ok ${BAR+$FOO ${FOO:+second}}",          "ok first second",        NULL },
        { "${UNSET_VAR-myerror?msg}",               "myerror?msg",            NULL },
        { "${FOO?bar-baz}",                         "first",                  NULL },
        /* from the corpus */
        { "${SQL_PORT:-127.0.0.1:13306}:3306",                 "127.0.0.1:13306:3306", NULL },   /* mailcow */
        { "${HTTP_BIND:-}:${HTTP_PORT:-80}:${HTTP_PORT:-80}",  ":80:80",              NULL },
        { "${IPV4_NETWORK:-172.22.1}.254",                     "172.22.1.254",        NULL },
        { "traefik.http.routers.x.rule=$${MASTER}",            "traefik.http.routers.x.rule=${MASTER}", NULL },
        { "docker.io/netboxcommunity/netbox:${VERSION-v4.1-3.0.2}",                                     /* netbox */
          "docker.io/netboxcommunity/netbox:v4.1-3.0.2", NULL },
        { "[ $$(valkey-cli --pass \"$${REDIS_PASSWORD}\" ping) = 'PONG' ]",
          "[ $(valkey-cli --pass \"${REDIS_PASSWORD}\" ping) = 'PONG' ]", NULL },
        { "${CUSTOM_IMAGE:-frappe/erpnext}:${CUSTOM_TAG:-$ERPNEXT_VERSION}",                            /* frappe */
          "frappe/erpnext:v15.0.0", NULL },
        { "${FRAPPE_SITE_NAME_HEADER:-$$host}",                "$host",               NULL },
        { "bench set-config -g db_host $$DB_HOST;\n",          "bench set-config -g db_host $DB_HOST;\n", NULL },
        { "${ADMIN_DOMAIN:+https://${ADMIN_DOMAIN}}",          "https://admin.example", NULL },  /* ghost */
        { "${NO_ADMIN_DOMAIN:+https://${NO_ADMIN_DOMAIN}}",    "",
          "variable NO_ADMIN_DOMAIN is not set, defaulting to a blank string" },
        { "mysqladmin ping -p$$MYSQL_ROOT_PASSWORD -h 127.0.0.1", "mysqladmin ping -p$MYSQL_ROOT_PASSWORD -h 127.0.0.1", NULL },
        { "127.0.0.1:${JVB_PORT:-8888}:8888",                  "127.0.0.1:8888:8888", NULL },     /* jitsi */
        { "$SENTRY_BIND:80/tcp",                               ":80/tcp",
          "variable SENTRY_BIND is not set, defaulting to a blank string" },                       /* sentry */
};

TEST(substitution_table) {
        for (size_t i = 0; i < ELEMENTSOF(ok_cases); i++) {
                _cleanup_strv_free_ char **warnings = NULL;
                _cleanup_free_ char *out = NULL;
                NcError err = {};

                printf("# case %zu\n", i);
                ASSERT_OK(compose_interpolate(ok_cases[i].in, lookup, NULL, &warnings, &out, &err));
                ASSERT_STREQ(out, ok_cases[i].out);
                if (ok_cases[i].warning) {
                        ASSERT_EQ(strv_length(warnings), 1);
                        ASSERT_STREQ(warnings[0], ok_cases[i].warning);
                } else
                        ASSERT_EQ(strv_length(warnings), 0);
        }
}

static const struct {
        const char *in, *message;
} error_cases[] = {
        { "${UNSET?}",              "required variable UNSET is missing a value" },
        { "${UNSET:?}",             "required variable UNSET is missing a value" },
        { "${DOMAIN:?set DOMAIN}",  "required variable DOMAIN is missing a value: set DOMAIN" },
        { "${EMPTY:?must not be empty}", "required variable EMPTY is missing a value: must not be empty" },
        { "${UNSET?err ${A}}",      "required variable UNSET is missing a value: err a" },
        { "x ${A:-${UNSET:?inner}}", "required variable UNSET is missing a value: inner" },   /* bodies run first */
        { "${UNSET_VAR?bar-baz}",   "required variable UNSET_VAR is missing a value: bar-baz" },
        { "not ok ${UNSET_VAR:?Mandatory Variable ${FOO}}",
          "required variable UNSET_VAR is missing a value: Mandatory Variable first" },
        { "${ }",                   "(character 1)" },
        { "${foo }",                "(character 1)" },
        { "${foo!}",                "(character 1)" },
        { "${}",                    "invalid interpolation format \"${}\" (character 1): "
                                    "you may need to escape any $ with another $" },
        { "${",                     "invalid interpolation format \"${\" (character 1): "
                                    "you may need to escape any $ with another $" },
        { "x ${A",                  "invalid interpolation format \"x ${A\" (character 3): "
                                    "you may need to escape any $ with another $" },
        { "${A:-${}}",              "invalid interpolation format \"${A:-${}}\" (character 6): "
                                    "you may need to escape any $ with another $" },
        { "${A B}",                 "(character 1)" },
        { "${A:x}",                 "(character 1)" },
        { "${1A}",                  "(character 1)" },
        { "${ A}",                  "(character 1)" },
        { "${A:-x",                 "(character 1)" },
        { "${A:-x\n}",              "(character 1)" },              /* a body does not span lines */
        { "ok\n${A[x\n]}",          "(character 4)" },
        { "$A ${B} ${",             "(character 9)" },
};

TEST(error_table) {
        for (size_t i = 0; i < ELEMENTSOF(error_cases); i++) {
                _cleanup_free_ char *out = NULL;
                NcError err = {};

                printf("# case %zu\n", i);
                ASSERT_EQ(compose_interpolate(error_cases[i].in, lookup, NULL, NULL, &out, &err), -EINVAL);
                ASSERT_NULL(out);
                ASSERT_EQ(err.error, -EINVAL);
                ASSERT_STRCONTAINS(err.message, error_cases[i].message);
        }
}

TEST(long_template_is_shortened_in_errors) {
        char in[300];
        _cleanup_free_ char *out = NULL;
        NcError err = {};

        memset(in, 'x', sizeof in);
        memcpy(in + 250, "${", 2);
        in[sizeof in - 1] = 0;
        ASSERT_EQ(compose_interpolate(in, lookup, NULL, NULL, &out, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "xxx...\" (character 251)");
}

TEST(warnings_are_deduplicated_and_optional) {
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *out = NULL, *out2 = NULL;

        ASSERT_OK(compose_interpolate("$X ${X} $Y $X", lookup, NULL, &warnings, &out, NULL));
        ASSERT_STREQ(out, "   ");
        ASSERT_EQ(strv_length(warnings), 2);
        ASSERT_STREQ(warnings[0], "variable X is not set, defaulting to a blank string");
        ASSERT_STREQ(warnings[1], "variable Y is not set, defaulting to a blank string");
        ASSERT_OK(compose_interpolate("$X", NULL, NULL, NULL, &out2, NULL));     /* no lookup: all unset */
        ASSERT_STREQ(out2, "");
}

/* ---- the tree ---- */

static ComposeNode *parse(const char *text) {
        ComposeNode *n = NULL;
        NcError err = {};

        if (compose_yaml_parse("t.yml", text, strlen(text), &n, &err) < 0) {
                tap_diag("%s:%u:%u: %s", err.file, err.line, err.column, err.message);
                return NULL;
        }
        return n;
}

static ComposeNode *path_get(ComposeNode *n, const char *path) {
        _cleanup_strv_free_ char **parts = strv_split(path, ".");

        STRV_FOREACH(p, parts) {
                if (n && n->type == COMPOSE_NODE_SEQ) {
                        size_t i = strtoul(*p, NULL, 10);
                        n = i < n->n_items ? n->items[i] : NULL;
                } else
                        n = compose_map_get(n, *p);
        }
        return n;
}

static const char tree_doc[] =
        "name: ${A}proj\n"
        "services:\n"
        "  web:\n"
        "    image: \"${IMG:-nginx}:${TAG-1.25}\"\n"
        "    ports:\n"
        "      - ${PORT}:80\n"
        "      - ${PORT}\n"
        "      - target: ${PORT}\n"
        "        published: \"${PORT}\"\n"
        "    environment:\n"
        "      FOO: ${PORT}\n"
        "      ${A}: key stays\n"
        "      BAR: $$literal\n"
        "    tty: ${TTY}\n"
        "    read_only: ${RO}\n"
        "    privileged: \"true\"\n"
        "    stdin_open: false\n"
        "    cpus: ${CPUS}\n"
        "    healthcheck:\n"
        "      retries: $R\n"
        "    ulimits:\n"
        "      nproc: ${R}\n"
        "      nofile: {soft: \"1024\", hard: 2048}\n"
        "    labels:\n"
        "      - x=${UNSET_LABEL}\n"
        "    x-ext: ${PORT}\n"
        "networks:\n"
        "  n:\n"
        "    enable_ipv6: ${ENABLE_IPV6:-true}\n"
        "    ipam: {config: [{subnet: \"${IPV4_NETWORK:-172.22.1}.0/24\"}]}\n"
        "x-top: ${PORT}\n";

static const struct {
        const char *path;
        ComposeNodeType type;
        const char *text;
} tree_expect[] = {
        { "name",                            COMPOSE_NODE_STRING, "aproj" },
        { "services.web.image",              COMPOSE_NODE_STRING, "nginx:1.25" },
        /* strings stay strings, even when they now look like numbers */
        { "services.web.ports.0",            COMPOSE_NODE_STRING, "8080:80" },
        { "services.web.ports.1",            COMPOSE_NODE_STRING, "8080" },
        { "services.web.ports.2.published",  COMPOSE_NODE_STRING, "8080" },
        { "services.web.environment.FOO",    COMPOSE_NODE_STRING, "8080" },
        { "services.web.environment.${A}",   COMPOSE_NODE_STRING, "key stays" },
        { "services.web.environment.BAR",    COMPOSE_NODE_STRING, "$literal" },
        { "services.web.x-ext",              COMPOSE_NODE_STRING, "8080" },
        { "x-top",                           COMPOSE_NODE_STRING, "8080" },
        { "networks.n.ipam.config.0.subnet", COMPOSE_NODE_STRING, "172.22.1.0/24" },
        /* compose-go's casts */
        { "services.web.ports.2.target",     COMPOSE_NODE_INT,    "8080" },
        { "services.web.tty",                COMPOSE_NODE_BOOL,   "true" },
        { "services.web.read_only",          COMPOSE_NODE_BOOL,   "false" },
        { "services.web.privileged",         COMPOSE_NODE_BOOL,   "true" },     /* quoted, no variable */
        { "services.web.stdin_open",         COMPOSE_NODE_BOOL,   "false" },
        { "services.web.cpus",               COMPOSE_NODE_FLOAT,  "0.1" },
        { "services.web.healthcheck.retries", COMPOSE_NODE_INT,   "5" },
        { "services.web.ulimits.nproc",      COMPOSE_NODE_INT,    "5" },
        { "services.web.ulimits.nofile.soft", COMPOSE_NODE_INT,   "1024" },
        { "services.web.ulimits.nofile.hard", COMPOSE_NODE_INT,   "2048" },
        { "networks.n.enable_ipv6",          COMPOSE_NODE_BOOL,   "true" },
};

TEST(tree_values_are_interpolated_and_cast_where_compose_casts) {
        _cleanup_(compose_node_freep) ComposeNode *n = parse(tree_doc);
        _cleanup_strv_free_ char **warnings = NULL;
        NcError err = {};

        ASSERT_NOT_NULL(n);
        ASSERT_OK(compose_interpolate_tree(n, lookup, NULL, &warnings, &err));
        for (size_t i = 0; i < ELEMENTSOF(tree_expect); i++) {
                ComposeNode *x = path_get(n, tree_expect[i].path);

                printf("# %s\n", tree_expect[i].path);
                ASSERT_NOT_NULL(x);
                ASSERT_EQ(x->type, tree_expect[i].type);
                ASSERT_STREQ(x->scalar, tree_expect[i].text);
        }

        ASSERT_EQ(strv_length(warnings), 3);
        ASSERT_STREQ(warnings[0], "t.yml:14:10: services.web.tty: \"yes\" for boolean is not supported by YAML 1.2, "
                                  "please use `true`");
        ASSERT_STREQ(warnings[1], "t.yml:15:16: services.web.read_only: \"Off\" for boolean is not supported by "
                                  "YAML 1.2, please use `false`");
        ASSERT_STREQ(warnings[2], "t.yml:25:9: services.web.labels[0]: variable UNSET_LABEL is not set, "
                                  "defaulting to a blank string");
}

static int tree_error(const char *text, NcError *err) {
        _cleanup_(compose_node_freep) ComposeNode *n = parse(text);

        ASSERT_NOT_NULL(n);
        return compose_interpolate_tree(n, lookup, NULL, NULL, err);
}

TEST(tree_errors_carry_position_and_key_path) {
        NcError err = {};

        ASSERT_EQ(tree_error("services:\n  web:\n    image: x-${DOMAIN:?set DOMAIN}\n", &err), -EINVAL);
        ASSERT_STREQ(err.file, "t.yml");
        ASSERT_EQ(err.line, 3);
        ASSERT_EQ(err.column, 14);              /* the '$' of a plain scalar */
        ASSERT_STREQ(err.message, "services.web.image: required variable DOMAIN is missing a value: set DOMAIN");

        err = (NcError) {};
        ASSERT_EQ(tree_error("services:\n  web:\n    ports:\n      - \"80:${P\"\n", &err), -EINVAL);
        ASSERT_EQ(err.line, 4);
        ASSERT_EQ(err.column, 9);               /* quoted: the scalar's start */
        ASSERT_STREQ(err.message, "services.web.ports[0]: invalid interpolation format \"80:${P\" (character 4): "
                                  "you may need to escape any $ with another $");

        err = (NcError) {};
        ASSERT_EQ(tree_error("services:\n  web:\n    environment:\n      FOO: a ${}\n", &err), -EINVAL);
        ASSERT_EQ(err.line, 4);
        ASSERT_EQ(err.column, 14);
        ASSERT_STRCONTAINS(err.message, "services.web.environment.FOO: invalid interpolation format");
}

static const struct {
        const char *yaml, *message;
} cast_errors[] = {
        { "services:\n  s:\n    tty: maybe\n",
          "services.s.tty: failed to cast to expected type: invalid boolean: maybe" },
        { "services:\n  s:\n    healthcheck:\n      retries: ${UNSET_R}\n",
          "services.s.healthcheck.retries: failed to cast to expected type: parsing \"\": invalid syntax" },
        { "services:\n  s:\n    scale: \"2x\"\n",
          "services.s.scale: failed to cast to expected type: parsing \"2x\": invalid syntax" },
        { "services:\n  s:\n    pids_limit: ${BIG}\n",
          "services.s.pids_limit: failed to cast to expected type: parsing \"99999999999999999999\": value out of range" },
        { "services:\n  s:\n    cpus: lots\n",
          "services.s.cpus: failed to cast to expected type: parsing \"lots\": invalid syntax" },
        { "volumes:\n  v:\n    external: \"1\"\n",
          "volumes.v.external: failed to cast to expected type: invalid boolean: 1" },
};

TEST(tree_cast_errors) {
        for (size_t i = 0; i < ELEMENTSOF(cast_errors); i++) {
                NcError err = {};

                ASSERT_EQ(tree_error(cast_errors[i].yaml, &err), -EINVAL);
                ASSERT_STREQ(err.message, cast_errors[i].message);
        }
}

static const struct {
        const char *path, *yaml;
        ComposeNodeType type;
        const char *text;
} cast_cases[] = {
        { "services.s.init",                               "services: {s: {init: 'TRUE'}}",             COMPOSE_NODE_BOOL,  "true" },
        { "services.s.oom_kill_disable",                   "services: {s: {oom_kill_disable: N}}",       COMPOSE_NODE_BOOL,  "false" },
        { "services.s.oom_score_adj",                      "services: {s: {oom_score_adj: '-500'}}",     COMPOSE_NODE_INT,   "-500" },
        { "services.s.cpu_shares",                         "services: {s: {cpu_shares: '+0012'}}",       COMPOSE_NODE_INT,   "12" },
        { "services.s.cpu_percent",                        "services: {s: {cpu_percent: '1e2'}}",        COMPOSE_NODE_INT,   "100" },  /* integral: printed and read back as an int */
        { "services.s.cpus",                               "services: {s: {cpus: '1.5'}}",               COMPOSE_NODE_FLOAT, "1.5" },
        { "services.s.deploy.replicas",                    "services: {s: {deploy: {replicas: $R}}}",    COMPOSE_NODE_INT,   "5" },
        { "services.s.deploy.update_config.max_failure_ratio",
          "services: {s: {deploy: {update_config: {max_failure_ratio: '0.25'}}}}",                         COMPOSE_NODE_FLOAT, "0.25" },
        { "services.s.secrets.0.mode",                     "services: {s: {secrets: [{mode: '0440'}]}}", COMPOSE_NODE_INT,   "440" },
        { "services.s.volumes.0.read_only",                "services: {s: {volumes: [{read_only: 'true'}]}}", COMPOSE_NODE_BOOL, "true" },
        { "services.s.volumes.0.volume.nocopy",            "services: {s: {volumes: [{volume: {nocopy: 'on'}}]}}", COMPOSE_NODE_BOOL, "true" },
        { "networks.n.internal",                           "networks: {n: {internal: 'false'}}",         COMPOSE_NODE_BOOL,  "false" },
        { "secrets.x.external",                            "secrets: {x: {external: 'True'}}",           COMPOSE_NODE_BOOL,  "true" },
        /* not cast paths: strings stay */
        { "services.s.ports.0.published",                  "services: {s: {ports: [{published: '80'}]}}", COMPOSE_NODE_STRING, "80" },
        { "services.s.mem_limit",                          "services: {s: {mem_limit: '${R}'}}",         COMPOSE_NODE_STRING, "5" },
        { "services.s.environment.tty",                    "services: {s: {environment: {tty: 'yes'}}}", COMPOSE_NODE_STRING, "yes" },
        { "x-tty",                                         "x-tty: 'yes'",                               COMPOSE_NODE_STRING, "yes" },
        /* a service whose name holds a '.' spans two path parts in compose-go: no cast */
        { "services.a.b",                                  "services: {a.b: {tty: 'yes'}}",              COMPOSE_NODE_MAP,    NULL },
        /* non-strings are left alone */
        { "services.s.tty",                                "services: {s: {tty: 1}}",                    COMPOSE_NODE_INT,    "1" },
};

TEST(tree_cast_table) {
        for (size_t i = 0; i < ELEMENTSOF(cast_cases); i++) {
                _cleanup_(compose_node_freep) ComposeNode *n = parse(cast_cases[i].yaml);
                NcError err = {};
                ComposeNode *x;

                printf("# case %zu\n", i);
                ASSERT_NOT_NULL(n);
                ASSERT_OK(compose_interpolate_tree(n, lookup, NULL, NULL, &err));
                if (streq(cast_cases[i].path, "services.a.b")) {
                        x = compose_map_get(compose_map_get(compose_map_get(n, "services"), "a.b"), "tty");
                        ASSERT_EQ(x->type, COMPOSE_NODE_STRING);
                        continue;
                }
                x = path_get(n, cast_cases[i].path);
                ASSERT_NOT_NULL(x);
                ASSERT_EQ(x->type, cast_cases[i].type);
                ASSERT_STREQ(x->scalar, cast_cases[i].text);
        }
}

TEST(tree_empty_and_scalar_roots) {
        _cleanup_(compose_node_freep) ComposeNode *s = compose_node_new_string("${A}", NULL);

        ASSERT_OK(compose_interpolate_tree(NULL, lookup, NULL, NULL, NULL));
        ASSERT_OK(compose_interpolate_tree(s, lookup, NULL, NULL, NULL));
        ASSERT_STREQ(s->scalar, "a");
}

TAP_MAIN();
