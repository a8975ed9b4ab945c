/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "lib/strv.h"
#include "reconcile/runtime/runtime-internal.h"

int rt_json_parse(const char *text, const char *what, struct json_object **ret, NcError *reterr) {
        enum json_tokener_error jerr;
        struct json_object *o;

        assert(text);
        assert(what);
        assert(ret);

        o = json_tokener_parse_verbose(text, &jerr);
        if (!o)
                return nc_error_set(reterr, -EINVAL, "%s: invalid JSON: %s", what,
                                    json_tokener_error_desc(jerr));
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return nc_error_set(reterr, -EINVAL, "%s: expected a JSON object", what);
        }
        *ret = o;
        return 0;
}

/* The member @key, or NULL when absent or null. */
static struct json_object *member(struct json_object *o, const char *key) {
        struct json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

static int wrong_type(NcError *reterr, const char *what, const char *key, const char *expected) {
        return nc_error_set(reterr, -EINVAL, "%s: '%s' must be %s", what, key, expected);
}

int rt_json_string(struct json_object *o, const char *key, const char *what, char **ret, NcError *reterr) {
        struct json_object *v = member(o, key);
        char *s;

        assert(key);
        assert(what);
        assert(ret);

        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return wrong_type(reterr, what, key, "a string");
        s = strdup(json_object_get_string(v));
        if (!s)
                return -ENOMEM;
        free_and_replace_ptr(ret, s);
        return 0;
}

int rt_json_strv(struct json_object *o, const char *key, const char *what, char ***ret, NcError *reterr) {
        struct json_object *v = member(o, key);
        _cleanup_strv_free_ char **l = NULL;
        size_t n;

        assert(key);
        assert(what);
        assert(ret);

        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return wrong_type(reterr, what, key, "an array of strings");
        l = calloc(1, sizeof(char*));
        if (!l)
                return -ENOMEM;
        n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(v, i);

                if (!json_object_is_type(e, json_type_string))
                        return wrong_type(reterr, what, key, "an array of strings");
                if (strv_extend(&l, json_object_get_string(e)) < 0)
                        return -ENOMEM;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

int rt_json_strmap(struct json_object *o, const char *key, const char *what, char ***ret, NcError *reterr) {
        struct json_object *v = member(o, key);
        _cleanup_strv_free_ char **l = NULL;

        assert(key);
        assert(what);
        assert(ret);

        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_object))
                return wrong_type(reterr, what, key, "an object");
        l = calloc(1, sizeof(char*));
        if (!l)
                return -ENOMEM;
        json_object_object_foreach(v, k, e) {
                char *s;

                if (!json_object_is_type(e, json_type_string) && !json_object_is_type(e, json_type_int) &&
                    !json_object_is_type(e, json_type_boolean) && !json_object_is_type(e, json_type_double))
                        return wrong_type(reterr, what, key, "an object of scalars");
                if (asprintf(&s, "%s=%s", k, json_object_get_string(e)) < 0)
                        return -ENOMEM;
                if (strv_consume(&l, s) < 0)
                        return -ENOMEM;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

int rt_json_bool(struct json_object *o, const char *key, const char *what, bool *ret, NcError *reterr) {
        struct json_object *v = member(o, key);

        assert(key);
        assert(what);
        assert(ret);

        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_boolean))
                return wrong_type(reterr, what, key, "true or false");
        *ret = json_object_get_boolean(v);
        return 0;
}

int rt_json_int64(struct json_object *o, const char *key, const char *what, int64_t *ret, NcError *reterr) {
        struct json_object *v = member(o, key);

        assert(key);
        assert(what);
        assert(ret);

        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_int))
                return wrong_type(reterr, what, key, "an integer");
        *ret = json_object_get_int64(v);
        return 0;
}

int rt_json_uint64(struct json_object *o, const char *key, const char *what, uint64_t *ret, NcError *reterr) {
        int64_t i = 0;
        int r;

        assert(key);
        assert(what);
        assert(ret);

        if (!member(o, key))
                return 0;
        r = rt_json_int64(o, key, what, &i, reterr);
        if (r < 0)
                return r;
        if (i < 0)
                return wrong_type(reterr, what, key, "a non-negative integer");
        *ret = (uint64_t) i;
        return 0;
}

static int typed(struct json_object *o, const char *key, const char *what, json_type type,
                 const char *expected, struct json_object **ret, NcError *reterr) {
        struct json_object *v = member(o, key);

        if (v && !json_object_is_type(v, type))
                return wrong_type(reterr, what, key, expected);
        *ret = v;
        return 0;
}

int rt_json_object(struct json_object *o, const char *key, const char *what, struct json_object **ret,
                   NcError *reterr) {
        assert(key);
        assert(what);
        assert(ret);

        return typed(o, key, what, json_type_object, "an object", ret, reterr);
}

int rt_json_array(struct json_object *o, const char *key, const char *what, struct json_object **ret,
                  NcError *reterr) {
        assert(key);
        assert(what);
        assert(ret);

        return typed(o, key, what, json_type_array, "an array", ret, reterr);
}

const char *rt_digest_hex(const char *digest) {
        const char *hex = digest ? startswith(digest, "sha256:") : NULL;

        if (!hex || strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
                return NULL;
        return hex;
}
