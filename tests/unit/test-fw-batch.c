/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nftables batches without a kernel: built into a buffer, parsed back with libnftnl, compared. */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/udata.h>

#include "netfilter/netfilter-internal.h"
#include "tests/tap.h"

static const FwPort web = { .service = "web", .host_port = 8080, .target_ip = "10.0.0.2", .target_port = 80 };

static void hex(const uint8_t *p, size_t n, char *buf) {
        for (size_t i = 0; i < n; i++)
                sprintf(buf + 2 * i, "%02x", p[i]);
}

TEST(port_element_is_the_register_image) {
        _cleanup_free_ FwElem *e = NULL;
        FwPort local = web;
        char k[64], d[64];
        size_t n = 0;

        ASSERT_OK(fw_port_to_elems("p", &web, 0, 0, &e, &n, NULL));
        ASSERT_EQ(n, 1);
        ASSERT_EQ(e[0].set, FW_SET_PUB4);
        hex(e[0].key, e[0].key_len, k);
        hex(e[0].data, e[0].data_len, d);
        ASSERT_STREQ(k, "060000001f900000");
        ASSERT_STREQ(d, "0a00000200500000");
        ASSERT_STREQ(e[0].comment, "p/web");

        local.host_ip = "127.0.0.1";
        local.protocol = "udp";
        ASSERT_OK(fw_port_to_elems("p", &local, 0, 0, &e, &n, NULL));
        ASSERT_EQ(e[1].set, FW_SET_PUB4_ADDR);
        hex(e[1].key, e[1].key_len, k);
        ASSERT_STREQ(k, "7f000001110000001f900000");
        ASSERT_STREQ(fw_elem_format(&e[1], k, sizeof k), "pub4_addr 127.0.0.1 udp/8080 -> 10.0.0.2:80 (p/web)");
}

TEST(ipv6_ports) {
        FwPort p = { .service = "s", .host_ip = "[::]", .host_port = 443, .target_ip = "fd00::2", .target_port = 8443 };
        _cleanup_free_ FwElem *e = NULL;
        char buf[128];
        size_t n = 0;

        ASSERT_OK(fw_port_to_elems("p", &p, 0, 0, &e, &n, NULL));
        ASSERT_EQ(e[0].set, FW_SET_PUB6);
        ASSERT_EQ(e[0].data_len, 20);
        p.host_ip = "2001:db8::5";
        ASSERT_OK(fw_port_to_elems("p", &p, 0, 0, &e, &n, NULL));
        ASSERT_EQ(e[1].set, FW_SET_PUB6_ADDR);
        ASSERT_EQ(e[1].key_len, 24);
        ASSERT_STREQ(fw_elem_format(&e[1], buf, sizeof buf), "pub6_addr [2001:db8::5] tcp/443 -> [fd00::2]:8443 (p/s)");
}

