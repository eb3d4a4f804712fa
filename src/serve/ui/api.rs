// SPDX-License-Identifier: MIT OR Apache-2.0
//! The JSON the dashboard reads beyond the alerts (`/v1/alerts`) and lists
//! (`/v1/admin/lists`) APIs; every route needs a viewer (session or bearer):
//! - `GET /ui/api/overview`   who you are, version, mode, what is configured
//! - `GET /ui/api/config`     the config as `acm check-config` prints it, secrets redacted
//! - `GET /ui/api/health`     store, pipeline (queued, spooled, dropped), alert lanes,
//!   alerts held, Kamailio workers' `acm.stats` (through `[teardown] kamailio_rpc`), version
//! - `GET /ui/api/reports`    the reports the page offers and whether ClickHouse is there
//! - `GET /ui/api/reports/{name}?since=&until=`      one report of `src/report` as
//!   `{"columns", "rows"}` (Unix seconds; ClickHouse needed: 409 without it)
//! - `GET /ui/api/reports/{name}.csv?since=&until=`  the same as CSV (a download)
//! - `GET /ui/api/summary?since=&until=`  alerts by rule, status, severity and hour
//!   from the alerts this node holds: what the reports page shows without ClickHouse

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::config::Role;
use crate::serve::alerts::book::Filter;
use crate::serve::auth::Caller;
use crate::serve::Shared;

/// The reports the page offers (the regulator's export is a CLI job: `acm report`).
pub const PAGE_REPORTS: &[&str] = &[
    "hourly",
    "alerts-hourly",
    "alerts-by-rule",
    "alerts-by-status",
    "alert-response",
    "top-targets",
    "top-callers",
    "top-sources",
    "top-ranges",
    "daily-summary",
];

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/ui/api/overview", get(overview))
        .route("/ui/api/config", get(config))
        .route("/ui/api/health", get(health))
        .route("/ui/api/reports", get(reports))
        .route("/ui/api/reports/{name}", get(report))
        .route("/ui/api/summary", get(summary))
}

fn viewer(s: &Shared, headers: &HeaderMap) -> Result<Caller, Box<Response>> {
    s.access
        .check(headers, Role::Viewer, "dashboard API")
        .map_err(|d| Box::new(d.into_response()))
}

fn refuse(status: StatusCode, error: &str, field: &str, reason: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": error, "field": field, "reason": reason.into()})),
    )
        .into_response()
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn overview(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let caller = match viewer(&s, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let cfg = &s.ui.config;
    let rules = serde_json::to_value(&cfg.redacted()["rules"]).unwrap_or(Value::Null);
    no_store(
        Json(json!({
            "caller": {"name": caller.name, "role": caller.role.as_str()},
            "version": env!("CARGO_PKG_VERSION"),
            "mode": s.mode,
            "node": cfg.node(),
            "store": s.node.detector.store().name(),
            "clickhouse": cfg.clickhouse.is_some(),
            "shared_lists": s.node.shared_lists.is_some(),
            "teardown": cfg.teardown.enabled(),
            "rules": rules,
            "severities": serde_json::to_value(&cfg.redacted()["alerts"]["severity"]).unwrap_or(Value::Null),
        }))
        .into_response(),
    )
}

async fn config(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = viewer(&s, &headers) {
        return *r;
    }
    let cfg = &s.ui.config;
    no_store(
        Json(json!({
            "toml": cfg.redacted_toml(),
            "config": serde_json::to_value(cfg.redacted()).unwrap_or(Value::Null),
            "loaded_at": crate::pipeline::webhook::rfc3339(s.ui.started_ms),
            "path": s.config_path.as_ref().map(|p| p.display().to_string()),
        }))
        .into_response(),
    )
}

/// Kamailio's `acm.stats` (every worker's counters) through the teardown JSON-RPC URL.
async fn kamailio_stats(s: &Shared) -> Value {
    let t = &s.ui.config.teardown;
    if !t.enabled() {
        return json!({"configured": false});
    }
    let body = json!({"jsonrpc": "2.0", "method": "acm.stats", "id": 1});
    let answer = crate::pipeline::http::post_json(
        &s.alerts.http,
        &t.kamailio_rpc,
        &[],
        serde_json::to_vec(&body).unwrap_or_default(),
        Duration::from_millis(t.timeout_ms.min(3000)),
    )
    .await;
    match answer {
        Ok(a) if (200..300).contains(&a.status) => {
            let v: Value = serde_json::from_slice(&a.body).unwrap_or(Value::Null);
            match v.get("error") {
                Some(e) => json!({"configured": true, "error": e}),
                None => {
                    json!({"configured": true, "stats": v.get("result").cloned().unwrap_or(Value::Null)})
                }
            }
        }
        Ok(a) => json!({"configured": true, "error": format!("HTTP {}", a.status)}),
        Err(e) => json!({"configured": true, "error": format!("{e:#}")}),
    }
}

async fn health(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = viewer(&s, &headers) {
        return *r;
    }
    let p = s.node.events.sink().stats();
    let store = s.node.detector.store();
    let store_metrics: Vec<Value> = store
        .metrics()
        .iter()
        .map(|m| json!({"name": m.name, "label": m.label.map(|(k, v)| format!("{k}={v}")), "value": m.value, "help": m.help}))
        .collect();
    let dropped = p.dropped_spool_full
        + p.dropped_spool_error
        + p.dropped_corrupt
        + p.dropped_queue_full
        + p.dropped_closed;
    let (_, _, held) = s.alerts.book.list(&Filter {
        limit: 1,
        ..Default::default()
    });
    let now = chrono::Utc::now().timestamp_millis();
    no_store(
        Json(json!({
            "version": env!("CARGO_PKG_VERSION"),
            "mode": s.mode,
            "node": s.ui.config.node(),
            "uptime_s": (now - s.ui.started_ms) / 1000,
            "store": {"name": store.name(), "metrics": store_metrics},
            "pipeline": {
                "destination": if s.node.has_pipeline() { "clickhouse" } else { "metrics only" },
                "queued": p.queue_depth, "spooled": p.spooled, "spool_bytes": p.spool_bytes,
                "dropped": dropped, "inserted_calls": p.inserted_calls,
                "inserted_alerts": p.inserted_alerts, "insert_errors": p.insert_errors,
                "counters": p,
            },
            "lanes": s.node.lane_stats(),
            "alerts": {"held": held, "log": s.alerts.log.name()},
            "sessions": s.access.sessions.len(),
            "kamailio": kamailio_stats(&s).await,
        }))
        .into_response(),
    )
}

async fn reports(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = viewer(&s, &headers) {
        return *r;
    }
    let list: Vec<Value> = crate::report::REPORTS
        .iter()
        .filter(|(n, _, _)| PAGE_REPORTS.contains(n))
        .map(|(n, d, _)| json!({"name": n, "description": d}))
        .collect();
    Json(json!({"clickhouse": s.ui.config.clickhouse.is_some(), "reports": list})).into_response()
}

/// `since`/`until` in Unix seconds (default: the last 24 hours, open-ended).
fn period(q: &BTreeMap<String, String>) -> Result<(u64, u64), Box<Response>> {
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let get = |k: &str, default: u64| -> Result<u64, Box<Response>> {
        match q.get(k) {
            None => Ok(default),
            Some(v) => v.parse::<u64>().map_err(|_| {
                Box::new(refuse(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    k,
                    "Unix seconds",
                ))
            }),
        }
    };
    let since = get("since", now.saturating_sub(86_400))?;
    let until = get("until", crate::report::OPEN_END)?;
    if until <= since || until > crate::report::OPEN_END {
        return Err(Box::new(refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "until",
            "must be after since and by 2100-01-01",
        )));
    }
    Ok((since, until))
}

