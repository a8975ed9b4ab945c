/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <libnftnl/udata.h>

#include "netfilter/netfilter-internal.h"

/* Elements are byte images of the registers the rules load (fw-layout.c): every field of a
 * concatenation is padded to 4 bytes, the protocol sits in byte 0 of its word and a port is
 * big-endian in bytes 0-1 of its word. tcp . 8080 : 10.0.0.2 . 80 is 06000000 1f900000 :
 * 0a000002 00500000. */

FwUdata fw_udata_strz(uint8_t type, const char *s) {
        size_t l = MIN(strlen(s), sizeof ((FwUdata*) NULL)->buf - 3);
        FwUdata u = { .buf = { type, (uint8_t) (l + 1) }, .len = 2 + l + 1 };

        memcpy(u.buf + 2, s, l);
        return u;
}

/* Appends a 4-byte word holding @n bytes of @p. */
static void put_word(uint8_t *buf, uint32_t *len, const void *p, size_t n) {
        memset(buf + *len, 0, 4);
        memcpy(buf + *len, p, n);
        *len += 4;
}

static void put_addr(uint8_t *buf, uint32_t *len, int family, const FwAddr *a) {
        memcpy(buf + *len, a->bytes, in_addr_family_size(family));
        *len += in_addr_family_size(family);
}

static void put_port(uint8_t *buf, uint32_t *len, uint16_t port) {
        uint16_t be = htons(port);

        put_word(buf, len, &be, sizeof be);
}

static int protocol_parse(const char *s, uint8_t *ret) {
        if (isempty(s) || streq(s, "tcp"))
                *ret = IPPROTO_TCP;
        else if (streq(s, "udp"))
                *ret = IPPROTO_UDP;
        else if (streq(s, "sctp"))
                *ret = IPPROTO_SCTP;
        else
                return -EINVAL;
        return 0;
}

static const char *protocol_name(uint8_t p) {
        return p == IPPROTO_UDP ? "udp" : p == IPPROTO_SCTP ? "sctp" : p == IPPROTO_TCP ? "tcp" : "?";
}

static bool host_ip_is_any(const char *s) {
        return isempty(s) || streq(s, "0.0.0.0") || streq(s, "::") || streq(s, "[::]");
}

/* Why DNAT cannot publish on host address @a, or NULL. */
static const char *host_addr_unusable(int family, const FwAddr *a) {
        if (family == AF_INET) {
                uint32_t h = ntohl(a->in.s_addr);

                if (IN_MULTICAST(h) || h == INADDR_BROADCAST)
                        return "a multicast or broadcast address cannot be published";
                return NULL;
        }
        if (IN6_IS_ADDR_LOOPBACK(&a->in6))
                return "DNAT cannot serve ::1 (IPv6 has no route_localnet; a connection would hang); "
                       "publish on 127.0.0.1 or on all addresses instead";
        if (IN6_IS_ADDR_V4MAPPED(&a->in6))
                return "an IPv4-mapped IPv6 address cannot be published; use the IPv4 address";
        if (IN6_IS_ADDR_LINKLOCAL(&a->in6))
                return "a link-local IPv6 address cannot be published (no zone in DNAT maps)";
        if (IN6_IS_ADDR_MULTICAST(&a->in6))
                return "a multicast address cannot be published";
        return NULL;
}

static const char *target_addr_unusable(int family, const FwAddr *a) {
        if (family == AF_INET) {
                uint32_t h = ntohl(a->in.s_addr);

                if (h == INADDR_ANY || (h >> 24) == 127 || IN_MULTICAST(h) || h == INADDR_BROADCAST)
                        return "not a machine address";
                return NULL;
        }
        if (IN6_IS_ADDR_UNSPECIFIED(&a->in6) || IN6_IS_ADDR_LOOPBACK(&a->in6) ||
            IN6_IS_ADDR_MULTICAST(&a->in6) || IN6_IS_ADDR_V4MAPPED(&a->in6))
                return "not a machine address";
        return NULL;
}

