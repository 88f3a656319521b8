#!/usr/bin/python3
"""Builds the damaged-image battery into OUTDIR and writes OUTDIR/manifest.tsv.

Every image is made here, at run time, from Debian tools (mke2fs -d, mkfs.vfat + mcopy, mkntfs +
ntfscp, ewfacquire) and then damaged by byte surgery in this script: truncation, seeded random byte
flips inside the metadata regions each file system tool reports (dumpe2fs/debugfs for ext4, the
boot sector's BPB for FAT, the boot sector and $MFT for NTFS), broken partition tables written by
hand (an MBR extended chain that points back at itself, a GPT with overlapping entries), EWF
segments with corrupted chunks or a missing segment, and a file system that claims a petabyte.
Nothing is ever mounted.

manifest.tsv columns (tab-separated, one variant a line):
  name      unique variant name (also the image's file name stem)
  group     truncate-raw | truncate-e01 | e01-chunks | e01-segments | partitions | flip-ext4 |
            flip-fat | flip-ntfs | petabyte
  image     the file given to `triage scan` (relative to OUTDIR)
  files     every file of the evidence (segments), comma-separated, for the before/after hashes
  offset    byte offset of the file system the TSK oracle (fls/icat) is run at; -1: none
  errors    always: the damage is certain to be visible, an errors row must name the image;
            if-lost: seeded flips may hit unused bytes, an errors row is required only when
            something is lost (fls cannot list the file system, or triage has none there)
  note      what was done (seed, positions) for the record

Usage: gen_battery.py OUTDIR [SEED]
"""

import os
import random
import re
import shutil
import struct
import subprocess
import sys
import zlib

OUT = sys.argv[1]
BASE_SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 20261129
WORK = os.path.join(OUT, "work")
rows = []


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw).stdout.decode(
        "utf-8", "replace")


def read(path):
    with open(path, "rb") as f:
        return bytearray(f.read())


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def add(name, group, image, files, offset, errors, note):
    rows.append((name, group, image, ",".join(files), str(offset), errors, note))


def source_tree(path, seed):
    """A small tree with text, a fragment-spanning binary and a subfolder."""
    rng = random.Random(seed)
    os.makedirs(os.path.join(path, "sub", "deep"), exist_ok=True)
    files = {
        "a.txt": b"alpha file\n" * 40,
        "b.txt": b"bravo\n",
        "notes.md": b"# notes\n" + bytes(rng.getrandbits(8) for _ in range(3000)),
        "sub/c.txt": b"charlie in a subfolder\n" * 100,
        "sub/deep/d.bin": bytes(rng.getrandbits(8) for _ in range(70000)),
        "big.bin": bytes(rng.getrandbits(8) for _ in range(400000)),
    }
    for rel, data in files.items():
        write(os.path.join(path, rel), data)
    return files


# ---------------------------------------------------------------- base images

def make_ext4(path, size="6M", features=""):
    tree = os.path.join(WORK, "tree-ext4")
    if not os.path.isdir(tree):
        source_tree(tree, BASE_SEED)
    opt = " -O " + features if features else ""
    sh(f"mke2fs -q -t ext4 -b 1024{opt} -d '{tree}' -F '{path}' {size}")
    return path


def ext4_regions(path):
    """(superblock, group descriptors, inode table, directory blocks) as byte ranges."""
    out = sh(f"dumpe2fs '{path}' 2>/dev/null")
    bs = int(re.search(r"Block size:\s+(\d+)", out).group(1))
    gd = re.search(r"Group descriptors? at (\d+)-(\d+)", out)
    it = re.search(r"Inode table at (\d+)-(\d+)", out)
    regions = {
        "superblock": [(1024, 1024)],
        "groupdesc": [(int(gd.group(1)) * bs, (int(gd.group(2)) - int(gd.group(1)) + 1) * bs)],
        # The first 64 inodes hold the root, lost+found and the tree's files.
        "inodetable": [(int(it.group(1)) * bs, 64 * 256)],
        "direntries": [],
    }
    for d in ("/", "/sub", "/sub/deep"):
        blocks = sh(f"debugfs -R 'blocks {d}' '{path}' 2>/dev/null").split()
        regions["direntries"] += [(int(b) * bs, bs) for b in blocks]
    return regions


