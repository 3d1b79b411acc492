// SPDX-License-Identifier: GPL-2.0
/*
 * casefile's eBPF probe: one record per system call at exit (enter time, latency, return value,
 * raw arguments and the user memory the syscall table asks for), process lifecycle from the
 * sched tracepoints, and delivered signals. Attaches through tp_btf only (raw_tp as the
 * recorder's fallback); this kernel kind refuses fentry and LSM programs and has no kprobes.
 *
 * What each syscall parameter captures is not written here: the recorder loads one cf_desc per
 * syscall number into DESCS, derived from capture_format::schema::syscalls.
 *
 * Each program is a thin wrapper over a function that returns 0 or a negative error; the
 * wrapper counts reserve failures (loss) per CPU.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "cf_record.h"

/* errno values (vmlinux.h has no macros) */
#define EBADF 9
#define EBUSY 16
#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22
#define ENOSPC 28
#define ENOTSOCK 88

char LICENSE[] SEC("license") = "GPL";

/* ---- configuration, set by the recorder before load (.rodata) */
const volatile __u32 target_tgid = 0;    /* 0: every process */
const volatile __u32 self_tgid = 0;      /* the recorder, never recorded */
const volatile __u32 snaplen = 80;       /* payload bytes per buffer, 0: none */
const volatile __u32 capture_env = 0;    /* exec records carry the environment */
const volatile __u32 exit_only = 0;      /* no enter hook: arguments from the exit's registers */

/* ---- maps */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024); /* the recorder overrides the size */
} EVENTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, CF_CNT_MAX);
} COUNTERS SEC(".maps");

/* Process ids followed because they descend from target_tgid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u8);
	__uint(max_entries, 65536);
} TRACKED SEC(".maps");

/* What to capture for each syscall number. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct cf_desc);
	__uint(max_entries, CF_MAX_NR);
} DESCS SEC(".maps");

/*
 * A syscall's enter time and arguments, from its enter to its exit. They wait in a per-CPU
 * slot tagged with the thread id (no helper call: the verifier inlines the lookup); when the
 * thread is switched out before its exit, cf_spill moves them into the thread's task storage,
 * where the exit finds them on whatever CPU it runs. Most calls never block, and pay for no
 * task storage. (Under the raw_tp fallback enters go to the task storage directly.) A tracing program is not preempted on this kernel kind (PREEMPT_NONE or
 * voluntary); under full preemption a spill could race an enter on the same CPU.
 */
struct cf_enter {
	__u64 ts;
	__u64 args[6];
	__s64 nr; /* -1: no syscall pending */
};

struct cf_pending {
	struct cf_enter e;
	__u32 tid; /* 0: the slot is free */
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct cf_pending);
	__uint(max_entries, 1);
} PENDING SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct cf_enter);
} ENTERS SEC(".maps");

static __always_inline struct cf_pending *pending(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&PENDING, &zero);
}

/*
 * The pending enter of thread `tid` (the current one), taken: from this CPU's slot, else
 * from its task storage (spilled there when it was switched out). NULL when none was seen.
 * The copy goes to `out`.
 */
static __always_inline bool take_enter(struct task_struct *task, __u32 tid, struct cf_enter *out)
{
	struct cf_pending *p = pending();
	if (p && p->tid == tid) {
		p->tid = 0;
		*out = p->e;
		return out->nr >= 0;
	}
	struct cf_enter *e = bpf_task_storage_get(&ENTERS, task, 0, 0);
	if (!e || e->nr < 0)
		return false;
	*out = *e;
	e->nr = -1;
	return true;
}

/* The pending enter of the current thread, left in place (for the fork hook). */
static __always_inline const struct cf_enter *peek_enter(struct task_struct *task, __u32 tid)
{
	struct cf_pending *p = pending();
	if (p && p->tid == tid)
		return &p->e;
	struct cf_enter *e = bpf_task_storage_get(&ENTERS, task, 0, 0);
	return e && e->nr >= 0 ? e : NULL;
}

/* A thread leaves this CPU: its pending enter, if the slot holds one, moves to its storage. */
static __always_inline int spill(struct task_struct *prev)
{
	struct cf_pending *p = pending();
	if (!p || p->tid == 0 || p->tid != prev->pid)
		return 0;
	p->tid = 0;
	struct cf_enter *e = bpf_task_storage_get(&ENTERS, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!e)
		return -ENOMEM;
	*e = p->e;
	return 0;
}

/* Records are built here and copied into the ring buffer with their real length. */
#define CF_SCRATCH 16384
#define CF_OFF_MASK 8191 /* every write starts below 8192 and is at most 4104 bytes */
struct cf_scratch {
	__u8 buf[CF_SCRATCH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct cf_scratch);
	__uint(max_entries, 1);
} SCRATCH SEC(".maps");

/*
 * Syscall records are staged per CPU and written to the ring a batch at a time: one reserve
 * and one commit for dozens of records, where each took its own (the ring's lock is shared by
 * every CPU). A stage goes out when the next record does not fit, or when its CPU's flush
 * timer fires, CF_FLUSH_NS (cf_record.h) after its first record: the recorder sees every
 * record within that much more than before, well inside its reorder window. Like the pending
 * enters, a stage relies on a tracing program not being preempted (see PENDING); the timer
 * runs in a softirq that may interrupt one, and leaves a busy stage for its next round.
 */
#define CF_STAGE 8192
struct cf_stage {
	__u32 len;  /* bytes of records staged, after room for the batch header */
	__u32 n;    /* records staged */
	__u8 busy;  /* a program is adding a record: the timer leaves the stage alone */
	__u8 armed; /* the flush timer is running */
	__u8 _pad[6];
	__u64 first_ts; /* the first staged record's time */
	__u8 buf[CF_STAGE + 256]; /* the slack takes a record written at the last offset */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct cf_stage);
	__uint(max_entries, 1);
} STAGE SEC(".maps");

/* One flush timer per CPU, pinned to it (indexed by CPU number). */
struct cf_flush_timer {
	struct bpf_timer timer;
	__u32 ready; /* initialized, callback set */
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct cf_flush_timer);
	__uint(max_entries, 4096);
} FLUSH_TIMERS SEC(".maps");

