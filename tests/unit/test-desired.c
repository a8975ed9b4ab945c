/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileio.h"

#include "reconcile/render/desired-internal.h"
#include "tests/unit/test-desired-util.h"

static const char *const two_services =
        "{'name': 'shop', 'services': {"
        " 'web': {'image': 'nginx:1', 'ports': ["
        "    {'mode': 'ingress', 'target': 80, 'published': '8080', 'protocol': 'tcp'},"
        "    {'mode': 'ingress', 'target': 443, 'protocol': 'tcp'},"
        "    {'mode': 'ingress', 'target': 53, 'published': '5353', 'host_ip': '127.0.0.1', 'protocol': 'udp'}],"
        "   'depends_on': {'db': {'condition': 'service_healthy', 'required': true, 'restart': true}},"
        "   'restart': 'on-failure:3', 'stop_grace_period': '1m30s',"
        "   'environment': {'A': '1', 'UNSET': null}},"
        " 'db': {'image': 'postgres:16', 'restart': 'unless-stopped',"
        "   'healthcheck': {'test': ['CMD-SHELL', 'pg_isready'], 'interval': '10s', 'timeout': '5s',"
        "                   'retries': 5, 'start_period': '1m'},"
        "   'networks': {'default': {'aliases': ['database']}}}}}";

static const char *digest_of_postgres(const char *image, void *userdata) {
        return streq(image, "postgres:16") ? "sha256:0123" : NULL;
}

static DesiredState *render(const char *json, const DesiredOptions *o) {
        _cleanup_(compose_project_freep) ComposeProject *p = project_from_json("shop", json);
        DesiredState *s = NULL;
        NcError err = {};
        char buf[1024];

        if (desired_render(p, o, &s, &err) < 0)
                TAP_FAIL("render: %s", nc_error_format(&err, buf, sizeof buf));
        return s;
}

static int render_error(const char *json, NcError *err) {
        _cleanup_(compose_project_freep) ComposeProject *p = project_from_json("shop", json);
        _cleanup_(desired_state_freep) DesiredState *s = NULL;

        return desired_render(p, NULL, &s, err);
}

TEST(files_and_facts) {
        _cleanup_(desired_state_freep) DesiredState *s = render(two_services, NULL);
        static const char *const paths[] = {
                "/etc/nspawn-compose/shop/db.hosts", "/etc/nspawn-compose/shop/db.json",
                "/etc/nspawn-compose/shop/project.json", "/etc/nspawn-compose/shop/web.hosts",
                "/etc/nspawn-compose/shop/web.json",
                "/etc/systemd/system/multi-user.target.wants/nspawn-compose-shop.target",
                "/etc/systemd/system/nspawn-compose-shop-network.service",
                "/etc/systemd/system/nspawn-compose-shop.db.service",
                "/etc/systemd/system/nspawn-compose-shop.target",
                "/etc/systemd/system/nspawn-compose-shop.web.service", "/var/lib/nspawn-compose/shop/ipam.json",
        };
        const DesiredService *web = desired_state_find_service(s, "web");

        ASSERT_EQ(s->n_files, ELEMENTSOF(paths));
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                ASSERT_STREQ(s->files[i].path, paths[i]);
        ASSERT_EQ(desired_state_find_file(s, "/etc/nspawn-compose/shop/web.json")->mode, 0600);
        ASSERT_STREQ(desired_state_find_file(s, paths[5])->symlink, "/etc/systemd/system/nspawn-compose-shop.target");
        ASSERT_STREQ(web->unit, "nspawn-compose-shop.web.service");
        ASSERT_STREQ(web->machine, "shop.web");
        ASSERT_EQ(strlen(web->hash), 64);
        ASSERT_EQ(web->n_deps, 1);
        ASSERT_STREQ(web->deps[0].condition, "service_healthy");
        ASSERT_TRUE(web->deps[0].restart);
        ASSERT_TRUE(desired_state_find_service(s, "db")->has_healthcheck);
        ASSERT_EQ(s->n_networks, 1);
        ASSERT_STREQ(s->networks[0].subnet, "10.89.0.0/24");
        ASSERT_STREQ(s->networks[0].gateway, "10.89.0.1");
        ASSERT_EQ(strlen(s->networks[0].bridge), 13);
}

TEST(service_unit) {
        _cleanup_(desired_state_freep) DesiredState *s = render(two_services, NULL);
        const char *web = file_content(s, "/etc/systemd/system/nspawn-compose-shop.web.service");
        const char *db = file_content(s, "/etc/systemd/system/nspawn-compose-shop.db.service");

        ASSERT_TRUE(startswith(web, "# Managed by nspawn-compose"));
        ASSERT_STRCONTAINS(web, "\nRequires=nspawn-compose-shop.db.service\nAfter=nspawn-compose-shop.db.service\n"
                                "PartOf=nspawn-compose-shop.db.service\n");
        ASSERT_STRCONTAINS(web, "\nStartLimitIntervalSec=infinity\nStartLimitBurst=4\n");
        ASSERT_STRCONTAINS(web, "\nRestart=on-failure\n");
        ASSERT_STRCONTAINS(web, "\nTimeoutStopSec=95s\n");
        ASSERT_STRCONTAINS(web, "\nTimeoutStartSec=90s\n");
        ASSERT_STRCONTAINS(web, "\nType=notify\n");
        ASSERT_STRCONTAINS(web, "\nExecStart=/usr/bin/nspawn-compose run-service /etc/nspawn-compose/shop/web.json\n");
        ASSERT_STRCONTAINS(web, "\nDevicePolicy=closed\nDeviceAllow=/dev/net/tun rwm\nDeviceAllow=char-pts rw\n");
        ASSERT_STRCONTAINS(web, "X-NspawnCompose-Hash=");
        ASSERT_STRCONTAINS(web, desired_state_find_service(s, "web")->hash);
        /* 1m + (5 + 1) × (10s + 5s) + 30s margin */
        ASSERT_STRCONTAINS(db, "\nTimeoutStartSec=180s\n");
        ASSERT_STRCONTAINS(db, "\nRestart=always\n");
        ASSERT_STRCONTAINS(db, "\nStartLimitIntervalSec=0\n");
        ASSERT_STRCONTAINS(db, "\nTimeoutStopSec=15s\n");
        ASSERT_STRCONTAINS(file_content(s, "/etc/systemd/system/nspawn-compose-shop.target"),
                           "Wants=nspawn-compose-shop-network.service\nWants=nspawn-compose-shop.db.service\n"
                           "Wants=nspawn-compose-shop.web.service\n");
}

