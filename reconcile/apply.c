/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <systemd/sd-journal.h>

#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/time-util.h"
#include "netfilter/net-project.h"
#include "netfilter/port-listeners.h"
#include "reconcile/bus.h"
#include "reconcile/bus-unit.h"
#include "reconcile/names.h"
#include "reconcile/reconcile.h"
#include "reconcile/runtime/runtime.h"

/* Preparing (render, pull, read, plan) and executing a plan (reconcile.h). */

Reconcile *reconcile_free(Reconcile *c) {
        if (!c)
                return NULL;
        plan_free(c->plan);
        actual_state_free(c->actual);
        desired_state_free(c->desired);
        strv_free(c->digests);
        strv_free(c->failures);
        strv_free(c->failed_services);
        strv_free(c->notes);
        strv_free(c->taken_subnets);
        strv_free(c->orphans);
        sd_bus_flush_close_unref(c->bus);
        if (c->lock_fd >= 0)
                close(c->lock_fd);
        if (c->store_lock_fd >= 0)
                close(c->store_lock_fd);
        free(c);
        return NULL;
}

/* An exclusive flock on @path (below NC_RUNTIME_DIR), waited for: the fd, or -errno. */
static int lock_file(const char *path, NcError *reterr) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = mkdir_parents_and_self(NC_RUNTIME_DIR, 0755);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot create " NC_RUNTIME_DIR ": %m");
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return nc_error_set(reterr, -errno, "cannot open %s: %m", path);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return nc_error_set(reterr, -errno, "cannot lock %s: %m", path);
                /* Another apply runs: wait for it rather than fail, a timer may overlap a hand run. */
                if (flock(fd, LOCK_EX) < 0)
                        return nc_error_set(reterr, -errno, "cannot lock %s: %m", path);
        }
        return TAKE_FD(fd);
}

int reconcile_lock_project(const char *project, NcError *reterr) {
        _cleanup_free_ char *path = name_lock_path(project);

        return path ? lock_file(path, reterr) : -ENOMEM;
}

/* One apply per project at a time: flock on /run/nspawn-compose/P.lock, held until freed. */
static int take_lock(Reconcile *c, NcError *reterr) {
        c->lock_fd = reconcile_lock_project(c->project->name, reterr);
        return c->lock_fd < 0 ? c->lock_fd : 0;
}

/* Ports DNAT cannot serve ("[::1]:8080:80") or that collide are errors before anything changes,
 * offline too: otherwise they would only surface in net-up, after the files were written. With
 * @listeners, so is a port a host socket already has, as docker's bind fails: DNAT would take its
 * packets silently (this needs the host's sockets, so not offline). */
static int check_ports(const DesiredState *d, bool listeners, const char *installed, NcError *reterr) {
        _cleanup_(desired_net_model_done) DesiredNetModel m = {};
        _cleanup_(net_project_file_freep) NetProjectFile *f = NULL;
        int r;

        r = desired_net_model(d, &m);
        if (r < 0)
                return r;
        r = fw_ports_check(m.ports, m.net.n_ports, reterr);
        if (r < 0 || !listeners)
                return r;
        /* the ports the installed project.json publishes are ours already (unreadable: none are) */
        (void) net_project_load(installed, &f, NULL);
        return fw_ports_check_listeners(m.ports, m.net.n_ports, f ? f->net.ports : NULL,
                                        f ? f->net.n_ports : 0, reterr);
}

int reconcile_hash_key(bool create, uint8_t ret[static NC_HASH_KEY_SIZE], NcError *reterr) {
        _cleanup_free_ char *text = NULL, *tmp = NULL;
        uint8_t key[NC_HASH_KEY_SIZE];
        size_t size;
        int r;

        r = read_full_file(NC_HASH_KEY, &text, &size);
        if (r == -ENOENT && create) {
                if (getrandom(key, sizeof key, 0) != sizeof key)
                        return nc_error_set(reterr, -EIO, "cannot make the hash key: %m");
                r = state_dir_ensure(NULL, reterr);
                if (r < 0)
                        return r;
                if (asprintf(&tmp, NC_HASH_KEY ".%d", (int) getpid()) < 0)
                        return -ENOMEM;
                r = write_file_atomic(tmp, key, sizeof key, 0600);
                /* link() keeps the first key when two applies make one at once */
                if (r >= 0 && link(tmp, NC_HASH_KEY) < 0 && errno != EEXIST)
                        r = -errno;
                (void) unlink(tmp);
                if (r < 0)
                        return nc_error_set(reterr, r, "cannot write " NC_HASH_KEY ": %m");
                r = read_full_file(NC_HASH_KEY, &text, &size);
        }
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return nc_error_set(reterr, r, "cannot read " NC_HASH_KEY ": %m");
        if (size != NC_HASH_KEY_SIZE)
                return nc_error_set(reterr, -EBADMSG, NC_HASH_KEY ": %zu bytes, expected %d", size, NC_HASH_KEY_SIZE);
        memcpy(ret, text, size);
        explicit_bzero(text, size);
        return 1;
}

