/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "reconcile/plan.h"
#include "lib/strv.h"
#include "tests/tap.h"

/* plan_compute() table tests: desired and actual states built by hand. */

static void add_file(DesiredState *d, const char *path, const char *content, const char *service) {
        d->files = realloc(d->files, (d->n_files + 1) * sizeof *d->files);
        d->files[d->n_files++] = (DesiredFile) {
                .path = strdup(path), .content = strdup(content), .size = strlen(content), .mode = 0644,
                .service = service ? strdup(service) : NULL,
        };
}

static void add_service(DesiredState *d, const char *name, const char *hash, const char *dep, bool restart) {
        DesiredService *s;

        d->services = realloc(d->services, (d->n_services + 1) * sizeof *d->services);
        s = &d->services[d->n_services++];
        *s = (DesiredService) {
                .name = strdup(name), .hash = strdup(hash), .image = strdup("img"), .image_digest = strdup("sha256:1"),
        };
        assert_se(asprintf(&s->unit, "nspawn-compose-p.%s.service", name) > 0);
        assert_se(asprintf(&s->machine, "p.%s", name) > 0);
        if (dep) {
                s->deps = calloc(1, sizeof *s->deps);
                s->deps[0] = (DesiredDependency) { .service = strdup(dep), .condition = strdup("service_started"),
                                                   .required = true, .restart = restart };
                s->n_deps = 1;
        }
}

static DesiredState *desired_two(const char *web_hash) {
        DesiredState *d = calloc(1, sizeof *d);

        d->project = strdup("p");
        add_file(d, "/etc/nspawn-compose/p/db.json", "{\"environment\": [\"A=1\"]}", "db");
        add_file(d, "/etc/nspawn-compose/p/web.json", "{\"environment\": [\"B=1\"]}", "web");
        add_file(d, "/etc/systemd/system/nspawn-compose-p.web.service", "[Unit]\n", "web");
        add_service(d, "db", "h-db", NULL, false);
        add_service(d, "web", web_hash, "db", true);
        return d;
}

static void actual_add_file(ActualState *a, const char *path, const char *content) {
        a->files = realloc(a->files, (a->n_files + 1) * sizeof *a->files);
        a->files[a->n_files++] = (ActualFile) {
                .path = strdup(path), .content = strdup(content), .size = strlen(content), .mode = 0644,
        };
}

static void actual_add_unit(ActualState *a, const char *name, const char *active, const char *service) {
        a->units = realloc(a->units, (a->n_units + 1) * sizeof *a->units);
        a->units[a->n_units++] = (ActualUnit) {
                .name = strdup(name), .load_state = strdup("loaded"), .active_state = strdup(active),
                .sub_state = strdup("running"), .service = service ? strdup(service) : NULL,
        };
}

/* The actual state of a converged desired_two("h-web"). */
static ActualState *actual_converged(void) {
        ActualState *a = calloc(1, sizeof *a);

        a->project = strdup("p");
        actual_add_file(a, "/etc/nspawn-compose/p/db.json", "{\"environment\": [\"A=1\"]}");
        actual_add_file(a, "/etc/nspawn-compose/p/web.json", "{\"environment\": [\"B=1\"]}");
        actual_add_file(a, "/etc/systemd/system/nspawn-compose-p.web.service", "[Unit]\n");
        actual_add_unit(a, "nspawn-compose-p.db.service", "active", "db");
        actual_add_unit(a, "nspawn-compose-p-network.service", "active", NULL);
        actual_add_unit(a, "nspawn-compose-p.web.service", "active", "web");
        actual_add_unit(a, "nspawn-compose-p.target", "active", NULL);
        assert_se(strv_extend(&a->started_hashes, "db=h-db") == 0);
        assert_se(strv_extend(&a->started_hashes, "web=h-web") == 0);
        return a;
}

static size_t count(const Plan *p, PlanKind k) {
        size_t n = 0;

        for (size_t i = 0; i < p->n_actions; i++)
                n += p->actions[i].kind == k;
        return n;
}

TEST(converged_is_empty) {
        _cleanup_(desired_state_freep) DesiredState *d = desired_two("h-web");
        _cleanup_(actual_state_freep) ActualState *a = actual_converged();
        _cleanup_(plan_freep) Plan *p = NULL;

        ASSERT_OK(plan_compute(d, a, &p));
        ASSERT_EQ(p->n_actions, 0);
}

