//! Reservoir computing through the library: the scores, the suite's tables, the gain sweep,
//! the refusals, and the same numbers whatever the thread count.

use lightloop_lab::reservoir::{single, suite, sweep};
use lightloop_lab::{LabError, Progress, progress::quiet};
use lightloop_nn::reservoir::Kind;
use lightloop_nn::sensing::Sensing;
use lightloop_nn::suite::Task;
use lightloop_rig::{Derive, Rig, Tier};

fn rig() -> Rig {
    lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value
}

/// The field a configuration error names (panics on any other error).
fn field(e: LabError) -> &'static str {
    assert!(e.is_input(), "{e}");
    match e {
        LabError::Config { field, .. } => field,
        e => panic!("not a configuration error: {e}"),
    }
}

#[test]
fn suite_scores_every_model_task_level_and_seed() {
    let rig = rig();
    let config = suite::Config {
        models: vec![Kind::Esn, Kind::Ternary],
        tasks: vec![Task::Narma10],
        seeds: 2,
        nodes: Some(60),
        ..suite::Config::default()
    };
    let mut reports: Vec<(usize, usize, String)> = Vec::new();
    let o = suite::run(&config, &rig, &mut |p: Progress| {
        reports.push((p.done, p.total, p.what.to_string()))
    })
    .unwrap();
    // 2 models × 1 task × 2 seeds × 7 readout levels (the seed rig's ADC has 8 bits, so the
    // 8-bit level is its own readout and is not repeated).
    assert_eq!(o.levels.len(), 7);
    assert_eq!(o.levels[0].0, "ideal");
    assert_eq!(o.levels[1].0, "rig");
    assert_eq!(o.runs.len(), 2 * 2 * 7);
    // Nested model → task → seed → readout level.
    let order: Vec<(&str, u64, &str)> = o
        .runs
        .iter()
        .map(|r| (r.model.as_str(), r.seed, r.readout.as_str()))
        .collect();
    assert_eq!(order[0], ("esn", 1, "ideal"));
    assert_eq!(order[7], ("esn", 2, "ideal"));
    assert_eq!(order[14], ("ternary", 1, "ideal"));
    // The ternary loop's ASE is on; the software ESN has none.
    for r in &o.runs {
        assert_eq!(r.inner_noise, r.model == "ternary", "{r:?}");
        assert_eq!(r.nodes, 60);
        assert_eq!(r.task, "narma10");
        let nrmse = r.nrmse.unwrap();
        assert!(nrmse > 0.0 && nrmse < 1.5, "{r:?}");
        assert!(r.accuracy.is_none() && r.ser.is_none());
    }
    // The ideal readout has no photon count or ADC; the rig's has both.
    assert_eq!(o.runs[0].photons_per_sample, None);
    assert!(o.runs[1].photons_per_sample.is_some() && o.runs[1].adc_bits == Some(8));
    assert_eq!(o.summary.len(), 2 * 7);
    for s in &o.summary {
        assert_eq!((s.metric.as_str(), s.seeds), ("NRMSE", 2), "{s:?}");
        assert!(s.min <= s.median && s.median <= s.max, "{s:?}");
        assert!(s.published.contains("Rodan & Tino"));
    }
    assert_eq!(o.dynamics.len(), 2 * 2);
    for d in &o.dynamics {
        assert!(d.lyapunov_per_step.is_some_and(f64::is_finite), "{d:?}");
        assert!(d.participation_ratio >= 1.0, "{d:?}");
    }
    let md = &o.markdown;
    assert!(md.starts_with("# Reservoir benchmark suite\n\nrig `seed-16ch`; 2 seed(s)"));
    assert!(
        md.contains("## narma10 — NRMSE") && md.contains("| ternary |"),
        "{md}"
    );
    assert!(md.contains("is on in every column, ideal included"), "{md}");
    // One line reads the numbers against predicting the mean and against the digital reference.
    let reading = md
        .lines()
        .find(|l| l.starts_with("Reading the tables: "))
        .expect("a line reading the tables");
    assert!(
        reading.contains("NRMSE 1 is what predicting the task's mean scores")
            && reading
                .contains("the esn row, a software echo-state network, is the digital reference"),
        "{reading}"
    );
    // Only the metrics of the tasks run; no linear row to compare with.
    assert!(
        !reading.contains("SER") && !reading.contains("linear"),
        "{reading}"
    );
    assert!(md.contains("## Dynamics"), "{md}");
    // Neither model has a caveat.
    assert!(!md.contains("Notes on the models"), "{md}");
    // One step per run and one per model × seed of the dynamics, counted to the end.
    let total = 2 * 2 + 2 * 2;
    assert!(reports.iter().all(|r| r.1 == total));
    assert_eq!(reports.last().unwrap().0, total);
    assert!(reports.iter().any(|r| r.2.starts_with("dynamics")));
}

