/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/process.h"
#include "tests/tap.h"

static int give(void *userdata) {
        return *(int*) userdata;
}

static int in_child(void *userdata) {
        return getpid() == *(pid_t*) userdata ? -EEXIST : 0;
}

static int die(void *userdata) {
        raise(SIGKILL);
        return 0;
}

static int leave(void *userdata) {
        _exit(0);       /* without returning: nothing was written */
}

TEST(fork_and_call_returns_what_the_child_returned) {
        pid_t self = getpid();

        ASSERT_EQ(fork_and_call(give, &(int) { 0 }), 0);
        ASSERT_EQ(fork_and_call(give, &(int) { 42 }), 42);
        ASSERT_EQ(fork_and_call(give, &(int) { -ENOENT }), -ENOENT);
        ASSERT_EQ(fork_and_call(in_child, &self), 0);   /* it ran in another process */
}

TEST(fork_and_call_notices_a_child_that_did_not_return) {
        ASSERT_EQ(fork_and_call(die, NULL), -EPROTO);
        ASSERT_EQ(fork_and_call(leave, NULL), -EPROTO);
}

TAP_MAIN();