/* A port, parsed. */
typedef struct PortInfo {
        uint8_t protocol;
        int family;
        bool host_any;
        FwAddr host, target;
} PortInfo;

static int port_error(NcError *reterr, const FwPort *p, const char *fmt, ...) _printf_(3, 4);
static int port_error(NcError *reterr, const FwPort *p, const char *fmt, ...) {
        char why[256];
        bool bracket, bracket6;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        /* IPv6 addresses in brackets, as compose writes them: "::1:8080" would read as one address. */
        bracket = p->host_ip && strchr(p->host_ip, ':') && p->host_ip[0] != '[';
        bracket6 = p->target_ip && strchr(p->target_ip, ':');
        return nc_error_set(reterr, -EINVAL, "service '%s': port %s%s%s%s%u:%s%s%s:%u/%s: %s",
                            strempty(p->service), bracket ? "[" : "", strempty(p->host_ip), bracket ? "]" : "",
                            isempty(p->host_ip) ? "" : ":", p->host_port, bracket6 ? "[" : "",
                            strempty(p->target_ip), bracket6 ? "]" : "", p->target_port,
                            isempty(p->protocol) ? "tcp" : p->protocol, why);
}

#define PORT_ERR(reterr, p, ...) port_error(reterr, p, __VA_ARGS__)

static int port_parse(const FwPort *p, PortInfo *ret, NcError *reterr) {
        PortInfo pi = {};
        const char *why;
        int hfamily;

        if (protocol_parse(p->protocol, &pi.protocol) < 0)
                return PORT_ERR(reterr, p, "unknown protocol (tcp, udp or sctp)");
        if (p->host_port == 0 || p->target_port == 0)
                return PORT_ERR(reterr, p, "port 0 cannot be published");
        if (isempty(p->target_ip) || in_addr_from_string_bracketed(p->target_ip, &pi.family, &pi.target) < 0)
                return PORT_ERR(reterr, p, "invalid target address");
        why = target_addr_unusable(pi.family, &pi.target);
        if (why)
                return PORT_ERR(reterr, p, "target: %s", why);
        pi.host_any = host_ip_is_any(p->host_ip);
        if (pi.host_any) {
                if (!isempty(p->host_ip) && (strchr(p->host_ip, ':') != NULL) != (pi.family == AF_INET6))
                        return PORT_ERR(reterr, p, "host and target address families differ");
                *ret = pi;
                return 0;
        }
        if (in_addr_from_string_bracketed(p->host_ip, &hfamily, &pi.host) < 0)
                return PORT_ERR(reterr, p, "invalid host address");
        why = host_addr_unusable(hfamily, &pi.host);
        if (why)
                return PORT_ERR(reterr, p, "%s", why);
        if (hfamily != pi.family)
                return PORT_ERR(reterr, p, "host and target address families differ "
                                "(DNAT does not translate between IPv4 and IPv6)");
        *ret = pi;
        return 0;
}

int fw_port_check(const FwPort *p, NcError *reterr) {
        PortInfo pi;

        return port_parse(p, &pi, reterr);
}

int fw_port_host(const FwPort *p, FwPortHost *ret, NcError *reterr) {
        PortInfo pi;
        int r;

        r = port_parse(p, &pi, reterr);
        if (r < 0)
                return r;
        *ret = (FwPortHost) { .protocol = pi.protocol, .family = pi.family, .any = pi.host_any, .addr = pi.host };
        return 0;
}

/* Two ports collide when the kernel could not tell which one a packet is for. */
static bool ports_collide(const FwPort *a, const PortInfo *ia, const FwPort *b, const PortInfo *ib) {
        if (a->host_port != b->host_port || ia->protocol != ib->protocol || ia->family != ib->family)
                return false;
        if (ia->host_any || ib->host_any)
                return true;
        return memcmp(&ia->host, &ib->host, in_addr_family_size(ia->family)) == 0;
}

/* Two ports that collide but may share the host port: targets of one balanced group, on exactly
 * the same host address. */
static bool ports_balance(const FwPort *a, const PortInfo *ia, const FwPort *b, const PortInfo *ib) {
        return a->balance && b->balance && streq(a->balance, b->balance) && ia->host_any == ib->host_any &&
                ports_collide(a, ia, b, ib);
}

