// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Redis store when the store misbehaves: killed, hung (SIGSTOP),
//! restarted, its script cache flushed. Every check must answer within the
//! budget (plus a generous safety margin — the point is "never hangs") with
//! `store_unavailable`, the breaker must open after K failures and then cost
//! nothing, and detection must resume by itself when the store is back.
//! Also the shared allow/deny lists. Real `redis-server`; missing = failure.

mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use acm::clock::ManualClock;
use acm::config::{Config, ListsConfig};
use acm::detector::Detector;
use acm::engine::{Action, Call, Engine, Reason, Verdict};
use acm::store::redis::{BreakerState, SharedList};
use acm::store::{AsyncRedisStore, RedisSettings, RedisStore, Store, StoreError, WindowStore};
use support::{RedisCluster, RedisServer};

const T0: i64 = 1_700_000_000_000;
const B: &str = "+2348099999999";
/// Safety bound above the budget: scheduling noise on a loaded 2-core machine.
const EPSILON: Duration = Duration::from_millis(200);

fn caller(i: usize) -> String {
    format!("+23480300000{i:02}")
}

fn settings(url: &str, budget_ms: u64, failures: u32, cooldown_ms: u64) -> RedisSettings {
    let mut s = RedisSettings::single(url);
    s.budget = Duration::from_millis(budget_ms);
    s.breaker_failures = failures;
    s.breaker_cooldown = Duration::from_millis(cooldown_ms);
    s
}

fn engine() -> Arc<Engine> {
    Arc::new(Engine::from_config(&Config::default(), Arc::new(ManualClock::new(T0))).unwrap())
}

/// One check through a Detector over `engine` and `store`, timed.
fn timed(engine: &Arc<Engine>, store: Arc<dyn Store>, i: usize, t: i64) -> (Verdict, Duration) {
    let start = Instant::now();
    let v = Detector::new(engine.clone(), store)
        .check_now(&Call::new(&format!("c{i}"), &caller(i), B).at(t))
        .unwrap();
    (v, start.elapsed())
}

#[test]
fn killed_store_fails_open_within_budget_and_breaker_opens() {
    let mut server = RedisServer::start();
    let budget = Duration::from_millis(50);
    let store = Arc::new(RedisStore::new(settings(&server.url(), 50, 3, 60_000)).unwrap());
    store.connect().unwrap();
    let e = engine();
    for i in 0..3 {
        let (v, _) = timed(&e, store.clone(), i, T0 + i as i64);
        assert!(!v.degraded());
        assert_eq!(v.count(Reason::DistinctCallers), i as u32 + 1);
    }
    server.kill();
    for i in 3..10 {
        let (v, took) = timed(&e, store.clone(), i, T0 + i as i64);
        assert!(took <= budget + EPSILON, "check {i} took {took:?}");
        assert_eq!(v.action, Action::Allow);
        assert!(
            v.reasons.contains(Reason::StoreUnavailable),
            "check {i}: {}",
            v.reasons.joined()
        );
    }
    assert_eq!(store.breaker_state(), BreakerState::Open);
    let s = store.stats();
    assert!(s.breaker_open_skips.load(Ordering::Relaxed) >= 4, "{s:?}");
    assert_eq!(
        s.errors.load(Ordering::Relaxed) + s.timeouts.load(Ordering::Relaxed),
        3,
        "{s:?}"
    );
    // An open breaker costs (almost) nothing.
    let start = Instant::now();
    for i in 0..1000 {
        assert_eq!(
            store.apply(&Default::default()).ok(),
            Some(Default::default())
        );
        let _ = timed(&e, store.clone(), 100 + i, T0 + 100);
    }
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "1000 skipped checks took {:?}",
        start.elapsed()
    );
}

