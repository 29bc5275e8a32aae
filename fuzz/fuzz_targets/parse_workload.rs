//! Workload descriptions: any bytes are either refused with an error or accepted as valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lightloop_rig::{DescKind, Document, Validate, Workload};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(doc) = Document::from_text(DescKind::Workload, "fuzz.toml", text, None) {
        if let Ok(wl) = doc.parse::<Workload>() {
            assert!(wl.problems().is_empty());
        }
    }
});
