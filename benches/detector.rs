//! Detector throughput on generated text, with the core rules, with all of them
//! (`detector_extended`, what a scan runs) and with a synthetic set of 400 rules made from
//! their shapes (`detector_synthetic400`: growth of the rule set must not cost speed), and
//! rule-set compile time.
//!
//! Run: `cargo bench --bench detector`. Input is deterministic: code-like lines built from a
//! fixed vocabulary with a xorshift generator, 16 MiB per case, with no secret, one secret per
//! MiB, or one secret every 4 KiB (dense); and `keywords_no_secrets`, where one line in eight
//! names a password, token, secret or key without holding one, as real code does (every such
//! line is a prefilter candidate whose rules must run).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keysentry::aws::{AwsEnricher, AwsOptions};
use keysentry::detect::{Detector, Match, Scratch};
use keysentry::finding::Origin;
use keysentry::rules::{Builtin, RuleSet};

const SIZE: usize = 16 << 20;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n).map(|_| A[(self.next() % A.len() as u64) as usize] as char).collect()
    }
    fn base32(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        (0..n).map(|_| A[(self.next() % A.len() as u64) as usize] as char).collect()
    }
}

/// The 36 characters after `ghp_` of a classic GitHub token: 30 random ones, then their
/// CRC-32 in base 62 (`github.pat_classic` checks it).
fn github_body(rng: &mut Rng) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let body = rng.alnum(30);
    let mut crc = crc32fast::hash(body.as_bytes());
    let mut sum = [b'0'; 6];
    for d in sum.iter_mut().rev() {
        *d = B62[(crc % 62) as usize];
        crc /= 62;
    }
    body + std::str::from_utf8(&sum).unwrap_or_default()
}

const WORDS: &[&str] = &[
    "let", "mut", "fn", "self", "return", "match", "impl", "struct", "value", "config", "buffer",
    "length", "index", "result", "error", "string", "vector", "parse", "write", "read", "handle",
    "client", "server", "request", "response", "Some", "None", "Ok", "Err", "count", "items",
    "offset", "width", "height", "state", "event", "queue", "cache", "entry", "node", "path",
];
const PUNCT: &[&str] = &[" ", " ", " ", ".", "(", ")", " = ", ", ", "::", ";", " {", " }", "->"];

/// Lines of real-looking code that mention credentials without holding one.
const KEYWORD_LINES: &[&str] = &[
    "    password = kwargs.get(\"password\")\n",
    "    let token = self.next_token()?;\n",
    "    if secret.is_empty() { return Err(Error::MissingSecret); }\n",
    "    api_key: Option<String>,\n",
    "    headers.insert(\"Authorization\", format!(\"Bearer {}\", access_token));\n",
    "    credentials = load_credentials(path)\n",
];

/// Code-like text with a secret planted every `every` bytes (never, if `None`); with
/// `keywords`, one line in eight mentions credentials.
fn generate(every: Option<usize>, keywords: bool, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut out = String::with_capacity(SIZE + 1024);
    let mut next_secret = every.unwrap_or(usize::MAX);
    while out.len() < SIZE {
        let indent = (rng.next() % 4) as usize * 4;
        out.extend(std::iter::repeat_n(' ', indent));
        for _ in 0..(4 + rng.next() % 8) {
            out.push_str(rng.pick(WORDS));
            out.push_str(rng.pick(PUNCT));
        }
        out.push('\n');
        if keywords && rng.next().is_multiple_of(8) {
            out.push_str(rng.pick(KEYWORD_LINES));
        }
        if out.len() >= next_secret {
            let secret = match rng.next() % 3 {
                0 => format!("aws_access_key_id = AKIA{}\n", rng.base32(16)),
                1 => format!("GITHUB_TOKEN=ghp_{}\n", github_body(&mut rng)),
                _ => format!("password = \"{}\"\n", rng.alnum(20)),
            };
            out.push_str(&secret);
            next_secret += every.unwrap_or(usize::MAX);
        }
    }
    out.into_bytes()
}

fn detector_throughput(c: &mut Criterion) {
    let set = |which| RuleSet::builtin_set(which).expect("built-in rules compile");
    throughput(c, "detector", set(Builtin::Core));
    // What a scan runs by default (the name kept from when the extended rules were optional).
    throughput(c, "detector_extended", set(Builtin::All));
    throughput(c, "detector_synthetic400", synthetic(400));
}

/// A rule set of `n` rules: the built-in ones, and twins of them up to `n`: each twin's
/// keywords are its model's with letters and digits rotated (the same lengths and
/// punctuation, other bytes), and its regex the first of them followed by a token, the shape
/// of most token rules. For measuring how the detector's cost grows with the rule set.
fn synthetic(n: usize) -> RuleSet {
    let real = Builtin::All.syntax().expect("built-in rules parse");
    let mut rules = real.clone();
    let rotate = |k: &str, by: u8| -> String {
        k.bytes()
            .map(|b| match b {
                b'a'..=b'z' => (b'a' + (b - b'a' + by) % 26) as char,
                b'0'..=b'9' => (b'0' + (b - b'0' + by) % 10) as char,
                _ => b as char,
            })
            .collect()
    };
    for i in 0..n.saturating_sub(real.len()) {
        let mut twin = real[i % real.len()].clone();
        let by = 1 + (i / real.len()) as u8 * 7 + (i % 13) as u8;
        twin.id = format!("synthetic.{i}");
        twin.keywords = twin.keywords.iter().map(|k| rotate(k, by)).collect();
        twin.context.clear();
        twin.regex = format!("(?i){}([a-z0-9_-]{{20,64}})", regex::escape(&twin.keywords[0]));
        twin.secret_group = 1;
        twin.first_group = false;
        twin.entropy = None;
        twin.checksum = None;
        twin.multiline = false;
        rules.push(twin);
    }
    RuleSet::compile(rules).expect("synthetic rules compile")
}

