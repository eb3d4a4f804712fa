// SPDX-License-Identifier: MIT OR Apache-2.0
//! `acm serve`: the detection engine over HTTP, for switches that cannot load
//! the module, for CDR feeds and for the seed's quick start.
//!
//! Routes:
//! - `POST /event`        the seed's API: `{"status":"processed"}` or `{"status":"alert",...}`
//! - `POST /v1/check`     one call → verdict (`GET` with query parameters too)
//! - `POST /v1/events`    a bounded batch of calls → verdicts
//! - `GET /health`, `GET /metrics` (Prometheus text)
//! - `/v1/admin/lists/...` the shared allow/deny lists (admin token; see [`admin`])
//! - `/v1/alerts/...`     alerts: list, detail, status, notes, live stream, block,
//!   disconnect (bearer tokens with roles; see [`alerts::api`] and [`auth`])
//! - `/`, `/ui/...`       the SOC dashboard (see [`ui`]; sessions in [`session`])
//!
//! Refused requests answer 400/413 with `{"error":…, "field":…, "reason":…}`
//! and change no state.
//!
//! With `[grpc] listen` set, the gRPC face ([`grpc`]) serves the same state on
//! its own port.

pub mod admin;
pub mod alerts;
pub mod auth;
pub mod grpc;
mod hyper_errors;
pub mod input;
pub mod metrics;
pub mod session;
pub mod ui;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{json, Value};

use crate::clock::SystemClock;
use crate::config::Config;
use crate::detector::AlertLog;
use crate::engine::call::InputError;
use crate::engine::{Alert, Call, Reason, Verdict};
use crate::node::Node;
use crate::store::Client;
pub use metrics::{Face, Metrics};

/// Small string error for start-up failures.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, String>;
}

/// Everything a request handler needs.
pub struct AppState {
    /// The detector, its store, outbox and lists follower.
    pub node: Node,
    pub metrics: Arc<Metrics>,
    pub max_batch: usize,
    pub mode: &'static str,
    /// Bearer tokens and their roles.
    pub access: auth::Access,
    /// Alerts: lifecycle, API, live stream, actions.
    pub alerts: Arc<alerts::Alerts>,
    feed: parking_lot::Mutex<Option<crossbeam_channel::Receiver<crate::engine::Alert>>>,
    /// The config file `POST /v1/admin/reload` reads again (None: defaults and environment).
    pub config_path: Option<std::path::PathBuf>,
    /// The dashboard: its files and the config it shows.
    pub ui: ui::UiState,
}

impl AppState {
    /// Builds the node (inside the tokio runtime: the async store needs it).
    pub fn new(cfg: &Config) -> anyhow_like::Result<AppState> {
        let metrics = Arc::new(Metrics::new());
        // One process: `auto` is the embedded store.
        let mut cfg = cfg.clone();
        cfg.store.kind = cfg.store.kind.resolve(crate::config::Face::Process);
        let cfg = &cfg;
        let (alerts, feed_sink, feed) = alerts::Alerts::new(cfg).map_err(|e| format!("{e:#}"))?;
        let node = Node::start(
            cfg,
            Arc::new(SystemClock),
            Client::Tokio,
            vec![Arc::new(AlertLog), feed_sink],
        )?;
        metrics.watch(node.engine().clone(), node.detector.store().clone());
        Ok(AppState {
            node,
            metrics,
            max_batch: cfg.serve.max_batch_events,
            mode: cfg.mode.as_str(),
            access: auth::Access::from_config(cfg),
            alerts: Arc::new(alerts),
            feed: parking_lot::Mutex::new(Some(feed)),
            config_path: None,
            ui: ui::UiState::new(cfg),
        })
    }

    /// Loads the alerts' log and starts following it (inside the runtime).
    pub async fn start_alerts(&self) {
        let feed = self.feed.lock().take();
        if let Some(feed) = feed {
            self.alerts
                .start(
                    feed,
                    self.node.events.clone(),
                    self.node.shared_lists.clone(),
                )
                .await;
        }
    }

