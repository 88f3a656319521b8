#!/usr/bin/env bash
# Installs the dependencies, builds triage and its tests, and runs every test through CTest.
# Tests read ../shared (testdata) beside the checkout; set SHARED_DIR to use another place.
# SANITIZE=1 builds and tests with AddressSanitizer + UndefinedBehaviorSanitizer instead.
# After the ordinary run, the sanitizer block at the end runs the suite again under ASan+UBSan (and
# on request the engine tests under ThreadSanitizer; SANITIZERS= to skip, see there).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_DIR=${SHARED_DIR:-$ROOT/../shared}
BUILD=${BUILD_DIR:-$ROOT/build}
SAN=OFF
if [ "${SANITIZE:-0}" = 1 ]; then SAN=ON; BUILD=${BUILD_DIR:-$ROOT/build-asan}; fi

if [ "${SKIP_DEPS:-0}" != 1 ]; then bash "$ROOT/scripts/install-deps.sh"; fi
if [ ! -d "$SHARED_DIR/testdata" ]; then
  echo "error: test data not found at $SHARED_DIR/testdata (set SHARED_DIR=/path/to/shared)" >&2
  exit 1
fi
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRIAGE_SANITIZE=$SAN -DTRIAGE_BUILD_TESTS=ON \
  -DTRIAGE_SHARED_DIR="$(cd "$SHARED_DIR" && pwd)"
cmake --build "$BUILD" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$BUILD"
ctest --output-on-failure -j"$(nproc)" --timeout 1500
# Then every fuzz target for a short time on its committed corpus (clang + libFuzzer, ASan+UBSan;
# only the parser sources are built). FUZZ_SECONDS=0 skips it.
if [ "${FUZZ_SECONDS:-20}" != 0 ]; then
  FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz} FUZZ_JOBS=${FUZZ_JOBS:-$(nproc)} bash "$ROOT/tests/fuzz/run.sh" "${FUZZ_SECONDS:-20}"
fi

# ---- sanitizers (issue 11, item 7; docs/reliability/signals-sanitizers.md) ----------------
# CI (.ci/run) runs, after the ordinary build and tests above:
#   asan  every test under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan),
#   tsan  the parallel engine's tests ([engine]: worker pool, index writer thread, scans;
#         [plugins]: plugin processes; [evidence]: the hashing thread) under ThreadSanitizer
#         (build-tsan).
# CI runs asan only (default): the TSan build and run take about 22 more minutes on 2 cores
# (measured 2026-11-29: no race), past CI's 45. SANITIZERS="asan tsan" adds tsan,
# SANITIZERS= skips both (a quick local run).
SANITIZERS=${SANITIZERS-asan}  # TSan: SANITIZERS="asan tsan" (RELIABILITY.md has its last run)
if [ "$SAN" = ON ]; then SANITIZERS=${SANITIZERS//asan/}; fi  # SANITIZE=1 was that run already
for san in $SANITIZERS; do
  case $san in
    # CI keeps under 45 minutes on 2 cores: the ASan+UBSan run leaves out the groups that spend
    # their time in external tools or in sheer volume (Chromium for the report and exports, the
    # 10 GB sparse file, the 96-image battery, the shadow-copy volumes, the kill points), which
    # ASAN_ALL=1 adds back (as SANITIZE=1 does for the whole suite).
    asan) sbuild=$ROOT/build-asan; sflags=(-DTRIAGE_SANITIZE=ON -DTRIAGE_TSAN=OFF)
          if [ "${ASAN_ALL:-0}" = 1 ]; then stests=(); else stests=(-E '^(volumes|signals|hostile|battery|exports|report)$'); fi ;;
    tsan) sbuild=$ROOT/build-tsan; sflags=(-DTRIAGE_SANITIZE=OFF -DTRIAGE_TSAN=ON); stests=(-R '^(engine|plugins|evidence)$') ;;
    *) echo "error: SANITIZERS: unknown '$san' (asan, tsan)" >&2; exit 2 ;;
  esac
  echo "== $san: build and test in $sbuild"
  cmake -S "$ROOT" -B "$sbuild" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${sflags[@]}" -DTRIAGE_BUILD_TESTS=ON \
    -DTRIAGE_SHARED_DIR="$(cd "$SHARED_DIR" && pwd)"
  cmake --build "$sbuild" -j"$(nproc)"
  (
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/tests/tsan.supp}
    cd "$sbuild" && ctest --output-on-failure -j"$(nproc)" --timeout 2400 "${stests[@]}"
  )
done
# ---- end of the sanitizer block -----------------------------------------------------------
