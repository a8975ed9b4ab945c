/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "healthd/health.h"
#include "lib/strv.h"
#include "reconcile/runtime/runtime-internal.h"
#include "reconcile/runtime/runtime.h"
#include "tests/tap.h"

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char image_json[] =
        "{\"architecture\": \"amd64\", \"config\": {"
        "  \"User\": \"0:0\", \"ExposedPorts\": {\"8080/tcp\": {}},"
        "  \"Env\": [\"PATH=/bin\", \"GREETING=hello\", \"KEEP=1\"],"
        "  \"Entrypoint\": [\"/bin/busybox\"], \"Cmd\": [\"httpd\", \"-f\", \"-p\", \"8080\"],"
        "  \"WorkingDir\": \"/www\", \"StopSignal\": \"SIGQUIT\","
        "  \"Healthcheck\": {\"Test\": [\"CMD-SHELL\", \"wget -q -O- http://127.0.0.1:8080/\"],"
        "                  \"Interval\": 5000000000, \"Retries\": 2}},"
        " \"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}}";

static const char spec_json[] =
        "{ \"managed-by\": \"nspawn-compose\", \"project\": \"demo\", \"service\": \"web\", \"machine\": \"demo-web\","
        "  \"hash\": \"h1\", \"image\": \"127.0.0.1:5000/test/httpd:1\", \"image_digest\": \"" DIGEST "\","
        "  \"entrypoint\": null, \"command\": [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"],"
        "  \"environment\": [\"GREETING=hi\", \"KEEP\", \"ODD=a\\nb $x %s 'q' \\\"dq\\\" \\u00e9\"],"
        "  \"working_dir\": null, \"user\": null, \"hostname\": \"web\","
        "  \"init\": false, \"privileged\": false, \"read_only\": true,"
        "  \"cap_add\": [\"NET_ADMIN\"], \"cap_drop\": [\"cap_mknod\"],"
        "  \"sysctls\": {\"net.core.somaxconn\": \"1024\"},"
        "  \"ulimits\": {\"nofile\": {\"soft\": 1024, \"hard\": 4096}, \"nproc\": 100, \"core\": {\"soft\": -1, \"hard\": -1}},"
        "  \"limits\": {\"memory\": null, \"cpus\": \"1.5\", \"pids\": 100},"
        "  \"stop_signal\": \"SIGTERM\", \"stop_grace_period_usec\": 3000000,"
        "  \"mounts\": ["
        "    {\"type\": \"bind\", \"source\": \"/srv/www:1\", \"target\": \"/www\", \"read_only\": true},"
        "    {\"type\": \"volume\", \"source\": \"/var/lib/nspawn-compose/volumes/demo_data\", \"target\": \"/data\"},"
        "    {\"type\": \"volume\", \"source\": null, \"target\": \"/var/cache/x-y\"},"
        "    {\"type\": \"tmpfs\", \"target\": \"/run\", \"options\": null},"
        "    {\"type\": \"tmpfs\", \"target\": \"/tmp\", \"options\": \"size=65536\"}],"
        "  \"networks\": [{\"name\": \"default\", \"bridge\": \"nc-0123456789\", \"veth\": \"vh-0123456789\","
        "                \"address\": \"10.89.0.2/24\", \"gateway\": \"10.89.0.1\", \"ipv6_address\": null,"
        "                \"aliases\": [\"web\"]}],"
        "  \"netns\": \"nc-abcdef0123\", \"hosts_file\": \"/etc/nspawn-compose/demo/web.hosts\","
        "  \"dns\": [], \"extra_hosts\": [\"db:10.0.0.9\"],"
        "  \"healthcheck\": null,"
        "  \"x-nspawn-compose\": {\"on_unhealthy\": \"restart\", \"probe\": {\"type\": \"http\", \"port\": 80}},"
        "  \"x-future-key\": 1 }";

static ServiceSpec *parse_spec(const char *json) {
        ServiceSpec *s = NULL;
        NcError err = {};
        int r;

        r = service_spec_parse(json, "demo/web.json", &s, &err);
        if (r < 0)
                TAP_FAIL("service_spec_parse: %s", err.message);
        return s;
}

static ImageConfig *parse_image(const char *json) {
        ImageConfig *c = NULL;

        ASSERT_OK(image_config_parse(json, &c, NULL));
        return c;
}