static int render(Reconcile *c, NcError *reterr) {
        _cleanup_free_ char *ipam_path = name_ipam_path(c->project->name), *ipam = NULL;
        _cleanup_free_ char *dir = NULL, *installed = NULL;
        _cleanup_strv_free_ char **taken = NULL;
        DesiredOptions o = {
                .runtime = c->options.runtime,
                .exe = c->options.exe,
                .image_digest = desired_store_digest,
                .userdata = &c->digests,
                .hash_key = c->have_hash_key ? c->hash_key : NULL,
                .hash_key_size = sizeof c->hash_key,
        };
        int r;

        if (!ipam_path)
                return -ENOMEM;
        r = read_full_file(ipam_path, &ipam, NULL);
        if (r < 0 && r != -ENOENT)
                /* Allocating afresh would move every address: refuse rather than guess. */
                return nc_error_set(reterr, r, "cannot read %s: %m", ipam_path);
        o.ipam_json = ipam;
        r = desired_taken_subnets(NULL, c->project->name, &taken);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot read other projects' address allocations: %m");
        o.taken_subnets = taken;
        c->desired = desired_state_free(c->desired);
        r = desired_render(c->project, &o, &c->desired, reterr);
        if (r < 0)
                return r;
        strv_free(c->taken_subnets);
        c->taken_subnets = TAKE_PTR(taken);
        dir = name_settings_dir(c->project->name, c->options.runtime);
        installed = dir ? path_join(dir, "project.json") : NULL;
        if (!installed)
                return -ENOMEM;
        return check_ports(c->desired, !c->options.offline && !c->options.for_down, installed, reterr);
}

int reconcile_pull(const ComposeProject *p, const char *service, const char *ref, const ImagePullOptions *o,
                   char **ret_digest, NcError *reterr) {
        const ComposeNode *image = NULL;
        _cleanup_free_ char *path = NULL;
        NcError err = {};
        int r;

        assert(ref);

        r = image_pull(ref, o, ret_digest, &err);
        if (r >= 0 || !service)
                return r < 0 ? nc_error_set(reterr, r, "cannot pull '%s': %s", ref,
                                            err.error ? err.message : strerror(-r)) : r;
        image = compose_map_get(compose_map_get(compose_map_get(p->model, "services"), service), "image");
        if (asprintf(&path, "services.%s.image", service) < 0)
                return -ENOMEM;
        /* skopeo's text last: the service and the position are what a long message must keep */
        return compose_node_error(image, reterr, r, path, "cannot pull '%s' for service '%s': %s", ref, service,
                                  err.error ? err.message : strerror(-r));
}

static int pull_images(Reconcile *c, NcError *reterr) {
        ImagePullOptions po = { .policy = c->options.pull, .progress = c->options.progress,
                                .on_pulled = c->options.on_pulled, .userdata = c->options.userdata };
        bool pulled = false;
        int r;

        for (size_t i = 0; i < c->desired->n_services; i++) {
                const DesiredService *s = &c->desired->services[i];
                _cleanup_free_ char *digest = NULL;

                if (isempty(s->image) || reconcile_service_builds(c->project, s->name))
                        continue;
                r = reconcile_pull(c->project, s->name, s->image, &po, &digest, reterr);
                if (r < 0)
                        return r;
                pulled = pulled || r > 0;
        }
        r = reconcile_build_images(c->project, c->desired, reterr);     /* build.c */
        if (r < 0)
                return r;
        if (!pulled && r == 0)
                return 0;
        strv_free(c->digests);
        c->digests = NULL;
        return render(c, reterr);       /* digests are part of every service's hash */
}

