#!/usr/bin/env bash
# bench_yara.sh [--triage BIN] [--rules FILE] [--work DIR] [--runs N] [--results DIR] CORPUSDIR
#
# Times YARA in `triage scan` beside the examiner's YARA runs on the same image with the same
# rules, in one run, and checks that triage's (file, rule) matches equal `yara -r`'s:
#   triage scan RAW --case DIR --quiet --option yara.default_rules=false --rules RULES  (YARA on)
#   triage scan RAW --case DIR --quiet --disable yara                                 (YARA off)
#   tsk_recover -e of each partition (mmls offsets) + yara -r -w RULES recovered/      (sum of both)
#   yara -w RULES RAW                                                                 (raw image)
# Every command: GNU time '%e %U %S %M' (wall, user, sys, peak RSS), page-cached image, fresh
# output folders, `sync` before it (untimed). Rounds are interleaved; the table shows the median
# wall of RUNS rounds (min-max), the CPU (user+sys) of that median run and the largest peak RSS.
#
#   --triage BIN   triage binary (env TRIAGE; default REPO/build/triage)
#   --rules FILE   YARA rule file, includes allowed (env RULES; default REPO/rules/index.yar if it
#                  exists, else REPO/../shared/bench/rules/index_fast.yar)
#   --work DIR     scratch: cases, recovered tree, raw timings (env WORKDIR; default /tmp/bench_yara)
#   --runs N       timed rounds (env RUNS; default 3)
#   --results DIR  where yara-<UTC date>.md goes (env RESULTS; default REPO/bench/results)
#
# Output: the Markdown table and the correctness check (check_yara.py, on the last round's case
# and yara -r output) on stdout and in RESULTS/yara-<date>.md; per-run figures in
# WORKDIR/runs.tsv. Keep CORPUSDIR and WORKDIR outside the git tree.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TRIAGE=${TRIAGE:-$REPO/build/triage}
if [ -z "${RULES:-}" ]; then
  if [ -f "$REPO/rules/index.yar" ]; then RULES=$REPO/rules/index.yar
  else RULES=$(cd "$REPO/.." && pwd)/shared/bench/rules/index_fast.yar; fi
fi
WORKDIR=${WORKDIR:-/tmp/bench_yara}
RUNS=${RUNS:-3}
RESULTS=${RESULTS:-$HERE/results}
PY=/usr/bin/python3
usage() { sed -n '2,23p' "$0"; exit 2; }
# parse_args, measure, sum_rows, load, q
source "$(dirname "${BASH_SOURCE[0]}")/measure_lib.sh"
parse_args bench_yara.sh "$@"
export LC_ALL=C.UTF-8 TZ=UTC

die() { echo "bench_yara.sh: $*" >&2; exit 1; }
CORPUS=$(cd "$CORPUS" 2>/dev/null && pwd) || die "no corpus folder"
RAW=$CORPUS/disk_ext4.raw
[ -f "$RAW" ] || die "missing $RAW (make it with make_corpus.sh OUTDIR 1 1024)"
case $TRIAGE in /*) ;; *) TRIAGE=$(pwd)/$TRIAGE ;; esac
[ -x "$TRIAGE" ] || die "no triage binary at $TRIAGE (build it, or pass --triage BIN / TRIAGE=BIN)"
[ -f "$RULES" ] || die "no rule file $RULES (pass --rules FILE / RULES=FILE)"
RULES=$(cd "$(dirname "$RULES")" && pwd)/$(basename "$RULES")
for t in /usr/bin/time mmls tsk_recover yara "$PY"; do
  command -v "$t" >/dev/null 2>&1 || die "missing tool $t (run bench/install-bench-deps.sh as root)"
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
case "$WORKDIR/" in "$REPO"/*) die "WORKDIR is inside the git tree: $WORKDIR" ;; esac

mkdir -p "$WORKDIR/logs" "$RESULTS" || die "cannot create $WORKDIR or $RESULTS"
WORKDIR=$(cd "$WORKDIR" && pwd)
# both sides must compile the same rules: fail early if yara itself cannot
yara -w "$RULES" /dev/null >/dev/null 2>"$WORKDIR/logs/rulecheck.err" ||
  die "yara cannot compile $RULES: $(head -3 "$WORKDIR/logs/rulecheck.err")"
# rule_files FILE: FILE and, recursively, the files it includes (relative to the including file)
rule_files() {
  local f=$1 d inc
  echo "$f"; d=$(dirname "$f")
  sed -n 's/^[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | while IFS= read -r inc; do
    case $inc in /*) ;; *) inc=$d/$inc ;; esac
    [ -f "$inc" ] && rule_files "$inc"
  done
}
mapfile -t RULE_FILES < <(rule_files "$RULES")
N_RULES=$(cat "${RULE_FILES[@]}" | grep -c '^[[:space:]]*\(\(private\|global\)[[:space:]]\+\)*rule[[:space:]]')
RULES_SHA=$(cat "${RULE_FILES[@]}" | sha256sum | cut -c1-16)
TSV=$WORKDIR/runs.tsv
: > "$WORKDIR/logs/commands.txt"
printf 'id\tround\twall_s\tuser_s\tsys_s\tmaxrss_kib\texit\n' > "$TSV"
IMG_BYTES=$(stat -c %s "$RAW")

# partition starts (sectors) from mmls, as an examiner would take them
MMLS=$(mmls "$RAW") || die "mmls failed on $RAW"
OFFSETS=$(echo "$MMLS" | awk '$2 ~ /^[0-9]+(:[0-9]+)?$/ && $3 ~ /^[0-9]+$/ {print $3+0}')
[ -n "$OFFSETS" ] || die "mmls found no partition in $RAW"
SECTOR=$(echo "$MMLS" | sed -n 's/.*Units are in \([0-9][0-9]*\)-byte sectors.*/\1/p' | head -1)
SECTOR=${SECTOR:-512}

