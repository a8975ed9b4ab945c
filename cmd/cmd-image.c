/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image: the image store (docs/runtime.md), and export, a service's root as an archive. `ls` what it holds, its disk use, the references to
 * each image and what uses it; `rm` an image no one uses (by digest, its 12-digit prefix, or a
 * reference); `prune` every image no one uses, as `docker image prune -a` does. */
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "reconcile/bus-unit.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "reconcile/image-gc.h"
#include "reconcile/names.h"
#include "reconcile/runtime/runtime.h"

static void image_help(void) {
        printf("Usage: nspawn-compose image ls [--format table|json]\n"
               "       nspawn-compose image rm IMAGE...\n"
               "       nspawn-compose image prune [--dry-run]\n"
               "       nspawn-compose image import NAME TARBALL\n\n"
               "The image store: what it holds, its disk use, the references to each image and\n"
               "what uses it (installed services, one-offs, generations kept for a rollback).\n"
               "IMAGE is a digest, its first 12 hex digits, or a reference. rm and prune take only\n"
               "images nothing uses; prune leaves those imported in the last 10 minutes. import makes\n"
               "a root filesystem tarball (.tar, or compressed: gzip, xz, zstd, bzip2) an image NAME,\n"
               "which `image: NAME` then runs without a pull.\n");
}