/* ---- helpers */
static __always_inline void count(__u32 slot, __u64 value, bool set)
{
	__u64 *v = bpf_map_lookup_elem(&COUNTERS, &slot);
	if (v) {
		if (set)
			*v = value;
		else
			*v += value;
	}
}

/* `n` records the ring had no room for: counted as loss, with when. */
static __always_inline void count_drops(__u32 n)
{
	count(CF_CNT_DROPPED, n, false);
	count(CF_CNT_LAST_DROP_TS, bpf_ktime_get_boot_ns(), true);
}

static __always_inline void count_drop(void)
{
	count_drops(1);
}

/*
 * Copies a finished record into the ring buffer; counts a failure as loss. Records never wake
 * the reader: it polls on a short timer sized to the ring (see the recorder's poll interval),
 * which costs nothing per record, where deciding when to wake it (a ring query per record)
 * cost 5% of a syscall storm.
 */
static __always_inline int emit(void *rec, __u32 len)
{
	len &= (CF_SCRATCH - 1);
	if (len < sizeof(struct cf_hdr))
		return -EINVAL;
	if (bpf_ringbuf_output(&EVENTS, rec, len, BPF_RB_NO_WAKEUP)) {
		count_drop();
		return -ENOSPC;
	}
	return 0;
}

static __always_inline struct cf_stage *stage(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&STAGE, &zero);
}

/* Writes this CPU's staged records to the ring as one batch; counts them as loss if it is full. */
static __always_inline void stage_flush(struct cf_stage *st)
{
	__u64 len = st->len;
	if (!len)
		return;
	/* the verifier must see this bound: hide from clang what it thinks it knows of len */
	asm volatile("" : "+r"(len));
	if (len > CF_STAGE - sizeof(struct cf_hdr))
		len = CF_STAGE - sizeof(struct cf_hdr);
	len += sizeof(struct cf_hdr);
	struct cf_hdr *h = (struct cf_hdr *)st->buf;
	h->kind = CF_KIND_BATCH;
	h->size = len;
	h->cpu = bpf_get_smp_processor_id();
	h->flags = 0;
	h->tid = st->n;
	h->pid = 0;
	h->ts = 0;
	h->cgroup_id = 0;
	if (bpf_ringbuf_output(&EVENTS, st->buf, len, BPF_RB_NO_WAKEUP))
		count_drops(st->n);
	st->len = 0;
	st->n = 0;
}

/* The flush timer of CPU `*key` fired (on that CPU): its stage goes out, unless in use. */
static int flush_timer_fired(void *map, __u32 *key, struct cf_flush_timer *t)
{
	struct cf_stage *st = stage();
	if (!st || *key != bpf_get_smp_processor_id())
		return 0;
	if (st->busy) {
		bpf_timer_start(&t->timer, CF_FLUSH_NS, BPF_F_TIMER_CPU_PIN);
		return 0;
	}
	stage_flush(st);
	st->armed = 0;
	return 0;
}

/*
 * Where a record of `size` bytes (at most 256) goes in this CPU's stage, after flushing a
 * full one. The stage is busy until stage_commit.
 */
static __always_inline void *stage_reserve(struct cf_stage *st, __u32 size)
{
	st->busy = 1;
	if (st->len + size > CF_STAGE - sizeof(struct cf_hdr))
		stage_flush(st);
	return &st->buf[(sizeof(struct cf_hdr) + st->len) & (CF_STAGE - 1)];
}

/*
 * Keeps the record of `size` bytes (a multiple of 8, stamped `ts`) written at stage_reserve's
 * place, and makes sure a flush follows: this CPU's timer is started if it is not running;
 * without a timer the stage goes out now, and so it does when the timer is long overdue (a
 * timer that failed to restart must not hold records back).
 */
static __always_inline void stage_commit(struct cf_stage *st, __u32 size, __u64 ts)
{
	if (!st->n)
		st->first_ts = ts;
	st->len += size;
	st->n++;
	if (st->armed && ts - st->first_ts > 4 * CF_FLUSH_NS) {
		stage_flush(st);
		st->armed = 0;
	} else if (!st->armed) {
		__u32 cpu = bpf_get_smp_processor_id();
		struct cf_flush_timer *t = bpf_map_lookup_elem(&FLUSH_TIMERS, &cpu);
		if (t) {
			if (!t->ready) {
				long r = bpf_timer_init(&t->timer, &FLUSH_TIMERS, 1 /* CLOCK_MONOTONIC */);
				if ((r == 0 || r == -EBUSY) &&
				    bpf_timer_set_callback(&t->timer, flush_timer_fired) == 0)
					t->ready = 1;
			}
			if (t->ready &&
			    bpf_timer_start(&t->timer, CF_FLUSH_NS, BPF_F_TIMER_CPU_PIN) == 0)
				st->armed = 1;
		}
		if (!st->armed)
			stage_flush(st);
	}
	st->busy = 0;
}

static __always_inline bool wanted(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (target_tgid == 0 || tgid == target_tgid)
		return true;
	return bpf_map_lookup_elem(&TRACKED, &tgid) != NULL;
}

static __always_inline void fill_hdr(struct cf_hdr *h, __u16 kind, __u64 pid_tgid)
{
	h->kind = kind;
	h->size = 0;
	h->cpu = bpf_get_smp_processor_id();
	h->flags = 0;
	h->tid = (__u32)pid_tgid;
	h->pid = pid_tgid >> 32;
	h->ts = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
}

static __always_inline struct cf_scratch *scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&SCRATCH, &zero);
}

/* Starts a blob at `off`; returns where its data goes. */
static __always_inline struct cf_blob *blob_at(struct cf_scratch *s, __u32 off)
{
	return (struct cf_blob *)&s->buf[off & CF_OFF_MASK];
}

static __always_inline __u32 blob_end(__u32 off, __u32 len)
{
	return (off + sizeof(struct cf_blob) + len + 7) & ~7u;
}

/* The kernel socket behind `fd` of the current task, or NULL. */
static __always_inline struct sock *fd_sock(struct task_struct *task, __u64 fd)
{
	struct files_struct *files = BPF_CORE_READ(task, files);
	struct fdtable *fdt = BPF_CORE_READ(files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & 00170000) != 0140000) /* S_IFSOCK */
		return NULL;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(sock, sk);
}

