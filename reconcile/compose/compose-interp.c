/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "reconcile/compose/compose-internal.h"
#include "lib/strv.h"

/* Variable substitution as docker compose does it (compose-go template.Substitute). compose-go
 * matches one regular expression per '$':
 *
 *   \$(?i: (\$) | ([_a-z][_a-z0-9]*) | {([_a-z][_a-z0-9]*(?::?[-+?](.*))?)} | {NAME\[…\]…} | {() )
 *
 * and then cuts a "${NAME<op>…}" match at its first balanced '}'. This scanner walks the same
 * alternatives by hand, with the same consequences:
 *   - '.' does not match a newline, so a "${" that is not closed on its own line is invalid;
 *   - a body ends at the first '}' that balances the opening '{' (every '{' counts, and, as in
 *     compose-go, the character right after a '{' is skipped), or at the line's last '}' when
 *     nothing balances;
 *   - the body of a default, replacement or error message is substituted (as a template of its
 *     own) before the variable is looked up, so it can warn or fail even when it is not used;
 *   - '$' before anything else ("$5", "$-", a trailing '$') stays a literal '$'. */

typedef enum InterpOp {
        OP_DEFAULT_IF_EMPTY,            /* ${V:-d}: d when V is unset or empty */
        OP_DEFAULT_IF_UNSET,            /* ${V-d}:  d when V is unset */
        OP_REQUIRE_NON_EMPTY,           /* ${V:?e}: error when V is unset or empty */
        OP_REQUIRE_SET,                 /* ${V?e}:  error when V is unset */
        OP_REPLACE_IF_NON_EMPTY,        /* ${V:+r}: r when V is set and not empty */
        OP_REPLACE_IF_SET,              /* ${V+r}:  r when V is set */
} InterpOp;

typedef enum InterpErrorKind {
        INTERP_ERROR_NONE,
        INTERP_ERROR_INVALID,           /* not a valid substitution: message built from the input */
        INTERP_ERROR_REQUIRED,          /* ${V?e} / ${V:?e} fired */
        INTERP_ERROR_LIMIT,             /* nested too deep */
        INTERP_ERROR_OOM,
} InterpErrorKind;

/* Bodies nest ("${A:-${B:-${C}}}") and are substituted recursively: a hostile template must not
 * take the whole stack. compose-go has no limit (its scanner is iterative); nothing real nests more
 * than a few levels. */
#define INTERP_DEPTH_MAX 64

typedef struct Interp {
        const char *input;              /* the whole template; error offsets are relative to it */
        unsigned depth;                 /* of the body being substituted */
        ComposeLookup lookup;
        void *userdata;
        char **warnings;                /* bare messages, deduplicated */
        int error;
        InterpErrorKind error_kind;
        size_t error_offset;            /* of the '$' that failed */
        char error_message[400];
} Interp;

static void interp_done(Interp *ip) {
        ip->warnings = strv_free(ip->warnings);
}

static bool is_name_start(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c) {
        return is_name_start(c) || (c >= '0' && c <= '9');
}

static size_t name_length(const char *p, const char *end) {
        size_t n = 0;

        if (p < end && is_name_start(*p))
                for (n = 1; p + n < end && is_name_char(p[n]); n++)
                        ;
        return n;
}

/* The last '}' in [p, end) before a newline: where compose-go's greedy "(.*)}" stops. */
static const char *line_last_brace(const char *p, const char *end) {
        const char *last = NULL;

        for (; p < end && *p != '\n'; p++)
                if (*p == '}')
                        last = p;
        return last;
}

/* compose-go's getFirstBraceClosingIndex() over [p, last]: NULL when the braces never balance. */
static const char *first_closing_brace(const char *p, const char *last) {
        int open = 0;

        for (; p <= last; p++) {
                if (*p == '}' && --open == 0)
                        return p;
                if (*p == '{') {
                        open++;
                        p++;
                }
        }
        return NULL;
}

