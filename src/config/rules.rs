// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[rules.*]`: each detection rule's action and parameters. A rule's section
//! is read here and compiled by the rule's own file under `engine/rules/`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{check_numbers, check_window, parse_net, ConfigError};
use crate::contract::Action;

/// What a rule does when it fires: flag or block the call, or nothing (`off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleAction(pub Option<Action>);

impl RuleAction {
    pub const OFF: RuleAction = RuleAction(None);
    pub const FLAG: RuleAction = RuleAction(Some(Action::Flag));
    pub const BLOCK: RuleAction = RuleAction(Some(Action::Block));

    pub fn action(self) -> Option<Action> {
        self.0
    }

    pub fn is_off(self) -> bool {
        self.0.is_none()
    }
}

impl Default for RuleAction {
    fn default() -> Self {
        RuleAction::FLAG
    }
}

impl Serialize for RuleAction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.map_or("off", Action::as_str))
    }
}

impl<'de> Deserialize<'de> for RuleAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "off" => Ok(RuleAction::OFF),
            "flag" => Ok(RuleAction::FLAG),
            "block" => Ok(RuleAction::BLOCK),
            other => Err(serde::de::Error::custom(format!(
                "unknown action {other:?}, expected one of \"off\", \"flag\", \"block\""
            ))),
        }
    }
}

/// A rule that counts members of a sliding window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowRuleConfig {
    pub action: RuleAction,
    pub threshold: u32,
    pub window_ms: u64,
    /// Overrides `[alerts] cooldown_ms` for this rule.
    pub cooldown_ms: Option<u64>,
    /// Per ingress trunk: the threshold a call arriving on that trunk is judged
    /// against (trunk classes: core switches, gateways, wholesale partners).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trunk_thresholds: BTreeMap<String, u32>,
    /// Learn each key's normal level; the threshold becomes a floor.
    #[serde(default)]
    pub learn: LearnConfig,
    /// Rules on the CLI (cli_fanout, cli_velocity): count only home CLIs of
    /// these types in the national numbering plan ("mobile", "fixed_line",
    /// ...; see `rules.invalid_cli.numbering_plan`). Empty: every valid CLI.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cli_types: Vec<crate::number::plan::NumberType>,
    /// distinct_callers: count callers per ingress and B-number (a masking
    /// burst arrives through one route; a radio phone-in's callers through
    /// every network). false: per B-number.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_ingress: bool,
    /// distinct_callers with `per_ingress`: fire only when this ingress brought
    /// at least this share of the B-number's distinct callers in the window
    /// (all ingresses together). A masking burst arrives through one route, a
    /// phone-in's or a hotline's crowd through every network, a few of them
    /// through any one. When both counts stopped at their windows' member
    /// caps, the share is that of their kept members' rates. 0: off; no
    /// effect without `per_ingress`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_ingress_share: f64,
    /// distinct_callers with `per_ingress` and `min_ingress_share`: a call
    /// is also judged when the B-number had `threshold` distinct callers
    /// over every ingress in the window and the call's ingress brought at
    /// least this many of them and at least `min_ingress_share` of them (and
    /// of the slow tier's, when it gives the share). A burst that leaks a
    /// few calls to other routes is then blocked by its 5th caller, not its
    /// 6th to 8th (docs/QUALITY.md, "The 5th caller over every ingress").
    /// The alert is raised from this many callers through the ingress and
    /// withdrawn when the count over every ingress falls short. 0, or at
    /// least `threshold`: off; ignored when the rule learns (`learn`). Other
    /// rules ignore it.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub min_ingress_callers: u32,
    /// cli_fanout: a CLI that was itself called lately is judged against a
    /// higher threshold (other rules ignore it).
    #[serde(default, skip_serializing_if = "CalledConfig::is_default")]
    pub called: CalledConfig,
    /// cli_fanout: a CLI that calls some of its callees again is judged
    /// against a higher threshold (other rules ignore it).
    #[serde(default, skip_serializing_if = "RepeatsConfig::is_default")]
    pub repeats: RepeatsConfig,
    /// cli_rotation: calls to allow-listed B-numbers (`[lists]
    /// allow_b_numbers`: the hotlines and bridges a crowd calls at once)
    /// count in their source's window too. false (the default): a listed
    /// number's crowd says nothing about the CLIs of the routes it came
    /// through (docs/QUALITY.md, "A listed number's crowd"). Other rules
    /// ignore it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub count_allowed_b: bool,
    /// cli_fanout: a CLI the numbering plan types `fixed_line_or_mobile`
    /// (the NANP gives landlines and mobiles the same ranges) that
    /// `cli_types` does not name is counted too, and judged only on a call
    /// through an ingress carrying at least this many distinct CLIs in
    /// cli_rotation's window at the time: a network of subscribers (the
    /// mobile core, an interconnect, a tandem), where a SIM's calls arrive,
    /// not a business trunk's handful (a PBX, a dialer, a contact centre).
    /// 0: off (such CLIs count only when `cli_types` names them). Other
    /// rules ignore it; without cli_rotation nothing is judged this way.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub shared_type_min_ingress_clis: u32,
    /// cli_fanout: a counted CLI is judged only on a call through an
    /// ingress carrying at least this many distinct CLIs in cli_rotation's
    /// window at the time. A CLI alone on its ingress is a customer's own
    /// trunk or device presenting its one number (a dispatcher's dialer, a
    /// business line): that line's owner calling, not a SIM, whose calls
    /// reach the switch through a network of subscribers (the mobile core,
    /// an interconnect). A call with no cli_rotation window (no ingress,
    /// cli_rotation off) is judged as usual. 0: off. Other rules ignore it.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub min_ingress_clis: u32,
    /// distinct_callers: calls to home numbers the national numbering plan
    /// gives one of these types are not counted ("toll_free", "premium_rate",
    /// ...). Service numbers draw crowds by design (a TV vote, a hotline's
    /// outage, a bridge at the hour) through the operator's own core as much
    /// as anywhere, while masking is terminated on subscribers. Numbers the
    /// plan does not type, and other countries' numbers, are counted. Empty:
    /// every B-number. Other rules ignore it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_b_types: Vec<crate::number::plan::NumberType>,
    /// distinct_callers: calls to allow-listed B-numbers (`[lists]
    /// allow_b_numbers`: hotlines, bridges, phone-ins) are counted in a
    /// window of their own, judged at this many distinct callers (with the
    /// same window, per ingress and share gate), and only ever flagged: a
    /// listed number is never blocked (the floor), but a masking
    /// burst aimed at it (tens of fresh CLIs within seconds through one
    /// route) still reaches the SOC as an alert. A listed number's crowd
    /// comes through every network, a few callers through any one
    /// (docs/QUALITY.md, "Bursts aimed at a listed number"). 0, or
    /// `per_ingress = false`: off (listed numbers are not counted). Other
    /// rules ignore it.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub listed_threshold: u32,
    /// cli_rotation: calls presenting home numbers the national numbering
    /// plan gives one of these types count in their source's window but are
    /// never flagged by it ("toll_free", "uan", ...). Masking presents
    /// numbers that look like subscribers'; a source cycling through service
    /// numbers is a contact centre or an outbound dialling platform
    /// presenting its own (India's 140 series is mandated for telemarketing).
    /// Empty: every CLI. Other rules ignore it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_cli_types: Vec<crate::number::plan::NumberType>,
}