TEST(image_config_fields) {
        _cleanup_(image_config_freep) ImageConfig *c = parse_image(image_json);
        _cleanup_free_ char *ep = strv_join(c->entrypoint, " "), *cmd = strv_join(c->cmd, " ");

        ASSERT_STREQ(ep, "/bin/busybox");
        ASSERT_STREQ(cmd, "httpd -f -p 8080");
        ASSERT_EQ(strv_length(c->env), 3);
        ASSERT_STREQ(c->working_dir, "/www");
        ASSERT_STREQ(c->user, "0:0");
        ASSERT_STREQ(c->stop_signal, "SIGQUIT");
        ASSERT_STREQ(c->exposed_ports[0], "8080/tcp");
        ASSERT_NOT_NULL(c->healthcheck);
        ASSERT_EQ(c->healthcheck->type, HEALTH_TEST_CMD_SHELL);
        ASSERT_STREQ(c->healthcheck->argv[0], "wget -q -O- http://127.0.0.1:8080/");
        ASSERT_EQ(c->healthcheck->interval_usec, 5000000);
        ASSERT_EQ(c->healthcheck->retries, 2);
        ASSERT_EQ(c->healthcheck->timeout_usec, 0);
}

TEST(image_config_without_config_is_empty) {
        _cleanup_(image_config_freep) ImageConfig *c = parse_image("{\"rootfs\": {}}");

        ASSERT_NULL(c->entrypoint);
        ASSERT_NULL(c->cmd);
        ASSERT_NULL(c->healthcheck);
}

TEST(image_config_healthcheck) {
        _cleanup_(image_config_freep) ImageConfig *empty =
                parse_image("{\"config\": {\"Healthcheck\": {\"Test\": [], \"Interval\": 1000}}}");
        _cleanup_(image_config_freep) ImageConfig *none =
                parse_image("{\"config\": {\"Healthcheck\": {\"Test\": [\"NONE\"], \"Timeout\": 2000000000}}}");
        ImageConfig *c = NULL;
        NcError err = {};

        ASSERT_NULL(empty->healthcheck);
        ASSERT_EQ(none->healthcheck->type, HEALTH_TEST_NONE);
        ASSERT_EQ(none->healthcheck->timeout_usec, 2000000u);
        ASSERT_EQ(image_config_parse("{\"config\": {\"Healthcheck\": {\"Test\": [\"FOO\", \"x\"]}}}", &c, &err),
                  -EINVAL);
        ASSERT_STRCONTAINS(err.message, "unknown type 'FOO'");
        ASSERT_EQ(image_config_parse("{\"config\": {\"Healthcheck\": {\"Test\": [\"CMD\"], \"Retries\": -1}}}",
                                     &c, &err), -EINVAL);
        ASSERT_NULL(c);
}

TEST(spec_fields) {
        _cleanup_(service_spec_freep) ServiceSpec *s = parse_spec(spec_json);

        ASSERT_STREQ(s->machine, "demo-web");
        ASSERT_NULL(s->entrypoint);
        ASSERT_EQ(strv_length(s->command), 6);
        ASSERT_STREQ(s->environment[2], "ODD=a\nb $x %s 'q' \"dq\" \xc3\xa9");
        ASSERT_STREQ(s->sysctls[0], "net.core.somaxconn=1024");
        ASSERT_EQ(s->n_ulimits, 3);
        ASSERT_EQ(s->ulimits[1].soft, 100);
        ASSERT_EQ(s->ulimits[1].hard, 100);
        ASSERT_EQ(s->n_mounts, 5);
        ASSERT_NULL(s->mounts[2].source);
        ASSERT_EQ(s->n_networks, 1);
        ASSERT_STREQ(s->networks[0].gateway, "10.89.0.1");
        ASSERT_STREQ(s->networks[0].aliases[0], "web");
        ASSERT_EQ(s->stop_grace_period_usec, 3000000);
        ASSERT_STREQ(s->on_unhealthy, "restart");
        ASSERT_EQ(s->probe->type, HEALTH_TEST_HTTP);
        ASSERT_EQ(s->probe->port, 80);
        ASSERT_NULL(s->probe->http_path);
        ASSERT_NULL(s->healthcheck);
}

TEST(spec_defaults) {
        _cleanup_(service_spec_freep) ServiceSpec *s =
                parse_spec("{\"project\": \"p\", \"service\": \"s\", \"machine\": \"p-s\", \"image\": \"busybox\"}");

        ASSERT_STREQ(s->stop_signal, "SIGTERM");
        ASSERT_STREQ(s->hostname, "s");
        ASSERT_EQ(s->stop_grace_period_usec, 10000000);
        ASSERT_NULL(s->netns);
}

static void check_invalid(const char *json, const char *message) {
        _cleanup_(service_spec_freep) ServiceSpec *s = NULL;
        NcError err = {};

        ASSERT_EQ(service_spec_parse(json, "x.json", &s, &err), -EINVAL);
        ASSERT_NULL(s);
        ASSERT_STRCONTAINS(err.message, message);
        ASSERT_STREQ(err.file, "x.json");
}

#define BASE "\"project\": \"p\", \"service\": \"s\", \"machine\": \"p-s\", \"image\": \"i\""

