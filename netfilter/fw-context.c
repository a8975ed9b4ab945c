/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <netinet/in.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>
#include <time.h>

#include "netfilter/netfilter-internal.h"

#define FW_RBUF_SIZE (64 * 1024)        /* dumps come in skbs of up to 32 KiB */

int fw_open(FwContext **ret, NcError *reterr) {
        _cleanup_(fw_closep) FwContext *ctx = NULL;
        int one = 1;

        ctx = calloc(1, sizeof *ctx);
        if (!ctx)
                return -ENOMEM;
        ctx->rbuf = malloc(FW_RBUF_SIZE);
        if (!ctx->rbuf)
                return -ENOMEM;
        ctx->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
        if (!ctx->nl)
                return nc_error_set(reterr, -errno, "cannot open a netfilter netlink socket: %m");
        if (mnl_socket_bind(ctx->nl, 0, MNL_SOCKET_AUTOPID) < 0)
                return nc_error_set(reterr, -errno, "cannot bind the netfilter netlink socket: %m");
        /* Error replies carry the kernel's message and do not echo whole requests. */
        (void) mnl_socket_setsockopt(ctx->nl, NETLINK_EXT_ACK, &one, sizeof one);
        (void) mnl_socket_setsockopt(ctx->nl, NETLINK_CAP_ACK, &one, sizeof one);
        ctx->portid = mnl_socket_get_portid(ctx->nl);
        ctx->seq = (uint32_t) time(NULL);
        *ret = TAKE_PTR(ctx);
        return 0;
}

FwContext *fw_close(FwContext *ctx) {
        if (!ctx)
                return NULL;
        if (ctx->nl)
                mnl_socket_close(ctx->nl);
        free(ctx->rbuf);
        free(ctx);
        return NULL;
}

int fw_dump(FwContext *ctx, struct nlmsghdr *req, mnl_cb_t cb, void *userdata) {
        uint32_t seq = req->nlmsg_seq;
        ssize_t n;
        int r;

        if (mnl_socket_sendto(ctx->nl, req, req->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                n = mnl_socket_recvfrom(ctx->nl, ctx->rbuf, FW_RBUF_SIZE);
                if (n < 0)
                        return -errno;
                r = mnl_cb_run(ctx->rbuf, n, seq, ctx->portid, cb, userdata);
                if (r < 0)
                        return -errno;
                if (r == MNL_CB_STOP)
                        return 0;
        }
}

static void grow_buffers(FwContext *ctx, const FwBatch *b) {
        int snd = (int) MIN(b->len + 4096, (size_t) INT32_MAX);
        int rcv = (int) MIN(b->n_msgs * 1024 + 65536, (size_t) INT32_MAX);

        int fd = mnl_socket_get_fd(ctx->nl);

        /* The whole batch is one message to the socket, which must fit the send buffer. FORCE
         * works for real root; in a user namespace wmem_max/rmem_max cap the plain options. */
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
}

typedef struct AckState {
        const FwBatch *batch;
        int error;                      /* first error */
        uint32_t error_seq;
        char extack[256];
} AckState;

static int extack_cb(const struct nlattr *a, void *data) {
        AckState *st = data;

        if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
                snprintf(st->extack, sizeof st->extack, ": %s", mnl_attr_get_str(a));
        return MNL_CB_OK;
}

static void ack_one(AckState *st, const struct nlmsghdr *nlh) {
        const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
        size_t off;

        if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof *err))
                return;
        if (err->error == 0 || st->error != 0)
                return;
        st->error = err->error;
        st->error_seq = nlh->nlmsg_seq;
        if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
                return;
        /* TLVs follow the (capped) echoed request. */
        off = sizeof *err + ((nlh->nlmsg_flags & NLM_F_CAPPED) ? 0 :
                             err->msg.nlmsg_len - sizeof(struct nlmsghdr));
        if (MNL_NLMSG_HDRLEN + MNL_ALIGN(off) < nlh->nlmsg_len)
                (void) mnl_attr_parse(nlh, MNL_ALIGN(off), extack_cb, st);
}

/* The kernel handles the whole batch inside sendmsg() and queues every reply before it returns,
 * so draining without blocking sees them all. A zero error for a message does not mean the
 * transaction committed: any non-zero error for any message means nothing was applied. */
int fw_batch_send(FwContext *ctx, FwBatch *b, NcError *reterr) {
        AckState st = { .batch = b };
        ssize_t n;

        grow_buffers(ctx, b);
        if (mnl_socket_sendto(ctx->nl, b->buf, b->len) < 0)
                return nc_error_set(reterr, -errno, "cannot send the nftables batch (%zu bytes): %m", b->len);
        for (;;) {
                n = recv(mnl_socket_get_fd(ctx->nl), ctx->rbuf, FW_RBUF_SIZE, MSG_DONTWAIT);
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n < 0 && errno == ENOBUFS) {
                        /* Some replies were lost; an error among them would be too. */
                        if (st.error == 0)
                                st.error = -ENOBUFS;
                        continue;
                }
                if (n < 0)
                        return nc_error_set(reterr, -errno, "cannot read nftables replies: %m");
                int left = (int) n;

                for (const struct nlmsghdr *nlh = (void*) ctx->rbuf; mnl_nlmsg_ok(nlh, left);
                     nlh = mnl_nlmsg_next(nlh, &left))
                        ack_one(&st, nlh);
        }
        if (st.error == -ENOBUFS && st.error_seq == 0)
                return nc_error_set(reterr, -ENOBUFS, "nftables replies were lost; state unknown");
        if (st.error != 0)
                return nc_error_set(reterr, st.error, "nftables refused '%s': %s%s",
                                    fw_batch_what(b, st.error_seq), strerror(-st.error), st.extack);
        return 0;
}
