/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "reconcile/compose/compose-internal.h"
#include "reconcile/compose/compose-normalize-internal.h"
#include "lib/fileio.h"
#include "lib/strv.h"

/* Loading a project, in docker compose's order: find the files, read .env, then per file
 * parse → interpolate → include → extends; merge the files; profiles; project name; schema check;
 * normalize; reference check. */

static const char *const default_files[] = {
        "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml",
};

/* What one project may read: a hostile include graph (every file including the next twice) must
 * not take exponential time, nor a deep one all the stack. */
#define LOADER_FILES_MAX 256            /* compose files, including included and extended ones */
#define LOADER_BYTES_MAX (64U * 1024U * 1024U)  /* their sizes together */
#define LOADER_INCLUDE_DEPTH_MAX 32     /* files including each other */
#define LOADER_EXTENDS_DEPTH_MAX 64     /* services extending each other */

/* Each compose file is read and parsed once, and included once: later uses copy the result. Keyed
 * by the canonical path, which names the file and the directory its relative paths start from. */
typedef struct LoadedFile {
        char *canonical;
        ComposeNode *parsed;            /* parsed; interpolated once @interpolated */
        bool interpolated;
        ComposeNode *loaded;            /* and its includes and extends applied; NULL until then */
} LoadedFile;

typedef struct Loader {
        ComposeProject *project;
        const ComposeOptions *options;
        char **include_stack;           /* absolute paths being included, for cycle detection */
        LoadedFile *files;
        size_t n_files, bytes;
        ComposeYamlBudget budget;       /* shared by every file of the project */
        NcError *reterr;
} Loader;

static void loader_done(Loader *l) {
        l->include_stack = strv_free(l->include_stack);
        for (size_t i = 0; i < l->n_files; i++) {
                free(l->files[i].canonical);
                compose_node_free(l->files[i].parsed);
                compose_node_free(l->files[i].loaded);
        }
        l->files = mfree(l->files);
        l->n_files = 0;
}

int compose_read_input(const char *path, char **ret, size_t *ret_size) {
        return read_full_file_max(path, INPUT_FILE_SIZE_MAX, ret, ret_size);
}

const char *compose_read_strerror(int error) {
        switch (error) {
        case -EBADFD:
                return "not a regular file";
        case -EFBIG:
                return "file too large (more than 16 MiB)";
        default:
                return strerror(-error);
        }
}

static const char *env_lookup(const char *name, void *userdata) {
        /* Later entries win: the process environment is appended after .env. */
        return strv_env_get(userdata, name);
}

/* Go's filepath.Abs: joined to @base_dir (or the current directory) and cleaned ("." and ".."
 * resolved lexically), so that `--project-directory .` names the directory itself. */
static char *absolute_path(const char *base_dir, const char *path) {
        _cleanup_free_ char *joined = NULL;
        char buf[PATH_MAX];

        if (path[0] == '/')
                return norm_path_clean(path);
        if (!base_dir) {
                if (!getcwd(buf, sizeof buf))
                        return NULL;
                base_dir = buf;
        }
        joined = path_join(base_dir, path);
        return joined ? norm_path_clean(joined) : NULL;
}

/* Files are interned in project->files so node marks can point at them for the project's life. */
static const char *intern_file(ComposeProject *p, const char *path) {
        STRV_FOREACH(f, p->files)
                if (streq(*f, path))
                        return *f;
        if (strv_extend(&p->files, path) < 0)
                return NULL;
        return p->files[strv_length(p->files) - 1];
}

/* Warnings are told once however many files or passes find them. */
static int add_warning(ComposeProject *p, const char *text) {
        return strv_contains(p->warnings, text) ? 0 : strv_extend(&p->warnings, text);
}

/* Interpolates a parsed file in place, unless the caller asked for none (config --no-interpolate). */
static int interpolate_root(Loader *l, ComposeNode *root) {
        _cleanup_strv_free_ char **warnings = NULL;
        int r;

        if (l->options->skip_interpolate)
                return 0;
        r = compose_interpolate_tree(root, env_lookup, l->project->environment, &warnings, l->reterr);
        if (r < 0)
                return r;
        STRV_FOREACH(w, warnings)
                if (add_warning(l->project, *w) < 0)
                        return -ENOMEM;
        return 0;
}

/* Parses one file, not interpolated yet: the project name (which interpolation may use) comes from
 * the files' raw `name:` first. */
