//! Decoded views (`keysentry::detect::decode`) of arbitrary bytes. Besides not panicking:
//!
//! - every view's pieces cover its bytes in order, without gaps or overlap, and point into
//!   the content, in order;
//! - views nest at most `MAX_DEPTH` deep and together hold at most `MAX_VIEW_RATIO` times the
//!   content plus the slack (the work stays linear);
//! - a range of any view maps to a range of the content;
//! - views near every offset are the views of the whole (literal joining gated by keyword
//!   positions never finds more than ungated).
#![no_main]

use keysentry::detect::decode::{MAX_DEPTH, MAX_VIEW_RATIO, VIEW_SLACK, views, views_near};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    views(data, &mut out);
    let total: usize = out.iter().map(|v| v.bytes.len()).sum();
    assert!(total <= data.len() * MAX_VIEW_RATIO + VIEW_SLACK, "views hold {total} bytes");
    for v in &out {
        assert!(v.depth() >= 1 && v.depth() <= MAX_DEPTH, "depth {}", v.depth());
        let mut at = 0;
        let mut orig = 0;
        for p in v.pieces() {
            assert_eq!(p.view.start, at, "pieces leave a gap or overlap");
            assert!(p.view.start <= p.view.end);
            assert!(p.original.start <= p.original.end && p.original.end <= data.len());
            assert!(p.original.start >= orig, "pieces out of order");
            orig = p.original.end;
            at = p.view.end;
        }
        assert_eq!(at, v.bytes.len(), "pieces do not cover the view");
        let n = v.bytes.len();
        for (s, e) in [(0, n), (n / 3, n / 2), (n / 2, n / 2)] {
            let r = v.original(s..e);
            assert!(r.start <= r.end && r.end <= data.len(), "{r:?}");
            let _ = v.encoding_of(s..e);
        }
    }
    let everywhere: Vec<usize> = (0..data.len()).collect();
    let mut near = Vec::new();
    views_near(data, Some(&everywhere), &mut near);
    let mut none = Vec::new();
    views_near(data, Some(&[]), &mut none);
    assert!(none.len() <= out.len() && near.len() <= out.len());
});
