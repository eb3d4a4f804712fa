// SPDX-License-Identifier: MIT OR Apache-2.0
//! Call-masking attacks, as numbered instances (one burst, one campaign, one
//! SIM box) whose intensity is drawn log-uniform from the family's range and
//! written on every call's label. The intensity is exact: the rate between
//! an instance's first and last call (per SIM for SIM boxes), or its number
//! of calls.
//!
//! - `masking_burst` (calls/s into one callee): 6–30 distinct invented or
//!   harvested home CLIs to one subscriber, via a wholesale trunk, a national
//!   interconnect or a bare IP.
//! - `refiled_masking` (fresh CLIs/min into one callee): 3–6 fresh home CLIs
//!   to one subscriber through a national interconnect, as a refiler's
//!   retries arrive (research 2.2, 3).
//! - `simbox` (calls/min per SIM): 1–16 SIMs, valid home mobile numbers,
//!   each paced like a person to distinct callees for 10–60 minutes; through
//!   the own core (`core`), a partner's interconnect with its SIMs (`offnet`),
//!   or a dedicated gateway address (`gateway`).
//! - `cli_rotation` (new CLIs/s from one source): 60–300 s from a compromised
//!   PBX's trunk, a wholesale trunk or a bare IP; sequential, random or
//!   harvested CLIs.
//! - `intl_local_cli` (calls): home CLIs on an international gateway over up
//!   to 10 minutes.
//! - `invalid_cli` (calls): CLIs that cannot exist ([`plan::Invalid`]).

use std::net::IpAddr;

use compact_str::CompactString;
use rand::RngExt;
use rand_pcg::Pcg64;

use super::legit::{partner_by_rate, presented};
use super::network::{self as net, PARTNERS};
use super::plan::Invalid;
use super::rhythm::{log_uniform, paced, sig4};
use super::{component_rng, Kind, Range, SimCall, SimOptions};

/// A target: an ordinary subscriber of the operator, written as the
/// switches write called numbers (E.164 or national).
fn target(rng: &mut Pcg64) -> CompactString {
    let b = net::own_subscriber(rng.random_range(0..net::OWN_POPULATION));
    presented(rng, &b, 0.3, 0.0)
}

fn wholesale(rng: &mut Pcg64) -> (Option<CompactString>, Option<IpAddr>) {
    let w = rng.random_range(0..net::WS_TRUNKS.len());
    (Some(net::WS_TRUNKS[w].into()), Some(net::ws_ip(w)))
}

fn interconnect(rng: &mut Pcg64) -> (Option<CompactString>, Option<IpAddr>) {
    let p = partner_by_rate(rng);
    (Some(PARTNERS[p].trunk.into()), Some(net::ic_ip(p)))
}

/// A bare source address unique to this family's instance.
fn bare(kind: Kind, id: u32) -> (Option<CompactString>, Option<IpAddr>) {
    let fam = Kind::ATTACKS.iter().position(|k| *k == kind).unwrap_or(0) as u32;
    (None, Some(net::rogue_ip(fam * 10_000 + id)))
}

