/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secret: the credentials external secrets and configs are read from (systemd's credential store,
 * docs/runtime.md). The value is read from a file or stdin, never from the command line; encrypted
 * ones are made by systemd-creds with the host's key, which systemd decrypts for the unit only. */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/process.h"
#include "lib/strv.h"
#include "reconcile/names.h"

/* systemd's CREDENTIAL_SIZE_MAX: what LoadCredential= takes. */
#define SECRET_SIZE_MAX (1024U * 1024U)

extern char **environ;

static void secret_help(void) {
        printf("Usage: nspawn-compose secret create [--encrypt] NAME FILE|-\n"
               "       nspawn-compose secret ls\n"
               "       nspawn-compose secret rm NAME\n\n"
               "Manage the credentials that `external: true` secrets and configs read:\n"
               NC_CREDSTORE_DIR "/NAME (0600), or with --encrypt " NC_CREDSTORE_ENCRYPTED_DIR "/NAME,\n"
               "encrypted by systemd-creds with this host's key. The value is read from FILE, or\n"
               "from stdin for '-'. `apply` restarts the services using a credential that changed.\n\n"
               "Options:\n"
               "      --encrypt  Store it encrypted (systemd-creds encrypt --with-key=host)\n");
}

static char *store_path(bool encrypted, const char *name) {
        return path_join(encrypted ? NC_CREDSTORE_ENCRYPTED_DIR : NC_CREDSTORE_DIR, name);
}

static void erase_and_free(char **p, size_t size) {
        if (*p)
                explicit_bzero(*p, size);
        free(*p);
        *p = NULL;
}

static int read_value(const char *file, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!streq(file, "-")) {
                fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return log_error_errno(-errno, "Cannot open '%s': %m", file);
        }
        r = read_fd_full(fd >= 0 ? fd : STDIN_FILENO, SECRET_SIZE_MAX, ret, ret_size);
        if (r == -EFBIG)
                return log_error_errno(r, "The value is larger than systemd takes for a credential (%u bytes).",
                                       SECRET_SIZE_MAX);
        if (r < 0)
                return log_error_errno(r, "Cannot read the value from %s: %m", streq(file, "-") ? "stdin" : file);
        return 0;
}

/* systemd-creds encrypt --name=NAME --with-key=host - -: the value on its stdin (a memfd, never a file
 * or an argument), the ciphertext from its stdout. */
static int encrypt_value(const char *name, const char *value, size_t size, char **ret, size_t *ret_size) {
        _cleanup_free_ char *name_arg = strjoin("--name=", name);
        char *argv[] = { (char *) "systemd-creds", (char *) "encrypt", name_arg, (char *) "--with-key=host",
                         (char *) "-", (char *) "-", NULL };
        _cleanup_close_ int in = -EBADF, out_r = -EBADF, out_w = -EBADF;
        posix_spawn_file_actions_t fa;
        int pipefd[2], r, status;
        pid_t pid;

        if (!name_arg)
                return log_oom();
        in = memfd_create("nspawn-compose-secret", MFD_CLOEXEC);
        if (in < 0)
                return log_error_errno(-errno, "memfd_create: %m");
        if (write(in, value, size) != (ssize_t) size || lseek(in, 0, SEEK_SET) != 0)
                return log_error_errno(-errno ?: -EIO, "Cannot pass the value on: %m");
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return log_error_errno(-errno, "pipe2: %m");
        out_r = pipefd[0];
        out_w = pipefd[1];
        if (posix_spawn_file_actions_init(&fa) != 0)
                return log_oom();
        r = posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
        r = r ?: posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO);
        r = r ?: posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        (void) posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return log_error_errno(-r, "Cannot run systemd-creds: %m");
        (void) close(TAKE_FD(out_w));
        r = read_fd_full(out_r, 4 * SECRET_SIZE_MAX, ret, ret_size);
        status = wait_for_status(pid);
        if (r < 0)
                return log_error_errno(r, "Reading what systemd-creds encrypted failed: %m");
        if (status != 0) {
                free(*ret);
                *ret = NULL;
                return log_error_errno(status < 0 ? status : -EIO, "systemd-creds encrypt failed (status %d).", status);
        }
        return 0;
}

/* The store's directory: made 0700 (systemd makes them 0000); an existing one is left as it is. */
static int store_dir_ensure(bool encrypted) {
        const char *dir = encrypted ? NC_CREDSTORE_ENCRYPTED_DIR : NC_CREDSTORE_DIR;

        if (access(dir, F_OK) >= 0)
                return 0;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Cannot make %s: %m", dir);
        return 0;
}