TEST(ports_dnat_cannot_serve_are_rejected) {
        FwPort p = web;
        NcError err = {};

        p.host_ip = "[::1]";
        ASSERT_EQ(fw_port_check(&p, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "service 'web': port [::1]:8080:10.0.0.2:80/tcp: DNAT cannot serve ::1");
        p = web, p.host_ip = "::1", p.target_ip = "fd00::2";
        err = (NcError) {};
        ASSERT_EQ(fw_port_check(&p, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "service 'web': port [::1]:8080:[fd00::2]:80/tcp: DNAT cannot serve ::1");
        p = web, p.host_ip = "::ffff:10.0.0.1";
        ASSERT_EQ(fw_port_check(&p, NULL), -EINVAL);
        p = web, p.host_ip = "fe80::1", p.target_ip = "fd00::2";
        ASSERT_EQ(fw_port_check(&p, NULL), -EINVAL);
        p = web, p.host_ip = "224.0.0.1";
        ASSERT_EQ(fw_port_check(&p, NULL), -EINVAL);
        p = web, p.host_ip = "192.168.1.5", p.target_ip = "fd00::2";
        err = (NcError) {};
        ASSERT_EQ(fw_port_check(&p, &err), -EINVAL);
        ASSERT_STRCONTAINS(err.message, "families differ");
        p = web, p.host_ip = "::";
        ASSERT_EQ(fw_port_check(&p, NULL), -EINVAL);
        p = web, p.host_port = 0;
        ASSERT_EQ(fw_port_check(&p, NULL), -EINVAL);
        p = web, p.protocol = "icmp";
        ASSERT_EQ(fw_port_check(&p, NULL), -EINVAL);
        p = web, p.target_ip = "127.0.0.1";
        ASSERT_EQ(fw_port_check(&p, NULL), -EINVAL);
        p = web, p.protocol = "sctp", p.host_ip = "0.0.0.0";
        ASSERT_OK(fw_port_check(&p, NULL));
        p = web, p.host_ip = "127.0.0.1";
        ASSERT_OK(fw_port_check(&p, NULL));
}

TEST(host_port_taken_twice) {
        FwPort p[3] = { web, web, web };
        NcError err = {};

        p[1].service = "api";
        ASSERT_EQ(fw_ports_check(p, 2, &err), -EADDRINUSE);
        ASSERT_STREQ(err.message, "services 'web' and 'api' both publish host port 8080/tcp");
        p[1].protocol = "udp";                  /* other protocol: fine */
        ASSERT_OK(fw_ports_check(p, 2, NULL));
        p[1] = web, p[1].host_ip = "127.0.0.1"; /* a specific address under the wildcard */
        ASSERT_EQ(fw_ports_check(p, 2, NULL), -EADDRINUSE);
        p[0].host_ip = "192.168.1.5";           /* two different specific addresses */
        ASSERT_OK(fw_ports_check(p, 2, NULL));
        p[2].host_ip = "192.168.1.5";
        err = (NcError) {};
        ASSERT_EQ(fw_ports_check(p, 3, &err), -EADDRINUSE);
        ASSERT_STRCONTAINS(err.message, "on 192.168.1.5");
        p[2] = web, p[2].target_ip = "fd00::2"; /* IPv6 wildcard does not overlap IPv4 */
        ASSERT_OK(fw_ports_check(p, 3, NULL));
}

/* Replicas of one service on one host port: one lb4 element per target, in the slots of the
 * group's size (3 replicas: 3, 4, 5; see fw_slot_base()), in the order written. */
TEST(balanced_ports_take_the_slots_of_their_group) {
        FwPort p[4] = { web, web, web, web };
        _cleanup_free_ FwElem *e = NULL;
        NcError err = {};
        char buf[128];
        size_t n = 0;

        for (size_t i = 0; i < 3; i++) {
                p[i].balance = "web";
                p[i].service = (const char*[]) { "web", "web-2", "web-3" }[i];
        }
        p[0].target_ip = "10.0.0.4", p[1].target_ip = "10.0.0.2", p[2].target_ip = "10.0.0.3";
        ASSERT_OK(fw_project_elems("p", p, 3, NULL, 0, &e, &n, NULL));
        ASSERT_EQ(n, 3);
        for (size_t i = 0; i < 3; i++) {
                uint32_t slot;

                ASSERT_EQ(e[i].set, FW_SET_LB4);
                ASSERT_EQ(e[i].key_len, 12);
                memcpy(&slot, e[i].key + 8, sizeof slot);
                ASSERT_EQ(slot, 3 + i);
        }
        ASSERT_STREQ(fw_elem_format(&e[1], buf, sizeof buf), "lb4 tcp/8080 [2/3] -> 10.0.0.2:80 (p/web-2)");

        /* a group of one is a plain port */
        e = mfree(e), n = 0;
        ASSERT_OK(fw_project_elems("p", p, 1, NULL, 0, &e, &n, NULL));
        ASSERT_EQ(e[0].set, FW_SET_PUB4);

        /* on one specific address: lb4_addr, the address first */
        p[0].host_ip = p[1].host_ip = "127.0.0.1";
        e = mfree(e), n = 0;
        ASSERT_OK(fw_project_elems("p", p, 2, NULL, 0, &e, &n, NULL));
        ASSERT_EQ(e[0].set, FW_SET_LB4_ADDR);
        ASSERT_EQ(e[0].key_len, 16);
        ASSERT_STREQ(fw_elem_format(&e[1], buf, sizeof buf),
                     "lb4_addr 127.0.0.1 tcp/8080 [2/2] -> 10.0.0.2:80 (p/web-2)");

        /* the group on two addresses, a member outside the group, another group: collisions */
        ASSERT_EQ(fw_ports_check(p, 3, &err), -EADDRINUSE);
        p[2].host_ip = "127.0.0.1";
        ASSERT_OK(fw_ports_check(p, 3, NULL));
        p[3].service = "api";
        ASSERT_EQ(fw_ports_check(p, 4, NULL), -EADDRINUSE);
        p[3].balance = "api";
        ASSERT_EQ(fw_ports_check(p, 4, NULL), -EADDRINUSE);
}

TEST(balanced_group_has_a_maximum) {
        FwPort p[FW_BALANCE_MAX + 1];
        char targets[FW_BALANCE_MAX + 1][16];
        NcError err = {};

        for (size_t i = 0; i <= FW_BALANCE_MAX; i++) {
                snprintf(targets[i], sizeof targets[i], "10.0.0.%zu", i + 2);
                p[i] = web, p[i].balance = "web", p[i].target_ip = targets[i];
        }
        ASSERT_OK(fw_ports_check(p, FW_BALANCE_MAX, NULL));
        ASSERT_EQ(fw_ports_check(p, FW_BALANCE_MAX + 1, &err), -E2BIG);
        ASSERT_STREQ(err.message, "17 replicas of 'web' share host port 8080/tcp: at most 16 can");
}

TEST(subnets_become_intervals) {
        FwNetwork n = { .name = "default", .bridge = "nc-x", .subnet = "10.89.0.7/24", .ipv6_subnet = "fd00:1::/64" };
        _cleanup_free_ FwElem *e = NULL;
        size_t count = 0;
        char buf[128];

        ASSERT_OK(fw_network_to_elems("p", &n, &e, &count, NULL));
        /* lnet_ifs, nets4 start/end, masq4 start/end, nets6 start/end, masq6 start/end */
        ASSERT_EQ(count, 9);
        ASSERT_STREQ(fw_elem_format(&e[0], buf, sizeof buf), "lnet_ifs nc-x (p/default)");
        ASSERT_STREQ(fw_elem_format(&e[1], buf, sizeof buf), "nets4 start 10.89.0.0 (p/default)");
        ASSERT_STREQ(fw_elem_format(&e[2], buf, sizeof buf), "nets4 end 10.89.1.0 (p/default)");
        ASSERT_STREQ(fw_elem_format(&e[6], buf, sizeof buf), "nets6 end [fd00:1:0:1::] (p/default)");
        n.internal = true;
        n.ipv6_subnet = NULL;
        n.subnet = "255.255.255.0/24";          /* reaches the end of the space: no end element */
        count = 0;
        ASSERT_OK(fw_network_to_elems("p", &n, &e, &count, NULL));
        ASSERT_EQ(count, 2);
        n.subnet = "10.0.0.0/33";
        ASSERT_EQ(fw_network_to_elems("p", &n, &e, &count, NULL), -EINVAL);
}

/* Walks the messages between BATCH_BEGIN and BATCH_END. */
typedef void (*MsgFunc)(const struct nlmsghdr *nlh, void *userdata);

static size_t batch_walk(const FwBatch *b, MsgFunc f, void *userdata) {
        const struct nlmsghdr *nlh = (const void*) b->buf;
        int left = (int) b->len;
        size_t n = 0;

        for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left), n++)
                f(nlh, userdata);
        ASSERT_EQ(left, 0);
        return n;
}

