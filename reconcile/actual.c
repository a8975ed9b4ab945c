/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "lib/fileio.h"
#include "lib/strv.h"
#include "reconcile/actual.h"
#include "reconcile/bus.h"
#include "reconcile/names.h"

/* Actual state: what of ours is really on this host. Files are read from disk; units from systemd
 * in one ListUnitsByPatterns call plus one GetAll per interface for each of our units. Ownership is
 * read from what we wrote: the X-NspawnCompose-Project= line in a unit, our own directories. */

/* ---- files --------------------------------------------------------------------------------- */

static int add_file(ActualState *a, const char *root, const char *path) {
        _cleanup_free_ char *full = path_join(root, path);
        ActualFile f = {}, *n;
        struct stat st;
        int r;

        if (!full)
                return -ENOMEM;
        if (lstat(full, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        f.mode = st.st_mode & 07777;
        if (S_ISLNK(st.st_mode)) {
                char buf[4096];
                ssize_t l = readlink(full, buf, sizeof buf - 1);
                if (l < 0)
                        return -errno;
                buf[l] = 0;
                f.symlink = strdup(buf);
                if (!f.symlink)
                        return -ENOMEM;
        } else if (S_ISREG(st.st_mode)) {
                r = read_full_file(full, &f.content, &f.size);
                if (r < 0)
                        return r;
        } else
                return 0;
        n = realloc(a->files, (a->n_files + 1) * sizeof *n);
        if (!n) {
                actual_file_done(&f);
                return -ENOMEM;
        }
        a->files = n;
        f.path = strdup(path);
        if (!f.path) {
                actual_file_done(&f);
                return -ENOMEM;
        }
        a->files[a->n_files++] = f;
        return 1;
}

/* Every file of a directory that is wholly ours (the project's settings directory), and of its
 * secrets/ and configs/ subdirectories. (With --runtime it also holds the services' runtime
 * directories, which are not files we install.) */
static int read_own_dir(ActualState *a, const char *root, const char *dir, bool top) {
        _cleanup_free_ char *full = path_join(root, dir);
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        if (!full)
                return -ENOMEM;
        d = opendir(full);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;

                if (de->d_name[0] == '.')
                        continue;
                p = path_join(dir, de->d_name);
                if (!p)
                        return -ENOMEM;
                if (de->d_type != DT_DIR)
                        r = add_file(a, root, p);
                else if (top && (streq(de->d_name, "secrets") || streq(de->d_name, "configs")))
                        r = read_own_dir(a, root, p, false);
                else
                        continue;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Our units: nspawn-compose-P.target, nspawn-compose-P.*.service and nspawn-compose-P-*.service (the
 * network unit, and service units of earlier releases) whose text names project P. */
static int read_unit_dir(ActualState *a, const char *root, const char *dir) {
        _cleanup_free_ char *full = path_join(root, dir), *prefix = NULL, *marker = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        prefix = strjoin(NC_UNIT_PREFIX, a->project);
        if (!full || !prefix ||
            asprintf(&marker, "\nX-NspawnCompose-Project=%s\n", a->project) < 0)
                return -ENOMEM;
        d = opendir(full);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;
                const char *rest = startswith(de->d_name, prefix);

                if (!rest || !(streq(rest, ".target") || (strchr(".-", rest[0]) && endswith(rest, ".service"))))
                        continue;
                p = path_join(dir, de->d_name);
                if (!p)
                        return -ENOMEM;
                r = add_file(a, root, p);
                if (r < 0)
                        return r;
                if (r > 0 && (!a->files[a->n_files - 1].content ||
                              !strstr(a->files[a->n_files - 1].content, marker))) {
                        /* Not ours: same prefix, another project (or someone else's file). Forget it. */
                        actual_file_done(&a->files[--a->n_files]);
                }
        }
        return 0;
}

static int cmp_file(const void *x, const void *y) {
        return strcmp(((const ActualFile*) x)->path, ((const ActualFile*) y)->path);
}

/* The project a unit's X-NspawnCompose-Project= names ("" for none). NULL on OOM. */
static char *unit_owner(const char *content) {
        const char *v = strstr(strempty(content), "\nX-NspawnCompose-Project=");

        if (!v)
                return strdup("");
        v += strlen("\nX-NspawnCompose-Project=");
        return strndup(v, strcspn(v, "\n"));
}

/* A desired path in the unit directory may hold someone else's unit: note whose. */
static int mark_foreign(ActualState *a, const char *unit_dir) {
        for (size_t i = 0; i < a->n_files; i++) {
                ActualFile *f = &a->files[i];
                const char *rest = startswith(f->path, unit_dir);

                if (!rest || rest[0] != '/' || strchr(rest + 1, '/') || !f->content)
                        continue;
                f->foreign_owner = unit_owner(f->content);
                if (!f->foreign_owner)
                        return -ENOMEM;
                if (streq(f->foreign_owner, a->project))
                        f->foreign_owner = mfree(f->foreign_owner);
        }
        return 0;
}

static int read_files(ActualState *a, const char *root, bool runtime, char * const *also) {
        _cleanup_free_ char *settings = name_settings_dir(a->project, runtime), *target = name_target_unit(a->project);
        _cleanup_free_ char *wants = NULL;
        const char *unit_dir = name_unit_dir(runtime);
        int r;

        if (!settings || !target || asprintf(&wants, "%s/multi-user.target.wants/%s", unit_dir, target) < 0)
                return -ENOMEM;
        r = read_own_dir(a, root, settings, true);
        if (r < 0)
                return r;
        r = read_unit_dir(a, root, unit_dir);
        if (r < 0)
                return r;
        r = add_file(a, root, wants);
        if (r < 0)
                return r;
        STRV_FOREACH(p, also) {
                if (actual_state_find_file(a, *p))
                        continue;
                r = add_file(a, root, *p);
                if (r < 0)
                        return r;
        }
        r = mark_foreign(a, unit_dir);
        if (r < 0)
                return r;
        if (a->n_files > 0)
                qsort(a->files, a->n_files, sizeof *a->files, cmp_file);
        return 0;
}

static int read_started_hashes(ActualState *a, const char *root) {
        _cleanup_free_ char *dir = name_runtime_dir(a->project, NULL), *full = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        if (!dir)
                return -ENOMEM;
        full = path_join(root, dir);
        if (!full)
                return -ENOMEM;
        d = opendir(full);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL, *h = NULL;

                if (de->d_name[0] == '.' || asprintf(&p, "%s/%s/started-hash", full, de->d_name) < 0)
                        continue;
                if (read_full_file(p, &h, NULL) < 0)
                        continue;
                h[strcspn(h, "\n")] = 0;
                if (strv_consume(&a->started_hashes, strjoin(de->d_name, "=", h)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* ---- units --------------------------------------------------------------------------------- */

static int unit_add(ActualState *a, const char *name, const char *load, const char *active, const char *sub,
                    ActualUnit **ret) {
        ActualUnit *n = realloc(a->units, (a->n_units + 1) * sizeof *n), *u;

        if (!n)
                return -ENOMEM;
        a->units = n;
        u = &a->units[a->n_units];
        *u = (ActualUnit) {
                .name = strdup(name),
                .load_state = strdup(load),
                .active_state = strdup(active),
                .sub_state = strdup(sub),
        };
        if (!u->name || !u->load_state || !u->active_state || !u->sub_state) {
                actual_unit_done(u);
                return -ENOMEM;
        }
        a->n_units++;
        *ret = u;
        return 0;
}

static int read_string_prop(sd_bus_message *m, char **ret) {
        const char *s;
        int r;

        r = sd_bus_message_read(m, "v", "s", &s);
        if (r < 0)
                return r;
        free_and_replace_ptr(ret, strdup(s));
        return *ret ? 0 : -ENOMEM;
}

static int read_invocation_id(sd_bus_message *m, char **ret) {
        const uint8_t *id;
        size_t n;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "ay");
        if (r < 0)
                return r;
        r = sd_bus_message_read_array(m, 'y', (const void**) &id, &n);
        if (r < 0)
                return r;
        free(*ret);
        *ret = calloc(1, n * 2 + 1);
        if (!*ret)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                sprintf(*ret + i * 2, "%02x", id[i]);
        return sd_bus_message_exit_container(m);
}

/* The properties we read, each with its interface; read one by one with Get (a GetAll of a unit
 * serializes some two hundred properties, which costs systemd and us far more than these few). */
static const struct {
        const char *iface;
        const char *name;
        bool service_only;
} unit_props[] = {
        { "org.freedesktop.systemd1.Unit",    "NeedDaemonReload", false },
        { "org.freedesktop.systemd1.Unit",    "InvocationID",     false },
        { "org.freedesktop.systemd1.Unit",    "FragmentPath",     false },
        { "org.freedesktop.systemd1.Service", "Result",           true  },
        { "org.freedesktop.systemd1.Service", "StatusText",       true  },
        { "org.freedesktop.systemd1.Service", "NRestarts",        true  },
};

/* Reads the variant of property @key of a Get reply into @u. */
static int read_prop(sd_bus_message *m, const char *key, ActualUnit *u) {
        int b, r;

        if (streq(key, "NeedDaemonReload")) {
                r = sd_bus_message_read(m, "v", "b", &b);
                u->need_daemon_reload = b;
                return r;
        }
        if (streq(key, "InvocationID"))
                return read_invocation_id(m, &u->invocation_id);
        if (streq(key, "FragmentPath"))
                return read_string_prop(m, &u->fragment_path);
        if (streq(key, "Result"))
                return read_string_prop(m, &u->result);
        if (streq(key, "StatusText"))
                return read_string_prop(m, &u->status_text);
        if (streq(key, "NRestarts"))
                return sd_bus_message_read(m, "v", "u", &u->n_restarts);
        return sd_bus_message_skip(m, "v");
}

/* The calls are sent all at once and their replies parsed as they come: the round trips overlap,
 * so reading 50 units costs little more than reading one. */
typedef struct PropCall {
        ActualUnit *unit;
        const char *prop;
        unsigned *pending;
        int error;
        sd_bus_slot *slot;              /* unref'ed before the calls are freed: no late callback */
} PropCall;

/* The calls in flight for one read: every slot is unref'ed before the calls go, so no callback comes late. */
typedef struct PropCalls {
        PropCall *calls;
        size_t n;
} PropCalls;

static void prop_calls_done(PropCalls *p) {
        for (size_t i = 0; i < p->n; i++)
                p->calls[i].slot = sd_bus_slot_unref(p->calls[i].slot);
        free(p->calls);
}

static int on_prop(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PropCall *c = userdata;
        int r;

        (*c->pending)--;
        r = sd_bus_message_is_method_error(reply, NULL) ? -sd_bus_message_get_errno(reply) :
                read_prop(reply, c->prop, c->unit);
        if (r < 0)
                c->error = r;
        return 0;
}

static int get_prop_async(sd_bus *bus, const char *path, const char *iface, PropCall *c) {
        /* busctl call org.freedesktop.systemd1 PATH org.freedesktop.DBus.Properties Get ss IFACE PROP */
        int r = sd_bus_call_method_async(bus, &c->slot, SYSTEMD_DEST, path, "org.freedesktop.DBus.Properties",
                                         "Get", on_prop, c, "ss", iface, c->prop);
        if (r < 0)
                return r;
        (*c->pending)++;
        return 0;
}

static int wait_pending(sd_bus *bus, const unsigned *pending) {
        while (*pending > 0) {
                int r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r == 0 && (r = sd_bus_wait(bus, UINT64_MAX)) < 0)
                        return r;
        }
        return 0;
}

static bool unit_is_ours(const ActualState *a, const char *name) {
        _cleanup_free_ char *target = NULL, *prefix = NULL;
        const char *rest;

        target = name_target_unit(a->project);
        prefix = strjoin(NC_UNIT_PREFIX, a->project);
        if (!target || !prefix)
                return false;
        if (streq(name, target))
                return true;
        rest = startswith(name, prefix);
        if (!rest || !strchr(".-", rest[0]))
                return false;
        /* Another project may share the prefix ("a" and "a-b"): only units with a file of ours. */
        for (size_t i = 0; i < a->n_files; i++) {
                const char *base = strrchr(a->files[i].path, '/');
                if (base && streq(base + 1, name) && !a->files[i].foreign_owner)
                        return true;
        }
        return false;
}

static int read_unit_props(ActualState *a, sd_bus *bus, char **paths);

static int read_units(ActualState *a, sd_bus *bus) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_free_ char *p1 = NULL, *p2 = NULL, *p3 = NULL;
        const char *name, *load, *active, *sub, *path;
        int r;

        p1 = name_target_unit(a->project);
        p2 = name_service_unit(a->project, "*");
        p3 = name_legacy_service_unit(a->project, "*");        /* and the network unit */
        if (!p1 || !p2 || !p3)
                return -ENOMEM;
        /* busctl call … ListUnitsByPatterns asas 0 3 nspawn-compose-P.target nspawn-compose-P.*.service
         *   nspawn-compose-P-*.service */
        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "ListUnitsByPatterns");
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, NULL);        /* any state */
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "as", 3, p1, p2, p3);
        if (r < 0)
                return r;
        a->bus_calls++;
        r = sd_bus_call(bus, m, 0, NULL, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, &load, &active, &sub, NULL, &path,
                                        NULL, NULL, NULL)) > 0) {
                ActualUnit *u;

                if (!unit_is_ours(a, name))
                        continue;
                r = unit_add(a, name, load, active, sub, &u);
                if (r < 0)
                        return r;
                if (strv_extend(&paths, path) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        return read_unit_props(a, bus, paths);
}

/* The properties of every listed unit (a->units[i] belongs to paths[i]). */
static int read_unit_props(ActualState *a, sd_bus *bus, char **paths) {
        const size_t per_unit = ELEMENTSOF(unit_props);
        _cleanup_(prop_calls_done) PropCalls p = {
                .calls = calloc(MAX(a->n_units * per_unit, (size_t) 1), sizeof(PropCall)),
                .n = a->n_units * per_unit,
        };
        unsigned pending = 0;
        int r;

        if (!p.calls)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_units; i++)
                for (size_t k = 0; k < per_unit; k++) {
                        PropCall *c = &p.calls[i * per_unit + k];

                        if (unit_props[k].service_only && !endswith(a->units[i].name, ".service"))
                                continue;
                        *c = (PropCall) { .unit = &a->units[i], .prop = unit_props[k].name, .pending = &pending };
                        r = get_prop_async(bus, paths[i], unit_props[k].iface, c);
                        if (r < 0)
                                return r;
                        a->bus_calls++;
                }
        r = wait_pending(bus, &pending);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p.n; i++)
                if (p.calls[i].error < 0)
                        return p.calls[i].error;
        return 0;
}

