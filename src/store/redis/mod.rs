// SPDX-License-Identifier: MIT OR Apache-2.0
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
use smallvec::SmallVec;

use super::{
    evidence_in_window, AlertState, BlockEntry, StoreAnswer, StoreError, StoreRequest,
    WindowOutcome,
};
use crate::config::StoreConfig;
use crate::contract::{CalledStamp, Evidence, Reason, Spell, WindowOp, Withdrawal};
pub use crate::store::shared_lists::SharedList;
pub use breaker::{BreakerState, RedisStats};
pub use codec::KeyNames;
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
const WITHDRAW_LUA: &str = include_str!("withdraw.lua");
const LISTS_LUA: &str = include_str!("lists.lua");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScriptId {
    Check,
    Block,
    Lists,
    Withdraw,
}

/// One script call, packed: its keys and then its arguments back to back in
/// one buffer (one allocation instead of one per argument), sent by SHA or by
/// body. For `check.lua` the first argument (the mode) is left out and
/// written when the call is sent: it depends on how (a retry or not) and on
/// what the server is known to support.
#[derive(Debug)]
pub(crate) struct ScriptCall {
    id: ScriptId,
    buf: Vec<u8>,
    /// End of each item (keys, then arguments) in `buf`.
    ends: SmallVec<[u32; 48]>,
    keys: usize,
}

impl ScriptCall {
    fn new(id: ScriptId, capacity: usize) -> ScriptCall {
        ScriptCall {
            id,
            buf: Vec::with_capacity(capacity),
            ends: SmallVec::new(),
            keys: 0,
        }
    }

    /// How this call is sent in a batch sent `how`: a withdrawal always
    /// with its body (`EVAL`, which the server caches like `SCRIPT LOAD`).
    /// It goes ahead of a check in the same pipeline, and a NOSCRIPT answer
    /// would have it sent again after that check: too late for it.
    /// Withdrawals are rare, the body short.
    fn how(&self, how: Send) -> Send {
        if self.id == ScriptId::Withdraw {
            Send::Body
        } else {
            how
        }
    }

    /// Closes the item written into `buf` since the previous one.
    fn end_item(&mut self) {
        self.ends.push(self.buf.len() as u32);
    }

    fn push(&mut self, item: &[u8]) {
        self.buf.extend_from_slice(item);
        self.end_item();
    }

    fn push_int(&mut self, v: i64) {
        codec::put_int(&mut self.buf, v);
        self.end_item();
    }

    /// Every item: keys first, then arguments.
    fn items(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0usize;
        self.ends.iter().map(move |&end| {
            let item = &self.buf[start..end as usize];
            start = end as usize;
            item
        })
    }
}

