// SPDX-License-Identifier: MIT OR Apache-2.0
//! The alerts API of `acm serve` (JSON; refusals name the field):
//! - `GET  /v1/alerts`                  list: status, severity, rule, since, until,
//!   a_number, b_number, limit, cursor (viewer)
//! - `GET  /v1/alerts/stream`           Server-Sent Events: `alert` (raised) and
//!   `change` (status, note, assignment, action); resumable with `Last-Event-ID` (viewer)
//! - `GET  /v1/alerts/{id}`             one alert, its evidence and history (viewer)
//! - `POST /v1/alerts/{id}/status`      `{"status": "...", "note": "..."}` (analyst)
//! - `POST /v1/alerts/{id}/notes`       `{"note": "..."}` (analyst)
//! - `POST /v1/alerts/{id}/assign`      `{"assignee": "..."}` (analyst)
//! - `POST /v1/alerts/{id}/block`       `{"duration_s": N, "target": "a_numbers"|"sources"}` (admin)
//! - `POST /v1/alerts/{id}/disconnect`  ends the alert's calls through Kamailio (admin)

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::{json, Map, Value};

use super::book::{Filter, Status, StreamItem};
use crate::config::{Role, Severity};
use crate::serve::auth::Caller;
use crate::serve::Shared;
use crate::store::shared_lists::validate_entries;
use crate::store::SharedList;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/alerts", get(list))
        .route("/v1/alerts/stream", get(stream_alerts))
        .route("/v1/alerts/{id}", get(one))
        .route("/v1/alerts/{id}/status", post(set_status))
        .route("/v1/alerts/{id}/notes", post(add_note))
        .route("/v1/alerts/{id}/assign", post(assign))
        .route("/v1/alerts/{id}/block", post(block))
        .route("/v1/alerts/{id}/disconnect", post(disconnect))
}

/// A refusal: status and a JSON body naming the field.
/// (status, error, field, reason)
pub struct Refusal(pub StatusCode, pub &'static str, pub String, pub String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(json!({"error": self.1, "field": self.2, "reason": self.3})),
        )
            .into_response()
    }
}

fn bad(field: &str, reason: impl Into<String>) -> Refusal {
    Refusal(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        field.into(),
        reason.into(),
    )
}

fn authorise(s: &Shared, headers: &HeaderMap, need: Role) -> Result<Caller, Box<Response>> {
    s.access
        .check(headers, need, "alerts API")
        .map_err(|d| Box::new(d.into_response()))
}

fn unknown(id: &str) -> Refusal {
    Refusal(
        StatusCode::NOT_FOUND,
        "not_found",
        "id".into(),
        format!("no alert {id:?}"),
    )
}

fn time_param(field: &str, v: &str) -> Result<i64, Refusal> {
    if let Ok(ms) = v.parse::<i64>() {
        return Ok(ms);
    }
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|d| d.timestamp_millis())
        .map_err(|_| {
            bad(
                field,
                format!("{v:?} is not RFC 3339 or epoch milliseconds"),
            )
        })
}

/// The filters of `GET /v1/alerts` (also the gRPC face's `StreamAlerts`).
pub(crate) fn filter_of(params: &[(String, String)]) -> Result<Filter, Refusal> {
    let mut f = Filter {
        limit: 50,
        ..Default::default()
    };
    let many = |v: &str| -> Vec<String> {
        v.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    };
    for (k, v) in params {
        match k.as_str() {
            "status" => {
                for s in many(v) {
                    f.status.push(Status::parse(&s).ok_or_else(|| {
                        bad("status", format!("{s:?}: one of new, investigating, resolved, false_positive"))
                    })?);
                }
            }
            "severity" => {
                for s in many(v) {
                    Severity::parse(&s).ok_or_else(|| {
                        bad("severity", format!("{s:?}: one of low, medium, high, critical"))
                    })?;
                    f.severity.push(s);
                }
            }
            "rule" => f.rule.extend(many(v)),
            "since" => f.since_ms = Some(time_param("since", v)?),
            "until" => f.until_ms = Some(time_param("until", v)?),
            "a_number" => f.a_number = Some(v.trim().to_string()),
            "b_number" => f.b_number = Some(v.trim().to_string()),
            "limit" => {
                f.limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=500).contains(n))
                    .ok_or_else(|| bad("limit", "must be 1-500"))?
            }
            "cursor" => {
                let (t, id) = v
                    .split_once(':')
                    .and_then(|(t, id)| Some((t.parse::<i64>().ok()?, id.to_string())))
                    .ok_or_else(|| bad("cursor", "not a cursor this API gave"))?;
                f.before = Some((t, id));
            }
            other => {
                return Err(bad(
                    other,
                    "unknown parameter; known: status, severity, rule, since, until, a_number, b_number, limit, cursor",
                ))
            }
        }
    }
    Ok(f)
}