TEST(settings_and_hosts) {
        _cleanup_(desired_state_freep) DesiredState *s = render(two_services, NULL);
        const char *web = file_content(s, "/etc/nspawn-compose/shop/web.json");

        ASSERT_STRCONTAINS(web, "\"environment\": [\n    \"A=1\"\n  ]");
        ASSERT_STRCONTAINS(web, "\"address\": \"10.89.0.3/24\"");
        ASSERT_STRCONTAINS(web, "\"stop_grace_period_usec\": 90000000");
        ASSERT_STRCONTAINS(web, "\"healthcheck\": null");
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/db.json"), "\"retries\": 5");
        ASSERT_STREQ(file_content(s, "/etc/nspawn-compose/shop/web.hosts"),
                     "# Managed by nspawn-compose; changes will be overwritten.\n"
                     "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                     "10.89.0.2\tdb database\n10.89.0.3\tweb\n");
}

TEST(ports) {
        _cleanup_(desired_state_freep) DesiredState *s = render(two_services, NULL);

        ASSERT_EQ(s->n_ports, 3);
        ASSERT_EQ(s->ports[0].host_port, 8080);
        ASSERT_STREQ(s->ports[0].target_ip, "10.89.0.3");
        ASSERT_FALSE(s->ports[0].allocated);
        ASSERT_TRUE(s->ports[1].allocated);
        ASSERT_TRUE(s->ports[1].host_port >= 32768 && s->ports[1].host_port <= 60999);
        ASSERT_EQ(s->ports[1].target_port, 443);
        ASSERT_STREQ(s->ports[2].protocol, "udp");
        ASSERT_STREQ(s->ports[2].host_ip, "127.0.0.1");
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/project.json"), "\"host_port\": 8080");
}

TEST(port_ranges_expand) {
        _cleanup_(desired_state_freep) DesiredState *s = render(
                "{'services': {'a': {'image': 'x', 'ports': ["
                " {'target': '7000-7002', 'published': '9000-9002', 'protocol': 'tcp'},"
                " {'target': 80, 'published': '8000-8001'}, {'target': 81, 'published': '8000-8001'}]}}}", NULL);

        ASSERT_EQ(s->n_ports, 5);
        for (unsigned i = 0; i < 3; i++) {
                ASSERT_EQ(s->ports[i].host_port, 9000 + i);
                ASSERT_EQ(s->ports[i].target_port, 7000 + i);
        }
        ASSERT_EQ(s->ports[3].host_port, 8000);
        ASSERT_EQ(s->ports[4].host_port, 8001);
}

/* Feeding ipam.json back keeps subnets, addresses and allocated host ports, even when a new
 * service sorts first and a fresh render would hand it the first address. */
TEST(allocations_are_stable) {
        _cleanup_(desired_state_freep) DesiredState *s1 = render(two_services, NULL), *s2 = NULL, *s3 = NULL;
        const char *ipam = file_content(s1, "/var/lib/nspawn-compose/shop/ipam.json");
        const char *prefix = "{'name': 'shop', 'services': {";
        DesiredOptions o = { .ipam_json = ipam };
        _cleanup_free_ char *more = NULL;

        s2 = render(two_services, &o);
        ASSERT_STREQ(file_content(s2, "/var/lib/nspawn-compose/shop/ipam.json"), ipam);
        ASSERT_TRUE(asprintf(&more, "%s 'aaa': {'image': 'x'}, %s", prefix, two_services + strlen(prefix)) > 0);
        s3 = render(more, &o);
        ASSERT_STRCONTAINS(file_content(s3, "/etc/nspawn-compose/shop/web.json"), "\"address\": \"10.89.0.3/24\"");
        ASSERT_STRCONTAINS(file_content(s3, "/etc/nspawn-compose/shop/db.json"), "\"address\": \"10.89.0.2/24\"");
        ASSERT_STRCONTAINS(file_content(s3, "/etc/nspawn-compose/shop/aaa.json"), "\"address\": \"10.89.0.4/24\"");
        ASSERT_EQ(s3->ports[1].host_port, s1->ports[1].host_port);
}

TEST(ipam_config_and_taken_subnets) {
        char *taken[] = { (char *) "10.89.0.0/23", NULL };
        DesiredOptions o = { .taken_subnets = taken };
        _cleanup_(desired_state_freep) DesiredState *s = render(
                "{'services': {'a': {'image': 'x', 'networks': {'front': {'ipv4_address': '172.20.0.10'}, 'back': null}}},"
                " 'networks': {'front': {'ipam': {'config': [{'subnet': '172.20.0.0/16', 'gateway': '172.20.0.254'},"
                "                                            {'subnet': 'fd00:1::/64'}]}},"
                "              'back': {'internal': true}}}", &o);
        const char *a = file_content(s, "/etc/nspawn-compose/shop/a.json");

        ASSERT_EQ(s->n_networks, 2);
        ASSERT_STREQ(s->networks[0].name, "back");
        ASSERT_STREQ(s->networks[0].subnet, "10.89.2.0/24");
        ASSERT_TRUE(s->networks[0].internal);
        ASSERT_STREQ(s->networks[1].subnet, "172.20.0.0/16");
        ASSERT_STREQ(s->networks[1].gateway, "172.20.0.254");
        ASSERT_STREQ(s->networks[1].ipv6_subnet, "fd00:1::/64");
        ASSERT_STREQ(s->networks[1].ipv6_gateway, "fd00:1::1");
        ASSERT_STRCONTAINS(a, "\"address\": \"172.20.0.10/16\"");
        ASSERT_STRCONTAINS(a, "\"ipv6_address\": \"fd00:1::a/64\"");
        ASSERT_STRCONTAINS(a, "\"address\": \"10.89.2.2/24\"");
}

static int render_error_with(const char *json, const DesiredOptions *o, NcError *err) {
        _cleanup_(compose_project_freep) ComposeProject *p = project_from_json("shop", json);
        _cleanup_(desired_state_freep) DesiredState *s = NULL;

        return desired_render(p, o, &s, err);
}

#define V6NET " 'networks': {'n': {'ipam': {'config': [{'subnet': '10.1.0.0/24'}, {'subnet': 'fd00:bbbb::/64'}]}}}}"

/* Published ports are DNATed to a service's addresses: they must be its network's (another project's
 * machine or an outside host would be exposed otherwise), and a project's subnet no other's. */
