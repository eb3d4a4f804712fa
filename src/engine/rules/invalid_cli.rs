// SPDX-License-Identifier: MIT OR Apache-2.0
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
    /// Home CLIs must be numbers of the national plan.
    numbering_plan: bool,
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
    Some(Arc::new(InvalidCli {
        action,
        invalid_prefixes: NumberSet::new(&c.numbering, &prefixes),
        numbering_plan: ic.numbering_plan,
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
            Ok(_) => {
                (self.numbering_plan && f.cli_plan == Some(None))
                    || self.invalid_prefixes.contains(f.a_key)
            }
        };
        if invalid {
            p.fire(Reason::InvalidCli, self.action);
        }
    }
}
