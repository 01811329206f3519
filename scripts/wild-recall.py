#!/usr/bin/env python3
"""Recall and precision per category of keysentry, Kingfisher and gitleaks on the labelled corpus
of encoded, split and code-written secrets (scripts/gen-wild-corpus.py; issue 16).

    scripts/wild-recall.py [--corpus DIR] [--keysentry BIN] [--bin-dir DIR] [--seed N] [--out FILE]

1. Makes the corpus with scripts/gen-wild-corpus.py into DIR (default .bench/wild-corpus) unless
   DIR/labels.json exists with the same seed.
2. keysentry: --keysentry, else $KEYSENTRY_BIN, else target/release/keysentry (built with
   `cargo build --release --locked` when missing). Peers from --bin-dir (default .bench/bin, as
   scripts/bench links them), installed at scripts/bench's pinned versions when missing (the
   code is scripts/aws-recall.py's, shared).
3. Runs each tool over DIR/tree inside `unshare -n` (no network): keysentry with all rules
   (--extended-rules), Kingfisher --no-validate --no-update-check, gitleaks as is.
4. Scores the reports against DIR/labels.json and prints a Markdown report (also --out):
   - recall: positives with a finding of the right kind (AWS, GitHub, Slack, private key; any
     rule for a generic secret) that touches the labelled lines (for keysentry and Kingfisher
     the lines of the values paired with a key id count too);
   - look-alikes reported: look-alike files with any finding;
   - precision: findings on the planted credential's lines over all findings of the category;
     a finding in a look-alike file, or elsewhere in a positive file, is a false positive.
"""

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "scripts")
_spec = importlib.util.spec_from_file_location("aws_recall", os.path.join(SCRIPTS, "aws-recall.py"))
aws_recall = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(aws_recall)

TOOLS = ("keysentry", "kingfisher", "gitleaks")
CATEGORIES = ["base64", "utf16", "escapes", "code-split", "context", "generic"]
CATEGORY_TITLE = {
    "base64": "base64 (point 1)", "utf16": "UTF-16 (point 1)", "escapes": "escapes, percent-encoding (point 1)",
    "code-split": "written as code (point 2)", "context": "context beyond the line (point 3)",
    "generic": "generic rule on code (point 4)",
}


def kind_of(rule_id):
    r = rule_id.lower()
    if re.search(r"private[-_.]?key|privkey|openssh|\bpgp|putty|ssh2", r) and "polymarket" not in r:
        return "private_key"
    for k in ("aws", "github", "slack"):
        if k in r:
            return k
    return "generic"


def read_text(path):
    data = open(path, "rb").read()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    if len(data) > 1 and data.count(0) * 3 > len(data):
        return data.decode("utf-16-le" if data[1] == 0 else "utf-16-be", errors="replace")
    return data.decode("utf-8", errors="replace")


def line_of(text, value):
    i = text.find(value) if value else -1
    return None if i < 0 else (text.count("\n", 0, i) + 1, text.count("\n", 0, i) + 1 + value.count("\n"))


def findings(tool, report, tree):
    """(file, rule id, [(first line, last line), …]) for each finding."""
    doc = json.load(open(report))
    out = []
    if tool == "keysentry":
        for f in doc["findings"]:
            loc = f["location"]
            spans = [(loc["line"], loc.get("end_line") or loc["line"])]
            aws = f.get("aws") or {}
            for part in ("paired_secret", "session_token"):
                if aws.get(part) and aws[part].get("line"):
                    spans.append((aws[part]["line"], aws[part]["line"]))
            out.append((aws_recall.rel(f["origin"]["path"]), f["rule_id"], spans))
    elif tool == "gitleaks":
        for f in doc or []:
            out.append((aws_recall.rel(f["File"]), f["RuleID"], [(f["StartLine"], f["EndLine"])]))
    else:
        texts = {}
        for f in doc.get("findings", []):
            g = f["finding"]
            path = aws_recall.rel(g["path"])
            spans = [(g["line"], g["line"] + g.get("snippet", "").count("\n"))]
            deps = [v for v in (g.get("dependent_captures") or {}).values() if isinstance(v, str)]
            if deps:
                text = texts.setdefault(path, read_text(os.path.join(tree, path)))
                spans += [s for s in (line_of(text, v) for v in deps) if s]
            out.append((path, f["rule"]["id"], spans))
    return out


def touches(spans, ranges):
    return any(a <= r[1] and r[0] <= b for a, b in spans for r in ranges)


def score(found, labels):
    items = {i["file"]: i for i in labels["items"]}
    per = defaultdict(lambda: {"pos": 0, "found": 0, "neg": 0, "flagged": 0, "tp": 0, "fp": 0})
    hit, flagged = set(), set()
    rules_fp = defaultdict(int)
    for path, rule, spans in found:
        it = items.get(path)
        if it is None:
            continue
        p = per[it["category"]]
        if it["expect"] == "positive" and touches(spans, it["zone"]):
            p["tp"] += 1
            if (it["kind"] == "generic" or kind_of(rule) == it["kind"]) and touches(spans, [it["lines"]]):
                hit.add(path)
        else:
            p["fp"] += 1
            rules_fp[rule] += 1
            if it["expect"] == "negative":
                flagged.add(path)
    per_case = defaultdict(lambda: [0, 0])
    for f, it in items.items():
        p = per[it["category"]]
        c = per_case[(it["category"], it["expect"], it["case"])]
        c[1] += 1
        if it["expect"] == "positive":
            p["pos"] += 1
            p["found"] += f in hit
            c[0] += f in hit
        else:
            p["neg"] += 1
            p["flagged"] += f in flagged
            c[0] += f in flagged
    return {"per": dict(per), "per_case": dict(per_case), "rules_fp": dict(rules_fp)}


