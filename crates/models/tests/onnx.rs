//! Small ONNX models written by the tests themselves (protobuf bytes from the crate's writer),
//! run digitally against plain-loop references and on the optical twin of a rig, whose result
//! must approach the digital one as the light and the converters' bits grow.

use lightloop_models::linear::{AdcRange, Weights};
use lightloop_models::onnx::proto::{AttrValue, Attribute, Graph, Model, Node, Tensor, ValueInfo};
use lightloop_models::onnx::{LayerChoice, Mapping, OnnxModel, Output};
use lightloop_rig::{Derive, Rig};

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

fn node(name: &str, op: &str, ins: &[&str], outs: &[&str], attrs: Vec<(&str, AttrValue)>) -> Node {
    Node {
        name: name.into(),
        op_type: op.into(),
        domain: String::new(),
        inputs: ins.iter().map(|s| s.to_string()).collect(),
        outputs: outs.iter().map(|s| s.to_string()).collect(),
        attributes: attrs
            .into_iter()
            .map(|(n, value)| Attribute {
                name: n.into(),
                value,
            })
            .collect(),
    }
}

fn model(
    opset: i64,
    nodes: Vec<Node>,
    inits: Vec<Tensor>,
    ins: Vec<ValueInfo>,
    outs: Vec<ValueInfo>,
) -> Vec<u8> {
    Model {
        ir_version: 8,
        opsets: vec![(String::new(), opset)],
        producer: "lightloop tests".into(),
        graph: Graph {
            name: "test".into(),
            nodes,
            initializers: inits,
            inputs: ins,
            outputs: outs,
        },
    }
    .encode()
}

// ---------------------------------------------------------------------------------------------
// The models and their plain-loop references

const IN: usize = 12;
const HID: usize = 24;
const OUT: usize = 5;

struct Mlp {
    w1: Vec<f32>, // HID × IN (Gemm transB = 1)
    b1: Vec<f32>,
    w2: Vec<f32>, // HID × OUT (Gemm transB = 0)
    b2: Vec<f32>,
}

impl Mlp {
    fn new() -> Self {
        Self {
            w1: values(HID * IN, 1, 0.4),
            b1: values(HID, 2, 0.1),
            w2: values(HID * OUT, 3, 0.3),
            b2: values(OUT, 4, 0.1),
        }
    }

    /// Gemm(transB = 1) → Relu → Gemm(alpha 0.5, beta 2), with the initializers also listed as
    /// graph inputs (as older exporters write them).
    fn onnx(&self, opset: i64) -> Vec<u8> {
        let inits = vec![
            Tensor::f32("fc1.weight", &[HID, IN], self.w1.clone()),
            Tensor::f32("fc1.bias", &[HID], self.b1.clone()),
            Tensor::f32("fc2.weight", &[HID, OUT], self.w2.clone()),
            Tensor::f32("fc2.bias", &[OUT], self.b2.clone()),
        ];
        let mut inputs = vec![ValueInfo::f32("x", &[None, Some(IN)])];
        inputs.extend(inits.iter().map(|t| {
            ValueInfo::f32(
                &t.name,
                &t.dims.iter().map(|&d| Some(d)).collect::<Vec<_>>(),
            )
        }));
        model(
            opset,
            vec![
                node(
                    "/fc1/Gemm",
                    "Gemm",
                    &["x", "fc1.weight", "fc1.bias"],
                    &["h"],
                    vec![("transB", AttrValue::Int(1))],
                ),
                node("/relu/Relu", "Relu", &["h"], &["r"], vec![]),
                node(
                    "/fc2/Gemm",
                    "Gemm",
                    &["r", "fc2.weight", "fc2.bias"],
                    &["y"],
                    vec![
                        ("alpha", AttrValue::Float(0.5)),
                        ("beta", AttrValue::Float(2.0)),
                    ],
                ),
            ],
            inits,
            inputs,
            vec![ValueInfo::f32("y", &[None, Some(OUT)])],
        )
    }

    fn reference(&self, x: &[f32], n: usize) -> Vec<f32> {
        let mut y = vec![0f32; n * OUT];
        for b in 0..n {
            let mut h = [0f32; HID];
            for (r, hr) in h.iter_mut().enumerate() {
                let s: f32 = (0..IN).map(|c| self.w1[r * IN + c] * x[b * IN + c]).sum();
                *hr = (s + self.b1[r]).max(0.0);
            }
            for o in 0..OUT {
                let s: f32 = (0..HID).map(|k| h[k] * self.w2[k * OUT + o]).sum();
                y[b * OUT + o] = 0.5 * s + 2.0 * self.b2[o];
            }
        }
        y
    }
}

