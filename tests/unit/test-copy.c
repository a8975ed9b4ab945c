/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/copy.h"
#include "lib/fileio.h"
#include "lib/macro.h"
#include "tests/tap.h"
#include "tests/unit/test-scratch.h"

/* lib/copy.h on an untrusted source tree: symlinks copied, never followed; FIFOs skipped without
 * blocking; an existing name replaced, never opened; owners and setuid bits as asked. */
TEST_SCRATCH_DIR("test-copy")

static void write_at(const char *rel, const char *text, mode_t mode) {
        _cleanup_free_ char *p = tmp_path(rel);

        ASSERT_EQ(write_file_atomic(p, text, strlen(text), mode), 1);
}

static int open_dir(const char *rel) {
        _cleanup_free_ char *p = tmp_path(rel);
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        ASSERT_TRUE(fd >= 0);
        return fd;
}

static unsigned n_skipped;

static void count_skipped(const char *path, mode_t mode, void *userdata) {
        (void) path;
        (void) userdata;
        ASSERT_TRUE(S_ISFIFO(mode));
        n_skipped++;
}

TEST(tree_with_symlink_and_fifo) {
        _cleanup_free_ char *fifo = tmp_path("src/t/fifo"), *link = tmp_path("src/t/link"), *text = NULL,
                            *out_file = tmp_path("dst/t/sub/f"), *out_link = tmp_path("dst/t/link"),
                            *out_fifo = tmp_path("dst/t/fifo"), *secret = tmp_path("secret"),
                            *dstdir = tmp_path("dst");
        _cleanup_close_ int src = -EBADF, dst = -EBADF, t = -EBADF;
        CopyOptions o = { .uid = getuid(), .gid = getgid(), .replace = true, .skipped = count_skipped };
        char target[256];
        struct stat st;
        ssize_t n;

        write_at("src/t/sub/f", "inside", 04755);
        write_at("secret", "host", 0600);
        ASSERT_OK(mkfifo(fifo, 0644));
        ASSERT_OK(symlink(secret, link));
        ASSERT_OK(mkdir_parents_and_self(dstdir, 0755));
        src = open_dir("src");
        dst = open_dir("dst");
        t = openat(src, "t", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(t >= 0);
        ASSERT_OK(fstat(t, &st));
        n_skipped = 0;
        ASSERT_OK(copy_fd_at(t, &st, dst, "t", &o));
        ASSERT_EQ(n_skipped, 1u);
        ASSERT_OK(read_full_file(out_file, &text, NULL));
        ASSERT_STREQ(text, "inside");
        ASSERT_OK(lstat(out_file, &st));
        ASSERT_EQ(st.st_mode & 07777, 0755);    /* setuid dropped: the owner was not kept */
        ASSERT_OK(lstat(out_link, &st));
        ASSERT_TRUE(S_ISLNK(st.st_mode));
        n = readlink(out_link, target, sizeof target - 1);
        ASSERT_TRUE(n > 0);
        target[n] = 0;
        ASSERT_STREQ(target, secret);
        ASSERT_EQ(lstat(out_fifo, &st), -1);
}

TEST(existing_fifo_and_symlink_are_replaced_not_opened) {
        _cleanup_free_ char *fifo = tmp_path("d2/q"), *link = tmp_path("d2/l"), *victim = tmp_path("victim"),
                            *text = NULL, *vtext = NULL;
        _cleanup_close_ int from = -EBADF, dst = -EBADF;
        _cleanup_free_ char *srcf = tmp_path("s2");
        CopyOptions o = { .uid = getuid(), .gid = getgid(), .replace = true };
        struct stat st;

        write_at("s2", "new", 0644);
        write_at("victim", "untouched", 0644);
        write_at("d2/keep", "", 0644);
        ASSERT_OK(mkfifo(fifo, 0644));
        ASSERT_OK(symlink(victim, link));
        dst = open_dir("d2");
        from = open(srcf, O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(from >= 0);
        ASSERT_OK(fstat(from, &st));
        ASSERT_OK(copy_fd_at(from, &st, dst, "q", &o));         /* would block if the FIFO were opened */
        ASSERT_OK(lseek(from, 0, SEEK_SET));
        ASSERT_OK(copy_fd_at(from, &st, dst, "l", &o));
        ASSERT_OK(read_full_file(fifo, &text, NULL));
        ASSERT_STREQ(text, "new");
        ASSERT_OK(read_full_file(victim, &vtext, NULL));
        ASSERT_STREQ(vtext, "untouched");
        ASSERT_OK(lstat(link, &st));
        ASSERT_TRUE(S_ISREG(st.st_mode));
        ASSERT_EQ(copy_fd_at(from, &st, dst, "../x", &o), -EINVAL);
        ASSERT_EQ(copy_fd_at(from, &st, dst, "..", &o), -EINVAL);
}

TEST(without_replace_an_existing_name_is_an_error) {
        _cleanup_close_ int from = -EBADF, dst = -EBADF;
        _cleanup_free_ char *srcf = tmp_path("s3");
        CopyOptions o = { .uid = getuid(), .gid = getgid() };
        struct stat st;

        write_at("s3", "x", 0644);
        write_at("d3/there", "y", 0644);
        dst = open_dir("d3");
        from = open(srcf, O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(from >= 0);
        ASSERT_OK(fstat(from, &st));
        ASSERT_EQ(copy_fd_at(from, &st, dst, "there", &o), -EEXIST);
}

TAP_MAIN();
