// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `acm simulate` command line: options, output files, the deployment
//! configurations, and a summary on stderr.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{generate, network, output, CdrFormat, Kind, Output, SimOptions};

/// `acm simulate` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Seed: the same seed and options give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The CDR CSV to write (.gz: gzip).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The labels CSV to write (call_id,class,type,instance,intensity,variant).
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// CDR columns: full (with PAI and attestation) or hidden (the hidden
    /// evaluation set's call_id,a_number,b_number,timestamp_ms,source_ip,trunk).
    #[arg(long, value_enum, default_value_t = CdrFormat::Full)]
    pub format: CdrFormat,
    /// Simulated hours.
    #[arg(long, default_value_t = 2)]
    pub hours: u32,
    /// Local hour (Lagos) the span starts at.
    #[arg(long, default_value_t = 9, value_parser = clap::value_parser!(u32).range(0..24))]
    pub start_hour: u32,
    /// The simulated day, YYYY-MM-DD (local midnight in Lagos, UTC+1).
    #[arg(long, default_value = "2024-03-04")]
    pub date: String,
    /// Multiplies every legitimate class's rate (1: ~185 calls/s at the busy
    /// hour); PBXs and businesses on mobiles are fewer, each as busy.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Legitimate classes' volumes, CLASS=MULTIPLIER,... (0 turns a class
    /// off): subscriber, interconnect, international, roaming, wholesale,
    /// hotline, radio_phone_in, conference, call_centre, pbx,
    /// heavy_subscriber, callback. Repeatable.
    #[arg(long = "volume", value_name = "CLASS=X")]
    pub volume: Vec<String>,
    /// Attack instances per family per hour (before --mix).
    #[arg(long, default_value_t = 30.0)]
    pub attacks_per_hour: f64,
    /// Attack families' weights, FAMILY=WEIGHT,... (masking_burst,
    /// refiled_masking, simbox, cli_rotation, intl_local_cli, invalid_cli;
    /// 1 each; 0 turns one off). Repeatable.
    #[arg(long, value_name = "FAMILY=WEIGHT")]
    pub mix: Vec<String>,
    /// Intensity ranges, FAMILY=LO..HI or FAMILY=X (fixed), drawn log-uniform.
    /// Units: masking_burst calls/s into one callee (default 1..10),
    /// refiled_masking fresh CLIs/min into one callee (1.3..20), simbox
    /// calls/min per SIM (1..6), cli_rotation new CLIs/s (0.5..20),
    /// intl_local_cli and invalid_cli calls per instance (1..40, 1..20).
    #[arg(long = "intensity", value_name = "FAMILY=LO..HI")]
    pub intensity: Vec<String>,
    /// Variants' weights, FAMILY.VARIANT=WEIGHT,... e.g. simbox.gateway=0,
    /// intl_local_cli.pai=0.2 (off by default: the hidden format has no PAI).
    #[arg(long = "variant-mix", value_name = "FAMILY.VARIANT=W")]
    pub variant_mix: Vec<String>,
    /// Attack shapes, KEY=LO..HI: burst_calls (6..30), refiled_clis (3..6),
    /// simbox_sims (1..16), simbox_minutes (10..60), rotation_seconds
    /// (60..300), intl_span_s (10..600), invalid_span_s (5..300).
    #[arg(long = "shape", value_name = "KEY=LO..HI")]
    pub shape: Vec<String>,
    /// Write the simulated network's deployment configuration: what the
    /// hidden set's operator names (international gateways, hotlines and
    /// bridges, call-centre CLIs); rules at their defaults.
    #[arg(long, value_name = "FILE")]
    pub write_config: Option<PathBuf>,
    /// Write the configuration with no allow lists (only the gateways named).
    #[arg(long, value_name = "FILE")]
    pub write_config_no_allowlists: Option<PathBuf>,
}

/// Local midnight in Lagos (UTC+1) of `YYYY-MM-DD`, epoch ms.
fn lagos_midnight(date: &str) -> Result<i64, String> {
    let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|e| format!("--date {date:?}: {e} (expected YYYY-MM-DD)"))?;
    let utc = d
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis();
    Ok(utc - 3_600_000)
}

impl SimulateArgs {
    pub fn options(&self) -> Result<SimOptions, String> {
        if !(self.scale.is_finite() && self.scale >= 0.0) {
            return Err("--scale must be a number >= 0".into());
        }
        if !(self.attacks_per_hour.is_finite() && self.attacks_per_hour >= 0.0) {
            return Err("--attacks-per-hour must be a number >= 0".into());
        }
        let mut o = SimOptions {
            seed: self.seed,
            hours: self.hours.max(1),
            day_ms: lagos_midnight(&self.date)?,
            start_hour: self.start_hour,
            scale: self.scale,
            attacks_per_hour: self.attacks_per_hour,
            ..SimOptions::default()
        };
        for s in &self.volume {
            o.set_volumes(s)?;
        }
        for s in &self.mix {
            o.set_mix(s)?;
        }
        for s in &self.intensity {
            o.set_intensity(s)?;
        }
        for s in &self.variant_mix {
            o.set_variants(s)?;
        }
        for s in &self.shape {
            o.set_shape(s)?;
        }
        Ok(o)
    }
}

fn write_file(
    p: &std::path::Path,
    f: impl FnOnce(&mut Output) -> std::io::Result<()>,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("{}: {e}", p.display());
    let mut w = Output::create(p)?;
    f(&mut w).map_err(io)?;
    w.finish().map_err(io)
}

/// `acm simulate`.
pub fn run(args: &SimulateArgs) -> Result<(), String> {
    let opts = args.options()?;
    for (path, lists) in [
        (&args.write_config, true),
        (&args.write_config_no_allowlists, false),
    ] {
        if let Some(p) = path {
            std::fs::write(p, network::deployment_config(lists))
                .map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    if args.out.is_none() && args.labels.is_none() {
        if args.write_config.is_none() && args.write_config_no_allowlists.is_none() {
            return Err(
                "nothing to write: give --out, --labels, --write-config or --write-config-no-allowlists"
                    .into(),
            );
        }
        return Ok(());
    }
    let calls = generate(&opts);
    if let Some(p) = &args.out {
        write_file(p, |w| match args.format {
            CdrFormat::Full => output::write_cdrs(&calls, w),
            CdrFormat::Hidden => output::write_cdrs_hidden(&calls, w),
        })?;
    }
    if let Some(p) = &args.labels {
        write_file(p, |w| output::write_labels(&calls, w))?;
    }
    let mut per_kind: BTreeMap<Kind, (u64, std::collections::BTreeSet<u32>)> = BTreeMap::new();
    for c in &calls {
        let e = per_kind.entry(c.kind).or_default();
        e.0 += 1;
        if c.kind.is_attack() {
            e.1.insert(c.instance);
        }
    }
    let attacks: u64 = per_kind
        .iter()
        .filter(|(k, _)| k.is_attack())
        .map(|(_, v)| v.0)
        .sum();
    eprintln!(
        "acm simulate: {} calls over {} h ({} legitimate, {} attack), seed {}",
        calls.len(),
        opts.hours,
        calls.len() as u64 - attacks,
        attacks,
        opts.seed
    );
    for (k, (n, inst)) in &per_kind {
        if k.is_attack() {
            eprintln!(
                "  {:<17} {:>9} calls, {:>4} instances, intensity {} {}",
                k.name(),
                n,
                inst.len(),
                opts.intensity_of(*k),
                k.intensity_unit()
            );
        } else {
            eprintln!("  {:<17} {:>9} calls", k.name(), n);
        }
    }
    Ok(())
}
