#!/usr/bin/env bash
# Replay benchmark: filter throughput with block skipping on and off, and `read --json`.
#
#   bench/replay.sh [EVENTS] [DIR]      (defaults: 10000000 events, target/bench)
#
# Writes a capture of synthetic but realistic activity (capture_format::synth, in 1 MiB blocks
# with a keyframe every 64 blocks written from replay's own state: the ignored test
# `bench_capture` in src/replay/tests.rs), then times
# `casefile read` for each case. Rates are events per second of CPU time (user + sys), which
# is what one core delivers, and are stable on a shared machine; wall time is shown too.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-10000000}
dir=${2:-target/bench}
mkdir -p "$dir"
cap="$dir/replay-$events.case"

cargo build --release -q --bin casefile --example decode_only
if [ ! -f "$cap" ]; then
    CASEFILE_BENCH_OUT="$cap" CASEFILE_BENCH_EVENTS="$events" \
        cargo test --release -q --bin casefile -- --ignored --exact replay::tests::bench_capture
fi
bin=./target/release/casefile

run() { # label, args...
    local label=$1
    shift
    local t
    t=$( { /usr/bin/time -f '%U %S %e' "$bin" read "$cap" "$@" >/dev/null; } 2>&1 | tail -1)
    read -r user sys wall <<<"$t"
    awk -v l="$label" -v u="$user" -v s="$sys" -v w="$wall" -v n="$events" \
        'BEGIN { c = u + s; printf "%-58s %7.2f s cpu %7.2f s wall %8.2f M events/s/core\n", l, c, w, n / c / 1e6 }'
}

matched() { "$bin" read "$cap" --stats "$@" 2>&1 >/dev/null | sed -n 's/.*events: \([0-9]*\) evaluated, \([0-9]*\) matched.*/\2/p'; }

echo "capture: $cap ($(du -h "$cap" | cut -f1), $events events)"
./target/release/examples/decode_only "$cap"
for f in "evt.type = ptrace" "proc.name = nosuch" "proc.name = curl" "evt.type in (execve, clone)" \
    "proc.pid = 2500"; do
    echo "filter: $f  ($(matched -f "$f") matches)"
    run "  skipping on" -f "$f"
    run "  skipping off" --no-skip -f "$f"
done
run "read --json (every event)" --json
run "read, default text (every event)"
