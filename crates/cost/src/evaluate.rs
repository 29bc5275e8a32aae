//! The cost model: energy ledger, schedule and throughput of a rig running a workload, as pure
//! functions of the two descriptions.
//!
//! One decode step (or encode batch, or kernel batch) is scheduled as sequential phases —
//! optical passes, loop entry and exit, weight settling, weight-streaming stalls, host↔core
//! transfers, host digital work, a fixed per-token overhead and calibration downtime. The phases
//! do not overlap (a conservative simplification; pipelining host work behind the optics would
//! shorten the step by at most the host phase). Static (DC) power is charged for the whole step.
//!
//! Throughput follows from the architecture: one symbol of one lane computes a tile of
//! `channels × readout_width` multiply-accumulates, so a d_in × d_out product takes
//! ⌈d_in/N⌉·⌈d_out/M⌉ symbols, at a symbol period no shorter than the slowest part allows.

use crate::ledger::{Item, Ledger};
use crate::noise::{self, NoiseBudget, NoiseParams, ReadoutPoint};
use crate::optics::{self, LoopBalance};
use lightloop_rig::rig::{CalibrationPolicy, ReadoutKind, WeightStorage};
use lightloop_rig::units::db_to_linear;
use lightloop_rig::work::{Work, WorkloadKindTag};
use lightloop_rig::{Architecture, Problem, Rig, Tier, Workload};
use serde::Serialize;

/// Why a rig and a workload cannot be evaluated together.
#[derive(Debug, Clone, PartialEq)]
pub struct Incompatible {
    /// Problems addressed to workload keys.
    pub workload: Vec<Problem>,
    /// Problems addressed to rig keys.
    pub rig: Vec<Problem>,
}

impl std::fmt::Display for Incompatible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let all: Vec<String> = self
            .workload
            .iter()
            .map(|p| format!("workload key `{}`: {}", p.key, p.message))
            .chain(
                self.rig
                    .iter()
                    .map(|p| format!("rig key `{}`: {}", p.key, p.message)),
            )
            .collect();
        write!(f, "{}", all.join("; "))
    }
}

impl std::error::Error for Incompatible {}

/// Rig quantities the schedule needs, derived once per evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Core {
    pub tier: Tier,
    pub architecture: Architecture,
    /// Channels N, readout width M, lanes Λ.
    pub n: f64,
    pub m: f64,
    pub lanes: f64,
    pub requested_period: f64,
    /// Symbol period of a converted pass (inputs from DACs).
    pub vmm_period: f64,
    /// Symbol period of an optical loop pass (no conversion).
    pub loop_period: f64,
    /// The part that sets `vmm_period`.
    pub limited_by: &'static str,
    pub dac_period: f64,
    pub adc_period: f64,
    pub integrate: bool,
    /// Passes between regenerations (tier B–D).
    pub regeneration: f64,
    pub e_dac: f64,
    pub e_mod: f64,
    pub e_readout: f64,
    pub readout_item: Item,
    pub dac_bits: f64,
    pub readout_bits: f64,
    pub weight_bits: f64,
    pub e_write: f64,
    pub write_time: f64,
    pub capacity: f64,
    pub reprogram_interval: f64,
    pub streams_weights: bool,
    pub persistent: bool,
    /// DC loads, in watts, as a ledger of static items.
    pub static_watts: Ledger,
    pub calibration_duty: f64,
    pub calibration_power: f64,
    pub host_e_flop: f64,
    pub host_flops: f64,
    pub host_bandwidth: f64,
    pub host_e_bit: f64,
    pub link_bandwidth: f64,
    pub link_latency: f64,
    pub link_e_bit: f64,
    pub token_overhead: f64,
    /// (energy per value, access time) of the optical KV memory, tier D.
    pub optical_memory: Option<(f64, f64)>,
    /// Laser → detector transmission of one path at full weight, including the 1:M split.
    pub path_transmission: f64,
    pub laser_power: f64,
    pub laser_max_power: f64,
    pub noise: NoiseParams,
    pub loop_balance: Option<LoopBalance>,
    /// Wavelength channels the band holds (WDM architectures), else ∞.
    pub fan_in_limit: f64,
    pub target_snr: f64,
    pub target_snr_db: f64,
}

impl Core {
    /// Everything the schedule needs from `rig`, the loop's power balance included.
    pub fn from_rig(rig: &Rig) -> Self {
        Self::build(rig, true)
    }

    /// As [`Core::from_rig`], solving the loop's power balance only when `work` has a loop.
    pub fn for_work(rig: &Rig, work: &Work) -> Self {
        Self::build(rig, work.loop_width > 0)
    }

