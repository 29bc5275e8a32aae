//! Physical quantities written with their units.
//!
//! In a rig or workload file every dimensional value is a string that carries its unit:
//! `symbol_period = "6 ns"`, `power = "10 dBm"`, `noise_figure = "5 dB"`,
//! `responsivity = "0.9 A/W"`, `input_noise_density = "15 pA/√Hz"`. Inside the program every
//! quantity is an SI `f64` (decibel quantities keep their dB value and convert on demand).
//!
//! Units are case-sensitive, as in the SI brochure (BIPM, *The International System of Units*,
//! 9th ed., 2019): `mW` is a milliwatt and `MW` a megawatt. A value with no unit, an unknown unit,
//! a unit of the wrong kind, or a non-finite number is an error that says what was expected.

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// How a written unit maps onto the stored value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Conversion {
    /// stored = written × factor
    Scale(f64),
    /// stored = written × 10^e × factor; the power of ten is applied to the decimal text before
    /// it is converted to binary, so "6 ns" is exactly the `f64` nearest 6e-9.
    Pow10(i32, f64),
    /// dBm → W: P = 1 mW · 10^(x/10)
    DbmToWatt,
    /// dBW → W: P = 1 W · 10^(x/10)
    DbwToWatt,
    /// °C → K: T = x + 273.15
    CelsiusToKelvin,
}

impl Conversion {
    fn apply(self, x: f64) -> f64 {
        match self {
            Conversion::Scale(f) => x * f,
            Conversion::Pow10(e, f) => x * 10f64.powi(e) * f,
            Conversion::DbmToWatt => 1e-3 * 10f64.powf(x / 10.0),
            Conversion::DbwToWatt => 10f64.powf(x / 10.0),
            Conversion::CelsiusToKelvin => x + 273.15,
        }
    }
}

/// SI prefixes accepted in front of a base unit (BIPM SI brochure, table 7).
/// Both the micro sign (U+00B5) and Greek mu (U+03BC) are accepted, as is `u`.
pub const SI_PREFIXES: &[(&str, i32)] = &[
    ("E", 18),
    ("P", 15),
    ("T", 12),
    ("G", 9),
    ("M", 6),
    ("k", 3),
    ("m", -3),
    ("u", -6),
    ("µ", -6),
    ("μ", -6),
    ("n", -9),
    ("p", -12),
    ("f", -15),
    ("a", -18),
];

/// A physical dimension: which units it accepts and how it is stored.
pub trait Dimension: Copy + Send + Sync + 'static {
    /// Noun phrase used in messages: "a power".
    const NAME: &'static str;
    /// Examples shown in messages: `"10 mW" or "10 dBm"`.
    const EXAMPLE: &'static str;
    /// Unit of the stored value, used when writing a value back out.
    const STORED_UNIT: &'static str;
    /// Base units that take an SI prefix, with the factor to the stored unit.
    const PREFIXED: &'static [(&'static str, f64)];
    /// Units written exactly as given (no prefix).
    const EXACT: &'static [(&'static str, Conversion)];
    /// Whether a bare number (no unit) is accepted, stored as is.
    const BARE_NUMBER: bool = false;
    /// When writing a stored value back out, whether SI prefixes may be used.
    const WRITE_WITH_PREFIX: bool = true;
    /// Whether the stored value is logarithmic (dB): its linear ratio 10^(x/10) is then kept
    /// beside it, so models read it without an exponential each time.
    const LOGARITHMIC: bool = false;
}

/// A value of dimension `D`, stored in the dimension's stored unit (SI, or dB for ratios).
#[derive(Clone, Copy, PartialEq, PartialOrd)]
pub struct Quantity<D: Dimension> {
    value: f64,
    /// 10^(value/10) for logarithmic dimensions, else 0.
    linear: f64,
    _d: PhantomData<D>,
}

impl<D: Dimension> Quantity<D> {
    /// Wraps a value already in the stored unit.
    pub fn new(value: f64) -> Self {
        Self {
            value,
            linear: if D::LOGARITHMIC {
                db_to_linear(value)
            } else {
                0.0
            },
            _d: PhantomData,
        }
    }
    /// The value in the stored unit (SI; dB for decibel dimensions).
    pub const fn si(self) -> f64 {
        self.value
    }
}

impl<D: Dimension> fmt::Debug for Quantity<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", format_exact::<D>(self.value))
    }
}

impl<D: Dimension> fmt::Display for Quantity<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if D::WRITE_WITH_PREFIX {
            write!(f, "{}", format_si(self.value, D::STORED_UNIT, 4))
        } else {
            write!(f, "{} {}", trim_float(self.value, 4), D::STORED_UNIT)
        }
    }
}

