/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <termios.h>

#include "cmd/cmd.h"
#include "healthd/health.h"
#include "lib/cgroup-util.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/process.h"
#include "lib/safe-open.h"
#include "lib/strv.h"
#include "reconcile/bus.h"
#include "reconcile/names.h"
#include "reconcile/reconcile.h"
#include "reconcile/runtime/runtime.h"

/* exec SERVICE CMD...: runs a command inside the service's machine as docker compose exec does, and
 * exactly as the payload runs (healthd's health_spawn(), which exec probes use too): its
 * namespaces, root, capabilities, no_new_privs and seccomp filter, inside the unit's cgroup, with
 * the environment run-service gives the payload (S.json and the image config, never anything read
 * from the machine) plus -e. The machine controls everything in it: nothing on the host side reads,
 * executes or waits on a file of the machine, and the command gets no fd of ours but its stdio,
 * never our terminal: with a tty it gets a pty of the machine's own devpts, without one pipes stand
 * in for any terminal we have. The exit status is the command's (126/127 when it cannot run). */

typedef struct ExecArgs {
        CmdCommandArgs cmd;             /* -e K=V added to the service's environment, -u, -w, -d */
        bool no_tty;
} ExecArgs;

static void exec_args_done(ExecArgs *a) {
        cmd_command_args_done(&a->cmd);
}

const CmdOption cmd_exec_options[] = {
        { "detach",     'd', NULL,          'd', "Detached mode: run the command in the background" },
        { "env",        'e', "KEY[=VALUE]", 'e', "Set an environment variable (repeatable)" },
        { "no-TTY",     'T', NULL,          'T', "Disable pseudo-TTY allocation (default: a TTY when stdin is one)" },
        { "user",       'u', "USER[:GROUP]", 'u', "Run the command as this user" },
        { "workdir",    'w', "DIR",         'w', "Working directory of the command" },
        { "index",      0,   "N",           'i', "Index of the container (only 1: one machine per service)" },
        CMD_OPTION_DRY_RUN,
        CMD_OPTION_HELP,
        {}
};

static int parse_exec_option(int id, const char *arg, void *userdata) {
        ExecArgs *a = userdata;
        int r = cmd_parse_command_option(id, arg, &a->cmd);

        if (r != 0)
                return r < 0 ? r : 0;
        switch (id) {
        case 'T':
                a->no_tty = true;
                return 0;
        case 'i':
                return cmd_parse_index(id, arg);
        }
        return 0;
}

static int load_image_config(const ServiceSpec *s, ImageConfig **ret) {
        _cleanup_free_ char *digest = NULL;
        NcError err = {};
        int r;

        if (isempty(s->image_digest)) {
                r = image_resolve(NULL, s->image, &digest, &err);
                if (r < 0)
                        return cmd_log_error(r, &err);
        }
        r = image_config_load(NULL, digest ?: s->image_digest, ret, &err);
        return r < 0 ? cmd_log_error(r, &err) : 0;
}

/* The payload's environment, then -e: "K=V" replaces K or is added; "K" alone takes our value of
 * K, as docker does (and is skipped when we have none). */
static int exec_environment(const ServiceSpec *s, const ImageConfig *img, char **extra, char ***ret) {
        _cleanup_strv_free_ char **env = NULL;
        int r;

        r = service_merge_env(s, img, &env);
        if (r < 0)
                return r;
        STRV_FOREACH(e, extra) {
                _cleanup_free_ char *kv = NULL;
                size_t klen = strcspn(*e, "=");
                bool replaced = false;

                if ((*e)[klen] == '=')
                        kv = strdup(*e);
                else if (getenv(*e))
                        (void) asprintf(&kv, "%s=%s", *e, getenv(*e));
                else
                        continue;
                if (!kv)
                        return -ENOMEM;
                for (size_t i = 0; env && env[i] && !replaced; i++)
                        if (strncmp(env[i], kv, klen + 1) == 0) {
                                free_and_replace_ptr(&env[i], TAKE_PTR(kv));
                                replaced = true;
                        }
                if (!replaced && strv_consume(&env, TAKE_PTR(kv)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(env);
        return 0;
}

/* <unit cgroup>/exec, from systemd's ControlGroup= of the unit (not from anything the machine could
 * have moved): the unit's device policy and limits apply to the command. -EOPNOTSUPP without the
 * unified hierarchy. */
static int open_exec_cgroup(const char *unit, char **ret_dir, int *ret_fd) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *object = NULL, *cg = NULL, *dir = NULL, *procs = NULL;
        int r, fd;

        if (!cg_all_unified())
                return -EOPNOTSUPP;
        r = bus_open_systemd(&bus);
        if (r < 0)
                return r;
        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &object);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", object,
                                       "org.freedesktop.systemd1.Service", "ControlGroup", &error, &cg);
        if (r < 0)
                return r;
        if (isempty(cg))
                return -ESRCH;
        if (asprintf(&dir, CGROUP_FS_ROOT "%s/exec", cg) < 0 || !(procs = path_join(dir, "cgroup.procs")))
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_dir = TAKE_PTR(dir);
        *ret_fd = fd;
        return 0;
}