static int network_drift(Reconcile *c) {
        _cleanup_(desired_net_model_done) DesiredNetModel m = {};
        _cleanup_(fw_closep) FwContext *fw = NULL;
        _cleanup_(fw_diff_freep) FwDiff *diff = NULL;
        int r;

        r = desired_net_model(c->desired, &m);
        if (r < 0)
                return r;
        r = fw_open(&fw, NULL);
        if (r < 0)
                return r;
        r = fw_diff_project(fw, c->project->name, m.net.ports, m.net.n_ports, m.net.networks, m.net.n_networks,
                            &diff, NULL);
        if (r < 0)
                return r;
        for (size_t i = 0; i < diff->n_items; i++) {
                r = strv_consume(&c->actual->network_drift,
                                 strjoin(fw_drift_kind_to_string(diff->items[i].kind), ": ", diff->items[i].what));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A unit file of another project's, or nobody's, at one of our paths is never written over. */
static int check_foreign(const Reconcile *c, NcError *reterr) {
        for (size_t i = 0; i < c->actual->n_files; i++) {
                const ActualFile *f = &c->actual->files[i];

                if (!f->foreign_owner)
                        continue;
                if (isempty(f->foreign_owner))
                        return nc_error_set(reterr, -EEXIST, "%s exists and is not ours (no nspawn-compose "
                                            "project marker): refusing to replace it", f->path);
                return nc_error_set(reterr, -EEXIST, "%s exists and is not ours (it belongs to project '%s'): "
                                    "refusing to replace it", f->path, f->foreign_owner);
        }
        return 0;
}

/* A container_name is a machine name of the whole host: one that machined has for a unit other than
 * the service's own belongs to another project's service (named), or to something else. */
static int check_container_names(const Reconcile *c, NcError *reterr) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *system = NULL;

        for (size_t i = 0; i < c->desired->n_services; i++) {
                const DesiredService *s = &c->desired->services[i];
                _cleanup_free_ char *fallback = NULL, *unit = NULL, *owner = NULL;
                const char *rest, *dot;
                int r;

                r = name_machine(c->project->name, s->name, NULL, &fallback);
                if (r < 0)
                        return r;
                if (streq(fallback, s->machine))
                        continue;       /* no container_name: our own name, owned by our unit */
                if (!system && (r = sd_bus_open_system(&system)) < 0)
                        return nc_error_set(reterr, r, "cannot connect to machined: %m");
                r = bus_machine_unit(system, s->machine, &unit);
                if (r < 0)
                        return nc_error_set(reterr, r, "cannot ask machined about machine '%s': %m", s->machine);
                if (r == 0 || streq(unit, s->unit))
                        continue;
                rest = startswith(unit, NC_UNIT_PREFIX);
                dot = rest ? strchr(rest, '.') : NULL;
                if (dot && endswith(dot, ".service") && strlen(dot) > strlen(".service") &&
                    asprintf(&owner, "service '%.*s' of project '%.*s'", (int) (strlen(dot + 1) - strlen(".service")),
                             dot + 1, (int) (dot - rest), rest) < 0)
                        return -ENOMEM;
                return nc_error_set(reterr, -EEXIST, "service '%s': container_name '%s' is taken: machine '%s' "
                                    "belongs to %s%s%s", s->name, s->machine, s->machine,
                                    owner ?: "unit '", owner ? "" : strempty(unit), owner ? "" : "'");
        }
        return 0;
}

#define LOG_PHASE(what, since) log_debug("%s took %.1f ms", (what), (now_usec(CLOCK_MONOTONIC) - (since)) / 1000.0)

/* The plan from the desired and actual state, cut to what the options select. */
static int make_plan(Reconcile *c, NcError *reterr) {
        int r;

        c->plan = plan_free(c->plan);
        c->orphans = strv_free(c->orphans);
        r = plan_compute(c->desired, c->actual, &c->plan);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot compute the plan: %m");
        r = plan_select(c->plan, c->desired, c->actual, &c->options.select, &c->orphans);
        return r < 0 ? nc_error_set(reterr, r, "cannot select from the plan: %m") : 0;
}

int reconcile_new(const ComposeProject *p, const ReconcileOptions *o, Reconcile **ret, NcError *reterr) {
        _cleanup_(reconcile_freep) Reconcile *c = calloc(1, sizeof *c);
        _cleanup_strv_free_ char **also = NULL;
        int r;

        if (!c)
                return -ENOMEM;
        /* before anything, down included: a reserved name's state directory would be one of ours */
        r = name_project_check(p->name, reterr);
        if (r < 0)
                return r;
        c->project = p;
        c->options = *o;
        c->options.digests = NULL;      /* not kept: the caller's */
        c->lock_fd = c->store_lock_fd = -EBADF;
        if (o->digests && !(c->digests = strv_copy(o->digests)))
                return -ENOMEM;
        if (!o->offline) {
                r = o->read_only ? 0 : take_lock(c, reterr);
                if (r < 0)
                        return r;
                r = o->read_only ? 0 : state_dir_ensure(NULL, reterr);
                if (r < 0)
                        return r;
                if (!o->read_only && !o->for_down) {
                        c->store_lock_fd = image_store_lock(NULL, /* exclusive= */ false, reterr);
                        if (c->store_lock_fd < 0)
                                return c->store_lock_fd;
                }
                r = bus_open_systemd(&c->bus);
                if (r < 0)
                        return nc_error_set(reterr, r, "cannot connect to systemd: %m");
                r = reconcile_hash_key(!o->read_only, c->hash_key, reterr);
                if (r < 0)
                        return r;
                c->have_hash_key = r > 0;
        }
        uint64_t t = now_usec(CLOCK_MONOTONIC);
        r = render(c, reterr);
        if (r < 0 && o->for_down) {
                /* down must work for a project whose file no longer renders: what is on the host is
                 * known from the host alone. */
                log_debug("Render failed (%s), going down from the actual state alone.", reterr ? reterr->message : "");
                if (reterr)
                        *reterr = (NcError) {};
                desired_state_free(c->desired);
                c->desired = calloc(1, sizeof *c->desired);
                if (!c->desired || !(c->desired->project = strdup(p->name)))
                        return -ENOMEM;
                r = 0;
        }
        if (r < 0)
                return r;
        LOG_PHASE("render", t);
        if (o->pull_now) {
                r = pull_images(c, reterr);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->desired->n_files; i++)
                if (strv_extend(&also, c->desired->files[i].path) < 0)
                        return -ENOMEM;
        t = now_usec(CLOCK_MONOTONIC);
        r = actual_read(c->bus, p->name, "/", o->runtime, also, &c->actual, reterr);
        if (r < 0)
                return r;
        if (!o->for_down) {
                r = check_foreign(c, reterr);
                if (r < 0)
                        return r;
                r = o->offline ? 0 : check_container_names(c, reterr);
                if (r < 0)
                        return r;
        }
        LOG_PHASE("reading the actual state", t);
        t = now_usec(CLOCK_MONOTONIC);
        /* Reading nftables needs CAP_NET_ADMIN; plan and ps by others check everything else. */
        if (!o->offline && (geteuid() == 0 || !o->read_only)) {
                r = network_drift(c);
                if (r < 0)
                        return nc_error_set(reterr, r, "cannot read the nftables state: %m");
        }
        LOG_PHASE("reading nftables", t);
        t = now_usec(CLOCK_MONOTONIC);
        r = make_plan(c, reterr);
        LOG_PHASE("planning", t);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

/* ---- execution ----------------------------------------------------------------------------- */

static char *settings_path(const Reconcile *c, const char *file);

/* The project.json installed before this apply: the record of the bridges we made. NULL when there is
 * none (or it cannot be read: then no unmarked bridge is ours). */
static NetProjectFile *network_installed(Reconcile *c) {
        _cleanup_free_ char *project_json = settings_path(c, "project.json");
        NetProjectFile *f = NULL;
        const ActualFile *af;

        af = project_json ? actual_state_find_file(c->actual, project_json) : NULL;
        if (af && af->content)
                (void) net_project_parse(af->content, project_json, &f, NULL);
        return f;
}

/* Before anything changes: the bridges the project needs are free or ours. */
static int network_check(Reconcile *c, NcError *reterr) {
        _cleanup_(desired_net_model_done) DesiredNetModel m = {};
        _cleanup_(net_project_file_freep) NetProjectFile *installed = network_installed(c);
        int r;

        r = desired_net_model(c->desired, &m);
        if (r < 0)
                return r;
        return net_project_check(&m.net, installed ? &installed->net : NULL, reterr);
}

/* What the network unit's net-up does, from the desired state itself. */
static int network_up(Reconcile *c, NcError *reterr) {
        _cleanup_(desired_net_model_done) DesiredNetModel m = {};
        _cleanup_(net_project_file_freep) NetProjectFile *installed = network_installed(c);
        NetProjectChanges changes;
        int r;

        r = desired_net_model(c->desired, &m);
        if (r < 0)
                return r;
        r = net_project_up(&m.net, installed ? &installed->net : NULL, &changes, reterr);
        if (r < 0)
                return r;
        if (changes.forwarding_enabled)
                log_debug("Enabled IP forwarding for project networks.");
        log_debug("Made %u nftables change(s) for project '%s'.", changes.nft_changes, c->project->name);
        return 0;
}

/* The network unit's net-down, for a half-applied project too: from the project.json installed. */
static void network_down(Reconcile *c, const char *project_json) {
        _cleanup_(net_project_file_freep) NetProjectFile *f = NULL;
        const ActualFile *af = actual_state_find_file(c->actual, project_json);

        if (!af || !af->content || net_project_parse(af->content, project_json, &f, NULL) < 0)
                return;
        (void) net_project_down(&f->net, NULL);
}

static char *settings_path(const Reconcile *c, const char *file) {
        _cleanup_free_ char *dir = name_settings_dir(c->project->name, c->options.runtime);

        return dir ? path_join(dir, file) : NULL;
}

/* Removes what a service leaves besides its files: netns, veths, writable layer, runtime dir.
 * The names come from the S.json that is still installed. */
static int remove_service_state(Reconcile *c, const char *service, bool keep_layer) {
        _cleanup_free_ char *sjson = NULL, *name = NULL, *state = NULL, *run = NULL;
        _cleanup_(service_spec_freep) ServiceSpec *spec = NULL;
        const ActualFile *f;

        if (asprintf(&name, "%s.json", service) < 0 || !(sjson = settings_path(c, name)))
                return -ENOMEM;
        f = actual_state_find_file(c->actual, sjson);
        if (f && f->content && service_spec_parse(f->content, sjson, &spec, NULL) >= 0 &&
            service_links_remove(spec, &c->notes) < 0)
                return -ENOMEM;
        run = name_runtime_dir(c->project->name, service);
        state = name_state_dir(c->project->name, service);
        if (!run || !state)
                return -ENOMEM;
        (void) rt_shm_dir_release(run);
        (void) rm_rf(run);
        return keep_layer ? 0 : rm_rf(state);
}

int reconcile_remove_service(Reconcile *c, const char *service, NcError *reterr) {
        _cleanup_free_ char *unit = name_service_unit(c->project->name, service);
        int r;

        if (!unit)
                return -ENOMEM;
        (void) bus_reset_failed(c->bus, unit);
        r = remove_service_state(c, service, /* keep_layer= */ false);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot remove the state of '%s': %m", service);
        return 0;
}

/* Waits for the queued stop jobs; a stop that did not complete leaves the unit running, so its
 * links and state must not be removed under it. */
static uint64_t deadline(const Reconcile *c) {
        return c->options.deadline_usec > 0 ? c->options.deadline_usec : UINT64_MAX;
}

static int wait_stopped(const Reconcile *c, BusJobs *jobs, NcError *reterr) {
        const char *unit, *result;
        int r;

        r = bus_jobs_wait_report(jobs, deadline(c), 0, NULL, NULL);
        if (r == -ETIME)
                return r;
        if (r < 0)
                return nc_error_set(reterr, r, "waiting for systemd's stop jobs: %m");
        for (size_t i = 0; bus_jobs_finished(jobs, i, &unit, &result); i++)
                if (!streq(result, "done"))
                        return nc_error_set(reterr, -EBUSY, "stopping %s did not complete (job %s)", unit, result);
        return 0;
}

static bool plan_has_any_start(const Plan *p) {
        for (size_t i = 0; i < p->n_actions; i++)
                if (p->actions[i].kind == PLAN_START || p->actions[i].kind == PLAN_RESTART)
                        return true;
        return false;
}

typedef struct Waiting {
        const Reconcile *c;
        uint64_t since;
} Waiting;

static void report_waiting(sd_bus *bus, const char *unit, const char *job_state, void *userdata) {
        const Waiting *w = userdata;
        const DesiredService *s = NULL;
        _cleanup_free_ char *text = NULL;

        for (size_t i = 0; i < w->c->plan->n_actions && !s; i++) {
                const PlanAction *a = &w->c->plan->actions[i];
                if (a->service && a->unit && streq(a->unit, unit))
                        s = desired_state_find_service(w->c->desired, a->service);
        }
        if (!s)
                return;         /* the network unit, the target */
        if (streq(job_state, "waiting"))
                text = strdup("its start is queued behind the services it depends on");
        else if (bus_unit_get_string(bus, unit, "org.freedesktop.systemd1.Service", "StatusText", &text) < 0 ||
                 isempty(text)) {
                text = mfree(text);
                (void) bus_unit_get_string(bus, unit, "org.freedesktop.systemd1.Unit", "SubState", &text);
        }
        w->c->options.on_waiting(s, strempty(text), now_usec(CLOCK_MONOTONIC) - w->since, w->c->options.userdata);
}

static int execute_units(Reconcile *c, NcError *reterr) {
        _cleanup_(bus_jobs_freep) BusJobs *jobs = NULL;
        _cleanup_free_ char *target = NULL;
        bool any = false;
        int r;

        r = bus_jobs_new(c->bus, &jobs);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot subscribe to systemd: %m");
        /* A changed service is recreated: stopped, its links and runtime state removed, started again;
         * the wrapper discards the writable layer, which it made for another configuration hash,
         * and keeps anonymous volumes, as docker compose does on a recreate. The stop is of the
         * service alone: its dependents' Requires= would pass it on to them, and docker compose
         * leaves a dependent running unless depends_on says restart: true, which the plan turns into
         * a restart of its own. The starts pull in what each unit requires, as at boot. */
        for (size_t i = 0; i < c->plan->n_actions; i++) {
                const PlanAction *a = &c->plan->actions[i];
                const ActualUnit *u = a->kind == PLAN_START ? actual_state_find_unit(c->actual, a->unit) : NULL;
                /* a unit someone is stopping: let that stop finish (our stop job merges into theirs)
                 * rather than cancel it with the start */
                bool stopping = u && streq(u->active_state, "deactivating");

                if ((a->kind == PLAN_RESTART || stopping) &&
                    (r = bus_jobs_queue(jobs, "StopUnit", a->unit, BUS_JOB_IGNORE_REQUIREMENTS, NULL)) < 0)
                        return nc_error_set(reterr, r, "cannot stop %s: %m", a->unit);
        }
        r = wait_stopped(c, jobs, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->plan->n_actions; i++) {
                const PlanAction *a = &c->plan->actions[i];
                if (a->kind == PLAN_RESTART)
                        (void) remove_service_state(c, a->service, /* keep_layer= */ true);
        }
        if (c->options.select.no_deps && plan_has_any_start(c->plan)) {
                /* what ignore-requirements would skip, and no service runs without: the networks */
                _cleanup_free_ char *net = name_network_unit(c->project->name);

                if (!net)
                        return -ENOMEM;
                r = bus_jobs_queue(jobs, "StartUnit", net, BUS_JOB_REPLACE, NULL);
                if (r < 0)
                        return nc_error_set(reterr, r, "cannot start %s: %m", net);
        }
        for (size_t i = 0; i < c->plan->n_actions; i++) {
                const PlanAction *a = &c->plan->actions[i];

                if (a->kind != PLAN_START && a->kind != PLAN_RESTART)
                        continue;
                (void) bus_reset_failed(c->bus, a->unit);
                /* up --no-deps: the service alone, its stopped dependencies stay stopped (Requires=
                 * would start them); After= still orders it behind those that start anyway */
                r = bus_jobs_queue(jobs, "StartUnit", a->unit,
                                   c->options.select.no_deps ? BUS_JOB_IGNORE_REQUIREMENTS : BUS_JOB_REPLACE, NULL);
                if (r < 0)
                        return nc_error_set(reterr, r, "cannot start %s: %m", a->unit);
                any = true;
        }
        target = name_target_unit(c->project->name);
        if (!target)
                return -ENOMEM;
        /* up SERVICE...: the target would start every service it wants */
        if (any && !c->options.select.services &&
            (r = bus_jobs_queue(jobs, "StartUnit", target, BUS_JOB_REPLACE, NULL)) < 0)
                return nc_error_set(reterr, r, "cannot start %s: %m", target);
        Waiting w = { .c = c, .since = now_usec(CLOCK_MONOTONIC) };
        r = bus_jobs_wait_report(jobs, deadline(c), RECONCILE_WAITING_USEC,
                                 c->options.on_waiting ? report_waiting : NULL, &w);
        if (r == -ETIME)
                return r;
        if (r < 0)
                return nc_error_set(reterr, r, "waiting for systemd's start jobs: %m");
        return 0;
}

static int execute_files(Reconcile *c, NcError *reterr) {
        bool written = false;
        int r;

        for (size_t i = 0; i < c->plan->n_actions; i++) {
                const PlanAction *a = &c->plan->actions[i];

                if (a->kind == PLAN_WRITE_FILE && !written) {
                        r = desired_write(c->desired, "/", /* beneath= */ false, reterr);
                        if (r < 0)
                                return r;
                        written = true;
                } else if (a->kind == PLAN_REMOVE_FILE && unlink(a->path) < 0 && errno != ENOENT)
                        return nc_error_set(reterr, -errno, "cannot remove %s: %m", a->path);
        }
        return 0;
}

/* Writes @content into the /etc/hosts of @s's running machine, unless apply starts it anyway. */
static void hosts_push(Reconcile *c, sd_bus **system, const DesiredService *s, const char *content) {
        NcError err = {};
        pid_t leader;

        if (plan_has_action(c->plan, PLAN_START, s->name) || plan_has_action(c->plan, PLAN_RESTART, s->name))
                return;
        if (!*system && sd_bus_open_system(system) < 0)
                return;
        if (bus_machine_leader(*system, s->machine, &leader) < 0)
                return;
        if (service_hosts_update(leader, content, &err) < 0)
                log_debug("Updating /etc/hosts of %s: %s", s->machine, err.message);
}

/* A running service whose hosts file changed (services came or went) gets it in place: the hosts
 * file is not part of its configuration hash, so it is not restarted for it. A service in another's
 * network namespace has that one's hosts file, so it gets that one's. Best effort: a machine that
 * is not running reads the file when it starts. */
static void refresh_hosts(Reconcile *c) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *system = NULL;

        for (size_t i = 0; i < c->plan->n_actions; i++) {
                const PlanAction *a = &c->plan->actions[i];
                const DesiredService *s = a->service ? desired_state_find_service(c->desired, a->service) : NULL;
                const DesiredFile *f = desired_state_find_file(c->desired, strempty(a->path));

                if (a->kind != PLAN_WRITE_FILE || !s || !f || !endswith(a->path, ".hosts"))
                        continue;
                if (!s->netns_owner)
                        hosts_push(c, &system, s, f->content);
                for (size_t k = 0; k < c->desired->n_services; k++)
                        if (streq_ptr(c->desired->services[k].netns_owner, s->name))
                                hosts_push(c, &system, &c->desired->services[k], f->content);
        }
}

static int execute_orphans(Reconcile *c, NcError *reterr) {
        _cleanup_(bus_jobs_freep) BusJobs *jobs = NULL;
        int r;

        r = bus_jobs_new(c->bus, &jobs);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot subscribe to systemd: %m");
        /* A removed service alone, as docker compose's --remove-orphans: a service that still runs
         * and whose installed unit Requires= it stays (its new unit no longer names it). */
        for (size_t i = 0; i < c->plan->n_actions; i++)
                if (c->plan->actions[i].kind == PLAN_STOP &&
                    (r = bus_jobs_queue(jobs, "StopUnit", c->plan->actions[i].unit, BUS_JOB_IGNORE_REQUIREMENTS,
                                        NULL)) < 0)
                        return nc_error_set(reterr, r, "cannot stop %s: %m", c->plan->actions[i].unit);
        r = wait_stopped(c, jobs, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->plan->n_actions; i++) {
                const PlanAction *a = &c->plan->actions[i];
                bool renamed = a->kind == PLAN_STOP && desired_state_find_service(c->desired, a->service);

                if (a->kind != PLAN_REMOVE_STATE && !renamed)
                        continue;
                (void) bus_reset_failed(c->bus, a->unit);
                /* A renamed unit's successor takes over its writable layer, as a recreate does. */
                r = remove_service_state(c, a->service, /* keep_layer= */ renamed);
                if (r < 0)
                        return nc_error_set(reterr, r, "cannot remove the state of '%s': %m", a->service);
        }
        return 0;
}

/* The last lines the unit's processes and systemd logged about it, for a failure report. */
static char *journal_tail(const char *unit, unsigned n) {
        _cleanup_free_ char *m1 = NULL, *m2 = NULL;
        sd_journal *j = NULL;
        StrBuf b = {};
        char **lines = NULL;

        if (asprintf(&m1, "_SYSTEMD_UNIT=%s", unit) < 0 || asprintf(&m2, "UNIT=%s", unit) < 0)
                return NULL;
        if (sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY) < 0)
                return NULL;
        if (sd_journal_add_match(j, m1, 0) >= 0 && sd_journal_add_disjunction(j) >= 0 &&
            sd_journal_add_match(j, m2, 0) >= 0 && sd_journal_seek_tail(j) >= 0) {
                for (unsigned i = 0; i < n && sd_journal_previous(j) > 0; i++) {
                        const void *d;
                        size_t l;

                        if (sd_journal_get_data(j, "MESSAGE", &d, &l) >= 0 && l > 8)
                                (void) strv_consume(&lines, strndup((const char*) d + 8, l - 8));
                }
        }
        sd_journal_close(j);
        for (size_t i = strv_length(lines); i > 0; i--)
                strbuf_printf(&b, "    %s\n", lines[i - 1]);
        strv_free(lines);
        return strbuf_steal(&b);
}

