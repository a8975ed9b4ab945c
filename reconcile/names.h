/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "lib/error.h"

/* Every name nspawn-compose gives to a thing on the host, built from (project, service, network) and
 * nowhere else: units, machines, bridges, veths, network namespaces and the paths of our settings and
 * state (docs/runtime.md lists them). The returned strings are new (NULL on OOM) unless said.
 *
 * Each name is injective over its inputs, so no two projects can ever share one (a machine named by
 * compose's container_name aside, which apply checks against machined): a project name is
 * [a-z0-9_-] (no '.', no '/'), a service or network name [A-Za-z0-9._-] (no '/'), so "P.S" splits at
 * its first '.', and "P/S" (hashed) at its '/'. */

#define NC_UNIT_PREFIX      "nspawn-compose-"
#define NC_STATE_DIR        "/var/lib/nspawn-compose"
#define NC_RUNTIME_DIR      "/run/nspawn-compose"
#define NC_IMAGE_STORE      NC_STATE_DIR "/images"
#define NC_VOLUMES_DIR      NC_STATE_DIR "/volumes"
#define NC_BUILD_DIR        NC_STATE_DIR "/build"       /* buildah's storage, the builds' hashes */
#define NC_GENERATIONS_DIR  NC_STATE_DIR "/generations" /* P/N/: what applies converged to (generation.h) */
#define NC_BUILD_RUN_DIR    NC_RUNTIME_DIR "/build"     /* buildah's run root */
#define NC_VOLUME_OWNERS    NC_STATE_DIR "/volume-owners"

/* Whether @project names something of ours beside the projects' own directories in the state
 * directory ("images", "volumes", "volume-owners", "hash-key", "build"): no project may be called
 * so, or its state directory would be that. */
bool name_project_is_reserved(const char *project);
/* 0 when every name above can be built for @project ([a-z0-9_-], not reserved), else -EINVAL with the
 * reason in @reterr. */
int name_project_check(const char *project, NcError *reterr);

/* Units: "nspawn-compose-P.target", "nspawn-compose-P-network.service" (one '.') and
 * "nspawn-compose-P.S.service" (two or more). */
char *name_target_unit(const char *project);
char *name_network_unit(const char *project);
char *name_service_unit(const char *project, const char *service);
/* "nspawn-compose-P.", the prefix of every service unit of @project. */
char *name_service_unit_prefix(const char *project);
/* "nspawn-compose-P-S.service", the service units of releases before the names above: found and
 * replaced on upgrade, never made. */
char *name_legacy_service_unit(const char *project, const char *service);

/* The machine of a service: its @container_name when given (compose's `container_name:`, which may
 * be any name, so the caller checks it is free on the host), else "P.S" when that is a valid machine
 * name (hostname rules: [A-Za-z0-9-] labels, at most 64 bytes, so no '_' in P or S), else "nc-" + 16
 * hex digits of sha256("P/S"), which has no '.' and so is never a "P.S". -EINVAL when @service is not
 * a compose service name or @container_name is not name_container_name_valid(), -ENOMEM. */
int name_machine(const char *project, const char *service, const char *container_name, char **ret);
/* A machine's hostname when compose gives none: the service's name with '_' as '-' (nspawn takes
 * hostname labels of [A-Za-z0-9-] only), else @machine, which is a valid one. NULL on OOM. */
char *name_default_hostname(const char *service, const char *machine);
/* docker's container name rule ([a-zA-Z0-9][a-zA-Z0-9_.-]+) and machined's (a hostname: labels of
 * [A-Za-z0-9-], at most 64 bytes) together: [a-zA-Z0-9] first, then [a-zA-Z0-9.-], no empty label. */
bool name_container_name_valid(const char *s);

/* Interfaces and namespaces, "<prefix><10 hex digits of sha256>" (IFNAMSIZ allows 15 bytes):
 * the bridge of a network, a service's network namespace, its host-side veth on a network. */
char *name_bridge(const char *project, const char *network);
char *name_netns(const char *project, const char *service);
char *name_veth(const char *project, const char *service, const char *network);

/* Directories of units and settings: under /run with @runtime, else under /etc. Not new. */
const char *name_unit_dir(bool runtime);
/* /etc/nspawn-compose/P (or /run/nspawn-compose/P): S.json, hosts files, project.json, secrets. */
char *name_settings_dir(const char *project, bool runtime);

/* State: /var/lib/nspawn-compose/P[/S] (writable layers, ipam.json) and /run/nspawn-compose/P[/S]
 * (started hashes, mounts, notify sockets); @service NULL for the project's own directory. */
char *name_state_dir(const char *project, const char *service);
/* NC_GENERATIONS_DIR/P: outside P's state directory, where a service may have any name. */
char *name_generations_dir(const char *project);
char *name_runtime_dir(const char *project, const char *service);
/* /var/lib/nspawn-compose/P/ipam.json: the addresses and host ports a project was given. */
char *name_ipam_path(const char *project);
/* The key of the configuration hashes (docs/runtime.md), readable by root only. */
#define NC_HASH_KEY         NC_STATE_DIR "/hash-key"
#define NC_HASH_KEY_SIZE    32

/* /var/lib/nspawn-compose/P/config-files: the compose files the last up/apply read, one a line (ls). */
char *name_config_files_path(const char *project);
/* systemd's credential stores, where an external secret or config NAME is read from (the paths
 * LoadCredential= and LoadCredentialEncrypted= search first); `secret create` writes them. */
#define NC_CREDSTORE_DIR            "/etc/credstore"
#define NC_CREDSTORE_ENCRYPTED_DIR  "/etc/credstore.encrypted"
/* NAME is a credential name: [A-Za-z0-9._-], not "." or "..", at most 255 bytes. */
bool name_credential_valid(const char *name);

/* /run/nspawn-compose/P.lock: one apply per project at a time. */
char *name_lock_path(const char *project);
/* Held while an apply takes subnets from the pool and records them: a project name never starts with
 * '.', so this is no project's lock. */
#define NC_ALLOCATION_LOCK  NC_RUNTIME_DIR "/.allocation.lock"
/* A named volume's directory: /var/lib/nspawn-compose/volumes/NAME. */
char *name_volume_dir(const char *volume);
/* Which project made a named volume: /var/lib/nspawn-compose/volume-owners/NAME holds its name. */
char *name_volume_owner_path(const char *volume);
