// SPDX-License-Identifier: MIT OR Apache-2.0
//! `intl_ingress_local_cli`: a home-country CLI (From or P-Asserted-Identity)
//! arriving on an international trunk or source — the classic masking
//! signature. Fires on the call; its window groups the offending CLIs of one
//! ingress so that an alert shows them together. Listed roamers (the HLR's
//! subscribers abroad) calling home pass. Under a code other regions share (the
//! NANP's +1), only the home region's numbers are home (`numbering.region`).

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
        if home && !roamer {
            p.fire(Reason::IntlIngressLocalCli, self.action);
            if let Some(src) = f.source_key {
                p.count(f, &self.window, src.clone(), f.a_key.clone());
            }
        }
    }
}
