//! The twin's VMM against a plain GEMM of the same library (used by `lightloop bench`).

use crate::vmm::{NoisyVmm, TernaryMatrix};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use lightloop_rig::Rig;
use std::time::Instant;

/// Median seconds per call of (plain f32 GEMM W·X, the twin's noisy ternary VMM) for an
/// `n`×`n` ternary matrix and a batch of `batch` columns, on one thread, over `rounds` rounds
/// that alternate the two so that machine noise affects both alike.
pub fn vmm_against_gemm(rig: &Rig, n: usize, batch: usize, rounds: usize) -> (f64, f64) {
    let w: Vec<i8> = (0..n * n)
        .map(|k| ((k * 7919 + k / 3) % 3) as i8 - 1)
        .collect();
    let tm = TernaryMatrix::from_rows(n, n, &w);
    let x = Mat::from_fn(n, batch, |i, j| ((i * 13 + j * 7) % 11) as f32 / 10.0);
    let wf = tm.weights().to_owned();
    let twin = NoisyVmm::from_rig(rig, 1);
    let mut out = Mat::<f32>::zeros(n, batch);
    let (mut g, mut t) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for r in 0..rounds + 2 {
        let start = Instant::now();
        matmul(&mut out, Accum::Replace, &wf, &x, 1.0, Par::Seq);
        std::hint::black_box(&out);
        let gemm = start.elapsed().as_secs_f64();
        let start = Instant::now();
        std::hint::black_box(twin.apply(&tm, x.as_ref(), r as u64));
        let tw = start.elapsed().as_secs_f64();
        if r >= 2 {
            g.push(gemm);
            t.push(tw);
        }
    }
    (median(&mut g), median(&mut t))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
