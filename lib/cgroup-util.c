/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include "lib/cgroup-util.h"
#include "lib/fileio.h"
#include "lib/macro.h"
#include "lib/strv.h"

bool cg_all_unified(void) {
        struct statfs fs;

        return statfs(CGROUP_FS_ROOT, &fs) >= 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* A line reads "36 25 0:31 / /sys/fs/cgroup rw,nosuid,... shared:9 - cgroup2 cgroup2 rw". */
int cg_unified_mount(char **ret_mount, char **ret_root) {
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        int r;

        r = read_full_file("/proc/self/mountinfo", &text, NULL);
        if (r < 0)
                return r;
        lines = strv_split(text, "\n");
        if (!lines)
                return -ENOMEM;
        STRV_FOREACH(l, lines) {
                char root[PATH_MAX], mount[PATH_MAX];
                const char *sep = strstr(*l, " - ");
                _cleanup_free_ char *m = NULL, *rt = NULL;

                if (!sep || !startswith(sep, " - cgroup2 "))
                        continue;
                if (sscanf(*l, "%*s %*s %*s %4095s %4095s", root, mount) != 2)
                        continue;
                m = strdup(mount);
                rt = strdup(root);
                if (!m || !rt)
                        return -ENOMEM;
                *ret_mount = TAKE_PTR(m);
                *ret_root = TAKE_PTR(rt);
                return 0;
        }
        return -ENOENT;
}

int cg_pid_cgroup_lines(pid_t pid, char ***ret) {
        _cleanup_free_ char *text = NULL;
        char path[64];
        int r;

        if (pid == 0)
                snprintf(path, sizeof path, "/proc/self/cgroup");
        else
                snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;
        *ret = strv_split(text, "\n");
        return *ret ? 0 : -ENOMEM;
}

int cg_own_path(char **ret) {
        _cleanup_strv_free_ char **lines = NULL;
        int r;

        r = cg_pid_cgroup_lines(0, &lines);
        if (r < 0)
                return r;
        STRV_FOREACH(l, lines) {
                const char *path = startswith(*l, "0::");

                if (path) {
                        *ret = strdup(path);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return -ENOMEDIUM;
}

int cg_own_dir(char **ret) {
        _cleanup_free_ char *cg = NULL, *mount = NULL, *root = NULL;
        const char *rel;
        int r;

        r = cg_own_path(&cg);
        if (r < 0)
                return r;
        r = cg_unified_mount(&mount, &root);
        if (r < 0)
                return r;
        /* A mount of a subtree (in a cgroup namespace) shows paths relative to its root. */
        rel = streq(root, "/") ? cg : startswith(cg, root);
        if (!rel)
                return -ENOENT;
        *ret = strjoin(mount, rel);
        return *ret ? 0 : -ENOMEM;
}

int cg_write_attr(const char *dir, const char *attr, const char *value) {
        _cleanup_free_ char *path = path_join(dir, attr);

        return path ? write_string_file(path, value) : -ENOMEM;
}

int cg_unified_dir(const char *cgroup, char **ret) {
        _cleanup_free_ char *mount = NULL, *root = NULL;
        int r;

        r = cg_unified_mount(&mount, &root);
        if (r < 0)
                return r;
        *ret = path_join(mount, streq(root, "/") ? cgroup : startswith(cgroup, root) ?: cgroup);
        return *ret ? 0 : -ENOMEM;
}

static int pids_below(const char *dir, unsigned depth, char ***pids) {
        _cleanup_free_ char *procs = NULL, *path = path_join(dir, "cgroup.procs");
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        if (!path)
                return -ENOMEM;
        if (read_full_file(path, &procs, NULL) >= 0) {
                l = strv_split(procs, "\n");
                if (!l)
                        return -ENOMEM;
                STRV_FOREACH(p, l)
                        if (!isempty(*p) && strv_extend(pids, *p) < 0)
                                return -ENOMEM;
        }
        if (depth >= 64)
                return 0;
        d = opendir(dir);
        while (d && (de = readdir(d))) {
                _cleanup_free_ char *sub = NULL;

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                sub = path_join(dir, de->d_name);
                if (!sub)
                        return -ENOMEM;
                r = pids_below(sub, depth + 1, pids);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cg_pids_recursive(const char *dir, char ***ret) {
        _cleanup_strv_free_ char **pids = NULL;
        int r;

        r = pids_below(dir, 0, &pids);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(pids);
        return 0;
}