def make_fat(path):
    tree = os.path.join(WORK, "tree-fat")
    if not os.path.isdir(tree):
        source_tree(tree, BASE_SEED + 1)
    sh(f"rm -f '{path}' && mkfs.vfat -F 16 -s 2 -C '{path}' 6144 >/dev/null")
    sh(f"mcopy -s -i '{path}' '{tree}'/* ::/")
    return path


def fat_regions(path):
    d = read(path)
    bps, spc, reserved, nfats, rootents = struct.unpack_from("<HBHBH", d, 11)
    fatsz = struct.unpack_from("<H", d, 22)[0]
    fat_start = reserved * bps
    root_start = fat_start + nfats * fatsz * bps
    root_len = rootents * 32
    data_start = root_start + root_len
    # The first FAT's used part: every cluster the tree uses has its entry in the first ~2 KiB.
    return {
        "bootsector": [(0, 512)],
        "fatchain": [(fat_start, min(fatsz * bps, 2048))],
        # Root directory entries (only the used ones: 16 entries) and the first data clusters,
        # which hold the subfolders' entries.
        "direntries": [(root_start, 16 * 32), (data_start, spc * bps * 2)],
    }


def make_ntfs(path):
    tree = os.path.join(WORK, "tree-ntfs")
    if not os.path.isdir(tree):
        source_tree(tree, BASE_SEED + 2)
    sh(f"rm -f '{path}' && truncate -s 8M '{path}' && mkntfs -F -q -Q -s 512 -c 4096 '{path}' >/dev/null 2>&1")
    for rel in ("a.txt", "b.txt", "notes.md", "big.bin", "sub/c.txt", "sub/deep/d.bin"):
        sh(f"ntfscp -f '{path}' '{os.path.join(tree, rel)}' '/{os.path.basename(rel)}' >/dev/null 2>&1")
    return path


def ntfs_regions(path):
    d = read(path)
    bps = struct.unpack_from("<H", d, 11)[0]
    spc = d[13]
    mft_lcn = struct.unpack_from("<Q", d, 48)[0]
    cpr = struct.unpack_from("<b", d, 64)[0]
    rec = 2 ** (-cpr) if cpr < 0 else cpr * spc * bps
    mft = mft_lcn * spc * bps
    return {
        "bootsector": [(0, 512)],
        # $MFT, $MFTMirr, $LogFile, $Volume, $AttrDef (records 0-4) and the tree's files (64-70).
        "mft": [(mft, 5 * rec), (mft + 64 * rec, 7 * rec)],
        # Record 5 is the root folder: its $INDEX_ROOT holds the folder's entries.
        "rootindex": [(mft + 5 * rec, rec)],
    }


def flip_variants(group, base, regions, per_region, errors_rule):
    for region, count in per_region.items():
        for i in range(count):
            rng = random.Random(f"{BASE_SEED}/{group}/{region}/{i}")
            d = read(base)
            spans = regions[region]
            nflip = rng.randint(1, 12)
            where = []
            for _ in range(nflip):
                start, length = rng.choice(spans)
                p = start + rng.randrange(length)
                d[p] ^= rng.randint(1, 255)
                where.append(p)
            name = f"{group}-{region}-{i}"
            img = name + ".img"
            write(os.path.join(OUT, img), d)
            add(name, group, img, [img], 0, errors_rule,
                f"{nflip} byte(s) flipped in the {region} at " + " ".join(str(w) for w in sorted(where)))


def truncations(group, base, fractions, stem, offset, suffix=".img"):
    d = read(base)
    for frac in fractions:
        n = int(len(d) * frac) if isinstance(frac, float) else frac
        name = f"{stem}-cut{n}"
        img = name + suffix
        write(os.path.join(OUT, img), d[:n])
        add(name, group, img, [img], offset, "always", f"first {n} of {len(d)} bytes")


# ---------------------------------------------------------------- EWF

def ewf_sections(d):
    out, off = [], 13
    while off + 76 <= len(d):
        kind = bytes(d[off:off + 16]).split(b"\0")[0].decode("ascii", "replace")
        nxt, size = struct.unpack_from("<QQ", d, off + 16)
        out.append((kind, off, size))
        if kind in ("done", "next") or nxt <= off:
            break
        off = nxt
    return out


def ewfacquire(src, target, extra=""):
    sh(f"ewfacquire -u -q -t '{target}' -f encase6 {extra} '{src}' </dev/null >/dev/null 2>&1")


