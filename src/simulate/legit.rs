//! Legitimate traffic, including everything that looks like fraud.
//!
//! Shares of the legitimate volume (`--calls`): subscribers on the operator's
//! own switches 44% (Zipf-skewed callers, redials, withheld CLIs carried in
//! PAI), other operators' subscribers over the national interconnects 28%,
//! international 4%, own subscribers roaming abroad 0.05% (a home CLI on an
//! international gateway, like masking), wholesale transit 3%, hotlines 7%,
//! radio phone-ins 2% (hundreds of callers within a minute of "call now"),
//! call-centre outbound 4%, business PBXs 4% (one main number for every
//! employee), conference bridges 2% (participants joining around :00 and :30),
//! and callbacks (a called party calling back within minutes) on top, about 1%.

use rand::RngExt;
use rand_pcg::Pcg64;

use super::network as net;
use super::{component_rng, Kind, Rhythm, SimCall, SimOptions, Zipf, BUSINESS, DAILY};

/// A legitimate caller, with the route its calls take.
struct Party {
    number: String,
    trunk: String,
    ip: std::net::IpAddr,
    attestation: &'static str,
}

/// The subscriber populations and their popularity.
struct Population {
    own: usize,
    other: usize,
    own_callers: Zipf,
    other_callers: Zipf,
    callees: Zipf,
}

impl Population {
    fn new(calls: u64) -> Population {
        let own = (calls / 4).clamp(10_000, 4_000_000) as usize;
        let other = own;
        Population {
            own,
            other,
            own_callers: Zipf::new(own, 0.9, 50.0),
            other_callers: Zipf::new(other, 0.9, 50.0),
            callees: Zipf::new(own, 0.7, 100.0),
        }
    }

    fn own_party(&self, idx: usize) -> Party {
        let m = net::own_msc(idx as u64);
        Party {
            number: net::own_subscriber(idx as u64),
            trunk: net::MSC_TRUNKS[m].into(),
            ip: net::msc_ip(m),
            attestation: "A",
        }
    }

    fn other_party(&self, idx: usize) -> Party {
        let (number, ic) = net::other_subscriber(idx as u64);
        Party {
            number,
            trunk: net::IC_TRUNKS[ic].into(),
            ip: net::ic_ip(ic),
            attestation: "B",
        }
    }

    /// A caller drawn by activity: own or other operator's subscriber.
    fn caller(&self, rng: &mut Pcg64, own_share: f64) -> (Party, Kind) {
        if rng.random_bool(own_share) {
            (
                self.own_party(self.own_callers.sample(rng)),
                Kind::Subscriber,
            )
        } else {
            (
                self.other_party(self.other_callers.sample(rng)),
                Kind::CarrierTrunk,
            )
        }
    }

    /// Any subscriber, uniformly (callers of hotlines, phone-ins, bridges).
    fn anyone(&self, rng: &mut Pcg64) -> Party {
        if rng.random_bool(0.6) {
            self.own_party(rng.random_range(0..self.own))
        } else {
            self.other_party(rng.random_range(0..self.other))
        }
    }

    fn callee(&self, rng: &mut Pcg64) -> String {
        net::own_subscriber(self.callees.sample(rng) as u64)
    }
}

/// Writes a number as switches do: E.164, national (0…) or bare country code.
fn presented(rng: &mut Pcg64, e164: &str, national: f64, bare: f64) -> String {
    let u = rng.random::<f64>();
    match e164.strip_prefix("+234") {
        Some(nsn) if u < national => format!("0{nsn}"),
        Some(nsn) if u < national + bare => format!("234{nsn}"),
        _ => e164.to_string(),
    }
}

fn call(t: i64, a: String, b: String, p: &Party, kind: Kind) -> SimCall {
    SimCall {
        time_ms: t,
        a,
        b,
        source_ip: Some(p.ip),
        trunk: Some(p.trunk.clone()),
        pai: None,
        attestation: p.attestation,
        kind,
        instance: 0,
    }
}

fn n_of(opts: &SimOptions, share: f64) -> u64 {
    (opts.calls as f64 * share).round() as u64
}