TEST(addresses_stay_in_their_networks) {
        char *taken[] = { (char *) "10.1.0.0/16", NULL };
        DesiredOptions o = { .taken_subnets = taken };
        NcError err = {};

        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'ports': ['15432:5432'], 'networks': {'n': "
                               "{'ipv6_address': 'fd00:aaaa::3'}}}}," V6NET, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "services.a.networks.n.ipv6_address: 'fd00:aaaa::3' is not a host address "
                                        "of the network's subnet fd00:bbbb::/64");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'networks': {'n': {'ipv6_address': 'fd00:bbbb::1'}}}},"
                               V6NET, &err), -EINVAL);                 /* the gateway */
        ASSERT_STRCONTAINS(err.message, "is not a host address");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'networks': {'n': {'ipv6_address': 'nonsense'}}}},"
                               V6NET, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "invalid IPv6 address");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'networks': {'n': {'ipv6_address': 'fd00:bbbb::7'}}},"
                               " 'b': {'image': 'x', 'networks': {'n': {'ipv6_address': 'fd00:bbbb::7'}}}}," V6NET, &err),
                  -EADDRINUSE);
        ASSERT_STRCONTAINS(err.message, "'fd00:bbbb::7' is already in use");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x'}}, 'networks': {'default': {'ipam': {'config': "
                               "[{'subnet': 'fd00:1::/64', 'gateway': 'fd00:2::1'}]}}}}", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "gateway 'fd00:2::1' is not in fd00:1::/64");
        err = (NcError) {};
        ASSERT_EQ(render_error_with("{'services': {'a': {'image': 'x', 'networks': ['n']}}," V6NET, &o, &err),
                  -EADDRINUSE);
        ASSERT_STRCONTAINS(err.message, "networks.n.ipam.config[0]: subnet 10.1.0.0/24 overlaps 10.1.0.0/16, which "
                                        "another project uses");
}

/* An explicit IPv6 subnet is no other project's either, nor another network's of the project; ipam.json
 * records it so that other projects' renders see it (desired_taken_subnets()). */
TEST(ipv6_subnets_are_one_project_s) {
        char *taken[] = { (char *) "10.2.0.0/16", (char *) "fd00:bb00::/24", NULL };
        DesiredOptions o = { .taken_subnets = taken };
        _cleanup_(desired_state_freep) DesiredState *s = NULL;
        _cleanup_strv_free_ char **seen = NULL;
        _cleanup_free_ char *dir = strdup("/tmp/nc-test-ipam-XXXXXX"), *projdir = NULL, *ipam = NULL;
        NcError err = {};

        ASSERT_EQ(render_error_with("{'services': {'a': {'image': 'x', 'networks': ['n']}}," V6NET, &o, &err),
                  -EADDRINUSE);
        ASSERT_STRCONTAINS(err.message, "networks.n.ipam.config[1]: subnet fd00:bbbb::/64 overlaps fd00:bb00::/24, "
                                        "which another project uses");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'networks': ['n', 'm']}},"
                               " 'networks': {'n': {'ipam': {'config': [{'subnet': 'fd00:1::/48'}]}},"
                               "              'm': {'ipam': {'config': [{'subnet': 'fd00:1:0:5::/64'}]}}}}", &err),
                  -EINVAL);
        ASSERT_STRCONTAINS(err.message, "subnet overlaps with network 'm'");

        /* what one project's ipam.json records, another's render finds taken */
        s = render("{'services': {'a': {'image': 'x', 'networks': ['n']}}," V6NET, NULL);
        ASSERT_NOT_NULL(mkdtemp(dir));
        ASSERT_OK(asprintf(&projdir, "%s/shop", dir) < 0 ? -ENOMEM : 0);
        ASSERT_EQ(mkdir(projdir, 0700), 0);
        ASSERT_OK(asprintf(&ipam, "%s/ipam.json", projdir) < 0 ? -ENOMEM : 0);
        {
                const char *text = file_content(s, "/var/lib/nspawn-compose/shop/ipam.json");

                ASSERT_NOT_NULL(text);
                ASSERT_OK(write_file_atomic(ipam, text, strlen(text), 0600));
        }
        ASSERT_OK(desired_taken_subnets(dir, "other", &seen));
        ASSERT_TRUE(strv_contains(seen, "10.1.0.0/24"));
        ASSERT_TRUE(strv_contains(seen, "fd00:bbbb::/64"));
        strv_free(seen);
        ASSERT_OK(desired_taken_subnets(dir, "shop", &seen));
        ASSERT_NULL(seen);
        (void) unlink(ipam);
        (void) rmdir(projdir);
        (void) rmdir(dir);
}

TEST(bad_values_are_errors) {
        NcError err = {};

        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'networks': {'n': {'ipv4_address': '10.1.0.5'}}}},"
                               " 'networks': {'n': {'ipam': {'config': [{'subnet': '172.20.0.0/16'}]}}}}", &err),
                  -EINVAL);
        ASSERT_STRCONTAINS(err.message, "services.a.networks.n.ipv4_address: '10.1.0.5' is not in");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'ports': [{'target': 80, 'published': '80'}]},"
                               " 'b': {'image': 'x', 'ports': [{'target': 81, 'published': '80'}]}}}", &err),
                  -EADDRINUSE);
        ASSERT_STRCONTAINS(err.message, "services.b.ports[0]: host port 80/tcp is published twice");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'stop_grace_period': 'soon'}}}", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "stop_grace_period: invalid duration 'soon'");
        /* what run-service would reject fails render */
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'x-nspawn-compose': "
                               "{'probe': {'type': 'http', 'port': 80, 'path': 'health'}}}}}", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "services.a: run-service would reject it: "
                                        "S.json: x-nspawn-compose.probe: 'path' must start with '/'");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'healthcheck': {'test': ['CMD']}}}}", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "'CMD' without a command");
}

