//! `acm serve`: the detection engine over HTTP, for switches that cannot load
//! the module, for CDR feeds and for the seed's quick start.
//!
//! Routes:
//! - `POST /event`        the seed's API: `{"status":"processed"}` or `{"status":"alert",...}`
//! - `POST /v1/check`     one call → verdict (`GET` with query parameters too)
//! - `POST /v1/events`    a bounded batch of calls → verdicts
//! - `GET /health`, `GET /metrics` (Prometheus text)
//! - `/v1/admin/lists/...` the shared allow/deny lists (redis store, bearer token; see [`admin`])
//!
//! Refused requests answer 400/413 with `{"error":…, "field":…, "reason":…}`
//! and change no state.

pub mod admin;
pub mod input;
pub mod metrics;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::clock::SystemClock;
use crate::config::Config;
use crate::engine::call::InputError;
use crate::engine::{Alert, Call, Engine, Verdict};
use crate::events::EventOut;
use crate::pipeline::Pipeline;
use crate::store::{AsyncRedisStore, MemoryStore, MemoryStoreConfig, StoreAnswer, WindowStore};
pub use metrics::Metrics;

/// The window store behind `acm serve`.
pub enum ServeStore {
    Memory(Arc<MemoryStore>),
    /// Shared windows on a Redis-protocol server. Built inside the tokio runtime.
    Redis(Arc<AsyncRedisStore>),
}

impl ServeStore {
    pub fn from_config(cfg: &Config) -> anyhow_like::Result<ServeStore> {
        match cfg.store.kind {
            crate::config::StoreKind::Memory => Ok(ServeStore::Memory(Arc::new(MemoryStore::new(
                MemoryStoreConfig {
                    max_keys: cfg.store.max_keys,
                    max_members_per_key: cfg.store.max_members_per_key,
                },
            )))),
            crate::config::StoreKind::Redis => AsyncRedisStore::from_config(&cfg.store)
                .map(|r| ServeStore::Redis(Arc::new(r)))
                .map_err(|e| format!("store.url: {e}")),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            ServeStore::Memory(m) => m.name(),
            ServeStore::Redis(_) => "redis",
        }
    }

    async fn judge(&self, engine: &Engine, call: &Call) -> Result<Verdict, InputError> {
        let p = engine.prepare(call)?;
        let answer = if p.store_free() {
            Ok(StoreAnswer::default())
        } else {
            match self {
                ServeStore::Memory(m) => m.apply(&p.request),
                ServeStore::Redis(r) => r.apply(&p.request).await,
            }
        };
        let v = engine.conclude(p, answer);
        if !v.new_alerts.is_empty() {
            let blocks = engine.blocks_for(&v);
            if !blocks.is_empty() {
                let r = match self {
                    ServeStore::Memory(m) => m.add_blocks(&blocks),
                    ServeStore::Redis(r) => r.add_blocks(&blocks).await,
                };
                if let Err(e) = r {
                    tracing::warn!(error = %e, "could not record auto-blocks");
                }
            }
        }
        Ok(v)
    }
}

/// Small string error for start-up failures.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, String>;
}

/// Everything a request handler needs.
pub struct AppState {
    pub engine: Arc<Engine>,
    pub store: ServeStore,
    pub metrics: Metrics,
    pub events: EventOut,
    /// Taken at shutdown to flush queued events.
    pub pipeline: parking_lot::Mutex<Option<Pipeline>>,
    pub max_batch: usize,
    pub mode: &'static str,
    /// Bearer token of the admin API; `None` disables it.
    pub admin_token: Option<String>,
}

impl AppState {
    pub fn new(cfg: &Config) -> anyhow_like::Result<AppState> {
        let engine = Engine::from_config(cfg, Arc::new(SystemClock)).map_err(|e| e.to_string())?;
        let pipeline = EventOut::start_pipeline(cfg)?;
        Ok(AppState {
            engine: Arc::new(engine),
            store: ServeStore::from_config(cfg)?,
            metrics: Metrics::new(),
            events: EventOut::new(pipeline.sink(), cfg),
            pipeline: parking_lot::Mutex::new(Some(pipeline)),
            max_batch: cfg.serve.max_batch_events,
            mode: cfg.mode.as_str(),
            admin_token: Some(cfg.serve.admin_token.clone()).filter(|t| !t.is_empty()),
        })
    }