typedef struct Seen {
        unsigned types[NFT_MSG_MAX + 1];
        unsigned begin, end;
        uint32_t genid;
        char rules[128][64];
        char exprs[128][128];
        size_t n_rules;
        FwElem elems[4096];
        size_t n_elems;
} Seen;

static int expr_name_cb(struct nftnl_expr *e, void *data) {
        char *buf = data;

        strcat(buf, nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
        strcat(buf, " ");
        return 0;
}

static int rule_tag_cb(const struct nftnl_udata *attr, void *data) {
        snprintf(data, 64, "%s", (const char*) nftnl_udata_get(attr));
        return 0;
}

static void parse_rule(const struct nlmsghdr *nlh, Seen *s) {
        struct nftnl_rule *r = nftnl_rule_alloc();
        const void *udata;
        uint32_t len;

        ASSERT_OK(nftnl_rule_nlmsg_parse(nlh, r));
        ASSERT_STREQ(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), FW_TABLE_NAME);
        udata = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
        ASSERT_NOT_NULL(udata);
        ASSERT_OK(nftnl_udata_parse(udata, len, rule_tag_cb, s->rules[s->n_rules]));
        ASSERT_OK(nftnl_expr_foreach(r, expr_name_cb, s->exprs[s->n_rules]));
        s->n_rules++;
        nftnl_rule_free(r);
}

