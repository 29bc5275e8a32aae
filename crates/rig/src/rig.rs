//! The hardware description: one rig file drives cost, physics, twin, nets and report.
//!
//! Every section is named after the physical part it describes. Values carry units (see
//! [`crate::units`]). Optional sections (`soa`, `edfa`, `saturable_absorber`, `comparator`,
//! `selector`, `optical_memory`) are absent when the rig has no such part.

use crate::constants::quantum_limit_responsivity;
use crate::error::ErrorKind;
use crate::units::*;
use crate::validate::{Checker, Validate};
use serde::{Deserialize, Serialize};

/// A complete rig.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rig {
    pub rig: RigMeta,
    pub topology: Topology,
    pub laser: Laser,
    pub modulator: Modulator,
    pub dac: Dac,
    pub adc: Adc,
    pub photodiode: Photodiode,
    pub tia: Tia,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparator: Option<Comparator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soa: Option<Soa>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edfa: Option<Edfa>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saturable_absorber: Option<SaturableAbsorber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<Selector>,
    pub passives: Passives,
    pub weights: Weights,
    pub readout: Readout,
    pub clock: Clock,
    pub control: Control,
    pub calibration: Calibration,
    pub host: Host,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optical_memory: Option<OpticalMemory>,
    /// Impairments of the lanes across passes (gain tilt and ripple, chromatic dispersion,
    /// polarisation-dependent gain); absent: none modelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impairments: Option<Impairments>,
    /// Mode-division multiplexing: several spatial modes per fibre, each a lane; absent:
    /// single-mode fibre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode_multiplexing: Option<ModeMultiplexing>,
    /// Prices of the parts, for the bill of materials (absent: [`RigPrice::default`]).
    #[serde(default)]
    pub price: RigPrice,
}

/// The price of each part of a rig, for its bill of materials. Telecom and lab parts have no
/// public list prices: every default is a stated guess (docs/references.md, fleets), to be
/// replaced by quotes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RigPrice {
    /// One laser per input port.
    pub laser: Money,
    /// One input modulator per port.
    pub modulator: Money,
    /// One DAC channel per port.
    pub dac: Money,
    /// One ADC channel (or comparator) per receiver.
    pub adc: Money,
    /// Photodiode and TIA per receiver.
    pub receiver: Money,
    /// Per optical amplifier (SOA or EDFA).
    pub amplifier: Money,
    /// Per saturable absorber.
    pub absorber: Money,
    /// Per weight element the optics holds (a modulator, a microring, a phase-change cell).
    pub weight_element: Money,
    /// Fibre, per kilometre.
    pub fibre_per_km: Money,
    /// Control electronics, clock and calibration, per rig.
    pub control: Money,
    /// The host's share of a server, per rig.
    pub host: Money,
    /// Assembly, packaging and test, as a share of the parts.
    pub assembly: Fraction,
}

impl Default for RigPrice {
    /// Discrete telecom parts bought in tens: all guesses except the SOA (a vendor's
    /// comparison of SOA and EDFA prices) and the fibre (a public cable-cost figure).
    fn default() -> Self {
        Self {
            laser: Money::new(500.0),
            modulator: Money::new(1000.0),
            dac: Money::new(100.0),
            adc: Money::new(100.0),
            receiver: Money::new(150.0),
            amplifier: Money::new(800.0),
            absorber: Money::new(300.0),
            weight_element: Money::new(1000.0),
            fibre_per_km: Money::new(31.0),
            control: Money::new(10_000.0),
            host: Money::new(15_000.0),
            assembly: Fraction::new(0.3),
        }
    }
}

/// Name, purpose and build tier.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RigMeta {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Build tier, see [`Tier`].
    pub tier: Tier,
}

/// Build tiers of the design (docs/design.md): what stays optical and what is converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tier {
    /// One optical pass per matrix product; digital between layers.
    A,
    /// Analog loop: the state stays optical for `loop_passes` passes; conversion at entry and exit.
    B,
    /// As B, with weights persisted in the optics (no per-token weight drive; reprogramming
    /// amortised over `weights.reprogram_interval` tokens).
    C,
    /// As C, with the KV cache held in an analog optical memory. Speculative: modelled on paper.
    D,
}

impl Tier {
    /// Whether the state circulates optically between passes.
    pub fn has_loop(self) -> bool {
        !matches!(self, Tier::A)
    }
    /// Whether the tier keeps weights in the optics.
    pub fn persistent_weights(self) -> bool {
        matches!(self, Tier::C | Tier::D)
    }
    /// Whether the tier keeps the KV cache in optical memory.
    pub fn optical_memory(self) -> bool {
        matches!(self, Tier::D)
    }
    pub fn describe(self) -> &'static str {
        match self {
            Tier::A => "A: one optical pass per matrix product, digital between layers",
            Tier::B => "B: analog loop, conversion only at loop entry and exit",
            Tier::C => "C: analog loop with weights persisted in optics",
            Tier::D => "D: C plus analog optical KV memory (speculative)",
        }
    }
}

/// How a matrix product is physically realised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// Inputs on `channels` wavelengths, broadcast to `readout_width` banks of microring weights,
    /// each summed on a (balanced) photodiode (Tait et al., J. Lightwave Technol. 32(21), 2014).
    WdmBroadcastAndWeight,
    /// Inputs and weights streamed in time through cascaded modulators; each receiver integrates
    /// one dot product over time slots (Hamerly et al., Phys. Rev. X 9, 021032, 2019, in its
    /// time-multiplexed form). Weights are re-driven every symbol.
    TdmDotProduct,
    /// Inputs on a spatial modulator, weights on an SLM, products summed onto a camera
    /// (Wang et al., Nat. Commun. 13, 123, 2022). Frame-rate limited.
    FreeSpaceSlmCamera,
    /// A fixed random scattering medium between a DMD and a camera (Saade et al., ICASSP 2016;
    /// LightOn OPU). Not programmable: a random projection only.
    ScatteringMedium,
    /// One nonlinear node with a delay loop and time-multiplexed virtual nodes
    /// (Appeltant et al., Nat. Commun. 2, 468, 2011). Fixed dynamics; only a readout is trained.
    DelayLineReservoir,
    /// A spatial N×M array of programmable weight cells between input modulators and
    /// photodiodes (Feldmann et al., Nature 589, 52, 2021, phase-change cells).
    Crossbar,
}

