// SPDX-License-Identifier: MIT OR Apache-2.0
//! One rule suite, every store: the embedded store, the shared-memory store,
//! the Redis store (sync and async) on one real `redis-server`, and both
//! clients on a real 3-node Redis Cluster. Each scenario is a list of calls with explicit event times; every
//! store must give the very same verdicts (counts, alert ids, evidence), and
//! the embedded store's verdicts are also held to hand-written expectations.
//! A missing `redis-server` fails these tests (the harness panics).
//! The scenarios are written in the seed's 5 s burst window (the default is
//! 10 s): a scenario's configuration that sets none gets it (`suite_config`).

mod support;

use std::sync::Arc;
use std::time::Duration;

use acm::clock::ManualClock;
use acm::config::Config;
use acm::detector::Detector;
use acm::engine::{Action, Call, Engine, Reason, Verdict};
use acm::store::{
    AsyncRedisStore, BlockEntry, Evidence, MemoryStore, MemoryStoreConfig, RedisSettings,
    RedisStore, ShmStore, Store, StoreAnswer, StoreError, StoreRequest, WindowOp, WindowStore,
    Withdrawal,
};
use support::{RedisCluster, RedisServer};

const T0: i64 = 1_700_000_000_000;
const B: &str = "+2348099999999";

/// A scenario's configuration, with `rules.distinct_callers.window_ms` 5000
/// unless it sets one.
fn suite_config(toml: &str) -> Config {
    let mut t: toml::Table = toml.parse().expect("scenario TOML");
    let rules = t
        .entry("rules")
        .or_insert_with(|| toml::Value::Table(Default::default()));
    let dc = rules
        .as_table_mut()
        .expect("[rules]")
        .entry("distinct_callers")
        .or_insert_with(|| toml::Value::Table(Default::default()));
    dc.as_table_mut()
        .expect("[rules.distinct_callers]")
        .entry("window_ms")
        .or_insert(toml::Value::Integer(5000));
    Config::from_toml(&t.to_string()).expect("scenario configuration")
}

fn caller(i: usize) -> String {
    format!("+23480300000{i:02}")
}

/// Callers past a hundred (`caller` has two digits).
fn many_caller(i: usize) -> String {
    format!("+2348031{i:06}")
}

fn call(id: &str, a: &str, b: &str, t: i64) -> Call {
    Call::new(id, a, b).at(t)
}

fn from_source(mut c: Call, ip: &str) -> Call {
    c.source_ip = Some(ip.parse().unwrap());
    c
}

fn on_trunk(mut c: Call, t: &str) -> Call {
    c.trunk = Some(t.into());
    c
}

