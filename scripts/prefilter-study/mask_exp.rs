use std::time::Instant;

#[inline(never)]
fn mask_a(c: &[u8; 64]) -> u64 {
    let mut m = 0u64;
    for (i, &b) in c.iter().enumerate() {
        if (b.wrapping_sub(b'0') < 10) | (b.wrapping_sub(b'a') < 26) { m |= 1 << i; }
    }
    m
}

#[inline(never)]
fn mask_b(c: &[u8; 64]) -> u64 {
    let f: [bool; 64] = std::array::from_fn(|i| { let b = c[i]; (b.wrapping_sub(b'0') < 10) | (b.wrapping_sub(b'a') < 26) });
    let mut m = 0u64;
    for i in 0..64 { m |= (f[i] as u64) << i; }
    m
}

#[inline(never)]
fn mask_c(c: &[u8; 64]) -> u64 {
    // SWAR
    let mut m = 0u64;
    for (k, w) in c.as_chunks::<8>().0.iter().enumerate() {
        let w = u64::from_le_bytes(*w);
        const L: u64 = 0x0101010101010101;
        let x7 = w & (0x7f * L);
        let lower = ((x7 + 0x1f * L) & !(x7 + 0x05 * L)) & (0x80 * L);
        let digit = ((x7 + 0x50 * L) & !(x7 + 0x46 * L)) & (0x80 * L);
        let f = (lower | digit) & !w;
        let bits = ((f >> 7).wrapping_mul(0x0102040810204080)) >> 56;
        m |= bits << (8 * k);
    }
    m
}

#[inline(never)]
fn mask_d(c: &[u8; 64]) -> u64 {
    let mut m = 0u64;
    for (i, &b) in c.iter().enumerate() {
        let x = b.wrapping_sub(b'0');
        let y = (b | 0).wrapping_sub(b'a');
        m |= (((x < 10) as u64) | ((y < 26) as u64)) << i;
    }
    m
}

fn bench(name: &str, text: &[u8], f: fn(&[u8; 64]) -> u64) -> u64 {
    let t0 = Instant::now();
    let mut acc = 0u64;
    for _ in 0..4 {
        for c in text.as_chunks::<64>().0 { acc = acc.wrapping_add(f(c).count_ones() as u64); }
    }
    let dt = t0.elapsed().as_secs_f64();
    eprintln!("{name}: {:.2} GiB/s ({acc})", 4.0 * text.len() as f64 / dt / (1u64 << 30) as f64);
    acc
}

fn main() {
    let text: Vec<u8> = std::fs::read("/tmp/realmix.txt").unwrap()[..32 << 20].iter().map(u8::to_ascii_lowercase).collect();
    let text = &text[..64 * 1024]; // L2 resident like our blocks
    let text: Vec<u8> = text.iter().cycle().take(256 << 20).copied().collect();
    let text = &text[..];
    bench("a", text, mask_a); bench("b", text, mask_b); bench("c", text, mask_c); bench("d", text, mask_d);
}