impl Architecture {
    /// Whether arbitrary trained matrices can be loaded.
    pub fn programmable(self) -> bool {
        !matches!(
            self,
            Architecture::ScatteringMedium | Architecture::DelayLineReservoir
        )
    }
    /// Whether each weight is re-applied by a modulator every symbol (no weight storage).
    pub fn streams_weights(self) -> bool {
        matches!(self, Architecture::TdmDotProduct)
    }
    /// Whether the input index is carried by wavelength (fan-in limited by the WDM band).
    pub fn inputs_on_wavelengths(self) -> bool {
        matches!(self, Architecture::WdmBroadcastAndWeight)
    }
    pub fn name(self) -> &'static str {
        match self {
            Architecture::WdmBroadcastAndWeight => "wdm-broadcast-and-weight",
            Architecture::TdmDotProduct => "tdm-dot-product",
            Architecture::FreeSpaceSlmCamera => "free-space-slm-camera",
            Architecture::ScatteringMedium => "scattering-medium",
            Architecture::DelayLineReservoir => "delay-line-reservoir",
            Architecture::Crossbar => "crossbar",
        }
    }
}

/// Channels, slots, lanes and timing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    pub architecture: Architecture,
    /// Physical input channels N used in one symbol (wavelengths, spatial ports or pixels): the
    /// fan-in of one optical shot.
    pub channels: u32,
    /// TDM slots each channel's delay line holds; a loop state of width d needs d/channels slots.
    pub slots_per_channel: u32,
    /// Outputs M detected per symbol (receivers per lane): the fan-out of one optical shot.
    pub readout_width: u32,
    /// Independent wavelength lanes Λ that share the weights, each carrying its own vector
    /// (batch parallelism). Each lane has its own lasers, modulators and receivers.
    pub wdm_lanes: u32,
    /// Time slot (symbol) period T_s.
    pub symbol_period: Time,
    /// Passes the loop runs before the state must be read out and regenerated (tier B–D). 1 for
    /// tier A.
    pub loop_passes: u32,
    /// Optical carrier wavelength.
    pub wavelength: Length,
}

/// The light source, one per channel per lane.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Laser {
    /// Optical output power of each laser.
    pub power: Power,
    /// The most the part can deliver (for fan-out limits).
    pub max_power: Power,
    /// Relative intensity noise, one-sided.
    pub rin: Rin,
    pub linewidth: Frequency,
    /// Optical output ÷ electrical input, including the driver.
    pub wall_plug_efficiency: Fraction,
}

/// Modulator family, for documentation and later physics models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModulatorKind {
    Mzm,
    Microring,
    Eam,
    Slm,
    Dmd,
    DirectModulation,
}

/// Input modulator (one per channel per lane). Give `energy_per_symbol`, or the drive model
/// `drive_capacitance` + `drive_swing` (E = C·V²/4 per symbol for random NRZ data; Miller,
/// J. Lightwave Technol. 35(3), 346, 2017).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Modulator {
    pub kind: ModulatorKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_per_symbol: Option<Energy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drive_capacitance: Option<Capacitance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drive_swing: Option<Voltage>,
    /// Electro-optic 3-dB bandwidth.
    pub bandwidth: Frequency,
    pub extinction_ratio: Decibel,
    pub insertion_loss: Decibel,
    /// Static bias power per modulator (heater or bias controller).
    pub bias_power: Power,
}

impl Modulator {
    /// Drive energy per symbol, J.
    pub fn symbol_energy(&self) -> f64 {
        match (
            self.energy_per_symbol,
            self.drive_capacitance,
            self.drive_swing,
        ) {
            (Some(e), _, _) => e.si(),
            (None, Some(c), Some(v)) => c.si() * v.si() * v.si() / 4.0,
            _ => 0.0,
        }
    }
}

/// Digital-to-analog converter driving each input modulator.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dac {
    pub bits: u32,
    pub rate: SampleRate,
    pub energy_per_conversion: Energy,
    /// Static power per DAC (references, clocking).
    pub static_power: Power,
}

/// Analog-to-digital converter behind each receiver. Give `energy_per_conversion`, or
/// `walden_fom` (E = FoM · 2^ENOB per conversion; Walden, IEEE JSAC 17(4), 1999).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adc {
    pub bits: u32,
    pub enob: f64,
    pub rate: SampleRate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_per_conversion: Option<Energy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walden_fom: Option<Energy>,
    /// RMS aperture jitter.
    pub aperture_jitter: Time,
    /// Static power per ADC.
    pub static_power: Power,
}

impl Adc {
    /// The same converter design at `bits` bits: the ENOB shortfall (bits − ENOB) kept and,
    /// where an energy per conversion is given, that energy scaled as 2^ENOB (a fixed Walden
    /// figure of merit, the model the description itself offers). Rate and static power stay.
    pub fn at_bits(&self, bits: u32) -> Adc {
        if bits == self.bits {
            return self.clone();
        }
        let enob = self.enob_at(bits);
        Adc {
            bits,
            enob,
            energy_per_conversion: self
                .energy_per_conversion
                .map(|e| Energy::new(e.si() * 2f64.powf(enob - self.enob))),
            ..self.clone()
        }
    }