TEST(fresh_host_starts_everything_in_order) {
        _cleanup_(desired_state_freep) DesiredState *d = desired_two("h-web");
        _cleanup_(actual_state_freep) ActualState *a = calloc(1, sizeof *a);
        _cleanup_(plan_freep) Plan *p = NULL;
        ssize_t db = -1, web = -1, reload = -1, last_write = -1;

        a->project = strdup("p");
        ASSERT_OK(plan_compute(d, a, &p));
        ASSERT_EQ(count(p, PLAN_WRITE_FILE), 3);
        ASSERT_EQ(count(p, PLAN_DAEMON_RELOAD), 1);
        ASSERT_EQ(count(p, PLAN_START), 3);     /* db, web, target */
        for (size_t i = 0; i < p->n_actions; i++) {
                if (p->actions[i].kind == PLAN_START && streq_ptr(p->actions[i].service, "db"))
                        db = i;
                if (p->actions[i].kind == PLAN_START && streq_ptr(p->actions[i].service, "web"))
                        web = i;
                if (p->actions[i].kind == PLAN_DAEMON_RELOAD)
                        reload = i;
                if (p->actions[i].kind == PLAN_WRITE_FILE)
                        last_write = i;
        }
        ASSERT_TRUE(last_write < reload && reload < db && db < web);
}

TEST(changed_env_restarts_only_that_service_and_names_the_field) {
        _cleanup_(desired_state_freep) DesiredState *d = desired_two("h-web");
        _cleanup_(actual_state_freep) ActualState *a = actual_converged();
        _cleanup_(plan_freep) Plan *p = NULL;

        free(d->files[0].content);
        d->files[0].content = strdup("{\"environment\": [\"A=2\"]}");
        d->files[0].size = strlen(d->files[0].content);
        free(d->services[0].hash);
        d->services[0].hash = strdup("h-db2");
        ASSERT_OK(plan_compute(d, a, &p));
        ASSERT_EQ(count(p, PLAN_WRITE_FILE), 1);
        ASSERT_EQ(count(p, PLAN_DAEMON_RELOAD), 0);     /* only S.json changed, no unit file */
        /* db restarts; web follows because it asked for restart: true */
        ASSERT_EQ(count(p, PLAN_RESTART), 2);
        for (size_t i = 0; i < p->n_actions; i++)
                if (p->actions[i].kind == PLAN_RESTART && streq(p->actions[i].service, "db"))
                        ASSERT_STREQ(p->actions[i].field, "environment");
        ASSERT_EQ(count(p, PLAN_START), 0);
}

TEST(changed_after_someone_reloaded) {
        _cleanup_(desired_state_freep) DesiredState *d = desired_two("h-web-new");
        _cleanup_(actual_state_freep) ActualState *a = actual_converged();
        _cleanup_(plan_freep) Plan *p = NULL;

        /* files already match (written and reloaded by hand) but web runs with the old hash */
        ASSERT_OK(plan_compute(d, a, &p));
        ASSERT_EQ(p->n_actions, 1);
        ASSERT_EQ(p->actions[0].kind, PLAN_RESTART);
        ASSERT_STREQ(p->actions[0].service, "web");
        ASSERT_STREQ(p->actions[0].field, "configuration");
}

TEST(failed_service_is_started_and_orphan_removed) {
        _cleanup_(desired_state_freep) DesiredState *d = desired_two("h-web");
        _cleanup_(actual_state_freep) ActualState *a = actual_converged();
        _cleanup_(plan_freep) Plan *p = NULL;

        free(a->units[0].active_state);
        a->units[0].active_state = strdup("failed");
        actual_add_unit(a, "nspawn-compose-p.old.service", "active", "old");
        actual_add_file(a, "/etc/systemd/system/nspawn-compose-p.old.service", "x");
        ASSERT_OK(plan_compute(d, a, &p));
        ASSERT_EQ(count(p, PLAN_START), 1);
        ASSERT_EQ(count(p, PLAN_STOP), 1);
        ASSERT_EQ(count(p, PLAN_REMOVE_STATE), 1);
        ASSERT_EQ(count(p, PLAN_REMOVE_FILE), 1);
        ASSERT_EQ(count(p, PLAN_DAEMON_RELOAD), 1);
        ASSERT_EQ(p->actions[0].kind, PLAN_STOP);
}

/* An upgrade from the unit names of earlier releases: the old unit is stopped and its file removed,
 * the service starts under its new name, and nothing of it is removed as an orphan's would be. */
TEST(a_renamed_unit_is_replaced_not_orphaned) {
        _cleanup_(desired_state_freep) DesiredState *d = desired_two("h-web");
        _cleanup_(actual_state_freep) ActualState *a = actual_converged();
        _cleanup_(plan_freep) Plan *p = NULL;
        size_t stops = 0;

        free(a->units[2].name);
        a->units[2].name = strdup("nspawn-compose-p-web.service");
        free(a->files[2].path);
        a->files[2].path = strdup("/etc/systemd/system/nspawn-compose-p-web.service");
        ASSERT_OK(plan_compute(d, a, &p));
        ASSERT_EQ(count(p, PLAN_REMOVE_STATE), 0);
        for (size_t i = 0; i < p->n_actions; i++) {
                const PlanAction *x = &p->actions[i];

                if (x->kind == PLAN_STOP) {
                        stops++;
                        ASSERT_STREQ(x->unit, "nspawn-compose-p-web.service");
                        ASSERT_STREQ(x->desired, "nspawn-compose-p.web.service");
                        ASSERT_STREQ(x->field, "unit");
                }
                if (x->kind == PLAN_START && x->service)
                        ASSERT_STREQ(x->unit, "nspawn-compose-p.web.service");
                if (x->kind == PLAN_REMOVE_FILE)
                        ASSERT_STREQ(x->path, "/etc/systemd/system/nspawn-compose-p-web.service");
        }
        ASSERT_EQ(stops, 1);
        ASSERT_EQ(p->actions[0].kind, PLAN_STOP);
        ASSERT_EQ(count(p, PLAN_START), 1);
        ASSERT_EQ(count(p, PLAN_REMOVE_FILE), 1);
}

