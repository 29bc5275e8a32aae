//! One reservoir model on one task, over a run of seeds.

use super::{build, collect, par_map, score, spec, validate_engine_noise, validate_knobs};
use crate::{LabError, Progress};
use lightloop_base::rng::stream;
use lightloop_cost::shard::{RowShard, Shard, ShardHeader, ShardKind, run_id};
use lightloop_nn::reservoir::Kind;
use lightloop_nn::sensing::Sensing;
use lightloop_nn::suite::Task;
use lightloop_rig::Rig;
use serde::Serialize;

/// One model on one task, seeds `seed … seed + seeds − 1`.
#[derive(Debug, Clone)]
pub struct Config {
    pub model: Kind,
    pub task: Task,
    /// Nodes (virtual nodes of a delay line, slots of the loop), 1 … 10 000; `None`: the
    /// model's default (400; 100 for soa-engine).
    pub nodes: Option<usize>,
    /// Input drive relative to the model's default (> 0).
    pub input_scale: f64,
    /// Switch off the noise inside the reservoir (the SOA's ASE in soa-twin and ternary);
    /// refused for soa-engine, whose noise is the physics engine's.
    pub no_inner_noise: bool,
    /// The model's gain knob (spectral radius, feedback strength or loop gain); `None`: the
    /// model's own.
    pub gain: Option<f64>,
    /// Number of seeds (the reservoir, the readout noise and, for NARMA10, equalisation and
    /// memory capacity, the task's random data), at least 1.
    pub seeds: u64,
    /// The first seed.
    pub seed: u64,
    /// Photons per sample at the readout's full scale; `None`: the rig's.
    pub photons: Option<f64>,
    /// ADC bits of the readout, 1 … 24; `None`: the rig's.
    pub adc_bits: Option<u32>,
    /// Read the nodes without noise or rounding (with `no_inner_noise`, the noiseless
    /// reservoir); excludes `photons` and `adc_bits`.
    pub ideal_readout: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            model: Kind::DelayMg,
            task: Task::Narma10,
            nodes: None,
            input_scale: 1.0,
            no_inner_noise: false,
            gain: None,
            seeds: 5,
            seed: 1,
            photons: None,
            adc_bits: None,
            ideal_readout: false,
        }
    }
}

impl Config {
    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<(), LabError> {
        validate_engine_noise(self.model, self.no_inner_noise)?;
        if let Some(n) = self.photons
            && !(n.is_finite() && n > 0.0)
        {
            return Err(LabError::config(
                "photons",
                format!("must be a positive number, not {n}"),
            ));
        }
        if let Some(b) = self.adc_bits
            && !(1..=24).contains(&b)
        {
            return Err(LabError::config(
                "adc_bits",
                format!("must be 1 … 24, not {b}"),
            ));
        }
        if self.ideal_readout && (self.photons.is_some() || self.adc_bits.is_some()) {
            return Err(LabError::config(
                "ideal_readout",
                "cannot be combined with photons or adc_bits: an ideal readout has neither",
            ));
        }
        if self.seeds == 0 {
            return Err(LabError::config("seeds", "must be at least 1"));
        }
        if self.seed.checked_add(self.seeds).is_none() {
            return Err(LabError::config(
                "seeds",
                format!(
                    "is too large: seed {} + seeds {} passes 2^64",
                    self.seed, self.seeds
                ),
            ));
        }
        validate_knobs(self.nodes, self.input_scale)?;
        if let Some(g) = self.gain
            && !(g.is_finite() && g >= 0.0)
        {
            return Err(LabError::config(
                "gain",
                format!("must be a finite number ≥ 0, not {g}"),
            ));
        }
        Ok(())
    }

    /// The seeds run, in order.
    pub fn seed_range(&self) -> std::ops::Range<u64> {
        self.seed..self.seed.saturating_add(self.seeds)
    }

    /// Shard `shard` of the seeds: its contiguous block of the seed range, as a run of its own.
    /// Each seed's scores depend on the seed only, so the shards' rows are the whole run's.
    pub fn shard(&self, shard: Shard) -> Result<Config, LabError> {
        if shard.count > self.seeds {
            return Err(LabError::config(
                "shard",
                format!(
                    "{shard}: more shards than the {} seeds (each shard runs at least one)",
                    self.seeds
                ),
            ));
        }
        let r = shard.range(self.seeds);
        Ok(Config {
            seed: self.seed + r.start,
            seeds: r.end - r.start,
            ..self.clone()
        })
    }

