/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Exec probes against a real container (new mount, pid, uts, net and ipc namespaces, a busybox root):
 * CMD and CMD-SHELL, exit codes, output capture, user/working directory/environment, the payload's
 * capability bounding set, and hanging probes killed with everything they spawned. Needs root; the
 * whole file skips otherwise. */
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include "healthd/health-internal.h"
#include "lib/fileio.h"
#include "tests/bench/bench-probe-container.h"
#include "tests/tap.h"

#define MSEC 1000ULL

static ProbeContainer box;

__attribute__((constructor)) static void start_container(void) {
        int r;

        r = probe_container_start(&box);
        if (r < 0) {
                printf("1..0 # SKIP cannot start a test container (need root and /bin/busybox): %s\n",
                       strerror(-r));
                exit(0);
        }
}

__attribute__((destructor)) static void stop_container(void) {
        probe_container_stop(&box);
}

/* abort() on a failed assertion skips destructors: kill the container from a handler too. */
__attribute__((constructor)) static void stop_on_abort(void) {
        signal(SIGABRT, (void (*)(int)) stop_container);
}

typedef struct Seen {
        sd_event *event;
        unsigned n, want;
        HealthEvent ev;
        char output[HEALTH_OUTPUT_MAX + 1];
} Seen;

static int on_event(HealthChecker *c, const HealthEvent *ev, void *userdata) {
        Seen *s = userdata;

        s->ev = *ev;
        snprintf(s->output, sizeof s->output, "%s", ev->output);
        s->ev.output = s->output;
        if (++s->n >= s->want)
                (void) sd_event_exit(s->event, 0);
        return 0;
}

/* Runs one probe of @cfg in the container; the checker is freed before this returns. */
static void probe_once(HealthConfig *cfg, Seen *s) {
        sd_event *e = NULL;
        HealthChecker *c = NULL;
        NcError err = {};

        *s = (Seen) { .want = 1 };
        ASSERT_OK(sd_event_new(&e));
        s->event = e;
        cfg->interval_usec = cfg->interval_usec ?: 1 * MSEC;
        cfg->timeout_usec = cfg->timeout_usec ?: 10000 * MSEC;
        cfg->retries = cfg->retries ?: 1;
        if (cfg->probe_cgroup == NULL)
                cfg->probe_cgroup = "";
        if (health_checker_new(e, cfg, box.leader, on_event, s, &c, &err) < 0)
                TAP_FAIL("health_checker_new: %s", err.message);
        ASSERT_OK(sd_event_loop(e));
        health_checker_free(c);
        sd_event_unref(e);
}

static void probe_cmd(HealthTestType type, char **argv, Seen *s) {
        HealthConfig cfg = { .type = type, .argv = argv };

        probe_once(&cfg, s);
}

TEST(cmd_exit_0_is_healthy) {
        char *argv[] = { "true", NULL };
        Seen s;

        probe_cmd(HEALTH_TEST_CMD, argv, &s);
        ASSERT_EQ(s.ev.exit_code, 0);
        ASSERT_EQ(s.ev.status, HEALTH_HEALTHY);
        ASSERT_TRUE(s.ev.first_healthy);
        ASSERT_EQ(probe_container_strays(&box, 2000), 0);
}

TEST(cmd_exit_1_is_unhealthy) {
        char *argv[] = { "/bin/false", NULL };
        Seen s;

        probe_cmd(HEALTH_TEST_CMD, argv, &s);
        ASSERT_EQ(s.ev.exit_code, 1);
        ASSERT_EQ(s.ev.status, HEALTH_UNHEALTHY);
}

TEST(cmd_argv_is_not_a_shell_line) {
        char *argv[] = { "echo", "$HOME", "a;b", NULL };
        Seen s;

        probe_cmd(HEALTH_TEST_CMD, argv, &s);
        ASSERT_EQ(s.ev.exit_code, 0);
        ASSERT_STREQ(s.ev.output, "$HOME a;b\n");
}

TEST(cmd_not_found) {
        char *argv[] = { "no-such-probe", NULL };
        Seen s;

        probe_cmd(HEALTH_TEST_CMD, argv, &s);
        ASSERT_EQ(s.ev.exit_code, 127);
        ASSERT_STRCONTAINS(s.ev.output, "no-such-probe");
}

