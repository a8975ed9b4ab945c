/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A project's networks up and down (what apply and the network unit's net-up/net-down do), from the
 * project.json render writes, in throwaway namespaces. */
#include <netinet/in.h>

#include "lib/fileio.h"
#include "netfilter/net-project.h"
#include "netfilter/netfilter-internal.h"
#include "reconcile/render/desired.h"
#include "tests/netns/netns-harness.h"
#include "tests/tap.h"
#include "tests/unit/test-desired-util.h"

static const char project_json[] =
        "{ \"managed-by\": \"nspawn-compose\", \"project\": \"demo\",\n"
        "  \"networks\": [\n"
        "    { \"name\": \"default\", \"bridge\": \"nc-0123456789\", \"subnet\": \"10.89.0.0/24\",\n"
        "      \"gateway\": \"10.89.0.1\", \"internal\": false, \"ipv6_subnet\": null, \"ipv6_gateway\": null },\n"
        "    { \"name\": \"back\", \"bridge\": \"nc-9876543210\", \"subnet\": \"10.89.1.0/24\",\n"
        "      \"gateway\": \"10.89.1.1\", \"internal\": true, \"ipv6_subnet\": null, \"ipv6_gateway\": null } ],\n"
        "  \"ports\": [\n"
        "    { \"service\": \"web\", \"protocol\": \"tcp\", \"host_ip\": \"\", \"host_port\": 8080,\n"
        "      \"target_ip\": \"10.89.0.2\", \"target_port\": 80 } ] }\n";

static int drift(const NetProject *p) {
        _cleanup_(fw_closep) FwContext *ctx = NULL;
        _cleanup_(fw_diff_freep) FwDiff *d = NULL;

        ASSERT_OK(fw_open(&ctx, NULL));
        return fw_diff_project(ctx, p->project, p->ports, p->n_ports, p->networks, p->n_networks, &d, NULL);
}

/* The bridge has its gateway address: the kernel gives it a local route to the address. */
static bool has_address(const char *ifname, const char *address) {
        char cmd[256];

        snprintf(cmd, sizeof cmd, "ip -o addr show dev %s | grep -qw 'inet %s'", ifname, address);
        return system(cmd) == 0;
}

TEST(up_is_idempotent_and_down_undoes_it) {
        _cleanup_(net_project_file_freep) NetProjectFile *f = NULL;
        NetProjectChanges changes;

        ASSERT_OK(net_project_parse(project_json, "project.json", &f, NULL));
        ASSERT_STREQ(f->net.project, "demo");
        ASSERT_EQ(f->net.n_networks, 2);
        ASSERT_EQ(f->net.n_ports, 1);
        ASSERT_OK(net_project_up(&f->net, NULL, &changes, NULL));
        ASSERT_TRUE(changes.nft_changes > 0);
        ASSERT_TRUE(link_exists("nc-0123456789") > 0);
        ASSERT_TRUE(link_exists("nc-9876543210") > 0);
        ASSERT_TRUE(has_address("nc-0123456789", "10.89.0.1/24"));
        ASSERT_EQ(drift(&f->net), 0);
        ASSERT_OK(net_project_up(&f->net, NULL, &changes, NULL));
        ASSERT_EQ(changes.nft_changes, 0);
        ASSERT_FALSE(changes.forwarding_enabled);
        ASSERT_EQ(drift(&f->net), 0);
        ASSERT_OK(net_project_down(&f->net, NULL));
        ASSERT_EQ(link_exists("nc-0123456789"), 0);
        ASSERT_TRUE(drift(&f->net) > 0);
        ASSERT_OK(net_project_down(&f->net, NULL));
}

TEST(up_rejects_what_dnat_cannot_serve) {
        static const char bad[] = "{\"project\":\"x\",\"networks\":[],\"ports\":[{\"service\":\"w\","
                                  "\"host_ip\":\"[::1]\",\"host_port\":80,\"target_ip\":\"10.0.0.2\",\"target_port\":80}]}";
        _cleanup_(net_project_file_freep) NetProjectFile *f = NULL;
        NcError err = {};

        ASSERT_OK(net_project_parse(bad, "bad.json", &f, NULL));
        ASSERT_TRUE(net_project_up(&f->net, NULL, NULL, &err) < 0);
        ASSERT_STRCONTAINS(err.message, "::1");
}

