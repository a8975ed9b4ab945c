/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `nspawn-compose net-up/net-down PROJECT_JSON`, the project's network unit, in throwaway namespaces. */
#include <netinet/in.h>

#include "lib/fileio.h"
#include "netfilter/netfilter-internal.h"
#include "tests/netns/netns-harness.h"
#include "tests/tap.h"

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

static const FwNetwork nets[] = {
        { .name = "default", .bridge = "nc-0123456789", .subnet = "10.89.0.0/24" },
        { .name = "back", .bridge = "nc-9876543210", .subnet = "10.89.1.0/24", .internal = true },
};
static const FwPort port = { .service = "web", .protocol = "tcp", .host_ip = "", .host_port = 8080,
                             .target_ip = "10.89.0.2", .target_port = 80 };

static int verb(const char *v, const char *json) {
        char cmd[1024];

        snprintf(cmd, sizeof cmd, "%s/cmd/nspawn-compose %s %s", getenv("NC_BUILD_ROOT") ?: "build", v, json);
        return system(cmd);
}

static int drift(void) {
        _cleanup_(fw_closep) FwContext *ctx = NULL;
        _cleanup_(fw_diff_freep) FwDiff *d = NULL;

        ASSERT_OK(fw_open(&ctx, NULL));
        return fw_diff_project(ctx, "demo", &port, 1, nets, ELEMENTSOF(nets), &d, NULL);
}

TEST(net_up_is_idempotent_and_net_down_undoes_it) {
        ASSERT_OK(write_file_atomic("/run/project.json", project_json, strlen(project_json), 0644));
        ASSERT_EQ(verb("net-up", "/run/project.json"), 0);
        ASSERT_TRUE(link_exists("nc-0123456789") > 0);
        ASSERT_TRUE(link_exists("nc-9876543210") > 0);
        ASSERT_EQ(drift(), 0);
        ASSERT_EQ(verb("net-up", "/run/project.json"), 0);
        ASSERT_EQ(drift(), 0);
        ASSERT_EQ(verb("net-down", "/run/project.json"), 0);
        ASSERT_EQ(link_exists("nc-0123456789"), 0);
        ASSERT_TRUE(drift() > 0);
        ASSERT_EQ(verb("net-down", "/run/project.json"), 0);
}

TEST(net_up_rejects_what_dnat_cannot_serve) {
        static const char bad[] = "{\"project\":\"x\",\"networks\":[],\"ports\":[{\"service\":\"w\","
                                  "\"host_ip\":\"[::1]\",\"host_port\":80,\"target_ip\":\"10.0.0.2\",\"target_port\":80}]}";

        ASSERT_OK(write_file_atomic("/run/bad.json", bad, strlen(bad), 0644));
        ASSERT_TRUE(verb("net-up", "/run/bad.json 2>/dev/null") != 0);
}

TAP_MAIN();