    #[inline]
    fn build(rig: &Rig, with_loop: bool) -> Self {
        let t = &rig.topology;
        // Lanes: WDM lanes × spatial modes (mode-division multiplexing), each with its own
        // lasers, modulators and receivers.
        let (n, m, lanes) = (t.channels as f64, t.readout_width as f64, rig.lanes());
        let requested = t.symbol_period.si();

        // The slowest part sets the symbol period. Analog bandwidth B supports symbols no
        // shorter than 1/(2B) (Nyquist signalling).
        let mut loop_period = requested;
        let mut limited_loop = "requested symbol period";
        fn consider(p: f64, name: &'static str, period: &mut f64, by: &mut &'static str) {
            if p > *period {
                *period = p;
                *by = name;
            }
        }
        consider(
            0.5 / rig.modulator.bandwidth.si(),
            "modulator bandwidth",
            &mut loop_period,
            &mut limited_loop,
        );
        consider(
            0.5 / rig.photodiode.bandwidth.si(),
            "photodiode bandwidth",
            &mut loop_period,
            &mut limited_loop,
        );
        consider(
            0.5 / rig.tia.bandwidth.si(),
            "TIA bandwidth",
            &mut loop_period,
            &mut limited_loop,
        );
        if t.architecture.streams_weights() {
            consider(
                rig.weights.write_time.si(),
                "weight modulator drive",
                &mut loop_period,
                &mut limited_loop,
            );
        }
        if rig.rig.tier.has_loop()
            && let Some(sa) = &rig.saturable_absorber
        {
            consider(
                sa.recovery_time.si(),
                "saturable-absorber recovery",
                &mut loop_period,
                &mut limited_loop,
            );
        }
        let mut vmm_period = loop_period;
        let mut limited_vmm = limited_loop;
        let dac_period = 1.0 / rig.dac.rate.si();
        consider(dac_period, "DAC rate", &mut vmm_period, &mut limited_vmm);

        let readout_kind = rig.readout.kind;
        let (e_readout, readout_item, readout_bits) = match (readout_kind, &rig.comparator) {
            (ReadoutKind::Comparator, Some(c)) => {
                (c.energy_per_decision.si(), Item::ComparatorDecisions, 2.0)
            }
            _ => (
                rig.adc.conversion_energy(),
                Item::AdcConversions,
                rig.adc.bits as f64,
            ),
        };

        // DC loads.
        let mut w = Ledger::default();
        let ports = n * lanes;
        let receivers = m * lanes;
        w.add(
            Item::LaserWallPlug,
            ports * rig.laser.power.si() / rig.laser.wall_plug_efficiency.si(),
        );
        w.add(Item::ModulatorBias, ports * rig.modulator.bias_power.si());
        w.add(Item::DacStatic, ports * rig.dac.static_power.si());
        let per_receiver = rig.tia.power.si()
            + match (readout_kind, &rig.comparator) {
                (ReadoutKind::Comparator, Some(c)) => c.static_power.si(),
                _ => rig.adc.static_power.si(),
            };
        w.add(Item::ReceiverStatic, receivers * per_receiver);
        // A few-mode amplifier amplifies every mode at once; otherwise each mode has its own.
        let amplifier_copies = match &rig.mode_multiplexing {
            Some(mm) if !mm.amplifier_supports_modes => mm.modes as f64,
            _ => 1.0,
        };
        if let Some(s) = &rig.soa {
            let count = s.per_channel as f64 * n * t.wdm_lanes as f64 * amplifier_copies;
            w.add(Item::SoaDrive, count * s.electrical_power.si());
            w.add(Item::SoaCooling, count * s.tec_power.si());
        }
        if let Some(e) = &rig.edfa {
            w.add(
                Item::EdfaDrive,
                e.count as f64 * amplifier_copies * e.electrical_power.si(),
            );
        }
        if let Some(mm) = &rig.mode_multiplexing {
            w.add(
                Item::ModeMux,
                crate::mode_multiplexing::mux_pairs(rig) * mm.mux_power.map_or(0.0, |p| p.si()),
            );
        }
        let weight_elements = if t.architecture.streams_weights() {
            n * m
        } else {
            rig.weight_capacity() as f64
        };
        w.add(
            Item::WeightHold,
            weight_elements * rig.weights.hold_power.si(),
        );
        w.add(Item::Cooling, rig.control.tec_power.si());
        w.add(Item::ControlElectronics, rig.control.electronics_power.si());
        w.add(
            Item::ChannelControl,
            ports * rig.control.per_channel_power.si(),
        );
        w.add(Item::Clock, rig.clock.power.si());
        w.add(Item::HostStatic, rig.host.static_power.si());
        let optical_memory = match (&rig.optical_memory, rig.rig.tier.optical_memory()) {
            (Some(om), true) => {
                w.add(Item::OpticalMemoryStatic, om.static_power.si());
                Some((om.energy_per_value.si(), om.access_time.si()))
            }
            _ => None,
        };

        let fan_in_limit = if t.architecture.inputs_on_wavelengths() {
            (rig.passives.optical_band.si() / rig.passives.wdm_grid.si()).floor()
        } else {
            f64::INFINITY
        };

        Self {
            tier: rig.rig.tier,
            architecture: t.architecture,
            n,
            m,
            lanes,
            requested_period: requested,
            vmm_period,
            loop_period,
            limited_by: limited_vmm,
            dac_period,
            adc_period: 1.0 / rig.adc.rate.si(),
            integrate: rig.readout.integrate,
            regeneration: t.loop_passes as f64,
            e_dac: rig.dac.energy_per_conversion.si(),
            e_mod: rig.modulator.symbol_energy(),
            e_readout,
            readout_item,
            dac_bits: rig.dac.bits as f64,
            readout_bits,
            weight_bits: rig.weights.bits() as f64,
            e_write: rig.weights.write_energy.si(),
            write_time: rig.weights.write_time.si(),
            capacity: rig.weight_capacity() as f64,
            reprogram_interval: rig.weights.reprogram_interval as f64,
            streams_weights: t.architecture.streams_weights(),
            persistent: rig.weights.storage == WeightStorage::Persistent,
            static_watts: w,
            calibration_duty: rig.calibration.duty(),
            calibration_power: if rig.calibration.policy == CalibrationPolicy::None {
                0.0
            } else {
                rig.calibration.power.si()
            },
            host_e_flop: rig.host.energy_per_flop.si(),
            host_flops: rig.host.flops.si(),
            host_bandwidth: rig.host.memory_bandwidth.si(),
            host_e_bit: rig.host.memory_energy_per_bit.si(),
            link_bandwidth: rig.host.link_bandwidth.si(),
            link_latency: rig.host.link_latency.si(),
            link_e_bit: rig.host.link_energy_per_bit.si(),
            token_overhead: rig.host.token_overhead.si(),
            optical_memory,
            path_transmission: db_to_linear(-optics::path_loss_db(rig)) / m,
            laser_power: rig.laser.power.si(),
            laser_max_power: rig.laser.max_power.si(),
            noise: NoiseParams::from_rig(rig),
            loop_balance: if with_loop && rig.rig.tier.has_loop() {
                optics::loop_balance(rig)
            } else {
                None
            },
            fan_in_limit,
            target_snr: rig.readout.target_snr.linear(),
            target_snr_db: rig.readout.target_snr.db(),
        }
    }

