// SPDX-License-Identifier: MIT OR Apache-2.0
//! `invalid_cli`: a CLI that is not a plausible E.164 number, a home number
//! the national numbering plan does not have (a range never allocated, the
//! trunk prefix inside the number: `number::plan`, from libphonenumber's
//! metadata, and under the NANP the central-office codes its numbering
//! guidelines never assign: N11 and 555-01XX; a geographic number in no area
//! code of the country's list, or one its plan's rules rule out:
//! `number::areas`), a home number of a type that
//! never calls (premium rate, `invalid_types`), or one in a barred or
//! unallocated range the operator lists. Judged on the call alone; keeps no
//! window.

use std::sync::Arc;

use super::{Compiler, Facts, Plan, Rule, RuleDef};
use crate::config::Config;
use crate::contract::{Action, Reason};
use crate::engine::lists::NumberSet;
use crate::number::areas::AreaCodes;
use crate::number::plan::NumberType;

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
    /// Home CLIs of these types are invalid (`invalid_types`).
    invalid_types: Vec<NumberType>,
    /// The plan is the NANP's (+1), with office codes libphonenumber's
    /// patterns allow but its guidelines never assign ([`nanp_unassignable`]).
    nanp: bool,
    /// The home country's area codes (`area_codes`), and the length of its
    /// E.164 prefix (`+` and the calling code).
    areas: Option<(AreaCodes, usize)>,
}

/// Whether `key` (`+1` and ten digits) has a central-office code the NANP
/// never assigns: N11 (411, 911: service codes) or 555 with a line number
/// 0100-0199 (reserved for fiction). libphonenumber's US patterns accept both.
fn nanp_unassignable(key: &str) -> bool {
    match key.as_bytes() {
        [b'+', b'1', _, _, _, n, x, y, l0, l1, _, _] => {
            (matches!(n, b'2'..=b'9') && *x == b'1' && *y == b'1')
                || (*n == b'5' && *x == b'5' && *y == b'5' && *l0 == b'0' && *l1 == b'1')
        }
        _ => false,
    }
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
        invalid_types: if ic.numbering_plan {
            ic.invalid_types.clone()
        } else {
            Vec::new()
        },
        nanp: ic.numbering_plan && c.numbering.country_code == "1",
        areas: (ic.numbering_plan && ic.area_codes)
            .then(|| AreaCodes::bundled(&c.numbering.country_code))
            .flatten()
            .map(|a| (a, 1 + c.numbering.country_code.len())),
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
                    || (!self.invalid_types.is_empty()
                        && matches!(f.cli_plan, Some(Some(t)) if self.invalid_types.contains(&t)))
                    || self.invalid_prefixes.contains(f.a_key)
                    || (self.nanp && nanp_unassignable(f.a_key))
                    || self.areas.as_ref().is_some_and(|(areas, prefix)| {
                        let nsn = f.a_key.as_bytes().get(*prefix..).unwrap_or_default();
                        match f.cli_plan {
                            Some(Some(NumberType::FixedLine | NumberType::FixedLineOrMobile)) => {
                                areas.barred(nsn) || areas.judge(nsn).is_some()
                            }
                            Some(Some(_)) => areas.barred(nsn),
                            _ => false,
                        }
                    })
            }
        };
        if invalid {
            p.fire(Reason::InvalidCli, self.action);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::nanp_unassignable;

    #[test]
    fn nanp_service_and_fiction_office_codes_are_unassignable() {
        for bad in [
            "+15134111234",
            "+19379115555",
            "+15135550123",
            "+15135550199",
        ] {
            assert!(nanp_unassignable(bad), "{bad}");
        }
        for ok in [
            "+15135551234", // 555 outside 01XX (directory assistance, assignable)
            "+15135550200",
            "+15131114567", // 111: not N11 (N is 2-9)
            "+15134121234",
            "+2348031112345", // not the NANP's form
            "+1513411123",
        ] {
            assert!(!nanp_unassignable(ok), "{ok}");
        }
    }
}
