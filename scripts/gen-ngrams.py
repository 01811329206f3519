#!/usr/bin/env python3
"""Builds src/detect/common-4grams.txt: the most common 4-byte sequences of lowercased source
code, which the detector's prefilter avoids when it picks the literal it searches for a keyword.

    scripts/gen-ngrams.py OUT DIR [DIR ...]

Reads text files (no NUL byte in the first 8 KiB) under each DIR, in sorted order, up to
BUDGET bytes per DIR so that no one language dominates, lowercases them, counts every 4-byte
window without a line break or tab, and writes the TOP most common printable-ASCII ones as
fixed-width lines "<4 bytes> <count per million windows, 6 digits>", sorted by the 4 bytes.
Deterministic for a given input.

The table in the repository was made from this machine's Rust crate sources (the cargo
registry cache), the Python standard library, and the JavaScript of npm itself:

    scripts/gen-ngrams.py src/detect/common-4grams.txt \\
        ~/.cargo/registry/src "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')" \\
        /usr/lib/node_modules/npm
"""
import collections
import os
import sys

BUDGET = 24 << 20
TOP = 20000
EXTENSIONS = {".rs", ".py", ".js", ".mjs", ".cjs", ".ts", ".toml", ".json", ".md", ".yml",
              ".yaml", ".c", ".h", ".go", ".java", ".rb", ".sh", ".cfg", ".ini", ".txt"}


def files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if os.path.splitext(name)[1] in EXTENSIONS:
                yield os.path.join(dirpath, name)


def main():
    out, roots = sys.argv[1], sys.argv[2:]
    counts = collections.Counter()
    total = 0
    for root in roots:
        used = 0
        for path in files(os.path.expanduser(root)):
            try:
                with open(path, "rb") as f:
                    data = f.read(1 << 20)
            except OSError:
                continue
            if b"\0" in data[:8192]:
                continue
            data = data.lower()
            for line in data.split(b"\n"):
                line = line.replace(b"\t", b" ").rstrip(b"\r")
                counts.update(line[i:i + 4] for i in range(len(line) - 3))
                total += max(len(line) - 3, 0)
            used += len(data)
            if used >= BUDGET:
                break
        print(f"{root}: {used} bytes", file=sys.stderr)
    top = []
    for gram, n in counts.most_common():
        # Printable ASCII only: keywords are ASCII, and the table stays plain text.
        if any(b < 0x20 or b > 0x7E for b in gram):
            continue
        top.append((gram, min(n * 1_000_000 // total, 999_999)))
        if len(top) == TOP:
            break
    # Fixed-width lines sorted by 4-gram, so that the detector binary-searches the text as it
    # is embedded, with no parsing at start-up.
    with open(out, "wb") as f:
        for gram, n in sorted(top):
            f.write(b"%s %06d\n" % (gram, n))


if __name__ == "__main__":
    main()
