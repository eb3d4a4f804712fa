// SPDX-License-Identifier: MIT OR Apache-2.0
//! Prometheus metrics of `acm serve`, in the text format at `GET /metrics`.
//!
//! Nothing is counted twice: alerts are the engine's own counters, and the
//! store's and the pipeline's are theirs, all read at scrape time. What only a
//! face knows is counted here, labelled `face="http"` or `face="grpc"`: calls
//! checked, verdicts by action, reasons, the check-time histogram (counted by
//! the face when the detector answers, see [`Metrics::judged`]) and refused
//! requests by route and status. The gRPC face adds its streams' gauges.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::engine::{rules::RULES, Action, Engine, Reason, Verdict};
use crate::store::{MetricKind, Store};

type Labels = Vec<(String, String)>;

/// What the scrape-time collector reads.
struct Sources {
    engine: Arc<Engine>,
    store: Arc<dyn Store>,
}

/// Reads the engine's and the store's counters on each scrape.
#[derive(Clone, Default)]
struct Live(Arc<OnceLock<Sources>>);

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Live")
    }
}

fn counter(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    values: &[(Option<(&str, &str)>, u64)],
) -> Result<(), std::fmt::Error> {
    let mut m = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (label, v) in values {
        match label {
            Some((k, val)) => {
                let labels = [(*k, *val)];
                ConstCounter::new(*v).encode(m.encode_family(&labels)?)?;
            }
            None => ConstCounter::new(*v).encode(m.encode_family(&[] as &[(&str, &str); 0])?)?,
        }
    }
    Ok(())
}

