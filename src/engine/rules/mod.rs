// SPDX-License-Identifier: MIT OR Apache-2.0
//! The detection rules, one per file.
//!
//! A rule reads the facts of a call that the engine has already worked out
//! ([`Facts`]: normalised numbers, ingress, which lists match) and adds to the
//! call's [`Plan`]: a reason with an action when it fires on the call alone
//! (`invalid_cli`), and/or one window update when it counts calls over time
//! (`distinct_callers`, `cli_velocity`, ...). What a window rule does with the
//! store's answer — threshold, action, alert, evidence, cooldown — is the same
//! for every rule and lives in the engine; a rule only declares it as data
//! ([`Window`]), including how it relates to other rules (`folds_into`).
//!
//! Adding a rule: a file here with its `DEF`, one line in [`RULES`], its
//! config section (`config/rules.rs`) and its reason code (`contract/reason.rs`
//! plus `include/acm.h`). See `docs/ARCHITECTURE.md` for a worked example.

mod cli_fanout;
mod cli_rotation;
mod cli_velocity;
mod distinct_callers;
mod distinct_callers_slow;
mod intl_ingress_local_cli;
mod invalid_cli;
mod quiet_fanin;

use std::sync::Arc;

use compact_str::CompactString;
use smallvec::SmallVec;

use crate::config::Config;
use crate::contract::{Action, CalledStamp, Learn, Reason, Reasons, WindowOp};
use crate::number::plan::NumberType;
use crate::number::{NumberProblem, NumberingPlan, E164};

use super::call::Call;

/// A rule's static facts and how to build it from a configuration.
pub struct RuleDef {
    pub reason: Reason,
    /// The verdict field (API, replay output) showing the rule's window count, if any.
    pub count_field: Option<&'static str>,
    /// Builds the rule from its config section; `None` when it is off.
    pub compile: fn(&Config, &Compiler) -> Option<Arc<dyn Rule>>,
}

/// Every rule, in the order they plan a call (which is the order of their
/// window updates in a store request and of their alerts in a verdict).
pub static RULES: &[RuleDef] = &[
    invalid_cli::DEF,
    intl_ingress_local_cli::DEF,
    distinct_callers::DEF,
    distinct_callers_slow::DEF,
    quiet_fanin::DEF,
    cli_velocity::DEF,
    cli_rotation::DEF,
    cli_fanout::DEF,
];

/// The verdict fields showing window counts, with the rule each shows.
pub fn count_fields() -> impl Iterator<Item = (&'static str, Reason)> {
    RULES
        .iter()
        .filter_map(|d| d.count_field.map(|f| (f, d.reason)))
}

/// What every rule may read about a call, worked out once before any runs.
pub struct Facts<'a> {
    pub call: &'a Call,
    pub time_ms: i64,
    /// The CLI (From, or PAI when From is withheld) in E.164, or why not.
    pub cli: &'a Result<E164, NumberProblem>,
    /// A home CLI's type in the national numbering plan, `Some(None)` when the
    /// plan has no such number; None for foreign CLIs, or without a plan.
    pub cli_plan: Option<Option<NumberType>>,
    /// The home country's numbering plan, when a rule needs it.
    pub nsn: Option<&'a crate::number::plan::NsnPlan>,
    /// The CLI's key: E.164 with `+`, or as presented when invalid.
    pub a_key: &'a CompactString,
    pub b_key: &'a CompactString,
    pub call_id: &'a CompactString,
    /// The ingress trunk, when given and not empty.
    pub trunk: Option<&'a str>,
    /// `trunk:<name>`, else the source address: what per-ingress windows count on.
    pub source_key: Option<&'a CompactString>,
    pub a_allowed: bool,
    pub b_allowed: bool,
    pub source_allowed: bool,
    pub numbering: &'a NumberingPlan,
    /// [`Facts::b_plan`], once a rule asked (both fan-in tiers do).
    pub b_type: std::cell::OnceCell<Option<Option<NumberType>>>,
}

