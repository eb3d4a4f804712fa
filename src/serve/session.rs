// SPDX-License-Identifier: MIT OR Apache-2.0
//! Browser sessions of the dashboard: `POST /ui/login` exchanges an API token
//! (`[[access.tokens]]`) for a random session id in an HttpOnly, SameSite=Strict
//! cookie; the server keeps a bounded table of sessions (by the SHA-256 of the
//! id, never the id), each with the token's name and role, an expiry and a
//! synchronizer CSRF token that every state-changing request made with the
//! cookie must echo in `X-CSRF-Token` (checked by [`super::ui::csrf_refusal`]).
//! Bearer-token clients never touch any of this.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::{header, HeaderMap};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::Role;

/// The cookie's name.
pub const COOKIE: &str = "acm_session";
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts from login (a working shift and some).
pub const TTL: Duration = Duration::from_secs(12 * 3600);
/// Most sessions held; the one closest to expiry gives way to a new login.
pub const MAX_SESSIONS: usize = 10_000;

/// One logged-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub name: String,
    pub role: Role,
    pub csrf: String,
    pub expires_ms: i64,
}

/// The server-side session table.
pub struct Sessions {
    /// By the id's hash: (the order of creation, the session).
    inner: Mutex<HashMap<[u8; 32], (u64, Session)>>,
    created: std::sync::atomic::AtomicU64,
    max: usize,
    ttl_ms: i64,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions::new(MAX_SESSIONS, TTL)
    }
}

/// `n` random bytes from the OS, hex.
pub fn random_hex(n: usize) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = vec![0u8; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The session id in a request's `Cookie` header, if any.
pub fn cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl Sessions {
    pub fn new(max: usize, ttl: Duration) -> Sessions {
        Sessions {
            inner: Mutex::new(HashMap::new()),
            created: Default::default(),
            max: max.max(1),
            ttl_ms: ttl.as_millis() as i64,
        }
    }

    /// A new session for `name`/`role`: (cookie id, session).
    pub fn create(&self, name: &str, role: Role) -> std::io::Result<(String, Session)> {
        let id = random_hex(32)?;
        let session = Session {
            name: name.to_string(),
            role,
            csrf: random_hex(32)?,
            expires_ms: now_ms() + self.ttl_ms,
        };
        let order = self
            .created
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut inner = self.inner.lock();
        if inner.len() >= self.max {
            let now = now_ms();
            inner.retain(|_, (_, s)| s.expires_ms > now);
        }
        if inner.len() >= self.max {
            // The nearest to expiry; of equals (one millisecond), the first created.
            let soonest = inner
                .iter()
                .min_by_key(|(_, (n, s))| (s.expires_ms, *n))
                .map(|(k, _)| *k);
            if let Some(k) = soonest {
                inner.remove(&k);
            }
        }
        inner.insert(key(&id), (order, session.clone()));
        Ok((id, session))
    }

    /// The live session a cookie id names (an expired one is removed).
    pub fn get(&self, id: &str) -> Option<Session> {
        let k = key(id);
        let mut inner = self.inner.lock();
        match inner.get(&k) {
            Some((_, s)) if s.expires_ms > now_ms() => Some(s.clone()),
            Some(_) => {
                inner.remove(&k);
                None
            }
            None => None,
        }
    }

    /// The session of a request's cookie.
    pub fn of_request(&self, headers: &HeaderMap) -> Option<Session> {
        self.get(&cookie_id(headers)?)
    }

    /// Ends a session; true when there was one.
    pub fn remove(&self, id: &str) -> bool {
        self.inner.lock().remove(&key(id)).is_some()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Session {
    /// Whether `given` is this session's CSRF token (constant time).
    pub fn csrf_matches(&self, given: &str) -> bool {
        given.len() == self.csrf.len() && bool::from(given.as_bytes().ct_eq(self.csrf.as_bytes()))
    }
}

/// The `Set-Cookie` value of a new session (`secure` when the browser reached us over TLS).
pub fn set_cookie(id: &str, secure: bool, ttl: Duration) -> String {
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        ttl.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that clears the cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_are_bounded_and_check_csrf() {
        let s = Sessions::new(2, Duration::from_secs(60));
        let (a, sa) = s.create("ann", Role::Analyst).unwrap();
        assert_eq!(s.get(&a).unwrap().name, "ann");
        assert!(sa.csrf_matches(&sa.csrf));
        assert!(!sa.csrf_matches("nope"));
        assert!(!sa.csrf_matches(&sa.csrf[..63]));
        let (b, _) = s.create("bob", Role::Viewer).unwrap();
        let (c, _) = s.create("cy", Role::Admin).unwrap();
        assert_eq!(s.len(), 2, "bounded");
        assert!(s.get(&a).is_none(), "the oldest gave way");
        assert!(s.get(&b).is_some() && s.get(&c).is_some());
        assert!(s.remove(&b));
        assert!(s.get(&b).is_none());
        let short = Sessions::new(10, Duration::from_millis(0));
        let (d, _) = short.create("d", Role::Viewer).unwrap();
        assert!(short.get(&d).is_none(), "expired");
        assert_eq!(short.len(), 0);
    }

    #[test]
    fn cookie_parsing() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; acm_session=abc ; b=2".parse().unwrap(),
        );
        assert_eq!(cookie_id(&h).as_deref(), Some("abc"));
        h.insert(header::COOKIE, "acm_session=".parse().unwrap());
        assert_eq!(cookie_id(&h), None);
        assert!(set_cookie("x", true, TTL).contains("HttpOnly; SameSite=Strict"));
        assert!(set_cookie("x", true, TTL).ends_with("; Secure"));
        assert!(!set_cookie("x", false, TTL).contains("Secure"));
    }
}
