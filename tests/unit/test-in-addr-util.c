/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>

#include "lib/in-addr-util.h"
#include "lib/macro.h"
#include "tests/tap.h"

static const char *fmt(int family, const union in_addr_union *a) {
        static char buf[INET6_ADDRSTRLEN];

        return inet_ntop(family, a, buf, sizeof buf);
}

TEST(family_size) {
        ASSERT_EQ(in_addr_family_size(AF_INET), 4u);
        ASSERT_EQ(in_addr_family_size(AF_INET6), 16u);
        ASSERT_EQ(in_addr_family_size(AF_UNSPEC), 0u);
        ASSERT_EQ(in_addr_family_size(AF_UNIX), 0u);
}

TEST(addresses) {
        union in_addr_union a;
        int family = -1;

        ASSERT_OK(in_addr_from_string(AF_INET, "10.89.0.1", &a));
        ASSERT_EQ(ntohl(a.in.s_addr), 0x0a590001u);
        ASSERT_OK(in_addr_from_string(AF_INET6, "fd00::1", &a));
        ASSERT_STREQ(fmt(AF_INET6, &a), "fd00::1");
        ASSERT_EQ(in_addr_from_string(AF_INET, "fd00::1", &a), -EINVAL);
        ASSERT_EQ(in_addr_from_string(AF_INET6, "10.89.0.1", &a), -EINVAL);
        ASSERT_EQ(in_addr_from_string(AF_UNIX, "10.89.0.1", &a), -EAFNOSUPPORT);

        ASSERT_OK(in_addr_from_string_auto("127.0.0.1", &family, &a));
        ASSERT_EQ(family, AF_INET);
        ASSERT_OK(in_addr_from_string_auto("::ffff:1.2.3.4", &family, &a));
        ASSERT_EQ(family, AF_INET6);
        ASSERT_STREQ(fmt(AF_INET6, &a), "::ffff:1.2.3.4");
        ASSERT_OK(in_addr_from_string_auto("::", NULL, &a));
        ASSERT_OK(in_addr_from_string_auto("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", NULL, &a));

        static const char *const bad[] = {
                "", "1.2.3", "1.2.3.4.5", "256.0.0.1", " 1.2.3.4", "1.2.3.4 ", "01.2.3.4x", "fd00:::1",
                "1:2:3:4:5:6:7:8:9", "[::1]", "10.0.0.0/8", "localhost",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_EQ(in_addr_from_string_auto(bad[i], &family, &a), -EINVAL);
}

TEST(brackets) {
        const char *s = "[::1]:8080";
        union in_addr_union a;
        size_t n = 5;
        int family;

        in_addr_unbracket(&s, &n);
        ASSERT_EQ(n, 3u);
        ASSERT_TRUE(strncmp(s, "::1", n) == 0);
        s = "::1";
        n = 3;
        in_addr_unbracket(&s, &n);
        ASSERT_EQ(n, 3u);
        s = "[";
        n = 1;
        in_addr_unbracket(&s, &n);
        ASSERT_EQ(n, 1u);
        s = "[]";
        n = 2;
        in_addr_unbracket(&s, &n);
        ASSERT_EQ(n, 0u);

        ASSERT_OK(in_addr_from_string_bracketed("[fd00::2]", &family, &a));
        ASSERT_EQ(family, AF_INET6);
        ASSERT_STREQ(fmt(AF_INET6, &a), "fd00::2");
        ASSERT_OK(in_addr_from_string_bracketed("[10.0.0.1]", &family, &a));
        ASSERT_EQ(family, AF_INET);
        ASSERT_OK(in_addr_from_string_bracketed("10.0.0.1", &family, &a));
        ASSERT_EQ(in_addr_from_string_bracketed("[fd00::2", &family, &a), -EINVAL);
        ASSERT_EQ(in_addr_from_string_bracketed("[]", &family, &a), -EINVAL);
        ASSERT_EQ(in_addr_from_string_bracketed("[[::1]]", &family, &a), -EINVAL);
        ASSERT_EQ(in_addr_from_string_bracketed("[00000000000000000000000000000000000000000000000]", &family, &a),
                  -EINVAL);
}

TEST(prefixes) {
        union in_addr_union a;
        unsigned plen = 99;
        int family = -1;

        ASSERT_OK(in_addr_prefix_from_string(AF_UNSPEC, "10.89.0.0/24", &family, &a, &plen));
        ASSERT_EQ(family, AF_INET);
        ASSERT_EQ(plen, 24u);
        ASSERT_EQ(ntohl(a.in.s_addr), 0x0a590000u);
        ASSERT_OK(in_addr_prefix_from_string(AF_UNSPEC, "fd00:1::/64", &family, &a, &plen));
        ASSERT_EQ(family, AF_INET6);
        ASSERT_EQ(plen, 64u);
        ASSERT_STREQ(fmt(AF_INET6, &a), "fd00:1::");
        ASSERT_OK(in_addr_prefix_from_string(AF_INET, "0.0.0.0/0", NULL, &a, &plen));
        ASSERT_EQ(plen, 0u);
        ASSERT_OK(in_addr_prefix_from_string(AF_INET, "10.0.0.1/32", NULL, &a, &plen));
        ASSERT_EQ(plen, 32u);
        ASSERT_OK(in_addr_prefix_from_string(AF_INET6, "::1/128", NULL, &a, &plen));
        ASSERT_EQ(plen, 128u);
        ASSERT_OK(in_addr_prefix_from_string(AF_INET, "10.0.0.0/008", NULL, &a, &plen));
        ASSERT_EQ(plen, 8u);

        static const struct {
                int family;
                const char *s;
                int r;
        } bad[] = {
                { AF_UNSPEC, "10.0.0.0", -EINVAL },
                { AF_UNSPEC, "10.0.0.0/", -EINVAL },
                { AF_UNSPEC, "10.0.0.0/33", -EINVAL },
                { AF_UNSPEC, "10.0.0.0/4294967304", -EINVAL },  /* 2^32 + 8 */
                { AF_UNSPEC, "fd00::/129", -EINVAL },
                { AF_UNSPEC, "10.0.0.0/-1", -EINVAL },
                { AF_UNSPEC, "10.0.0.0/+8", -EINVAL },
                { AF_UNSPEC, "10.0.0.0/ 8", -EINVAL },
                { AF_UNSPEC, "10.0.0.0/8x", -EINVAL },
                { AF_UNSPEC, "10.0.0.0/8/8", -EINVAL },
                { AF_UNSPEC, "/8", -EINVAL },
                { AF_UNSPEC, "10.0.0/8", -EINVAL },
                { AF_UNSPEC, "[fd00::]/64", -EINVAL },
                { AF_UNSPEC, "0000:0000:0000:0000:0000:0000:0000:0000:0000/64", -EINVAL },
                { AF_INET, "fd00::/64", -EINVAL },
                { AF_INET6, "10.0.0.0/8", -EINVAL },
                { AF_UNIX, "10.0.0.0/8", -EAFNOSUPPORT },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_EQ(in_addr_prefix_from_string(bad[i].family, bad[i].s, &family, &a, &plen), bad[i].r);
}

TEST(prefix_is_network) {
        union in_addr_union a;

        ASSERT_OK(in_addr_from_string(AF_INET, "10.89.0.0", &a));
        ASSERT_TRUE(in_addr_prefix_is_network(AF_INET, &a, 16));
        ASSERT_TRUE(in_addr_prefix_is_network(AF_INET, &a, 32));
        ASSERT_FALSE(in_addr_prefix_is_network(AF_INET, &a, 8));
        ASSERT_OK(in_addr_from_string(AF_INET, "10.89.0.128", &a));
        ASSERT_TRUE(in_addr_prefix_is_network(AF_INET, &a, 25));
        ASSERT_FALSE(in_addr_prefix_is_network(AF_INET, &a, 24));
        ASSERT_OK(in_addr_from_string(AF_INET, "0.0.0.0", &a));
        ASSERT_TRUE(in_addr_prefix_is_network(AF_INET, &a, 0));
        ASSERT_OK(in_addr_from_string(AF_INET6, "fd00:1::", &a));
        ASSERT_TRUE(in_addr_prefix_is_network(AF_INET6, &a, 32));
        ASSERT_FALSE(in_addr_prefix_is_network(AF_INET6, &a, 16));
        ASSERT_OK(in_addr_from_string(AF_INET6, "fd00::1", &a));
        ASSERT_TRUE(in_addr_prefix_is_network(AF_INET6, &a, 128));
        ASSERT_FALSE(in_addr_prefix_is_network(AF_INET6, &a, 127));
}

static bool intersect(int family, const char *a, const char *b) {
        union in_addr_union x, y;
        unsigned px, py;

        ASSERT_OK(in_addr_prefix_from_string(family, a, NULL, &x, &px));
        ASSERT_OK(in_addr_prefix_from_string(family, b, NULL, &y, &py));
        ASSERT_EQ(in_addr_prefix_intersect(family, &x, px, &y, py), in_addr_prefix_intersect(family, &y, py, &x, px));
        return in_addr_prefix_intersect(family, &x, px, &y, py);
}

TEST(prefix_intersect) {
        ASSERT_TRUE(intersect(AF_INET6, "fd00:1::/64", "fd00:1::/48"));
        ASSERT_TRUE(intersect(AF_INET6, "fd00:1::/64", "fd00:1::/64"));
        ASSERT_FALSE(intersect(AF_INET6, "fd00:1::/64", "fd00:1:0:1::/64"));
        ASSERT_TRUE(intersect(AF_INET6, "fd00:1:0:1::/64", "fd00::/16"));
        ASSERT_FALSE(intersect(AF_INET6, "fd00::/16", "fe80::/10"));
        ASSERT_TRUE(intersect(AF_INET6, "::/0", "fe80::/10"));
        ASSERT_TRUE(intersect(AF_INET6, "fd00::1/128", "fd00::/127"));
        ASSERT_FALSE(intersect(AF_INET6, "fd00::1/128", "fd00::2/127"));
        /* the 7th bit decides: 10.88.0.0/15 holds 10.89, not 10.90 */
        ASSERT_TRUE(intersect(AF_INET, "10.88.0.0/15", "10.89.3.0/24"));
        ASSERT_FALSE(intersect(AF_INET, "10.88.0.0/15", "10.90.0.0/24"));
        ASSERT_TRUE(intersect(AF_INET, "10.89.0.0/24", "10.89.0.128/25"));
        ASSERT_FALSE(intersect(AF_INET, "10.89.0.0/25", "10.89.0.128/25"));
}

TAP_MAIN();
