/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "lib/fileio.h"
#include "lib/strv.h"
#include "reconcile/render/unit-escape.h"
#include "tests/tap.h"

#define CHECK_VALUE(in, out) do {                               \
                _cleanup_free_ char *_s = unit_value_escape(in); \
                ASSERT_STREQ(_s, out);                          \
        } while (0)
#define CHECK_ARG(in, out) do {                                 \
                _cleanup_free_ char *_s = unit_exec_arg_escape(in); \
                ASSERT_STREQ(_s, out);                          \
        } while (0)

/* Values a compose file can hold: specifiers, variables, quotes, backslashes, blanks, newlines, unicode. */
static const char *const hostile[] = {
        "plain", "100%", "%n%i%%", "$HOME", "${HOME}", "$$", "a b", "  lead and trail  ", "tab\there",
        "new\nline", "cr\rlf", "q\"uote", "'single'", "back\\slash", "trailing\\", "\\", ";", "semi;colon",
        "ünïcödé ✓ 🐳", "", "-dash", "@at", "x=y", "`tick`", "a\\nb", "\x01\x7f",
};

TEST(value_escape) {
        CHECK_VALUE("plain", "plain");
        CHECK_VALUE("100%", "100%%");
        CHECK_VALUE("a\nb", "a\\x0ab");
        CHECK_VALUE(" lead", "\\x20lead");
        CHECK_VALUE("trail ", "trail\\x20");
        CHECK_VALUE("trail\\", "trail\\x5c");
        CHECK_VALUE("mid\\dle", "mid\\dle");
        CHECK_VALUE("q\"uote", "q\"uote");
        CHECK_VALUE("ünï", "ünï");
        CHECK_VALUE("bad\xff\xc3", "bad\\xff\\xc3");
        CHECK_VALUE("\xed\xa0\x80", "\\xed\\xa0\\x80");         /* a surrogate is not valid UTF-8 */
        CHECK_VALUE("", "");
}

TEST(exec_arg_escape) {
        CHECK_ARG("/usr/bin/nspawn-compose", "/usr/bin/nspawn-compose");
        CHECK_ARG("/etc/nspawn-compose/p/web.json", "/etc/nspawn-compose/p/web.json");
        CHECK_ARG("a b", "\"a b\"");
        CHECK_ARG("$HOME", "\"$$HOME\"");
        CHECK_ARG("%n", "\"%%n\"");
        CHECK_ARG("", "\"\"");
        CHECK_ARG("x\ny", "\"x\\ny\"");
        CHECK_ARG("q\"", "\"q\\\"\"");
        CHECK_ARG("b\\s", "\"b\\\\s\"");
        CHECK_ARG(";", "\";\"");
        CHECK_ARG("ü", "\"ü\"");
        CHECK_ARG("\xff", "\"\\xff\"");
}

/* Decodes systemd's quote_command_line() output (as `systemd-analyze` dumps ExecStart=): words split
 * at blanks; double-quoted words with C escapes. */
static char **decode_command_line(const char *s) {
        char **l = NULL;

        while (*s) {
                StrBuf w = {};

                while (*s == ' ')
                        s++;
                if (!*s)
                        break;
                if (*s != '"') {
                        size_t n = strcspn(s, " ");
                        strbuf_append_n(&w, s, n);
                        s += n;
                } else {
                        for (s++; *s && *s != '"'; s++) {
                                if (*s != '\\') {
                                        strbuf_append_char(&w, *s);
                                        continue;
                                }
                                s++;
                                if (*s >= '0' && *s <= '7') {   /* octal: \001 */
                                        char oct[4] = { s[0], s[1], s[2], 0 };
                                        strbuf_append_char(&w, (char) strtoul(oct, NULL, 8));
                                        s += 2;
                                } else if (*s == 'x') {
                                        char hex[3] = { s[1], s[2], 0 };
                                        strbuf_append_char(&w, (char) strtoul(hex, NULL, 16));
                                        s += 2;
                                } else {
                                        const char *e = strchr("nrtabfv", *s);
                                        strbuf_append_char(&w, e ? "\n\r\t\a\b\f\v"[e - "nrtabfv"] : *s);
                                }
                        }
                        if (*s)
                                s++;
                }
                strbuf_append(&w, "");
                if (strv_consume(&l, strbuf_steal(&w)) < 0)
                        abort();
        }
        return l;
}

