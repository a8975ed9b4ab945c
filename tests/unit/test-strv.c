/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "lib/strv.h"
#include "tests/tap.h"

TEST(null_is_the_empty_list) {
        _cleanup_free_ char *joined = strv_join(NULL, ",");

        ASSERT_EQ(strv_length(NULL), 0);
        ASSERT_FALSE(strv_contains(NULL, ""));
        ASSERT_STREQ(joined, "");
        ASSERT_NULL(strv_env_get(NULL, "A"));
        ASSERT_NULL(strv_free(NULL));
        STRV_FOREACH(s, (char **) NULL)
                TAP_FAIL("iterated over %s", *s);
}

TEST(extend_appends_a_copy) {
        _cleanup_strv_free_ char **l = NULL;
        char word[] = "one";

        ASSERT_OK(strv_extend(&l, word));
        ASSERT_OK(strv_extend(&l, ""));
        word[0] = 'X';
        ASSERT_EQ(strv_length(l), 2);
        ASSERT_STREQ(l[0], "one");
        ASSERT_STREQ(l[1], "");
        ASSERT_NULL(l[2]);
        ASSERT_TRUE(strv_contains(l, "one"));
        ASSERT_TRUE(strv_contains(l, ""));
        ASSERT_FALSE(strv_contains(l, "Xne"));
}

TEST(extendf_appends_the_formatted_string) {
        _cleanup_strv_free_ char **l = NULL;

        ASSERT_OK(strv_extendf(&l, "%s=%d", "port", 8080));
        ASSERT_OK(strv_extendf(&l, "%03d|%-3s|", 7, "x"));
        ASSERT_EQ(strv_length(l), 2);
        ASSERT_STREQ(l[0], "port=8080");
        ASSERT_STREQ(l[1], "007|x  |");
}

TEST(consume_takes_ownership) {
        _cleanup_strv_free_ char **l = NULL;
        char *s = strdup("owned");

        ASSERT_NOT_NULL(s);
        ASSERT_OK(strv_consume(&l, s));
        ASSERT_TRUE(l[0] == s);                 /* the pointer itself, not a copy */
        ASSERT_NULL(l[1]);
        /* NULL (a failed strdup() of the caller's) is -ENOMEM and leaves the list as it was */
        ASSERT_EQ(strv_consume(&l, NULL), -ENOMEM);
        ASSERT_EQ(strv_length(l), 1);
        ASSERT_STREQ(l[0], "owned");
}

TEST(many_entries_stay_in_order) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *joined = NULL;

        for (int i = 0; i < 1000; i++)
                ASSERT_OK(strv_extendf(&l, "%d", i));
        ASSERT_EQ(strv_length(l), 1000);
        for (int i = 0; i < 1000; i++)
                ASSERT_EQ(atoi(l[i]), i);
        joined = strv_join(l, "");
        ASSERT_NOT_NULL(joined);
        ASSERT_EQ(strlen(joined), 10 + 90 * 2 + 900 * 3);
}

TEST(join_puts_the_separator_between_entries) {
        char *one[] = { "a", NULL }, *three[] = { "a", "", "c", NULL };
        _cleanup_free_ char *a = strv_join(one, ", "), *b = strv_join(three, ", "), *c = strv_join(three, "");

        ASSERT_STREQ(a, "a");
        ASSERT_STREQ(b, "a, , c");
        ASSERT_STREQ(c, "ac");
}

TEST(split_drops_empty_fields) {
        _cleanup_strv_free_ char **l = strv_split("::a: b,,c:", ":,"), **none = strv_split("", ":"),
                                 **seps = strv_split(":::", ":");
        _cleanup_free_ char *joined = NULL;

        ASSERT_NOT_NULL(l);
        joined = strv_join(l, "|");
        ASSERT_STREQ(joined, "a| b|c");
        ASSERT_NOT_NULL(none);
        ASSERT_EQ(strv_length(none), 0);
        ASSERT_NOT_NULL(seps);
        ASSERT_EQ(strv_length(seps), 0);
}

