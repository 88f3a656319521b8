#!/usr/bin/env bash
# bench_perf.sh [--triage BIN] [--rules FILE] [--work DIR] [--runs N] [--results DIR]
#               [--groups LIST] [--presets LIST] [--forms LIST] CORPUSDIR...
#
# Issue 8's benchmark: on each corpus (../shared/bench/make_corpus.sh; e.g. a 1 GiB and a 4 GiB
# one), in one run, with interleaved rounds, times and sets side by side:
#   floor     cat RAW >/dev/null; openssl dgst -md5 & -sha1 & -sha256 of RAW in parallel;
#             ewfverify -q of the E01
#   examiner  tsk_recover -e per partition (mmls offsets) + hashdeep -c md5,sha1,sha256 -r of the
#             recovered tree + yara -r -w RULES of that tree + photorec over RAW (as
#             ../shared/bench/run_anchors.sh runs it): one row, the sum, and each step below it
#   triage    triage scan of the raw image, the E01 and the split raw (.001) in two presets:
#             hashes (image hash, file hashes, hash sets, type) and full (every detector, carving
#             included, YARA with RULES). With `triage scan --preset` available it is used;
#             otherwise the presets are emulated with --enable (see README.md).
# It checks triage's file and image hashes against truth.json (check_truth.py) and triage's YARA
# matches against yara -r's (check_yara.py), reads the bytes read from each case's audit log
# (audit_reads.py), and checks issue 8's targets (met / missed).
#
#   --triage BIN   triage binary (env TRIAGE; default REPO/build/triage)
#   --rules FILE   YARA rules for both sides (env RULES; default REPO/rules/index.yar)
#   --work DIR     scratch: cases, recovered trees, photorec output, timings (env WORKDIR; default
#                  /tmp/bench_perf; needs ~2 x the raw image size of the largest corpus)
#   --runs N       timed rounds (env RUNS; default 3)
#   --results DIR  where perf-<UTC date>.md goes (env RESULTS; default REPO/bench/results)
#   --groups LIST  row groups to run, comma-separated (env ROW_GROUPS; default floor,examiner,triage)
#   --presets LIST triage presets to time, comma-separated (env PRESETS; default hashes,full)
#   --forms LIST   image forms triage scans (env FORMS; default raw,e01,split); fewer presets or
#                  forms or groups make a shorter run on a busy machine (the targets they feed
#                  show n/a)
#   CORPUSDIR...   default: /tmp/bench-corpus-1g /tmp/bench-corpus-4g
#
# Every command: GNU time '%e %U %S %M %x' (wall, user, sys, peak RSS, exit), page-cached images
# (each corpus's images are read before its commands in every round), fresh output folders, an
# untimed `sync` before it. Figures are the median wall of RUNS rounds (min-max), the CPU of that
# median run, the largest peak RSS. Per-run figures: WORKDIR/runs.tsv; tool output: WORKDIR/logs/.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TRIAGE=${TRIAGE:-$REPO/build/triage}
RULES=${RULES:-$REPO/rules/index.yar}
WORKDIR=${WORKDIR:-/tmp/bench_perf}
RUNS=${RUNS:-3}
RESULTS=${RESULTS:-$HERE/results}
PY=/usr/bin/python3
ROW_GROUPS=${ROW_GROUPS:-floor,examiner,triage}
PRESETS=${PRESETS:-hashes,full}
FORMS=${FORMS:-raw,e01,split}
usage() { sed -n '2,36p' "$0"; exit 2; }
die() { echo "bench_perf.sh: $*" >&2; exit 1; }
# measure, sum_rows, load, q
source "$HERE/measure_lib.sh"
export LC_ALL=C.UTF-8 TZ=UTC

CORPORA=()
while [ $# -gt 0 ]; do
  case $1 in
    --triage) TRIAGE=$2; shift 2 ;;
    --rules) RULES=$2; shift 2 ;;
    --work) WORKDIR=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --results) RESULTS=$2; shift 2 ;;
    --groups) ROW_GROUPS=$2; shift 2 ;;
    --presets) PRESETS=$2; shift 2 ;;
    --forms) FORMS=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "bench_perf.sh: unknown option $1" >&2; usage ;;
    *) CORPORA+=("$1"); shift ;;
  esac
