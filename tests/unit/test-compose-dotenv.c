/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reconcile/compose/compose-internal.h"
#include "lib/strv.h"
#include "tests/tap.h"

/* The process environment every case sees. */
static const char *lookup(const char *name, void *userdata) {
        static const char *const env[][2] = {
                { "PROC", "proc" },
                { "INHERITED", "from-env" },
                { "EMPTY_ENV", "" },
        };

        for (size_t i = 0; i < ELEMENTSOF(env); i++)
                if (streq(env[i][0], name))
                        return env[i][1];
        return NULL;
}

/* Parses @text into an empty environment; the result joined with '|'. */
static char *parse_joined(const char *text) {
        _cleanup_strv_free_ char **env = NULL;
        NcError err = {};

        if (compose_dotenv_parse(".env", text, lookup, NULL, &env, &err) < 0) {
                tap_diag("%s:%u: %s", err.file, err.line, err.message);
                return NULL;
        }
        return env ? strv_join(env, "|") : strdup("");
}

static const struct {
        const char *text, *env;
} cases[] = {
        { "",                                   "" },
        { "\n\n  \t\n",                         "" },
        { "A=1\nB=2",                           "A=1|B=2" },
        { "A=1\nB=2\n",                         "A=1|B=2" },
        { "# comment\n  # indented comment\n\tA=1 # trailing\n", "A=1" },
        /* export */
        { "export A=2",                         "A=2" },
        { "export\tA=2",                        "A=2" },
        { "  export A=2",                       "A=2" },
        { "export exportFoo=2",                 "exportFoo=2" },
        { "exportFOO=2",                        "exportFOO=2" },
        { "export_FOO =2",                      "export_FOO=2" },
        { "export.FOO= 2",                      "export.FOO=2" },
        /* separators and blanks */
        { "FOO =bar",                           "FOO=bar" },
        { "FOO= bar",                           "FOO=bar" },
        { " KEY =value",                        "KEY=value" },
        { "OPTION_A: 1",                        "OPTION_A=1" },
        { "OPTION_A: Foo=bar",                  "OPTION_A=Foo=bar" },
        { "OPTION_A=1:B",                       "OPTION_A=1:B" },
        { "FOO=foobar=",                        "FOO=foobar=" },
        { "URL=postgres://localhost:5432/database?sslmode=disable", "URL=postgres://localhost:5432/database?sslmode=disable" },
        /* unquoted values and comments */
        { "FOO=bar ",                           "FOO=bar" },
        { "FOO=bar # this is foo",              "FOO=bar" },
        { "FOO=ba#r",                           "FOO=ba#r" },
        { "FOO=bar\t# tab is not a comment",    "FOO=bar\t# tab is not a comment" },
        { "FOO=  # comment",                    "FOO=# comment" },          /* blanks go first, then " #" is looked for */
        { "FOO=a 'b' \"c\"",                    "FOO=a 'b' \"c\"" },
        /* quotes */
        { "FOO=\"bar\"",                        "FOO=bar" },
        { "FOO='bar'",                          "FOO=bar" },
        { "FOO=\"escaped\\\"bar\"",             "FOO=escaped\"bar" },
        { "FOO='it\\'s'",                       "FOO=it's" },
        { "FOO='a\\nb\\\\c'",                   "FOO=a\\nb\\\\c" },        /* single quotes keep backslashes */
        { "FOO=\"'d'\"",                        "FOO='d'" },
        { "FOO=\"bar#baz\" # comment",          "FOO=bar#baz" },
        { "FOO='bar#baz' # comment",            "FOO=bar#baz" },
        { "FOO=\"bar\\nbaz\"",                  "FOO=bar\nbaz" },
        { "FOO=\"a\\tb\\\\n\\r\\v\\f\\b\\a\"",  "FOO=a\tb\\n\r\v\f\b\a" },
        { "FOO=\"bar\\n\\ b\\az\"",             "FOO=bar\n\\ b\az" },
        { "FOO=\"\\0101\\01\\0377\"",           "FOO=A\\01\xC3\xBF" },
        { "FOO=\"two\nlines\"\nBAR=x",          "FOO=two\nlines|BAR=x" },
        { "FOO='two\n  lines # not a comment'", "FOO=two\n  lines # not a comment" },
        { "FOO=\"\"\nBAR=''\nBAZ=",             "FOO=|BAR=|BAZ=" },
        { "FOO=\"a\" junk\n",                   "FOO=a" },                  /* "junk" is a key of its own, unset */
        /* KEY without a value */
        { "INHERITED\nA=1",                     "INHERITED=from-env|A=1" },
        { "INHERITED",                          "INHERITED=from-env" },
        { "MISSING\nA=1",                       "A=1" },
        { "EMPTY_ENV\n",                        "EMPTY_ENV=" },
        { "INHERITED=file\nINHERITED\n",        "INHERITED=from-env" },
        { "A=file\nA\n",                        "A=file" },                 /* unset in the environment: stays */
        /* substitution */
        { "FOO=test\nBAR=$FOO",                 "FOO=test|BAR=test" },
        { "FOO=test\nBAR=${FOO}bar",            "FOO=test|BAR=testbar" },
        { "BAR=$FOO",                           "BAR=" },
        { "FOO=test\nBAR=\"quote $FOO\"",       "FOO=test|BAR=quote test" },
        { "BAR='quote $FOO'",                   "BAR=quote $FOO" },
        { "FOO=\"foo\\$BAR\"",                  "FOO=foo$BAR" },
        { "FOO=\"foo\\${BAR}\"",                "FOO=foo${BAR}" },
        { "FOO=test\nBAR=\"foo\\${FOO} ${FOO}\"", "FOO=test|BAR=foo${FOO} test" },
        { "A=$$x",                              "A=$x" },
        { "A=${PROC}/x\nB=${NOPE:-def}\nC=${PROC:+set}", "A=proc/x|B=def|C=set" },
        { "PROC=file\nB=$PROC",                 "PROC=file|B=file" },       /* earlier lines first */
        { "B=$PROC\nPROC=file",                 "B=proc|PROC=file" },
        { "A=1\nB=${A:-${PROC}}-${C:-c}",       "A=1|B=1-c" },
        /* duplicates: the last one wins, in the first one's place */
        { "A=1\nB=2\nA=3",                      "A=3|B=2" },
        /* line endings, BOM, non-ASCII */
        { "A=1\r\nB='x'\r\nC=\"y\"\r\n",        "A=1|B=x|C=y" },
        { "\xEF\xBB\xBF" "A=1",                 "A=1" },
        { "a=b\na[1]=c\na.propertyKey=d\n\xC3\xA1rv\xC3\xADzt\xC5\xB1r\xC5\x91-T\xC3\x9CK\xC3\x96RF\xC3\x9AR\xC3\x93G\xC3\x89P=ok",
          "a=b|a[1]=c|a.propertyKey=d|\xC3\xA1rv\xC3\xADzt\xC5\xB1r\xC5\x91-T\xC3\x9CK\xC3\x96RF\xC3\x9AR\xC3\x93G\xC3\x89P=ok" },
        { "A\xC2\xA0=1",                        "A=1" },                    /* U+00A0 is a blank */
        { "=value\nB=1",                        "B=1" },                    /* an empty name is dropped */
};

