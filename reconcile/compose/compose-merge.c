/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdio.h>

#include "reconcile/compose/compose-internal.h"

/* Compose's merge rules for several files (compose-spec "Merge and override"):
 * mappings merge key by key, sequences append, scalars are replaced; command, entrypoint and
 * healthcheck.test are replaced; ports, volumes, secrets and configs are unique by their key;
 * environment, labels and friends merge as maps whatever form each side uses; !reset removes a
 * value, !override replaces it without merging. */

typedef enum MergeRule {
        MERGE_DEFAULT,                  /* map: by key; seq: append; scalar: replace */
        MERGE_REPLACE,
        MERGE_AS_MAP,                   /* list "K=V" or map → map, merged by key */
        MERGE_DEPENDS_ON,               /* list or map → map of {condition: ...} */
        MERGE_NETWORKS,                 /* list or map → map */
        MERGE_UNIQUE,                   /* seq append, equal items dropped */
        MERGE_BY_TARGET,                /* volumes: unique by target path */
        MERGE_BY_SOURCE,                /* secrets, configs: unique by source */
        MERGE_LOGGING,
} MergeRule;

static const struct {
        const char *key;
        MergeRule rule;
} service_rules[] = {
        { "command",        MERGE_REPLACE },
        { "entrypoint",     MERGE_REPLACE },
        { "environment",    MERGE_AS_MAP },
        { "labels",         MERGE_AS_MAP },
        { "annotations",    MERGE_AS_MAP },
        { "sysctls",        MERGE_AS_MAP },
        { "depends_on",     MERGE_DEPENDS_ON },
        { "networks",       MERGE_NETWORKS },
        { "ports",          MERGE_UNIQUE },
        { "expose",         MERGE_UNIQUE },
        { "dns",            MERGE_UNIQUE },
        { "dns_search",     MERGE_UNIQUE },
        { "dns_opt",        MERGE_UNIQUE },
        { "cap_add",        MERGE_UNIQUE },
        { "cap_drop",       MERGE_UNIQUE },
        { "devices",        MERGE_UNIQUE },
        { "tmpfs",          MERGE_UNIQUE },
        { "env_file",       MERGE_UNIQUE },
        { "extra_hosts",    MERGE_UNIQUE },
        { "links",          MERGE_UNIQUE },
        { "external_links", MERGE_UNIQUE },
        { "security_opt",   MERGE_UNIQUE },
        { "group_add",      MERGE_UNIQUE },
        { "profiles",       MERGE_UNIQUE },
        { "volumes",        MERGE_BY_TARGET },
        { "secrets",        MERGE_BY_SOURCE },
        { "configs",        MERGE_BY_SOURCE },
        { "logging",        MERGE_LOGGING },
};

static MergeRule service_rule(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(service_rules); i++)
                if (streq(service_rules[i].key, key))
                        return service_rules[i].rule;
        return MERGE_DEFAULT;
}

static int merge_node(ComposeNode **base, ComposeNode *over, MergeRule rule, int depth, NcError *reterr);

/* The map entry a list item stands for: "K=V" → K: "V", "K" → K: null (environment and friends);
 * a name → name: {condition: service_started} (depends_on) or name: null (networks). 0 and NULLs
 * for items that are not strings (the schema check reports them). */
static int item_entry(const ComposeNode *item, MergeRule rule, char **ret_key, ComposeNode **ret_value) {
        const char *s = compose_node_str(item), *eq = NULL;
        _cleanup_(compose_node_freep) ComposeNode *v = NULL;
        _cleanup_free_ char *k = NULL;

        *ret_key = NULL;
        *ret_value = NULL;
        if (!s)
                return 0;
        if (rule == MERGE_AS_MAP)
                eq = strchr(s, '=');
        k = eq ? strndup(s, eq - s) : strdup(s);
        if (eq)
                v = compose_node_new_string(eq + 1, &item->mark);
        else if (rule == MERGE_DEPENDS_ON) {
                v = compose_node_new(COMPOSE_NODE_MAP, &item->mark);
                if (v && compose_map_set(v, "condition", compose_node_new_string("service_started", &item->mark)) < 0)
                        return -ENOMEM;
        } else
                v = compose_node_new(COMPOSE_NODE_NULL, &item->mark);
        if (!k || !v)
                return -ENOMEM;
        *ret_key = TAKE_PTR(k);
        *ret_value = TAKE_PTR(v);
        return 0;
}

/* A list in one of the forms item_entry() knows becomes the map it stands for; maps stay as they are. */
static int seq_to_map(ComposeNode **n, MergeRule rule) {
        _cleanup_(compose_node_freep) ComposeNode *map = NULL;
        ComposeNode *seq = *n;

        if (seq->type != COMPOSE_NODE_SEQ)
                return 0;
        map = compose_node_new(COMPOSE_NODE_MAP, &seq->mark);
        if (!map)
                return -ENOMEM;
        COMPOSE_SEQ_FOREACH(i, seq) {
                _cleanup_free_ char *k = NULL;
                ComposeNode *v;
                int r;

                r = item_entry(seq->items[i], rule, &k, &v);
                if (r < 0)
                        return r;
                if (!k)
                        continue;
                r = compose_map_set_at(map, k, &seq->items[i]->mark, v);
                if (r < 0)
                        return r;
        }
        map->flags = seq->flags;
        compose_node_free(seq);
        *n = TAKE_PTR(map);
        return 0;
}

/* The key an item of a unique-by list is known by: the volume target, the secret source, or for
 * anything else its own text. NULL: no usable key (kept as is). */
