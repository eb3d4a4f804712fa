// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cli_velocity`: one A-number placing many calls within a window (default
//! 15 in 60 s, flag): a SIM box or a burst from one line. Calls are counted by
//! Call-ID, so retransmissions and forked INVITEs count once.

use std::sync::Arc;

use super::{cli_counts, CallNumber, Compiler, Facts, Plan, Rule, RuleDef, Window};
use crate::config::Config;
use crate::contract::{hex16, stable_hash, Reason};
use crate::number::plan::NumberType;

pub const DEF: RuleDef = RuleDef {
    reason: Reason::CliVelocity,
    count_field: Some("cli_calls"),
    compile,
};

#[derive(Debug)]
struct CliVelocity {
    window: Window,
    /// Only CLIs of these types count (empty: every valid CLI).
    cli_types: Vec<NumberType>,
}

fn compile(cfg: &Config, c: &Compiler) -> Option<Arc<dyn Rule>> {
    let r = &cfg.rules.cli_velocity;
    let window = Window::new(
        Reason::CliVelocity,
        r.action.action()?,
        r.threshold,
        r.window_ms,
        r.cooldown_ms,
        c,
    )
    .with_trunk_thresholds(&r.trunk_thresholds, c)
    .learning(&r.learn, c);
    Some(Arc::new(CliVelocity {
        window,
        cli_types: NumberType::filter(&r.cli_types),
    }))
}

impl Rule for CliVelocity {
    fn reason(&self) -> Reason {
        Reason::CliVelocity
    }

    fn window(&self) -> Option<&Window> {
        Some(&self.window)
    }

    fn keyed_by(&self) -> Option<CallNumber> {
        Some(CallNumber::A)
    }

    fn plan(&self, f: &Facts, p: &mut Plan) {
        if !f.a_allowed && cli_counts(f, &self.cli_types) {
            let member = hex16(stable_hash(f.call_id.as_bytes()));
            p.count(f, &self.window, f.a_key.clone(), member);
        }
    }
}
