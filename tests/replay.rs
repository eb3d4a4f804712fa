// SPDX-License-Identifier: MIT OR Apache-2.0
//! Replay, simulation and quality scoring, end to end through files.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use acm::clock::SystemClock;
use acm::config::Config;
use acm::detector::Detector;
use acm::engine::{Attestation, Call, Engine, Reason, Verdict};
use acm::replay::cli::InputArgs;
use acm::replay::{replay, BadRow, ReplayOptions, ReplaySink, Row};
use acm::simulate::{self, network, Kind, SimOptions};
use acm::store::{MemoryStore, MemoryStoreConfig};

/// A scratch file in cargo's directory for integration tests (under target/,
/// so repeated runs leave nothing in /tmp).
fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("replay-test");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Two hours at 2% of the default volume (radio phone-ins at full volume, so
/// that a few happen), 10 instances per family per hour.
fn small() -> SimOptions {
    let mut o = SimOptions {
        seed: 7,
        scale: 0.02,
        attacks_per_hour: 10.0,
        ..SimOptions::default()
    };
    o.set_volumes("radio_phone_in=50").unwrap();
    o
}

fn csv_bytes(opts: &SimOptions) -> Vec<u8> {
    let mut v = Vec::new();
    simulate::write_cdrs(&simulate::generate(opts), &mut v).unwrap();
    v
}

fn sim_config() -> Config {
    Config::from_toml(&network::deployment_config(true)).unwrap()
}

fn input_args() -> InputArgs {
    InputArgs {
        map: Vec::new(),
        format: None,
        no_header: false,
        presorted: false,
        no_progress: true,
        show_bad: 0,
        bad_rows: None,
        keep_going: false,
    }
}

#[derive(Default)]
struct Collect {
    verdicts: Vec<(String, Verdict)>,
    bad: Vec<BadRow>,
}

impl ReplaySink for Collect {
    fn bad_row(&mut self, bad: &BadRow) {
        self.bad.push(bad.clone());
    }
    fn verdict(&mut self, row: &Row, v: &Verdict) {
        self.verdicts
            .push((row.call.call_id.to_string(), v.clone()));
    }
}

fn run(cfg: &Config, files: &[PathBuf], opts: &ReplayOptions) -> (acm::replay::Summary, Collect) {
    let engine = Engine::from_config(cfg, Arc::new(SystemClock)).unwrap();
    let store = MemoryStore::new(MemoryStoreConfig::default());
    let detector = Detector::new(Arc::new(engine), Arc::new(store));
    let mut sink = Collect::default();
    let summary = replay(&detector, files, opts, &mut sink);
    (summary, sink)
}

#[test]
fn the_generator_is_deterministic_for_a_seed() {
    let calls = simulate::generate(&small());
    let again = simulate::generate(&small());
    type Writer = fn(&[simulate::SimCall], &mut Vec<u8>) -> std::io::Result<()>;
    let writers: [Writer; 3] = [
        |c, w| simulate::write_cdrs(c, w),
        |c, w| simulate::write_cdrs_hidden(c, w),
        |c, w| simulate::write_labels(c, w),
    ];
    for write in writers {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write(&calls, &mut a).unwrap();
        write(&again, &mut b).unwrap();
        assert!(a.len() > 100_000);
        assert!(a == b, "same seed, different output");
    }
    let other = csv_bytes(&SimOptions { seed: 8, ..small() });
    assert!(
        csv_bytes(&small()) != other,
        "another seed gave the same output"
    );
    // Every class and family is present, inside the span, in time order.
    let opts = small();
    for k in Kind::LEGIT.into_iter().chain(Kind::ATTACKS) {
        assert!(calls.iter().any(|c| c.kind == k), "{k:?} missing");
    }
    assert!(calls.windows(2).all(|w| w[0].time_ms <= w[1].time_ms));
    assert!(calls
        .iter()
        .all(|c| c.time_ms >= opts.start_ms() && c.time_ms < opts.end_ms()));
    // Turning a class or a family off leaves the others' draws alone.
    let mut quiet = small();
    quiet.set_volumes("pbx=0").unwrap();
    quiet.set_mix("simbox=0").unwrap();
    let q = simulate::generate(&quiet);
    assert!(!q
        .iter()
        .any(|c| c.kind == Kind::Pbx || c.kind == Kind::SimBox));
    let keep = |v: &[simulate::SimCall]| -> Vec<(i64, String)> {
        v.iter()
            .filter(|c| c.kind == Kind::Hotline || c.kind == Kind::CliRotation)
            .map(|c| (c.time_ms, c.a.to_string()))
            .collect()
    };
    assert_eq!(keep(&calls), keep(&q));
}

/// The calls of each attack instance, in time order.
fn instances(calls: &[simulate::SimCall]) -> BTreeMap<(Kind, u32), Vec<&simulate::SimCall>> {
    let mut m: BTreeMap<(Kind, u32), Vec<&simulate::SimCall>> = BTreeMap::new();
    for c in calls.iter().filter(|c| c.kind.is_attack()) {
        m.entry((c.kind, c.instance)).or_default().push(c);
    }
    m
}

/// Calls a second between the first and the last of `calls`.
fn rate_per_s(calls: &[&simulate::SimCall]) -> f64 {
    let span = calls.last().unwrap().time_ms - calls[0].time_ms;
    (calls.len() - 1) as f64 * 1000.0 / span as f64
}

fn distinct<'a>(it: impl Iterator<Item = &'a str>) -> usize {
    it.collect::<HashSet<_>>().len()
}

