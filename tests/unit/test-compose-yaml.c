/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reconcile/compose/compose-internal.h"
#include "lib/strv.h"
#include "tests/tap.h"

static ComposeNode *parse(const char *text) {
        ComposeNode *n = NULL;
        NcError err = {};

        if (compose_yaml_parse("t.yml", text, strlen(text), &n, &err) < 0) {
                tap_diag("%s:%u:%u: %s", err.file, err.line, err.column, err.message);
                return NULL;
        }
        return n;
}

static int parse_error(const char *text, NcError *err) {
        _cleanup_(compose_node_freep) ComposeNode *n = NULL;

        return compose_yaml_parse("t.yml", text, strlen(text), &n, err);
}

TEST(core_schema_scalars) {
        _cleanup_(compose_node_freep) ComposeNode *n =
                parse("a: 8080\nb: \"8080\"\nc: true\nd: yes\ne: ~\nf: 0x1F\ng: 0o17\nh: 1.5\ni: off\nj: 010\nk: '1'\nl:\n");

        ASSERT_NOT_NULL(n);
        ASSERT_EQ(compose_map_get(n, "a")->type, COMPOSE_NODE_INT);
        ASSERT_EQ(compose_map_get(n, "b")->type, COMPOSE_NODE_STRING);
        ASSERT_TRUE(compose_map_get(n, "b")->flags & COMPOSE_NODE_QUOTED);
        ASSERT_EQ(compose_map_get(n, "c")->type, COMPOSE_NODE_BOOL);
        ASSERT_EQ(compose_map_get(n, "d")->type, COMPOSE_NODE_STRING);   /* YAML 1.2: yes is a string */
        ASSERT_EQ(compose_map_get(n, "e")->type, COMPOSE_NODE_NULL);
        ASSERT_STREQ(compose_map_get_str(n, "f"), "31");
        ASSERT_STREQ(compose_map_get_str(n, "g"), "15");
        ASSERT_EQ(compose_map_get(n, "h")->type, COMPOSE_NODE_FLOAT);
        ASSERT_EQ(compose_map_get(n, "i")->type, COMPOSE_NODE_STRING);
        ASSERT_STREQ(compose_map_get_str(n, "j"), "8");        /* 010: octal, as go-yaml v3 reads it */
        ASSERT_EQ(compose_map_get(n, "k")->type, COMPOSE_NODE_STRING);
        ASSERT_EQ(compose_map_get(n, "l")->type, COMPOSE_NODE_NULL);
}

