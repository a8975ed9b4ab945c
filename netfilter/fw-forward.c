/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <netinet/in.h>
#include <fcntl.h>

#include "netfilter/netfilter-internal.h"

/* /proc/sys/net shows the caller's network namespace, so this works in a test's netns too. */
static int sysctl_ensure_one(const char *path, NcError *reterr) {
        _cleanup_close_ int fd = -EBADF;
        char v[8] = {};

        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return nc_error_set(reterr, -errno, "cannot open %s: %m", path);
        if (read(fd, v, sizeof v - 1) < 0)
                return nc_error_set(reterr, -errno, "cannot read %s: %m", path);
        if (v[0] == '1')
                return 0;
        if (pwrite(fd, "1\n", 2, 0) != 2)
                return nc_error_set(reterr, -errno, "cannot write %s: %m", path);
        return 1;
}

int fw_enable_forwarding(bool ipv6, NcError *reterr) {
        int r, changed;

        changed = sysctl_ensure_one("/proc/sys/net/ipv4/ip_forward", reterr);
        if (changed < 0 || !ipv6)
                return changed;
        r = sysctl_ensure_one("/proc/sys/net/ipv6/conf/all/forwarding", reterr);
        if (r < 0)
                return r;
        return changed || r;
}
