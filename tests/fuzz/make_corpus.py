#!/usr/bin/python3
"""Writes the committed seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

Small inputs derived from ../shared/testdata (the PDQ reference pictures, shrunk) and from the
project's own test values (tests/identifiers, tests/hashset), plus hand-made samples of each
format built here with the Python standard library and Pillow. Run once when a target gains a
format; the output is committed (keep it small: a few hundred KB in all).

  /usr/bin/python3 tests/fuzz/make_corpus.py [--shared ../shared]
"""
import argparse
import io
import json
import os
import sqlite3
import struct
import tarfile
import tempfile
import wave
import zipfile
import zlib

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def out(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def picture(shared, size=(24, 16)):
    src = os.path.join(shared, "testdata/pdq/data/bridge-mods/aaa-orig.jpg")
    if os.path.exists(src):
        im = Image.open(src).convert("RGB")
        return im.resize(size)
    im = Image.new("RGB", size)
    for y in range(size[1]):
        for x in range(size[0]):
            im.putpixel((x, y), (x * 10 % 256, y * 15 % 256, (x * y) % 256))
    return im


def encoded(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def sqlite_db():
    with tempfile.TemporaryDirectory() as t:
        p = os.path.join(t, "db")
        c = sqlite3.connect(p)
        c.execute("PRAGMA page_size=512")
        c.execute("CREATE TABLE FILE (sha256 TEXT, sha1 TEXT, md5 TEXT, file_name TEXT, file_size INTEGER)")
        c.execute("INSERT INTO FILE VALUES (?,?,?,?,?)",
                  ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                   "da39a3ee5e6b4b0d3255bfef95601890afd80709", "d41d8cd98f00b204e9800998ecf8427e", "empty", 0))
        c.commit()
        c.close()
        return open(p, "rb").read()


def box(kind, payload):
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def carve(shared):
    im = picture(shared)
    out("carve_validators", "a.jpg", encoded(im, "JPEG", quality=50))
    out("carve_validators", "a.png", encoded(im, "PNG"))
    out("carve_validators", "a.gif", encoded(im.convert("P"), "GIF"))
    out("carve_validators", "a.bmp", encoded(im, "BMP"))
    out("carve_validators", "a.webp", encoded(im, "WEBP", quality=40))
    pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
           b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
           b"trailer<</Size 3/Root 1 0 R>>\nstartxref\n101\n%%EOF\n")
    out("carve_validators", "a.pdf", pdf)
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>" * 4)
    out("carve_validators", "a.docx", z.getvalue())
    out("carve_validators", "a.sqlite", sqlite_db())
    mp4 = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + box(b"free", b"") + box(b"mdat", b"\x00" * 32) + \
        box(b"moov", box(b"mvhd", b"\x00" * 100))
    out("carve_validators", "a.mp4", mp4)
    w = io.BytesIO()
    with wave.open(w, "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(1)
        wf.setframerate(8000)
        wf.writeframes(bytes(range(64)))
    out("carve_validators", "a.wav", w.getvalue())
    # ELF: a 64-bit little-endian header with no sections, and a minimal PE (MZ, PE\0\0, one section).
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x400000, 64, 0, 0, 64, 56, 0, 64, 0, 0)
    out("carve_validators", "a.elf", elf + b"\x00" * 64)
    pe = bytearray(0x200)
    pe[0:2] = b"MZ"
    struct.pack_into("<I", pe, 0x3C, 0x80)
    pe[0x80:0x84] = b"PE\x00\x00"
    struct.pack_into("<HHIIIHH", pe, 0x84, 0x14C, 1, 0, 0, 0, 0xE0, 0x102)
    struct.pack_into("<H", pe, 0x98, 0x10B)
    sec = 0x98 + 0xE0
    pe[sec:sec + 8] = b".text\x00\x00\x00"
    struct.pack_into("<IIII", pe, sec + 8, 0x10, 0x1000, 0x10, 0x1F0)
    out("carve_validators", "a.exe", bytes(pe) + b"\xc3" * 16)
    out("carve_validators", "mixed.bin", b"junk" * 16 + encoded(im, "PNG") + b"\x00" * 100 + encoded(im, "JPEG"))


MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def hashset():
    vics2 = {"@odata.context": "http://github.com/ICMEC/ProjectVic/DataModels/2.0.xml/CASE/$metadata#Cases",
             "value": [{"CaseID": 1, "Media": [
                 {"MediaID": 7, "Category": 1, "MD5": MD5.upper(), "SHA1": SHA1, "SHA256": SHA256,
                  "PDQ": PDQ, "PDQQuality": 90, "VictimIdentified": "true", "OffenderIdentified": False,
                  "MediaSize": "123", "MediaFiles": [{"FileName": "a.jpg"}]},
                 {"MediaID": "8", "Category": None, "MD5": "zz", "RelativeFilePath": "x\\y/b.png"}]}]}
    out("hashset_import", "vics2.json", json.dumps(vics2, indent=1))
    vics1 = {"odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.2.xml/CASE/$metadata#Media",
             "value": [{"MediaID": 1, "Category": "2", "MD5": MD5, "SHA1": SHA1}]}
    out("hashset_import", "caid.json", json.dumps(vics1))
    out("hashset_import", "icse.csv",
        "Image ID;Series Name;MD5;SHA1;Victim Identified;Offender Identified;Baseline\r\n"
        f"1;\"a;b\";{MD5};{SHA1};yes;no;1\r\n2;x;{MD5[:-1]};;n;y;0\r\n")
    out("hashset_import", "nsrl2.txt",
        '"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"\n'
        f'"{SHA1.upper()}","{MD5.upper()}","00000000","empty.txt",0,1,"358",""\n"broken\n')
    out("hashset_import", "hashdeep.txt",
        "%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## comment\n"
        f"0,{MD5},{SHA256},/a/b,c.txt\nx,{MD5},{SHA256[:10]},d\n")
    out("hashset_import", "md5sum.txt", f"{MD5}  a file\n\\{MD5}  esc\\\\aped\\nname\n{MD5} *bin\n")
    out("hashset_import", "sha1sum.txt", f"{SHA1}  a\n")
    out("hashset_import", "sha256sum.txt", f"{SHA256}  a\n# c\n")
    out("hashset_import", "list.txt", f"\xef\xbb\xbf{MD5}\r\n{SHA1}\r\n# note\n\n{SHA256}\nnothex\n")
    out("hashset_import", "pdq.txt", f"{PDQ},100,a.jpg\n{PDQ},101\n{PDQ}\n")
    out("hashset_import", "nsrl3.db", sqlite_db())
    # The first byte picks the format for the second import: one seed per format index.
    for i, body in enumerate([json.dumps(vics2), json.dumps(vics1), "MD5;SHA1\n" + MD5 + ";\n"]):
        out("hashset_import", f"picked-{i}.bin", bytes([i]) + body.encode())


def pdq(shared):
    im = picture(shared, (40, 30))
    out("pdq_image", "a.jpg", encoded(im, "JPEG", quality=60))
    out("pdq_image", "grey.jpg", encoded(im.convert("L"), "JPEG", quality=60))
    out("pdq_image", "progressive.jpg", encoded(im, "JPEG", quality=60, progressive=True))
    out("pdq_image", "a.png", encoded(im, "PNG"))
    out("pdq_image", "rgba.png", encoded(im.convert("RGBA"), "PNG"))
    out("pdq_image", "pal.png", encoded(im.convert("P"), "PNG"))
    out("pdq_image", "grey16.png", encoded(im.convert("L").convert("I"), "PNG"))
    out("pdq_image", "a.gif", encoded(im.convert("P"), "GIF"))
    out("pdq_image", "a.webp", encoded(im, "WEBP", quality=40))
    out("pdq_image", "lossless.webp", encoded(im, "WEBP", lossless=True))
    out("pdq_image", "rgb24.bmp", encoded(im, "BMP"))
    out("pdq_image", "pal8.bmp", encoded(im.convert("P"), "BMP"))
    out("pdq_image", "mono.bmp", encoded(im.convert("1"), "BMP"))
    out("pdq_image", "grey8.bmp", encoded(im.convert("L"), "BMP"))
    out("pdq_image", "rle8.bmp", rle8_bmp(im.convert("P")))
    out("pdq_image", "rgba32.bmp", bgra_bmp(im, top_down=True))
    wee = os.path.join(shared, "testdata/pdq/data/misc-images/wee.jpg")
    if os.path.exists(wee):
        out("pdq_image", "wee.jpg", open(wee, "rb").read())


def bmp_file(header_extra, pixels, bpp, width, height, palette=b"", compression=0):
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bpp, compression, len(pixels), 2835, 2835,
                       len(palette) // 4, 0)
    off = 14 + len(info) + len(palette)
    return b"BM" + struct.pack("<IHHI", off + len(pixels), 0, 0, off) + info + palette + pixels


