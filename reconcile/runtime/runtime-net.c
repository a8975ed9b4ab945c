/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sched.h>

#include "lib/fileio.h"
#include "lib/process.h"
#include "lib/strv.h"
#include "netfilter/net-project.h"
#include "netfilter/netfilter.h"
#include "reconcile/runtime/runtime-internal.h"

/* The service's network namespace, made before nspawn starts so the address is there when the
 * payload starts (TESTBED.md §7: a machine probed before it has its address costs ~1 s of ARP). */

static int network_ensure(const ServiceSpec *s, size_t i, NcError *reterr) {
        const ServiceNetwork *n = &s->networks[i];
        _cleanup_free_ char *gw = NULL, *owner = net_bridge_owner(s->project, n->name),
                            *veth_owner = net_veth_owner(s->project, s->service, n->name);
        char ifname[16];
        int r;

        if (!owner || !veth_owner || net_gateway_cidr(n->gateway, n->address, &gw) < 0)
                return -ENOMEM;
        /* The network unit made (and marked) the bridge already; ensuring it here again is cheap and
         * lets a service start even after someone removed it. */
        r = bridge_ensure(n->bridge, owner, /* adopt_unmarked= */ false, gw, reterr);
        if (r < 0)
                return r;
        snprintf(ifname, sizeof(ifname), "eth%zu", i);
        /* one default route: through the first network, as docker does */
        r = veth_ensure(n->veth, veth_owner, n->bridge, s->netns, ifname, n->address, i == 0 ? n->gateway : NULL,
                        reterr);
        if (r < 0 || !n->ipv6_address)
                return r;
        return veth_ensure(n->veth, veth_owner, n->bridge, s->netns, ifname, n->ipv6_address,
                           i == 0 ? n->ipv6_gateway : NULL, reterr);
}

