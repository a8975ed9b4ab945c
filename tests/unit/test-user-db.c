/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/user-db.h"
#include "tests/tap.h"

static int memfd_with(const char *text) {
        int fd = memfd_create("passwd", MFD_CLOEXEC);

        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        return fd;
}

TEST(user_resolve) {
        int pw = memfd_with("root:x:0:0:root:/root:/bin/sh\n"
                            "# comment\n"
                            "app:x:1000:1001:App:/home/app:/bin/sh\n"
                            "web:x:33:33::/var/www:/bin/sh");
        int gr = memfd_with("root:x:0:\napp:x:1001:\nextra:x:777:web,app\nother:x:778:web\nwww:x:33:\n");
        UserIds u;

        ASSERT_OK(user_ids_resolve(NULL, pw, gr, &u));
        ASSERT_EQ(u.uid, 0);
        ASSERT_EQ(u.gid, 0);
        ASSERT_STREQ(u.home, "/root");
        ASSERT_OK(user_ids_resolve("app", pw, gr, &u));
        ASSERT_EQ(u.uid, 1000);
        ASSERT_EQ(u.gid, 1001);
        ASSERT_EQ(u.n_groups, 2);
        ASSERT_EQ(u.groups[1], 777);
        ASSERT_STREQ(u.home, "/home/app");
        ASSERT_OK(user_ids_resolve("33", pw, gr, &u));      /* last line without newline */
        ASSERT_EQ(u.uid, 33);
        ASSERT_EQ(u.n_groups, 3);
        ASSERT_OK(user_ids_resolve("web:app", pw, gr, &u));
        ASSERT_EQ(u.gid, 1001);
        ASSERT_EQ(u.n_groups, 1);
        ASSERT_OK(user_ids_resolve("4242:55", pw, gr, &u));
        ASSERT_EQ(u.uid, 4242);
        ASSERT_EQ(u.gid, 55);
        ASSERT_STREQ(u.home, "/");
        ASSERT_OK(user_ids_resolve("4242", -1, -1, &u));
        ASSERT_EQ(u.gid, 0);
        ASSERT_EQ(user_ids_resolve("nobody", pw, gr, &u), -ESRCH);
        ASSERT_EQ(user_ids_resolve("app:nogroup", pw, gr, &u), -ESRCH);
        close(pw);
        close(gr);
}

TAP_MAIN();
