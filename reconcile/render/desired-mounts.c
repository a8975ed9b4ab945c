/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "reconcile/render/desired-internal.h"
#include "reconcile/runtime/runtime.h"

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

/* Whether @mounts already has one at @target. */
static bool has_target(json_object *mounts, const char *target) {
        for (size_t k = 0; k < json_object_array_length(mounts); k++) {
                json_object *t = NULL;

                if (json_object_object_get_ex(json_object_array_get_idx(mounts, k), "target", &t) &&
                    streq(json_object_get_string(t), target))
                        return true;
        }
        return false;
}

/* The volumes: of service @src into @mounts. Those of another service (@from, for volumes_from)
 * come read-only with @ro > 0, writable with 0, as there with -1; never at a target @mounts has
 * already (the service's own win); its anonymous volumes are its directories, which are the
 * other's to fill (nocopy). */
static int volumes_json(DesiredContext *c, size_t src, json_object *mounts, bool from, int ro) {
        const ComposeNode *vols = compose_map_get(c->units[src].node, "volumes");

        COMPOSE_SEQ_FOREACH(j, vols) {
                const ComposeNode *v = vols->items[j];
                const char *type = strempty(compose_map_get_str(v, "type")), *target = strempty(compose_map_get_str(v, "target"));
                _cleanup_free_ char *src_path = NULL, *opts = mount_options(v, type);
                /* an anonymous volume has no source: run-service keeps it with the writable layer */
                bool anonymous = streq(type, "volume") && isempty(compose_map_get_str(v, "source"));
                bool read_only = compose_map_get_bool(v, "read_only", false);

                if (from && (streq(type, "tmpfs") || has_target(mounts, target)))
                        continue;       /* docker's volumes-from: volumes and binds */
                if (streq(type, "volume") && !anonymous)
                        src_path = volume_source(c, v);
                else if (streq(type, "bind"))
                        src_path = strdup(strempty(compose_map_get_str(v, "source")));
                else if (from && anonymous) {
                        _cleanup_free_ char *state = name_state_dir(c->name, c->units[src].name), *dir = NULL;

                        if (!state || !(dir = path_join(state, "volumes")) ||
                            service_anonymous_volume_path(dir, target, &src_path) < 0)
                                return -ENOMEM;
                }
                if (!opts || (!streq(type, "tmpfs") && !(anonymous && !from) && !src_path))
                        return -ENOMEM;
                if (from && streq(type, "volume") && !strstr(opts, "nocopy")) {
                        char *o = strjoin(opts, *opts ? "," : "", "nocopy");

                        if (!o)
                                return -ENOMEM;
                        free_and_replace_ptr(&opts, o);
                }
                json_object_array_add(mounts, mount_json(type, src_path, target, ro >= 0 && from ? ro > 0 : read_only,
                                                         opts));
        }
        return 0;
}

/* volumes_from: ["X", "service:X", "container:NAME", each maybe with ":ro" or ":rw"]: the volumes of
 * each, and of what each takes from others, in turn; the mode of the entry that reached them wins
 * (@ro, -1 for none yet), as docker applies it to every mount point of the container named. */
