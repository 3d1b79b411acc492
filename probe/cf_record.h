/* SPDX-License-Identifier: Apache-2.0 */
/*
 * casefile probe wire format: the records the probe writes into the ring buffer and the
 * syscall descriptors the recorder loads into the probe. This header is the single source of
 * truth; src/record/wire.rs repeats it as #[repr(C)] structs and both sides assert the same
 * sizes and offsets. Every record starts with struct cf_hdr; variable data follows the fixed
 * part, 8-byte aligned. All integers are native-endian (little, x86_64).
 */
#pragma once

/* Record kinds. Numbers are stable; retired ids stay as gaps. */
#define CF_KIND_SYSCALL 1
#define CF_KIND_FORK 2
#define CF_KIND_EXEC 3
#define CF_KIND_EXIT 4
#define CF_KIND_SIGNAL 5
#define CF_KIND_CGROUP 6 /* a cgroup v2 directory was made: its id and path, for the recorder */
#define CF_KIND_SWITCH 7 /* a context switch (record --sched) */
#define CF_KIND_BATCH 8  /* records of one CPU one after another, see below */

/* cf_hdr.flags */
#define CF_F_NO_ENTER 1 /* syscall exit without a recorded enter: args and enter_ts are 0 */
#define CF_F_NO_LATENCY 2 /* exit-only recording: args read at exit, enter_ts is 0 */

/* Blob kinds that follow a cf_syscall. */
#define CF_BLOB_STR 1      /* user string, NUL not included */
#define CF_BLOB_BUF 2      /* payload snippet */
#define CF_BLOB_SOCKADDR 3 /* raw struct sockaddr bytes */
#define CF_BLOB_TUPLE 4    /* struct cf_tuple */
#define CF_BLOB_U64 5      /* one or two u64 values (fd pair, clone3 flags) */

/* Capture sources in a descriptor (mirror of capture_format::schema::syscalls::Src). */
#define CF_SRC_STR 1             /* a: arg of the string pointer */
#define CF_SRC_BUF 2             /* a: pointer arg, b: length arg */
#define CF_SRC_IOV 3             /* a: iovec pointer arg, b: count arg */
#define CF_SRC_MSG 4             /* a: msghdr pointer arg */
#define CF_SRC_SOCKADDR 5        /* a: pointer arg, b: length arg */
#define CF_SRC_SOCKADDR_LENPTR 6 /* a: pointer arg, b: arg pointing at the length */
#define CF_SRC_TUPLE 7           /* a: fd arg, CF_ARG_RET for the returned fd */
#define CF_SRC_FDPAIR 8          /* a: pointer arg to int[2] */
#define CF_SRC_CLONE3 9          /* a: pointer arg to struct clone_args */
#define CF_SRC_RETSTR 10         /* a: pointer arg to bytes the call wrote, as many as it returned */
#define CF_SRC_CREDS 11          /* a: which capability set of the task at exit (CF_CAPS_*) */

/* Capability sets a CF_SRC_CREDS capture reads (one u64 each). */
#define CF_CAPS_INHERITABLE 0
#define CF_CAPS_PERMITTED 1
#define CF_CAPS_EFFECTIVE 2

/* cf_exec.exe_flags: libs' PPM_EXE_* values, and CF_EXE_KNOWN on every exec record */
#define CF_EXE_UPPER_LAYER (1 << 1) /* executable in an overlayfs upper layer */
#define CF_EXE_FROM_MEMFD (1 << 2)  /* executable is a memfd */
#define CF_EXE_LOWER_LAYER (1 << 3) /* executable in an overlayfs lower layer */
#define CF_EXE_KNOWN (1u << 31)     /* the fields after tty were filled */

#define CF_ARG_RET 255

/* cf_desc.io */
#define CF_IO_READ 1 /* buffers hold data the call returned: valid length is the return value */

#define CF_MAX_CAPS 3
#define CF_MAX_NR 512
#define CF_STR_MAX 256
#define CF_SNAPLEN_MAX 4096
#define CF_SOCKADDR_MAX 128
#define CF_ARGS_MAX 1024
#define CF_ENV_MAX 2048
#define CF_IOV_MAX 64 /* iovecs read per buffer, until the snaplen is filled */

/* Counter slots of the per-CPU COUNTERS array. */
#define CF_CNT_EMITTED 0 /* retired: counting every record cost a map lookup each */
#define CF_CNT_DROPPED 1
#define CF_CNT_LAST_DROP_TS 2 /* ktime (boot clock) of the latest drop on this CPU */
#define CF_CNT_MAX 4

/* A CPU's staged records reach the ring at most this long (ns) after the first of them. */
#define CF_FLUSH_NS 5000000

/*
 * A batch: a cf_hdr with kind CF_KIND_BATCH, size the whole batch (header included), cpu the
 * CPU, tid the number of records, the other fields 0; then the records, each starting at an
 * 8-byte boundary and as long as its own hdr.size says (rounded up to 8).
 */

struct cf_hdr { /* 32 bytes */
	__u16 kind;
	__u16 size; /* whole record, header included */
	__u16 cpu;
	__u16 flags;
	__u32 tid;
	__u32 pid;
	__u64 ts;        /* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id; /* bpf_get_current_cgroup_id() (cgroup v2 directory inode) */
};

struct cf_syscall { /* 104 bytes, then nblob blobs */
	struct cf_hdr hdr; /* ts: exit time */
	__u64 enter_ts;
	__s64 ret;
	__u64 args[6];
	__u16 nr;
	__u16 nblob;
	__u32 _pad;
};

