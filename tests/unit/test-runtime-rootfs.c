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

TAP_MAIN();
