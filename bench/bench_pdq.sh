#!/usr/bin/env bash
# PDQ detector throughput: images per second through `triage scan --enable pdq` on the PDQ
# reference images (../shared/testdata/pdq/data), copied COPIES times into an ext4 image.
# The time includes reading the files from the image; the 'hash only' run shows that part.
#
# usage: bench/bench_pdq.sh [--triage BIN] [--copies N] [--jobs N] [--shared DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
TRIAGE="${TRIAGE:-$here/build/triage}"
COPIES="${COPIES:-10}"
JOBS="${JOBS:-1}"
SHARED="${SHARED:-$here/../shared}"
while [ $# -gt 0 ]; do
  case "$1" in
    --triage) TRIAGE="$2"; shift 2 ;;
    --copies) COPIES="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --shared) SHARED="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
src="$SHARED/testdata/pdq/data"
[ -d "$src" ] || { echo "no PDQ reference images in $src" >&2; exit 1; }
work="$(mktemp -d /tmp/bench_pdq.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/tree"
n=0
for c in $(seq 1 "$COPIES"); do
  mkdir "$work/tree/$c"
  while IFS= read -r -d '' f; do
    cp "$f" "$work/tree/$c/"; n=$((n + 1))
  done < <(find "$src" -type f \( -name '*.jpg' -o -name '*.png' \) -print0)
done
bytes=$(du -sb "$work/tree" | cut -f1)
mke2fs -q -t ext4 -d "$work/tree" -F "$work/img" $(( bytes / 1024 / 1024 * 2 + 64 ))M >/dev/null 2>&1
cat "$work/img" > /dev/null
run() {   # label, detectors
  local t0 t1
  t0=$(date +%s.%N)
  "$TRIAGE" scan "$work/img" --case "$work/case-$2" --quiet --jobs "$JOBS" --enable "$2" >/dev/null
  t1=$(date +%s.%N)
  awk -v l="$1" -v n="$n" -v mb=$((bytes / 1048576)) -v a="$t0" -v b="$t1" -v j="$JOBS" \
    'BEGIN { printf "%s: %d images (%d MiB) in %.2f s, %.1f images/s (--jobs %d)\n", l, n, mb, b - a, n / (b - a), j }'
}
run "hash only" hash
run "pdq only " pdq
hashed=$(sqlite3 "$work/case-pdq/index.db" "SELECT count(*) FROM hashes WHERE algorithm = 'pdq'")
echo "pdq hashes stored: $hashed of $n images"
