#!/usr/bin/python3
"""audit_reads.py CASEDIR IMAGE_BYTES

Prints, on one line, what the case's audit log says a scan read: the byte counters of each
"evidence scanned" row of CASEDIR/index.db (table `audit`, `detail` is JSON) with each counter as
a share of IMAGE_BYTES (the size of the raw image), the share of bytes read twice where the
engine records it (a counter whose name says "again", "twice", "reread" or "re_read", such as
`bytes_read_again`), and the seconds counters (`scan_seconds`, the index writer's
`busy_seconds`, also inside nested objects) with the writer's busy share of the scan.

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

TWICE_WORDS = ("again", "twice", "reread", "re_read")


def flatten(d, prefix=""):
    """{"a": {"b": 1}} -> {"a.b": 1}"""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


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
        d = flatten(d)
        num = {k: v for k, v in d.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        counters = {k: v for k, v in num.items() if "bytes" in k}
        twice = {k: v for k, v in counters.items() if any(w in k for w in TWICE_WORDS)}
        txt = ", ".join("%s %s (%.3f x image)" % (k, fmt_bytes(v), v / img if img else 0) for k, v in sorted(counters.items()))
        if twice:
            txt += "; read twice: " + ", ".join("%s %.1f %% of the image" % (k, 100.0 * v / img if img else 0)
                                              for k, v in sorted(twice.items()))
        elif "content_bytes_read" in counters:
            txt += "; no read-twice counter: image hash pass + file pass read %.2f x the image" % (
                1 + counters["content_bytes_read"] / img if img else 0)
        secs = {k: v for k, v in num.items() if k.endswith("seconds")}
        if secs:
            txt += "; " + ", ".join("%s %.2f s" % (k, v) for k, v in sorted(secs.items()))
            busy = [v for k, v in secs.items() if "busy" in k]
            if busy and secs.get("scan_seconds"):
                txt += " (index writer busy %.0f %% of the scan)" % (100.0 * busy[0] / secs["scan_seconds"])
        parts.append(txt or "no byte counters in the audit row")
    print("; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
