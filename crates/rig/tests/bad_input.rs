//! Every class of bad input gets an error naming the file, line and key — never a panic.

use lightloop_rig::document::{DescKind, Document};
use lightloop_rig::presets::{self, PRESETS};
use lightloop_rig::{ErrorKind, InputErrors, Rig, Workload, load_rig, load_workload};

fn seed_text() -> String {
    presets::text(DescKind::Rig, "seed-16ch")
        .unwrap()
        .to_string()
}

/// Parses rig text as if it came from `bench.toml`.
fn rig_from(text: &str) -> Result<Rig, InputErrors> {
    Document::from_text(DescKind::Rig, "bench.toml", text, None)?.parse()
}

fn wl_from(text: &str) -> Result<Workload, InputErrors> {
    Document::from_text(DescKind::Workload, "model.toml", text, None)?.parse()
}

/// Replaces the first line that starts with `prefix` (after trimming) in `text`.
fn edit(text: &str, prefix: &str, replacement: &str) -> String {
    let mut done = false;
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if !done && l.trim_start().starts_with(prefix) {
                done = true;
                replacement.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(done, "no line starts with {prefix}");
    out.join("\n") + "\n"
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[track_caller]
fn expect_one(err: &InputErrors, kind: ErrorKind, key: &str, line: Option<usize>) {
    let e = err
        .0
        .iter()
        .find(|e| e.key.as_deref() == Some(key))
        .unwrap_or_else(|| panic!("no error for key {key}: {err}"));
    assert_eq!(e.kind, kind, "{err}");
    assert_eq!(e.file, "bench.toml", "{err}");
    if let Some(l) = line {
        assert_eq!(e.line, Some(l), "{err}");
    }
    let shown = err.to_string();
    assert!(shown.contains(key), "message must name the key: {shown}");
}

#[test]
fn every_preset_loads_and_validates() {
    for p in PRESETS {
        let doc = Document::from_text(p.kind, p.name, p.text, None)
            .unwrap_or_else(|e| panic!("preset {}: {e}", p.name));
        let result = match p.kind {
            DescKind::Rig => doc.parse::<Rig>().map(|_| ()),
            DescKind::Workload => doc.parse::<Workload>().map(|_| ()),
            DescKind::Gpu => doc.parse::<lightloop_rig::Gpu>().map(|_| ()),
            DescKind::Deployment => doc.parse::<lightloop_rig::Deployment>().map(|_| ()),
        };
        result.unwrap_or_else(|e| panic!("preset {}: {e}", p.name));
        assert!(
            !presets::summary(p).is_empty(),
            "preset {} needs a summary line",
            p.name
        );
    }
}

#[test]
fn unknown_key_names_line_and_suggests() {
    let text = edit(&seed_text(), "rin =", "rim = \"-150 dB/Hz\"");
    let err = rig_from(&text).unwrap_err();
    let line = line_of(&text, "rim =");
    expect_one(&err, ErrorKind::UnknownKey, "laser.rim", Some(line));
    assert!(err.to_string().contains("did you mean `rin`"), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("bench.toml:{line}:1:")),
        "{err}"
    );
}

#[test]
fn missing_unit_is_a_unit_error() {
    let text = edit(&seed_text(), "symbol_period", "symbol_period = \"6\"");
    let err = rig_from(&text).unwrap_err();
    expect_one(
        &err,
        ErrorKind::Unit,
        "topology.symbol_period",
        Some(line_of(&text, "symbol_period")),
    );
    assert!(err.to_string().contains("no unit"), "{err}");
}

#[test]
fn bare_number_for_a_quantity_is_a_unit_error() {
    let text = edit(&seed_text(), "symbol_period", "symbol_period = 6e-9");
    let err = rig_from(&text).unwrap_err();
    expect_one(
        &err,
        ErrorKind::Unit,
        "topology.symbol_period",
        Some(line_of(&text, "symbol_period")),
    );
}

#[test]
fn wrong_dimension_is_a_unit_error() {
    let text = edit(&seed_text(), "power = \"10 dBm\"", "power = \"10 ns\"");
    let err = rig_from(&text).unwrap_err();
    expect_one(
        &err,
        ErrorKind::Unit,
        "laser.power",
        Some(line_of(&text, "power = \"10 ns\"")),
    );
    assert!(err.to_string().contains("is not a power"), "{err}");
}

#[test]
fn wrong_case_unit_is_explained() {
    let text = edit(&seed_text(), "power = \"10 dBm\"", "power = \"10 mw\"");
    let err = rig_from(&text).unwrap_err();
    assert!(err.to_string().contains("\"mW\""), "{err}");
}

#[test]
fn nan_in_a_quantity_and_in_a_plain_number() {
    let text = edit(&seed_text(), "power = \"10 dBm\"", "power = \"NaN mW\"");
    let err = rig_from(&text).unwrap_err();
    expect_one(&err, ErrorKind::Unit, "laser.power", None);
    assert!(err.to_string().contains("finite"), "{err}");

    let text = edit(&seed_text(), "enob", "enob = nan");
    let err = rig_from(&text).unwrap_err();
    expect_one(
        &err,
        ErrorKind::Value,
        "adc.enob",
        Some(line_of(&text, "enob = nan")),
    );
}

#[test]
fn negative_power_is_a_value_error() {
    let text = edit(
        &seed_text(),
        "electrical_power",
        "electrical_power = \"-0.5 W\"",
    );
    let err = rig_from(&text).unwrap_err();
    expect_one(
        &err,
        ErrorKind::Value,
        "soa.electrical_power",
        Some(line_of(&text, "-0.5 W")),
    );
}

#[test]
fn passives_that_add_power_are_refused() {
    let text = edit(&seed_text(), "mux_loss", "mux_loss = \"-2 dB\"");
    let err = rig_from(&text).unwrap_err();
    expect_one(&err, ErrorKind::Value, "passives.mux_loss", None);
    assert!(err.to_string().contains("never add power"), "{err}");
}

#[test]
fn out_of_range_values() {
    let text = edit(&seed_text(), "enob", "enob = 9.5");
    let err = rig_from(&text).unwrap_err();
    expect_one(&err, ErrorKind::Value, "adc.enob", None);

    let text = edit(&seed_text(), "responsivity", "responsivity = \"1.4 A/W\"");
    let err = rig_from(&text).unwrap_err();
    expect_one(&err, ErrorKind::Value, "photodiode.responsivity", None);
    assert!(err.to_string().contains("quantum limit"), "{err}");

    let text = edit(&seed_text(), "noise_figure", "noise_figure = \"2 dB\"");
    let err = rig_from(&text).unwrap_err();
    expect_one(&err, ErrorKind::Value, "soa.noise_figure", None);
}

#[test]
fn wrong_type_is_reported() {
    let text = edit(&seed_text(), "channels", "channels = \"sixteen\"");
    let err = rig_from(&text).unwrap_err();
    expect_one(
        &err,
        ErrorKind::WrongType,
        "topology.channels",
        Some(line_of(&text, "sixteen")),
    );
    let text = edit(&seed_text(), "channels", "channels = -16");
    let err = rig_from(&text).unwrap_err();
    expect_one(&err, ErrorKind::Value, "topology.channels", None);
}

#[test]
fn missing_key_points_at_its_table() {
    let text = edit(&seed_text(), "linewidth", "");
    let err = rig_from(&text).unwrap_err();
    expect_one(
        &err,
        ErrorKind::MissingKey,
        "laser.linewidth",
        Some(line_of(&text, "[laser]")),
    );
}

#[test]
fn unknown_enum_value() {
    let text = edit(&seed_text(), "architecture", "architecture = \"tdm\"");
    let err = rig_from(&text).unwrap_err();
    expect_one(&err, ErrorKind::Value, "topology.architecture", None);
    assert!(
        err.to_string().contains("tdm-dot-product"),
        "lists the variants: {err}"
    );
}

#[test]
fn truncated_file_is_a_syntax_error() {
    let text = seed_text();
    let cut = &text[..text.find("wall_plug_efficiency").unwrap() + 24];
    let err = rig_from(cut).unwrap_err();
    assert_eq!(err.0[0].kind, ErrorKind::Syntax);
    assert!(err.0[0].line.is_some());
    assert!(err.to_string().contains("truncated"), "{err}");
    // Cut at a table boundary, the file parses but misses whole sections.
    let cut = &text[..text.find("[modulator]").unwrap()];
    let err = rig_from(cut).unwrap_err();
    assert_eq!(err.0[0].kind, ErrorKind::MissingKey, "{err}");
    assert_eq!(err.0[0].key.as_deref(), Some("modulator"));
}

#[test]
fn impossible_topologies() {
    // Tier C with re-driven weights.
    let text = edit(&seed_text(), "tier =", "tier = \"C\"");
    let err = rig_from(&text).unwrap_err();
    assert!(err.kinds().contains(&ErrorKind::Topology), "{err}");
    assert!(err.mentions_key("weights.storage"), "{err}");

    // Tier B with no amplifier.
    let mut text = seed_text();
    let start = text.find("[soa]").unwrap();
    let end = text.find("[saturable_absorber]").unwrap();
    text.replace_range(start..end, "");
    let err = rig_from(&text).unwrap_err();
    expect_one(&err, ErrorKind::Topology, "rig.tier", None);

    // More wavelengths than the band holds.
    let wdm = presets::text(DescKind::Rig, "wdm-bw-64").unwrap();
    let text = edit(wdm, "channels", "channels = 100");
    let err = rig_from(&text).unwrap_err();
    expect_one(&err, ErrorKind::Topology, "topology.channels", None);
    assert!(err.to_string().contains("4.4 THz"), "{err}");
}

/// The optics holds only the weight cells it has: 10¹² weights on a 1024 × 1024 crossbar are
/// refused, naming the key; more banks of cells are allowed, and the capacity follows them.
#[test]
fn a_rig_holds_no_more_weights_than_its_cells() {
    let err = load_rig("tier-c-1024", &["weights.capacity=1000000000000".into()]).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    let e = &err.0[0];
    assert_eq!(e.kind, ErrorKind::Topology);
    assert_eq!(e.key.as_deref(), Some("weights.capacity"));
    assert_eq!(e.file, "--set weights.capacity");
    assert!(err.to_string().contains("1048576 weight cells"), "{err}");
    let rig = load_rig("tier-c-1024", &["weights.banks=4".into()])
        .unwrap()
        .value;
    assert_eq!(rig.weight_capacity(), 4 * 1024 * 1024);
    let rig = load_rig("tier-c-1024", &["topology.channels=256".into()])
        .unwrap()
        .value;
    assert_eq!(rig.weight_capacity(), 256 * 1024);
}

#[test]
fn width_not_divisible_into_channels_names_both_files() {
    let rig = load_rig(
        "seed-16ch",
        &["topology.channels=24".into(), "weights.capacity=384".into()],
    )
    .unwrap();
    let wl = load_workload("deep-loop-2048", &[]).unwrap();
    let err = lightloop_rig::check_pair(&rig, &wl).unwrap_err();
    let e = &err.0[0];
    assert_eq!(e.kind, ErrorKind::Topology);
    assert_eq!(e.key.as_deref(), Some("model.d_model"));
    assert_eq!(e.file, "preset deep-loop-2048");
    assert!(e.line.is_some());
    assert!(e.message.contains("24"), "{err}");

    // The same rig, asked to hold a state longer than its delay line.
    let rig = load_rig("seed-16ch", &["topology.slots_per_channel=64".into()]).unwrap();
    let err = lightloop_rig::check_pair(&rig, &wl).unwrap_err();
    assert!(err.to_string().contains("slots per channel"), "{err}");
}

#[test]
fn fixed_weight_optics_cannot_run_a_transformer() {
    let rig = load_rig("lighton-opu", &[]).unwrap();
    let wl = load_workload("llama-3-8b", &[]).unwrap();
    let err = lightloop_rig::check_pair(&rig, &wl).unwrap_err();
    assert!(err.mentions_key("topology.architecture"), "{err}");
}

#[test]
fn overrides_are_located_on_the_command_line() {
    let err = load_rig("seed-16ch", &["laser.power=\"-3 W\"".into()]).unwrap_err();
    let e = &err.0[0];
    assert_eq!(e.file, "--set laser.power");
    assert_eq!(e.kind, ErrorKind::Value, "{err}");
    assert_eq!(e.line, Some(1));
    let err = load_rig("seed-16ch", &["laser.power=-3 W".into()]).unwrap_err();
    assert_eq!(err.0[0].file, "--set laser.power", "{err}");
    let err = load_rig("seed-16ch", &["laser".into()]).unwrap_err();
    assert_eq!(err.0[0].kind, ErrorKind::Syntax);
}

#[test]
fn extends_chain_reports_the_layer_that_holds_the_key() {
    // single-channel extends seed-16ch: a problem in an inherited key points at the base preset.
    let rig = load_rig("single-channel", &[]).unwrap();
    assert_eq!(rig.value.topology.channels, 1);
    assert_eq!(rig.value.laser.power.si(), 0.01);
    let loc = rig
        .doc
        .locate("laser.power", lightloop_rig::document::Point::Value)
        .unwrap();
    assert_eq!(loc.origin, "preset seed-16ch");
    let loc = rig
        .doc
        .locate("topology.channels", lightloop_rig::document::Point::Value)
        .unwrap();
    assert_eq!(loc.origin, "preset single-channel");
}

#[test]
fn extends_errors() {
    let err = rig_from("extends = \"no-such-rig\"\n").unwrap_err();
    assert_eq!(err.0[0].kind, ErrorKind::Preset);
    assert_eq!(err.0[0].line, Some(1));
    let err = rig_from("extends = \"seed-16cj\"\n").unwrap_err();
    assert!(
        err.to_string().contains("did you mean `seed-16ch`"),
        "{err}"
    );
    let err = rig_from("extends = 3\n").unwrap_err();
    assert_eq!(err.0[0].kind, ErrorKind::WrongType);

    let dir = std::env::temp_dir().join(format!("lightloop-extends-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.toml"), "extends = \"b.toml\"\n").unwrap();
    std::fs::write(dir.join("b.toml"), "extends = \"a.toml\"\n").unwrap();
    let err = Document::from_file(DescKind::Rig, &dir.join("a.toml")).unwrap_err();
    assert_eq!(err.0[0].kind, ErrorKind::Preset);
    assert!(err.to_string().contains("loops"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_file_and_unknown_preset() {
    let err = load_rig("no/such/rig.toml", &[]).unwrap_err();
    assert_eq!(err.0[0].kind, ErrorKind::Io);
    let err = load_rig("seed16ch", &[]).unwrap_err();
    assert_eq!(err.0[0].kind, ErrorKind::Preset);
    assert!(
        err.to_string().contains("did you mean `seed-16ch`"),
        "{err}"
    );
}

#[test]
fn several_problems_are_all_reported() {
    let text = edit(&seed_text(), "enob", "enob = 12");
    let text = edit(&text, "dark_current", "dark_current = \"-1 nA\"");
    let err = rig_from(&text).unwrap_err();
    assert!(err.0.len() >= 2, "{err}");
    assert!(err.to_string().contains("problems"), "{err}");
}

#[test]
fn workload_checks() {
    let base = presets::text(DescKind::Workload, "llama-3-8b").unwrap();
    let text = edit(base, "kv_heads", "kv_heads = 5");
    let err = wl_from(&text).unwrap_err();
    assert!(err.mentions_key("model.kv_heads"), "{err}");
    assert_eq!(err.0[0].file, "model.toml");
    assert_eq!(err.0[0].line, Some(line_of(&text, "kv_heads = 5")));

    let text = edit(base, "generated_tokens", "generated_tokens = 9000");
    let err = wl_from(&text).unwrap_err();
    assert!(err.mentions_key("run.generated_tokens"), "{err}");

    let text = edit(base, "optical_ops", "optical_ops = [\"qkv\", \"qkv\"]");
    let err = wl_from(&text).unwrap_err();
    assert!(err.mentions_key("run.optical_ops[1]"), "{err}");
    assert_eq!(err.0[0].line, Some(line_of(&text, "optical_ops")));

    let text = edit(base, "optical_ops", "optical_ops = [\"qkv\", \"softmax\"]");
    let err = wl_from(&text).unwrap_err();
    assert!(err.mentions_key("run.optical_ops[1]"), "{err}");
    assert_eq!(err.0[0].kind, ErrorKind::Value);

    let deep = presets::text(DescKind::Workload, "deep-loop-2048").unwrap();
    let text = edit(
        deep,
        "micro_steps",
        "micro_steps = 256\nhalting_depth = 300.0",
    );
    let err = wl_from(&text).unwrap_err();
    assert!(err.mentions_key("loop.halting_depth"), "{err}");
}

#[test]
fn not_utf8_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("lightloop-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bad.toml");
    std::fs::write(&p, b"[rig]\nname = \"\xff\xfe\"\n").unwrap();
    let err = Document::from_file(DescKind::Rig, &p).unwrap_err();
    assert_eq!(err.0[0].kind, ErrorKind::Syntax);
    assert!(err.to_string().contains("UTF-8"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_selector_must_settle_within_a_slot() {
    let good = "\n[selector]\nswitching_time = \"500 ps\"\nextinction_ratio = \"25 dB\"\ninsertion_loss = \"1 dB\"\ninsertion_loss_spread = \"0.3 dB\"\n";
    let text = seed_text() + good;
    let rig = rig_from(&text).unwrap();
    assert_eq!(rig.selector.unwrap().switching_time.si(), 500e-12);

    let slow = text.replace("\"500 ps\"", "\"8 ns\"");
    let err = rig_from(&slow).unwrap_err();
    expect_one(
        &err,
        ErrorKind::Topology,
        "selector.switching_time",
        Some(line_of(&slow, "switching_time")),
    );
    let gain = text.replace("insertion_loss = \"1 dB\"", "insertion_loss = \"-1 dB\"");
    let err = rig_from(&gain).unwrap_err();
    expect_one(&err, ErrorKind::Value, "selector.insertion_loss", None);
    let typo = text.replace("extinction_ratio", "extintion_ratio");
    let err = rig_from(&typo).unwrap_err();
    assert!(err.to_string().contains("extinction_ratio"), "{err}");
}

#[test]
fn three_misspelt_keys_a_missing_unit_and_a_range_error_in_one_report() {
    let text = edit(&seed_text(), "rin =", "rim = \"-150 dB/Hz\"");
    let text = edit(&text, "bits =", "bitz = 8");
    let text = edit(&text, "linewidth", "linewidh = \"1 MHz\"");
    let text = edit(&text, "symbol_period", "symbol_period = \"6\"");
    let text = edit(&text, "dark_current", "dark_current = \"-1 nA\"");
    let err = rig_from(&text).unwrap_err();
    expect_one(
        &err,
        ErrorKind::UnknownKey,
        "laser.rim",
        Some(line_of(&text, "rim =")),
    );
    expect_one(
        &err,
        ErrorKind::UnknownKey,
        "laser.linewidh",
        Some(line_of(&text, "linewidh =")),
    );
    expect_one(
        &err,
        ErrorKind::UnknownKey,
        "dac.bitz",
        Some(line_of(&text, "bitz =")),
    );
    expect_one(
        &err,
        ErrorKind::Unit,
        "topology.symbol_period",
        Some(line_of(&text, "symbol_period")),
    );
    expect_one(
        &err,
        ErrorKind::Value,
        "photodiode.dark_current",
        Some(line_of(&text, "dark_current")),
    );
    // A misspelling is one mistake: the key it stands for is not also reported missing.
    assert_eq!(err.0.len(), 5, "{err}");
    // In the order of the file's lines.
    let lines: Vec<usize> = err.0.iter().filter_map(|e| e.line).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

/// The seed rig with an `[impairments]` and a `[mode_multiplexing]` section appended.
fn impaired(impairments: &str, modes: &str) -> String {
    format!(
        "{}\n[impairments]\n{impairments}\n[mode_multiplexing]\n{modes}\n",
        seed_text()
    )
}

#[test]
fn impairment_keys_are_checked_with_file_line_and_key() {
    // A valid set parses, with its units converted (17 ps/(nm·km) = 1.7e-5 s/m²).
    let ok = impaired(
        "gain_tilt = \"1 dB\"\ngain_ripple = \"0.5 dB\"\ndispersion = \"17 ps/(nm·km)\"\nspectral_width = \"0.1 nm\"\npolarisation_dependent_gain = \"0.5 dB\"",
        "modes = 3\nmode_dependent_loss = \"0.5 dB\"\ncrosstalk = \"-30 dB\"\nmux_insertion_loss = \"4 dB\"\nmux_power = \"1 W\"",
    );
    let rig = rig_from(&ok).unwrap();
    let im = rig.impairments.as_ref().unwrap();
    assert!((im.dispersion.unwrap().si() - 17e-6).abs() < 1e-18);
    assert!((im.spectral_width.unwrap().si() - 0.1e-9).abs() < 1e-24);
    assert_eq!(rig.modes(), 3);
    assert_eq!(rig.lanes(), 3.0);
    assert!(
        rig.mode_multiplexing
            .as_ref()
            .unwrap()
            .amplifier_supports_modes
    );

    // An unknown key, on its line.
    let text = impaired("gain_tilts = \"1 dB\"", "modes = 3");
    let err = rig_from(&text).unwrap_err();
    expect_one(
        &err,
        ErrorKind::UnknownKey,
        "impairments.gain_tilts",
        Some(line_of(&text, "gain_tilts")),
    );
    // A unit of the wrong kind.
    let text = impaired("dispersion = \"17 ps/nm\"", "modes = 3");
    let err = rig_from(&text).unwrap_err();
    expect_one(
        &err,
        ErrorKind::Unit,
        "impairments.dispersion",
        Some(line_of(&text, "dispersion =")),
    );
    // Values out of range.
    let text = impaired("polarisation_dependent_gain = \"-1 dB\"", "modes = 3");
    expect_one(
        &rig_from(&text).unwrap_err(),
        ErrorKind::Value,
        "impairments.polarisation_dependent_gain",
        Some(line_of(&text, "polarisation_dependent_gain")),
    );
    let text = impaired("gain_tilt = \"1 dB\"", "modes = 3\ncrosstalk = \"3 dB\"");
    expect_one(
        &rig_from(&text).unwrap_err(),
        ErrorKind::Value,
        "mode_multiplexing.crosstalk",
        Some(line_of(&text, "crosstalk = \"3 dB\"")),
    );
    let text = impaired("gain_tilt = \"1 dB\"", "modes = 0");
    expect_one(
        &rig_from(&text).unwrap_err(),
        ErrorKind::Value,
        "mode_multiplexing.modes",
        None,
    );
    // The modes are required once the section is there.
    let text = impaired("gain_tilt = \"1 dB\"", "crosstalk = \"-30 dB\"");
    expect_one(
        &rig_from(&text).unwrap_err(),
        ErrorKind::MissingKey,
        "mode_multiplexing.modes",
        None,
    );
}

#[test]
fn impairment_sections_round_trip_through_toml() {
    // Written back as TOML (dispersion in s/m², exactly) and read again: the same values.
    let rig = load_rig("seed-mdm-3", &[]).unwrap().value;
    let text = toml::to_string(&rig).unwrap();
    let again = rig_from(&text).unwrap();
    let (a, b) = (
        rig.impairments.as_ref().unwrap(),
        again.impairments.as_ref().unwrap(),
    );
    assert_eq!(a.dispersion, b.dispersion);
    assert!((b.dispersion.unwrap().si() - 17e-6).abs() < 1e-20);
    assert_eq!(a.gain_tilt, b.gain_tilt);
    assert_eq!(a.gain_ripple, b.gain_ripple);
    assert_eq!(a.ripple_periods, b.ripple_periods);
    assert_eq!(a.polarisation_dependent_gain, b.polarisation_dependent_gain);
    let (m, n) = (
        rig.mode_multiplexing.as_ref().unwrap(),
        again.mode_multiplexing.as_ref().unwrap(),
    );
    assert_eq!(
        (
            m.modes,
            m.crosstalk,
            m.mux_insertion_loss,
            m.amplifier_supports_modes
        ),
        (
            n.modes,
            n.crosstalk,
            n.mux_insertion_loss,
            n.amplifier_supports_modes
        )
    );
    assert_eq!(again.lanes(), 96.0);
    // A rig without the sections writes none.
    let seed = load_rig("seed-16ch", &[]).unwrap().value;
    let text = toml::to_string(&seed).unwrap();
    assert!(!text.contains("impairments") && !text.contains("mode_multiplexing"));
}
