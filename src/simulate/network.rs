// SPDX-License-Identifier: MIT OR Apache-2.0
//! The simulated network: the terminating operator's number ranges and
//! trunks, the partner operators behind its national interconnects, and the
//! named parties (hotlines, radio lines, bridges, call centres, PBXs) —
//! fixed, whatever the seed, so one deployment configuration
//! (`cfg-examples/acm-simulated.toml`, or `acm simulate --write-config`) fits
//! every simulated run.
//!
//! Numbers follow Nigeria's plan as libphonenumber's metadata gives it
//! (docs/QUALITY.md, "Numbering"): mobile national significant numbers have
//! 10 digits in the allocated ranges of [`super::plan`], fixed lines 10
//! digits starting `20` and an area code (`201` Lagos). Every legitimate
//! number the simulator writes is valid in that plan.

use std::net::{IpAddr, Ipv4Addr};

use rand::RngExt;
use rand_pcg::Pcg64;

use super::plan;

/// Mobile ranges of the operator running acm (its own subscribers).
pub const OWN_PREFIXES: [&str; 12] = [
    "803", "806", "813", "816", "810", "814", "903", "906", "703", "706", "913", "916",
];
/// Own subscribers who place and receive the ordinary traffic. Numbers of
/// index `OWN_POPULATION..` are the operator's too but idle (fresh SIMs).
pub const OWN_POPULATION: u64 = 1_000_000;

/// A partner operator and the national interconnect its subscribers arrive on.
pub struct Partner {
    pub trunk: &'static str,
    pub prefixes: &'static [&'static str],
    /// Calls a second from its subscribers to ours at the busy hour.
    pub rate: f64,
    /// Its subscribers who call ours.
    pub population: u64,
}

/// National interconnects: each carries thousands of distinct CLIs a minute
/// at the busy hour (research 4.1). IC-TRANSIT is a national transit /
/// clearing house carrying the small operators' ranges.
pub const PARTNERS: [Partner; 4] = [
    Partner {
        trunk: "IC-AIRTEL",
        prefixes: &[
            "802", "808", "812", "701", "708", "902", "901", "907", "904", "912",
        ],
        rate: 35.0,
        population: 700_000,
    },
    Partner {
        trunk: "IC-GLO",
        prefixes: &["805", "807", "815", "811", "905", "915"],
        rate: 25.0,
        population: 500_000,
    },
    Partner {
        trunk: "IC-9MOBILE",
        prefixes: &["809", "817", "818", "909", "908"],
        rate: 20.0,
        population: 400_000,
    },
    Partner {
        trunk: "IC-TRANSIT",
        prefixes: &["804", "709", "7028", "8190"],
        rate: 20.0,
        population: 400_000,
    },
];

/// Core switches of the operator: its own subscribers' calls.
pub const MSC_TRUNKS: [&str; 4] = ["MSC-LAG1", "MSC-LAG2", "MSC-ABJ1", "MSC-PHC1"];
/// International gateways (the only trunks the operator names).
pub const INTL_TRUNKS: [&str; 2] = ["INTL-GW1", "INTL-GW2"];
/// Wholesale / transit partners.
pub const WS_TRUNKS: [&str; 6] = ["WS-1", "WS-2", "WS-3", "WS-4", "WS-5", "WS-6"];

pub const HOTLINES: usize = 40;
pub const RADIO_STATIONS: usize = 10;
/// Bridges 0..LISTED_BRIDGES belong to the conferencing providers the
/// operator names; the rest are small companies' bridges nobody listed.
pub const BRIDGES: usize = 60;
pub const LISTED_BRIDGES: usize = 20;
/// Call centres: (outbound CLIs, calls a minute at the busy hour).
pub const CALL_CENTRES: [(usize, f64); 3] = [(3, 120.0), (2, 60.0), (1, 30.0)];
pub const PBXS: usize = 200;
/// Small businesses on mobiles: own subscribers and partners' subscribers.
pub const HEAVY_OWN: usize = 300;
pub const HEAVY_OTHER: usize = 200;

/// `len` digits from `idx`, never starting with 0, distinct for idx below
/// 9·10^(len-1) (a multiplicative bijection on that range).
fn digits_of(idx: u64, len: u32) -> String {
    let span = 9 * 10u64.pow(len - 1);
    let v = 10u64.pow(len - 1) + (idx.wrapping_mul(2_654_435_761) % span);
    format!("{v:0width$}", width = len as usize)
}

fn mobile(prefix: &str, idx: u64) -> String {
    format!("+234{prefix}{}", digits_of(idx, 10 - prefix.len() as u32))
}

/// The `idx`-th subscriber of the operator, in E.164.
pub fn own_subscriber(idx: u64) -> String {
    let n = OWN_PREFIXES.len() as u64;
    mobile(OWN_PREFIXES[(idx % n) as usize], idx / n)
}

/// The core switch a subscriber is served by.
pub fn own_msc(idx: u64) -> usize {
    (idx / 7 % MSC_TRUNKS.len() as u64) as usize
}

