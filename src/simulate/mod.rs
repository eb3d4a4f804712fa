// SPDX-License-Identifier: MIT OR Apache-2.0
//! `acm simulate`: a seeded generator of labelled carrier traffic — ordinary
//! calls, the legitimate traffic that looks like fraud at realistic volumes,
//! and call-masking attacks as numbered instances whose intensity is swept
//! over a wide range — for measuring detection with `acm quality`.
//!
//! Deterministic: the same options and seed give the same bytes, on every
//! platform (PCG-64 from `rand_pcg`, integer and `f64` draws only; the crate
//! versions are pinned by Cargo.lock). Each traffic component draws from its
//! own generator derived from the seed, so changing the volume of one
//! component leaves the others' draws alone.
//!
//! Output ([`output`]): a CDR CSV sorted by time — the full form
//! (`call_id,timestamp,a_number,b_number,source_ip,trunk,pai,attestation`) or
//! the hidden evaluation set's six columns
//! (`call_id,a_number,b_number,timestamp_ms,source_ip,trunk`) — and a labels
//! CSV (`call_id,class,type,instance,intensity,variant`).
//!
//! The shapes and where they come from: docs/QUALITY.md, "The simulator".

pub mod attacks;
pub mod cli;
pub mod legit;
pub mod network;
pub mod output;
pub mod plan;
pub mod rhythm;

use std::net::IpAddr;

use compact_str::CompactString;
use rand::SeedableRng;
use rand_pcg::Pcg64;

pub use cli::{run, SimulateArgs};
pub use output::{call_id, write_cdrs, write_cdrs_hidden, write_labels, CdrFormat, Output};

/// What a simulated call really is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    // Legitimate traffic.
    Subscriber,
    Interconnect,
    International,
    Roaming,
    Wholesale,
    Hotline,
    RadioPhoneIn,
    Conference,
    CallCentre,
    Pbx,
    HeavySubscriber,
    Callback,
    // Attacks.
    MaskingBurst,
    RefiledMasking,
    SimBox,
    CliRotation,
    IntlLocalCli,
    InvalidCli,
}

impl Kind {
    pub const LEGIT: [Kind; 12] = [
        Kind::Subscriber,
        Kind::Interconnect,
        Kind::International,
        Kind::Roaming,
        Kind::Wholesale,
        Kind::Hotline,
        Kind::RadioPhoneIn,
        Kind::Conference,
        Kind::CallCentre,
        Kind::Pbx,
        Kind::HeavySubscriber,
        Kind::Callback,
    ];
    pub const ATTACKS: [Kind; 6] = [
        Kind::MaskingBurst,
        Kind::RefiledMasking,
        Kind::SimBox,
        Kind::CliRotation,
        Kind::IntlLocalCli,
        Kind::InvalidCli,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Subscriber => "subscriber",
            Kind::Interconnect => "interconnect",
            Kind::International => "international",
            Kind::Roaming => "roaming",
            Kind::Wholesale => "wholesale",
            Kind::Hotline => "hotline",
            Kind::RadioPhoneIn => "radio_phone_in",
            Kind::Conference => "conference",
            Kind::CallCentre => "call_centre",
            Kind::Pbx => "pbx",
            Kind::HeavySubscriber => "heavy_subscriber",
            Kind::Callback => "callback",
            Kind::MaskingBurst => "masking_burst",
            Kind::RefiledMasking => "refiled_masking",
            Kind::SimBox => "simbox",
            Kind::CliRotation => "cli_rotation",
            Kind::IntlLocalCli => "intl_local_cli",
            Kind::InvalidCli => "invalid_cli",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::LEGIT
            .into_iter()
            .chain(Kind::ATTACKS)
            .find(|k| k.name() == s)
    }

    pub fn is_attack(self) -> bool {
        self >= Kind::MaskingBurst
    }

