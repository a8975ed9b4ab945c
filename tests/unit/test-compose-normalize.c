/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "reconcile/compose/compose-internal.h"
#include "reconcile/compose/compose-normalize-internal.h"
#include "lib/fileio.h"
#include "lib/strv.h"
#include "tests/tap.h"

/* Expected trees are written in the key order and with the value types `docker compose config`
 * prints (compose-go loader/full-struct_test.go is the reference for most of them). */

#define WD "/project"

__attribute__((constructor)) static void set_home(void) {
        setenv("HOME", "/home/user", 1);
}

static const char *test_lookup(const char *name, void *userdata) {
        static const char *const env[][2] = {
                { "FROM_PROJECT", "project-value" },
                { "BUILD_ARG", "arg-value" },
                { "FILE_VAR", "from-project" },
        };

        (void) userdata;
        for (size_t i = 0; i < ELEMENTSOF(env); i++)
                if (streq(env[i][0], name))
                        return env[i][1];
        return NULL;
}

static void print_node(const ComposeNode *n, StrBuf *b) {
        if (!n) {
                strbuf_append(b, "(nil)");
                return;
        }
        switch (n->type) {
        case COMPOSE_NODE_MAP:
                strbuf_append_char(b, '{');
                COMPOSE_MAP_FOREACH(i, n) {
                        strbuf_printf(b, "%s%s: ", i ? ", " : "", n->keys[i]->scalar);
                        print_node(n->items[i], b);
                }
                strbuf_append_char(b, '}');
                break;
        case COMPOSE_NODE_SEQ:
                strbuf_append_char(b, '[');
                COMPOSE_SEQ_FOREACH(i, n) {
                        strbuf_append(b, i ? ", " : "");
                        print_node(n->items[i], b);
                }
                strbuf_append_char(b, ']');
                break;
        case COMPOSE_NODE_STRING:
                strbuf_printf(b, "\"%s\"", n->scalar);
                break;
        case COMPOSE_NODE_NULL:
                strbuf_append(b, "null");
                break;
        case COMPOSE_NODE_BOOL:
        case COMPOSE_NODE_INT:
        case COMPOSE_NODE_FLOAT:
        case _COMPOSE_NODE_TYPE_MAX:
        case _COMPOSE_NODE_TYPE_INVALID:
                strbuf_printf(b, "%s(%s)", n->scalar, compose_node_type_to_string(n->type));
                break;
        }
}

static ComposeNode *parse(const char *text) {
        ComposeNode *n = NULL;
        NcError err = {};

        if (compose_yaml_parse("t.yml", text, strlen(text), &n, &err) < 0)
                TAP_FAIL("parse: %s (%s)", err.message, text);
        return n;
}

static int normalize_text(const char *text, const char *wd, ComposeNode **ret, NcError *err) {
        _cleanup_(compose_node_freep) ComposeNode *root = parse(text);
        int r;

        r = compose_normalize(root, "proj", wd, test_lookup, NULL, /* resolve_env= */ true, err);
        if (r >= 0)
                *ret = TAKE_PTR(root);
        return r;
}

static ComposeNode *normalize(const char *text) {
        ComposeNode *root = NULL;
        NcError err = {};

        if (normalize_text(text, WD, &root, &err) < 0)
                TAP_FAIL("normalize: %s:%u:%u: %s", err.file, err.line, err.column, err.message);
        return root;
}

static void assert_tree(const char *file, int line, const ComposeNode *got, const char *expected) {
        _cleanup_(compose_node_freep) ComposeNode *want = parse(expected);
        StrBuf a = {}, b = {};

        if (compose_node_equal(got, want))
                return;
        print_node(got, &a);
        print_node(want, &b);
        printf("# %s:%d: trees differ\n#  got:  %s\n#  want: %s\n", file, line, a.buf, b.buf);
        fflush(stdout);
        abort();
}
#define ASSERT_TREE(got, expected) assert_tree(__FILE__, __LINE__, (got), (expected))

static const ComposeNode *service(const ComposeNode *root, const char *name) {
        return compose_map_get(compose_map_get(root, "services"), name);
}

static void assert_service_key(int line, const char *input, const char *key, const char *expected) {
        _cleanup_(compose_node_freep) ComposeNode *root = normalize(input);

        assert_tree(__FILE__, line, compose_map_get(service(root, "web"), key), expected);
}
#define ASSERT_KEY(input, key, expected) assert_service_key(__LINE__, (input), (key), (expected))

static void assert_error(int line, const char *input, const char *message) {
        _cleanup_(compose_node_freep) ComposeNode *root = NULL;
        NcError err = {};
        int r = normalize_text(input, WD, &root, &err);

        if (r >= 0)
                TAP_FAIL("line %d: normalize succeeded, expected '%s'", line, message);
        if (!strstr(err.message, message))
                TAP_FAIL("line %d: error '%s' does not contain '%s'", line, err.message, message);
        if (err.line == 0)
                TAP_FAIL("line %d: error '%s' has no position", line, err.message);
}
#define ASSERT_NORM_ERROR(input, message) assert_error(__LINE__, (input), (message))

