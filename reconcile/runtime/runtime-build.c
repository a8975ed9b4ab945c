/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "lib/fileio.h"
#include "lib/sha256.h"
#include "reconcile/runtime/runtime-internal.h"

/* Building an image (docs/runtime.md): buildah builds into its own storage below NC_BUILD_DIR, then
 * pushes the result as a "dir:" copy that rt_image_import() unpacks into the store as a pull does.
 * NC_BUILD_DIR/hashes/<sha256 of the reference> records which context hash gave which digest, so an
 * unchanged context is not built again. */

/* RUN steps run the (untrusted) base image's programs as root: in a container of crun's with its
 * own pid, mount, IPC, UTS and cgroup namespaces and buildah's reduced capability set
 * (docs/security.md). buildah's chroot isolation would leave them the host's pid namespace (and
 * so /proc/1/root), and it knows no network "none". crun creates no cgroup of its own: inside
 * a container with cgroup v1 (as the testbed) the controllers are read-only, and a build step
 * needs no limits of its own. */
#define BUILD_RUNTIME_ARGS "--isolation", "oci", "--runtime", "crun", \
                           "--runtime-flag", "cgroup-manager=disabled", "--cgroupns", "private"

static void hash_part(Sha256 *h, const char *label, const void *data, size_t size) {
        char head[64];
        int n = snprintf(head, sizeof head, "%s %zu\n", label, size);

        sha256_update(h, head, n);
        sha256_update(h, data, size);
        sha256_update(h, "\n", 1);
}

static void hash_str(Sha256 *h, const char *label, const char *s) {
        if (s)
                hash_part(h, label, s, strlen(s));
}

static int hash_strv_sorted(Sha256 *h, const char *label, char **l) {
        _cleanup_strv_free_ char **c = NULL;

        if (!l)
                return 0;
        c = strv_copy(l);
        if (!c)
                return -ENOMEM;
        strv_sort(c);
        STRV_FOREACH(s, c)
                hash_str(h, label, *s);
        return 0;
}

static int cmp_name(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d) {
        return !streq(d->d_name, ".") && !streq(d->d_name, "..");
}