#[test]
fn a_quick_suite_runs_three_tasks_two_seeds_and_four_levels() {
    let config = suite::Config {
        quick: true,
        ..suite::Config::default()
    };
    assert_eq!(config.models(), Kind::ALL);
    assert_eq!(
        config.tasks(),
        [Task::Narma10, Task::SantaFe, Task::MemoryCapacity]
    );
    assert_eq!(config.seeds(), 2);
    let names: Vec<String> = config.levels(&rig()).into_iter().map(|l| l.0).collect();
    assert_eq!(names, ["ideal", "rig", "1e5 photons", "4-bit ADC"]);
    let full = suite::Config::default();
    assert_eq!((full.tasks(), full.seeds()), (Task::suite(), 5));
}

#[test]
fn the_suite_runs_soa_engine_noisy_and_says_so() {
    let config = suite::Config {
        models: vec![Kind::SoaEngine, Kind::SoaTwin],
        tasks: vec![Task::Narma10],
        seeds: 1,
        nodes: Some(20),
        no_inner_noise: true,
        quick: true,
        ..suite::Config::default()
    };
    let o = suite::run(&config, &rig(), &mut quiet).unwrap();
    for r in &o.runs {
        assert_eq!(r.inner_noise, r.model == "soa-engine", "{r:?}");
    }
    // The engine's state is not a vector: no Lyapunov exponent.
    let engine = o.dynamics.iter().find(|d| d.model == "soa-engine").unwrap();
    assert_eq!(engine.lyapunov_per_step, None);
    assert!(o.markdown.contains("except soa-engine's, which cannot be"));
    assert!(o.markdown.contains("— (engine state not a vector)"));
    assert!(o.markdown.contains("## Notes on the models"));
    // Each loop has its own note: the engine's says its noise stays on, and does not repeat the
    // twin's (which offers --no-inner-noise).
    let note = |model: &str| {
        let head = format!("- **{model}**: ");
        let line = o.markdown.lines().find(|l| l.starts_with(&head)).unwrap();
        line[head.len()..].to_string()
    };
    let (engine, twin) = (note("soa-engine"), note("soa-twin"));
    assert_eq!(engine, Kind::SoaEngine.caveat().unwrap());
    assert_eq!(twin, Kind::SoaTwin.caveat().unwrap());
    assert_ne!(engine, twin);
    assert!(!engine.contains(&twin[..60]), "{engine}");
    assert!(
        twin.contains("unless --no-inner-noise switches it off"),
        "{twin}"
    );
    assert!(!engine.contains("switches it off"), "{engine}");
    assert!(engine.contains("cannot be switched off"), "{engine}");
    // No esn in this run: the reading line says where the reference is.
    assert!(o.markdown.contains(
        "esn, the software echo-state network that is the digital reference, is not in this run"
    ));
}