TEST(parse_table) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *got = NULL;

                printf("# case %zu\n", i);
                got = parse_joined(cases[i].text);
                ASSERT_STREQ(got, cases[i].env);
        }
}

static const struct {
        const char *text, *message;
        unsigned line;
} error_cases[] = {
        { "A=1\n\n%!(EXTRA string)=foo",        "unexpected character \"%\" in variable name \"%!(EXTRA string)=foo\"", 3 },
        { "A/B=1",                              "unexpected character \"/\" in variable name \"A/B=1\"", 1 },
        { "A B=1",                              "key cannot contain a space", 1 },
        { "A=1\nB=\"unterminated\nC=3\n",       "unterminated quoted value \"unterminated", 2 },
        { "A='x",                               "unterminated quoted value 'x", 1 },
        { "# c\nX=${\n",                        "X: invalid interpolation format \"${\" (character 1)", 2 },
        { "X=\"a\nb\"\nY=${R:?need R}",         "Y: required variable R is missing a value: need R", 3 },
};

TEST(errors_name_the_line_and_leave_env_alone) {
        for (size_t i = 0; i < ELEMENTSOF(error_cases); i++) {
                _cleanup_strv_free_ char **env = strv_split("KEEP=1", "");
                NcError err = {};

                printf("# case %zu\n", i);
                ASSERT_EQ(compose_dotenv_parse("dir/.env", error_cases[i].text, lookup, NULL, &env, &err), -EINVAL);
                ASSERT_STREQ(err.file, "dir/.env");
                ASSERT_EQ(err.line, error_cases[i].line);
                ASSERT_STRCONTAINS(err.message, error_cases[i].message);
                ASSERT_EQ(strv_length(env), 1);
                ASSERT_STREQ(env[0], "KEEP=1");
        }
}

TEST(later_files_override_and_see_earlier_ones) {
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *joined = NULL;
        NcError err = {};

        ASSERT_OK(compose_dotenv_parse("a.env", "A=1\nB=2\nPROC=a\n", lookup, NULL, &env, &err));
        /* the second file: its own lines, then the environment, then what the first file set */
        ASSERT_OK(compose_dotenv_parse("b.env", "B=3\nC=${B}${A}\nD=$PROC\n", lookup, NULL, &env, &err));
        joined = strv_join(env, "|");
        ASSERT_STREQ(joined, "A=1|B=3|PROC=a|C=31|D=proc");
}

TEST(no_lookup) {
        _cleanup_strv_free_ char **env = NULL;

        ASSERT_OK(compose_dotenv_parse(".env", "A=${PROC:-none}\nINHERITED\n", NULL, NULL, &env, NULL));
        ASSERT_EQ(strv_length(env), 1);
        ASSERT_STREQ(env[0], "A=none");
}

TEST(strv_env_helpers) {
        _cleanup_strv_free_ char **env = NULL;

        ASSERT_NULL(strv_env_get(env, "A"));
        ASSERT_OK(strv_env_set(&env, "A", "1"));
        ASSERT_OK(strv_env_set(&env, "AB", "2"));
        ASSERT_OK(strv_env_set(&env, "A", "3"));
        ASSERT_EQ(strv_length(env), 2);
        ASSERT_STREQ(env[0], "A=3");
        ASSERT_STREQ(strv_env_get(env, "A"), "3");
        ASSERT_STREQ(strv_env_get(env, "AB"), "2");
        ASSERT_NULL(strv_env_get(env, "B"));
        ASSERT_OK(strv_extend(&env, "A=4"));            /* the last entry wins */
        ASSERT_STREQ(strv_env_get(env, "A"), "4");
}

TAP_MAIN();