/// All legitimate traffic, unsorted.
pub fn generate(opts: &SimOptions) -> Vec<SimCall> {
    let pop = Population::new(opts.calls);
    let daily = Rhythm::new(opts.start_ms, opts.hours, &DAILY);
    let business = Rhythm::new(opts.start_ms, opts.hours, &BUSINESS);
    let end = opts.start_ms + opts.duration_ms();
    let mut out: Vec<SimCall> = Vec::with_capacity(opts.calls as usize + opts.calls as usize / 20);

    // Person-to-person calls: own subscribers (switches) and other operators' (interconnects).
    let mut rng = component_rng(opts.seed, "p2p");
    let p2p = n_of(opts, 0.72);
    let mut produced = 0u64;
    while produced < p2p {
        let t = daily.sample(&mut rng);
        let (p, kind) = pop.caller(&mut rng, 0.44 / 0.72);
        let bi = pop.callees.sample(&mut rng);
        let b = net::own_subscriber(bi as u64);
        let mut c = call(
            t,
            presented(&mut rng, &p.number, 0.25, 0.1),
            presented(&mut rng, &b, 0.3, 0.0),
            &p,
            kind,
        );
        if kind == Kind::Subscriber && rng.random_bool(0.015) {
            // Withheld CLI: the From user is "anonymous", the number is in PAI.
            c.pai = Some(c.a.clone());
            c.a = "anonymous".into();
        }
        out.push(c);
        produced += 1;
        // No answer: redial once to three times within a minute or two.
        if rng.random_bool(0.08) {
            let mut rt = t;
            for _ in 0..rng.random_range(1..=3) {
                rt += rng.random_range(15_000..90_000);
                out.push(call(rt, p.number.clone(), b.clone(), &p, kind));
                produced += 1;
            }
        }
        // The called party calls back a little later.
        if rng.random_bool(0.014) {
            let back = rt_after(&mut rng, t, 10_000, 600_000);
            let who = pop.own_party(bi);
            out.push(call(
                back,
                b.clone(),
                p.number.clone(),
                &who,
                Kind::Callback,
            ));
        }
    }

    // International: foreign callers through the international gateways.
    let mut rng = component_rng(opts.seed, "international");
    for _ in 0..n_of(opts, 0.04) {
        let g = rng.random_range(0..net::INTL_TRUNKS.len());
        let p = Party {
            number: net::foreign(&mut rng),
            trunk: net::INTL_TRUNKS[g].into(),
            ip: net::intl_ip(g),
            attestation: "",
        };
        let t = daily.sample(&mut rng);
        let b = pop.callee(&mut rng);
        out.push(call(t, p.number.clone(), b, &p, Kind::International));
    }

    // Own subscribers roaming abroad call home: a home CLI on an international gateway.
    let mut rng = component_rng(opts.seed, "roaming");
    // Most are in the operator's roaming list (the HLR export); a few left after it.
    for _ in 0..n_of(opts, 0.0005) {
        let g = rng.random_range(0..net::INTL_TRUNKS.len());
        let number = if rng.random_bool(net::UNLISTED_ROAMING_SHARE) {
            net::own_subscriber(rng.random_range(0..pop.own) as u64)
        } else {
            net::roamer(rng.random_range(0..net::ROAMERS))
        };
        let p = Party {
            number,
            trunk: net::INTL_TRUNKS[g].into(),
            ip: net::intl_ip(g),
            attestation: "",
        };
        let t = daily.sample(&mut rng);
        let b = pop.callee(&mut rng);
        out.push(call(t, p.number.clone(), b, &p, Kind::Roaming));
    }

    // Wholesale transit: other operators' subscribers and foreign callers.
    let mut rng = component_rng(opts.seed, "wholesale");
    for _ in 0..n_of(opts, 0.03) {
        let w = rng.random_range(0..net::WS_TRUNKS.len());
        let number = if rng.random_bool(0.6) {
            net::other_subscriber(pop.other_callers.sample(&mut rng) as u64).0
        } else {
            net::foreign(&mut rng)
        };
        let p = Party {
            number,
            trunk: net::WS_TRUNKS[w].into(),
            ip: net::ws_ip(w),
            attestation: if rng.random_bool(0.5) { "C" } else { "" },
        };
        let t = daily.sample(&mut rng);
        let b = pop.callee(&mut rng);
        out.push(call(t, p.number.clone(), b, &p, Kind::Wholesale));
    }

    // Hotlines: banks, care lines; a few take most of the calls.
    let mut rng = component_rng(opts.seed, "hotline");
    let which = Zipf::new(net::HOTLINES, 1.0, 1.0);
    for _ in 0..n_of(opts, 0.07) {
        let p = pop.anyone(&mut rng);
        let t = daily.sample(&mut rng);
        let b = net::hotline(which.sample(&mut rng));
        out.push(call(t, p.number.clone(), b, &p, Kind::Hotline));
    }

    // Radio phone-ins: bursts after "call now", from daytime segments.
    let mut rng = component_rng(opts.seed, "radio");
    let mut left = n_of(opts, 0.02) as i64;
    while left > 0 {
        let station = rng.random_range(0..net::RADIO_STATIONS);
        let t0 = daily.sample(&mut rng);
        let n = rng.random_range(50..400i64).min(left);
        for _ in 0..n {
            // Most within the first half minute, the rest over five minutes.
            let dt = if rng.random_bool(0.7) {
                (-(1.0 - rng.random::<f64>()).ln() * 10_000.0) as i64
            } else {
                rng.random_range(0..300_000)
            };
            let p = pop.anyone(&mut rng);
            let b = net::radio(station);
            out.push(call(t0 + dt, p.number.clone(), b, &p, Kind::RadioPhoneIn));
        }
        left -= n;
    }

    // Call-centre outbound: allowlisted CLIs, business hours, many calls a minute.
    let mut rng = component_rng(opts.seed, "callcentre");
    let which = Zipf::new(net::CALL_CENTRE_CLIS, 0.8, 1.0);
    for _ in 0..n_of(opts, 0.04) {
        let i = which.sample(&mut rng);
        let tr = i % net::CC_TRUNKS.len();
        let p = Party {
            number: net::call_centre_cli(i),
            trunk: net::CC_TRUNKS[tr].into(),
            ip: net::cc_ip(tr),
            attestation: "A",
        };
        let t = business.sample(&mut rng);
        let b = net::own_subscriber(rng.random_range(0..pop.own) as u64);
        out.push(call(t, p.number.clone(), b, &p, Kind::CallCentre));
    }

    // Business PBXs: one main number for most outgoing calls, some direct dials.
    let mut rng = component_rng(opts.seed, "pbx");
    let which = Zipf::new(net::BUSINESSES, 1.1, 3.0);
    for _ in 0..n_of(opts, 0.04) {
        let i = which.sample(&mut rng);
        let ext = if rng.random_bool(0.7) {
            0
        } else {
            rng.random_range(1..100)
        };
        let p = Party {
            number: net::business(i, ext),
            trunk: net::business_trunk(i),
            ip: net::business_ip(i),
            attestation: "A",
        };
        let t = business.sample(&mut rng);
        let b = pop.callee(&mut rng);
        out.push(call(t, p.number.clone(), b, &p, Kind::Pbx));
    }

    // Conference bridges: participants join around the hour and half hour.
    let mut rng = component_rng(opts.seed, "conference");
    let which = Zipf::new(net::BRIDGES, 0.8, 2.0);
    let mut left = n_of(opts, 0.02) as i64;
    while left > 0 {
        let bridge = which.sample(&mut rng);
        let start = business.sample(&mut rng) / 1_800_000 * 1_800_000;
        let n = if bridge < net::LISTED_BRIDGES {
            rng.random_range(5..60i64)
        } else {
            rng.random_range(3..16i64)
        }
        .min(left);
        for _ in 0..n {
            let dt = if rng.random_bool(0.7) {
                // Around the start: sum of three uniforms, about ±2 minutes.
                let s: f64 = (0..3).map(|_| rng.random::<f64>()).sum::<f64>() - 1.5;
                (s * 80_000.0) as i64
            } else {
                rng.random_range(-120_000..600_000)
            };
            let p = pop.anyone(&mut rng);
            out.push(call(
                start + dt,
                p.number.clone(),
                net::bridge(bridge),
                &p,
                Kind::Conference,
            ));
        }
        left -= n;
    }

    out.retain(|c| c.time_ms >= opts.start_ms && c.time_ms < end);
    out
}

fn rt_after(rng: &mut Pcg64, t: i64, min: i64, max: i64) -> i64 {
    t + rng.random_range(min..max)
}
