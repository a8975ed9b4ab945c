/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/strv.h"

/* One table per verb (CmdOption) drives getopt_long(), --help, the man page and the shell
 * completions (cmd-gen.c). Usage errors are worded as docker compose's (spf13/pflag) and exit 16. */

static const CmdOption *parsing;        /* the table cmd_parse() works on, for cmd_parse_int() */

static const CmdOption *option_by_val(const CmdOption *opts, int val) {
        for (const CmdOption *o = opts; o && o->name; o++)
                if ((o->short_name ?: o->id) == val)
                        return o;
        return NULL;
}

static const CmdOption *option_by_id(const CmdOption *opts, int id) {
        for (const CmdOption *o = opts; o && o->name; o++)
                if (o->id == id)
                        return o;
        return NULL;
}

/* "-t, --timeout" or "--dry-run", as pflag names a flag in its errors. */
static void flag_name(const CmdOption *o, char *buf, size_t size) {
        if (o->short_name)
                snprintf(buf, size, "-%c, --%s", o->short_name, o->name);
        else
                snprintf(buf, size, "--%s", o->name);
}

int cmd_parse_int(int id, const char *arg, int *ret) {
        const CmdOption *o = option_by_id(parsing, id);
        char name[64] = "?", *end;
        long v;

        if (o)
                flag_name(o, name, sizeof name);
        errno = 0;
        v = strtol(arg, &end, 10);
        if (errno != 0 || end == arg || *end || v < INT_MIN || v > INT_MAX) {
                log_error("invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: parsing \"%s\": %s",
                          arg, name, arg, errno == ERANGE || (end != arg && !*end) ? "value out of range" :
                          "invalid syntax");
                return -EINVAL;
        }
        *ret = (int) v;
        return 0;
}

int cmd_parse_choice(int id, const char *arg, const char * const *choices) {
        const CmdOption *o = option_by_id(parsing, id);

        if (choices) {
                for (size_t i = 0; choices[i]; i++)
                        if (streq(choices[i], arg))
                                return (int) i;
        } else if (o && o->arg) {
                /* the option's own "a|b|c" */
                int i = 0;
                for (const char *c = o->arg; *c; i++) {
                        size_t n = strcspn(c, "|");
                        if (strlen(arg) == n && strncmp(c, arg, n) == 0)
                                return i;
                        c += n + (c[n] == '|');
                }
        }
        log_error("invalid argument \"%s\" for \"--%s\" flag: expected %s", arg, o ? o->name : "?",
                  o && o->arg ? o->arg : "another value");
        return -EINVAL;
}

int cmd_parse_format(int id, const char *arg, bool *ret_json) {
        int r = cmd_parse_choice(id, arg, NULL);

        if (r < 0)
                return r;
        *ret_json = streq(arg, "json");
        return 0;
}

int cmd_parse_command_option(int id, const char *arg, CmdCommandArgs *a) {
        switch (id) {
        case 'd':
                a->detach = true;
                return 1;
        case 'e':
                return strv_extend(&a->env, arg) < 0 ? log_oom() : 1;
        case 'u':
                a->user = arg;
                return 1;
        case 'w':
                a->workdir = arg;
                return 1;
        }
        return 0;
}

void cmd_command_args_done(CmdCommandArgs *a) {
        a->env = strv_free(a->env);
}

int cmd_parse_index(int id, const char *arg) {
        int n;

        if (cmd_parse_int(id, arg, &n) < 0)
                return -EINVAL;
        if (n != 1)
                return log_error("service has no container with index %d (one machine per service)", n), -EINVAL;
        return 0;
}

static void print_options(const CmdOption *opts) {
        for (const CmdOption *o = opts; o && o->name; o++) {
                char left[80];

                snprintf(left, sizeof left, "%s%c%s --%s%s%s", o->short_name ? "  -" : "   ",
                         o->short_name ?: ' ', o->short_name ? "," : " ", o->name, o->arg ? " " : "",
                         strempty(o->arg));
                if (strlen(left) >= 32)
                        printf("%s\n%32s %s\n", left, "", o->help);
                else
                        printf("%-32s %s\n", left, o->help);
        }
}