/* Limits become unit settings; memswap_limit follows docker (memory plus swap). */
TEST(resource_limits) {
        _cleanup_(desired_state_freep) DesiredState *s = render(
                "{'services': {'a': {'image': 'x', 'mem_limit': '268435456', 'memswap_limit': '402653184',"
                "                    'cpus': 1.5, 'pids_limit': 200},"
                " 'b': {'image': 'x', 'deploy': {'resources': {'limits': {'cpus': '0.005', 'memory': '1024',"
                "                                                         'pids': -1}}}},"
                " 'c': {'image': 'x', 'mem_limit': '4096', 'memswap_limit': -1},"
                " 'd': {'image': 'x'}}}", NULL);
        const char *a = file_content(s, "/etc/systemd/system/nspawn-compose-shop.a.service");
        const char *b = file_content(s, "/etc/systemd/system/nspawn-compose-shop.b.service");
        const char *c = file_content(s, "/etc/systemd/system/nspawn-compose-shop.c.service");
        const char *d = file_content(s, "/etc/systemd/system/nspawn-compose-shop.d.service");
        NcError err = {};

        ASSERT_STRCONTAINS(a, "\nMemoryMax=268435456\nMemorySwapMax=134217728\nCPUQuota=150.00%\nTasksMax=200\n");
        ASSERT_STRCONTAINS(b, "\nMemoryMax=1024\nMemorySwapMax=1024\nCPUQuota=0.50%\nTasksMax=infinity\n");
        ASSERT_STRCONTAINS(c, "\nMemoryMax=4096\nMemorySwapMax=infinity\n");
        ASSERT_NULL(strstr(d, "Max="));
        ASSERT_NULL(strstr(d, "CPUQuota="));
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/a.json"), "\"cpus\": \"1.5\"");
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'memswap_limit': '1024'}}}", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "memswap_limit needs mem_limit");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'mem_limit': '2048', 'memswap_limit': '1024'}}}",
                               &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "memswap_limit is below mem_limit");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'cpus': 'lots'}}}", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "invalid cpus 'lots'");
}

TEST(unsupported_settings) {
        _cleanup_(compose_project_freep) ComposeProject *p = project_from_json("shop",
                "{'services': {'a': {'build': {'context': 'https://example.com/app.git'}},"
                " 'b': {'image': 'x', 'pid': 'host',"
                " 'logging': {'driver': 'syslog'}, 'device_cgroup_rules': ['c 1:3 mr']}}}");
        _cleanup_strv_free_ char **errors = NULL, **warnings = NULL;
        _cleanup_(desired_state_freep) DesiredState *s = NULL;
        NcError err = {};

        ASSERT_EQ(desired_render(p, NULL, &s, &err), -EOPNOTSUPP);
        ASSERT_STRCONTAINS(err.message, "services.a.build.context: 'https://example.com/app.git': only a local "
                           "directory can be a build context");
        ASSERT_STRCONTAINS(err.message, "(and 1 more)");
        ASSERT_OK(desired_check(p, &errors, &warnings));
        ASSERT_EQ(strv_length(errors), 2);
        ASSERT_STRCONTAINS(errors[1], "services.b.pid: 'host' is not supported");
        ASSERT_EQ(strv_length(warnings), 2);
        ASSERT_STRCONTAINS(warnings[0], "services.b.logging: not supported; ignored");
        ASSERT_STRCONTAINS(warnings[1], "services.b.device_cgroup_rules: not supported; ignored");
}

/* network_mode service:X / container:NAME: X's namespace, hostname and hosts file, no network of
 * its own, ordered after X and recreated with it (PartOf=); chains end at the owner; host: no
 * namespace and its ports left out; none: a namespace with loopback alone. */
TEST(network_modes) {
        _cleanup_(desired_state_freep) DesiredState *s = render(
                "{'services': {'web': {'image': 'x', 'hostname': 'front'},"
                " 'side': {'image': 'x', 'network_mode': 'service:web'},"
                " 'tail': {'image': 'x', 'network_mode': 'container:shop-side-1'},"
                " 'by_machine': {'image': 'x', 'network_mode': 'container:shop.web',"
                "   'depends_on': {'web': {'condition': 'service_started', 'required': false}}},"
                " 'h': {'image': 'x', 'network_mode': 'host', 'ports': [{'target': 80, 'published': '80'}]},"
                " 'iso': {'image': 'x', 'network_mode': 'none'}}}", NULL);
        const char *web = file_content(s, "/etc/nspawn-compose/shop/web.json");
        const char *side = file_content(s, "/etc/nspawn-compose/shop/side.json");
        const char *tail = file_content(s, "/etc/nspawn-compose/shop/tail.json");
        const char *h = file_content(s, "/etc/nspawn-compose/shop/h.json");
        const char *iso = file_content(s, "/etc/nspawn-compose/shop/iso.json");
        const char *unit = file_content(s, "/etc/systemd/system/nspawn-compose-shop.tail.service");
        const char *by_machine = file_content(s, "/etc/systemd/system/nspawn-compose-shop.by_machine.service");
        _cleanup_free_ char *netns = name_netns("shop", "web"), *want = NULL;

        ASSERT_NOT_NULL(netns);
        ASSERT_OK(asprintf(&want, "\"netns\": \"%s\"", netns));
        ASSERT_STRCONTAINS(web, want);
        ASSERT_STRCONTAINS(side, want);
        ASSERT_STRCONTAINS(tail, want);
        ASSERT_STRCONTAINS(side, "\"netns_of\": \"web\"");
        ASSERT_STRCONTAINS(tail, "\"netns_of\": \"web\"");
        ASSERT_STRCONTAINS(tail, "\"hostname\": \"front\"");
        ASSERT_STRCONTAINS(tail, "\"networks\": [\n  ]");
        ASSERT_STRCONTAINS(tail, "\"hosts_file\": \"/etc/nspawn-compose/shop/web.hosts\"");
        ASSERT_STRCONTAINS(unit, "Requires=nspawn-compose-shop.side.service\nAfter=nspawn-compose-shop.side.service\n"
                           "PartOf=nspawn-compose-shop.side.service\n");
        /* an explicit depends_on of the joined service becomes required and restarting */
        ASSERT_STRCONTAINS(by_machine, "Requires=nspawn-compose-shop.web.service\nAfter=nspawn-compose-shop.web.service\n"
                           "PartOf=nspawn-compose-shop.web.service\n");
        ASSERT_STRCONTAINS(h, "\"host_network\": true");
        ASSERT_STRCONTAINS(h, "\"netns\": \"\"");
        ASSERT_EQ(s->n_ports, (size_t) 0);
        ASSERT_STRCONTAINS(iso, "\"networks\": [\n  ]");
        ASSERT_FALSE(strstr(iso, "\"netns\": \"\""));
        ASSERT_STRCONTAINS(s->warnings[0], "services.h.ports: published ports are discarded when using host network mode");
}

