/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The container's system call filter, installed in a child: what nspawn blocks fails with EPERM,
 * what it allows works, and the capability-bound calls follow the capabilities. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/process.h"
#include "lib/seccomp-util.h"
#include "tests/tap.h"

typedef struct Probe {
        uint64_t capabilities;
        long nr;                        /* the call, with no arguments that could do anything */
        int expect;                     /* 0: not blocked (any result but the filter's), else errno */
} Probe;

/* 0 when the call behaved as expected, else the errno it got (or 1 when it was not blocked). */
static int run_probe(void *userdata) {
        const Probe *p = userdata;
        SyscallFilter f;
        long r;

        if (syscall_filter_build(p->capabilities, &f) < 0)
                return 100;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall_filter_install(&f) < 0)
                return 101;
        if (p->nr < 0)
                r = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
        else
                r = syscall(p->nr, -1L, 0L, 0L, 0L, 0L);
        if (p->expect == 0)
                return r < 0 && (errno == EPERM || errno == ENOSYS || errno == EAFNOSUPPORT) ? errno : 0;
        return r < 0 && errno == p->expect ? 0 : r < 0 ? errno : 1;
}

static int probe(uint64_t caps, long nr, int expect) {
        return fork_and_call(run_probe, &(Probe) { .capabilities = caps, .nr = nr, .expect = expect });
}

TEST(blocked_calls_fail_with_eperm) {
        ASSERT_EQ(probe(UINT64_MAX, SYS_keyctl, EPERM), 0);
        ASSERT_EQ(probe(UINT64_MAX, SYS_add_key, EPERM), 0);
        ASSERT_EQ(probe(UINT64_MAX, SYS_kexec_load, EPERM), 0);
        ASSERT_EQ(probe(UINT64_MAX, SYS_swapon, EPERM), 0);
        ASSERT_EQ(probe(UINT64_MAX, SYS_bpf, EPERM), 0);
        ASSERT_EQ(probe(UINT64_MAX, SYS_perf_event_open, EPERM), 0);
}

TEST(allowed_calls_pass_the_filter) {
        /* close(-1) is EBADF from the kernel, not the filter's EPERM */
        ASSERT_EQ(probe(0, SYS_close, 0), 0);
        ASSERT_EQ(probe(0, SYS_getpid, 0), 0);
        ASSERT_EQ(probe(0, SYS_setns, 0), 0);
        ASSERT_EQ(probe(0, SYS_capset, 0), 0);
}

TEST(capability_bound_calls_follow_the_bounding_set) {
        ASSERT_EQ(probe(0, SYS_init_module, EPERM), 0);
        ASSERT_EQ(probe(0, SYS_mlock, EPERM), 0);
        ASSERT_EQ(probe(UINT64_C(1) << CAP_IPC_LOCK, SYS_mlock, 0), 0);
        ASSERT_EQ(probe(0, SYS_ptrace, EPERM), 0);
        ASSERT_EQ(probe(UINT64_C(1) << CAP_SYS_PTRACE, SYS_ptrace, 0), 0);
        /* reading or writing another process's memory is ptrace's power */
        ASSERT_EQ(probe(0, SYS_process_vm_readv, EPERM), 0);
        ASSERT_EQ(probe(0, SYS_process_vm_writev, EPERM), 0);
        ASSERT_EQ(probe(UINT64_C(1) << CAP_SYS_PTRACE, SYS_process_vm_readv, 0), 0);
        ASSERT_EQ(probe(0, SYS_settimeofday, EPERM), 0);
}

TEST(audit_sockets_look_unsupported) {
        ASSERT_EQ(probe(UINT64_MAX, -1, EAFNOSUPPORT), 0);
}

TEST(unfiltered_child_is_not_blocked) {
        /* the control: without the filter keyctl(-1) is an ordinary error */
        long r = syscall(SYS_keyctl, -1L, 0L, 0L, 0L, 0L);

        ASSERT_TRUE(r < 0 && errno != EPERM);
}

TAP_MAIN();
