/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Waits for child @pid, retrying on EINTR. Its exit status (0-255), 128 + the signal that killed
 * it, or -errno when waiting failed. */
int wait_for_status(pid_t pid);

/* Runs @func(@userdata) in a forked child and waits for it: for work in another namespace that the
 * caller must not enter itself (unshare, setns). Returns what @func returned in the child (any int,
 * -errno by convention), -EPROTO when the child died without returning, or -errno when forking
 * failed. The caller must be single-threaded. */
int fork_and_call(int (*func)(void *userdata), void *userdata);
