//! The impairments of a multi-lane loop and mode-division multiplexing against closed forms and
//! limits: zero impairment leaves every figure as it was, M modes multiply the lanes, a lane's
//! gain error shifts the return map's fixed point as the linearised map says, a random gain
//! settles at σ₁/√(1 − s²) in a regenerating loop, and the preset's dispersion by hand.

use lightloop_cost::decision::loop_noise;
use lightloop_cost::impairments::{BY_BUDGET, ImpairmentBudget};
use lightloop_cost::lane_gain::{LaneLoop, LaneSetting};
use lightloop_cost::mode_multiplexing::mux_pairs;
use lightloop_cost::noise::ReadoutPoint;
use lightloop_cost::polarisation::sigma_per_pass_db;
use lightloop_cost::regeneration::{LoopMap, drift_of_one, fixed_points, slope};
use lightloop_cost::{Item, evaluate};
use lightloop_rig::{Rig, Workload, load_rig, load_workload};

fn rig(name: &str, sets: &[&str]) -> Rig {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_rig(name, &sets).unwrap().value
}

fn wl() -> Workload {
    load_workload("deep-loop-2048", &[]).unwrap().value
}

fn point(r: &Rig) -> ReadoutPoint {
    evaluate(r, &wl()).unwrap().noise.budget.point
}

#[test]
fn zero_impairments_leave_every_figure_unchanged() {
    let seed = rig("seed-16ch", &[]);
    let zero = rig(
        "seed-16ch",
        &[
            "impairments.gain_tilt=0 dB",
            "impairments.gain_ripple=0 dB",
            "impairments.dispersion=0 ps/(nm·km)",
            "impairments.polarisation_dependent_gain=0 dB",
            "mode_multiplexing.modes=1",
        ],
    );
    // The cost model's figures are the same, number for number.
    let (a, b) = (
        evaluate(&seed, &wl()).unwrap(),
        evaluate(&zero, &wl()).unwrap(),
    );
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    // Every impairment's line equals the unimpaired loop's: no penalty, the same passes.
    let imp = ImpairmentBudget::of_rig(&zero, point(&zero), 1e-6).unwrap();
    let own = &imp.limits[0];
    assert!(own.impairment.starts_with("none"));
    assert!(own.passes.is_some(), "the seed's zero level drifts");
    for l in &imp.limits[1..] {
        if l.criterion == BY_BUDGET {
            assert_eq!((l.penalty_db, l.passes), (Some(0.0), None), "{l:?}");
        } else {
            assert_eq!(l.passes, own.passes, "{l:?}");
            assert_eq!(l.penalty_db, own.penalty_db, "{l:?}");
        }
    }
    assert!(imp.limited_by.starts_with("none"));
    // No section, no budget.
    assert!(ImpairmentBudget::of_rig(&seed, point(&seed), 1e-6).is_none());
}

#[test]
fn modes_multiply_the_lanes_and_cost_their_parts() {
    let seed = rig("seed-16ch", &[]);
    let three = rig(
        "seed-16ch",
        &[
            "mode_multiplexing.modes=3",
            "mode_multiplexing.mux_power=2 W",
        ],
    );
    let (a, b) = (
        evaluate(&seed, &wl()).unwrap(),
        evaluate(&three, &wl()).unwrap(),
    );
    // Three lanes in the same fibre: 3× the peak MAC rate, 3× the lasers and receivers.
    assert_eq!(b.rates.lanes, 3.0 * a.rates.lanes);
    assert!((b.rates.peak_macs_per_s / a.rates.peak_macs_per_s - 3.0).abs() < 1e-12);
    let watts = |e: &lightloop_cost::Evaluation, i| e.step.ledger.get(i) / e.step.phases.total();
    for i in [
        Item::LaserWallPlug,
        Item::ReceiverStatic,
        Item::ModulatorBias,
    ] {
        assert!((watts(&b, i) / watts(&a, i) - 3.0).abs() < 1e-9, "{i:?}");
    }
    // A few-mode amplifier (the default) serves every mode: the SOAs stay as they were.
    assert!((watts(&b, Item::SoaDrive) / watts(&a, Item::SoaDrive) - 1.0).abs() < 1e-9);
    // One mux pair per channel's fibre (16 for the TDM seed), 2 W each.
    assert_eq!(mux_pairs(&three), 16.0);
    assert!((watts(&b, Item::ModeMux) - 32.0).abs() < 1e-9);
    assert_eq!(a.step.ledger.get(Item::ModeMux), 0.0);
    // Amplifiers of one mode each: three times the SOAs.
    let per_mode = rig(
        "seed-16ch",
        &[
            "mode_multiplexing.modes=3",
            "mode_multiplexing.amplifier_supports_modes=false",
        ],
    );
    let c = evaluate(&per_mode, &wl()).unwrap();
    assert!((watts(&c, Item::SoaDrive) / watts(&a, Item::SoaDrive) - 3.0).abs() < 1e-9);
    // The mux pair's loss lowers the received power by exactly its dB.
    let lossy = rig(
        "seed-16ch",
        &[
            "mode_multiplexing.modes=3",
            "mode_multiplexing.mux_insertion_loss=4 dB",
        ],
    );
    let (pa, pl) = (point(&seed), point(&lossy));
    let db = 10.0 * (pa.received_power / pl.received_power).log10();
    assert!((db - 4.0).abs() < 1e-9, "{db}");
}