TEST(network_mode_errors) {
        NcError err = {};

        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'network_mode': 'container:nope'}}}", &err), -ENOENT);
        ASSERT_STRCONTAINS(err.message, "services.a.network_mode: no service of this project runs as machine 'nope'");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'network_mode': 'container:shop-b-1'},"
                               " 'b': {'image': 'x', 'network_mode': 'container:shop.a'}}}", &err), -ELOOP);
        ASSERT_STRCONTAINS(err.message, "name each other in a cycle");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x'}, 'b': {'image': 'x', 'network_mode': 'service:a',"
                               " 'ports': [{'target': 80, 'published': '80'}]}}}", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "services.b.ports[0]: conflicting options: port publishing and network_mode "
                           "'service:a': publish the port on service 'a'");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'network_mode': 'bogus'}}}", &err), -EOPNOTSUPP);
        ASSERT_STRCONTAINS(err.message, "services.a.network_mode: 'bogus' is not supported");
}

TEST(volumes_from) {
        _cleanup_(desired_state_freep) DesiredState *s = render(
                "{'services': {'data': {'image': 'x', 'volumes': ["
                "   {'type': 'volume', 'source': 'v', 'target': '/v'}, {'type': 'volume', 'target': '/anon'},"
                "   {'type': 'tmpfs', 'target': '/t'}]},"
                " 'app': {'image': 'x', 'volumes_from': ['data:ro'],"
                "   'volumes': [{'type': 'bind', 'source': '/srv/own', 'target': '/anon'}]},"
                " 'tool': {'image': 'x', 'volumes_from': ['container:shop-app-1:rw']}},"
                " 'volumes': {'v': {'name': 'shop_v'}}}", NULL);
        const char *app = file_content(s, "/etc/nspawn-compose/shop/app.json");
        const char *tool = file_content(s, "/etc/nspawn-compose/shop/tool.json");
        const char *unit = file_content(s, "/etc/systemd/system/nspawn-compose-shop.tool.service");
        NcError err = {};

        /* the service's own /anon wins; data's named volume read-only and never populated from here */
        ASSERT_STRCONTAINS(app, "\"source\": \"/srv/own\",\n      \"target\": \"/anon\"");
        ASSERT_STRCONTAINS(app, "\"target\": \"/v\",\n      \"read_only\": true,\n      \"options\": \"nocopy\"");
        ASSERT_FALSE(strstr(app, "\"/t\""));
        ASSERT_STRCONTAINS(tool, "\"target\": \"/v\",\n      \"read_only\": false");
        ASSERT_STRCONTAINS(tool, "\"source\": \"/srv/own\"");
        ASSERT_STRCONTAINS(unit, "Requires=nspawn-compose-shop.app.service\nAfter=nspawn-compose-shop.app.service\n");
        ASSERT_FALSE(strstr(unit, "PartOf=nspawn-compose-shop.app.service"));
        /* data's anonymous volume is data's directory */
        s = desired_state_free(s);
        s = render("{'services': {'data': {'image': 'x', 'volumes': [{'type': 'volume', 'target': '/anon'}]},"
                   " 'app': {'image': 'x', 'volumes_from': ['data']}}}", NULL);
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/app.json"),
                           "\"source\": \"/var/lib/nspawn-compose/shop/data/volumes/anon\"");
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'volumes_from': ['container:nope']}}}", &err), -ENOENT);
        ASSERT_STRCONTAINS(err.message, "services.a.volumes_from: no service of this project runs as machine 'nope'");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x'}, 'b': {'image': 'x', 'volumes_from': ['a:rx']}}}",
                               &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "services.b.volumes_from: 'a:rx': the mode must be ro or rw");
}

/* ipc: what is shared is /dev/shm, the owner's directory under /run; host: the host's; shm_size: a
 * tmpfs of that size; a service named with '_' gets a hostname nspawn takes. */
TEST(ipc_and_shm) {
        _cleanup_(desired_state_freep) DesiredState *s = render(
                "{'services': {'owner': {'image': 'x'},"
                " 'joiner': {'image': 'x', 'ipc': 'service:owner'},"
                " 'by_name': {'image': 'x', 'ipc': 'container:shop-joiner-1'},"
                " 'h': {'image': 'x', 'ipc': 'host'},"
                " 'sized': {'image': 'x', 'shm_size': '2097152'}}}", NULL);
        static const char shared[] = "\"type\": \"shm\",\n      \"source\": \"/run/nspawn-compose/shop/owner/ipc/shm\"";
        NcError err = {};

        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/owner.json"), shared);
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/joiner.json"), shared);
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/by_name.json"), shared);
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/by_name.json"), "\"hostname\": \"by-name\"");
        ASSERT_STRCONTAINS(file_content(s, "/etc/systemd/system/nspawn-compose-shop.by_name.service"),
                           "PartOf=nspawn-compose-shop.joiner.service\n");
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/h.json"), "\"source\": \"/dev/shm\"");
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/sized.json"),
                           "\"type\": \"shm\",\n      \"source\": null,\n      \"target\": \"/dev/shm\",\n"
                           "      \"read_only\": false,\n      \"options\": \"size=2097152\"");
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'ipc': 'container:nope'}}}", &err), -ENOENT);
        ASSERT_STRCONTAINS(err.message, "services.a.ipc: no service of this project runs as machine 'nope'");
}

