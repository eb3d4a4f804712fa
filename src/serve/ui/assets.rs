// SPDX-License-Identifier: MIT OR Apache-2.0
//! The dashboard's files, compiled into the binary: `build.rs` writes a table of
//! `include_bytes!` entries for everything under `ui/` (no crate needed for 30
//! lines, and the files are plain: no bundler, no Node). At start each file is
//! gzipped once when that makes it smaller (flate2, already a dependency), and
//! all of them are hashed into one version. The app's files are served under
//! `/ui/v/{version}/...` with a year's `immutable` cache; the shell
//! (`index.html`), the service worker and the manifest are revalidated on every
//! load (`no-cache` + ETag) and name the version, so a new binary's files are
//! fetched once and old ones never mix with new ones.

use std::collections::HashMap;
use std::io::Write;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::serve::Shared;

mod table {
    include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));
}

/// Where the shell, the service worker and the manifest name the version.
const VERSION_MARK: &str = "{{VERSION}}";

/// The shell's Content-Security-Policy: nothing but this origin, no inline script.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; manifest-src 'self'; worker-src 'self'; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// One file ready to send.
pub struct Asset {
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub gzip: Option<Vec<u8>>,
    pub etag: String,
}

/// Every file of the app, by its path under `ui/`.
pub struct Assets {
    pub version: String,
    files: HashMap<&'static str, Asset>,
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn compressible(ct: &str) -> bool {
    ct.starts_with("text/") || ct.contains("json") || ct.contains("svg")
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(body).ok()?;
    let out = enc.finish().ok()?;
    (out.len() + 64 < body.len()).then_some(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Assets {
    /// Hashes, versions and compresses the compiled-in files (once, at start).
    pub fn load() -> Assets {
        let mut all = Sha256::new();
        for (path, body) in table::FILES {
            all.update(path.as_bytes());
            all.update(body);
        }
        let version = hex(&all.finalize()[..6]);
        let files = table::FILES
            .iter()
            .map(|(path, body)| {
                let ct = content_type(path);
                let body = if ct.starts_with("text/html")
                    || path.ends_with(".webmanifest")
                    || *path == "sw.js"
                {
                    String::from_utf8_lossy(body)
                        .replace(VERSION_MARK, &version)
                        .into_bytes()
                } else {
                    body.to_vec()
                };
                let etag = format!("\"{}\"", hex(&Sha256::digest(&body)[..8]));
                let gzip = if compressible(ct) { gzip(&body) } else { None };
                (
                    *path,
                    Asset {
                        content_type: ct,
                        body,
                        gzip,
                        etag,
                    },
                )
            })
            .collect();
        Assets { version, files }
    }

    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.files.get(path)
    }

    /// (path, bytes as sent gzipped or plain) of every file: for the size budget's test.
    pub fn sizes(&self) -> Vec<(&'static str, usize)> {
        let mut v: Vec<_> = self
            .files
            .iter()
            .map(|(p, a)| (*p, a.gzip.as_ref().map_or(a.body.len(), Vec::len)))
            .collect();
        v.sort();
        v
    }
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|q| q.trim().replace(' ', "") == "q=0");
            (name == "gzip" || name == "*") && !refused
        })
}

/// A file as a response: gzipped when the client takes it, 304 on a matching ETag.
fn send(a: &Asset, headers: &HeaderMap, cache: &'static str) -> Response {
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == a.etag));
    let mut r = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match (&a.gzip, accepts_gzip(headers)) {
            (Some(z), true) => {
                let mut r = z.clone().into_response();
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                r
            }
            _ => a.body.clone().into_response(),
        }
    };
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(a.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&a.etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// The app shell (`index.html`), for `/` and every page of the app.
pub fn shell_response(s: &Shared, headers: &HeaderMap) -> Response {
    let Some(a) = s.ui.assets.get("index.html") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut r = send(a, headers, "no-cache");
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

pub async fn shell(State(s): State<Shared>, headers: HeaderMap) -> Response {
    shell_response(&s, &headers)
}

/// `/ui/v/{version}/{file}`: a year's cache when the version is this binary's.
pub async fn file(
    State(s): State<Shared>,
    Path((version, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match s.ui.assets.get(&path) {
        Some(a) if path != "index.html" && path != "sw.js" => {
            let cache = if version == s.ui.assets.version {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            send(a, &headers, cache)
        }
        _ => crate::serve::not_found().await,
    }
}

pub async fn service_worker(State(s): State<Shared>, headers: HeaderMap) -> Response {
    match s.ui.assets.get("sw.js") {
        Some(a) => send(a, &headers, "no-cache"),
        None => crate::serve::not_found().await,
    }
}

pub async fn manifest(State(s): State<Shared>, headers: HeaderMap) -> Response {
    match s.ui.assets.get("manifest.webmanifest") {
        Some(a) => send(a, &headers, "no-cache"),
        None => crate::serve::not_found().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_versioned_and_compressed() {
        let a = Assets::load();
        assert_eq!(a.version.len(), 12);
        let shell = a.get("index.html").expect("ui/index.html is compiled in");
        let text = String::from_utf8_lossy(&shell.body);
        assert!(!text.contains(VERSION_MARK), "{text}");
        assert!(text.contains(&format!("/ui/v/{}/", a.version)));
        assert!(shell.gzip.as_ref().unwrap().len() < shell.body.len());
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, "br, gzip;q=0".parse().unwrap());
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            "gzip, deflate, br".parse().unwrap(),
        );
        assert!(accepts_gzip(&h));
        // Every file of the app, gzipped as sent, fits the first-load budget with room.
        let total: usize = a.sizes().iter().map(|(_, n)| n).sum();
        assert!(total < 300 * 1024, "{total} bytes: {:?}", a.sizes());
    }
}