/* Every desired service must be active (a oneshot: active after exiting successfully). */
static int verify(Reconcile *c, NcError *reterr) {
        _cleanup_(actual_state_freep) ActualState *now = NULL;
        int r;

        if (c->options.select.no_start)
                return 0;
        r = actual_read(c->bus, c->project->name, "/", c->options.runtime, NULL, &now, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->desired->n_services; i++) {
                const DesiredService *s = &c->desired->services[i];
                const ActualUnit *u = actual_state_find_unit(now, s->unit);
                _cleanup_free_ char *tail = NULL;

                if ((u && streq(u->active_state, "active")) ||
                    !reconcile_select_has(&c->options.select, c->desired, s->name))
                        continue;
                tail = journal_tail(s->unit, 10);
                r = strv_extendf(&c->failures, "%s: %s (%s, result: %s)%s%s%s%s", s->name, s->unit,
                                u ? u->active_state : "not loaded", u ? strempty(u->result) : "-",
                                u && !isempty(u->status_text) ? ", " : "", u ? strempty(u->status_text) : "",
                                isempty(tail) ? "" : "\n", strempty(tail));
                if (r < 0 || (r = strv_extend(&c->failed_services, s->name)) < 0)
                        return r;
        }
        return c->failures ? -EHOSTDOWN : 0;
}

