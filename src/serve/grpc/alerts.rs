// SPDX-License-Identifier: MIT OR Apache-2.0
//! `StreamAlerts`, `SetAlertStatus`, `AddAlertNote` and `AssignAlert`: the
//! HTTP alerts API's stream and triage, through the same code (its filter
//! parser, its book, its status change, note and assignment), answered as
//! gRPC messages.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::stream::{self, Stream, StreamExt};
use serde_json::{Map, Value};
use tonic::Status;

use super::{convert, proto};
use crate::serve::alerts::api::{self, Refusal};
use crate::serve::alerts::book::{Book, Filter, StreamItem};
use crate::serve::auth::Caller;
use crate::serve::Shared;

pub type Events = Pin<Box<dyn Stream<Item = Result<proto::AlertEvent, Status>> + Send>>;

/// An HTTP refusal as a gRPC status (the message names the field).
fn status(r: Refusal) -> Status {
    let msg = format!("{}: {}", r.2, r.3);
    match r.0.as_u16() {
        400 => Status::invalid_argument(msg),
        401 => Status::unauthenticated(msg),
        403 => Status::permission_denied(msg),
        404 => Status::not_found(msg),
        409 => Status::failed_precondition(msg),
        _ => Status::unavailable(msg),
    }
}

/// The request's filters as GET /v1/alerts's parameters, read by its parser.
fn filter(r: &proto::StreamAlertsRequest) -> Result<Filter, Status> {
    let mut params = Vec::new();
    for (k, v) in [
        ("status", &r.status),
        ("severity", &r.severity),
        ("rule", &r.rule),
    ] {
        if !v.is_empty() {
            params.push((k.to_string(), v.join(",")));
        }
    }
    for (k, v) in [
        ("since", &r.since),
        ("until", &r.until),
        ("a_number", &r.a_number),
        ("b_number", &r.b_number),
    ] {
        if !v.is_empty() {
            params.push((k.to_string(), v.clone()));
        }
    }
    api::filter_of(&params).map_err(status)
}

/// The item as a message, if its alert passes the filter.
fn event(book: &Book, filter: &Filter, all: bool, item: &StreamItem) -> Option<proto::AlertEvent> {
    use proto::alert_event::Item;
    let data: Value = serde_json::from_str(&item.data).ok()?;
    let id = data["id"].as_str().or(data["alert_id"].as_str())?;
    if !all && !book.get(id).is_some_and(|s| filter.passes(&s)) {
        return None;
    }
    let it = if item.event == "alert" {
        Item::Alert(convert::summary(&data))
    } else {
        Item::Change(convert::change(&data))
    };
    Some(proto::AlertEvent {
        id: book.event_id(item),
        event: item.event.to_string(),
        item: Some(it),
    })
}

pub fn stream(s: &Shared, r: &proto::StreamAlertsRequest) -> Result<Events, Status> {
    let f = filter(r)?;
    let all = r.status.is_empty()
        && r.severity.is_empty()
        && r.rule.is_empty()
        && r.since.is_empty()
        && r.until.is_empty()
        && r.a_number.is_empty()
        && r.b_number.is_empty();
    let book = s.alerts.book.clone();
    // Subscribed before the replay is taken: nothing falls between the two.
    let rx = book.subscribe();
    let last = Some(r.last_event_id.as_str()).filter(|l| !l.is_empty());
    let (replay, upto) = book.replay_after(last);
    let f = Arc::new(f);
    let (b1, f1) = (book.clone(), f.clone());
    let first = stream::iter(
        replay
            .into_iter()
            .filter_map(move |i| event(&b1, &f1, all, &i).map(Ok)),
    );
    let live = stream::unfold((rx, book, f), move |(mut rx, book, f)| async move {
        loop {
            match rx.recv().await {
                Ok(item) if item.seq <= upto => continue,
                Ok(item) => {
                    if let Some(e) = event(&book, &f, all, &item) {
                        return Some((Ok(e), (rx, book, f)));
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    let e = Status::aborted(format!(
                        "the client fell {n} events behind; resume with last_event_id"
                    ));
                    return Some((Err(e), (rx, book, f)));
                }
                Err(_) => return None,
            }
        }
    });
    // An error (a lagging client) ends the call: tonic sends it as the status.
    let mut closing = s.alerts.closing.subscribe();
    Ok(Box::pin(first.chain(live).take_until(async move {
        let _ = closing.wait_for(|c| *c).await;
    })))
}

/// The fields of a request as the HTTP body's object (an empty optional
/// string left out, as HTTP's clients leave it out).
fn body(required: &[(&str, &str)], optional: &[(&str, &str)]) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in required {
        m.insert(k.to_string(), Value::String(v.to_string()));
    }
    for (k, v) in optional.iter().filter(|(_, v)| !v.is_empty()) {
        m.insert(k.to_string(), Value::String(v.to_string()));
    }
    m
}

/// The alert after a change, as GET /v1/alerts lists it.
fn after(s: &Shared, id: &str) -> Result<proto::AlertSummary, Status> {
    let state = s
        .alerts
        .book
        .get(id)
        .ok_or_else(|| Status::not_found(format!("id: no alert {id:?}")))?;
    Ok(convert::summary(&state.summary()))
}

pub async fn set_status(
    s: &Shared,
    caller: &Caller,
    r: &proto::SetAlertStatusRequest,
) -> Result<proto::AlertSummary, Status> {
    let m = body(&[("status", &r.status)], &[("note", &r.note)]);
    api::change_status(s, caller, &r.id, &m)
        .await
        .map_err(status)?;
    after(s, &r.id)
}

pub async fn add_note(
    s: &Shared,
    caller: &Caller,
    r: &proto::AddAlertNoteRequest,
) -> Result<proto::AlertSummary, Status> {
    let m = body(&[("note", &r.note)], &[]);
    api::note_by(s, caller, &r.id, &m).await.map_err(status)?;
    after(s, &r.id)
}

pub async fn assign(
    s: &Shared,
    caller: &Caller,
    r: &proto::AssignAlertRequest,
) -> Result<proto::AlertSummary, Status> {
    let m = body(&[("assignee", &r.assignee)], &[("note", &r.note)]);
    api::assign_by(s, caller, &r.id, &m).await.map_err(status)?;
    after(s, &r.id)
}