    /// Judges a call for a face (the detector's one check sequence) and
    /// counts the verdict under the face's label.
    pub async fn check(&self, face: Face, call: &Call) -> Result<Verdict, InputError> {
        self.check_since(face, call, std::time::Instant::now())
            .await
    }

    /// [`AppState::check`], timed from when the face started on the call.
    pub async fn check_since(
        &self,
        face: Face,
        call: &Call,
        started: std::time::Instant,
    ) -> Result<Verdict, InputError> {
        let r = self.node.detector.check_since(call, started).await;
        if let Ok(v) = &r {
            self.metrics.judged(face, v, started.elapsed());
        }
        r
    }
}

/// An error answer: status plus a JSON body naming the field.
struct ApiError {
    status: StatusCode,
    error: &'static str,
    field: String,
    reason: String,
}

impl ApiError {
    fn input(e: InputError) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            field: e.field.into(),
            reason: e.reason,
        }
    }
    fn body(r: BytesRejection) -> ApiError {
        let status = r.status();
        let error = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "body_too_large"
        } else {
            "unreadable_body"
        };
        ApiError {
            status,
            error,
            field: "body".into(),
            reason: r.body_text(),
        }
    }
    fn json(e: serde_json::Error) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_json",
            field: "body".into(),
            reason: format!("not valid JSON: {e}"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.error, "field": self.field, "reason": self.reason})),
        )
            .into_response()
    }
}

/// A JSON answer, written once into a buffer sized for a verdict.
fn json_response(body: &impl Serialize) -> Response {
    let mut out = Vec::with_capacity(512);
    match serde_json::to_writer(&mut out, body) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            )],
            out,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The verdict as the API shows it: its fields in name order (the order a JSON
/// tree printed them in, which answers have kept), and the call's new alerts
/// when `new_alerts` is set and there are any.
pub struct VerdictJson<'a> {
    pub verdict: &'a Verdict,
    pub new_alerts: bool,
}

#[derive(Clone, Copy)]
enum VerdictField {
    Action,
    Reasons,
    AlertId,
    Count(Reason),
    ANumber,
    BNumber,
    TimeMs,
    NewAlerts,
}

/// The fields of [`VerdictJson`], in name order, worked out once.
fn verdict_fields() -> &'static [(&'static str, VerdictField)] {
    static FIELDS: OnceLock<Vec<(&'static str, VerdictField)>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        use VerdictField::*;
        let mut f = vec![
            ("action", Action),
            ("reasons", Reasons),
            ("alert_id", AlertId),
            ("a_number", ANumber),
            ("b_number", BNumber),
            ("time_ms", TimeMs),
            ("new_alerts", NewAlerts),
        ];
        f.extend(crate::engine::rules::count_fields().map(|(name, r)| (name, Count(r))));
        f.sort_by_key(|(name, _)| *name);
        f
    })
}

impl Serialize for VerdictJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.verdict;
        let mut m = s.serialize_map(None)?;
        for (name, field) in verdict_fields() {
            match *field {
                VerdictField::Action => m.serialize_entry(name, v.action.as_str())?,
                VerdictField::Reasons => m.serialize_entry(name, &v.reasons)?,
                VerdictField::AlertId => m.serialize_entry(name, &v.alert_id)?,
                VerdictField::Count(rule) => m.serialize_entry(name, &v.count(rule))?,
                VerdictField::ANumber => m.serialize_entry(name, &v.a_number)?,
                VerdictField::BNumber => m.serialize_entry(name, &v.b_number)?,
                VerdictField::TimeMs => m.serialize_entry(name, &v.time_ms)?,
                VerdictField::NewAlerts => {
                    if self.new_alerts && !v.new_alerts.is_empty() {
                        m.serialize_entry(name, &AlertsJson(&v.new_alerts))?
                    }
                }
            }
        }
        m.end()
    }
}

/// Alerts as the API shows them (rare: built as JSON trees).
struct AlertsJson<'a>(&'a [Alert]);

impl Serialize for AlertsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for a in self.0 {
            seq.serialize_element(&alert_json(a))?;
        }
        seq.end()
    }
}