TEST(spec_errors) {
        check_invalid("", "invalid JSON");
        check_invalid("[1]", "expected a JSON object");
        check_invalid("{\"project\": \"p\"}", "'service' is required");
        check_invalid("{" BASE ", \"command\": \"ls\"}", "'command' must be an array of strings");
        check_invalid("{" BASE ", \"command\": [1]}", "'command' must be an array of strings");
        check_invalid("{" BASE ", \"init\": \"yes\"}", "'init' must be true or false");
        check_invalid("{" BASE ", \"image_digest\": \"md5:1\"}", "'image_digest' 'md5:1' is not a sha256 digest");
        check_invalid("{" BASE ", \"mounts\": [{\"type\": \"nfs\", \"target\": \"/x\"}]}", "'type' must be bind");
        check_invalid("{" BASE ", \"mounts\": [{\"type\": \"bind\", \"target\": \"/x\"}]}", "has no source");
        check_invalid("{" BASE ", \"mounts\": [{\"type\": \"bind\", \"source\": \"rel\", \"target\": \"/x\"}]}",
                      "must be an absolute path");
        check_invalid("{" BASE ", \"networks\": [{\"name\": \"n\"}]}", "are required");
        check_invalid("{" BASE ", \"networks\": [{\"name\": \"n\", \"bridge\": \"b\", \"veth\": \"v\", "
                      "\"address\": \"10.0.0.2\"}]}", "needs a prefix length");
        check_invalid("{" BASE ", \"ulimits\": {\"nofile\": {\"soft\": 5, \"hard\": 2}}}", "soft <= hard");
        check_invalid("{" BASE ", \"ulimits\": {\"nofile\": \"x\"}}", "must be a number");
        check_invalid("{" BASE ", \"healthcheck\": {\"test\": []}}", "'test' must not be empty");
        check_invalid("{" BASE ", \"healthcheck\": {\"test\": [\"NONE\"], \"retries\": -1}}", "'retries' out of range");
        check_invalid("{" BASE ", \"x-nspawn-compose\": {\"on_unhealthy\": \"panic\"}}", "'on_unhealthy' must be");
        check_invalid("{" BASE ", \"working_dir\": \"www\"}", "'working_dir' must be an absolute path");
        check_invalid("{" BASE ", \"sysctls\": {\"net/core\": \"1\"}}", "not a dotted name");
        check_invalid("{" BASE ", \"sysctls\": {\"a\": [1]}}", "'sysctls' must be an object of scalars");
}

static char *merged_argv(const char *spec_fields, const char *image) {
        _cleanup_(service_spec_freep) ServiceSpec *s = NULL;
        _cleanup_(image_config_freep) ImageConfig *c = NULL;
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *json = NULL;
        NcError err = {};
        int r;

        ASSERT_TRUE(asprintf(&json, "{" BASE "%s}", spec_fields) > 0);
        s = parse_spec(json);
        if (image)
                c = parse_image(image);
        r = service_merge_argv(s, c, &l, &err);
        if (r < 0)
                return strdup(err.message);
        return strv_join(l, "|");
}

static void check_argv(const char *spec_fields, const char *image, const char *expected) {
        _cleanup_free_ char *got = merged_argv(spec_fields, image);

        ASSERT_STREQ(got, expected);
}

#define IMG(ep, cmd) "{\"config\": {\"Entrypoint\": " ep ", \"Cmd\": " cmd "}}"

TEST(entrypoint_and_command_merge_like_docker) {
        check_argv("", IMG("[\"/ep\"]", "[\"a\", \"b\"]"), "/ep|a|b");
        check_argv(", \"command\": [\"c\"]", IMG("[\"/ep\"]", "[\"a\"]"), "/ep|c");
        /* a compose entrypoint drops the image's Cmd */
        check_argv(", \"entrypoint\": [\"/x\"]", IMG("[\"/ep\"]", "[\"a\"]"), "/x");
        check_argv(", \"entrypoint\": [\"/x\"], \"command\": [\"c\"]", IMG("[\"/ep\"]", "[\"a\"]"), "/x|c");
        /* entrypoint [] clears the image's entrypoint; the image's Cmd then runs */
        check_argv(", \"entrypoint\": []", IMG("[\"/ep\"]", "[\"a\"]"), "a");
        check_argv(", \"entrypoint\": [], \"command\": [\"c\"]", IMG("[\"/ep\"]", "[\"a\"]"), "c");
        /* an empty command is no command */
        check_argv(", \"command\": []", IMG("[\"/ep\"]", "[\"a\"]"), "/ep|a");
        check_argv(", \"command\": [\"c\"]", IMG("null", "null"), "c");
        check_argv("", NULL, "service 's': no command: neither compose nor the image sets an entrypoint or command");
        check_argv(", \"entrypoint\": [\"/x\"]", IMG("null", "null"), "/x");
}

