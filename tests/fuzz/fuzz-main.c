/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "lib/fileio.h"
#include "lib/strv.h"

/* Without libFuzzer, a fuzz target links with this file and replays inputs: each argument is a
 * file, or a directory whose files are all replayed (in name order). A crash fails the test. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        r = read_full_file(path, &data, &size);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }
        printf("%s\n", path);
        fflush(stdout);
        (void) LLVMFuzzerTestOneInput((const uint8_t *) data, size);
        return 0;
}

static int replay_dir(const char *path) {
        _cleanup_strv_free_ char **names = NULL;
        DIR *d = opendir(path);
        struct dirent *de;
        int r = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && strv_extend(&names, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
        closedir(d);
        strv_sort(names);
        STRV_FOREACH(n, names) {
                _cleanup_free_ char *p = path_join(path, *n);

                if (r >= 0)
                        r = p ? replay_file(p) : -ENOMEM;
        }
        return r;
}

int main(int argc, char *argv[]) {
        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %m\n", argv[i]);
                        return 1;
                }
                r = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
                if (r < 0)
                        return 1;
        }
        return 0;
}
