//! `lightloop_lab::pretrained` on small models the tests write themselves in the real formats
//! (a 2-layer Llama in GGUF with a byte-level BPE tokenizer; a 2-layer BERT in safetensors with
//! a WordPiece tokenizer), so that evaluation, retrofit and benchmark run without the downloads;
//! and the configurations' checks.

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{Device, Tensor};
use lightloop_lab::LabError;
use lightloop_lab::pretrained::verdict::perplexity_figure as shown;
use lightloop_lab::pretrained::{self, Works, eval, retrofit, speed};
use lightloop_lab::progress::quiet;
use lightloop_models::linear::{AdcRange, Weights};
use lightloop_rig::{OpticalOp, Rig};
use std::collections::HashMap;
use std::path::Path;

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

const D: usize = 64;
const HEADS: usize = 4;
const HD: usize = D / HEADS;
const FF: usize = 128;
const LAYERS: usize = 2;

/// Writes a 2-layer Llama (d 64, 2 KV heads) with a 257-token vocabulary (256 bytes + "he") as
/// `dir/model.gguf`, where SmolLM2's files would be.
fn write_llama(dir: &Path) {
    let mut tokens = byte_chars();
    tokens.push("he".into());
    let vocab = tokens.len();
    let s = |v: &str| gguf_file::Value::String(v.into());
    let u = gguf_file::Value::U32;
    let md: Vec<(&str, gguf_file::Value)> = vec![
        ("general.architecture", s("llama")),
        ("llama.block_count", u(LAYERS as u32)),
        ("llama.attention.head_count", u(HEADS as u32)),
        ("llama.attention.head_count_kv", u(2)),
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
        (
            "tokenizer.ggml.tokens",
            gguf_file::Value::Array(tokens.iter().map(|t| s(t)).collect()),
        ),
        (
            "tokenizer.ggml.merges",
            gguf_file::Value::Array(vec![s("h e")]),
        ),
    ];
    let f32q = |t: &Tensor| QTensor::quantize(t, GgmlDType::F32).unwrap();
    let mut ts: Vec<(String, QTensor)> = vec![
        ("token_embd.weight".into(), f32q(&tensor(vocab, D, 1, 1.0))),
        (
            "output_norm.weight".into(),
            f32q(&Tensor::ones(D, candle_core::DType::F32, &Device::Cpu).unwrap()),
        ),
    ];
    for i in 0..LAYERS {
        let b = 100 * (i as u64 + 1);
        let norm: Vec<f32> = values(D, b, 0.2).iter().map(|v| 1.0 + v).collect();
        let norm = Tensor::from_vec(norm, D, &Device::Cpu).unwrap();
        ts.push((format!("blk.{i}.attn_norm.weight"), f32q(&norm)));
        ts.push((format!("blk.{i}.ffn_norm.weight"), f32q(&norm)));
        for (name, rows, cols, seed, scale) in [
            ("attn_q", D, D, 1, 0.3),
            ("attn_k", 2 * HD, D, 2, 0.3),
            ("attn_v", 2 * HD, D, 3, 0.3),
            ("attn_output", D, D, 4, 0.2),
            ("ffn_up", FF, D, 6, 0.3),
            ("ffn_down", D, FF, 7, 0.2),
        ] {
            ts.push((
                format!("blk.{i}.{name}.weight"),
                f32q(&tensor(rows, cols, b + seed, scale)),
            ));
        }
        // One quantised tensor per layer (Q4_1 blocks of 32 along a row), as in SmolLM2.
        ts.push((
            format!("blk.{i}.ffn_gate.weight"),
            QTensor::quantize(&tensor(FF, D, b + 5, 0.3), GgmlDType::Q4_1).unwrap(),
        ));
    }
    let mut f = std::fs::File::create(dir.join("model.gguf")).unwrap();
    let md_refs: Vec<(&str, &gguf_file::Value)> = md.iter().map(|(k, v)| (*k, v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = ts.iter().map(|(k, v)| (k.as_str(), v)).collect();
    gguf_file::write(&mut f, &md_refs, &t_refs).unwrap();
}

/// Writes a 2-layer BERT (d 16, 128 positions: the calibration window's length) with a WordPiece tokenizer of a few words into `dir`, as
/// MiniLM's config.json, model.safetensors and tokenizer.json.
fn write_bert(dir: &Path) {
    const WORDS: [&str; 16] = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "man", "is", "playing", "guitar", "the", "cat",
        ".", "train", "rain", "light", "museum",
    ];
    let (d, f, layers, vocab) = (16usize, 32usize, 2usize, WORDS.len());
    std::fs::write(
        dir.join("config.json"),
        format!(
            r#"{{"hidden_size": {d}, "num_hidden_layers": {layers}, "num_attention_heads": 4,
               "intermediate_size": {f}, "vocab_size": {vocab}, "max_position_embeddings": 128,
               "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}}"#
        ),
    )
    .unwrap();
    let mut t: HashMap<String, Tensor> = HashMap::new();
    let mut seed = 0;
    let mut put = |t: &mut HashMap<String, Tensor>, name: String, rows, cols, scale| {
        seed += 1;
        let v = if cols == 0 {
            Tensor::from_vec(values(rows, seed, scale), rows, &Device::Cpu).unwrap()
        } else {
            tensor(rows, cols, seed, scale)
        };
        t.insert(name, v);
    };
    put(
        &mut t,
        "embeddings.word_embeddings.weight".into(),
        vocab,
        d,
        1.0,
    );
    put(
        &mut t,
        "embeddings.position_embeddings.weight".into(),
        128,
        d,
        0.1,
    );
    put(
        &mut t,
        "embeddings.token_type_embeddings.weight".into(),
        2,
        d,
        0.1,
    );
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
            put(&mut t, format!("{p}.{n}.weight"), rows, cols, 0.4);
            put(&mut t, format!("{p}.{n}.bias"), rows, 0, 0.05);
        }
    }
    let mut norms = |p: String| {
        t.insert(
            format!("{p}.LayerNorm.weight"),
            Tensor::ones(d, candle_core::DType::F32, &Device::Cpu).unwrap(),
        );
        t.insert(
            format!("{p}.LayerNorm.bias"),
            Tensor::zeros(d, candle_core::DType::F32, &Device::Cpu).unwrap(),
        );
    };
    norms("embeddings".into());
    for i in 0..layers {
        norms(format!("encoder.layer.{i}.attention.output"));
        norms(format!("encoder.layer.{i}.output"));
    }
    candle_core::safetensors::save(&t, dir.join("model.safetensors")).unwrap();
    // A WordPiece tokenizer with BERT's normaliser and pre-tokeniser, in tokenizer.json's format.
    let vocab: serde_json::Map<String, serde_json::Value> = WORDS
        .iter()
        .enumerate()
        .map(|(i, w)| (w.to_string(), i.into()))
        .collect();
    let tokenizer = serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [],
        "normalizer": {
            "type": "BertNormalizer",
            "clean_text": true,
            "handle_chinese_chars": true,
            "strip_accents": null,
            "lowercase": true
        },
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": null,
        "decoder": null,
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": vocab
        }
    });
    std::fs::write(dir.join("tokenizer.json"), tokenizer.to_string()).unwrap();
}

