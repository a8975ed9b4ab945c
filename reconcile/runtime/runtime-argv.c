/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <linux/capability.h>

#include "lib/fileio.h"
#include "lib/strv.h"
#include "reconcile/runtime/runtime-internal.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- entrypoint, command and environment, merged as the docker daemon merges them ---- */

int service_merge_argv(const ServiceSpec *s, const ImageConfig *img, char ***ret, NcError *reterr) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char*));
        char * const *entrypoint, * const *cmd;

        assert(s);
        assert(ret);

        if (!l)
                return -ENOMEM;
        /* A compose entrypoint, even [], replaces the image's and drops the image's Cmd; an empty
         * command counts as none (moby daemon merge()). */
        entrypoint = s->entrypoint ? s->entrypoint : img ? img->entrypoint : NULL;
        cmd = strv_length(s->command) > 0 ? s->command : s->entrypoint ? NULL : img ? img->cmd : NULL;
        if (s->entrypoint && strv_length(s->entrypoint) == 0 && strv_length(s->command) == 0 && img)
                cmd = img->cmd;
        STRV_FOREACH(a, entrypoint)
                if (strv_extend(&l, *a) < 0)
                        return -ENOMEM;
        STRV_FOREACH(a, cmd)
                if (strv_extend(&l, *a) < 0)
                        return -ENOMEM;
        if (!l[0])
                return nc_error_set(reterr, -EINVAL, "service '%s': no command: neither compose nor the "
                                    "image sets an entrypoint or command", s->service);
        *ret = TAKE_PTR(l);
        return 0;
}

static bool env_same_key(const char *a, const char *b) {
        size_t la = strcspn(a, "="), lb = strcspn(b, "=");

        return la == lb && memcmp(a, b, la) == 0;
}

