/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdio.h>

#include "tests/fuzz/compose-roundtrip.h"

/* The whole loader on one input, as the only compose file of a project in a directory that does
 * not exist, with an empty environment. When the input loads, both canonical dumps (YAML and JSON)
 * must load again to the same model (compose-roundtrip.h says what counts as the same). */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PATH "/nonexistent/nspawn-compose-fuzz/compose.yml"

static void check_roundtrip(const ComposeNode *model, char *(*dump)(const ComposeNode *root), const char *what) {
        _cleanup_(compose_project_freep) ComposeProject *again = NULL;
        _cleanup_free_ char *text = NULL;
        NcError err = {};
        RoundtripResult r;

        r = compose_roundtrip(model, dump, FUZZ_PATH, NULL, &text, &again, &err);
        if (r == ROUNDTRIP_EQUAL || r == ROUNDTRIP_DUPLICATES || r == ROUNDTRIP_LONG_KEY ||
            r == ROUNDTRIP_NONFINITE || r == ROUNDTRIP_OOM)
                return;
        compose_roundtrip_report(stderr, r, what, text, model, again, &err);
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        ComposeOptions o = {};
        NcError err = {};

        if (size > 64 * 1024)           /* stay in the loader, not in malloc */
                return 0;
        if (compose_project_load_buffer(FUZZ_PATH, (const char *) data, size, &o, &p, &err) < 0)
                return 0;
        check_roundtrip(p->model, compose_dump_yaml, "YAML");
        check_roundtrip(p->model, compose_dump_json, "JSON");
        return 0;
}
