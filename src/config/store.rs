// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[store]`: where sliding windows live (embedded, or a Redis-protocol
//! server shared by every worker and node) and the limits that bound them.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// Where windows live. `Auto` (the default) is decided by the face that
/// runs: the Kamailio module takes `Shm` (one region for all its workers),
/// `acm serve` and the offline tools `Memory` ([`StoreKind::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    #[default]
    Auto,
    /// In this process only.
    Memory,
    /// In shared memory made before the fork: every process forked after
    /// (Kamailio's workers) shares one set of windows.
    Shm,
    /// A Redis-protocol server shared by every worker and node.
    Redis,
}

/// Which face runs, for the default store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// A switch module over the C ABI (Kamailio): many forked workers.
    Module,
    /// One process: `acm serve`, replay and the other tools.
    Process,
}

impl StoreKind {
    /// The store `Auto` stands for on `face`; other kinds stay as they are.
    pub fn resolve(self, face: Face) -> StoreKind {
        match (self, face) {
            (StoreKind::Auto, Face::Module) => StoreKind::Shm,
            (StoreKind::Auto, Face::Process) => StoreKind::Memory,
            (k, _) => k,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Auto => "auto",
            StoreKind::Memory => "memory",
            StoreKind::Shm => "shm",
            StoreKind::Redis => "redis",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub kind: StoreKind,
    /// Embedded and shm stores: most keys tracked; new keys beyond it are not tracked
    /// (`store_capacity`). Sizes the shm store's region.
    pub max_keys: usize,
    /// Most members one window keeps (oldest dropped first).
    pub max_members_per_key: usize,
    /// Embedded store: most bytes of alert evidence (the calls an alert quotes) kept in
    /// memory; past it the oldest go and alerts quote fewer calls (`evidence_evicted`).
    /// Verdicts do not depend on it. docs/memory.md.
    pub evidence_max_bytes: usize,
    /// Redis store: the server (`redis://host:6379`, `rediss://`, `unix:///path`).
    pub url: String,
    /// Redis store: several seed nodes; implies `cluster = true` when more than one.
    pub urls: Vec<String>,
    /// Redis store: talk Redis Cluster protocol (slot routing, MOVED/ASK).
    pub cluster: bool,
    /// Redis and shm stores: longest a check waits for the store (a connection, a lock)
    /// before failing open (`store_unavailable`).
    pub budget_ms: u64,
    /// Redis store: longest an explicit (re)connect waits; inside a check also capped by `budget_ms`.
    pub connect_timeout_ms: u64,
    /// Redis store: consecutive failures that open the circuit breaker.
    pub breaker_failures: u32,
    /// Redis store: how long an open breaker skips the store before one probe is let through.
    pub breaker_cooldown_ms: u64,
    /// Redis store: prefix of every key (`acm:{dc:+234...}:z`).
    pub key_prefix: String,
    /// Redis store: wall-clock grace added to key expiries (window + slack, cooldown + slack),
    /// so late events still find their window.
    pub expiry_slack_ms: u64,
    /// How often each process polls the shared lists' version (Redis, or `lists_file`).
    pub lists_poll_ms: u64,
    /// Shared allow/deny lists in a file, for the processes of one host without Redis
    /// (`acm serve` on the embedded store, a switch's Kamailio workers): changed through
    /// the admin API, durable across restarts. Empty: none. Ignored with `kind = "redis"`,
    /// whose lists live in Redis.
    pub lists_file: String,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            kind: StoreKind::Auto,
            max_keys: 1_000_000,
            max_members_per_key: 10_000,
            evidence_max_bytes: 64 << 20,
            url: "redis://127.0.0.1:6379".into(),
            urls: Vec::new(),
            cluster: false,
            budget_ms: 25,
            connect_timeout_ms: 200,
            breaker_failures: 5,
            breaker_cooldown_ms: 1_000,
            key_prefix: "acm".into(),
            expiry_slack_ms: 60_000,
            lists_poll_ms: 1_000,
            lists_file: String::new(),
        }
    }
}

impl StoreConfig {
    /// The seed URLs: `urls` when given, else `url`.
    pub fn seed_urls(&self) -> Vec<String> {
        if self.urls.is_empty() {
            vec![self.url.clone()]
        } else {
            self.urls.clone()
        }
    }

    /// Whether the Redis client must speak the cluster protocol.
    pub fn is_cluster(&self) -> bool {
        self.cluster || self.urls.len() > 1
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_keys < 1024 {
            return Err(ConfigError::new("store.max_keys", "must be at least 1024"));
        }
        if self.evidence_max_bytes < 1 << 20 {
            return Err(ConfigError::new(
                "store.evidence_max_bytes",
                "must be at least 1048576 (1 MiB)",
            ));
        }
        if self.max_members_per_key == 0 {
            return Err(ConfigError::new(
                "store.max_members_per_key",
                "must be at least 1",
            ));
        }
        let url_ok = |u: &str| {
            ["redis://", "rediss://", "unix://", "redis+unix://"]
                .iter()
                .any(|s| u.starts_with(s))
        };
        if !url_ok(&self.url) {
            return Err(ConfigError::new(
                "store.url",
                format!("{:?} is not a redis:// rediss:// or unix:// URL", self.url),
            ));
        }
        if let Some(u) = self.urls.iter().find(|u| !url_ok(u)) {
            return Err(ConfigError::new(
                "store.urls",
                format!("{u:?} is not a redis:// or rediss:// URL"),
            ));
        }
        if self.budget_ms == 0 || self.budget_ms > 10_000 {
            return Err(ConfigError::new(
                "store.budget_ms",
                "must be between 1 and 10000 ms",
            ));
        }
        if self.connect_timeout_ms == 0 || self.connect_timeout_ms > 60_000 {
            return Err(ConfigError::new(
                "store.connect_timeout_ms",
                "must be between 1 and 60000 ms",
            ));
        }
        if self.breaker_failures == 0 {
            return Err(ConfigError::new(
                "store.breaker_failures",
                "must be at least 1",
            ));
        }
        if self.breaker_cooldown_ms == 0 || self.breaker_cooldown_ms > 3_600_000 {
            return Err(ConfigError::new(
                "store.breaker_cooldown_ms",
                "must be between 1 ms and 1 hour",
            ));
        }
        let p = &self.key_prefix;
        if p.is_empty()
            || p.len() > 32
            || p.bytes()
                .any(|b| b == b'{' || b == b'}' || b.is_ascii_whitespace())
        {
            return Err(ConfigError::new(
                "store.key_prefix",
                "must be 1 to 32 characters without braces or spaces",
            ));
        }
        if self.expiry_slack_ms > 7 * 24 * 3_600_000 {
            return Err(ConfigError::new(
                "store.expiry_slack_ms",
                "must be at most 7 days",
            ));
        }
        if self.lists_poll_ms < 50 {
            return Err(ConfigError::new(
                "store.lists_poll_ms",
                "must be at least 50 ms",
            ));
        }
        Ok(())
    }
}