/* test null with timings: the image's test with compose's timings (docker's merge); no image check: none */
TEST(healthcheck_test_from_the_image) {
        _cleanup_(service_spec_freep) ServiceSpec *s = parse_spec(
                "{" BASE ", \"healthcheck\": {\"test\": null, \"interval_usec\": 2000000, \"retries\": 5}}");
        _cleanup_(image_config_freep) ImageConfig *img = parse_image(image_json);
        _cleanup_(image_config_freep) ImageConfig *bare = parse_image(IMG("null", "null"));
        HealthConfig c = {};

        ASSERT_TRUE(s->healthcheck_image_test);
        ASSERT_OK(rt_health_config(s, img, &c));
        ASSERT_EQ(c.type, HEALTH_TEST_CMD_SHELL);
        ASSERT_STREQ(c.argv[0], "wget -q -O- http://127.0.0.1:8080/");
        ASSERT_EQ(c.interval_usec, 2000000u);
        ASSERT_EQ(c.retries, 5u);
        health_config_done(&c);
        ASSERT_OK(rt_health_config(s, bare, &c));
        ASSERT_FALSE(health_config_has_check(&c));
        health_config_done(&c);
}

/* The HealthConfig run-service gives healthd for S.json's healthcheck and probe, with no image. */
static void health_of_spec(const char *spec_fields, HealthConfig *ret) {
        _cleanup_(service_spec_freep) ServiceSpec *s = NULL;
        _cleanup_free_ char *json = NULL;

        ASSERT_TRUE(asprintf(&json, "{" BASE "%s}", spec_fields) > 0);
        s = parse_spec(json);
        ASSERT_OK(rt_health_config(s, NULL, ret));
}

#define PROBE(p) ", \"x-nspawn-compose\": {\"probe\": " p "}"

TEST(healthcheck_from_spec) {
        HealthConfig c;

        health_of_spec(", \"healthcheck\": {\"test\": [\"CMD\", \"pg_isready\", \"-q\"], \"interval_usec\": 2000000, "
                       "\"timeout_usec\": 1000000, \"retries\": 5, \"start_period_usec\": 3000000, "
                       "\"start_interval_usec\": null}", &c);
        ASSERT_EQ(c.type, HEALTH_TEST_CMD);
        ASSERT_STREQ(c.argv[1], "-q");
        ASSERT_EQ(c.interval_usec, 2000000u);
        ASSERT_EQ(c.timeout_usec, 1000000u);
        ASSERT_EQ(c.retries, 5u);
        ASSERT_EQ(c.start_period_usec, 3000000u);
        ASSERT_EQ(health_config_start_interval_usec(&c), 5000000u);
        health_config_done(&c);

        health_of_spec(", \"healthcheck\": {\"test\": [\"CMD-SHELL\", \"curl -f localhost\"]}", &c);
        ASSERT_EQ(c.type, HEALTH_TEST_CMD_SHELL);
        ASSERT_STREQ(c.argv[0], "curl -f localhost");
        health_config_done(&c);

        health_of_spec(", \"healthcheck\": null", &c);
        ASSERT_FALSE(health_config_has_check(&c));
        health_config_done(&c);

        /* a native probe replaces the test and keeps the timings */
        health_of_spec(", \"healthcheck\": {\"test\": [\"CMD\", \"x\"], \"retries\": 2}"
                       PROBE("{\"type\": \"http\", \"port\": 8080, \"path\": \"/health\"}"), &c);
        ASSERT_EQ(c.type, HEALTH_TEST_HTTP);
        ASSERT_EQ(c.port, 8080);
        ASSERT_STREQ(c.http_path, "/health");
        ASSERT_NULL(c.address);
        ASSERT_NULL(c.argv);
        ASSERT_EQ(c.retries, 2u);
        ASSERT_TRUE(health_config_has_check(&c));
        health_config_done(&c);
        health_of_spec(PROBE("{\"type\": \"tcp\", \"port\": 5432, \"address\": \"10.89.0.2\"}"), &c);
        ASSERT_EQ(c.type, HEALTH_TEST_TCP);
        ASSERT_STREQ(c.address, "10.89.0.2");
        ASSERT_TRUE(health_config_has_check(&c));
        health_config_done(&c);

        /* ["NONE"] switches the probe off too */
        health_of_spec(", \"healthcheck\": {\"test\": [\"NONE\"]}" PROBE("{\"type\": \"tcp\", \"port\": 5432}"), &c);
        ASSERT_FALSE(health_config_has_check(&c));
        health_config_done(&c);
}

