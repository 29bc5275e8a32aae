//! The energy ledger: every joule under a named category and item, static (power × time) or
//! dynamic (per event). The analytic cost model fills it; the time-domain simulation fills the
//! same type, so the two can be compared line by line.

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

/// Ledger categories (docs/design.md, "Energy ledger").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Electrical → optical: DACs and modulator drive.
    EoConversion,
    /// Optical → electrical: receivers, ADCs, comparators.
    OeConversion,
    /// Laser electrical power (optical power ÷ wall-plug efficiency).
    Laser,
    /// Optical amplifiers (SOA, EDFA) including their coolers.
    Amplifiers,
    /// Writing and holding weights in the optics.
    WeightProgramming,
    /// Temperature control, bias loops, clocks, control electronics, calibration.
    ControlCalibration,
    /// Digital work on the host (attention, norms, non-optical layers) and its static draw.
    HostDigital,
    /// Memory and link traffic (KV cache, weights, activations, host↔core link).
    MemoryTraffic,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::EoConversion,
        Category::OeConversion,
        Category::Laser,
        Category::Amplifiers,
        Category::WeightProgramming,
        Category::ControlCalibration,
        Category::HostDigital,
        Category::MemoryTraffic,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Category::EoConversion => "E/O conversion",
            Category::OeConversion => "O/E conversion",
            Category::Laser => "laser (wall-plug)",
            Category::Amplifiers => "amplifiers",
            Category::WeightProgramming => "weight programming",
            Category::ControlCalibration => "control & calibration",
            Category::HostDigital => "host digital",
            Category::MemoryTraffic => "memory & link traffic",
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Category::EoConversion => "eo_conversion",
            Category::OeConversion => "oe_conversion",
            Category::Laser => "laser",
            Category::Amplifiers => "amplifiers",
            Category::WeightProgramming => "weight_programming",
            Category::ControlCalibration => "control_calibration",
            Category::HostDigital => "host_digital",
            Category::MemoryTraffic => "memory_traffic",
        }
    }
    /// Whether the category belongs to the optical core (as opposed to the digital host).
    pub fn is_core(self) -> bool {
        !matches!(self, Category::HostDigital | Category::MemoryTraffic)
    }
}

/// Ledger items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Item {
    DacConversions,
    ModulatorDrive,
    ModulatorBias,
    DacStatic,
    AdcConversions,
    ComparatorDecisions,
    ReceiverStatic,
    LaserWallPlug,
    SoaDrive,
    SoaCooling,
    EdfaDrive,
    WeightWrites,
    WeightHold,
    Cooling,
    ControlElectronics,
    ChannelControl,
    Clock,
    Calibration,
    HostCompute,
    HostStatic,
    KvCache,
    WeightReads,
    Activations,
    HostLink,
    OpticalMemoryAccess,
    OpticalMemoryStatic,
    ModeMux,
}

impl Item {
    pub const COUNT: usize = 27;
    pub const ALL: [Item; Item::COUNT] = [
        Item::DacConversions,
        Item::ModulatorDrive,
        Item::ModulatorBias,
        Item::DacStatic,
        Item::AdcConversions,
        Item::ComparatorDecisions,
        Item::ReceiverStatic,
        Item::LaserWallPlug,
        Item::SoaDrive,
        Item::SoaCooling,
        Item::EdfaDrive,
        Item::WeightWrites,
        Item::WeightHold,
        Item::Cooling,
        Item::ControlElectronics,
        Item::ChannelControl,
        Item::Clock,
        Item::Calibration,
        Item::HostCompute,
        Item::HostStatic,
        Item::KvCache,
        Item::WeightReads,
        Item::Activations,
        Item::HostLink,
        Item::OpticalMemoryAccess,
        Item::OpticalMemoryStatic,
        Item::ModeMux,
    ];

    pub fn category(self) -> Category {
        use Item::*;
        match self {
            DacConversions | ModulatorDrive | ModulatorBias | DacStatic => Category::EoConversion,
            AdcConversions | ComparatorDecisions | ReceiverStatic => Category::OeConversion,
            LaserWallPlug => Category::Laser,
            SoaDrive | SoaCooling | EdfaDrive => Category::Amplifiers,
            WeightWrites | WeightHold => Category::WeightProgramming,
            Cooling | ControlElectronics | ChannelControl | Clock | Calibration | ModeMux => {
                Category::ControlCalibration
            }
            HostCompute | HostStatic => Category::HostDigital,
            KvCache | WeightReads | Activations | HostLink | OpticalMemoryAccess
            | OpticalMemoryStatic => Category::MemoryTraffic,
        }
    }

    /// Whether the item is a DC load (power × time) rather than energy per event.
    pub fn is_static(self) -> bool {
        use Item::*;
        matches!(
            self,
            ModulatorBias
                | DacStatic
                | ReceiverStatic
                | LaserWallPlug
                | SoaDrive
                | SoaCooling
                | EdfaDrive
                | WeightHold
                | Cooling
                | ControlElectronics
                | ChannelControl
                | Clock
                | Calibration
                | HostStatic
                | OpticalMemoryStatic
                | ModeMux
        )
    }

