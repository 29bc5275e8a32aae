//! Monte-Carlo runs of the time-domain components held against closed forms, each within 3 %.
//! The closed forms are the noise budget's own functions (`lightloop_cost::noise`), so the
//! engine and the cost model are checked against one another.

use lightloop_base::stats::ber_from_q;
use lightloop_cost::noise::{
    ase_ase_variance, shot_variance, signal_ase_variance, thermal_variance,
};
use lightloop_cost::optics::saturated_gain;
use lightloop_physics::ase::Ase;
use lightloop_physics::clock::integrate;
use lightloop_physics::gaussian::fill_normals;
use lightloop_physics::photodiode::Photodiode;
use lightloop_physics::rng::{Rng, stream};
use lightloop_physics::saturable_absorber::SaturableAbsorber;
use lightloop_physics::soa::Soa;
use lightloop_physics::tia::Tia;
use lightloop_physics::{Clock, ElectricalStage, Light, Stage};
use lightloop_rig::constants::{BOLTZMANN, ELEMENTARY_CHARGE, photon_energy};
use num_complex::Complex64;

const T_S: f64 = 6e-9;
const SPS: usize = 8;

fn clock() -> Clock {
    Clock::new(T_S, SPS)
}

fn steady(p: f64, n: usize) -> Light {
    Light {
        field: vec![Complex64::new(p.sqrt(), 0.0); n],
        background: vec![0.0; n],
    }
}

