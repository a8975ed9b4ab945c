/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <stdint.h>

#include "lib/in-addr-util.h"
#include "reconcile/compose/compose-internal.h"

/* The value parsers of ports and addresses on one line of input: the short port syntax, expose,
 * host IPs, and lib's address and prefix parsers. What they accept must be what they promise:
 * ranges in 1..65535 and ordered, a known protocol, addresses that print and parse back alike. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_range(const ComposePortRange *r, bool may_be_none) {
        if (r->start == 0 && r->end == 0 && may_be_none)
                return;
        if (r->start == 0 || r->start > r->end)
                abort();
}

static void check_address_roundtrip(int family, const union in_addr_union *a) {
        char buf[INET6_ADDRSTRLEN];
        union in_addr_union again;

        if (!inet_ntop(family, a, buf, sizeof buf))
                abort();
        if (in_addr_from_string(family, buf, &again) < 0 ||
            memcmp(&again, a, in_addr_family_size(family)) != 0)
                abort();
}

static void fuzz_ports(const char *s) {
        ComposePortSpec spec;
        ComposePortRange range;
        char proto[8], ip[COMPOSE_HOST_IP_MAX];

        if (compose_parse_port_spec(s, &spec, NULL) >= 0) {
                check_range(&spec.published, true);
                check_range(&spec.target, false);
                if (!compose_protocol_is_valid(spec.protocol))
                        abort();
                if (spec.host_ip[0] &&
                    in_addr_from_string_auto(spec.host_ip, NULL, &(union in_addr_union) {}) < 0)
                        abort();
        }
        if (compose_parse_expose(s, &range, proto, NULL) >= 0) {
                check_range(&range, false);
                if (!compose_protocol_is_valid(proto))
                        abort();
        }
        if (compose_parse_host_ip(s, strlen(s), ip, NULL) >= 0 && ip[0] &&
            in_addr_from_string_auto(ip, NULL, &(union in_addr_union) {}) < 0)
                abort();
}

static void fuzz_addresses(const char *s) {
        union in_addr_union a;
        unsigned prefixlen;
        int family;

        if (in_addr_from_string_auto(s, &family, &a) >= 0)
                check_address_roundtrip(family, &a);
        if (in_addr_from_string_bracketed(s, &family, &a) >= 0)
                check_address_roundtrip(family, &a);
        if (in_addr_prefix_from_string(AF_UNSPEC, s, &family, &a, &prefixlen) >= 0) {
                if (prefixlen > in_addr_family_size(family) * 8)
                        abort();
                check_address_roundtrip(family, &a);
                (void) in_addr_prefix_is_network(family, &a, prefixlen);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL;

        if (size > 4096)                /* a value, not a file */
                return 0;
        s = strndup((const char *) data, size);
        if (!s)
                return 0;
        fuzz_ports(s);
        fuzz_addresses(s);
        return 0;
}
