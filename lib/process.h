/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Waits for child @pid, retrying on EINTR. Its exit status (0-255), 128 + the signal that killed
 * it, or -errno when waiting failed. */
int wait_for_status(pid_t pid);