    /// Conversions per output of a product spanning `tiles_in` input tiles: one when the
    /// receiver integrates the partial sums, one per partial sum otherwise.
    pub fn conversions_per_output(&self, tiles_in: f64) -> f64 {
        if self.integrate { 1.0 } else { tiles_in }
    }

    /// Symbol period of a converted product over `tiles_in` input tiles: the ADC must keep up
    /// with one conversion per output every `tiles_in / conversions_per_output` symbols.
    pub fn converted_period(&self, tiles_in: f64) -> f64 {
        let symbols_per_conversion = tiles_in / self.conversions_per_output(tiles_in);
        self.vmm_period
            .max(self.adc_period / symbols_per_conversion)
    }

    /// Multiply-accumulates per symbol of one lane.
    pub fn macs_per_symbol(&self) -> f64 {
        self.n * self.m
    }
}

/// Time of each phase of one step, s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Phases {
    /// Symbols of optical products.
    pub optical: f64,
    /// Loop entry and exit (state written in and read out), tier B–D.
    pub loop_io: f64,
    /// Settling after weight-tile writes.
    pub weight_settle: f64,
    /// Waiting for weights to arrive from host memory.
    pub weight_stall: f64,
    /// Host↔core transfers (bandwidth and latency).
    pub link: f64,
    /// Host digital work (roofline of FLOPs and memory bytes).
    pub host: f64,
    /// Fixed per-step host overhead.
    pub overhead: f64,
    /// Calibration downtime charged to this step.
    pub calibration: f64,
}

impl Phases {
    pub const NAMES: [&'static str; 8] = [
        "optical passes",
        "loop entry/exit",
        "weight settling",
        "weight-stream stall",
        "host↔core link",
        "host digital",
        "per-token overhead",
        "calibration",
    ];
    pub fn as_array(&self) -> [f64; 8] {
        [
            self.optical,
            self.loop_io,
            self.weight_settle,
            self.weight_stall,
            self.link,
            self.host,
            self.overhead,
            self.calibration,
        ]
    }
    pub fn total(&self) -> f64 {
        self.as_array().iter().sum()
    }
}

/// One scheduled step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepCost {
    /// Tokens the step produces (decode: the batch; encoder: every input token).
    pub tokens: f64,
    pub phases: Phases,
    /// Wall time of the step, s.
    pub time: f64,
    pub ledger: Ledger,
    pub optical_macs: f64,
    pub host_macs: f64,
    /// Weight elements written into the optics during the step.
    pub weight_writes: f64,
}

/// What one step processes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct StepSpec {
    /// Token-vectors through every layer.
    vectors: f64,
    /// Sequences (the head runs once per sequence in prefill).
    sequences: f64,
    tokens: f64,
    /// Mean attention context per vector.
    ctx: f64,
    /// KV positions read from memory, per attention layer.
    kv_read: f64,
}

/// Headline figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    /// Energy per output token, prefill included for a decoder, J.
    pub j_per_token: f64,
    /// All energy over all multiply-accumulates of a token (optical and host), fJ.
    pub fj_per_mac: f64,
    /// Optical-core energy (conversions, lasers, amplifiers, weights, control) over optical MACs, fJ.
    pub core_fj_per_optical_mac: f64,
    /// 2 × MACs per joule, in 10¹² per watt-second (one op = one multiply or one add).
    pub tops_per_w: f64,
    /// Output tokens per second in steady state (a decoder's prefills included).
    pub tokens_per_s: f64,
    /// Latency of one step (for a decoder: one decode step of the batch), s.
    pub step_time: f64,
    /// Time to first token (decoder), to one encoded sequence (encoder) or to one vector (kernel), s.
    pub ttft: f64,
    pub optical_macs_per_token: f64,
    pub host_macs_per_token: f64,
    /// Share of a token's MACs done optically.
    pub optical_fraction: f64,
    /// Share of the energy that is static (DC loads × time).
    pub static_fraction: f64,
}

/// Throughput derived from the architecture.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rates {
    pub macs_per_symbol: f64,
    pub lanes: f64,
    pub requested_period: f64,
    pub effective_period: f64,
    pub loop_period: f64,
    pub limited_by: &'static str,
    /// N·M·Λ / T: what the optics could do if it never waited.
    pub peak_macs_per_s: f64,
    /// Optical MACs actually done per second of the step.
    pub sustained_optical_macs_per_s: f64,
    pub utilisation: f64,
    /// Wavelengths the band holds (WDM architectures).
    pub fan_in_limit: Option<f64>,
    /// Readout width at which the laser's maximum power just meets the SNR target.
    pub fan_out_limit: Option<f64>,
}