async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = authorise(&s, &headers, Role::Viewer) {
        return *r;
    }
    let f = match filter_of(&params) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let (alerts, cursor, held) = s.alerts.book.list(&f);
    Json(json!({"alerts": alerts, "next_cursor": cursor, "held": held})).into_response()
}

async fn one(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = authorise(&s, &headers, Role::Viewer) {
        return *r;
    }
    let Some(state) = s.alerts.book.get(&id) else {
        return unknown(&id).into_response();
    };
    let mut v = state.detail();
    if let Some(ch) = &s.alerts.clickhouse {
        match call_rows(ch, &state.record).await {
            Ok(rows) => v["evidence"]["call_records"] = json!(rows),
            Err(e) => v["evidence"]["call_records_error"] = json!(format!("{e:#}")),
        }
    }
    Json(v).into_response()
}

/// The alert's calls as ClickHouse holds them (source, trunk, verdict).
async fn call_rows(
    ch: &crate::config::PipelineConfig,
    a: &crate::pipeline::AlertRecord,
) -> anyhow::Result<Vec<Value>> {
    if a.call_ids.is_empty() {
        return Ok(Vec::new());
    }
    let quoted: Vec<String> = a
        .call_ids
        .iter()
        .map(|c| format!("'{}'", c.replace('\\', "\\\\").replace('\'', "\\'")))
        .collect();
    let day = a.raised_at_ms.div_euclid(86_400_000);
    let sql = format!(
        "SELECT event_time_ms, call_id, a_number, b_number, source_ip, trunk, action FROM calls \
         WHERE event_date >= toDate({}) AND event_date <= toDate({}) AND call_id IN ({}) \
         ORDER BY event_time_ms LIMIT 1 BY call_id",
        (day - 1).max(0) * 86_400,
        (day + 1) * 86_400,
        quoted.join(",")
    );
    let client = crate::pipeline::client(ch, true);
    let mut cursor = client.query(&sql).fetch_bytes("JSONEachRow")?;
    let body = tokio::time::timeout(Duration::from_secs(5), cursor.collect())
        .await
        .map_err(|_| anyhow::anyhow!("calls lookup timed out"))??;
    body.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| Ok(serde_json::from_slice(l)?))
        .collect()
}

fn object(body: &Bytes) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("body", "must be a JSON object")),
        Err(e) => Err(bad("body", format!("not valid JSON: {e}"))),
    }
}

/// A string field: None when absent, refused when not a string or too long.
fn text(m: &Map<String, Value>, field: &str, max: usize) -> Result<Option<String>, Refusal> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(t))
            if t.chars().count() <= max && !t.chars().any(|c| c.is_control() && c != '\n') =>
        {
            Ok(Some(t.trim().to_string()))
        }
        Some(Value::String(_)) => Err(bad(
            field,
            format!("at most {max} characters, no control characters"),
        )),
        Some(_) => Err(bad(field, "must be a string")),
    }
}

