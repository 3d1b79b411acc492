#!/usr/bin/env bash
# The recorder's cost per system call, next to the floor measured in the same run (root).
#
#   bench/probe.sh [BIN] [--dd BYTES] [--runs N] [--spin CALLS] [--idle SECS]
#
# - the dd bs=1 storm (2 x BYTES read/write calls, one byte of payload each) alone, under the
#   bare counter pair of probe/floor.bpf.o (examples/probe_floor: the floor, what attaching
#   to sys_enter and sys_exit costs at all) and under `record` of the whole host, alternating,
#   N runs each (median); `record` also with --no-payload, --no-latency (the exit hook alone)
#   and both, the cheapest recording;
# - the probe's own cost per call with kernel.bpf_stats_enabled=1 (the stats add their own
#   cost to both sides), casefile's programs next to the floor's;
# - the recorder's CPU (user + system, from /proc) per million events of the storm;
# - the highest sustained rate: one getppid loop per CPU (examples/syscall_spin, CALLS each)
#   under `record` of the whole host, next to the same loops unrecorded, with the loss;
# - the idle host: the recorder's CPU over SECS of recording with nothing else running, after
#   its start-up.
#
# Prints one tab-separated row per figure: label, casefile value, baseline value, unit,
# baseline name; bench/run turns them into its table. Needs bpftool for the per-call lines.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/casefile
dd_bytes=500000
runs=3
spin=3000000
idle=60
while [ $# -gt 0 ]; do
    case $1 in
    --dd) dd_bytes=$2; shift ;;
    --runs) runs=$2; shift ;;
    --spin) spin=$2; shift ;;
    --idle) idle=$2; shift ;;
    *) bin=$1 ;;
    esac
    shift
done
cargo build --release -q --example probe_floor --example syscall_spin
floor_bin=target/release/examples/probe_floor
spin_bin=target/release/examples/syscall_spin
work=$(mktemp -d)
trap 'rm -rf "$work"; sysctl -qw kernel.bpf_stats_enabled=0 2>/dev/null || true' EXIT

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
out() { printf '%s\t%s\t%s\t%s\t%s\n' "$@"; }
storm() { /usr/bin/time -f %e -o "$work/dd.t" dd if=/dev/zero of=/dev/null bs=1 "count=$dd_bytes" 2>/dev/null; cat "$work/dd.t"; }

# start_floor / start_record: run in the background until stop; return once attached.
start_floor() {
    "$floor_bin" probe/floor.bpf.o >"$work/floor.out" 2>&1 &
    bg=$!
    for _ in $(seq 200); do grep -q attached "$work/floor.out" && return; sleep 0.05; done
    echo "bench/probe.sh: probe_floor did not attach: $(cat "$work/floor.out")" >&2
    exit 2
}
start_record() {
    rm -f "$work/r.case"
    "$bin" record -w "$work/r.case" "$@" 2>"$work/rec.err" &
    bg=$!
    # The file appears once the probe is attached; the /proc snapshot and the container
    # look-ups follow.
    for _ in $(seq 200); do [ -s "$work/r.case" ] && break; sleep 0.05; done
    sleep 2
}
stop() { kill -INT "$bg"; wait "$bg" || true; }
# cpu_s: the background process's CPU so far (user + system, all threads), in seconds
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$bg/stat"; }
rec_lost() { sed -n 's/.*, \([0-9]*\) lost.*/\1/p' "$work/rec.err"; }

# prog_stats: "name run_time_ns run_cnt" of the programs loaded since max_id was taken (the
# ones the background process loaded: another tracer's programs of the same name stay out)
max_prog_id() { bpftool prog show 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p' | sort -n | tail -1; }
prog_stats() {
    bpftool prog show 2>/dev/null | awk -v min="${max_id:-0}" '/^[0-9]+:/ {
        id = $1 + 0; for (i = 1; i <= NF; i++) { if ($i == "name") n = $(i + 1); if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) }
        if (id > min && t != "") print n, t, c; t = "" }'
}
# per_call NAME: ns per run of program NAME between the snapshots s0 and s1
per_call() {
    join <(sort "$work/s0") <(sort "$work/s1") |
        awk -v n="$1" '$1 == n && $5 > $3 { printf "%.1f", ($4 - $2) / ($5 - $3) }'
}

