/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/stat.h>

#include "healthd/health-internal.h"
#include "lib/fileio.h"

#define ENTER_NAMESPACES (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | \
                          CLONE_NEWCGROUP)

void health_leader_done(HealthLeader *l) {
        if (!l)
                return;
        if (l->pidfd >= 0)
                close(l->pidfd);
        if (l->root_fd >= 0)
                close(l->root_fd);
        if (l->netns_fd >= 0)
                close(l->netns_fd);
        syscall_filter_done(&l->filter);
        *l = (HealthLeader) { .pidfd = -EBADF, .root_fd = -EBADF, .netns_fd = -EBADF };
}

int health_leader_alive(const HealthLeader *l) {
        assert(l);

        if (pidfd_send_signal(l->pidfd, 0, NULL, 0) < 0)
                return -errno;
        return 0;
}

/* Joining our own user namespace is EINVAL, so enter it only when nspawn ran with -U. */
static int same_user_namespace(pid_t pid) {
        char path[64];
        struct stat a, b;

        snprintf(path, sizeof path, "/proc/%d/ns/user", (int) pid);
        if (stat("/proc/self/ns/user", &a) < 0 || stat(path, &b) < 0)
                return -errno;
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* One "Key:\t<hex>" line of /proc/PID/status. */
static int status_hex(const char *status, const char *key, uint64_t *ret) {
        const char *p = strstr(status, key);

        if (!p || sscanf(p + strlen(key), "%" SCNx64, ret) != 1)
                return -EBADMSG;
        return 0;
}

/* The capability sets, no_new_privs and seccomp mode from /proc/PID/status (the kernel's text, not
 * the machine's), so what we start gets no more privilege than the payload. */
static int read_privileges(pid_t pid, HealthLeader *l) {
        _cleanup_free_ char *status = NULL, *last = NULL;
        char path[64];
        const char *p;
        int r;

        snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
        r = read_full_file(path, &status, NULL);
        if (r < 0)
                return r;
        if (status_hex(status, "\nCapBnd:", &l->cap_bounding) < 0 ||
            status_hex(status, "\nCapPrm:", &l->cap_permitted) < 0 ||
            status_hex(status, "\nCapEff:", &l->cap_effective) < 0)
                return -EBADMSG;
        p = strstr(status, "\nNoNewPrivs:");
        l->no_new_privs = p && atoi(p + strlen("\nNoNewPrivs:")) > 0;
        p = strstr(status, "\nSeccomp:");
        l->seccomp = p && atoi(p + strlen("\nSeccomp:")) == 2;

        r = read_full_file("/proc/sys/kernel/cap_last_cap", &last, NULL);
        if (r < 0)
                return r;
        l->cap_last = (unsigned) atoi(last);
        return 0;
}

static int open_proc(pid_t pid, const char *what, int flags, int *ret) {
        char path[64];

        snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, what);
        *ret = open(path, flags | O_CLOEXEC);
        return *ret < 0 ? -errno : 0;
}

/* A /proc file of the leader is missing: the leader is gone. */
static int leader_error(NcError *reterr, pid_t pid, int r) {
        return nc_error_set(reterr, r == -ENOENT ? -ESRCH : r, "leader %d: %s", (int) pid, strerror(-r));
}

int health_leader_open(pid_t pid, HealthLeader *ret, NcError *reterr) {
        _cleanup_(health_leader_done) HealthLeader l = {
                .pid = pid, .pidfd = -EBADF, .root_fd = -EBADF, .netns_fd = -EBADF,
        };
        int r;

        assert(ret);

        if (pid <= 1)
                return nc_error_set(reterr, -EINVAL, "invalid leader PID %d", (int) pid);
        l.pidfd = pidfd_open(pid, 0);
        if (l.pidfd < 0)
                return nc_error_set(reterr, -errno, "leader %d: pidfd_open: %m", (int) pid);
        r = open_proc(pid, "root", O_PATH | O_DIRECTORY, &l.root_fd);
        if (r < 0)
                return leader_error(reterr, pid, r);
        r = open_proc(pid, "ns/net", O_RDONLY, &l.netns_fd);
        if (r < 0)
                return leader_error(reterr, pid, r);
        r = read_privileges(pid, &l);
        if (r < 0)
                return leader_error(reterr, pid, r);
        /* nspawn's filter, for the capabilities nspawn gave the machine. A machine without one
         * (privileged: SYSTEMD_SECCOMP=0) gets none from us either. */
        if (l.seccomp) {
                r = syscall_filter_build(l.cap_bounding, &l.filter);
                if (r < 0)
                        return nc_error_set(reterr, r, "leader %d: seccomp filter: %m", (int) pid);
        }
        r = same_user_namespace(pid);
        if (r < 0)
                return leader_error(reterr, pid, r);
        l.setns_flags = ENTER_NAMESPACES | (r ? 0 : CLONE_NEWUSER);
        /* The /proc files were opened after the pidfd: if the leader still runs, they are its. */
        r = health_leader_alive(&l);
        if (r < 0)
                return leader_error(reterr, pid, r);
        *ret = l;
        l = (HealthLeader) { .pidfd = -EBADF, .root_fd = -EBADF, .netns_fd = -EBADF };
        return 0;
}
