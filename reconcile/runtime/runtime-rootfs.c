/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/random.h>

#include "lib/fileio.h"
#include "lib/process.h"
#include "lib/safe-open.h"
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
        bool recorded;
        int r;

        assert(p);

        if (isempty(hash))
                return 0;
        /* no record, or one we cannot read: a layer that is there is of unknown origin */
        recorded = read_full_file(p->layer_hash, &old, NULL) >= 0;
        if (recorded && streq(old, hash))
                return 0;
        if (recorded || access(p->upper, F_OK) >= 0) {
                r = rm_rf(p->upper);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: cannot discard the old layer: %m", p->upper);
                r = rm_rf(p->work);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: cannot discard the old layer: %m", p->work);
        }
        r = write_file_atomic(p->layer_hash, hash, strlen(hash), 0644);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", p->layer_hash);
        return 1;
}

int rt_rootfs_mount(const ServicePaths *p, const char *hash, NcError *reterr) {
        _cleanup_free_ char *options = NULL;
        const char *dirs[] = { p->upper, p->work, p->root };
        int r;

        assert(p);

        r = layer_check(p, hash, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                r = mkdir_parents_and_self(dirs[i], 0755);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s: %m", dirs[i]);
        }
        if (asprintf(&options, "lowerdir=%s,upperdir=%s,workdir=%s", p->lower, p->upper, p->work) < 0)
                return -ENOMEM;
        /* a leftover mount from a previous run in this namespace cannot exist: it is new */
        if (mount("overlay", p->root, "overlay", 0, options) < 0)
                return nc_error_set(reterr, -errno, "overlay mount on %s (%s): %m", p->root, options);
        return 0;
}

int rt_replace_in_root(int root_fd, const char *dir, const char *name, const char *data, NcError *reterr) {
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        size_t n = strlen(data);
        uint32_t id;
        char tmp[64];
        ssize_t k;
        int r;

        assert(dir);
        assert(name);
        assert(data);

        /* The file that is there is never opened: whatever the machine put there (a FIFO, a symlink, a
         * device) cannot block us or redirect the write; the new file replaces its directory entry. */
        dfd = open_in_root_same_mount(root_fd, dir, O_PATH | O_DIRECTORY, 0);
        if (dfd < 0)
                return nc_error_set(reterr, dfd, "writing /%s/%s in the container: /%s: %m", dir, name, dir);
        if (getrandom(&id, sizeof id, GRND_NONBLOCK) != sizeof id)
                id = (uint32_t) getpid();
        snprintf(tmp, sizeof tmp, ".#%s.%08" PRIx32, name, id);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return nc_error_set(reterr, -errno, "writing /%s/%s in the container: %m", dir, name);
        k = write(fd, data, n);
        if (k < 0)
                r = -errno;
        else if ((size_t) k != n)
                r = -EIO;
        else if (fchmod(fd, 0644) < 0 || renameat(dfd, tmp, dfd, name) < 0)
                r = -errno;
        else
                return 0;
        (void) unlinkat(dfd, tmp, 0);
        return nc_error_set(reterr, r, "writing /%s/%s in the container: %m", dir, name);
}

int service_hosts_update(pid_t leader, const char *text, NcError *reterr) {
        _cleanup_close_ int pidfd = -EBADF, root_fd = -EBADF;
        char path[64];

        assert(text);

        /* The machine's root as its processes see it; every lookup below stays inside it. The pidfd
         * pins the leader: if it still runs after the open, the root is its, not that of a process
         * that got its PID since. */
        pidfd = pidfd_open(leader, 0);
        if (pidfd < 0)
                return nc_error_set(reterr, -errno, "leader %d: %m", (int) leader);
        snprintf(path, sizeof path, "/proc/%d/root", (int) leader);
        root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return nc_error_set(reterr, -errno, "%s: %m", path);
        if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
                return nc_error_set(reterr, -errno, "leader %d: %m", (int) leader);
        return rt_replace_in_root(root_fd, "etc", "hosts", text, reterr);
}