struct Scenario {
    name: &'static str,
    toml: &'static str,
    calls: Vec<Call>,
    expect: fn(&[Verdict]),
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "seed attack: the fifth distinct caller blocks, one alert",
            toml: "",
            calls: (0..6).map(|i| call(&format!("c{i}"), &caller(i), B, T0 + i as i64 * 900)).collect(),
            expect: |v| {
                for (i, x) in v[..4].iter().enumerate() {
                    assert_eq!(x.action, Action::Allow, "call {i}");
                    assert_eq!(x.count(Reason::DistinctCallers), i as u32 + 1);
                }
                assert_eq!(v[4].action, Action::Block);
                assert_eq!(v[4].new_alerts.len(), 1);
                assert_eq!(v[4].new_alerts[0].evidence.len(), 5);
                assert_eq!(v[5].action, Action::Block);
                assert!(v[5].new_alerts.is_empty());
                assert_eq!(v[5].alert_id, v[4].alert_id);
            },
        },
        Scenario {
            name: "a repeated caller counts once",
            toml: "",
            calls: (0..8).map(|i| call(&format!("r{i}"), &caller(i % 3), B, T0 + i as i64 * 100)).collect(),
            expect: |v| {
                assert_eq!(v.last().unwrap().count(Reason::DistinctCallers), 3);
                assert!(v.iter().all(|x| x.action == Action::Allow));
            },
        },
        Scenario {
            name: "exactly W apart has left the window; W-1 has not",
            toml: "",
            calls: {
                let mut c: Vec<Call> = (0..4).map(|i| call(&format!("e{i}"), &caller(i), B, T0 + i as i64)).collect();
                c.push(call("e4", &caller(4), B, T0 + 5000));
                let b2 = "+2348099999998";
                c.extend((0..4).map(|i| call(&format!("f{i}"), &caller(i), b2, T0 + i as i64)));
                c.push(call("f4", &caller(4), b2, T0 + 4999));
                c
            },
            expect: |v| {
                assert_eq!(v[4].count(Reason::DistinctCallers), 4);
                assert_eq!(v[4].action, Action::Allow);
                assert_eq!(v[9].count(Reason::DistinctCallers), 5);
                assert_eq!(v[9].action, Action::Block);
            },
        },
        Scenario {
            name: "out-of-order and late events use event time",
            toml: "",
            calls: vec![
                call("o1", &caller(1), B, T0 + 10_000),
                call("o2", &caller(2), B, T0 + 7_000),
                call("o3", &caller(3), B, T0 + 4_000), // before the window (cutoff T0+5000): dropped
                call("o4", &caller(4), B, T0 + 5_000), // exactly on the cutoff: dropped
                call("o5", &caller(5), B, T0 + 9_999),
                call("o6", &caller(2), B, T0 + 6_000), // older than caller 2's latest: no change
                call("o7", &caller(6), B, T0 + 8_000),
                call("o8", &caller(7), B, T0 + 11_000),
                call("o9", &caller(8), B, T0 + 12_500), // cutoff T0+7500: caller 2 (7000) leaves
            ],
            expect: |v| {
                let counts: Vec<u32> = v.iter().map(|x| x.count(Reason::DistinctCallers)).collect();
                assert_eq!(counts, vec![1, 2, 2, 2, 3, 3, 4, 5, 5]);
                assert_eq!(v[7].action, Action::Block);
                assert_eq!(v[7].new_alerts.len(), 1);
                let ev: Vec<i64> = v[7].new_alerts[0].evidence.iter().map(|e| e.time_ms - T0).collect();
                assert_eq!(ev, vec![7000, 8000, 9999, 10000, 11000], "6000 sits on the cutoff");
            },
        },
        Scenario {
            name: "cooldown: one alert per cooldown, then a new one",
            toml: "[alerts]\ncooldown_ms = 20000\n",
            calls: {
                let mut c: Vec<Call> =
                    (0..5).map(|i| call(&format!("a{i}"), &caller(i), B, T0 + i as i64 * 10)).collect();
                c.push(call("a5", &caller(5), B, T0 + 3_000));
                c.extend((0..5).map(|i| call(&format!("b{i}"), &caller(10 + i), B, T0 + 19_000 + i as i64)));
                c.extend((0..5).map(|i| call(&format!("d{i}"), &caller(20 + i), B, T0 + 30_000 + i as i64)));
                c
            },
            expect: |v| {
                let raised: Vec<usize> = (0..v.len()).filter(|&i| !v[i].new_alerts.is_empty()).collect();
                assert_eq!(raised, vec![4, 15]);
                assert_ne!(v[4].alert_id, v[15].alert_id);
                assert_eq!(v[10].alert_id, v[4].alert_id, "still inside the cooldown");
                assert_eq!(v[10].action, Action::Block);
            },
        },
        Scenario {
            name: "past its cooldown, the members that raised an alert raise no other",
            toml: "[alerts]\ncooldown_ms = 3000\n",
            calls: {
                // Five callers raise an alert whose cooldown ends at T0 + 3004.
                let mut c: Vec<Call> = (0..5).map(|i| call(&format!("p{i}"), &caller(i), B, T0 + i as i64)).collect();
                // Past it, the window (5 s here) still holds them: one new caller is
                // not five, and the alert is still the active one...
                c.push(call("p5", &caller(5), B, T0 + 4_000));
                // ...until five callers came after its end.
                c.extend((6..10).map(|i| call(&format!("p{i}"), &caller(i), B, T0 + 3_995 + i as i64)));
                c
            },
            expect: |v| {
                let raised: Vec<usize> = (0..v.len()).filter(|&i| !v[i].new_alerts.is_empty()).collect();
                assert_eq!(raised, vec![4, 9]);
                assert_eq!(v[5].count(Reason::DistinctCallers), 6);
                assert_eq!(v[5].alert_id, v[4].alert_id, "the same alert, still active");
                assert_eq!(v[5].action, Action::Block);
                assert_eq!(v[8].alert_id, v[4].alert_id);
                assert_ne!(v[9].alert_id, v[4].alert_id);
            },
        },
        Scenario {
            // No ingress on these calls: the listed number's own window counts per ingress
            // only (the next scenario).
            name: "an allowlisted B-number never triggers",
            toml: "[lists]\nallow_b_numbers = [\"+2348099999999\"]\n",
            calls: (0..12).map(|i| call(&format!("h{i}"), &caller(i), B, T0 + i as i64)).collect(),
            expect: |v| {
                assert!(v.iter().all(|x| x.action == Action::Allow && x.count(Reason::DistinctCallers) == 0));
                assert!(v.iter().all(|x| x.reasons.contains(Reason::Allowlist)));
            },
        },
        Scenario {
            name: "a burst at a listed number through one route is flagged, never blocked; its crowd passes",
            toml: "[lists]\nallow_b_numbers = [\"+2348099999999\"]\n",
            // Twelve fresh CLIs through one interconnect, then twelve over
            // four routes three seconds later (inside the window: the first
            // route's share falls under half, the others never reach it).
            calls: (0..12)
                .map(|i| on_trunk(call(&format!("l{i}"), &caller(i), B, T0 + i as i64 * 100), "IC-A"))
                .chain((12..24).map(|i| {
                    let trunk = ["IC-B", "IC-C", "CORE"][i % 3];
                    on_trunk(call(&format!("l{i}"), &caller(i), B, T0 + 3_000 + i as i64 * 10), trunk)
                }))
                .collect(),
            expect: |v| {
                assert!(v.iter().all(|x| x.action != Action::Block), "never blocked");
                assert!(v.iter().all(|x| x.reasons.contains(Reason::Allowlist)));
                let flagged: Vec<usize> = (0..v.len()).filter(|&i| v[i].action == Action::Flag).collect();
                assert_eq!(flagged, vec![9, 10, 11], "the 10th to 12th caller through IC-A");
                assert_eq!(v[9].new_alerts.len(), 1);
                assert_eq!(v[9].count(Reason::DistinctCallers), 10);
                assert_eq!(v[11].alert_id, v[9].alert_id);
                assert_eq!(v[20].count(Reason::DistinctCallers), 3, "three through CORE, as through each other route");
            },
        },
        Scenario {
            name: "velocity counts calls by call id",
            toml: "[rules.cli_velocity]\naction = \"flag\"\nthreshold = 4\nwindow_ms = 60000\n",
            calls: {
                let mut c: Vec<Call> = (0..3)
                    .map(|i| call(&format!("v{i}"), &caller(1), &format!("+23480800000{i:02}"), T0 + i as i64))
                    .collect();
                c.push(call("v1", &caller(1), "+2348080000099", T0 + 10)); // same call id again
                c.push(call("v3", &caller(1), "+2348080000098", T0 + 20));
                c.push(call("v4", &caller(1), "+2348080000097", T0 + 61_000));
                c
            },
            expect: |v| {
                let counts: Vec<u32> = v.iter().map(|x| x.count(Reason::CliVelocity)).collect();
                assert_eq!(counts, vec![1, 2, 3, 3, 4, 1]);
                assert_eq!(v[4].action, Action::Flag);
                assert!(v[4].reasons.contains(Reason::CliVelocity));
                assert_eq!(v[4].new_alerts.len(), 1);
            },
        },
        Scenario {
            name: "rotation counts distinct CLIs per source",
            toml: "[rules.cli_rotation]\nthreshold = 4\nwindow_ms = 10000\n",
            calls: (0..6)
                .map(|i| {
                    from_source(
                        call(&format!("r{i}"), &caller(i % 5), &format!("+23480900000{i:02}"), T0 + i as i64),
                        "203.0.113.9",
                    )
                })
                .collect(),
            expect: |v| {
                let counts: Vec<u32> = v.iter().map(|x| x.count(Reason::CliRotation)).collect();
                assert_eq!(counts, vec![1, 2, 3, 4, 5, 5]);
                assert_eq!(v[3].action, Action::Flag);
                assert_eq!(v[3].new_alerts[0].key, "203.0.113.9");
            },
        },
        Scenario {
            name: "home CLI on international ingress",
            toml: "[rules.intl_ingress_local_cli]\ntrunks = [\"INTL-GW\"]\n",
            calls: vec![
                on_trunk(call("i1", "08031234567", B, T0), "INTL-GW"),
                on_trunk(call("i2", "08031234568", "+2348099999998", T0 + 100), "INTL-GW"),
                on_trunk(call("i3", "+447911123456", B, T0 + 200), "INTL-GW"),
            ],
            expect: |v| {
                assert_eq!(v[0].action, Action::Block);
                assert_eq!(v[0].new_alerts[0].key, "trunk:INTL-GW");
                assert_eq!(v[1].action, Action::Block);
                assert!(v[1].new_alerts.is_empty());
                assert_eq!(v[1].alert_id, v[0].alert_id);
                assert_eq!(v[2].action, Action::Allow);
            },
        },
        Scenario {
            name: "auto-block across calls",
            toml: "[auto_block]\nenabled = true\nduration_ms = 60000\n[lists]\nallow_a_numbers = [\"+2348030000003\"]\n",
            calls: {
                let mut c: Vec<Call> = (0..5).map(|i| call(&format!("c{i}"), &caller(i), B, T0 + i as i64)).collect();
                c.push(call("n1", &caller(0), "+2348077777777", T0 + 10_000));
                c.push(call("n2", &caller(3), "+2348077777776", T0 + 10_000));
                c.push(call("n3", &caller(0), "+2348077777775", T0 + 70_000));
                c
            },
            expect: |v| {
                assert_eq!(v[5].action, Action::Block);
                assert!(v[5].reasons.contains(Reason::AutoBlock));
                assert_eq!(v[5].alert_id, v[4].alert_id);
                assert_eq!(v[6].action, Action::Allow);
                assert_eq!(v[7].action, Action::Allow);
            },
        },
        Scenario {
            name: "evidence: at most 16 recent calls inside the window, oldest first, ties in arrival order",
            toml: "[rules.distinct_callers]\nthreshold = 20\nwindow_ms = 5000\n",
            calls: {
                let mut c: Vec<Call> = (0..19)
                    .map(|i| call(&format!("x{i}"), &caller(i), B, T0 + 1000 + (i as i64 / 3) * 10))
                    .collect();
                c.push(call("late", &caller(40), B, T0 + 1001)); // late, inside the window
                c
            },
            expect: |v| {
                let last = v.last().unwrap();
                assert_eq!(last.count(Reason::DistinctCallers), 20);
                let ev = &last.new_alerts[0].evidence;
                assert_eq!(ev.len(), 16);
                let ids: Vec<&str> = ev.iter().map(|e| e.call_id.as_str()).collect();
                assert_eq!(ids[0], "late");
                assert!(ev.windows(2).all(|w| w[0].time_ms <= w[1].time_ms));
                assert_eq!(&ids[1..4], &["x4", "x5", "x6"]);
            },
        },
        Scenario {
            name: "an alert the ingress share held back is withdrawn: the call that passes raises its own",
            toml: "[rules.distinct_callers]\nthreshold = 3\nper_ingress = true\nmin_ingress_share = 0.5\n\
                   [rules.distinct_callers_slow]\naction = \"off\"\n",
            calls: {
                // Four callers through four trunks, then three through X:
                // X reaches 3 callers with 3 of the number's 7 (held back).
                let mut c: Vec<Call> = (0..4)
                    .map(|i| on_trunk(call(&format!("w{i}"), &caller(i), B, T0 + i as i64 * 100), &format!("T{i}")))
                    .collect();
                c.extend((4..9).map(|i| on_trunk(call(&format!("w{i}"), &caller(i), B, T0 + i as i64 * 100), "X")));
                c
            },
            expect: |v| {
                for x in &v[..7] {
                    assert_eq!(x.action, Action::Allow);
                    assert!(x.new_alerts.is_empty() && x.alert_id.is_none());
                }
                assert_eq!(v[6].count(Reason::DistinctCallers), 3, "X's third caller: 3 of 7");
                // X's fourth caller: 4 of 8, the share holds. Its alert is
                // new, not the one held back.
                assert_eq!(v[7].action, Action::Block);
                assert_eq!(v[7].new_alerts.len(), 1);
                assert_eq!(v[7].new_alerts[0].raised_at_ms, T0 + 700);
                assert_eq!(v[7].alert_id.as_ref(), Some(&v[7].new_alerts[0].id));
                assert_eq!(v[8].action, Action::Block);
                assert!(v[8].new_alerts.is_empty());
                assert_eq!(v[8].alert_id, v[7].alert_id);
            },
        },
        Scenario {
            name: "a slow-tier alert folded into the burst tier's is withdrawn: the slow tier's next call raises its own",
            toml: "[rules.distinct_callers_slow]\nthreshold = 5\nwindow_ms = 60000\nper_ingress = false\n",
            calls: {
                // Five callers a second apart: both tiers reach 5 on the fifth
                // (the slow tier's alert folds into the burst tier's), a sixth
                // while the burst tier still fires, then two after its window.
                let mut c: Vec<Call> = (0..6)
                    .map(|i| on_trunk(call(&format!("f{i}"), &caller(i), B, T0 + i as i64 * 1_000), "WS-1"))
                    .collect();
                c.extend((6..8).map(|i| on_trunk(call(&format!("f{i}"), &caller(i), B, T0 + 20_000 + i as i64), "WS-1")));
                c
            },
            expect: |v| {
                assert_eq!(v[4].action, Action::Block);
                assert!(v[4].reasons.contains(Reason::DistinctCallersSlow));
                assert_eq!(v[4].new_alerts.len(), 1, "one attack, one alert");
                assert_eq!(v[4].new_alerts[0].rule, Reason::DistinctCallers);
                assert_eq!(v[5].alert_id, v[4].alert_id);
                assert!(v[5].new_alerts.is_empty());
                // The burst tier's window has passed: the slow tier alone,
                // under an alert of its own that is published.
                assert_eq!(v[6].action, Action::Flag);
                assert!(!v[6].reasons.contains(Reason::DistinctCallers));
                assert_eq!(v[6].new_alerts.len(), 1);
                assert_eq!(v[6].new_alerts[0].rule, Reason::DistinctCallersSlow);
                assert_eq!(v[6].alert_id.as_ref(), Some(&v[6].new_alerts[0].id));
                assert_eq!(v[7].alert_id, v[6].alert_id);
            },
        },
        Scenario {
            name: "slow fan-in on untrusted ingress, per-trunk velocity threshold",
            toml: "[rules.cli_velocity]\naction = \"flag\"\ntrunk_thresholds = { \"MSC-1\" = 3 }\n\
                   [rules.distinct_callers_slow]\nthreshold = 5\nwindow_ms = 60000\nper_ingress = false\n",
            calls: {
                // Five callers 10 s apart on a wholesale trunk: the burst tier
                // never fires, the slow tier flags the fifth.
                let mut c: Vec<Call> = (0..5)
                    .map(|i| on_trunk(call(&format!("s{i}"), &caller(i), B, T0 + i as i64 * 10_000), "WS-1"))
                    .collect();
                // One SIM on a core switch judged at 3 calls a minute.
                c.extend((0..3).map(|i| {
                    on_trunk(call(&format!("v{i}"), "+2348061111111", &format!("+23480377777{i:02}"), T0 + 50_000 + i as i64), "MSC-1")
                }));
                c
            },
            expect: |v| {
                for x in &v[..4] {
                    assert_eq!(x.action, Action::Allow);
                }
                assert_eq!(v[4].action, Action::Flag);
                assert!(v[4].reasons.contains(Reason::DistinctCallersSlow));
                assert!(!v[4].reasons.contains(Reason::DistinctCallers));
                assert_eq!(v[4].new_alerts.len(), 1);
                assert!(v[4].new_alerts[0].id.starts_with("ds-"));
                assert_eq!(v[4].new_alerts[0].key, B);
                assert_eq!(v[7].action, Action::Flag);
                assert!(v[7].reasons.contains(Reason::CliVelocity));
                assert_eq!(v[7].new_alerts[0].threshold, 3);
            },
        },
        Scenario {
            name: "a window keeps four times its highest threshold: rotation counts stop at 80",
            toml: "[rules.cli_rotation]\nthreshold = 20\nwindow_ms = 60000\naction = \"flag\"\n",
            calls: (0..100)
                .map(|i| {
                    from_source(
                        call(&format!("k{i}"), &format!("+2348031{i:06}"), &format!("+2348070{i:06}"), T0 + i as i64 * 10),
                        "192.0.2.7",
                    )
                })
                .collect(),
            expect: |v| {
                let counts: Vec<u32> = v.iter().map(|x| x.count(Reason::CliRotation)).collect();
                let expected: Vec<u32> = (1..=100).map(|i: u32| i.min(80)).collect();
                assert_eq!(counts, expected);
                assert!(!v[18].reasons.contains(Reason::CliRotation));
                assert!(v[19].reasons.contains(Reason::CliRotation));
                assert!(v[99].reasons.contains(Reason::CliRotation));
                assert_eq!(v.iter().map(|x| x.new_alerts.len()).sum::<usize>(), 1);
            },
        },
        Scenario {
            name: "event times at both ends of the accepted range (1970 and 9999)",
            toml: "",
            calls: {
                const LAST: i64 = 253_402_300_799_999;
                let mut c: Vec<Call> = Vec::new();
                for (n, base) in [(0usize, 0i64), (1, LAST - 20_000)] {
                    let b = format!("+23480999999{n}0");
                    c.extend((0..4).map(|i| call(&format!("t{n}{i}"), &caller(i), &b, base + i as i64 * 100)));
                    c.push(call(&format!("t{n}late"), &caller(9), &b, base + 50)); // late, inside
                    c.push(call(&format!("t{n}x"), &caller(8), &b, base + 6_000)); // the first four have left
                    c.push(call(&format!("t{n}y"), &caller(7), &b, base + 20_000));
                }
                c
            },
            expect: |v| {
                for half in [&v[..7], &v[7..]] {
                    let counts: Vec<u32> = half.iter().map(|x| x.count(Reason::DistinctCallers)).collect();
                    assert_eq!(counts, vec![1, 2, 3, 4, 5, 1, 1]);
                    assert_eq!(half[4].action, Action::Block);
                    assert_eq!(half[4].new_alerts[0].evidence.len(), 5);
                }
            },
        },
        Scenario {
            // The fan-in tiers' all-ingress companion (the slow tier's, its
            // threshold its member cap) keeps twice its threshold, as every
            // window does: 70 callers in 3.5 s, 36 through one ingress, then
            // 34 through another. The second brought 34 of 70 (under half):
            // neither tier fires. A store capping the companion at 64 would
            // see 34 of 64. (Two named trunks: untrunked addresses would be
            // one ingress.)
            name: "the burst tier's ingress share counts every caller past 64",
            toml: "",
            calls: (0..70)
                .map(|i| {
                    let trunk = if i < 36 { "IC-B" } else { "IC-A" };
                    on_trunk(call(&format!("s{i}"), &caller(i), B, T0 + i as i64 * 50), trunk)
                })
                .collect(),
            expect: |v| {
                assert!(v[4].reasons.contains(Reason::DistinctCallers));
                assert!(v[35].reasons.contains(Reason::DistinctCallersSlow));
                assert!(!v[69].reasons.contains(Reason::DistinctCallers));
                assert!(!v[69].reasons.contains(Reason::DistinctCallersSlow));
            },
        },
        Scenario {
            // 300 callers 100 ms apart, 2 in 5 through IC-A and the rest
            // through three other trunks. Past 128 callers over every
            // ingress and 64 through IC-A both counts stop at their caps
            // and read 64 of 128, a half; IC-A's 64 newest callers span
            // 16 s, the number's 128 newest 12.8 s: 40% of the rate.
            name: "past both caps the ingress share is read from the kept members' rates: a crowd's biggest route is held",
            // (quiet_fanin off: a crowd to a number nobody called is its to judge.)
            toml: "[rules.cli_rotation]\naction = \"off\"\n[rules.quiet_fanin]\naction = \"off\"\n",
            calls: (0..300)
                .map(|i| {
                    let trunk = if i % 5 < 2 { "IC-A".to_string() } else { format!("IC-{}", i % 3) };
                    on_trunk(call(&format!("k{i}"), &many_caller(i), B, T0 + i as i64 * 100), &trunk)
                })
                .collect(),
            expect: |v| {
                for (i, x) in v.iter().enumerate().skip(200).filter(|(i, _)| i % 5 < 2) {
                    assert!(!x.reasons.contains(Reason::DistinctCallers), "call {i}: {:?}", x.reasons);
                    assert!(!x.reasons.contains(Reason::DistinctCallersSlow), "call {i}: {:?}", x.reasons);
                    assert_eq!(x.action, Action::Allow, "call {i}");
                }
            },
        },
        Scenario {
            // The same 300 callers through IC-A alone: its 64 newest span
            // 6.4 s, the number's 128 newest 12.8 s, the same rate: every
            // call from the fifth caller on is blocked, past both caps too.
            name: "past both caps a burst through one route still holds the whole share",
            toml: "[rules.cli_rotation]\naction = \"off\"\n",
            calls: (0..300)
                .map(|i| on_trunk(call(&format!("n{i}"), &many_caller(i), B, T0 + i as i64 * 100), "IC-A"))
                .collect(),
            expect: |v| {
                for (i, x) in v.iter().enumerate().skip(4) {
                    assert!(x.reasons.contains(Reason::DistinctCallers), "call {i}: {:?}", x.reasons);
                    assert_eq!(x.action, Action::Block, "call {i}");
                }
            },
        },
        Scenario {
            // A burst of six callers 500 ms apart through IC-A that leaks its
            // third call to IC-B. Through IC-A alone the 5th caller is the
            // sixth call; over every ingress it is the fifth, and IC-A
            // brought 4 of those 5: blocked there
            // (`rules.distinct_callers.min_ingress_callers`, 3). Its fourth
            // call (3 through IC-A, 4 over every ingress) raises the alert
            // in the store and is held: the alert is withdrawn.
            name: "a burst leaking a call to another route is blocked by its 5th caller over every ingress",
            toml: "[rules.cli_rotation]\naction = \"off\"\n",
            calls: (0..6)
                .map(|i| {
                    let trunk = if i == 2 { "IC-B" } else { "IC-A" };
                    on_trunk(call(&format!("l{i}"), &caller(i), B, T0 + i as i64 * 500), trunk)
                })
                .collect(),
            expect: |v| {
                for x in &v[..4] {
                    assert!(!x.reasons.contains(Reason::DistinctCallers), "{:?}", x.reasons);
                }
                assert_eq!(v[4].action, Action::Block);
                assert!(v[4].reasons.contains(Reason::DistinctCallers));
                let alert = v[4]
                    .new_alerts
                    .iter()
                    .find(|a| a.rule == Reason::DistinctCallers)
                    .expect("an alert on the 5th caller");
                // The number's 5 callers over every ingress, against 5;
                // the evidence is IC-A's 4 calls.
                assert_eq!((alert.count, alert.threshold), (5, 5));
                assert_eq!(alert.evidence.len(), 4);
                assert_eq!(v[5].action, Action::Block);
                assert_eq!(v[5].alert_id, v[4].alert_id);
            },
        },
        Scenario {
            // The same leaking burst with the slow tier off: the burst tier's
            // own companion counts every ingress over its window.
            name: "without the slow tier a leaking burst is blocked by its 5th caller over every ingress too",
            toml: "[rules.cli_rotation]\naction = \"off\"\n[rules.distinct_callers_slow]\naction = \"off\"\n",
            calls: (0..6)
                .map(|i| {
                    let trunk = if i == 2 { "IC-B" } else { "IC-A" };
                    on_trunk(call(&format!("o{i}"), &caller(i), B, T0 + i as i64 * 500), trunk)
                })
                .collect(),
            expect: |v| {
                for x in &v[..4] {
                    assert_eq!(x.action, Action::Allow, "{:?}", x.reasons);
                }
                assert_eq!(v[4].action, Action::Block);
                assert_eq!(v[4].new_alerts.len(), 1);
                assert_eq!((v[4].new_alerts[0].count, v[4].new_alerts[0].threshold), (5, 5));
                assert_eq!(v[5].action, Action::Block);
            },
        },
        Scenario {
            // Three callers through IC-A among seven in 3 s, the others one
            // each through four other routes: IC-A brought under half of
            // the number's callers, nothing fires.
            name: "three callers through one route of a crowd over five routes are not a burst",
            toml: "[rules.cli_rotation]\naction = \"off\"\n",
            calls: (0..7)
                .map(|i| {
                    let trunk = if i < 4 { format!("IC-{i}") } else { "IC-A".to_string() };
                    on_trunk(call(&format!("w{i}"), &caller(i), B, T0 + i as i64 * 500), &trunk)
                })
                .collect(),
            expect: |v| {
                for x in v {
                    assert!(!x.reasons.contains(Reason::DistinctCallers), "{:?}", x.reasons);
                    assert_ne!(x.action, Action::Block);
                }
            },
        },
        Scenario {
            name: "members per key are capped, oldest dropped",
            // Thresholds at the cap (a cap below one is refused at start-up).
            toml: "[store]\nmax_members_per_key = 3\n\
                   [rules.distinct_callers]\nthreshold = 3\n\
                   [rules.distinct_callers_slow]\nthreshold = 3\n\
                   [rules.cli_velocity]\nthreshold = 3\n\
                   [rules.cli_rotation]\nthreshold = 3\n\
                   [rules.cli_fanout]\nthreshold = 3\n\
                   [rules.quiet_fanin]\nthreshold = 3\n",
            calls: (0..6).map(|i| call(&format!("m{i}"), &caller(i), B, T0 + i as i64 * 10)).collect(),
            expect: |v| {
                let counts: Vec<u32> = v.iter().map(|x| x.count(Reason::DistinctCallers)).collect();
                assert_eq!(counts, vec![1, 2, 3, 3, 3, 3]);
            },
        },
        Scenario {
            name: "learning: a source that always carries many CLIs is normal for itself; a jump is not",
            toml: LEARN_ROTATION,
            calls: {
                // 8 new CLIs every 10 s interval for 14 intervals, then 30 in one interval.
                let mut c = steady_source("S1", 0, 14, 8);
                c.extend(steady_source("S1", 14, 1, 30));
                c
            },
            expect: |v| {
                let flagged = |k: usize, n: usize| -> usize {
                    v[k * 8..k * 8 + n].iter().filter(|x| x.reasons.contains(Reason::CliRotation)).count()
                };
                assert!(flagged(0, 8) > 0, "a new source is judged against the floor");
                for k in 10..14 {
                    assert_eq!(flagged(k, 8), 0, "interval {k}: its level has formed");
                }
                let burst = &v[14 * 8..];
                assert!(burst.iter().any(|x| x.reasons.contains(Reason::CliRotation)), "a jump over twice the level fires");
                let alert = burst.iter().flat_map(|x| &x.new_alerts).find(|a| a.rule == Reason::CliRotation).expect("an alert");
                assert!(alert.baseline.is_some_and(|b| b > 5.0), "{alert:?}");
                assert!(alert.threshold > 5, "{alert:?}");
            },
        },
        Scenario {
            name: "learning: a key over its threshold interval after interval is not learned past hold_after",
            toml: LEARN_ROTATION_HOLD,
            // The first scenario's steady source, which learns its level by
            // interval 10 without holding: held after one interval, never.
            calls: steady_source("S5", 0, 14, 8),
            expect: |v| {
                for k in 0..14 {
                    assert!(
                        v[k * 8..(k + 1) * 8].iter().any(|x| x.reasons.contains(Reason::CliRotation)),
                        "interval {k}: still judged against the floor"
                    );
                }
                let alert = v.iter().flat_map(|x| &x.new_alerts).last().expect("alerts");
                assert_eq!(alert.threshold, 5, "{alert:?}");
            },
        },
        Scenario {
            name: "learning: a hold ends after a run of 63 intervals: a change that lasts is learned",
            toml: LEARN_ROTATION_HOLD,
            // The held source of the scenario above, for 75 intervals.
            calls: steady_source("S8", 0, 75, 8),
            expect: |v| {
                let flagged = |k: usize| v[k * 8..(k + 1) * 8].iter().any(|x| x.reasons.contains(Reason::CliRotation));
                assert!((0..62).all(flagged), "held");
                assert!(!flagged(74), "learned after the run of 63");
            },
        },
        Scenario {
            name: "learning: a source that showed its nature is busy: an attack on it flags its alerts' calls and is not learned",
            toml: LEARN_ROTATION_KNOWN,
            calls: {
                // 3 CLIs every interval (under the bar: calm) for 10
                // intervals, one silent (its nature is kept over it), then
                // 12 an interval for 6.
                let mut c = steady_source("S6", 0, 10, 3);
                c.extend(steady_source("S6", 11, 6, 12));
                c
            },
            expect: |v| {
                let calm = &v[..30];
                assert!(calm.iter().all(|x| !x.reasons.contains(Reason::CliRotation)));
                let flagged: Vec<usize> =
                    (30..v.len()).filter(|&i| v[i].reasons.contains(Reason::CliRotation)).collect();
                for &i in &flagged {
                    // Only the alerts' calls.
                    let alert = v[i].new_alerts.iter().find(|a| a.rule == Reason::CliRotation);
                    let alert = alert.unwrap_or_else(|| panic!("call {i}: {:?}", v[i]));
                    // Level 2.25 after the silent interval (bar 5) learns
                    // the attack's first interval (clipped to 5: level 2.9,
                    // bar 6), then holds.
                    assert!(alert.threshold <= 8, "call {i}: {alert:?}");
                }
                // The first in the attack's first interval; past each 9 s
                // cooldown, the next once as many new CLIs as the bar came
                // (the members that raised one raise no other): every 15 s
                // or so over the 60 s.
                assert!(flagged[0] < 42, "{flagged:?}");
                assert!((4..=6).contains(&flagged.len()), "{flagged:?}");
            },
        },
        Scenario {
            name: "learning: a new source over its bar flags every call over it",
            toml: LEARN_ROTATION_KNOWN,
            // The attack of the scenario above on a source with no history.
            calls: steady_source("S7", 10, 2, 12),
            expect: |v| {
                let flagged = v[..12].iter().filter(|x| x.reasons.contains(Reason::CliRotation)).count();
                assert_eq!(flagged, 8, "the 5th CLI on");
            },
        },
        Scenario {
            name: "learning: a silent source forgets its level",
            toml: LEARN_ROTATION,
            calls: {
                let mut c = steady_source("S2", 0, 14, 8);
                // 40 intervals of silence, then the same rate again: over the floor again.
                c.extend(steady_source("S2", 54, 1, 8));
                c
            },
            expect: |v| {
                let last = &v[14 * 8..];
                assert!(last.iter().any(|x| x.reasons.contains(Reason::CliRotation)), "the level decayed");
            },
        },
        Scenario {
            name: "learning: a level rises at most twofold an interval, so a sustained attack stays visible",
            toml: LEARN_ROTATION,
            calls: steady_source("S3", 0, 6, 40),
            expect: |v| {
                for k in 0..6 {
                    assert!(
                        v[k * 40..(k + 1) * 40].iter().any(|x| x.reasons.contains(Reason::CliRotation)),
                        "interval {k}: still over the level"
                    );
                }
            },
        },
            Scenario {
            name: "the burst tier quotes its own evidence from the list it shares with the slow tier",
            toml: "",
            calls: shared_evidence_calls(),
            expect: |v| {
                let last = v.last().unwrap();
                assert_eq!(last.new_alerts.len(), 1);
                let alert = &last.new_alerts[0];
                assert_eq!(alert.rule, Reason::DistinctCallers);
                let ids: Vec<&str> = alert.evidence.iter().map(|e| e.call_id.as_str()).collect();
                let want: Vec<String> = (0..13).map(|k| format!("se{k}")).collect();
                assert_eq!(ids, want);
            },
        },
        Scenario {
            name: "a CLI that was itself called within the hour is judged against three times cli_fanout's threshold",
            toml: "",
            calls: fanout_calls(12),
            expect: |v| {
                let flagged = |a: &str| -> Vec<usize> {
                    v.iter()
                        .filter(|x| x.a_number == a)
                        .enumerate()
                        .filter(|(_, x)| x.reasons.contains(Reason::CliFanout))
                        .map(|(i, _)| i)
                        .collect()
                };
                // Never called: flagged from its 10th callee.
                assert_eq!(flagged(SIM), (9..12).collect::<Vec<_>>());
                // Called 1 s before: 12 callees are under 30.
                assert_eq!(flagged(BUSINESS), Vec::<usize>::new());
                let last = v.iter().rev().find(|x| x.a_number == BUSINESS).unwrap();
                assert_eq!(last.count(Reason::CliFanout), 12);
                // Called two hours before: as never called.
                assert_eq!(flagged(STALE), (9..12).collect::<Vec<_>>());
            },
        },
        Scenario {
            name: "called lately, without learning: the threshold times the factor, exactly",
            toml: "[rules.cli_fanout]\naction = \"flag\"\nthreshold = 4\nwindow_ms = 600000\ncli_types = [\"mobile\"]\n[rules.cli_fanout.called]\nfactor = 2\nwithin_ms = 3600000\n",
            calls: fanout_calls(9),
            expect: |v| {
                let first = |a: &str| first_fanout(v, a);
                assert_eq!(first(SIM), Some(3));
                assert_eq!(first(BUSINESS), Some(7), "its 8th callee: 2 x 4");
                assert_eq!(first(STALE), Some(3));
            },
        },
        Scenario {
            name: "a call blocked on its own does not stamp its callee as called",
            toml: "[rules.intl_ingress_local_cli]\ntrunks = [\"IGW\"]\n[rules.cli_fanout]\naction = \"flag\"\nthreshold = 4\nwindow_ms = 600000\ncli_types = [\"mobile\"]\n",
            calls: {
                // A home CLI through the gateway to the SIM: blocked, never reaches it.
                let mut c = vec![on_trunk(call("in-gw", "+2348066600003", SIM, T0 - 1_000), "IGW")];
                c.extend((0..5).map(|k| call(&format!("gw{k}"), SIM, &format!("+2348055510{k:03}"), T0 + k as i64 * 20_000)));
                c
            },
            expect: |v| {
                assert_eq!(v[0].action, Action::Block);
                assert!(!v[3].reasons.contains(Reason::CliFanout));
                assert!(v[4].reasons.contains(Reason::CliFanout), "the 4th callee, as never called");
            },
        },
        Scenario {
            name: "no called stamp from a caller at its own fan-out bar, nor from a call to oneself",
            toml: "[rules.cli_fanout]\naction = \"flag\"\nthreshold = 4\nwindow_ms = 600000\ncli_types = [\"mobile\"]\n[rules.cli_fanout.called]\nfactor = 2\nwithin_ms = 3600000\n",
            calls: decoy_calls(),
            expect: |v| {
                let first = |a: &str| first_fanout(v, a);
                assert_eq!(first(SIBLING), Some(3), "the sibling SIM reaches its bar");
                assert_eq!(first(BOXED), Some(3), "called only by a SIM at its bar: as never called");
                assert_eq!(first(SELF_CALLER), Some(3), "its call to itself vouches for nothing");
                assert_eq!(first(VOUCHED), Some(7), "called by a quiet caller: 2 x 4");
            },
        },
        Scenario {
            name: "a CLI that calls a callee again is judged against factor x threshold while its repeats last",
            toml: FANOUT_RUNS_10_MIN,
            calls: repeat_calls(),
            expect: |v| {
                let first = |a: &str| first_fanout(v, a);
                assert_eq!(first(SIM), Some(3), "never repeats: its 4th callee");
                assert_eq!(first(REPEATER), Some(5), "one repeat covers 4 callees at 0.25: its 5th");
                assert_eq!(first(STALE_REPEATER), Some(6), "its repeat 11 minutes before, its run 10: its 4th new callee");
                assert_eq!(first(RUN_REPEATER), Some(8), "its second repeat 11 minutes after the first starts a new run: covers 4, flagged at 5");
            },
        },
        Scenario {
            name: "a run of repeats lasts within_ms after its last repeat, past the window",
            toml: FANOUT_RUNS_30_MIN,
            calls: repeat_calls(),
            expect: |v| {
                let first = |a: &str| first_fanout(v, a);
                assert_eq!(first(SIM), Some(3), "never repeats: its 4th callee");
                assert_eq!(first(REPEATER), Some(5), "one repeat covers 4 callees at 0.25: its 5th");
                assert_eq!(
                    first(STALE_REPEATER),
                    Some(7),
                    "its repeat 11 minutes before, its run 30: 4 new callees covered, flagged at its 5th"
                );
                assert_eq!(
                    first(RUN_REPEATER),
                    Some(11),
                    "its second repeat continues the run: 2 repeats cover 8, flagged at 8 (threshold 2 x 4)"
                );
            },
        },
        Scenario {
            name: "a repeat below the learning floor counts from a count of 2",
            toml: FANOUT_FLOOR_3,
            calls: early_repeat_calls(),
            expect: |v| {
                let first = |a: &str| first_fanout(v, a);
                assert_eq!(
                    first(REDIALLER),
                    Some(5),
                    "its repeat at a count of 2 (floor 3) covers 4: flagged at its 5th callee"
                );
                assert_eq!(
                    first(ONE_NUMBER),
                    Some(4),
                    "its repeat at a count of 1 is not recorded: flagged at its 4th callee"
                );
            },
        },
        Scenario {
            name: "a CLI whose call comes through an ingress neither of its last two counts the move as a repeat",
            toml: FANOUT_RUNS_10_MIN,
            calls: move_calls(),
            expect: |v| {
                let first = |a: &str| first_fanout(v, a);
                assert_eq!(first(STAYER), Some(3), "one trunk: its 4th callee");
                assert_eq!(first(MOVER), Some(4), "one move covers 4 callees at 0.25: its 5th");
                assert_eq!(first(EARLY_MOVER), Some(3), "moved before its learned state: no move");
                assert_eq!(
                    first(BACK_AND_FORTH),
                    Some(4),
                    "its return to the ingress before is no move (load shared): one move, its 5th"
                );
                assert_eq!(
                    first(WANDERER),
                    Some(7),
                    "two moves cover 8: flagged at 8 (threshold 2 x 4)"
                );
            },
        },
        Scenario {
            name: "moves = false: a CLI that moves is judged as one that stays",
            toml: FANOUT_NO_MOVES,
            calls: move_calls(),
            expect: |v| {
                let first = |a: &str| first_fanout(v, a);
                assert_eq!(first(STAYER), Some(3));
                assert_eq!(first(MOVER), Some(3));
                assert_eq!(first(EARLY_MOVER), Some(3));
                assert_eq!(first(BACK_AND_FORTH), Some(3));
                assert_eq!(first(WANDERER), Some(3));
            },
        },
        Scenario {
            name: "learning: hold_uncalled holds a SIM nobody called over its bar, and lets a called CLI learn",
            toml: FANOUT_HOLD_UNCALLED,
            calls: steady_clis(14, 8),
            expect: |v| {
                for k in 0..14 {
                    assert!(steady_flagged(v, SIM, k), "interval {k}: the SIM is held at its floor");
                }
                for k in 8..14 {
                    assert!(!steady_flagged(v, BUSINESS, k), "interval {k}: the called CLI learned its level");
                }
            },
        },
        Scenario {
            name: "learning: hold_paced holds a CLI calling at even gaps, and lets one calling at random learn",
            toml: FANOUT_HOLD_PACED,
            calls: paced_clis(14),
            expect: |v| {
                for k in 0..14 {
                    assert!(steady_flagged(v, SIM, k), "interval {k}: the paced SIM is held at its floor");
                }
                for k in 8..14 {
                    assert!(!steady_flagged(v, BUSINESS, k), "interval {k}: the CLI calling at random learned its level");
                }
            },
        },
        Scenario {
            name: "learning: without hold_paced a CLI calling at even gaps learns its level",
            toml: FANOUT_LEARN_PACED,
            calls: paced_clis(14),
            expect: |v| {
                for k in 8..14 {
                    assert!(!steady_flagged(v, SIM, k), "interval {k}: learned");
                }
            },
        },
        Scenario {
            name: "learn_number: the slow tier leaves a number called through every route at its learned level",
            toml: NUMBER_LEVEL_ON,
            calls: number_level_calls(),
            expect: |v| {
                let (busy, quiet) = (&v[NUMBER_LEVEL_BACKGROUND..][..3], &v[NUMBER_LEVEL_BACKGROUND + 3..]);
                assert_eq!(busy[2].count(Reason::DistinctCallersSlow), 3);
                assert!(!busy[2].reasons.contains(Reason::DistinctCallersSlow), "three callers over one route, under its level");
                assert!(quiet[2].reasons.contains(Reason::DistinctCallersSlow), "a number seldom called is flagged");
                assert!(v[..NUMBER_LEVEL_BACKGROUND].iter().all(|x| x.action == Action::Allow));
            },
        },
        Scenario {
            name: "learn_number off: the same three callers over one route are flagged",
            toml: NUMBER_LEVEL_OFF,
            calls: number_level_calls(),
            expect: |v| {
                let (busy, quiet) = (&v[NUMBER_LEVEL_BACKGROUND..][..3], &v[NUMBER_LEVEL_BACKGROUND + 3..]);
                assert!(busy[2].reasons.contains(Reason::DistinctCallersSlow));
                assert!(quiet[2].reasons.contains(Reason::DistinctCallersSlow));
            },
        },
        Scenario {
            name: "learning: without hold_uncalled a called CLI over its bar is held too",
            toml: FANOUT_HOLD_ALL,
            calls: steady_clis(14, 8),
            expect: |v| {
                for k in 8..14 {
                    assert!(steady_flagged(v, BUSINESS, k), "interval {k}: held");
                }
            },
        },
        Scenario {
            name: "quiet_fanin: a quiet number's spread callers, one alert a spell; a busy number, a crowd, a late call",
            toml: "",
            calls: quiet_fanin_calls(),
            expect: |v| {
                let v = &v[1..];
                // The quiet number: its 4th caller over 4 routes raises, its 5th is flagged under it.
                let q = &v[..6];
                assert!(q[..3].iter().all(|x| x.action == Action::Allow));
                assert_eq!(q[3].action, Action::Flag);
                assert!(q[3].reasons.contains(Reason::QuietFanin));
                assert_eq!(q[3].new_alerts.len(), 1);
                assert_eq!(q[3].new_alerts[0].rule, Reason::QuietFanin);
                assert_eq!(q[3].new_alerts[0].evidence.len(), 1);
                assert_eq!(q[4].alert_id, q[3].alert_id);
                assert!(q[4].new_alerts.is_empty() && q[4].reasons.contains(Reason::QuietFanin));
                // A late call (a minute before the last one's) is not judged.
                assert!(!q[5].reasons.contains(Reason::QuietFanin));
                // The busy number: called 40 minutes before.
                let busy = &v[6..12];
                assert!(busy.iter().all(|x| !x.reasons.contains(Reason::QuietFanin)));
                // The crowd: the 4th caller came through a route that brought 3.
                let crowd = &v[12..18];
                assert!(crowd.iter().all(|x| !x.reasons.contains(Reason::QuietFanin)), "{crowd:?}");
                // The quiet number again, after 70 minutes of quiet: a new spell, a new alert.
                let again = &v[18..];
                assert_eq!(again[3].new_alerts.len(), 1);
                assert_ne!(again[3].alert_id, q[3].alert_id);
            },
        },
        Scenario {
            name: "intl_ingress_local_cli: a home CLI steady on the gateway for an hour gains standing; a fresh one does not",
            toml: "[rules.intl_ingress_local_cli]\ntrunks = [\"INTL-GW\"]\n",
            calls: standing_calls(),
            expect: |v| {
                // Until calls in 7 of the last 8 ten-minute slots (here the
                // 16th, at 60 minutes): every call blocked.
                let (hour, rest) = v.split_at(15);
                for (i, x) in hour.iter().enumerate() {
                    assert_eq!(x.action, Action::Block, "call {i}");
                    assert!(x.reasons.contains(Reason::IntlIngressLocalCli));
                }
                // Then it has standing and passes, its gateway alert
                // withdrawn; a fresh CLI beside it is blocked and raises the
                // gateway's alert.
                for x in &rest[..3] {
                    assert_eq!(x.action, Action::Allow, "{x:?}");
                    assert!(x.reasons.is_empty() && x.new_alerts.is_empty());
                }
                assert_eq!(rest[3].action, Action::Block);
                assert!(rest[3].reasons.contains(Reason::IntlIngressLocalCli));
                assert_eq!(rest[3].new_alerts.len(), 1);
                assert!(rest[3].new_alerts[0].evidence.iter().any(|e| e.call_id == "fresh"));
                // 35 minutes without a call: its hour begins again.
                assert_eq!(rest[4].action, Action::Block);
                assert_eq!(rest[5].action, Action::Block);
            },
        },
    ]
}

