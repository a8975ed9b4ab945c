/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/seccomp-util.h"
#include "tests/bench/bench-probe-container.h"

static int write_file(const char *root, const char *name, const char *text) {
        char path[PATH_MAX];
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", root, name);
        f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        return fclose(f) == 0 ? 0 : -errno;
}

static int copy_busybox(const char *root) {
        char cmd[PATH_MAX * 2 + 64];

        snprintf(cmd, sizeof cmd, "cp /bin/busybox '%s/bin/busybox'", root);
        return system(cmd) == 0 ? 0 : -EIO;
}

/* One symlink per applet, as "busybox --install -s" would make. */
static int link_applets(const char *root) {
        char line[256], path[PATH_MAX];
        FILE *p = popen("/bin/busybox --list", "re");

        if (!p)
                return -errno;
        while (fgets(line, sizeof line, p)) {
                line[strcspn(line, "\n")] = 0;
                if (!*line || strcmp(line, "busybox") == 0)
                        continue;
                snprintf(path, sizeof path, "%s/bin/%s", root, line);
                (void) symlink("busybox", path);
        }
        return pclose(p) == 0 ? 0 : -EIO;
}

static int make_rootfs(char *root, size_t size) {
        const char *dirs[] = { "bin", "dev", "etc", "proc", "tmp", "work", "home", "home/probe" };
        char path[PATH_MAX];
        int r;

        if (access("/bin/busybox", X_OK) < 0)
                return -ENOENT;
        snprintf(root, size, "/tmp/nc-probe-root-XXXXXX");
        if (!mkdtemp(root) || chmod(root, 0755) < 0)
                return -errno;
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
                snprintf(path, sizeof path, "%s/%s", root, dirs[i]);
                if (mkdir(path, 0755) < 0)
                        return -errno;
        }
        r = copy_busybox(root);
        if (r >= 0)
                r = link_applets(root);
        if (r >= 0)
                r = write_file(root, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                               "probe:x:1234:2345:Probe:/home/probe:/bin/sh\n");
        if (r >= 0)
                r = write_file(root, "dev/null", "");  /* the mount point for /dev/null */
        if (r >= 0)
                r = write_file(root, "etc/group", "root:x:0:\nprobe:x:2345:\nextra:x:777:probe\n");
        return r;
}

/* pid 1 of the container: reap whatever is orphaned to us until killed. */
static int drop_effective(uint64_t caps) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        if (syscall(SYS_capget, &h, d) < 0)
                return -errno;
        for (unsigned i = 0; i < 2; i++) {
                d[i].effective &= ~(uint32_t) (caps >> (32 * i));
                d[i].permitted &= ~(uint32_t) (caps >> (32 * i));
                d[i].inheritable = 0;
        }
        return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static _Noreturn void run_init(const char *root, int ready_fd) {
        char proc[PATH_MAX], null[PATH_MAX];
        SyscallFilter filter;
        sigset_t mask, none;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        snprintf(proc, sizeof proc, "%s/proc", root);
        snprintf(null, sizeof null, "%s/dev/null", root);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
            mount("/dev/null", null, NULL, MS_BIND, NULL) < 0 ||
            chroot(root) < 0 || chdir("/") < 0 ||
            sethostname(PROBE_CONTAINER_HOSTNAME, strlen(PROBE_CONTAINER_HOSTNAME)) < 0)
                _exit(1);
        for (unsigned cap = 0; cap < 64; cap++)
                if (PROBE_CONTAINER_DROPPED_CAPS & (UINT64_C(1) << cap))
                        (void) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
        /* as systemd-nspawn confines its container: nothing outside the bounding set, and its filter */
        if (drop_effective(PROBE_CONTAINER_DROPPED_CAPS) < 0)
                _exit(1);
        if (syscall_filter_build(~PROBE_CONTAINER_DROPPED_CAPS, &filter) < 0 || syscall_filter_install(&filter) < 0)
                _exit(1);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sigemptyset(&none);
        (void) !write(ready_fd, "1", 1);
        close(ready_fd);
        for (;;) {
                siginfo_t si;

                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                (void) sigtimedwait(&mask, &si, &(struct timespec) { .tv_sec = 1 });
        }
}

/* The helper: unshares, forks pid 1, tells the parent its pid once it is ready, and lives as long
 * as it does. */
static _Noreturn void run_helper(const char *root, int ready_fd) {
        int fds[2], status;
        char ok;
        pid_t pid;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWIPC) < 0 ||
            pipe2(fds, O_CLOEXEC) < 0)
                _exit(2);
        pid = fork();
        if (pid < 0)
                _exit(3);
        if (pid == 0) {
                close(fds[0]);
                run_init(root, fds[1]);
        }
        close(fds[1]);
        if (read(fds[0], &ok, 1) != 1)
                _exit(4);
        (void) !write(ready_fd, &pid, sizeof pid);
        close(ready_fd);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        _exit(0);
}