/* Without the unified hierarchy: the payload's cgroup in every hierarchy, from the kernel's
 * /proc/PID/cgroup of the leader (so the v1 devices controller applies). We join them ourselves
 * before the spawn; the helper and the command inherit them. */
static int join_leader_cgroups_v1(pid_t leader) {
        _cleanup_strv_free_ char **lines = NULL;
        int r;

        r = cg_pid_cgroup_lines(leader, &lines);
        if (r < 0)
                return r;
        STRV_FOREACH(l, lines) {
                _cleanup_free_ char *dir = NULL;
                const char *controllers = strchr(*l, ':'), *cg;

                if (!controllers || !(cg = strchr(controllers + 1, ':')))
                        continue;
                controllers++;
                if (startswith(controllers, "name="))
                        controllers += strlen("name=");
                if (cg == controllers)
                        r = asprintf(&dir, CGROUP_FS_ROOT "/unified%s", cg + 1);
                else
                        r = asprintf(&dir, CGROUP_FS_ROOT "/%.*s%s", (int) (cg - controllers), controllers, cg + 1);
                if (r < 0)
                        return -ENOMEM;
                if (access(dir, F_OK) < 0)
                        continue;       /* a hierarchy not mounted here */
                r = cg_write_attr(dir, "cgroup.procs", "0");
                if (r == -EROFS || r == -EACCES)
                        log_debug_errno(r, "Cannot join %s, staying where we are: %m", dir);
                else if (r < 0)
                        return r;
        }
        return 0;
}

/* A pty of the machine's own devpts (its /dev/pts/ptmx, opened through O_PATH and checked to be the
 * ptmx device before it is opened for real): the command's terminal is the machine's, not ours. */
