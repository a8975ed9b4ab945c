/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "lib/macro.h"
#include "lib/strv.h"
#include "reconcile/names.h"
#include "tests/tap.h"

/* Every name of every (project, service) and every project-wide unit, for a set of names chosen to
 * collide under the encodings of earlier releases ("a" + "b-c" against "a-b" + "c", "_" against "-",
 * a service called "network", "target" or "x.y", long names). */
static const char *const projects[] = { "a", "a-b", "a_b", "ab", "b", "a-b-c", "x" };
static const char *const services[] = {
        "c", "b-c", "b_c", "network", "target", "web", "web.1", "x.y", "X", "x", "-", "_", ".hidden",
        "a-very-long-service-name-that-is-long-enough-to-push-past-sixty-four-bytes",
};

static void add_unit_names(char ***all, const char *p) {
        ASSERT_OK(strv_consume(all, name_target_unit(p)));
        ASSERT_OK(strv_consume(all, name_network_unit(p)));
        for (size_t s = 0; s < ELEMENTSOF(services); s++)
                ASSERT_OK(strv_consume(all, name_service_unit(p, services[s])));
}

static void assert_distinct(char **l) {
        size_t n = strv_length(l);

        strv_sort(l);
        for (size_t i = 1; i < n; i++)
                if (streq(l[i - 1], l[i]))
                        TAP_FAIL("two things share the name \"%s\"", l[i]);
}

TEST(unit_names_never_collide_across_projects) {
        _cleanup_strv_free_ char **all = NULL;

        for (size_t p = 0; p < ELEMENTSOF(projects); p++)
                add_unit_names(&all, projects[p]);
        assert_distinct(all);
}

TEST(machine_names_never_collide_and_are_valid) {
        _cleanup_strv_free_ char **all = NULL;

        for (size_t p = 0; p < ELEMENTSOF(projects); p++)
                for (size_t s = 0; s < ELEMENTSOF(services); s++) {
                        char *m = NULL;

                        ASSERT_OK(name_machine(projects[p], services[s], NULL, &m));
                        ASSERT_TRUE(strlen(m) <= 64);
                        ASSERT_TRUE(strspn(m, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
                                    strlen(m));
                        ASSERT_FALSE(m[0] == '.' || endswith(m, ".") || strstr(m, ".."));
                        ASSERT_OK(strv_consume(&all, m));
                }
        assert_distinct(all);
}

TEST(machine_names_read_as_project_dot_service) {
        char *m = NULL;

        ASSERT_OK(name_machine("shop", "web", NULL, &m));
        ASSERT_STREQ(m, "shop.web");
        free(m);
        ASSERT_OK(name_machine("my-shop", "api-v2", NULL, &m));
        ASSERT_STREQ(m, "my-shop.api-v2");
        free(m);
        ASSERT_OK(name_machine("shop", "db_1", NULL, &m));     /* '_' is not a hostname character: hashed */
        ASSERT_TRUE(startswith(m, "nc-") && strlen(m) == 19 && !strchr(m, '.'));
        free(m);
        ASSERT_EQ(name_machine("shop", "", NULL, &m), -EINVAL);
        ASSERT_EQ(name_machine("shop", "a/b", NULL, &m), -EINVAL);
}

/* container_name: docker's [a-zA-Z0-9][a-zA-Z0-9_.-]+ and machined's hostname rule together. */
TEST(container_names) {
        static const char *const good[] = { "db", "my-db", "Web2", "a.b", "x1", "a-b.c-d" };
        static const char *const bad[] = { "", "a", "-a", ".a", "a.", "a..b", "a_b", "a/b", "a b", "é1",
                "a12345678901234567890123456789012345678901234567890123456789012345" };
        char *m = NULL;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                ASSERT_TRUE(name_container_name_valid(good[i]));
                ASSERT_OK(name_machine("shop", "web", good[i], &m));
                ASSERT_STREQ(m, good[i]);
                free(m);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ASSERT_FALSE(name_container_name_valid(bad[i]));
                ASSERT_EQ(name_machine("shop", "web", bad[i], &m), -EINVAL);
        }
        ASSERT_FALSE(name_container_name_valid(NULL));
}

TEST(credential_names) {
        ASSERT_TRUE(name_credential_valid("db-password"));
        ASSERT_TRUE(name_credential_valid("a.b_c"));
        ASSERT_FALSE(name_credential_valid("."));
        ASSERT_FALSE(name_credential_valid(".."));
        ASSERT_FALSE(name_credential_valid("a/b"));
        ASSERT_FALSE(name_credential_valid(""));
        ASSERT_FALSE(name_credential_valid(NULL));
}

TEST(interface_names_fit_the_kernel) {
        _cleanup_free_ char *b = name_bridge("a-very-long-project-name", "a-very-long-network-name");
        _cleanup_free_ char *n = name_netns("a", "b");
        _cleanup_free_ char *v = name_veth("a", "b", "c");

        ASSERT_TRUE(b && strlen(b) < 16 && startswith(b, "nc-"));
        ASSERT_TRUE(n && strlen(n) < 16);
        ASSERT_TRUE(v && strlen(v) < 16 && startswith(v, "vh-"));
}

TEST(the_units_of_earlier_releases_are_known) {
        _cleanup_free_ char *old = name_legacy_service_unit("shop", "web"), *now = name_service_unit("shop", "web");

        ASSERT_STREQ(old, "nspawn-compose-shop-web.service");
        ASSERT_STREQ(now, "nspawn-compose-shop.web.service");
}

/* A project called after a directory of ours would have it as its state directory: down would remove
 * every project's volumes ("volumes") or images ("images"). */
TEST(reserved_project_names_are_refused) {
        static const char *const reserved[] = { "images", "volumes", "volume-owners", "hash-key", "build" };
        NcError err = {};

        for (size_t i = 0; i < ELEMENTSOF(reserved); i++) {
                _cleanup_free_ char *state = name_state_dir(reserved[i], NULL);

                ASSERT_TRUE(name_project_is_reserved(reserved[i]));
                ASSERT_EQ(name_project_check(reserved[i], &err), -EINVAL);
                ASSERT_STRCONTAINS(err.message, "is reserved");
                err = (NcError) {};
                /* every path of ours that is a project's name's state directory is on the list */
                ASSERT_TRUE(streq(state, NC_IMAGE_STORE) || streq(state, NC_VOLUMES_DIR) ||
                            streq(state, NC_VOLUME_OWNERS) || streq(state, NC_HASH_KEY) ||
                            streq(state, NC_BUILD_DIR));
        }
        ASSERT_FALSE(name_project_is_reserved("image"));
        ASSERT_OK(name_project_check("shop", NULL));
        ASSERT_EQ(name_project_check("Shop", &err), -EINVAL);
        ASSERT_EQ(name_project_check("", NULL), -EINVAL);
}

TAP_MAIN();