/// Why a quantity string was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum UnitError {
    /// No number at the start.
    NoNumber,
    /// The number is NaN or infinite.
    NotFinite,
    /// The value in SI units lies outside 10⁻³⁰…10³⁰ (and is not zero): no device has it, and
    /// products of such values overflow or vanish.
    OutOfScale,
    /// A number with no unit where one is required.
    MissingUnit,
    /// A unit this dimension does not know.
    UnknownUnit(String),
}

/// A number as written: sign and digits, and its decimal exponent.
struct Written<'a> {
    negative: bool,
    digits: String,
    exponent: i32,
    unit: &'a str,
}

impl Written<'_> {
    /// The value × 10^shift, converted from decimal text once (correctly rounded).
    fn value(&self, shift: i32) -> Result<f64, UnitError> {
        let text = format!(
            "{}{}e{}",
            if self.negative { "-" } else { "" },
            self.digits,
            self.exponent.saturating_add(shift)
        );
        let x: f64 = text.parse().map_err(|_| UnitError::NoNumber)?;
        if x.is_finite() {
            Ok(x)
        } else {
            Err(UnitError::NotFinite)
        }
    }
}

/// Splits `"  -12.5e-3 mW"` into the number and the trimmed unit text.
fn split_number(s: &str) -> Result<Written<'_>, UnitError> {
    let s = s.trim();
    // Accept a leading unicode minus sign as well as '-' and '+'.
    let (mut negative, body) = match s.strip_prefix('\u{2212}') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let b = body.as_bytes();
    let mut i = 0;
    if let Some(c) = b.first().filter(|c| **c == b'+' || **c == b'-') {
        negative ^= *c == b'-';
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'_') {
        i += 1;
    }
    let digits: String = body[digits_start..i]
        .chars()
        .filter(|c| *c != '_')
        .collect();
    if !digits.bytes().any(|c| c.is_ascii_digit()) || digits.matches('.').count() > 1 {
        // "nan", "inf" and friends land here: say so explicitly.
        let lower = body[digits_start..].to_ascii_lowercase();
        if lower.starts_with("nan") || lower.starts_with("inf") {
            return Err(UnitError::NotFinite);
        }
        return Err(UnitError::NoNumber);
    }
    // Exponent: e or E followed by an optional sign and at least one digit.
    let mut exponent = 0i32;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_digits = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_digits {
            exponent = body[i + 1..j].parse().map_err(|_| UnitError::NotFinite)?;
            i = j;
        }
    }
    Ok(Written {
        negative,
        digits,
        exponent,
        unit: body[i..].trim(),
    })
}

/// Looks a unit up for dimension `D`.
pub fn conversion_for<D: Dimension>(unit: &str) -> Option<Conversion> {
    if let Some((_, c)) = D::EXACT.iter().find(|(u, _)| *u == unit) {
        return Some(*c);
    }
    for (base, factor) in D::PREFIXED {
        if unit == *base {
            return Some(Conversion::Pow10(0, *factor));
        }
        if let Some(prefix) = unit.strip_suffix(base)
            && let Some((_, p)) = SI_PREFIXES.iter().find(|(sym, _)| *sym == prefix)
        {
            return Some(Conversion::Pow10(*p, *factor));
        }
    }
    None
}

/// Parses `"6 ns"` into the stored value of dimension `D`.
pub fn parse_quantity<D: Dimension>(s: &str) -> Result<f64, UnitError> {
    let w = split_number(s)?;
    if w.unit.is_empty() {
        return if D::BARE_NUMBER {
            w.value(0)
        } else {
            Err(UnitError::MissingUnit)
        };
    }
    let conv =
        conversion_for::<D>(w.unit).ok_or_else(|| UnitError::UnknownUnit(w.unit.to_string()))?;
    let v = match conv {
        Conversion::Pow10(e, f) => w.value(e)? * f,
        other => other.apply(w.value(0)?),
    };
    if !v.is_finite() {
        Err(UnitError::NotFinite)
    } else if v != 0.0 && !(SCALE_MIN..=SCALE_MAX).contains(&v.abs()) {
        Err(UnitError::OutOfScale)
    } else {
        Ok(v)
    }
}

/// The smallest and largest magnitudes a quantity may have in SI units (zero aside).
pub const SCALE_MIN: f64 = 1e-30;
pub const SCALE_MAX: f64 = 1e30;