fn seed_rig() -> Rig {
    lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value
}

/// A short evaluation of the tiny Llama in `dir`.
fn llama_config(dir: &Path) -> eval::Config {
    eval::Config {
        model: "smollm2".into(),
        model_dir: Some(dir.to_path_buf()),
        tokens: 64,
        window: 32,
        ..eval::Config::default()
    }
}

/// The numbers of a row (everything but the time).
fn numbers(r: &eval::Row) -> String {
    let mut r = r.clone();
    r.seconds = 0.0;
    format!("{r:?}")
}

fn field(e: LabError) -> &'static str {
    match e {
        LabError::Config { field, .. } => field,
        other => panic!("not a configuration error: {other}"),
    }
}

#[test]
fn eval_of_the_language_model_scores_digital_then_every_setting_and_prices_the_mapping() {
    let dir = tempfile::tempdir().unwrap();
    write_llama(dir.path());
    let rig = seed_rig();
    let config = eval::Config {
        photons: vec![1e3],
        adc_bits: vec![rig.adc.bits, 12],
        ..llama_config(dir.path())
    };
    let mut calls = Vec::new();
    let o = eval::run(&config, &rig, &mut |p| calls.push((p.done, p.total))).unwrap();
    // Digital, then per weight representation: 2 ADC spans, 1 photon count, 2 ADC widths.
    assert_eq!(o.rows.len(), 1 + 2 * (2 + 1 + 2));
    assert_eq!(
        o.scoring,
        eval::Scoring::Perplexity {
            tokens: 64,
            vocabulary: 257
        }
    );
    assert!(calls.iter().all(|&(done, total)| total == 11 && done <= 11));
    assert_eq!(calls.last(), Some(&(11, 11)));
    let d = &o.rows[0];
    assert_eq!(
        (d.setting.as_str(), d.sweep, d.optical_layers),
        ("digital", "digital", 0)
    );
    assert_eq!((d.photons_per_sample, d.adc_bits), (None, None));
    // Two windows of 32 tokens, each scored from position 0: 31 predictions each.
    assert_eq!(d.tokens_scored, Some(62));
    let ppl = d.perplexity.unwrap();
    assert!(ppl > 1.0 && ppl.is_finite(), "{ppl}");
    assert!((d.nll_per_token.unwrap().exp() - ppl).abs() < 1e-9 * ppl);
    let settings: Vec<&str> = o.rows.iter().map(|r| r.setting.as_str()).collect();
    assert_eq!(
        settings[1..6],
        [
            "ternary, calibrated, the rig's light and ADC",
            "ternary, worst-case, the rig's light and ADC",
            "ternary, calibrated, 1e3 photons",
            "ternary, calibrated, 8-bit ADC",
            "ternary, calibrated, 12-bit ADC",
        ]
    );
    for r in &o.rows[1..] {
        // q, k, v, attention output, gate, up and down of both layers.
        assert_eq!(r.optical_layers, 7 * LAYERS, "{}", r.setting);
        assert_eq!(r.model, "smollm2");
        // The encoder's columns stay empty.
        assert_eq!(r.mean_cosine_to_digital, None);
        assert_eq!(r.ranking_accuracy, None);
    }
    let photon_rows: Vec<&eval::Row> = o.rows.iter().filter(|r| r.sweep == "photons").collect();
    assert_eq!(photon_rows.len(), 2);
    assert!(
        photon_rows
            .iter()
            .all(|r| r.photons_per_sample == Some(1e3))
    );
    let bits: Vec<Option<u32>> = o
        .rows
        .iter()
        .filter(|r| r.sweep == "adc bits")
        .map(|r| r.adc_bits)
        .collect();
    assert_eq!(bits, [Some(8), Some(12), Some(8), Some(12)]);
    // The ADC sweep at the rig's own width is the rig: the same numbers as its row.
    for w in ["ternary", "analog"] {
        let rig_row = o
            .rows
            .iter()
            .find(|r| r.weights == w && r.sweep == "rig" && r.adc_range == "calibrated")
            .unwrap();
        let own = o
            .rows
            .iter()
            .find(|r| r.weights == w && r.adc_bits == Some(8) && r.sweep == "adc bits")
            .unwrap();
        assert_eq!(own.perplexity, rig_row.perplexity, "{w}");
    }
    // The energy ledger: the rig with this mapping first, then the GPUs; shares add up to 1.
    assert_eq!(o.costs.len(), 1 + eval::GPUS.len());
    assert_eq!(
        o.costs[0].system,
        "seed-16ch (qkv, attn-out, ffn-up, ffn-down optical)"
    );
    assert!(o.costs[0].optical_fraction.is_some());
    assert!(o.costs[1..].iter().all(|c| c.optical_fraction.is_none()));
    assert!(o.costs.iter().all(|c| c.j_per_token > 0.0));
    assert_eq!(o.ledger.len(), 8);
    let shares: f64 = o.ledger.iter().map(|l| l.share).sum();
    assert!((shares - 1.0).abs() < 1e-9, "{shares}");
    assert_eq!(o.workload, "smollm2-135m");
    assert!(o.basis.contains("rig seed-16ch") && o.basis.contains("noise seed 1"));
    // Both sweeps have a plot, which draws.
    let names: Vec<&str> = o.plots.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["vs_photons", "vs_adc_bits"]);
    for p in &o.plots {
        assert!(p.svg().unwrap().starts_with("<svg"), "{}", p.name);
    }
}

