// SPDX-License-Identifier: MIT OR Apache-2.0
//! The SOC dashboard that `acm serve` serves at `/`: hand-written HTML, CSS and
//! JavaScript modules from `ui/`, compiled into the binary ([`assets`]), a
//! login that turns an API token into a browser session (`serve::session`),
//! the CSRF guard on every state-changing request made with that session, and
//! the JSON the pages read beyond the alerts and lists APIs ([`api`]: reports
//! from ClickHouse, health, the redacted config).
//!
//! Routes:
//! - `GET /` and the pages' own paths (`/alerts`, `/alerts/{id}`, `/reports`,
//!   `/lists`, `/rules`, `/system`): the app shell (`index.html`); any other GET
//!   that asks for HTML gets it too (the app says "no such page")
//! - `GET /ui/v/{version}/{file}`: the app's files, cached for a year (the
//!   version is a hash of them all); `/sw.js`, `/manifest.webmanifest`
//! - `POST /ui/login` `{"token": "..."}` → session cookie + `{name, role, csrf}`;
//!   `GET /ui/session`; `POST /ui/logout`
//! - `/ui/api/...`: see [`api`]

pub mod api;
pub mod assets;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::session::{self, Session};
use super::{AppState, Shared};
use crate::config::Config;

/// What the dashboard needs beyond the rest of `acm serve`.
pub struct UiState {
    /// The config as loaded at start (reports, health, the config view).
    pub config: Arc<Config>,
    pub assets: assets::Assets,
    pub started_ms: i64,
}

impl UiState {
    pub fn new(cfg: &Config) -> UiState {
        UiState {
            config: Arc::new(cfg.clone()),
            assets: assets::Assets::load(),
            started_ms: chrono::Utc::now().timestamp_millis(),
        }
    }
}

/// The dashboard's routes, merged into the main router.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/", get(assets::shell))
        .route("/ui/v/{version}/{*file}", get(assets::file))
        .route("/sw.js", get(assets::service_worker))
        .route("/manifest.webmanifest", get(assets::manifest))
        .route("/ui/login", post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/session", get(current))
        .merge(api::routes())
}

fn refuse(status: StatusCode, error: &str, field: &str, reason: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "field": field, "reason": reason})),
    )
        .into_response()
}

/// Whether the browser reached us over TLS (a TLS-terminating proxy in front
/// says so); the cookie is then `Secure`.
fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn session_json(s: &Session) -> Value {
    json!({"name": s.name, "role": s.role.as_str(), "csrf": s.csrf,
           "expires_at": crate::pipeline::webhook::rfc3339(s.expires_ms)})
}

async fn login(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if !s.access.is_enabled() {
        return refuse(
            StatusCode::NOT_FOUND,
            "not_found",
            "token",
            "the dashboard's login is disabled: no [[access.tokens]] configured (acm token new)",
        );
    }
    // Only JSON: a cross-site form cannot send it without the browser asking first.
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json_body {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "content-type",
            "must be application/json",
        );
    }
    let token = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("token").and_then(Value::as_str).map(str::to_string));
    let Some(token) = token else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "token",
            "body must be {\"token\": \"...\"}",
        );
    };
    let caller = match s.access.token(token.trim()) {
        Ok(c) => c,
        Err(d) => return refuse(d.status, d.error, "token", &d.reason),
    };
    let (id, sess) = match s.access.sessions.create(&caller.name, caller.role) {
        Ok(x) => x,
        Err(e) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "session",
                &format!("no randomness for a session id: {e}"),
            )
        }
    };
    tracing::info!(actor = %caller.name, role = caller.role.as_str(), "dashboard login");
    let mut r = Json(session_json(&sess)).into_response();
    if let Ok(v) =
        HeaderValue::from_str(&session::set_cookie(&id, over_tls(&headers), session::TTL))
    {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn current(State(s): State<Shared>, headers: HeaderMap) -> Response {
    match s.access.sessions.of_request(&headers) {
        Some(sess) => {
            let mut r = Json(session_json(&sess)).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        None => refuse(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "session",
            "not logged in",
        ),
    }
}

async fn logout(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let had = session::cookie_id(&headers)
        .map(|id| s.access.sessions.remove(&id))
        .unwrap_or(false);
    let mut r = Json(json!({"logged_out": had})).into_response();
    if let Ok(v) = HeaderValue::from_str(&session::clear_cookie(over_tls(&headers))) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// The CSRF guard: a state-changing request that carries a live session cookie
/// (and no `Authorization` header: bearer clients are not browsers holding our
/// cookie) must carry that session's token in `X-CSRF-Token`, else 403.
/// The refusal when the guard refuses the request, else None. (It runs in the
/// router's one middleware, `serve::front`.)
pub fn csrf_refusal(s: &AppState, req: &Request<Body>) -> Option<Response> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = req.headers();
    if !safe && !headers.contains_key(header::AUTHORIZATION) && req.uri().path() != "/ui/login" {
        if let Some(sess) = s.access.sessions.of_request(headers) {
            let given = headers
                .get(session::CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !sess.csrf_matches(given) {
                return Some(refuse(
                    StatusCode::FORBIDDEN,
                    "csrf_failed",
                    session::CSRF_HEADER,
                    "a change made with the dashboard's session needs its X-CSRF-Token",
                ));
            }
        }
    }
    None
}

/// Unknown routes: the app shell for a browser asking for a page, else the JSON 404.
pub async fn fallback(State(s): State<Shared>, method: Method, req: Request<Body>) -> Response {
    let path = req.uri().path();
    let api = ["/v1/", "/ui/", "/event", "/health", "/metrics"]
        .iter()
        .any(|p| path.starts_with(p));
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if (method == Method::GET || method == Method::HEAD) && !api && wants_html {
        return assets::shell_response(&s, req.headers());
    }
    super::not_found().await
}
