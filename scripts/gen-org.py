#!/usr/bin/env python3
"""Generate an organisation of git repositories for `keysentry audit` benchmarks (issue 15).

Usage:
    scripts/gen-org.py OUT_DIR [--repos 1000] [--seed 15] [--upstreams N] [--jobs N]
                               [--hardlinks]

Makes OUT_DIR (removed first if it exists) holding --repos repositories:

  upstream/<name>/ or <name>.git     a few dozen "upstream" projects (repos/25 by default),
                                     half working copies, half bare: histories of tens to
                                     hundreds of commits (log-uniform, 20 to 400) of
                                     source-like text (scripts/gen-tree.py's line pools:
                                     Python, JS, Go, Rust or Java plus YAML, JSON, INI and
                                     Markdown), each commit editing one to four files, with
                                     tags every 25 commits.
  forks/<owner>/<name>.git or <name>/
                                     the rest: forks, each a `git clone` of an upstream at one
                                     of three points of its history (the upstream goes on
                                     after each batch of forks), 70 % bare, 15 % `git clone
                                     --mirror` mirrors, 15 % working copies. Three quarters
                                     add nothing; the others add one to six commits of their
                                     own, on main or on a feature branch.

Each clone copies its objects (`--no-hardlinks`, as separate repositories on a server
would be; --hardlinks makes them share files, smaller and faster to make). Histories are
written with `git fast-import` streams, so 1,000 repositories take a few minutes.

A handful of synthetic secrets (AWS key pairs `AKIA` + 16 random base-32 characters with a
40-character secret, and GitHub `ghp_` tokens with a valid checksum, drawn at run time by
gen-tree.py's generator, never real) are planted: about a third of the upstreams get one in
their history (half removed again a few commits later, so only history holds it), and about
one fork in a hundred commits one of its own.

Everything derives from random.Random(seed) and fixed timestamps: the same arguments give
the same commits (ids included). Writes OUT_DIR/repos.txt (one repository path a line, for
`keysentry audit --list` or a loop of `keysentry scan --history`) and OUT_DIR/org.json
(the parameters, counts and the planted secrets as SHA-256 digests of their values), and
prints a summary: repositories by kind, commits and blobs (distinct, and summed over the
repositories as a scan of each would see them), content bytes, secrets.

Python 3 standard library only; git on PATH.
"""

import argparse
import hashlib
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR_VERSION = 1
SEGMENTS = 3  # forks are cloned after each of the first SEGMENTS segments of history
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}
LANGS = ["py", "js", "go", "rs", "java"]
EXT = {"py": "py", "js": "js", "go": "go", "rs": "rs", "java": "java", "yaml": "yaml",
       "json": "json", "ini": "toml", "md": "md"}
SECRET_KINDS = ["aws", "github_pat"]