/// The units a dimension accepts, for messages.
pub fn accepted_units<D: Dimension>() -> String {
    let mut parts: Vec<String> = D::PREFIXED
        .iter()
        .map(|(u, _)| format!("{u} (with an SI prefix)"))
        .collect();
    parts.extend(D::EXACT.iter().map(|(u, _)| (*u).to_string()));
    if D::BARE_NUMBER {
        parts.push("a plain number".into());
    }
    parts.join(", ")
}

/// A message for a refused quantity, as shown to the user.
pub fn describe_error<D: Dimension>(input: &str, err: &UnitError) -> String {
    match err {
        UnitError::NoNumber => format!(
            "expected {} such as {}; found \"{input}\", which does not start with a number",
            D::NAME,
            D::EXAMPLE
        ),
        UnitError::OutOfScale => format!(
            "expected {} such as {}; found \"{input}\": its size in SI units lies outside 1e-30 to 1e30, beyond any device",
            D::NAME,
            D::EXAMPLE
        ),
        UnitError::NotFinite => format!(
            "expected {} such as {}; found \"{input}\": the value must be a finite number",
            D::NAME,
            D::EXAMPLE
        ),
        UnitError::MissingUnit => format!(
            "expected {} such as {}; found \"{input}\" with no unit (units: {})",
            D::NAME,
            D::EXAMPLE,
            accepted_units::<D>()
        ),
        UnitError::UnknownUnit(u) => {
            let hint = unit_hint::<D>(u);
            format!(
                "unit \"{u}\" is not {} (expected e.g. {}; units: {}; units are case-sensitive){hint}",
                D::NAME,
                D::EXAMPLE,
                accepted_units::<D>()
            )
        }
    }
}

/// Suggests the intended unit when only the case is wrong.
fn unit_hint<D: Dimension>(unit: &str) -> String {
    let lower = unit.to_lowercase();
    let mut candidates: Vec<String> = Vec::new();
    for (base, _) in D::PREFIXED {
        let bases =
            std::iter::once(String::new()).chain(SI_PREFIXES.iter().map(|(p, _)| (*p).to_string()));
        for p in bases {
            let cand = format!("{p}{base}");
            if cand.to_lowercase() == lower && !candidates.contains(&cand) {
                candidates.push(cand);
            }
        }
    }
    for (u, _) in D::EXACT {
        if u.to_lowercase() == lower {
            candidates.push((*u).to_string());
        }
    }
    match candidates.len() {
        0 => String::new(),
        _ => format!(
            "; did you mean {}?",
            candidates
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}

struct QuantityVisitor<D>(PhantomData<D>);

impl<D: Dimension> Visitor<'_> for QuantityVisitor<D> {
    type Value = Quantity<D>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} written as a string with its unit, such as {}",
            D::NAME,
            D::EXAMPLE
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        parse_quantity::<D>(v)
            .map(Quantity::new)
            .map_err(|e| E::custom(format!("{UNIT_TAG}{}", describe_error::<D>(v, &e))))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if !D::BARE_NUMBER {
            return Err(E::custom(format!(
                "{UNIT_TAG}expected {} with a unit, such as {}; found the bare number {v} (write it as a string with its unit)",
                D::NAME,
                D::EXAMPLE
            )));
        }
        if !v.is_finite() {
            return Err(E::custom(format!(
                "{UNIT_TAG}expected {} such as {}; found {v}: the value must be a finite number",
                D::NAME,
                D::EXAMPLE
            )));
        }
        Ok(Quantity::new(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.visit_f64(v as f64)
    }
}

/// Marker at the start of a serde message produced by a unit parse, so the loader can
/// classify the error; it is stripped before the message is shown.
pub const UNIT_TAG: &str = "\u{1}unit\u{1}";

impl<'de, D: Dimension> Deserialize<'de> for Quantity<D> {
    fn deserialize<De: Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        d.deserialize_any(QuantityVisitor::<D>(PhantomData))
    }
}

impl<D: Dimension> Serialize for Quantity<D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if D::BARE_NUMBER && D::STORED_UNIT.is_empty() {
            s.serialize_f64(self.value)
        } else {
            s.serialize_str(&format_exact::<D>(self.value))
        }
    }
}