/* The knobs systemd has a direct answer for, and nspawn's options for the others. */
TEST(resource_and_security_knobs) {
        _cleanup_(desired_state_freep) DesiredState *s = render(
                "{'services': {'web': {'image': 'x', 'cpu_shares': 512, 'cpuset': '0-1,3', 'mem_reservation': '67108864',"
                " 'oom_score_adj': -500, 'security_opt': ['no-new-privileges:true', 'label=disable'],"
                " 'devices': [{'source': '/dev/fuse', 'target': '/dev/fuse', 'permissions': 'rwm'},"
                "             {'source': '/dev/net/tun', 'target': '/dev/tun', 'permissions': 'rw'}],"
                " 'blkio_config': {'weight': 300, 'device_read_bps': [{'path': '/dev/sda', 'rate': '1mb'}],"
                "   'device_write_iops': [{'path': '/dev/sda', 'rate': 100}],"
                "   'weight_device': [{'path': '/dev/sda', 'weight': 1000}]}}}}", NULL);
        const char *unit = file_content(s, "/etc/systemd/system/nspawn-compose-shop.web.service");
        const char *json = file_content(s, "/etc/nspawn-compose/shop/web.json");
        NcError err = {};

        ASSERT_STRCONTAINS(unit, "DeviceAllow=/dev/fuse rwm\nDeviceAllow=/dev/net/tun rw\n");
        ASSERT_STRCONTAINS(unit, "CPUWeight=20\nAllowedCPUs=0-1,3\nMemoryLow=67108864\nIOWeight=2930\n"
                           "IODeviceWeight=/dev/sda 10000\nIOReadBandwidthMax=/dev/sda 1048576\n"
                           "IOWriteIOPSMax=/dev/sda 100\n");
        ASSERT_STRCONTAINS(json, "\"no_new_privileges\": true");
        ASSERT_STRCONTAINS(json, "\"oom_score_adj\": -500");
        ASSERT_STRCONTAINS(json, "\"source\": \"/dev/net/tun\",\n      \"target\": \"/dev/tun\"");
        ASSERT_STRCONTAINS(s->warnings[0], "services.web.security_opt[1]: 'label=disable' ignored");

        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'devices': ["
                               "{'source': '/etc/passwd', 'target': '/x', 'permissions': 'rwm'}]}}}", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "services.a.devices[0]: '/etc/passwd' is not a device path under /dev");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'cpuset': '0-1; rm'}}}", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "invalid cpuset '0-1; rm'");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'oom_score_adj': 1001}}}", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "oom_score_adj must be in [-1000, 1000]");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'blkio_config': {'device_read_bps': ["
                               "{'path': '/dev/sda%n', 'rate': 1}]}}}}", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "services.a.blkio_config.device_read_bps[0]: 'path' must be a device under /dev");
}

TEST(hooks) {
        _cleanup_(desired_state_freep) DesiredState *s = render(
                "{'services': {'web': {'image': 'x', 'stop_grace_period': '10s',"
                " 'post_start': [{'command': ['touch', '/x'], 'user': '1000', 'environment': {'A': '1', 'B': null}}],"
                " 'pre_stop': [{'command': ['sh', '-c', 'sleep 1'], 'working_dir': '/tmp', 'privileged': true}]}}}", NULL);
        const char *json = file_content(s, "/etc/nspawn-compose/shop/web.json");
        NcError err = {};

        ASSERT_STRCONTAINS(json, "\"post_start\": [\n    {\n      \"command\": [\n        \"touch\",\n        \"/x\"\n"
                           "      ],\n      \"user\": \"1000\",\n      \"working_dir\": null,\n"
                           "      \"environment\": [\n        \"A=1\"\n      ]\n    }\n  ]");
        ASSERT_STRCONTAINS(json, "\"working_dir\": \"/tmp\"");
        ASSERT_STRCONTAINS(file_content(s, "/etc/systemd/system/nspawn-compose-shop.web.service"), "TimeoutStopSec=25s\n");
        ASSERT_STRCONTAINS(s->warnings[0], "services.web.pre_stop[0].privileged: ignored");
        ASSERT_EQ(render_error("{'services': {'a': {'image': 'x', 'post_start': [{'command': ['x'],"
                               " 'working_dir': 'rel'}]}}}", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "services.a.post_start[0]: working_dir must be an absolute path");
}

/* scale / deploy.replicas: one machine per replica, S then S-2…S-N, each with its own address and
 * the service's name as an alias; a dependent needs them all; one host port per replica from a
 * range; 0 replicas: none, and a dependency on it is dropped with a warning. */
TEST(replicas) {
        _cleanup_(desired_state_freep) DesiredState *s = render(
                "{'services': {'web': {'image': 'x', 'deploy': {'replicas': 3},"
                "   'ports': [{'target': 80, 'published': '8100-8102', 'protocol': 'tcp'}]},"
                " 'client': {'image': 'x', 'depends_on': {'web': {'condition': 'service_started'},"
                "   'off': {'condition': 'service_started'}}},"
                " 'off': {'image': 'x', 'scale': 0}}}", NULL);
        const char *hosts = file_content(s, "/etc/nspawn-compose/shop/client.hosts");
        const char *unit = file_content(s, "/etc/systemd/system/nspawn-compose-shop.client.service");
        NcError err = {};

        ASSERT_EQ(s->n_services, (size_t) 4);
        ASSERT_NOT_NULL(desired_state_find_service(s, "web-3"));
        ASSERT_STREQ(desired_state_find_service(s, "web-3")->compose_name, "web");
        ASSERT_EQ(desired_state_find_service(s, "web-3")->replica, 3u);
        ASSERT_NULL(desired_state_find_service(s, "off"));
        ASSERT_STRCONTAINS(hosts, "\tweb\n");
        ASSERT_STRCONTAINS(hosts, "\tweb-2 web\n");
        ASSERT_STRCONTAINS(hosts, "\tweb-3 web\n");
        ASSERT_STRCONTAINS(unit, "Requires=nspawn-compose-shop.web.service\n");
        ASSERT_STRCONTAINS(unit, "Requires=nspawn-compose-shop.web-3.service\n");
        ASSERT_EQ(s->n_ports, (size_t) 3);
        for (size_t i = 0; i < s->n_ports; i++)
                ASSERT_EQ(s->ports[i].host_port, streq(s->ports[i].service, "web") ? 8100 :
                                                 streq(s->ports[i].service, "web-2") ? 8101 : 8102);
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/web-2.json"), "\"hostname\": \"web-2\"");
        ASSERT_TRUE(strv_length(s->warnings) >= 1);
        ASSERT_STRCONTAINS(s->warnings[0], "services.client.depends_on.off: service 'off' has no replicas; ignored");

        ASSERT_EQ(render_error("{'services': {'web': {'image': 'x', 'scale': 3,"
                               " 'ports': [{'target': 80, 'published': '8080-8081', 'protocol': 'tcp'}]}}}", &err),
                  -EINVAL);
        ASSERT_STRCONTAINS(err.message, "services.web.ports[0]: 3 replicas cannot share the host port range 8080-8081");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {"
                               " 'api': {'image': 'x', 'ports': [{'target': 80, 'published': '8080', 'protocol': 'tcp'}]},"
                               " 'web': {'image': 'x', 'scale': 2,"
                               " 'ports': [{'target': 80, 'published': '8080', 'protocol': 'tcp'}]}}}", &err),
                  -EADDRINUSE);
        ASSERT_STRCONTAINS(err.message, "host port 8080/tcp is published twice");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'web': {'image': 'x', 'scale': 2, 'container_name': 'w'}}}", &err),
                  -EINVAL);
        ASSERT_STRCONTAINS(err.message, "a service with 2 replicas cannot have a container_name");
        err = (NcError) {};
        ASSERT_EQ(render_error("{'services': {'web': {'image': 'x', 'scale': 2}, 'web-2': {'image': 'x'}}}", &err),
                  -EEXIST);
        ASSERT_STRCONTAINS(err.message, "'web-2' is both the service 'web-2' and replica 2 of 'web'");
}

