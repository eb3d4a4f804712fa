// SPDX-License-Identifier: MIT OR Apache-2.0
//! Where sliding-window state lives.
//!
//! The engine turns a call into a [`StoreRequest`]: a few window operations
//! (one per rule that keeps a window) and an optional auto-block lookup. A store
//! applies the whole request in one step — one lock per window in memory, one
//! round trip to a Redis-protocol server — and answers with counts and alert
//! states. Every store gives the same answers for the same requests; the shared
//! rule suite (`tests/store_suite.rs`) holds them to it. The request and answer
//! types are the engine–store contract (`crate::contract`), re-exported here.
//!
//! Window semantics, identical in every store, per (rule, key):
//! - a member (an A-number, a call id) is remembered with the latest event time
//!   it was seen at; `hw` is the latest event time seen for the key;
//! - the window is the half-open interval `(hw - window_ms, hw]`: a member seen
//!   exactly `window_ms` before `hw` has left it;
//! - a late event is added with its own time and is dropped at once if it
//!   falls before the window; an embedded store may free a key once an event
//!   it has seen (of any key) lies [`LATE_MS`] past the key's expiry
//!   (`hw + window_ms`, later with a cooldown or learned state), and Redis
//!   once its TTL ran out (`expiry_slack_ms` past it, in wall-clock time).
//!   An event up to `LATE_MS` late (relative to the newest seen) therefore
//!   comes after the expiry of any key freed before it, where a fresh key and
//!   the old one answer alike: such events are answered alike everywhere;
//! - a window keeps at most `member_cap` members, the newest (by latest time;
//!   ties in arrival order): when one more arrives the oldest is dropped;
//! - `count` is the number of members in the window after the update;
//! - when `count >= threshold` an alert is raised unless one raised for the
//!   same rule and key is still in its cooldown (`raised_at + cooldown_ms`, in
//!   event time), or its cooldown has ended but fewer than `threshold` of the
//!   window's members have their latest time at or after that end (the
//!   members that raised an alert do not raise a second one: a busy source
//!   whose window still holds an attack's members would otherwise raise on
//!   its own next call, and a new attack's first calls would fall in that
//!   alert's cooldown); in both cases that alert is reported as active. A
//!   withdrawal (`contract::Withdrawal`: an alert the engine held back) ends
//!   that cooldown when the window's alert is still the one withdrawn, so the
//!   next update at or over the threshold raises a new alert;
//! - a count-only window (`WindowOp::count_only`: a companion count the
//!   engine reads beside another window) keeps its members and answers its
//!   count as above, but keeps no evidence and no cooldown and answers no
//!   alert, whatever the count; one that learns (`learn` set: the slow fan-in
//!   tier's count over every ingress, `learn_number`) learns its key's level
//!   and answers its learned threshold as any learning window.
//! - a window whose op asks for its span (`WindowOp::span`: the windows an
//!   ingress share is read from) answers, when it holds at least as many
//!   members as its cap (after learning raised it), how far before the event
//!   its cap-th newest member called (`WindowOutcome::span_ms`, at least 1),
//!   else 0;
//! - a request's called stamp (`StoreRequest::called`) is applied after its
//!   windows, and not at all when its gate window (`unless_over`, the
//!   caller's own) answered a count at or over that op's threshold (Redis
//!   sends a passing gated stamp after the answer); a
//!   window with `WindowOp::called` whose count reaches its
//!   threshold is judged against `factor` times it when its key was stamped
//!   lately (`contract::Called`: minute resolution); the answer's threshold
//!   says which. The embedded stores keep stamps in a bounded table that may
//!   forget one early (`store::called`), Redis in a key per callee.
//! - a learning window with `WindowOp::repeats` keeps its key's run of
//!   repeats (updates whose member was already in the window) in its learned
//!   state, and when its count reaches its threshold (after the called
//!   factor) is judged against `factor` times it while that run is live and
//!   long enough (`contract::Repeats`: the arithmetic every store keeps).
//!
//! Two traits: [`WindowStore`] is what a store that answers at once
//! implements (the embedded store, the blocking Redis client of Kamailio
//! workers); [`Store`] is what the `Detector` holds — any store, answering at
//! once or later (the async Redis client of `acm serve`).

pub mod called;
pub mod memory;
mod prefetch;
pub mod redis;
pub mod shared_lists;
pub mod shm;
pub mod spell;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::config::{Config, StoreKind};
pub use crate::contract::{
    AlertState, BlockEntry, Evidence, StoreAnswer, StoreError, StoreRequest, WindowOp,
    WindowOutcome, Withdrawal, EVIDENCE_MAX,
};

