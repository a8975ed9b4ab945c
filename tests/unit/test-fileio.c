/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "lib/strv.h"
#include "tests/tap.h"
#include "tests/unit/test-scratch.h"

/* Every case works below its own fresh directory; abort() on a failed assertion removes it too. */
TEST_SCRATCH_DIR("test-fileio")

static char *contents(const char *path) {
        char *text = NULL;

        ASSERT_OK(read_full_file(path, &text, NULL));
        return text;
}

static mode_t mode_of(const char *path) {
        struct stat st;

        ASSERT_OK(stat(path, &st));
        return st.st_mode & 07777;
}

/* The names in @dir other than "." and "..", sorted and joined with ' '. */
static char *names_in(const char *dir) {
        _cleanup_strv_free_ char **l = NULL;
        struct dirent *de;
        DIR *d = opendir(dir);

        ASSERT_NOT_NULL(d);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        ASSERT_OK(strv_extend(&l, de->d_name));
        closedir(d);
        strv_sort(l);
        return strv_join(l, " ");
}

TEST(write_file_atomic_reports_whether_it_changed_the_file) {
        _cleanup_free_ char *path = tmp_path("changed/f"), *text = NULL, *dir = tmp_path("changed"),
                            *names = NULL;

        ASSERT_EQ(write_file_atomic(path, "abc", 3, 0644), 1);
        ASSERT_EQ(write_file_atomic(path, "abc", 3, 0644), 0);          /* same bytes and mode */
        ASSERT_EQ(write_file_atomic(path, "abd", 3, 0644), 1);          /* other bytes */
        ASSERT_EQ(write_file_atomic(path, "abdd", 4, 0644), 1);         /* other size */
        ASSERT_EQ(write_file_atomic(path, "abdd", 4, 0600), 1);         /* other mode */
        ASSERT_EQ(mode_of(path), 0600);
        ASSERT_EQ(write_file_atomic(path, "abdd", 4, 0600), 0);
        ASSERT_EQ(write_file_atomic(path, "", 0, 0600), 1);
        ASSERT_EQ(write_file_atomic(path, "", 0, 0600), 0);
        text = contents(path);
        ASSERT_STREQ(text, "");
        names = names_in(dir);                                          /* no temporary file left */
        ASSERT_STREQ(names, "f");
}

/* A batch: nothing in place before the commit, everything after it, past WRITE_BATCH_MAX files;
 * an unchanged file is not rewritten; a batch dropped uncommitted leaves nothing behind. */
TEST(write_batch_commits_all_at_once) {
        _cleanup_(write_batch_freep) WriteBatch *b = NULL, *dropped = NULL;
        _cleanup_free_ char *dir = tmp_path("batch"), *first = tmp_path("batch/d/f0"), *last = NULL,
                            *names = NULL, *drop_dir = tmp_path("dropped"), *text = NULL;
        const size_t n = WRITE_BATCH_MAX + 44;

        ASSERT_OK(write_batch_new(&b));
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = NULL, *data = NULL;

                ASSERT_TRUE(asprintf(&p, "%s/d/f%zu", dir, i) > 0);
                ASSERT_TRUE(asprintf(&data, "file %zu", i) > 0);
                ASSERT_EQ(write_batch_add(b, AT_FDCWD, p, data, strlen(data), 0640, 0), 1);
                if (i == 0)
                        ASSERT_EQ(access(first, F_OK), -1);     /* pending */
        }
        ASSERT_EQ(access(first, F_OK), 0);                      /* committed when the batch was full */
        ASSERT_TRUE(asprintf(&last, "%s/d/f%zu", dir, n - 1) > 0);
        ASSERT_EQ(access(last, F_OK), -1);
        ASSERT_OK(write_batch_commit(b));
        text = contents(last);
        ASSERT_STREQ(text, "file 299");
        ASSERT_EQ(mode_of(last), 0640);
        ASSERT_EQ(write_batch_add(b, AT_FDCWD, last, "file 299", 8, 0640, 0), 0);
        ASSERT_OK(write_batch_commit(b));

        ASSERT_OK(write_batch_new(&dropped));
        ASSERT_OK(mkdir_parents_and_self(drop_dir, 0755));
        ASSERT_EQ(write_batch_add(dropped, AT_FDCWD, "/dev/null/x", "x", 1, 0644, 0) < 0, true);
        {
                _cleanup_free_ char *p = tmp_path("dropped/never");

                ASSERT_EQ(write_batch_add(dropped, AT_FDCWD, p, "x", 1, 0644, 0), 1);
        }
        dropped = write_batch_free(dropped);
        names = names_in(drop_dir);
        ASSERT_STREQ(names, "");                                /* no file, no temporary one */
}