/// The noise budget of the headline readout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NoiseSummary {
    /// Width of the product whose readout this is.
    pub product_width: f64,
    pub budget: NoiseBudget,
    pub snr_db: f64,
    pub enob: f64,
    pub dominant: &'static str,
    pub target_snr_db: f64,
    /// Per-channel laser power that meets the target, W (None when unreachable).
    pub required_laser_power: Option<f64>,
    /// The SNR ceiling when the target is unreachable, dB, and what sets it.
    pub ceiling_db: Option<f64>,
    pub ceiling_by: Option<&'static str>,
    /// Amplified passes between regenerations.
    pub passes_between_readouts: f64,
    /// Amplified passes before the readout SNR falls to the target, from the linear growth of
    /// the ASE alone (as if the loop regenerated its levels). Whether it does, and the passes an
    /// unrestored level's drift allows, come from [`crate::decision::Decision`] (the `noise`
    /// command), whose return-map analysis is too slow for this per-evaluation summary.
    pub passes_to_target: f64,
    /// Net power change of the loop per pass, dB (tier B–D).
    pub loop_net_db: Option<f64>,
}

/// Warnings about a rig running a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// A part forces a longer symbol period than requested.
    SymbolRateLimited,
    /// The readout misses its SNR target at the rig's laser power.
    SnrBelowTarget,
    /// No laser power within the part's maximum (or none at all) reaches the target.
    TargetNeedsMoreThanMaxPower,
    /// The readout width exceeds the fan-out the laser power supports at the target SNR.
    FanOutPowerLimited,
    /// Persistent storage cannot hold all optically mapped weights: they are rewritten per step.
    WeightsExceedCapacity,
    /// The loop amplifier cannot make up the loop's losses: the state decays each pass.
    LoopGainShort,
    /// The loop runs more passes between readouts than the noise budget allows.
    LoopNoiseLimited,
}

/// A set of [`Check`]s (no allocation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checks(u16);

impl Checks {
    const ALL: [Check; 7] = [
        Check::SymbolRateLimited,
        Check::SnrBelowTarget,
        Check::TargetNeedsMoreThanMaxPower,
        Check::FanOutPowerLimited,
        Check::WeightsExceedCapacity,
        Check::LoopGainShort,
        Check::LoopNoiseLimited,
    ];
    pub fn set(&mut self, c: Check) {
        self.0 |= 1 << c as u16;
    }
    pub fn has(&self, c: Check) -> bool {
        self.0 & (1 << c as u16) != 0
    }
    pub fn iter(&self) -> impl Iterator<Item = Check> + '_ {
        Self::ALL.into_iter().filter(|c| self.has(*c))
    }
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
}

impl Serialize for Checks {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// Everything the cost model says about a rig running a workload.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Evaluation {
    pub tier: Tier,
    pub step: StepCost,
    /// The prefill of one sequence (its time is the time to first token).
    pub prefill: StepCost,
    /// Energy per output token: for a decoder, a serving cycle's (G decode steps of the batch
    /// and the batch's prefills) divided by its b·G tokens; otherwise the step's per token.
    pub per_token: Ledger,
    pub metrics: Metrics,
    pub rates: Rates,
    pub noise: NoiseSummary,
    pub checks: Checks,
    pub params_total: f64,
    pub params_active: f64,
}

impl Evaluation {
    /// A sentence for each check that fired.
    pub fn check_messages(&self) -> Vec<String> {
        self.checks
            .iter()
            .map(|c| match c {
                Check::SymbolRateLimited => format!(
                    "the {} limits the symbol period to {} (requested {})",
                    self.rates.limited_by,
                    fmt_s(self.rates.effective_period),
                    fmt_s(self.rates.requested_period)
                ),
                Check::SnrBelowTarget => format!(
                    "the readout SNR is {:.1} dB, below the {:.1} dB target ({} dominates)",
                    self.noise.snr_db, self.noise.target_snr_db, self.noise.dominant
                ),
                Check::TargetNeedsMoreThanMaxPower => match (self.noise.required_laser_power, self.noise.ceiling_db) {
                    (Some(p), _) => format!(
                        "the SNR target needs {} per channel, above the laser's maximum",
                        lightloop_rig::units::format_si(p, "W", 3)
                    ),
                    (None, Some(c)) => format!(
                        "no laser power reaches the SNR target: {} caps the readout at {c:.1} dB",
                        self.noise.ceiling_by.unwrap_or("noise")
                    ),
                    _ => "the SNR target cannot be reached".to_string(),
                },
                Check::FanOutPowerLimited => format!(
                    "at the target SNR the laser supports a readout width of only {:.0}",
                    self.rates.fan_out_limit.unwrap_or(0.0)
                ),
                Check::WeightsExceedCapacity => {
                    "persistent weight storage cannot hold all mapped weights; they are rewritten every step".to_string()
                }
                Check::LoopGainShort => format!(
                    "the loop amplifier falls short of the loop's losses: the state changes by {:.2} dB per pass",
                    self.noise.loop_net_db.unwrap_or(0.0)
                ),
                Check::LoopNoiseLimited => format!(
                    "{:.0} passes between readouts exceed the {:.1} the noise budget allows at the target SNR",
                    self.noise.passes_between_readouts, self.noise.passes_to_target
                ),
            })
            .collect()
    }
}

fn fmt_s(t: f64) -> String {
    lightloop_rig::units::format_si(t, "s", 4)
}

/// ⌈a/b⌉ for the integer dimensions of a product, as f64.
fn tiles(a: u32, b: f64) -> f64 {
    (a as u64).div_ceil((b as u64).max(1)) as f64
}

/// ⌈x⌉ for x ≥ 0, forgiving 1e-9 of floating-point excess (2.0000000001 → 2), at least 1 for
/// x > 0. Branch-light: no libm call.
fn ceil(x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let y = x - 1e-9;
    // Counts stay far below 2^63; i64 truncation is one instruction, u64 is several.
    let t = y as i64 as f64;
    let c = if t < y { t + 1.0 } else { t };
    c.max(1.0)
}

/// Weight elements written and settling time for `matrices` matrices of `elements` each, used
/// by `groups` lane-groups for `passes` passes, and whether they must be rewritten every pass.
struct WeightUse {
    elements: f64,
    matrices: f64,
    groups: f64,
    passes: f64,
    tiles: f64,
    rewrite_each_pass: bool,
}

