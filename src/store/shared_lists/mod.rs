// SPDX-License-Identifier: MIT OR Apache-2.0
//! Allow and deny lists shared by every node and worker through a store, so
//! that a block or an exemption made once holds everywhere. The lists are the
//! `[lists]` section's; the shared entries come on top of the file's
//! ([`merge_lists`]). Where they are kept implements [`SharedLists`]: the Redis
//! store (`store::redis::lists`, every node of a deployment) or a file
//! ([`FileLists`], the processes of one host); the lists follower
//! (`crate::node::lists`) polls the version and swaps the merged lists in.

mod file;

pub use file::FileLists;

use crate::config::{parse_net, ListsConfig};
use crate::store::StoreError;

/// Lists kept in a store and shared by every node: a version that moves on
/// every change, a snapshot, and changes. Blocking calls.
pub trait SharedLists: Send + Sync {
    /// The version of the shared lists (0 when never changed).
    fn version(&self) -> Result<u64, StoreError>;
    /// Every shared list, as a `[lists]` section, with its version.
    fn snapshot(&self) -> Result<(u64, ListsConfig), StoreError>;
    /// Adds (or removes) entries; answers (entries changed, new version).
    fn change(
        &self,
        list: SharedList,
        add: bool,
        entries: &[String],
    ) -> Result<(u64, u64), StoreError>;
}

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

    pub(crate) fn field(self, c: &mut ListsConfig) -> &mut Vec<String> {
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
