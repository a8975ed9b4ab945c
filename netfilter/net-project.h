/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "lib/error.h"
#include "lib/macro.h"
#include "netfilter/netfilter.h"

/* A project's networks and published ports as one model: what project.json holds (its one writer and
 * its one reader, docs/runtime.md), and bringing it up (bridges with their gateway addresses,
 * forwarding, the project's nftables elements) or down. The project's network unit runs it at boot
 * through `nspawn-compose net-up`; apply calls it directly. */

typedef struct NetProject {
        const char *project;
        const FwNetwork *networks;
        size_t n_networks;
        const FwPort *ports;
        size_t n_ports;
} NetProject;

/* project.json of @p as a JSON object (NULL on OOM); the caller formats it. */
json_object *net_project_to_json(const NetProject *p);

/* A parsed project.json: @net borrows from it. */
typedef struct NetProjectFile {
        NetProject net;
        json_object *root;
        FwNetwork *networks;
        FwPort *ports;
} NetProjectFile;

/* Parses project.json text (@path for messages). 0, -EINVAL with the reason in @reterr, -ENOMEM. */
int net_project_parse(const char *text, const char *path, NetProjectFile **ret, NcError *reterr);
/* Reads and parses @path. Also -errno of reading it. */
int net_project_load(const char *path, NetProjectFile **ret, NcError *reterr);
NetProjectFile *net_project_file_free(NetProjectFile *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(NetProjectFile*, net_project_file_free);

typedef struct NetProjectChanges {
        bool forwarding_enabled;        /* ip_forward was off and is now on */
        unsigned nft_changes;           /* nftables changes made; 0: the ports were in sync */
} NetProjectChanges;

/* The mark of a project's bridge for @network ("nspawn-compose P/N", its interface alias): bridges
 * are never changed or removed for another. NULL on OOM. */
char *net_bridge_owner(const char *project, const char *network);
/* The mark of a service's host-side veth on @network ("nspawn-compose P/S/N"). NULL on OOM. */
char *net_veth_owner(const char *project, const char *service, const char *network);
/* "10.89.0.1" with the prefix length of @cidr ("10.89.0.0/24" or "10.89.0.2/24") → "10.89.0.1/24";
 * *ret NULL when either is missing. 0 or -ENOMEM. */
int net_gateway_cidr(const char *gateway, const char *cidr, char **ret);

/* What net_project_up() refuses before changing anything, alone: a link with a bridge's name that is
 * not a bridge, or not ours (see below). 0 or -EEXIST. */
int net_project_check(const NetProject *p, const NetProject *installed, NcError *reterr);
/* Bridges up with their addresses, forwarding on, the project's nftables elements exactly @p's.
 * Idempotent. @installed is the project.json installed before, our record: an unmarked bridge it
 * names for the same network is adopted (and marked); any other unmarked bridge is refused (NULL:
 * none is adopted). Refusals come before any change; a failure after the nftables change puts the
 * project's elements back as they were and removes the bridges this call made. @ret_changes may be
 * NULL. 0, -EADDRINUSE (a host port another project holds), -EEXIST (a bridge not ours), -errno. */
int net_project_up(const NetProject *p, const NetProject *installed, NetProjectChanges *ret_changes,
                   NcError *reterr);
/* The project's nftables elements and bridges removed. Idempotent. 0 or -errno. */
int net_project_down(const NetProject *p, NcError *reterr);
