#!/usr/bin/env bash
# bench_carve.sh [--triage BIN] [--work DIR] [--runs N] [--results DIR] CORPUSDIR
#
# Carving, side by side in one run, on the benchmark corpus (../shared/bench/make_corpus.sh):
#   triage carve RAW --formats jpeg,png,pdf,zip   (the four formats the anchors carve)
#   triage carve RAW                              (every format triage knows)
#   photorec, foremost, scalpel                   (exactly as ../shared/bench/run_anchors.sh runs them)
#   triage scan RAW --enable carve,hash           (the detector: unallocated space only, into an index)
# Each scored against truth.json by bench/carve_score.py (the shared anchor scorer's classes, per
# format): recall = known objects recovered exactly (or complete with trailing bytes, or every
# written byte of a truncated item) / known objects; precision = carved files that are a known
# object, a known object plus trailing bytes or a prefix of one / carved files. Timing: GNU time,
# page-cached image, rounds interleaved, median wall of RUNS rounds.
#
#   --triage BIN   triage binary (env TRIAGE; default REPO/build/triage)
#   --work DIR     scratch (env WORKDIR; default /tmp/bench_carve; ~1.5 GiB at 1 GiB corpus)
#   --runs N       timed rounds (env RUNS; default 3)
#   --results DIR  where carve.md goes (env RESULTS; default REPO/bench/results)
# Needs photorec (testdisk), foremost, scalpel: bench/install-bench-deps.sh.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TRIAGE=${TRIAGE:-$REPO/build/triage}
WORKDIR=${WORKDIR:-/tmp/bench_carve}
RUNS=${RUNS:-3}
RESULTS=${RESULTS:-$HERE/results}
PY=/usr/bin/python3
usage() { sed -n '2,22p' "$0"; exit 2; }
source "$(dirname "${BASH_SOURCE[0]}")/measure_lib.sh"
parse_args bench_carve.sh "$@"
export LC_ALL=C.UTF-8 TZ=UTC

die() { echo "bench_carve.sh: $*" >&2; exit 1; }
CORPUS=$(cd "$CORPUS" 2>/dev/null && pwd) || die "no corpus folder"
RAW=$CORPUS/disk_ext4.raw
for f in "$RAW" "$CORPUS/truth.json"; do
  [ -f "$f" ] || die "missing $f (make it with make_corpus.sh OUTDIR 1 1024)"
done
# The shared anchors (scorer, scalpel.conf): beside the checkout or /work/shared.
SHARED_BENCH=${SHARED_BENCH:-}
for d in "$REPO/../shared/bench" /work/shared/bench; do
  [ -z "$SHARED_BENCH" ] && [ -f "$d/anchors/evaluate.py" ] && SHARED_BENCH=$(cd "$d" && pwd)