TEST(healthcheck_spec_errors) {
        /* render writes the test as a list (compose's string form is CMD-SHELL by then) */
        check_invalid("{" BASE ", \"healthcheck\": {\"test\": \"curl -f localhost\"}}", "'test' must be an array");
        check_invalid("{" BASE ", \"healthcheck\": {\"test\": [\"CMD\", 1]}}", "'test' must be an array of strings");
        check_invalid("{" BASE ", \"healthcheck\": {\"test\": [\"FOO\", \"x\"]}}", "unknown type 'FOO'");
        check_invalid("{" BASE ", \"healthcheck\": {\"test\": [\"CMD\"]}}", "without a command");
        check_invalid("{" BASE ", \"healthcheck\": {\"test\": [\"CMD\", \"x\"], \"interval_usec\": -1}}",
                      "'interval_usec' must be a non-negative integer");
        check_invalid("{" BASE PROBE("{\"type\": \"udp\", \"port\": 53}") "}", "'type' must be \"tcp\" or \"http\"");
        check_invalid("{" BASE PROBE("{\"http\": {\"port\": 80}}") "}", "'type' must be \"tcp\" or \"http\"");
        check_invalid("{" BASE PROBE("{\"type\": \"tcp\", \"port\": 70000}") "}", "'port' must be 1…65535");
        check_invalid("{" BASE PROBE("{\"type\": \"http\", \"port\": 80, \"path\": \"x\"}") "}",
                      "'path' must start with '/'");
        /* the path goes onto the request line: no second request, header or line of any kind */
        check_invalid("{" BASE PROBE("{\"type\": \"http\", \"port\": 80, \"path\": \"/ HTTP/1.0\\r\\n\\r\\nSAVE\"}") "}",
                      "'path' may hold only URI path and query characters");
        check_invalid("{" BASE PROBE("{\"type\": \"http\", \"port\": 80, \"path\": \"/a\\nb\"}") "}",
                      "'path' may hold only URI path and query characters");
        check_invalid("{" BASE PROBE("{\"type\": \"http\", \"port\": 80, \"path\": \"/a b\"}") "}",
                      "'path' may hold only URI path and query characters");
        check_invalid("{" BASE PROBE("{\"type\": \"http\", \"port\": 80, \"path\": \"/%zz\"}") "}",
                      "'path' may hold only URI path and query characters");
        check_invalid("{" BASE ", \"x-nspawn-compose\": {\"probe\": 80}}", "'probe' must be an object");
}

TEST(probe_path_takes_uri_path_and_query) {
        _cleanup_(service_spec_freep) ServiceSpec *s =
                parse_spec("{" BASE PROBE("{\"type\": \"http\", \"port\": 80, "
                                          "\"path\": \"/a-b_c.d~/e:f@g!$&'()*+,;=?q=%20&r=/?\"}") "}");

        ASSERT_STREQ(s->probe->http_path, "/a-b_c.d~/e:f@g!$&'()*+,;=?q=%20&r=/?");
}

static char *merged_env(const char *spec_fields, const char *image) {
        _cleanup_(service_spec_freep) ServiceSpec *s = NULL;
        _cleanup_(image_config_freep) ImageConfig *c = NULL;
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *json = NULL;

        ASSERT_TRUE(asprintf(&json, "{" BASE "%s}", spec_fields) > 0);
        s = parse_spec(json);
        c = parse_image(image);
        ASSERT_OK(service_merge_env(s, c, &l));
        return strv_join(l, "|");
}

TEST(environment_merges_like_docker) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        a = merged_env("", "{\"config\": {\"Env\": [\"A=1\", \"B=2\"]}}");
        ASSERT_STREQ(a, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|HOSTNAME=s|A=1|B=2");
        /* the image's PATH replaces the default in place; compose replaces in place, "K" removes,
         * new keys append, and a value may hold '=' */
        b = merged_env(", \"hostname\": \"h\", \"environment\": [\"B=x=y\", \"A\", \"C=3\", \"PATH=/p\"]",
                       "{\"config\": {\"Env\": [\"PATH=/bin\", \"A=1\", \"B=2\"]}}");
        ASSERT_STREQ(b, "PATH=/p|HOSTNAME=h|B=x=y|C=3");
        c = merged_env(", \"environment\": [\"E=\"]", "{\"config\": {}}");
        ASSERT_STRCONTAINS(c, "|E=");
}

