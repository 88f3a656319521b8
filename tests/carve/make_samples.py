#!/usr/bin/python3
"""Writes one valid sample per carving format into OUTDIR, each checked with its format's own
reader where Debian has one (Pillow's verify for images, zipfile.testzip, sqlite3 integrity_check,
the wave module). Used by tests/carve at test time: nothing here is checked into the tree.

    make_samples.py OUTDIR
"""
import io
import os
import random
import sqlite3
import struct
import sys
import wave
import zipfile

from PIL import Image

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rnd = random.Random(42)


def noise_image(w, h, seed):
    r = random.Random(seed)
    img = Image.new("RGB", (w, h))
    img.putdata([(r.randrange(256), (x * 7) % 256, r.randrange(256)) for x in range(w * h)])
    return img


def path(name):
    return os.path.join(out, name)


def check_image(p):
    with Image.open(p) as im:
        im.verify()


# JPEG with EXIF (the APP1 segment carries a thumbnail-free EXIF), baseline, noisy so the
# entropy-coded data has stuffed 0xFF bytes; and a progressive one (several scans).
img = noise_image(320, 200, 1)
exif = Image.Exif()
exif[0x010F] = "TriageTestCam"
exif[0x0110] = "Model-1"
img.save(path("sample.jpg"), quality=92, exif=exif.tobytes())
noise_image(200, 160, 2).save(path("progressive.jpg"), quality=85, progressive=True)
noise_image(300, 200, 3).save(path("sample.png"))
noise_image(160, 120, 4).convert("P").save(path("sample.gif"))
noise_image(120, 90, 5).save(path("sample.bmp"))
noise_image(200, 150, 6).save(path("sample.pdf"))
noise_image(200, 150, 7).save(path("sample.webp"), quality=80)
for n in ("sample.jpg", "progressive.jpg", "sample.png", "sample.gif", "sample.bmp", "sample.webp"):
    check_image(path(n))

# ZIP (deflated and stored members), DOCX (OOXML parts), ODT (stored "mimetype" first).
with zipfile.ZipFile(path("sample.zip"), "w") as z:
    z.writestr("readme.txt", "triage carving test\n" * 200, compress_type=zipfile.ZIP_DEFLATED)
    z.writestr("data.bin", bytes(rnd.randrange(256) for _ in range(30000)), compress_type=zipfile.ZIP_STORED)
with zipfile.ZipFile(path("sample.docx"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
    z.writestr("word/document.xml", '<?xml version="1.0"?><w:document><w:body>carving test</w:body></w:document>')
with zipfile.ZipFile(path("sample.odt"), "w") as z:
    z.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
    z.writestr("content.xml", "<office:document-content>carving test</office:document-content>",
               compress_type=zipfile.ZIP_DEFLATED)
    z.writestr("META-INF/manifest.xml", "<manifest:manifest/>", compress_type=zipfile.ZIP_DEFLATED)
for n in ("sample.zip", "sample.docx", "sample.odt"):
    with zipfile.ZipFile(path(n)) as z:
        assert z.testzip() is None, n

# SQLite: a few pages of rows.
if os.path.exists(path("sample.sqlite")):
    os.remove(path("sample.sqlite"))
db = sqlite3.connect(path("sample.sqlite"))
db.execute("CREATE TABLE msg(id INTEGER PRIMARY KEY, body TEXT)")
db.executemany("INSERT INTO msg(body) VALUES (?)", [("message %d " % i * 20,) for i in range(300)])
db.commit()
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
db.close()

# WAV (the wave module writes and reads it back).
with wave.open(path("sample.wav"), "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(8000)
    w.writeframes(bytes(rnd.randrange(256) for _ in range(16000)))
with wave.open(path("sample.wav"), "rb") as w:
    assert w.getnframes() == 8000


def box(kind, payload):
    return struct.pack(">I", 8 + len(payload)) + kind + payload


# MP4: ftyp, mdat, moov(mvhd) — the ISO BMFF box layout (no Debian reader without ffmpeg).
mvhd = box(b"mvhd", bytes(4) + struct.pack(">IIII", 0, 0, 1000, 5000) + bytes(80))
mp4 = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41") + box(b"free", b"") + \
    box(b"mdat", bytes(rnd.randrange(256) for _ in range(40000))) + box(b"moov", mvhd)
open(path("sample.mp4"), "wb").write(mp4)


def chunk(cid, payload):
    return cid + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) % 2 else b"")


# AVI: RIFF 'AVI ' with a header list and a movie list.
hdrl = b"hdrl" + chunk(b"avih", bytes(56))
movi = b"movi" + chunk(b"00dc", bytes(rnd.randrange(256) for _ in range(5001)))
body = b"AVI " + chunk(b"LIST", hdrl) + chunk(b"LIST", movi)
open(path("sample.avi"), "wb").write(b"RIFF" + struct.pack("<I", len(body)) + body)

# PE: an MZ stub, PE32 headers and two sections, file alignment 0x200.
sections = [(b".text", bytes(rnd.randrange(256) for _ in range(0x600))), (b".data", bytes(0x400))]
opt = struct.pack("<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII", 0x10B, 14, 0, 0x600, 0x400, 0, 0x1000, 0x1000, 0x2000,
                  0x400000, 0x1000, 0x200, 6, 0, 0, 0, 6, 0, 0, 0x3000, 0x400, 0, 3, 0, 0x100000, 0x1000,
                  0x100000, 0x1000, 0, 16) + bytes(16 * 8)
coff = struct.pack("<HHIIIHH", 0x14C, len(sections), 0, 0, 0, len(opt), 0x0102)
stub = bytearray(0x80)
stub[0:2] = b"MZ"
stub[0x3C:0x40] = struct.pack("<I", 0x80)
hdr = bytes(stub) + b"PE\0\0" + coff + opt
raw, secs, ptr, rva = b"", b"", 0x400, 0x1000
for name, data in sections:
    secs += name.ljust(8, b"\0") + struct.pack("<IIIIIIHHI", len(data), rva, len(data), ptr, 0, 0, 0, 0, 0x60000020)
    raw += data
    ptr += len(data)
    rva += 0x1000
hdr = (hdr + secs).ljust(0x400, b"\0")
open(path("sample.exe"), "wb").write(hdr + raw)
print("ok")