static const char *volume_name(const ComposeNode *vols, size_t i) {
        return compose_map_get_str(vols->items[i], "name") ?: vols->keys[i]->scalar;
}

/* The project that made a named volume (from its owner file), "" for none known. NULL on OOM. */
static char *volume_owner(const char *volume) {
        _cleanup_free_ char *path = name_volume_owner_path(volume), *text = NULL;

        if (!path)
                return NULL;
        if (read_full_file(path, &text, NULL) < 0)
                return strdup("");
        text[strcspn(text, "\n")] = 0;
        return TAKE_PTR(text);
}

/* Every named volume of the project that does not exist yet is recorded as its, before a service can
 * make its directory: down --volumes removes only what its own project made. A volume that exists
 * without a maker (made by an earlier release, or by hand) stays nobody's. */
static int claim_volumes(Reconcile *c, NcError *reterr) {
        const ComposeNode *vols = compose_map_get(c->project->model, "volumes");

        COMPOSE_MAP_FOREACH(i, vols) {
                _cleanup_free_ char *path = NULL, *owner = NULL, *text = NULL, *dir = NULL;
                int r;

                if (compose_map_get_bool(vols->items[i], "external", false))
                        continue;
                owner = volume_owner(volume_name(vols, i));
                dir = name_volume_dir(volume_name(vols, i));
                if (!owner || !dir)
                        return -ENOMEM;
                if (!isempty(owner) || access(dir, F_OK) >= 0)
                        continue;
                path = name_volume_owner_path(volume_name(vols, i));
                text = strjoin(c->project->name, "\n");
                if (!path || !text)
                        return -ENOMEM;
                r = write_file_atomic(path, text, strlen(text), 0600);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: %m", path);
        }
        return 0;
}

