/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>

#include "reconcile/compose/compose-normalize-internal.h"
#include "lib/strv.h"

/* Ports, as compose-go reads them: short strings as go-connections' nat.ParsePortSpec splits them,
 * integers as a bare target, mappings as they are; then mode defaults to "ingress" and protocol to
 * "tcp". A range expands to one entry per port. */

static ComposeNode *port_entry(const ComposeNode *n, const char *ip, uint64_t target, const char *published,
                               const char *proto) {
        _cleanup_(compose_node_freep) ComposeNode *m = norm_new_map(&n->mark);

        if (!m ||
            compose_map_set(m, "mode", compose_node_new_string("ingress", &n->mark)) < 0 ||
            (!isempty(ip) && compose_map_set(m, "host_ip", compose_node_new_string(ip, &n->mark)) < 0) ||
            compose_map_set(m, "target", compose_node_new_int((int64_t) target, &n->mark)) < 0 ||
            (!isempty(published) &&
             compose_map_set(m, "published", compose_node_new_string(published, &n->mark)) < 0) ||
            compose_map_set(m, "protocol", compose_node_new_string(proto, &n->mark)) < 0)
                return NULL;
        return TAKE_PTR(m);
}

/* nat.ParsePortSpecs keys its result by "port/proto" and compose-go sorts those keys as strings,
 * so "8-10:8-10" comes out as 10, 8, 9. A published range with a single target stays a range
 * ("8000-8010"), the pool the engine picks a port from. */
static int port_expand(const ComposeNode *n, const ComposePortSpec *s, ComposeNode *out) {
        unsigned cs = s->target.start, ce = s->target.end, hs = s->published.start, he = s->published.end;
        size_t first = out->n_items;

        for (unsigned i = 0; i <= ce - cs; i++) {
                char published[32] = "", key[32], keyb[32];
                int r;

                if (hs > 0)
                        snprintf(published, sizeof published, "%u", hs + i);
                if (cs == ce && hs != he)
                        snprintf(published, sizeof published, "%u-%u", hs, he);
                r = compose_seq_append(out, port_entry(n, s->host_ip, cs + i, published, s->protocol));
                if (r < 0)
                        return r;
                /* Insertion sort by the "port/proto" string. */
                for (size_t j = out->n_items - 1; j > first; j--) {
                        snprintf(key, sizeof key, "%s/%s", compose_map_get_str(out->items[j], "target"), s->protocol);
                        snprintf(keyb, sizeof keyb, "%s/%s", compose_map_get_str(out->items[j - 1], "target"),
                                 s->protocol);
                        if (strcmp(key, keyb) >= 0)
                                break;
                        ComposeNode *t = out->items[j];
                        out->items[j] = out->items[j - 1];
                        out->items[j - 1] = t;
                }
        }
        return 0;
}

static int port_parse_short(NormCtx *c, const ComposeNode *n, ComposeNode *out, const char *path) {
        ComposePortSpec spec;
        NcError err = {};
        int r;

        r = compose_parse_port_spec(n->scalar, &spec, &err);
        if (r < 0)
                return compose_node_error(n, c->reterr, r, path, "%s", err.message);
        return port_expand(n, &spec, out);
}

static int port_long(ComposeNode **item, ComposeNode *out) {
        ComposeNode *m = *item;
        int r;

        r = norm_map_default(m, "protocol", compose_node_new_string("tcp", &m->mark));
        if (r < 0)
                return r;
        r = norm_map_default(m, "mode", compose_node_new_string("ingress", &m->mark));
        if (r < 0)
                return r;
        return compose_seq_append(out, TAKE_PTR(*item));
}

int norm_hook_ports(NormCtx *c, ComposeNode **slot, const char *path) {
        _cleanup_(compose_node_freep) ComposeNode *out = NULL;
        ComposeNode *seq = *slot;
        char child[NORM_PATH_MAX];
        int r;

        assert(c);
        assert(slot);
        assert(*slot);

        if (seq->type == COMPOSE_NODE_NULL)
                return 0;
        if (seq->type != COMPOSE_NODE_SEQ)
                return compose_node_error(seq, c->reterr, -EINVAL, path, "must be a list");
        out = compose_node_new(COMPOSE_NODE_SEQ, &seq->mark);
        if (!out)
                return -ENOMEM;
        COMPOSE_SEQ_FOREACH(i, seq) {
                ComposeNode *item = seq->items[i];

                norm_path_index(child, path, i);
                if (item->type == COMPOSE_NODE_INT)
                        r = compose_seq_append(out, port_entry(item, NULL, strtoull(item->scalar, NULL, 10),
                                                               NULL, "tcp"));
                else if (item->type == COMPOSE_NODE_STRING)
                        r = port_parse_short(c, item, out, child);
                else if (item->type == COMPOSE_NODE_MAP)
                        r = port_long(&seq->items[i], out);
                else
                        r = compose_node_error(item, c->reterr, -EINVAL, child, "invalid type %s for port",
                                               compose_node_type_to_string(item->type));
                if (r < 0)
                        return r;
        }
        /* Long-syntax items were moved into @out; free the rest of the old list. */
        return norm_replace_node(slot, TAKE_PTR(out));
}
