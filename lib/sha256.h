/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <nettle/sha2.h>

/* SHA-256 (FIPS 180-4) over nettle, for content hashes and short stable names; not for secrets'
 * protection. nettle maps sha256_init() and sha256_update() to its own symbols by macro: in code
 * that includes this header those names are ours (below). */

#undef sha256_init
#undef sha256_update

typedef struct Sha256 {
        struct sha256_ctx ctx;
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t size);
void sha256_final(Sha256 *s, uint8_t ret[static SHA256_DIGEST_SIZE]);

/* One-shot: writes the 64 lowercase hex digits plus NUL into @ret. Returns @ret. */
char *sha256_hex(const void *data, size_t size, char ret[static SHA256_DIGEST_SIZE * 2 + 1]);
/* HMAC-SHA256 (RFC 2104) of @data under @key. */
void hmac_sha256(const void *key, size_t key_size, const void *data, size_t size,
                 uint8_t ret[static SHA256_DIGEST_SIZE]);
/* Lowercase hex of a finished digest into @ret (65 bytes). Returns @ret. */
char *sha256_digest_to_hex(const uint8_t digest[static SHA256_DIGEST_SIZE],
                           char ret[static SHA256_DIGEST_SIZE * 2 + 1]);
