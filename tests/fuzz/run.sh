#!/usr/bin/env bash
# Runs the libFuzzer targets: tests/fuzz/run.sh [SECONDS] [TARGET...]
# Builds the clang fuzz build if needed (FUZZ_BUILD_DIR, default build-fuzz beside the sources;
# only the parser sources the targets need), replays each target's committed corpus and
# regression inputs, then fuzzes it for SECONDS (default 60) from that corpus. New inputs go to a
# scratch folder (FUZZ_WORK_DIR, default a new temporary folder), never to the committed corpus;
# crashes are saved there as crash-*/leak-*/timeout-* and the script exits 1 naming them.
# FUZZ_JOBS=N runs N targets at a time (default 1). Prints executions per target.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_EACH=${1:-60}
shift || true
ALL=(carve_validators hashset_import pdq_image identifiers archive_paths report_escape)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
WORK=${FUZZ_WORK_DIR:-$(mktemp -d /tmp/triage-fuzz.XXXXXX)}
JOBS=${FUZZ_JOBS:-1}

for t in "${TARGETS[@]}"; do
  [ -f "$ROOT/tests/fuzz/$t.cpp" ] || { echo "error: no fuzz target '$t' (targets: ${ALL[*]})" >&2; exit 2; }
done
CXX_FUZZ=$(command -v clang++ || command -v clang++-14 || true)
CC_FUZZ=$(command -v clang || command -v clang-14 || true)
if [ -z "$CXX_FUZZ" ] || [ -z "$CC_FUZZ" ]; then
  echo "error: clang not found (Debian 12: apt-get install clang libclang-rt-14-dev; scripts/install-deps.sh does)" >&2
  exit 2
fi
# -O1 with line tables only: what libFuzzer recommends, and quick to build on 2 cores.
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_C_COMPILER="$CC_FUZZ" -DCMAKE_CXX_COMPILER="$CXX_FUZZ" -DTRIAGE_FUZZ=ON \
  -DTRIAGE_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=FuzzBuild -DCMAKE_CXX_FLAGS_FUZZBUILD="-O1 -gline-tables-only" \
  -DCMAKE_C_FLAGS_FUZZBUILD="-O1 -gline-tables-only" >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log" >&2; exit 2; }
cmake --build "$BUILD" -j"$(nproc)" --target $(printf 'fuzz_%s ' "${TARGETS[@]}") >"$WORK/build.log" 2>&1 ||
  { tail -50 "$WORK/build.log" >&2; exit 2; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run_one() {
  local t=$1 bin="$BUILD/fuzz/fuzz_$1" dir="$WORK/$1" reg="$ROOT/tests/fuzz/regressions/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts" "$dir/tmp"
  # Scratch files of the targets (hashset_import writes its input there) stay in the work folder:
  # libFuzzer ends without running atexit handlers that would remove them.
  export TMPDIR="$dir/tmp"
  local regs=()
  [ -d "$reg" ] && regs=("$reg")
  # Replay first: every committed input must pass before new ones are looked for.
  if ! "$bin" -runs=0 "$ROOT/tests/fuzz/corpus/$t" "${regs[@]}" >"$dir/replay.log" 2>&1; then
    echo "$t: FAILED on a committed input (see $dir/replay.log)"
    tail -30 "$dir/replay.log"
    return 1
  fi
  local rc=0
  "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" "$dir/corpus" "$ROOT/tests/fuzz/corpus/$t" >"$dir/fuzz.log" 2>&1 || rc=$?
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/fuzz.log" | grep -o '[0-9]*$' || echo "?")
  local found
  found=$(ls "$dir/artifacts" 2>/dev/null | tr '\n' ' ')
  if [ $rc -ne 0 ] || [ -n "$found" ]; then
    echo "$t: CRASH after $execs executions: $found(in $dir/artifacts; log $dir/fuzz.log)"
    grep -E 'ERROR:|invariant broken|SUMMARY' -A3 "$dir/fuzz.log" | head -20
    return 1
  fi
  echo "$t: $execs executions in ${SECONDS_EACH}s, no crash ($(ls "$dir/corpus" | wc -l) new inputs in $dir/corpus)"
}

fail=0
pids=()
for t in "${TARGETS[@]}"; do
  run_one "$t" >"$WORK/$t.result" 2>&1 &
  pids+=($!)
  if [ ${#pids[@]} -ge "$JOBS" ]; then
    wait "${pids[0]}" || fail=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
for t in "${TARGETS[@]}"; do cat "$WORK/$t.result"; done
echo "fuzz work folder: $WORK"
exit $fail