# ---------------------------------------------------------------- partition tables

SECTOR = 512


def mbr_entry(boot, ptype, lba, count):
    return struct.pack("<B3sB3sII", boot, b"\xfe\xff\xff", ptype, b"\xfe\xff\xff", lba, count)


def mbr(entries, sig=b"\x55\xaa"):
    b = bytearray(512)
    b[440:444] = b"TRGE"
    for i, e in enumerate(entries):
        b[446 + 16 * i:446 + 16 * (i + 1)] = e
    b[510:512] = sig
    return b


def disk_with_fs(fs_image, lead_sectors, total_sectors):
    fs = read(fs_image)
    d = bytearray(total_sectors * SECTOR)
    d[lead_sectors * SECTOR:lead_sectors * SECTOR + len(fs)] = fs
    return d, len(fs) // SECTOR


def gpt(entries, total_sectors):
    """Protective MBR, primary header at LBA 1 with correct CRCs, 128 entries at LBA 2."""
    table = bytearray(128 * 128)
    for i, (first, last, name) in enumerate(entries):
        linux = bytes.fromhex("af3dc60f838472478e793d69d8477de4")  # 0FC63DAF-8483-4772-8E79-3D69D8477DE4
        unique = bytes([i + 1] * 16)
        nm = name.encode("utf-16-le")[:72].ljust(72, b"\0")
        table[i * 128:(i + 1) * 128] = linux + unique + struct.pack("<QQQ", first, last, 0) + nm
    hdr = bytearray(92)
    struct.pack_into("<8sIII", hdr, 0, b"EFI PART", 0x00010000, 92, 0)
    struct.pack_into("<QQQQ", hdr, 24, 1, total_sectors - 1, 34, total_sectors - 34)
    hdr[56:72] = bytes(range(16))
    struct.pack_into("<QIII", hdr, 72, 2, 128, 128, zlib.crc32(table))
    struct.pack_into("<I", hdr, 16, zlib.crc32(hdr))
    pm = mbr([mbr_entry(0, 0xEE, 1, min(total_sectors - 1, 0xFFFFFFFF))])
    return pm, hdr, table


def partition_variants(fs_image):
    lead, total = 2048, 2048 + 12288 + 4096
    base, fs_sectors = disk_with_fs(fs_image, lead, total)
    good = mbr_entry(0x80, 0x83, lead, fs_sectors)

    def emit(name, d, errors, note, offset=lead * SECTOR):
        img = name + ".raw"
        write(os.path.join(OUT, img), d)
        add(name, "partitions", img, [img], offset, errors, note)

    d = bytearray(base)
    d[0:512] = mbr([good])
    d[0:512] = bytearray(512)
    # triage does not search for a file system where no table points: no oracle offset.
    emit("mbr-zeroed", d, "always", "an MBR disk whose first sector was zeroed", offset=-1)

    d = bytearray(base)
    d[0:512] = mbr([good, mbr_entry(0, 0x83, lead + 100, fs_sectors), mbr_entry(0, 0x83, lead, fs_sectors)])
    emit("mbr-overlap", d, "always", "three primary entries: one good, one overlapping it at +100 sectors, one duplicate")

    ext_lba = lead + fs_sectors + 64
    d = bytearray(base)
    d[0:512] = mbr([good, mbr_entry(0, 0x05, ext_lba, 2048)])
    # EBR: a logical partition, then a 'next EBR' link at relative 0: itself.
    d[ext_lba * SECTOR:(ext_lba + 1) * SECTOR] = mbr([mbr_entry(0, 0x83, 63, 100), mbr_entry(0, 0x05, 0, 2048)])
    emit("mbr-ext-selfloop", d, "always", f"extended partition at {ext_lba} whose EBR links to itself")

    d = bytearray(base)
    d[0:512] = mbr([good, mbr_entry(0, 0x0F, ext_lba, 2048)])
    d[ext_lba * SECTOR:(ext_lba + 1) * SECTOR] = mbr([mbr_entry(0, 0x83, 63, 100), mbr_entry(0, 0x05, 500, 1000)])
    e2 = ext_lba + 500
    d[e2 * SECTOR:(e2 + 1) * SECTOR] = mbr([mbr_entry(0, 0x83, 63, 100), mbr_entry(0, 0x05, 0, 1000)])
    emit("mbr-ext-loop2", d, "always", f"EBR at {ext_lba} links to {e2}, which links back to {ext_lba}")

    d = bytearray(base)
    d[0:512] = mbr([good, mbr_entry(0, 0x83, 0xFFFFFF00, 0xFFFF), mbr_entry(0, 0x83, total - 10, 0xFFFFFFF0)])
    # TSK refuses this whole table; triage reads the primary entries itself (layout/mbr_fallback).
    emit("mbr-beyond-end", d, "always", "entries starting past the end of the disk and running far beyond it")

    d = bytearray(base)
    d[0:512] = mbr([good, mbr_entry(0, 0x05, lead + 10, 4096)])
    d[(lead + 10) * SECTOR:(lead + 11) * SECTOR] = mbr([mbr_entry(0, 0x83, 1, 5000)])
    emit("mbr-ext-inside-fs", d, "always", "an extended partition whose EBR lies inside the first partition's file system")

    last = lead + fs_sectors - 1
    pm, hdr, table = gpt([(lead, last, "good"), (lead + 1024, total - 40, "overlap")], total)
    d = bytearray(base)
    d[0:512] = pm
    d[512:512 + 92] = hdr
    d[1024:1024 + len(table)] = table
    emit("gpt-overlap", d, "always", "GPT: entry 2 starts inside entry 1")

    pm, hdr, table = gpt([(lead, last, "one"), (lead, last, "same"), (last, lead, "reversed")], total)
    d = bytearray(base)
    d[0:512] = pm
    d[512:512 + 92] = hdr
    d[1024:1024 + len(table)] = table
    emit("gpt-duplicate", d, "always", "GPT: two identical entries and one whose end lies before its start")

    d = bytearray(base)
    pm, hdr, table = gpt([(lead, last, "good")], total)
    d[0:512] = pm
    d[1024:1024 + len(table)] = table
    # Only the protective entry remains and no backup header was written: no table points at
    # the file system, so no oracle offset (as for the zeroed MBR).
    emit("gpt-no-header", d, "always", "protective MBR, but the GPT header sector is zero", offset=-1)


