/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <yaml.h>

#include "reconcile/compose/compose-internal.h"
#include "lib/strv.h"

/* YAML → ComposeNode, on libyaml's event API (which keeps positions; the document API loses
 * them for keys). Scalars resolve with the YAML 1.2 core schema, as go-yaml v3 (and so docker
 * compose) does: "yes"/"on" stay strings; integers take Go's base prefixes, so "0o17" and "017"
 * are octal. */

typedef struct Anchor {
        char *name;
        ComposeNode *node;              /* owned copy: the original may be consumed by a merge key */
        size_t nodes, bytes;            /* what one more copy of it costs */
        unsigned height;                /* levels of nesting it adds where it is copied */
} Anchor;

/* Nesting beyond this is refused rather than recursed into (a hostile file would overflow the stack);
 * no compose file comes close. Aliases count too: a copy must fit below the alias's own depth. */
#define YAML_MAX_DEPTH 256

typedef struct YamlParser {
        yaml_parser_t parser;
        unsigned depth;
        ComposeYamlBudget *budget;
        const char *file;
        Anchor *anchors;
        size_t n_anchors;
        NcError *reterr;
} YamlParser;

static int parse_node(YamlParser *p, yaml_event_t *event, ComposeNode **ret);

static ComposeMark event_mark(const YamlParser *p, const yaml_event_t *e) {
        return (ComposeMark) {
                .file = p->file,
                .line = e->start_mark.line + 1,
                .column = e->start_mark.column + 1,
        };
}

static int yaml_error(YamlParser *p) {
        const char *what = p->parser.problem ?: "invalid YAML";

        return nc_error_set_at(p->reterr, -EINVAL, p->file, p->parser.problem_mark.line + 1,
                               p->parser.problem_mark.column + 1, "%s%s%s", what,
                               p->parser.context ? " " : "", strempty(p->parser.context));
}

static int next_event(YamlParser *p, yaml_event_t *e) {
        if (!yaml_parser_parse(&p->parser, e))
                return yaml_error(p);
        return 0;
}

/* go-yaml v3's resolution of a plain scalar, which docker compose's is: the YAML 1.2 core schema's
 * nulls and booleans; for text starting with a digit or a sign, '_' taken out, then Go's integer
 * syntax (strconv.ParseInt/ParseUint with base 0: 0x, 0o, 0b and a leading 0 for octal; up to
 * uint64), then a YAML float; for text starting with '.', a float or .inf/.nan. */
static const char *const yaml_nulls[] = { "", "~", "null", "Null", "NULL" };
static const char *const yaml_trues[] = { "true", "True", "TRUE" }, *const yaml_falses[] = { "false", "False", "FALSE" };

static void delete_char(char *s, char c) {
        char *w = s;

        for (; *s; s++)
                if (*s != c)
                        *w++ = *s;
        *w = 0;
}

static bool in_list(const char *s, const char *const *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (streq(s, l[i]))
                        return true;
        return false;
}

/* Go's ParseUint(s, 0, 64) after the sign: digits of the base its prefix names. */
static int go_parse_uint(const char *s, uint64_t *ret) {
        unsigned base = 10;
        uint64_t v = 0;

        if (!*s)
                return -EINVAL;
        if (s[0] == '0') {
                char p = s[1] ? (char) tolower((unsigned char) s[1]) : 0;

                if (s[1] && s[2] && (p == 'b' || p == 'o' || p == 'x')) {
                        base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
                        s += 2;
                } else {
                        base = 8;
                        s += 1;
                }
        }
        for (; *s; s++) {
                unsigned d = isdigit((unsigned char) *s) ? (unsigned) (*s - '0') :
                             isxdigit((unsigned char) *s) ? (unsigned) (tolower((unsigned char) *s) - 'a' + 10) : 99;

                if (d >= base)
                        return -EINVAL;
                if (v > (UINT64_MAX - d) / base)
                        return -ERANGE;
                v = v * base + d;
        }
        *ret = v;
        return 0;
}

