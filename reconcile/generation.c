/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "lib/json-util.h"
#include "lib/strv.h"
#include "reconcile/generation.h"

#define GENERATION_JSON_MAX (16U * 1024U * 1024U)

void generation_done(Generation *g) {
        free(g->working_dir);
        free(g->model_path);
        strv_free(g->digests);
        strv_free(g->hashes);
        free(g->failure);
        *g = (Generation) {};
}

void generations_free(Generation *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                generation_done(&l[i]);
        free(l);
}

/* "service\nhash" of every service of @d, sorted. */
static char **desired_hashes(const DesiredState *d) {
        char **l = NULL;

        for (size_t i = 0; i < d->n_services; i++)
                if (strv_consume(&l, strjoin(d->services[i].name, "\n", d->services[i].hash)) < 0)
                        return strv_free(l);
        strv_sort(l);
        return l ?: calloc(1, sizeof(char *));
}

static bool hashes_equal(char **h, const Generation *g) {
        size_t n = strv_length(h);

        if (!h || n != strv_length(g->hashes))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(h[i], g->hashes[i]))
                        return false;
        return true;
}

bool generation_matches(const Generation *g, const DesiredState *d) {
        _cleanup_strv_free_ char **h = desired_hashes(d);

        return hashes_equal(h, g);
}

bool generation_has_service(const Generation *g, const char *service) {
        return strv_pair_value(g->hashes, service);
}

bool generation_is_installed(const Generation *g, const ActualState *a) {
        /* the generation's services, each installed with its hash; others (orphans kept) do not count */
        STRV_FOREACH(h, g->hashes) {
                const char *nl = strchr(*h, '\n');
                bool found = false;

                for (size_t i = 0; nl && !found && i < a->n_units; i++)
                        found = a->units[i].service && a->units[i].file_hash &&
                                strlen(a->units[i].service) == (size_t) (nl - *h) &&
                                strncmp(a->units[i].service, *h, nl - *h) == 0 && streq(a->units[i].file_hash, nl + 1);
                if (!found)
                        return false;
        }
        return true;
}

size_t generation_installed(const Generation *l, size_t n, const ActualState *a) {
        for (size_t i = n; i > 0; i--)
                if (!l[i - 1].failure && generation_is_installed(&l[i - 1], a))
                        return i - 1;
        return n;
}

/* {"K": "V"} of "K\nV" lines. */
static json_object *pairs_to_json(char **l) {
        json_object *o = json_object_new_object();

        STRV_FOREACH(p, l) {
                const char *nl = strchr(*p, '\n');
                _cleanup_free_ char *k = nl ? strndup(*p, nl - *p) : NULL;

                if (k)
                        json_object_object_add(o, k, json_object_new_string(nl + 1));
        }
        return o;
}

static int pairs_from_json(json_object *o, char ***ret) {
        char **l = NULL;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        json_object_object_foreach(o, k, v) {
                if (!json_object_is_type(v, json_type_string) ||
                    strv_consume(&l, strjoin(k, "\n", json_object_get_string(v))) < 0) {
                        strv_free(l);
                        return -EBADMSG;
                }
        }
        strv_sort(l);
        *ret = l;
        return 0;
}

static int record_parse(json_object *root, Generation *g) {
        json_object *v;

        if (!json_object_object_get_ex(root, "created_usec", &v) || !json_object_is_type(v, json_type_int))
                return -EBADMSG;
        g->created_usec = (uint64_t) json_object_get_int64(v);
        if (!json_object_object_get_ex(root, "working_dir", &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        g->working_dir = strdup(json_object_get_string(v));
        if (!g->working_dir)
                return -ENOMEM;
        if (json_object_object_get_ex(root, "failure", &v) && json_object_is_type(v, json_type_string) &&
            !(g->failure = strdup(json_object_get_string(v))))
                return -ENOMEM;
        if (pairs_from_json(json_object_object_get(root, "digests"), &g->digests) < 0 ||
            pairs_from_json(json_object_object_get(root, "services"), &g->hashes) < 0)
                return -EBADMSG;
        return 0;
}

static int generation_parse(const char *dir, unsigned id, Generation *ret, NcError *reterr) {
        _cleanup_free_ char *gen = NULL, *path = NULL, *text = NULL;
        _cleanup_(json_object_putp) json_object *root = NULL;
        Generation g = { .id = id };
        int r;

        if (asprintf(&gen, "%s/%u", dir, id) < 0 || !(path = path_join(gen, "generation.json")) ||
            !(g.model_path = path_join(gen, "compose.json"))) {
                generation_done(&g);
                return -ENOMEM;
        }
        r = read_full_file_max(path, GENERATION_JSON_MAX, &text, NULL);
        if (r >= 0) {
                root = json_tokener_parse(text);
                r = record_parse(root, &g);
        }
        if (r < 0) {
                generation_done(&g);
                return r == -ENOMEM ? r : nc_error_set(reterr, r, "%s: %s", path,
                                                       r == -EBADMSG ? "not a generation record" : strerror(-r));
        }
        *ret = g;
        return 0;
}

static int id_compare(const void *a, const void *b) {
        unsigned x = *(const unsigned *) a, y = *(const unsigned *) b;

        return x < y ? -1 : x > y;
}

/* The numbers of the generations in @dir, sorted. */
static int generation_ids(const char *dir, unsigned **ret, size_t *ret_n) {
        _cleanup_free_ unsigned *ids = NULL;
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        if (!d && errno == ENOENT) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char *end;
                unsigned long v;
                unsigned *grown;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                errno = 0;
                v = strtoul(de->d_name, &end, 10);
                if (errno || *end || v > UINT_MAX)
                        continue;
                grown = reallocarray(ids, n + 1, sizeof *ids);
                if (!grown) {
                        closedir(d);
                        return -ENOMEM;
                }
                ids = grown;
                ids[n++] = (unsigned) v;
        }
        closedir(d);
        if (n > 0)
                qsort(ids, n, sizeof *ids, id_compare);
        *ret = TAKE_PTR(ids);
        *ret_n = n;
        return 0;
}

int generations_read(const char *project, Generation **ret, size_t *ret_n, NcError *reterr) {
        _cleanup_free_ char *dir = name_generations_dir(project);
        _cleanup_free_ unsigned *ids = NULL;
        Generation *l = NULL;
        size_t n = 0, k = 0;
        int r;

        if (!dir)
                return -ENOMEM;
        r = generation_ids(dir, &ids, &n);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", dir);
        if (n > 0 && !(l = calloc(n, sizeof *l)))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = generation_parse(dir, ids[i], &l[k], reterr);
                if (r == -ENOMEM) {
                        generations_free(l, k);
                        return r;
                }
                /* a record cut short (a crash between its two files) is not a generation */
                if (r >= 0)
                        k++;
                else if (reterr)
                        *reterr = (NcError) {};
        }
        *ret = l;
        *ret_n = k;
        return 0;
}