static const char *item_key(const ComposeNode *item, MergeRule rule, char *buf, size_t size) {
        const char *s = compose_node_str(item);

        if (item->type == COMPOSE_NODE_MAP)
                return compose_map_get_str(item, rule == MERGE_BY_TARGET ? "target" : "source");
        if (!s)
                return NULL;
        if (rule == MERGE_BY_TARGET) {
                /* "src:dst[:opts]" or "dst" */
                const char *c = strchr(s, ':');
                if (!c)
                        return s;
                snprintf(buf, size, "%.*s", (int) strcspn(c + 1, ":"), c + 1);
                return buf;
        }
        return s;
}

static int merge_unique(ComposeNode *base, ComposeNode *over, MergeRule rule) {
        COMPOSE_SEQ_FOREACH(i, over) {
                ComposeNode *item = over->items[i];
                char kb[4096], kb2[4096];
                const char *k = item_key(item, rule, kb, sizeof kb);
                bool replaced = false;

                COMPOSE_SEQ_FOREACH(j, base) {
                        const char *bk = item_key(base->items[j], rule, kb2, sizeof kb2);

                        if (rule == MERGE_UNIQUE ? compose_node_equal(base->items[j], item) : (k && streq_ptr(bk, k))) {
                                compose_node_free(base->items[j]);
                                base->items[j] = TAKE_PTR(over->items[i]);
                                replaced = true;
                                break;
                        }
                }
                if (!replaced) {
                        int r = compose_seq_append(base, TAKE_PTR(over->items[i]));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int merge_map(ComposeNode *base, ComposeNode *over, int depth, NcError *reterr) {
        COMPOSE_MAP_FOREACH(i, over) {
                const char *key = over->keys[i]->scalar;
                ComposeNode *v = TAKE_PTR(over->items[i]);
                MergeRule rule = MERGE_DEFAULT;
                ssize_t idx;
                int r;

                /* depth 2 is a service (services.NAME.KEY) */
                if (depth == 2)
                        rule = service_rule(key);
                else if (depth == 3 && streq(key, "test"))
                        rule = MERGE_REPLACE;   /* healthcheck.test; harmless elsewhere at this depth */

                if (v->flags & COMPOSE_NODE_TAG_RESET) {
                        compose_node_free(v);
                        (void) compose_map_remove(base, key);
                        continue;
                }
                idx = compose_map_index(base, key);
                if (idx < 0) {
                        r = compose_map_set_at(base, key, &over->keys[i]->mark, v);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* Service rules apply under services.NAME only; elsewhere a depth that never matches. */
                r = merge_node(&base->items[idx], v, rule,
                               depth == 0 && !streq(key, "services") ? 100 : depth + 1, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int merge_node(ComposeNode **base, ComposeNode *over, MergeRule rule, int depth, NcError *reterr) {
        _cleanup_(compose_node_freep) ComposeNode *o = over;
        int r;

        if (rule == MERGE_AS_MAP || rule == MERGE_DEPENDS_ON || rule == MERGE_NETWORKS) {
                r = seq_to_map(base, rule);
                if (r < 0)
                        return r;
                r = seq_to_map(&o, rule);
                if (r < 0)
                        return r;
        }
        if (rule == MERGE_LOGGING && (*base)->type == COMPOSE_NODE_MAP && o->type == COMPOSE_NODE_MAP &&
            !streq_ptr(compose_map_get_str(*base, "driver") ?: compose_map_get_str(o, "driver"),
                       compose_map_get_str(o, "driver") ?: compose_map_get_str(*base, "driver")))
                rule = MERGE_REPLACE;   /* another driver: its options make no sense with ours */

        if (rule == MERGE_REPLACE || (o->flags & COMPOSE_NODE_TAG_OVERRIDE) || (*base)->type != o->type ||
            compose_node_is_scalar(o) || o->type == COMPOSE_NODE_NULL) {
                compose_node_free(*base);
                *base = TAKE_PTR(o);
                (*base)->flags &= ~COMPOSE_NODE_TAG_OVERRIDE;
                return 0;
        }
        if (o->type == COMPOSE_NODE_MAP)
                return merge_map(*base, o, depth, reterr);
        if (rule == MERGE_UNIQUE || rule == MERGE_BY_TARGET || rule == MERGE_BY_SOURCE)
                return merge_unique(*base, o, rule);
        COMPOSE_SEQ_FOREACH(i, o) {
                r = compose_seq_append(*base, TAKE_PTR(o->items[i]));
                if (r < 0)
                        return r;
        }
        return 0;
}

int compose_merge(ComposeNode *base, ComposeNode *override, NcError *reterr) {
        _cleanup_(compose_node_freep) ComposeNode *o = override;

        assert(base);

        if (!o)
                return 0;
        if (base->type != COMPOSE_NODE_MAP || o->type != COMPOSE_NODE_MAP)
                return compose_node_error(o, reterr, -EINVAL, "", "top-level object must be a mapping");
        return merge_map(base, o, 0, reterr);
}

/* Merges one service definition into another (extends): the same rules as for files, applied at
 * service depth. Consumes @override. */
int compose_merge_service(ComposeNode *base, ComposeNode *override, NcError *reterr) {
        _cleanup_(compose_node_freep) ComposeNode *o = override;

        assert(base);

        if (!o)
                return -ENOMEM;         /* a failed copy, as compose_map_set() takes it */
        if (base->type != COMPOSE_NODE_MAP || o->type != COMPOSE_NODE_MAP)
                return compose_node_error(o, reterr, -EINVAL, "", "service must be a mapping");
        return merge_map(base, o, 2, reterr);
}