// Conv net: x (N, 2, 7, 6) → Conv(4 × 2 × 3 × 3, stride (1, 2), pads (1, 0, 1, 1)) → Relu →
// MaxPool(2 × 2, stride 2) → Flatten → Gemm(transB = 1) → 3 logits.
const C: usize = 2;
const H: usize = 7;
const W: usize = 6;
const M: usize = 4;
const K: usize = 3;
const STRIDE: [usize; 2] = [1, 2];
const PADS: [usize; 4] = [1, 0, 1, 1];
const CLASSES: usize = 3;

fn conv_out() -> [usize; 2] {
    [
        (H + PADS[0] + PADS[2] - K) / STRIDE[0] + 1,
        (W + PADS[1] + PADS[3] - K) / STRIDE[1] + 1,
    ]
}

fn pooled() -> [usize; 2] {
    let [oh, ow] = conv_out();
    [oh / 2, ow / 2]
}

struct ConvNet {
    k: Vec<f32>,
    kb: Vec<f32>,
    fc: Vec<f32>,
    fb: Vec<f32>,
}

impl ConvNet {
    fn new() -> Self {
        let [ph, pw] = pooled();
        Self {
            k: values(M * C * K * K, 11, 0.4),
            kb: values(M, 12, 0.1),
            fc: values(CLASSES * M * ph * pw, 13, 0.3),
            fb: values(CLASSES, 14, 0.1),
        }
    }

    fn onnx(&self) -> Vec<u8> {
        let [ph, pw] = pooled();
        let ints = |v: &[usize]| AttrValue::Ints(v.iter().map(|&x| x as i64).collect());
        model(
            17,
            vec![
                node(
                    "/conv/Conv",
                    "Conv",
                    &["x", "conv.weight", "conv.bias"],
                    &["c"],
                    vec![
                        ("kernel_shape", ints(&[K, K])),
                        ("strides", ints(&STRIDE)),
                        ("pads", ints(&PADS)),
                        ("dilations", ints(&[1, 1])),
                        ("group", AttrValue::Int(1)),
                    ],
                ),
                node("/relu/Relu", "Relu", &["c"], &["r"], vec![]),
                node(
                    "/pool/MaxPool",
                    "MaxPool",
                    &["r"],
                    &["p"],
                    vec![("kernel_shape", ints(&[2, 2])), ("strides", ints(&[2, 2]))],
                ),
                node(
                    "/flatten/Flatten",
                    "Flatten",
                    &["p"],
                    &["f"],
                    vec![("axis", AttrValue::Int(1))],
                ),
                node(
                    "/fc/Gemm",
                    "Gemm",
                    &["f", "fc.weight", "fc.bias"],
                    &["logits"],
                    vec![("transB", AttrValue::Int(1))],
                ),
            ],
            vec![
                Tensor::f32("conv.weight", &[M, C, K, K], self.k.clone()),
                Tensor::f32("conv.bias", &[M], self.kb.clone()),
                Tensor::f32("fc.weight", &[CLASSES, M * ph * pw], self.fc.clone()),
                Tensor::f32("fc.bias", &[CLASSES], self.fb.clone()),
            ],
            vec![ValueInfo::f32("x", &[None, Some(C), Some(H), Some(W)])],
            vec![ValueInfo::f32("logits", &[None, Some(CLASSES)])],
        )
    }

