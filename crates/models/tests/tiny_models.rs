//! Small models written by the tests themselves in the real formats (GGUF with a byte-level BPE
//! tokenizer in its metadata; safetensors + config.json + tokenizer.json), exercising the
//! loading, forward and optical-mapping code without the real downloads.

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{Device, IndexOp, Tensor};
use lightloop_models::bert::{Bert, cosine};
use lightloop_models::eval;
use lightloop_models::linear::{AdcRange, Optics, Weights};
use lightloop_models::llama::Llama;
use lightloop_rig::Derive;
use lightloop_rig::workload::OpticalOp;
use std::collections::HashMap;
use std::path::Path;

const ALL_OPS: [OpticalOp; 4] = [
    OpticalOp::Qkv,
    OpticalOp::AttnOut,
    OpticalOp::FfnUp,
    OpticalOp::FfnDown,
];

/// Deterministic pseudo-random values in [−scale, scale].
fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) as f32 / (1u64 << 31) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

fn tensor(rows: usize, cols: usize, seed: u64, scale: f32) -> Tensor {
    Tensor::from_vec(values(rows * cols, seed, scale), (rows, cols), &Device::Cpu).unwrap()
}

/// GPT-2's byte-to-character map (bytes that print as themselves keep their character).
fn byte_chars() -> Vec<String> {
    let keep =
        |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
    let mut n = 0;
    (0u32..256)
        .map(|b| {
            if keep(b) {
                char::from_u32(b).unwrap().to_string()
            } else {
                n += 1;
                char::from_u32(255 + n).unwrap().to_string()
            }
        })
        .collect()
}

struct TinyLlama {
    kv_heads: usize,
    zero_embedding: bool,
}

const D: usize = 64;
const HEADS: usize = 4;
const HD: usize = D / HEADS;
const FF: usize = 128;
const LAYERS: usize = 2;

