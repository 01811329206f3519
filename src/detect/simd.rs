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
//! - [`window_candidates`]: the keyword prefilter's one pass (`prefilter`): the positions whose
//!   three bytes, case folded, hash into a [`WindowSet`]'s bitmap. One multiplicative hash per
//!   position and one bit looked up, whatever the number of windows in the set: the cost per
//!   byte is flat in the number of keywords, and only the rate of false candidates grows
//!   (with [`WINDOW_HASH_BITS`] bits, 200 windows set about 0.08 % of the bitmap). AVX-512
//!   (with VBMI's byte permute) does 16 positions per gather, AVX2 8; the portable twin is a
//!   scalar loop.
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

/// Bits of a [`WindowSet`]'s hash: a bitmap of 2^18 bits, 32 KiB, within a core's first-level
/// cache on the CPUs that have the gathers.
pub const WINDOW_HASH_BITS: u32 = 18;
/// A window's bytes with bit 5 cleared: upper and lower case letters fold together (and a few
/// punctuation pairs such as `@` and `` ` ``, which only add candidates).
const FOLD: u32 = 0x00DF_DFDF;
/// The odd multiplier of the window hash (Knuth's multiplicative hashing, the golden ratio).
const MULTIPLIER: u32 = 0x9E37_79B1;

/// The case-folded value of a window of three bytes, as the kernels compute it.
#[inline(always)]
pub fn fold_window(window: [u8; 3]) -> u32 {
    u32::from_le_bytes([window[0], window[1], window[2], 0]) & FOLD
}

/// The bitmap position of a folded window: below `2^WINDOW_HASH_BITS`.
#[inline(always)]
fn window_hash(folded: u32) -> u32 {
    folded.wrapping_mul(MULTIPLIER) >> (32 - WINDOW_HASH_BITS)
}

/// A set of three-byte windows, case folded, kept as the bits of their hashes: it may say a
/// window is in it that is not (another window's hash), never the reverse.
#[derive(Clone)]
pub struct WindowSet {
    /// `2^(WINDOW_HASH_BITS - 5)` words: every hash has its bit (the kernels' gathers rely on
    /// it).
    words: Box<[u32]>,
}

impl std::fmt::Debug for WindowSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set: u32 = self.words.iter().map(|w| w.count_ones()).sum();
        f.debug_struct("WindowSet").field("bits_set", &set).finish()
    }
}

impl WindowSet {
    /// The set of `windows`.
    pub fn new(windows: impl IntoIterator<Item = [u8; 3]>) -> WindowSet {
        let mut words = vec![0u32; 1 << (WINDOW_HASH_BITS - 5)].into_boxed_slice();
        for w in windows {
            let h = window_hash(fold_window(w));
            words[(h >> 5) as usize] |= 1 << (h & 31);
        }
        WindowSet { words }
    }

    /// Whether `window` may be in the set (case folded).
    #[inline(always)]
    pub fn may_contain(&self, window: [u8; 3]) -> bool {
        let h = window_hash(fold_window(window));
        (self.words[(h >> 5) as usize] >> (h & 31)) & 1 != 0
    }
}

/// Appends to `out`, in increasing order, every position `i` of `content` whose window
/// `content[i..i + 3]` the set may contain, with the fastest kernel this CPU has. Positions
/// are `u32`: `content` must be shorter than 4 GiB (the detector gives blocks of 64 KiB).
#[inline]
pub fn window_candidates(set: &WindowSet, content: &[u8], out: &mut Vec<u32>) {
    WindowKernel::best().run(set, content, out);
}

/// The portable twin of [`window_candidates`].
pub fn window_candidates_portable(set: &WindowSet, content: &[u8], out: &mut Vec<u32>) {
    WindowKernel::Portable.run(set, content, out);
}

/// The implementations of [`window_candidates`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowKernel {
    /// x86-64 with AVX-512 F, BW and VBMI.
    Avx512,
    /// x86-64 with AVX2.
    Avx2,
    /// Safe scalar code, everywhere.
    Portable,
}