/* libnftnl numbers the element nests it builds 1, 2, 3... (the kernel ignores the type) but its
 * parser wants NFTA_LIST_ELEM on each, as the kernel sends them: renumber a copy. */
static struct nlmsghdr *elems_as_kernel_sends(const struct nlmsghdr *nlh) {
        struct nlmsghdr *copy = malloc(nlh->nlmsg_len);
        struct nlattr *a, *e;

        memcpy(copy, nlh, nlh->nlmsg_len);
        mnl_attr_for_each(a, copy, sizeof(struct nfgenmsg))
                if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
                        mnl_attr_for_each_nested(e, a)
                                e->nla_type = (e->nla_type & ~NLA_TYPE_MASK) | NFTA_LIST_ELEM;
        return copy;
}

static void parse_elems(const struct nlmsghdr *sent, Seen *s) {
        _cleanup_free_ struct nlmsghdr *nlh = elems_as_kernel_sends(sent);
        struct nftnl_set *set = nftnl_set_alloc();
        struct nftnl_set_elems_iter *it;
        struct nftnl_set_elem *ne;
        FwSetId id;

        ASSERT_OK(nftnl_set_elems_nlmsg_parse(nlh, set));
        id = fw_set_from_name(nftnl_set_get_str(set, NFTNL_SET_NAME));
        ASSERT_TRUE(id >= 0);
        it = nftnl_set_elems_iter_create(set);
        while ((ne = nftnl_set_elems_iter_next(it)))
                ASSERT_OK(fw_elem_from_nftnl(id, ne, &s->elems[s->n_elems++]));
        nftnl_set_elems_iter_destroy(it);
        nftnl_set_free(set);
}

static void seen_msg(const struct nlmsghdr *nlh, void *userdata) {
        Seen *s = userdata;
        uint16_t type = nlh->nlmsg_type;

        if (type == NFNL_MSG_BATCH_BEGIN) {
                const struct nlattr *a = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));

                s->begin++;
                if (mnl_nlmsg_get_payload_len(nlh) > sizeof(struct nfgenmsg) &&
                    mnl_attr_get_type(a) == NFNL_BATCH_GENID)
                        s->genid = ntohl(mnl_attr_get_u32(a));
                return;
        }
        if (type == NFNL_MSG_BATCH_END) {
                s->end++;
                return;
        }
        ASSERT_EQ(type >> 8, NFNL_SUBSYS_NFTABLES);
        ASSERT_TRUE(nlh->nlmsg_flags & NLM_F_ACK);
        s->types[type & 0xff]++;
        if ((type & 0xff) == NFT_MSG_NEWRULE)
                parse_rule(nlh, s);
        if ((type & 0xff) == NFT_MSG_NEWSETELEM || (type & 0xff) == NFT_MSG_DELSETELEM)
                parse_elems(nlh, s);
}