/// Writes a 2-layer Llama (d 64: the reference's Q4_1 kernel needs rows of whole block pairs) with a 257-token vocabulary (256 bytes + "he") to `path`. The key
/// weights of KV head j are those of head j·kv/2 of a 2-KV-head model with the same seed, so
/// models with 2 and 4 KV heads compute the same function.
fn write_llama(path: &Path, m: &TinyLlama) {
    let mut tokens = byte_chars();
    tokens.push("he".into());
    let vocab = tokens.len();
    let tokens_v = gguf_file::Value::Array(
        tokens
            .iter()
            .map(|t| gguf_file::Value::String(t.clone()))
            .collect(),
    );
    let merges = gguf_file::Value::Array(vec![gguf_file::Value::String("h e".into())]);
    let s = |v: &str| gguf_file::Value::String(v.into());
    let u = gguf_file::Value::U32;
    let md: Vec<(&str, gguf_file::Value)> = vec![
        ("general.architecture", s("llama")),
        ("llama.block_count", u(LAYERS as u32)),
        ("llama.attention.head_count", u(HEADS as u32)),
        ("llama.attention.head_count_kv", u(m.kv_heads as u32)),
        ("llama.feed_forward_length", u(FF as u32)),
        ("llama.context_length", u(64)),
        ("llama.embedding_length", u(D as u32)),
        ("llama.rope.dimension_count", u(HD as u32)),
        (
            "llama.attention.layer_norm_rms_epsilon",
            gguf_file::Value::F32(1e-5),
        ),
        ("llama.rope.freq_base", gguf_file::Value::F32(10_000.0)),
        ("tokenizer.ggml.model", s("gpt2")),
        ("tokenizer.ggml.pre", s("smollm")),
        ("tokenizer.ggml.tokens", tokens_v),
        ("tokenizer.ggml.merges", merges),
    ];
    let embed = if m.zero_embedding {
        Tensor::zeros((vocab, D), candle_core::DType::F32, &Device::Cpu).unwrap()
    } else {
        tensor(vocab, D, 1, 1.0)
    };
    let mut ts: Vec<(String, QTensor)> = vec![];
    let f32q = |t: &Tensor| QTensor::quantize(t, GgmlDType::F32).unwrap();
    ts.push(("token_embd.weight".into(), f32q(&embed)));
    ts.push((
        "output_norm.weight".into(),
        f32q(&Tensor::ones(D, candle_core::DType::F32, &Device::Cpu).unwrap()),
    ));
    // K and V of a 2-KV-head model, expanded to `kv_heads` heads.
    let expand = |t: Tensor| -> Tensor {
        if m.kv_heads == 2 {
            return t;
        }
        let rep = m.kv_heads / 2;
        let heads: Vec<Tensor> = (0..m.kv_heads)
            .map(|j| t.narrow(0, (j / rep) * HD, HD).unwrap())
            .collect();
        Tensor::cat(&heads, 0).unwrap()
    };
    for i in 0..LAYERS {
        let b = 100 * (i as u64 + 1);
        let norm = Tensor::from_vec(
            values(D, b, 0.2)
                .iter()
                .map(|v| 1.0 + v)
                .collect::<Vec<_>>(),
            D,
            &Device::Cpu,
        )
        .unwrap();
        ts.push((format!("blk.{i}.attn_norm.weight"), f32q(&norm)));
        ts.push((format!("blk.{i}.ffn_norm.weight"), f32q(&norm)));
        ts.push((
            format!("blk.{i}.attn_q.weight"),
            f32q(&tensor(D, D, b + 1, 0.3)),
        ));
        ts.push((
            format!("blk.{i}.attn_k.weight"),
            f32q(&expand(tensor(2 * HD, D, b + 2, 0.3))),
        ));
        ts.push((
            format!("blk.{i}.attn_v.weight"),
            f32q(&expand(tensor(2 * HD, D, b + 3, 0.3))),
        ));
        ts.push((
            format!("blk.{i}.attn_output.weight"),
            f32q(&tensor(D, D, b + 4, 0.2)),
        ));
        // One quantised tensor per layer exercises dequantisation (Q4_1 blocks of 32 along a row).
        ts.push((
            format!("blk.{i}.ffn_gate.weight"),
            QTensor::quantize(&tensor(FF, D, b + 5, 0.3), GgmlDType::Q4_1).unwrap(),
        ));
        ts.push((
            format!("blk.{i}.ffn_up.weight"),
            f32q(&tensor(FF, D, b + 6, 0.3)),
        ));
        ts.push((
            format!("blk.{i}.ffn_down.weight"),
            f32q(&tensor(D, FF, b + 7, 0.2)),
        ));
    }
    let mut f = std::fs::File::create(path).unwrap();
    let md_refs: Vec<(&str, &gguf_file::Value)> = md.iter().map(|(k, v)| (*k, v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = ts.iter().map(|(k, v)| (k.as_str(), v)).collect();
    gguf_file::write(&mut f, &md_refs, &t_refs).unwrap();
}

/// Writes a tiny Llama with `kv_heads` KV heads into `dir` and loads it with its tokenizer.
fn load_llama(dir: &Path, kv_heads: usize, zero_embedding: bool) -> (Llama, eval::Tokenizer) {
    let m = TinyLlama {
        kv_heads,
        zero_embedding,
    };
    let path = dir.join(format!("tiny-{}-{}.gguf", m.kv_heads, m.zero_embedding));
    write_llama(&path, &m);
    let (model, ct) = Llama::from_gguf(&path).unwrap();
    let tok = eval::gguf_tokenizer(&ct, &path).unwrap();
    (model, tok)
}

fn max_abs(a: &Tensor) -> f32 {
    a.abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    max_abs(&(a - b).unwrap())
}

/// The seed rig's converters at `bits` (the ADC keeping its ENOB shortfall of 0.7 bits) with
/// `photons` per input per symbol.
fn optics(photons: f64, bits: u32, weights: Weights, seed: u64) -> Optics {
    let seed_rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
    let rig = seed_rig
        .modified(|r| {
            r.adc = seed_rig.adc.at_bits(bits);
            r.dac.bits = bits;
        })
        .unwrap();
    assert!((rig.adc.enob - (bits as f64 - 0.7)).abs() < 1e-12);
    Optics {
        rig,
        weights,
        photons: Some(photons),
        adc_range: AdcRange::WorstCase,
        seed,
        threads: 1,
    }
}

#[test]
fn gguf_llama_loads_with_its_shape_and_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let (m, tok) = load_llama(dir.path(), 2, false);
    assert_eq!(
        (
            m.config.d_model,
            m.config.layers,
            m.config.heads,
            m.config.kv_heads
        ),
        (D, LAYERS, HEADS, 2)
    );
    assert_eq!((m.config.d_ff, m.config.vocab), (FF, 257));
    let text = "hello there 42";
    let ids = eval::encode(&tok, text, false).unwrap();
    // The merge "h e" is used, digits are split one by one, and no prefix space is added.
    assert!(ids.contains(&256), "{ids:?}");
    assert_eq!(tok.decode(&ids, false).unwrap(), text);
    let logits = m.forward(&ids).unwrap();
    assert_eq!(logits.dims(), &[ids.len(), 257]);
}

#[test]
fn llama_forward_matches_candle_transformers_quantized_llama() {
    // An independent implementation (its own RoPE, GQA, norms and quantised kernels) reading
    // the same file: the next-token logits must agree.
    for kv_heads in [2, 4] {
        let dir = tempfile::tempdir().unwrap();
        let m = TinyLlama {
            kv_heads,
            zero_embedding: false,
        };
        let path = dir.path().join("ref.gguf");
        write_llama(&path, &m);
        let (ours, _) = Llama::from_gguf(&path).unwrap();
        let mut reference = lightloop_models::reference::Reference::from_gguf(&path).unwrap();
        for ids in [
            vec![5u32, 70, 256, 33, 100, 7, 200, 18, 3, 3, 64],
            vec![42u32],
        ] {
            let a = ours.forward(&ids).unwrap().i(ids.len() - 1).unwrap();
            let b = reference.last_logits(&ids).unwrap();
            let scale = max_abs(&b);
            let d = max_abs_diff(&a, &b);
            // The reference quantises activations to 8 bits for its Q4_1 product, hence 2 %.
            assert!(
                d < 0.02 * scale,
                "kv {kv_heads}, {} tokens: {d} (scale {scale})",
                ids.len()
            );
        }
    }
}

#[test]
fn llama_forward_is_causal() {
    let dir = tempfile::tempdir().unwrap();
    let (m, _) = load_llama(dir.path(), 2, false);
    let ids: Vec<u32> = vec![5, 70, 256, 33, 100, 7, 200, 18];
    let long = m.forward(&ids).unwrap();
    let short = m.forward(&ids[..5]).unwrap();
    let d = max_abs_diff(&long.i(..5).unwrap(), &short);
    assert!(d < 1e-4, "later tokens changed earlier logits by {d}");
    // And the last position does depend on the earlier tokens.
    let mut other = ids.clone();
    other[0] = 6;
    let changed = max_abs_diff(
        &m.forward(&other).unwrap().i(7).unwrap(),
        &long.i(7).unwrap(),
    );
    assert!(
        changed > 1e-3,
        "the last logits ignore the first token ({changed})"
    );
}

#[test]
fn grouped_query_attention_equals_attention_with_duplicated_kv_heads() {
    let dir = tempfile::tempdir().unwrap();
    let (gqa, _) = load_llama(dir.path(), 2, false);
    let (mha, _) = load_llama(dir.path(), 4, false);
    let ids: Vec<u32> = vec![1, 99, 42, 256, 17, 3];
    let d = max_abs_diff(&gqa.forward(&ids).unwrap(), &mha.forward(&ids).unwrap());
    assert!(
        d < 1e-4,
        "GQA differs from MHA with duplicated KV heads by {d}"
    );
}

#[test]
fn uniform_logits_give_the_vocabulary_size_as_perplexity() {
    // Zero embedding and tied head: every logit is 0, so every token has probability 1/257.
    let dir = tempfile::tempdir().unwrap();
    let (m, _) = load_llama(dir.path(), 2, true);
    let ids: Vec<u32> = (0..40).map(|k| (k * 7 % 257) as u32).collect();
    let mut calls = 0;
    let p = eval::perplexity(&m, &ids, 16, &mut |_, _| calls += 1).unwrap();
    assert_eq!((p.windows, calls, p.scored), (3, 3, 15 + 15 + 7));
    assert!((p.perplexity - 257.0).abs() < 1e-3, "{}", p.perplexity);
}

#[test]
fn optical_llama_tends_to_the_digital_one_and_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let (mut m, _) = load_llama(dir.path(), 2, false);
    let ids: Vec<u32> = vec![5, 70, 256, 33, 100, 7];
    let digital = m.forward(&ids).unwrap();
    let spread = max_abs(&digital);
    let n = m
        .map(&ALL_OPS, Some(&optics(1e10, 16, Weights::Analog, 1)))
        .unwrap();
    assert_eq!(n, 7 * LAYERS);
    let fine = max_abs_diff(&m.forward(&ids).unwrap(), &digital) / spread;
    m.map(&ALL_OPS, Some(&optics(1e3, 6, Weights::Analog, 1)))
        .unwrap();
    let a = m.forward(&ids).unwrap();
    let coarse = max_abs_diff(&a, &digital) / spread;
    assert!(fine < 0.02, "bright 16-bit optics: relative error {fine}");
    assert!(
        coarse > 5.0 * fine,
        "dim 6-bit optics {coarse} vs bright {fine}"
    );
    // Same seed, same numbers; another seed, other numbers.
    m.map(&ALL_OPS, Some(&optics(1e3, 6, Weights::Analog, 1)))
        .unwrap();
    assert_eq!(max_abs_diff(&m.forward(&ids).unwrap(), &a), 0.0);
    m.map(&ALL_OPS, Some(&optics(1e3, 6, Weights::Analog, 2)))
        .unwrap();
    assert!(max_abs_diff(&m.forward(&ids).unwrap(), &a) > 0.0);
    // Only the chosen layers go optical; back to digital restores the digital logits.
    assert_eq!(
        m.map(
            &[OpticalOp::FfnDown],
            Some(&optics(1e3, 6, Weights::Ternary, 1))
        )
        .unwrap(),
        LAYERS
    );
    m.map(&ALL_OPS, None).unwrap();
    assert_eq!(max_abs_diff(&m.forward(&ids).unwrap(), &digital), 0.0);
}