static __always_inline int read_tuple(struct cf_tuple *t, struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->family = family;
	t->proto = BPF_CORE_READ(sk, sk_protocol);
	t->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__builtin_memset(t->laddr, 0, sizeof(t->laddr));
	__builtin_memset(t->raddr, 0, sizeof(t->raddr));
	/* Sizes spelled out: BPF_CORE_READ_INTO reads sizeof(*dst), one byte for these arrays. */
	if (family == 2 /* AF_INET */) {
		bpf_core_read(t->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(t->raddr, 4, &sk->__sk_common.skc_daddr);
	} else if (family == 10 /* AF_INET6 */) {
		bpf_core_read(t->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(t->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	return 0;
}

static __always_inline __u32 clamp_snap(__u64 len)
{
	__u32 max = snaplen < CF_SNAPLEN_MAX ? snaplen : CF_SNAPLEN_MAX;
	return len < max ? (__u32)len : max;
}

/* ---- credentials and the executable's origin (exec records, capset) */
/* One capability set (CF_CAPS_*) of a task's current credentials, read at exit. */
static __always_inline __u64 task_caps(struct task_struct *task, __u8 which)
{
	const struct cred *cred = BPF_CORE_READ(task, cred);
	switch (which) {
	case CF_CAPS_INHERITABLE:
		return BPF_CORE_READ(cred, cap_inheritable.val);
	case CF_CAPS_PERMITTED:
		return BPF_CORE_READ(cred, cap_permitted.val);
	default:
		return BPF_CORE_READ(cred, cap_effective.val);
	}
}

#define CF_OVERLAYFS_SUPER_MAGIC 0x794c7630

/*
 * Where the executable `f` lives, as libs' driver tells it: an overlayfs file is in the upper
 * layer when its overlay inode (struct ovl_inode, not in vmlinux.h: the upper dentry pointer
 * follows the embedded struct inode) has an upper dentry with an inode; a memfd is a dentry
 * that is its own parent named "memfd:...".
 */
static __always_inline __u32 exe_origin(struct file *f)
{
	__u32 flags = 0;
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	if (!d)
		return 0;
	if (BPF_CORE_READ(d, d_sb, s_magic) == CF_OVERLAYFS_SUPER_MAGIC) {
		char *vfs_inode = (char *)BPF_CORE_READ(d, d_inode);
		struct dentry *upper = NULL;
		__u64 isize = bpf_core_type_size(struct inode);
		if (vfs_inode && isize)
			bpf_probe_read_kernel(&upper, sizeof(upper), vfs_inode + isize);
		if (upper && BPF_CORE_READ(upper, d_inode, i_ino) != 0)
			flags |= CF_EXE_UPPER_LAYER;
		else
			flags |= CF_EXE_LOWER_LAYER;
	}
	if (BPF_CORE_READ(d, d_parent) == d) {
		char name[8] = {};
		const unsigned char *n = BPF_CORE_READ(d, d_name.name);
		if (bpf_probe_read_kernel_str(name, 7, n) == 7 && name[0] == 'm' && name[1] == 'e' &&
		    name[2] == 'm' && name[3] == 'f' && name[4] == 'd' && name[5] == ':')
			flags |= CF_EXE_FROM_MEMFD;
	}
	return flags;
}

/* The process group id of `p` as its pid namespace (at `level`) numbers it; 0 if unknown. */
static __always_inline __u32 task_vpgid(struct task_struct *p, unsigned int level)
{
	struct pid *pg = BPF_CORE_READ(p, signal, pids[PIDTYPE_PGID]);
	if (!pg || BPF_CORE_READ(pg, level) < level)
		return 0;
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), &pg->numbers[level & 31]);
	return up.nr;
}

/* Walks an iovec array, copying the segments' bytes one after another, one bpf_loop step each. */
struct cf_iov_walk {
	struct cf_scratch *s;
	__u64 iovp;
	__u64 cnt;
	__u32 base; /* scratch offset of the data */
	__u32 got;
	__u32 max;
	__s32 err;
};

static long iov_step(__u32 i, void *data)
{
	struct cf_iov_walk *w = data;
	if (i >= w->cnt || w->got >= w->max)
		return 1;
	struct iovec iov = {};
	if (bpf_probe_read_user(&iov, sizeof(iov), (const void *)(w->iovp + i * sizeof(iov)))) {
		w->err = -EFAULT;
		return 1;
	}
	__u64 n = w->max - w->got;
	if (iov.iov_len < n)
		n = iov.iov_len;
	if (n > CF_SNAPLEN_MAX)
		n = CF_SNAPLEN_MAX;
	__u32 at = (w->base & CF_OFF_MASK) + (w->got & (CF_SNAPLEN_MAX - 1));
	if (n && bpf_probe_read_user(&w->s->buf[at], n, iov.iov_base)) {
		w->err = -EFAULT;
		return 1;
	}
	w->got += n;
	return 0;
}

/* Captures one parameter's user or kernel memory as a blob at `off`; returns the new end. */
static __always_inline __u32 capture(struct cf_scratch *s, __u32 off, const struct cf_cap *cap,
				     const struct cf_enter *e, long ret, __u8 io,
				     struct task_struct *task)
{
	struct cf_blob *b = blob_at(s, off);
	void *data = &s->buf[(off & CF_OFF_MASK) + sizeof(struct cf_blob)];
	__u64 a = e->args[cap->a < 6 ? cap->a : 0];
	__u64 bv = e->args[cap->b < 6 ? cap->b : 0];
	long n = 0;
	__u32 len = 0;

	b->param = cap->param;
	b->err = 0;
	switch (cap->src) {
	case CF_SRC_STR:
		b->kind = CF_BLOB_STR;
		n = bpf_probe_read_user_str(data, CF_STR_MAX, (const void *)a);
		if (n > 0)
			len = n - 1;
		else
			b->err = n;
		break;
	case CF_SRC_IOV:
	case CF_SRC_MSG: {
		/* Every segment in order, up to what the call moved and the snaplen. */
		b->kind = CF_BLOB_BUF;
		struct cf_iov_walk w = {
			.s = s,
			.iovp = a,
			.cnt = bv,
			.base = (off & CF_OFF_MASK) + sizeof(struct cf_blob),
			.max = clamp_snap((io & CF_IO_READ) ? (ret > 0 ? ret : 0) : ~0ull),
		};
		if (cap->src == CF_SRC_MSG) {
			struct user_msghdr msg = {};
			if (bpf_probe_read_user(&msg, sizeof(msg), (const void *)a)) {
				b->err = -EFAULT;
				break;
			}
			w.iovp = (__u64)msg.msg_iov;
			w.cnt = msg.msg_iovlen;
		}
		if (w.max)
			bpf_loop(CF_IOV_MAX, iov_step, &w, 0);
		len = w.got;
		if (len > CF_SNAPLEN_MAX)
			len = CF_SNAPLEN_MAX;
		if (!len && w.err)
			b->err = w.err;
		break;
	}
	case CF_SRC_RETSTR: {
		b->kind = CF_BLOB_STR;
		__u64 n = ret > 0 ? ret : 0;
		if (n > CF_STR_MAX)
			n = CF_STR_MAX;
		len = n;
		if (len && bpf_probe_read_user(data, len, (const void *)a)) {
			b->err = -EFAULT;
			len = 0;
		}
		break;
	}
	case CF_SRC_BUF: {
		b->kind = CF_BLOB_BUF;
		__u64 ptr = a, want = (io & CF_IO_READ) ? (ret > 0 ? ret : 0) : bv;
		len = clamp_snap(want);
		if (len > CF_SNAPLEN_MAX)
			len = CF_SNAPLEN_MAX;
		if (len && bpf_probe_read_user(data, len, (const void *)ptr)) {
			b->err = -EFAULT;
			len = 0;
		}
		break;
	}
	case CF_SRC_SOCKADDR:
	case CF_SRC_SOCKADDR_LENPTR: {
		b->kind = CF_BLOB_SOCKADDR;
		__u64 want = bv;
		if (cap->src == CF_SRC_SOCKADDR_LENPTR) {
			__u32 l = 0;
			if (!bv || bpf_probe_read_user(&l, sizeof(l), (const void *)bv))
				l = 0;
			want = l;
		}
		if (!a)
			want = 0;
		len = want < CF_SOCKADDR_MAX ? want : CF_SOCKADDR_MAX;
		if (len > CF_SOCKADDR_MAX)
			len = CF_SOCKADDR_MAX;
		if (len && bpf_probe_read_user(data, len, (const void *)a)) {
			b->err = -EFAULT;
			len = 0;
		}
		break;
	}
	case CF_SRC_TUPLE: {
		b->kind = CF_BLOB_TUPLE;
		__u64 fd = cap->a == CF_ARG_RET ? (__u64)ret : a;
		if (cap->a == CF_ARG_RET && ret < 0) {
			b->err = -EBADF;
			break;
		}
		struct sock *sk = fd_sock(task, fd);
		if (!sk) {
			b->err = -ENOTSOCK;
			break;
		}
		read_tuple(data, sk);
		len = sizeof(struct cf_tuple);
		break;
	}
	case CF_SRC_FDPAIR: {
		b->kind = CF_BLOB_U64;
		int fds[2] = {};
		if (ret < 0 || bpf_probe_read_user(fds, sizeof(fds), (const void *)a)) {
			b->err = ret < 0 ? -EINVAL : -EFAULT;
			break;
		}
		((__u64 *)data)[0] = (__u64)(__s64)fds[0];
		((__u64 *)data)[1] = (__u64)(__s64)fds[1];
		len = 16;
		break;
	}
	case CF_SRC_CLONE3: {
		b->kind = CF_BLOB_U64;
		__u64 flags = 0;
		if (bpf_probe_read_user(&flags, sizeof(flags), (const void *)a)) {
			b->err = -EFAULT;
			break;
		}
		((__u64 *)data)[0] = flags;
		len = 8;
		break;
	}
	case CF_SRC_CREDS:
		b->kind = CF_BLOB_U64;
		((__u64 *)data)[0] = task_caps(task, cap->a);
		len = 8;
		break;
	default:
		b->kind = 0;
		b->err = -EINVAL;
		break;
	}
	b->len = len;
	return blob_end(off, len);
}

/* ---- syscalls */
/*
 * `typed` is true under tp_btf, where `regs` and the current task are BTF pointers the
 * verifier lets us load from directly; under raw_tp `regs` is an untyped kernel pointer read
 * through CO-RE probe reads and the ids come from helpers. Under SRSO's safe-return
 * mitigation every kernel function return costs, so the typed path calls as few helpers as
 * it can: per syscall, the clock twice, the task storage twice, the ring once, and one user
 * copy for calls that carry a buffer.
 */
#define CF_REG(regs, typed, r) ((typed) ? (regs)->r : BPF_CORE_READ((regs), r))

/* The current thread's (tgid << 32 | tid). */
static __always_inline __u64 cur_pid_tgid(struct task_struct *task, bool typed)
{
	if (typed)
		return ((__u64)task->tgid << 32) | (__u32)task->pid;
	return bpf_get_current_pid_tgid();
}

/* What bpf_get_current_cgroup_id() returns: the cgroup v2 directory's kernfs id. */
static __always_inline __u64 cur_cgroup_id(struct task_struct *task, bool typed)
{
	if (typed)
		return task->cgroups->dfl_cgrp->kn->id;
	return bpf_get_current_cgroup_id();
}

/* The six argument registers of the call whose registers are saved at `regs`. */
static __always_inline void args_from_regs(struct pt_regs *regs, bool typed, __u64 *args)
{
	args[0] = CF_REG(regs, typed, di);
	args[1] = CF_REG(regs, typed, si);
	args[2] = CF_REG(regs, typed, dx);
	args[3] = CF_REG(regs, typed, r10);
	args[4] = CF_REG(regs, typed, r8);
	args[5] = CF_REG(regs, typed, r9);
}

/*
 * What an enter would have kept, read at exit from the registers the call saw: a syscall
 * handler does not write the argument registers (execve's success clears them, and a
 * signal return restores them). The syscall number is orig_ax; there is no enter time.
 */
static __always_inline void enter_from_regs(struct pt_regs *regs, bool typed, struct cf_enter *e)
{
	e->ts = 0;
	e->nr = CF_REG(regs, typed, orig_ax);
	args_from_regs(regs, typed, e->args);
}

static __always_inline int on_sys_enter(struct pt_regs *regs, long id, bool typed)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = cur_pid_tgid(task, typed);
	if (!wanted(pid_tgid >> 32))
		return 0;
	/*
	 * Under raw_tp there is no cf_spill (it needs the switched-out task as a BTF pointer):
	 * the enter goes straight to the task storage, as every enter once did.
	 */
	struct cf_pending *p = typed ? pending() : NULL;
	struct cf_enter *e = p ? &p->e
			       : bpf_task_storage_get(&ENTERS, task, 0,
						      BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!e)
		return -ENOMEM;
	e->ts = bpf_ktime_get_boot_ns();
	e->nr = id;
	args_from_regs(regs, typed, e->args);
	if (p)
		p->tid = (__u32)pid_tgid;
	return 0;
}

/*
 * The fixed part of a syscall record: header, enter time and arguments (zero, flagged, when
 * no enter was seen), return value. Blobs are the caller's.
 */
static __always_inline void fill_syscall(struct cf_syscall *r, struct task_struct *task,
					 __u64 pid_tgid, bool typed, const struct cf_enter *e,
					 __u32 nr, long ret)
{
	r->hdr.kind = CF_KIND_SYSCALL;
	r->hdr.size = sizeof(*r);
	r->hdr.cpu = bpf_get_smp_processor_id();
	r->hdr.flags = !e ? CF_F_NO_ENTER : exit_only ? CF_F_NO_LATENCY : 0;
	r->hdr.tid = (__u32)pid_tgid;
	r->hdr.pid = pid_tgid >> 32;
	r->hdr.ts = bpf_ktime_get_boot_ns();
	r->hdr.cgroup_id = cur_cgroup_id(task, typed);
	r->ret = ret;
	r->nr = nr;
	r->nblob = 0;
	r->_pad = 0;
	if (e) {
		r->enter_ts = e->ts;
		__builtin_memcpy(r->args, e->args, sizeof(r->args));
	} else {
		r->enter_ts = 0;
		__builtin_memset(r->args, 0, sizeof(r->args));
	}
}

/*
 * A record without blobs, written in place: in this CPU's stage (tp_btf), or reserved in the
 * ring (raw_tp programs may not use timers).
 */
static __always_inline int emit_bare(struct task_struct *task, __u64 pid_tgid, bool typed,
				     const struct cf_enter *e, __u32 nr, long ret)
{
	struct cf_stage *st = typed ? stage() : NULL;
	if (st) {
		struct cf_syscall *r = stage_reserve(st, sizeof(*r));
		fill_syscall(r, task, pid_tgid, typed, e, nr, ret);
		stage_commit(st, sizeof(*r), r->hdr.ts);
		return 0;
	}
	struct cf_syscall *r = bpf_ringbuf_reserve(&EVENTS, sizeof(*r), 0);
	if (!r) {
		count_drop();
		return -ENOSPC;
	}
	fill_syscall(r, task, pid_tgid, typed, e, nr, ret);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

/*
 * A record with one payload blob of at most `room` bytes (a constant: the ring reserves
 * fixed sizes), written in place: in this CPU's stage (tp_btf), or reserved in the ring
 * (raw_tp). The user bytes are read into the stack first: the kernel's usercopy hardening
 * checks a stack destination cheaply, a map or ring (vmalloc) one with a search. hdr.size
 * says where the record really ends; in the ring, the entry's tail past it is zeros the
 * recorder drops.
 */
#define CF_BUF_SMALL 8
#define CF_BUF_ROOM 80
#define CF_BUF_TMP 128 /* a power of two above CF_BUF_ROOM: the length's mask for the verifier */
struct cf_buf_rec {
	struct cf_syscall s;
	struct cf_blob b;
	__u8 data[CF_BUF_ROOM];
};

static __always_inline void fill_buf(struct cf_buf_rec *r, struct task_struct *task,
				     __u64 pid_tgid, bool typed, const struct cf_enter *e, __u32 nr,
				     long ret, const struct cf_cap *cap, __u32 len, __s32 err,
				     const __u8 *tmp, const __u32 room)
{
	fill_syscall(&r->s, task, pid_tgid, typed, e, nr, ret);
	r->s.nblob = 1;
	r->s.hdr.size = blob_end(sizeof(r->s), len);
	r->b.param = cap->param;
	r->b.kind = CF_BLOB_BUF;
	r->b.len = len;
	r->b.err = err;
	__builtin_memcpy(r->data, tmp, room);
}

static __always_inline int emit_buf(struct task_struct *task, __u64 pid_tgid, bool typed,
				    const struct cf_enter *e, __u32 nr, long ret,
				    const struct cf_cap *cap, __u32 len, __u64 ptr, const __u32 room)
{
	struct cf_buf_rec *r;
	__u8 tmp[CF_BUF_TMP];
	__builtin_memset(tmp, 0, room);
	__s32 err = 0;
	if (len > room)
		len = room;
	/*
	 * clang may pass the verifier the unclamped copy of `len` (at most the snaplen): hide
	 * what it knows and mask, so the bound the verifier sees is the buffer's.
	 */
	asm volatile("" : "+r"(len));
	len &= CF_BUF_TMP - 1;
	if (len && bpf_probe_read_user(tmp, len, (const void *)ptr)) {
		err = -EFAULT;
		len = 0;
	}
	/* only the first `room` bytes of data[] are reserved and touched */
	const __u32 full = sizeof(*r) - CF_BUF_ROOM + room;
	struct cf_stage *st = typed ? stage() : NULL;
	if (st) {
		r = stage_reserve(st, full);
		fill_buf(r, task, pid_tgid, typed, e, nr, ret, cap, len, err, tmp, room);
		stage_commit(st, blob_end(sizeof(r->s), len), r->s.hdr.ts);
		return 0;
	}
	r = bpf_ringbuf_reserve(&EVENTS, full, 0);
	if (!r) {
		count_drop();
		return -ENOSPC;
	}
	fill_buf(r, task, pid_tgid, typed, e, nr, ret, cap, len, err, tmp, room);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

/* Any record, built in the per-CPU scratch buffer and copied into the ring. */
static __always_inline int emit_general(struct task_struct *task, __u64 pid_tgid, bool typed,
					const struct cf_enter *e, __u32 nr, long ret,
					const struct cf_desc *d)
{
	struct cf_scratch *s = scratch();
	if (!s)
		return -ENOMEM;
	struct cf_syscall *r = (struct cf_syscall *)s->buf;
	fill_syscall(r, task, pid_tgid, typed, e, nr, ret);
	__u32 off = sizeof(*r);
	__u8 ncap = d->ncap;
#pragma unroll
	for (int i = 0; i < CF_MAX_CAPS; i++) {
		if (i >= ncap || off > CF_OFF_MASK)
			break;
		off = capture(s, off, &d->cap[i], e, ret, d->io, task);
		r->nblob++;
	}
	r->hdr.size = off;
	return emit(r, off);
}

static __always_inline int on_sys_exit(struct pt_regs *regs, long ret, bool typed)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = cur_pid_tgid(task, typed);
	if (!wanted(pid_tgid >> 32))
		return 0;
	struct cf_enter enter;
	if (exit_only)
		enter_from_regs(regs, typed, &enter);
	else if (!take_enter(task, (__u32)pid_tgid, &enter))
		return emit_bare(task, pid_tgid, typed, NULL, CF_REG(regs, typed, orig_ax), ret);
	const struct cf_enter *e = &enter;
	__u32 nr = e->nr;
	struct cf_desc *d = bpf_map_lookup_elem(&DESCS, &nr);
	if (!d || d->ncap == 0)
		return emit_bare(task, pid_tgid, typed, e, nr, ret);
	const struct cf_cap *cap = &d->cap[0];
	if (d->ncap == 1 && cap->src == CF_SRC_BUF) {
		/* read, write and their kin: one payload, sized before it is read */
		__u64 ptr = e->args[cap->a < 6 ? cap->a : 0];
		__u64 want = (d->io & CF_IO_READ) ? (ret > 0 ? ret : 0)
						  : e->args[cap->b < 6 ? cap->b : 0];
		__u32 len = clamp_snap(want);
		if (len <= CF_BUF_SMALL)
			return emit_buf(task, pid_tgid, typed, e, nr, ret, cap, len, ptr,
					CF_BUF_SMALL);
		if (len <= CF_BUF_ROOM)
			return emit_buf(task, pid_tgid, typed, e, nr, ret, cap, len, ptr,
					CF_BUF_ROOM);
	}
	return emit_general(task, pid_tgid, typed, e, nr, ret, d);
}

/* btf_trace_sys_enter: void (*)(void *, struct pt_regs *, long int) */
SEC("tp_btf/sys_enter")
int BPF_PROG(cf_sys_enter, struct pt_regs *regs, long id)
{
	on_sys_enter(regs, id, true);
	return 0;
}

/* The same hooks as raw tracepoints, for kernels that refuse tp_btf (see record/loader.rs). */
SEC("raw_tp/sys_enter")
int BPF_PROG(cf_sys_enter_raw, struct pt_regs *regs, long id)
{
	on_sys_enter(regs, id, false);
	return 0;
}

/* btf_trace_sys_exit: void (*)(void *, struct pt_regs *, long int) */
SEC("tp_btf/sys_exit")
int BPF_PROG(cf_sys_exit, struct pt_regs *regs, long ret)
{
	on_sys_exit(regs, ret, true);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(cf_sys_exit_raw, struct pt_regs *regs, long ret)
{
	on_sys_exit(regs, ret, false);
	return 0;
}

/* ---- process lifecycle */
/*
 * The flags of the clone in progress: the tracepoint runs inside the parent's clone, fork,
 * vfork or clone3 call, whose arguments sys_enter kept. 0 when unknown (a kernel thread, or a
 * call that began before the probe attached).
 */
static __always_inline __u64 clone_flags(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct cf_enter regs_enter;
	const struct cf_enter *e = &regs_enter;
	if (exit_only)
		enter_from_regs((struct pt_regs *)bpf_task_pt_regs(task), false, &regs_enter);
	else
		e = peek_enter(task, BPF_CORE_READ(task, pid));
	if (!e)
		return 0;
	switch (e->nr) {
	case 56: /* clone(flags, ...) */
		return e->args[0];
	case 57: /* fork: SIGCHLD */
		return 17;
	case 58: /* vfork: CLONE_VM | CLONE_VFORK | SIGCHLD */
		return 0x100 | 0x4000 | 17;
	case 435: { /* clone3(struct clone_args *, size): flags is the first field */
		__u64 flags = 0;
		bpf_probe_read_user(&flags, sizeof(flags), (const void *)e->args[0]);
		return flags;
	}
	}
	return 0;
}

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	if (!wanted(ptgid))
		return 0;
	if (target_tgid != 0 && ctgid != ptgid) {
		__u8 one = 1;
		bpf_map_update_elem(&TRACKED, &ctgid, &one, BPF_ANY);
	}
	struct cf_fork r = {};
	fill_hdr(&r.hdr, CF_KIND_FORK, bpf_get_current_pid_tgid());
	r.hdr.size = sizeof(r);
	r.child_tid = BPF_CORE_READ(child, pid);
	r.child_pid = ctgid;
	r.clone_flags = clone_flags();
	return emit(&r, sizeof(r));
}

/* State of the working-directory walk, one bpf_loop step per component or mount crossing. */
struct cf_cwd_walk {
	struct cf_scratch *s;
	struct dentry *d;
	struct dentry *root_d;
	struct vfsmount *vm;
	struct vfsmount *root_m;
	struct mount *m;
	__u64 mnt_off;
	__u32 off;
	__u32 n;
	__u32 done;
};

static long cwd_step(__u32 i, void *data)
{
	struct cf_cwd_walk *w = data;
	/* Locals: CO-RE macros must not relocate accesses to our own struct. */
	struct dentry *d = w->d;
	struct vfsmount *vm = w->vm;
	struct mount *m = w->m;
	if (d == w->root_d && vm == w->root_m) {
		w->done = 1;
		return 1;
	}
	struct dentry *mnt_root = BPF_CORE_READ(vm, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == mnt_root || d == parent) {
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);
		if (mp == m || !mp) { /* the namespace's root mount */
			w->done = 1;
			return 1;
		}
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		w->m = mp;
		w->vm = (void *)mp + w->mnt_off;
		return 0;
	}
	__u32 n = w->n;
	if (n > CF_CWD_MAX)
		return 1;
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	long k = bpf_probe_read_kernel_str(&w->s->buf[(w->off + n) & 8191], CF_STR_MAX, name);
	if (k <= 0)
		return 1;
	w->n = n + k;
	w->d = parent;
	return 0;
}

/*
 * Writes the working directory of `p` at `off` in the layout cf_record.h describes: a dentry
 * walk up to the task's root, crossing mounts through struct mount (container_of the
 * vfsmount, with a CO-RE offset). Returns the bytes written.
 */
static __always_inline __u32 read_cwd(struct task_struct *p, struct cf_scratch *s, __u32 off)
{
	struct fs_struct *fs = BPF_CORE_READ(p, fs);
	if (!fs)
		return 0;
	struct cf_cwd_walk w = {
		.s = s,
		.root_d = BPF_CORE_READ(fs, root.dentry),
		.root_m = BPF_CORE_READ(fs, root.mnt),
		.d = BPF_CORE_READ(fs, pwd.dentry),
		.vm = BPF_CORE_READ(fs, pwd.mnt),
		.mnt_off = bpf_core_field_offset(struct mount, mnt),
		.off = off,
	};
	w.m = (void *)w.vm - w.mnt_off;
	bpf_loop(CF_PATH_DEPTH, cwd_step, &w, 0);
	__u32 n = w.n;
	if (w.done && n <= CF_CWD_MAX + CF_STR_MAX) {
		s->buf[(off + n) & 8191] = 0;
		n++;
	}
	return n;
}

/* The controlling terminal as /proc/PID/stat's tty_nr: new_encode_dev(MKDEV(major, minor)). */
static __always_inline __u32 tty_nr(struct task_struct *p)
{
	struct tty_struct *tty = BPF_CORE_READ(p, signal, tty);
	if (!tty)
		return 0;
	__u32 major = BPF_CORE_READ(tty, driver, major);
	__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

static __always_inline int on_exec(struct task_struct *p, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	if (!wanted(tgid))
		return 0;
	struct cf_scratch *s = scratch();
	if (!s)
		return -ENOMEM;
	struct cf_exec *r = (struct cf_exec *)s->buf;
	__builtin_memset(r, 0, sizeof(*r));
	fill_hdr(&r->hdr, CF_KIND_EXEC, bpf_get_current_pid_tgid());
	r->ppid = BPF_CORE_READ(p, real_parent, tgid);

	struct pid *tp = BPF_CORE_READ(p, thread_pid);
	unsigned int level = BPF_CORE_READ(tp, level) & 31;
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), &tp->numbers[level]);
	r->vtid = up.nr;
	struct pid *lp = BPF_CORE_READ(p, group_leader, thread_pid);
	struct upid lup = {};
	bpf_probe_read_kernel(&lup, sizeof(lup), &lp->numbers[level]);
	r->vpid = lup.nr;

	const struct cred *cred = BPF_CORE_READ(p, cred);
	r->uid = BPF_CORE_READ(cred, uid.val);
	r->gid = BPF_CORE_READ(cred, gid.val);
	r->euid = BPF_CORE_READ(cred, euid.val);
	r->egid = BPF_CORE_READ(cred, egid.val);
	r->cap_effective = BPF_CORE_READ(cred, cap_effective.val);
	r->cap_permitted = BPF_CORE_READ(cred, cap_permitted.val);
	r->cap_inheritable = BPF_CORE_READ(cred, cap_inheritable.val);
	r->vpgid = task_vpgid(p, level);
	r->exe_flags = CF_EXE_KNOWN | exe_origin(BPF_CORE_READ(bprm, file));
	r->loginuid = bpf_core_field_exists(p->loginuid) ? BPF_CORE_READ(p, loginuid.val) : ~0u;
	r->start_ts = BPF_CORE_READ(p, start_boottime);

	struct nsproxy *nsp = BPF_CORE_READ(p, nsproxy);
	struct pid_namespace *pidns = up.ns;
	r->ns[0] = pidns ? BPF_CORE_READ(pidns, ns.inum) : 0;
	r->ns[1] = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	r->ns[2] = BPF_CORE_READ(nsp, net_ns, ns.inum);
	r->ns[3] = BPF_CORE_READ(nsp, uts_ns, ns.inum);
	r->ns[4] = BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	r->ns[5] = BPF_CORE_READ(cred, user_ns, ns.inum);
	r->ns[6] = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	r->tty = tty_nr(p);

	__u32 off = sizeof(*r);
	const char *fname = BPF_CORE_READ(bprm, filename);
	long n = bpf_probe_read_kernel_str(&s->buf[off], CF_STR_MAX, fname);
	__u32 flen = n > 0 ? n - 1 : 0;
	flen &= (CF_STR_MAX - 1);
	r->filename_len = flen;
	off += flen;

	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	__u64 astart = BPF_CORE_READ(mm, arg_start);
	__u64 aend = BPF_CORE_READ(mm, arg_end);
	__u64 alen = aend > astart ? aend - astart : 0;
	if (alen > CF_ARGS_MAX)
		alen = CF_ARGS_MAX;
	off &= 511; /* at most sizeof(*r) + CF_STR_MAX - 1 */
	if (alen && bpf_probe_read_user(&s->buf[off], alen & (CF_ARGS_MAX * 2 - 1),
					(const void *)astart))
		alen = 0;
	r->args_len = alen;
	off += alen;

	if (capture_env) {
		__u64 estart = BPF_CORE_READ(mm, env_start);
		__u64 eend = BPF_CORE_READ(mm, env_end);
		__u64 elen = eend > estart ? eend - estart : 0;
		if (elen > CF_ENV_MAX)
			elen = CF_ENV_MAX;
		off &= 2047; /* at most sizeof(*r) + CF_STR_MAX + CF_ARGS_MAX */
		if (elen && bpf_probe_read_user(&s->buf[off], elen & (CF_ENV_MAX * 2 - 1),
						(const void *)estart))
			elen = 0;
		r->env_len = elen;
		off += elen;
	}
	off &= 4095; /* at most sizeof(*r) + CF_STR_MAX + CF_ARGS_MAX + CF_ENV_MAX */
	r->cwd_len = read_cwd(p, s, off);
	off += r->cwd_len;
	off = (off + 7) & ~7u;
	r->hdr.size = off;
	return emit(r, off);
}

