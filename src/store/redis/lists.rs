//! Allow and deny lists shared through the store, so every node agrees.
//!
//! Each list is a SET `acm:{lists}:<name>` (names as in `[lists]`), and every
//! change bumps the counter `acm:{lists}:version` in the same script call. All
//! of them share the `{lists}` hash tag, so a change is atomic even on a
//! cluster. Nodes poll the version (one `GET`, e.g. every second); when it
//! moved they read every list (one pipelined round trip), merge them with the
//! lists of their configuration file, and swap a new engine configuration in
//! ([`apply_shared_lists`]). The hot path keeps its local hash-set lookups.

use redis::Value;

use super::{int_of, Codec, Planned};
use crate::config::{parse_net, ListsConfig};
use crate::engine::lists::Lists;
use crate::engine::Engine;
use crate::store::StoreError;

/// The lists that can be shared, named as in the `[lists]` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SharedList {
    AllowBNumbers,
    AllowANumbers,
    AllowSources,
    AllowTrunks,
    DenyANumbers,
    DenySources,
    DenyTrunks,
}

impl SharedList {
    pub const ALL: [SharedList; 7] = [
        SharedList::AllowBNumbers,
        SharedList::AllowANumbers,
        SharedList::AllowSources,
        SharedList::AllowTrunks,
        SharedList::DenyANumbers,
        SharedList::DenySources,
        SharedList::DenyTrunks,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SharedList::AllowBNumbers => "allow_b_numbers",
            SharedList::AllowANumbers => "allow_a_numbers",
            SharedList::AllowSources => "allow_sources",
            SharedList::AllowTrunks => "allow_trunks",
            SharedList::DenyANumbers => "deny_a_numbers",
            SharedList::DenySources => "deny_sources",
            SharedList::DenyTrunks => "deny_trunks",
        }
    }

    pub fn parse(s: &str) -> Option<SharedList> {
        SharedList::ALL.into_iter().find(|l| l.as_str() == s)
    }

    fn field(self, c: &mut ListsConfig) -> &mut Vec<String> {
        match self {
            SharedList::AllowBNumbers => &mut c.allow_b_numbers,
            SharedList::AllowANumbers => &mut c.allow_a_numbers,
            SharedList::AllowSources => &mut c.allow_sources,
            SharedList::AllowTrunks => &mut c.allow_trunks,
            SharedList::DenyANumbers => &mut c.deny_a_numbers,
            SharedList::DenySources => &mut c.deny_sources,
            SharedList::DenyTrunks => &mut c.deny_trunks,
        }
    }
}

