/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reconcile/compose/compose-normalize-internal.h"

/* The project level of normalization: services, the implicit "default" network, and the top-level
 * networks, volumes, secrets and configs with the names compose gives them (loader/normalize.go). */

static const NormField root_fields[] = {
        { "name", NORM_STRING }, { "services", NORM_ANY }, { "networks", NORM_ANY }, { "volumes", NORM_ANY },
        { "secrets", NORM_ANY }, { "configs", NORM_ANY }, { "models", NORM_ANY },
};
static const NormSchema root_schema = NORM_SCHEMA(root_fields, NULL);

static int normalize_services(NormCtx *c, ComposeNode *root) {
        ComposeNode *services = compose_map_get(root, "services");
        char path[NORM_PATH_MAX];
        int r;

        if (!services || services->type == COMPOSE_NODE_NULL) {
                r = compose_map_set(root, "services", norm_new_map(services ? &services->mark : &root->mark));
                return r;
        }
        if (services->type != COMPOSE_NODE_MAP)
                return norm_type_error(c, services, "services", "a mapping");
        COMPOSE_MAP_FOREACH(i, services) {
                r = norm_struct(c, services->items[i], &norm_service_schema,
                                norm_path_key(path, "services", services->keys[i]->scalar));
                if (r < 0)
                        return r;
        }
        norm_sort_map(services);
        return 0;
}

/* A service with neither network_mode nor networks joins "default", which then exists. */
static int default_network(ComposeNode *root) {
        ComposeNode *services = compose_map_get(root, "services"), *networks;
        bool used = false;
        int r;

        COMPOSE_MAP_FOREACH(i, services) {
                ComposeNode *s = services->items[i], *n;

                if (compose_map_get(s, "network_mode"))
                        continue;
                n = compose_map_get(s, "networks");
                if (n) {
                        used = used || compose_map_index(n, "default") >= 0;
                        continue;
                }
                n = norm_new_map(&s->mark);
                if (!n || compose_map_set(n, "default", compose_node_new(COMPOSE_NODE_NULL, &s->mark)) < 0 ||
                    compose_map_set(s, "networks", n) < 0)
                        return -ENOMEM;
                norm_order_keys(s, &norm_service_schema);
                used = true;
        }
        if (!used)
                return 0;
        networks = compose_map_get(root, "networks");
        if (!networks || networks->type != COMPOSE_NODE_MAP) {
                r = compose_map_set(root, "networks", norm_new_map(&root->mark));
                if (r < 0)
                        return r;
                networks = compose_map_get(root, "networks");
        }
        return norm_map_default(networks, "default", compose_node_new(COMPOSE_NODE_NULL, &networks->mark));
}

/* The legacy `external: {name: N}` is `external: true` plus `name: N`. */
static int legacy_external(NormCtx *c, ComposeNode *res, const char *path) {
        ssize_t i = compose_map_index(res, "external");
        ComposeNode *ext = i >= 0 ? res->items[i] : NULL;
        _cleanup_free_ char *name = NULL;
        int r;

        if (!ext || ext->type != COMPOSE_NODE_MAP)
                return 0;
        if (compose_map_get_str(ext, "name")) {
                if (compose_map_get(res, "name"))
                        return compose_node_error(ext, c->reterr, -EINVAL, path,
                                                  "can't use both 'external.name' (deprecated) and 'name'");
                name = strdup(compose_map_get_str(ext, "name"));
                if (!name)
                        return -ENOMEM;
        }
        res->items[i] = compose_node_new_bool(true, &ext->mark);
        compose_node_free(ext);
        if (!res->items[i])
                return -ENOMEM;
        if (!name)
                return 0;
        r = compose_map_set(res, "name", compose_node_new_string(name, &res->mark));
        return r;
}

static int resource_name(NormCtx *c, ComposeNode *res, const char *key) {
        _cleanup_free_ char *name = NULL;

        if (compose_map_get(res, "name"))
                return 0;
        if (compose_map_get_bool(res, "external", false))
                name = strdup(key);
        else if (asprintf(&name, "%s_%s", strempty(c->project_name), key) < 0)
                name = NULL;
        if (!name)
                return -ENOMEM;
        return compose_map_set(res, "name", compose_node_new_string(name, &res->mark));
}

static int resource_file(NormCtx *c, ComposeNode *res) {
        ssize_t i = compose_map_index(res, "file");

        if (i < 0 || res->items[i]->type != COMPOSE_NODE_STRING)
                return 0;
        return norm_replace_string(&res->items[i], norm_abs_unix_path(c->working_dir, res->items[i]->scalar));
}