    async fn check(&self, call: &Call) -> Result<Verdict, InputError> {
        let started = Instant::now();
        let v = self.store.judge(&self.engine, call).await?;
        let elapsed = started.elapsed();
        self.metrics.record(&v, elapsed.as_secs_f64());
        self.events
            .submit(call, &v, elapsed.as_micros().min(u32::MAX as u128) as u32);
        for a in &v.new_alerts {
            tracing::warn!(alert = %a.id, rule = a.rule.code(), key = %a.key, count = a.count, action = a.action.as_str(), "alert raised");
        }
        Ok(v)
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

fn parse_body(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = body.map_err(ApiError::body)?;
    serde_json::from_slice(&bytes).map_err(ApiError::json)
}

/// The verdict as the API shows it.
pub fn verdict_json(v: &Verdict) -> Value {
    json!({
        "action": v.action.as_str(),
        "reasons": v.reasons,
        "alert_id": v.alert_id,
        "distinct_callers": v.distinct_callers,
        "cli_calls": v.cli_calls,
        "rotation_clis": v.rotation_clis,
        "a_number": v.a_number,
        "b_number": v.b_number,
        "time_ms": v.time_ms,
    })
}

fn alert_json(a: &Alert) -> Value {
    let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        let t = chrono::DateTime::from_timestamp_millis(a.raised_at_ms).map(|d| d.to_rfc3339());
        m.insert("raised_at".into(), json!(t));
    }
    v
}

type Shared = Arc<AppState>;

/// Reads one call from a JSON body and judges it.
async fn judge_body(
    s: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<Verdict, ApiError> {
    let v = parse_body(body)?;
    let call = input::call_from_json(&v).map_err(ApiError::input)?;
    s.check(&call).await.map_err(ApiError::input)
}

async fn seed_event(State(s): State<Shared>, body: Result<Bytes, BytesRejection>) -> Response {
    match judge_body(&s, body).await {
        Ok(v) => {
            let mut out = match v.new_alerts.first() {
                Some(a) => json!({"status": "alert", "alert": alert_json(a)}),
                None => json!({"status": "processed"}),
            };
            out["verdict"] = verdict_json(&v);
            Json(out).into_response()
        }
        Err(e) => fail(&s, "/event", e),
    }
}

fn fail(s: &AppState, route: &str, e: ApiError) -> Response {
    s.metrics.bad_request(route, e.status.as_u16());
    e.into_response()
}

fn check_answer(v: &Verdict) -> Value {
    let mut out = verdict_json(v);
    if !v.new_alerts.is_empty() {
        out["new_alerts"] = v.new_alerts.iter().map(alert_json).collect();
    }
    out
}

async fn check_post(State(s): State<Shared>, body: Result<Bytes, BytesRejection>) -> Response {
    match judge_body(&s, body).await {
        Ok(v) => Json(check_answer(&v)).into_response(),
        Err(e) => fail(&s, "/v1/check", e),
    }
}

async fn check_get(
    State(s): State<Shared>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let call = input::call_from_query(&params).map_err(ApiError::input)?;
        s.check(&call).await.map_err(ApiError::input)
    }
    .await;
    match result {
        Ok(v) => Json(check_answer(&v)).into_response(),
        Err(e) => fail(&s, "/v1/check", e),
    }
}

async fn events_batch(State(s): State<Shared>, body: Result<Bytes, BytesRejection>) -> Response {
    let calls = match parse_body(body)
        .and_then(|v| input::calls_from_batch(&v, s.max_batch).map_err(ApiError::input))
    {
        Ok(c) => c,
        Err(e) => return fail(&s, "/v1/events", e),
    };
    let mut results = Vec::with_capacity(calls.len());
    let mut alerts = Vec::new();
    for call in &calls {
        match s.check(call).await {
            Ok(v) => {
                alerts.extend(v.new_alerts.iter().map(alert_json));
                results.push(verdict_json(&v));
            }
            // Calls were validated above; the engine re-validates the same way.
            Err(e) => results
                .push(json!({"error": "invalid_request", "field": e.field, "reason": e.reason})),
        }
    }
    Json(json!({"processed": results.len(), "verdicts": results, "alerts": alerts})).into_response()
}

async fn health(State(s): State<Shared>) -> Response {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "mode": s.mode,
        "store": s.store.name(),
        "events": if s.events.sink().is_enabled() { "clickhouse" } else { "metrics only" },
    }))
    .into_response()
}

async fn metrics(State(s): State<Shared>) -> Response {
    match &s.store {
        ServeStore::Memory(m) => s.metrics.sync_memory(m.stats()),
        ServeStore::Redis(r) => {
            let open = r.breaker_state() != crate::store::redis::BreakerState::Closed;
            s.metrics.sync_redis(r.stats(), open);
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render(&s.events.sink().stats()),
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

/// The HTTP routes over a shared state.
pub fn router(state: Shared, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/event", post(seed_event))
        .route("/v1/check", post(check_post).get(check_get))
        .route("/v1/events", post(events_batch))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .merge(admin::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

/// Runs the service until SIGTERM or SIGINT, then drains in-flight requests.
pub async fn run(cfg: Config) -> anyhow_like::Result<()> {
    let state = Arc::new(AppState::new(&cfg)?);
    let addr: SocketAddr = cfg
        .serve
        .listen
        .parse()
        .map_err(|e| format!("serve.listen: {e}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("serve.listen: cannot bind {addr}: {e}"))?;
    tracing::info!(%addr, mode = state.mode, store = state.store.name(), "acm serve listening");
    if let ServeStore::Redis(r) = &state.store {
        // Keep this node's allow/deny lists in step with the shared ones.
        let every = std::time::Duration::from_millis(cfg.store.lists_poll_ms);
        tokio::spawn(
            r.clone()
                .follow_lists(state.engine.clone(), cfg.lists.clone(), every),
        );
    }
    let app = router(state.clone(), cfg.serve.max_body_bytes);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("http server: {e}"))?;
    // Flush queued events to ClickHouse (or the spool) before exiting.
    let pipeline = state.pipeline.lock().take();
    if let Some(mut p) = pipeline {
        let stats =
            tokio::task::spawn_blocking(move || p.shutdown(std::time::Duration::from_secs(10)))
                .await
                .map_err(|e| format!("pipeline shutdown: {e}"))?;
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