/// The verdict as the API shows it, as a JSON tree.
pub fn verdict_json(v: &Verdict) -> Value {
    serde_json::to_value(VerdictJson {
        verdict: v,
        new_alerts: false,
    })
    .unwrap_or(Value::Null)
}

/// An alert's `raised_at` as the APIs show it (RFC 3339).
pub fn raised_at_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339())
        .unwrap_or_default()
}

fn alert_json(a: &Alert) -> Value {
    let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("raised_at".into(), json!(raised_at_text(a.raised_at_ms)));
    }
    v
}

type Shared = Arc<AppState>;

/// Reads one call from a JSON body and judges it.
async fn judge_body(
    s: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<Verdict, ApiError> {
    let bytes = body.map_err(ApiError::body)?;
    let call = input::call_from_body(&bytes)
        .map_err(ApiError::json)?
        .map_err(ApiError::input)?;
    s.check(Face::Http, &call).await.map_err(ApiError::input)
}

/// The seed's answer: `{"alert": …, "status": "alert", "verdict": …}` for a call that
/// raised an alert, else `{"status": "processed", "verdict": …}`.
#[derive(Serialize)]
struct SeedAnswer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    alert: Option<Value>,
    status: &'static str,
    verdict: VerdictJson<'a>,
}

async fn seed_event(State(s): State<Shared>, body: Result<Bytes, BytesRejection>) -> Response {
    match judge_body(&s, body).await {
        Ok(v) => {
            let alert = v.new_alerts.first().map(alert_json);
            json_response(&SeedAnswer {
                status: if alert.is_some() {
                    "alert"
                } else {
                    "processed"
                },
                alert,
                verdict: VerdictJson {
                    verdict: &v,
                    new_alerts: false,
                },
            })
        }
        Err(e) => fail(&s, "/event", e),
    }
}

fn fail(s: &AppState, route: &str, e: ApiError) -> Response {
    s.metrics.bad_request(Face::Http, route, e.status.as_str());
    e.into_response()
}

fn check_answer(v: &Verdict) -> Response {
    json_response(&VerdictJson {
        verdict: v,
        new_alerts: true,
    })
}

async fn check_post(State(s): State<Shared>, body: Result<Bytes, BytesRejection>) -> Response {
    match judge_body(&s, body).await {
        Ok(v) => check_answer(&v),
        Err(e) => fail(&s, "/v1/check", e),
    }
}

async fn check_get(
    State(s): State<Shared>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let call = input::call_from_query(&params).map_err(ApiError::input)?;
        s.check(Face::Http, &call).await.map_err(ApiError::input)
    }
    .await;
    match result {
        Ok(v) => check_answer(&v),
        Err(e) => fail(&s, "/v1/check", e),
    }
}

/// A batch's answer: `{"alerts": […], "processed": n, "verdicts": […]}`.
struct BatchAnswer(Vec<Result<Verdict, InputError>>);

impl Serialize for BatchAnswer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Alerts<'a>(&'a [Result<Verdict, InputError>]);
        impl Serialize for Alerts<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(
                    self.0
                        .iter()
                        .flat_map(|r| r.iter().flat_map(|v| v.new_alerts.iter()))
                        .map(alert_json),
                )
            }
        }
        struct Verdicts<'a>(&'a [Result<Verdict, InputError>]);
        impl Serialize for Verdicts<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for r in self.0 {
                    match r {
                        Ok(v) => seq.serialize_element(&VerdictJson {
                            verdict: v,
                            new_alerts: false,
                        })?,
                        // Calls were validated before; the engine re-validates the same way.
                        Err(e) => seq.serialize_element(&json!({
                            "error": "invalid_request", "field": e.field, "reason": e.reason
                        }))?,
                    }
                }
                seq.end()
            }
        }
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("alerts", &Alerts(&self.0))?;
        m.serialize_entry("processed", &self.0.len())?;
        m.serialize_entry("verdicts", &Verdicts(&self.0))?;
        m.end()
    }
}