#[test]
fn a_file_that_is_not_gguf_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.gguf");
    std::fs::write(&p, b"GGUF but truncated").unwrap();
    let e = Llama::from_gguf(&p).err().unwrap().to_string();
    assert!(e.contains("broken.gguf"), "{e}");
}

const WORDS: [&str; 12] = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "man", "is", "playing", "guitar", "the", "cat", ".",
];

fn write_bert(dir: &Path) {
    let (d, f, layers, vocab) = (16usize, 32usize, 2usize, WORDS.len());
    std::fs::write(
        dir.join("config.json"),
        format!(
            r#"{{"hidden_size": {d}, "num_hidden_layers": {layers}, "num_attention_heads": 4,
               "intermediate_size": {f}, "vocab_size": {vocab}, "max_position_embeddings": 32,
               "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}}"#
        ),
    )
    .unwrap();
    let mut t: HashMap<String, Tensor> = HashMap::new();
    let mut seed = 0;
    let mut put = |name: String, rows: usize, cols: usize, scale: f32| {
        seed += 1;
        let v = if cols == 0 {
            Tensor::from_vec(values(rows, seed, scale), rows, &Device::Cpu).unwrap()
        } else {
            tensor(rows, cols, seed, scale)
        };
        t.insert(name, v);
    };
    put("embeddings.word_embeddings.weight".into(), vocab, d, 1.0);
    put("embeddings.position_embeddings.weight".into(), 32, d, 0.1);
    put("embeddings.token_type_embeddings.weight".into(), 2, d, 0.1);
    let norms = |p: &str, t: &mut HashMap<String, Tensor>| {
        t.insert(
            format!("{p}.LayerNorm.weight"),
            Tensor::ones(d, candle_core::DType::F32, &Device::Cpu).unwrap(),
        );
        t.insert(
            format!("{p}.LayerNorm.bias"),
            Tensor::zeros(d, candle_core::DType::F32, &Device::Cpu).unwrap(),
        );
    };
    for i in 0..layers {
        let p = format!("encoder.layer.{i}");
        for (n, rows, cols) in [
            ("attention.self.query", d, d),
            ("attention.self.key", d, d),
            ("attention.self.value", d, d),
            ("attention.output.dense", d, d),
            ("intermediate.dense", f, d),
            ("output.dense", d, f),
        ] {
            put(format!("{p}.{n}.weight"), rows, cols, 0.4);
            put(format!("{p}.{n}.bias"), rows, 0, 0.05);
        }
    }
    norms("embeddings", &mut t);
    for i in 0..layers {
        norms(&format!("encoder.layer.{i}.attention.output"), &mut t);
        norms(&format!("encoder.layer.{i}.output"), &mut t);
    }
    candle_core::safetensors::save(&t, dir.join("model.safetensors")).unwrap();
    // A WordPiece tokenizer with BERT's normaliser and pre-tokeniser.
    use tokenizers::models::wordpiece::WordPiece;
    let vocab_txt = dir.join("vocab.txt");
    std::fs::write(&vocab_txt, WORDS.join("\n")).unwrap();
    let wp = WordPiece::builder()
        .files(vocab_txt.display().to_string())
        .unk_token("[UNK]".into())
        .build()
        .unwrap();
    let mut tok = tokenizers::Tokenizer::new(wp);
    let _ = tok.with_normalizer(Some(
        tokenizers::normalizers::bert::BertNormalizer::default(),
    ));
    tok.with_pre_tokenizer(Some(tokenizers::pre_tokenizers::bert::BertPreTokenizer));
    tok.save(dir.join("tokenizer.json"), false).unwrap();
}

