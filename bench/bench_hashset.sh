#!/usr/bin/env bash
# bench_hashset.sh [--triage BIN] [--work DIR] [--results FILE] [--queries N] [--cold] SIZE...
#
# Hash-set scale: for each SIZE (e.g. 1000000 10000000 100000000) a synthetic set of SIZE random
# MD5 and SIZE random SHA-1 values (a plain list, 2*SIZE lines) is imported with
# `triage hashset import`, then looked up with `triage hashset lookup --stdin --quiet`:
#   import   wall seconds and peak RSS (GNU time -v), hashes per second
#   size     bytes on disk of the imported set (du -sb) and bytes per entry
#   open     time to open the set (catalog + memory maps), as the lookup command reports it
#   lookups  per second, QUERIES known hashes (hits, drawn evenly from the list) and QUERIES
#            random ones (misses), each run with the set's pages already cached (second run)
#            and, with --cold (root; drops the page cache of the whole machine), cold
# The lookup figure includes parsing each hex line from stdin; it is the rate a scan or an
# examiner's script sees.
#
#   --triage BIN    triage binary (env TRIAGE; default REPO/build/triage)
#   --work DIR      scratch (env WORKDIR; default /tmp/bench_hashset): lists, sets, timings
#   --results FILE  Markdown table (env RESULTS; default REPO/bench/results/hashset.md)
#   --queries N     lookups per kind (env QUERIES; default 1000000)
# Needs about 80 bytes per SIZE of scratch disk (the list and the set) and GNU time.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TRIAGE=${TRIAGE:-$REPO/build/triage}
WORKDIR=${WORKDIR:-/tmp/bench_hashset}
RESULTS=${RESULTS:-$HERE/results/hashset.md}
QUERIES=${QUERIES:-1000000}
COLD=${COLD:-0}
SIZES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --triage) TRIAGE=$2; shift 2 ;;
    --work) WORKDIR=$2; shift 2 ;;
    --results) RESULTS=$2; shift 2 ;;
    --queries) QUERIES=$2; shift 2 ;;
    --cold) COLD=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) SIZES+=("$1"); shift ;;
  esac
