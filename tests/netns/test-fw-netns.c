/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nftables state against a real kernel, in throwaway namespaces (netns-harness.h). */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "netfilter/netfilter-internal.h"
#include "tests/netns/netns-harness.h"
#include "tests/tap.h"

static const FwNetwork net_p[] = {
        { .name = "default", .bridge = "nc-p0", .subnet = "10.89.0.0/24", .ipv6_subnet = "fd00:89::/64" },
        { .name = "back", .bridge = "nc-p1", .subnet = "10.89.1.0/24", .internal = true },
};
static const FwNetwork net_q[] = {
        { .name = "default", .bridge = "nc-q0", .subnet = "10.89.2.0/24" },
};

static FwPort ports_p[] = {
        { .service = "web", .host_port = 8080, .target_ip = "10.89.0.2", .target_port = 80 },
        { .service = "web", .protocol = "udp", .host_ip = "127.0.0.1", .host_port = 9090,
          .target_ip = "10.89.0.2", .target_port = 9090 },
        { .service = "web", .host_ip = "::", .host_port = 8080, .target_ip = "fd00:89::2", .target_port = 80 },
        { .service = "db", .host_ip = "fd00:89::1", .host_port = 5432, .target_ip = "fd00:89::3",
          .target_port = 5432 },
};
static const FwPort ports_q[] = {
        { .service = "api", .host_port = 8081, .target_ip = "10.89.2.2", .target_port = 80 },
};

static FwContext *ctx_new(void) {
        FwContext *ctx = NULL;
        NcError err = {};

        if (fw_open(&ctx, &err) < 0)
                TAP_FAIL("fw_open: %s", err.message);
        return ctx;
}

static int sync_p(FwContext *ctx) {
        NcError err = {};
        int r = fw_sync_project(ctx, "p", ports_p, ELEMENTSOF(ports_p), net_p, ELEMENTSOF(net_p), &err);

        if (r < 0)
                tap_diag("sync p: %s", err.message);
        return r;
}

static int diff_p(FwContext *ctx, FwDiff **ret) {
        NcError err = {};
        int r = fw_diff_project(ctx, "p", ports_p, ELEMENTSOF(ports_p), net_p, ELEMENTSOF(net_p), ret, &err);

        if (r < 0)
                TAP_FAIL("diff p: %s", err.message);
        for (size_t i = 0; i < (*ret)->n_items; i++)
                printf("# drift %s: %s\n", fw_drift_kind_to_string((*ret)->items[i].kind), (*ret)->items[i].what);
        return r;
}

static size_t count_owned(FwContext *ctx, const char *project) {
        _cleanup_(fw_snapshot_done) FwSnapshot s = {};
        size_t n = 0;

        ASSERT_OK(fw_snapshot_read(ctx, &s, NULL));
        for (size_t i = 0; i < s.n_elems; i++)
                n += fw_elem_owned_by(&s.elems[i], project);
        return n;
}

static bool table_exists(FwContext *ctx) {
        _cleanup_(fw_snapshot_done) FwSnapshot s = {};

        ASSERT_OK(fw_snapshot_read(ctx, &s, NULL));
        return s.table;
}

/* Sends one hand-made batch through a second socket, as another program would. */
static void foreign_batch(int (*build)(FwBatch *b)) {
        _cleanup_(fw_closep) FwContext *other = ctx_new();
        _cleanup_(fw_batch_done) FwBatch b = {};
        NcError err = {};

        ASSERT_OK(fw_batch_begin(&b, 1, 0));
        ASSERT_OK(build(&b));
        ASSERT_OK(fw_batch_end(&b));
        if (fw_batch_send(other, &b, &err) < 0)
                TAP_FAIL("foreign batch: %s", err.message);
}

TEST(sync_creates_then_is_idempotent) {
        _cleanup_(fw_closep) FwContext *ctx = ctx_new();
        _cleanup_(fw_diff_freep) FwDiff *d = NULL;

        ASSERT_TRUE(sync_p(ctx) > 0);
        harness_show("nft list ruleset 2>&1");
        ASSERT_EQ(sync_p(ctx), 0);
        ASSERT_EQ(diff_p(ctx, &d), 0);
        ASSERT_TRUE(d->structure_ok);
        /* 4 ports + 2 bridges + nets4 (2 networks, 2 bounds) + masq4 (1 network) + nets6 + masq6 */
        ASSERT_EQ(count_owned(ctx, "p"), 4 + 2 + 4 + 2 + 2 + 2);
}

