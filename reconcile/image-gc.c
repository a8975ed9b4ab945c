/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "lib/fileio.h"
#include "lib/json-util.h"
#include "lib/strv.h"
#include "reconcile/generation.h"
#include "reconcile/image-gc.h"
#include "reconcile/names.h"
#include "reconcile/runtime/runtime.h"

#define SETTINGS_JSON_MAX (16U * 1024U * 1024U)

void stored_images_free(StoredImage *l, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(l[i].digest);
                strv_free(l[i].refs);
                strv_free(l[i].users);
        }
        free(l);
}

static uint64_t walk_bytes;

static int add_blocks(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        if (flag == FTW_F || flag == FTW_SL)
                walk_bytes += (uint64_t) st->st_blocks * 512;
        return 0;
}

static uint64_t disk_use(const char *dir) {
        walk_bytes = 0;
        (void) nftw(dir, add_blocks, 64, FTW_PHYS | FTW_MOUNT);
        return walk_bytes;
}

static StoredImage *find(StoredImage *l, size_t n, const char *digest) {
        for (size_t i = 0; i < n; i++)
                if (streq(l[i].digest, digest))
                        return &l[i];
        return NULL;
}

/* The subdirectories of @dir, sorted, in *ret (NULL: none, or @dir does not exist); symlinks are
 * not followed. -errno when @dir cannot be read: what uses an image must never be guessed. */
static int subdirs(const char *dir, char ***ret) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        _cleanup_strv_free_ char **l = NULL;
        struct dirent *de;

        *ret = NULL;
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((errno = 0, de = readdir(d))) {
                struct stat st;

                if (de->d_name[0] == '.')
                        continue;
                if (de->d_type == DT_UNKNOWN ? fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                                               !S_ISDIR(st.st_mode) : de->d_type != DT_DIR)
                        continue;
                if (strv_extend(&l, de->d_name) < 0)
                        return -ENOMEM;
        }
        if (errno != 0)
                return -errno;
        strv_sort(l);
        *ret = TAKE_PTR(l);
        return 0;
}

/* Each S.json in @dir (a project's settings directory, or its runs/) names its digest. A settings
 * file that cannot be read or names no digest fails the scan rather than leave its image unused. */
static int add_settings_users(StoredImage *l, size_t n, const char *project, const char *dir, bool one_off,
                              NcError *reterr) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return errno == ENOENT ? 0 : nc_error_set(reterr, -errno, "cannot read %s: %m", dir);
        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                _cleanup_(json_object_putp) json_object *o = NULL;
                json_object *digest, *service;
                StoredImage *img;
                int r;

                if (de->d_name[0] == '.' || !endswith(de->d_name, ".json") || streq(de->d_name, "project.json"))
                        continue;
                path = path_join(dir, de->d_name);
                if (!path)
                        return -ENOMEM;
                r = read_full_file_max(path, SETTINGS_JSON_MAX, &text, NULL);
                if (r == -ENOENT)
                        continue;       /* removed meanwhile */
                if (r < 0)
                        return nc_error_set(reterr, r, "cannot read %s: %m", path);
                o = json_tokener_parse(text);
                if (!json_object_object_get_ex(o, "image_digest", &digest))
                        return nc_error_set(reterr, -EBADMSG, "%s names no image_digest", path);
                img = find(l, n, strempty(json_object_get_string(digest)));
                if (!img)
                        continue;       /* an image not in the store */
                (void) json_object_object_get_ex(o, "service", &service);
                if (strv_extendf(&img->users, "%s/%s%s", project, strempty(json_object_get_string(service)),
                                 one_off ? " (one-off)" : "") < 0)
                        return -ENOMEM;
        }
        return errno != 0 ? nc_error_set(reterr, -errno, "cannot read %s: %m", dir) : 0;
}

