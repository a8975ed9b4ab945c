/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files written into a machine's root: whatever the machine planted at the path cannot block the
 * writer or send the write elsewhere. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "reconcile/runtime/runtime-internal.h"
#include "tests/tap.h"

static char root[PATH_MAX], outside[PATH_MAX + 16];

static int open_root(void) {
        char t[] = "/tmp/nc-rootfs-XXXXXX";

        ASSERT_NOT_NULL(mkdtemp(t));
        snprintf(root, sizeof root, "%s/root", t);
        snprintf(outside, sizeof outside, "%s/outside", t);
        ASSERT_OK(mkdir_parents_and_self(root, 0755));
        ASSERT_OK(write_file_atomic(outside, "host file\n", 10, 0644));
        return open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static char *content(const char *rel) {
        char p[PATH_MAX + 32], *text = NULL;

        snprintf(p, sizeof p, "%s/%s", root, rel);
        ASSERT_OK(read_full_file(p, &text, NULL));
        return text;
}

static void cleanup(void) {
        _cleanup_free_ char *top = path_dirname(root);

        ASSERT_NOT_NULL(top);
        ASSERT_OK(rm_rf(top));
}

TEST(a_fifo_is_replaced_without_blocking) {
        int fd = open_root();
        char p[PATH_MAX + 32];
        _cleanup_free_ char *text = NULL;
        struct stat st;

        ASSERT_TRUE(fd >= 0);
        snprintf(p, sizeof p, "%s/etc", root);
        ASSERT_OK(mkdir_parents_and_self(p, 0755));
        snprintf(p, sizeof p, "%s/etc/hosts", root);
        ASSERT_EQ(mkfifo(p, 0644), 0);
        alarm(10);      /* a blocking open would hang here: fail loudly instead */
        ASSERT_OK(rt_replace_in_root(fd, "etc", "hosts", "127.0.0.1 localhost\n", NULL));
        alarm(0);
        ASSERT_EQ(lstat(p, &st), 0);
        ASSERT_TRUE(S_ISREG(st.st_mode));
        ASSERT_EQ(st.st_mode & 07777, 0644);
        text = content("etc/hosts");
        ASSERT_STREQ(text, "127.0.0.1 localhost\n");
        close(fd);
        cleanup();
}

TEST(a_symlink_out_of_the_root_is_replaced_not_followed) {
        int fd = open_root();
        char p[PATH_MAX + 32];
        _cleanup_free_ char *host = NULL, *text = NULL;
        struct stat st;

        ASSERT_TRUE(fd >= 0);
        snprintf(p, sizeof p, "%s/etc", root);
        ASSERT_OK(mkdir_parents_and_self(p, 0755));
        snprintf(p, sizeof p, "%s/etc/hosts", root);
        ASSERT_EQ(symlink(outside, p), 0);
        ASSERT_OK(rt_replace_in_root(fd, "etc", "hosts", "10.0.0.1 web\n", NULL));
        ASSERT_OK(read_full_file(outside, &host, NULL));
        ASSERT_STREQ(host, "host file\n");
        ASSERT_EQ(lstat(p, &st), 0);
        ASSERT_TRUE(S_ISREG(st.st_mode));
        text = content("etc/hosts");
        ASSERT_STREQ(text, "10.0.0.1 web\n");
        close(fd);
        cleanup();
}

/* /etc itself a symlink that climbs out: it resolves inside the root. */
TEST(a_directory_symlink_stays_in_the_root) {
        int fd = open_root();
        char p[PATH_MAX + 32];
        _cleanup_free_ char *text = NULL;

        ASSERT_TRUE(fd >= 0);
        snprintf(p, sizeof p, "%s/real", root);
        ASSERT_OK(mkdir_parents_and_self(p, 0755));
        snprintf(p, sizeof p, "%s/etc", root);
        ASSERT_EQ(symlink("../../../../../real", p), 0);
        ASSERT_OK(rt_replace_in_root(fd, "etc", "hosts", "x\n", NULL));
        text = content("real/hosts");
        ASSERT_STREQ(text, "x\n");
        close(fd);
        cleanup();
}

/* mkdir -p and write below the test's top directory (the parent of root). */
static void make_at(const char *rel, mode_t mode, const char *data) {
        char p[PATH_MAX + 64];

        snprintf(p, sizeof p, "%s/../%s", root, rel);
        if (data)
                ASSERT_OK(write_file_atomic(p, data, strlen(data), mode));
        else
                ASSERT_OK(mkdir_parents_and_self(p, mode));
}

static void link_at(const char *target, const char *rel) {
        char p[PATH_MAX + 64];

        snprintf(p, sizeof p, "%s/../%s", root, rel);
        ASSERT_EQ(symlink(target, p), 0);
}

static void stat_at(const char *rel, struct stat *st) {
        char p[PATH_MAX + 64];

        snprintf(p, sizeof p, "%s/../%s", root, rel);
        ASSERT_EQ(lstat(p, st), 0);
}

static char *link_of(const char *rel) {
        static char buf[PATH_MAX];
        char p[PATH_MAX + 64];
        ssize_t n;

        snprintf(p, sizeof p, "%s/../%s", root, rel);
        n = readlink(p, buf, sizeof buf - 1);
        ASSERT_TRUE(n >= 0);
        buf[n] = 0;
        return buf;
}

/* An image whose /srv/data holds files, a directory, symlinks out of the root and a FIFO, mounted at
 * /data (a symlink to /srv/data in the image, resolved inside it): the volume gets the tree with
 * modes, the directory's mode, symlinks as symlinks; nothing outside is touched or read. */
TEST(an_empty_volume_gets_the_image_content) {
        int fd = open_root();
        char vol[PATH_MAX + 64], p[PATH_MAX + 64];
        _cleanup_free_ char *text = NULL;
        struct stat st;

        ASSERT_TRUE(fd >= 0);
        make_at("root/srv/data/sub", 0750, NULL);
        make_at("root/srv/data/a", 0640, "alpha\n");
        make_at("root/srv/data/sub/b", 04755, "beta\n");
        snprintf(p, sizeof p, "%s/srv/data", root);
        ASSERT_EQ(chmod(p, 01770), 0);
        link_at("../../../outside", "root/srv/data/up");
        link_at("/etc/shadow", "root/srv/data/abs");
        link_at("/srv/data", "root/data");
        snprintf(p, sizeof p, "%s/srv/data/fifo", root);
        ASSERT_EQ(mkfifo(p, 0644), 0);
        if (geteuid() == 0) {   /* owners: a non-root USER's data directory */
                snprintf(p, sizeof p, "%s/srv/data", root);
                ASSERT_EQ(chown(p, 999, 998), 0);
                ASSERT_EQ(chmod(p, 01770), 0);
                snprintf(p, sizeof p, "%s/srv/data/sub/b", root);
                ASSERT_EQ(chown(p, 4321, 4322), 0);
                ASSERT_EQ(chmod(p, 04755), 0);
                snprintf(p, sizeof p, "%s/srv/data/up", root);
                ASSERT_EQ(lchown(p, 55, 56), 0);
        }
        make_at("private/vol", 0755, NULL);
        snprintf(vol, sizeof vol, "%s/../private", root);
        ASSERT_EQ(chmod(vol, 0700), 0);
        snprintf(vol, sizeof vol, "%s/../private/vol", root);

        alarm(10);      /* opening the FIFO would hang */
        ASSERT_EQ(rt_volume_populate(fd, "/data", vol, NULL), 1);
        alarm(0);
        stat_at("private/vol", &st);
        ASSERT_EQ(st.st_mode & 07777, 01770);
        stat_at("private/vol/a", &st);
        ASSERT_TRUE(S_ISREG(st.st_mode));
        ASSERT_EQ(st.st_mode & 07777, 0640);
        ASSERT_EQ(st.st_nlink, 1);
        stat_at("private/vol/sub", &st);
        ASSERT_EQ(st.st_mode & 07777, 0750);
        stat_at("private/vol/sub/b", &st);
        ASSERT_EQ(st.st_mode & 07777, 04755);
        stat_at("private/vol/up", &st);
        ASSERT_TRUE(S_ISLNK(st.st_mode));
        if (geteuid() == 0) {
                ASSERT_EQ(st.st_uid, 55);
                stat_at("private/vol/sub/b", &st);
                ASSERT_EQ(st.st_uid, 4321);
                ASSERT_EQ(st.st_gid, 4322);
                ASSERT_EQ(st.st_mode & 07777, 04755);
                stat_at("private/vol", &st);
                ASSERT_EQ(st.st_uid, 999);
                ASSERT_EQ(st.st_gid, 998);
        }
        ASSERT_STREQ(link_of("private/vol/up"), "../../../outside");
        ASSERT_STREQ(link_of("private/vol/abs"), "/etc/shadow");
        snprintf(p, sizeof p, "%s/a", vol);
        ASSERT_OK(read_full_file(p, &text, NULL));
        ASSERT_STREQ(text, "alpha\n");
        snprintf(p, sizeof p, "%s/fifo", vol);
        ASSERT_EQ(lstat(p, &st), -1);   /* special files are left out */

        /* full now: never copied again, whatever the image holds */
        snprintf(p, sizeof p, "%s/a", vol);
        ASSERT_EQ(unlink(p), 0);
        ASSERT_EQ(rt_volume_populate(fd, "/data", vol, NULL), 0);
        ASSERT_EQ(lstat(p, &st), -1);
        /* nothing at the mount point in the image: nothing to do */
        ASSERT_OK(rt_volume_populate(fd, "/nowhere", vol, NULL));
        close(fd);
        cleanup();
}

TEST(a_volume_that_others_can_reach_is_not_populated) {
        int fd = open_root();
        char vol[PATH_MAX + 64], top[PATH_MAX + 64], p[PATH_MAX + 64];
        NcError err = {};
        struct stat st;

        ASSERT_TRUE(fd >= 0);
        make_at("root/data/x", 04755, "setuid\n");
        make_at("open/vol", 0755, NULL);
        snprintf(top, sizeof top, "%s/..", root);
        ASSERT_EQ(chmod(top, 0755), 0);         /* mkdtemp made it 0700 */
        snprintf(vol, sizeof vol, "%s/../open/vol", root);
        ASSERT_EQ(rt_volume_populate(fd, "/data", vol, &err), -EPERM);
        ASSERT_STRCONTAINS(err.message, "private");
        snprintf(p, sizeof p, "%s/x", vol);
        ASSERT_EQ(lstat(p, &st), -1);
        close(fd);
        cleanup();
}

/* A credential's copy is made from $CREDENTIALS_DIRECTORY with the owner and mode asked for; without
 * the variable (not started by its unit) it is an error, not an empty file. */
TEST(a_credential_is_copied_from_the_credentials_directory) {
        char files[PATH_MAX + 16], creds[PATH_MAX + 16], p[PATH_MAX + 64];
        ServiceMount m = { .type = (char *) "bind", .target = (char *) "/run/secrets/tok", .read_only = true,
                           .copy = true, .credential = (char *) "tok", .uid = 0, .gid = 0, .mode = 0400 };
        ServiceSpec s = { .mounts = &m, .n_mounts = 1 };
        ServicePaths paths = {};
        _cleanup_free_ char *text = NULL;
        NcError err = {};
        struct stat st;
        int fd = open_root();

        ASSERT_TRUE(fd >= 0);
        close(fd);
        snprintf(files, sizeof files, "%s/../files", root);
        snprintf(creds, sizeof creds, "%s/../creds", root);
        snprintf(p, sizeof p, "%s/tok", creds);
        ASSERT_OK(write_file_atomic(p, "the value", 9, 0400));
        paths.files = files;
        ASSERT_EQ(unsetenv("CREDENTIALS_DIRECTORY"), 0);
        ASSERT_EQ(rt_files_prepare(&paths, &s, &err), -ENOENT);
        ASSERT_STRCONTAINS(err.message, "credential 'tok'");
        ASSERT_EQ(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
        err = (NcError) {};
        ASSERT_OK(rt_files_prepare(&paths, &s, &err));
        snprintf(p, sizeof p, "%s/run-secrets-tok", files);
        ASSERT_OK(read_full_file(p, &text, NULL));
        ASSERT_STREQ(text, "the value");
        ASSERT_EQ(stat(p, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0400);
        ASSERT_EQ(stat(files, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0700);
        ASSERT_EQ(unsetenv("CREDENTIALS_DIRECTORY"), 0);
        cleanup();
}

TAP_MAIN();
