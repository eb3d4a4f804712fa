// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the switch should do with a call: the one action type of the crate,
//! used by verdicts, rule configuration, stored records and the C ABI.

use serde::{Deserialize, Serialize};

/// What the switch should do with the call. Ordered: a stronger action wins.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    #[default]
    Allow,
    Flag,
    Block,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Allow, Action::Flag, Action::Block];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Flag => "flag",
            Action::Block => "block",
        }
    }

    /// The ACM_ACTION_* value of the C ABI.
    pub fn abi_code(self) -> i32 {
        match self {
            Action::Allow => 1,
            Action::Flag => 2,
            Action::Block => 3,
        }
    }

    /// The Enum8 value stored in ClickHouse: `'allow' = 1, 'flag' = 2, 'block' = 3`.
    pub fn enum8(self) -> i8 {
        self.abi_code() as i8
    }
}
