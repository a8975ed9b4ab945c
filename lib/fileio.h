/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/macro.h"

/* Reads the whole of @path into a NUL-terminated buffer. 0 or -errno. */
int read_full_file(const char *path, char **ret, size_t *ret_size);

/* Reads @fd to its end into a NUL-terminated buffer, refusing more than @max_size bytes (-EFBIG):
 * for a pipe, where no size is known ahead. 0 or -errno. */
int read_fd_full(int fd, size_t max_size, char **ret, size_t *ret_size);

/* What a file given as input (a compose file, .env, env_file, a secret's or config's source) may
 * hold: far more than any of them needs, little enough that /dev/zero or a huge file is refused. */
#define INPUT_FILE_SIZE_MAX (16U * 1024U * 1024U)

/* read_full_file() of a regular file of at most @max_size bytes: -EISDIR for a directory, -EBADFD for
 * any other file that is not regular (a FIFO, a device, a socket: neither blocks), -EFBIG when it is
 * larger. */
int read_full_file_max(const char *path, size_t max_size, char **ret, size_t *ret_size);

typedef enum WriteFlags {
        /* below the directory fd only, through no symlink ("a/b" where "a" is a symlink is refused,
         * -ELOOP; so is ".."): for a directory someone else may write into */
        WRITE_BENEATH = 1 << 0,
} WriteFlags;

/* Writes @size bytes to @path atomically: temp file in the same directory, fsync, rename.
 * Missing parent directories are created (0755). Returns 1 if the file changed, 0 if it already
 * held exactly these bytes and mode (nothing written), -errno on failure. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);
/* The same, @path relative to @dir_fd (AT_FDCWD and an absolute path without WRITE_BENEATH). */
int write_file_atomic_at(int dir_fd, const char *path, const void *data, size_t size, mode_t mode,
                         WriteFlags flags);
/* Many atomic writes with one sync: each file goes to a temp file in its directory, unsynced;
 * write_batch_commit() syncs each file system once (syncfs) and then moves every file into place,
 * so a crash leaves every file old or new, as write_file_atomic() does. At most WRITE_BATCH_MAX
 * files are pending: adding one more commits those first. add: 1 pending, 0 already so, -errno;
 * commit: 0 or -errno. Freeing drops what is pending. */
#define WRITE_BATCH_MAX 256
typedef struct WriteBatch WriteBatch;
int write_batch_new(WriteBatch **ret);
int write_batch_add(WriteBatch *b, int dir_fd, const char *path, const void *data, size_t size, mode_t mode,
                    WriteFlags flags);
int write_batch_commit(WriteBatch *b);
WriteBatch *write_batch_free(WriteBatch *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(WriteBatch*, write_batch_free);

/* @path made a symlink to @target atomically (parents as above). 1 changed, 0 already so, -errno. */
int symlink_atomic_at(int dir_fd, const char *path, const char *target, WriteFlags flags);

/* mkdir -p. 0 or -errno. */
int mkdir_parents_and_self(const char *path, mode_t mode);

/* Joins two path parts with exactly one '/'. NULL on OOM. */
char *path_join(const char *a, const char *b);

/* Directory part of @path ("." when none). NULL on OOM. */
char *path_dirname(const char *path);

/* Removes @path and everything below it, not crossing into other file systems' mounts and never
 * following symlinks. 0 (also when already gone) or -errno. */
int rm_rf(const char *path);

/* Writes @value to the existing file @path, without creating, truncating or renaming: for /proc,
 * /sys and cgroupfs knobs. 0 or -errno. */
int write_string_file(const char *path, const char *value);

static inline void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)
