// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[grpc]`: the gRPC face of `acm serve` (docs/grpc.md). Off unless `listen`
//! names an address: a second listening port on a carrier host should be a
//! deliberate choice, and the HTTP face serves the quick start.

use serde::{Deserialize, Serialize};

use super::ConfigError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrpcConfig {
    /// Listen address (`0.0.0.0:50051`); empty: no gRPC face.
    pub listen: String,
    /// PEM certificate chain and private key: both set turns TLS on.
    pub tls_cert: String,
    pub tls_key: String,
    /// Largest message accepted or sent, in bytes.
    pub max_message_bytes: usize,
    /// Calls of one `CheckStream` judged ahead of what its client has read.
    pub max_in_flight: usize,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        GrpcConfig {
            listen: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            max_message_bytes: 1 << 20,
            max_in_flight: 256,
        }
    }
}

impl GrpcConfig {
    pub fn enabled(&self) -> bool {
        !self.listen.is_empty()
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.enabled() && self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::new(
                "grpc.listen",
                format!(
                    "{:?} is not an address:port (empty turns gRPC off)",
                    self.listen
                ),
            ));
        }
        match (self.tls_cert.is_empty(), self.tls_key.is_empty()) {
            (true, false) => {
                return Err(ConfigError::new(
                    "grpc.tls_cert",
                    "tls_key is set: TLS needs the certificate too",
                ))
            }
            (false, true) => {
                return Err(ConfigError::new(
                    "grpc.tls_key",
                    "tls_cert is set: TLS needs the private key too",
                ))
            }
            _ => {}
        }
        if !(1024..=64 << 20).contains(&self.max_message_bytes) {
            return Err(ConfigError::new(
                "grpc.max_message_bytes",
                "must be 1024 to 67108864 (64 MiB)",
            ));
        }
        if !(1..=65_536).contains(&self.max_in_flight) {
            return Err(ConfigError::new("grpc.max_in_flight", "must be 1 to 65536"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn off_by_default_and_errors_name_the_key() {
        let c = Config::default();
        assert!(!c.grpc.enabled());
        let on = Config::from_toml("[grpc]\nlisten = \"127.0.0.1:50051\"\n").unwrap();
        assert!(on.grpc.enabled());
        for (toml, key) in [
            ("[grpc]\nlisten = \"nowhere\"\n", "grpc.listen"),
            ("[grpc]\ntls_cert = \"/c.pem\"\n", "grpc.tls_key"),
            ("[grpc]\ntls_key = \"/k.pem\"\n", "grpc.tls_cert"),
            ("[grpc]\nmax_message_bytes = 10\n", "grpc.max_message_bytes"),
            ("[grpc]\nmax_in_flight = 0\n", "grpc.max_in_flight"),
            ("[grpc]\nmax_in_flight = \"many\"\n", "grpc.max_in_flight"),
            ("[grpc]\nport = 1\n", "grpc"),
        ] {
            let e = Config::from_toml(toml).unwrap_err();
            assert!(e.key.starts_with(key), "{toml}: {e}");
        }
    }
}