impl Facts<'_> {
    /// The B-number's type in the national plan: `Some(None)` when the plan
    /// has no such home number; None for foreign numbers, or without a plan.
    #[inline]
    pub fn b_plan(&self) -> Option<Option<NumberType>> {
        *self.b_type.get_or_init(|| self.b_plan_now())
    }

    /// Whether the B-number is a home number of one of `types` (any number
    /// when `types` is empty).
    #[inline]
    pub fn b_is_one_of(&self, types: &[NumberType]) -> bool {
        types.is_empty() || matches!(self.b_plan(), Some(Some(t)) if types.contains(&t))
    }

    fn b_plan_now(&self) -> Option<Option<NumberType>> {
        let plan = self.nsn?;
        let nsn = self
            .b_key
            .strip_prefix('+')?
            .strip_prefix(self.numbering.country_code.as_str())?;
        Some(plan.number_type(nsn.as_bytes()))
    }
}

/// What the rules add to one call: reasons fired on the call alone (with the
/// strongest such action) and the window updates for the store, written
/// straight into the call's store request (no plan to move into it after).
#[derive(Debug)]
pub struct Plan<'a> {
    pub reasons: Reasons,
    pub static_action: Option<Action>,
    pub windows: &'a mut SmallVec<[WindowOp; 5]>,
    /// The callee the store is to stamp as called (`contract::Called`).
    pub called: &'a mut Option<CalledStamp>,
    /// The last per-ingress fan-in op counted on this call: its source (as
    /// address and length: the same `&str` of the call's facts) and its
    /// index in `windows`. Both fan-in tiers count under `<source>|<B>`:
    /// the second clones the first's key instead of building it again.
    fanin: Option<(*const u8, usize, usize)>,
    /// A window judged only when the call's ingress carries at least this
    /// many distinct CLIs in cli_rotation's window: (its index in
    /// `windows`, the least CLIs, whether a call without that window is
    /// held too). See [`Plan::judge_by_ingress_clis`].
    pub ingress_scale: Option<(u8, u32, bool)>,
    /// A window counted on this call but not judged on it (its index in
    /// `windows`). See [`Plan::count_unjudged`].
    pub unjudged: Option<u8>,
    /// A share-gated window sent with a lower threshold than the call's
    /// (its index in `windows`, the call's threshold). See
    /// [`Plan::judge_over_every_ingress`].
    pub early: Option<(u8, u32)>,
    /// A rule of kind that fires unless the store finds the call's CLI has
    /// standing. See [`Plan::fire_unless_standing`].
    pub standing: Option<Standing>,
    /// A rule that planned so far blocks the call, or may unless its CLI
    /// has standing: the call counts in no other rule's windows.
    blocks: bool,
}

/// A rule of kind whose firing waits for the store's count of the CLI's
/// presence (`rules.intl_ingress_local_cli.standing_ms`): it fires, and its
/// window (when counted) is judged, unless the count op reached `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub reason: Reason,
    pub action: Action,
    /// The count op's index in the plan's windows (`u8::MAX`: not yet
    /// counted: the rule fires).
    pub op: u8,
    /// The rule's own window counted on the call: its index (`u8::MAX`:
    /// none), judged only when the rule fires.
    pub window: u8,
    /// The count that gives the CLI standing.
    pub at: u32,
}

/// Whether a rule limited to `types` counts this CLI: every valid CLI when
/// `types` is empty, else a home CLI of one of the types.
pub fn cli_counts(f: &Facts, types: &[NumberType]) -> bool {
    f.cli.is_ok() && (types.is_empty() || matches!(f.cli_plan, Some(Some(t)) if types.contains(&t)))
}

/// The key of a per-ingress fan-in window: `<source key>|<B-number>`, built
/// without the formatting machinery (it runs on every call).
pub fn ingress_key(source: &str, b_key: &str) -> CompactString {
    let n = source.len() + 1 + b_key.len();
    if n <= 64 {
        // Assembled on the stack and copied once: `push_str` and `push`
        // check capacity and re-read the representation at every step
        // (~270 instructions a key, three keys a call with the defaults).
        let mut buf = [0u8; 64];
        buf[..source.len()].copy_from_slice(source.as_bytes());
        buf[source.len()] = b'|';
        buf[source.len() + 1..n].copy_from_slice(b_key.as_bytes());
        // SAFETY: two UTF-8 strings joined by an ASCII byte are UTF-8.
        let key = unsafe { std::str::from_utf8_unchecked(&buf[..n]) };
        // `From<&str>` writes a short key inline in one copy (~26
        // instructions a key fewer than `from_utf8_unchecked`, which sizes
        // a buffer first and sets the length through two calls).
        return CompactString::from(key);
    }
    let mut key = CompactString::with_capacity(n);
    key.push_str(source);
    key.push('|');
    key.push_str(b_key);
    key
}

