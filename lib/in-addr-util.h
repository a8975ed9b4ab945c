/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IPv4 and IPv6 addresses and prefixes, as systemd's in-addr-util.h. */

union in_addr_union {
        struct in_addr in;
        struct in6_addr in6;
        uint8_t bytes[16];
};

/* 4 for AF_INET, 16 for AF_INET6, 0 for any other family. */
size_t in_addr_family_size(int family);

/* One address of @family (AF_INET or AF_INET6), the whole of @s. 0, -EINVAL, or -EAFNOSUPPORT. */
int in_addr_from_string(int family, const char *s, union in_addr_union *ret);
/* One address of either family; *ret_family (may be NULL) is AF_INET or AF_INET6. 0 or -EINVAL. */
int in_addr_from_string_auto(const char *s, int *ret_family, union in_addr_union *ret);

/* Drops the brackets of "[fd00::1]" (as URLs and docker's port specs write addresses) from the
 * *n bytes at *s, by moving *s and shortening *n; other text is left as it is. */
void in_addr_unbracket(const char **s, size_t *n);
/* in_addr_from_string_auto() of @s, which may be bracketed. */
int in_addr_from_string_bracketed(const char *s, int *ret_family, union in_addr_union *ret);

/* "ADDRESS/PREFIXLEN" of @family, or of either for AF_UNSPEC: a decimal prefix length of at most
 * 32 (IPv4) or 128 (IPv6). The address may have host bits set: see in_addr_prefix_is_network().
 * *ret_family may be NULL. 0, -EINVAL, or -EAFNOSUPPORT. */
int in_addr_prefix_from_string(int family, const char *s, int *ret_family, union in_addr_union *ret,
                               unsigned *ret_prefixlen);
/* Whether @a has no bits set past the first @prefixlen (it is the network address). */
bool in_addr_prefix_is_network(int family, const union in_addr_union *a, unsigned prefixlen);
/* Whether the networks @a/@aprefixlen and @b/@bprefixlen of @family share an address: one contains
 * the other. */
bool in_addr_prefix_intersect(int family, const union in_addr_union *a, unsigned aprefixlen,
                              const union in_addr_union *b, unsigned bprefixlen);