/// Calls for the standing scenario: one home CLI through the gateway every
/// 4 minutes for 64 minutes (the gateway's alert's cooldown ends between
/// them), then once more, a fresh CLI, and the first CLI back after 35
/// minutes without a call.
fn standing_calls() -> Vec<Call> {
    let centre = "+2348031234567";
    const MIN: i64 = 60_000;
    let mut c: Vec<Call> = (0..=16)
        .map(|i| {
            on_trunk(
                call(&format!("s{i}"), centre, B, T0 + i * 4 * MIN),
                "INTL-GW",
            )
        })
        .collect();
    let t = T0 + 68 * MIN;
    c.push(on_trunk(call("spared", centre, B, t), "INTL-GW"));
    c.push(on_trunk(
        call("fresh", "+2348031234999", B, t + 1),
        "INTL-GW",
    ));
    c.push(on_trunk(call("back", centre, B, t + 35 * MIN), "INTL-GW"));
    c.push(on_trunk(call("back2", centre, B, t + 39 * MIN), "INTL-GW"));
    c
}

/// Calls for the `quiet_fanin` scenario: a quiet number reached over four
/// routes (and a late call), a busy one, a crowd through one route, and the
/// quiet number again after an hour.
fn quiet_fanin_calls() -> Vec<Call> {
    let q = "+2348091111111";
    let busy = "+2348092222222";
    let crowd = "+2348093333333";
    let t = T0 + 7_200_000;
    // Two hours of history first: past the cold start (a spell that began
    // within an hour of the first call seen is not judged).
    let mut c = vec![on_trunk(
        call("h0", &many_caller(40), "+2348094444444", T0),
        "IC-8",
    )];
    for i in 0..5 {
        c.push(on_trunk(
            call(&format!("q{i}"), &many_caller(i), q, t + i as i64 * 20_000),
            &format!("IC-{i}"),
        ));
    }
    c.push(on_trunk(call("q5", &many_caller(5), q, t + 20_000), "IC-5"));
    c.push(on_trunk(
        call("b0", &many_caller(10), busy, t - 2_400_000),
        "IC-9",
    ));
    for i in 0..5 {
        c.push(on_trunk(
            call(
                &format!("b{}", i + 1),
                &many_caller(11 + i),
                busy,
                t + i as i64 * 10_000,
            ),
            &format!("IC-{i}"),
        ));
    }
    for (i, route) in ["IC-0", "IC-0", "IC-1", "IC-0", "IC-2", "IC-3"]
        .iter()
        .enumerate()
    {
        c.push(on_trunk(
            call(
                &format!("c{i}"),
                &many_caller(20 + i),
                crowd,
                t + i as i64 * 5_000,
            ),
            route,
        ));
    }
    let t2 = t + 80_000 + 70 * 60_000;
    for i in 0..4 {
        c.push(on_trunk(
            call(
                &format!("r{i}"),
                &many_caller(30 + i),
                q,
                t2 + i as i64 * 1_000,
            ),
            &format!("IC-{i}"),
        ));
    }
    c
}

