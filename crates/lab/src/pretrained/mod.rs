//! Real pretrained transformers with their linear layers on the rig's optical twin
//! (`lightloop-models`): SmolLM2-135M scored by perplexity on a real English text and
//! all-MiniLM-L6-v2 by its sentence embeddings, digital against optical, with the energy ledger of
//! the mapping beside the GPUs ([`eval`]); one SmolLM2 FFN rolled K times around the loop and
//! distilled ([`retrofit`]); and the speed of the simulated forward pass ([`speed`]).
//!
//! The models' files come from the cache that `lightloop model fetch` fills
//! ([`lightloop_models::fetch`]), or from a folder named in the configuration.
//!
//! Each is a module with a `Config` (its `Default` the command line's defaults, `validate`
//! naming the bad field), `run(&config, &rig, progress)` and an `Outcome` of serialisable rows
//! (as written to CSV), a summary (the references the figures are judged against, and whether each
//! setting works: [`verdict`]), and plot specifications.

pub mod eval;
pub mod retrofit;
pub mod speed;
pub mod verdict;

pub use verdict::{Verdict, Works};

use crate::LabError;
use lightloop_models::eval::{self as measure, Tokenizer};
use lightloop_models::fetch::{self, Catalogued};
use lightloop_rig::{InputError, InputErrors, OpticalOp, Problem};
use std::path::{Path, PathBuf};

/// The names of the linear layers that can run on the optics, as the workload files write them.
pub const OP_NAMES: [&str; 5] = ["qkv", "attn-out", "ffn-up", "ffn-down", "lm-head"];

/// The name of an optical operation as the workload files write it (`qkv`, `attn-out`, ...).
pub fn op_name(op: OpticalOp) -> &'static str {
    match op {
        OpticalOp::Qkv => "qkv",
        OpticalOp::AttnOut => "attn-out",
        OpticalOp::FfnUp => "ffn-up",
        OpticalOp::FfnDown => "ffn-down",
        OpticalOp::LmHead => "lm-head",
    }
}

/// The optical operation named `name` (one of [`OP_NAMES`]).
pub fn op_from_name(name: &str) -> Option<OpticalOp> {
    match name {
        "qkv" => Some(OpticalOp::Qkv),
        "attn-out" => Some(OpticalOp::AttnOut),
        "ffn-up" => Some(OpticalOp::FfnUp),
        "ffn-down" => Some(OpticalOp::FfnDown),
        "lm-head" => Some(OpticalOp::LmHead),
        _ => None,
    }
}

/// The names of `ops` joined by ", ".
fn op_list(ops: &[OpticalOp]) -> String {
    ops.iter()
        .map(|o| op_name(*o))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The catalogue entry of `model` (`smollm2`, `minilm`, or one of their long names), or a
/// configuration error naming the field `model`.
fn catalogued(model: &str) -> Result<&'static Catalogued, LabError> {
    fetch::catalogued(model).map_err(|e| LabError::config("model", e.to_string()))
}

/// The folder holding `model`'s files, with every file the model needs in it: `dir` when given,
/// else the model's folder in the cache (an error saying how to fetch it when it is not there).
pub fn locate(model: &str, dir: Option<&Path>) -> Result<(&'static Catalogued, PathBuf), LabError> {
    let c = catalogued(model)?;
    let dir = match dir {
        None => fetch::locate(&fetch::cache_root()?, c)?,
        Some(d) => match c.files.iter().find(|(_, name)| !d.join(name).is_file()) {
            None => d.to_path_buf(),
            Some((_, missing)) => {
                return Err(LabError::Data(format!(
                    "{}: no {missing} (model `{}` needs {})",
                    d.display(),
                    c.name,
                    c.files.iter().map(|f| f.1).collect::<Vec<_>>().join(", ")
                )));
            }
        },
    };
    Ok((c, dir))
}

/// Problems of a description derived in memory, as input errors from `origin`.
fn derived(origin: &str, problems: Vec<Problem>) -> LabError {
    LabError::Input(InputErrors(
        problems
            .into_iter()
            .map(|p| InputError {
                key: (!p.key.is_empty()).then_some(p.key),
                ..InputError::bare(p.kind, origin, p.message)
            })
            .collect(),
    ))
}

/// The first `tokens` token ids of data/english.txt after `offset` characters; a shortfall is
/// an error of the configuration field `field` (the one that asked for the tokens), an offset
/// past the end one of `offset`.
fn english_ids(
    tok: &Tokenizer,
    offset: usize,
    tokens: usize,
    field: &'static str,
) -> Result<Vec<u32>, LabError> {
    let text = lightloop_nn::datasets::english_text();
    let start = text
        .char_indices()
        .nth(offset)
        .map(|(i, _)| i)
        .ok_or_else(|| {
            LabError::config(
                "offset",
                format!(
                    "{offset} is past the end of the text ({} characters)",
                    text.chars().count()
                ),
            )
        })?;
    // Tokenize a prefix long enough for `tokens` tokens and one more (so that the cut at its
    // end, inside a word, cannot change the tokens kept), doubling it as needed, rather than
    // the whole rest of the text.
    let mut len = (tokens + 1) * 8;
    let mut ids = loop {
        let mut end = (start + len).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let ids = measure::encode(tok, &text[start..end], false)?;
        if ids.len() > tokens || end == text.len() {
            break ids;
        }
        len *= 2;
    };
    if ids.len() < tokens {
        return Err(LabError::config(
            field,
            format!(
                "the text has only {} tokens after character {offset}, not {tokens}",
                ids.len()
            ),
        ));
    }
    ids.truncate(tokens);
    Ok(ids)
}
