/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <nettle/hmac.h>

#include "lib/sha256.h"

void sha256_init(Sha256 *s) {
        nettle_sha256_init(&s->ctx);
}

void sha256_update(Sha256 *s, const void *data, size_t size) {
        nettle_sha256_update(&s->ctx, size, data);
}

void sha256_final(Sha256 *s, uint8_t ret[static SHA256_DIGEST_SIZE]) {
        nettle_sha256_digest(&s->ctx, SHA256_DIGEST_SIZE, ret);
}

char *sha256_digest_to_hex(const uint8_t digest[static SHA256_DIGEST_SIZE],
                           char ret[static SHA256_DIGEST_SIZE * 2 + 1]) {
        static const char hex[] = "0123456789abcdef";

        for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++) {
                ret[2*i] = hex[digest[i] >> 4];
                ret[2*i + 1] = hex[digest[i] & 15];
        }
        ret[SHA256_DIGEST_SIZE * 2] = 0;
        return ret;
}

char *sha256_hex(const void *data, size_t size, char ret[static SHA256_DIGEST_SIZE * 2 + 1]) {
        uint8_t digest[SHA256_DIGEST_SIZE];
        Sha256 s;

        sha256_init(&s);
        sha256_update(&s, data, size);
        sha256_final(&s, digest);
        return sha256_digest_to_hex(digest, ret);
}

void hmac_sha256(const void *key, size_t key_size, const void *data, size_t size,
                 uint8_t ret[static SHA256_DIGEST_SIZE]) {
        struct hmac_sha256_ctx ctx;

        hmac_sha256_set_key(&ctx, key_size, key);
        hmac_sha256_update(&ctx, size, data);
        hmac_sha256_digest(&ctx, SHA256_DIGEST_SIZE, ret);
}