/// `cli_fanout` alone with learned levels (10 s intervals), holding after one
/// interval over the bar; a called CLI is judged against twice the bar. Its
/// CLIs call at even gaps, so `hold_paced` is off.
macro_rules! fanout_hold {
    ($hold_uncalled:literal) => {
        concat!(
            "[learning]\nwarmup_ms = 0\n\
            [rules.cli_fanout]\naction = \"flag\"\nthreshold = 4\nwindow_ms = 10000\ncli_types = [\"mobile\"]\n\
            [rules.cli_fanout.learn]\nenabled = true\nfactor = 2.0\ninterval_ms = 10000\nhold_after = 1\nhold_paced = false\nhold_uncalled = ",
            $hold_uncalled,
            "\n[rules.cli_fanout.called]\nfactor = 2\nwithin_ms = 3600000\n\
            [rules.distinct_callers]\naction = \"off\"\n[rules.distinct_callers_slow]\naction = \"off\"\n\
            [rules.cli_velocity]\naction = \"off\"\n[rules.cli_rotation]\naction = \"off\"\n"
        )
    };
}

/// `cli_fanout` at 4 callees in 10 minutes, not judged by being called, and
/// judged at twice its threshold while its repeats are a quarter of its
/// callees, a run lasting `within_ms` as given; judged on any ingress (these
/// scenarios often put a CLI alone on its trunk: `min_ingress_clis = 0`).
macro_rules! fanout_repeats {
    ($within_ms:literal) => {
        concat!(
            "[rules.cli_fanout]\naction = \"flag\"\nthreshold = 4\nwindow_ms = 600000\ncli_types = [\"mobile\"]\nmin_ingress_clis = 0\n\
            [rules.cli_fanout.called]\nfactor = 1\n\
            [rules.cli_fanout.repeats]\nshare = 0.25\nfactor = 2\nwithin_ms = ",
            $within_ms,
            "\n"
        )
    };
}