static const FwNetwork nets[] = { { .name = "default", .bridge = "nc-x", .subnet = "10.89.0.0/24" } };

TEST(first_sync_builds_everything_in_one_batch) {
        _cleanup_(fw_plan_done) FwPlan p = {};
        _cleanup_(fw_batch_done) FwBatch b = {};
        _cleanup_free_ FwElem *want = NULL;
        FwSnapshot empty = {};
        Seen *s = calloc(1, sizeof *s);
        size_t n;

        ASSERT_OK(fw_project_elems("p", &web, 1, nets, 1, &want, &n, NULL));
        ASSERT_EQ(n, 1 + 1 + 2 + 2);
        ASSERT_OK(fw_plan_compute(&empty, "p", want, n, false, &p));
        ASSERT_EQ(fw_plan_n_changes(&p), 1 + _FW_SET_MAX + _FW_CHAIN_MAX + n);
        ASSERT_OK(fw_plan_build_batch(&p, &b, 100, 42));
        batch_walk(&b, seen_msg, s);
        ASSERT_EQ(s->begin, 1);
        ASSERT_EQ(s->end, 1);
        ASSERT_EQ(s->genid, 42);
        ASSERT_EQ(s->types[NFT_MSG_NEWTABLE], 1);
        ASSERT_EQ(s->types[NFT_MSG_NEWSET], _FW_SET_MAX);
        ASSERT_EQ(s->types[NFT_MSG_NEWCHAIN], _FW_CHAIN_MAX);
        ASSERT_EQ(s->types[NFT_MSG_NEWRULE], 14 + 4 * (FW_BALANCE_MAX - 1));
        ASSERT_EQ(s->types[NFT_MSG_DELSETELEM], 0);
        ASSERT_STREQ(s->rules[2], "nspawn-compose: pub4_addr");
        ASSERT_STREQ(s->exprs[2], "meta cmp payload meta payload lookup nat ");
        ASSERT_STREQ(s->rules[6], "nspawn-compose: lb4_addr mod 2");
        ASSERT_STREQ(s->exprs[6], "meta cmp payload meta payload numgen lookup nat ");
        ASSERT_STREQ(s->rules[6 + 2 * (FW_BALANCE_MAX - 1)], "nspawn-compose: lb6_addr mod 2");
        ASSERT_STREQ(s->rules[70], "nspawn-compose: hairpin4");
        ASSERT_STREQ(s->exprs[70], "ct bitwise cmp meta cmp payload lookup masq ");
        /* Every element comes back as built, comment included (an interval end carries none). */
        ASSERT_EQ(s->n_elems, n);
        for (size_t i = 0; i < n; i++) {
                bool found = false;

                for (size_t j = 0; j < n && !found; j++)
                        found = fw_elem_same_key(&s->elems[i], &want[j]) &&
                                (fw_elem_equal(&s->elems[i], &want[j]) ||
                                 (want[j].flags & NFT_SET_ELEM_INTERVAL_END));
                ASSERT_TRUE(found);
        }
        ASSERT_STREQ(fw_batch_what(&b, 101), "add table");
        free(s);
}

static FwElem elem_of(const char *project, const char *service, uint16_t port, const char *target) {
        FwPort p = { .service = service, .host_port = port, .target_ip = target, .target_port = 80 };
        FwElem *e = NULL, r;
        size_t n = 0;

        ASSERT_OK(fw_port_to_elems(project, &p, 0, 0, &e, &n, NULL));
        r = e[0];
        free(e);
        return r;
}