TEST(shell_exit_code_and_stderr) {
        char *argv[] = { "echo out; echo err >&2; exit 3", NULL };
        Seen s;

        probe_cmd(HEALTH_TEST_CMD_SHELL, argv, &s);
        ASSERT_EQ(s.ev.exit_code, 3);
        ASSERT_STREQ(s.ev.output, "out\nerr\n");
}

TEST(shell_extra_items_are_positional) {
        char *argv[] = { "echo \"$0 $1\"", "zero", "one", NULL };
        Seen s;

        probe_cmd(HEALTH_TEST_CMD_SHELL, argv, &s);
        ASSERT_STREQ(s.ev.output, "zero one\n");
}

TEST(output_keeps_last_4k) {
        char *argv[] = { "seq 1 3000", NULL };
        Seen s;

        probe_cmd(HEALTH_TEST_CMD_SHELL, argv, &s);
        ASSERT_EQ(s.ev.exit_code, 0);
        ASSERT_EQ(strlen(s.ev.output), HEALTH_OUTPUT_MAX);
        ASSERT_TRUE(s.ev.output_truncated);
        ASSERT_TRUE(endswith(s.ev.output, "\n2999\n3000\n"));
}

/* The probe sees the container's namespaces, not ours. */
TEST(runs_in_the_container_namespaces) {
        const char *names[] = { "mnt", "uts", "ipc", "net", "pid" };
        char *argv[] = { "for n in mnt uts ipc net pid; do readlink /proc/self/ns/$n; done; hostname", NULL };
        char expect[512] = "", path[64], link[64];
        Seen s;

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                ssize_t n;

                snprintf(path, sizeof path, "/proc/%d/ns/%s", (int) box.leader, names[i]);
                n = readlink(path, link, sizeof link - 1);
                ASSERT_TRUE(n > 0);
                link[n] = 0;
                strcat(expect, link);
                strcat(expect, "\n");
        }
        strcat(expect, PROBE_CONTAINER_HOSTNAME "\n");
        probe_cmd(HEALTH_TEST_CMD_SHELL, argv, &s);
        ASSERT_STREQ(s.ev.output, expect);
}

TEST(user_workdir_environment) {
        char *argv[] = { "echo \"$(id -u):$(id -g):$(id -G):$(pwd):$FOO:$HOME:$PATH\"", NULL };
        char *env[] = { "FOO=bar baz", "PATH=/bin", NULL };
        HealthConfig cfg = { .type = HEALTH_TEST_CMD_SHELL, .argv = argv, .environment = env,
                             .user = "probe", .working_dir = "/work" };
        Seen s;

        probe_once(&cfg, &s);
        ASSERT_EQ(s.ev.exit_code, 0);
        ASSERT_STREQ(s.ev.output, "1234:2345:2345 777:/work:bar baz:/home/probe:/bin\n");

        cfg.user = "4321:99";
        cfg.working_dir = NULL;
        cfg.environment = NULL;
        probe_once(&cfg, &s);
        ASSERT_STREQ(s.ev.output,
                     "4321:99:99:/::/:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");

        cfg.user = "nobody-here";
        probe_once(&cfg, &s);
        ASSERT_EQ(s.ev.exit_code, 126);
        ASSERT_STRCONTAINS(s.ev.output, "unable to find user 'nobody-here'");

        cfg.user = NULL;
        cfg.working_dir = "/missing";
        probe_once(&cfg, &s);
        ASSERT_EQ(s.ev.exit_code, 126);
        ASSERT_STRCONTAINS(s.ev.output, "/missing");
}

TEST(root_probe_gets_the_payload_bounding_set) {
        char *argv[] = { "grep CapBnd /proc/self/status; grep CapEff /proc/self/status", NULL };
        char path[64], line[64];
        unsigned long long bnd = 0, eff = 0, leader_bnd = 0;
        FILE *f;
        Seen s;

        snprintf(path, sizeof path, "/proc/%d/status", (int) box.leader);
        f = fopen(path, "re");
        ASSERT_NOT_NULL(f);
        while (fgets(line, sizeof line, f))
                (void) sscanf(line, "CapBnd: %llx", &leader_bnd);
        fclose(f);
        ASSERT_EQ(leader_bnd & PROBE_CONTAINER_DROPPED_CAPS, 0);

        probe_cmd(HEALTH_TEST_CMD_SHELL, argv, &s);
        ASSERT_EQ(sscanf(s.ev.output, "CapBnd: %llx\nCapEff: %llx", &bnd, &eff), 2);
        ASSERT_EQ(bnd, leader_bnd);
        ASSERT_EQ(eff & ~leader_bnd, 0);
}

