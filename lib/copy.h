/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Copying files and trees between directory fds where the source is untrusted (an image, a
 * machine): every entry is opened relative to its parent with O_NOFOLLOW, so no symlink of the
 * source is ever followed; symlinks are copied as symlinks, hardlinks become separate copies, files
 * are read to their end whatever their size says (O_NONBLOCK: a FIFO never blocks), and only
 * directories, regular files and symlinks are copied: devices, FIFOs, sockets and the trees of
 * pseudo file systems (proc, sysfs, cgroup, devpts) are skipped. Names come from readdir(): one
 * component each, never "." or "..", so nothing is created outside the destination. */

#define COPY_DEPTH_MAX 128U

typedef struct CopyOptions {
        bool keep_owner;                /* the source's uid/gid (and setuid/setgid bits) */
        uid_t uid;                      /* else these, with setuid/setgid bits cleared */
        gid_t gid;
        bool xattrs;                    /* user.* and security.capability too */
        /* an existing file or symlink of the name is replaced (atomically, by a rename; never opened),
         * an existing directory merged into; else the name must not exist (-EEXIST) */
        bool replace;
        /* told of each entry left out (@path below the copy's top, @mode its type); may be NULL */
        void (*skipped)(const char *path, mode_t mode, void *userdata);
        void *userdata;
} CopyOptions;

/* Owner, mode, xattrs and times of @st (the file @from) onto @to, as @o asks. */
int copy_attrs(int from, int to, const struct stat *st, const CopyOptions *o);
/* The entries of the directory @src into the directory @dst (both fds stay open). 0 or -errno. */
int copy_dir_contents(int src, int dst, const CopyOptions *o);
/* @fd (a directory or regular file opened for reading; @st its fstat) as @dst_name in the directory
 * @dst_dir, a tree for a directory. 0 or -errno. */
int copy_fd_at(int fd, const struct stat *st, int dst_dir, const char *dst_name, const CopyOptions *o);
/* A symlink with @target (and @st's owner and times) as @dst_name in @dst_dir. */
int copy_symlink_at(const char *target, const struct stat *st, int dst_dir, const char *dst_name,
                    const CopyOptions *o);
