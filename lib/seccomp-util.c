/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/macro.h"
#include "lib/seccomp-util.h"

/* What systemd-nspawn (252) allows, as the names systemd groups in @aio @basic-io @chown @default
 * @file-system @io-event @ipc @mount @network-io @process @resources @setuid @signal @sync @timer,
 * plus the single calls its allow list names. Anything else it knows is EPERM, anything it does not
 * know ENOSYS; keyrings, bpf, kexec, swap, perf, quotas, fanotify, pkeys and the obsolete and
 * CPU-emulation calls are left out on purpose (nspawn-seccomp.c lists why). Names that this
 * architecture or libseccomp do not know are skipped. ptrace and process_vm_readv/writev read and
 * write other processes' memory: they need CAP_SYS_PTRACE (below), as in nspawn. Calls newer than
 * 252 (futex_wait, futex_wake, futex_requeue) are ENOSYS, as 252 makes them: software falls back. */
static const char allowed[] =
        "_llseek _newselect accept accept4 access alarm arch_prctl arm_fadvise64_64 bind brk "
        "cacheflush capget capset chdir chmod chown chown32 chroot clock_getres clock_getres_time64 "
        "clock_gettime clock_gettime64 clock_nanosleep clock_nanosleep_time64 clone clone3 close "
        "close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 "
        "epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 "
        "execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate "
        "fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr "
        "flistxattr flock fork fremovexattr fsconfig fsetxattr fsmount fsopen fspick fstat fstat64 "
        "fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv "
        "futimesat get_mempolicy get_robust_list get_thread_area getcpu getcwd getdents getdents64 "
        "getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer "
        "getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32 "
        "getresuid getresuid32 getrlimit getrusage getsid getsockname getsockopt gettid gettimeofday "
        "getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch "
        "io_cancel io_destroy io_getevents io_pgetevents io_pgetevents_time64 io_setup io_submit "
        "io_uring_enter io_uring_register io_uring_setup ioctl ioprio_get ioprio_set ipc kcmp kill "
        "lchown lchown32 lgetxattr link linkat listen listxattr llistxattr lremovexattr lseek "
        "lsetxattr lstat lstat64 madvise mbind membarrier memfd_create migrate_pages mincore mkdir "
        "mkdirat mknod mknodat mmap mmap2 mount mount_setattr move_mount move_pages mprotect "
        "mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend "
        "mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munmap "
        "name_to_handle_at nanosleep newfstatat nice oldfstat oldlstat oldolduname oldstat olduname "
        "open open_tree openat openat2 pause personality pidfd_open pidfd_send_signal pipe pipe2 "
        "pivot_root poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_madvise "
        "pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read "
        "readahead readdir readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg "
        "remap_file_pages removexattr rename renameat renameat2 restart_syscall riscv_flush_icache "
        "riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo "
        "rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo "
        "sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr "
        "sched_getparam sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 "
        "sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp "
        "select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg "
        "sendmsg sendto set_mempolicy set_mempolicy_home_node set_robust_list set_thread_area "
        "set_tid_address set_tls setdomainname setfsgid setfsgid32 setfsuid setfsuid32 setgid "
        "setgid32 setgroups setgroups32 sethostname setitimer setns setpgid setpriority setregid "
        "setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit setsid "
        "setsockopt setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaction "
        "sigaltstack signal signalfd signalfd4 sigpending sigprocmask sigreturn sigsuspend socket "
        "socketcall socketpair splice stat stat64 statfs statfs64 statx swapcontext symlink "
        "symlinkat sync sync_file_range sync_file_range2 syncfs sysinfo tee tgkill time timer_create "
        "timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64 "
        "timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times "
        "tkill truncate truncate64 ugetrlimit umask umount umount2 uname unlink unlinkat unshare "
        "uretprobe userfaultfd utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid "
        "waitpid write writev "        ;

