//! Rig descriptions: any bytes are either refused with an error or accepted as a valid rig.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lightloop_rig::{DescKind, Document, Rig, Validate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(doc) = Document::from_text(DescKind::Rig, "fuzz.toml", text, None) {
        if let Ok(rig) = doc.parse::<Rig>() {
            assert!(rig.problems().is_empty());
        }
    }
});
