/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "lib/cgroup-util.h"
#include "lib/fileio.h"
#include "reconcile/runtime/runtime-internal.h"

/* A cgroup with processes cannot pass controllers on to children, so the unit's processes must
 * sit in leaves: we take <unit>/supervisor (where nspawn --keep-unit expects its supervisor) and
 * nspawn puts the payload in <unit>/payload. Returns the unit's cgroup directory; -EOPNOTSUPP
 * unless the host runs the unified hierarchy only (in hybrid mode nspawn and systemd track
 * processes in the v1 name=systemd tree, which we leave alone). */
int rt_cgroup_enter_supervisor(char **ret_unit_cgroup, NcError *reterr) {
        _cleanup_free_ char *cg = NULL, *sup = NULL;
        int r;

        assert(ret_unit_cgroup);

        if (!cg_all_unified())
                return nc_error_set(reterr, -EOPNOTSUPP, "%s is not the unified cgroup hierarchy; "
                                    "staying in the unit's cgroup", CGROUP_FS_ROOT);

        r = cg_own_dir(&cg);
        if (r == -ENOMEDIUM)
                r = -EOPNOTSUPP;        /* no unified hierarchy */
        if (r < 0)
                return nc_error_set(reterr, r, "cannot find our cgroup: %m");
        if (endswith(cg, "/supervisor")) {
                cg[strlen(cg) - strlen("/supervisor")] = 0;
                *ret_unit_cgroup = TAKE_PTR(cg);
                return 0;
        }
        sup = path_join(cg, "supervisor");
        if (!sup)
                return -ENOMEM;
        if (mkdir(sup, 0755) < 0 && errno != EEXIST)
                return nc_error_set(reterr, -errno, "%s: %m (is the unit Delegate=yes?)", sup);
        r = cg_write_attr(sup, "cgroup.procs", "0");
        if (r < 0)
                return nc_error_set(reterr, r, "%s: cannot move into it: %m", sup);
        *ret_unit_cgroup = TAKE_PTR(cg);
        return 1;
}

/* Without the unified hierarchy we stay in the unit's cgroup, where healthd finds no "supervisor" to
 * put its probe cgroup beside. Delegate=yes hands the unit's subtree of the v1 name=systemd
 * hierarchy to us: probes run in "probe" below our cgroup there, so a probe that escapes its process
 * group (setsid, a daemon) is still found and killed. -ENOENT outside a service unit. */
int rt_cgroup_probe_v1(char **ret) {
        _cleanup_free_ char *text = NULL, *cg = NULL;
        const char *line;
        int r;

        assert(ret);

        r = read_full_file("/proc/self/cgroup", &text, NULL);
        if (r < 0)
                return r;
        line = strstr(text, ":name=systemd:");
        if (!line)
                return -ENOENT;
        line += strlen(":name=systemd:");
        cg = strndup(line, strcspn(line, "\n"));
        if (!cg)
                return -ENOMEM;
        if (!endswith(cg, ".service"))
                return -ENOENT;
        if (asprintf(ret, CGROUP_FS_ROOT "/systemd%s/probe", cg) < 0)
                return -ENOMEM;
        return 0;
}

/* SIGKILL to everything in <unit>/payload at once (cgroup.kill, kernel 5.14+). */
int rt_cgroup_kill_payload(const char *unit_cgroup) {
        _cleanup_free_ char *payload = path_join(unit_cgroup, "payload");

        assert(unit_cgroup);

        if (!payload)
                return -ENOMEM;
        return cg_write_attr(payload, "cgroup.kill", "1");
}