TEST(ports_short_syntax) {
        ASSERT_KEY("services:\n  web:\n    image: x\n    ports:\n"
                   "      - \"8080:80\"\n"
                   "      - 127.0.0.1:8081:81\n"
                   "      - \"[::1]:82:82\"\n"
                   "      - \"::1:6000:6001\"\n"
                   "      - \"3000\"\n"
                   "      - 53:53/udp\n"
                   "      - 8000\n"
                   "      - 127.0.0.1::5000\n",
                   "ports",
                   "- {mode: ingress, target: 80, published: \"8080\", protocol: tcp}\n"
                   "- {mode: ingress, host_ip: 127.0.0.1, target: 81, published: \"8081\", protocol: tcp}\n"
                   "- {mode: ingress, host_ip: \"::1\", target: 82, published: \"82\", protocol: tcp}\n"
                   "- {mode: ingress, host_ip: \"::1\", target: 6001, published: \"6000\", protocol: tcp}\n"
                   "- {mode: ingress, target: 3000, protocol: tcp}\n"
                   "- {mode: ingress, target: 53, published: \"53\", protocol: udp}\n"
                   "- {mode: ingress, target: 8000, protocol: tcp}\n"
                   "- {mode: ingress, host_ip: 127.0.0.1, target: 5000, protocol: tcp}\n");
}

TEST(ports_ranges_expand_like_compose) {
        ASSERT_KEY("services:\n  web:\n    image: x\n    ports: [\"9000-9002:8000-8002\", \"8-10:8-10/udp\", "
                   "\"7000-7005:80\"]\n",
                   "ports",
                   "- {mode: ingress, target: 8000, published: \"9000\", protocol: tcp}\n"
                   "- {mode: ingress, target: 8001, published: \"9001\", protocol: tcp}\n"
                   "- {mode: ingress, target: 8002, published: \"9002\", protocol: tcp}\n"
                   /* nat.ParsePortSpecs keys are sorted as strings: "10/udp" < "8/udp" */
                   "- {mode: ingress, target: 10, published: \"10\", protocol: udp}\n"
                   "- {mode: ingress, target: 8, published: \"8\", protocol: udp}\n"
                   "- {mode: ingress, target: 9, published: \"9\", protocol: udp}\n"
                   "- {mode: ingress, target: 80, published: \"7000-7005\", protocol: tcp}\n");
}

TEST(ports_long_syntax) {
        ASSERT_KEY("services:\n  web:\n    image: x\n    ports:\n"
                   "      - target: \"80\"\n        published: 8080\n        host_ip: 0.0.0.0\n"
                   "        protocol: udp\n        mode: host\n        name: web\n        app_protocol: http\n"
                   "      - target: 443\n",
                   "ports",
                   "- {name: web, mode: host, host_ip: 0.0.0.0, target: 80, published: \"8080\", protocol: udp, "
                   "app_protocol: http}\n"
                   "- {mode: ingress, target: 443, protocol: tcp}\n");
}

TEST(ports_errors_name_the_entry) {
        ASSERT_NORM_ERROR("services:\n  web:\n    ports: [\"80:80:80:x\"]\n", "services.web.ports[0]: invalid containerPort: x");
        ASSERT_NORM_ERROR("services:\n  web:\n    ports: [\"1.2.3:80:80\"]\n", "invalid IP address");
        ASSERT_NORM_ERROR("services:\n  web:\n    ports: [\"8080:99999\"]\n", "services.web.ports[0]: invalid containerPort: 99999 (port 99999 out of range)");
        ASSERT_NORM_ERROR("services:\n  web:\n    ports: [\"80\", \"1-3:4-5\"]\n", "services.web.ports[1]: invalid ranges");
        ASSERT_NORM_ERROR("services:\n  web:\n    ports: [\"80/icmp\"]\n", "invalid protocol \"icmp\"");
        ASSERT_NORM_ERROR("services:\n  web:\n    ports: [[80]]\n", "services.web.ports[0]: invalid type sequence");
}

TEST(expose_is_strings) {
        ASSERT_KEY("services:\n  web:\n    expose: [3000, \"8000-8001\"]\n", "expose", "[\"3000\", \"8000-8001\"]");
}

TEST(volumes_short_syntax) {
        ASSERT_KEY("services:\n  web:\n    volumes:\n"
                   "      - ./data:/data\n"
                   "      - db:/var/lib/db/\n"
                   "      - /var/lib/anon\n"
                   "      - ~/configs:/etc/configs:ro\n"
                   "      - /opt/x:/x:rw,z,rshared\n"
                   "      - cache:/cache:nocopy\n"
                   "      - .:/code\n",
                   "volumes",
                   "- {type: bind, source: /project/data, target: /data, bind: {create_host_path: true}}\n"
                   "- {type: volume, source: db, target: /var/lib/db, volume: {}}\n"
                   "- {type: volume, target: /var/lib/anon, volume: {}}\n"
                   "- {type: bind, source: /home/user/configs, target: /etc/configs, read_only: true, "
                   "bind: {create_host_path: true}}\n"
                   "- {type: bind, source: /opt/x, target: /x, bind: {selinux: z, propagation: rshared, "
                   "create_host_path: true}}\n"
                   "- {type: volume, source: cache, target: /cache, volume: {nocopy: true}}\n"
                   "- {type: bind, source: /project, target: /code, bind: {create_host_path: true}}\n");
}