impl<'a> Plan<'a> {
    /// A plan writing its window updates into `windows` and its called
    /// stamp into `called` (both left as they are).
    pub fn new(
        windows: &'a mut SmallVec<[WindowOp; 5]>,
        called: &'a mut Option<CalledStamp>,
    ) -> Plan<'a> {
        Plan {
            reasons: Reasons::default(),
            static_action: None,
            windows,
            called,
            fanin: None,
            ingress_scale: None,
            unjudged: None,
            early: None,
            standing: None,
            blocks: false,
        }
    }

    /// Asks the store to remember the call's B-number as called, for the
    /// windows of `w` that ask (`Window::called`); not when a rule that
    /// planned before blocks the call, or may block it unless its CLI has
    /// standing (it never reaches its callee, and a
    /// SIM box's owner could otherwise make its SIMs look called by calling
    /// them through a gateway with a home CLI).
    ///
    /// `caller`: the caller's own window of `w`'s rule in this plan (its
    /// index), when it was counted: the store skips the stamp when that
    /// count reaches the window's threshold (`CalledStamp::unless_over`).
    /// A call to oneself stamps nothing.
    #[inline]
    pub fn stamp_called(&mut self, f: &Facts, w: &Window, caller: Option<usize>) {
        if self.blocks || f.a_key == f.b_key {
            return;
        }
        if let Some(c) = w.called {
            let keep_ms = self.called.as_ref().map_or(0, |s| s.keep_ms);
            *self.called = Some(CalledStamp {
                rule: w.rule,
                number: f.b_key.clone(),
                time_ms: f.time_ms,
                keep_ms: keep_ms.max(c.within_ms as i64),
                unless_over: caller.and_then(|i| u8::try_from(i).ok()),
            });
        }
    }

    /// The window at index `i` (counted on this call) is judged only when
    /// cli_rotation's window of the call counts at least `min` distinct CLIs
    /// on its ingress (`rules.cli_fanout.shared_type_min_ingress_clis`,
    /// `min_ingress_clis`): otherwise the engine holds its alert back. A
    /// call cli_rotation does not count is held when `strict`, else judged.
    #[inline]
    pub fn judge_by_ingress_clis(&mut self, i: usize, min: u32, strict: bool) {
        self.ingress_scale = u8::try_from(i).ok().map(|i| (i, min, strict));
    }

    /// The window last counted on this call (if it was) is not judged on
    /// it: the call counts towards its key's window and learned level as
    /// any other, but its rule does not fire on it, and an alert the store
    /// raised on it is held back (`rules.cli_rotation.skip_cli_types`).
    #[inline]
    pub fn count_unjudged(&mut self, before: usize) {
        if self.windows.len() > before {
            self.unjudged = u8::try_from(before).ok();
        }
    }

    /// The window at index `i` (counted on this call, share-gated) is sent
    /// with threshold `least` when that is below the call's: the engine then
    /// judges a count from `least` up to the call's threshold by the
    /// number's callers over every ingress in the window, which must reach
    /// the call's threshold, this ingress having brought its share of them
    /// (`rules.distinct_callers.min_ingress_callers`). A burst that leaks a
    /// few calls to other routes is then blocked by its 5th caller too.
    #[inline]
    pub fn judge_over_every_ingress(&mut self, i: usize, least: u32) {
        if let Some(op) = self.windows.get_mut(i) {
            if least < op.threshold {
                self.early = u8::try_from(i).ok().map(|at| (at, op.threshold));
                op.threshold = least;
            }
        }
    }

    /// The rule fired on this call alone.
    #[inline]
    pub fn fire(&mut self, reason: Reason, action: Action) {
        self.reasons.insert(reason);
        self.static_action = self.static_action.max(Some(action));
        self.blocks |= action == Action::Block;
    }

    /// The rule of kind `reason` fires with `action` unless the CLI has
    /// standing: the call's `member` counted under `key` in a count-only op
    /// over `window_ms` reaches `at` distinct members. Meanwhile the call
    /// counts in other rules' windows as though it had fired (a call it
    /// blocks counts in none). Count the rule's own window (if any) after
    /// this and before [`Plan::count_standing`]: it is judged only when the
    /// rule fires.
    #[inline]
    pub fn fire_unless_standing(&mut self, reason: Reason, action: Action) {
        self.standing = Some(Standing {
            reason,
            action,
            op: u8::MAX,
            window: u8::MAX,
            at: u32::MAX,
        });
        self.blocks |= action == Action::Block;
    }

    /// The count op of [`Plan::fire_unless_standing`]; `window`: the
    /// rule's own window's index when it was counted on this call.
    pub fn count_standing(
        &mut self,
        f: &Facts,
        key: CompactString,
        member: CompactString,
        window_ms: i64,
        at: u32,
        window: Option<usize>,
    ) {
        let Some(st) = self.standing.as_mut() else {
            return;
        };
        let Ok(op) = u8::try_from(self.windows.len()) else {
            return;
        };
        st.op = op;
        st.at = at;
        st.window = window.and_then(|w| u8::try_from(w).ok()).unwrap_or(u8::MAX);
        self.windows.push(WindowOp {
            rule: st.reason,
            key,
            member,
            time_ms: f.time_ms,
            window_ms,
            threshold: at,
            cooldown_ms: 0,
            member_cap: at + 1,
            learn: None,
            count_only: true,
            called: None,
            repeats: None,
            span: false,
            recent_ms: 0,
            spell: None,
        });
    }

    /// Whether the call counts in the windows of `w`'s rule: not when a rule
    /// that planned before (a rule of kind: `intl_ingress_local_cli`) already
    /// blocks it, or may ([`Plan::fire_unless_standing`]), except in that
    /// rule's own window. Like a deny-listed call,
    /// a call refused for what it is never reaches its callee; counting it
    /// would judge its source's and callee's other calls by it (a gateway's
    /// handful of masked calls tipping its legitimate traffic over
    /// `cli_rotation`'s floor).
    #[inline]
    fn counts_in(&self, w: &Window) -> bool {
        !self.blocks
            || self.reasons.contains(w.rule)
            || self.standing.is_some_and(|s| s.reason == w.rule)
    }

    /// Counts `member` in the window of `w` under the per-ingress key
    /// `<src>|<B-number>` ([`ingress_key`]), cloned from an op this plan
    /// already counted under it when there is one (one key built a call
    /// where both fan-in tiers count; ~85 instructions a key).
    #[inline]
    pub fn count_on_ingress(&mut self, f: &Facts, w: &Window, src: &str, member: CompactString) {
        if !self.counts_in(w) {
            return;
        }
        let key = match self.fanin {
            Some((ptr, len, i)) if ptr == src.as_ptr() && len == src.len() => {
                self.windows[i].key.clone()
            }
            _ => ingress_key(src, f.b_key),
        };
        self.fanin = Some((src.as_ptr(), src.len(), self.windows.len()));
        self.count(f, w, key, member);
    }

    /// Counts `member` in the window of `w` under `key` at the call's time,
    /// judged against the call's trunk's threshold.
    #[inline(always)]
    pub fn count(&mut self, f: &Facts, w: &Window, key: CompactString, member: CompactString) {
        if !self.counts_in(w) {
            return;
        }
        self.windows.push(WindowOp {
            rule: w.rule,
            key,
            member,
            time_ms: f.time_ms,
            window_ms: w.window_ms,
            threshold: w.threshold_for(f.trunk),
            cooldown_ms: w.cooldown_ms.clamp(0, u32::MAX as i64) as u32,
            member_cap: w.member_cap,
            learn: w.learn,
            count_only: false,
            called: w.called,
            repeats: w.repeats,
            span: w.min_share_milli.is_some(),
            recent_ms: 0,
            spell: None,
        });
    }

    /// Counts `member` under `key` for the engine to read beside the window
    /// of `w` (a companion count): a count-only op, so the store keeps no
    /// evidence or cooldown for it and never answers an alert. Its threshold
    /// is the member cap, which only sizes its window: the store keeps up to
    /// twice the cap of members for it (a store keeps
    /// `max(member_cap, 2 × threshold)`), which bounds its memory. A
    /// companion that learns its key's level (`Window::companion_learn`)
    /// has the rule's threshold, its learning floor, and twice the cap.
    #[inline]
    pub fn count_beside(
        &mut self,
        f: &Facts,
        w: &Window,
        key: CompactString,
        member: CompactString,
    ) {
        if !self.counts_in(w) {
            return;
        }
        let (threshold, member_cap, learn) = match w.companion_learn {
            Some(l) => (w.threshold, w.member_cap.saturating_mul(2), Some(l)),
            None => (w.member_cap, w.member_cap, None),
        };
        self.windows.push(WindowOp {
            rule: w.rule,
            key,
            member,
            time_ms: f.time_ms,
            window_ms: w.window_ms,
            threshold,
            cooldown_ms: w.cooldown_ms.clamp(0, u32::MAX as i64) as u32,
            member_cap,
            learn,
            count_only: true,
            called: None,
            repeats: None,
            span: true,
            recent_ms: w.companion_recent_ms,
            spell: None,
        });
    }
}