#[test]
fn settings_draw_common_random_numbers_and_the_seed_decides_them() {
    let dir = tempfile::tempdir().unwrap();
    write_llama(dir.path());
    let rig = seed_rig();
    let base = eval::Config {
        weights: vec![Weights::Analog],
        adc_range: vec![AdcRange::WorstCase],
        ..llama_config(dir.path())
    };
    let a = eval::run(&base, &rig, &mut quiet).unwrap();
    // Another setting listed does not change the numbers of the others.
    let more = eval::Config {
        photons: vec![1e4],
        ..base.clone()
    };
    let b = eval::run(&more, &rig, &mut quiet).unwrap();
    assert_eq!(b.rows.len(), 3);
    assert_eq!(numbers(&a.rows[1]), numbers(&b.rows[1]));
    // The same seed gives the same numbers, another seed others (the digital row stays).
    let again = eval::run(&base, &rig, &mut quiet).unwrap();
    assert_eq!(numbers(&a.rows[1]), numbers(&again.rows[1]));
    let other = eval::run(&eval::Config { seed: 2, ..base }, &rig, &mut quiet).unwrap();
    assert_eq!(numbers(&a.rows[0]), numbers(&other.rows[0]));
    assert_ne!(a.rows[1].perplexity, other.rows[1].perplexity);
    // No sweep, no plot.
    assert!(a.plots.is_empty());
}