/// Weight traffic of one product in one step.
struct WeightTraffic {
    /// Element writes into the optics (each costs `weights.write_energy`).
    writes: f64,
    /// Elements fetched from host memory over the link. The core's drivers buffer one matrix,
    /// so replays within a step (streamed weights, tiles rewritten every pass) are not fetched
    /// again.
    fetched: f64,
    settle: f64,
}

fn weight_traffic(core: &Core, fits: bool, tokens: f64, u: WeightUse) -> WeightTraffic {
    let once = u.matrices * u.elements;
    if core.streams_weights {
        // Every weight is driven into a modulator once per lane-group per pass.
        WeightTraffic {
            writes: u.groups * u.passes * once,
            fetched: once,
            settle: 0.0,
        }
    } else if core.persistent && fits {
        // Written once per reprogram interval, amortised over its tokens.
        let share = tokens / core.reprogram_interval;
        WeightTraffic {
            writes: once * share,
            fetched: once * share,
            settle: u.matrices * u.tiles * core.write_time * share,
        }
    } else {
        let rewrites = if u.rewrite_each_pass { u.passes } else { 1.0 };
        WeightTraffic {
            writes: rewrites * once,
            fetched: once,
            settle: rewrites * u.matrices * u.tiles * core.write_time,
        }
    }
}

/// Running totals of one step while its products are scheduled.
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    led: Ledger,
    ph: Phases,
    optical_macs: f64,
    host_macs: f64,
    host_flops: f64,
    host_weight_bytes: f64,
    streamed_weight_bits: f64,
    link_bits: f64,
    transfers: f64,
    dac: f64,
    readouts: f64,
    writes: f64,
}

impl Acc {
    /// Adds a product's weight traffic and the stall it causes behind `t_optical`.
    fn weights(&mut self, core: &Core, w: WeightTraffic, t_optical: f64, weight_path_bw: f64) {
        self.writes += w.writes;
        self.ph.weight_settle += w.settle;
        let bits = w.fetched * core.weight_bits;
        self.streamed_weight_bits += bits;
        self.ph.weight_stall += (bits / 8.0 / weight_path_bw - t_optical - w.settle).max(0.0);
    }
}

/// Schedules several steps (the decode step and the prefill) in one pass over the products,
/// computing each product's shape-dependent figures once.
#[inline]
fn steps<const N: usize>(
    core: &Core,
    work: &Work,
    fits: bool,
    specs: [StepSpec; N],
) -> [StepCost; N] {
    steps_over(core, work, work.ops(), fits, specs)
}

/// [`steps`] over the products `ops` in place of `work`'s own (a network with more products
/// than a [`Work`] holds); the rest of the step (host work, loop) is `work`'s.
#[inline]
fn steps_over<'o, const N: usize>(
    core: &Core,
    work: &Work,
    ops: impl Iterator<Item = &'o lightloop_rig::work::MatOp>,
    fits: bool,
    specs: [StepSpec; N],
) -> [StepCost; N] {
    let mut acc = [Acc::default(); N];
    let weight_path_bw = core.host_bandwidth.min(core.link_bandwidth);

    for op in ops {
        let per_use = op.macs_per_use();
        if !op.optical {
            for (a, s) in acc.iter_mut().zip(&specs) {
                let vecs = op.vectors(s.vectors, s.sequences);
                if vecs > 0.0 {
                    let touched = op.matrices_touched(s.vectors).min(vecs);
                    a.host_macs += vecs * per_use;
                    a.host_flops += 2.0 * vecs * per_use;
                    a.host_weight_bytes += touched * per_use * work.weight_bytes;
                }
            }
            continue;
        }
        let (d_in, d_out) = (op.d_in as f64, op.d_out as f64);
        let tiles_in = tiles(op.d_in, core.n);
        let tiles_out = tiles(op.d_out, core.m);
        let symbol_time = tiles_in * tiles_out * core.converted_period(tiles_in);
        let dac_per_vec = d_in * tiles_out;
        let reads_per_vec = d_out * core.conversions_per_output(tiles_in);
        let bits_per_vec = d_in * core.dac_bits + d_out * core.readout_bits;
        for (a, s) in acc.iter_mut().zip(&specs) {
            let vecs = op.vectors(s.vectors, s.sequences);
            if vecs <= 0.0 {
                continue;
            }
            let touched = op.matrices_touched(s.vectors).min(vecs);
            a.optical_macs += vecs * per_use;
            let groups = touched * ceil(vecs / touched / core.lanes);
            let t_optical = groups * symbol_time;
            a.ph.optical += t_optical;
            a.dac += vecs * dac_per_vec;
            a.readouts += vecs * reads_per_vec;
            a.link_bits += vecs * bits_per_vec;
            a.transfers += 2.0 * touched;
            let w = weight_traffic(
                core,
                fits,
                s.tokens,
                WeightUse {
                    elements: per_use,
                    matrices: touched,
                    groups: groups / touched,
                    passes: 1.0,
                    tiles: tiles_in * tiles_out,
                    rewrite_each_pass: false,
                },
            );
            a.weights(core, w, t_optical, weight_path_bw);
        }
    }

    if work.loop_width > 0 && work.loop_passes > 0.0 {
        let d = work.loop_width as f64;
        let passes = work.loop_passes;
        let tiles_in = tiles(work.loop_width, core.n);
        let tiles_out = tiles(work.loop_width, core.m);
        let spv = tiles_in * tiles_out;
        let looped = core.tier.has_loop();
        // Tier B–D: readouts at every checkpoint and every regeneration, at least one per token.
        // Tier A: every pass is converted in and out.
        let reads = if looped {
            ceil(passes / core.regeneration.min(work.cadence)).max(1.0)
        } else {
            passes
        };
        let pass_time = if looped {
            spv * core.loop_period
        } else {
            spv * core.converted_period(tiles_in)
        };
        let io_time = if looped {
            reads
                * (tiles_in * core.requested_period.max(core.dac_period)
                    + tiles_out * core.requested_period.max(core.adc_period))
        } else {
            0.0
        };
        let (dac_per_vec, reads_per_vec) = if looped {
            (reads * d, reads * d)
        } else {
            (
                passes * d * tiles_out,
                passes * d * core.conversions_per_output(tiles_in),
            )
        };
        for (a, s) in acc.iter_mut().zip(&specs) {
            let groups = ceil(s.vectors / core.lanes);
            a.optical_macs += s.vectors * passes * d * d;
            let t_optical = groups * passes * pass_time;
            a.ph.optical += t_optical;
            a.ph.loop_io += groups * io_time;
            a.dac += s.vectors * dac_per_vec;
            a.readouts += s.vectors * reads_per_vec;
            a.link_bits += s.vectors * reads * d * (core.dac_bits + core.readout_bits);
            a.transfers += 2.0 * reads;
            let w = weight_traffic(
                core,
                fits,
                s.tokens,
                WeightUse {
                    elements: d * d,
                    matrices: 1.0,
                    groups,
                    passes,
                    tiles: spv,
                    rewrite_each_pass: d * d > core.capacity,
                },
            );
            a.weights(core, w, t_optical, weight_path_bw);
        }
    }

    let mut out = [StepCost {
        tokens: 0.0,
        phases: Phases::default(),
        time: 0.0,
        ledger: Ledger::default(),
        optical_macs: 0.0,
        host_macs: 0.0,
        weight_writes: 0.0,
    }; N];
    for ((a, s), o) in acc.iter_mut().zip(&specs).zip(out.iter_mut()) {
        *o = finish_step(core, work, a, s);
    }
    out
}

