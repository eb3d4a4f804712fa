// SPDX-License-Identifier: MIT OR Apache-2.0
//! `distinct_callers`: many distinct A-numbers reaching one B-number within a
//! short sliding window (default 5 in 10 s, block): the fan-in of a masking
//! burst, where a platform presents a fresh CLI on every call to one victim.
//! Counted per ingress by default, and only when that ingress brought most of
//! the number's callers (`min_ingress_share`): a burst comes through one
//! route, a radio phone-in's crowd through every network. Where the slow tier
//! counts the call with a share of its own, its windows give the share (the
//! ingress's part of the number's callers over its longer window): one count
//! over every ingress a call, not two.

use std::sync::Arc;

use super::{CallNumber, Compiler, Facts, Plan, Rule, RuleDef, Window};
use crate::config::Config;
use crate::contract::{Action, Reason};
use crate::number::plan::NumberType;

pub const DEF: RuleDef = RuleDef {
    reason: Reason::DistinctCallers,
    count_field: Some("distinct_callers"),
    compile,
};

#[derive(Debug)]
struct DistinctCallers {
    window: Window,
    per_ingress: bool,
    /// Every untrunked address one ingress (`rules.untrunked_one_ingress`).
    untrunked_one: bool,
    /// The slow tier, when its windows also give this one its share.
    slow: Option<super::distinct_callers_slow::Counted>,
    /// Home numbers of these types are not counted (`skip_b_types`).
    skip_b: Vec<NumberType>,
    /// Calls to allow-listed B-numbers, counted per ingress in a window of
    /// their own at `listed_threshold` (the engine never blocks an
    /// allow-listed call, so they are only flagged).
    listed: Option<Window>,
}

fn compile(cfg: &Config, c: &Compiler) -> Option<Arc<dyn Rule>> {
    let r = &cfg.rules.distinct_callers;
    let mut window = Window::new(
        Reason::DistinctCallers,
        r.action.action()?,
        r.threshold,
        r.window_ms,
        r.cooldown_ms,
        c,
    )
    .with_trunk_thresholds(&r.trunk_thresholds, c)
    .learning(&r.learn, c);
    let mut slow = None;
    if r.per_ingress {
        window = window.gated_by_share(r.min_ingress_share);
    }
    if window.min_share_milli.is_some() {
        slow = super::distinct_callers_slow::Counted::sharing(cfg);
        if slow.is_some() {
            window.share_from = Some(Reason::DistinctCallersSlow);
        }
    }
    window.min_ingress_callers = least_on_ingress(cfg);
    // Listed numbers: the same window, per ingress and share, at their own
    // threshold; never learned, never judged early. The engine reads a
    // window's settings by its rule when it judges the answer, so this one
    // is judged with the rule's own share gate (the same value) and action:
    // what keeps it to a flag is the engine's rule that no window blocks a
    // call to or from a listed number (`Prepared::listed`).
    let listed = (r.per_ingress && r.listed_threshold > 0).then(|| {
        let w = Window::new(
            Reason::DistinctCallers,
            Action::Flag,
            r.listed_threshold,
            r.window_ms,
            r.cooldown_ms,
            c,
        );
        w.gated_by_share(r.min_ingress_share)
    });
    Some(Arc::new(DistinctCallers {
        window,
        per_ingress: r.per_ingress,
        untrunked_one: cfg.rules.untrunked_one_ingress,
        slow,
        skip_b: r.skip_b_types.clone(),
        listed,
    }))
}

/// The least callers through the call's ingress judged by the number's
/// callers over every ingress (`min_ingress_callers`), when that applies:
/// the rule is on, counts per ingress gated by its share, learns nothing,
/// and the least is under some threshold it judges against.
pub(super) fn least_on_ingress(cfg: &Config) -> Option<u32> {
    let r = &cfg.rules.distinct_callers;
    let highest = r
        .trunk_thresholds
        .values()
        .fold(r.threshold, |h, &t| h.max(t));
    (r.action.action().is_some()
        && r.per_ingress
        && r.min_ingress_share > 0.0
        && !r.learn.enabled
        && r.min_ingress_callers > 0
        && r.min_ingress_callers < highest)
        .then_some(r.min_ingress_callers)
}

impl DistinctCallers {
    /// A call to an allow-listed B-number: counted per ingress in the
    /// listed window (and over every ingress, for its share), when there
    /// is one. Rare, so kept off the common path.
    #[cold]
    #[inline(never)]
    fn plan_listed(&self, f: &Facts, p: &mut Plan) {
        let Some(w) = &self.listed else {
            return;
        };
        let Some(src) = super::fanin_source(f, self.untrunked_one) else {
            return;
        };
        if w.min_share_milli.is_some() {
            let all = super::ingress_key(super::ALL_INGRESSES, f.b_key);
            p.count_beside(f, w, all, f.a_key.clone());
        }
        p.count_on_ingress(f, w, src, f.a_key.clone());
    }
}

impl Rule for DistinctCallers {
    fn reason(&self) -> Reason {
        Reason::DistinctCallers
    }

    fn window(&self) -> Option<&Window> {
        Some(&self.window)
    }

    fn keyed_by(&self) -> Option<CallNumber> {
        (!self.per_ingress).then_some(CallNumber::B)
    }

    fn plan(&self, f: &Facts, p: &mut Plan) {
        // An allowlisted B-number (hotline, bank, radio phone-in) is counted
        // only in its own window (`listed_threshold`); a service number
        // (`skip_b_types`) never.
        if f.b_allowed {
            return self.plan_listed(f, p);
        }
        if !self.skip_b.is_empty()
            && matches!(f.b_plan(), Some(Some(t)) if self.skip_b.contains(&t))
        {
            return;
        }
        match (self.per_ingress, super::fanin_source(f, self.untrunked_one)) {
            (true, Some(src)) => {
                // Every ingress together first, for the share of this one,
                // unless the slow tier's windows give it on this call.
                if self.window.min_share_milli.is_some()
                    && !self.slow.as_ref().is_some_and(|s| s.counts(f))
                {
                    let all = super::ingress_key(super::ALL_INGRESSES, f.b_key);
                    p.count_beside(f, &self.window, all, f.a_key.clone());
                }
                let at = p.windows.len();
                p.count_on_ingress(f, &self.window, src, f.a_key.clone());
                if let Some(least) = self.window.min_ingress_callers {
                    p.judge_over_every_ingress(at, least);
                }
            }
            _ => p.count(f, &self.window, f.b_key.clone(), f.a_key.clone()),
        }
    }
}
