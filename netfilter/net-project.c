/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fileio.h"
#include "netfilter/net-project.h"

static json_object *str_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static json_object *network_to_json(const FwNetwork *n) {
        json_object *j = json_object_new_object();

        if (!j)
                return NULL;
        json_object_object_add(j, "name", json_object_new_string(n->name));
        json_object_object_add(j, "bridge", json_object_new_string(n->bridge));
        json_object_object_add(j, "subnet", json_object_new_string(strempty(n->subnet)));
        json_object_object_add(j, "gateway", json_object_new_string(strempty(n->gateway)));
        json_object_object_add(j, "internal", json_object_new_boolean(n->internal));
        json_object_object_add(j, "ipv6_subnet", str_or_null(n->ipv6_subnet));
        json_object_object_add(j, "ipv6_gateway", str_or_null(n->ipv6_gateway));
        return j;
}

static json_object *port_to_json(const FwPort *p) {
        json_object *j = json_object_new_object();

        if (!j)
                return NULL;
        json_object_object_add(j, "service", json_object_new_string(p->service));
        json_object_object_add(j, "protocol", json_object_new_string(strempty(p->protocol)));
        json_object_object_add(j, "host_ip", json_object_new_string(strempty(p->host_ip)));
        json_object_object_add(j, "host_port", json_object_new_int(p->host_port));
        json_object_object_add(j, "target_ip", json_object_new_string(p->target_ip));
        json_object_object_add(j, "target_port", json_object_new_int(p->target_port));
        json_object_object_add(j, "allocated", json_object_new_boolean(p->allocated));
        if (p->balance)
                json_object_object_add(j, "balance", json_object_new_string(p->balance));
        return j;
}

json_object *net_project_to_json(const NetProject *p) {
        json_object *o = json_object_new_object(), *nets = json_object_new_array(), *ports = json_object_new_array();

        assert(p);
        if (!o || !nets || !ports) {
                json_object_put(o);
                json_object_put(nets);
                json_object_put(ports);
                return NULL;
        }
        json_object_object_add(o, "managed-by", json_object_new_string("nspawn-compose"));
        json_object_object_add(o, "project", json_object_new_string(p->project));
        json_object_object_add(o, "networks", nets);
        json_object_object_add(o, "ports", ports);
        for (size_t i = 0; i < p->n_networks; i++)
                if (json_object_array_add(nets, network_to_json(&p->networks[i])) < 0)
                        return json_object_put(o), NULL;
        for (size_t i = 0; i < p->n_ports; i++)
                if (json_object_array_add(ports, port_to_json(&p->ports[i])) < 0)
                        return json_object_put(o), NULL;
        return o;
}

/* ---- reading ------------------------------------------------------------------------------- */

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

static bool jbool(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int parse_networks(NetProjectFile *f, json_object *list, const char *path, NcError *reterr) {
        size_t n = json_object_array_length(list);

        f->networks = calloc(MAX(n, (size_t) 1), sizeof *f->networks);
        if (!f->networks)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(list, i);
                FwNetwork *net = &f->networks[i];

                *net = (FwNetwork) {
                        .name = jstr(o, "name"),
                        .bridge = jstr(o, "bridge"),
                        .subnet = jstr(o, "subnet"),
                        .gateway = jstr(o, "gateway"),
                        .ipv6_subnet = jstr(o, "ipv6_subnet"),
                        .ipv6_gateway = jstr(o, "ipv6_gateway"),
                        .internal = jbool(o, "internal"),
                };
                if (!net->name || !net->bridge)
                        return nc_error_set(reterr, -EINVAL, "%s: networks[%zu]: name and bridge expected", path, i);
        }
        f->net.networks = f->networks;
        f->net.n_networks = n;
        return 0;
}

