/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How long publishing ports takes: our one-batch netlink path vs the same ruleset loaded with
 * `nft -f` vs one `nft add rule` process per port (the way per-port-rule tools work). Runs in
 * throwaway namespaces (netns-harness.h); prints medians and ratios, never a verdict. */
#include <netinet/in.h>
#include <math.h>
#include <stdarg.h>
#include <time.h>

#include "netfilter/netfilter-internal.h"
#define HARNESS_NO_CONSTRUCTOR
#include "tests/netns/netns-harness.h"

#define CHECK(e) do { if ((e) < 0) { fprintf(stderr, "%s failed\n", #e); exit(1); } } while (0)

#define RUNS 5
#define PER_RULE_MAX 1000               /* beyond: extrapolated from the last 100 rules */

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double*) a, y = *(const double*) b;

        return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
        qsort(v, n, sizeof *v, cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int sh(const char *fmt, ...) {
        char cmd[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof cmd, fmt, ap);
        va_end(ap);
        return system(cmd);
}

static FwPort *ports_new(size_t n, char (**ret_ips)[32]) {
        FwPort *p = calloc(n, sizeof *p);
        char (*ip)[32] = calloc(n, sizeof *ip);

        for (size_t i = 0; i < n; i++) {
                snprintf(ip[i], sizeof ip[i], "10.%zu.%zu.%zu", 90 + i / 62500, i / 250 % 250, 2 + i % 250);
                p[i] = (FwPort) { .service = "s", .host_port = (uint16_t) (10000 + i), .target_ip = ip[i],
                                  .target_port = 80 };
        }
        *ret_ips = ip;
        return p;
}

static void sync_or_die(FwContext *ctx, const FwPort *p, size_t n) {
        NcError err = {};

        if (fw_sync_project(ctx, "bench", p, n, NULL, 0, &err) < 0) {
                fprintf(stderr, "sync: %s\n", err.message);
                exit(1);
        }
}

static void remove_or_die(FwContext *ctx) {
        NcError err = {};

        if (fw_remove_project(ctx, "bench", &err) < 0) {
                fprintf(stderr, "remove: %s\n", err.message);
                exit(1);
        }
}

/* Our path from an empty table; also leaves the ruleset text for nft -f at @path. */
static double ours_from_empty(size_t n, const char *path) {
        _cleanup_(fw_closep) FwContext *ctx = NULL;
        char (*ips)[32];
        FwPort *p = ports_new(n, &ips);
        double t;

        CHECK(fw_open(&ctx, NULL));
        t = now();
        sync_or_die(ctx, p, n);
        t = now() - t;
        if (path)
                sh("nft list ruleset > %s", path);
        remove_or_die(ctx);
        free(p);
        free(ips);
        return t;
}

/* NAN when nft refused (e.g. a batch larger than its socket buffer may grow in a user namespace). */
static double nft_file(const char *path) {
        double t = now();

        if (sh("nft -f %s", path) != 0)
                return NAN;
        return now() - t;
}

/* One `nft add rule` per port into a plain DNAT chain. */
static double per_rule(size_t n, double *ret_last100) {
        double t0, t_mark, t;

        sh("nft add table inet perport && nft 'add chain inet perport pre { type nat hook prerouting priority -100; }'");
        t0 = t_mark = now();
        for (size_t i = 0; i < n; i++) {
                if (i == n - 100)
                        t_mark = now();
                sh("nft add rule inet perport pre tcp dport %zu dnat ip to 10.%zu.%zu.%zu:80", 10000 + i,
                   90 + i / 62500, i / 250 % 250, 2 + i % 250);
        }
        t = now();
        *ret_last100 = t - t_mark;
        sh("nft delete table inet perport");
        return t - t0;
}

static void row(const char *what, double ours, double file, double rule, bool extrapolated) {
        printf("%-28s %10.2f %10.2f %12.1f%s %8.1fx %8.1fx\n", what, ours * 1e3, file * 1e3, rule * 1e3,
               extrapolated ? "*" : " ", file / ours, rule / ours);
}

static void publish_from_empty(size_t n) {
        double o[RUNS], f[RUNS], r = 0, last100 = 0;
        char label[64];
        bool extra = n > PER_RULE_MAX;

        for (size_t i = 0; i < RUNS; i++)
                o[i] = ours_from_empty(n, i == 0 ? "/run/bench.nft" : NULL);
        for (size_t i = 0; i < RUNS; i++) {
                f[i] = nft_file("/run/bench.nft");
                sh("nft delete table inet nspawn_compose");
        }
        if (!extra)
                r = per_rule(n, &last100);
        else {
                /* A lower bound: each nft process re-reads the growing ruleset. */
                (void) per_rule(PER_RULE_MAX, &last100);
                r = last100 / 100 * n;
        }
        snprintf(label, sizeof label, "publish %zu from empty", n);
        row(label, median(o, RUNS), median(f, RUNS), r, extra);
}

static void change_one_of(size_t n) {
        _cleanup_(fw_closep) FwContext *ctx = NULL;
        double o[RUNS], f[RUNS], inc[RUNS], r[RUNS];
        char (*ips)[32];
        FwPort *p = ports_new(n, &ips);

        CHECK(fw_open(&ctx, NULL));
        sync_or_die(ctx, p, n);
        for (size_t i = 0; i < RUNS; i++) {
                p[0].target_ip = i % 2 ? ips[0] : "10.99.0.2";
                o[i] = now();
                sync_or_die(ctx, p, n);
                o[i] = now() - o[i];
        }
        /* nft -f: the whole ruleset reloaded atomically, as a declarative tool would. */
        sh("(echo 'delete table inet nspawn_compose'; nft list ruleset) > /run/reload.nft");
        for (size_t i = 0; i < RUNS; i++)
                f[i] = nft_file("/run/reload.nft");
        /* nft -f incremental: delete + add of the one element. */
        for (size_t i = 0; i < RUNS; i++) {
                sh("printf 'delete element inet nspawn_compose pub4 { tcp . 10000 }\\n"
                   "add element inet nspawn_compose pub4 { tcp . 10000 comment \"bench/s\" : 10.99.0.%zu . 80 }\\n'"
                   " > /run/inc.nft", 3 + i);
                inc[i] = nft_file("/run/inc.nft");
        }
        /* One rule per port: find the rule's handle, delete it, add the new one. */
        sh("(echo 'table inet perport {'; echo 'chain pre { type nat hook prerouting priority -100;'; "
           "i=0; while [ $i -lt %zu ]; do echo \"tcp dport $((10000 + i)) dnat ip to 10.90.0.2:80\"; "
           "i=$((i + 1)); done; echo '}'; echo '}') > /run/rules.nft && nft -f /run/rules.nft", n);
        for (size_t i = 0; i < RUNS; i++) {
                r[i] = now();
                sh("h=$(nft -a list chain inet perport pre | awk '/dport 10000 /{print $NF; exit}'); "
                   "nft delete rule inet perport pre handle $h && "
                   "nft add rule inet perport pre tcp dport 10000 dnat ip to 10.99.0.%zu:80", 3 + i);
                r[i] = now() - r[i];
        }
        sh("nft delete table inet perport");
        printf("%-28s %10.2f %10.2f %12.1f  %8.1fx %8.1fx   (nft -f of the one element: %.2f ms)\n",
               "change 1 port of 10000", median(o, RUNS) * 1e3, median(f, RUNS) * 1e3, median(r, RUNS) * 1e3,
               median(f, RUNS) / median(o, RUNS), median(r, RUNS) / median(o, RUNS), median(inc, RUNS) * 1e3);
        remove_or_die(ctx);
        free(p);
        free(ips);
}

int main(void) {
        static const size_t sizes[] = { 10, 100, 1000, 10000 };

        /* As real root, a new netns without a user namespace: nft may then raise its buffers. */
        harness_enter(/* userns= */ getuid() != 0);
        if (sh("nft --version > /dev/null 2>&1") != 0) {
                printf("# nft not installed: nothing to compare with\n");
                return 0;
        }
        printf("# medians of %d runs, milliseconds; * = extrapolated from the last 100 of %d rules\n",
               RUNS, PER_RULE_MAX);
        printf("%-28s %10s %10s %13s %9s %9s\n", "", "netlink", "nft -f", "nft per rule", "nft -f/us",
               "rules/us");
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++)
                publish_from_empty(sizes[i]);
        change_one_of(10000);
        printf("# rules in table inet nspawn_compose for any number of ports: ");
        {
                size_t n = 0;

                for (FwChainId c = 0; c < _FW_CHAIN_MAX; c++)
                        n += fw_chain_n_rules(c);
                printf("%zu (per packet: one lookup per map, whatever the port count)\n", n);
        }
        return 0;
}
