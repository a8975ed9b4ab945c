/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/macro.h"

/* The compose model.
 *
 * A project is loaded as docker compose loads it (compose-go's order):
 *   read YAML (anchors, merge keys, !reset/!override, duplicate keys rejected)
 *   → interpolate ${VAR} in every scalar → extends / include → merge -f files (override rules)
 *   → profiles → normalize every short form to its long form → validate.
 * The result is a tree of ComposeNode in exactly the canonical shape `docker compose config` prints:
 * top-level name, services, networks, volumes, secrets, configs; ports as lists of
 * {mode, target, published, host_ip, protocol}; volumes as {type, source, target, ...}; depends_on as
 * a map of {condition, required, restart}; environment as a map of string|null; durations as Go
 * duration strings ("1m30s"); sizes as byte counts; and so on (docs/compose-differences.md says where
 * it departs from docker compose).
 * Every node remembers the file, line and column it came from, for error messages. */

typedef enum ComposeNodeType {
        COMPOSE_NODE_NULL,
        COMPOSE_NODE_BOOL,
        COMPOSE_NODE_INT,
        COMPOSE_NODE_FLOAT,
        COMPOSE_NODE_STRING,
        COMPOSE_NODE_MAP,
        COMPOSE_NODE_SEQ,
        _COMPOSE_NODE_TYPE_MAX,
        _COMPOSE_NODE_TYPE_INVALID = -EINVAL,
} ComposeNodeType;

enum {
        COMPOSE_NODE_TAG_RESET    = 1 << 0,     /* !reset: drop the value from earlier files */
        COMPOSE_NODE_TAG_OVERRIDE = 1 << 1,     /* !override: replace instead of merging */
        COMPOSE_NODE_QUOTED       = 1 << 2,     /* scalar was quoted (or a block scalar) in YAML */
        COMPOSE_NODE_STRUCT_VALUE = 1 << 3,     /* a Go struct value (deploy.resources, deploy.placement,
                                                 * a network's ipam): always there, so docker compose's
                                                 * JSON prints it even empty, its YAML leaves it out then */
        COMPOSE_NODE_STRUCT       = 1 << 4,     /* a mapping that is a Go struct in compose-go (a service,
                                                 * a port, …): JSON keeps its fields' order, where it
                                                 * sorts the keys of a Go map */
};

typedef struct ComposeMark {
        const char *file;               /* interned: owned by the project's file list, never freed here */
        unsigned line, column;          /* 1-based */
} ComposeMark;

typedef struct ComposeNode ComposeNode;
typedef struct ComposeMapIndex ComposeMapIndex;
/* keys[], items[] and n_items are read-only outside compose-node.c: change maps with the functions
 * below, which keep the hash index of a map (a cache) in step. */
struct ComposeNode {
        ComposeNodeType type;
        char *scalar;                   /* all scalar types: the text ("true", "42", "1.5", "x"); NULL for MAP/SEQ/NULL */
        ComposeNode **keys;             /* MAP: key nodes (always STRING), parallel to items */
        ComposeNode **items;            /* MAP: values; SEQ: elements */
        size_t n_items, n_alloc;
        ComposeMark mark;
        unsigned flags;
        ComposeMapIndex *index;         /* MAP: hash index of keys, built on demand */
};

/* Construction. All return NULL on OOM. @mark may be NULL. */
ComposeNode *compose_node_new(ComposeNodeType type, const ComposeMark *mark);
ComposeNode *compose_node_new_scalar(ComposeNodeType type, const char *value, const ComposeMark *mark);
ComposeNode *compose_node_new_string(const char *value, const ComposeMark *mark);
ComposeNode *compose_node_new_int(int64_t value, const ComposeMark *mark);
ComposeNode *compose_node_new_bool(bool value, const ComposeMark *mark);
ComposeNode *compose_node_dup(const ComposeNode *n);          /* deep copy */
ComposeNode *compose_node_free(ComposeNode *n);               /* NULL-safe, recursive, returns NULL */
DEFINE_TRIVIAL_CLEANUP_FUNC(ComposeNode*, compose_node_free);

/* Maps keep insertion order; keys are unique. */
ComposeNode *compose_map_get(const ComposeNode *map, const char *key);   /* NULL if absent or not a map */
ssize_t compose_map_index(const ComposeNode *map, const char *key);     /* -ENOENT if absent */
/* Sets @key to @value (taking ownership of @value, freed on failure), replacing an existing value in place. */
int compose_map_set(ComposeNode *map, const char *key, ComposeNode *value);
/* Same, but the key node carries @key_mark. */
int compose_map_set_at(ComposeNode *map, const char *key, const ComposeMark *key_mark, ComposeNode *value);
/* Same, but -EEXIST (and @value freed) when @key is already there: a duplicate key. */
int compose_map_add_at(ComposeNode *map, const char *key, const ComposeMark *key_mark, ComposeNode *value);
/* Removes @key. 1 if removed, 0 if absent. */
int compose_map_remove(ComposeNode *map, const char *key);
/* Detaches and returns the value of @key (NULL if absent). */
ComposeNode *compose_map_take(ComposeNode *map, const char *key);
/* Sorts a map's entries by key (strcmp); canonical output order. */
void compose_map_sort(ComposeNode *map);
/* Same with another order of keys; stable, O(n log n). */
typedef bool (*ComposeKeyLess)(const char *a, const char *b, void *userdata);
void compose_map_sort_by(ComposeNode *map, ComposeKeyLess less, void *userdata);
/* Appends @item to a SEQ, taking ownership. 0 or -ENOMEM. */
int compose_seq_append(ComposeNode *seq, ComposeNode *item);