#[test]
fn the_suite_refuses_a_model_the_rig_cannot_build_before_running() {
    let rig = rig();
    let no_soa = rig
        .modified(|r| {
            r.rig.tier = Tier::A;
            r.topology.loop_passes = 1;
            r.soa = None
        })
        .unwrap();
    let config = suite::Config {
        models: vec![Kind::Esn, Kind::Ternary],
        tasks: vec![Task::Narma10],
        seeds: 1,
        nodes: Some(20),
        ..suite::Config::default()
    };
    assert!(config.check(&rig).is_ok());
    let mut steps = 0;
    let e = suite::run(&config, &no_soa, &mut |_| steps += 1).unwrap_err();
    assert!(
        matches!(e, LabError::Incompatible(_)) && e.is_input(),
        "{e}"
    );
    assert!(e.to_string().starts_with("ternary: "), "{e}");
    assert!(e.to_string().contains("has no SOA"), "{e}");
    assert_eq!(steps, 0, "refused before any run");
}

/// The noiseless delay reservoir: an ideal readout reaches a NARMA10 NRMSE ≤ 0.2.
#[test]
fn the_delay_reservoir_read_ideally_reaches_narma10_nrmse_0_2() {
    let config = single::Config {
        model: Kind::DelayMg,
        task: Task::Narma10,
        seeds: 1,
        ideal_readout: true,
        ..single::Config::default()
    };
    let o = single::run(&config, &rig(), &mut quiet).unwrap();
    assert_eq!(o.rows.len(), 1);
    let nrmse = o.rows[0].nrmse.unwrap();
    assert!(nrmse <= 0.2, "{nrmse}");
    assert_eq!((o.nodes, o.gain, o.inner_noise), (400, Some(0.7), false));
    assert_eq!(o.readout, Sensing::ideal().label());
}

#[test]
fn the_esn_through_the_rig_readout_scores_narma10_and_memory_capacity() {
    let rig = rig();
    let config = single::Config {
        model: Kind::Esn,
        task: Task::Narma10,
        seeds: 1,
        nodes: Some(50),
        ..single::Config::default()
    };
    let o = single::run(&config, &rig, &mut quiet).unwrap();
    let nrmse = o.rows[0].nrmse.unwrap();
    assert!(nrmse > 0.0 && nrmse < 1.0, "{nrmse}");
    assert_eq!(o.readout, Sensing::from_rig(&rig, None, None).label());
    let mc = single::run(
        &single::Config {
            task: Task::MemoryCapacity,
            ..config
        },
        &rig,
        &mut quiet,
    )
    .unwrap();
    let r = &mc.rows[0];
    assert!(r.nrmse.is_none(), "{r:?}");
    let capacity = r.memory_capacity.unwrap();
    assert!(capacity > 1.0 && capacity <= 50.0, "{capacity}");
    // The linear baseline has no gain to report.
    let linear = single::Config {
        model: Kind::Linear,
        seeds: 1,
        nodes: Some(20),
        ..single::Config::default()
    };
    assert_eq!(single::run(&linear, &rig, &mut quiet).unwrap().gain, None);
}

#[test]
fn same_seed_same_numbers_whatever_the_thread_count() {
    let rig = rig();
    let config = single::Config {
        model: Kind::SoaTwin,
        seeds: 3,
        nodes: Some(40),
        ..single::Config::default()
    };
    let on = |threads: usize, config: &single::Config| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| single::run(config, &rig, &mut quiet).unwrap())
            .rows
    };
    let one = on(1, &config);
    assert_eq!(one, on(3, &config));
    // From the calling thread (the progress path): the same again.
    let mut seen = 0;
    let here = single::run(&config, &rig, &mut |_| seen += 1).unwrap();
    assert_eq!(here.rows, one);
    assert_eq!(seen, 1 + 3);
    // A seed's numbers are its own, whichever seeds run beside it.
    let third = on(
        2,
        &single::Config {
            seed: 3,
            seeds: 1,
            ..config.clone()
        },
    );
    assert_eq!(third[..], one[2..]);
    let grid = sweep::Config {
        model: Kind::Esn,
        gains: vec![0.8, 1.2],
        seeds: 2,
        nodes: Some(30),
        ..sweep::Config::default()
    };
    let rows = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| sweep::run(&grid, &rig, &mut quiet).unwrap())
            .rows
    };
    assert_eq!(rows(1), rows(4));
}