static int interp_fail(Interp *ip, InterpErrorKind kind, const char *at, const char *fmt, ...) _printf_(4, 5);
static int interp_fail(Interp *ip, InterpErrorKind kind, const char *at, const char *fmt, ...) {
        va_list ap;

        if (ip->error != 0)
                return ip->error;
        ip->error = kind == INTERP_ERROR_OOM ? -ENOMEM : kind == INTERP_ERROR_LIMIT ? -E2BIG : -EINVAL;
        ip->error_kind = kind;
        ip->error_offset = at ? (size_t) (at - ip->input) : 0;
        va_start(ap, fmt);
        vsnprintf(ip->error_message, sizeof ip->error_message, fmt, ap);
        va_end(ap);
        return ip->error;
}

static int interp_oom(Interp *ip) {
        return interp_fail(ip, INTERP_ERROR_OOM, NULL, "out of memory");
}

static int interp_invalid(Interp *ip, const char *dollar) {
        return interp_fail(ip, INTERP_ERROR_INVALID, dollar, "invalid interpolation format");
}

/* Looks @name up; *ret is NULL when it is unset. */
static int interp_lookup(Interp *ip, const char *name, size_t n, const char **ret) {
        _cleanup_free_ char *s = strndup(name, n);

        if (!s)
                return interp_oom(ip);
        *ret = ip->lookup ? ip->lookup(s, ip->userdata) : NULL;
        return 0;
}

static int interp_warn_unset(Interp *ip, const char *name, size_t n) {
        char *w;

        if (asprintf(&w, "variable %.*s is not set, defaulting to a blank string", (int) n, name) < 0)
                return interp_oom(ip);
        if (strv_contains(ip->warnings, w)) {
                free(w);
                return 0;
        }
        return strv_consume(&ip->warnings, w) < 0 ? interp_oom(ip) : 0;
}

/* $NAME and ${NAME}: the value, or "" and a warning when unset. */
static int interp_plain(Interp *ip, const char *name, size_t n, StrBuf *out) {
        const char *v;
        int r;

        r = interp_lookup(ip, name, n, &v);
        if (r < 0)
                return r;
        if (!v)
                return interp_warn_unset(ip, name, n);
        strbuf_append(out, v);
        return 0;
}

static bool at_op(const char *p, const char *end) {
        if (p < end && *p == ':')
                p++;
        return p < end && (*p == '-' || *p == '?' || *p == '+');
}

/* Reads the operator at *p (at_op() said there is one) and moves past it. */
static InterpOp parse_op(const char **p) {
        bool colon = **p == ':';
        char c = (*p)[colon];

        *p += colon + 1;
        if (c == '-')
                return colon ? OP_DEFAULT_IF_EMPTY : OP_DEFAULT_IF_UNSET;
        if (c == '?')
                return colon ? OP_REQUIRE_NON_EMPTY : OP_REQUIRE_SET;
        return colon ? OP_REPLACE_IF_NON_EMPTY : OP_REPLACE_IF_SET;
}

/* Applies @op to variable @name, given its body, already substituted. */
static int interp_apply_op(Interp *ip, InterpOp op, const char *dollar, const char *name, size_t n,
                           const char *body, StrBuf *out) {
        const char *v;
        bool set, non_empty, fail;
        int r;

        r = interp_lookup(ip, name, n, &v);
        if (r < 0)
                return r;
        set = v;
        non_empty = v && *v;

        switch (op) {
        case OP_DEFAULT_IF_EMPTY:
                strbuf_append(out, non_empty ? v : body);
                break;
        case OP_DEFAULT_IF_UNSET:
                strbuf_append(out, set ? v : body);
                break;
        case OP_REQUIRE_NON_EMPTY:
        case OP_REQUIRE_SET:
                fail = op == OP_REQUIRE_NON_EMPTY ? !non_empty : !set;
                if (fail)
                        return interp_fail(ip, INTERP_ERROR_REQUIRED, dollar,
                                           "required variable %.*s is missing a value%s%s",
                                           (int) n, name, *body ? ": " : "", body);
                strbuf_append(out, v);
                break;
        case OP_REPLACE_IF_NON_EMPTY:
                strbuf_append(out, non_empty ? body : strempty(v));
                break;
        case OP_REPLACE_IF_SET:
                strbuf_append(out, set ? body : "");
                break;
        }
        return 0;
}