/// Writes a stored value back as a string that parses to exactly the same `f64`.
///
/// The shortest round-trip decimal of the value is shifted to an SI prefix by moving the decimal
/// point in the text, so `6e-9` is written `"6 ns"` without a rounding error.
pub fn format_exact<D: Dimension>(value: f64) -> String {
    if D::STORED_UNIT.is_empty() {
        return format!("{value}");
    }
    if !D::WRITE_WITH_PREFIX || value == 0.0 || !value.is_finite() {
        return format!("{value} {}", D::STORED_UNIT);
    }
    // Only prefixes that the dimension's first prefixed base accepts make sense here.
    let Some((base, factor)) = D::PREFIXED.first() else {
        return format!("{value} {}", D::STORED_UNIT);
    };
    let in_base = value / factor;
    if in_base * factor != value {
        return format!("{value} {}", D::STORED_UNIT);
    }
    let sci = format!("{in_base:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let e3 = exp.div_euclid(3) * 3;
    let prefix = match e3 {
        18 => "E",
        15 => "P",
        12 => "T",
        9 => "G",
        6 => "M",
        3 => "k",
        0 => "",
        -3 => "m",
        -6 => "µ",
        -9 => "n",
        -12 => "p",
        -15 => "f",
        -18 => "a",
        _ => return format!("{value} {}", D::STORED_UNIT),
    };
    let shifted = shift_decimal(mant, exp - e3);
    let out = format!("{shifted} {prefix}{base}");
    // Guard: only use the pretty form if it parses back to the identical value.
    match parse_quantity::<D>(&out) {
        Ok(v) if v == value => out,
        _ => format!("{value} {}", D::STORED_UNIT),
    }
}

/// Moves the decimal point of a plain decimal mantissa `by` places to the right (0..=2).
fn shift_decimal(mant: &str, by: i32) -> String {
    let (neg, m) = match mant.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, mant),
    };
    let (int, frac) = m.split_once('.').unwrap_or((m, ""));
    let mut digits: String = format!("{int}{frac}");
    let point = int.len() as i32 + by;
    while (digits.len() as i32) < point {
        digits.push('0');
    }
    let (a, b) = digits.split_at(point as usize);
    let mut s = if b.is_empty() {
        a.to_string()
    } else {
        format!("{a}.{b}")
    };
    if neg {
        s.insert(0, '-');
    }
    s
}

/// Formats a value with an SI prefix and `sig` significant digits: `format_si(2.5e-14, "J", 3)`
/// gives `"25 fJ"`. Used for human-readable tables, not for round-tripping.
pub fn format_si(value: f64, unit: &str, sig: usize) -> String {
    if value == 0.0 {
        return format!("0 {unit}");
    }
    if !value.is_finite() {
        return format!("{value} {unit}");
    }
    let exp = value.abs().log10().floor() as i32;
    let mut e3 = exp.div_euclid(3) * 3;
    e3 = e3.clamp(-18, 18);
    let prefix = match e3 {
        18 => "E",
        15 => "P",
        12 => "T",
        9 => "G",
        6 => "M",
        3 => "k",
        0 => "",
        -3 => "m",
        -6 => "µ",
        -9 => "n",
        -12 => "p",
        -15 => "f",
        _ => "a",
    };
    let scaled = value / 10f64.powi(e3);
    format!("{} {prefix}{unit}", trim_float(scaled, sig))
}

