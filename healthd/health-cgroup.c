/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "healthd/health-internal.h"
#include "lib/cgroup-util.h"
#include "lib/fileio.h"
#include "lib/strv.h"

int health_cgroup_default_path(char **ret) {
        _cleanup_free_ char *dir = NULL;
        int r;

        assert(ret);

        r = cg_own_dir(&dir);
        if (r < 0)
                return r == -ENOMEDIUM ? -ENOENT : r;
        if (!endswith(dir, "/supervisor"))
                return -ENOENT;
        dir[strlen(dir) - strlen("/supervisor")] = 0;
        if (asprintf(ret, "%s/probe", dir) < 0)
                return -ENOMEM;
        return 0;
}

static int open_cgroup_dir(const char *path, HealthCgroup *ret) {
        _cleanup_free_ char *procs = NULL;
        int fd;

        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return -errno;
        procs = path_join(path, "cgroup.procs");
        if (!procs)
                return -ENOMEM;
        fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ret->path = strdup(path);
        if (!ret->path) {
                close(fd);
                return -ENOMEM;
        }
        ret->procs_fd = fd;
        return 0;
}

int health_cgroup_open(const char *spec, HealthCgroup *ret, NcError *reterr) {
        _cleanup_free_ char *path = NULL;
        HealthCgroup cg = { .procs_fd = -EBADF };
        int r;

        assert(ret);

        if (spec && isempty(spec)) {
                *ret = cg;
                return 0;
        }
        if (!spec) {
                /* Outside a unit (tests, a shell) there is no probe cgroup: kill process groups. */
                if (health_cgroup_default_path(&path) < 0 || open_cgroup_dir(path, &cg) < 0)
                        cg = (HealthCgroup) { .procs_fd = -EBADF };
                *ret = cg;
                return 0;
        }
        r = open_cgroup_dir(spec, &cg);
        if (r < 0)
                return nc_error_set(reterr, r, "probe cgroup '%s': %m", spec);
        *ret = cg;
        return 0;
}

int health_cgroup_revalidate(HealthCgroup *cg) {
        _cleanup_free_ char *procs = NULL;
        HealthCgroup fresh = { .procs_fd = -EBADF };
        struct stat now, ours;
        int r;

        assert(cg);

        if (!cg->path)
                return 0;
        procs = path_join(cg->path, "cgroup.procs");
        if (!procs)
                return -ENOMEM;
        /* Still ours when the path names the very file we hold open: a cgroup removed (by systemd,
         * with the unit's) and made again under the same path is another inode, and moving a
         * process into the dead one fails with ENODEV. */
        if (stat(procs, &now) >= 0) {
                if (cg->procs_fd >= 0 && fstat(cg->procs_fd, &ours) >= 0 &&
                    now.st_dev == ours.st_dev && now.st_ino == ours.st_ino)
                        return 0;
        } else if (errno != ENOENT)
                return 0;       /* cannot tell: keep what we have, the spawn reports the error */
        r = open_cgroup_dir(cg->path, &fresh);
        if (r < 0)
                return r;
        if (cg->procs_fd >= 0)
                close(cg->procs_fd);
        free(cg->path);
        *cg = fresh;
        return 1;
}

/* Before cgroup.kill (kernel 5.14): signal every listed process until none is left. */
static int kill_listed(const char *dir) {
        for (unsigned round = 0; round < 16; round++) {
                _cleanup_free_ char *path = path_join(dir, "cgroup.procs"), *text = NULL;
                _cleanup_strv_free_ char **pids = NULL;
                int r;

                if (!path)
                        return -ENOMEM;
                r = read_full_file(path, &text, NULL);
                if (r < 0)
                        return r;
                pids = strv_split(text, "\n");
                if (!pids)
                        return -ENOMEM;
                if (!pids[0])
                        return 0;
                STRV_FOREACH(p, pids)
                        (void) kill(atoi(*p), SIGKILL);
        }
        return -EBUSY;
}

int health_cgroup_kill(const HealthCgroup *cg) {
        int r;

        assert(cg);

        if (!cg->path)
                return 0;
        r = cg_write_attr(cg->path, "cgroup.kill", "1");
        if (r == -ENOENT)
                r = kill_listed(cg->path);
        return r;
}

static bool cgroup_populated(const char *dir) {
        _cleanup_free_ char *path = path_join(dir, "cgroup.events"), *procs = path_join(dir, "cgroup.procs");
        _cleanup_free_ char *text = NULL;

        if (!path || !procs)
                return false;
        if (read_full_file(path, &text, NULL) >= 0)
                return !strstr(text, "populated 0");
        /* a cgroup v1 hierarchy has no cgroup.events */
        return read_full_file(procs, &text, NULL) >= 0 && !isempty(text);
}

void health_cgroup_done(HealthCgroup *cg) {
        if (!cg)
                return;
        if (cg->path) {
                (void) health_cgroup_kill(cg);
                /* SIGKILLed processes leave the cgroup asynchronously; give them a moment. */
                for (unsigned i = 0; i < 200 && cgroup_populated(cg->path); i++)
                        (void) nanosleep(&(struct timespec) { .tv_nsec = 5 * 1000 * 1000 }, NULL);
                (void) rmdir(cg->path);
        }
        if (cg->procs_fd >= 0)
                close(cg->procs_fd);
        free(cg->path);
        *cg = (HealthCgroup) { .procs_fd = -EBADF };
}
