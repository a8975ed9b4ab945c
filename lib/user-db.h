/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* A user resolved in a container's /etc/passwd and /etc/group as docker (runc) resolves it, without
 * malloc or NSS: usable after fork in a chroot and in a static helper. */

#define USER_IDS_MAX_GROUPS 64
typedef struct UserIds {
        uid_t uid;
        gid_t gid;
        gid_t groups[USER_IDS_MAX_GROUPS];     /* setgroups() list: the primary group first */
        size_t n_groups;
        char home[256];                         /* "/" when the user has no entry */
} UserIds;

/* @spec: "uid[:gid]" or "name[:group]" (NULL or "" = root). @passwd_fd/@group_fd may be -1 (no file).
 * 0, or -ESRCH when a name is not found. Numeric ids need no entry (gid then defaults to 0). */
int user_ids_resolve(const char *spec, int passwd_fd, int group_fd, UserIds *ret);