#[test]
fn bert_loads_embeds_unit_vectors_and_tends_to_digital_on_bright_optics() {
    let dir = tempfile::tempdir().unwrap();
    write_bert(dir.path());
    let mut m = Bert::load(dir.path()).unwrap();
    let tok = eval::json_tokenizer(&dir.path().join("tokenizer.json")).unwrap();
    let ids = eval::encode(&tok, "A man is playing the guitar.", false).unwrap();
    assert_eq!(ids, vec![4, 5, 6, 7, 9, 8, 11]);
    let e = m.embed(&ids).unwrap();
    assert_eq!(e.len(), 16);
    let norm: f32 = e.iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5);
    let other = m.embed(&[4, 10, 6, 11]).unwrap();
    assert!(
        cosine(&e, &other) < 0.9999,
        "different sentences, same embedding"
    );
    assert_eq!(
        m.map(&ALL_OPS, Some(&optics(1e10, 16, Weights::Analog, 1)))
            .unwrap(),
        12
    );
    let bright = cosine(&m.embed(&ids).unwrap(), &e);
    m.map(&ALL_OPS, Some(&optics(1e2, 4, Weights::Analog, 1)))
        .unwrap();
    let dim = cosine(&m.embed(&ids).unwrap(), &e);
    assert!(bright > 0.999, "bright optics: cosine {bright}");
    assert!(dim < bright - 0.01, "dim optics {dim} vs bright {bright}");
    // The sentence check against itself: every cosine is 1.
    let r = eval::embed_pairs(&m, &tok).unwrap();
    let c = eval::sentence_check(&r, &r);
    assert!(c.to_digital.iter().all(|v| (v - 1.0).abs() < 1e-6));
    assert_eq!(c.to_digital.len(), 2 * eval::PAIRS.len());
}