static int parse_ports(NetProjectFile *f, json_object *list, const char *path, NcError *reterr) {
        size_t n = json_object_array_length(list);

        f->ports = calloc(MAX(n, (size_t) 1), sizeof *f->ports);
        if (!f->ports)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(list, i);
                FwPort *p = &f->ports[i];

                *p = (FwPort) {
                        .service = jstr(o, "service"),
                        .protocol = jstr(o, "protocol"),
                        .host_ip = jstr(o, "host_ip"),
                        .host_port = jport(o, "host_port"),
                        .target_ip = jstr(o, "target_ip"),
                        .target_port = jport(o, "target_port"),
                        .allocated = jbool(o, "allocated"),
                        .balance = jstr(o, "balance"),
                };
                if (!p->service || !p->target_ip)
                        return nc_error_set(reterr, -EINVAL, "%s: ports[%zu]: service and target_ip expected", path, i);
        }
        f->net.ports = f->ports;
        f->net.n_ports = n;
        return 0;
}

NetProjectFile *net_project_file_free(NetProjectFile *f) {
        if (!f)
                return NULL;
        free(f->networks);
        free(f->ports);
        json_object_put(f->root);
        free(f);
        return NULL;
}

int net_project_parse(const char *text, const char *path, NetProjectFile **ret, NcError *reterr) {
        _cleanup_(net_project_file_freep) NetProjectFile *f = calloc(1, sizeof *f);
        enum json_tokener_error jerr;
        json_object *nets, *ports;
        int r;

        assert(text);
        assert(path);
        assert(ret);

        if (!f)
                return -ENOMEM;
        f->root = json_tokener_parse_verbose(text, &jerr);
        if (!f->root)
                return nc_error_set(reterr, -EINVAL, "%s: %s", path, json_tokener_error_desc(jerr));
        f->net.project = jstr(f->root, "project");
        if (!f->net.project ||
            !json_object_object_get_ex(f->root, "networks", &nets) || !json_object_is_type(nets, json_type_array) ||
            !json_object_object_get_ex(f->root, "ports", &ports) || !json_object_is_type(ports, json_type_array))
                return nc_error_set(reterr, -EINVAL, "%s: expected project, networks and ports", path);
        r = parse_networks(f, nets, path, reterr);
        if (r < 0)
                return r;
        r = parse_ports(f, ports, path, reterr);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(f);
        return 0;
}

int net_project_load(const char *path, NetProjectFile **ret, NcError *reterr) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot read %s: %m", path);
        return net_project_parse(text, path, ret, reterr);
}

/* ---- up and down --------------------------------------------------------------------------- */

char *net_bridge_owner(const char *project, const char *network) {
        char *r;

        return asprintf(&r, "nspawn-compose %s/%s", project, network) < 0 ? NULL : r;
}

char *net_veth_owner(const char *project, const char *service, const char *network) {
        char *r;

        return asprintf(&r, "nspawn-compose %s/%s/%s", project, service, network) < 0 ? NULL : r;
}

int net_gateway_cidr(const char *gateway, const char *cidr, char **ret) {
        const char *slash = cidr ? strchr(cidr, '/') : NULL;

        *ret = NULL;
        if (isempty(gateway) || !slash)
                return 0;
        return asprintf(ret, "%s%s", gateway, slash) < 0 ? -ENOMEM : 0;
}

/* Does @installed, the project.json installed before (our record), name this network's bridge? Then an
 * unmarked bridge of that name is one an earlier release made for it. */
static bool bridge_recorded(const NetProject *installed, const char *project, const FwNetwork *n) {
        if (!installed || !streq_ptr(installed->project, project))
                return false;
        for (size_t i = 0; i < installed->n_networks; i++)
                if (streq_ptr(installed->networks[i].name, n->name) && streq_ptr(installed->networks[i].bridge, n->bridge))
                        return true;
        return false;
}