/* Two projects applied at the same moment must not take the same pool subnet: under the host's
 * allocation lock, held until this apply recorded its own (ipam.json, written with the files), what
 * other projects recorded is read again, and when it changed since the render, the project is
 * rendered and planned again. */
static int allocation_recheck(Reconcile *c, int *ret_lock_fd, NcError *reterr) {
        _cleanup_strv_free_ char **now = NULL;
        _cleanup_close_ int fd = -EBADF;
        bool same;
        int r;

        fd = lock_file(NC_ALLOCATION_LOCK, reterr);
        if (fd < 0)
                return fd;
        r = desired_taken_subnets(NULL, c->project->name, &now);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot read other projects' address allocations: %m");
        strv_sort(now);
        strv_sort(c->taken_subnets);
        same = strv_length(now) == strv_length(c->taken_subnets);
        for (size_t i = 0; same && now && now[i]; i++)
                same = streq(now[i], c->taken_subnets[i]);
        if (!same) {
                log_debug("Another project recorded subnets since the render: rendering again.");
                r = render(c, reterr);
                if (r < 0)
                        return r;
                /* the options' selection again: a partial apply must not widen to the project */
                r = make_plan(c, reterr);
                if (r < 0)
                        return r;
        }
        *ret_lock_fd = TAKE_FD(fd);
        return 0;
}