/* Numbers as go-yaml v3 reads them and docker compose prints them back. */
TEST(numbers_as_docker_compose_prints_them) {
        static const struct {
                const char *in;
                ComposeNodeType type;
                const char *text;
        } cases[] = {
                { ".5", COMPOSE_NODE_FLOAT, "0.5" },     { "1.", COMPOSE_NODE_INT, "1" },
                { "1.e3", COMPOSE_NODE_INT, "1000" },    { "1e3", COMPOSE_NODE_INT, "1000" },
                { "1e21", COMPOSE_NODE_FLOAT, "1e+21" }, { "1e-7", COMPOSE_NODE_FLOAT, "1e-07" },
                { "-.5", COMPOSE_NODE_FLOAT, "-0.5" },   { "+1.5", COMPOSE_NODE_FLOAT, "1.5" },
                { "1e6", COMPOSE_NODE_FLOAT, "1e+06" },  { "1_000.5", COMPOSE_NODE_FLOAT, "1000.5" },
                { "0x10", COMPOSE_NODE_INT, "16" },      { "1_000", COMPOSE_NODE_INT, "1000" },
                { "-0x10", COMPOSE_NODE_INT, "-16" },    { "0b101", COMPOSE_NODE_INT, "5" },
                { "+7", COMPOSE_NODE_INT, "7" },         { "-0", COMPOSE_NODE_INT, "0" },
                { "12345678901234567890", COMPOSE_NODE_INT, "12345678901234567890" },
                { "100000000000000000000000", COMPOSE_NODE_FLOAT, "1e+23" },
                { "08", COMPOSE_NODE_INT, "8" },         { "1e400", COMPOSE_NODE_STRING, "1e400" },
                { "0x", COMPOSE_NODE_STRING, "0x" },     { "1_0x", COMPOSE_NODE_STRING, "1_0x" },
                { ".e3", COMPOSE_NODE_STRING, ".e3" },   { "1e", COMPOSE_NODE_STRING, "1e" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *text = strjoin("v: ", cases[i].in);
                _cleanup_(compose_node_freep) ComposeNode *n = parse(text);
                const ComposeNode *v = compose_map_get(n, "v");

                printf("# %s\n", cases[i].in);
                ASSERT_NOT_NULL(v);
                ASSERT_EQ(v->type, cases[i].type);
                ASSERT_STREQ(v->scalar, cases[i].text);
                ASSERT_EQ(compose_yaml_plain_type(cases[i].text), cases[i].type);
        }
}

TEST(nonfinite_rejected) {
        NcError err = {};

        ASSERT_EQ(parse_error("a: [1, .inf]\n", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "unsupported value: +Inf");
        ASSERT_EQ(err.column, 8u);
        ASSERT_EQ(parse_error("a: .NaN\n", &err), -EINVAL);
        ASSERT_EQ(parse_error("a: -.inf\n", &err), -EINVAL);
        ASSERT_EQ(parse_error("a: '.inf'\n", &err), 0);
}

TEST(marks_are_one_based) {
        _cleanup_(compose_node_freep) ComposeNode *n = parse("services:\n  web:\n    image: x\n");
        ComposeNode *web = compose_map_get(compose_map_get(n, "services"), "web");

        ASSERT_EQ(web->mark.line, 3);
        ASSERT_EQ(web->mark.column, 5);
        ASSERT_EQ(compose_map_get(n, "services")->keys[0]->mark.line, 2);
        ASSERT_EQ(compose_map_get(n, "services")->keys[0]->mark.column, 3);
}

TEST(anchors_aliases_and_merge_keys) {
        _cleanup_(compose_node_freep) ComposeNode *n = parse(
                "x-a: &a {image: a, restart: always}\n"
                "x-b: &b {image: b, user: root}\n"
                "services:\n"
                "  one:\n"
                "    <<: *a\n"
                "  two:\n"
                "    image: mine\n"
                "    <<: [*a, *b]\n"
                "  three:\n"
                "    environment: *a\n");
        ComposeNode *s = compose_map_get(n, "services");

        ASSERT_NOT_NULL(n);
        ASSERT_STREQ(compose_map_get_str(compose_map_get(s, "one"), "image"), "a");
        /* explicit keys win even when they come before <<; earlier sources win over later */
        ASSERT_STREQ(compose_map_get_str(compose_map_get(s, "two"), "image"), "mine");
        ASSERT_STREQ(compose_map_get_str(compose_map_get(s, "two"), "restart"), "always");
        ASSERT_STREQ(compose_map_get_str(compose_map_get(s, "two"), "user"), "root");
        ASSERT_NULL(compose_map_get(compose_map_get(s, "two"), "<<"));
        ASSERT_STREQ(compose_map_get_str(compose_map_get(compose_map_get(s, "three"), "environment"), "image"), "a");
}

TEST(anchor_defined_inside_merge_value) {
        _cleanup_(compose_node_freep) ComposeNode *n = parse(
                "services:\n  a:\n    <<: &base {image: x}\n  b:\n    <<: *base\n");

        ASSERT_NOT_NULL(n);
        ASSERT_STREQ(compose_map_get_str(compose_map_get(compose_map_get(n, "services"), "b"), "image"), "x");
}

TEST(duplicate_keys_rejected) {
        NcError err = {};

        ASSERT_EQ(parse_error("services:\n  base:\n    image: a\n  base:\n    image: b\n", &err), -EINVAL);
        ASSERT_STREQ(err.message, "mapping key \"base\" already defined at line 2");
        ASSERT_EQ(err.line, 4);
        ASSERT_EQ(err.column, 3);
}

TEST(reset_and_override_tags) {
        _cleanup_(compose_node_freep) ComposeNode *n = parse("a: !reset []\nb: !override {x: 1}\nc: !!str 5\n");

        ASSERT_TRUE(compose_map_get(n, "a")->flags & COMPOSE_NODE_TAG_RESET);
        ASSERT_TRUE(compose_map_get(n, "b")->flags & COMPOSE_NODE_TAG_OVERRIDE);
        ASSERT_EQ(compose_map_get(n, "c")->type, COMPOSE_NODE_STRING);
}

TEST(syntax_error_has_position) {
        NcError err = {};

        ASSERT_EQ(parse_error("services:\n  web: [a, b\n", &err), -EINVAL);
        ASSERT_TRUE(err.line >= 2);
        ASSERT_STREQ(err.file, "t.yml");
}

TEST(empty_document_is_null) {
        _cleanup_(compose_node_freep) ComposeNode *n = NULL;

        ASSERT_OK(compose_yaml_parse("t.yml", "# only a comment\n", 17, &n, NULL));
        ASSERT_NULL(n);
}

TEST(unknown_alias_rejected) {
        NcError err = {};

        ASSERT_EQ(parse_error("a: *nope\n", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "nope");
}

TEST(merge_files) {
        _cleanup_(compose_node_freep) ComposeNode *base = parse(
                "services:\n  web:\n    image: a\n    command: [x, y]\n    environment: [A=1, B=2]\n"
                "    ports: ['80:80']\n    volumes: ['./a:/data', '/x:/y']\n    dns: [1.1.1.1]\n"
                "    labels: {keep: me}\n    depends_on: [db]\n");
        ComposeNode *web;

        ASSERT_OK(compose_merge(base, parse(
                "services:\n  web:\n    image: b\n    command: [z]\n    environment: {B: 3, C: null}\n"
                "    ports: ['80:80', '443:443']\n    volumes: ['./b:/data']\n    dns: [8.8.8.8]\n"
                "    labels: !reset {}\n    depends_on: {cache: {condition: service_healthy}}\n"), NULL));
        web = compose_map_get(compose_map_get(base, "services"), "web");
        ASSERT_STREQ(compose_map_get_str(web, "image"), "b");
        ASSERT_EQ(compose_map_get(web, "command")->n_items, 1);
        ASSERT_STREQ(compose_map_get_str(compose_map_get(web, "environment"), "A"), "1");
        ASSERT_STREQ(compose_map_get_str(compose_map_get(web, "environment"), "B"), "3");
        ASSERT_EQ(compose_map_get(compose_map_get(web, "environment"), "C")->type, COMPOSE_NODE_NULL);
        ASSERT_EQ(compose_map_get(web, "ports")->n_items, 2);
        ASSERT_EQ(compose_map_get(web, "volumes")->n_items, 2);
        ASSERT_STREQ(compose_map_get(web, "volumes")->items[0]->scalar, "./b:/data");
        ASSERT_EQ(compose_map_get(web, "dns")->n_items, 2);
        ASSERT_NULL(compose_map_get(web, "labels"));
        ASSERT_NOT_NULL(compose_map_get(compose_map_get(web, "depends_on"), "db"));
        ASSERT_STREQ(compose_map_get_str(compose_map_get(compose_map_get(web, "depends_on"), "cache"), "condition"),
                     "service_healthy");
}

TEST(override_tag_replaces) {
        _cleanup_(compose_node_freep) ComposeNode *base = parse("services:\n  web:\n    ports: ['1:1']\n");
        ComposeNode *web;

        ASSERT_OK(compose_merge(base, parse("services:\n  web:\n    ports: !override ['2:2']\n"), NULL));
        web = compose_map_get(compose_map_get(base, "services"), "web");
        ASSERT_EQ(compose_map_get(web, "ports")->n_items, 1);
        ASSERT_STREQ(compose_map_get(web, "ports")->items[0]->scalar, "2:2");
}

TEST(multi_document_merges) {
        _cleanup_(compose_node_freep) ComposeNode *n = parse("services:\n  a: {image: x}\n---\nservices:\n  b: {image: y}\n");

        ASSERT_EQ(compose_map_get(n, "services")->n_items, 2);
}

TEST(dump_yaml_quotes_what_would_change_type) {
        _cleanup_(compose_node_freep) ComposeNode *n = parse("a: \"8080\"\nb: 8080\nc: \"yes\"\nd: hello\ne: \"x: y\"\n"
                                                           "f: \"1_000\"\ng: \"2001-12-14\"\nh: 0x\n");
        _cleanup_free_ char *y = compose_dump_yaml(n);
        _cleanup_(compose_node_freep) ComposeNode *back = NULL;

        ASSERT_STRCONTAINS(y, "a: \"8080\"\n");
        ASSERT_STRCONTAINS(y, "b: 8080\n");
        ASSERT_STRCONTAINS(y, "c: \"yes\"\n");
        ASSERT_STRCONTAINS(y, "d: hello\n");
        ASSERT_STRCONTAINS(y, "f: \"1_000\"\n");        /* go-yaml reads 1_000 as 1000 */
        ASSERT_STRCONTAINS(y, "g: \"2001-12-14\"\n");   /* and this as a timestamp */
        ASSERT_STRCONTAINS(y, "h: 0x\n");
        back = parse(y);
        ASSERT_TRUE(compose_node_equal(n, back));
}

TEST(dump_json_types_and_order) {
        _cleanup_(compose_node_freep) ComposeNode *n = parse("services: {}\nname: p\nb: [1, true, null, \"s\"]\n");
        _cleanup_free_ char *j = compose_dump_json(n);

        ASSERT_STRCONTAINS(j, "\"name\": \"p\"");
        /* docker compose's JSON: the top level is a Go map, its keys sorted */
        ASSERT_TRUE(strstr(j, "\"b\"") < strstr(j, "\"name\""));
        ASSERT_TRUE(strstr(j, "\"name\"") < strstr(j, "\"services\""));
        ASSERT_STRCONTAINS(j, "\"services\": {}");
        ASSERT_STRCONTAINS(j, "\"b\": [\n    1,\n    true,\n    null,\n    \"s\"\n  ]");
}

/* Floats as encoding/json writes them, except an integral one from 1e6 on, which keeps go-yaml's
 * exponent form so that it reads back as a float. Strings with Go's escapes. */
TEST(dump_json_numbers_and_escapes) {
        _cleanup_(compose_node_freep) ComposeNode *n =
                parse("a: [0.5, 1e-7, 2e7, 1e21, 12345678901234567890]\nb: \"<&>\\u2028\\t\"\n");
        _cleanup_free_ char *j = compose_dump_json(n);

        ASSERT_STRCONTAINS(j, "0.5,\n    1e-7,\n    2e+07,\n    1e+21,\n    12345678901234567890\n");
        ASSERT_STRCONTAINS(j, "\"b\": \"\\u003c\\u0026\\u003e\\u2028\\t\"");
}

TAP_MAIN();