    /// The identity of the run every shard carries: the rig as loaded (`rig_toml`) and every
    /// setting, with the version.
    pub fn identity(&self, rig_toml: &str) -> serde_json::Value {
        serde_json::json!({
            "lightloop_reservoir": 1,
            "version": env!("CARGO_PKG_VERSION"),
            "rig": rig_toml,
            "model": self.model.name(),
            "task": self.task.name(),
            "nodes": self.nodes,
            "input_scale": self.input_scale,
            "no_inner_noise": self.no_inner_noise,
            "gain": self.gain,
            "seeds": self.seeds,
            "seed": self.seed,
            "photons": self.photons,
            "adc_bits": self.adc_bits,
            "ideal_readout": self.ideal_readout,
        })
    }

    /// The readout: ideal, or the rig's with `photons` and `adc_bits` where set.
    pub fn sensing(&self, rig: &Rig) -> Sensing {
        if self.ideal_readout {
            Sensing::ideal()
        } else {
            Sensing::from_rig(rig, self.photons, self.adc_bits)
        }
    }
}

/// One seed's held-out scores (the fields a task does not have are `None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRow {
    pub seed: u64,
    pub nmse: Option<f64>,
    pub nrmse: Option<f64>,
    pub accuracy: Option<f64>,
    pub ser: Option<f64>,
    pub memory_capacity: Option<f64>,
    pub nonlinear_capacity: Option<f64>,
    /// The ridge λ chosen on the validation split.
    pub lambda: f64,
}

/// The scores of a run, and what was run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// One row per seed, in seed order.
    pub rows: Vec<RunRow>,
    /// The nodes of the reservoir.
    pub nodes: usize,
    /// The gain used; `None` for a model whose gain changes nothing it computes (the linear
    /// baseline).
    pub gain: Option<f64>,
    /// Whether the reservoir's own noise (the SOA's ASE) was on.
    pub inner_noise: bool,
    /// The readout, in words ([`Sensing::label`]).
    pub readout: String,
}

/// Runs shard `shard` of `config`'s seeds on `rig` ([`Config::shard`]) and returns its shard
/// file: one row per seed, for `lightloop merge`.
pub fn run_shard(
    config: &Config,
    rig: &Rig,
    rig_toml: &str,
    shard: Shard,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Outcome, RowShard), LabError> {
    config.validate()?;
    let part = config.shard(shard)?;
    let outcome = run(&part, rig, progress)?;
    let rows = outcome
        .rows
        .iter()
        .map(|r| serde_json::to_value(r).map_err(|e| LabError::Numerical(format!("row: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let about = config.identity(rig_toml);
    let file = RowShard {
        header: ShardHeader::new(
            ShardKind::Rows,
            run_id(&about.to_string()),
            shard,
            config.seeds,
            format!(
                "reservoir {} on {}, seeds {}..{}, rig {}",
                config.model,
                config.task,
                config.seed,
                config.seed + config.seeds - 1,
                rig.rig.name
            ),
        ),
        about,
        rows,
    };
    Ok((outcome, file))
}

/// Runs `config` on `rig`: every seed in parallel, one progress step per seed.
pub fn run(
    config: &Config,
    rig: &Rig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, LabError> {
    config.validate()?;
    let (model, task) = (config.model, config.task);
    let sensing = config.sensing(rig);
    let seeds: Vec<u64> = config.seed_range().collect();
    let spec_of = |seed| {
        spec(
            model,
            config.nodes,
            config.input_scale,
            config.no_inner_noise,
            config.gain,
            seed,
        )
    };
    let rows = par_map(
        &seeds,
        |&seed| {
            let s = spec_of(seed);
            let mut r = build(&s, rig, task.inputs())?;
            let c = collect(task, r.as_mut(), seed)?;
            let purpose = format!("reservoir.sensing.{}", task.name());
            let sc = score(&c, &sensing, &mut stream(seed, &purpose, u64::MAX, 0))?;
            Ok(RunRow {
                seed,
                nmse: sc.nmse,
                nrmse: sc.nrmse,
                accuracy: sc.accuracy,
                ser: sc.ser,
                memory_capacity: sc.memory_capacity,
                nonlinear_capacity: sc.nonlinear_capacity,
                lambda: sc.lambda,
            })
        },
        (0, seeds.len(), "seeds"),
        progress,
    );
    let rows = rows.into_iter().collect::<Result<Vec<_>, LabError>>()?;
    let s = spec_of(config.seed);
    Ok(Outcome {
        rows,
        nodes: config.nodes.unwrap_or(model.default_nodes()),
        gain: model.has_gain().then(|| s.gain()),
        inner_noise: s.noisy_inside(),
        readout: sensing.label(),
    })
}
