/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* External secrets and configs (systemd's credential store) and container_name, as render sees them:
 * projects loaded from YAML, so the positions of errors are those a user reads. */
#include <sys/stat.h>

#include "reconcile/names.h"
#include "reconcile/render/desired-internal.h"
#include "tests/unit/test-desired-util.h"

static const char *const external_yml =
        "name: shop\n"
        "services:\n"
        "  web:\n"
        "    image: nginx:1\n"
        "    secrets:\n"
        "      - source: token\n"
        "        uid: \"101\"\n"
        "        mode: 0400\n"
        "      - sealed\n"
        "    configs: [site]\n"
        "secrets:\n"
        "  token:\n"
        "    external: true\n"
        "  sealed:\n"
        "    external: true\n"
        "    name: shop-sealed\n"
        "configs:\n"
        "  site:\n"
        "    external: true\n";

#define UNIT "/etc/systemd/system/nspawn-compose-shop.web.service"
#define SETTINGS "/etc/nspawn-compose/shop/web.json"

/* @dir/compose.yml holds @yml; the project loaded from it. */
static int load(const char *dir, const char *yml, ComposeProject **ret, NcError *err) {
        _cleanup_free_ char *file = path_join(dir, "compose.yml");
        char *files[2] = { file, NULL };
        char *env[] = { NULL };
        ComposeOptions o = { .files = files, .project_directory = dir, .environ = env };

        ASSERT_NOT_NULL(file);
        ASSERT_OK(write_file_atomic(file, yml, strlen(yml), 0644));
        return compose_project_load(&o, ret, err);
}

static void store_put(const char *root, const char *dir, const char *name, const char *value) {
        _cleanup_free_ char *d = path_join(root, dir), *f = d ? path_join(d, name) : NULL;

        ASSERT_NOT_NULL(f);
        ASSERT_OK(write_file_atomic(f, value, strlen(value), 0600));
}

static int render_in(const char *root, const char *yml, DesiredState **ret, NcError *err) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        DesiredOptions o = { .credstore_root = root };
        int r;

        r = load(root, yml, &p, err);
        if (r < 0)
                return r;
        return desired_render(p, &o, ret, err);
}

static DesiredState *render_ok(const char *root, const char *yml) {
        DesiredState *s = NULL;
        NcError err = {};
        char buf[1024];

        if (render_in(root, yml, &s, &err) < 0)
                TAP_FAIL("render: %s", nc_error_format(&err, buf, sizeof buf));
        return s;
}

static json_object *mount_at(json_object *settings, const char *target) {
        json_object *mounts = json_object_object_get(settings, "mounts");

        for (size_t i = 0; i < json_object_array_length(mounts); i++) {
                json_object *m = json_object_array_get_idx(mounts, i);

                if (streq(json_object_get_string(json_object_object_get(m, "target")), target))
                        return m;
        }
        TAP_FAIL("no mount at %s", target);
}