/* An integer as go-yaml reads one, in decimal: int64, else uint64. */
static int go_parse_int_text(const char *s, char **ret) {
        bool neg = s[0] == '-';
        uint64_t v;
        int r;

        r = go_parse_uint(s + (s[0] == '-' || s[0] == '+'), &v);
        if (r < 0)
                return r;
        if (s[0] == '-' || s[0] == '+') {       /* ParseInt: a sign, and int64's range */
                if (v > (uint64_t) INT64_MAX + neg)
                        return -ERANGE;
                if (neg && v == 0)
                        neg = false;
        }
        return asprintf(ret, "%s%" PRIu64, neg ? "-" : "", v) < 0 ? -ENOMEM : 0;
}

static bool is_yaml_float(const char *s) {
        static regex_t re;
        static bool ready = false;

        if (!ready) {
                assert_se(regcomp(&re, "^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$", REG_EXTENDED | REG_NOSUB) == 0);
                ready = true;
        }
        return regexec(&re, s, 0, NULL, 0) == 0;
}

/* A float's canonical node: its text as docker compose prints it, an INT when that is integral.
 * -ERANGE when it overflows (go-yaml then keeps the text as a string). */
static int float_node_text(const char *s, ComposeNodeType *ret_type, char **ret_text) {
        double v;
        char *t;

        errno = 0;
        v = strtod(s, NULL);
        if (errno == ERANGE && fabs(v) > 1)
                return -ERANGE;
        if (v == 0)
                v = 0;          /* -0 prints as 0, as it reads back */
        t = compose_format_float(v, false, COMPOSE_FLOAT_YAML);
        if (!t)
                return -ENOMEM;
        *ret_type = compose_float_text_is_integer(t) ? COMPOSE_NODE_INT : COMPOSE_NODE_FLOAT;
        *ret_text = t;
        return 0;
}

static int resolve_plain(const char *s, ComposeNodeType *ret_type, char **ret_text) {
        _cleanup_free_ char *plain = NULL;
        int r;

        *ret_text = NULL;
        if (in_list(s, yaml_nulls, ELEMENTSOF(yaml_nulls))) {
                *ret_type = COMPOSE_NODE_NULL;
                return 0;
        }
        if (in_list(s, yaml_trues, ELEMENTSOF(yaml_trues)) || in_list(s, yaml_falses, ELEMENTSOF(yaml_falses))) {
                *ret_type = COMPOSE_NODE_BOOL;
                *ret_text = strdup(strchr("tT", s[0]) ? "true" : "false");
                return *ret_text ? 0 : -ENOMEM;
        }
        *ret_type = COMPOSE_NODE_STRING;
        if (s[0] == '.' || ((s[0] == '+' || s[0] == '-') && s[1] == '.')) {
                const char *t = s + (s[0] != '.');

                if (streq(t, ".inf") || streq(t, ".Inf") || streq(t, ".INF") ||
                    (s[0] == '.' && (streq(s, ".nan") || streq(s, ".NaN") || streq(s, ".NAN")))) {
                        *ret_type = COMPOSE_NODE_FLOAT;
                        return 0;
                }
                if (s[0] == '.') {
                        if (!is_yaml_float(s))
                                return 0;
                        r = float_node_text(s, ret_type, ret_text);
                        return r == -ERANGE ? 0 : r;
                }
        }
        if (!strchr("+-0123456789", s[0]))
                return 0;
        plain = strdup(s);
        if (!plain)
                return -ENOMEM;
        delete_char(plain, '_');
        r = go_parse_int_text(plain, ret_text);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                *ret_type = COMPOSE_NODE_INT;
                return 0;
        }
        if (!is_yaml_float(plain))
                return 0;
        r = float_node_text(plain, ret_type, ret_text);
        return r == -ERANGE ? 0 : r;
}