static int bridge_up(const NetProject *p, const NetProject *installed, const FwNetwork *n, bool *ret_ipv6,
                     NcError *reterr) {
        _cleanup_free_ char *owner = net_bridge_owner(p->project, n->name), *v4 = NULL, *v6 = NULL;
        bool adopt = bridge_recorded(installed, p->project, n);
        int r;

        if (!owner || net_gateway_cidr(n->gateway, n->subnet, &v4) < 0 ||
            net_gateway_cidr(n->ipv6_gateway, n->ipv6_subnet, &v6) < 0)
                return -ENOMEM;
        r = bridge_ensure(n->bridge, owner, adopt, v4, reterr);
        if (r < 0)
                return r;
        if (!v6)
                return 0;
        *ret_ipv6 = true;
        return bridge_ensure(n->bridge, owner, false, v6, reterr);
}

int net_project_check(const NetProject *p, const NetProject *installed, NcError *reterr) {
        for (size_t i = 0; i < p->n_networks; i++) {
                _cleanup_free_ char *owner = net_bridge_owner(p->project, p->networks[i].name);
                int r;

                if (!owner)
                        return -ENOMEM;
                r = bridge_check(p->networks[i].bridge, owner, bridge_recorded(installed, p->project, &p->networks[i]),
                                 reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int bridge_down(const NetProject *p, const FwNetwork *n, NcError *reterr) {
        _cleanup_free_ char *owner = net_bridge_owner(p->project, n->name);

        if (!owner)
                return -ENOMEM;
        return bridge_remove(n->bridge, owner, reterr);
}

/* Every bridge up; @made[i] says which ones this call created. */
static int bridges_up(const NetProject *p, const NetProject *installed, bool made[], bool *ret_ipv6,
                      NcError *reterr) {
        for (size_t i = 0; i < p->n_networks; i++) {
                int r;

                made[i] = link_exists(p->networks[i].bridge) == 0;
                r = bridge_up(p, installed, &p->networks[i], ret_ipv6, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

int net_project_up(const NetProject *p, const NetProject *installed, NetProjectChanges *ret_changes,
                   NcError *reterr) {
        _cleanup_(fw_closep) FwContext *fw = NULL;
        _cleanup_(fw_saved_freep) FwSaved *saved = NULL;
        _cleanup_free_ bool *made = NULL;
        NetProjectChanges changes = {};
        bool ipv6 = false;
        int r;

        assert(p);

        /* What must be refused is refused before anything changes: a bridge that is someone else's, then
         * (in nftables' one batch) a host port another project holds. */
        r = net_project_check(p, installed, reterr);
        if (r < 0)
                return r;
        made = calloc(MAX(p->n_networks, (size_t) 1), sizeof *made);
        if (!made)
                return -ENOMEM;
        r = fw_open(&fw, reterr);
        if (r < 0)
                return r;
        r = fw_save_project(fw, p->project, &saved, reterr);
        if (r < 0)
                return r;
        r = fw_sync_project(fw, p->project, p->ports, p->n_ports, p->networks, p->n_networks, reterr);
        if (r < 0)
                return r;
        changes.nft_changes = (unsigned) r;
        r = bridges_up(p, installed, made, &ipv6, reterr);
        if (r >= 0)
                r = fw_enable_forwarding(ipv6, reterr);
        if (r < 0) {
                /* a failed net-up leaves what was there before: the bridges it made go, the project's
                 * nftables elements are the saved ones again */
                for (size_t i = 0; i < p->n_networks; i++)
                        if (made[i])
                                (void) bridge_down(p, &p->networks[i], NULL);
                (void) fw_restore_project(fw, p->project, saved, NULL);
                return r;
        }
        changes.forwarding_enabled = r > 0;
        if (ret_changes)
                *ret_changes = changes;
        return 0;
}

int net_project_down(const NetProject *p, NcError *reterr) {
        _cleanup_(fw_closep) FwContext *fw = NULL;
        int r;

        assert(p);

        r = fw_open(&fw, reterr);
        if (r < 0)
                return r;
        r = fw_remove_project(fw, p->project, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_networks; i++) {
                r = bridge_down(p, &p->networks[i], reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}