int reconcile_execute(Reconcile *c, NcError *reterr) {
        _cleanup_close_ int allocation_fd = -EBADF;
        bool reload = false, sync = false, units = false;
        int r;

        assert(c->bus);

        r = allocation_recheck(c, &allocation_fd, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->plan->n_actions; i++) {
                const PlanAction *a = &c->plan->actions[i];

                if (a->kind == PLAN_PULL)
                        return nc_error_set(reterr, -ENOENT, "image %s of service '%s' is not in the local store "
                                            "and pulling is disabled", a->desired, a->service);
                /* Another project's element holds a host port we want: net-up would fail after the
                 * files were written and the target enabled, so refuse before changing anything. */
                if (a->kind == PLAN_SYNC_NETWORK && startswith(strempty(a->reason), "conflict: "))
                        return nc_error_set(reterr, -EADDRINUSE, "published port taken by another project: %s",
                                            startswith(a->reason, "conflict: "));
                reload = reload || a->kind == PLAN_DAEMON_RELOAD;
                sync = sync || a->kind == PLAN_SYNC_NETWORK;
                units = units || a->kind == PLAN_START || a->kind == PLAN_RESTART;
        }
        if (sync) {
                r = network_check(c, reterr);
                if (r < 0)
                        return r;
        }
        log_debug("apply: stopping removed services");
        r = execute_orphans(c, reterr);
        if (r < 0)
                return r;
        log_debug("apply: writing files");
        r = execute_files(c, reterr);
        if (r < 0)
                return r;
        allocation_fd = safe_close(allocation_fd);      /* our subnets are recorded */
        r = claim_volumes(c, reterr);
        if (r < 0)
                return r;
        refresh_hosts(c);
        if (reload) {
                r = bus_daemon_reload(c->bus, NULL);
                if (r < 0)
                        return nc_error_set(reterr, r, "daemon-reload failed: %m");
        }
        if (sync) {
                log_debug("apply: networks");
                r = network_up(c, reterr);
                if (r < 0)
                        return r;
        }
        if (units) {
                log_debug("apply: starting units");
                r = execute_units(c, reterr);
                if (r < 0)
                        return r;
        }
        log_debug("apply: verifying");
        return verify(c, reterr);
}