/// The detector cases with a rule set.
fn throughput(c: &mut Criterion, group_name: &str, rules: RuleSet) {
    let detector = Detector::new(rules);
    let mut group = c.benchmark_group(group_name);
    group.sample_size(10);
    group.throughput(Throughput::Bytes(SIZE as u64));
    let cases = [
        ("no_secrets", None, false),
        ("1_per_MiB", Some(1 << 20), false),
        ("dense", Some(4096), false),
        ("keywords_no_secrets", None, true),
    ];
    for (name, every, keywords) in cases {
        let text = generate(every, keywords, 0x9E37_79B9_7F4A_7C15);
        let mut scratch = Scratch::new();
        let mut out = Vec::new();
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                let _ = detector.find(&text, &mut scratch, &mut out);
                out.len()
            })
        });
    }
    group.finish();
}

/// `text` cut into pieces of about `size` bytes at line ends: the files of a tree.
fn pieces(text: &[u8], size: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let end = (at + size).min(text.len());
        let end = text[end..].iter().position(|b| *b == b'\n').map_or(text.len(), |i| end + i + 1);
        out.push(&text[at..end]);
        at = end;
    }
    out
}

/// The cost of the AWS step (classification, account decode, pairing) over plain findings: the
/// same text cut into 64 KiB files, each scanned and turned into findings with and without it.
/// `aws_pairs` plants, every 4 KiB, an AWS key id followed by its secret on the next line.
fn aws_step(c: &mut Criterion) {
    let detector = Detector::new(RuleSet::builtin().expect("built-in rules compile"));
    let aws = AwsEnricher::new(&detector, AwsOptions::with_builtin_canaries());
    let origin = Origin::Stdin;
    let mut group = c.benchmark_group("aws_step");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(SIZE as u64));
    let mut rng = Rng(7);
    let pairs: String = String::from_utf8(generate(Some(4096), false, 0x9E37_79B9_7F4A_7C15))
        .expect("generated text is UTF-8")
        .lines()
        .map(|l| {
            if l.starts_with("aws_access_key_id") {
                format!("{l}\naws_secret_access_key = {}/{}\n", rng.alnum(20), rng.alnum(19))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let cases = [
        ("1_per_MiB", generate(Some(1 << 20), false, 0x9E37_79B9_7F4A_7C15)),
        ("dense", generate(Some(4096), false, 0x9E37_79B9_7F4A_7C15)),
        ("aws_pairs", pairs.into_bytes()),
    ];
    for (name, text) in &cases {
        let files = pieces(text, 64 << 10);
        let mut scratch = Scratch::new();
        let mut matches = Vec::new();
        // Finds matches in every file and turns those of files with any into findings with
        // `step`; returns the number of findings.
        let mut scan = |step: &dyn Fn(&[u8], &mut Vec<Match>) -> usize| {
            let mut n = 0;
            for f in &files {
                matches.clear();
                let _ = detector.find(f, &mut scratch, &mut matches);
                if !matches.is_empty() {
                    n += step(f, &mut matches);
                }
            }
            n
        };
        group.bench_function(format!("{name}/findings"), |b| {
            b.iter(|| scan(&|f, m| detector.findings(f, &origin, m).len()))
        });
        group.bench_function(format!("{name}/aws_step"), |b| {
            b.iter(|| scan(&|f, m| aws.findings(&detector, f, &origin, None, m).len()))
        });
    }
    group.finish();
}

/// Issue 14: keyword floods (each of a few rules' keywords repeated, on one line and one per
/// line) against plain text of the same size: the ratio of their throughputs is the target
/// (at least a quarter). The keywords are those of the rules slowest on floods when measured.
fn keyword_floods(c: &mut Criterion) {
    const FLOOD: usize = 4 << 20;
    let detector = Detector::new(RuleSet::builtin_set(Builtin::All).expect("built-in rules"));
    let mut group = c.benchmark_group("keyword_flood");
    group.throughput(Throughput::Bytes(FLOOD as u64));
    group.sample_size(10);
    let plain: Vec<u8> = b"the quick brown fox jumps over the lazy dog 0123456789\n"
        .iter()
        .copied()
        .cycle()
        .take(FLOOD)
        .collect();
    let mut cases = vec![("plain".to_owned(), plain)];
    for keywords in [
        &["secret"][..],
        &["password", "token", "api_key"],
        &["akia", "asia"],
        &["-----begin openssh private key-----"],
    ] {
        for (form, sep) in [("line", "="), ("lines", "=\n")] {
            let unit: String = keywords.iter().map(|k| format!("{k}{sep}")).collect();
            let text = unit.bytes().cycle().take(FLOOD).collect();
            cases.push((
                format!("{}_{form}", keywords[0].trim_matches('-').replace(' ', "_")),
                text,
            ));
        }
    }
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    for (name, text) in &cases {
        group.bench_function(name.as_str(), |b| {
            b.iter(|| {
                out.clear();
                let _ = detector.find(text, &mut scratch, &mut out);
                out.len()
            })
        });
    }
    group.finish();
}

fn compile_time(c: &mut Criterion) {
    c.bench_function("rules/compile_builtin", |b| {
        b.iter(|| Detector::new(RuleSet::builtin_set(Builtin::Core).expect("rules compile")))
    });
    c.bench_function("rules/compile_extended", |b| {
        b.iter(|| Detector::new(RuleSet::builtin_set(Builtin::All).expect("rules compile")))
    });
}

criterion_group!(benches, detector_throughput, aws_step, keyword_floods, compile_time);
criterion_main!(benches);
