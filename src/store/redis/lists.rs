// SPDX-License-Identifier: MIT OR Apache-2.0
//! Allow and deny lists shared through the store, so every node agrees.
//!
//! Each list is a SET `acm:{lists}:<name>` (names as in `[lists]`), and every
//! change bumps the counter `acm:{lists}:version` in the same script call. All
//! of them share the `{lists}` hash tag, so a change is atomic even on a
//! cluster. Nodes poll the version (one `GET`, e.g. every second); when it
//! moved they read every list (one pipelined round trip), merge them with the
//! lists of their configuration file, and swap a new engine configuration in
//! (the lists follower, `crate::node::lists`). The hot path keeps its local
//! hash-set lookups.

use redis::Value;

use super::{int_of, Codec, Planned};
use crate::config::ListsConfig;
use crate::store::shared_lists::SharedList;
use crate::store::StoreError;

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