static int tag_flags(YamlParser *p, const yaml_event_t *e, const char *tag, ComposeNodeType *type, unsigned *flags) {
        if (!tag)
                return 0;
        if (streq(tag, "!reset"))
                *flags |= COMPOSE_NODE_TAG_RESET;
        else if (streq(tag, "!override"))
                *flags |= COMPOSE_NODE_TAG_OVERRIDE;
        else if (streq(tag, YAML_STR_TAG))
                *type = COMPOSE_NODE_STRING;
        else if (streq(tag, YAML_INT_TAG))
                *type = COMPOSE_NODE_INT;
        else if (streq(tag, YAML_BOOL_TAG))
                *type = COMPOSE_NODE_BOOL;
        else if (streq(tag, YAML_FLOAT_TAG))
                *type = COMPOSE_NODE_FLOAT;
        else if (streq(tag, YAML_NULL_TAG))
                *type = COMPOSE_NODE_NULL;
        else if (!streq(tag, YAML_MAP_TAG) && !streq(tag, YAML_SEQ_TAG) && !streq(tag, "!"))
                return nc_error_set_at(p->reterr, -EINVAL, p->file, e->start_mark.line + 1,
                                       e->start_mark.column + 1, "unsupported YAML tag '%s'", tag);
        return 0;
}

ComposeNodeType compose_yaml_plain_type(const char *s) {
        _cleanup_free_ char *text = NULL;
        ComposeNodeType t;

        /* on OOM, a type that makes callers quote */
        return resolve_plain(s, &t, &text) < 0 ? COMPOSE_NODE_NULL : t;
}

/* The canonical text of a tagged scalar (!!int, !!float, !!bool): as go-yaml decodes it. NULL text:
 * keep it. */
static int canonical_tagged(ComposeNodeType *type, const char *s, char **ret) {
        ComposeNodeType t;
        int r;

        *ret = NULL;
        if (*type == COMPOSE_NODE_STRING || *type == COMPOSE_NODE_NULL)
                return 0;
        r = resolve_plain(s, &t, ret);
        if (r < 0)
                return r;
        if (t == *type || (t == COMPOSE_NODE_INT && *type == COMPOSE_NODE_FLOAT))
                *type = t;      /* !!float 1 is the integral float docker prints as 1 */
        else
                *ret = mfree(*ret);
        return 0;
}

/* Nodes and scalar bytes of @n, and its height (1 for a scalar). Recurses no deeper than the tree is. */
static void node_cost(const ComposeNode *n, size_t *nodes, size_t *bytes, unsigned *height) {
        unsigned h = 0;

        *nodes += 1;
        *bytes += n->scalar ? strlen(n->scalar) : 0;
        for (size_t i = 0; i < n->n_items; i++) {
                unsigned c = 0;

                if (n->keys)
                        node_cost(n->keys[i], nodes, bytes, &c);
                node_cost(n->items[i], nodes, bytes, &c);
                h = MAX(h, c);
        }
        *height = h + 1;
}

/* Every anchor and alias is a copy: refuse documents that multiply themselves ("billion laughs", or
 * one long string aliased many times), as go-yaml does, instead of exhausting memory. */
static int budget_take(YamlParser *p, const yaml_event_t *e, size_t nodes, size_t bytes) {
        ComposeYamlBudget *b = p->budget;

        if (nodes > b->nodes || bytes > b->bytes)
                return nc_error_set_at(p->reterr, -E2BIG, p->file, e->start_mark.line + 1, e->start_mark.column + 1,
                                       "document contains excessive aliasing (anchors and aliases may copy at "
                                       "most %zu nodes and %zu bytes)", (size_t) COMPOSE_YAML_ALIAS_NODES_MAX,
                                       (size_t) COMPOSE_YAML_ALIAS_BYTES_MAX);
        b->nodes -= nodes;
        b->bytes -= bytes;
        return 0;
}

static int remember_anchor(YamlParser *p, const yaml_event_t *e, const char *name, ComposeNode *n) {
        Anchor *a;
        int r;

        if (!name)
                return 0;
        a = realloc(p->anchors, (p->n_anchors + 1) * sizeof *a);
        if (!a)
                return -ENOMEM;
        p->anchors = a;
        a = &p->anchors[p->n_anchors];
        *a = (Anchor) {};
        node_cost(n, &a->nodes, &a->bytes, &a->height);
        r = budget_take(p, e, a->nodes, a->bytes);
        if (r < 0)
                return r;
        a->name = strdup(name);
        a->node = compose_node_dup(n);
        if (!a->name || !a->node) {
                free(a->name);
                compose_node_free(a->node);
                return -ENOMEM;
        }
        p->n_anchors++;
        return 0;
}

