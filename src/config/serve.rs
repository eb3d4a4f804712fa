// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[serve]`: the HTTP service (`acm serve`).

use serde::{Deserialize, Serialize};

use super::ConfigError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    pub listen: String,
    /// Largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// Most events in one `POST /v1/events` batch.
    pub max_batch_events: usize,
    /// Bearer token of the admin API (`/v1/admin/...`); empty disables it (404).
    pub admin_token: String,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: "0.0.0.0:8080".into(),
            max_body_bytes: 1 << 20,
            max_batch_events: 10_000,
            admin_token: String::new(),
        }
    }
}

impl ServeConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::new(
                "serve.listen",
                format!("{:?} is not an address:port", self.listen),
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::new(
                "serve.max_body_bytes",
                "must be at least 1024",
            ));
        }
        if self.max_batch_events == 0 {
            return Err(ConfigError::new(
                "serve.max_batch_events",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}
