//! # lightloop-models
//!
//! Real pretrained transformers with chosen linear layers run through the optical twin of a rig:
//! SmolLM2-135M-Instruct (Llama architecture, read from GGUF) and all-MiniLM-L6-v2 (BERT, read
//! from safetensors). The forward passes are written here, on candle tensors, so that every
//! linear layer can be swapped for its optical twin ([`linear`]); attention, softmax, norms and
//! embeddings stay digital. Perplexity, sentence-embedding similarity and the energy/time ledger
//! per token of exactly that mapping (from the cost model) are in [`eval`]. Users' own networks
//! come in as ONNX models ([`onnx`]), their dense and convolution layers on the twin.

pub mod bert;
pub mod eval;
pub mod fetch;
pub mod linear;
pub mod llama;
pub mod onnx;
pub mod reference;
pub mod retrofit;

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: String, message: String },
    #[error("{0}")]
    Unknown(String),
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    Fetch(String),
    #[error("{0}")]
    Invalid(String),
    /// An ONNX model that cannot be read or run (malformed bytes, an unsupported operator or
    /// type), naming what is wrong.
    #[error("ONNX model: {0}")]
    Onnx(String),
    #[error("tensor computation: {0}")]
    Candle(#[from] candle_core::Error),
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
    pub fn format(path: &Path, message: impl Into<String>) -> Self {
        Error::Format {
            path: path.display().to_string(),
            message: message.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