/* Orders ports by host port, protocol and family: only neighbours can collide. Equal ones keep
 * the order written, which is the order of a balanced group's slots. */
typedef struct PortRef {
        const FwPort *port;
        PortInfo info;
} PortRef;

static int port_ref_key_cmp(const PortRef *a, const PortRef *b) {
        if (a->port->host_port != b->port->host_port)
                return a->port->host_port < b->port->host_port ? -1 : 1;
        if (a->info.protocol != b->info.protocol)
                return a->info.protocol < b->info.protocol ? -1 : 1;
        return a->info.family - b->info.family;
}

static int port_ref_cmp(const void *x, const void *y) {
        const PortRef *a = x, *b = y;
        int c = port_ref_key_cmp(a, b);

        if (c != 0)
                return c;
        return a->port < b->port ? -1 : a->port > b->port;
}

static int collision_error(const PortRef *a, const PortRef *b, NcError *reterr) {
        bool both_any = a->info.host_any && b->info.host_any;

        return nc_error_set(reterr, -EADDRINUSE, "services '%s' and '%s' both publish host port %u/%s%s%s",
                            strempty(a->port->service), strempty(b->port->service), a->port->host_port,
                            protocol_name(a->info.protocol), both_any ? "" : " on ",
                            both_any ? "" : a->info.host_any ? b->port->host_ip : a->port->host_ip);
}

/* Where each port goes: a plain element (n_group 0), or slot @index of a balanced group. */
typedef struct PortSlot {
        unsigned n_group, index;
} PortSlot;

/* Numbers the members of the balanced group that starts at refs[i], within the run [i, end). */
static int group_slots(const PortRef *refs, size_t i, size_t end, const FwPort *ports, PortSlot *slots,
                       NcError *reterr) {
        unsigned n = 0;

        for (size_t j = i; j < end; j++)
                if (ports_balance(refs[i].port, &refs[i].info, refs[j].port, &refs[j].info))
                        slots[refs[j].port - ports].index = n++;
        if (n > FW_BALANCE_MAX)
                return nc_error_set(reterr, -E2BIG, "%u replicas of '%s' share host port %u/%s: at most %u can",
                                    n, refs[i].port->balance, refs[i].port->host_port,
                                    protocol_name(refs[i].info.protocol), FW_BALANCE_MAX);
        for (size_t j = i; j < end; j++)
                if (ports_balance(refs[i].port, &refs[i].info, refs[j].port, &refs[j].info))
                        slots[refs[j].port - ports].n_group = n;
        return 0;
}

/* Checks every port and that no two claim one host address, port and protocol unless they form a
 * balanced group; fills slots[0..n) when given. */
static int ports_check(const FwPort *ports, size_t n, PortSlot *slots, NcError *reterr) {
        _cleanup_free_ PortSlot *own = NULL;
        _cleanup_free_ PortRef *refs = NULL;
        int r;

        refs = calloc(n ?: 1, sizeof *refs);
        if (!slots)
                slots = own = calloc(n ?: 1, sizeof *own);
        if (!refs || !slots)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                refs[i].port = &ports[i];
                slots[i] = (PortSlot) {};
                r = port_parse(&ports[i], &refs[i].info, reterr);
                if (r < 0)
                        return r;
        }
        /* Within a group of equal keys, the message names the services in the order written. */
        qsort(refs, n, sizeof *refs, port_ref_cmp);
        for (size_t i = 0, end; i < n; i = end) {
                for (end = i + 1; end < n && port_ref_key_cmp(&refs[i], &refs[end]) == 0; end++)
                        ;
                for (size_t a = i; a < end; a++)
                        for (size_t b = a + 1; b < end; b++)
                                if (ports_collide(refs[a].port, &refs[a].info, refs[b].port, &refs[b].info) &&
                                    !ports_balance(refs[a].port, &refs[a].info, refs[b].port, &refs[b].info))
                                        return collision_error(&refs[a], &refs[b], reterr);
                for (size_t a = i; a < end; a++)
                        if (refs[a].port->balance && slots[refs[a].port - ports].n_group == 0) {
                                r = group_slots(refs, a, end, ports, slots, reterr);
                                if (r < 0)
                                        return r;
                        }
        }
        return 0;
}