    /// What an attack's intensity measures (higher is louder).
    pub fn intensity_unit(self) -> &'static str {
        match self {
            Kind::MaskingBurst => "calls/s into one callee",
            Kind::RefiledMasking => "fresh CLIs/min into one callee",
            Kind::SimBox => "calls/min per SIM",
            Kind::CliRotation => "new CLIs/s from one source",
            Kind::IntlLocalCli | Kind::InvalidCli => "calls per instance",
            _ => "",
        }
    }

    /// The intensities of the descriptions (the tuning range).
    pub fn default_intensity(self) -> Range {
        let (lo, hi) = match self {
            Kind::MaskingBurst => (1.0, 10.0),
            // 3–6 CLIs spread over 15–90 s.
            Kind::RefiledMasking => (1.3, 20.0),
            Kind::SimBox => (1.0, 6.0),
            Kind::CliRotation => (0.5, 20.0),
            Kind::IntlLocalCli => (1.0, 40.0),
            Kind::InvalidCli => (1.0, 20.0),
            _ => (0.0, 0.0),
        };
        Range { lo, hi }
    }

    /// Intensities that are counts (drawn log-uniform, then rounded).
    pub fn integer_intensity(self) -> bool {
        matches!(self, Kind::IntlLocalCli | Kind::InvalidCli)
    }

    /// An attack's variants (labelled in the `variant` column) and their
    /// default weights.
    pub fn variants(self) -> &'static [(&'static str, f64)] {
        match self {
            Kind::MaskingBurst => &[
                ("wholesale", 0.5),
                ("interconnect", 0.25),
                ("bare_ip", 0.25),
            ],
            Kind::RefiledMasking => &[("invented", 0.7), ("harvested", 0.3)],
            Kind::SimBox => &[("core", 0.5), ("offnet", 0.3), ("gateway", 0.2)],
            Kind::CliRotation => &[
                ("pbx", 1.0 / 3.0),
                ("wholesale", 1.0 / 3.0),
                ("bare_ip", 1.0 / 3.0),
            ],
            Kind::IntlLocalCli => &[("invented", 0.6), ("harvested", 0.4), ("pai", 0.0)],
            Kind::InvalidCli => &[
                ("nsn0", 0.3),
                ("unassigned", 0.4),
                ("length", 0.2),
                ("letters", 0.1),
            ],
            _ => &[],
        }
    }
}

/// One generated call with its ground truth.
#[derive(Debug, Clone)]
pub struct SimCall {
    pub time_ms: i64,
    pub a: CompactString,
    pub b: CompactString,
    pub source_ip: Option<IpAddr>,
    pub trunk: Option<CompactString>,
    pub pai: Option<CompactString>,
    pub attestation: &'static str,
    pub kind: Kind,
    /// Attack instance number within its kind (0 for legitimate calls).
    pub instance: u32,
    /// The instance's intensity, in the unit of [`Kind::intensity_unit`] (0 for legitimate calls).
    pub intensity: f64,
    /// The attack's variant ("" for legitimate calls).
    pub variant: &'static str,
}

/// A closed range of reals (`lo == hi`: fixed).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Range {
    pub lo: f64,
    pub hi: f64,
}

impl Range {
    /// `2`, `0.5..20`.
    pub fn parse(s: &str) -> Result<Range, String> {
        let (lo, hi) = match s.split_once("..") {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (s.trim(), s.trim()),
        };
        let num = |x: &str| -> Result<f64, String> {
            x.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| format!("{x:?} is not a number > 0"))
        };
        let r = Range {
            lo: num(lo)?,
            hi: num(hi)?,
        };
        if r.hi < r.lo {
            return Err(format!("{s:?}: the upper end is below the lower"));
        }
        Ok(r)
    }

    pub fn contains(&self, x: f64) -> bool {
        x >= self.lo * (1.0 - 1e-9) && x <= self.hi * (1.0 + 1e-9)
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.lo == self.hi {
            write!(f, "{}", self.lo)
        } else {
            write!(f, "{}..{}", self.lo, self.hi)
        }
    }
}

/// The attacks' shapes other than their intensity.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// Calls (distinct CLIs) of one masking burst.
    pub burst_calls: Range,
    /// Fresh CLIs of one refiled-masking instance.
    pub refiled_clis: Range,
    /// SIMs of one SIM box.
    pub simbox_sims: Range,
    /// Minutes each SIM of a SIM box is active.
    pub simbox_minutes: Range,
    /// Seconds one rotation lasts.
    pub rotation_seconds: Range,
    /// Seconds over which an intl_local_cli instance's calls fall.
    pub intl_span_s: Range,
    /// Seconds over which an invalid_cli instance's calls fall.
    pub invalid_span_s: Range,
}

impl Default for Shape {
    fn default() -> Self {
        let r = |lo, hi| Range { lo, hi };
        Shape {
            burst_calls: r(6.0, 30.0),
            refiled_clis: r(3.0, 6.0),
            simbox_sims: r(1.0, 16.0),
            simbox_minutes: r(10.0, 60.0),
            rotation_seconds: r(60.0, 300.0),
            intl_span_s: r(10.0, 600.0),
            invalid_span_s: r(5.0, 300.0),
        }
    }
}

