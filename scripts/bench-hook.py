#!/usr/bin/env python3
"""Pre-commit latency and start-up, old and new keysentry binaries interleaved.

    scripts/bench-hook.py [--runs N] NAME=BINARY [NAME=BINARY ...]

Times, for each binary in turn within every round (so that a noisy machine slows all of them
alike), process start to exit of:

  hook     `keysentry hook` in .bench/git/precommit-50k (56,000 files, three staged; made by
           scripts/bench-git.py's build_precommit from the real-mix tree of scripts/bench,
           which must have run once), with the binary's default rules.
  empty    `keysentry scan --quiet EMPTY_DIR`: start-up to exit with nothing to scan.

A binary named with a "+extended" suffix runs the hook with `extended = true` in the
repository's .keysentry.toml: how binaries from before issue 17 ran every rule (newer ones
warn and ignore it). Prints medians and p90s in ms as
a Markdown table. Run it under `unshare -n` for no network. Python 3 standard library only.
"""

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BENCH = os.path.join(ROOT, ".bench")


def precommit_repo():
    repo = os.path.join(BENCH, "git", "precommit-50k")
    if not os.path.isdir(os.path.join(repo, ".git")):
        spec = importlib.util.spec_from_file_location("bench_git", os.path.join(HERE, "bench-git.py"))
        bench_git = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench_git)
        os.makedirs(os.path.join(BENCH, "git"), exist_ok=True)
        bench_git.build_precommit(BENCH)
    return repo


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("bins", nargs="+", help="NAME=BINARY")
    args = ap.parse_args()
    bins = [b.split("=", 1) for b in args.bins]
    repo = precommit_repo()
    config = os.path.join(repo, ".keysentry.toml")
    empty = tempfile.mkdtemp(prefix="keysentry-empty-")
    samples = {(n, case): [] for n, _ in bins for case in ("hook", "empty")}
    try:
        for r in range(args.runs + 3):
            for name, b in bins:
                if name.endswith("+extended"):
                    with open(config, "w") as fh:
                        fh.write("[extend]\nextended = true\n")
                elif os.path.exists(config):
                    os.remove(config)
                for case, cmd, cwd in (("hook", [b, "hook"], repo),
                                       ("empty", [b, "scan", "--quiet", empty], empty)):
                    t0 = time.perf_counter()
                    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                    dt = (time.perf_counter() - t0) * 1000
                    if p.returncode not in (0, 1):
                        sys.exit(f"{name} {case}: exit {p.returncode}: {p.stderr.decode(errors='replace')[-300:]}")
                    if r >= 3:
                        samples[(name, case)].append(dt)
    finally:
        if os.path.exists(config):
            os.remove(config)
        shutil.rmtree(empty, ignore_errors=True)
    files = subprocess.run(["git", "-C", repo, "ls-files"], stdout=subprocess.PIPE).stdout.count(b"\n")
    print(f"{files} files in {os.path.relpath(repo, ROOT)}, {args.runs} rounds after 3 warm-ups, "
          f"binaries interleaved within each round\n")
    print("| binary | hook median ms | hook p90 ms | empty scan median ms | empty p90 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, _ in bins:
        row = [name]
        for case in ("hook", "empty"):
            s = sorted(samples[(name, case)])
            row += [f"{statistics.median(s):.1f}", f"{s[int(len(s) * 0.9) - 1]:.1f}"]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
