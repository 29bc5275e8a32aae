//! Energy and time per inference of a model's mapping onto a rig, from the cost model.
//!
//! **What is priced.** Each optical-capable layer is one d_in × d_out product (d_in = its
//! columns, d_out = its rows) applied v times per inference, v = the vectors through it (1 for
//! a dense layer on one vector, the output positions for a convolution, the sequence positions
//! for a MatMul on a sequence). A layer on the optics is scheduled on the core (DAC and ADC
//! conversions, symbols, weight writes, host↔core link); a layer left digital is 2·d_in·d_out
//! FLOPs per use on the host with its weights read from host memory at 32 bits (ONNX float
//! weights). One step of the cost model runs the whole batch of the run (the leading axis of
//! the first input), with [`lightloop_cost::evaluate::network_cost`]: the same phases, ledger
//! items and DC loads as a workload's evaluation, the per-step overhead charged once.
//!
//! **Host work** besides the digital layers, per output element of each node: 1 FLOP for
//! arithmetic (add, multiply, ReLU, bias, clip, reductions), 5 for transcendental functions
//! (sigmoid, tanh, exp, erf, softmax, layer norm; the cost model's figure per softmax score),
//! 4 for batch norm, the window's size for pooling, 2 per multiply-accumulate for products of
//! two activations; plus the optical layers' encoding on the host, 3 FLOPs per input value
//! (scale, offset) and 3 per output (decode, [`crate::linear`]).
//!
//! **Simplifications.** Shape operations (reshape, transpose, gather, concat) cost nothing;
//! activations passed between host operations are not charged memory traffic (the link is, for
//! the optical layers' inputs and outputs); the digital layers' weights are read once per step;
//! every optical layer holds its own weight matrix, persistent on rigs that keep weights only
//! when all of them fit the core together.

use super::LayerInfo;
use super::ops::Profile;
use crate::{Error, Result};
use lightloop_cost::Category;
use lightloop_cost::evaluate::{Core, Product, network_cost};
use lightloop_rig::Rig;

/// Host FLOPs of the optical encoding per input value and per output value.
const ENCODE_FLOPS: f64 = 3.0;
/// Bits of a digital layer's stored weight (f32).
const HOST_WEIGHT_BITS: u32 = 32;

/// One layer's share of an inference.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LayerCost {
    pub name: String,
    pub op: String,
    pub rows: usize,
    pub cols: usize,
    pub optical: bool,
    /// Vectors through the product per inference.
    pub vectors: f64,
    /// rows × cols × vectors.
    pub macs: f64,
}

/// One ledger category per inference.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CategoryCost {
    pub category: String,
    pub joules: f64,
}

/// The cost of one inference of a mapping on a rig.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CostReport {
    pub rig: String,
    /// Inferences priced together in one step (the run's batch).
    pub batch: usize,
    pub layers: Vec<LayerCost>,
    /// Per inference: MACs on the optics, MACs on the host (digital layers and products of
    /// activations), other host FLOPs.
    pub optical_macs: f64,
    pub host_macs: f64,
    pub host_flops: f64,
    /// Energy per inference, J, and its split: the optical core's categories (conversions,
    /// lasers, amplifiers, weights, control) and the host's (digital work, memory and link).
    pub j_per_inference: f64,
    pub optical_j: f64,
    pub host_j: f64,
    /// Energy per inference by ledger category.
    pub categories: Vec<CategoryCost>,
    /// Time of the step, s, and inferences per second.
    pub step_seconds: f64,
    pub inferences_per_s: f64,
}

/// Prices the layers (with whether each is optical) and the host work counted in `profile`.
pub(crate) fn price(
    rig: &Rig,
    layers: &[(LayerInfo, bool)],
    profile: &Profile,
) -> Result<CostReport> {
    let n = profile.inferences;
    if n < 1.0 || n.is_nan() {
        return Err(Error::Invalid(
            "the first input's leading dimension is 0: no inference to price".into(),
        ));
    }
    let mut products = Vec::with_capacity(layers.len());
    let mut rows = Vec::with_capacity(layers.len());
    let mut host_flops = profile.host_flops;
    let (mut optical_macs, mut host_macs) = (0.0, profile.activation_macs);
    for ((info, optical), &vectors) in layers.iter().zip(&profile.vectors) {
        let (d_in, d_out) = (
            u32::try_from(info.cols)
                .map_err(|_| Error::Invalid(format!("{} columns", info.cols)))?,
            u32::try_from(info.rows).map_err(|_| Error::Invalid(format!("{} rows", info.rows)))?,
        );
        let macs = vectors * (info.rows * info.cols) as f64;
        if *optical {
            optical_macs += macs;
            host_flops += vectors * ENCODE_FLOPS * (info.rows + info.cols) as f64;
        } else {
            host_macs += macs;
        }
        if vectors > 0.0 {
            products.push(Product {
                d_in,
                d_out,
                uses: vectors / n,
                optical: *optical,
            });
        }
        rows.push(LayerCost {
            name: info.name.clone(),
            op: info.op.clone(),
            rows: info.rows,
            cols: info.cols,
            optical: *optical,
            vectors: vectors / n,
            macs: macs / n,
        });
    }
    let core = Core::from_rig(rig);
    let step = network_cost(&core, &products, host_flops / n, HOST_WEIGHT_BITS, n);
    let per = step.ledger.scaled(1.0 / n);
    let j = per.total();
    if !j.is_finite() {
        return Err(Error::Invalid(format!(
            "the energy per inference on {} comes to {j}",
            rig.rig.name
        )));
    }
    Ok(CostReport {
        rig: rig.rig.name.clone(),
        batch: n as usize,
        layers: rows,
        optical_macs: optical_macs / n,
        host_macs: host_macs / n,
        host_flops: host_flops / n,
        j_per_inference: j,
        optical_j: per.core(),
        host_j: per.category(Category::HostDigital) + per.category(Category::MemoryTraffic),
        categories: Category::ALL
            .iter()
            .map(|&c| CategoryCost {
                category: c.label().into(),
                joules: per.category(c),
            })
            .collect(),
        step_seconds: step.time,
        inferences_per_s: n / step.time,
    })
}
