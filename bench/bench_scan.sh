#!/usr/bin/env bash
# bench_scan.sh [--triage BIN] [--work DIR] [--runs N] [--results DIR] CORPUSDIR
#
# Times `triage scan` on the benchmark corpus (../shared/bench/make_corpus.sh) beside what an
# examiner would otherwise run, in one run, and checks triage's file hashes against truth.json:
#   md5sum, sha1sum, sha256sum of the raw image (each alone)
#   openssl dgst -md5 / -sha1 / -sha256 in parallel (the floor for md5+sha1+sha256 of the image)
#   ewfverify -q of the E01
#   tsk_recover -e of each partition (mmls offsets) + hashdeep -c md5,sha1,sha256 -r of the tree
#   triage scan IMAGE --case DIR --quiet --disable yara on the raw image, the E01 and the split raw (.001)
# Every command: GNU time '%e %U %S %M' (wall, user, sys, peak RSS), page-cached images, fresh
# output folders, `sync` before it (untimed). Rounds are interleaved; the table shows the median
# wall of RUNS rounds (min-max), the CPU (user+sys) of that median run and the largest peak RSS.
#
#   --triage BIN   triage binary (env TRIAGE; default REPO/build/triage)
#   --work DIR     scratch: cases, recovered tree, raw timings (env WORKDIR; default
#                  /tmp/bench_scan; needs ~ the allocated file bytes of the image, 0.6 GiB at 1 GiB)
#   --runs N       timed rounds (env RUNS; default 3)
#   --results DIR  where scan-<UTC date>.md goes (env RESULTS; default REPO/bench/results)
#
# Output: the Markdown table and correctness tables on stdout and in RESULTS/scan-<date>.md;
# per-run figures in WORKDIR/runs.tsv. Keep CORPUSDIR and WORKDIR outside the git tree.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TRIAGE=${TRIAGE:-$REPO/build/triage}
WORKDIR=${WORKDIR:-/tmp/bench_scan}
RUNS=${RUNS:-3}
RESULTS=${RESULTS:-$HERE/results}
PY=/usr/bin/python3
usage() { sed -n '2,22p' "$0"; exit 2; }
# parse_args, measure, sum_rows, load, q
source "$(dirname "${BASH_SOURCE[0]}")/measure_lib.sh"
parse_args bench_scan.sh "$@"
export LC_ALL=C.UTF-8 TZ=UTC

die() { echo "bench_scan.sh: $*" >&2; exit 1; }
CORPUS=$(cd "$CORPUS" 2>/dev/null && pwd) || die "no corpus folder"
RAW=$CORPUS/disk_ext4.raw
E01=$CORPUS/disk_ext4.E01
SPLIT=$CORPUS/disk_ext4.001
for f in "$RAW" "$E01" "$SPLIT" "$CORPUS/truth.json"; do
  [ -f "$f" ] || die "missing $f (make it with make_corpus.sh OUTDIR 1 1024)"
