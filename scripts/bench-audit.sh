#!/usr/bin/env bash
# scripts/bench-audit.sh: organisation audits, measured (issue 15, point 9).
#
#   scripts/bench-audit.sh [--runs N] [--repos N] [--skip-build] [--skip-audit] [--skip-scan]
#                          [--no-releases]
#
# From the repository root. Everything lives under .bench/audit/ (gitignored):
#  1. Builds keysentry with `cargo build --release --no-default-features --locked` (the audit
#     needs no AWS SDK; skipped with --skip-build or when KEYSENTRY_BIN names a binary) and
#     runs a frozen copy of it from the run directory.
#  2. Makes, when missing or made by another version of the generator, .bench/audit/org
#     (scripts/gen-org.py --repos 1000 --seed 15: upstreams, forks, bare repositories,
#     mirrors, working copies) and .bench/audit/releases (scripts/gen-release-repos.py: four
#     packages' sdists from the Python package registry, one commit per release; downloads
#     cached in .bench/downloads/releases). --no-releases leaves the release repositories out.
#  3. Warms the page cache (reads every file of both once), then --runs times (3), one
#     measurement after the other in each round, everything under `/usr/bin/time -v` and
#     `unshare -n` (no network):
#       audit-first    keysentry audit ORG --datastore NEW.db           (a fresh datastore)
#       audit-rerun    the same command again, nothing new              (same datastore)
#       audit-100, audit-300
#                      keysentry audit --list FILE --datastore NEW.db, FILE the first 100 and
#                      300 repositories of the organisation in a seeded shuffle: peak memory
#                      against the number of repositories (1,000 is audit-first)
#       scan-each      keysentry scan --history REPO --format json -o /dev/null, once per
#                      repository of the organisation, one after the other, in one timed loop
#                      (wall and CPU summed, peak RSS the largest of the scans)
#     and the same first run, re-run and per-repository loop over the release repositories.
#     --skip-audit / --skip-scan leave out the audit or the per-repository measurements.
#  4. Writes .bench/results-<date>-audit.md: medians of wall time, CPU time (user + system),
#     peak RSS, repositories per minute, blobs per second (the datastore's own count of blobs
#     scanned, from its `runs` table), findings (the datastore's; for the per-repository loop,
#     the repositories whose scan exited 1), exit status and the load average; the
#     ratios re-run / first run and audit / scan per repository. Raw data in
#     .bench/audit/runs/<date>/ (results.tsv, each command's stdout, stderr and time -v output).
#
# Env: KEYSENTRY_BIN (a binary to use instead of building), THREADS (passes --threads N to
# both commands; default: theirs, one per core), ORG_SEED (15).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPTS=$ROOT/scripts
DATA=$ROOT/.bench/audit
RUNS=3 REPOS=1000 SKIP_BUILD=0 DO_AUDIT=1 DO_SCAN=1 RELEASES=1
SEED=${ORG_SEED:-15}
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift ;;
    --repos) REPOS=$2; shift ;;
    --skip-build) SKIP_BUILD=1 ;;
    --skip-audit) DO_AUDIT=0 ;;
    --skip-scan) DO_SCAN=0 ;;
    --no-releases) RELEASES=0 ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-audit: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