/* Replicas on one host port share it: every replica's port names the group, the project record
 * keeps it, and the ports pass the check that refuses any other sharing. */
TEST(replicas_share_one_host_port) {
        _cleanup_(desired_state_freep) DesiredState *s = render(
                "{'services': {'web': {'image': 'x', 'scale': 3,"
                "   'ports': [{'target': 80, 'published': '8080', 'protocol': 'tcp', 'host_ip': '127.0.0.1'}]},"
                " 'one': {'image': 'x', 'ports': [{'target': 80, 'published': '8081', 'protocol': 'tcp'}]}}}", NULL);
        _cleanup_(desired_net_model_done) DesiredNetModel m = {};

        ASSERT_EQ(s->n_ports, (size_t) 4);
        for (size_t i = 0; i < s->n_ports; i++) {
                bool one = streq(s->ports[i].service, "one");

                ASSERT_EQ(s->ports[i].host_port, one ? 8081 : 8080);
                ASSERT_TRUE(one ? !s->ports[i].balance : streq_ptr(s->ports[i].balance, "web"));
        }
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/project.json"), "\"balance\": \"web\"");
        ASSERT_OK(desired_net_model(s, &m));
        ASSERT_OK(fw_ports_check(m.net.ports, m.net.n_ports, NULL));
}

/* A service that builds runs the result: its image:, else docker compose's name PROJECT-SERVICE. */
TEST(build_names_the_image) {
        _cleanup_(compose_project_freep) ComposeProject *p = project_from_json("shop",
                "{'services': {'a': {'build': {'context': '/srv/project', 'network': 'none',"
                " 'ulimits': {'nofile': 5}}},"
                " 'b': {'image': 'reg.example/b:2', 'build': {'context': '/srv/project/b'}}}}");
        _cleanup_strv_free_ char **errors = NULL, **warnings = NULL;
        _cleanup_(desired_state_freep) DesiredState *s = NULL;
        NcError err = {};

        if (desired_render(p, NULL, &s, &err) < 0)
                TAP_FAIL("%s", err.message);
        ASSERT_STREQ(s->services[0].image, "shop-a");
        ASSERT_STREQ(s->services[1].image, "reg.example/b:2");
        ASSERT_OK(desired_check(p, &errors, &warnings));
        ASSERT_EQ(strv_length(errors), 0);
        ASSERT_EQ(strv_length(warnings), 1);
        ASSERT_STRCONTAINS(warnings[0], "services.a.build.ulimits: not supported; ignored");
        errors = strv_free(errors);
        warnings = strv_free(warnings);
        compose_project_free(p);
        p = project_from_json("shop", "{'services': {'a': {'build': {'context': '/srv/project', 'network': 'mynet',"
                              " 'secrets': ['s']}}}, 'secrets': {'s': {'file': '/dev/null'}}}");
        ASSERT_OK(desired_check(p, &errors, &warnings));
        ASSERT_EQ(strv_length(errors), 2);
        ASSERT_STRCONTAINS(errors[0], "services.a.build.secrets: not supported: the build gets one local context");
        ASSERT_STRCONTAINS(errors[1], "services.a.build.network: 'mynet' is not supported");
}

TEST(completion_dependency_is_oneshot) {
        _cleanup_(desired_state_freep) DesiredState *s = render(
                "{'services': {'migrate': {'image': 'x', 'restart': 'always'},"
                " 'app': {'image': 'y', 'depends_on': {'migrate': {'condition': 'service_completed_successfully',"
                "                                                  'required': false, 'restart': false}}}}}", NULL);
        const char *m = file_content(s, "/etc/systemd/system/nspawn-compose-shop.migrate.service");
        const char *a = file_content(s, "/etc/systemd/system/nspawn-compose-shop.app.service");

        ASSERT_TRUE(desired_state_find_service(s, "migrate")->oneshot);
        ASSERT_STRCONTAINS(m, "\nType=oneshot\nRemainAfterExit=yes\n");
        ASSERT_STRCONTAINS(m, "\nTimeoutStartSec=infinity\n");
        ASSERT_STRCONTAINS(m, "\nRestart=on-failure\n");
        ASSERT_STRCONTAINS(a, "\nWants=nspawn-compose-shop.migrate.service\nAfter=nspawn-compose-shop.migrate.service\n");
        ASSERT_EQ(strv_length(s->warnings), 1);
        ASSERT_STRCONTAINS(s->warnings[0], "services.migrate.restart: 'always' becomes 'on-failure'");
}

/* H covers the effective configuration of one service: changing web's environment changes web's
 * hash only; so does the image digest. */
TEST(hash_tracks_one_service) {
        _cleanup_(desired_state_freep) DesiredState *a = render(two_services, NULL), *b = NULL, *c = NULL;
        _cleanup_free_ char *changed = strdup(two_services);
        DesiredOptions o = { .image_digest = NULL };

        strstr(changed, "'A': '1'")[6] = '2';
        b = render(changed, NULL);
        ASSERT_FALSE(streq(desired_state_find_service(a, "web")->hash, desired_state_find_service(b, "web")->hash));
        ASSERT_STREQ(desired_state_find_service(a, "db")->hash, desired_state_find_service(b, "db")->hash);
        o.image_digest = digest_of_postgres;
        c = render(two_services, &o);
        ASSERT_STREQ(desired_state_find_service(c, "web")->hash, desired_state_find_service(a, "web")->hash);
        ASSERT_FALSE(streq(desired_state_find_service(c, "db")->hash, desired_state_find_service(a, "db")->hash));
        ASSERT_STREQ(desired_state_find_service(c, "db")->image_digest, "sha256:0123");
        ASSERT_STRCONTAINS(file_content(c, "/etc/nspawn-compose/shop/db.json"), "\"image_digest\": \"sha256:0123\"");
}

/* As docker compose's hash leaves depends_on out: a dependent whose depends_on changes gets its new
 * unit (the lines differ) and keeps its hash, so the plan does not restart it. */