static __always_inline int on_exit(struct task_struct *p, bool group_dead)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	/* exit and exit_group never return: their enter must not wait for a spill */
	struct cf_pending *slot = pending();
	if (slot && slot->tid == BPF_CORE_READ(p, pid))
		slot->tid = 0;
	if (!wanted(tgid))
		return 0;
	if (group_dead && target_tgid != 0 && tgid != target_tgid)
		bpf_map_delete_elem(&TRACKED, &tgid);
	struct cf_exit r = {};
	fill_hdr(&r.hdr, CF_KIND_EXIT, bpf_get_current_pid_tgid());
	r.hdr.size = sizeof(r);
	r.code = BPF_CORE_READ(p, exit_code);
	r.group_dead = group_dead;
	return emit(&r, sizeof(r));
}

static __always_inline int on_signal(int sig, struct kernel_siginfo *info)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!wanted(pid_tgid >> 32))
		return 0;
	struct cf_signal r = {};
	fill_hdr(&r.hdr, CF_KIND_SIGNAL, pid_tgid);
	r.hdr.size = sizeof(r);
	r.sig = sig;
	if (info) {
		r.code = BPF_CORE_READ(info, si_code);
		if (r.code <= 0) /* SI_USER, SI_QUEUE, SI_TKILL...: sent by a process */
			r.sender = BPF_CORE_READ(info, _sifields._kill._pid);
	}
	return emit(&r, sizeof(r));
}

