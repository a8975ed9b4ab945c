/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "lib/fileio.h"
#include "reconcile/runtime/runtime.h"
#include "tests/tap.h"

static void check(const char *ref, const char *expected) {
        _cleanup_free_ char *s = NULL;
        NcError err = {};

        ASSERT_OK(image_ref_normalize(ref, &s, &err));
        ASSERT_STREQ(s, expected);
}

static void check_invalid(const char *ref, const char *message) {
        _cleanup_free_ char *s = NULL;
        NcError err = {};

        ASSERT_EQ(image_ref_normalize(ref, &s, &err), -EINVAL);
        ASSERT_NULL(s);
        ASSERT_STRCONTAINS(err.message, message);
}

#define D "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST(official_images_get_library_and_latest) {
        check("busybox", "docker.io/library/busybox:latest");
        check("busybox:1.36", "docker.io/library/busybox:1.36");
        check("docker.io/busybox", "docker.io/library/busybox:latest");
        check("index.docker.io/library/busybox:1", "docker.io/library/busybox:1");
}

TEST(user_images_on_docker_hub) {
        check("bitnami/redis", "docker.io/bitnami/redis:latest");
        check("docker.io/bitnami/redis:7.2", "docker.io/bitnami/redis:7.2");
}

TEST(registry_is_first_component_with_dot_colon_or_localhost) {
        check("127.0.0.1:5000/test/httpd:1", "127.0.0.1:5000/test/httpd:1");
        check("localhost:5000/httpd", "localhost:5000/httpd:latest");
        check("localhost/httpd", "localhost/httpd:latest");
        check("quay.io/prometheus/node-exporter", "quay.io/prometheus/node-exporter:latest");
        check("registry.example.com/a/b/c:v1.2-rc_3", "registry.example.com/a/b/c:v1.2-rc_3");
        /* "foo" is no registry: it has no '.' or ':' */
        check("foo/bar", "docker.io/foo/bar:latest");
}

TEST(digests_keep_no_latest) {
        check("busybox@" D, "docker.io/library/busybox@" D);
        check("busybox:1@" D, "docker.io/library/busybox:1@" D);
        check("127.0.0.1:5000/x@" D, "127.0.0.1:5000/x@" D);
}

TEST(separators_in_names) {
        check("a__b/c.d-e", "docker.io/a__b/c.d-e:latest");
}

TEST(invalid_references) {
        check_invalid("Busybox", "invalid repository name");
        check_invalid("busybox:", "invalid tag");
        check_invalid("busybox:-x", "invalid tag");
        check_invalid("busybox@sha256:abc", "invalid digest");
        check_invalid("a//b", "invalid repository name");
        check_invalid("a/", "invalid repository name");
        check_invalid("", "invalid repository name");
        check_invalid("a--b", "invalid repository name");
        check_invalid("-a", "invalid repository name");
        check_invalid("exa mple.com/x", "invalid registry");
}

TEST(pull_policy_names) {
        ASSERT_EQ(image_pull_policy_from_string("missing"), IMAGE_PULL_MISSING);
        ASSERT_EQ(image_pull_policy_from_string("always"), IMAGE_PULL_ALWAYS);
        ASSERT_EQ(image_pull_policy_from_string("never"), IMAGE_PULL_NEVER);
        ASSERT_EQ(image_pull_policy_from_string("sometimes"), -EINVAL);
}

/* Images in files: as written, with the identity of the file now; a file written again is another
 * reference (not pulled yet); a file gone is the reference without an identity; relative paths and
 * paths with '#' are refused. */
TEST(images_in_files) {
        char dir[] = "/tmp/nc-ref-XXXXXX", path[64], layout[64], ref[128], *a = NULL, *b = NULL, *c = NULL;
        NcError err = {};
        struct timespec later[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = 1000000000 } };

        ASSERT_NOT_NULL(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/app.tar", dir);
        ASSERT_OK(write_file_atomic(path, "x", 1, 0644));
        snprintf(ref, sizeof ref, "oci-archive:%s:v1", path);
        ASSERT_OK(image_ref_normalize(ref, &a, NULL));
        ASSERT_TRUE(startswith(a, ref) && a[strlen(ref)] == '#');
        ASSERT_OK(image_ref_normalize(ref, &b, NULL));
        ASSERT_STREQ(a, b);
        free(b);
        ASSERT_OK(image_ref_normalize(a, &b, NULL));    /* normalized again: the same */
        ASSERT_STREQ(a, b);
        ASSERT_OK(utimensat(AT_FDCWD, path, later, 0));
        free(b);
        ASSERT_OK(image_ref_normalize(ref, &b, NULL));
        ASSERT_FALSE(streq(a, b));
        ASSERT_STREQ(image_ref_file_transport("docker-archive:/x.tar"), "docker-archive:");
        ASSERT_NULL(image_ref_file_transport("docker.io/library/oci:1"));
        /* an OCI layout is known by its index.json */
        snprintf(layout, sizeof layout, "%s/layout", dir);
        ASSERT_OK(mkdir(layout, 0755));
        snprintf(ref, sizeof ref, "oci:%s", layout);
        ASSERT_OK(image_ref_normalize(ref, &c, &err));  /* no index.json yet: no identity */
        ASSERT_STREQ(c, ref);
        free(c);
        snprintf(path, sizeof path, "%s/index.json", layout);
        ASSERT_OK(write_file_atomic(path, "{}", 2, 0644));
        ASSERT_OK(image_ref_normalize(ref, &c, NULL));
        ASSERT_TRUE(startswith(c, ref) && c[strlen(ref)] == '#');
        err = (NcError) {};
        ASSERT_EQ(image_ref_normalize("oci-archive:app.tar", &c, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "needs an absolute path");
        /* a file gone: the reference without an identity, what was imported from it last */
        free(c);
        c = NULL;
        ASSERT_OK(image_ref_normalize("docker-archive:/nonexistent/x.tar", &c, NULL));
        ASSERT_STREQ(c, "docker-archive:/nonexistent/x.tar");
        ASSERT_EQ(image_ref_file_base_len(a), (size_t) (strchr(a, '#') - a));
        ASSERT_EQ(image_ref_file_base_len("oci-archive:/x.tar"), strlen("oci-archive:/x.tar"));
        ASSERT_EQ(image_ref_file_base_len("oci-archive:/x.tar#1-2"), strlen("oci-archive:/x.tar#1-2"));
        /* a '#' of the path itself is refused: it cannot be told from an identity */
        err = (NcError) {};
        ASSERT_EQ(image_ref_normalize("oci-archive:/tmp/a#b.tar", &c, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "a path with '#'");
        free(a);
        free(b);
        free(c);
        ASSERT_OK(rm_rf(dir));
}

TAP_MAIN();