/* One "Key:\t<value>" of a /proc/PID/status text, as an unsigned number in @base. */
static unsigned long long status_field(const char *status, const char *key, int base) {
        const char *p = strstr(status, key);

        if (!p)
                TAP_FAIL("no %s in:\n%s", key, status);
        return strtoull(p + strlen(key), NULL, base);
}

static uint64_t mono_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static void leader_status(char *buf, size_t size) {
        char path[64];
        _cleanup_free_ char *text = NULL;

        snprintf(path, sizeof path, "/proc/%d/status", (int) box.leader);
        ASSERT_OK(read_full_file(path, &text, NULL));
        snprintf(buf, size, "%s", text);
}

static void set_our_inheritable_and_ambient(uint64_t caps) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        ASSERT_OK(syscall(SYS_capget, &h, d));
        d[0].inheritable = (uint32_t) caps;
        d[1].inheritable = (uint32_t) (caps >> 32);
        ASSERT_OK(syscall(SYS_capset, &h, d));
        if (caps)
                ASSERT_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0));
        else
                ASSERT_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
}

/* The probe has what the payload has and nothing of ours: our inheritable and ambient sets, our
 * effective set (CAP_SYS_MODULE) and our lack of a filter all stay behind. */
TEST(probe_runs_with_the_payload_privileges) {
        char *argv[] = { "cat /proc/self/status", NULL };
        char *user_argv[] = { "cat /proc/self/status", NULL };
        HealthConfig cfg = { .type = HEALTH_TEST_CMD_SHELL, .argv = user_argv, .user = "probe" };
        char leader[4096];
        Seen s;

        leader_status(leader, sizeof leader);
        ASSERT_EQ(status_field(leader, "\nSeccomp:", 10), 2);
        set_our_inheritable_and_ambient(UINT64_C(1) << CAP_NET_RAW);
        probe_cmd(HEALTH_TEST_CMD_SHELL, argv, &s);
        set_our_inheritable_and_ambient(0);
        ASSERT_EQ(s.ev.exit_code, 0);
        ASSERT_EQ(status_field(s.output, "\nCapEff:", 16), status_field(leader, "\nCapEff:", 16));
        ASSERT_EQ(status_field(s.output, "\nCapPrm:", 16), status_field(leader, "\nCapPrm:", 16));
        ASSERT_EQ(status_field(s.output, "\nCapBnd:", 16), status_field(leader, "\nCapBnd:", 16));
        ASSERT_EQ(status_field(s.output, "\nCapEff:", 16) & PROBE_CONTAINER_DROPPED_CAPS, 0);
        ASSERT_EQ(status_field(s.output, "\nCapInh:", 16), 0);
        ASSERT_EQ(status_field(s.output, "\nCapAmb:", 16), 0);
        ASSERT_EQ(status_field(s.output, "\nNoNewPrivs:", 10), status_field(leader, "\nNoNewPrivs:", 10));
        ASSERT_EQ(status_field(s.output, "\nSeccomp:", 10), 2);

        /* another user: no capabilities at all, the same filter */
        probe_once(&cfg, &s);
        ASSERT_EQ(s.ev.exit_code, 0);
        ASSERT_EQ(status_field(s.output, "\nUid:", 10), 1234);
        ASSERT_EQ(status_field(s.output, "\nCapEff:", 16), 0);
        ASSERT_EQ(status_field(s.output, "\nCapPrm:", 16), 0);
        ASSERT_EQ(status_field(s.output, "\nSeccomp:", 10), 2);
}

/* nspawn's filter applies: keyctl is EPERM inside the probe (busybox has no keyctl applet: ask the
 * kernel through the status of a process that tried, i.e. the probe's own exit code). */
TEST(probe_cannot_use_what_the_filter_blocks) {
        char *argv[] = { "grep -q '^Seccomp:.2' /proc/self/status && grep -q '^Seccomp_filters:.[1-9]' /proc/self/status", NULL };
        Seen s;

        probe_cmd(HEALTH_TEST_CMD_SHELL, argv, &s);
        ASSERT_EQ(s.ev.exit_code, 0);
}

/* A FIFO at /etc/passwd: the probe opens nothing that blocks; it fails at once instead of hanging
 * until its timeout, and a numeric user still works. */
