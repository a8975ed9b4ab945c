/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <yaml.h>

#include "reconcile/compose/compose-internal.h"
#include "reconcile/compose/compose-normalize-internal.h"
#include "lib/sha256.h"
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

        /* go-yaml's rule: quoted when the plain text would read back as anything but a string, and
         * YAML 1.1's booleans and base 60 numbers too */
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (streq(s, words[i]))
                        return true;
        if (compose_yaml_plain_type(s) != COMPOSE_NODE_STRING)
                return true;
        /* go-yaml reads a plain "2001-12-14…" as a timestamp */
        if (strspn(s, "0123456789") == 4 && s[4] == '-')
                return true;
        return strchr("0123456789", s[0]) && strchr(s, ':') && strspn(s, "0123456789:._") == strlen(s);
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

static int emit_node(yaml_emitter_t *e, const ComposeNode *n, bool top, bool verbatim) {
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
                _cleanup_free_ char *v = verbatim ? strdup(n->scalar) : escape_dollars(n->scalar);

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
                        r = emit_node(e, n->items[i], false, verbatim);
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
                        const ComposeNode *v = n->items[order[i]];
                        const char *k = n->keys[order[i]]->scalar;

                        /* go-yaml's omitempty leaves an empty struct out; encoding/json does not */
                        if ((v->flags & COMPOSE_NODE_STRUCT_VALUE) && v->type == COMPOSE_NODE_MAP && v->n_items == 0)
                                continue;
                        r = emit_scalar(e, k, needs_quotes(k) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
                        if (r < 0)
                                return r;
                        r = emit_node(e, n->items[order[i]], false, verbatim);
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
static int emit_stream(yaml_emitter_t *e, const ComposeNode *root, bool verbatim) {
        yaml_event_t ev;
        int r;

        if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || emit(e, &ev) < 0 ||
            !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || emit(e, &ev) < 0)
                return -ENOMEM;
        r = root ? emit_node(e, root, true, verbatim) : emit_scalar(e, "null", YAML_PLAIN_SCALAR_STYLE);
        if (r < 0)
                return r;
        if (!yaml_document_end_event_initialize(&ev, 1) || emit(e, &ev) < 0 ||
            !yaml_stream_end_event_initialize(&ev) || emit(e, &ev) < 0)
                return -ENOMEM;
        return 0;
}

static char *dump_yaml(const ComposeNode *root, bool verbatim) {
        _cleanup_(strbuf_done) StrBuf out = {};
        yaml_emitter_t e;
        int r;

        if (!yaml_emitter_initialize(&e))
                return NULL;
        yaml_emitter_set_output(&e, write_handler, &out);
        yaml_emitter_set_unicode(&e, 1);
        yaml_emitter_set_indent(&e, 2);
        yaml_emitter_set_width(&e, -1);
        r = emit_stream(&e, root, verbatim);
        yaml_emitter_delete(&e);
        if (r < 0)
                return NULL;
        return strbuf_steal(&out);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

/* A string as Go's encoding/json writes it: <, > and & as \u003c…, U+2028/U+2029 escaped, a byte
 * that is not UTF-8 as U+FFFD. */
static void json_string(StrBuf *b, const char *s) {
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char*) s;

        strbuf_append_char(b, '"');
        while (*p) {
                unsigned char c = *p;
                size_t len = 0;

                if (c < 0x80) {
                        switch (c) {
                        case '"':  strbuf_append(b, "\\\""); break;
                        case '\\': strbuf_append(b, "\\\\"); break;
                        case '\b': strbuf_append(b, "\\b"); break;
                        case '\f': strbuf_append(b, "\\f"); break;
                        case '\n': strbuf_append(b, "\\n"); break;
                        case '\r': strbuf_append(b, "\\r"); break;
                        case '\t': strbuf_append(b, "\\t"); break;
                        default:
                                if (c < 0x20 || c == '<' || c == '>' || c == '&')
                                        strbuf_printf(b, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
                                else
                                        strbuf_append_char(b, (char) c);
                        }
                        p++;
                        continue;
                }
                uint32_t cp;

                len = compose_utf8_next((const char*) p, &cp);
                if (len == 1) {         /* not UTF-8 */
                        strbuf_append(b, "\\ufffd");
                        p++;
                        continue;
                }
                if (len == 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
                        strbuf_append(b, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
                else
                        strbuf_append_n(b, (const char*) p, len);
                p += len;
        }
        strbuf_append_char(b, '"');
}

static void json_indent(StrBuf *b, unsigned level) {
        strbuf_append_char(b, '\n');
        for (unsigned i = 0; i < level; i++)
                strbuf_append(b, "  ");
}

/* encoding/json's MarshalIndent(v, "", "  ") of the model, as `docker compose config --format json`
 * prints it: the keys of maps sorted (the top level is one there), {} and [] for empty ones;
 * @level < 0: compact, as json.Marshal (the service hash). */
static int json_node(StrBuf *b, const ComposeNode *n, int level, bool top, bool verbatim) {
        switch (n->type) {
        case COMPOSE_NODE_NULL:
                strbuf_append(b, "null");
                return 0;
        case COMPOSE_NODE_BOOL:
        case COMPOSE_NODE_INT:
                strbuf_append(b, n->scalar);
                return 0;
        case COMPOSE_NODE_FLOAT: {
                double v = strtod(n->scalar, NULL);
                _cleanup_free_ char *f = compose_format_float(v, false, COMPOSE_FLOAT_JSON);

                if (!f)
                        return -ENOMEM;
                /* An integral float from 1e6 on: encoding/json writes "20000000", which reads back as
                 * an integer; the exponent form ("2e+07", go-yaml's) is the same number and stays a
                 * float, so the output loads to the same model. */
                if (compose_float_text_is_integer(f)) {
                        free(f);
                        f = compose_format_float(v, false, COMPOSE_FLOAT_YAML);
                        if (!f)
                                return -ENOMEM;
                }
                strbuf_append(b, f);
                return 0;
        }
        case COMPOSE_NODE_STRING: {
                _cleanup_free_ char *v = verbatim ? strdup(n->scalar) : escape_dollars(n->scalar);

                if (!v)
                        return -ENOMEM;
                json_string(b, v);
                return 0;
        }
        case COMPOSE_NODE_SEQ:
        case COMPOSE_NODE_MAP: {
                bool map = n->type == COMPOSE_NODE_MAP;
                _cleanup_free_ size_t *order = calloc(MAX(n->n_items, (size_t) 1), sizeof *order);

                if (!order)
                        return -ENOMEM;
                for (size_t i = 0; i < n->n_items; i++)
                        order[i] = i;
                /* Go's encoding/json sorts a map's keys bytewise; a struct keeps its fields' order */
                if (map && (top || !(n->flags & COMPOSE_NODE_STRUCT)))
                        qsort_r(order, n->n_items, sizeof *order, cmp_key, (void*) n);
                strbuf_append_char(b, map ? '{' : '[');
                for (size_t i = 0; i < n->n_items; i++) {
                        int r;

                        if (i > 0)
                                strbuf_append_char(b, ',');
                        if (level >= 0)
                                json_indent(b, level + 1);
                        if (map) {
                                json_string(b, n->keys[order[i]]->scalar);
                                strbuf_append(b, level >= 0 ? ": " : ":");
                        }
                        r = json_node(b, n->items[order[i]], level >= 0 ? level + 1 : -1, false, verbatim);
                        if (r < 0)
                                return r;
                }
                if (n->n_items > 0 && level >= 0)
                        json_indent(b, level);
                strbuf_append_char(b, map ? '}' : ']');
                return 0;
        }
        case _COMPOSE_NODE_TYPE_MAX:
        case _COMPOSE_NODE_TYPE_INVALID:
                break;
        }
        return -EINVAL;
}

static char *dump_json(const ComposeNode *root, bool verbatim) {
        _cleanup_(strbuf_done) StrBuf out = {};

        if (!root)
                strbuf_append(&out, "null");
        else if (json_node(&out, root, 0, true, verbatim) < 0)
                return NULL;
        return out.oom ? NULL : strbuf_steal(&out);
}

char *compose_dump(const ComposeNode *root, ComposeDumpFlags flags) {
        bool verbatim = flags & COMPOSE_DUMP_VERBATIM;

        return flags & COMPOSE_DUMP_JSON ? dump_json(root, verbatim) : dump_yaml(root, verbatim);
}

char *compose_dump_yaml(const ComposeNode *root) {
        return compose_dump(root, 0);
}

char *compose_dump_json(const ComposeNode *root) {
        return compose_dump(root, COMPOSE_DUMP_JSON);
}

int compose_service_hash(const ComposeNode *service, char ret[static 65]) {
        static const char *const dropped[] = { "build", "pull_policy", "scale" },
                          *const always[] = { "command", "entrypoint" };
        _cleanup_(compose_node_freep) ComposeNode *s = NULL;
        _cleanup_(strbuf_done) StrBuf out = {};
        ComposeNode *deploy;
        int r;

        if (!service || service->type != COMPOSE_NODE_MAP)
                return -EINVAL;
        s = compose_node_dup(service);
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(dropped); i++)
                (void) compose_map_remove(s, dropped[i]);
        deploy = compose_map_get(s, "deploy");
        if (deploy)
                (void) compose_map_remove(deploy, "replicas");
        /* Go's struct: x-* keys are not in its JSON, command and entrypoint always are */
        for (size_t i = 0; i < s->n_items; )
                if (startswith(s->keys[i]->scalar, "x-"))
                        (void) compose_map_remove(s, s->keys[i]->scalar);
                else
                        i++;
        for (size_t i = 0; i < ELEMENTSOF(always); i++)
                if (!compose_map_get(s, always[i])) {
                        r = compose_map_set(s, always[i], compose_node_new(COMPOSE_NODE_NULL, NULL));
                        if (r < 0)
                                return r;
                }
        /* compose-go's EnvFile marshals as its path when required */
        COMPOSE_SEQ_FOREACH(i, compose_map_get(s, "env_file")) {
                ComposeNode *e = compose_map_get(s, "env_file")->items[i];

                if (compose_map_get_bool(e, "required", true)) {
                        ComposeNode *path = compose_map_take(e, "path");

                        if (!path)
                                continue;
                        compose_node_free(e);
                        compose_map_get(s, "env_file")->items[i] = path;
                }
        }
        norm_order_keys(s, &norm_service_schema);
        r = json_node(&out, s, -1, false, /* verbatim= */ true);   /* the values, not config's escapes */
        if (r < 0 || out.oom)
                return -ENOMEM;
        sha256_hex(out.buf, out.len, ret);
        return 0;
}