/* /etc/hosts: the rendered S.hosts, or (without one) localhost, our addresses and extra_hosts. */
char *rt_hosts_text(const ServiceSpec *s, NcError *reterr) {
        _cleanup_free_ char *text = NULL;
        StrBuf b = {};
        int r;

        if (s->hosts_file) {
                r = read_full_file(s->hosts_file, &text, NULL);
                if (r < 0) {
                        (void) nc_error_set(reterr, r, "%s: %m", s->hosts_file);
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
char *rt_resolv_text(const ServiceSpec *s) {
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

        assert(p);
        assert(s);

        root_fd = open(p->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return nc_error_set(reterr, -errno, "%s: %m", p->root);
        hosts = rt_hosts_text(s, reterr);
        if (!hosts)
                return reterr && reterr->error ? reterr->error : -ENOMEM;
        resolv = rt_resolv_text(s);
        if (!resolv)
                return -ENOMEM;
        if (mkdirat(root_fd, "etc", 0755) < 0 && errno != EEXIST)
                return nc_error_set(reterr, -errno, "mkdir /etc in the container: %m");
        r = rt_replace_in_root(root_fd, "etc", "hosts", hosts, reterr);
        if (r < 0)
                return r;
        return rt_replace_in_root(root_fd, "etc", "resolv.conf", resolv, reterr);
}

/* "nocopy" or "subpath=…" among a volume's options: docker copies nothing into those. */
/* A /dev/shm shared between machines: a tmpfs of its own (@options: "size=…"), sticky and
 * world-writable as /dev/shm is, so that the machines cannot fill the host's /run, inside a
 * directory only root may enter, so that no host user reaches the machines' shared memory. The
 * first machine of the group to start mounts it; it lives until the owner's state is removed
 * (rt_shm_dir_release()). The host's own /dev/shm (ipc: host) is there already. */
static int shm_dir_ensure(const char *dir, const char *options, NcError *reterr) {
        _cleanup_free_ char *parent = NULL, *opts = NULL;
        struct stat st, pst;
        int r;

        if (streq(dir, "/dev/shm"))
                return 0;
        parent = path_dirname(dir);
        if (!parent)
                return -ENOMEM;
        r = mkdir_parents_and_self(parent, 0700);
        if (r >= 0 && chmod(parent, 0700) < 0)
                r = -errno;
        if (r >= 0 && mkdir(dir, 01777) < 0 && errno != EEXIST)
                r = -errno;
        if (r >= 0 && (lstat(dir, &st) < 0 || lstat(parent, &pst) < 0))
                r = -errno;
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", dir);
        if (!S_ISDIR(st.st_mode))
                return nc_error_set(reterr, -ENOTDIR, "%s: not a directory", dir);
        if (st.st_dev != pst.st_dev)
                return 0;                       /* mounted by another machine of the group */
        if (asprintf(&opts, "mode=1777%s%s", isempty(options) ? "" : ",", strempty(options)) < 0)
                return -ENOMEM;
        if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
                return nc_error_set(reterr, -errno, "mount tmpfs on %s (%s): %m", dir, opts);
        return 0;
}

int rt_shm_prepare(const ServiceSpec *s, NcError *reterr) {
        assert(s);

        for (size_t i = 0; i < s->n_mounts; i++) {
                const ServiceMount *m = &s->mounts[i];
                int r;

                if (!streq(m->type, "shm") || !m->source)
                        continue;
                r = shm_dir_ensure(m->source, m->options, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

int rt_shm_dir_release(const char *runtime_dir) {
        _cleanup_free_ char *dir = path_join(runtime_dir, "ipc/shm");

        if (!dir)
                return -ENOMEM;
        if (umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
                return -errno;
        return 0;
}

static bool volume_copies(const ServiceMount *m) {
        _cleanup_strv_free_ char **opts = NULL;

        if (!streq(m->type, "volume"))
                return false;
        opts = strv_split(strempty(m->options), ",");
        STRV_FOREACH(o, opts)
                if (streq(*o, "nocopy") || startswith(*o, "subpath="))
                        return false;
        return true;
}

/* Host directories behind the mounts: named and anonymous volumes, and bind sources that do not
 * exist yet (docker creates those for the short syntax too). An empty volume gets the image's
 * content at its mount point, as docker's; a bind mount never does. */
int rt_volumes_prepare(const ServicePaths *p, const ServiceSpec *s, NcError *reterr) {
        _cleanup_close_ int image_fd = -EBADF;

        assert(p);
        assert(s);

        for (size_t i = 0; i < s->n_mounts; i++) {
                const ServiceMount *m = &s->mounts[i];
                _cleanup_free_ char *anon = NULL;
                const char *dir = m->source;
                int r;

                if (streq(m->type, "tmpfs") || streq(m->type, "shm") || m->credential)
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
                        return nc_error_set(reterr, r, "%s: %m", dir);
                if (!volume_copies(m) || !p->lower)
                        continue;
                if (image_fd < 0)
                        image_fd = open(p->lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (image_fd < 0)
                        return nc_error_set(reterr, -errno, "%s: %m", p->lower);
                r = rt_volume_populate(image_fd, m->target, dir, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Makes @rel (relative to the root, @name its last component, inside @rel) unless it exists. */
static int make_one_in_root(int root_fd, char *rel, char *name, bool file) {
        _cleanup_close_ int fd = open_in_root_same_mount(root_fd, rel, O_PATH, 0), parent = -EBADF;

        if (fd != -ENOENT)
                return fd < 0 ? fd : 0;
        if (name == rel)
                parent = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        else {
                name[-1] = 0;
                parent = open_in_root_same_mount(root_fd, rel, O_PATH | O_DIRECTORY, 0);
                name[-1] = '/';
        }
        if (parent < 0)
                return parent;
        if (file)
                fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        else
                fd = mkdirat(parent, name, 0755) < 0 ? -1 : -EBADF;
        return fd == -1 && errno != EEXIST ? -errno : 0;
}

/* Makes the container path @path below @root_fd: its missing parents as directories, the path itself
 * as a directory or (@file) an empty file. Every prefix resolves inside the root, so an image's
 * symlinks cannot lead out of it. */
static int make_in_root(int root_fd, const char *path, bool file) {
        _cleanup_free_ char *rel = strdup(path + strspn(path, "/"));

        if (!rel)
                return -ENOMEM;
        for (char *p = rel; *p;) {
                char *end = p + strcspn(p, "/"), saved = *end;
                bool last = end[strspn(end, "/")] == 0;
                int r;

                *end = 0;
                r = make_one_in_root(root_fd, rel, p, last && file);
                *end = saved;
                if (r < 0)
                        return r;
                p = end + strspn(end, "/");
        }
        return 0;
}

/* A bind of a file, a device node or a socket is mounted on a file; of a directory, on one. */
static bool is_non_directory(const char *path) {
        struct stat st;

        return path && stat(path, &st) >= 0 && !S_ISDIR(st.st_mode);
}

/* nspawn makes mount points itself, but not in a --read-only root; docker makes them in the
 * container's layer too. Its own API file systems need theirs as well, and docker makes a missing
 * working directory. */
int rt_mountpoints_prepare(const ServicePaths *p, const ServiceSpec *s, const char *working_dir, NcError *reterr) {
        const char *const api[] = { "/proc", "/sys", "/dev", "/run", "/tmp", working_dir ?: "/" };
        _cleanup_close_ int root_fd = -EBADF;
        int r;

        assert(p);
        assert(s);

        root_fd = open(p->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return nc_error_set(reterr, -errno, "%s: %m", p->root);
        for (size_t i = 0; i < ELEMENTSOF(api); i++) {
                r = make_in_root(root_fd, api[i], false);
                if (r < 0)
                        return nc_error_set(reterr, r, "%s in the container: %m", api[i]);
        }
        for (size_t i = 0; i < s->n_mounts; i++) {
                const ServiceMount *m = &s->mounts[i];

                r = make_in_root(root_fd, m->target, m->copy || is_non_directory(m->source));
                if (r < 0)
                        return nc_error_set(reterr, r, "mount point %s in the container: %m", m->target);
        }
        return 0;
}

/* A credential is where systemd put it for our unit (systemd.exec(5) $CREDENTIALS_DIRECTORY). */
static int mount_copy_source(const ServiceMount *m, char **ret, NcError *reterr) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");

        if (!m->credential) {
                *ret = strdup(m->source);
                return *ret ? 0 : -ENOMEM;
        }
        if (isempty(dir))
                return nc_error_set(reterr, -ENOENT, "credential '%s' (for %s): not passed to the unit "
                                    "($CREDENTIALS_DIRECTORY is not set)", m->credential, m->target);
        *ret = path_join(dir, m->credential);
        return *ret ? 0 : -ENOMEM;
}

static int copy_file_owned(const ServiceMount *m, const char *to, NcError *reterr) {
        _cleanup_free_ char *data = NULL, *from = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size = 0;
        ssize_t n;
        int r;

        r = mount_copy_source(m, &from, reterr);
        if (r < 0)
                return r;
        r = read_full_file_max(from, INPUT_FILE_SIZE_MAX, &data, &size);
        if (r < 0)
                return nc_error_set(reterr, r, "%s (for %s): %m", from, m->target);
        fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return nc_error_set(reterr, -errno, "%s: %m", to);
        n = write(fd, data, size);
        if (n < 0)
                return nc_error_set(reterr, -errno, "%s: %m", to);
        if ((size_t) n != size)         /* a short write sets no errno */
                return nc_error_set(reterr, -EIO, "%s: %m", to);
        if (fchown(fd, m->uid, m->gid) < 0)
                return nc_error_set(reterr, -errno, "%s: %m", to);
        if (fchmod(fd, m->mode) < 0)
                return nc_error_set(reterr, -errno, "%s: %m", to);
        return 0;
}

int rt_files_prepare(const ServicePaths *p, const ServiceSpec *s, NcError *reterr) {
        bool made = false;
        int r;

        assert(p);
        assert(s);

        r = rm_rf(p->files);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", p->files);
        for (size_t i = 0; i < s->n_mounts; i++) {
                _cleanup_free_ char *to = NULL;

                if (!s->mounts[i].copy)
                        continue;
                if (!made && (r = mkdir_parents_and_self(p->files, 0700)) < 0)
                        return nc_error_set(reterr, r, "%s: %m", p->files);
                made = true;
                if (service_mount_copy_path(p->files, s->mounts[i].target, &to) < 0)
                        return -ENOMEM;
                r = copy_file_owned(&s->mounts[i], to, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

int rt_user_helper_install(const ServicePaths *p, NcError *reterr) {
        _cleanup_free_ char *old = NULL;
        size_t size = 0;
        int r;

        assert(p);

        if (read_full_file(p->user_helper, &old, &size) >= 0 && size == rt_user_helper_size &&
            memcmp(old, rt_user_helper, size) == 0)
                return 0;
        r = write_file_atomic(p->user_helper, rt_user_helper, rt_user_helper_size, 0755);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", p->user_helper);
        return 0;
}

int rt_environment_write(const ServicePaths *p, const ServiceSpec *s, const ImageConfig *img, NcError *reterr) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        assert(p);
        assert(s);

        r = service_env_file_text(s, img, &text, &size);
        if (r < 0)
                return r;
        r = write_file_atomic(p->environment, text, size, 0600);
        if (r < 0)
                return nc_error_set(reterr, r, "%s: %m", p->environment);
        return 0;
}

static int rootfs_export(const ServicePaths *p, int out_fd, NcError *reterr) {
        _cleanup_free_ char *mnt = NULL, *options = NULL;
        bool has_upper = access(p->upper, F_OK) >= 0;
        int status;
        pid_t pid;

        assert(p);

        if (asprintf(&mnt, NC_RUNTIME_DIR "/.export-XXXXXX") < 0)
                return -ENOMEM;
        if (mkdir_parents_and_self(NC_RUNTIME_DIR, 0755) < 0 || !mkdtemp(mnt))
                return nc_error_set(reterr, -errno, "cannot make a mount point for the export: %m");
        /* the writable layer over the image, both as lower layers: read-only, whiteouts honoured;
         * without a layer (never started), the image alone */
        if (has_upper && asprintf(&options, "lowerdir=%s:%s", p->upper, p->lower) < 0) {
                (void) rmdir(mnt);
                return -ENOMEM;
        }
        pid = fork();
        if (pid < 0) {
                (void) rmdir(mnt);
                return nc_error_set(reterr, -errno, "fork: %m");
        }
        if (pid == 0) {
                /* the overlay lives in this child's mount namespace and goes with it */
                if (rt_mount_namespace() < 0 ||
                    (options && mount("overlay", mnt, "overlay", MS_RDONLY, options) < 0) ||
                    dup2(out_fd, STDOUT_FILENO) < 0)
                        _exit(125);
                execlp("tar", "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--one-file-system",
                       "-C", options ? mnt : p->lower, "-cf", "-", ".", (char *) NULL);
                _exit(127);
        }
        status = wait_for_status(pid);
        (void) rmdir(mnt);
        if (status == 125)
                return nc_error_set(reterr, -EIO, "cannot mount the service's root for the export");
        if (status != 0)
                return nc_error_set(reterr, -EIO, "tar exited with status %d", status);
        return 0;
}

int service_rootfs_export(const ServiceSpec *s, const ServiceRunOptions *o, int out_fd, NcError *reterr) {
        _cleanup_(service_paths_done) ServicePaths p = {};
        _cleanup_free_ char *digest = NULL, *dir = NULL;
        const char *store = o ? o->store : NULL;
        int r;

        assert(s);

        if (isempty(s->image_digest)) {
                r = image_resolve(store, s->image, &digest, reterr);
                if (r < 0)
                        return r;
        }
        r = image_store_path(store, digest ?: s->image_digest, &dir, reterr);
        if (r < 0)
                return r;
        r = service_paths_init(&p, s, o, dir);
        if (r < 0)
                return r;
        if (access(p.lower, F_OK) < 0)
                return nc_error_set(reterr, -errno, "image %s of '%s': %s: %m", s->image, s->service, p.lower);
        return rootfs_export(&p, out_fd, reterr);
}