    /// The ENOB of the same converter design at `bits` bits: the rig's shortfall (bits − ENOB)
    /// kept, at least 1.
    pub fn enob_at(&self, bits: u32) -> f64 {
        (bits as f64 - (self.bits as f64 - self.enob)).max(1.0)
    }

    /// Energy per conversion, J.
    pub fn conversion_energy(&self) -> f64 {
        match (self.energy_per_conversion, self.walden_fom) {
            (Some(e), _) => e.si(),
            (None, Some(fom)) => fom.si() * 2f64.powf(self.enob),
            _ => 0.0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Photodiode {
    pub responsivity: Responsivity,
    pub dark_current: Current,
    pub capacitance: Capacitance,
    pub bandwidth: Frequency,
    /// Balanced pair (signed weights by subtraction); doubles the photodiodes and dark current.
    #[serde(default)]
    pub balanced: bool,
}

/// Transimpedance amplifier, one per receiver.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tia {
    pub transimpedance: Resistance,
    /// Input-referred current noise density (includes the feedback resistor's 4kT/R).
    pub input_noise_density: CurrentDensity,
    pub bandwidth: Frequency,
    /// Static power per TIA.
    pub power: Power,
}

/// Ternary decision circuit (two thresholds), one per receiver when `readout.kind = "comparator"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comparator {
    pub energy_per_decision: Energy,
    pub static_power: Power,
    /// RMS input-referred noise.
    pub input_noise: Voltage,
    pub hysteresis: Voltage,
}

/// Semiconductor optical amplifier in the loop (Agrawal & Olsson, IEEE JQE 25(11), 1989).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Soa {
    /// SOAs per channel per lane.
    pub per_channel: u32,
    pub small_signal_gain: Decibel,
    /// Output saturation power P_sat.
    pub saturation_power: Power,
    pub noise_figure: Decibel,
    /// Carrier lifetime τ_c (gain recovery).
    pub carrier_lifetime: Time,
    /// Electrical drive power per SOA (current × voltage).
    pub electrical_power: Power,
    /// Thermo-electric cooler power per SOA.
    pub tec_power: Power,
}

/// Erbium-doped fibre amplifier (shared modules).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edfa {
    pub count: u32,
    pub gain: Decibel,
    pub noise_figure: Decibel,
    pub saturation_power: Power,
    /// Wall-plug electrical power per module.
    pub electrical_power: Power,
}

/// Fast saturable absorber: T(P) = 1 − α_s/(1 + P/P_sat) − α_ns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaturableAbsorber {
    /// Saturable loss α_s.
    pub modulation_depth: Fraction,
    pub saturation_power: Power,
    /// Non-saturable loss α_ns.
    pub nonsaturable_loss: Fraction,
    pub recovery_time: Time,
}

/// Passive optics on the path from laser to detector, and the loop's own losses.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Passives {
    /// Excess loss of the 1:M fan-out tree beyond the ideal 10·log10(M).
    pub splitter_excess_loss: Decibel,
    pub mux_loss: Decibel,
    pub demux_loss: Decibel,
    /// Loss per connector or splice.
    pub connector_loss: Decibel,
    pub connectors: u32,
    /// Fibre on the signal path (the loop's delay line included).
    pub fibre_length: Length,
    pub fibre_attenuation: Attenuation,
    /// Insertion loss of one weight element at full transmission.
    pub weight_element_loss: Decibel,
    /// Extra loss per loop pass (couplers, taps, filters), tier B–D.
    pub loop_loss: Decibel,
    /// Optical isolation (back-reflection suppression).
    pub isolation: Decibel,
    /// Crosstalk between neighbouring channels (≤ 0 dB).
    pub crosstalk: Decibel,
    /// WDM channel spacing.
    pub wdm_grid: Frequency,
    /// Usable optical band for WDM channels (C band ≈ 4.4 THz).
    pub optical_band: Frequency,
    /// Optical filter bandwidth before detection (B_o in ASE–ASE beat noise).
    pub optical_filter_bandwidth: Frequency,
}

/// How weights are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightStorage {
    /// Written again whenever a different weight tile is needed (at least once per token).
    Redriven,
    /// Held in the optics (non-volatile or actively held) and rewritten only every
    /// `reprogram_interval` tokens.
    Persistent,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub storage: WeightStorage,
    /// Distinct weight levels (3 = ternary {-1, 0, +1}).
    pub levels: u32,
    /// Energy to write one weight element.
    pub write_energy: Energy,
    /// Settling time after writing a tile.
    pub write_time: Time,
    /// Static power to hold one element (e.g. a thermal tuner).
    pub hold_power: Power,
    /// Weight elements the optics holds at once: at most, and by default exactly, its cells,
    /// `banks` × channels × readout_width × wdm_lanes (see [`Rig::weight_capacity`]). Ignored
    /// when weights are streamed: a tdm-dot-product rig has channels × readout_width weight
    /// modulators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
    /// Physical weight arrays of channels × readout_width (per wavelength lane) the optics
    /// switches between; each costs its cells' hold power and price.
    #[serde(default = "one_bank")]
    pub banks: u64,
    /// Tokens between rewrites of persistent weights.
    pub reprogram_interval: u64,
}

fn one_bank() -> u64 {
    1
}

impl Weights {
    /// Bits to transfer one weight: ceil(log2(levels)).
    pub fn bits(&self) -> u32 {
        32 - (self.levels.max(2) - 1).leading_zeros()
    }
}

