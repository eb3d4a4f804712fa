// SPDX-License-Identifier: MIT OR Apache-2.0
//! Per-process state behind the C ABI.
//!
//! `LOADED` holds the validated config (set before fork, inherited by the
//! workers). `RUNTIME` holds this process's engine and store; a fork handler
//! empties it in every child so a worker never uses its parent's connections
//! or threads, and the worker then builds its own.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Once};

use arc_swap::ArcSwapOption;
use parking_lot::Mutex;

use crate::clock::SystemClock;
use crate::config::{Config, Face, StoreKind};
use crate::engine::{Call, EngineConfig, Reason, Verdict};
use crate::node::Node;
use crate::store::{self, Client, ShmStore};

struct Loaded {
    path: Option<PathBuf>,
    config: Config,
    /// The shared-memory store, made here before the fork and used by every
    /// process forked after (the store kind `auto` resolves to it).
    shared: Option<Arc<ShmStore>>,
}

static LOADED: Mutex<Option<Loaded>> = Mutex::new(None);
static RUNTIME: ArcSwapOption<ProcessRuntime> = ArcSwapOption::const_empty();
static FORK_HANDLER: Once = Once::new();
/// The process that read the config (Kamailio's main, before it forks its workers).
static LOADED_BY_PID: AtomicU32 = AtomicU32::new(0);

/// The detection of one process.
pub struct ProcessRuntime {
    pub pid: u32,
    pub rank: i32,
    pub node: Node,
}

extern "C" fn forget_runtime_in_child() {
    // Threads and sockets of the parent do not exist here: leak, never drop.
    if let Some(old) = RUNTIME.swap(None) {
        std::mem::forget(old);
    }
}

fn read(path: &Option<PathBuf>) -> Result<Config, String> {
    Config::load(path.as_deref()).map_err(|e| match path {
        Some(p) => format!("{}: {e}", p.display()),
        None => e.to_string(),
    })
}

/// Reads the config with the store kind resolved for this face (`auto` is
/// the shared-memory store in a switch's workers).
fn read_resolved(path: &Option<PathBuf>) -> Result<Config, String> {
    let mut config = read(path)?;
    config.store.kind = config.store.kind.resolve(Face::Module);
    Ok(config)
}

/// Reads and validates the config and, for the shared-memory store, makes
/// its region (before the fork, so every worker shares it); starts no thread.
pub fn load_config(path: Option<PathBuf>) -> Result<(), String> {
    let config = read_resolved(&path)?;
    EngineConfig::from_config(&config).map_err(|e| e.to_string())?;
    let shared = match config.store.kind {
        StoreKind::Shm => Some(Arc::new(
            ShmStore::new(store::shm_config(&config))
                .map_err(|e| format!("store.max_keys = {}: {e}", config.store.max_keys))?,
        )),
        _ => None,
    };
    FORK_HANDLER.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(forget_runtime_in_child));
    });
    *LOADED.lock() = Some(Loaded {
        path,
        config,
        shared,
    });
    LOADED_BY_PID.store(std::process::id(), Ordering::Relaxed);
    Ok(())
}

/// Whether this process is the one that read the config, not a child forked after.
pub fn is_loading_process() -> bool {
    LOADED_BY_PID.load(Ordering::Relaxed) == std::process::id()
}

/// Builds this process's detection (idempotent).
pub fn start_process(rank: i32) -> Result<(), String> {
    if RUNTIME.load().is_some() {
        return Ok(());
    }
    let (config, shared) = match LOADED.lock().as_ref() {
        Some(l) => (l.config.clone(), l.shared.clone()),
        None => return Err("acm_init was not called (or failed)".into()),
    };
    // Threads started here block the exit signals: the switch's own thread receives them
    // (see `exit_flush`).
    let node = super::exit_flush::with_exit_signals_blocked(|| match shared {
        Some(store) => Node::start_on(&config, store, Arc::new(SystemClock), Vec::new()),
        None => Node::start(&config, Arc::new(SystemClock), Client::Blocking, Vec::new()),
    })?;
    RUNTIME.store(Some(Arc::new(ProcessRuntime {
        pid: std::process::id(),
        rank,
        node,
    })));
    Ok(())
}

fn runtime() -> Option<Arc<ProcessRuntime>> {
    if let Some(rt) = RUNTIME.load_full() {
        return Some(rt);
    }
    // A process that never ran child_init (e.g. a timer process) starts on
    // its first check.
    start_process(-1).ok()?;
    RUNTIME.load_full()
}

/// A fail-open verdict, counted when the process has an engine.
pub fn fail_open(reason: Reason) -> Verdict {
    match RUNTIME.load_full() {
        Some(rt) => rt
            .node
            .detector
            .fail_open(reason, None, std::time::Instant::now()),
        None => Verdict::fail_open(reason, 0),
    }
}

/// Judges a call and queues its event; `started` is when the C call began,
/// so the recorded time covers the whole check.
pub fn check(call: &Call, started: std::time::Instant) -> Verdict {
    let Some(rt) = runtime() else {
        return Verdict::fail_open(Reason::NotInitialised, 0);
    };
    match rt.node.detector.check_now_since(call, started) {
        Ok(v) => v,
        Err(_) => fail_open(Reason::BadInput),
    }
}

/// Re-reads the config file; on success swaps the rules of this process.
/// Store settings take effect at the next start.
pub fn reload() -> Result<(), String> {
    let (path, shared) = match LOADED.lock().as_ref() {
        Some(l) => (l.path.clone(), l.shared.clone()),
        None => return Err("acm_init was not called (or failed)".into()),
    };
    let config = read_resolved(&path)?;
    EngineConfig::from_config(&config).map_err(|e| e.to_string())?;
    if let Some(rt) = RUNTIME.load_full() {
        rt.node.reload(&config)?;
    }
    // The store (and its windows) stays: store settings take effect at the next start.
    *LOADED.lock() = Some(Loaded {
        path,
        config,
        shared,
    });
    Ok(())
}

