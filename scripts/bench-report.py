#!/usr/bin/env python3
"""Helpers for scripts/bench: count findings, check recall, print the table.

    bench-report.py count  TOOL REPORT
    bench-report.py recall TOOL REPORT MANIFEST TREE OUT.json
    bench-report.py table  RUN_DIR

Python 3 standard library only (no jq).  Reports are read as each tool
writes them: JSON (keysentry, gitleaks, betterleaks, kingfisher), the
`path:line:text` lines of ripsecrets, and the `path:count` lines of `rg -c`.
"""

import json
import os
import re
import statistics
import sys

KINDS = ["aws", "github_pat", "slack_bot", "stripe_live", "private_key", "password"]
PATH_KEYS = {"path", "file", "filename", "file_path", "File"}
LINE_KEYS = {"line", "start_line", "StartLine", "line_number", "lineno"}
END_KEYS = {"end_line", "EndLine"}
SEP = re.compile(r"""[\s"'`,;:(){}\[\]<>\\=]+""")


def load_findings(tool, report):
    """Return a list of findings as (path, line, end_line, [strings])."""
    if tool in ("ripsecrets", "rg"):
        out = []
        with open(report, errors="replace") as fh:
            for raw in fh:
                raw = raw.rstrip("\n")
                if not raw:
                    continue
                m = re.match(r"^(.*?):(\d+):(.*)$", raw)
                if tool == "ripsecrets" and m:
                    out.append((m.group(1), int(m.group(2)), int(m.group(2)), [m.group(3)]))
                else:
                    out.append((raw, None, None, [raw]))
        return out
    with open(report, "rb") as fh:
        data = fh.read()
    if not data.strip():
        return []
    doc = json.loads(data)
    if isinstance(doc, dict):
        items = doc.get("findings")
        if items is None:
            items = next((v for v in doc.values() if isinstance(v, list)), [])
    else:
        items = doc
    out = []
    for it in items:
        info = {"path": None, "line": None, "end": None}
        strings = []

        def walk(x, key=None):
            if isinstance(x, dict):
                for k, v in x.items():
                    walk(v, k)
            elif isinstance(x, list):
                for v in x:
                    walk(v, key)
            elif isinstance(x, str):
                strings.append(x)
                if key in PATH_KEYS and info["path"] is None:
                    info["path"] = x
            elif isinstance(x, int) and not isinstance(x, bool):
                if key in LINE_KEYS and info["line"] is None:
                    info["line"] = x
                elif key in END_KEYS and info["end"] is None:
                    info["end"] = x

        walk(it)
        out.append((info["path"], info["line"], info["end"] or info["line"], strings))
    return out


def count(tool, report):
    if tool == "rg":
        total = 0
        with open(report, errors="replace") as fh:
            for raw in fh:
                m = re.search(r":(\d+)$", raw.strip())
                if m:
                    total += int(m.group(1))
                elif raw.strip().isdigit():
                    total += int(raw.strip())
        return total
    return len(load_findings(tool, report))


def recall(tool, report, manifest_path, tree, out_path):
    with open(manifest_path) as fh:
        man = json.load(fh)
    secrets = man["secrets"]
    by_value, by_file = {}, {}
    for i, s in enumerate(secrets):
        for v in s["values"]:
            by_value[v] = i
        by_file.setdefault(s["file"], []).append((s["line"], s["end_line"], i))
    tree = os.path.abspath(tree)
    found, unmatched = set(), 0
    findings = load_findings(tool, report)
    for path, line, end, strings in findings:
        hit = set()
        for s in strings:
            for tok in SEP.split(s):
                if len(tok) >= 16 and tok in by_value:
                    hit.add(by_value[tok])
        if path and line is not None:
            p = path
            if p.startswith("file://"):
                p = p[7:]
            cand = [p] if os.path.isabs(p) else [os.path.abspath(p), os.path.join(tree, p)]
            for c in cand:
                rel = os.path.relpath(c, tree)
                if rel in by_file:
                    for lo, hi, i in by_file[rel]:
                        if line <= hi and (end or line) >= lo:
                            hit.add(i)
                    break
        if hit:
            found |= hit
        else:
            unmatched += 1
    per_kind = {k: {"planted": 0, "found": 0} for k in KINDS}
    for i, s in enumerate(secrets):
        per_kind[s["kind"]]["planted"] += 1
        if i in found:
            per_kind[s["kind"]]["found"] += 1
    res = {"tool": tool, "planted": len(secrets), "found": len(found), "findings": len(findings),
           "unmatched_findings": unmatched, "per_kind": per_kind}
    if tool == "rg":
        res["note"] = "rg -c AKIA counts matching lines per file, not locations: recall not measured"
    with open(out_path, "w") as fh:
        json.dump(res, fh, indent=1)


