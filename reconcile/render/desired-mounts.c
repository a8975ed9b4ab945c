/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "lib/fileio.h"
#include "reconcile/render/desired-internal.h"

static json_object *mount_json(const char *type, const char *source, const char *target, bool ro,
                               const char *options) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "type", json_object_new_string(type));
        json_object_object_add(o, "source", source ? json_object_new_string(source) : NULL);
        json_object_object_add(o, "target", json_object_new_string(target));
        json_object_object_add(o, "read_only", json_object_new_boolean(ro));
        json_object_object_add(o, "options", json_object_new_string(strempty(options)));
        return o;
}

/* Host directory of a named volume: under the shared volume store, by the volume's name, which the
 * loader always sets (P_VOLUME unless `name:` or `external:` says otherwise, as docker compose). */
static char *volume_source(DesiredContext *c, const ComposeNode *v) {
        const char *src = compose_map_get_str(v, "source");
        const ComposeNode *top = compose_map_get(compose_map_get(c->project->model, "volumes"), src);

        return name_volume_dir(compose_map_get_str(top, "name") ?: src);
}

static char *mount_options(const ComposeNode *v, const char *type) {
        const ComposeNode *sub = compose_map_get(v, type);
        StrBuf b = {};

        if (streq(type, "bind") && compose_map_get_str(sub, "propagation"))
                strbuf_printf(&b, "propagation=%s", compose_map_get_str(sub, "propagation"));
        if (streq(type, "volume") && compose_map_get_bool(sub, "nocopy", false))
                strbuf_append(&b, "nocopy");
        if (streq(type, "volume") && compose_map_get_str(sub, "subpath"))
                strbuf_printf(&b, "%ssubpath=%s", b.len ? "," : "", compose_map_get_str(sub, "subpath"));
        if (streq(type, "tmpfs") && compose_map_get_str(sub, "size"))
                strbuf_printf(&b, "size=%s", compose_map_get_str(sub, "size"));
        if (streq(type, "tmpfs") && compose_map_get_str(sub, "mode"))
                strbuf_printf(&b, "%smode=%s", b.len ? "," : "", compose_map_get_str(sub, "mode"));
        return strbuf_steal(&b);
}

static int volumes_json(DesiredContext *c, size_t i, json_object *mounts) {
        const ComposeNode *vols = compose_map_get(c->units[i].node, "volumes");

        COMPOSE_SEQ_FOREACH(j, vols) {
                const ComposeNode *v = vols->items[j];
                const char *type = strempty(compose_map_get_str(v, "type"));
                _cleanup_free_ char *src = NULL, *opts = mount_options(v, type);

                /* an anonymous volume has no source: run-service keeps it with the writable layer */
                bool anonymous = streq(type, "volume") && isempty(compose_map_get_str(v, "source"));

                if (streq(type, "volume") && !anonymous)
                        src = volume_source(c, v);
                else if (streq(type, "bind"))
                        src = strdup(strempty(compose_map_get_str(v, "source")));
                if (!opts || (!streq(type, "tmpfs") && !anonymous && !src))
                        return -ENOMEM;
                json_object_array_add(mounts, mount_json(type, src, strempty(compose_map_get_str(v, "target")),
                                                         compose_map_get_bool(v, "read_only", false), opts));
        }
        return 0;
}

/* services.S.tmpfs: "/path" or "/path:size=…,mode=…" */
static int tmpfs_json(DesiredContext *c, size_t i, json_object *mounts) {
        const ComposeNode *t = compose_map_get(c->units[i].node, "tmpfs");
        _cleanup_(compose_node_freep) ComposeNode *one = NULL;

        if (compose_node_is_scalar(t)) {
                one = compose_node_new(COMPOSE_NODE_SEQ, NULL);
                if (!one || compose_seq_append(one, compose_node_dup(t)) < 0)
                        return -ENOMEM;
                t = one;
        }
        COMPOSE_SEQ_FOREACH(j, t) {
                const char *s = strempty(compose_node_str(t->items[j])), *colon = strchr(s, ':');
                _cleanup_free_ char *target = colon ? strndup(s, colon - s) : strdup(s);

                if (!target)
                        return -ENOMEM;
                json_object_array_add(mounts, mount_json("tmpfs", NULL, target, false, colon ? colon + 1 : ""));
        }
        return 0;
}

/* The host file holding secret/config @name: its `file:`, else the one render writes for
 * `environment:` or `content:` (desired_secret_files()). */
static char *secret_source(DesiredContext *c, const char *kind, const char *name) {
        const ComposeNode *top = compose_map_get(compose_map_get(c->project->model, kind), name);
        const char *file = compose_map_get_str(top, "file");
        char *r;

        if (file)
                return strdup(file);
        return asprintf(&r, "%s/%s/%s", c->settings_dir, kind, name) < 0 ? NULL : r;
}