TEST(volumes_long_syntax) {
        ASSERT_KEY("services:\n  web:\n    volumes:\n"
                   "      - {type: bind, source: ../shared, target: /shared/, read_only: true, "
                   "bind: {create_host_path: false}}\n"
                   "      - {type: volume, source: data, target: /data, volume: {nocopy: true, subpath: sub}}\n"
                   "      - {type: tmpfs, target: /tmp, tmpfs: {size: 64m, mode: 1777}}\n"
                   "      - {type: tmpfs, target: /run, tmpfs: {size: 10000}}\n",
                   "volumes",
                   "- {type: bind, source: /shared, target: /shared, read_only: true, bind: {}}\n"
                   "- {type: volume, source: data, target: /data, volume: {nocopy: true, subpath: sub}}\n"
                   "- {type: tmpfs, target: /tmp, tmpfs: {size: \"67108864\", mode: 1777}}\n"
                   "- {type: tmpfs, target: /run, tmpfs: {size: \"10000\"}}\n");
        ASSERT_NORM_ERROR("services:\n  web:\n    volumes: [\"aa:/b:cc:dd\"]\n", "services.web.volumes[0]: invalid spec");
        ASSERT_NORM_ERROR("services:\n  web:\n    volumes: [{type: tmpfs, target: /t, tmpfs: {size: lots}}]\n",
                          "services.web.volumes[0].tmpfs.size: invalid size \"lots\"");
}

TEST(depends_on_forms) {
        ASSERT_KEY("services:\n  web:\n    depends_on: [db, cache]\n", "depends_on",
                   "cache: {condition: service_started, required: true}\n"
                   "db: {condition: service_started, required: true}\n");
        ASSERT_KEY("services:\n  web:\n    depends_on:\n      db: {condition: service_healthy, restart: true}\n"
                   "      cache: {required: false}\n      log:\n",
                   "depends_on",
                   "cache: {condition: service_started, required: false}\n"
                   "db: {condition: service_healthy, restart: true, required: true}\n"
                   "log: {condition: service_started, required: true}\n");
        /* links and service: namespaces imply dependencies */
        ASSERT_KEY("services:\n  web:\n    links: [\"db:database\"]\n    network_mode: service:vpn\n"
                   "    volumes_from: [\"data:ro\", \"container:x\"]\n",
                   "depends_on",
                   "data: {condition: service_started, required: true}\n"
                   "db: {condition: service_started, restart: true, required: true}\n"
                   "vpn: {condition: service_started, restart: true, required: true}\n");
}

TEST(environment_forms) {
        ASSERT_KEY("services:\n  web:\n    environment: [\"A=1\", \"B=\", FROM_PROJECT, UNSET, \"C=x=y\"]\n",
                   "environment", "{A: \"1\", B: \"\", C: \"x=y\", FROM_PROJECT: project-value, UNSET: null}");
        ASSERT_KEY("services:\n  web:\n    environment:\n      NUM: 42\n      FLOAT: 1.50\n      BOOL: true\n"
                   "      FROM_PROJECT:\n      EMPTY: \"\"\n",
                   "environment",
                   "{BOOL: \"true\", EMPTY: \"\", FLOAT: \"1.5\", FROM_PROJECT: project-value, NUM: \"42\"}");
}

static char *temp_dir(void) {
        char *d = strdup("/tmp/test-normalize-XXXXXX");

        if (!d || !mkdtemp(d))
                TAP_FAIL("mkdtemp: %m");
        return d;
}

static void write_text(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = path_join(dir, name);

        ASSERT_TRUE(write_file_atomic(p, text, strlen(text), 0644) >= 0);
}

static void remove_tree(const char *dir) {
        _cleanup_free_ char *cmd = NULL;

        /* Only ever called on a mkdtemp() directory of this test. */
        if (startswith(dir, "/tmp/test-normalize-") && asprintf(&cmd, "rm -rf '%s'", dir) >= 0)
                (void) system(cmd);
}