TEST(write_file_atomic_keeps_the_mode_whatever_the_umask) {
        _cleanup_free_ char *path = tmp_path("mode");
        mode_t old = umask(0077);

        ASSERT_EQ(write_file_atomic(path, "x", 1, 0755), 1);
        umask(old);
        ASSERT_EQ(mode_of(path), 0755);
        ASSERT_EQ(write_file_atomic(path, "y", 1, 0640), 1);
        ASSERT_EQ(mode_of(path), 0640);
}

TEST(write_file_atomic_creates_missing_parents) {
        _cleanup_free_ char *path = tmp_path("a/b/c/file"), *parent = tmp_path("a/b/c"), *text = NULL;
        mode_t mask = umask(0);

        umask(mask);
        ASSERT_EQ(write_file_atomic(path, "deep\n", 5, 0644), 1);
        ASSERT_EQ(mode_of(parent), 0755 & ~mask);
        text = contents(path);
        ASSERT_STREQ(text, "deep\n");
}

/* The new content replaces the file in one rename: a reader that opened the old file goes on
 * reading the old bytes, and nobody ever sees a partial file. */
TEST(write_file_atomic_replaces_the_file_whole) {
        _cleanup_free_ char *path = tmp_path("whole"), *text = NULL;
        char buf[16] = {};
        struct stat before, after;
        int fd;

        ASSERT_EQ(write_file_atomic(path, "old contents", 12, 0644), 1);
        ASSERT_OK(stat(path, &before));
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write_file_atomic(path, "new", 3, 0644), 1);
        ASSERT_OK(stat(path, &after));
        ASSERT_TRUE(before.st_ino != after.st_ino);
        ASSERT_EQ(read(fd, buf, sizeof buf - 1), 12);
        ASSERT_STREQ(buf, "old contents");
        close(fd);
        text = contents(path);
        ASSERT_STREQ(text, "new");
}

TEST(write_file_atomic_fails_where_a_parent_is_a_file) {
        _cleanup_free_ char *file = tmp_path("plain"), *below = tmp_path("plain/x");

        ASSERT_EQ(write_file_atomic(file, "", 0, 0644), 1);
        ASSERT_EQ(write_file_atomic(below, "x", 1, 0644), -ENOTDIR);
}

/* Beneath a directory someone else may write into: a symlinked directory on the way, or "..", is
 * refused and nothing is written where it points; a symlink as the file itself is replaced. */