#[test]
fn each_instance_has_the_intensity_its_label_states() {
    let mut opts = SimOptions {
        seed: 11,
        scale: 0.0,
        attacks_per_hour: 40.0,
        ..SimOptions::default()
    };
    // Wider than the defaults, to hold the shapes at both ends.
    opts.set_intensity(
        "masking_burst=0.3..30,refiled_masking=0.3..40,simbox=0.2..12,cli_rotation=0.1..30",
    )
    .unwrap();
    opts.set_variants("intl_local_cli.pai=0.2").unwrap();
    let calls = simulate::generate(&opts);
    assert!(calls.iter().all(|c| c.kind.is_attack()));
    let plan = acm::number::NumberingPlan::nigeria();
    let near = |got: f64, want: f64| (got - want).abs() <= want * 0.01 + 1e-9;
    let mut seen_variants: HashSet<(Kind, &str)> = HashSet::new();
    for ((kind, id), list) in instances(&calls) {
        let x = list[0].intensity;
        let var = list[0].variant;
        seen_variants.insert((kind, var));
        assert!(list.iter().all(|c| c.intensity == x && c.variant == var));
        assert!(
            opts.intensity_of(kind).contains(x),
            "{kind:?} {id}: {x} outside {}",
            opts.intensity_of(kind)
        );
        let clis = distinct(list.iter().map(|c| c.a.as_str()));
        let callees = distinct(list.iter().map(|c| c.b.as_str()));
        match kind {
            Kind::MaskingBurst | Kind::RefiledMasking => {
                let per = if kind == Kind::MaskingBurst {
                    1.0
                } else {
                    60.0
                };
                assert!(near(rate_per_s(&list) * per, x), "{kind:?} {id}");
                assert_eq!((clis, callees), (list.len(), 1), "{kind:?} {id}");
                let n = list.len() as f64;
                let r = if kind == Kind::MaskingBurst {
                    opts.shape.burst_calls
                } else {
                    opts.shape.refiled_clis
                };
                assert!(r.contains(n), "{kind:?} {id}: {n} calls");
                if kind == Kind::RefiledMasking {
                    assert!(list[0].trunk.as_deref().unwrap().starts_with("IC-"));
                }
            }
            Kind::SimBox => {
                // One SIM, however the route writes its number.
                let mut sims: BTreeMap<String, Vec<&simulate::SimCall>> = BTreeMap::new();
                for c in &list {
                    sims.entry(plan.key_of(&c.a).to_string())
                        .or_default()
                        .push(c);
                }
                assert!(
                    (1..=16).contains(&sims.len()),
                    "simbox {id}: {} SIMs",
                    sims.len()
                );
                for (sim, sl) in &sims {
                    assert!(near(rate_per_s(sl) * 60.0, x), "simbox {id} {sim}");
                    assert!(plan.normalise(sim).is_ok(), "{sim}");
                    // Paced like a person, to distinct callees.
                    let to = distinct(sl.iter().map(|c| c.b.as_str()));
                    assert!(
                        to * 100 >= sl.len() * 95,
                        "simbox {id}: {to} of {}",
                        sl.len()
                    );
                }
                let (trunk, ip) = (list[0].trunk.as_deref(), list[0].source_ip.unwrap());
                match var {
                    "core" => assert!(trunk.unwrap().starts_with("MSC-")),
                    "offnet" => assert!(trunk.unwrap().starts_with("IC-")),
                    "gateway" => assert!(trunk.is_none() && ip.to_string().starts_with("198.1")),
                    v => panic!("simbox variant {v}"),
                }
            }
            Kind::CliRotation => {
                assert!(near(rate_per_s(&list), x), "rotation {id}");
                assert_eq!(clis, list.len(), "rotation {id}: a new CLI each call");
                let sources = distinct(list.iter().map(|c| c.trunk.as_deref().unwrap_or("-")));
                assert_eq!(sources, 1);
                if var == "pbx" {
                    let ip = list[0].source_ip.unwrap().to_string();
                    assert!(ip.starts_with("100.64."), "{ip}");
                    assert!(list[0]
                        .trunk
                        .as_deref()
                        .is_none_or(|t| t.starts_with("ENT-")));
                }
            }
            Kind::IntlLocalCli | Kind::InvalidCli => {
                assert_eq!(list.len() as f64, x, "{kind:?} {id}");
                if kind == Kind::IntlLocalCli {
                    assert!(list[0].trunk.as_deref().unwrap().starts_with("INTL-GW"));
                    for c in &list {
                        let home = if var == "pai" {
                            c.pai.as_deref().unwrap()
                        } else {
                            &c.a
                        };
                        assert!(home.starts_with("+234"), "{home}");
                    }
                } else {
                    for c in &list {
                        assert!(
                            match var {
                                "nsn0" => c.a.starts_with("+2340"),
                                "letters" => c.a.chars().any(|ch| ch.is_ascii_alphabetic()),
                                "length" => c.a.len() != 14,
                                _ => c.a.len() == 14,
                            },
                            "invalid_cli {var}: {}",
                            c.a
                        );
                    }
                }
            }
            _ => unreachable!(),
        }
    }
    for k in Kind::ATTACKS {
        for (v, w) in opts.variants_of(k) {
            if *w > 0.0 {
                assert!(seen_variants.contains(&(k, *v)), "{k:?} {v} never drawn");
            }
        }
    }
    // A fixed intensity is that intensity everywhere.
    let mut fixed = opts.clone();
    fixed.set_intensity("simbox=2,intl_local_cli=5").unwrap();
    let calls = simulate::generate(&fixed);
    for c in &calls {
        match c.kind {
            Kind::SimBox => assert_eq!(c.intensity, 2.0),
            Kind::IntlLocalCli => assert_eq!(c.intensity, 5.0),
            _ => {}
        }
    }
}

