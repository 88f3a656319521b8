#!/usr/bin/python3
"""Scores carver outputs against the corpus truth, per format.

    carve_score.py CORPUSDIR SHARED_BENCH_DIR OUT_JSON TOOL=DIR [TOOL=DIR ...]

Uses the shared anchor scorer (SHARED_BENCH_DIR/anchors/evaluate.py: Truth, KnownIndex,
eval_carver, the same classes BASELINE.md uses) and adds a per-format breakdown:
  precision(format) = carved files of that format that are a known object exactly, a known object
                      followed by extra bytes, or a strict prefix of one / all carved files of that format
  recall(format)    = known objects of that format (file-system files, deleted files, planted
                      items) recovered exactly, complete with trailing bytes, or, for truncated
                      planted items, with every written byte / all known objects of that format
Formats are told by magic bytes (the scorer's jpeg/png/pdf/zip, plus sqlite, elf, pe, mp4 here).
"""
import hashlib
import json
import os
import sys

cdir, shared, out_json = sys.argv[1], sys.argv[2], sys.argv[3]
tools = [a.split("=", 1) for a in sys.argv[4:]]
sys.path.insert(0, os.path.join(shared, "anchors"))
import evaluate as ev  # noqa: E402

TYPES = ("jpeg", "png", "pdf", "zip", "sqlite", "elf", "pe", "mp4")


def magic(b):
    t = ev.magic_type(b)
    if t != "other":
        return t
    if b[:16] == b"SQLite format 3\0":
        return "sqlite"
    if b[:4] == b"\x7fELF":
        return "elf"
    if b[:2] == b"MZ":
        return "pe"
    if b[4:8] == b"ftyp":
        return "mp4"
    return "other"


T = ev.Truth(cdir)
K = ev.KnownIndex(T)
# Known objects of the extra types (tree files), so carved ELF/SQLite/... can be matched too.
for r in T.files:
    if r["type"] in TYPES and r["type"] not in ev.CARVE_TYPES and r["size"] and "hardlink_of" not in r:
        K._add(("file", T.tree_path(r), 0, r["size"]), r["sha256"], "tree:%s:%s" % (r["fs"], r["path"]), r["type"])


def classify(data):
    sha = hashlib.sha256(data).hexdigest()
    if sha in K.full:
        return sha, "exact", K.full[sha][0], len(data)
    best = None
    rank = {"contains_complete": 3, "prefix": 2, "divergent": 1}
    for idx in K.h512.get(hashlib.sha256(data[:512]).hexdigest(), []):
        ob = K.read(idx)
        n = min(len(ob), len(data))
        cp = ev.common_prefix(data, ob)
        k = ("contains_complete" if len(data) > len(ob) else "prefix") if cp >= n else "divergent"
        if best is None or rank[k] > rank[best[0]] or (rank[k] == rank[best[0]] and cp > best[2]):
            best = (k, idx, cp)
    if best:
        return sha, best[0], best[1], best[2]
    return sha, "unknown", None, 0


def score(d):
    carved = {}
    by_known = {}
    shas = set()
    for p in ev.list_carved(d):
        if os.path.basename(p) == "manifest.csv":
            continue
        with open(p, "rb") as f:
            data = f.read()
        t = magic(data)
        if t not in TYPES:
            continue
        sha, cls, idx, cpl = classify(data)
        shas.add(sha)
        c = carved.setdefault(t, {"carved": 0, "valid": 0, "exact": 0, "unknown": 0, "divergent": 0})
        c["carved"] += 1
        c["valid"] += cls in ("exact", "contains_complete", "prefix")
        c["exact"] += cls == "exact"
        c["unknown"] += cls == "unknown"
        c["divergent"] += cls == "divergent"
        if idx is not None:
            by_known.setdefault(K.objs[idx]["sha256"], []).append((cls, cpl))
    recall = {}

    def found(sha, written=None):
        if sha in shas:
            return True
        m = by_known.get(sha, [])
        if any(c == "contains_complete" for c, _ in m):
            return True
        return written is not None and max((l for _, l in m), default=0) >= written

    objs = []
    for r in T.files:
        if r["type"] in TYPES and r["size"] and "hardlink_of" not in r:
            objs.append((r["type"], r["sha256"], None))
    for p in T.t["planted_unallocated"]:
        objs.append((p["type"] if p["type"] in TYPES else ("zip" if p["type"] == "docx" else p["type"]), p["sha256"],
                     p.get("written_length") if p["truncated"] else None))
    for t, sha, written in objs:
        r = recall.setdefault(t, {"n": 0, "found": 0})
        r["n"] += 1
        r["found"] += found(sha, written)
    res = {}
    for t in TYPES:
        c = carved.get(t, {"carved": 0, "valid": 0, "exact": 0, "unknown": 0, "divergent": 0})
        r = recall.get(t, {"n": 0, "found": 0})
        res[t] = dict(c, n=r["n"], found=r["found"],
                      precision=(c["valid"] / c["carved"]) if c["carved"] else None,
                      recall=(r["found"] / r["n"]) if r["n"] else None)
    return res


out = {}
for name, d in tools:
    s = score(d)
    s["_anchor"] = {k: v for k, v in ev.eval_carver(T, K, d).items() if k in ("classes", "recall", "planted_status",
                                                                              "precision_exact", "precision_valid",
                                                                              "carved_4types")}
    out[name] = s
json.dump(out, open(out_json, "w"), indent=1, default=list)
print("wrote", out_json)
