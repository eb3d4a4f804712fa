//! What the engine answers: an action, stable reason codes, alerts.
//!
//! Reason codes and their bit values are part of the C ABI (include/acm.h)
//! and of the stored events: a code's meaning never changes.

use compact_str::CompactString;
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
}

/// One reason code. The discriminant is the bit number in `acm_verdict.reason_bits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
}

impl Reason {
    pub const ALL: [Reason; 15] = [
        Reason::DistinctCallers,
        Reason::IntlIngressLocalCli,
        Reason::InvalidCli,
        Reason::CliVelocity,
        Reason::CliRotation,
        Reason::Denylist,
        Reason::AutoBlock,
        Reason::Allowlist,
        Reason::MonitorOnly,
        Reason::StoreUnavailable,
        Reason::StoreCapacity,
        Reason::BadInput,
        Reason::InternalError,
        Reason::NotInitialised,
        Reason::DistinctCallersSlow,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::DistinctCallers => "distinct_callers",
            Reason::IntlIngressLocalCli => "intl_ingress_local_cli",
            Reason::InvalidCli => "invalid_cli",
            Reason::CliVelocity => "cli_velocity",
            Reason::CliRotation => "cli_rotation",
            Reason::Denylist => "denylist",
            Reason::AutoBlock => "auto_block",
            Reason::Allowlist => "allowlist",
            Reason::MonitorOnly => "monitor_only",
            Reason::StoreUnavailable => "store_unavailable",
            Reason::StoreCapacity => "store_capacity",
            Reason::BadInput => "bad_input",
            Reason::InternalError => "internal_error",
            Reason::NotInitialised => "not_initialised",
            Reason::DistinctCallersSlow => "distinct_callers_slow",
        }
    }

    pub fn bit(self) -> u32 {
        1u32 << (self as u8)
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
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(None)?;
        for r in self.iter() {
            seq.serialize_element(r.code())?;
        }
        seq.end()
    }
}

/// The detection rules that keep sliding windows and raise alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowRule {
    /// Distinct A-numbers reaching one B-number.
    DistinctCallers,
    /// Calls placed by one A-number.
    CliVelocity,
    /// Distinct A-numbers arriving from one source or trunk.
    CliRotation,
    /// Home-country CLIs arriving on one international trunk or source.
    IntlIngressLocalCli,
    /// Distinct A-numbers reaching one B-number over a longer window (slow fan-in).
    DistinctCallersSlow,
}

impl WindowRule {
    pub const ALL: [WindowRule; 5] = [
        WindowRule::DistinctCallers,
        WindowRule::CliVelocity,
        WindowRule::CliRotation,
        WindowRule::IntlIngressLocalCli,
        WindowRule::DistinctCallersSlow,
    ];
    pub fn code(self) -> &'static str {
        self.reason().code()
    }
    /// Short tag used in store keys and alert ids.
    pub fn tag(self) -> &'static str {
        match self {
            WindowRule::DistinctCallers => "dc",
            WindowRule::CliVelocity => "cv",
            WindowRule::CliRotation => "cr",
            WindowRule::IntlIngressLocalCli => "il",
            WindowRule::DistinctCallersSlow => "ds",
        }
    }
    pub fn reason(self) -> Reason {
        match self {
            WindowRule::DistinctCallers => Reason::DistinctCallers,
            WindowRule::CliVelocity => Reason::CliVelocity,
            WindowRule::CliRotation => Reason::CliRotation,
            WindowRule::IntlIngressLocalCli => Reason::IntlIngressLocalCli,
            WindowRule::DistinctCallersSlow => Reason::DistinctCallersSlow,
        }
    }
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One call seen inside an alert's window.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Evidence {
    pub time_ms: i64,
    pub call_id: CompactString,
    pub a_number: CompactString,
    pub b_number: CompactString,
    pub source: CompactString,
}

/// An alert raised by a window rule: at most one per rule and key per cooldown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: CompactString,
    pub rule: WindowRule,
    /// The B-number, A-number, source or trunk the window is about.
    pub key: CompactString,
    pub action: Action,
    pub raised_at_ms: i64,
    pub window_ms: u32,
    pub threshold: u32,
    /// Members counted in the window when the alert was raised.
    pub count: u32,
    /// The most recent calls inside the window (at most `EVIDENCE_MAX`).
    pub evidence: Vec<Evidence>,
}

/// The answer for one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub action: Action,
    pub reasons: Reasons,
    /// The alert raised by this call, or still active for its key.
    pub alert_id: Option<CompactString>,
    /// Alerts this call raised (usually none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub new_alerts: Vec<Alert>,
    /// Distinct callers of the B-number in the window (0: not evaluated).
    pub distinct_callers: u32,
    /// Calls by the A-number in the velocity window (0: not evaluated).
    pub cli_calls: u32,
    /// Distinct CLIs from the source in the rotation window (0: not evaluated).
    pub rotation_clis: u32,
    /// Event time the call was judged at.
    pub time_ms: i64,
    /// The CLI in E.164 (or as presented when invalid) and the B-number key.
    pub a_number: CompactString,
    pub b_number: CompactString,
}

impl Verdict {
    /// The fail-open answer used when the call cannot be judged.
    pub fn fail_open(reason: Reason, time_ms: i64) -> Verdict {
        let mut reasons = Reasons::default();
        reasons.insert(reason);
        Verdict {
            action: Action::Allow,
            reasons,
            alert_id: None,
            new_alerts: Vec::new(),
            distinct_callers: 0,
            cli_calls: 0,
            rotation_clis: 0,
            time_ms,
            a_number: CompactString::default(),
            b_number: CompactString::default(),
        }
    }

    pub fn degraded(&self) -> bool {
        self.reasons.contains(Reason::StoreUnavailable)
            || self.reasons.contains(Reason::StoreCapacity)
    }
}