/// A window rule's parameters, as data the engine concludes with.
#[derive(Debug, Clone)]
pub struct Window {
    pub rule: Reason,
    /// What the rule does when its count reaches the threshold.
    pub action: Action,
    pub threshold: u32,
    pub window_ms: i64,
    pub cooldown_ms: i64,
    /// Most members the window keeps (see [`member_cap`]).
    pub member_cap: u32,
    /// Per ingress trunk: the threshold a call on that trunk is judged against.
    pub trunk_thresholds: TrunkThresholds,
    /// When the rule named here fired on the same call with an alert of its
    /// own (raised or still active), a new alert of this window is folded into
    /// that one: one attack, one alert. Its cooldown still starts. The other
    /// way too: while this window's alert runs, a new alert of the rule named
    /// here is folded into it, unless that rule's action is stronger (an
    /// escalation from flag to block gets its own alert).
    pub folds_into: Option<Reason>,
    /// The window learns each key's normal level, which raises that key's
    /// threshold above `threshold` (a floor then): see `contract::Learn`.
    pub learn: Option<Learn>,
    /// On a key busy by nature (`contract::Learn::busy`), only the call that
    /// raises the alert carries the rule's action.
    pub busy_alert_only: bool,
    /// A per-ingress window that fires only when its ingress brought at least
    /// this share (in thousandths) of the B-number's distinct callers: its op
    /// is preceded by one counting the same call under [`ALL_INGRESSES`].
    pub min_share_milli: Option<u32>,
    /// With `min_share_milli`: the companion over every ingress learns its
    /// key's (the B-number's) level too, this way (the window's learning
    /// with the companion's own factor), and the window fires only when the
    /// companion's count is also at or over its learned threshold.
    pub companion_learn: Option<Learn>,
    /// With `min_share_milli`: on a call where this rule has a share-gated
    /// per-ingress window and its count over every ingress, the share is read
    /// from those two (their window, same B-number and ingress) instead of
    /// this window's own count and companion.
    pub share_from: Option<Reason>,
    /// With `min_share_milli`: a count from this many up to the threshold
    /// is judged by the number's callers over every ingress in the window
    /// (see [`Plan::judge_over_every_ingress`]).
    pub min_ingress_callers: Option<u32>,
    /// With `min_share_milli`: the companion over every ingress also
    /// answers its callers within this many ms (`WindowOp::recent_ms`; 0:
    /// not): a shorter window's count over every ingress, for a rule that
    /// borrows this one's share (`share_from`).
    pub companion_recent_ms: u32,
    /// Keyed by a number: that number judged against a higher threshold
    /// when it was itself called lately (`contract::Called`).
    pub called: Option<crate::contract::Called>,
    /// Judged against a higher threshold when its key repeats members
    /// (`contract::Repeats`); only with `learn`.
    pub repeats: Option<crate::contract::Repeats>,
    /// A rule judged by a number's spell (`quiet_fanin`): its alert is
    /// withdrawn, for the rest of the spell, by the first call at its count
    /// that came through a route that brought this many of the number's
    /// callers or more.
    pub max_ingress_callers: Option<u32>,
    /// A rule judged by a number's spell: its calls are blocked once the
    /// number has this many callers over every ingress within the slow
    /// tier's companion's recent span (`WindowOp::recent_ms`, the burst
    /// window), whatever the rule's own action.
    pub block_recent_callers: Option<u32>,
}

