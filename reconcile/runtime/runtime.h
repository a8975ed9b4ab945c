/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/macro.h"
#include "reconcile/names.h"

/* Running one service: the image store (pull with skopeo, unpack with umoci, keyed by the image's
 * config digest) and the per-service wrapper `run-service S.json` (docs/runtime.md). */


/* Makes @path (NULL: NC_STATE_DIR) a directory of ours with mode 0700, whatever made it first: the
 * writable layers, volumes and images below hold files a machine's root made (setuid programs,
 * device nodes) that no other user of the host may reach. 0 or -errno (-EPERM: someone else's). */
int state_dir_ensure(const char *path, NcError *reterr);

/* A flock on STORE/.use-lock (@store NULL: NC_IMAGE_STORE, made when missing), waited for: shared
 * by what puts an image to use (an apply, from reading the references until the services' S.json
 * name their digests), exclusive for what removes images (image rm, prune), so that no image goes
 * between being chosen and being used. The fd, or -errno. */
int image_store_lock(const char *store, bool exclusive, NcError *reterr);

/* ---- image references ---- */

/* Normalizes as docker does: "busybox" → "docker.io/library/busybox:latest"; a first component
 * with '.' or ':' or "localhost" is a registry; ":latest" is added unless a tag or digest is
 * given. An image in a file, `oci-archive:PATH[:TAG]`, `docker-archive:PATH[:REF]` or
 * `oci:DIR[:TAG]` (skopeo's transports, PATH absolute), stays as written with "#" and the
 * identity of the file now appended (runtime-ref.c). 0 or -EINVAL/-errno (with reterr). */
int image_ref_normalize(const char *ref, char **ret, NcError *reterr);
/* The transport prefix ("oci-archive:", "docker-archive:", "oci:") of an image in a file, or NULL. */
const char *image_ref_file_transport(const char *ref);
/* The length of a file reference without its "#IDENTITY" (image_ref_normalize()), or all of it. */
size_t image_ref_file_base_len(const char *ref);

/* ---- the image config (the OCI/docker config blob's "config") ---- */

typedef struct HealthConfig HealthConfig;       /* healthd/health.h */

typedef struct ImageConfig {
        char **entrypoint, **cmd, **env;        /* NULL when absent */
        char *working_dir, *user, *stop_signal; /* NULL when absent or "" */
        char **exposed_ports;                   /* "8080/tcp" */
        HealthConfig *healthcheck;              /* test and timings; NULL when the image has none */
} ImageConfig;
ImageConfig *image_config_free(ImageConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageConfig*, image_config_free);

/* Parses a whole config blob ({"config": {...}, "rootfs": …}). 0 or -EINVAL/-ENOMEM. */
int image_config_parse(const char *json, ImageConfig **ret, NcError *reterr);
/* Loads STORE/<hex>/config.json for @digest ("sha256:<hex>"). @store NULL = NC_IMAGE_STORE. */
int image_config_load(const char *store, const char *digest, ImageConfig **ret, NcError *reterr);

/* ---- the image store ---- */

typedef enum ImagePullPolicy {
        IMAGE_PULL_MISSING,             /* pull only what the store lacks */
        IMAGE_PULL_ALWAYS,
        IMAGE_PULL_NEVER,
        _IMAGE_PULL_POLICY_MAX,
        _IMAGE_PULL_POLICY_INVALID = -EINVAL,
} ImagePullPolicy;
ImagePullPolicy image_pull_policy_from_string(const char *s);

/* Points @ref at @digest in @store (NULL: NC_IMAGE_STORE), which must still hold it: what taking back
 * an update that failed does. 0 or -errno. */
int image_ref_point(const char *store, const char *ref, const char *digest, NcError *reterr);
/* Drops the reference @ref from @store's refs.json (docker's untag); the image stays. 0 or -errno. */
int image_ref_remove(const char *store, const char *ref, NcError *reterr);

/* A root filesystem in a tarball (.tar, or gzip/xz/zstd/bzip2-compressed) as an image of one layer
 * named @name in @store (NULL: NC_IMAGE_STORE), as `sdme fs import` does: `image import`. Its config
 * is empty (compose's command: says what runs). The digest in @ret_digest. */
int image_import_rootfs(const char *store, const char *name, const char *tarball, char **ret_digest,
                        NcError *reterr);

/* refs.json as "reference\ndigest" lines (NULL: none). 0 or -errno. */
int image_refs_read(const char *store, char ***ret, NcError *reterr);
/* Removes image @digest from @store (NULL: NC_IMAGE_STORE): every reference to it, then its
 * directory. Whether anything still uses it is the caller's to know (reconcile/image-gc.h). */
