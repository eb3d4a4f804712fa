// SPDX-License-Identifier: MIT OR Apache-2.0
//! The shared-memory store across real processes, as Kamailio uses it: the
//! region is made here, then worker processes are forked and check calls on
//! it, each through its own engine and Detector.
//!
//! - In turn: six processes check interleaved random traffic, one call at a
//!   time in whatever order they reach a turnstile (event time moving on with
//!   the turns); replaying the calls in that order on the embedded store (the
//!   single-process model) gives the very same verdicts — counts, alerts,
//!   their ids and evidence, auto-blocks. (Late events are the store suite's
//!   business, on one process.)
//! - At once: six processes hammer overlapping keys with no turnstile (the
//!   store's own locks are all that orders them); the windows then hold
//!   exactly what the model says the same calls leave, whatever the order,
//!   and no two alerts of one window fall inside one cooldown.
//! - A process killed holding a shard's lock: the checks that shard serves
//!   fail open at once (`store_unavailable`, never a count from half-updated
//!   state), a process waiting on a live holder gives up within the budget,
//!   the other shards keep working, and a new region (Kamailio's restart)
//!   judges the seed attack right.
//!
//! Children are forked from this test and leave with `_exit`; the tests of
//! this file run one at a time (forking while another test thread holds a
//! lock would leave that lock held in the child).

use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acm::clock::ManualClock;
use acm::config::Config;
use acm::contract::{Evidence, Reason as R, WindowOp};
use acm::detector::Detector;
use acm::engine::{Action, Call, Engine, Reason, Verdict};
use acm::store::{
    AlertState, MemoryStore, MemoryStoreConfig, ShmStore, Store, StoreRequest, WindowStore,
};

const T0: i64 = 1_700_000_000_000;
const WORKERS: usize = 6;

static SERIAL: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// Runs `f` in a forked child; answers its pid. The child exits 0 when `f`
/// succeeds, 1 with the message on stderr when it fails, 2 on a panic.
fn fork(f: impl FnOnce() -> Result<(), String>) -> libc::pid_t {
    // SAFETY: the child only runs `f` and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = match std::panic::catch_unwind(AssertUnwindSafe(f)) {
            Ok(Ok(())) => 0,
            Ok(Err(e)) => {
                eprintln!("child {}: {e}", std::process::id());
                1
            }
            Err(_) => 2,
        };
        // SAFETY: leaves the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    pid
}

/// Waits for `pid`; answers its exit code (or 128 + signal).
fn wait(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    // SAFETY: our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    }
}

/// A page shared with the children forked after it is made.
struct SharedPage(*mut u8);

impl SharedPage {
    fn new() -> SharedPage {
        // SAFETY: a fresh anonymous shared mapping of one page.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        SharedPage(p as *mut u8)
    }

    /// The n-th 64-byte slot as an atomic u32.
    fn word(&self, n: usize) -> &AtomicU32 {
        // SAFETY: inside the page, aligned; zeroed memory is a valid atomic.
        unsafe { &*(self.0.add(n * 64) as *const AtomicU32) }
    }

    fn counter(&self, n: usize) -> &AtomicU64 {
        // SAFETY: as above.
        unsafe { &*(self.0.add(n * 64) as *const AtomicU64) }
    }
}

impl Drop for SharedPage {
    fn drop(&mut self) {
        // SAFETY: unmaps what `new` mapped.
        unsafe { libc::munmap(self.0 as *mut libc::c_void, 4096) };
    }
}