TEST(write_file_atomic_beneath_never_follows_a_symlink) {
        _cleanup_free_ char *out = tmp_path("out"), *elsewhere = tmp_path("elsewhere"), *link = tmp_path("out/etc"),
                            *victim = tmp_path("victim"), *file_link = tmp_path("out/ok/file"), *ok = tmp_path("out/ok"), *names = NULL,
                            *text = NULL;
        int fd;

        ASSERT_OK(mkdir_parents_and_self(out, 0755));
        ASSERT_OK(mkdir_parents_and_self(elsewhere, 0755));
        ASSERT_EQ(symlink(elsewhere, link), 0);
        fd = open(out, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write_file_atomic_at(fd, "etc/unit", "x", 1, 0644, WRITE_BENEATH), -ELOOP);
        ASSERT_EQ(symlink_atomic_at(fd, "etc/wants/unit", "/x", WRITE_BENEATH), -ELOOP);
        ASSERT_EQ(write_file_atomic_at(fd, "../escaped", "x", 1, 0644, WRITE_BENEATH), -EXDEV);
        names = names_in(elsewhere);
        ASSERT_STREQ(names, "");
        /* the file's own name being a symlink: replaced, the target untouched */
        ASSERT_EQ(write_file_atomic(victim, "mine", 4, 0644), 1);
        ASSERT_OK(mkdir_parents_and_self(ok, 0755));
        ASSERT_EQ(symlink(victim, file_link), 0);
        ASSERT_EQ(write_file_atomic_at(fd, "ok/file", "new", 3, 0644, WRITE_BENEATH), 1);
        text = contents(victim);
        ASSERT_STREQ(text, "mine");
        free(text);
        text = contents(file_link);
        ASSERT_STREQ(text, "new");
        ASSERT_EQ(write_file_atomic_at(fd, "ok/file", "new", 3, 0644, WRITE_BENEATH), 0);
        ASSERT_EQ(symlink_atomic_at(fd, "ok/wants/a", "/target", WRITE_BENEATH), 1);
        ASSERT_EQ(symlink_atomic_at(fd, "ok/wants/a", "/target", WRITE_BENEATH), 0);
        close(fd);
}

TEST(read_full_file_reads_everything) {
        _cleanup_free_ char *path = tmp_path("big"), *data = malloc(100000), *text = NULL;
        size_t size = 0;

        ASSERT_NOT_NULL(data);
        for (size_t i = 0; i < 100000; i++)
                data[i] = (char) ('a' + i % 26);
        data[5000] = 0;                         /* a NUL inside is data too */
        ASSERT_EQ(write_file_atomic(path, data, 100000, 0644), 1);
        ASSERT_OK(read_full_file(path, &text, &size));
        ASSERT_EQ(size, 100000);
        ASSERT_EQ(memcmp(text, data, 100000), 0);
        ASSERT_EQ(text[100000], 0);             /* NUL-terminated */
}

TEST(read_full_file_of_an_empty_file) {
        _cleanup_free_ char *path = tmp_path("empty"), *text = NULL;
        size_t size = 1;

        ASSERT_EQ(write_file_atomic(path, "", 0, 0644), 1);
        ASSERT_OK(read_full_file(path, &text, &size));
        ASSERT_EQ(size, 0);
        ASSERT_STREQ(text, "");
}

TEST(read_full_file_of_a_missing_file) {
        _cleanup_free_ char *path = tmp_path("missing");
        char *text = NULL;

        ASSERT_EQ(read_full_file(path, &text, NULL), -ENOENT);
        ASSERT_NULL(text);
        ASSERT_EQ(read_full_file(tmpdir, &text, NULL), -EISDIR);
        ASSERT_NULL(text);
}

TEST(read_full_file_max_refuses_what_is_too_big) {
        _cleanup_free_ char *path = tmp_path("capped"), *text = NULL;
        size_t size = 0;

        ASSERT_EQ(write_file_atomic(path, "0123456789", 10, 0644), 1);
        ASSERT_OK(read_full_file_max(path, 10, &text, &size));
        ASSERT_EQ(size, 10);
        ASSERT_STREQ(text, "0123456789");
        text = mfree(text);
        ASSERT_EQ(read_full_file_max(path, 9, &text, NULL), -EFBIG);
        ASSERT_NULL(text);
        ASSERT_EQ(read_full_file_max(path, 0, &text, NULL), -EFBIG);
        ASSERT_NULL(text);
}