static int parse_data(Loader *l, const char *path, const char *data, size_t size, ComposeNode **ret) {
        _cleanup_(compose_node_freep) ComposeNode *root = NULL;
        const char *file;
        int r;

        file = intern_file(l->project, path);
        if (!file)
                return -ENOMEM;
        r = compose_yaml_parse_budget(file, data, size, &l->budget, &root, l->reterr);
        if (r < 0)
                return r;
        if (!root)
                return nc_error_set_at(l->reterr, -EINVAL, file, 0, 0, "empty compose file");
        if (root->type != COMPOSE_NODE_MAP)
                return nc_error_set_at(l->reterr, -EINVAL, file, 1, 1, "top-level object must be a mapping");
        *ret = TAKE_PTR(root);
        return 0;
}

/* The cache entry of @path, made (the file read and parsed) when it is new. */
static int parse_file_cached(Loader *l, const char *path, LoadedFile **ret) {
        _cleanup_(compose_node_freep) ComposeNode *root = NULL;
        _cleanup_free_ char *canonical = NULL, *data = NULL;
        LoadedFile *f;
        size_t size;
        int r;

        /* a file that cannot be resolved cannot be read either: the read below says why */
        canonical = realpath(path, NULL) ?: strdup(path);
        if (!canonical)
                return -ENOMEM;
        for (size_t i = 0; i < l->n_files; i++)
                if (streq(l->files[i].canonical, canonical)) {
                        *ret = &l->files[i];
                        return 0;
                }
        if (l->n_files >= LOADER_FILES_MAX)
                return nc_error_set_at(l->reterr, -E2BIG, path, 0, 0,
                                       "cannot read compose file: a project may have at most %u files",
                                       LOADER_FILES_MAX);
        r = compose_read_input(path, &data, &size);
        if (r < 0)
                return nc_error_set_at(l->reterr, r, path, 0, 0, "cannot read compose file: %s",
                                       compose_read_strerror(r));
        if (size > LOADER_BYTES_MAX - l->bytes)
                return nc_error_set_at(l->reterr, -E2BIG, path, 0, 0,
                                       "cannot read compose file: a project's files may hold at most 64 MiB");
        l->bytes += size;
        r = parse_data(l, path, data, size, &root);
        if (r < 0)
                return r;
        f = reallocarray(l->files, l->n_files + 1, sizeof *f);
        if (!f)
                return -ENOMEM;
        l->files = f;
        l->files[l->n_files] = (LoadedFile) { .canonical = TAKE_PTR(canonical), .parsed = TAKE_PTR(root) };
        *ret = &l->files[l->n_files++];
        return 0;
}

/* Same, and its tree interpolated (once). */
static int parse_file_interpolated(Loader *l, const char *path, LoadedFile **ret) {
        LoadedFile *f;
        int r;

        r = parse_file_cached(l, path, &f);
        if (r < 0)
                return r;
        if (!f->interpolated) {
                r = interpolate_root(l, f->parsed);
                if (r < 0)
                        return r;
                f->interpolated = true;
        }
        *ret = f;
        return 0;
}

static int parse_file(Loader *l, const char *path, ComposeNode **ret) {
        LoadedFile *f;
        int r;

        r = parse_file_interpolated(l, path, &f);
        if (r < 0)
                return r;
        *ret = compose_node_dup(f->parsed);
        return *ret ? 0 : -ENOMEM;
}

static int load_file(Loader *l, const char *path, ComposeNode **ret);

/* Loads @path and merges it over *acc (or makes it *acc when that is still NULL). */
static int load_file_merged(Loader *l, const char *path, ComposeNode **acc) {
        ComposeNode *n = NULL;
        int r;

        r = load_file(l, path, &n);
        if (r < 0)
                return r;
        if (!*acc) {
                *acc = n;
                return 0;
        }
        return compose_merge(*acc, n, l->reterr);
}

/* ---- extends ------------------------------------------------------------------------------- */

static int resolve_extends(Loader *l, ComposeNode *services, const char *name, const char *file_dir,
                           char ***stack);

/* The file a message names after its file:line:column (docker compose names it too). */
static const char *file_basename(const char *path) {
        const char *slash = path ? strrchr(path, '/') : NULL;

        return slash ? slash + 1 : strempty(path);
}

/* One "SERVICE in FILE" of a "FILE#SERVICE" key. */
static void append_extends_key(StrBuf *b, const char *key) {
        const char *hash = strrchr(key, '#');
        _cleanup_free_ char *file = hash ? strndup(key, hash - key) : NULL;

        strbuf_printf(b, "%s in %s", hash ? hash + 1 : key, file_basename(file));
}

/* "circular reference: a in X extends b in Y extends a in X", as docker compose says it; @stack
 * holds "FILE#SERVICE" from the first service on, @key closes the circle. */