/// What produces a digital value at a receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadoutKind {
    Adc,
    /// Ternary comparator (two thresholds); requires a `[comparator]` section.
    Comparator,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Readout {
    pub kind: ReadoutKind,
    /// Accumulate partial sums over input tiles in the analog domain (integrating receiver)
    /// and convert once per output; otherwise convert every partial sum.
    pub integrate: bool,
    /// SNR per readout the design aims for (used for the required laser power).
    pub target_snr: Decibel,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    /// RMS clock jitter.
    pub jitter: Time,
    /// Static power of clock generation and distribution.
    pub power: Power,
}

/// DC loads of control: temperature control, bias controllers, control electronics.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// Temperature control of lasers, modulators and weight banks (total).
    pub tec_power: Power,
    /// Control electronics (FPGA, bias loops, housekeeping), total.
    pub electronics_power: Power,
    /// Per channel per lane (bias locking, monitoring photodiodes).
    pub per_channel_power: Power,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CalibrationPolicy {
    None,
    /// A calibration routine of `duration` every `interval`, drawing `power`.
    Periodic,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    pub policy: CalibrationPolicy,
    pub interval: Time,
    pub duration: Time,
    pub power: Power,
}

impl Calibration {
    /// Fraction of time spent calibrating.
    pub fn duty(&self) -> f64 {
        match self.policy {
            CalibrationPolicy::None => 0.0,
            CalibrationPolicy::Periodic => self.duration.si() / self.interval.si(),
        }
    }
}

/// The digital host that runs what the optics does not (attention, softmax, norms), holds the
/// weights and KV cache in memory, and talks to the optical core over a link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    pub energy_per_flop: Energy,
    pub flops: OpRate,
    pub memory_bandwidth: ByteRate,
    pub memory_energy_per_bit: Energy,
    /// The host's static draw attributed to the co-processor.
    pub static_power: Power,
    pub link_bandwidth: ByteRate,
    /// Latency of one host↔core transfer.
    pub link_latency: Time,
    pub link_energy_per_bit: Energy,
    /// Fixed per-token host time (sampling, scheduling, framework).
    pub token_overhead: Time,
    /// Memory the host holds weights and KV cache in.
    #[serde(default = "default_host_memory")]
    pub memory_capacity: Bytes,
}

/// A two-socket server's DRAM (24 channels of 64 GB); assumption.
fn default_host_memory() -> Bytes {
    Bytes::new(1536e9)
}

/// The TDM channel selector: the fast optical gate or switch that gives each time slot of a
/// frame its channel. Its mean insertion loss is part of the link's path loss; the time-domain
/// engine also models the switching transient at the start of each slot, the leakage of the
/// unselected neighbouring slot, and the slot-to-slot spread of the loss.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// 10–90 % switching time: the start of every slot is spent in the transition.
    pub switching_time: Time,
    /// On/off extinction: the unselected neighbouring slot leaks 1/ER of its power through.
    pub extinction_ratio: Decibel,
    /// Mean insertion loss of the selected path.
    pub insertion_loss: Decibel,
    /// RMS slot-to-slot spread of the insertion loss.
    pub insertion_loss_spread: Decibel,
}

/// Analog optical memory for the KV cache (tier D). Speculative: no such part is on sale.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpticalMemory {
    /// Energy to store and later read back one value.
    pub energy_per_value: Energy,
    pub static_power: Power,
    /// Time to read one position's keys and values.
    pub access_time: Time,
}

/// Impairments a multi-lane loop over fibre meets pass after pass (docs/design.md, "Impairments
/// of a multi-lane loop"). Every key is optional; an absent key is no impairment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Impairments {
    /// The loop amplifier's gain tilt across `passives.optical_band`, linear in wavelength
    /// (gain at the long-wavelength edge minus the short-wavelength edge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain_tilt: Option<Decibel>,
    /// The amplifier's gain ripple, peak to peak, sinusoidal across the band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain_ripple: Option<Decibel>,
    /// Periods of the ripple across `passives.optical_band` (absent: 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ripple_periods: Option<f64>,
    /// Chromatic dispersion D of the loop's fibre (`passives.fibre_length` per pass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispersion: Option<Dispersion>,
    /// RMS spectral width σ_λ of the modulated source (absent: λ²·B_mod/c, B_mod the
    /// modulator's bandwidth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spectral_width: Option<Length>,
    /// Polarisation-dependent gain and loss of one pass (amplifier and fibre parts together),
    /// the spread between the best and worst state of polarisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polarisation_dependent_gain: Option<Decibel>,
    /// The power penalty the dispersion and the modes' crosstalk may take (absent: 1 dB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty_budget: Option<Decibel>,
}

impl Impairments {
    /// The penalty budget, dB (1 dB when absent).
    pub fn penalty_budget_db(&self) -> f64 {
        self.penalty_budget.map_or(1.0, |b| b.db())
    }
}

/// Mode-division multiplexing: `modes` spatial modes of a few-mode fibre each carry a lane of
/// their own through the same fibre and (when it amplifies every mode) the same amplifier.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeMultiplexing {
    /// Modes per fibre M: the lanes multiply by M.
    pub modes: u32,
    /// Mode-dependent loss of one pass: the spread of the modes' gain between the best and the
    /// worst mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode_dependent_loss: Option<Decibel>,
    /// Power one mode picks up from all the others in one pass (≤ 0 dB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crosstalk: Option<Decibel>,
    /// Insertion loss of the mode multiplexer and demultiplexer together, on the signal path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mux_insertion_loss: Option<Decibel>,
    /// Static power of the multiplexer and demultiplexer pair (active alignment, heaters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mux_power: Option<Power>,
    /// Whether the loop amplifier amplifies every mode (a few-mode amplifier); otherwise each
    /// mode needs amplifiers of its own.
    #[serde(default = "yes")]
    pub amplifier_supports_modes: bool,
}

