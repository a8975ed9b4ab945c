/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "reconcile/compose/compose.h"
#include "lib/fileio.h"
#include "lib/strv.h"
#include "tests/tap.h"

/* Hostile input is refused in bounded time and memory, with file:line:column and the key path:
 * alias copies, include graphs, nesting, big maps, files that are not regular or too large, and
 * names that would become lines of /etc/hosts and resolv.conf or paths outside the volume store. */

static char scratch[] = "/tmp/test-compose-limits.XXXXXX";

__attribute__((constructor)) static void make_scratch(void) {
        if (!mkdtemp(scratch)) {
                printf("Bail out! mkdtemp: %s\n", strerror(errno));
                exit(EXIT_FAILURE);
        }
}

__attribute__((destructor)) static void drop_scratch(void) {
        (void) rm_rf(scratch);
}

static char *at(const char *rel) {
        char *p = path_join(scratch, rel);

        ASSERT_NOT_NULL(p);
        return p;
}

static void put(const char *rel, const char *text) {
        _cleanup_free_ char *p = at(rel);

        ASSERT_OK(write_file_atomic(p, text, strlen(text), 0644));
}

/* Loads @text as <scratch>/compose.yml; the error code, with *err filled in. */
static int load_text(const char *text, NcError *err) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_free_ char *path = at("compose.yml");
        int r;

        r = compose_project_load_buffer(path, text, strlen(text), NULL, &p, err);
        if (r < 0)
                tap_diag("%s:%u:%u: %s", err->file, err->line, err->column, err->message);
        return r;
}

static int load_file(const char *rel, NcError *err, ComposeProject **ret) {
        _cleanup_free_ char *path = at(rel);
        ComposeOptions o = { .files = (char *[]) { path, NULL }, .project_name = "p" };
        int r;

        r = compose_project_load(&o, ret, err);
        if (r < 0)
                tap_diag("%s:%u:%u: %s", err->file, err->line, err->column, err->message);
        return r;
}

static void assert_error_in(const NcError *err, const char *rel) {
        _cleanup_free_ char *path = at(rel);

        ASSERT_STREQ(err->file, path);
}

/* ---- aliases ---- */

TEST(alias_budget_counts_bytes) {
        StrBuf b = {};
        _cleanup_free_ char *text = NULL;
        NcError err = {};

        /* a 1 MiB string, anchored (1 MiB) and aliased: the 16th alias would pass 16 MiB */
        strbuf_append(&b, "x-big: &big \"");
        for (size_t i = 0; i < 1024 * 1024; i++)
                strbuf_append_char(&b, 'x');
        strbuf_append(&b, "\"\nx-copies:\n");
        for (size_t i = 0; i < 20; i++)
                strbuf_append(&b, "  - *big\n");
        strbuf_append(&b, "services: {}\n");
        text = strbuf_steal(&b);
        ASSERT_NOT_NULL(text);
        ASSERT_EQ(load_text(text, &err), -E2BIG);
        ASSERT_STRCONTAINS(err.message, "document contains excessive aliasing");
        assert_error_in(&err, "compose.yml");
        ASSERT_EQ(err.line, 2 + 16);
        ASSERT_EQ(err.column, 5);
}

