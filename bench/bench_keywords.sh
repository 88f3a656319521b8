#!/usr/bin/env bash
# bench_keywords.sh [--triage BIN] [--work DIR] [--runs N] [--results DIR] CORPUSDIR
#
# What the keywords and identifiers detectors cost, on the generated corpus's raw image
# (CORPUSDIR/disk_ext4.raw; make it with ../shared/bench/make_corpus.sh CORPUSDIR 1 1024):
#   base      triage scan RAW --enable hash                               (walk + hashing only)
#   kw10      triage scan RAW --enable hash,keywords --keywords T10       (10 terms)
#   kw1000    triage scan RAW --enable hash,keywords --keywords T1000     (1,000 terms)
#   re10, re1000  the same with the terms as regular expressions (each escaped, plus
#             \W{0,3}\d{0,6}): searched in UTF-8 and, decoded, in UTF-16 and the code pages
#   ident     triage scan RAW --enable hash,identifiers
#   compile10, compile1000, compilere10, compilere1000  the keyword scans of an empty 4 MiB FAT image: the one-off cost of
#             encoding the terms and compiling the Hyperscan database, which does not grow
#             with the evidence
#   grep_id   grep -P -c -a REGEX RAW      (comparable regexes: e-mail, URL, IPv4, IBAN, card,
#                                           Base58/bech32 wallets, Ethereum; no validation)
#   grep_kw10 grep -F -c -a -i -f T10 RAW  (the 10 terms, fixed strings; grep -P takes one pattern)
# Terms: the corpus's planted strings (truth.json, the first 10) and, for 1,000, 990 generated
# words in Latin, Cyrillic and Romanian letters (fixed seed); each run's term files are kept in
# WORKDIR. Timing: GNU time through measure_lib.sh, page-cached image, median wall of RUNS rounds.
# REPORT_ONLY=1 rewrites RESULTS/keywords.md from WORKDIR's last runs without measuring again.
# Output: RESULTS/keywords.md (the table, the ratios, finding counts) and WORKDIR/runs.tsv.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TRIAGE=${TRIAGE:-$REPO/build/triage}
WORKDIR=${WORKDIR:-/tmp/bench_keywords}
RUNS=${RUNS:-1}
RESULTS=${RESULTS:-$HERE/results}
PY=/usr/bin/python3
usage() { sed -n '2,21p' "$0"; exit 2; }
source "$HERE/measure_lib.sh"
parse_args bench_keywords.sh "$@"
export LC_ALL=C.UTF-8 TZ=UTC
die() { echo "bench_keywords.sh: $*" >&2; exit 1; }
CORPUS=$(cd "$CORPUS" 2>/dev/null && pwd) || die "no corpus folder"
RAW=$CORPUS/disk_ext4.raw
[ -f "$RAW" ] || die "missing $RAW (make it with make_corpus.sh OUTDIR 1 1024)"
case $TRIAGE in /*) ;; *) TRIAGE=$(pwd)/$TRIAGE ;; esac
[ -x "$TRIAGE" ] || die "no triage binary at $TRIAGE"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
case "$WORKDIR/" in "$REPO"/*) die "WORKDIR is inside the git tree: $WORKDIR" ;; esac
mkdir -p "$WORKDIR/logs" "$RESULTS" || die "cannot create $WORKDIR or $RESULTS"
WORKDIR=$(cd "$WORKDIR" && pwd)
TSV=$WORKDIR/runs.tsv
if [ "${REPORT_ONLY:-0}" != 1 ]; then
printf 'id\tround\twall\tuser\tsys\trss_kb\texit\n' > "$TSV"
: > "$WORKDIR/logs/commands.txt"
declare -A LABEL
ORDER=()

# The term lists.
"$PY" - "$CORPUS/truth.json" "$WORKDIR" <<'PY' || die "cannot write the term lists"
import json, random, sys
truth = json.load(open(sys.argv[1], encoding='utf-8'))
planted = []
for p in truth['planted_strings']:
    s = p['string']
    if s not in planted and '\n' not in s:
        planted.append(s)
rng = random.Random(1)
alphabets = ['abcdefghijklmnopqrstuvwxyz', 'абвгдеєжзиіїйклмнопрстуфхцчшщьюя', 'aăâbcdefghiîjklmnoprsștțuvxz']
words = set()
while len(words) < 990:
    a = rng.choice(alphabets)
    words.add(''.join(rng.choice(a) for _ in range(rng.randint(6, 12))))
t10 = planted[:10]
open(sys.argv[2] + '/t10.txt', 'w', encoding='utf-8').write(''.join('lit:' + t + '\n' for t in t10))
open(sys.argv[2] + '/t1000.txt', 'w', encoding='utf-8').write(''.join('lit:' + t + '\n' for t in t10 + sorted(words)))
open(sys.argv[2] + '/t10.grep', 'w', encoding='utf-8').write(''.join(t + '\n' for t in t10))
import re
rx = lambda ts: ''.join('re:' + re.escape(t) + r'\W{0,3}\d{0,6}' + '\n' for t in ts)
open(sys.argv[2] + '/re10.txt', 'w', encoding='utf-8').write(rx(t10))
open(sys.argv[2] + '/re1000.txt', 'w', encoding='utf-8').write(rx(t10 + sorted(words)))
PY
# The identifiers as grep -P sees them: no checksum, no length table, no UTF-16.
ID_RE='[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|https?://[^\s"<>]+|\b(?:\d{1,3}\.){3}\d{1,3}\b|\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}\b|\b(?:\d[ -]?){13,19}\b|\b[13LMT][1-9A-HJ-NP-Za-km-z]{25,34}\b|\b(?:bc|ltc)1[02-9ac-hj-np-z]{8,87}\b|\b0x[0-9a-fA-F]{40}\b|\+(?:380|373|40|48|36|421|370|371|372|995)[\d ()-]{7,14}'
printf '%s\n' "$ID_RE" > "$WORKDIR/identifiers.grep"

EMPTY=$WORKDIR/empty.raw
rm -f "$EMPTY"; dd if=/dev/zero of="$EMPTY" bs=1M count=4 2>/dev/null && mkfs.vfat "$EMPTY" >/dev/null || die "cannot make $EMPTY (mkfs.vfat)"
cat "$RAW" > /dev/null  # page cache
echo "load before: $(load)"
for round in $(seq 1 "$RUNS"); do
  for id in base kw10 kw1000 re10 re1000 ident compile10 compile1000 compilere10 compilere1000; do rm -rf "$WORKDIR/case-$id"; done
  measure compile10 "$round" 'keywords, 10 terms, empty image' "$(q "$TRIAGE") scan $(q "$EMPTY") --case $(q "$WORKDIR/case-compile10") --quiet --enable keywords --keywords $(q "$WORKDIR/t10.txt")"
  measure compile1000 "$round" 'keywords, 1,000 terms, empty image' "$(q "$TRIAGE") scan $(q "$EMPTY") --case $(q "$WORKDIR/case-compile1000") --quiet --enable keywords --keywords $(q "$WORKDIR/t1000.txt")"
  measure compilere10 "$round" 'keywords, 10 regexes, empty image' "$(q "$TRIAGE") scan $(q "$EMPTY") --case $(q "$WORKDIR/case-compilere10") --quiet --enable keywords --keywords $(q "$WORKDIR/re10.txt")"
  measure compilere1000 "$round" 'keywords, 1,000 regexes, empty image' "$(q "$TRIAGE") scan $(q "$EMPTY") --case $(q "$WORKDIR/case-compilere1000") --quiet --enable keywords --keywords $(q "$WORKDIR/re1000.txt")"
  measure base "$round" 'triage scan, hash only' "$(q "$TRIAGE") scan $(q "$RAW") --case $(q "$WORKDIR/case-base") --quiet --enable hash"
  measure kw10 "$round" 'triage scan + keywords, 10 terms' "$(q "$TRIAGE") scan $(q "$RAW") --case $(q "$WORKDIR/case-kw10") --quiet --enable hash,keywords --keywords $(q "$WORKDIR/t10.txt")"
  measure kw1000 "$round" 'triage scan + keywords, 1,000 terms' "$(q "$TRIAGE") scan $(q "$RAW") --case $(q "$WORKDIR/case-kw1000") --quiet --enable hash,keywords --keywords $(q "$WORKDIR/t1000.txt")"
  measure re10 "$round" 'triage scan + keywords, 10 regexes' "$(q "$TRIAGE") scan $(q "$RAW") --case $(q "$WORKDIR/case-re10") --quiet --enable hash,keywords --keywords $(q "$WORKDIR/re10.txt")"
  measure re1000 "$round" 'triage scan + keywords, 1,000 regexes' "$(q "$TRIAGE") scan $(q "$RAW") --case $(q "$WORKDIR/case-re1000") --quiet --enable hash,keywords --keywords $(q "$WORKDIR/re1000.txt")"
  measure ident "$round" 'triage scan + identifiers' "$(q "$TRIAGE") scan $(q "$RAW") --case $(q "$WORKDIR/case-ident") --quiet --enable hash,identifiers"
  measure grep_id "$round" 'grep -P -c -a identifiers regex, raw image' "grep -P -c -a -f $(q "$WORKDIR/identifiers.grep") $(q "$RAW")"
  measure grep_kw10 "$round" 'grep -F -c -a -i, 10 terms, raw image' "grep -F -c -a -i -f $(q "$WORKDIR/t10.grep") $(q "$RAW")"
done
echo "load after: $(load)"
fi

med() { awk -F'\t' -v id="$1" '$1 == id { print $3 }' "$TSV" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# CPU seconds (user + sys) of the round with the median wall time: the machine is shared, CPU is
# what the work costs.
cpu() { awk -F'\t' -v id="$1" '$1 == id { print $3, $4 + $5 }' "$TSV" | sort -n | awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)] }'; }
count() { sqlite3 "$WORKDIR/case-$1/index.db" "SELECT count(*) FROM findings WHERE kind='$2'"; }
B=$(med base); K10=$(med kw10); K1000=$(med kw1000); I=$(med ident); G=$(med grep_id); GK=$(med grep_kw10)
C10=$(cpu compile10); C1000=$(cpu compile1000); CR10=$(cpu compilere10); CR1000=$(cpu compilere1000)
R10=$(med re10); R1000=$(med re1000); CRE10=$(cpu re10); CRE1000=$(cpu re1000)
CB=$(cpu base); CK10=$(cpu kw10); CK1000=$(cpu kw1000); CI=$(cpu ident); CG=$(cpu grep_id); CGK=$(cpu grep_kw10)
# A difference of CPU seconds below 0.5 s is within what repeated runs of the same command
# scatter on this shared machine: shown as such, and no ratio is made of it.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 >= 0.5 && b + 0 >= 0.5) printf "%.2f", a / b; else print "n/a (below noise)" }'; }
diff_() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0.5) print "<0.5"; else printf "%.2f", d }'; }
OUT=$RESULTS/keywords.md
{
  echo "# Keywords and identifiers: cost on the generated corpus"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load before/after in the log; image $(basename "$RAW") $(( $(stat -c %s "$RAW") >> 20 )) MiB; median of $RUNS round(s); \`bench/bench_keywords.sh $CORPUS\`."
  echo
  echo "| run | wall s | CPU s (user+sys) | findings |"
  echo "|---|---|---|---|"
  echo "| base: triage scan, hash only | $B | $CB | |"
  echo "| kw10: + keywords, 10 terms | $K10 | $CK10 | $(count kw10 keyword) |"
  echo "| kw1000: + keywords, 1,000 terms | $K1000 | $CK1000 | $(count kw1000 keyword) |"
  echo "| re10: + keywords, 10 regexes | $R10 | $CRE10 | $(count re10 keyword) |"
  echo "| re1000: + keywords, 1,000 regexes | $R1000 | $CRE1000 | $(count re1000 keyword) |"
  echo "| ident: + identifiers | $I | $CI | $(count ident identifier) |"
  echo "| compile10: keywords, 10 terms, empty 4 MiB image | $(med compile10) | $C10 | |"
  echo "| compile1000: keywords, 1,000 terms, empty 4 MiB image | $(med compile1000) | $C1000 | |"
  echo "| compilere10: keywords, 10 regexes, empty 4 MiB image | $(med compilere10) | $CR10 | |"
  echo "| compilere1000: keywords, 1,000 regexes, empty 4 MiB image | $(med compilere1000) | $CR1000 | |"
  echo "| grep -P -c -a, identifier regexes, raw image | $G | $CG | $(cat "$WORKDIR/logs/grep_id.out") lines |"
  echo "| grep -F -c -a -i, the 10 terms, raw image | $GK | $CGK | $(cat "$WORKDIR/logs/grep_kw10.out") lines |"
  echo
  echo "Ratios (CPU seconds; \"alone\" = the scan's CPU minus the hash-only scan's):"
  echo "- 1,000 terms / 10 terms, whole scan: $(ratio "$CK1000" "$CK10"); keyword search alone: $(diff_ "$CK1000" "$CB") s / $(diff_ "$CK10" "$CB") s = $(ratio "$(diff_ "$CK1000" "$CB")" "$(diff_ "$CK10" "$CB")")"
  echo "- the one-off compile (empty image): 1,000 terms $C1000 s, 10 terms $C10 s; the 1,000-term scan minus base minus its compile: $(diff_ "$(awk -v a="$CK1000" -v b="$CB" -v c="$C1000" 'BEGIN { print a - b - c }')" 0) s, the 10-term one: $(diff_ "$(awk -v a="$CK10" -v b="$CB" -v c="$C10" 'BEGIN { print a - b - c }')" 0) s"
  echo "- regexes (UTF-8 pass plus 4 UTF-16 views and up to 8 code-page views): 1,000 / 10, whole scan: $(ratio "$CRE1000" "$CRE10"); regex search alone (minus base): $(diff_ "$CRE1000" "$CB") s / $(diff_ "$CRE10" "$CB") s; minus also the one-off compile: $(diff_ "$(awk -v a="$CRE1000" -v b="$CB" -v c="$CR1000" 'BEGIN { print a - b - c }')" 0) s / $(diff_ "$(awk -v a="$CRE10" -v b="$CB" -v c="$CR10" 'BEGIN { print a - b - c }')" 0) s"
  echo "- identifier extraction alone / grep -P over the raw image: $(diff_ "$CI" "$CB") s / $CG s = $(ratio "$(diff_ "$CI" "$CB")" "$CG"); whole identifiers scan / grep: $(ratio "$CI" "$CG")"
  echo "- keywords alone (10 terms, 11 encodings) / grep -F -i (10 terms, ASCII only): $(ratio "$(diff_ "$CK10" "$CB")" "$CGK")"
  echo
  echo "Identifier findings by type: $(sqlite3 "$WORKDIR/case-ident/index.db" "SELECT group_concat(rule || ' ' || n, ', ') FROM (SELECT rule, count(*) n FROM findings WHERE kind='identifier' GROUP BY rule)")."
  echo
  echo "grep counts matching lines (no validation, UTF-8/ASCII only, one count per line); triage counts"
  echo "validated identifiers in files and unallocated space, UTF-8 and UTF-16, each location once."
  echo "Commands: WORKDIR/logs/commands.txt; per-run figures: WORKDIR/runs.tsv."
} > "$OUT"
cat "$OUT"