static int volumes_from_json(DesiredContext *c, size_t i, json_object *mounts, unsigned depth, int ro_outer,
                             bool *visited, NcError *reterr) {
        const ComposeNode *from = compose_map_get(c->units[i].node, "volumes_from");
        char path[300];
        int r;

        snprintf(path, sizeof path, "services.%s.volumes_from", c->units[i].compose_name);
        if (from && depth > c->n_units)
                return compose_node_error(from, reterr, -ELOOP, path, "the services' volumes_from entries name each "
                                          "other in a cycle");
        COMPOSE_SEQ_FOREACH(j, from) {
                const char *v = strempty(compose_node_str(from->items[j])), *name, *mode;
                _cleanup_free_ char *ref = NULL;
                bool container = startswith(v, "container:");
                ssize_t k;
                int ro = -1;

                name = startswith(v, "container:") ?: startswith(v, "service:") ?: v;
                ref = strndup(name, strcspn(name, ":"));
                if (!ref)
                        return -ENOMEM;
                mode = name[strlen(ref)] == ':' ? name + strlen(ref) + 1 : NULL;
                if (mode && !streq(mode, "ro") && !streq(mode, "rw"))
                        return compose_node_error(from->items[j], reterr, -EINVAL, path, "'%s': the mode must be ro or rw", v);
                if (ro_outer >= 0)
                        ro = ro_outer;
                else if (mode)
                        ro = streq(mode, "ro");
                k = container ? desired_service_by_container(c, ref) : desired_service_index(c, ref);
                if (k == -ENOMEM)
                        return -ENOMEM;
                if (k < 0)
                        return compose_node_error(from->items[j], reterr, -ENOENT, path, container ?
                                                  "no service of this project runs as machine '%s'" :
                                                  "service '%s' is not defined", ref);
                if (visited[k])         /* its mounts are there already (the first entry's mode) */
                        continue;
                visited[k] = true;
                r = volumes_json(c, k, mounts, /* from= */ true, ro);
                if (r < 0)
                        return r;
                r = volumes_from_json(c, k, mounts, depth + 1, ro, visited, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The service whose IPC namespace service @i joins through ipc: service:X / container:NAME, at the
 * end of such a chain; @i itself for one of its own; -1 for the host's; -ENOENT for a name that is
 * no service of the project; -ELOOP for a cycle. */
static ssize_t ipc_owner(DesiredContext *c, size_t i) {
        ssize_t k = i;

        for (size_t steps = 0; steps <= c->n_units; steps++) {
                const char *v = strempty(compose_map_get_str(c->units[k].node, "ipc")), *x;

                if (streq(v, "host"))
                        return -1;
                if ((x = startswith(v, "service:")))
                        k = desired_service_index(c, x);
                else if ((x = startswith(v, "container:")))
                        k = desired_service_by_container(c, x);
                else
                        return k;
                if (k < 0)
                        return k;
        }
        return -ELOOP;
}

/* ipc: and shm_size: nspawn gives every machine an IPC namespace of its own and cannot join
 * another's, so what is shared is /dev/shm (POSIX shared memory): the owner's is a directory on
 * the host's /run (in a directory only root enters) that every service joining it mounts too (ipc: host: the host's /dev/shm);
 * System V IPC stays each machine's. shm_size sizes a /dev/shm of the service's own. */
static int shm_json(DesiredContext *c, size_t i, json_object *mounts, NcError *reterr) {
        const ComposeNode *svc = c->units[i].node, *ipc = compose_map_get(svc, "ipc");
        const char *size = compose_map_get_str(svc, "shm_size");
        _cleanup_free_ char *run = NULL, *dir = NULL, *opts = NULL;
        bool shared = streq_ptr(compose_node_str(ipc), "shareable");
        ssize_t owner = ipc_owner(c, i);
        char path[300];

        snprintf(path, sizeof path, "services.%s.ipc", c->units[i].compose_name);
        if (owner == -ENOMEM)
                return -ENOMEM;
        if (owner == -ENOENT)
                return compose_node_error(ipc, reterr, -ENOENT, path, "no service of this project runs as machine "
                                          "'%s': only this project's machines can share their IPC",
                                          startswith(compose_node_str(ipc), "container:"));
        if (owner == -ELOOP)
                return compose_node_error(ipc, reterr, -ELOOP, path, "the services' ipc entries name each other in a cycle");
        if (owner == -1) {
                json_object_array_add(mounts, mount_json("shm", "/dev/shm", "/dev/shm", false, ""));
                return 0;
        }
        for (size_t k = 0; !shared && k < c->n_units; k++)
                shared = k != i && ipc_owner(c, k) == (ssize_t) i;
        if ((size_t) owner != i || shared) {
                /* one tmpfs of the owner's shm_size (docker's default 64 MiB), never the host's /run */
                const char *osize = compose_map_get_str(c->units[owner].node, "shm_size");

                run = name_runtime_dir(c->name, c->units[owner].name);
                dir = run ? path_join(run, "ipc/shm") : NULL;
                if (!dir || asprintf(&opts, "size=%s", osize && !streq(osize, "0") ? osize : "64m") < 0)
                        return -ENOMEM;
                json_object_array_add(mounts, mount_json("shm", dir, "/dev/shm", false, opts));
                return 0;
        }
        if (!size || streq(size, "0"))
                return 0;
        if (asprintf(&opts, "size=%s", size) < 0)
                return -ENOMEM;
        json_object_array_add(mounts, mount_json("shm", NULL, "/dev/shm", false, opts));
        return 0;
}

/* devices: ["/dev/x[:/dev/y[:rwm]]"] (normalized to source, target, permissions): the node bound
 * into the machine; the unit's DeviceAllow= (desired_device_allow_lines()) lets it be used. */
static int devices_json(DesiredContext *c, size_t i, json_object *mounts, NcError *reterr) {
        const ComposeNode *devs = compose_map_get(c->units[i].node, "devices");
        char path[300];

        COMPOSE_SEQ_FOREACH(j, devs) {
                const ComposeNode *d = devs->items[j];
                const char *src = compose_map_get_str(d, "source"), *dst = compose_map_get_str(d, "target") ?: src;
                const char *perm = compose_map_get_str(d, "permissions") ?: "rwm";

                snprintf(path, sizeof path, "services.%s.devices[%zu]", c->units[i].compose_name, j);
                if (!desired_device_path_ok(src))
                        return compose_node_error(d, reterr, -EINVAL, path, "'%s' is not a device path under /dev",
                                                  strempty(src));
                if (!dst || dst[0] != '/' || strstr(dst, "/../"))
                        return compose_node_error(d, reterr, -EINVAL, path, "the target must be an absolute path");
                if (isempty(perm) || strspn(perm, "rwm") != strlen(perm))
                        return compose_node_error(d, reterr, -EINVAL, path, "permissions '%s': r, w and m only", perm);
                json_object_array_add(mounts, mount_json("bind", src, dst, false, ""));
        }
        return 0;
}

void desired_device_allow_lines(const ComposeNode *svc, StrBuf *b) {
        const ComposeNode *devs = compose_map_get(svc, "devices");

        COMPOSE_SEQ_FOREACH(j, devs)
                strbuf_printf(b, "DeviceAllow=%s %s\n", strempty(compose_map_get_str(devs->items[j], "source")),
                              compose_map_get_str(devs->items[j], "permissions") ?: "rwm");
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

static const ComposeNode *secret_top(DesiredContext *c, const char *kind, const char *name) {
        return compose_map_get(compose_map_get(c->project->model, kind), name);
}

static const DesiredCredential *credential_of(DesiredContext *c, const char *kind, const char *name) {
        for (size_t k = 0; k < c->n_credentials; k++)
                if (streq(c->credentials[k].kind, kind) && streq(c->credentials[k].key, name))
                        return &c->credentials[k];
        return NULL;
}

/* The host file holding secret/config @name: its `file:`, the credential store's file of an external
 * one (desired_credentials()), else the one render writes for `environment:` or `content:`
 * (desired_secret_files()). */
static char *secret_source(DesiredContext *c, const char *kind, const char *name) {
        const char *file = compose_map_get_str(secret_top(c, kind, name), "file");
        const DesiredCredential *cred = credential_of(c, kind, name);
        char *r;

        if (cred)
                return strdup(cred->path);
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
 * read a root-only host file. An external one has no source but its credential's name: the wrapper
 * copies $CREDENTIALS_DIRECTORY/ID, where systemd put it (decrypted) for the unit. */
static int secrets_json(DesiredContext *c, size_t i, const char *kind, json_object *mounts) {
        const ComposeNode *refs = compose_map_get(c->units[i].node, kind);

        COMPOSE_SEQ_FOREACH(j, refs) {
                const ComposeNode *ref = refs->items[j], *mode = compose_map_get(ref, "mode");
                const DesiredCredential *cred = credential_of(c, kind, strempty(secret_ref_source(ref)));
                _cleanup_free_ char *src = cred ? NULL : secret_source(c, kind, strempty(secret_ref_source(ref)));
                _cleanup_free_ char *target = secret_target(kind, ref);
                json_object *m;
                int64_t v = 0444;

                if ((!cred && !src) || !target)
                        return -ENOMEM;
                m = mount_json("bind", src, target, true, "");
                if (cred)
                        json_object_object_add(m, "credential", json_object_new_string(cred->id));
                json_object_object_add(m, "uid", json_object_new_string(compose_map_get_str(ref, "uid") ?: "0"));
                json_object_object_add(m, "gid", json_object_new_string(compose_map_get_str(ref, "gid") ?: "0"));
                (void) compose_node_int(mode, &v);
                json_object_object_add(m, "mode", json_object_new_int64(v));
                json_object_array_add(mounts, m);
        }
        return 0;
}

int desired_service_mounts(DesiredContext *c, size_t i, json_object *mounts, NcError *reterr) {
        _cleanup_free_ bool *visited = NULL;
        int r;

        r = volumes_json(c, i, mounts, /* from= */ false, -1);
        if (r < 0)
                return r;
        visited = calloc(c->n_units + 1, sizeof *visited);
        if (!visited)
                return -ENOMEM;
        visited[i] = true;
        r = volumes_from_json(c, i, mounts, 0, -1, visited, reterr);
        if (r < 0)
                return r;
        r = tmpfs_json(c, i, mounts);
        if (r < 0)
                return r;
        r = shm_json(c, i, mounts, reterr);
        if (r < 0)
                return r;
        r = devices_json(c, i, mounts, reterr);
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
        const ComposeNode *top = secret_top(c, kind, name);
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

/* Calls @f for every secret and config reference of every service. */
static int foreach_secret_ref(DesiredContext *c, int (*f)(DesiredContext *c, const char *kind, const char *name,
                                                          NcError *reterr), NcError *reterr) {
        int r;

        for (size_t i = 0; i < c->state->n_services; i++)
                for (const char *const *kind = (const char *const[]) { "secrets", "configs", NULL }; *kind; kind++) {
                        const ComposeNode *refs = compose_map_get(c->units[i].node, *kind);

                        COMPOSE_SEQ_FOREACH(j, refs) {
                                r = f(c, *kind, strempty(secret_ref_source(refs->items[j])), reterr);
                                if (r < 0)
                                        return r;
                        }
                }
        return 0;
}

int desired_secret_files(DesiredContext *c, NcError *reterr) {
        return foreach_secret_ref(c, secret_file, reterr);
}

/* Where systemd looks first (systemd.exec(5)), the encrypted store before the plain one: `secret
 * create` leaves a name in one of them only. */
static int credential_find(DesiredContext *c, DesiredCredential *cred, const ComposeNode *top, const char *path,
                           NcError *reterr) {
        static const struct {
                const char *dir;
                bool encrypted;
        } stores[] = {
                { NC_CREDSTORE_ENCRYPTED_DIR, true },
                { NC_CREDSTORE_DIR, false },
        };
        const char *root = c->options->credstore_root;
        _cleanup_free_ char *plain = NULL, *msg = NULL;
        bool denied = false;

        for (size_t k = 0; k < ELEMENTSOF(stores); k++) {
                _cleanup_free_ char *dir = root ? path_join(root, stores[k].dir) : strdup(stores[k].dir);
                _cleanup_free_ char *file = dir ? path_join(dir, cred->id) : NULL;

                if (!file)
                        return -ENOMEM;
                if (access(file, F_OK) >= 0) {
                        cred->path = TAKE_PTR(file);
                        cred->encrypted = stores[k].encrypted;
                        return 0;
                }
                denied = denied || (errno != ENOENT && errno != ENOTDIR);
                if (!stores[k].encrypted)
                        plain = TAKE_PTR(file);
        }
        if (!denied)
                return compose_node_error(top, reterr, -ENOENT, path,
                                          "credential '%s' is in neither " NC_CREDSTORE_DIR "/ nor "
                                          NC_CREDSTORE_ENCRYPTED_DIR "/ (nspawn-compose secret create %s FILE)",
                                          cred->id, cred->id);
        /* not root (render into a directory): the unit names the plain store, the hash says unreadable */
        cred->path = TAKE_PTR(plain);
        msg = desired_format_at(top, path, "cannot look into the credential store: assuming %s", cred->path);
        return msg && strv_consume(&c->state->warnings, TAKE_PTR(msg)) >= 0 ? 0 : -ENOMEM;
}

static int credential_add(DesiredContext *c, const char *kind, const char *name, NcError *reterr) {
        const ComposeNode *top = secret_top(c, kind, name);
        DesiredCredential *cred;
        char path[300];

        if (!compose_map_get_bool(top, "external", false) || credential_of(c, kind, name))
                return 0;
        snprintf(path, sizeof path, "%s.%s", kind, name);
        cred = reallocarray(c->credentials, c->n_credentials + 1, sizeof *cred);
        if (!cred)
                return -ENOMEM;
        c->credentials = cred;
        cred = &c->credentials[c->n_credentials];
        *cred = (DesiredCredential) {
                .kind = kind,
                .key = name,
                .id = compose_map_get_str(top, "name") ?: name,
        };
        if (!name_credential_valid(cred->id))
                return compose_node_error(top, reterr, -EINVAL, path,
                                          "'%s' is not a credential name ([A-Za-z0-9._-], not '.' or '..')", cred->id);
        c->n_credentials++;
        return credential_find(c, cred, top, path, reterr);
}

int desired_credentials(DesiredContext *c, NcError *reterr) {
        return foreach_secret_ref(c, credential_add, reterr);
}

void desired_credential_lines(DesiredContext *c, size_t i, StrBuf *b) {
        _cleanup_strv_free_ char **done = NULL;

        for (const char *const *kind = (const char *const[]) { "secrets", "configs", NULL }; *kind; kind++) {
                const ComposeNode *refs = compose_map_get(c->units[i].node, *kind);

                COMPOSE_SEQ_FOREACH(j, refs) {
                        const DesiredCredential *cred = credential_of(c, *kind, strempty(secret_ref_source(refs->items[j])));
                        _cleanup_free_ char *path = NULL;

                        if (!cred || strv_contains(done, cred->id))
                                continue;
                        path = unit_value_escape(cred->path);
                        strbuf_printf(b, "%s=%s:%s\n", cred->encrypted ? "LoadCredentialEncrypted" : "LoadCredential",
                                      cred->id, strempty(path));
                        (void) strv_extend(&done, cred->id);
                }
        }
}