static int secret_create(const char *name, const char *file, bool encrypt) {
        _cleanup_free_ char *path = store_path(encrypt, name), *other = store_path(!encrypt, name);
        char *value = NULL, *data = NULL;
        size_t size = 0, data_size = 0;
        int r;

        if (!path || !other)
                return log_oom();
        r = read_value(file, &value, &size);
        if (r < 0)
                return r;
        if (encrypt) {
                r = encrypt_value(name, value, size, &data, &data_size);
                erase_and_free(&value, size);
                if (r < 0)
                        return r;
        } else {
                data = TAKE_PTR(value);
                data_size = size;
        }
        r = store_dir_ensure(encrypt);
        if (r >= 0) {
                r = write_file_atomic(path, data, data_size, 0600);
                if (r < 0)
                        log_error_errno(r, "Cannot write %s: %m", path);
        }
        erase_and_free(&data, data_size);
        if (r < 0)
                return r;
        /* one store holds a name: render takes the encrypted one first, and the other would linger */
        if (unlink(other) < 0 && errno != ENOENT)
                return log_error_errno(-errno, "Cannot remove %s: %m", other);
        printf("%s\n", path);
        return 0;
}

static int secret_ls(void) {
        _cleanup_strv_free_ char **lines = NULL;

        for (int encrypted = 0; encrypted <= 1; encrypted++) {
                const char *dir = encrypted ? NC_CREDSTORE_ENCRYPTED_DIR : NC_CREDSTORE_DIR;
                _cleanup_closedir_ DIR *d = opendir(dir);
                struct dirent *de;

                if (!d && errno == ENOENT)
                        continue;
                if (!d)
                        return log_error_errno(-errno, "Cannot read %s: %m", dir);
                while ((de = readdir(d)))
                        if (name_credential_valid(de->d_name) && de->d_name[0] != '.' &&
                            strv_extendf(&lines, "%s\t%s", de->d_name, encrypted ? "encrypted" : "plain") < 0)
                                return log_oom();
        }
        strv_sort(lines);
        printf("NAME\tSTORE\n");
        STRV_FOREACH(l, lines)
                printf("%s\n", *l);
        return 0;
}

static int secret_rm(const char *name) {
        bool found = false;

        for (int encrypted = 0; encrypted <= 1; encrypted++) {
                _cleanup_free_ char *path = store_path(encrypted, name);

                if (!path)
                        return log_oom();
                if (unlink(path) >= 0)
                        found = true;
                else if (errno != ENOENT)
                        return log_error_errno(-errno, "Cannot remove %s: %m", path);
        }
        if (!found)
                return log_error_errno(-ENOENT, "No credential '%s' in " NC_CREDSTORE_DIR "/ or "
                                       NC_CREDSTORE_ENCRYPTED_DIR "/.", name);
        return 0;
}

int cmd_secret(int argc, char *argv[], CmdGlobal *g) {
        enum { ARG_ENCRYPT = 0x100 };
        static const struct option options[] = {
                { "encrypt", no_argument, NULL, ARG_ENCRYPT },
                { "help",    no_argument, NULL, 'h'         },
                {}
        };
        bool encrypt = false;
        const char *verb;
        int c, n;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_ENCRYPT:
                        encrypt = true;
                        break;
                case 'h':
                        secret_help();
                        return 0;
                default:
                        return 1;
                }
        n = argc - optind;
        verb = n > 0 ? argv[optind] : NULL;
        if (verb && (streq(verb, "create") ? n == 3 : streq(verb, "ls") ? n == 1 : streq(verb, "rm") ? n == 2 : false)) {
                const char *name = n > 1 ? argv[optind + 1] : NULL;

                if (name && !name_credential_valid(name)) {
                        log_error("'%s' is not a credential name ([A-Za-z0-9._-], not '.' or '..').", name);
                        return 1;
                }
                if (encrypt && !streq(verb, "create")) {
                        log_error("--encrypt is for 'secret create'.");
                        return 1;
                }
                if (streq(verb, "create"))
                        return secret_create(name, argv[optind + 2], encrypt) < 0;
                return (streq(verb, "ls") ? secret_ls() : secret_rm(name)) < 0;
        }
        log_error("Expected 'create [--encrypt] NAME FILE|-', 'ls' or 'rm NAME'; see 'secret --help'.");
        return 1;
}