static FwSnapshot intact(FwElem *elems, size_t n) {
        FwSnapshot s = { .table = true, .elems = elems, .n_elems = n };

        for (size_t i = 0; i < _FW_SET_MAX; i++)
                s.set_present[i] = s.set_ok[i] = true;
        for (size_t i = 0; i < _FW_CHAIN_MAX; i++)
                s.chain_present[i] = s.chain_ok[i] = s.rules_ok[i] = true;
        return s;
}

TEST(plan_touches_only_the_project) {
        FwElem have[] = {
                elem_of("p", "web", 8080, "10.0.0.2"),  /* kept */
                elem_of("p", "web", 8081, "10.0.0.2"),  /* re-pointed */
                elem_of("p", "old", 8082, "10.0.0.9"),  /* removed */
                elem_of("q", "api", 9000, "10.1.0.2"),  /* another project's: untouched */
                elem_of("q", "api", 9001, "10.1.0.2"),  /* wanted by p: conflict */
                elem_of("pq", "x", 9002, "10.1.0.3"),   /* "pq/" is not "p/" */
        };
        FwElem want[] = {
                elem_of("p", "web", 8080, "10.0.0.2"),
                elem_of("p", "web", 8081, "10.0.0.3"),
                elem_of("p", "new", 8083, "10.0.0.4"),
                elem_of("p", "new", 9001, "10.0.0.4"),
        };
        FwSnapshot s = intact(have, ELEMENTSOF(have));
        _cleanup_(fw_plan_done) FwPlan p = {}, r = {};

        ASSERT_OK(fw_plan_compute(&s, "p", want, ELEMENTSOF(want), false, &p));
        ASSERT_EQ(p.n_add, 1);
        ASSERT_EQ(p.add[0]->key[5], 0x93);     /* 8083 = 0x1f93 */
        ASSERT_EQ(p.n_del, 1);
        ASSERT_STREQ(p.del[0]->comment, "p/old");
        ASSERT_EQ(p.n_alt, 1);
        ASSERT_EQ(p.n_conflict, 1);
        ASSERT_STREQ(p.conflict_owner[0]->comment, "q/api");
        ASSERT_EQ(fw_plan_n_changes(&p), 3);

        ASSERT_OK(fw_plan_compute(&s, "p", NULL, 0, true, &r));
        ASSERT_EQ(r.n_del, 3);
        ASSERT_FALSE(r.table_delete);           /* q still has elements */
}

static FwElem balanced_elem_of(const char *project, const char *service, uint16_t port, const char *target,
                               unsigned n_group, unsigned index) {
        FwPort p = { .service = service, .host_port = port, .target_ip = target, .target_port = 80, .balance = service };
        FwElem *e = NULL, r;
        size_t n = 0;

        ASSERT_OK(fw_port_to_elems(project, &p, n_group, index, &e, &n, NULL));
        r = e[0];
        free(e);
        return r;
}

/* A plain and a balanced port of the same host port live under different keys of sibling maps;
 * another owner's claim in either is still a conflict, and a project may move its own between them. */