/// Runs of repeats as long as the window.
const FANOUT_RUNS_10_MIN: &str = fanout_repeats!("600000");

/// Runs of repeats three windows long.
const FANOUT_RUNS_30_MIN: &str = fanout_repeats!("1800000");

/// As [`FANOUT_RUNS_10_MIN`], learning from 3 callees (0.75 × 4).
const FANOUT_FLOOR_3: &str = concat!(
    fanout_repeats!("600000"),
    "[rules.cli_fanout.learn]\nenabled = true\nobserve_from = 0.75\n"
);

/// As [`FANOUT_RUNS_10_MIN`], moves between ingresses not counted.
const FANOUT_NO_MOVES: &str = concat!(fanout_repeats!("600000"), "moves = false\n");

/// The slow fan-in tier alone (every B-number type, 10-minute learning
/// intervals, weight 0.5), `learn_number` as given.
macro_rules! number_level {
    ($learn_number:literal) => {
        concat!(
            "[learning]\nwarmup_ms = 0\n\
            [rules.distinct_callers]\naction = \"off\"\n\
            [rules.distinct_callers_slow]\nb_types = []\nlearn_number = ",
            $learn_number,
            "\n[rules.distinct_callers_slow.learn]\ninterval_ms = 600000\nweight = 0.5\n\
            [rules.cli_fanout]\naction = \"off\"\n[rules.cli_rotation]\naction = \"off\"\n"
        )
    };
}

/// The number's level over every ingress learned.
const NUMBER_LEVEL_ON: &str = number_level!("true");

/// Only each ingress's level.
const NUMBER_LEVEL_OFF: &str = number_level!("false");

/// Calls before [`number_level_calls`]' two tests.
const NUMBER_LEVEL_BACKGROUND: usize = 200;

/// [`B`] called by a new caller every 15 s for 50 minutes, each through one of
/// four trunks in turn (two callers per trunk in any 120 s: the slow tier's
/// per-ingress windows never reach 3, its count over every ingress holds 8);
/// then, after 2 quiet minutes, three new callers through one trunk within
/// 10 s, and the same into a number nobody called.
fn number_level_calls() -> Vec<Call> {
    const TRUNKS: [&str; 4] = ["IC-A", "IC-B", "IC-C", "IC-D"];
    let mut out: Vec<Call> = (0..NUMBER_LEVEL_BACKGROUND)
        .map(|i| {
            let a = format!("+2348031{i:06}");
            on_trunk(
                call(&format!("nl{i}"), &a, B, T0 + i as i64 * 15_000),
                TRUNKS[i % 4],
            )
        })
        .collect();
    let test = T0 + 52 * 60_000;
    for (k, b) in [B, "+2348099999990"].into_iter().enumerate() {
        for j in 0..3 {
            let a = format!("+2348032{k}{j:05}");
            let t = test + k as i64 * 60_000 + j as i64 * 5_000;
            out.push(on_trunk(call(&format!("nt{k}{j}"), &a, b, t), "IC-A"));
        }
    }
    out
}

/// Holding only CLIs nobody called.
const FANOUT_HOLD_UNCALLED: &str = fanout_hold!("true");

/// Holding every CLI.
const FANOUT_HOLD_ALL: &str = fanout_hold!("false");

/// `cli_fanout` alone with learned levels (10 s intervals), no hold after a
/// run over the bar; `hold_paced` as given.
macro_rules! fanout_paced {
    ($hold_paced:literal) => {
        concat!(
            "[learning]\nwarmup_ms = 0\n\
            [rules.cli_fanout]\naction = \"flag\"\nthreshold = 4\nwindow_ms = 10000\ncli_types = [\"mobile\"]\n\
            [rules.cli_fanout.learn]\nenabled = true\nfactor = 2.0\ninterval_ms = 10000\nhold_paced = ",
            $hold_paced,
            "\n[rules.cli_fanout.called]\nfactor = 1\n\
            [rules.distinct_callers]\naction = \"off\"\n[rules.distinct_callers_slow]\naction = \"off\"\n\
            [rules.cli_velocity]\naction = \"off\"\n[rules.cli_rotation]\naction = \"off\"\n"
        )
    };
}

/// Holding CLIs whose calls are machine-paced.
const FANOUT_HOLD_PACED: &str = fanout_paced!("true");

/// Learning every CLI.
const FANOUT_LEARN_PACED: &str = fanout_paced!("false");

/// [`SIM`] calling 8 new mobile callees in each of `n` 10 s intervals at
/// even gaps (a dialler), [`BUSINESS`] as many at uneven ones (a person),
/// laid out as [`steady_clis`] (`steady_flagged` reads both).
fn paced_clis(n: usize) -> Vec<Call> {
    // The person's offsets in each interval: gaps from 0.1 s to 3.3 s.
    const PERSON: [i64; 8] = [0, 300, 2_500, 2_700, 6_000, 6_100, 8_200, 8_900];
    let mut out = vec![call(
        "pc-first",
        "+2348066600001",
        "+2348066600002",
        T0 - 1_000,
    )];
    for k in 0..n {
        for (j, person) in PERSON.into_iter().enumerate() {
            for (x, a) in [SIM, BUSINESS].into_iter().enumerate() {
                let at = if x == 0 {
                    (j * 9_000 / 8) as i64
                } else {
                    person
                };
                out.push(call(
                    &format!("pc-{k}-{j}-{x}"),
                    a,
                    &format!("+234805552{x}{k:02}{j}"),
                    T0 + k as i64 * 10_000 + at + x as i64,
                ));
            }
        }
    }
    // In event-time order, as a switch sends them.
    out[1..].sort_by_key(|c| c.time_ms);
    out
}

/// [`SIM`] (never called) and [`BUSINESS`] (called a second before) each
/// calling `per` new mobile callees in each of `n` 10 s intervals.
fn steady_clis(n: usize, per: usize) -> Vec<Call> {
    let mut out = vec![call("in-business", "+2348066600001", BUSINESS, T0 - 1_000)];
    for k in 0..n {
        for j in 0..per {
            for (x, a) in [SIM, BUSINESS].into_iter().enumerate() {
                let t = T0 + k as i64 * 10_000 + (j * 9_000 / per) as i64 + x as i64;
                out.push(call(
                    &format!("sc-{k}-{j}-{x}"),
                    a,
                    &format!("+234805551{x}{k:02}{j}"),
                    t,
                ));
            }
        }
    }
    out
}

/// Which of `a`'s calls `cli_fanout` flagged first.
fn first_fanout(v: &[Verdict], a: &str) -> Option<usize> {
    v.iter()
        .filter(|x| x.a_number == a)
        .position(|x| x.reasons.contains(Reason::CliFanout))
}

/// Whether `cli_fanout` flagged a call of `a` in interval `k` of [`steady_clis`]`(_, 8)`.
fn steady_flagged(v: &[Verdict], a: &str, k: usize) -> bool {
    v[1 + k * 16..1 + (k + 1) * 16]
        .iter()
        .filter(|x| x.a_number == a)
        .any(|x| x.reasons.contains(Reason::CliFanout))
}

const SIM: &str = "+2348031110001";
const BUSINESS: &str = "+2348031110002";
const STALE: &str = "+2348031110003";

/// Three mobile CLIs each calling `n` new mobile callees 20 s apart: one
/// never called, one called a second before its first call, one called two
/// hours before; in event-time order.
fn fanout_calls(n: usize) -> Vec<Call> {
    let mut c = vec![
        call("in-stale", "+2348066600002", STALE, T0 - 7_200_000),
        call("in-business", "+2348066600001", BUSINESS, T0 - 1_000),
    ];
    for k in 0..n {
        for (j, a) in [SIM, BUSINESS, STALE].into_iter().enumerate() {
            let t = T0 + k as i64 * 20_000 + j as i64;
            c.push(call(
                &format!("fo{j}-{k}"),
                a,
                &format!("+234805550{j}{k:03}"),
                t,
            ));
        }
    }
    c
}

const SIBLING: &str = "+2348031110004";
const BOXED: &str = "+2348031110005";
const SELF_CALLER: &str = "+2348031110006";
const VOUCHED: &str = "+2348031110007";

const REPEATER: &str = "+2348031110008";
const STALE_REPEATER: &str = "+2348031110009";
const RUN_REPEATER: &str = "+2348031110010";
const REDIALLER: &str = "+2348031110015";
const ONE_NUMBER: &str = "+2348031110016";

const STAYER: &str = "+2348031110011";
const MOVER: &str = "+2348031110012";
const EARLY_MOVER: &str = "+2348031110013";
const BACK_AND_FORTH: &str = "+2348031110014";
const WANDERER: &str = "+2348031110017";

/// [`REDIALLER`] calls two numbers and the first again (a repeat at a count
/// of 2), then new ones 20 s apart; [`ONE_NUMBER`] calls one number twice
/// (a repeat at a count of 1), then new ones.
fn early_repeat_calls() -> Vec<Call> {
    let mut c = vec![
        call("rd-a", REDIALLER, "+2348055534000", T0),
        call("rd-b", REDIALLER, "+2348055534099", T0 + 10_000),
        call("rd-c", REDIALLER, "+2348055534000", T0 + 20_000),
        call("on-a", ONE_NUMBER, "+2348055535000", T0),
        call("on-b", ONE_NUMBER, "+2348055535000", T0 + 10_000),
    ];
    for k in 1..8 {
        c.push(call(
            &format!("rd{k}"),
            REDIALLER,
            &format!("+23480555340{k:02}"),
            T0 + 20_000 + k * 20_000,
        ));
        c.push(call(
            &format!("on{k}"),
            ONE_NUMBER,
            &format!("+23480555350{k:02}"),
            T0 + 10_000 + k * 20_000,
        ));
    }
    c.sort_by_key(|c| c.time_ms);
    c
}

/// Each CLI calls ten new mobiles 20 s apart, through trunks: [`STAYER`]
/// always `MSC-1`; [`MOVER`] `MSC-1` for three calls, then `MSC-2` (a move
/// at its 4th callee, over the learning floor of 2); [`EARLY_MOVER`] `MSC-0`
/// for its first call only (under the floor: its learned state begins on
/// `MSC-1`); [`BACK_AND_FORTH`] `MSC-1` but for its 4th call, through
/// `MSC-2` (a move, and a return that is none); [`WANDERER`] `MSC-1` for
/// three calls, `MSC-2` for its 4th, `MSC-3` from its 5th (two moves).
fn move_calls() -> Vec<Call> {
    let mut c = Vec::new();
    for k in 0..10i64 {
        let t = T0 + k * 20_000;
        let b = |n: u32| format!("+2348055540{n}{k:02}");
        let trunks = [
            (STAYER, "MSC-1"),
            (MOVER, if k < 3 { "MSC-1" } else { "MSC-2" }),
            (EARLY_MOVER, if k < 1 { "MSC-0" } else { "MSC-1" }),
            (BACK_AND_FORTH, if k == 3 { "MSC-2" } else { "MSC-1" }),
            (
                WANDERER,
                match k {
                    0..=2 => "MSC-1",
                    3 => "MSC-2",
                    _ => "MSC-3",
                },
            ),
        ];
        for (n, (a, trunk)) in trunks.into_iter().enumerate() {
            c.push(on_trunk(
                call(&format!("mv{n}-{k}"), a, &b(n as u32), t + n as i64),
                trunk,
            ));
        }
    }
    c
}

