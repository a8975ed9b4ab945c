/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The system call filter systemd-nspawn puts on a container, built with libseccomp, so that a process
 * we start inside a machine runs under the same policy as its payload. Built before fork (it
 * allocates), installed after fork with two plain seccomp() calls. */

typedef struct SyscallFilter {
        void *programs[2];              /* struct sock_filter[]: the allow list, the audit socket rule */
        size_t lengths[2];              /* instructions in each */
} SyscallFilter;

/* The filter for a container whose bounding set is @capabilities (bit N = capability N): the
 * clock, module, raw I/O and memlock groups and a few single calls (ptrace, reboot, acct, syslog,
 * vhangup, process_vm_*) are allowed only with their capability, as nspawn does. 0 or -errno. */
int syscall_filter_build(uint64_t capabilities, SyscallFilter *ret);
/* Installs both programs in the calling thread. Needs no_new_privs or CAP_SYS_ADMIN. No malloc:
 * safe after fork. 0 or -errno. */
int syscall_filter_install(const SyscallFilter *f);
void syscall_filter_done(SyscallFilter *f);