#[test]
fn the_gain_sweep_scores_each_gain_and_keeps_failed_points() {
    let rig = rig();
    let config = sweep::Config {
        model: Kind::Esn,
        task: Task::Narma10,
        gains: vec![0.5, 1.0, 4.0],
        seeds: 1,
        nodes: Some(40),
        ..sweep::Config::default()
    };
    let o = sweep::run(&config, &rig, &mut quiet).unwrap();
    assert_eq!(o.rows.len(), 3);
    assert_eq!((o.metric.as_str(), o.lower_is_better), ("NRMSE", true));
    let gains: Vec<f64> = o.points.iter().map(|p| p.gain).collect();
    assert_eq!(gains, [0.5, 1.0, 4.0]);
    // The driven ESN contracts at every gain here (its input saturates the tanh nodes), least
    // near ρ = 1, where it scores best.
    let lyap: Vec<f64> = o.points.iter().map(|p| p.lyapunov.unwrap()).collect();
    assert!(lyap.iter().all(|l| *l < 0.0), "{lyap:?}");
    assert!(lyap[1] > lyap[0] && lyap[1] > lyap[2], "{lyap:?}");
    assert_eq!(o.edge_of_chaos, None);
    assert_eq!(o.best_ideal.map(|b| b.0), Some(1.0));
    let (g, v) = o.best_ideal.unwrap();
    assert!(gains.contains(&g));
    assert!(o.points.iter().all(|p| p.ideal.unwrap() >= v));
    for r in &o.rows {
        assert!(r.error.is_empty(), "{r:?}");
        assert!(r.memory_capacity.unwrap() > 0.0 && r.participation_ratio.unwrap() >= 1.0);
    }
    let names: Vec<&str> = o.plots.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["lyapunov_vs_gain", "score_vs_gain"]);
    for p in &o.plots {
        let svg = p.svg().unwrap();
        assert!(svg.contains("esn on rig seed-16ch, seeds 1–1, medians"));
    }
    // A gain the ternary loop's attenuator cannot set is a row with its error, not a failure.
    let ternary = sweep::Config {
        model: Kind::Ternary,
        task: Task::MemoryCapacity,
        gains: vec![0.5, 3.0],
        seeds: 1,
        nodes: Some(30),
        ..sweep::Config::default()
    };
    let o = sweep::run(&ternary, &rig, &mut quiet).unwrap();
    assert_eq!((o.metric.as_str(), o.lower_is_better), ("MC", false));
    assert!(o.rows[0].error.is_empty(), "{:?}", o.rows[0]);
    assert!(o.rows[1].error.contains("attenuator"), "{:?}", o.rows[1]);
    assert_eq!(o.rows[1].score_ideal, None);
    assert_eq!(o.points[1].ideal, None);
    assert_eq!(o.best_ideal.map(|b| b.0), Some(0.5));
}

#[test]
fn the_default_sweep_grid_surrounds_the_models_own_gain() {
    let config = sweep::Config {
        model: Kind::DelayMg,
        ..sweep::Config::default()
    };
    let gains = config.gains();
    assert_eq!(gains.len(), 10);
    assert!(gains.contains(&0.7) && gains[0] < 0.7 && gains[9] > 0.7);
}