impl Shape {
    pub const KEYS: [&'static str; 7] = [
        "burst_calls",
        "refiled_clis",
        "simbox_sims",
        "simbox_minutes",
        "rotation_seconds",
        "intl_span_s",
        "invalid_span_s",
    ];

    fn field(&mut self, key: &str) -> Option<&mut Range> {
        Some(match key {
            "burst_calls" => &mut self.burst_calls,
            "refiled_clis" => &mut self.refiled_clis,
            "simbox_sims" => &mut self.simbox_sims,
            "simbox_minutes" => &mut self.simbox_minutes,
            "rotation_seconds" => &mut self.rotation_seconds,
            "intl_span_s" => &mut self.intl_span_s,
            "invalid_span_s" => &mut self.invalid_span_s,
            _ => return None,
        })
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub seed: u64,
    /// Simulated hours from `start_ms`.
    pub hours: u32,
    /// Local midnight of the simulated day (epoch ms). Default 2024-03-04 in Lagos.
    pub day_ms: i64,
    /// Local hour the span starts at (default 9: the busy hours).
    pub start_hour: u32,
    /// Multiplies every legitimate class's rate; for the classes made of
    /// entities with their own rates (PBXs, businesses on mobiles), the
    /// number of entities (up to all), each as busy.
    pub scale: f64,
    /// Per legitimate class, a multiplier of its rate (0 turns it off).
    pub volumes: Vec<(Kind, f64)>,
    /// Attack instances per family per hour, before the mix weights.
    pub attacks_per_hour: f64,
    /// Weight per attack family (1 each by default; 0 turns it off).
    pub mix: Vec<(Kind, f64)>,
    /// Per attack family, the intensity range instances are drawn from
    /// (log-uniform).
    pub intensity: Vec<(Kind, Range)>,
    /// Per attack family, its variants' weights.
    pub variants: Vec<(Kind, Vec<(&'static str, f64)>)>,
    pub shape: Shape,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 1,
            hours: 2,
            day_ms: 1_709_506_800_000,
            start_hour: 9,
            scale: 1.0,
            volumes: Kind::LEGIT.iter().map(|k| (*k, 1.0)).collect(),
            attacks_per_hour: 30.0,
            mix: Kind::ATTACKS.iter().map(|k| (*k, 1.0)).collect(),
            intensity: Kind::ATTACKS
                .iter()
                .map(|k| (*k, k.default_intensity()))
                .collect(),
            variants: Kind::ATTACKS
                .iter()
                .map(|k| (*k, k.variants().to_vec()))
                .collect(),
            shape: Shape::default(),
        }
    }
}

/// Splits `A=x,B=y` into pairs, naming `flag` in errors.
fn pairs<'a>(flag: &str, spec: &'a str) -> Result<Vec<(&'a str, &'a str)>, String> {
    spec.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| format!("{flag} {p:?}: expected NAME=VALUE"))
        })
        .collect()
}

fn weight(flag: &str, part: &str, w: &str) -> Result<f64, String> {
    w.parse()
        .ok()
        .filter(|w: &f64| w.is_finite() && *w >= 0.0)
        .ok_or_else(|| format!("{flag} {part}={w}: must be a number >= 0"))
}

