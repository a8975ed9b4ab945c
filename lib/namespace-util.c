/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sched.h>

#include "lib/macro.h"
#include "lib/namespace-util.h"

int netns_call(int netns_fd, int (*func)(void *userdata), void *userdata) {
        _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        int r;

        if (self < 0)
                return -errno;
        if (setns(netns_fd, CLONE_NEWNET) < 0)
                return -errno;
        r = func(userdata);
        if (setns(self, CLONE_NEWNET) < 0)
                abort();
        return r;
}