fn is_zero_u32(x: &u32) -> bool {
    *x == 0
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// A number that was itself called lately (`contract::Called`): SIM-box
/// studies find a box's SIMs only call out, while a person or a business on
/// a mobile is also called. Such a CLI is judged against `factor` times the
/// threshold; one never called, against the threshold. `factor = 1`: off.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalledConfig {
    pub factor: u32,
    /// How far back a call to the number counts.
    pub within_ms: u64,
}

impl Default for CalledConfig {
    fn default() -> Self {
        // docs/QUALITY.md, "Called lately".
        CalledConfig {
            factor: 3,
            within_ms: 3_600_000,
        }
    }
}

impl CalledConfig {
    fn is_default(&self) -> bool {
        *self == CalledConfig::default()
    }

    /// The store's form, `None` when off.
    pub fn called(&self) -> Option<crate::contract::Called> {
        std::num::NonZeroU32::new(self.factor)
            .filter(|f| f.get() > 1)
            .map(|factor| crate::contract::Called {
                factor,
                within_ms: self.within_ms.min(u32::MAX as u64) as u32,
            })
    }
}

/// A CLI that calls some of its callees again (`contract::Repeats`): SIM-box
/// studies find a box's SIMs almost never repeat a callee, while a person or
/// a business on a mobile redials and calls customers back. When the CLI's
/// repeats (a run of them, each within `within_ms` of the one before, live
/// until `within_ms` after its last) are at least `share` of its distinct
/// callees, it is judged against `factor` times the threshold. Kept in the
/// learned state: needs `learn.enabled`. `factor = 1`: off.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RepeatsConfig {
    pub share: f64,
    pub factor: u32,
    /// A run of repeats lasts this long after its last repeat (each repeat
    /// within it of the one before continues the run); whole seconds, the
    /// runs are kept in seconds.
    pub within_ms: u64,
    /// A move between ingresses (the CLI's call through a trunk or address
    /// that is neither of its last two) counts as a repeat
    /// (`contract::Repeats`): a SIM box stays in one place, a person moves
    /// between switches; a return to the one before is load sharing between
    /// two nodes, which a box's SIMs get too. Turn it off where one CLI's
    /// calls reach the switch through three or more ingresses sharing load.
    pub moves: bool,
}

impl Default for RepeatsConfig {
    fn default() -> Self {
        // docs/QUALITY.md, "A fourth generator", "Runs of repeats over
        // half an hour" and "Runs of repeats over an hour".
        RepeatsConfig {
            share: 0.1,
            factor: 3,
            within_ms: 3_600_000,
            moves: true,
        }
    }
}

impl RepeatsConfig {
    fn is_default(&self) -> bool {
        *self == RepeatsConfig::default()
    }

    /// The store's form, `None` when off.
    pub fn repeats(&self) -> Option<crate::contract::Repeats> {
        (self.factor > 1).then_some(crate::contract::Repeats {
            share_milli: ((self.share * 1000.0).round() as u32).clamp(1, 1000) as u16,
            factor: self.factor.min(1000) as u16,
            span_s: std::num::NonZeroU16::new((self.within_ms / 1000).clamp(1, 65_535) as u16)
                .expect("clamped to at least 1"),
            // Set per call by the rule (`moves`).
            ingress: 0,
        })
    }
}

