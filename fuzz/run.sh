#!/usr/bin/env bash
# Runs every fuzz target for a bounded time on the stable toolchain (libFuzzer, no sanitizer:
# Rust's own checks — bounds, overflow in debug assertions, explicit asserts in the targets —
# are the oracle). Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
# Prints executions per target; exits non-zero on the first crash, with the reproducer path.
set -euo pipefail
cd "$(dirname "$0")"
SECS=${1:-20}; shift || true
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz@0.13.2
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || mapfile -t TARGETS < <(cargo fuzz list)
echo "building fuzz targets (first build takes a few minutes)…"; cargo fuzz build -s none --release
printf '%-22s %14s %10s %s\n' target executions exec/s result
for t in "${TARGETS[@]}"; do
  work=$(mktemp -d)
  mkdir -p "corpus/$t"
  # New inputs go to a scratch directory: the committed seed corpus stays as reviewed.
  if cargo fuzz run -s none --release "$t" "$work" "corpus/$t" -- -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$work.log" 2>&1; then
    result=ok
  else
    result=CRASH
  fi
  execs=$(grep -m1 'stat::number_of_executed_units' "$work.log" | awk '{print $2}')
  rate=$(grep -m1 'stat::average_exec_per_sec' "$work.log" | awk '{print $2}')
  printf '%-22s %14s %10s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$result"
  if [ "$result" != ok ]; then
    grep -E 'panicked|ERROR|Test unit written|artifact_prefix|Failing input' "$work.log" | head -20
    echo "reproduce: (cd fuzz && cargo fuzz run -s none --release $t artifacts/$t/<file>)"
    exit 1
  fi
  rm -rf "$work" "$work.log"
done
