//! Property tests of the description parsers: arbitrary and mutated input never panics, and
//! whatever is accepted passes validation. (`fuzz/` holds the coverage-guided cargo-fuzz targets
//! for the same entry points.)

use lightloop_rig::document::{DescKind, Document};
use lightloop_rig::presets::PRESETS;
use lightloop_rig::units::{dim, parse_quantity};
use lightloop_rig::{Gpu, Rig, Validate, Workload};
use proptest::prelude::*;

/// Parses `text` as `kind`; on success the value must have no validation problems.
fn parse_checked(kind: DescKind, text: &str) {
    let Ok(doc) = Document::from_text(kind, "fuzz.toml", text, None) else {
        return;
    };
    match kind {
        DescKind::Rig => {
            if let Ok(v) = doc.parse::<Rig>() {
                assert!(v.problems().is_empty());
            }
        }
        DescKind::Workload => {
            if let Ok(v) = doc.parse::<Workload>() {
                assert!(v.problems().is_empty());
            }
        }
        DescKind::Gpu => {
            if let Ok(v) = doc.parse::<Gpu>() {
                assert!(v.problems().is_empty());
            }
        }
        DescKind::Deployment => {
            if let Ok(v) = doc.parse::<lightloop_rig::Deployment>() {
                assert!(v.problems().is_empty());
            }
        }
    }
}

const TOKENS: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "-",
    "[",
    "]",
    "=",
    "\"",
    "'",
    "1e999",
    "1e-999",
    "dBm",
    "µ",
    "Ω",
    "\n",
    "\n[laser]\n",
    "extends = \"seed-16ch\"\n",
    "extends = \"single-channel\"\n",
    "0",
    "-1",
    "0x10",
    "{",
    "}",
    ",",
    ".",
    "#",
    "\"\"\"",
    "18446744073709551616",
    "4294967296",
    "true",
    " dB",
    " ns",
    "%",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
    Digit(usize, char),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, t)| Mutation::Insert(a, t)),
        (any::<usize>(), 0usize..80).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
        (any::<usize>(), prop::char::range('0', '9')).prop_map(|(a, c)| Mutation::Digit(a, c)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(mut s: String, m: &Mutation) -> String {
    match *m {
        Mutation::Delete(a, n) => {
            let i = boundary(&s, a);
            let j = boundary(&s, (i + n).min(s.len()));
            s.replace_range(i..j.max(i), "");
        }
        Mutation::Insert(a, t) => {
            let i = boundary(&s, a);
            s.insert_str(i, TOKENS[t]);
        }
        Mutation::Duplicate(a, n) => {
            let i = boundary(&s, a);
            let j = boundary(&s, (i + n).min(s.len()));
            let piece = s[i..j.max(i)].to_string();
            s.insert_str(i, &piece);
        }
        Mutation::Digit(a, c) => {
            let digits: Vec<usize> = s
                .char_indices()
                .filter(|(_, ch)| ch.is_ascii_digit())
                .map(|(i, _)| i)
                .collect();
            if !digits.is_empty() {
                let i = digits[a % digits.len()];
                s.replace_range(i..i + 1, &c.to_string());
            }
        }
        Mutation::Truncate(a) => {
            let i = boundary(&s, a);
            s.truncate(i);
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn mutated_presets_never_panic(which in 0..PRESETS.len(), muts in prop::collection::vec(mutation(), 1..6)) {
        let p = &PRESETS[which];
        let text = muts.iter().fold(p.text.to_string(), apply);
        parse_checked(p.kind, &text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        for kind in [DescKind::Rig, DescKind::Workload, DescKind::Gpu, DescKind::Deployment] {
            parse_checked(kind, &text);
        }
    }

    #[test]
    fn arbitrary_toml_shaped_text_never_panics(lines in prop::collection::vec("[a-z_.\\[\\]]{1,12} ?= ?(\"[0-9a-zA-Zµ .%-]{0,10}\"|[0-9.e+-]{1,8}|true|\\[\\])", 0..20)) {
        let text = lines.join("\n");
        for kind in [DescKind::Rig, DescKind::Workload, DescKind::Gpu, DescKind::Deployment] {
            parse_checked(kind, &text);
        }
    }

    #[test]
    fn quantities_parse_or_refuse(s in ".{0,24}") {
        if let Ok(v) = parse_quantity::<dim::Power>(&s) {
            prop_assert!(v.is_finite());
        }
        if let Ok(v) = parse_quantity::<dim::Time>(&s) {
            prop_assert!(v.is_finite());
        }
        if let Ok(v) = parse_quantity::<dim::Decibel>(&s) {
            prop_assert!(v.is_finite());
        }
    }
}
