#!/usr/bin/env python3
"""Compares gitleaks and keysentry findings with gitleaks configuration.

    gitleaks-compat.py GITLEAKS_BIN KEYSENTRY_BIN [GITLEAKS_REPO]

1. fixtures/gitleaks-compat/gitleaks.toml over fixtures/gitleaks-compat/tree: the findings
   (file, line, rule, secret) must be equal.
2. With GITLEAKS_REPO (a git directory of the gitleaks repository): gitleaks' own default
   configuration (config/gitleaks.toml at the tag of the gitleaks binary's version, else HEAD)
   over a corpus made of that repository's tree at the tag plus generated cases (synthetic
   tokens of common rules, written at run time into a temporary directory); prints the
   Jaccard similarity of the (file, line) sets, the target being >= 0.95, and the findings
   only one tool reports.

Called by `scripts/bench --gitleaks-compat` (which installs gitleaks); prints a Markdown
report and exits 1 if the fixture findings differ or the similarity is below the target.
Python 3 standard library only.
"""

import json
import os
import random
import string
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "gitleaks-compat")


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode not in (0, 1):
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    return p


TARGET = 0.95


def generated_cases(root, seed=20261201):
    """Synthetic tokens of common gitleaks rules, one per line, in a few file kinds."""
    rnd = random.Random(seed)
    alnum = string.ascii_letters + string.digits
    pick = lambda chars, n: "".join(rnd.choice(chars) for _ in range(n))  # noqa: E731
    up = string.ascii_uppercase + "234567"
    cases = [
        ("aws.env", [f"AWS_ACCESS_KEY_ID={'AKIA' + pick(up, 16)}",
                     f"AWS_SECRET_ACCESS_KEY={pick(alnum + '/+', 40)}"]),
        ("github.py", [f"TOKEN = \"{'gh' + 'p_' + pick(alnum, 36)}\"",
                       f"OTHER = '{'github_' + 'pat_' + pick(alnum, 22) + '_' + pick(alnum, 59)}'"]),
        ("slack.js", [f"const hook = \"https://hooks.slack.com/services/T{pick(up, 8)}/B{pick(up, 8)}/{pick(alnum, 24)}\";",
                      f"const bot = '{'xo' + 'xb-' + pick(string.digits, 12) + '-' + pick(string.digits, 12) + '-' + pick(alnum, 24)}';"]),
        ("generic.yaml", [f"api_key: {pick(alnum, 32)}", f"client_secret = \"{pick(alnum, 40)}\"",
                          f"password: {pick(alnum, 20)}", "api_key: changeme", "token = ${TOKEN}"]),
        ("stripe.rb", [f"Stripe.api_key = '{'sk_' + 'live_' + pick(alnum, 24)}'"]),
        ("gitlab.sh", [f"export GITLAB_TOKEN={'glp' + 'at-' + pick(alnum, 20)}"]),
        ("npm.rc", [f"//registry.npmjs.org/:_authToken={'np' + 'm_' + pick(alnum, 36)}"]),
        ("curl.sh", [f"curl -u admin:{pick(alnum, 16)} https://example.test/api",
                     "curl --user {{user}}:{{pass}} https://example.test/"]),
        ("jwt.txt", ["Authorization: Bearer eyJ" + pick(alnum, 30) + ".eyJ" + pick(alnum, 60) + "." + pick(alnum + "-_", 43)]),
    ]
    for name, lines in cases:
        with open(os.path.join(root, name), "w") as f:
            for i, line in enumerate(lines):
                f.write(f"# case {i}\n{line}\n")


def secret_line(f):
    """The line of a gitleaks finding's secret: gitleaks reports the line where the whole match
    starts (a curl command may start lines before its token), keysentry the secret's line."""
    if not f["Secret"] and f["StartLine"] == 0:
        return 1  # a path-only rule (pkcs12-file): gitleaks says line 0, keysentry line 1
    at = f["Match"].find(f["Secret"]) if f["Secret"] else -1
    return f["StartLine"] + (f["Match"][:at].count("\n") if at > 0 else 0)


