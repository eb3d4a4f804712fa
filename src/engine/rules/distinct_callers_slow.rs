// SPDX-License-Identifier: MIT OR Apache-2.0
//! `distinct_callers_slow`: the slow tier of `distinct_callers` — the same
//! fan-in spread over a longer window (default 5 in 60 s, flag), counted only
//! for calls from a known, untrusted ingress unless configured otherwise, per
//! ingress and B-number (masking refiled through one interconnect arrives on
//! one trunk; a busy number's real callers come through many), and for
//! subscribers' numbers only (mobile B-numbers by default: bridges and hotlines
//! are fixed or non-geographic). When the fast tier fires on the same call,
//! its alert absorbs this one.

use std::sync::Arc;

use super::{CallNumber, Compiler, Facts, Plan, Rule, RuleDef, Window};
use crate::config::Config;
use crate::contract::Reason;
use crate::number::plan::NumberType;

pub const DEF: RuleDef = RuleDef {
    reason: Reason::DistinctCallersSlow,
    count_field: None,
    compile,
};

#[derive(Debug)]
struct DistinctCallersSlow {
    window: Window,
    /// Count only calls with a known ingress that is not trusted.
    untrusted_only: bool,
    per_ingress: bool,
    b_types: Vec<NumberType>,
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
    Some(Arc::new(DistinctCallersSlow {
        window,
        untrusted_only: r.untrusted_ingress_only,
        per_ingress: r.per_ingress,
        b_types: r.b_types.clone(),
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
        (!self.per_ingress).then_some(CallNumber::B)
    }

    fn plan(&self, f: &Facts, p: &mut Plan) {
        let counted = !self.untrusted_only || (f.source_key.is_some() && !f.source_allowed);
        if f.b_allowed || !counted {
            return;
        }
        if !self.b_types.is_empty()
            && !matches!(f.b_plan(), Some(Some(t)) if self.b_types.contains(&t))
        {
            return;
        }
        let key = match (self.per_ingress, f.source_key) {
            (true, Some(src)) => super::ingress_key(src, f.b_key),
            _ => f.b_key.clone(),
        };
        p.count(f, &self.window, key, f.a_key.clone());
    }
}