/// A rule's learned baseline (`contract::Learn`): each key (B-number,
/// A-number, source) learns its own normal count, and is judged against
/// `max(threshold, factor × level)`, so a trunk that always carries thousands
/// of CLIs, or a number that always has many callers, is normal for itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LearnConfig {
    pub enabled: bool,
    /// How far above its own level a key may go before the rule fires.
    pub factor: f64,
    /// One observation per interval (its peak count); default: the rule's window.
    pub interval_ms: Option<u64>,
    /// How much one interval moves the level: 0.5, 0.25 (default) or 0.125.
    /// Heavier learns a busy key sooner, and an attack sooner too.
    pub weight: f64,
    /// On a key busy by nature (its learned level at or above the threshold:
    /// a shared trunk; or at or above the learning floor after three
    /// intervals it spent under its bar: a small gateway or wholesale trunk
    /// that always carries a few CLIs a minute), flag only the call that
    /// raises the alert: the key's other calls cannot be told from the
    /// attack's, and the alert is what the SOC acts on. false: flag every
    /// call while the key is over.
    pub busy_alert_only: bool,
    /// Counts from this share of the threshold up are observed (0.5: from half
    /// of it). Lower learns keys that hover just under the threshold, at the
    /// cost of a state read (Redis: one command) for each of their checks.
    pub observe_from: f64,
    /// After this many intervals in a row in which the key reached its
    /// threshold, the next such intervals teach it nothing, until one does
    /// not: an attack that keeps a key over its bar for an hour is never
    /// learned as its normal. 0: off (keys that show a busy nature from their
    /// first minute, a new interconnect's CLIs, must learn it). At most 60.
    pub hold_after: u8,
    /// Hold (`hold_after`) only keys whose nature is known: three intervals
    /// closed under their bar. A source busy from its first minute (a new
    /// interconnect) learns freely; an established one that an attack keeps
    /// over its bar does not learn the attack.
    pub hold_known: bool,
    /// Hold (`hold_after`) only keys that were not themselves called within
    /// the rule's `called.within_ms` (needs `[rules.<rule>.called]` on,
    /// factor 2 or more): a SIM only calls out, so one over its bar for an
    /// hour is not learned as normal, while a business on a mobile, which is
    /// also called, learns its busy nature.
    pub hold_uncalled: bool,
    /// An interval is not learned while the key's calls are machine-paced:
    /// at least four in five gaps between its window's newest members
    /// (up to 32, at least 8) within a factor two of their median. A SIM
    /// box's dialler paces each SIM's calls evenly, people call at random;
    /// so a box running before acm started is not learned as normal.
    /// cli_fanout only (its members are a CLI's callees).
    pub hold_paced: bool,
}

impl Default for LearnConfig {
    fn default() -> Self {
        LearnConfig {
            enabled: false,
            factor: 2.0,
            interval_ms: None,
            weight: 0.25,
            busy_alert_only: false,
            observe_from: 1.0,
            hold_after: 0,
            hold_known: false,
            hold_uncalled: false,
            hold_paced: false,
        }
    }
}

impl LearnConfig {
    /// On, with the default factor.
    pub fn on() -> LearnConfig {
        LearnConfig {
            enabled: true,
            ..LearnConfig::default()
        }
    }

    fn validate(&self, rule: &str) -> Result<(), ConfigError> {
        if !(self.factor >= 1.0 && self.factor <= 100.0) {
            return Err(ConfigError::new(
                format!("rules.{rule}.learn.factor"),
                "must be between 1 and 100",
            ));
        }
        if ![0.5, 0.25, 0.125].contains(&self.weight) {
            return Err(ConfigError::new(
                format!("rules.{rule}.learn.weight"),
                "must be 0.5, 0.25 or 0.125",
            ));
        }
        if !(self.observe_from > 0.0 && self.observe_from <= 1.0) {
            return Err(ConfigError::new(
                format!("rules.{rule}.learn.observe_from"),
                "must be above 0 and at most 1",
            ));
        }
        if self.hold_after > 60 {
            return Err(ConfigError::new(
                format!("rules.{rule}.learn.hold_after"),
                "must be between 0 (off) and 60 intervals",
            ));
        }
        if let Some(i) = self.interval_ms {
            if !(1_000..=86_400_000).contains(&i) {
                return Err(ConfigError::new(
                    format!("rules.{rule}.learn.interval_ms"),
                    "must be between 1000 ms and one day",
                ));
            }
        }
        Ok(())
    }
}

/// The slow tier of `distinct_callers`: fan-in spread wider than the burst window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlowCallersConfig {
    pub action: RuleAction,
    pub threshold: u32,
    pub window_ms: u64,
    pub cooldown_ms: Option<u64>,
    /// Count only calls with a known ingress (trunk or source IP) that is not
    /// trusted (`lists.allow_trunks` / `allow_sources`): wholesale partners,
    /// international gateways, unknown addresses — where masked calls arrive.
    /// False: count every call.
    pub untrusted_ingress_only: bool,
    /// Count callers per ingress and B-number: masking refiled through one
    /// interconnect arrives on one trunk, while a busy number's real callers
    /// come through many. false: per B-number, whatever the ingress.
    pub per_ingress: bool,
    /// Count only B-numbers of these types in the national numbering plan
    /// (masking is terminated on subscribers; bridges and hotlines are fixed
    /// or non-geographic numbers). Empty: every B-number.
    pub b_types: Vec<crate::number::plan::NumberType>,
    /// Learn each key's normal fan-in.
    pub learn: LearnConfig,
    /// With `per_ingress`: fire only when this ingress brought at least this
    /// share of the B-number's distinct callers in the window (every counted
    /// ingress together), as `distinct_callers` does: refiled masking reaches
    /// its victim through one interconnect, a radio phone-in's crowd on a
    /// mobile number through every network and the core. 0: off.
    pub min_ingress_share: f64,
    /// With `per_ingress` and `min_ingress_share`: the B-number's callers
    /// over every ingress learn their own level too (with `learn`'s
    /// settings, judged at `learn_number_factor`), and the tier fires only
    /// when that count is also at or over its learned threshold: a taxi firm
    /// or a surgery called by a few people a minute through every network is
    /// normal for it, a subscriber who is seldom called is not. Without `per_ingress`, a share or `learn` there
    /// is no count over every ingress to learn: no effect.
    pub learn_number: bool,
    /// With `learn_number`: how far above its own learned level the
    /// number's callers over every ingress may go (`learn.factor` is the
    /// ingress's). Higher than the ingress's: a number's callers arrive at
    /// random, so a number called a few times a minute shows two or three
    /// times its usual count in some two minutes of every hour, while masking
    /// is aimed at subscribers who are seldom called (docs/QUALITY.md).
    pub learn_number_factor: f64,
}