pub use self::redis::{AsyncRedisStore, RedisSettings, RedisStore};
pub use memory::{Footprint, MemoryStore, MemoryStoreConfig};
pub use shared_lists::{FileLists, SharedList, SharedLists};
pub use shm::{ShmStore, ShmStoreConfig};

/// A store that answers at once (the embedded store, and the Redis client used
/// inside Kamailio workers).
pub trait WindowStore: Send + Sync {
    fn name(&self) -> &'static str;
    /// Applies every operation of one call and answers for each, into
    /// `answer`: the answer is built where the caller keeps it (the check
    /// path holds one per call), not returned and moved. Whatever `answer`
    /// held before is replaced; after an error its content means nothing.
    fn apply_into(&self, req: &StoreRequest, answer: &mut StoreAnswer) -> Result<(), StoreError>;
    /// [`WindowStore::apply_into`] into a new answer.
    fn apply(&self, req: &StoreRequest) -> Result<StoreAnswer, StoreError> {
        let mut answer = StoreAnswer::default();
        self.apply_into(req, &mut answer)?;
        Ok(answer)
    }
    /// Records auto-blocks raised by an alert.
    fn add_blocks(&self, blocks: &[BlockEntry]) -> Result<(), StoreError>;
    /// Forgets alerts that `req`'s answer raised and the engine held back
    /// (see [`Withdrawal`]).
    fn withdraw_alerts(
        &self,
        req: &StoreRequest,
        withdrawals: &[Withdrawal],
    ) -> Result<(), StoreError>;
    /// A hint that windows of `key` are about to be updated: a store may start
    /// loading what that will touch. Never needed for correctness.
    fn prefetch(&self, _key: &str) {}
    /// The store's own counters, for `/metrics` and the Kamailio RPC.
    fn metrics(&self) -> Vec<StoreMetric> {
        Vec::new()
    }
}

/// A store's answer: ready now, or a future to await.
pub enum Answer<'a, T> {
    Now(Option<Result<T, StoreError>>),
    Later(Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>),
}

// Nothing in an answer is pinned in place: the value is moved out whole, the
// future is boxed.
impl<T> Unpin for Answer<'_, T> {}

impl<T> Future for Answer<'_, T> {
    type Output = Result<T, StoreError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut *self {
            Answer::Now(r) => Poll::Ready(
                r.take()
                    .unwrap_or_else(|| Err(StoreError::Protocol("answer taken twice".into()))),
            ),
            Answer::Later(f) => f.as_mut().poll(cx),
        }
    }
}

/// Any window store, as the `Detector` holds it.
pub trait Store: Send + Sync {
    fn name(&self) -> &'static str;
    /// See [`WindowStore::prefetch`].
    fn prefetch(&self, _key: &str) {}
    /// Applies every operation of one call (see [`WindowStore::apply`]).
    fn update<'a>(&'a self, req: &'a StoreRequest) -> Answer<'a, StoreAnswer>;
    /// [`Store::update`] on this thread, into `answer` (see
    /// [`WindowStore::apply_into`]): a store that answers at once writes its
    /// answer there directly (nothing to wrap, unwrap or move on the call
    /// path); an async one is waited for.
    fn update_now(&self, req: &StoreRequest, answer: &mut StoreAnswer) -> Result<(), StoreError> {
        *answer = self.update(req).now()?;
        Ok(())
    }
    /// Records auto-blocks raised by an alert.
    fn record_blocks<'a>(&'a self, blocks: &'a [BlockEntry]) -> Answer<'a, ()>;
    /// See [`WindowStore::withdraw_alerts`].
    fn withdraw<'a>(
        &'a self,
        req: &'a StoreRequest,
        withdrawals: &'a [Withdrawal],
    ) -> Answer<'a, ()>;
    /// The store's own counters.
    fn metrics(&self) -> Vec<StoreMetric>;
}

