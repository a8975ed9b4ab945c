/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <assert.h>
#include <stddef.h>
#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "lib/error.h"
#include "lib/json-util.h"
#include "lib/macro.h"
#include "lib/strv.h"
#include "reconcile/runtime/runtime.h"

/* Shared inside reconcile/runtime only. */

/* JSON readers: @what names the object in messages ("S.json: healthcheck"). An absent key or a
 * null value leaves *ret untouched and returns 0; a wrong type is -EINVAL with reterr set. */
int rt_json_parse(const char *text, const char *what, struct json_object **ret, NcError *reterr);
int rt_json_string(struct json_object *o, const char *key, const char *what, char **ret, NcError *reterr);
/* [] gives an empty (non-NULL) array, so "set but empty" stays distinct from "absent". */
int rt_json_strv(struct json_object *o, const char *key, const char *what, char ***ret, NcError *reterr);
/* {"k": "v", …} (string, number or bool values) as "k=v". */
int rt_json_strmap(struct json_object *o, const char *key, const char *what, char ***ret, NcError *reterr);
int rt_json_bool(struct json_object *o, const char *key, const char *what, bool *ret, NcError *reterr);
int rt_json_int64(struct json_object *o, const char *key, const char *what, int64_t *ret, NcError *reterr);
int rt_json_uint64(struct json_object *o, const char *key, const char *what, uint64_t *ret, NcError *reterr);
/* The member @key if it is an object (NULL if absent or null); -EINVAL for another type. */
int rt_json_object(struct json_object *o, const char *key, const char *what, struct json_object **ret,
                   NcError *reterr);
int rt_json_array(struct json_object *o, const char *key, const char *what, struct json_object **ret,
                  NcError *reterr);

/* Runs @argv (PATH lookup) with stdin from /dev/null; stdout goes to our stderr when @show_stdout,
 * else to /dev/null; stderr is captured (its last 4 KiB) into *ret_stderr (may be NULL).
 * Returns the exit status (0…255, 128+N for signal N) or -errno if it could not run. */
int rt_spawn_capture(char * const *argv, bool show_stdout, char **ret_stderr);



/* runtime-image.c: the pieces of a pull a build shares. Runs a tool; its failure is -EIO with its
 * stderr's tail in reterr. */
int rt_run_tool(char **argv, bool progress, NcError *reterr);
/* A new work directory STORE/.tmp/WHAT-XXXXXX. */
int rt_make_tmp(const char *store, const char *what, char **ret, NcError *reterr);
void rt_rm_rf_freep(char **p);
/* TMP/dir holds a skopeo "dir:" copy of an image: unless the store has its config digest already,
 * unpacks it into STORE/<hex>. */
int rt_image_import(const char *store, const char *tmp, bool progress, char **ret_digest, NcError *reterr);
/* Records @norm (normalized) → @digest in STORE/refs.json. */
int rt_refs_record(const char *store, const char *norm, const char *digest, NcError *reterr);
/* rt_image_import() of TMP/dir, then @norm → its digest recorded: what a build or an import ends with. */
int rt_image_import_as(const char *store, const char *tmp, const char *norm, char **ret_digest, NcError *reterr);

/* runtime-build.c: the line of the Dockerfile @text where buildah's step @step ("RUN false")
 * starts, 0 when not found; and buildah's error from its stderr @err, as "NAME:LINE: …" when it
 * names a step found in @text (NULL: only the error). NULL on OOM. */
unsigned rt_dockerfile_step_line(const char *text, const char *step);
char *rt_builder_error(const char *err, const char *dockerfile_name, const char *text);

/* runtime-hooks.c: runs @hooks in turn inside the machine of @leader as `exec` runs a command, as
 * the service's user, working directory and environment unless a hook says otherwise, their
 * output to our stdout and stderr. @done is called once, from the event loop: 0 after the last one
 * succeeded, the exit status of the first that failed, or -ETIME after @timeout_usec (0: none),
 * the one running then killed. Freeing before kills the one running. */
typedef struct RtHooks RtHooks;
typedef void (*RtHooksDone)(int result, void *userdata);
int rt_hooks_start(sd_event *event, const ServiceSpec *s, const ImageConfig *img, pid_t leader,
                   const ServiceHook *hooks, size_t n, const char *what, uint64_t timeout_usec,
                   RtHooksDone done, void *userdata, RtHooks **ret, NcError *reterr);
