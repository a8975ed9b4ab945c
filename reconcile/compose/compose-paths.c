/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "reconcile/compose/compose-internal.h"
#include "reconcile/compose/compose-normalize-internal.h"

/* Relative paths in a service that came from another file (extends: file:, include:) are relative
 * to that file's directory, not to the project directory the normalizer resolves against. These
 * helpers make them absolute where they came from, as compose-go's ResolveRelativePaths does. */

static bool is_relative(const char *s) {
        return s && s[0] != '/' && s[0] != '~' && !strstr(s, "://") && !startswith(s, "git@");
}

static int absolutize(ComposeNode *n, const char *dir) {
        char *abs;

        if (!n || n->type != COMPOSE_NODE_STRING || !is_relative(n->scalar))
                return 0;
        abs = norm_abs_path(dir, n->scalar);
        if (!abs)
                return -ENOMEM;
        free_and_replace_ptr(&n->scalar, abs);
        return 0;
}

/* "./src:/dst[:opts]": only sources that are paths (named volumes have no '/' or '.' start). */
static int rebase_short_volume(ComposeNode *n, const char *dir) {
        const char *s = compose_node_str(n), *colon;
        _cleanup_free_ char *src = NULL, *abs = NULL;
        char *v;

        if (!s || !(s[0] == '.') || !(colon = strchr(s, ':')))
                return 0;
        src = strndup(s, colon - s);
        abs = src ? norm_abs_path(dir, src) : NULL;
        if (!abs || asprintf(&v, "%s%s", abs, colon) < 0)
                return -ENOMEM;
        free_and_replace_ptr(&n->scalar, v);
        return 0;
}

static int rebase_volumes(ComposeNode *vols, const char *dir) {
        COMPOSE_SEQ_FOREACH(i, vols) {
                ComposeNode *v = vols->items[i];
                const char *type = compose_map_get_str(v, "type");
                int r;

                if (v->type == COMPOSE_NODE_MAP)
                        r = streq_ptr(type, "bind") ? absolutize(compose_map_get(v, "source"), dir) : 0;
                else
                        r = rebase_short_volume(v, dir);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int rebase_env_files(ComposeNode *env, const char *dir) {
        int r = 0;

        if (compose_node_is_scalar(env))
                return absolutize(env, dir);
        COMPOSE_SEQ_FOREACH(i, env) {
                ComposeNode *e = env->items[i];
                r = e->type == COMPOSE_NODE_MAP ? absolutize(compose_map_get(e, "path"), dir) : absolutize(e, dir);
                if (r < 0)
                        return r;
        }
        return r;
}

int compose_rebase_service_paths(ComposeNode *svc, const char *dir) {
        ComposeNode *build = compose_map_get(svc, "build");
        int r;

        if (!svc || svc->type != COMPOSE_NODE_MAP)
                return 0;
        r = compose_node_is_scalar(build) ? absolutize(build, dir) : absolutize(compose_map_get(build, "context"), dir);
        if (r < 0)
                return r;
        r = rebase_env_files(compose_map_get(svc, "env_file"), dir);
        if (r < 0)
                return r;
        return rebase_volumes(compose_map_get(svc, "volumes"), dir);
}

int compose_rebase_model_paths(ComposeNode *root, const char *dir) {
        static const char *const sections[] = { "secrets", "configs" };
        ComposeNode *services = compose_map_get(root, "services");
        int r;

        COMPOSE_MAP_FOREACH(i, services) {
                r = compose_rebase_service_paths(services->items[i], dir);
                if (r < 0)
                        return r;
        }
        for (size_t s = 0; s < ELEMENTSOF(sections); s++) {
                ComposeNode *m = compose_map_get(root, sections[s]);

                COMPOSE_MAP_FOREACH(i, m) {
                        r = absolutize(compose_map_get(m->items[i], "file"), dir);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}