    pub fn label(self) -> &'static str {
        use Item::*;
        match self {
            DacConversions => "DAC conversions",
            ModulatorDrive => "modulator drive",
            ModulatorBias => "modulator bias (static)",
            DacStatic => "DAC static",
            AdcConversions => "ADC conversions",
            ComparatorDecisions => "comparator decisions",
            ReceiverStatic => "TIA / ADC / comparator static",
            LaserWallPlug => "lasers (wall-plug, static)",
            SoaDrive => "SOA drive (static)",
            SoaCooling => "SOA coolers (static)",
            EdfaDrive => "EDFA modules (static)",
            WeightWrites => "weight writes",
            WeightHold => "weight hold (static)",
            Cooling => "temperature control (static)",
            ControlElectronics => "control electronics (static)",
            ChannelControl => "per-channel bias control (static)",
            Clock => "clock (static)",
            Calibration => "calibration duty",
            HostCompute => "host FLOPs",
            HostStatic => "host static share",
            KvCache => "KV-cache traffic",
            WeightReads => "weight reads from memory",
            Activations => "embedding & activation reads",
            HostLink => "host↔core link",
            OpticalMemoryAccess => "optical KV memory access (speculative)",
            OpticalMemoryStatic => "optical KV memory static (speculative)",
            ModeMux => "mode (de)multiplexers (static)",
        }
    }

    pub fn key(self) -> &'static str {
        use Item::*;
        match self {
            DacConversions => "dac_conversions",
            ModulatorDrive => "modulator_drive",
            ModulatorBias => "modulator_bias",
            DacStatic => "dac_static",
            AdcConversions => "adc_conversions",
            ComparatorDecisions => "comparator_decisions",
            ReceiverStatic => "receiver_static",
            LaserWallPlug => "laser_wall_plug",
            SoaDrive => "soa_drive",
            SoaCooling => "soa_cooling",
            EdfaDrive => "edfa_drive",
            WeightWrites => "weight_writes",
            WeightHold => "weight_hold",
            Cooling => "cooling",
            ControlElectronics => "control_electronics",
            ChannelControl => "channel_control",
            Clock => "clock",
            Calibration => "calibration",
            HostCompute => "host_compute",
            HostStatic => "host_static",
            KvCache => "kv_cache",
            WeightReads => "weight_reads",
            Activations => "activations",
            HostLink => "host_link",
            OpticalMemoryAccess => "optical_memory_access",
            OpticalMemoryStatic => "optical_memory_static",
            ModeMux => "mode_mux",
        }
    }
}

/// Joules per item. Fixed size, no allocation: filling one costs a few nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ledger {
    joules: [f64; Item::COUNT],
}

impl Default for Ledger {
    fn default() -> Self {
        Self {
            joules: [0.0; Item::COUNT],
        }
    }
}

impl Ledger {
    pub fn add(&mut self, item: Item, joules: f64) {
        self.joules[item as usize] += joules;
    }
    pub fn get(&self, item: Item) -> f64 {
        self.joules[item as usize]
    }
    pub fn total(&self) -> f64 {
        self.joules.iter().sum()
    }
    pub fn category(&self, c: Category) -> f64 {
        Item::ALL
            .iter()
            .filter(|i| i.category() == c)
            .map(|i| self.get(*i))
            .sum()
    }
    /// Energy of the optical core's categories (everything but host and memory traffic).
    pub fn core(&self) -> f64 {
        Item::ALL
            .iter()
            .filter(|i| i.category().is_core())
            .map(|i| self.get(*i))
            .sum()
    }
    /// Energy of the static (DC) items.
    pub fn static_total(&self) -> f64 {
        Item::ALL
            .iter()
            .filter(|i| i.is_static())
            .map(|i| self.get(*i))
            .sum()
    }
    /// Adds every entry of `other` to this ledger.
    pub fn merge(&mut self, other: &Ledger) {
        self.joules
            .iter_mut()
            .zip(other.joules)
            .for_each(|(a, b)| *a += b);
    }
    /// Every entry scaled by `factor`.
    pub fn scaled(&self, factor: f64) -> Self {
        let mut out = *self;
        out.joules.iter_mut().for_each(|j| *j *= factor);
        out
    }
    /// (item, joules) for every non-zero item.
    pub fn entries(&self) -> impl Iterator<Item = (Item, f64)> + '_ {
        Item::ALL
            .iter()
            .map(|i| (*i, self.get(*i)))
            .filter(|(_, j)| *j != 0.0)
    }
}

/// Serialised as a list of entries `{category, item, joules, static}` (zero items omitted).
impl Serialize for Ledger {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Entry {
            category: Category,
            item: Item,
            joules: f64,
            #[serde(rename = "static")]
            is_static: bool,
        }
        let entries: Vec<_> = self.entries().collect();
        let mut seq = s.serialize_seq(Some(entries.len()))?;
        for (item, joules) in entries {
            seq.serialize_element(&Entry {
                category: item.category(),
                item,
                joules,
                is_static: item.is_static(),
            })?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_indexed_in_order() {
        for (i, item) in Item::ALL.iter().enumerate() {
            assert_eq!(*item as usize, i);
        }
    }

    #[test]
    fn categories_partition_the_total() {
        let mut l = Ledger::default();
        for (i, item) in Item::ALL.iter().enumerate() {
            l.add(*item, (i + 1) as f64);
        }
        let sum: f64 = Category::ALL.iter().map(|c| l.category(*c)).sum();
        assert_eq!(sum, l.total());
        assert_eq!(l.total(), (Item::COUNT * (Item::COUNT + 1) / 2) as f64);
        assert_eq!(l.scaled(2.0).total(), 2.0 * l.total());
    }
}
