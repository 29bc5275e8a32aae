//! Pareto fronts of cost against error, and the rig grid they are drawn over.

use lightloop_rig::units::Power;
use lightloop_rig::{Derive, Problem, Rig};

/// Which of `points` (cost, error) lie on the Pareto front of lowest cost and lowest error: a
/// point is on it when no other point has a cost ≤ its own and an error ≤ its own with at least
/// one of the two strictly lower. Equal points do not dominate each other (both stay on the
/// front); a point with a NaN or infinite coordinate is never on it and dominates nothing.
pub fn front(points: &[(f64, f64)]) -> Vec<bool> {
    let ok = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    points
        .iter()
        .map(|p| {
            ok(p)
                && !points
                    .iter()
                    .any(|q| ok(q) && q.0 <= p.0 && q.1 <= p.1 && (q.0 < p.0 || q.1 < p.1))
        })
        .collect()
}

/// One point of the energy–accuracy grid: `rig` with its laser power `offset_db` from its own
/// (the grid's powers rounded to 0.001 dBm) and its ADC at `bits` (the same design: the ENOB
/// shortfall kept and the energy per conversion at a fixed Walden figure of merit, see
/// `Adc::at_bits`). The rig's own values are kept where the offset is 0 or the bits its own.
pub fn grid_rig(rig: &Rig, offset_db: f64, bits: u32) -> Result<Rig, Vec<Problem>> {
    rig.modified(|r| {
        if offset_db != 0.0 {
            let dbm: f64 = format!("{:.3}", rig.laser.power.dbm() + offset_db)
                .parse()
                .unwrap_or(f64::NAN);
            r.laser.power = Power::from_dbm(dbm);
        }
        if bits != rig.adc.bits {
            r.adc = rig.adc.at_bits(bits);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_keeps_only_undominated_finite_points() {
        let nan = f64::NAN;
        let points = [
            (1.0, 5.0),           // cheapest
            (2.0, 3.0),           // on the front
            (2.0, 3.0),           // its twin: equal points do not dominate each other
            (2.0, 4.0),           // same cost, larger error
            (3.0, 3.0),           // same error, larger cost
            (4.0, 1.0),           // most accurate
            (nan, 0.5),           // NaN cost
            (0.5, nan),           // NaN error: must not push (1, 5) off the front
            (5.0, 1.0),           // dominated by (4, 1)
            (f64::INFINITY, 0.1), // not finite
        ];
        assert_eq!(
            front(&points),
            [
                true, true, true, false, false, true, false, false, false, false
            ]
        );
        assert_eq!(front(&[(3.0, 2.0)]), [true]);
        assert!(front(&[]).is_empty());
    }

    /// The grid point at −12 dB and two more bits, by hand: 12 dB less laser power, the ENOB
    /// two bits higher, the energy per conversion four times the rig's.
    #[test]
    fn grid_scales_the_adc_at_a_fixed_walden_figure() {
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let v = grid_rig(&rig, -12.0, rig.adc.bits + 2).unwrap();
        assert!((v.laser.power.dbm() - (rig.laser.power.dbm() - 12.0)).abs() < 1e-9);
        assert_eq!(v.adc.bits, rig.adc.bits + 2);
        assert!((v.adc.enob - rig.adc.enob - 2.0).abs() < 1e-9);
        let ratio = v.adc.conversion_energy() / rig.adc.conversion_energy();
        assert!((ratio - 4.0).abs() < 1e-9, "{ratio}");
        let same = grid_rig(&rig, 0.0, rig.adc.bits).unwrap();
        assert_eq!(format!("{same:?}"), format!("{rig:?}"));
    }
}