TEST(repoint_is_one_change) {
        _cleanup_(fw_closep) FwContext *ctx = ctx_new();
        _cleanup_(fw_diff_freep) FwDiff *d = NULL;

        ASSERT_OK(sync_p(ctx));
        ports_p[0].target_ip = "10.89.0.5";
        ASSERT_OK(diff_p(ctx, &d));
        ASSERT_EQ(d->n_items, 1);
        ASSERT_EQ(d->items[0].kind, FW_DRIFT_ALTERED);
        ASSERT_STRCONTAINS(d->items[0].what, "pub4 tcp/8080 -> 10.89.0.5:80 (p/web), was pub4 tcp/8080 -> 10.89.0.2:80");
        ASSERT_EQ(sync_p(ctx), 1);
        ASSERT_EQ(sync_p(ctx), 0);
        ports_p[0].target_ip = "10.89.0.2";
        ASSERT_EQ(sync_p(ctx), 1);
}

TEST(two_projects_side_by_side) {
        _cleanup_(fw_closep) FwContext *ctx = ctx_new();
        FwPort taken = { .service = "api", .host_port = 8080, .target_ip = "10.89.2.3", .target_port = 80 };
        NcError err = {};

        ASSERT_OK(sync_p(ctx));
        ASSERT_EQ(fw_sync_project(ctx, "q", ports_q, 1, net_q, 1, NULL), 1 + 1 + 2 + 2);
        ASSERT_EQ(sync_p(ctx), 0);
        ASSERT_EQ(fw_sync_project(ctx, "q", ports_q, 1, net_q, 1, NULL), 0);
        /* The map key is the arbiter: q cannot take p's host port. */
        ASSERT_EQ(fw_sync_project(ctx, "q", &taken, 1, net_q, 1, &err), -EADDRINUSE);
        ASSERT_STRCONTAINS(err.message, "pub4 tcp/8080 -> 10.89.2.3:80 (q/api) is taken: the table holds "
                           "pub4 tcp/8080 -> 10.89.0.2:80 (p/web)");
        /* Dropping a port of q leaves p alone. */
        ASSERT_EQ(fw_sync_project(ctx, "q", NULL, 0, net_q, 1, NULL), 1);
        ASSERT_EQ(sync_p(ctx), 0);
        ASSERT_EQ(fw_sync_project(ctx, "q", ports_q, 1, net_q, 1, NULL), 1);
}

static const FwElem *web_elem;

static int build_delete_web(FwBatch *b) {
        return fw_batch_elems(b, false, &web_elem, 1);
}

TEST(drift_deleted_element) {
        _cleanup_(fw_closep) FwContext *ctx = ctx_new();
        _cleanup_(fw_diff_freep) FwDiff *d = NULL;
        _cleanup_free_ FwElem *elems = NULL;
        size_t n = 0;

        ASSERT_OK(sync_p(ctx));
        ASSERT_OK(fw_port_to_elems("p", &ports_p[0], 0, 0, &elems, &n, NULL));
        web_elem = &elems[0];
        foreign_batch(build_delete_web);
        ASSERT_EQ(diff_p(ctx, &d), 1);
        ASSERT_EQ(d->items[0].kind, FW_DRIFT_MISSING);
        ASSERT_STREQ(d->items[0].what, "pub4 tcp/8080 -> 10.89.0.2:80 (p/web)");
        ASSERT_TRUE(d->structure_ok);
        ASSERT_EQ(sync_p(ctx), 1);
        ASSERT_EQ(sync_p(ctx), 0);
}

/* What `nft flush table inet nspawn_compose` sends: DELRULE naming only the table. */
static int build_flush_table(FwBatch *b) {
        struct nftnl_rule *r = nftnl_rule_alloc();
        struct nlmsghdr *nlh = fw_batch_add(b, NFT_MSG_DELRULE, 0, "flush table");

        nftnl_rule_set_str(r, NFTNL_RULE_TABLE, FW_TABLE_NAME);
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
        nftnl_rule_nlmsg_build_payload(nlh, r);
        nftnl_rule_free(r);
        fw_batch_commit(b, nlh);
        return 0;
}