impl Default for SlowCallersConfig {
    fn default() -> Self {
        SlowCallersConfig {
            action: RuleAction::FLAG,
            // 3 fresh CLIs through one route into one subscriber within two
            // minutes: masking refiled through a national interconnect
            // (docs/QUALITY.md).
            threshold: 3,
            window_ms: 120_000,
            cooldown_ms: None,
            untrusted_ingress_only: true,
            per_ingress: true,
            // Subscribers' numbers, mobile, fixed and VoIP (where the plan
            // gives home broadband lines their own range, as France's 09):
            // masking is terminated on all three; a business called by many
            // learns its level over every ingress (`learn_number`), and
            // bridges, hotlines and phone-ins are mostly non-geographic
            // (docs/QUALITY.md).
            b_types: vec![
                crate::number::plan::NumberType::Mobile,
                crate::number::plan::NumberType::FixedLine,
                crate::number::plan::NumberType::Voip,
            ],
            learn: LearnConfig::on(),
            min_ingress_share: 0.5,
            learn_number: true,
            learn_number_factor: 3.0,
        }
    }
}

/// `quiet_fanin`: a subscriber's number nobody was calling, then reached
/// by many distinct callers over every route within the slow tier's window
/// (refiled masking or a burst spread over routes, which no route's own
/// count shows). Reads the slow tier's count over every ingress: on only
/// while `distinct_callers_slow` is on, per ingress, with a share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuietFaninConfig {
    pub action: RuleAction,
    /// Distinct callers over every ingress, in `distinct_callers_slow`'s
    /// window, all since the number's spell began (2 to 255).
    pub threshold: u32,
    /// How long nobody called the number (through the routes the slow tier
    /// counts) before its spell, in ms (whole minutes: rounded up; one
    /// minute to 12 hours). Calls are judged to the minute. A spell raises
    /// one alert (no cooldown: its calls past the threshold are flagged
    /// under it while every caller in the window is of the spell).
    pub quiet_ms: u64,
    /// A spell's alert is withdrawn, for the rest of the spell, by the first
    /// of its calls at `threshold` or more that came through a route that
    /// brought this many of the number's callers or more (counted by
    /// `distinct_callers_slow` on that route): a crowd through one route is
    /// that route's tiers' to judge, and a phone-in's crowd comes mostly
    /// through the home network. 0: off.
    pub max_ingress_callers: u32,
    /// A spell's calls are blocked, not only flagged, once the number has
    /// this many distinct callers over every route within the burst tier's
    /// window (`distinct_callers.window_ms`): a burst spread over several
    /// routes, blocked by its 5th caller as a burst through one route is.
    /// 0: never (the rule's action alone). Never blocks a call to or from an
    /// allow-listed number. 0 or 2 to 255.
    pub block_callers: u32,
}

impl Default for QuietFaninConfig {
    fn default() -> Self {
        QuietFaninConfig {
            action: RuleAction::FLAG,
            // 4 callers over every route within two minutes of a number's
            // first call in an hour: docs/QUALITY.md, *Spread fan-in at a
            // quiet callee*.
            threshold: 4,
            quiet_ms: 3_600_000,
            // The slow tier's threshold: docs/QUALITY.md, *Spread fan-in at
            // a quiet callee*.
            max_ingress_callers: 3,
            // The burst tier's threshold: docs/QUALITY.md, *A spread burst
            // blocked by its 5th caller*.
            block_callers: 5,
        }
    }
}

