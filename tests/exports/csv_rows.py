#!/usr/bin/python3
"""Reads every *.csv in a folder with Python's csv module (RFC 4180 dialect: the oracle for our
quoting) and prints one JSON object: file name -> {"rows": data rows, "header": [...],
"cells": every data cell in order (only with --cells)}. Exit 1 when a row's field count differs
from the header's."""
import csv
import json
import os
import sys

folder = sys.argv[1]
want_cells = "--cells" in sys.argv
out = {}
bad = False
for name in sorted(os.listdir(folder)):
    if not name.endswith(".csv"):
        continue
    with open(os.path.join(folder, name), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, strict=True))
    header, data = rows[0], rows[1:]
    for i, r in enumerate(data):
        if len(r) != len(header):
            print("%s row %d: %d fields, header has %d" % (name, i + 1, len(r), len(header)), file=sys.stderr)
            bad = True
    entry = {"rows": len(data), "header": header}
    if want_cells:
        entry["cells"] = [c for r in data for c in r]
    out[name[:-4]] = entry
print(json.dumps(out))
sys.exit(1 if bad else 0)
