/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "reconcile/compose/compose.h"
#include "lib/strv.h"

/* The round trip of `config`'s output, shared by the loader's fuzz target and the corpus test: a
 * loaded model, dumped as YAML or JSON, must load again to an equal model.
 *
 * The dumps double '$' in values, as docker compose's config verb does to its output, so that the
 * second load does not interpolate what the first one produced.
 *
 * One difference is legitimate: the schema wants the items of lists such as ports unique as
 * written, and distinct short forms can normalize to equal long forms ("3000" and "3000-3001" both
 * give target 3000). docker compose prints such a list as it is, and its output then fails its own
 * uniqueness check. When the model holds such a list, the reload may fail with that error.
 *
 * JSON has no infinity or NaN: the JSON dump writes YAML's ".inf"/".nan" floats as strings, which
 * load back as strings.
 *
 * Another is JSON's: YAML (1.2, section 7.4.2) ends an implicit key at most 1024 characters after
 * its start, and libyaml and go-yaml enforce it, so a JSON object key longer than that is not
 * YAML. The YAML dump writes such keys as explicit "? key" entries; the JSON dump cannot. */

typedef enum RoundtripResult {
        ROUNDTRIP_EQUAL,
        ROUNDTRIP_DUPLICATES,           /* reload refused equal list items the model holds: legitimate */
        ROUNDTRIP_LONG_KEY,             /* JSON with a key YAML cannot read: legitimate */
        ROUNDTRIP_NONFINITE,            /* JSON of a model with .inf/.nan floats: legitimate */
        ROUNDTRIP_RELOAD_FAILED,        /* the dump does not load: @err says why */
        ROUNDTRIP_DIFFERENT,            /* the dump loads to another model */
        ROUNDTRIP_OOM,
} RoundtripResult;

static inline bool roundtrip_has_duplicate_items(const ComposeNode *n) {
        for (size_t i = 0; i < n->n_items; i++) {
                if (roundtrip_has_duplicate_items(n->items[i]))
                        return true;
                if (n->type == COMPOSE_NODE_SEQ)
                        for (size_t j = 0; j < i; j++)
                                if (compose_node_equal(n->items[i], n->items[j]))
                                        return true;
        }
        return false;
}

/* Is a key of the tree, as JSON writes it (quoted, escaped), past YAML's implicit key limit?
 * Counts bytes, a little more than the characters YAML counts. */
static inline bool roundtrip_has_long_json_key(const ComposeNode *n) {
        for (size_t i = 0; i < n->n_items; i++) {
                if (roundtrip_has_long_json_key(n->items[i]))
                        return true;
                if (n->type == COMPOSE_NODE_MAP) {
                        size_t l = 2;

                        for (const char *c = n->keys[i]->scalar; *c; c++)
                                l += strchr("\\\"", *c) ? 2 : (unsigned char) *c < 0x20 ? 6 : 1;
                        if (l > 1024)
                                return true;
                }
        }
        return false;
}

/* The same question asked of the JSON text itself: a line holding a key ("…":) longer than YAML's
 * limit. The model walk above misses keys the dump makes of list items (environment, labels and
 * the like written as KEY=VALUE lists). */
static inline bool roundtrip_text_has_long_json_key(const char *text) {
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *p = l + strspn(l, " "), *q;

                if (*p != '"')
                        continue;
                for (q = p + 1; *q && *q != '"' && *q != '\n'; q++)
                        if (*q == '\\' && q[1])
                                q++;
                if (*q == '"' && q[1] == ':' && q + 1 - p > 1024)
                        return true;
        }
        return false;
}

static inline bool roundtrip_has_nonfinite(const ComposeNode *n) {
        if (n->type == COMPOSE_NODE_FLOAT && (strcasestr(n->scalar, "inf") || strcasestr(n->scalar, "nan")))
                return true;
        for (size_t i = 0; i < n->n_items; i++)
                if (roundtrip_has_nonfinite(n->items[i]))
                        return true;
        return false;
}

/* Dumps @model with @dump and loads the text as the only compose file @path with options @o (its
 * environment; files are ignored). The dumped text is returned in *ret_text, the reloaded project in
 * *ret_again (when it loaded). */
static inline RoundtripResult compose_roundtrip(const ComposeNode *model, char *(*dump)(const ComposeNode *root),
                                                const char *path, const ComposeOptions *o,
                                                char **ret_text, ComposeProject **ret_again, NcError *err) {
        ComposeOptions reload = { .environ = o ? o->environ : NULL };
        char *text;

        text = dump(model);
        if (!text)
                return ROUNDTRIP_OOM;
        *ret_text = text;
        if (compose_project_load_buffer(path, text, strlen(text), &reload, ret_again, err) < 0) {
                if (err->error == -ENOMEM)
                        return ROUNDTRIP_OOM;
                if (strstr(err->message, "must be unique") && roundtrip_has_duplicate_items(model))
                        return ROUNDTRIP_DUPLICATES;
                if (dump == compose_dump_json &&
                    (roundtrip_has_long_json_key(model) || roundtrip_text_has_long_json_key(text)))
                        return ROUNDTRIP_LONG_KEY;
                return ROUNDTRIP_RELOAD_FAILED;
        }
        if (compose_node_equal(model, (*ret_again)->model))
                return ROUNDTRIP_EQUAL;
        if (dump == compose_dump_json && roundtrip_has_nonfinite(model))
                return ROUNDTRIP_NONFINITE;
        return ROUNDTRIP_DIFFERENT;
}

/* Prints what differs to @f: the dumped text, and both models or the reload error. */
static inline void compose_roundtrip_report(FILE *f, RoundtripResult r, const char *what, const char *text,
                                            const ComposeNode *model, const ComposeProject *again,
                                            const NcError *err) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        char buf[1024];

        fprintf(f, "%s output does not load to the same model\n--- %s output:\n%s\n", what, what, strempty(text));
        if (r == ROUNDTRIP_RELOAD_FAILED) {
                fprintf(f, "--- reload failed: %s\n", nc_error_format(err, buf, sizeof buf));
                return;
        }
        a = compose_dump_yaml(model);
        b = again ? compose_dump_yaml(again->model) : NULL;
        fprintf(f, "--- first model:\n%s\n--- reloaded model:\n%s\n", strempty(a), strempty(b));
}
