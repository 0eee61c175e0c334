#!/usr/bin/env bash
# Fuzzes one target for a while, seeded from fuzz/seeds/TARGET.
#
#   fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]
#
# TARGET: frame_parser | handshake_server | handshake_client | pair.
# Installs cargo-fuzz if it is missing. Runs on the stable toolchain (RUSTC_BOOTSTRAP=1
# unlocks the sanitizer flags cargo-fuzz needs) with one job and one worker, a 512 MB RSS and
# malloc limit (an allocation sized from a declared length fails the run), a 10 s timeout per
# input, and an input size suited to the target. New inputs go to fuzz/corpus/TARGET, crashes
# to fuzz/artifacts/TARGET, libFuzzer's log to fuzz/logs/ (all three are not committed).
set -euo pipefail

usage="usage: $0 TARGET SECONDS [libFuzzer flags...]"
target=${1:?$usage}
seconds=${2:?$usage}
shift 2

case $target in
    frame_parser) max_len=4096 ;;
    handshake_server) max_len=4096 ;;
    # Longer than the 4096-byte chunk-line limit of a rejection's chunked body.
    handshake_client) max_len=8192 ;;
    pair) max_len=4096 ;;
    inflate) max_len=4096 ;;
    *) echo "unknown target $target; $usage" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

dict=()
case $target in
    handshake_*) dict=("-dict=$here/dicts/http.dict") ;;
esac

export RUSTC_BOOTSTRAP=1
# ASan's quarantine of freed memory counts towards RSS: keep it small so that the RSS limit
# measures the engine, not the sanitizer.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=64"
cargo fuzz build "$target"

mkdir -p "corpus/$target" "artifacts/$target" logs
log="logs/$target-$(date -u +%Y%m%dT%H%M%SZ).log"
status=0
# -jobs=1 runs the fuzzer in a child process whose output goes to fuzz-0.log.
rm -f fuzz-0.log
cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -jobs=1 -workers=1 -rss_limit_mb=512 -malloc_limit_mb=512 -max_len="$max_len" \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "${dict[@]}" "$@" || status=$?
if [ -f fuzz-0.log ]; then
    mv fuzz-0.log "$log"
    grep -E '^#[0-9]+ +(INITED|DONE)|^stat::|ERROR|SUMMARY|Test unit written|panicked' "$log" | awk '!seen[$0]++' | tail -20 || true
    echo "log: fuzz/$log"
fi
echo "corpus: $(find "corpus/$target" -type f | wc -l) files; artifacts: $(find "artifacts/$target" -type f | wc -l) files"
exit "$status"
