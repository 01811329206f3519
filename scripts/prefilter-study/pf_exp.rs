use aho_corasick::packed;
use std::time::Instant;

fn tf(b: u8) -> u8 {
    let l = b.to_ascii_lowercase();
    l ^ (l << 4)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read(&args[1]).unwrap();
    let text = &text[..text.len().min(32 << 20)];
    let lits: Vec<Vec<u8>> = std::fs::read_to_string("/tmp/lits.txt").unwrap().lines()
        .filter_map(|l| l.strip_prefix("LIT "))
        .map(|l| serde_json::from_str::<String>(l).unwrap().into_bytes()).collect();
    let (long, short): (Vec<_>, Vec<_>) = lits.iter().cloned().partition(|l| l.len() >= 4);
    eprintln!("{} literals: {} long {} short", lits.len(), long.len(), short.len());
    const BLOCK: usize = 64 * 1024;
    let mut block = Vec::with_capacity(BLOCK + 64);
    for transform in [false, true] {
        let t0 = Instant::now();
        for c in text.chunks(BLOCK) {
            block.clear();
            if transform { block.extend(c.iter().map(|&b| tf(b))); } else { block.extend(c.iter().map(u8::to_ascii_lowercase)); }
            std::hint::black_box(&block);
        }
        let base = t0.elapsed().as_secs_f64();
        eprintln!("transform={transform} lowercase-only {:.2} GiB/s", text.len() as f64 / base / (1u64 << 30) as f64);
        for g in [8usize, 16, 24, 32, 48, 64, 96, 128] {
            let mk = |ls: &[Vec<u8>]| -> Vec<packed::Searcher> {
                ls.chunks(g).map(|ch| {
                    let ch: Vec<Vec<u8>> = ch.iter().map(|l| if transform { l.iter().map(|&b| tf(b)).collect() } else { l.clone() }).collect();
                    packed::Config::new().heuristic_pattern_limits(false).builder().extend(&ch).build().unwrap()
                }).collect()
            };
            let mut ss = mk(&long);
            ss.extend(mk(&short));
            let mut hits = 0u64;
            let t0 = Instant::now();
            for c in text.chunks(BLOCK) {
                block.clear();
                if transform { block.extend(c.iter().map(|&b| tf(b))); } else { block.extend(c.iter().map(u8::to_ascii_lowercase)); }
                for s in &ss {
                    let mut at = 0;
                    while let Some(m) = s.find_in(&block, aho_corasick::Span::from(at..block.len())) {
                        hits += 1;
                        at = m.start() + 1;
                    }
                }
            }
            let dt = t0.elapsed().as_secs_f64();
            eprintln!("  group {g:3}: {} searchers {:.2} GiB/s, {} hits ({:.1} per MiB)", ss.len(), text.len() as f64 / dt / (1u64 << 30) as f64, hits, hits as f64 / (text.len() as f64 / 1048576.0));
        }
    }
}