/// Rounds to `sig` significant digits and drops trailing zeros.
pub fn trim_float(x: f64, sig: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = x.abs().log10().floor() as i32 + 1;
    let decimals = (sig as i32 - digits).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Dimension marker types.
pub mod dim {
    use super::{Conversion, Dimension};

    macro_rules! dimension {
        ($(#[$doc:meta])* $name:ident, $noun:expr, $ex:expr, $stored:expr,
         prefixed: [$(($pu:expr, $pf:expr)),* $(,)?],
         exact: [$(($eu:expr, $ec:expr)),* $(,)?]
         $(, bare: $bare:expr)? $(, prefix_out: $po:expr)? $(, log: $log:expr)?) => {
            $(#[$doc])*
            #[derive(Clone, Copy, Debug, PartialEq)]
            pub struct $name;
            impl Dimension for $name {
                const NAME: &'static str = $noun;
                const EXAMPLE: &'static str = $ex;
                const STORED_UNIT: &'static str = $stored;
                const PREFIXED: &'static [(&'static str, f64)] = &[$(($pu, $pf)),*];
                const EXACT: &'static [(&'static str, Conversion)] = &[$(($eu, $ec)),*];
                $(const BARE_NUMBER: bool = $bare;)?
                $(const WRITE_WITH_PREFIX: bool = $po;)?
                $(const LOGARITHMIC: bool = $log;)?
            }
        };
    }

    dimension!(/// Time, stored in seconds.
        Time, "a time", "\"6 ns\"", "s",
        prefixed: [("s", 1.0)],
        exact: [("min", Conversion::Scale(60.0)), ("h", Conversion::Scale(3600.0)),
                ("d", Conversion::Scale(86_400.0)), ("yr", Conversion::Scale(31_557_600.0))]);
    dimension!(/// Frequency or analog bandwidth, stored in hertz.
        Frequency, "a frequency", "\"20 GHz\"", "Hz",
        prefixed: [("Hz", 1.0)], exact: []);
    dimension!(/// Sample, symbol or conversion rate, stored in samples per second.
        SampleRate, "a sample rate", "\"2.7 GS/s\"", "S/s",
        prefixed: [("S/s", 1.0), ("Sa/s", 1.0), ("Bd", 1.0), ("Hz", 1.0), ("sps", 1.0)],
        exact: []);
    dimension!(/// Power, stored in watts; dBm and dBW accepted.
        Power, "a power", "\"10 mW\" or \"10 dBm\"", "W",
        prefixed: [("W", 1.0)],
        exact: [("dBm", Conversion::DbmToWatt), ("dBW", Conversion::DbwToWatt)]);
    dimension!(/// Energy, stored in joules.
        Energy, "an energy", "\"25 pJ\"", "J",
        prefixed: [("J", 1.0)], exact: []);
    dimension!(/// A power ratio (gain, loss, noise figure, extinction ratio), stored in dB.
        Decibel, "a ratio in dB", "\"5 dB\"", "dB",
        prefixed: [], exact: [("dB", Conversion::Scale(1.0))], prefix_out: false, log: true);
    dimension!(/// Relative intensity noise, stored in dB/Hz.
        Rin, "a relative intensity noise", "\"-150 dB/Hz\"", "dB/Hz",
        prefixed: [], exact: [("dB/Hz", Conversion::Scale(1.0))], prefix_out: false, log: true);
    dimension!(/// Electric current, stored in amperes.
        Current, "a current", "\"10 nA\"", "A",
        prefixed: [("A", 1.0)], exact: []);
    dimension!(/// Photodiode responsivity, stored in A/W.
        Responsivity, "a responsivity", "\"0.9 A/W\"", "A/W",
        prefixed: [("A/W", 1.0)], exact: []);
    dimension!(/// Input-referred current noise density, stored in A/√Hz.
        CurrentDensity, "a current noise density", "\"15 pA/√Hz\"", "A/√Hz",
        prefixed: [("A/√Hz", 1.0), ("A/rtHz", 1.0), ("A/sqrt(Hz)", 1.0), ("A/Hz^0.5", 1.0),
                   ("A/Hz^1/2", 1.0)],
        exact: []);
    dimension!(/// Capacitance, stored in farads.
        Capacitance, "a capacitance", "\"100 fF\"", "F",
        prefixed: [("F", 1.0)], exact: []);
    dimension!(/// Resistance, stored in ohms.
        Resistance, "a resistance", "\"5 kΩ\" or \"50 ohm\"", "Ω",
        prefixed: [("\u{3a9}", 1.0), ("\u{2126}", 1.0), ("ohm", 1.0), ("Ohm", 1.0)], exact: []);
    dimension!(/// Voltage, stored in volts.
        Voltage, "a voltage", "\"1 V\"", "V",
        prefixed: [("V", 1.0)], exact: []);
    dimension!(/// Length, stored in metres.
        Length, "a length", "\"1550 nm\" or \"10 m\"", "m",
        prefixed: [("m", 1.0)], exact: []);
    dimension!(/// Attenuation per length, stored in dB/m.
        Attenuation, "an attenuation per length", "\"0.2 dB/km\"", "dB/m",
        prefixed: [], exact: [("dB/km", Conversion::Scale(1e-3)), ("dB/m", Conversion::Scale(1.0))],
        prefix_out: false);
    dimension!(/// Chromatic dispersion parameter D, stored in s/m² (1 ps/(nm·km) = 10⁻⁶ s/m²).
        Dispersion, "a dispersion parameter", "\"17 ps/(nm·km)\"", "s/m²",
        prefixed: [],
        exact: [("ps/(nm·km)", Conversion::Scale(1e-6)), ("ps/(nm*km)", Conversion::Scale(1e-6)),
                ("ps/(nm km)", Conversion::Scale(1e-6)), ("ps/nm/km", Conversion::Scale(1e-6)),
                ("s/m²", Conversion::Scale(1.0)), ("s/m^2", Conversion::Scale(1.0))],
        prefix_out: false);
    dimension!(/// Amount of data, stored in bytes (kB = 1000 B, KiB = 1024 B).
        Bytes, "an amount of data", "\"80 GB\"", "B",
        prefixed: [("B", 1.0)],
        exact: [("KiB", Conversion::Scale(1024.0)), ("MiB", Conversion::Scale(1048576.0)),
                ("GiB", Conversion::Scale(1073741824.0)), ("TiB", Conversion::Scale(1099511627776.0))]);
    dimension!(/// Data rate, stored in bytes per second (b/s = bits per second).
        ByteRate, "a data rate", "\"3.35 TB/s\" or \"400 Gb/s\"", "B/s",
        prefixed: [("B/s", 1.0), ("b/s", 0.125), ("bit/s", 0.125)], exact: []);
    dimension!(/// Operation rate, stored in operations per second.
        OpRate, "an operation rate", "\"989 TFLOP/s\"", "OP/s",
        prefixed: [("FLOP/s", 1.0), ("OP/s", 1.0), ("FLOPS", 1.0), ("OPS", 1.0)], exact: []);
    dimension!(/// Absolute temperature, stored in kelvin.
        Temperature, "a temperature", "\"300 K\"", "K",
        prefixed: [("K", 1.0)],
        exact: [("°C", Conversion::CelsiusToKelvin), ("degC", Conversion::CelsiusToKelvin)],
        prefix_out: false);
    dimension!(/// An amount of money, stored in US dollars ("30 kUSD", "3.2 MUSD").
        Money, "an amount of money", "\"30 kUSD\" or \"30000 USD\"", "USD",
        prefixed: [("USD", 1.0)], exact: []);
    dimension!(/// A price of energy, stored in US dollars per joule.
        EnergyPrice, "a price of energy", "\"0.08 USD/kWh\"", "USD/J",
        prefixed: [("USD/J", 1.0)],
        exact: [("USD/kWh", Conversion::Scale(1.0 / 3.6e6)),
                ("USD/MWh", Conversion::Scale(1.0 / 3.6e9))]);
    dimension!(/// A fraction in [0, 1], written as a plain number or a percentage.
        Fraction, "a fraction", "0.3 or \"30 %\"", "",
        prefixed: [], exact: [("%", Conversion::Scale(0.01))], bare: true, prefix_out: false);
}

