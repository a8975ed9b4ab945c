/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/macro.h"
#include "lib/user-db.h"

/* Runs after fork and chroot (healthd's probe child) and in the static user helper inside a machine:
 * no malloc, no NSS (which would load the container's libraries into our process), only read() on
 * the container's own files. */

#define LINE_MAX_LEN 1024
#define FIELDS_MAX 7

typedef bool (*LineFunc)(char **fields, size_t n, void *userdata);

/* Splits @line at ':' in place. */
static size_t split_fields(char *line, char **fields) {
        size_t n = 0;

        fields[n++] = line;
        for (char *p = line; *p && n < FIELDS_MAX; p++)
                if (*p == ':') {
                        *p = 0;
                        fields[n++] = p + 1;
                }
        return n;
}

static bool dispatch_line(char *line, size_t len, LineFunc f, void *userdata) {
        char *fields[FIELDS_MAX];

        line[len] = 0;
        if (len == 0 || line[0] == '#')
                return false;
        return f(fields, split_fields(line, fields), userdata);
}

typedef struct LineReader {
        char line[LINE_MAX_LEN + 1];
        size_t len;
        bool skipping;                  /* inside a line longer than LINE_MAX_LEN */
} LineReader;

/* Feeds one byte; returns true when @f asked to stop. */
static bool line_reader_feed(LineReader *lr, char ch, LineFunc f, void *userdata) {
        bool stop = false;

        if (ch != '\n') {
                if (lr->len < LINE_MAX_LEN)
                        lr->line[lr->len++] = ch;
                else
                        lr->skipping = true;
                return false;
        }
        if (!lr->skipping)
                stop = dispatch_line(lr->line, lr->len, f, userdata);
        lr->len = 0;
        lr->skipping = false;
        return stop;
}

/* Calls @f for each line of @fd until it returns true; lines longer than LINE_MAX_LEN are skipped. */
static void for_each_line(int fd, LineFunc f, void *userdata) {
        LineReader lr = {};
        char chunk[4096];
        ssize_t n;

        if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
                return;
        while ((n = read(fd, chunk, sizeof chunk)) > 0)
                for (ssize_t i = 0; i < n; i++)
                        if (line_reader_feed(&lr, chunk[i], f, userdata))
                                return;
        if (!lr.skipping && lr.len > 0)
                (void) dispatch_line(lr.line, lr.len, f, userdata);
}

static int parse_id(const char *s, unsigned *ret) {
        char *end;
        unsigned long v;

        if (isempty(s) || s[0] < '0' || s[0] > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end || v >= (unsigned long) UINT32_MAX)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

typedef struct Lookup {
        const char *name;               /* match by name, or */
        unsigned id;                    /* by id when name is NULL */
        bool found;
        unsigned found_id, found_gid;
        char found_name[64], home[256];
} Lookup;

static bool passwd_line(char **f, size_t n, void *userdata) {
        Lookup *l = userdata;
        unsigned uid, gid;

        if (n < 4 || parse_id(f[2], &uid) < 0 || parse_id(f[3], &gid) < 0)
                return false;
        if (l->name ? !streq(f[0], l->name) : uid != l->id)
                return false;
        l->found = true;
        l->found_id = uid;
        l->found_gid = gid;
        snprintf(l->found_name, sizeof l->found_name, "%s", f[0]);
        snprintf(l->home, sizeof l->home, "%s", n >= 6 && !isempty(f[5]) ? f[5] : "/");
        return true;
}

static bool group_line(char **f, size_t n, void *userdata) {
        Lookup *l = userdata;
        unsigned gid;

        if (n < 3 || parse_id(f[2], &gid) < 0 || !streq(f[0], l->name))
                return false;
        l->found = true;
        l->found_id = gid;
        return true;
}

typedef struct Members {
        const char *user;
        UserIds *u;
} Members;

static bool member_line(char **f, size_t n, void *userdata) {
        Members *m = userdata;
        unsigned gid;
        char *save = NULL;

        if (n < 4 || parse_id(f[2], &gid) < 0)
                return false;
        for (char *w = strtok_r(f[3], ",", &save); w; w = strtok_r(NULL, ",", &save))
                if (streq(w, m->user) && gid != m->u->gid && m->u->n_groups < USER_IDS_MAX_GROUPS) {
                        m->u->groups[m->u->n_groups++] = gid;
                        break;
                }
        return false;                   /* all lines */
}

static int resolve_user_part(const char *s, int passwd_fd, UserIds *u, Lookup *l) {
        unsigned id;

        if (parse_id(s, &id) >= 0)
                *l = (Lookup) { .id = id };
        else
                *l = (Lookup) { .name = s };
        for_each_line(passwd_fd, passwd_line, l);
        if (!l->found && l->name)
                return -ESRCH;
        u->uid = l->found ? l->found_id : id;
        u->gid = l->found ? l->found_gid : 0;
        snprintf(u->home, sizeof u->home, "%s", l->found ? l->home : "/");
        return 0;
}

static int resolve_group_part(const char *s, int group_fd, gid_t *ret) {
        Lookup l = { .name = s };
        unsigned id;

        if (parse_id(s, &id) >= 0) {
                *ret = id;
                return 0;
        }
        for_each_line(group_fd, group_line, &l);
        if (!l.found)
                return -ESRCH;
        *ret = l.found_id;
        return 0;
}

int user_ids_resolve(const char *spec, int passwd_fd, int group_fd, UserIds *ret) {
        char user[128], *colon;
        UserIds u = {};
        Lookup l;
        int r;

        snprintf(user, sizeof user, "%s", isempty(spec) ? "0" : spec);
        colon = strchr(user, ':');
        if (colon)
                *colon++ = 0;
        r = resolve_user_part(isempty(user) ? "0" : user, passwd_fd, &u, &l);
        if (r < 0)
                return r;
        if (!isempty(colon)) {
                /* An explicit group replaces the primary group and the supplementary ones (runc). */
                r = resolve_group_part(colon, group_fd, &u.gid);
                if (r < 0)
                        return r;
                u.groups[u.n_groups++] = u.gid;
        } else {
                u.groups[u.n_groups++] = u.gid;
                if (l.found)
                        for_each_line(group_fd, member_line, &(Members) { .user = l.found_name, .u = &u });
        }
        *ret = u;
        return 0;
}