TEST(nspawn_argv_golden) {
        _cleanup_(service_spec_freep) ServiceSpec *s = parse_spec(spec_json);
        _cleanup_(image_config_freep) ImageConfig *c = parse_image(image_json);
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *got = NULL;

        ASSERT_OK(service_nspawn_argv(s, c,
                                      &(NspawnPaths) { .root = "/run/nspawn-compose/demo/web/root",
                                                       .volume_dir = "/var/lib/nspawn-compose/demo/web/volumes",
                                                       .user_helper = "/var/lib/nspawn-compose/demo/web/user-helper",
                                                       .env_file = "/run/nspawn-compose/demo/web/environment" },
                                      &l, NULL));
        got = strv_join(l, "\n");
        ASSERT_STREQ(got,
                "systemd-nspawn\n"
                "--quiet\n"
                "--keep-unit\n"
                "--register=yes\n"
                "--machine=demo-web\n"
                "--directory=/run/nspawn-compose/demo/web/root\n"
                "--as-pid2\n"
                "--notify-ready=no\n"
                "--kill-signal=SIGRTMIN+3\n"
                "--private-users=no\n"
                "--resolv-conf=off\n"
                "--timezone=off\n"
                "--link-journal=no\n"
                "--console=pipe\n"
                "--network-namespace-path=/run/netns/nc-abcdef0123\n"
                "--hostname=web\n"
                "--chdir=/www\n"
                "--capability=CAP_NET_ADMIN\n"
                "--drop-capability=CAP_DAC_READ_SEARCH,CAP_LINUX_IMMUTABLE,CAP_NET_BROADCAST,CAP_IPC_OWNER,"
                "CAP_SYS_PTRACE,CAP_SYS_ADMIN,CAP_SYS_BOOT,CAP_SYS_NICE,CAP_SYS_RESOURCE,CAP_SYS_TTY_CONFIG,"
                "CAP_MKNOD,CAP_LEASE,CAP_AUDIT_CONTROL\n"
                "--read-only\n"
                "--bind-ro=/srv/www\\:1:/www\n"
                "--bind=/var/lib/nspawn-compose/volumes/demo_data:/data\n"
                "--bind=/var/lib/nspawn-compose/demo/web/volumes/var-cache-x_2dy:/var/cache/x-y\n"
                "--tmpfs=/run:mode=1777\n"
                "--tmpfs=/tmp:size=65536\n"
                "--bind-ro=/var/lib/nspawn-compose/demo/web/user-helper:/run/nspawn-compose/user-helper\n"
                "--bind-ro=/run/nspawn-compose/demo/web/environment:/run/nspawn-compose/environment\n"
                "--rlimit=RLIMIT_NOFILE=1024:4096\n"
                "--rlimit=RLIMIT_NPROC=100:100\n"
                "--rlimit=RLIMIT_CORE=infinity:infinity\n"
                "--\n"
                "/run/nspawn-compose/user-helper\n"
                "--env-file\n"
                "/run/nspawn-compose/environment\n"
                "--\n"
                "/bin/busybox\n"
                "httpd\n"
                "-f\n"
                "-p\n"
                "80\n"
                "-h\n"
                "/www");
        ASSERT_FALSE(strstr(got, "GREETING"));  /* no value of the environment on the command line */
        ASSERT_FALSE(strstr(got, "dq"));
}

TEST(environment_file_holds_the_values) {
        _cleanup_(service_spec_freep) ServiceSpec *s = parse_spec(spec_json);
        _cleanup_(image_config_freep) ImageConfig *c = parse_image(image_json);
        _cleanup_free_ char *text = NULL;
        size_t size;

        ASSERT_OK(service_env_file_text(s, c, &text, &size));
        ASSERT_EQ(size, strlen("PATH=/bin") + strlen("HOSTNAME=web") + strlen("GREETING=hi") +
                        strlen("ODD=a\nb $x %s 'q' \"dq\" \xc3\xa9") + 4);
        ASSERT_STREQ(text, "PATH=/bin");
        ASSERT_STREQ(text + 10, "HOSTNAME=web");
        ASSERT_STREQ(text + size - strlen("ODD=a\nb $x %s 'q' \"dq\" \xc3\xa9") - 1, "ODD=a\nb $x %s 'q' \"dq\" \xc3\xa9");
}

/* The helper itself (a static program of the build): the file's values over the environment it got. */
TEST(helper_sets_the_environment_from_the_file) {
        static const char env[] = "GREETING=hi\0MULTI=a\nb=c\0PATH=/usr/bin:/bin\0";
        char file[] = "/tmp/nc-env-XXXXXX", cmd[PATH_MAX * 2], out[4096];
        _cleanup_fclose_ FILE *p = NULL;
        int fd = mkstemp(file);
        size_t n;

        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, env, sizeof env - 1), (ssize_t) sizeof env - 1);
        close(fd);
        snprintf(cmd, sizeof cmd, "env -i GREETING=old HOME=/root %s/reconcile/runtime/user-helper --env-file %s "
                 "-- env", getenv("NC_BUILD_ROOT"), file);
        p = popen(cmd, "r");
        ASSERT_NOT_NULL(p);
        n = fread(out, 1, sizeof out - 1, p);
        out[n] = 0;
        ASSERT_EQ(pclose(TAKE_PTR(p)), 0);
        unlink(file);
        ASSERT_STRCONTAINS(out, "GREETING=hi\n");
        ASSERT_STRCONTAINS(out, "MULTI=a\nb=c\n");
        ASSERT_STRCONTAINS(out, "HOME=/root\n");
        ASSERT_FALSE(strstr(out, "GREETING=old"));
}

static const NspawnPaths paths = { .root = "/r", .volume_dir = "/v", .files_dir = "/f", .user_helper = "/h",
                                   .env_file = "/e" };

