//! The shared window store on a Redis-protocol server (DragonflyDB in
//! production, Redis or Valkey elsewhere), for many Kamailio workers and many
//! nodes at once.
//!
//! One window update is one call of `window.lua`, which keeps the exact
//! semantics of [`crate::store::MemoryStore`] (see `docs/redis-store.md`). All
//! updates of one call, plus its auto-block lookup, go out as one pipeline:
//! one round trip on a single node; on a cluster the pipeline is split per node
//! and sent in parallel. Scripts run by `EVALSHA`; when the server has
//! forgotten them (`SCRIPT FLUSH`, restart) the refused commands — only those,
//! so nothing is applied twice — are sent again as `EVAL`, which also reloads
//! the cache.
//!
//! Two clients share this module's encoding: [`RedisStore`] (synchronous, one
//! connection per process, for Kamailio workers) and [`AsyncRedisStore`]
//! (tokio, for `acm serve`). Both bound every request by a time budget and sit
//! behind a circuit breaker ([`breaker`]).

pub mod breaker;
pub mod codec;
pub mod lists;
mod nonblocking;
mod sync;

use std::time::Duration;

use compact_str::CompactString;
use redis::{Cmd, Value};

use super::{
    evidence_in_window, AlertState, BlockEntry, StoreAnswer, StoreError, StoreRequest,
    WindowOutcome, EVIDENCE_MAX,
};
use crate::config::StoreConfig;
pub use breaker::{BreakerState, RedisStats};
pub use codec::KeyNames;
pub use lists::SharedList;
pub use nonblocking::AsyncRedisStore;
pub use sync::RedisStore;

/// Everything the Redis clients need from the configuration.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// Seed URLs (one for a single node).
    pub urls: Vec<String>,
    pub cluster: bool,
    /// Longest one request may take before the caller gets `Timeout`.
    pub budget: Duration,
    /// Longest an explicit connect may take.
    pub connect_timeout: Duration,
    pub breaker_failures: u32,
    pub breaker_cooldown: Duration,
    pub key_prefix: String,
    /// Wall-clock grace added to key expiries.
    pub expiry_slack_ms: i64,
    pub max_members_per_key: usize,
}

impl RedisSettings {
    pub fn from_config(c: &StoreConfig) -> RedisSettings {
        RedisSettings {
            urls: c.seed_urls(),
            cluster: c.is_cluster(),
            budget: Duration::from_millis(c.budget_ms),
            connect_timeout: Duration::from_millis(c.connect_timeout_ms),
            breaker_failures: c.breaker_failures,
            breaker_cooldown: Duration::from_millis(c.breaker_cooldown_ms),
            key_prefix: c.key_prefix.clone(),
            expiry_slack_ms: c.expiry_slack_ms as i64,
            max_members_per_key: c.max_members_per_key.max(1),
        }
    }

    /// Defaults for one server at `url`.
    pub fn single(url: &str) -> RedisSettings {
        RedisSettings::from_config(&StoreConfig {
            url: url.into(),
            ..StoreConfig::default()
        })
    }

    /// Defaults for a Redis Cluster reached through `urls`.
    pub fn cluster(urls: &[String]) -> RedisSettings {
        RedisSettings::from_config(&StoreConfig {
            urls: urls.to_vec(),
            cluster: true,
            ..StoreConfig::default()
        })
    }
}

/// A Lua script and its SHA1, computed once.
#[derive(Debug)]
pub(crate) struct Script {
    body: &'static str,
    sha: String,
}

impl Script {
    fn new(body: &'static str) -> Script {
        Script {
            body,
            sha: redis::Script::new(body).get_hash().to_string(),
        }
    }
}

const WINDOW_LUA: &str = include_str!("window.lua");
const BLOCK_LUA: &str = include_str!("block.lua");
const LISTS_LUA: &str = include_str!("lists.lua");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScriptId {
    Window,
    Block,
    Lists,
}

/// One command of a batch, kept in a form that can be sent by SHA or by body.
#[derive(Debug)]
pub(crate) enum Planned {
    Script {
        id: ScriptId,
        keys: Vec<String>,
        args: Vec<Vec<u8>>,
    },
    Plain(Cmd),
}

/// How a planned command is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Send {
    /// `EVALSHA`.
    Sha,
    /// `EVAL` with the body (the server forgot the script).
    Body,
    /// `EVALSHA` again after the whole batch was refused: window updates are
    /// told they may already have been applied, so they apply once.
    Retry,
}

