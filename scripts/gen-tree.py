#!/usr/bin/env python3
"""Generate a deterministic source-like tree with planted synthetic secrets.

Usage:
    scripts/gen-tree.py --out DIR [--size-mib 512] [--seed 20240601]

Writes DIR/tree/ (the files to scan) and DIR/manifest.json (outside the
tree, so scanners never see it).  The manifest holds the generator
parameters, the counts per kind, and one record per planted secret: kind,
file (relative to DIR/tree), first and last line (1-based), and the values
by which a scanner's report can be matched.

Everything is drawn from random.Random(seed): the same arguments give a
byte-identical tree (the manifest carries a SHA-256 over all paths and
contents to check that).  Every planted value is random at generation time;
none is or was a real credential.  Python 3 standard library only.
"""

import argparse
import base64
import hashlib
import json
import os
import random
import shutil
import string
import sys
import zlib

GENERATOR_VERSION = 5

WORDS = """
account action adapter agent alert alias allocator analytics app archive
asset audit backend backup balance batch billing blob bridge broker
bucket buffer build bundle cache calendar catalog channel chart checkout
client cluster codec collector config connector console consumer context
core cron cursor dashboard data debug decoder deploy device digest dispatch
docs domain driver editor email encoder engine entity event export feature
feed filter flow form gateway graph handler header health helper history
hook host index infra ingest input invoice job kernel ledger lib limiter
loader locale logger mailer manager mapper market media merge message meta
metrics middleware migration mock model module monitor network node notify
order output package page parser partner payment peer pipeline plugin policy
pool portal preview printer profile project provider proxy publisher queue
quota reader record registry relay render report repo request resolver
resource response router runtime scheduler schema search segment
sender service session settings shard shell signal sink snapshot socket
source spec stage storage store stream studio support sync table task
template tenant theme ticket timer tracker transform transport
tree upload user util validator vault vendor view worker workflow writer
""".split()

ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase
B32 = string.ascii_uppercase + "234567"
B64 = string.ascii_letters + string.digits + "+/"
HEX = "0123456789abcdef"
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

