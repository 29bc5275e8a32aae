//! The crosstalk matrix of the WDM link, measured as a bench would: light one lane at full scale
//! with every other laser off, read every receiver, subtract the all-dark readout, and express
//! what lane i receives as a ratio to what lane j receives of its own light, in dB.

use crate::chain::SimSettings;
use crate::link::Link;
use lightloop_rig::Rig;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrosstalkMatrix {
    pub channels: usize,
    /// `db[i][j]`: power of lane j's light in receiver i relative to receiver j, dB
    /// (−∞ where nothing arrives; 0 on the diagonal).
    pub db: Vec<Vec<f64>>,
    /// The rig's stated nearest-neighbour crosstalk, dB.
    pub rig_db: f64,
    /// Worst measured off-diagonal entry, dB.
    pub worst_db: f64,
}

/// Measures the matrix on `channels` lanes at full-scale received power `power`, averaging
/// `symbols` readouts per lane.
pub fn measure(
    rig: &Rig,
    sim: &SimSettings,
    channels: usize,
    power: f64,
    symbols: usize,
) -> CrosstalkMatrix {
    let full = vec![1i8; symbols];
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    // Every run uses the same random streams, so the noise largely cancels in the difference.
    let run = |lit: Option<usize>| -> Vec<f64> {
        let mut link = Link::from_rig(rig, sim, channels, 0);
        link.set_received_power(power);
        for (c, chain) in link.chains.iter_mut().enumerate() {
            chain.laser.enabled = Some(c) == lit;
        }
        let blocks = vec![full.clone(); channels];
        link.readout(&blocks).iter().map(|r| mean(r)).collect()
    };
    let dark = run(None);
    let columns: Vec<Vec<f64>> = (0..channels)
        .map(|j| {
            let r = run(Some(j));
            r.iter().zip(&dark).map(|(v, d)| v - d).collect()
        })
        .collect();
    let db: Vec<Vec<f64>> = (0..channels)
        .map(|i| {
            (0..channels)
                .map(|j| {
                    let own = columns[j][j];
                    let got = columns[j][i];
                    if i == j {
                        0.0
                    } else if got <= 0.0 || own <= 0.0 {
                        f64::NEG_INFINITY
                    } else {
                        10.0 * (got / own).log10()
                    }
                })
                .collect()
        })
        .collect();
    let worst_db = db
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.iter().enumerate().filter(move |(j, _)| *j != i))
        .map(|(_, v)| *v)
        .fold(f64::NEG_INFINITY, f64::max);
    CrosstalkMatrix {
        channels,
        db,
        rig_db: rig.passives.crosstalk.db(),
        worst_db,
    }
}