    fn reference(&self, x: &[f32], n: usize) -> Vec<f32> {
        let [oh, ow] = conv_out();
        let [ph, pw] = pooled();
        let mut out = vec![0f32; n * CLASSES];
        for b in 0..n {
            // Convolution + ReLU.
            let mut c = vec![0f32; M * oh * ow];
            for m in 0..M {
                for y in 0..oh {
                    for xo in 0..ow {
                        let mut s = self.kb[m];
                        for ch in 0..C {
                            for i in 0..K {
                                for j in 0..K {
                                    let yy = (y * STRIDE[0] + i) as isize - PADS[0] as isize;
                                    let xx = (xo * STRIDE[1] + j) as isize - PADS[1] as isize;
                                    if yy < 0 || xx < 0 || yy >= H as isize || xx >= W as isize {
                                        continue;
                                    }
                                    s += self.k[((m * C + ch) * K + i) * K + j]
                                        * x[((b * C + ch) * H + yy as usize) * W + xx as usize];
                                }
                            }
                        }
                        c[(m * oh + y) * ow + xo] = s.max(0.0);
                    }
                }
            }
            // Max pooling, flattened in (m, y, x) order.
            let mut p = Vec::with_capacity(M * ph * pw);
            for m in 0..M {
                for y in 0..ph {
                    for xo in 0..pw {
                        let v = (0..2)
                            .flat_map(|i| (0..2).map(move |j| (i, j)))
                            .map(|(i, j)| c[(m * oh + 2 * y + i) * ow + 2 * xo + j])
                            .fold(f32::NEG_INFINITY, f32::max);
                        p.push(v);
                    }
                }
            }
            for k in 0..CLASSES {
                let s: f32 = p
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v * self.fc[k * p.len() + i])
                    .sum();
                out[b * CLASSES + k] = s + self.fb[k];
            }
        }
        out
    }
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// RMS of (a − b) over the RMS of b.
fn relative_rms(a: &[f32], b: &[f32]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum();
    let den: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum();
    (num / den).sqrt()
}

fn only(out: Vec<Output>) -> Output {
    assert_eq!(out.len(), 1);
    out.into_iter().next().unwrap()
}

fn seed_rig() -> Rig {
    lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value
}

