//! Call-masking attacks, each generated as numbered instances (one campaign,
//! one SIM box, one burst) so detection can be scored per instance.
//!
//! - `masking_burst`: 6–30 calls with distinct invented home CLIs to one
//!   subscriber within 1–6 s, through a wholesale partner.
//! - `slow_masking`: the same fan-in kept under the burst rule: 6–30 distinct
//!   CLIs to one subscriber, 1.3–10 s apart (never 5 within 5 s).
//! - `simbox`: a SIM box on the operator's own network: 1–8 SIMs, each
//!   placing 10–60 calls a minute to many subscribers for 3–20 minutes.
//! - `cli_rotation`: one source (a wholesale trunk, or a bare IP) presenting
//!   2–20 new CLIs a second (sequential ranges or random) for 20–180 s.
//! - `intl_local_cli`: 1–40 calls with home CLIs (From, or only in PAI) on an
//!   international gateway over up to 10 minutes.
//! - `invalid_cli`: 1–20 calls with impossible CLIs (wrong length, letters,
//!   too short) or CLIs in barred or unallocated ranges.

use rand::RngExt;
use rand_pcg::Pcg64;

use super::network as net;
use super::{component_rng, Kind, SimCall, SimOptions};

/// A target subscriber (attacks aim at ordinary numbers of the operator).
fn target(rng: &mut Pcg64, own: usize) -> String {
    net::own_subscriber(rng.random_range(0..own) as u64)
}

fn ws(rng: &mut Pcg64) -> (Option<String>, Option<std::net::IpAddr>) {
    let w = rng.random_range(0..net::WS_TRUNKS.len());
    (Some(net::WS_TRUNKS[w].into()), Some(net::ws_ip(w)))
}

struct Instance<'a> {
    out: &'a mut Vec<SimCall>,
    kind: Kind,
    id: u32,
    trunk: Option<String>,
    ip: Option<std::net::IpAddr>,
    attestation: &'static str,
}

impl Instance<'_> {
    fn push(&mut self, t: i64, a: String, b: String) {
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
        });
    }
}

/// An invalid CLI of one of the kinds a grey route presents.
fn invalid_cli(rng: &mut Pcg64) -> String {
    let digits = |rng: &mut Pcg64, n: u32| -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect()
    };
    match rng.random_range(0..6u32) {
        // A home mobile number one digit short or long.
        0 => format!("+234803{}", digits(rng, 6)),
        1 => format!("+234803{}", digits(rng, 8)),
        2 => format!("{}", rng.random_range(1000..100_000u32)),
        3 => ["UNKNOWN", "unavailable", "12ab34567", "+"][rng.random_range(0..4)].into(),
        4 => {
            let p = net::BARRED_PREFIXES[rng.random_range(0..net::BARRED_PREFIXES.len())];
            let p = p.trim_end_matches('*');
            format!("{p}{}", digits(rng, 13 - (p.len() as u32 - 1)))
        }
        _ => {
            let p = net::UNALLOCATED_PREFIXES[rng.random_range(0..net::UNALLOCATED_PREFIXES.len())];
            let p = p.trim_end_matches('*');
            format!("{p}{}", digits(rng, 13 - (p.len() as u32 - 1)))
        }
    }
}

