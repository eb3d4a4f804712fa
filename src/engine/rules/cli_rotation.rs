// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cli_rotation`: one source or trunk presenting many distinct CLIs within a
//! window (default 20 in 60 s, learned per source, flag): a platform cycling through invented or
//! harvested numbers. Trusted sources and trunks are not counted, nor calls
//! to allow-listed B-numbers (hotlines, bridges: a crowd calling one listed
//! number at once through every route) unless `count_allowed_b`. A call
//! presenting a home service number counts but is never flagged by it
//! (`skip_cli_types`: masking presents subscribers' numbers, a telemarketing
//! platform its own service numbers).

use std::sync::Arc;

use super::{Compiler, Facts, Plan, Rule, RuleDef, Window};
use crate::config::Config;
use crate::contract::Reason;

pub const DEF: RuleDef = RuleDef {
    reason: Reason::CliRotation,
    count_field: Some("rotation_clis"),
    compile,
};

#[derive(Debug)]
struct CliRotation {
    window: Window,
    /// Calls to allow-listed B-numbers count too (`count_allowed_b`).
    count_allowed_b: bool,
    /// Home CLIs of these types (bit `1 << type`) are counted, not judged
    /// (`skip_cli_types`).
    skip_cli: u16,
}

fn compile(cfg: &Config, c: &Compiler) -> Option<Arc<dyn Rule>> {
    let r = &cfg.rules.cli_rotation;
    let window = Window::new(
        Reason::CliRotation,
        r.action.action()?,
        r.threshold,
        r.window_ms,
        r.cooldown_ms,
        c,
    )
    .with_trunk_thresholds(&r.trunk_thresholds, c)
    .learning(&r.learn, c);
    Some(Arc::new(CliRotation {
        window,
        count_allowed_b: r.count_allowed_b,
        skip_cli: r
            .skip_cli_types
            .iter()
            .fold(0, |m, &t| m | 1u16 << t as u16),
    }))
}

impl Rule for CliRotation {
    fn reason(&self) -> Reason {
        Reason::CliRotation
    }

    fn window(&self) -> Option<&Window> {
        Some(&self.window)
    }

    fn plan(&self, f: &Facts, p: &mut Plan) {
        // A listed hotline's or bridge's crowd arrives through every route
        // at once: its callers' CLIs say nothing about a route's.
        if f.source_allowed || (f.b_allowed && !self.count_allowed_b) {
            return;
        }
        if let Some(src) = f.source_key {
            let before = p.windows.len();
            p.count(f, &self.window, src.clone(), f.a_key.clone());
            // A service number is a platform's own, not a subscriber's: it
            // counts in its source's window, and is not judged.
            if matches!(f.cli_plan, Some(Some(t)) if self.skip_cli & 1 << t as u16 != 0) {
                p.count_unjudged(before);
            }
        }
    }
}
