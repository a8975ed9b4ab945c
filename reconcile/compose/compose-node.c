/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "reconcile/compose/compose.h"
#include "lib/strv.h"

ComposeNode *compose_node_new(ComposeNodeType type, const ComposeMark *mark) {
        ComposeNode *n = calloc(1, sizeof *n);

        if (!n)
                return NULL;
        n->type = type;
        if (mark)
                n->mark = *mark;
        return n;
}

ComposeNode *compose_node_new_scalar(ComposeNodeType type, const char *value, const ComposeMark *mark) {
        ComposeNode *n;

        assert(value || !(type == COMPOSE_NODE_BOOL || type == COMPOSE_NODE_INT || type == COMPOSE_NODE_FLOAT || type == COMPOSE_NODE_STRING));
        n = compose_node_new(type, mark);
        if (!n)
                return NULL;
        if (value) {
                n->scalar = strdup(value);
                if (!n->scalar)
                        return compose_node_free(n);
        }
        return n;
}

ComposeNode *compose_node_new_string(const char *value, const ComposeMark *mark) {
        return compose_node_new_scalar(COMPOSE_NODE_STRING, value, mark);
}

ComposeNode *compose_node_new_int(int64_t value, const ComposeMark *mark) {
        char buf[32];

        snprintf(buf, sizeof buf, "%" PRIi64, value);
        return compose_node_new_scalar(COMPOSE_NODE_INT, buf, mark);
}

ComposeNode *compose_node_new_bool(bool value, const ComposeMark *mark) {
        return compose_node_new_scalar(COMPOSE_NODE_BOOL, value ? "true" : "false", mark);
}

ComposeNode *compose_node_free(ComposeNode *n) {
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n_items; i++) {
                compose_node_free(n->items[i]);
                if (n->keys)
                        compose_node_free(n->keys[i]);
        }
        free(n->items);
        free(n->keys);
        free(n->scalar);
        free(n);
        return NULL;
}

static int node_reserve(ComposeNode *n, size_t want) {
        ComposeNode **items, **keys;
        size_t na;

        if (want <= n->n_alloc)
                return 0;
        na = MAX(want, n->n_alloc * 2);
        na = MAX(na, (size_t) 4);
        items = realloc(n->items, na * sizeof *items);
        if (!items)
                return -ENOMEM;
        n->items = items;
        if (n->type == COMPOSE_NODE_MAP) {
                keys = realloc(n->keys, na * sizeof *keys);
                if (!keys)
                        return -ENOMEM;
                n->keys = keys;
        }
        n->n_alloc = na;
        return 0;
}

ComposeNode *compose_node_dup(const ComposeNode *n) {
        _cleanup_(compose_node_freep) ComposeNode *c = NULL;

        if (!n)
                return NULL;
        c = compose_node_new_scalar(n->type, n->scalar, &n->mark);
        if (!c)
                return NULL;
        c->flags = n->flags;
        if (node_reserve(c, n->n_items) < 0)
                return NULL;
        for (size_t i = 0; i < n->n_items; i++) {
                c->items[i] = compose_node_dup(n->items[i]);
                if (c->type == COMPOSE_NODE_MAP)
                        c->keys[i] = compose_node_dup(n->keys[i]);
                if (!c->items[i] || (c->type == COMPOSE_NODE_MAP && !c->keys[i])) {
                        c->n_items = i + 1;
                        return NULL;
                }
                c->n_items = i + 1;
        }
        return TAKE_PTR(c);
}

ssize_t compose_map_index(const ComposeNode *map, const char *key) {
        assert(key);

        COMPOSE_MAP_FOREACH(i, map)
                if (streq(map->keys[i]->scalar, key))
                        return (ssize_t) i;
        return -ENOENT;
}

ComposeNode *compose_map_get(const ComposeNode *map, const char *key) {
        ssize_t i = compose_map_index(map, key);

        return i < 0 ? NULL : map->items[i];
}

int compose_map_set_at(ComposeNode *map, const char *key, const ComposeMark *key_mark, ComposeNode *value) {
        _cleanup_(compose_node_freep) ComposeNode *v = value, *k = NULL;
        ssize_t i;

        assert(map && map->type == COMPOSE_NODE_MAP);
        assert(key);
        if (!v)
                return -ENOMEM;
        i = compose_map_index(map, key);
        if (i >= 0) {
                compose_node_free(map->items[i]);
                map->items[i] = TAKE_PTR(v);
                return 0;
        }
        k = compose_node_new_string(key, key_mark ?: &value->mark);
        if (!k || node_reserve(map, map->n_items + 1) < 0)
                return -ENOMEM;
        map->keys[map->n_items] = TAKE_PTR(k);
        map->items[map->n_items++] = TAKE_PTR(v);
        return 0;
}