#[test]
fn look_alikes_come_at_realistic_volumes() {
    // One busy hour of the classes that look like attacks, at full volume.
    let mut opts = SimOptions {
        seed: 3,
        hours: 1,
        start_hour: 10,
        attacks_per_hour: 0.0,
        ..SimOptions::default()
    };
    opts.set_volumes("subscriber=0,international=0,roaming=0,wholesale=0,radio_phone_in=0,conference=0,callback=0")
        .unwrap();
    let calls = simulate::generate(&opts);
    let plan = acm::number::NumberingPlan::nigeria();
    // Interconnects: 20–60 calls a second, thousands of distinct CLIs a
    // minute, each partner's subscribers in the partner's own ranges.
    for (p, partner) in network::PARTNERS.iter().enumerate() {
        let on: Vec<&simulate::SimCall> = calls
            .iter()
            .filter(|c| c.trunk.as_deref() == Some(partner.trunk) && c.kind == Kind::Interconnect)
            .collect();
        let per_s = on.len() as f64 / 3600.0;
        assert!(
            (18.0..=60.0).contains(&per_s),
            "{}: {per_s}/s",
            partner.trunk
        );
        let minute: Vec<&&simulate::SimCall> = on
            .iter()
            .filter(|c| c.time_ms < opts.start_ms() + 60_000)
            .collect();
        let clis = distinct(minute.iter().map(|c| c.a.as_str()));
        assert!(clis >= 1_000, "{}: {clis} CLIs in a minute", partner.trunk);
        for c in on.iter().take(2_000) {
            let e = plan.normalise(&c.a).unwrap();
            let nsn = &e.digits()[3..];
            assert!(
                partner.prefixes.iter().any(|pre| nsn.starts_with(pre)),
                "{} on {}",
                c.a,
                network::PARTNERS[p].trunk
            );
        }
    }
    // PBXs: main-number rates from ~0.1 to ~10 calls a minute to mostly
    // distinct callees, each PBX its own address and trunk (or none).
    let mut per_pbx: HashMap<std::net::IpAddr, Vec<&simulate::SimCall>> = HashMap::new();
    for c in calls.iter().filter(|c| c.kind == Kind::Pbx) {
        per_pbx.entry(c.source_ip.unwrap()).or_default().push(c);
    }
    let unnamed = per_pbx.values().filter(|v| v[0].trunk.is_none()).count();
    assert!(
        (40..=70).contains(&unnamed),
        "{unnamed} PBXs without a trunk name"
    );
    assert!(per_pbx.len() >= 180, "{} PBXs", per_pbx.len());
    let rates: Vec<f64> = per_pbx.values().map(|v| v.len() as f64 / 60.0).collect();
    let max = rates.iter().cloned().fold(0.0, f64::max);
    let min = rates.iter().cloned().fold(f64::MAX, f64::min);
    assert!(max >= 5.0 && min <= 0.3, "PBX rates {min}..{max} a minute");
    for v in per_pbx.values() {
        assert_eq!(
            distinct(v.iter().map(|c| c.trunk.as_deref().unwrap_or(""))),
            1
        );
        assert!(distinct(v.iter().map(|c| c.b.as_str())) * 100 >= v.len() * 60);
    }
    let ddi_pbx = per_pbx
        .values()
        .filter(|v| distinct(v.iter().map(|c| c.a.as_str())) >= 20)
        .count();
    assert!(ddi_pbx >= 10, "{ddi_pbx} PBXs presenting DDIs");
    // Hotlines: the busiest takes tens of calls a minute from distinct callers.
    let mut per_hotline: HashMap<&str, usize> = HashMap::new();
    for c in calls.iter().filter(|c| c.kind == Kind::Hotline) {
        *per_hotline.entry(c.b.as_str()).or_default() += 1;
    }
    let top = per_hotline.values().max().copied().unwrap_or(0) as f64 / 60.0;
    assert!(top >= 50.0, "busiest hotline {top}/min");
    // Call centres: one or a few CLIs with heavy fan-out.
    for cli in network::named_a_numbers() {
        let out: Vec<&simulate::SimCall> = calls.iter().filter(|c| c.a == cli).collect();
        assert!(out.len() >= 300, "{cli}: {}", out.len());
        assert!(distinct(out.iter().map(|c| c.b.as_str())) * 100 >= out.len() * 95);
    }
    // Small businesses on mobiles: up to about a call a minute.
    let mut per_heavy: HashMap<&str, usize> = HashMap::new();
    for c in calls.iter().filter(|c| c.kind == Kind::HeavySubscriber) {
        *per_heavy.entry(c.a.as_str()).or_default() += 1;
    }
    let busiest = per_heavy.values().max().copied().unwrap_or(0);
    assert!(
        (40..=80).contains(&busiest),
        "busiest heavy subscriber {busiest}/h"
    );
    assert!(per_heavy.len() >= 480);
}

