// SPDX-License-Identifier: MIT OR Apache-2.0
//! The async Redis client for `acm serve` (tokio).
//!
//! A single node is reached through a `ConnectionManager` (one multiplexed
//! connection shared by every request, re-established in the background after
//! a failure); a cluster through the crate's async cluster connection. Every
//! request is wrapped in `tokio::time::timeout(budget)` — a dropped request on
//! a multiplexed connection is harmless, its late reply is discarded — and
//! sits behind the same circuit breaker as the sync client. On a single node a
//! call's commands go out as one pipeline; on a cluster each command is sent
//! on its own, concurrently, and the connection routes it to its node.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::future::join_all;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, Value};

use super::breaker::{Admit, BreakerState, Guard, RedisStats};
use super::lists;
use super::{is_noscript, server_error, store_error, Codec, Planned, RedisSettings, Send};
use crate::config::{ListsConfig, StoreConfig};
use crate::contract::{CalledStamp, Withdrawal};
use crate::store::shared_lists::{validate_entries, SharedList};
use crate::store::{Answer, BlockEntry, StoreAnswer, StoreError, StoreMetric, StoreRequest};

/// Sends one command that answers `OK` within `budget`; anything else
/// counts as a dropped called stamp.
async fn send_one(
    mut con: impl ConnectionLike,
    cmd: Cmd,
    budget: Duration,
    stats: std::sync::Arc<RedisStats>,
) {
    let r = tokio::time::timeout(budget, con.req_packed_command(&cmd)).await;
    if !matches!(r, Ok(Ok(Value::Okay))) {
        stats.called_stamps_dropped.fetch_add(1, Ordering::Relaxed);
    }
}

enum Conn {
    Single(ConnectionManager),
    Cluster {
        client: Box<redis::cluster::ClusterClient>,
        conn: tokio::sync::Mutex<Option<redis::cluster_async::ClusterConnection>>,
    },
}

/// The async Redis window store. See the module documentation.
pub struct AsyncRedisStore {
    settings: RedisSettings,
    codec: Codec,
    guard: Guard,
    conn: Conn,
}

