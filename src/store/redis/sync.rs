// SPDX-License-Identifier: MIT OR Apache-2.0
//! The synchronous Redis client: one long-lived connection per process.
//!
//! Kamailio workers are forked processes with no async runtime, so this
//! client blocks — but never longer than the budget: the connection lock is
//! taken with a deadline, a reconnect inside a check is capped by what is left
//! of the budget, and the socket read/write timeouts equal the budget (trimmed
//! to what is left when the check already spent some). After a timeout or an
//! I/O error the connection is dropped (a late reply would desynchronise it)
//! and re-established on a later check, with exponential backoff between
//! attempts and the circuit breaker in front of everything. Nothing connects
//! at construction: the C ABI calls [`RedisStore::connect`] in child_init,
//! after the fork, or the first check connects.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use redis::{ConnectionLike, Value};
use smallvec::SmallVec;

use super::breaker::{Admit, BreakerState, Guard, LogKind, RedisStats};
use super::lists;
use super::{is_noscript, server_error, store_error, Codec, Planned, RedisSettings, Send};
use crate::config::{ListsConfig, StoreConfig};
use crate::store::shared_lists::{validate_entries, SharedList, SharedLists};
use crate::store::{
    BlockEntry, StoreAnswer, StoreError, StoreMetric, StoreRequest, WindowStore, Withdrawal,
};

const BACKOFF_MIN: Duration = Duration::from_millis(10);
/// The send buffer kept between requests (a larger one, after a big list
/// change, is given back).
const BUF_KEEP: usize = 16 * 1024;

enum Client {
    Single(redis::Client),
    Cluster(Box<redis::cluster::ClusterClient>),
}

enum Conn {
    Single(redis::Connection),
    Cluster(Box<redis::cluster::ClusterConnection>),
}

impl Conn {
    fn set_timeouts(&mut self, d: Duration) {
        if let Conn::Single(c) = self {
            let _ = c.set_read_timeout(Some(d));
            let _ = c.set_write_timeout(Some(d));
        }
        // Cluster connections carry their response timeout from the builder.
    }

    /// Sends a batch; server errors come back inline as `Value::ServerError`
    /// on a single node, where the batch is written straight into `buf` in
    /// the wire format (no `Cmd` per command). A cluster pipeline refuses as a
    /// whole on any server error (the caller then re-sends it as a retry).
    fn exec(
        &mut self,
        codec: &Codec,
        planned: &[&Planned],
        how: Send,
        buf: &mut Vec<u8>,
    ) -> redis::RedisResult<Vec<Value>> {
        match self {
            Conn::Single(c) => {
                buf.clear();
                for p in planned {
                    codec.encode(p, how, buf);
                }
                let r = c.req_packed_commands(buf, 0, planned.len());
                if buf.capacity() > BUF_KEEP {
                    *buf = Vec::with_capacity(BUF_KEEP);
                }
                r
            }
            Conn::Cluster(c) => {
                let mut p = redis::cluster::ClusterPipeline::with_capacity(planned.len());
                for pl in planned {
                    p.add_command(codec.command(pl, how));
                }
                p.query(c)
            }
        }
    }
}

struct Link {
    conn: Option<Conn>,
    next_attempt: Option<Instant>,
    backoff: Duration,
    /// Reused for every batch's wire bytes.
    buf: Vec<u8>,
    /// Replies the server owes for withdrawals sent ahead of the next
    /// request (`RedisStore::withdraw_alerts`); read before anything else
    /// is sent. Nonzero only while `conn` is a single server's connection.
    pending: usize,
}

/// The synchronous Redis window store. See the module documentation.
pub struct RedisStore {
    settings: RedisSettings,
    codec: Codec,
    guard: Guard,
    client: Client,
    link: Mutex<Link>,
}

impl RedisStore {
    /// Checks the URLs; does not connect.
    pub fn new(settings: RedisSettings) -> Result<RedisStore, StoreError> {
        let bad = |e: redis::RedisError| StoreError::Unavailable(format!("bad store url: {e}"));
        let client = if settings.cluster {
            let io = settings.budget;
            let c = redis::cluster::ClusterClient::builder(settings.urls.clone())
                .connection_timeout(settings.connect_timeout.min(settings.budget))
                .response_timeout(io)
                .retries(1)
                .min_retry_wait(1)
                .max_retry_wait(settings.budget.as_millis() as u64 / 4 + 1)
                .build()
                .map_err(bad)?;
            Client::Cluster(Box::new(c))
        } else {
            let url = settings.urls.first().cloned().unwrap_or_default();
            Client::Single(redis::Client::open(url.as_str()).map_err(bad)?)
        };
        Ok(RedisStore {
            codec: Codec::new(&settings),
            guard: Guard::new(
                "redis",
                settings.breaker_failures,
                settings.breaker_cooldown,
            ),
            client,
            link: Mutex::new(Link {
                conn: None,
                next_attempt: None,
                backoff: BACKOFF_MIN,
                buf: Vec::with_capacity(1024),
                pending: 0,
            }),
            settings,
        })
    }

