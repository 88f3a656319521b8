#!/usr/bin/python3
"""Structural checks of a CASE/UCO JSON-LD graph, as the [exports] tests need them.

Usage: check_case_uco.py FILE  -> prints a JSON summary; exit 1 with the problems listed.
Checks: the file is JSON and parses as JSON-LD (rdflib); every node has @id and @type; @ids are
unique; every reference ({"@id": ...} alone) names a node defined in the file; every
uco-types:Hash has a plain-string hashMethod and a hashValue typed xsd:hexBinary holding hex.
"""
import json
import re
import sys

import rdflib

path = sys.argv[1]
problems = []
with open(path, encoding="utf-8") as f:
    doc = json.load(f)
graph = rdflib.Graph()
graph.parse(path, format="json-ld")

defined = {}
refs = []
hashes = []


def walk(v, where):
    if isinstance(v, list):
        for x in v:
            walk(x, where)
        return
    if not isinstance(v, dict):
        return
    keys = set(v.keys())
    if "@value" in keys:  # a typed literal
        return
    if keys == {"@id"}:
        refs.append((v["@id"], where))
        return
    # Anything else is a node.
    nid = v.get("@id")
    if nid is None:
        problems.append("node without @id in %s: %s" % (where, json.dumps(v)[:120]))
    elif nid in defined:
        problems.append("@id defined twice: %s" % nid)
    else:
        defined[nid] = v
    if "@type" not in v:
        problems.append("node without @type: %s" % nid)
    types = v.get("@type", [])
    types = types if isinstance(types, list) else [types]
    if "uco-types:Hash" in types:
        hashes.append(v)
    for k, x in v.items():
        if not k.startswith("@"):
            walk(x, nid or where)


if "@graph" not in doc or "@context" not in doc:
    problems.append("no @context / @graph")
walk(doc.get("@graph", []), "@graph")
for rid, where in refs:
    if rid not in defined:
        problems.append("reference to undefined @id %s (from %s)" % (rid, where))
for h in hashes:
    m = h.get("uco-types:hashMethod")
    v = h.get("uco-types:hashValue")
    if not isinstance(m, str) or not m:
        problems.append("hash %s: hashMethod is not a plain string" % h.get("@id"))
    if m == "SSDEEP":
        continue
    if not (isinstance(v, dict) and v.get("@type") == "xsd:hexBinary" and re.fullmatch(r"[0-9a-fA-F]+", str(v.get("@value", "")))):
        problems.append("hash %s: hashValue is not typed xsd:hexBinary hex" % h.get("@id"))


def of_type(t):
    out = []
    for n in defined.values():
        ts = n.get("@type")
        ts = ts if isinstance(ts, list) else [ts]
        if t in ts:
            out.append((n, ts))
    return out


files = [n for n, ts in of_type("uco-observable:File") if "uco-observable:Image" not in ts]
summary = {
    "triples": len(graph),
    "nodes": len(defined),
    "files": len(files),
    "file_paths": sorted(
        f["uco-observable:filePath"]
        for n in files
        for f in n.get("uco-core:hasFacet", [])
        if "uco-observable:FileFacet" == f.get("@type")
    ),
    "files_md5": {},
    "actions": [],
    "provenance_exhibits": sorted(n.get("case-investigation:exhibitNumber", "") for n, _ in of_type("case-investigation:ProvenanceRecord")),
    "tools": sorted(n.get("uco-core:name", "") for n, _ in of_type("uco-tool:AnalyticTool")),
    "problems": problems,
}
for n in files:
    path_ = None
    for f in n.get("uco-core:hasFacet", []):
        if f.get("@type") == "uco-observable:FileFacet":
            path_ = f.get("uco-observable:filePath")
    for f in n.get("uco-core:hasFacet", []):
        if f.get("@type") == "uco-observable:ContentDataFacet":
            for h in f.get("uco-observable:hash", []):
                if h.get("uco-types:hashMethod") == "MD5":
                    summary["files_md5"][n["@id"]] = [path_, h["uco-types:hashValue"]["@value"]]
for n, _ in of_type("case-investigation:InvestigativeAction"):
    summary["actions"].append({
        "performer": "uco-action:performer" in n,
        "instrument": "uco-action:instrument" in n,
        "object": "uco-action:object" in n,
        "result": "uco-action:result" in n,
        "start": "uco-action:startTime" in n,
        "end": "uco-action:endTime" in n,
    })
print(json.dumps(summary))
sys.exit(1 if problems else 0)
