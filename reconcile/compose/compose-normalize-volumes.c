/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>

#include "reconcile/compose/compose-normalize-internal.h"
#include "lib/strv.h"

/* Service volumes, as compose-go's format.ParseVolume reads the short syntax
 * "[source:]target[:options]": a source that looks like a path (".", "/", "~") makes a bind mount
 * (which short syntax creates on the host when missing), anything else a named volume. Bind sources
 * are made absolute against the project directory; targets are cleaned. */

typedef struct VolumeSpec {
        char *source, *target;
        bool read_only, nocopy;
        const char *selinux, *propagation;
} VolumeSpec;

static void volume_spec_done(VolumeSpec *v) {
        free(v->source);
        free(v->target);
}

static const char *const propagations[] = { "rprivate", "private", "rshared", "shared", "rslave", "slave" };

static void volume_option(VolumeSpec *v, const char *o) {
        if (streq(o, "ro"))
                v->read_only = true;
        else if (streq(o, "rw"))
                v->read_only = false;
        else if (streq(o, "nocopy"))
                v->nocopy = true;
        else if (streq(o, "z"))
                v->selinux = "z";
        else if (streq(o, "Z"))
                v->selinux = "Z";
        else
                for (size_t i = 0; i < ELEMENTSOF(propagations); i++)
                        if (streq(o, propagations[i]))
                                v->propagation = propagations[i];
        /* compose ignores any other option */
}

/* One colon-separated section. -EINVAL with @reason set on a malformed spec. */
static int volume_section(VolumeSpec *v, const char *buf, size_t len, bool last, const char **reason) {
        _cleanup_free_ char *s = strndup(buf, len);
        _cleanup_strv_free_ char **opts = NULL;

        if (!s)
                return -ENOMEM;
        if (len == 0) {
                *reason = "empty section between colons";
                return -EINVAL;
        }
        if (!v->source && last) {
                v->target = TAKE_PTR(s);
                return 0;
        }
        if (!v->source) {
                v->source = TAKE_PTR(s);
                return 0;
        }
        if (!v->target) {
                v->target = TAKE_PTR(s);
                return 0;
        }
        if (!last) {
                *reason = "too many colons";
                return -EINVAL;
        }
        opts = strv_split(s, ",");
        if (!opts)
                return -ENOMEM;
        STRV_FOREACH(o, opts)
                volume_option(v, *o);
        return 0;
}

static int volume_parse(const char *spec, VolumeSpec *v, const char **reason) {
        size_t start = 0, depth = 0, n = strlen(spec);

        for (size_t i = 0; i <= n; i++) {
                char ch = spec[i];
                int r;

                if (ch == '$' && spec[i + 1] == '{') {
                        depth++;
                        continue;
                }
                if (ch == '}' && depth > 0) {
                        depth--;
                        continue;
                }
                /* A one-letter section followed by ':' is a Windows drive ("C:\..."), not a separator. */
                if (ch == ':' && i - start == 1 && isalpha((unsigned char) spec[start]))
                        continue;
                if ((ch == ':' || ch == 0) && depth == 0) {
                        r = volume_section(v, spec + start, i - start, ch == 0, reason);
                        if (r < 0)
                                return r;
                        start = i + 1;
                }
        }
        return 0;
}

static bool volume_source_is_path(const char *s) {
        if (isempty(s))
                return false;
        if (strchr("./~", s[0]) || startswith(s, "\\\\"))
                return true;
        return isalpha((unsigned char) s[0]) && s[1] == ':';
}

static int map_set_bool(ComposeNode *m, const char *key, const ComposeMark *mark) {
        return compose_map_set(m, key, compose_node_new_bool(true, mark));
}