TEST(fifo_passwd_does_not_hang_the_probe) {
        char *argv[] = { "grep ^Uid: /proc/self/status", NULL };       /* id(1) would read the FIFO */
        char passwd[PATH_MAX + 32], saved[PATH_MAX + 32];
        HealthConfig cfg = { .type = HEALTH_TEST_CMD_SHELL, .argv = argv, .user = "probe",
                             .timeout_usec = 5000 * MSEC };
        uint64_t start;
        Seen s;

        snprintf(passwd, sizeof passwd, "%s/etc/passwd", box.root);
        snprintf(saved, sizeof saved, "%s/etc/passwd.saved", box.root);
        ASSERT_OK(rename(passwd, saved));
        ASSERT_OK(mkfifo(passwd, 0644));
        start = mono_usec();
        probe_once(&cfg, &s);
        if (s.ev.timed_out)
                TAP_FAIL("timed out: %s", s.output);
        ASSERT_EQ(s.ev.exit_code, 126);
        ASSERT_STRCONTAINS(s.ev.output, "unable to find user 'probe'");
        cfg.user = "4321";
        probe_once(&cfg, &s);
        ASSERT_OK(unlink(passwd));
        ASSERT_OK(rename(saved, passwd));
        ASSERT_FALSE(s.ev.timed_out);
        ASSERT_EQ(s.ev.exit_code, 0);
        ASSERT_STREQ(s.ev.output, "Uid:\t4321\t4321\t4321\t4321\n");
        ASSERT_TRUE(mono_usec() - start < 4000 * MSEC);
}

static void hanging_probe_is_killed(const char *cgroup, const char *script) {
        char *argv[] = { (char*) script, NULL };
        HealthConfig cfg = { .type = HEALTH_TEST_CMD_SHELL, .argv = argv, .timeout_usec = 300 * MSEC,
                             .probe_cgroup = (char*) cgroup };
        Seen s;

        probe_once(&cfg, &s);
        ASSERT_TRUE(s.ev.timed_out);
        ASSERT_EQ(s.ev.exit_code, -1);
        ASSERT_EQ(s.ev.status, HEALTH_UNHEALTHY);
        ASSERT_STREQ(s.ev.output, "Health check exceeded timeout (300ms)");
        ASSERT_EQ(probe_container_strays(&box, 5000), 0);
}

TEST(hanging_probe_killed_with_its_process_group) {
        hanging_probe_is_killed("", "sleep 1000 & sleep 1000 & wait");
}

TEST(hanging_probe_killed_with_its_cgroup) {
        char cg[4096];

        ASSERT_OK(probe_container_test_cgroup(cg, sizeof cg));
        if (!cg[0])
                TAP_SKIP("no writable cgroup2 here");
        /* setsid leaves the process group; only the cgroup still holds it */
        hanging_probe_is_killed(cg, "setsid sleep 1000 & sleep 1000 & wait");
        ASSERT_EQ(access(cg, F_OK), -1);        /* removed with the checker */
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* Freeing the checker while a probe runs leaves nothing behind either. */
static void free_while_running(const char *cgroup) {
        char *argv[] = { "sleep 1000 & sleep 1000", NULL };
        HealthConfig cfg = { .type = HEALTH_TEST_CMD_SHELL, .argv = argv, .interval_usec = 1 * MSEC,
                             .timeout_usec = 3600 * 1000 * MSEC, .probe_cgroup = (char*) cgroup };
        HealthChecker *c = NULL;
        sd_event *e = NULL;
        Seen s = {};

        ASSERT_OK(sd_event_new(&e));
        s.event = e;
        ASSERT_OK(health_checker_new(e, &cfg, box.leader, on_event, &s, &c, NULL));
        ASSERT_OK(sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, 300 * MSEC, 0, on_deadline, NULL));
        ASSERT_OK(sd_event_loop(e));
        ASSERT_EQ(s.n, 0);
        health_checker_free(c);
        sd_event_unref(e);
        ASSERT_EQ(probe_container_strays(&box, 5000), 0);
}

TEST(free_while_running_kills_the_probe) {
        char cg[4096];

        free_while_running("");
        ASSERT_OK(probe_container_test_cgroup(cg, sizeof cg));
        if (!cg[0])
                TAP_SKIP("no writable cgroup2 here: only the process group was checked");
        free_while_running(cg);
        ASSERT_EQ(access(cg, F_OK), -1);
}