pub type Time = Quantity<dim::Time>;
pub type Frequency = Quantity<dim::Frequency>;
pub type SampleRate = Quantity<dim::SampleRate>;
pub type Power = Quantity<dim::Power>;
pub type Energy = Quantity<dim::Energy>;
pub type Decibel = Quantity<dim::Decibel>;
pub type Rin = Quantity<dim::Rin>;
pub type Current = Quantity<dim::Current>;
pub type Responsivity = Quantity<dim::Responsivity>;
pub type CurrentDensity = Quantity<dim::CurrentDensity>;
pub type Capacitance = Quantity<dim::Capacitance>;
pub type Resistance = Quantity<dim::Resistance>;
pub type Voltage = Quantity<dim::Voltage>;
pub type Length = Quantity<dim::Length>;
pub type Attenuation = Quantity<dim::Attenuation>;
pub type Bytes = Quantity<dim::Bytes>;
pub type Dispersion = Quantity<dim::Dispersion>;
pub type ByteRate = Quantity<dim::ByteRate>;
pub type OpRate = Quantity<dim::OpRate>;
pub type Temperature = Quantity<dim::Temperature>;
pub type Fraction = Quantity<dim::Fraction>;
pub type Money = Quantity<dim::Money>;
pub type EnergyPrice = Quantity<dim::EnergyPrice>;

impl Decibel {
    /// The ratio in dB.
    pub const fn db(self) -> f64 {
        self.si()
    }
    /// The linear power ratio 10^(dB/10).
    pub fn linear(self) -> f64 {
        self.linear
    }
}

impl Rin {
    /// RIN in 1/Hz: 10^(dB/10).
    pub fn per_hz(self) -> f64 {
        self.linear
    }
}

impl Power {
    /// Power in dBm.
    pub fn dbm(self) -> f64 {
        10.0 * (self.si() / 1e-3).log10()
    }

    /// The power of `dbm` dBm, as the parser reads "x dBm".
    pub fn from_dbm(dbm: f64) -> Self {
        Self::new(Conversion::DbmToWatt.apply(dbm))
    }
}

/// 10^(x/10), computed as exp(x·ln10/10) (about twice as fast as `powf`, within a few ulp).
pub fn db_to_linear(db: f64) -> f64 {
    (db * (std::f64::consts::LN_10 / 10.0)).exp()
}