/*
 * A new cgroup of the v2 hierarchy (id 0), whoever made it: the recorder learns its path
 * before any task runs in it, so a container that lives a fraction of a second is still
 * named by its cgroup (its directory may be gone by the time the recorder could look).
 */
static __always_inline int on_cgroup_mkdir(struct cgroup *cgrp, const char *path)
{
	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	struct cf_scratch *s = scratch();
	if (!s)
		return 0;
	struct cf_cgroup *r = (void *)s->buf;
	fill_hdr(&r->hdr, CF_KIND_CGROUP, bpf_get_current_pid_tgid());
	r->id = BPF_CORE_READ(cgrp, kn, id);
	r->_pad = 0;
	long n = bpf_probe_read_kernel_str(&s->buf[sizeof(*r)], CF_CGROUP_PATH_MAX, path);
	__u32 len = n > 0 ? (__u32)(n - 1) : 0;
	len &= CF_CGROUP_PATH_MAX - 1;
	r->path_len = len;
	__u32 size = (sizeof(*r) + len + 7) & ~7u;
	r->hdr.size = size;
	return emit(r, size);
}

/* btf_trace_cgroup_mkdir: void (*)(void *, struct cgroup *, const char *) */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cf_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	on_cgroup_mkdir(cgrp, path);
	return 0;
}

