// SPDX-License-Identifier: MIT OR Apache-2.0
//! `cli_fanout`: one CLI reaching many distinct callees over a long window
//! (default 10 in 10 minutes, flag). A SIM box paces each SIM like a person —
//! a call or a few a minute — but no person calls ten different numbers every
//! ten minutes for long; SIM-box studies find SIMs with almost no repeated
//! callee (docs/QUALITY.md). Each CLI learns its own level, so a PBX main
//! number or a busy shop that always calls this way is normal for itself.
//! Members are callees; the window keeps at most its member cap (exact below
//! it, the cap above it). A CLI that was itself called lately (`called`,
//! default within the hour) is judged against three times the threshold:
//! SIM-box studies find a box's SIMs only call out, while a business on a
//! mobile is also called; every call to a mobile number stamps it, except a
//! call to oneself and a call from a CLI that this call takes to its own
//! threshold (a box whose SIMs call one another to look called). A CLI that
//! calls some of its callees again (`repeats`, default one repeat per ten
//! callees, within a window of each other) is judged against three times
//! the threshold too: a SIM terminates each call to whoever the bypassed
//! traffic is for, a person redials and a business calls customers back.
//! A call through another ingress than the CLI's last (`repeats.moves`)
//! counts as a repeat: a SIM box stays in one place, a person moves.
//! A CLI alone on its ingress (`min_ingress_clis`, cli_rotation's count of
//! the call's source) is not judged: a customer's own trunk presenting its
//! one number is that customer calling, while a SIM's calls arrive through
//! a network of subscribers.

use std::sync::Arc;

use super::{cli_counts, CallNumber, Compiler, Facts, Plan, Rule, RuleDef, Window};
use crate::config::Config;
use crate::contract::Reason;
use crate::number::plan::NumberType;

pub const DEF: RuleDef = RuleDef {
    reason: Reason::CliFanout,
    count_field: Some("callees"),
    compile,
};

#[derive(Debug)]
struct CliFanout {
    window: Window,
    /// A move between ingresses counts as a repeat (`repeats.moves`).
    moves: bool,
    /// Only CLIs of these types count (empty: every valid CLI).
    cli_types: Vec<NumberType>,
    /// A `fixed_line_or_mobile` CLI that `cli_types` leaves out counts too,
    /// judged only through an ingress with at least this many distinct CLIs
    /// in cli_rotation's window (0: off; always 0 without cli_rotation).
    shared_min_clis: u32,
    /// A counted CLI is judged only through an ingress carrying at least
    /// this many distinct CLIs in cli_rotation's window, when the call has
    /// one (`min_ingress_clis`; 0: off; always 0 without cli_rotation).
    min_clis: u32,
}

fn compile(cfg: &Config, c: &Compiler) -> Option<Arc<dyn Rule>> {
    let r = &cfg.rules.cli_fanout;
    let mut window = Window::new(
        Reason::CliFanout,
        r.action.action()?,
        r.threshold,
        r.window_ms,
        r.cooldown_ms,
        c,
    )
    .with_trunk_thresholds(&r.trunk_thresholds, c)
    .learning(&r.learn, c);
    window.called = r.called.called();
    // Repeats are kept in the learned state.
    window.repeats = r.repeats.repeats().filter(|_| window.learn.is_some());
    let moves = r.repeats.moves && window.repeats.is_some();
    let cli_types = NumberType::filter(&r.cli_types);
    let shared_min_clis = if cfg.rules.cli_rotation.action.is_off()
        || cli_types.is_empty()
        || cli_types.contains(&NumberType::FixedLineOrMobile)
    {
        0
    } else {
        r.shared_type_min_ingress_clis
    };
    let min_clis = if cfg.rules.cli_rotation.action.is_off() {
        0
    } else {
        r.min_ingress_clis
    };
    Some(Arc::new(CliFanout {
        window,
        moves,
        cli_types,
        shared_min_clis,
        min_clis,
    }))
}

impl Rule for CliFanout {
    fn reason(&self) -> Reason {
        Reason::CliFanout
    }

    fn window(&self) -> Option<&Window> {
        Some(&self.window)
    }

    fn keyed_by(&self) -> Option<CallNumber> {
        Some(CallNumber::A)
    }

    fn plan(&self, f: &Facts, p: &mut Plan) {
        // Only a real CLI can be a SIM: invalid or withheld ones are other rules' business.
        let mut own = None;
        // A number that may be a handset or a landline (the NANP's): counted,
        // and judged only where handsets' calls arrive.
        let shared = self.shared_min_clis > 0
            && f.cli.is_ok()
            && f.cli_plan == Some(Some(NumberType::FixedLineOrMobile));
        if !f.a_allowed && (shared || cli_counts(f, &self.cli_types)) {
            let before = p.windows.len();
            p.count(f, &self.window, f.a_key.clone(), f.b_key.clone());
            own = (p.windows.len() > before).then_some(before);
            if let (true, Some(i)) = (shared, own) {
                p.judge_by_ingress_clis(i, self.shared_min_clis, true);
            } else if let (true, Some(i)) = (self.min_clis > 0, own) {
                p.judge_by_ingress_clis(i, self.min_clis, false);
            }
            if let (true, Some(i), Some(src)) = (self.moves, own, f.source_key) {
                if let Some(r) = p.windows[i].repeats.as_mut() {
                    r.ingress = crate::contract::Repeats::ingress_of(src);
                }
            }
        }
        // A callee that could be a counted CLI is remembered as called,
        // unless the caller itself reaches the fan-out bar with this call
        // (a SIM box's SIMs calling one another vouch for nobody).
        if self.window.called.is_some()
            && (f.b_is_one_of(&self.cli_types)
                || (self.shared_min_clis > 0
                    && f.b_plan() == Some(Some(NumberType::FixedLineOrMobile))))
        {
            p.stamp_called(f, &self.window, own);
        }
    }
}
