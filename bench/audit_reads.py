#!/usr/bin/python3
"""audit_reads.py CASEDIR IMAGE_BYTES

Prints, on one line, what the case's audit log says a scan read: the byte counters of each
"evidence scanned" row of CASEDIR/index.db (table `audit`, `detail` is JSON) with each counter as
a share of IMAGE_BYTES (the size of the raw image), and the share of bytes read twice where the
engine records it (a counter whose name says "twice", "reread", "re_read" or "second").

The engine reads the whole image once for its hashes; what it reads again for the files is its
`content_bytes_read` counter. Without a "read twice" counter, this script reports that counter's
share of the image as the bytes read a second time (an upper bound: the image-hash pass and the
file pass are separate reads of the same bytes).

Standard library only. Exit 0 with the line, 1 when the case has no such audit row.
"""
import json
import os
import sqlite3
import sys

TWICE_WORDS = ("twice", "reread", "re_read", "second")


def fmt_bytes(n):
    return "%.1f MiB" % (n / 1048576.0)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    db = os.path.join(argv[1], "index.db")
    img = int(argv[2])
    if not os.path.exists(db):
        print("audit_reads: no index %s" % db, file=sys.stderr)
        return 1
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    rows = con.execute("SELECT detail FROM audit WHERE action = 'evidence scanned' ORDER BY seq").fetchall()
    con.close()
    if not rows:
        print("no 'evidence scanned' row in the audit log")
        return 1
    parts = []
    for (detail,) in rows:
        try:
            d = json.loads(detail or "{}")
        except ValueError as e:
            parts.append("audit detail is not JSON (%s)" % e)
            continue
        counters = {k: v for k, v in d.items() if "bytes" in k and isinstance(v, (int, float))}
        twice = {k: v for k, v in counters.items() if any(w in k for w in TWICE_WORDS)}
        share = {k: v for k, v in d.items() if any(w in k for w in TWICE_WORDS) and k not in twice}
        txt = ", ".join("%s %s (%.2f x image)" % (k, fmt_bytes(v), v / img if img else 0) for k, v in sorted(counters.items()))
        if twice or share:
            txt += "; read twice: " + ", ".join("%s = %s" % (k, v) for k, v in sorted({**twice, **share}.items()))
        elif "content_bytes_read" in counters:
            txt += "; no read-twice counter: image hash pass + file pass read %.2f x the image" % (
                1 + counters["content_bytes_read"] / img if img else 0)
        parts.append(txt or "no byte counters in the audit row")
    print("; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