static int wait_ready(ProbeContainer *c, int fd) {
        if (read(fd, &c->leader, sizeof c->leader) != sizeof c->leader)
                return -EPERM;          /* the helper exited: no namespaces for us */
        return 0;
}

int probe_container_start(ProbeContainer *ret) {
        ProbeContainer c = {};
        sigset_t mask;
        int fds[2], r;

        /* for the probes' sd-event child sources, in the caller */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        if (geteuid() != 0)
                return -EPERM;
        r = make_rootfs(c.root, sizeof c.root);
        if (r < 0 || pipe2(fds, O_CLOEXEC) < 0) {
                r = r < 0 ? r : -errno;
                probe_container_stop(&c);
                return r;
        }
        c.helper = fork();
        if (c.helper == 0) {
                close(fds[0]);
                run_helper(c.root, fds[1]);
        }
        close(fds[1]);
        r = c.helper < 0 ? -errno : wait_ready(&c, fds[0]);
        close(fds[0]);
        if (r < 0) {
                probe_container_stop(&c);
                return r;
        }
        *ret = c;
        return 0;
}

void probe_container_stop(ProbeContainer *c) {
        char cmd[PATH_MAX + 32];

        if (c->leader > 0)
                (void) kill(c->leader, SIGKILL);
        if (c->helper > 0) {
                (void) kill(c->helper, SIGKILL);
                (void) waitpid(c->helper, NULL, 0);
        }
        /* the proc mount lived in the container's mount namespace, which is gone with it */
        if (c->root[0] && strncmp(c->root, "/tmp/nc-probe-root-", 19) == 0) {
                snprintf(cmd, sizeof cmd, "rm -rf '%s'", c->root);
                (void) system(cmd);
        }
        *c = (ProbeContainer) {};
}

static int read_ppid(const char *pid) {
        char path[64], buf[1024];
        const char *p;
        ssize_t n;
        int fd;

        snprintf(path, sizeof path, "/proc/%s/status", pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return -1;
        buf[n] = 0;
        p = strstr(buf, "\nPPid:");
        return p ? atoi(p + 6) : -1;
}

static bool same_pidns(const char *pid, const char *ns) {
        char path[64], link[64];
        ssize_t n;

        snprintf(path, sizeof path, "/proc/%s/ns/pid", pid);
        n = readlink(path, link, sizeof link - 1);
        if (n <= 0)
                return false;
        link[n] = 0;
        return strcmp(link, ns) == 0;
}

static int count_strays(const ProbeContainer *c) {
        char path[64], ns[64];
        struct dirent *de;
        DIR *d;
        int n = 0;
        ssize_t l;

        snprintf(path, sizeof path, "/proc/%d/ns/pid", (int) c->leader);
        l = readlink(path, ns, sizeof ns - 1);
        if (l <= 0)
                return -errno;
        ns[l] = 0;
        d = opendir("/proc");
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                int pid = atoi(de->d_name);

                if (pid <= 0 || pid == c->leader || pid == c->helper)
                        continue;
                if (same_pidns(de->d_name, ns) || read_ppid(de->d_name) == getpid())
                        n++;
        }
        closedir(d);
        return n;
}

int probe_container_strays(const ProbeContainer *c, unsigned settle_ms) {
        int n = count_strays(c);

        for (unsigned i = 0; n > 0 && i < settle_ms / 10; i++) {
                nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
                n = count_strays(c);
        }
        return n;
}

int probe_container_test_cgroup(char *buf, size_t size) {
        char own[PATH_MAX] = "", line[PATH_MAX + 64];
        FILE *f = fopen("/proc/self/cgroup", "re");

        buf[0] = 0;
        if (!f)
                return -errno;
        while (fgets(line, sizeof line, f))
                if (strncmp(line, "0::", 3) == 0) {
                        line[strcspn(line, "\n")] = 0;
                        snprintf(own, sizeof own, "%s", line + 3);
                }
        fclose(f);
        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof line, f)) {
                char root[PATH_MAX], mnt[PATH_MAX];
                const char *sep = strstr(line, " - cgroup2 ");

                if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2)
                        continue;
                if (strcmp(root, "/") == 0 && own[0])
                        snprintf(buf, size, "%s%s/nc-test-probe-%d", mnt, strcmp(own, "/") == 0 ? "" : own,
                                 (int) getpid());
                break;
        }
        fclose(f);
        if (buf[0] && (mkdir(buf, 0755) < 0 || rmdir(buf) < 0))
                buf[0] = 0;
        return 0;
}
