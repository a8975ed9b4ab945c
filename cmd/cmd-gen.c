/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cmd/cmd.h"
#include "lib/log.h"

/* gen man|bash|zsh|fish: the man page and the shell completions, written at build time from the
 * same option tables the parser uses (meson runs the built program). */

static void man_options(const CmdOption *opts) {
        for (const CmdOption *o = opts; o && o->name; o++) {
                printf(".TP\n");
                if (o->short_name)
                        printf("\\fB\\-%c\\fR, ", o->short_name);
                printf("\\fB\\-\\-%s\\fR%s%s%s\n%s\n", o->name, o->arg ? " \\fI" : "", o->arg ? o->arg : "",
                       o->arg ? "\\fR" : "", o->help);
        }
}

static void gen_man(void) {
        printf(".TH NSPAWN-COMPOSE 1 \"\" \"nspawn-compose %s\"\n"
               ".SH NAME\nnspawn-compose \\- run a compose project on systemd-nspawn machines\n"
               ".SH SYNOPSIS\n\\fBnspawn-compose\\fR [\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR...]\n"
               ".SH DESCRIPTION\nThe commands, options and exit codes of docker compose, on machines that systemd "
               "runs (see docs/cli.md for where they differ).\n.SH OPTIONS\n", NC_VERSION);
        man_options(cmd_global_options);
        printf(".SH COMMANDS\n");
        for (size_t i = 0; i < cmd_n_verbs; i++) {
                const CmdVerb *v = &cmd_verbs[i];

                if (!v->summary)
                        continue;
                printf(".SS \"%s%s%s\"\n%s\n", v->name, v->args ? " " : "", v->args ?: "", v->summary);
                man_options(v->options);
        }
        printf(".SH EXIT STATUS\n0 on success, 1 on an error, 16 for a command line that cannot be parsed, "
               "130 when up is interrupted; plan exits 2 on drift; exec and wait the command's or service's status.\n");
}

static void words(const CmdOption *opts) {
        for (const CmdOption *o = opts; o && o->name; o++) {
                printf(" --%s", o->name);
                if (o->short_name)
                        printf(" -%c", o->short_name);
        }
}

static void gen_bash(void) {
        printf("# bash completion for nspawn-compose (generated)\n"
               "_nspawn_compose() {\n"
               "        local cur=${COMP_WORDS[COMP_CWORD]} verb= i\n"
               "        for ((i = 1; i < COMP_CWORD; i++)); do\n"
               "                case ${COMP_WORDS[i]} in -*) ;; *) verb=${COMP_WORDS[i]}; break ;; esac\n"
               "        done\n"
               "        case $verb in\n");
        for (size_t i = 0; i < cmd_n_verbs; i++) {
                if (!cmd_verbs[i].summary)
                        continue;
                printf("        %s) COMPREPLY=($(compgen -W \"", cmd_verbs[i].name);
                words(cmd_verbs[i].options);
                printf("\" -- \"$cur\")) ;;\n");
        }
        printf("        *) COMPREPLY=($(compgen -W \"");
        words(cmd_global_options);
        for (size_t i = 0; i < cmd_n_verbs; i++)
                if (cmd_verbs[i].summary)
                        printf(" %s", cmd_verbs[i].name);
        printf("\" -- \"$cur\")) ;;\n        esac\n}\ncomplete -F _nspawn_compose nspawn-compose\n");
}

static void fish_options(const char *cond, const CmdOption *opts) {
        for (const CmdOption *o = opts; o && o->name; o++) {
                printf("complete -c nspawn-compose %s -l %s", cond, o->name);
                if (o->short_name)
                        printf(" -s %c", o->short_name);
                printf("%s -d '%s'\n", o->arg ? " -r" : "", o->help);
        }
}

static void gen_fish(void) {
        char cond[128];

        printf("# fish completion for nspawn-compose (generated)\ncomplete -c nspawn-compose -f\n");
        fish_options("-n __fish_use_subcommand", cmd_global_options);
        for (size_t i = 0; i < cmd_n_verbs; i++) {
                if (!cmd_verbs[i].summary)
                        continue;
                printf("complete -c nspawn-compose -n __fish_use_subcommand -a %s -d '%s'\n", cmd_verbs[i].name,
                       cmd_verbs[i].summary);
                snprintf(cond, sizeof cond, "-n '__fish_seen_subcommand_from %s'", cmd_verbs[i].name);
                fish_options(cond, cmd_verbs[i].options);
        }
}

static void gen_zsh(void) {
        printf("#compdef nspawn-compose\n# zsh completion for nspawn-compose (generated)\n"
               "_nspawn_compose() {\n        local -a verbs\n        verbs=(\n");
        for (size_t i = 0; i < cmd_n_verbs; i++)
                if (cmd_verbs[i].summary)
                        printf("                '%s:%s'\n", cmd_verbs[i].name, cmd_verbs[i].summary);
        printf("        )\n        if (( CURRENT == 2 )); then _describe command verbs; return; fi\n"
               "        case $words[2] in\n");
        for (size_t i = 0; i < cmd_n_verbs; i++) {
                if (!cmd_verbs[i].summary)
                        continue;
                printf("        %s) compadd --", cmd_verbs[i].name);
                words(cmd_verbs[i].options);
                printf(" ;;\n");
        }
        printf("        esac\n}\n_nspawn_compose \"$@\"\n");
}

int cmd_gen(int argc, char *argv[], CmdGlobal *g) {
        const char *what = argc > 1 ? argv[1] : "";

        (void) g;
        if (streq(what, "man"))
                gen_man();
        else if (streq(what, "bash"))
                gen_bash();
        else if (streq(what, "zsh"))
                gen_zsh();
        else if (streq(what, "fish"))
                gen_fish();
        else
                return log_error("gen: man, bash, zsh or fish"), CMD_EXIT_USAGE;
        return 0;
}
