/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "lib/strv.h"
#include "reconcile/plan.h"

/* plan --format junit and --format github: the drift report where CI shows it. Every resource is
 * one check: a service (its unit, settings, image and state), a file of ours, the project's network
 * (bridges and nftables), systemd's view of our units (a reload). In sync it passes; each plan
 * action fails the resource it concerns, with its reason. */

typedef struct Resource {
        char *kind, *name;              /* "service" "web", "file" "/etc/…", "network" "P", "systemd" "P" */
        char **failures;                /* "restart: configuration changed" */
} Resource;

typedef struct Report {
        Resource *r;
        size_t n;
} Report;

static void report_done(Report *rep) {
        for (size_t i = 0; i < rep->n; i++) {
                free(rep->r[i].kind);
                free(rep->r[i].name);
                strv_free(rep->r[i].failures);
        }
        free(rep->r);
}

static Resource *report_get(Report *rep, const char *kind, const char *name) {
        Resource *r;

        for (size_t i = 0; i < rep->n; i++)
                if (streq(rep->r[i].kind, kind) && streq(rep->r[i].name, name))
                        return &rep->r[i];
        r = reallocarray(rep->r, rep->n + 1, sizeof *r);
        if (!r)
                return NULL;
        rep->r = r;
        r = &rep->r[rep->n];
        *r = (Resource) { .kind = strdup(kind), .name = strdup(name) };
        if (!r->kind || !r->name) {
                free(r->kind);
                free(r->name);
                return NULL;
        }
        rep->n++;
        return r;
}

/* The resource an action concerns. */
static Resource *action_resource(Report *rep, const PlanAction *a, const char *project) {
        if (a->kind == PLAN_WRITE_FILE || a->kind == PLAN_REMOVE_FILE)
                return report_get(rep, "file", strempty(a->path));
        if (a->kind == PLAN_SYNC_NETWORK)
                return report_get(rep, "network", project);
        if (a->kind == PLAN_DAEMON_RELOAD)
                return report_get(rep, "systemd", project);
        /* pull, start, restart, stop, remove-state: of a service, or the project's target */
        return a->service ? report_get(rep, "service", a->service) : report_get(rep, "project", project);
}

static int report_build(const Plan *p, const DesiredState *d, const char *project, Report *ret) {
        Report rep = {};

        for (size_t i = 0; i < d->n_services; i++)
                if (!report_get(&rep, "service", d->services[i].name))
                        goto oom;
        for (size_t i = 0; i < d->n_files; i++)
                if (!report_get(&rep, "file", d->files[i].path))
                        goto oom;
        if (!report_get(&rep, "network", project) || !report_get(&rep, "systemd", project))
                goto oom;
        for (size_t i = 0; i < p->n_actions; i++) {
                const PlanAction *a = &p->actions[i];
                Resource *r = action_resource(&rep, a, project);

                if (!r || strv_extendf(&r->failures, "%s: %s", plan_kind_to_string(a->kind),
                                       a->reason ?: strempty(a->field)) < 0)
                        goto oom;
        }
        *ret = rep;
        return 0;
oom:
        report_done(&rep);
        return -ENOMEM;
}

/* XML 1.0 text: the five entities escaped, characters XML cannot hold (C0 controls but tab,
 * newline and carriage return) as U+FFFD. */
static void xml_escape(StrBuf *b, const char *s) {
        for (; *s; s++) {
                unsigned char c = *s;

                if (c == '&')
                        strbuf_append(b, "&amp;");
                else if (c == '<')
                        strbuf_append(b, "&lt;");
                else if (c == '>')
                        strbuf_append(b, "&gt;");
                else if (c == '"')
                        strbuf_append(b, "&quot;");
                else if (c == '\'')
                        strbuf_append(b, "&apos;");
                else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                        strbuf_append(b, "\xef\xbf\xbd");
                else
                        strbuf_append_char(b, c);
        }
}

char *plan_format_junit(const Plan *p, const DesiredState *d, const char *project) {
        Report rep = {};
        size_t failures = 0;
        StrBuf b = {};

        if (report_build(p, d, project, &rep) < 0)
                return NULL;
        for (size_t i = 0; i < rep.n; i++)
                failures += rep.r[i].failures != NULL;
        strbuf_append(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"nspawn-compose plan\">\n");
        strbuf_append(&b, "  <testsuite name=\"");
        xml_escape(&b, project);
        strbuf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n", rep.n, failures);
        for (size_t i = 0; i < rep.n; i++) {
                const Resource *r = &rep.r[i];

                strbuf_append(&b, "    <testcase classname=\"");
                xml_escape(&b, project);
                strbuf_printf(&b, ".%s\" name=\"", r->kind);
                xml_escape(&b, r->name);
                if (!r->failures) {
                        strbuf_append(&b, "\"/>\n");
                        continue;
                }
                strbuf_append(&b, "\">\n      <failure type=\"drift\" message=\"");
                xml_escape(&b, r->failures[0]);
                strbuf_append(&b, "\">");
                STRV_FOREACH(f, r->failures) {
                        xml_escape(&b, *f);
                        strbuf_append_char(&b, '\n');
                }
                strbuf_append(&b, "</failure>\n    </testcase>\n");
        }
        strbuf_append(&b, "  </testsuite>\n</testsuites>\n");
        report_done(&rep);
        return strbuf_steal(&b);
}

/* GitHub's workflow commands: %, CR and LF escaped in the message, and ':' and ',' as well in the
 * properties. */
static void github_escape(StrBuf *b, const char *s, bool property) {
        for (; *s; s++)
                if (*s == '%')
                        strbuf_append(b, "%25");
                else if (*s == '\r')
                        strbuf_append(b, "%0D");
                else if (*s == '\n')
                        strbuf_append(b, "%0A");
                else if (property && *s == ':')
                        strbuf_append(b, "%3A");
                else if (property && *s == ',')
                        strbuf_append(b, "%2C");
                else
                        strbuf_append_char(b, *s);
}

char *plan_format_github(const Plan *p, const DesiredState *d, const char *project, PlanMarkFunc mark,
                         void *userdata) {
        Report rep = {};
        StrBuf b = {};

        if (report_build(p, d, project, &rep) < 0)
                return NULL;
        for (size_t i = 0; i < rep.n; i++) {
                const Resource *r = &rep.r[i];
                const char *file = NULL;
                unsigned line = 0, column = 0;

                if (!r->failures)
                        continue;
                if (mark && streq(r->kind, "service"))
                        (void) mark(r->name, &file, &line, &column, userdata);
                strbuf_append(&b, "::error ");
                if (file) {
                        strbuf_append(&b, "file=");
                        github_escape(&b, file, true);
                        strbuf_printf(&b, ",line=%u,col=%u,", line, column);
                }
                strbuf_append(&b, "title=");
                github_escape(&b, project, true);
                strbuf_printf(&b, " %s ", r->kind);
                github_escape(&b, r->name, true);
                strbuf_append(&b, " drifted::");
                STRV_FOREACH(f, r->failures) {
                        github_escape(&b, *f, false);
                        if (f[1])
                                strbuf_append(&b, "%0A");
                }
                strbuf_append_char(&b, '\n');
        }
        if (b.len == 0)
                strbuf_printf(&b, "::notice title=%s in sync::nspawn-compose plan: %zu resources in sync\n",
                              project, rep.n);
        report_done(&rep);
        return strbuf_steal(&b);
}