int fw_ports_check(const FwPort *ports, size_t n, NcError *reterr) {
        return ports_check(ports, n, NULL, reterr);
}

static int elems_push(FwElem **elems, size_t *n, FwElem **ret) {
        FwElem *a;

        /* Grow by doubling: sizes that are powers of two, or zero. */
        if ((*n & (*n - 1)) == 0) {
                a = realloc(*elems, (*n ? *n * 2 : 1) * sizeof *a);
                if (!a)
                        return -ENOMEM;
                *elems = a;
        }
        *ret = memset(&(*elems)[(*n)++], 0, sizeof **ret);
        return 0;
}

static int elem_comment(FwElem *e, const char *project, const char *name, NcError *reterr) {
        int l = snprintf(e->comment, sizeof e->comment, "%s/%s", project, strempty(name));

        if (l < 0 || (size_t) l >= sizeof e->comment)
                return nc_error_set(reterr, -ENAMETOOLONG, "'%s/%s': name too long for a comment",
                                    project, strempty(name));
        return 0;
}

int fw_port_to_elems(const char *project, const FwPort *p, unsigned n_group, unsigned index,
                     FwElem **elems, size_t *n, NcError *reterr) {
        bool balanced = n_group > 1;
        PortInfo pi;
        FwElem *e;
        int r;

        assert(!balanced || (n_group <= FW_BALANCE_MAX && index < n_group));

        r = port_parse(p, &pi, reterr);
        if (r < 0)
                return r;
        r = elems_push(elems, n, &e);
        if (r < 0)
                return r;
        if (pi.family == AF_INET)
                e->set = balanced ? (pi.host_any ? FW_SET_LB4 : FW_SET_LB4_ADDR) :
                                    (pi.host_any ? FW_SET_PUB4 : FW_SET_PUB4_ADDR);
        else
                e->set = balanced ? (pi.host_any ? FW_SET_LB6 : FW_SET_LB6_ADDR) :
                                    (pi.host_any ? FW_SET_PUB6 : FW_SET_PUB6_ADDR);
        if (!pi.host_any)
                put_addr(e->key, &e->key_len, pi.family, &pi.host);
        put_word(e->key, &e->key_len, &pi.protocol, 1);
        put_port(e->key, &e->key_len, p->host_port);
        if (balanced) {
                uint32_t slot = fw_slot_base(n_group) + index;  /* a register value: host order */

                put_word(e->key, &e->key_len, &slot, sizeof slot);
        }
        put_addr(e->data, &e->data_len, pi.family, &pi.target);
        put_port(e->data, &e->data_len, p->target_port);
        return elem_comment(e, project, p->service, reterr);
}

/* Adds the first address of the subnet and, flagged as the interval's end, the one after its
 * last (none when the subnet reaches the end of the address space), as nft does. */
static int interval_to_elems(FwSetId set, int family, const FwAddr *a, unsigned plen, const char *comment,
                             FwElem **elems, size_t *n) {
        size_t alen = in_addr_family_size(family);
        FwAddr start = {}, end;
        bool carry = true;
        FwElem *e;
        int r;

        for (size_t i = 0; i < alen; i++) {
                unsigned bits = plen > i * 8 ? MIN(plen - i * 8, 8u) : 0;

                start.bytes[i] = a->bytes[i] & (uint8_t) (0xff00 >> bits);
                end.bytes[i] = start.bytes[i] | (uint8_t) ~(0xff00 >> bits);
        }
        for (size_t i = alen; i-- > 0 && carry; )       /* end = last + 1 */
                carry = ++end.bytes[i] == 0;
        r = elems_push(elems, n, &e);
        if (r < 0)
                return r;
        *e = (FwElem) { .set = set, .key_len = alen };
        memcpy(e->key, start.bytes, alen);
        strcpy(e->comment, comment);
        if (carry)
                return 0;
        r = elems_push(elems, n, &e);
        if (r < 0)
                return r;
        *e = (FwElem) { .set = set, .key_len = alen, .flags = NFT_SET_ELEM_INTERVAL_END };
        memcpy(e->key, end.bytes, alen);
        strcpy(e->comment, comment);
        return 0;
}