#[test]
fn eval_of_the_encoder_compares_embeddings_with_the_digital_ones() {
    let dir = tempfile::tempdir().unwrap();
    write_bert(dir.path());
    let rig = seed_rig();
    let config = eval::Config {
        model: "minilm".into(),
        model_dir: Some(dir.path().to_path_buf()),
        adc_bits: vec![6],
        ..eval::Config::default()
    };
    let o = eval::run(&config, &rig, &mut quiet).unwrap();
    assert_eq!(o.scoring, eval::Scoring::Sentences { pairs: 10 });
    assert_eq!(o.workload, "minilm-l6");
    assert_eq!(o.rows.len(), 1 + 2 * (2 + 1));
    let d = &o.rows[0];
    assert!((d.mean_cosine_to_digital.unwrap() - 1.0).abs() < 1e-6);
    assert!((d.min_cosine_to_digital.unwrap() - 1.0).abs() < 1e-6);
    for r in &o.rows {
        assert_eq!(r.perplexity, None);
        let (mean, min) = (
            r.mean_cosine_to_digital.unwrap(),
            r.min_cosine_to_digital.unwrap(),
        );
        assert!(min <= mean + 1e-12 && mean <= 1.0 + 1e-6, "{}", r.setting);
        assert!((0.0..=1.0).contains(&r.ranking_accuracy.unwrap()));
    }
    // q, k, v, attention output, intermediate and output of both layers.
    assert!(o.rows[1..].iter().all(|r| r.optical_layers == 6 * 2));
    // Each setting is judged by its paraphrase ranking against the digital model's and against
    // picking at random among the 19 other sentences.
    let digital = o.rows[0].ranking_accuracy.unwrap();
    assert_eq!(
        o.summary.references[1],
        "picking at random among the other 19 sentences: 5.26 %"
    );
    assert_eq!(o.summary.verdicts.len(), o.rows.len() - 1);
    for (r, line) in o.rows[1..].iter().zip(&o.summary.verdicts) {
        let a = r.ranking_accuracy.unwrap();
        let works = r.works.unwrap();
        assert!(
            line.starts_with(&format!(
                "{} (embeddings at mean cosine {:.3} to the digital ones): ranks ",
                r.setting,
                r.mean_cosine_to_digital.unwrap()
            )),
            "{line}"
        );
        if a <= 1.0 / 19.0 {
            assert_eq!(works, Works::No, "{line}");
            assert!(line.contains("no better than picking at random"), "{line}");
        } else if a >= 0.9 * digital {
            assert_eq!(works, Works::Yes, "{line}");
            assert!(line.ends_with("this mapping works"), "{line}");
        } else {
            assert_ne!(works, Works::Yes, "{line}");
        }
    }
    assert_eq!(o.plots.len(), 1);
    assert_eq!(o.plots[0].name, "vs_adc_bits");

    // Only the chosen layers go optical, and the mapping priced is that one.
    let ffn_up = eval::Config {
        ops: Some(vec![OpticalOp::FfnUp]),
        weights: vec![Weights::Ternary],
        adc_bits: vec![],
        ..config
    };
    let o = eval::run(&ffn_up, &rig, &mut quiet).unwrap();
    assert_eq!(o.ops, [OpticalOp::FfnUp]);
    assert!(o.rows[1..].iter().all(|r| r.optical_layers == 2));
    assert_eq!(o.costs[0].system, "seed-16ch (ffn-up optical)");
    assert!(o.basis.contains("optical: ffn-up,"), "{}", o.basis);
}

