/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "reconcile/compose/compose.h"
#include "lib/strv.h"

static void map_index_drop(ComposeNode *map);

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
        map_index_drop(n);
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

/* Maps: the keys[] array is the truth, in insertion order. A map of more than a few entries also gets a
 * hash index (open addressing, slots hold position + 1), so building and reading a map of 50 000
 * environment keys stays linear. The index is maintained by appends, and dropped (rebuilt on the next
 * lookup) by anything that moves or removes entries; all of that happens in this file. */
#define MAP_INDEX_MIN 8

struct ComposeMapIndex {
        size_t n_indexed;               /* entries [0, n_indexed) are in the table */
        size_t mask;                    /* slots - 1; slots is a power of two > 2 * n_indexed */
        size_t slot[];
};

static void map_index_drop(ComposeNode *map) {
        map->index = mfree(map->index);
}

static size_t key_hash(const char *key) {
        uint64_t h = UINT64_C(14695981039346656037);    /* FNV-1a */

        for (const unsigned char *p = (const unsigned char*) key; *p; p++)
                h = (h ^ *p) * UINT64_C(1099511628211);
        return (size_t) (h ^ (h >> 32));
}

static void map_index_insert(ComposeMapIndex *x, const ComposeNode *map, size_t pos) {
        size_t i = key_hash(map->keys[pos]->scalar) & x->mask;

        while (x->slot[i] != 0)
                i = (i + 1) & x->mask;
        x->slot[i] = pos + 1;
        x->n_indexed = pos + 1;
}

/* Makes map->index cover every entry, (re)building it when it is missing, stale or too full.
 * Returns false when there is none (a small map, or OOM): the caller scans. */
static bool map_index_ensure(ComposeNode *map) {
        size_t slots = 16;

        if (map->n_items < MAP_INDEX_MIN)
                return false;
        if (map->index && map->index->n_indexed == map->n_items && map->index->mask + 1 > 2 * map->n_items)
                return true;
        map_index_drop(map);
        while (slots <= 4 * map->n_items)
                slots *= 2;
        map->index = calloc(1, sizeof(ComposeMapIndex) + slots * sizeof(size_t));
        if (!map->index)
                return false;
        map->index->mask = slots - 1;
        for (size_t i = 0; i < map->n_items; i++)
                map_index_insert(map->index, map, i);
        return true;
}

ssize_t compose_map_index(const ComposeNode *map, const char *key) {
        assert(key);

        if (!map || map->type != COMPOSE_NODE_MAP)
                return -ENOENT;
        /* The index is a cache: building it does not change the map as callers see it. */
        if (map_index_ensure((ComposeNode*) map)) {
                const ComposeMapIndex *x = map->index;

                for (size_t i = key_hash(key) & x->mask; x->slot[i] != 0; i = (i + 1) & x->mask)
                        if (streq(map->keys[x->slot[i] - 1]->scalar, key))
                                return (ssize_t) (x->slot[i] - 1);
                return -ENOENT;
        }
        COMPOSE_MAP_FOREACH(i, map)
                if (streq(map->keys[i]->scalar, key))
                        return (ssize_t) i;
        return -ENOENT;
}

/* Appends an entry whose key is known to be absent. Takes both nodes, also on failure. */
static int map_append(ComposeNode *map, ComposeNode *key, ComposeNode *value) {
        _cleanup_(compose_node_freep) ComposeNode *k = key, *v = value;

        if (!k || !v || node_reserve(map, map->n_items + 1) < 0)
                return -ENOMEM;
        map->keys[map->n_items] = TAKE_PTR(k);
        map->items[map->n_items++] = TAKE_PTR(v);
        /* keep an index that was complete, while it stays at most half full */
        if (map->index && map->index->n_indexed == map->n_items - 1 && map->index->mask + 1 > 2 * map->n_items)
                map_index_insert(map->index, map, map->n_items - 1);
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
        k = compose_node_new_string(key, key_mark ?: &v->mark);
        return map_append(map, TAKE_PTR(k), TAKE_PTR(v));
}