impl WindowKernel {
    /// The kernels this CPU runs, fastest first (the portable one last).
    pub fn available() -> Vec<WindowKernel> {
        let mut kernels = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if x86::has_avx512() {
                kernels.push(WindowKernel::Avx512);
            }
            if std::is_x86_feature_detected!("avx2") {
                kernels.push(WindowKernel::Avx2);
            }
        }
        kernels.push(WindowKernel::Portable);
        kernels
    }

    /// The fastest kernel this CPU runs.
    #[inline]
    pub fn best() -> WindowKernel {
        #[cfg(target_arch = "x86_64")]
        {
            if x86::has_avx512() {
                return WindowKernel::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") {
                return WindowKernel::Avx2;
            }
        }
        WindowKernel::Portable
    }

    /// [`window_candidates`] with this kernel, or with the portable one where the CPU lacks
    /// this one's features.
    pub fn run(self, set: &WindowSet, content: &[u8], out: &mut Vec<u32>) {
        assert!(u32::try_from(content.len()).is_ok(), "window candidates take less than 4 GiB");
        #[cfg(target_arch = "x86_64")]
        let done = match self {
            WindowKernel::Avx512 if x86::has_avx512() => {
                // SAFETY: the CPU has AVX-512 F, BW and VBMI (detected just above), the
                // kernel's `target_feature`s; it reads `content` within its bounds and the
                // set's words at the positions of hashes, which all have one.
                unsafe { x86::window_candidates_avx512(set, content, out) }
            }
            WindowKernel::Avx2 if std::is_x86_feature_detected!("avx2") => {
                // SAFETY: the CPU supports AVX2 (detected just above); the kernel's reads are
                // those of the AVX-512 one.
                unsafe { x86::window_candidates_avx2(set, content, out) }
            }
            _ => 0,
        };
        #[cfg(not(target_arch = "x86_64"))]
        let done = 0;
        window_candidates_from(set, content, done, out);
    }
}

