/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the reconcile/render/ files only. */

#include <netinet/in.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/json-util.h"
#include "lib/sha256.h"
#include "lib/strv.h"
#include "lib/time-util.h"
#include "reconcile/names.h"
#include "reconcile/render/desired.h"
#include "reconcile/render/unit-escape.h"

#define NC_HEADER_COMMENT "# Managed by nspawn-compose; changes will be overwritten.\n"
#define DESIRED_POOL_BASE 0x0a590000u           /* 10.89.0.0/16, handed out in /24 steps */
#define DESIRED_POOL_PREFIX 16
#define DESIRED_POOL_STEP 24
#define DESIRED_PORT_MIN 32768                  /* host ports for container-only ports */
#define DESIRED_PORT_MAX 60999

/* One network a service is attached to. */
typedef struct DesiredAttach {
        size_t network;                 /* index into DesiredState.networks */
        const ComposeNode *node;        /* services.S.networks.N (may be NULL) */
        uint32_t address;               /* IPv4, host order; 0 until allocated */
        char *ipv6_address;             /* NULL: none */
        char **aliases;                 /* S first, then the compose aliases */
        int priority;
} DesiredAttach;

/* Per service, while rendering. */
typedef struct DesiredUnitInfo {
        const char *name;               /* the service's, "S-N" for replica N > 1 of S */
        const char *compose_name;       /* S: the key in services, for every replica */
        unsigned replica, replicas;
        const ComposeNode *node;
        DesiredAttach *attach;          /* in interface order: eth0, eth1, … */
        size_t n_attach;
        bool dependents_need_completion;
        /* network_mode service:X or container:NAME: the service it names (ordered before it,
         * restarting it), and the one whose network namespace that is at the end of such a chain;
         * -1 for a namespace of its own. host: the host's network. */
        ssize_t netns_of, netns_owner;
        bool host_network;
} DesiredUnitInfo;

/* Per network, while rendering. */
typedef struct DesiredNet {
        const ComposeNode *node;        /* networks.N (may be NULL for an implicit default) */
        uint32_t base, gateway;         /* host order */
        unsigned prefix;
        bool from_config;
        struct in6_addr v6_base, v6_gateway;    /* valid when DesiredNetwork.ipv6_subnet is set */
        unsigned v6_prefix;
} DesiredNet;

/* An external secret or config: a credential in systemd's store, which the service's unit loads
 * (LoadCredential= or LoadCredentialEncrypted=) and the wrapper delivers as a file secret. */
typedef struct DesiredCredential {
        const char *kind, *key;         /* "secrets" | "configs", and the key in that section */
        const char *id;                 /* its `name:` (the key by default): the credential's name */
        char *path;                     /* the store's file: NC_CREDSTORE_DIR/ID or the encrypted one */
        bool encrypted;
} DesiredCredential;

typedef struct DesiredContext {
        const ComposeProject *project;
        const DesiredOptions *options;
        const ComposeNode *services;    /* the services map */
        const char *name;               /* project name */
        char *settings_dir;             /* /etc/nspawn-compose/P (or /run/…) */
        char *unit_dir;                 /* /etc/systemd/system (or /run/…) */
        char *target_unit;              /* nspawn-compose-P.target */
        char *network_unit;             /* nspawn-compose-P-network.service */
        DesiredState *state;
        DesiredUnitInfo *units;         /* parallel to state->services */
        size_t n_units;
        DesiredNet *nets;               /* parallel to state->networks */
        json_object *previous;          /* parsed DesiredOptions.ipam_json, or NULL */
        json_object *host_ports;        /* "S/target/proto" → port: what ipam.json will hold */
        DesiredCredential *credentials; /* the external secrets and configs services use */
        size_t n_credentials;
} DesiredContext;

/* desired-util.c */
/* systemd time span text: "90s", "1500ms", "infinity". NULL on OOM. */
char *format_timespan_unit(uint64_t usec);
/* "file:line:column: path: message" (only the parts known). NULL on OOM. */
char *desired_format_at(const ComposeNode *n, const char *path, const char *fmt, ...) _printf_(3, 4);
/* Text of a scalar as an integer in [min, max]; -EINVAL/-ERANGE. */
/* A security_opt entry: 1 for no-new-privileges (alone, :true, =true), 0 for its :false/=false,
 * -EOPNOTSUPP for any other (seccomp=, apparmor=, label=: nspawn's own apply). */
int desired_security_opt(const char *opt);
/* A device path systemd and nspawn take as written: /dev/..., no blank, no specifier, no "..". */
bool desired_device_path_ok(const char *p);
int desired_node_uint(const ComposeNode *n, uint64_t min, uint64_t max, uint64_t *ret);
/* Appends a JSON rendering of @o (pretty, two-space indents) plus a newline to a new string. */
char *desired_json_text(json_object *o);
json_object *desired_json_str(const char *s);
/* Looks @name up in the project's environment ("K=V"); NULL when unset. */
const char *desired_project_env(const ComposeProject *p, const char *name);
size_t utf8_sequence_length(const char *s);