#[test]
fn configurations_name_their_bad_field() {
    assert!(single::Config::default().validate().is_ok());
    assert!(suite::Config::default().validate().is_ok());
    assert!(sweep::Config::default().validate().is_ok());
    let run_field = |f: fn(&mut single::Config)| {
        let mut c = single::Config::default();
        f(&mut c);
        field(c.validate().unwrap_err())
    };
    assert_eq!(run_field(|c| c.photons = Some(-3.0)), "photons");
    assert_eq!(run_field(|c| c.photons = Some(f64::INFINITY)), "photons");
    assert_eq!(run_field(|c| c.adc_bits = Some(0)), "adc_bits");
    assert_eq!(run_field(|c| c.adc_bits = Some(25)), "adc_bits");
    assert_eq!(
        run_field(|c| {
            c.ideal_readout = true;
            c.adc_bits = Some(6)
        }),
        "ideal_readout"
    );
    assert_eq!(
        run_field(|c| {
            c.ideal_readout = true;
            c.photons = Some(1e4)
        }),
        "ideal_readout"
    );
    assert_eq!(run_field(|c| c.seeds = 0), "seeds");
    assert_eq!(run_field(|c| c.seed = u64::MAX), "seeds");
    assert_eq!(run_field(|c| c.nodes = Some(0)), "nodes");
    assert_eq!(run_field(|c| c.nodes = Some(10_001)), "nodes");
    assert_eq!(run_field(|c| c.input_scale = 0.0), "input_scale");
    assert_eq!(run_field(|c| c.gain = Some(f64::NAN)), "gain");
    assert_eq!(
        run_field(|c| {
            c.model = Kind::SoaEngine;
            c.no_inner_noise = true
        }),
        "no_inner_noise"
    );
    // soa-twin can switch its ASE off.
    let twin = single::Config {
        model: Kind::SoaTwin,
        no_inner_noise: true,
        ..single::Config::default()
    };
    assert!(twin.validate().is_ok());

    let sweep_field = |f: fn(&mut sweep::Config)| {
        let mut c = sweep::Config::default();
        f(&mut c);
        field(c.validate().unwrap_err())
    };
    assert_eq!(sweep_field(|c| c.model = Kind::Linear), "model");
    assert_eq!(
        sweep_field(|c| {
            c.model = Kind::SoaEngine;
            c.no_inner_noise = true
        }),
        "no_inner_noise"
    );
    assert_eq!(sweep_field(|c| c.gains = vec![0.5, -1.0]), "gains");
    assert_eq!(sweep_field(|c| c.gains = vec![f64::NAN]), "gains");
    assert_eq!(sweep_field(|c| c.seeds = 0), "seeds");
    assert_eq!(sweep_field(|c| c.input_scale = f64::NAN), "input_scale");
    let e = sweep::Config {
        model: Kind::Linear,
        ..sweep::Config::default()
    }
    .validate()
    .unwrap_err();
    assert!(e.to_string().contains("nothing to sweep"), "{e}");

    let suite_field = |f: fn(&mut suite::Config)| {
        let mut c = suite::Config::default();
        f(&mut c);
        field(c.validate().unwrap_err())
    };
    assert_eq!(suite_field(|c| c.seeds = 0), "seeds");
    assert_eq!(
        suite_field(|c| {
            c.seeds = 0;
            c.quick = true
        }),
        "seeds"
    );
    assert_eq!(suite_field(|c| c.nodes = Some(0)), "nodes");
    // The suite runs soa-engine noisy rather than refusing.
    let engine = suite::Config {
        models: vec![Kind::SoaEngine],
        no_inner_noise: true,
        ..suite::Config::default()
    };
    assert!(engine.validate().is_ok());
    // run refuses what validate refuses, before any work.
    let mut steps = 0;
    let e = single::run(
        &single::Config {
            seeds: 0,
            ..single::Config::default()
        },
        &rig(),
        &mut |_| steps += 1,
    )
    .unwrap_err();
    assert_eq!((field(e), steps), ("seeds", 0));
}

#[test]
fn a_gain_the_rig_cannot_set_is_refused_as_incompatible() {
    let config = single::Config {
        model: Kind::Ternary,
        gain: Some(3.0),
        seeds: 1,
        nodes: Some(20),
        ..single::Config::default()
    };
    let e = single::run(&config, &rig(), &mut quiet).unwrap_err();
    assert!(
        matches!(e, LabError::Incompatible(_)) && e.is_input(),
        "{e}"
    );
    assert!(e.to_string().contains("attenuator"), "{e}");
}