async fn events_batch(State(s): State<Shared>, body: Result<Bytes, BytesRejection>) -> Response {
    let calls = match body.map_err(ApiError::body).and_then(|b| {
        input::calls_from_body(&b, s.max_batch)
            .map_err(ApiError::json)?
            .map_err(ApiError::input)
    }) {
        Ok(c) => c,
        Err(e) => return fail(&s, "/v1/events", e),
    };
    let mut results = Vec::with_capacity(calls.len());
    for call in &calls {
        results.push(s.check(Face::Http, call).await);
    }
    json_response(&BatchAnswer(results))
}

async fn health(State(s): State<Shared>) -> Response {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "mode": s.mode,
        "store": s.node.detector.store().name(),
        "events": if s.node.has_pipeline() { "clickhouse" } else { "metrics only" },
    }))
    .into_response()
}

async fn metrics(State(s): State<Shared>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics
            .render(&s.node.events.sink().stats(), &s.node.lane_stats()),
    )
        .into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "not_found", "field": "path", "reason": "no such route; see GET /health"})),
    )
        .into_response()
}

/// The router's one middleware (one layer costs a boxed future and a service clone per
/// request): the dashboard's CSRF guard ([`ui::csrf_refusal`]), then [`json_errors`].
async fn front(
    State(s): State<Shared>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(refused) = ui::csrf_refusal(&s, &req) {
        return refused;
    }
    json_errors(req, next).await
}

/// Every error answer is JSON: axum's own (405 on a known path, 413, body rejections) come
/// as plain text or empty, and are rewritten as `{"error": code, "reason": text}`. (A 400, 414
/// or 431 for a request hyper cannot parse is answered before any of this runs: the
/// connection wrapper in `hyper_errors` gives it its JSON body.)
async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    // Kept for a 405's reason: both clone without allocating.
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase()
        .replace([' ', '-'], "_");
    let reason = if !text.is_empty() {
        text
    } else if status == StatusCode::METHOD_NOT_ALLOWED {
        format!(
            "{} does not take {method} (the Allow header lists the methods it takes)",
            uri.path()
        )
    } else {
        status.canonical_reason().unwrap_or("error").to_string()
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    let body = json!({ "error": code, "reason": reason }).to_string();
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// The HTTP routes over a shared state.
pub fn router(state: Shared, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/event", post(seed_event))
        .route("/v1/check", post(check_post).get(check_get))
        .route("/v1/events", post(events_batch))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .merge(admin::routes())
        .merge(alerts::api::routes())
        .merge(ui::routes())
        .fallback(ui::fallback)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), front))
        .with_state(state)
}

/// Runs the service until SIGTERM or SIGINT, then drains in-flight requests.
pub async fn run(cfg: Config, warm_from: Vec<std::path::PathBuf>) -> anyhow_like::Result<()> {
    run_with_path(cfg, warm_from, None).await
}