TEST(env_file_merges_into_environment) {
        _cleanup_free_ char *dir = temp_dir();
        _cleanup_(compose_node_freep) ComposeNode *root = NULL;
        NcError err = {};

        write_text(dir, "a.env", "A=from-a\nB=from-a\nREF=${FILE_VAR}\n");
        write_text(dir, "b.env", "# comment\nB=from-b\nC=from-b\n");
        ASSERT_OK(normalize_text("services:\n  web:\n    env_file: [a.env, {path: ./b.env, required: true}, "
                                 "{path: missing.env, required: false}]\n"
                                 "    environment: {C: from-service, D: d}\n",
                                 dir, &root, &err));
        ASSERT_NULL(compose_map_get(service(root, "web"), "env_file"));
        ASSERT_TREE(compose_map_get(service(root, "web"), "environment"),
                    "{A: from-a, B: from-b, C: from-service, D: d, REF: from-project}");
        root = compose_node_free(root);
        ASSERT_TRUE(normalize_text("services:\n  web:\n    env_file: nothere.env\n", dir, &root, &err) < 0);
        ASSERT_STRCONTAINS(err.message, "services.web.env_file[0]: env file ");
        ASSERT_STRCONTAINS(err.message, "/nothere.env not found");
        remove_tree(dir);
}

TEST(healthcheck_forms) {
        ASSERT_KEY("services:\n  web:\n    healthcheck:\n      test: curl -f http://localhost\n"
                   "      interval: 90s\n      timeout: 1500ms\n      retries: 3\n      start_period: 0s\n"
                   "      start_interval: 1h\n",
                   "healthcheck",
                   "{test: [CMD-SHELL, curl -f http://localhost], timeout: 1.5s, interval: 1m30s, retries: 3, "
                   "start_period: 0s, start_interval: 1h0m0s}");
        ASSERT_KEY("services:\n  web:\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      disable: false\n",
                   "healthcheck", "{test: [CMD, \"true\"]}");
        ASSERT_KEY("services:\n  web:\n    healthcheck: {disable: true}\n", "healthcheck", "{disable: true}");
        ASSERT_NORM_ERROR("services:\n  web:\n    healthcheck: {interval: 30}\n",
                          "services.web.healthcheck.interval: invalid duration \"30\"");
}

TEST(secrets_and_configs) {
        _cleanup_(compose_node_freep) ComposeNode *root =
                normalize("services:\n  web:\n    secrets: [db_pass, {source: key, target: k, uid: \"1\", mode: 0o440}]\n"
                          "    configs: [cfg, {source: cfg2, target: /c, mode: \"0644\"}]\n"
                          "secrets:\n  db_pass: {file: ./secrets/db.txt}\n  key: {environment: KEY}\n"
                          "  ext: {external: true}\n"
                          "configs:\n  cfg: {file: ~/c.conf}\n  cfg2: {content: hello}\n  env: {environment: E, content: x}\n");

        ASSERT_TREE(compose_map_get(service(root, "web"), "secrets"),
                    "- {source: db_pass, target: /run/secrets/db_pass}\n"
                    "- {source: key, target: k, uid: \"1\", mode: 288}\n");
        ASSERT_TREE(compose_map_get(service(root, "web"), "configs"),
                    "- {source: cfg}\n- {source: cfg2, target: /c, mode: 420}\n");
        ASSERT_TREE(compose_map_get(root, "secrets"),
                    "db_pass: {name: proj_db_pass, file: /project/secrets/db.txt}\n"
                    "ext: {name: ext, external: true}\n"
                    "key: {name: proj_key, environment: KEY}\n");
        ASSERT_TREE(compose_map_get(root, "configs"),
                    "cfg: {name: proj_cfg, file: /home/user/c.conf}\n"
                    "cfg2: {name: proj_cfg2, content: hello}\n"
                    "env: {name: proj_env, environment: E}\n");
}

TEST(networks_and_default_network) {
        _cleanup_(compose_node_freep) ComposeNode *root =
                normalize("version: \"3.8\"\n"
                          "services:\n  web:\n    image: x\n    networks: [front]\n"
                          "  api:\n    networks:\n      back:\n        aliases: [api]\n        ipv4_address: 10.0.0.5\n"
                          "      front:\n"
                          "  db:\n    image: y\n"
                          "  host:\n    network_mode: host\n"
                          "networks:\n  front:\n  back:\n    ipam: {config: [{subnet: 10.0.0.0/24}]}\n"
                          "  old: {external: {name: legacy}}\n  ext: {external: true}\n"
                          "volumes:\n  data:\n  named: {name: custom}\n"
                          "  bound: {driver: local, driver_opts: {o: bind, type: none, device: ./d}}\n"
                          "x-extra: {keep: me}\n");

        ASSERT_NULL(compose_map_get(root, "version"));
        ASSERT_STREQ(root->keys[0]->scalar, "name");
        ASSERT_STREQ(compose_map_get_str(root, "name"), "proj");
        ASSERT_TREE(compose_map_get(service(root, "web"), "networks"), "{front: null}");
        ASSERT_TREE(compose_map_get(service(root, "api"), "networks"),
                    "{back: {aliases: [api], ipv4_address: 10.0.0.5}, front: null}");
        ASSERT_TREE(compose_map_get(service(root, "db"), "networks"), "{default: null}");
        ASSERT_NULL(compose_map_get(service(root, "host"), "networks"));
        ASSERT_TREE(compose_map_get(root, "networks"),
                    "back: {name: proj_back, ipam: {config: [{subnet: 10.0.0.0/24}]}}\n"
                    "default: {name: proj_default, ipam: {}}\n"      /* a Go struct value: always there */
                    "ext: {name: ext, ipam: {}, external: true}\n"
                    "front: {name: proj_front, ipam: {}}\n"
                    "old: {name: legacy, ipam: {}, external: true}\n");
        ASSERT_TRUE(compose_map_get(compose_map_get(compose_map_get(root, "networks"), "front"), "ipam")->flags &
                    COMPOSE_NODE_STRUCT_VALUE);
        ASSERT_TREE(compose_map_get(root, "volumes"),
                    "bound: {name: proj_bound, driver: local, driver_opts: {device: /project/d, o: bind, type: none}}\n"
                    "data: {name: proj_data}\n"
                    "named: {name: custom}\n");
        ASSERT_TREE(compose_map_get(root, "x-extra"), "{keep: me}");
        ASSERT_STREQ(root->keys[root->n_items - 1]->scalar, "x-extra");
}