CODE_EXTS = {
    "py": "py", "js": "js", "ts": "js", "go": "go", "rs": "rs", "java": "java",
}
KINDS = ["aws", "github_pat", "slack_bot", "stripe_live", "private_key", "password"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    # ---- primitive random values ----------------------------------------
    def s(self, alphabet, n):
        return "".join(self.r.choices(alphabet, k=n))

    def word(self):
        return self.r.choice(WORDS)

    def ident(self):
        n = self.r.choice((1, 1, 2, 2, 3))
        return "_".join(self.word() for _ in range(n))

    def camel(self):
        n = self.r.choice((1, 2, 2, 3))
        return "".join(self.word().replace("_", " ").title().replace(" ", "") for _ in range(n))

    def text(self, lo=4, hi=14):
        return " ".join(self.word().replace("_", " ") for _ in range(self.r.randint(lo, hi)))

    def num(self):
        return str(self.r.choice((0, 1, 2, 8, 10, 16, 64, 100, 256, 1024, 3600, self.r.randint(0, 99999))))

    def hexs(self, n):
        return self.s(HEX, n)

    def uuid(self):
        h = self.hexs(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def b64blob(self, nbytes):
        return base64.b64encode(self.r.randbytes(nbytes)).decode()

    # ---- synthetic secrets (random; never real) -------------------------
    def aws(self):
        return "AKIA" + self.s(B32, 16), self.s(B64, 40)

    def github_pat(self):
        body = self.s(ALNUM, 30)
        crc = zlib.crc32(body.encode())
        enc = ""
        while crc:
            crc, d = divmod(crc, 62)
            enc = B62[d] + enc
        return "ghp_" + body + enc.rjust(6, "0")

    def slack_bot(self):
        a = self.s(string.digits, self.r.randint(10, 13))
        b = self.s(string.digits, self.r.randint(10, 13))
        return f"xoxb-{a}-{b}-{self.s(ALNUM, 24)}"

    def stripe_live(self):
        return "sk_live_" + self.s(ALNUM, self.r.randint(24, 34))

    def password(self):
        return self.s(ALNUM + "!#%*+-_.", 20)

    def pem(self):
        label = self.r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
        prefix = {"RSA PRIVATE KEY": "MIIEowIBAAKCAQEA", "PRIVATE KEY": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
                  "EC PRIVATE KEY": "MHcCAQEEI", "OPENSSH PRIVATE KEY": "b3BlbnNzaC1rZXktdjEAAAAA"}[label]
        nlines = {"EC PRIVATE KEY": 3, "OPENSSH PRIVATE KEY": 7}.get(label, 25)
        body = prefix + self.s(B64, 64 * nlines - len(prefix) - self.r.randint(4, 40))
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return label, lines


# ---- line pools per syntax ---------------------------------------------
def pool_lines(g, syntax, n):
    r = g.r
    out = []
    for _ in range(n):
        k = r.random()
        if syntax == "py":
            ind = "    " * r.choice((0, 1, 1, 2, 2, 3))
            t = r.randrange(14)
            line = [
                lambda: f"def {g.ident()}({g.ident()}, {g.ident()}={g.num()}):",
                lambda: f"{ind}{g.ident()} = {g.ident()}({g.ident()}, {g.num()})",
                lambda: f"{ind}return {g.ident()}.{g.ident()}",
                lambda: f"{ind}if {g.ident()} is None:",
                lambda: f"import {g.word()}",
                lambda: f"from {g.word()}.{g.word()} import {g.camel()}",
                lambda: f"class {g.camel()}({g.camel()}):",
                lambda: f"{ind}# {g.text()}",
                lambda: f'{ind}logger.info("{g.text(3, 8)} %s", {g.ident()})',
                lambda: f'{ind}{g.ident()} = os.environ.get("{g.ident().upper()}")',
                lambda: f'{ind}password = kwargs.get("password")' if k < 0.5 else f'{ind}token = self.{g.ident()}.get_token()',
                lambda: f'{ind}checksum = "{g.hexs(64)}"',
                lambda: f"{ind}for {g.ident()} in {g.ident()}.items():",
                lambda: "",
            ][t]()
        elif syntax == "js":
            ind = "  " * r.choice((0, 1, 1, 2, 2, 3))
            t = r.randrange(13)
            line = [
                lambda: f"export function {g.camel()}({g.ident()}, {g.ident()}) {{",
                lambda: f"{ind}const {g.camel()} = await {g.ident()}.{g.camel()}({g.num()});",
                lambda: f"{ind}return {g.ident()}?.{g.ident()} ?? null;",
                lambda: f"{ind}}}",
                lambda: f"import {{ {g.camel()} }} from './{g.word()}/{g.word()}';",
                lambda: f"{ind}// {g.text()}",
                lambda: f"{ind}if ({g.ident()}.length > {g.num()}) {{",
                lambda: f'{ind}console.debug("{g.text(3, 8)}", {g.ident()});',
                lambda: f"{ind}const apiKey = process.env.{g.ident().upper()};" if k < 0.5 else f"{ind}let secret = config.get('secret');",
                lambda: f'{ind}"integrity": "sha512-{g.b64blob(64)}",',
                lambda: f"{ind}const id = '{g.uuid()}';",
                lambda: f"{ind}{g.ident()}.push({{ {g.ident()}: {g.num()}, {g.ident()}: '{g.word()}' }});",
                lambda: "",
            ][t]()
        elif syntax == "go":
            ind = "\t" * r.choice((0, 1, 1, 2, 3))
            t = r.randrange(11)
            line = [
                lambda: f"func ({g.word()[0]} *{g.camel()}) {g.camel()}(ctx context.Context, {g.ident()} int) error {{",
                lambda: f"{ind}{g.camel()}, err := {g.word()}.{g.camel()}(ctx, {g.num()})",
                lambda: f"{ind}if err != nil {{",
                lambda: f'{ind}return fmt.Errorf("{g.text(3, 7)}: %w", err)',
                lambda: f"{ind}}}",
                lambda: f"{ind}// {g.text()}",
                lambda: f'\t"{g.word()}/{g.word()}"',
                lambda: f"{ind}{g.ident()} := make(map[string]{g.camel()}, {g.num()})",
                lambda: f'{ind}token := os.Getenv("{g.ident().upper()}")',
                lambda: f'{ind}const digest = "{g.hexs(40)}"',
                lambda: "",
            ][t]()
        elif syntax == "rs":
            ind = "    " * r.choice((0, 1, 1, 2, 3))
            t = r.randrange(11)
            line = [
                lambda: f"pub fn {g.ident()}(&self, {g.ident()}: &str) -> Result<{g.camel()}> {{",
                lambda: f"{ind}let {g.ident()} = self.{g.ident()}.get({g.num()})?;",
                lambda: f"{ind}match {g.ident()} {{",
                lambda: f"{ind}{g.camel()}::{g.camel()} => {g.ident()}({g.num()}),",
                lambda: f"{ind}}}",
                lambda: f"{ind}// {g.text()}",
                lambda: f"use crate::{g.word()}::{g.camel()};",
                lambda: f"#[derive(Debug, Clone)]",
                lambda: f'{ind}let secret = std::env::var("{g.ident().upper()}")?;',
                lambda: f'{ind}assert_eq!({g.ident()}.len(), {g.num()});',
                lambda: "",
            ][t]()
        elif syntax == "java":
            ind = "    " * r.choice((0, 1, 1, 2, 3))
            t = r.randrange(10)
            line = [
                lambda: f"{ind}public {g.camel()} {g.camel()}({g.camel()} {g.ident()}) throws IOException {{",
                lambda: f"{ind}final {g.camel()} {g.camel()} = {g.ident()}.{g.camel()}({g.num()});",
                lambda: f"{ind}return {g.ident()};",
                lambda: f"{ind}}}",
                lambda: f"import com.{g.word()}.{g.word()}.{g.camel()};",
                lambda: f"{ind}// {g.text()}",
                lambda: f"{ind}@Override",
                lambda: f'{ind}String password = System.getenv("{g.ident().upper()}");',
                lambda: f'{ind}LOG.warn("{g.text(3, 8)}", {g.ident()});',
                lambda: "",
            ][t]()
        elif syntax == "yaml":
            ind = "  " * r.choice((0, 1, 1, 2, 3))
            t = r.randrange(9)
            line = [
                lambda: f"{g.ident()}:",
                lambda: f"{ind}{g.ident()}: {g.word()}",
                lambda: f"{ind}{g.ident()}: {g.num()}",
                lambda: f"{ind}- {g.word()}-{g.word()}",
                lambda: f"{ind}# {g.text()}",
                lambda: f'{ind}image: "registry.local/{g.word()}:{g.r.randint(1, 9)}.{g.r.randint(0, 30)}"',
                lambda: f"{ind}password: ${{{g.ident().upper()}}}" if k < 0.5 else f"{ind}sha256: {g.hexs(64)}",
                lambda: f"{ind}enabled: {r.choice(('true', 'false'))}",
                lambda: f"{ind}id: {g.uuid()}",
            ][t]()
        elif syntax == "ini":
            t = r.randrange(7)
            line = [
                lambda: f"[{g.ident()}]",
                lambda: f"{g.ident()} = {g.word()}",
                lambda: f"{g.ident()} = {g.num()}",
                lambda: f"# {g.text()}",
                lambda: f'{g.ident()} = "{g.word()}.{g.word()}.internal"',
                lambda: "password = <set-me>" if k < 0.97 else f"cache_key = {g.hexs(32)}",
                lambda: "",
            ][t]()
        elif syntax == "env":
            t = r.randrange(5)
            line = [
                lambda: f"{g.ident().upper()}={g.word()}",
                lambda: f"{g.ident().upper()}={g.num()}",
                lambda: f"# {g.text()}",
                lambda: f"{g.ident().upper()}_URL=http://{g.word()}.localhost:{r.randint(1024, 9999)}/{g.word()}",
                lambda: f"{g.ident().upper()}_ID={g.uuid()}",
            ][t]()
        elif syntax == "json":
            line = (f'  {{"id": "{g.uuid()}", "{g.ident()}": "{g.text(1, 4)}", "{g.ident()}": {g.num()}, '
                    f'"{g.ident()}": {r.choice(("true", "false", "null"))}, "sha1": "{g.hexs(40)}"}}')
        elif syntax == "md":
            t = r.randrange(8)
            line = [
                lambda: f"## {g.text(2, 5).title()}",
                lambda: g.text(8, 24) + ".",
                lambda: f"- {g.text(3, 10)}",
                lambda: f"1. Run `{g.word()} {g.word()} --{g.word()}` to {g.text(2, 6)}.",
                lambda: "",
                lambda: g.text(10, 20) + ", see [" + g.word() + "](docs/" + g.word() + ".md).",
                lambda: f"Set `password` to a strong value before {g.text(2, 5)}.",
                lambda: f"| {g.word()} | {g.num()} | {g.text(1, 3)} |",
            ][t]()
        elif syntax == "log":
            line = (f"2024-0{r.randint(1, 9)}-{r.randint(10, 28)}T{r.randint(10, 23)}:{r.randint(10, 59)}:"
                    f"{r.randint(10, 59)}Z {r.choice(('INFO', 'INFO', 'DEBUG', 'WARN'))} [{g.word()}] "
                    f"{g.text(3, 10)} request_id={g.uuid()} dur_ms={r.randint(1, 900)}")
        elif syntax == "pem":
            line = ""
        out.append(line)
    return out


# ---- how a secret is written in each syntax ----------------------------
def assign(syntax, key, value):
    if syntax == "py":
        return f'{key} = "{value}"'
    if syntax == "js":
        return f"const {key} = '{value}';"
    if syntax == "go":
        return f'\t{key} := "{value}"'
    if syntax == "rs":
        return f'    let {key} = "{value}";'
    if syntax == "java":
        return f'    private static final String {key.upper()} = "{value}";'
    if syntax == "yaml":
        return f"  {key}: {value}"
    if syntax in ("ini", "md", "log"):
        return f"{key} = {value}"
    if syntax == "env":
        return f"{key.upper()}={value}"
    if syntax == "json":
        return f'  {{"{key}": "{value}"}}'
    raise ValueError(syntax)


def plant(g, kind, syntax):
    """Return (lines, needles) for one planted secret of `kind` in `syntax`."""
    if kind == "aws":
        kid, sec = g.aws()
        if syntax == "json":  # one record per line in JSON files
            lines = [f'  {{"aws_access_key_id": "{kid}", "aws_secret_access_key": "{sec}"}}']
        elif syntax in ("py", "ini", "md", "log"):
            lines = [f"aws_access_key_id = {kid}", f"aws_secret_access_key = {sec}"]
        else:
            lines = [assign(syntax, "aws_access_key_id", kid), assign(syntax, "aws_secret_access_key", sec)]
        return lines, [kid, sec]
    if kind == "github_pat":
        v = g.github_pat()
        return [assign(syntax, g.r.choice(["github_token", "gh_token", "GITHUB_PAT"]), v)], [v]
    if kind == "slack_bot":
        v = g.slack_bot()
        return [assign(syntax, g.r.choice(["slack_bot_token", "slack_token"]), v)], [v]
    if kind == "stripe_live":
        v = g.stripe_live()
        return [assign(syntax, g.r.choice(["stripe_key", "stripe_secret_key"]), v)], [v]
    if kind == "password":
        v = g.password()
        if syntax in ("md", "log", "ini"):
            return [f'password = "{v}"'], [v]
        if syntax == "yaml":
            return [f'  password: "{v}"'], [v]
        if syntax == "env":
            return [f"DB_PASSWORD={v}"], [v]
        return [assign(syntax, "password", v)], [v]
    if kind == "private_key":
        label, body = g.pem()
        begin, end = f"-----BEGIN {label}-----", f"-----END {label}-----"
        if syntax == "json":
            esc = "\\n".join([begin] + body + [end]) + "\\n"
            lines = [f'  {{"private_key": "{esc}"}}']
        elif syntax == "yaml":
            lines = ["  private_key: |"] + ["    " + x for x in [begin] + body + [end]]
        elif syntax == "md":
            lines = ["```"] + [begin] + body + [end] + ["```"]
        elif syntax == "py":
            lines = [f'PRIVATE_KEY = """{begin}'] + body + [f'{end}"""']
        elif syntax == "pem":
            lines = [begin] + body + [end]
        else:
            raise ValueError(syntax)
        return lines, [body[0]]
    raise ValueError(kind)


ELIGIBLE = {
    "aws": ["py", "js", "go", "rs", "java", "yaml", "ini", "env", "json", "md", "log"],
    "github_pat": ["py", "js", "go", "rs", "java", "yaml", "ini", "env", "json", "md"],
    "slack_bot": ["py", "js", "go", "java", "yaml", "ini", "env", "json", "md", "log"],
    "stripe_live": ["py", "js", "go", "rs", "java", "yaml", "env", "json", "md"],
    "private_key": ["py", "yaml", "json", "md", "pem"],
    "password": ["py", "js", "go", "rs", "java", "yaml", "ini", "env", "md"],
}

# (syntax, extension list, share of files, size class weights small/medium/large)
FILE_TYPES = [
    ("py", ["py"], 16, (70, 27, 3)),
    ("js", ["js", "ts", "jsx", "mjs"], 14, (60, 30, 10)),
    ("go", ["go"], 8, (70, 27, 3)),
    ("rs", ["rs"], 7, (70, 27, 3)),
    ("java", ["java", "kt"], 7, (70, 27, 3)),
    ("yaml", ["yaml", "yml"], 9, (85, 15, 0)),
    ("ini", ["toml", "ini", "cfg", "conf"], 5, (95, 5, 0)),
    ("env", [".env"], 3, (100, 0, 0)),
    ("json", ["json"], 12, (50, 35, 15)),
    ("md", ["md", "rst", "txt"], 11, (75, 22, 3)),
    ("log", ["log", "csv"], 6, (30, 45, 25)),
    ("pem", ["pem", "key"], 2, (100, 0, 0)),
]
SIZE_CLASSES = [(1 << 10, 64 << 10), (64 << 10, 512 << 10), (512 << 10, 2 << 20)]


def make_plan(g, target):
    """Decide paths, syntaxes and sizes until the target byte count is met."""
    r = g.r
    dirs = []
    for top in range(24):
        base = f"{g.word()}-{top:02d}"
        dirs.append(base)
        for _ in range(r.randint(3, 12)):
            depth = r.randint(1, 5)
            dirs.append("/".join([base] + [g.word() for _ in range(depth)]))
    dirs = sorted(set(dirs))
    weights = [ft[2] for ft in FILE_TYPES]
    plan, total, seen = [], 0, set()
    while total < target:
        syntax, exts, _, sizew = r.choices(FILE_TYPES, weights=weights)[0]
        d = r.choice(dirs)
        if syntax == "env":
            name = r.choice([".env", ".env.local", ".env.production", ".env.staging", ".env.test"])
        elif syntax == "pem":
            name = f"{g.word()}_{r.randrange(1000)}.{r.choice(exts)}"
        else:
            name = f"{g.ident()}_{r.randrange(10000)}.{r.choice(exts)}"
        path = f"{d}/{name}"
        if path in seen:
            continue
        seen.add(path)
        if syntax == "pem":
            size = 0
        else:
            lo, hi = SIZE_CLASSES[r.choices(range(3), weights=sizew)[0]]
            if syntax == "env":
                lo, hi = 200, 6 << 10
            size = int(lo * (hi / lo) ** r.random())  # log-uniform within the class
        plan.append({"path": path, "syntax": syntax, "size": size, "secrets": []})
        total += max(size, 1800)
    return plan


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--size-mib", type=int, default=512)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--secret-every-kib", type=int, default=256,
                    help="plant about one secret per this many KiB of content")
    a = ap.parse_args()

    g = Gen(a.seed)
    target = a.size_mib << 20
    plan = make_plan(g, target)

    pools = {ft[0]: pool_lines(g, ft[0], 20000) for ft in FILE_TYPES if ft[0] != "pem"}
    # One shared line-length estimate per syntax, to know how many lines fill a size.
    avg = {syn: sum(len(x) + 1 for x in p) / len(p) for syn, p in pools.items()}

    # Assign secrets: every .pem/.key file holds one private key; then spread
    # the rest over eligible files (weighted by size), kinds in fixed rotation.
    n_secrets = max(len(KINDS) * 10, target // (a.secret_every_kib << 10))
    for f in plan:
        if f["syntax"] == "pem":
            f["secrets"].append("private_key")
    by_syntax = {}
    for i, f in enumerate(plan):
        by_syntax.setdefault(f["syntax"], []).append(i)
    for i in range(n_secrets):
        kind = KINDS[i % len(KINDS)]
        syns = [s for s in ELIGIBLE[kind] if s != "pem" and s in by_syntax]
        cand = [j for s in syns for j in by_syntax[s]]
        w = [plan[j]["size"] + 4096 for j in cand]
        plan[g.r.choices(cand, weights=w)[0]]["secrets"].append(kind)

    out = os.path.abspath(a.out)
    tree = os.path.join(out, "tree")
    if os.path.exists(tree):
        shutil.rmtree(tree)
    os.makedirs(tree)

    records, counts, digest = [], {k: 0 for k in KINDS}, hashlib.sha256()
    total_bytes = 0
    for f in plan:
        syn = f["syntax"]
        if syn == "pem":
            lines = []
        else:
            nlines = max(3, int(f["size"] / avg[syn]))
            lines = g.r.choices(pools[syn], k=nlines)
        # Insert planted blocks at random positions, back to front so that
        # earlier positions stay valid; then compute line numbers.
        blocks = []
        for kind in f["secrets"]:
            blines, needles = plant(g, kind, syn)
            pos = g.r.randint(0, len(lines))
            blocks.append((pos, kind, blines, needles))
        blocks.sort(key=lambda b: b[0])
        first_rec = len(records)
        final, prev = [], 0
        for pos, kind, blines, needles in blocks:
            final.extend(lines[prev:pos])
            prev = pos
            start = len(final) + 1
            final.extend(blines)
            records.append({"kind": kind, "file": f["path"], "line": start,
                            "end_line": start + len(blines) - 1, "values": needles})
            counts[kind] += 1
        final.extend(lines[prev:])
        if syn == "json":
            # Wrap records into a valid JSON array.
            final = ["["] + [x + "," for x in final[:-1]] + final[-1:] + ["]"]
            for rec in records[first_rec:]:
                rec["line"] += 1
                rec["end_line"] += 1
        data = ("\n".join(final) + "\n").encode()
        p = os.path.join(tree, f["path"])
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as fh:
            fh.write(data)
        digest.update(f["path"].encode() + b"\0" + data)
        total_bytes += len(data)

    manifest = {
        "generator": "scripts/gen-tree.py",
        "generator_version": GENERATOR_VERSION,
        "seed": a.seed,
        "size_mib_requested": a.size_mib,
        "bytes": total_bytes,
        "files": len(plan),
        "tree_sha256": digest.hexdigest(),
        "counts": counts,
        "total_secrets": sum(counts.values()),
        "note": "all values are random synthetic strings made at generation time; none is a real credential",
        "secrets": records,
    }
    with open(os.path.join(out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    print(f"gen-tree: {len(plan)} files, {total_bytes / 2**20:.1f} MiB, "
          f"{manifest['total_secrets']} secrets {counts} -> {tree}", file=sys.stderr)


if __name__ == "__main__":
    main()
