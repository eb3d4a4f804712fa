//! Where sliding-window state lives.
//!
//! The engine turns a call into a [`StoreRequest`]: a few window operations
//! (one per rule that keeps a window) and an optional auto-block lookup. A store
//! applies the whole request in one step — one lock per window in memory, one
//! round trip to a Redis-protocol server — and answers with counts and alert
//! states. Every store gives the same answers for the same requests; the shared
//! rule suite (`tests/store_suite.rs`) holds them to it.
//!
//! Window semantics, identical in every store, per (rule, key):
//! - a member (an A-number, a call id) is remembered with the latest event time
//!   it was seen at; `hw` is the latest event time seen for the key;
//! - the window is the half-open interval `(hw - window_ms, hw]`: a member seen
//!   exactly `window_ms` before `hw` has left it;
//! - a late event is added with its own time and is dropped at once if it
//!   falls before the window;
//! - a window keeps at most `member_cap` members, the newest (by latest time;
//!   ties in arrival order): when one more arrives the oldest is dropped;
//! - `count` is the number of members in the window after the update;
//! - when `count >= threshold` an alert is raised unless one raised for the
//!   same rule and key is still in its cooldown (`raised_at + cooldown_ms`, in
//!   event time), in which case that alert is reported as active.

pub mod memory;
pub mod redis;

use compact_str::CompactString;
use smallvec::SmallVec;

use crate::engine::verdict::{Evidence, WindowRule};

pub use self::redis::{AsyncRedisStore, RedisSettings, RedisStore};
pub use memory::{MemoryStore, MemoryStoreConfig};

/// How many recent calls a window keeps as alert evidence.
pub const EVIDENCE_MAX: usize = 16;

/// One sliding-window update.
#[derive(Debug, Clone)]
pub struct WindowOp {
    pub rule: WindowRule,
    /// What the window is about: a B-number, an A-number, a source or trunk.
    pub key: CompactString,
    /// What is counted: an A-number, or a call id for velocity.
    pub member: CompactString,
    pub time_ms: i64,
    pub window_ms: i64,
    pub threshold: u32,
    pub cooldown_ms: i64,
    /// Most members the window keeps, newest first (`engine::member_cap`).
    pub member_cap: u32,
}

impl WindowOp {
    /// The id the alert gets if this update raises one:
    /// `<rule tag>-<event ms in hex>-<key hash>`. Deterministic, so a replayed
    /// attack gets the id the live one got, and two nodes racing agree.
    /// Formatted only when needed.
    pub fn alert_id(&self) -> CompactString {
        use std::fmt::Write;
        let mut s = CompactString::default();
        let hash = crate::engine::stable_hash(self.key.as_bytes()) as u32;
        let _ = write!(s, "{}-{:x}-{:08x}", self.rule.tag(), self.time_ms, hash);
        s
    }
}

/// An auto-block entry: calls from `number` are blocked until `until_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockEntry {
    pub number: CompactString,
    pub until_ms: i64,
    pub alert_id: CompactString,
}

/// Everything one call needs from the store.
#[derive(Debug, Clone, Default)]
pub struct StoreRequest {
    pub windows: SmallVec<[WindowOp; 4]>,
    /// What the windows remember about this call for alert evidence.
    pub evidence: Evidence,
    /// Look up an auto-block of this A-number at `time_ms`.
    pub block_lookup: Option<(CompactString, i64)>,
}

/// Whether a window update raised an alert.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AlertState {
    /// Below the threshold.
    #[default]
    None,
    /// This update raised the alert with this id.
    Raised(CompactString),
    /// Over the threshold, and this alert (raised earlier) is in its cooldown.
    Active(CompactString),
}

/// The answer to one [`WindowOp`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowOutcome {
    pub count: u32,
    /// False when the store had no room for a new key (see `max_keys`).
    pub tracked: bool,
    pub alert: AlertState,
    /// Filled when the alert was raised: recent calls inside the window, oldest first.
    pub evidence: Vec<Evidence>,
}

/// The answer to one [`StoreRequest`], window outcomes in request order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreAnswer {
    pub windows: SmallVec<[WindowOutcome; 4]>,
    pub blocked: Option<BlockEntry>,
}

/// Why a store could not answer. The engine then fails open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("store did not answer within its budget")]
    Timeout,
    #[error("store skipped: circuit breaker open after repeated failures")]
    BreakerOpen,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store answered something unexpected: {0}")]
    Protocol(String),
}

impl StoreError {
    /// Short label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Timeout => "timeout",
            StoreError::BreakerOpen => "breaker_open",
            StoreError::Unavailable(_) => "unavailable",
            StoreError::Protocol(_) => "protocol",
        }
    }
}

/// A synchronous window store (the embedded one, and the Redis client used
/// inside Kamailio workers).
pub trait WindowStore: Send + Sync {
    fn name(&self) -> &'static str;
    /// Applies every operation of one call and answers for each.
    fn apply(&self, req: &StoreRequest) -> Result<StoreAnswer, StoreError>;
    /// Records auto-blocks raised by an alert.
    fn add_blocks(&self, blocks: &[BlockEntry]) -> Result<(), StoreError>;
    /// A hint that windows of `key` are about to be updated: a store may start
    /// loading what that will touch. Never needed for correctness.
    fn prefetch(&self, _key: &str) {}
}

/// Keeps the alert evidence that lies inside the window, oldest first.
pub fn evidence_in_window<'a>(
    recent: impl Iterator<Item = &'a Evidence>,
    cutoff_ms: i64,
) -> Vec<Evidence> {
    let mut v: Vec<Evidence> = recent.filter(|e| e.time_ms > cutoff_ms).cloned().collect();
    v.sort_by_key(|e| e.time_ms);
    v
}

/// Builds the synchronous store the config asks for (used by the C ABI, in
/// each worker process after fork).
pub fn build_sync(cfg: &crate::config::Config) -> Result<Box<dyn WindowStore>, StoreError> {
    use crate::config::StoreKind;
    match cfg.store.kind {
        StoreKind::Memory => Ok(Box::new(MemoryStore::new(MemoryStoreConfig {
            max_keys: cfg.store.max_keys,
            max_members_per_key: cfg.store.max_members_per_key,
        }))),
        StoreKind::Redis => {
            let store = redis::RedisStore::from_config(&cfg.store)?;
            // Fail open: a store that is down at start is retried with backoff
            // by the checks themselves; the switch starts anyway.
            let _ = store.connect();
            Ok(Box::new(store))
        }
    }
}
