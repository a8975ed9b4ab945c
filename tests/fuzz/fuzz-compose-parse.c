/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdio.h>

#include "reconcile/compose/compose.h"
#include "lib/strv.h"

/* The whole loader on one input, as the only compose file of a project in a directory that does
 * not exist, with an empty environment. When the input loads, both canonical dumps (YAML and JSON)
 * must load again to the same model: `config` output is a compose file docker compose accepts.
 *
 * Before dumping, '$' in values is doubled, as docker compose's config verb does to its output
 * (escapeDollarSign) so that a second load does not interpolate what the first one produced; only
 * values, because keys are never interpolated.
 *
 * One difference is legitimate: the schema wants the items of lists such as ports unique as
 * written, and distinct short forms can normalize to equal long forms ("3000" and "3000-3001" both
 * give target 3000). docker compose prints such a list as it is, and its output then fails its own
 * uniqueness check. When the model holds such a list, the reload must either round-trip or fail
 * with that error. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PATH "/nonexistent/nspawn-compose-fuzz/compose.yml"

static int escape_dollars(ComposeNode *n) {
        if (n->type == COMPOSE_NODE_STRING && strchr(n->scalar, '$')) {
                StrBuf b = {};

                for (const char *p = n->scalar; *p; p++)
                        if (*p == '$')
                                strbuf_append(&b, "$$");
                        else
                                strbuf_append_char(&b, *p);
                if (b.oom) {
                        strbuf_done(&b);
                        return -ENOMEM;
                }
                free_and_replace_ptr(&n->scalar, strbuf_steal(&b));
                return n->scalar ? 0 : -ENOMEM;
        }
        for (size_t i = 0; i < n->n_items; i++)
                if (escape_dollars(n->items[i]) < 0)
                        return -ENOMEM;
        return 0;
}

static bool has_duplicate_items(const ComposeNode *n) {
        for (size_t i = 0; i < n->n_items; i++) {
                if (has_duplicate_items(n->items[i]))
                        return true;
                if (n->type == COMPOSE_NODE_SEQ)
                        for (size_t j = 0; j < i; j++)
                                if (compose_node_equal(n->items[i], n->items[j]))
                                        return true;
        }
        return false;
}

static int load(const char *text, size_t size, ComposeProject **ret, NcError *err) {
        ComposeOptions o = {};

        return compose_project_load_buffer(FUZZ_PATH, text, size, &o, ret, err);
}

_noreturn_ static void roundtrip_failed(const char *what, const char *dump, const ComposeNode *model,
                                        const ComposeNode *again, const NcError *err) {
        _cleanup_free_ char *a = compose_dump_yaml(model), *b = again ? compose_dump_yaml(again) : NULL;
        char buf[1024];

        fprintf(stderr, "%s output does not load to the same model\n--- %s output:\n%s\n",
                what, what, dump);
        if (again)
                fprintf(stderr, "--- first model:\n%s\n--- reloaded model:\n%s\n", a ?: "(oom)", b ?: "(oom)");
        else
                fprintf(stderr, "--- reload failed: %s\n", nc_error_format(err, buf, sizeof buf));
        abort();
}

static void check_roundtrip(const ComposeNode *model, const ComposeNode *escaped,
                            char *(*dump)(const ComposeNode *root), const char *what) {
        _cleanup_(compose_project_freep) ComposeProject *again = NULL;
        _cleanup_free_ char *text = dump(escaped);
        NcError err = {};

        if (!text)
                return;         /* OOM */
        if (load(text, strlen(text), &again, &err) < 0) {
                if (err.error == -ENOMEM)
                        return;
                if (strstr(err.message, "must be unique") && has_duplicate_items(model))
                        return;
                roundtrip_failed(what, text, model, NULL, &err);
        }
        if (!compose_node_equal(model, again->model))
                roundtrip_failed(what, text, model, again->model, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(compose_node_freep) ComposeNode *escaped = NULL;
        NcError err = {};

        if (size > 64 * 1024)           /* stay in the loader, not in malloc */
                return 0;
        if (load((const char *) data, size, &p, &err) < 0)
                return 0;
        escaped = compose_node_dup(p->model);
        if (!escaped || escape_dollars(escaped) < 0)
                return 0;
        check_roundtrip(p->model, escaped, compose_dump_yaml, "YAML");
        check_roundtrip(p->model, escaped, compose_dump_json, "JSON");
        return 0;
}