int image_store_remove(const char *store, const char *digest, NcError *reterr);

/* What one pull fetched, told to ImagePullOptions.on_pulled. */
typedef struct ImagePullStats {
        const char *ref;                /* normalized */
        const char *digest;
        unsigned layers;
        uint64_t bytes;                 /* what was fetched: compressed layers, config, manifest */
        uint64_t usec;                  /* fetching and unpacking */
} ImagePullStats;
typedef void (*ImagePulled)(const ImagePullStats *st, void *userdata);

typedef struct ImagePullOptions {
        const char *store;              /* NULL = NC_IMAGE_STORE */
        ImagePullPolicy policy;
        /* let skopeo write its progress to our stderr: bars with bytes and rate per layer on a tty,
         * a line per blob otherwise */
        bool progress;
        ImagePulled on_pulled;          /* NULL: nothing is told */
        void *userdata;
        /* the image goes into the store by digest, but REF is not recorded in refs.json: the caller
         * points it (image_ref_point()) once what uses it works */
        bool keep_refs;
} ImagePullOptions;

/* Makes @ref present in the store: skopeo copy docker://REF → dir: (original manifest and config,
 * so a docker-format Healthcheck survives), → oci: layout → umoci unpack, then rename
 * STORE/.tmp/… into STORE/<hex>/{rootfs,config.json} and record REF → digest in STORE/refs.json.
 * @ret_digest "sha256:<hex>" of the config blob (docker's image ID). 1 pulled, 0 already present,
 * -ENOENT when missing under IMAGE_PULL_NEVER, other -errno with the tool's stderr in reterr. */
int image_pull(const char *ref, const ImagePullOptions *opts, char **ret_digest, NcError *reterr);
/* The digest @ref maps to in the store, without network. -ENOENT when not pulled. */
int image_resolve(const char *store, const char *ref, char **ret_digest, NcError *reterr);
/* STORE/<hex> for "sha256:<hex>" (validated). NULL store = NC_IMAGE_STORE. */
int image_store_path(const char *store, const char *digest, char **ret, NcError *reterr);

/* ---- building images (buildah) ---- */