TEST(hash_leaves_depends_on_out) {
        _cleanup_(desired_state_freep) DesiredState *a = render(two_services, NULL), *b = NULL;
        const char *unit = "/etc/systemd/system/nspawn-compose-shop.web.service";
        const char *at = strstr(two_services, "'restart': true") + strlen("'restart': ");
        _cleanup_free_ char *changed = NULL;

        ASSERT_TRUE(asprintf(&changed, "%.*sfalse%s", (int) (at - two_services), two_services, at + 4) > 0);
        b = render(changed, NULL);
        ASSERT_FALSE(desired_state_find_service(b, "web")->deps[0].restart);
        ASSERT_STREQ(desired_state_find_service(a, "web")->hash, desired_state_find_service(b, "web")->hash);
        ASSERT_STRCONTAINS(file_content(a, unit), "PartOf=nspawn-compose-shop.db.service\n");
        ASSERT_NULL(strstr(file_content(b, unit), "PartOf=nspawn-compose-shop.db.service"));
}

/* verify checks that ExecStart= programs exist: point them at one that does. */
TEST(write_tree_and_verify_units) {
        DesiredOptions o = { .exe = "/bin/true" };
        _cleanup_(desired_state_freep) DesiredState *s = render(two_services, &o);
        const char *dir = test_tmpdir_new();
        _cleanup_free_ char *units = NULL;
        NcError err = {};
        int r;

        ASSERT_EQ(desired_write(s, dir, true, &err), (int) s->n_files);
        ASSERT_EQ(desired_write(s, dir, true, &err), 0);      /* nothing changed: nothing written */
        ASSERT_TRUE(asprintf(&units, "%s/etc/systemd/system", dir) > 0);
        r = verify_units_in(units);
        if (r == 77) {
                test_tmpdir_remove();
                TAP_SKIP("systemd-analyze not installed: units not verified");
        }
        ASSERT_OK(r);
        test_tmpdir_remove();
}

/* H is in world-readable units: keyed with the host's secret, it tells nothing about the values. */
TEST(hash_is_keyed_with_the_host_key) {
        DesiredOptions k1 = { .hash_key = "0123456789abcdef0123456789abcdef", .hash_key_size = 32 };
        DesiredOptions k2 = { .hash_key = "fedcba9876543210fedcba9876543210", .hash_key_size = 32 };
        _cleanup_(desired_state_freep) DesiredState *plain = render(two_services, NULL);
        _cleanup_(desired_state_freep) DesiredState *a = render(two_services, &k1), *b = render(two_services, &k2);
        _cleanup_(desired_state_freep) DesiredState *a2 = render(two_services, &k1);
        const char *h = desired_state_find_service(a, "web")->hash;

        ASSERT_EQ(strlen(h), 64);
        ASSERT_FALSE(streq(h, desired_state_find_service(plain, "web")->hash));
        ASSERT_FALSE(streq(h, desired_state_find_service(b, "web")->hash));
        ASSERT_STREQ(h, desired_state_find_service(a2, "web")->hash);
        ASSERT_STRCONTAINS(file_content(a, "/etc/systemd/system/nspawn-compose-shop.web.service"), h);
}

TEST(durations_bytes_timespans) {
        uint64_t v;
        int64_t b64;
        _cleanup_free_ char *a = format_timespan_unit(90 * USEC_PER_SEC), *b = format_timespan_unit(1500000),
                            *c = format_timespan_unit(1), *d = format_timespan_unit(USEC_INFINITY);

        ASSERT_OK(parse_go_duration_usec("1m30s", &v));
        ASSERT_EQ(v, 90 * USEC_PER_SEC);
        ASSERT_OK(parse_go_duration_usec("1.5h", &v));
        ASSERT_EQ(v, 5400 * USEC_PER_SEC);
        ASSERT_OK(parse_go_duration_usec("300ms", &v));
        ASSERT_EQ(v, 300000);
        ASSERT_OK(parse_go_duration_usec("2m3ms", &v));
        ASSERT_EQ(v, 120003000);
        ASSERT_OK(parse_go_duration_usec("0", &v));
        ASSERT_EQ(v, 0);
        ASSERT_EQ(parse_go_duration_usec("5x", &v), -EINVAL);
        ASSERT_EQ(parse_go_duration_usec("", &v), -EINVAL);
        ASSERT_EQ(parse_go_duration_usec("s", &v), -EINVAL);
        ASSERT_OK(parse_size("512m", &b64));
        ASSERT_EQ(b64, 512 * 1024 * 1024);
        ASSERT_OK(parse_size("1gb", &b64));
        ASSERT_EQ(b64, 1024 * 1024 * 1024);
        ASSERT_OK(parse_size("1073741824", &b64));
        ASSERT_EQ(b64, 1073741824);
        ASSERT_EQ(parse_size("12q", &b64), -EINVAL);
        ASSERT_STREQ(a, "90s");
        ASSERT_STREQ(b, "1500ms");
        ASSERT_STREQ(c, "1us");
        ASSERT_STREQ(d, "infinity");
}

TEST(start_timeout) {
        _cleanup_(compose_project_freep) ComposeProject *p = project_from_json("shop",
                "{'a': {'test': ['CMD', 'true']}, 'b': {'test': ['NONE']}, 'c': {'disable': true},"
                " 'd': {'test': ['CMD', 'x'], 'interval': '1s', 'timeout': '1s', 'retries': 0},"
                " 'e': {'interval': '1000000h', 'retries': 1000000}}");
        const ComposeNode *m = p->model;

        /* defaults: (3 + 1) × (30s + 30s) + 30s */
        ASSERT_EQ(desired_start_timeout(compose_map_get(m, "a"), false), 270 * USEC_PER_SEC);
        ASSERT_EQ(desired_start_timeout(compose_map_get(m, "b"), false), 90 * USEC_PER_SEC);
        ASSERT_EQ(desired_start_timeout(compose_map_get(m, "c"), false), 90 * USEC_PER_SEC);
        ASSERT_EQ(desired_start_timeout(NULL, false), 90 * USEC_PER_SEC);
        /* healthd's window: retries 0 is the default 3; a step is max(interval, start_interval 5s) + timeout */
        ASSERT_EQ(desired_start_timeout(compose_map_get(m, "d"), false), 54 * USEC_PER_SEC);
        ASSERT_EQ(desired_start_timeout(compose_map_get(m, "a"), true), USEC_INFINITY);
        /* too long to count: infinity, not a wrapped-around short timeout */
        ASSERT_EQ(desired_start_timeout(compose_map_get(m, "e"), false), USEC_INFINITY);
}

TAP_MAIN();