#[test]
fn the_hidden_format_round_trips_through_replay() {
    let calls = simulate::generate(&small());
    let path = tmp("hidden.csv");
    simulate::write_cdrs_hidden(&calls, std::fs::File::create(&path).unwrap()).unwrap();
    let head = std::fs::read_to_string(&path).unwrap();
    assert!(head.starts_with("call_id,a_number,b_number,timestamp_ms,source_ip,trunk\n"));
    let (summary, got) = run(
        &sim_config(),
        std::slice::from_ref(&path),
        &ReplayOptions::default(),
    );
    assert_eq!((summary.bad_rows, summary.checked), (0, calls.len() as u64));
    let plan = acm::number::NumberingPlan::nigeria();
    for (i, ((id, v), c)) in got.verdicts.iter().zip(&calls).enumerate() {
        assert_eq!(id, &simulate::call_id(i));
        assert_eq!(v.time_ms, c.time_ms);
        // A withheld caller's network number is the A-number.
        let a = c
            .pai
            .as_deref()
            .filter(|_| c.a == "anonymous")
            .unwrap_or(&c.a);
        assert_eq!(v.a_number, plan.key_of(a), "{id}");
        assert_eq!(v.b_number, plan.key_of(&c.b), "{id}");
    }
}

#[test]
fn replay_gives_the_verdicts_live_checks_give() {
    let opts = small();
    let calls = simulate::generate(&opts);
    let path = tmp("live.csv");
    simulate::write_cdrs(&calls, std::fs::File::create(&path).unwrap()).unwrap();
    let cfg = sim_config();

    // Live: one call at a time through a Detector, in the order a switch sends them.
    let engine = Engine::from_config(&cfg, Arc::new(SystemClock)).unwrap();
    let store = MemoryStore::new(MemoryStoreConfig::default());
    let detector = Detector::new(Arc::new(engine), Arc::new(store));
    let live: Vec<Verdict> = calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let call = Call {
                call_id: simulate::call_id(i).into(),
                a_number: c.a.as_str().into(),
                b_number: c.b.as_str().into(),
                time_ms: Some(c.time_ms),
                source_ip: c.source_ip,
                trunk: c.trunk.as_deref().map(Into::into),
                pai: c.pai.as_deref().map(Into::into),
                attestation: Attestation::parse(c.attestation).unwrap(),
            };
            detector.check_now(&call).unwrap()
        })
        .collect();

    for presorted in [false, true] {
        let ropts = ReplayOptions {
            presorted,
            ..ReplayOptions::default()
        };
        let (summary, got) = run(&cfg, std::slice::from_ref(&path), &ropts);
        assert_eq!(summary.bad_rows, 0);
        assert_eq!(summary.out_of_order, 0);
        assert_eq!(got.verdicts.len(), live.len());
        for (i, ((id, v), l)) in got.verdicts.iter().zip(&live).enumerate() {
            assert_eq!(id, &simulate::call_id(i));
            assert_eq!(v, l, "call {id} differs (presorted: {presorted})");
        }
        assert!(live.iter().any(|v| !v.new_alerts.is_empty()));
    }
}

