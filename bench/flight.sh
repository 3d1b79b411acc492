#!/usr/bin/env bash
# The flight recorder and the live view, next to plain recording in the same run (root).
#
#   bench/flight.sh [BIN] [--idle SECS] [--dd BYTES] [--runs N] [--only rec,trigger,live]
#
# - recorder CPU (user + system, as it reports it) and peak RSS (GNU time), recording the
#   whole host for --idle seconds: plain `record -w FILE` vs `record --keep 5m --trigger F`
#   with a filter that never matches (so every event is evaluated), on the idle host and with
#   a dd bs=1 storm (2 x --dd system calls) started once the recorder records;
# - trigger to sealed incident: `casefile trigger PID`, then the time from the end of the
#   --after window to the file sealed on disk, as the recorder reports it (idle and storm);
# - the live view: `casefile live` refresh lag behind the recorder (its own report) and its
#   CPU next to the recorder's, idle and with the storm; for `live --top procs`, also when a
#   marker process run at a known time first shows in the view's output.
#
# Prints one row per figure: casefile value, baseline value, ratio (casefile / baseline).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/casefile
idle=20
dd_bytes=500000
runs=1
only=rec,trigger,live
while [ $# -gt 0 ]; do
    case $1 in
    --idle) idle=$2; shift ;;
    --dd) dd_bytes=$2; shift ;;
    --runs) runs=$2; shift ;;
    --only) only=$2; shift ;;
    *) bin=$1 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "bench/flight.sh: needs root" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench/flight.sh: needs GNU time" >&2; exit 2; }
