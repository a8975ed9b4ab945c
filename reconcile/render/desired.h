/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/macro.h"
#include "netfilter/net-project.h"
#include "reconcile/compose/compose.h"

/* The DeviceAllow= entries ("/dev/net/tun rwm") of a service unit (DevicePolicy=closed), as
 * systemd-nspawn@.service has them; NULL-terminated. */
extern const char *const desired_nspawn_device_allow[];

/* Render: the desired state of a project.
 *
 * desired_render() turns a loaded, canonical project into exactly the files apply installs
 * (docs/runtime.md) plus the facts plan/apply need. Pure: the only input besides the project is
 * DesiredOptions (previous ipam.json, image digests); the only file reads are the content of
 * env_files, configs and secrets for the service hash (unreadable ones are hashed as such), and
 * whether an external secret or config is in systemd's credential store (names.h NC_CREDSTORE_DIR). */

typedef struct DesiredFile {
        char *path;                     /* absolute, as under / ("/etc/systemd/system/x.service") */
        char *content;                  /* NUL-terminated; NULL for a symlink */
        size_t size;
        mode_t mode;                    /* 0644, 0600 for S.json and secrets */
        char *symlink;                  /* non-NULL: a symlink to this target instead of a file */
        char *service;                  /* the service the file belongs to; NULL: project-wide */
} DesiredFile;

typedef struct DesiredDependency {
        char *service;
        char *condition;                /* service_started | service_healthy | service_completed_successfully */
        bool required;                  /* Requires= (true) or Wants= */
        bool restart;                   /* restart this service when the dependency restarts (PartOf=) */
} DesiredDependency;

typedef struct DesiredService {
        char *name;                     /* compose service name; replica N > 1 of service S: "S-N" */
        char *compose_name;             /* the compose service (S for every replica of it) */
        unsigned replica;               /* 1..replicas */
        char *unit;                     /* nspawn-compose-P-S.service */
        char *machine;                  /* P-S */
        char *hash;                     /* H, 64 hex digits (docs/runtime.md) */
        char *image;                    /* image reference as written */
        char *image_digest;             /* "sha256:…", "" when unknown */
        char *settings_path;            /* /etc/nspawn-compose/P/S.json */
        char *address;                  /* IPv4 address on its first network (eth0); "" without one */
        DesiredDependency *deps;
        size_t n_deps;
        bool oneshot;                   /* a dependent waits for successful completion */
        char *netns_owner;              /* network_mode service:/container: the service whose namespace,
                                         * hostname and hosts file it has; NULL: its own */
        bool has_healthcheck;           /* compose defines a test (not NONE) */
        char **inputs;                  /* env_files, configs, secrets files hashed into H */
} DesiredService;

typedef struct DesiredNetwork {
        char *name;                     /* compose key */
        char *bridge;                   /* nc-<10 hex> */
        char *subnet, *gateway;         /* "10.89.0.0/24", "10.89.0.1" */
        char *ipv6_subnet, *ipv6_gateway;       /* NULL: no IPv6 */
        bool internal;
} DesiredNetwork;

typedef struct DesiredPort {
        char *service;
        char *protocol;                 /* "tcp" | "udp" | "sctp" */
        char *host_ip;                  /* "" = every host address */
        uint16_t host_port;
        char *target_ip;
        uint16_t target_port;
        bool allocated;                 /* container-only port: host port chosen by us, persisted */
        char *balance;                  /* NULL, or the compose service whose replicas share this host port */
} DesiredPort;

typedef struct DesiredState {
        char *project;
        DesiredFile *files;             /* sorted by path */
        size_t n_files;
        DesiredService *services;       /* sorted by name */
        size_t n_services;
        DesiredNetwork *networks;       /* sorted by name */
        size_t n_networks;
        DesiredPort *ports;             /* in project.json order */
        size_t n_ports;
        char **warnings;                /* "file:line:col: key.path: message": ignored settings */
        char **compose_services;        /* every service of the file, those with 0 replicas too */
} DesiredState;