impl QuietFaninConfig {
    /// The quiet period in whole minutes (validated: 1 to 720).
    pub fn quiet_min(&self) -> u16 {
        self.quiet_ms.div_ceil(60_000).clamp(1, 720) as u16
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntlIngressConfig {
    pub action: RuleAction,
    /// Ingress trunk or group names classified international.
    pub trunks: Vec<String>,
    /// Source addresses or CIDRs classified international.
    pub sources: Vec<String>,
    /// Restrict "home CLI" to these prefixes (E.164 or national form); empty: the whole country code.
    pub home_cli_prefixes: Vec<String>,
    /// Own subscribers currently registered abroad (from the HLR/HSS): their
    /// home CLI on an international ingress is a roamer calling home, not masking.
    pub roaming_a_numbers: Vec<String>,
    /// Alerts group the offending CLIs of one trunk or source over this window.
    pub window_ms: u64,
    pub cooldown_ms: Option<u64>,
    /// A home CLI that has called through the international ingresses in
    /// all but one of the `standing_slot_ms` slots of the last
    /// `standing_ms` + one slot (the defaults: 7 of the last 8 ten-minute
    /// slots, so never sooner than 50 minutes after its first call there)
    /// has *standing* there and is no longer judged by this rule: an
    /// offshore contact centre of a home brand, a roamer not yet in
    /// `roaming_a_numbers`. Masking presents a fresh CLI on each call or
    /// one for a campaign, judged until it has standing (docs/QUALITY.md,
    /// *A home CLI's standing on the gateways*). 0: off, every such call
    /// judged (Ofcom's rule).
    pub standing_ms: u64,
    /// The slot of `standing_ms`: a CLI missing two of them restarts.
    pub standing_slot_ms: u64,
}

impl Default for IntlIngressConfig {
    fn default() -> Self {
        IntlIngressConfig {
            action: RuleAction::BLOCK,
            trunks: Vec::new(),
            sources: Vec::new(),
            home_cli_prefixes: Vec::new(),
            roaming_a_numbers: Vec::new(),
            window_ms: 60_000,
            cooldown_ms: None,
            standing_ms: 3_600_000,
            standing_slot_ms: 600_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvalidCliConfig {
    pub action: RuleAction,
    /// Barred number ranges (prefixes, E.164 or national form).
    pub barred_prefixes: Vec<String>,
    /// Unallocated number ranges.
    pub unallocated_prefixes: Vec<String>,
    /// Check home-country CLIs against the national numbering plan (the
    /// ranges and lengths of every number type in Google libphonenumber's
    /// metadata for `numbering.country_code`): a CLI of the right length in a
    /// range that does not exist, or with the trunk prefix inside it, is
    /// invalid. `false`: lengths and the prefix lists only.
    pub numbering_plan: bool,
    /// With `numbering_plan`: home CLIs the plan gives one of these types
    /// are invalid too. A premium-rate number is dialled, never dialling:
    /// Germany's § 120 TKG forbids it as a caller's number, and no
    /// generator's legitimate traffic presents one (docs/QUALITY.md, "A
    /// ninth generator"). Shared-cost and UAN numbers are call centres'
    /// everyday CLIs and stay valid.
    pub invalid_types: Vec<crate::number::plan::NumberType>,
    /// With `numbering_plan`: a home CLI the plan types fixed line must also
    /// be a geographic number that can exist, where acm carries the
    /// country's list of area codes (`number::areas`: Germany's, from
    /// libphonenumber's geocoding data): it starts with an area code of the
    /// list, is no longer than the plan's numbers (Germany: 11 digits) and
    /// its subscriber number does not start with digits the plan never gives
    /// one (Germany: 0 or 11). libphonenumber's own German fixed-line
    /// pattern accepts 5 to 15 digits after almost any prefix. Any home CLI
    /// in a range the country's law bars as a caller's number is invalid too
    /// (Germany, § 120 TKG: 0137 mass-traffic, 118 directory enquiries, 0900
    /// premium rate; 0137 is shared cost to libphonenumber). No effect in a
    /// country acm has no list for.
    pub area_codes: bool,
}

impl Default for InvalidCliConfig {
    fn default() -> Self {
        InvalidCliConfig {
            action: RuleAction::FLAG,
            barred_prefixes: Vec::new(),
            unallocated_prefixes: Vec::new(),
            numbering_plan: true,
            invalid_types: vec![crate::number::plan::NumberType::PremiumRate],
            area_codes: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    /// The per-ingress fan-in windows (`distinct_callers`,
    /// `distinct_callers_slow`) count every call that arrives without a
    /// trunk name under one ingress: an address the operator never named as
    /// a trunk is no route of its own, and a burst sent from two such
    /// addresses is one burst, blocked by its fifth caller. false: each
    /// address is an ingress of its own (where the switch names no trunks
    /// at all, so every call is untrunked).
    pub untrunked_one_ingress: bool,
    pub distinct_callers: WindowRuleConfig,
    pub distinct_callers_slow: SlowCallersConfig,
    pub quiet_fanin: QuietFaninConfig,
    pub cli_velocity: WindowRuleConfig,
    pub cli_rotation: WindowRuleConfig,
    pub cli_fanout: WindowRuleConfig,
    pub intl_ingress_local_cli: IntlIngressConfig,
    pub invalid_cli: InvalidCliConfig,
}

impl RulesConfig {
    /// The rules of the common window shape, with their names in the config.
    pub(super) fn window_rules(&self) -> [(&'static str, &WindowRuleConfig); 4] {
        [
            ("distinct_callers", &self.distinct_callers),
            ("cli_velocity", &self.cli_velocity),
            ("cli_rotation", &self.cli_rotation),
            ("cli_fanout", &self.cli_fanout),
        ]
    }
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            untrunked_one_ingress: true,
            distinct_callers: WindowRuleConfig {
                action: RuleAction::BLOCK,
                threshold: 5,
                // 10 s, not the seed's 5: a burst's calls arrive at random,
                // and at one call a second its 5th caller comes more than
                // 5 s after its first one time in four (docs/QUALITY.md).
                window_ms: 10_000,
                cooldown_ms: None,
                trunk_thresholds: BTreeMap::new(),
                learn: LearnConfig::default(),
                cli_types: Vec::new(),
                // A burst of masking arrives through one route; a radio
                // phone-in's or a bridge's callers through every network
                // (docs/QUALITY.md: bare-network FP 2.4% -> 0.3%, bursts
                // still blocked by the 5th caller).
                per_ingress: true,
                // Most of a B-number's callers through this one route: a
                // radio phone-in's crowd comes through every network
                // (docs/QUALITY.md: bare-network FP 0.30% -> 0.07%).
                min_ingress_share: 0.5,
                // A burst leaking a few calls to other routes: its 5th caller
                // over every ingress (docs/QUALITY.md).
                min_ingress_callers: 3,
                called: CalledConfig::default(),
                count_allowed_b: false,
                shared_type_min_ingress_clis: 0,
                min_ingress_clis: 0,
                repeats: RepeatsConfig::default(),
                // Service numbers: a TV vote's crowd reaches its 0137 number
                // through the home core (docs/QUALITY.md, "A ninth
                // generator"); no generator's burst ever hit one.
                skip_b_types: vec![
                    crate::number::plan::NumberType::TollFree,
                    crate::number::plan::NumberType::PremiumRate,
                    crate::number::plan::NumberType::SharedCost,
                    crate::number::plan::NumberType::Uan,
                ],
                skip_cli_types: Vec::new(),
                // A burst aimed at a listed hotline, flagged only: tens of
                // fresh CLIs in seconds through one route (docs/QUALITY.md,
                // "Bursts aimed at a listed number").
                listed_threshold: 10,
            },
            distinct_callers_slow: SlowCallersConfig::default(),
            quiet_fanin: QuietFaninConfig::default(),
            // Off by default: cli_fanout sees the same SIMs (a call a minute
            // to fresh callees is a call a minute) and more quietly paced ones,
            // and one window fewer a call keeps the store's cost flat.
            cli_velocity: WindowRuleConfig {
                action: RuleAction::OFF,
                threshold: 15,
                window_ms: 60_000,
                cooldown_ms: None,
                trunk_thresholds: BTreeMap::new(),
                learn: LearnConfig::on(),
                cli_types: Vec::new(),
                per_ingress: false,
                min_ingress_share: 0.0,
                min_ingress_callers: 0,
                called: CalledConfig::default(),
                count_allowed_b: false,
                shared_type_min_ingress_clis: 0,
                min_ingress_clis: 0,
                repeats: RepeatsConfig::default(),
                skip_b_types: Vec::new(),
                skip_cli_types: Vec::new(),
                listed_threshold: 0,
            },
            cli_rotation: WindowRuleConfig {
                action: RuleAction::FLAG,
                threshold: 20,
                window_ms: 60_000,
                // On a busy source only an alert's own call is flagged: a
                // rotation that starts while an alert on it is in its
                // cooldown shows nothing until that ends. The members that
                // raised an alert raise no other (`store`), so a shorter
                // cooldown costs an alert only per 20 new CLIs
                // (docs/QUALITY.md, "An alert per set of members").
                cooldown_ms: Some(20_000),
                trunk_thresholds: BTreeMap::new(),
                // Learning from 1 CLI a minute: a gateway or wholesale trunk
                // that carries a few to 15 a minute peaks over 20 by chance
                // many times an hour, and counts only from 20 up would never
                // teach it that; once it has shown that nature (three
                // intervals under its bar) it is busy, and an alert on it
                // flags only its raising call (docs/QUALITY.md, a small
                // network). From 1 rather than 2: a small PBX that calls
                // with its main number shows its nature too, and a rotation
                // through it flags its alerts' calls, not the PBX's own
                // (docs/QUALITY.md, "Learning from one CLI a minute").
                // Holding such a source after three intervals
                // over its bar: a rotation that runs for ten minutes through
                // a wholesale trunk is not learned as the trunk's normal,
                // while a new interconnect, over the floor from its first
                // minute, learns, and a real doubling of a trunk's traffic
                // is learned within the three.
                learn: LearnConfig {
                    factor: 1.5,
                    busy_alert_only: true,
                    observe_from: 0.05,
                    hold_after: 3,
                    hold_known: true,
                    ..LearnConfig::on()
                },
                cli_types: Vec::new(),
                per_ingress: false,
                min_ingress_share: 0.0,
                min_ingress_callers: 0,
                called: CalledConfig::default(),
                count_allowed_b: false,
                shared_type_min_ingress_clis: 0,
                min_ingress_clis: 0,
                repeats: RepeatsConfig::default(),
                skip_b_types: Vec::new(),
                // Service numbers: a telemarketing platform cycles through its
                // own (docs/QUALITY.md, "A twelfth generator"); no generator's
                // rotation ever presented one.
                skip_cli_types: vec![
                    crate::number::plan::NumberType::TollFree,
                    crate::number::plan::NumberType::PremiumRate,
                    crate::number::plan::NumberType::SharedCost,
                    crate::number::plan::NumberType::Uan,
                ],
                listed_threshold: 0,
            },
            // A SIM box is made of SIMs: its CLIs are mobile numbers, while a
            // PBX presents its fixed main number and DDI block.
            cli_fanout: WindowRuleConfig {
                action: RuleAction::FLAG,
                threshold: 10,
                window_ms: 600_000,
                cooldown_ms: None,
                trunk_thresholds: BTreeMap::new(),
                // From 3 callees in 10 minutes: a busy mobile's level then
                // counts its quieter intervals too (docs/QUALITY.md).
                // No holding: it keeps a SIM paced for an hour from being
                // learned, and a busy mobile that stays over 10 callees
                // from ever being (docs/QUALITY.md, "hold_after"); holding
                // only CLIs nobody called (`hold_uncalled`) still did so
                // with mobiles that are not called within the hour
                // (docs/QUALITY.md, "Holding only CLIs nobody called").
                // A CLI whose calls are machine-paced learns nothing while
                // they are (`hold_paced`): a SIM box's dialler paces its
                // SIMs, people call at random (docs/QUALITY.md, "Machine-paced
                // CLIs are not learned").
                learn: LearnConfig {
                    observe_from: 0.3,
                    hold_paced: true,
                    ..LearnConfig::on()
                },
                cli_types: vec![crate::number::plan::NumberType::Mobile],
                per_ingress: false,
                min_ingress_share: 0.0,
                min_ingress_callers: 0,
                called: CalledConfig::default(),
                count_allowed_b: false,
                // A NANP number may be a handset: judged as one where handsets'
                // calls arrive, at cli_rotation's default threshold of distinct
                // CLIs (docs/QUALITY.md, "SIM boxes under the NANP").
                shared_type_min_ingress_clis: 20,
                // A mobile CLI alone on its ingress is a customer's line, not a
                // SIM (docs/QUALITY.md, "An eleventh generator").
                min_ingress_clis: 2,
                repeats: RepeatsConfig::default(),
                skip_b_types: Vec::new(),
                skip_cli_types: Vec::new(),
                listed_threshold: 0,
            },
            intl_ingress_local_cli: IntlIngressConfig::default(),
            invalid_cli: InvalidCliConfig::default(),
        }
    }
}

impl RulesConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (name, r) in self.window_rules() {
            if r.threshold == 0 {
                return Err(ConfigError::new(
                    format!("rules.{name}.threshold"),
                    "must be at least 1",
                ));
            }
            check_window(&format!("rules.{name}.window_ms"), r.window_ms)?;
            if let Some(c) = r.cooldown_ms {
                check_window(&format!("rules.{name}.cooldown_ms"), c)?;
            }
            r.learn.validate(name)?;
            if r.called.factor == 0 || r.called.factor > 1000 {
                return Err(ConfigError::new(
                    format!("rules.{name}.called.factor"),
                    "must be between 1 (off) and 1000",
                ));
            }
            check_window(
                &format!("rules.{name}.called.within_ms"),
                r.called.within_ms,
            )?;
            if r.repeats.factor == 0 || r.repeats.factor > 1000 {
                return Err(ConfigError::new(
                    format!("rules.{name}.repeats.factor"),
                    "must be between 1 (off) and 1000",
                ));
            }
            if !(r.repeats.share > 0.0 && r.repeats.share <= 1.0) {
                return Err(ConfigError::new(
                    format!("rules.{name}.repeats.share"),
                    "must be over 0 and at most 1",
                ));
            }
            if !(1_000..=65_535_000).contains(&r.repeats.within_ms)
                || r.repeats.within_ms % 1000 != 0
            {
                return Err(ConfigError::new(
                    format!("rules.{name}.repeats.within_ms"),
                    "must be whole seconds, from 1 s to 65,535 s (18 hours)",
                ));
            }
            // Only cli_fanout's callees are stamped (engine::rules::cli_fanout).
            if r.learn.hold_uncalled && (name != "cli_fanout" || r.called.factor < 2) {
                return Err(ConfigError::new(
                    format!("rules.{name}.learn.hold_uncalled"),
                    "needs called stamps: only cli_fanout keeps them, with \
                     [rules.cli_fanout.called] factor 2 or more",
                ));
            }
            if r.learn.hold_paced && name != "cli_fanout" {
                return Err(ConfigError::new(
                    format!("rules.{name}.learn.hold_paced"),
                    "only cli_fanout: its members are one CLI's callees, one per call",
                ));
            }
            if !r.skip_cli_types.is_empty() && name != "cli_rotation" {
                return Err(ConfigError::new(
                    format!("rules.{name}.skip_cli_types"),
                    "only cli_rotation: it counts a source's CLIs",
                ));
            }
            if !r.skip_b_types.is_empty() && name != "distinct_callers" {
                return Err(ConfigError::new(
                    format!("rules.{name}.skip_b_types"),
                    "only distinct_callers: it counts a B-number's callers",
                ));
            }
            if r.min_ingress_clis > 0 && name != "cli_fanout" {
                return Err(ConfigError::new(
                    format!("rules.{name}.min_ingress_clis"),
                    "only cli_fanout: it judges a CLI by its ingress's CLIs",
                ));
            }
            if r.shared_type_min_ingress_clis > 0 && name != "cli_fanout" {
                return Err(ConfigError::new(
                    format!("rules.{name}.shared_type_min_ingress_clis"),
                    "only cli_fanout: it judges a CLI by its ingress's CLIs",
                ));
            }
            if r.listed_threshold > 0 && name != "distinct_callers" {
                return Err(ConfigError::new(
                    format!("rules.{name}.listed_threshold"),
                    "only distinct_callers: it counts a B-number's callers",
                ));
            }
            if r.listed_threshold == 1 {
                return Err(ConfigError::new(
                    format!("rules.{name}.listed_threshold"),
                    "must be 0 (off) or at least 2: one caller is no crowd",
                ));
            }
            if r.min_ingress_callers > 0 && name != "distinct_callers" {
                return Err(ConfigError::new(
                    format!("rules.{name}.min_ingress_callers"),
                    "only distinct_callers: it counts a B-number's callers per ingress",
                ));
            }
            if !(0.0..=1.0).contains(&r.min_ingress_share) {
                return Err(ConfigError::new(
                    format!("rules.{name}.min_ingress_share"),
                    "must be between 0 and 1",
                ));
            }
            for (trunk, t) in &r.trunk_thresholds {
                if trunk.trim().is_empty() || *t == 0 {
                    return Err(ConfigError::new(
                        format!("rules.{name}.trunk_thresholds"),
                        format!(
                            "{trunk:?} = {t}: needs a trunk name and a threshold of at least 1"
                        ),
                    ));
                }
            }
        }
        let ds = &self.distinct_callers_slow;
        if ds.threshold == 0 {
            return Err(ConfigError::new(
                "rules.distinct_callers_slow.threshold",
                "must be at least 1",
            ));
        }
        check_window("rules.distinct_callers_slow.window_ms", ds.window_ms)?;
        ds.learn.validate("distinct_callers_slow")?;
        if ds.learn.hold_uncalled {
            return Err(ConfigError::new(
                "rules.distinct_callers_slow.learn.hold_uncalled",
                "needs called stamps: only cli_fanout keeps them",
            ));
        }
        if ds.learn.hold_paced {
            return Err(ConfigError::new(
                "rules.distinct_callers_slow.learn.hold_paced",
                "only cli_fanout: its members are one CLI's callees, one per call",
            ));
        }
        if !(0.0..=1.0).contains(&ds.min_ingress_share) {
            return Err(ConfigError::new(
                "rules.distinct_callers_slow.min_ingress_share",
                "must be between 0 and 1",
            ));
        }
        if !(1.0..=100.0).contains(&ds.learn_number_factor) {
            return Err(ConfigError::new(
                "rules.distinct_callers_slow.learn_number_factor",
                "must be between 1 and 100",
            ));
        }
        if !ds.action.is_off()
            && !self.distinct_callers.action.is_off()
            && ds.window_ms < self.distinct_callers.window_ms
        {
            return Err(ConfigError::new(
                "rules.distinct_callers_slow.window_ms",
                format!(
                    "{} is shorter than rules.distinct_callers.window_ms = {}: the slow tier \
                     must look further back than the burst tier",
                    ds.window_ms, self.distinct_callers.window_ms
                ),
            ));
        }
        if let Some(c) = ds.cooldown_ms {
            check_window("rules.distinct_callers_slow.cooldown_ms", c)?;
        }
        let sf = &self.quiet_fanin;
        if !(2..=255).contains(&sf.threshold) {
            return Err(ConfigError::new(
                "rules.quiet_fanin.threshold",
                "must be between 2 and 255",
            ));
        }
        if sf.block_callers == 1 || sf.block_callers > 255 {
            return Err(ConfigError::new(
                "rules.quiet_fanin.block_callers",
                "must be 0 (off) or between 2 and 255",
            ));
        }
        if !(1..=43_200_000).contains(&sf.quiet_ms) {
            return Err(ConfigError::new(
                "rules.quiet_fanin.quiet_ms",
                "must be between 1 and 43200000 (12 hours)",
            ));
        }
        if !sf.action.is_off() && !ds.action.is_off() && ds.window_ms > 1_800_000 {
            return Err(ConfigError::new(
                "rules.quiet_fanin",
                format!(
                    "reads rules.distinct_callers_slow's window, {} ms: a spell is judged over \
                     at most 30 minutes (1800000); turn quiet_fanin off or shorten that window",
                    ds.window_ms
                ),
            ));
        }
        let il = &self.intl_ingress_local_cli;
        check_window("rules.intl_ingress_local_cli.window_ms", il.window_ms)?;
        if il.standing_ms > 0 {
            if !(60_000..=il.standing_ms).contains(&il.standing_slot_ms) {
                return Err(ConfigError::new(
                    "rules.intl_ingress_local_cli.standing_slot_ms",
                    "must be between 1 minute (60000) and standing_ms",
                ));
            }
            if il.standing_ms > 24 * 3_600_000 || il.standing_ms / il.standing_slot_ms > 60 {
                return Err(ConfigError::new(
                    "rules.intl_ingress_local_cli.standing_ms",
                    "must be at most a day (86400000) and at most 60 slots \
                     (standing_slot_ms); 0 turns standing off",
                ));
            }
        }
        for s in &il.sources {
            parse_net(s)
                .map_err(|r| ConfigError::new("rules.intl_ingress_local_cli.sources", r))?;
        }
        check_numbers(
            "rules.invalid_cli.barred_prefixes",
            &self.invalid_cli.barred_prefixes,
        )?;
        check_numbers(
            "rules.invalid_cli.unallocated_prefixes",
            &self.invalid_cli.unallocated_prefixes,
        )?;
        check_numbers(
            "rules.intl_ingress_local_cli.home_cli_prefixes",
            &il.home_cli_prefixes,
        )?;
        check_numbers(
            "rules.intl_ingress_local_cli.roaming_a_numbers",
            &il.roaming_a_numbers,
        )
    }

    /// Every threshold of a rule that is on, with the key that sets it.
    pub(super) fn active_thresholds(&self) -> Vec<(String, u32)> {
        let ds = &self.distinct_callers_slow;
        let mut out: Vec<(String, u32)> = vec![];
        if !ds.action.is_off() {
            out.push(("rules.distinct_callers_slow.threshold".into(), ds.threshold));
        }
        if !ds.action.is_off() && !self.quiet_fanin.action.is_off() {
            out.push((
                "rules.quiet_fanin.threshold".into(),
                self.quiet_fanin.threshold,
            ));
        }
        for (name, r) in self.window_rules() {
            if r.action.is_off() {
                continue;
            }
            out.push((format!("rules.{name}.threshold"), r.threshold));
            for (trunk, t) in &r.trunk_thresholds {
                out.push((format!("rules.{name}.trunk_thresholds.{trunk}"), *t));
            }
        }
        out
    }
}
