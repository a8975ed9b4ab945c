/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "lib/error.h"

/* What the image store holds and what uses it: `image ls`, `image rm`, `image prune`. An image is
 * used while a service installed on this host (its S.json, under /etc or /run), a one-off that runs,
 * or a generation kept for a rollback (generation.h) names its digest; references in refs.json
 * alone (a tag that was pulled) do not keep it, as docker's `image prune -a` counts. */

typedef struct StoredImage {
        char *digest;                   /* "sha256:<hex>" */
        uint64_t bytes;                 /* disk use: the blocks of its files */
        uint64_t mtime_usec;            /* when it was imported (its directory's mtime) */
        char **refs;                    /* references refs.json points at it */
        char **users;                   /* "P/S", "P/S (one-off)", "P generation N" */
} StoredImage;

void stored_images_free(StoredImage *l, size_t n);

/* Every image of @store (NULL: NC_IMAGE_STORE), sorted by digest, with its references and users. */
int image_store_list(const char *store, StoredImage **ret, size_t *ret_n, NcError *reterr);

/* An image imported this recently is not pruned: a concurrent apply may have pulled it and not yet
 * installed the services that use it. */
#define IMAGE_PRUNE_GRACE_USEC (10ULL * 60ULL * 1000000ULL)
