//! The simulated network: the terminating operator's number ranges, its
//! trunks, and the named parties (hotlines, radio stations, conference
//! bridges, call centres, businesses) — fixed, whatever the seed, so one
//! deployment configuration (`cfg-examples/acm-simulated.toml`, or
//! `acm simulate --write-config`) fits every simulated run.
//!
//! Numbers follow Nigeria (+234): mobile numbers have a 10-digit national
//! number (803 1234567), fixed lines 8 digits (1 2345678, Lagos).

use std::net::{IpAddr, Ipv4Addr};

use rand::RngExt;
use rand_pcg::Pcg64;

/// Mobile ranges of the operator running acm (its own subscribers).
pub const OWN_PREFIXES: [&str; 8] = ["803", "806", "813", "816", "810", "814", "903", "906"];
/// Mobile ranges of the other national operators, and the interconnect each arrives on.
pub const OTHER_PREFIXES: [(&str, usize); 15] = [
    ("805", 0),
    ("807", 0),
    ("815", 0),
    ("811", 0),
    ("905", 0),
    ("802", 1),
    ("808", 1),
    ("812", 1),
    ("701", 1),
    ("902", 1),
    ("907", 1),
    ("809", 2),
    ("817", 2),
    ("818", 2),
    ("909", 3),
];
/// Ranges the regulator barred (legitimate numbers never start `<prefix>0`).
pub const BARRED_PREFIXES: [&str; 2] = ["+2348030*", "+2348160*"];
/// Ranges never allocated.
pub const UNALLOCATED_PREFIXES: [&str; 2] = ["+234719*", "+234819*"];

/// Core switches of the operator: its own subscribers' calls (trusted).
pub const MSC_TRUNKS: [&str; 4] = ["MSC-LAG1", "MSC-LAG2", "MSC-ABJ1", "MSC-PHC1"];
/// National interconnects with the other operators (trusted: thousands of CLIs a minute).
pub const IC_TRUNKS: [&str; 4] = ["IC-GLO", "IC-AIRTEL", "IC-9MOBILE", "IC-NTEL"];
/// International gateways.
pub const INTL_TRUNKS: [&str; 2] = ["INTL-GW1", "INTL-GW2"];
/// Wholesale / transit partners (not trusted: grey routes hide here).
pub const WS_TRUNKS: [&str; 6] = ["WS-1", "WS-2", "WS-3", "WS-4", "WS-5", "WS-6"];
/// Call-centre SIP trunks.
pub const CC_TRUNKS: [&str; 5] = ["CC-1", "CC-2", "CC-3", "CC-4", "CC-5"];

pub const HOTLINES: usize = 40;
pub const RADIO_STATIONS: usize = 10;
/// Bridges 0..LISTED_BRIDGES belong to big conferencing providers and are
/// allowlisted; the rest are small companies' bridges nobody told the operator about.
pub const BRIDGES: usize = 60;
pub const LISTED_BRIDGES: usize = 20;
pub const CALL_CENTRE_CLIS: usize = 30;
pub const BUSINESSES: usize = 200;
/// Own subscribers registered abroad today, as the HLR/HSS export lists them.
pub const ROAMERS: usize = 200;
/// Share of roamers' calls placed by subscribers who went abroad after the
/// last export (not listed yet).
pub const UNLISTED_ROAMING_SHARE: f64 = 0.03;

/// A 7-digit subscriber part that never starts with 0, distinct for idx < 9,000,000.
fn seven(idx: u64) -> u64 {
    1_000_000 + (idx.wrapping_mul(2_654_435_761) % 9_000_000)
}

/// The `idx`-th subscriber of the operator, in E.164.
pub fn own_subscriber(idx: u64) -> String {
    let p = OWN_PREFIXES[(idx % OWN_PREFIXES.len() as u64) as usize];
    format!("+234{p}{}", seven(idx / OWN_PREFIXES.len() as u64))
}

/// The `i`-th subscriber registered abroad today (outside the population
/// calling at home, like the SIM-box SIMs).
pub fn roamer(i: usize) -> String {
    own_subscriber(8 * 4_000_000 + 500_000 + i as u64)
}

