// SPDX-License-Identifier: MIT OR Apache-2.0
//! Legitimate traffic, including everything that looks like fraud, as rates
//! at the busy hour (calls a second at a profile's peak, times `--scale` and
//! the class's `--volume`; PBXs and businesses on mobiles each keep their own
//! rate, and `--scale` under 1 keeps that share of them: a small network has
//! fewer, not quieter, businesses):
//!
//! | class | busy-hour rate | shape |
//! |---|---|---|
//! | subscriber | 35/s | own subscribers via the core switches; contacts, popular callees, redials, 1.5% withheld |
//! | interconnect | 100/s over 4 partners (35, 25, 20, 20) | partners' subscribers in their own ranges; thousands of distinct CLIs a minute per interconnect |
//! | international | 5/s | foreign CLIs via the gateways |
//! | roaming | 0.05/s | own subscribers abroad: a home CLI on a gateway |
//! | wholesale | 4/s | partners' and foreign CLIs via 6 wholesale trunks |
//! | hotline | 8/s over 40 numbers (Zipf) | the busiest takes ~100 calls a minute |
//! | radio_phone_in | one "call now" a station-hour | 50–400 callers, most within 30 s |
//! | conference | meetings at :00/:30 | 20 listed bridges (5–150 joining), 40 unlisted (3–15) |
//! | call_centre | 120, 60, 30 calls/min | 3 centres, 1–3 CLIs each, distinct callees |
//! | pbx | 200 PBXs, 0.1–10 calls/min each | main number, DDI block (10–1,000), or both |
//! | heavy_subscriber | 500 numbers, 6–60 calls/h each | small businesses on mobiles |
//! | callback | 1.4% of person-to-person calls | the called party calls back within 10 min |

use compact_str::{format_compact, CompactString};
use rand::RngExt;
use rand_pcg::Pcg64;

use super::network::{self as net, PARTNERS};
use super::rhythm::{
    self, log_uniform, mix, scatter, tiered, Profile, Zipf, BUSINESS, CALLEE_TIERS, CALLER_TIERS,
    DAILY,
};
use super::{component_rng, Kind, SimCall, SimOptions};

/// A caller, with the route its calls take.
#[derive(Clone)]
struct Party {
    number: CompactString,
    trunk: Option<CompactString>,
    ip: std::net::IpAddr,
    attestation: &'static str,
}

/// Who may call: the operator's subscribers and each partner's.
enum Who {
    Own(u64),
    Partner(usize, u64),
}

impl Who {
    fn party(&self) -> Party {
        match *self {
            Who::Own(i) => {
                let m = net::own_msc(i);
                Party {
                    number: net::own_subscriber(i).into(),
                    trunk: Some(net::MSC_TRUNKS[m].into()),
                    ip: net::msc_ip(m),
                    attestation: "A",
                }
            }
            Who::Partner(p, i) => Party {
                number: net::partner_subscriber(p, i).into(),
                trunk: Some(PARTNERS[p].trunk.into()),
                ip: net::ic_ip(p),
                attestation: "B",
            },
        }
    }

    /// A salt for contact lists, distinct per subscriber.
    fn key(&self) -> u64 {
        match *self {
            Who::Own(i) => i,
            Who::Partner(p, i) => ((p as u64 + 1) << 40) | i,
        }
    }
}

/// Contacts per subscriber, and the share of calls that go to one.
const CONTACTS: u64 = 30;
const TO_CONTACT: f64 = 0.65;

struct Net {
    contacts: Zipf,
}

impl Net {
    /// The `k`-th contact of a subscriber (an own subscriber).
    fn contact(who_key: u64, k: u64) -> u64 {
        mix(who_key, k, 0xC0) % net::OWN_POPULATION
    }

    /// A callee among own subscribers, skewed towards popular numbers.
    fn popular(rng: &mut Pcg64) -> u64 {
        let r = tiered(rng, net::OWN_POPULATION, &CALLEE_TIERS);
        scatter(r, net::OWN_POPULATION, 0xCA11)
    }

    /// Someone's callee: a contact, or a popular number.
    fn callee(&self, rng: &mut Pcg64, who_key: u64) -> u64 {
        if rng.random_bool(TO_CONTACT) {
            Net::contact(who_key, self.contacts.sample(rng) as u64)
        } else {
            Net::popular(rng)
        }
    }

    /// Anyone, uniformly, weighted by operator size (callers of hotlines,
    /// phone-ins and bridges).
    fn anyone(rng: &mut Pcg64) -> Who {
        if rng.random_bool(0.45) {
            Who::Own(rng.random_range(0..net::OWN_POPULATION))
        } else {
            let p = partner_by_rate(rng);
            Who::Partner(p, rng.random_range(0..PARTNERS[p].population))
        }
    }
}

