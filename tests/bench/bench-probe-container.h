/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A tiny "container" for probe tests and benchmarks: a busybox-static root in a temp dir and a pid 1
 * in new mount, pid, uts, net and ipc namespaces, chrooted there, under nspawn's seccomp filter, that
 * reaps orphans. Needs root. */

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#define PROBE_CONTAINER_HOSTNAME "probe-box"
/* Capabilities the container's pid 1 drops from its bounding set, so tests can see a probe inherit
 * the payload's set instead of ours. */
#define PROBE_CONTAINER_DROPPED_CAPS ((UINT64_C(1) << 16) | (UINT64_C(1) << 25))  /* SYS_MODULE, SYS_TIME */

typedef struct ProbeContainer {
        char root[PATH_MAX];            /* the rootfs directory; "" when none */
        pid_t helper;                   /* our child that unshared; the leader's parent */
        pid_t leader;                   /* the container's pid 1, as we see it */
} ProbeContainer;

/* Builds the rootfs (bin/ with busybox applets, etc/passwd with user "probe" 1234:2345 in group
 * "extra" 777, /work, /home/probe, /proc mounted) and starts pid 1. 0, or -errno (-EPERM without
 * privileges, -ENOENT without /bin/busybox). Blocks SIGCHLD in the caller, as the probes'
 * sd_event_add_child() needs. */
int probe_container_start(ProbeContainer *ret);
/* Kills the container, waits for it, removes the rootfs. Safe on a zeroed or stopped one. */
void probe_container_stop(ProbeContainer *c);
/* Processes left behind: those in the container's pid namespace other than its pid 1, plus our own
 * children other than the helper. Waits up to @settle_ms for orphans to be reaped. */
int probe_container_strays(const ProbeContainer *c, unsigned settle_ms);
/* A cgroup2 directory below our own cgroup for probes ("" if cgroups are not writable here). */
int probe_container_test_cgroup(char *buf, size_t size);