/// The MSC a subscriber is served by.
pub fn own_msc(idx: u64) -> usize {
    (idx / 7 % MSC_TRUNKS.len() as u64) as usize
}

/// The `idx`-th subscriber of another operator, and its interconnect.
pub fn other_subscriber(idx: u64) -> (String, usize) {
    let (p, ic) = OTHER_PREFIXES[(idx % OTHER_PREFIXES.len() as u64) as usize];
    (
        format!("+234{p}{}", seven(idx / OTHER_PREFIXES.len() as u64)),
        ic,
    )
}

/// A fresh SIM of the operator bought for a SIM box (outside the population).
pub fn simbox_sim(idx: u64) -> String {
    own_subscriber(8 * 4_000_000 + idx)
}

/// Fixed-line numbers of the named parties (Lagos, 8-digit national numbers).
fn lagos(seven_digits: u64) -> String {
    format!("+2341{seven_digits:07}")
}
pub fn hotline(i: usize) -> String {
    lagos(2_000_000 + i as u64 * 7_919)
}
pub fn radio(i: usize) -> String {
    lagos(3_000_000 + i as u64 * 104_729)
}
pub fn bridge(i: usize) -> String {
    lagos(4_000_000 + i as u64 * 1_009)
}
pub fn call_centre_cli(i: usize) -> String {
    lagos(5_000_000 + i as u64 * 31)
}
/// A business's main number; `ext` 1..99 gives its direct-dial numbers.
pub fn business(i: usize, ext: u64) -> String {
    lagos(6_000_000 + i as u64 * 100 + ext)
}
pub fn business_trunk(i: usize) -> String {
    format!("ENT-{:03}", i + 1)
}

/// Source addresses (documentation and benchmarking ranges).
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
pub fn business_ip(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1 + i as u8))
}
/// Addresses of grey-route equipment that reach the switch without a trunk name.
pub fn rogue_ip(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        198,
        18,
        (i / 250 % 250) as u8,
        1 + (i % 250) as u8,
    ))
}

/// A plausible foreign number (never +234).
pub fn foreign(rng: &mut Pcg64) -> String {
    let d = |rng: &mut Pcg64, n: u32| -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect()
    };
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

/// A random, valid-looking home mobile number (own or other operator) — what
/// a masking platform invents; it may well be a real subscriber's number.
pub fn random_home_mobile(rng: &mut Pcg64) -> String {
    let p = if rng.random_bool(0.5) {
        OWN_PREFIXES[rng.random_range(0..OWN_PREFIXES.len())]
    } else {
        OTHER_PREFIXES[rng.random_range(0..OTHER_PREFIXES.len())].0
    };
    format!("+234{p}{}", rng.random_range(1_000_000..10_000_000u32))
}

/// Velocity threshold for calls from the core switches: own mobile
/// subscribers, one handset each (a PBX main number arrives on an enterprise
/// trunk and keeps the rule's default).
pub const MSC_VELOCITY_THRESHOLD: u32 = 10;
/// Rotation threshold of the international gateways: about twice the distinct
/// foreign CLIs a gateway carries in 10 s at peak.
pub const INTL_ROTATION_THRESHOLD: u32 = 40;

fn toml_map(items: impl IntoIterator<Item = (String, u32)>) -> String {
    let v: Vec<String> = items
        .into_iter()
        .map(|(k, t)| format!("\"{k}\" = {t}"))
        .collect();
    format!("{{ {} }}", v.join(", "))
}

fn toml_list(items: impl IntoIterator<Item = String>) -> String {
    let v: Vec<String> = items.into_iter().map(|s| format!("  \"{s}\",")).collect();
    format!("[\n{}\n]", v.join("\n"))
}