TEST(no_default_network_when_unused) {
        _cleanup_(compose_node_freep) ComposeNode *root =
                normalize("services:\n  web:\n    networks: [front]\nnetworks:\n  front:\n");

        ASSERT_TREE(compose_map_get(root, "networks"), "front: {name: proj_front, ipam: {}}\n");
}

TEST(sizes_durations_and_resources) {
        _cleanup_(compose_node_freep) ComposeNode *root =
                normalize("services:\n  web:\n    mem_limit: 1g\n    memswap_limit: 2048\n    shm_size: 64M\n"
                          "    mem_reservation: 1.5gb\n    cpus: 0.5\n    stop_grace_period: 1m30s\n"
                          "    ulimits: {nproc: 65535, nofile: {soft: 20000, hard: 40000}}\n"
                          "    deploy:\n      replicas: 2\n      resources:\n"
                          "        limits: {cpus: \"0.50\", memory: 50M}\n        reservations: {memory: 20m}\n"
                          "      restart_policy: {condition: on-failure, delay: 5s, window: 120s}\n"
                          "      update_config: {delay: 0s, monitor: 60s}\n");
        const ComposeNode *web = service(root, "web");

        ASSERT_TREE(web, "cpus: 0.5\ndeploy:\n  replicas: 2\n  update_config: {monitor: 1m0s}\n"
                    "  resources:\n    limits: {cpus: 0.5, memory: \"52428800\"}\n"
                    "    reservations: {memory: \"20971520\"}\n"
                    "  restart_policy: {condition: on-failure, delay: 5s, window: 2m0s}\n"
                    "  placement: {}\n"
                    "mem_limit: \"1073741824\"\nmem_reservation: \"1610612736\"\nmemswap_limit: \"2048\"\n"
                    "networks: {default: null}\n"
                    "shm_size: \"67108864\"\nstop_grace_period: 1m30s\n"
                    "ulimits:\n  nofile: {soft: 20000, hard: 40000}\n  nproc: 65535\n");
}

TEST(lists_maps_and_commands) {
        _cleanup_(compose_node_freep) ComposeNode *root =
                normalize("services:\n  web:\n    image: nginx\n"
                          "    command: sh -c 'echo \"a b\"' \"x y\" z\\ w\n"
                          "    entrypoint: [\"/bin/tini\", \"--\"]\n"
                          "    labels: [\"com.example.b=2\", com.example.a]\n"
                          "    sysctls: {net.core.somaxconn: 1024}\n"
                          "    extra_hosts: [\"somehost:162.242.195.82\", \"otherhost=50.31.209.229\", "
                          "\"v6host=[::1]\", \"multi=1.1.1.1,2.2.2.2\"]\n"
                          "    dns: 8.8.8.8\n    tmpfs: /run\n    cap_add: [NET_ADMIN]\n"
                          "    privileged: false\n    read_only: true\n    init: false\n"
                          "    pull_policy: if_not_present\n    restart: unless-stopped\n"
                          "    devices: [\"/dev/fuse\", \"/dev/sda:/dev/xvda:r\"]\n"
                          "    x-custom: 1\n");

        ASSERT_TREE(service(root, "web"),
                    "cap_add: [NET_ADMIN]\n"
                    "command: [sh, -c, echo \"a b\", x y, z w]\n"
                    "devices:\n  - {source: /dev/fuse, target: /dev/fuse, permissions: rwm}\n"
                    "  - {source: /dev/sda, target: /dev/xvda, permissions: r}\n"
                    "dns: [8.8.8.8]\n"
                    "entrypoint: [/bin/tini, \"--\"]\n"
                    "extra_hosts: [multi=1.1.1.1, multi=2.2.2.2, otherhost=50.31.209.229, "
                    "somehost=162.242.195.82, \"v6host=::1\"]\n"
                    "image: nginx\ninit: false\n"
                    "labels: {com.example.a: \"\", com.example.b: \"2\"}\n"
                    "networks: {default: null}\n"
                    "pull_policy: missing\nread_only: true\nrestart: unless-stopped\n"
                    "sysctls: {net.core.somaxconn: \"1024\"}\n"
                    "tmpfs: [/run]\n"
                    "x-custom: 1\n");
        ASSERT_NORM_ERROR("services:\n  web:\n    command: echo 'unterminated\n", "invalid command line string");
        ASSERT_NORM_ERROR("services:\n  web:\n    extra_hosts: [nohost]\n", "missing IP");
}