ORDER=()
declare -A LABEL
LOAD_BEFORE=$(load)
echo "bench_yara: corpus $CORPUS ($((IMG_BYTES / 1048576)) MiB raw), rules $RULES, triage $TRIAGE, $RUNS round(s), load $LOAD_BEFORE"
: > "$TSV.sum"
for ((round = 1; round <= RUNS; round++)); do
  echo "round $round/$RUNS"
  cat "$RAW" > /dev/null  # page cache
  rm -rf "$WORKDIR/case_yara" "$WORKDIR/case_noyara"
  measure triage_yara "$round" "triage scan raw, YARA on (--rules RULES)" \
    "exec $(q "$TRIAGE") scan $(q "$RAW") --case $(q "$WORKDIR/case_yara") --quiet --option yara.default_rules=false --rules $(q "$RULES")"
  measure triage_noyara "$round" "triage scan raw, YARA off (--disable yara)" \
    "exec $(q "$TRIAGE") scan $(q "$RAW") --case $(q "$WORKDIR/case_noyara") --quiet --disable yara"
  rm -rf "$WORKDIR/recover"; mkdir -p "$WORKDIR/recover"
  rec=""
  for o in $OFFSETS; do
    rec+="${rec:+ && }tsk_recover -e -o $o $(q "$RAW") $(q "$WORKDIR/recover/p$o")"
  done
  measure tsk_recover "$round" "tsk_recover -e per partition (mmls -o offsets)" "$rec"
  measure yara_dir "$round" "yara -r -w RULES recovered tree" "exec yara -r -w $(q "$RULES") $(q "$WORKDIR/recover")"
  measure yara_raw "$round" "yara -w RULES raw image" "exec yara -w $(q "$RULES") $(q "$RAW")"
done
sum_rows examiner "examiner pipeline: tsk_recover + yara -r (sum)" tsk_recover yara_dir
cat "$TSV.sum" >> "$TSV"; rm -f "$TSV.sum"
LOAD_AFTER=$(load)