fn names(kinds: &[Kind]) -> String {
    kinds
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn attack(flag: &str, name: &str) -> Result<Kind, String> {
    Kind::parse(name).filter(|k| k.is_attack()).ok_or_else(|| {
        format!(
            "{flag} {name:?}: attack families are {}",
            names(&Kind::ATTACKS)
        )
    })
}

impl SimOptions {
    /// The span's start (epoch ms).
    pub fn start_ms(&self) -> i64 {
        self.day_ms + self.start_hour as i64 * 3_600_000
    }

    pub fn end_ms(&self) -> i64 {
        self.start_ms() + self.hours as i64 * 3_600_000
    }

    /// `masking_burst=2,simbox=0`: attack families' weights.
    pub fn set_mix(&mut self, spec: &str) -> Result<(), String> {
        for (k, w) in pairs("--mix", spec)? {
            let kind = attack("--mix", k)?;
            let w = weight("--mix", k, w)?;
            self.mix
                .iter_mut()
                .filter(|e| e.0 == kind)
                .for_each(|e| e.1 = w);
        }
        Ok(())
    }

    /// `pbx=2,interconnect=0.5,roaming=0`: legitimate classes' volumes.
    pub fn set_volumes(&mut self, spec: &str) -> Result<(), String> {
        for (k, w) in pairs("--volume", spec)? {
            let kind = Kind::parse(k).filter(|k| !k.is_attack()).ok_or_else(|| {
                format!(
                    "--volume {k:?}: legitimate classes are {}",
                    names(&Kind::LEGIT)
                )
            })?;
            let w = weight("--volume", k, w)?;
            self.volumes
                .iter_mut()
                .filter(|e| e.0 == kind)
                .for_each(|e| e.1 = w);
        }
        Ok(())
    }

    /// `simbox=0.2..12,intl_local_cli=5`: intensity ranges.
    pub fn set_intensity(&mut self, spec: &str) -> Result<(), String> {
        for (k, v) in pairs("--intensity", spec)? {
            let kind = attack("--intensity", k)?;
            let r = Range::parse(v).map_err(|e| format!("--intensity {k}: {e}"))?;
            self.intensity
                .iter_mut()
                .filter(|e| e.0 == kind)
                .for_each(|e| e.1 = r);
        }
        Ok(())
    }

    /// `simbox.gateway=0,invalid_cli.letters=2`: variants' weights.
    pub fn set_variants(&mut self, spec: &str) -> Result<(), String> {
        for (k, w) in pairs("--variant-mix", spec)? {
            let (fam, var) = k
                .split_once('.')
                .ok_or_else(|| format!("--variant-mix {k:?}: expected FAMILY.VARIANT=WEIGHT"))?;
            let kind = attack("--variant-mix", fam)?;
            let w = weight("--variant-mix", k, w)?;
            let list = &mut self
                .variants
                .iter_mut()
                .find(|e| e.0 == kind)
                .expect("every attack family has variants")
                .1;
            let known: Vec<&str> = list.iter().map(|v| v.0).collect();
            let slot = list.iter_mut().find(|v| v.0 == var).ok_or_else(|| {
                format!(
                    "--variant-mix {k:?}: {fam}'s variants are {}",
                    known.join(", ")
                )
            })?;
            slot.1 = w;
        }
        for (kind, list) in &self.variants {
            if list.iter().all(|v| v.1 == 0.0) {
                return Err(format!(
                    "--variant-mix: every variant of {} is off",
                    kind.name()
                ));
            }
        }
        Ok(())
    }

    /// `refiled_clis=2..3,simbox_minutes=10..60`: attack shapes.
    pub fn set_shape(&mut self, spec: &str) -> Result<(), String> {
        for (k, v) in pairs("--shape", spec)? {
            let r = Range::parse(v).map_err(|e| format!("--shape {k}: {e}"))?;
            let min = match k {
                "burst_calls" | "refiled_clis" => 2.0,
                _ => 1.0,
            };
            if r.lo < min {
                return Err(format!("--shape {k}: must be at least {min}"));
            }
            *self
                .shape
                .field(k)
                .ok_or_else(|| format!("--shape {k:?}: keys are {}", Shape::KEYS.join(", ")))? = r;
        }
        Ok(())
    }

    pub fn volume(&self, k: Kind) -> f64 {
        self.scale * self.factor(k)
    }

    /// A class's `--volume` factor alone.
    fn factor(&self, k: Kind) -> f64 {
        self.volumes.iter().find(|e| e.0 == k).map_or(1.0, |e| e.1)
    }

    /// The rate multiplier of one entity of a class made of a fixed list of
    /// entities with their own rates (PBXs, businesses on mobiles): a smaller
    /// network has fewer of them ([`SimOptions::keeps`]), each as busy; a
    /// scale above 1 makes each busier.
    pub fn entity_volume(&self, k: Kind) -> f64 {
        self.scale.max(1.0) * self.factor(k)
    }

    /// Whether entity `j` of such a list is on the network: a share of
    /// `--scale` (up to all), spread evenly over the list.
    pub fn keeps(&self, j: usize) -> bool {
        let s = self.scale.clamp(0.0, 1.0);
        ((j + 1) as f64 * s).floor() > (j as f64 * s).floor()
    }

    pub fn intensity_of(&self, k: Kind) -> Range {
        self.intensity
            .iter()
            .find(|e| e.0 == k)
            .map_or(k.default_intensity(), |e| e.1)
    }

    pub fn variants_of(&self, k: Kind) -> &[(&'static str, f64)] {
        self.variants
            .iter()
            .find(|e| e.0 == k)
            .map_or(k.variants(), |e| &e.1)
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
