/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "lib/fileio.h"
#include "lib/strv.h"
#include "lib/time-util.h"
#include "reconcile/runtime/runtime-internal.h"

/* Store layout (docs/runtime.md):
 *   STORE/<hex>/rootfs/       the unpacked image, never written after the rename into place
 *   STORE/<hex>/config.json   the image's config blob as the registry served it
 *   STORE/refs.json           {"managed-by": …, "refs": {"<normalized ref>": "sha256:<hex>"}}
 *   STORE/.tmp/pull-XXXXXX/   work directories; a crash leaves only these behind
 * <hex> is the config digest, docker's image ID. */

static const char *const pull_policy_table[_IMAGE_PULL_POLICY_MAX] = {
        [IMAGE_PULL_MISSING] = "missing",
        [IMAGE_PULL_ALWAYS]  = "always",
        [IMAGE_PULL_NEVER]   = "never",
};

ImagePullPolicy image_pull_policy_from_string(const char *s) {
        assert(s);

        for (size_t i = 0; i < ELEMENTSOF(pull_policy_table); i++)
                if (streq(s, pull_policy_table[i]))
                        return (ImagePullPolicy) i;
        return _IMAGE_PULL_POLICY_INVALID;
}

int image_store_path(const char *store, const char *digest, char **ret, NcError *reterr) {
        const char *hex = rt_digest_hex(digest);
        char *p;

        assert(ret);

        if (!hex)
                return nc_error_set(reterr, -EINVAL, "'%s' is not a sha256 digest", strempty(digest));
        p = path_join(store ?: NC_IMAGE_STORE, hex);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static int refs_load(const char *store, struct json_object **ret, NcError *reterr) {
        _cleanup_free_ char *path = path_join(store, "refs.json"), *text = NULL;
        struct json_object *root;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &text, NULL);
        if (r == -ENOENT)
                root = json_object_new_object();
        else if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", path);
        else {
                r = rt_json_parse(text, path, &root, reterr);
                if (r < 0)
                        return r;
        }
        if (!root)
                return -ENOMEM;
        *ret = root;
        return 0;
}

/* refs.json and its "refs" object (NULL when it has none). */
static int refs_load_object(const char *store, struct json_object **ret_root, struct json_object **ret_refs,
                            NcError *reterr) {
        int r = refs_load(store, ret_root, reterr);

        return r < 0 ? r : rt_json_object(*ret_root, "refs", "refs.json", ret_refs, reterr);
}

