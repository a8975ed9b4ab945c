/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cost of health probes; prints numbers, never passes or fails on time.
 *
 *   bench-probe [PROBES [WINDOW_SEC]]
 *
 * 1. One exec probe (/bin/true in a busybox container) in-process, in process-group mode and, when
 *    cgroup2 is writable, in cgroup mode: median/p90/min wall time per probe and CPU per probe
 *    (ours plus reaped children).
 * 2. The same command through `nsenter -t LEADER -a /bin/true`, the shell-out alternative.
 * 3. 50 checkers probing every second for WINDOW_SEC: CPU share and our resident memory. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "healthd/health.h"
#include "tests/bench/bench-probe-container.h"

#define USEC 1000000ULL
#define N_CHECKERS 50

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC + ts.tv_nsec / 1000;
}

static uint64_t cpu_usec(void) {
        struct rusage self, children;

        getrusage(RUSAGE_SELF, &self);
        getrusage(RUSAGE_CHILDREN, &children);
        return (uint64_t) (self.ru_utime.tv_sec + self.ru_stime.tv_sec + children.ru_utime.tv_sec +
                           children.ru_stime.tv_sec) * USEC +
                self.ru_utime.tv_usec + self.ru_stime.tv_usec + children.ru_utime.tv_usec +
                children.ru_stime.tv_usec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t*) a, y = *(const uint64_t*) b;

        return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *lat, unsigned n, unsigned fails, uint64_t cpu) {
        qsort(lat, n, sizeof *lat, cmp_u64);
        printf("%-44s K=%u fails=%u median=%" PRIu64 "us p90=%" PRIu64 "us min=%" PRIu64 "us "
               "cpu/probe=%" PRIu64 "us\n", what, n, fails, lat[n / 2], lat[n * 9 / 10], lat[0], cpu / n);
}

typedef struct Run {
        sd_event *event;
        uint64_t *lat;
        unsigned n, want, fails;
} Run;

static int on_probe(HealthChecker *c, const HealthEvent *ev, void *userdata) {
        Run *r = userdata;

        if (r->lat && r->n < r->want)
                r->lat[r->n] = ev->probe_end_usec - ev->probe_start_usec;
        r->fails += ev->exit_code != 0;
        if (++r->n == r->want)
                (void) sd_event_exit(r->event, 0);
        return 0;
}

static HealthConfig true_probe(const char *cgroup) {
        static char *argv[] = { "/bin/true", NULL };

        return (HealthConfig) { .type = HEALTH_TEST_CMD, .argv = argv, .interval_usec = 1,
                                .timeout_usec = 10 * USEC, .probe_cgroup = (char*) cgroup };
}

static int bench_in_process(const ProbeContainer *box, const char *what, const char *cgroup, unsigned k) {
        HealthConfig cfg = true_probe(cgroup);
        Run run = { .want = k, .lat = calloc(k, sizeof(uint64_t)) };
        HealthChecker *c = NULL;
        NcError err = {};
        uint64_t cpu;
        int r;

        if (!run.lat || sd_event_new(&run.event) < 0)
                return -ENOMEM;
        r = health_checker_new(run.event, &cfg, box->leader, on_probe, &run, &c, &err);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", what, err.message);
                return r;
        }
        cpu = cpu_usec();
        r = sd_event_loop(run.event);
        cpu = cpu_usec() - cpu;
        health_checker_free(c);
        sd_event_unref(run.event);
        if (r >= 0)
                report(what, run.lat, k, run.fails, cpu);
        free(run.lat);
        return r;
}

static int run_nsenter(pid_t leader) {
        char target[32];
        int status;
        pid_t pid;

        snprintf(target, sizeof target, "%d", (int) leader);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execlp("nsenter", "nsenter", "-t", target, "-a", "/bin/true", NULL);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static void bench_nsenter(const ProbeContainer *box, unsigned k) {
        uint64_t *lat = calloc(k, sizeof(uint64_t)), cpu = cpu_usec();
        unsigned fails = 0;

        if (!lat)
                return;
        for (unsigned i = 0; i < k; i++) {
                uint64_t t = now_usec();

                fails += run_nsenter(box->leader) != 0;
                lat[i] = now_usec() - t;
        }
        report("nsenter -t LEADER -a /bin/true", lat, k, fails, cpu_usec() - cpu);
        free(lat);
}

static long rss_kib(void) {
        char line[256];
        long kib = -1;
        FILE *f = fopen("/proc/self/status", "re");

        if (!f)
                return -1;
        while (fgets(line, sizeof line, f))
                (void) sscanf(line, "VmRSS: %ld kB", &kib);
        fclose(f);
        return kib;
}

static int on_window_end(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void bench_many(const ProbeContainer *box, unsigned window_sec) {
        HealthChecker *c[N_CHECKERS] = {};
        Run run = { .want = UINT_MAX };
        HealthConfig cfg = true_probe("");
        uint64_t cpu, t;

        cfg.interval_usec = 1 * USEC;
        if (sd_event_new(&run.event) < 0)
                return;
        for (unsigned i = 0; i < N_CHECKERS; i++)
                if (health_checker_new(run.event, &cfg, box->leader, on_probe, &run, &c[i], NULL) < 0)
                        goto finish;
        (void) sd_event_add_time_relative(run.event, NULL, CLOCK_MONOTONIC, window_sec * USEC, 1000,
                                          on_window_end, NULL);
        cpu = cpu_usec();
        t = now_usec();
        (void) sd_event_loop(run.event);
        cpu = cpu_usec() - cpu;
        t = now_usec() - t;
        printf("%d checkers every 1s for %us: probes=%u fails=%u cpu=%.2f%% of one CPU "
               "cpu/probe=%" PRIu64 "us rss=%ldKiB\n", N_CHECKERS, window_sec, run.n, run.fails,
               100.0 * cpu / t, run.n ? cpu / run.n : 0, rss_kib());
finish:
        for (unsigned i = 0; i < N_CHECKERS; i++)
                health_checker_free(c[i]);
        sd_event_unref(run.event);
}

int main(int argc, char *argv[]) {
        unsigned k = argc > 1 ? (unsigned) atoi(argv[1]) : 300, window = argc > 2 ? (unsigned) atoi(argv[2]) : 10;
        ProbeContainer box = {};
        char cg[4096];
        int r;

        r = probe_container_start(&box);
        if (r < 0) {
                printf("skipped: cannot start a test container (need root and /bin/busybox): %s\n",
                       strerror(-r));
                return 77;
        }
        printf("idle rss=%ldKiB\n", rss_kib());
        (void) bench_in_process(&box, "in-process exec probe (process group)", "", k);
        if (probe_container_test_cgroup(cg, sizeof cg) >= 0 && cg[0])
                (void) bench_in_process(&box, "in-process exec probe (own cgroup)", cg, k);
        bench_nsenter(&box, k);
        bench_many(&box, window);
        probe_container_stop(&box);
        return 0;
}