static int subnet_to_elems(const char *project, const FwNetwork *net, const char *subnet, int want_family,
                           FwElem **elems, size_t *n, NcError *reterr) {
        char comment[FW_COMMENT_MAX];
        unsigned plen;
        int family, r;
        FwAddr a;

        if (isempty(subnet))
                return 0;
        r = in_addr_prefix_from_string(AF_UNSPEC, subnet, &family, &a, &plen);
        if (r < 0 || family != want_family)
                return nc_error_set(reterr, -EINVAL, "network '%s': invalid %s subnet '%s'",
                                    strempty(net->name), want_family == AF_INET ? "IPv4" : "IPv6", subnet);
        snprintf(comment, sizeof comment, "%s/%s", project, strempty(net->name));
        r = interval_to_elems(family == AF_INET ? FW_SET_NETS4 : FW_SET_NETS6, family, &a, plen, comment, elems, n);
        if (r < 0 || net->internal)
                return r;
        return interval_to_elems(family == AF_INET ? FW_SET_MASQ4 : FW_SET_MASQ6, family, &a, plen, comment,
                                 elems, n);
}

int fw_network_to_elems(const char *project, const FwNetwork *net, FwElem **elems, size_t *n, NcError *reterr) {
        FwElem *e;
        int r;

        if (isempty(net->bridge) || strlen(net->bridge) >= IFNAMSIZ)
                return nc_error_set(reterr, -EINVAL, "network '%s': invalid bridge name '%s'",
                                    strempty(net->name), strempty(net->bridge));
        r = elems_push(elems, n, &e);
        if (r < 0)
                return r;
        *e = (FwElem) { .set = FW_SET_LNET_IFS, .key_len = IFNAMSIZ };
        strncpy((char*) e->key, net->bridge, IFNAMSIZ);
        r = elem_comment(e, project, net->name, reterr);
        if (r < 0)
                return r;
        r = subnet_to_elems(project, net, net->subnet, AF_INET, elems, n, reterr);
        if (r < 0)
                return r;
        return subnet_to_elems(project, net, net->ipv6_subnet, AF_INET6, elems, n, reterr);
}

/* Drops later elements in [from, n) with the key of an earlier one there (two networks on one
 * bridge, say). Quadratic, so only for the few network elements. */
static void elems_dedup(FwElem *elems, size_t from, size_t *n) {
        size_t k = from;

        for (size_t i = from; i < *n; i++) {
                bool dup = false;

                for (size_t j = from; j < k && !dup; j++)
                        dup = fw_elem_same_key(&elems[j], &elems[i]);
                if (!dup)
                        elems[k++] = elems[i];
        }
        *n = k;
}

int fw_project_elems(const char *project, const FwPort *ports, size_t n_ports,
                     const FwNetwork *networks, size_t n_networks,
                     FwElem **ret, size_t *ret_n, NcError *reterr) {
        _cleanup_free_ PortSlot *slots = NULL;
        _cleanup_free_ FwElem *elems = NULL;
        size_t n = 0, n_port_elems;
        int r;

        if (isempty(project) || strchr(project, '/'))
                return nc_error_set(reterr, -EINVAL, "invalid project name '%s'", strempty(project));
        slots = calloc(n_ports ?: 1, sizeof *slots);
        if (!slots)
                return -ENOMEM;
        r = ports_check(ports, n_ports, slots, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_ports; i++) {
                r = fw_port_to_elems(project, &ports[i], slots[i].n_group, slots[i].index, &elems, &n, reterr);
                if (r < 0)
                        return r;
        }
        n_port_elems = n;
        for (size_t i = 0; i < n_networks; i++) {
                r = fw_network_to_elems(project, &networks[i], &elems, &n, reterr);
                if (r < 0)
                        return r;
        }
        /* Ports were checked for collisions already. */
        elems_dedup(elems, n_port_elems, &n);
        *ret = TAKE_PTR(elems);
        *ret_n = n;
        return 0;
}