#[test]
fn a_bert_missing_a_tensor_names_it() {
    let dir = tempfile::tempdir().unwrap();
    write_bert(dir.path());
    let mut t =
        candle_core::safetensors::load(dir.path().join("model.safetensors"), &Device::Cpu).unwrap();
    t.remove("encoder.layer.1.output.dense.bias");
    candle_core::safetensors::save(&t, dir.path().join("model.safetensors")).unwrap();
    let e = Bert::load(dir.path()).err().unwrap().to_string();
    assert!(
        e.contains("encoder.layer.1.output.dense.bias") && e.contains("model.safetensors"),
        "{e}"
    );
}

#[test]
fn retrofit_of_one_step_is_the_ffn_and_distillation_reduces_the_error_of_more_steps() {
    use lightloop_models::retrofit::{Retrofit, Training, distillation_error, train};
    let dir = tempfile::tempdir().unwrap();
    let (mut m, _) = load_llama(dir.path(), 2, false);
    let ids: Vec<u32> = vec![5, 70, 256, 33, 100, 7, 200, 18];
    let original = m.forward(&ids).unwrap();
    // K = 1 with α = 1 and U = 0: exactly the original FFN.
    let mut one = Retrofit::init(D, 1, 2, 1).unwrap();
    one.alphas = Tensor::ones(1, candle_core::DType::F32, &Device::Cpu).unwrap();
    m.set_retrofit(1, Some(one)).unwrap();
    assert!(max_abs_diff(&m.forward(&ids).unwrap(), &original) < 1e-5);
    m.set_retrofit(1, None).unwrap();
    assert!(m.set_retrofit(LAYERS, None).is_err());
    // Distillation data from the frozen model; 4 steps trained on it fit better than at start.
    let data: Vec<_> = [ids.clone(), vec![9, 8, 7, 6, 5, 4, 3, 2, 1]]
        .iter()
        .map(|w| m.ffn_io(w, 1).unwrap())
        .collect();
    let start = Retrofit::init(D, 4, 2, 1).unwrap();
    let before = distillation_error(&m, 1, &start, &data).unwrap();
    let t = Training {
        rank: 2,
        iterations: 60,
        learning_rate: 0.02,
        seed: 1,
    };
    let trained = train(&m, 1, 4, &data, &t).unwrap();
    let after = distillation_error(&m, 1, &trained, &data).unwrap();
    assert!(
        after < 0.5 * before,
        "distillation error {before} → {after}"
    );
    // Same seed, same result.
    let again = train(&m, 1, 4, &data, &t).unwrap();
    assert_eq!(max_abs_diff(&again.alphas, &trained.alphas), 0.0);
}
