/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "lib/macro.h"
#include "lib/sha256.h"
#include "tests/tap.h"

TEST(sha256_vectors) {
        char hex[SHA256_DIGEST_SIZE * 2 + 1];
        static char million[1000000];

        ASSERT_STREQ(sha256_hex("", 0, hex), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        ASSERT_STREQ(sha256_hex("abc", 3, hex), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        ASSERT_STREQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex),
                     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        memset(million, 'a', sizeof million);
        ASSERT_STREQ(sha256_hex(million, sizeof million, hex),
                     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Fed in uneven pieces, across block boundaries, the digest is the one-shot's. */
TEST(sha256_streaming) {
        static const char text[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
                                   "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        char a[SHA256_DIGEST_SIZE * 2 + 1], b[SHA256_DIGEST_SIZE * 2 + 1];
        uint8_t digest[SHA256_DIGEST_SIZE];
        size_t n = strlen(text);
        Sha256 h;

        sha256_init(&h);
        for (size_t i = 0, step = 1; i < n; i += step, step = step * 2 + 1)
                sha256_update(&h, text + i, MIN(step, n - i));
        sha256_final(&h, digest);
        ASSERT_STREQ(sha256_digest_to_hex(digest, a), sha256_hex(text, n, b));
        ASSERT_STREQ(a, "59f109d9533b2b70e7c3b814a2bd218f78ea5d3714455bc67987cf0d664399cf");
}

/* RFC 4231, test case 2 */
TEST(hmac_sha256_vector) {
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_DIGEST_SIZE * 2 + 1];

        hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
        ASSERT_STREQ(sha256_digest_to_hex(d, hex), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TAP_MAIN();
