#!/usr/bin/env bash
# install-bench-deps.sh: Debian 12 packages the benchmark needs (run as root).
#   - the corpus generator (/work/shared/bench/make_corpus.sh, or ../shared/bench/ beside the checkout):
#     e2fsprogs dosfstools mtools fdisk ewf-tools faketime sleuthkit python3-pil
#   - the profilers of bench/profile_scan.sh: linux-perf (perf), valgrind (callgrind)
#   - the carvers bench_carve.sh compares triage carve with: testdisk (photorec), foremost, scalpel
#   - the anchors bench_scan.sh times triage against: ewf-tools (ewfverify), sleuthkit (mmls,
#     tsk_recover), hashdeep, openssl, coreutils (md5sum ...), GNU time (/usr/bin/time), yara
# The engine's own build dependencies come from scripts/install-deps.sh.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-bench-deps.sh: run as root (apt-get)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  e2fsprogs dosfstools mtools fdisk ewf-tools faketime sleuthkit python3 python3-pil \
  yara hashdeep openssl time coreutils \
  testdisk foremost scalpel \
  linux-perf valgrind