/// One command of a batch, kept in a form that can be sent by SHA or by body.
#[derive(Debug)]
pub(crate) enum Planned {
    Script(ScriptCall),
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
/// auto-block lookup (at the end of its reply, or as the whole reply of a
/// plain `HMGET`).
#[derive(Debug, Default)]
pub(crate) struct Layout {
    parts: SmallVec<[(Windows, bool); 2]>,
    /// Deferred called stamps this request carries (lost if it fails).
    pub stamps: usize,
    /// Deferred withdrawals this request carries (lost if it fails).
    pub withdrawals: usize,
}

/// Indices of a request's windows (a window per rule, and the fan-in tiers'
/// companions): sixteen inline take no more room than the heap pointer
/// four took, and a call's windows never spill.
type Windows = SmallVec<[u8; 16]>;

/// How long after its latest time moved into a new bucket a window's keys
/// live beyond `window + slack`; also the bucket length. The keys' expiry is
/// refreshed only when a key is new or its latest time enters a new bucket,
/// not on every update, so a hot key (a rotation source, a busy B-number)
/// pays for it once per bucket. A constant, not a setting: nodes that share a
/// store must agree on it.
pub const EXPIRY_BUCKET_MS: i64 = 30_000;
/// Offsets that put `check.lua`'s markers below every member (see the
/// script): members score their event time, 0 to 2.6e14 ms (the years 1970
/// to 9999, what the engine accepts), the markers lie below -7e14, and every
/// score stays an exact integer (below 2^53).
const HW_OFFSET: i64 = 1_000_000_000_000_000;
const BUCKET_OFFSET: i64 = 2_000_000_000_000_000;

/// Key names, scripts and the translation between requests and commands.
#[derive(Debug)]
pub(crate) struct Codec {
    pub keys: KeyNames,
    pub caps: ServerCaps,
    /// One script call per hash slot (a cluster) instead of one per request.
    cluster: bool,
    check: Script,
    block: Script,
    withdraw: Script,
    lists: Script,
    max_members: usize,
    slack_ms: i64,
    /// Called stamps whose gate passed on an answer (`CalledStamp::unless_over`),
    /// sent at the start of the next request's pipeline (the blocking client;
    /// the async one sends them at once in a task of their own): the caller's
    /// count is known only from the answer, and a second round trip per call
    /// would cost the call path. At most [`DEFERRED_STAMPS`]; the oldest go
    /// first.
    deferred: parking_lot::Mutex<Vec<CalledStamp>>,
    /// Withdrawals of held-back alerts (`withdraw.lua` calls) waiting for the
    /// start of the next request's pipeline: on a cluster's blocking client
    /// every one, on the async client a second copy of each (ordered before
    /// this connection's next check; the first went at once in a task of its
    /// own). The blocking client on one server sends them at once instead
    /// (`sync::RedisStore::withdraw_alerts`). At most [`DEFERRED_STAMPS`];
    /// the oldest go first.
    withdrawals: parking_lot::Mutex<Vec<Planned>>,
}

/// Deferred called stamps kept at most (a connection that goes quiet keeps
/// its last ones until its next request).
const DEFERRED_STAMPS: usize = 256;

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

/// Appends one RESP bulk string.
fn put_bulk(out: &mut Vec<u8>, item: &[u8]) {
    out.push(b'$');
    codec::put_int(out, item.len() as i64);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(item);
    out.extend_from_slice(b"\r\n");
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
            withdraw: Script::new(WITHDRAW_LUA),
            lists: Script::new(LISTS_LUA),
            max_members: s.max_members_per_key,
            slack_ms: s.expiry_slack_ms,
            deferred: parking_lot::Mutex::new(Vec::new()),
            withdrawals: parking_lot::Mutex::new(Vec::new()),
        }
    }

    /// After an answer: the request's gated called stamp, when its gate
    /// passed (an ungated one went with the request).
    pub fn passed_stamp<'r>(
        &self,
        req: &'r StoreRequest,
        answer: &StoreAnswer,
    ) -> Option<&'r CalledStamp> {
        req.called
            .as_ref()
            .filter(|c| c.unless_over.is_some() && c.passes(req, &answer.windows))
    }

    /// After an answer: keeps the request's gated called stamp for the next
    /// request when its gate passed. Returns how many stamps were dropped to
    /// make room (the oldest).
    pub fn defer_stamp(&self, req: &StoreRequest, answer: &StoreAnswer) -> u64 {
        match self.passed_stamp(req, answer) {
            Some(c) => self.defer(c),
            None => 0,
        }
    }

    /// Keeps a called stamp for the next request; returns how many were
    /// dropped to make room (the oldest).
    pub fn defer(&self, c: &CalledStamp) -> u64 {
        let mut d = self.deferred.lock();
        let dropped = (d.len() + 1).saturating_sub(DEFERRED_STAMPS);
        d.drain(..dropped);
        d.push(c.clone());
        dropped as u64
    }

    /// The `withdraw.lua` calls of a call's withdrawals: each names the
    /// cooldown HASH its window's check used.
    pub fn withdrawal_calls(&self, req: &StoreRequest, withdrawals: &[Withdrawal]) -> Vec<Planned> {
        let partners = paired(req);
        let mut calls = Vec::with_capacity(withdrawals.len());
        for (wd, op) in Withdrawal::in_request(req, withdrawals) {
            let mut call = ScriptCall::new(ScriptId::Withdraw, 64 + op.key.len());
            // A spell's alert: its string, and the minute its spell began
            // (from the id, `contract::Spell::alert_id`).
            if op.spell.is_some() && op.count_only {
                let Some(start) = crate::contract::alert_raised_ms(&wd.id) else {
                    continue;
                };
                self.keys
                    .write_window(op.rule, &op.key, b's', &mut call.buf);
                call.end_item();
                call.keys = 1;
                call.push(wd.id.as_bytes());
                call.push_int(Spell::minute(start));
                calls.push(Planned::Script(call));
                continue;
            }
            match partners.iter().find(|&&(_, p)| p == wd.window) {
                Some(&(o, _)) => {
                    let owner = req.windows[o as usize].rule;
                    self.keys
                        .write_paired(owner, op.rule, &op.key, b'c', &mut call.buf)
                }
                None => self
                    .keys
                    .write_window(op.rule, &op.key, b'c', &mut call.buf),
            }
            call.end_item();
            call.keys = 1;
            call.push(wd.id.as_bytes());
            calls.push(Planned::Script(call));
        }
        calls
    }

    /// Keeps withdrawal calls for the next request (see `withdrawals`).
    /// Returns how many were dropped to make room (the oldest).
    pub fn defer_withdrawals(&self, calls: Vec<Planned>) -> u64 {
        let mut d = self.withdrawals.lock();
        d.extend(calls);
        let dropped = d.len().saturating_sub(DEFERRED_STAMPS);
        d.drain(..dropped);
        dropped as u64
    }

    /// A called stamp's `SET` (a plain command: on a cluster it goes to the
    /// callee's slot, beside the asking rule's windows of that number). A
    /// late call may set an older stamp (the embedded stores keep the newest).
    pub fn stamp_cmd(&self, stamp: &CalledStamp) -> Cmd {
        let mut name = Vec::with_capacity(48);
        self.keys
            .write_window(stamp.rule, &stamp.number, b'r', &mut name);
        let mut c = redis::cmd("SET");
        c.arg(name)
            .arg(stamp.time_ms)
            .arg("PX")
            .arg(stamp.keep_ms.saturating_add(self.slack_ms).max(1));
        c
    }

    fn script(&self, id: ScriptId) -> &Script {
        match id {
            ScriptId::Check => &self.check,
            ScriptId::Block => &self.block,
            ScriptId::Lists => &self.lists,
            ScriptId::Withdraw => &self.withdraw,
        }
    }

    /// `check.lua`'s first argument: whether to try `ZADD GT`, whether this is a retry.
    fn check_mode(&self, how: Send) -> &'static [u8] {
        match (self.caps.zadd_gt_hint(), how == Send::Retry) {
            (true, false) => b"0",
            (true, true) => b"1",
            (false, false) => b"2",
            (false, true) => b"3",
        }
    }

    /// The command to send: `EVALSHA` normally, `EVAL` after a NOSCRIPT.
    pub fn command(&self, p: &Planned, how: Send) -> Cmd {
        match p {
            Planned::Plain(c) => c.clone(),
            Planned::Script(call) => {
                let s = self.script(call.id);
                let how = call.how(how);
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
                .arg(call.keys);
                for (i, item) in call.items().enumerate() {
                    if i == call.keys && call.id == ScriptId::Check {
                        c.arg(self.check_mode(how));
                    }
                    c.arg(item);
                }
                c
            }
        }
    }

    /// Appends a planned command to `out` in the wire format (RESP), as
    /// [`Codec::command`] would send it, without building a `Cmd`.
    pub fn encode(&self, p: &Planned, how: Send, out: &mut Vec<u8>) {
        let call = match p {
            Planned::Plain(c) => return c.write_packed_command(out),
            Planned::Script(call) => call,
        };
        let s = self.script(call.id);
        let how = call.how(how);
        let mode = usize::from(call.id == ScriptId::Check);
        out.push(b'*');
        codec::put_int(out, (3 + call.ends.len() + mode) as i64);
        out.extend_from_slice(b"\r\n");
        if how == Send::Body {
            put_bulk(out, b"EVAL");
            put_bulk(out, s.body.as_bytes());
        } else {
            put_bulk(out, b"EVALSHA");
            put_bulk(out, s.sha.as_bytes());
        }
        let mut digits = [0u8; 20];
        put_bulk(out, codec::int_digits(call.keys as i64, &mut digits));
        for (i, item) in call.items().enumerate() {
            if i == call.keys && mode == 1 {
                put_bulk(out, self.check_mode(how));
            }
            put_bulk(out, item);
        }
    }

    /// `SCRIPT LOAD` of every script (sent to every node of a cluster).
    pub fn load_commands(&self) -> Vec<Cmd> {
        [&self.check, &self.block, &self.lists, &self.withdraw]
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
    /// and a plain `HMGET` for the block lookup. (The windows of a call share
    /// its event time, which `check.lua` takes once; windows at other times,
    /// which the engine never asks for, would get calls of their own.)
    pub fn plan_request(&self, req: &StoreRequest) -> (Vec<Planned>, Layout) {
        let mut planned = Vec::with_capacity(2);
        let mut layout = Layout::default();
        {
            // Withdrawals and stamps deferred from earlier answers go first.
            let mut w = self.withdrawals.lock();
            for call in w.drain(..) {
                planned.push(call);
                layout.parts.push((SmallVec::new(), false));
                layout.withdrawals += 1;
            }
            drop(w);
            let mut d = self.deferred.lock();
            for stamp in d.drain(..) {
                planned.push(Planned::Plain(self.stamp_cmd(&stamp)));
                layout.parts.push((SmallVec::new(), false));
                layout.stamps += 1;
            }
        }
        // (hash slot on a cluster, event time) → windows.
        let mut groups: SmallVec<[(u16, i64, Windows); 4]> = SmallVec::new();
        let mut name = Vec::new();
        let partners = paired(req);
        for (i, op) in req.windows.iter().enumerate() {
            if partners.iter().any(|&(_, p)| p as usize == i) {
                // Placed right after the window whose set it counts in.
                continue;
            }
            let slot = if self.cluster {
                name.clear();
                self.keys.write_window(op.rule, &op.key, b'm', &mut name);
                codec::hash_slot(&name)
            } else {
                0
            };
            let mut ids: Windows = SmallVec::from_slice(&[i as u8]);
            if let Some(&(_, p)) = partners.iter().find(|&&(o, _)| o as usize == i) {
                ids.push(p);
            }
            match groups.iter_mut().find(|g| g.0 == slot && g.1 == op.time_ms) {
                Some(g) => g.2.extend_from_slice(&ids),
                None => groups.push((slot, op.time_ms, ids)),
            }
        }
        let number = req.block_lookup.as_ref().map(|(n, _)| n.as_str());
        // On a single server the first script call also reads the auto-block.
        let mut block = number.filter(|_| !self.cluster);
        if groups.is_empty() && block.is_some() {
            groups.push((0, 0, SmallVec::new()));
        }
        for (_, t, windows) in groups {
            planned.push(self.plan_check(req, t, &windows, block));
            layout.parts.push((windows, block.take().is_some()));
        }
        if let (true, Some(number)) = (self.cluster, number) {
            let mut c = redis::cmd("HMGET");
            c.arg(self.keys.block(number)).arg("u").arg("id");
            planned.push(Planned::Plain(c));
            layout.parts.push((SmallVec::new(), true));
        }
        if let Some(stamp) = req.called.as_ref().filter(|c| c.unless_over.is_none()) {
            // An ungated stamp goes with its own request (a gated one waits
            // for the answer: `defer_stamp`).
            planned.push(Planned::Plain(self.stamp_cmd(stamp)));
            layout.parts.push((SmallVec::new(), false));
        }
        (planned, layout)
    }

    /// One `check.lua` call for these windows of a request (and maybe its
    /// block lookup); the arguments as the script documents them.
    fn plan_check(
        &self,
        req: &StoreRequest,
        t: i64,
        windows: &[u8],
        block: Option<&str>,
    ) -> Planned {
        let mut call = ScriptCall::new(ScriptId::Check, 256 + 160 * windows.len());
        // Whether each window counts in the previous one's members set.
        let mut shares: SmallVec<[bool; 8]> = SmallVec::new();
        for (n, &i) in windows.iter().enumerate() {
            let op = &req.windows[i as usize];
            let owner = n
                .checked_sub(1)
                .map(|p| &req.windows[windows[p] as usize])
                .filter(|o| pairs(o, op));
            shares.push(owner.is_some());
            match owner {
                // Its cooldown only: it counts in the owner's members set
                // and reads the owner's evidence list.
                Some(o) => {
                    self.keys
                        .write_paired(o.rule, op.rule, &op.key, b'c', &mut call.buf);
                    call.end_item();
                }
                // A count-only window: its members set only.
                None if lean(op) => {
                    self.keys
                        .write_window(op.rule, &op.key, b'm', &mut call.buf);
                    call.end_item();
                }
                // A count-only window that learns: its members set and the
                // hash holding its learned state (no evidence list).
                None if op.count_only => {
                    for suffix in [b'm', b'c'] {
                        self.keys
                            .write_window(op.rule, &op.key, suffix, &mut call.buf);
                        call.end_item();
                    }
                }
                None => {
                    for suffix in codec::WINDOW_SUFFIXES {
                        self.keys
                            .write_window(op.rule, &op.key, suffix, &mut call.buf);
                        call.end_item();
                    }
                    // Its key's called stamp, read once its count reaches
                    // its threshold (flagged at the end of its rare string).
                    if op.called.is_some() {
                        self.keys
                            .write_window(op.rule, &op.key, b'r', &mut call.buf);
                        call.end_item();
                    }
                }
            }
            // A count-only window judged by its key's spell: the spell's
            // string last (flagged by an eighth on its cap).
            if owner.is_none() && op.count_only && op.spell.is_some() {
                self.keys
                    .write_window(op.rule, &op.key, b's', &mut call.buf);
                call.end_item();
            }
        }
        if let Some(number) = block {
            call.push(self.keys.block(number).as_bytes());
        }
        call.keys = call.ends.len();
        call.push_int(t);
        call.push_int(t - HW_OFFSET);
        call.push_int(t - t.rem_euclid(EXPIRY_BUCKET_MS) - BUCKET_OFFSET);
        codec::write_evidence(&req.evidence, &mut call.buf);
        call.end_item();
        for (&i, &shared) in windows.iter().zip(&shares) {
            let op = &req.windows[i as usize];
            // As the embedded store: at least twice the threshold (a learning
            // window's learned one, in the script).
            let cap = (op.member_cap as usize)
                .max((op.threshold as usize).saturating_mul(2))
                .clamp(1, self.max_members) as i64;
            call.push(op.member.as_bytes());
            if shared {
                // Counted in the previous window's set: its cutoff
                // exclusive, as ZCOUNT takes it, and minus its cap.
                call.buf.push(b'(');
                call.push_int(op.time_ms - op.window_ms);
                codec::put_int(&mut call.buf, -cap);
            } else {
                call.push_int(op.time_ms - op.window_ms);
                codec::put_int(&mut call.buf, cap);
            }
            // A half on the cap: answer the span; a quarter: the recent
            // count; an eighth: judged by its key's spell (summed; see
            // check.lua).
            let spell = op.spell.filter(|_| op.count_only);
            match (op.span, op.recent_ms > 0, spell.is_some()) {
                (false, false, false) => {}
                (true, false, false) => call.buf.extend_from_slice(b".5"),
                (false, true, false) => call.buf.extend_from_slice(b".25"),
                (true, true, false) => call.buf.extend_from_slice(b".75"),
                (false, false, true) => call.buf.extend_from_slice(b".125"),
                (true, false, true) => call.buf.extend_from_slice(b".625"),
                (false, true, true) => call.buf.extend_from_slice(b".375"),
                (true, true, true) => call.buf.extend_from_slice(b".875"),
            }
            call.end_item();
            match &op.learn {
                // A learning window: minus its learning floor (see check.lua).
                Some(l) => call.push_int(-(l.floor(op.threshold).max(1) as i64)),
                // 0 says count only (no evidence, no cooldown).
                None if lean(op) => call.push_int(0),
                None => call.push_int(op.threshold.max(1) as i64),
            }
            call.push_int(
                op.window_ms
                    .saturating_add(self.slack_ms)
                    .saturating_add(EXPIRY_BUCKET_MS),
            );
            // Read only for late events and alerts: '<window> <until> <cooldown ttl> <id>'
            // ('<window>' for a count-only window; 'c' first for one that
            // learns: it pushes no evidence and raises no alert; a learning
            // window's learned fields between its window and its until).
            let b = &mut call.buf;
            if op.count_only && !lean(op) {
                b.push(b'c');
            } else if op.repeats.is_some() && op.learn.is_some() {
                // 'q' first: judged by its key's repeats (its parameters at the end).
                b.push(b'q');
            }
            codec::put_int(b, op.window_ms);
            // ' <recent ms>w' last: a count-only window's recent count
            // (contract::WindowOp::recent_ms; never with a called stamp or
            // repeats, whose fields end the string); before it, ' <quiet
            // min> <at> <window start min> <ttl>s': its spell's.
            let recent = |b: &mut Vec<u8>| {
                if let Some(sp) = spell {
                    for v in [
                        sp.quiet_min.get() as i64,
                        sp.at as i64,
                        Spell::minute(op.time_ms.saturating_sub(op.window_ms)),
                        (sp.quiet_min.get() as i64 * 60_000).saturating_add(self.slack_ms),
                    ] {
                        b.push(b' ');
                        codec::put_int(b, v);
                    }
                    b.push(b's');
                }
                if op.recent_ms > 0 {
                    b.push(b' ');
                    codec::put_int(b, op.recent_ms as i64);
                    b.push(b'w');
                }
            };
            if lean(op) {
                recent(b);
                call.end_item();
                continue;
            }
            if let Some(l) = &op.learn {
                // ' <threshold> <interval> <k milli> <window ms> <keep ms> <hold after, +64
                // holding known keys only, +128 keeping known keys, +256 holding uncalled
                // keys only, +512 holding paced keys> <keep ttl> <weight divisor> <most
                // members>': first what every check at the floor reads, last what only a
                // fold (or a learned level past half the cap) does (see check.lua).
                for v in [
                    op.threshold as i64,
                    l.interval_ms.max(1) as i64,
                    l.k_milli.max(1) as i64,
                    op.window_ms.max(0),
                    l.keep_ms as i64,
                    l.hold_after.min(crate::contract::LEARN_OVER_MAX) as i64
                        + if l.hold_known { 64 } else { 0 }
                        + if l.keep_known { 128 } else { 0 }
                        + if l.hold_uncalled { 256 } else { 0 }
                        + if l.hold_paced { 512 } else { 0 },
                    (l.keep_ms as i64).saturating_add(self.slack_ms).max(1),
                    1i64 << l.shift.clamp(1, 6),
                    self.max_members as i64,
                ] {
                    b.push(b' ');
                    codec::put_int(b, v);
                }
            }
            b.push(b' ');
            codec::put_int(b, op.time_ms.saturating_add(op.cooldown_ms as i64));
            b.push(b' ');
            // Kept past the cooldown until the members that raised the
            // alert have left the window (they raise no other).
            codec::put_int(
                b,
                (op.cooldown_ms as i64)
                    .saturating_add(op.window_ms)
                    .saturating_add(self.slack_ms)
                    .max(1),
            );
            b.push(b' ');
            b.extend_from_slice(op.alert_id().as_bytes());
            if let (Some(r), Some(_)) = (&op.repeats, &op.learn) {
                // ' <share milli> <factor> <span s> <ingress>q': judged by its
                // key's repeats (and moves: ingress 0, none).
                b.push(b' ');
                codec::put_int(b, r.share_milli as i64);
                b.push(b' ');
                codec::put_int(b, r.factor.max(1) as i64);
                b.push(b' ');
                codec::put_int(b, r.span_s.get() as i64);
                b.push(b' ');
                codec::put_int(b, r.ingress as i64);
                b.push(b'q');
            }
            if let Some(c) = &op.called {
                // ' <factor> <within ms>r': the 'r' says a stamp key follows the window's.
                b.push(b' ');
                codec::put_int(b, c.factor.get() as i64);
                b.push(b' ');
                codec::put_int(b, c.within_ms as i64);
                b.push(b'r');
            }
            recent(b);
            call.end_item();
        }
        Planned::Script(call)
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
                let mut call = ScriptCall::new(ScriptId::Block, 96);
                call.push(self.keys.block(&b.number).as_bytes());
                call.keys = 1;
                call.push_int(b.until_ms);
                call.push(b.alert_id.as_bytes());
                call.push_int(ttl);
                Planned::Script(call)
            })
            .collect()
    }

    /// One list change (see `lists.lua`).
    pub fn plan_list_change(&self, list: SharedList, add: bool, entries: &[String]) -> Planned {
        let mut call = ScriptCall::new(ScriptId::Lists, 64);
        call.push(self.keys.list(list.as_str()).as_bytes());
        call.push(self.keys.lists_version().as_bytes());
        call.keys = 2;
        call.push(if add { b"add" } else { b"remove" });
        for e in entries {
            call.push(e.as_bytes());
        }
        Planned::Script(call)
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
        // Room for a call's every window with the defaults (five) and more.
        let mut outcomes: SmallVec<[Option<WindowOutcome>; 8]> =
            (0..req.windows.len()).map(|_| None).collect();
        // The auto-block's (until, alert id), when there is one.
        let mut block: Option<(Option<i64>, Option<CompactString>)> = None;
        for ((windows, has_block), v) in layout.parts.iter().zip(values) {
            if windows.is_empty() && !*has_block {
                // A called stamp's SET, or a withdrawal.
                match v {
                    Value::Okay => continue,
                    v => return Err(protocol("called stamp or withdrawal", &v)),
                }
            }
            let items = match v {
                Value::Array(items) => items,
                v => return Err(protocol("check", &v)),
            };
            if windows.is_empty() && *has_block {
                // A plain HMGET (cluster).
                block = Some((
                    items.first().and_then(int_of),
                    items.get(1).and_then(bulk_str),
                ));
                continue;
            }
            let short = || StoreError::Protocol(format!("check: short reply for {windows:?}"));
            let mut rest = items.get(windows.len()..).ok_or_else(short)?.iter();
            for (&i, code) in windows.iter().zip(&items) {
                let op = &req.windows[i as usize];
                let code = int_of(code).ok_or_else(|| protocol("window code", code))?;
                let mut out = WindowOutcome {
                    count: (code >> 3).clamp(0, u32::MAX as i64) as u32,
                    threshold: op.threshold,
                    tracked: true,
                    ..Default::default()
                };
                if let Some(l) = &op.learn {
                    if out.count >= l.floor(op.threshold).max(1) {
                        let th = rest.next().and_then(int_of).ok_or_else(short)?;
                        let level = rest.next().and_then(int_of).ok_or_else(short)?;
                        out.threshold = th.clamp(0, u32::MAX as i64) as u32;
                        out.level_m = (level.max(0) >> 8) as u64;
                        out.runs = (level & 255) as u8;
                    }
                }
                if op.called.is_some() && out.count >= out.threshold.max(1) {
                    // The threshold it was judged against (raised if its key was called).
                    let th = rest.next().and_then(int_of).ok_or_else(short)?;
                    out.threshold = th.clamp(0, u32::MAX as i64) as u32;
                }
                if op.repeats.is_some()
                    && op
                        .learn
                        .is_some_and(|l| out.count >= l.floor(op.threshold).max(1))
                    && out.count >= out.threshold.max(1)
                {
                    // The same, raised if its key repeats members.
                    let th = rest.next().and_then(int_of).ok_or_else(short)?;
                    out.threshold = th.clamp(0, u32::MAX as i64) as u32;
                }
                if code & 4 != 0 {
                    // At its cap: its span (asked for by `op.span` only).
                    let sp = rest.next().and_then(int_of).ok_or_else(short)?;
                    out.span_ms = sp.clamp(1, u32::MAX as i64) as u32;
                }
                if op.recent_ms > 0 {
                    // Its recent count: answered from two members (one is
                    // the event's own).
                    out.recent = if out.count >= 2 {
                        let rc = rest.next().and_then(int_of).ok_or_else(short)?;
                        rc.clamp(0, out.count.min(u16::MAX as u32) as i64) as u16
                    } else {
                        out.count as u16
                    };
                }
                match code & 3 {
                    // A count-only window has an alert only when judged by
                    // its key's spell: the spell's start minute follows.
                    0 => {}
                    st if op.count_only => {
                        if let Some(sp) = op.spell {
                            let start = rest.next().and_then(int_of).ok_or_else(short)?;
                            let id = sp.alert_id(start, op);
                            out.alert = if st == 1 {
                                AlertState::Raised(id)
                            } else {
                                AlertState::Active(id)
                            };
                        }
                    }
                    1 => {
                        out.alert = AlertState::Raised(op.alert_id());
                        let hw = rest.next().and_then(int_of).ok_or_else(short)?;
                        let k = rest.next().and_then(int_of).ok_or_else(short)?;
                        // Newest first; evidence_in_window wants arrival order.
                        let mut recent: Vec<Evidence> = Vec::with_capacity(k.max(0) as usize);
                        for _ in 0..k {
                            match rest.next().ok_or_else(short)? {
                                Value::BulkString(b) => recent.extend(codec::decode_evidence(b)),
                                other => return Err(protocol("evidence", other)),
                            }
                        }
                        recent.reverse();
                        out.evidence = evidence_in_window(recent.iter(), hw - op.window_ms);
                    }
                    2 => {
                        let id = rest.next().and_then(bulk_str).ok_or_else(short)?;
                        out.alert = AlertState::Active(id);
                    }
                    _ => return Err(StoreError::Protocol(format!("window state {code}"))),
                }
                outcomes[i as usize] = Some(out);
            }
            if *has_block {
                let until = rest.next().ok_or_else(short)?;
                let id = rest.next().ok_or_else(short)?;
                block = Some((int_of(until), bulk_str(id).filter(|s| !s.is_empty())));
            }
            if rest.next().is_some() {
                return Err(StoreError::Protocol(format!(
                    "check: long reply for {windows:?}"
                )));
            }
        }
        let mut answer = StoreAnswer::default();
        for o in outcomes {
            answer
                .windows
                .push(o.ok_or_else(|| StoreError::Protocol("window without a reply".into()))?);
        }
        if let (Some((number, t)), Some((Some(until), Some(id)))) = (&req.block_lookup, block) {
            if until > *t {
                answer.blocked = Some(BlockEntry {
                    number: number.clone(),
                    until_ms: until,
                    alert_id: id,
                });
            }
        }
        Ok(answer)
    }
}