SEC("raw_tp/cgroup_mkdir")
int BPF_PROG(cf_cgroup_mkdir_raw, struct cgroup *cgrp, const char *path)
{
	on_cgroup_mkdir(cgrp, path);
	return 0;
}

/* ---- context switches (record --sched; attached only on request) */
static __always_inline __u64 rss_pages(struct mm_struct *mm, int i)
{
	s64 n = BPF_CORE_READ(mm, rss_stat[i].count);
	return n > 0 ? n : 0;
}

static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next)
{
	__u32 ptid = BPF_CORE_READ(prev, pid);
	__u32 ptgid = BPF_CORE_READ(prev, tgid);
	if (ptid == 0 || !wanted(ptgid))
		return 0;
	struct cf_switch r = {};
	fill_hdr(&r.hdr, CF_KIND_SWITCH, ((__u64)ptgid << 32) | ptid);
	r.hdr.size = sizeof(r);
	r.next_tid = BPF_CORE_READ(next, pid);
	r.pf_major = BPF_CORE_READ(prev, maj_flt);
	r.pf_minor = BPF_CORE_READ(prev, min_flt);
	struct mm_struct *mm = BPF_CORE_READ(prev, mm);
	if (mm) {
		/* MM_FILEPAGES 0, MM_ANONPAGES 1, MM_SWAPENTS 2, MM_SHMEMPAGES 3; 4 KiB pages */
		r.vm_size = BPF_CORE_READ(mm, total_vm) * 4;
		r.vm_rss = (rss_pages(mm, 0) + rss_pages(mm, 1) + rss_pages(mm, 3)) * 4;
		r.vm_swap = rss_pages(mm, 2) * 4;
	}
	return emit(&r, sizeof(r));
}