TEST(alias_budget_counts_nodes) {
        NcError err = {};

        ASSERT_EQ(load_text("a: &a [x, x, x, x, x, x, x, x, x]\n"
                            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                            "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                            "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                            "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                            "h: [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n", &err), -E2BIG);
        ASSERT_STRCONTAINS(err.message, "document contains excessive aliasing");
        ASSERT_TRUE(err.line >= 6);
}

TEST(alias_copies_nest_no_deeper_than_documents) {
        StrBuf b = {};
        _cleanup_free_ char *text = NULL;
        NcError err = {};

        /* 200 levels anchored, then aliased at depth 100: 300 levels */
        strbuf_append(&b, "x-deep: &deep ");
        for (size_t i = 0; i < 200; i++)
                strbuf_append_char(&b, '[');
        for (size_t i = 0; i < 200; i++)
                strbuf_append_char(&b, ']');
        strbuf_append(&b, "\nx-use: ");
        for (size_t i = 0; i < 99; i++)
                strbuf_append_char(&b, '[');
        strbuf_append(&b, "*deep");
        for (size_t i = 0; i < 99; i++)
                strbuf_append_char(&b, ']');
        strbuf_append(&b, "\nservices: {}\n");
        text = strbuf_steal(&b);
        ASSERT_NOT_NULL(text);
        ASSERT_EQ(load_text(text, &err), -E2BIG);
        ASSERT_STREQ(err.message, "exceeded max depth of 256");
        ASSERT_EQ(err.line, 2);
        ASSERT_EQ(err.column, 7 + 99 + 1);          /* the alias */
}

/* ---- include and extends ---- */

TEST(include_fan_out_parses_each_file_once) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        NcError err = {};

        /* each file includes the next twice: 2^30 loads without the cache */
        for (unsigned i = 0; i < 30; i++) {
                char name[32], text[256];

                snprintf(name, sizeof name, "fan/f%u.yml", i);
                snprintf(text, sizeof text,
                         "include: [f%u.yml, ./f%u.yml]\nservices:\n  s%u: {image: x}\n", i + 1, i + 1, i);
                put(name, text);
        }
        put("fan/f30.yml", "services:\n  last: {image: x}\n");
        ASSERT_OK(load_file("fan/f0.yml", &err, &p));
        ASSERT_NOT_NULL(compose_map_get(compose_map_get(p->model, "services"), "last"));
        ASSERT_EQ(strv_length(p->files), 31);
}

TEST(include_depth_is_bounded) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        NcError err = {};

        for (unsigned i = 0; i < 40; i++) {
                char name[32], text[128];

                snprintf(name, sizeof name, "deep/d%u.yml", i);
                snprintf(text, sizeof text, "services:\n  s%u: {image: x}\ninclude:\n  - d%u.yml\n", i, i + 1);
                put(name, text);
        }
        put("deep/d40.yml", "services: {}\n");
        ASSERT_EQ(load_file("deep/d0.yml", &err, &p), -E2BIG);
        ASSERT_STREQ(err.message, "include: includes nested deeper than 32 files");
        assert_error_in(&err, "deep/d31.yml");
        ASSERT_EQ(err.line, 4);
        ASSERT_EQ(err.column, 5);
}

TEST(project_files_are_bounded) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        StrBuf b = {};
        _cleanup_free_ char *text = NULL;
        NcError err = {};

        strbuf_append(&b, "services: {}\ninclude:\n");
        for (unsigned i = 0; i < 300; i++) {
                char name[32];

                snprintf(name, sizeof name, "many/m%u.yml", i);
                put(name, "services: {}\n");
                strbuf_printf(&b, "  - m%u.yml\n", i);
        }
        text = strbuf_steal(&b);
        put("many/compose.yml", text);
        ASSERT_EQ(load_file("many/compose.yml", &err, &p), -E2BIG);
        ASSERT_STREQ(err.message, "cannot read compose file: a project may have at most 256 files");
        assert_error_in(&err, "many/m255.yml");
}

TEST(extends_depth_is_bounded) {
        StrBuf b = {};
        _cleanup_free_ char *text = NULL;
        NcError err = {};

        strbuf_append(&b, "services:\n");
        for (unsigned i = 0; i < 100; i++)
                strbuf_printf(&b, "  s%u:\n    image: x\n    extends: s%u\n", i, i + 1);
        strbuf_append(&b, "  s100:\n    image: x\n");
        text = strbuf_steal(&b);
        ASSERT_EQ(load_text(text, &err), -E2BIG);
        ASSERT_STREQ(err.message, "extends: services extend each other deeper than 64 levels");
        ASSERT_EQ(err.line, 2 + 3 * 64 + 2);
        ASSERT_EQ(err.column, 14);
}

/* ---- interpolation ---- */

TEST(interpolation_depth_is_bounded) {
        StrBuf b = {};
        _cleanup_free_ char *text = NULL;
        NcError err = {};

        /* 50 000 levels overflowed the stack */
        strbuf_append(&b, "services:\n  web:\n    image: ");
        for (unsigned i = 0; i < 50000; i++)
                strbuf_append(&b, "${A:-");
        strbuf_append(&b, "x");
        for (unsigned i = 0; i < 50000; i++)
                strbuf_append_char(&b, '}');
        strbuf_append(&b, "\n");
        text = strbuf_steal(&b);
        ASSERT_EQ(load_text(text, &err), -E2BIG);
        ASSERT_STREQ(err.message, "services.web.image: interpolation nested deeper than 64 levels");
        ASSERT_EQ(err.line, 3);
        ASSERT_EQ(err.column, 12 + 64 * 5);
}

/* ---- big maps and lists ---- */

