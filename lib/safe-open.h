/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Opening files inside a machine's root from the host, where the machine controls every name. */

/* Opens @path below the directory @root_fd as if @root_fd were "/": symlinks and ".." never leave it,
 * /proc magic links are refused (openat2 RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS). O_CLOEXEC and
 * O_NOCTTY are added. An fd or -errno. */
int open_in_root(int root_fd, const char *path, int flags, mode_t mode);
/* The same, not crossing a mount point either (RESOLVE_NO_XDEV): for the files we make in a root
 * before its mounts go on top. */
int open_in_root_same_mount(int root_fd, const char *path, int flags, mode_t mode);
/* A regular file of at most @max_size bytes, for reading: opened O_NONBLOCK so that a FIFO cannot
 * block us, then checked. An fd, -EBADFD when it is not a regular file, -EFBIG when larger, or
 * -errno. */
int open_regular_in_root(int root_fd, const char *path, off_t max_size);
/* A new open file description of what the O_PATH fd @fd refers to, with @flags (O_CLOEXEC and
 * O_NOCTTY added): that inode and no other, whatever its name points to meanwhile. A directory is
 * reopened by openat(fd, "."), anything else through /proc/self/fd. An fd or -errno. */
int fd_reopen(int fd, int flags);
