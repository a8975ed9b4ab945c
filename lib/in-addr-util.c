/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>

#include "lib/in-addr-util.h"
#include "lib/macro.h"

size_t in_addr_family_size(int family) {
        return family == AF_INET ? sizeof(struct in_addr) : family == AF_INET6 ? sizeof(struct in6_addr) : 0;
}

int in_addr_from_string(int family, const char *s, union in_addr_union *ret) {
        union in_addr_union a = {};

        if (in_addr_family_size(family) == 0)
                return -EAFNOSUPPORT;
        if (inet_pton(family, s, &a) != 1)
                return -EINVAL;
        *ret = a;
        return 0;
}

int in_addr_from_string_auto(const char *s, int *ret_family, union in_addr_union *ret) {
        int family;

        if (in_addr_from_string(AF_INET, s, ret) >= 0)
                family = AF_INET;
        else if (in_addr_from_string(AF_INET6, s, ret) >= 0)
                family = AF_INET6;
        else
                return -EINVAL;
        if (ret_family)
                *ret_family = family;
        return 0;
}

void in_addr_unbracket(const char **s, size_t *n) {
        if (*n >= 2 && (*s)[0] == '[' && (*s)[*n - 1] == ']') {
                (*s)++;
                *n -= 2;
        }
}

int in_addr_from_string_bracketed(const char *s, int *ret_family, union in_addr_union *ret) {
        char buf[INET6_ADDRSTRLEN];
        size_t n = strlen(s);

        in_addr_unbracket(&s, &n);
        if (n >= sizeof buf)
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = 0;
        return in_addr_from_string_auto(buf, ret_family, ret);
}

int in_addr_prefix_from_string(int family, const char *s, int *ret_family, union in_addr_union *ret,
                               unsigned *ret_prefixlen) {
        const char *slash = strchr(s, '/'), *p;
        char buf[INET6_ADDRSTRLEN];
        union in_addr_union a;
        unsigned plen = 0;
        int r;

        if (family != AF_UNSPEC && in_addr_family_size(family) == 0)
                return -EAFNOSUPPORT;
        if (!slash || (size_t) (slash - s) >= sizeof buf)
                return -EINVAL;
        memcpy(buf, s, slash - s);
        buf[slash - s] = 0;
        r = family == AF_UNSPEC ? in_addr_from_string_auto(buf, &family, &a) : in_addr_from_string(family, buf, &a);
        if (r < 0)
                return r;
        for (p = slash + 1; isdigit((unsigned char) *p) && plen <= 128; p++)
                plen = plen * 10 + (unsigned) (*p - '0');
        if (p == slash + 1 || *p || plen > in_addr_family_size(family) * 8)
                return -EINVAL;
        if (ret_family)
                *ret_family = family;
        *ret = a;
        *ret_prefixlen = plen;
        return 0;
}

bool in_addr_prefix_is_network(int family, const union in_addr_union *a, unsigned prefixlen) {
        size_t size = in_addr_family_size(family);

        for (size_t i = 0; i < size; i++) {
                unsigned bits = prefixlen > 8 * i ? prefixlen - 8 * i : 0;
                uint8_t host = bits >= 8 ? 0 : (uint8_t) (0xff >> bits);

                if (a->bytes[i] & host)
                        return false;
        }
        return true;
}

bool in_addr_prefix_intersect(int family, const union in_addr_union *a, unsigned aprefixlen,
                              const union in_addr_union *b, unsigned bprefixlen) {
        size_t size = in_addr_family_size(family);
        unsigned m = MIN(MIN(aprefixlen, bprefixlen), (unsigned) (8 * size));

        /* both lie in the shorter prefix's network: they share its first bits */
        for (size_t i = 0; i < size && 8 * i < m; i++) {
                unsigned bits = m - 8 * i;
                uint8_t mask = bits >= 8 ? 0xff : (uint8_t) (0xff << (8 - bits));

                if ((a->bytes[i] & mask) != (b->bytes[i] & mask))
                        return false;
        }
        return true;
}