static int extends_cycle_error(Loader *l, const ComposeNode *at, char * const *stack, const char *key) {
        _cleanup_(strbuf_done) StrBuf b = {};

        strbuf_append(&b, "circular reference: ");
        STRV_FOREACH(k, stack) {
                append_extends_key(&b, *k);
                strbuf_append(&b, " extends ");
        }
        append_extends_key(&b, key);
        if (b.oom)
                return -ENOMEM;
        return compose_node_error(at, l->reterr, -ELOOP, "extends", "%s", b.buf);
}

/* Loads service @name from @file (already interpolated, its own extends resolved). */
static int extends_from_file(Loader *l, const char *child, const char *file, const char *name,
                             const ComposeNode *at, char ***stack, ComposeNode **ret) {
        _cleanup_(compose_node_freep) ComposeNode *root = NULL;
        _cleanup_free_ char *dir = path_dirname(file);
        ComposeNode *services, *svc;
        int r;

        if (!dir)
                return -ENOMEM;
        r = parse_file(l, file, &root);
        if (r < 0)
                return r;
        services = compose_map_get(root, "services");
        svc = compose_map_get(services, name);
        if (!svc)
                return compose_node_error(at, l->reterr, -ENOENT, "extends",
                                          "cannot extend service \"%s\" in %s: service \"%s\" not found",
                                          child, file_basename(at->mark.file), name);
        r = resolve_extends(l, services, name, dir, stack);
        if (r < 0)
                return r;
        *ret = compose_node_dup(compose_map_get(services, name));
        if (!*ret)
                return -ENOMEM;
        return compose_rebase_service_paths(*ret, dir);
}

static int resolve_extends(Loader *l, ComposeNode *services, const char *name, const char *file_dir,
                           char ***stack) {
        _cleanup_(compose_node_freep) ComposeNode *ext = NULL, *base = NULL;
        _cleanup_free_ char *key = NULL, *file = NULL;
        ComposeNode *svc = compose_map_get(services, name);
        const char *base_name, *base_file;
        int r;

        if (!svc || !compose_map_get(svc, "extends"))
                return 0;
        ext = compose_map_take(svc, "extends");
        base_name = ext->type == COMPOSE_NODE_MAP ? compose_map_get_str(ext, "service") : compose_node_str(ext);
        base_file = ext->type == COMPOSE_NODE_MAP ? compose_map_get_str(ext, "file") : NULL;
        if (!base_name)
                return compose_node_error(ext, l->reterr, -EINVAL, "extends", "'service' is required");
        if (base_file) {
                file = absolute_path(file_dir, base_file);
                if (!file)
                        return -ENOMEM;
        }
        /* Keyed by the file the base lives in: "web" of b.yml is not "web" of compose.yml. */
        if (asprintf(&key, "%s#%s", file ?: strempty(ext->mark.file), base_name) < 0)
                return -ENOMEM;
        if (strv_contains(*stack, key))
                return extends_cycle_error(l, ext, *stack, key);
        if (strv_length(*stack) > LOADER_EXTENDS_DEPTH_MAX)
                return compose_node_error(ext, l->reterr, -E2BIG, "extends",
                                          "services extend each other deeper than %u levels",
                                          LOADER_EXTENDS_DEPTH_MAX);
        r = strv_extend(stack, key);
        if (r < 0)
                return r;

        if (file) {
                r = extends_from_file(l, name, file, base_name, ext, stack, &base);
                if (r < 0)
                        return r;
        } else if (!compose_map_get(services, base_name))
                return compose_node_error(ext, l->reterr, -ENOENT, "extends",
                                          "cannot extend service \"%s\" in %s: service \"%s\" not found", name,
                                          file_basename(ext->mark.file), base_name);
        else {
                r = resolve_extends(l, services, base_name, file_dir, stack);
                if (r < 0)
                        return r;
                base = compose_node_dup(compose_map_get(services, base_name));
                if (!base)
                        return -ENOMEM;
        }
        (void) compose_map_remove(base, "extends");
        r = compose_merge_service(base, compose_node_dup(svc), l->reterr);
        if (r < 0)
                return r;
        return compose_map_set(services, name, TAKE_PTR(base));
}

