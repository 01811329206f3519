#!/usr/bin/env python3
"""Git repositories built from the releases of real packages, for `keysentry audit` (issue 15).

Usage:
    scripts/gen-release-repos.py OUT_DIR [--cache DIR] [--packages requests,urllib3,boto3,botocore]
                                         [--jobs 3]

For each package, downloads the source distributions of the successive releases pinned
below from the Python package registry, with pip and only through pip's configured index
(`pip download --no-deps --no-binary :all: PKG==VER`), into the cache (default
.bench/downloads/releases beside this script's repository; a re-run downloads nothing it
has), then writes OUT_DIR/<package>.git, a bare repository with one commit per release on
`main` (the unpacked sdist, without its top directory: files the release adds, changes or
removes), each tagged with its version. The repositories are rebuilt only when the pinned
versions change (OUT_DIR/.stamp). Prints commits, distinct blobs and content size per
repository.

Real public sources with a reconstructed history (no public repository can be cloned from
here: the network reaches only package registries). Python 3 standard library only; pip,
git on PATH.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_VERSION = 1
RELEASES = {
    # 26 releases, 2018-2026: a small, long-lived library.
    "requests": ["2.20.0", "2.20.1", "2.21.0", "2.22.0", "2.23.0", "2.24.0", "2.25.0", "2.25.1",
                 "2.26.0", "2.27.0", "2.27.1", "2.28.0", "2.28.1", "2.28.2", "2.29.0", "2.30.0",
                 "2.31.0", "2.32.2", "2.32.3", "2.32.4", "2.32.5", "2.33.0", "2.33.1", "2.34.0",
                 "2.34.1", "2.34.2"],
    # 20 releases of the 2.x line.
    "urllib3": ["2.0.2", "2.0.3", "2.0.4", "2.0.5", "2.0.6", "2.0.7", "2.1.0", "2.2.0", "2.2.1",
                "2.2.2", "2.2.3", "2.3.0", "2.4.0", "2.5.0", "2.6.0", "2.6.1", "2.6.2", "2.6.3",
                "2.7.0", "2.8.0"],
    # 18 successive releases (boto3 ships almost daily: small changes each).
    "boto3": [f"1.43.{n}" for n in range(119, 128)] + [f"1.44.{n}" for n in range(0, 9)],
    # 15 successive releases of a large one (17 MB sdists, mostly compressed service models).
    "botocore": [f"1.43.{n}" for n in range(122, 128)] + [f"1.44.{n}" for n in range(0, 9)],
}
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def vkey(v):
    return [int(x) for x in re.findall(r"\d+", v)]


def sdist_path(cache, pkg, ver):
    for name in os.listdir(cache):
        low = name.lower().replace("_", "-")
        if low.startswith(f"{pkg}-{ver}.") and (low.endswith(".tar.gz") or low.endswith(".zip")):
            return os.path.join(cache, name)
    return None


def download(cache, pkg, ver):
    if sdist_path(cache, pkg, ver):
        return
    print(f"gen-release-repos: download {pkg}=={ver} (Python package registry)", file=sys.stderr)
    p = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--no-binary", ":all:", f"{pkg}=={ver}", "-d", cache],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0 or not sdist_path(cache, pkg, ver):
        raise SystemExit(f"gen-release-repos: pip download {pkg}=={ver} failed:\n"
                         f"{p.stdout.decode(errors='replace')[-2000:]}")


def unpack(path):
    """{relative path: (mode, bytes)} of an sdist's regular files, top directory removed."""
    files = {}
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if not info.is_dir():
                    files[info.filename] = (0o644, z.read(info))
    else:
        with tarfile.open(path) as t:
            for m in t.getmembers():
                if m.isfile():
                    files[m.name] = (m.mode, t.extractfile(m).read())
    out = {}
    for name, (mode, data) in files.items():
        rel = name.split("/", 1)[1] if "/" in name else name
        if rel and ".." not in rel.split("/"):
            out[rel] = ("100755" if mode & 0o111 else "100644", data)
    return out


def build_repo(out, cache, pkg):
    """Write the releases straight into `git fast-import` (two releases in memory at most)."""
    versions = sorted(RELEASES[pkg], key=vkey)
    repo = os.path.join(out, f"{pkg}.git")
    shutil.rmtree(repo, ignore_errors=True)
    env = dict(os.environ, **GIT_ENV)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", repo], env=env, check=True)
    fi = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=repo, env=env, stdin=subprocess.PIPE)
    stream = fi.stdin
    prev = {}
    blobs = set()
    size = 0
    when = 1_500_000_000
    for i, ver in enumerate(versions):
        files = unpack(sdist_path(cache, pkg, ver))
        changes = [(p, m, d) for p, (m, d) in sorted(files.items()) if prev.get(p) != (m, d)]
        removed = sorted(p for p in prev if p not in files)
        when += 86_400
        sig = b"Release Replay <replay@example.invalid> %d +0000" % when
        msg = f"{pkg} {ver}\n".encode()
        stream.write(b"commit refs/heads/main\nmark :%d\nauthor %s\ncommitter %s\ndata %d\n%s\n"
                     % (i + 1, sig, sig, len(msg), msg))
        for p in removed:
            stream.write(b"D %s\n" % p.encode())
        for p, mode, data in changes:
            stream.write(b"M %s inline %s\ndata %d\n" % (mode.encode(), p.encode(), len(data)))
            stream.write(data + b"\n")
            bid = hashlib.sha1(b"blob %d\0" % len(data) + data).digest()
            if bid not in blobs:
                blobs.add(bid)
                size += len(data)
        stream.write(b"\nreset refs/tags/v%s\nfrom :%d\n\n" % (ver.encode(), i + 1))
        prev = files
    stream.close()
    if fi.wait() != 0:
        raise SystemExit(f"gen-release-repos: git fast-import failed for {pkg}")
    subprocess.run(["git", "repack", "-adq"], cwd=repo, env=env, check=True)
    return {"package": pkg, "repo": repo, "commits": len(versions),
            "first": versions[0], "last": versions[-1], "distinct_blobs": len(blobs),
            "content_bytes": size}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", metavar="OUT_DIR")
    ap.add_argument("--cache", default=os.path.join(ROOT, ".bench", "downloads", "releases"))
    ap.add_argument("--packages", default=",".join(RELEASES))
    ap.add_argument("--jobs", type=int, default=3, help="downloads at once (3)")
    a = ap.parse_args()
    pkgs = [p for p in a.packages.split(",") if p]
    unknown = [p for p in pkgs if p not in RELEASES]
    if unknown:
        raise SystemExit(f"gen-release-repos: no pinned releases for {unknown} (have {list(RELEASES)})")
    out = os.path.abspath(a.out)
    os.makedirs(a.cache, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    stamp = json.dumps({"v": BUILD_VERSION, **{p: RELEASES[p] for p in pkgs}}, sort_keys=True)
    stamp_path = os.path.join(out, ".stamp")
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        print(f"gen-release-repos: {out} up to date", file=sys.stderr)
        return 0
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        list(ex.map(lambda pv: download(a.cache, *pv), [(p, v) for p in pkgs for v in RELEASES[p]]))
    summary = [build_repo(out, a.cache, p) for p in pkgs]
    with open(os.path.join(out, "repos.json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    for s in summary:
        print(f"gen-release-repos: {s['package']}.git: {s['commits']} releases "
              f"({s['first']} to {s['last']}), {s['distinct_blobs']:,} distinct blobs, "
              f"{s['content_bytes'] / 2**20:.1f} MiB of content")
    with open(stamp_path, "w") as fh:
        fh.write(stamp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
