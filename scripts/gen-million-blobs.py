#!/usr/bin/env python3
"""A `git fast-import` stream of a repository with many small blobs (issue 14, point 6).

    scripts/gen-million-blobs.py [--blobs N] [--per-commit K] [--secrets S] [--seed X] \
        | git -C REPO fast-import --quiet

`scripts/bench --million-blobs` runs it into .bench/git/million-blobs. The history has N/K
commits on `main`; commit i rewrites the K files of one leaf directory (a tree of 100 top
directories of 10 leaves each), so every blob is new (each carries its commit and file number)
while each commit adds only three trees. Contents are short code-like text (4 to 19 lines of
words and numbers, 150 to 900 bytes). S blobs, spread evenly, hold a synthetic AWS access key id
of random characters (assembled here at run time; never a real key); the count is printed on
stderr so that the scan's findings can be checked against it.
"""

import argparse
import random
import string
import sys

WORDS = (
    "alpha beta gamma delta value index count total result buffer cache config option "
    "handler request response client server worker thread queue stream reader writer "
    "parse format render update insert delete select filter reduce collect append extend "
    "user group role policy bucket region instance volume network route table column row "
    "error warning notice debug trace event metric sample window offset length width height"
).split()
B32 = string.ascii_uppercase + "234567"
TOP, LEAVES = 100, 10


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blobs", type=int, default=1_000_000)
    ap.add_argument("--per-commit", type=int, default=100)
    ap.add_argument("--secrets", type=int, default=10)
    ap.add_argument("--seed", type=int, default=14)
    a = ap.parse_args()
    r = random.Random(a.seed)
    out = sys.stdout.buffer
    commits = a.blobs // a.per_commit
    every = max(1, a.blobs // max(1, a.secrets)) if a.secrets else 0
    prefix = "AK" + "IA"  # split so that this file holds no key-shaped literal
    planted = 0
    blob = 0
    t = 1_700_000_000
    for c in range(commits):
        leaf = c % (TOP * LEAVES)
        d = f"d{leaf // LEAVES:02}/e{leaf % LEAVES}"
        msg = f"commit {c}: rewrite {d}\n".encode()
        head = (
            f"commit refs/heads/main\n"
            f"committer Bench <bench@example.test> {t + c * 60} +0000\n"
            f"data {len(msg)}\n"
        ).encode()
        out.write(head + msg)
        if c == 0:
            out.write(b"deleteall\n")
        for f in range(a.per_commit):
            n = r.randint(4, 19)
            lines = [f"// {d}/f{f}.txt at commit {c}"]
            for _ in range(n - 1):
                ws = r.choices(WORDS, k=r.randint(2, 7))
                lines.append(f"let {ws[0]}_{r.randint(0, 999)} = {'.'.join(ws[1:]) or ws[0]}({r.randint(0, 65535)});")
            if every and blob % every == every // 2 and planted < a.secrets:
                key = prefix + "".join(r.choices(B32, k=16))
                lines.insert(r.randint(1, len(lines)), f"aws_access_key_id = {key}")
                planted += 1
            data = ("\n".join(lines) + "\n").encode()
            out.write(f"M 100644 inline {d}/f{f}.txt\ndata {len(data)}\n".encode() + data + b"\n")
            blob += 1
        out.write(b"\n")
    print(f"gen-million-blobs: {blob} blobs, {commits} commits, {planted} planted keys", file=sys.stderr)


if __name__ == "__main__":
    main()