static int parse_scalar(YamlParser *p, yaml_event_t *e, ComposeNode **ret) {
        ComposeMark mark = event_mark(p, e);
        const char *value = (const char*) e->data.scalar.value;
        ComposeNodeType type = COMPOSE_NODE_STRING;
        unsigned flags = 0;
        _cleanup_free_ char *text = NULL;
        ComposeNode *n;
        int r;

        if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !e->data.scalar.tag) {
                r = resolve_plain(value, &type, &text);
                if (r < 0)
                        return r;
        } else if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                flags |= COMPOSE_NODE_QUOTED;
        r = tag_flags(p, e, (const char*) e->data.scalar.tag, &type, &flags);
        if (r < 0)
                return r;
        if (e->data.scalar.tag) {
                r = canonical_tagged(&type, value, &text);
                if (r < 0)
                        return r;
        }
        if (type == COMPOSE_NODE_FLOAT && !text)
                /* JSON, in which docker compose validates every file, has no infinities or NaN */
                return nc_error_set_at(p->reterr, -EINVAL, p->file, e->start_mark.line + 1, e->start_mark.column + 1,
                                       "unsupported value: %s (JSON, and so docker compose, has no infinity or NaN)",
                                       strcasestr(value, "nan") ? "NaN" : value[0] == '-' ? "-Inf" : "+Inf");

        n = compose_node_new(type, &mark);
        if (!n)
                return -ENOMEM;
        n->flags = flags;
        if (type != COMPOSE_NODE_NULL) {
                n->scalar = text ? TAKE_PTR(text) : strdup(value);
                if (!n->scalar) {
                        compose_node_free(n);
                        return -ENOMEM;
                }
        }
        r = remember_anchor(p, e, (const char*) e->data.scalar.anchor, n);
        if (r < 0) {
                compose_node_free(n);
                return r;
        }
        *ret = n;
        return 0;
}

static int parse_alias(YamlParser *p, yaml_event_t *e, ComposeNode **ret) {
        const char *name = (const char*) e->data.alias.anchor;

        for (size_t i = p->n_anchors; i > 0; i--) {
                const Anchor *a = &p->anchors[i - 1];
                int r;

                if (!streq(a->name, name))
                        continue;
                /* the alias stands at depth p->depth; its copy must not nest deeper than a document may */
                if (p->depth + a->height > YAML_MAX_DEPTH)
                        return nc_error_set_at(p->reterr, -E2BIG, p->file, e->start_mark.line + 1,
                                               e->start_mark.column + 1, "exceeded max depth of %u", YAML_MAX_DEPTH);
                r = budget_take(p, e, a->nodes, a->bytes);
                if (r < 0)
                        return r;
                *ret = compose_node_dup(a->node);
                if (!*ret)
                        return -ENOMEM;
                (*ret)->mark = event_mark(p, e);
                return 0;
        }
        return nc_error_set_at(p->reterr, -EINVAL, p->file, e->start_mark.line + 1, e->start_mark.column + 1,
                               "unknown anchor '%s' referenced", name);
}

static int parse_sequence(YamlParser *p, yaml_event_t *start, ComposeNode **ret) {
        ComposeMark mark = event_mark(p, start);
        _cleanup_(compose_node_freep) ComposeNode *seq = compose_node_new(COMPOSE_NODE_SEQ, &mark);
        ComposeNodeType ignored = COMPOSE_NODE_SEQ;
        int r;

        if (!seq)
                return -ENOMEM;
        r = tag_flags(p, start, (const char*) start->data.sequence_start.tag, &ignored, &seq->flags);
        if (r < 0)
                return r;

        for (;;) {
                yaml_event_t e;
                ComposeNode *item = NULL;

                r = next_event(p, &e);
                if (r < 0)
                        return r;
                if (e.type == YAML_SEQUENCE_END_EVENT) {
                        yaml_event_delete(&e);
                        break;
                }
                r = parse_node(p, &e, &item);
                yaml_event_delete(&e);
                if (r < 0)
                        return r;
                r = compose_seq_append(seq, item);
                if (r < 0)
                        return r;
        }
        r = remember_anchor(p, start, (const char*) start->data.sequence_start.anchor, seq);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(seq);
        return 0;
}

/* Applies the collected merge sources (<<) to @map: keys the map does not define itself are copied,
 * earlier sources winning over later ones. */