/* docker's ReplaceOrAppendEnvValues(): "K=V" replaces K in place or appends; "K" removes K. */
static int env_apply(char ***env, char * const *overrides) {
        STRV_FOREACH(o, overrides) {
                _cleanup_free_ char *copy = strdup(*o);
                bool assign = strchr(*o, '=');
                size_t j = 0;

                if (!copy)
                        return -ENOMEM;
                for (char **e = *env; *e; e++) {
                        if (!env_same_key(*e, *o)) {
                                (*env)[j++] = *e;
                                continue;
                        }
                        free(*e);
                        if (assign && copy)     /* replaced in place; later duplicates dropped */
                                (*env)[j++] = TAKE_PTR(copy);
                }
                (*env)[j] = NULL;
                if (assign && copy && strv_consume(env, TAKE_PTR(copy)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int service_merge_env(const ServiceSpec *s, const ImageConfig *img, char ***ret) {
        _cleanup_strv_free_ char **env = calloc(1, sizeof(char*));
        _cleanup_free_ char *hostname = NULL;
        int r;

        assert(s);
        assert(ret);

        if (!env || asprintf(&hostname, "HOSTNAME=%s", s->hostname ?: s->service) < 0)
                return -ENOMEM;
        if (strv_extend(&env, DEFAULT_PATH) < 0 || strv_extend(&env, hostname) < 0)
                return -ENOMEM;
        r = env_apply(&env, img ? img->env : NULL);
        if (r < 0)
                return r;
        r = env_apply(&env, s->environment);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(env);
        return 0;
}

/* ---- capabilities: docker's default set, computed here and expressed as nspawn's delta ---- */

static const char *const cap_names[] = {
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

_Static_assert(ELEMENTSOF(cap_names) == CAP_LAST_CAP + 1, "capability table out of date");

#define CAP(c) (UINT64_C(1) << (c))
#define CAP_ALL_MASK (CAP(ELEMENTSOF(cap_names)) - 1)

/* moby oci/caps/defaults.go */
#define DOCKER_DEFAULT_CAPS                                                                     \
        (CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | CAP(CAP_FSETID) | CAP(CAP_FOWNER) |           \
         CAP(CAP_MKNOD) | CAP(CAP_NET_RAW) | CAP(CAP_SETGID) | CAP(CAP_SETUID) |                \
         CAP(CAP_SETFCAP) | CAP(CAP_SETPCAP) | CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_SYS_CHROOT) | \
         CAP(CAP_KILL) | CAP(CAP_AUDIT_WRITE))

/* systemd-nspawn's arg_caps_retain default (systemd 252 nspawn.c) */
#define NSPAWN_DEFAULT_CAPS                                                                     \
        (CAP(CAP_AUDIT_CONTROL) | CAP(CAP_AUDIT_WRITE) | CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | \
         CAP(CAP_DAC_READ_SEARCH) | CAP(CAP_FOWNER) | CAP(CAP_FSETID) | CAP(CAP_IPC_OWNER) |    \
         CAP(CAP_KILL) | CAP(CAP_LEASE) | CAP(CAP_LINUX_IMMUTABLE) | CAP(CAP_MKNOD) |           \
         CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_NET_BROADCAST) | CAP(CAP_NET_RAW) |                \
         CAP(CAP_SETFCAP) | CAP(CAP_SETGID) | CAP(CAP_SETPCAP) | CAP(CAP_SETUID) |              \
         CAP(CAP_SYS_ADMIN) | CAP(CAP_SYS_BOOT) | CAP(CAP_SYS_CHROOT) | CAP(CAP_SYS_NICE) |     \
         CAP(CAP_SYS_PTRACE) | CAP(CAP_SYS_RESOURCE) | CAP(CAP_SYS_TTY_CONFIG))

/* "NET_ADMIN", "CAP_NET_ADMIN", "net_admin" or "ALL" → mask. */
static int caps_parse(char * const *l, uint64_t *ret, NcError *reterr) {
        uint64_t m = 0;

        STRV_FOREACH(c, l) {
                const char *n = startswith(*c, "CAP_") ?: startswith(*c, "cap_") ?: *c;
                size_t i;

                if (strcasecmp(n, "ALL") == 0) {
                        m = CAP_ALL_MASK;
                        continue;
                }
                for (i = 0; i < ELEMENTSOF(cap_names); i++)
                        if (strcasecmp(n, cap_names[i]) == 0)
                                break;
                if (i >= ELEMENTSOF(cap_names))
                        return nc_error_set(reterr, -EINVAL, "unknown capability '%s'", *c);
                m |= CAP(i);
        }
        *ret = m;
        return 0;
}

/* The capability set the payload gets (moby TweakCapabilities()). */
static int service_caps(const ServiceSpec *s, uint64_t *ret, NcError *reterr) {
        uint64_t add, drop;
        int r;

        if (s->privileged) {
                *ret = CAP_ALL_MASK;
                return 0;
        }
        r = caps_parse(s->cap_add, &add, reterr);
        if (r < 0)
                return r;
        r = caps_parse(s->cap_drop, &drop, reterr);
        if (r < 0)
                return r;
        if (add == CAP_ALL_MASK)
                *ret = CAP_ALL_MASK & ~(drop == CAP_ALL_MASK ? 0 : drop);
        else if (drop == CAP_ALL_MASK)
                *ret = add;
        else
                *ret = (DOCKER_DEFAULT_CAPS & ~drop) | add;
        return 0;
}

static char *caps_format(const char *option, uint64_t m) {
        StrBuf b = {};

        strbuf_append(&b, option);
        for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
                if (m & CAP(i))
                        strbuf_printf(&b, "%sCAP_%s", b.len > 0 && b.buf[b.len - 1] == '=' ? "" : ",", cap_names[i]);
        return strbuf_steal(&b);
}

/* nspawn keeps (default | --capability) & ~--drop-capability, so both deltas are exact. */
static int argv_caps(char ***l, const ServiceSpec *s, NcError *reterr) {
        uint64_t want;
        int r;

        r = service_caps(s, &want, reterr);
        if (r < 0)
                return r;
        if (want & ~NSPAWN_DEFAULT_CAPS && strv_consume(l, caps_format("--capability=", want & ~NSPAWN_DEFAULT_CAPS)) < 0)
                return -ENOMEM;
        if (NSPAWN_DEFAULT_CAPS & ~want &&
            strv_consume(l, caps_format("--drop-capability=", NSPAWN_DEFAULT_CAPS & ~want)) < 0)
                return -ENOMEM;
        return 0;
}

/* ---- mounts, limits ---- */

/* nspawn splits --bind/--tmpfs values at ':'; a literal one is "\:". */
static void append_escaped(StrBuf *b, const char *path) {
        for (const char *p = path; *p; p++) {
                if (*p == ':' || *p == '\\')
                        strbuf_append_char(b, '\\');
                strbuf_append_char(b, *p);
        }
}

/* DIR/<target>: "/var/lib/x" → "var-lib-x"; anything but [A-Za-z0-9._] (and '-' itself) as "_XX",
 * so distinct targets never share a file. */
static int escaped_target_path(const char *dir, const char *target, char **ret) {
        StrBuf b = {};

        strbuf_append(&b, dir);
        strbuf_append_char(&b, '/');
        for (const char *p = target + 1; *p; p++)
                if (*p == '/')
                        strbuf_append_char(&b, '-');
                else if (isalnum((unsigned char) *p) || *p == '.')
                        strbuf_append_char(&b, *p);
                else
                        strbuf_printf(&b, "_%02x", (unsigned char) *p);
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}

int service_anonymous_volume_path(const char *volume_dir, const char *target, char **ret) {
        assert(volume_dir);
        assert(target);
        assert(ret);

        return escaped_target_path(volume_dir, target, ret);
}

int service_mount_copy_path(const char *files_dir, const char *target, char **ret) {
        assert(files_dir);
        assert(target);
        assert(ret);

        return escaped_target_path(files_dir, target, ret);
}

static int argv_mount(char ***l, const ServiceMount *m, const NspawnPaths *paths, NcError *reterr) {
        _cleanup_free_ char *path = NULL;
        const char *source = m->source;
        StrBuf b = {};

        if (streq(m->type, "shm") && m->source) {       /* ipc: shared with other machines, or the host's */
                strbuf_append(&b, "--bind=");
                append_escaped(&b, m->source);
                strbuf_append(&b, ":/dev/shm");
                return strv_consume(l, strbuf_steal(&b));
        }
        if (streq(m->type, "shm")) {                    /* shm_size: a /dev/shm of that size */
                strbuf_printf(&b, "--tmpfs=/dev/shm:mode=1777,nosuid,nodev%s%s", isempty(m->options) ? "" : ",",
                              strempty(m->options));
                return strv_consume(l, strbuf_steal(&b));
        }
        if (streq(m->type, "tmpfs")) {
                strbuf_append(&b, "--tmpfs=");
                append_escaped(&b, m->target);
                /* docker's tmpfs default is world-writable; nspawn adds nodev itself */
                strbuf_printf(&b, ":%s%s", isempty(m->options) ? "mode=1777" : m->options, m->read_only ? ",ro" : "");
                return strv_consume(l, strbuf_steal(&b));
        }
        if (m->copy) {          /* a secret or config: its copy with the owner and mode asked for */
                if (!paths->files_dir)
                        return nc_error_set(reterr, -EINVAL, "no place for the copy of '%s'", m->target);
                if (service_mount_copy_path(paths->files_dir, m->target, &path) < 0)
                        return -ENOMEM;
                source = path;
        } else if (!source) {   /* an anonymous volume: kept with the service's writable layer */
                if (!paths->volume_dir)
                        return nc_error_set(reterr, -EINVAL, "volume '%s' has no source", m->target);
                if (service_anonymous_volume_path(paths->volume_dir, m->target, &path) < 0)
                        return -ENOMEM;
                source = path;
        }
        strbuf_append(&b, m->read_only ? "--bind-ro=" : "--bind=");
        append_escaped(&b, source);
        strbuf_append_char(&b, ':');
        append_escaped(&b, m->target);
        return strv_consume(l, strbuf_steal(&b));
}

static const char *const rlimit_names[] = {
        "as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
        "nproc", "rss", "rtprio", "rttime", "sigpending", "stack",
};

static int argv_ulimit(char ***l, const ServiceUlimit *u, NcError *reterr) {
        char soft[32] = "infinity", hard[32] = "infinity", *s;
        StrBuf b = {};

        for (size_t i = 0; i < ELEMENTSOF(rlimit_names); i++)
                if (streq(u->name, rlimit_names[i]))
                        goto found;
        return nc_error_set(reterr, -EINVAL, "unknown ulimit '%s'", u->name);
found:
        if (u->soft >= 0)
                snprintf(soft, sizeof(soft), "%" PRIi64, u->soft);
        if (u->hard >= 0)
                snprintf(hard, sizeof(hard), "%" PRIi64, u->hard);
        strbuf_append(&b, "--rlimit=RLIMIT_");
        for (const char *p = u->name; *p; p++)
                strbuf_append_char(&b, toupper((unsigned char) *p));
        strbuf_printf(&b, "=%s:%s", soft, hard);
        s = strbuf_steal(&b);
        return strv_consume(l, s);
}

const char *service_working_dir(const ServiceSpec *s, const ImageConfig *img) {
        assert(s);

        return s->working_dir ?: (img ? img->working_dir : NULL) ?: "/";
}

static bool is_root_name(const char *s, size_t n) {
        return n == 0 || (n == 1 && s[0] == '0') || (n == 4 && memcmp(s, "root", 4) == 0);
}

const char *service_user(const ServiceSpec *s, const ImageConfig *img) {
        const char *user = s->user ?: (img ? img->user : NULL), *group;
        size_t n;

        assert(s);

        if (isempty(user))
                return NULL;
        n = strcspn(user, ":");
        group = user[n] ? user + n + 1 : "";
        /* "root", "0", "0:0", "root:root": nspawn already runs the payload so */
        return is_root_name(user, n) && is_root_name(group, strlen(group)) ? NULL : user;
}

static bool env_has(char * const *env, const char *key) {
        STRV_FOREACH(e, env)
                if (env_same_key(*e, key))
                        return true;
        return false;
}

int service_env_file_text(const ServiceSpec *s, const ImageConfig *img, char **ret, size_t *ret_size) {
        _cleanup_strv_free_ char **env = NULL;
        StrBuf b = {};
        int r;

        assert(s);
        assert(ret);
        assert(ret_size);

        r = service_merge_env(s, img, &env);
        if (r < 0)
                return r;
        STRV_FOREACH(e, env) {
                strbuf_append(&b, *e);
                strbuf_append_char(&b, 0);
        }
        *ret_size = b.len;
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}

static int argv_bind_ro(char ***l, const char *source, const char *target) {
        StrBuf b = {};

        strbuf_append(&b, "--bind-ro=");
        append_escaped(&b, source);
        strbuf_append_char(&b, ':');
        strbuf_append(&b, target);
        return strv_consume(l, strbuf_steal(&b));
}

/* The command runs through the helper, bound read-only into the machine with the environment file:
 * it sets the environment (values stay off every command line), and for a user other than root it
 * resolves the user inside the machine (nspawn's --user= needs getent(1) there and takes no group)
 * and sets HOME from it unless the environment has one, as docker does. */
static int argv_helper(char ***cmd, char ***l, const char *user, char * const *env,
                       const NspawnPaths *paths, NcError *reterr) {
        _cleanup_strv_free_ char **c = NULL;

        if (!paths->user_helper || !paths->env_file)
                return nc_error_set(reterr, -EINVAL, "the payload needs the helper and the environment file");
        if (argv_bind_ro(l, paths->user_helper, NC_USER_HELPER_TARGET) < 0 ||
            argv_bind_ro(l, paths->env_file, NC_ENV_FILE_TARGET) < 0)
                return -ENOMEM;
        if (strv_extend(&c, NC_USER_HELPER_TARGET) < 0 || strv_extend(&c, "--env-file") < 0 ||
            strv_extend(&c, NC_ENV_FILE_TARGET) < 0)
                return -ENOMEM;
        if (user) {
                if (!env_has(env, "HOME") && strv_extend(&c, "--home") < 0)
                        return -ENOMEM;
                if (!env_has(env, "USER") && !env_has(env, "LOGNAME") && strv_extend(&c, "--no-login-names") < 0)
                        return -ENOMEM;
                if (strv_extend(&c, "--user") < 0 || strv_extend(&c, user) < 0)
                        return -ENOMEM;
        }
        if (strv_extend(&c, "--") < 0)
                return -ENOMEM;
        STRV_FOREACH(a, *cmd)
                if (strv_extend(&c, *a) < 0)
                        return -ENOMEM;
        strv_free(*cmd);
        *cmd = TAKE_PTR(c);
        return 0;
}

/* ---- the command line ---- */

/* Options every service gets. --as-pid2: nspawn's stub init is PID 1 and reaps zombies (docker's
 * init: true); it turns --kill-signal=SIGRTMIN+3 into SIGTERM for the payload, and the wrapper
 * sends the payload its stop_signal itself. The wrapper writes /etc/hosts and /etc/resolv.conf,
 * so nspawn leaves them, and the time zone, alone, as docker does. */
static int argv_fixed(char ***l, const ServiceSpec *s, const char *root) {
        int r = 0;

        r = strv_extend(l, "systemd-nspawn");
        r = r ?: strv_extend(l, "--quiet");
        r = r ?: strv_extend(l, "--keep-unit");
        r = r ?: strv_extend(l, "--register=yes");
        r = r ?: strv_extendf(l, "--machine=%s", s->machine);
        r = r ?: strv_extendf(l, "--directory=%s", root);
        r = r ?: strv_extend(l, "--as-pid2");
        r = r ?: strv_extend(l, "--notify-ready=no");
        r = r ?: strv_extend(l, "--kill-signal=SIGRTMIN+3");
        r = r ?: strv_extend(l, "--private-users=no");
        r = r ?: strv_extend(l, "--resolv-conf=off");
        r = r ?: strv_extend(l, "--timezone=off");
        r = r ?: strv_extend(l, "--link-journal=no");
        r = r ?: strv_extend(l, "--console=pipe");
        if (s->netns)
                r = r ?: strv_extendf(l, "--network-namespace-path=/run/netns/%s", s->netns);
        else if (!s->host_network)      /* network_mode: host: nspawn's default, the host's network */
                r = r ?: strv_extend(l, "--private-network");
        r = r ?: strv_extendf(l, "--hostname=%s", s->hostname ?: s->service);
        return r;
}

int service_nspawn_argv(const ServiceSpec *s, const ImageConfig *img, const NspawnPaths *paths, char ***ret,
                        NcError *reterr) {
        _cleanup_strv_free_ char **l = NULL, **env = NULL, **cmd = NULL;
        const char *user = service_user(s, img);
        int r;

        assert(s);
        assert(paths);
        assert(ret);

        r = service_merge_argv(s, img, &cmd, reterr);
        if (r < 0)
                return r;
        r = service_merge_env(s, img, &env);
        if (r < 0)
                return r;
        r = argv_fixed(&l, s, paths->root);
        if (r < 0)
                return r;
        if (strv_extendf(&l, "--chdir=%s", service_working_dir(s, img)) < 0)
                return -ENOMEM;
        r = argv_caps(&l, s, reterr);
        if (r < 0)
                return r;
        if (s->read_only && strv_extend(&l, "--read-only") < 0)
                return -ENOMEM;
        if (s->no_new_privileges && strv_extend(&l, "--no-new-privileges=yes") < 0)
                return -ENOMEM;
        if (s->has_oom_score_adj && strv_extendf(&l, "--oom-score-adjust=%d", s->oom_score_adj) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_mounts; i++) {
                r = argv_mount(&l, &s->mounts[i], paths, reterr);
                if (r < 0)
                        return r;
        }
        r = argv_helper(&cmd, &l, user, env, paths, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_ulimits; i++) {
                r = argv_ulimit(&l, &s->ulimits[i], reterr);
                if (r < 0)
                        return r;
        }
        if (strv_extend(&l, "--") < 0)
                return -ENOMEM;
        STRV_FOREACH(a, cmd)
                if (strv_extend(&l, *a) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}
