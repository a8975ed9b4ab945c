/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "lib/error.h"
#include "tests/tap.h"

TEST(percent_m_formats_the_error_not_errno) {
        NcError e = {};

        errno = 0;      /* a short write() leaves errno alone: the message must not read "Success" */
        ASSERT_EQ(nc_error_set(&e, -EIO, "writing /etc/hosts: %m"), -EIO);
        ASSERT_STREQ(e.message, "writing /etc/hosts: Input/output error");
        ASSERT_EQ(errno, 0);    /* and errno is left as it was */
}

TEST(the_first_error_wins) {
        NcError e = {};

        ASSERT_EQ(nc_error_set_at(&e, -EINVAL, "compose.yml", 12, 7, "services.web.ports[0]: port 0 out of range"),
                  -EINVAL);
        ASSERT_EQ(nc_error_set(&e, -ENOMEM, "later: %m"), -ENOMEM);
        ASSERT_EQ(e.error, -EINVAL);
        ASSERT_STREQ(e.message, "services.web.ports[0]: port 0 out of range");
}

TEST(format_names_what_is_known) {
        NcError e = {};
        char buf[1024];

        ASSERT_EQ(nc_error_set(NULL, -ENOENT, "nothing recorded"), -ENOENT);
        nc_error_set_at(&e, -EINVAL, "compose.yml", 12, 7, "bad");
        ASSERT_STREQ(nc_error_format(&e, buf, sizeof buf), "compose.yml:12:7: bad");
        e = (NcError) {};
        nc_error_set_at(&e, -EINVAL, "S.json", 0, 0, "bad");
        ASSERT_STREQ(nc_error_format(&e, buf, sizeof buf), "S.json: bad");
        e = (NcError) {};
        nc_error_set(&e, -EINVAL, "bad");
        ASSERT_STREQ(nc_error_format(&e, buf, sizeof buf), "bad");
}

TAP_MAIN();