TEST(nspawn_argv_privileged_user_and_private_network) {
        _cleanup_(service_spec_freep) ServiceSpec *s =
                parse_spec("{" BASE ", \"privileged\": true, \"user\": \"www-data:www-data\", \"command\": [\"x\"]}");
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *got = NULL;

        ASSERT_OK(service_nspawn_argv(s, NULL, &paths, &l, NULL));
        got = strv_join(l, " ");
        ASSERT_STRCONTAINS(got, " --private-network --hostname=s --chdir=/ --capability=CAP_NET_ADMIN,");
        ASSERT_STRCONTAINS(got, ",CAP_CHECKPOINT_RESTORE --bind-ro=/h:/run/nspawn-compose/user-helper "
                                "--bind-ro=/e:/run/nspawn-compose/environment --");
        ASSERT_TRUE(endswith(got, " -- /run/nspawn-compose/user-helper --env-file /run/nspawn-compose/environment "
                                  "--home --no-login-names --user www-data:www-data -- x"));
        ASSERT_FALSE(strstr(got, "--drop-capability"));
        ASSERT_FALSE(strstr(got, "--user="));
}

/* Root needs no helper; HOME or USER in the environment keep their values. */
TEST(nspawn_argv_user_helper_options) {
        _cleanup_(service_spec_freep) ServiceSpec *root = parse_spec("{" BASE ", \"user\": \"root\", \"command\": [\"x\"]}");
        _cleanup_(service_spec_freep) ServiceSpec *env =
                parse_spec("{" BASE ", \"user\": \"1000\", \"environment\": [\"HOME=/h\", \"USER=u\"], \"command\": [\"x\"]}");
        _cleanup_(image_config_freep) ImageConfig *img = parse_image("{\"config\": {\"User\": \"nobody\"}}");
        _cleanup_strv_free_ char **a = NULL, **b = NULL;
        _cleanup_free_ char *ga = NULL, *gb = NULL;

        ASSERT_OK(service_nspawn_argv(root, img, &paths, &a, NULL));
        ga = strv_join(a, " ");
        ASSERT_TRUE(endswith(ga, " -- /run/nspawn-compose/user-helper --env-file /run/nspawn-compose/environment -- x"));
        ASSERT_FALSE(strstr(ga, "--user"));
        ASSERT_NULL(service_user(root, img));
        free_and_replace_ptr(&root->user, NULL);
        ASSERT_STREQ(service_user(root, img), "nobody");
        ASSERT_OK(service_nspawn_argv(env, NULL, &paths, &b, NULL));
        gb = strv_join(b, " ");
        ASSERT_TRUE(endswith(gb, " -- /run/nspawn-compose/user-helper --env-file /run/nspawn-compose/environment "
                                 "--user 1000 -- x"));
        ASSERT_FALSE(strstr(gb, "--home"));
}

/* Secrets and configs with an owner or mode are bound from their copy. */
TEST(nspawn_argv_owned_copies) {
        _cleanup_(service_spec_freep) ServiceSpec *s = parse_spec(
                "{" BASE ", \"command\": [\"x\"], \"mounts\": ["
                "{\"type\": \"bind\", \"source\": \"/etc/nc/p/secrets/tok\", \"target\": \"/run/secrets/tok\","
                " \"read_only\": true, \"uid\": \"1000\", \"gid\": \"1001\", \"mode\": 256},"
                "{\"type\": \"tmpfs\", \"target\": \"/t\", \"options\": \"\"}]}");
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *got = NULL;

        ASSERT_TRUE(s->mounts[0].copy);
        ASSERT_EQ(s->mounts[0].uid, 1000);
        ASSERT_EQ(s->mounts[0].gid, 1001);
        ASSERT_EQ(s->mounts[0].mode, 0400);
        ASSERT_FALSE(s->mounts[1].copy);
        ASSERT_OK(service_nspawn_argv(s, NULL, &paths, &l, NULL));
        got = strv_join(l, " ");
        ASSERT_STRCONTAINS(got, " --bind-ro=/f/run-secrets-tok:/run/secrets/tok --tmpfs=/t:mode=1777 ");
}

/* /dev/shm shared (ipc) is bound; one of its own with shm_size is a tmpfs; shm is only /dev/shm.
 * network_mode host: neither --private-network nor a namespace path; service:X: X's namespace.
 * security_opt no-new-privileges and oom_score_adj are nspawn's options. */