#[test]
fn files_are_merged_in_event_time_order() {
    // Two files whose rows interleave in time: the fan-in only shows merged.
    let a = tmp("merge-a.csv");
    let b = tmp("merge-b.jsonl");
    let mut fa = std::fs::File::create(&a).unwrap();
    let mut fb = std::fs::File::create(&b).unwrap();
    writeln!(fa, "call_id,timestamp,cli,called").unwrap();
    for i in 0..6 {
        let t = 1_700_000_000_000i64 + i * 500;
        if i % 2 == 0 {
            writeln!(fa, "c{i},{t},+234803100000{i},+2348039999999").unwrap();
        } else {
            writeln!(
                fb,
                "{{\"call_id\":\"c{i}\",\"time\":{t},\"a_number\":\"+234803100000{i}\",\"b_number\":\"+2348039999999\"}}"
            )
            .unwrap();
        }
    }
    drop((fa, fb));
    for presorted in [false, true] {
        let ropts = ReplayOptions {
            presorted,
            ..ReplayOptions::default()
        };
        let (summary, got) = run(&Config::default(), &[a.clone(), b.clone()], &ropts);
        let ids: Vec<&str> = got.verdicts.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["c0", "c1", "c2", "c3", "c4", "c5"]);
        assert_eq!(summary.checked, 6);
        assert_eq!(got.verdicts[4].1.count(Reason::DistinctCallers), 5);
        assert_eq!(got.verdicts[4].1.action, acm::engine::Action::Block);
    }
}

#[test]
fn bad_rows_are_reported_with_file_and_line_and_counted() {
    let p = tmp("bad.csv");
    std::fs::write(
        &p,
        "call_id,timestamp,a_number,b_number,source_ip,trunk,pai,attestation\n\
         1,2024-03-04T10:00:00Z,+2348031000001,+2348039999999,10.0.0.1,T,,A\n\
         2,not-a-time,+2348031000002,+2348039999999,,,,\n\
         3,2024-03-04T10:00:01Z,+2348031000003,,,,,\n\
         4,2024-03-04T10:00:02Z,+2348031000004,+2348039999999,10.0.0.999,,,\n\
         5,2024-03-04T10:00:03Z,+2348031000005,+2348039999999,,,,Z\n\
         6,2024-03-04T10:00:04Z,+2348031000006\n\
         7,2024-03-04T10:00:05Z,+2348031000007,+2348039999999,,,,\n",
    )
    .unwrap();
    let (summary, got) = run(
        &Config::default(),
        std::slice::from_ref(&p),
        &ReplayOptions::default(),
    );
    assert_eq!(summary.rows, 7);
    assert_eq!(summary.bad_rows, 5);
    assert_eq!(summary.checked, 2);
    let lines: Vec<u64> = got.bad.iter().map(|b| b.line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7]);
    for b in &got.bad {
        assert_eq!(b.file, p);
        assert!(b
            .to_string()
            .starts_with(&format!("{}:{}: ", p.display(), b.line)));
    }
    assert!(got.bad[0].reason.contains("timestamp"), "{}", got.bad[0]);
    assert!(got.bad[1].reason.contains("b_number"), "{}", got.bad[1]);
    assert!(got.bad[2].reason.contains("source_ip"), "{}", got.bad[2]);
    assert!(got.bad[3].reason.contains("attestation"), "{}", got.bad[3]);
    // Rows the engine refuses are reported the same way.
    let q = tmp("refused.jsonl");
    let long = "9".repeat(200);
    std::fs::write(
        &q,
        format!(
            "{{\"timestamp\":1,\"b_number\":\"+2348039999999\"}}\n\n{{\"timestamp\":2,\"b_number\":\"{long}\"}}\n"
        ),
    )
    .unwrap();
    let (summary, got) = run(
        &Config::default(),
        std::slice::from_ref(&q),
        &ReplayOptions::default(),
    );
    assert_eq!(
        (summary.checked, summary.refused, summary.bad_rows),
        (1, 1, 1)
    );
    assert_eq!(got.bad[0].line, 3);
    assert!(got.bad[0].reason.contains("refused"));
}

#[test]
fn gzip_input_by_extension_and_by_magic_bytes() {
    let opts = SimOptions {
        scale: 0.01,
        hours: 1,
        ..small()
    };
    let plain = tmp("g.csv");
    std::fs::write(&plain, csv_bytes(&opts)).unwrap();
    let gz = tmp("g.csv.gz");
    let disguised = tmp("g-gzip-without-extension.csv");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&csv_bytes(&opts)).unwrap();
    let bytes = enc.finish().unwrap();
    std::fs::write(&gz, &bytes).unwrap();
    std::fs::write(&disguised, &bytes).unwrap();
    let cfg = sim_config();
    let (s0, v0) = run(&cfg, &[plain], &ReplayOptions::default());
    assert!(s0.checked > 5_000);
    for p in [gz, disguised] {
        let (s, v) = run(&cfg, &[p], &ReplayOptions::default());
        assert_eq!(s.checked, s0.checked);
        assert_eq!(s.bad_rows, 0);
        assert!(v.verdicts == v0.verdicts);
    }
}