def bgra_bmp(im, top_down):
    w, h = im.size
    rows = []
    for y in range(h):
        rows.append(b"".join(struct.pack("BBBB", b, g, r, 255) for (r, g, b) in (im.getpixel((x, y)) for x in range(w))))
    if not top_down:
        rows.reverse()
    return bmp_file(b"", b"".join(rows), 32, w, -h if top_down else h)


def rle8_bmp(im):
    w, h = im.size
    pal = im.getpalette()[:256 * 3]
    palette = b"".join(struct.pack("BBBB", pal[i + 2], pal[i + 1], pal[i], 0) for i in range(0, len(pal), 3))
    data = b""
    for y in reversed(range(h)):
        row = [im.getpixel((x, y)) for x in range(w)]
        x = 0
        while x < w:
            n = 1
            while x + n < w and n < 255 and row[x + n] == row[x]:
                n += 1
            data += bytes([n, row[x]])
            x += n
        data += b"\x00\x00"
    data += b"\x00\x01"
    return bmp_file(b"", data, 8, w, h, palette, compression=1)


def identifiers():
    text = ("Contact: john.doe@example.org, https://example.com/path?q=1 and www.example.net\n"
            "IBAN DE89 3704 0044 0532 0130 00, GB29NWBK60161331926819; card 4111 1111 1111 1111, 4012888888881881\n"
            "BTC 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 "
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0\n"
            "ETH 0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359 TRON TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\n"
            "XMR 44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A\n"
            "phone +44 20 7946 0958, (212) 555-0123, +380 44 123 4567; ip 192.168.1.10 2001:db8::1\n")
    out("identifiers", "ascii.txt", text)
    out("identifiers", "utf16le.txt", text.encode("utf-16-le"))
    out("identifiers", "utf16be-odd.bin", b"\x01" + text.encode("utf-16-be"))
    out("identifiers", "utf8.txt", "Пошта: олег@example.ua тел. +380 67 123 45 67 IBAN UA213223130000026007233566001 €\n")
    for v in ("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
              "0xde709f2102306220921060314715629080e2fb77", "FR1420041010050500013M02606", "4111111111111111",
              "fb6916095ca1df60bb79ce92ce3ea74c37c5d359"):
        out("identifiers", "value-" + v[:12] + ".txt", v)


def archive_paths():
    for i, name in enumerate(["../../etc/passwd", "/abs/path", "a\\..\\..\\b", "./a/./b//c", "dir/<script>.txt",
                              "x\x01y\x7fz>w", "\xc0\xaf..\xc0\xafx", "C:\\Windows\\evil.dll", "." * 1030,
                              "a/" * 600 + "b", "\u202eexe.txt", ""]):
        out("archive_paths", f"name-{i:02d}.txt", name.encode("utf-8", "surrogateescape") if isinstance(name, str) else name)
    out("archive_paths", "name-overlong.bin", b"\xc0\xae\xc0\xae/\xed\xa0\x80x/\xf8\x88\x80\x80\x80")
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        for n in ("../../x", "/etc/cron.d/x", "ok/file.txt", "a\\..\\b", "dir/"):
            zf.writestr(zipfile.ZipInfo(n), b"data")
    out("archive_paths", "slip.zip", z.getvalue())
    t = io.BytesIO()
    with tarfile.open(fileobj=t, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for n in ("../../x", "/abs", "long/" + "n" * 300):
            ti = tarfile.TarInfo(n)
            ti.size = 1
            tf.addfile(ti, io.BytesIO(b"x"))
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "../../../etc"
        tf.addfile(link)
    out("archive_paths", "slip.tar", t.getvalue())
    out("archive_paths", "slip.tar.gz", gzip_bytes(t.getvalue()))


def gzip_bytes(b):
    import gzip
    return gzip.compress(b, mtime=0)


def report_escape():
    for i, s in enumerate(["<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>", "=HYPERLINK(\"http://x\",\"y\")",
                           "+1+cmd|' /C calc'!A0", "-2", "@SUM(A1)", "\tx", "\rx", "a,b\"c\nd", "&amp; &#x3c; &",
                           "</script><!--", "line\u2028sep\u2029", "\x00\x01\x1f\x7f", "caf\xe9", "\ufffe\uffff", "日本語"]):
        out("report_escape", f"s-{i:02d}.txt", s.encode("utf-8") if i != 13 else b"caf\xe9")
    out("report_escape", "invalid-utf8.bin", b"\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x80")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(HERE, "../../../shared"))
    a = ap.parse_args()
    carve(a.shared)
    hashset()
    pdq(a.shared)
    identifiers()
    archive_paths()
    report_escape()
