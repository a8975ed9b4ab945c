/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reconcile/render/desired-internal.h"

static void hosts_line(StrBuf *b, const char *addr, char **names, const char *extra) {
        strbuf_printf(b, "%s\t", addr);
        STRV_FOREACH(n, names)
                strbuf_printf(b, "%s%s", n == names ? "" : " ", *n);
        if (extra)
                strbuf_printf(b, " %s", extra);
        strbuf_append_char(b, '\n');
}

/* Every service on network @net: its address and names (service name and aliases); @self also gets
 * its hostname when that differs. */
static void hosts_network(StrBuf *b, DesiredContext *c, size_t self, size_t net) {
        const char *hostname = compose_map_get_str(c->units[self].node, "hostname");

        for (size_t s = 0; s < c->state->n_services; s++)
                for (size_t k = 0; k < c->units[s].n_attach; k++) {
                        const DesiredAttach *a = &c->units[s].attach[k];
                        _cleanup_free_ char *addr = NULL;
                        const char *extra = s == self && hostname && !strv_contains(a->aliases, hostname) ?
                                            hostname : NULL;

                        if (a->network != net)
                                continue;
                        addr = desired_ipv4_format(a->address);
                        hosts_line(b, strempty(addr), a->aliases, extra);
                        if (a->ipv6_address)
                                hosts_line(b, a->ipv6_address, a->aliases, extra);
                }
}

/* extra_hosts as "ip\tname"; the forms are those extra_hosts_json() accepts. */
static void hosts_extra(StrBuf *b, const ComposeNode *n) {
        COMPOSE_SEQ_FOREACH(i, n) {
                const char *s = compose_node_str(n->items[i]), *sep;

                if (s && ((sep = strchr(s, '=')) || (sep = strchr(s, ':'))))
                        strbuf_printf(b, "%s\t%.*s\n", sep + 1, (int) (sep - s), s);
        }
        COMPOSE_MAP_FOREACH(i, n) {
                const ComposeNode *v = n->items[i];
                size_t m = v->type == COMPOSE_NODE_SEQ ? v->n_items : 1;

                for (size_t j = 0; j < m; j++) {
                        const char *ip = compose_node_str(v->type == COMPOSE_NODE_SEQ ? v->items[j] : v);

                        if (ip)
                                strbuf_printf(b, "%s\t%s\n", ip, n->keys[i]->scalar);
                }
        }
}

char *desired_hosts_file(DesiredContext *c, size_t i) {
        StrBuf b = {};

        strbuf_append(&b, NC_HEADER_COMMENT);
        strbuf_append(&b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        for (size_t k = 0; k < c->units[i].n_attach; k++)
                hosts_network(&b, c, i, c->units[i].attach[k].network);
        hosts_extra(&b, compose_map_get(c->units[i].node, "extra_hosts"));
        return strbuf_steal(&b);
}
