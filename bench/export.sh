#!/usr/bin/env bash
# Export benchmark: Parquet and JSON-lines throughput and Parquet bytes per event.
#
#   bench/export.sh [EVENTS] [DIR]      (defaults: 10000000 events, target/bench)
#
# Uses the synthetic capture of bench/lib.sh (examples/synth_capture.rs, Synth seed 42), the
# one bench/run's open lines read, then times `casefile export --format parquet` and `--format jsonl`, and `casefile read
# --json` to /dev/null as the baseline of the same run (the same rows, as JSON text). Rates are
# events per second of wall time and of CPU time (user + sys).
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-10000000}
dir=${2:-target/bench}
# shellcheck source=bench/lib.sh
. bench/lib.sh
synth_capture "$events" "$dir"

run() { # label, output, args...
    local label=$1 out=$2
    shift 2
    rm -rf "$out"
    /usr/bin/time -f '%U %S %e %M' -o "$dir/time.out" "$bin" export "$cap" -o "$out" "$@" 2>/dev/null
    read -r user sys wall rss <"$dir/time.out"
    local bytes
    bytes=$(du -sb "$out" | cut -f1)
    awk -v l="$label" -v u="$user" -v s="$sys" -v w="$wall" -v n="$events" -v b="$bytes" -v r="$rss" \
        'BEGIN { c = u + s; printf "%-10s %7.2f s wall %7.2f s cpu %6.2f M events/s (wall) %6.2f M events/s/core %6.2f bytes/event  max RSS %d MiB\n", l, w, c, n / w / 1e6, n / c / 1e6, b / n, r / 1024 }'
}

echo "capture: $cap ($(du -b "$cap" | cut -f1) bytes, $events events)"
run parquet "$dir/export-parquet" --format parquet
ls -l "$dir/export-parquet"
run jsonl "$dir/export.jsonl" --format jsonl
rm -f "$dir/export.jsonl"
/usr/bin/time -f '%U %S %e %M' -o "$dir/time.out" "$bin" read "$cap" --json >/dev/null 2>/dev/null
read -r user sys wall rss <"$dir/time.out"
awk -v u="$user" -v s="$sys" -v w="$wall" -v n="$events" -v r="$rss" \
    'BEGIN { c = u + s; printf "%-10s %7.2f s wall %7.2f s cpu %6.2f M events/s (wall) %6.2f M events/s/core %21s max RSS %d MiB\n", "read -j", w, c, n / w / 1e6, n / c / 1e6, "(baseline)", r / 1024 }'