/// Draws a variant by weight.
fn variant(rng: &mut Pcg64, list: &[(&'static str, f64)]) -> &'static str {
    let total: f64 = list.iter().map(|v| v.1).sum();
    let mut u = rng.random::<f64>() * total;
    for (name, w) in list {
        if u < *w {
            return name;
        }
        u -= w;
    }
    list.iter().rev().find(|v| v.1 > 0.0).map_or("", |v| v.0)
}

/// An integer from a range, uniform.
fn int_in(rng: &mut Pcg64, r: Range) -> u32 {
    let (lo, hi) = (r.lo.round() as u32, r.hi.round() as u32);
    rng.random_range(lo..=hi.max(lo))
}

/// A real from a range, uniform.
fn real_in(rng: &mut Pcg64, r: Range) -> f64 {
    if r.hi <= r.lo {
        r.lo
    } else {
        rng.random_range(r.lo..r.hi)
    }
}

/// A fresh home CLI: invented in an allocated range, or a real subscriber's.
fn fresh_cli(rng: &mut Pcg64, harvested: bool) -> CompactString {
    if harvested {
        net::harvested_number(rng).into()
    } else {
        net::random_home_mobile(rng).into()
    }
}

/// `n` CLIs, pairwise distinct.
fn distinct_clis(rng: &mut Pcg64, n: usize, harvested: bool) -> Vec<CompactString> {
    let mut v: Vec<CompactString> = Vec::with_capacity(n);
    while v.len() < n {
        let c = fresh_cli(rng, harvested);
        if !v.contains(&c) {
            v.push(c);
        }
    }
    v
}

struct Instance<'a> {
    out: &'a mut Vec<SimCall>,
    kind: Kind,
    id: u32,
    intensity: f64,
    variant: &'static str,
    trunk: Option<CompactString>,
    ip: Option<IpAddr>,
    attestation: &'static str,
}

impl Instance<'_> {
    fn push(&mut self, t: i64, a: CompactString, b: CompactString) -> &mut SimCall {
        self.out.push(SimCall {
            time_ms: t,
            a,
            b,
            source_ip: self.ip,
            trunk: self.trunk.clone(),
            pai: None,
            attestation: self.attestation,
            kind: self.kind,
            instance: self.id,
            intensity: self.intensity,
            variant: self.variant,
        });
        self.out.last_mut().expect("just pushed")
    }
}

/// A start time leaving room for `len_ms` before the end.
fn start_at(rng: &mut Pcg64, opts: &SimOptions, len_ms: i64) -> i64 {
    let room = opts.end_ms() - opts.start_ms() - len_ms - 1_000;
    opts.start_ms()
        + if room > 0 {
            rng.random_range(0..room)
        } else {
            0
        }
}

/// All attack traffic, unsorted.
pub fn generate(opts: &SimOptions) -> Vec<SimCall> {
    let mut out = Vec::new();
    for &(kind, weight) in &opts.mix {
        let n = (opts.attacks_per_hour * opts.hours as f64 * weight).round() as u32;
        let mut rng = component_rng(opts.seed, kind.name());
        let range = opts.intensity_of(kind);
        let variants = opts.variants_of(kind).to_vec();
        let shape = &opts.shape;
        for id in 1..=n {
            let var = variant(&mut rng, &variants);
            let raw = log_uniform(&mut rng, range.lo, range.hi);
            let intensity = if kind.integer_intensity() {
                raw.round().max(1.0)
            } else {
                sig4(raw)
            };
            let mut inst = Instance {
                out: &mut out,
                kind,
                id,
                intensity,
                variant: var,
                trunk: None,
                ip: None,
                attestation: "",
            };
            match kind {
                Kind::MaskingBurst => {
                    (inst.trunk, inst.ip) = match var {
                        "wholesale" => wholesale(&mut rng),
                        "interconnect" => interconnect(&mut rng),
                        _ => bare(kind, id),
                    };
                    let calls = int_in(&mut rng, shape.burst_calls).max(2) as usize;
                    let span = ((calls - 1) as f64 / intensity * 1000.0).round() as i64;
                    let t0 = start_at(&mut rng, opts, span);
                    let b = target(&mut rng);
                    let harvested = rng.random_bool(0.3);
                    let clis = distinct_clis(&mut rng, calls, harvested);
                    let times = paced(&mut rng, t0, calls, span, 0.6);
                    for (t, a) in times.into_iter().zip(clis) {
                        inst.push(t, a, b.clone());
                    }
                }
                Kind::RefiledMasking => {
                    (inst.trunk, inst.ip) = interconnect(&mut rng);
                    inst.attestation = "B";
                    let calls = int_in(&mut rng, shape.refiled_clis).max(2) as usize;
                    let span = ((calls - 1) as f64 * 60_000.0 / intensity).round() as i64;
                    let t0 = start_at(&mut rng, opts, span);
                    let b = target(&mut rng);
                    let clis = distinct_clis(&mut rng, calls, var == "harvested");
                    let times = paced(&mut rng, t0, calls, span, 0.8);
                    for (t, a) in times.into_iter().zip(clis) {
                        // Written as the interconnect writes its callers' numbers.
                        let a = presented(&mut rng, &a, 0.0, 0.1);
                        inst.push(t, a, b.clone());
                    }
                }
                Kind::SimBox => {
                    let partner = partner_by_rate(&mut rng);
                    match var {
                        "core" => {
                            let m = rng.random_range(0..net::MSC_TRUNKS.len());
                            inst.trunk = Some(net::MSC_TRUNKS[m].into());
                            inst.ip = Some(net::msc_ip(m));
                            inst.attestation = "A";
                        }
                        "offnet" => {
                            inst.trunk = Some(PARTNERS[partner].trunk.into());
                            inst.ip = Some(net::ic_ip(partner));
                            inst.attestation = "B";
                        }
                        _ => (inst.trunk, inst.ip) = bare(kind, id),
                    }
                    let sims = int_in(&mut rng, shape.simbox_sims).max(1) as u64;
                    let minutes = real_in(&mut rng, shape.simbox_minutes);
                    let t0 = start_at(&mut rng, opts, (minutes * 60_000.0) as i64 + 60_000);
                    for s in 0..sims {
                        // Fresh SIMs, or aged ones with a history of their own.
                        let aged = var != "gateway" && rng.random_bool(0.5);
                        let cli: CompactString = match (var, aged) {
                            ("offnet", true) => net::partner_subscriber(
                                partner,
                                rng.random_range(0..PARTNERS[partner].population),
                            ),
                            ("offnet", false) => {
                                net::fresh_partner_sim(partner, id as u64 * 64 + s)
                            }
                            (_, true) => {
                                net::own_subscriber(rng.random_range(0..net::OWN_POPULATION))
                            }
                            ("core", false) => net::fresh_own_sim(id as u64 * 64 + s),
                            _ => net::fresh_own_sim(1_000_000 + id as u64 * 64 + s),
                        }
                        .into();
                        let calls = ((intensity * minutes).round() as usize).max(2);
                        let span = ((calls - 1) as f64 * 60_000.0 / intensity).round() as i64;
                        let start = t0 + rng.random_range(0..60_000i64);
                        // Written as the route writes its callers' numbers.
                        let (national, bare) = match var {
                            "core" => (0.25, 0.05),
                            "offnet" => (0.0, 0.1),
                            _ => (0.0, 0.0),
                        };
                        for t in paced(&mut rng, start, calls, span, 0.7) {
                            let a = presented(&mut rng, &cli, national, bare);
                            let b = target(&mut rng);
                            inst.push(t, a, b);
                        }
                    }
                }
                Kind::CliRotation => {
                    (inst.trunk, inst.ip) = match var {
                        "pbx" => {
                            let i = rng.random_range(0..net::PBXS);
                            inst.attestation = "A";
                            (net::pbx_trunk(i).map(Into::into), Some(net::pbx_ip(i)))
                        }
                        "wholesale" => wholesale(&mut rng),
                        _ => bare(kind, id),
                    };
                    let secs = real_in(&mut rng, shape.rotation_seconds);
                    let calls = ((intensity * secs).round() as usize).max(2);
                    let span = ((calls - 1) as f64 * 1000.0 / intensity).round() as i64;
                    let t0 = start_at(&mut rng, opts, span);
                    let clis: Vec<CompactString> = match rng.random_range(0..5u32) {
                        // A sequential block (a small licensee's range).
                        0 | 1 => {
                            let p =
                                ["803", "805", "802", "809", "804", "708"][rng.random_range(0..6)];
                            let base = rng.random_range(1_000_000..(9_999_999 - calls as u64));
                            (0..calls as u64)
                                .map(|k| compact_str::format_compact!("+234{p}{}", base + k))
                                .collect()
                        }
                        2 | 3 => distinct_clis(&mut rng, calls, false),
                        _ => distinct_clis(&mut rng, calls, true),
                    };
                    let times = paced(&mut rng, t0, calls, span, 0.5);
                    for (t, a) in times.into_iter().zip(clis) {
                        let b = target(&mut rng);
                        inst.push(t, a, b);
                    }
                }
                Kind::IntlLocalCli => {
                    let g = rng.random_range(0..net::INTL_TRUNKS.len());
                    inst.trunk = Some(net::INTL_TRUNKS[g].into());
                    inst.ip = Some(net::intl_ip(g));
                    let calls = intensity as usize;
                    let span = (real_in(&mut rng, shape.intl_span_s) * 1000.0) as i64;
                    let t0 = start_at(&mut rng, opts, span);
                    let mut times: Vec<i64> = (0..calls)
                        .map(|k| {
                            if k == 0 {
                                t0
                            } else {
                                t0 + rng.random_range(0..=span)
                            }
                        })
                        .collect();
                    times.sort_unstable();
                    for t in times {
                        let home = fresh_cli(&mut rng, var == "harvested");
                        let b = target(&mut rng);
                        if var == "pai" {
                            // A foreign From, the home number only in PAI.
                            let from = net::foreign(&mut rng).into();
                            inst.push(t, from, b).pai = Some(home);
                        } else {
                            inst.push(t, home, b);
                        }
                    }
                }
                Kind::InvalidCli => {
                    (inst.trunk, inst.ip) = match rng.random_range(0..10u32) {
                        0..=4 => wholesale(&mut rng),
                        5..=7 => interconnect(&mut rng),
                        _ => bare(kind, id),
                    };
                    let what = Invalid::ALL
                        .into_iter()
                        .find(|k| k.name() == var)
                        .unwrap_or(Invalid::Unassigned);
                    let calls = intensity as usize;
                    let span = (real_in(&mut rng, shape.invalid_span_s) * 1000.0) as i64;
                    let t0 = start_at(&mut rng, opts, span);
                    let mut times: Vec<i64> = (0..calls)
                        .map(|k| {
                            if k == 0 {
                                t0
                            } else {
                                t0 + rng.random_range(0..=span)
                            }
                        })
                        .collect();
                    times.sort_unstable();
                    for t in times {
                        let a = what.draw(&mut rng).into();
                        let b = target(&mut rng);
                        inst.push(t, a, b);
                    }
                }
                _ => {}
            }
        }
    }
    let end = opts.end_ms();
    out.retain(|c| c.time_ms < end);
    out
}
