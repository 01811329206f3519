#!/usr/bin/env python3
"""Git benchmarks for `scripts/bench --git`: full-history scans and pre-commit latency.

    bench-git.py build BENCH_DIR            make the repositories (needs the registries)
    bench-git.py run BENCH_DIR RUN_DIR ...  time the tools (run it under `unshare -n`)

Repositories, all under BENCH_DIR/git/ and reused while their stamp matches:

  django-history   Real Django source replayed as history: the wheels of 16 feature
                   releases (1.8 to 5.2, from the Python package registry), one commit per
                   file that a release adds, changes or removes (17,000+ commits), an
                   annotated tag per release, and 120 synthetic secrets planted in
                   seeded-random commits (each lives in one blob; the manifest lists them).
  express-releases Every published express release (262 npm tarballs), one commit each.
  precommit-50k    The real-mix tree of scripts/bench (Django, TypeScript and aws-sdk sources)
                   copied six times, 56,000 files in one commit, plus a staged change of
                   three files: what a pre-commit hook sees in a large repository.

The network only reaches package registries here, so no public repository can be cloned:
these are real public sources with a reconstructed history, named as such in the results.

Python 3 standard library only; git and npm on PATH.
"""

import argparse
import importlib.util
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DJANGO_VERSIONS = ["1.8", "1.9", "1.10", "1.11", "2.0", "2.1", "2.2", "3.0", "3.1", "3.2",
                   "4.0", "4.1", "4.2", "5.0", "5.1", "5.2"]
PLANT_SEED = 20241129
PLANTED = 120
COPIES = 6
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Release Replay",
    "GIT_AUTHOR_EMAIL": "replay@example.invalid",
    "GIT_COMMITTER_NAME": "Release Replay",
    "GIT_COMMITTER_EMAIL": "replay@example.invalid",
}
BUILD_VERSION = 3  # bump to rebuild the repositories


def load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def git(*args, cwd, input=None):
    env = dict(os.environ, **GIT_ENV)
    return subprocess.run(["git", *args], cwd=cwd, env=env, input=input, check=True,
                          stdout=subprocess.PIPE).stdout


def vkey(v):
    return [int(x) for x in re.findall(r"\d+", v)]


# ---- building -----------------------------------------------------------------------

class FastImport:
    """Writes a `git fast-import` stream for one branch."""

    def __init__(self):
        self.out = io.BytesIO()
        self.mark = 0
        self.when = 1420070400  # 2015-01-01

    def data(self, b):
        self.out.write(b"data %d\n" % len(b))
        self.out.write(b)
        self.out.write(b"\n")

    def commit(self, message, changes):
        """changes: list of (path, bytes or None for a deletion)."""
        self.mark += 1
        self.when += 3600
        who = b"Release Replay <replay@example.invalid> %d +0000" % self.when
        self.out.write(b"commit refs/heads/main\nmark :%d\nauthor %s\ncommitter %s\n"
                       % (self.mark, who, who))
        self.data(message.encode())
        for path, content in changes:
            if content is None:
                self.out.write(b"D %s\n" % path.encode())
            else:
                self.out.write(b"M 100644 inline %s\n" % path.encode())
                self.data(content)
        return self.mark

    def tag(self, name, mark, message):
        who = b"Release Replay <replay@example.invalid> %d +0000" % self.when
        self.out.write(b"tag %s\nfrom :%d\ntagger %s\n" % (name.encode(), mark, who))
        self.data(message.encode())


def import_repo(path, stream):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    git("init", "-q", "-b", "main", cwd=path)
    git("fast-import", "--quiet", cwd=path, input=stream.out.getvalue())
    git("repack", "-adq", cwd=path)
    git("checkout", "-q", "-f", "main", cwd=path)


def wheel_files(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()
                if not n.endswith("/") and ".dist-info/" not in n}