/// [`window_candidates`] for the positions from `start` on, one at a time.
#[inline]
fn window_candidates_from(set: &WindowSet, content: &[u8], start: usize, out: &mut Vec<u32>) {
    let n = content.len();
    let mut i = start;
    // Four bytes read at once while they are there (the fourth is folded away).
    while i + 4 <= n {
        let word = u32::from_le_bytes([content[i], content[i + 1], content[i + 2], content[i + 3]]);
        let h = window_hash(word & FOLD);
        if (set.words[(h >> 5) as usize] >> (h & 31)) & 1 != 0 {
            out.push(i as u32);
        }
        i += 1;
    }
    if i + 3 == n && set.may_contain([content[i], content[i + 1], content[i + 2]]) {
        out.push(i as u32);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_sub_epi8,
    };

    use super::{
        ChunkMasks, FOLD, MASK_BYTES, MULTIPLIER, WINDOW_HASH_BITS, WindowSet, portable_mask,
    };

    /// Whether the CPU has what [`window_candidates_avx512`] needs.
    #[inline]
    pub(super) fn has_avx512() -> bool {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vbmi")
    }

    /// [`super::window_candidates`] with AVX-512, 64 positions per step while 112 bytes are
    /// left to read; returns where it stopped, for the portable loop to finish.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512 F, BW and VBMI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    pub(super) unsafe fn window_candidates_avx512(
        set: &WindowSet,
        content: &[u8],
        out: &mut Vec<u32>,
    ) -> usize {
        use std::arch::x86_64::{
            _mm_cvtsi32_si128, _mm512_and_si512, _mm512_i32gather_epi32, _mm512_loadu_si512,
            _mm512_mullo_epi32, _mm512_permutexvar_epi8, _mm512_set1_epi32, _mm512_srl_epi32,
            _mm512_srli_epi32, _mm512_srlv_epi32, _mm512_test_epi32_mask,
        };
        // Lane `l` (four bytes) takes bytes `l`, `l + 1` and `l + 2` of the 64 loaded, and
        // byte 63 as its fourth, folded away.
        let mut index = [63u8; 64];
        for lane in 0..16 {
            for b in 0..3 {
                index[4 * lane + b] = (lane + b) as u8;
            }
        }
        // SAFETY: `index` is 64 bytes, what an unaligned 512-bit load reads.
        let index = unsafe { _mm512_loadu_si512(index.as_ptr().cast()) };
        let fold = _mm512_set1_epi32(FOLD as i32);
        let multiplier = _mm512_set1_epi32(MULTIPLIER as i32);
        let shift = _mm_cvtsi32_si128((32 - WINDOW_HASH_BITS) as i32);
        let low5 = _mm512_set1_epi32(31);
        let one = _mm512_set1_epi32(1);
        let words = set.words.as_ptr().cast::<i32>();
        let mut i = 0;
        while i + 112 <= content.len() {
            let mut found = 0u64;
            for k in 0..4 {
                // SAFETY: bytes `i + 16 k .. i + 16 k + 64` are within `content` (the loop
                // reads up to `i + 112`).
                let bytes = unsafe { _mm512_loadu_si512(content.as_ptr().add(i + 16 * k).cast()) };
                let window = _mm512_and_si512(_mm512_permutexvar_epi8(index, bytes), fold);
                let hash = _mm512_srl_epi32(_mm512_mullo_epi32(window, multiplier), shift);
                // SAFETY: each lane's word index is its hash over 32, below
                // `2^(WINDOW_HASH_BITS - 5)`, the number of the set's words.
                let word =
                    unsafe { _mm512_i32gather_epi32::<4>(_mm512_srli_epi32::<5>(hash), words) };
                let bit = _mm512_srlv_epi32(word, _mm512_and_si512(hash, low5));
                found |= u64::from(_mm512_test_epi32_mask(bit, one)) << (16 * k);
            }
            while found != 0 {
                out.push((i + found.trailing_zeros() as usize) as u32);
                found &= found - 1;
            }
            i += 64;
        }
        i
    }

    /// [`super::window_candidates`] with AVX2, 32 positions per step while 44 bytes are left
    /// to read; returns where it stopped, for the portable loop to finish.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn window_candidates_avx2(
        set: &WindowSet,
        content: &[u8],
        out: &mut Vec<u32>,
    ) -> usize {
        use std::arch::x86_64::{
            _mm_cvtsi32_si128, _mm_loadu_si128, _mm256_and_si256, _mm256_castsi128_si256,
            _mm256_castsi256_ps, _mm256_i32gather_epi32, _mm256_inserti128_si256,
            _mm256_movemask_ps, _mm256_mullo_epi32, _mm256_set1_epi32, _mm256_setr_epi8,
            _mm256_shuffle_epi8, _mm256_slli_epi32, _mm256_srl_epi32, _mm256_srli_epi32,
            _mm256_srlv_epi32,
        };
        // Each 128-bit half holds 16 bytes from a position; its four lanes take bytes
        // `l .. l + 3` (the fourth byte zeroed).
        let index = _mm256_setr_epi8(
            0, 1, 2, -1, 1, 2, 3, -1, 2, 3, 4, -1, 3, 4, 5, -1, 0, 1, 2, -1, 1, 2, 3, -1, 2, 3, 4,
            -1, 3, 4, 5, -1,
        );
        let fold = _mm256_set1_epi32(FOLD as i32);
        let multiplier = _mm256_set1_epi32(MULTIPLIER as i32);
        let shift = _mm_cvtsi32_si128((32 - WINDOW_HASH_BITS) as i32);
        let low5 = _mm256_set1_epi32(31);
        let one = _mm256_set1_epi32(1);
        let words = set.words.as_ptr().cast::<i32>();
        let mut i = 0;
        while i + 44 <= content.len() {
            let mut found = 0u32;
            for k in 0..4 {
                let at = i + 8 * k;
                // SAFETY: bytes `at .. at + 20` are within `content` (the loop reads up to
                // `i + 44`); each load reads 16.
                let (lo, hi) = unsafe {
                    (
                        _mm_loadu_si128(content.as_ptr().add(at).cast()),
                        _mm_loadu_si128(content.as_ptr().add(at + 4).cast()),
                    )
                };
                let bytes = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(lo), hi);
                let window = _mm256_and_si256(_mm256_shuffle_epi8(bytes, index), fold);
                let hash = _mm256_srl_epi32(_mm256_mullo_epi32(window, multiplier), shift);
                // SAFETY: as in the AVX-512 kernel, every word index is below the number of
                // the set's words.
                let word =
                    unsafe { _mm256_i32gather_epi32::<4>(words, _mm256_srli_epi32::<5>(hash)) };
                let bit =
                    _mm256_and_si256(_mm256_srlv_epi32(word, _mm256_and_si256(hash, low5)), one);
                let mask = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32::<31>(bit)));
                found |= (mask as u32) << (8 * k);
            }
            while found != 0 {
                out.push((i + found.trailing_zeros() as usize) as u32);
                found &= found - 1;
            }
            i += 32;
        }
        i
    }

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

    /// The positions of `content`'s windows in `set`, one at a time, the definition.
    fn naive_windows(set: &WindowSet, content: &[u8]) -> Vec<u32> {
        (0..content.len().saturating_sub(2))
            .filter(|&i| set.may_contain([content[i], content[i + 1], content[i + 2]]))
            .map(|i| i as u32)
            .collect()
    }

    fn windows_with(
        content: &[u8],
        f: fn(&WindowSet, &[u8], &mut Vec<u32>),
        set: &WindowSet,
    ) -> Vec<u32> {
        let mut out = Vec::new();
        f(set, content, &mut out);
        out
    }

    #[test]
    fn a_window_set_holds_its_windows_in_either_case_and_little_else() {
        let set = WindowSet::new([*b"akI", *b"xo-", *b"q$z"]);
        for w in [b"aki", b"AKI", b"aKi", b"xo-", b"XO-", b"q$z", b"Q$Z"] {
            assert!(set.may_contain(*w), "{w:?}");
        }
        // Folding only clears bit 5: `-` (0x2d) and `\r` (0x0d) fold together, so `xo\r` may
        // be there; most windows are not.
        assert!(set.may_contain(*b"xo\r"));
        let all: Vec<u8> = (0..=255).collect();
        let text = bytes(7, 100_000, &all);
        let hits = naive_windows(&set, &text).len();
        assert!(hits < 100, "{hits} of 100,000 random windows");
    }

    #[test]
    fn the_window_kernels_agree_with_their_definition() {
        let all: Vec<u8> = (0..=255).collect();
        let letters = b"akiAKIxo-_:/ 0\n";
        for (seed, alphabet) in [(3, &all[..]), (4, letters.as_slice())] {
            for len in [0, 1, 2, 3, 4, 43, 44, 45, 111, 112, 113, 200, 4099] {
                let content = bytes(seed + len as u64, len, alphabet);
                // A set of some of the content's own windows and some others.
                let mut windows: Vec<[u8; 3]> =
                    content.windows(3).step_by(5).map(|w| [w[0], w[1], w[2]]).collect();
                windows.extend([*b"aki", *b"-_:"]);
                let set = WindowSet::new(windows);
                let want = naive_windows(&set, &content);
                for skip in [0, 1, 7, 33, 64] {
                    let part = content.get(skip..).unwrap_or_default();
                    let want: Vec<u32> = want
                        .iter()
                        .filter(|&&i| i as usize >= skip)
                        .map(|&i| i - skip as u32)
                        .collect();
                    assert_eq!(
                        windows_with(part, window_candidates, &set),
                        want,
                        "len {len} skip {skip}"
                    );
                    assert_eq!(windows_with(part, window_candidates_portable, &set), want);
                }
            }
        }
    }

    #[test]
    fn every_byte_value_at_every_lane_is_folded_as_the_definition_says() {
        // Every window position of a 128-byte step (both kernels' steps and their seams), each
        // holding every byte value in turn, in a set of windows with that byte in every place.
        for b in 0..=255u8 {
            let set = WindowSet::new([[b, b'k', b'i'], [b'a', b, b'i'], [b'a', b'k', b]]);
            for at in 0..130 {
                let mut content = vec![b'a'; 256];
                content[at] = b;
                let want = naive_windows(&set, &content);
                for kernel in WindowKernel::available() {
                    let mut got = Vec::new();
                    kernel.run(&set, &content, &mut got);
                    assert_eq!(got, want, "{kernel:?}: byte {b:#04x} at {at}");
                }
            }
        }
    }
}