#[test]
fn retrofit_of_the_tiny_llama_trains_and_scores_each_k() {
    let dir = tempfile::tempdir().unwrap();
    write_llama(dir.path());
    let rig = seed_rig();
    let config = retrofit::Config {
        model_dir: Some(dir.path().to_path_buf()),
        layer: 1,
        k: vec![1, 2],
        rank: 2,
        iterations: 20,
        lr: 0.02,
        train_tokens: 64,
        tokens: 64,
        window: 32,
        seed: 1,
        tolerance: 0.1,
    };
    let mut steps = Vec::new();
    let o = retrofit::run(&config, &rig, &mut |p| steps.push(p.done)).unwrap();
    assert_eq!(steps, [0, 1, 2, 3, 4]);
    let variants: Vec<&str> = o.rows.iter().map(|r| r.variant.as_str()).collect();
    assert_eq!(
        variants,
        [
            "original FFN",
            "FFN removed",
            "1 Euler steps (start)",
            "1 steps, distilled",
            "2 Euler steps (start)",
            "2 steps, distilled",
        ]
    );
    assert!(o.notes.is_empty());
    let original = o.rows[0].perplexity_digital;
    assert!(original.is_finite() && o.rows[0].perplexity_optical.unwrap().is_finite());
    // One Euler step of gain 1 with the adapter at zero is the FFN itself.
    assert!((o.rows[2].perplexity_digital - original).abs() < 1e-4 * original);
    assert_eq!(o.rows[2].alphas, "1.0000");
    assert_eq!(o.rows[4].alphas, "0.5000");
    // The distilled rows carry K gains; at K = 2 distillation lowers the error from its start
    // (at K = 1 the start is the FFN itself).
    for r in [&o.rows[3], &o.rows[5]] {
        assert!(r.distillation_mse_trained.unwrap().is_finite());
        assert_eq!(r.alphas.split(' ').count(), r.k.unwrap());
        assert!(r.perplexity_optical.unwrap().is_finite());
    }
    let (start, trained) = (
        o.rows[5].distillation_mse_start.unwrap(),
        o.rows[5].distillation_mse_trained.unwrap(),
    );
    assert!(trained < start, "K = 2: {start} → {trained}");
    assert!(o.rows[3].distillation_mse_start.unwrap() < 1e-9);
    assert!(o.basis.contains("layer 1 FFN, rank-2 adapter"));
    // Every perplexity but the reference (the original model's, digital) has a verdict against
    // it and against uniform guessing over the 257-token vocabulary.
    assert_eq!(o.rows[0].digital_works, None);
    assert_eq!(
        o.summary.references[0],
        format!(
            "the original model (digital): perplexity {}",
            shown(original)
        )
    );
    let mut lines = o.summary.verdicts.iter();
    for r in &o.rows {
        for (works, p, how) in [
            (r.digital_works, r.perplexity_digital, "digital"),
            (
                r.optical_works,
                r.perplexity_optical.unwrap_or(f64::NAN),
                "on the twin",
            ),
        ] {
            let Some(works) = works else { continue };
            assert_eq!(works, expected(p, original, 257.0), "{} {how}", r.variant);
            let line = lines.next().unwrap();
            assert!(
                line.starts_with(&format!("{}, {how}: perplexity {}", r.variant, shown(p))),
                "{line}"
            );
        }
    }
    assert_eq!(lines.next(), None);
    assert_eq!(o.summary.verdicts.len(), 8);
    assert_eq!(o.plots.len(), 1);
    assert!(o.plots[0].svg().unwrap().starts_with("<svg"));
}

#[test]
fn a_diverging_distillation_leaves_a_row_and_a_note() {
    let dir = tempfile::tempdir().unwrap();
    write_llama(dir.path());
    let config = retrofit::Config {
        model_dir: Some(dir.path().to_path_buf()),
        layer: 0,
        k: vec![2],
        rank: 2,
        iterations: 5,
        lr: 1e30,
        train_tokens: 32,
        tokens: 32,
        window: 32,
        seed: 1,
        tolerance: 0.1,
    };
    let o = retrofit::run(&config, &seed_rig(), &mut quiet).unwrap();
    assert_eq!(o.rows.len(), 3);
    assert_eq!(o.rows[2].variant, "2 steps, distillation diverged");
    assert!(o.rows[2].perplexity_digital.is_nan());
    assert_eq!(o.notes.len(), 1);
    assert!(o.notes[0].starts_with("K = 2: "), "{}", o.notes[0]);
    // A layer the model does not have is the configuration's fault.
    let e = retrofit::run(
        &retrofit::Config { layer: 2, ..config },
        &seed_rig(),
        &mut quiet,
    )
    .unwrap_err();
    assert!(e.is_input());
    assert_eq!(field(e), "layer");
}