/// All attack traffic, unsorted.
pub fn generate(opts: &SimOptions) -> Vec<SimCall> {
    let own = (opts.calls / 4).clamp(10_000, 4_000_000) as usize;
    let dur = opts.duration_ms();
    let mut out = Vec::new();
    for &(kind, weight) in &opts.mix {
        let n = (opts.attack_intensity * opts.hours as f64 * weight).round() as u32;
        let mut rng = component_rng(opts.seed, kind.name());
        for id in 1..=n {
            // Leave room for the longest instance before the end.
            let t0 = opts.start_ms + rng.random_range(0..(dur - 1_300_000).max(1));
            let mut inst = Instance {
                out: &mut out,
                kind,
                id,
                trunk: None,
                ip: None,
                attestation: "",
            };
            match kind {
                Kind::MaskingBurst => {
                    (inst.trunk, inst.ip) = ws(&mut rng);
                    let b = target(&mut rng, own);
                    let n = rng.random_range(6..=30);
                    let span = rng.random_range(1_000..=6_000i64);
                    let mut ts: Vec<i64> = (0..n).map(|_| t0 + rng.random_range(0..span)).collect();
                    ts.sort_unstable();
                    for t in ts {
                        let a = net::random_home_mobile(&mut rng);
                        inst.push(t, a, b.clone());
                    }
                }
                Kind::SlowMasking => {
                    (inst.trunk, inst.ip) = ws(&mut rng);
                    let b = target(&mut rng, own);
                    let mut t = t0;
                    for _ in 0..rng.random_range(6..=30) {
                        let a = net::random_home_mobile(&mut rng);
                        inst.push(t, a, b.clone());
                        t += rng.random_range(1_300..=10_000i64);
                    }
                }
                Kind::SimBox => {
                    let m = rng.random_range(0..net::MSC_TRUNKS.len());
                    inst.trunk = Some(net::MSC_TRUNKS[m].into());
                    inst.ip = Some(net::msc_ip(m));
                    inst.attestation = "A";
                    let sims = rng.random_range(1..=8u64);
                    let minutes = rng.random_range(3..=20i64);
                    for s in 0..sims {
                        let cli = net::simbox_sim(id as u64 * 8 + s);
                        let per_min = rng.random_range(10..=60u32) as f64;
                        let mut t = t0 + rng.random_range(0..30_000i64);
                        while t < t0 + minutes * 60_000 {
                            let b = target(&mut rng, own);
                            inst.push(t, cli.clone(), b);
                            let gap = -(1.0 - rng.random::<f64>()).ln() * 60_000.0 / per_min;
                            t += gap.max(200.0) as i64;
                        }
                    }
                }
                Kind::CliRotation => {
                    if rng.random_bool(0.5) {
                        (inst.trunk, inst.ip) = ws(&mut rng);
                    } else {
                        inst.ip = Some(net::rogue_ip(id));
                    }
                    let per_sec = rng.random_range(2..=20u32);
                    let secs = rng.random_range(20..=180i64);
                    let sequential = rng.random_bool(0.5);
                    let base = net::random_home_mobile(&mut rng);
                    let base_digits: u64 = base[4..].parse().unwrap_or(8_031_000_000);
                    let n = per_sec as i64 * secs;
                    for k in 0..n {
                        let t = t0 + k * 1000 / per_sec as i64 + rng.random_range(0..200i64);
                        let a = if sequential {
                            format!("+234{}", base_digits + k as u64)
                        } else {
                            net::random_home_mobile(&mut rng)
                        };
                        let b = target(&mut rng, own);
                        inst.push(t, a, b);
                    }
                }
                Kind::IntlLocalCli => {
                    let g = rng.random_range(0..net::INTL_TRUNKS.len());
                    inst.trunk = Some(net::INTL_TRUNKS[g].into());
                    inst.ip = Some(net::intl_ip(g));
                    let n = rng.random_range(1..=40);
                    let span = rng.random_range(10_000..=600_000i64);
                    let pai_only = rng.random_bool(0.2);
                    for _ in 0..n {
                        let t = t0 + rng.random_range(0..span);
                        let home = net::random_home_mobile(&mut rng);
                        let b = target(&mut rng, own);
                        if pai_only {
                            // A foreign-looking From, the home number in PAI.
                            let from = net::foreign(&mut rng);
                            inst.push(t, from, b);
                            if let Some(last) = inst.out.last_mut() {
                                last.pai = Some(home);
                            }
                        } else {
                            inst.push(t, home, b);
                        }
                    }
                }
                Kind::InvalidCli => {
                    if rng.random_bool(0.5) {
                        (inst.trunk, inst.ip) = ws(&mut rng);
                    } else {
                        inst.ip = Some(net::rogue_ip(1000 + id));
                    }
                    let n = rng.random_range(1..=20);
                    let span = rng.random_range(5_000..=300_000i64);
                    for _ in 0..n {
                        let t = t0 + rng.random_range(0..span);
                        let a = invalid_cli(&mut rng);
                        let b = target(&mut rng, own);
                        inst.push(t, a, b);
                    }
                }
                _ => {}
            }
        }
    }
    out
}
