/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>

#include "cmd/cmd.h"
#include "healthd/health.h"
#include "lib/copy.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/safe-open.h"
#include "reconcile/bus.h"
#include "reconcile/names.h"

/* cp SERVICE:SRC DEST, cp SRC SERVICE:DEST: docker compose cp between a service's machine and the
 * host. The machine is hostile: its side is reached through the root of its leader (/proc/PID/root
 * opened under a pidfd, health_leader_open()), the path given resolved inside it (openat2
 * RESOLVE_IN_ROOT: no symlink or ".." leaves it), and the tree walked by fds with O_NOFOLLOW at every
 * entry (lib/copy.h): symlinks are copied as symlinks, never followed; FIFOs, devices and sockets
 * are skipped with a warning; nothing is created outside DEST, and an existing name in the machine
 * is replaced by a rename, never opened. Files created take root's ownership (copy in) or ours
 * (copy out), the source's with -a, as docker's. */

const CmdOption cmd_cp_options[] = {
        { "archive",     'a', NULL, 'a', "Archive mode (copy all uid/gid information)" },
        { "follow-link", 'L', NULL, 'L', "Always follow symbol link in SRC_PATH" },
        { "index",       0,   "N",  'i', "Index of the container (only 1: one machine per service)" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_HELP,
        {}
};

typedef struct CpArgs {
        bool archive, follow;
} CpArgs;

static int parse_cp_option(int id, const char *arg, void *userdata) {
        CpArgs *a = userdata;

        switch (id) {
        case 'a':
                a->archive = true;
                return 0;
        case 'L':
                a->follow = true;
                return 0;
        case 'i':
                return cmd_parse_index(id, arg);
        }
        return 0;
}

/* "web:/etc/x": the service, as docker splits it (a colon before any slash). */
static char *split_service(const char *arg, const char **ret_path) {
        const char *colon = strchr(arg, ':');

        if (!colon || memchr(arg, '/', colon - arg) || colon == arg)
                return NULL;
        *ret_path = colon + 1;
        return strndup(arg, colon - arg);
}

/* The last component of @path ("" for "/" or a path ending in "/."), and whether it asks for a
 * directory's contents ("dir/."). */
static const char *last_component(const char *path, char buf[static NAME_MAX + 1], bool *ret_contents) {
        size_t n = strlen(path);

        *ret_contents = false;
        while (n > 1 && path[n - 1] == '/')
                n--;
        if (n >= 2 && path[n - 1] == '.' && path[n - 2] == '/') {
                *ret_contents = true;
                return "";
        }
        size_t start = n;
        while (start > 0 && path[start - 1] != '/')
                start--;
        if (n - start > NAME_MAX)
                return NULL;
        memcpy(buf, path + start, n - start);
        buf[n - start] = 0;
        if (streq(buf, ".") || streq(buf, "/"))
                buf[0] = 0;
        return buf;
}

static void warn_skipped(const char *path, mode_t mode, void *userdata) {
        (void) userdata;
        log_warning("Skipping %s: %s (only files, directories and symlinks are copied)", path,
                    S_ISFIFO(mode) ? "a FIFO" : S_ISSOCK(mode) ? "a socket" : S_ISCHR(mode) || S_ISBLK(mode) ?
                    "a device" : S_ISDIR(mode) ? "a kernel file system" : "a special file");
}

/* Opens @path below @root_fd (the machine's root; AT_FDCWD: the host): *ret_fd readable (a
 * directory or a regular file, O_NONBLOCK) or, for a symlink not followed, -EBADF with its target
 * in @target. *st is what was opened. */
static int open_source(int root_fd, const char *path, bool follow, int *ret_fd, struct stat *st,
                       char target[static PATH_MAX]) {
        _cleanup_close_ int pfd = -EBADF, fd = -EBADF;
        int nofollow = follow ? 0 : O_NOFOLLOW;
        ssize_t n;

        pfd = root_fd == AT_FDCWD ? open(path, O_PATH | O_CLOEXEC | nofollow) :
                                    open_in_root(root_fd, path, O_PATH | nofollow, 0);
        if (pfd < 0)
                return root_fd == AT_FDCWD ? -errno : pfd;
        if (fstat(pfd, st) < 0)
                return -errno;
        if (S_ISLNK(st->st_mode)) {
                n = readlinkat(pfd, "", target, PATH_MAX);
                if (n < 0)
                        return -errno;
                if (n >= PATH_MAX)
                        return -ENAMETOOLONG;
                target[n] = 0;
                *ret_fd = -EBADF;
                return 0;
        }
        /* the inode looked at, and only a directory or a regular file: never a device or FIFO */
        if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode))
                return -EBADFD;
        fd = fd_reopen(pfd, O_RDONLY | O_NONBLOCK | (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0));
        if (fd < 0)
                return fd;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The directory to create the copy in, and its name there: DEST itself when it is a directory
 * (the copy takes the source's name), else DEST's parent (the copy takes DEST's name). */
static int open_dest(int root_fd, const char *dest, const char *src_name, int *ret_dir, char **ret_name) {
        _cleanup_free_ char *parent = NULL;
        char buf[NAME_MAX + 1];
        const char *name;
        bool contents;
        int fd;

        fd = root_fd == AT_FDCWD ? open(dest, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC) :
                                   open_in_root(root_fd, dest, O_RDONLY | O_DIRECTORY | O_NONBLOCK, 0);
        if (fd >= 0) {
                *ret_dir = fd;
                *ret_name = strdup(src_name);
                return *ret_name ? 0 : -ENOMEM;
        }
        name = last_component(dest, buf, &contents);
        if (!name || isempty(name) || streq(name, ".."))
                return -ENOTDIR;
        parent = path_dirname(dest);
        if (!parent)
                return -ENOMEM;
        fd = root_fd == AT_FDCWD ? open(parent, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC) :
                                   open_in_root(root_fd, parent, O_RDONLY | O_DIRECTORY | O_NONBLOCK, 0);
        if (fd < 0)
                return root_fd == AT_FDCWD ? -errno : fd;
        *ret_dir = fd;
        *ret_name = strdup(name);
        return *ret_name ? 0 : -ENOMEM;
}

static int copy(int src_root, const char *src, int dst_root, const char *dst, const CpArgs *a) {
        CopyOptions o = {
                .keep_owner = a->archive,
                .uid = dst_root == AT_FDCWD ? getuid() : 0,
                .gid = dst_root == AT_FDCWD ? getgid() : 0,
                .replace = true,
                .skipped = warn_skipped,
        };
        _cleanup_close_ int fd = -EBADF, dir = -EBADF;
        _cleanup_free_ char *name = NULL;
        char target[PATH_MAX], buf[NAME_MAX + 1];
        const char *src_name;
        bool contents;
        struct stat st;
        int r;

        src_name = last_component(src, buf, &contents);
        if (!src_name || streq(src_name, ".."))
                return log_error_errno(-EINVAL, "Cannot copy %s: name it by a path that does not end in \"..\".", src);
        r = open_source(src_root, src, a->follow, &fd, &st, target);
        if (r == -EBADFD)
                return log_error_errno(r, "Cannot copy %s: neither a file, a directory nor a symlink.", src);
        if (r < 0)
                return log_error_errno(r, "Could not find the file %s: %m", src);
        if (isempty(src_name))
                contents = S_ISDIR(st.st_mode);         /* "/" or "dir/.": what it holds */
        r = open_dest(dst_root, dst, isempty(src_name) ? "." : src_name, &dir, &name);
        if (r < 0)
                return log_error_errno(r, "Cannot copy to %s: %m", dst);
        if (contents && streq(name, "."))
                r = copy_dir_contents(fd, dir, &o);
        else if (streq(name, "."))
                r = -EISDIR;
        else if (fd < 0)
                r = copy_symlink_at(target, &st, dir, name, &o);
        else
                r = copy_fd_at(fd, &st, dir, name, &o);
        if (r < 0)
                return log_error_errno(r, "Copying %s to %s failed: %m", src, dst);
        return 0;
}

int cmd_cp(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(health_leader_done) HealthLeader l = { .pidfd = -EBADF, .root_fd = -EBADF, .netns_fd = -EBADF };
        _cleanup_free_ char *from = NULL, *to = NULL, *machine = NULL, *what = NULL;
        const char *src, *dst, *service;
        CpArgs a = {};
        NcError err = {};
        pid_t leader;
        int r;

        r = cmd_parse(argc, argv, g, parse_cp_option, &a);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (argc - optind != 2)
                return log_error("\"nspawn-compose cp\" requires exactly 2 arguments."), CMD_EXIT_ERROR;
        if (cmd_load_project(g, &p) < 0)
                return CMD_EXIT_ERROR;
        src = argv[optind];
        dst = argv[optind + 1];
        from = split_service(argv[optind], &src);
        to = split_service(argv[optind + 1], &dst);
        if (from && to)
                return log_error("copying between services is not supported"), CMD_EXIT_ERROR;
        if (!from && !to)
                return log_error("unknown copy direction"), CMD_EXIT_ERROR;
        if (streq(src, "-") || streq(dst, "-"))
                return log_error("cp: a tar stream (\"-\") is not supported"), CMD_EXIT_ERROR;
        service = from ?: to;
        if (!cmd_service_known(p, service))
                return log_error("no such service: %s", service), CMD_EXIT_ERROR;
        machine = cmd_machine(p, service);
        if (!machine)
                return log_error("No machine name for service '%s'.", service), CMD_EXIT_ERROR;
        /* docker compose's progress: "copy P.web:/etc/x to x  Copied" */
        if (asprintf(&what, "%s%s%s to %s%s%s", from ? machine : "", from ? ":" : "", src, to ? machine : "",
                     to ? ":" : "", dst) < 0)
                return log_oom(), CMD_EXIT_ERROR;
        cmd_progress(g, "copy", what, "Copying");
        if (g->dry_run) {
                cmd_progress(g, "copy", what, "Copied");
                return 0;
        }
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = bus_machine_leader(bus, machine, &leader);
        if (r < 0)
                return log_error_errno(r, "service \"%s\" is not running (machine %s): %m", service, machine),
                        CMD_EXIT_ERROR;
        r = health_leader_open(leader, &l, &err);
        if (r < 0)
                return cmd_log_error(r, &err), CMD_EXIT_ERROR;
        r = from ? copy(l.root_fd, src, AT_FDCWD, dst, &a) : copy(AT_FDCWD, src, l.root_fd, dst, &a);
        if (r < 0)
                return CMD_EXIT_ERROR;
        cmd_progress(g, "copy", what, "Copied");
        return 0;
}