#[test]
fn the_benchmark_times_four_forward_passes() {
    let dir = tempfile::tempdir().unwrap();
    write_llama(dir.path());
    let config = speed::Config {
        window: 16,
        rounds: 2,
        model_dir: Some(dir.path().to_path_buf()),
    };
    let t = speed::run(&config, &seed_rig(), &mut quiet).unwrap();
    assert_eq!(t.window, 16);
    assert_eq!(t.rows.len(), 4);
    assert!(t.rows[0].forward_pass.contains("baseline"));
    assert_eq!(t.rows[0].relative_to_baseline, 1.0);
    for r in &t.rows {
        assert!(
            r.min_s <= r.median_s && r.median_s <= r.max_s,
            "{}",
            r.forward_pass
        );
        assert!(
            r.tokens_per_s > 0.0 && r.tokens_per_s.is_finite(),
            "{}",
            r.forward_pass
        );
        assert_eq!(r.tokens_per_s, 16.0 / r.median_s);
    }
    assert_eq!(
        t.twin_over_baseline(),
        (
            t.rows[2].relative_to_baseline,
            t.rows[3].relative_to_baseline
        )
    );
    // The twin over the digital pass: the median of the rounds' ratios, each within the rows'
    // extremes.
    assert_eq!(t.round_ratios.len(), 2);
    let (ternary, analog) = t.twin_over_digital();
    for (ratio, row) in [(ternary, 2), (analog, 3)] {
        let (lo, hi) = (
            t.rows[1].min_s / t.rows[row].max_s,
            t.rows[1].max_s / t.rows[row].min_s,
        );
        assert!(lo <= ratio && ratio <= hi, "{ratio} outside {lo}–{hi}");
    }
    let mean = |k: usize| t.round_ratios.iter().map(|r| [r.0, r.1][k]).sum::<f64>() / 2.0;
    assert!((ternary - mean(0)).abs() < 1e-12 && (analog - mean(1)).abs() < 1e-12);
    assert_eq!(
        t.ops,
        [
            OpticalOp::Qkv,
            OpticalOp::AttnOut,
            OpticalOp::FfnUp,
            OpticalOp::FfnDown
        ]
    );
}

#[test]
fn bad_configurations_name_their_field() {
    let ok = eval::Config::default();
    assert!(ok.validate().is_ok());
    let bad = |c: eval::Config| {
        let e = c.validate().unwrap_err();
        assert!(e.is_input(), "{e}");
        field(e)
    };
    assert_eq!(
        bad(eval::Config {
            model: "gpt-9".into(),
            ..ok.clone()
        }),
        "model"
    );
    assert_eq!(
        bad(eval::Config {
            ops: Some(vec![]),
            ..ok.clone()
        }),
        "ops"
    );
    assert_eq!(
        bad(eval::Config {
            ops: Some(vec![OpticalOp::Qkv, OpticalOp::FfnUp, OpticalOp::Qkv]),
            ..ok.clone()
        }),
        "ops"
    );
    assert_eq!(
        bad(eval::Config {
            weights: vec![],
            ..ok.clone()
        }),
        "weights"
    );
    for p in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            bad(eval::Config {
                photons: vec![1e3, p],
                ..ok.clone()
            }),
            "photons"
        );
    }
    for b in [1, 17] {
        assert_eq!(
            bad(eval::Config {
                adc_bits: vec![8, b],
                ..ok.clone()
            }),
            "adc_bits"
        );
    }
    assert_eq!(
        bad(eval::Config {
            window: 1,
            ..ok.clone()
        }),
        "window"
    );
    assert_eq!(
        bad(eval::Config {
            tokens: 1,
            ..ok.clone()
        }),
        "tokens"
    );
    assert_eq!(
        bad(eval::Config {
            adc_range: vec![],
            ..ok.clone()
        }),
        "adc_range"
    );
    assert_eq!(
        bad(eval::Config {
            adc_range: vec![AdcRange::Calibrated { margin: 0.0 }],
            ..ok.clone()
        }),
        "adc_range"
    );
    for tolerance in [0.0, 1.0, f64::NAN] {
        assert_eq!(
            bad(eval::Config {
                tolerance,
                ..ok.clone()
            }),
            "tolerance"
        );
    }
    let e = eval::Config {
        adc_bits: vec![17],
        ..ok.clone()
    }
    .validate()
    .unwrap_err();
    assert_eq!(e.to_string(), "adc_bits: 17 is not in 2 … 16");

    let ok = retrofit::Config::default();
    assert!(ok.validate().is_ok());
    let bad = |c: retrofit::Config| field(c.validate().unwrap_err());
    assert_eq!(
        bad(retrofit::Config {
            k: vec![],
            ..ok.clone()
        }),
        "k"
    );
    assert_eq!(
        bad(retrofit::Config {
            k: vec![1, 65],
            ..ok.clone()
        }),
        "k"
    );
    assert_eq!(
        bad(retrofit::Config {
            k: vec![0],
            ..ok.clone()
        }),
        "k"
    );
    assert_eq!(
        bad(retrofit::Config {
            tolerance: -0.1,
            ..ok.clone()
        }),
        "tolerance"
    );
    assert_eq!(
        bad(retrofit::Config {
            rank: 0,
            ..ok.clone()
        }),
        "rank"
    );
    assert_eq!(
        bad(retrofit::Config {
            iterations: 0,
            ..ok.clone()
        }),
        "iterations"
    );
    for lr in [0.0, -0.1, f64::NAN] {
        assert_eq!(bad(retrofit::Config { lr, ..ok.clone() }), "lr");
    }
    assert_eq!(
        bad(retrofit::Config {
            window: 1,
            ..ok.clone()
        }),
        "window"
    );
    assert_eq!(
        bad(retrofit::Config {
            tokens: 1,
            ..ok.clone()
        }),
        "tokens"
    );
    assert_eq!(
        bad(retrofit::Config {
            train_tokens: 100,
            window: 128,
            ..ok.clone()
        }),
        "train_tokens"
    );

    assert!(speed::Config::default().validate().is_ok());
    for window in [1, 2049] {
        let c = speed::Config {
            window,
            ..speed::Config::default()
        };
        assert_eq!(field(c.validate().unwrap_err()), "window");
    }
}