/* Allowed only when the container keeps the capability. */
static const struct {
        unsigned capability;
        const char *names;
} allowed_with_capability[] = {
        { CAP_SYS_TIME,       "adjtimex clock_adjtime clock_adjtime64 clock_settime clock_settime64 "
                              "settimeofday" },
        { CAP_SYS_MODULE,     "delete_module finit_module init_module" },
        { CAP_SYS_RAWIO,      "ioperm iopl pciconfig_iobase pciconfig_read pciconfig_write "
                              "s390_pci_mmio_read s390_pci_mmio_write" },
        { CAP_IPC_LOCK,       "mlock mlock2 mlockall munlock munlockall" },
        { CAP_SYS_PACCT,      "acct" },
        { CAP_SYS_PTRACE,     "process_vm_readv process_vm_writev ptrace" },
        { CAP_SYS_BOOT,       "reboot" },
        { CAP_SYSLOG,         "syslog" },
        { CAP_SYS_TTY_CONFIG, "vhangup" },
};

/* Known to nspawn and not allowed: EPERM rather than ENOSYS, so software sees "not permitted". */
static const char denied[] =
        "_sysctl add_key afs_syscall arc_gettls arc_settls arc_usr_cmpxchg atomic_barrier "
        "atomic_cmpxchg_32 bdflush bpf break cachectl create_module dipc exec_with_loader execv "
        "fanotify_init fanotify_mark ftime get_kernel_syms "
        "getdomainname getdtablesize gethostname getpagesize getpmsg getxgid getxpid getxuid gtty "
        "idle kern_features kexec_file_load kexec_load keyctl landlock_add_rule "
        "landlock_create_ruleset landlock_restrict_self lock lookup_dcookie map_shadow_stack "
        "memfd_secret memory_ordering modify_ldt mpx multiplexer old_adjtimex oldumount "
        "open_by_handle_at or1k_atomic osf_fstat osf_fstatfs osf_fstatfs64 osf_getdirentries "
        "osf_getdomainname osf_getitimer osf_getrusage osf_getsysinfo osf_gettimeofday osf_lstat "
        "osf_mount osf_proplist_syscall osf_select osf_set_program_attributes osf_setitimer "
        "osf_setsysinfo osf_settimeofday osf_shmat osf_sigprocmask osf_sigstack osf_stat osf_statfs "
        "osf_statfs64 osf_swapon osf_syscall osf_sysinfo osf_usleep_thread osf_utimes osf_utsname "
        "osf_wait4 perf_event_open perfctr pidfd_getfd pkey_alloc pkey_free pkey_mprotect "
        "process_mrelease prof profil putpmsg query_module quotactl quotactl_fd request_key rtas "
        "s390_guarded_storage s390_runtime_instr s390_sthyi sched_get_affinity sched_set_affinity "
        "security sethae setpgrp sgetmask spu_create spu_run ssetmask stime stty subpage_prot "
        "swapoff swapon switch_endian sys_debug_setcontext syscall sysfs sysmips timerfd tuxcall "
        "ulimit uselib ustat utrap_install vm86 vm86old vserver "        ;

/* The other architectures this one runs binaries of: their calls get the same rules. */
static const uint32_t secondary_archs[] = {
#if defined(__x86_64__) && !defined(__ILP32__)
        SCMP_ARCH_X86, SCMP_ARCH_X32,
#elif defined(__aarch64__)
        SCMP_ARCH_ARM,
#elif defined(__powerpc64__) && __BYTE_ORDER == __LITTLE_ENDIAN
        SCMP_ARCH_PPC64, SCMP_ARCH_PPC,
#elif defined(__s390x__)
        SCMP_ARCH_S390,
#endif
};

static void seccomp_releasep(scmp_filter_ctx *ctx) {
        if (*ctx)
                seccomp_release(*ctx);
}

