//! The SIMD kernels of `keysentry::detect::simd` against their portable twins: for arbitrary
//! bytes, at every offset into them (unaligned loads) and with outputs shorter and longer than
//! the content, the kernel the CPU runs and the portable code give the same masks; and every
//! window kernel the CPU has gives the positions of the portable one, for a set of windows
//! taken from the input itself.
#![no_main]

use keysentry::detect::simd::{
    ChunkMasks, MASK_BYTES, WindowKernel, WindowSet, base64_masks, base64_masks_portable,
    window_candidates_portable,
};
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
    // The first bytes name the windows (every third window of the first 96 bytes).
    let head = &data[..data.len().min(96)];
    let set = WindowSet::new(head.windows(3).step_by(3).map(|w| [w[0], w[1], w[2]]));
    for skip in [0, 1, 45] {
        let part = data.get(skip..).unwrap_or_default();
        let mut want = Vec::new();
        window_candidates_portable(&set, part, &mut want);
        for kernel in WindowKernel::available() {
            let mut got = Vec::new();
            kernel.run(&set, part, &mut got);
            assert_eq!(got, want, "{kernel:?}, skip {skip}");
        }
    }
});