/// A spin lock across processes, for the test's turnstile only.
fn turnstile<T>(lock: &AtomicU32, f: impl FnOnce() -> T) -> T {
    while lock
        .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        std::thread::yield_now();
    }
    let r = f();
    lock.store(0, Ordering::Release);
    r
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Random traffic over a few B-numbers, callers and sources: repeat
/// callers, repeated call ids, alerts, cooldowns, auto-blocks.
fn random_calls(seed: u64, n: usize) -> Vec<Call> {
    let mut rng = Rng(seed);
    let mut now = T0;
    (0..n)
        .map(|i| {
            now += rng.below(800) as i64;
            let t = if rng.below(8) == 0 {
                now - rng.below(7_000) as i64
            } else {
                now
            };
            let b = format!("+23480999999{:02}", rng.below(4));
            let a = format!("+23480300000{:02}", rng.below(16));
            let id = if rng.below(10) == 0 && i > 0 {
                format!("r{}", rng.below(i as u64))
            } else {
                format!("r{i}")
            };
            let mut c = Call::new(&id, &a, &b).at(t);
            if rng.below(4) != 0 {
                c.source_ip = Some(format!("198.51.100.{}", rng.below(3)).parse().unwrap());
            }
            c
        })
        .collect()
}

/// A call as checked at turn `seq`: event time moves on with the turns, as
/// a switch's clock does. (Both stores reclaim a window `LATE_MS` after it
/// has expired as of the event time of the call creating another window; a
/// call later than that could find it gone in either store, but at moments
/// that depend on each store's hash seed: not comparable.)
fn at_turn(c: &Call, seq: u64) -> Call {
    c.clone().at(T0 + seq as i64 * 350)
}

/// Every window rule on, two of them learning their keys' levels.
const TOML: &str = "[alerts]\ncooldown_ms = 20000\n\
    [auto_block]\nenabled = true\nduration_ms = 15000\n\
    [learning]\nwarmup_ms = 0\n\
    [rules.cli_velocity]\naction = \"flag\"\nthreshold = 4\nwindow_ms = 20000\n\
    [rules.cli_rotation]\naction = \"flag\"\nthreshold = 4\nwindow_ms = 10000\n\
    [rules.cli_rotation.learn]\ninterval_ms = 2000\n\
    [rules.cli_fanout]\nthreshold = 4\nwindow_ms = 30000\n\
    [rules.cli_fanout.learn]\ninterval_ms = 5000\n\
    [store]\nmax_keys = 8192\n";

fn detector(cfg: &Config, store: Arc<dyn Store>) -> Detector {
    let engine = Engine::from_config(cfg, Arc::new(ManualClock::new(T0))).unwrap();
    Detector::new(Arc::new(engine), store)
}

fn shm_store(cfg: &Config) -> Arc<ShmStore> {
    Arc::new(ShmStore::new(acm::store::shm_config(cfg)).unwrap())
}

