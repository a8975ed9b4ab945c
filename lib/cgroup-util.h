/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* cgroup v2 lookups and knobs, as systemd's cgroup-util.h. */

#define CGROUP_FS_ROOT "/sys/fs/cgroup"

/* Whether CGROUP_FS_ROOT is the unified hierarchy itself (not v1 or hybrid). */
bool cg_all_unified(void);
/* Where cgroup2 is mounted (*ret_mount) and which cgroup that mount shows at its top (*ret_root,
 * "/" unless it was mounted inside a cgroup namespace), from /proc/self/mountinfo. 0, -ENOENT
 * when cgroup2 is not mounted, or -errno. */
int cg_unified_mount(char **ret_mount, char **ret_root);
/* The lines of /proc/@pid/cgroup (@pid 0: our own), "ID:CONTROLLERS:PATH" each. 0 or -errno. */
int cg_pid_cgroup_lines(pid_t pid, char ***ret);
/* Our cgroup2 path from /proc/self/cgroup ("/machine.slice/x.service/supervisor"). 0, -ENOMEDIUM
 * without a unified hierarchy, or -errno. */
int cg_own_path(char **ret);
/* The directory of our cgroup2 cgroup: the mount joined with our path below the mount's root.
 * 0, -ENOMEDIUM, -ENOENT when our cgroup is not below the mount, or -errno. */
int cg_own_dir(char **ret);
/* Writes @value to the attribute @attr ("cgroup.procs", "cgroup.kill") of the cgroup directory
 * @dir, as write_string_file(). 0 or -errno. */
int cg_write_attr(const char *dir, const char *attr, const char *value);
/* The directory of the cgroup @cgroup (a systemd ControlGroup path, "/machine.slice/x.service") in
 * the cgroup2 hierarchy. 0, -ENOENT without one, or -errno. */
int cg_unified_dir(const char *cgroup, char **ret);
/* The PIDs in the cgroup directory @dir and every cgroup below it (cgroup.procs), in that order. */
int cg_pids_recursive(const char *dir, char ***ret);
