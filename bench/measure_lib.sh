# Shared by bench_scan.sh and bench_yara.sh (sourced): timing one command under GNU time into
# $TSV, summing rows, the load average and shell quoting. Needs WORKDIR, TSV, CORPUS, TRIAGE,
# ORDER and LABEL set by the caller; RULES is optional.

# measure ID ROUND 'LABEL' 'CMD'  (CMD is a bash string; its stdout goes to logs/ID.out)
measure() {
  local id=$1 round=$2 label=$3 cmd=$4 line
  LABEL[$id]=$label
  if [[ " ${ORDER[*]} " != *" $id "* ]]; then
    ORDER+=("$id")
    printf '%-12s %s\n' "$id" "${cmd//"$CORPUS"/CORPUS}" |
      sed "s#$WORKDIR#WORK#g; s#$TRIAGE#triage#g${RULES:+; s#$RULES#RULES#g}" >> "$WORKDIR/logs/commands.txt"
  fi
  sync
  /usr/bin/time -f '%e %U %S %M %x' -o "$WORKDIR/logs/$id.time" \
    bash -c "$cmd" >"$WORKDIR/logs/$id.out" 2>"$WORKDIR/logs/$id.err"
  line=$(tail -n 1 "$WORKDIR/logs/$id.time")
  # GNU time prints "Command exited with non-zero status N" first when it fails
  printf '%s\t%s\t%s\n' "$id" "$round" "$(echo "$line" | tr ' ' '\t')" >> "$TSV"
  printf '  %-16s wall %6s s  (%s)\n' "$id" "${line%% *}" "$label"
}
# sum_rows NEWID 'LABEL' ID... : one row per round = sum of wall/user/sys, max RSS, worst exit
sum_rows() {
  local new=$1 label=$2; shift 2
  LABEL[$new]=$label
  awk -F'\t' -v new="$new" -v ids=" $* " '
    NR > 1 && index(ids, " " $1 " ") {
      r = $2; w[r] += $3; u[r] += $4; s[r] += $5; if ($6 > m[r]) m[r] = $6; if ($7 > x[r]) x[r] = $7; seen[r] = 1 }
    END { for (r in seen) printf "%s\t%s\t%.2f\t%.2f\t%.2f\t%d\t%d\n", new, r, w[r], u[r], s[r], m[r], x[r] }
  ' "$TSV" | sort -t$'\t' -k2,2n >> "$TSV.sum"
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
q() { printf '%q' "$1"; }

# parse_args NAME "$@": the options both benches take (--triage, --work, --runs, --results, and
# --rules where the caller has set RULES) and the corpus folder; sets TRIAGE, WORKDIR, RUNS,
# RESULTS, RULES, CORPUS. usage() and die() come from the caller.
parse_args() {
  local name=$1; shift
  CORPUS=
  while [ $# -gt 0 ]; do
    case $1 in
      --triage) TRIAGE=$2; shift 2 ;;
      --rules) [ -n "${RULES+x}" ] || { echo "$name: unknown option $1" >&2; usage; }; RULES=$2; shift 2 ;;
      --work) WORKDIR=$2; shift 2 ;;
      --runs) RUNS=$2; shift 2 ;;
      --results) RESULTS=$2; shift 2 ;;
      -h|--help) usage ;;
      -*) echo "$name: unknown option $1" >&2; usage ;;
      *) [ -z "$CORPUS" ] || usage; CORPUS=$1; shift ;;
    esac
  done
  [ -n "$CORPUS" ] || usage
}