def read_tsv(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        for raw in fh:
            rows.append(dict(zip(header, raw.rstrip("\n").split("\t"))))
    return rows


def fmt(x, nd=2):
    return f"{x:.{nd}f}"


def table(run_dir):
    results = read_tsv(os.path.join(run_dir, "results.tsv"))
    tools = read_tsv(os.path.join(run_dir, "tools.tsv"))
    trees = read_tsv(os.path.join(run_dir, "trees.tsv"))
    with open(os.path.join(run_dir, "meta.json")) as fh:
        meta = json.load(fh)
    tool_order = [t["tool"] for t in tools]
    tree_info = {t["tree"]: t for t in trees}
    lines = []
    add = lines.append
    add(f"# keysentry whole-program benchmark, {meta['date']}")
    add("")
    add(f"Command: `{meta['command']}`  ")
    add(f"Machine: {meta['machine']}  ")
    add(f"Threads per tool: {meta['threads']}; runs per tool and tree: {meta['runs']} (median shown); "
        f"page cache warmed before each tree; runs interleaved across tools; every tool runs in a "
        f"network namespace with no interfaces up ({meta['netns']}).")
    add("")
    add("| tree | size MiB | files | contents |")
    add("| --- | ---: | ---: | --- |")
    for t in trees:
        add(f"| {t['tree']} | {t['mib']} | {t['files']} | {t['desc']} |")
    add("")

    # Medians per (tool, tree).
    summary = {}
    for tree in [t["tree"] for t in trees]:
        for tool in tool_order:
            rows = [r for r in results if r["tool"] == tool and r["tree"] == tree]
            ok = [r for r in rows if r["status"] == "ok"]
            if not rows:
                continue
            if not ok:
                summary[(tool, tree)] = {"failed": rows[-1]["status"]}
                continue
            wall = statistics.median(float(r["wall"]) for r in ok)
            cpu = statistics.median(float(r["user"]) + float(r["sys"]) for r in ok)
            rss = statistics.median(int(r["maxrss_kb"]) for r in ok) / 1024
            finds = sorted({r["findings"] for r in ok})
            summary[(tool, tree)] = {"wall": wall, "cpu": cpu, "rss": rss, "findings": "/".join(finds),
                                     "n": len(ok), "nfail": len(rows) - len(ok)}

    add("| tool | tree | wall s | CPU s | peak MiB | MiB/s | findings | wall vs keysentry |")
    add("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for tree in [t["tree"] for t in trees]:
        base = summary.get(("keysentry", tree), {})
        for tool in tool_order:
            s = summary.get((tool, tree))
            if s is None:
                continue
            if "failed" in s:
                add(f"| {tool} | {tree} | {s['failed']} | | | | | |")
                continue
            ratio = f"{s['wall'] / base['wall']:.2f}x" if base.get("wall") else "n/a"
            mib = float(tree_info[tree]["mib"])
            note = f" ({s['nfail']} run(s) failed)" if s["nfail"] else ""
            add(f"| {tool} | {tree} | {fmt(s['wall'])} | {fmt(s['cpu'])} | {fmt(s['rss'], 0)} | "
                f"{fmt(mib / s['wall'], 0) if s['wall'] > 0 else '-'} | {s['findings']}{note} | {ratio} |")
    add("")
    add("`wall vs keysentry` is the tool's median wall time divided by keysentry's on the same tree "
        "(above 1 means slower than keysentry). `findings` is the number of entries in the tool's own "
        "report (kingfisher deduplicates by value; `rg` counts lines containing AKIA).")
    add("")

    rec_dir = os.path.join(run_dir, "recall")
    recs = {}
    if os.path.isdir(rec_dir):
        for tool in tool_order:
            p = os.path.join(rec_dir, f"{tool}.json")
            if os.path.exists(p):
                with open(p) as fh:
                    recs[tool] = json.load(fh)
    if recs:
        gen = next((t for t in trees if t["tree"].startswith("generated")), None)
        add(f"Recall on the generated tree ({gen['tree'] if gen else ''}): planted secrets found "
            "(matched by value or by file and line) / planted.")
        add("")
        add("| tool | " + " | ".join(KINDS) + " | total | recall | findings not matching a planted secret |")
        add("| --- | " + " | ".join("---:" for _ in KINDS) + " | ---: | ---: | ---: |")
        for tool in tool_order:
            r = recs.get(tool)
            if not r:
                continue
            if tool == "rg":
                continue
            cells = [f"{r['per_kind'][k]['found']}/{r['per_kind'][k]['planted']}" for k in KINDS]
            pct = 100.0 * r["found"] / r["planted"] if r["planted"] else 0
            add(f"| {tool} | " + " | ".join(cells) + f" | {r['found']}/{r['planted']} | {pct:.1f}% | "
                f"{r['unmatched_findings']} |")
        add("")

    add("## Tools")
    add("")
    add("| tool | version | binary | command (TREE, OUT and N substituted) |")
    add("| --- | --- | --- | --- |")
    for t in tools:
        add(f"| {t['tool']} | {t['version']} | `{t['binary']}` | `{t['command']}` |")
    add("")
    for note in meta.get("notes", []):
        add(f"- {note}")
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "count":
        print(count(*args))
    elif cmd == "recall":
        recall(*args)
    elif cmd == "table":
        sys.stdout.write(table(*args))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