static int interp_range(Interp *ip, const char *p, const char *end, StrBuf *out);

/* "${NAME<op>body}", @op pointing at the operator. *ret_next: where scanning resumes. */
static int interp_braced_op(Interp *ip, const char *dollar, const char *name, size_t n, const char *op,
                            const char *end, StrBuf *out, const char **ret_next) {
        _cleanup_(strbuf_done) StrBuf body = {};
        const char *last, *close, *body_start = op;
        InterpOp o;
        int r;

        o = parse_op(&body_start);
        last = line_last_brace(body_start, end);
        if (!last)
                return interp_invalid(ip, dollar);
        close = first_closing_brace(dollar, last) ?: last;

        if (ip->depth >= INTERP_DEPTH_MAX)
                return interp_fail(ip, INTERP_ERROR_LIMIT, dollar, "interpolation nested deeper than %u levels",
                                   INTERP_DEPTH_MAX);
        ip->depth++;
        r = interp_range(ip, body_start, close, &body);
        ip->depth--;
        if (r < 0)
                return r;
        r = interp_apply_op(ip, o, dollar, name, n, body.buf ?: "", out);
        if (r < 0)
                return r;
        *ret_next = close + 1;
        return 0;
}

/* "${NAME[key]…}": compose-go's named mappings, which the loader does not enable; compose keeps
 * such text as written. */
static int interp_named_mapping(Interp *ip, const char *dollar, const char *bracket, const char *end,
                                StrBuf *out, const char **ret_next) {
        const char *last = line_last_brace(bracket, end), *close;

        if (!last || !memchr(bracket, ']', last - bracket))
                return interp_invalid(ip, dollar);
        close = first_closing_brace(dollar, last) ?: last;
        strbuf_append_n(out, dollar, close + 1 - dollar);
        *ret_next = close + 1;
        return 0;
}

/* What follows "${". */
static int interp_braced(Interp *ip, const char **p, const char *end, StrBuf *out) {
        const char *dollar = *p, *name = dollar + 2;
        size_t n = name_length(name, end);

        if (n == 0)
                return interp_invalid(ip, dollar);
        if (name + n < end && name[n] == '}') {                 /* ${NAME} */
                *p = name + n + 1;
                return interp_plain(ip, name, n, out);
        }
        if (at_op(name + n, end))                               /* ${NAME<op>…} */
                return interp_braced_op(ip, dollar, name, n, name + n, end, out, p);
        if (name + n < end && name[n] == '[')
                return interp_named_mapping(ip, dollar, name + n, end, out, p);
        return interp_invalid(ip, dollar);
}

/* One '$' at *p; *p is moved past what it stands for. */
static int interp_dollar(Interp *ip, const char **p, const char *end, StrBuf *out) {
        const char *dollar = *p;
        size_t n;

        if (dollar + 1 < end && dollar[1] == '{')
                return interp_braced(ip, p, end, out);
        if (dollar + 1 < end && dollar[1] == '$') {             /* $$ → $ */
                strbuf_append_char(out, '$');
                *p = dollar + 2;
                return 0;
        }
        n = name_length(dollar + 1, end);
        if (n > 0) {                                            /* $NAME */
                *p = dollar + 1 + n;
                return interp_plain(ip, dollar + 1, n, out);
        }
        strbuf_append_char(out, '$');                           /* "$5", "$-", "…$": literal */
        *p = dollar + 1;
        return 0;
}

