//! The shared window store on a Redis-protocol server (DragonflyDB in
//! production, Redis or Valkey elsewhere), for many Kamailio workers and many
//! nodes at once.
//!
//! The window updates of one call are applied by `check.lua`, which keeps the
//! exact semantics of [`crate::store::MemoryStore`] (see `docs/redis-store.md`).
//! On a single server (Redis, Valkey, non-cluster Dragonfly) one call is one
//! `EVALSHA` covering every window and the auto-block lookup: one round trip,
//! one script invocation. On a cluster (Redis Cluster, Dragonfly's emulated
//! cluster mode: `cluster = true` or several `urls`) the windows are grouped by
//! hash slot, one `EVALSHA` per slot plus a plain `HMGET` for the auto-block,
//! and the pipeline is split per node and sent in parallel. Scripts run by
//! `EVALSHA`; when the server has
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

use std::sync::atomic::{AtomicU8, Ordering};
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
    /// Whether the server has `ZADD GT`: `None` asks it (`INFO server`, in the
    /// first request's pipeline); `Some(false)` keeps to the pre-6.2 commands.
    pub zadd_gt: Option<bool>,
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
            zadd_gt: None,
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

/// What the server is known to support. On a single server the first
/// request carries an `INFO server` in its pipeline (no extra round trip).
/// Until known, and on a cluster, `check.lua` is told to try `ZADD GT` and
/// falls back by itself when the server refuses it: a wrong guess costs time,
/// never correctness.
#[derive(Debug, Default)]
pub(crate) struct ServerCaps {
    /// 0 unknown, 1 no `ZADD GT`, 2 `ZADD GT` (Redis >= 6.2, Dragonfly).
    zadd_gt: AtomicU8,
    /// The store speaks the cluster protocol: not asked.
    cluster: bool,
}

impl ServerCaps {
    /// Whether to try `ZADD GT` (the script falls back when refused, so an
    /// unknown server is tried).
    fn zadd_gt_hint(&self) -> bool {
        self.zadd_gt.load(Ordering::Relaxed) != 1
    }

    /// Prepends `INFO server` to a batch while the server is unknown; answers
    /// whether it did.
    pub fn ask(&self, planned: &mut Vec<Planned>) -> bool {
        let ask = !self.cluster && self.zadd_gt.load(Ordering::Relaxed) == 0;
        if ask {
            planned.insert(0, Planned::Plain(info_server()));
        }
        ask
    }

    /// Takes the `INFO server` reply off the front of a batch's replies.
    pub fn hear(&self, asked: bool, values: &mut Vec<Value>) {
        if asked && !values.is_empty() {
            let v = values.remove(0);
            self.learn(&v);
        }
    }

    /// Learns the server version from an `INFO server` reply (one string, or
    /// one per node on a cluster: the oldest node decides).
    pub fn learn(&self, info: &Value) {
        if let Some(gt) = zadd_gt_from_info(info) {
            self.zadd_gt
                .store(if gt { 2 } else { 1 }, Ordering::Relaxed);
        }
    }
}