/// Adds the host's work, the link, the per-event energies and the DC loads to a scheduled step.
#[inline]
fn finish_step(core: &Core, work: &Work, a: &mut Acc, s: &StepSpec) -> StepCost {
    let (led, ph) = (&mut a.led, &mut a.ph);
    // Host work: attention core, element-wise ops, embeddings, KV cache.
    a.host_macs += s.vectors * work.attention_macs(s.ctx);
    a.host_flops += s.vectors * (work.attention_flops(s.ctx) + work.elementwise_flops);
    let kv_positions = (s.kv_read + s.vectors) * work.attention_layers;
    let kv_bytes = kv_positions * work.kv_bytes_per_position;
    let activation_bytes = s.vectors * work.embedding_bytes;
    let mut host_bytes = a.host_weight_bytes + activation_bytes + a.streamed_weight_bits / 8.0;
    match core.optical_memory {
        Some((e_value, access)) if work.attention_layers > 0.0 => {
            // Tier D: K and V live in the optical memory instead of host DRAM (speculative).
            let values = kv_positions * work.kv_bytes_per_position / 2.0;
            led.add(Item::OpticalMemoryAccess, values * e_value);
            ph.host += work.attention_layers * s.ctx * access;
        }
        _ => {
            host_bytes += kv_bytes;
            led.add(Item::KvCache, kv_bytes * 8.0 * core.host_e_bit);
        }
    }
    ph.host += (a.host_flops / core.host_flops).max(host_bytes / core.host_bandwidth);
    let link_bits = a.link_bits + a.streamed_weight_bits;
    ph.link = link_bits / 8.0 / core.link_bandwidth + a.transfers * core.link_latency;
    ph.overhead = core.token_overhead;
    // Calibration downtime stretches the step; DC loads run for all of it.
    let busy = ph.total();
    let time = busy / (1.0 - core.calibration_duty);
    ph.calibration = time - busy;
    led.add(Item::HostCompute, a.host_flops * core.host_e_flop);
    led.add(
        Item::WeightReads,
        (a.host_weight_bytes * 8.0 + a.streamed_weight_bits) * core.host_e_bit,
    );
    led.add(Item::Activations, activation_bytes * 8.0 * core.host_e_bit);

    led.add(Item::HostLink, link_bits * core.link_e_bit);

    led.add(Item::DacConversions, a.dac * core.e_dac);
    led.add(Item::ModulatorDrive, a.dac * core.e_mod);
    led.add(core.readout_item, a.readouts * core.e_readout);
    led.add(Item::WeightWrites, a.writes * core.e_write);

    for (item, watts) in core.static_watts.entries() {
        led.add(item, watts * time);
    }
    led.add(Item::Calibration, core.calibration_power * ph.calibration);

    StepCost {
        tokens: s.tokens,
        phases: *ph,
        time,
        ledger: *led,
        optical_macs: a.optical_macs,
        host_macs: a.host_macs,
        weight_writes: a.writes,
    }
}

/// Time and energy of `vectors` vectors through one optical d_in × d_out product on the rig
/// (conversions, weight traffic, link, DC loads for the product's duration): what one operation
/// of the statistical twin costs.
pub fn product_cost(core: &Core, d_in: u32, d_out: u32, vectors: f64) -> StepCost {
    let work = Work::product(d_in, d_out, core.weight_bits as u32);
    let fits = d_in as f64 * d_out as f64 <= core.capacity;
    let spec = StepSpec {
        vectors,
        sequences: vectors,
        tokens: vectors,
        ctx: 0.0,
        kv_read: 0.0,
    };
    let [cost] = steps(core, &work, fits, [spec]);
    cost
}