TEST(many_environment_keys_load) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_free_ char *path = at("env.yml"), *text = NULL;
        StrBuf b = {};
        NcError err = {};

        strbuf_append(&b, "services:\n  web:\n    image: x\n    environment:\n");
        for (unsigned i = 0; i < 50000; i++)
                strbuf_printf(&b, "      K%u: v%u\n", i, i);
        text = strbuf_steal(&b);
        ASSERT_NOT_NULL(text);
        ASSERT_OK(compose_project_load_buffer(path, text, strlen(text), NULL, &p, &err));
        ASSERT_STREQ(compose_map_get_str(compose_map_get(compose_map_get(compose_map_get(p->model, "services"),
                                                                         "web"), "environment"), "K49999"),
                     "v49999");
}

TEST(duplicate_key_among_many_is_found) {
        StrBuf b = {};
        _cleanup_free_ char *text = NULL;
        NcError err = {};

        strbuf_append(&b, "services:\n  web:\n    image: x\n    environment:\n");
        for (unsigned i = 0; i < 20000; i++)
                strbuf_printf(&b, "      K%u: v\n", i);
        strbuf_append(&b, "      K7: again\n");
        text = strbuf_steal(&b);
        ASSERT_EQ(load_text(text, &err), -EINVAL);
        ASSERT_STREQ(err.message, "mapping key \"K7\" already defined at line 12");
        ASSERT_EQ(err.line, 5 + 20000);
        ASSERT_EQ(err.column, 7);
}

TEST(unique_items_among_many) {
        StrBuf b = {};
        _cleanup_free_ char *text = NULL;
        NcError err = {};

        strbuf_append(&b, "services:\n  web:\n    image: x\n    dns_opt:\n");
        for (unsigned i = 0; i < 20000; i++)
                strbuf_printf(&b, "      - o%u\n", i % 15000);
        text = strbuf_steal(&b);
        ASSERT_EQ(load_text(text, &err), -EINVAL);
        /* the first item equal to an earlier one, and the first of those */
        ASSERT_STREQ(err.message, "services.web.dns_opt: array items[0,15000] must be unique");
        ASSERT_EQ(err.line, 5 + 15000);
        ASSERT_EQ(err.column, 9);
}

/* ---- files that are not regular, or too large ---- */

TEST(env_file_must_be_a_regular_file) {
        NcError err = {};

        ASSERT_EQ(load_text("services:\n  web:\n    image: x\n    env_file: /dev/zero\n", &err), -EBADFD);
        ASSERT_STREQ(err.message, "services.web.env_file[0]: failed to read env file /dev/zero: not a regular file");
        ASSERT_EQ(err.line, 4);
        ASSERT_EQ(err.column, 15);
}

TEST(compose_and_dot_env_files_must_be_regular) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_free_ char *fifo = at("fifo.yml"), *big = at("big.yml"), *ok = at("ok.yml");
        ComposeOptions o = { .files = (char *[]) { fifo, NULL }, .project_name = "p" };
        NcError err = {};
        int fd;

        ASSERT_EQ(mkfifo(fifo, 0600), 0);
        ASSERT_EQ(compose_project_load(&o, &p, &err), -EBADFD);
        ASSERT_STREQ(err.message, "cannot read compose file: not a regular file");
        ASSERT_STREQ(err.file, fifo);

        fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(ftruncate(fd, INPUT_FILE_SIZE_MAX + 1), 0);
        close(fd);
        err = (NcError) {};
        o.files = (char *[]) { big, NULL };
        ASSERT_EQ(compose_project_load(&o, &p, &err), -EFBIG);
        ASSERT_STREQ(err.message, "cannot read compose file: file too large (more than 16 MiB)");

        put("ok.yml", "services: {}\n");
        err = (NcError) {};
        o.files = (char *[]) { ok, NULL };
        o.env_files = (char *[]) { (char *) "/dev/zero", NULL };
        ASSERT_EQ(compose_project_load(&o, &p, &err), -EBADFD);
        ASSERT_STREQ(err.message, "cannot read env file: not a regular file");
        ASSERT_STREQ(err.file, "/dev/zero");
}

TEST(included_file_must_be_regular) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        NcError err = {};

        put("incdev/compose.yml", "services: {}\ninclude:\n  - /dev/zero\n");
        ASSERT_EQ(load_file("incdev/compose.yml", &err, &p), -EBADFD);
        ASSERT_STREQ(err.message, "cannot read compose file: not a regular file");
        ASSERT_STREQ(err.file, "/dev/zero");
}

/* ---- volume names ---- */