/// The seed rig with DACs and ADC at `bits` (the ADC keeping its ENOB shortfall).
fn rig_at_bits(bits: u32) -> Rig {
    let seed = seed_rig();
    seed.modified(|r| {
        r.adc = seed.adc.at_bits(bits);
        r.dac.bits = bits;
    })
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Digital runs against the references

#[test]
fn an_mlp_runs_digitally_as_its_plain_loop_reference_at_opsets_13_to_21() {
    let mlp = Mlp::new();
    let n = 6;
    let x = values(n * IN, 99, 1.0);
    let reference = mlp.reference(&x, n);
    for opset in [13, 17, 21] {
        let m = OnnxModel::from_bytes(&mlp.onnx(opset)).unwrap();
        // Initializers listed as inputs are not inputs to give.
        assert_eq!(m.inputs().len(), 1);
        assert_eq!(m.inputs()[0].shape, Some(vec![None, Some(IN)]));
        let names: Vec<String> = m.layers().iter().map(|l| l.name.clone()).collect();
        assert_eq!(names, vec!["/fc1/Gemm", "/fc2/Gemm"]);
        assert_eq!((m.layers()[1].rows, m.layers()[1].cols), (OUT, HID));
        let y = only(m.run(&[("x", &x, &[n, IN])]).unwrap());
        assert_eq!(y.shape, vec![n, OUT]);
        let d = max_diff(&y.data, &reference);
        assert!(d < 1e-5, "opset {opset}: max difference {d}");
    }
}

#[test]
fn a_conv_net_runs_digitally_as_its_plain_loop_reference() {
    let net = ConvNet::new();
    let n = 3;
    let x = values(n * C * H * W, 7, 1.0);
    let m = OnnxModel::from_bytes(&net.onnx()).unwrap();
    let layers = m.layers();
    assert_eq!(layers[0].op, "Conv");
    assert_eq!((layers[0].rows, layers[0].cols), (M, C * K * K));
    let y = only(m.run(&[("x", &x, &[n, C, H, W])]).unwrap());
    assert_eq!(y.shape, vec![n, CLASSES]);
    let d = max_diff(&y.data, &net.reference(&x, n));
    assert!(d < 1e-5, "max difference {d}");
}

#[test]
fn matmul_plus_add_on_a_sequence_is_a_layer_and_a_product_of_activations_is_not() {
    // PyTorch's Linear on a (batch, seq, features) input: MatMul by Wᵀ then Add of the bias;
    // then attention-like scores y·yᵀ (two activations), then Softmax over the last axis.
    let (b, s, d, e) = (2, 3, 4, 5);
    let w = values(d * e, 21, 0.5);
    let bias = values(e, 22, 0.2);
    let bytes = model(
        17,
        vec![
            node("proj", "MatMul", &["x", "wt"], &["m"], vec![]),
            node("add", "Add", &["m", "bias"], &["y"], vec![]),
            node(
                "tr",
                "Transpose",
                &["y"],
                &["yt"],
                vec![("perm", AttrValue::Ints(vec![0, 2, 1]))],
            ),
            node("scores", "MatMul", &["y", "yt"], &["sc"], vec![]),
            node("soft", "Softmax", &["sc"], &["p"], vec![]),
        ],
        vec![
            Tensor::f32("wt", &[d, e], w.clone()),
            Tensor::f32("bias", &[e], bias.clone()),
        ],
        vec![ValueInfo::f32("x", &[None, None, Some(d)])],
        vec![ValueInfo::f32("p", &[None, None, None])],
    );
    let m = OnnxModel::from_bytes(&bytes).unwrap();
    assert_eq!(m.layers().len(), 1, "{:?}", m.layers());
    assert_eq!((m.layers()[0].rows, m.layers()[0].cols), (e, d));
    let x = values(b * s * d, 23, 1.0);
    let p = only(m.run(&[("x", &x, &[b, s, d])]).unwrap());
    assert_eq!(p.shape, vec![b, s, s]);
    // Reference.
    let mut y = vec![0f32; b * s * e];
    for t in 0..b * s {
        for o in 0..e {
            y[t * e + o] = (0..d).map(|k| x[t * d + k] * w[k * e + o]).sum::<f32>() + bias[o];
        }
    }
    for bb in 0..b {
        for i in 0..s {
            let sc: Vec<f32> = (0..s)
                .map(|j| {
                    (0..e)
                        .map(|k| y[(bb * s + i) * e + k] * y[(bb * s + j) * e + k])
                        .sum()
                })
                .collect();
            let mx = sc.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let z: f32 = sc.iter().map(|v| (v - mx).exp()).sum();
            for (j, v) in sc.iter().enumerate() {
                let expect = (v - mx).exp() / z;
                let got = p.data[(bb * s + i) * s + j];
                assert!((got - expect).abs() < 1e-5, "{got} vs {expect}");
            }
        }
    }
    // The cost counts the layer once per sequence position and the scores as host MACs.
    let on = m.on_rig(&seed_rig(), &Mapping::default()).unwrap();
    let c = on.cost(&[("x", &[b, s, d])]).unwrap();
    assert_eq!(c.batch, b);
    assert_eq!(c.layers[0].vectors, s as f64);
    assert_eq!(c.optical_macs, (s * d * e) as f64);
    assert_eq!(c.host_macs, (s * s * e) as f64);
}

// ---------------------------------------------------------------------------------------------
// On the twin

/// Relative RMS error of the optical run against the digital one, calibrated on a separate
/// batch, at (photons, bits).
fn optical_error(bytes: &[u8], shape: &[usize], photons: f64, bits: u32, weights: Weights) -> f64 {
    let m = OnnxModel::from_bytes(bytes).unwrap();
    let name = m.inputs()[0].name.clone();
    let n: usize = shape.iter().product();
    let calibration = values(n, 1234, 1.0);
    let x = values(n, 5678, 1.0);
    let digital = only(m.run(&[(&name, &x, shape)]).unwrap());
    let mapping = Mapping {
        optical: LayerChoice::All,
        weights,
        adc_range: AdcRange::Calibrated { margin: 1.25 },
        photons: Some(photons),
        seed: 3,
    };
    let on = m.on_rig(&rig_at_bits(bits), &mapping).unwrap();
    on.calibrate(&[(&name, &calibration, shape)]).unwrap();
    let y = only(on.run(&[(&name, &x, shape)]).unwrap());
    relative_rms(&y.data, &digital.data)
}

const SETTINGS: [(f64, u32); 3] = [(1e3, 6), (1e5, 8), (1e8, 12)];

fn converges(label: &str, bytes: &[u8], shape: &[usize], bound: f64) {
    let errors: Vec<f64> = SETTINGS
        .iter()
        .map(|&(p, b)| optical_error(bytes, shape, p, b, Weights::Analog))
        .collect();
    for ((p, b), e) in SETTINGS.iter().zip(&errors) {
        println!("{label}: {p:.0e} photons, {b}-bit DAC/ADC: relative RMS error {e:.3e}");
    }
    assert!(
        errors.windows(2).all(|w| w[1] < w[0]),
        "{label}: the error must fall as light and bits grow: {errors:?}"
    );
    assert!(
        errors[2] < bound,
        "{label}: best error {} ≥ {bound}",
        errors[2]
    );
    assert!(errors[0] > 5.0 * errors[2], "{label}: {errors:?}");
}

#[test]
fn the_mlp_on_the_twin_approaches_the_digital_result_as_photons_and_bits_grow() {
    converges("MLP", &Mlp::new().onnx(17), &[16, IN], 0.01);
}

#[test]
fn the_conv_net_on_the_twin_approaches_the_digital_result_as_photons_and_bits_grow() {
    converges("conv net", &ConvNet::new().onnx(), &[4, C, H, W], 0.01);
}

#[test]
fn ternary_weights_run_and_stay_near_the_digital_result_in_bright_light() {
    // Ternary weights are an approximation of the network (no retraining): the error is that of
    // the weights, not of the optics, and stays bounded.
    let e = optical_error(&Mlp::new().onnx(17), &[16, IN], 1e8, 12, Weights::Ternary);
    let analog = optical_error(&Mlp::new().onnx(17), &[16, IN], 1e8, 12, Weights::Analog);
    assert!(e > analog && e < 0.8, "ternary {e}, analog {analog}");
}

#[test]
fn the_same_seed_gives_the_same_outputs_whatever_the_threads_and_another_seed_does_not() {
    let bytes = ConvNet::new().onnx();
    let m = OnnxModel::from_bytes(&bytes).unwrap();
    let shape = [2, C, H, W];
    let x = values(2 * C * H * W, 5, 1.0);
    let run = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mapping = Mapping {
                photons: Some(1e3),
                seed,
                ..Mapping::default()
            };
            let on = m.on_rig(&seed_rig(), &mapping).unwrap();
            only(on.run(&[("x", &x, &shape)]).unwrap()).data
        })
    };
    let a = run(1, 9);
    assert_eq!(a, run(3, 9));
    assert_ne!(a, run(1, 10));
}

