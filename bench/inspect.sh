#!/usr/bin/env bash
# `casefile inspect` latency: time to the first screen and drill-down latencies, measured from
# outside as a user sees them: the release binary runs in a detached tmux session of 100x30,
# and the screen is polled with capture-pane every 20 ms until the expected text appears.
#
#   bench/inspect.sh [EVENTS] [DIR]      (defaults: 10000000 events, target/bench)
#
# The capture is the synthetic one of bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-10000000}
dir=${2:-target/bench}
# shellcheck source=bench/lib.sh
. bench/lib.sh
synth_capture "$events" "$dir"
sock=casefile-bench-$$
tm() { tmux -L "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null || true' EXIT
now() { date +%s%N; }
# wait_for START TEXT... : prints ms since START once every TEXT is on screen and "scanning" is not
wait_for() {
    local start=$1
    shift
    while :; do
        local s ok=1
        s=$(tm capture-pane -p -t b)
        for t in "$@"; do
            [[ $s == *"$t"* ]] || ok=0
        done
        if [[ $ok == 1 && $s != *scanning* && $s != *loading* ]]; then
            echo $((($(now) - start) / 1000000))
            return
        fi
        sleep 0.02
    done
}
wait_any() { # like wait_for but scanning may still run
    local start=$1
    shift
    while :; do
        local s ok=1
        s=$(tm capture-pane -p -t b)
        for t in "$@"; do
            [[ $s == *"$t"* ]] || ok=0
        done
        if [[ $ok == 1 ]]; then
            echo $((($(now) - start) / 1000000))
            return
        fi
        sleep 0.01
    done
}
echo "capture: $cap ($(du -h "$cap" | cut -f1), $events events)"
t0=$(now)
tm new-session -d -s b -x 100 -y 30 "$bin inspect $cap; sleep 600"
first=$(wait_any "$t0" "$events events" "Running Processes")
echo "first screen (header, timeline from the index, tile names, scan progress): ${first} ms"
full=$(wait_for "$t0" "events scanned")
echo "overview complete (every tile's total and sparkline): ${full} ms"
t1=$(now)
tm send-keys -t b Enter
view=$(wait_for "$t1" "Overview › Processes [Running Processes]" " rows · ")
echo "tile -> Processes view: ${view} ms"
t2=$(now)
tm send-keys -t b Enter
drill=$(wait_for "$t2" "› Threads [" " rows · ")
echo "drill-down process -> Threads: ${drill} ms"
tm send-keys -t b BSpace
wait_for "$(now)" "Overview › Processes [Running Processes]" " rows · " >/dev/null
t3=$(now)
tm send-keys -t b d
dig=$(wait_for "$t3" "› Events [" " events")
echo "dig of a process (first 50000 events): ${dig} ms"
tm send-keys -t b q