#[test]
fn a_lanes_gain_error_shifts_the_return_maps_fixed_point() {
    // The seed's map holds ±1 (slope s < 1 there). A lane with gain error g has the map
    // 10^(g/20)·f; linearised about 1, its fixed point moves to 1 + (γ − 1)/(1 − s), γ = 10^(g/20).
    let r = rig("seed-16ch", &[]);
    let map = LoopMap::from_rig(&r).unwrap();
    let s = slope(&|a| map.next(a), 1.0);
    assert!(s.abs() < 1.0, "{s}");
    let lane = LaneLoop::Map(map);
    for g in [-0.02, 0.02] {
        let f = |a: f64| lane.next(a, g);
        let fp = fixed_points(&f, 0.5, 1.5, 400);
        let near = fp
            .iter()
            .min_by(|x, y| {
                (x.amplitude - 1.0)
                    .abs()
                    .total_cmp(&(y.amplitude - 1.0).abs())
            })
            .unwrap();
        let gamma = 10f64.powf(g / 20.0);
        let predicted = 1.0 + (gamma - 1.0) / (1.0 - s);
        assert!(
            ((near.amplitude - 1.0) / (predicted - 1.0) - 1.0).abs() < 0.02,
            "g {g}: {} vs {predicted}",
            near.amplitude
        );
        // The lane's +1 level settles there: the fate's level after many passes.
        let setting = LaneSetting {
            lane_loop: lane,
            zero_start: 0.0,
            sigma_pass: 0.0,
            sigma_read: 0.01,
            target: 1e-6,
            passes: 400,
        };
        let fate = setting.fate(g, 0.0);
        assert!((fate.one_after - near.amplitude).abs() < 1e-6, "{fate:?}");
    }
}

#[test]
fn random_gain_settles_in_a_regenerating_loop() {
    // The +1 level's deviation x_{k+1} = s·x_k + e_k settles at σ₁/√(1 − s²): PDG of 0.5 dB
    // gives σ₁ = 0.1443 dB, 0.1443·ln10/20 in amplitude.
    let r = rig("seed-16ch", &[]);
    let map = LoopMap::from_rig(&r).unwrap();
    let f = |a: f64| map.next(a);
    let s = slope(&f, 1.0);
    let sa = sigma_per_pass_db(0.5) * std::f64::consts::LN_10 / 20.0;
    let d = drift_of_one(&f, 1.0, 0.5, sa, 0.0, f64::INFINITY, 2000);
    let held = sa / (1.0 - s * s).sqrt();
    let last = *d.sigma.last().unwrap();
    assert!((last / held - 1.0).abs() < 1e-6, "{last} vs {held}");
    // Without the map's pull (a linear loop) it grows as √n instead.
    let lin = |a: f64| a;
    let l = drift_of_one(&lin, 1.0, 0.5, sa, 0.0, f64::INFINITY, 400);
    assert!((l.sigma[400] / (sa * 20.0) - 1.0).abs() < 1e-8);
}

