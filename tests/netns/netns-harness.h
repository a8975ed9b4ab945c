/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Kernel tests run in throwaway namespaces: a new user, network and mount namespace entered
 * before any test case runs, with a private tmpfs on /run (for /run/netns) and this netns' sysfs. Nothing of the host's
 * ruleset, links or mounts is touched. Without unshare (no user namespaces), everything skips. */

#include <fcntl.h>
#include <stdbool.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

static inline int harness_write(const char *path, const char *s) {
        int fd = open(path, O_WRONLY | O_CLOEXEC), r;

        if (fd < 0)
                return -1;
        r = write(fd, s, strlen(s)) == (ssize_t) strlen(s) ? 0 : -1;
        close(fd);
        return r;
}

static inline void harness_skip(const char *what) {
        printf("1..0 # SKIP %s: %s\n", what, strerror(errno));
        exit(0);
}

/* @userns false keeps the caller's (real root's) capabilities, for tools such as nft that need
 * SO_SNDBUFFORCE for large batches. */
static inline void harness_enter(bool userns) {
        char map[64];
        uid_t uid = getuid();
        gid_t gid = getgid();

        if (unshare((userns ? CLONE_NEWUSER : 0) | CLONE_NEWNET | CLONE_NEWNS) < 0)
                harness_skip("unshare");
        if (!userns)
                goto mounts;
        snprintf(map, sizeof map, "0 %u 1", (unsigned) uid);
        if (harness_write("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
                harness_skip("setgroups");
        if (harness_write("/proc/self/uid_map", map) < 0)
                harness_skip("uid_map");
        snprintf(map, sizeof map, "0 %u 1", (unsigned) gid);
        if (harness_write("/proc/self/gid_map", map) < 0)
                harness_skip("gid_map");
mounts:
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                harness_skip("private mounts");
        if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                harness_skip("tmpfs on /run");
        /* lo up, as on any host. */
        struct ifreq ifr = { .ifr_name = "lo" };
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ||
            (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) < 0))
                harness_skip("lo up");
        close(s);
        /* sysfs shows the links of the netns that mounted it: mount ours. */
        if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                harness_skip("sysfs");
}

#ifndef HARNESS_NO_CONSTRUCTOR
__attribute__((constructor)) static void harness_enter_userns(void) {
        harness_enter(/* userns= */ true);
}
#endif

/* Runs a shell command (diagnostics only, e.g. `nft list ruleset`); its output goes to the TAP log
 * as comments. */
static inline void harness_show(const char *cmd) {
        char line[512];
        FILE *f = popen(cmd, "r");

        if (!f)
                return;
        while (fgets(line, sizeof line, f))
                printf("# %s", line);
        pclose(f);
}