/// Key names, scripts and the translation between requests and commands.
#[derive(Debug)]
pub(crate) struct Codec {
    pub keys: KeyNames,
    window: Script,
    block: Script,
    lists: Script,
    max_members: usize,
    slack_ms: i64,
}

fn wall_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn protocol(what: &str, v: &Value) -> StoreError {
    StoreError::Protocol(format!("{what}: unexpected reply {v:?}"))
}

fn bulk_str(v: &Value) -> Option<CompactString> {
    match v {
        Value::BulkString(b) => std::str::from_utf8(b).ok().map(CompactString::from),
        Value::SimpleString(s) => Some(s.as_str().into()),
        _ => None,
    }
}

pub(crate) fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}

impl Codec {
    pub fn new(s: &RedisSettings) -> Codec {
        Codec {
            keys: KeyNames::new(&s.key_prefix),
            window: Script::new(WINDOW_LUA),
            block: Script::new(BLOCK_LUA),
            lists: Script::new(LISTS_LUA),
            max_members: s.max_members_per_key,
            slack_ms: s.expiry_slack_ms,
        }
    }

    fn script(&self, id: ScriptId) -> &Script {
        match id {
            ScriptId::Window => &self.window,
            ScriptId::Block => &self.block,
            ScriptId::Lists => &self.lists,
        }
    }

    /// The command to send: `EVALSHA` normally, `EVAL` after a NOSCRIPT.
    pub fn command(&self, p: &Planned, how: Send) -> Cmd {
        match p {
            Planned::Plain(c) => c.clone(),
            Planned::Script { id, keys, args } => {
                let s = self.script(*id);
                let mut c = if how == Send::Body {
                    redis::cmd("EVAL")
                } else {
                    redis::cmd("EVALSHA")
                };
                c.arg(if how == Send::Body {
                    s.body
                } else {
                    s.sha.as_str()
                })
                .arg(keys.len())
                .arg(keys);
                for a in args {
                    c.arg(a.as_slice());
                }
                if *id == ScriptId::Window {
                    c.arg(if how == Send::Retry { "1" } else { "0" });
                }
                c
            }
        }
    }

    /// `SCRIPT LOAD` of every script (sent to every node of a cluster).
    pub fn load_commands(&self) -> Vec<Cmd> {
        [&self.window, &self.block, &self.lists]
            .iter()
            .map(|s| {
                let mut c = redis::cmd("SCRIPT");
                c.arg("LOAD").arg(s.body);
                c
            })
            .collect()
    }

    /// The commands of one call: a script call per window, then the block lookup.
    pub fn plan_request(&self, req: &StoreRequest) -> Vec<Planned> {
        let mut out = Vec::with_capacity(req.windows.len() + 1);
        for op in &req.windows {
            let [w, e, c] = self.keys.window(op.rule, &op.key);
            let args: Vec<Vec<u8>> = vec![
                op.member.as_bytes().to_vec(),
                op.time_ms.to_string().into_bytes(),
                op.window_ms.to_string().into_bytes(),
                op.threshold.to_string().into_bytes(),
                op.time_ms
                    .saturating_add(op.cooldown_ms)
                    .to_string()
                    .into_bytes(),
                op.alert_id().as_bytes().to_vec(),
                codec::encode_evidence(&op.evidence),
                self.max_members.to_string().into_bytes(),
                EVIDENCE_MAX.to_string().into_bytes(),
                op.window_ms
                    .saturating_add(self.slack_ms)
                    .max(1)
                    .to_string()
                    .into_bytes(),
                op.cooldown_ms
                    .saturating_add(self.slack_ms)
                    .max(1)
                    .to_string()
                    .into_bytes(),
            ];
            out.push(Planned::Script {
                id: ScriptId::Window,
                keys: vec![w, e, c],
                args,
            });
        }
        if let Some((number, _)) = &req.block_lookup {
            let mut c = redis::cmd("HMGET");
            c.arg(self.keys.block(number)).arg("u").arg("id");
            out.push(Planned::Plain(c));
        }
        out
    }