/* desired-ipam.c */
int desired_ipv4_parse(const char *s, uint32_t *ret);
char *desired_ipv4_format(uint32_t a);
int desired_networks(DesiredContext *c, NcError *reterr);
int desired_addresses(DesiredContext *c, NcError *reterr);
int desired_ports(DesiredContext *c, NcError *reterr);
char *desired_ipam_json(DesiredContext *c);

/* desired-check.c */
typedef struct DesiredProblems {
        char **errors, **warnings;
        NcError first;                  /* the first error, with its position */
} DesiredProblems;
int desired_check_project(const ComposeProject *p, DesiredProblems *ret);

/* desired-service.c: S.json (with @hash, "" while hashing) */
typedef struct DesiredLimits {
        uint64_t memory;                /* MemoryMax= bytes; 0 = none */
        uint64_t swap;                  /* MemorySwapMax= bytes (UINT64_MAX = infinity), with has_swap */
        bool has_swap;
        const char *cpus;               /* as written ("1.5"), NULL = none */
        uint64_t cpu_permyriad;         /* CPUQuota= in 1/100 %; 0 = none */
        int64_t pids;                   /* TasksMax=; 0 = none, < 0 = unlimited */
        uint64_t cpu_weight;            /* CPUWeight= from cpu_shares; 0 = none */
        const char *cpuset;             /* AllowedCPUs=; NULL = none */
        uint64_t memory_low;            /* MemoryLow= from mem_reservation; 0 = none */
        uint64_t io_weight;             /* IOWeight= from blkio_config.weight; 0 = none */
} DesiredLimits;
/* mem_limit, memswap_limit, cpus, pids_limit, else deploy.resources.limits, as docker reads them;
 * cpu_shares, cpuset, mem_reservation (else deploy.resources.reservations.memory), blkio_config. */
int desired_service_limits(const ComposeNode *svc, const char *path, DesiredLimits *ret, NcError *reterr);
int desired_service_json(DesiredContext *c, size_t i, const char *hash, char **ret, NcError *reterr);
/* A compose node as JSON (scalars keep their type). */
json_object *desired_node_to_json(const ComposeNode *n);

/* blkio_config's per-device entries as systemd's IO*= lines ("IOReadBandwidthMax=/dev/sda 1048576"),
 * validated by desired_service_limits(). */
void desired_blkio_lines(const ComposeNode *svc, StrBuf *b);

/* desired-mounts.c */
int desired_service_mounts(DesiredContext *c, size_t i, json_object *mounts, NcError *reterr);
/* The DeviceAllow= lines of a service's devices:, checked by desired_service_mounts(). */
void desired_device_allow_lines(const ComposeNode *svc, StrBuf *b);
/* Files referenced by service @i (env_files, configs, secrets) whose content goes into its hash. */
int desired_service_inputs(DesiredContext *c, size_t i, char ***ret);
/* Rendered secret/config files for `environment:` and `content:` sources. */
int desired_secret_files(DesiredContext *c, NcError *reterr);
/* Finds the external secrets and configs the services use in the credential store: -ENOENT (at the
 * definition) for one that is in neither directory, -EINVAL for a name that is no credential name. */
int desired_credentials(DesiredContext *c, NcError *reterr);
/* The LoadCredential=/LoadCredentialEncrypted= lines of service @i's unit, each credential once. */
void desired_credential_lines(DesiredContext *c, size_t i, StrBuf *b);

/* desired-unit.c */
/* @with_deps: false leaves out the depends_on lines, for the configuration hash (docker compose's
 * hash leaves depends_on out too: a dependent is not recreated when only its dependencies change). */
char *desired_service_unit(DesiredContext *c, size_t i, const char *hash, bool with_deps);
char *desired_network_unit(DesiredContext *c);
char *desired_target_unit(DesiredContext *c);
uint64_t desired_start_timeout(const ComposeNode *healthcheck, bool oneshot);
/* A healthcheck that runs: present, not disable: true, test not ["NONE"]. */
bool desired_healthcheck_enabled(const ComposeNode *healthcheck);

/* desired-hosts.c */
char *desired_hosts_file(DesiredContext *c, size_t i);

/* desired-net.c */
char *desired_project_json(DesiredContext *c);

/* desired.c */
int desired_add_file(DesiredState *s, const char *path, char *content, mode_t mode, const char *service);
int desired_add_symlink(DesiredState *s, const char *path, const char *target);
/* The service (machine) named @name: replica 1 for a compose service. -ENOENT when there is none. */
ssize_t desired_service_index(DesiredContext *c, const char *name);
/* The service whose machine is @name, or whose container docker compose would name @name (P-S-1):
 * the NAME of container:NAME. -ENOENT, -ENOMEM. */
ssize_t desired_service_by_container(DesiredContext *c, const char *name);
