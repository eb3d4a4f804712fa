//! The engine–store contract: the window updates one call needs and the
//! store's answer. Semantics every store keeps are in `crate::store`.

use compact_str::CompactString;
use serde::Serialize;
use smallvec::SmallVec;

use super::{stable_hash, Reason};

/// How many recent calls a window keeps as alert evidence.
pub const EVIDENCE_MAX: usize = 16;

/// One call seen inside an alert's window.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Evidence {
    pub time_ms: i64,
    pub call_id: CompactString,
    pub a_number: CompactString,
    pub b_number: CompactString,
    pub source: CompactString,
}

/// One sliding-window update.
#[derive(Debug, Clone)]
pub struct WindowOp {
    /// The rule whose window this is, by its reason code (its tag names the window).
    pub rule: Reason,
    /// What the window is about: a B-number, an A-number, a source or trunk.
    pub key: CompactString,
    /// What is counted: an A-number, or a call id for velocity.
    pub member: CompactString,
    pub time_ms: i64,
    pub window_ms: i64,
    pub threshold: u32,
    pub cooldown_ms: i64,
    /// Most members the window keeps, newest first.
    pub member_cap: u32,
}

impl WindowOp {
    /// The id the alert gets if this update raises one:
    /// `<rule tag>-<event ms in hex>-<key hash>`. Deterministic, so a replayed
    /// attack gets the id the live one got, and two nodes racing agree.
    /// Formatted only when needed.
    pub fn alert_id(&self) -> CompactString {
        self.alert_id_at(self.time_ms)
    }

    /// The id of the alert this window raised at event time `raised_ms`
    /// (a store that keeps the raising time rather than the id).
    pub fn alert_id_at(&self, raised_ms: i64) -> CompactString {
        use std::fmt::Write;
        let mut s = CompactString::default();
        let hash = stable_hash(self.key.as_bytes()) as u32;
        let _ = write!(s, "{}-{:x}-{:08x}", self.rule.tag(), raised_ms, hash);
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
