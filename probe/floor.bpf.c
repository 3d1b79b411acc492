// SPDX-License-Identifier: GPL-2.0
/*
 * The floor the recorder is measured against (bench/run, examples/probe_floor.rs): a bare
 * counter on sys_enter and one on sys_exit, attached the way the recorder attaches its own
 * programs, doing nothing else. Whatever the recorder costs above this is its own work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} FLOOR SEC(".maps");

static __always_inline void bump(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&FLOOR, &slot);
	if (v)
		*v += 1;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long id)
{
	bump(0);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret)
{
	bump(1);
	return 0;
}