    pub fn from_config(c: &StoreConfig) -> Result<RedisStore, StoreError> {
        RedisStore::new(RedisSettings::from_config(c))
    }

    pub fn settings(&self) -> &RedisSettings {
        &self.settings
    }

    pub fn stats(&self) -> &RedisStats {
        &self.guard.stats
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.guard.breaker.state()
    }

    /// Connects now (the C ABI calls this in child_init, after the fork),
    /// waiting at most `connect_timeout`. A failure is not fatal: checks fail
    /// open and reconnect later.
    pub fn connect(&self) -> Result<(), StoreError> {
        let mut link = self.link.lock();
        self.drain(&mut link);
        link.conn = None;
        link.next_attempt = None;
        let deadline = Instant::now() + self.settings.connect_timeout;
        self.reconnect(&mut link, deadline, true)
    }

    fn open(&self, timeout: Duration) -> redis::RedisResult<Conn> {
        match &self.client {
            Client::Single(c) => {
                let con = c.get_connection_with_timeout(timeout)?;
                let mut conn = Conn::Single(con);
                conn.set_timeouts(self.settings.budget);
                Ok(conn)
            }
            Client::Cluster(c) => Ok(Conn::Cluster(Box::new(c.get_connection()?))),
        }
    }

    fn reconnect(&self, link: &mut Link, deadline: Instant, force: bool) -> Result<(), StoreError> {
        let now = Instant::now();
        if !force {
            if let Some(at) = link.next_attempt {
                if now < at {
                    return Err(StoreError::Unavailable(
                        "not connected (waiting to reconnect)".into(),
                    ));
                }
            }
        }
        let left = deadline.saturating_duration_since(now);
        if left.is_zero() {
            return Err(StoreError::Timeout);
        }
        match self.open(self.settings.connect_timeout.min(left)) {
            Ok(c) => {
                link.conn = Some(c);
                link.next_attempt = None;
                link.backoff = BACKOFF_MIN;
                self.guard
                    .stats
                    .reconnects
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if self.guard.log.allow(LogKind::Connect) {
                    tracing::info!(urls = ?self.settings.urls, "connected to the window store");
                }
                Ok(())
            }
            Err(e) => {
                link.next_attempt = Some(Instant::now() + link.backoff);
                link.backoff =
                    (link.backoff * 2).min(self.settings.breaker_cooldown.max(BACKOFF_MIN));
                Err(store_error(&e))
            }
        }
    }

    /// Reads the replies owed for withdrawals sent ahead (see `pending`):
    /// a withdrawal the server refused, or one whose reply cannot be read
    /// (the connection is then dropped), is counted as dropped.
    fn drain(&self, link: &mut Link) {
        if link.pending == 0 {
            return;
        }
        let owed = std::mem::take(&mut link.pending);
        let mut lost = 0;
        if let Some(Conn::Single(c)) = link.conn.as_mut() {
            for i in 0..owed {
                match c.recv_response() {
                    Ok(Value::ServerError(_)) => lost += 1,
                    Ok(_) => {}
                    Err(_) => {
                        lost += owed - i;
                        link.conn = None;
                        link.next_attempt = None;
                        break;
                    }
                }
            }
        } else {
            lost = owed;
        }
        self.stats()
            .withdrawals_dropped
            .fetch_add(lost as u64, Ordering::Relaxed);
    }

    /// Writes withdrawal calls to a single server's connection at once,
    /// without waiting for their replies (read before the next request;
    /// see `pending`): other connections and nodes see the cooldown end
    /// now, not at this connection's next check. Hands the calls back when
    /// they cannot go now (a cluster, no connection, the connection busy,
    /// the breaker not closed, a failed write), to go with the next request.
    fn send_ahead(&self, calls: Vec<Planned>) -> Result<(), Vec<Planned>> {
        if self.breaker_state() != BreakerState::Closed {
            return Err(calls);
        }
        let Some(mut guard) = self.link.try_lock() else {
            return Err(calls);
        };
        let link = &mut *guard;
        let Some(Conn::Single(c)) = link.conn.as_mut() else {
            return Err(calls);
        };
        link.buf.clear();
        for call in &calls {
            self.codec.encode(call, Send::Body, &mut link.buf);
        }
        match c.send_packed_command(&link.buf) {
            Ok(()) => {
                link.pending += calls.len();
                Ok(())
            }
            Err(_) => {
                // Part of it may have gone: the connection cannot be trusted
                // to answer in step; withdrawing twice is harmless.
                link.conn = None;
                link.pending = 0;
                Err(calls)
            }
        }
    }