#[test]
fn checks_that_need_the_rig_or_the_text_come_before_or_without_the_model() {
    let rig = seed_rig();
    // A workload with nothing on the optics is refused before any model is looked for.
    let empty = lightloop_rig::load_workload("smollm2-135m", &[])
        .unwrap()
        .value;
    let mut empty_ops = empty.clone();
    empty_ops.run.optical_ops.clear();
    let nowhere = tempfile::tempdir().unwrap();
    let c = eval::Config {
        model_dir: Some(nowhere.path().to_path_buf()),
        workload: Some(empty_ops),
        ..eval::Config::default()
    };
    assert_eq!(field(eval::run(&c, &rig, &mut quiet).unwrap_err()), "ops");
    // The chosen ops replace the workload's.
    let c = eval::Config {
        ops: Some(vec![OpticalOp::LmHead]),
        ..c
    };
    assert_eq!(
        c.workload(&rig).unwrap().run.optical_ops,
        [OpticalOp::LmHead]
    );
    // A folder without the model's files: not the user's input, and it names the file.
    let e = eval::run(&c, &rig, &mut quiet).unwrap_err();
    assert!(!e.is_input());
    assert!(e.to_string().contains("model.gguf"), "{e}");
    // The scored text is too short, or starts past its end: the field that asked.
    let dir = tempfile::tempdir().unwrap();
    write_llama(dir.path());
    let too_far = eval::Config {
        offset: 10_000_000,
        ..llama_config(dir.path())
    };
    assert_eq!(
        field(eval::run(&too_far, &rig, &mut quiet).unwrap_err()),
        "offset"
    );
    let too_many = eval::Config {
        tokens: 100_000_000,
        ..llama_config(dir.path())
    };
    let e = eval::run(&too_many, &rig, &mut quiet).unwrap_err();
    assert!(
        e.to_string().starts_with("tokens: the text has only"),
        "{e}"
    );
    assert_eq!(eval::workload_preset("minilm").unwrap(), "minilm-l6");
    assert_eq!(
        eval::workload_preset("SmolLM2-135M").unwrap(),
        "smollm2-135m"
    );
    assert_eq!(
        pretrained::OP_NAMES.map(|n| pretrained::op_name(pretrained::op_from_name(n).unwrap())),
        pretrained::OP_NAMES
    );
}