def build_django(bench, dl):
    gen = load("gen_tree", "gen-tree.py")
    g = gen.Gen(PLANT_SEED)
    wheels = {}
    for name in os.listdir(dl):
        m = re.match(r"Django-([\d.]+)-.*\.whl$", name)
        if m:
            wheels[m.group(1)] = os.path.join(dl, name)
    missing = [v for v in DJANGO_VERSIONS if v not in wheels]
    if missing:
        raise SystemExit(f"django wheels missing: {missing}")
    # First the plan: which files each release changes; then, seeded, which of those
    # per-file commits get a planted secret.
    prev = {}
    commits = []  # (version, path) per file commit, to choose plant sites from
    plan = []
    for v in DJANGO_VERSIONS:
        files = wheel_files(wheels[v])
        if prev:
            changed = sorted(p for p, c in files.items() if prev.get(p) != c)
            removed = sorted(p for p in prev if p not in files)
            for p in changed:
                commits.append((v, p))
            plan.append((v, files, changed, removed))
        prev = files
    py_sites = [c for c in commits if c[1].endswith(".py")]
    sites = set(random.Random(PLANT_SEED).sample(py_sites, PLANTED))
    # Now write the history, planting as we go.
    fi = FastImport()
    first = DJANGO_VERSIONS[0]
    files0 = wheel_files(wheels[first])
    mark = fi.commit(f"Import Django {first}", sorted(files0.items()))
    fi.tag(first, mark, f"Django {first}\n")
    manifest = []
    for i, (v, files, changed, removed) in enumerate(plan):
        for p in changed:
            content = files[p]
            if (v, p) in sites:
                kind = gen.KINDS[len(manifest) % len(gen.KINDS)]
                lines, needles = gen.plant(g, kind, "py")
                content = content.rstrip(b"\n") + b"\n\n" + "\n".join(lines).encode() + b"\n"
                manifest.append({"kind": kind, "values": needles, "path": p, "release": v})
            mark = fi.commit(f"Django {v}: update {p}", [(p, content)])
        for p in removed:
            mark = fi.commit(f"Django {v}: remove {p}", [(p, None)])
        fi.tag(v, mark, f"Django {v}\n")
    repo = os.path.join(bench, "git", "django-history")
    import_repo(repo, fi)
    with open(os.path.join(bench, "git", "django-history.manifest.json"), "w") as fh:
        json.dump({"secrets": manifest, "commits": fi.mark}, fh, indent=1)
    return fi.mark


def build_express(bench, dl):
    tarballs = {}
    for name in os.listdir(dl):
        m = re.match(r"express-(.+)\.tgz$", name)
        if m:
            tarballs[m.group(1)] = os.path.join(dl, name)
    fi = FastImport()
    prev = {}
    for v in sorted(tarballs, key=lambda v: (vkey(v.split("-")[0]), "-" not in v, v)):
        files = {}
        with tarfile.open(tarballs[v]) as t:
            for m in t.getmembers():
                if m.isfile():
                    name = m.name.split("/", 1)[1] if "/" in m.name else m.name
                    files[name] = t.extractfile(m).read()
        changes = [(p, c) for p, c in sorted(files.items()) if prev.get(p) != c]
        changes += [(p, None) for p in sorted(prev) if p not in files]
        mark = fi.commit(f"express {v}", changes)
        fi.tag(v, mark, f"express {v}\n")
        prev = files
    import_repo(os.path.join(bench, "git", "express-releases"), fi)
    return fi.mark


def build_precommit(bench):
    src = os.path.join(bench, "trees", "real-mix")
    if not os.path.isdir(src):
        raise SystemExit("the real-mix tree is missing: run scripts/bench once (it fetches it)")
    repo = os.path.join(bench, "git", "precommit-50k")
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    for i in range(COPIES):
        shutil.copytree(src, os.path.join(repo, f"copy{i}"))
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "import", cwd=repo)
    stage_change(repo)