TEST(build_short_and_long) {
        ASSERT_KEY("services:\n  web:\n    build: ./app\n", "build", "{context: /project/app, dockerfile: Dockerfile}");
        ASSERT_KEY("services:\n  web:\n    build:\n      dockerfile_inline: FROM scratch\n"
                   "      args: [BUILD_ARG, UNSET_ARG, \"X=1\"]\n",
                   "build", "{context: /project, dockerfile_inline: FROM scratch, args: {BUILD_ARG: arg-value, X: \"1\"}}");
        ASSERT_KEY("services:\n  web:\n    build: https://github.com/a/b.git#main\n", "build",
                   "{context: \"https://github.com/a/b.git#main\", dockerfile: Dockerfile}");
}

TEST(type_errors_carry_the_key_path) {
        ASSERT_NORM_ERROR("services:\n  web:\n    privileged: maybe\n", "services.web.privileged: must be a boolean");
        ASSERT_NORM_ERROR("services:\n  web:\n    cap_add: {a: b}\n", "services.web.cap_add: must be a string or a list");
        ASSERT_NORM_ERROR("services:\n  web:\n    mem_limit: [1]\n", "services.web.mem_limit: must be a byte size");
        ASSERT_NORM_ERROR("services:\n  web: [1]\n", "services.web: must be a mapping");
        ASSERT_NORM_ERROR("services:\n  web:\n    deploy: {replicas: many}\n",
                          "services.web.deploy.replicas: must be an integer");
}

TEST(normalizing_twice_changes_nothing) {
        _cleanup_(compose_node_freep) ComposeNode *root =
                normalize("services:\n  web:\n    build: .\n    ports: [\"80:80\", \"1-2:1-2\"]\n"
                          "    volumes: [\".:/a\", \"v:/b:nocopy\"]\n    depends_on: [db]\n"
                          "    environment: [A=1]\n    healthcheck: {test: x, interval: 90s}\n"
                          "    secrets: [s]\n    extra_hosts: [\"h:1.2.3.4\"]\n  db: {image: x}\n"
                          "secrets:\n  s: {file: ./s}\nvolumes:\n  v:\n"), *again = compose_node_dup(root);
        NcError err = {};

        ASSERT_OK(compose_normalize(again, "proj", WD, test_lookup, NULL, /* resolve_env= */ true, &err));
        ASSERT_TRUE(compose_node_equal(root, again));
}

