/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <yaml.h>

#include "reconcile/compose/compose-internal.h"
#include "lib/strv.h"

/* Canonical output of a model: top-level keys in compose's order (name, services, networks,
 * volumes, secrets, configs, then the rest by key); every other mapping in the order of the tree,
 * which the normalizer has already put in the order `docker compose config` prints. */

static const char *const top_order[] = { "name", "services", "networks", "volumes", "secrets", "configs" };

static int cmp_key(const void *a, const void *b, void *userdata) {
        const ComposeNode *map = userdata;

        return strcmp(map->keys[*(const size_t*) a]->scalar, map->keys[*(const size_t*) b]->scalar);
}

static bool is_top_key(const char *k) {
        for (size_t t = 0; t < ELEMENTSOF(top_order); t++)
                if (streq(top_order[t], k))
                        return true;
        return false;
}

/* Output order of a map's entries: at the top level compose's section order first, then the rest by
 * key; elsewhere the tree's own order. */
static size_t *sorted_order(const ComposeNode *map, bool top) {
        size_t *idx = calloc(MAX(map->n_items, (size_t) 1), sizeof *idx), n = 0, first;

        if (!idx)
                return NULL;
        if (top)
                for (size_t t = 0; t < ELEMENTSOF(top_order); t++) {
                        ssize_t i = compose_map_index(map, top_order[t]);
                        if (i >= 0)
                                idx[n++] = i;
                }
        first = n;
        for (size_t i = 0; i < map->n_items; i++)
                if (!top || !is_top_key(map->keys[i]->scalar))
                        idx[n++] = i;
        if (top)
                qsort_r(idx + first, n - first, sizeof *idx, cmp_key, (void*) map);
        return idx;
}

/* '$' doubled, as docker compose's config prints values, so that its output is itself a compose file
 * that loads to the same model (keys are never interpolated, so they are left alone). */
static char *escape_dollars(const char *s) {
        StrBuf b = {};

        for (; *s; s++)
                strbuf_append(&b, *s == '$' ? "$$" : (char[]) { *s, 0 });
        return strbuf_steal(&b);
}

/* ---- YAML ---------------------------------------------------------------------------------- */

/* Would this text, written plain, read back as something other than a string? */
static bool needs_quotes(const char *s) {
        static const char *const words[] = {
                "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
                "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
                ".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN", "<<",
        };
        char *end;

        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (streq(s, words[i]))
                        return true;
        (void) strtod(s, &end);
        if (*end == 0)
                return true;            /* a number */
        if (strchr("0123456789", s[0]) && strchr(s, ':') && strspn(s, "0123456789:._") == strlen(s))
                return true;            /* YAML 1.1 base 60 ("1:2"), quoted as go-yaml does */
        return startswith(s, "0o") || startswith(s, "0x");
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev) {
        return yaml_emitter_emit(e, ev) ? 0 : -ENOMEM;
}

static int emit_scalar(yaml_emitter_t *e, const char *s, yaml_scalar_style_t style) {
        yaml_event_t ev;

        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t*) s, (int) strlen(s), 1, 1, style))
                return -ENOMEM;
        return emit(e, &ev);
}

static int emit_node(yaml_emitter_t *e, const ComposeNode *n, bool top) {
        yaml_event_t ev;
        int r;

        switch (n->type) {
        case COMPOSE_NODE_NULL:
                return emit_scalar(e, "null", YAML_PLAIN_SCALAR_STYLE);
        case COMPOSE_NODE_BOOL:
        case COMPOSE_NODE_INT:
        case COMPOSE_NODE_FLOAT:
                return emit_scalar(e, n->scalar, YAML_PLAIN_SCALAR_STYLE);
        case COMPOSE_NODE_STRING: {
                _cleanup_free_ char *v = escape_dollars(n->scalar);

                if (!v)
                        return -ENOMEM;
                return emit_scalar(e, v,
                                   strchr(v, '\n') ? YAML_LITERAL_SCALAR_STYLE :
                                   needs_quotes(v) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
        }
        case COMPOSE_NODE_SEQ:
                if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE))
                        return -ENOMEM;
                r = emit(e, &ev);
                if (r < 0)
                        return r;
                COMPOSE_SEQ_FOREACH(i, n) {
                        r = emit_node(e, n->items[i], false);
                        if (r < 0)
                                return r;
                }
                if (!yaml_sequence_end_event_initialize(&ev))
                        return -ENOMEM;
                return emit(e, &ev);
        case COMPOSE_NODE_MAP: {
                _cleanup_free_ size_t *order = sorted_order(n, top);

                if (!order || !yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE))
                        return -ENOMEM;
                r = emit(e, &ev);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n->n_items; i++) {
                        const char *k = n->keys[order[i]]->scalar;

                        r = emit_scalar(e, k, needs_quotes(k) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
                        if (r < 0)
                                return r;
                        r = emit_node(e, n->items[order[i]], false);
                        if (r < 0)
                                return r;
                }
                if (!yaml_mapping_end_event_initialize(&ev))
                        return -ENOMEM;
                return emit(e, &ev);
        }
        case _COMPOSE_NODE_TYPE_MAX:
        case _COMPOSE_NODE_TYPE_INVALID:
                break;
        }
        return -EINVAL;
}

