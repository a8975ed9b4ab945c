/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a one-off (`run`) carries over from its service's unit to the transient unit: the service
 * units render writes, read back as systemd's typed properties. */
#include "reconcile/bus-unit.h"
#include "reconcile/render/desired.h"
#include "tests/unit/test-desired-util.h"

#define UNIT "/etc/systemd/system/nspawn-compose-shop.web.service"

/* The unit of service web of the project @json (render() of test-desired.c), with a credential
 * "token" in the store. */
static char *unit_of(const char *json) {
        _cleanup_(compose_project_freep) ComposeProject *p = project_from_json("shop", json);
        _cleanup_(desired_state_freep) DesiredState *s = NULL;
        const char *root = test_tmpdir_new();
        _cleanup_free_ char *store = path_join(root, "etc/credstore"), *file = path_join(store, "token");
        DesiredOptions o = { .credstore_root = root };
        NcError err = {};
        char buf[1024];

        ASSERT_NOT_NULL(file);
        ASSERT_OK(write_file_atomic(file, "t0ken", 5, 0600));
        if (desired_render(p, &o, &s, &err) < 0)
                TAP_FAIL("render: %s", nc_error_format(&err, buf, sizeof buf));
        return strdup(file_content(s, UNIT));
}

/* The assignments of @text, one a line: "Property type value". */
static char *assignments(const char *text) {
        UnitAssignment *l = NULL;
        size_t n = 0;
        NcError err = {};
        StrBuf b = {};

        if (unit_assignments_parse(text, &l, &n, &err) < 0)
                TAP_FAIL("parse: %s", err.message);
        for (size_t i = 0; i < n; i++) {
                strbuf_printf(&b, "%s %s", l[i].property, l[i].type);
                if (streq(l[i].type, "ay"))
                        for (size_t k = 0; k < l[i].mask_size; k++)
                                strbuf_printf(&b, " %02x", l[i].mask[k]);
                else if (streq(l[i].type, "t"))
                        strbuf_printf(&b, " %" PRIu64, l[i].u);
                else
                        strbuf_printf(&b, " %s", l[i].a);
                if (l[i].b)
                        strbuf_printf(&b, " %s", l[i].b);
                else if (streq(l[i].type, "a(st)"))
                        strbuf_printf(&b, " %" PRIu64, l[i].u);
                strbuf_append_char(&b, '\n');
        }
        unit_assignments_free(l, n);
        return strbuf_steal(&b) ?: strdup("");
}

TEST(limits_devices_and_credentials_are_carried) {
        _cleanup_free_ char *unit = unit_of(
                "{'services': {'web': {'image': 'x', 'cpu_shares': 512, 'cpuset': '0-1,9', 'mem_reservation': '67108864',"
                " 'mem_limit': '1g', 'memswap_limit': -1, 'cpus': 1.5, 'pids_limit': 100,"
                " 'devices': [{'source': '/dev/fuse', 'target': '/dev/fuse', 'permissions': 'rwm'}],"
                " 'blkio_config': {'weight': 300, 'device_read_bps': [{'path': '/dev/sda', 'rate': '1mb'}],"
                "   'device_write_iops': [{'path': '/dev/sda', 'rate': 100}],"
                "   'weight_device': [{'path': '/dev/sda', 'weight': 1000}]},"
                " 'secrets': ['token']}},"
                " 'secrets': {'token': {'external': true}}}");
        _cleanup_free_ char *got = assignments(unit);

        ASSERT_STRCONTAINS(got, "LoadCredential a(ss) token ");
        ASSERT_STRCONTAINS(got, "/etc/credstore/token\n");
        ASSERT_STRCONTAINS(got, "DevicePolicy s closed\n");
        ASSERT_STRCONTAINS(got, "DeviceAllow a(ss) /dev/net/tun rwm\n");
        ASSERT_STRCONTAINS(got, "DeviceAllow a(ss) /dev/fuse rwm\n");
        ASSERT_STRCONTAINS(got, "MemoryMax t 1073741824\n");
        ASSERT_STRCONTAINS(got, "MemorySwapMax t 18446744073709551615\n");
        ASSERT_STRCONTAINS(got, "CPUQuotaPerSecUSec t 1500000\n");
        ASSERT_STRCONTAINS(got, "TasksMax t 100\n");
        ASSERT_STRCONTAINS(got, "CPUWeight t 20\n");
        ASSERT_STRCONTAINS(got, "AllowedCPUs ay 03 02\n");
        ASSERT_STRCONTAINS(got, "MemoryLow t 67108864\n");
        ASSERT_STRCONTAINS(got, "IOWeight t 2930\n");
        ASSERT_STRCONTAINS(got, "IODeviceWeight a(st) /dev/sda 10000\n");
        ASSERT_STRCONTAINS(got, "IOReadBandwidthMax a(st) /dev/sda 1048576\n");
        ASSERT_STRCONTAINS(got, "IOWriteIOPSMax a(st) /dev/sda 100\n");
}