done
[ ${#CORPORA[@]} -gt 0 ] || CORPORA=(/tmp/bench-corpus-1g /tmp/bench-corpus-4g)
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
[[ ,$ROW_GROUPS, =~ ^(,(floor|examiner|triage))+,$ ]] || die "--groups wants a list of floor, examiner, triage (got '$ROW_GROUPS')"
[[ ,$PRESETS, =~ ^(,(hashes|full))+,$ ]] || die "--presets wants hashes, full or hashes,full (got '$PRESETS')"
[[ ,$FORMS, =~ ^(,(raw|e01|split))+,$ ]] || die "--forms wants a list of raw, e01, split (got '$FORMS')"
case $TRIAGE in /*) ;; *) TRIAGE=$(pwd)/$TRIAGE ;; esac
[ -x "$TRIAGE" ] || die "no triage binary at $TRIAGE (build it, or pass --triage BIN / TRIAGE=BIN)"
[ -f "$RULES" ] || die "no rule file $RULES (pass --rules FILE / RULES=FILE)"
RULES=$(cd "$(dirname "$RULES")" && pwd)/$(basename "$RULES")
for t in /usr/bin/time openssl ewfverify mmls tsk_recover hashdeep yara photorec "$PY"; do
  command -v "$t" >/dev/null 2>&1 || die "missing tool $t (run bench/install-bench-deps.sh as root)"
done
yara -w "$RULES" /dev/null >/dev/null 2>&1 || die "yara cannot compile $RULES"
case "$WORKDIR/" in "$REPO"/*) die "WORKDIR is inside the git tree: $WORKDIR" ;; esac
mkdir -p "$WORKDIR/logs" "$RESULTS" || die "cannot create $WORKDIR or $RESULTS"
WORKDIR=$(cd "$WORKDIR" && pwd)

# Per corpus: TAG (used in the ids), its images, size, partition offsets and sector size.
declare -A C_DIR C_RAW C_E01 C_SPLIT C_BYTES C_OFFS C_SECTOR
TAGS=()
for c in "${CORPORA[@]}"; do
  d=$(cd "$c" 2>/dev/null && pwd) || die "no corpus folder $c (make it with ../shared/bench/make_corpus.sh $c 1 SIZE_MB)"
  for f in disk_ext4.raw disk_ext4.E01 disk_ext4.001 truth.json hashsets/known_bad.hashdeep; do
    [ -f "$d/$f" ] || die "missing $d/$f (make it with ../shared/bench/make_corpus.sh $d 1 SIZE_MB)"
  done
  tag=$(( $(stat -c %s "$d/disk_ext4.raw") / 1048576 ))M
  [ -z "${C_DIR[$tag]+x}" ] || die "two corpora of the same size ($tag): $d and ${C_DIR[$tag]}"
  TAGS+=("$tag"); C_DIR[$tag]=$d
  C_RAW[$tag]=$d/disk_ext4.raw; C_E01[$tag]=$d/disk_ext4.E01; C_SPLIT[$tag]=$d/disk_ext4.001
  C_BYTES[$tag]=$(stat -c %s "$d/disk_ext4.raw")
  mm=$(mmls "$d/disk_ext4.raw") || die "mmls failed on $d/disk_ext4.raw"
  C_OFFS[$tag]=$(echo "$mm" | awk '$2 ~ /^[0-9]+(:[0-9]+)?$/ && $3 ~ /^[0-9]+$/ {print $3+0}')
  [ -n "${C_OFFS[$tag]}" ] || die "mmls found no partition in $d/disk_ext4.raw"
  s=$(echo "$mm" | sed -n 's/.*Units are in \([0-9][0-9]*\)-byte sectors.*/\1/p' | head -1)
  C_SECTOR[$tag]=${s:-512}
  # the corpus's known-bad set, imported once per run into a hash-set folder of its own
  # nothing of an earlier run may be checked as this run's
  rm -rf "$WORKDIR/$tag/hashsets" "$WORKDIR/$tag/yara_dir.out" "$WORKDIR/$tag"/case_*; mkdir -p "$WORKDIR/$tag"
  "$TRIAGE" hashset import -q --name known_bad --kind known-bad --hashsets "$WORKDIR/$tag/hashsets" \
    "$d/hashsets/known_bad.hashdeep" > "$WORKDIR/logs/$tag-hashset-import.log" 2>&1 ||
    die "triage hashset import failed for $d/hashsets/known_bad.hashdeep: $(tail -3 "$WORKDIR/logs/$tag-hashset-import.log")"
done

# The presets: --preset when this triage has it; else --enable (hashes) and the default set (full).
# Full always gets --carve (photorec is in the examiner's pipeline; carving is opt-in by default)
# and compiles exactly RULES, as yara -r does.
if "$TRIAGE" scan --help 2>&1 | grep -q -- '--preset'; then
  PRESET_MODE="triage scan --preset"
  HASHES_ARGS="--preset hashes"
  FULL_ARGS="--preset full --carve --option yara.default_rules=false --rules $(q "$RULES")"
else
  PRESET_MODE="emulated (this triage has no --preset)"
  HASHES_ARGS="--enable hash,hashset,filetype"
  FULL_ARGS="--carve --option yara.default_rules=false --rules $(q "$RULES")"
fi

TSV=$WORKDIR/runs.tsv
: > "$WORKDIR/logs/commands.txt"
printf 'id\tround\twall_s\tuser_s\tsys_s\tmaxrss_kib\texit\n' > "$TSV"
ORDER=()
declare -A LABEL
LOAD_BEFORE=$(load)
ROUND_LOADS=""
echo "bench_perf: ${TAGS[*]} corpora, triage $TRIAGE (presets: $PRESET_MODE), rules $RULES, $RUNS round(s), load $LOAD_BEFORE"
: > "$TSV.sum"
for ((round = 1; round <= RUNS; round++)); do
  ROUND_LOADS+="${ROUND_LOADS:+; }round $round: $(load)"
  for tag in "${TAGS[@]}"; do
    CORPUS=${C_DIR[$tag]}; RAW=${C_RAW[$tag]}; E01=${C_E01[$tag]}; SPLIT=${C_SPLIT[$tag]}; W=$WORKDIR/$tag
    echo "round $round/$RUNS, $tag ($CORPUS), load $(load)"
    cat "$RAW" "$CORPUS"/disk_ext4.0[0-9][0-9] "$CORPUS"/disk_ext4.E[0-9][0-9] > /dev/null 2>&1  # page cache
    if [[ ,$ROW_GROUPS, == *,floor,* ]]; then
      measure "${tag}_cat" "$round" "cat raw >/dev/null (read floor)" "cat $(q "$RAW") > /dev/null"
      measure "${tag}_openssl3" "$round" "openssl dgst -md5 & -sha1 & -sha256 raw (parallel; hash floor)" \
        "openssl dgst -md5 $(q "$RAW") & openssl dgst -sha1 $(q "$RAW") & openssl dgst -sha256 $(q "$RAW") & wait"
      measure "${tag}_ewfverify" "$round" "ewfverify -q E01" "exec ewfverify -q $(q "$E01")"
    fi
    if [[ ,$ROW_GROUPS, == *,examiner,* ]]; then
      # examiner: recover the files, hash them, YARA them, carve the image
      rm -rf "$W/recover" "$W/photorec"; mkdir -p "$W/recover" "$W/photorec"
      rec=""
      for o in ${C_OFFS[$tag]}; do rec+="${rec:+ && }tsk_recover -e -o $o $(q "$RAW") $(q "$W/recover/p$o")"; done
      measure "${tag}_tsk_recover" "$round" "tsk_recover -e per partition (mmls -o offsets)" "$rec"
      measure "${tag}_hashdeep" "$round" "hashdeep -c md5,sha1,sha256 -r recovered tree" \
        "cd $(q "$W/recover") && exec hashdeep -c md5,sha1,sha256 -r -l ."
      measure "${tag}_yara_dir" "$round" "yara -r -w RULES recovered tree" "exec yara -r -w $(q "$RULES") $(q "$W/recover")"
      cp "$WORKDIR/logs/${tag}_yara_dir.out" "$W/yara_dir.out"
      measure "${tag}_photorec" "$round" "photorec jpg,png,pdf,zip over raw (as run_anchors.sh)" \
        "cd $(q "$W/photorec") && TERM=\${TERM:-xterm} exec photorec /log /d $(q "$W/photorec/out") /cmd $(q "$RAW") partition_none,options,paranoid,fileopt,everything,disable,jpg,enable,png,enable,pdf,enable,zip,enable,search > /dev/null"
      rm -rf "$W/photorec"
    fi
    [[ ,$ROW_GROUPS, == *,triage,* ]] || continue
    for preset in ${PRESETS//,/ }; do
      [ $preset = hashes ] && pa=$HASHES_ARGS || pa=$FULL_ARGS
      for kind in ${FORMS//,/ }; do
        case $kind in raw) img=$RAW ;; e01) img=$E01 ;; split) img=$SPLIT ;; esac
        rm -rf "$W/case_${preset}_$kind"
        measure "${tag}_${preset}_$kind" "$round" "triage scan $kind, preset $preset" \
          "exec $(q "$TRIAGE") scan $(q "$img") --case $(q "$W/case_${preset}_$kind") --quiet --hashsets $(q "$W/hashsets") $pa"
      done
    done
  done
done
for tag in "${TAGS[@]}"; do
  sum_rows "${tag}_examiner" "examiner pipeline: tsk_recover + hashdeep + yara -r + photorec (sum)" \
    "${tag}_tsk_recover" "${tag}_hashdeep" "${tag}_yara_dir" "${tag}_photorec"
done
cat "$TSV.sum" >> "$TSV"; rm -f "$TSV.sum"
LOAD_AFTER=$(load)

# ------------------------------------------------------------------ report
DATE=$(date -u +%Y-%m-%d)
OUT=$RESULTS/perf-$DATE.md
[ -e "$OUT" ] && OUT=$RESULTS/perf-$DATE-$(date -u +%H%M%S).md
# summary ID -> "median_wall min max cpu_of_median max_rss_kib worst_exit" (nothing if no row)
summary() {
  awk -F'\t' -v id="$1" 'NR > 1 && $1 == id {print $3 "\t" ($4 + $5) "\t" $6 "\t" $7}' "$TSV" | sort -n |
    awk -F'\t' 'BEGIN {m = 0; x = 0} {w[NR] = $1; c[NR] = $2; if ($3 + 0 > m) m = $3 + 0; if ($4 + 0 > x) x = $4 + 0}
      END { if (NR == 0) exit; k = int((NR + 1) / 2); printf "%s %s %s %s %s %s\n", w[k], w[1], w[NR], c[k], m, x }'
}
wall() { summary "$1" | awk '{print $1}'; }
cpu() { summary "$1" | awk '{print $4}'; }
rss_mib() { summary "$1" | awk '{printf "%.1f", $5 / 1024}'; }
# target LINE: "| target | corpus | measured | limit | met/missed |"
verdict() { awk -v v="$1" -v lim="$2" -v op="$3" 'BEGIN { if (v == "" || lim == "") { print "n/a"; exit }
  ok = (op == "le") ? (v + 0 <= lim + 0) : (op == "lt") ? (v + 0 < lim + 0) : (v + 0 >= lim + 0); print ok ? "met" : "**missed**" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print ""; else printf "%.2f", a / b }'; }
# truth_ok CORPUS CASE: "N/M files match, image hashes = truth" from check_truth.py --json
truth_line() {
  "$PY" "$HERE/check_truth.py" "$1" "$2" x --json "$2.truth.json" > /dev/null 2>&1 || { echo "check_truth failed"; return; }
  "$PY" - "$2.truth.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
cats = {k: v for k, v in j["categories"].items() if not k.endswith("kernel_wiped")}
t = sum(c["truth"] for c in cats.values()); m = sum(c["match"] for c in cats.values())
img = all("!= truth" not in e for e in j["evidence"]) and len(j["evidence"]) > 0
print("%s: %d/%d files (kernel-wiped deletions aside) with md5+sha1+sha256 = truth; image hashes %s truth; %d v_errors rows"
      % ("agree" if m == t and img else "**DISAGREE**", m, t, "=" if img else "!=", j["errors"]))
EOF
}
yara_counts() {  # CASE TAG -> "both N, only triage N, only yara N"
  [ -f "$WORKDIR/$2/yara_dir.out" ] || { echo "n/a (no yara -r run: examiner group off)"; return; }
  "$PY" "$HERE/check_yara.py" "$1" "$WORKDIR/$2/yara_dir.out" "$WORKDIR/$2/recover" "${C_SECTOR[$2]}" > "$1.yara.md" 2>&1 || true
  awk -F'|' '/^\| in both /{b=$3} /^\| only triage /{t=$3} /^\| only yara -r /{y=$3}
    END { gsub(/ /, "", b); gsub(/ /, "", t); gsub(/ /, "", y)
          if (b == "") { print "check_yara failed"; exit }
          printf "%s: %s (file, rule) pairs in both, %s only triage, %s only yara -r\n",
            (t == 0 && y == 0) ? "agree" : "**DISAGREE**", b, t, y }' "$1.yara.md"
}
hashset_hits() {
  "$PY" -c 'import sqlite3, sys
c = sqlite3.connect("file:%s/index.db?mode=ro" % sys.argv[1], uri=True)
print(c.execute("SELECT count(*) FROM v_findings WHERE detector = ?", ("hashset",)).fetchone()[0])' "$1" 2>/dev/null || echo "?"
}
ROW_IDS="cat openssl3 ewfverify examiner tsk_recover hashdeep yara_dir photorec hashes_raw hashes_e01 hashes_split full_raw full_e01 full_split"
{
  echo "# Issue 8 benchmark: floor, examiner pipeline and triage scan presets ($(printf '%s ' "${TAGS[@]}")raw images)"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores," \
    "$(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo) GiB RAM; load average $LOAD_BEFORE before, $LOAD_AFTER after ($ROUND_LOADS)."
  echo "$("$TRIAGE" --version 2>&1 | head -1) ($TRIAGE, built $(date -u -r "$TRIAGE" +%Y-%m-%dT%H:%M:%SZ)); repo HEAD at run time $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$( [ -n "$(git -C "$REPO" status --porcelain 2>/dev/null | head -1)" ] && echo ' + uncommitted changes');" \
    "$(openssl version); $(ewfverify -V 2>&1 | head -1); $(mmls -V 2>&1 | head -1); hashdeep $(hashdeep -V 2>&1 | head -1); yara $(yara -v 2>&1 | head -1); $(photorec /version 2>/dev/null | grep -m1 -i 'photorec' || echo photorec)."
  echo "Presets: $PRESET_MODE; hashes = \`$HASHES_ARGS\`, full = \`${FULL_ARGS//$RULES/RULES}\` (RULES = $RULES); every scan also gets \`--hashsets\` with the corpus's known_bad set."
  echo
  echo "Page-cached images; wall = median of $RUNS interleaved round(s) (min-max); CPU = user+sys of that run; MiB/s = raw" \
    "image size / median wall (also for E01 and split); peak RSS = largest process over the rounds; *× floor* = wall /" \
    "openssl floor wall; *× triage full* = wall / triage full-preset raw wall (above 1: slower than it)."
  for tag in "${TAGS[@]}"; do
    fl=$(wall "${tag}_openssl3"); tf=$(wall "${tag}_full_raw")
    echo
    echo "## $tag corpus (${C_DIR[$tag]})"
    echo
    echo "| command | wall s | CPU s | MiB/s | peak RSS MiB | × floor | × triage full |"
    echo "|---|---|---|---|---|---|---|"
    for id in $ROW_IDS; do
      case $id in tsk_recover|hashdeep|yara_dir|photorec) pre="  ↳ " ;; *) pre="" ;; esac
      read -r med mn mx cpu rss ex < <(summary "${tag}_$id") || continue
      awk -v l="$pre${LABEL[${tag}_$id]}" -v med="$med" -v mn="$mn" -v mx="$mx" -v cpu="$cpu" -v rss="$rss" -v ex="$ex" \
          -v runs="$RUNS" -v img="${C_BYTES[$tag]}" -v fl="$fl" -v tf="$tf" 'BEGIN {
        w = sprintf("%.2f", med); if (runs > 1) w = w sprintf(" (%.2f-%.2f)", mn, mx)
        mbs = (med > 0) ? sprintf("%.0f", img / 1048576 / med) : "-"
        r1 = (fl > 0) ? sprintf("%.2f", med / fl) : "-"; r2 = (tf > 0) ? sprintf("%.2f", med / tf) : "-"
        if (ex != 0) l = l " **exit " ex "**"
        printf "| %s | %s | %.2f | %s | %.1f | %s | %s |\n", l, w, cpu, mbs, rss / 1024, r1, r2 }'
    done
    echo
    echo "Checks on the last round's cases ($WORKDIR/$tag/case_*):"
    echo
    for preset in ${PRESETS//,/ }; do
      for kind in ${FORMS//,/ }; do
        cdir=$WORKDIR/$tag/case_${preset}_$kind
        [ -d "$cdir" ] || continue
        line="- $preset $kind: hashes $(truth_line "${C_DIR[$tag]}" "$cdir"); known_bad hash-set findings $(hashset_hits "$cdir")"
        [ $preset = full ] && line+="; YARA vs yara -r $(yara_counts "$cdir" "$tag")"
        echo "$line"
        echo "  - audit log: $("$PY" "$HERE/audit_reads.py" "$cdir" "${C_BYTES[$tag]}" 2>&1)"
      done
    done
  done
  # side by side across corpora: how the figures scale with the image
  if [ ${#TAGS[@]} -gt 1 ]; then
    a=${TAGS[0]}; b=${TAGS[${#TAGS[@]}-1]}
    echo
    echo "## $a vs $b"
    echo
    echo "| command | wall $a s | wall $b s | wall $b / $a | peak RSS $a MiB | peak RSS $b MiB |"
    echo "|---|---|---|---|---|---|"
    for id in $ROW_IDS; do
      wa=$(wall "${a}_$id"); wb=$(wall "${b}_$id")
      [ -n "$wa$wb" ] || continue
      echo "| ${LABEL[${a}_$id]:-$id} | ${wa:--} | ${wb:--} | $(ratio "$wb" "$wa") | $(rss_mib "${a}_$id") | $(rss_mib "${b}_$id") |"
    done
  fi
  echo
  echo "## Issue 8 targets"
  echo
  echo "The targets are on wall time (result column). On a loaded machine each process gets a share of the cores,"
  echo "so the same ratio of CPU seconds (user+sys, median run) is given beside it as a steadier second reading."
  echo
  echo "| target | corpus | measured (wall) | CPU-s ratio | limit | result |"
  echo "|---|---|---|---|---|---|"
  for tag in "${TAGS[@]}"; do
    r=$(ratio "$(wall "${tag}_hashes_raw")" "$(wall "${tag}_openssl3")")
    c=$(ratio "$(cpu "${tag}_hashes_raw")" "$(cpu "${tag}_openssl3")")
    echo "| hashes preset, raw: wall / openssl floor wall | $tag | ${r:--} | ${c:--} | ≤ 1.5 | $(verdict "$r" 1.5 le) |"
    for preset in hashes full; do
      r=$(ratio "$(wall "${tag}_${preset}_e01")" "$(wall "${tag}_${preset}_raw")")
      c=$(ratio "$(cpu "${tag}_${preset}_e01")" "$(cpu "${tag}_${preset}_raw")")
      echo "| $preset preset: E01 wall / raw wall | $tag | ${r:--} | ${c:--} | ≤ 1.25 | $(verdict "$r" 1.25 le) |"
    done
    r=$(ratio "$(wall "${tag}_examiner")" "$(wall "${tag}_full_raw")")
    c=$(ratio "$(cpu "${tag}_examiner")" "$(cpu "${tag}_full_raw")")
    echo "| full preset, raw: examiner pipeline wall / triage wall | $tag | ${r:--} | ${c:--} | ≥ 3 | $(verdict "$r" 3 ge) |"
  done
  for preset in hashes full; do
    for tag in "${TAGS[@]}"; do
      m=$(for k in raw e01 split; do rss_mib "${tag}_${preset}_$k"; echo; done | sort -n | tail -1)
      echo "| $preset preset: largest peak RSS (raw, E01, split), MiB | $tag | ${m:--} | | ≤ 512 | $(verdict "$m" 512 le) |"
    done
    if [ ${#TAGS[@]} -gt 1 ]; then
      a=${TAGS[0]}; b=${TAGS[${#TAGS[@]}-1]}
      # over the forms measured at both sizes
      both=""; for k in raw e01 split; do [ -n "$(rss_mib "${a}_${preset}_$k")" ] && [ -n "$(rss_mib "${b}_${preset}_$k")" ] && both+=" $k"; done
      ma=$(for k in $both; do rss_mib "${a}_${preset}_$k"; echo; done | sort -n | tail -1)
      mb=$(for k in $both; do rss_mib "${b}_${preset}_$k"; echo; done | sort -n | tail -1)
      d=$(awk -v a="$ma" -v b="$mb" 'BEGIN { if (a + 0 > 0) printf "%.1f", 100 * (b > a ? b - a : a - b) / a }')
      echo "| $preset preset: peak RSS difference, % of the $a figure (forms:${both:- none}) | $a → $b | ${d:--} | | < 20 | $(verdict "$d" 20 lt) |"
    fi
  done
  echo
  echo "Hashes and YARA matches must also be identical (the checks above)."
  echo
  echo "Commands (CORPUS = the corpus folder, WORK = $WORKDIR, RULES = $RULES, triage = $TRIAGE; stdout in WORK/logs/ID.out):"
  echo
  echo '```'
  cat "$WORKDIR/logs/commands.txt"
  echo '```'
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
echo
echo "written: $OUT; per-run figures: $TSV"
