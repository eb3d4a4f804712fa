//! Prometheus metrics of `acm serve`, in the text format at `GET /metrics`.
//!
//! Counters are created once per label value at start-up and kept as handles,
//! so counting a verdict is a few atomic adds, not a label lookup.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::engine::{Action, Reason, Verdict, WindowRule};

type Labels = Vec<(String, String)>;

pub struct Metrics {
    registry: Registry,
    checks: Counter,
    actions: [Counter; 3],
    reasons: Vec<Counter>,
    alerts: Vec<Counter>,
    bad_requests: Family<Labels, Counter>,
    check_seconds: Histogram,
    /// Set at scrape time from the embedded store's own counters.
    store_keys: Gauge,
    store_untracked: Counter,
    store_reclaimed: Counter,
    store_evidence_evicted: Counter,
    store_full_sweeps: Counter,
    /// Shared (Redis) store: requests by outcome, reconnects, script reloads, breaker.
    store_requests: Family<Labels, Counter>,
    store_reconnects: Counter,
    store_script_reloads: Counter,
    store_breaker_opened: Counter,
    store_breaker_open: Gauge,
}

/// Raises a counter to a total read from elsewhere (counters only grow).
fn sync_counter(c: &Counter, total: u64) {
    c.inc_by(total.saturating_sub(c.get()));
}