static int write_handler(void *data, unsigned char *buffer, size_t size) {
        strbuf_append_n(data, (const char*) buffer, size);
        return !((StrBuf*) data)->oom;
}

/* The events of the stream and the document around @root: only allocation fails there. */
static int emit_stream(yaml_emitter_t *e, const ComposeNode *root) {
        yaml_event_t ev;
        int r;

        if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || emit(e, &ev) < 0 ||
            !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || emit(e, &ev) < 0)
                return -ENOMEM;
        r = root ? emit_node(e, root, true) : emit_scalar(e, "null", YAML_PLAIN_SCALAR_STYLE);
        if (r < 0)
                return r;
        if (!yaml_document_end_event_initialize(&ev, 1) || emit(e, &ev) < 0 ||
            !yaml_stream_end_event_initialize(&ev) || emit(e, &ev) < 0)
                return -ENOMEM;
        return 0;
}

char *compose_dump_yaml(const ComposeNode *root) {
        _cleanup_(strbuf_done) StrBuf out = {};
        yaml_emitter_t e;
        int r;

        if (!yaml_emitter_initialize(&e))
                return NULL;
        yaml_emitter_set_output(&e, write_handler, &out);
        yaml_emitter_set_unicode(&e, 1);
        yaml_emitter_set_indent(&e, 2);
        yaml_emitter_set_width(&e, -1);
        r = emit_stream(&e, root);
        yaml_emitter_delete(&e);
        if (r < 0)
                return NULL;
        return strbuf_steal(&out);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static json_object *to_json(const ComposeNode *n, bool top) {
        json_object *o;

        switch (n->type) {
        case COMPOSE_NODE_NULL:
                return NULL;
        case COMPOSE_NODE_BOOL:
                return json_object_new_boolean(streq(n->scalar, "true"));
        case COMPOSE_NODE_INT:
                return json_object_new_int64(strtoll(n->scalar, NULL, 10));
        case COMPOSE_NODE_FLOAT: {
                double d = strtod(n->scalar, NULL);
                char *end;

                /* JSON has no inf or nan, nor YAML's ".5" or "+1": those are written as JSON reads them
                 * (the YAML text is kept only when it is already a JSON number). */
                if (strcasestr(n->scalar, "inf") || strcasestr(n->scalar, "nan") || isinf(d) || isnan(d))
                        return json_object_new_string(n->scalar);
                (void) strtod(n->scalar, &end);
                if (*end == 0 && (isdigit((unsigned char) n->scalar[0]) ||
                                  (n->scalar[0] == '-' && isdigit((unsigned char) n->scalar[1]))) &&
                    !strstr(n->scalar, ".e") && !strstr(n->scalar, ".E") && n->scalar[strlen(n->scalar) - 1] != '.')
                        return json_object_new_double_s(d, n->scalar);
                return json_object_new_double(d);
        }
        case COMPOSE_NODE_STRING: {
                _cleanup_free_ char *v = escape_dollars(n->scalar);

                return v ? json_object_new_string(v) : NULL;
        }
        case COMPOSE_NODE_SEQ:
                o = json_object_new_array();
                COMPOSE_SEQ_FOREACH(i, n)
                        if (o)
                                json_object_array_add(o, to_json(n->items[i], false));
                return o;
        case COMPOSE_NODE_MAP: {
                _cleanup_free_ size_t *order = sorted_order(n, top);

                o = json_object_new_object();
                if (!o || !order) {
                        json_object_put(o);
                        return NULL;
                }
                for (size_t i = 0; i < n->n_items; i++)
                        json_object_object_add(o, n->keys[order[i]]->scalar, to_json(n->items[order[i]], false));
                return o;
        }
        case _COMPOSE_NODE_TYPE_MAX:
        case _COMPOSE_NODE_TYPE_INVALID:
                break;
        }
        return NULL;
}

char *compose_dump_json(const ComposeNode *root) {
        json_object *o = root ? to_json(root, true) : NULL;
        char *s;

        s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return s;
}