TEST(volume_names_follow_docker) {
        static const char *const bad[] = { ".", "..", "../../etc", "a/b", "-a", "" };
        NcError err = {};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char text[256], want[256];

                snprintf(text, sizeof text, "services: {}\nvolumes:\n  data:\n    name: \"%s\"\n", bad[i]);
                snprintf(want, sizeof want, "volumes.data: \"%s\" includes invalid characters for a local volume "
                         "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed", bad[i]);
                err = (NcError) {};
                ASSERT_EQ(load_text(text, &err), -EINVAL);
                ASSERT_STREQ(err.message, want);
                ASSERT_EQ(err.line, 4);
                ASSERT_EQ(err.column, 11);
        }
        /* the key of an external volume is its name */
        err = (NcError) {};
        ASSERT_EQ(load_text("services: {}\nvolumes:\n  ..:\n    external: true\n", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "volumes...: \"..\" includes invalid characters");
        ASSERT_EQ(err.line, 3);
        ASSERT_EQ(err.column, 3);
        err = (NcError) {};
        ASSERT_EQ(load_text("services: {}\nvolumes:\n  v:\n    external: {name: \"a/b\"}\n", &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "volumes.v: \"a/b\" includes invalid characters");
        ASSERT_EQ(err.line, 4);
        /* a project's own volume named by its key is prefixed with the project: fine */
        ASSERT_OK(load_text("services: {}\nvolumes:\n  ..: {}\n  v:\n    name: my.data-1_x\n", &err));
}

/* ---- names that become lines ---- */

TEST(hosts_and_resolv_names_are_refused) {
        static const struct {
                const char *yaml, *message;
                unsigned line, column;
        } cases[] = {
                { "    hostname: \"h\\n10.0.0.1 injected\"\n",
                  "services.web.hostname: \"h\\n10.0.0.1 injected\" is not a valid hostname", 4, 15 },
                { "    hostname: \"a b\"\n", "services.web.hostname: \"a b\" is not a valid hostname", 4, 15 },
                { "    domainname: \"x\\ty\"\n", "services.web.domainname: \"x\\ty\" is not a valid hostname", 4, 17 },
                { "    networks:\n      n:\n        aliases: [ok, \"a\\n6.6.6.6 evil\"]\n",
                  "services.web.networks.n.aliases[1]: \"a\\n6.6.6.6 evil\" is not a valid hostname", 6, 23 },
                { "    extra_hosts: [\"foo\\n1.2.3.4 bar:1.1.1.1\"]\n",
                  "services.web.extra_hosts[0]: bad host name 'foo\n1.2.3.4 bar'", 4, 19 },
                { "    extra_hosts: [\"foo:1.1.1.1\\n6.6.6.6 evil\"]\n",
                  "services.web.extra_hosts[0]: invalid IP address in add-host: \"1.1.1.1\n6.6.6.6 evil\"", 4, 19 },
                { "    extra_hosts:\n      foo: [1.1.1.1, \"not-an-ip\"]\n",
                  "services.web.extra_hosts.foo: invalid IP address in add-host: \"not-an-ip\"", 5, 22 },
                { "    dns: \"1.1.1.1\\nnameserver 6.6.6.6\"\n",
                  "services.web.dns: IP address is not correctly formatted: 1.1.1.1\nnameserver 6.6.6.6", 4, 10 },
                { "    dns: [1.1.1.1, example.com]\n",
                  "services.web.dns[1]: IP address is not correctly formatted: example.com", 4, 20 },
                { "    dns_search: [ok.example, \"a b\"]\n", "services.web.dns_search[1]: a b is not a valid domain", 4, 30 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *text = NULL;
                NcError err = {};

                ASSERT_TRUE(asprintf(&text, "services:\n  web:\n    image: x\n%s%s", cases[i].yaml,
                                     strstr(cases[i].yaml, "networks") ? "networks:\n  n: {}\n" : "") > 0);
                ASSERT_EQ(load_text(text, &err), -EINVAL);
                ASSERT_STREQ(err.message, cases[i].message);
                assert_error_in(&err, "compose.yml");
                ASSERT_EQ(err.line, cases[i].line);
                ASSERT_EQ(err.column, cases[i].column);
        }
}

TEST(hosts_and_resolv_names_that_are_fine) {
        NcError err = {};

        ASSERT_OK(load_text("services:\n  web:\n    image: x\n    hostname: web_1.example\n"
                            "    domainname: example.internal\n    dns: [10.0.0.53, \"fd00::53\"]\n"
                            "    dns_search: [example.internal, .]\n"
                            "    extra_hosts: [\"a:10.0.0.1\", \"b=[fd00::1]\", \"gw:host-gateway\", \"c=::1\"]\n"
                            "    networks:\n      n:\n        aliases: [db, my_db]\nnetworks:\n  n: {}\n", &err));
}

TAP_MAIN();