TEST(external_secrets_become_credentials) {
        const char *root = test_tmpdir_new();
        _cleanup_(desired_state_freep) DesiredState *s = NULL;
        _cleanup_free_ char *plain = NULL, *sealed = NULL, *site = NULL;
        json_object *j, *m;
        const char *unit;

        store_put(root, NC_CREDSTORE_DIR, "token", "value-of-the-token");
        store_put(root, NC_CREDSTORE_ENCRYPTED_DIR, "shop-sealed", "ciphertext-of-sealed");
        store_put(root, NC_CREDSTORE_DIR, "site", "server { }");
        s = render_ok(root, external_yml);
        unit = file_content(s, UNIT);
        ASSERT_TRUE(asprintf(&plain, "\nLoadCredential=token:%s" NC_CREDSTORE_DIR "/token\n", root) > 0);
        ASSERT_TRUE(asprintf(&sealed, "\nLoadCredentialEncrypted=shop-sealed:%s" NC_CREDSTORE_ENCRYPTED_DIR
                             "/shop-sealed\n", root) > 0);
        ASSERT_TRUE(asprintf(&site, "\nLoadCredential=site:%s" NC_CREDSTORE_DIR "/site\n", root) > 0);
        ASSERT_STRCONTAINS(unit, plain);
        ASSERT_STRCONTAINS(unit, sealed);
        ASSERT_STRCONTAINS(unit, site);

        j = json_tokener_parse(file_content(s, SETTINGS));
        ASSERT_NOT_NULL(j);
        m = mount_at(j, "/run/secrets/token");
        ASSERT_STREQ(json_object_get_string(json_object_object_get(m, "credential")), "token");
        ASSERT_NULL(json_object_object_get(m, "source"));
        ASSERT_STREQ(json_object_get_string(json_object_object_get(m, "uid")), "101");
        ASSERT_EQ(json_object_get_int(json_object_object_get(m, "mode")), 0400);
        m = mount_at(j, "/run/secrets/sealed");
        ASSERT_STREQ(json_object_get_string(json_object_object_get(m, "credential")), "shop-sealed");
        ASSERT_EQ(json_object_get_int(json_object_object_get(m, "mode")), 0444);
        m = mount_at(j, "/site");
        ASSERT_STREQ(json_object_get_string(json_object_object_get(m, "credential")), "site");
        json_object_put(j);

        /* no value in any rendered file, and nothing rendered into the settings directory for them */
        for (size_t i = 0; i < s->n_files; i++) {
                if (!s->files[i].content)
                        continue;
                ASSERT_NULL(strstr(s->files[i].content, "value-of-the-token"));
                ASSERT_NULL(strstr(s->files[i].content, "ciphertext-of-sealed"));
                ASSERT_NULL(strstr(s->files[i].content, "server { }"));
                ASSERT_NULL(strstr(s->files[i].path, "/secrets/"));
        }
        test_tmpdir_remove();
}

TEST(credential_content_is_in_the_hash) {
        const char *root = test_tmpdir_new();
        _cleanup_(desired_state_freep) DesiredState *a = NULL, *b = NULL, *c = NULL;

        store_put(root, NC_CREDSTORE_DIR, "token", "one");
        store_put(root, NC_CREDSTORE_ENCRYPTED_DIR, "shop-sealed", "sealed");
        store_put(root, NC_CREDSTORE_DIR, "site", "site");
        a = render_ok(root, external_yml);
        store_put(root, NC_CREDSTORE_DIR, "token", "two");
        b = render_ok(root, external_yml);
        ASSERT_FALSE(streq(desired_state_find_service(a, "web")->hash, desired_state_find_service(b, "web")->hash));
        store_put(root, NC_CREDSTORE_DIR, "token", "one");
        c = render_ok(root, external_yml);
        ASSERT_STREQ(desired_state_find_service(a, "web")->hash, desired_state_find_service(c, "web")->hash);
        ASSERT_TRUE(strv_length(desired_state_find_service(a, "web")->inputs) == 3);
        test_tmpdir_remove();
}

/* The encrypted store wins, as `secret create` leaves a name in one store only. */
TEST(credential_encrypted_first) {
        const char *root = test_tmpdir_new();
        _cleanup_(desired_state_freep) DesiredState *s = NULL;

        store_put(root, NC_CREDSTORE_DIR, "token", "x");
        store_put(root, NC_CREDSTORE_ENCRYPTED_DIR, "token", "y");
        store_put(root, NC_CREDSTORE_ENCRYPTED_DIR, "shop-sealed", "z");
        store_put(root, NC_CREDSTORE_ENCRYPTED_DIR, "site", "z");
        s = render_ok(root, external_yml);
        ASSERT_STRCONTAINS(file_content(s, UNIT), "\nLoadCredentialEncrypted=token:");
        ASSERT_NULL(strstr(file_content(s, UNIT), "\nLoadCredential="));
        test_tmpdir_remove();
}