/// The source part of a per-ingress key that counts every ingress together
/// (`*|<B-number>`); no source key is `*`.
pub const ALL_INGRESSES: &str = "*";

/// The ingress of every call without a trunk name, for the fan-in windows
/// when `rules.untrunked_one_ingress` is on (a source key is `trunk:<name>`
/// or an address, so it cannot be this).
pub const UNTRUNKED: &str = "untrunked";

/// The ingress a per-ingress fan-in window counts a call under: its trunk,
/// else its address, or [`UNTRUNKED`] for every address when `one` is set.
#[inline]
pub fn fanin_source<'a>(f: &Facts<'a>, one: bool) -> Option<&'a str> {
    match f.source_key {
        Some(_) if one && f.trunk.is_none() => Some(UNTRUNKED),
        Some(k) => Some(k.as_str()),
        None => None,
    }
}

/// Whether a window op counts every ingress together (the companion of a
/// share-gated per-ingress window, read by the engine, never alerting).
#[inline]
pub fn is_all_ingresses(key: &str) -> bool {
    key.as_bytes().starts_with(b"*|")
}

impl Window {
    /// A window from a rule's common keys.
    pub fn new(
        rule: Reason,
        action: Action,
        threshold: u32,
        window_ms: u64,
        cooldown_ms: Option<u64>,
        c: &Compiler,
    ) -> Window {
        Window {
            rule,
            action,
            threshold,
            window_ms: window_ms as i64,
            cooldown_ms: cooldown_ms.unwrap_or(c.default_cooldown_ms) as i64,
            member_cap: member_cap(threshold, c.max_members_per_key),
            trunk_thresholds: TrunkThresholds::default(),
            folds_into: None,
            learn: None,
            busy_alert_only: false,
            min_share_milli: None,
            companion_learn: None,
            share_from: None,
            min_ingress_callers: None,
            companion_recent_ms: 0,
            called: None,
            repeats: None,
            max_ingress_callers: None,
            block_recent_callers: None,
        }
    }