/// Whether `partner` can count in `owner`'s members set instead of a set of
/// its own: the burst tier of the fan-in rule beside its slow tier, on the
/// same per-ingress key (`<source>|<B-number>`, `rules::ingress_key`), with
/// the same member and time, a window no longer than the slow tier's, and no
/// learned level (its member cap is fixed). On a per-ingress key the two tiers
/// see the same calls (both skip an allowlisted B-number; the slow tier's
/// other conditions — untrusted source, mobile B-number — are properties of
/// the key), so one set holding the slow tier's window answers both: the
/// burst tier counts the members inside its own window, at most its cap, and
/// quotes the slow tier's evidence list (the records it would not have kept,
/// late calls before its cutoff, are pushed marked: see `check.lua`).
fn pairs(owner: &WindowOp, partner: &WindowOp) -> bool {
    !owner.count_only
        && !partner.count_only
        && owner.rule == Reason::DistinctCallersSlow
        && partner.rule == Reason::DistinctCallers
        && partner.learn.is_none()
        && owner.key == partner.key
        && owner.key.contains('|')
        && owner.member == partner.member
        && owner.time_ms == partner.time_ms
        && partner.window_ms <= owner.window_ms
}

/// Whether a window is sent as count only (threshold 0, its members set its
/// only key: no evidence, no cooldown). A count-only window that learns is
/// sent as a learning window with its members set and the hash its learned
/// state lives in, its rare string marked 'c' (no evidence, no alert).
fn lean(op: &WindowOp) -> bool {
    op.count_only && op.learn.is_none()
}