static char *double_dollars(const char *s) {
        StrBuf b = {};

        strbuf_append(&b, "");
        for (; *s; s++)
                strbuf_append(&b, *s == '$' ? "$$" : (char[]) { *s, 0 });
        return strbuf_steal(&b);
}

static char tmpdir[64];

/* A failed ASSERT abort()s: remove the temporary directory on the way out. */
static void remove_tmpdir(int sig) {
        char cmd[128];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (tmpdir[0])
                (void) !system(cmd);
        signal(sig, SIG_DFL);
        raise(sig);
}

static void remove_tmpdir_now(void) {
        char cmd[128];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        ASSERT_EQ(system(cmd), 0);
        tmpdir[0] = 0;
        signal(SIGABRT, SIG_DFL);
}

/* Runs `systemd-analyze verify` on @unit in tmpdir: the unit dump (debug level) in *ret_dump, the
 * default-level messages in *ret_err. Works without systemd as PID 1: verify runs a private manager. */
static int verify(const char *unit, char **ret_dump, char **ret_err) {
        _cleanup_free_ char *cmd = NULL, *path = NULL;
        int status;

        ASSERT_TRUE(asprintf(&cmd, "cd '%s' && SYSTEMD_LOG_LEVEL=debug systemd-analyze verify --man=no '%s' "
                             ">dump 2>/dev/null && systemd-analyze verify --man=no '%s' 2>err >/dev/null",
                             tmpdir, unit, unit) > 0);
        status = system(cmd);
        ASSERT_TRUE(asprintf(&path, "%s/dump", tmpdir) > 0);
        ASSERT_OK(read_full_file(path, ret_dump, NULL));
        free(path);
        ASSERT_TRUE(asprintf(&path, "%s/err", tmpdir) > 0);
        ASSERT_OK(read_full_file(path, ret_err, NULL));
        return status;
}

static const char *dump_value(const char *dump, const char *key) {
        static char buf[4096];
        const char *p = strstr(dump, key), *e;

        ASSERT_NOT_NULL(p);
        p += strlen(key);
        e = strchr(p, '\n');
        snprintf(buf, sizeof buf, "%.*s", (int) (e ? e - p : (long) strlen(p)), p);
        return buf;
}

/* The real parser: systemd reads back every hostile argument byte-exact ('$' stays doubled until
 * exec time, when "$$" becomes "$") and every printable description as written. */
TEST(systemd_reads_back_what_we_escape) {
        _cleanup_free_ char *unit = NULL, *dump = NULL, *path = NULL, *err = NULL, *desc = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        StrBuf b = {};

        if (system("command -v systemd-analyze >/dev/null") != 0)
                TAP_SKIP("systemd-analyze not installed: round trip not checked");
        snprintf(tmpdir, sizeof tmpdir, "/tmp/nc-escape-XXXXXX");
        ASSERT_NOT_NULL(mkdtemp(tmpdir));
        signal(SIGABRT, remove_tmpdir);
        desc = unit_value_escape("100% \"ünï\" 'q' \\ $x ✓");
        strbuf_printf(&b, "[Unit]\nDescription=%s\n[Service]\nExecStart=/usr/bin/true", desc);
        for (size_t i = 0; i < ELEMENTSOF(hostile); i++) {
                _cleanup_free_ char *a = unit_exec_arg_escape(hostile[i]);
                strbuf_printf(&b, " %s", a);
        }
        strbuf_append(&b, "\n");
        unit = strbuf_steal(&b);
        ASSERT_TRUE(asprintf(&path, "%s/nc-escape.service", tmpdir) > 0);
        ASSERT_OK(write_file_atomic(path, unit, strlen(unit), 0644));
        ASSERT_EQ(verify("nc-escape.service", &dump, &err), 0);
        if (strstr(err, "nc-escape.service:"))
                TAP_FAIL("systemd complained: %s", err);
        ASSERT_STREQ(dump_value(dump, "Description: "), "100% \"ünï\" 'q' \\ $x ✓");
        argv = decode_command_line(dump_value(dump, "Command Line: "));
        ASSERT_EQ(strv_length(argv), ELEMENTSOF(hostile) + 1);
        for (size_t i = 0; i < ELEMENTSOF(hostile); i++) {
                _cleanup_free_ char *want = double_dollars(hostile[i]);
                ASSERT_STREQ(argv[i + 1], want);
        }
        remove_tmpdir_now();
}

TAP_MAIN();
