// SPDX-License-Identifier: MIT OR Apache-2.0
//! The circuit breaker, counters and rate-limited logging of the Redis store.
//!
//! A check must never wait for a sick store longer than its budget, and once
//! the store has failed `failures` times in a row it is not asked at all (an
//! open breaker costs a couple of atomic loads) for `cooldown`; then exactly
//! one probe is let through, and its success closes the breaker while its
//! failure opens it for another cooldown. All state is atomics: the sync store
//! shares it between threads, the async one between tasks.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::store::StoreError;

/// What the breaker says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Closed: go ahead.
    Go,
    /// Half-open: this request is the one probe.
    Probe,
    /// Open: skip the store.
    Skip,
}

/// Breaker state, as exported to metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// A consecutive-failure circuit breaker on a monotonic clock.
#[derive(Debug)]
pub struct Breaker {
    base: Instant,
    threshold: u32,
    cooldown_ms: i64,
    failures: AtomicU32,
    /// Monotonic ms (since `base`, plus one) until which the breaker is open; 0 = closed.
    open_until: AtomicI64,
    probing: AtomicBool,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Breaker {
        Breaker {
            base: Instant::now(),
            threshold: threshold.max(1),
            cooldown_ms: cooldown.as_millis().max(1) as i64,
            failures: AtomicU32::new(0),
            open_until: AtomicI64::new(0),
            probing: AtomicBool::new(false),
        }
    }

    fn now(&self) -> i64 {
        self.base.elapsed().as_millis() as i64 + 1
    }

    pub fn admit(&self) -> Admit {
        let until = self.open_until.load(Ordering::Acquire);
        if until == 0 {
            return Admit::Go;
        }
        if self.now() < until {
            return Admit::Skip;
        }
        match self
            .probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Admit::Probe,
            Err(_) => Admit::Skip,
        }
    }

    /// Records a success; answers true when this closed an open breaker.
    pub fn success(&self) -> bool {
        self.failures.store(0, Ordering::Relaxed);
        self.probing.store(false, Ordering::Release);
        self.open_until.swap(0, Ordering::AcqRel) != 0
    }

    /// Records a failure; answers true when this opened (or re-opened) the breaker.
    pub fn failure(&self, admit: Admit) -> bool {
        if admit == Admit::Probe {
            self.open_until
                .store(self.now() + self.cooldown_ms, Ordering::Release);
            self.probing.store(false, Ordering::Release);
            return true;
        }
        let n = self.failures.fetch_add(1, Ordering::AcqRel) + 1;
        if n >= self.threshold && self.open_until.load(Ordering::Acquire) == 0 {
            self.open_until
                .store(self.now() + self.cooldown_ms, Ordering::Release);
            return true;
        }
        false
    }

    pub fn state(&self) -> BreakerState {
        let until = self.open_until.load(Ordering::Acquire);
        if until == 0 {
            BreakerState::Closed
        } else if self.probing.load(Ordering::Acquire) || self.now() >= until {
            BreakerState::HalfOpen
        } else {
            BreakerState::Open
        }
    }
}

/// Counters of a Redis store (read by `/metrics` and the Kamailio RPC).
#[derive(Debug, Default)]
pub struct RedisStats {
    /// Requests answered.
    pub ok: AtomicU64,
    /// Requests that ran out of budget.
    pub timeouts: AtomicU64,
    /// Requests that failed otherwise (connection refused, reset, server error).
    pub errors: AtomicU64,
    /// Requests skipped because the breaker was open.
    pub breaker_open_skips: AtomicU64,
    /// Connections (re-)established.
    pub reconnects: AtomicU64,
    /// Scripts sent again after the server forgot them (NOSCRIPT).
    pub script_reloads: AtomicU64,
    /// Times the breaker opened.
    pub breaker_opened: AtomicU64,
    /// Deferred called stamps lost: their request failed, or more were
    /// waiting than a connection keeps (`contract::CalledStamp::unless_over`).
    pub called_stamps_dropped: AtomicU64,
    /// Withdrawals of held-back alerts lost (`contract::Withdrawal`): their
    /// request failed, or more were waiting than a connection keeps. The
    /// alert's cooldown then runs out as it would have without one.
    pub withdrawals_dropped: AtomicU64,
}

impl RedisStats {
    /// The counters as store metrics (`acm_store_requests_total{outcome}`, ...).
    pub fn metrics(&self, breaker: BreakerState) -> Vec<crate::store::StoreMetric> {
        use crate::store::{MetricKind, StoreMetric};
        let c = |name, help, label, v: &AtomicU64| StoreMetric {
            name,
            help,
            kind: MetricKind::Counter,
            label,
            value: v.load(Ordering::Relaxed),
        };
        const REQUESTS: &str =
            "Shared store requests by outcome (ok, timeout, error, breaker_open)";
        vec![
            c("requests", REQUESTS, Some(("outcome", "ok")), &self.ok),
            c(
                "requests",
                REQUESTS,
                Some(("outcome", "timeout")),
                &self.timeouts,
            ),
            c(
                "requests",
                REQUESTS,
                Some(("outcome", "error")),
                &self.errors,
            ),
            c(
                "requests",
                REQUESTS,
                Some(("outcome", "breaker_open")),
                &self.breaker_open_skips,
            ),
            c(
                "reconnects",
                "Shared store connections (re-)established",
                None,
                &self.reconnects,
            ),
            c(
                "script_reloads",
                "Scripts sent again after the store forgot them (NOSCRIPT)",
                None,
                &self.script_reloads,
            ),
            c(
                "breaker_opened",
                "Times the store's circuit breaker opened",
                None,
                &self.breaker_opened,
            ),
            c(
                "called_stamps_dropped",
                "Called stamps not written: their request failed, or too many waited",
                None,
                &self.called_stamps_dropped,
            ),
            c(
                "withdrawals_dropped",
                "Withdrawals of held-back alerts not written: their request failed, or too many waited",
                None,
                &self.withdrawals_dropped,
            ),
            StoreMetric {
                name: "breaker_open",
                help: "1 while the breaker skips the store (checks fail open), else 0",
                kind: MetricKind::Gauge,
                label: None,
                value: (breaker != BreakerState::Closed) as u64,
            },
        ]
    }
}

