/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/in-addr-util.h"
#include "netfilter/netfilter.h"

/* Sockets on the host that a published port would shadow. DNAT takes a host port's packets before
 * any socket sees them, so a port that a host process listens on would silently stop reaching
 * it; docker refuses such a port ("Bind for 0.0.0.0:8080 failed: port is already allocated"), and
 * so do we. The sockets come from NETLINK_SOCK_DIAG (inet_diag) in the caller's netns: TCP
 * listeners and bound, unconnected UDP sockets. Our own published ports are DNAT, not sockets. */

typedef struct PortListener {
        uint8_t protocol;               /* IPPROTO_TCP or IPPROTO_UDP */
        int family;                     /* AF_INET or AF_INET6 */
        union in_addr_union addr;       /* the bound address; any: every local address */
        uint16_t port;
        bool v6only;                    /* an AF_INET6 socket that takes no IPv4 */
        uint32_t inode;                 /* the socket's inode, as in /proc/PID/fd/N -> socket:[INODE] */
} PortListener;

/* Every TCP listener (@protocol IPPROTO_TCP) or bound unconnected UDP socket (IPPROTO_UDP) of
 * @family. 0 with *ret (NULL when none) and *ret_n, -EPROTONOSUPPORT when the kernel has no
 * inet_diag for it, or -errno. */
int port_listeners_dump(int family, uint8_t protocol, PortListener **ret, size_t *ret_n, NcError *reterr);
/* Whether @l takes packets for host address @host (@any: every address of @family) and @port of
 * @protocol: same family and an overlapping address, or an IPv6 socket that also takes IPv4. */
bool port_listener_takes(const PortListener *l, uint8_t protocol, int family, bool any,
                         const union in_addr_union *host, uint16_t port);
/* The process that holds socket @inode, from /proc/PID/fd (only those we may read): 1 and *ret_pid,
 * ret_comm, 0 when none is found. */
int port_listener_owner(uint32_t inode, pid_t *ret_pid, char ret_comm[static 16]);

/* Refuses the first of @ports (tcp and udp; sctp is not checked) that a host socket would lose to
 * DNAT: -EADDRINUSE naming the service, the port and the listener (its process when it can be
 * found). A port among @held (what the project publishes already) is not checked: it has been ours
 * since, and a socket opened under it later must not stop the project from converging (docker's
 * proxy holds its ports so that none can be). 0 when none; a protocol the kernel cannot list is
 * skipped. */
int fw_ports_check_listeners(const FwPort *ports, size_t n, const FwPort *held, size_t n_held,
                             NcError *reterr);
