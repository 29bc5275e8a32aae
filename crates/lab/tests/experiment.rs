//! The loop-network experiments run as a library: short runs (2 passes, 1 seed, 2 epochs) on
//! the seed rig, asserted on their rows; and the configurations' refusals, naming the field.

use lightloop_lab::LabError;
use lightloop_lab::experiment::{
    self as lab, NetTask, cadence, curriculum, depth, distill, gain, halting, loop_training,
    pareto, readout, rule, width,
};
use lightloop_lab::progress::quiet;
use lightloop_rig::Rig;

fn rig() -> Rig {
    lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value
}

/// One seed, two epochs, width 16.
fn short() -> lab::Common {
    lab::Common {
        width: 16,
        epochs: 2,
        seeds: 1,
        ..lab::Common::default()
    }
}

/// The field a configuration error names.
fn refused<T: std::fmt::Debug>(r: Result<T, LabError>) -> &'static str {
    match r {
        Err(LabError::Config { field, .. }) => field,
        other => panic!("not a configuration error: {other:?}"),
    }
}

fn accuracy_beats_chance(acc: f64) {
    assert!(acc > 0.2 && acc <= 1.0, "{acc}");
}

#[test]
fn every_default_configuration_is_valid() {
    depth::Config::default().validate().unwrap();
    readout::Config::default().validate().unwrap();
    width::Config::default().validate().unwrap();
    distill::Config::default().validate().unwrap();
    curriculum::Config::default().validate().unwrap();
    gain::Config::default().validate().unwrap();
    halting::Config::default().validate().unwrap();
    cadence::Config::default().validate().unwrap();
    pareto::Config::default().validate().unwrap();
    rule::Config::default().validate().unwrap();
    loop_training::Config::default().validate().unwrap();
}

#[test]
fn configurations_name_the_bad_field() {
    let c = lab::Common::default();
    assert_eq!(
        refused(
            depth::Config {
                passes: vec![0],
                ..Default::default()
            }
            .validate()
        ),
        "passes"
    );
    assert_eq!(
        refused(
            depth::Config {
                common: lab::Common {
                    width: 2,
                    ..c.clone()
                },
                ..Default::default()
            }
            .validate()
        ),
        "width"
    );
    let err = depth::Config {
        common: lab::Common {
            width: 2,
            ..c.clone()
        },
        ..Default::default()
    }
    .validate()
    .unwrap_err();
    assert!(err.is_input());
    assert_eq!(err.to_string(), "width: must be 4 … 1024, not 2");
    assert_eq!(
        refused(
            width::Config {
                widths: vec![2],
                ..Default::default()
            }
            .validate()
        ),
        "widths"
    );
    assert_eq!(
        refused(
            distill::Config {
                weight: 1.5,
                ..Default::default()
            }
            .validate()
        ),
        "weight"
    );
    assert_eq!(
        refused(
            curriculum::Config {
                start: 16,
                ..Default::default()
            }
            .validate()
        ),
        "start"
    );
    assert_eq!(
        refused(
            gain::Config {
                gains: vec![0.0, 1.0],
                ..Default::default()
            }
            .validate()
        ),
        "gains"
    );
    for (config, field) in [
        (
            halting::Config {
                every: 32,
                ..Default::default()
            },
            "every",
        ),
        (
            halting::Config {
                thresholds: vec![1.5],
                ..Default::default()
            },
            "thresholds",
        ),
        (
            halting::Config {
                prior_lambda: Some(1.0),
                ..Default::default()
            },
            "prior_lambda",
        ),
    ] {
        assert_eq!(refused(config.validate()), field);
    }
    for (config, field) in [
        (
            cadence::Config {
                common: c.clone(),
                ..Default::default()
            },
            "task",
        ),
        (
            cadence::Config {
                cadences: vec![9],
                ..Default::default()
            },
            "cadences",
        ),
        (
            cadence::Config {
                common: lab::Common {
                    adapter_rank: 2,
                    ..cadence::Config::default().common
                },
                ..Default::default()
            },
            "adapter_rank",
        ),
    ] {
        assert_eq!(refused(config.validate()), field);
    }
    assert_eq!(
        refused(
            pareto::Config {
                adc_bits: vec![40],
                ..Default::default()
            }
            .validate()
        ),
        "adc_bits"
    );
    assert_eq!(
        refused(
            loop_training::Config {
                batch: 0,
                ..Default::default()
            }
            .validate()
        ),
        "batch"
    );
    // `run` checks its configuration too, before any training.
    assert_eq!(
        refused(rule::run(
            &rule::Config {
                passes: vec![],
                ..Default::default()
            },
            &rig(),
            &mut quiet
        )),
        "passes"
    );
}

