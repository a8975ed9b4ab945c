/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "lib/macro.h"
#include "lib/namespace-util.h"
#include "tests/tap.h"

static int netns_inode(void *userdata) {
        struct stat st;

        if (stat("/proc/thread-self/ns/net", &st) < 0)
                return -errno;
        *(ino_t*) userdata = st.st_ino;
        return 7;
}

/* Entering our own netns needs no privilege beyond what setns() to it asks for; where even that
 * is refused (an unprivileged sandbox), the error comes back and nothing else happens. */
TEST(netns_call_own) {
        _cleanup_close_ int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        struct stat before, after;
        ino_t inside = 0;
        int r;

        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(stat("/proc/thread-self/ns/net", &before));
        r = netns_call(fd, netns_inode, &inside);
        if (r == -EPERM) {
                printf("# setns() not permitted here\n");
                return;
        }
        ASSERT_EQ(r, 7);
        ASSERT_EQ(inside, before.st_ino);
        ASSERT_OK(stat("/proc/thread-self/ns/net", &after));
        ASSERT_EQ(after.st_ino, before.st_ino);
}

TEST(netns_call_bad_fd) {
        _cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        ino_t inside = 0;

        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(netns_call(fd, netns_inode, &inside), -EINVAL);
        ASSERT_EQ(netns_call(-EBADF, netns_inode, &inside), -EBADF);
        ASSERT_EQ(inside, 0u);
}

TAP_MAIN();
