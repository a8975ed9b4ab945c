/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "netfilter/netfilter-internal.h"
#include "lib/process.h"

/* Named network namespaces, as `ip netns add` makes them: a bind mount of the namespace's nsfs
 * file on /run/netns/NAME, with /run/netns a shared mount so that other mount namespaces see
 * namespaces created later. */

#define NETNS_DIR "/run/netns"

static int netns_path(const char *name, char *buf, size_t size) {
        if (isempty(name) || strchr(name, '/') || streq(name, ".") || streq(name, "..") ||
            (size_t) snprintf(buf, size, NETNS_DIR "/%s", name) >= size)
                return -EINVAL;
        return 0;
}

static bool is_netns(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct statfs sfs;

        return fd >= 0 && fstatfs(fd, &sfs) >= 0 && sfs.f_type == NSFS_MAGIC;
}

static int netns_dir_shared(void) {
        if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mount(NULL, NETNS_DIR, NULL, MS_SHARED | MS_REC, NULL) >= 0)
                return 0;
        if (errno != EINVAL)
                return -errno;
        /* Not a mount point yet: make it one, then shared. */
        if (mount(NETNS_DIR, NETNS_DIR, NULL, MS_BIND | MS_REC, NULL) < 0 ||
            mount(NULL, NETNS_DIR, NULL, MS_SHARED | MS_REC, NULL) < 0)
                return -errno;
        return 0;
}

/* A child unshares, so the caller never leaves its own namespace, and bind-mounts its new
 * namespace on @path (the mount lives in the caller's mount namespace, which the child shares). */
static int unshare_and_bind(void *userdata) {
        const char *path = userdata;

        if (unshare(CLONE_NEWNET) < 0)
                return -errno;
        if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
                return -errno;
        return 0;
}

static int netns_create(const char *path) {
        return fork_and_call(unshare_and_bind, (void*) path);
}

int netns_ensure(const char *name, NcError *reterr) {
        char path[PATH_MAX];
        int fd, r;

        if (netns_path(name, path, sizeof path) < 0)
                return nc_error_set(reterr, -EINVAL, "invalid netns name '%s'", strempty(name));
        if (is_netns(path))
                return 0;
        r = netns_dir_shared();
        if (r < 0)
                return nc_error_set(reterr, r, "cannot prepare " NETNS_DIR ": %m");
        fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
        if (fd < 0)
                return nc_error_set(reterr, -errno, "cannot create %s: %m", path);
        close(fd);
        r = netns_create(path);
        if (r < 0) {
                (void) unlink(path);
                return nc_error_set(reterr, r, "cannot create network namespace '%s': %m", name);
        }
        return 1;
}

int netns_remove(const char *name, NcError *reterr) {
        char path[PATH_MAX];

        if (netns_path(name, path, sizeof path) < 0)
                return nc_error_set(reterr, -EINVAL, "invalid netns name '%s'", strempty(name));
        if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
                return nc_error_set(reterr, -errno, "cannot unmount %s: %m", path);
        if (unlink(path) < 0) {
                if (errno == ENOENT)
                        return 0;
                return nc_error_set(reterr, -errno, "cannot remove %s: %m", path);
        }
        return 1;
}

int netns_open(const char *name) {
        char path[PATH_MAX];
        int fd;

        if (netns_path(name, path, sizeof path) < 0)
                return -EINVAL;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (!is_netns(path)) {
                close(fd);
                return -ENOENT;
        }
        return fd;
}