int rt_network_ensure(const ServiceSpec *s, NcError *reterr) {
        int r;

        assert(s);

        if (!s->netns)
                return 0;
        if (s->netns_of) {
                /* another service's: it made the namespace when it started (we are ordered after it)
                 * and owns it; a missing one is never made here */
                _cleanup_close_ int fd = netns_open(s->netns);

                if (fd < 0)
                        return nc_error_set(reterr, fd, "the network namespace of service '%s' (%s) is not "
                                            "there: is it running? %m", s->netns_of, s->netns);
                return 0;
        }
        r = netns_ensure(s->netns, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_networks; i++) {
                r = network_ensure(s, i, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

int service_links_remove(const ServiceSpec *s, char ***kept) {
        assert(s);

        /* each veth as the service's (the mark network_ensure() gave it); its peer goes with it */
        for (size_t i = 0; i < s->n_networks; i++) {
                _cleanup_free_ char *owner = net_veth_owner(s->project, s->service, s->networks[i].name);
                NcError err = {};

                if (!owner)
                        return -ENOMEM;
                if (veth_remove(s->networks[i].veth, owner, &err) < 0 && kept &&
                    strv_extendf(kept, "link %s kept: %s", s->networks[i].veth, err.message) < 0)
                        return -ENOMEM;
        }
        if (s->netns && !s->netns_of)  /* a joined namespace is its owner's to remove */
                (void) netns_remove(s->netns, NULL);
        return 0;
}

/* Namespaced sysctls (docker's list): net.* live in the network namespace; kernel.msg*,
 * kernel.sem, kernel.shm* and fs.mqueue.* in the IPC namespace, which nspawn creates. */
static bool sysctl_is_net(const char *kv) {
        return startswith(kv, "net.");
}

static bool sysctl_is_ipc(const char *kv) {
        return startswith(kv, "kernel.msg") || startswith(kv, "kernel.sem=") ||
               startswith(kv, "kernel.shm") || startswith(kv, "fs.mqueue.");
}

int rt_sysctls_check(const ServiceSpec *s, NcError *reterr) {
        assert(s);

        STRV_FOREACH(kv, s->sysctls)
                if (!sysctl_is_net(*kv) && !sysctl_is_ipc(*kv))
                        return nc_error_set(reterr, -EINVAL, "sysctl '%.*s' is not namespaced; it would change "
                                            "the host", (int) strcspn(*kv, "="), *kv);
        STRV_FOREACH(kv, s->sysctls)
                if (sysctl_is_net(*kv) && (!s->netns || s->netns_of))
                        return nc_error_set(reterr, -EINVAL, "sysctl '%.*s' needs the service's own network "
                                            "namespace", (int) strcspn(*kv, "="), *kv);
        return 0;
}

static int sysctl_write(const char *kv) {
        _cleanup_free_ char *path = NULL;
        size_t klen = strcspn(kv, "=");
        const char *value = kv[klen] ? kv + klen + 1 : "";

        if (asprintf(&path, "/proc/sys/%.*s", (int) klen, kv) < 0)
                return -ENOMEM;
        for (char *c = path + strlen("/proc/sys/"); *c; c++)
                if (*c == '.')
                        *c = '/';
        return write_string_file(path, value);
}

/* Writes the sysctls of @list (all or those @select picks) inside the namespace @ns_fd (of type
 * @nstype), from a child: /proc/sys shows the namespaces of the process that opens it, and we never
 * leave our own. */
typedef struct SysctlsJob {
        char * const *list;
        int ns_fd, nstype;
        bool (*select)(const char *kv);
} SysctlsJob;

/* In the child: -errno when the namespace cannot be entered, else 1 + the index of the first
 * sysctl that cannot be set, or 0. */
static int sysctls_write_in_ns(void *userdata) {
        const SysctlsJob *j = userdata;

        if (setns(j->ns_fd, j->nstype) < 0)
                return -errno;
        STRV_FOREACH(kv, j->list)
                if ((!j->select || j->select(*kv)) && sysctl_write(*kv) < 0)
                        return 1 + (int) (kv - j->list);
        return 0;
}

static int sysctls_in_ns(char * const *list, int ns_fd, int nstype, bool (*select)(const char *kv),
                         NcError *reterr) {
        SysctlsJob j = { .list = list, .ns_fd = ns_fd, .nstype = nstype, .select = select };
        int r;

        r = fork_and_call(sysctls_write_in_ns, &j);
        if (r < 0)
                return nc_error_set(reterr, r, "cannot enter the namespace to set sysctls: %m");
        if (r > 0)
                return nc_error_set(reterr, -EINVAL, "cannot set sysctl '%s'", list[r - 1]);
        return 0;
}

static bool sysctls_have(char * const *l, const char *key) {
        size_t n = strlen(key);

        STRV_FOREACH(kv, l)
                if (strncmp(*kv, key, n) == 0 && (*kv)[n] == '=')
                        return true;
        return false;
}

/* docker's defaults for a container with its own netns (moby, since 20.10): any user may bind low
 * ports and send pings. The service's sysctls come after them and win. */
static const char *const net_defaults[] = {
        "net.ipv4.ip_unprivileged_port_start=0",
        "net.ipv4.ping_group_range=0 2147483647",
};

int rt_sysctls_net(const ServiceSpec *s, NcError *reterr) {
        _cleanup_strv_free_ char **list = calloc(1, sizeof(char*));
        _cleanup_close_ int fd = -EBADF;

        assert(s);

        if (!list)
                return -ENOMEM;
        if (!s->netns || s->netns_of)   /* the owner's defaults hold in a joined namespace */
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(net_defaults); i++) {
                _cleanup_free_ char *key = strndup(net_defaults[i], strcspn(net_defaults[i], "="));

                if (!key)
                        return -ENOMEM;
                if (!sysctls_have(s->sysctls, key) && strv_extend(&list, net_defaults[i]) < 0)
                        return -ENOMEM;
        }
        STRV_FOREACH(kv, s->sysctls)
                if (sysctl_is_net(*kv) && strv_extend(&list, *kv) < 0)
                        return -ENOMEM;
        fd = netns_open(s->netns);
        if (fd < 0)
                return nc_error_set(reterr, fd, "netns '%s': %m", s->netns);
        return sysctls_in_ns(list, fd, CLONE_NEWNET, NULL, reterr);
}

/* After the leader exists: its IPC namespace is nspawn's. The payload is already starting, so a
 * program that reads these at its very first instruction may miss them (documented). */
int rt_sysctls_ipc(const ServiceSpec *s, pid_t leader, NcError *reterr) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        bool any = false;

        assert(s);

        STRV_FOREACH(kv, s->sysctls)
                any = any || sysctl_is_ipc(*kv);
        if (!any)
                return 0;
        if (asprintf(&path, "/proc/%d/ns/ipc", (int) leader) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return nc_error_set(reterr, -errno, "%s: %m", path);
        return sysctls_in_ns(s->sysctls, fd, CLONE_NEWIPC, sysctl_is_ipc, reterr);
}