#[test]
fn the_preset_impairments_by_hand() {
    let r = rig("seed-wdm-32", &[]);
    let imp = ImpairmentBudget::of_rig(&r, point(&r), 1e-6).unwrap();
    // Dispersion: σ_λ = λ²·B_mod/c = (1550 nm)²·20 GHz/c = 0.16028 nm; Δτ = 17 ps/(nm·km) ×
    // 0.63 km × 0.16028 nm = 1.7166 ps per pass; at 1/6 ns, ε = 2.861e-4 per pass; the 1 dB
    // budget's ε = 0.151 87 is passed at pass 531.
    let d = imp.dispersion.unwrap();
    assert!((d.spectral_width_m / 0.160_28e-9 - 1.0).abs() < 1e-4);
    assert!((d.broadening_per_pass_s / 1.7166e-12 - 1.0).abs() < 1e-4);
    assert!((d.epsilon_per_pass / 2.861e-4 - 1.0).abs() < 1e-3);
    assert_eq!(d.passes_to_budget, Some(531));
    // Lane gain: 32 lanes 100 GHz apart in 4.4 THz span x = ±15.5/44; the tilt alone gives
    // ±1.2·15.5/44 = ±0.4227 dB at the edges; the ripple moves the worst lanes a little.
    let g = imp.lane_gains.as_ref().unwrap();
    assert_eq!(g.wavelengths, 32);
    assert!(g.worst_low_db < -0.3 && g.worst_high_db > 0.3, "{g:?}");
    // The gain errors cost passes: fewer than the loop's own drift allows.
    let own = imp.limits[0].passes.unwrap();
    let lane = imp
        .limits
        .iter()
        .find(|l| l.impairment.starts_with("lane gain"))
        .unwrap();
    assert!(lane.passes.unwrap() < own, "{lane:?} vs {own}");
    assert_eq!(imp.limited_by, lane.impairment);
    assert!(imp.words().contains("lane gain"));
    // PDG's rms gain error after 12 passes lies between one pass's σ and the linear loop's √12 σ.
    let pdg = imp
        .limits
        .iter()
        .find(|l| l.impairment.starts_with("polarisation"))
        .unwrap();
    let p = pdg.penalty_db.unwrap();
    assert!(p > sigma_per_pass_db(0.5) && p < sigma_per_pass_db(0.5) * 12f64.sqrt());
    // The loop noise is the decision's: both from the same headline point.
    let (sp, sr) = loop_noise(&r, point(&r));
    assert!(sp > 0.0 && sr > 0.0);
}

#[test]
fn the_mode_preset_costs_loss_and_crosstalk() {
    let one = rig("seed-wdm-32", &[]);
    let three = rig("seed-mdm-3", &[]);
    let (a, b) = (
        evaluate(&one, &wl()).unwrap(),
        evaluate(&three, &wl()).unwrap(),
    );
    assert_eq!(b.rates.lanes, 96.0);
    assert!((b.rates.peak_macs_per_s / a.rates.peak_macs_per_s - 3.0).abs() < 1e-12);
    let imp = ImpairmentBudget::of_rig(&three, point(&three), 1e-6).unwrap();
    let m = imp.modes.unwrap();
    // −30 dB per pass: ε = 1e-3 a pass, 1.2e-2 after 12 passes: −10·log10(1 − 2√0.012) = 1.074 dB;
    // the 1 dB budget (ε = 0.010 575) is passed at pass 11.
    assert!((m.crosstalk_penalty_db.unwrap() - 1.0743).abs() < 1e-3);
    assert_eq!(m.passes_to_budget, Some(11));
    // 4 dB of mux loss: 10 mW × 10^0.4 = 25.12 mW makes it up.
    assert!((m.laser_power_to_make_up_w - 0.025_119).abs() < 1e-6);
    assert_eq!(imp.limited_by, "mode crosstalk");
    // Together the errors come no later than any one alone, and the words say when.
    let all = imp.limits.last().unwrap();
    assert_eq!(all.impairment, "all together");
    let t = all.passes.unwrap();
    assert!(
        imp.limits[..imp.limits.len() - 1]
            .iter()
            .all(|l| l.passes.is_none_or(|p| t <= p))
    );
    assert!(
        imp.words().contains(&format!("at pass {t}")),
        "{}",
        imp.words()
    );
}