    /// Fires only when the call's ingress brought at least `share` (0–1) of
    /// the B-number's distinct callers (`min_share_milli`); 0 leaves it off.
    pub fn gated_by_share(mut self, share: f64) -> Window {
        if share > 0.0 {
            self.min_share_milli = Some((share * 1000.0).round() as u32);
        }
        self
    }

    /// Learns each key's level when the rule's section asks for it.
    pub fn learning(mut self, l: &crate::config::LearnConfig, c: &Compiler) -> Window {
        if l.enabled {
            self.learn = Some(Learn {
                interval_ms: l.interval_ms.unwrap_or(self.window_ms.max(1000) as u64) as u32,
                shift: (1.0 / l.weight).log2().round() as u8,
                floor_milli: (l.observe_from * 1000.0).round() as u32,
                k_milli: (l.factor * 1000.0).round() as u32,
                keep_ms: c.learn_keep_ms as u32,
                hold_after: l.hold_after,
                hold_known: l.hold_known,
                hold_uncalled: l.hold_uncalled,
                hold_paced: l.hold_paced,
                keep_known: l.busy_alert_only || l.hold_known,
            });
            self.busy_alert_only = l.busy_alert_only;
        }
        self
    }

    /// Gives trunks their own thresholds (the member cap follows the highest).
    pub fn with_trunk_thresholds(
        mut self,
        m: &std::collections::BTreeMap<String, u32>,
        c: &Compiler,
    ) -> Window {
        self.trunk_thresholds = TrunkThresholds::new(m);
        let highest = m.values().fold(self.threshold, |h, &t| h.max(t));
        self.member_cap = member_cap(highest, c.max_members_per_key);
        self
    }

    /// The threshold a call on `trunk` is judged against.
    #[inline]
    pub fn threshold_for(&self, trunk: Option<&str>) -> u32 {
        self.trunk_thresholds.get(trunk).unwrap_or(self.threshold)
    }
}

/// What compiling a rule needs beyond its own section.
pub struct Compiler {
    pub numbering: NumberingPlan,
    pub default_cooldown_ms: u64,
    pub max_members_per_key: usize,
    /// How long learned levels outlive their windows (`[learning] keep_ms`).
    pub learn_keep_ms: u64,
}