/// The (owner, partner) window pairs of a request (see [`pairs`]).
fn paired(req: &StoreRequest) -> SmallVec<[(u8, u8); 1]> {
    let mut out = SmallVec::new();
    for (o, owner) in req.windows.iter().enumerate() {
        if let Some(p) = req.windows.iter().position(|w| pairs(owner, w)) {
            out.push((o as u8, p as u8));
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Reason;
    use crate::store::WindowOp;

    fn request() -> StoreRequest {
        let op = |rule, key: &str, member: &str| WindowOp {
            rule,
            key: key.into(),
            member: member.into(),
            time_ms: 1_796_128_230_997,
            window_ms: 5_000,
            threshold: 5,
            cooldown_ms: 60_000,
            member_cap: 64,
            learn: None,
            count_only: false,
            called: None,
            repeats: None,
            span: false,
            recent_ms: 0,
            spell: None,
        };
        StoreRequest {
            windows: [
                op(Reason::DistinctCallers, "+2348099999999", "+2348030000001"),
                op(Reason::CliRotation, "trunk:X Y", "+2348030000001"),
            ]
            .into_iter()
            .collect(),
            evidence: Evidence {
                time_ms: 1_796_128_230_997,
                call_id: "c1".into(),
                a_number: "+2348030000001".into(),
                b_number: "+2348099999999".into(),
                source: "trunk:X Y".into(),
            },
            block_lookup: Some(("+2348030000001".into(), 1_796_128_230_997)),
            called: None,
        }
    }

    /// The wire bytes written by hand are the ones the crate would write for
    /// the same command, in every way of sending it.
    #[test]
    fn hand_encoded_commands_match_the_crate() {
        for cluster in [false, true] {
            let mut s = RedisSettings::single("redis://127.0.0.1/");
            s.cluster = cluster;
            let codec = Codec::new(&s);
            let (mut planned, _) = codec.plan_request(&request());
            planned.extend(codec.plan_blocks(&[BlockEntry {
                number: "+2348030000001".into(),
                until_ms: 5,
                alert_id: "dc-1-2".into(),
            }]));
            planned.push(codec.plan_list_change(SharedList::ALL[0], true, &["+234*".into()]));
            for p in &planned {
                for how in [Send::Sha, Send::Body, Send::Retry] {
                    let mut mine = Vec::new();
                    codec.encode(p, how, &mut mine);
                    assert_eq!(mine, codec.command(p, how).get_packed_command());
                }
            }
        }
    }

    /// One script call carries the windows, their shared evidence once, and
    /// the auto-block key last; arguments as `check.lua` documents them.
    #[test]
    fn a_check_is_one_script_call_laid_out_as_the_script_reads_it() {
        let codec = Codec::new(&RedisSettings::single("redis://127.0.0.1/"));
        let req = request();
        let (planned, layout) = codec.plan_request(&req);
        assert_eq!(planned.len(), 1);
        assert_eq!(layout.parts.len(), 1);
        let cmd = codec.command(&planned[0], Send::Sha);
        let args: Vec<String> = cmd
            .args_iter()
            .map(|a| match a {
                redis::Arg::Simple(b) => String::from_utf8_lossy(b).into_owned(),
                _ => String::new(),
            })
            .collect();
        let t = 1_796_128_230_997i64;
        assert_eq!(args[0], "EVALSHA");
        assert_eq!(args[2], "7");
        assert_eq!(args[3], "acm:{dc:+2348099999999}:m");
        assert_eq!(args[8], "acm:{cr:trunk:X Y}:c");
        assert_eq!(args[9], "acm:{blk:+2348030000001}");
        assert_eq!(args[10], "0", "mode: try ZADD GT, no retry");
        assert_eq!(args[11], t.to_string());
        assert_eq!(args[12], (t - HW_OFFSET).to_string());
        assert_eq!(args[13], (t - t % 30_000 - BUCKET_OFFSET).to_string());
        assert_eq!(args[14].as_bytes(), codec::encode_evidence(&req.evidence));
        let w0 = &args[15..21];
        assert_eq!(w0[0], "+2348030000001");
        assert_eq!(w0[1], (t - 5_000).to_string());
        assert_eq!(w0[2], "64");
        assert_eq!(w0[3], "5");
        assert_eq!(w0[4], (5_000 + 60_000 + EXPIRY_BUCKET_MS).to_string());
        assert_eq!(
            w0[5],
            // The cooldown's hash outlives it by the window and the slack.
            format!("5000 {} 125000 {}", t + 60_000, req.windows[0].alert_id())
        );
        assert_eq!(args.len(), 27);
        let retry = codec.command(&planned[0], Send::Retry);
        assert_eq!(
            retry
                .args_iter()
                .nth(10)
                .map(|a| matches!(a, redis::Arg::Simple(b) if b == b"1")),
            Some(true)
        );
    }

    /// The two fan-in tiers on one per-ingress key share the slow tier's
    /// members set: one script call, the slow tier first, the burst tier with
    /// its evidence list and cooldown only (under the slow tier's hash tag),
    /// its cutoff exclusive and its cap negative. Not on a plain B-number key,
    /// nor when the members differ.
    #[test]
    fn the_fan_in_tiers_share_one_members_set_on_an_ingress_key() {
        let t = 1_796_128_230_997i64;
        let op = |rule, key: &str, window_ms, member: &str| WindowOp {
            rule,
            key: key.into(),
            member: member.into(),
            time_ms: t,
            window_ms,
            threshold: 5,
            cooldown_ms: 60_000,
            member_cap: 64,
            learn: None,
            count_only: false,
            called: None,
            repeats: None,
            span: false,
            recent_ms: 0,
            spell: None,
        };
        let k = "198.51.100.7|+2348099999999";
        let mut req = request();
        req.windows = [
            op(Reason::DistinctCallers, k, 5_000, "+2348030000001"),
            op(Reason::DistinctCallersSlow, k, 120_000, "+2348030000001"),
            op(
                Reason::CliRotation,
                "198.51.100.7",
                60_000,
                "+2348030000001",
            ),
        ]
        .into_iter()
        .collect();
        req.block_lookup = None;
        for cluster in [false, true] {
            let mut s = RedisSettings::single("redis://127.0.0.1/");
            s.cluster = cluster;
            let codec = Codec::new(&s);
            let (planned, layout) = codec.plan_request(&req);
            let args: Vec<Vec<String>> = planned
                .iter()
                .map(|p| {
                    codec
                        .command(p, Send::Sha)
                        .args_iter()
                        .map(|a| match a {
                            redis::Arg::Simple(b) => String::from_utf8_lossy(b).into_owned(),
                            _ => String::new(),
                        })
                        .collect()
                })
                .collect();
            // The fan-in pair is one call, the slow tier first.
            let (n, fan) = args
                .iter()
                .enumerate()
                .find(|(_, a)| a.iter().any(|x| x.contains("{ds:")))
                .unwrap();
            let windows: Vec<u8> = layout.parts[n].0.to_vec();
            assert_eq!(&windows[..2], &[1, 0], "cluster {cluster}");
            assert_eq!(fan[3], format!("acm:{{ds:{k}}}:m"));
            assert_eq!(fan[4], format!("acm:{{ds:{k}}}:e"));
            assert_eq!(fan[5], format!("acm:{{ds:{k}}}:c"));
            assert_eq!(fan[6], format!("acm:{{ds:{k}}}:dc:c"));
            let keys: usize = fan[2].parse().unwrap();
            let argv = &fan[3 + keys..];
            assert_eq!(argv[0], "0");
            assert_eq!(argv[5 + 1], (t - 120_000).to_string());
            assert_eq!(argv[5 + 2], "64");
            assert_eq!(argv[11], "+2348030000001");
            assert_eq!(argv[11 + 1], format!("({}", t - 5_000));
            assert_eq!(argv[11 + 2], "-64");
            // Every key of the pair's call in one slot.
            let slots: std::collections::HashSet<u16> = fan[3..3 + keys]
                .iter()
                .map(|key| codec::hash_slot(key.as_bytes()))
                .collect();
            if cluster {
                assert_eq!(slots.len(), 1);
                assert_eq!(keys, 4);
            } else {
                assert_eq!(keys, 7);
            }
        }
        // A plain B-number key, or another member: each tier its own set.
        let codec = Codec::new(&RedisSettings::single("redis://127.0.0.1/"));
        for (key, member) in [("+2348099999999", "+2348030000001"), (k, "+2348030000002")] {
            req.windows[1].key = key.into();
            req.windows[1].member = member.into();
            let (planned, _) = codec.plan_request(&req);
            let cmd = codec.command(&planned[0], Send::Sha);
            let keys = cmd.args_iter().nth(2).map(|a| match a {
                redis::Arg::Simple(b) => String::from_utf8_lossy(b).into_owned(),
                _ => String::new(),
            });
            assert_eq!(keys.as_deref(), Some("9"), "{key} {member}");
        }
    }

    /// A count-only window is sent with its members set as its only key,
    /// threshold 0 and its window alone as the rare string; it never shares
    /// another window's set.
    #[test]
    fn a_count_only_window_sends_its_members_set_only() {
        let t = 1_796_128_230_997i64;
        let mut req = request();
        req.windows[0].count_only = true;
        req.windows[0].key = "*|+2348099999999".into();
        let codec = Codec::new(&RedisSettings::single("redis://127.0.0.1/"));
        // The script call's arguments as text.
        let sent = |req: &StoreRequest| -> Vec<String> {
            let (planned, _) = codec.plan_request(req);
            codec
                .command(&planned[0], Send::Sha)
                .args_iter()
                .map(|a| match a {
                    redis::Arg::Simple(b) => String::from_utf8_lossy(b).into_owned(),
                    _ => String::new(),
                })
                .collect()
        };
        let args = sent(&req);
        assert_eq!(args[2], "5");
        assert_eq!(args[3], "acm:{dc:*|+2348099999999}:m");
        assert_eq!(args[4], "acm:{cr:trunk:X Y}:m");
        let w0 = &args[3 + 5 + 5..3 + 5 + 11];
        assert_eq!(w0[0], "+2348030000001");
        assert_eq!(w0[1], (t - 5_000).to_string());
        assert_eq!(w0[2], "64");
        assert_eq!(w0[3], "0", "count only");
        assert_eq!(w0[5], "5000");
        assert_eq!(args.len(), 3 + 5 + 5 + 12);
        // Never the partner of a shared set.
        let mut slow = req.windows[0].clone();
        slow.rule = Reason::DistinctCallersSlow;
        slow.count_only = false;
        slow.window_ms = 120_000;
        assert!(!pairs(&slow, &req.windows[0]));
        // One that learns: its members set and its hash, its learning floor
        // as minus its threshold, its rare string marked 'c'.
        req.windows[0].learn = Some(crate::contract::Learn {
            interval_ms: 120_000,
            shift: 2,
            floor_milli: 1000,
            k_milli: 2000,
            keep_ms: 86_400_000,
            hold_after: 0,
            hold_known: false,
            hold_uncalled: false,
            hold_paced: false,
            keep_known: false,
        });
        req.windows[0].threshold = 3;
        let args = sent(&req);
        assert_eq!(args[2], "6");
        assert_eq!(args[3], "acm:{dc:*|+2348099999999}:m");
        assert_eq!(args[4], "acm:{dc:*|+2348099999999}:c");
        assert_eq!(args[5], "acm:{cr:trunk:X Y}:m");
        let w0 = &args[3 + 6 + 5..3 + 6 + 11];
        assert_eq!(w0[3], "-3", "learning from 3");
        assert!(w0[5].starts_with("c5000 "), "{}", w0[5]);
    }

    /// `check.lua` reads and keeps as much evidence as the embedded store
    /// (`EVIDENCE_MAX`, written into the script, not sent).
    #[test]
    fn check_lua_keeps_as_much_evidence_as_memory() {
        let newest = format!("'0', '{}'", crate::store::EVIDENCE_MAX - 1);
        // The retry's look, the trim, the alert's read.
        assert_eq!(CHECK_LUA.matches(&newest).count(), 3);
        let trim = format!("len > {}", 2 * crate::store::EVIDENCE_MAX);
        assert!(CHECK_LUA.contains(&trim));
    }

    /// The flat reply: codes, then extras in window order, then the block.
    #[test]
    fn a_gated_called_stamp_waits_for_its_answer_and_goes_with_the_next_request() {
        let codec = Codec::new(&RedisSettings::single("redis://127.0.0.1/"));
        let mut req = request();
        req.called = Some(CalledStamp {
            rule: Reason::CliFanout,
            number: "+2348031110005".into(),
            time_ms: req.evidence.time_ms,
            keep_ms: 3_600_000,
            unless_over: Some(1),
        });
        let sets = |planned: &[Planned]| -> Vec<String> {
            planned
                .iter()
                .filter_map(|p| match p {
                    Planned::Plain(c) => Some(
                        c.args_iter()
                            .map(|a| match a {
                                redis::Arg::Simple(b) => String::from_utf8_lossy(b).into_owned(),
                                _ => String::new(),
                            })
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                    Planned::Script(_) => None,
                })
                .collect()
        };
        // Not with its own request: the caller's count is not known yet.
        let (planned, layout) = codec.plan_request(&req);
        assert_eq!((sets(&planned).len(), layout.stamps), (0, 0));
        let answer = |count: u32| StoreAnswer {
            windows: [0, count]
                .into_iter()
                .map(|count| WindowOutcome {
                    count,
                    threshold: 5,
                    ..Default::default()
                })
                .collect(),
            blocked: None,
        };
        // The caller at its threshold (5): no stamp, now or later.
        assert_eq!(codec.defer_stamp(&req, &answer(5)), 0);
        let (planned, layout) = codec.plan_request(&request());
        assert_eq!((sets(&planned).len(), layout.stamps), (0, 0));
        // Under it: the next request (any) sends it first.
        assert_eq!(codec.defer_stamp(&req, &answer(4)), 0);
        let (planned, layout) = codec.plan_request(&request());
        assert_eq!(layout.stamps, 1);
        assert!(matches!(planned[0], Planned::Plain(_)));
        assert_eq!(
            sets(&planned),
            [format!(
                "SET acm:{{cf:+2348031110005}}:r {} PX 3660000",
                req.evidence.time_ms
            )]
        );
        let (planned, _) = codec.plan_request(&request());
        assert!(sets(&planned).is_empty(), "sent once");
        // A quiet connection keeps the newest 256.
        let dropped: u64 = (0..300).map(|_| codec.defer_stamp(&req, &answer(0))).sum();
        assert_eq!(dropped, 44);
        let (_, layout) = codec.plan_request(&request());
        assert_eq!(layout.stamps, DEFERRED_STAMPS);
    }

    #[test]
    fn replies_are_read_window_by_window() {
        let codec = Codec::new(&RedisSettings::single("redis://127.0.0.1/"));
        let req = request();
        let (_, layout) = codec.plan_request(&req);
        let t = req.windows[0].time_ms;
        let ev = |ms: i64, id: &str| {
            Value::BulkString(codec::encode_evidence(&Evidence {
                time_ms: ms,
                call_id: id.into(),
                ..req.evidence.clone()
            }))
        };
        // Window 0 raised an alert at its cap (its span first), window 1's
        // alert is active.
        let reply = Value::Array(vec![
            Value::Int(6 * 8 + 4 + 1),
            Value::Int(3 * 8 + 2),
            Value::Int(1_234),
            Value::Int(t + 10),
            Value::Int(3),
            ev(t, "new"),
            ev(t + 10, "later"),
            ev(t + 10 - 5_000, "left the window"),
            Value::BulkString(b"cr-1-2".to_vec()),
            Value::BulkString(format!("{}", t + 1).into_bytes()),
            Value::BulkString(b"dc-9-9".to_vec()),
        ]);
        let a = codec.parse_answer(&req, &layout, vec![reply]).unwrap();
        assert_eq!(a.windows[0].count, 6);
        assert_eq!((a.windows[0].span_ms, a.windows[1].span_ms), (1_234, 0));
        assert_eq!(
            a.windows[0].alert,
            AlertState::Raised(req.windows[0].alert_id())
        );
        let ids: Vec<&str> = a.windows[0]
            .evidence
            .iter()
            .map(|e| e.call_id.as_str())
            .collect();
        assert_eq!(ids, ["new", "later"]);
        assert_eq!(a.windows[1].count, 3);
        assert_eq!(a.windows[1].alert, AlertState::Active("cr-1-2".into()));
        let b = a.blocked.unwrap();
        assert_eq!((b.until_ms, b.alert_id.as_str()), (t + 1, "dc-9-9"));
        // No block: two empty strings.
        let reply = Value::Array(vec![
            Value::Int(8),
            Value::Int(8),
            Value::BulkString(Vec::new()),
            Value::BulkString(Vec::new()),
        ]);
        let a = codec.parse_answer(&req, &layout, vec![reply]).unwrap();
        assert_eq!(a.blocked, None);
        assert_eq!(a.windows[1].count, 1);
        // Short and long replies are protocol errors.
        for items in [vec![Value::Int(9)], vec![Value::Int(8); 5]] {
            assert!(codec
                .parse_answer(&req, &layout, vec![Value::Array(items)])
                .is_err());
        }
    }
}
