//! Measurements on the models: tokenizers, perplexity over a text, and the sentence-similarity
//! check for the encoder.

use crate::bert::{Bert, cosine};
use crate::llama::Llama;
use crate::{Error, Result};
use candle_core::quantized::gguf_file;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use std::path::Path;
pub use tokenizers::Tokenizer;

/// The byte-level BPE tokenizer stored in a GGUF file's metadata (vocabulary and merges).
///
/// For `tokenizer.ggml.pre = "smollm"` the pre-tokenizer is set as in SmolLM2's published
/// `tokenizer.json`: digits split one by one, then byte-level splitting without a prefix space
/// (candle's generic GPT-2 pipeline would add one).
pub fn gguf_tokenizer(ct: &gguf_file::Content, path: &Path) -> Result<Tokenizer> {
    use tokenizers::pre_tokenizers::{
        PreTokenizerWrapper, byte_level::ByteLevel, digits::Digits, sequence::Sequence,
    };
    let mut t =
        Tokenizer::from_gguf(ct).map_err(|e| Error::format(path, format!("tokenizer: {e}")))?;
    if crate::llama::meta_str(ct, "tokenizer.ggml.pre") == "smollm" {
        let seq: PreTokenizerWrapper = Sequence::new(vec![
            Digits::new(true).into(),
            ByteLevel::new(false, true, true).into(),
        ])
        .into();
        t.with_pre_tokenizer(Some(seq));
    }
    Ok(t)
}

/// A `tokenizer.json` (Hugging Face format) with its padding switched off: sentences are
/// encoded one at a time.
pub fn json_tokenizer(path: &Path) -> Result<Tokenizer> {
    let mut t =
        Tokenizer::from_file(path).map_err(|e| Error::format(path, format!("tokenizer: {e}")))?;
    t.with_padding(None);
    Ok(t)
}

/// Token ids of `text` (with the tokenizer's special tokens when `special`).
pub fn encode(t: &Tokenizer, text: &str, special: bool) -> Result<Vec<u32>> {
    t.encode(text, special)
        .map(|e| e.get_ids().to_vec())
        .map_err(|e| Error::Invalid(format!("tokenizing: {e}")))
}

/// Perplexity of a model over a text.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Perplexity {
    /// Tokens scored (each predicted from the tokens before it in its window).
    pub scored: usize,
    pub windows: usize,
    /// Mean negative log-likelihood per scored token, nats.
    pub nll: f64,
    /// exp(nll).
    pub perplexity: f64,
}

/// Perplexity over `ids` cut into consecutive, non-overlapping windows of `window` tokens
/// (each window starts fresh at position 0, so early tokens of a window see little context: the
/// usual windowed estimate). `progress(done, total)` is called after each window.
pub fn perplexity(
    model: &Llama,
    ids: &[u32],
    window: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Perplexity> {
    if window < 2 {
        return Err(Error::Invalid(format!(
            "a window of {window} tokens scores nothing (at least 2)"
        )));
    }
    let chunks: Vec<&[u32]> = ids.chunks(window).filter(|c| c.len() >= 2).collect();
    if chunks.is_empty() {
        return Err(Error::Invalid(format!(
            "{} tokens: too few to score",
            ids.len()
        )));
    }
    let (mut total, mut n) = (0.0, 0usize);
    for (k, c) in chunks.iter().enumerate() {
        let (s, m) = model.nll(c)?;
        total += s;
        n += m;
        progress(k + 1, chunks.len());
    }
    let nll = total / n as f64;
    Ok(Perplexity {
        scored: n,
        windows: chunks.len(),
        nll,
        perplexity: nll.exp(),
    })
}

/// Sentence pairs for the similarity-ranking check: each sentence's paraphrase is its partner,
/// and the other sentences are the distractors. Written for this check (no external source).
pub const PAIRS: [(&str, &str); 10] = [
    (
        "A man is playing a guitar.",
        "Someone plays an acoustic guitar on stage.",
    ),
    (
        "The cat sleeps on the sofa.",
        "A kitten is napping on the couch.",
    ),
    (
        "Stock markets fell sharply today.",
        "Share prices dropped steeply in today's trading.",
    ),
    (
        "She is cooking pasta for dinner.",
        "A woman prepares spaghetti for the evening meal.",
    ),
    (
        "The train to Paris was delayed.",
        "The Paris-bound train arrived late.",
    ),
    (
        "Heavy rain flooded the streets.",
        "The roads were under water after the downpour.",
    ),
    (
        "He fixed the bicycle's flat tyre.",
        "The man repaired a punctured bike wheel.",
    ),
    (
        "Children are playing football in the park.",
        "Kids kick a ball around on the grass.",
    ),
    (
        "The laser emits light at 1550 nanometres.",
        "The light source operates in the telecom C band.",
    ),
    (
        "The museum opens at nine in the morning.",
        "Visitors can enter the gallery from 9 a.m.",
    ),
];

/// Result of the sentence check for one model setting.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SentenceCheck {
    /// Cosine similarity of each sentence's embedding to the digital model's embedding of it.
    pub to_digital: Vec<f64>,
    /// Fraction of sentences whose paraphrase is the most similar of all the other sentences.
    pub ranking_accuracy: f64,
    /// Mean cosine similarity of the paraphrase pairs.
    pub mean_pair_similarity: f64,
}

/// Embeds every sentence of [`PAIRS`] (first of each pair, then second).
pub fn embed_pairs(model: &Bert, tok: &Tokenizer) -> Result<Vec<Vec<f32>>> {
    PAIRS
        .iter()
        .map(|p| p.0)
        .chain(PAIRS.iter().map(|p| p.1))
        .map(|s| model.embed(&encode(tok, s, true)?))
        .collect()
}

/// The check of embeddings `e` against the digital model's `reference` (both from
/// [`embed_pairs`]).
pub fn sentence_check(e: &[Vec<f32>], reference: &[Vec<f32>]) -> SentenceCheck {
    let n = PAIRS.len();
    let to_digital = e.iter().zip(reference).map(|(a, b)| cosine(a, b)).collect();
    let partner = |i: usize| if i < n { i + n } else { i - n };
    let mut hits = 0;
    for i in 0..2 * n {
        let best = (0..2 * n)
            .filter(|&j| j != i)
            .max_by(|&a, &b| cosine(&e[i], &e[a]).total_cmp(&cosine(&e[i], &e[b])))
            .expect("more than one sentence");
        hits += usize::from(best == partner(i));
    }
    let mean_pair_similarity = (0..n).map(|i| cosine(&e[i], &e[i + n])).sum::<f64>() / n as f64;
    SentenceCheck {
        to_digital,
        ranking_accuracy: hits as f64 / (2 * n) as f64,
        mean_pair_similarity,
    }
}