/// Refuses entries the list could not use, with the same rules as the config file.
pub fn validate_entries(list: SharedList, entries: &[String]) -> Result<(), StoreError> {
    let bad = |e: &str, why: &str| {
        Err(StoreError::Protocol(format!(
            "{}: {e:?} {why}",
            list.as_str()
        )))
    };
    if entries.is_empty() {
        return Err(StoreError::Protocol(format!(
            "{}: no entries",
            list.as_str()
        )));
    }
    for e in entries {
        if e.is_empty() || e.len() > 128 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad(e, "is empty, too long or has spaces");
        }
        match list {
            SharedList::AllowSources | SharedList::DenySources => {
                if let Err(why) = parse_net(e) {
                    return bad(e, &why);
                }
            }
            SharedList::AllowTrunks | SharedList::DenyTrunks => {}
            _ => {
                let body = e.strip_suffix('*').unwrap_or(e);
                let digits = body.strip_prefix('+').unwrap_or(body);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return bad(e, "is not a number or a prefix ending in *");
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn parse_version(v: &Value) -> Result<u64, StoreError> {
    match v {
        Value::Nil => Ok(0),
        v => int_of(v)
            .map(|i| i.max(0) as u64)
            .ok_or_else(|| StoreError::Protocol(format!("lists version: {v:?}"))),
    }
}

pub(crate) fn parse_change(v: &Value) -> Result<(u64, u64), StoreError> {
    match v {
        Value::Array(p) if p.len() == 2 => match (int_of(&p[0]), int_of(&p[1])) {
            (Some(n), Some(ver)) => Ok((n.max(0) as u64, ver.max(0) as u64)),
            _ => Err(StoreError::Protocol(format!("list change: {v:?}"))),
        },
        _ => Err(StoreError::Protocol(format!("list change: {v:?}"))),
    }
}

/// The version, then `SMEMBERS` of every list: one round trip, one node.
pub(crate) fn plan_snapshot(codec: &Codec) -> Vec<Planned> {
    let mut out = Vec::with_capacity(8);
    let mut v = redis::cmd("GET");
    v.arg(codec.keys.lists_version());
    out.push(Planned::Plain(v));
    for l in SharedList::ALL {
        let mut c = redis::cmd("SMEMBERS");
        c.arg(codec.keys.list(l.as_str()));
        out.push(Planned::Plain(c));
    }
    out
}

pub(crate) fn parse_snapshot(values: Vec<Value>) -> Result<(u64, ListsConfig), StoreError> {
    if values.len() != 1 + SharedList::ALL.len() {
        return Err(StoreError::Protocol(
            "lists snapshot: wrong reply count".into(),
        ));
    }
    let version = parse_version(&values[0])?;
    let mut cfg = ListsConfig::default();
    for (l, v) in SharedList::ALL.into_iter().zip(&values[1..]) {
        let items = match v {
            Value::Array(a) | Value::Set(a) => a,
            Value::Nil => continue,
            other => {
                return Err(StoreError::Protocol(format!(
                    "list {}: {other:?}",
                    l.as_str()
                )))
            }
        };
        let field = l.field(&mut cfg);
        for i in items {
            if let Value::BulkString(b) = i {
                if let Ok(s) = std::str::from_utf8(b) {
                    field.push(s.to_string());
                }
            }
        }
        field.sort();
    }
    Ok((version, cfg))
}

/// The lists of the configuration file plus the shared ones.
pub fn merge_lists(file: &ListsConfig, shared: &ListsConfig) -> ListsConfig {
    let mut out = file.clone();
    let mut shared = shared.clone();
    for l in SharedList::ALL {
        let extra = std::mem::take(l.field(&mut shared));
        let f = l.field(&mut out);
        for e in extra {
            if !f.contains(&e) {
                f.push(e);
            }
        }
    }
    out
}

/// Swaps a configuration with the merged lists into the engine; checks in
/// flight finish on the old one.
pub fn apply_shared_lists(engine: &Engine, file: &ListsConfig, shared: &ListsConfig) {
    let mut cfg = (*engine.config()).clone();
    cfg.lists = Lists::new(&cfg.plan, &merge_lists(file, shared));
    engine.reload(cfg);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_entries_are_checked() {
        for l in SharedList::ALL {
            assert_eq!(SharedList::parse(l.as_str()), Some(l));
        }
        assert!(validate_entries(
            SharedList::DenyANumbers,
            &["+234803*".into(), "0803123".into()]
        )
        .is_ok());
        assert!(validate_entries(SharedList::DenyANumbers, &["abc".into()]).is_err());
        assert!(validate_entries(SharedList::AllowSources, &["10.0.0.0/8".into()]).is_ok());
        assert!(validate_entries(SharedList::AllowSources, &["10.0.0.300".into()]).is_err());
        assert!(validate_entries(SharedList::DenyTrunks, &[]).is_err());
    }

    #[test]
    fn merge_keeps_file_entries_and_adds_shared_ones() {
        let file = ListsConfig {
            deny_a_numbers: vec!["+1".into()],
            ..Default::default()
        };
        let shared = ListsConfig {
            deny_a_numbers: vec!["+1".into(), "+2".into()],
            allow_trunks: vec!["T".into()],
            ..Default::default()
        };
        let m = merge_lists(&file, &shared);
        assert_eq!(m.deny_a_numbers, vec!["+1", "+2"]);
        assert_eq!(m.allow_trunks, vec!["T"]);
    }
}
