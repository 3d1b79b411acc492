# shellcheck shell=bash disable=SC2034
# Shared by the bench scripts (sourced, not run).
#
# synth_capture EVENTS DIR: builds the release binary and the capture writer, writes
# DIR/synth-EVENTS.case (EVENTS events of capture_format::synth, seed 42, in the Writer's
# default blocks: examples/synth_capture.rs) when it is missing, and sets $bin and $cap.
synth_capture() {
    local events=$1 dir=$2
    mkdir -p "$dir"
    cargo build --release -q --bin casefile --example synth_capture
    bin=$PWD/target/release/casefile
    cap=$dir/synth-$events.case
    if [ ! -s "$cap" ]; then
        rm -f "$cap"
        ./target/release/examples/synth_capture "$cap" "$events"
    fi
}
