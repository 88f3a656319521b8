#!/usr/bin/python3
"""check_yara.py CASEDIR YARA_OUT RECOVER_DIR SECTOR_BYTES [--list N] [--raw YARA_RAW_OUT]

Compares triage's YARA findings with what `yara -r -w RULES RECOVER_DIR` reported on the files
`tsk_recover -e -o OFF IMAGE RECOVER_DIR/pOFF` wrote for each partition (OFF in sectors of
SECTOR_BYTES, as mmls prints them), and prints the result as Markdown.

  triage side: SELECT v.partition_offset, v.path, f.rule FROM v_findings f JOIN v_files v
               ON v.file_id = f.file_id WHERE f.detector = 'yara'
               (paths from the file-system root; paths with '>' (derived objects) or ':' (NTFS
               streams) are skipped)
  yara side:   lines "RULE PATH" of YARA_OUT; PATH = RECOVER_DIR/pOFF/REL -> (OFF*SECTOR_BYTES, '/'+REL)

Both sides are restricted to (partition, path) pairs that occur exactly once among the regular
files with a hash in v_files (tsk_recover writes one file per path, so a path shared by e.g. a
deleted and an allocated file cannot be compared); what falls outside is counted, not compared.
Prints counts of (partition, path, rule) in both / only triage / only yara, and up to N (default
10) of each. With --raw, also the rules `yara -w RULES IMAGE` matched over the raw image.
Standard library only. Exit 0 always; the counts are the result.
"""
import os
import sqlite3
import sys


def main(argv):
    args, listn, raw_out = [], 10, None
    i = 0
    while i < len(argv):
        if argv[i] == "--list":
            listn = int(argv[i + 1]); i += 2
        elif argv[i] == "--raw":
            raw_out = argv[i + 1]; i += 2
        else:
            args.append(argv[i]); i += 1
    if len(args) != 4:
        sys.stderr.write(__doc__)
        return 2
    casedir, yara_out, recover, sector = args[0], args[1], os.path.abspath(args[2]), int(args[3])

    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(casedir, "index.db"), uri=True)
    # paths of regular files with a hash, per partition, and how often each occurs
    count = {}
    for off, path in con.execute(
        "SELECT partition_offset, path FROM v_files WHERE meta_type = 'r' AND md5 IS NOT NULL"
    ):
        count[(off, path)] = count.get((off, path), 0) + 1
    unique = {k for k, n in count.items() if n == 1}
    dup_paths = sum(1 for n in count.values() if n > 1)
    tri_rows = con.execute(
        "SELECT v.partition_offset, v.path, f.rule FROM v_findings f JOIN v_files v"
        " ON v.file_id = f.file_id WHERE f.detector = 'yara'"
    ).fetchall()
    yara_total = con.execute("SELECT count(*) FROM v_findings WHERE detector = 'yara'").fetchone()[0]
    errs = con.execute(
        "SELECT location, message FROM v_errors WHERE location LIKE '%yara%' OR message LIKE '%yara%'"
    ).fetchall()
    con.close()

    tri, tri_skip_derived, tri_skip_dup = set(), 0, 0
    for off, path, rule in tri_rows:
        path = path or ""
        if ">" in path or ":" in path:
            tri_skip_derived += 1
            continue
        if (off, path) not in unique:
            tri_skip_dup += 1
            continue
        tri.add((off, path, rule))

    yar, yar_skip, yar_bad = set(), 0, []
    prefix = recover.rstrip("/") + "/"
    with open(yara_out, encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                continue
            rule, _, p = line.partition(" ")
            if p.startswith("./"):
                p = os.path.join(recover, p[2:])
            if not p.startswith(prefix):
                yar_bad.append(line)
                continue
            part, _, rel = p[len(prefix):].partition("/")
            if not part.startswith("p") or not part[1:].isdigit():
                yar_bad.append(line)
                continue
            key = (int(part[1:]) * sector, "/" + rel)
            if key not in unique:
                yar_skip += 1
                continue
            yar.add((key[0], key[1], rule))

    both, only_t, only_y = tri & yar, sorted(tri - yar), sorted(yar - tri)
    print("Correctness, YARA matches: triage index (%s) vs `yara -r` on the tsk_recover tree." % casedir)
    print()
    print("Compared: (partition, path, rule) for the %d paths that occur once among regular files with a"
          " hash in v_files (%d paths occur more than once and are left out)." % (len(unique), dup_paths))
    print()
    print("| (file, rule) pairs | count |")
    print("|---|---|")
    print("| in both | %d |" % len(both))
    print("| only triage | %d |" % len(only_t))
    print("| only yara -r | %d |" % len(only_y))
    print("| triage yara findings in total | %d |" % yara_total)
    print("| triage, skipped: derived object or NTFS stream ('>' or ':') | %d |" % tri_skip_derived)
    print("| triage, skipped: path not unique among hashed regular files | %d |" % tri_skip_dup)
    print("| yara -r, skipped: path not unique / not a hashed regular file in v_files | %d |" % yar_skip)
    print("| yara -r, lines not understood | %d |" % len(yar_bad))
    print("| triage v_errors rows about YARA | %d |" % len(errs))
    print()
    rules_t = {r for _, _, r in tri_rows}
    rules_y = set()
    with open(yara_out, encoding="utf-8", errors="surrogateescape") as fh:
        rules_y = {l.split(" ", 1)[0] for l in fh if l.strip()}
    line = "Distinct rules matched: triage %d, yara -r %d" % (len(rules_t), len(rules_y))
    if raw_out and os.path.exists(raw_out):
        with open(raw_out, encoding="utf-8", errors="surrogateescape") as fh:
            rules_r = {l.split(" ", 1)[0] for l in fh if l.strip()}
        line += ", yara over the raw image %d" % len(rules_r)
    print(line + ".")
    if rules_t ^ rules_y:
        print("Rules matched by one side only: %s." % ", ".join(
            "%s (%s)" % (r, "triage" if r in rules_t else "yara") for r in sorted(rules_t ^ rules_y)))
    for title, items in (("only triage", only_t), ("only yara -r", only_y)):
        if items:
            print()
            print("%s (%d, first %d): partition byte offset, path, rule" % (title, len(items), min(listn, len(items))))
            print()
            for off, path, rule in items[:listn]:
                print("- %d `%s` %s" % (off, path, rule))
    for what, items in (("v_errors about YARA", errs), ("yara -r lines not understood", yar_bad)):
        if items:
            print()
            print("%s (first %d):" % (what, min(listn, len(items))))
            print()
            for it in items[:listn]:
                print("- %s" % (" | ".join(str(x) for x in it) if isinstance(it, tuple) else it))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