#[test]
fn column_mapping_overrides() {
    let p = tmp("mapped.csv");
    std::fs::write(
        &p,
        "When,CallingNumber,Dialled,Ingress\n\
         2024-03-04 10:00:00,08031000001,08039999999,INTL-GW1\n",
    )
    .unwrap();
    let mut input = InputArgs {
        map: vec!["timestamp=When,b_number=Dialled".into()],
        format: None,
        no_header: false,
        presorted: false,
        no_progress: true,
        show_bad: 0,
        bad_rows: None,
        keep_going: false,
    };
    input.map.push("a_number=CallingNumber".into());
    input.map.push("trunk=#4".into());
    let (s, got) = run(
        &sim_config(),
        std::slice::from_ref(&p),
        &input.options().unwrap(),
    );
    assert_eq!(s.checked, 1);
    let v = &got.verdicts[0].1;
    assert_eq!(v.a_number, "+2348031000001");
    assert!(v.reasons.contains(acm::engine::Reason::IntlIngressLocalCli));
}

/// A hand-made labelled CDR file: every number distinct, calls minutes apart.
struct Hand {
    cdrs: String,
    labels: String,
    denied: Vec<String>,
    next: u32,
}

impl Hand {
    const T0: i64 = 1_709_539_200_000;
    const MIN: i64 = 60_000;

    fn new() -> Hand {
        Hand {
            cdrs: "call_id,a_number,b_number,timestamp_ms,source_ip,trunk\n".into(),
            labels: "call_id,class,type,instance,intensity,variant\n".into(),
            denied: Vec::new(),
            next: 0,
        }
    }

    /// A call at `minute` (from T0) labelled `label` ("" for none), to `b`
    /// or a fresh callee, its CLI deny-listed (blocked) when `deny`.
    fn call(&mut self, minute: i64, label: &str, b: Option<&str>, deny: bool) {
        self.next += 1;
        let id = format!("c{}", self.next);
        let a = format!("+2348031{:06}", self.next);
        let b = b.map_or_else(|| format!("+2348069{:06}", self.next), str::to_string);
        let t = Hand::T0 + minute * Hand::MIN;
        self.cdrs.push_str(&format!("{id},{a},{b},{t},,\n"));
        if !label.is_empty() {
            self.labels.push_str(&format!("{id},{label}\n"));
        }
        if deny {
            self.denied.push(a);
        }
    }

    /// Six calls of one instance, `gap` minutes apart, those at `deny` blocked.
    fn instance(&mut self, label: &str, start: i64, gap: i64, n: usize, deny: &[usize]) {
        for k in 0..n {
            self.call(start + k as i64 * gap, label, None, deny.contains(&k));
        }
    }
}

