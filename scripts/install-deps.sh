#!/usr/bin/env bash
# Installs everything triage needs to build, run and test on Debian 12 (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  build-essential cmake pkg-config git ca-certificates \
  libtsk-dev libewf-dev libdeflate-dev libqcow-dev libyara-dev libhyperscan-dev libidn2-dev libssl-dev libsqlite3-dev \
  libbfio-dev libvslvm-dev libvshadow-dev libluksde-dev libbde-dev libfvde-dev \
  libcli11-dev nlohmann-json3-dev libfmt-dev catch2 \
  sleuthkit ewf-tools yara sqlite3 hashdeep \
  e2fsprogs dosfstools mtools ntfs-3g unzip gzip xxd python3 python3-libqcow libqcow-utils \
  qemu-utils xz-utils \
  libkainjow-mustache-dev chromium qpdf \
  libarchive-dev libxml2-utils python3-jsonschema python3-rdflib \
  libjpeg62-turbo-dev libpng-dev libgif-dev libwebp-dev libfuzzy-dev libtlsh-dev ssdeep tlsh-tools python3-pil \
  zlib1g-dev \
  libmagic-dev libarchive-dev libexif-dev libarchive-tools zip bzip2 libimage-exiftool-perl exif \
  cryptsetup-bin python3-pil qpdf gcab p7zip-full libheif-examples \
  clang libclang-rt-14-dev \
  strace time
