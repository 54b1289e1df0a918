#!/usr/bin/env bash
# Runs each libFuzzer fuzzer of fuzz/ for a while, one after the other, and prints per fuzzer what
# it did: inputs executed, executions per second, coverage (edges and features), the corpus at the
# start (the seeds and regressions) and at the end, and peak memory. New inputs are kept in
# build-fuzz/bench-corpus/NAME (emptied first); a crash stops the run with the input in
# build-fuzz/artifacts/NAME/.
# Usage: bench/fuzz.sh [MINUTES per fuzzer (default 10)] [NAME...]   (default: every fuzzer)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
shift || true
names=("$@")
if ((${#names[@]} == 0)); then
  for f in fuzz/fuzz_*.cc; do
    f=${f#fuzz/fuzz_}
    if [[ ${f%.cc} != support ]]; then names+=("${f%.cc}"); fi
  done
fi
scripts/fuzz --build-only "${names[@]}" >/dev/null

dir=build-fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The corpus ("K/SIZE": inputs and bytes) of a libFuzzer status line.
corp() { sed -n 's/.*corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$1"; }
printf '%-14s %8s %12s %8s %6s %7s %13s %13s %7s\n' fuzzer minutes execs exec/s cov ft \
  "corpus start" "corpus end" "rss MB"
for name in "${names[@]}"; do
  work=$dir/bench-corpus/$name
  artifacts=$dir/artifacts/$name
  rm -rf "$work"
  mkdir -p "$work" "$artifacts"
  corpora=("$work" "fuzz/corpus/$name")
  if [[ -d fuzz/regressions/$name ]]; then corpora+=("fuzz/regressions/$name"); fi
  dict=()
  for d in "fuzz/dict/$name.dict" "fuzz/dict/${name%%_*}.dict"; do
    if [[ -f $d ]]; then
      dict=(-dict="$d")
      break
    fi
  done
  log=$dir/bench_fuzz_$name.log
  if ! "$dir/fuzz/fuzz_$name" -max_total_time=$((minutes * 60)) -timeout=5 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" "${corpora[@]}" \
    >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "bench/fuzz.sh: fuzz_$name failed; the input is in $artifacts/, the log in $log" >&2
    exit 1
  fi
  # "#N<TAB>INITED cov: C ft: F corp: K/SIZE ..." once the seeds are read, and the same with DONE
  # at the end.
  start_line=$(grep -m1 'INITED' "$log" || true)
  end_line=$(grep 'DONE' "$log" | tail -n 1 || true)
  start=$(corp "$start_line")
  end=$(corp "$end_line")
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$end_line")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$end_line")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  printf '%-14s %8s %12s %8s %6s %7s %13s %13s %7s\n' "$name" "$minutes" "$execs" "$rate" \
    "$cov" "$ft" "$start" "$end" "$rss"
done