/// The `idx`-th subscriber of partner `p`.
pub fn partner_subscriber(p: usize, idx: u64) -> String {
    let prefixes = PARTNERS[p].prefixes;
    let n = prefixes.len() as u64;
    mobile(prefixes[(idx % n) as usize], idx / n)
}

/// A fresh SIM of the operator (outside the calling population).
pub fn fresh_own_sim(k: u64) -> String {
    own_subscriber(OWN_POPULATION + 1_000_000 + k)
}

/// A fresh SIM of partner `p` (outside its calling population).
pub fn fresh_partner_sim(p: usize, k: u64) -> String {
    partner_subscriber(p, PARTNERS[p].population + 1_000_000 + k)
}

/// Fixed-line numbers of the named parties: Lagos (`201`), 10-digit NSNs.
fn lagos(seven_digits: u64) -> String {
    format!("+234201{seven_digits:07}")
}
pub fn hotline(i: usize) -> String {
    lagos(2_000_000 + i as u64 * 7_919)
}
pub fn radio(i: usize) -> String {
    lagos(3_000_000 + i as u64 * 90_007)
}
pub fn bridge(i: usize) -> String {
    lagos(4_000_000 + i as u64 * 1_009)
}
/// The `k`-th outbound CLI of call centre `c`.
pub fn call_centre_cli(c: usize, k: usize) -> String {
    lagos(5_000_000 + c as u64 * 100 + k as u64)
}
/// PBX `i`'s number `ext` of its DDI block (0: the main number).
pub fn pbx_number(i: usize, ext: u64) -> String {
    lagos(7_000_000 + i as u64 * 1_000 + ext)
}
/// PBX `i`'s trunk name; three PBXs in ten are known to the switch by
/// their address only (no trunk name in the CDR), as grey-route equipment is.
pub fn pbx_trunk(i: usize) -> Option<String> {
    (i % 10 < 7).then(|| format!("ENT-{:03}", i + 1))
}
pub fn call_centre_trunk(c: usize) -> String {
    format!("CC-{}", c + 1)
}

/// Source addresses (private, documentation and benchmarking ranges).
pub fn msc_ip(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 10, 0, 1 + i as u8))
}
pub fn ic_ip(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 20, 0, 1 + i as u8))
}
pub fn intl_ip(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1 + i as u8))
}
pub fn ws_ip(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1 + i as u8))
}
pub fn cc_ip(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 30, 0, 1 + i as u8))
}
pub fn pbx_ip(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(100, 64, (i / 250) as u8, 1 + (i % 250) as u8))
}
/// Addresses of equipment that reaches the switch without a trunk name
/// (grey routes, SIM-box gateways).
pub fn rogue_ip(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        198,
        18 + (i / 62_500 % 2) as u8,
        (i / 250 % 250) as u8,
        1 + (i % 250) as u8,
    ))
}

/// A plausible foreign number (never +234).
pub fn foreign(rng: &mut Pcg64) -> String {
    let d = |rng: &mut Pcg64, n: u32| plan::random_digits(rng, n);
    match rng.random_range(0..8u32) {
        0 => format!("+447{}", d(rng, 9)),
        1 => format!("+1{}{}", rng.random_range(201..990u32), d(rng, 7)),
        2 => format!("+2332{}", d(rng, 8)),
        3 => format!("+861{}", d(rng, 10)),
        4 => format!("+9715{}", d(rng, 8)),
        5 => format!("+27{}", d(rng, 9)),
        6 => format!("+4915{}", d(rng, 9)),
        _ => format!("+2299{}", d(rng, 7)),
    }
}

/// A random home mobile number in an allocated range (own or a partner's) —
/// what a masking platform invents; it may be a real subscriber's number.
pub fn random_home_mobile(rng: &mut Pcg64) -> String {
    let p = plan::MOBILE_RANGES[rng.random_range(0..plan::MOBILE_RANGES.len())];
    format!("+234{p}{}", plan::random_digits(rng, 10 - p.len() as u32))
}

/// A real subscriber's number (own or a partner's), harvested by a masking
/// platform: it has calling history of its own.
pub fn harvested_number(rng: &mut Pcg64) -> String {
    if rng.random_bool(0.5) {
        own_subscriber(rng.random_range(0..OWN_POPULATION))
    } else {
        let p = rng.random_range(0..PARTNERS.len());
        partner_subscriber(p, rng.random_range(0..PARTNERS[p].population))
    }
}

fn toml_list(items: impl IntoIterator<Item = String>) -> String {
    let v: Vec<String> = items.into_iter().map(|s| format!("  \"{s}\",")).collect();
    format!("[\n{}\n]", v.join("\n"))
}

/// The numbers the operator names as legitimately called by many
/// (hotlines, radio phone-in lines, the listed providers' bridges).
pub fn named_b_numbers() -> Vec<String> {
    (0..HOTLINES)
        .map(hotline)
        .chain((0..RADIO_STATIONS).map(radio))
        .chain((0..LISTED_BRIDGES).map(bridge))
        .collect()
}