TEST(credential_missing_is_an_error_at_its_definition) {
        const char *root = test_tmpdir_new();
        _cleanup_(desired_state_freep) DesiredState *s = NULL;
        NcError err = {};

        store_put(root, NC_CREDSTORE_DIR, "token", "x");
        store_put(root, NC_CREDSTORE_DIR, "site", "x");
        ASSERT_EQ(render_in(root, external_yml, &s, &err), -ENOENT);
        ASSERT_NULL(s);
        ASSERT_EQ(err.line, 15u);        /* secrets.sealed's mapping */
        ASSERT_EQ(err.column, 5u);
        ASSERT_STRCONTAINS(err.message, "secrets.sealed");
        ASSERT_STRCONTAINS(err.message, "credential 'shop-sealed'");
        test_tmpdir_remove();
}

/* An external secret no service uses is not looked for, as docker compose does not. */
TEST(credential_unused_is_not_looked_for) {
        const char *root = test_tmpdir_new();
        _cleanup_(desired_state_freep) DesiredState *s = render_ok(root,
                "name: shop\nservices:\n  web:\n    image: nginx:1\nsecrets:\n  token:\n    external: true\n");

        ASSERT_NULL(strstr(file_content(s, UNIT), "LoadCredential"));
        test_tmpdir_remove();
}

TEST(credential_name_is_checked) {
        const char *root = test_tmpdir_new();
        _cleanup_(desired_state_freep) DesiredState *s = NULL;
        NcError err = {};

        ASSERT_EQ(render_in(root, "name: shop\nservices:\n  web:\n    image: nginx:1\n    secrets: [t]\n"
                            "secrets:\n  t:\n    external: true\n    name: ../etc/shadow\n", &s, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "is not a credential name");
        ASSERT_EQ(err.line, 8u);
        test_tmpdir_remove();
}

static const char *const named_yml =
        "name: shop\n"
        "services:\n"
        "  web:\n"
        "    image: nginx:1\n"
        "    container_name: front\n"
        "  api:\n"
        "    image: nginx:1\n";

/* The machine is the container_name; the others resolve it by that name too; the unit keeps its name. */
TEST(container_name_names_the_machine) {
        const char *root = test_tmpdir_new();
        _cleanup_(desired_state_freep) DesiredState *s = render_ok(root, named_yml);
        const DesiredService *web = desired_state_find_service(s, "web");

        ASSERT_STREQ(web->machine, "front");
        ASSERT_STREQ(web->unit, "nspawn-compose-shop.web.service");
        ASSERT_STREQ(desired_state_find_service(s, "api")->machine, "shop.api");
        ASSERT_STRCONTAINS(file_content(s, SETTINGS), "\"machine\": \"front\"");
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/api.hosts"), "\tweb front\n");
        ASSERT_STRCONTAINS(file_content(s, "/etc/nspawn-compose/shop/web.hosts"), "\tweb front\n");
        ASSERT_NULL(strstr(file_content(s, "/etc/nspawn-compose/shop/web.hosts"), "\tapi front"));
        STRV_FOREACH(w, s->warnings)
                ASSERT_NULL(strstr(*w, "container_name"));
        test_tmpdir_remove();
}

TEST(container_name_is_checked) {
        const char *root = test_tmpdir_new();
        _cleanup_(desired_state_freep) DesiredState *s = NULL;
        NcError err = {};

        ASSERT_EQ(render_in(root, "name: shop\nservices:\n  web:\n    image: nginx:1\n    container_name: my_web\n",
                            &s, &err), -EINVAL);
        ASSERT_EQ(err.line, 5u);
        ASSERT_EQ(err.column, 21u);
        ASSERT_STRCONTAINS(err.message, "services.web.container_name: 'my_web' is not usable as a machine name");
        err = (NcError) {};
        /* two services, one machine name: the other's own P.S */
        ASSERT_EQ(render_in(root, "name: shop\nservices:\n  web:\n    image: nginx:1\n    container_name: shop.api\n"
                            "  api:\n    image: nginx:1\n", &s, &err), -EEXIST);
        ASSERT_STRCONTAINS(err.message, "map to the same machine name 'shop.api'");
        test_tmpdir_remove();
}

TAP_MAIN();
