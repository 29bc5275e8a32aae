//! A multi-channel link: one [`ReferenceChain`] per physical channel (WDM lane), the lanes
//! sharing a demultiplexer whose crosstalk moves power between neighbours, and a TDM selector per
//! channel that routes each time slot's value to the channel's modulator.
//!
//! Faults for the test plan's degradation tests are injected here: a dead channel (its laser
//! emits nothing), a hot channel (its laser runs `factor` times above its set power, saturating
//! its amplifier and leaking more into its neighbours) and a stuck selector (the channel's
//! selector stays on the first slot of each frame, so every slot carries that slot's value).
//!
//! Simplifications: crosstalk is nearest-neighbour only at the rig's `passives.crosstalk` level
//! (a real demultiplexer also has weaker non-adjacent terms); lanes add incoherently.

use crate::chain::{ReferenceChain, SimSettings, level_means, training_pattern};
use crate::coupler::Crosstalk;
use crate::signal::Light;
use lightloop_cost::Ledger;
use lightloop_rig::Rig;
use rayon::prelude::*;
use serde::Serialize;

/// A fault injected into one channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Fault {
    /// The channel's laser emits nothing.
    Dead { channel: usize },
    /// The channel's laser emits `factor` times its set power.
    Hot { channel: usize, factor: f64 },
    /// The channel's TDM selector is stuck on the first slot of each frame of `frame` slots.
    StuckSelector { channel: usize, frame: usize },
}

impl Fault {
    pub fn channel(&self) -> usize {
        match *self {
            Fault::Dead { channel }
            | Fault::Hot { channel, .. }
            | Fault::StuckSelector { channel, .. } => channel,
        }
    }
    /// A short description for tables.
    pub fn label(&self) -> String {
        match *self {
            Fault::Dead { channel } => format!("dead channel {channel}"),
            Fault::Hot { channel, factor } => format!("hot channel {channel} (×{factor} power)"),
            Fault::StuckSelector { channel, .. } => format!("stuck selector on channel {channel}"),
        }
    }
}

/// The link of a rig.
pub struct Link {
    pub chains: Vec<ReferenceChain>,
    pub crosstalk: Crosstalk,
    stuck: Vec<Option<usize>>,
}

impl Link {
    /// `channels` lanes of `rig` (usually `rig.topology.channels`), run `trial`.
    pub fn from_rig(rig: &Rig, sim: &SimSettings, channels: usize, trial: u64) -> Self {
        let x = rig.passives.crosstalk.linear().min(0.5);
        Self {
            chains: (0..channels)
                .map(|c| ReferenceChain::from_rig(rig, sim, c as u64, trial))
                .collect(),
            crosstalk: Crosstalk::nearest_neighbour(channels, x),
            stuck: vec![None; channels],
        }
    }

    pub fn channels(&self) -> usize {
        self.chains.len()
    }

    /// Sets every lane's received full-scale power (see [`ReferenceChain::set_received_power`]).
    pub fn set_received_power(&mut self, power: f64) {
        self.chains
            .iter_mut()
            .for_each(|c| c.set_received_power(power));
    }

    /// Injects `fault`. Faults act from the next block on; a hot channel's attenuator keeps the
    /// setting it had, so its received power rises with its laser.
    pub fn inject(&mut self, fault: Fault) {
        let c = fault.channel();
        match fault {
            Fault::Dead { .. } => self.chains[c].laser.enabled = false,
            Fault::Hot { factor, .. } => self.chains[c].laser.power *= factor.max(0.0),
            Fault::StuckSelector { frame, .. } => self.stuck[c] = Some(frame.max(1)),
        }
    }

    /// Sends one block per channel (`symbols[c]`, all of one length) and returns the readouts.
    /// What a channel's modulator actually sends can differ from `symbols[c]` under a fault.
    pub fn readout(&mut self, symbols: &[Vec<i8>]) -> Vec<Vec<f64>> {
        assert_eq!(symbols.len(), self.chains.len(), "one block per channel");
        let stuck = &self.stuck;
        self.chains
            .par_iter_mut()
            .zip(symbols.par_iter())
            .enumerate()
            .for_each(|(c, (chain, s))| match stuck[c] {
                Some(frame) => chain.transmit(&selector_stuck(s, frame)),
                None => chain.transmit(s),
            });
        let mut lights: Vec<Light> = self
            .chains
            .iter_mut()
            .map(|c| std::mem::take(c.light_mut()))
            .collect();
        self.crosstalk.apply(&mut lights);
        for (c, l) in self.chains.iter_mut().zip(lights) {
            *c.light_mut() = l;
        }
        self.chains.par_iter_mut().map(|c| c.receive()).collect()
    }

    /// Calibrates every lane's thresholds on a training block of `n` symbols per level sent on
    /// all lanes at once (so crosstalk is present, as in operation). Returns each lane's level
    /// means.
    pub fn calibrate(&mut self, n: usize) -> Vec<[f64; 3]> {
        let blocks = self.training_blocks(n);
        let r = self.readout(&blocks);
        r.iter()
            .zip(&blocks)
            .zip(self.chains.iter_mut())
            .map(|((r, b), chain)| {
                let means = level_means(r, b);
                chain.centre_thresholds(means);
                means
            })
            .collect()
    }

    /// One training block of `n` symbols per level for each lane, lane c's rotated by c places
    /// so that neighbouring lanes do not send the same symbol at the same time (which would hide
    /// crosstalk).
    pub fn training_blocks(&self, n: usize) -> Vec<Vec<i8>> {
        let pattern = training_pattern(n);
        (0..self.channels()).map(|c| rotate(&pattern, c)).collect()
    }

    /// Decisions per channel.
    pub fn decide(&mut self, readouts: &[Vec<f64>]) -> Vec<Vec<i8>> {
        self.chains
            .iter_mut()
            .zip(readouts)
            .map(|(c, r)| c.decide(r))
            .collect()
    }

    /// Energy of every lane.
    pub fn energy(&self) -> Ledger {
        let mut l = Ledger::default();
        for c in &self.chains {
            l.merge(&c.energy());
        }
        l
    }
}

/// What a stuck selector sends: every slot of a frame carries the frame's first value.
fn selector_stuck(symbols: &[i8], frame: usize) -> Vec<i8> {
    symbols
        .iter()
        .enumerate()
        .map(|(k, _)| symbols[k - k % frame])
        .collect()
}

/// `pattern` rotated by `c` places.
fn rotate(pattern: &[i8], c: usize) -> Vec<i8> {
    let k = c % pattern.len().max(1);
    pattern[k..].iter().chain(&pattern[..k]).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stuck_selector_repeats_the_first_slot() {
        assert_eq!(
            selector_stuck(&[1, 0, -1, -1, 0, 1, 0], 3),
            vec![1, 1, 1, -1, -1, -1, 0]
        );
        assert_eq!(rotate(&[1, 2, 3], 1), vec![2, 3, 1]);
        assert_eq!(
            level_means(&[1.0, 2.0, 3.0, 5.0], &[-1, 0, 1, 1]),
            [1.0, 2.0, 4.0]
        );
    }
}