/// Scoring on a small hand-made labelled file. Only the deny list decides
/// (every number distinct and valid, no trunk, no address, calls minutes
/// apart: no window rule can fire), so the verdicts are known and the test
/// holds whatever the rules become.
#[test]
fn quality_scores_the_span_bins_and_the_fifth_caller() {
    const T0: i64 = Hand::T0;
    const MIN: i64 = Hand::MIN;
    let hotline = network::hotline(0);
    let mut h = Hand::new();
    // Legitimate: hour 1 (learning, not scored), then hour 2.
    h.call(0, "legit,subscriber,,,", None, false);
    h.call(10, "legit,subscriber,,,", None, true);
    h.call(20, "legit,hotline,,,", Some(&hotline), true);
    h.instance("legit,subscriber,,,", 62, 1, 6, &[]);
    h.call(70, "legit,pbx,,,", None, true);
    h.call(71, "legit,hotline,,,", Some(&hotline), true);
    // Bursts: six distinct callers each, two minutes apart.
    let mb = "attack,masking_burst";
    h.instance(&format!("{mb},mb-1,2,wholesale"), 61, 2, 6, &[4]); // blocked at its 5th caller
    h.instance(&format!("{mb},mb-2,5,wholesale"), 61, 2, 6, &[5]); // at its 6th
    h.instance(&format!("{mb},mb-3,0.5,wholesale"), 5, 2, 6, &[0]); // all in hour 1
    h.instance(&format!("{mb},mb-4,7,wholesale"), 54, 2, 6, &[1]); // blocked in hour 1 only
                                                                   // SIM boxes.
    h.instance("attack,simbox,sb-1,1.5,core", 80, 1, 4, &[2]);
    h.instance("attack,simbox,sb-2,3,gateway", 81, 1, 4, &[]);
    h.call(30, "attack,simbox,sb-2,3,gateway", None, true);
    h.instance("attack,simbox,sb-3,12,core", 90, 1, 2, &[0]);
    // A call nobody labelled.
    h.call(100, "", None, false);

    let cdr_path = tmp("q-hand.csv");
    let label_path = tmp("q-hand-labels.csv");
    std::fs::write(&cdr_path, &h.cdrs).unwrap();
    std::fs::write(&label_path, &h.labels).unwrap();
    let mut cfg = Config::default();
    cfg.lists.deny_a_numbers = h.denied.clone();
    cfg.lists.allow_b_numbers = vec![hotline];
    cfg.validate().unwrap();
    let labels = acm::quality::Labels::load(&label_path).unwrap();
    let opts = acm::quality::ScoreOptions {
        from: Some(acm::quality::TimeSpec::parse("+1h").unwrap()),
        ..Default::default()
    };
    let score = |labels: &acm::quality::Labels, opts: &acm::quality::ScoreOptions| {
        acm::quality::evaluate(
            &cfg,
            std::slice::from_ref(&cdr_path),
            labels,
            &input_args(),
            opts,
        )
        .unwrap()
    };
    let report = score(&labels, &opts);
    println!("{}", report.render());

    assert_eq!(report.score_from_ms, Some(T0 + 60 * MIN));
    assert_eq!(report.unlabelled, 1);
    let fam = |n: &str| {
        report
            .families
            .iter()
            .find(|f| f.name == n)
            .unwrap()
            .clone()
    };
    // Bursts 1, 2 and 4 have calls in the span; 3 does not.
    let mb = fam("masking_burst");
    assert_eq!((mb.instances, mb.detected), (3, 2));
    let one = report
        .instances
        .iter()
        .find(|i| i.family == "masking_burst" && i.intensity == Some(2.0))
        .unwrap();
    assert_eq!(
        (one.time_to_detect_ms, one.calls_to_detect),
        (Some(8 * MIN), Some(5))
    );
    assert_eq!(one.first_rule.as_deref(), Some("denylist"));
    assert_eq!((one.calls, one.calls_caught), (6, 1));
    // Burst 4: three calls in the span, none caught there.
    let four = report
        .instances
        .iter()
        .find(|i| i.intensity == Some(7.0))
        .unwrap();
    assert_eq!((four.calls, four.detected), (3, false));
    // Bins 2–5 (1 of 1) and 5–10 (1 of 2): never 99% from the top bin down.
    let bins: Vec<(f64, f64, u64, u64)> = mb
        .bins
        .iter()
        .map(|b| (b.lo, b.hi, b.instances, b.detected))
        .collect();
    assert_eq!(bins, [(2.0, 5.0, 1, 1), (5.0, 10.0, 2, 1)]);
    assert_eq!((mb.caught_from, mb.lowest_detected), (None, Some(2.0)));
    // The 5th distinct caller: burst 1 blocked by then, burst 2 not, burst 4
    // blocked by then (in hour 1) with its 5th caller in the span.
    assert_eq!(report.fifth_caller(), (3, 2));
    // SIM boxes: 1.5 detected at its 3rd call, 3 not (its blocked call is in
    // hour 1), 12 at its first.
    let sb = fam("simbox");
    assert_eq!((sb.instances, sb.detected), (3, 2));
    assert_eq!(sb.caught_from, Some(10.0));
    assert_eq!(sb.lowest_detected, Some(1.5));
    let bins: Vec<(f64, u64, u64)> = sb
        .bins
        .iter()
        .map(|b| (b.lo, b.instances, b.detected))
        .collect();
    assert_eq!(bins, [(1.0, 1, 1), (2.0, 1, 0), (10.0, 1, 1)]);
    let sbi = |x: f64| {
        let i = report
            .instances
            .iter()
            .find(|i| i.intensity == Some(x))
            .unwrap();
        (i.time_to_detect_ms, i.calls_to_detect)
    };
    assert_eq!(sbi(1.5), (Some(2 * MIN), Some(3)));
    assert_eq!(sbi(3.0), (None, None));
    assert_eq!(sbi(12.0), (Some(0), Some(1)));
    assert_eq!(
        sb.variants,
        [("core".to_string(), 2, 2), ("gateway".to_string(), 1, 0)]
    );
    // Legitimate calls in the span: 6 subscriber, 1 pbx, 1 hotline; two blocked.
    let legit: HashMap<&str, (u64, u64)> = report
        .legit
        .iter()
        .map(|l| (l.name.as_str(), (l.calls, l.blocked)))
        .collect();
    assert_eq!(legit["subscriber"], (6, 0));
    assert_eq!(legit["pbx"], (1, 1));
    assert_eq!(legit["hotline"], (1, 1));
    assert_eq!(report.legit_fp_rate(), 0.25);
    assert_eq!(
        report
            .legit
            .iter()
            .find(|l| l.name == "pbx")
            .unwrap()
            .reasons["denylist"],
        1
    );
    assert_eq!(
        (
            report.allowlisted_number_blocks,
            report.allowlisted_number_blocks_all
        ),
        (1, 2)
    );
    // Every call flagged under an alert is flagged under one a verdict raised.
    assert_eq!(report.unseen_alert_calls, 0);
    let failures = report.floor_failures().join("\n");
    for needle in [
        "masking_burst: 66.7%",
        "simbox: 66.7%",
        "legitimate calls",
        "allowlisted",
        "2 of 3",
    ] {
        assert!(failures.contains(needle), "{needle} not in {failures}");
    }
    // A floor judged on the intensities it describes.
    // Floors (and the 5th-caller check) judged on the intensities they describe.
    let range = |r: &str| acm::simulate::Range::parse(r).unwrap();
    let ranged = acm::quality::ScoreOptions {
        floor_ranges: vec![
            ("simbox".into(), range("1..2")),
            ("masking_burst".into(), range("1..3")),
        ],
        ..opts.clone()
    };
    let r2 = score(&labels, &ranged);
    let failures = r2.floor_failures().join("\n");
    assert!(!failures.contains("simbox"), "{failures}");
    assert!(!failures.contains("masking_burst"), "{failures}");
    assert_eq!(
        r2.fifth_caller_in_floor_range(),
        Some((range("1..3"), 1, 1))
    );
    assert_eq!(r2.fifth_caller(), (3, 2));
    // Without a span everything counts: burst 3 too, and hour 1's legit calls.
    let all = score(&labels, &Default::default());
    assert_eq!(
        all.families
            .iter()
            .find(|f| f.name == "masking_burst")
            .unwrap()
            .instances,
        4
    );
    assert_eq!(all.legit_calls(), 11);
    // An absolute start gives the same as +1h.
    let abs = acm::quality::ScoreOptions {
        from: Some(acm::quality::TimeSpec::parse("2024-03-04T09:00:00Z").unwrap()),
        ..Default::default()
    };
    let r3 = score(&labels, &abs);
    assert_eq!(r3.instances, report.instances);
    assert_eq!(
        acm::quality::TimeSpec::parse(&(T0 + 60 * MIN).to_string()).unwrap(),
        acm::quality::TimeSpec::At(T0 + 60 * MIN)
    );
    assert!(acm::quality::TimeSpec::parse("+1d").is_err());

    // Saved as JSON and pooled: twice the instances and calls, the same rates.
    let json = tmp("q-hand.json");
    std::fs::write(&json, serde_json::to_string(&report).unwrap()).unwrap();
    let pooled = acm::quality::merge(&[json.clone(), json], &[]).unwrap();
    assert_eq!(pooled.runs, 2);
    assert_eq!(pooled.instances.len(), 2 * report.instances.len());
    assert_eq!(pooled.families, {
        let mut twice = report.clone();
        twice.floor_ranges.clear();
        twice.absorb(report.clone());
        twice.summarise();
        twice.families
    });
    assert_eq!(pooled.legit_fp_rate(), 0.25);
    assert_eq!(pooled.fifth_caller(), (6, 4));

    // A four-column labels file (no intensity) still scores, without bins.
    let four_col = tmp("q-hand-labels4.csv");
    let text: String = std::fs::read_to_string(&label_path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').take(4).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    std::fs::write(&four_col, text).unwrap();
    let l4 = acm::quality::Labels::load(&four_col).unwrap();
    let r4 = score(&l4, &opts);
    let mb4 = r4
        .families
        .iter()
        .find(|f| f.name == "masking_burst")
        .unwrap();
    assert_eq!((mb4.instances, mb4.detected, mb4.bins.len()), (3, 2, 0));
}

/// The simulated hidden-format files score end to end: every call labelled,
/// the second hour only, intensities carried into the report.
#[test]
fn quality_reads_the_simulated_hidden_set() {
    let calls = simulate::generate(&small());
    let cdrs = tmp("q-sim.csv");
    let labels = tmp("q-sim-labels.csv");
    simulate::write_cdrs_hidden(&calls, std::fs::File::create(&cdrs).unwrap()).unwrap();
    simulate::write_labels(&calls, std::fs::File::create(&labels).unwrap()).unwrap();
    let labels = acm::quality::Labels::load(&labels).unwrap();
    let opts = acm::quality::ScoreOptions {
        from: Some(acm::quality::TimeSpec::parse("+1h").unwrap()),
        ..Default::default()
    };
    let report =
        acm::quality::evaluate(&sim_config(), &[cdrs], &labels, &input_args(), &opts).unwrap();
    assert_eq!(report.unlabelled, 0);
    assert_eq!(report.calls_replayed, calls.len() as u64);
    let first = calls[0].time_ms;
    let scored = calls
        .iter()
        .filter(|c| c.time_ms >= first + 3_600_000)
        .count() as u64;
    assert_eq!(report.calls_scored, scored);
    let legit_scored = calls
        .iter()
        .filter(|c| !c.kind.is_attack() && c.time_ms >= first + 3_600_000)
        .count() as u64;
    assert_eq!(report.legit_calls(), legit_scored);
    for f in &report.families {
        let k = Kind::parse(&f.name).unwrap();
        assert_eq!(f.unit, k.intensity_unit());
        assert_eq!(f.bins.iter().map(|b| b.instances).sum::<u64>(), f.instances);
        for b in &f.bins {
            assert!(b.lo < b.hi);
        }
    }
    assert_eq!(report.families.len(), Kind::ATTACKS.len());
}
