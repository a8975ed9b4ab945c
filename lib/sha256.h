/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4), for content hashes and short stable names; not for secrets' protection. */

#define SHA256_DIGEST_SIZE 32

typedef struct Sha256 {
        uint32_t state[8];
        uint64_t length;                /* bytes fed so far */
        uint8_t block[64];
        size_t fill;                    /* bytes waiting in @block */
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t size);
void sha256_final(Sha256 *s, uint8_t ret[static SHA256_DIGEST_SIZE]);

/* One-shot: writes the 64 lowercase hex digits plus NUL into @ret. Returns @ret. */
char *sha256_hex(const void *data, size_t size, char ret[static SHA256_DIGEST_SIZE * 2 + 1]);
/* Lowercase hex of a finished digest into @ret (65 bytes). Returns @ret. */
char *sha256_digest_to_hex(const uint8_t digest[static SHA256_DIGEST_SIZE],
                           char ret[static SHA256_DIGEST_SIZE * 2 + 1]);
