#!/usr/bin/env bash
# profile_scan.sh [--triage BIN] [--rules FILE] [--work DIR] [--freq HZ] [--results DIR]
#                 [--report-only] CORPUSDIR
#
# Where the time of `triage scan` goes, per preset and image form: perf record -g of
#   hashes raw, hashes E01, full raw, full E01
# (the same command lines as bench_perf.sh), then perf report's self time (no children) by
# thread (perf's "pid" key: thread id and name), by thread and library, by library (DSO) and by
# function, written as Markdown tables to
# RESULTS/profile-<UTC date>.md (a second run the same day adds the time to the name), with the
# commands to repeat each profile. The perf.data files stay in WORKDIR for a closer look
# (perf report -i WORKDIR/NAME.perf.data). Use a small corpus (the 1 GiB one): perf adds ~5-10 %.
#
#   --triage BIN   triage binary (env TRIAGE; default REPO/build/triage). A Release build has the
#                  function names (the symbol table); RelWithDebInfo adds lines and inlines.
#   --rules FILE   YARA rules for the full preset (env RULES; default REPO/rules/index.yar)
#   --work DIR     scratch: cases, perf.data (env WORKDIR; default /tmp/profile_scan)
#   --freq HZ      perf sampling frequency (env FREQ; default 499)
#   --results DIR  (env RESULTS; default REPO/bench/results)
#   --report-only  write the tables again from the perf.data files already in WORKDIR
#   CORPUSDIR      default /tmp/bench-corpus-1g
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TRIAGE=${TRIAGE:-$REPO/build/triage}
RULES=${RULES:-$REPO/rules/index.yar}
WORKDIR=${WORKDIR:-/tmp/profile_scan}
FREQ=${FREQ:-499}
RESULTS=${RESULTS:-$HERE/results}
CORPUS=
REPORT_ONLY=0
usage() { sed -n '2,22p' "$0"; exit 2; }
die() { echo "profile_scan.sh: $*" >&2; exit 1; }
q() { printf '%q' "$1"; }
while [ $# -gt 0 ]; do
  case $1 in
    --triage) TRIAGE=$2; shift 2 ;;
    --rules) RULES=$2; shift 2 ;;
    --work) WORKDIR=$2; shift 2 ;;
    --freq) FREQ=$2; shift 2 ;;
    --results) RESULTS=$2; shift 2 ;;
    --report-only) REPORT_ONLY=1; shift ;;
    -h|--help) usage ;;
    -*) echo "profile_scan.sh: unknown option $1" >&2; usage ;;
    *) [ -z "$CORPUS" ] || usage; CORPUS=$1; shift ;;
  esac
