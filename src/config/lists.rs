// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[lists]`: allow and deny lists of numbers, prefixes, sources and trunks.

use serde::{Deserialize, Serialize};

use super::{check_numbers, parse_net, ConfigError};

/// Numbers are exact (`+2348031234567`, `08031234567`) or prefixes ending in `*`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListsConfig {
    /// Called numbers that many callers legitimately reach (hotlines, banks, call centres):
    /// never counted by `distinct_callers`.
    pub allow_b_numbers: Vec<String>,
    /// Calling numbers exempt from CLI rules (velocity, invalid, international ingress, auto-block).
    pub allow_a_numbers: Vec<String>,
    /// Trusted sources (IP or CIDR): exempt from `cli_rotation` and `intl_ingress_local_cli`.
    pub allow_sources: Vec<String>,
    /// Trusted ingress trunks, as `allow_sources`.
    pub allow_trunks: Vec<String>,
    /// Calling numbers always blocked.
    pub deny_a_numbers: Vec<String>,
    /// Sources (IP or CIDR) always blocked.
    pub deny_sources: Vec<String>,
    /// Ingress trunks always blocked.
    pub deny_trunks: Vec<String>,
}

impl ListsConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (key, list) in [
            ("lists.allow_sources", &self.allow_sources),
            ("lists.deny_sources", &self.deny_sources),
        ] {
            for s in list {
                parse_net(s).map_err(|r| ConfigError::new(key, r))?;
            }
        }
        check_numbers("lists.allow_b_numbers", &self.allow_b_numbers)?;
        check_numbers("lists.allow_a_numbers", &self.allow_a_numbers)?;
        check_numbers("lists.deny_a_numbers", &self.deny_a_numbers)
    }
}