static int open_machine_pty(const HealthLeader *l, int *ret_master, int *ret_slave) {
        _cleanup_close_ int path_fd = -EBADF, master = -EBADF;
        char proc[64];
        struct stat st;
        int unlock = 0, slave;

        path_fd = open_in_root(l->root_fd, "dev/pts/ptmx", O_PATH, 0);
        if (path_fd < 0)
                return path_fd;
        if (fstat(path_fd, &st) < 0)
                return -errno;
        if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
                return -EBADFD;
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", path_fd);
        master = open(proc, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return -errno;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return -errno;
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return -errno;
        *ret_master = TAKE_FD(master);
        *ret_slave = slave;
        return 0;
}

/* Bytes from src to dst until src ends; dst is closed then when we own it (the command's stdin). */
typedef struct Pipe {
        int src, dst;
        bool close_dst, to_command;
} Pipe;

/* Until the helper (@pidfd) has exited and everything from the command has been passed on. */
static void relay(Pipe *pipes, size_t n, int pidfd) {
        bool exited = false;

        for (;;) {
                struct pollfd p[4];
                size_t open_from_command = 0;

                for (size_t i = 0; i < n; i++) {
                        p[i] = (struct pollfd) { .fd = pipes[i].src, .events = POLLIN };
                        open_from_command += pipes[i].src >= 0 && !pipes[i].to_command;
                }
                if (exited && open_from_command == 0)
                        return;
                p[n] = (struct pollfd) { .fd = exited ? -1 : pidfd, .events = POLLIN };
                if (poll(p, n + 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                exited = exited || p[n].revents;
                for (size_t i = 0; i < n; i++) {
                        char buf[8192];
                        ssize_t k;

                        if (pipes[i].src < 0 || !p[i].revents)
                                continue;
                        k = read(pipes[i].src, buf, sizeof buf);
                        if (k < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (k > 0 && write(pipes[i].dst, buf, k) == k)
                                continue;
                        /* EOF, EIO (the pty's last user left) or a failed write: this direction ends */
                        pipes[i].src = -EBADF;
                        if (pipes[i].close_dst)
                                pipes[i].dst = (close(pipes[i].dst), -EBADF);
                }
        }
}

typedef struct ExecIo {
        int stdio[3];                   /* what the command gets */
        int ours[3];                    /* our ends, closed at the end */
        Pipe pipes[3];
        size_t n_pipes;
        bool tty;
        bool raw;
        struct termios saved;
} ExecIo;

/* Once the command has them, its ends are its own: EOF and EIO reach us when it is done. */
static void exec_io_close_command_ends(ExecIo *io) {
        for (size_t i = 0; i < 3; i++) {
                int fd = io->stdio[i];

                if (fd <= 2)
                        continue;
                for (size_t j = i; j < 3; j++)
                        if (io->stdio[j] == fd)
                                io->stdio[j] = -EBADF;
                close(fd);
        }
}

static void exec_io_done(ExecIo *io) {
        exec_io_close_command_ends(io);
        for (size_t i = 0; i < 3; i++)
                if (io->ours[i] >= 0)
                        io->ours[i] = (close(io->ours[i]), -EBADF);
        if (io->raw)
                (void) tcsetattr(STDIN_FILENO, TCSADRAIN, &io->saved);
}

/* With a tty: the machine's pty, our terminal in raw mode, relayed both ways. */
static int exec_io_tty(const HealthLeader *l, ExecIo *io) {
        struct winsize ws;
        struct termios raw;
        int master, slave, r;

        r = open_machine_pty(l, &master, &slave);
        if (r < 0)
                return r;
        io->tty = true;
        io->ours[0] = master;
        io->stdio[0] = slave;
        io->stdio[1] = io->stdio[2] = slave;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) >= 0)
                (void) ioctl(master, TIOCSWINSZ, &ws);
        if (tcgetattr(STDIN_FILENO, &io->saved) >= 0) {
                raw = io->saved;
                cfmakeraw(&raw);
                io->raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) >= 0;
        }
        io->pipes[io->n_pipes++] = (Pipe) { .src = STDIN_FILENO, .dst = master, .to_command = true };
        io->pipes[io->n_pipes++] = (Pipe) { .src = master, .dst = STDOUT_FILENO };
        return 0;
}

/* Without: our stdio as it is, except that a terminal is never handed in: a pipe stands in for it. */
static int exec_io_pipes(ExecIo *io) {
        for (int fd = 0; fd < 3; fd++) {
                int p[2];

                io->stdio[fd] = fd;
                if (!isatty(fd))
                        continue;
                if (pipe2(p, O_CLOEXEC) < 0)
                        return -errno;
                if (fd == STDIN_FILENO) {
                        io->stdio[fd] = p[0];
                        io->ours[fd] = p[1];
                        io->pipes[io->n_pipes++] = (Pipe) { .src = fd, .dst = p[1], .close_dst = true,
                                                            .to_command = true };
                } else {
                        io->stdio[fd] = p[1];
                        io->ours[fd] = p[0];
                        io->pipes[io->n_pipes++] = (Pipe) { .src = p[0], .dst = fd };
                }
        }
        return 0;
}

static int exec_io_null(ExecIo *io) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (null < 0)
                return -errno;
        io->ours[0] = null;
        io->stdio[0] = io->stdio[1] = io->stdio[2] = null;
        return 0;
}

/* The helper's status is the command's. */
static int wait_helper(pid_t pid) {
        int r = wait_for_status(pid);

        return r < 0 ? log_error_errno(r, "Waiting for the command failed: %m"), HEALTH_EXIT_CANNOT_RUN : r;
}

typedef struct ExecTarget {
        char *machine, *unit;
        ServiceSpec *spec;
        ImageConfig *image;
        HealthLeader leader;
        char *cgroup;
        int cgroup_fd;
} ExecTarget;

