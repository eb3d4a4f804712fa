// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[access]`, `[webhooks]` and `[teardown]`: who may read and change alerts
//! (bearer tokens kept as SHA-256 hashes, each with a role), where alerts are
//! sent (webhook receivers, each with a filter and a body format), and how the
//! calls of an alert are ended (Kamailio's dialog module over JSON-RPC).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Severity};

/// What a token may do; each role can do what the ones before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads alerts and the live stream.
    Viewer,
    /// Also changes an alert's status, notes and assignee.
    Analyst,
    /// Also edits the shared lists, blocks, disconnects and reloads.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

/// One bearer token: its holder's name (recorded as the actor of every
/// change), its role, and the hex SHA-256 of the token (never the token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub name: String,
    pub role: Role,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// `acm token new --name N --role R` makes a token and prints its entry.
    pub tokens: Vec<TokenConfig>,
}

impl AccessConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let mut names = std::collections::HashSet::new();
        for (i, t) in self.tokens.iter().enumerate() {
            let key = |f: &str| format!("access.tokens[{i}].{f}");
            if t.name.is_empty() || t.name.len() > 64 || t.name.chars().any(char::is_control) {
                return Err(ConfigError::new(
                    key("name"),
                    "must be 1-64 printable characters",
                ));
            }
            if !names.insert(t.name.as_str()) {
                return Err(ConfigError::new(
                    key("name"),
                    format!("{:?} is used twice", t.name),
                ));
            }
            if t.sha256.len() != 64 || !t.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ConfigError::new(
                    key("sha256"),
                    "must be the 64 hex digits of the token's SHA-256 (`acm token new` prints it)",
                ));
            }
        }
        Ok(())
    }
}

/// The body a receiver gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// `{"type":"alert.raised","timestamp":…,"data":{alert}}`, signed as the
    /// Standard Webhooks spec says (`webhook-id`, `-timestamp`, `-signature`).
    Standard,
    /// A Slack incoming webhook's `{"text":…, "blocks":[…]}`.
    Slack,
    /// Alertmanager's webhook body, version 4.
    Alertmanager,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiverConfig {
    /// Names the receiver in metrics, logs and its spool directory.
    pub name: String,
    /// `http://` (a TLS-terminating proxy in front of `https://` receivers).
    pub url: String,
    pub format: WebhookFormat,
    /// `whsec_<base64 key>`: signs `standard` bodies (required for that format).
    pub secret: String,
    /// Rules whose alerts go here (rule codes); empty: every rule.
    pub rules: Vec<String>,
    /// Alerts below this severity are not sent.
    pub min_severity: Severity,
    /// One request slower than this fails (and is retried).
    pub timeout_ms: u64,
    /// Retries back off exponentially (with jitter) up to this.
    pub max_backoff_ms: u64,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            name: String::new(),
            url: String::new(),
            format: WebhookFormat::Standard,
            secret: String::new(),
            rules: Vec::new(),
            min_severity: Severity::Low,
            timeout_ms: 5_000,
            max_backoff_ms: 30_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// Alerts wait here (one directory per receiver) while a receiver is down.
    pub spool_dir: PathBuf,
    /// Cap on one receiver's spool of one process; past it alerts are dropped (counted).
    pub spool_max_bytes: u64,
    pub receivers: Vec<ReceiverConfig>,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            spool_dir: PathBuf::from("/var/spool/acm/webhooks"),
            spool_max_bytes: 256 << 20,
            receivers: Vec::new(),
        }
    }
}

/// Decodes a `whsec_…` secret into the HMAC key.
pub fn webhook_key(secret: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let b64 = secret
        .strip_prefix("whsec_")
        .ok_or("must start with \"whsec_\" followed by the base64 key")?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("the part after whsec_ is not base64: {e}"))?;
    if key.len() < 24 {
        return Err(format!(
            "the key is {} bytes; use at least 24 random bytes",
            key.len()
        ));
    }
    Ok(key)
}

impl WebhooksConfig {
    pub(super) fn validate(&self, rule_codes: &[&str]) -> Result<(), ConfigError> {
        let mut names = std::collections::HashSet::new();
        for (i, r) in self.receivers.iter().enumerate() {
            let key = |f: &str| format!("webhooks.receivers[{i}].{f}");
            let name_ok = !r.name.is_empty()
                && r.name.len() <= 64
                && r.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !name_ok {
                return Err(ConfigError::new(
                    key("name"),
                    "must be 1-64 of [A-Za-z0-9_-]",
                ));
            }
            if !names.insert(r.name.as_str()) {
                return Err(ConfigError::new(
                    key("name"),
                    format!("{:?} is used twice", r.name),
                ));
            }
            if r.url.parse::<hyper::Uri>().is_err() || !r.url.starts_with("http://") {
                return Err(ConfigError::new(
                    key("url"),
                    format!(
                        "{:?} must be an http:// URL (put a TLS-terminating proxy in front of an https:// receiver)",
                        r.url
                    ),
                ));
            }
            if r.format == WebhookFormat::Standard || !r.secret.is_empty() {
                webhook_key(&r.secret).map_err(|e| ConfigError::new(key("secret"), e))?;
            }
            for rule in &r.rules {
                if !rule_codes.contains(&rule.as_str()) {
                    return Err(ConfigError::new(
                        key("rules"),
                        format!(
                            "{rule:?} is not a rule that alerts; rules: {}",
                            rule_codes.join(", ")
                        ),
                    ));
                }
            }
            if r.timeout_ms == 0 || r.timeout_ms > 60_000 {
                return Err(ConfigError::new(key("timeout_ms"), "must be 1-60000"));
            }
            if r.max_backoff_ms < 100 || r.max_backoff_ms > 3_600_000 {
                return Err(ConfigError::new(
                    key("max_backoff_ms"),
                    "must be 100-3600000",
                ));
            }
        }
        if self.spool_max_bytes < 1 << 20 {
            return Err(ConfigError::new(
                "webhooks.spool_max_bytes",
                "must be at least 1048576",
            ));
        }
        Ok(())
    }
}

/// Ending the calls of an alert through Kamailio's dialog module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TeardownConfig {
    /// Kamailio's JSON-RPC over HTTP (jsonrpcs + xhttp), e.g.
    /// "http://127.0.0.1:5060/RPC"; empty: teardown is off.
    pub kamailio_rpc: String,
    /// End the calls of every blocking alert as soon as it is raised (by the
    /// process that raised it, off the call path).
    pub on_blocking_alert: bool,
    pub timeout_ms: u64,
}

impl Default for TeardownConfig {
    fn default() -> Self {
        TeardownConfig {
            kamailio_rpc: String::new(),
            on_blocking_alert: false,
            timeout_ms: 2_000,
        }
    }
}

impl TeardownConfig {
    pub fn enabled(&self) -> bool {
        !self.kamailio_rpc.is_empty()
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.enabled()
            && (!self.kamailio_rpc.starts_with("http://")
                || self.kamailio_rpc.parse::<hyper::Uri>().is_err())
        {
            return Err(ConfigError::new(
                "teardown.kamailio_rpc",
                format!(
                    "{:?} must be an http:// URL of Kamailio's xhttp JSON-RPC",
                    self.kamailio_rpc
                ),
            ));
        }
        if self.on_blocking_alert && !self.enabled() {
            return Err(ConfigError::new(
                "teardown.on_blocking_alert",
                "needs teardown.kamailio_rpc",
            ));
        }
        if self.timeout_ms == 0 || self.timeout_ms > 60_000 {
            return Err(ConfigError::new("teardown.timeout_ms", "must be 1-60000"));
        }
        Ok(())
    }
}