/// The verdict a perplexity `p` must get against the digital model's `digital` and a
/// vocabulary of `v` tokens at a 10 % tolerance, from the definitions.
fn expected(p: f64, digital: f64, v: f64) -> Works {
    if p.is_nan() || p > v {
        Works::No
    } else if p <= 1.1 * digital {
        Works::Yes
    } else if (p / digital).ln() < 0.5 * (v / digital).ln() {
        Works::Degraded
    } else {
        Works::No
    }
}

/// The words follow the numbers: the tiny Llama's perplexities, its digital one included, lie
/// above its 257-token vocabulary, so every setting is called worse than guessing uniformly
/// and does not work, in its row, its line, the energy table and the CSV columns; the
/// references name the digital model's perplexity and uniform guessing.
#[test]
fn verdicts_follow_the_numbers_and_name_their_references() {
    let dir = tempfile::tempdir().unwrap();
    write_llama(dir.path());
    let rig = seed_rig();
    let config = eval::Config {
        photons: vec![1.0],
        adc_bits: vec![2, 12],
        ..llama_config(dir.path())
    };
    let o = eval::run(&config, &rig, &mut quiet).unwrap();
    let digital = o.rows[0].perplexity.unwrap();
    assert!(digital > 257.0, "{digital}");
    assert_eq!(o.rows[0].works, None);
    assert_eq!(
        o.summary.references,
        [
            format!(
                "the digital model: perplexity {}, itself no better than guessing uniformly",
                shown(digital)
            ),
            "guessing uniformly over the 257-token vocabulary: perplexity 257".to_string(),
        ]
    );
    assert!(
        o.summary
            .rule
            .starts_with("a setting works within 10.0 % of the digital model's")
    );
    assert_eq!(o.summary.verdicts.len(), o.rows.len() - 1);
    for (r, line) in o.rows[1..].iter().zip(&o.summary.verdicts) {
        let p = r.perplexity.unwrap();
        assert!(p > 257.0, "{}: {p}", r.setting);
        assert_eq!(r.works, Some(expected(p, digital, 257.0)), "{line}");
        assert_eq!(
            *line,
            format!(
                "{}: perplexity {}, worse than guessing uniformly over the 257-token \
                 vocabulary: this mapping does not work",
                r.setting,
                shown(p)
            )
        );
        assert_eq!(serde_json::to_value(r).unwrap()["works"], "no");
    }
    // The energy table: the rig's mapping does not work (its best setting at its own light and
    // ADC quoted), the GPUs run the digital model.
    assert_eq!(o.summary.mapping, Works::No);
    assert_eq!(o.costs[0].works, Works::No);
    assert!(o.costs[1..].iter().all(|c| c.works == Works::Yes));
    let best = o.rows[1..]
        .iter()
        .filter(|r| r.sweep == "rig")
        .min_by(|a, b| a.perplexity.unwrap().total_cmp(&b.perplexity.unwrap()))
        .unwrap();
    let line = &o.summary.mapping_line;
    assert!(
        line.starts_with(
            "seed-16ch with qkv, attn-out, ffn-up, ffn-down on the optics does not work at the \
             rig's own light and ADC: at best"
        ),
        "{line}"
    );
    assert!(
        line.contains(&format!(
            "({} weights, {} ADC span), perplexity {}, worse than guessing uniformly",
            best.weights,
            best.adc_range,
            shown(best.perplexity.unwrap())
        )),
        "{line}"
    );
    assert!(line.ends_with("its energy per token prices a model that does not work"));
    assert_eq!(serde_json::to_value(&o.costs[0]).unwrap()["works"], "no");
    // The plots draw perplexity on a log axis with uniform guessing beside the digital model.
    for p in &o.plots {
        assert!(p.axes.log_y, "{}", p.name);
        let lightloop_lab::plot::Kind::Lines(series) = &p.kind else {
            panic!("{}: not lines", p.name)
        };
        let uniform = series.last().unwrap();
        assert_eq!(
            uniform.name,
            "guessing uniformly over the 257-token vocabulary"
        );
        assert!(uniform.dashed && uniform.points.iter().all(|q| q.1 == 257.0));
    }
    // A wider tolerance changes no verdict here: worse than uniform is never within it.
    let wide = eval::run(
        &eval::Config {
            tolerance: 0.9,
            ..config
        },
        &rig,
        &mut quiet,
    )
    .unwrap();
    assert!(wide.rows[1..].iter().all(|r| r.works == Some(Works::No)));
    assert!(
        wide.summary
            .rule
            .starts_with("a setting works within 90.0 %")
    );
}
