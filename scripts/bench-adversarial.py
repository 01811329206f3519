#!/usr/bin/env python3
"""Hostile-input benchmarks for `scripts/bench --adversarial` and `--million-blobs` (issue 14,
points 1, 5 and 6). Everything is generated under the given directory (.bench/adversarial,
.bench/git), never committed.

    bench-adversarial.py adversarial DIR KEYSENTRY [--mib 256] [--line-mib 1024]
                         [--rule-mib 8] [--files 100000] [--timeout 1800]
    bench-adversarial.py million-blobs DIR KEYSENTRY [--blobs 1000000]

adversarial: times `keysentry scan` (one run each, page cache warm) over
  - plain.txt: code-like lines without any keyword, --mib MiB: the reference;
  - flood-line.txt and flood-lines.txt: every default (core) rule's keywords repeated, on one
    line, and one keyword per line, --mib MiB each (issue 14, point 1: at least a quarter of
    the plain text's speed);
  - rules/<id>.line and rules/<id>.lines: the same for each rule alone, --rule-mib MiB each,
    which names the slowest rule;
  - long-line.txt: one line of --line-mib MiB (with --max-file-size raised to hold it);
  - tiny/: --files files of a few bytes each in 1,000 directories.
  and prints one Markdown table: MB/s and the ratio to plain text.

million-blobs: builds DIR/million-blobs with scripts/gen-million-blobs.py and `git
  fast-import` (once; kept while its stamp matches), then times `keysentry scan --history`
  with default settings and with `-j 2`: wall time and peak RSS (/usr/bin/time '%e s %M KB').
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20


def core_keywords():
    """(rule id, keywords) of the rules a default scan runs: rules/*.toml, not rules/extended."""
    out = []
    rules_dir = os.path.join(ROOT, "rules")
    for name in sorted(os.listdir(rules_dir)):
        if not name.endswith(".toml"):
            continue
        with open(os.path.join(rules_dir, name), "rb") as fh:
            doc = tomllib.load(fh)
        for rule in doc.get("rule", doc.get("rules", [])):
            if rule.get("keywords"):
                out.append((rule["id"], rule["keywords"]))
    return out


def write_repeated(path, unit, size):
    """Writes `unit` (bytes) repeated to exactly `size` bytes."""
    with open(path, "wb") as fh:
        block = unit * max(1, (4 * MIB) // len(unit))
        left = size
        while left > 0:
            piece = block[:left]
            fh.write(piece)
            left -= len(piece)


def plain_unit(keywords):
    words = (
        "alpha beta gamma delta value index count total result buffer cache option handler "
        "request response client server worker thread queue stream reader writer parse format "
        "render update insert delete select filter reduce collect append extend group role "
        "bucket region volume network route table column error warning notice debug trace "
        "event metric sample window offset length width height"
    ).split()
    low = [k.lower() for k in keywords]
    words = [w for w in words if not any(k in w or w in k for k in low)]
    r = random.Random(14)
    lines = []
    for _ in range(4000):
        ws = r.choices(words, k=r.randint(3, 9))
        lines.append(f"    let {ws[0]}_{r.randint(0, 99)} = {'.'.join(ws[1:])}({r.randint(0, 9999)});")
    return ("\n".join(lines) + "\n").encode()


def stamp_ok(path, want):
    try:
        with open(path) as fh:
            return fh.read() == want
    except OSError:
        return False


def generate(d, a, rules):
    want = json.dumps([a.mib, a.line_mib, a.rule_mib, a.files, rules], sort_keys=True)
    if stamp_ok(os.path.join(d, ".stamp"), want):
        return
    t = time.time()
    subprocess.run(["rm", "-rf", d], check=True)
    os.makedirs(os.path.join(d, "rules"))
    every = [k for _, ks in rules for k in ks]
    write_repeated(os.path.join(d, "plain.txt"), plain_unit(every), a.mib * MIB)
    write_repeated(os.path.join(d, "flood-line.txt"), "=".join(every).encode() + b"=", a.mib * MIB)
    write_repeated(os.path.join(d, "flood-lines.txt"), ("\n".join(every) + "\n").encode(), a.mib * MIB)
    for rid, ks in rules:
        write_repeated(os.path.join(d, "rules", rid + ".line"), "=".join(ks).encode() + b"=", a.rule_mib * MIB)
        write_repeated(os.path.join(d, "rules", rid + ".lines"), ("\n".join(ks) + "\n").encode(), a.rule_mib * MIB)
    write_repeated(os.path.join(d, "long-line.txt"), b"abcdefghijklmnopqrstuvwxyz0123456789+/", a.line_mib * MIB)
    tiny = os.path.join(d, "tiny")
    for i in range(a.files):
        sub = os.path.join(tiny, f"d{i % 1000:03}")
        if i < 1000:
            os.makedirs(sub)
        with open(os.path.join(sub, f"f{i}.txt"), "w") as fh:
            fh.write(f"n = {i}\n")
    with open(os.path.join(d, ".stamp"), "w") as fh:
        fh.write(want)
    print(f"bench-adversarial: generated {d} in {time.time() - t:.0f}s", file=sys.stderr)


def timed(cmd, cwd, timeout, ok=(0, 1)):
    """Runs cmd under /usr/bin/time; (wall s, peak RSS KB, status text)."""
    tf = os.path.join(cwd, ".time")
    full = ["/usr/bin/time", "-f", "%e %M", "-o", tf, "timeout", str(timeout)] + cmd
    p = subprocess.run(full, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with open(tf) as fh:
            wall, rss = fh.read().split()[-2:]
    except (OSError, ValueError):
        wall, rss = "0", "0"
    if p.returncode in ok:
        status = "ok"
    elif p.returncode == 124:
        status = f"timeout after {timeout}s"
    else:
        last = p.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        status = f"exit {p.returncode}: {last[0][:80]}"
    return float(wall), int(rss), status, p.returncode


def size_of(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for dp, _, fs in os.walk(path):
        total += sum(os.path.getsize(os.path.join(dp, f)) for f in fs)
    return total


def warm(path):
    subprocess.run(["sh", "-c", 'find "$1" -type f -exec cat {} + >/dev/null', "sh", path])


def adversarial(a):
    rules = core_keywords()
    d = os.path.abspath(a.dir)
    generate(d, a, rules)
    ks = os.path.abspath(a.keysentry)
    cases = [("plain.txt", "plain text, no keyword (reference)"),
             ("flood-line.txt", "every core rule's keywords, one line"),
             ("flood-lines.txt", "every core rule's keywords, one per line"),
             ("long-line.txt", "one line, no newline"),
             ("tiny", f"{a.files:,} files of 6-12 bytes")]
    for rid, _ in rules:
        cases.append((f"rules/{rid}.line", f"{rid} keywords, one line"))
        cases.append((f"rules/{rid}.lines", f"{rid} keywords, one per line"))
    rows, plain = [], None
    for rel, what in cases:
        path = os.path.join(d, rel)
        warm(path)
        out = os.path.join(d, ".report.json")
        cmd = [ks, "scan", "--no-config", "-q", "--max-file-size", f"{a.line_mib + 1}M",
               "--format", "json", "--report-path", out, path]
        wall, rss, status, _ = timed(cmd, d, a.timeout)
        size = size_of(path)
        rate = size / MIB / wall if wall > 0 and status == "ok" else 0.0
        if rel == "plain.txt":
            plain = rate
        findings = "-"
        if status == "ok":
            with open(out) as fh:
                findings = len(json.load(fh)["findings"])
        rows.append((rel, what, size, wall, rss, rate, status, findings))
        print(f"bench-adversarial: {rel}: {wall:.2f}s {rate:.1f} MiB/s {status}", file=sys.stderr)
    print("| input | what | size | wall | peak RSS | MiB/s | vs plain | findings | status |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for rel, what, size, wall, rss, rate, status, findings in rows:
        # A tree of tiny files is measured in files per second, not against plain text.
        ratio = f"{rate / plain:.3f}" if plain and rate and rel != "tiny" else "-"
        print(f"| `{rel}` | {what} | {size / MIB:.0f} MiB | {wall:.2f} s | {rss // 1024} MiB "
              f"| {rate:.2f} | {ratio} | {findings} | {status} |")


def million_blobs(a):
    d = os.path.abspath(a.dir)
    repo = os.path.join(d, "million-blobs")
    gen = os.path.join(ROOT, "scripts", "gen-million-blobs.py")
    with open(gen, "rb") as fh:
        digest = __import__("hashlib").sha256(fh.read()).hexdigest()[:16]
    want = f"blobs={a.blobs} gen={digest}"
    if not stamp_ok(repo + ".stamp", want):
        t = time.time()
        subprocess.run(["rm", "-rf", repo], check=True)
        subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
        g = subprocess.Popen([sys.executable, gen, "--blobs", str(a.blobs)], stdout=subprocess.PIPE)
        subprocess.run(["git", "-C", repo, "fast-import", "--quiet"], stdin=g.stdout, check=True)
        if g.wait() != 0:
            sys.exit("gen-million-blobs.py failed")
        with open(repo + ".stamp", "w") as fh:
            fh.write(want)
        print(f"bench-adversarial: built {repo} in {time.time() - t:.0f}s", file=sys.stderr)
    pack = subprocess.run(["git", "-C", repo, "count-objects", "-vH"], capture_output=True, text=True).stdout
    size = next((l.split(":", 1)[1].strip() for l in pack.splitlines() if l.startswith("size-pack")), "?")
    ks = os.path.abspath(a.keysentry)
    print(f"Repository: {a.blobs:,} blobs, {a.blobs // 100:,} commits, pack {size}.\n")
    print("| command | wall | peak RSS | findings | status |")
    print("| --- | ---: | ---: | ---: | --- |")
    for extra in ([], ["-j", "2"]):
        out = os.path.join(d, ".mb-report.json")
        cmd = [ks, "scan", "--history", "--no-config", "-q", *extra, "--format", "json", "--report-path", out, "."]
        wall, rss, status, _ = timed(cmd, repo, a.timeout)
        findings = "-"
        if status == "ok":
            with open(out) as fh:
                findings = len(json.load(fh)["findings"])
        shown = " ".join(["keysentry", "scan", "--history", *extra, "."])
        print(f"| `{shown}` | {wall:.2f} s | {rss / 1024:.0f} MiB | {findings} | {status} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    adv = sub.add_parser("adversarial")
    mb = sub.add_parser("million-blobs")
    for p in (adv, mb):
        p.add_argument("dir")
        p.add_argument("keysentry")
        p.add_argument("--timeout", type=int, default=1800)
    adv.add_argument("--mib", type=int, default=256)
    adv.add_argument("--line-mib", type=int, default=1024)
    adv.add_argument("--rule-mib", type=int, default=8)
    adv.add_argument("--files", type=int, default=100_000)
    mb.add_argument("--blobs", type=int, default=1_000_000)
    a = ap.parse_args()
    (adversarial if a.mode == "adversarial" else million_blobs)(a)


if __name__ == "__main__":
    main()