done
[ ${#SIZES[@]} -gt 0 ] || { sed -n '2,22p' "$0"; exit 2; }
[ -x "$TRIAGE" ] || { echo "no triage binary at $TRIAGE (--triage)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed: apt-get install time" >&2; exit 2; }
mkdir -p "$WORKDIR" "$(dirname "$RESULTS")"

# SIZE random MD5 and SIZE random SHA-1 values, interleaved, lower-case hex, one per line.
gen_list() {
  /usr/bin/python3 - "$1" "$2" <<'EOF'
import os, sys
n, out = int(sys.argv[1]), sys.argv[2]
chunk = 1 << 16
with open(out, "w") as f:
    left = n
    while left:
        k = min(chunk, left)
        md5 = os.urandom(16 * k).hex()
        sha1 = os.urandom(20 * k).hex()
        f.write("".join(md5[32 * i:32 * i + 32] + "\n" + sha1[40 * i:40 * i + 40] + "\n" for i in range(k)))
        left -= k
EOF
}
rand_hex() {  # N random values of LEN hex digits
  /usr/bin/python3 -c "import os,sys; n,l=int(sys.argv[1]),int(sys.argv[2]); b=os.urandom(l//2*n).hex(); sys.stdout.write(''.join(b[l*i:l*i+l]+'\n' for i in range(n)))" "$1" "$2"
}
gnu() { sed -n "s/^\s*$1: *//p" "$2" | head -1; }
cpu() { awk '/User time|System time/ { s += $NF } END { printf "%.2f", s }' "$1"; }   # user + sys seconds

ROWS=()
for n in "${SIZES[@]}"; do
  d=$WORKDIR/$n
  rm -rf "$d"; mkdir -p "$d"
  echo "== $n: generating $((2 * n)) hashes" >&2
  gen_list "$n" "$d/list.txt"
  # An odd step, so the known hashes are both MD5 and SHA-1 (the list alternates them).
  step=$(( (2 * n) / QUERIES )); [ "$step" -ge 1 ] || step=1; [ $((step % 2)) = 1 ] || step=$((step - 1))
  awk -v s="$step" -v q="$QUERIES" '(NR - 1) % s == 0 { print; if (++c >= q) exit }' "$d/list.txt" > "$d/hits.txt"
  { rand_hex $((QUERIES / 2)) 32; rand_hex $((QUERIES - QUERIES / 2)) 40; } > "$d/misses.txt"
  sync
  echo "== $n: import" >&2
  /usr/bin/time -v "$TRIAGE" hashset import -q --name bench --kind known-good --format list "$d/list.txt" \
      --hashsets "$d/sets" > "$d/import.out" 2> "$d/import.time"
  wall=$(gnu "Elapsed (wall clock) time (h:mm:ss or m:ss)" "$d/import.time")
  secs=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  rss_kb=$(gnu "Maximum resident set size (kbytes)" "$d/import.time")
  bytes=$(du -sb "$d/sets/bench" | cut -f1)
  cold="n/a"
  # Cold: only with --cold (dropping the page cache slows everyone else on a shared machine).
  if [ "$COLD" = 1 ] && sync && (echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null; then
    "$TRIAGE" hashset lookup --stdin -q --hashsets "$d/sets" < "$d/hits.txt" > /dev/null 2> "$d/cold.txt" || true
    cold="$(sed -n 's/.* \([0-9]*\) lookups\/s/\1/p' "$d/cold.txt") (open $(sed -n 's/.*open \([0-9.]*\) ms.*/\1/p' "$d/cold.txt") ms)"
  fi
  for kind in hits misses; do
    "$TRIAGE" hashset lookup --stdin -q --hashsets "$d/sets" < "$d/$kind.txt" >/dev/null 2>&1 || true   # warm up
    /usr/bin/time -v "$TRIAGE" hashset lookup --stdin -q --hashsets "$d/sets" < "$d/$kind.txt" \
        > /dev/null 2> "$d/$kind.time" || true
  done
  open_ms=$(sed -n 's/.*open \([0-9.]*\) ms.*/\1/p' "$d/hits.time")
  hit_rate=$(sed -n 's/.* \([0-9]*\) lookups\/s/\1/p' "$d/hits.time")
  hit_count=$(sed -n 's/.*hits \([0-9]*\),.*/\1/p' "$d/hits.time")
  miss_rate=$(sed -n 's/.* \([0-9]*\) lookups\/s/\1/p' "$d/misses.time")
  miss_hits=$(sed -n 's/.*hits \([0-9]*\),.*/\1/p' "$d/misses.time")
  look_rss=$(gnu "Maximum resident set size (kbytes)" "$d/hits.time")
  imp_cpu=$(cpu "$d/import.time")
  hit_cpu=$(awk -v n="$(wc -l < "$d/hits.txt")" -v c="$(cpu "$d/hits.time")" 'BEGIN { printf "%.0f", n / c }')
  miss_cpu=$(awk -v n="$(wc -l < "$d/misses.txt")" -v c="$(cpu "$d/misses.time")" 'BEGIN { printf "%.0f", n / c }')
  ROWS+=("| $n + $n | $secs | $imp_cpu | $(awk -v n="$n" -v s="$imp_cpu" 'BEGIN { printf "%.2f", 2 * n / s / 1e6 }') | $((rss_kb / 1024)) | $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }') | $(awk -v b="$bytes" -v n="$n" 'BEGIN { printf "%.1f", b / (2 * n) }') | $open_ms | $hit_rate / $hit_cpu ($hit_count found) | $miss_rate / $miss_cpu ($miss_hits found) | $cold | $((look_rss / 1024)) |")
  echo "${ROWS[-1]}" >&2
  rm -f "$d/list.txt"
done

{
  echo "# Hash-set scale: import, size, open, lookups"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM,"
  echo "\`$(basename "$TRIAGE") --version\`: $("$TRIAGE" --version). Command: \`bench/bench_hashset.sh ${SIZES[*]}\`"
  echo "(synthetic random MD5 and SHA-1, plain-list format; lookups through \`triage hashset lookup --stdin -q\`,"
  echo "$QUERIES queries per kind, set pages in the page cache unless 'cold'; the lookup program reads the"
  echo "hex lines from stdin, so parsing is included). Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Rates are given per wall second and per CPU second (user + sys): on a shared machine the CPU"
  echo "figure is the one that carries over."
  echo
  echo "| entries (MD5 + SHA-1) | import wall s | import CPU s | M hashes per CPU-s | import peak RSS MiB | size MiB | bytes/entry | open ms | hits: lookups per wall-s / per CPU-s | misses: per wall-s / per CPU-s | hits cold | lookup peak RSS MiB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} | tee "$RESULTS"