#[test]
fn a_rig_without_an_soa_or_a_width_it_cannot_hold_is_refused_before_training() {
    let opu = lightloop_rig::load_rig("lighton-opu", &[]).unwrap().value;
    let err = readout::run(&readout::Config::default(), &opu, &mut quiet).unwrap_err();
    assert!(
        err.is_input() && err.to_string().contains("has no SOA"),
        "{err}"
    );
    // The seed rig's 16 channels cannot hold a state of width 8.
    let err = width::run(
        &width::Config {
            widths: vec![8],
            ..Default::default()
        },
        &rig(),
        &mut quiet,
    )
    .unwrap_err();
    assert!(
        err.is_input() && err.to_string().contains("does not divide"),
        "{err}"
    );
}

#[test]
fn depth_trains_each_t_and_reads_the_deepest_after_every_pass() {
    let config = depth::Config {
        common: short(),
        passes: vec![1, 3],
    };
    let mut reports = Vec::new();
    let o = depth::run(&config, &rig(), &mut |p| reports.push((p.done, p.total))).unwrap();
    assert_eq!(reports, [(0, 2), (1, 2), (2, 2)]);
    assert_eq!(o.rows.len(), 2);
    for r in &o.rows {
        // Two epochs already beat chance (0.1) by far.
        assert!(r.test_accuracy > 0.3 && r.test_accuracy <= 1.0, "{r:?}");
        assert!(r.test_bits_per_example > 0.0);
    }
    // The deepest network's early exits: one row per pass, plus the entering state.
    assert_eq!(o.deepest, 3);
    assert_eq!(o.passes.len(), 4);
    assert!(o.passes[0].test_accuracy.is_nan());
    for r in &o.passes[1..] {
        assert!(
            r.test_accuracy > 0.1 && r.participation_ratio > 0.0,
            "{r:?}"
        );
    }
    assert_eq!(o.summary.len(), 2);
    assert_eq!(o.summary[1].accuracy.median, o.rows[1].test_accuracy);
    // Each T's decisions against the readout's noise: a small σ against the logit gaps.
    for m in &o.summary {
        let g = m.margin;
        assert_eq!(g.inputs, 360);
        assert!(g.readout_sd > 0.0 && g.readout_sd < 0.01, "{g:?}");
        assert!(g.gap > 0.0 && g.gap_sd > 0.0 && g.gap_sd < g.gap, "{g:?}");
        assert!((0.0..360.0).contains(&g.expected_changes), "{g:?}");
    }
    let names: Vec<&str> = o.plots.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["accuracy_vs_passes", "early_exit", "effective_rank"]
    );
    for p in &o.plots {
        assert!(p.svg().unwrap().starts_with("<svg"));
    }
}

#[test]
fn readout_reads_one_network_at_every_photon_count_and_adc_resolution() {
    let config = readout::Config {
        common: short(),
        passes: 2,
    };
    let o = readout::run(&config, &rig(), &mut quiet).unwrap();
    assert_eq!(o.rows.len(), 7 + 8);
    assert_eq!(o.by_photons.len(), 7);
    assert_eq!(o.by_photons[0].0, 1e3);
    assert_eq!(o.by_bits.len(), 8);
    assert_eq!(o.by_bits[0].0, 2);
    // More photons never hurt much: the brightest readout beats the dimmest.
    assert!(o.by_photons[6].1.median >= o.by_photons[0].1.median - 0.05);
}