fn yes() -> bool {
    true
}

impl ModeMultiplexing {
    /// The mux pair's insertion loss, dB (0 when absent).
    pub fn mux_loss_db(&self) -> f64 {
        self.mux_insertion_loss.map_or(0.0, |l| l.db())
    }
}

impl Rig {
    /// Spatial modes per fibre: `mode_multiplexing.modes`, or 1.
    pub fn modes(&self) -> u32 {
        self.mode_multiplexing.as_ref().map_or(1, |m| m.modes)
    }

    /// Lanes each carrying a vector of its own: WDM lanes × spatial modes.
    pub fn lanes(&self) -> f64 {
        self.topology.wdm_lanes as f64 * self.modes() as f64
    }

    /// Weight elements the optics holds: `weights.capacity` when given, else every cell,
    /// banks × channels × readout_width × wdm_lanes.
    pub fn weight_capacity(&self) -> u64 {
        let t = &self.topology;
        self.weights.capacity.unwrap_or_else(|| {
            self.weights
                .banks
                .saturating_mul(t.channels as u64)
                .saturating_mul(t.readout_width as u64)
                .saturating_mul(t.wdm_lanes as u64)
        })
    }

    /// Number of lasers (= input modulators = DACs): channels × lanes (WDM lanes × modes).
    pub fn input_ports(&self) -> f64 {
        self.topology.channels as f64 * self.lanes()
    }
    /// Number of receivers (TIA + ADC or comparator): readout width × lanes (WDM lanes × modes).
    pub fn receivers(&self) -> f64 {
        self.topology.readout_width as f64 * self.lanes()
    }
}