/// 10·log10(x).
pub fn linear_to_db(x: f64) -> f64 {
    10.0 * x.log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixed_units() {
        assert_eq!(parse_quantity::<dim::Time>("6 ns").unwrap(), 6e-9);
        assert_eq!(parse_quantity::<dim::Time>("6ns").unwrap(), 6e-9);
        assert_eq!(parse_quantity::<dim::Time>("2.5 µs").unwrap(), 2.5e-6);
        assert_eq!(parse_quantity::<dim::Time>("2.5 us").unwrap(), 2.5e-6);
        assert_eq!(parse_quantity::<dim::Time>("1 min").unwrap(), 60.0);
        assert_eq!(parse_quantity::<dim::Length>("1550 nm").unwrap(), 1550e-9);
        assert_eq!(parse_quantity::<dim::Length>("2 m").unwrap(), 2.0);
        assert_eq!(parse_quantity::<dim::Length>("3 mm").unwrap(), 3e-3);
        assert_eq!(parse_quantity::<dim::Resistance>("5 kΩ").unwrap(), 5e3);
        assert_eq!(parse_quantity::<dim::Resistance>("50 ohm").unwrap(), 50.0);
        assert_eq!(
            parse_quantity::<dim::CurrentDensity>("15 pA/√Hz").unwrap(),
            15e-12
        );
        assert_eq!(
            parse_quantity::<dim::CurrentDensity>("15 pA/rtHz").unwrap(),
            15e-12
        );
        assert_eq!(
            parse_quantity::<dim::SampleRate>("2.7 GS/s").unwrap(),
            2.7e9
        );
        assert_eq!(
            parse_quantity::<dim::ByteRate>("3.35 TB/s").unwrap(),
            3.35e12
        );
        assert_eq!(parse_quantity::<dim::ByteRate>("8 Gb/s").unwrap(), 1e9);
        assert_eq!(
            parse_quantity::<dim::OpRate>("989 TFLOP/s").unwrap(),
            989e12
        );
        assert_eq!(parse_quantity::<dim::Bytes>("1 KiB").unwrap(), 1024.0);
        assert_eq!(
            parse_quantity::<dim::Attenuation>("0.2 dB/km").unwrap(),
            0.2e-3
        );
        assert_eq!(parse_quantity::<dim::Fraction>("30 %").unwrap(), 0.3);
        assert_eq!(parse_quantity::<dim::Fraction>("0.3").unwrap(), 0.3);
        assert_eq!(parse_quantity::<dim::Temperature>("25 °C").unwrap(), 298.15);
        assert_eq!(parse_quantity::<dim::Decibel>("-30 dB").unwrap(), -30.0);
        assert_eq!(parse_quantity::<dim::Decibel>("−3 dB").unwrap(), -3.0);
        assert_eq!(parse_quantity::<dim::Energy>("1e-3 pJ").unwrap(), 1e-15);
        assert_eq!(parse_quantity::<dim::Energy>("1_000 fJ").unwrap(), 1e-12);
    }

    #[test]
    fn dbm_is_one_milliwatt_at_zero() {
        assert!((parse_quantity::<dim::Power>("0 dBm").unwrap() - 1e-3).abs() < 1e-18);
        assert!((parse_quantity::<dim::Power>("10 dBm").unwrap() - 10e-3).abs() < 1e-15);
        assert!((parse_quantity::<dim::Power>("-3 dBW").unwrap() - 0.501187).abs() < 1e-6);
        assert!((Power::new(0.01).dbm() - 10.0).abs() < 1e-12);
    }

    #[test]
    fn case_matters_for_prefixes() {
        assert_eq!(parse_quantity::<dim::Power>("1 mW").unwrap(), 1e-3);
        assert_eq!(parse_quantity::<dim::Power>("1 MW").unwrap(), 1e6);
        let e = parse_quantity::<dim::Power>("1 mw").unwrap_err();
        assert_eq!(e, UnitError::UnknownUnit("mw".into()));
        let msg = describe_error::<dim::Power>("1 mw", &e);
        assert!(msg.contains("did you mean \"MW\" or \"mW\"?"), "{msg}");
    }

    #[test]
    fn refuses_missing_wrong_and_nonfinite() {
        assert_eq!(
            parse_quantity::<dim::Time>("6").unwrap_err(),
            UnitError::MissingUnit
        );
        assert_eq!(
            parse_quantity::<dim::Time>("6 dBm").unwrap_err(),
            UnitError::UnknownUnit("dBm".into())
        );
        assert_eq!(
            parse_quantity::<dim::Time>("NaN ns").unwrap_err(),
            UnitError::NotFinite
        );
        assert_eq!(
            parse_quantity::<dim::Time>("inf s").unwrap_err(),
            UnitError::NotFinite
        );
        assert_eq!(
            parse_quantity::<dim::Time>("1e400 s").unwrap_err(),
            UnitError::NotFinite
        );
        assert_eq!(
            parse_quantity::<dim::Time>("ns").unwrap_err(),
            UnitError::NoNumber
        );
        assert_eq!(
            parse_quantity::<dim::Time>("1.2.3 s").unwrap_err(),
            UnitError::NoNumber
        );
    }

    #[test]
    fn exact_formatting_round_trips() {
        for v in [
            6e-9,
            1.2816e-19,
            0.9,
            25e-12,
            3.35e12,
            1.0,
            123456.789e-15,
            -2e-3,
        ] {
            let s = format_exact::<dim::Time>(v);
            assert_eq!(parse_quantity::<dim::Time>(&s).unwrap(), v, "{s}");
        }
        assert_eq!(format_exact::<dim::Time>(6e-9), "6 ns");
        assert_eq!(format_exact::<dim::Decibel>(5.0), "5 dB");
        assert_eq!(format_exact::<dim::Fraction>(0.25), "0.25");
    }

    #[test]
    fn decibels_carry_their_linear_ratio() {
        let d: Decibel = Quantity::new(20.0);
        assert!((d.linear() - 100.0).abs() < 1e-12);
        let r: Rin = Quantity::new(-150.0);
        assert!((r.per_hz() / 1e-15 - 1.0).abs() < 1e-12);
        let back = parse_quantity::<dim::Decibel>("3 dB")
            .map(Decibel::new)
            .unwrap();
        assert!((back.linear() - 1.995262).abs() < 1e-6);
    }

    #[test]
    fn human_formatting() {
        assert_eq!(format_si(2.5e-14, "J", 3), "25 fJ");
        assert_eq!(format_si(209.608e-6, "s", 4), "209.6 µs");
        assert_eq!(format_si(4770.8, "tok/s", 4), "4.771 ktok/s");
        assert_eq!(trim_float(0.12, 3), "0.12");
    }
}

