/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <dirent.h>
#include <inttypes.h>

#include "lib/fileio.h"
#include "lib/in-addr-util.h"
#include "reconcile/render/desired-internal.h"

int desired_ipv4_parse(const char *s, uint32_t *ret) {
        union in_addr_union a;

        if (!s || in_addr_from_string(AF_INET, s, &a) < 0)
                return -EINVAL;
        *ret = ntohl(a.in.s_addr);
        return 0;
}

char *desired_ipv4_format(uint32_t a) {
        struct in_addr in = { .s_addr = htonl(a) };
        char buf[INET_ADDRSTRLEN];

        return strdup(inet_ntop(AF_INET, &in, buf, sizeof buf));
}

static uint32_t prefix_mask(unsigned prefix) {
        return prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
}

/* "10.1.0.0/16" → base, prefix; the address must be the network address, the prefix at most 30. */
static int cidr4_parse(const char *s, uint32_t *ret_base, unsigned *ret_prefix) {
        union in_addr_union a;
        unsigned prefix;

        if (!s || in_addr_prefix_from_string(AF_INET, s, NULL, &a, &prefix) < 0)
                return -EINVAL;
        if (prefix > 30 || !in_addr_prefix_is_network(AF_INET, &a, prefix))
                return -EINVAL;
        *ret_base = ntohl(a.in.s_addr);
        *ret_prefix = prefix;
        return 0;
}

static char *cidr4_format(uint32_t base, unsigned prefix) {
        _cleanup_free_ char *a = desired_ipv4_format(base);
        char *r;

        return a && asprintf(&r, "%s/%u", a, prefix) >= 0 ? r : NULL;
}

static bool cidr4_overlap(uint32_t a, unsigned pa, uint32_t b, unsigned pb) {
        uint32_t m = prefix_mask(MIN(pa, pb));

        return (a & m) == (b & m);
}

static ssize_t network_index(const DesiredState *s, const char *name) {
        for (size_t i = 0; i < s->n_networks; i++)
                if (streq(s->networks[i].name, name))
                        return i;
        return -ENOENT;
}

/* The network names service @svc is attached to: its networks map (or list), "default" without one;
 * none with a network_mode other than the default bridge (none, host, another's namespace). */