struct cf_blob { /* 8 bytes, then len bytes, padded to 8 */
	__u8 param; /* index of the parameter in the syscall table */
	__u8 kind;  /* CF_BLOB_* */
	__u16 len;
	__s32 err; /* negative errno when the memory could not be read */
};

struct cf_tuple { /* 40 bytes; addresses in network order, ports in host order */
	__u16 family;
	__u16 proto;
	__u16 lport;
	__u16 rport;
	__u8 laddr[16];
	__u8 raddr[16];
};

struct cf_fork { /* 48 bytes; hdr is the parent's */
	struct cf_hdr hdr;
	__u32 child_tid;
	__u32 child_pid;
	__u64 clone_flags;
};

struct cf_exec { /* 192 bytes, then filename, argv, environment, cwd */
	struct cf_hdr hdr;
	__u32 ppid;
	__u32 vtid;
	__u32 vpid;
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 loginuid;
	__u64 start_ts; /* task start, boot clock */
	__u64 cap_effective;
	__u64 ns[7]; /* pid, mnt, net, uts, ipc, user, cgroup */
	char comm[16];
	__u16 filename_len;
	__u16 args_len; /* argv, each entry followed by a NUL */
	__u16 env_len;  /* environment after argv, when capture_env is set */
	__u16 cwd_len;  /* working directory after the environment, see below */
	__u32 tty;      /* controlling terminal, encoded as /proc/PID/stat's tty_nr; 0: none */
	__u32 exe_flags; /* CF_EXE_* */
	__u64 cap_permitted;
	__u64 cap_inheritable;
	__u32 vpgid; /* process group id in the task's pid namespace */
	__u32 _pad;
};

/*
 * The working directory of an exec record is written as its components, innermost first,
 * each followed by a NUL, then one more NUL when the walk reached the task's root (so "/" is
 * a single NUL); without that final NUL the path was cut at CF_PATH_DEPTH components or
 * CF_CWD_MAX bytes. cwd_len 0 means it could not be read.
 */
#define CF_PATH_DEPTH 32
#define CF_CWD_MAX 1024

struct cf_exit { /* 40 bytes */
	struct cf_hdr hdr;
	__s32 code;
	__u32 group_dead;
};

struct cf_signal { /* 48 bytes */
	struct cf_hdr hdr;
	__u32 sig;
	__u32 sender;
	__s32 code;
	__u32 _pad;
};

struct cf_switch { /* 80 bytes; hdr is the thread leaving its CPU */
	struct cf_hdr hdr;
	__u32 next_tid; /* 0: idle */
	__u32 _pad;
	__u64 pf_major; /* the leaving thread's faults so far */
	__u64 pf_minor;
	__u64 vm_size; /* its process's memory, KiB */
	__u64 vm_rss;
	__u64 vm_swap;
};

#define CF_CGROUP_PATH_MAX 1024
struct cf_cgroup { /* 48 bytes, then path_len bytes of path */
	struct cf_hdr hdr; /* the task that made it */
	__u64 id;          /* the new cgroup's id: what bpf_get_current_cgroup_id gives its tasks */
	__u32 path_len;    /* path within the cgroup v2 hierarchy, NUL not included */
	__u32 _pad;
};

struct cf_cap { /* 4 bytes */
	__u8 param;
	__u8 src; /* CF_SRC_* */
	__u8 a;
	__u8 b;
};

struct cf_desc { /* 16 bytes; one per syscall number in the DESCS array */
	__u8 ncap;
	__u8 io;
	__u8 _pad[2];
	struct cf_cap cap[CF_MAX_CAPS];
};

_Static_assert(sizeof(struct cf_hdr) == 32, "cf_hdr");
_Static_assert(sizeof(struct cf_syscall) == 104, "cf_syscall");
_Static_assert(sizeof(struct cf_blob) == 8, "cf_blob");
_Static_assert(sizeof(struct cf_tuple) == 40, "cf_tuple");
_Static_assert(sizeof(struct cf_fork) == 48, "cf_fork");
_Static_assert(sizeof(struct cf_exec) == 192, "cf_exec");
_Static_assert(sizeof(struct cf_exit) == 40, "cf_exit");
_Static_assert(sizeof(struct cf_signal) == 48, "cf_signal");
_Static_assert(sizeof(struct cf_cgroup) == 48, "cf_cgroup");
_Static_assert(sizeof(struct cf_switch) == 80, "cf_switch");
_Static_assert(sizeof(struct cf_cap) == 4, "cf_cap");
_Static_assert(sizeof(struct cf_desc) == 16, "cf_desc");
_Static_assert(__builtin_offsetof(struct cf_syscall, nr) == 96, "cf_syscall.nr");
_Static_assert(__builtin_offsetof(struct cf_exec, ns) == 80, "cf_exec.ns");
_Static_assert(__builtin_offsetof(struct cf_exec, filename_len) == 152, "cf_exec.filename_len");
_Static_assert(__builtin_offsetof(struct cf_exec, env_len) == 156, "cf_exec.env_len");
_Static_assert(__builtin_offsetof(struct cf_exec, cwd_len) == 158, "cf_exec.cwd_len");
_Static_assert(__builtin_offsetof(struct cf_exec, tty) == 160, "cf_exec.tty");
_Static_assert(__builtin_offsetof(struct cf_exec, exe_flags) == 164, "cf_exec.exe_flags");
_Static_assert(__builtin_offsetof(struct cf_exec, cap_permitted) == 168, "cf_exec.cap_permitted");
_Static_assert(__builtin_offsetof(struct cf_exec, vpgid) == 184, "cf_exec.vpgid");