STAMP=$(date -u +%Y-%m-%d-%H%M%S)
RUN_DIR=$DATA/runs/$STAMP
mkdir -p "$RUN_DIR" "$DATA/home"
LOG=$RUN_DIR/bench.log
log() { printf '[bench-audit %s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$LOG" >&2; }

[[ -x /usr/bin/time ]] || { echo "bench-audit: /usr/bin/time is missing (Debian: apt-get install time)" >&2; exit 2; }

# ---- 1. keysentry ---------------------------------------------------------------------
if [[ -n ${KEYSENTRY_BIN:-} ]]; then
  KS_SRC=$(realpath "$KEYSENTRY_BIN")
else
  KS_SRC=${CARGO_TARGET_DIR:-$ROOT/target}/release/keysentry
  if [[ $SKIP_BUILD == 0 ]]; then
    log "cargo build --release --no-default-features --locked"
    (cd "$ROOT" && cargo build --release --no-default-features --locked) >>"$RUN_DIR/build.log" 2>&1 \
      || { log "build failed: see ${RUN_DIR#"$ROOT"/}/build.log"; exit 2; }
  fi
fi
[[ -x $KS_SRC ]] || { log "no binary at $KS_SRC"; exit 2; }
KS=$RUN_DIR/keysentry   # a frozen copy: a rebuild during the run must not mix versions
cp "$KS_SRC" "$KS"
KS_GIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
git -C "$ROOT" diff --quiet HEAD -- src Cargo.toml Cargo.lock rules 2>/dev/null || KS_GIT="$KS_GIT+dirty"
KS_DESC="$("$KS" --version | head -1) (HEAD $KS_GIT, binary built $(date -u -r "$KS_SRC" +%Y-%m-%dT%H:%M:%SZ))"
if [[ $DO_AUDIT == 1 ]] && ! "$KS" audit --help >/dev/null 2>&1; then
  log "this keysentry has no audit command: audit measurements left out"
  DO_AUDIT=0
fi
# No configuration file: HOME is an empty directory (no operator's configuration), the scans
# get --no-config (the audit never reads the repositories' own configurations), and the
# audit too if it has the flag.
SCAN_NOCONF=() AUDIT_NOCONF=()
"$KS" scan --help 2>/dev/null | grep -q -- '--no-config' && SCAN_NOCONF=(--no-config)
[[ $DO_AUDIT == 0 ]] || ! "$KS" audit --help 2>/dev/null | grep -q -- '--no-config' || AUDIT_NOCONF=(--no-config)
THREAD_ARGS=(); [[ -z ${THREADS:-} ]] || THREAD_ARGS=(--threads "$THREADS")

# ---- 2. data ------------------------------------------------------------------------------
ORG=$DATA/org
want_org="generator=$(cat "$SCRIPTS/gen-org.py" "$SCRIPTS/gen-tree.py" | sha256sum | cut -c1-16) repos=$REPOS seed=$SEED"
if [[ ! -f $ORG/.stamp || "$(cat "$ORG/.stamp")" != "$want_org" ]]; then
  log "generate the organisation: scripts/gen-org.py $ORG --repos $REPOS --seed $SEED"
  python3 "$SCRIPTS/gen-org.py" "$ORG" --repos "$REPOS" --seed "$SEED" | tee -a "$LOG" >&2
  echo "$want_org" >"$ORG/.stamp"
fi
REL=$DATA/releases
if [[ $RELEASES == 1 ]]; then
  log "release repositories: scripts/gen-release-repos.py $REL"
  python3 "$SCRIPTS/gen-release-repos.py" "$REL" 2>&1 | tee -a "$LOG" >&2
  ls -d "$REL"/*.git >"$RUN_DIR/releases.txt"
fi
# Subsets of the organisation for the memory measurements, in a seeded shuffle.
for n in 100 300; do
  python3 -c 'import random, sys
paths = open(sys.argv[1]).read().split()
random.Random(int(sys.argv[3])).shuffle(paths)
print("\n".join(paths[: int(sys.argv[2])]))' "$ORG/repos.txt" "$n" "$SEED" >"$RUN_DIR/org-$n.txt"
done

log "warm the page cache"
find "$ORG" "$REL" -type f -exec cat {} + >/dev/null 2>&1 || true

NETNS=()
if unshare -n true 2>/dev/null; then NETNS=(unshare -n --); else log "unshare -n unavailable: running with the network"; fi
export HOME=$DATA/home XDG_CONFIG_HOME=$DATA/home/.config
unset GITHUB_TOKEN GITLAB_TOKEN

# ---- 3. measurements ------------------------------------------------------------------------
TSV=$RUN_DIR/results.tsv
printf 'what\tround\twall\tuser\tsys\trss_kb\trc\tload\tblobs_scanned\tblobs_skipped\trepos_complete\trepos_unchanged\tfindings\n' >"$TSV"

# run_one WHAT ROUND DB CMD...: one timed command; DB ("-" for none) is queried afterwards.
run_one() {
  local what=$1 round=$2 db=$3; shift 3
  local base=$RUN_DIR/$what.$round rc=0 load stats
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v -o "$base.time" "${NETNS[@]}" "$@" >"$base.out" 2>"$base.err" || rc=$?
  stats='-	-	-	-	-'
  if [[ $db != - ]]; then
    stats=$(sqlite3 -readonly -separator $'\t' "$db" \
      "SELECT blobs_scanned, blobs_skipped, repos_complete, repos_unchanged,
              (SELECT count(*) FROM findings) FROM runs ORDER BY id DESC LIMIT 1" 2>>"$LOG") \
      || stats='?	?	?	?	?'
  fi
  python3 - "$base.time" "$what" "$round" "$rc" "$load" "$stats" >>"$TSV" <<'EOF'
import sys
f, what, rnd, rc, load, stats = sys.argv[1:]
v = {}
for line in open(f):
    k, _, x = line.strip().rpartition(": ")
    v[k] = x
def secs(t):
    s = 0.0
    for part in t.split(":"):
        s = s * 60 + float(part)
    return s
wall = secs(v["Elapsed (wall clock) time (h:mm:ss or m:ss)"])
print("\t".join([what, rnd, f"{wall:.2f}", v["User time (seconds)"], v["System time (seconds)"],
                 v["Maximum resident set size (kbytes)"], rc, load, stats]))
EOF
  log "$what round $round: $(tail -1 "$TSV" | cut -f3-8 | tr '\t' ' ') (wall user sys rss_kb rc load)"
}

# scan-each.sh KS LIST RCS [FLAGS]: keysentry scan --history of each repository in LIST, one
# after the other; each one's exit status (0 clean, 1 findings, 2 error) goes to RCS.
SCAN_EACH=$RUN_DIR/scan-each.sh
cat >"$SCAN_EACH" <<'EOF'
#!/usr/bin/env bash
ks=$1 list=$2 rcs=$3; shift 3
: >"$rcs"
while read -r repo; do
  rc=0; "$ks" scan --history "$repo" --format json -o /dev/null "$@" </dev/null >/dev/null 2>&1 || rc=$?
  echo "$rc $repo" >>"$rcs"
done <"$list"
EOF
chmod +x "$SCAN_EACH"

audit_first() { # audit_first WHAT ROUND SOURCE-ARGS...
  local what=$1 round=$2 db=$RUN_DIR/$1.$2.db; shift 2
  rm -f "$db" "$db"-*
  run_one "$what" "$round" "$db" "$KS" audit "$@" --datastore "$db" "${AUDIT_NOCONF[@]}" "${THREAD_ARGS[@]}"
}
audit_rerun() { # audit_rerun WHAT ROUND FIRST-WHAT SOURCE-ARGS...: again, on FIRST-WHAT's datastore
  local what=$1 round=$2 db=$RUN_DIR/$3.$2.db; shift 3
  run_one "$what" "$round" "$db" "$KS" audit "$@" --datastore "$db" "${AUDIT_NOCONF[@]}" "${THREAD_ARGS[@]}"
}

for ((r = 1; r <= RUNS; r++)); do
  if [[ $DO_AUDIT == 1 ]]; then
    audit_first audit-first "$r" "$ORG"
    audit_rerun audit-rerun "$r" audit-first "$ORG"
    audit_first audit-100 "$r" --list "$RUN_DIR/org-100.txt"
    audit_first audit-300 "$r" --list "$RUN_DIR/org-300.txt"
  fi
  if [[ $DO_SCAN == 1 ]]; then
    run_one scan-each "$r" - "$SCAN_EACH" "$KS" "$ORG/repos.txt" "$RUN_DIR/scan-each.$r.rcs" \
      "${SCAN_NOCONF[@]}" "${THREAD_ARGS[@]}"
  fi
  if [[ $RELEASES == 1 ]]; then
    if [[ $DO_AUDIT == 1 ]]; then
      audit_first rel-audit-first "$r" "$REL"
      audit_rerun rel-audit-rerun "$r" rel-audit-first "$REL"
    fi
    if [[ $DO_SCAN == 1 ]]; then
      run_one rel-scan-each "$r" - "$SCAN_EACH" "$KS" "$RUN_DIR/releases.txt" \
        "$RUN_DIR/rel-scan-each.$r.rcs" "${SCAN_NOCONF[@]}" "${THREAD_ARGS[@]}"
    fi
  fi
done
find "$RUN_DIR" -name '*.db*' -delete   # the datastores are large and served their purpose

# ---- 4. report ------------------------------------------------------------------------------
OUT_MD=$ROOT/.bench/results-$STAMP-audit.md
python3 - "$TSV" "$ORG/org.json" "${REL}/repos.json" "$RELEASES" "$KS_DESC" "$RUN_DIR" \
  "audit: ${AUDIT_NOCONF[*]} ${THREAD_ARGS[*]}; scan: ${SCAN_NOCONF[*]} ${THREAD_ARGS[*]}" >"$OUT_MD" <<'EOF'
import json, os, statistics, sys
tsv, org_json, rel_json, releases, ks, run_dir, extra = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(tsv)][1:]
org = json.load(open(org_json))
rel = json.load(open(rel_json)) if releases == "1" and os.path.exists(rel_json) else []
by = {}
for w, rnd, wall, user, sys_, rss, rc, load, bs, bk, rcpl, runch, fnd in rows:
    by.setdefault(w, []).append(dict(wall=float(wall), cpu=float(user) + float(sys_), rss=int(rss),
                                     rc=rc, load=float(load), scanned=bs, skipped=bk,
                                     complete=rcpl, unchanged=runch, findings=fnd))
med = lambda w, k: statistics.median(x[k] for x in by[w])
n_sub = {"audit-first": org["repos"], "audit-rerun": org["repos"], "scan-each": org["repos"],
         "audit-100": 100, "audit-300": 300,
         "rel-audit-first": len(rel), "rel-audit-rerun": len(rel), "rel-scan-each": len(rel)}
what_is = {
    "audit-first": "`audit ORG` first run", "audit-rerun": "`audit ORG` re-run, nothing new",
    "audit-100": "`audit --list` 100 of them", "audit-300": "`audit --list` 300 of them",
    "scan-each": "`scan --history` each repository",
    "rel-audit-first": "releases: `audit` first run", "rel-audit-rerun": "releases: `audit` re-run",
    "rel-scan-each": "releases: `scan --history` each",
}
print(f"# Organisation audits, {os.path.basename(run_dir)}\n")
print(f"- keysentry: {ks}; extra flags: `{extra.strip() or 'none'}`; under `unshare -n`")
print(f"- organisation: {org['repos']} repositories ({', '.join(f'{k} {v}' for k, v in org['kinds'].items())}); "
      f"{org['distinct_commits']:,} distinct commits ({org['commits_summed_over_repos']:,} summed over "
      f"repositories), {org['distinct_blobs']:,} distinct blobs of {org['distinct_blob_bytes'] / 2**20:.1f} MiB "
      f"({org['blobs_summed_over_repos']:,} summed), {len(org['secrets'])} planted secrets, "
      f"{org['disk_kib'] / 1024:.0f} MiB on disk")
for s in rel:
    print(f"- release repository {s['package']}: {s['commits']} releases ({s['first']} to {s['last']}), "
          f"{s['distinct_blobs']:,} distinct blobs, {s['content_bytes'] / 2**20:.1f} MiB")
print("- blobs scanned: the datastore's count (its `runs` table); for `scan --history` of each "
      "repository, the generator's count of each repository's distinct blobs, summed")
print(f"- rounds: {max(len(v) for v in by.values())}; figures are medians; load = 1-minute load average "
      f"at the start of each run (min–max)\n")
print("| measurement | repos | wall | CPU | peak RSS | repos/min | blobs scanned | blobs/s | findings | exit | load |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
for w in what_is:
    if w not in by:
        continue
    n, wall = n_sub[w], med(w, "wall")
    fixed = None  # no datastore: what each scan walks, counted by the generator
    if w == "scan-each":
        fixed = org["blobs_summed_over_repos"]
    elif w == "rel-scan-each":
        fixed = sum(s["distinct_blobs"] for s in rel)
    try:
        counts = [fixed if fixed is not None else int(x["scanned"]) for x in by[w]]
        scanned = f"{statistics.median(counts):,.0f}"
        bps = f"{statistics.median(c / x['wall'] for c, x in zip(counts, by[w])):,.0f}"
    except ValueError:
        scanned, bps = by[w][0]["scanned"], "-"
    loads = [x["load"] for x in by[w]]
    findings, rcs = by[w][0]["findings"], sorted(set(x["rc"] for x in by[w]))
    if w.endswith("scan-each"):  # the loop's statuses: repositories with findings, errors
        st = [l.split()[0] for l in open(os.path.join(run_dir, f"{w}.1.rcs"))]
        findings = f"in {st.count('1')} repos"
        rcs = [f"{k} ×{st.count(k)}" for k in sorted(set(st))]
    print(f"| {what_is[w]} | {n} | {wall:.2f} s | {med(w, 'cpu'):.2f} s | {med(w, 'rss') / 1024:.0f} MiB | "
          f"{n / wall * 60:,.0f} | {scanned} | {bps} | {findings} | "
          f"{', '.join(rcs)} | {min(loads):.1f}–{max(loads):.1f} |")
print()
def ratio(a, b, label):
    if a in by and b in by:
        print(f"- {label}: wall {med(a, 'wall') / med(b, 'wall'):.3f}, CPU {med(a, 'cpu') / med(b, 'cpu'):.3f}")
ratio("audit-rerun", "audit-first", "organisation, re-run / first run")
ratio("audit-first", "scan-each", "organisation, audit first run / scan --history of each repository")
ratio("rel-audit-rerun", "rel-audit-first", "releases, re-run / first run")
ratio("rel-audit-first", "rel-scan-each", "releases, audit first run / scan --history of each")
EOF
cat "$OUT_MD"
log "wrote ${OUT_MD#"$ROOT"/} (raw data: ${RUN_DIR#"$ROOT"/})"