int image_resolve(const char *store, const char *ref, char **ret_digest, NcError *reterr) {
        _cleanup_(json_object_putp) struct json_object *root = NULL;
        _cleanup_free_ char *norm = NULL, *digest = NULL, *dir = NULL;
        struct json_object *refs = NULL;
        int r;

        assert(ref);
        assert(ret_digest);

        store = store ?: NC_IMAGE_STORE;
        r = image_ref_normalize(ref, &norm, reterr);
        if (r < 0)
                return r;
        r = refs_load_object(store, &root, &refs, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(refs, norm, "refs.json: refs", &digest, reterr);
        if (r < 0)
                return r;
        if (!digest)
                return nc_error_set(reterr, -ENOENT, "image '%s' has not been pulled", ref);
        r = image_store_path(store, digest, &dir, reterr);
        if (r < 0)
                return r;
        if (access(dir, F_OK) < 0)
                return nc_error_set(reterr, -ENOENT, "image '%s': %s is missing from the store", ref, dir);
        *ret_digest = TAKE_PTR(digest);
        return 0;
}

int image_store_lock(const char *store, bool exclusive, NcError *reterr) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        store = store ?: NC_IMAGE_STORE;
        r = state_dir_ensure(NULL, reterr);
        if (r >= 0 && streq(store, NC_IMAGE_STORE))
                r = state_dir_ensure(store, reterr);
        if (r < 0)
                return r;
        path = path_join(store, ".use-lock");
        if (!path)
                return -ENOMEM;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return nc_error_set(reterr, -errno, "%s: %m", path);
        if (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
                return nc_error_set(reterr, -errno, "%s: flock: %m", path);
        return TAKE_FD(fd);
}

/* Changes refs.json under images/.lock, so that concurrent pulls never lose each other's entry:
 * @edit gets the "refs" object (made when missing) and returns < 0, 0 (nothing changed) or > 0. */
static int refs_edit(const char *store, int (*edit)(struct json_object *refs, void *userdata), void *userdata,
                     NcError *reterr) {
        _cleanup_(json_object_putp) struct json_object *root = NULL;
        _cleanup_free_ char *lock = path_join(store, ".lock"), *path = path_join(store, "refs.json");
        _cleanup_close_ int fd = -EBADF;
        struct json_object *refs = NULL;
        const char *text;
        int r;

        if (!lock || !path)
                return -ENOMEM;
        fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return nc_error_set(reterr, -errno, "%s: %m", lock);
        if (flock(fd, LOCK_EX) < 0)
                return nc_error_set(reterr, -errno, "%s: flock: %m", lock);
        r = refs_load_object(store, &root, &refs, reterr);
        if (r < 0)
                return r;
        if (!refs) {
                refs = json_object_new_object();
                if (!refs || json_object_object_add(root, "refs", refs) < 0)
                        return -ENOMEM;
        }
        r = edit(refs, userdata);
        if (r <= 0)
                return r;
        if (json_object_object_add(root, "managed-by", json_object_new_string("nspawn-compose")) < 0)
                return -ENOMEM;
        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        r = write_file_atomic(path, text, strlen(text), 0644);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", path);
        return 0;
}

static int edit_record(struct json_object *refs, void *userdata) {
        const char *const *ref_digest = userdata;
        size_t base = image_ref_file_transport(ref_digest[0]) ? image_ref_file_base_len(ref_digest[0]) : 0;

        /* an image from a file: its identity of before goes, and the file's reference without one
         * names what was imported from it last, for when the file is gone */
        if (base > 0 && ref_digest[0][base] == '#') {
                _cleanup_strv_free_ char **stale = NULL;
                _cleanup_free_ char *plain = strndup(ref_digest[0], base);

                if (!plain)
                        return -ENOMEM;
                json_object_object_foreach(refs, k, v) {
                        (void) v;
                        if (strncmp(k, ref_digest[0], base + 1) == 0 && !streq(k, ref_digest[0]) &&
                            strv_extend(&stale, k) < 0)
                                return -ENOMEM;
                }
                STRV_FOREACH(x, stale)
                        json_object_object_del(refs, *x);
                if (json_object_object_add(refs, plain, json_object_new_string(ref_digest[1])) < 0)
                        return -ENOMEM;
        }
        return json_object_object_add(refs, ref_digest[0], json_object_new_string(ref_digest[1])) < 0 ? -ENOMEM : 1;
}

/* Adds REF → DIGEST to refs.json. */
int rt_refs_record(const char *store, const char *norm, const char *digest, NcError *reterr) {
        const char *ref_digest[] = { norm, digest };

        return refs_edit(store, edit_record, (void *) ref_digest, reterr);
}

static int edit_drop(struct json_object *refs, void *userdata) {
        const char *digest = userdata;
        _cleanup_strv_free_ char **gone = NULL;

        json_object_object_foreach(refs, k, v)
                if (streq_ptr(json_object_get_string(v), digest) && strv_extend(&gone, k) < 0)
                        return -ENOMEM;
        STRV_FOREACH(g, gone)
                json_object_object_del(refs, *g);
        return gone ? 1 : 0;
}

/* Drops the reference @userdata; of an image from a file (given without its identity), every
 * identity of it too. */
static int edit_untag(struct json_object *refs, void *userdata) {
        const char *ref = userdata;
        size_t len = strlen(ref);
        bool file = image_ref_file_transport(ref);
        _cleanup_strv_free_ char **gone = NULL;

        json_object_object_foreach(refs, k, v) {
                (void) v;
                if ((streq(k, ref) || (file && strncmp(k, ref, len) == 0 && k[len] == '#')) && strv_extend(&gone, k) < 0)
                        return -ENOMEM;
        }
        STRV_FOREACH(g, gone)
                json_object_object_del(refs, *g);
        return gone ? 1 : 0;
}

int image_ref_remove(const char *store, const char *ref, NcError *reterr) {
        _cleanup_free_ char *norm = NULL;
        int r;

        r = image_ref_normalize(ref, &norm, reterr);
        if (r < 0)
                return r;
        if (image_ref_file_transport(norm))
                norm[image_ref_file_base_len(norm)] = 0;
        return refs_edit(store ?: NC_IMAGE_STORE, edit_untag, norm, reterr);
}

int image_refs_read(const char *store, char ***ret, NcError *reterr) {
        _cleanup_(json_object_putp) struct json_object *root = NULL;
        struct json_object *refs = NULL;
        char **l = NULL;
        int r;

        store = store ?: NC_IMAGE_STORE;
        r = refs_load_object(store, &root, &refs, reterr);
        if (r < 0)
                return r;
        if (refs) {
                json_object_object_foreach(refs, k, v)
                        if (json_object_is_type(v, json_type_string) &&
                            strv_consume(&l, strjoin(k, "\n", json_object_get_string(v))) < 0) {
                                strv_free(l);
                                return -ENOMEM;
                        }
        }
        *ret = l;
        return 0;
}

int image_store_remove(const char *store, const char *digest, NcError *reterr) {
        _cleanup_free_ char *dir = NULL;
        int r;

        store = store ?: NC_IMAGE_STORE;
        r = image_store_path(store, digest, &dir, reterr);
        if (r < 0)
                return r;
        r = refs_edit(store, edit_drop, (void *) digest, reterr);
        if (r < 0)
                return r;
        r = rm_rf(dir);
        return r < 0 && r != -ENOENT ? nc_error_set(reterr, r, "cannot remove %s: %m", dir) : 0;
}

int image_ref_point(const char *store, const char *ref, const char *digest, NcError *reterr) {
        _cleanup_free_ char *norm = NULL, *dir = NULL;
        int r;

        store = store ?: NC_IMAGE_STORE;
        r = image_ref_normalize(ref, &norm, reterr);
        if (r < 0)
                return r;
        r = image_store_path(store, digest, &dir, reterr);
        if (r < 0)
                return r;
        if (access(dir, F_OK) < 0)
                return nc_error_set(reterr, -ENOENT, "image %s is no longer in the store", digest);
        return rt_refs_record(store, norm, digest, reterr);
}

int rt_run_tool(char **argv, bool progress, NcError *reterr) {
        _cleanup_free_ char *err = NULL;
        int r;

        r = rt_spawn_capture(argv, progress, &err);
        if (r < 0)
                return nc_error_set(reterr, r, "could not run %s: %m", argv[0]);
        if (r > 0)
                return nc_error_set(reterr, -EIO, "%s %s failed (status %d): %s", argv[0], argv[1], r,
                                    isempty(err) ? "no error output" : err);
        return 0;
}

/* "docker://NAME[:TAG][@DIGEST]" for skopeo, which rejects a tag together with a digest. */
static char *skopeo_source(const char *norm) {
        const char *at = strchr(norm, '@'), *slash = strrchr(norm, '/');
        const char *colon = slash ? strchr(slash, ':') : NULL;
        char *s;

        if (image_ref_file_transport(norm))     /* as written, without the file's identity */
                return strndup(norm, image_ref_file_base_len(norm));
        if (at && colon && colon < at) {
                if (asprintf(&s, "docker://%.*s%s", (int) (colon - norm), norm, at) < 0)
                        return NULL;
        } else if (asprintf(&s, "docker://%s", norm) < 0)
                return NULL;
        return s;
}

/* Reads the config digest and the raw config blob from a skopeo "dir:" copy. */
static int dir_read_config(const char *dir, char **ret_digest, char **ret_config, NcError *reterr) {
        _cleanup_(json_object_putp) struct json_object *manifest = NULL;
        _cleanup_free_ char *mpath = path_join(dir, "manifest.json"), *text = NULL, *digest = NULL;
        _cleanup_free_ char *cpath = NULL;
        struct json_object *config = NULL;
        int r;

        if (!mpath)
                return -ENOMEM;
        r = read_full_file(mpath, &text, NULL);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", mpath);
        r = rt_json_parse(text, "image manifest", &manifest, reterr);
        if (r < 0)
                return r;
        r = rt_json_object(manifest, "config", "image manifest", &config, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(config, "digest", "image manifest: config", &digest, reterr);
        if (r < 0)
                return r;
        if (!rt_digest_hex(digest))
                return nc_error_set(reterr, -EINVAL, "image manifest: no sha256 config digest "
                                    "(schema 1 images are not supported)");
        cpath = path_join(dir, rt_digest_hex(digest));
        if (!cpath)
                return -ENOMEM;
        r = read_full_file(cpath, ret_config, NULL);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", cpath);
        *ret_digest = TAKE_PTR(digest);
        return 0;
}

/* dir: → oci: → umoci unpack into TMP/bundle; then TMP/final/{rootfs,config.json}. */
static int unpack(const char *tmp, const char *config, bool progress, NcError *reterr) {
        _cleanup_free_ char *src = NULL, *dst = NULL, *bundle = NULL, *unpacked = NULL, *final = NULL,
                            *rootfs = NULL, *usr = NULL, *cfg = NULL;
        int r;

        if (asprintf(&src, "dir:%s/dir", tmp) < 0 || asprintf(&dst, "oci:%s/oci:image", tmp) < 0 ||
            asprintf(&bundle, "%s/bundle", tmp) < 0 || asprintf(&unpacked, "%s/rootfs", bundle) < 0 ||
            asprintf(&final, "%s/final", tmp) < 0 || asprintf(&rootfs, "%s/rootfs", final) < 0 ||
            asprintf(&usr, "%s/usr", rootfs) < 0 || asprintf(&cfg, "%s/config.json", final) < 0)
                return -ENOMEM;
        r = rt_run_tool(STRV_MAKE("skopeo", "copy", "--quiet", src, dst), false, reterr);
        if (r < 0)
                return r;
        /* as root and without --rootless, so ownership and setuid bits survive */
        r = rt_run_tool(STRV_MAKE("umoci", "unpack", "--image", dst + strlen("oci:"), bundle),
                     progress, reterr);
        if (r < 0)
                return r;
        if (mkdir(final, 0755) < 0)
                return nc_error_set(reterr, -errno, "%s: %m", final);
        if (rename(unpacked, rootfs) < 0)
                return nc_error_set(reterr, -errno, "%s: %m", rootfs);
        /* systemd-nspawn refuses a tree without /usr ("doesn't look like an OS tree"). */
        if (mkdir(usr, 0755) < 0 && errno != EEXIST)
                return nc_error_set(reterr, -errno, "%s: %m", usr);
        r = write_file_atomic(cfg, config, strlen(config), 0644);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", cfg);
        return 0;
}

void rt_rm_rf_freep(char **p) {
        if (*p) {
                (void) rm_rf(*p);
                free(*p);
        }
}

int rt_make_tmp(const char *store, const char *what, char **ret, NcError *reterr) {
        _cleanup_free_ char *parent = path_join(store, ".tmp"), *tmp = NULL;
        int r;

        if (!parent)
                return -ENOMEM;
        r = mkdir_parents_and_self(parent, 0700);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", parent);
        if (asprintf(&tmp, "%s/%s-XXXXXX", parent, what) < 0)
                return -ENOMEM;
        if (!mkdtemp(tmp))
                return nc_error_set(reterr, -errno, "%s: %m", tmp);
        *ret = TAKE_PTR(tmp);
        return 0;
}

int rt_image_import(const char *store, const char *tmp, bool progress, char **ret_digest, NcError *reterr) {
        _cleanup_free_ char *src = NULL, *config = NULL, *digest = NULL, *dir = NULL, *final = NULL;
        int r;

        if (asprintf(&src, "%s/dir", tmp) < 0 || asprintf(&final, "%s/final", tmp) < 0)
                return -ENOMEM;
        r = dir_read_config(src, &digest, &config, reterr);
        if (r < 0)
                return r;
        r = image_store_path(store, digest, &dir, reterr);
        if (r < 0)
                return r;
        if (access(dir, F_OK) < 0) {
                r = unpack(tmp, config, progress, reterr);
                if (r < 0)
                        return r;
                /* Another pull of the same image may have won the race: theirs is as good. */
                if (rename(final, dir) < 0 && errno != EEXIST && errno != ENOTEMPTY)
                        return nc_error_set(reterr, -errno, "%s: %m", dir);
        }
        *ret_digest = TAKE_PTR(digest);
        return 0;
}

int rt_image_import_as(const char *store, const char *tmp, const char *norm, char **ret_digest, NcError *reterr) {
        _cleanup_free_ char *digest = NULL;
        int r;

        r = rt_image_import(store, tmp, false, &digest, reterr);
        if (r < 0)
                return r;
        r = rt_refs_record(store, norm, digest, reterr);
        if (r < 0)
                return r;
        *ret_digest = TAKE_PTR(digest);
        return 0;
}

/* The blobs skopeo wrote into the dir: transport at @dir (named by their hex digest; one is the
 * config), and their bytes with the manifest's. */
static void count_fetched(const char *dir, ImagePullStats *st) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        unsigned blobs = 0;
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                struct stat sb;

                if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode))
                        continue;
                st->bytes += (uint64_t) sb.st_size;
                if (strlen(de->d_name) == 64 && strspn(de->d_name, "0123456789abcdef") == 64)
                        blobs++;
        }
        st->layers = blobs > 0 ? blobs - 1 : 0;
}