/// The stored unit (SI, or dB for ratios) of the first dimension that reads `written` as a
/// quantity, e.g. "W" for "10 dBm" and "s" for "6 ns"; `None` when no dimension reads it or
/// the dimension takes bare numbers. Front ends use it to write a number given in SI for a key
/// whose current value carries a unit ("0.012" for laser.power becomes "0.012 W").
pub fn stored_unit_of(written: &str) -> Option<&'static str> {
    fn reads<D: Dimension>(s: &str) -> Option<&'static str> {
        (!D::BARE_NUMBER && parse_quantity::<D>(s).is_ok()).then_some(D::STORED_UNIT)
    }
    reads::<dim::Time>(written)
        .or_else(|| reads::<dim::Frequency>(written))
        .or_else(|| reads::<dim::SampleRate>(written))
        .or_else(|| reads::<dim::Power>(written))
        .or_else(|| reads::<dim::Energy>(written))
        .or_else(|| reads::<dim::Decibel>(written))
        .or_else(|| reads::<dim::Rin>(written))
        .or_else(|| reads::<dim::Current>(written))
        .or_else(|| reads::<dim::Responsivity>(written))
        .or_else(|| reads::<dim::CurrentDensity>(written))
        .or_else(|| reads::<dim::Capacitance>(written))
        .or_else(|| reads::<dim::Resistance>(written))
        .or_else(|| reads::<dim::Voltage>(written))
        .or_else(|| reads::<dim::Length>(written))
        .or_else(|| reads::<dim::Attenuation>(written))
        .or_else(|| reads::<dim::Bytes>(written))
        .or_else(|| reads::<dim::ByteRate>(written))
        .or_else(|| reads::<dim::OpRate>(written))
        .or_else(|| reads::<dim::Temperature>(written))
        .or_else(|| reads::<dim::Money>(written))
        .or_else(|| reads::<dim::EnergyPrice>(written))
}

#[cfg(test)]
mod stored_unit_tests {
    use super::*;

    /// Each written quantity names the unit it is stored in; a bare number names none.
    #[test]
    fn written_values_name_their_stored_unit() {
        for (written, unit) in [
            ("10 dBm", Some("W")),
            ("6 ns", Some("s")),
            ("20 GHz", Some("Hz")),
            ("2.7 GS/s", Some("S/s")),
            ("5 dB", Some("dB")),
            ("0.2 dB/km", Some("dB/m")),
            ("80 GB", Some("B")),
            ("25 °C", Some("K")),
            ("0.08 USD/kWh", Some("USD/J")),
            ("0.3", None),
            ("banana", None),
        ] {
            assert_eq!(stored_unit_of(written), unit, "{written}");
        }
    }
}