TEST(drift_flushed_table) {
        _cleanup_(fw_closep) FwContext *ctx = ctx_new();
        _cleanup_(fw_diff_freep) FwDiff *d = NULL, *d2 = NULL;

        ASSERT_OK(sync_p(ctx));
        foreign_batch(build_flush_table);
        ASSERT_TRUE(diff_p(ctx, &d) > 0);
        ASSERT_FALSE(d->structure_ok);
        ASSERT_STRCONTAINS(d->items[0].what, "rules flushed or edited");
        ASSERT_TRUE(sync_p(ctx) > 0);
        ASSERT_EQ(diff_p(ctx, &d2), 0);
        ASSERT_TRUE(d2->structure_ok);
}

static int build_delete_table(FwBatch *b) {
        return fw_batch_del_table(b);
}

TEST(drift_deleted_table) {
        _cleanup_(fw_closep) FwContext *ctx = ctx_new();
        _cleanup_(fw_diff_freep) FwDiff *d = NULL;

        ASSERT_OK(sync_p(ctx));
        foreign_batch(build_delete_table);
        ASSERT_EQ(diff_p(ctx, &d), 1 + 16);
        ASSERT_STREQ(d->items[0].what, "table inet nspawn_compose missing");
        ASSERT_TRUE(sync_p(ctx) > 0);
        ASSERT_EQ(sync_p(ctx), 0);
}

/* A base chain whose policy someone set to drop is recreated as defined. */
static int build_policy_drop(FwBatch *b) {
        struct nftnl_chain *c = nftnl_chain_alloc();
        struct nlmsghdr *nlh = fw_batch_add(b, NFT_MSG_NEWCHAIN, 0, "policy drop");

        nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FW_TABLE_NAME);
        nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, "postrouting");
        nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
        nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_DROP);
        nftnl_chain_nlmsg_build_payload(nlh, c);
        nftnl_chain_free(c);
        fw_batch_commit(b, nlh);
        return 0;
}

TEST(drift_chain_policy) {
        _cleanup_(fw_closep) FwContext *ctx = ctx_new();
        _cleanup_(fw_diff_freep) FwDiff *d = NULL;

        ASSERT_OK(sync_p(ctx));
        foreign_batch(build_policy_drop);
        ASSERT_EQ(diff_p(ctx, &d), 1);
        ASSERT_STREQ(d->items[0].what, "chain postrouting edited (hook, priority or policy)");
        ASSERT_EQ(sync_p(ctx), 1);
        ASSERT_EQ(sync_p(ctx), 0);
}

/* 10000 ports are one batch of about half a megabyte: the socket's send buffer must grow. */
TEST(rule_count_is_constant) {
        _cleanup_(fw_closep) FwContext *ctx = ctx_new();
        _cleanup_(fw_snapshot_done) FwSnapshot s = {};
        _cleanup_free_ FwPort *many = calloc(10000, sizeof *many);
        _cleanup_free_ char (*ip)[32] = calloc(10000, sizeof *ip);
        size_t rules = 0;

        for (size_t i = 0; i < 10000; i++) {
                snprintf(ip[i], sizeof ip[i], "10.90.%zu.%zu", i / 200, 2 + i % 200);
                many[i] = (FwPort) { .service = "s", .host_port = 20000 + i, .target_ip = ip[i],
                                     .target_port = 80 };
        }
        ASSERT_EQ(fw_sync_project(ctx, "big", many, 10000, NULL, 0, NULL), 10000);
        ASSERT_EQ(fw_sync_project(ctx, "big", many, 10000, NULL, 0, NULL), 0);
        many[5000].target_port = 81;
        ASSERT_EQ(fw_sync_project(ctx, "big", many, 10000, NULL, 0, NULL), 1);
        ASSERT_OK(fw_snapshot_read(ctx, &s, NULL));
        for (FwChainId c = 0; c < _FW_CHAIN_MAX; c++) {
                ASSERT_TRUE(s.rules_ok[c]);
                rules += fw_chain_n_rules(c);
        }
        printf("# %zu rules for %zu elements\n", rules, s.n_elems);
        ASSERT_EQ(fw_remove_project(ctx, "big", NULL), 10000);
}