/// A partner, weighted by the traffic its interconnect carries.
pub fn partner_by_rate(rng: &mut Pcg64) -> usize {
    let total: f64 = PARTNERS.iter().map(|p| p.rate).sum();
    let mut u = rng.random::<f64>() * total;
    for (i, p) in PARTNERS.iter().enumerate() {
        if u < p.rate {
            return i;
        }
        u -= p.rate;
    }
    PARTNERS.len() - 1
}

/// Writes a number as switches do: E.164, national (0…) or bare country code.
pub fn presented(rng: &mut Pcg64, e164: &str, national: f64, bare: f64) -> CompactString {
    let u = rng.random::<f64>();
    match e164.strip_prefix("+234") {
        Some(nsn) if u < national => format_compact!("0{nsn}"),
        Some(nsn) if u < national + bare => format_compact!("234{nsn}"),
        _ => e164.into(),
    }
}

fn call(t: i64, a: CompactString, b: CompactString, p: &Party, kind: Kind) -> SimCall {
    SimCall {
        time_ms: t,
        a,
        b,
        source_ip: Some(p.ip),
        trunk: p.trunk.clone(),
        pai: None,
        attestation: p.attestation,
        kind,
        instance: 0,
        intensity: 0.0,
        variant: "",
    }
}

/// Expected events rounded to a count.
fn count(profile: &Profile, per_sec: f64) -> u64 {
    profile.expected(per_sec).round().max(0.0) as u64
}