static int apply_extends(Loader *l, ComposeNode *root, const char *file_dir) {
        ComposeNode *services = compose_map_get(root, "services");

        COMPOSE_MAP_FOREACH(i, services) {
                _cleanup_strv_free_ char **stack = NULL;
                _cleanup_free_ char *name = strdup(services->keys[i]->scalar);
                int r;

                if (!name)
                        return -ENOMEM;
                /* The service itself is on the stack: "a extends b extends a" is a cycle. */
                r = strv_consume(&stack, strjoin(strempty(services->items[i]->mark.file), "#", name));
                if (r < 0)
                        return r;
                r = resolve_extends(l, services, name, file_dir, &stack);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- include ------------------------------------------------------------------------------- */

static int merge_included(Loader *l, ComposeNode *root, ComposeNode *inc, const ComposeNode *at) {
        static const char *const sections[] = { "services", "networks", "volumes", "secrets", "configs" };

        for (size_t s = 0; s < ELEMENTSOF(sections); s++) {
                ComposeNode *src = compose_map_get(inc, sections[s]), *dst;

                if (!src || src->type != COMPOSE_NODE_MAP)
                        continue;
                dst = compose_map_get(root, sections[s]);
                if (!dst) {
                        int r = compose_map_set(root, sections[s], compose_node_new(COMPOSE_NODE_MAP, &at->mark));
                        if (r < 0)
                                return r;
                        dst = compose_map_get(root, sections[s]);
                }
                COMPOSE_MAP_FOREACH(i, src) {
                        const char *k = src->keys[i]->scalar;
                        ComposeNode *old = compose_map_get(dst, k);
                        int r;

                        if (old && !compose_node_equal(old, src->items[i]))
                                return compose_node_error(at, l->reterr, -EEXIST, "include",
                                                          "imported compose file defines conflicting %s '%s'",
                                                          sections[s], k);
                        r = compose_map_set_at(dst, k, &src->keys[i]->mark, TAKE_PTR(src->items[i]));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int include_one(Loader *l, ComposeNode *root, const ComposeNode *entry, const char *file_dir) {
        _cleanup_(compose_node_freep) ComposeNode *paths = NULL;
        const ComposeNode *p = entry->type == COMPOSE_NODE_MAP ? compose_map_get(entry, "path") : entry;
        _cleanup_(compose_node_freep) ComposeNode *merged = NULL;
        int r;

        if (!p)
                return compose_node_error(entry, l->reterr, -EINVAL, "include", "'path' is required");
        COMPOSE_MAP_FOREACH(i, entry) {
                const char *k = entry->keys[i]->scalar;
                if (!streq(k, "path") && !streq(k, "project_directory") && !streq(k, "env_file") && !startswith(k, "x-"))
                        return compose_node_error(entry->keys[i], l->reterr, -EINVAL, "include",
                                                  "additional property %s is not allowed", k);
        }
        if (compose_node_is_scalar(p)) {
                paths = compose_node_new(COMPOSE_NODE_SEQ, &p->mark);
                if (!paths || compose_seq_append(paths, compose_node_dup(p)) < 0)
                        return -ENOMEM;
        } else {
                paths = compose_node_dup(p);
                if (!paths)
                        return -ENOMEM;
        }
        COMPOSE_SEQ_FOREACH(i, paths) {
                _cleanup_free_ char *abs = NULL;
                const char *s = compose_node_str(paths->items[i]);

                if (!s)
                        return compose_node_error(paths->items[i], l->reterr, -EINVAL, "include", "path must be a string");
                abs = absolute_path(file_dir, s);
                if (!abs)
                        return -ENOMEM;
                if (strv_contains(l->include_stack, abs))
                        return compose_node_error(paths->items[i], l->reterr, -ELOOP, "include",
                                                  "include cycle detected: %s", abs);
                if (strv_length(l->include_stack) >= LOADER_INCLUDE_DEPTH_MAX)
                        return compose_node_error(paths->items[i], l->reterr, -E2BIG, "include",
                                                  "includes nested deeper than %u files", LOADER_INCLUDE_DEPTH_MAX);
                r = load_file_merged(l, abs, &merged);
                if (r < 0)
                        return r;
        }
        if (merged) {
                /* Paths in included files are relative to the included file (or to the entry's
                 * project_directory), not to the including project. */
                _cleanup_free_ char *first = absolute_path(file_dir, compose_node_str(paths->items[0]));
                _cleanup_free_ char *inc_dir = first ? path_dirname(first) : NULL;
                const char *pd = entry->type == COMPOSE_NODE_MAP ? compose_map_get_str(entry, "project_directory") : NULL;
                _cleanup_free_ char *abs_pd = pd ? absolute_path(file_dir, pd) : NULL;

                if (!inc_dir || (pd && !abs_pd))
                        return -ENOMEM;
                r = compose_rebase_model_paths(merged, abs_pd ?: inc_dir);
                if (r < 0)
                        return r;
        }
        return merged ? merge_included(l, root, merged, entry) : 0;
}

static int apply_includes(Loader *l, ComposeNode *root, const char *file_dir) {
        _cleanup_(compose_node_freep) ComposeNode *inc = compose_map_take(root, "include");

        if (!inc)
                return 0;
        if (inc->type != COMPOSE_NODE_SEQ)
                return compose_node_error(inc, l->reterr, -EINVAL, "include", "must be a list");
        COMPOSE_SEQ_FOREACH(i, inc) {
                int r = include_one(l, root, inc->items[i], file_dir);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One file: parse, interpolate, include, extends. @data NULL: read @path. */
static int load_data(Loader *l, const char *path, const char *data, size_t size, ComposeNode **ret) {
        _cleanup_(compose_node_freep) ComposeNode *root = NULL;
        _cleanup_free_ char *dir = path_dirname(path);
        int r;

        if (!dir)
                return -ENOMEM;
        if (data) {
                r = parse_data(l, path, data, size, &root);
                if (r >= 0)
                        r = interpolate_root(l, root);
        } else
                r = parse_file(l, path, &root);
        if (r < 0)
                return r;
        r = strv_extend(&l->include_stack, path);
        if (r < 0)
                return r;
        r = apply_includes(l, root, dir);
        free(l->include_stack[strv_length(l->include_stack) - 1]);
        l->include_stack[strv_length(l->include_stack) - 1] = NULL;
        if (r < 0)
                return r;
        r = apply_extends(l, root, dir);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(root);
        return 0;
}

static int load_file(Loader *l, const char *path, ComposeNode **ret) {
        _cleanup_free_ char *canonical = NULL;
        ComposeNode *root = NULL;
        LoadedFile *f;
        int r;

        r = parse_file_interpolated(l, path, &f);
        if (r < 0)
                return r;
        if (!f->loaded) {
                /* @f may move while its includes are loaded: find it again by name */
                canonical = strdup(f->canonical);
                if (!canonical)
                        return -ENOMEM;
                r = load_data(l, path, NULL, 0, &root);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < l->n_files; i++)
                        if (streq(l->files[i].canonical, canonical))
                                f = &l->files[i];
                assert(!f->loaded);
                f->loaded = root;
        }
        *ret = compose_node_dup(f->loaded);
        return *ret ? 0 : -ENOMEM;
}

/* ---- profiles ------------------------------------------------------------------------------ */

static bool service_enabled(const ComposeNode *svc, char * const *active) {
        const ComposeNode *profiles = compose_map_get(svc, "profiles");

        if (!profiles || profiles->type != COMPOSE_NODE_SEQ || profiles->n_items == 0)
                return true;
        COMPOSE_SEQ_FOREACH(i, profiles) {
                const char *p = compose_node_str(profiles->items[i]);
                if (p && (strv_contains(active, p) || strv_contains(active, "*")))
                        return true;
        }
        return false;
}

static int apply_profiles(Loader *l, ComposeNode *root) {
        _cleanup_strv_free_ char **active = NULL;
        ComposeNode *services = compose_map_get(root, "services");
        const char *env;

        if (l->options->profiles)
                active = strv_copy(l->options->profiles);
        else {
                env = env_lookup("COMPOSE_PROFILES", l->project->environment);
                active = strv_split(strempty(env), ",");
        }
        if (!active)
                return -ENOMEM;
        COMPOSE_MAP_FOREACH(i, services) {
                const ComposeNode *profiles = compose_map_get(services->items[i], "profiles");

                COMPOSE_SEQ_FOREACH(j, profiles) {
                        const char *name = compose_node_str(profiles->items[j]);

                        if (name && !strv_contains(l->project->profiles, name) &&
                            strv_extend(&l->project->profiles, name) < 0)
                                return -ENOMEM;
                }
        }
        if (l->project->profiles)       /* qsort() takes no NULL */
                strv_sort(l->project->profiles);
        for (size_t i = 0; services && services->type == COMPOSE_NODE_MAP && i < services->n_items; ) {
                if (service_enabled(services->items[i], active)) {
                        i++;
                        continue;
                }
                (void) compose_map_remove(services, services->keys[i]->scalar);
        }
        return 0;
}

/* ---- names and files ----------------------------------------------------------------------- */

/* Lowercase, keep [a-z0-9_-], as docker compose's NormalizeProjectName. */
static char *normalize_project_name(const char *s) {
        StrBuf b = {};

        for (; *s; s++) {
                char c = tolower((unsigned char) *s);
                if (isalnum((unsigned char) c) || ((c == '_' || c == '-') && b.len > 0))
                        strbuf_append_char(&b, c);
        }
        return strbuf_steal(&b);
}

/* The project name, as compose-go finds it before interpolating anything: -p, else
 * COMPOSE_PROJECT_NAME, else the last `name:` of the top-level files (@raw, not interpolated yet:
 * the name is interpolated on its own), else the project directory's name. Interpolation then sees
 * it as COMPOSE_PROJECT_NAME. */
static int resolve_project_name(Loader *l, ComposeNode * const *raw, size_t n_raw) {
        ComposeProject *p = l->project;
        const char *name = l->options->project_name, *base;
        _cleanup_free_ char *n = NULL, *from_file = NULL;
        int r;

        if (!name)
                name = env_lookup("COMPOSE_PROJECT_NAME", p->environment);
        for (size_t i = 0; isempty(name) && i < n_raw; i++) {
                const ComposeNode *v = compose_map_get(raw[i], "name");

                if (!v || v->type != COMPOSE_NODE_STRING)
                        continue;
                free(from_file);
                from_file = NULL;
                if (l->options->skip_interpolate)
                        from_file = strdup(v->scalar);
                else {
                        NcError e = {};

                        r = compose_interpolate(v->scalar, env_lookup, p->environment, NULL, &from_file, &e);
                        if (r < 0)
                                return compose_node_error(v, l->reterr, r, "name", "%s", e.message);
                }
                if (!from_file)
                        return -ENOMEM;
        }
        if (isempty(name) && from_file) {
                free_and_replace_ptr(&n, normalize_project_name(from_file));
                if (!n)
                        return -ENOMEM;
                if (!isempty(n))
                        name = from_file;
        }
        if (isempty(name)) {
                base = strrchr(p->working_dir, '/');
                name = base && base[1] ? base + 1 : p->working_dir;
        }
        free_and_replace_ptr(&n, normalize_project_name(name));
        if (!n)
                return -ENOMEM;
        if (isempty(n))
                return nc_error_set(l->reterr, -EINVAL,
                                    "project name '%s' must contain a lowercase letter, digit, dash or underscore",
                                    name);
        r = strv_env_set(&p->environment, "COMPOSE_PROJECT_NAME", n);
        if (r < 0)
                return r;
        p->name = TAKE_PTR(n);
        return 0;
}

/* The raw trees of the top-level files, for their `name:`. */
static int resolve_project_name_files(Loader *l, char * const *files) {
        _cleanup_free_ ComposeNode **raw = NULL;
        size_t n = 0;

        if (!l->options->project_name && !env_lookup("COMPOSE_PROJECT_NAME", l->project->environment)) {
                raw = calloc(strv_length(files) + 1, sizeof *raw);
                if (!raw)
                        return -ENOMEM;
                STRV_FOREACH(f, files) {
                        _cleanup_free_ char *abs = absolute_path(l->options->files ? NULL : l->project->working_dir, *f);
                        LoadedFile *lf;
                        int r;

                        if (!abs)
                                return -ENOMEM;
                        r = parse_file_cached(l, abs, &lf);
                        if (r < 0)
                                return r;
                        raw[n++] = lf->parsed;   /* borrowed; the cache may move, its trees do not */
                }
        }
        return resolve_project_name(l, raw, n);
}

/* Without -f: COMPOSE_FILE, else the first default name found in the directory or its parents. */
static int find_files(Loader *l, char ***ret) {
        const char *env = env_lookup("COMPOSE_FILE", l->project->environment);
        const char *sep = env_lookup("COMPOSE_PATH_SEPARATOR", l->project->environment) ?: ":";
        _cleanup_free_ char *dir = strdup(l->project->working_dir);
        _cleanup_strv_free_ char **files = NULL;

        if (!dir)
                return -ENOMEM;
        if (!isempty(env)) {
                files = strv_split(env, sep);
                if (!files)
                        return -ENOMEM;
                if (!files[0])
                        return nc_error_set(l->reterr, -EINVAL, "COMPOSE_FILE='%s' names no file", env);
                *ret = TAKE_PTR(files);
                return 0;
        }
        for (;;) {
                for (size_t i = 0; i < ELEMENTSOF(default_files); i++) {
                        _cleanup_free_ char *f = path_join(dir, default_files[i]), *o = NULL;
                        char *dot;

                        if (!f)
                                return -ENOMEM;
                        if (access(f, F_OK) < 0)
                                continue;
                        o = strdup(f);
                        if (!o)
                                return -ENOMEM;
                        dot = strrchr(o, '.');
                        *dot = 0;
                        if (strv_extend(&files, f) < 0)
                                return -ENOMEM;
                        free_and_replace_ptr(&o, strjoin(o, ".override", strrchr(f, '.')));
                        if (!o)
                                return -ENOMEM;
                        if (access(o, F_OK) >= 0 && strv_extend(&files, o) < 0)
                                return -ENOMEM;
                        *ret = TAKE_PTR(files);
                        return 0;
                }
                if (streq(dir, "/"))
                        break;
                free_and_replace_ptr(&dir, path_dirname(dir));
                if (!dir)
                        return -ENOMEM;
        }
        return nc_error_set(l->reterr, -ENOENT,
                            "no configuration file provided: not found (compose.yaml, compose.yml, "
                            "docker-compose.yaml, docker-compose.yml in %s or its parents)",
                            l->project->working_dir);
}

static int load_env(Loader *l) {
        const ComposeOptions *o = l->options;
        ComposeProject *p = l->project;
        _cleanup_strv_free_ char **files = NULL, **env = NULL;
        _cleanup_free_ char *dflt = path_join(p->working_dir, ".env");

        if (!dflt)
                return -ENOMEM;
        if (o->env_files)
                files = strv_copy(o->env_files);
        else if (access(dflt, F_OK) >= 0)
                files = strv_split(dflt, "");
        else
                files = strv_split("", "");
        if (!files)
                return -ENOMEM;

        STRV_FOREACH(f, files) {
                _cleanup_free_ char *path = absolute_path(NULL, *f), *data = NULL;
                const char *file;
                int r;

                if (!path)
                        return -ENOMEM;
                file = intern_file(p, path);
                if (!file)
                        return -ENOMEM;
                r = compose_read_input(path, &data, NULL);
                if (r < 0)
                        return nc_error_set_at(l->reterr, r, file, 0, 0, "cannot read env file: %s",
                                               compose_read_strerror(r));
                r = compose_dotenv_parse(file, data, env_lookup, o->environ, &env, l->reterr);
                if (r < 0)
                        return r;
        }
        /* The process environment wins over .env: it goes last, and lookups search from the end. */
        STRV_FOREACH(e, o->environ)
                if (strv_extend(&env, *e) < 0)
                        return -ENOMEM;
        strv_free(p->environment);
        p->environment = env ? TAKE_PTR(env) : calloc(1, sizeof(char*));
        return p->environment ? 0 : -ENOMEM;
}

/* After merging, a !reset value that had nothing to reset is simply absent (as in compose-go), and
 * !override has done its work. */
static void drop_reset_tags(ComposeNode *n) {
        for (size_t i = 0; n && i < n->n_items; ) {
                if (n->type == COMPOSE_NODE_MAP && (n->items[i]->flags & COMPOSE_NODE_TAG_RESET)) {
                        (void) compose_map_remove(n, n->keys[i]->scalar);
                        continue;
                }
                n->items[i]->flags &= ~COMPOSE_NODE_TAG_OVERRIDE;
                drop_reset_tags(n->items[i]);
                i++;
        }
}

static int finish_model(Loader *l, ComposeNode *model) {
        ComposeProject *p = l->project;
        ComposeNode *version = compose_map_get(model, "version");
        int r;

        if (version) {
                _cleanup_free_ char *w = NULL;

                if (asprintf(&w, "%s:%u:%u: the attribute 'version' is obsolete, it will be ignored",
                             strempty(version->mark.file), version->mark.line, version->mark.column) < 0)
                        return -ENOMEM;
                r = add_warning(p, w);
                if (r < 0)
                        return r;
        }
        drop_reset_tags(model);
        r = apply_profiles(l, model);
        if (r < 0)
                return r;
        r = compose_map_set(model, "name", compose_node_new_string(p->name, NULL));
        if (r < 0)
                return r;
        if (!compose_map_get(model, "services") && !compose_map_get(model, "include")) {
                /* Not an error for compose-go either, but nothing to run; keep the canonical key. */
                r = compose_map_set(model, "services", compose_node_new(COMPOSE_NODE_MAP, NULL));
                if (r < 0)
                        return r;
        }
        r = compose_validate_schema(model, l->reterr);
        if (r < 0)
                return r;
        if (l->options->skip_normalize)
                return 0;
        (void) compose_map_remove(model, "version");
        r = compose_normalize(model, p->name, p->working_dir, env_lookup, p->environment,
                              !l->options->skip_env_resolution, l->reterr);
        if (r < 0)
                return r;
        r = compose_validate_references(model, l->reterr);
        if (r < 0)
                return r;
        return compose_drop_unused_resources(model);
}

static int project_new(const ComposeOptions *o, const char *first_file, ComposeProject **ret) {
        _cleanup_(compose_project_freep) ComposeProject *p = calloc(1, sizeof *p);
        char cwd[PATH_MAX];

        if (!p)
                return -ENOMEM;
        if (o->project_directory)
                p->working_dir = absolute_path(NULL, o->project_directory);
        else if (first_file) {
                _cleanup_free_ char *abs = absolute_path(NULL, first_file);
                p->working_dir = abs ? path_dirname(abs) : NULL;
        } else if (getcwd(cwd, sizeof cwd))
                p->working_dir = strdup(cwd);
        else
                return -errno;
        if (!p->working_dir)
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

static int load_files(Loader *l, char * const *files, ComposeNode **ret) {
        _cleanup_(compose_node_freep) ComposeNode *model = NULL;

        STRV_FOREACH(f, files) {
                _cleanup_free_ char *abs = absolute_path(l->options->files ? NULL : l->project->working_dir, *f);
                int r;

                if (!abs)
                        return -ENOMEM;
                r = load_file_merged(l, abs, &model);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(model);
        return 0;
}

int compose_project_load(const ComposeOptions *o, ComposeProject **ret, NcError *reterr) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_(loader_done) Loader l = { .options = o, .budget = COMPOSE_YAML_BUDGET_INIT, .reterr = reterr };
        int r;

        assert(o);
        assert(ret);

        r = project_new(o, o->files ? o->files[0] : NULL, &p);
        if (r < 0)
                return r;
        l.project = p;
        r = load_env(&l);
        if (r < 0)
                return r;
        if (!o->files) {
                r = find_files(&l, &files);
                if (r < 0)
                        return r;
        }
        if (!o->files && !o->project_directory && files[0][0] == '/') {
                /* Found in a parent directory: that is the project directory, with its own .env. */
                _cleanup_free_ char *dir = path_dirname(files[0]);
                if (!dir)
                        return -ENOMEM;
                if (!streq(dir, p->working_dir)) {
                        free_and_replace_ptr(&p->working_dir, TAKE_PTR(dir));
                        r = load_env(&l);
                        if (r < 0)
                                return r;
                }
        }
        r = resolve_project_name_files(&l, o->files ?: files);
        if (r < 0)
                return r;
        r = load_files(&l, o->files ?: files, &p->model);
        if (r < 0)
                return r;
        r = finish_model(&l, p->model);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

int compose_project_load_buffer(const char *path, const char *data, size_t size, const ComposeOptions *o,
                                ComposeProject **ret, NcError *reterr) {
        static const ComposeOptions empty = {};
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(compose_node_freep) ComposeNode *raw = NULL;
        _cleanup_(loader_done) Loader l = {
                .options = o ?: &empty, .budget = COMPOSE_YAML_BUDGET_INIT, .reterr = reterr,
        };
        int r;

        assert(path);
        assert(ret);

        r = project_new(l.options, path, &p);
        if (r < 0)
                return r;
        l.project = p;
        p->environment = strv_copy(l.options->environ);
        if (!p->environment)
                return -ENOMEM;
        if (!l.options->project_name && !env_lookup("COMPOSE_PROJECT_NAME", p->environment)) {
                r = parse_data(&l, path, data, size, &raw);
                if (r < 0)
                        return r;
        }
        r = resolve_project_name(&l, &raw, !!raw);
        if (r < 0)
                return r;
        r = load_data(&l, path, data, size, &p->model);
        if (r < 0)
                return r;
        r = finish_model(&l, p->model);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

ComposeProject *compose_project_free(ComposeProject *p) {
        if (!p)
                return NULL;
        compose_node_free(p->model);
        free(p->name);
        free(p->working_dir);
        strv_free(p->files);
        strv_free(p->environment);
        strv_free(p->warnings);
        strv_free(p->profiles);
        free(p);
        return NULL;
}

/* ---- dependency order ---------------------------------------------------------------------- */

static bool deps_placed(const ComposeNode *svc, char * const *placed) {
        const ComposeNode *deps = compose_map_get(svc, "depends_on");

        COMPOSE_MAP_FOREACH(i, deps)
                if (!strv_contains(placed, deps->keys[i]->scalar))
                        return false;
        return true;
}

char **compose_project_service_names(const ComposeProject *p) {
        _cleanup_strv_free_ char **sorted = calloc(1, sizeof(char*)), **names = calloc(1, sizeof(char*));
        const ComposeNode *services;

        assert(p);

        services = compose_map_get(p->model, "services");
        if (!sorted || !names)
                return NULL;
        COMPOSE_MAP_FOREACH(i, services)
                if (strv_extend(&names, services->keys[i]->scalar) < 0)
                        return NULL;
        strv_sort(names);
        /* Repeatedly place the first (by name) service whose dependencies are all placed; the
         * reference check has excluded cycles, but stay finite if a caller skipped it. */
        for (size_t placed = 0, n = strv_length(names); placed < n; ) {
                bool progress = false;

                STRV_FOREACH(s, names) {
                        if (strv_contains(sorted, *s) || !deps_placed(compose_map_get(services, *s), sorted))
                                continue;
                        if (strv_extend(&sorted, *s) < 0)
                                return NULL;
                        placed++;
                        progress = true;
                        break;
                }
                if (!progress)
                        STRV_FOREACH(s, names)
                                if (!strv_contains(sorted, *s)) {
                                        if (strv_extend(&sorted, *s) < 0)
                                                return NULL;
                                        placed++;
                                }
        }
        return TAKE_PTR(sorted);
}