/* A host port another project holds: refused before anything of the second project exists. */
TEST(a_conflict_creates_nothing) {
        static const FwNetwork na = { .name = "default", .bridge = "nc-aaaaaaaaaa", .subnet = "10.89.5.0/24",
                                      .gateway = "10.89.5.1" };
        static const FwNetwork nb = { .name = "default", .bridge = "nc-bbbbbbbbbb", .subnet = "10.89.6.0/24",
                                      .gateway = "10.89.6.1" };
        static const FwPort pa = { .service = "web", .protocol = "tcp", .host_ip = "", .host_port = 8443,
                                   .target_ip = "10.89.5.2", .target_port = 443 };
        static const FwPort pb = { .service = "web", .protocol = "tcp", .host_ip = "", .host_port = 8443,
                                   .target_ip = "10.89.6.2", .target_port = 443 };
        const NetProject a = { .project = "pa", .networks = &na, .n_networks = 1, .ports = &pa, .n_ports = 1 };
        const NetProject b = { .project = "pb", .networks = &nb, .n_networks = 1, .ports = &pb, .n_ports = 1 };
        NcError err = {};

        ASSERT_OK(net_project_up(&a, NULL, NULL, NULL));
        ASSERT_EQ(net_project_up(&b, NULL, NULL, &err), -EADDRINUSE);
        ASSERT_EQ(link_exists("nc-bbbbbbbbbb"), 0);
        ASSERT_TRUE(link_exists("nc-aaaaaaaaaa") > 0);
        ASSERT_EQ(drift(&a), 0);
        ASSERT_OK(net_project_down(&a, NULL));
        ASSERT_OK(net_project_down(&b, NULL));
}

/* A bridge of that name marked as someone else's is neither taken over nor removed. */
TEST(a_foreign_bridge_is_left_alone) {
        static const FwNetwork n = { .name = "default", .bridge = "nc-cccccccccc", .subnet = "10.89.7.0/24",
                                     .gateway = "10.89.7.1" };
        const NetProject p = { .project = "pc", .networks = &n, .n_networks = 1 };
        NcError err = {};

        ASSERT_EQ(bridge_ensure("nc-cccccccccc", "nspawn-compose other/default", false, NULL, NULL), 1);
        ASSERT_EQ(net_project_up(&p, NULL, NULL, &err), -EEXIST);
        ASSERT_STRCONTAINS(err.message, "is not ours");
        ASSERT_FALSE(has_address("nc-cccccccccc", "10.89.7.1/24"));
        ASSERT_TRUE(drift(&p) > 0);     /* nothing of the project went into nftables either */
        err = (NcError) {};
        ASSERT_EQ(net_project_down(&p, &err), -EEXIST);
        ASSERT_TRUE(link_exists("nc-cccccccccc") > 0);
        ASSERT_EQ(bridge_remove("nc-cccccccccc", "nspawn-compose other/default", NULL), 1);
        ASSERT_OK(net_project_down(&p, NULL));
}

/* A bridge of that name with no mark at all is not taken either, unless the project.json installed
 * before (our record: a release that did not mark bridges made it) names it for that network. */
TEST(an_unmarked_bridge_is_ours_only_by_our_record) {
        static const FwNetwork n = { .name = "default", .bridge = "nc-dddddddddd", .subnet = "10.89.8.0/24",
                                     .gateway = "10.89.8.1" };
        static const FwNetwork other = { .name = "other", .bridge = "nc-dddddddddd" };
        const NetProject p = { .project = "pd", .networks = &n, .n_networks = 1 };
        const NetProject someone = { .project = "pe", .networks = &n, .n_networks = 1 };
        const NetProject renamed = { .project = "pd", .networks = &other, .n_networks = 1 };
        NcError err = {};

        ASSERT_EQ(system("ip link add nc-dddddddddd type bridge"), 0);
        ASSERT_EQ(net_project_up(&p, NULL, NULL, &err), -EEXIST);
        ASSERT_STRCONTAINS(err.message, "no owner mark");
        ASSERT_FALSE(has_address("nc-dddddddddd", "10.89.8.1/24"));
        ASSERT_TRUE(drift(&p) > 0);
        /* another project's record, or ours for another network, is no record of this bridge */
        ASSERT_EQ(net_project_up(&p, &someone, NULL, NULL), -EEXIST);
        ASSERT_EQ(net_project_up(&p, &renamed, NULL, NULL), -EEXIST);
        ASSERT_OK(net_project_up(&p, &p, NULL, NULL));
        ASSERT_TRUE(has_address("nc-dddddddddd", "10.89.8.1/24"));
        /* adopted, it carries our mark now: no record needed any more */
        ASSERT_OK(net_project_up(&p, NULL, NULL, NULL));
        ASSERT_OK(net_project_down(&p, NULL));
        ASSERT_EQ(link_exists("nc-dddddddddd"), 0);
}

static bool table_has(const char *what) {
        char cmd[256];

        snprintf(cmd, sizeof cmd, "nft list table inet " FW_TABLE_NAME " 2>/dev/null | grep -q '%s'", what);
        return system(cmd) == 0;
}

/* A net-up that fails after nftables changed (here: the IPv6 gateway cannot be added where IPv6 is
 * off) leaves the project's elements as they were and removes the bridges it made: for a new
 * project nothing stays, for a running one its old ports stay. */
