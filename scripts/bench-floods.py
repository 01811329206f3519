#!/usr/bin/env python3
# Keyword floods against plain text (issue 14, point 1): every built-in rule's keywords
# repeated (`kw=` on one line, `kw=\n` one per line), each flood of 16 MiB scanned and ranked
# by CPU time, then the TOP slowest at SIZE MiB timed three times each, alternating with plain
# text of the same size, and their ratio printed. Data is written under .bench/floods.
#   scripts/bench-floods.py BINARY [SIZE_MIB=256] [TOP=8]
import json, subprocess, sys, time, os, resource
binary = sys.argv[1]
size = int(sys.argv[2] if len(sys.argv) > 2 else 256) << 20
top = int(sys.argv[3] if len(sys.argv) > 3 else 8)
os.makedirs('.bench/floods', exist_ok=True)
rules = json.loads(subprocess.check_output([binary, 'rules', 'list', '-f', 'json']))
def timed(path):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN); t = time.perf_counter()
    r = subprocess.run([binary, 'scan', '--max-file-size', '2G', '--no-ignore', '-q', '--format', 'jsonl', path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    w = time.perf_counter() - t; r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return w, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), r.returncode
def flood(r, sep, n):
    unit = b''.join(k.encode() + sep for k in r['keywords'])
    return (unit * (n // len(unit) + 1))[:n]
rank = []
for r in rules:
    for form, sep in (('line', b'='), ('lines', b'=\n')):
        open('.bench/floods/flood', 'wb').write(flood(r, sep, 16 << 20))
        rank.append((timed('.bench/floods/flood')[1], r, form, sep))
rank.sort(key=lambda x: -x[0])
plain = (b'the quick brown fox jumps over the lazy dog 0123456789\n' * (size // 50 + 1))[:size]
open('.bench/floods/plain', 'wb').write(plain)
print(f'{len(rank)} floods of 16 MiB ranked; the {top} slowest at {size>>20} MiB, alternating with plain text:')
for cpu16, r, form, sep in rank[:top]:
    open('.bench/floods/flood', 'wb').write(flood(r, sep, size))
    p = []; f = []
    for _ in range(3):
        p.append(timed('.bench/floods/plain')); f.append(timed('.bench/floods/flood'))
    pw, pc = min(x[0] for x in p), min(x[1] for x in p)
    fw, fc = min(x[0] for x in f), min(x[1] for x in f)
    print(f"{r['id']:34} {form:5}  plain {pw:.3f} s wall {pc:.3f} s cpu   flood {fw:.3f} s wall {fc:.3f} s cpu   ratio wall {pw/fw:.2f} cpu {pc/fc:.2f}  exit {f[0][2]}")
