/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the .c files of reconcile/compose/ only. */

#include "reconcile/compose/compose.h"

/* compose-yaml.c: parses one YAML document (YAML 1.2 core schema) into a node tree: anchors and
 * aliases resolved, merge keys (<<: *a, <<: [*a, *b]) applied, !reset/!override recorded in flags,
 * duplicate keys rejected. An empty document yields a NULL node (*ret = NULL, return 0).
 * @file must stay valid as long as the tree (it is stored in marks). */
int compose_yaml_parse(const char *file, const char *data, size_t size, ComposeNode **ret, NcError *reterr);
/* What a plain (unquoted, untagged) scalar with the text @s reads as: go-yaml v3's resolution, as
 * the parser does it. A dump quotes every string for which this is not COMPOSE_NODE_STRING. */
ComposeNodeType compose_yaml_plain_type(const char *s);
/* What copies made by anchors and aliases may still take, in nodes and scalar bytes: a node budget
 * alone lets one long string, aliased often, fill memory. A project's files share one budget. */
#define COMPOSE_YAML_ALIAS_NODES_MAX 1000000
#define COMPOSE_YAML_ALIAS_BYTES_MAX (16U * 1024U * 1024U)
typedef struct ComposeYamlBudget {
        size_t nodes, bytes;
} ComposeYamlBudget;
#define COMPOSE_YAML_BUDGET_INIT { .nodes = COMPOSE_YAML_ALIAS_NODES_MAX, .bytes = COMPOSE_YAML_ALIAS_BYTES_MAX }
/* Same, taking the copies from @budget. -E2BIG "document contains excessive aliasing" when it runs out. */
int compose_yaml_parse_budget(const char *file, const char *data, size_t size, ComposeYamlBudget *budget,
                              ComposeNode **ret, NcError *reterr);

/* compose-load.c: reads a file given as input (a compose file, .env, env_file): a regular file of at
 * most INPUT_FILE_SIZE_MAX bytes (read_full_file_max()). */
int compose_read_input(const char *path, char **ret, size_t *ret_size);
/* The reason for a failed compose_read_input(), for messages. */
const char *compose_read_strerror(int error);

/* compose-interp.c: interpolates $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, ${VAR:+r},
 * ${VAR+r} (nested), and $$ → $. Unset variables without default become "" and are added to
 * @warnings (strv, may be NULL) as "variable NAME is not set, defaulting to a blank string".
 * A ${VAR?e} / ${VAR:?e} that fires returns -EINVAL with "required variable NAME is missing a value: e". */
int compose_interpolate(const char *in, ComposeLookup lookup, void *userdata, char ***warnings, char **ret,
                        NcError *reterr);
/* Interpolates every STRING value (not keys) of the tree in place; errors carry the node's mark and
 * key path. Values stay strings, except at the fixed paths where compose-go casts after
 * interpolation (services.*.ports[].target, healthcheck.retries, privileged, cpus, …: see
 * compose-interp.c), where a string becomes INT, FLOAT or BOOL whether it held a variable or not. */
int compose_interpolate_tree(ComposeNode *root, ComposeLookup lookup, void *userdata, char ***warnings,
                             NcError *reterr);

/* compose-dotenv.c: parses a .env / env_file text as compose does (KEY=VALUE, export prefix, quotes,
 * comments, ${} in unquoted and double-quoted values resolved against @lookup and earlier lines).
 * Appends "K=V" strings to *env. Errors name @path:line. */
int compose_dotenv_parse(const char *path, const char *text, ComposeLookup lookup, void *userdata,
                         char ***env, NcError *reterr);

/* compose-normalize.c: rewrites the merged, interpolated tree into the canonical shape (compose.h).
 * @working_dir resolves relative paths; @lookup resolves bare environment entries and env_file
 * reading. Without @resolve_env (compose-go's WithoutEnvironmentResolution, which config --services,
 * --images, --volumes, --profiles and --hash use), env_file is neither read nor merged into the
 * environment but stays in the model. Errors carry file:line:column and the key path. */
int compose_normalize(ComposeNode *root, const char *project_name, const char *working_dir,
                      ComposeLookup lookup, void *userdata, bool resolve_env, NcError *reterr);

/* compose-validate-schema.c: the schema check, run on the merged, interpolated tree BEFORE normalization
 * (raw short/long forms still there, marks intact): unknown keys (outside x-), wrong types, bad
 * values (ports, durations, enums). */
int compose_validate_schema(const ComposeNode *root, NcError *reterr);
/* compose-validate-refs.c: run on the canonical tree AFTER normalization: references to undefined services, networks, volumes,
 * secrets and configs; dependency cycles ("dependency cycle detected: a -> b -> a"). */
int compose_validate_references(const ComposeNode *root, NcError *reterr);
/* Drops the networks, volumes, secrets and configs that no (enabled) service uses, as docker compose
 * does before it prints or runs a project (compose-go's WithoutUnnecessaryResources); a section left
 * empty goes too. 0 or -ENOMEM. */
int compose_drop_unused_resources(ComposeNode *root);

/* compose-merge.c: merges @override into @base (both service-level or top-level trees) with
 * compose's override rules; consumes @override. */