/// The deployment configuration of the simulated network: what an operator
/// who knows its own network would list. Rules keep their default thresholds;
/// the trunk classes (per-trunk thresholds) describe the trunks.
pub fn deployment_config() -> String {
    let allow_b = (0..HOTLINES)
        .map(hotline)
        .chain((0..RADIO_STATIONS).map(radio))
        .chain((0..LISTED_BRIDGES).map(bridge));
    let allow_trunks = MSC_TRUNKS
        .iter()
        .chain(IC_TRUNKS.iter())
        .map(|s| s.to_string());
    format!(
        "# acm-simulated.toml — the deployment configuration of the network that\n\
         # `acm simulate` generates (written by `acm simulate --write-config`).\n\
         # Only the network is described here; every rule keeps its default\n\
         # threshold and window, so `acm quality` with this file measures the defaults.\n\
         #\n\
         # Listed: hotlines, radio phone-in lines and the big providers' conference\n\
         # bridges (allow_b_numbers), call-centre outbound CLIs (allow_a_numbers), the\n\
         # operator's own core switches and the national interconnects (allow_trunks).\n\
         # The subscribers registered abroad (roaming_a_numbers) come from the HLR\n\
         # export; a subscriber who left after the export is not in it.\n\
         # Not listed, as in a real network: small companies' conference bridges,\n\
         # businesses' PBX numbers, wholesale partners.\n\
         # Trunk classes: the core switches carry handsets (a SIM placing {msc_v}\n\
         # calls a minute is a SIM box); the international gateways carry many\n\
         # foreign CLIs a second (rotation judged at {intl_r} in 10 s).\n\
         \n\
         [rules.cli_velocity]\n\
         trunk_thresholds = {velocity}\n\
         \n\
         [rules.cli_rotation]\n\
         trunk_thresholds = {rotation}\n\
         \n\
         [rules.intl_ingress_local_cli]\n\
         trunks = {intl}\n\
         roaming_a_numbers = {roamers}\n\
         \n\
         [rules.invalid_cli]\n\
         barred_prefixes = {barred}\n\
         unallocated_prefixes = {unalloc}\n\
         \n\
         [lists]\n\
         allow_b_numbers = {allow_b}\n\
         allow_a_numbers = {allow_a}\n\
         allow_trunks = {allow_trunks}\n",
        intl = toml_list(INTL_TRUNKS.iter().map(|s| s.to_string())),
        roamers = toml_list((0..ROAMERS).map(roamer)),
        msc_v = MSC_VELOCITY_THRESHOLD,
        intl_r = INTL_ROTATION_THRESHOLD,
        velocity = toml_map(
            MSC_TRUNKS
                .iter()
                .map(|t| (t.to_string(), MSC_VELOCITY_THRESHOLD))
        ),
        rotation = toml_map(
            INTL_TRUNKS
                .iter()
                .map(|t| (t.to_string(), INTL_ROTATION_THRESHOLD))
        ),
        barred = toml_list(BARRED_PREFIXES.iter().map(|s| s.to_string())),
        unalloc = toml_list(UNALLOCATED_PREFIXES.iter().map(|s| s.to_string())),
        allow_b = toml_list(allow_b),
        allow_a = toml_list((0..CALL_CENTRE_CLIS).map(call_centre_cli)),
        allow_trunks = toml_list(allow_trunks),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::NumberingPlan;

    #[test]
    fn numbers_are_valid_and_distinct() {
        let plan = NumberingPlan::nigeria();
        let mut seen = std::collections::HashSet::new();
        for i in 0..20_000 {
            let n = own_subscriber(i);
            assert!(plan.normalise(&n).is_ok(), "{n}");
            assert!(!n.starts_with("+2348030") && !n.starts_with("+2348160"));
            assert!(seen.insert(n));
        }
        for n in [
            hotline(3),
            radio(9),
            bridge(59),
            call_centre_cli(29),
            business(199, 99),
        ] {
            assert!(plan.normalise(&n).is_ok(), "{n}");
        }
        assert!(plan.normalise(&simbox_sim(5)).is_ok());
    }

    #[test]
    fn the_deployment_config_parses() {
        crate::config::Config::from_toml(&deployment_config()).unwrap();
    }
}