TEST(nspawn_argv_shm_and_network_modes) {
        _cleanup_(service_spec_freep) ServiceSpec *a = parse_spec(
                "{" BASE ", \"command\": [\"x\"], \"host_network\": true, \"netns\": \"\","
                " \"no_new_privileges\": true, \"oom_score_adj\": -17, \"mounts\": ["
                "{\"type\": \"shm\", \"source\": \"/run/nspawn-compose/p/o/shm\", \"target\": \"/dev/shm\"}]}");
        _cleanup_(service_spec_freep) ServiceSpec *b = parse_spec(
                "{" BASE ", \"command\": [\"x\"], \"netns\": \"nc-0123456789\", \"netns_of\": \"o\", \"mounts\": ["
                "{\"type\": \"shm\", \"source\": null, \"target\": \"/dev/shm\", \"options\": \"size=1024\"}]}");
        _cleanup_(service_spec_freep) ServiceSpec *bad = NULL;
        _cleanup_strv_free_ char **la = NULL, **lb = NULL;
        _cleanup_free_ char *ga = NULL, *gb = NULL;
        NcError err = {};

        ASSERT_OK(service_nspawn_argv(a, NULL, &paths, &la, NULL));
        ga = strv_join(la, " ");
        ASSERT_STRCONTAINS(ga, " --bind=/run/nspawn-compose/p/o/shm:/dev/shm ");
        ASSERT_FALSE(strstr(ga, "--private-network"));
        ASSERT_FALSE(strstr(ga, "--network-namespace-path"));
        ASSERT_STRCONTAINS(ga, " --no-new-privileges=yes --oom-score-adjust=-17 ");
        ASSERT_OK(service_nspawn_argv(b, NULL, &paths, &lb, NULL));
        gb = strv_join(lb, " ");
        ASSERT_STRCONTAINS(gb, " --tmpfs=/dev/shm:mode=1777,nosuid,nodev,size=1024 ");
        ASSERT_STRCONTAINS(gb, " --network-namespace-path=/run/netns/nc-0123456789 ");
        ASSERT_EQ(service_spec_parse("{" BASE ", \"mounts\": [{\"type\": \"shm\", \"source\": null,"
                                     " \"target\": \"/tmp\"}]}", NULL, &bad, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "an shm mount is of /dev/shm");
        err = (NcError) {};
        ASSERT_EQ(service_spec_parse("{" BASE ", \"host_network\": true, \"netns\": \"nc-0123456789\"}", NULL,
                                     &bad, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "'host_network' takes no 'netns'");
}

/* An external secret: no source, a credential; always a copy, bound like the others. */
TEST(nspawn_argv_credential_copies) {
        _cleanup_(service_spec_freep) ServiceSpec *s = parse_spec(
                "{" BASE ", \"command\": [\"x\"], \"mounts\": ["
                "{\"type\": \"bind\", \"source\": null, \"target\": \"/run/secrets/tok\", \"read_only\": true,"
                " \"credential\": \"tok\", \"uid\": \"0\", \"gid\": \"0\", \"mode\": 256},"
                "{\"type\": \"bind\", \"target\": \"/c\", \"read_only\": true, \"credential\": \"c\"}]}");
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *got = NULL;
        ServiceSpec *bad = NULL;
        NcError err = {};

        ASSERT_TRUE(s->mounts[0].copy);
        ASSERT_STREQ(s->mounts[0].credential, "tok");
        ASSERT_NULL(s->mounts[0].source);
        ASSERT_EQ(s->mounts[0].mode, 0400);
        ASSERT_TRUE(s->mounts[1].copy);
        ASSERT_EQ(s->mounts[1].mode, 0444);
        ASSERT_OK(service_nspawn_argv(s, NULL, &paths, &l, NULL));
        got = strv_join(l, " ");
        ASSERT_STRCONTAINS(got, " --bind-ro=/f/run-secrets-tok:/run/secrets/tok ");
        ASSERT_EQ(service_spec_parse("{" BASE ", \"command\": [\"x\"], \"mounts\": [{\"type\": \"bind\","
                                     " \"target\": \"/c\", \"credential\": \"../x\"}]}", "x.json", &bad, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "credential '../x'");
}

TEST(nspawn_argv_errors) {
        _cleanup_(service_spec_freep) ServiceSpec *a = parse_spec("{" BASE ", \"cap_add\": [\"FLY\"], \"command\": [\"x\"]}");
        _cleanup_(service_spec_freep) ServiceSpec *b = parse_spec("{" BASE ", \"ulimits\": {\"files\": 1}, \"command\": [\"x\"]}");
        _cleanup_(service_spec_freep) ServiceSpec *c = parse_spec("{" BASE ", \"cap_drop\": [\"ALL\"], \"cap_add\": [\"KILL\"], \"command\": [\"x\"]}");
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *got = NULL;
        NcError e1 = {}, e2 = {};

        ASSERT_EQ(service_nspawn_argv(a, NULL, &paths, &l, &e1), -EINVAL);
        ASSERT_STREQ(e1.message, "unknown capability 'FLY'");
        ASSERT_EQ(service_nspawn_argv(b, NULL, &paths, &l, &e2), -EINVAL);
        ASSERT_STREQ(e2.message, "unknown ulimit 'files'");
        ASSERT_OK(service_nspawn_argv(c, NULL, &paths, &l, NULL));
        got = strv_join(l, " ");
        ASSERT_STRCONTAINS(got, "--drop-capability=CAP_CHOWN,");
        ASSERT_FALSE(strstr(got, "CAP_KILL,"));
}

TAP_MAIN();