#[test]
fn width_energy_grows_with_width_and_matches_pareto() {
    let rig = rig();
    let o = width::run(
        &width::Config {
            common: short(),
            widths: vec![16, 48],
            passes: 2,
        },
        &rig,
        &mut quiet,
    )
    .unwrap();
    let e: Vec<f64> = o.rows.iter().map(|r| r.j_per_input).collect();
    assert!(e[0] > 0.0 && e[1] > e[0], "energy per input {e:?}");
    for r in &o.rows {
        accuracy_beats_chance(r.test_accuracy);
    }
    assert_eq!(o.summary[0].energy, e[0]);
    // The same network costs the same in `pareto` (width 16, T = 2, the rig's laser; its rows
    // differ only in ADC bits, one of them the rig's own).
    let p = pareto::run(
        &pareto::Config {
            common: lab::Common {
                epochs: 1,
                ..short()
            },
            widths: vec![16],
            passes: vec![2],
            laser_db: vec![0.0],
            ..Default::default()
        },
        &rig,
        &mut quiet,
    )
    .unwrap();
    assert!(
        p.rows
            .iter()
            .any(|r| r.adc_bits == rig.adc.bits && (r.j_per_input / e[0] - 1.0).abs() < 1e-12),
        "width 16 costs {} here, {:?} in pareto",
        e[0],
        p.rows
    );
    // And as the cost model's network of that shape.
    let direct = lab::net_energy(&rig, &lab::NetShape::one_reading(16, 2, 10)).unwrap();
    assert_eq!(direct, e[0]);
}

#[test]
fn distill_compares_students_trained_both_ways() {
    let o = distill::run(
        &distill::Config {
            common: short(),
            widths: vec![16],
            teacher_width: 32,
            passes: 2,
            ..Default::default()
        },
        &rig(),
        &mut quiet,
    )
    .unwrap();
    assert_eq!(o.rows.len(), 1);
    let r = &o.rows[0];
    for acc in [
        r.scratch_accuracy,
        r.distilled_accuracy,
        r.teacher_accuracy_noiseless,
    ] {
        accuracy_beats_chance(acc);
    }
    assert_eq!((r.width, r.teacher_width, r.passes), (16, 32, 2));
}

#[test]
fn curriculum_trains_both_ways_at_each_depth() {
    let o = curriculum::run(
        &curriculum::Config {
            common: short(),
            passes: vec![2, 4],
            start: 1,
        },
        &rig(),
        &mut quiet,
    )
    .unwrap();
    let passes: Vec<usize> = o.rows.iter().map(|r| r.passes).collect();
    assert_eq!(passes, [2, 4]);
    for r in &o.rows {
        accuracy_beats_chance(r.full_depth_accuracy);
        accuracy_beats_chance(r.curriculum_accuracy);
        assert_eq!(r.curriculum_start, 1);
    }
}

#[test]
fn gain_trains_at_each_fixed_gain_and_with_it_learned() {
    let o = gain::run(
        &gain::Config {
            common: short(),
            gains: vec![0.5, 2.0],
            passes: 2,
        },
        &rig(),
        &mut quiet,
    )
    .unwrap();
    let g: Vec<Option<f64>> = o.rows.iter().map(|r| r.loop_gain).collect();
    assert_eq!(g, [None, Some(0.5), Some(2.0)]);
    for r in &o.rows {
        accuracy_beats_chance(r.test_accuracy);
        assert!(
            r.participation_ratio >= 1.0 && r.mean_abs_alpha > 0.0,
            "{r:?}"
        );
    }
    assert_eq!(o.summary[0].loop_gain, None);
}

