#!/usr/bin/env bash
# First run on a fresh Debian 12 machine: installs the dependencies, builds triage, makes a
# small sample disk image (ext4 with a deleted file, built without mounting) and scans it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CASE_DIR=${CASE_DIR:-$ROOT/case-sample}
bash "$ROOT/scripts/install-deps.sh"
cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$ROOT/build" -j"$(nproc)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/tree/docs" "$WORK/tree/Звіти"
cp "$ROOT/README.md" "$WORK/tree/docs/README.md"
cp "$ROOT/triage/include/triage/detector_abi.h" "$WORK/tree/docs/"
printf 'Raport privind învățământul, 2026\n' > "$WORK/tree/Звіти/raport.txt"
printf 'to be deleted\n' > "$WORK/tree/secret.txt"
SAMPLE="$ROOT/build/sample-ext4.img"
rm -f "$SAMPLE"
mke2fs -q -t ext4 -d "$WORK/tree" -F "$SAMPLE" 8M
debugfs -w -R 'rm /secret.txt' "$SAMPLE" >/dev/null 2>&1
chmod 0444 "$SAMPLE"

"$ROOT/build/triage" scan "$SAMPLE" --case "$CASE_DIR" --examiner "sample" --case-number "SAMPLE-1"
echo
"$ROOT/build/triage" ls "$CASE_DIR"
echo
REPORT=$("$ROOT/build/triage" report "$CASE_DIR")
echo "Index written to:  $CASE_DIR/index.db"
echo "Report written to: $REPORT (open it in a browser; it works offline)"
echo "Try: $ROOT/build/triage ls $CASE_DIR --deleted ; sqlite3 $CASE_DIR/index.db 'SELECT * FROM v_evidence'"