static int image_ls(bool json) {
        StoredImage *l = NULL;
        json_object *list = json ? json_object_new_array() : NULL;
        NcError err = {};
        size_t n = 0;
        int r;

        r = image_store_list(NULL, &l, &n, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        if (!json)
                printf("%-12s %-9s %-40s %s\n", "IMAGE ID", "SIZE", "REFERENCES", "USED BY");
        for (size_t i = 0; i < n; i++) {
                char **refs = l[i].refs;        /* as written (image_store_list()) */
                _cleanup_free_ char *rs = NULL, *us = NULL;
                char size[32];

                if (json) {
                        json_object *o = json_object_new_object(), *ra = json_object_new_array(),
                                    *ua = json_object_new_array();

                        STRV_FOREACH(x, refs)
                                json_object_array_add(ra, json_object_new_string(*x));
                        STRV_FOREACH(u, l[i].users)
                                json_object_array_add(ua, json_object_new_string(*u));
                        json_object_object_add(o, "ID", json_object_new_string(l[i].digest));
                        json_object_object_add(o, "Size", json_object_new_int64((int64_t) l[i].bytes));
                        json_object_object_add(o, "References", ra);
                        json_object_object_add(o, "UsedBy", ua);
                        json_object_array_add(list, o);
                        continue;
                }
                rs = strv_join(refs, ", ");
                us = strv_join(l[i].users, ", ");
                cmd_human_size(size, sizeof size, l[i].bytes, false);
                printf("%-12.12s %-9s %-40s %s\n", l[i].digest + strlen("sha256:"), size,
                       isempty(rs) ? "<none>" : rs, isempty(us) ? "-" : us);
        }
        if (json)
                puts(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
        json_object_put(list);
        stored_images_free(l, n);
        return 0;
}

/* The image @what names: a reference to it (*ret_ref: that reference, normalized), or its digest,
 * whole or from its first 12 hex digits (which must name one image alone). NULL, logged, when none. */
static StoredImage *image_find(StoredImage *l, size_t n, const char *what, char **ret_ref) {
        _cleanup_free_ char *norm = NULL;
        const char *hex = startswith(what, "sha256:") ?: what;
        StoredImage *found = NULL;

        *ret_ref = NULL;
        (void) image_ref_normalize(what, &norm, NULL);
        if (norm && image_ref_file_transport(norm))
                norm[image_ref_file_base_len(norm)] = 0;        /* as image_store_list() shows it */
        for (size_t i = 0; norm && i < n; i++)
                if (strv_contains(l[i].refs, norm)) {
                        *ret_ref = TAKE_PTR(norm);
                        return &l[i];
                }
        for (size_t i = 0; strlen(hex) >= 12 && i < n; i++) {
                if (!startswith(l[i].digest + strlen("sha256:"), hex))
                        continue;
                if (found) {
                        log_error("%s names more than one image: give more of the digest.", what);
                        return NULL;
                }
                found = &l[i];
        }
        if (!found)
                log_error("No such image: %s", what);
        return found;
}

/* docker image rm: a reference is untagged, and the image goes with its last one; a digest removes
 * the image, which must then have one reference at most (docker's "referenced in multiple
 * repositories"). What something uses is never removed. */
static int image_rm_one(StoredImage *img, const char *ref) {
        NcError err = {};
        int r;

        if (ref && strv_length(img->refs) > 1) {
                r = image_ref_remove(NULL, ref, &err);
                if (r < 0)
                        return cmd_log_error(r, &err);
                printf("Untagged: %s\n", ref);
                return 0;
        }
        if (img->users) {
                _cleanup_free_ char *users = strv_join(img->users, ", ");

                return log_error_errno(-EBUSY, "Image %s is in use (%s): not removed.", img->digest, strempty(users));
        }
        if (!ref && strv_length(img->refs) > 1) {
                _cleanup_free_ char *refs = strv_join(img->refs, ", ");

                return log_error_errno(-EBUSY, "Image %s is referenced by %s: remove those by name.", img->digest,
                                       strempty(refs));
        }
        r = image_store_remove(NULL, img->digest, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        STRV_FOREACH(x, img->refs)
                printf("Untagged: %s\n", *x);
        printf("Deleted: %s\n", img->digest);
        return 0;
}

static int image_rm(char **what) {
        _cleanup_close_ int lock = -EBADF;
        StoredImage *l = NULL;
        NcError err = {};
        size_t n = 0;
        int r, failed = 0;

        /* no apply chooses an image while we look for its users and remove it */
        lock = image_store_lock(NULL, /* exclusive= */ true, &err);
        if (lock < 0)
                return cmd_log_error(lock, &err);
        STRV_FOREACH(w, what) {
                _cleanup_free_ char *ref = NULL;
                StoredImage *img;

                /* listed again for each: what an earlier one untagged or removed shows */
                err = (NcError) {};
                r = image_store_list(NULL, &l, &n, &err);
                if (r < 0)
                        return cmd_log_error(r, &err);
                img = image_find(l, n, *w, &ref);
                r = img ? image_rm_one(img, ref) : -ENOENT;
                if (r < 0)
                        failed = r;
                stored_images_free(l, n);
                l = NULL;
                n = 0;
        }
        return failed;
}

static int image_prune(bool dry_run) {
        _cleanup_close_ int lock = -EBADF;
        StoredImage *l = NULL;
        NcError err = {};
        uint64_t now, freed = 0;
        struct timespec ts;
        size_t n = 0;
        char size[32];
        int r;

        lock = image_store_lock(NULL, /* exclusive= */ true, &err);
        if (lock < 0)
                return cmd_log_error(lock, &err);
        r = image_store_list(NULL, &l, &n, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        clock_gettime(CLOCK_REALTIME, &ts);
        now = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
        for (size_t i = 0; i < n; i++) {
                if (l[i].users || l[i].mtime_usec + IMAGE_PRUNE_GRACE_USEC > now)
                        continue;
                if (!dry_run) {
                        err = (NcError) {};
                        r = image_store_remove(NULL, l[i].digest, &err);
                        if (r < 0) {
                                (void) cmd_log_error(r, &err);
                                continue;
                        }
                }
                printf("%s: %s\n", dry_run ? "Would delete" : "Deleted", l[i].digest);
                freed += l[i].bytes;
        }
        cmd_human_size(size, sizeof size, freed, false);
        printf("Total reclaimed space: %s%s\n", size, dry_run ? " (dry run)" : "");
        stored_images_free(l, n);
        return 0;
}

static int image_import(const char *name, const char *tarball) {
        _cleanup_free_ char *digest = NULL;
        NcError err = {};
        int r;

        r = image_import_rootfs(NULL, name, tarball, &digest, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        printf("%s\n", digest);
        return 0;
}

int cmd_image(int argc, char *argv[], CmdGlobal *g) {
        enum { ARG_FORMAT = 0x100, ARG_DRY_RUN };
        static const struct option options[] = {
                { "format",  required_argument, NULL, ARG_FORMAT  },
                { "dry-run", no_argument,       NULL, ARG_DRY_RUN },
                { "help",    no_argument,       NULL, 'h'         },
                {}
        };
        bool json = false, dry_run = g->dry_run;
        const char *verb;
        int c, n;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_FORMAT:
                        if (!streq(optarg, "json") && !streq(optarg, "table"))
                                return log_error("invalid --format \"%s\": expected table or json", optarg), 1;
                        json = streq(optarg, "json");
                        break;
                case ARG_DRY_RUN:
                        dry_run = true;
                        break;
                case 'h':
                        image_help();
                        return 0;
                default:
                        return 1;
                }
        n = argc - optind;
        verb = n > 0 ? argv[optind] : NULL;
        if (streq_ptr(verb, "ls") && n == 1)
                return image_ls(json) < 0;
        if (streq_ptr(verb, "rm") && n >= 2)
                return image_rm(argv + optind + 1) < 0;
        if (streq_ptr(verb, "prune") && n == 1)
                return image_prune(dry_run) < 0;
        if (streq_ptr(verb, "import") && n == 3)
                return image_import(argv[optind + 1], argv[optind + 2]) < 0;
        log_error("Expected 'ls', 'rm IMAGE...', 'prune [--dry-run]' or 'import NAME TARBALL'; see 'image --help'.");
        return 1;
}

/* export: docker compose export, a service's root (its writable layer over its image) as a tar
 * archive, to -o FILE or stdout. The service must be stopped, and the project's lock is held while
 * the layer is read, so that no apply starts it: the layer a machine writes must not change while
 * it is read (docker exports a running container). -o FILE is written to a new file beside it,
 * renamed over FILE once complete. */
enum { ARG_INDEX = 0x100 };

const CmdOption cmd_export_options[] = {
        { "output", 'o', "FILE", 'o', "Write to a file, instead of STDOUT" },
        { "index",  0,   "N",    ARG_INDEX, "Index of the container if service has multiple replicas" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_HELP,
        {}
};

static int parse_export_option(int id, const char *arg, void *userdata) {
        const char **output = userdata;

        if (id == 'o')
                *output = arg;
        return id == ARG_INDEX ? cmd_parse_index(id, arg) : 0;
}

int cmd_export(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(cmd_units_done) CmdUnits u = {};
        _cleanup_(service_spec_freep) ServiceSpec *spec = NULL;
        _cleanup_free_ char *unit = NULL, *dir = NULL, *path = NULL, *state = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -EBADF, lock = -EBADF;
        const char *output = NULL, *service;
        const ActualUnit *au;
        NcError err = {};
        int r;

        r = cmd_parse(argc, argv, g, parse_export_option, &output);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (argc - optind != 1)
                return log_error("export requires exactly 1 argument: SERVICE"), CMD_EXIT_USAGE;
        service = argv[optind];
        if (cmd_units_open(g, STRV_MAKE((char *) service), &u) < 0)
                return CMD_EXIT_ERROR;
        au = cmd_units_find(&u, service, &unit);
        if (!g->dry_run) {
                lock = reconcile_lock_project(u.project->name, &err);
                if (lock < 0)
                        return cmd_log_error(lock, &err), CMD_EXIT_ERROR;
        }
        /* what it is now that no apply runs */
        if (au && bus_unit_get_string(u.bus, unit, "org.freedesktop.systemd1.Unit", "ActiveState", &state) < 0)
                return log_error("Cannot read the state of %s.", unit), CMD_EXIT_ERROR;
        if (state && !streq(state, "inactive") && !streq(state, "failed"))
                return log_error("Service %s is %s: stop it first (its writable layer must not change while "
                                 "it is read).", service, state), CMD_EXIT_ERROR;
        dir = name_settings_dir(u.project->name, g->runtime);
        if (!dir || asprintf(&path, "%s/%s.json", dir, service) < 0)
                return log_oom(), CMD_EXIT_ERROR;
        r = service_spec_load(path, &spec, &err);
        if (r < 0)
                return log_error_errno(r, "Service %s has no settings (%s): run 'nspawn-compose create %s' first.",
                                       service, path, service), CMD_EXIT_ERROR;
        if (!output && isatty(STDOUT_FILENO))
                return log_error("Refusing to write an archive to a terminal: use -o FILE or redirect."),
                        CMD_EXIT_ERROR;
        if (g->dry_run)
                return 0;
        if (output) {
                if (asprintf(&tmp, "%s.XXXXXX", output) < 0)
                        return log_oom(), CMD_EXIT_ERROR;
                fd = mkostemp(tmp, O_CLOEXEC);          /* 0600, ours: the root may hold secrets */
                if (fd < 0)
                        return log_error_errno(-errno, "%s: %m", tmp), CMD_EXIT_ERROR;
        }
        r = service_rootfs_export(spec, NULL, fd >= 0 ? fd : STDOUT_FILENO, &err);
        if (r >= 0 && output && (fsync(fd) < 0 || rename(tmp, output) < 0))
                r = nc_error_set(&err, -errno, "%s: %m", output);
        if (r < 0) {
                if (output)
                        (void) unlink(tmp);     /* ours; FILE itself was never touched */
                return cmd_log_error(r, &err), CMD_EXIT_ERROR;
        }
        return 0;
}