impl Validate for Rig {
    fn check(&self, c: &mut Checker) {
        let t = &self.topology;
        c.non_empty("rig.name", &self.rig.name);
        c.count_at_least("topology.channels", t.channels as u64, 1);
        c.count_at_least("topology.slots_per_channel", t.slots_per_channel as u64, 1);
        c.count_at_least("topology.readout_width", t.readout_width as u64, 1);
        c.count_at_least("topology.wdm_lanes", t.wdm_lanes as u64, 1);
        c.positive("topology.symbol_period", t.symbol_period);
        c.count_at_least("topology.loop_passes", t.loop_passes as u64, 1);
        c.within(
            "topology.wavelength",
            t.wavelength,
            400e-9,
            2.5e-6,
            "optical fibre band",
        );
        if self.rig.tier == Tier::A && t.loop_passes != 1 {
            c.fail(
                "topology.loop_passes",
                ErrorKind::Topology,
                format!(
                    "tier A reads out after every pass, so loop_passes must be 1 (found {}); choose tier B for an analog loop",
                    t.loop_passes
                ),
            );
        }
        if self.rig.tier.has_loop() && self.soa.is_none() && self.edfa.is_none() {
            c.fail(
                "rig.tier",
                ErrorKind::Topology,
                format!(
                    "tier {:?} keeps the state optical across passes and needs an amplifier to restore it: add an [soa] or [edfa] section",
                    self.rig.tier
                ),
            );
        }
        if self.rig.tier.persistent_weights() && self.weights.storage != WeightStorage::Persistent {
            c.fail(
                "weights.storage",
                ErrorKind::Topology,
                format!(
                    "tier {:?} persists weights in the optics: set weights.storage = \"persistent\" or choose tier A or B",
                    self.rig.tier
                ),
            );
        }
        if self.rig.tier.optical_memory() && self.optical_memory.is_none() {
            c.fail(
                "rig.tier",
                ErrorKind::Topology,
                "tier D keeps the KV cache in optical memory: add an [optical_memory] section",
            );
        }
        if t.architecture.streams_weights() && self.weights.storage == WeightStorage::Persistent {
            c.fail(
                "weights.storage",
                ErrorKind::Topology,
                "tdm-dot-product applies each weight with a modulator every symbol, so it cannot hold weights: use a crossbar, wdm-broadcast-and-weight or free-space architecture for persistent weights",
            );
        }
        if t.architecture == Architecture::ScatteringMedium
            && self.weights.storage != WeightStorage::Persistent
        {
            c.fail(
                "weights.storage",
                ErrorKind::Topology,
                "a scattering medium is a fixed random matrix: weights.storage must be \"persistent\"",
            );
        }
        // Every wavelength the plan uses must fit the band: channels × lanes when the inputs
        // ride on wavelengths, the lanes alone otherwise.
        let slots = (self.passives.optical_band.si() / self.passives.wdm_grid.si()).floor();
        let on_wavelengths = t.architecture.inputs_on_wavelengths();
        let wavelengths = if on_wavelengths {
            t.channels as f64 * t.wdm_lanes as f64
        } else {
            t.wdm_lanes as f64
        };
        if slots.is_finite() && wavelengths > slots {
            let (key, plan) = match (on_wavelengths, t.wdm_lanes > 1) {
                (true, true) => (
                    "topology.wdm_lanes",
                    format!(
                        "{} channels × {} WDM lanes = {wavelengths} wavelengths",
                        t.channels, t.wdm_lanes
                    ),
                ),
                (true, false) => ("topology.channels", format!("{} wavelengths", t.channels)),
                (false, _) => ("topology.wdm_lanes", format!("{} WDM lanes", t.wdm_lanes)),
            };
            c.fail(
                key,
                ErrorKind::Topology,
                format!(
                    "{plan} on a {} grid need {}, but passives.optical_band is {} ({} fit)",
                    self.passives.wdm_grid,
                    Frequency::new(wavelengths * self.passives.wdm_grid.si()),
                    self.passives.optical_band,
                    slots
                ),
            );
        }

        let l = &self.laser;
        c.positive("laser.power", l.power);
        c.positive("laser.max_power", l.max_power);
        if l.power.si() > l.max_power.si() {
            c.fail(
                "laser.power",
                ErrorKind::Value,
                format!("{} exceeds laser.max_power {}", l.power, l.max_power),
            );
        }
        c.within(
            "laser.rin",
            l.rin,
            -200.0,
            -80.0,
            "semiconductor lasers lie near -130 to -165 dB/Hz",
        );
        c.non_negative("laser.linewidth", l.linewidth);
        c.within(
            "laser.wall_plug_efficiency",
            l.wall_plug_efficiency,
            1e-4,
            1.0,
            "a fraction of the electrical input",
        );

        let m = &self.modulator;
        match (m.energy_per_symbol, m.drive_capacitance, m.drive_swing) {
            (Some(e), None, None) => c.non_negative("modulator.energy_per_symbol", e),
            (None, Some(cap), Some(v)) => {
                c.positive("modulator.drive_capacitance", cap);
                c.positive("modulator.drive_swing", v);
            }
            (Some(_), _, _) => c.fail(
                "modulator.energy_per_symbol",
                ErrorKind::Value,
                "give either energy_per_symbol or drive_capacitance + drive_swing, not both",
            ),
            (None, _, _) => c.fail(
                "modulator",
                ErrorKind::MissingKey,
                "give energy_per_symbol, or both drive_capacitance and drive_swing",
            ),
        }
        c.positive("modulator.bandwidth", m.bandwidth);
        c.within(
            "modulator.extinction_ratio",
            m.extinction_ratio,
            0.1,
            60.0,
            "a positive ratio in dB",
        );
        c.loss_db("modulator.insertion_loss", m.insertion_loss);
        c.non_negative("modulator.bias_power", m.bias_power);

        c.count_within(
            "dac.bits",
            self.dac.bits as u64,
            1,
            32,
            "converter resolution",
        );
        c.positive("dac.rate", self.dac.rate);
        c.non_negative("dac.energy_per_conversion", self.dac.energy_per_conversion);
        c.non_negative("dac.static_power", self.dac.static_power);

        let a = &self.adc;
        c.count_within("adc.bits", a.bits as u64, 1, 32, "converter resolution");
        // ENOB is checked against a resolution that is itself valid, so that a bad adc.bits is
        // blamed on adc.bits alone.
        if (1..=32).contains(&a.bits) {
            c.number_within(
                "adc.enob",
                a.enob,
                0.1,
                a.bits as f64,
                "ENOB cannot exceed adc.bits",
            );
        }
        c.positive("adc.rate", a.rate);
        match (a.energy_per_conversion, a.walden_fom) {
            (Some(e), None) => c.non_negative("adc.energy_per_conversion", e),
            (None, Some(f)) => c.positive("adc.walden_fom", f),
            (Some(_), Some(_)) => c.fail(
                "adc.walden_fom",
                ErrorKind::Value,
                "give either energy_per_conversion or walden_fom, not both",
            ),
            (None, None) => c.fail(
                "adc",
                ErrorKind::MissingKey,
                "give energy_per_conversion or walden_fom (E = FoM·2^ENOB)",
            ),
        }
        c.non_negative("adc.aperture_jitter", a.aperture_jitter);
        c.non_negative("adc.static_power", a.static_power);

        let pd = &self.photodiode;
        let r_max = quantum_limit_responsivity(t.wavelength.si());
        c.positive("photodiode.responsivity", pd.responsivity);
        if pd.responsivity.si() > r_max * 1.0001 {
            c.fail(
                "photodiode.responsivity",
                ErrorKind::Value,
                format!(
                    "{} exceeds the quantum limit qλ/hc = {} at {} (unit quantum efficiency)",
                    pd.responsivity,
                    Responsivity::new(r_max),
                    t.wavelength
                ),
            );
        }
        c.non_negative("photodiode.dark_current", pd.dark_current);
        c.non_negative("photodiode.capacitance", pd.capacitance);
        c.positive("photodiode.bandwidth", pd.bandwidth);

        c.positive("tia.transimpedance", self.tia.transimpedance);
        c.non_negative("tia.input_noise_density", self.tia.input_noise_density);
        c.positive("tia.bandwidth", self.tia.bandwidth);
        c.non_negative("tia.power", self.tia.power);

        if let Some(cmp) = &self.comparator {
            c.non_negative("comparator.energy_per_decision", cmp.energy_per_decision);
            c.non_negative("comparator.static_power", cmp.static_power);
            c.non_negative("comparator.input_noise", cmp.input_noise);
            c.non_negative("comparator.hysteresis", cmp.hysteresis);
        } else if self.readout.kind == ReadoutKind::Comparator {
            c.fail(
                "readout.kind",
                ErrorKind::Topology,
                "readout.kind = \"comparator\" needs a [comparator] section",
            );
        }

        if let Some(s) = &self.soa {
            c.count_at_least("soa.per_channel", s.per_channel as u64, 1);
            c.within(
                "soa.small_signal_gain",
                s.small_signal_gain,
                0.0,
                45.0,
                "SOA gains lie below ~40 dB",
            );
            c.positive("soa.saturation_power", s.saturation_power);
            amplifier_noise_figure(c, "soa.noise_figure", s.noise_figure, s.small_signal_gain);
            c.positive("soa.carrier_lifetime", s.carrier_lifetime);
            c.non_negative("soa.electrical_power", s.electrical_power);
            c.non_negative("soa.tec_power", s.tec_power);
        }
        if let Some(e) = &self.edfa {
            c.within(
                "edfa.gain",
                e.gain,
                0.0,
                50.0,
                "EDFA gains lie below ~45 dB",
            );
            amplifier_noise_figure(c, "edfa.noise_figure", e.noise_figure, e.gain);
            c.positive("edfa.saturation_power", e.saturation_power);
            c.non_negative("edfa.electrical_power", e.electrical_power);
        }
        if let Some(sa) = &self.saturable_absorber {
            c.within(
                "saturable_absorber.modulation_depth",
                sa.modulation_depth,
                0.0,
                0.999,
                "a fraction below 1",
            );
            c.within(
                "saturable_absorber.nonsaturable_loss",
                sa.nonsaturable_loss,
                0.0,
                0.999,
                "a fraction below 1",
            );
            if sa.modulation_depth.si() + sa.nonsaturable_loss.si() >= 1.0 {
                c.fail(
                    "saturable_absorber.nonsaturable_loss",
                    ErrorKind::Value,
                    "modulation_depth + nonsaturable_loss must be below 1 (the absorber would pass no light)",
                );
            }
            c.positive("saturable_absorber.saturation_power", sa.saturation_power);
            c.positive("saturable_absorber.recovery_time", sa.recovery_time);
        }

        let p = &self.passives;
        c.loss_db("passives.splitter_excess_loss", p.splitter_excess_loss);
        c.loss_db("passives.mux_loss", p.mux_loss);
        c.loss_db("passives.demux_loss", p.demux_loss);
        c.loss_db("passives.connector_loss", p.connector_loss);
        c.non_negative("passives.fibre_length", p.fibre_length);
        c.non_negative("passives.fibre_attenuation", p.fibre_attenuation);
        c.loss_db("passives.weight_element_loss", p.weight_element_loss);
        c.loss_db("passives.loop_loss", p.loop_loss);
        c.non_negative("passives.isolation", p.isolation);
        c.within(
            "passives.crosstalk",
            p.crosstalk,
            -100.0,
            0.0,
            "crosstalk is a fraction of a neighbour's power",
        );
        c.positive("passives.wdm_grid", p.wdm_grid);
        c.positive("passives.optical_band", p.optical_band);
        c.positive(
            "passives.optical_filter_bandwidth",
            p.optical_filter_bandwidth,
        );

        let w = &self.weights;
        c.count_within(
            "weights.levels",
            w.levels as u64,
            2,
            65536,
            "at least two levels",
        );
        c.non_negative("weights.write_energy", w.write_energy);
        c.non_negative("weights.write_time", w.write_time);
        c.non_negative("weights.hold_power", w.hold_power);
        let tile = t.channels as u64 * t.readout_width as u64;
        let capacity = self.weight_capacity();
        // Streamed weights live in the channels × readout_width weight modulators themselves.
        if capacity < tile && !t.architecture.streams_weights() {
            c.fail(
                "weights.capacity",
                ErrorKind::Topology,
                format!(
                    "the optics must hold at least one tile of channels × readout_width = {tile} weights; found {capacity}"
                ),
            );
        }
        c.count_within(
            "weights.banks",
            w.banks,
            1,
            1 << 20,
            "physical weight arrays",
        );
        let cells = (w.banks as u128) * (tile as u128) * (t.wdm_lanes as u128);
        if !t.architecture.streams_weights() && (capacity as u128) > cells {
            c.fail(
                "weights.capacity",
                ErrorKind::Topology,
                format!(
                    "the optics holds at most weights.banks × channels × readout_width × wdm_lanes = {cells} weight cells; found {capacity} (add banks: each costs its cells' hold power and price)"
                ),
            );
        }
        c.count_at_least("weights.reprogram_interval", w.reprogram_interval, 1);
        c.positive("host.memory_capacity", self.host.memory_capacity);
        let p = &self.price;
        for (key, v) in [
            ("price.laser", p.laser),
            ("price.modulator", p.modulator),
            ("price.dac", p.dac),
            ("price.adc", p.adc),
            ("price.receiver", p.receiver),
            ("price.amplifier", p.amplifier),
            ("price.absorber", p.absorber),
            ("price.weight_element", p.weight_element),
            ("price.fibre_per_km", p.fibre_per_km),
            ("price.control", p.control),
            ("price.host", p.host),
        ] {
            c.non_negative(key, v);
        }
        c.within(
            "price.assembly",
            p.assembly,
            0.0,
            10.0,
            "a share of the parts' price",
        );

        c.within(
            "readout.target_snr",
            self.readout.target_snr,
            -20.0,
            120.0,
            "an SNR in dB",
        );

        c.non_negative("clock.jitter", self.clock.jitter);
        c.non_negative("clock.power", self.clock.power);
        c.non_negative("control.tec_power", self.control.tec_power);
        c.non_negative("control.electronics_power", self.control.electronics_power);
        c.non_negative("control.per_channel_power", self.control.per_channel_power);

        let cal = &self.calibration;
        if cal.policy == CalibrationPolicy::Periodic {
            c.positive("calibration.interval", cal.interval);
            c.positive("calibration.duration", cal.duration);
            if cal.duration.si() >= cal.interval.si() {
                c.fail(
                    "calibration.duration",
                    ErrorKind::Value,
                    format!(
                        "{} leaves no time to compute between calibrations every {}",
                        cal.duration, cal.interval
                    ),
                );
            }
        } else {
            c.non_negative("calibration.interval", cal.interval);
            c.non_negative("calibration.duration", cal.duration);
        }
        c.non_negative("calibration.power", cal.power);

        let h = &self.host;
        c.non_negative("host.energy_per_flop", h.energy_per_flop);
        c.positive("host.flops", h.flops);
        c.positive("host.memory_bandwidth", h.memory_bandwidth);
        c.non_negative("host.memory_energy_per_bit", h.memory_energy_per_bit);
        c.non_negative("host.static_power", h.static_power);
        c.positive("host.link_bandwidth", h.link_bandwidth);
        c.non_negative("host.link_latency", h.link_latency);
        c.non_negative("host.link_energy_per_bit", h.link_energy_per_bit);
        c.non_negative("host.token_overhead", h.token_overhead);

        if let Some(sel) = &self.selector {
            c.non_negative("selector.switching_time", sel.switching_time);
            if sel.switching_time.si() >= self.topology.symbol_period.si() {
                c.fail(
                    "selector.switching_time",
                    ErrorKind::Topology,
                    format!(
                        "the selector must settle within a slot: switching time {} ≥ symbol period {}",
                        sel.switching_time, self.topology.symbol_period
                    ),
                );
            }
            c.within(
                "selector.extinction_ratio",
                sel.extinction_ratio,
                0.1,
                80.0,
                "a positive ratio in dB",
            );
            c.loss_db("selector.insertion_loss", sel.insertion_loss);
            c.within(
                "selector.insertion_loss_spread",
                sel.insertion_loss_spread,
                0.0,
                10.0,
                "an rms spread between 0 and 10 dB",
            );
        }
        if let Some(om) = &self.optical_memory {
            c.non_negative("optical_memory.energy_per_value", om.energy_per_value);
            c.non_negative("optical_memory.static_power", om.static_power);
            c.non_negative("optical_memory.access_time", om.access_time);
        }
        if let Some(im) = &self.impairments {
            if let Some(v) = im.gain_tilt {
                c.within(
                    "impairments.gain_tilt",
                    v,
                    -20.0,
                    20.0,
                    "C-band amplifiers tilt by a few dB across the band",
                );
            }
            if let Some(v) = im.gain_ripple {
                c.within(
                    "impairments.gain_ripple",
                    v,
                    0.0,
                    10.0,
                    "a peak-to-peak ripple of 0 to 10 dB",
                );
            }
            if let Some(v) = im.ripple_periods {
                c.number_within(
                    "impairments.ripple_periods",
                    v,
                    0.0,
                    100.0,
                    "periods of the ripple across the band",
                );
            }
            if let Some(v) = im.dispersion {
                c.within(
                    "impairments.dispersion",
                    v,
                    -1e-3,
                    1e-3,
                    "fibres lie within ±1000 ps/(nm·km) (standard fibre: 17 ps/(nm·km) at 1550 nm)",
                );
            }
            if let Some(v) = im.spectral_width {
                c.within(
                    "impairments.spectral_width",
                    v,
                    1e-15,
                    100e-9,
                    "an RMS width between 1 fm and 100 nm",
                );
            }
            if let Some(v) = im.polarisation_dependent_gain {
                c.within(
                    "impairments.polarisation_dependent_gain",
                    v,
                    0.0,
                    10.0,
                    "a PDG of 0 to 10 dB per pass",
                );
            }
            if let Some(v) = im.penalty_budget {
                c.within(
                    "impairments.penalty_budget",
                    v,
                    0.01,
                    10.0,
                    "a power penalty of 0.01 to 10 dB",
                );
            }
        }
        if let Some(mm) = &self.mode_multiplexing {
            c.count_within(
                "mode_multiplexing.modes",
                mm.modes as u64,
                1,
                1000,
                "spatial modes per fibre",
            );
            if let Some(v) = mm.mode_dependent_loss {
                c.within(
                    "mode_multiplexing.mode_dependent_loss",
                    v,
                    0.0,
                    20.0,
                    "a spread of 0 to 20 dB per pass",
                );
            }
            if let Some(v) = mm.crosstalk {
                c.within(
                    "mode_multiplexing.crosstalk",
                    v,
                    -100.0,
                    0.0,
                    "crosstalk is a fraction of the other modes' power",
                );
            }
            if let Some(v) = mm.mux_insertion_loss {
                c.within(
                    "mode_multiplexing.mux_insertion_loss",
                    v,
                    0.0,
                    40.0,
                    "a loss of 0 to 40 dB",
                );
            }
            if let Some(v) = mm.mux_power {
                c.non_negative("mode_multiplexing.mux_power", v);
            }
        }
    }
}

