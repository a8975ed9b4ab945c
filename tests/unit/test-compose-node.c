/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reconcile/compose/compose.h"
#include "tests/tap.h"

TEST(map_set_get_replace_remove) {
        _cleanup_(compose_node_freep) ComposeNode *m = compose_node_new(COMPOSE_NODE_MAP, NULL);

        ASSERT_NOT_NULL(m);
        ASSERT_OK(compose_map_set(m, "b", compose_node_new_string("1", NULL)));
        ASSERT_OK(compose_map_set(m, "a", compose_node_new_int(2, NULL)));
        ASSERT_EQ(m->n_items, 2);
        ASSERT_STREQ(compose_map_get_str(m, "b"), "1");
        ASSERT_OK(compose_map_set(m, "b", compose_node_new_bool(true, NULL)));
        ASSERT_EQ(m->n_items, 2);
        ASSERT_TRUE(compose_map_get_bool(m, "b", false));
        compose_map_sort(m);
        ASSERT_STREQ(m->keys[0]->scalar, "a");
        ASSERT_EQ(compose_map_remove(m, "a"), 1);
        ASSERT_EQ(compose_map_remove(m, "a"), 0);
        ASSERT_NULL(compose_map_get(m, "a"));
}

TEST(dup_and_equal) {
        _cleanup_(compose_node_freep) ComposeNode *m = compose_node_new(COMPOSE_NODE_MAP, NULL), *c = NULL;
        ComposeNode *s = compose_node_new(COMPOSE_NODE_SEQ, NULL);

        ASSERT_OK(compose_seq_append(s, compose_node_new_string("x", NULL)));
        ASSERT_OK(compose_map_set(m, "list", s));
        c = compose_node_dup(m);
        ASSERT_TRUE(compose_node_equal(m, c));
        ASSERT_OK(compose_seq_append(s, compose_node_new_string("y", NULL)));
        ASSERT_FALSE(compose_node_equal(m, c));
}

TEST(error_has_position_and_path) {
        ComposeMark mark = { .file = "compose.yml", .line = 12, .column = 7 };
        _cleanup_(compose_node_freep) ComposeNode *n = compose_node_new_string("0", &mark);
        NcError err = {};
        char buf[1024];

        ASSERT_EQ(compose_node_error(n, &err, -ERANGE, "services.web.ports[0]", "port %d out of range", 0), -ERANGE);
        ASSERT_STREQ(nc_error_format(&err, buf, sizeof buf), "compose.yml:12:7: services.web.ports[0]: port 0 out of range");
}

TAP_MAIN();