TEST(a_failed_up_puts_back_what_was_there) {
        static const FwNetwork v4 = { .name = "default", .bridge = "nc-ffffffffff", .subnet = "10.89.9.0/24",
                                      .gateway = "10.89.9.1" };
        static const FwNetwork v6[] = {
                { .name = "default", .bridge = "nc-ffffffffff", .subnet = "10.89.9.0/24", .gateway = "10.89.9.1" },
                { .name = "six", .bridge = "nc-6666666666", .subnet = "10.89.10.0/24", .gateway = "10.89.10.1",
                  .ipv6_subnet = "fd00:89:10::/64", .ipv6_gateway = "fd00:89:10::1" } };
        static const FwPort old_port = { .service = "web", .protocol = "tcp", .host_ip = "", .host_port = 7001,
                                         .target_ip = "10.89.9.2", .target_port = 80 };
        static const FwPort new_port = { .service = "web", .protocol = "tcp", .host_ip = "", .host_port = 7002,
                                         .target_ip = "10.89.9.2", .target_port = 80 };
        const NetProject running = { .project = "pf", .networks = &v4, .n_networks = 1, .ports = &old_port, .n_ports = 1 };
        const NetProject changed = { .project = "pf", .networks = v6, .n_networks = 2, .ports = &new_port, .n_ports = 1 };
        const NetProject fresh = { .project = "pg", .networks = v6 + 1, .n_networks = 1, .ports = &new_port, .n_ports = 1 };
        NcError err = {};

        ASSERT_EQ(system("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"), 0);

        ASSERT_TRUE(net_project_up(&fresh, NULL, NULL, &err) < 0);
        harness_show("nft list table inet " FW_TABLE_NAME);
        ASSERT_FALSE(table_has("pg/"));
        ASSERT_EQ(link_exists("nc-6666666666"), 0);

        ASSERT_OK(net_project_up(&running, NULL, NULL, NULL));
        ASSERT_TRUE(table_has("7001"));
        ASSERT_TRUE(net_project_up(&changed, &running, NULL, NULL) < 0);
        harness_show("nft list table inet " FW_TABLE_NAME);
        ASSERT_EQ(drift(&running), 0);
        ASSERT_FALSE(table_has("7002"));
        ASSERT_EQ(link_exists("nc-6666666666"), 0);
        ASSERT_TRUE(link_exists("nc-ffffffffff") > 0);  /* the running project's own bridge stays */
        ASSERT_OK(net_project_down(&running, NULL));

        ASSERT_EQ(system("sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0"), 0);
}

TEST(broken_files_are_named) {
        _cleanup_(net_project_file_freep) NetProjectFile *f = NULL;
        NcError err = {};

        ASSERT_EQ(net_project_parse("{", "p.json", &f, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "p.json");
        err = (NcError) {};
        ASSERT_EQ(net_project_parse("{\"project\":\"x\",\"networks\":[{}],\"ports\":[]}", "p.json", &f, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "networks[0]");
        ASSERT_EQ(net_project_load("/nonexistent/p.json", &f, NULL), -ENOENT);
}

/* What render writes is what the network unit reads back: the same model, byte for byte when
 * written again, and it comes up with the ports reaching the service's address. */
TEST(rendered_project_json_round_trips_and_comes_up) {
        _cleanup_(compose_project_freep) ComposeProject *p = project_from_json("shop",
                "{'services': {'web': {'image': 'nginx', 'ports': [{'target': 80, 'published': '8080', 'protocol': 'tcp', 'mode': 'ingress'}],"
                "                      'networks': {'front': null, 'back': null}},"
                "              'db': {'image': 'postgres', 'networks': {'back': null}}},"
                " 'networks': {'front': {}, 'back': {'internal': true}}}");
        _cleanup_(desired_state_freep) DesiredState *d = NULL;
        _cleanup_(net_project_file_freep) NetProjectFile *f = NULL;
        _cleanup_(desired_net_model_done) DesiredNetModel m = {};
        json_object *again;
        const DesiredFile *pj;
        DesiredOptions o = {};

        ASSERT_OK(desired_render(p, &o, &d, NULL));
        pj = desired_state_find_file(d, "/etc/nspawn-compose/shop/project.json");
        ASSERT_NOT_NULL(pj);
        ASSERT_OK(net_project_parse(pj->content, pj->path, &f, NULL));
        ASSERT_OK(desired_net_model(d, &m));
        ASSERT_EQ(f->net.n_networks, m.net.n_networks);
        ASSERT_EQ(f->net.n_ports, 1);
        again = net_project_to_json(&f->net);
        ASSERT_NOT_NULL(again);
        ASSERT_STREQ(json_object_to_json_string_ext(again, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE),
                     strndupa(pj->content, pj->size - 1));
        json_object_put(again);
        ASSERT_OK(net_project_up(&f->net, NULL, NULL, NULL));
        ASSERT_EQ(drift(&m.net), 0);    /* apply's in-memory model and the file agree */
        for (size_t i = 0; i < f->net.n_networks; i++)
                ASSERT_TRUE(link_exists(f->net.networks[i].bridge) > 0);
        ASSERT_OK(net_project_down(&f->net, NULL));
        for (size_t i = 0; i < f->net.n_networks; i++)
                ASSERT_EQ(link_exists(f->net.networks[i].bridge), 0);
}

TAP_MAIN();