/// A phase-insensitive amplifier's noise figure cannot beat NF = 2 − 1/G (Haus, "Noise figure
/// definition valid from RF to optical frequencies", IEEE JSTQE 6(2), 2000).
fn amplifier_noise_figure(c: &mut Checker, key: &str, nf: Decibel, gain: Decibel) {
    let g = gain.linear();
    let limit = linear_to_db((2.0 - 1.0 / g).max(1.0));
    if nf.si().is_finite() && nf.si() < limit - 1e-9 {
        c.fail(
            key,
            ErrorKind::Value,
            format!(
                "{nf} is below the quantum limit 10·log10(2 − 1/G) = {:.2} dB at {gain} gain",
                limit
            ),
        );
    } else {
        c.within(
            key,
            nf,
            0.0,
            30.0,
            "amplifier noise figures lie near 3–10 dB",
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn weight_bits_are_ceil_log2_levels() {
        let bits = |levels| {
            super::Weights {
                storage: super::WeightStorage::Redriven,
                levels,
                write_energy: crate::units::Energy::new(0.0),
                write_time: crate::units::Time::new(0.0),
                hold_power: crate::units::Power::new(0.0),
                capacity: Some(1),
                banks: 1,
                reprogram_interval: 1,
            }
            .bits()
        };
        assert_eq!(
            [bits(2), bits(3), bits(4), bits(5), bits(256), bits(257)],
            [1, 2, 2, 3, 8, 9]
        );
    }
}