static void exec_target_done(ExecTarget *t) {
        free(t->machine);
        free(t->unit);
        service_spec_free(t->spec);
        image_config_free(t->image);
        health_leader_done(&t->leader);
        free(t->cgroup);
        if (t->cgroup_fd >= 0)
                close(t->cgroup_fd);
}

/* The running machine of @service and what its payload runs with. */
static int exec_target_open(CmdGlobal *g, const char *service, ExecTarget *t) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        NcError err = {};
        pid_t leader;
        int r;

        r = cmd_load_project(g, &p);
        if (r < 0)
                return r;
        if (!cmd_service_known(p, service))
                return log_error_errno(-ENOENT, "No such service: '%s'.", service);
        t->unit = name_service_unit(p->name, service);
        if (!t->unit)
                return log_oom();
        r = cmd_load_settings(p->name, service, &t->spec);
        if (r < 0)
                return r;
        t->machine = strdup(t->spec->machine);  /* as installed: container_name may name it */
        if (!t->machine)
                return log_oom();
        r = load_image_config(t->spec, &t->image);
        if (r < 0)
                return r;
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = bus_machine_leader(bus, t->machine, &leader);
        if (r < 0)
                return log_error_errno(r, "Service '%s' is not running (machine %s): %m", service, t->machine);
        /* nspawn's stub init: the payload's namespaces, root, filter and (as root) capabilities; the
         * user switch then gives the command what the payload has as that user */
        r = health_leader_open(leader, &t->leader, &err);
        if (r < 0)
                return cmd_log_error(r, &err);
        r = open_exec_cgroup(t->unit, &t->cgroup, &t->cgroup_fd);
        if (r == -EOPNOTSUPP)
                r = join_leader_cgroups_v1(leader);
        if (r < 0)
                return log_error_errno(r, "Cannot enter the cgroup of %s: %m", t->unit);
        return 0;
}

int cmd_exec(int argc, char *argv[], CmdGlobal *g) {
        _cleanup_(exec_args_done) ExecArgs a = {};
        _cleanup_(exec_target_done) ExecTarget t = { .leader.pidfd = -EBADF, .leader.root_fd = -EBADF,
                                                     .leader.netns_fd = -EBADF, .cgroup_fd = -EBADF };
        _cleanup_(exec_io_done) ExecIo io = { .ours = { -EBADF, -EBADF, -EBADF } };
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        pid_t helper;
        int r;

        /* options end at the service name (CmdVerb.options_end_at_args): the command's are its own */
        r = cmd_parse(argc, argv, g, parse_exec_option, &a);
        if (r <= 0)
                return cmd_parse_exit(r);
        if (argc - optind < 2)
                return log_error("requires at least 2 arg(s), only received %d", argc - optind), CMD_EXIT_ERROR;
        r = exec_target_open(g, argv[optind], &t);
        if (r < 0)
                return 1;
        r = exec_environment(t.spec, t.image, a.cmd.env, &env);
        if (r < 0)
                return log_oom(), 1;

        if (a.cmd.detach)
                r = exec_io_null(&io);
        else if (!a.no_tty && isatty(STDIN_FILENO))
                r = exec_io_tty(&t.leader, &io);
        else
                r = exec_io_pipes(&io);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the command's stdio: %m"), 1;

        fflush(stdout);
        r = health_spawn(&t.leader, &(HealthSpawn) {
                                 .argv = argv + optind + 1, .envp = env,
                                 .user = a.cmd.user ?: service_user(t.spec, t.image),
                                 .working_dir = a.cmd.workdir ?: service_working_dir(t.spec, t.image),
                                 .stdio = { io.stdio[0], io.stdio[1], io.stdio[2] },
                                 .cgroup_procs_fd = t.cgroup_fd,
                                 .controlling_tty = io.tty,
                                 .die_with_parent = !a.cmd.detach,
                                 .tag = "nspawn-compose exec",
                         }, &helper);
        if (r < 0)
                return log_error_errno(r, "Cannot start the command: %m"), 1;
        if (a.cmd.detach)
                return 0;
        exec_io_close_command_ends(&io);
        pidfd = pidfd_open(helper, 0);
        if (pidfd < 0)
                return log_error_errno(-errno, "pidfd_open: %m"), wait_helper(helper);
        relay(io.pipes, io.n_pipes, pidfd);
        return wait_helper(helper);
}