/// Mean and variance of the per-symbol integrated photocurrent of `blocks` blocks of light made
/// by `make`, detected by `pd` (no receiver noise).
fn detected_stats(
    pd: &Photodiode,
    blocks: usize,
    rng: &mut Rng,
    mut make: impl FnMut(&mut Rng) -> Light,
) -> (f64, f64) {
    let mut values = Vec::new();
    let mut current = Vec::new();
    for _ in 0..blocks {
        let light = make(rng);
        pd.detect(&light, &mut current, rng);
        values.extend(integrate(&current, SPS, 0.0, rng));
    }
    mean_var(&values)
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

#[track_caller]
fn within(measured: f64, expected: f64, rel: f64) {
    assert!(
        (measured / expected - 1.0).abs() < rel,
        "measured {measured:e}, closed form {expected:e} ({:+.2} %)",
        (measured / expected - 1.0) * 100.0
    );
}

/// Noise bandwidth of the integrate-and-dump receiver over one symbol.
fn b_e() -> f64 {
    1.0 / (2.0 * T_S)
}

#[test]
fn shot_noise_variance_equals_its_mean() {
    // From ~34 to ~34,000 electrons per symbol: σ² = 2q(I + I_d)B_e, i.e. Poisson variance = mean.
    for p in [1e-9, 1e-8, 1e-6] {
        let pd = Photodiode::new(0.9, 10e-9, &clock(), 1e11);
        let mut rng = stream(11, "shot", 0, (p * 1e12) as u64);
        let (mean, var) = detected_stats(&pd, 400, &mut rng, |_| steady(p, 1000 * SPS));
        within(mean, 0.9 * p + 10e-9, 0.01);
        within(var, shot_variance(0.9 * p, 10e-9, b_e()), 0.03);
        // In electrons: variance = mean.
        let to_e = T_S / ELEMENTARY_CHARGE;
        within(var * to_e * to_e, mean * to_e, 0.03);
    }
}

#[test]
fn thermal_noise_is_4ktb_over_r() {
    // A TIA whose input noise is the Johnson noise of a 1 kΩ load, √(4kT/R): the integrated
    // output variance, referred to the input, is 4kTB_e/R.
    let r = 1000.0;
    let density = (4.0 * BOLTZMANN * 300.0 / r).sqrt();
    let mut tia = Tia::new(r, density, 1e12, 0.0, &clock());
    let mut rng = stream(12, "thermal", 0, 0);
    let mut values = Vec::new();
    for _ in 0..400 {
        let mut s = vec![0.0; 1000 * SPS];
        tia.process(&mut s, &mut rng);
        values.extend(integrate(&s, SPS, 0.0, &mut rng).iter().map(|v| v / r));
    }
    let (_, var) = mean_var(&values);
    within(var, thermal_variance(300.0, r, b_e()), 0.03);
    // The reference density: 4.07 pA/√Hz at 1 kΩ.
    assert!((density - 4.07e-12).abs() < 0.01e-12);
}

/// `l` with the ASE of gain `g` added to every sample.
fn with_ase(ase: &Ase, g: f64, mut l: Light, rng: &mut Rng) -> Light {
    let mut z = Vec::new();
    fill_normals(rng, 2 * l.len(), &mut z);
    let (z_re, z_im) = z.split_at(l.len());
    let samples = l.field.iter_mut().zip(l.background.iter_mut());
    for ((e, b), z) in samples.zip(z_re.iter().zip(z_im)) {
        ase.add(g, e, b, [*z.0, *z.1]);
    }
    l
}

#[test]
fn signal_ase_beat_noise() {
    // 1 mW of signal with the ASE of a 20 dB, n_sp = 2 amplifier in a 100 GHz optical band:
    // signal–ASE beat dominates; shot and ASE–ASE are added from their closed forms.
    let c = clock();
    let (r, p_s, g, nsp, b_o) = (0.9, 1e-3, 100.0, 2.0, 100e9);
    let hv = photon_energy(1550e-9);
    let ase = Ase::new(nsp, hv, c.rate(), b_o);
    let s = ase.psd(g);
    let pd = Photodiode::new(r, 0.0, &c, b_o);
    let mut rng = stream(13, "s-ase", 0, 0);
    let (mean, var) = detected_stats(&pd, 300, &mut rng, |rng| {
        with_ase(&ase, g, steady(p_s, 1000 * SPS), rng)
    });
    let ase_power = 2.0 * s * b_o;
    within(mean, r * (p_s + ase_power), 0.01);
    let expected = signal_ase_variance(r, p_s, s, b_e())
        + ase_ase_variance(r, s, b_o, b_e())
        + shot_variance(r * (p_s + ase_power), 0.0, b_e());
    assert!(
        signal_ase_variance(r, p_s, s, b_e()) > 0.9 * expected,
        "signal–ASE must dominate this test"
    );
    within(var, expected, 0.03);
}

#[test]
fn ase_ase_beat_noise() {
    // No signal: the ASE of a 30 dB amplifier alone. ASE–ASE beat dominates shot noise.
    let c = clock();
    let (r, g, nsp, b_o) = (0.9, 1000.0, 2.0, 100e9);
    let ase = Ase::new(nsp, photon_energy(1550e-9), c.rate(), b_o);
    let s = ase.psd(g);
    let pd = Photodiode::new(r, 0.0, &c, b_o);
    let mut rng = stream(14, "ase-ase", 0, 0);
    let (_, var) = detected_stats(&pd, 300, &mut rng, |rng| {
        with_ase(&ase, g, steady(0.0, 1000 * SPS), rng)
    });
    let expected =
        ase_ase_variance(r, s, b_o, b_e()) + shot_variance(r * 2.0 * s * b_o, 0.0, b_e());
    assert!(ase_ase_variance(r, s, b_o, b_e()) > 0.9 * expected);
    within(var, expected, 0.03);
}

#[test]
fn ber_follows_the_q_factor() {
    // On-off keying through a photodiode and a noisy TIA, decided at the midpoint of the two
    // integrated levels: BER = ½[Q((I₁−θ)/σ₁) + Q((θ−I₀)/σ₀)] with σ² from the closed forms.
    let c = clock();
    let (r, p1, density) = (0.9, 1e-6, 20e-12);
    let pd = Photodiode::new(r, 0.0, &c, 1e11);
    let mut tia = Tia::new(1.0, density, 1e12, 0.0, &c);
    let mut rng = stream(15, "ber", 0, 0);
    let sigma = |i: f64| (shot_variance(i, 0.0, b_e()) + density * density * b_e()).sqrt();
    let (i0, i1) = (0.0, r * p1);
    let theta = 0.5 * (i0 + i1);
    let expected =
        0.5 * (ber_from_q((i1 - theta) / sigma(i1)) + ber_from_q((theta - i0) / sigma(i0)));
    let (mut errors, mut bits) = (0u64, 0u64);
    let mut current = Vec::new();
    for block in 0..400 {
        let n = 5000;
        let sent: Vec<bool> = (0..n)
            .map(|k| (k * 7 + block) % 3 == 0 || (k ^ block) % 2 == 1)
            .collect();
        let mut light = Light::dark(n * SPS);
        for (k, &one) in sent.iter().enumerate() {
            if one {
                for e in &mut light.field[k * SPS..(k + 1) * SPS] {
                    *e = Complex64::new(p1.sqrt(), 0.0);
                }
            }
        }
        pd.detect(&light, &mut current, &mut rng);
        tia.process(&mut current, &mut rng);
        for (v, s) in integrate(&current, SPS, 0.0, &mut rng).iter().zip(&sent) {
            errors += ((*v > theta) != *s) as u64;
            bits += 1;
        }
    }
    let ber = errors as f64 / bits as f64;
    assert!(
        expected > 1e-3 && expected < 3e-2,
        "pick a measurable BER: {expected}"
    );
    within(ber, expected, 0.03);
}

#[test]
fn soa_steady_state_gain_saturation() {
    // Under a constant input the gain settles to G = G₀·exp(−(G−1)·P_in/P_sat).
    let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
    let c = clock();
    for p_in in [1e-5, 1e-4, 1e-3, 5e-3] {
        let mut soa = Soa::from_rig(&rig, &c).unwrap();
        let mut rng = stream(16, "soa", 0, 0);
        let mut l = steady(p_in, 4000);
        soa.process(&mut l, &mut rng);
        let expected = saturated_gain(soa.small_signal_gain(), p_in, soa.saturation_power());
        within(soa.gain(), expected, 1e-3);
        assert!(soa.gain() < soa.small_signal_gain());
    }
}

#[test]
fn absorber_steady_state_transmission() {
    let c = clock();
    for p in [1e-5, 1e-3, 1e-2, 1e-1] {
        let mut sa = SaturableAbsorber::new(0.3, 0.1, 10e-3, 1e-9, c.dt());
        let mut rng = stream(17, "sa", 0, 0);
        let mut l = steady(p, 400);
        sa.process(&mut l, &mut rng);
        let t_out = l.power(399) / p;
        within(t_out, 1.0 - 0.3 / (1.0 + p / 10e-3) - 0.1, 1e-6);
    }
}

#[test]
fn receiver_rise_time_is_2_2_tau() {
    // A noiseless TIA of 100 MHz bandwidth sampled at 10 ps: 10–90 % in 2.2τ.
    let c = Clock::new(1e-9, 100);
    let mut tia = Tia::new(1.0, 0.0, 100e6, 0.0, &c);
    let mut rng = stream(18, "rise", 0, 0);
    let mut s = vec![1.0; 4000];
    tia.process(&mut s, &mut rng);
    let t10 = s.iter().position(|v| *v >= 0.1).unwrap() as f64 * c.dt();
    let t90 = s.iter().position(|v| *v >= 0.9).unwrap() as f64 * c.dt();
    let tau = 1.0 / (2.0 * std::f64::consts::PI * 100e6);
    within(t90 - t10, tau * 9f64.ln(), 0.03);
}

#[test]
fn passive_chain_never_adds_power() {
    let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
    let c = clock();
    let mut rng = stream(19, "passive", 0, 0);
    let mut stages: Vec<Box<dyn Stage>> = vec![
        Box::new(lightloop_physics::coupler::Passive::rig_path(&rig)),
        Box::new(lightloop_physics::fibre::Fibre::new(630.0, 0.2e-3, c.dt())),
        Box::new(lightloop_physics::coupler::Passive::splitter(16, 1.0)),
    ];
    let mut l = steady(1e-3, 10_000);
    let before = l.mean_power();
    for s in stages.iter_mut() {
        let p_in = l.mean_power();
        s.process(&mut l, &mut rng);
        assert!(
            l.mean_power() <= p_in * (1.0 + 1e-12),
            "{} added power",
            s.name()
        );
    }
    assert!(l.mean_power() < before);
}
