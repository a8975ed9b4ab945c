/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <netinet/in.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <sys/socket.h>

#include "netfilter/netfilter-internal.h"

/* Change notifications of nftables (the NFNLGRP_NFTABLES multicast group) in the caller's network
 * namespace: what a supervisor watches to see someone else change our table. Only the kernel sends
 * to the group (a sender's port id other than 0 is dropped); a machine's own nftables are in its
 * own namespace and never show here. */

int fw_monitor_open(NcError *reterr) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 0 };
        int group = NFNLGRP_NFTABLES;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
        if (fd < 0)
                return nc_error_set(reterr, -errno, "cannot open a netfilter netlink socket: %m");
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return nc_error_set(reterr, -errno, "cannot bind the netfilter netlink socket: %m");
        if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
                return nc_error_set(reterr, -errno, "cannot join nftables' notifications: %m");
        return TAKE_FD(fd);
}

/* The table a notification is about: attribute 1 of every nf_tables message but NEWGEN is the
 * table's name (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE,
 * NFTA_SET_ELEM_LIST_TABLE, NFTA_OBJ_TABLE, NFTA_FLOWTABLE_TABLE). */
static bool message_is_ours(const struct nlmsghdr *nlh) {
        const struct nlattr *a;

        if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
            NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWGEN)
                return false;
        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
                if (mnl_attr_get_type(a) == 1)
                        return mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0 &&
                               streq(mnl_attr_get_str(a), FW_TABLE_NAME);
        return false;
}

int fw_monitor_drain(int fd) {
        char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
        bool ours = false;

        for (;;) {
                struct sockaddr_nl from = {};
                socklen_t len = sizeof from;
                ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *) &from, &len);
                int left;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return ours;
                if (n < 0 && errno == ENOBUFS)
                        ours = true;    /* notifications were lost: any of them may have been ours */
                else if (n < 0)
                        return -errno;
                if (n <= 0 || from.nl_pid != 0)
                        continue;
                left = (int) n;
                for (const struct nlmsghdr *nlh = (const struct nlmsghdr *) buf; mnl_nlmsg_ok(nlh, left);
                     nlh = mnl_nlmsg_next(nlh, &left))
                        ours = ours || message_is_ours(nlh);
        }
}