/// [`run`], with the config file that `POST /v1/admin/reload` reads again.
pub async fn run_with_path(
    cfg: Config,
    warm_from: Vec<std::path::PathBuf>,
    config_path: Option<std::path::PathBuf>,
) -> anyhow_like::Result<()> {
    let mut state = AppState::new(&cfg)?;
    state.config_path = config_path;
    let state = Arc::new(state);
    if !warm_from.is_empty() {
        let (st, c) = (state.clone(), cfg.clone());
        let summary = tokio::task::spawn_blocking(move || st.node.warm_from(&c, &warm_from))
            .await
            .map_err(|e| format!("--warm-from: {e}"))??;
        tracing::info!(
            calls = summary.checked,
            bad_rows = summary.bad_rows,
            "windows and learned levels rebuilt from history"
        );
    }
    state.start_alerts().await;
    let addr: SocketAddr = cfg
        .serve
        .listen
        .parse()
        .map_err(|e| format!("serve.listen: {e}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("serve.listen: cannot bind {addr}: {e}"))?;
    tracing::info!(%addr, mode = state.mode, store = state.node.detector.store().name(), "acm serve listening");
    let grpc = match cfg.grpc.enabled() {
        true => Some(grpc::start(state.clone(), &cfg.grpc).await?),
        false => None,
    };
    let app = router(state.clone(), cfg.serve.max_body_bytes);
    // hyper's own 400/414/431 answers get JSON bodies too (hyper_errors.rs)
    axum::serve(hyper_errors::JsonErrors(listener), app)
        .with_graceful_shutdown({
            let state = state.clone();
            async move {
                shutdown_signal().await;
                let _ = state.alerts.closing.send(true);
            }
        })
        .await
        .map_err(|e| format!("http server: {e}"))?;
    if let Some(grpc) = grpc {
        // Its streams end on the same flag; a call still being answered gets a moment.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), grpc).await;
    }
    // Alerts raised since the feed's last tick reach the lifecycle log.
    state.alerts.flush_feed().await;
    // Flush queued events to ClickHouse (or the spool) before exiting.
    let st = state.clone();
    let stats =
        tokio::task::spawn_blocking(move || st.node.shutdown(std::time::Duration::from_secs(10)))
            .await
            .map_err(|e| format!("pipeline shutdown: {e}"))?;
    if let Some(stats) = stats.filter(|_| state.node.has_pipeline()) {
        tracing::info!(
            inserted_calls = stats.inserted_calls,
            spooled = stats.spooled,
            "events flushed"
        );
    }
    tracing::info!("acm serve stopped");
    Ok(())
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Action;

    /// What answers were built as before (JSON trees, keys in name order).
    fn as_tree(v: &Verdict, with_alerts: bool) -> String {
        let mut out = serde_json::to_value(v).unwrap();
        if with_alerts && !v.new_alerts.is_empty() {
            out["new_alerts"] = v.new_alerts.iter().map(alert_json).collect();
        }
        out.to_string()
    }

    #[test]
    fn verdicts_are_written_as_their_json_trees_were() {
        let mut v = Verdict::new(1_672_531_205_000, "+2348031234567".into(), "+234999".into());
        assert_eq!(
            serde_json::to_string(&VerdictJson {
                verdict: &v,
                new_alerts: true
            })
            .unwrap(),
            as_tree(&v, true)
        );
        v.action = Action::Block;
        v.reasons.insert(Reason::DistinctCallers);
        v.reasons.insert(Reason::InvalidCli);
        v.counts.set(Reason::DistinctCallers, 5);
        v.counts.set(Reason::CliFanout, 2);
        v.alert_id = Some("a-1".into());
        v.new_alerts.push(Alert {
            id: "a-1".into(),
            rule: Reason::DistinctCallers,
            key: "+234999".into(),
            action: Action::Block,
            raised_at_ms: 1_672_531_205_000,
            window_ms: 5_000,
            threshold: 5,
            baseline: Some(1.5),
            count: 5,
            evidence: vec![Default::default()],
        });
        for with_alerts in [false, true] {
            let new = serde_json::to_string(&VerdictJson {
                verdict: &v,
                new_alerts: with_alerts,
            })
            .unwrap();
            assert_eq!(new, as_tree(&v, with_alerts));
        }
        let seed = serde_json::to_string(&SeedAnswer {
            alert: v.new_alerts.first().map(alert_json),
            status: "alert",
            verdict: VerdictJson {
                verdict: &v,
                new_alerts: false,
            },
        })
        .unwrap();
        let old = json!({"status": "alert", "alert": alert_json(&v.new_alerts[0]), "verdict": serde_json::to_value(&v).unwrap()});
        assert_eq!(seed, old.to_string());
        let batch = serde_json::to_string(&BatchAnswer(vec![
            Ok(v.clone()),
            Err(InputError::new("b_number", "is required")),
        ]))
        .unwrap();
        let old = json!({
            "processed": 2,
            "verdicts": [serde_json::to_value(&v).unwrap(),
                {"error": "invalid_request", "field": "b_number", "reason": "is required"}],
            "alerts": [alert_json(&v.new_alerts[0])],
        });
        assert_eq!(batch, old.to_string());
    }
}