done
[ -n "$SHARED_BENCH" ] || die "no shared bench folder with anchors/evaluate.py (set SHARED_BENCH)"
case $TRIAGE in /*) ;; *) TRIAGE=$(pwd)/$TRIAGE ;; esac
[ -x "$TRIAGE" ] || die "no triage binary at $TRIAGE (build it, or pass --triage BIN / TRIAGE=BIN)"
for t in /usr/bin/time photorec foremost scalpel sqlite3 "$PY"; do
  command -v "$t" >/dev/null 2>&1 || die "missing tool $t (run bench/install-bench-deps.sh as root)"
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
case "$WORKDIR/" in "$REPO"/*) die "WORKDIR is inside the git tree: $WORKDIR" ;; esac

mkdir -p "$WORKDIR/logs" "$RESULTS" || die "cannot create $WORKDIR or $RESULTS"
WORKDIR=$(cd "$WORKDIR" && pwd)
TSV=$WORKDIR/runs.tsv
: > "$WORKDIR/logs/commands.txt"
printf 'id\tround\twall_s\tuser_s\tsys_s\tmaxrss_kib\texit\n' > "$TSV"
declare -A LABEL
ORDER=()
C=$WORKDIR/carve

cat "$RAW" > /dev/null  # page cache
echo "bench_carve.sh: $RUNS rounds on $RAW (load $(load))"
for round in $(seq 1 "$RUNS"); do
  echo "round $round (load $(load))"
  rm -rf "$C/triage" "$C/triage_all" "$C/photorec" "$C/foremost" "$C/scalpel" "$WORKDIR/case"
  mkdir -p "$C/photorec"
  measure triage "$round" "triage carve (jpeg,png,pdf,zip)" \
    "exec $(q "$TRIAGE") carve -q $(q "$RAW") --to $(q "$C/triage") --formats jpeg,png,pdf,zip"
  measure photorec "$round" "photorec (jpg,png,pdf,zip; paranoid)" \
    "cd $(q "$C/photorec") && TERM=\${TERM:-xterm} exec photorec /log /d $(q "$C/photorec/out") /cmd $(q "$RAW") partition_none,options,paranoid,fileopt,everything,disable,jpg,enable,png,enable,pdf,enable,zip,enable,search"
  measure foremost "$round" "foremost -t jpg,png,pdf,zip" \
    "exec foremost -Q -t jpg,png,pdf,zip -i $(q "$RAW") -o $(q "$C/foremost")"
  measure scalpel "$round" "scalpel (anchors/scalpel.conf)" \
    "exec scalpel -c $(q "$SHARED_BENCH/anchors/scalpel.conf") -o $(q "$C/scalpel") $(q "$RAW")"
  measure triage_all "$round" "triage carve (all 11 formats)" \
    "exec $(q "$TRIAGE") carve -q $(q "$RAW") --to $(q "$C/triage_all")"
  measure triage_scan "$round" "triage scan --enable carve,hash (unallocated space only, indexed)" \
    "exec $(q "$TRIAGE") scan -q $(q "$RAW") --case $(q "$WORKDIR/case") --enable carve,hash"
done
rm -f "$C/photorec/photorec.ses"

echo "scoring (carve_score.py) ..."
"$PY" "$HERE/carve_score.py" "$CORPUS" "$SHARED_BENCH" "$WORKDIR/scores.json" \
  triage="$C/triage" triage_all="$C/triage_all" photorec="$C/photorec" foremost="$C/foremost" scalpel="$C/scalpel" \
  > "$WORKDIR/logs/score.out" || die "scoring failed: $(cat "$WORKDIR/logs/score.out")"
# The scan's carved items: which planted items came back byte-exact through the pipeline.
sqlite3 -separator $'\t' "$WORKDIR/case/index.db" \
  "SELECT image_offset, length, format, truncated, sha256 FROM v_carved" > "$WORKDIR/scan_carved.tsv"

"$PY" - "$WORKDIR" "$CORPUS" "$RESULTS/carve.md" "$RUNS" "$(nproc)" "$(load)" "$(stat -c %s "$RAW")" <<'PYEOF'
import json, statistics, sys, os, subprocess
w, corpus, out, runs, cores, loadavg, size = sys.argv[1:8]
runs_tsv = [l.rstrip("\n").split("\t") for l in open(os.path.join(w, "runs.tsv"))][1:]
t = {}
for r in runs_tsv:
    if len(r) < 7 or not r[2].replace(".", "").isdigit():
        continue
    t.setdefault(r[0], []).append((float(r[2]), float(r[3]) + float(r[4]), int(r[5]), r[6]))
sc = json.load(open(os.path.join(w, "scores.json")))
truth = json.load(open(os.path.join(corpus, "truth.json")))
L = ["# Carving: triage carve beside PhotoRec, foremost and scalpel", "",
     "Generated by `bench/bench_carve.sh %s` (RUNS=%s) on %s cores, load at the end %s. Image: `disk_ext4.raw`, %d MiB, "
     "page-cached. Scores: `bench/carve_score.py` (the shared anchor scorer's classes, per format; see the script's header)." %
     (corpus, runs, cores, loadavg, int(size) >> 20), "",
     "## Time", "", "| tool | command | median wall s (min-max) | CPU s | peak RSS MiB |", "|---|---|---|---|---|"]
labels = {"triage": "triage carve --formats jpeg,png,pdf,zip", "photorec": "photorec ... jpg,png,pdf,zip,search (paranoid)",
          "foremost": "foremost -t jpg,png,pdf,zip", "scalpel": "scalpel -c anchors/scalpel.conf",
          "triage_all": "triage carve (all formats)", "triage_scan": "triage scan --enable carve,hash (unallocated only)"}
med = {}
for k in ("triage", "photorec", "foremost", "scalpel", "triage_all", "triage_scan"):
    v = t.get(k, [])
    if not v:
        continue
    walls = sorted(x[0] for x in v)
    m = statistics.median(walls)
    med[k] = m
    mid = min(v, key=lambda x: abs(x[0] - m))
    L.append("| %s | `%s` | %.2f (%.2f-%.2f) | %.1f | %.0f |" % (k, labels[k], m, walls[0], walls[-1], mid[1], max(x[2] for x in v) / 1024))
if "triage" in med and "photorec" in med:
    L += ["", "Speed-up of `triage carve` (same four formats) over PhotoRec: **%.1fx** (median wall)." % (med["photorec"] / med["triage"])]
L += ["", "## Recall and precision per format", "",
      "recall = found / known objects of the format (tree files, deleted files, planted items); precision = valid / carved.", "",
      "| format | n known | " + " | ".join("%s recall" % k for k in ("triage", "photorec", "foremost", "scalpel")) + " | " +
      " | ".join("%s precision (valid/carved)" % k for k in ("triage", "photorec", "foremost", "scalpel")) + " |",
      "|---|---|" + "---|" * 8]
def pct(x):
    return "-" if x is None else "%.1f%%" % (100 * x)
for f in ("jpeg", "png", "pdf", "zip"):
    row = ["%s" % f, str(sc["triage"][f]["n"])]
    row += ["%s (%d)" % (pct(sc[k][f]["recall"]), sc[k][f]["found"]) for k in ("triage", "photorec", "foremost", "scalpel")]
    row += ["%s (%d/%d)" % (pct(sc[k][f]["precision"]), sc[k][f]["valid"], sc[k][f]["carved"]) for k in ("triage", "photorec", "foremost", "scalpel")]
    L.append("| " + " | ".join(row) + " |")
L += ["", "Formats only triage carves here (`triage carve` with all formats; truth = the corpus's tree files of that type):", "",
      "| format | n known | recall | precision (valid/carved) |", "|---|---|---|---|"]
for f in ("jpeg", "png", "pdf", "zip", "sqlite", "elf", "pe", "mp4"):
    v = sc["triage_all"][f]
    L.append("| %s | %d | %s (%d) | %s (%d/%d) |" % (f, v["n"], pct(v["recall"]), v["found"], pct(v["precision"]), v["valid"], v["carved"]))
L += ["", "Targets (issue 6): recall at least PhotoRec's on every format; precision >= 95%; at least twice PhotoRec's speed.", ""]
ok_recall = all((sc["triage"][f]["recall"] or 0) >= (sc["photorec"][f]["recall"] or 0) for f in ("jpeg", "png", "pdf", "zip"))
ok_prec = all((sc["triage"][f]["precision"] or 0) >= 0.95 for f in ("jpeg", "png", "pdf", "zip"))
ok_speed = "triage" in med and "photorec" in med and med["photorec"] >= 2 * med["triage"]
L += ["- recall >= PhotoRec's on jpeg, png, pdf, zip: **%s**" % ("met" if ok_recall else "NOT met"),
      "- precision >= 95%% on each: **%s**" % ("met" if ok_prec else "NOT met"),
      "- >= 2x PhotoRec's speed: **%s**" % ("met" if ok_speed else "NOT met"), ""]
L += ["## Planted items (unallocated space)", "",
      "Anchor scorer status per planted item (exact / complete+trailing / written_part / first_fragment / partial / divergent / missed).", "",
      "| id | type | layout | aligned | triage | photorec | foremost | scalpel |", "|---|---|---|---|---|---|---|---|"]
for p in truth["planted_unallocated"]:
    st = [sc[k]["_anchor"]["planted_status"].get(p["id"], "-") for k in ("triage", "photorec", "foremost", "scalpel")]
    if len(set(st)) == 1 and st[0] == "exact":
        continue
    L.append("| %s | %s | %s | %s | %s |" % (p["id"], p["type"], p["layout"], "yes" if p.get("sector_aligned", True) else "no", " | ".join(st)))
n_exact = {k: sum(1 for v in sc[k]["_anchor"]["planted_status"].values() if v == "exact") for k in ("triage", "photorec", "foremost", "scalpel")}
L += ["", "Planted items recovered exactly (of %d): %s. Rows where every tool is exact are left out." %
      (len(truth["planted_unallocated"]), ", ".join("%s %d" % kv for kv in n_exact.items())), ""]
# The scan path: carved rows in the index vs planted items.
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(w, "scan_carved.tsv")) if l.strip()]
shas = {r[4] for r in rows}
planted_exact = [p["id"] for p in truth["planted_unallocated"] if p["sha256"] in shas]
L += ["## Through the scan pipeline", "",
      "`triage scan --enable carve,hash` carves only unallocated space (free ext4 blocks and FAT clusters, the unpartitioned "
      "gap and tail): %d carved rows in `v_carved` (%d flagged truncated); %d of %d planted items are among them byte-exact "
      "(SHA-256 from the hash detector equals truth)." % (len(rows), sum(1 for r in rows if r[3] == "1"), len(planted_exact),
                                                         len(truth["planted_unallocated"])), ""]
L += ["## Exact commands", "", "```"] + [l.rstrip("\n") for l in open(os.path.join(w, "logs", "commands.txt"))] + ["```", ""]
open(out, "w").write("\n".join(L))
print("\n".join(L))
PYEOF