static int interp_range(Interp *ip, const char *p, const char *end, StrBuf *out) {
        int r;

        while (p < end) {
                const char *d = memchr(p, '$', end - p);

                if (!d) {
                        strbuf_append_n(out, p, end - p);
                        break;
                }
                strbuf_append_n(out, p, d - p);
                p = d;
                r = interp_dollar(ip, &p, end, out);
                if (r < 0)
                        return r;
        }
        return out->oom ? interp_oom(ip) : 0;
}

static int interp_run(Interp *ip, const char *in, char **ret) {
        _cleanup_(strbuf_done) StrBuf out = {};
        int r;

        ip->input = in;
        r = interp_range(ip, in, in + strlen(in), &out);
        if (r < 0)
                return r;
        *ret = strbuf_steal(&out);
        return *ret ? 0 : interp_oom(ip);
}

/* The failure as a message for the user. */
static const char *interp_error_message(const Interp *ip, char *buf, size_t size) {
        size_t n = strlen(ip->input);

        if (ip->error_kind != INTERP_ERROR_INVALID)
                return ip->error_message;
        if (n > 100)            /* shorten long templates, without cutting a UTF-8 sequence */
                for (n = 97; n > 0 && ((unsigned char) ip->input[n] & 0xC0) == 0x80; n--)
                        ;
        snprintf(buf, size, "invalid interpolation format \"%.*s%s\" (character %zu): "
                 "you may need to escape any $ with another $",
                 (int) n, ip->input, n < strlen(ip->input) ? "..." : "", ip->error_offset + 1);
        return buf;
}

static int warnings_add(char ***warnings, char *w) {
        if (!warnings || strv_contains(*warnings, w)) {
                free(w);
                return 0;
        }
        return strv_consume(warnings, w);
}

