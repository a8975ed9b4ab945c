/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>

#include "reconcile/runtime/runtime-internal.h"

/* Reference grammar (as docker's distribution/reference): [DOMAIN/]PATH[:TAG][@DIGEST].
 * DOMAIN is the first component when it has '.' or ':' or is "localhost"; PATH components are
 * lowercase alphanumerics separated by '.', '_', '__' or '-'. */

static bool path_component_valid(const char *s, size_t n) {
        if (n == 0 || !isalnum((unsigned char) s[0]) || !isalnum((unsigned char) s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                        continue;
                if (c != '.' && c != '_' && c != '-')
                        return false;
                /* separators never repeat, except "__" */
                if (i + 1 < n && !isalnum((unsigned char) s[i + 1]) && !(c == '_' && s[i + 1] == '_'))
                        return false;
        }
        return true;
}

static bool path_valid(const char *p, size_t n) {
        while (n > 0) {
                const char *slash = memchr(p, '/', n);
                size_t l = slash ? (size_t) (slash - p) : n;

                if (!path_component_valid(p, l))
                        return false;
                if (!slash)
                        return true;
                n -= l + 1;
                p = slash + 1;
                if (n == 0)
                        return false;
        }
        return false;
}

static bool tag_valid(const char *t) {
        size_t n = strlen(t);

        if (n == 0 || n > 128 || !(isalnum((unsigned char) t[0]) || t[0] == '_'))
                return false;
        return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static bool domain_valid(const char *d, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) d[i]) && !strchr(".-:[]", d[i]))
                        return false;
        return n > 0;
}

/* Splits "name[:tag]" (no digest) into domain, path and tag pointers into @name. */
static int split_name(char *name, const char **ret_domain, char **ret_path, const char **ret_tag) {
        char *slash = strchr(name, '/'), *colon, *last_slash;
        const char *domain = NULL;
        char *path = name;

        if (slash) {
                size_t l = slash - name;

                if (memchr(name, '.', l) || memchr(name, ':', l) || (l == 9 && startswith(name, "localhost"))) {
                        *slash = 0;
                        domain = name;
                        path = slash + 1;
                }
        }
        last_slash = strrchr(path, '/');
        colon = strchr(last_slash ?: path, ':');
        if (colon)
                *colon++ = 0;
        *ret_domain = domain;
        *ret_path = path;
        *ret_tag = colon;
        return 0;
}

int image_ref_normalize(const char *ref, char **ret, NcError *reterr) {
        _cleanup_free_ char *name = NULL;
        const char *domain, *tag, *digest;
        char *path, *at, *s;

        assert(ref);
        assert(ret);

        name = strdup(ref);
        if (!name)
                return -ENOMEM;
        at = strchr(name, '@');
        if (at)
                *at = 0;
        digest = at ? at + 1 : NULL;
        if (digest && !rt_digest_hex(digest))
                return nc_error_set(reterr, -EINVAL, "image '%s': invalid digest", ref);
        (void) split_name(name, &domain, &path, &tag);
        if (domain && !domain_valid(domain, strlen(domain)))
                return nc_error_set(reterr, -EINVAL, "image '%s': invalid registry", ref);
        if (!path_valid(path, strlen(path)))
                return nc_error_set(reterr, -EINVAL,
                                    "image '%s': invalid repository name (lowercase letters, digits, '.', '_', '-')",
                                    ref);
        if (tag && !tag_valid(tag))
                return nc_error_set(reterr, -EINVAL, "image '%s': invalid tag", ref);
        if (!domain || streq(domain, "index.docker.io"))
                domain = "docker.io";
        if (asprintf(&s, "%s/%s%s%s%s%s%s", domain,
                     streq(domain, "docker.io") && !strchr(path, '/') ? "library/" : "", path,
                     tag || !digest ? ":" : "", tag ?: (digest ? "" : "latest"),
                     digest ? "@" : "", strempty(digest)) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}
