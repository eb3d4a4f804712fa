// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[alerts]` and `[auto_block]`: how often a rule may alert on one key, how
//! severe each rule's alerts are, where their lifecycle is kept without
//! ClickHouse, and whether a blocking alert denies its A-numbers for a while.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{check_window, ConfigError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// At most one alert per rule and key in this time (event time).
    pub cooldown_ms: u64,
    /// Severity of each rule's alerts, by rule code; rules not named keep
    /// their default ([`default_severity`]).
    pub severity: BTreeMap<String, Severity>,
    /// Without ClickHouse: the append-only file `acm serve` keeps alerts and
    /// their lifecycle in (one node). With ClickHouse the tables are used.
    pub events_file: PathBuf,
    /// Alerts `acm serve` holds for its API (the newest; older ones stay in
    /// the file or ClickHouse).
    pub keep: usize,
    /// How long `POST /v1/alerts/{id}/block` denies when the request names no duration.
    pub block_duration_ms: u64,
}

/// How bad an alert is; ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The rules that raise alerts, and the severity of their alerts by default.
pub const DEFAULT_SEVERITY: &[(&str, Severity)] = &[
    ("distinct_callers", Severity::High),
    ("distinct_callers_slow", Severity::Medium),
    ("quiet_fanin", Severity::Medium),
    ("intl_ingress_local_cli", Severity::High),
    ("cli_velocity", Severity::Medium),
    ("cli_rotation", Severity::High),
    ("cli_fanout", Severity::Medium),
];

/// The default severity of a rule's alerts (medium for a code not listed).
pub fn default_severity(rule: &str) -> Severity {
    DEFAULT_SEVERITY
        .iter()
        .find(|(r, _)| *r == rule)
        .map_or(Severity::Medium, |(_, s)| *s)
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            cooldown_ms: 60_000,
            // Spelled out, so `acm check-config` shows them; a rule missing
            // from a configured table still gets its default.
            severity: DEFAULT_SEVERITY
                .iter()
                .map(|(r, s)| (r.to_string(), *s))
                .collect(),
            events_file: PathBuf::from("/var/lib/acm/alert-events.jsonl"),
            keep: 100_000,
            block_duration_ms: 3_600_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutoBlockConfig {
    /// Deny the A-numbers of a blocking alert for `duration_ms`.
    pub enabled: bool,
    pub duration_ms: u64,
}

impl Default for AutoBlockConfig {
    fn default() -> Self {
        AutoBlockConfig {
            enabled: false,
            duration_ms: 3_600_000,
        }
    }
}

impl AlertsConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        check_window("alerts.cooldown_ms", self.cooldown_ms)?;
        for rule in self.severity.keys() {
            if !DEFAULT_SEVERITY.iter().any(|(r, _)| r == rule) {
                let rules: Vec<&str> = DEFAULT_SEVERITY.iter().map(|(r, _)| *r).collect();
                return Err(ConfigError::new(
                    format!("alerts.severity.{rule}"),
                    format!("not a rule that alerts; rules: {}", rules.join(", ")),
                ));
            }
        }
        if self.keep < 100 {
            return Err(ConfigError::new("alerts.keep", "must be at least 100"));
        }
        check_window("alerts.block_duration_ms", self.block_duration_ms)
    }

    /// The severity of a rule's alerts.
    pub fn severity_of(&self, rule: &str) -> Severity {
        self.severity
            .get(rule)
            .copied()
            .unwrap_or_else(|| default_severity(rule))
    }
}

impl AutoBlockConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.enabled {
            check_window("auto_block.duration_ms", self.duration_ms)?;
        }
        Ok(())
    }
}