static int add_users(StoredImage *l, size_t n, NcError *reterr) {
        static const char *const roots[] = { "/etc/nspawn-compose", NC_RUNTIME_DIR };
        _cleanup_strv_free_ char **gen_projects = NULL;
        int r;

        for (size_t k = 0; k < ELEMENTSOF(roots); k++) {
                _cleanup_strv_free_ char **projects = NULL;

                r = subdirs(roots[k], &projects);
                if (r < 0)
                        return nc_error_set(reterr, r, "cannot read %s: %m", roots[k]);
                STRV_FOREACH(p, projects) {
                        _cleanup_free_ char *dir = NULL, *runs = NULL;

                        if (name_project_is_reserved(*p))
                                continue;       /* ours, not a project's: /run/nspawn-compose/build */
                        dir = path_join(roots[k], *p);
                        runs = dir ? path_join(dir, "runs") : NULL;
                        if (!runs)
                                return -ENOMEM;
                        r = add_settings_users(l, n, *p, dir, false, reterr);
                        if (r >= 0)
                                r = add_settings_users(l, n, *p, runs, true, reterr);
                        if (r < 0)
                                return r;
                }
        }
        r = subdirs(NC_GENERATIONS_DIR, &gen_projects);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot read " NC_GENERATIONS_DIR ": %m");
        STRV_FOREACH(p, gen_projects) {
                Generation *gens = NULL;
                size_t m = 0;

                r = generations_read(*p, &gens, &m, reterr);
                if (r < 0)
                        return r;
                /* a failed generation is never a rollback's target: what only it ran is not in use */
                for (size_t i = 0; i < m && r >= 0; i++)
                        STRV_FOREACH(d, gens[i].failure ? NULL : gens[i].digests) {
                                const char *nl = strchr(*d, '\n');
                                StoredImage *img = nl ? find(l, n, nl + 1) : NULL;

                                if (img && strv_extendf(&img->users, "%s generation %u", *p, gens[i].id) < 0) {
                                        r = -ENOMEM;
                                        break;
                                }
                        }
                generations_free(gens, m);
                if (r < 0)
                        return r;
        }
        return 0;
}

int image_store_list(const char *store, StoredImage **ret, size_t *ret_n, NcError *reterr) {
        _cleanup_strv_free_ char **dirs = NULL, **refs = NULL;
        StoredImage *l = NULL;
        size_t n = 0;
        int r;

        store = store ?: NC_IMAGE_STORE;
        r = subdirs(store, &dirs);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot read %s: %m", store);
        r = image_refs_read(store, &refs, reterr);
        if (r < 0)
                return r;
        if (dirs && !(l = calloc(strv_length(dirs), sizeof *l)))
                return -ENOMEM;
        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *path = path_join(store, *d);
                struct stat st;

                /* only what an import made: 64 hex digits */
                if (!path || strlen(*d) != 64 || strspn(*d, "0123456789abcdef") != 64 || stat(path, &st) < 0)
                        continue;
                l[n] = (StoredImage) {
                        .digest = strjoin("sha256:", *d),
                        .bytes = disk_use(path),
                        .mtime_usec = (uint64_t) st.st_mtim.tv_sec * 1000000 + (uint64_t) st.st_mtim.tv_nsec / 1000,
                };
                if (!l[n].digest) {
                        stored_images_free(l, n);
                        return -ENOMEM;
                }
                n++;
        }
        STRV_FOREACH(x, refs) {
                const char *nl = strchr(*x, '\n');
                StoredImage *img = nl ? find(l, n, nl + 1) : NULL;
                _cleanup_free_ char *shown = NULL;

                if (!img)
                        continue;
                /* an image from a file once, as written: without the file's identity */
                shown = strndup(*x, nl - *x);
                if (shown && image_ref_file_transport(shown))
                        shown[image_ref_file_base_len(shown)] = 0;
                if (!shown || (!strv_contains(img->refs, shown) && strv_consume(&img->refs, TAKE_PTR(shown)) < 0)) {
                        stored_images_free(l, n);
                        return -ENOMEM;
                }
        }
        r = add_users(l, n, reterr);
        if (r < 0) {
                stored_images_free(l, n);
                return r;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}