def default_config_compat(gitleaks, keysentry, repo, version):
    tag = "v" + version.lstrip("v")
    have_tag = subprocess.run(["git", "-C", repo, "rev-parse", "-q", "--verify", tag + "^{commit}"],
                              stdout=subprocess.PIPE).returncode == 0
    rev = tag if have_tag else "HEAD"
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "gitleaks-default.toml")
        with open(config, "wb") as f:
            f.write(subprocess.run(["git", "-C", repo, "show", f"{rev}:config/gitleaks.toml"],
                                   stdout=subprocess.PIPE, check=True).stdout)
        corpus = os.path.join(tmp, "corpus")
        os.makedirs(os.path.join(corpus, "generated"))
        archive = os.path.join(tmp, "tree.tar")
        subprocess.run(["git", "-C", repo, "archive", "--prefix=gitleaks/", "-o", archive, rev],
                       check=True)
        with tarfile.open(archive) as t:
            t.extractall(corpus, filter="data")
        generated_cases(os.path.join(corpus, "generated"))
        report = os.path.join(tmp, "gitleaks.json")
        run([gitleaks, "dir", ".", "--config", config, "--no-banner", "--no-color",
             "--exit-code", "0", "--report-format", "json", "--report-path", report], corpus)
        g = {(f["File"].removeprefix("./"), secret_line(f)) for f in json.load(open(report))}
        out = run([keysentry, "scan", ".", "--config", config, "--format", "json", "--quiet",
                   "--no-ignore"], corpus)
        k = {(f["origin"]["path"].removeprefix("./"), f["location"]["line"])
             for f in json.loads(out.stdout)["findings"]}
        warnings = [l for l in out.stderr.decode(errors="replace").splitlines() if "warning" in l]
    union = g | k
    jaccard = len(g & k) / len(union) if union else 1.0
    print(f"\n## gitleaks' default configuration ({rev}:config/gitleaks.toml)\n")
    print(f"Corpus: the gitleaks repository's tree at {rev} plus generated cases. "
          f"gitleaks {len(g)} and keysentry {len(k)} findings (file, line), {len(g & k)} in "
          f"common: **Jaccard {jaccard:.3f}** (target >= {TARGET}).\n")
    if warnings:
        print("keysentry warnings:\n")
        for w in warnings:
            print(f"- {w}")
        print()
    only = sorted((f, "gitleaks") for f in g - k) + sorted((f, "keysentry") for f in k - g)
    if only:
        print("| file | line | only in |")
        print("| --- | ---: | --- |")
        for (file, line), who in only[:200]:
            print(f"| {file} | {line} | {who} |")
        if len(only) > 200:
            print(f"\n({len(only) - 200} more)")
    return jaccard >= TARGET


def main():
    gitleaks, keysentry = (os.path.abspath(a) for a in sys.argv[1:3])
    repo = sys.argv[3] if len(sys.argv) > 3 else None
    tree = os.path.join(FIXTURE, "tree")
    config = os.path.join(FIXTURE, "gitleaks.toml")
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "gitleaks.json")
        run([gitleaks, "dir", ".", "--config", config, "--no-banner", "--no-color",
             "--exit-code", "0", "--report-format", "json", "--report-path", report], tree)
        g = {(f["File"], f["StartLine"], f["RuleID"], f["Secret"]) for f in json.load(open(report))}
    out = run([keysentry, "scan", ".", "--config", config, "--show-secrets", "--format", "json",
               "--quiet"], tree).stdout
    k = {(f["origin"]["path"], f["location"]["line"], f["rule_id"], f["secret"])
         for f in json.loads(out)["findings"]}
    version = subprocess.run([gitleaks, "version"], stdout=subprocess.PIPE).stdout.decode().strip()
    print(f"gitleaks {version} and keysentry over fixtures/gitleaks-compat/tree with its "
          f"gitleaks.toml: {len(g)} and {len(k)} findings, {len(g & k)} in common.\n")
    print("| file | line | rule | gitleaks | keysentry |")
    print("| --- | ---: | --- | :---: | :---: |")
    for f in sorted(g | k):
        print(f"| {f[0]} | {f[1]} | {f[2]} | {'yes' if f in g else 'no'} | {'yes' if f in k else 'no'} |")
    ok = g == k
    if repo:
        ok = default_config_compat(gitleaks, keysentry, repo, version) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