TEST(plan_sees_claims_across_sibling_maps) {
        FwElem have[] = {
                elem_of("q", "api", 9000, "10.1.0.2"),
                balanced_elem_of("q", "web", 9001, "10.1.0.3", 2, 0),
                balanced_elem_of("q", "web", 9001, "10.1.0.4", 2, 1),
                elem_of("p", "own", 9002, "10.0.0.5"),
        };
        FwElem want[] = {
                balanced_elem_of("p", "web", 9000, "10.0.0.2", 2, 0),
                elem_of("p", "api", 9001, "10.0.0.3"),
                balanced_elem_of("p", "own", 9002, "10.0.0.5", 3, 2),
        };
        FwSnapshot s = intact(have, ELEMENTSOF(have));
        _cleanup_(fw_plan_done) FwPlan p = {};

        ASSERT_OK(fw_plan_compute(&s, "p", want, ELEMENTSOF(want), false, &p));
        ASSERT_EQ(p.n_conflict, 2);
        ASSERT_STREQ(p.conflict_owner[0]->comment, "q/web");
        ASSERT_STREQ(p.conflict_owner[1]->comment, "q/api");
        ASSERT_EQ(p.n_del, 1);                  /* p's own plain 9002 goes ... */
        ASSERT_STREQ(p.del[0]->comment, "p/own");
        ASSERT_EQ(p.n_add, 3);                  /* ... for the balanced one, beside the two refused */
}

TEST(remove_drops_the_table_when_nothing_else_remains) {
        FwElem have[] = { elem_of("p", "web", 8080, "10.0.0.2") };
        FwSnapshot s = intact(have, 1);
        _cleanup_(fw_plan_done) FwPlan p = {};
        _cleanup_(fw_batch_done) FwBatch b = {};
        Seen *seen = calloc(1, sizeof *seen);

        ASSERT_OK(fw_plan_compute(&s, "p", NULL, 0, true, &p));
        ASSERT_TRUE(p.table_delete);
        ASSERT_OK(fw_plan_build_batch(&p, &b, 1, 0));
        batch_walk(&b, seen_msg, seen);
        ASSERT_EQ(seen->types[NFT_MSG_DELSETELEM], 1);
        ASSERT_EQ(seen->types[NFT_MSG_DELTABLE], 1);
        ASSERT_EQ(seen->genid, 0);
        free(seen);
}

TEST(flushed_rules_are_rebuilt_in_place) {
        FwElem have[] = { elem_of("p", "web", 8080, "10.0.0.2") };
        FwSnapshot s = intact(have, 1);
        _cleanup_(fw_plan_done) FwPlan p = {};
        _cleanup_(fw_batch_done) FwBatch b = {};
        Seen *seen = calloc(1, sizeof *seen);

        s.rules_ok[FW_CHAIN_POSTROUTING] = false;
        ASSERT_OK(fw_plan_compute(&s, "p", have, 1, false, &p));
        ASSERT_EQ(fw_plan_n_changes(&p), 1);
        ASSERT_OK(fw_plan_build_batch(&p, &b, 1, 7));
        batch_walk(&b, seen_msg, seen);
        ASSERT_EQ(seen->types[NFT_MSG_DELRULE], 1);     /* flush chain postrouting */
        ASSERT_EQ(seen->types[NFT_MSG_NEWRULE], fw_chain_n_rules(FW_CHAIN_POSTROUTING));
        ASSERT_EQ(seen->types[NFT_MSG_NEWTABLE], 0);
        free(seen);
}

TEST(large_element_lists_are_split_into_messages) {
        FwElem *want = calloc(1500, sizeof *want);
        const FwElem **ptrs = calloc(1500, sizeof *ptrs);
        _cleanup_(fw_batch_done) FwBatch b = {};
        Seen *seen = calloc(1, sizeof *seen);

        for (size_t i = 0; i < 1500; i++) {
                want[i] = elem_of("p", "s", 10000 + i, "10.0.0.2");
                ptrs[i] = &want[i];
        }
        ASSERT_OK(fw_batch_begin(&b, 1, 0));
        ASSERT_OK(fw_batch_elems(&b, true, ptrs, 1500));
        ASSERT_OK(fw_batch_end(&b));
        batch_walk(&b, seen_msg, seen);
        ASSERT_EQ(seen->types[NFT_MSG_NEWSETELEM], 3);
        ASSERT_EQ(seen->n_elems, 1500);
        ASSERT_TRUE(fw_elem_equal(&seen->elems[1499], &want[1499]));
        free(seen);
        free(ptrs);
        free(want);
}

TAP_MAIN();