static int volume_build(const VolumeSpec *v, const ComposeMark *mark, bool short_spec, ComposeNode **ret) {
        _cleanup_(compose_node_freep) ComposeNode *m = norm_new_map(mark), *bind = NULL, *vol = NULL;
        bool is_bind = volume_source_is_path(v->source);
        int r;

        bind = norm_new_map(mark);
        vol = norm_new_map(mark);
        if (!m || !bind || !vol)
                return -ENOMEM;
        r = compose_map_set(m, "type", compose_node_new_string(is_bind ? "bind" : "volume", mark));
        if (r < 0)
                return r;
        if (v->source) {
                r = compose_map_set(m, "source", compose_node_new_string(v->source, mark));
                if (r < 0)
                        return r;
        }
        r = compose_map_set(m, "target", compose_node_new_string(v->target, mark));
        if (r < 0)
                return r;
        if (v->read_only) {
                r = map_set_bool(m, "read_only", mark);
                if (r < 0)
                        return r;
        }
        if (v->selinux) {
                r = compose_map_set(bind, "selinux", compose_node_new_string(v->selinux, mark));
                if (r < 0)
                        return r;
        }
        if (v->propagation) {
                r = compose_map_set(bind, "propagation", compose_node_new_string(v->propagation, mark));
                if (r < 0)
                        return r;
        }
        if (is_bind) {
                r = map_set_bool(bind, "create_host_path", mark);
                if (r < 0)
                        return r;
        }
        if (v->nocopy) {
                r = map_set_bool(vol, "nocopy", mark);
                if (r < 0)
                        return r;
        }
        if (is_bind || bind->n_items > 0) {
                r = compose_map_set(m, "bind", TAKE_PTR(bind));
                if (r < 0)
                        return r;
        }
        /* Specs of one or two characters skip compose's type detection and get no volume options. */
        if (v->nocopy || (!is_bind && !short_spec)) {
                r = compose_map_set(m, "volume", TAKE_PTR(vol));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

static int volume_short(NormCtx *c, ComposeNode **slot, const char *path) {
        _cleanup_(volume_spec_done) VolumeSpec v = {};
        ComposeNode *n = *slot, *m = NULL;
        const char *reason = NULL;
        int r;

        if (isempty(n->scalar))
                return compose_node_error(n, c->reterr, -EINVAL, path, "invalid empty volume spec");
        if (strlen(n->scalar) <= 2)
                v.target = strdup(n->scalar);
        else {
                r = volume_parse(n->scalar, &v, &reason);
                if (r == -EINVAL)
                        return compose_node_error(n, c->reterr, r, path, "invalid spec: %s: %s", n->scalar, reason);
                if (r < 0)
                        return r;
        }
        if (!v.target)
                return -ENOMEM;
        r = volume_build(&v, &n->mark, strlen(n->scalar) <= 2, &m);
        if (r < 0)
                return r;
        return norm_replace_node(slot, m);
}

int norm_hook_service_volumes(NormCtx *c, ComposeNode **slot, const char *path) {
        ComposeNode *seq = *slot;
        char child[NORM_PATH_MAX];
        int r;

        assert(c);
        assert(slot);
        assert(*slot);

        if (seq->type != COMPOSE_NODE_SEQ)
                return seq->type == COMPOSE_NODE_NULL ? 0 :
                        compose_node_error(seq, c->reterr, -EINVAL, path, "must be a list");
        COMPOSE_SEQ_FOREACH(i, seq) {
                ComposeNode *item = seq->items[i];

                norm_path_index(child, path, i);
                if (item->type == COMPOSE_NODE_STRING)
                        r = volume_short(c, &seq->items[i], child);
                else if (item->type == COMPOSE_NODE_MAP)
                        r = 0;
                else
                        r = compose_node_error(item, c->reterr, -EINVAL, child,
                                               "invalid type %s for service volume mount",
                                               compose_node_type_to_string(item->type));
                if (r < 0)
                        return r;
        }
        return 0;
}

int norm_finish_service_volume(NormCtx *c, ComposeNode *map, const char *path) {
        ComposeNode *source = compose_map_get(map, "source"), *target = compose_map_get(map, "target");
        int r;

        assert(c);
        assert(map);

        (void) path;
        if (streq_ptr(compose_map_get_str(map, "type"), "bind") && source && source->type == COMPOSE_NODE_STRING) {
                r = norm_replace_string(&map->items[compose_map_index(map, "source")],
                                        norm_abs_unix_path(c->working_dir, source->scalar));
                if (r < 0)
                        return r;
        }
        if (target && target->type == COMPOSE_NODE_STRING && !isempty(target->scalar)) {
                r = norm_replace_string(&map->items[compose_map_index(map, "target")],
                                        norm_path_clean(target->scalar));
                if (r < 0)
                        return r;
        }
        return 0;
}
