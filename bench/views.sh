#!/usr/bin/env bash
# Views benchmark: one-pass views and the overview over a large synthetic capture.
#
#   bench/views.sh [EVENTS] [DIR]      (defaults: 10000000 events, target/bench)
#
# Uses the synthetic capture of bench/lib.sh (capture_format::synth through the Writer), writing
# it first if missing. Rates are events per
# second of CPU time (user + sys), what one core delivers; wall time is shown too.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-10000000}
dir=${2:-target/bench}
# shellcheck source=bench/lib.sh
. bench/lib.sh
synth_capture "$events" "$dir"

run() { # label, args...
    local label=$1
    shift
    local t
    t=$( { /usr/bin/time -f '%U %S %e %M' "$bin" "$@" >/dev/null; } 2>&1 | tail -1)
    read -r user sys wall rss <<<"$t"
    awk -v l="$label" -v u="$user" -v s="$sys" -v w="$wall" -v m="$rss" -v n="$events" \
        'BEGIN { c = u + s; printf "%-34s %7.2f s cpu %7.2f s wall %7.1f MB rss %8.2f M events/s/core\n", l, c, w, m / 1024, n / c / 1e6 }'
}

echo "capture: $cap ($(du -h "$cap" | cut -f1), $events events)"
run "read -f 'proc.name = nosuch'" read "$cap" -f "proc.name = nosuch" --no-skip
run "top procs" top procs "$cap"
run "top threads" top threads "$cap"
run "top files" top files "$cap"
run "top connections" top connections "$cap"
run "top syscalls" top syscalls "$cap"
run "summary" summary "$cap"
