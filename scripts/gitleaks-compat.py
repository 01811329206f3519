#!/usr/bin/env python3
"""Runs gitleaks and keysentry with fixtures/gitleaks-compat/gitleaks.toml over
fixtures/gitleaks-compat/tree and compares their findings (file, line, rule, secret).

    gitleaks-compat.py GITLEAKS_BIN KEYSENTRY_BIN

Called by `scripts/bench --gitleaks-compat` (which installs gitleaks); prints a Markdown
report and exits 1 if the findings differ. Python 3 standard library only.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "gitleaks-compat")


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode not in (0, 1):
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    return p


def main():
    gitleaks, keysentry = (os.path.abspath(a) for a in sys.argv[1:3])
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
    sys.exit(0 if g == k else 1)


if __name__ == "__main__":
    main()
