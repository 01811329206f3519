//! Explicit SIMD for the passes the detector makes over every byte of content: the one module
//! besides `source::content` where `unsafe` is allowed (docs/style.md, section 5).
//!
//! The rules of the module: every kernel is a `#[target_feature]` function of `std::arch`
//! intrinsics, called only after runtime detection says the CPU has the feature; every kernel
//! has a portable twin in safe Rust that gives the same answer on every input, chosen
//! automatically where the feature is missing (and on other architectures, where the compiler
//! vectorizes the twin with what the target has, NEON on aarch64); every `unsafe` block says
//! why it is sound; and tests and the `simd` fuzz target hold each kernel to its twin.
//!
//! The kernels:
//! - [`base64_masks`]: for each 64 bytes, bit masks of the base64 characters (either
//!   alphabet) and of the upper and lower case letters, the base64 gate of decoded views
//!   (`decode`). The portable twin is a byte loop that the compiler vectorizes with SSE2 alone
//!   and packs eight flags at a time; AVX2 does 32 bytes in about ten vector instructions and
//!   three `movemask`s.
#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

/// Bytes a mask covers.
pub const MASK_BYTES: usize = 64;

/// Whether `b` is a base64 character (of either alphabet: `+`, `/`, `-`, `_` all count).
/// Branch-free over ranges, the same arithmetic the SIMD kernels do.
#[inline(always)]
pub fn is_base64(b: u8) -> bool {
    // `/` is the byte before `0`.
    ((b | 0x20).wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'/') < 11)
        | (b == b'+')
        | (b == b'-')
        | (b == b'_')
}

/// The classes of 64 bytes of content, one bit per byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChunkMasks {
    /// Base64 characters ([`is_base64`]).
    pub base64: u64,
    /// `A` to `Z`.
    pub upper: u64,
    /// `a` to `z`.
    pub lower: u64,
}

/// Fills `out[i]` with the masks of `content[64 i..64 i + 64]`: bit `j` of a mask set when byte
/// `64 i + j` is of its class. Bytes past the end of `content` are of no class, and `out` may
/// cover fewer chunks than `content` holds (the rest is not looked at).
pub fn base64_masks(content: &[u8], out: &mut [ChunkMasks]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (detected just above), the one requirement of the
        // kernel's `target_feature`; the kernel reads `content` through bounds-checked slices.
        unsafe { x86::base64_masks_avx2(content, out) };
        return;
    }
    base64_masks_portable(content, out);
}

/// The portable twin of [`base64_masks`].
pub fn base64_masks_portable(content: &[u8], out: &mut [ChunkMasks]) {
    for (i, mask) in out.iter_mut().enumerate() {
        let start = (i * MASK_BYTES).min(content.len());
        let end = (start + MASK_BYTES).min(content.len());
        let mut chunk = [0u8; MASK_BYTES];
        chunk[..end - start].copy_from_slice(&content[start..end]);
        *mask = portable_mask(&chunk);
    }
}

/// The masks of one chunk: flags made by loops the compiler vectorizes, packed eight at a
/// time by a multiplication.
#[inline]
fn portable_mask(chunk: &[u8; MASK_BYTES]) -> ChunkMasks {
    let class = |of: fn(u8) -> bool| {
        let mut flags = [0u8; MASK_BYTES];
        for (f, &b) in flags.iter_mut().zip(chunk) {
            *f = u8::from(of(b));
        }
        pack(&flags)
    };
    ChunkMasks {
        base64: class(is_base64),
        upper: class(|b| b.wrapping_sub(b'A') < 26),
        lower: class(|b| b.wrapping_sub(b'a') < 26),
    }
}