impl AsyncRedisStore {
    /// Checks the URLs; connects lazily on the first request. Call inside a tokio runtime.
    pub fn new(settings: RedisSettings) -> Result<AsyncRedisStore, StoreError> {
        let bad = |e: redis::RedisError| StoreError::Unavailable(format!("bad store url: {e}"));
        let conn = if settings.cluster {
            let client = redis::cluster::ClusterClient::builder(settings.urls.clone())
                .connection_timeout(settings.connect_timeout)
                .response_timeout(settings.budget)
                .retries(1)
                .build()
                .map_err(bad)?;
            Conn::Cluster {
                client: Box::new(client),
                conn: tokio::sync::Mutex::new(None),
            }
        } else {
            let url = settings.urls.first().cloned().unwrap_or_default();
            let client = redis::Client::open(url.as_str()).map_err(bad)?;
            let cfg = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(settings.connect_timeout))
                .set_response_timeout(Some(settings.budget))
                .set_number_of_retries(2)
                .set_min_delay(Duration::from_millis(10))
                .set_max_delay(settings.breaker_cooldown.max(Duration::from_millis(10)));
            Conn::Single(client.get_connection_manager_lazy(cfg).map_err(bad)?)
        };
        Ok(AsyncRedisStore {
            codec: Codec::new(&settings),
            guard: Guard::new(
                "redis-async",
                settings.breaker_failures,
                settings.breaker_cooldown,
            ),
            conn,
            settings,
        })
    }

    pub fn from_config(c: &StoreConfig) -> Result<AsyncRedisStore, StoreError> {
        AsyncRedisStore::new(RedisSettings::from_config(c))
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

    /// Applies every window update of one call and looks up its auto-block.
    pub async fn apply(&self, req: &StoreRequest) -> Result<StoreAnswer, StoreError> {
        let (mut planned, layout) = self.codec.plan_request(req);
        if planned.is_empty() {
            return Ok(StoreAnswer::default());
        }
        let ask = self.codec.caps.ask(&mut planned);
        let stats = &self.guard.stats.called_stamps_dropped;
        let lost = &self.guard.stats.withdrawals_dropped;
        let mut values = self.run(&planned).await.inspect_err(|_| {
            stats.fetch_add(layout.stamps as u64, Ordering::Relaxed);
            lost.fetch_add(layout.withdrawals as u64, Ordering::Relaxed);
        })?;
        self.codec.caps.hear(ask, &mut values);
        let answer = self.codec.parse_answer(req, &layout, values)?;
        if let Some(stamp) = self.codec.passed_stamp(req, &answer) {
            self.send_stamp(stamp);
        }
        Ok(answer)
    }

    /// Sends a gated called stamp that passed, off the call path: a task of
    /// its own on the multiplexed connection (the answer does not wait for
    /// it; a failure is counted in `called_stamps_dropped`). Without a
    /// connection to clone (a cluster not yet connected, no runtime), it goes
    /// with the next request instead.
    fn send_stamp(&self, stamp: &CalledStamp) {
        let stats = self.guard.stats.clone();
        if self.guard.breaker.state() != BreakerState::Closed {
            stats.called_stamps_dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            stats
                .called_stamps_dropped
                .fetch_add(self.codec.defer(stamp), Ordering::Relaxed);
            return;
        };
        let cmd = self.codec.stamp_cmd(stamp);
        let budget = self.settings.budget;
        match &self.conn {
            Conn::Single(mgr) => {
                rt.spawn(send_one(mgr.clone(), cmd, budget, stats));
            }
            Conn::Cluster { conn, .. } => match conn.try_lock().ok().and_then(|c| c.clone()) {
                Some(con) => {
                    rt.spawn(send_one(con, cmd, budget, stats));
                }
                None => {
                    stats
                        .called_stamps_dropped
                        .fetch_add(self.codec.defer(stamp), Ordering::Relaxed);
                }
            },
        }
    }

    /// Forgets alerts the engine held back (`contract::Withdrawal`): sent at
    /// once in a task of its own on the multiplexed connection, so that other
    /// connections and nodes see the cooldown end now, and again with this
    /// connection's next request, ahead of its check (`Codec::defer_withdrawals`),
    /// which the task may not have reached yet. Withdrawing twice is harmless
    /// (`withdraw.lua` ends a cooldown only while its alert is the one named).
    pub fn withdraw_alerts(
        &self,
        req: &StoreRequest,
        withdrawals: &[Withdrawal],
    ) -> Result<(), StoreError> {
        let calls = self.codec.withdrawal_calls(req, withdrawals);
        if calls.is_empty() {
            return Ok(());
        }
        self.send_now(&calls);
        let dropped = self.codec.defer_withdrawals(calls);
        self.guard
            .stats
            .withdrawals_dropped
            .fetch_add(dropped, Ordering::Relaxed);
        Ok(())
    }

    /// The first copy of `withdraw_alerts`: a task on the connection, when
    /// there is a runtime, a connection to clone and a closed breaker. Its
    /// failure loses nothing (the second copy goes with the next request).
    fn send_now(&self, calls: &[Planned]) {
        if self.guard.breaker.state() != BreakerState::Closed {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let cmds: Vec<Cmd> = calls
            .iter()
            .map(|p| self.codec.command(p, Send::Body))
            .collect();
        let budget = self.settings.budget;
        match &self.conn {
            Conn::Single(mgr) => {
                let mut con = mgr.clone();
                rt.spawn(async move {
                    let mut pipe = redis::pipe();
                    for c in cmds {
                        pipe.add_command(c);
                    }
                    let _ = tokio::time::timeout(budget, pipe.query_async::<Value>(&mut con)).await;
                });
            }
            Conn::Cluster { conn, .. } => {
                if let Some(con) = conn.try_lock().ok().and_then(|c| c.clone()) {
                    for cmd in cmds {
                        let mut con = con.clone();
                        rt.spawn(async move {
                            let _ =
                                tokio::time::timeout(budget, con.req_packed_command(&cmd)).await;
                        });
                    }
                }
            }
        }
    }

    /// Records auto-blocks raised by an alert.
    pub async fn add_blocks(&self, blocks: &[BlockEntry]) -> Result<(), StoreError> {
        if blocks.is_empty() {
            return Ok(());
        }
        self.run(&self.codec.plan_blocks(blocks)).await.map(|_| ())
    }

    /// A bare `PING` through the same connection and budget, outside the breaker.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let ping = [Planned::Plain(redis::cmd("PING"))];
        match tokio::time::timeout(self.settings.budget, self.send(&ping)).await {
            Ok(r) => r.map(|_| ()),
            Err(_) => Err(StoreError::Timeout),
        }
    }

    async fn run(&self, planned: &[Planned]) -> Result<Vec<Value>, StoreError> {
        let admit: Admit = self.guard.admit()?;
        let r = match tokio::time::timeout(self.settings.budget, self.send(planned)).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Timeout),
        };
        self.guard.record(admit, &r);
        r
    }

    async fn send(&self, planned: &[Planned]) -> Result<Vec<Value>, StoreError> {
        let mut values = self.exec(planned, Send::Sha).await?;
        let missing: Vec<usize> = (0..values.len())
            .filter(|&i| is_noscript(&values[i]))
            .collect();
        if !missing.is_empty() {
            // The server forgot the scripts: re-send only the refused commands, with their bodies.
            self.guard
                .stats
                .script_reloads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let again: Vec<&Planned> = missing.iter().map(|&i| &planned[i]).collect();
            let again = self.exec_refs(&again, Send::Body).await?;
            for (i, v) in missing.into_iter().zip(again) {
                values[i] = v;
            }
        }
        match server_error(&values) {
            Some(e) => Err(e),
            None => Ok(values),
        }
    }

    async fn exec(&self, planned: &[Planned], how: Send) -> Result<Vec<Value>, StoreError> {
        let refs: Vec<&Planned> = planned.iter().collect();
        self.exec_refs(&refs, how).await
    }

    async fn exec_refs(&self, planned: &[&Planned], how: Send) -> Result<Vec<Value>, StoreError> {
        let cmds: Vec<Cmd> = planned.iter().map(|p| self.codec.command(p, how)).collect();
        match &self.conn {
            Conn::Single(mgr) => {
                let mut con = mgr.clone();
                let mut p = redis::pipe();
                p.ignore_errors();
                for c in cmds {
                    p.add_command(c);
                }
                p.query_async(&mut con).await.map_err(|e| store_error(&e))
            }
            Conn::Cluster { client, conn } => {
                let con = {
                    let mut slot = conn.lock().await;
                    match slot.as_ref() {
                        Some(c) => c.clone(),
                        None => {
                            let c = client
                                .get_async_connection()
                                .await
                                .map_err(|e| store_error(&e))?;
                            self.guard
                                .stats
                                .reconnects
                                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            *slot = Some(c.clone());
                            c
                        }
                    }
                };
                let replies = join_all(cmds.into_iter().map(|cmd| {
                    let mut c = con.clone();
                    async move { c.req_packed_command(&cmd).await }
                }))
                .await;
                let mut out = Vec::with_capacity(replies.len());
                for r in replies {
                    match r {
                        Ok(v) => out.push(v),
                        Err(e) => match e.clone().into_server_errors() {
                            Some(errs) if errs.len() == 1 => {
                                out.push(Value::ServerError(errs[0].1.clone()))
                            }
                            _ => {
                                if !e.is_timeout() {
                                    *conn.lock().await = None;
                                }
                                return Err(store_error(&e));
                            }
                        },
                    }
                }
                Ok(out)
            }
        }
    }

    /// The version of the shared lists (0 when never changed).
    pub async fn lists_version(&self) -> Result<u64, StoreError> {
        let mut c = redis::cmd("GET");
        c.arg(self.codec.keys.lists_version());
        let v = self.run(&[Planned::Plain(c)]).await?;
        lists::parse_version(&v[0])
    }

    /// Every shared list, as a `[lists]` section, with its version.
    pub async fn list_snapshot(&self) -> Result<(u64, ListsConfig), StoreError> {
        let v = self.run(&lists::plan_snapshot(&self.codec)).await?;
        lists::parse_snapshot(v)
    }

    /// Adds entries to a shared list; answers (entries added, new version).
    pub async fn list_add(
        &self,
        list: SharedList,
        entries: &[String],
    ) -> Result<(u64, u64), StoreError> {
        validate_entries(list, entries)?;
        let v = self
            .run(&[self.codec.plan_list_change(list, true, entries)])
            .await?;
        lists::parse_change(&v[0])
    }

    /// Removes entries from a shared list; answers (entries removed, new version).
    pub async fn list_remove(
        &self,
        list: SharedList,
        entries: &[String],
    ) -> Result<(u64, u64), StoreError> {
        let v = self
            .run(&[self.codec.plan_list_change(list, false, entries)])
            .await?;
        lists::parse_change(&v[0])
    }
}

impl crate::store::Store for AsyncRedisStore {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn update<'a>(&'a self, req: &'a StoreRequest) -> Answer<'a, StoreAnswer> {
        Answer::Later(Box::pin(self.apply(req)))
    }

    fn record_blocks<'a>(&'a self, blocks: &'a [BlockEntry]) -> Answer<'a, ()> {
        Answer::Later(Box::pin(self.add_blocks(blocks)))
    }

    fn withdraw<'a>(
        &'a self,
        req: &'a StoreRequest,
        withdrawals: &'a [Withdrawal],
    ) -> Answer<'a, ()> {
        Answer::Now(Some(self.withdraw_alerts(req, withdrawals)))
    }

    fn metrics(&self) -> Vec<StoreMetric> {
        self.stats().metrics(self.breaker_state())
    }
}
