// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[learning]`: what all learned baselines share (each rule turns learning on
//! in its own `[rules.<rule>.learn]`): how long a learned level outlives its
//! window, and the warm-up after a cold start.

use serde::{Deserialize, Serialize};

use super::{check_window, ConfigError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LearningConfig {
    /// A key's learned level outlives its window this long (event time) while
    /// it raises the key's threshold: a PBX quiet overnight keeps its level.
    pub keep_ms: u64,
    /// After a cold start (no learned levels yet), rules that learn AND block
    /// only flag for this long (event time from the first call), with reason
    /// `learning_warmup`: nothing has learned yet that a trunk or a number is
    /// busy by nature. 0: no warm-up (levels kept in Redis, or restored).
    pub warmup_ms: u64,
}

impl Default for LearningConfig {
    fn default() -> Self {
        LearningConfig {
            keep_ms: 86_400_000,
            warmup_ms: 1_800_000,
        }
    }
}

impl LearningConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        check_window("learning.keep_ms", self.keep_ms)?;
        if self.warmup_ms > 30 * 86_400_000 {
            return Err(ConfigError::new(
                "learning.warmup_ms",
                "must be at most 30 days",
            ));
        }
        Ok(())
    }
}