/// One matrix product of a network described by its products alone (an imported model): a
/// d_in × d_out weight matrix applied `uses` times per input (once for a dense layer, once per
/// output position for a convolution), optically or on the host.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Product {
    pub d_in: u32,
    pub d_out: u32,
    pub uses: f64,
    pub optical: bool,
}

/// Time and energy of one step of `inputs` inputs through a network given as its products, in
/// forward order, plus `host_flops` element-wise host FLOPs per input, with digital weights of
/// `host_weight_bits` read from host memory: the schedule of [`evaluate`] (the same phases,
/// ledger items and DC loads, one per-step overhead) for a network that is not a transformer.
/// Every product has its own weight matrix; the optical weights are persistent only if all of
/// them fit the core together.
pub fn network_cost(
    core: &Core,
    products: &[Product],
    host_flops: f64,
    host_weight_bits: u32,
    inputs: f64,
) -> StepCost {
    use lightloop_rig::work::{MatKind, MatOp};
    let fits = products
        .iter()
        .filter(|p| p.optical)
        .map(|p| p.d_in as f64 * p.d_out as f64)
        .sum::<f64>()
        <= core.capacity;
    let ops: Vec<MatOp> = products
        .iter()
        .map(|p| MatOp {
            kind: MatKind::Layer,
            d_in: p.d_in,
            d_out: p.d_out,
            uses_per_token: p.uses,
            matrices: 1.0,
            routed: None,
            optical: p.optical,
            per_sequence: false,
        })
        .collect();
    let spec = StepSpec {
        vectors: inputs,
        sequences: inputs,
        tokens: inputs,
        ctx: 0.0,
        kv_read: 0.0,
    };
    // The step's host work and weight width; the products come from `ops`.
    let work = Work::network(&[], host_flops, host_weight_bits).expect("no products");
    let [cost] = steps_over(core, &work, ops.iter(), fits, [spec]);
    cost
}

/// Evaluates `wl` on `rig`.
pub fn evaluate(rig: &Rig, wl: &Workload) -> Result<Evaluation, Incompatible> {
    let (on_wl, on_rig) = lightloop_rig::pair_problems(rig, wl);
    if !on_wl.is_empty() || !on_rig.is_empty() {
        return Err(Incompatible {
            workload: on_wl,
            rig: on_rig,
        });
    }
    let work = Work::from_workload(wl);
    let core = Core::for_work(rig, &work);
    let e = evaluate_core(&core, &work, wl);
    match not_finite(&e) {
        None => Ok(e),
        Some(p) => Err(Incompatible {
            workload: vec![],
            rig: vec![p],
        }),
    }
}

/// The first figure of an evaluation that is NaN or infinite, as a problem naming it: every
/// accepted input lies within 10⁻³⁰…10³⁰ of its SI unit, so this marks inputs whose products
/// still leave the floating-point range, which no printed figure may hide.
fn not_finite(e: &Evaluation) -> Option<Problem> {
    let m = &e.metrics;
    let figures = [
        ("energy per token", m.j_per_token),
        ("tokens per second", m.tokens_per_s),
        ("step time", m.step_time),
        ("time to first token", m.ttft),
        ("fJ per MAC", m.fj_per_mac),
    ];
    let item = Item::ALL
        .iter()
        .map(|i| (i.label(), e.per_token.get(*i)))
        .chain(figures)
        .find(|(_, v)| !v.is_finite())?;
    Some(Problem::new(
        "rig",
        lightloop_rig::ErrorKind::Value,
        format!(
            "the {} comes to {}: the description's values are too extreme for the model (check the largest and smallest)",
            item.0, item.1
        ),
    ))
}