TEST(util_floats) {
        static const struct {
                double v;
                bool single;
                const char *yaml, *json;
        } cases[] = {
                { 0.5, true, "0.5", "0.5" },
                { 0.1, true, "0.1", "0.1" },
                { 2, true, "2", "2" },
                { 1e6, false, "1e+06", "1000000" },
                { 123456, false, "123456", "123456" },
                { 0.0001, false, "0.0001", "0.0001" },
                { 0.00001, false, "1e-05", "0.00001" },
                { 1e-7, false, "1e-07", "1e-7" },
                { 1e21, false, "1e+21", "1e+21" },
                { 1e20, false, "1e+20", "100000000000000000000" },
                { -1.5e300, false, "-1.5e+300", "-1.5e+300" },
                { 1e-10, false, "1e-10", "1e-10" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *y = compose_format_float(cases[i].v, cases[i].single, COMPOSE_FLOAT_YAML),
                                    *j = compose_format_float(cases[i].v, cases[i].single, COMPOSE_FLOAT_JSON);

                ASSERT_STREQ(y, cases[i].yaml);
                ASSERT_STREQ(j, cases[i].json);
        }
        ASSERT_TRUE(compose_float_text_is_integer("1000"));
        ASSERT_TRUE(compose_float_text_is_integer("-3"));
        ASSERT_FALSE(compose_float_text_is_integer("1e+06"));
        ASSERT_FALSE(compose_float_text_is_integer("0.5"));
}

TEST(util_key_order) {
        /* Go's YAML encoder: digit runs compare as numbers, letters after other characters. */
        ASSERT_TRUE(norm_key_less("a2", "a10"));
        ASSERT_TRUE(norm_key_less("A_B", "AB"));
        ASSERT_TRUE(norm_key_less("DB_HOST", "DBX"));
        ASSERT_TRUE(norm_key_less("a", "b"));
        ASSERT_TRUE(norm_key_less("B", "a"));
        ASSERT_TRUE(norm_key_less("x", "xy"));
        ASSERT_FALSE(norm_key_less("a10", "a2"));
        ASSERT_FALSE(norm_key_less("same", "same"));
        /* after a shared run with a non-zero digit, leading zeros count: 10^2+2 > 10^1+9 */
        ASSERT_TRUE(norm_key_less("109", "1002"));
        ASSERT_TRUE(norm_key_less("a9", "a0010"));
        /* runs past 64 bits compare by value, as shorter ones */
        ASSERT_TRUE(norm_key_less("k99999999999999999999", "k100000000000000000000"));
        ASSERT_TRUE(norm_key_less("k18446744073709551616", "k18446744073709551617"));
        ASSERT_FALSE(norm_key_less("k100000000000000000000", "k99999999999999999999"));
}

TEST(util_key_order_is_a_total_order) {
        /* every key of up to three bytes of "a0_19": irreflexive, asymmetric, transitive, so that
         * the keys sort the same whatever order they came in */
        static const char alphabet[] = "a0_19";
        char keys[160][4];
        size_t n = 0, k = strlen(alphabet);

        for (size_t len = 1; len <= 3; len++)
                for (size_t v = 0, max = len == 1 ? k : len == 2 ? k * k : k * k * k; v < max; v++) {
                        for (size_t p = 0, x = v; p < len; p++, x /= k)
                                keys[n][p] = alphabet[x % k];
                        keys[n++][len] = 0;
                }
        ASSERT_EQ(n, (size_t) 155);
        for (size_t a = 0; a < n; a++) {
                ASSERT_FALSE(norm_key_less(keys[a], keys[a]));
                for (size_t b = 0; b < n; b++) {
                        bool ab = norm_key_less(keys[a], keys[b]);

                        if (a != b)
                                ASSERT_TRUE(ab != norm_key_less(keys[b], keys[a]));
                        for (size_t c = 0; ab && c < n; c++)
                                if (norm_key_less(keys[b], keys[c]))
                                        ASSERT_TRUE(norm_key_less(keys[a], keys[c]));
                }
        }
}

TEST(util_shell_split) {
        _cleanup_strv_free_ char **a = NULL, **b = NULL, **c = NULL;

        ASSERT_OK(norm_shell_split("  a  'b c'  \"d\\\"e\" f\\ g ''", &a));
        ASSERT_EQ(strv_length(a), 5);
        ASSERT_STREQ(a[1], "b c");
        ASSERT_STREQ(a[2], "d\"e");
        ASSERT_STREQ(a[3], "f g");
        ASSERT_STREQ(a[4], "");
        /* go-shellwords stops at an unquoted shell operator */
        ASSERT_OK(norm_shell_split("echo a && echo b", &b));
        ASSERT_EQ(strv_length(b), 2);
        ASSERT_OK(norm_shell_split("echo $(date) '$(x)'", &c));
        ASSERT_STREQ(c[1], "$(date)");
        ASSERT_EQ(norm_shell_split("a 'b", &(char**) { NULL }), -EINVAL);
}

TEST(util_paths) {
        _cleanup_free_ char *a = norm_path_clean("/a/./b/../c//d/"), *b = norm_path_clean("../x/.."),
                *c = norm_abs_path("/wd", "sub/../f"), *d = norm_abs_path("/wd", "~/f"),
                *e = norm_abs_unix_path("/wd", "/abs/./kept"), *f = norm_path_clean("/..");

        ASSERT_STREQ(a, "/a/c/d");
        ASSERT_STREQ(b, "..");
        ASSERT_STREQ(c, "/wd/f");
        ASSERT_STREQ(d, "/home/user/f");
        ASSERT_STREQ(e, "/abs/./kept");
        ASSERT_STREQ(f, "/");
}

/* Every fixture tests/data/normalize/NAME.yml normalizes (project "proj", project directory
 * tests/data/normalize) to NAME.expected.yml, where @DIR@ stands for that directory. */
static char *replace_all(const char *s, const char *what, const char *with) {
        StrBuf b = {};

        for (const char *p; (p = strstr(s, what)); s = p + strlen(what)) {
                strbuf_append_n(&b, s, p - s);
                strbuf_append(&b, with);
        }
        strbuf_append(&b, s);
        return strbuf_steal(&b);
}

static void check_fixture(const char *dir, const char *name) {
        _cleanup_free_ char *in = NULL, *want = NULL, *want_path = NULL, *in_path = path_join(dir, name),
                *want_text = NULL, *base = strndup(name, strlen(name) - 4);
        _cleanup_(compose_node_freep) ComposeNode *root = NULL;
        NcError err = {};

        ASSERT_OK(read_full_file(in_path, &in, NULL));
        ASSERT_OK(asprintf(&want_path, "%s/%s.expected.yml", dir, base));
        ASSERT_OK(read_full_file(want_path, &want, NULL));
        want_text = replace_all(want, "@DIR@", dir);
        if (normalize_text(in, dir, &root, &err) < 0)
                TAP_FAIL("%s: %s:%u:%u: %s", name, err.file, err.line, err.column, err.message);
        printf("# fixture %s\n", name);
        assert_tree(in_path, 0, root, want_text);
}

TEST(fixtures) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_free_ char **names = NULL;
        DIR *d;
        struct dirent *de;

        ASSERT_OK(asprintf(&dir, "%s/tests/data/normalize", getenv("NC_SOURCE_ROOT") ?: "."));
        d = opendir(dir);
        ASSERT_NOT_NULL(d);
        while ((de = readdir(d)))
                if (endswith(de->d_name, ".yml") && !endswith(de->d_name, ".expected.yml"))
                        ASSERT_OK(strv_extend(&names, de->d_name));
        closedir(d);
        strv_sort(names);
        ASSERT_TRUE(strv_length(names) > 0);
        STRV_FOREACH(n, names)
                check_fixture(dir, *n);
}

