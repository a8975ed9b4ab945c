/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "lib/fileio.h"
#include "lib/strv.h"
#include "reconcile/runtime/runtime-internal.h"

/* The service's root: overlayfs of the image (lower, shared and never written) and the
 * service's own layer (upper, kept across restarts, discarded when the service's hash changes:
 * docker's restart versus recreate). Mounted in a private mount namespace of the wrapper, which
 * nspawn inherits, so nothing is left mounted on the host when the service ends. */

int rt_mount_namespace(void) {
        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        /* Host mounts still propagate in; ours never propagate out. */
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return -errno;
        return 0;
}

/* Wipes upper/ and work/ when they were made for another hash, then records @hash. */
static int layer_check(const ServicePaths *p, const char *hash, NcError *reterr) {
        _cleanup_free_ char *old = NULL;
        int r;

        if (isempty(hash))
                return 0;
        r = read_full_file(p->layer_hash, &old, NULL);
        if (r >= 0 && streq(old, hash))
                return 0;
        if (r >= 0 || access(p->upper, F_OK) >= 0) {
                r = rt_rm_rf(p->upper);
                if (r >= 0)
                        r = rt_rm_rf(p->work);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: cannot discard the old layer: %s", p->upper,
                                            strerror(-r));
        }
        r = write_file_atomic(p->layer_hash, hash, strlen(hash), 0644);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %s", p->layer_hash, strerror(-r));
        return 1;
}

int rt_rootfs_mount(const ServicePaths *p, const char *hash, NcError *reterr) {
        _cleanup_free_ char *options = NULL;
        const char *dirs[] = { p->upper, p->work, p->root };
        int r;

        r = layer_check(p, hash, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                r = mkdir_parents_and_self(dirs[i], 0755);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: %s", dirs[i], strerror(-r));
        }
        if (asprintf(&options, "lowerdir=%s,upperdir=%s,workdir=%s", p->lower, p->upper, p->work) < 0)
                return -ENOMEM;
        /* a leftover mount from a previous run in this namespace cannot exist: it is new */
        if (mount("overlay", p->root, "overlay", 0, options) < 0)
                return nc_error_set(reterr, -errno, "overlay mount on %s (%s): %m", p->root, options);
        return 0;
}

/* Opens @path below @root_fd resolving every symlink inside the root: an image cannot point
 * /etc/hosts at a host file. */
static int open_in_root(int root_fd, const char *path, int flags, mode_t mode) {
        struct open_how how = {
                .flags = flags | O_CLOEXEC | O_NOCTTY,
                .mode = mode,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        int fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

        return fd < 0 ? -errno : fd;
}

static int write_in_root(int root_fd, const char *path, const char *data, NcError *reterr) {
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(data);

        fd = open_in_root(root_fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
                return nc_error_set(reterr, fd, "writing /%s in the container: %s", path, strerror(-fd));
        if (write(fd, data, n) != (ssize_t) n)
                return nc_error_set(reterr, -EIO, "writing /%s in the container: %m", path);
        return 0;
}

/* /etc/hosts: the rendered S.hosts, or (without one) localhost, our addresses and extra_hosts. */
static char *hosts_text(const ServiceSpec *s, NcError *reterr) {
        _cleanup_free_ char *text = NULL;
        StrBuf b = {};
        int r;

        if (s->hosts_file) {
                r = read_full_file(s->hosts_file, &text, NULL);
                if (r < 0) {
                        (void) nc_error_set(reterr, r, "%s: %s", s->hosts_file, strerror(-r));
                        return NULL;
                }
                return TAKE_PTR(text);
        }
        strbuf_append(&b, "# Managed by nspawn-compose.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        for (size_t i = 0; i < s->n_networks; i++)
                strbuf_printf(&b, "%.*s\t%s\n", (int) strcspn(s->networks[i].address, "/"),
                              s->networks[i].address, s->hostname);
        STRV_FOREACH(h, s->extra_hosts) {
                /* "name:ip"; an IPv6 address has colons of its own, so split at the first one */
                const char *sep = strchr(*h, ':');

                if (sep)
                        strbuf_printf(&b, "%s\t%.*s\n", sep + 1, (int) (sep - *h), *h);
        }
        return strbuf_steal(&b);
}

static bool nameserver_is_local(const char *line) {
        const char *a = startswith(line, "nameserver");

        if (!a)
                return false;
        a += strspn(a, " \t");
        return startswith(a, "127.") || startswith(a, "::1");
}

/* /etc/resolv.conf: compose's dns/dns_search, else the host's resolver without loopback
 * servers, which do not exist in the service's netns (systemd-resolved's upstream list first). */
static char *resolv_text(const ServiceSpec *s) {
        _cleanup_free_ char *host = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        StrBuf b = {};

        strbuf_append(&b, "# Managed by nspawn-compose.\n");
        if (strv_length(s->dns) > 0 || strv_length(s->dns_search) > 0) {
                STRV_FOREACH(d, s->dns)
                        strbuf_printf(&b, "nameserver %s\n", *d);
                if (strv_length(s->dns_search) > 0) {
                        _cleanup_free_ char *search = strv_join(s->dns_search, " ");

                        strbuf_printf(&b, "search %s\n", strempty(search));
                }
                return strbuf_steal(&b);
        }
        if (read_full_file("/run/systemd/resolve/resolv.conf", &host, NULL) < 0)
                (void) read_full_file("/etc/resolv.conf", &host, NULL);
        lines = strv_split(strempty(host), "\n");
        STRV_FOREACH(l, lines)
                if (!nameserver_is_local(*l))
                        strbuf_printf(&b, "%s\n", *l);
        return strbuf_steal(&b);
}

int rt_rootfs_prepare(const ServicePaths *p, const ServiceSpec *s, NcError *reterr) {
        _cleanup_free_ char *hosts = NULL, *resolv = NULL;
        _cleanup_close_ int root_fd = -EBADF;
        int r;

        root_fd = open(p->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return nc_error_set(reterr, -errno, "%s: %m", p->root);
        hosts = hosts_text(s, reterr);
        if (!hosts)
                return reterr && reterr->error ? reterr->error : -ENOMEM;
        resolv = resolv_text(s);
        if (!resolv)
                return -ENOMEM;
        if (mkdirat(root_fd, "etc", 0755) < 0 && errno != EEXIST)
                return nc_error_set(reterr, -errno, "mkdir /etc in the container: %m");
        r = write_in_root(root_fd, "etc/hosts", hosts, reterr);
        if (r >= 0)
                r = write_in_root(root_fd, "etc/resolv.conf", resolv, reterr);
        return r;
}

/* Host directories behind the mounts: named and anonymous volumes, and bind sources that do not
 * exist yet (docker creates those for the short syntax too). */
int rt_volumes_prepare(const ServicePaths *p, const ServiceSpec *s, NcError *reterr) {
        for (size_t i = 0; i < s->n_mounts; i++) {
                const ServiceMount *m = &s->mounts[i];
                _cleanup_free_ char *anon = NULL;
                const char *dir = m->source;
                int r;

                if (streq(m->type, "tmpfs"))
                        continue;
                if (!dir) {
                        if (service_anonymous_volume_path(p->volumes, m->target, &anon) < 0)
                                return -ENOMEM;
                        dir = anon;
                }
                if (streq(m->type, "bind") && access(dir, F_OK) >= 0)
                        continue;
                r = mkdir_parents_and_self(dir, 0755);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: %s", dir, strerror(-r));
        }
        return 0;
}
