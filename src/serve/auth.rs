// SPDX-License-Identifier: MIT OR Apache-2.0
//! Who may do what on `acm serve`: bearer tokens, each with a role (viewer <
//! analyst < admin), kept in the config as the SHA-256 of the token (never the
//! token). A request's token is hashed and compared in constant time with
//! every configured hash; the matching entry's name is the actor recorded for
//! every change it makes. `serve.admin_token` (the older, plain admin token)
//! still works as an admin named "admin_token"; start-up warns to move it.
//! Refusals are JSON: 401 for a missing or unknown token, 403 for a role too
//! low; with no token configured at all, the protected APIs answer 404.
//! A dashboard session (`serve::session`: a cookie got at `POST /ui/login` by
//! showing a token) stands for that token's name and role when a request has no
//! `Authorization` header.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{Config, Role};

/// A caller that proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

struct Entry {
    name: String,
    role: Role,
    hash: [u8; 32],
}

/// The configured tokens.
pub struct Access {
    entries: Vec<Entry>,
    /// The dashboard's browser sessions.
    pub sessions: super::session::Sessions,
}

/// A refused request.
#[derive(Debug)]
pub struct Denied {
    pub status: StatusCode,
    pub error: &'static str,
    pub reason: String,
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(json!({"error": self.error, "field": "authorization", "reason": self.reason})),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"acm\""),
            );
        }
        r
    }
}

/// The hex SHA-256 of a token, as `[[access.tokens]] sha256` wants it.
pub fn token_hash_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

impl Access {
    pub fn from_config(cfg: &Config) -> Access {
        let mut entries: Vec<Entry> = cfg
            .access
            .tokens
            .iter()
            .filter_map(|t| {
                Some(Entry {
                    name: t.name.clone(),
                    role: t.role,
                    hash: unhex(&t.sha256.to_ascii_lowercase())?,
                })
            })
            .collect();
        if !cfg.serve.admin_token.is_empty() {
            tracing::warn!(
                "serve.admin_token is deprecated: it still works as an admin token named \
                 \"admin_token\"; move it to [[access.tokens]] with sha256 = \"{}\" and role = \"admin\"",
                token_hash_hex(&cfg.serve.admin_token)
            );
            entries.push(Entry {
                name: "admin_token".into(),
                role: Role::Admin,
                hash: Sha256::digest(cfg.serve.admin_token.as_bytes()).into(),
            });
        }
        Access {
            entries,
            sessions: Default::default(),
        }
    }

    pub fn is_enabled(&self) -> bool {
        !self.entries.is_empty()
    }

    /// The caller of a request, if it holds at least `need`.
    pub fn check(&self, headers: &HeaderMap, need: Role, api: &str) -> Result<Caller, Denied> {
        if self.entries.is_empty() {
            return Err(Denied {
                status: StatusCode::NOT_FOUND,
                error: "not_found",
                reason: format!("the {api} is disabled: no [[access.tokens]] configured"),
            });
        }
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        let caller = if given.is_empty() && !headers.contains_key(header::AUTHORIZATION) {
            match self.sessions.of_request(headers) {
                Some(s) => Caller {
                    name: s.name,
                    role: s.role,
                },
                None => {
                    return Err(Denied {
                        status: StatusCode::UNAUTHORIZED,
                        error: "unauthorized",
                        reason: "missing bearer token (Authorization: Bearer <token>)".into(),
                    })
                }
            }
        } else {
            self.token(given)?
        };
        if caller.role < need {
            return Err(Denied {
                status: StatusCode::FORBIDDEN,
                error: "forbidden",
                reason: format!(
                    "{} has role {}; this needs {}",
                    caller.name,
                    caller.role.as_str(),
                    need.as_str()
                ),
            });
        }
        Ok(caller)
    }

    /// Who holds `given` (a token as issued), if anyone.
    pub fn token(&self, given: &str) -> Result<Caller, Denied> {
        if given.is_empty() {
            return Err(Denied {
                status: StatusCode::UNAUTHORIZED,
                error: "unauthorized",
                reason: "missing bearer token (Authorization: Bearer <token>)".into(),
            });
        }
        let hash: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        // Every entry is compared, so the time taken says nothing about which matched.
        let mut found: Option<&Entry> = None;
        for e in &self.entries {
            if bool::from(e.hash.ct_eq(&hash)) {
                found = Some(e);
            }
        }
        let Some(e) = found else {
            return Err(Denied {
                status: StatusCode::UNAUTHORIZED,
                error: "unauthorized",
                reason: "unknown bearer token".into(),
            });
        };
        Ok(Caller {
            name: e.name.clone(),
            role: e.role,
        })
    }
}

/// A new random token (32 bytes from the OS, hex) and its hash.
pub fn new_token() -> std::io::Result<(String, String)> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let token = format!("acm_{token}");
    let hash = token_hash_hex(&token);
    Ok((token, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        h
    }

    #[test]
    fn roles_and_refusals() {
        let mut cfg = Config::default();
        for (name, role, token) in [("v", Role::Viewer, "tv"), ("a", Role::Analyst, "ta")] {
            cfg.access.tokens.push(crate::config::TokenConfig {
                name: name.into(),
                role,
                sha256: token_hash_hex(token),
            });
        }
        cfg.serve.admin_token = "legacy".into();
        let access = Access::from_config(&cfg);
        assert_eq!(
            access
                .check(&headers("tv"), Role::Viewer, "x")
                .unwrap()
                .name,
            "v"
        );
        assert_eq!(
            access
                .check(&headers("tv"), Role::Analyst, "x")
                .err()
                .unwrap()
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            access
                .check(&headers("ta"), Role::Analyst, "x")
                .unwrap()
                .name,
            "a"
        );
        assert_eq!(
            access
                .check(&headers("legacy"), Role::Admin, "x")
                .unwrap()
                .name,
            "admin_token"
        );
        assert_eq!(
            access
                .check(&headers("nope"), Role::Viewer, "x")
                .err()
                .unwrap()
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            access
                .check(&HeaderMap::new(), Role::Viewer, "x")
                .err()
                .unwrap()
                .status,
            StatusCode::UNAUTHORIZED
        );
        let none = Access::from_config(&Config::default());
        assert_eq!(
            none.check(&headers("tv"), Role::Viewer, "x")
                .err()
                .unwrap()
                .status,
            StatusCode::NOT_FOUND
        );
        let (t, h) = new_token().unwrap();
        assert_eq!(token_hash_hex(&t), h);
        assert!(t.len() > 64);
    }
}
