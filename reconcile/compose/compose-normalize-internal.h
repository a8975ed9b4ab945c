/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the compose-normalize-*.c files only.
 *
 * Normalization turns every short form into the long form `docker compose config` prints. The output
 * follows compose-go's Go types: each struct is described by a NormSchema (its fields in declaration
 * order, which is the order the YAML encoder prints them in), and each field by a NormKind that says
 * how to coerce the value (int, string, byte size, duration, ...) and whether an empty value is left
 * out (Go's `omitempty`). Go maps print with their keys sorted (see norm_key_less()). */

#include <stdint.h>

#include "reconcile/compose/compose-internal.h"

#define NORM_PATH_MAX 512

typedef struct NormCtx {
        const char *project_name;
        const char *working_dir;
        ComposeLookup lookup;
        void *userdata;
        bool resolve_env;               /* read env_file into the environment */
        NcError *reterr;
} NormCtx;

typedef enum NormKind {
        NORM_ANY,               /* kept as is */
        NORM_STRING,            /* string, omitted when empty */
        NORM_BOOL,              /* bool, omitted when false */
        NORM_BOOL_PTR,          /* *bool: printed even when false */
        NORM_INT,               /* int, omitted when 0 */
        NORM_INT_PTR,           /* *int: printed even when 0 */
        NORM_FLOAT32,           /* float32, omitted when 0 */
        NORM_BYTES,             /* UnitBytes: "1g" → "1073741824" (a string), omitted when 0 */
        NORM_DURATION,          /* Duration: "90s" → "1m30s", omitted when 0 */
        NORM_DURATION_PTR,      /* *Duration: printed even when 0 ("0s") */
        NORM_FILE_MODE,         /* octal file mode: "0440" or 0440 → 288 */
        NORM_STRING_LIST,       /* []string / StringList: a lone string becomes a one-item list */
        NORM_MAPPING,           /* map[string]string: "K=V" lists become maps, values strings */
        NORM_MAPPING_EQ,        /* map[string]*string: like NORM_MAPPING, but "K" alone maps to null */
        NORM_SHELL_COMMAND,     /* string split as a shell would (go-shellwords), or a list */
        NORM_STRUCT,            /* *struct: a mapping normalized by the field's schema, kept when empty */
        NORM_STRUCT_VALUE,      /* struct: same, and always there (empty when not given), flagged
                                 * COMPOSE_NODE_STRUCT_VALUE */
        NORM_STRUCT_SEQ,        /* []struct */
        NORM_STRUCT_MAP,        /* map[string]*struct: null values stay null */
} NormKind;

typedef struct NormSchema NormSchema;

/* Rewrites *slot (replacing the node if it needs to) before the field's kind is applied.
 * 0 or -errno with @c->reterr set. */
typedef int (*NormHook)(NormCtx *c, ComposeNode **slot, const char *path);

typedef struct NormField {
        const char *name;
        NormKind kind;
        const NormSchema *schema;       /* NORM_STRUCT* */
        NormHook hook;                  /* optional */
} NormField;

struct NormSchema {
        const NormField *fields;
        size_t n_fields;
        /* Optional: runs on the mapping after every field was normalized, before keys are ordered. */
        int (*finish)(NormCtx *c, ComposeNode *map, const char *path);
};

#define NORM_SCHEMA(f, fin) { .fields = (f), .n_fields = ELEMENTSOF(f), .finish = (fin) }

/* compose-normalize-schema.c */
extern const NormSchema norm_service_schema;
extern const NormSchema norm_network_schema;
extern const NormSchema norm_volume_schema;
extern const NormSchema norm_secret_schema;
extern const NormSchema norm_config_schema;
extern const NormSchema norm_port_schema;
extern const NormSchema norm_service_volume_schema;
/* Normalizes the mapping @map by @schema: each known field coerced, empty ones dropped, keys put in
 * the schema's order with the rest (x-* extensions) after them, sorted. */
int norm_struct(NormCtx *c, ComposeNode *map, const NormSchema *schema, const char *path);
/* Applies @kind to *slot. 1 when the value is empty and must be dropped, 0 to keep, -errno. */
int norm_value(NormCtx *c, ComposeNode **slot, NormKind kind, const NormSchema *schema, const char *path);
/* Turns a list of "K=V" strings into a mapping; a bare "K" maps to null if @null_without_value, else
 * to "". Values stay scalars of their own type. */
int norm_mapping_from_list(NormCtx *c, ComposeNode **slot, bool null_without_value, const char *path);
/* *slot as a mapping (a "K=V" list converted first, see above); -EINVAL for other types. */
int norm_as_mapping(NormCtx *c, ComposeNode **slot, bool null_without_value, const char *path, ComposeNode **ret);
/* Puts @map's keys in @schema's order, other keys last in norm_key_less() order. */
void norm_order_keys(ComposeNode *map, const NormSchema *schema);

/* compose-normalize-util.c */
/* The order Go's YAML encoder prints map keys in: like strcmp, but runs of digits compare as
 * numbers and letters sort after other characters. */
bool norm_key_less(const char *a, const char *b);
void norm_sort_map(ComposeNode *map);
/* "<parent>.<key>" or "<parent>[<i>]" into @buf. Returns @buf. */
const char *norm_path_key(char buf[static NORM_PATH_MAX], const char *parent, const char *key);
const char *norm_path_index(char buf[static NORM_PATH_MAX], const char *parent, size_t i);
/* A scalar's value as Go's fmt.Sprint prints the decoded YAML value. NULL (and -EINVAL) for
 * mappings, sequences and null. */
char *norm_scalar_text(const ComposeNode *n);
/* go-shellwords Parse (no env, no backticks): stops at an unquoted ; & | < >. 0 or -EINVAL. */
int norm_shell_split(const char *s, char ***ret);
/* Go's path.Clean. */
char *norm_path_clean(const char *p);
/* compose's absPath: "~" expands to $HOME, absolute paths are kept, others are joined to @wd. */
char *norm_abs_path(const char *wd, const char *p);
/* compose's path for bind mounts and secret/config files: "~" and "~/" expand, absolute kept. */
char *norm_abs_unix_path(const char *wd, const char *p);
/* Frees *slot and puts @n there; -ENOMEM when @n is NULL (a failed allocation). */
int norm_replace_node(ComposeNode **slot, ComposeNode *n);
/* Replaces *slot with a new STRING node holding @s (taking ownership), keeping the old mark. */
int norm_replace_string(ComposeNode **slot, char *s);
/* Replaces *slot with a new SEQ holding it as its only item (a lone value where a list may stand).
 * 0 or -ENOMEM. */
int norm_wrap_in_seq(ComposeNode **slot);
/* Replaces *slot with a new SEQ of STRING nodes holding copies of @l (NULL: empty), all with the old
 * mark. 0 or -ENOMEM (*slot unchanged). */
int norm_replace_strv(ComposeNode **slot, char * const *l);
/* Sets @key of @map to a new node unless it is already there. 0 or -ENOMEM. */
int norm_map_default(ComposeNode *map, const char *key, ComposeNode *value);
/* Returns a new MAP node, or NULL on OOM. */
ComposeNode *norm_new_map(const ComposeMark *mark);
/* "PATH: must be WHAT, not TYPE" at @n's position. Returns -EINVAL. */
int norm_type_error(NormCtx *c, const ComposeNode *n, const char *path, const char *what);

/* compose-normalize-ports.c */
int norm_hook_ports(NormCtx *c, ComposeNode **slot, const char *path);

/* compose-normalize-volumes.c */
int norm_hook_service_volumes(NormCtx *c, ComposeNode **slot, const char *path);
int norm_finish_service_volume(NormCtx *c, ComposeNode *map, const char *path);

/* compose-normalize-service.c */
int norm_hook_build(NormCtx *c, ComposeNode **slot, const char *path);
int norm_finish_build(NormCtx *c, ComposeNode *map, const char *path);
int norm_hook_depends_on(NormCtx *c, ComposeNode **slot, const char *path);
int norm_hook_environment(NormCtx *c, ComposeNode **slot, const char *path);
int norm_hook_build_args(NormCtx *c, ComposeNode **slot, const char *path);
int norm_hook_env_file(NormCtx *c, ComposeNode **slot, const char *path);
int norm_hook_extra_hosts(NormCtx *c, ComposeNode **slot, const char *path);
int norm_hook_healthcheck_test(NormCtx *c, ComposeNode **slot, const char *path);
int norm_hook_service_networks(NormCtx *c, ComposeNode **slot, const char *path);
int norm_hook_ulimits(NormCtx *c, ComposeNode **slot, const char *path);
int norm_hook_file_refs(NormCtx *c, ComposeNode **slot, const char *path);
int norm_hook_secret_refs(NormCtx *c, ComposeNode **slot, const char *path);
int norm_hook_devices(NormCtx *c, ComposeNode **slot, const char *path);
int norm_finish_service(NormCtx *c, ComposeNode *map, const char *path);

/* compose-normalize-env.c */
/* Reads the service's env_file entries into its environment (compose's
 * WithServicesEnvironmentResolved) and drops env_file, as `docker compose config` prints it. */
int norm_service_env_files(NormCtx *c, ComposeNode *service, const char *path);
