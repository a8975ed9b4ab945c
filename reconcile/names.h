/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Every name nspawn-compose gives to a thing on the host, built from (project, service, network) and
 * nowhere else: units, machines, bridges, veths, network namespaces and the paths of our settings and
 * state (docs/runtime.md lists them). The returned strings are new (NULL on OOM) unless said. */

#define NC_UNIT_PREFIX      "nspawn-compose-"
#define NC_STATE_DIR        "/var/lib/nspawn-compose"
#define NC_RUNTIME_DIR      "/run/nspawn-compose"
#define NC_IMAGE_STORE      NC_STATE_DIR "/images"
#define NC_VOLUMES_DIR      NC_STATE_DIR "/volumes"

/* Units: "nspawn-compose-P.target", "nspawn-compose-P-network.service", "nspawn-compose-P-S.service". */
char *name_target_unit(const char *project);
char *name_network_unit(const char *project);
char *name_service_unit(const char *project, const char *service);
/* "nspawn-compose-P-", the prefix of every unit of @project but its target. */
char *name_unit_prefix(const char *project);

/* The machine of a service: "P-S" with '_' as '-' (hostname rules, at most 64 bytes, no empty
 * label). -EINVAL when @service is not a compose service name or the result is not a valid machine
 * name, -ENOMEM. */
int name_machine(const char *project, const char *service, char **ret);

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
char *name_runtime_dir(const char *project, const char *service);
/* /var/lib/nspawn-compose/P/ipam.json: the addresses and host ports a project was given. */
char *name_ipam_path(const char *project);
/* /run/nspawn-compose/P.lock: one apply per project at a time. */
char *name_lock_path(const char *project);
/* A named volume's directory: /var/lib/nspawn-compose/volumes/NAME. */
char *name_volume_dir(const char *volume);
