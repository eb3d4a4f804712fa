//! `acm simulate`: a seeded generator of labelled carrier traffic — ordinary
//! calls, the legitimate traffic that looks like fraud, and call-masking
//! attacks — for measuring detection quality with `acm quality`.
//!
//! Deterministic: the same options and seed give the same bytes, on every
//! platform (PCG-64 from `rand_pcg`, integer and `f64` draws only; the crate
//! versions are pinned by Cargo.lock). Each traffic component draws from its
//! own generator derived from the seed, so changing the volume of one
//! component leaves the others' draws alone.
//!
//! Output: a CDR CSV (`call_id,timestamp,a_number,b_number,source_ip,trunk,pai,attestation`)
//! sorted by time, and a labels CSV (`call_id,class,type,instance`) with the
//! ground truth of every call.

pub mod attacks;
pub mod legit;
pub mod network;

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

/// What a simulated call really is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    // Legitimate traffic.
    Subscriber,
    CarrierTrunk,
    International,
    Roaming,
    Wholesale,
    Hotline,
    RadioPhoneIn,
    CallCentre,
    Pbx,
    Conference,
    Callback,
    // Attacks.
    MaskingBurst,
    SlowMasking,
    SimBox,
    CliRotation,
    IntlLocalCli,
    InvalidCli,
}

impl Kind {
    pub const ALL: [Kind; 17] = [
        Kind::Subscriber,
        Kind::CarrierTrunk,
        Kind::International,
        Kind::Roaming,
        Kind::Wholesale,
        Kind::Hotline,
        Kind::RadioPhoneIn,
        Kind::CallCentre,
        Kind::Pbx,
        Kind::Conference,
        Kind::Callback,
        Kind::MaskingBurst,
        Kind::SlowMasking,
        Kind::SimBox,
        Kind::CliRotation,
        Kind::IntlLocalCli,
        Kind::InvalidCli,
    ];
    pub const ATTACKS: [Kind; 6] = [
        Kind::MaskingBurst,
        Kind::SlowMasking,
        Kind::SimBox,
        Kind::CliRotation,
        Kind::IntlLocalCli,
        Kind::InvalidCli,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Subscriber => "subscriber",
            Kind::CarrierTrunk => "carrier_trunk",
            Kind::International => "international",
            Kind::Roaming => "roaming",
            Kind::Wholesale => "wholesale",
            Kind::Hotline => "hotline",
            Kind::RadioPhoneIn => "radio_phone_in",
            Kind::CallCentre => "call_centre",
            Kind::Pbx => "pbx",
            Kind::Conference => "conference",
            Kind::Callback => "callback",
            Kind::MaskingBurst => "masking_burst",
            Kind::SlowMasking => "slow_masking",
            Kind::SimBox => "simbox",
            Kind::CliRotation => "cli_rotation",
            Kind::IntlLocalCli => "intl_local_cli",
            Kind::InvalidCli => "invalid_cli",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn is_attack(self) -> bool {
        self >= Kind::MaskingBurst
    }
}

/// One generated call with its ground truth.
#[derive(Debug, Clone)]
pub struct SimCall {
    pub time_ms: i64,
    pub a: String,
    pub b: String,
    pub source_ip: Option<IpAddr>,
    pub trunk: Option<String>,
    pub pai: Option<String>,
    pub attestation: &'static str,
    pub kind: Kind,
    /// Attack instance number within its kind (0 for legitimate calls).
    pub instance: u32,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub seed: u64,
    /// Legitimate calls (about; attacks come on top).
    pub calls: u64,
    /// Simulated duration.
    pub hours: u32,
    /// Attack instances per attack type per hour, before the mix weights.
    pub attack_intensity: f64,
    /// Weight per attack type (1.0 each by default; 0 turns a type off).
    pub mix: Vec<(Kind, f64)>,
    /// Start of the simulated day (epoch ms). Default: 2024-03-04T00:00 in Lagos.
    pub start_ms: i64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 1,
            calls: 1_000_000,
            hours: 24,
            attack_intensity: 4.0,
            mix: Kind::ATTACKS.iter().map(|k| (*k, 1.0)).collect(),
            start_ms: 1_709_506_800_000,
        }
    }
}