# ------------------------------------------------------------------ table
DATE=$(date -u +%Y-%m-%d)
OUT=$RESULTS/yara-$DATE.md
[ -e "$OUT" ] && OUT=$RESULTS/yara-$DATE-$(date -u +%H%M%S).md
# summary per id: median wall (by wall), min, max, CPU of the median run, max RSS, worst exit
summary() {
  awk -F'\t' -v id="$1" 'NR > 1 && $1 == id {print $3 "\t" ($4 + $5) "\t" $6 "\t" $7}' "$TSV" | sort -n |
    awk -F'\t' 'BEGIN {m = 0; x = 0} {w[NR] = $1; c[NR] = $2; if ($3 + 0 > m) m = $3 + 0; if ($4 + 0 > x) x = $4 + 0}
      END { if (NR == 0) exit; k = int((NR + 1) / 2); printf "%s %s %s %s %s %s\n", w[k], w[1], w[NR], c[k], m, x }'
}
read -r ON_WALL _ ON_CPU _ < <(summary triage_yara | awk '{print $1, 0, $4, 0}')
read -r OFF_WALL _ OFF_CPU _ < <(summary triage_noyara | awk '{print $1, 0, $4, 0}')
read -r DIR_WALL _ DIR_CPU _ < <(summary yara_dir | awk '{print $1, 0, $4, 0}')
read -r EX_WALL _ < <(summary examiner)
read -r RAWY_WALL _ < <(summary yara_raw)
{
  echo "# YARA in triage scan vs yara: $(basename "$CORPUS") ($((IMG_BYTES / 1048576)) MiB raw image), rules $(basename "$RULES")"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores," \
    "$(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo) GiB RAM; load average $LOAD_BEFORE before, $LOAD_AFTER after."
  echo "$("$TRIAGE" --version 2>&1 | head -1) ($TRIAGE, built $(date -u -r "$TRIAGE" +%Y-%m-%dT%H:%M:%SZ)); repo HEAD at run time $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$( [ -n "$(git -C "$REPO" status --porcelain 2>/dev/null | head -1)" ] && echo ' + uncommitted changes');" \
    "yara $(yara -v 2>&1 | head -1); $(mmls -V 2>&1 | head -1)."
  echo "Rules: $RULES and its includes: ${#RULE_FILES[@]} file(s), $N_RULES rules, sha256 of their concatenation $RULES_SHA...;" \
    "triage gets them with \`--option yara.default_rules=false --rules RULES\` (the shipped rules/ set is off)."
  echo
  echo "Page-cached image; wall = median of $RUNS interleaved round(s) (min-max); CPU = user+sys of that run;" \
    "MiB/s = raw image size / median wall; peak RSS = largest process; last column = wall / wall of triage scan with" \
    "YARA on (above 1: slower than triage)."
  echo
  echo "| command | wall s | CPU s | MiB/s | peak RSS MiB | wall / triage YARA on |"
  echo "|---|---|---|---|---|---|"
  for id in triage_yara triage_noyara examiner tsk_recover yara_dir yara_raw; do
    case $id in tsk_recover|yara_dir) pre="  ↳ " ;; *) pre="" ;; esac
    read -r med mn mx cpu rss ex < <(summary "$id") || continue
    awk -v l="$pre${LABEL[$id]}" -v med="$med" -v mn="$mn" -v mx="$mx" -v cpu="$cpu" -v rss="$rss" -v ex="$ex" \
        -v runs="$RUNS" -v img="$IMG_BYTES" -v tri="$ON_WALL" 'BEGIN {
      w = sprintf("%.2f", med); if (runs > 1) w = w sprintf(" (%.2f-%.2f)", mn, mx)
      mbs = (med > 0) ? sprintf("%.0f", img / 1048576 / med) : "-"
      ratio = (tri > 0) ? sprintf("%.2f", med / tri) : "-"
      if (ex != 0) l = l " **exit " ex "**"
      printf "| %s | %s | %.2f | %s | %.1f | %s |\n", l, w, cpu, mbs, rss / 1024, ratio }'
  done
  echo
  awk -v on="$ON_WALL" -v off="$OFF_WALL" -v onc="$ON_CPU" -v offc="$OFF_CPU" -v dir="$DIR_WALL" -v dirc="$DIR_CPU" \
      -v ex="$EX_WALL" -v raw="$RAWY_WALL" 'BEGIN {
    d = on - off; dc = onc - offc
    printf "Ratios (medians): YARA inside triage costs %.2f s wall, %.2f s CPU (on - off; %.2fx the YARA-off scan);", d, dc, (off > 0 ? on / off : 0)
    printf " `yara -r` over the recovered tree takes %.2f s wall, %.2f s CPU", dir, dirc
    if (dc > 0) printf " (%.2fx triage'"'"'s YARA CPU cost)", dirc / dc
    if (d <= 0) printf "; the wall difference is not above the noise here, compare CPU"
    printf ". Examiner pipeline / triage YARA on: %.2f; yara over the raw image / triage YARA on: %.2f.\n", (on > 0 ? ex / on : 0), (on > 0 ? raw / on : 0) }'
  echo
  "$PY" "$HERE/check_yara.py" "$WORKDIR/case_yara" "$WORKDIR/logs/yara_dir.out" "$WORKDIR/recover" "$SECTOR" \
    --raw "$WORKDIR/logs/yara_raw.out"
  echo
  echo "Commands (CORPUS = $CORPUS, WORK = $WORKDIR, RULES = $RULES; stdout to WORK/logs/ID.out):"
  echo
  echo '```'
  cat "$WORKDIR/logs/commands.txt"
  echo '```'
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
echo
echo "written: $OUT; per-run figures: $TSV"