int compose_map_add_at(ComposeNode *map, const char *key, const ComposeMark *key_mark, ComposeNode *value) {
        _cleanup_(compose_node_freep) ComposeNode *v = value, *k = NULL;

        assert(map && map->type == COMPOSE_NODE_MAP);
        assert(key);
        if (!v)
                return -ENOMEM;
        if (compose_map_index(map, key) >= 0)
                return -EEXIST;
        k = compose_node_new_string(key, key_mark ?: &v->mark);
        return map_append(map, TAKE_PTR(k), TAKE_PTR(v));
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
        map_index_drop(map);
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

/* One step of the bottom-up merge sort: merges runs [lo, mid) and [mid, hi) of @from into @to,
 * taking from the left run on ties (stable). */
static void merge_runs(ComposeNode **from_k, ComposeNode **from_v, ComposeNode **to_k, ComposeNode **to_v,
                       size_t lo, size_t mid, size_t hi, ComposeKeyLess less, void *userdata) {
        size_t a = lo, b = mid;

        for (size_t o = lo; o < hi; o++) {
                bool right = a >= mid || (b < hi && less(from_k[b]->scalar, from_k[a]->scalar, userdata));
                size_t i = right ? b++ : a++;

                to_k[o] = from_k[i];
                to_v[o] = from_v[i];
        }
}

void compose_map_sort_by(ComposeNode *map, ComposeKeyLess less, void *userdata) {
        _cleanup_free_ ComposeNode **tmp = NULL;
        ComposeNode **from_k, **from_v, **to_k, **to_v;
        size_t n;

        assert(less);

        if (!map || map->type != COMPOSE_NODE_MAP || map->n_items < 2)
                return;
        n = map->n_items;
        tmp = malloc(2 * n * sizeof *tmp);
        if (!tmp) {
                /* No memory for the merge: an insertion sort, the same order in O(n²). */
                for (size_t i = 1; i < n; i++)
                        for (size_t j = i; j > 0 && less(map->keys[j]->scalar, map->keys[j - 1]->scalar, userdata); j--) {
                                ComposeNode *k = map->keys[j], *v = map->items[j];

                                map->keys[j] = map->keys[j - 1];
                                map->items[j] = map->items[j - 1];
                                map->keys[j - 1] = k;
                                map->items[j - 1] = v;
                        }
                map_index_drop(map);
                return;
        }
        from_k = map->keys;
        from_v = map->items;
        to_k = tmp;
        to_v = tmp + n;
        for (size_t width = 1; width < n; width *= 2) {
                ComposeNode **t;

                for (size_t lo = 0; lo < n; lo += 2 * width)
                        merge_runs(from_k, from_v, to_k, to_v, lo, MIN(lo + width, n), MIN(lo + 2 * width, n),
                                   less, userdata);
                t = from_k, from_k = to_k, to_k = t;
                t = from_v, from_v = to_v, to_v = t;
        }
        if (from_k != map->keys) {
                memcpy(map->keys, from_k, n * sizeof *from_k);
                memcpy(map->items, from_v, n * sizeof *from_v);
        }
        map_index_drop(map);
}

static bool strcmp_less(const char *a, const char *b, void *userdata) {
        return strcmp(a, b) < 0;
}

void compose_map_sort(ComposeNode *map) {
        compose_map_sort_by(map, strcmp_less, NULL);
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

int compose_node_compare(const ComposeNode *a, const ComposeNode *b) {
        int r;

        if (!a || !b)
                return (a != NULL) - (b != NULL);
        if (a->type != b->type)
                return a->type < b->type ? -1 : 1;
        if (!a->scalar || !b->scalar) {
                if (a->scalar || b->scalar)
                        return a->scalar ? 1 : -1;
        } else {
                r = strcmp(a->scalar, b->scalar);
                if (r != 0)
                        return r;
        }
        if (a->n_items != b->n_items)
                return a->n_items < b->n_items ? -1 : 1;
        for (size_t i = 0; i < a->n_items; i++) {
                if (a->type == COMPOSE_NODE_MAP) {
                        r = strcmp(a->keys[i]->scalar, b->keys[i]->scalar);
                        if (r != 0)
                                return r;
                }
                r = compose_node_compare(a->items[i], b->items[i]);
                if (r != 0)
                        return r;
        }
        return 0;
}

bool compose_node_equal(const ComposeNode *a, const ComposeNode *b) {
        return compose_node_compare(a, b) == 0;
}

static int item_index_compare(const void *x, const void *y, void *userdata) {
        ComposeNode * const *items = userdata;
        size_t i = *(const size_t*) x, j = *(const size_t*) y;
        int r = compose_node_compare(items[i], items[j]);

        if (r != 0)
                return r;
        return i < j ? -1 : i > j;
}

int compose_seq_first_duplicate(const ComposeNode *seq, size_t *ret_first, size_t *ret_second) {
        _cleanup_free_ size_t *order = NULL;
        size_t n, first = SIZE_MAX, second = SIZE_MAX;

        assert(ret_first);
        assert(ret_second);

        if (!seq || seq->type != COMPOSE_NODE_SEQ || seq->n_items < 2)
                return 0;
        n = seq->n_items;
        order = malloc(n * sizeof *order);
        if (!order)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                order[i] = i;
        /* sorted by value, then by position: each run of equal items starts with its first two */
        qsort_r(order, n, sizeof *order, item_index_compare, seq->items);
        for (size_t k = 1; k < n; k++)
                if (order[k] < second && compose_node_equal(seq->items[order[k - 1]], seq->items[order[k]]) &&
                    (k < 2 || !compose_node_equal(seq->items[order[k - 2]], seq->items[order[k]]))) {
                        first = order[k - 1];
                        second = order[k];
                }
        if (second == SIZE_MAX)
                return 0;
        *ret_first = first;
        *ret_second = second;
        return 1;
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