impl<S: WindowStore + ?Sized> Store for S {
    fn name(&self) -> &'static str {
        WindowStore::name(self)
    }
    #[inline]
    fn prefetch(&self, key: &str) {
        WindowStore::prefetch(self, key)
    }
    #[inline]
    fn update<'a>(&'a self, req: &'a StoreRequest) -> Answer<'a, StoreAnswer> {
        Answer::Now(Some(self.apply(req)))
    }
    #[inline]
    fn update_now(&self, req: &StoreRequest, answer: &mut StoreAnswer) -> Result<(), StoreError> {
        self.apply_into(req, answer)
    }
    fn record_blocks<'a>(&'a self, blocks: &'a [BlockEntry]) -> Answer<'a, ()> {
        Answer::Now(Some(self.add_blocks(blocks)))
    }
    fn withdraw<'a>(
        &'a self,
        req: &'a StoreRequest,
        withdrawals: &'a [Withdrawal],
    ) -> Answer<'a, ()> {
        Answer::Now(Some(self.withdraw_alerts(req, withdrawals)))
    }
    fn metrics(&self) -> Vec<StoreMetric> {
        WindowStore::metrics(self)
    }
}

/// Whether a metric only grows or goes up and down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
}

/// One counter or gauge a store reports about itself (exposed as
/// `acm_store_<name>` with an optional label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreMetric {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: MetricKind,
    /// One `(label, value)` pair, for metrics split by outcome.
    pub label: Option<(&'static str, &'static str)>,
    pub value: u64,
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

/// How the process will talk to a shared store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// One blocking connection per process (Kamailio workers, offline tools).
    Blocking,
    /// One multiplexed async connection (`acm serve`); call inside a tokio runtime.
    Tokio,
}

/// The shm store's limits from the config.
pub fn shm_config(cfg: &Config) -> ShmStoreConfig {
    ShmStoreConfig {
        max_keys: cfg.store.max_keys,
        max_members_per_key: cfg.store.max_members_per_key,
        budget: std::time::Duration::from_millis(cfg.store.budget_ms),
    }
}

/// How late an event may come (event time, behind the newest the store has
/// seen) and still be answered as if no key had been freed: the embedded
/// stores free a key only once an event lies this far past its expiry (keys
/// idle that long live these few seconds more). Five seconds: the seed's
/// burst window, far more than the reordering of one switch's workers.
pub const LATE_MS: i64 = 5_000;

/// A field of an evidence record read back as text. Numbers, addresses and
/// nearly every Call-ID are ASCII, checked a word at a time; anything else is
/// validated in full (`str::from_utf8` walks short strings byte by byte: on
/// an alert's sixteen records, four fields each, that was most of reading
/// them back).
pub(crate) fn evidence_text(b: &[u8]) -> Option<&str> {
    if b.is_ascii() {
        // SAFETY: ASCII bytes are valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(b) })
    } else {
        std::str::from_utf8(b).ok()
    }
}

/// Builds the store the config asks for: the one place a store is made. An
/// unresolved `auto` is the in-process store (faces resolve it first, see
/// `StoreKind::resolve`); `shm` here makes a region for this process and
/// those it forks later (the C ABI makes its region in `acm_init` instead).
pub fn from_config(cfg: &Config, client: Client) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    match (cfg.store.kind, client) {
        (StoreKind::Memory | StoreKind::Auto, _) => Ok(std::sync::Arc::new(MemoryStore::new(
            MemoryStoreConfig::from(&cfg.store),
        ))),
        (StoreKind::Shm, _) => Ok(std::sync::Arc::new(
            ShmStore::new(shm_config(cfg)).map_err(StoreError::Unavailable)?,
        )),
        (StoreKind::Redis, Client::Blocking) => {
            let store = RedisStore::from_config(&cfg.store)?;
            // Fail open: a store that is down at start is retried with backoff
            // by the checks themselves; the switch starts anyway.
            let _ = store.connect();
            Ok(std::sync::Arc::new(store))
        }
        (StoreKind::Redis, Client::Tokio) => Ok(std::sync::Arc::new(AsyncRedisStore::from_config(
            &cfg.store,
        )?)),
    }
}

#[cfg(test)]
mod tests {
    use super::evidence_text;

    #[test]
    fn evidence_text_reads_ascii_utf8_and_refuses_the_rest() {
        assert_eq!(evidence_text(b"+2348031234567"), Some("+2348031234567"));
        assert_eq!(evidence_text(b""), Some(""));
        let id = "a84b4c76e66710@pc33.atlanta.example.com";
        assert_eq!(evidence_text(id.as_bytes()), Some(id));
        assert_eq!(
            evidence_text("trunk:zürich-1".as_bytes()),
            Some("trunk:zürich-1")
        );
        assert_eq!(evidence_text(b"trunk:z\xc3"), None);
        assert_eq!(evidence_text(b"\xff\xfe call"), None);
    }
}