/* btf_trace_sched_switch: void (*)(void *, bool, struct task_struct *, struct task_struct *,
 * unsigned int) */
SEC("tp_btf/sched_switch")
int BPF_PROG(cf_spill, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	spill(prev);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(cf_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(prev, next);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(cf_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(prev, next);
	return 0;
}

/* btf_trace_sched_process_fork: void (*)(void *, struct task_struct *, struct task_struct *) */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(cf_fork, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child);
	return 0;
}

/* btf_trace_sched_process_exec:
 * void (*)(void *, struct task_struct *, pid_t, struct linux_binprm *) */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(cf_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	on_exec(p, bprm);
	return 0;
}

/* btf_trace_sched_process_exit: void (*)(void *, struct task_struct *, bool) */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(cf_exit, struct task_struct *p, bool group_dead)
{
	on_exit(p, group_dead);
	return 0;
}

/* btf_trace_signal_deliver:
 * void (*)(void *, int, struct kernel_siginfo *, struct k_sigaction *) */
SEC("tp_btf/signal_deliver")
int BPF_PROG(cf_signal, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	on_signal(sig, info);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(cf_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(cf_exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	on_exec(p, bprm);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(cf_exit_raw, struct task_struct *p, bool group_dead)
{
	on_exit(p, group_dead);
	return 0;
}

SEC("raw_tp/signal_deliver")
int BPF_PROG(cf_signal_raw, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	on_signal(sig, info);
	return 0;
}