/* Every published compose file of the corpus (tests/data/corpus) normalizes. Env files they name but do not ship
 * are created empty in a scratch project directory; variables are unset, or set (see lookup_one())
 * for files that need them (${VAR:?}, or values that must be numbers). */
static const char *lookup_one(const char *name, void *userdata) {
        (void) userdata;
        /* What the projects' own .env files give such variables (sentry: HEALTHCHECK_INTERVAL=30s). */
        if (strstr(name, "INTERVAL") || strstr(name, "TIMEOUT") || strstr(name, "PERIOD"))
                return "30s";
        return "1";
}

static void touch_env_file(const char *dir, const ComposeNode *n) {
        const char *p = n->type == COMPOSE_NODE_MAP ? compose_map_get_str(n, "path") : compose_node_str(n);
        _cleanup_free_ char *full = NULL;

        if (!p || p[0] == '/' || p[0] == '~')
                return;
        full = path_join(dir, p);
        ASSERT_NOT_NULL(full);
        ASSERT_TRUE(write_file_atomic(full, "", 0, 0644) >= 0);
}

static void touch_env_files(const char *dir, const ComposeNode *root) {
        const ComposeNode *services = compose_map_get(root, "services");

        COMPOSE_MAP_FOREACH(i, services) {
                const ComposeNode *f = compose_map_get(services->items[i], "env_file");

                if (f && f->type == COMPOSE_NODE_SEQ) {
                        COMPOSE_SEQ_FOREACH(j, f)
                                touch_env_file(dir, f->items[j]);
                } else if (f)
                        touch_env_file(dir, f);
        }
}

static bool check_corpus_file(const char *path, const char *dir) {
        _cleanup_(compose_node_freep) ComposeNode *root = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *text = NULL;
        NcError err = {};
        size_t size;

        ASSERT_OK(read_full_file(path, &text, &size));
        if (compose_yaml_parse(path, text, size, &root, &err) < 0)
                TAP_FAIL("%s: parse: %s", path, err.message);
        if (!root)
                return false;
        touch_env_files(dir, root);
        if (compose_interpolate_tree(root, NULL, NULL, &warnings, &err) < 0) {
                root = compose_node_free(root);
                err = (NcError) {};
                ASSERT_OK(compose_yaml_parse(path, text, size, &root, NULL));
                /* compose-go's schema fixture puts one variable in every field, of every type:
                 * no single value interpolates everywhere, for docker compose either. */
                if (compose_interpolate_tree(root, lookup_one, NULL, &warnings, &err) < 0) {
                        tap_diag("%s: not interpolable (%s), not counted", path, err.message);
                        return false;
                }
        }
        if (compose_normalize(root, "corpus", dir, NULL, NULL, /* resolve_env= */ true, &err) < 0)
                TAP_FAIL("%s:%u:%u: %s", path, err.line, err.column, err.message);
        /* The result is canonical: normalizing it again changes nothing. */
        _cleanup_(compose_node_freep) ComposeNode *again = compose_node_dup(root);
        ASSERT_OK(compose_normalize(again, "corpus", dir, NULL, NULL, /* resolve_env= */ true, &err));
        if (!compose_node_equal(root, again))
                TAP_FAIL("%s: a second normalization changed the tree", path);
        return true;
}

TEST(corpus_files_normalize) {
        _cleanup_free_ char *corpus = path_join(tap_env("NC_CORPUS_DIR"), "compose"), *dir = NULL;
        _cleanup_strv_free_ char **names = NULL;
        struct dirent *de;
        size_t done = 0;
        DIR *d = opendir(corpus);

        if (!d)
                TAP_FAIL("%s: %s", corpus, strerror(errno));
        while ((de = readdir(d)))
                if (endswith(de->d_name, ".yml"))
                        ASSERT_OK(strv_extend(&names, de->d_name));
        closedir(d);
        strv_sort(names);
        dir = temp_dir();
        STRV_FOREACH(n, names) {
                _cleanup_free_ char *path = path_join(corpus, *n);

                done += check_corpus_file(path, dir);
        }
        printf("# %zu of %zu corpus files normalized\n", done, strv_length(names));
        ASSERT_TRUE(done + 1 >= strv_length(names));
        remove_tree(dir);
}

TAP_MAIN();