/* Units with a file of ours that systemd did not list are not loaded: inactive, as systemd says. */
static int add_unloaded_units(ActualState *a) {
        for (size_t i = 0; i < a->n_files; i++) {
                const char *base = strrchr(a->files[i].path, '/') + 1;
                ActualUnit *u;
                int r;

                if (!a->files[i].content || a->files[i].foreign_owner || actual_state_find_unit(a, base) ||
                    !(endswith(base, ".service") || endswith(base, ".target")))
                        continue;
                r = unit_add(a, base, "not-found", "inactive", "dead", &u);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The value of "\nKEY=" in a unit file's text, or NULL (*ret untouched) when absent. */
static int unit_file_field(const char *content, const char *key, char **ret) {
        const char *m = strstr(content, key);

        if (!m)
                return 0;
        m += strlen(key);
        *ret = strndup(m, strcspn(m, "\n"));
        return *ret ? 1 : -ENOMEM;
}

/* Which service a unit runs (and whose replica it is), and the configuration hash its file carries,
 * from our marker lines. */
static int set_unit_services(ActualState *a) {
        for (size_t i = 0; i < a->n_units; i++) {
                const ActualFile *f = NULL;
                int r;

                for (size_t j = 0; j < a->n_files && !f; j++) {
                        const char *base = strrchr(a->files[j].path, '/') + 1;
                        if (streq(base, a->units[i].name) && a->files[j].content && !a->files[j].foreign_owner)
                                f = &a->files[j];
                }
                if (!f)
                        continue;
                r = unit_file_field(f->content, "\nX-NspawnCompose-Service=", &a->units[i].service);
                if (r < 0)
                        return r;
                r = unit_file_field(f->content, "\nX-NspawnCompose-Hash=", &a->units[i].file_hash);
                if (r < 0)
                        return r;
                r = unit_file_field(f->content, "\nX-NspawnCompose-Replica-Of=", &a->units[i].replica_of);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int cmp_unit(const void *x, const void *y) {
        return strcmp(((const ActualUnit*) x)->name, ((const ActualUnit*) y)->name);
}

int actual_read(sd_bus *bus, const char *project, const char *root, bool runtime, char * const *also,
                ActualState **ret, NcError *reterr) {
        _cleanup_(actual_state_freep) ActualState *a = calloc(1, sizeof *a);
        int r;

        assert(project);
        assert(root);
        assert(ret);

        if (!a || !(a->project = strdup(project)))
                return -ENOMEM;
        r = read_files(a, root, runtime, also);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot read the installed files: %m");
        if (bus) {
                r = read_units(a, bus);
                if (r < 0)
                        return nc_error_set(reterr, r, "cannot list units from systemd: %m");
        }
        r = add_unloaded_units(a);
        if (r < 0)
                return r;
        r = set_unit_services(a);
        if (r < 0)
                return r;
        if (a->n_units > 0)
                qsort(a->units, a->n_units, sizeof *a->units, cmp_unit);
        r = read_started_hashes(a, root);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}
