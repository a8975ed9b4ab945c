/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "reconcile/compose/compose-internal.h"
#include "lib/strv.h"

/* One input drives the three text parsers of interpolation: the template engine, the .env
 * parser and, when the input is a YAML document, the tree walk with its casts. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_lookup(const char *name, void *userdata) {
        static const char *const env[] = { "A=a", "EMPTY=", "PORT=8080", "YES=yes", "DOLLAR=$A", NULL };

        return strv_env_get((char **) env, name);
}

static void fuzz_template(const char *s) {
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *out = NULL;

        if (compose_interpolate(s, fuzz_lookup, NULL, &warnings, &out, NULL) < 0)
                return;
        /* Without a '$' there is nothing to substitute. */
        if (!strchr(s, '$') && !streq(out, s))
                abort();
}

static void fuzz_dotenv(const char *s) {
        _cleanup_strv_free_ char **env = NULL;

        if (compose_dotenv_parse(".env", s, fuzz_lookup, NULL, &env, NULL) < 0)
                return;
        STRV_FOREACH(e, env)
                if (!strchr(*e, '=') || **e == '=')
                        abort();
}

static void fuzz_tree(const char *s, size_t size) {
        _cleanup_(compose_node_freep) ComposeNode *root = NULL;
        _cleanup_strv_free_ char **warnings = NULL;

        if (compose_yaml_parse("fuzz.yml", s, size, &root, NULL) < 0)
                return;
        (void) compose_interpolate_tree(root, fuzz_lookup, NULL, &warnings, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL;

        if (size > 64 * 1024)           /* stay in the parsers, not in malloc */
                return 0;
        s = strndup((const char *) data, size);
        if (!s)
                return 0;
        fuzz_template(s);
        fuzz_dotenv(s);
        fuzz_tree(s, strlen(s));
        return 0;
}