impl SimOptions {
    /// Parses `masking_burst=2,simbox=0` into the mix.
    pub fn set_mix(&mut self, spec: &str) -> Result<(), String> {
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, w) = part
                .split_once('=')
                .ok_or_else(|| format!("--mix {part:?}: expected TYPE=WEIGHT"))?;
            let kind = Kind::parse(k.trim())
                .filter(|k| k.is_attack())
                .ok_or_else(|| {
                    let names: Vec<&str> = Kind::ATTACKS.iter().map(|k| k.name()).collect();
                    format!("--mix {part:?}: attack types are {}", names.join(", "))
                })?;
            let w: f64 = w
                .trim()
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite() && *w >= 0.0)
                .ok_or_else(|| format!("--mix {part:?}: weight must be a number >= 0"))?;
            for e in &mut self.mix {
                if e.0 == kind {
                    e.1 = w;
                }
            }
        }
        Ok(())
    }

    pub fn duration_ms(&self) -> i64 {
        self.hours as i64 * 3_600_000
    }
}

/// Relative call volume per local hour (Lagos), midnight first.
pub const DAILY: [f64; 24] = [
    0.25, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 1.0, 1.4, 1.6, 1.7, 1.7, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6,
    1.5, 1.4, 1.3, 1.1, 0.8, 0.45,
];
/// Business hours (08:00 to 18:00), a lull at lunch.
pub const BUSINESS: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.8, 1.0, 1.0, 1.0, 0.7, 0.8, 1.0, 1.0, 0.9, 0.6, 0.1,
    0.0, 0.0, 0.0, 0.0, 0.0,
];

/// Draws event times following an hourly profile over the simulated span.
pub struct Rhythm {
    start_ms: i64,
    cum: Vec<f64>,
}

impl Rhythm {
    /// `start_ms` is local midnight of the first day.
    pub fn new(start_ms: i64, hours: u32, profile: &[f64; 24]) -> Rhythm {
        let mut cum = Vec::with_capacity(hours as usize);
        let mut acc = 0.0;
        for h in 0..hours as usize {
            acc += profile[h % 24];
            cum.push(acc);
        }
        Rhythm { start_ms, cum }
    }

    pub fn sample(&self, rng: &mut Pcg64) -> i64 {
        let total = *self.cum.last().unwrap_or(&0.0);
        let u = rng.random::<f64>() * total;
        let h = self
            .cum
            .partition_point(|c| *c <= u)
            .min(self.cum.len() - 1);
        self.start_ms + h as i64 * 3_600_000 + rng.random_range(0..3_600_000i64)
    }
}

/// Zipf-like popularity: weight of rank i is (i + offset)^-s.
pub struct Zipf {
    cum: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64, offset: f64) -> Zipf {
        let mut cum = Vec::with_capacity(n);
        let mut acc = 0.0;
        for i in 0..n {
            acc += (i as f64 + offset).powf(-s);
            cum.push(acc);
        }
        Zipf { cum }
    }

    pub fn sample(&self, rng: &mut Pcg64) -> usize {
        let u = rng.random::<f64>() * self.cum.last().copied().unwrap_or(0.0);
        self.cum
            .partition_point(|c| *c <= u)
            .min(self.cum.len() - 1)
    }

    /// Share of the draws that go to rank i.
    pub fn share(&self, i: usize) -> f64 {
        let prev = if i == 0 { 0.0 } else { self.cum[i - 1] };
        (self.cum[i] - prev) / self.cum.last().copied().unwrap_or(1.0)
    }
}

/// A generator for one component, derived from the seed and a component tag.
pub fn component_rng(seed: u64, tag: &str) -> Pcg64 {
    let h = crate::contract::stable_hash(tag.as_bytes());
    Pcg64::seed_from_u64(seed ^ h.rotate_left(17))
}

/// Generates the whole labelled traffic, sorted by time (ties in generation order).
pub fn generate(opts: &SimOptions) -> Vec<SimCall> {
    let mut calls = legit::generate(opts);
    calls.extend(attacks::generate(opts));
    calls.sort_by_key(|c| c.time_ms);
    calls
}

/// Call id of the i-th call of a simulated run.
pub fn call_id(i: usize) -> String {
    format!("sim-{i:09}")
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Writes the CDR CSV.
pub fn write_cdrs(calls: &[SimCall], w: impl Write) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "call_id",
        "timestamp",
        "a_number",
        "b_number",
        "source_ip",
        "trunk",
        "pai",
        "attestation",
    ])?;
    for (i, c) in calls.iter().enumerate() {
        out.write_record([
            call_id(i).as_str(),
            &rfc3339(c.time_ms),
            &c.a,
            &c.b,
            &c.source_ip.map(|ip| ip.to_string()).unwrap_or_default(),
            c.trunk.as_deref().unwrap_or(""),
            c.pai.as_deref().unwrap_or(""),
            c.attestation,
        ])?;
    }
    out.flush()
}