def stage_change(repo):
    """Three modified files staged, as a small commit would have them."""
    listed = git("ls-files", cwd=repo).decode().splitlines()
    picks = [p for p in listed if p.endswith(".py")][:3]
    for p in picks:
        with open(os.path.join(repo, p), "a") as fh:
            fh.write("\n# a staged edit\nretry_limit = 3\n")
    git("add", *picks, cwd=repo)


def build(bench):
    dl = os.path.join(bench, "downloads", "git")
    os.makedirs(os.path.join(dl, "express"), exist_ok=True)
    os.makedirs(os.path.join(bench, "git"), exist_ok=True)
    stamp_path = os.path.join(bench, "git", ".stamp")
    stamp = f"v{BUILD_VERSION} django={','.join(DJANGO_VERSIONS)} seed={PLANT_SEED} copies={COPIES}"
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        print("bench-git: repositories up to date", file=sys.stderr)
        return
    py = os.path.join(bench, "venv", "bin", "python")
    for v in DJANGO_VERSIONS:
        if not any(n.startswith(f"Django-{v}-") for n in os.listdir(dl)):
            subprocess.run([py, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                            "--python-version", "3.6" if vkey(v) < [3] else "3.12",
                            f"django=={v}", "-d", dl], check=True)
    exp = os.path.join(dl, "express")
    if not os.listdir(exp):
        versions = json.loads(subprocess.run(["npm", "view", "express", "versions", "--json"],
                                             check=True, stdout=subprocess.PIPE).stdout)
        subprocess.run(["npm", "pack", "--silent", *[f"express@{v}" for v in versions]],
                       cwd=exp, check=True, stdout=subprocess.DEVNULL)
    t = time.time()
    n = build_django(bench, dl)
    print(f"bench-git: django-history: {n} commits ({time.time() - t:.0f}s)", file=sys.stderr)
    n = build_express(bench, exp)
    print(f"bench-git: express-releases: {n} commits", file=sys.stderr)
    build_precommit(bench)
    print("bench-git: precommit-50k ready", file=sys.stderr)
    with open(stamp_path, "w") as fh:
        fh.write(stamp)


# ---- running ------------------------------------------------------------------------

def history_cmd(tool, b, repo, out, threads, cache):
    if tool == "keysentry":
        return [b, "scan", "--history", repo, "--show-secrets", "--format", "json",
                "--report-path", out, "--threads", str(threads)], (0, 1)
    if tool == "gitleaks":
        return ["env", f"GOMAXPROCS={threads}", b, "git", repo, "--no-banner", "--no-color",
                "--exit-code", "0", "--report-format", "json", "--report-path", out], (0,)
    if tool == "betterleaks":
        return ["env", f"GOMAXPROCS={threads}", b, "git", repo, "--no-banner", "--no-color",
                "--max-archive-depth", "0", "--exit-code", "0", "--output", out], (0,)
    if tool == "kingfisher":
        return [b, "scan", repo, "--git-history", "full", "--no-validate", "--no-update-check",
                "--no-extract-archives", "--jobs", str(threads), "--rule-cache-dir", cache,
                "--format", "json", "--output", out], (0, 200)
    raise ValueError(tool)


def staged_cmd(tool, b, cache):
    if tool == "keysentry":
        return [b, "hook"], (0, 1)
    if tool == "gitleaks":
        return [b, "git", "--staged", "--no-banner", "--exit-code", "0", "."], (0,)
    if tool == "betterleaks":
        return [b, "git", "--staged", "--no-banner", "--exit-code", "0", "."], (0,)
    if tool == "kingfisher":
        return [b, "scan", ".", "--staged", "--no-validate", "--no-update-check",
                "--rule-cache-dir", cache, "--quiet"], (0, 200)
    raise ValueError(tool)


def timed(cmd, cwd, stdout, stderr):
    tf = stderr + ".time"
    with open(stdout, "wb") as o, open(stderr, "wb") as e:
        rc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", tf, *cmd],
                            cwd=cwd, stdout=o, stderr=e).returncode
    wall, user, sys_, rss = open(tf).read().split()[-4:]
    return rc, float(wall), float(user) + float(sys_), int(rss)