#[test]
fn halting_scores_thresholds_and_fixed_exits_with_their_energy() {
    let o = halting::run(
        &halting::Config {
            common: short(),
            passes: 2,
            every: 1,
            prices: vec![1e-3],
            thresholds: vec![0.5],
            ..Default::default()
        },
        &rig(),
        &mut quiet,
    )
    .unwrap();
    // The unpriced reference is always trained: prices 0 and 1e-3, each with one threshold
    // and two fixed exits (after 1 and 2 passes).
    let prices: Vec<f64> = o.rows.iter().map(|r| r.price).collect();
    assert_eq!(prices, [0.0, 0.0, 0.0, 1e-3, 1e-3, 1e-3]);
    let passes: Vec<f64> = o.rows.iter().map(|r| r.mean_passes).collect();
    let energy: Vec<f64> = o.rows.iter().map(|r| r.j_per_input).collect();
    assert_eq!((passes[1], passes[2]), (1.0, 2.0));
    assert!(energy[1] > 0.0 && energy[2] > energy[1], "{energy:?}");
    for (p, e) in passes.iter().zip(&energy) {
        assert!((1.0..=2.0).contains(p) && *e >= energy[1] && *e <= energy[2]);
    }
    assert_eq!(o.exits, [1, 2]);
    // A fixed exit's energy per input is the mean over its inputs of the exit's energy.
    let close = |a: f64, b: f64| (a / b - 1.0).abs() < 1e-12;
    assert!(close(o.exit_cost[0].energy, energy[1]), "{:?}", o.exit_cost);
    assert!(close(o.reference.energy, energy[2]));
    assert_eq!(o.summary.len(), 2);
    assert_eq!(halting::price_label(o.summary[1].price), "0.001");
}

#[test]
fn cadence_trains_with_and_without_attention_on_characters() {
    let o = cadence::run(
        &cadence::Config {
            common: lab::Common {
                task: NetTask::Chars { context: 2 },
                ..short()
            },
            passes: 2,
            cadences: vec![0, 1],
            head: 4,
        },
        &rig(),
        &mut quiet,
    )
    .unwrap();
    let checkpoints: Vec<usize> = o.rows.iter().map(|r| r.checkpoints).collect();
    assert_eq!(checkpoints, [0, 2]);
    assert_eq!(o.rows[0].cadence, None);
    let e: Vec<f64> = o.rows.iter().map(|r| r.j_per_char).collect();
    assert!(
        e[0] > 0.0 && e[1] > e[0],
        "a checkpoint every pass costs more: {e:?}"
    );
    for r in &o.rows {
        // Below the 83-character alphabet's uniform 6.4 bits, above zero.
        assert!(
            r.test_bits_per_char > 1.0 && r.test_bits_per_char < 6.4,
            "{r:?}"
        );
    }
    assert_eq!(o.context, 2);
}

#[test]
fn pareto_reads_each_network_on_every_rig_variant() {
    let rig = rig();
    let o = pareto::run(
        &pareto::Config {
            common: short(),
            widths: vec![16],
            passes: vec![1, 2],
            laser_db: vec![-12.0, 0.0, 40.0],
            adc_bits: vec![4],
        },
        &rig,
        &mut quiet,
    )
    .unwrap();
    // +40 dB is above the laser's maximum: skipped, and said so.
    assert_eq!(o.skipped.len(), 1);
    assert!(o.skipped[0].starts_with("laser +40 dB"), "{:?}", o.skipped);
    // 2 depths × 2 laser levels × 2 ADC settings (4 bits and the rig's 8).
    assert_eq!(o.rows.len(), 8);
    assert_eq!(o.points.len(), 8);
    // More laser power costs more energy, everything else equal (same T, same bits).
    let at = |db: f64, t: usize, bits: u32| {
        o.rows
            .iter()
            .find(|r| r.laser_offset_db == db && r.passes == t && r.adc_bits == bits)
            .unwrap()
            .j_per_input
    };
    assert!(at(0.0, 1, 4) > at(-12.0, 1, 4));
    assert!(at(0.0, 1, rig.adc.bits) > at(-12.0, 1, rig.adc.bits));
    // The front holds no point another beats on both energy and accuracy, cheapest first.
    assert!(!o.front.is_empty());
    for w in o.front.windows(2) {
        assert!(w[0].energy <= w[1].energy);
    }
    for f in &o.front {
        assert!(
            !o.points
                .iter()
                .any(|p| p.energy < f.energy && p.accuracy > f.accuracy),
            "{f:?}"
        );
    }
    // The rig's own point (0 dB, its bits) costs what the cost model gives the network there.
    let own = lab::net_energy(&rig, &lab::NetShape::one_reading(16, 2, 10)).unwrap();
    assert_eq!(at(0.0, 2, rig.adc.bits), own);
}

