/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "lib/sha256.h"
#include "lib/strv.h"
#include "reconcile/names.h"

char *name_target_unit(const char *project) {
        char *r;

        return asprintf(&r, NC_UNIT_PREFIX "%s.target", project) < 0 ? NULL : r;
}

char *name_network_unit(const char *project) {
        char *r;

        return asprintf(&r, NC_UNIT_PREFIX "%s-network.service", project) < 0 ? NULL : r;
}

char *name_service_unit(const char *project, const char *service) {
        char *r;

        return asprintf(&r, NC_UNIT_PREFIX "%s-%s.service", project, service) < 0 ? NULL : r;
}

char *name_unit_prefix(const char *project) {
        char *r;

        return asprintf(&r, NC_UNIT_PREFIX "%s-", project) < 0 ? NULL : r;
}

/* Service names as compose allows them ([a-zA-Z0-9._-]) are valid in unit names, paths and, with '_'
 * mapped to '-', in machine names. */
int name_machine(const char *project, const char *service, char **ret) {
        _cleanup_free_ char *m = NULL;

        if (isempty(service))
                return -EINVAL;
        for (const char *s = service; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("._-", *s))
                        return -EINVAL;
        if (asprintf(&m, "%s-%s", project, service) < 0)
                return -ENOMEM;
        for (char *s = m; *s; s++)
                if (*s == '_')
                        *s = '-';
        if (strlen(m) > 64 || strstr(m, "..") || endswith(m, "."))
                return -EINVAL;
        *ret = TAKE_PTR(m);
        return 0;
}

/* @prefix + the first 10 hex digits of sha256 of the parts joined by '/'. */
static char *short_name(const char *prefix, const char *a, const char *b, const char *c) {
        _cleanup_free_ char *key = c ? strjoin(a, "/", b, "/", c) : strjoin(a, "/", b);
        char hex[SHA256_DIGEST_SIZE * 2 + 1], *r;

        if (!key)
                return NULL;
        sha256_hex(key, strlen(key), hex);
        return asprintf(&r, "%s%.10s", prefix, hex) < 0 ? NULL : r;
}

char *name_bridge(const char *project, const char *network) {
        return short_name("nc-", project, network, NULL);
}

char *name_netns(const char *project, const char *service) {
        return short_name("nc-", project, service, NULL);
}

char *name_veth(const char *project, const char *service, const char *network) {
        return short_name("vh-", project, service, network);
}

const char *name_unit_dir(bool runtime) {
        return runtime ? "/run/systemd/system" : "/etc/systemd/system";
}

char *name_settings_dir(const char *project, bool runtime) {
        char *r;

        return asprintf(&r, "%s/nspawn-compose/%s", runtime ? "/run" : "/etc", project) < 0 ? NULL : r;
}

static char *project_dir(const char *base, const char *project, const char *service) {
        return service ? strjoin(base, "/", project, "/", service) : strjoin(base, "/", project);
}

char *name_state_dir(const char *project, const char *service) {
        return project_dir(NC_STATE_DIR, project, service);
}

char *name_runtime_dir(const char *project, const char *service) {
        return project_dir(NC_RUNTIME_DIR, project, service);
}

char *name_ipam_path(const char *project) {
        return strjoin(NC_STATE_DIR "/", project, "/ipam.json");
}

char *name_lock_path(const char *project) {
        return strjoin(NC_RUNTIME_DIR "/", project, ".lock");
}

char *name_volume_dir(const char *volume) {
        return strjoin(NC_VOLUMES_DIR "/", volume);
}
