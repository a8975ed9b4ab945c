/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Working in other namespaces, as systemd's namespace-util.h. */

/* Runs @func(@userdata) with this thread in the network namespace @netns_fd, then switches back:
 * for sockets, which keep the netns they were created in. Returns what @func returns, or -errno if
 * the namespace could not be entered. Aborts if it cannot switch back: staying in another netns
 * would make everything after it wrong. */
int netns_call(int netns_fd, int (*func)(void *userdata), void *userdata);