    /// Runs one batch under the budget and the breaker.
    fn run(&self, planned: &[Planned]) -> Result<Vec<Value>, StoreError> {
        let admit = self.guard.admit()?;
        let r = self.run_admitted(planned, admit == Admit::Probe);
        self.guard.record(admit, &r);
        r
    }

    fn run_admitted(&self, planned: &[Planned], probe: bool) -> Result<Vec<Value>, StoreError> {
        let budget = self.settings.budget;
        let deadline = Instant::now() + budget;
        let Some(mut link) = self.link.try_lock_for(budget) else {
            return Err(StoreError::Timeout);
        };
        self.drain(&mut link);
        let fresh = link.conn.is_none();
        if fresh {
            self.reconnect(&mut link, deadline, probe)?;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(StoreError::Timeout);
        }
        let mut trimmed = left + Duration::from_millis(1) < budget;
        let mut buf = std::mem::take(&mut link.buf);
        let conn = link.conn.as_mut().expect("connected above");
        if trimmed {
            conn.set_timeouts(left);
        }
        let cluster = matches!(conn, Conn::Cluster(_));
        let all: SmallVec<[&Planned; 4]> = planned.iter().collect();
        let mut result = conn.exec(&self.codec, &all, Send::Sha, &mut buf);
        // A connection that died with its server (restart, failover) is found
        // out on its first command, which therefore never reached a live
        // server: reconnect once and send it again, within what is left of the
        // budget, instead of answering this call degraded.
        if !fresh
            && matches!(&result, Err(e) if e.is_connection_dropped() || e.is_connection_refusal())
        {
            link.conn = None;
            if self.reconnect(&mut link, deadline, true).is_ok() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(StoreError::Timeout);
                }
                let conn = link.conn.as_mut().expect("reconnected above");
                conn.set_timeouts(left);
                trimmed = true;
                result = conn.exec(&self.codec, &all, Send::Sha, &mut buf);
            }
        }
        let conn = match link.conn.as_mut() {
            Some(c) => c,
            None => return Err(StoreError::Unavailable("connection lost".into())),
        };
        if cluster {
            // A cluster pipeline refused as a whole: when the cause is a node that
            // forgot the scripts, load them everywhere and re-send the batch as a
            // retry (window updates already applied are not applied twice).
            let noscript = matches!(&result, Err(e) if e.clone().into_server_errors()
                .is_some_and(|errs| errs.iter().any(|(_, s)| s.code() == "NOSCRIPT")));
            if noscript {
                self.guard
                    .stats
                    .script_reloads
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                for c in self.codec.load_commands() {
                    if let Conn::Cluster(cc) = conn {
                        let _ = cc.req_command(&c);
                    }
                }
                result = conn.exec(&self.codec, &all, Send::Retry, &mut buf);
            }
        }
        let outcome = match result {
            Err(e) => {
                if e.clone().into_server_errors().is_none() {
                    // Timeout or I/O: the connection may hold a late reply; drop it.
                    link.conn = None;
                    link.next_attempt = Some(Instant::now() + link.backoff);
                    return Err(store_error(&e));
                }
                Err(StoreError::Protocol(e.to_string()))
            }
            Ok(mut values) => {
                let missing: Vec<usize> = (0..values.len())
                    .filter(|&i| is_noscript(&values[i]))
                    .collect();
                if !missing.is_empty() {
                    // The server forgot the scripts (SCRIPT FLUSH, restart): send
                    // the refused commands — only those — with their bodies.
                    self.guard
                        .stats
                        .script_reloads
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let again: SmallVec<[&Planned; 4]> =
                        missing.iter().map(|&i| &planned[i]).collect();
                    match conn.exec(&self.codec, &again, Send::Body, &mut buf) {
                        Ok(again) => {
                            for (i, v) in missing.into_iter().zip(again) {
                                values[i] = v;
                            }
                        }
                        Err(e) => {
                            link.conn = None;
                            return Err(store_error(&e));
                        }
                    }
                }
                match server_error(&values) {
                    Some(e) => Err(e),
                    None => Ok(values),
                }
            }
        };
        if trimmed {
            if let Some(c) = link.conn.as_mut() {
                c.set_timeouts(budget);
            }
        }
        link.buf = buf;
        outcome
    }

    /// A bare `PING` on the store's connection, under the same lock and
    /// budget but outside the breaker: the benchmark's yardstick.
    pub fn ping(&self) -> Result<(), StoreError> {
        let deadline = Instant::now() + self.settings.budget;
        let mut link = self.link.lock();
        self.drain(&mut link);
        if link.conn.is_none() {
            self.reconnect(&mut link, deadline, true)?;
        }
        let conn = link.conn.as_mut().expect("connected above");
        let r = match conn {
            Conn::Single(c) => c.req_command(&redis::cmd("PING")),
            Conn::Cluster(c) => c.req_command(&redis::cmd("PING")),
        };
        r.map(|_| ()).map_err(|e| {
            link.conn = None;
            store_error(&e)
        })
    }

    /// The version of the shared lists (0 when never changed).
    pub fn lists_version(&self) -> Result<u64, StoreError> {
        let mut c = redis::cmd("GET");
        c.arg(self.codec.keys.lists_version());
        let v = self.run(&[Planned::Plain(c)])?;
        lists::parse_version(&v[0])
    }

    /// Every shared list, as a `[lists]` section.
    pub fn list_snapshot(&self) -> Result<(u64, ListsConfig), StoreError> {
        let planned = lists::plan_snapshot(&self.codec);
        let v = self.run(&planned)?;
        lists::parse_snapshot(v)
    }

    /// Adds entries to a shared list; answers (entries added, new version).
    pub fn list_add(&self, list: SharedList, entries: &[String]) -> Result<(u64, u64), StoreError> {
        validate_entries(list, entries)?;
        let v = self.run(&[self.codec.plan_list_change(list, true, entries)])?;
        lists::parse_change(&v[0])
    }

    /// Removes entries from a shared list; answers (entries removed, new version).
    pub fn list_remove(
        &self,
        list: SharedList,
        entries: &[String],
    ) -> Result<(u64, u64), StoreError> {
        let v = self.run(&[self.codec.plan_list_change(list, false, entries)])?;
        lists::parse_change(&v[0])
    }
}