/* .dockerignore (runtime-dockerignore.c has the rules). */
typedef struct DockerIgnore DockerIgnore;
int dockerignore_parse(const char *text, DockerIgnore **ret);
DockerIgnore *dockerignore_free(DockerIgnore *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(DockerIgnore*, dockerignore_free);
/* Whether @path ("a/b", relative to the context) is left out of the build context. */
bool dockerignore_excluded(const DockerIgnore *d, const char *path);
/* Whether some pattern is an exception ("!x"): an excluded directory may then hold included files. */
bool dockerignore_has_exceptions(const DockerIgnore *d);
/* One cleaned pattern against one whole path. */
bool dockerignore_pattern_match(const char *pattern, const char *path);

typedef struct ImageBuildSpec {
        const char *image;              /* the result's reference: compose's image:, else "P-S" */
        const char *context;            /* absolute directory */
        const char *dockerfile;         /* relative to @context, or absolute; unused with @dockerfile_inline */
        const char *dockerfile_inline;
        char **args;                    /* "K=V", build args */
        const char *target;
        char **labels;                  /* "K=V" */
        char **extra_hosts;             /* "name=address" or "name:address" */
        const char *network;            /* NULL, "host" or "none" */
        char **tags;                    /* further references of the result */
} ImageBuildSpec;

typedef struct ImageBuildOptions {
        const char *store;              /* NULL = NC_IMAGE_STORE */
        const char *build_dir;          /* NULL = NC_BUILD_DIR (buildah's storage, the builds' hashes) */
        bool force;                     /* build even when the image is current */
        bool no_cache;                  /* buildah --no-cache */
        bool pull;                      /* buildah --pull-always: fetch the base images again */
} ImageBuildOptions;

/* The hex sha256 of what decides the build's result: the files of the context the build sends (the
 * .dockerignore applied; path, type, mode, content or link target), the Dockerfile's content, the
 * args, target, labels, extra hosts and network. 0 or -errno. */
int image_build_hash(const ImageBuildSpec *s, char ret[static 65], NcError *reterr);
/* Builds @s with buildah and imports the result into the store like a pulled image: refs.json maps
 * s->image and s->tags to its config digest. Output of the build goes to our stderr. 1 built,
 * 0 current already (unless o->force), or -errno with the builder's error in reterr. */
int image_build(const ImageBuildSpec *s, const ImageBuildOptions *o, char **ret_digest, NcError *reterr);

/* ---- S.json ---- */

typedef struct ServiceMount {
        char *type;                     /* "bind" | "volume" | "tmpfs" | "shm" (/dev/shm: ipc, shm_size) */
        char *source;                   /* absolute host path; NULL for tmpfs, anonymous volumes, credentials,
                                         * a private shm (a tmpfs of its own) */
        char *target;
        bool read_only;
        char *options;                  /* tmpfs mount options; NULL = none */
        bool copy;                      /* secrets, configs: bind a copy owned by uid:gid with mode */
        char *credential;               /* external ones: the copy is of $CREDENTIALS_DIRECTORY/this */
        uid_t uid;
        gid_t gid;
        mode_t mode;
} ServiceMount;

typedef struct ServiceNetwork {
        char *name, *bridge, *veth;
        char *address, *gateway;        /* "10.89.0.2/24", "10.89.0.1" */
        char *ipv6_address, *ipv6_gateway;
        char **aliases;
} ServiceNetwork;

typedef struct ServiceUlimit {
        char *name;                     /* compose name: "nofile", "nproc", … */
        int64_t soft, hard;             /* -1 = unlimited */
} ServiceUlimit;

/* post_start / pre_stop: a command run inside the running machine as `exec` runs one. */
typedef struct ServiceHook {
        char **command;
        char *user, *working_dir;       /* NULL: the service's */
        char **environment;             /* "K=V" over the service's; "K" alone removes K */
} ServiceHook;

typedef struct ServiceSpec {
        char *project, *service, *machine, *hash, *image, *image_digest;
        char **entrypoint, **command;   /* NULL = from the image; [] is a real (empty) override */
        char **environment;             /* "K=V" ("K" alone removes K) */
        char *working_dir, *user, *hostname;
        bool init, privileged, read_only;
        bool no_new_privileges;         /* security_opt: no-new-privileges */
        bool has_oom_score_adj;
        int oom_score_adj;              /* [-1000, 1000], with has_oom_score_adj */
        char **cap_add, **cap_drop;
        char **sysctls;                 /* "k=v" */
        ServiceUlimit *ulimits;
        size_t n_ulimits;
        char *stop_signal;              /* "SIGTERM" */
        uint64_t stop_grace_period_usec;
        ServiceMount *mounts;
        size_t n_mounts;
        ServiceNetwork *networks;
        size_t n_networks;
        char *netns;                    /* name under /run/netns; NULL = nspawn's --private-network */
        char *netns_of;                 /* the service that made @netns (network_mode service:X); NULL: we did */
        bool host_network;              /* network_mode: host: no namespace of ours (@netns NULL) */
        char *hosts_file;
        char **dns, **dns_search, **extra_hosts;
        HealthConfig *healthcheck;      /* test and timings; NULL = the image's; test ["NONE"] = disabled */
        bool healthcheck_image_test;    /* its "test" is null: the image's test with these timings */
        char *on_unhealthy;             /* x-nspawn-compose.on_unhealthy: "restart" | NULL */
        HealthConfig *probe;            /* x-nspawn-compose.probe: a TCP or HTTP test (no timings); or NULL */
        ServiceHook *post_start, *pre_stop;
        size_t n_post_start, n_pre_stop;
} ServiceSpec;
ServiceSpec *service_spec_free(ServiceSpec *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ServiceSpec*, service_spec_free);

/* Parses S.json text; @path names it in errors. 0 or -EINVAL (reterr says which key). */
int service_spec_parse(const char *json, const char *path, ServiceSpec **ret, NcError *reterr);
int service_spec_load(const char *path, ServiceSpec **ret, NcError *reterr);

/* ---- what docker would run ---- */

/* Entrypoint + command as docker merges them: compose entrypoint (even []) replaces the image's
 * and drops the image's Cmd; an empty compose command means the image's Cmd. -EINVAL when empty. */
int service_merge_argv(const ServiceSpec *s, const ImageConfig *img, char ***ret, NcError *reterr);
/* PATH (default), HOSTNAME, the image's Env, then compose's (same key replaces; "K" removes). */
int service_merge_env(const ServiceSpec *s, const ImageConfig *img, char ***ret);

/* Host paths on nspawn's command line. */
typedef struct NspawnPaths {
        const char *root;               /* the merged root (--directory=) */
        const char *volume_dir;         /* anonymous volumes: service_anonymous_volume_path() */
        const char *files_dir;          /* copies of secrets and configs: service_mount_copy_path() */
        const char *user_helper;        /* the helper the payload starts through (runtime-user-helper.c) */
        const char *env_file;           /* the payload's environment for it (0600; service_env_file_text()) */
} NspawnPaths;

/* Where the helper and the environment file are inside the machine. */
#define NC_USER_HELPER_TARGET "/run/nspawn-compose/user-helper"
#define NC_ENV_FILE_TARGET    "/run/nspawn-compose/environment"

/* The systemd-nspawn command line for @s. The command runs through the helper, which sets the
 * environment from the environment file (no value is ever an argument) and switches to a user other
 * than root. Golden-tested. */
int service_nspawn_argv(const ServiceSpec *s, const ImageConfig *img, const NspawnPaths *paths, char ***ret,
                        NcError *reterr);
/* The content of the environment file: service_merge_env()'s "K=V" entries, each ended by a NUL.
 * 0 or -ENOMEM. */
int service_env_file_text(const ServiceSpec *s, const ImageConfig *img, char **ret, size_t *ret_size);
/* The payload's working directory: compose's, else the image's, else "/". */
const char *service_working_dir(const ServiceSpec *s, const ImageConfig *img);
/* The user the payload runs as: compose's, else the image's; NULL when that is root. */
const char *service_user(const ServiceSpec *s, const ImageConfig *img);
/* VOLUME_DIR/<escaped target> ("/var/lib/x" → "var-lib-x", other bytes as "_XX"). */
int service_anonymous_volume_path(const char *volume_dir, const char *target, char **ret);
/* FILES_DIR/<escaped target>: the copy of a secret or config (ServiceMount.copy). */
int service_mount_copy_path(const char *files_dir, const char *target, char **ret);

/* Unmounts the shared /dev/shm tmpfs of the service whose runtime directory is @runtime_dir, if
 * any (before that directory is removed). 0 or -errno. */
int rt_shm_dir_release(const char *runtime_dir);

/* Rewrites /etc/hosts inside the running machine whose leader is @leader (in place, as docker does:
 * every symlink is resolved inside the machine's root). 0 or -errno. */
int service_hosts_update(pid_t leader, const char *text, NcError *reterr);
/* Removes what rt_network_ensure() made for @s: its host veths (only those marked as its own or not
 * at all: one of someone else's stays, and a line "link X kept: why" goes into @kept, which may be
 * NULL) and its network namespace. 0 or -ENOMEM. */
int service_links_remove(const ServiceSpec *s, char ***kept);

/* ---- the wrapper ---- */

typedef struct ServiceRunOptions {
        const char *store;              /* NULL = NC_IMAGE_STORE */
        const char *state_dir;          /* NULL = NC_STATE_DIR */
        const char *runtime_dir;        /* NULL = NC_RUNTIME_DIR */
        const char *nspawn;             /* NULL = "systemd-nspawn" from PATH */
} ServiceRunOptions;

/* The service's root, its writable layer over its image, as a tar archive to @out_fd (GNU tar:
 * numeric owners, xattrs): `export`. The caller makes sure the service is stopped, so that the
 * layer a machine wrote does not change while it is read. */
int service_rootfs_export(const ServiceSpec *s, const ServiceRunOptions *o, int out_fd, NcError *reterr);

/* Runs the service described by @spec until nspawn exits (see runtime-service.c for the whole
 * sequence). Returns the exit code for the process (0 after a requested stop), or -errno when
 * setting up failed. Logs from its event handlers, being the unit's main process. */
int service_run(const ServiceSpec *spec, const ServiceRunOptions *opts, NcError *reterr);

/* ---- a one-off machine of a service (run) ---- */

typedef struct ServiceSpecOverride {
        const char *service, *machine, *netns; /* the one-off's names */
        char **veths, **addresses;      /* per network of the service, in its order: "10.89.0.9/24" */
        char **entrypoint, **command;   /* NULL: the service's */
        char **environment;             /* "K=V" added after the service's */
        const char *user, *working_dir; /* NULL: the service's */
} ServiceSpecOverride;

/* The S.json text of a one-off machine of the service whose S.json is @json: @o's names and
 * overrides, one IPv4 address per network (no IPv6, no aliases), no restart on unhealthy. *ret is
 * new text. 0, -EINVAL (reterr says why) or -ENOMEM. */
int service_spec_override(const char *json, const ServiceSpecOverride *o, char **ret, NcError *reterr);