/* One rule per name of the space-separated @names. */
static int add_names(scmp_filter_ctx ctx, uint32_t action, const char *names) {
        for (const char *p = names; *p; ) {
                size_t n = strcspn(p, " ");
                char name[64];
                int nr;

                if (n > 0 && n < sizeof name) {
                        memcpy(name, p, n);
                        name[n] = 0;
                        nr = seccomp_syscall_resolve_name(name);
                        /* unknown here, or not on every architecture of the filter: skip */
                        if (nr != __NR_SCMP_ERROR)
                                (void) seccomp_rule_add(ctx, action, nr, 0);
                }
                p += n;
                p += strspn(p, " ");
        }
        return 0;
}

static int filter_new(uint32_t default_action, scmp_filter_ctx *ret) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(default_action);
        int r;

        if (!ctx)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(secondary_archs); i++) {
                r = seccomp_arch_add(ctx, secondary_archs[i]);
                if (r < 0 && r != -EEXIST)
                        return r;
        }
        /* the caller decides about no_new_privs: the payload's setting */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(ctx);
        return 0;
}

/* The BPF program of @ctx, through a memfd (libseccomp 2.5 exports to an fd only). */
static int export_program(scmp_filter_ctx ctx, void **ret, size_t *ret_len) {
        _cleanup_close_ int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
        _cleanup_free_ void *buf = NULL;
        off_t size;
        int r;

        if (fd < 0)
                return -errno;
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % sizeof(struct sock_filter) != 0 || size > 1024 * 1024)
                return -EBADMSG;
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        if (pread(fd, buf, size, 0) != size)
                return -EIO;
        *ret = TAKE_PTR(buf);
        *ret_len = size / sizeof(struct sock_filter);
        return 0;
}

static int build_allow_list(uint64_t capabilities, void **ret, size_t *ret_len) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        int r;

        r = filter_new(SCMP_ACT_ERRNO(ENOSYS), &ctx);
        if (r < 0)
                return r;
        add_names(ctx, SCMP_ACT_ALLOW, allowed);
        for (size_t i = 0; i < ELEMENTSOF(allowed_with_capability); i++) {
                bool kept = allowed_with_capability[i].capability < 64 &&
                            (capabilities & (UINT64_C(1) << allowed_with_capability[i].capability));

                add_names(ctx, kept ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EPERM), allowed_with_capability[i].names);
        }
        add_names(ctx, SCMP_ACT_ERRNO(EPERM), denied);
        /* a large filter: a binary tree instead of a linear search */
        (void) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        return export_program(ctx, ret, ret_len);
}

/* Audit does not work in containers: socket(AF_NETLINK, *, NETLINK_AUDIT) fails as on a kernel
 * without audit. A second filter, as nspawn loads it. */
static int build_audit_rule(void **ret, size_t *ret_len) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        int r;

        r = filter_new(SCMP_ACT_ALLOW, &ctx);
        if (r < 0)
                return r;
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 2,
                             SCMP_A0(SCMP_CMP_EQ, AF_NETLINK), SCMP_A2(SCMP_CMP_EQ, NETLINK_AUDIT));
        if (r < 0)
                return r;
        return export_program(ctx, ret, ret_len);
}

int syscall_filter_build(uint64_t capabilities, SyscallFilter *ret) {
        _cleanup_(syscall_filter_done) SyscallFilter f = {};
        int r;

        assert(ret);

        r = build_allow_list(capabilities, &f.programs[0], &f.lengths[0]);
        if (r < 0)
                return r;
        r = build_audit_rule(&f.programs[1], &f.lengths[1]);
        if (r < 0)
                return r;
        *ret = f;
        f = (SyscallFilter) {};
        return 0;
}

int syscall_filter_install(const SyscallFilter *f) {
        assert(f);

        for (size_t i = 0; i < ELEMENTSOF(f->programs); i++) {
                struct sock_fprog prog = { .len = (unsigned short) f->lengths[i], .filter = f->programs[i] };

                if (!f->programs[i])
                        continue;
                if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                        return -errno;
        }
        return 0;
}

void syscall_filter_done(SyscallFilter *f) {
        if (!f)
                return;
        for (size_t i = 0; i < ELEMENTSOF(f->programs); i++)
                free(f->programs[i]);
        *f = (SyscallFilter) {};
}
