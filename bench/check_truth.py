#!/usr/bin/python3
"""check_truth.py CORPUSDIR CASEDIR [LABEL]

Compares the file hashes in a triage case index (CASEDIR/index.db, view v_files) with the
benchmark corpus ground truth (CORPUSDIR/truth.json, made by make_corpus.sh) and prints a Markdown
table: per category (allocated / deleted, by file system and deletion style) how many truth files
triage lists at their path, how many have md5+sha1+sha256 equal to the truth, how many differ and
how many are missing. Also checks the image hashes in v_evidence against truth.json `images`.

Standard library only (json, sqlite3). Exit 0 always; the counts are the result.
  --json FILE   also write the counts as JSON
  --list N      print up to N differing / missing files per category (default 5)
"""
import json
import os
import sqlite3
import sys


def load_rows(db, part_offsets):
    """v_files rows grouped by (fs name in truth, path without the leading '/')."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    rows = con.execute(
        "SELECT partition_offset, path, allocated, meta_type, size, md5, sha1, sha256 FROM v_files"
    ).fetchall()
    ev = con.execute(
        "SELECT evidence_id, path, format, size, computed_md5, computed_sha1, computed_sha256, verification"
        " FROM v_evidence"
    ).fetchall()
    errors = con.execute("SELECT location, message FROM v_errors").fetchall()
    con.close()
    by_fs = {}
    for off, path, alloc, typ, size, md5, sha1, sha256 in rows:
        fs = part_offsets.get(off)
        if fs is None:
            continue
        p = (path or "").lstrip("/")
        by_fs.setdefault(fs, {}).setdefault(p, []).append(
            {"allocated": alloc, "type": typ, "size": size, "md5": md5, "sha1": sha1, "sha256": sha256}
        )
    return by_fs, ev, errors, len(rows)


def fat_candidates(truth_path, names):
    """Deleted FAT 8.3 entries lose their first character (IMG_0003.JPG -> _MG_0003.JPG); LFN
    entries keep it; FAT is case-insensitive. Same rule as anchors/evaluate.py."""
    if truth_path in names:
        return [truth_path]
    dn, bn = os.path.split(truth_path)
    out = []
    for n in names:
        nd, nb = os.path.split(n)
        if nd.lower() == dn.lower() and len(nb) == len(bn) and nb[1:].lower() == bn[1:].lower():
            out.append(n)
    return out


def category(r):
    if r["deleted"]:
        return "deleted_%s_%s" % (r["fs"], r["deleted"].get("style", "?"))
    return "allocated_%s" % r["fs"]


def main(argv):
    args = [a for a in argv[1:]]
    jout, nlist = None, 5
    if "--json" in args:
        i = args.index("--json")
        jout = args[i + 1]
        del args[i:i + 2]
    if "--list" in args:
        i = args.index("--list")
        nlist = int(args[i + 1])
        del args[i:i + 2]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    corpus, case = args[0], args[1]
    label = args[2] if len(args) > 2 else case
    truth = json.load(open(os.path.join(corpus, "truth.json"), encoding="utf-8"))
    db = os.path.join(case, "index.db")
    if not os.path.exists(db):
        print("check_truth: no index %s" % db, file=sys.stderr)
        return 1
    part_offsets = {p["start_byte"]: p["fs"] for p in truth["layout"]["partitions"]}
    by_fs, ev, errors, nrows = load_rows(db, part_offsets)

    cats = {}
    examples = {}
    for r in truth["files"]:
        cat = category(r)
        c = cats.setdefault(cat, {"truth": 0, "listed": 0, "match": 0, "differ": 0, "missing": 0})
        c["truth"] += 1
        rows = by_fs.get(r["fs"], {})
        if r["fs"] == "fat32":
            cands = [x for n in fat_candidates(r["path"], rows) for x in rows[n]]
        else:
            cands = list(rows.get(r["path"], []))
        # prefer a row whose allocation state agrees with the truth
        want_alloc = 0 if r["deleted"] else 1
        same = [x for x in cands if x["allocated"] == want_alloc and x["type"] in ("r", "-")]
        cands = same or [x for x in cands if x["type"] in ("r", "-")]
        if not cands:
            c["missing"] += 1
            examples.setdefault(cat, []).append(("missing", r["path"], r["size"], None))
            continue
        c["listed"] += 1
        ok = any(x["md5"] == r["md5"] and x["sha1"] == r["sha1"] and x["sha256"] == r["sha256"] for x in cands)
        if ok:
            c["match"] += 1
        else:
            c["differ"] += 1
            x = cands[0]
            examples.setdefault(cat, []).append(
                ("differ", r["path"], r["size"], "got size=%s md5=%s, want md5=%s" % (x["size"], x["md5"], r["md5"]))
            )

    # image hashes
    img = truth.get("images", {}).get("raw", {})
    ev_lines = []
    for eid, path, fmt, size, md5, sha1, sha256, verif in ev:
        same = (md5 == img.get("md5") and sha1 == img.get("sha1") and sha256 == img.get("sha256") and size == img.get("size"))
        ev_lines.append("evidence %s `%s` (%s, %s bytes): image md5+sha1+sha256 %s truth; verification: %s"
                        % (eid, os.path.basename(path), fmt, size, "=" if same else "!=", verif))

    order = ["allocated_ext4", "allocated_fat32"] + sorted(k for k in cats if k.startswith("deleted_"))
    order += sorted(k for k in cats if k not in order)
    out = []
    out.append("Correctness, %s: %d v_files rows, %d v_errors rows." % (label, nrows, len(errors)))
    out.append("")
    out.append("| category | truth files | listed at path | md5+sha1+sha256 match | differ | missing |")
    out.append("|---|---|---|---|---|---|")
    for k in order:
        c = cats[k]
        out.append("| %s | %d | %d | %d | %d | %d |" % (k, c["truth"], c["listed"], c["match"], c["differ"], c["missing"]))
    out.append("")
    if "deleted_ext4_kernel_wiped" in cats:
        out.append("- deleted_ext4_kernel_wiped: the inode has size 0 and no extents (as the Linux driver leaves it), so "
                   "the file system cannot give the content back; *differ* is the expected outcome (only carving finds it).")
    for ln in ev_lines:
        out.append("- " + ln)
    for k in order:
        ex = examples.get(k, [])
        if ex and nlist > 0 and not k.endswith("kernel_wiped"):
            out.append("- %s, first %d of %d not matching:" % (k, min(nlist, len(ex)), len(ex)))
            for kind, p, size, detail in ex[:nlist]:
                out.append("  - %s `%s` (%d bytes)%s" % (kind, p, size, (": " + detail) if detail else ""))
    for loc, msg in errors[:nlist]:
        out.append("- v_errors: %s: %s" % (loc, msg))
    print("\n".join(out))
    if jout:
        with open(jout, "w", encoding="utf-8") as f:
            json.dump({"label": label, "categories": cats, "evidence": ev_lines, "errors": len(errors)}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