/// How many members a window of a rule keeps: four times the highest
/// threshold it is judged against (per-trunk ones included), at least 64, at
/// most `store.max_members_per_key`. A window keeps its newest members, so
/// every threshold decision is exact while the cap is at or above the
/// threshold; a count above the cap reads as the cap. Memory per key is then
/// bounded by the rule, not by the traffic: a trunk presenting 10,000 CLIs a
/// minute costs no more than one presenting 80.
pub fn member_cap(max_threshold: u32, max_members_per_key: usize) -> u32 {
    let cap = max_threshold.saturating_mul(4).max(64) as usize;
    cap.min(max_members_per_key).clamp(1, u32::MAX as usize) as u32
}

/// Thresholds that replace a rule's own for calls arriving on given trunks.
#[derive(Debug, Clone, Default)]
pub struct TrunkThresholds(hashbrown::HashMap<CompactString, u32>);

impl TrunkThresholds {
    fn new(m: &std::collections::BTreeMap<String, u32>) -> TrunkThresholds {
        TrunkThresholds(
            m.iter()
                .map(|(k, v)| (CompactString::from(k.trim()), *v))
                .collect(),
        )
    }
    #[inline]
    fn get(&self, trunk: Option<&str>) -> Option<u32> {
        if self.0.is_empty() {
            return None;
        }
        trunk.and_then(|t| self.0.get(t).copied())
    }
}

/// One detection rule, compiled from its config section.
pub trait Rule: Send + Sync + std::fmt::Debug {
    fn reason(&self) -> Reason;
    /// The window it keeps, if it keeps one.
    fn window(&self) -> Option<&Window> {
        None
    }
    /// Adds what this rule makes of the call to the plan.
    fn plan(&self, f: &Facts, p: &mut Plan);
    /// The call's own number that keys this rule's window, when one does: the
    /// engine tells the store such keys as soon as it knows them (a prefetch),
    /// and only the keys some window will update.
    fn keyed_by(&self) -> Option<CallNumber> {
        None
    }
}

/// One of the call's numbers, as a window key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallNumber {
    /// The CLI's key.
    A,
    /// The B-number's key.
    B,
}

/// The rules of one configuration, and their windows indexed by reason.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Arc<dyn Rule>>,
    windows: Vec<Option<Window>>,
    /// Some window is keyed by the CLI's key / by the B-number's key.
    keyed_by_a: bool,
    keyed_by_b: bool,
}

impl RuleSet {
    pub fn compile(cfg: &Config, c: &Compiler) -> RuleSet {
        let rules: Vec<Arc<dyn Rule>> = RULES.iter().filter_map(|d| (d.compile)(cfg, c)).collect();
        let mut windows = vec![None; Reason::COUNT];
        for r in &rules {
            if let Some(w) = r.window() {
                windows[w.rule.index()] = Some(w.clone());
            }
        }
        let keyed_by = |n| rules.iter().any(|r| r.keyed_by() == Some(n));
        let (keyed_by_a, keyed_by_b) = (keyed_by(CallNumber::A), keyed_by(CallNumber::B));
        RuleSet {
            rules,
            windows,
            keyed_by_a,
            keyed_by_b,
        }
    }

    /// Whether some window of these rules is keyed by the call's number `n`.
    #[inline]
    pub fn keyed_by(&self, n: CallNumber) -> bool {
        match n {
            CallNumber::A => self.keyed_by_a,
            CallNumber::B => self.keyed_by_b,
        }
    }

    /// The rules that are on, in planning order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Rule>> {
        self.rules.iter()
    }

    /// The window kept for a rule's reason, when that rule is on and keeps one.
    #[inline]
    pub fn window(&self, rule: Reason) -> Option<&Window> {
        self.windows.get(rule.index()).and_then(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingress_keys_join_source_and_b_number_at_any_length() {
        assert_eq!(ingress_key("*", "+2348031234567"), "*|+2348031234567");
        assert_eq!(ingress_key("", ""), "|");
        for n in [0, 10, 23, 24, 40, 62, 63, 64, 65, 200] {
            let src = "s".repeat(n);
            let key = ingress_key(&src, "+2348099999999");
            assert_eq!(key, format!("{src}|+2348099999999"), "source of {n} bytes");
        }
        assert_eq!(ingress_key("trunk:é", "ü"), "trunk:é|ü");
    }
}