/// [`SIM`] calls new mobiles 20 s apart; [`REPEATER`] calls three, the first
/// again, then new ones; [`STALE_REPEATER`] calls two and the first again,
/// then after 11 minutes (past the window) new ones; [`RUN_REPEATER`] calls
/// two and the first again, 11 minutes later two more and the first of those
/// again, then new ones.
fn repeat_calls() -> Vec<Call> {
    let mut c = Vec::new();
    for k in 0..8 {
        c.push(call(
            &format!("rs{k}"),
            SIM,
            &format!("+23480555300{k:02}"),
            T0 + k * 20_000,
        ));
        let b = if k == 3 { 0 } else { k };
        c.push(call(
            &format!("rr{k}"),
            REPEATER,
            &format!("+23480555310{b:02}"),
            T0 + k * 20_000 + 1,
        ));
    }
    c.push(call("rt-a", STALE_REPEATER, "+2348055532000", T0));
    c.push(call("rt-b", STALE_REPEATER, "+2348055532099", T0 + 10_000));
    c.push(call("rt-c", STALE_REPEATER, "+2348055532000", T0 + 20_000));
    for k in 1..8 {
        c.push(call(
            &format!("rt{k}"),
            STALE_REPEATER,
            &format!("+23480555320{k:02}"),
            T0 + 680_000 + k * 20_000,
        ));
    }
    // Two repeats 660 s apart (each at a count of 2, the learning floor),
    // then new callees 20 s apart.
    for (k, (b, t)) in [
        ("00", 0),
        ("01", 10),
        ("00", 20),
        ("02", 670),
        ("03", 675),
        ("02", 680),
    ]
    .into_iter()
    .enumerate()
    {
        c.push(call(
            &format!("ru-{k}"),
            RUN_REPEATER,
            &format!("+23480555330{b}"),
            T0 + t * 1_000,
        ));
    }
    for k in 1..9 {
        c.push(call(
            &format!("ru{k}"),
            RUN_REPEATER,
            &format!("+23480555331{k:02}"),
            T0 + 680_000 + k * 20_000,
        ));
    }
    c.sort_by_key(|c| c.time_ms);
    c
}

/// Decoy calls: [`SIBLING`] calls four new mobiles, then [`BOXED`] as its
/// fifth (at its bar of 4); [`SELF_CALLER`] calls itself; a quiet caller
/// calls [`VOUCHED`]. Then each of the three calls eight new mobiles 20 s
/// apart.
fn decoy_calls() -> Vec<Call> {
    let mut c: Vec<Call> = (0..4)
        .map(|k| {
            call(
                &format!("sb{k}"),
                SIBLING,
                &format!("+23480555090{k:02}"),
                T0 - 200_000 + k * 1_000,
            )
        })
        .collect();
    c.push(call("sb-box", SIBLING, BOXED, T0 - 195_000));
    c.push(call("self", SELF_CALLER, SELF_CALLER, T0 - 190_000));
    c.push(call("vouch", "+2348066600001", VOUCHED, T0 - 180_000));
    for k in 0..8 {
        for (j, a) in [BOXED, SELF_CALLER, VOUCHED].into_iter().enumerate() {
            let t = T0 + k as i64 * 20_000 + j as i64;
            c.push(call(
                &format!("dc{j}-{k}"),
                a,
                &format!("+234805551{j}{k:03}"),
                t,
            ));
        }
    }
    c
}

/// Twelve calls from four callers within the burst window on one ingress
/// and B-number, each other one followed by a late call (30 s late: inside
/// the slow tier's window, before the burst tier's), then a fifth caller:
/// the burst tier's alert quotes its 13 calls, none of the late ones,
/// although the late ones lie among the newest 16 the two tiers pushed.
fn shared_evidence_calls() -> Vec<Call> {
    let src = "198.51.100.9";
    let mut out = Vec::new();
    for k in 0..12usize {
        let t = T0 + k as i64 * 200;
        out.push(from_source(
            call(&format!("se{k}"), &caller(k % 4), B, t),
            src,
        ));
        if k % 2 == 0 {
            out.push(from_source(
                call(
                    &format!("sl{k}"),
                    &caller(20 + k),
                    B,
                    T0 - 30_000 + k as i64,
                ),
                src,
            ));
        }
    }
    out.push(from_source(call("se12", &caller(4), B, T0 + 2_600), src));
    out
}

/// Rotation with learned levels (10 s intervals), nothing else on.
const LEARN_ROTATION: &str = "[learning]\nwarmup_ms = 0\n\
    [rules.cli_rotation]\nthreshold = 5\nwindow_ms = 10000\n\
    [rules.cli_rotation.learn]\nenabled = true\nfactor = 2.0\ninterval_ms = 10000\n\
    [rules.distinct_callers]\naction = \"off\"\n[rules.distinct_callers_slow]\naction = \"off\"\n\
    [rules.cli_velocity]\naction = \"off\"\n[rules.cli_fanout]\naction = \"off\"\n";

/// As [`LEARN_ROTATION`], observed from 2 CLIs (learning floor), a busy key
/// alerting only, holding a known key after one interval over its bar, a
/// cooldown shorter than an interval.
const LEARN_ROTATION_KNOWN: &str = "[learning]\nwarmup_ms = 0\n\
    [rules.cli_rotation]\nthreshold = 5\nwindow_ms = 10000\ncooldown_ms = 9000\n\
    [rules.cli_rotation.learn]\nenabled = true\nfactor = 2.0\ninterval_ms = 10000\nobserve_from = 0.4\n\
    busy_alert_only = true\nhold_after = 1\nhold_known = true\n\
    [rules.distinct_callers]\naction = \"off\"\n[rules.distinct_callers_slow]\naction = \"off\"\n\
    [rules.cli_velocity]\naction = \"off\"\n[rules.cli_fanout]\naction = \"off\"\n";

/// As [`LEARN_ROTATION`], holding the level after one interval over the threshold.
const LEARN_ROTATION_HOLD: &str = "[learning]\nwarmup_ms = 0\n\
    [rules.cli_rotation]\nthreshold = 5\nwindow_ms = 10000\n\
    [rules.cli_rotation.learn]\nenabled = true\nfactor = 2.0\ninterval_ms = 10000\nhold_after = 1\nhold_known = false\n\
    [rules.distinct_callers]\naction = \"off\"\n[rules.distinct_callers_slow]\naction = \"off\"\n\
    [rules.cli_velocity]\naction = \"off\"\n[rules.cli_fanout]\naction = \"off\"\n";

/// `per` new CLIs from one source in each of `n` 10 s intervals from interval `from`.
fn steady_source(src: &str, from: usize, n: usize, per: usize) -> Vec<Call> {
    let mut out = Vec::new();
    for k in from..from + n {
        for j in 0..per {
            let t = T0 + k as i64 * 10_000 + (j * 9_000 / per) as i64;
            let id = format!("{src}-{k}-{j}");
            let cli = format!("+234803{:07}", k * 100 + j);
            out.push(on_trunk(
                call(&id, &cli, &format!("+23480900{:05}", k * 100 + j), t),
                src,
            ));
        }
    }
    out
}

/// Runs the async store from synchronous test code.
struct BlockOn {
    rt: tokio::runtime::Runtime,
    store: AsyncRedisStore,
}

impl BlockOn {
    fn new(settings: RedisSettings) -> BlockOn {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let store = {
            let _g = rt.enter();
            AsyncRedisStore::new(settings).unwrap()
        };
        BlockOn { rt, store }
    }
}

impl WindowStore for BlockOn {
    fn name(&self) -> &'static str {
        "redis-async"
    }
    fn apply_into(&self, req: &StoreRequest, answer: &mut StoreAnswer) -> Result<(), StoreError> {
        *answer = self.rt.block_on(self.store.apply(req))?;
        Ok(())
    }
    fn add_blocks(&self, blocks: &[BlockEntry]) -> Result<(), StoreError> {
        self.rt.block_on(self.store.add_blocks(blocks))
    }
    fn withdraw_alerts(&self, req: &StoreRequest, w: &[Withdrawal]) -> Result<(), StoreError> {
        self.store.withdraw_alerts(req, w)
    }
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    Memory,
    /// The shared-memory store (one region, as Kamailio's workers share it).
    Shm,
    Sync,
    /// The sync client told the server lacks `ZADD GT` (Redis < 6.2).
    SyncNoZaddGt,
    Async,
}

fn settings_for(cfg: &Config, urls: &[String], cluster: bool, prefix: &str) -> RedisSettings {
    let mut s = RedisSettings::from_config(&cfg.store);
    s.urls = urls.to_vec();
    s.cluster = cluster;
    s.key_prefix = prefix.into();
    // Equivalence, not latency: a generous budget keeps a loaded test machine from
    // turning a slow answer into a fail-open verdict.
    s.budget = Duration::from_secs(3);
    s
}

fn run(
    s: &Scenario,
    backend: Backend,
    urls: &[String],
    cluster: bool,
    prefix: &str,
) -> Vec<Verdict> {
    let cfg = suite_config(s.toml);
    let engine = Engine::from_config(&cfg, Arc::new(ManualClock::new(T0))).unwrap();
    let store: Arc<dyn Store> = match backend {
        Backend::Memory => Arc::new(MemoryStore::new(MemoryStoreConfig::from(&cfg.store))),
        Backend::Shm => Arc::new(ShmStore::new(acm::store::shm_config(&cfg)).unwrap()),
        Backend::Sync => {
            Arc::new(RedisStore::new(settings_for(&cfg, urls, cluster, prefix)).unwrap())
        }
        Backend::SyncNoZaddGt => {
            let mut st = settings_for(&cfg, urls, cluster, prefix);
            st.zadd_gt = Some(false);
            Arc::new(RedisStore::new(st).unwrap())
        }
        Backend::Async => Arc::new(BlockOn::new(settings_for(&cfg, urls, cluster, prefix))),
    };
    let detector = Detector::new(Arc::new(engine), store);
    let mut published = std::collections::HashSet::new();
    s.calls
        .iter()
        .map(|c| {
            let v = detector.check_now(c).unwrap();
            assert!(
                !v.degraded(),
                "{}: {backend:?} degraded: {:?}",
                s.name,
                v.reasons.joined()
            );
            // No call is flagged under an alert nobody was told of.
            published.extend(v.new_alerts.iter().map(|a| a.id.clone()));
            if let Some(id) = &v.alert_id {
                assert!(
                    published.contains(id),
                    "{}: {backend:?}: call {} is flagged under {id}, which no verdict raised",
                    s.name,
                    c.call_id
                );
            }
            v
        })
        .collect()
}

fn assert_same(s: &Scenario, label: &str, got: &[Verdict], want: &[Verdict]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(
            g, w,
            "{}: {label} differs from the memory store at call {i}",
            s.name
        );
    }
}

#[test]
fn memory_store_meets_the_hand_written_expectations() {
    for s in scenarios() {
        let v = run(&s, Backend::Memory, &[], false, "");
        (s.expect)(&v);
    }
}

#[test]
fn shm_store_gives_the_memory_verdicts() {
    for s in scenarios() {
        let want = run(&s, Backend::Memory, &[], false, "");
        let got = run(&s, Backend::Shm, &[], false, "");
        (s.expect)(&got);
        assert_same(&s, "shm", &got, &want);
    }
    // Each region hashes keys with a seed of its own, which decides the
    // keys that share a shard and so when the sweeping hand meets one: a
    // store that freed a key before a late event could have seen it (the
    // store contract's `LATE_MS`) differed on about one seed in thirty.
    for (n, (toml, unique)) in random_runs().into_iter().enumerate() {
        let s = random_scenario(toml, 0x5eed_0000 + n as u64, unique);
        let want = run(&s, Backend::Memory, &[], false, "");
        (s.expect)(&want);
        for _ in 0..16 {
            let got = run(&s, Backend::Shm, &[], false, "");
            assert_same(&s, "shm", &got, &want);
        }
    }
}

#[test]
fn redis_sync_and_async_give_the_memory_verdicts() {
    let server = RedisServer::start();
    let urls = vec![server.url()];
    for (n, s) in scenarios().iter().enumerate() {
        let want = run(s, Backend::Memory, &[], false, "");
        let sync = run(s, Backend::Sync, &urls, false, &format!("s{n}"));
        (s.expect)(&sync);
        assert_same(s, "redis sync", &sync, &want);
        let asy = run(s, Backend::Async, &urls, false, &format!("a{n}"));
        assert_same(s, "redis async", &asy, &want);
        let old = run(s, Backend::SyncNoZaddGt, &urls, false, &format!("o{n}"));
        assert_same(s, "redis sync without ZADD GT", &old, &want);
    }
}