TEST(missing_image_is_pulled_and_need_reload_honoured) {
        _cleanup_(desired_state_freep) DesiredState *d = desired_two("h-web");
        _cleanup_(actual_state_freep) ActualState *a = actual_converged();
        _cleanup_(plan_freep) Plan *p = NULL;
        _cleanup_free_ char *json = NULL;

        free(d->services[1].image_digest);
        d->services[1].image_digest = strdup("");
        a->units[2].need_daemon_reload = true;
        ASSERT_OK(plan_compute(d, a, &p));
        ASSERT_EQ(count(p, PLAN_PULL), 1);
        ASSERT_EQ(count(p, PLAN_DAEMON_RELOAD), 1);
        json = plan_format_json(p, "p");
        ASSERT_STRCONTAINS(json, "\"kind\": \"pull\"");
        ASSERT_STRCONTAINS(json, "\"in_sync\": false");
}

TEST(network_drift_is_reported) {
        _cleanup_(desired_state_freep) DesiredState *d = desired_two("h-web");
        _cleanup_(actual_state_freep) ActualState *a = actual_converged();
        _cleanup_(plan_freep) Plan *p = NULL;
        _cleanup_free_ char *text = NULL;

        ASSERT_OK(strv_extend(&a->network_drift, "missing: pub4 tcp/8080 -> 10.89.0.2:80 (p/web)"));
        ASSERT_OK(plan_compute(d, a, &p));
        ASSERT_EQ(count(p, PLAN_SYNC_NETWORK), 1);
        text = plan_format_text(p, false);
        ASSERT_STRCONTAINS(text, "sync-network");
        ASSERT_STRCONTAINS(text, "missing: pub4 tcp/8080");
}

TAP_MAIN();

static int mark_web(const char *service, const char **ret_file, unsigned *ret_line, unsigned *ret_column,
                    void *userdata) {
        if (!streq(service, "web"))
                return -ENOENT;
        *ret_file = "deploy/compose,1.yml";
        *ret_line = 12;
        *ret_column = 3;
        return 0;
}

/* One check per resource: in sync all pass; a drifted one fails with its reasons, XML-escaped. */
TEST(ci_formats) {
        _cleanup_(desired_state_freep) DesiredState *d = desired_two("h-web");
        _cleanup_(actual_state_freep) ActualState *a = actual_converged();
        _cleanup_(plan_freep) Plan *p = NULL, *q = NULL;
        _cleanup_free_ char *junit = NULL, *gh = NULL, *junit2 = NULL, *gh2 = NULL;

        ASSERT_OK(plan_compute(d, a, &p));
        junit = plan_format_junit(p, d, "p");
        ASSERT_STRCONTAINS(junit, "<testsuite name=\"p\" tests=\"7\" failures=\"0\" errors=\"0\" skipped=\"0\">");
        ASSERT_STRCONTAINS(junit, "<testcase classname=\"p.service\" name=\"web\"/>");
        ASSERT_STRCONTAINS(junit, "<testcase classname=\"p.file\" name=\"/etc/nspawn-compose/p/db.json\"/>");
        gh = plan_format_github(p, d, "p", mark_web, NULL);
        ASSERT_STREQ(gh, "::notice title=p in sync::nspawn-compose plan: 7 resources in sync\n");

        free(d->services[1].hash);
        d->services[1].hash = strdup("h-web<&\"2>");
        ASSERT_OK(plan_compute(d, a, &q));
        free(q->actions[0].reason);
        q->actions[0].reason = strdup("changed <a> & \"b\" 100%\n\x01x");
        junit2 = plan_format_junit(q, d, "p");
        ASSERT_STRCONTAINS(junit2, "failures=\"1\"");
        ASSERT_STRCONTAINS(junit2, "<testcase classname=\"p.service\" name=\"web\">\n      <failure type=\"drift\" "
                           "message=\"restart: changed &lt;a&gt; &amp; &quot;b&quot; 100%\n\xef\xbf\xbdx\">");
        gh2 = plan_format_github(q, d, "p", mark_web, NULL);
        ASSERT_STREQ(gh2, "::error file=deploy/compose%2C1.yml,line=12,col=3,title=p service web drifted::"
                     "restart: changed <a> & \"b\" 100%25%0A\x01x\n");
}