/// Log lines of one kind at most once per interval.
#[derive(Debug)]
pub struct LogLimiter {
    base: Instant,
    interval_ms: i64,
    last: [AtomicI64; 4],
}

/// The kinds of line the limiter tracks separately.
#[derive(Debug, Clone, Copy)]
pub enum LogKind {
    Timeout = 0,
    Error = 1,
    Breaker = 2,
    Connect = 3,
}

impl LogLimiter {
    pub fn new(interval: Duration) -> LogLimiter {
        LogLimiter {
            base: Instant::now(),
            interval_ms: interval.as_millis() as i64,
            last: std::array::from_fn(|_| AtomicI64::new(i64::MIN / 2)),
        }
    }

    /// True when a line of this kind may be written now.
    pub fn allow(&self, kind: LogKind) -> bool {
        let now = self.base.elapsed().as_millis() as i64;
        let slot = &self.last[kind as usize];
        let last = slot.load(Ordering::Relaxed);
        now - last >= self.interval_ms
            && slot
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// Breaker, counters and logging, shared by the sync and async clients.
#[derive(Debug)]
pub struct Guard {
    pub breaker: Breaker,
    /// Shared with the async store's background stamp sends.
    pub stats: std::sync::Arc<RedisStats>,
    pub log: LogLimiter,
    pub name: &'static str,
}

impl Guard {
    pub fn new(name: &'static str, failures: u32, cooldown: Duration) -> Guard {
        Guard {
            breaker: Breaker::new(failures, cooldown),
            stats: Default::default(),
            log: LogLimiter::new(Duration::from_secs(10)),
            name,
        }
    }

    /// Asks the breaker; counts and answers `BreakerOpen` when the store is skipped.
    pub fn admit(&self) -> Result<Admit, StoreError> {
        match self.breaker.admit() {
            Admit::Skip => {
                self.stats
                    .breaker_open_skips
                    .fetch_add(1, Ordering::Relaxed);
                Err(StoreError::BreakerOpen)
            }
            a => Ok(a),
        }
    }

    /// Records how a request admitted as `admit` ended.
    pub fn record<T>(&self, admit: Admit, r: &Result<T, StoreError>) {
        match r {
            Ok(_) => {
                self.stats.ok.fetch_add(1, Ordering::Relaxed);
                if self.breaker.success() {
                    tracing::info!(
                        store = self.name,
                        "store answered again: circuit breaker closed"
                    );
                }
            }
            Err(e) => {
                let kind = match e {
                    StoreError::Timeout => {
                        self.stats.timeouts.fetch_add(1, Ordering::Relaxed);
                        LogKind::Timeout
                    }
                    _ => {
                        self.stats.errors.fetch_add(1, Ordering::Relaxed);
                        LogKind::Error
                    }
                };
                if self.log.allow(kind) {
                    tracing::warn!(store = self.name, error = %e, "store request failed; the call was allowed (store_unavailable)");
                }
                if self.breaker.failure(admit) {
                    self.stats.breaker_opened.fetch_add(1, Ordering::Relaxed);
                    if self.log.allow(LogKind::Breaker) {
                        tracing::warn!(store = self.name, error = %e, "circuit breaker open: checks skip the store during the cool-down");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_k_failures_then_probes_once() {
        let b = Breaker::new(3, Duration::from_millis(30));
        for _ in 0..2 {
            assert_eq!(b.admit(), Admit::Go);
            assert!(!b.failure(Admit::Go));
        }
        assert!(b.failure(Admit::Go));
        assert_eq!(b.admit(), Admit::Skip);
        assert_eq!(b.state(), BreakerState::Open);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(b.admit(), Admit::Probe);
        assert_eq!(b.admit(), Admit::Skip, "only one probe at a time");
        assert!(b.failure(Admit::Probe));
        assert_eq!(b.admit(), Admit::Skip);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(b.admit(), Admit::Probe);
        assert!(b.success());
        assert_eq!(b.admit(), Admit::Go);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn success_resets_the_count() {
        let b = Breaker::new(2, Duration::from_secs(10));
        b.failure(Admit::Go);
        b.success();
        assert!(!b.failure(Admit::Go));
        assert!(b.failure(Admit::Go));
    }

    #[test]
    fn limiter_lets_one_line_per_interval() {
        let l = LogLimiter::new(Duration::from_secs(60));
        assert!(l.allow(LogKind::Error));
        assert!(!l.allow(LogKind::Error));
        assert!(l.allow(LogKind::Timeout));
    }
}