#[test]
fn forked_workers_in_turn_give_the_single_process_verdicts() {
    let _serial = SERIAL.lock();
    let cfg = Config::from_toml(TOML).unwrap();
    let calls = random_calls(0x5eed_1234, 3_000);
    let store = shm_store(&cfg);
    let page = SharedPage::new();
    let dir = tempfile::tempdir().unwrap();
    let pids: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (cfg, calls, store, page) = (&cfg, &calls, store.clone(), &page);
            let out = dir.path().join(format!("worker-{w}.txt"));
            fork(move || {
                // Each worker builds its own engine and Detector after the
                // fork, as acm_child_init does; only the region is shared.
                let det = detector(cfg, store);
                let mut lines = String::new();
                for i in (w..calls.len()).step_by(WORKERS) {
                    let (seq, v) = turnstile(page.word(0), || {
                        let seq = page.counter(1).fetch_add(1, Ordering::Relaxed);
                        (seq, det.check_now(&at_turn(&calls[i], seq)))
                    });
                    // Give the others a chance at the turnstile.
                    std::thread::yield_now();
                    let v = v.map_err(|e| format!("call {i}: {e}"))?;
                    lines.push_str(&format!("{seq}\t{i}\t{v:?}\n"));
                }
                std::fs::write(&out, lines).map_err(|e| e.to_string())
            })
        })
        .collect();
    for pid in pids {
        assert_eq!(wait(pid), 0, "a worker failed");
    }
    // The order the workers went through the turnstile, and their verdicts.
    let mut seen: Vec<(u64, usize, String)> = Vec::new();
    for w in 0..WORKERS {
        let text = std::fs::read_to_string(dir.path().join(format!("worker-{w}.txt"))).unwrap();
        for l in text.lines() {
            let mut f = l.splitn(3, '\t');
            let seq = f.next().unwrap().parse().unwrap();
            let i = f.next().unwrap().parse().unwrap();
            seen.push((seq, i, f.next().unwrap().to_string()));
        }
    }
    seen.sort();
    assert_eq!(seen.len(), calls.len());
    let interleaved = seen
        .windows(2)
        .filter(|p| p[0].1 % WORKERS != p[1].1 % WORKERS)
        .count();
    eprintln!(
        "{interleaved} switches between workers in {} turns",
        seen.len()
    );
    assert!(
        interleaved > 300,
        "the workers took turns ({interleaved} switches)"
    );
    // The single-process model: the same calls in the same order.
    let model = detector(
        &cfg,
        Arc::new(MemoryStore::new(MemoryStoreConfig::from(&cfg.store))),
    );
    let (mut alerts, mut blocks, mut learned) = (0, 0, 0);
    for (seq, i, got) in &seen {
        let want = model.check_now(&at_turn(&calls[*i], *seq)).unwrap();
        assert_eq!(got, &format!("{want:?}"), "call {i} (turn {seq})");
        alerts += want.new_alerts.len();
        blocks += want.reasons.contains(Reason::AutoBlock) as usize;
        learned += want
            .new_alerts
            .iter()
            .filter(|a| {
                matches!(a.rule, Reason::CliRotation | Reason::CliFanout) && a.threshold > 4
            })
            .count();
    }
    eprintln!("{alerts} alerts ({learned} against a learned threshold), {blocks} auto-blocks");
    assert!(learned > 0, "no alert was judged against a learned level");
    assert!(
        alerts > 10 && blocks > 10,
        "{alerts} alerts, {blocks} auto-blocks"
    );
}