int compose_merge(ComposeNode *base, ComposeNode *override, NcError *reterr);
/* Merges one service definition into another (extends), with the same rules at service depth. */
int compose_merge_service(ComposeNode *base, ComposeNode *override, NcError *reterr);

/* compose-parse.c: value syntaxes shared by the schema check and normalization. Messages carry no
 * position (callers add the node's). */
typedef struct ComposePortRange {
        uint16_t start, end;            /* 1..65535, start <= end; 0/0 = none */
} ComposePortRange;
#define COMPOSE_HOST_IP_MAX 46         /* INET6_ADDRSTRLEN */
typedef struct ComposePortSpec {
        char host_ip[COMPOSE_HOST_IP_MAX];      /* "" = any; IPv6 without brackets */
        ComposePortRange published;     /* 0/0 = not published */
        ComposePortRange target;
        char protocol[8];               /* "tcp", "udp" or "sctp" (lowercased; default tcp) */
} ComposePortSpec;
/* Short port syntax "[[HOST_IP:][PUBLISHED[-END]]:]TARGET[-END][/PROTO]" (docker's splitting: a bare
 * IPv6 host IP may hold colons). -EINVAL/-ERANGE with messages like `port 0 out of range`,
 * `invalid port "abc"`, `invalid IP address "x"`, `invalid protocol "x"`. */
int compose_parse_port_spec(const char *s, ComposePortSpec *ret, NcError *reterr);
/* A host IP as ports write it, in the first @n bytes of @s: "1.2.3.4", "::1" or "[::1]" (returned
 * without brackets); empty is allowed (any address). -EINVAL with `invalid IP address "x"`. */
int compose_parse_host_ip(const char *s, size_t n, char ret[static COMPOSE_HOST_IP_MAX], NcError *reterr);
/* "PORT" or "START-END" in the first @n bytes of @s. */
int compose_parse_port_range(const char *s, size_t n, ComposePortRange *ret, NcError *reterr);
/* expose entries: "PORT[-END][/PROTO]". */
int compose_parse_expose(const char *s, ComposePortRange *ret, char ret_protocol[static 8], NcError *reterr);
bool compose_protocol_is_valid(const char *protocol);   /* tcp, udp, sctp; any case */
/* lib's parse_go_duration_nsec() ("1m30s", "1.5h", "300ms", "0"), with the messages compose prints. */
int compose_parse_duration(const char *s, int64_t *ret_nsec, NcError *reterr);
/* Go's Duration.String() ("1m30s", "1h0m0s", "0s"), the canonical form compose prints. Returns @buf. */
#define COMPOSE_DURATION_MAX 48
const char *compose_format_duration(int64_t nsec, char buf[static COMPOSE_DURATION_MAX]);
/* lib's parse_size(), docker's RAMInBytes ("1024", "512m", "1.5g", "2GiB", "10 kb"), with messages. */
int compose_parse_size(const char *s, int64_t *ret_bytes, NcError *reterr);
/* A number as strtod() reads it, the whole of @s: -EINVAL when empty or followed by anything,
 * -ERANGE when out of range. */
int compose_parse_number(const char *s, double *ret);
/* Decodes the UTF-8 sequence at @s: its length, and the code point in *ret; an invalid byte comes
 * out alone as U+FFFD, as Go decodes it. */
size_t compose_utf8_next(const char *s, uint32_t *ret);
/* One float formatter for the whole loader. COMPOSE_FLOAT_YAML is Go's strconv.FormatFloat(v, 'g',
 * -1, 32|64), as go-yaml prints a float ("0.5", "1000", "1e+21", "1e-07", ".inf"); COMPOSE_FLOAT_JSON
 * is encoding/json's ("1e-7", "100000000000000000000"; "+Inf"/"NaN", which JSON cannot hold). The
 * fewest digits that read back as @v (as a float32 when @single). NULL on OOM. */
typedef enum ComposeFloatStyle {
        COMPOSE_FLOAT_YAML,
        COMPOSE_FLOAT_JSON,
} ComposeFloatStyle;
char *compose_format_float(double v, bool single, ComposeFloatStyle style);
/* Whether a formatted float has neither a point nor an exponent ("1000", "-3"): docker compose
 * prints such a float as an integer, and it reads back as one, so the loader makes it an INT. */
bool compose_float_text_is_integer(const char *s);
/* The boolean spellings compose casts from strings: y/yes/true/on, n/no/false/off (any case). */
int compose_parse_bool(const char *s, bool *ret);

/* A host name as /etc/hosts and resolv.conf take it (hostname, domainname, network aliases, the
 * names of extra_hosts, dns_search): dot-separated labels of letters, digits, '-' and '_', each 1 to
 * 63 bytes and not starting or ending with '-', 253 bytes at most. So never a space, a newline or
 * another control character. */
bool compose_dns_name_is_valid(const char *s);
/* docker's grammar of a local volume's name: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
bool compose_volume_name_is_valid(const char *s);

/* compose-paths.c: makes the relative paths of a service (build context, env_file, bind volume
 * sources) or of a whole model (plus secrets/configs files) absolute against @dir, the directory of
 * the file they were written in, before they are merged into a project rooted elsewhere. */
int compose_rebase_service_paths(ComposeNode *svc, const char *dir);
int compose_rebase_model_paths(ComposeNode *root, const char *dir);