static void dirents_free(struct dirent **l, int n) {
        for (int i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

/* One file's content, read through @fd. */
static int hash_file_content(Sha256 *h, int fd) {
        char buf[64 * 1024];

        for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                sha256_update(h, buf, n);
        }
}

typedef struct Walk {
        Sha256 *h;
        const DockerIgnore *ignore;
        NcError *reterr;
        const char *context;
} Walk;

/* The entries of the directory @dfd (at @rel, "" for the context root), sorted, never following a
 * symlink. An excluded directory is entered only when an exception could bring something back. */
static int walk_dir(Walk *w, int dfd, const char *rel, unsigned depth) {
        struct dirent **list = NULL;
        int n, r = 0;

        if (depth > 256)
                return nc_error_set(w->reterr, -ELOOP, "%s/%s: too deeply nested", w->context, rel);
        n = scandirat(dfd, ".", &list, skip_dots, cmp_name);
        if (n < 0)
                return nc_error_set(w->reterr, -errno, "%s/%s: %m", w->context, rel);
        for (int i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *path = *rel ? strjoin(rel, "/", list[i]->d_name) : strdup(list[i]->d_name);
                _cleanup_close_ int fd = -EBADF;
                bool excluded;
                struct stat st;
                char head[64];

                if (!path) {
                        r = -ENOMEM;
                        break;
                }
                if (fstatat(dfd, list[i]->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = nc_error_set(w->reterr, -errno, "%s/%s: %m", w->context, path);
                        break;
                }
                excluded = dockerignore_excluded(w->ignore, path);
                if (excluded && (!S_ISDIR(st.st_mode) || !dockerignore_has_exceptions(w->ignore)))
                        continue;
                if (!excluded) {
                        snprintf(head, sizeof head, "%o", (unsigned) st.st_mode);
                        hash_str(w->h, "entry", path);
                        hash_str(w->h, "mode", head);
                }
                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t l = readlinkat(dfd, list[i]->d_name, target, sizeof target);

                        if (l < 0)
                                r = nc_error_set(w->reterr, -errno, "%s/%s: %m", w->context, path);
                        else
                                hash_part(w->h, "link", target, l);
                } else if (S_ISREG(st.st_mode)) {
                        fd = openat(dfd, list[i]->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
                        if (fd < 0 || (r = hash_file_content(w->h, fd)) < 0)
                                r = nc_error_set(w->reterr, fd < 0 ? -errno : r, "%s/%s: %m", w->context, path);
                } else if (S_ISDIR(st.st_mode)) {
                        fd = openat(dfd, list[i]->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0)
                                r = nc_error_set(w->reterr, -errno, "%s/%s: %m", w->context, path);
                        else
                                r = walk_dir(w, fd, path, depth + 1);
                }
        }
        dirents_free(list, n);
        return r;
}

/* CONTEXT/.containerignore, else CONTEXT/.dockerignore (buildah's order); none: nothing ignored. */
static int ignore_load(const char *context, DockerIgnore **ret, NcError *reterr) {
        static const char *const names[] = { ".containerignore", ".dockerignore" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_free_ char *path = path_join(context, names[i]), *text = NULL;
                int r;

                if (!path)
                        return -ENOMEM;
                r = read_full_file_max(path, INPUT_FILE_SIZE_MAX, &text, NULL);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: %m", path);
                return dockerignore_parse(text, ret);
        }
        return dockerignore_parse(NULL, ret);
}

static char *dockerfile_path(const ImageBuildSpec *s) {
        if (s->dockerfile && s->dockerfile[0] == '/')
                return strdup(s->dockerfile);
        return path_join(s->context, s->dockerfile ?: "Dockerfile");
}

int image_build_hash(const ImageBuildSpec *s, char ret[static 65], NcError *reterr) {
        _cleanup_(dockerignore_freep) DockerIgnore *ignore = NULL;
        _cleanup_free_ char *df = NULL, *text = NULL;
        _cleanup_close_ int ctx_fd = -EBADF;
        uint8_t digest[SHA256_DIGEST_SIZE];
        size_t size = 0;
        Sha256 h;
        Walk w = { .h = &h, .reterr = reterr, .context = s->context };
        int r;

        assert(s);
        assert(s->context);

        ctx_fd = open(s->context, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ctx_fd < 0)
                return nc_error_set(reterr, -errno, "build context %s: %m", s->context);
        r = ignore_load(s->context, &ignore, reterr);
        if (r < 0)
                return r;
        w.ignore = ignore;
        sha256_init(&h);
        if (s->dockerfile_inline)
                hash_str(&h, "dockerfile", s->dockerfile_inline);
        else {
                df = dockerfile_path(s);
                if (!df)
                        return -ENOMEM;
                r = read_full_file_max(df, INPUT_FILE_SIZE_MAX, &text, &size);
                if (r < 0)
                        return nc_error_set(reterr, r, "Dockerfile %s: %m", df);
                hash_part(&h, "dockerfile", text, size);
        }
        if (hash_strv_sorted(&h, "arg", s->args) < 0 || hash_strv_sorted(&h, "label", s->labels) < 0 ||
            hash_strv_sorted(&h, "extra-host", s->extra_hosts) < 0)
                return -ENOMEM;
        hash_str(&h, "target", s->target);
        hash_str(&h, "network", s->network);
        r = walk_dir(&w, ctx_fd, "", 0);
        if (r < 0)
                return r;
        sha256_final(&h, digest);
        sha256_digest_to_hex(digest, ret);
        return 0;
}

/* NC_BUILD_DIR/hashes/<sha256 of @norm>. */
static char *record_path(const ImageBuildOptions *o, const char *norm) {
        char hex[SHA256_DIGEST_SIZE * 2 + 1];
        char *p;

        sha256_hex(norm, strlen(norm), hex);
        if (asprintf(&p, "%s/hashes/%s", o && o->build_dir ? o->build_dir : NC_BUILD_DIR, hex) < 0)
                return NULL;
        return p;
}

static int record_read(const ImageBuildOptions *o, const char *norm, char **ret_hash, char **ret_digest,
                       NcError *reterr) {
        _cleanup_(json_object_putp) struct json_object *root = NULL;
        _cleanup_free_ char *path = record_path(o, norm), *text = NULL, *hash = NULL, *digest = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", path);
        r = rt_json_parse(text, path, &root, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(root, "hash", path, &hash, reterr);
        if (r < 0)
                return r;
        r = rt_json_string(root, "digest", path, &digest, reterr);
        if (r < 0)
                return r;
        if (!hash || !digest)
                return 0;
        *ret_hash = TAKE_PTR(hash);
        *ret_digest = TAKE_PTR(digest);
        return 1;
}

static int record_write(const ImageBuildOptions *o, const char *norm, const char *hash, const char *digest,
                        NcError *reterr) {
        _cleanup_(json_object_putp) struct json_object *root = json_object_new_object();
        _cleanup_free_ char *path = record_path(o, norm), *dir = NULL;
        const char *text;
        int r;

        if (!path || !root)
                return -ENOMEM;
        dir = strndup(path, strrchr(path, '/') - path);
        if (!dir)
                return -ENOMEM;
        r = mkdir_parents_and_self(dir, 0700);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", dir);
        if (json_object_object_add(root, "managed-by", json_object_new_string("nspawn-compose")) < 0 ||
            json_object_object_add(root, "image", json_object_new_string(norm)) < 0 ||
            json_object_object_add(root, "hash", json_object_new_string(hash)) < 0 ||
            json_object_object_add(root, "digest", json_object_new_string(digest)) < 0)
                return -ENOMEM;
        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        r = write_file_atomic(path, text, strlen(text), 0600);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", path);
        return 0;
}

/* 1 when the record of @norm says @hash and the store maps @norm to the recorded digest. */
static int current(const ImageBuildOptions *o, const char *norm, const char *hash, char **ret_digest,
                   NcError *reterr) {
        _cleanup_free_ char *rhash = NULL, *rdigest = NULL, *digest = NULL;
        int r;

        r = record_read(o, norm, &rhash, &rdigest, reterr);
        if (r <= 0)
                return r;
        if (!streq(rhash, hash))
                return 0;
        r = image_resolve(o ? o->store : NULL, norm, &digest, NULL);
        if (r == -ENOENT || (r >= 0 && !streq(digest, rdigest)))
                return 0;
        if (r < 0)
                return nc_error_set(reterr, r, "image '%s': %m", norm);
        *ret_digest = TAKE_PTR(digest);
        return 1;
}

/* Collapses runs of whitespace into one space and trims both ends, in place. */
static char *collapse_spaces(char *s) {
        char *w = s;

        for (const char *r = s; *r; r++)
                if (!strchr(" \t\r\n", *r))
                        *w++ = *r;
                else if (w > s && w[-1] != ' ')
                        *w++ = ' ';
        if (w > s && w[-1] == ' ')
                w--;
        *w = 0;
        return s;
}

/* The line where the instruction @step ("RUN false", "FOO ") of the Dockerfile @text starts: the
 * first instruction that is the step (whitespace collapsed, case aside), else the first that starts
 * with it. Comment lines and '\' continuations as docker's parser; 0 when none fits. */
unsigned rt_dockerfile_step_line(const char *text, const char *step) {
        _cleanup_free_ char *want = strdup(step);
        unsigned line = 0, start = 0, prefix = 0;
        size_t wl;
        char *ins = NULL;

        if (!want)
                return 0;
        wl = strlen(collapse_spaces(want));
        if (wl == 0)
                return 0;
        for (const char *p = text; *p;) {
                size_t l = strcspn(p, "\n");
                _cleanup_free_ char *cur = strndup(p, l);
                const char *t = cur ? cur + strspn(cur, " \t") : NULL;
                bool more;

                p += l + (p[l] == '\n');
                line++;
                if (!cur)
                        break;
                if (*t == '#' || (!ins && !*t))
                        continue;
                if (!ins)
                        start = line;
                l = strlen(cur);
                while (l > 0 && strchr(" \t\r", cur[l - 1]))
                        l--;
                more = l > 0 && cur[l - 1] == '\\';
                cur[more ? l - 1 : l] = 0;
                free_and_replace_ptr(&ins, strjoin(strempty(ins), " ", cur));
                if (!ins)
                        break;
                if (more)
                        continue;
                collapse_spaces(ins);
                if (strcasecmp(ins, want) == 0) {
                        free(ins);
                        return start;
                }
                if (!prefix && strncasecmp(ins, want, wl) == 0 && (ins[wl] == ' ' || !ins[wl]))
                        prefix = start;
                ins = mfree(ins);
        }
        free(ins);
        return prefix;
}

/* buildah's last "Error: …" line (without the dump of its step struct it may append), else the
 * tail of what it wrote; named "DOCKERFILE:LINE: …" when it says at which step it failed and the
 * step is found in the Dockerfile @text. */
char *rt_builder_error(const char *err, const char *dockerfile_name, const char *text) {
        _cleanup_free_ char *e = NULL, *step = NULL;
        const char *last = NULL, *at, *q;
        unsigned line;
        char *dump, *ret;

        for (const char *p = err; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (startswith(p, "Error: "))
                        last = p + strlen("Error: ");
        e = strndup(last ?: err, strcspn(last ?: "", "\n") ?: strlen(last ?: err));
        if (!e)
                return NULL;
        dump = strstr(e, " &imagebuilder.");
        if (dump)
                *dump = 0;
        at = strstr(e, "building at STEP \"");
        q = at ? strchr(at + strlen("building at STEP \""), '"') : NULL;
        if (q)
                step = strndup(at + strlen("building at STEP \""), q - at - strlen("building at STEP \""));
        line = step && text ? rt_dockerfile_step_line(text, step) : 0;
        if (line == 0)
                return TAKE_PTR(e);
        if (asprintf(&ret, "%s:%u: %s", dockerfile_name, line, e) < 0)
                return NULL;
        return ret;
}

static int strv_extend_pair(char ***l, const char *option, const char *value) {
        if (strv_extend(l, option) < 0 || strv_extend(l, value) < 0)
                return -ENOMEM;
        return 0;
}

/* buildah's options for its storage: ours, vfs (no overlay on the overlays or tmpfs we run on). */
static int buildah_argv(const ImageBuildOptions *o, char ***ret) {
        const char *dir = o && o->build_dir ? o->build_dir : NC_BUILD_DIR;
        _cleanup_free_ char *root = path_join(dir, "storage");
        _cleanup_strv_free_ char **argv = NULL;

        if (!root || strv_extend(&argv, "buildah") < 0 || strv_extend_pair(&argv, "--root", root) < 0 ||
            strv_extend_pair(&argv, "--runroot", NC_BUILD_RUN_DIR) < 0 ||
            strv_extend_pair(&argv, "--storage-driver", "vfs") < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(argv);
        return 0;
}

static int bud_argv(const ImageBuildSpec *s, const ImageBuildOptions *o, const char *norm, const char *dockerfile,
                    const char *iidfile, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        r = buildah_argv(o, &argv);
        if (r < 0)
                return r;
        if (strv_extend(&argv, "bud") < 0)
                return -ENOMEM;
        STRV_FOREACH(a, STRV_MAKE(BUILD_RUNTIME_ARGS))
                if (strv_extend(&argv, *a) < 0)
                        return -ENOMEM;
        if (strv_extend(&argv, "--layers") < 0 ||
            /* docker's format keeps HEALTHCHECK, SHELL and STOPSIGNAL, which OCI's config lacks */
            strv_extend_pair(&argv, "--format", "docker") < 0 ||
            strv_extend_pair(&argv, "--file", dockerfile) < 0 || strv_extend_pair(&argv, "--iidfile", iidfile) < 0 ||
            strv_extend_pair(&argv, "--tag", norm) < 0)
                return -ENOMEM;
        STRV_FOREACH(a, s->args)
                if (strv_extend_pair(&argv, "--build-arg", *a) < 0)
                        return -ENOMEM;
        STRV_FOREACH(l, s->labels)
                if (strv_extend_pair(&argv, "--label", *l) < 0)
                        return -ENOMEM;
        STRV_FOREACH(e, s->extra_hosts) {
                _cleanup_free_ char *h = strdup(*e);
                char *eq = h ? strchr(h, '=') : NULL;

                if (!h)
                        return -ENOMEM;
                if (eq)
                        *eq = ':';      /* buildah's --add-host takes NAME:ADDRESS */
                if (strv_extend_pair(&argv, "--add-host", h) < 0)
                        return -ENOMEM;
        }
        if ((s->target && strv_extend_pair(&argv, "--target", s->target) < 0) ||
            (s->network && strv_extend_pair(&argv, "--network", s->network) < 0) ||
            (o && o->no_cache && strv_extend(&argv, "--no-cache") < 0) ||
            (o && o->pull && strv_extend(&argv, "--pull-always") < 0) ||
            strv_extend(&argv, s->context) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(argv);
        return 0;
}

/* Runs buildah bud; a failure says what buildah said, at the Dockerfile's line when it can. */
static int run_builder(char **argv, const ImageBuildSpec *s, const char *dockerfile, NcError *reterr) {
        _cleanup_free_ char *err = NULL, *text = NULL, *msg = NULL;
        int r;

        r = rt_spawn_capture(argv, /* show_stdout= */ true, &err);
        if (r < 0)
                return nc_error_set(reterr, r, "could not run buildah: %m");
        if (r == 0)
                return 0;
        if (isempty(err))
                return nc_error_set(reterr, -EIO, "building '%s' failed: buildah gave no error output", s->image);
        if (!s->dockerfile_inline)
                (void) read_full_file_max(dockerfile, INPUT_FILE_SIZE_MAX, &text, NULL);
        msg = rt_builder_error(err, s->dockerfile_inline ? "dockerfile_inline" : s->dockerfile ?: "Dockerfile",
                            s->dockerfile_inline ?: text);
        return nc_error_set(reterr, -EIO, "building '%s' failed: %s", s->image, msg ?: err);
}

int image_build(const ImageBuildSpec *s, const ImageBuildOptions *o, char **ret_digest, NcError *reterr) {
        const char *store = o && o->store ? o->store : NC_IMAGE_STORE;
        const char *build_dir = o && o->build_dir ? o->build_dir : NC_BUILD_DIR;
        _cleanup_(rt_rm_rf_freep) char *tmp = NULL;
        _cleanup_free_ char *norm = NULL, *digest = NULL, *df = NULL, *iidfile = NULL, *iid = NULL, *dst = NULL;
        _cleanup_strv_free_ char **argv = NULL, **push = NULL;
        char hash[SHA256_DIGEST_SIZE * 2 + 1];
        int r;

        assert(s);
        assert(ret_digest);

        r = image_ref_normalize(s->image, &norm, reterr);
        if (r < 0)
                return r;
        r = image_build_hash(s, hash, reterr);
        if (r < 0)
                return r;
        if (!(o && o->force)) {
                r = current(o, norm, hash, &digest, reterr);
                if (r != 0) {
                        if (r > 0)
                                *ret_digest = TAKE_PTR(digest);
                        return r < 0 ? r : 0;
                }
        }
        if (streq(store, NC_IMAGE_STORE)) {
                r = state_dir_ensure(NULL, reterr);
                if (r < 0)
                        return r;
        }
        r = state_dir_ensure(build_dir, reterr);
        if (r < 0)
                return r;
        r = rt_make_tmp(store, "build", &tmp, reterr);
        if (r < 0)
                return r;
        iidfile = path_join(tmp, "iid");
        if (!iidfile)
                return -ENOMEM;
        if (s->dockerfile_inline) {
                df = path_join(tmp, "Dockerfile");
                if (!df)
                        return -ENOMEM;
                r = write_file_atomic(df, s->dockerfile_inline, strlen(s->dockerfile_inline), 0600);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: %m", df);
        } else if (!(df = dockerfile_path(s)))
                return -ENOMEM;
        r = bud_argv(s, o, norm, df, iidfile, &argv);
        if (r < 0)
                return r;
        r = run_builder(argv, s, df, reterr);
        if (r < 0)
                return r;
        r = read_full_file(iidfile, &iid, NULL);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", iidfile);
        iid[strcspn(iid, " \t\n")] = 0;
        if (asprintf(&dst, "dir:%s/dir", tmp) < 0)
                return -ENOMEM;
        r = buildah_argv(o, &push);
        if (r < 0)
                return r;
        if (strv_extend(&push, "push") < 0 || strv_extend(&push, "--quiet") < 0 ||
            strv_extend(&push, "--disable-compression") < 0 || strv_extend(&push, iid) < 0 ||
            strv_extend(&push, dst) < 0)
                return -ENOMEM;
        r = rt_run_tool(push, false, reterr);
        if (r < 0)
                return r;
        r = rt_image_import_as(store, tmp, norm, &digest, reterr);
        if (r < 0)
                return r;
        STRV_FOREACH(t, s->tags) {
                _cleanup_free_ char *tag = NULL;

                r = image_ref_normalize(*t, &tag, reterr);
                if (r < 0)
                        return r;
                r = rt_refs_record(store, tag, digest, reterr);
                if (r < 0)
                        return r;
        }
        r = record_write(o, norm, hash, digest, reterr);
        if (r < 0)
                return r;
        *ret_digest = TAKE_PTR(digest);
        return 1;
}