int compose_interpolate(const char *in, ComposeLookup lookup, void *userdata, char ***warnings, char **ret,
                        NcError *reterr) {
        _cleanup_(interp_done) Interp ip = { .lookup = lookup, .userdata = userdata };
        _cleanup_free_ char *s = NULL;
        char buf[sizeof reterr->message];
        int r;

        assert(in);
        assert(ret);

        r = interp_run(&ip, in, &s);
        if (r < 0)
                return nc_error_set(reterr, r, "%s", interp_error_message(&ip, buf, sizeof buf));
        STRV_FOREACH(w, ip.warnings) {
                char *c = strdup(*w);

                if (!c || warnings_add(warnings, c) < 0)
                        return nc_error_set(reterr, -ENOMEM, "out of memory");
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* ---- The tree ------------------------------------------------------------------------------- */

/* After substitution compose-go keeps every string a string, except at the paths of its
 * interpolateTypeCastMapping (loader/interpolate.go), where a string becomes a number or a
 * boolean, whether it held a variable or not and whether it was quoted or not. A later check
 * sees "${PORT}" under ports as the string "8080", and "${TTY}" under tty as a boolean.
 * In patterns "*" is any one path part (a key or a list index), "[]" any list index. Paths are
 * split at '.' as compose-go's tree.Path does, so a key holding a '.' spans several parts. */
typedef enum CastKind {
        CAST_INT,                       /* strconv.Atoi / ParseInt(s, 10, 64) */
        CAST_FLOAT,                     /* ParseFloat(s, 64) */
        CAST_FLOAT32,                   /* ParseFloat(s, 32) */
        CAST_BOOL,                      /* true/false, and y/yes/on, n/no/off with a warning */
} CastKind;

static const struct {
        const char *pattern;
        CastKind kind;
} cast_table[] = {
        { "services.*.configs.[].mode",                          CAST_INT },
        { "services.*.cpu_count",                                CAST_INT },
        { "services.*.cpu_percent",                              CAST_FLOAT },
        { "services.*.cpu_period",                               CAST_INT },
        { "services.*.cpu_quota",                                CAST_INT },
        { "services.*.cpu_rt_period",                            CAST_INT },
        { "services.*.cpu_rt_runtime",                           CAST_INT },
        { "services.*.cpus",                                     CAST_FLOAT32 },
        { "services.*.cpu_shares",                               CAST_INT },
        { "services.*.init",                                     CAST_BOOL },
        { "services.*.deploy.replicas",                          CAST_INT },
        { "services.*.deploy.update_config.parallelism",         CAST_INT },
        { "services.*.deploy.update_config.max_failure_ratio",   CAST_FLOAT },
        { "services.*.deploy.rollback_config.parallelism",       CAST_INT },
        { "services.*.deploy.rollback_config.max_failure_ratio", CAST_FLOAT },
        { "services.*.deploy.restart_policy.max_attempts",       CAST_INT },
        { "services.*.deploy.placement.max_replicas_per_node",   CAST_INT },
        { "services.*.healthcheck.retries",                      CAST_INT },
        { "services.*.healthcheck.disable",                      CAST_BOOL },
        { "services.*.oom_kill_disable",                         CAST_BOOL },
        { "services.*.oom_score_adj",                            CAST_INT },
        { "services.*.pids_limit",                               CAST_INT },
        { "services.*.ports.[].target",                          CAST_INT },
        { "services.*.privileged",                               CAST_BOOL },
        { "services.*.read_only",                                CAST_BOOL },
        { "services.*.scale",                                    CAST_INT },
        { "services.*.secrets.[].mode",                          CAST_INT },
        { "services.*.stdin_open",                               CAST_BOOL },
        { "services.*.tty",                                      CAST_BOOL },
        { "services.*.ulimits.*",                                CAST_INT },
        { "services.*.ulimits.*.hard",                           CAST_INT },
        { "services.*.ulimits.*.soft",                           CAST_INT },
        { "services.*.volumes.[].read_only",                     CAST_BOOL },
        { "services.*.volumes.[].volume.nocopy",                 CAST_BOOL },
        { "networks.*.external",                                 CAST_BOOL },
        { "networks.*.internal",                                 CAST_BOOL },
        { "networks.*.attachable",                               CAST_BOOL },
        { "networks.*.enable_ipv4",                              CAST_BOOL },
        { "networks.*.enable_ipv6",                              CAST_BOOL },
        { "volumes.*.external",                                  CAST_BOOL },
        { "secrets.*.external",                                  CAST_BOOL },
        { "configs.*.external",                                  CAST_BOOL },
};

static bool path_matches(const char *path, const char *pattern) {
        for (;;) {
                size_t a = strcspn(path, "."), b = strcspn(pattern, ".");

                if (!(b == 1 && *pattern == '*') && !(a == b && memcmp(path, pattern, a) == 0))
                        return false;
                path += a;
                pattern += b;
                if (!*path || !*pattern)
                        return !*path && !*pattern;
                path++;
                pattern++;
        }
}

static bool cast_for_path(const char *path, CastKind *ret) {
        for (size_t i = 0; i < ELEMENTSOF(cast_table); i++)
                if (path_matches(path, cast_table[i].pattern)) {
                        *ret = cast_table[i].kind;
                        return true;
                }
        return false;
}

typedef struct TreeWalk {
        ComposeLookup lookup;
        void *userdata;
        char ***warnings;
        NcError *reterr;
        StrBuf path;                    /* for messages: services.web.ports[0] */
        StrBuf match;                   /* for cast_table: services.web.ports.[] */
} TreeWalk;

static int tree_warn(TreeWalk *w, const ComposeNode *n, const char *fmt, ...) _printf_(3, 4);
static int tree_warn(TreeWalk *w, const ComposeNode *n, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        char *s;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (n->mark.file)
                k = asprintf(&s, "%s:%u:%u: %s: %s", n->mark.file, n->mark.line, n->mark.column,
                             strempty(w->path.buf), msg);
        else
                k = asprintf(&s, "%s: %s", strempty(w->path.buf), msg);
        if (k < 0)
                return -ENOMEM;
        return warnings_add(w->warnings, s);
}

/* Go's strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, nothing else. */
static int parse_go_int(const char *s, int64_t *ret) {
        const char *d = s + (*s == '+' || *s == '-');
        char *e;
        intmax_t v;

        if (!*d || strspn(d, "0123456789") != strlen(d))
                return -EINVAL;
        errno = 0;
        v = strtoimax(s, &e, 10);
        if (errno == ERANGE)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int parse_go_float(const char *s, bool single, double *ret) {
        char *e;
        double v;

        if (!*s || strchr(" \t\n\v\f\r", *s))
                return -EINVAL;
        if (strpbrk(s, "xX") && !strpbrk(s, "pP"))     /* Go wants an exponent on hex floats */
                return -EINVAL;
        errno = 0;
        v = strtod(s, &e);
        if (*e)
                return -EINVAL;
        if ((errno == ERANGE && fabs(v) > 1) || (single && isfinite(v) && fabs(v) > FLT_MAX))
                return -ERANGE;
        *ret = v;
        return 0;
}

static int cast_bool(TreeWalk *w, ComposeNode *n, const char **ret) {
        static const char *const yes[] = { "y", "yes", "on" }, *const no[] = { "n", "no", "off" };

        if (strcasecmp(n->scalar, "true") == 0 || strcasecmp(n->scalar, "false") == 0) {
                *ret = strcasecmp(n->scalar, "true") == 0 ? "true" : "false";
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(n->scalar, yes[i]) == 0 || strcasecmp(n->scalar, no[i]) == 0) {
                        *ret = strcasecmp(n->scalar, yes[i]) == 0 ? "true" : "false";
                        return tree_warn(w, n, "\"%s\" for boolean is not supported by YAML 1.2, please use `%s`",
                                         n->scalar, *ret);
                }
        return compose_node_error(n, w->reterr, -EINVAL, w->path.buf,
                                  "failed to cast to expected type: invalid boolean: %s", n->scalar);
}

/* Turns STRING @n into @kind as compose-go's casts do. */
static int cast_node(TreeWalk *w, ComposeNode *n, CastKind kind) {
        ComposeNodeType type = kind == CAST_INT ? COMPOSE_NODE_INT :
                               kind == CAST_BOOL ? COMPOSE_NODE_BOOL : COMPOSE_NODE_FLOAT;
        _cleanup_free_ char *formatted = NULL;
        const char *text = NULL;
        char buf[32];
        int64_t i;
        double f;
        int r;

        if (kind == CAST_BOOL)
                r = cast_bool(w, n, &text);
        else {
                r = kind == CAST_INT ? parse_go_int(n->scalar, &i) : parse_go_float(n->scalar, kind == CAST_FLOAT32, &f);
                if (r < 0)
                        return compose_node_error(n, w->reterr, -EINVAL, w->path.buf,
                                                  "failed to cast to expected type: parsing \"%s\": %s", n->scalar,
                                                  r == -ERANGE ? "value out of range" : "invalid syntax");
                if (kind == CAST_INT) {
                        snprintf(buf, sizeof buf, "%" PRIi64, i);
                        text = buf;
                } else {
                        formatted = compose_format_float(f, kind == CAST_FLOAT32, COMPOSE_FLOAT_YAML);
                        if (!formatted)
                                return -ENOMEM;
                        text = formatted;
                        if (compose_float_text_is_integer(text))
                                type = COMPOSE_NODE_INT;
                }
        }
        if (r < 0)
                return r;
        if (!streq(text, n->scalar)) {
                char *c = strdup(text);

                if (!c)
                        return -ENOMEM;
                free_and_replace_ptr(&n->scalar, c);
        }
        n->type = type;
        return 0;
}

static int tree_interpolate(TreeWalk *w, ComposeNode *n) {
        _cleanup_(interp_done) Interp ip = { .lookup = w->lookup, .userdata = w->userdata };
        char buf[sizeof w->reterr->message], *s;
        int r;

        r = interp_run(&ip, n->scalar, &s);
        if (r < 0) {
                ComposeNode at = { .mark = n->mark };

                /* A plain one-line scalar is the text as written: point at the failing '$'. */
                if (ip.error_kind != INTERP_ERROR_OOM && !(n->flags & COMPOSE_NODE_QUOTED) &&
                    !strchr(n->scalar, '\n') && at.mark.line > 0)
                        at.mark.column += ip.error_offset;
                return compose_node_error(&at, w->reterr, r, w->path.buf, "%s",
                                          interp_error_message(&ip, buf, sizeof buf));
        }
        free_and_replace_ptr(&n->scalar, s);
        STRV_FOREACH(x, ip.warnings) {
                r = tree_warn(w, n, "%s", *x);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int tree_scalar(TreeWalk *w, ComposeNode *n) {
        CastKind kind;
        int r;

        if (strchr(n->scalar, '$')) {
                r = tree_interpolate(w, n);
                if (r < 0)
                        return r;
        }
        if (cast_for_path(strempty(w->match.buf), &kind))
                return cast_node(w, n, kind);
        return 0;
}

static void strbuf_truncate(StrBuf *b, size_t len) {
        if (b->buf && len <= b->len) {
                b->len = len;
                b->buf[len] = 0;
        }
}

static int tree_walk(TreeWalk *w, ComposeNode *n);

/* Walks @child with "key" (or "[index]" when @key is NULL) appended to the paths. */
static int tree_walk_child(TreeWalk *w, ComposeNode *child, const char *key, size_t index) {
        size_t path_len = w->path.len, match_len = w->match.len;
        const char *dot = w->path.len > 0 ? "." : "";
        int r;

        if (key) {
                strbuf_printf(&w->path, "%s%s", dot, key);
                strbuf_printf(&w->match, "%s%s", dot, key);
        } else {
                strbuf_printf(&w->path, "[%zu]", index);
                strbuf_printf(&w->match, "%s[]", dot);
        }
        if (w->path.oom || w->match.oom)
                return -ENOMEM;
        r = tree_walk(w, child);
        strbuf_truncate(&w->path, path_len);
        strbuf_truncate(&w->match, match_len);
        return r;
}

static int tree_walk(TreeWalk *w, ComposeNode *n) {
        int r;

        if (!n)
                return 0;
        switch (n->type) {
        case COMPOSE_NODE_MAP:
                for (size_t i = 0; i < n->n_items; i++) {
                        r = tree_walk_child(w, n->items[i], n->keys[i]->scalar, 0);
                        if (r < 0)
                                return r;
                }
                return 0;
        case COMPOSE_NODE_SEQ:
                for (size_t i = 0; i < n->n_items; i++) {
                        r = tree_walk_child(w, n->items[i], NULL, i);
                        if (r < 0)
                                return r;
                }
                return 0;
        case COMPOSE_NODE_STRING:
                return tree_scalar(w, n);
        case COMPOSE_NODE_NULL:
        case COMPOSE_NODE_BOOL:
        case COMPOSE_NODE_INT:
        case COMPOSE_NODE_FLOAT:
        case _COMPOSE_NODE_TYPE_MAX:
        case _COMPOSE_NODE_TYPE_INVALID:
                break;
        }
        return 0;
}

int compose_interpolate_tree(ComposeNode *root, ComposeLookup lookup, void *userdata, char ***warnings,
                             NcError *reterr) {
        TreeWalk w = { .lookup = lookup, .userdata = userdata, .warnings = warnings, .reterr = reterr };
        int r;

        r = tree_walk(&w, root);
        strbuf_done(&w.path);
        strbuf_done(&w.match);
        if (r == -ENOMEM)
                return nc_error_set(reterr, r, "out of memory");
        return r;
}