done
CORPUS=${CORPUS:-/tmp/bench-corpus-1g}
export LC_ALL=C.UTF-8 TZ=UTC
CORPUS=$(cd "$CORPUS" 2>/dev/null && pwd) || die "no corpus folder (make it with ../shared/bench/make_corpus.sh DIR 1 1024)"
for f in disk_ext4.raw disk_ext4.E01 hashsets/known_bad.hashdeep; do [ -f "$CORPUS/$f" ] || die "missing $CORPUS/$f"; done
case $TRIAGE in /*) ;; *) TRIAGE=$(pwd)/$TRIAGE ;; esac
[ -x "$TRIAGE" ] || die "no triage binary at $TRIAGE"
[ -f "$RULES" ] || die "no rule file $RULES"
RULES=$(cd "$(dirname "$RULES")" && pwd)/$(basename "$RULES")
command -v perf >/dev/null 2>&1 || die "missing perf (apt-get install linux-perf)"
[[ $FREQ =~ ^[1-9][0-9]*$ ]] || die "--freq wants a positive number"
case "$WORKDIR/" in "$REPO"/*) die "WORKDIR is inside the git tree: $WORKDIR" ;; esac
mkdir -p "$WORKDIR" "$RESULTS" || die "cannot create $WORKDIR or $RESULTS"
WORKDIR=$(cd "$WORKDIR" && pwd)

[ $REPORT_ONLY = 1 ] || rm -rf "$WORKDIR/hashsets"
[ $REPORT_ONLY = 1 ] || "$TRIAGE" hashset import -q --name known_bad --kind known-bad --hashsets "$WORKDIR/hashsets" \
  "$CORPUS/hashsets/known_bad.hashdeep" > "$WORKDIR/hashset-import.log" 2>&1 || die "hashset import failed: $(tail -3 "$WORKDIR/hashset-import.log")"
if "$TRIAGE" scan --help 2>&1 | grep -q -- '--preset'; then
  HASHES_ARGS="--preset hashes"; FULL_ARGS="--preset full --carve --option yara.default_rules=false --rules $(q "$RULES")"
else
  HASHES_ARGS="--enable hash,hashset,filetype"; FULL_ARGS="--carve --option yara.default_rules=false --rules $(q "$RULES")"
fi

# table FILE SORTKEY LIMIT ROWS: perf report's self time as a Markdown table, ROWS rows at most.
# Addresses without a symbol (stripped libraries such as libcrypto) are summed per library.
table() {
  perf report -i "$1" --no-children --sort "$2" --stdio -q -g none 2>/dev/null |
    /usr/bin/python3 -c '
import re, sys
key, limit, rows = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
agg = {}
for line in sys.stdin:
    m = re.match(r"\s*([0-9.]+)%\s+(.*\S)", line)
    if not m:
        continue
    pct, rest = float(m.group(1)), m.group(2)
    if key == "dso,sym":
        d, _, sym = rest.partition(" ")
        sym = re.sub(r"^\s*\[[.k]\]\s+", "", sym).strip()
        if re.fullmatch(r"0x[0-9a-f]+", sym):
            sym = "(addresses without a symbol)"
        k = (d, sym)
    else:
        k = tuple(rest.split(None, key.count(",")))
    agg[k] = agg.get(k, 0.0) + pct
cols = key.split(",")
print("| self % | " + " | ".join(cols) + " |")
print("|---" * (len(cols) + 1) + "|")
for k, v in sorted(agg.items(), key=lambda kv: -kv[1])[:rows]:
    if v < limit:
        break
    cells = list(k)
    if key == "dso,sym":
        cells[1] = "`%s`" % cells[1].replace("|", "\\|")
    print("| %.2f | %s |" % (v, " | ".join(cells)))
' "$2" "$3" "${4:-25}"
}

DATE=$(date -u +%Y-%m-%d)
OUT=$RESULTS/profile-$DATE.md
[ -e "$OUT" ] && OUT=$RESULTS/profile-$DATE-$(date -u +%H%M%S).md
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "# Where triage scan's time goes: $(basename "$CORPUS") ($(( $(stat -c %s "$CORPUS/disk_ext4.raw") / 1048576 )) MiB raw)"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores;" \
    "load average $LOAD_BEFORE before. $("$TRIAGE" --version 2>&1 | head -1) ($TRIAGE, built $(date -u -r "$TRIAGE" +%Y-%m-%dT%H:%M:%SZ));" \
    "repo HEAD $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'); $(perf version 2>&1 | head -1)."
  echo "Sampling: \`perf record -F $FREQ -g\` (frame-pointer stacks: a Release build has none, so read the self" \
    "time, not the call chains); shares are of all samples of the process (every thread), perf's own overhead aside."
} > "$OUT.tmp"
for name in hashes_raw hashes_e01 full_raw full_e01; do
  case $name in *_raw) img=$CORPUS/disk_ext4.raw ;; *) img=$CORPUS/disk_ext4.E01 ;; esac
  case $name in hashes_*) pa=$HASHES_ARGS ;; *) pa=$FULL_ARGS ;; esac
  cmd="perf record -F $FREQ -g -o $(q "$WORKDIR/$name.perf.data") -- $(q "$TRIAGE") scan $(q "$img") --case $(q "$WORKDIR/case_$name") --quiet --hashsets $(q "$WORKDIR/hashsets") $pa"
  if [ $REPORT_ONLY = 0 ]; then
    cat "$img" > /dev/null
    rm -rf "$WORKDIR/case_$name"
    echo "profile $name: $cmd"
    start=$(date +%s.%N)
    bash -c "$cmd" > "$WORKDIR/$name.perf.log" 2>&1 || echo "  (exit $?: see $WORKDIR/$name.perf.log)"
    awk -v s="$start" -v e="$(date +%s.%N)" -v l="$(cut -d' ' -f1-3 /proc/loadavg)" \
      'BEGIN { printf "%.1f s wall under perf, load %s after\n", e - s, l }' > "$WORKDIR/$name.secs"
  fi
  [ -f "$WORKDIR/$name.perf.data" ] || die "no $WORKDIR/$name.perf.data"
  secs=$(cat "$WORKDIR/$name.secs" 2>/dev/null || echo "wall not recorded")
  {
    echo
    echo "## $name ($secs; $(grep -o '([0-9]* samples)' "$WORKDIR/$name.perf.log" 2>/dev/null | tr -d '()'))"
    echo
    echo '```'
    echo "${cmd//$CORPUS/CORPUS}" | sed "s#$WORKDIR#WORK#g; s#$TRIAGE#triage#g; s#$RULES#RULES#g"
    echo "perf report -i WORK/$name.perf.data --no-children --sort pid|pid,dso|dso|dso,sym --stdio -g none"
    echo '```'
    echo
    echo "By thread (thread id:name; the engine does not name its threads, so tell them apart by the libraries below), self time:"
    echo
    table "$WORKDIR/$name.perf.data" pid 0.5 12
    echo
    echo "By thread and library, self time ≥ 1 %:"
    echo
    table "$WORKDIR/$name.perf.data" pid,dso 1 20
    echo
    echo "By library (dso), self time:"
    echo
    table "$WORKDIR/$name.perf.data" dso 0.5
    echo
    echo "Top functions (dso, symbol), self time ≥ 0.5 %:"
    echo
    table "$WORKDIR/$name.perf.data" dso,sym 0.5
  } >> "$OUT.tmp"
done
mv "$OUT.tmp" "$OUT"
cat "$OUT"
echo
echo "written: $OUT; perf.data files in $WORKDIR"