impl SharedLists for RedisStore {
    fn version(&self) -> Result<u64, StoreError> {
        self.lists_version()
    }
    fn snapshot(&self) -> Result<(u64, ListsConfig), StoreError> {
        self.list_snapshot()
    }
    fn change(
        &self,
        list: SharedList,
        add: bool,
        entries: &[String],
    ) -> Result<(u64, u64), StoreError> {
        if add {
            self.list_add(list, entries)
        } else {
            self.list_remove(list, entries)
        }
    }
}

impl WindowStore for RedisStore {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn apply_into(&self, req: &StoreRequest, answer: &mut StoreAnswer) -> Result<(), StoreError> {
        let (mut planned, layout) = self.codec.plan_request(req);
        if planned.is_empty() {
            *answer = StoreAnswer::default();
            return Ok(());
        }
        let ask = self.codec.caps.ask(&mut planned);
        let stats = &self.stats().called_stamps_dropped;
        let lost = &self.stats().withdrawals_dropped;
        let mut values = self.run(&planned).inspect_err(|_| {
            stats.fetch_add(layout.stamps as u64, Ordering::Relaxed);
            lost.fetch_add(layout.withdrawals as u64, Ordering::Relaxed);
        })?;
        self.codec.caps.hear(ask, &mut values);
        *answer = self.codec.parse_answer(req, &layout, values)?;
        stats.fetch_add(self.codec.defer_stamp(req, answer), Ordering::Relaxed);
        Ok(())
    }

    fn add_blocks(&self, blocks: &[BlockEntry]) -> Result<(), StoreError> {
        if blocks.is_empty() {
            return Ok(());
        }
        self.run(&self.codec.plan_blocks(blocks)).map(|_| ())
    }

    /// Written to the connection at once on a single server (`send_ahead`);
    /// otherwise sent with this connection's next request
    /// (`Codec::defer_withdrawals`).
    fn withdraw_alerts(
        &self,
        req: &StoreRequest,
        withdrawals: &[Withdrawal],
    ) -> Result<(), StoreError> {
        let calls = self.codec.withdrawal_calls(req, withdrawals);
        if calls.is_empty() {
            return Ok(());
        }
        let Err(calls) = self.send_ahead(calls) else {
            return Ok(());
        };
        let dropped = self.codec.defer_withdrawals(calls);
        self.stats()
            .withdrawals_dropped
            .fetch_add(dropped, Ordering::Relaxed);
        Ok(())
    }

    fn metrics(&self) -> Vec<StoreMetric> {
        self.stats().metrics(self.breaker_state())
    }
}
