// SPDX-License-Identifier: MIT OR Apache-2.0
//! `distinct_callers_slow`: the slow tier of `distinct_callers` — the same
//! fan-in spread over a longer window (default 5 in 60 s, flag), counted only
//! for calls from a known, untrusted ingress unless configured otherwise, per
//! ingress and B-number (masking refiled through one interconnect arrives on
//! one trunk; a busy number's real callers come through many), and for
//! subscribers' numbers only (mobile and fixed-line B-numbers by default:
//! hotlines, bridges and phone-ins are mostly non-geographic), and only when
//! that ingress brought most of the number's callers (`min_ingress_share`: a
//! radio phone-in draws its crowd through every network) and the number's
//! callers over every ingress are over their own learned level
//! (`learn_number`: a business called by many all day learns it). When the
//! fast tier fires on the same call, its alert absorbs this one.

use std::sync::Arc;

use super::{CallNumber, Compiler, Facts, Plan, Rule, RuleDef, Window};
use crate::config::Config;
use crate::contract::{Learn, Reason};
use crate::number::plan::NumberType;

pub const DEF: RuleDef = RuleDef {
    reason: Reason::DistinctCallersSlow,
    count_field: None,
    compile,
};

#[derive(Debug)]
struct DistinctCallersSlow {
    window: Window,
    counts: Counted,
}

/// Which calls the slow tier counts, per ingress and over every ingress.
#[derive(Debug, Clone)]
pub(super) struct Counted {
    /// Count only calls with a known ingress that is not trusted.
    untrusted_only: bool,
    per_ingress: bool,
    /// Every untrunked address one ingress (`rules.untrunked_one_ingress`).
    untrunked_one: bool,
    b_types: Vec<NumberType>,
}

impl Counted {
    /// The slow tier's, when it is on and gates each ingress by its share:
    /// on a call it counts, its two windows (every ingress, this one) then
    /// also give the burst tier its share, and the burst tier keeps no count
    /// over every ingress of its own (one window fewer a call). Its window is
    /// never the shorter while both tiers are on (config validation).
    pub(super) fn sharing(cfg: &Config) -> Option<Counted> {
        let r = &cfg.rules.distinct_callers_slow;
        (r.action.action().is_some() && r.per_ingress && r.min_ingress_share > 0.0)
            .then(|| Counted::of(cfg))
    }

    fn of(cfg: &Config) -> Counted {
        let r = &cfg.rules.distinct_callers_slow;
        Counted {
            untrusted_only: r.untrusted_ingress_only,
            per_ingress: r.per_ingress,
            untrunked_one: cfg.rules.untrunked_one_ingress,
            b_types: NumberType::filter(&r.b_types),
        }
    }

    /// Whether the slow tier counts this call.
    pub(super) fn counts(&self, f: &Facts) -> bool {
        let counted = !self.untrusted_only || (f.source_key.is_some() && !f.source_allowed);
        counted && !f.b_allowed && f.b_is_one_of(&self.b_types)
    }
}

fn compile(cfg: &Config, c: &Compiler) -> Option<Arc<dyn Rule>> {
    let r = &cfg.rules.distinct_callers_slow;
    let mut window = Window::new(
        Reason::DistinctCallersSlow,
        r.action.action()?,
        r.threshold,
        r.window_ms,
        r.cooldown_ms,
        c,
    )
    .learning(&r.learn, c);
    window.folds_into = Some(Reason::DistinctCallers);
    if r.per_ingress {
        window = window.gated_by_share(r.min_ingress_share);
        if r.learn_number && window.min_share_milli.is_some() {
            window.companion_learn = window.learn.map(|l| Learn {
                k_milli: (r.learn_number_factor * 1000.0).round() as u32,
                ..l
            });
        }
    }
    // The burst tier borrows this tier's share; where it judges counts
    // under its threshold by the number's callers over every ingress, this
    // tier's companion answers them within the burst window too. So it does
    // where `quiet_fanin` blocks a spell that many callers reach in that
    // window.
    let spread_blocks = {
        let q = &cfg.rules.quiet_fanin;
        !q.action.is_off() && q.block_callers > 0
    };
    if window.min_share_milli.is_some()
        && Counted::sharing(cfg).is_some()
        && (super::distinct_callers::least_on_ingress(cfg).is_some() || spread_blocks)
    {
        window.companion_recent_ms = cfg
            .rules
            .distinct_callers
            .window_ms
            .clamp(1, u32::MAX as u64) as u32;
    }
    Some(Arc::new(DistinctCallersSlow {
        window,
        counts: Counted::of(cfg),
    }))
}

impl Rule for DistinctCallersSlow {
    fn reason(&self) -> Reason {
        Reason::DistinctCallersSlow
    }

    fn window(&self) -> Option<&Window> {
        Some(&self.window)
    }

    fn keyed_by(&self) -> Option<CallNumber> {
        (!self.counts.per_ingress).then_some(CallNumber::B)
    }

    fn plan(&self, f: &Facts, p: &mut Plan) {
        if !self.counts.counts(f) {
            return;
        }
        match (
            self.counts.per_ingress,
            super::fanin_source(f, self.counts.untrunked_one),
        ) {
            (true, Some(src)) => {
                // Every counted ingress together first, for the share of this one.
                if self.window.min_share_milli.is_some() {
                    let all = super::ingress_key(super::ALL_INGRESSES, f.b_key);
                    p.count_beside(f, &self.window, all, f.a_key.clone());
                }
                p.count_on_ingress(f, &self.window, src, f.a_key.clone());
            }
            _ => p.count(f, &self.window, f.b_key.clone(), f.a_key.clone()),
        }
    }
}