# ---------------------------------------------------------------- main

def main():
    os.makedirs(WORK, exist_ok=True)

    ext4 = make_ext4(os.path.join(WORK, "ext4.img"))
    fat = make_fat(os.path.join(WORK, "fat.img"))
    ntfs = make_ntfs(os.path.join(WORK, "ntfs.img"))

    # Truncated raw images.
    truncations("truncate-raw", ext4, [0.1, 0.5, 0.9, 1234567], "ext4", 0)
    truncations("truncate-raw", fat, [0.3, 0.75], "fat", 0)
    truncations("truncate-raw", ntfs, [0.2, 0.6, 0.95], "ntfs", 0)

    # Seeded flips in metadata regions.
    flip_variants("flip-ext4", ext4, ext4_regions(ext4),
                  {"superblock": 6, "groupdesc": 4, "inodetable": 8, "direntries": 6}, "if-lost")
    flip_variants("flip-fat", fat, fat_regions(fat), {"bootsector": 5, "fatchain": 7, "direntries": 7}, "if-lost")
    flip_variants("flip-ntfs", ntfs, ntfs_regions(ntfs), {"bootsector": 4, "mft": 8, "rootindex": 5}, "if-lost")

    # E01: truncated, corrupted chunks, a missing segment.
    e01_base = os.path.join(WORK, "e01", "ext4")
    os.makedirs(os.path.dirname(e01_base), exist_ok=True)
    ewfacquire(ext4, e01_base, "-c deflate:fast")
    e01 = e01_base + ".E01"
    size = os.path.getsize(e01)
    truncations("truncate-e01", e01, [0.05, 0.25, 0.5, 0.75, 0.95, size - 100], "e01", 0, suffix=".E01")

    d = read(e01)
    sectors = [s for s in ewf_sections(d) if s[0] == "sectors"][0]
    tables = [s for s in ewf_sections(d) if s[0] in ("table", "table2")]
    data_start, data_len = sectors[1] + 76, sectors[2] - 76
    rng = random.Random(f"{BASE_SEED}/e01")
    for name, spots in (("first", [data_start + 40]), ("middle", [data_start + data_len // 2]),
                        ("last", [data_start + data_len - 30]),
                        ("scattered", [data_start + rng.randrange(data_len) for _ in range(20)])):
        c = bytearray(d)
        for p in spots:
            c[p] ^= 0xA5
        img = f"e01-chunk-{name}.E01"
        write(os.path.join(OUT, img), c)
        add(f"e01-chunk-{name}", "e01-chunks", img, [img], 0, "always", "chunk bytes flipped at " + " ".join(map(str, spots)))
    c = bytearray(d)
    p = data_start + data_len // 3
    c[p:p + 8192] = bytes(8192)
    write(os.path.join(OUT, "e01-chunk-zeroed.E01"), c)
    add("e01-chunk-zeroed", "e01-chunks", "e01-chunk-zeroed.E01", ["e01-chunk-zeroed.E01"], 0, "always",
        f"8 KiB of chunk data zeroed at {p}")
    if tables:
        c = bytearray(d)
        t = tables[0]
        # The offsets array starts after the descriptor (76) and the table header (24 bytes).
        spots = [t[1] + 76 + 24 + 4 * k + 1 for k in (1, 3, 5)]
        for p in spots:
            c[p] ^= 0x5A
        write(os.path.join(OUT, "e01-table.E01"), c)
        # libewf notices the table's checksum and reads the table2 copy: the media may well read
        # right (stored hash verified), so an errors row is required only if something is lost.
        add("e01-table", "e01-chunks", "e01-table.E01", ["e01-table.E01"], 0, "if-lost",
            "chunk offsets in the table section changed at " + " ".join(map(str, spots)))

    # Split E01 (1 MiB segments, stored) with a segment missing or cut.
    split_dir = os.path.join(WORK, "split")
    os.makedirs(split_dir, exist_ok=True)
    ewfacquire(ext4, os.path.join(split_dir, "s"), "-c none -S 1048576")
    segs = sorted(f for f in os.listdir(split_dir) if re.match(r"s\.E\d\d$", f))
    assert len(segs) >= 4, segs
    for name, drop, cut in (("missing-E02", "s.E02", None), ("missing-last", segs[-1], None), ("cut-E03", None, "s.E03")):
        stem = f"split-{name}"
        files = []
        for s in segs:
            if s == drop:
                continue
            dst = f"{stem}.{s.split('.')[1]}"
            data = read(os.path.join(split_dir, s))
            if s == cut:
                data = data[:len(data) // 2]
            write(os.path.join(OUT, dst), data)
            files.append(dst)
        add(stem, "e01-segments", f"{stem}.E01", files, 0, "always",
            f"{len(segs)} segments; " + (f"{drop} removed" if drop else f"{cut} cut in half"))

    # Partition tables.
    partition_variants(ext4)

    # A file system that claims a petabyte.
    pb = make_ext4(os.path.join(WORK, "pb-ext4.img"), "6M", "64bit,^metadata_csum")
    d = read(pb)
    blocks = (1 << 50) // 1024
    struct.pack_into("<I", d, 1024 + 0x04, blocks & 0xFFFFFFFF)
    struct.pack_into("<I", d, 1024 + 0x150, blocks >> 32)
    write(os.path.join(OUT, "petabyte-ext4.img"), d)
    add("petabyte-ext4", "petabyte", "petabyte-ext4.img", ["petabyte-ext4.img"], 0, "always",
        f"ext4 superblock block count set to {blocks} (1 PiB of 1 KiB blocks)")
    d = read(ntfs)
    struct.pack_into("<Q", d, 0x28, (1 << 50) // 512)
    write(os.path.join(OUT, "petabyte-ntfs.img"), d)
    add("petabyte-ntfs", "petabyte", "petabyte-ntfs.img", ["petabyte-ntfs.img"], 0, "always",
        "NTFS boot sector total sectors set to 2^41 (1 PiB)")
    d = read(fat)
    struct.pack_into("<H", d, 19, 0)
    struct.pack_into("<I", d, 32, 0xFFFFFFFF)
    write(os.path.join(OUT, "petabyte-fat.img"), d)
    add("petabyte-fat", "petabyte", "petabyte-fat.img", ["petabyte-fat.img"], 0, "always",
        "FAT16 boot sector total sectors set to 2^32-1 (2 TiB, the most FAT can claim)")

    shutil.rmtree(WORK)
    with open(os.path.join(OUT, "manifest.tsv"), "w") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")
    print(len(rows))


main()
