// SPDX-License-Identifier: MIT OR Apache-2.0
//! `intl_ingress_local_cli`: a home-country CLI (From or P-Asserted-Identity)
//! arriving on an international trunk or source — the classic masking
//! signature. Fires on the call; its window groups the offending CLIs of one
//! ingress so that an alert shows them together. Listed roamers (the HLR's
//! subscribers abroad) calling home pass. Under a code other regions share (the
//! NANP's +1), only the home region's numbers are home (`numbering.region`).
//!
//! A CLI with *standing* passes too (`standing_ms`, default an hour): one
//! that called through these ingresses in 7 of the last 8 ten-minute slots,
//! as an offshore contact centre of a home brand does all day. Its presence
//! is a count-only window of its own (`cli|<CLI>`, its members the slots,
//! over the hour and a slot), and the rule fires unless that count reached
//! 7 (`Plan::fire_unless_standing`): a CLI's first 50 minutes there at
//! least are judged, and masking presents a fresh CLI a call or one for a
//! campaign.

use std::sync::Arc;

use compact_str::CompactString;

use super::{Compiler, Facts, Plan, Rule, RuleDef, Window};
use crate::config::Config;
use crate::contract::{Action, Reason};
use crate::engine::lists::{prefix_key, NameSet, NetSet, NumberSet};
use crate::number::plan::NsnPlan;
use crate::number::{NumberingPlan, E164};

pub const DEF: RuleDef = RuleDef {
    reason: Reason::IntlIngressLocalCli,
    count_field: None,
    compile,
};

#[derive(Debug)]
struct IntlIngressLocalCli {
    action: Action,
    window: Window,
    trunks: NameSet,
    sources: NetSet,
    /// Own subscribers registered abroad.
    roamers: NumberSet,
    /// `+`-form prefixes of home CLIs; empty means the whole country code.
    home_cli_prefixes: Vec<CompactString>,
    numbering: NumberingPlan,
    /// Standing: (the slot in ms, the window of presence in ms, the slots
    /// that give standing); None: off.
    standing: Option<(i64, i64, u32)>,
}

fn compile(cfg: &Config, c: &Compiler) -> Option<Arc<dyn Rule>> {
    let il = &cfg.rules.intl_ingress_local_cli;
    let action = il.action.action()?;
    Some(Arc::new(IntlIngressLocalCli {
        action,
        window: Window::new(
            Reason::IntlIngressLocalCli,
            action,
            1,
            il.window_ms,
            il.cooldown_ms,
            c,
        ),
        trunks: NameSet::new(&il.trunks),
        sources: NetSet::new(&il.sources),
        roamers: NumberSet::new(&c.numbering, &il.roaming_a_numbers),
        home_cli_prefixes: il
            .home_cli_prefixes
            .iter()
            .map(|p| prefix_key(&c.numbering, p.strip_suffix('*').unwrap_or(p)))
            .collect(),
        numbering: c.numbering.clone(),
        standing: (il.standing_ms > 0 && il.standing_slot_ms > 0).then(|| {
            let slot = il.standing_slot_ms.min(i64::MAX as u64) as i64;
            // Over the span and one slot more (the slot the span's start
            // falls in, partly before it), a call in all but one of the
            // slots: the span with at most one slot's gap.
            let span = il.standing_ms.saturating_add(il.standing_slot_ms);
            let span = span.min(i64::MAX as u64) as i64;
            (
                slot,
                span,
                (il.standing_ms / il.standing_slot_ms) as u32 + 1,
            )
        }),
    }))
}

impl IntlIngressLocalCli {
    /// Whether `n` is a home number: of the home country code and, where
    /// other regions share it (the NANP), of the home region
    /// (`numbering.region`; `NsnPlan::is_home`), or of the listed prefixes.
    fn is_home_cli(&self, n: &E164, plan: Option<&NsnPlan>) -> bool {
        if !n.starts_with(&self.numbering.country_code) {
            return false;
        }
        if self.home_cli_prefixes.is_empty() {
            let nsn = &n.digits().as_bytes()[self.numbering.country_code.len()..];
            return plan.is_none_or(|p| p.is_home(nsn));
        }
        let plus = n.to_plus();
        self.home_cli_prefixes
            .iter()
            .any(|p| plus.starts_with(p.as_str()))
    }
}

impl Rule for IntlIngressLocalCli {
    fn reason(&self) -> Reason {
        Reason::IntlIngressLocalCli
    }

    fn window(&self) -> Option<&Window> {
        Some(&self.window)
    }

    fn plan(&self, f: &Facts, p: &mut Plan) {
        if f.a_allowed || f.source_allowed {
            return;
        }
        let intl = f.trunk.is_some_and(|t| self.trunks.contains(t))
            || f.call.source_ip.is_some_and(|ip| self.sources.contains(ip));
        if !intl {
            return;
        }
        let pai = f
            .call
            .pai
            .as_deref()
            .and_then(|p| f.numbering.normalise(p).ok());
        let cli_home = f.cli.as_ref().ok().filter(|n| self.is_home_cli(n, f.nsn));
        let pai_home = pai.as_ref().filter(|n| self.is_home_cli(n, f.nsn));
        let home = cli_home.is_some() || pai_home.is_some();
        // A listed roamer calling home: every home number it presents is listed.
        let roamer = home
            && !self.roamers.is_empty()
            && cli_home.is_none_or(|n| self.roamers.contains(&n.to_plus()))
            && pai_home.is_none_or(|n| self.roamers.contains(&n.to_plus()));
        if !home || roamer {
            return;
        }
        let Some((slot, span, at)) = self.standing else {
            p.fire(Reason::IntlIngressLocalCli, self.action);
            if let Some(src) = f.source_key {
                p.count(f, &self.window, src.clone(), f.a_key.clone());
            }
            return;
        };
        p.fire_unless_standing(Reason::IntlIngressLocalCli, self.action);
        let before = p.windows.len();
        if let Some(src) = f.source_key {
            p.count(f, &self.window, src.clone(), f.a_key.clone());
        }
        let window = (p.windows.len() > before).then_some(before);
        // The home number presented: the From's, else the PAI's (a
        // withheld From would otherwise give every such caller one key).
        let mut key = CompactString::const_new("cli|");
        match pai_home.filter(|_| cli_home.is_none()) {
            Some(n) => key.push_str(&n.to_plus()),
            None => key.push_str(f.a_key),
        }
        let member = compact_str::format_compact!("{}", f.time_ms.div_euclid(slot));
        p.count_standing(f, key, member, span, at, window);
    }
}