#[test]
fn redis_cluster_gives_the_memory_verdicts() {
    let cluster = RedisCluster::start(3);
    let urls = cluster.urls();
    for (n, s) in scenarios().iter().enumerate() {
        let want = run(s, Backend::Memory, &[], false, "");
        let sync = run(s, Backend::Sync, &urls, true, &format!("s{n}"));
        assert_same(s, "cluster sync", &sync, &want);
        let asy = run(s, Backend::Async, &urls, true, &format!("a{n}"));
        assert_same(s, "cluster async", &asy, &want);
    }
}

/// A small deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Random traffic over a few B-numbers, callers and sources for several
/// minutes of event time: repeat callers, calls with and without a source (so
/// the slow tier sees fewer calls than the burst tier), late (by less than a
/// window) and same-millisecond events, alerts, cooldowns running out, auto-blocks, keys
/// idle long enough to start over. With `unique_times` no two calls share a
/// millisecond, so a small member cap may evict without ties (where Redis and
/// memory break ties differently, see docs/redis-store.md).
fn random_calls(seed: u64, n: usize, unique_times: bool) -> Vec<Call> {
    let mut rng = Rng(seed);
    let mut used = std::collections::HashSet::new();
    let mut now = T0;
    let mut last = T0;
    let mut calls = Vec::with_capacity(n);
    for i in 0..n {
        now += rng.below(1_500) as i64;
        let mut t = match rng.below(20) {
            // Late, by less than the shortest window (the burst tier's 5 s):
            // later than that, a store may already have freed the key (the
            // store contract, `acm::store`). So none falls before its key's
            // window: the hand-written scenarios hold that case.
            0..=2 => now - rng.below(5_000) as i64,
            3..=4 => last, // the previous call's millisecond
            _ => now,
        };
        if unique_times {
            while !used.insert(t) {
                t += 1;
            }
        }
        last = t;
        let b = format!("+23480999999{:02}", rng.below(3));
        let id = if rng.below(10) == 0 && i > 0 {
            format!("r{}", rng.below(i as u64)) // a call id seen before
        } else {
            format!("r{i}")
        };
        let mut c = call(&id, &caller(rng.below(14) as usize), &b, t);
        if rng.below(4) != 0 {
            c = from_source(c, &format!("198.51.100.{}", rng.below(3)));
        }
        calls.push(c);
    }
    calls
}

const RANDOM_TOML: &str = "[alerts]\ncooldown_ms = 20000\n\
    [auto_block]\nenabled = true\nduration_ms = 15000\n\
    [rules.cli_velocity]\nthreshold = 4\nwindow_ms = 20000\n\
    [rules.cli_rotation]\naction = \"flag\"\nthreshold = 4\nwindow_ms = 10000\n\
    [rules.cli_rotation.learn]\ninterval_ms = 2000\n\
    [rules.cli_fanout]\nthreshold = 4\nwindow_ms = 30000\n\
    [rules.cli_fanout.learn]\ninterval_ms = 5000\nhold_after = 2\n";

/// The random runs: the configs and whether event times are unique.
fn random_runs() -> Vec<(String, bool)> {
    vec![
        (String::from(RANDOM_TOML), false),
        // A member cap of 5 (below the thresholds' 4x): windows evict on
        // almost every call.
        (
            format!("{RANDOM_TOML}[store]\nmax_members_per_key = 5\n"),
            true,
        ),
        // cli_fanout at 2 over the three callees, judged by its repeats
        // (every caller repeats): lenient or not, call by call.
        (
            RANDOM_TOML.replace(
                "[rules.cli_fanout]\nthreshold = 4",
                "[rules.cli_fanout.repeats]\nshare = 0.5\nfactor = 2\n[rules.cli_fanout]\nthreshold = 2",
            ),
            false,
        ),
    ]
}

fn random_scenario(toml: String, seed: u64, unique: bool) -> Scenario {
    let toml: &'static str = Box::leak(toml.into_boxed_str());
    Scenario {
        name: "random traffic",
        toml,
        calls: random_calls(seed, 1_500, unique),
        expect: |v| {
            assert!(
                v.iter().any(|x| !x.new_alerts.is_empty()),
                "no alert raised"
            );
            assert!(v.iter().any(|x| x.reasons.contains(Reason::AutoBlock)));
        },
    }
}

#[test]
fn random_traffic_gives_the_memory_verdicts() {
    let server = RedisServer::start();
    let urls = vec![server.url()];
    for (n, (toml, unique)) in random_runs().into_iter().enumerate() {
        let s = random_scenario(toml, 0x5eed_0000 + n as u64, unique);
        let want = run(&s, Backend::Memory, &[], false, "");
        (s.expect)(&want);
        for (backend, label) in [
            (Backend::Sync, "redis sync"),
            (Backend::SyncNoZaddGt, "redis sync without ZADD GT"),
            (Backend::Async, "redis async"),
        ] {
            let got = run(&s, backend, &urls, false, &format!("rnd{n}{label}"));
            assert_same(&s, label, &got, &want);
        }
    }
    every_key_expires_and_stays_small(&server);
}

/// Every key a check writes has an expiry no longer than its window (or
/// cooldown) plus the slack plus the 30 s expiry bucket; member sets keep at
/// most their cap (plus three markers), evidence lists at most 32 entries.
fn every_key_expires_and_stays_small(server: &RedisServer) {
    let support::Resp::Array(Some(keys)) = server.cmd(&["KEYS", "*"]) else {
        panic!("KEYS failed");
    };
    assert!(keys.len() > 50, "only {} keys", keys.len());
    // The burst tier counted in the slow tier's members set on per-ingress
    // keys and read its evidence list (its own cooldown under the slow
    // tier's hash tag, no list of its own).
    assert!(
        keys.iter().any(|k| k.text().contains("}:dc:c")),
        "the fan-in tiers never shared a members set"
    );
    assert!(!keys.iter().any(|k| k.text().contains("}:dc:e")));
    // The fan-in tiers' all-ingress companion (the slow tier's, where it
    // counts the call) is count-only: its members set is its only key, and
    // the slow tier's, which learns its number's level (`learn_number`), a
    // hash holding that level and no cooldown; and, judged by its number's
    // spell (quiet_fanin), the spell's string.
    assert!(keys.iter().any(|k| k.text().contains("{ds:*|")));
    assert!(
        keys.iter()
            .any(|k| k.text().contains("{ds:*|") && k.text().ends_with(":s")),
        "no spell was kept"
    );
    for k in keys.iter().map(|k| k.text()) {
        let companion = k.contains("{dc:*|") || k.contains("{ds:*|");
        let level_only = k.contains("{ds:*|")
            && k.ends_with(":c")
            && matches!(server.cmd(&["HGET", &k, "u"]), support::Resp::Bulk(None));
        let spell = k.contains("{ds:*|") && k.ends_with(":s");
        assert!(
            !companion || k.ends_with(":m") || level_only || spell,
            "{k}: a count-only window keeps only its members (and a learned level, a spell)"
        );
    }
    for k in keys {
        let k = k.text();
        let ttl: i64 = server.cmd(&["PTTL", &k]).text().parse().unwrap();
        let learned = k.ends_with(":c")
            && !matches!(server.cmd(&["HGET", &k, "l"]), support::Resp::Bulk(None));
        if learned {
            // A learned level that raises its key's threshold outlives the
            // window by [learning] keep_ms (1 day) plus the slack.
            assert!(ttl > 0 && ttl <= 86_400_000 + 60_000, "{k}: PTTL {ttl}");
            continue;
        }
        if k.ends_with(":s") {
            // A number's spell: quiet_fanin's quiet_ms (1 h) plus the slack.
            assert!(ttl > 0 && ttl <= 3_600_000 + 60_000, "{k}: PTTL {ttl}");
            continue;
        }
        if k.ends_with(":r") {
            // A callee's called stamp: cli_fanout's called.within_ms (1 h) plus the slack.
            assert!(
                k.contains("{cf:+"),
                "{k}: a called stamp beside cli_fanout's keys"
            );
            assert!(ttl > 0 && ttl <= 3_600_000 + 60_000, "{k}: PTTL {ttl}");
            continue;
        }
        // Longest: the 120 s slow tier; slack 60 s; bucket 30 s.
        assert!(ttl > 0 && ttl <= 210_000, "{k}: PTTL {ttl}");
        if k.ends_with(":m") {
            let n: i64 = server.cmd(&["ZCARD", &k]).text().parse().unwrap();
            assert!(n <= 64 + 3, "{k}: {n} members");
        }
        if k.ends_with(":e") {
            let n: i64 = server.cmd(&["LLEN", &k]).text().parse().unwrap();
            // A list the fan-in tiers share keeps the newest 16 of each,
            // at most 64.
            let most = if k.contains("{ds:") { 64 } else { 32 };
            assert!(n <= most, "{k}: {n} evidence entries");
        }
    }
}

/// A window's keys get their expiry when created and again whenever the
/// key's latest time enters a new 30 s bucket — not on every update — and an
/// evidence list created under an existing member set gets one too.
#[test]
fn expiry_is_set_on_new_keys_and_refreshed_per_bucket() {
    let server = RedisServer::start();
    let cfg = suite_config("");
    let engine = Engine::from_config(&cfg, Arc::new(ManualClock::new(T0))).unwrap();
    let store = RedisStore::new(settings_for(&cfg, &[server.url()], false, "exp")).unwrap();
    let detector = Detector::new(Arc::new(engine), Arc::new(store));
    let m = format!("exp:{{dc:{B}}}:m");
    let e = format!("exp:{{dc:{B}}}:e");
    let pttl = |k: &str| -> i64 { server.cmd(&["PTTL", k]).text().parse().unwrap() };
    // T0 is 20 s into its bucket: T0 + 10 s starts the next one.
    assert_eq!(T0.rem_euclid(30_000), 20_000);
    let check = |id: &str, i: usize, t: i64| {
        let v = detector.check_now(&call(id, &caller(i), B, t)).unwrap();
        assert!(!v.degraded());
    };
    check("x0", 0, T0);
    // distinct_callers: 5 s window + 60 s slack + 30 s bucket.
    for k in [&m, &e] {
        let t = pttl(k);
        assert!(t > 90_000 && t <= 95_000, "{k}: {t}");
    }
    for k in [&m, &e] {
        server.cmd(&["PEXPIRE", k, "5000"]);
    }
    check("x1", 1, T0 + 1_000);
    for k in [&m, &e] {
        let t = pttl(k);
        assert!(
            t > 0 && t <= 5_000,
            "{k}: refreshed within the bucket ({t})"
        );
    }
    server.cmd(&["DEL", &e]);
    check("x2", 2, T0 + 2_000);
    let t = pttl(&e);
    assert!(t > 90_000 && t <= 95_000, "a new evidence list: {t}");
    check("x3", 3, T0 + 10_000);
    for k in [&m, &e] {
        let t = pttl(k);
        assert!(
            t > 90_000 && t <= 95_000,
            "{k}: not refreshed in a new bucket ({t})"
        );
    }
    // A late event that creates a key.
    let v = detector
        .check_now(&call("x4", &caller(4), "+2348099999997", T0 - 3_600_000))
        .unwrap();
    assert!(!v.degraded());
    let t = pttl("exp:{dc:+2348099999997}:m");
    assert!(t > 90_000 && t <= 95_000, "late event, new key: {t}");
}