async fn report(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(r) = viewer(&s, &headers) {
        return *r;
    }
    let (name, csv) = match name.strip_suffix(".csv") {
        Some(n) => (n.to_string(), true),
        None => (name, false),
    };
    if !PAGE_REPORTS.contains(&name.as_str()) {
        return refuse(
            StatusCode::NOT_FOUND,
            "not_found",
            "name",
            format!("no report {name:?}; reports: {}", PAGE_REPORTS.join(", ")),
        );
    }
    let (since, until) = match period(&q) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Some(ch) = s.ui.config.clickhouse.clone() else {
        return refuse(
            StatusCode::CONFLICT,
            "no_clickhouse",
            "clickhouse",
            "reports read ClickHouse: configure [clickhouse] (docs/pipeline.md)",
        );
    };
    let limit = Duration::from_secs(20);
    if csv {
        match tokio::time::timeout(limit, crate::report::csv_bytes(&ch, &name, since, until)).await
        {
            Ok(Ok(body)) => {
                let mut r = body.into_response();
                let h = r.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                );
                if let Ok(v) =
                    HeaderValue::from_str(&format!("attachment; filename=\"acm-{name}.csv\""))
                {
                    h.insert(header::CONTENT_DISPOSITION, v);
                }
                no_store(r)
            }
            Ok(Err(e)) => refuse(
                StatusCode::BAD_GATEWAY,
                "clickhouse",
                "clickhouse",
                format!("{e:#}"),
            ),
            Err(_) => refuse(
                StatusCode::GATEWAY_TIMEOUT,
                "clickhouse",
                "clickhouse",
                "the report took over 20 s",
            ),
        }
    } else {
        match tokio::time::timeout(limit, crate::report::table_json(&ch, &name, since, until)).await
        {
            Ok(Ok(mut v)) => {
                v["name"] = json!(name);
                v["since"] = json!(since);
                v["until"] = json!(until);
                no_store(Json(v).into_response())
            }
            Ok(Err(e)) => refuse(
                StatusCode::BAD_GATEWAY,
                "clickhouse",
                "clickhouse",
                format!("{e:#}"),
            ),
            Err(_) => refuse(
                StatusCode::GATEWAY_TIMEOUT,
                "clickhouse",
                "clickhouse",
                "the report took over 20 s",
            ),
        }
    }
}

async fn summary(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(r) = viewer(&s, &headers) {
        return *r;
    }
    let (since, until) = match period(&q) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let f = Filter {
        since_ms: Some(since as i64 * 1000),
        until_ms: Some((until as i64).saturating_mul(1000)),
        limit: usize::MAX,
        ..Default::default()
    };
    let (alerts, _, held) = s.alerts.book.list(&f);
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_severity: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_hour: BTreeMap<i64, u64> = BTreeMap::new();
    for a in &alerts {
        let key = |f: &str| a[f].as_str().unwrap_or("").to_string();
        *by_rule.entry(key("rule")).or_default() += 1;
        *by_status.entry(key("status")).or_default() += 1;
        *by_severity.entry(key("severity")).or_default() += 1;
        let h = a["raised_at_ms"]
            .as_i64()
            .unwrap_or(0)
            .div_euclid(3_600_000)
            * 3600;
        *by_hour.entry(h).or_default() += 1;
    }
    let hours: Vec<Value> = by_hour.into_iter().map(|(h, n)| json!([h, n])).collect();
    no_store(
        Json(json!({
            "since": since, "until": until, "alerts": alerts.len(), "held": held,
            "by_rule": by_rule, "by_status": by_status, "by_severity": by_severity,
            "by_hour": hours,
        }))
        .into_response(),
    )
}
