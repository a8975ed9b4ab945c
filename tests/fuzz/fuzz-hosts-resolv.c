/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "lib/strv.h"
#include "reconcile/compose/compose.h"
#include "reconcile/runtime/runtime-internal.h"

/* A compose document through the loader, and the names it accepts through the writers of the
 * machine's /etc/hosts and /etc/resolv.conf: every name or address the loader lets through gives
 * exactly one line, and no line holds a control character but the tab between fields. Network
 * aliases (which render writes into S.hosts) must be plain names too. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PATH "/nonexistent/nspawn-compose-fuzz/compose.yml"

static size_t count_lines(const char *text) {
        size_t n = 0;

        for (const char *p = text; *p; p++) {
                if (*p == '\n')
                        n++;
                else if ((unsigned char) *p < ' ' && *p != '\t')
                        abort();                /* a control character inside a line */
                else if (*p == 0x7f)
                        abort();
        }
        if (*text && text[strlen(text) - 1] != '\n')
                abort();                        /* every line ends */
        return n;
}

static bool is_plain_name(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || *s == 0x7f)
                        return false;
        return true;
}

static char **strings_of(const ComposeNode *seq) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

        if (!l)
                return NULL;
        COMPOSE_SEQ_FOREACH(i, seq)
                if (compose_node_is_scalar(seq->items[i]) && strv_extend(&l, seq->items[i]->scalar) < 0)
                        return NULL;
        return TAKE_PTR(l);
}

/* extra_hosts as render passes them on: canonical "host=ip" as "host:ip". */
static char **extra_hosts_of(const ComposeNode *seq) {
        char **l = strings_of(seq);

        STRV_FOREACH(h, l) {
                char *eq = strchr(*h, '=');

                if (eq)
                        *eq = ':';
        }
        return l;
}

static void check_service(const ComposeNode *svc, const char *name) {
        _cleanup_strv_free_ char **dns = strings_of(compose_map_get(svc, "dns")),
                **search = strings_of(compose_map_get(svc, "dns_search")),
                **extra = extra_hosts_of(compose_map_get(svc, "extra_hosts"));
        _cleanup_free_ char *hosts = NULL, *resolv = NULL;
        const ComposeNode *nets = compose_map_get(svc, "networks");
        ServiceNetwork net = { .address = (char *) "10.89.0.2/24" };
        ServiceSpec s = {
                .hostname = (char *) (compose_map_get_str(svc, "hostname") ?: name),
                .networks = &net,
                .n_networks = 1,
        };
        size_t n_extra = 0;

        if (!dns || !search || !extra)
                return;
        s.dns = dns;
        s.dns_search = search;
        s.extra_hosts = extra;
        if (!is_plain_name(s.hostname))
                abort();
        COMPOSE_MAP_FOREACH(i, nets) {
                const ComposeNode *aliases = compose_map_get(nets->items[i], "aliases");

                COMPOSE_SEQ_FOREACH(j, aliases)
                        if (!is_plain_name(strempty(compose_node_str(aliases->items[j]))))
                                abort();
        }
        hosts = rt_hosts_text(&s, NULL);
        if (!hosts)
                return;
        STRV_FOREACH(h, extra)
                n_extra += !!strchr(*h, ':');
        /* the header, localhost twice, our address, one per extra host */
        if (count_lines(hosts) != 4 + n_extra)
                abort();
        if (strv_length(dns) == 0 && strv_length(search) == 0)
                return;                         /* it would read the host's resolv.conf */
        resolv = rt_resolv_text(&s);
        if (!resolv)
                return;
        if (count_lines(resolv) != 1 + strv_length(dns) + (strv_length(search) > 0))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        const ComposeNode *services;
        ComposeOptions o = {};

        if (size > 64 * 1024)           /* stay in the loader, not in malloc */
                return 0;
        if (compose_project_load_buffer(FUZZ_PATH, (const char *) data, size, &o, &p, NULL) < 0)
                return 0;
        services = compose_map_get(p->model, "services");
        COMPOSE_MAP_FOREACH(i, services)
                check_service(services->items[i], services->keys[i]->scalar);
        return 0;
}