/// `Some(true)` when every `redis_version` in an `INFO server` reply is >= 6.2.
pub(crate) fn zadd_gt_from_info(v: &Value) -> Option<bool> {
    fn texts<'a>(v: &'a Value, out: &mut Vec<&'a [u8]>) {
        match v {
            Value::BulkString(b) => out.push(b),
            Value::VerbatimString { text, .. } => out.push(text.as_bytes()),
            Value::SimpleString(s) => out.push(s.as_bytes()),
            Value::Array(items) | Value::Set(items) => items.iter().for_each(|i| texts(i, out)),
            Value::Map(pairs) => pairs.iter().for_each(|(_, i)| texts(i, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    texts(v, &mut all);
    let mut answer = None;
    for t in all {
        let Ok(t) = std::str::from_utf8(t) else {
            continue;
        };
        let Some(ver) = t
            .lines()
            .find_map(|l| l.trim().strip_prefix("redis_version:"))
        else {
            continue;
        };
        let mut parts = ver.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        let gt = (major, minor) >= (6, 2);
        answer = Some(answer.unwrap_or(true) && gt);
    }
    answer
}

/// The `INFO server` command the clients send after connecting.
pub(crate) fn info_server() -> Cmd {
    let mut c = redis::cmd("INFO");
    c.arg("server");
    c
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

const CHECK_LUA: &str = include_str!("check.lua");
const BLOCK_LUA: &str = include_str!("block.lua");
const LISTS_LUA: &str = include_str!("lists.lua");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScriptId {
    Check,
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

/// Which reply answers what: per planned command of a request, the windows
/// it updates (indices into the request) and whether it carries the
/// auto-block lookup (as the last entry of its reply, or as the whole reply
/// of a plain `HMGET`).
#[derive(Debug, Default)]
pub(crate) struct Layout {
    parts: Vec<(Vec<usize>, bool)>,
}

/// Arguments of `check.lua` before the per-window ones (see the script).
const CHECK_FIXED_ARGS: usize = 6;
const CHECK_RETRY_ARG: usize = 1;
const CHECK_GT_ARG: usize = 5;
const CHECK_ARGS_PER_WINDOW: usize = 10;

/// Key names, scripts and the translation between requests and commands.
#[derive(Debug)]
pub(crate) struct Codec {
    pub keys: KeyNames,
    pub caps: ServerCaps,
    /// One script call per hash slot (a cluster) instead of one per request.
    cluster: bool,
    check: Script,
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
            caps: ServerCaps {
                zadd_gt: AtomicU8::new(match s.zadd_gt {
                    None => 0,
                    Some(false) => 1,
                    Some(true) => 2,
                }),
                cluster: s.cluster,
            },
            cluster: s.cluster,
            check: Script::new(CHECK_LUA),
            block: Script::new(BLOCK_LUA),
            lists: Script::new(LISTS_LUA),
            max_members: s.max_members_per_key,
            slack_ms: s.expiry_slack_ms,
        }
    }

    fn script(&self, id: ScriptId) -> &Script {
        match id {
            ScriptId::Check => &self.check,
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
                if *id == ScriptId::Check {
                    for (i, a) in args.iter().enumerate() {
                        match i {
                            CHECK_RETRY_ARG => c.arg(if how == Send::Retry { "1" } else { "0" }),
                            CHECK_GT_ARG => c.arg(if self.caps.zadd_gt_hint() { "1" } else { "0" }),
                            _ => c.arg(a.as_slice()),
                        };
                    }
                } else {
                    for a in args {
                        c.arg(a.as_slice());
                    }
                }
                c
            }
        }
    }

    /// `SCRIPT LOAD` of every script (sent to every node of a cluster).
    pub fn load_commands(&self) -> Vec<Cmd> {
        [&self.check, &self.block, &self.lists]
            .iter()
            .map(|s| {
                let mut c = redis::cmd("SCRIPT");
                c.arg("LOAD").arg(s.body);
                c
            })
            .collect()
    }

    /// The commands of one call: on a single server one `check.lua` call for
    /// every window and the block lookup; on a cluster one call per hash slot
    /// and a plain `HMGET` for the block lookup.
    pub fn plan_request(&self, req: &StoreRequest) -> (Vec<Planned>, Layout) {
        let mut planned = Vec::with_capacity(2);
        let mut layout = Layout::default();
        if self.cluster {
            let mut groups: Vec<(u16, Vec<usize>)> = Vec::new();
            for (i, op) in req.windows.iter().enumerate() {
                let [w, _, _] = self.keys.window(op.rule, &op.key);
                let slot = codec::hash_slot(w.as_bytes());
                match groups.iter_mut().find(|g| g.0 == slot) {
                    Some(g) => g.1.push(i),
                    None => groups.push((slot, vec![i])),
                }
            }
            for (_, windows) in groups {
                planned.push(self.plan_check(req, &windows, None));
                layout.parts.push((windows, false));
            }
            if let Some((number, _)) = &req.block_lookup {
                let mut c = redis::cmd("HMGET");
                c.arg(self.keys.block(number)).arg("u").arg("id");
                planned.push(Planned::Plain(c));
                layout.parts.push((Vec::new(), true));
            }
        } else if !req.windows.is_empty() || req.block_lookup.is_some() {
            let windows: Vec<usize> = (0..req.windows.len()).collect();
            let block = req.block_lookup.as_ref().map(|(n, _)| n.as_str());
            planned.push(self.plan_check(req, &windows, block));
            layout.parts.push((windows, block.is_some()));
        }
        (planned, layout)
    }

    /// One `check.lua` call for these windows of a request (and maybe its block lookup).
    fn plan_check(&self, req: &StoreRequest, windows: &[usize], block: Option<&str>) -> Planned {
        let mut keys = Vec::with_capacity(windows.len() * 3 + 1);
        let mut args: Vec<Vec<u8>> =
            Vec::with_capacity(CHECK_FIXED_ARGS + windows.len() * CHECK_ARGS_PER_WINDOW);
        args.push(windows.len().to_string().into_bytes());
        args.push(Vec::new()); // retry, set when sent
        args.push(self.max_members.to_string().into_bytes());
        args.push(EVIDENCE_MAX.to_string().into_bytes());
        args.push(if block.is_some() {
            b"1".to_vec()
        } else {
            b"0".to_vec()
        });
        args.push(Vec::new()); // ZADD GT hint, set when sent
        for &i in windows {
            let op = &req.windows[i];
            keys.extend(self.keys.window(op.rule, &op.key));
            args.push(op.member.as_bytes().to_vec());
            args.push(op.time_ms.to_string().into_bytes());
            args.push(op.window_ms.to_string().into_bytes());
            args.push(op.threshold.to_string().into_bytes());
            args.push(
                op.time_ms
                    .saturating_add(op.cooldown_ms)
                    .to_string()
                    .into_bytes(),
            );
            args.push(op.alert_id().as_bytes().to_vec());
            // The windows of one call share their evidence: sent once per script.
            args.push(if i == windows[0] {
                codec::encode_evidence(&req.evidence)
            } else {
                Vec::new()
            });
            args.push(
                op.window_ms
                    .saturating_add(self.slack_ms)
                    .max(1)
                    .to_string()
                    .into_bytes(),
            );
            args.push(
                op.cooldown_ms
                    .saturating_add(self.slack_ms)
                    .max(1)
                    .to_string()
                    .into_bytes(),
            );
            args.push(op.member_cap.to_string().into_bytes());
        }
        if let Some(number) = block {
            keys.push(self.keys.block(number));
        }
        Planned::Script {
            id: ScriptId::Check,
            keys,
            args,
        }
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
        layout: &Layout,
        values: Vec<Value>,
    ) -> Result<StoreAnswer, StoreError> {
        if values.len() != layout.parts.len() {
            return Err(StoreError::Protocol(format!(
                "{} replies for {} commands",
                values.len(),
                layout.parts.len()
            )));
        }
        // Back to one reply per window, in request order, then the block lookup.
        let mut per_window: Vec<Value> = vec![Value::Nil; req.windows.len()];
        let mut block_reply = Value::Nil;
        for ((windows, block), v) in layout.parts.iter().zip(values) {
            if windows.is_empty() && *block {
                block_reply = v;
                continue;
            }
            let Value::Array(items) = v else {
                return Err(protocol("check", &v));
            };
            if items.len() != windows.len() + usize::from(*block) {
                return Err(StoreError::Protocol(format!(
                    "check: {} entries for {} windows",
                    items.len(),
                    windows.len()
                )));
            }
            let mut items = items.into_iter();
            for &i in windows {
                per_window[i] = items.next().unwrap_or(Value::Nil);
            }
            if *block {
                block_reply = items.next().unwrap_or(Value::Nil);
            }
        }
        let mut it = per_window.into_iter().chain(std::iter::once(block_reply));
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