#[test]
fn hung_store_never_holds_a_caller_longer_than_the_budget() {
    let server = RedisServer::start();
    let budget = Duration::from_millis(40);
    let store = Arc::new(RedisStore::new(settings(&server.url(), 40, 1000, 60_000)).unwrap());
    store.connect().unwrap();
    let e = engine();
    assert!(!timed(&e, store.clone(), 0, T0).0.degraded());
    server.pause();
    for i in 1..8 {
        let (v, took) = timed(&e, store.clone(), i, T0 + i as i64);
        assert!(
            took <= budget + EPSILON,
            "check {i} took {took:?} against a stopped server"
        );
        assert!(v.reasons.contains(Reason::StoreUnavailable));
    }
    assert!(store.stats().timeouts.load(Ordering::Relaxed) >= 1);
    server.resume();
    // Detection resumes on its own: a new connection, the windows still there.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last = None;
    let mut i = 20;
    while Instant::now() < deadline {
        let (v, _) = timed(&e, store.clone(), i, T0 + 10);
        i += 1;
        if !v.degraded() {
            last = Some(v);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let v = last.expect("detection did not resume after SIGCONT");
    assert!(
        v.count(Reason::DistinctCallers) >= 2,
        "the window kept caller 0: {}",
        v.count(Reason::DistinctCallers)
    );
}

#[test]
fn async_store_fails_open_within_budget_on_a_hung_and_a_dead_server() {
    let mut server = RedisServer::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let budget = Duration::from_millis(40);
        let store = AsyncRedisStore::new(settings(&server.url(), 40, 4, 300)).unwrap();
        let e = engine();
        let check = |i: usize, t: i64| {
            let p = e
                .prepare(&Call::new(&format!("c{i}"), &caller(i), B).at(t))
                .unwrap();
            let store = &store;
            let e = &e;
            async move {
                let start = Instant::now();
                let ans = store.apply(&p.request).await;
                let took = start.elapsed();
                (e.conclude(p, ans), took)
            }
        };
        for i in 0..2 {
            assert!(!check(i, T0 + i as i64).await.0.degraded());
        }
        server.pause();
        for i in 2..8 {
            let (v, took) = check(i, T0 + i as i64).await;
            assert!(took <= budget + EPSILON, "async check {i} took {took:?}");
            assert!(v.reasons.contains(Reason::StoreUnavailable));
        }
        assert_eq!(store.breaker_state(), BreakerState::Open);
        server.resume();
        server.kill();
        for i in 8..12 {
            let (v, took) = check(i, T0 + i as i64).await;
            assert!(took <= budget + EPSILON, "async check {i} took {took:?}");
            assert!(v.reasons.contains(Reason::StoreUnavailable));
        }
        server.restart();
        // Back on the same port: after the breaker's cool-down a probe succeeds.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut ok = false;
        let mut i = 20;
        while Instant::now() < deadline {
            let (v, took) = check(i, T0 + 20).await;
            i += 1;
            assert!(took <= budget + EPSILON, "async check {i} took {took:?}");
            if !v.degraded() {
                ok = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            ok,
            "async detection did not resume after a restart: {:?}",
            store.stats()
        );
    });
}

#[test]
fn restarted_store_resumes_detection_without_restarting_us() {
    let mut server = RedisServer::start();
    let store = Arc::new(RedisStore::new(settings(&server.url(), 50, 2, 200)).unwrap());
    let e = engine();
    assert!(
        !timed(&e, store.clone(), 0, T0).0.degraded(),
        "lazy connect on first check"
    );
    server.kill();
    for i in 1..5 {
        assert!(timed(&e, store.clone(), i, T0).0.degraded());
    }
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut n = 0;
    while Instant::now() < deadline {
        if !timed(&e, store.clone(), 50, T0 + 1000).0.degraded() {
            break;
        }
        n += 1;
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(
        Instant::now() < deadline,
        "did not resume after {n} tries: {:?}",
        store.stats()
    );
    // The restarted server has an empty script cache and empty windows: an attack is caught.
    let mut last = None;
    for i in 0..5 {
        last = Some(timed(&e, store.clone(), 60 + i, T0 + 2000 + i as i64).0);
    }
    let v = last.unwrap();
    assert_eq!(v.action, Action::Block, "{}", v.reasons.joined());
    assert!(store.stats().reconnects.load(Ordering::Relaxed) >= 2);
}

#[test]
fn script_flush_mid_attack_is_transparent() {
    let server = RedisServer::start();
    let store = Arc::new(RedisStore::new(settings(&server.url(), 2000, 5, 1000)).unwrap());
    let e = engine();
    for i in 0..3 {
        assert!(!timed(&e, store.clone(), i, T0 + i as i64).0.degraded());
    }
    assert_eq!(server.cmd(&["SCRIPT", "FLUSH"]).text(), "OK");
    assert!(!timed(&e, store.clone(), 3, T0 + 3).0.degraded());
    server.cmd(&["SCRIPT", "FLUSH"]);
    let (v, _) = timed(&e, store.clone(), 4, T0 + 4);
    assert_eq!(v.action, Action::Block);
    assert_eq!(v.count(Reason::DistinctCallers), 5);
    assert_eq!(v.new_alerts.len(), 1);
    assert_eq!(
        v.new_alerts[0].evidence.len(),
        5,
        "each call applied exactly once"
    );
    assert!(store.stats().script_reloads.load(Ordering::Relaxed) >= 2);
}

#[test]
fn script_flush_on_every_cluster_node_is_transparent_and_applies_once() {
    let cluster = RedisCluster::start(3);
    let mut s = RedisSettings::cluster(&cluster.urls());
    s.budget = Duration::from_secs(3);
    let store = Arc::new(RedisStore::new(s.clone()).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    s.key_prefix = "async".into();
    let astore = {
        let _g = rt.enter();
        AsyncRedisStore::new(s).unwrap()
    };
    let e = engine();
    let ea = engine();
    let flush = || {
        for n in cluster.nodes() {
            n.cmd(&["SCRIPT", "FLUSH"]);
        }
    };
    let mut last = None;
    let mut last_async = None;
    for i in 0..5 {
        flush();
        last = Some(timed(&e, store.clone(), i, T0 + i as i64).0);
        flush();
        let p = ea
            .prepare(&Call::new(&format!("c{i}"), &caller(i), B).at(T0 + i as i64))
            .unwrap();
        let ans = rt.block_on(astore.apply(&p.request));
        last_async = Some(ea.conclude(p, ans));
    }
    for v in [last.unwrap(), last_async.unwrap()] {
        assert!(!v.degraded(), "{}", v.reasons.joined());
        assert_eq!(v.action, Action::Block);
        assert_eq!(v.new_alerts.len(), 1);
        assert_eq!(
            v.new_alerts[0].evidence.len(),
            5,
            "each call applied exactly once"
        );
    }
    assert!(store.stats().script_reloads.load(Ordering::Relaxed) >= 1);
}

#[test]
fn shared_lists_change_versions_and_reach_the_engine() {
    let server = RedisServer::start();
    let store = Arc::new(RedisStore::new(RedisSettings::single(&server.url())).unwrap());
    assert_eq!(store.lists_version().unwrap(), 0);
    let (added, v1) = store
        .list_add(
            SharedList::DenyANumbers,
            &["+2348030000001".into(), "+234701*".into()],
        )
        .unwrap();
    assert_eq!((added, v1), (2, 1));
    let (added, v) = store
        .list_add(SharedList::DenyANumbers, &["+2348030000001".into()])
        .unwrap();
    assert_eq!((added, v), (0, 1), "no change, no new version");
    assert!(matches!(
        store.list_add(SharedList::AllowSources, &["nonsense".into()]),
        Err(StoreError::Protocol(_))
    ));
    store
        .list_add(SharedList::AllowBNumbers, &[B.into()])
        .unwrap();
    let (version, lists) = store.list_snapshot().unwrap();
    assert_eq!(version, 2);
    assert_eq!(lists.deny_a_numbers, vec!["+234701*", "+2348030000001"]);
    assert_eq!(lists.allow_b_numbers, vec![B]);

    // A node follows the version and swaps its lists in; the hot path stays local.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let astore = {
        let _g = rt.enter();
        Arc::new(AsyncRedisStore::new(RedisSettings::single(&server.url())).unwrap())
    };
    let e = engine();
    let file = ListsConfig {
        deny_trunks: vec!["GREY".into()],
        ..Default::default()
    };
    let follower = acm::node::lists::ListsFollower::start(
        Arc::new(RedisStore::new(RedisSettings::single(&server.url())).unwrap()),
        e.clone(),
        file,
        Duration::from_millis(50),
    )
    .unwrap();
    let mem: Arc<dyn Store> = Arc::new(acm::store::MemoryStore::new(Default::default()));
    let detector = Detector::new(e.clone(), mem);
    let denied = |n: &str| {
        detector
            .check_now(&Call::new("x", n, "+2348011111111").at(T0))
            .unwrap()
            .reasons
            .contains(Reason::Denylist)
    };
    assert!(support::wait_until(Duration::from_secs(5), || denied(
        "+2347011234567"
    )));
    assert!(denied("+2348030000001"));
    let mut c = Call::new("y", "+2348030000009", "+2348011111111").at(T0);
    c.trunk = Some("GREY".into());
    assert_eq!(
        detector.check_now(&c).unwrap().action,
        Action::Block,
        "file lists are kept"
    );
    let (removed, v3) = rt
        .block_on(astore.list_remove(SharedList::DenyANumbers, &["+234701*".into()]))
        .unwrap();
    assert_eq!((removed, v3), (1, 3));
    assert!(support::wait_until(Duration::from_secs(5), || !denied(
        "+2347011234567"
    )));
    follower.stop();
}

/// A store restarted while a connection sat idle: the next check finds the
/// connection dead, reconnects and answers normally (no degraded verdict).
#[test]
fn an_idle_connection_to_a_restarted_store_is_replaced_within_the_check() {
    use acm::store::redis::{RedisSettings, RedisStore};
    let mut redis = support::RedisServer::start();
    let store = Arc::new(RedisStore::new(RedisSettings::single(&redis.url())).unwrap());
    store.connect().unwrap();
    let cfg = acm::config::Config::default();
    let engine =
        acm::engine::Engine::from_config(&cfg, std::sync::Arc::new(acm::clock::SystemClock))
            .unwrap();
    let call = |id: &str| {
        acm::engine::Call::new(id, "+2348031234567", "+2348099999999").at(1_700_000_000_000)
    };
    let detector = acm::detector::Detector::new(std::sync::Arc::new(engine), store.clone());
    let v = detector.check_now(&call("before")).unwrap();
    assert!(!v.degraded(), "{v:?}");
    redis.kill();
    redis.restart();
    let v = detector.check_now(&call("after")).unwrap();
    assert!(
        !v.degraded(),
        "the first check after the restart was degraded: {:?}",
        v.reasons.joined()
    );
    assert_eq!(
        v.count(Reason::DistinctCallers),
        1,
        "the window starts empty on the new server"
    );
}