dir=target/bench/flight
rm -rf "$dir"
mkdir -p "$dir"
umask 077
want() { [[ ",$only," == *",$1,"* ]]; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
cpu_of() { sed -n 's/.*recorder CPU: \([0-9.]*\) s user, \([0-9.]*\) s system.*/\1 \2/p' "$1" | tail -1 | awk '{ print $1 + $2 }'; }
view_cpu_of() { sed -n 's/.*live view CPU: \([0-9.]*\) s user, \([0-9.]*\) s system.*/\1 \2/p' "$1" | awk '{ print $1 + $2 }'; }
row() { awk -v a="$2" -v b="$3" -v l="$1" -v u="$4" -v base="$5" \
    'BEGIN { printf "%-52s %10s %10s %6s  %s\n", l, a u, b u, (b > 0 ? sprintf("%.2f", a / b) : "-"), base }'; }
storm() { dd if=/dev/zero of=/dev/null bs=1 "count=$dd_bytes" 2>/dev/null; }
never='evt.type=openat and fd.name=/nonexistent/casefile-bench'

# Runs the recorder ($@ after the mode) for $idle s in the background, with the storm when
# $1 = storm; leaves CPU seconds and peak RSS (KiB) in $cpu and $rss.
run_rec() {
    local load=$1 err=$2
    shift 2
    /usr/bin/time -f '%M' -o "$dir/time" "$bin" record --duration "$idle" "$@" 2>"$err" &
    local pid=$!
    # Recording starts once the probe is attached: wait for the file or the flight line.
    for _ in $(seq 200); do
        grep -q "flight recorder recording" "$err" 2>/dev/null && break
        [ -s "$dir/plain.case" ] && [ "$(stat -c %s "$dir/plain.case")" -gt 65536 ] && break
        sleep 0.05
    done
    sleep 1
    if [ "$load" = storm ]; then storm; fi
    wait "$pid" || true
    cpu=$(cpu_of "$err")
    rss=$(cat "$dir/time")
}

for load in idle storm; do
    want rec || break
    for i in $(seq "$runs"); do
        log "recorder $load: plain ($i/$runs)"
        rm -f "$dir/plain.case"
        run_rec "$load" "$dir/plain.err" -w "$dir/plain.case"
        pc=$cpu pr=$rss
        log "recorder $load: flight recorder ($i/$runs)"
        mkdir -p "$dir/inc"
        run_rec "$load" "$dir/flight.err" -w "$dir/inc" --keep 5m --trigger "$never"
        fc=$cpu fr=$rss
        log "recorder $load: flight recorder with Falco rules ($i/$runs)"
        run_rec "$load" "$dir/rules.err" -w "$dir/inc" --keep 5m --trigger-rules fixtures/rules/basic.yaml
        rc=$cpu
        row "recorder CPU, $load, --keep 5m --trigger (s)" "$fc" "$pc" s "plain record"
        row "recorder CPU, $load, --keep 5m --trigger-rules basic (s)" "$rc" "$pc" s "plain record"
        row "recorder peak RSS, $load, --keep 5m --trigger (MiB)" \
            "$(awk -v k="$fr" 'BEGIN { printf "%.0f", k / 1024 }')" \
            "$(awk -v k="$pr" 'BEGIN { printf "%.0f", k / 1024 }')" "" "plain record"
        grep -h "ring held" "$dir/flight.err" | sed 's/^/  note: /' >&2 || true
    done
done

# Trigger to sealed incident.
for load in idle storm; do
    want trigger || break
    log "trigger to sealed incident, $load"
    rm -rf "$dir/inc" && mkdir -p "$dir/inc"
    "$bin" record -w "$dir/inc" --keep 30s --after 2s 2>"$dir/trig.err" &
    pid=$!
    for _ in $(seq 200); do
        grep -q "flight recorder recording" "$dir/trig.err" && break
        sleep 0.05
    done
    sleep 3
    if [ "$load" = storm ]; then storm & fi
    "$bin" trigger "$pid" 2>/dev/null
    for _ in $(seq 200); do
        grep -q "incident written" "$dir/trig.err" && break
        sleep 0.05
    done
    wait_storm=$(jobs -p | grep -v "^$pid$" || true)
    [ -n "$wait_storm" ] && wait $wait_storm || true
    kill -INT "$pid"
    wait "$pid" || true
    lag=$(sed -n 's/.*sealed \([0-9]*\) ms after its window closed.*/\1/p' "$dir/trig.err" | head -1)
    row "trigger to sealed incident, $load (ms after --after)" "${lag:-?}" 1000 "" "target: 1 s"
    grep -h "incident written" "$dir/trig.err" | sed 's/^/  note: /' >&2 || true
done

# The live view.
for load in idle storm; do
    want live || break
    log "live view, $load"
    "$bin" live --duration "$idle" "proc.name=casefile-bench-nothing" >/dev/null 2>"$dir/live.err" &
    pid=$!
    sleep 4
    if [ "$load" = storm ]; then storm; fi
    wait "$pid" || true
    lag=$(sed -n 's/.*median \([0-9]*\) ms.*/\1/p' "$dir/live.err")
    max=$(sed -n 's/.*max \([0-9]*\) ms.*/\1/p' "$dir/live.err")
    row "live read: refresh lag, $load, median (ms)" "${lag:-?}" 1000 "" "target: 1 s"
    row "live read: refresh lag, $load, max (ms)" "${max:-?}" 1000 "" "target: 1 s"
    row "live read: view CPU, $load (s)" "$(view_cpu_of "$dir/live.err")" "$(cpu_of "$dir/live.err")" s \
        "its recorder"
    # Each line of the view's output stamped with when it arrived; a marker process (a link
    # to sleep under a name nothing else has) runs at a known time, during the storm when
    # there is one: its first appearance in a refresh is the lag a user sees.
    ln -sf "$(command -v sleep)" "$dir/cfbenchmark"
    "$bin" live --duration "$idle" --top procs 2>"$dir/top.err" |
        while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done >"$dir/top.out" &
    pid=$!
    sleep 4
    if [ "$load" = storm ]; then storm & sleep 1; fi
    marked=$EPOCHREALTIME
    "$dir/cfbenchmark" 0.05
    wait "$pid" || true
    seen=$(awk '/cfbenchmark/ { print $1; exit }' "$dir/top.out")
    row "live --top procs: marker process shown after, $load (ms)" \
        "$(awk -v a="$marked" -v b="${seen:-0}" 'BEGIN { print (b > 0 ? int((b - a) * 1000) : "?") }')" \
        2000 "" "a refresh a second + lag"
    lag=$(sed -n 's/.*median \([0-9]*\) ms.*/\1/p' "$dir/top.err")
    max=$(sed -n 's/.*max \([0-9]*\) ms.*/\1/p' "$dir/top.err")
    row "live --top procs: refresh lag, $load, median (ms)" "${lag:-?}" 1000 "" "target: 1 s"
    row "live --top procs: refresh lag, $load, max (ms)" "${max:-?}" 1000 "" "target: 1 s"
    row "live --top procs: view CPU, $load (s)" "$(view_cpu_of "$dir/top.err")" \
        "$(cpu_of "$dir/top.err")" s "its recorder"
done