int compose_map_set(ComposeNode *map, const char *key, ComposeNode *value) {
        return compose_map_set_at(map, key, NULL, value);
}

ComposeNode *compose_map_take(ComposeNode *map, const char *key) {
        ssize_t i = compose_map_index(map, key);
        ComposeNode *v;

        if (i < 0)
                return NULL;
        v = map->items[i];
        compose_node_free(map->keys[i]);
        memmove(map->items + i, map->items + i + 1, (map->n_items - i - 1) * sizeof(ComposeNode*));
        memmove(map->keys + i, map->keys + i + 1, (map->n_items - i - 1) * sizeof(ComposeNode*));
        map->n_items--;
        return v;
}

int compose_map_remove(ComposeNode *map, const char *key) {
        ComposeNode *v;

        if (compose_map_index(map, key) < 0)
                return 0;
        v = compose_map_take(map, key);
        compose_node_free(v);
        return 1;
}

void compose_map_sort(ComposeNode *map) {
        /* Insertion sort keeps it stable and simple; maps are small. */
        COMPOSE_MAP_FOREACH(i, map)
                for (size_t j = i; j > 0 && strcmp(map->keys[j - 1]->scalar, map->keys[j]->scalar) > 0; j--) {
                        ComposeNode *k = map->keys[j], *v = map->items[j];
                        map->keys[j] = map->keys[j - 1];
                        map->items[j] = map->items[j - 1];
                        map->keys[j - 1] = k;
                        map->items[j - 1] = v;
                }
}

int compose_seq_append(ComposeNode *seq, ComposeNode *item) {
        assert(seq && seq->type == COMPOSE_NODE_SEQ);
        if (!item)
                return -ENOMEM;
        if (node_reserve(seq, seq->n_items + 1) < 0) {
                compose_node_free(item);
                return -ENOMEM;
        }
        seq->items[seq->n_items++] = item;
        return 0;
}

bool compose_node_is_scalar(const ComposeNode *n) {
        return n && n->type != COMPOSE_NODE_MAP && n->type != COMPOSE_NODE_SEQ && n->type != COMPOSE_NODE_NULL;
}

const char *compose_node_str(const ComposeNode *n) {
        return compose_node_is_scalar(n) ? n->scalar : NULL;
}

const char *compose_map_get_str(const ComposeNode *map, const char *key) {
        return compose_node_str(compose_map_get(map, key));
}

bool compose_map_get_bool(const ComposeNode *map, const char *key, bool def) {
        const ComposeNode *n = compose_map_get(map, key);

        if (!n || n->type != COMPOSE_NODE_BOOL)
                return def;
        return streq(n->scalar, "true");
}

int compose_node_int(const ComposeNode *n, int64_t *ret) {
        char *end;
        long long v;

        assert(ret);

        if (!n || (n->type != COMPOSE_NODE_INT && n->type != COMPOSE_NODE_STRING) || isempty(n->scalar))
                return -EINVAL;
        errno = 0;
        v = strtoll(n->scalar, &end, 10);
        if (errno != 0 || *end != 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

const char *compose_node_type_to_string(ComposeNodeType t) {
        static const char *const table[_COMPOSE_NODE_TYPE_MAX] = {
                [COMPOSE_NODE_NULL] = "null",
                [COMPOSE_NODE_BOOL] = "boolean",
                [COMPOSE_NODE_INT] = "integer",
                [COMPOSE_NODE_FLOAT] = "number",
                [COMPOSE_NODE_STRING] = "string",
                [COMPOSE_NODE_MAP] = "mapping",
                [COMPOSE_NODE_SEQ] = "sequence",
        };

        if (t < 0 || t >= _COMPOSE_NODE_TYPE_MAX)
                return NULL;
        return table[t];
}

bool compose_node_equal(const ComposeNode *a, const ComposeNode *b) {
        if (!a || !b)
                return a == b;
        if (a->type != b->type || !streq_ptr(a->scalar, b->scalar) || a->n_items != b->n_items)
                return false;
        for (size_t i = 0; i < a->n_items; i++) {
                if (a->type == COMPOSE_NODE_MAP && !streq(a->keys[i]->scalar, b->keys[i]->scalar))
                        return false;
                if (!compose_node_equal(a->items[i], b->items[i]))
                        return false;
        }
        return true;
}

int compose_node_error(const ComposeNode *n, NcError *reterr, int error, const char *path,
                       const char *fmt, ...) {
        char msg[400];
        va_list ap;

        assert(fmt);

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);

        if (!n)
                return nc_error_set(reterr, error, "%s%s%s", strempty(path), isempty(path) ? "" : ": ", msg);
        return nc_error_set_at(reterr, error, n->mark.file, n->mark.line, n->mark.column, "%s%s%s",
                               strempty(path), isempty(path) ? "" : ": ", msg);
}