#[test]
fn layers_are_chosen_by_name_and_an_unknown_name_is_refused() {
    let m = OnnxModel::from_bytes(&Mlp::new().onnx(17)).unwrap();
    let x = values(4 * IN, 8, 1.0);
    let digital = only(m.run(&[("x", &x, &[4, IN])]).unwrap());
    let mapping = |optical| Mapping {
        optical,
        photons: Some(1e3),
        ..Mapping::default()
    };
    let none = m.on_rig(&seed_rig(), &mapping(LayerChoice::None)).unwrap();
    assert!(none.optical_layers().is_empty());
    assert_eq!(only(none.run(&[("x", &x, &[4, IN])]).unwrap()), digital);
    let one = m
        .on_rig(
            &seed_rig(),
            &mapping(LayerChoice::Named(vec!["/fc2/Gemm".into()])),
        )
        .unwrap();
    assert_eq!(one.optical_layers(), vec!["/fc2/Gemm"]);
    assert_ne!(only(one.run(&[("x", &x, &[4, IN])]).unwrap()), digital);
    let e = m
        .on_rig(
            &seed_rig(),
            &mapping(LayerChoice::Named(vec!["fc3".into()])),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("`fc3`") && e.contains("/fc1/Gemm"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Cost

#[test]
fn the_cost_counts_each_layers_macs_and_prices_the_optical_mapping() {
    let net = ConvNet::new();
    let m = OnnxModel::from_bytes(&net.onnx()).unwrap();
    let rig = seed_rig();
    let batch = 8;
    let shape = [batch, C, H, W];
    let all = m.on_rig(&rig, &Mapping::default()).unwrap();
    let none = m
        .on_rig(
            &rig,
            &Mapping {
                optical: LayerChoice::None,
                ..Mapping::default()
            },
        )
        .unwrap();
    let (a, d) = (
        all.cost(&[("x", &shape)]).unwrap(),
        none.cost(&[("x", &shape)]).unwrap(),
    );
    let [oh, ow] = conv_out();
    let [ph, pw] = pooled();
    assert_eq!(a.batch, batch);
    assert_eq!(a.layers[0].vectors, (oh * ow) as f64);
    assert_eq!(a.layers[0].macs, (oh * ow * M * C * K * K) as f64);
    assert_eq!(a.layers[1].vectors, 1.0);
    assert_eq!(a.layers[1].macs, (CLASSES * M * ph * pw) as f64);
    let macs = a.layers.iter().map(|l| l.macs).sum::<f64>();
    assert_eq!(a.optical_macs, macs);
    assert_eq!(a.host_macs, 0.0);
    assert_eq!(d.optical_macs, 0.0);
    assert_eq!(d.host_macs, macs);
    for c in [&a, &d] {
        let sum: f64 = c.categories.iter().map(|k| k.joules).sum();
        assert!((sum - c.j_per_inference).abs() <= 1e-9 * c.j_per_inference);
        assert!(c.j_per_inference > 0.0 && c.inferences_per_s > 0.0);
        assert!(c.optical_j + c.host_j <= c.j_per_inference * (1.0 + 1e-12));
    }
    // The converters' per-event energy comes with optical layers; without them only their DC
    // draw over the (host) step remains.
    let conversions = |c: &lightloop_models::onnx::CostReport| {
        c.categories
            .iter()
            .filter(|k| k.category.contains("conversion"))
            .map(|k| k.joules)
            .sum::<f64>()
    };
    println!(
        "conv net on {}: all optical {:.3e} J/inference (optical core {:.3e}, host {:.3e}, \
         conversions {:.3e}); all digital {:.3e} J/inference (conversions {:.3e})",
        a.rig,
        a.j_per_inference,
        a.optical_j,
        a.host_j,
        conversions(&a),
        d.j_per_inference,
        conversions(&d)
    );
    assert!(conversions(&a) > conversions(&d), "{a:?}\n{d:?}");
    // The report serialises.
    let json = serde_json::to_string(&a).unwrap();
    assert!(json.contains("/conv/Conv"));
}

// ---------------------------------------------------------------------------------------------
// Refusals

#[test]
fn malformed_bytes_are_errors_not_panics() {
    for bytes in [
        &b""[..],
        b"\xff\xff\xff",
        b"not an onnx file at all",
        b"\x3a\x05ab",
    ] {
        let e = OnnxModel::from_bytes(bytes).unwrap_err().to_string();
        assert!(e.starts_with("ONNX model"), "{e}");
    }
    let good = Mlp::new().onnx(17);
    // Every truncation, and a byte flipped at every position: an error or a model, never a panic;
    // a cut inside the weights is an error.
    for n in 0..good.len() {
        let _ = OnnxModel::from_bytes(&good[..n]);
    }
    for k in 0..good.len() {
        let mut b = good.clone();
        b[k] = b[k].wrapping_add(0x61);
        if let Ok(m) = OnnxModel::from_bytes(&b) {
            let x = values(2 * IN, 1, 1.0);
            let _ = m.run(&[("x", &x, &[2, IN])]);
        }
    }
    let cut = OnnxModel::from_bytes(&good[..good.len() / 2])
        .unwrap_err()
        .to_string();
    assert!(cut.contains("malformed"), "{cut}");
}

#[test]
fn an_unsupported_operator_is_named_with_its_node() {
    let bytes = model(
        17,
        vec![node("my_lstm", "LSTM", &["x"], &["y"], vec![])],
        vec![],
        vec![ValueInfo::f32("x", &[Some(1), Some(2)])],
        vec![ValueInfo::f32("y", &[None])],
    );
    let m = OnnxModel::from_bytes(&bytes).unwrap();
    let e = m
        .run(&[("x", &[1.0, 2.0], &[1, 2])])
        .unwrap_err()
        .to_string();
    assert!(e.contains("`LSTM`") && e.contains("my_lstm"), "{e}");
}

#[test]
fn old_opsets_wrong_inputs_and_shapes_are_refused_with_reasons() {
    let e = OnnxModel::from_bytes(&Mlp::new().onnx(9))
        .unwrap_err()
        .to_string();
    assert!(e.contains("operator set 9"), "{e}");
    let m = OnnxModel::from_bytes(&Mlp::new().onnx(17)).unwrap();
    let x = values(2 * IN, 1, 1.0);
    let e = m.run(&[("x", &x, &[2, IN + 1])]).unwrap_err().to_string();
    assert!(e.contains("values for shape"), "{e}");
    let e = m
        .run(&[("x", &x[..IN + 2], &[1, IN + 2])])
        .unwrap_err()
        .to_string();
    assert!(e.contains("declares"), "{e}");
    let e = m.run(&[("y", &x, &[2, IN])]).unwrap_err().to_string();
    assert!(e.contains("no input `y`"), "{e}");
    let e = m.run(&[]).unwrap_err().to_string();
    assert!(e.contains("`x` is missing"), "{e}");
}
