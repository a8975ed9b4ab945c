/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "netfilter/netfilter.h"
#include "lib/fileio.h"
#include "lib/log.h"

/* net-up / net-down PROJECT_JSON: the project's network unit (ExecStart/ExecReload and ExecStop).
 * Bridges with their gateway addresses, forwarding, masquerade and the published ports, from the
 * project.json that render wrote (docs/runtime.md), so they come back at boot without apply. */

typedef struct NetModel {
        json_object *root;
        const char *project;
        FwPort *ports;
        size_t n_ports;
        FwNetwork *networks;
        size_t n_networks;
        char **gateways;                /* parallel to networks: "10.89.0.1/24" or NULL */
        char **gateways6;
} NetModel;

static void net_model_done(NetModel *m) {
        for (size_t i = 0; i < m->n_networks; i++) {
                free(m->gateways[i]);
                free(m->gateways6[i]);
        }
        free(m->gateways);
        free(m->gateways6);
        free(m->ports);
        free(m->networks);
        json_object_put(m->root);
}

static const char *jstr(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* A port number, or 0 (which fw_port_check() rejects) when missing or out of range. */
static uint16_t jport(json_object *o, const char *key) {
        json_object *v;
        int p;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return 0;
        p = json_object_get_int(v);
        return p > 0 && p <= UINT16_MAX ? (uint16_t) p : 0;
}

/* "10.89.0.1" + "10.89.0.0/24" → "10.89.0.1/24". NULL when either is missing. */
static char *gateway_cidr(const char *gateway, const char *subnet) {
        const char *slash = subnet ? strchr(subnet, '/') : NULL;
        char *r;

        if (!gateway || !slash)
                return NULL;
        return asprintf(&r, "%s%s", gateway, slash) < 0 ? NULL : r;
}

static int parse_networks(NetModel *m, json_object *list) {
        size_t n = json_object_array_length(list);

        m->networks = calloc(MAX(n, (size_t) 1), sizeof *m->networks);
        m->gateways = calloc(MAX(n, (size_t) 1), sizeof(char*));
        m->gateways6 = calloc(MAX(n, (size_t) 1), sizeof(char*));
        if (!m->networks || !m->gateways || !m->gateways6)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(list, i), *internal;

                m->networks[i] = (FwNetwork) {
                        .name = jstr(o, "name"),
                        .bridge = jstr(o, "bridge"),
                        .subnet = jstr(o, "subnet"),
                        .ipv6_subnet = jstr(o, "ipv6_subnet"),
                        .internal = json_object_object_get_ex(o, "internal", &internal) &&
                                    json_object_get_boolean(internal),
                };
                if (!m->networks[i].name || !m->networks[i].bridge)
                        return -EINVAL;
                m->gateways[i] = gateway_cidr(jstr(o, "gateway"), m->networks[i].subnet);
                m->gateways6[i] = gateway_cidr(jstr(o, "ipv6_gateway"), m->networks[i].ipv6_subnet);
                m->n_networks++;
        }
        return 0;
}

static int parse_ports(NetModel *m, json_object *list) {
        size_t n = json_object_array_length(list);

        m->ports = calloc(MAX(n, (size_t) 1), sizeof *m->ports);
        if (!m->ports)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(list, i);

                m->ports[i] = (FwPort) {
                        .service = jstr(o, "service"),
                        .protocol = jstr(o, "protocol"),
                        .host_ip = jstr(o, "host_ip"),
                        .host_port = jport(o, "host_port"),
                        .target_ip = jstr(o, "target_ip"),
                        .target_port = jport(o, "target_port"),
                };
                if (!m->ports[i].service || !m->ports[i].target_ip)
                        return -EINVAL;
                m->n_ports++;
        }
        return 0;
}

static int net_model_load(const char *path, NetModel *m) {
        json_object *nets, *ports;
        int r;

        m->root = json_object_from_file(path);
        if (!m->root)
                return log_error_errno(-EINVAL, "%s: %s", path, json_util_get_last_err() ?: "invalid JSON");
        m->project = jstr(m->root, "project");
        if (!m->project || !json_object_object_get_ex(m->root, "networks", &nets) ||
            !json_object_object_get_ex(m->root, "ports", &ports) ||
            !json_object_is_type(nets, json_type_array) || !json_object_is_type(ports, json_type_array))
                return log_error_errno(-EINVAL, "%s: expected project, networks and ports.", path);
        r = parse_networks(m, nets);
        if (r >= 0)
                r = parse_ports(m, ports);
        if (r < 0)
                return log_error_errno(r, "%s: invalid network or port entry: %m", path);
        return 0;
}

static int net_up(const NetModel *m) {
        _cleanup_(fw_closep) FwContext *fw = NULL;
        NcError err = {};
        bool ipv6 = false;
        int r;

        for (size_t i = 0; i < m->n_networks; i++) {
                r = bridge_ensure(m->networks[i].bridge, m->gateways[i], &err);
                if (r >= 0 && m->gateways6[i]) {
                        r = bridge_ensure(m->networks[i].bridge, m->gateways6[i], &err);
                        ipv6 = true;
                }
                if (r < 0)
                        return log_error_errno(r, "Bridge %s of network '%s': %s", m->networks[i].bridge,
                                               m->networks[i].name, err.message);
        }
        r = fw_enable_forwarding(ipv6, &err);
        if (r < 0)
                return log_error_errno(r, "Failed to enable forwarding: %s", err.message);
        if (r > 0)
                log_notice("Enabled IP forwarding (net.ipv4.ip_forward=1) for project networks.");
        r = fw_open(&fw, &err);
        if (r >= 0)
                r = fw_sync_project(fw, m->project, m->ports, m->n_ports, m->networks, m->n_networks, &err);
        if (r < 0)
                return log_error_errno(r, "Failed to publish the ports of '%s': %s", m->project, err.message);
        if (r > 0)
                log_info("Made %d nftables change(s) for project '%s'.", r, m->project);
        return 0;
}

static int net_down(const NetModel *m) {
        _cleanup_(fw_closep) FwContext *fw = NULL;
        NcError err = {};
        int r;

        r = fw_open(&fw, &err);
        if (r >= 0)
                r = fw_remove_project(fw, m->project, &err);
        if (r < 0)
                return log_error_errno(r, "Failed to remove the ports of '%s': %s", m->project, err.message);
        for (size_t i = 0; i < m->n_networks; i++) {
                r = bridge_remove(m->networks[i].bridge, &err);
                if (r < 0)
                        return log_error_errno(r, "Failed to remove bridge %s: %s", m->networks[i].bridge,
                                               err.message);
        }
        return 0;
}

static int net_verb(int argc, char *argv[], bool up) {
        NetModel m = {};
        int r;

        if (argc != 2)
                return log_error("Usage: nspawn-compose %s PROJECT_JSON", argv[0]), 1;
        r = net_model_load(argv[1], &m);
        if (r >= 0)
                r = up ? net_up(&m) : net_down(&m);
        net_model_done(&m);
        return r < 0 ? 1 : 0;
}

int cmd_net_up(int argc, char *argv[], CmdGlobal *g) {
        return net_verb(argc, argv, true);
}

int cmd_net_down(int argc, char *argv[], CmdGlobal *g) {
        return net_verb(argc, argv, false);
}
