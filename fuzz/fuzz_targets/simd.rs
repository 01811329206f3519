//! The SIMD kernels of `keysentry::detect::simd` against their portable twins: for arbitrary
//! bytes, at every offset into them (unaligned loads) and with outputs shorter and longer than
//! the content, the kernel the CPU runs and the portable code give the same masks.
#![no_main]

use keysentry::detect::simd::{ChunkMasks, MASK_BYTES, base64_masks, base64_masks_portable};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for skip in [0, 1, 31, 33] {
        let part = data.get(skip..).unwrap_or_default();
        let enough = part.len().div_ceil(MASK_BYTES);
        for chunks in [0, 1, enough, enough + 2] {
            let mut simd = vec![ChunkMasks::default(); chunks];
            let mut portable = simd.clone();
            base64_masks(part, &mut simd);
            base64_masks_portable(part, &mut portable);
            assert_eq!(simd, portable, "skip {skip}, {chunks} chunks");
        }
    }
});