/* The image a service runs: its image:, else for a service with build: docker compose's name for
 * the result, "PROJECT-SERVICE"; "" when it has neither. 0 or -ENOMEM. */
int desired_service_image(const char *project, const char *service, const ComposeNode *svc, char **ret);

/* Returns the image digest ("sha256:…") for @image, or NULL when not known (not pulled). */
typedef const char *(*DesiredImageDigest)(const char *image, void *userdata);

/* A DesiredImageDigest reading the local image store (refs.json; no network). @userdata is a
 * `char ***` cache, freed with strv_free() after the DesiredState is no longer rendered. */
const char *desired_store_digest(const char *image, void *userdata);

typedef struct DesiredOptions {
        const char *ipam_json;          /* previous /var/lib/nspawn-compose/P/ipam.json; NULL: none */
        char **taken_subnets;           /* IPv4 subnets other projects use ("10.89.0.0/24"); skipped */
        const char *exe;                /* program in ExecStart=; NULL: /usr/bin/nspawn-compose */
        bool runtime;                   /* units under /run/systemd/system, settings under /run */
        DesiredImageDigest image_digest;
        void *userdata;
        const void *hash_key;           /* H is keyed with it (HMAC-SHA256) when set: names.h NC_HASH_KEY */
        size_t hash_key_size;
        const char *credstore_root;     /* the credential stores are looked up below it; NULL: "/" */
} DesiredOptions;

#define DESIRED_EXE_DEFAULT "/usr/bin/nspawn-compose"

/* How many machines a compose service runs: scale, else deploy.replicas, else 1 (docker compose's
 * order); -EINVAL for a value that is not a count up to DESIRED_REPLICAS_MAX. */
#define DESIRED_REPLICAS_MAX 100
int desired_replicas(const ComposeNode *svc, unsigned *ret);

/* 0 and *ret, or -errno: -EOPNOTSUPP when the project uses something nspawn-compose cannot honour
 * (the first such problem in @reterr, with its position and key path; desired_check() lists all),
 * -EINVAL for bad values (subnets, addresses, ports), -EADDRINUSE/-ENOSPC for allocation failures. */
int desired_render(const ComposeProject *p, const DesiredOptions *o, DesiredState **ret, NcError *reterr);
DesiredState *desired_state_free(DesiredState *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(DesiredState*, desired_state_free);

/* Every setting the project uses that nspawn-compose cannot honour (*ret_errors) or ignores
 * (*ret_warnings), as "file:line:col: key.path: message". 0 or -ENOMEM. */
int desired_check(const ComposeProject *p, char ***ret_errors, char ***ret_warnings);

const DesiredFile *desired_state_find_file(const DesiredState *s, const char *path);
const DesiredService *desired_state_find_service(const DesiredState *s, const char *name);

/* Writes every file of @s below @root ("/" for apply; the output directory for render) with
 * write_file_atomic(), symlinks likewise (temp + rename). With @beneath (render: a directory others
 * may write into) no directory below @root is followed if it is a symlink (-ELOOP). Files of other
 * projects and stale files are not touched. Returns the number of files changed, or -errno with the
 * path in @reterr. */
int desired_write(const DesiredState *s, const char *root, bool beneath, NcError *reterr);

/* IPv4 subnets recorded in the ipam.json of every project but @project below @state_dir (NULL: the
 * state directory), for DesiredOptions.taken_subnets. Unreadable files are skipped. 0 or -errno. */
int desired_taken_subnets(const char *state_dir, const char *project, char ***ret);


/* The networks and published ports of @s as netfilter takes them (strings borrowed from @s). */
typedef struct DesiredNetModel {
        NetProject net;
        FwNetwork *networks;
        FwPort *ports;
} DesiredNetModel;

int desired_net_model(const DesiredState *s, DesiredNetModel *ret);
void desired_net_model_done(DesiredNetModel *m);
