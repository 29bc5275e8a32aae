//! The bill of materials of one optical rig: every part counted from the topology and priced
//! from the rig's `[price]` section, plus assembly.

use lightloop_rig::rig::Rig;
use serde::Serialize;

/// One line of the bill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub part: &'static str,
    pub count: f64,
    /// Price of one, USD.
    pub unit_price: f64,
    /// count × unit price, USD.
    pub total: f64,
}

/// The bill of one rig.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bill {
    pub lines: Vec<Line>,
    /// Sum of the parts, USD.
    pub parts: f64,
    /// Assembly, packaging and test, USD.
    pub assembly: f64,
    /// Parts and assembly, USD.
    pub total: f64,
}

/// The bill of materials of `rig`: lasers, modulators and DACs per input port (channels ×
/// lanes), ADCs and receivers per output (readout width × lanes), amplifiers (SOAs per port,
/// EDFAs as counted), absorbers per port of a looped rig, the weight elements the optics
/// holds (channels × readout width modulators when weights stream), the fibre, control and
/// the host's share.
pub fn bill(rig: &Rig) -> Bill {
    let t = &rig.topology;
    let p = &rig.price;
    // Lanes: WDM lanes × spatial modes; a few-mode amplifier serves every mode, otherwise each
    // mode has amplifiers of its own (as in the cost model's ledger).
    let lanes = rig.lanes();
    let ports = t.channels as f64 * lanes;
    let receivers = t.readout_width as f64 * lanes;
    let copies = match &rig.mode_multiplexing {
        Some(m) if !m.amplifier_supports_modes => m.modes as f64,
        _ => 1.0,
    };
    let amplifiers = copies
        * (rig
            .soa
            .as_ref()
            .map(|s| s.per_channel as f64 * t.channels as f64 * t.wdm_lanes as f64)
            .unwrap_or(0.0)
            + rig.edfa.as_ref().map(|e| e.count as f64).unwrap_or(0.0));
    let absorbers = if rig.rig.tier.has_loop() && rig.saturable_absorber.is_some() {
        ports
    } else {
        0.0
    };
    let weights = if t.architecture.streams_weights() {
        t.channels as f64 * t.readout_width as f64
    } else {
        rig.weight_capacity() as f64
    };
    let mut lines = Vec::new();
    let mut add = |part, count: f64, unit: f64| {
        if count > 0.0 {
            lines.push(Line {
                part,
                count,
                unit_price: unit,
                total: count * unit,
            });
        }
    };
    add("laser", ports, p.laser.si());
    add("input modulator", ports, p.modulator.si());
    add("DAC channel", ports, p.dac.si());
    add("ADC channel", receivers, p.adc.si());
    add("photodiode and TIA", receivers, p.receiver.si());
    add("optical amplifier", amplifiers, p.amplifier.si());
    add("saturable absorber", absorbers, p.absorber.si());
    add("weight element", weights, p.weight_element.si());
    add(
        "fibre (km)",
        rig.passives.fibre_length.si() / 1e3,
        p.fibre_per_km.si(),
    );
    add("control electronics", 1.0, p.control.si());
    add("host share", 1.0, p.host.si());
    let parts: f64 = lines.iter().map(|l| l.total).sum();
    let assembly = parts * p.assembly.si();
    Bill {
        lines,
        parts,
        assembly,
        total: parts + assembly,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed rig by hand: 16 lasers, modulators, DACs, ADCs, receivers, SOAs and absorbers,
    /// 256 weight modulators, 0.63 km of fibre, control and host, plus 30 %.
    #[test]
    fn seed_bill_by_hand() {
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let b = bill(&rig);
        let parts = 16.0 * (500.0 + 1000.0 + 100.0 + 100.0 + 150.0 + 800.0 + 300.0)
            + 256.0 * 1000.0
            + 0.63 * 31.0
            + 10_000.0
            + 15_000.0;
        assert!((b.parts - parts).abs() < 1e-6, "{} vs {parts}", b.parts);
        assert!((b.total - 1.3 * parts).abs() < 1e-6);
    }
}