#[test]
fn forked_workers_at_once_leave_what_the_model_says() {
    let _serial = SERIAL.lock();
    const KEYS: u64 = 12;
    const CALLERS: u64 = 60;
    const WINDOW: i64 = 20_000;
    const COOLDOWN: i64 = 3_000;
    const OPS: usize = 24_000;
    let store = Arc::new(
        ShmStore::new(acm::store::ShmStoreConfig {
            max_keys: 4096,
            max_members_per_key: 10_000,
            budget: Duration::from_secs(5),
        })
        .unwrap(),
    );
    // Op i: a caller to a key at T0 + 5 i (every time unique). The workers
    // take interleaved ops and run at once, so each key sees its calls out
    // of time order (late events) at the mercy of the scheduler.
    let op = |i: usize| -> WindowOp {
        let mut rng = Rng(0x9e37_79b9 ^ ((i as u64 + 1) * 0x2545_f491));
        let key = rng.below(KEYS);
        let member = rng.below(CALLERS);
        WindowOp {
            rule: R::DistinctCallers,
            key: format!("+2348077{key:06}").into(),
            member: format!("+2348031{member:06}").into(),
            time_ms: T0 + 5 * i as i64,
            window_ms: WINDOW,
            threshold: 20,
            cooldown_ms: COOLDOWN as u32,
            member_cap: 10_000,
            learn: None,
            count_only: false,
            called: None,
            repeats: None,
            span: false,
            recent_ms: 0,
            spell: None,
        }
    };
    let request = |o: WindowOp| StoreRequest {
        evidence: Evidence {
            time_ms: o.time_ms,
            call_id: format!("c{}", o.time_ms).into(),
            a_number: o.member.clone(),
            b_number: o.key.clone(),
            source: "".into(),
        },
        windows: smallvec::smallvec![o],
        called: None,
        block_lookup: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let pids: Vec<_> = (0..WORKERS)
        .map(|w| {
            let store = store.clone();
            let out = dir.path().join(format!("raised-{w}.txt"));
            fork(move || {
                let mut raised = String::new();
                for i in (w..OPS).step_by(WORKERS) {
                    let o = op(i);
                    let a = store
                        .apply(&request(o.clone()))
                        .map_err(|e| e.to_string())?;
                    let x = &a.windows[0];
                    if !x.tracked || x.count == 0 || x.count > CALLERS as u32 {
                        return Err(format!("op {i}: {x:?}"));
                    }
                    if let AlertState::Raised(id) = &x.alert {
                        if x.evidence.is_empty() {
                            return Err(format!("op {i}: an alert without evidence"));
                        }
                        raised.push_str(&format!("{}\t{}\t{id}\n", o.key, o.time_ms));
                    }
                }
                std::fs::write(&out, raised).map_err(|e| e.to_string())
            })
        })
        .collect();
    for pid in pids {
        assert_eq!(wait(pid), 0, "a worker failed");
    }
    let took = started.elapsed();
    // What every key holds now: the callers whose latest call lies within
    // the window before the last call, whatever order the calls came in.
    let end = T0 + 5 * OPS as i64;
    let mut latest: std::collections::HashMap<(String, String), i64> = Default::default();
    for i in 0..OPS {
        let o = op(i);
        let t = latest
            .entry((o.key.to_string(), o.member.to_string()))
            .or_insert(i64::MIN);
        *t = (*t).max(o.time_ms);
    }
    for key in 0..KEYS {
        let key = format!("+2348077{key:06}");
        let want = latest
            .iter()
            .filter(|((k, _), &t)| *k == key && t > end - WINDOW)
            .count() as u32;
        let mut probe = op(0);
        probe.key = key.as_str().into();
        probe.member = "probe".into();
        probe.time_ms = end;
        probe.threshold = u32::MAX;
        let a = store.apply(&request(probe)).unwrap();
        assert_eq!(a.windows[0].count, want + 1, "key {key}");
    }
    // Alerts: unique ids; per key, raised at least a cooldown apart.
    let mut raised: Vec<(String, i64, String)> = Vec::new();
    for w in 0..WORKERS {
        let text = std::fs::read_to_string(dir.path().join(format!("raised-{w}.txt"))).unwrap();
        for l in text.lines() {
            let f: Vec<&str> = l.split('\t').collect();
            raised.push((f[0].into(), f[1].parse().unwrap(), f[2].into()));
        }
    }
    raised.sort();
    assert!(raised.len() > KEYS as usize, "{} alerts", raised.len());
    let ids: std::collections::HashSet<&str> = raised.iter().map(|r| r.2.as_str()).collect();
    assert_eq!(ids.len(), raised.len(), "alert ids are unique");
    for p in raised.windows(2) {
        if p[0].0 == p[1].0 {
            assert!(
                p[1].1 - p[0].1 >= COOLDOWN,
                "two alerts in one cooldown: {p:?}"
            );
        }
    }
    let metrics = WindowStore::metrics(&*store);
    let metric = |n: &str| metrics.iter().find(|m| m.name == n).unwrap().value;
    assert_eq!(metric("lock_timeouts"), 0);
    assert_eq!(metric("untracked"), 0);
    eprintln!("{OPS} updates by {WORKERS} processes at once in {took:?}");
}

#[test]
fn a_worker_killed_holding_a_lock_never_leaves_a_wrong_verdict() {
    let _serial = SERIAL.lock();
    // The rules keyed on the caller off: every window of these calls is keyed
    // on the B-number, so which shard a call needs is known.
    let cfg = Config::from_toml(
        "[rules.cli_velocity]\naction = \"off\"\n[rules.cli_fanout]\naction = \"off\"\n\
         [store]\nmax_keys = 8192\nbudget_ms = 200\n",
    )
    .unwrap();
    let store = shm_store(&cfg);
    let victim = "+2348099999999";
    let seed = |det: &Detector, prefix: &str| -> Vec<Verdict> {
        (0..6)
            .map(|i| {
                let c = Call::new(
                    &format!("{prefix}{i}"),
                    &format!("+23480300000{i:02}"),
                    victim,
                )
                .at(T0 + i as i64 * 100);
                det.check_now(&c).unwrap()
            })
            .collect()
    };
    // A worker takes the lock of the victim's shard and is killed holding it.
    let page = SharedPage::new();
    let holder = {
        let (store, page) = (store.clone(), &page);
        fork(move || {
            store.hold_lock_of_key_forever(victim);
            page.word(0).store(1, Ordering::Release);
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };
    let t = Instant::now();
    while page.word(0).load(Ordering::Acquire) == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the holder did not start"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // While it lives, another worker gives up on that shard within the
    // budget: the call is allowed and says why.
    let waiter = {
        let (cfg, store) = (&cfg, store.clone());
        fork(move || {
            let det = detector(cfg, store);
            let t = Instant::now();
            let v = det
                .check_now(&Call::new("w1", "+2348030000001", victim).at(T0))
                .map_err(|e| e.to_string())?;
            if v.action != Action::Allow || !v.reasons.contains(Reason::StoreUnavailable) {
                return Err(format!("while held: {v:?}"));
            }
            if t.elapsed() > Duration::from_secs(2) {
                return Err(format!("waited {:?} past the 200 ms budget", t.elapsed()));
            }
            Ok(())
        })
    };
    assert_eq!(wait(waiter), 0, "the waiting worker");
    // SAFETY: our own child.
    unsafe { libc::kill(holder, libc::SIGKILL) };
    assert_eq!(wait(holder), 128 + libc::SIGKILL);

    // The holder is dead: its shard is lost. Every check it serves fails
    // open at once, in every process; the others are judged as before.
    let det = detector(&cfg, store.clone());
    let t = Instant::now();
    for v in seed(&det, "a") {
        assert_eq!(v.action, Action::Allow);
        assert!(v.reasons.contains(Reason::StoreUnavailable), "{v:?}");
        assert_eq!(v.count(Reason::DistinctCallers), 0);
    }
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "no wait on a dead holder"
    );
    let other = (0..100)
        .map(|i| format!("+23480555555{i:02}"))
        .find(|b| {
            let v = det
                .check_now(&Call::new("probe", "+2348030000099", b).at(T0))
                .unwrap();
            !v.degraded()
        })
        .expect("the other shards keep working");
    let later = fork({
        let (cfg, store, other) = (&cfg, store.clone(), other.clone());
        move || {
            let det = detector(cfg, store);
            let v = det
                .check_now(&Call::new("x", "+2348030000001", victim).at(T0))
                .map_err(|e| e.to_string())?;
            if !v.reasons.contains(Reason::StoreUnavailable) {
                return Err(format!("lost shard answered: {v:?}"));
            }
            let v = det
                .check_now(&Call::new("y", "+2348030000098", &other).at(T0 + 1))
                .map_err(|e| e.to_string())?;
            if v.degraded() || v.count(Reason::DistinctCallers) != 2 {
                return Err(format!("a live shard, seen from another process: {v:?}"));
            }
            Ok(())
        }
    });
    assert_eq!(wait(later), 0, "a worker forked after the death");
    let metrics = WindowStore::metrics(&*store);
    assert_eq!(
        metrics
            .iter()
            .find(|m| m.name == "lost_shards")
            .unwrap()
            .value,
        1
    );

    // Restart: a new region. The seed attack is judged from a clean slate.
    drop(det);
    let fresh = detector(&cfg, shm_store(&cfg));
    let v = seed(&fresh, "b");
    for (i, x) in v[..4].iter().enumerate() {
        assert_eq!(x.action, Action::Allow, "call {i}");
        assert_eq!(x.count(Reason::DistinctCallers), i as u32 + 1);
        assert!(!x.degraded());
    }
    assert_eq!(v[4].action, Action::Block);
    assert_eq!(v[4].new_alerts.len(), 1);
    assert_eq!(v[5].action, Action::Block);
}

#[test]
fn the_region_is_bounded_and_says_so() {
    let _serial = SERIAL.lock();
    let cfg = Config::from_toml("").unwrap();
    let store = shm_store(&cfg);
    let text = store.describe();
    eprintln!("{text}");
    assert!(
        text.contains("MiB") && text.contains("max_keys 1000000"),
        "{text}"
    );
    let bytes = WindowStore::metrics(&*store)
        .iter()
        .find(|m| m.name == "region_bytes")
        .unwrap()
        .value;
    assert_eq!(bytes, store.region_bytes() as u64);
    assert!(bytes < 600 << 20, "{bytes} bytes for a million keys");
    let _ = std::io::stderr().flush();
}

/// A full region fails open as the embedded store does: new keys are not
/// tracked (`store_capacity`, allowed), for every process alike, existing keys
/// keep counting, and once their windows have passed the keys are reclaimed
/// and tracking resumes. A window that cannot grow because the member arena is
/// full is answered untracked too, and counted apart.
#[test]
fn a_full_region_stops_tracking_new_keys_and_says_so() {
    let _serial = SERIAL.lock();
    let cfg = Config::from_toml("[store]\nmax_keys = 1024\nmax_members_per_key = 100\n").unwrap();
    let store = shm_store(&cfg);
    let det = detector(&cfg, store.clone());
    let fill = |det: &Detector, from: usize, n: usize, t: i64| -> usize {
        (from..from + n)
            .filter(|i| {
                let c = Call::new(
                    &format!("c{i}"),
                    &format!("+2348031{i:06}"),
                    &format!("+234803{i:07}"),
                )
                .at(t);
                let v = det.check_now(&c).unwrap();
                assert!(v.action == Action::Allow || !v.reasons.contains(Reason::StoreCapacity));
                v.reasons.contains(Reason::StoreCapacity)
            })
            .count()
    };
    let untracked = fill(&det, 0, 5_000, T0);
    assert!(untracked > 3_000, "{untracked}");
    let metric = |n: &str| {
        WindowStore::metrics(&*store)
            .iter()
            .find(|m| m.name == n)
            .unwrap()
            .value
    };
    assert!(metric("keys") <= 1024 + 64, "{} keys", metric("keys"));
    // Another worker sees the same full region; a key tracked before keeps counting.
    let child = fork({
        let (cfg, store) = (&cfg, store.clone());
        move || {
            let det = detector(cfg, store);
            let more = fill(&det, 10_000, 500, T0 + 1);
            if more < 400 {
                return Err(format!(
                    "only {more} of 500 new keys untracked in the full region"
                ));
            }
            let v = det
                .check_now(
                    &Call::new("again", "+2348039999998", &format!("+234803{:07}", 0)).at(T0 + 2),
                )
                .map_err(|e| e.to_string())?;
            // (The new caller's own windows are new keys: not tracked.)
            if v.count(Reason::DistinctCallers) != 2 {
                return Err(format!("an existing key: {v:?}"));
            }
            Ok(())
        }
    });
    assert_eq!(wait(child), 0);
    // The longest default window (cli_fanout, 10 minutes) has passed.
    let resumed = 200 - fill(&det, 20_000, 200, T0 + 720_000);
    assert!(resumed > 150, "{resumed}");
    assert!(metric("reclaimed") > 0);

    // The member arena: hot windows of 100 members (4 x a threshold of 25)
    // until no extent is left.
    let cfg = Config::from_toml(
        "[rules.distinct_callers]\nthreshold = 25\n[store]\nmax_keys = 1024\nmax_members_per_key = 100\n",
    )
    .unwrap();
    let store = shm_store(&cfg);
    let det = detector(&cfg, store.clone());
    let mut capacity = 0;
    for b in 0..150 {
        for a in 0..100 {
            let c = Call::new(
                &format!("h{b}-{a}"),
                &format!("+2348032{a:06}"),
                &format!("+2347{b:09}"),
            )
            .at(T0 + b as i64);
            let v = det.check_now(&c).unwrap();
            capacity += v.reasons.contains(Reason::StoreCapacity) as usize;
        }
    }
    let full = WindowStore::metrics(&*store)
        .iter()
        .find(|m| m.name == "member_pool_full")
        .unwrap()
        .value;
    assert!(
        full > 0 && capacity > 0,
        "{full} member_pool_full, {capacity} store_capacity"
    );
}