/// Evaluates with the rig and workload already reduced (for sweeps and benchmarks).
#[inline]
pub fn evaluate_core(core: &Core, work: &Work, wl: &Workload) -> Evaluation {
    let batch = wl.run.batch as f64;
    let prompt = wl.run.prompt_tokens as f64;
    let generated = wl.run.generated_tokens as f64;

    let mapped: f64 = work
        .ops()
        .filter(|o| o.optical)
        .map(|o| o.weights())
        .sum::<f64>()
        + (work.loop_width as f64).powi(2);
    let fits = mapped <= core.capacity;

    let (main, first) = match work.kind {
        WorkloadKindTag::Decoder => {
            let ctx = prompt + generated / 2.0;
            (
                StepSpec {
                    vectors: batch,
                    sequences: batch,
                    tokens: batch,
                    ctx,
                    kv_read: batch * ctx,
                },
                StepSpec {
                    vectors: prompt,
                    sequences: 1.0,
                    tokens: prompt,
                    ctx: (prompt + 1.0) / 2.0,
                    kv_read: prompt,
                },
            )
        }
        WorkloadKindTag::Encoder => (
            StepSpec {
                vectors: batch * prompt,
                sequences: batch,
                tokens: batch * prompt,
                ctx: prompt,
                kv_read: batch * prompt,
            },
            StepSpec {
                vectors: prompt,
                sequences: 1.0,
                tokens: prompt,
                ctx: prompt,
                kv_read: prompt,
            },
        ),
        WorkloadKindTag::Kernel => (
            StepSpec {
                vectors: batch,
                sequences: batch,
                tokens: batch,
                ctx: 0.0,
                kv_read: 0.0,
            },
            StepSpec {
                vectors: 1.0,
                sequences: 1.0,
                tokens: 1.0,
                ctx: 0.0,
                kv_read: 0.0,
            },
        ),
    };
    let [st, pre] = steps(core, work, fits, [main, first]);
    // A decoder serves in cycles: every slot of the batch takes a request, prefills its prompt
    // and then generates G tokens, so one cycle is G decode steps and b prefills (the GPU
    // serving model counts the same cycle).
    let (cycle_time, cycle_tokens, per_token, optical_per_token, host_per_token) =
        if work.kind == WorkloadKindTag::Decoder && generated > 0.0 {
            let tokens = batch * generated;
            let mut led = st.ledger.scaled(generated);
            led.merge(&pre.ledger.scaled(batch));
            (
                generated * st.time + batch * pre.time,
                tokens,
                led.scaled(1.0 / tokens),
                (generated * st.optical_macs + batch * pre.optical_macs) / tokens,
                (generated * st.host_macs + batch * pre.host_macs) / tokens,
            )
        } else {
            (
                st.time,
                st.tokens,
                st.ledger.scaled(1.0 / st.tokens),
                st.optical_macs / st.tokens,
                st.host_macs / st.tokens,
            )
        };
    let j = per_token.total();
    let total_macs = optical_per_token + host_per_token;

    let metrics = Metrics {
        j_per_token: j,
        fj_per_mac: j / total_macs * 1e15,
        core_fj_per_optical_mac: if optical_per_token > 0.0 {
            per_token.core() / optical_per_token * 1e15
        } else {
            f64::NAN
        },
        tops_per_w: 2.0 * total_macs / j / 1e12,
        tokens_per_s: cycle_tokens / cycle_time,
        step_time: st.time,
        ttft: pre.time,
        optical_macs_per_token: optical_per_token,
        host_macs_per_token: host_per_token,
        optical_fraction: optical_per_token / total_macs,
        static_fraction: per_token.static_total() / j,
    };

    // The headline readout: the loop, or else the optical product with the most MACs.
    let width = if work.loop_width > 0 {
        work.loop_width as f64
    } else {
        work.ops()
            .filter(|o| o.optical)
            .max_by(|a, b| {
                (a.macs_per_use() * a.uses_per_token)
                    .total_cmp(&(b.macs_per_use() * b.uses_per_token))
            })
            .map(|o| o.d_in as f64)
            .unwrap_or(core.n)
    };
    let used = core.n.min(width);
    let tiles_in = tiles(width as u32, core.n);
    let looped = core.tier.has_loop() && work.loop_width > 0;
    let period = if looped {
        core.loop_period
    } else {
        core.vmm_period
    };
    let between = if looped {
        core.regeneration.min(work.cadence).min(work.loop_passes)
    } else {
        0.0
    };
    let amp_in = core
        .loop_balance
        .map(|b| b.amplifier_input)
        .unwrap_or(core.laser_power);
    let point = ReadoutPoint {
        received_power: used * core.laser_power * core.path_transmission,
        integration_time: tiles_in / core.conversions_per_output(tiles_in) * period,
        amplified_passes: between,
        amplifier_input_power: amp_in,
    };
    let budget = NoiseBudget::at(&core.noise, point);
    let required = budget.required_power_scale(core.target_snr);
    let passes_to_target = if looped {
        budget
            .passes_to_snr(core.target_snr)
            .unwrap_or_else(|| noise::passes_to_snr(&core.noise, point, core.target_snr))
    } else {
        f64::INFINITY
    };
    let noise = NoiseSummary {
        product_width: width,
        budget,
        snr_db: budget.snr_db(),
        enob: budget.enob(),
        dominant: budget.dominant().0,
        target_snr_db: core.target_snr_db,
        required_laser_power: required.ok().map(|x| x * core.laser_power),
        ceiling_db: required.err().map(|u| u.ceiling_db),
        ceiling_by: required.err().map(|u| u.limited_by),
        passes_between_readouts: between,
        passes_to_target,
        loop_net_db: core.loop_balance.map(|b| b.net_db()),
    };

    let fan_out_limit = noise
        .required_laser_power
        .map(|p| core.m * core.laser_max_power / p);
    let peak = core.macs_per_symbol() * core.lanes / core.vmm_period.min(core.loop_period);
    let sustained = optical_per_token * cycle_tokens / cycle_time;
    let rates = Rates {
        macs_per_symbol: core.macs_per_symbol(),
        lanes: core.lanes,
        requested_period: core.requested_period,
        effective_period: core.vmm_period,
        loop_period: core.loop_period,
        limited_by: core.limited_by,
        peak_macs_per_s: peak,
        sustained_optical_macs_per_s: sustained,
        utilisation: sustained / peak,
        fan_in_limit: core.fan_in_limit.is_finite().then_some(core.fan_in_limit),
        fan_out_limit,
    };

    let mut checks = Checks::default();
    let any_optical = st.optical_macs > 0.0;
    if core.vmm_period > core.requested_period * (1.0 + 1e-12) {
        checks.set(Check::SymbolRateLimited);
    }
    if any_optical && budget.snr() < core.target_snr {
        checks.set(Check::SnrBelowTarget);
    }
    match noise.required_laser_power {
        Some(p) if any_optical && p > core.laser_max_power => {
            checks.set(Check::TargetNeedsMoreThanMaxPower)
        }
        None if any_optical => checks.set(Check::TargetNeedsMoreThanMaxPower),
        _ => {}
    }
    if any_optical && fan_out_limit.is_some_and(|f| core.m > f) {
        checks.set(Check::FanOutPowerLimited);
    }
    if core.persistent && !fits && any_optical {
        checks.set(Check::WeightsExceedCapacity);
    }
    if looped && noise.loop_net_db.is_some_and(|db| db < -1e-9) {
        checks.set(Check::LoopGainShort);
    }
    if looped && between > passes_to_target {
        checks.set(Check::LoopNoiseLimited);
    }

    Evaluation {
        tier: core.tier,
        step: st,
        prefill: pre,
        per_token,
        metrics,
        rates,
        noise,
        checks,
        params_total: work.params_total,
        params_active: work.params_active,
    }
}