/* Every key a service unit's [Service] has is either carried or one that the one-off sets itself:
 * a key render learns later fails here until run knows what to do with it. */
TEST(every_service_key_is_known) {
        static const char *const own[] = {
                "Type", "RemainAfterExit", "NotifyAccess", "ExecStart", "KillMode", "Delegate", "Slice",
                "TimeoutStartSec", "TimeoutStopSec", "WatchdogSignal", "Restart", "RestartSec",
                "SuccessExitStatus", "RestartForceExitStatus", NULL,
        };
        _cleanup_free_ char *unit = unit_of(
                "{'services': {'web': {'image': 'x', 'cpu_shares': 512, 'cpuset': '0', 'mem_reservation': '1m',"
                " 'mem_limit': '1g', 'memswap_limit': '2g', 'cpus': 0.25, 'pids_limit': -1,"
                " 'healthcheck': {'test': ['CMD', 'true']}, 'restart': 'on-failure:3',"
                " 'x-nspawn-compose': {'on_unhealthy': 'restart'}, 'pre_stop': [{'command': ['true']}],"
                " 'devices': [{'source': '/dev/fuse', 'target': '/dev/fuse', 'permissions': 'rw'}], 'blkio_config': {'weight': 300,"
                "   'device_read_iops': [{'path': '/dev/sda', 'rate': 10}],"
                "   'device_write_bps': [{'path': '/dev/sda', 'rate': '1k'}]},"
                " 'secrets': ['token']}},"
                " 'secrets': {'token': {'external': true}}}");
        _cleanup_free_ char *got = assignments(unit);
        _cleanup_strv_free_ char **lines = strv_split(unit, "\n");
        bool service = false;

        ASSERT_STRCONTAINS(got, "CPUQuotaPerSecUSec t 250000\n");
        ASSERT_STRCONTAINS(got, "TasksMax t 18446744073709551615\n");
        ASSERT_STRCONTAINS(got, "MemorySwapMax t 1073741824\n");
        ASSERT_STRCONTAINS(got, "IOReadIOPSMax a(st) /dev/sda 10\n");
        ASSERT_STRCONTAINS(got, "IOWriteBandwidthMax a(st) /dev/sda 1024\n");
        STRV_FOREACH(l, lines) {
                _cleanup_free_ char *key = NULL, *carried = NULL;

                if (**l == '[')
                        service = streq(*l, "[Service]");
                if (!service || !strchr(*l, '='))
                        continue;
                key = strndup(*l, strcspn(*l, "="));
                if (strv_contains((char **) own, key))
                        continue;
                ASSERT_TRUE(asprintf(&carried, "\n%s ", streq(key, "CPUQuota") ? "CPUQuotaPerSecUSec" : key) > 0);
                if (!strstr(got, carried) && !startswith(got, carried + 1))
                        TAP_FAIL("%s is neither carried nor the one-off's own", *l);
        }
}

TEST(values_that_do_not_parse_are_refused) {
        static const char *const bad[] = {
                "[Service]\nMemoryMax=1G\n",            /* our units write bytes */
                "[Service]\nCPUQuota=150%\n",
                "[Service]\nCPUQuota=150.5%\n",
                "[Service]\nAllowedCPUs=3-1\n",
                "[Service]\nAllowedCPUs=0-99999\n",
                "[Service]\nIOWeight=-1\n",
                "[Service]\nIOReadBandwidthMax=/dev/sda\n",
                "[Service]\nLoadCredential=a:\\x20b\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                UnitAssignment *l = NULL;
                size_t n = 0;
                NcError err = {};

                ASSERT_EQ(unit_assignments_parse(bad[i], &l, &n, &err), -EINVAL);
                ASSERT_STRCONTAINS(err.message, "line 2: cannot carry");
        }
}

TEST(other_sections_are_not_read_and_percent_is_unescaped) {
        _cleanup_free_ char *got = assignments("[Unit]\nMemoryMax=5\n[Service]\nMemoryMax=7\n"
                                               "LoadCredential=a:/x/100%%\n[Install]\nTasksMax=3\n");

        ASSERT_STREQ(got, "MemoryMax t 7\nLoadCredential a(ss) a /x/100%\n");
}

TAP_MAIN()