int fw_elem_key_cmp(const FwElem *a, const FwElem *b) {
        uint32_t ea = a->flags & NFT_SET_ELEM_INTERVAL_END, eb = b->flags & NFT_SET_ELEM_INTERVAL_END;
        int r;

        if (a->set != b->set)
                return a->set < b->set ? -1 : 1;
        if (a->key_len != b->key_len)
                return a->key_len < b->key_len ? -1 : 1;
        r = memcmp(a->key, b->key, a->key_len);
        if (r != 0)
                return r;
        /* At one key an interval's end sorts before the next one's start: the kernel checks each
         * new interval element for overlaps, so they must arrive in address order. */
        return ea == eb ? 0 : ea ? -1 : 1;
}

bool fw_elem_same_key(const FwElem *a, const FwElem *b) {
        return a->set == b->set && a->key_len == b->key_len &&
                (a->flags & NFT_SET_ELEM_INTERVAL_END) == (b->flags & NFT_SET_ELEM_INTERVAL_END) &&
                memcmp(a->key, b->key, a->key_len) == 0;
}

bool fw_elem_equal(const FwElem *a, const FwElem *b) {
        return fw_elem_same_key(a, b) && a->data_len == b->data_len &&
                memcmp(a->data, b->data, a->data_len) == 0 && streq(a->comment, b->comment);
}

bool fw_elem_owned_by(const FwElem *e, const char *project) {
        const char *rest = startswith(e->comment, project);

        return rest && *rest == '/';
}

/* The group size whose slot range holds @slot, and the place in it; false for no such range. */
static bool slot_decode(uint32_t slot, unsigned *ret_n, unsigned *ret_index) {
        for (unsigned n = 2; n <= FW_BALANCE_MAX; n++)
                if (slot >= fw_slot_base(n) && slot < fw_slot_base(n) + n) {
                        *ret_n = n;
                        *ret_index = slot - fw_slot_base(n);
                        return true;
                }
        return false;
}

int fw_elem_mapping(const FwElem *e, FwMapping *ret) {
        const FwSetDef *d = &fw_set_defs[e->set];
        FwMapping m = {};
        size_t off = 0, alen;
        uint16_t port;

        if (!fw_set_is_port(e->set))
                return -EINVAL;
        m.family = d->family;
        alen = in_addr_family_size(m.family);
        m.host_any = !d->by_addr;
        if (e->key_len != (d->by_addr ? alen : 0) + 8 + (d->slot ? 4 : 0))
                return -EBADMSG;
        if (!m.host_any) {
                memcpy(m.host.bytes, e->key, alen);
                off = alen;
        }
        m.protocol = e->key[off];
        memcpy(&port, e->key + off + 4, 2);
        m.host_port = ntohs(port);
        if (d->slot) {
                uint32_t slot;

                memcpy(&slot, e->key + off + 8, sizeof slot);
                if (!slot_decode(slot, &m.n_group, &m.index))
                        return -EBADMSG;
        }
        memcpy(m.target.bytes, e->data, alen);
        memcpy(&port, e->data + alen, 2);
        m.target_port = ntohs(port);
        *ret = m;
        return 0;
}

static const char *addr_format(int family, const FwAddr *a, char *buf, size_t size) {
        char s[INET6_ADDRSTRLEN];

        inet_ntop(family, a->bytes, s, sizeof s);
        snprintf(buf, size, family == AF_INET6 ? "[%s]" : "%s", s);
        return buf;
}