alone=() floor=() rec=() cpu_per_m=() nopay=() nolat=() lean=()
for ((i = 0; i < runs; i++)); do
    alone+=("$(storm)")
    start_floor
    floor+=("$(storm)")
    stop
    start_record
    c0=$(cpu_s)
    rec+=("$(storm)")
    # what the storm's records cost the recorder, drained: the reorder window holds them back
    sleep 1
    c1=$(cpu_s)
    stop
    cpu_per_m+=("$(awk -v c="$c1" -v b="$c0" -v e="$((2 * dd_bytes))" 'BEGIN { printf "%.3f", (c - b) / e * 1e6 }')")
    start_record --no-payload
    nopay+=("$(storm)")
    stop
    start_record --no-latency
    nolat+=("$(storm)")
    stop
    start_record --no-latency --no-payload
    lean+=("$(storm)")
    stop
    lean_lost=$(rec_lost)
done
a=$(median "${alone[@]}") f=$(median "${floor[@]}") r=$(median "${rec[@]}")
out "probe: dd storm, bare counter pair (s)" "$f" "$a" s "dd alone"
out "probe: dd storm, record whole host (s)" "$r" "$a" s "dd alone"
out "probe: dd storm, record whole host (s)" "$r" "$f" s "bare counter pair"
nl=$(median "${lean[@]}")
out "probe: dd storm, record --no-payload (s)" "$(median "${nopay[@]}")" "$a" s "dd alone"
out "probe: dd storm, record --no-latency (s)" "$(median "${nolat[@]}")" "$a" s "dd alone"
out "probe: dd storm, record --no-latency --no-payload (s)" "$nl" "$a" s "dd alone ($lean_lost lost)"
out "probe: dd storm, record --no-latency --no-payload (s)" "$nl" "$f" s "bare counter pair"
out "probe: recorder CPU per M events (s)" "$(median "${cpu_per_m[@]}")" - s "(dd storm and 1 s after it; $(rec_lost) lost)"

if command -v bpftool >/dev/null; then
    sysctl -qw kernel.bpf_stats_enabled=1
    max_id=$(max_prog_id)
    start_floor
    prog_stats >"$work/s0"; storm >/dev/null; prog_stats >"$work/s1"
    fe=$(per_call floor_enter) fx=$(per_call floor_exit)
    stop
    max_id=$(max_prog_id)
    start_record
    prog_stats >"$work/s0"; storm >/dev/null; prog_stats >"$work/s1"
    ce=$(per_call cf_sys_enter) cx=$(per_call cf_sys_exit)
    stop
    max_id=$(max_prog_id)
    start_record --no-latency --no-payload
    prog_stats >"$work/s0"; storm >/dev/null; prog_stats >"$work/s1"
    lx=$(per_call cf_sys_exit)
    stop
    sysctl -qw kernel.bpf_stats_enabled=0
    out "probe: sys_enter per call, bpf_stats (ns)" "$ce" "$fe" ns "bare counter"
    out "probe: sys_exit per call, bpf_stats (ns)" "$cx" "$fx" ns "bare counter"
    out "probe: sys_exit alone, --no-latency --no-payload, bpf_stats (ns)" "$lx" "$(awk -v e="$fe" -v x="$fx" 'BEGIN { print e + x }')" ns "bare counter pair"
fi

# One spinner per CPU: the total rate recorded, next to unrecorded.
spinners() {
    local pids=() j
    for ((j = 0; j < $(nproc); j++)); do "$spin_bin" "$spin" >"$work/spin.$j" & pids+=($!); done
    wait "${pids[@]}"
    cat "$work"/spin.* | awk '{ n += $1; if ($4 > s) s = $4 } END { printf "%.3f", n / s / 1e6 }'
}
free_rate=$(spinners)
start_record
rec_rate=$(spinners)
stop
out "probe: getppid loops x$(nproc), recorded (M calls/s)" "$rec_rate" "$free_rate" M/s "unrecorded ($(rec_lost) lost)"

# The idle host, after the recorder's start-up.
start_record
c0=$(cpu_s)
sleep "$idle"
c1=$(cpu_s)
stop
out "probe: idle host, recorder CPU over ${idle} s (%)" \
    "$(awk -v c="$c1" -v b="$c0" -v s="$idle" 'BEGIN { printf "%.2f", (c - b) / s * 100 }')" - % "(of one core, after start-up)"