def scanned_stats(tool, report, stderr):
    """Blobs (or commits) and bytes the tool says it scanned, as text."""
    err = open(stderr, errors="replace").read()
    err = re.sub(r"\x1b\[[0-9;]*m", "", err)
    if tool == "keysentry":
        doc = json.load(open(report))
        m = re.search(r"history: ([\d,]+) commits?, ([\d,]+) distinct blobs?", err)
        blobs = m.group(2) if m else "?"
        return f"{blobs} blobs", f"{doc['stats']['bytes'] / 2**20:.0f} MiB"
    if tool in ("gitleaks", "betterleaks"):
        b = re.search(r"scanned ~?(\d+) bytes", err)
        c = re.search(r"(\d+) commits scanned", err)
        return (f"{c.group(1)} commits" if c else "-",
                f"{int(b.group(1)) / 2**20:.0f} MiB" if b else "-")
    if tool == "kingfisher":
        blobs = re.search(r"([\d,]+) blobs", err)
        size = re.search(r"([\d.]+ [KMG]i?B)", err)
        return (f"{blobs.group(1)} blobs" if blobs else "-", size.group(1) if size else "-")
    return "-", "-"


def run(args):
    report_mod = load("bench_report", "bench-report.py")
    bench, run_dir = os.path.abspath(args.bench), os.path.abspath(args.run_dir)
    bins = {k: os.path.abspath(v) for k, v in (b.split("=", 1) for b in args.bin)}
    tools = [t for t in ["keysentry", "gitleaks", "betterleaks", "kingfisher"] if t in bins]
    cache = os.path.join(bench, "cache", "kingfisher")
    repos = ["django-history", "express-releases"]
    manifest = json.load(open(os.path.join(bench, "git", "django-history.manifest.json")))
    planted = {v: i for i, s in enumerate(manifest["secrets"]) for v in s["values"]}
    rows = []
    for repo in repos:
        path = os.path.join(bench, "git", repo)
        subprocess.run(["git", "-C", path, "count-objects"], stdout=subprocess.DEVNULL)
        # Warm the page cache.
        subprocess.run(["cat", *[os.path.join(path, ".git", "objects", "pack", f)
                                 for f in os.listdir(os.path.join(path, ".git", "objects", "pack"))]],
                       stdout=subprocess.DEVNULL)
        for r in range(args.runs):
            for tool in tools:
                out = os.path.join(run_dir, f"{repo}.{tool}.{r}.json")
                err = out + ".stderr"
                cmd, ok = history_cmd(tool, bins[tool], path, out, args.threads, cache)
                rc, wall, cpu, rss = timed(cmd, run_dir, out + ".stdout", err)
                row = {"repo": repo, "tool": tool, "run": r, "rc": rc, "wall": wall, "cpu": cpu,
                       "rss_kb": rss, "ok": rc in ok and os.path.exists(out)}
                if row["ok"]:
                    findings = report_mod.load_findings(tool, out)
                    row["findings"] = len(findings)
                    found = set()
                    for _, _, _, strings in findings:
                        for s in strings:
                            for tok in report_mod.SEP.split(s):
                                if tok in planted:
                                    found.add(planted[tok])
                    row["recall"] = len(found) / len(manifest["secrets"]) if repo == "django-history" else None
                    row["scanned"] = scanned_stats(tool, out, err)
                else:
                    row["error"] = open(err, errors="replace").read()[-300:]
                print(f"bench-git: {repo} run {r + 1} {tool}: {wall:.2f}s wall, {cpu:.2f}s CPU, "
                      f"{rss // 1024} MiB, {row.get('findings', 'failed')}", file=sys.stderr)
                rows.append(row)
    # Pre-commit latency.
    latency = {}
    repo = os.path.join(bench, "git", "precommit-50k")
    for tool in tools:
        cmd, ok = staged_cmd(tool, bins[tool], cache)
        samples, status = [], "ok"
        for i in range(args.latency_runs + 3):
            t0 = time.perf_counter()
            p = subprocess.run(cmd, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            dt = time.perf_counter() - t0
            if p.returncode not in ok:
                status = f"failed: exit {p.returncode}: {p.stderr.decode(errors='replace')[-200:]}"
                break
            if i >= 3:
                samples.append(dt * 1000)
        latency[tool] = {"status": status, "samples_ms": samples}
        if samples:
            print(f"bench-git: pre-commit {tool}: median {statistics.median(samples):.1f} ms",
                  file=sys.stderr)
    files = int(subprocess.run(["git", "-C", repo, "ls-files"], stdout=subprocess.PIPE)
                .stdout.count(b"\n"))
    json.dump({"history": rows, "latency": latency, "precommit_files": files,
               "planted": len(manifest["secrets"]), "django_commits": manifest["commits"]},
              open(os.path.join(run_dir, "git-results.json"), "w"), indent=1)
    print(table(run_dir, args))


def table(run_dir, args):
    data = json.load(open(os.path.join(run_dir, "git-results.json")))
    out = [f"## Git history (median of {args.runs} interleaved runs, {args.threads} threads)", ""]
    by = {}
    for r in data["history"]:
        by.setdefault((r["repo"], r["tool"]), []).append(r)
    for repo in ["django-history", "express-releases"]:
        out += [f"### {repo}", "",
                "| tool | wall s | CPU s | peak MiB | scanned | bytes | findings | planted found | vs keysentry |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        ks = None
        for tool in ["keysentry", "gitleaks", "betterleaks", "kingfisher"]:
            rs = by.get((repo, tool))
            if not rs:
                continue
            good = [r for r in rs if r["ok"]]
            if not good:
                out.append(f"| {tool} | failed: exit {rs[0]['rc']} | | | | | | | |")
                continue
            wall = statistics.median(r["wall"] for r in good)
            cpu = statistics.median(r["cpu"] for r in good)
            rss = max(r["rss_kb"] for r in good) / 1024
            if tool == "keysentry":
                ks = wall
            rec = good[0].get("recall")
            rec = f"{rec * 100:.1f}%" if rec is not None else "-"
            ratio = f"{wall / ks:.1f}x" if ks else "-"
            sc, by_ = good[0]["scanned"]
            out.append(f"| {tool} | {wall:.2f} | {cpu:.2f} | {rss:.0f} | {sc} | {by_} | "
                       f"{good[0]['findings']} | {rec} | {ratio} |")
        out.append("")
    out += [f"## Pre-commit latency ({data['precommit_files']} files, 3 staged; "
            f"{args.latency_runs} runs after 3 warm-ups, process start to exit)", "",
            "| tool | median ms | p90 ms | vs keysentry |", "| --- | ---: | ---: | ---: |"]
    ks = None
    for tool in ["keysentry", "gitleaks", "betterleaks", "kingfisher"]:
        l = data["latency"].get(tool)
        if not l:
            continue
        if not l["samples_ms"]:
            out.append(f"| {tool} | {l['status']} | | |")
            continue
        s = sorted(l["samples_ms"])
        med = statistics.median(s)
        p90 = s[min(len(s) - 1, int(len(s) * 0.9))]
        if tool == "keysentry":
            ks = med
        out.append(f"| {tool} | {med:.1f} | {p90:.1f} | {med / ks:.1f}x |" if ks else
                   f"| {tool} | {med:.1f} | {p90:.1f} | - |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("bench")
    r = sub.add_parser("run")
    r.add_argument("bench")
    r.add_argument("run_dir")
    r.add_argument("--bin", action="append", default=[], help="TOOL=PATH")
    r.add_argument("--threads", type=int, default=os.cpu_count())
    r.add_argument("--runs", type=int, default=3)
    r.add_argument("--latency-runs", type=int, default=20)
    args = ap.parse_args()
    if args.cmd == "build":
        build(args.bench)
    else:
        run(args)


if __name__ == "__main__":
    main()