impl Collector for Live {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(src) = self.0.get() else {
            return Ok(());
        };
        let s = src.engine.stats().snapshot();
        let alerts: Vec<_> = RULES
            .iter()
            .filter(|d| !d.reason.tag().is_empty())
            .map(|d| (Some(("rule", d.reason.code())), s.alerts(d.reason)))
            .collect();
        counter(&mut enc, "alerts", "Alerts raised by rule", &alerts)?;
        let withdrawn: Vec<_> = RULES
            .iter()
            .filter(|d| !d.reason.tag().is_empty())
            .map(|d| (Some(("rule", d.reason.code())), s.withdrawn(d.reason)))
            .collect();
        counter(
            &mut enc,
            "alerts_withdrawn",
            "Alerts the store raised that the verdict held back (ingress share, folded into another rule's) and withdrew, by rule",
            &withdrawn,
        )?;
        counter(
            &mut enc,
            "standing_spared",
            "Calls with a home CLI on an international ingress not judged because the CLI had standing there (rules.intl_ingress_local_cli.standing_ms)",
            &[(None, s.standing_spared)],
        )?;
        // The store's own metrics, grouped by name (one family per name).
        let ms = src.store.metrics();
        let mut names: Vec<&str> = ms.iter().map(|m| m.name).collect();
        names.dedup();
        for name in names {
            let group: Vec<_> = ms.iter().filter(|m| m.name == name).collect();
            let full = format!("store_{name}");
            match group[0].kind {
                MetricKind::Counter => {
                    let values: Vec<_> = group.iter().map(|m| (m.label, m.value)).collect();
                    counter(&mut enc, &full, group[0].help, &values)?;
                }
                MetricKind::Gauge => {
                    let mut m =
                        enc.encode_descriptor(&full, group[0].help, None, MetricType::Gauge)?;
                    for g in group {
                        let v = ConstGauge::new(g.value as i64);
                        match g.label {
                            Some((k, val)) => v.encode(m.encode_family(&[(k, val)])?)?,
                            None => v.encode(m.encode_family(&[] as &[(&str, &str); 0])?)?,
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The faces of `acm serve`, as the `face` label names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Http = 0,
    Grpc = 1,
}

impl Face {
    pub const ALL: [Face; 2] = [Face::Http, Face::Grpc];
    pub fn as_str(self) -> &'static str {
        match self {
            Face::Http => "http",
            Face::Grpc => "grpc",
        }
    }
}

/// One face's counters, made at start so that counting takes no lookup.
struct FaceCounters {
    checks: Counter,
    verdicts: [Counter; Action::ALL.len()],
    reasons: [Counter; Reason::COUNT],
    check_seconds: Histogram,
}

/// The gRPC face's streams: open streams, and calls received on them but not
/// yet handed to the transport (bounded by `[grpc] max_in_flight` per stream).
#[derive(Debug, Default)]
pub struct StreamGauges {
    pub open: AtomicI64,
    pub in_flight: AtomicI64,
    pub received: prometheus_client::metrics::counter::Counter,
}

/// Reads [`StreamGauges`] on each scrape.
#[derive(Debug)]
struct StreamCollector(Arc<StreamGauges>);

impl Collector for StreamCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let g = &self.0;
        for (name, help, v) in [
            (
                "grpc_streams",
                "CheckStream streams open",
                g.open.load(Ordering::Relaxed),
            ),
            (
                "grpc_stream_in_flight",
                "CheckStream calls received and not yet handed to the transport",
                g.in_flight.load(Ordering::Relaxed),
            ),
        ] {
            let m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
            ConstGauge::new(v).encode(m)?;
        }
        let m = enc.encode_descriptor(
            "grpc_stream_calls",
            "Calls received on CheckStream streams",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(g.received.get()).encode(m)?;
        Ok(())
    }
}

pub struct Metrics {
    registry: Registry,
    live: Live,
    bad_requests: Family<Labels, Counter>,
    faces: [FaceCounters; 2],
    /// The gRPC face's streams.
    pub streams: Arc<StreamGauges>,
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
        let bad_requests = Family::<Labels, Counter>::default();
        registry.register(
            "bad_requests",
            "Requests refused by face, route and status (HTTP 4xx, gRPC code)",
            bad_requests.clone(),
        );
        let checks = Family::<Labels, Counter>::default();
        registry.register("checks", "Calls checked, by face", checks.clone());
        let verdicts = Family::<Labels, Counter>::default();
        registry.register("verdicts", "Verdicts by face and action", verdicts.clone());
        let reasons = Family::<Labels, Counter>::default();
        registry.register(
            "reasons",
            "Verdict reasons by face (a verdict can carry several)",
            reasons.clone(),
        );
        let seconds = Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(BUCKETS));
        registry.register(
            "check_duration_seconds",
            "Time to judge one call, store included, by face",
            seconds.clone(),
        );
        let label = |face: Face, extra: Option<(&str, &str)>| -> Labels {
            let mut l = vec![("face".to_string(), face.as_str().to_string())];
            l.extend(extra.map(|(k, v)| (k.to_string(), v.to_string())));
            l
        };
        let faces = Face::ALL.map(|face| FaceCounters {
            checks: checks.get_or_create(&label(face, None)).clone(),
            verdicts: Action::ALL.map(|a| {
                verdicts
                    .get_or_create(&label(face, Some(("action", a.as_str()))))
                    .clone()
            }),
            reasons: Reason::ALL.map(|r| {
                reasons
                    .get_or_create(&label(face, Some(("reason", r.code()))))
                    .clone()
            }),
            check_seconds: seconds.get_or_create(&label(face, None)).clone(),
        });
        let streams = Arc::new(StreamGauges::default());
        registry.register_collector(Box::new(StreamCollector(streams.clone())));
        let live = Live::default();
        registry.register_collector(Box::new(live.clone()));
        Metrics {
            registry,
            live,
            bad_requests,
            faces,
            streams,
        }
    }

    /// Counts a verdict a face got from the detector, and the time it took.
    pub fn judged(&self, face: Face, v: &Verdict, took: Duration) {
        let c = &self.faces[face as usize];
        c.checks.inc();
        c.verdicts[v.action as usize].inc();
        for r in v.reasons.iter() {
            c.reasons[r.index()].inc();
        }
        c.check_seconds.observe(took.as_secs_f64());
    }

    /// Where the scrape reads verdict and store counters from.
    pub fn watch(&self, engine: Arc<Engine>, store: Arc<dyn Store>) {
        let _ = self.live.0.set(Sources { engine, store });
    }

    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// A refused request: HTTP's status code, or gRPC's code name.
    pub fn bad_request(&self, face: Face, route: &str, status: &str) {
        self.bad_requests
            .get_or_create(&vec![
                ("face".into(), face.as_str().into()),
                ("route".into(), route.into()),
                ("status".into(), status.into()),
            ])
            .inc();
    }

    /// The exposition text, with the pipeline's counters added before `# EOF`.
    pub fn render(
        &self,
        pipeline: &crate::pipeline::StatsSnapshot,
        lanes: &[crate::pipeline::LaneSnapshot],
    ) -> String {
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
        if !lanes.is_empty() {
            type Field = fn(&crate::pipeline::LaneSnapshot) -> u64;
            let families: [(&str, &str, &str, Field); 6] = [
                ("sent", "counter", "alerts delivered (2xx)", |l| l.sent),
                (
                    "retried",
                    "counter",
                    "failed attempts that will be retried",
                    |l| l.retried,
                ),
                (
                    "failed",
                    "counter",
                    "alerts refused for good (4xx other than 408, 410, 429)",
                    |l| l.failed,
                ),
                (
                    "dropped",
                    "counter",
                    "alerts lost (410 Gone, spool full or unwritable)",
                    |l| l.dropped,
                ),
                (
                    "disabled",
                    "gauge",
                    "1 once the receiver answered 410 Gone",
                    |l| l.disabled,
                ),
                (
                    "spool_bytes",
                    "gauge",
                    "bytes waiting in the receiver's spool",
                    |l| l.spool_bytes,
                ),
            ];
            for (family, kind, help, get) in families {
                let _ = writeln!(
                    extra,
                    "# HELP acm_webhook_{family} Webhook receivers and teardown: {help}."
                );
                let _ = writeln!(extra, "# TYPE acm_webhook_{family} {kind}");
                let suffix = if kind == "counter" { "_total" } else { "" };
                for l in lanes {
                    let receiver = l.name.strip_prefix("webhook ").unwrap_or(&l.name);
                    let _ = writeln!(
                        extra,
                        "acm_webhook_{family}{suffix}{{receiver=\"{receiver}\"}} {}",
                        get(l)
                    );
                }
            }
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