/* ---- down ---------------------------------------------------------------------------------- */

static int down_stop_units(Reconcile *c, NcError *reterr) {
        _cleanup_(bus_jobs_freep) BusJobs *jobs = NULL;
        int r;

        r = bus_jobs_new(c->bus, &jobs);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot subscribe to systemd: %m");
        for (size_t i = 0; i < c->actual->n_units; i++) {
                const ActualUnit *u = &c->actual->units[i];

                if (streq(u->active_state, "inactive") && streq(u->load_state, "not-found"))
                        continue;
                r = bus_jobs_queue(jobs, "StopUnit", u->name, BUS_JOB_REPLACE, NULL);
                if (r < 0 && r != -ENOENT)
                        return nc_error_set(reterr, r, "cannot stop %s: %m", u->name);
        }
        return wait_stopped(c, jobs, reterr);
}

static int down_volumes(Reconcile *c) {
        const ComposeNode *vols = compose_map_get(c->project->model, "volumes");

        COMPOSE_MAP_FOREACH(i, vols) {
                const char *name = volume_name(vols, i);
                _cleanup_free_ char *path = NULL, *marker = NULL, *owner = NULL;
                int r;

                if (compose_map_get_bool(vols->items[i], "external", false))
                        continue;       /* not ours to delete */
                owner = volume_owner(name);
                if (!owner)
                        return -ENOMEM;
                if (!streq(owner, c->project->name)) {
                        r = strv_extendf(&c->notes, "volume %s kept: %s", name, isempty(owner) ?
                                         "no project is recorded as its maker" : "another project made it");
                        if (r < 0)
                                return r;
                        continue;
                }
                path = name_volume_dir(name);
                marker = name_volume_owner_path(name);
                if (!path || !marker)
                        return -ENOMEM;
                r = rm_rf(path);
                if (r < 0)
                        return r;
                if (unlink(marker) < 0 && errno != ENOENT)
                        return -errno;
        }
        return 0;
}

int reconcile_down(Reconcile *c, bool volumes, NcError *reterr) {
        _cleanup_free_ char *project_json = settings_path(c, "project.json");
        _cleanup_free_ char *state = name_state_dir(c->project->name, NULL);
        _cleanup_free_ char *run = name_runtime_dir(c->project->name, NULL);
        _cleanup_free_ char *generations = name_generations_dir(c->project->name);
        int r;

        if (!project_json || !state || !run)
                return -ENOMEM;
        r = down_stop_units(c, reterr);
        if (r < 0)
                return r;
        /* The network unit's ExecStop ran net-down if it was active. */
        network_down(c, project_json);
        for (size_t i = 0; i < c->actual->n_units; i++)
                if (c->actual->units[i].service)
                        (void) remove_service_state(c, c->actual->units[i].service, false);
        for (size_t i = 0; i < c->actual->n_files; i++) {
                const ActualFile *f = &c->actual->files[i];

                if (f->foreign_owner)
                        continue;       /* not ours to remove */
                if (unlink(f->path) < 0 && errno != ENOENT)
                        return nc_error_set(reterr, -errno, "cannot remove %s: %m", f->path);
        }
        /* The settings directory is wholly ours, secrets/ and configs/ included. */
        (void) rm_rf(strndupa(project_json, strrchr(project_json, '/') - project_json));
        r = bus_daemon_reload(c->bus, NULL);
        if (r < 0)
                return nc_error_set(reterr, r, "daemon-reload failed: %m");
        for (size_t i = 0; i < c->actual->n_units; i++)
                (void) bus_reset_failed(c->bus, c->actual->units[i].name);
        (void) rm_rf(run);
        r = rm_rf(state);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot remove the project's state: %m");
        r = generations ? rm_rf(generations) : -ENOMEM;
        if (r < 0)
                return nc_error_set(reterr, r, "cannot remove the project's generations: %m");
        if (!volumes)
                return 0;
        r = down_volumes(c);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot remove the project's volumes: %m");
        return 0;
}
