/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include <unistd.h>

#include "lib/cgroup-util.h"
#include "lib/strv.h"
#include "lib/fileio.h"
#include "lib/macro.h"
#include "tests/tap.h"

/* What this machine has differs (unified, hybrid, a container): check that the answers agree. */
TEST(own_cgroup) {
        _cleanup_free_ char *path = NULL, *dir = NULL, *mount = NULL, *root = NULL;
        int r;

        r = cg_own_path(&path);
        if (r == -ENOMEDIUM) {
                ASSERT_EQ(cg_own_dir(&dir), -ENOMEDIUM);
                ASSERT_FALSE(cg_all_unified());
                return;
        }
        ASSERT_OK(r);
        ASSERT_TRUE(path[0] == '/');
        ASSERT_NULL(strchr(path, '\n'));
        if (cg_all_unified())
                ASSERT_OK(cg_unified_mount(&mount, &root));
        else if (cg_unified_mount(&mount, &root) < 0)
                return;
        ASSERT_TRUE(mount[0] == '/' && root[0] == '/');
        r = cg_own_dir(&dir);
        if (r == -ENOENT)               /* our cgroup lies outside what the mount shows */
                return;
        ASSERT_OK(r);
        ASSERT_TRUE(startswith(dir, mount));
        ASSERT_TRUE(endswith(dir, streq(root, "/") ? path : path + strlen(root)));
}

TEST(write_attr) {
        char dir[] = "/tmp/test-cgroup-util-XXXXXX";
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_close_ int fd = -EBADF;

        ASSERT_NOT_NULL(mkdtemp(dir));
        ASSERT_EQ(cg_write_attr(dir, "cgroup.kill", "1"), -ENOENT);     /* never creates */
        ASSERT_NOT_NULL(path = path_join(dir, "cgroup.kill"));
        ASSERT_TRUE((fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) >= 0);
        ASSERT_OK(cg_write_attr(dir, "cgroup.kill", "1"));
        ASSERT_OK(read_full_file(path, &text, NULL));
        ASSERT_STREQ(text, "1");
        ASSERT_OK(unlink(path));
        ASSERT_OK(rmdir(dir));
}

TEST(pid_cgroup_lines_are_the_kernels) {
        _cleanup_strv_free_ char **self = NULL, **pid = NULL;

        ASSERT_OK(cg_pid_cgroup_lines(0, &self));
        ASSERT_OK(cg_pid_cgroup_lines(getpid(), &pid));
        ASSERT_TRUE(strv_length(self) >= 1);
        ASSERT_EQ(strv_length(self), strv_length(pid));
        STRV_FOREACH(l, self)
                ASSERT_TRUE(strchr(*l, ':') && strchr(strchr(*l, ':') + 1, ':'));
        ASSERT_EQ(cg_pid_cgroup_lines(-2, &pid), -ENOENT);
}

TAP_MAIN();