/// The call centres' outbound CLIs (named by the operator).
pub fn named_a_numbers() -> Vec<String> {
    CALL_CENTRES
        .iter()
        .enumerate()
        .flat_map(|(c, (n, _))| (0..*n).map(move |k| call_centre_cli(c, k)))
        .collect()
}

/// The deployment configuration of the simulated network: what the hidden
/// evaluation's operator names and nothing more — its international gateways,
/// its hotlines, radio lines and bridges, its call centres' CLIs. With
/// `allowlists = false`, only the gateways (the stretch goal: no allow lists).
/// Every rule keeps its defaults.
pub fn deployment_config(allowlists: bool) -> String {
    let head = "# acm-simulated.toml — the deployment configuration of the network that\n\
         # `acm simulate` generates (written by `acm simulate --write-config`).\n\
         # It names what the operator of the hidden evaluation set names and\n\
         # nothing more; every rule keeps its defaults, so `acm quality` with this\n\
         # file measures the defaults.\n\
         #\n";
    let intl = toml_list(INTL_TRUNKS.iter().map(|s| s.to_string()));
    if !allowlists {
        return format!(
            "{head}\
             # No allow lists (the stretch goal): only the international gateways\n\
             # are named. Hotlines, radio lines, bridges and call centres are not.\n\
             \n\
             [rules.intl_ingress_local_cli]\n\
             trunks = {intl}\n"
        );
    }
    format!(
        "{head}\
         # Named: the international gateways (intl_ingress_local_cli.trunks), the\n\
         # hotlines, radio phone-in lines and the big providers' conference bridges\n\
         # (allow_b_numbers), the call centres' outbound CLIs (allow_a_numbers).\n\
         # Not named, as in the hidden set: core switches, national interconnects,\n\
         # wholesale partners, PBXs, small companies' bridges, roamers.\n\
         \n\
         [rules.intl_ingress_local_cli]\n\
         trunks = {intl}\n\
         \n\
         [lists]\n\
         allow_b_numbers = {b}\n\
         allow_a_numbers = {a}\n",
        b = toml_list(named_b_numbers()),
        a = toml_list(named_a_numbers()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::NumberingPlan;

    /// Valid in libphonenumber's NG metadata (what the hidden set's plan is).
    fn valid(n: &str) -> bool {
        let db = crate::number::plan::Metadata::bundled().db;
        phonenumber::parse_with(db, None, n)
            .map(|p| phonenumber::is_valid_with(db, &p))
            .unwrap_or(false)
    }

    #[test]
    fn numbers_are_distinct_and_valid() {
        let plan = NumberingPlan::nigeria();
        let mut seen = std::collections::HashSet::new();
        for i in 0..50_000 {
            let n = own_subscriber(i);
            assert!(plan.normalise(&n).is_ok(), "{n}");
            if i % 50 == 0 {
                assert!(valid(&n), "{n}");
            }
            assert_eq!(n.len(), 14, "{n}");
            assert!(seen.insert(n));
        }
        for p in 0..PARTNERS.len() {
            for i in 0..20_000 {
                let n = partner_subscriber(p, i);
                assert_eq!(n.len(), 14, "{n}");
                if i % 50 == 0 {
                    assert!(valid(&n), "{n}");
                }
                assert!(seen.insert(n));
            }
        }
        assert!(seen.insert(fresh_own_sim(3)));
        assert!(seen.insert(fresh_partner_sim(2, 3)));
        let mut fixed: Vec<String> = named_b_numbers();
        fixed.extend(named_a_numbers());
        fixed.extend((BRIDGES - 5..BRIDGES).map(bridge));
        fixed.extend((0..PBXS).flat_map(|i| [pbx_number(i, 0), pbx_number(i, 999)]));
        for n in fixed {
            assert_eq!(n.len(), 14, "{n}");
            assert!(plan.normalise(&n).is_ok(), "{n}");
            assert!(valid(&n), "{n}");
            assert!(seen.insert(n.clone()), "{n} twice");
        }
        let mut rng = <Pcg64 as rand::SeedableRng>::seed_from_u64(9);
        let mut drawn = vec![fresh_own_sim(7), fresh_partner_sim(3, 7)];
        drawn.extend((0..200).map(|_| random_home_mobile(&mut rng)));
        drawn.extend((0..200).map(|_| harvested_number(&mut rng)));
        for n in drawn {
            assert!(plan.normalise(&n).is_ok() && valid(&n), "{n}");
        }
    }

    #[test]
    fn both_deployment_configs_parse() {
        let named = crate::config::Config::from_toml(&deployment_config(true)).unwrap();
        assert_eq!(named.lists.allow_b_numbers.len(), 70);
        assert_eq!(named.lists.allow_a_numbers.len(), 6);
        let bare = crate::config::Config::from_toml(&deployment_config(false)).unwrap();
        assert!(bare.lists.allow_b_numbers.is_empty() && bare.lists.allow_a_numbers.is_empty());
        assert_eq!(bare.rules.intl_ingress_local_cli.trunks.len(), 2);
        // The example file is this configuration, written by --write-config.
        assert_eq!(
            include_str!("../../cfg-examples/acm-simulated.toml"),
            deployment_config(true)
        );
    }
}