def frac(x, n):
    return f"{x}/{n} ({100 * x / n:.0f}%)" if n else "-"


def prec(p):
    n = p["tp"] + p["fp"]
    return f"{100 * p['tp'] / n:.0f}% ({p['tp']}/{n})" if n else "- (0/0)"


def table(results, labels):
    lines = ["| category | positives / look-alikes | tool | recall | look-alikes reported | precision (findings) |",
             "| --- | ---: | --- | ---: | ---: | ---: |"]
    total = {t: {"pos": 0, "found": 0, "neg": 0, "flagged": 0, "tp": 0, "fp": 0} for t in results}
    for cat in CATEGORIES:
        for j, (tool, r) in enumerate(results.items()):
            p = r["per"][cat]
            for k in total[tool]:
                total[tool][k] += p[k]
            head = f"| {CATEGORY_TITLE[cat]} | {p['pos']} / {p['neg']} |" if j == 0 else "| | |"
            lines.append(f"{head} {tool} | {frac(p['found'], p['pos'])} | {frac(p['flagged'], p['neg'])} | {prec(p)} |")
    for j, (tool, p) in enumerate(total.items()):
        head = f"| **all** | {p['pos']} / {p['neg']} |" if j == 0 else "| | |"
        lines.append(f"{head} {tool} | {frac(p['found'], p['pos'])} | {frac(p['flagged'], p['neg'])} | {prec(p)} |")
    return lines


def case_table(results):
    tools = list(results)
    lines = ["| category | case | expect | N | " + " | ".join(tools) + " |",
             "| --- | --- | --- | ---: | " + " | ".join("---:" for _ in tools) + " |"]
    keys = sorted(next(iter(results.values()))["per_case"], key=lambda k: (CATEGORIES.index(k[0]), k[1] != "positive", k[2]))
    for k in keys:
        n = results[tools[0]]["per_case"][k][1]
        cells = [str(results[t]["per_case"][k][0]) for t in tools]
        word = "found" if k[1] == "positive" else "reported"
        lines.append(f"| {k[0]} | {k[2]} | {'positive' if k[1] == 'positive' else 'look-alike'} ({word}) | {n} | " + " | ".join(cells) + " |")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=os.path.join(ROOT, ".bench", "wild-corpus"))
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, ".bench", "bin"))
    ap.add_argument("--keysentry", default=os.environ.get("KEYSENTRY_BIN") or None,
                    help="keysentry binary (default: $KEYSENTRY_BIN, else target/release/keysentry)")
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS))
    ap.add_argument("--out")
    a = ap.parse_args()
    corpus = os.path.abspath(a.corpus)
    lp = os.path.join(corpus, "labels.json")
    if not os.path.exists(lp) or json.load(open(lp)).get("seed") != a.seed:
        subprocess.run([sys.executable, os.path.join(SCRIPTS, "gen-wild-corpus.py"), corpus, "--seed", str(a.seed)], check=True)
    labels = json.load(open(lp))
    ks = a.keysentry or os.path.join(ROOT, "target", "release", "keysentry")
    if not os.path.exists(ks):
        if a.keysentry:
            sys.exit(f"wild-recall: no keysentry binary at {ks}")
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    tools = [t for t in a.tools.split(",") if t]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        sys.exit(f"wild-recall: unknown tool(s) {', '.join(sorted(unknown))}")
    bins = {}
    for tool in tools:
        if tool == "keysentry":
            bins[tool] = os.path.abspath(ks)
        else:
            b = os.path.join(a.bin_dir, tool)
            bins[tool] = os.path.realpath(b) if os.path.exists(b) else aws_recall.install_peer(tool, a.bin_dir)
    netns = ["unshare", "-n", "--"] if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0 else []
    results, commands, versions = {}, {}, {}
    tree = os.path.join(corpus, "tree")
    for tool, b in bins.items():
        report, commands[tool] = aws_recall.run(tool, b, corpus, netns, keysentry_args=["--extended-rules"])
        versions[tool] = aws_recall.version([b, "version"] if tool == "gitleaks" else [b, "--version"])
        results[tool] = score(findings(tool, report, tree), labels)
    items = labels["items"]
    npos = sum(i["expect"] == "positive" for i in items)
    out = [f"Corpus: `scripts/gen-wild-corpus.py DIR --seed {labels['seed']} --per-case {labels['per_case']}`: "
           f"{len(items)} files, {npos} positives and {len(items) - npos} look-alikes in {len(CATEGORIES)} categories, "
           f"{len({(i['category'], i['case']) for i in items})} cases.", ""]
    out += table(results, labels)
    out += ["", "False positives by rule:", ""]
    for tool, r in results.items():
        fps = sorted(r["rules_fp"].items(), key=lambda kv: (-kv[1], kv[0]))
        out.append(f"- {tool}: " + (", ".join(f"`{k}` {v}" for k, v in fps) if fps else "none"))
    out += ["", "Per case (positives found, look-alikes reported, of N):", ""]
    out += case_table(results)
    out += ["", "Commands (run in the corpus directory):", ""]
    for tool in bins:
        out.append(f"- {tool} ({versions[tool]}): `{commands[tool]}`")
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