void cmd_help(const CmdVerb *v) {
        if (!v) {
                printf("\nUsage:  nspawn-compose [OPTIONS] COMMAND\n\n"
                       "Run a compose project on systemd-nspawn machines, reconciled by systemd.\n\n"
                       "Options:\n");
                print_options(cmd_global_options);
                printf("\nCommands:\n");
                for (size_t i = 0; i < cmd_n_verbs; i++)
                        if (cmd_verbs[i].summary)
                                printf("  %-11s %s\n", cmd_verbs[i].name, cmd_verbs[i].summary);
                printf("\nRun 'nspawn-compose COMMAND --help' for more information on a command.\n");
                return;
        }
        printf("\nUsage:  nspawn-compose %s%s%s%s\n\n%s\n", v->name, v->options ? " [OPTIONS]" : "",
               v->args ? " " : "", strempty(v->args), strempty(v->summary));
        if (v->options && v->options[0].name) {
                printf("\nOptions:\n");
                print_options(v->options);
        }
}

/* The getopt_long() tables of @opts: "+:" (stop at the first argument when asked; ':' for
 * "missing argument") and one letter per short name. */
static int build_getopt(const CmdOption *opts, bool stop_at_args, struct option **ret_long, char **ret_short) {
        size_t n = 0;
        _cleanup_free_ struct option *l = NULL;
        StrBuf s = {};

        while (opts && opts[n].name)
                n++;
        l = calloc(n + 1, sizeof *l);
        if (!l)
                return -ENOMEM;
        strbuf_append(&s, stop_at_args ? "+:" : ":");
        for (size_t i = 0; i < n; i++) {
                l[i] = (struct option) { opts[i].name, opts[i].arg ? required_argument : no_argument, NULL,
                                         opts[i].short_name ?: opts[i].id };
                if (opts[i].short_name)
                        strbuf_printf(&s, "%c%s", opts[i].short_name, opts[i].arg ? ":" : "");
        }
        *ret_short = strbuf_steal(&s);
        if (!*ret_short)
                return -ENOMEM;
        *ret_long = TAKE_PTR(l);
        return 0;
}

/* pflag's words for what getopt_long() refused. */
static void log_usage_error(int c, char *argv[], const CmdOption *opts) {
        const char *arg = argv[optind - 1];
        const CmdOption *o;

        if (c == ':') {
                o = option_by_val(opts, optopt);
                if (o && startswith(arg, "--"))
                        log_error("flag needs an argument: --%s", o->name);
                else
                        log_error("flag needs an argument: '%c' in -%c", optopt, optopt);
        } else if (optopt != 0 && !option_by_val(opts, optopt))
                log_error("unknown shorthand flag: '%c' in -%c", optopt, optopt);
        else if (startswith(arg, "--") && strchr(arg, '=') && option_by_val(opts, optopt))
                log_error("flag does not take a value: %s", arg);
        else
                log_error("unknown flag: %.*s", (int) strcspn(arg, "="), arg);
}

int cmd_parse(int argc, char *argv[], CmdGlobal *g, CmdOptionFunc f, void *userdata) {
        const CmdOption *opts = g->verb ? g->verb->options : cmd_global_options;
        _cleanup_free_ struct option *longopts = NULL;
        _cleanup_free_ char *shortopts = NULL;
        int c, r;

        r = build_getopt(opts, !g->verb || g->verb->options_end_at_args, &longopts, &shortopts);
        if (r < 0)
                return log_oom();
        parsing = opts;
        opterr = 0;
        while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) >= 0) {
                const CmdOption *o = c == '?' || c == ':' ? NULL : option_by_val(opts, c);

                if (!o) {
                        log_usage_error(c, argv, opts);
                        return -EINVAL;
                }
                switch (o->id) {
                case CMD_OPT_HELP:
                        cmd_help(g->verb);
                        return 0;
                case CMD_OPT_DRY_RUN:
                        g->dry_run = true;
                        break;
                case CMD_OPT_RUNTIME:
                        g->runtime = true;
                        break;
                default:
                        r = f ? f(o->id, optarg, userdata) : 0;
                        if (r < 0)
                                return -EINVAL;
                        if (r > 0)
                                return 0;       /* done (--version): nothing more to do */
                }
        }
        return 1;
}