done
case $TRIAGE in /*) ;; *) TRIAGE=$(pwd)/$TRIAGE ;; esac
[ -x "$TRIAGE" ] || die "no triage binary at $TRIAGE (build it, or pass --triage BIN / TRIAGE=BIN)"
for t in /usr/bin/time md5sum sha1sum sha256sum openssl ewfverify mmls tsk_recover hashdeep "$PY"; do
  command -v "$t" >/dev/null 2>&1 || die "missing tool $t (run bench/install-bench-deps.sh as root)"
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
case "$WORKDIR/" in "$REPO"/*) die "WORKDIR is inside the git tree: $WORKDIR" ;; esac

mkdir -p "$WORKDIR/logs" "$RESULTS" || die "cannot create $WORKDIR or $RESULTS"
WORKDIR=$(cd "$WORKDIR" && pwd)
TSV=$WORKDIR/runs.tsv
: > "$WORKDIR/logs/commands.txt"
printf 'id\tround\twall_s\tuser_s\tsys_s\tmaxrss_kib\texit\n' > "$TSV"
IMG_BYTES=$(stat -c %s "$RAW")

# partition starts (sectors) from mmls, as an examiner would take them
OFFSETS=$(mmls "$RAW" | awk '$2 ~ /^[0-9]+(:[0-9]+)?$/ && $3 ~ /^[0-9]+$/ {print $3+0}')
[ -n "$OFFSETS" ] || die "mmls found no partition in $RAW"

ORDER=()  # ids in the order first measured (commands.txt)
declare -A LABEL
LOAD_BEFORE=$(load)
echo "bench_scan: corpus $CORPUS ($((IMG_BYTES / 1048576)) MiB raw), triage $TRIAGE, $RUNS round(s), load $LOAD_BEFORE"
: > "$TSV.sum"
for ((round = 1; round <= RUNS; round++)); do
  echo "round $round/$RUNS"
  cat "$RAW" "$SPLIT" "$CORPUS"/disk_ext4.0[0-9][0-9] "$CORPUS"/disk_ext4.E[0-9][0-9] > /dev/null 2>&1  # page cache
  measure md5sum "$round" "md5sum raw" "md5sum $(q "$RAW")"
  measure sha1sum "$round" "sha1sum raw" "sha1sum $(q "$RAW")"
  measure sha256sum "$round" "sha256sum raw" "sha256sum $(q "$RAW")"
  measure openssl3 "$round" "openssl dgst -md5 & -sha1 & -sha256 raw (parallel; floor)" \
    "openssl dgst -md5 $(q "$RAW") & openssl dgst -sha1 $(q "$RAW") & openssl dgst -sha256 $(q "$RAW") & wait"
  measure ewfverify "$round" "ewfverify -q E01" "ewfverify -q $(q "$E01")"
  rm -rf "$WORKDIR/recover"; mkdir -p "$WORKDIR/recover"
  rec=""
  for o in $OFFSETS; do
    rec+="${rec:+ && }tsk_recover -e -o $o $(q "$RAW") $(q "$WORKDIR/recover/p$o")"
  done
  measure tsk_recover "$round" "tsk_recover -e per partition (mmls -o offsets), raw" "$rec"
  measure hashdeep "$round" "hashdeep -c md5,sha1,sha256 -r recovered tree" \
    "cd $(q "$WORKDIR/recover") && hashdeep -c md5,sha1,sha256 -r -l ."
  for kind in raw e01 split; do
    case $kind in raw) img=$RAW ;; e01) img=$E01 ;; split) img=$SPLIT ;; esac
    rm -rf "$WORKDIR/case_$kind"
    # Hashing only (as the anchors it is set against); YARA has its own bench: bench_yara.sh.
    measure "triage_$kind" "$round" "triage scan $(basename "$img") --quiet --disable yara" \
      "exec $(q "$TRIAGE") scan $(q "$img") --case $(q "$WORKDIR/case_$kind") --quiet --disable yara"
  done
done
sum_rows examiner "examiner pipeline: tsk_recover + hashdeep (sum)" tsk_recover hashdeep
cat "$TSV.sum" >> "$TSV"; rm -f "$TSV.sum"
LOAD_AFTER=$(load)

# ------------------------------------------------------------------ table
DATE=$(date -u +%Y-%m-%d)
OUT=$RESULTS/scan-$DATE.md
[ -e "$OUT" ] && OUT=$RESULTS/scan-$DATE-$(date -u +%H%M%S).md
# summary per id: median wall (by wall), min, max, CPU of the median run, max RSS, worst exit
summary() {
  awk -F'\t' -v id="$1" 'NR > 1 && $1 == id {print $3 "\t" ($4 + $5) "\t" $6 "\t" $7}' "$TSV" | sort -n |
    awk -F'\t' 'BEGIN {m = 0; x = 0} {w[NR] = $1; c[NR] = $2; if ($3 + 0 > m) m = $3 + 0; if ($4 + 0 > x) x = $4 + 0}
      END { if (NR == 0) exit; k = int((NR + 1) / 2); printf "%s %s %s %s %s %s\n", w[k], w[1], w[NR], c[k], m, x }'
}
read -r TRI_WALL _ < <(summary triage_raw)
{
  echo "# triage scan speed: $(basename "$CORPUS") ($((IMG_BYTES / 1048576)) MiB raw image)"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores," \
    "$(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo) GiB RAM; load average $LOAD_BEFORE before, $LOAD_AFTER after."
  echo "$("$TRIAGE" --version 2>&1 | head -1) ($TRIAGE); repo HEAD $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$( [ -n "$(git -C "$REPO" status --porcelain 2>/dev/null | head -1)" ] && echo ' + uncommitted changes');" \
    "$(mmls -V 2>&1 | head -1); hashdeep $(hashdeep -V 2>&1 | head -1); $(ewfverify -V 2>&1 | head -1); $(openssl version)."
  echo
  echo "Page-cached images; wall = median of $RUNS interleaved round(s) (min-max); CPU = user+sys of that run;" \
    "MiB/s = raw image size / median wall; peak RSS = largest process; last column = wall / triage raw-scan wall" \
    "(above 1: slower than triage)."
  echo
  echo "| command | wall s | CPU s | MiB/s | peak RSS MiB | wall / triage raw |"
  echo "|---|---|---|---|---|---|"
  for id in md5sum sha1sum sha256sum openssl3 ewfverify examiner tsk_recover hashdeep triage_raw triage_e01 triage_split; do
    case $id in tsk_recover|hashdeep) pre="  ↳ " ;; *) pre="" ;; esac
    read -r med mn mx cpu rss ex < <(summary "$id") || continue
    awk -v l="$pre${LABEL[$id]}" -v med="$med" -v mn="$mn" -v mx="$mx" -v cpu="$cpu" -v rss="$rss" -v ex="$ex" \
        -v runs="$RUNS" -v img="$IMG_BYTES" -v tri="$TRI_WALL" 'BEGIN {
      w = sprintf("%.2f", med); if (runs > 1) w = w sprintf(" (%.2f-%.2f)", mn, mx)
      mbs = (med > 0) ? sprintf("%.0f", img / 1048576 / med) : "-"
      ratio = (tri > 0) ? sprintf("%.2f", med / tri) : "-"
      if (ex != 0) l = l " **exit " ex "**"
      printf "| %s | %s | %.2f | %s | %.1f | %s |\n", l, w, cpu, mbs, rss / 1024, ratio }'
  done
  echo
  for kind in raw e01 split; do
    "$PY" "$HERE/check_truth.py" "$CORPUS" "$WORKDIR/case_$kind" "triage scan $kind ($(basename "$WORKDIR")/case_$kind)"
    echo
  done
  echo "Commands (CORPUS = $CORPUS, WORK = $WORKDIR):"
  echo
  echo '```'
  cat "$WORKDIR/logs/commands.txt"
  echo '```'
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
echo
echo "written: $OUT; per-run figures: $TSV"