/* A process in "<unit>/supervisor" probes from "<unit>/probe". */
TEST(default_probe_cgroup_is_beside_supervisor) {
        char unit[4096], supervisor[4200], procs[4300], expect[4200];
        int status;
        pid_t pid;

        ASSERT_OK(probe_container_test_cgroup(unit, sizeof unit));
        if (!unit[0])
                TAP_SKIP("no writable cgroup2 here");
        snprintf(supervisor, sizeof supervisor, "%s/supervisor", unit);
        snprintf(procs, sizeof procs, "%s/cgroup.procs", supervisor);
        snprintf(expect, sizeof expect, "%s/probe", unit);
        ASSERT_OK(mkdir_parents_and_self(supervisor, 0755));
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                char *path = NULL;

                if (write_string_file(procs, "0") < 0 || health_cgroup_default_path(&path) < 0)
                        _exit(2);
                _exit(streq(path, expect) ? 0 : 1);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        (void) rmdir(supervisor);
        (void) rmdir(unit);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
}

static int touch(const char *path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

/* The probe cgroup is opened again when its path names another file than the one held open (the
 * cgroup removed and made again, as systemd does with a restarted unit's), and only then. A plain
 * directory stands in for cgroupfs: mkdir there makes no cgroup.procs, so one gone stays gone. */
TEST(probe_cgroup_reopened_when_made_again) {
        char dir[] = "/tmp/test-health-cg.XXXXXX", cg[64], procs[80];
        _cleanup_(health_cgroup_done) HealthCgroup h = { .procs_fd = -EBADF };
        struct stat a, b;

        ASSERT_TRUE(mkdtemp(dir) != NULL);
        snprintf(cg, sizeof cg, "%s/probe", dir);
        snprintf(procs, sizeof procs, "%s/cgroup.procs", cg);
        ASSERT_EQ(mkdir(cg, 0755), 0);
        ASSERT_OK(touch(procs));
        ASSERT_OK(health_cgroup_open(cg, &h, NULL));
        ASSERT_EQ(health_cgroup_revalidate(&h), 0);

        ASSERT_EQ(fstat(h.procs_fd, &a), 0);
        ASSERT_EQ(unlink(procs), 0);
        ASSERT_OK(touch(procs));
        ASSERT_EQ(health_cgroup_revalidate(&h), 1);
        ASSERT_EQ(fstat(h.procs_fd, &b), 0);
        ASSERT_TRUE(a.st_ino != b.st_ino);
        ASSERT_EQ(health_cgroup_revalidate(&h), 0);

        ASSERT_EQ(unlink(procs), 0);
        ASSERT_EQ(health_cgroup_revalidate(&h), -ENOENT);
        (void) rmdir(cg);
        ASSERT_EQ(rmdir(dir), 0);
}

TEST(background_leftovers_of_a_finished_probe_are_killed) {
        char *argv[] = { "sleep 1000 & echo started", NULL };
        Seen s;

        probe_cmd(HEALTH_TEST_CMD_SHELL, argv, &s);
        ASSERT_EQ(s.ev.exit_code, 0);
        ASSERT_STREQ(s.ev.output, "started\n");
        ASSERT_EQ(probe_container_strays(&box, 5000), 0);
}

TEST(repeated_probes_keep_the_state) {
        char *argv[] = { "test -e /tmp/up || { touch /tmp/up; exit 1; }", NULL };
        HealthConfig cfg = { .type = HEALTH_TEST_CMD_SHELL, .argv = argv, .retries = 3 };
        Seen s;

        /* first probe fails and creates the file, the second passes */
        cfg.interval_usec = 1 * MSEC;
        cfg.timeout_usec = 10000 * MSEC;
        cfg.probe_cgroup = "";
        {
                sd_event *e = NULL;
                HealthChecker *c = NULL;

                s = (Seen) { .want = 2 };
                ASSERT_OK(sd_event_new(&e));
                s.event = e;
                ASSERT_OK(health_checker_new(e, &cfg, box.leader, on_event, &s, &c, NULL));
                ASSERT_EQ(health_checker_get_status(c), HEALTH_STARTING);
                ASSERT_OK(sd_event_loop(e));
                ASSERT_EQ(health_checker_get_status(c), HEALTH_HEALTHY);
                health_checker_free(c);
                sd_event_unref(e);
        }
        ASSERT_EQ(s.ev.status, HEALTH_HEALTHY);
        ASSERT_EQ(s.ev.previous, HEALTH_STARTING);
        ASSERT_TRUE(s.ev.first_healthy);
}

TAP_MAIN();
