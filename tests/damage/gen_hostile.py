#!/usr/bin/python3
"""Builds hostile evidence for tests/damage/test_hostile.cpp (issue 11, item 5). Nothing is mounted.

gen_hostile.py names OUT.img WORK ESCAPE_ABS
    An ext4 image (mke2fs -d, no metadata checksums) whose files carry hostile names: control
    characters (C0 and C1), markup and script payloads, spreadsheet formulas, backslashes, invalid
    UTF-8, 255-byte names, a file at
    the end of a 4,000-byte path of deep folders, and names no Linux tool can create - '../../x',
    '../../../x', '..', and the absolute path ESCAPE_ABS - written by replacing same-length
    placeholder names in the image's directory blocks.

gen_hostile.py archives DIR
    Archives built to attack an extractor: a single high-ratio member (200 MiB of zeros), a
    nested bomb (three levels of 8 copies around a zip of 16 MiB of zeros: 8 GiB expanded), members named
    '../../x', '/abs', 'a/../../../y' and '..\\..\\win.txt', and symlink and hard-link members
    (zip and tar) pointing outside, with a member written through a symlinked folder.
"""

import io
import os
import sys
import tarfile
import zipfile
import subprocess


def names_image(out, work, escape_abs):
    tree = os.path.join(work, "tree")
    os.makedirs(tree)
    names = [
        b"ctl-\x01\x02\x1b[31m\x07\x7f-end.txt",
        b"new\nline.txt",
        b"tab\tand\rcr.txt",
        b"\"><img src=x onerror=alert(1)>.txt",
        b"javascript:alert(1)",
        b"back\\slash..\\..\\x.txt",
        b".hidden",
        b"...",
        b" leading space",
        b"\xff\xfe-bad-utf8.txt",
        b"N" * 251 + b".txt",
        "é".encode() * 127 + b"x",
        # U+009B, CSI as a C1 control: valid UTF-8, so TSK keeps it; a terminal may act on it.
        b"c1-\xc2\x9b2J-\xc2\x9d0;title\xc2\x9c.txt",
        # Spreadsheet formulas, if a CSV cell began with them.
        b"=HYPERLINK(1).txt",
        b"+SUM(1).txt",
        b"-2+3.txt",
        b"@cmd.txt",
    ]
    for i, n in enumerate(names):
        with open(os.path.join(tree.encode(), n), "wb") as f:
            f.write(b"payload %d\n" % i)
    # Placeholders of the same length as the names Linux cannot create.
    patched = [b"../../x", b"../../../x", b"..", escape_abs.encode(), b"<script>alert('x')</script>.html"]
    placeholders = []
    for i, target in enumerate(patched):
        ph = (b"PH%d" % i + b"Q" * len(target))[:len(target)]
        if len(ph) < 2:
            raise SystemExit("placeholder too short")
        placeholders.append(ph)
        with open(os.path.join(tree.encode(), ph), "wb") as f:
            f.write(b"escaping %d\n" % i)
    # A 4,000-byte path: 19 folders of 200 bytes, then a 180-byte file name (4,000 with slashes).
    fd = os.open(tree, os.O_RDONLY)
    for level in range(19):
        name = ("L%02d" % level) + "d" * 197
        os.mkdir(name, dir_fd=fd)
        nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    leaf = os.open("F" * 180, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(leaf, b"at the end of a 4000-byte path\n")
    os.close(leaf)
    os.close(fd)
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-O", "^metadata_csum,^dir_index", "-d", tree, "-F", out, "16M"],
                   check=True)
    with open(out, "r+b") as f:
        data = bytearray(f.read())
        for ph, target in zip(placeholders, patched):
            # A linear directory entry: inode (4), rec_len (2), name_len (1), file_type (1), name.
            needle = bytes([len(ph), 1]) + ph
            at = data.find(needle)
            if at < 0 or data.find(needle, at + 1) >= 0:
                raise SystemExit("placeholder %r not found exactly once" % ph)
            data[at + 2:at + 2 + len(ph)] = target
        f.seek(0)
        f.write(data)


def zeros_member(z, name, mib):
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with z.open(info, "w", force_zip64=True) as w:
        chunk = bytes(1 << 20)
        for _ in range(mib):
            w.write(chunk)


def archives(d):
    os.makedirs(d, exist_ok=True)
    with zipfile.ZipFile(os.path.join(d, "bomb-single.zip"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        zeros_member(z, "zeros.bin", 200)

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        zeros_member(z, "z.bin", 16)
    blob = inner.getvalue()
    for level in range(1, 4):
        outer = io.BytesIO()
        with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            for i in range(8):
                z.writestr("l%d-%d.zip" % (level, i), blob)
        blob = outer.getvalue()
    with open(os.path.join(d, "bomb-nested.zip"), "wb") as f:
        f.write(blob)

    with zipfile.ZipFile(os.path.join(d, "traversal.zip"), "w") as z:
        for name in ("../../x", "../../../x", "/abs-escape", "a/../../../y", "..\\..\\win.txt", "ok.txt"):
            z.writestr(zipfile.ZipInfo(name), "member named %s\n" % name)

    with zipfile.ZipFile(os.path.join(d, "symlinks.zip"), "w") as z:
        for name, target in (("passwd-link", "/etc/passwd"), ("up", "../../..")):
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (0o120777 << 16)
            z.writestr(info, target)
        z.writestr(zipfile.ZipInfo("up/evil-through-link"), "written through a symlinked folder\n")

    with tarfile.open(os.path.join(d, "traversal.tar"), "w") as t:
        def reg(name, text):
            data = text.encode()
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        reg("../../x", "tar member ../../x\n")
        reg("/abs-tar-escape", "tar member with an absolute name\n")
        for name, kind, target in (("ln-shadow", tarfile.SYMTYPE, "/etc/shadow"), ("hl-passwd", tarfile.LNKTYPE, "/etc/passwd"),
                                   ("up", tarfile.SYMTYPE, "../../")):
            ti = tarfile.TarInfo(name)
            ti.type = kind
            ti.linkname = target
            t.addfile(ti)
        reg("up/evil", "through the symlink\n")


if __name__ == "__main__":
    if sys.argv[1] == "names":
        names_image(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "archives":
        archives(sys.argv[2])
    else:
        raise SystemExit("usage: gen_hostile.py names OUT.img WORK ESCAPE_ABS | archives DIR")
