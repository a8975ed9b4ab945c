/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <sys/stat.h>

#include "lib/fileio.h"
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

const char *image_ref_file_transport(const char *ref) {
        static const char *const transports[] = { "oci-archive:", "docker-archive:", "oci:" };

        for (size_t i = 0; i < ELEMENTSOF(transports); i++)
                if (startswith(ref, transports[i]))
                        return transports[i];
        return NULL;
}

/* The length of @ref without its "#IDENTITY" (as file_ref_normalize() writes it: hex-hex-hex-
 * decimal.nine digits), or of all of it when it has none. */
size_t image_ref_file_base_len(const char *ref) {
        const char *hash = strrchr(ref, '#'), *p;

        if (!hash)
                return strlen(ref);
        p = hash + 1;
        for (int field = 0; field < 3; field++) {
                size_t n = strspn(p, "0123456789abcdef");

                if (n == 0 || p[n] != '-')
                        return strlen(ref);
                p += n + 1;
        }
        if (strspn(p, "0123456789") == 0 || !(p = strchr(p, '.')) || strspn(p + 1, "0123456789") != 9 || p[10])
                return strlen(ref);
        return (size_t) (hash - ref);
}

/* TRANSPORT:PATH[:REFERENCE] (skopeo's syntax; PATH absolute, without ':' or '#'), and "#" then the
 * identity of what PATH holds now (device, inode, size, modification time of the archive, of an OCI
 * layout's index.json): a file replaced or rewritten is a reference not pulled yet, so the next
 * apply imports it again, as a rebuilt context builds again. When PATH is gone, the reference
 * without an identity: what was imported from it last (the store records both). */
static int file_ref_normalize(const char *ref, const char *transport, char **ret, NcError *reterr) {
        /* normalizing a normalized reference takes the file's identity of now: its "#..." goes */
        _cleanup_free_ char *base = strndup(ref, image_ref_file_base_len(ref)), *path = NULL, *probe = NULL;
        const char *rest, *colon;
        struct stat st;

        if (!base)
                return -ENOMEM;
        if (strchr(base, '#'))
                return nc_error_set(reterr, -EINVAL, "image '%s': a path with '#' cannot be told from an identity; "
                                    "rename it", ref);
        rest = base + strlen(transport);
        colon = strchr(rest, ':');
        path = strndup(rest, colon ? (size_t) (colon - rest) : strlen(rest));
        if (!path)
                return -ENOMEM;
        if (path[0] != '/')
                return nc_error_set(reterr, -EINVAL, "image '%s': %s needs an absolute path", ref, transport);
        probe = streq(transport, "oci:") ? path_join(path, "index.json") : strdup(path);
        if (!probe)
                return -ENOMEM;
        if (stat(probe, &st) < 0) {
                if (errno != ENOENT)
                        return nc_error_set(reterr, -errno, "image '%s': %s: %m", ref, probe);
                *ret = TAKE_PTR(base);
                return 0;
        }
        if (!S_ISREG(st.st_mode))
                return nc_error_set(reterr, -EINVAL, "image '%s': %s is not a regular file", ref, probe);
        if (asprintf(ret, "%s#%llx-%llx-%llx-%lld.%09ld", base, (unsigned long long) st.st_dev,
                     (unsigned long long) st.st_ino, (unsigned long long) st.st_size,
                     (long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec) < 0)
                return -ENOMEM;
        return 0;
}

int image_ref_normalize(const char *ref, char **ret, NcError *reterr) {
        _cleanup_free_ char *name = NULL;
        const char *domain, *tag, *digest;
        char *path, *at, *s;

        assert(ref);
        assert(ret);

        if (image_ref_file_transport(ref))
                return file_ref_normalize(ref, image_ref_file_transport(ref), ret, reterr);
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