    /// The commands recording auto-blocks. A block's key expires (wall clock)
    /// when its event-time end has passed, plus the slack.
    pub fn plan_blocks(&self, blocks: &[BlockEntry]) -> Vec<Planned> {
        let now = wall_now_ms();
        blocks
            .iter()
            .map(|b| {
                let ttl = b
                    .until_ms
                    .saturating_sub(now)
                    .max(0)
                    .saturating_add(self.slack_ms)
                    .max(1);
                Planned::Script {
                    id: ScriptId::Block,
                    keys: vec![self.keys.block(&b.number)],
                    args: vec![
                        b.until_ms.to_string().into_bytes(),
                        b.alert_id.as_bytes().to_vec(),
                        ttl.to_string().into_bytes(),
                    ],
                }
            })
            .collect()
    }

    /// One list change (see `lists.lua`).
    pub fn plan_list_change(&self, list: SharedList, add: bool, entries: &[String]) -> Planned {
        let mut args: Vec<Vec<u8>> = vec![if add {
            b"add".to_vec()
        } else {
            b"remove".to_vec()
        }];
        args.extend(entries.iter().map(|e| e.as_bytes().to_vec()));
        Planned::Script {
            id: ScriptId::Lists,
            keys: vec![self.keys.list(list.as_str()), self.keys.lists_version()],
            args,
        }
    }

    /// Reads the window outcomes and the block lookup of one call.
    pub fn parse_answer(
        &self,
        req: &StoreRequest,
        values: Vec<Value>,
    ) -> Result<StoreAnswer, StoreError> {
        let expected = req.windows.len() + usize::from(req.block_lookup.is_some());
        if values.len() != expected {
            return Err(StoreError::Protocol(format!(
                "{} replies for {expected} commands",
                values.len()
            )));
        }
        let mut it = values.into_iter();
        let mut answer = StoreAnswer::default();
        for _ in &req.windows {
            let v = it.next().unwrap_or(Value::Nil);
            let Value::Array(parts) = &v else {
                return Err(protocol("window", &v));
            };
            if parts.len() != 5 {
                return Err(protocol("window", &v));
            }
            let count = int_of(&parts[0]).ok_or_else(|| protocol("window count", &v))?;
            let state = int_of(&parts[1]).ok_or_else(|| protocol("window state", &v))?;
            let id = bulk_str(&parts[2]).unwrap_or_default();
            let mut out = WindowOutcome {
                count: count.clamp(0, u32::MAX as i64) as u32,
                tracked: true,
                ..Default::default()
            };
            match state {
                0 => {}
                1 => {
                    out.alert = AlertState::Raised(id);
                    // The list is newest first; evidence_in_window wants arrival order.
                    let recent: Vec<_> = match &parts[3] {
                        Value::Array(items) => items
                            .iter()
                            .rev()
                            .filter_map(|i| match i {
                                Value::BulkString(b) => codec::decode_evidence(b),
                                _ => None,
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    let cutoff = parts
                        .get(4)
                        .and_then(int_of)
                        .ok_or_else(|| protocol("window cutoff", &v))?;
                    out.evidence = evidence_in_window(recent.iter(), cutoff);
                }
                2 => out.alert = AlertState::Active(id),
                _ => return Err(protocol("window state", &v)),
            }
            answer.windows.push(out);
        }
        if let Some((number, t)) = &req.block_lookup {
            let v = it.next().unwrap_or(Value::Nil);
            let Value::Array(parts) = &v else {
                return Err(protocol("block", &v));
            };
            if let (Some(until), Some(id)) = (
                parts.first().and_then(int_of),
                parts.get(1).and_then(bulk_str),
            ) {
                if until > *t {
                    answer.blocked = Some(BlockEntry {
                        number: number.clone(),
                        until_ms: until,
                        alert_id: id,
                    });
                }
            }
        }
        Ok(answer)
    }
}

/// True when a reply says the server does not know the script.
pub(crate) fn is_noscript(v: &Value) -> bool {
    matches!(v, Value::ServerError(e) if e.code() == "NOSCRIPT")
}

/// The first server error among replies, as a store error.
pub(crate) fn server_error(values: &[Value]) -> Option<StoreError> {
    values.iter().find_map(|v| match v {
        Value::ServerError(e) => Some(StoreError::Protocol(format!(
            "{} {}",
            e.code(),
            e.details().unwrap_or("")
        ))),
        _ => None,
    })
}

/// Maps a client error: timeouts are timeouts, anything else makes the store unavailable.
pub(crate) fn store_error(e: &redis::RedisError) -> StoreError {
    if e.is_timeout() {
        StoreError::Timeout
    } else {
        StoreError::Unavailable(e.to_string())
    }
}
