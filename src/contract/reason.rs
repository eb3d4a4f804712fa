// SPDX-License-Identifier: MIT OR Apache-2.0
//! Reason codes: why a verdict is what it is. Each code has a fixed bit (its
//! discriminant) in `acm_verdict.reason_bits` of the C ABI and a fixed text in
//! stored events and the API: a code's meaning never changes. A rule that keeps
//! a window is known by its reason code everywhere (store keys use its short
//! tag, alert ids start with it), so adding a rule adds exactly one line here.

use serde::{Serialize, Serializer};

/// One reason code. The discriminant is the bit number in `acm_verdict.reason_bits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Reason {
    DistinctCallers = 0,
    IntlIngressLocalCli = 1,
    InvalidCli = 2,
    CliVelocity = 3,
    CliRotation = 4,
    Denylist = 5,
    AutoBlock = 6,
    Allowlist = 7,
    MonitorOnly = 8,
    StoreUnavailable = 9,
    StoreCapacity = 10,
    BadInput = 11,
    InternalError = 12,
    NotInitialised = 13,
    DistinctCallersSlow = 14,
    CliFanout = 15,
    LearningWarmup = 16,
    QuietFanin = 17,
}

/// Per reason, in discriminant order: its code, and the short tag of the
/// window its rule keeps ("" for reasons that keep no window). Tags name
/// store keys and start alert ids, so they never change either.
const TABLE: [(Reason, &str, &str); Reason::COUNT] = [
    (Reason::DistinctCallers, "distinct_callers", "dc"),
    (Reason::IntlIngressLocalCli, "intl_ingress_local_cli", "il"),
    (Reason::InvalidCli, "invalid_cli", ""),
    (Reason::CliVelocity, "cli_velocity", "cv"),
    (Reason::CliRotation, "cli_rotation", "cr"),
    (Reason::Denylist, "denylist", ""),
    (Reason::AutoBlock, "auto_block", ""),
    (Reason::Allowlist, "allowlist", ""),
    (Reason::MonitorOnly, "monitor_only", ""),
    (Reason::StoreUnavailable, "store_unavailable", ""),
    (Reason::StoreCapacity, "store_capacity", ""),
    (Reason::BadInput, "bad_input", ""),
    (Reason::InternalError, "internal_error", ""),
    (Reason::NotInitialised, "not_initialised", ""),
    (Reason::DistinctCallersSlow, "distinct_callers_slow", "ds"),
    (Reason::CliFanout, "cli_fanout", "cf"),
    (Reason::LearningWarmup, "learning_warmup", ""),
    (Reason::QuietFanin, "quiet_fanin", "qf"),
];

impl Reason {
    pub const COUNT: usize = 18;

    pub const ALL: [Reason; Reason::COUNT] = {
        let mut all = [Reason::DistinctCallers; Reason::COUNT];
        let mut i = 0;
        while i < Reason::COUNT {
            all[i] = TABLE[i].0;
            i += 1;
        }
        all
    };

    /// The stable text of the code, e.g. `distinct_callers`.
    pub fn code(self) -> &'static str {
        TABLE[self as usize].1
    }

    /// The short tag of the rule's window (`dc`, `cv`, ...), "" when the
    /// reason keeps no window.
    pub fn tag(self) -> &'static str {
        TABLE[self as usize].2
    }

    pub fn parse(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn bit(self) -> u32 {
        1u32 << (self as u8)
    }

    /// Position in arrays indexed by reason.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// A set of reasons, as the bit field of the C ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Reasons(pub u32);

impl Reasons {
    pub fn insert(&mut self, r: Reason) {
        self.0 |= r.bit();
    }
    pub fn contains(self, r: Reason) -> bool {
        self.0 & r.bit() != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Reason> {
        Reason::ALL.into_iter().filter(move |r| self.contains(*r))
    }
    /// Codes joined by commas, e.g. `distinct_callers,monitor_only`.
    pub fn joined(self) -> String {
        let mut s = String::new();
        for r in self.iter() {
            if !s.is_empty() {
                s.push(',');
            }
            s.push_str(r.code());
        }
        s
    }
}

impl Serialize for Reasons {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(None)?;
        for r in self.iter() {
            seq.serialize_element(r.code())?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_discriminant_order_and_codes_are_unique() {
        for (i, (r, code, tag)) in TABLE.iter().enumerate() {
            assert_eq!(*r as usize, i, "{code}");
            assert_eq!(Reason::parse(code), Some(*r));
            assert!(tag.is_empty() || TABLE.iter().filter(|t| t.2 == *tag).count() == 1);
        }
    }
}
