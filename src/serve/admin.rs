// SPDX-License-Identifier: MIT OR Apache-2.0
//! The admin API of `acm serve`: the allow/deny lists shared through the store.
//!
//! Routes (all under `/v1/admin`, JSON in and out):
//! - `GET    /v1/admin/lists`         every shared list and the lists version
//! - `GET    /v1/admin/lists/{name}`  one list (`allow_b_numbers`, `deny_a_numbers`, ...)
//! - `POST   /v1/admin/lists/{name}`  `{"entries": [...]}` adds entries
//! - `DELETE /v1/admin/lists/{name}`  `{"entries": [...]}` removes entries
//! - `POST   /v1/admin/reload`        reads the config file again: rules and lists
//!   change at once (store, pipeline and access settings at the next start); a bad
//!   file answers 400 naming the key and changes nothing
//!
//! Every request needs `Authorization: Bearer <token>` of an admin (see
//! `serve::auth`; `serve.admin_token` still counts as one). With no token
//! configured the whole API answers 404, as if it did not exist; a wrong or
//! missing token answers 401, a token of a lower role 403. Lists are shared
//! through the Redis store, or through `store.lists_file` on one host (409
//! with neither). Changes reach every process within `store.lists_poll_ms`:
//! each polls the lists version and swaps its local lists (`node::lists`); the
//! config file's `[lists]` always stay in force.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::Shared;
use crate::config::Role;
use crate::store::shared_lists::validate_entries;
use crate::store::{SharedList, SharedLists, StoreError};

/// The admin routes, merged into the main router.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/admin/lists", get(all_lists))
        .route(
            "/v1/admin/lists/{name}",
            get(one_list).post(add).delete(remove),
        )
        .route("/v1/admin/reload", post(reload))
}

async fn reload(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let caller = match s.access.check(&headers, Role::Admin, "admin API") {
        Ok(c) => c,
        Err(d) => return d.into_response(),
    };
    let loaded = crate::config::Config::load(s.config_path.as_deref());
    let result = loaded
        .map_err(|e| (e.key.clone(), e.reason.clone()))
        .and_then(|cfg| s.node.reload(&cfg).map_err(|e| ("rules".to_string(), e)));
    match result {
        Ok(()) => {
            tracing::warn!(actor = %caller.name, "config reloaded");
            Json(json!({"reloaded": true, "actor": caller.name})).into_response()
        }
        Err((field, reason)) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_config", "field": field, "reason": reason})),
        )
            .into_response(),
    }
}

/// A refused admin request: status, error code and reason.
struct Refusal {
    status: StatusCode,
    error: &'static str,
    reason: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.error, "reason": self.reason})),
        )
            .into_response()
    }
}

fn error(status: StatusCode, error: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal {
        status,
        error,
        reason: reason.into(),
    }
}

/// The shared lists to use, or the answer refusing the request.
fn authorise(s: &Shared, headers: &HeaderMap) -> Result<Arc<dyn SharedLists>, Refusal> {
    if let Err(d) = s.access.check(headers, Role::Admin, "admin API") {
        return Err(Refusal {
            status: d.status,
            error: d.error,
            reason: d.reason,
        });
    }
    match &s.node.shared_lists {
        Some(l) => Ok(l.clone()),
        None => Err(error(
            StatusCode::CONFLICT,
            "no_shared_store",
            "shared lists need store.kind = \"redis\" or a store.lists_file",
        )),
    }
}

/// Runs a blocking call on the shared lists off the async workers.
async fn blocking<T: Send + 'static>(
    lists: Arc<dyn SharedLists>,
    f: impl FnOnce(&dyn SharedLists) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(move || f(&*lists))
        .await
        .unwrap_or_else(|e| Err(StoreError::Unavailable(format!("lists task: {e}"))))
}

fn store_failure(e: StoreError) -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "store_unavailable",
        e.to_string(),
    )
    .into_response()
}

fn list_name(name: &str) -> Result<SharedList, Refusal> {
    SharedList::parse(name).ok_or_else(|| {
        let names: Vec<&str> = SharedList::ALL.iter().map(|l| l.as_str()).collect();
        error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no list {name:?}; lists: {}", names.join(", ")),
        )
    })
}

fn entries_of(body: &Bytes) -> Result<Vec<String>, Refusal> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("body: {e}"),
        )
    })?;
    let Some(items) = v.get("entries").and_then(Value::as_array) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "body must be {\"entries\": [\"...\"]}",
        ));
    };
    if items.len() > 10_000 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "at most 10000 entries per request",
        ));
    }
    items
        .iter()
        .map(|i| {
            i.as_str().map(|s| s.trim().to_string()).ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "entries must be strings",
                )
            })
        })
        .collect()
}

fn lists_json(l: &crate::config::ListsConfig) -> Value {
    json!({
        "allow_b_numbers": l.allow_b_numbers,
        "allow_a_numbers": l.allow_a_numbers,
        "allow_sources": l.allow_sources,
        "allow_trunks": l.allow_trunks,
        "deny_a_numbers": l.deny_a_numbers,
        "deny_sources": l.deny_sources,
        "deny_trunks": l.deny_trunks,
    })
}

async fn all_lists(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let store = match authorise(&s, &headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    match blocking(store, |l| l.snapshot()).await {
        Ok((version, lists)) => {
            Json(json!({"version": version, "lists": lists_json(&lists)})).into_response()
        }
        Err(e) => store_failure(e),
    }
}

async fn one_list(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let (store, list) = match authorise(&s, &headers).and_then(|r| Ok((r, list_name(&name)?))) {
        Ok(x) => x,
        Err(refusal) => return refusal.into_response(),
    };
    match blocking(store, |l| l.snapshot()).await {
        Ok((version, lists)) => {
            let all = lists_json(&lists);
            Json(json!({"version": version, "list": list.as_str(), "entries": all[list.as_str()]}))
                .into_response()
        }
        Err(e) => store_failure(e),
    }
}

async fn change(s: Shared, headers: HeaderMap, name: String, body: Bytes, add: bool) -> Response {
    let (store, list, entries) = match authorise(&s, &headers)
        .and_then(|r| Ok((r, list_name(&name)?, entries_of(&body)?)))
    {
        Ok(x) => x,
        Err(refusal) => return refusal.into_response(),
    };
    let checked = if add {
        validate_entries(list, &entries)
    } else if entries.is_empty() {
        Err(StoreError::Protocol("no entries".into()))
    } else {
        Ok(())
    };
    if let Err(e) = checked {
        let reason = match e {
            StoreError::Protocol(r) => r,
            e => e.to_string(),
        };
        return error(StatusCode::BAD_REQUEST, "invalid_request", reason).into_response();
    }
    let r = blocking(store, move |l| l.change(list, add, &entries)).await;
    match r {
        Ok((changed, version)) => {
            tracing::info!(
                list = list.as_str(),
                add,
                changed,
                version,
                "shared list changed"
            );
            Json(json!({"list": list.as_str(), "changed": changed, "version": version}))
                .into_response()
        }
        Err(e) => store_failure(e),
    }
}

async fn add(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    change(s, headers, name, body, true).await
}

async fn remove(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    change(s, headers, name, body, false).await
}