/// Writes the labels CSV.
pub fn write_labels(calls: &[SimCall], w: impl Write) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["call_id", "class", "type", "instance"])?;
    for (i, c) in calls.iter().enumerate() {
        let instance = if c.kind.is_attack() {
            format!("{}-{:05}", c.kind.name(), c.instance)
        } else {
            String::new()
        };
        out.write_record([
            call_id(i).as_str(),
            if c.kind.is_attack() {
                "attack"
            } else {
                "legit"
            },
            c.kind.name(),
            &instance,
        ])?;
    }
    out.flush()
}

/// An output file, gzip-compressed when its name ends in `.gz`.
pub enum Output {
    Plain(std::io::BufWriter<std::fs::File>),
    Gzip(flate2::write::GzEncoder<std::io::BufWriter<std::fs::File>>),
}

impl Output {
    pub fn create(path: &std::path::Path) -> Result<Output, String> {
        let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let w = std::io::BufWriter::with_capacity(1 << 16, f);
        Ok(if path.extension().is_some_and(|e| e == "gz") {
            Output::Gzip(flate2::write::GzEncoder::new(
                w,
                flate2::Compression::fast(),
            ))
        } else {
            Output::Plain(w)
        })
    }

    /// Flushes, and writes the gzip trailer.
    pub fn finish(self) -> std::io::Result<()> {
        match self {
            Output::Plain(mut w) => w.flush(),
            Output::Gzip(g) => g.finish()?.flush(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Plain(w) => w.write(buf),
            Output::Gzip(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Plain(w) => w.flush(),
            Output::Gzip(w) => w.flush(),
        }
    }
}

/// `acm simulate` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Seed: the same seed and options give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The CDR CSV to write (.gz: gzip).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The labels CSV to write (call_id,class,type,instance).
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Legitimate calls to generate (attacks come on top).
    #[arg(long, default_value_t = 1_000_000)]
    pub calls: u64,
    /// Simulated hours, starting at local midnight.
    #[arg(long, default_value_t = 24)]
    pub hours: u32,
    /// Attack instances per attack type per hour.
    #[arg(long, default_value_t = 4.0)]
    pub attack_intensity: f64,
    /// Weights of the attack types, TYPE=WEIGHT,... (masking_burst,
    /// slow_masking, simbox, cli_rotation, intl_local_cli, invalid_cli; 1 each).
    #[arg(long, value_name = "TYPE=WEIGHT")]
    pub mix: Option<String>,
    /// Write the simulated network's deployment configuration (allowlists,
    /// international trunks, barred ranges; rules at their defaults).
    #[arg(long, value_name = "FILE")]
    pub write_config: Option<PathBuf>,
}

impl SimulateArgs {
    pub fn options(&self) -> Result<SimOptions, String> {
        let mut o = SimOptions {
            seed: self.seed,
            calls: self.calls,
            hours: self.hours.max(1),
            attack_intensity: self.attack_intensity.max(0.0),
            ..SimOptions::default()
        };
        if let Some(m) = &self.mix {
            o.set_mix(m)?;
        }
        Ok(o)
    }
}

/// `acm simulate`.
pub fn run(args: &SimulateArgs) -> Result<(), String> {
    if let Some(p) = &args.write_config {
        std::fs::write(p, network::deployment_config())
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if args.out.is_none() && args.labels.is_none() {
        if args.write_config.is_none() {
            return Err("nothing to write: give --out, --labels or --write-config".into());
        }
        return Ok(());
    }
    let calls = generate(&args.options()?);
    let io = |p: &PathBuf, e: std::io::Error| format!("{}: {e}", p.display());
    if let Some(p) = &args.out {
        let mut w = Output::create(p)?;
        write_cdrs(&calls, &mut w).map_err(|e| io(p, e))?;
        w.finish().map_err(|e| io(p, e))?;
    }
    if let Some(p) = &args.labels {
        let mut w = Output::create(p)?;
        write_labels(&calls, &mut w).map_err(|e| io(p, e))?;
        w.finish().map_err(|e| io(p, e))?;
    }
    let attacks = calls.iter().filter(|c| c.kind.is_attack()).count();
    eprintln!(
        "acm simulate: {} calls ({} legitimate, {} attack)",
        calls.len(),
        calls.len() - attacks,
        attacks
    );
    Ok(())
}