fn only(m: &Map<String, Value>, known: &[&str]) -> Result<(), Refusal> {
    match m.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(bad(
            k,
            format!("unknown field; known: {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

async fn set_status(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let caller = match authorise(&s, &headers, Role::Analyst) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let result = async {
        s.alerts.book.status_of(&id).ok_or_else(|| unknown(&id))?;
        let m = object(&body)?;
        change_status(&s, &caller, &id, &m).await
    }
    .await;
    answer(&s, &id, result)
}

/// A status change asked for by `caller` (`{"status": …, "note": …}`), checked
/// and written: the one way both faces (HTTP, gRPC's `SetAlertStatus`) take.
pub(crate) async fn change_status(
    s: &Shared,
    caller: &Caller,
    id: &str,
    m: &Map<String, Value>,
) -> Result<(), Refusal> {
    let current = s.alerts.book.status_of(id).ok_or_else(|| unknown(id))?;
    only(m, &["status", "note"])?;
    let wanted = text(m, "status", 32)?.ok_or_else(|| bad("status", "required"))?;
    let to = Status::parse(&wanted).ok_or_else(|| {
        bad(
            "status",
            format!("{wanted:?}: one of new, investigating, resolved, false_positive"),
        )
    })?;
    let note = text(m, "note", 4000)?.unwrap_or_default();
    if !current.next().contains(&to) {
        let allowed: Vec<&str> = current.next().iter().map(|s| s.as_str()).collect();
        return Err(Refusal(
            StatusCode::CONFLICT,
            "invalid_transition",
            "status".into(),
            format!(
                "{} → {} is not allowed; from {} only: {}",
                current.as_str(),
                to.as_str(),
                current.as_str(),
                allowed.join(", ")
            ),
        ));
    }
    let mut e = s.alerts.entry(id, "status", &caller.name);
    e.from_status = current.as_str().into();
    e.to_status = to.as_str().into();
    e.note = note;
    write(s, e).await
}

async fn write(s: &Shared, e: crate::pipeline::AlertEventRecord) -> Result<(), Refusal> {
    s.alerts.record(vec![e]).await.map_err(|err| {
        Refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "log_unavailable",
            "log".into(),
            format!("the change was not recorded: {err:#}"),
        )
    })
}

fn answer(s: &Shared, id: &str, r: Result<(), Refusal>) -> Response {
    match r {
        Ok(()) => match s.alerts.book.get(id) {
            Some(state) => Json(state.detail()).into_response(),
            None => unknown(id).into_response(),
        },
        Err(r) => r.into_response(),
    }
}

async fn add_note(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let caller = match authorise(&s, &headers, Role::Analyst) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let result = async {
        s.alerts.book.status_of(&id).ok_or_else(|| unknown(&id))?;
        let m = object(&body)?;
        note_by(&s, &caller, &id, &m).await
    }
    .await;
    answer(&s, &id, result)
}

/// A note added by `caller` (`{"note": …}`): both faces' way (gRPC's `AddAlertNote`).
pub(crate) async fn note_by(
    s: &Shared,
    caller: &Caller,
    id: &str,
    m: &Map<String, Value>,
) -> Result<(), Refusal> {
    s.alerts.book.status_of(id).ok_or_else(|| unknown(id))?;
    only(m, &["note"])?;
    let note = text(m, "note", 4000)?
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad("note", "required, not empty"))?;
    let mut e = s.alerts.entry(id, "note", &caller.name);
    e.note = note;
    write(s, e).await
}

async fn assign(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let caller = match authorise(&s, &headers, Role::Analyst) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let result = async {
        s.alerts.book.get(&id).ok_or_else(|| unknown(&id))?;
        let m = object(&body)?;
        assign_by(&s, &caller, &id, &m).await
    }
    .await;
    answer(&s, &id, result)
}

/// An assignment made by `caller` (`{"assignee": …, "note": …}`): both faces'
/// way (gRPC's `AssignAlert`).
pub(crate) async fn assign_by(
    s: &Shared,
    caller: &Caller,
    id: &str,
    m: &Map<String, Value>,
) -> Result<(), Refusal> {
    let state = s.alerts.book.get(id).ok_or_else(|| unknown(id))?;
    only(m, &["assignee", "note"])?;
    let who =
        text(m, "assignee", 64)?.ok_or_else(|| bad("assignee", "required (\"\" unassigns)"))?;
    let mut e = s.alerts.entry(id, "assign", &caller.name);
    e.from_status = state.assignee;
    e.to_status = who;
    e.note = text(m, "note", 4000)?.unwrap_or_default();
    write(s, e).await
}

async fn block(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let caller = match authorise(&s, &headers, Role::Admin) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let result = async {
        let state = s.alerts.book.get(&id).ok_or_else(|| unknown(&id))?;
        let m = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            object(&body)?
        };
        only(&m, &["duration_s", "target", "note"])?;
        let duration_ms = match m.get("duration_s") {
            None => s.alerts.block_duration_ms,
            Some(v) => v
                .as_u64()
                .filter(|d| (1..=30 * 86_400).contains(d))
                .ok_or_else(|| bad("duration_s", "whole seconds, 1 to 2592000 (30 days)"))?
                .saturating_mul(1000),
        };
        let target = text(&m, "target", 16)?.unwrap_or_else(|| "a_numbers".into());
        let (list, entries) = match target.as_str() {
            "a_numbers" => (SharedList::DenyANumbers, state.record.a_numbers.clone()),
            "sources" => (SharedList::DenySources, state.record.sources.clone()),
            _ => return Err(bad("target", "one of a_numbers, sources")),
        };
        let entries: Vec<String> = entries
            .into_iter()
            .filter(|e| validate_entries(list, std::slice::from_ref(e)).is_ok())
            .collect();
        if entries.is_empty() {
            return Err(bad("target", format!("the alert has no {target} that can be denied")));
        }
        let Some(lists) = s.node.shared_lists.clone() else {
            return Err(Refusal(
                StatusCode::CONFLICT,
                "no_shared_lists",
                "store".into(),
                "blocking needs lists shared by every node (store.kind = \"redis\", or [store] lists_file)".into(),
            ));
        };
        let e2 = entries.clone();
        let changed = tokio::task::spawn_blocking(move || lists.change(list, true, &e2))
            .await
            .map_err(|e| Refusal(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", "store".into(), e.to_string()))?
            .map_err(|e| Refusal(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", "store".into(), e.to_string()))?;
        let mut e = s.alerts.entry(&id, "action", &caller.name);
        e.note = json!({
            "action": "block", "list": list.as_str(), "entries": entries,
            "until_ms": e.at_ms + duration_ms as i64, "added": changed.0,
            "note": text(&m, "note", 4000)?.unwrap_or_default(),
        })
        .to_string();
        write(&s, e).await
    }
    .await;
    answer(&s, &id, result)
}

async fn disconnect(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let caller = match authorise(&s, &headers, Role::Admin) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let result = async {
        let state = s.alerts.book.get(&id).ok_or_else(|| unknown(&id))?;
        if !s.alerts.teardown.enabled() {
            return Err(Refusal(
                StatusCode::CONFLICT,
                "teardown_off",
                "teardown.kamailio_rpc".into(),
                "no Kamailio JSON-RPC configured ([teardown] kamailio_rpc)".into(),
            ));
        }
        let report = crate::pipeline::teardown::end_calls(
            &s.alerts.http,
            &s.alerts.teardown.kamailio_rpc,
            &state.record.call_ids,
            Duration::from_millis(s.alerts.teardown.timeout_ms),
        )
        .await
        .map_err(|e| {
            Refusal(
                StatusCode::BAD_GATEWAY,
                "kamailio_unavailable",
                "teardown.kamailio_rpc".into(),
                format!("{e:#}"),
            )
        })?;
        let mut e = s.alerts.entry(&id, "action", &caller.name);
        e.note =
            json!({"action": "disconnect", "ended": report.ended, "not_found": report.not_found})
                .to_string();
        write(&s, e).await
    }
    .await;
    answer(&s, &id, result)
}

fn sse_event(book: &super::Book, item: &StreamItem) -> Event {
    Event::default()
        .id(book.event_id(item))
        .event(item.event)
        .data(item.data.clone())
}

async fn stream_alerts(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = authorise(&s, &headers, Role::Viewer) {
        return *r;
    }
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let book = s.alerts.book.clone();
    let rx = book.subscribe();
    let (replay, upto) = book.replay_after(last.as_deref());
    let b1 = book.clone();
    let first = stream::iter(
        replay
            .into_iter()
            .map(move |i| Ok::<_, Infallible>(sse_event(&b1, &i))),
    );
    let live = stream::unfold((rx, book), move |(mut rx, book)| async move {
        loop {
            match rx.recv().await {
                Ok(item) if item.seq <= upto => continue,
                Ok(item) => {
                    let ev = sse_event(&book, &item);
                    return Some((Ok::<_, Infallible>(ev), (rx, book)));
                }
                // Too slow a client: end; it resumes with Last-Event-ID.
                Err(_) => return None,
            }
        }
    });
    let mut closing = s.alerts.closing.subscribe();
    let all: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(first.chain(live).take_until(async move {
            let _ = closing.wait_for(|c| *c).await;
        }));
    Sse::new(all)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
