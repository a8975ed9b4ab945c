/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
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

        return asprintf(&r, NC_UNIT_PREFIX "%s.%s.service", project, service) < 0 ? NULL : r;
}

char *name_service_unit_prefix(const char *project) {
        char *r;

        return asprintf(&r, NC_UNIT_PREFIX "%s.", project) < 0 ? NULL : r;
}

char *name_legacy_service_unit(const char *project, const char *service) {
        char *r;

        return asprintf(&r, NC_UNIT_PREFIX "%s-%s.service", project, service) < 0 ? NULL : r;
}

/* @prefix + the first @digits hex digits of sha256 of the parts joined by '/'. */
static char *short_name(const char *prefix, unsigned digits, const char *a, const char *b, const char *c) {
        _cleanup_free_ char *key = c ? strjoin(a, "/", b, "/", c) : strjoin(a, "/", b);
        char hex[SHA256_DIGEST_SIZE * 2 + 1], *r;

        if (!key)
                return NULL;
        sha256_hex(key, strlen(key), hex);
        return asprintf(&r, "%s%.*s", prefix, (int) digits, hex) < 0 ? NULL : r;
}

/* Labels of [A-Za-z0-9-], none empty, as machined takes a machine name (hostname_is_valid()). */
static bool is_machine_name(const char *s) {
        if (isempty(s) || strlen(s) > 64 || s[0] == '.' || endswith(s, ".") || strstr(s, ".."))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr(".-", *s))
                        return false;
        return true;
}

bool name_container_name_valid(const char *s) {
        return s && isalnum((unsigned char) s[0]) && strlen(s) >= 2 && is_machine_name(s);
}

char *name_default_hostname(const char *service, const char *machine) {
        _cleanup_free_ char *h = strdup(service);

        if (!h)
                return NULL;
        for (char *c = h; *c; c++)
                if (*c == '_')
                        *c = '-';
        if (!is_machine_name(h) || h[0] == '-')
                return strdup(machine);
        return TAKE_PTR(h);
}

int name_machine(const char *project, const char *service, const char *container_name, char **ret) {
        _cleanup_free_ char *m = NULL;

        assert(project);
        assert(ret);

        if (!string_is_name(service))
                return -EINVAL;
        if (container_name) {
                if (!name_container_name_valid(container_name))
                        return -EINVAL;
                m = strdup(container_name);
                if (!m)
                        return -ENOMEM;
                *ret = TAKE_PTR(m);
                return 0;
        }
        m = strjoin(project, ".", service);
        if (!m)
                return -ENOMEM;
        if (!is_machine_name(m)) {
                free(m);
                m = short_name("nc-", 16, project, service, NULL);
                if (!m)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

char *name_bridge(const char *project, const char *network) {
        return short_name("nc-", 10, project, network, NULL);
}

char *name_netns(const char *project, const char *service) {
        return short_name("nc-", 10, project, service, NULL);
}

char *name_veth(const char *project, const char *service, const char *network) {
        return short_name("vh-", 10, project, service, network);
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

char *name_generations_dir(const char *project) {
        return strjoin(NC_GENERATIONS_DIR "/", project);
}

char *name_runtime_dir(const char *project, const char *service) {
        return project_dir(NC_RUNTIME_DIR, project, service);
}

char *name_ipam_path(const char *project) {
        return strjoin(NC_STATE_DIR "/", project, "/ipam.json");
}

char *name_config_files_path(const char *project) {
        return strjoin(NC_STATE_DIR "/", project, "/config-files");
}

bool name_credential_valid(const char *name) {
        return string_is_name(name) && !streq(name, ".") && !streq(name, "..") && strlen(name) <= 255;
}

char *name_lock_path(const char *project) {
        return strjoin(NC_RUNTIME_DIR "/", project, ".lock");
}

char *name_volume_dir(const char *volume) {
        return strjoin(NC_VOLUMES_DIR "/", volume);
}

char *name_volume_owner_path(const char *volume) {
        return strjoin(NC_VOLUME_OWNERS "/", volume);
}

bool name_project_is_reserved(const char *project) {
        static const char *const reserved[] = {
                NC_IMAGE_STORE + sizeof NC_STATE_DIR,
                NC_VOLUMES_DIR + sizeof NC_STATE_DIR,
                NC_VOLUME_OWNERS + sizeof NC_STATE_DIR,
                NC_HASH_KEY + sizeof NC_STATE_DIR,
                NC_BUILD_DIR + sizeof NC_STATE_DIR,
                NC_GENERATIONS_DIR + sizeof NC_STATE_DIR,
        };

        for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
                if (streq(project, reserved[i]))
                        return true;
        return false;
}

int name_project_check(const char *project, NcError *reterr) {
        if (isempty(project) || strspn(project, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(project))
                return nc_error_set(reterr, -EINVAL, "project name '%s' is not [a-z0-9_-]", strempty(project));
        if (name_project_is_reserved(project))
                return nc_error_set(reterr, -EINVAL, "project name '%s' is reserved: it names a directory of "
                                    "nspawn-compose's own in " NC_STATE_DIR, project);
        return 0;
}