static int service_network_names(const ComposeNode *svc, char ***ret) {
        const ComposeNode *nets = compose_map_get(svc, "networks");
        const char *mode = compose_map_get_str(svc, "network_mode");
        _cleanup_strv_free_ char **l = NULL;

        if (mode && !streq(mode, "bridge") && !streq(mode, "default")) {
                *ret = NULL;
                return 0;
        }
        if (!nets)
                return strv_extend(ret, "default");
        COMPOSE_MAP_FOREACH(i, nets)
                if (strv_extend(&l, nets->keys[i]->scalar) < 0)
                        return -ENOMEM;
        COMPOSE_SEQ_FOREACH(i, nets)
                if (strv_extend(&l, strempty(compose_node_str(nets->items[i]))) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

static int add_network(DesiredContext *c, const char *name) {
        DesiredState *s = c->state;
        DesiredNetwork *n;

        if (network_index(s, name) >= 0)
                return 0;
        n = reallocarray(s->networks, s->n_networks + 1, sizeof *n);
        if (!n)
                return -ENOMEM;
        s->networks = n;
        n = &s->networks[s->n_networks];
        *n = (DesiredNetwork) {};
        n->name = strdup(name);
        n->bridge = name_bridge(c->name, name);
        if (!n->name || !n->bridge) {
                free(n->name);
                free(n->bridge);
                return -ENOMEM;
        }
        s->n_networks++;
        return 0;
}

static int cmp_network(const void *a, const void *b) {
        return strcmp(((const DesiredNetwork *) a)->name, ((const DesiredNetwork *) b)->name);
}

/* Whether @a lies in @base/@prefix. */
static bool in6_in_subnet(const struct in6_addr *a, const struct in6_addr *base, unsigned prefix) {
        for (unsigned bit = 0; bit < prefix; bit++) {
                uint8_t m = 0x80 >> (bit % 8);

                if ((a->s6_addr[bit / 8] & m) != (base->s6_addr[bit / 8] & m))
                        return false;
        }
        return true;
}

/* The IPv6 subnet of another project's that overlaps @base/@prefix, or NULL. */
static const char *taken_overlap6(DesiredContext *c, const union in_addr_union *base, unsigned prefix) {
        STRV_FOREACH(t, c->options->taken_subnets) {
                union in_addr_union b;
                unsigned p;

                if (in_addr_prefix_from_string(AF_INET6, *t, NULL, &b, &p) >= 0 &&
                    in_addr_prefix_intersect(AF_INET6, base, prefix, &b, p))
                        return *t;
        }
        return NULL;
}

static int network_ipv6(DesiredContext *c, size_t i, const ComposeNode *cfg, const char *path, NcError *reterr) {
        DesiredNetwork *n = &c->state->networks[i];
        const char *subnet = compose_map_get_str(cfg, "subnet"), *gw = compose_map_get_str(cfg, "gateway");
        union in_addr_union base, g;
        char buf[INET6_ADDRSTRLEN];
        const char *taken;
        unsigned prefix;

        if (in_addr_prefix_from_string(AF_INET6, subnet, NULL, &base, &prefix) < 0 || prefix > 126 ||
            !in_addr_prefix_is_network(AF_INET6, &base, prefix))
                return compose_node_error(cfg, reterr, -EINVAL, path, "invalid IPv6 subnet '%s' "
                                          "(want a network address/prefix <= 126)", subnet);
        taken = taken_overlap6(c, &base, prefix);
        if (taken)
                return compose_node_error(cfg, reterr, -EADDRINUSE, path, "subnet %s overlaps %s, "
                                          "which another project uses", subnet, taken);
        c->nets[i].v6_base = base.in6;
        c->nets[i].v6_prefix = prefix;
        if (gw && in_addr_from_string(AF_INET6, gw, &g) < 0)
                return compose_node_error(cfg, reterr, -EINVAL, path, "invalid IPv6 gateway '%s'", gw);
        if (gw && (!in6_in_subnet(&g.in6, &base.in6, prefix) || memcmp(&g, &base, 16) == 0))
                return compose_node_error(cfg, reterr, -EINVAL, path, "gateway '%s' is not in %s", gw, subnet);
        if (!gw) {
                g = base;
                g.in6.s6_addr[15] |= 1;
                gw = inet_ntop(AF_INET6, &g.in6, buf, sizeof buf);
        }
        c->nets[i].v6_gateway = g.in6;
        n->ipv6_subnet = strdup(subnet);
        n->ipv6_gateway = strdup(gw);
        return n->ipv6_subnet && n->ipv6_gateway ? 0 : -ENOMEM;
}

/* The subnet of another project's that overlaps @base/@prefix, or NULL. */
static const char *taken_overlap(DesiredContext *c, uint32_t base, unsigned prefix) {
        STRV_FOREACH(t, c->options->taken_subnets) {
                uint32_t b;
                unsigned p;

                if (cidr4_parse(*t, &b, &p) >= 0 && cidr4_overlap(base, prefix, b, p))
                        return *t;
        }
        return NULL;
}

/* Subnets given in networks.N.ipam.config[]: the first IPv4 and the first IPv6 one. */
static int network_from_config(DesiredContext *c, size_t i, NcError *reterr) {
        DesiredNet *d = &c->nets[i];
        const ComposeNode *cfgs = compose_map_get(compose_map_get(d->node, "ipam"), "config");
        const char *taken;
        char path[300];

        COMPOSE_SEQ_FOREACH(j, cfgs) {
                const ComposeNode *cfg = cfgs->items[j];
                const char *subnet = compose_map_get_str(cfg, "subnet"), *gw = compose_map_get_str(cfg, "gateway");
                int r;

                snprintf(path, sizeof path, "networks.%s.ipam.config[%zu]", c->state->networks[i].name, j);
                if (!subnet)
                        continue;
                if (strchr(subnet, ':')) {
                        r = c->state->networks[i].ipv6_subnet ? 0 : network_ipv6(c, i, cfg, path, reterr);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (d->from_config)
                        continue;
                if (cidr4_parse(subnet, &d->base, &d->prefix) < 0)
                        return compose_node_error(cfg, reterr, -EINVAL, path, "invalid IPv4 subnet '%s' "
                                                  "(want a network address/prefix <= 30)", subnet);
                taken = taken_overlap(c, d->base, d->prefix);
                if (taken)
                        return compose_node_error(cfg, reterr, -EADDRINUSE, path, "subnet %s overlaps %s, "
                                                  "which another project uses", subnet, taken);
                d->gateway = d->base + 1;
                if (gw && (desired_ipv4_parse(gw, &d->gateway) < 0 ||
                           (d->gateway & prefix_mask(d->prefix)) != d->base))
                        return compose_node_error(cfg, reterr, -EINVAL, path, "gateway '%s' is not in %s",
                                                  gw, subnet);
                d->from_config = true;
        }
        return 0;
}

static bool subnet_is_free(DesiredContext *c, uint32_t base, unsigned prefix) {
        if (taken_overlap(c, base, prefix))
                return false;
        for (size_t i = 0; i < c->state->n_networks; i++)
                if (c->nets[i].prefix > 0 && cidr4_overlap(base, prefix, c->nets[i].base, c->nets[i].prefix))
                        return false;
        return true;
}

/* The subnet ipam.json recorded for network @i, if it is still free. */
static void network_from_previous(DesiredContext *c, size_t i) {
        json_object *subnets, *v;
        uint32_t base;
        unsigned prefix;

        if (!json_object_object_get_ex(c->previous, "subnets", &subnets) ||
            !json_object_object_get_ex(subnets, c->state->networks[i].name, &v) ||
            cidr4_parse(json_object_get_string(v), &base, &prefix) < 0 || !subnet_is_free(c, base, prefix))
                return;
        c->nets[i].base = base;
        c->nets[i].prefix = prefix;
        c->nets[i].gateway = base + 1;
}

static int network_from_pool(DesiredContext *c, size_t i, NcError *reterr) {
        uint32_t step = UINT32_C(1) << (32 - DESIRED_POOL_STEP);

        for (uint32_t b = DESIRED_POOL_BASE; b < DESIRED_POOL_BASE + (UINT32_C(1) << (32 - DESIRED_POOL_PREFIX));
             b += step)
                if (subnet_is_free(c, b, DESIRED_POOL_STEP)) {
                        c->nets[i].base = b;
                        c->nets[i].prefix = DESIRED_POOL_STEP;
                        c->nets[i].gateway = b + 1;
                        return 0;
                }
        return nc_error_set(reterr, -ENOSPC, "networks.%s: no free /24 left in 10.89.0.0/16",
                            c->state->networks[i].name);
}

/* The service name, its container_name (docker resolves a container by its name too), the aliases. */
static int attach_aliases(DesiredContext *c, size_t s, DesiredAttach *a) {
        const ComposeNode *aliases = compose_map_get(a->node, "aliases");
        const char *cn = compose_map_get_str(c->units[s].node, "container_name");

        if (strv_extend(&a->aliases, c->units[s].name) < 0 ||
            (c->units[s].replica > 1 && strv_extend(&a->aliases, c->units[s].compose_name) < 0))
                return -ENOMEM;
        if (cn && !strv_contains(a->aliases, cn) && strv_extend(&a->aliases, cn) < 0)
                return -ENOMEM;
        COMPOSE_SEQ_FOREACH(i, aliases) {
                const char *v = compose_node_str(aliases->items[i]);

                if (v && !strv_contains(a->aliases, v) && strv_extend(&a->aliases, v) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int cmp_attach_state(const DesiredAttach *a, const DesiredAttach *b, const DesiredState *s) {
        if (a->priority != b->priority)
                return a->priority > b->priority ? -1 : 1;
        return strcmp(s->networks[a->network].name, s->networks[b->network].name);
}

/* Builds c->units[s].attach in interface order: higher priority first, then by network name. */
static int service_attach(DesiredContext *c, size_t s) {
        DesiredUnitInfo *u = &c->units[s];
        _cleanup_strv_free_ char **names = NULL;
        const ComposeNode *nets = compose_map_get(u->node, "networks");
        int r;

        r = service_network_names(u->node, &names);
        if (r < 0)
                return r;
        u->attach = calloc(strv_length(names) + 1, sizeof *u->attach);
        if (!u->attach)
                return -ENOMEM;
        STRV_FOREACH(n, names) {
                DesiredAttach *a = &u->attach[u->n_attach++];
                uint64_t prio;

                a->network = network_index(c->state, *n);
                a->node = compose_map_get(nets, *n);
                if (desired_node_uint(compose_map_get(a->node, "priority"), 0, INT32_MAX, &prio) >= 0)
                        a->priority = prio;
                r = attach_aliases(c, s, a);
                if (r < 0)
                        return r;
        }
        /* insertion sort: a handful of networks per service */
        for (size_t i = 1; i < u->n_attach; i++)
                for (size_t j = i; j > 0 && cmp_attach_state(&u->attach[j], &u->attach[j - 1], c->state) < 0; j--) {
                        DesiredAttach t = u->attach[j];
                        u->attach[j] = u->attach[j - 1];
                        u->attach[j - 1] = t;
                }
        return 0;
}

static int networks_collect(DesiredContext *c) {
        int r;

        for (size_t s = 0; s < c->state->n_services; s++) {
                _cleanup_strv_free_ char **names = NULL;

                r = service_network_names(c->units[s].node, &names);
                if (r < 0)
                        return r;
                STRV_FOREACH(n, names) {
                        r = add_network(c, *n);
                        if (r < 0)
                                return r;
                }
        }
        qsort(c->state->networks, c->state->n_networks, sizeof *c->state->networks, cmp_network);
        c->nets = calloc(c->state->n_networks + 1, sizeof *c->nets);
        return c->nets ? 0 : -ENOMEM;
}

static int networks_configured(DesiredContext *c, NcError *reterr) {
        const ComposeNode *top = compose_map_get(c->project->model, "networks");
        int r;

        for (size_t i = 0; i < c->state->n_networks; i++) {
                DesiredNet *d = &c->nets[i];

                d->node = compose_map_get(top, c->state->networks[i].name);
                c->state->networks[i].internal = compose_map_get_bool(d->node, "internal", false);
                r = network_from_config(c, i, reterr);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if ((d->from_config && c->nets[j].from_config &&
                             cidr4_overlap(d->base, d->prefix, c->nets[j].base, c->nets[j].prefix)) ||
                            (c->state->networks[i].ipv6_subnet && c->state->networks[j].ipv6_subnet &&
                             in_addr_prefix_intersect(AF_INET6, &(union in_addr_union) { .in6 = d->v6_base },
                                                      d->v6_prefix,
                                                      &(union in_addr_union) { .in6 = c->nets[j].v6_base },
                                                      c->nets[j].v6_prefix)))
                                return compose_node_error(d->node, reterr, -EINVAL, c->state->networks[i].name,
                                                          "subnet overlaps with network '%s'",
                                                          c->state->networks[j].name);
        }
        return 0;
}

int desired_networks(DesiredContext *c, NcError *reterr) {
        int r;

        r = networks_collect(c);
        if (r < 0)
                return r;
        r = networks_configured(c, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->state->n_networks; i++)
                if (!c->nets[i].from_config)
                        network_from_previous(c, i);
        for (size_t i = 0; i < c->state->n_networks; i++) {
                DesiredNetwork *n = &c->state->networks[i];

                r = c->nets[i].prefix > 0 ? 0 : network_from_pool(c, i, reterr);
                if (r < 0)
                        return r;
                n->subnet = cidr4_format(c->nets[i].base, c->nets[i].prefix);
                n->gateway = desired_ipv4_format(c->nets[i].gateway);
                if (!n->subnet || !n->gateway)
                        return -ENOMEM;
        }
        for (size_t s = 0; s < c->state->n_services; s++) {
                r = service_attach(c, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool address_taken(DesiredContext *c, size_t net, uint32_t a) {
        const DesiredNet *d = &c->nets[net];

        if (a == d->base || a == d->gateway || a == (d->base | ~prefix_mask(d->prefix)))
                return true;
        for (size_t s = 0; s < c->state->n_services; s++)
                for (size_t k = 0; k < c->units[s].n_attach; k++)
                        if (c->units[s].attach[k].network == net && c->units[s].attach[k].address == a)
                                return true;
        return false;
}

static bool address_in(const DesiredNet *d, uint32_t a) {
        return (a & prefix_mask(d->prefix)) == d->base;
}

/* ipv4_address given in compose: must be inside the subnet and unique. */
static int address_explicit(DesiredContext *c, size_t s, DesiredAttach *a, NcError *reterr) {
        const ComposeNode *n = compose_map_get(a->node, "ipv4_address");
        const DesiredNetwork *net = &c->state->networks[a->network];
        char path[512];
        uint32_t v;

        if (!n)
                return 0;
        snprintf(path, sizeof path, "services.%s.networks.%s.ipv4_address", c->units[s].compose_name, net->name);
        if (c->units[s].replicas > 1)
                return compose_node_error(n, reterr, -EINVAL, path, "one address cannot be given to %u replicas",
                                          c->units[s].replicas);
        if (desired_ipv4_parse(compose_node_str(n), &v) < 0)
                return compose_node_error(n, reterr, -EINVAL, path, "invalid IPv4 address");
        if (!address_in(&c->nets[a->network], v))
                return compose_node_error(n, reterr, -EINVAL, path, "'%s' is not in the network's subnet %s",
                                          compose_node_str(n), net->subnet);
        if (address_taken(c, a->network, v))
                return compose_node_error(n, reterr, -EADDRINUSE, path, "'%s' is already in use",
                                          compose_node_str(n));
        a->address = v;
        return 0;
}

static void address_previous(DesiredContext *c, size_t s, DesiredAttach *a) {
        json_object *all, *net, *v;
        uint32_t addr;

        if (json_object_object_get_ex(c->previous, "addresses", &all) &&
            json_object_object_get_ex(all, c->state->networks[a->network].name, &net) &&
            json_object_object_get_ex(net, c->units[s].name, &v) &&
            desired_ipv4_parse(json_object_get_string(v), &addr) >= 0 &&
            address_in(&c->nets[a->network], addr) && !address_taken(c, a->network, addr))
                a->address = addr;
}

static int address_next(DesiredContext *c, size_t s, DesiredAttach *a, uint32_t *cursor, NcError *reterr) {
        const DesiredNet *d = &c->nets[a->network];
        uint32_t last = d->base | ~prefix_mask(d->prefix);

        for (; *cursor < last; (*cursor)++)
                if (!address_taken(c, a->network, *cursor)) {
                        a->address = (*cursor)++;
                        return 0;
                }
        return nc_error_set(reterr, -ENOSPC, "networks.%s: no free address left for service '%s'",
                            c->state->networks[a->network].name, c->units[s].name);
}

/* IPv6: ipv6_address as given, else the subnet base plus the IPv4 host part. */
/* An ipv6_address lies in its network's IPv6 subnet, is neither its network address nor its gateway,
 * and is no other service's: published ports are DNATed to it. */
static int address_ipv6_check(DesiredContext *c, size_t s, const DesiredAttach *a, const ComposeNode *n,
                              NcError *reterr) {
        const DesiredNet *d = &c->nets[a->network];
        const DesiredNetwork *net = &c->state->networks[a->network];
        union in_addr_union v;
        char path[512];

        snprintf(path, sizeof path, "services.%s.networks.%s.ipv6_address", c->units[s].name, net->name);
        if (in_addr_from_string(AF_INET6, strempty(compose_node_str(n)), &v) < 0)
                return compose_node_error(n, reterr, -EINVAL, path, "invalid IPv6 address");
        if (!in6_in_subnet(&v.in6, &d->v6_base, d->v6_prefix) || memcmp(&v.in6, &d->v6_base, 16) == 0 ||
            memcmp(&v.in6, &d->v6_gateway, 16) == 0)
                return compose_node_error(n, reterr, -EINVAL, path, "'%s' is not a host address of the network's "
                                          "subnet %s", compose_node_str(n), net->ipv6_subnet);
        for (size_t k = 0; k < c->n_units; k++)
                for (size_t j = 0; j < c->units[k].n_attach; j++) {
                        const DesiredAttach *o = &c->units[k].attach[j];
                        union in_addr_union w;

                        if (o == a || o->network != a->network || !o->ipv6_address ||
                            in_addr_from_string(AF_INET6, o->ipv6_address, &w) < 0)
                                continue;
                        if (memcmp(&v.in6, &w.in6, 16) == 0)
                                return compose_node_error(n, reterr, -EADDRINUSE, path, "'%s' is already in use",
                                                          compose_node_str(n));
                }
        return 0;
}

static int address_ipv6(DesiredContext *c, size_t s, DesiredAttach *a, NcError *reterr) {
        const DesiredNet *d = &c->nets[a->network];
        const ComposeNode *given = compose_map_get(a->node, "ipv6_address");
        struct in6_addr v = d->v6_base;
        uint32_t host = a->address & ~prefix_mask(d->prefix);
        char buf[INET6_ADDRSTRLEN];
        int r;

        if (!c->state->networks[a->network].ipv6_subnet)
                return 0;
        if (given) {
                r = address_ipv6_check(c, s, a, given, reterr);
                if (r < 0)
                        return r;
                a->ipv6_address = strdup(compose_node_str(given));
                return a->ipv6_address ? 0 : -ENOMEM;
        }
        for (int k = 15; k >= 12; k--, host >>= 8)
                v.s6_addr[k] |= host & 0xff;
        a->ipv6_address = strdup(inet_ntop(AF_INET6, &v, buf, sizeof buf));
        return a->ipv6_address ? 0 : -ENOMEM;
}

typedef enum AddressPass {
        PASS_EXPLICIT,
        PASS_PREVIOUS,
        PASS_NEXT,
        _PASS_MAX,
} AddressPass;

int desired_addresses(DesiredContext *c, NcError *reterr) {
        _cleanup_free_ uint32_t *cursor = calloc(c->state->n_networks + 1, sizeof *cursor);
        int r = 0;

        if (!cursor)
                return -ENOMEM;
        for (size_t i = 0; i < c->state->n_networks; i++)
                cursor[i] = c->nets[i].base + 1;
        for (AddressPass pass = 0; pass < _PASS_MAX; pass++)
                for (size_t s = 0; s < c->state->n_services; s++)
                        for (size_t k = 0; k < c->units[s].n_attach; k++) {
                                DesiredAttach *a = &c->units[s].attach[k];

                                if (a->address != 0)
                                        continue;
                                if (pass == PASS_EXPLICIT)
                                        r = address_explicit(c, s, a, reterr);
                                else if (pass == PASS_PREVIOUS)
                                        address_previous(c, s, a);
                                else
                                        r = address_next(c, s, a, &cursor[a->network], reterr);
                                if (r < 0)
                                        return r;
                                if (a->address == 0)
                                        continue;
                                r = address_ipv6(c, s, a, reterr);
                                if (r < 0)
                                        return r;
                        }
        return 0;
}

/* "80", 80 or "8000-8010" → [lo, hi]; absent or "" → 0, 0. */
static int port_range_parse(const ComposeNode *n, unsigned *ret_lo, unsigned *ret_hi) {
        const char *s = compose_node_str(n), *dash;
        unsigned long lo, hi;
        char *end;

        *ret_lo = *ret_hi = 0;
        if (isempty(s))
                return 0;
        errno = 0;
        lo = strtoul(s, &end, 10);
        dash = end;
        hi = *dash == '-' ? strtoul(dash + 1, &end, 10) : lo;
        if (errno || *end || end == s || lo < 1 || hi > 65535 || hi < lo)
                return -EINVAL;
        *ret_lo = lo;
        *ret_hi = hi;
        return 0;
}

/* Whether a port already claims @port/@proto on @host_ip (or overlaps it through a wildcard), other
 * than the members of balanced group @balance on exactly @host_ip. */
static bool port_conflict(const DesiredState *st, const char *proto, const char *host_ip, unsigned port,
                          const char *balance) {
        for (size_t i = 0; i < st->n_ports; i++) {
                const DesiredPort *p = &st->ports[i];

                if (p->host_port != port || !streq(p->protocol, proto) ||
                    !(streq(p->host_ip, host_ip) || isempty(p->host_ip) || isempty(host_ip)))
                        continue;
                if (!balance || !streq_ptr(p->balance, balance) || !streq(p->host_ip, host_ip))
                        return true;
        }
        return false;
}

/* Published ports go to the service's address on its first network that is not internal (docker
 * does not publish through internal networks), else on its first network. */
static uint32_t port_target_address(DesiredContext *c, size_t s) {
        for (size_t k = 0; k < c->units[s].n_attach; k++)
                if (!c->state->networks[c->units[s].attach[k].network].internal)
                        return c->units[s].attach[k].address;
        return c->units[s].attach[0].address;
}

/* The service's IPv6 address on the network port_target_address() picks, or NULL. */
static const char *port_target_address6(DesiredContext *c, size_t s) {
        for (size_t k = 0; k < c->units[s].n_attach; k++)
                if (!c->state->networks[c->units[s].attach[k].network].internal)
                        return c->units[s].attach[k].ipv6_address;
        return c->units[s].attach[0].ipv6_address;
}

/* Appends a copy of @p. */
static int port_push(DesiredState *st, const DesiredPort *p) {
        DesiredPort *a = reallocarray(st->ports, st->n_ports + 1, sizeof *a), *n;

        if (!a)
                return -ENOMEM;
        st->ports = a;
        n = &st->ports[st->n_ports++];
        *n = (DesiredPort) {
                .service = strdup(p->service),
                .protocol = strdup(p->protocol),
                .host_ip = strdup(p->host_ip),
                .target_ip = strdup(p->target_ip),
                .host_port = p->host_port,
                .target_port = p->target_port,
                .allocated = p->allocated,
                .balance = p->balance ? strdup(p->balance) : NULL,
        };
        return n->service && n->protocol && n->host_ip && n->target_ip && (n->balance || !p->balance) ?
                0 : -ENOMEM;
}

/* A port on an IPv6 host address goes to the service's IPv6 address, any other to its IPv4 one.
 * (Without an IPv6 address the IPv4 one is kept, and the port check names the mismatch.) */
static int port_add(DesiredContext *c, size_t s, const char *proto, const char *host_ip, unsigned host,
                    unsigned target, const char *balance) {
        const char *v6 = port_target_address6(c, s);
        _cleanup_free_ char *target_ip = NULL;

        if (strchr(host_ip, ':') && v6)
                target_ip = strdup(v6);
        else
                target_ip = desired_ipv4_format(port_target_address(c, s));
        if (!target_ip)
                return -ENOMEM;
        return port_push(c->state, &(DesiredPort) {
                .service = (char*) c->units[s].name, .protocol = (char*) proto, .host_ip = (char*) host_ip,
                .host_port = host, .target_ip = target_ip, .target_port = target, .allocated = host == 0,
                .balance = (char*) balance,
        });
}

/* A port published on every host address reaches a service with an IPv6 address over IPv6 too: one
 * more entry with the IPv6 target and the same (possibly allocated) host port. */
static int ports_add_ipv6(DesiredContext *c) {
        size_t n = c->state->n_ports;

        for (size_t i = 0; i < n; i++) {
                const DesiredPort *p = &c->state->ports[i];
                const char *v6 = NULL;
                DesiredPort copy;
                int r;

                if (!isempty(p->host_ip) || strchr(p->target_ip, ':'))
                        continue;
                for (size_t s = 0; s < c->state->n_services && !v6; s++)
                        if (streq(c->units[s].name, p->service))
                                v6 = port_target_address6(c, s);
                if (!v6)
                        continue;
                copy = *p;                      /* port_push() may move the array */
                copy.host_ip = (char*) "";
                copy.target_ip = (char*) v6;
                r = port_push(c->state, &copy);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One services.S.ports[j] entry: ranges expand to one element per port. Host port 0 = allocate later. */
static int port_entry(DesiredContext *c, size_t s, size_t j, const ComposeNode *n, NcError *reterr) {
        const char *proto = compose_map_get_str(n, "protocol") ?: "tcp";
        const char *host_ip = strempty(compose_map_get_str(n, "host_ip")), *balance = NULL;
        unsigned tlo, thi, plo, phi;
        char path[300];
        int r;

        snprintf(path, sizeof path, "services.%s.ports[%zu]", c->units[s].compose_name, j);
        if (port_range_parse(compose_map_get(n, "target"), &tlo, &thi) < 0 || tlo == 0)
                return compose_node_error(n, reterr, -EINVAL, path, "invalid target port");
        if (port_range_parse(compose_map_get(n, "published"), &plo, &phi) < 0)
                return compose_node_error(n, reterr, -EINVAL, path, "invalid published port");
        /* replicas: docker publishes one host port of a range per replica; here replica N takes the
         * Nth, so that each keeps its port. One host port (where docker fails on the second replica)
         * is shared: the kernel spreads its connections over the replicas. */
        if (c->units[s].replicas > 1 && plo != 0) {
                unsigned nth = c->units[s].replica;

                if (phi == plo && thi == tlo)
                        balance = c->units[s].compose_name;
                else if (thi > tlo || phi - plo + 1 < c->units[s].replicas)
                        return compose_node_error(n, reterr, -EINVAL, path, "%u replicas cannot share the host "
                                                  "port range %u-%u: publish one port (shared by the replicas) "
                                                  "or a range of one port per replica",
                                                  c->units[s].replicas, plo, phi);
                else
                        plo = phi = plo + nth - 1;
        }
        if (c->units[s].netns_of >= 0)
                return compose_node_error(n, reterr, -EINVAL, path, "conflicting options: port publishing and "
                                          "network_mode '%s': publish the port on service '%s'",
                                          compose_map_get_str(c->units[s].node, "network_mode"),
                                          c->units[c->units[s].netns_owner].name);
        if (c->units[s].n_attach == 0)
                return compose_node_error(n, reterr, -EOPNOTSUPP, path, "published ports need a network");
        if (plo != 0 && thi > tlo && phi - plo != thi - tlo)
                return compose_node_error(n, reterr, -EINVAL, path, "published and target ranges differ in size");
        /* One target, a published range: the first host port of the range still free (docker picks any). */
        while (thi == tlo && plo < phi && port_conflict(c->state, proto, host_ip, plo, NULL))
                plo++;
        for (unsigned t = tlo; t <= thi; t++) {
                unsigned host = plo == 0 ? 0 : plo + (t - tlo);

                if (host != 0 && port_conflict(c->state, proto, host_ip, host, balance))
                        return compose_node_error(n, reterr, -EADDRINUSE, path, "host port %u/%s is published twice",
                                                  host, proto);
                r = port_add(c, s, proto, host_ip, host, t, balance);
                if (r < 0)
                        return r;
        }
        return 0;
}

static unsigned port_hash_start(const char *key) {
        uint8_t digest[SHA256_DIGEST_SIZE];
        Sha256 h;

        sha256_init(&h);
        sha256_update(&h, key, strlen(key));
        sha256_final(&h, digest);
        return DESIRED_PORT_MIN +
               ((unsigned) digest[0] << 8 | digest[1]) % (DESIRED_PORT_MAX - DESIRED_PORT_MIN + 1);
}

/* A container-only port gets a stable host port: the one ipam.json recorded, else the first free one
 * probing from a hash of "P/S/target/proto" (so projects rarely pick the same ones). */
static int port_allocate(DesiredContext *c, DesiredPort *p, NcError *reterr) {
        _cleanup_free_ char *key = NULL, *seed = NULL;
        json_object *prev, *v;
        unsigned port, n = DESIRED_PORT_MAX - DESIRED_PORT_MIN + 1;

        if (asprintf(&key, "%s/%u/%s", p->service, p->target_port, p->protocol) < 0)
                return -ENOMEM;
        for (unsigned k = 2; json_object_object_get_ex(c->host_ports, key, NULL); k++) {
                free(key);
                if (asprintf(&key, "%s/%u/%s/%u", p->service, p->target_port, p->protocol, k) < 0)
                        return -ENOMEM;
        }
        if (json_object_object_get_ex(c->previous, "host_ports", &prev) &&
            json_object_object_get_ex(prev, key, &v) &&
            (port = json_object_get_int(v)) >= DESIRED_PORT_MIN && port <= DESIRED_PORT_MAX &&
            !port_conflict(c->state, p->protocol, p->host_ip, port, NULL))
                goto found;
        if (asprintf(&seed, "%s/%s", c->name, key) < 0)
                return -ENOMEM;
        port = port_hash_start(seed);
        for (unsigned i = 0; i < n; i++, port = port == DESIRED_PORT_MAX ? DESIRED_PORT_MIN : port + 1)
                if (!port_conflict(c->state, p->protocol, p->host_ip, port, NULL))
                        goto found;
        return nc_error_set(reterr, -ENOSPC, "services.%s: no free host port for %u/%s", p->service,
                            p->target_port, p->protocol);
found:
        p->host_port = port;
        return json_object_object_add(c->host_ports, key, json_object_new_int(port)) < 0 ? -ENOMEM : 0;
}

int desired_ports(DesiredContext *c, NcError *reterr) {
        int r;

        c->host_ports = json_object_new_object();
        if (!c->host_ports)
                return -ENOMEM;
        for (size_t s = 0; s < c->state->n_services; s++) {
                const ComposeNode *ports = compose_map_get(c->units[s].node, "ports");

                if (c->units[s].host_network)
                        continue;       /* the host's ports are the service's: desired_check_project() warns */
                COMPOSE_SEQ_FOREACH(j, ports) {
                        r = port_entry(c, s, j, ports->items[j], reterr);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < c->state->n_ports; i++) {
                r = c->state->ports[i].allocated ? port_allocate(c, &c->state->ports[i], reterr) : 0;
                if (r < 0)
                        return r;
        }
        return ports_add_ipv6(c);
}

char *desired_ipam_json(DesiredContext *c) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *subnets = json_object_new_object(), *addrs = json_object_new_object(), *subnets6 = NULL;

        json_object_object_add(o, "managed-by", json_object_new_string("nspawn-compose"));
        json_object_object_add(o, "project", json_object_new_string(c->name));
        json_object_object_add(o, "subnets", subnets);
        /* other projects' renders avoid them too (desired_taken_subnets()) */
        for (size_t i = 0; i < c->state->n_networks; i++) {
                if (!c->state->networks[i].ipv6_subnet)
                        continue;
                if (!subnets6) {
                        subnets6 = json_object_new_object();
                        json_object_object_add(o, "ipv6_subnets", subnets6);
                }
                json_object_object_add(subnets6, c->state->networks[i].name,
                                       json_object_new_string(c->state->networks[i].ipv6_subnet));
        }
        json_object_object_add(o, "addresses", addrs);
        json_object_object_add(o, "host_ports", json_object_get(c->host_ports));
        for (size_t i = 0; i < c->state->n_networks; i++) {
                json_object *net = json_object_new_object();

                json_object_object_add(subnets, c->state->networks[i].name,
                                       json_object_new_string(c->state->networks[i].subnet));
                json_object_object_add(addrs, c->state->networks[i].name, net);
                for (size_t s = 0; s < c->state->n_services; s++)
                        for (size_t k = 0; k < c->units[s].n_attach; k++) {
                                _cleanup_free_ char *a = NULL;

                                if (c->units[s].attach[k].network != i)
                                        continue;
                                a = desired_ipv4_format(c->units[s].attach[k].address);
                                json_object_object_add(net, c->units[s].name, json_object_new_string(strempty(a)));
                        }
        }
        return desired_json_text(o);
}

static int taken_from_file(const char *path, char ***l) {
        static const char *const keys[] = { "subnets", "ipv6_subnets" };
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *text = NULL;

        if (read_full_file(path, &text, NULL) < 0)
                return 0;       /* gone or unreadable: nothing we can avoid */
        o = json_tokener_parse(text);
        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                json_object *subnets;

                if (!json_object_object_get_ex(o, keys[k], &subnets) || !json_object_is_type(subnets, json_type_object))
                        continue;
                json_object_object_foreach(subnets, name, v) {
                        (void) name;
                        if (json_object_is_type(v, json_type_string) && strv_extend(l, json_object_get_string(v)) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

int desired_taken_subnets(const char *state_dir, const char *project, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_(closedirp) DIR *d = opendir(state_dir ?: NC_STATE_DIR);
        struct dirent *de;
        int r;

        if (!d) {
                *ret = NULL;
                return errno == ENOENT || errno == EACCES ? 0 : -errno;
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL;

                if (de->d_name[0] == '.' || streq(de->d_name, project) || name_project_is_reserved(de->d_name))
                        continue;
                if (asprintf(&path, "%s/%s/ipam.json", state_dir ?: NC_STATE_DIR, de->d_name) < 0)
                        return -ENOMEM;
                r = taken_from_file(path, &l);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}