/* Typed reads of scalars. NULL/false/-EINVAL when absent or of another type. */
const char *compose_node_str(const ComposeNode *n);                      /* any scalar's text */
const char *compose_map_get_str(const ComposeNode *map, const char *key);
bool compose_map_get_bool(const ComposeNode *map, const char *key, bool def);
int compose_node_int(const ComposeNode *n, int64_t *ret);                /* INT, or a string that is one */
bool compose_node_is_scalar(const ComposeNode *n);
const char *compose_node_type_to_string(ComposeNodeType t);

/* Structural equality (type, scalar text, keys in order, items). Marks and flags are ignored. */
bool compose_node_equal(const ComposeNode *a, const ComposeNode *b);
/* A total order consistent with compose_node_equal(): <0, 0 or >0. */
int compose_node_compare(const ComposeNode *a, const ComposeNode *b);
/* The first item of a SEQ that equals an earlier one (smallest *ret_second) and the first item it
 * equals. 1 if found, 0 if all items differ, -ENOMEM. O(n log n). */
int compose_seq_first_duplicate(const ComposeNode *seq, size_t *ret_first, size_t *ret_second);

#define COMPOSE_MAP_FOREACH(i, map) \
        for (size_t i = 0; (map) && (map)->type == COMPOSE_NODE_MAP && i < (map)->n_items; i++)
#define COMPOSE_SEQ_FOREACH(i, seq) \
        for (size_t i = 0; (seq) && (seq)->type == COMPOSE_NODE_SEQ && i < (seq)->n_items; i++)

/* Records an error at @n's position: "<path>: <message>", with file/line/column from the node. */
int compose_node_error(const ComposeNode *n, NcError *reterr, int error, const char *path,
                       const char *fmt, ...) _printf_(5, 6);

/* ---- Loading a project ---------------------------------------------------------------------- */

/* Looks a variable up; NULL when unset. */
typedef const char *(*ComposeLookup)(const char *name, void *userdata);

typedef struct ComposeOptions {
        char **files;                   /* -f, in order; empty: COMPOSE_FILE, else the default names */
        const char *project_name;       /* -p */
        const char *project_directory;  /* --project-directory */
        char **env_files;               /* --env-file; empty: <project dir>/.env if it exists */
        char **profiles;                /* --profile; empty: COMPOSE_PROFILES */
        char **environ;                 /* the process environment ("K=V"); NULL: none */
        bool skip_interpolate;          /* config --no-interpolate: ${VAR} stays as written */
        bool skip_env_resolution;       /* config --services/--images/…: env_file not read, kept */
        bool skip_normalize;            /* testing: stop after merge */
} ComposeOptions;

typedef struct ComposeProject {
        char *name;
        char *working_dir;              /* absolute project directory */
        char **files;                   /* absolute paths of every file read; marks point into these */
        char **environment;             /* "K=V": process environment overlaid on .env files */
        char **warnings;                /* "file:line:col: message" for the user */
        char **profiles;                /* every profile a service names, enabled or not, sorted; may be NULL */
        ComposeNode *model;             /* canonical tree (see above) */
} ComposeProject;

ComposeProject *compose_project_free(ComposeProject *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(ComposeProject*, compose_project_free);

/* Loads the project described by @o. 0, or -errno with @reterr naming file:line:column and key path. */
int compose_project_load(const ComposeOptions *o, ComposeProject **ret, NcError *reterr);

/* Loads one compose document from memory, as if it were the only -f file at @path
 * (no .env, no environment unless @o gives it). For tests and the fuzzer. */
int compose_project_load_buffer(const char *path, const char *data, size_t size, const ComposeOptions *o,
                                ComposeProject **ret, NcError *reterr);

/* Canonical output, as `docker compose config` prints it: '$' doubled (the output loads to the same
 * model), unless COMPOSE_DUMP_VERBATIM (config --no-interpolate: the text as written). Returns a new
 * string or NULL on OOM. */
typedef enum ComposeDumpFlags {
        COMPOSE_DUMP_JSON     = 1 << 0,         /* else YAML */
        COMPOSE_DUMP_VERBATIM = 1 << 1,
} ComposeDumpFlags;
char *compose_dump(const ComposeNode *root, ComposeDumpFlags flags);
char *compose_dump_yaml(const ComposeNode *root);
char *compose_dump_json(const ComposeNode *root);

/* docker compose's hash of a service's configuration (`config --hash`, the com.docker.compose.config-hash
 * label): the SHA-256 of its JSON without build, pull_policy, scale and deploy.replicas.
 * @ret gets 64 hex digits. 0, -ENOMEM or -EINVAL (not a service). */
int compose_service_hash(const ComposeNode *service, char ret[static 65]);

/* Service names in dependency order (dependencies first, then by name). NULL on OOM. */
char **compose_project_service_names(const ComposeProject *p);
