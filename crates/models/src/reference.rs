//! The independent reference: candle-transformers' own quantised Llama (`quantized_llama`),
//! which runs the GGUF weights in their stored quantisation with its own kernels. It checks the
//! forward pass written here (tests compare logits on small models) and is the "plain digital
//! candle inference" baseline of the speed benchmark.

use crate::{Error, Result};
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;
use std::path::Path;

/// candle-transformers' model of a GGUF Llama file.
pub struct Reference {
    model: ModelWeights,
}

impl Reference {
    pub fn from_gguf(path: &Path) -> Result<Self> {
        let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let ct = candle_core::quantized::gguf_file::Content::read(&mut f)
            .map_err(|e| Error::format(path, format!("not a readable GGUF file: {e}")))?;
        let model = ModelWeights::from_gguf(ct, &mut f, &Device::Cpu)
            .map_err(|e| Error::format(path, format!("candle-transformers: {e}")))?;
        Ok(Self { model })
    }

    /// Logits (vocab) of the token after `ids`, processing the whole window from position 0.
    pub fn last_logits(&mut self, ids: &[u32]) -> Result<Tensor> {
        self.model.clear_kv_cache();
        let x = Tensor::from_vec(ids.to_vec(), (1, ids.len()), &Device::Cpu)?;
        Ok(self.model.forward(&x, 0)?.squeeze(0)?)
    }
}