static void generation_remove(const char *dir, unsigned id) {
        _cleanup_free_ char *gen = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (asprintf(&gen, "%s/%u", dir, id) < 0)
                return;
        fd = open(gen, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return;
        (void) unlinkat(fd, "generation.json", 0);
        (void) unlinkat(fd, "compose.json", 0);
        (void) rmdir(gen);
}

const Generation *generation_last_good(const Generation *l, size_t n) {
        for (size_t i = n; i > 0; i--)
                if (!l[i - 1].failure)
                        return &l[i - 1];
        return NULL;
}

/* The oldest beyond GENERATIONS_KEPT go, but never the newest good one (failed attempts in a row
 * must not leave nothing to roll back to) nor the one installed as @actual has it (what a failed
 * apply rolls back to). */
static void prune(const char *project, const char *dir, const ActualState *actual) {
        const Generation *good;
        Generation *all = NULL;
        size_t n = 0, excess, installed;

        if (generations_read(project, &all, &n, NULL) < 0)
                return;
        good = generation_last_good(all, n);
        installed = actual ? generation_installed(all, n, actual) : n;
        excess = n > GENERATIONS_KEPT ? n - GENERATIONS_KEPT : 0;
        for (size_t i = 0; excess > 0 && i < n; i++)
                if (&all[i] != good && i != installed) {
                        generation_remove(dir, all[i].id);
                        excess--;
                }
        generations_free(all, n);
}

int generation_record(const Reconcile *c, const char *failure, NcError *reterr) {
        _cleanup_free_ char *dir = name_generations_dir(c->project->name), *gen = NULL, *model = NULL, *path = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_strv_free_ char **hashes = desired_hashes(c->desired);
        _cleanup_free_ unsigned *ids = NULL;
        Generation *all = NULL;
        struct timespec now;
        const char *text;
        size_t n = 0;
        unsigned next;
        bool same;
        int r;

        if (!dir || !hashes)
                return -ENOMEM;
        r = generations_read(c->project->name, &all, &n, reterr);
        if (r < 0)
                return r;
        same = n > 0 && generation_matches(&all[n - 1], c->desired) && !all[n - 1].failure == !failure;
        generations_free(all, n);
        if (same)
                return 0;
        r = generation_ids(dir, &ids, &n);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", dir);
        next = n > 0 ? ids[n - 1] + 1 : 1;
        r = mkdir_parents_and_self(dir, 0700);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", dir);
        if (asprintf(&gen, "%s/%u", dir, next) < 0)
                return -ENOMEM;
        if (mkdir(gen, 0700) < 0)
                return nc_error_set(reterr, -errno, "%s: %m", gen);
        model = compose_dump_json(c->project->model);
        path = path_join(gen, "compose.json");
        if (!model || !path)
                return -ENOMEM;
        r = write_file_atomic(path, model, strlen(model), 0600);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", path);
        o = json_object_new_object();
        json_object_object_add(o, "generation", json_object_new_int64(next));
        clock_gettime(CLOCK_REALTIME, &now);
        json_object_object_add(o, "created_usec", json_object_new_int64((int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000));
        json_object_object_add(o, "working_dir", json_object_new_string(c->project->working_dir));
        json_object_object_add(o, "digests", pairs_to_json(c->digests));
        json_object_object_add(o, "services", pairs_to_json(hashes));
        if (failure)
                json_object_object_add(o, "failure", json_object_new_string(failure));
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
        free(path);
        path = path_join(gen, "generation.json");
        if (!path)
                return -ENOMEM;
        r = write_file_atomic(path, text, strlen(text), 0600);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", path);
        prune(c->project->name, dir, c->actual);
        return 1;
}

int generation_load_project(const char *project, const Generation *g, char **environment, ComposeProject **ret,
                            NcError *reterr) {
        char *files[] = { g->model_path, NULL }, *profiles[] = { (char *) "*", NULL };
        ComposeOptions o = {
                .files = files,
                .project_name = project,
                .project_directory = g->working_dir,
                .profiles = profiles,
                .environ = environment,
        };

        return compose_project_load(&o, ret, reterr);
}
