/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include "reconcile/compose/compose-normalize-internal.h"
#include "lib/fileio.h"
#include "lib/strv.h"

/* env_file contents go into the environment as `docker compose config` prints them
 * (Project.WithServicesEnvironmentResolved with env_file discarded): the files are read in order, a
 * later file overrides an earlier one, and the service's own environment wins over all of them. */

typedef struct EnvFileLookup {
        NormCtx *ctx;
        const ComposeNode *environment;
} EnvFileLookup;

/* ${VAR} in an env_file: the project environment first, then the service's environment. */
static const char *env_file_lookup(const char *name, void *userdata) {
        EnvFileLookup *l = userdata;
        const char *v = l->ctx->lookup ? l->ctx->lookup(name, l->ctx->userdata) : NULL;
        const ComposeNode *n;

        if (v)
                return v;
        n = compose_map_get(l->environment, name);
        return n && n->type == COMPOSE_NODE_STRING ? n->scalar : NULL;
}

static int env_file_read(NormCtx *c, const ComposeNode *entry, EnvFileLookup *l, char ***vars, const char *path) {
        const char *file = compose_map_get_str(entry, "path"), *format = compose_map_get_str(entry, "format");
        _cleanup_free_ char *data = NULL;
        int r;

        if (!file)
                return compose_node_error(entry, c->reterr, -EINVAL, path, "'path' is required");
        if (format && !streq(format, "dotenv"))
                return compose_node_error(entry, c->reterr, -EOPNOTSUPP, path, "unsupported env_file format '%s'",
                                          format);
        r = compose_read_input(file, &data, NULL);
        if (r == -ENOENT && !compose_map_get_bool(entry, "required", true))
                return 0;
        if (r == -ENOENT)
                return compose_node_error(entry, c->reterr, r, path, "env file %s not found: %s", file,
                                          compose_read_strerror(r));
        if (r < 0)
                return compose_node_error(entry, c->reterr, r, path, "failed to read env file %s: %s", file,
                                          compose_read_strerror(r));
        return compose_dotenv_parse(file, data, env_file_lookup, l, vars, c->reterr);
}

/* The merged environment: file variables (last one wins), then the service's own entries. */
static int env_merge(ComposeNode *merged, char * const *vars, const ComposeNode *environment,
                     const ComposeMark *mark) {
        int r;

        STRV_FOREACH(v, vars) {
                _cleanup_free_ char *key = strndup(*v, strcspn(*v, "="));
                const char *eq = strchr(*v, '=');

                if (!key)
                        return -ENOMEM;
                r = compose_map_set_at(merged, key, mark, compose_node_new_string(eq ? eq + 1 : "", mark));
                if (r < 0)
                        return r;
        }
        COMPOSE_MAP_FOREACH(i, environment) {
                r = compose_map_set_at(merged, environment->keys[i]->scalar, &environment->keys[i]->mark,
                                       compose_node_dup(environment->items[i]));
                if (r < 0)
                        return r;
        }
        norm_sort_map(merged);
        return 0;
}

int norm_service_env_files(NormCtx *c, ComposeNode *service, const char *path) {
        const ComposeNode *files = compose_map_get(service, "env_file");
        _cleanup_(compose_node_freep) ComposeNode *merged = NULL;
        _cleanup_strv_free_ char **vars = NULL;
        char p[NORM_PATH_MAX], child[NORM_PATH_MAX];
        EnvFileLookup l = { .ctx = c, .environment = compose_map_get(service, "environment") };
        int r;

        assert(c);

        if (!files)
                return 0;
        norm_path_key(p, path, "env_file");
        COMPOSE_SEQ_FOREACH(i, files) {
                r = env_file_read(c, files->items[i], &l, &vars, norm_path_index(child, p, i));
                if (r < 0)
                        return r;
        }
        merged = norm_new_map(&files->mark);
        if (!merged)
                return -ENOMEM;
        r = env_merge(merged, vars, l.environment, &files->mark);
        if (r < 0)
                return r;
        (void) compose_map_remove(service, "env_file");
        if (merged->n_items == 0)
                return compose_map_remove(service, "environment") < 0 ? -ENOMEM : 0;
        return compose_map_set(service, "environment", TAKE_PTR(merged));
}
