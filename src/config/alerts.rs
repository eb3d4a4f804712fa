//! `[alerts]` and `[auto_block]`: how often a rule may alert on one key, and
//! whether a blocking alert denies its A-numbers for a while.

use serde::{Deserialize, Serialize};

use super::{check_window, ConfigError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// At most one alert per rule and key in this time (event time).
    pub cooldown_ms: u64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            cooldown_ms: 60_000,
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
        check_window("alerts.cooldown_ms", self.cooldown_ms)
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