TEST(copy_is_deep) {
        char *src[] = { "x", "y", NULL };
        _cleanup_strv_free_ char **c = strv_copy(src), **empty = strv_copy(NULL);

        ASSERT_NOT_NULL(c);
        ASSERT_EQ(strv_length(c), 2);
        ASSERT_TRUE(c[0] != src[0]);
        ASSERT_STREQ(c[0], "x");
        ASSERT_STREQ(c[1], "y");
        ASSERT_NOT_NULL(empty);                 /* an allocated empty list, not NULL */
        ASSERT_NULL(empty[0]);
}

TEST(sort_orders_bytewise) {
        _cleanup_strv_free_ char **l = strv_split("b a B aa  _", " ");
        _cleanup_free_ char *joined = NULL;

        strv_sort(l);
        joined = strv_join(l, " ");
        ASSERT_STREQ(joined, "B _ a aa b");
        strv_sort(NULL);
}

TEST(env_get_finds_the_last_entry_for_the_key) {
        char *env[] = { "A=1", "AB=2", "A=3", "B", "C=", NULL };

        ASSERT_STREQ(strv_env_get(env, "A"), "3");
        ASSERT_STREQ(strv_env_get(env, "AB"), "2");
        ASSERT_STREQ(strv_env_get(env, "C"), "");
        ASSERT_NULL(strv_env_get(env, "B"));    /* no '=': not an entry for B */
        ASSERT_NULL(strv_env_get(env, "D"));
}

TEST(env_set_replaces_the_first_entry_or_appends) {
        _cleanup_strv_free_ char **l = strv_split("A=1 AB=2 A=3", " ");
        _cleanup_free_ char *joined = NULL;

        ASSERT_OK(strv_env_set(&l, "A", "x y"));
        ASSERT_OK(strv_env_set(&l, "B", ""));
        joined = strv_join(l, ";");
        ASSERT_STREQ(joined, "A=x y;AB=2;A=3;B=");
}

TEST(free_frees_every_entry) {
        char **l = NULL;

        ASSERT_OK(strv_extend(&l, "a"));
        ASSERT_OK(strv_extend(&l, "b"));
        l = strv_free(l);                       /* the sanitizer reports what it would leak */
        ASSERT_NULL(l);
        {
                _cleanup_strv_free_ char **scoped = strv_split("c d", " ");

                ASSERT_EQ(strv_length(scoped), 2);
        }
}

TEST(strbuf_grows_and_hands_over) {
        _cleanup_free_ char *s = NULL, *empty = NULL, *joined = strjoin("a", "", "bc", "d");
        StrBuf b = {};

        for (int i = 0; i < 100; i++)
                strbuf_append(&b, "0123456789");
        strbuf_append_n(&b, "xyz", 2);
        strbuf_append_char(&b, '!');
        strbuf_printf(&b, "%d%%", 42);
        ASSERT_FALSE(b.oom);
        ASSERT_EQ(b.len, 1000 + 2 + 1 + 3);
        s = strbuf_steal(&b);
        ASSERT_NOT_NULL(s);
        ASSERT_EQ(strlen(s), 1006);
        ASSERT_STREQ(s + 1000, "xy!42%");
        ASSERT_NULL(b.buf);                     /* reset */
        ASSERT_EQ(b.len, 0);
        empty = strbuf_steal(&b);               /* nothing appended: "", not NULL */
        ASSERT_STREQ(empty, "");
        ASSERT_STREQ(joined, "abcd");
        strbuf_append(&b, "dropped");
        strbuf_done(&b);
        ASSERT_NULL(b.buf);
}

TEST(cescape_puts_a_value_on_one_line) {
        _cleanup_free_ char *a = cescape("h\n10.0.0.1 x\t\"q\" \\ \x1b[2J\x7f"), *b = cescape("plain");

        ASSERT_STREQ(a, "h\\n10.0.0.1 x\\t\\\"q\\\" \\\\ \\x1b[2J\\x7f");
        ASSERT_STREQ(b, "plain");
}

TAP_MAIN();
