// SPDX-License-Identifier: MIT OR Apache-2.0
//! Allow and deny lists, compiled for fast lookup on every call.
//!
//! Number lists hold exact numbers and prefixes (`+234700*`) in hash sets:
//! a lookup probes each prefix length that occurs in the list, so even the
//! hundreds of thousands of numbers a regulator bars cost a few probes.

use std::net::IpAddr;

use compact_str::CompactString;
use hashbrown::HashSet;

use crate::config::{parse_net, ListsConfig};
use crate::number::NumberingPlan;

/// Exact numbers and prefixes, all in E.164 with `+` where they parse.
#[derive(Debug, Clone, Default)]
pub struct NumberSet {
    exact: HashSet<CompactString>,
    prefixes: HashSet<CompactString>,
    prefix_lens: Vec<usize>,
}

impl NumberSet {
    pub fn new(plan: &NumberingPlan, entries: &[String]) -> NumberSet {
        let mut set = NumberSet::default();
        for e in entries {
            set.insert(plan, e);
        }
        set
    }

    pub fn insert(&mut self, plan: &NumberingPlan, entry: &str) {
        match entry.strip_suffix('*') {
            Some(prefix) => {
                let p = prefix_key(plan, prefix);
                if !self.prefix_lens.contains(&p.len()) {
                    self.prefix_lens.push(p.len());
                    self.prefix_lens.sort_unstable();
                }
                self.prefixes.insert(p);
            }
            None => {
                self.exact.insert(plan.key_of(entry));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefixes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.exact.len() + self.prefixes.len()
    }

    /// Whether the normalised key is listed, exactly or by prefix.
    pub fn contains(&self, key: &str) -> bool {
        if self.exact.contains(key) {
            return true;
        }
        self.prefix_lens
            .iter()
            .take_while(|&&l| l <= key.len())
            .any(|&l| key.is_char_boundary(l) && self.prefixes.contains(&key[..l]))
    }
}

/// Turns a written prefix into the `+`-form of the numbers it covers:
/// `0803` → `+234803`, `00234` → `+234`, `+234` → `+234`, `234` → `+234`.
pub fn prefix_key(plan: &NumberingPlan, prefix: &str) -> CompactString {
    let p = prefix.trim();
    let mut out = CompactString::from("+");
    if let Some(rest) = p.strip_prefix('+') {
        out.push_str(rest);
    } else if let Some(ip) = plan
        .international_prefixes
        .iter()
        .find(|ip| p.starts_with(ip.as_str()))
    {
        out.push_str(&p[ip.len()..]);
    } else if !plan.national_prefix.is_empty() && p.starts_with(plan.national_prefix.as_str()) {
        out.push_str(&plan.country_code);
        out.push_str(&p[plan.national_prefix.len()..]);
    } else {
        out.push_str(p);
    }
    out
}

/// Networks (IP or CIDR).
#[derive(Debug, Clone, Default)]
pub struct NetSet(Vec<ipnet::IpNet>);

impl NetSet {
    /// Entries were validated with the config; unparsable ones are skipped.
    pub fn new(entries: &[String]) -> NetSet {
        NetSet(entries.iter().filter_map(|e| parse_net(e).ok()).collect())
    }
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Trunk names.
#[derive(Debug, Clone, Default)]
pub struct NameSet(HashSet<CompactString>);

impl NameSet {
    pub fn new(entries: &[String]) -> NameSet {
        NameSet(
            entries
                .iter()
                .map(|e| CompactString::from(e.trim()))
                .collect(),
        )
    }
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }
}

/// All lists of a configuration.
#[derive(Debug, Clone, Default)]
pub struct Lists {
    pub allow_b: NumberSet,
    pub allow_a: NumberSet,
    pub allow_sources: NetSet,
    pub allow_trunks: NameSet,
    pub deny_a: NumberSet,
    pub deny_sources: NetSet,
    pub deny_trunks: NameSet,
}

impl Lists {
    pub fn new(plan: &NumberingPlan, cfg: &ListsConfig) -> Lists {
        Lists {
            allow_b: NumberSet::new(plan, &cfg.allow_b_numbers),
            allow_a: NumberSet::new(plan, &cfg.allow_a_numbers),
            allow_sources: NetSet::new(&cfg.allow_sources),
            allow_trunks: NameSet::new(&cfg.allow_trunks),
            deny_a: NumberSet::new(plan, &cfg.deny_a_numbers),
            deny_sources: NetSet::new(&cfg.deny_sources),
            deny_trunks: NameSet::new(&cfg.deny_trunks),
        }
    }

    pub fn source_allowed(&self, ip: Option<IpAddr>, trunk: Option<&str>) -> bool {
        ip.is_some_and(|ip| self.allow_sources.contains(ip))
            || trunk.is_some_and(|t| self.allow_trunks.contains(t))
    }

    pub fn source_denied(&self, ip: Option<IpAddr>, trunk: Option<&str>) -> bool {
        ip.is_some_and(|ip| self.deny_sources.contains(ip))
            || trunk.is_some_and(|t| self.deny_trunks.contains(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_prefix_entries_in_any_written_form() {
        let plan = NumberingPlan::nigeria();
        let set = NumberSet::new(
            &plan,
            &["08031234567".into(), "+234700*".into(), "0809*".into()],
        );
        assert!(set.contains("+2348031234567"));
        assert!(set.contains("+2347001112222"));
        assert!(set.contains("+2348091112222"));
        assert!(!set.contains("+2348031234568"));
        assert!(!set.contains("+23470"));
    }

    #[test]
    fn networks_and_trunks() {
        let plan = NumberingPlan::nigeria();
        let cfg = ListsConfig {
            allow_sources: vec!["10.0.0.0/8".into(), "192.0.2.7".into()],
            deny_trunks: vec!["GREY-1".into()],
            ..ListsConfig::default()
        };
        let l = Lists::new(&plan, &cfg);
        assert!(l.source_allowed(Some("10.1.2.3".parse().unwrap()), None));
        assert!(l.source_allowed(Some("192.0.2.7".parse().unwrap()), None));
        assert!(!l.source_allowed(Some("192.0.2.8".parse().unwrap()), None));
        assert!(l.source_denied(None, Some("GREY-1")));
        assert!(!l.source_denied(None, Some("GREY-2")));
    }
}
