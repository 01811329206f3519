use std::time::Instant;

#[inline(never)]
fn candidates(content: &[u8], flags: &mut Vec<u8>, out: &mut Vec<usize>) {
    flags.clear();
    flags.extend(content.iter().map(|&b| {
        let l = b | 0x20;
        ((b.wrapping_sub(b'0') < 10) | (l.wrapping_sub(b'a') < 26)) as u8
    }));
    const ALL: u64 = 0x0101010101010101;
    let (words, _) = flags.as_chunks::<8>();
    let mut prev_full = false;
    for (k, w) in words.iter().enumerate() {
        let full = u64::from_le_bytes(*w) == ALL;
        if full && prev_full { out.push(k); }
        prev_full = full;
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read(&args[1]).unwrap();
    let text = &text[..text.len().min(32 << 20)];
    let mut flags = Vec::new();
    let mut out = Vec::new();
    let mut lower = Vec::new();
    for _ in 0..3 {
    let t0 = Instant::now();
    let mut n = 0;
    for c in text.chunks(64 * 1024) { out.clear(); candidates(c, &mut flags, &mut out); n += out.len(); }
    let dt = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    for c in text.chunks(64 * 1024) { lower.clear(); lower.extend(c.iter().map(u8::to_ascii_lowercase)); std::hint::black_box(&lower); }
    let dl = t1.elapsed().as_secs_f64();
    eprintln!("flags+words {:.2} GiB/s ({} pair hits, one per {:.0} B); lowercase {:.2} GiB/s", text.len() as f64 / dt / (1u64<<30) as f64, n, text.len() as f64 / n.max(1) as f64, text.len() as f64 / dl / (1u64<<30) as f64);
    }
}