/// Latency buckets from 1 µs to 100 ms: the embedded store answers in
/// microseconds, a Redis round trip in tens to hundreds.
const BUCKETS: [f64; 16] = [
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2,
    5e-2, 0.1,
];

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("acm");
        let checks = Counter::default();
        registry.register("checks", "Calls checked", checks.clone());
        let verdicts = Family::<Labels, Counter>::default();
        registry.register("verdicts", "Verdicts by action", verdicts.clone());
        let actions = [Action::Allow, Action::Flag, Action::Block].map(|a| {
            verdicts
                .get_or_create(&vec![("action".into(), a.as_str().into())])
                .clone()
        });
        let reason_family = Family::<Labels, Counter>::default();
        registry.register(
            "reasons",
            "Verdict reasons (a verdict can carry several)",
            reason_family.clone(),
        );
        let reasons = Reason::ALL
            .iter()
            .map(|r| {
                reason_family
                    .get_or_create(&vec![("reason".into(), r.code().into())])
                    .clone()
            })
            .collect();
        let alert_family = Family::<Labels, Counter>::default();
        registry.register("alerts", "Alerts raised by rule", alert_family.clone());
        let alerts = WindowRule::ALL
            .iter()
            .map(|r| {
                alert_family
                    .get_or_create(&vec![("rule".into(), r.code().into())])
                    .clone()
            })
            .collect();
        let bad_requests = Family::<Labels, Counter>::default();
        registry.register(
            "bad_requests",
            "Requests refused (4xx) by route and status",
            bad_requests.clone(),
        );
        let check_seconds = Histogram::new(BUCKETS);
        registry.register(
            "check_duration_seconds",
            "Time to judge one call, store included",
            check_seconds.clone(),
        );
        let store_keys = Gauge::default();
        registry.register(
            "store_keys",
            "Keys held by the embedded store",
            store_keys.clone(),
        );
        let store_untracked = Counter::default();
        registry.register(
            "store_untracked",
            "Window updates not tracked because the embedded store was full",
            store_untracked.clone(),
        );
        let store_reclaimed = Counter::default();
        registry.register(
            "store_reclaimed",
            "Expired keys reclaimed by the embedded store",
            store_reclaimed.clone(),
        );
        let store_evidence_evicted = Counter::default();
        registry.register(
            "store_evidence_evicted",
            "Alert evidence records the embedded store dropped for room while still in a window",
            store_evidence_evicted.clone(),
        );
        let store_full_sweeps = Counter::default();
        registry.register(
            "store_full_sweeps",
            "Sweeps of a whole shard of the embedded store because it was full (raise store.max_keys if this grows)",
            store_full_sweeps.clone(),
        );
        let store_requests = Family::<Labels, Counter>::default();
        registry.register(
            "store_requests",
            "Shared store requests by outcome (ok, timeout, error, breaker_open)",
            store_requests.clone(),
        );
        let store_reconnects = Counter::default();
        registry.register(
            "store_reconnects",
            "Shared store connections (re-)established",
            store_reconnects.clone(),
        );
        let store_script_reloads = Counter::default();
        registry.register(
            "store_script_reloads",
            "Scripts sent again after the store forgot them (NOSCRIPT)",
            store_script_reloads.clone(),
        );
        let store_breaker_opened = Counter::default();
        registry.register(
            "store_breaker_opened",
            "Times the store's circuit breaker opened",
            store_breaker_opened.clone(),
        );
        let store_breaker_open = Gauge::default();
        registry.register(
            "store_breaker_open",
            "1 while the breaker skips the store (checks fail open), else 0",
            store_breaker_open.clone(),
        );
        Metrics {
            store_requests,
            store_reconnects,
            store_script_reloads,
            store_breaker_opened,
            store_breaker_open,
            registry,
            checks,
            actions,
            reasons,
            alerts,
            bad_requests,
            check_seconds,
            store_keys,
            store_untracked,
            store_reclaimed,
            store_evidence_evicted,
            store_full_sweeps,
        }
    }

    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    pub fn record(&self, v: &Verdict, seconds: f64) {
        self.checks.inc();
        self.actions[v.action as usize].inc();
        for r in v.reasons.iter() {
            self.reasons[r as usize].inc();
        }
        for a in &v.new_alerts {
            self.alerts[a.rule.index()].inc();
        }
        self.check_seconds.observe(seconds);
    }

    /// Copies the embedded store's own counters into the exposition.
    pub fn sync_memory(&self, st: &crate::store::memory::MemoryStoreStats) {
        use std::sync::atomic::Ordering::Relaxed;
        self.store_keys.set(st.keys.load(Relaxed) as i64);
        sync_counter(&self.store_untracked, st.untracked.load(Relaxed));
        sync_counter(&self.store_reclaimed, st.reclaimed.load(Relaxed));
        sync_counter(
            &self.store_evidence_evicted,
            st.evidence_evicted.load(Relaxed),
        );
        sync_counter(&self.store_full_sweeps, st.full_sweeps.load(Relaxed));
    }

    /// Copies the Redis store's own counters into the exposition.
    pub fn sync_redis(&self, st: &crate::store::redis::RedisStats, open: bool) {
        use std::sync::atomic::Ordering::Relaxed;
        for (outcome, v) in [
            ("ok", &st.ok),
            ("timeout", &st.timeouts),
            ("error", &st.errors),
            ("breaker_open", &st.breaker_open_skips),
        ] {
            sync_counter(
                &self
                    .store_requests
                    .get_or_create(&vec![("outcome".into(), outcome.into())]),
                v.load(Relaxed),
            );
        }
        sync_counter(&self.store_reconnects, st.reconnects.load(Relaxed));
        sync_counter(&self.store_script_reloads, st.script_reloads.load(Relaxed));
        sync_counter(&self.store_breaker_opened, st.breaker_opened.load(Relaxed));
        self.store_breaker_open.set(open as i64);
    }

    pub fn bad_request(&self, route: &str, status: u16) {
        self.bad_requests
            .get_or_create(&vec![
                ("route".into(), route.into()),
                ("status".into(), status.to_string()),
            ])
            .inc();
    }

    /// The exposition text, with the pipeline's counters added before `# EOF`.
    pub fn render(&self, pipeline: &crate::pipeline::StatsSnapshot) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        let mut extra = String::new();
        for (name, help, value) in pipeline.fields() {
            let (family, kind) = match name.strip_suffix("_total") {
                Some(f) => (f, "counter"),
                None => (name, "gauge"),
            };
            let _ = writeln!(extra, "# HELP acm_pipeline_{family} {help}.");
            let _ = writeln!(extra, "# TYPE acm_pipeline_{family} {kind}");
            let _ = writeln!(extra, "acm_pipeline_{name} {value}");
        }
        match out.rfind("# EOF") {
            Some(pos) => out.insert_str(pos, &extra),
            None => out.push_str(&extra),
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