TEST(remove_keeps_others_then_drops_table) {
        _cleanup_(fw_closep) FwContext *ctx = ctx_new();

        ASSERT_OK(sync_p(ctx));
        ASSERT_OK(fw_sync_project(ctx, "q", ports_q, 1, net_q, 1, NULL));
        ASSERT_EQ(fw_remove_project(ctx, "p", NULL), 16);
        ASSERT_EQ(fw_remove_project(ctx, "p", NULL), 0);
        ASSERT_EQ(count_owned(ctx, "q"), 6);
        ASSERT_TRUE(table_exists(ctx));
        ASSERT_EQ(fw_remove_project(ctx, "q", NULL), 6 + 1);
        ASSERT_FALSE(table_exists(ctx));
        ASSERT_EQ(fw_remove_project(ctx, "q", NULL), 0);
}

/* What `nft list ruleset` prints of our table is what `nft -f` reads back (a saved ruleset, as
 * nftables.service keeps one, restores it), balanced ports included, and it is then in sync. */
TEST(listing_reloads) {
        _cleanup_(fw_closep) FwContext *ctx = ctx_new();
        FwPort lb[] = {
                { .service = "w", .host_port = 8090, .target_ip = "10.88.0.2", .target_port = 80, .balance = "w" },
                { .service = "w-2", .host_port = 8090, .target_ip = "10.88.0.3", .target_port = 80, .balance = "w" },
                { .service = "w", .host_ip = "127.0.0.1", .host_port = 8091, .target_ip = "10.88.0.2",
                  .target_port = 80, .balance = "w" },
                { .service = "w-2", .host_ip = "127.0.0.1", .host_port = 8091, .target_ip = "10.88.0.3",
                  .target_port = 80, .balance = "w" },
                { .service = "w", .host_port = 8092, .target_ip = "fd00:88::2", .target_port = 80, .balance = "w" },
                { .service = "w-2", .host_port = 8092, .target_ip = "fd00:88::3", .target_port = 80, .balance = "w" },
                { .service = "v", .host_port = 8093, .target_ip = "10.88.0.4", .target_port = 80 },
        };
        _cleanup_(fw_diff_freep) FwDiff *d = NULL;

        ASSERT_TRUE(fw_sync_project(ctx, "r", lb, ELEMENTSOF(lb), NULL, 0, NULL) > 0);
        ASSERT_EQ(system("nft list ruleset >/run/saved.nft && nft delete table inet " FW_TABLE_NAME
                         " && nft -f /run/saved.nft"), 0);
        ASSERT_EQ(fw_diff_project(ctx, "r", lb, ELEMENTSOF(lb), NULL, 0, &d, NULL), 0);
        ASSERT_EQ(fw_remove_project(ctx, "r", NULL), (int) ELEMENTSOF(lb) + 1);     /* and the table */
}

/* What a supervisor sees: a notification for each change of our table, by us or by nft(8), and none
 * for another table. */
TEST(monitor_sees_changes_of_our_table_only) {
        _cleanup_(fw_closep) FwContext *ctx = ctx_new();
        _cleanup_close_ int fd = fw_monitor_open(NULL);

        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(fw_monitor_drain(fd), 0);
        ASSERT_TRUE(sync_p(ctx) > 0);
        ASSERT_EQ(fw_monitor_drain(fd), 1);
        ASSERT_EQ(fw_monitor_drain(fd), 0);
        ASSERT_EQ(system("nft add table inet other && nft add chain inet other c && nft delete table inet other"), 0);
        ASSERT_EQ(fw_monitor_drain(fd), 0);
        ASSERT_EQ(system("nft flush chain inet " FW_TABLE_NAME " prerouting 2>/dev/null || "
                         "nft flush table inet " FW_TABLE_NAME), 0);
        ASSERT_EQ(fw_monitor_drain(fd), 1);
        ASSERT_EQ(sync_p(ctx), 1);
        ASSERT_EQ(fw_monitor_drain(fd), 1);
        ASSERT_EQ(fw_remove_project(ctx, "p", NULL) > 0, true);
}

TAP_MAIN();