TEST(read_full_file_max_reads_only_regular_files) {
        _cleanup_free_ char *fifo = tmp_path("fifo"), *link = tmp_path("link"), *target = tmp_path("target");
        char *text = NULL;

        /* a FIFO without a writer would block a plain open() forever */
        ASSERT_EQ(mkfifo(fifo, 0600), 0);
        ASSERT_EQ(read_full_file_max(fifo, INPUT_FILE_SIZE_MAX, &text, NULL), -EBADFD);
        ASSERT_EQ(read_full_file_max("/dev/zero", INPUT_FILE_SIZE_MAX, &text, NULL), -EBADFD);
        ASSERT_EQ(read_full_file_max("/dev/null", INPUT_FILE_SIZE_MAX, &text, NULL), -EBADFD);
        ASSERT_EQ(read_full_file_max(tmpdir, INPUT_FILE_SIZE_MAX, &text, NULL), -EISDIR);
        ASSERT_EQ(read_full_file_max(target, INPUT_FILE_SIZE_MAX, &text, NULL), -ENOENT);
        ASSERT_NULL(text);
        /* a symlink to a regular file is read as the file */
        ASSERT_EQ(write_file_atomic(target, "x", 1, 0644), 1);
        ASSERT_EQ(symlink(target, link), 0);
        ASSERT_OK(read_full_file_max(link, INPUT_FILE_SIZE_MAX, &text, NULL));
        ASSERT_STREQ(text, "x");
        free(text);
}

TEST(write_string_file_writes_in_place) {
        _cleanup_free_ char *path = tmp_path("knob"), *text = NULL, *missing = tmp_path("no-knob");
        struct stat before, after;

        ASSERT_EQ(write_file_atomic(path, "abcdef", 6, 0600), 1);
        ASSERT_OK(stat(path, &before));
        ASSERT_OK(write_string_file(path, "XY"));
        ASSERT_OK(stat(path, &after));
        ASSERT_EQ(before.st_ino, after.st_ino); /* the same file: not replaced */
        text = contents(path);
        ASSERT_STREQ(text, "XYcdef");           /* not truncated */
        ASSERT_EQ(write_string_file(missing, "1"), -ENOENT);
        ASSERT_EQ(access(missing, F_OK), -1);   /* not created */
}

TEST(mkdir_parents_and_self_is_idempotent) {
        _cleanup_free_ char *path = tmp_path("m/n/o"), *file = tmp_path("m/file"), *below = tmp_path("m/file/p");
        struct stat st;

        ASSERT_OK(mkdir_parents_and_self(path, 0700));
        ASSERT_OK(mkdir_parents_and_self(path, 0700));
        ASSERT_OK(stat(path, &st));
        ASSERT_TRUE(S_ISDIR(st.st_mode));
        ASSERT_EQ(write_file_atomic(file, "", 0, 0644), 1);
        ASSERT_EQ(mkdir_parents_and_self(below, 0755), -ENOTDIR);
}

TEST(rm_rf_removes_a_tree_and_not_what_links_point_to) {
        _cleanup_free_ char *tree = tmp_path("tree"), *deep = tmp_path("tree/x/y/file"),
                            *outside = tmp_path("outside"), *link = tmp_path("tree/x/link"),
                            *text = NULL;

        ASSERT_EQ(write_file_atomic(deep, "d", 1, 0644), 1);
        ASSERT_EQ(write_file_atomic(outside, "kept", 4, 0644), 1);
        ASSERT_OK(symlink(outside, link));
        ASSERT_OK(rm_rf(tree));
        ASSERT_EQ(access(tree, F_OK), -1);
        text = contents(outside);
        ASSERT_STREQ(text, "kept");
        ASSERT_OK(rm_rf(tree));                 /* already gone */
}

TEST(path_join_uses_exactly_one_slash) {
        _cleanup_free_ char *a = path_join("a", "b"), *b = path_join("a/", "/b"), *c = path_join("a//", "b/c"),
                            *d = path_join("/a", "//x"), *e = path_join("a", "");

        ASSERT_STREQ(a, "a/b");
        ASSERT_STREQ(b, "a/b");
        ASSERT_STREQ(c, "a/b/c");
        ASSERT_STREQ(d, "/a/x");
        ASSERT_STREQ(e, "a/");
}

TEST(path_dirname_of_each_form) {
        _cleanup_free_ char *a = path_dirname("file"), *b = path_dirname("/file"), *c = path_dirname("/a/b/c"),
                            *d = path_dirname("a/b");

        ASSERT_STREQ(a, ".");
        ASSERT_STREQ(b, "/");
        ASSERT_STREQ(c, "/a/b");
        ASSERT_STREQ(d, "a");
}

TAP_MAIN();