/// All legitimate traffic, unsorted.
pub fn generate(opts: &SimOptions) -> Vec<SimCall> {
    let (start, end) = (opts.start_ms(), opts.end_ms());
    let daily = Profile::new(opts.day_ms, start, end, &DAILY);
    let business = Profile::new(opts.day_ms, start, end, &BUSINESS);
    let netw = Net {
        contacts: Zipf::new(CONTACTS as usize, 1.0, 1.0),
    };
    let mut out: Vec<SimCall> = Vec::new();

    // Person to person: own subscribers via the core, partners' via the interconnects.
    let mut rng = component_rng(opts.seed, "p2p");
    let callback_p = (0.014 * opts.volume(Kind::Callback) / opts.scale.max(1e-9)).min(1.0);
    let mut sources: Vec<(Option<usize>, f64, Kind)> =
        vec![(None, 35.0 * opts.volume(Kind::Subscriber), Kind::Subscriber)];
    for (p, partner) in PARTNERS.iter().enumerate() {
        sources.push((
            Some(p),
            partner.rate * opts.volume(Kind::Interconnect),
            Kind::Interconnect,
        ));
    }
    for (partner, rate, kind) in sources {
        for _ in 0..count(&daily, rate) {
            let t = daily.sample(&mut rng);
            let who = match partner {
                None => Who::Own(tiered(&mut rng, net::OWN_POPULATION, &CALLER_TIERS)),
                Some(p) => Who::Partner(p, tiered(&mut rng, PARTNERS[p].population, &CALLER_TIERS)),
            };
            let p = who.party();
            let mut bi = netw.callee(&mut rng, who.key());
            if matches!(who, Who::Own(i) if i == bi) {
                bi = (bi + 1) % net::OWN_POPULATION;
            }
            let b: CompactString = net::own_subscriber(bi).into();
            let (national, bare) = if partner.is_none() {
                (0.25, 0.05)
            } else {
                (0.0, 0.1)
            };
            let mut c = call(
                t,
                presented(&mut rng, &p.number, national, bare),
                presented(&mut rng, &b, 0.3, 0.0),
                &p,
                kind,
            );
            if partner.is_none() && rng.random_bool(0.015) {
                // Withheld CLI: the From user is "anonymous", the number is in PAI.
                c.pai = Some(p.number.clone());
                c.a = "anonymous".into();
            }
            out.push(c);
            // No answer: redial once to three times within a minute or two.
            if rng.random_bool(0.08) {
                let mut rt = t;
                for _ in 0..rng.random_range(1..=3) {
                    rt += rng.random_range(15_000..90_000);
                    out.push(call(rt, p.number.clone(), b.clone(), &p, kind));
                }
            }
            // The called party calls back a little later.
            if rng.random_bool(callback_p) {
                let back = t + rng.random_range(10_000..600_000);
                let who_b = Who::Own(bi).party();
                out.push(call(
                    back,
                    b.clone(),
                    p.number.clone(),
                    &who_b,
                    Kind::Callback,
                ));
            }
        }
    }

    // International: foreign callers through the gateways.
    let mut rng = component_rng(opts.seed, "international");
    for _ in 0..count(&daily, 5.0 * opts.volume(Kind::International)) {
        let g = rng.random_range(0..net::INTL_TRUNKS.len());
        let p = Party {
            number: net::foreign(&mut rng).into(),
            trunk: Some(net::INTL_TRUNKS[g].into()),
            ip: net::intl_ip(g),
            attestation: "",
        };
        let t = daily.sample(&mut rng);
        let b = net::own_subscriber(Net::popular(&mut rng));
        out.push(call(t, p.number.clone(), b.into(), &p, Kind::International));
    }

    // Own subscribers abroad call home: a home CLI on a gateway, calling a contact.
    let mut rng = component_rng(opts.seed, "roaming");
    for _ in 0..count(&daily, 0.05 * opts.volume(Kind::Roaming)) {
        let g = rng.random_range(0..net::INTL_TRUNKS.len());
        let i = rng.random_range(0..net::OWN_POPULATION);
        let p = Party {
            number: net::own_subscriber(i).into(),
            trunk: Some(net::INTL_TRUNKS[g].into()),
            ip: net::intl_ip(g),
            attestation: "",
        };
        let t = daily.sample(&mut rng);
        let b = net::own_subscriber(Net::contact(i, netw.contacts.sample(&mut rng) as u64));
        out.push(call(t, p.number.clone(), b.into(), &p, Kind::Roaming));
    }

    // Wholesale transit: partners' subscribers and foreign callers.
    let mut rng = component_rng(opts.seed, "wholesale");
    for _ in 0..count(&daily, 4.0 * opts.volume(Kind::Wholesale)) {
        let w = rng.random_range(0..net::WS_TRUNKS.len());
        let number: CompactString = if rng.random_bool(0.5) {
            let pi = partner_by_rate(&mut rng);
            let i = tiered(&mut rng, PARTNERS[pi].population, &CALLER_TIERS);
            net::partner_subscriber(pi, i).into()
        } else {
            net::foreign(&mut rng).into()
        };
        let p = Party {
            number,
            trunk: Some(net::WS_TRUNKS[w].into()),
            ip: net::ws_ip(w),
            attestation: if rng.random_bool(0.5) { "C" } else { "" },
        };
        let t = daily.sample(&mut rng);
        let b = net::own_subscriber(Net::popular(&mut rng));
        out.push(call(t, p.number.clone(), b.into(), &p, Kind::Wholesale));
    }

    // Hotlines: banks and care lines; a few take most of the calls; busy
    // lines are redialled.
    let mut rng = component_rng(opts.seed, "hotline");
    let which = Zipf::new(net::HOTLINES, 1.0, 1.0);
    for _ in 0..count(&daily, 8.0 * opts.volume(Kind::Hotline)) {
        let p = Net::anyone(&mut rng).party();
        let t = daily.sample(&mut rng);
        let b: CompactString = net::hotline(which.sample(&mut rng)).into();
        out.push(call(t, p.number.clone(), b.clone(), &p, Kind::Hotline));
        if rng.random_bool(0.2) {
            let rt = t + rng.random_range(10_000..60_000);
            out.push(call(rt, p.number.clone(), b, &p, Kind::Hotline));
        }
    }

    // Radio phone-ins: bursts after "call now", one per station-hour on average.
    let mut rng = component_rng(opts.seed, "radio");
    let events =
        (daily.minutes() / 60.0 * net::RADIO_STATIONS as f64 * opts.volume(Kind::RadioPhoneIn))
            .round() as u64;
    for _ in 0..events {
        let station = rng.random_range(0..net::RADIO_STATIONS);
        let t0 = daily.sample(&mut rng);
        let b: CompactString = net::radio(station).into();
        for _ in 0..rng.random_range(50..400) {
            // Most within the first half minute, the rest over five minutes.
            let dt = if rng.random_bool(0.7) {
                (-(1.0 - rng.random::<f64>()).ln() * 10_000.0) as i64
            } else {
                rng.random_range(0..300_000)
            };
            let p = Net::anyone(&mut rng).party();
            out.push(call(
                t0 + dt,
                p.number.clone(),
                b.clone(),
                &p,
                Kind::RadioPhoneIn,
            ));
        }
    }

    // Conference bridges: participants join around the hour and half hour.
    let mut rng = component_rng(opts.seed, "conference");
    let mut slot = start / 1_800_000 * 1_800_000;
    while slot < end + 600_000 {
        let busy = rhythm::BUSINESS[((slot - opts.day_ms) / 3_600_000).rem_euclid(24) as usize];
        for bridge in 0..net::BRIDGES {
            let listed = bridge < net::LISTED_BRIDGES;
            let p_meet = if listed { 0.5 } else { 0.2 } * busy * opts.volume(Kind::Conference);
            if !rng.random_bool(p_meet.min(1.0)) {
                continue;
            }
            let n = if listed {
                rng.random_range(5..=150)
            } else {
                rng.random_range(3..=15)
            };
            let b: CompactString = net::bridge(bridge).into();
            for _ in 0..n {
                let dt = if rng.random_bool(0.7) {
                    // Around the start: sum of three uniforms, about ±2 minutes.
                    let s: f64 = (0..3).map(|_| rng.random::<f64>()).sum::<f64>() - 1.5;
                    (s * 80_000.0) as i64
                } else {
                    rng.random_range(-120_000..600_000)
                };
                let p = Net::anyone(&mut rng).party();
                out.push(call(
                    slot + dt,
                    p.number.clone(),
                    b.clone(),
                    &p,
                    Kind::Conference,
                ));
            }
        }
        slot += 1_800_000;
    }

    // Call centres: a few CLIs each, many calls a minute, distinct callees.
    let mut rng = component_rng(opts.seed, "callcentre");
    for (c, (clis, per_min)) in net::CALL_CENTRES.iter().enumerate() {
        let trunk: Option<CompactString> = Some(net::call_centre_trunk(c).into());
        for _ in 0..count(&business, per_min / 60.0 * opts.volume(Kind::CallCentre)) {
            let p = Party {
                number: net::call_centre_cli(c, rng.random_range(0..*clis)).into(),
                trunk: trunk.clone(),
                ip: net::cc_ip(c),
                attestation: "A",
            };
            let t = business.sample(&mut rng);
            let b = net::own_subscriber(rng.random_range(0..net::OWN_POPULATION));
            out.push(call(t, p.number.clone(), b.into(), &p, Kind::CallCentre));
        }
    }

    // PBXs on enterprise SIP trunks: a main number, a DDI block, or both.
    let mut rng = component_rng(opts.seed, "pbx");
    let ddi = [
        Zipf::new(10, 1.0, 1.0),
        Zipf::new(100, 1.0, 2.0),
        Zipf::new(1000, 1.0, 3.0),
    ];
    for i in (0..net::PBXS).filter(|&i| opts.keeps(i)) {
        let per_min = log_uniform(&mut rng, 0.1, 10.0);
        // 0: main number only; 1: each extension its DDI; 2: mostly main.
        let style = match rng.random::<f64>() {
            u if u < 0.5 => 0,
            u if u < 0.75 => 1,
            _ => 2,
        };
        let block = match rng.random::<f64>() {
            u if u < 0.4 => 0,
            u if u < 0.85 => 1,
            _ => 2,
        };
        let trunk: Option<CompactString> = net::pbx_trunk(i).map(Into::into);
        for _ in 0..count(&business, per_min / 60.0 * opts.entity_volume(Kind::Pbx)) {
            let ext = match style {
                0 => 0,
                2 if rng.random_bool(0.7) => 0,
                _ => 1 + ddi[block].sample(&mut rng) as u64,
            };
            let p = Party {
                number: net::pbx_number(i, ext).into(),
                trunk: trunk.clone(),
                ip: net::pbx_ip(i),
                attestation: "A",
            };
            let t = business.sample(&mut rng);
            let bi = if rng.random_bool(0.3) {
                mix(i as u64, rng.random_range(0..300), 0xB2B) % net::OWN_POPULATION
            } else {
                rng.random_range(0..net::OWN_POPULATION)
            };
            out.push(call(
                t,
                p.number.clone(),
                net::own_subscriber(bi).into(),
                &p,
                Kind::Pbx,
            ));
        }
    }

    // Small businesses on mobiles: 6–60 calls an hour in business hours,
    // half to their regulars, half to new callees.
    let mut rng = component_rng(opts.seed, "heavy");
    for j in (0..(net::HEAVY_OWN + net::HEAVY_OTHER)).filter(|&j| opts.keeps(j)) {
        let who = if j < net::HEAVY_OWN {
            Who::Own(scatter(j as u64, net::OWN_POPULATION, 0x4EA))
        } else {
            let p = j % PARTNERS.len();
            Who::Partner(p, scatter(j as u64, PARTNERS[p].population, 0x4EA))
        };
        let p = who.party();
        let per_hour = log_uniform(&mut rng, 6.0, 60.0);
        for _ in 0..count(
            &business,
            per_hour / 3600.0 * opts.entity_volume(Kind::HeavySubscriber),
        ) {
            let t = business.sample(&mut rng);
            let bi = if rng.random_bool(0.5) {
                mix(who.key(), rng.random_range(0..200), 0x4EA) % net::OWN_POPULATION
            } else {
                rng.random_range(0..net::OWN_POPULATION)
            };
            let b = net::own_subscriber(bi);
            out.push(call(
                t,
                p.number.clone(),
                b.into(),
                &p,
                Kind::HeavySubscriber,
            ));
        }
    }

    out.retain(|c| c.time_ms >= start && c.time_ms < end);
    out
}