#[test]
fn rule_trains_each_depth_by_backpropagation_dfa_and_as_a_reservoir() {
    let o = rule::run(
        &rule::Config {
            common: short(),
            passes: vec![2],
        },
        &rig(),
        &mut quiet,
    )
    .unwrap();
    let rules: Vec<&str> = o.rows.iter().map(|r| r.rule).collect();
    assert_eq!(rules, rule::RULES);
    for r in &o.rows {
        assert_eq!(r.passes, 2);
        accuracy_beats_chance(r.test_accuracy);
    }
    assert_eq!(o.summary[0].accuracy[2].median, o.rows[2].test_accuracy);
}

#[test]
fn loop_training_runs_at_least_the_minimum_steps_and_learns() {
    let o = loop_training::run(
        &loop_training::Config {
            width: 16,
            passes: 4,
            batch: 8,
            seconds: 0.0,
            min_steps: 5,
        },
        &rig(),
        &mut quiet,
    )
    .unwrap();
    assert_eq!(o.steps, 5);
    assert!(o.steps_per_second > 0.0 && o.seconds > 0.0);
    // Cross-entropy on 10 classes starts near ln 10 and stays finite.
    assert!(o.final_loss.is_finite() && o.final_loss > 0.0 && o.final_loss < 5.0);
    assert!(o.matmul_threads >= 1);
    // φ on its grid over |a| ≤ 32: odd, with unit slope at 0.
    let table = loop_training::activation(&rig());
    assert_eq!(table.len(), 16_385);
    let (first, last, mid) = (table[0], table[16_384], table[8_192]);
    assert_eq!((first.0, mid.0, last.0), (-32.0, 0.0, 32.0));
    assert!((first.1 + last.1).abs() < 1e-9 && last.1 > 0.0);
    assert!((mid.2 - 1.0).abs() < 1e-3, "{mid:?}");
}

/// A run is a function of its configuration and rig: the same seed gives the same rows, seed 1
/// gives the same rows whether or not seed 2 follows, another seed gives other networks; the
/// rows serialise with every accuracy a finite number.
#[test]
fn the_same_seed_gives_the_same_rows_and_the_rows_serialise() {
    let rig = rig();
    let config = gain::Config {
        common: short(),
        gains: vec![1.0],
        passes: 2,
    };
    let once = gain::run(&config, &rig, &mut quiet).unwrap();
    let again = gain::run(&config, &rig, &mut quiet).unwrap();
    assert_eq!(once.rows, again.rows);
    let two = gain::run(
        &gain::Config {
            common: lab::Common {
                seeds: 2,
                ..short()
            },
            ..config
        },
        &rig,
        &mut quiet,
    )
    .unwrap();
    assert_eq!(two.rows.len(), 4);
    assert_eq!(two.rows[..2], once.rows[..]);
    assert_eq!(two.rows[2].seed, 2);
    assert_ne!(
        (two.rows[2].test_accuracy, two.rows[2].mean_abs_alpha),
        (once.rows[0].test_accuracy, once.rows[0].mean_abs_alpha),
        "seed 2 trained the same network as seed 1"
    );
    let json = serde_json::to_value(&once.rows).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows[0]["loop_gain"].is_null());
    assert_eq!(rows[1]["loop_gain"].as_f64(), Some(1.0));
    for r in rows {
        for key in [
            "test_accuracy",
            "test_accuracy_noiseless",
            "participation_ratio",
            "mean_abs_alpha",
        ] {
            let v = r[key].as_f64().unwrap_or(f64::NAN);
            assert!(v.is_finite(), "{key} = {}", r[key]);
        }
    }
}

