/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "lib/strv.h"
#include "reconcile/reconcile.h"

/* A service's `build:` (as the loader normalized it) made into an image of the store, by the
 * service's pull_policy (docs/compose-differences.md). */

typedef struct BuildSpec {
        ImageBuildSpec spec;
        char *image;
        char **args, **labels, **extra_hosts, **tags;
} BuildSpec;

static void build_spec_done(BuildSpec *b) {
        free(b->image);
        strv_free(b->args);
        strv_free(b->labels);
        strv_free(b->extra_hosts);
        strv_free(b->tags);
}

/* {"K": "V", "E": null} → "K=V" (a null value is an unset arg: left out, as docker does). */
static int map_to_strv(const ComposeNode *m, char ***ret) {
        COMPOSE_MAP_FOREACH(i, m) {
                const char *v = compose_node_str(m->items[i]);

                if (v && strv_consume(ret, strjoin(m->keys[i]->scalar, "=", v)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int seq_to_strv(const ComposeNode *s, char ***ret) {
        COMPOSE_SEQ_FOREACH(i, s) {
                const char *v = compose_node_str(s->items[i]);

                if (v && strv_extend(ret, v) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static const ComposeNode *service_node(const ComposeProject *p, const char *service) {
        return compose_map_get(compose_map_get(p->model, "services"), service);
}

static int build_spec_init(const ComposeProject *p, const char *service, BuildSpec *ret) {
        const ComposeNode *svc = service_node(p, service), *b = compose_map_get(svc, "build");
        BuildSpec s = {};
        int r;

        r = desired_service_image(p->name, service, svc, &s.image);
        if (r < 0)
                return r;
        s.spec = (ImageBuildSpec) {
                .image = s.image,
                .context = compose_map_get_str(b, "context"),
                .dockerfile = compose_map_get_str(b, "dockerfile"),
                .dockerfile_inline = compose_map_get_str(b, "dockerfile_inline"),
                .target = compose_map_get_str(b, "target"),
                .network = compose_map_get_str(b, "network"),
        };
        if (streq_ptr(s.spec.network, "default"))
                s.spec.network = NULL;
        if (map_to_strv(compose_map_get(b, "args"), &s.args) < 0 ||
            map_to_strv(compose_map_get(b, "labels"), &s.labels) < 0 ||
            seq_to_strv(compose_map_get(b, "extra_hosts"), &s.extra_hosts) < 0 ||
            seq_to_strv(compose_map_get(b, "tags"), &s.tags) < 0) {
                build_spec_done(&s);
                return -ENOMEM;
        }
        s.spec.args = s.args;
        s.spec.labels = s.labels;
        s.spec.extra_hosts = s.extra_hosts;
        s.spec.tags = s.tags;
        *ret = s;
        return 0;
}

bool reconcile_service_builds(const ComposeProject *p, const char *service) {
        return compose_map_get(service_node(p, service), "build");
}

/* The failure at the position of the service's build: "compose.yml:4:5: services.web.build: …". */
static int build_error(const ComposeProject *p, const char *service, int r, const NcError *err, NcError *reterr) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "services.%s.build", service) < 0)
                return -ENOMEM;
        return compose_node_error(compose_map_get(service_node(p, service), "build"), reterr, r, path,
                                  "%s", err->error ? err->message : strerror(-r));
}

int reconcile_build(const ComposeProject *p, const char *service, const ImageBuildOptions *o, char **ret_digest,
                    NcError *reterr) {
        _cleanup_(build_spec_done) BuildSpec s = {};
        const char *policy = compose_map_get_str(service_node(p, service), "pull_policy");
        ImageBuildOptions bo = o ? *o : (ImageBuildOptions) {};
        NcError err = {};
        int r;

        assert(p);
        assert(service);
        assert(ret_digest);

        r = build_spec_init(p, service, &s);
        if (r < 0)
                return r;
        if (bo.force)
                policy = "build";       /* the build verb: as docker compose build, whatever the policy */
        if (streq_ptr(policy, "never")) {
                r = image_resolve(bo.store, s.image, ret_digest, &err);
                if (r == -ENOENT)
                        return build_error(p, service, r, &(NcError) { .error = r,
                                           .message = "the image has not been built (pull_policy: never)" }, reterr);
                return r < 0 ? build_error(p, service, r, &err, reterr) : 0;
        }
        if (streq_ptr(policy, "always")) {
                /* docker compose pulls, and builds when that fails */
                ImagePullOptions po = { .store = bo.store, .policy = IMAGE_PULL_ALWAYS };

                r = image_pull(s.image, &po, ret_digest, &err);
                if (r >= 0)
                        return r;
                err = (NcError) {};
        }
        if (streq_ptr(policy, "build"))
                bo.force = true;
        bo.no_cache = bo.no_cache || compose_map_get_bool(compose_map_get(service_node(p, service), "build"),
                                                          "no_cache", false);
        bo.pull = bo.pull || compose_map_get_bool(compose_map_get(service_node(p, service), "build"), "pull", false);
        r = image_build(&s.spec, &bo, ret_digest, &err);
        if (r < 0)
                return build_error(p, service, r, &err, reterr);
        return r;
}

int reconcile_build_images(const ComposeProject *p, const DesiredState *d, NcError *reterr) {
        _cleanup_strv_free_ char **done = NULL;
        bool changed = false;

        for (size_t i = 0; i < d->n_services; i++) {
                const DesiredService *s = &d->services[i];
                _cleanup_free_ char *digest = NULL;
                int r;

                /* two services building one image build it once */
                if (!reconcile_service_builds(p, s->name) || strv_contains(done, s->image))
                        continue;
                r = reconcile_build(p, s->name, NULL, &digest, reterr);
                if (r < 0)
                        return r;
                if (strv_extend(&done, s->image) < 0)
                        return -ENOMEM;
                changed = changed || r > 0;
        }
        return changed;
}