static int apply_merges(YamlParser *p, ComposeNode *map, ComposeNode *merges) {
        COMPOSE_SEQ_FOREACH(i, merges) {
                ComposeNode *src = merges->items[i];

                if (src->type != COMPOSE_NODE_MAP)
                        return nc_error_set_at(p->reterr, -EINVAL, src->mark.file, src->mark.line, src->mark.column,
                                               "merge key '<<' needs a mapping or a list of mappings");
                COMPOSE_MAP_FOREACH(j, src) {
                        int r;

                        if (compose_map_get(map, src->keys[j]->scalar))
                                continue;
                        r = compose_map_set_at(map, src->keys[j]->scalar, &src->keys[j]->mark,
                                               compose_node_dup(src->items[j]));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int add_merge_source(ComposeNode *merges, ComposeNode *value) {
        _cleanup_(compose_node_freep) ComposeNode *v = value;

        if (v->type != COMPOSE_NODE_SEQ)
                return compose_seq_append(merges, TAKE_PTR(v));
        COMPOSE_SEQ_FOREACH(i, v) {
                int r = compose_seq_append(merges, TAKE_PTR(v->items[i]));
                if (r < 0)
                        return r;
        }
        v->n_items = 0;
        return 0;
}

static int parse_map_entry(YamlParser *p, yaml_event_t *ke, ComposeNode *map, ComposeNode *merges) {
        _cleanup_(compose_node_freep) ComposeNode *key = NULL, *value = NULL;
        yaml_event_t ve;
        int r;

        r = parse_node(p, ke, &key);
        if (r < 0)
                return r;
        if (!compose_node_is_scalar(key) && key->type != COMPOSE_NODE_NULL)
                return nc_error_set_at(p->reterr, -EINVAL, p->file, key->mark.line, key->mark.column,
                                       "mapping keys must be scalars");
        r = next_event(p, &ve);
        if (r < 0)
                return r;
        r = parse_node(p, &ve, &value);
        yaml_event_delete(&ve);
        if (r < 0)
                return r;

        if (key->type == COMPOSE_NODE_STRING && !(key->flags & COMPOSE_NODE_QUOTED) && streq(key->scalar, "<<"))
                return add_merge_source(merges, TAKE_PTR(value));

        if (!key->scalar) {
                key->scalar = strdup("null");
                if (!key->scalar)
                        return -ENOMEM;
        }
        r = compose_map_add_at(map, key->scalar, &key->mark, TAKE_PTR(value));
        if (r == -EEXIST)
                return nc_error_set_at(p->reterr, -EINVAL, p->file, key->mark.line, key->mark.column,
                                       "mapping key \"%s\" already defined at line %u", key->scalar,
                                       map->keys[compose_map_index(map, key->scalar)]->mark.line);
        return r;
}

static int parse_mapping(YamlParser *p, yaml_event_t *start, ComposeNode **ret) {
        ComposeMark mark = event_mark(p, start);
        _cleanup_(compose_node_freep) ComposeNode *map = compose_node_new(COMPOSE_NODE_MAP, &mark),
                *merges = compose_node_new(COMPOSE_NODE_SEQ, &mark);
        ComposeNodeType ignored = COMPOSE_NODE_MAP;
        int r;

        if (!map || !merges)
                return -ENOMEM;
        r = tag_flags(p, start, (const char*) start->data.mapping_start.tag, &ignored, &map->flags);
        if (r < 0)
                return r;

        for (;;) {
                yaml_event_t e;

                r = next_event(p, &e);
                if (r < 0)
                        return r;
                if (e.type == YAML_MAPPING_END_EVENT) {
                        yaml_event_delete(&e);
                        break;
                }
                r = parse_map_entry(p, &e, map, merges);
                yaml_event_delete(&e);
                if (r < 0)
                        return r;
        }
        r = apply_merges(p, map, merges);
        if (r < 0)
                return r;
        r = remember_anchor(p, start, (const char*) start->data.mapping_start.anchor, map);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(map);
        return 0;
}

static int parse_collection(YamlParser *p, yaml_event_t *e, ComposeNode **ret) {
        int r;

        if (p->depth >= YAML_MAX_DEPTH)
                return nc_error_set_at(p->reterr, -E2BIG, p->file, e->start_mark.line + 1, e->start_mark.column + 1,
                                       "exceeded max depth of %u", YAML_MAX_DEPTH);
        p->depth++;
        r = e->type == YAML_SEQUENCE_START_EVENT ? parse_sequence(p, e, ret) : parse_mapping(p, e, ret);
        p->depth--;
        return r;
}

static int parse_node(YamlParser *p, yaml_event_t *e, ComposeNode **ret) {
        switch (e->type) {
        case YAML_SCALAR_EVENT:
                return parse_scalar(p, e, ret);
        case YAML_ALIAS_EVENT:
                return parse_alias(p, e, ret);
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
                return parse_collection(p, e, ret);
        case YAML_NO_EVENT:
        case YAML_STREAM_START_EVENT:
        case YAML_STREAM_END_EVENT:
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                break;
        }
        return nc_error_set_at(p->reterr, -EINVAL, p->file, e->start_mark.line + 1, e->start_mark.column + 1,
                               "unexpected YAML event");
}

static void yaml_parser_done(YamlParser *p) {
        for (size_t i = 0; i < p->n_anchors; i++) {
                free(p->anchors[i].name);
                compose_node_free(p->anchors[i].node);
        }
        free(p->anchors);
        yaml_parser_delete(&p->parser);
}

/* Parses one document's root. Returns 1 and the node (maybe NULL: empty document) when a document
 * was read, 0 at the end of the stream. */
static int parse_document(YamlParser *p, ComposeNode **ret) {
        yaml_event_t e;
        ComposeNode *root = NULL;
        int r;

        r = next_event(p, &e);
        if (r < 0)
                return r;
        if (e.type == YAML_STREAM_END_EVENT) {
                yaml_event_delete(&e);
                return 0;
        }
        assert(e.type == YAML_DOCUMENT_START_EVENT);
        yaml_event_delete(&e);

        /* Anchors do not cross documents. */
        for (size_t i = 0; i < p->n_anchors; i++) {
                free(p->anchors[i].name);
                compose_node_free(p->anchors[i].node);
        }
        p->n_anchors = 0;

        r = next_event(p, &e);
        if (r < 0)
                return r;
        if (e.type != YAML_DOCUMENT_END_EVENT) {
                r = parse_node(p, &e, &root);
                yaml_event_delete(&e);
                if (r < 0)
                        return r;
                r = next_event(p, &e);
                if (r < 0) {
                        compose_node_free(root);
                        return r;
                }
        }
        yaml_event_delete(&e);
        if (root && root->type == COMPOSE_NODE_NULL)
                root = compose_node_free(root);
        *ret = root;
        return 1;
}

/* The documents of the stream, merged in order. */
static int parse_stream(YamlParser *p, ComposeNode **ret) {
        _cleanup_(compose_node_freep) ComposeNode *result = NULL;
        yaml_event_t e;
        int r;

        r = next_event(p, &e);            /* STREAM-START */
        yaml_event_delete(&e);
        if (r < 0)
                return r;
        for (;;) {
                ComposeNode *doc = NULL;

                r = parse_document(p, &doc);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (!doc)
                        continue;
                if (!result) {
                        result = doc;
                        continue;
                }
                /* Several documents in one file merge like several -f files. */
                r = compose_merge(result, doc, p->reterr);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(result);
        return 0;
}

int compose_yaml_parse_budget(const char *file, const char *data, size_t size, ComposeYamlBudget *budget,
                              ComposeNode **ret, NcError *reterr) {
        YamlParser p = { .file = file, .budget = budget, .reterr = reterr };
        int r;

        assert(budget);
        assert(ret);

        if (!yaml_parser_initialize(&p.parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&p.parser, (const unsigned char*) data, size);
        r = parse_stream(&p, ret);
        yaml_parser_done(&p);
        return r;
}

int compose_yaml_parse(const char *file, const char *data, size_t size, ComposeNode **ret, NcError *reterr) {
        ComposeYamlBudget budget = COMPOSE_YAML_BUDGET_INIT;

        return compose_yaml_parse_budget(file, data, size, &budget, ret, reterr);
}