RtHooks *rt_hooks_free(RtHooks *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(RtHooks*, rt_hooks_free);

/* "sha256:<64 hex>" → the hex part, or NULL when malformed. */
const char *rt_digest_hex(const char *digest);

/* runtime-health.c: a healthcheck object's test list (NULL when absent or null) and timings, under
 * the key names of its source, S.json's or docker's. */
typedef struct RtHealthKeys {
        const char *test, *interval, *timeout, *start_period, *start_interval, *retries;
        uint64_t units_per_usec;        /* 1: durations in µs (S.json); 1000: in ns (docker) */
} RtHealthKeys;
int rt_healthcheck_read(struct json_object *o, const RtHealthKeys *keys, const char *what, HealthConfig *c,
                        char ***ret_test, NcError *reterr);
/* runtime-image-config.c: docker's healthcheck ({"Test", "Interval" ns, …}) as in an image config;
 * *ret = NULL when its Test is empty. */
int rt_healthcheck_from_docker(struct json_object *o, const char *what, HealthConfig **ret, NcError *reterr);

/* Where one service's files are (docs/runtime.md). */
typedef struct ServicePaths {
        char *runtime_dir;              /* RUNTIME/P/S */
        char *root;                     /* RUNTIME/P/S/root: the merged root */
        char *notify_socket;            /* RUNTIME/P/S/notify: nspawn's NOTIFY_SOCKET */
        char *started_hash;             /* RUNTIME/P/S/started-hash */
        char *state_dir;                /* STATE/P/S */
        char *upper, *work;             /* STATE/P/S/{upper,work} */
        char *volumes;                  /* STATE/P/S/volumes: anonymous volumes */
        char *layer_hash;               /* STATE/P/S/layer-hash: the hash upper/ was made for */
        char *lower;                    /* IMAGES/<hex>/rootfs */
        char *files;                    /* RUNTIME/P/S/files: copies of secrets and configs */
        char *user_helper;              /* STATE/P/S/user-helper */
        char *environment;              /* RUNTIME/P/S/environment: the payload's, 0600 */
} ServicePaths;

void service_paths_done(ServicePaths *p);
int service_paths_init(ServicePaths *p, const ServiceSpec *s, const ServiceRunOptions *o, const char *image_dir);

/* runtime-rootfs.c */
int rt_mount_namespace(void);
/* The text of /etc/hosts and /etc/resolv.conf for @s (fuzzed by tests/fuzz/fuzz-hosts-resolv.c).
 * resolv reads the host's resolv.conf when @s has neither dns nor dns_search. NULL on OOM or error. */
char *rt_hosts_text(const ServiceSpec *s, NcError *reterr);
char *rt_resolv_text(const ServiceSpec *s);
int rt_rootfs_mount(const ServicePaths *p, const char *hash, NcError *reterr);
int rt_rootfs_prepare(const ServicePaths *p, const ServiceSpec *s, NcError *reterr);
/* The payload's environment file (0600, service_env_file_text()). */
int rt_environment_write(const ServicePaths *p, const ServiceSpec *s, const ImageConfig *img, NcError *reterr);
/* Writes @data as @dir/@name below @root_fd (a machine's root: every lookup stays in it) through a new
 * file renamed over the old entry, which is never opened: a FIFO, symlink or device planted there
 * cannot block or redirect the write. 0 or -errno. */
int rt_replace_in_root(int root_fd, const char *dir, const char *name, const char *data, NcError *reterr);
/* Makes the host directories of volumes and missing bind sources, and populates a volume that is
 * empty from the image (rt_volume_populate()) unless its options say nocopy. */
int rt_volumes_prepare(const ServicePaths *p, const ServiceSpec *s, NcError *reterr);
/* The shared /dev/shm tmpfs the service's machine mounts, in the caller's mount namespace: call it
 * in the host's, before rt_mount_namespace(), so that every machine of the group sees it. */
int rt_shm_prepare(const ServiceSpec *s, NcError *reterr);
/* runtime-populate.c: copies the directory @target of the image root @image_root_fd (resolved inside
 * it) into @volume_dir when that is empty, with owners, modes, times and xattrs, never following a
 * symlink of the image; @volume_dir then takes the owner and mode of the image's directory. Refuses
 * when no directory above @volume_dir is private (0700). 1 copied, 0 nothing to do, or -errno. */
int rt_volume_populate(int image_root_fd, const char *target, const char *volume_dir, NcError *reterr);
/* Mount points of every mount in the root (nspawn cannot make them in a --read-only root) and the
 * working directory @working_dir (docker makes a missing one). */
int rt_mountpoints_prepare(const ServicePaths *p, const ServiceSpec *s, const char *working_dir, NcError *reterr);
/* Copies of secrets and configs with their owner and mode under p->files (made afresh). */
int rt_files_prepare(const ServicePaths *p, const ServiceSpec *s, NcError *reterr);
/* Writes the user helper (rt_user_helper) to p->user_helper unless it is there already. */
int rt_user_helper_install(const ServicePaths *p, NcError *reterr);

/* runtime-user-helper-blob.c (generated): the static user helper program. */
extern const unsigned char rt_user_helper[];
extern const size_t rt_user_helper_size;

/* runtime-net.c */
int rt_network_ensure(const ServiceSpec *s, NcError *reterr);
int rt_sysctls_check(const ServiceSpec *s, NcError *reterr);
int rt_sysctls_net(const ServiceSpec *s, NcError *reterr);
int rt_sysctls_ipc(const ServiceSpec *s, pid_t leader, NcError *reterr);

/* runtime-cgroup.c */
int rt_cgroup_enter_supervisor(char **ret_unit_cgroup, NcError *reterr);
int rt_cgroup_kill_payload(const char *unit_cgroup);
int rt_cgroup_probe_v1(char **ret);

/* runtime-health.c: the service's HealthConfig: S.json's healthcheck (else the image's), its probe,
 * and where exec probes run (caller runs health_config_done()). 0 or -ENOMEM. */
int rt_health_config(const ServiceSpec *s, const ImageConfig *img, HealthConfig *ret);

/* runtime-util.c: "SIGTERM", "TERM", "15", "SIGRTMIN+3" → the signal number, or -EINVAL. */
int rt_signal_from_string(const char *s);

/* runtime-machine.c */
int rt_machine_unregister_stale(const char *machine, NcError *reterr);