/* Copies @norm into TMP/dir and imports it; @st (if not NULL) counts what was fetched. */
static int fetch(const char *store, const char *norm, bool progress, ImagePullStats *st, char **ret_digest,
                 NcError *reterr) {
        _cleanup_(rt_rm_rf_freep) char *tmp = NULL;
        _cleanup_free_ char *src = skopeo_source(norm), *dst = NULL;
        int r;

        if (!src)
                return -ENOMEM;
        r = rt_make_tmp(store, "pull", &tmp, reterr);
        if (r < 0)
                return r;
        if (asprintf(&dst, "dir:%s/dir", tmp) < 0)
                return -ENOMEM;
        r = rt_run_tool(progress ? STRV_MAKE("skopeo", "copy", src, dst) :
                                   STRV_MAKE("skopeo", "copy", "--quiet", src, dst), progress, reterr);
        if (r < 0)
                return r;
        if (st)
                count_fetched(dst + strlen("dir:"), st);
        return rt_image_import(store, tmp, progress, ret_digest, reterr);
}

/* @tarball as an uncompressed tar at @dst: decompressed by the tool its magic names. */
static int tar_uncompressed(const char *tarball, const char *dst, NcError *reterr) {
        static const struct {
                const char *magic;
                size_t size;
                const char *tool;
        } formats[] = {
                { "\x1f\x8b", 2, "gzip" },
                { "\xfd" "7zXZ\x00", 6, "xz" },
                { "\x28\xb5\x2f\xfd", 4, "zstd" },
                { "BZh", 3, "bzip2" },
        };
        _cleanup_close_ int fd = open(tarball, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        char head[8] = {};
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return nc_error_set(reterr, -errno, "%s: %m", tarball);
        if (!S_ISREG(st.st_mode))
                return nc_error_set(reterr, -EINVAL, "%s is not a regular file", tarball);
        if (read(fd, head, sizeof head) < 0)
                return nc_error_set(reterr, -errno, "%s: %m", tarball);
        for (size_t i = 0; i < ELEMENTSOF(formats); i++)
                if (memcmp(head, formats[i].magic, formats[i].size) == 0)
                        /* the paths are arguments of the script, never part of it */
                        return rt_run_tool(STRV_MAKE("sh", "-c", "exec \"$0\" -dc -- \"$1\" >\"$2\"",
                                                     (char *) formats[i].tool, (char *) tarball, (char *) dst),
                                           false, reterr);
        return rt_run_tool(STRV_MAKE("cp", "--", (char *) tarball, (char *) dst), false, reterr);
}

int image_import_rootfs(const char *store, const char *name, const char *tarball, char **ret_digest,
                        NcError *reterr) {
        _cleanup_(rt_rm_rf_freep) char *build = NULL, *tmp = NULL;
        _cleanup_free_ char *norm = NULL, *layer = NULL, *layout = NULL, *image = NULL, *src = NULL, *dst = NULL;
        int r;

        assert(name);
        assert(tarball);
        assert(ret_digest);

        store = store ?: NC_IMAGE_STORE;
        if (image_ref_file_transport(name))
                return nc_error_set(reterr, -EINVAL, "'%s': an imported image is named as a registry's is", name);
        r = image_ref_normalize(name, &norm, reterr);
        if (r < 0)
                return r;
        if (streq(store, NC_IMAGE_STORE)) {
                r = state_dir_ensure(NULL, reterr);
                if (r < 0)
                        return r;
        }
        r = rt_make_tmp(store, "import", &build, reterr);
        if (r < 0)
                return r;
        if (asprintf(&layer, "%s/layer.tar", build) < 0 || asprintf(&layout, "%s/oci", build) < 0 ||
            asprintf(&image, "%s:import", layout) < 0 || asprintf(&src, "oci:%s", image) < 0)
                return -ENOMEM;
        r = tar_uncompressed(tarball, layer, reterr);
        if (r < 0)
                return r;
        /* the tree becomes one layer of a new image; umoci unpacks it as it unpacks a registry's
         * layers, so a hostile archive's paths cannot reach outside the root */
        r = rt_run_tool(STRV_MAKE("umoci", "init", "--layout", layout), false, reterr);
        if (r >= 0)
                r = rt_run_tool(STRV_MAKE("umoci", "new", "--image", image), false, reterr);
        if (r >= 0)
                r = rt_run_tool(STRV_MAKE("umoci", "raw", "add-layer", "--image", image, layer), false, reterr);
        if (r < 0)
                return r;
        r = rt_make_tmp(store, "pull", &tmp, reterr);
        if (r < 0)
                return r;
        if (asprintf(&dst, "dir:%s/dir", tmp) < 0)
                return -ENOMEM;
        r = rt_run_tool(STRV_MAKE("skopeo", "copy", "--quiet", src, dst), false, reterr);
        if (r < 0)
                return r;
        return rt_image_import_as(store, tmp, norm, ret_digest, reterr);
}

int image_pull(const char *ref, const ImagePullOptions *opts, char **ret_digest, NcError *reterr) {
        const char *store = opts && opts->store ? opts->store : NC_IMAGE_STORE;
        ImagePullPolicy policy = opts ? opts->policy : IMAGE_PULL_MISSING;
        _cleanup_free_ char *norm = NULL, *digest = NULL;
        int r;

        assert(ref);
        assert(ret_digest);

        r = image_ref_normalize(ref, &norm, reterr);
        if (r < 0)
                return r;
        if (policy != IMAGE_PULL_ALWAYS) {
                NcError e = {};

                r = image_resolve(store, norm, &digest, &e);
                if (r >= 0) {
                        *ret_digest = TAKE_PTR(digest);
                        return 0;
                }
                if (r != -ENOENT || policy == IMAGE_PULL_NEVER)
                        return nc_error_set(reterr, r, "%s%s", e.message,
                                            r == -ENOENT ? " (pull policy: never)" : "");
        }
        if (streq(store, NC_IMAGE_STORE)) {
                r = state_dir_ensure(NULL, reterr);
                if (r < 0)
                        return r;
        }
        ImagePullStats st = { .ref = norm };
        uint64_t start = now_usec(CLOCK_MONOTONIC);
        r = fetch(store, norm, opts && opts->progress, &st, &digest, reterr);
        if (r < 0)
                return r;
        r = opts && opts->keep_refs ? 0 : rt_refs_record(store, norm, digest, reterr);
        if (r < 0)
                return r;
        if (opts && opts->on_pulled) {
                st.digest = digest;
                st.usec = now_usec(CLOCK_MONOTONIC) - start;
                opts->on_pulled(&st, opts->userdata);
        }
        *ret_digest = TAKE_PTR(digest);
        return 1;
}
