use std::time::Instant;

#[inline(always)]
fn mask64(c: &[u8; 64]) -> u64 {
    let mut m = 0u64;
    for i in 0..64 {
        let b = c[i];
        let f = (b.wrapping_sub(b'0') < 10) | (b.wrapping_sub(b'a') < 26);
        m |= (f as u64) << i;
    }
    m
}

fn runs(block: &[u8], r: u32, out: &mut Vec<usize>) {
    let mut carry = 0u32; // length of the alnum run ending at the previous chunk's end
    let mut reported = false;
    let (chunks, _rest) = block.as_chunks::<64>();
    for (ci, c) in chunks.iter().enumerate() {
        let m = mask64(c);
        if m == u64::MAX {
            carry += 64;
            if carry >= r && !reported { out.push(ci * 64 + 64 - carry as usize); reported = true; }
            continue;
        }
        // run crossing in from the previous chunk
        let lead = m.trailing_ones();
        if carry + lead >= r && !reported { out.push(ci * 64 - carry as usize); }
        // runs fully inside: bit p set if bits p..p+r-1 all set
        let mut y = m & !(((1u64 << lead) - 1)) ; // drop the leading run (handled above)
        if lead == 64 { y = 0; }
        let mut z = y;
        let mut have = 1u32;
        while have < r { let s = have.min(r - have); z &= z >> s; have += s; }
        if z != 0 {
            // starts: first bit of each qualifying run
            let mut starts = z & !(y << 1);
            // every qualifying run has a start bit at its first position
            while starts != 0 { let p = starts.trailing_zeros(); out.push(ci * 64 + p as usize); starts &= starts - 1; }
        }
        let trail = m.leading_ones();
        carry = trail;
        reported = trail > 0 && (z >> (64 - trail.max(1))) != 0 && trail >= r; // the trailing run already reported if fully inside and long
        if trail == 0 { reported = false; }
        // a trailing run that was reported inside must not be reported again when it continues
        if trail > 0 && trail < 64 { let st = 64 - trail; reported = (z >> st) & 1 == 1 || reported; }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read(&args[1]).unwrap();
    let text = &text[..text.len().min(32 << 20)];
    const BLOCK: usize = 64 * 1024;
    let mut block = Vec::with_capacity(BLOCK + 64);
    for r in [12u32, 16, 20, 24, 32] {
        let mut out = Vec::new();
        let mut n = 0usize;
        let t0 = Instant::now();
        for c in text.chunks(BLOCK) {
            block.clear();
            block.extend(c.iter().map(u8::to_ascii_lowercase));
            out.clear();
            runs(&block, r, &mut out);
            n += out.len();
        }
        let dt = t0.elapsed().as_secs_f64();
        // exact count for checking
        let mut exact = 0; let mut cur = 0;
        for &b in text { let b = b.to_ascii_lowercase(); if b.is_ascii_lowercase() || b.is_ascii_digit() { cur += 1; if cur == r { exact += 1; } } else { cur = 0; } }
        eprintln!("R={r}: {:.2} GiB/s (with lowercase), {n} runs (exact {exact}), one per {:.0} bytes", text.len() as f64 / dt / (1u64<<30) as f64, text.len() as f64 / n.max(1) as f64);
    }
}
