//! `invalid_cli`: a CLI that is not a plausible E.164 number, a home number
//! the national numbering plan does not have (a range never allocated, the
//! trunk prefix inside the number: `number::plan`, from libphonenumber's
//! metadata), or one in a barred or unallocated range the operator lists.
//! Judged on the call alone; keeps no window.

use std::sync::Arc;

use super::{Compiler, Facts, Plan, Rule, RuleDef};
use crate::config::Config;
use crate::contract::{Action, Reason};
use crate::engine::lists::NumberSet;
use crate::number::plan::NsnPlan;
use compact_str::CompactString;

pub const DEF: RuleDef = RuleDef {
    reason: Reason::InvalidCli,
    count_field: None,
    compile,
};

#[derive(Debug)]
struct InvalidCli {
    action: Action,
    /// Barred and unallocated ranges.
    invalid_prefixes: NumberSet,
    /// The home country's valid national numbers, when checked.
    plan: Option<Arc<NsnPlan>>,
    country_code: CompactString,
}

fn compile(cfg: &Config, c: &Compiler) -> Option<Arc<dyn Rule>> {
    let ic = &cfg.rules.invalid_cli;
    let prefixes: Vec<String> = ic
        .barred_prefixes
        .iter()
        .chain(&ic.unallocated_prefixes)
        .map(|p| {
            if p.ends_with('*') {
                p.clone()
            } else {
                format!("{p}*")
            }
        })
        .collect();
    let action = ic.action.action()?;
    // A country libphonenumber does not know keeps the length checks: said
    // once at start, never fatal.
    let plan = if ic.numbering_plan {
        match NsnPlan::for_country_code(&c.numbering.country_code) {
            Ok(p) => Some(Arc::new(p)),
            Err(e) => {
                tracing::warn!("rules.invalid_cli.numbering_plan: {e}; checking lengths only");
                None
            }
        }
    } else {
        None
    };
    Some(Arc::new(InvalidCli {
        action,
        invalid_prefixes: NumberSet::new(&c.numbering, &prefixes),
        plan,
        country_code: c.numbering.country_code.clone(),
    }))
}

impl Rule for InvalidCli {
    fn reason(&self) -> Reason {
        Reason::InvalidCli
    }

    fn plan(&self, f: &Facts, p: &mut Plan) {
        if f.a_allowed {
            return;
        }
        let invalid = match f.cli {
            Err(_) => true,
            Ok(n) => {
                let not_in_plan = self.plan.as_ref().is_some_and(|p| {
                    n.starts_with(&self.country_code)
                        && !p.is_valid(&n.digits().as_bytes()[self.country_code.len()..])
                });
                not_in_plan || self.invalid_prefixes.contains(f.a_key)
            }
        };
        if invalid {
            p.fire(Reason::InvalidCli, self.action);
        }
    }
}