/// The margin of depth's summary: the gap between a test input's two largest logits without
/// noise, against the σ the readout's noise gives it. The gap is the network's, the σ scales
/// with the readout's; and the decisions it expects to change match those a noisy reading
/// changes.
#[test]
fn the_margin_puts_the_readout_noise_against_the_decisions_it_could_change() {
    use lightloop_lab::experiment::depth::Margin;
    use lightloop_nn::loopnet::phi::Phi;
    use lightloop_nn::loopnet::train::{TrainSettings, train};
    use lightloop_nn::loopnet::{ForwardNoise, LoopNetConfig};
    use lightloop_nn::sensing::Sensing;
    let rig = rig();
    let phi = Phi::new(lightloop_twin::LoopTwin::from_rig(&rig, 0.0, 1));
    let noise = ForwardNoise {
        pass_sd: phi.pass_noise_sd(),
        sensing: Sensing::from_rig(&rig, None, None),
    };
    let data = NetTask::Digits.load(1).unwrap();
    let settings = TrainSettings {
        epochs: 2,
        ..TrainSettings::default()
    };
    let config = LoopNetConfig::new(data.inputs, 16, 2, data.classes, 1);
    let (net, _) = train(config, phi, &noise, &settings, &data).unwrap();
    let at_rig = Margin::of(&net, &data.test_x, 2, &noise).unwrap();
    assert_eq!(at_rig.inputs, 360);
    assert_eq!(at_rig.readout_sd, noise.readout_sd());
    assert!(at_rig.gap > 0.0 && at_rig.gap_sd > 0.0, "{at_rig:?}");
    // The same network read with 10⁵ photons per sample (the readout alone, no ASE): the same
    // gaps, their σ scaled as the readout's.
    let dim = ForwardNoise {
        pass_sd: 0.0,
        sensing: Sensing::from_rig(&rig, Some(1e5), None),
    };
    let at_dim = Margin::of(&net, &data.test_x, 2, &dim).unwrap();
    assert_eq!(at_dim.gap, at_rig.gap);
    let scale = at_dim.readout_sd / at_rig.readout_sd;
    assert!(scale > 10.0, "{scale}");
    assert!((at_dim.gap_sd / at_rig.gap_sd / scale - 1.0).abs() < 1e-9);
    // The decisions ten noisy readings change, against the expectation: a little more, since a
    // third class overtaking is not in it.
    let decisions = |noise: &ForwardNoise, call: u64| -> Vec<u32> {
        net.forward(&data.test_x, 2, noise, call)
            .unwrap()
            .argmax(1)
            .unwrap()
            .to_vec1()
            .unwrap()
    };
    let clean = decisions(&ForwardNoise::off(), 0);
    let changed = (1..=10)
        .map(|call| {
            let noisy = decisions(&dim, call);
            clean.iter().zip(&noisy).filter(|(a, b)| a != b).count() as f64
        })
        .sum::<f64>()
        / 10.0;
    let expected = at_dim.expected_changes;
    assert!(
        expected > at_rig.expected_changes && expected > 10.0,
        "{at_dim:?}"
    );
    assert!(
        expected <= 1.1 * changed && expected >= 0.6 * changed,
        "expected {expected}, changed {changed}"
    );
}