/// A count-only window (`WindowOp::count_only`: the burst tier's all-ingress
/// companion) counts exactly as any window — members, late events, its cap —
/// but keeps no evidence and no cooldown and never answers an alert, in every
/// store; on Redis its members set is its only key. Both windows ask for
/// their span (`WindowOp::span`): at the cap every store answers the same.
#[test]
fn count_only_windows_count_alike_and_keep_nothing_else() {
    let server = RedisServer::start();
    let cfg = Config::from_toml("").unwrap();
    let urls = vec![server.url()];
    let mut no_gt = settings_for(&cfg, &urls, false, "cn");
    no_gt.zadd_gt = Some(false);
    let stores: Vec<(&str, Arc<dyn Store>)> = vec![
        (
            "memory",
            Arc::new(MemoryStore::new(MemoryStoreConfig::from(&cfg.store))),
        ),
        (
            "shm",
            Arc::new(ShmStore::new(acm::store::shm_config(&cfg)).unwrap()),
        ),
        (
            "redis sync",
            Arc::new(RedisStore::new(settings_for(&cfg, &urls, false, "co")).unwrap()),
        ),
        (
            "redis sync without ZADD GT",
            Arc::new(RedisStore::new(no_gt).unwrap()),
        ),
        (
            "redis async",
            Arc::new(BlockOn::new(settings_for(&cfg, &urls, false, "ca"))),
        ),
    ];
    let all = format!("*|{B}");
    let one = format!("198.51.100.7|{B}");
    // (caller, event time): new callers, a repeat, a same-millisecond
    // event, a late one inside the window and one before it, past the cap
    // (6: twice the threshold).
    let calls: Vec<(usize, i64)> = vec![
        (0, T0),
        (1, T0 + 500),
        (2, T0 + 1_000),
        (1, T0 + 1_200),
        (3, T0 + 1_200),
        (4, T0 + 900),
        (5, T0 - 9_000),
        (6, T0 + 2_000),
        (7, T0 + 2_500),
        (8, T0 + 9_000),
    ];
    let request = |i: usize, a: usize, t: i64| {
        let op = |key: &str, count_only: bool| WindowOp {
            rule: Reason::DistinctCallers,
            key: key.into(),
            member: caller(a).into(),
            time_ms: t,
            window_ms: 5_000,
            threshold: 3,
            cooldown_ms: 60_000,
            member_cap: 4,
            learn: None,
            count_only,
            called: None,
            repeats: None,
            span: true,
            // The companion answers its callers within 2 s too.
            recent_ms: if count_only { 2_000 } else { 0 },
            spell: None,
        };
        StoreRequest {
            windows: [op(&all, true), op(&one, false)].into_iter().collect(),
            evidence: Evidence {
                time_ms: t,
                call_id: format!("co{i}").into(),
                a_number: caller(a).into(),
                b_number: B.into(),
                source: "198.51.100.7".into(),
            },
            block_lookup: None,
            called: None,
        }
    };
    let mut want: Vec<StoreAnswer> = Vec::new();
    for (name, store) in &stores {
        let got: Vec<StoreAnswer> = calls
            .iter()
            .enumerate()
            .map(|(i, &(a, t))| {
                let mut ans = StoreAnswer::default();
                store.update_now(&request(i, a, t), &mut ans).unwrap();
                ans
            })
            .collect();
        for (i, ans) in got.iter().enumerate() {
            let (only, full) = (&ans.windows[0], &ans.windows[1]);
            assert_eq!(only.count, full.count, "{name}, call {i}");
            assert_eq!(only.alert, acm::store::AlertState::None, "{name}, call {i}");
            assert!(only.evidence.is_empty(), "{name}, call {i}");
        }
        assert!(
            got.iter()
                .any(|a| matches!(a.windows[1].alert, acm::store::AlertState::Raised(_))),
            "{name}: the full window never alerted"
        );
        assert!(got.iter().any(|a| a.windows[0].count == 6), "{name}: cap");
        // Its callers within the 2 s up to its latest event (late events
        // too), at most its count (the kept members): what every store
        // answers alike (below).
        let recent: Vec<u16> = got.iter().map(|a| a.windows[0].recent).collect();
        assert_eq!(recent, vec![1, 2, 3, 3, 4, 5, 5, 5, 6, 1], "{name}");
        assert!(
            got.iter().all(|a| a.windows[1].recent == 0),
            "{name}: not asked"
        );
        // At the cap both answer the span of their kept members, alike.
        for (i, ans) in got.iter().enumerate() {
            assert_eq!(
                ans.windows[0].span_ms, ans.windows[1].span_ms,
                "{name}, call {i}"
            );
            assert_eq!(
                ans.windows[0].span_ms > 0,
                ans.windows[0].count == 6,
                "{name}, call {i}"
            );
        }
        if want.is_empty() {
            want = got;
        } else {
            assert_eq!(got, want, "{name} differs from the memory store");
        }
    }
    for prefix in ["co", "cn", "ca"] {
        let support::Resp::Array(Some(keys)) = server.cmd(&["KEYS", &format!("{prefix}:*")]) else {
            panic!("KEYS failed");
        };
        let mut names: Vec<String> = keys.iter().map(|k| k.text()).collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                format!("{prefix}:{{dc:*|{B}}}:m"),
                format!("{prefix}:{{dc:{one}}}:c"),
                format!("{prefix}:{{dc:{one}}}:e"),
                format!("{prefix}:{{dc:{one}}}:m"),
            ]
        );
    }
}

/// A withdrawn alert (`contract::Withdrawal`) ends its window's cooldown on
/// every store: the next update at or over the threshold raises a new alert.
/// The burst tier's window here counts in the slow tier's members set (on
/// Redis its cooldown is a key under the slow tier's hash tag); a withdrawal
/// naming another alert changes nothing.
#[test]
fn a_withdrawn_alert_is_raised_anew_on_every_store() {
    use acm::store::AlertState;
    let server = RedisServer::start();
    let cluster = RedisCluster::start(3);
    let cfg = Config::from_toml("").unwrap();
    let urls = vec![server.url()];
    let curls = cluster.urls();
    let stores: Vec<(&str, Arc<dyn WindowStore>)> = vec![
        (
            "memory",
            Arc::new(MemoryStore::new(MemoryStoreConfig::from(&cfg.store))),
        ),
        (
            "shm",
            Arc::new(ShmStore::new(acm::store::shm_config(&cfg)).unwrap()),
        ),
        (
            "redis sync",
            Arc::new(RedisStore::new(settings_for(&cfg, &urls, false, "wo")).unwrap()),
        ),
        (
            "redis async",
            Arc::new(BlockOn::new(settings_for(&cfg, &urls, false, "wa"))),
        ),
        (
            "redis cluster sync",
            Arc::new(RedisStore::new(settings_for(&cfg, &curls, true, "wc")).unwrap()),
        ),
        (
            "redis cluster async",
            Arc::new(BlockOn::new(settings_for(&cfg, &curls, true, "wd"))),
        ),
    ];
    let key = format!("198.51.100.7|{B}");
    let request = |a: usize, t: i64| {
        let op = |rule: Reason, window_ms: i64| WindowOp {
            rule,
            key: key.as_str().into(),
            member: caller(a).into(),
            time_ms: t,
            window_ms,
            threshold: 3,
            cooldown_ms: 60_000,
            member_cap: 8,
            learn: None,
            count_only: false,
            called: None,
            repeats: None,
            span: false,
            recent_ms: 0,
            spell: None,
        };
        StoreRequest {
            windows: [
                op(Reason::DistinctCallersSlow, 120_000),
                op(Reason::DistinctCallers, 5_000),
            ]
            .into_iter()
            .collect(),
            evidence: Evidence {
                time_ms: t,
                call_id: format!("wd{a}").into(),
                a_number: caller(a).into(),
                b_number: B.into(),
                source: "198.51.100.7".into(),
            },
            block_lookup: None,
            called: None,
        }
    };
    let alerts = |ans: &StoreAnswer| -> Vec<AlertState> {
        ans.windows.iter().map(|w| w.alert.clone()).collect()
    };
    for (name, store) in &stores {
        let mut ans = StoreAnswer::default();
        for a in 0..3 {
            store
                .apply_into(&request(a, T0 + a as i64 * 100), &mut ans)
                .unwrap();
        }
        let (AlertState::Raised(slow), AlertState::Raised(burst)) =
            (ans.windows[0].alert.clone(), ans.windows[1].alert.clone())
        else {
            panic!("{name}: the third caller raises both: {:?}", alerts(&ans));
        };
        // The burst tier's alert is withdrawn, and one the slow tier never
        // raised is named for its window.
        let third = request(2, T0 + 200);
        let withdrawals = [
            Withdrawal {
                window: 1,
                id: burst.clone(),
            },
            Withdrawal {
                window: 0,
                id: format!("{slow}0").into(),
            },
        ];
        store.withdraw_alerts(&third, &withdrawals).unwrap();
        store.apply_into(&request(3, T0 + 300), &mut ans).unwrap();
        let again = request(3, T0 + 300).windows[1].alert_id();
        assert_ne!(again, burst);
        assert_eq!(
            alerts(&ans),
            vec![
                AlertState::Active(slow.clone()),
                AlertState::Raised(again.clone())
            ],
            "{name}: the fourth caller"
        );
        assert_eq!(ans.windows[1].evidence.len(), 4, "{name}: its evidence");
        // A late withdrawal of the first burst alert leaves the one raised
        // since in its cooldown: only the alert named goes.
        store.apply_into(&request(4, T0 + 400), &mut ans).unwrap();
        assert_eq!(
            alerts(&ans),
            vec![
                AlertState::Active(slow.clone()),
                AlertState::Active(again.clone())
            ],
            "{name}: the fifth caller"
        );
        store
            .withdraw_alerts(
                &request(4, T0 + 400),
                &[Withdrawal {
                    window: 1,
                    id: burst.clone(),
                }],
            )
            .unwrap();
        store.apply_into(&request(5, T0 + 500), &mut ans).unwrap();
        assert_eq!(
            alerts(&ans),
            vec![AlertState::Active(slow), AlertState::Active(again)],
            "{name}: a stale withdrawal"
        );
    }
}

/// A withdrawal reaches the server without waiting for its connection's next
/// request: the blocking client on one server writes it at once (and reads
/// its reply before its next request), the async client sends it in a task
/// of its own (and again ahead of its next check). Another connection that
/// checks the key meanwhile raises an alert of its own instead of passing
/// under the withdrawn one. (A cluster's blocking client still sends it with
/// its next request; docs/redis-store.md.)
#[test]
fn a_withdrawal_reaches_other_connections_before_its_own_next_check() {
    use acm::store::AlertState;
    let server = RedisServer::start();
    let cfg = Config::from_toml("").unwrap();
    let urls = vec![server.url()];
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let key = format!("198.51.100.9|{B}");
    let request = |a: usize, t: i64| StoreRequest {
        windows: [WindowOp {
            rule: Reason::DistinctCallers,
            key: key.as_str().into(),
            member: caller(a).into(),
            time_ms: t,
            window_ms: 60_000,
            threshold: 3,
            cooldown_ms: 60_000,
            member_cap: 8,
            learn: None,
            count_only: false,
            called: None,
            repeats: None,
            span: false,
            recent_ms: 0,
            spell: None,
        }]
        .into_iter()
        .collect(),
        evidence: Evidence {
            time_ms: t,
            call_id: format!("wn{a}").into(),
            a_number: caller(a).into(),
            b_number: B.into(),
            source: "198.51.100.9".into(),
        },
        block_lookup: None,
        called: None,
    };
    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let sync = RedisStore::new(settings_for(&cfg, &urls, false, "ws")).unwrap();
    let not_async = {
        let _g = rt.enter();
        AsyncRedisStore::new(settings_for(&cfg, &urls, false, "wt")).unwrap()
    };
    type Apply<'a> = Box<dyn Fn(&StoreRequest) -> StoreAnswer + 'a>;
    type Withdraw<'a> = Box<dyn Fn(&StoreRequest, &[Withdrawal]) + 'a>;
    type Dropped<'a> = Box<dyn Fn() -> u64 + 'a>;
    let stores: Vec<(&str, &str, Apply, Withdraw, Dropped)> = vec![
        (
            "redis sync",
            "ws",
            Box::new(|r| {
                let mut a = StoreAnswer::default();
                sync.apply_into(r, &mut a).unwrap();
                a
            }),
            Box::new(|r, w| sync.withdraw_alerts(r, w).unwrap()),
            Box::new(|| {
                sync.stats()
                    .withdrawals_dropped
                    .load(std::sync::atomic::Ordering::Relaxed)
            }),
        ),
        (
            "redis async",
            "wt",
            Box::new(|r| rt.block_on(not_async.apply(r)).unwrap()),
            Box::new(|r, w| {
                let _g = rt.enter();
                not_async.withdraw_alerts(r, w).unwrap()
            }),
            Box::new(|| {
                not_async
                    .stats()
                    .withdrawals_dropped
                    .load(std::sync::atomic::Ordering::Relaxed)
            }),
        ),
    ];
    for (name, prefix, apply, withdraw, dropped) in &stores {
        let other = RedisStore::new(settings_for(&cfg, &urls, false, prefix)).unwrap();
        let mut ans = StoreAnswer::default();
        for a in 0..3 {
            ans = apply(&request(a, T0 + a as i64 * 100));
        }
        let AlertState::Raised(held) = ans.windows[0].alert.clone() else {
            panic!(
                "{name}: the third caller raises: {:?}",
                ans.windows[0].alert
            );
        };
        withdraw(
            &request(2, T0 + 200),
            &[Withdrawal {
                window: 0,
                id: held.clone(),
            }],
        );
        // Nothing more is sent on this store's connection: the cooldown ends
        // on the server all the same.
        let cooldown = format!("{prefix}:{{dc:{key}}}:c");
        let waited = std::time::Instant::now();
        loop {
            let u: Option<String> = redis::cmd("HGET")
                .arg(&cooldown)
                .arg("u")
                .query(&mut raw)
                .unwrap();
            if u.as_deref() == Some("0") {
                break;
            }
            assert!(
                waited.elapsed() < Duration::from_secs(5),
                "{name}: the withdrawal waits for the next request (u = {u:?})"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        other.apply_into(&request(3, T0 + 300), &mut ans).unwrap();
        let AlertState::Raised(again) = ans.windows[0].alert.clone() else {
            panic!(
                "{name}: another connection's call: {:?}",
                ans.windows[0].alert
            );
        };
        assert_ne!(again, held, "{name}");
        // The store's own next request reads past what the withdrawal left
        // on its connection and answers in step.
        let next = apply(&request(4, T0 + 400));
        assert_eq!(
            next.windows[0].alert,
            AlertState::Active(again.clone()),
            "{name}: its own next call"
        );
        assert_eq!(next.windows[0].count, 5, "{name}");
        assert_eq!(dropped(), 0, "{name}: nothing dropped");
    }
}