const char *fw_elem_format(const FwElem *e, char *buf, size_t size) {
        char h[INET6_ADDRSTRLEN + 3], t[INET6_ADDRSTRLEN + 3], k[IFNAMSIZ + 1] = {};
        const char *set = fw_set_defs[e->set].name;
        FwMapping m;
        FwAddr a = {};

        if (fw_elem_mapping(e, &m) >= 0) {
                char g[32] = "";

                if (m.n_group > 0)
                        snprintf(g, sizeof g, " [%u/%u]", m.index + 1, m.n_group);
                snprintf(buf, size, "%s %s%s%s/%u%s -> %s:%u (%s)", set,
                         m.host_any ? "" : addr_format(m.family, &m.host, h, sizeof h), m.host_any ? "" : " ",
                         protocol_name(m.protocol), m.host_port, g,
                         addr_format(m.family, &m.target, t, sizeof t), m.target_port, e->comment);
                return buf;
        }
        if (e->set == FW_SET_LNET_IFS) {
                memcpy(k, e->key, IFNAMSIZ);
                snprintf(buf, size, "%s %s (%s)", set, k, e->comment);
                return buf;
        }
        memcpy(a.bytes, e->key, e->key_len);
        snprintf(buf, size, "%s %s %s (%s)", set, e->flags & NFT_SET_ELEM_INTERVAL_END ? "end" : "start",
                 addr_format(e->key_len == 4 ? AF_INET : AF_INET6, &a, h, sizeof h), e->comment);
        return buf;
}

struct nftnl_set_elem *fw_elem_to_nftnl(const FwElem *e) {
        _cleanup_(nftnl_set_elem_freep) struct nftnl_set_elem *ne = NULL;
        FwUdata u;

        ne = nftnl_set_elem_alloc();
        if (!ne)
                return NULL;
        if (nftnl_set_elem_set(ne, NFTNL_SET_ELEM_KEY, e->key, e->key_len) < 0)
                return NULL;
        if (e->data_len > 0 && nftnl_set_elem_set(ne, NFTNL_SET_ELEM_DATA, e->data, e->data_len) < 0)
                return NULL;
        if (e->flags)
                nftnl_set_elem_set_u32(ne, NFTNL_SET_ELEM_FLAGS, e->flags);
        /* The kernel takes no user data on an interval's end; its owner is the start before it. */
        if (isempty(e->comment) || (e->flags & NFT_SET_ELEM_INTERVAL_END))
                return TAKE_PTR(ne);
        u = fw_udata_strz(NFTNL_UDATA_SET_ELEM_COMMENT, e->comment);
        if (nftnl_set_elem_set(ne, NFTNL_SET_ELEM_USERDATA, u.buf, u.len) < 0)
                return NULL;
        return TAKE_PTR(ne);
}

static int comment_cb(const struct nftnl_udata *attr, void *data) {
        FwElem *e = data;
        uint8_t len = nftnl_udata_len(attr);

        if (nftnl_udata_type(attr) != NFTNL_UDATA_SET_ELEM_COMMENT || len == 0 || len > FW_COMMENT_MAX)
                return 0;
        memcpy(e->comment, nftnl_udata_get(attr), len);
        e->comment[len - 1] = 0;
        return 0;
}

int fw_elem_from_nftnl(FwSetId set, struct nftnl_set_elem *ne, FwElem *ret) {
        FwElem e = { .set = set };
        const void *p;
        uint32_t len;

        p = nftnl_set_elem_get(ne, NFTNL_SET_ELEM_KEY, &len);
        if (!p || len > sizeof e.key)
                return -EBADMSG;
        memcpy(e.key, p, len);
        e.key_len = len;
        if (nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_DATA)) {
                p = nftnl_set_elem_get(ne, NFTNL_SET_ELEM_DATA, &len);
                if (!p || len > sizeof e.data)
                        return -EBADMSG;
                memcpy(e.data, p, len);
                e.data_len = len;
        }
        if (nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_FLAGS))
                e.flags = nftnl_set_elem_get_u32(ne, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END;
        if (nftnl_set_elem_is_set(ne, NFTNL_SET_ELEM_USERDATA)) {
                p = nftnl_set_elem_get(ne, NFTNL_SET_ELEM_USERDATA, &len);
                if (p)
                        (void) nftnl_udata_parse(p, len, comment_cb, &e);
        }
        *ret = e;
        return 0;
}
