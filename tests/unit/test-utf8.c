/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lib/macro.h"
#include "lib/utf8.h"
#include "tests/tap.h"

static void check_escape(const char *in, size_t n, const char *want) {
        _cleanup_free_ char *e = escape_terminal(in, n);

        ASSERT_STREQ(e, want);
}

TEST(printable_text_stays) {
        check_escape("plain\ttext", 10, "plain\ttext");
        check_escape("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x90\xb3", 15, "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x90\xb3");
        check_escape("", 0, "");
}

TEST(c0_and_del_are_escaped) {
        check_escape("a\033[2Jb", 6, "a\\x1b[2Jb");
        check_escape("over\rwrite\n", 11, "over\\x0dwrite\\x0a");
        check_escape("nul\0x", 5, "nul\\x00x");
        check_escape("\x7f", 1, "\\x7f");
}

TEST(c1_controls_are_escaped_raw_and_encoded) {
        /* CSI as one raw byte (an 8-bit terminal's CSI) and as UTF-8 U+009B, and U+0080 */
        check_escape("a\x9b" "2Jb", 5, "a\\x9b2Jb");
        check_escape("a\xc2\x9b" "2Jb", 6, "a\\xc2\\x9b2Jb");
        check_escape("\xc2\x80", 2, "\\xc2\\x80");
        /* U+00A0 is the first character after C1: it stays */
        check_escape("\xc2\xa0", 2, "\xc2\xa0");
}

TEST(invalid_utf8_is_escaped_byte_by_byte) {
        check_escape("\xc0\xaf", 2, "\\xc0\\xaf");              /* overlong '/' */
        check_escape("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");     /* a surrogate */
        check_escape("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80"); /* beyond U+10FFFF */
        check_escape("\xe2\x82", 2, "\\xe2\\x82");              /* cut short */
        check_escape("\xe2(x", 3, "\\xe2(x");
}

TEST(utf8_char_decodes) {
        unsigned c = 0;

        ASSERT_EQ(utf8_char("\xe2\x82\xac", 3, &c), 3);
        ASSERT_EQ(c, 0x20ac);
        ASSERT_EQ(utf8_char("\xe2\x82\xac", 2, &c), 0);
        ASSERT_EQ(utf8_char("A", 1, &c), 1);
        ASSERT_EQ(c, 'A');
        ASSERT_EQ(utf8_char("\x80", 1, &c), 0);
}

TAP_MAIN();
