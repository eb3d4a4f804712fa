// SPDX-License-Identifier: MIT OR Apache-2.0
//! `quiet_fanin`: a subscriber's number nobody was calling, then reached by
//! many distinct callers over every route at once (default 4 within the slow
//! tier's two minutes, after an hour without a call; flag, and block once 5
//! of them came within the burst tier's 10 s: `block_callers`). Refiled masking
//! and bursts spread over several interconnects bring no route enough of
//! the victim's callers for the per-ingress tiers to judge, while the count
//! over every ingress alone cannot be judged (a phone-in, a bridge or a busy
//! business draws callers through every network). What separates them is
//! the quiet before (docs/QUALITY.md, *Spread fan-in at a quiet callee*):
//! the victim is a subscriber nobody was calling; a number that draws crowds
//! is called all the time. Judged by the store on the slow tier's count over
//! every ingress (`contract::Spell`): no window of its own, one alert a
//! spell (never folded into another rule's: it cannot be withdrawn once
//! told), withdrawn for the rest of the spell by its first call at the
//! count that came through a route that brought `max_ingress_callers` of the
//! callers (a crowd that route's own tiers judge), and none for a spell that
//! began within a quiet period of the first call the engine saw.

use std::num::NonZeroU16;
use std::sync::Arc;

use super::distinct_callers_slow::Counted;
use super::{is_all_ingresses, Compiler, Facts, Plan, Rule, RuleDef, Window};
use crate::config::Config;
use crate::contract::{Reason, Spell};

pub const DEF: RuleDef = RuleDef {
    reason: Reason::QuietFanin,
    count_field: None,
    compile,
};

#[derive(Debug)]
struct QuietFanin {
    window: Window,
    spell: Spell,
}

fn compile(cfg: &Config, c: &Compiler) -> Option<Arc<dyn Rule>> {
    let r = &cfg.rules.quiet_fanin;
    let action = r.action.action()?;
    // The slow tier's count over every ingress is what it judges.
    Counted::sharing(cfg)?;
    let slow = &cfg.rules.distinct_callers_slow;
    let mut window = Window::new(
        Reason::QuietFanin,
        action,
        r.threshold,
        slow.window_ms,
        None,
        c,
    );
    window.max_ingress_callers = (r.max_ingress_callers > 0).then_some(r.max_ingress_callers);
    window.block_recent_callers = (r.block_callers > 0).then_some(r.block_callers);
    Some(Arc::new(QuietFanin {
        window,
        spell: Spell {
            reason: Reason::QuietFanin,
            at: r.threshold.clamp(2, u8::MAX as u32) as u8,
            quiet_min: NonZeroU16::new(r.quiet_min()).unwrap_or(NonZeroU16::MIN),
        },
    }))
}

impl Rule for QuietFanin {
    fn reason(&self) -> Reason {
        Reason::QuietFanin
    }

    fn window(&self) -> Option<&Window> {
        Some(&self.window)
    }

    fn plan(&self, _f: &Facts, p: &mut Plan) {
        // The slow tier planned just before: when it counted this call, its
        // count over every ingress and then its ingress's are the last two
        // ops, and the first is judged by the number's spell too.
        let n = p.windows.len();
        if let Some(op) = n.checked_sub(2).and_then(|i| p.windows.get_mut(i)) {
            if op.rule == Reason::DistinctCallersSlow && op.count_only && is_all_ingresses(&op.key)
            {
                op.spell = Some(self.spell);
            }
        }
    }
}