def load_gen_tree():
    spec = importlib.util.spec_from_file_location("gen_tree", os.path.join(HERE, "gen-tree.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GT = load_gen_tree()


def git(*args, cwd=None, input=None):
    env = dict(os.environ, **GIT_ENV)
    p = subprocess.run(["git", *args], cwd=cwd, env=env, input=input,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise SystemExit(f"gen-org: git {' '.join(args)} failed in {cwd}: "
                         f"{p.stderr.decode(errors='replace').strip()}")
    return p.stdout


def blob_id(content):
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


class Stream:
    """One `git fast-import` stream (marks are local to it)."""

    def __init__(self):
        self.parts = []
        self.mark = 0

    def data(self, b):
        self.parts.append(b"data %d\n" % len(b))
        self.parts.append(b)
        self.parts.append(b"\n")

    def commit(self, ref, who, when, message, changes, continue_from=None):
        """changes: (path, bytes or None for a deletion); continue_from: a ref to start on."""
        self.mark += 1
        sig = b"%s %d +0000" % (who.encode(), when)
        self.parts.append(b"commit %s\nmark :%d\nauthor %s\ncommitter %s\n"
                          % (ref.encode(), self.mark, sig, sig))
        self.data(message.encode())
        if continue_from:
            self.parts.append(b"from %s^0\n" % continue_from.encode())
        for path, content in changes:
            if content is None:
                self.parts.append(b"D %s\n" % path.encode())
            else:
                self.parts.append(b"M 100644 inline %s\n" % path.encode())
                self.data(content)
        return self.mark

    def tag(self, name, mark):
        self.parts.append(b"reset refs/tags/%s\nfrom :%d\n\n" % (name.encode(), mark))

    def bytes(self):
        return b"".join(self.parts) + b"done\n"


class Project:
    """The evolving file set of one upstream (or fork): path -> list of lines."""

    def __init__(self, g, lang):
        self.g = g
        self.lang = lang
        # A list, not a set: set order of strings changes from one process to the next.
        self.pools = {s: GT.pool_lines(g, s, 400) for s in [lang, "yaml", "json", "ini", "md"]}
        self.files = {}
        self.dirs = [f"src/{g.word()}" for _ in range(g.r.randint(2, 6))] + ["docs", "config"]

    def syntax_of(self, path):
        ext = path.rsplit(".", 1)[-1]
        return {v: k for k, v in EXT.items()}[ext]

    def new_path(self):
        r = self.g.r
        while True:
            syn = r.choices([self.lang, "yaml", "json", "ini", "md"], weights=[70, 8, 7, 5, 10])[0]
            d = {"yaml": "config", "ini": "config", "md": "docs"}.get(syn) or r.choice(self.dirs)
            path = f"{d}/{self.g.ident()}.{EXT[syn]}"
            if path not in self.files:
                return path

    def new_file(self):
        path = self.new_path()
        n = int(20 * 15 ** self.g.r.random())  # 20 to 300 lines, log-uniform
        self.files[path] = self.g.r.choices(self.pools[self.syntax_of(path)], k=n)
        return path

    def edit(self, path):
        """Replace and insert a few lines (a new list: snapshots share the old ones)."""
        r = self.g.r
        lines = list(self.files[path])
        pool = self.pools[self.syntax_of(path)]
        for _ in range(r.randint(1, 5)):
            lines[r.randrange(len(lines))] = r.choice(pool)
        for _ in range(r.randint(0, 5)):
            lines.insert(r.randrange(len(lines) + 1), r.choice(pool))
        self.files[path] = lines

    def content(self, path):
        return ("\n".join(self.files[path]) + "\n").encode()

    def step(self, secrets, where):
        """One commit's changes: edits, sometimes a new or a removed file, maybe a secret."""
        r = self.g.r
        changed = set()
        for _ in range(r.choice((1, 1, 1, 2, 2, 3, 4))):
            p = r.choice(sorted(self.files))
            self.edit(p)
            changed.add(p)
        if r.random() < 0.06:
            changed.add(self.new_file())
        removed = []
        if r.random() < 0.02 and len(self.files) > 12:
            p = r.choice(sorted(set(self.files) - changed))
            del self.files[p]
            removed.append(p)
        plant = None
        if secrets:
            kind = secrets.pop()
            cands = sorted(p for p in self.files if self.syntax_of(p) in ("py", "js", "go", "rs",
                                                                           "java", "yaml", "ini"))
            p = r.choice(cands)
            lines, needles = GT.plant(self.g, kind, self.syntax_of(p))
            at = r.randrange(len(self.files[p]) + 1)
            self.files[p] = self.files[p][:at] + lines + self.files[p][at:]
            changed.add(p)
            plant = {"kind": kind, "where": where, "path": p, "lines": lines,
                     "sha256": [hashlib.sha256(v.encode()).hexdigest() for v in needles]}
        return [(p, self.content(p)) for p in sorted(changed)] + [(p, None) for p in removed], plant

    def unplant(self, plant):
        """Remove a planted secret's lines again (a later 'remove credentials' commit)."""
        p = plant["path"]
        if p not in self.files:
            return None
        lines = self.files[p]
        for i in range(len(lines) - len(plant["lines"]) + 1):
            if lines[i:i + len(plant["lines"])] == plant["lines"]:
                self.files[p] = lines[:i] + lines[i + len(plant["lines"]):]
                return [(p, self.content(p))]
        return None


def plan_org(a):
    """Everything decided up front, in one seeded sequence: streams and clone orders."""
    g = GT.Gen(a.seed)
    r = g.r
    n_up = a.upstreams or max(4, round(a.repos / 25))
    n_forks = a.repos - n_up
    if n_forks < 0:
        raise SystemExit("gen-org: --upstreams exceeds --repos")
    names = []
    while len(names) < n_up:
        n = f"{g.word()}-{g.word()}"
        if n not in names:
            names.append(n)
    # Which upstream each fork copies: a few upstreams are popular (Zipf-like weights).
    weights = [1 / (i + 1) ** 0.8 for i in range(n_up)]
    fork_of = [r.choices(range(n_up), weights=weights)[0] for _ in range(n_forks)]
    seen_blobs = set()
    blob_bytes = 0
    planted = []
    ups = []
    t0 = 1_600_000_000
    for u, name in enumerate(names):
        lang = r.choice(LANGS)
        proj = Project(g, lang)
        for _ in range(r.randint(8, 60)):
            proj.new_file()
        commits = int(20 * 20 ** r.random())  # 20 to 400 commits, log-uniform
        # History in SEGMENTS + 1 parts: forks are cloned after each of the first SEGMENTS.
        cuts = sorted(r.sample(range(1, commits), SEGMENTS)) + [commits] if commits > SEGMENTS else [commits] * (SEGMENTS + 1)
        secret_at = {}
        if r.random() < 0.35:
            at = r.randrange(1, commits)
            secret_at[at] = r.choice(SECRET_KINDS)
        who = f"{g.camel()} <{g.word()}@example.invalid>"
        up = {"name": name, "lang": lang, "bare": u % 2 == 1, "streams": [], "snapshots": [],
              "commits_at": [], "blobs_at": [], "forks": [], "commits": commits}
        blobs = set()
        i = 0
        unplant_at = {}
        for s, cut in enumerate(cuts):
            st = Stream()
            mark = None
            while i < cut:
                i += 1
                when = t0 + u * 10_000_000 + i * 3600
                if i == 1:
                    changes = [(p, proj.content(p)) for p in sorted(proj.files)]
                    msg = f"Initial import of {name}\n"
                    plant = None
                elif i in unplant_at:
                    changes = proj.unplant(unplant_at.pop(i)) or proj.step([], None)[0]
                    msg = "Remove credentials committed by mistake\n"
                    plant = None
                else:
                    kinds = [secret_at[i]] if i in secret_at else []
                    changes, plant = proj.step(kinds, f"upstream/{name} commit {i}")
                    msg = f"{g.text(3, 9).capitalize()}\n"
                if plant:
                    planted.append(plant)
                    if r.random() < 0.5 and i + 3 < commits:
                        unplant_at[i + r.randint(1, 3)] = plant
                mark = st.commit("refs/heads/main", who, when, msg, changes,
                                 continue_from="refs/heads/main" if s > 0 and mark is None else None)
                if i % 25 == 0:
                    st.tag(f"v0.{i // 25}.0", mark)
                for _, c in changes:
                    if c is not None:
                        bid = blob_id(c)
                        blobs.add(bid)
                        if bid not in seen_blobs:
                            seen_blobs.add(bid)
                            blob_bytes += len(c)
            up["streams"].append(st.bytes() if mark is not None else None)
            up["snapshots"].append(dict(proj.files))
            up["commits_at"].append(i)
            up["blobs_at"].append(len(blobs))
        up["project"] = proj
        ups.append(up)

    forks = []
    owners = set()
    fork_commits = 0
    fork_blob_sum = 0
    for f, u in enumerate(fork_of):
        up = ups[u]
        while True:
            owner = f"{g.word()}-{r.randrange(1000):03d}"
            if (owner, up["name"]) not in owners:
                owners.add((owner, up["name"]))
                break
        seg = r.randrange(SEGMENTS)
        kind = r.choices(["bare", "mirror", "work"], weights=[70, 15, 15])[0]
        fork = {"owner": owner, "upstream": u, "segment": seg, "kind": kind, "stream": None,
                "commits": up["commits_at"][seg], "blobs": up["blobs_at"][seg]}
        if r.random() < 0.25:
            # A few commits of its own, from the upstream's files at the fork point.
            proj = up["project"]
            mine = Project.__new__(Project)
            mine.g, mine.lang, mine.pools, mine.dirs = g, proj.lang, proj.pools, proj.dirs
            mine.files = dict(up["snapshots"][seg])
            ref = "refs/heads/main" if r.random() < 0.67 else f"refs/heads/feature/{g.word()}"
            st = Stream()
            n = r.randint(1, 6)
            kinds = [r.choice(SECRET_KINDS)] if r.random() < 0.04 else []  # 1 % of all forks
            who = f"{g.camel()} <{owner}@example.invalid>"
            own = set()
            for k in range(n):
                changes, plant = mine.step(kinds if k == n - 1 else [],
                                           f"forks/{owner}/{up['name']} own commit {k + 1}")
                if plant:
                    planted.append(plant)
                st.commit(ref, who, 1_700_000_000 + f * 100_000 + k * 600,
                          f"{g.text(3, 9).capitalize()}\n", changes,
                          continue_from="refs/heads/main" if k == 0 else None)
                for _, c in changes:
                    if c is not None:
                        bid = blob_id(c)
                        own.add(bid)
                        if bid not in seen_blobs:
                            seen_blobs.add(bid)
                            blob_bytes += len(c)
            fork["stream"] = st.bytes()
            fork["commits"] += n
            fork["blobs"] += len(own)  # new contents: none of them is in the upstream
            fork_commits += n
        fork_blob_sum += fork["blobs"]
        up["forks"].append(fork)
        forks.append(fork)
    for up in ups:
        del up["project"], up["snapshots"]
    return {
        "ups": ups, "forks": forks, "planted": planted,
        "distinct_commits": sum(up["commits"] for up in ups) + fork_commits,
        "commit_sum": sum(up["commits"] for up in ups) + sum(f["commits"] for f in forks),
        "distinct_blobs": len(seen_blobs), "blob_bytes": blob_bytes,
        "blob_sum": sum(up["blobs_at"][-1] for up in ups) + fork_blob_sum,
    }


def up_path(out, up):
    return os.path.join(out, "upstream", up["name"] + (".git" if up["bare"] else ""))


def fork_path(out, up, fork):
    return os.path.join(out, "forks", fork["owner"], up["name"] + (".git" if fork["kind"] != "work" else ""))


def build_upstream(out, up, hardlinks):
    """Import the upstream's history segment by segment, cloning its forks in between."""
    path = up_path(out, up)
    os.makedirs(path)
    git("init", "-q", "-b", "main", *(["--bare"] if up["bare"] else []), path)
    for s, stream in enumerate(up["streams"]):
        if stream is not None:
            git("fast-import", "--quiet", cwd=path, input=stream)
        for fork in up["forks"]:
            if fork["segment"] == s:
                build_fork(out, up, fork, path, hardlinks)
    if not up["bare"]:
        git("reset", "-q", "--hard", "main", cwd=path)
    return path


def build_fork(out, up, fork, src, hardlinks):
    dst = fork_path(out, up, fork)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    how = {"bare": ["--bare"], "mirror": ["--mirror"], "work": []}[fork["kind"]]
    links = [] if hardlinks else ["--no-hardlinks"]
    git("clone", "-q", *how, *links, src, dst)
    if fork["stream"] is not None:
        git("fast-import", "--quiet", cwd=dst, input=fork["stream"])
        if fork["kind"] == "work":
            git("reset", "-q", "--hard", "HEAD", cwd=dst)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", metavar="OUT_DIR")
    ap.add_argument("--repos", type=int, default=1000, help="repositories in all (1000)")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--upstreams", type=int, default=0, help="upstream projects (repos/25)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                    help="upstreams built at once (all cores)")
    ap.add_argument("--hardlinks", action="store_true",
                    help="let clones hard-link their objects (default: copies)")
    a = ap.parse_args()
    if a.repos < 1:
        raise SystemExit("gen-org: --repos must be at least 1")
    t = time.time()
    plan = plan_org(a)
    t_plan = time.time() - t
    out = os.path.abspath(a.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "upstream"))
    os.makedirs(os.path.join(out, "forks"))
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        # Largest first, so that the last worker does not finish alone on a big one.
        order = sorted(plan["ups"], key=lambda up: -(up["commits"] + 20 * len(up["forks"])))
        list(ex.map(lambda up: build_upstream(out, up, a.hardlinks), order))
    paths = []
    for up in plan["ups"]:
        paths.append(up_path(out, up))
        paths.extend(fork_path(out, up, f) for f in up["forks"])
    paths.sort()
    with open(os.path.join(out, "repos.txt"), "w") as fh:
        fh.write("".join(p + "\n" for p in paths))
    kinds = {"upstream working copies": sum(not u["bare"] for u in plan["ups"]),
             "bare upstreams": sum(u["bare"] for u in plan["ups"])}
    for k, label in (("bare", "bare forks"), ("mirror", "forks cloned with --mirror"),
                     ("work", "working-copy forks")):
        kinds[label] = sum(f["kind"] == k for f in plan["forks"])
    kinds["forks with commits of their own"] = sum(f["stream"] is not None for f in plan["forks"])
    du = subprocess.run(["du", "-sk", out], stdout=subprocess.PIPE, check=True).stdout.split()[0]
    summary = {
        "generator": GENERATOR_VERSION, "seed": a.seed, "repos": len(paths),
        "hardlinks": a.hardlinks, "kinds": kinds,
        "distinct_commits": plan["distinct_commits"], "commits_summed_over_repos": plan["commit_sum"],
        "distinct_blobs": plan["distinct_blobs"], "blobs_summed_over_repos": plan["blob_sum"],
        "distinct_blob_bytes": plan["blob_bytes"], "disk_kib": int(du),
        "secrets": [{k: v for k, v in p.items() if k != "lines"} for p in plan["planted"]],
        "seconds": round(time.time() - t, 1),
    }
    with open(os.path.join(out, "org.json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    print(f"gen-org: {len(paths)} repositories in {out} "
          f"({summary['seconds']} s, of which planning {t_plan:.1f} s)")
    for k, v in kinds.items():
        print(f"  {k}: {v}")
    print(f"  commits: {plan['distinct_commits']:,} distinct, {plan['commit_sum']:,} summed over repositories")
    print(f"  blobs: {plan['distinct_blobs']:,} distinct ({plan['blob_bytes'] / 2**20:.1f} MiB), "
          f"{plan['blob_sum']:,} summed over repositories")
    print(f"  synthetic secrets planted: {len(plan['planted'])} "
          f"({sum(1 for p in plan['planted'] if p['where'].startswith('forks/'))} in forks' own commits)")
    print(f"  disk: {int(du) / 1024:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