static const char *secret_ref_source(const ComposeNode *ref) {
        return compose_node_is_scalar(ref) ? compose_node_str(ref) : compose_map_get_str(ref, "source");
}

static char *secret_target(const char *kind, const ComposeNode *ref) {
        const char *src = strempty(secret_ref_source(ref)), *target = compose_map_get_str(ref, "target");
        char *r;

        if (target && target[0] == '/')
                return strdup(target);
        if (streq(kind, "secrets"))
                return asprintf(&r, "/run/secrets/%s", target ?: src) < 0 ? NULL : r;
        return asprintf(&r, "/%s", target ?: src) < 0 ? NULL : r;
}

/* Secrets and configs are read-only bind mounts of the host file. Owner and mode (default 0444) are
 * recorded for a wrapper that copies the file instead, so that a non-root process in the machine can
 * read a root-only host file. */
static int secrets_json(DesiredContext *c, size_t i, const char *kind, json_object *mounts) {
        const ComposeNode *refs = compose_map_get(c->units[i].node, kind);

        COMPOSE_SEQ_FOREACH(j, refs) {
                const ComposeNode *ref = refs->items[j], *mode = compose_map_get(ref, "mode");
                _cleanup_free_ char *src = secret_source(c, kind, strempty(secret_ref_source(ref)));
                _cleanup_free_ char *target = secret_target(kind, ref);
                json_object *m;
                int64_t v = 0444;

                if (!src || !target)
                        return -ENOMEM;
                m = mount_json("bind", src, target, true, "");
                json_object_object_add(m, "uid", json_object_new_string(compose_map_get_str(ref, "uid") ?: "0"));
                json_object_object_add(m, "gid", json_object_new_string(compose_map_get_str(ref, "gid") ?: "0"));
                (void) compose_node_int(mode, &v);
                json_object_object_add(m, "mode", json_object_new_int64(v));
                json_object_array_add(mounts, m);
        }
        return 0;
}

int desired_service_mounts(DesiredContext *c, size_t i, json_object *mounts, NcError *reterr) {
        int r;

        r = volumes_json(c, i, mounts);
        if (r < 0)
                return r;
        r = tmpfs_json(c, i, mounts);
        if (r < 0)
                return r;
        r = secrets_json(c, i, "secrets", mounts);
        if (r < 0)
                return r;
        return secrets_json(c, i, "configs", mounts);
}

int desired_service_inputs(DesiredContext *c, size_t i, char ***ret) {
        const ComposeNode *svc = c->units[i].node, *env_files = compose_map_get(svc, "env_file");
        _cleanup_strv_free_ char **l = NULL;

        if (compose_node_is_scalar(env_files) && strv_extend(&l, env_files->scalar) < 0)
                return -ENOMEM;
        COMPOSE_SEQ_FOREACH(j, env_files) {
                const ComposeNode *e = env_files->items[j];
                const char *path = compose_node_is_scalar(e) ? compose_node_str(e) : compose_map_get_str(e, "path");

                if (path && strv_extend(&l, path) < 0)
                        return -ENOMEM;
        }
        for (const char *const *kind = (const char *const[]) { "secrets", "configs", NULL }; *kind; kind++) {
                const ComposeNode *refs = compose_map_get(svc, *kind);

                COMPOSE_SEQ_FOREACH(j, refs) {
                        char *src = secret_source(c, *kind, strempty(secret_ref_source(refs->items[j])));

                        if (!src || strv_consume(&l, src) < 0)
                                return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int secret_file(DesiredContext *c, const char *kind, const char *name, NcError *reterr) {
        const ComposeNode *top = compose_map_get(compose_map_get(c->project->model, kind), name);
        const char *var = compose_map_get_str(top, "environment"), *content = compose_map_get_str(top, "content");
        _cleanup_free_ char *path = NULL;
        char *data;

        if (!var && !content)
                return 0;
        path = secret_source(c, kind, name);
        if (!path)
                return -ENOMEM;
        if (desired_state_find_file(c->state, path))
                return 0;
        if (var && !desired_project_env(c->project, var))
                return compose_node_error(top, reterr, -ENOENT, kind, "%s: environment variable '%s' is not set",
                                          name, var);
        data = strdup(var ? desired_project_env(c->project, var) : content);
        if (!data)
                return -ENOMEM;
        return desired_add_file(c->state, path, data, streq(kind, "secrets") ? 0600 : 0644, NULL);
}

int desired_secret_files(DesiredContext *c, NcError *reterr) {
        int r;

        for (size_t i = 0; i < c->state->n_services; i++)
                for (const char *const *kind = (const char *const[]) { "secrets", "configs", NULL }; *kind; kind++) {
                        const ComposeNode *refs = compose_map_get(c->units[i].node, *kind);

                        COMPOSE_SEQ_FOREACH(j, refs) {
                                r = secret_file(c, *kind, strempty(secret_ref_source(refs->items[j])), reterr);
                                if (r < 0)
                                        return r;
                        }
                }
        return 0;
}