/// Bit `i` set when flag `i` (0 or 1) is 1.
#[inline]
fn pack(flags: &[u8; MASK_BYTES]) -> u64 {
    let mut mask = 0;
    for (k, eight) in flags.chunks_exact(8).enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(eight);
        // Byte j's low bit lands on bit 56 + j; the top byte holds the eight flags.
        let packed = u64::from_le_bytes(word).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        mask |= packed << (8 * k);
    }
    mask
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_sub_epi8,
    };

    use super::{ChunkMasks, MASK_BYTES, portable_mask};

    /// [`super::base64_masks`] with AVX2.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn base64_masks_avx2(content: &[u8], out: &mut [ChunkMasks]) {
        for (i, mask) in out.iter_mut().enumerate() {
            let start = (i * MASK_BYTES).min(content.len());
            match content.get(start..start + MASK_BYTES) {
                Some(chunk) => {
                    let (lo, hi) = chunk.split_at(32);
                    let ([b0, u0, l0], [b1, u1, l1]) = (half(lo), half(hi));
                    let join = |a: u32, b: u32| u64::from(a) | (u64::from(b) << 32);
                    *mask = ChunkMasks {
                        base64: join(b0, b1),
                        upper: join(u0, u1),
                        lower: join(l0, l1),
                    };
                }
                None => {
                    let mut chunk = [0u8; MASK_BYTES];
                    chunk[..content.len() - start].copy_from_slice(&content[start..]);
                    *mask = portable_mask(&chunk);
                }
            }
        }
    }

    /// The masks of 32 bytes: base64 ([`super::is_base64`] on every lane), upper and lower
    /// case letters.
    #[target_feature(enable = "avx2")]
    fn half(bytes: &[u8]) -> [u32; 3] {
        assert_eq!(bytes.len(), 32);
        // SAFETY: `bytes` holds 32 bytes (asserted), what an unaligned 256-bit load reads.
        let x = unsafe { _mm256_loadu_si256(bytes.as_ptr().cast::<__m256i>()) };
        let splat = |b: u8| _mm256_set1_epi8(b as i8);
        // `v < n` unsigned, for every lane: `min(v, n - 1) == v`.
        let below = |v: __m256i, n: u8| _mm256_cmpeq_epi8(_mm256_min_epu8(v, splat(n - 1)), v);
        let upper = below(_mm256_sub_epi8(x, splat(b'A')), 26);
        let lower = below(_mm256_sub_epi8(x, splat(b'a')), 26);
        let letter = _mm256_or_si256(upper, lower);
        let digit_or_slash = below(_mm256_sub_epi8(x, splat(b'/')), 11);
        let plus = _mm256_cmpeq_epi8(x, splat(b'+'));
        let minus = _mm256_cmpeq_epi8(x, splat(b'-'));
        let underscore = _mm256_cmpeq_epi8(x, splat(b'_'));
        let any = _mm256_or_si256(
            _mm256_or_si256(letter, digit_or_slash),
            _mm256_or_si256(plus, _mm256_or_si256(minus, underscore)),
        );
        [any, upper, lower].map(|m| _mm256_movemask_epi8(m) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::decode::tests::bytes;

    fn masks(content: &[u8], f: fn(&[u8], &mut [ChunkMasks])) -> Vec<ChunkMasks> {
        let mut out = vec![ChunkMasks::default(); content.len().div_ceil(MASK_BYTES) + 1];
        f(content, &mut out);
        out
    }

    #[test]
    fn is_base64_is_both_alphabets() {
        for b in 0..=255u8 {
            let naive = b.is_ascii_alphanumeric() || b"+/-_".contains(&b);
            assert_eq!(is_base64(b), naive, "{b:#x}");
        }
    }

    #[test]
    fn every_byte_value_at_every_lane_is_classified_as_is_base64_says() {
        for b in 0..=255u8 {
            for lane in 0..MASK_BYTES {
                let mut chunk = [b'!'; MASK_BYTES];
                chunk[lane] = b;
                let bit = |of: bool| u64::from(of) << lane;
                let want = ChunkMasks {
                    base64: bit(is_base64(b)),
                    upper: bit(b.is_ascii_uppercase()),
                    lower: bit(b.is_ascii_lowercase()),
                };
                let none = ChunkMasks::default();
                assert_eq!(masks(&chunk, base64_masks), [want, none], "byte {b:#04x} lane {lane}");
                assert_eq!(masks(&chunk, base64_masks_portable), [want, none]);
            }
        }
    }

    #[test]
    fn the_kernel_agrees_with_its_portable_twin() {
        let all: Vec<u8> = (0..=255).collect();
        for (seed, alphabet) in [(1, &all[..]), (2, b"aZ09+/-_=!\n \x00\xff".as_slice())] {
            for len in [0, 1, 31, 32, 63, 64, 65, 127, 1000, 4099] {
                let content = bytes(seed + len as u64, len, alphabet);
                assert_eq!(masks(&content, base64_masks), masks(&content, base64_masks_portable));
                // Offsets that are not multiples of 32 (unaligned loads) and short outputs.
                for skip in [1, 7, 33] {
                    let part = content.get(skip..).unwrap_or_default();
                    let mut a = vec![ChunkMasks::default(); 2];
                    let mut b = a.clone();
                    base64_masks(part, &mut a);
                    base64_masks_portable(part, &mut b);
                    assert_eq!(a, b);
                }
            }
        }
    }
}