/// Flushes this process's queued events (bounded wait) and drops its state.
pub fn shutdown() {
    if let Some(rt) = RUNTIME.swap(None) {
        rt.node.shutdown(std::time::Duration::from_secs(5));
    }
}

/// Whether this process has a runtime whose events go to ClickHouse.
pub fn has_pipeline() -> bool {
    RUNTIME
        .load()
        .as_ref()
        .is_some_and(|rt| rt.node.has_pipeline())
}

/// Flushes this process's queued events before it exits (see `exit_flush`). The runtime
/// stays in place: a check racing in is still answered, its event counted as dropped.
pub fn flush_for_exit(budget: std::time::Duration) {
    let Some(rt) = RUNTIME.load_full() else {
        return;
    };
    if let Some(s) = rt.node.shutdown(budget) {
        eprintln!(
            "acm: pid {} exits with its queue flushed (in its lifetime: {} calls and {} alerts inserted, {} batches spooled, {} events dropped)",
            std::process::id(),
            s.inserted_calls,
            s.inserted_alerts,
            s.spooled,
            s.dropped_closed + s.dropped_spool_full + s.dropped_spool_error + s.dropped_queue_full
        );
    }
}

/// What the switch should log at start, after `load_config`: which store
/// the workers use and its bound, and warnings. `workers` is how many
/// processes will check calls (0: unknown). Each line is (warning?, text).
pub fn start_notes(workers: i32) -> Result<Vec<(bool, String)>, String> {
    let loaded = LOADED.lock();
    let Some(l) = loaded.as_ref() else {
        return Err("acm_init was not called (or failed)".into());
    };
    let mut notes = Vec::new();
    match (&l.shared, l.config.store.kind) {
        (Some(shm), _) => notes.push((false, shm.describe())),
        (None, StoreKind::Memory) if workers > 1 => notes.push((
            true,
            format!(
                "store.kind = \"memory\" keeps one set of windows per process, and {workers} \
                 worker processes check calls: an attack whose calls land on different workers \
                 is counted apart, up to {workers} times thinner (the fifth distinct caller may \
                 pass). Remove store.kind (the default shares one set in shared memory) or use \
                 kind = \"redis\"."
            ),
        )),
        (None, StoreKind::Memory) => notes.push((
            false,
            format!(
                "memory store: windows kept per process (max_keys {})",
                l.config.store.max_keys
            ),
        )),
        (None, kind) => notes.push((
            false,
            format!(
                "{} store at {}: windows shared by every worker and node",
                kind.as_str(),
                l.config.store.seed_urls().join(", ")
            ),
        )),
    }
    Ok(notes)
}

/// This process's counters as JSON.
pub fn stats_json() -> String {
    use crate::engine::Action;
    let rt = RUNTIME.load_full();
    let mut v = serde_json::json!({
        "pid": std::process::id(),
        "version": env!("CARGO_PKG_VERSION"),
        "initialised": rt.is_some(),
        "config_loaded": LOADED.lock().is_some(),
    });
    if let Some(rt) = rt {
        let s = rt.node.engine().stats().snapshot();
        let store = rt.node.detector.store();
        v["rank"] = rt.rank.into();
        v["store"] = store.name().into();
        v["checks"] = s.checks.into();
        v["bad_input"] = s.bad_input.into();
        v["store_errors"] = s.store_errors.into();
        v["actions"] = serde_json::json!({
            "allow": s.action(Action::Allow),
            "flag": s.action(Action::Flag),
            "block": s.action(Action::Block),
        });
        let reasons: serde_json::Map<String, serde_json::Value> = Reason::ALL
            .iter()
            .map(|r| (r.code().to_string(), s.reason(*r).into()))
            .collect();
        v["reasons"] = reasons.into();
        // Per window rule: alerts raised, and alerts held back and withdrawn.
        let by_rule = |count: &dyn Fn(Reason) -> u64| -> serde_json::Value {
            crate::engine::rules::RULES
                .iter()
                .filter(|d| !d.reason.tag().is_empty())
                .map(|d| (d.reason.code().to_string(), count(d.reason).into()))
                .collect::<serde_json::Map<String, serde_json::Value>>()
                .into()
        };
        v["alerts"] = by_rule(&|r| s.alerts(r));
        v["alerts_withdrawn"] = by_rule(&|r| s.withdrawn(r));
        let mut st = serde_json::Map::new();
        for m in store.metrics() {
            let name = match m.label {
                Some((_, value)) => format!("{}_{value}", m.name),
                None => m.name.to_string(),
            };
            st.insert(name, m.value.into());
        }
        v["store_metrics"] = st.into();
        let p = rt.node.events.sink().stats();
        let pipeline: serde_json::Map<String, serde_json::Value> = p
            .fields()
            .iter()
            .map(|(name, _, value)| (name.to_string(), (*value).into()))
            .collect();
        v["events"] = pipeline.into();
        let lanes: serde_json::Map<String, serde_json::Value> = rt
            .node
            .lane_stats()
            .into_iter()
            .map(|l| {
                let name = l
                    .name
                    .strip_prefix("webhook ")
                    .unwrap_or(&l.name)
                    .to_string();
                (name, serde_json::to_value(&l).unwrap_or_default())
            })
            .collect();
        v["webhooks"] = lanes.into();
        v["check_us"] = super::latency::json();
    }
    v.to_string()
}
