/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdlib.h>

#include "reconcile/render/desired-internal.h"

int desired_net_model(const DesiredState *d, DesiredNetModel *ret) {
        _cleanup_free_ FwPort *ports = calloc(MAX(d->n_ports, (size_t) 1), sizeof *ports);
        _cleanup_free_ FwNetwork *nets = calloc(MAX(d->n_networks, (size_t) 1), sizeof *nets);

        assert(d);
        assert(ret);

        if (!ports || !nets)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_ports; i++)
                ports[i] = (FwPort) {
                        .service = d->ports[i].service,
                        .protocol = d->ports[i].protocol,
                        .host_ip = d->ports[i].host_ip,
                        .host_port = d->ports[i].host_port,
                        .target_ip = d->ports[i].target_ip,
                        .target_port = d->ports[i].target_port,
                        .allocated = d->ports[i].allocated,
                        .balance = d->ports[i].balance,
                };
        for (size_t i = 0; i < d->n_networks; i++)
                nets[i] = (FwNetwork) {
                        .name = d->networks[i].name,
                        .bridge = d->networks[i].bridge,
                        .subnet = d->networks[i].subnet,
                        .gateway = d->networks[i].gateway,
                        .ipv6_subnet = d->networks[i].ipv6_subnet,
                        .ipv6_gateway = d->networks[i].ipv6_gateway,
                        .internal = d->networks[i].internal,
                };
        *ret = (DesiredNetModel) {
                .net = {
                        .project = d->project,
                        .networks = nets,
                        .n_networks = d->n_networks,
                        .ports = ports,
                        .n_ports = d->n_ports,
                },
                .networks = TAKE_PTR(nets),
                .ports = TAKE_PTR(ports),
        };
        return 0;
}

void desired_net_model_done(DesiredNetModel *m) {
        free(m->networks);
        free(m->ports);
        *m = (DesiredNetModel) {};
}

char *desired_project_json(DesiredContext *c) {
        _cleanup_(desired_net_model_done) DesiredNetModel m = {};
        _cleanup_(json_object_putp) json_object *o = NULL;

        if (desired_net_model(c->state, &m) < 0)
                return NULL;
        o = net_project_to_json(&m.net);
        return o ? desired_json_text(o) : NULL;
}