/* A local volume with `o: bind` is a bind mount of driver_opts.device, made absolute. */
static int volume_bind_device(NormCtx *c, ComposeNode *res) {
        ComposeNode *opts = compose_map_get(res, "driver_opts");
        ssize_t i = compose_map_index(opts, "device");

        if (!streq_ptr(compose_map_get_str(res, "driver"), "local") ||
            !streq_ptr(compose_map_get_str(opts, "o"), "bind") || i < 0)
                return 0;
        return norm_replace_string(&opts->items[i], norm_abs_unix_path(c->working_dir, opts->items[i]->scalar));
}

static int resource_finish(NormCtx *c, const char *section, ComposeNode *res) {
        int r;

        if (streq(section, "secrets") || streq(section, "configs")) {
                r = resource_file(c, res);
                if (r < 0)
                        return r;
        }
        if (streq(section, "volumes")) {
                r = volume_bind_device(c, res);
                if (r < 0)
                        return r;
        }
        /* Secrets never print their content; configs not when it came from the environment. */
        if (streq(section, "secrets") || compose_map_get(res, "environment"))
                (void) compose_map_remove(res, "content");
        return 0;
}

static int normalize_resource(NormCtx *c, const char *section, const NormSchema *schema, ComposeNode **slot,
                              const char *key) {
        char path[NORM_PATH_MAX];
        int r;

        norm_path_key(path, section, key);
        if ((*slot)->type == COMPOSE_NODE_NULL) {
                r = norm_replace_node(slot, norm_new_map(&(*slot)->mark));
                if (r < 0)
                        return r;
        }
        if ((*slot)->type != COMPOSE_NODE_MAP)
                return norm_type_error(c, *slot, path, "a mapping");
        r = legacy_external(c, *slot, path);
        if (r < 0)
                return r;
        r = norm_struct(c, *slot, schema, path);
        if (r < 0)
                return r;
        r = resource_name(c, *slot, key);
        if (r < 0)
                return r;
        r = resource_finish(c, section, *slot);
        if (r < 0)
                return r;
        norm_order_keys(*slot, schema);
        return 0;
}

static int normalize_resources(NormCtx *c, ComposeNode *root, const char *section, const NormSchema *schema) {
        ssize_t s = compose_map_index(root, section);
        ComposeNode *map = s >= 0 ? root->items[s] : NULL;
        int r;

        if (!map)
                return 0;
        if (map->type == COMPOSE_NODE_NULL)
                return compose_map_remove(root, section) < 0 ? -ENOMEM : 0;
        if (map->type != COMPOSE_NODE_MAP)
                return norm_type_error(c, map, section, "a mapping");
        COMPOSE_MAP_FOREACH(i, map) {
                r = normalize_resource(c, section, schema, &map->items[i], map->keys[i]->scalar);
                if (r < 0)
                        return r;
        }
        norm_sort_map(map);
        return 0;
}

/* The value of an x-* key is a Go map[string]interface{} for compose-go, whose keys go-yaml prints
 * sorted, at every depth. Recursion is bounded by the parser's depth limit. */
static void sort_maps(ComposeNode *n) {
        if (n->type == COMPOSE_NODE_MAP)
                norm_sort_map(n);
        for (size_t i = 0; i < n->n_items; i++)
                sort_maps(n->items[i]);
}

static void sort_extensions(ComposeNode *n) {
        for (size_t i = 0; i < n->n_items; i++)
                if (n->type == COMPOSE_NODE_MAP && startswith(n->keys[i]->scalar, "x-"))
                        sort_maps(n->items[i]);
                else
                        sort_extensions(n->items[i]);
}

int compose_normalize(ComposeNode *root, const char *project_name, const char *working_dir,
                      ComposeLookup lookup, void *userdata, bool resolve_env, NcError *reterr) {
        NormCtx c = {
                .resolve_env = resolve_env,
                .project_name = project_name ?: compose_map_get_str(root, "name"),
                .working_dir = working_dir ?: "/",
                .lookup = lookup,
                .userdata = userdata,
                .reterr = reterr,
        };
        int r;

        if (!root || root->type != COMPOSE_NODE_MAP)
                return compose_node_error(root, reterr, -EINVAL, NULL, "the compose file must be a mapping");
        (void) compose_map_remove(root, "version");
        if (project_name) {
                r = compose_map_set(root, "name", compose_node_new_string(project_name, &root->mark));
                if (r < 0)
                        return r;
        }
        r = normalize_services(&c, root);
        if (r < 0)
                return r;
        r = default_network(root);
        if (r < 0)
                return r;
        r = normalize_resources(&c, root, "networks", &norm_network_schema);
        if (r < 0)
                return r;
        r = normalize_resources(&c, root, "volumes", &norm_volume_schema);
        if (r < 0)
                return r;
        r = normalize_resources(&c, root, "secrets", &norm_secret_schema);
        if (r < 0)
                return r;
        r = normalize_resources(&c, root, "configs", &norm_config_schema);
        if (r < 0)
                return r;
        norm_order_keys(root, &root_schema);
        sort_extensions(root);
        return 0;
}
