//! `distinct_callers_slow`: the slow tier of `distinct_callers` — the same
//! fan-in spread over a longer window (default 5 in 60 s, flag), counted only
//! for calls from a known, untrusted ingress unless configured otherwise.
//! When the fast tier fires on the same call, its alert absorbs this one.

use std::sync::Arc;

use super::{Compiler, Facts, Plan, Rule, RuleDef, Window};
use crate::config::Config;
use crate::contract::Reason;

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
    }))
}

impl Rule for DistinctCallersSlow {
    fn reason(&self) -> Reason {
        Reason::DistinctCallersSlow
    }

    fn window(&self) -> Option<&Window> {
        Some(&self.window)
    }

    fn plan(&self, f: &Facts, p: &mut Plan) {
        let counted = !self.untrusted_only || (f.source_key.is_some() && !f.source_allowed);
        if !f.b_allowed && counted {
            p.count(f, &self.window, f.b_key.clone(), f.a_key.clone());
        }
    }
}
