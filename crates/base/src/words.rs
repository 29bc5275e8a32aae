//! Numbers in words for sentences and tables: three significant figures that never round a
//! real value to 0 or to 100 %, thousands separated, durations in the unit a reader expects.

/// A number with three significant figures and thousands separators where large.
pub fn figure(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 1e9 {
        format!("{} billion", figure(x / 1e9))
    } else if a >= 1e6 {
        format!("{} million", figure(x / 1e6))
    } else if a >= 1000.0 {
        let r = x.round() as i64;
        let s = r.abs().to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if r < 0 { format!("-{out}") } else { out }
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a > 0.0 {
        let digits = (2 - a.log10().floor() as i32).max(0) as usize;
        format!("{x:.digits$}")
    } else {
        "0".into()
    }
}

/// A whole number: separated thousands below a million, three significant figures above.
pub fn count(n: u64) -> String {
    if n >= 1_000_000 {
        figure(n as f64)
    } else {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

/// A duration in the unit a reader expects: ms below a second, s below a minute, then
/// minutes, hours and days.
pub fn duration(t: f64) -> String {
    if !t.is_finite() {
        "–".into()
    } else if t < 1e-3 {
        format!("{} µs", figure(t * 1e6))
    } else if t < 1.0 {
        format!("{} ms", figure(t * 1e3))
    } else if t < 60.0 {
        format!("{} s", figure(t))
    } else if t < 3600.0 {
        format!("{} min", figure(t / 60.0))
    } else if t < 86_400.0 {
        format!("{} h", figure(t / 3600.0))
    } else {
        format!("{} days", figure(t / 86_400.0))
    }
}

/// A share as a percentage with enough digits that it never reads 0 % or 100 % unless it is:
/// three significant figures, and below 100 % as many decimals as show the gap to 100 %.
pub fn percent(share: f64) -> String {
    if !share.is_finite() {
        return "–".into();
    }
    let p = share * 100.0;
    if p == 0.0 || p == 100.0 {
        return format!("{p:.0} %");
    }
    if p > 99.0 && p < 100.0 {
        let gap = 100.0 - p;
        let mut decimals = ((-gap.log10() - 1e-9).ceil() as i32).clamp(1, 12) as usize;
        while decimals < 12 && format!("{p:.decimals$}").starts_with("100") {
            decimals += 1;
        }
        return format!("{p:.decimals$} %");
    }
    format!("{} %", figure(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_keep_three_significant_digits_and_never_round_to_zero() {
        assert_eq!(figure(1_919_872.0), "1.92 million");
        assert_eq!(figure(21_664.3), "21,664");
        assert_eq!(figure(0.445), "0.445");
        assert_eq!(figure(0.00102), "0.00102");
        assert_eq!(figure(12.34), "12.3");
        assert_eq!(figure(8.19e11), "819 billion");
        assert_eq!(count(31), "31");
        assert_eq!(count(191_988), "191,988");
        assert_eq!(duration(1439.0), "24.0 min");
        assert_eq!(duration(0.0482), "48.2 ms");
    }

    #[test]
    fn percentages_never_round_to_the_ends() {
        assert_eq!(percent(0.999), "99.9 %");
        assert_eq!(percent(0.99985), "99.98 %");
        assert_eq!(percent(0.999_996), "99.9996 %");
        assert_eq!(percent(0.00102), "0.102 %");
        assert_eq!(percent(0.5), "50.0 %");
        assert_eq!(percent(1.0), "100 %");
        assert_eq!(percent(0.0), "0 %");
    }
}
