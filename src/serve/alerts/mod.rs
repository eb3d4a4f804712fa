// SPDX-License-Identifier: MIT OR Apache-2.0
//! Alerts that reach people and act: the lifecycle of every alert (from this
//! node and, with ClickHouse, from every node and Kamailio worker), the API
//! and live stream over it, and the response actions (block through the
//! shared lists, disconnect through Kamailio's dialog module). See
//! docs/alerts.md.
//!
//! Tasks started here: the feed (alerts this process raised → book and log),
//! the follower (polls the log every 250 ms: other nodes' alerts and changes),
//! the block expiry (lifts blocks whose duration is over).

pub mod api;
pub mod book;
pub mod log;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use crossbeam_channel::{Receiver, Sender};

use crate::config::Config;
use crate::detector::VerdictSink;
use crate::engine::{Alert, Call, Verdict};
use crate::pipeline::{AlertEventRecord, EventOut};
use crate::store::{SharedList, SharedLists};
pub use book::{Book, Status};
pub use log::{ClickHouseLog, FileLog, LifecycleLog};

const POLL: Duration = Duration::from_millis(250);
const FEED_CAPACITY: usize = 10_000;
/// How often the feed task takes what the call path queued (it is never woken from there:
/// a wake-up is a system call on the call path).
const FEED_TICK: Duration = Duration::from_millis(20);

/// The sink that hands this process's new alerts to the feed task; never waits, never
/// wakes anything (the feed task looks every few milliseconds).
pub struct Feed {
    tx: Sender<Alert>,
    dropped: std::sync::atomic::AtomicU64,
}

impl VerdictSink for Feed {
    fn record(&self, _call: &Call, v: &Verdict, _check_us: u32) {
        for a in &v.new_alerts {
            if self.tx.try_send(a.clone()).is_err() {
                self.dropped
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}

/// The alerts service of one `acm serve`.
pub struct Alerts {
    pub book: Arc<Book>,
    pub log: Arc<dyn LifecycleLog>,
    pub node: String,
    pub block_duration_ms: u64,
    pub teardown: crate::config::TeardownConfig,
    pub http: crate::pipeline::http::HttpClient,
    /// Where the calls of an alert are looked up (ClickHouse's `calls`), if configured.
    pub clickhouse: Option<crate::config::PipelineConfig>,
    /// When a failed poll was last logged (at most one warning a minute).
    poll_warned: parking_lot::Mutex<Option<std::time::Instant>>,
    /// True once the service is stopping: live streams end (else a graceful stop
    /// would wait for every connected client).
    pub closing: tokio::sync::watch::Sender<bool>,
    /// The feed's queue and records, kept for the last take at a graceful stop
    /// (`flush_feed`): alerts raised after the feed task's last tick.
    feed: parking_lot::Mutex<Option<(Receiver<Alert>, EventOut)>>,
    /// One take of the feed at a time, so that raised alerts reach the log in order.
    feed_turn: tokio::sync::Mutex<()>,
}

impl Alerts {
    /// The log the config asks for, and the feed sink for the node.
    pub fn new(cfg: &Config) -> Result<(Alerts, Arc<Feed>, Receiver<Alert>)> {
        let log: Arc<dyn LifecycleLog> = match &cfg.clickhouse {
            Some(ch) => Arc::new(ClickHouseLog::new(ch, cfg.alerts.keep)),
            None => Arc::new(FileLog::open(cfg.alerts.events_file.clone())?),
        };
        let (tx, rx) = crossbeam_channel::bounded(FEED_CAPACITY);
        let feed = Arc::new(Feed {
            tx,
            dropped: Default::default(),
        });
        Ok((
            Alerts {
                book: Arc::new(Book::new(cfg.alerts.keep)),
                log,
                node: cfg.node(),
                block_duration_ms: cfg.alerts.block_duration_ms,
                teardown: cfg.teardown.clone(),
                http: crate::pipeline::http::client(),
                clickhouse: cfg.clickhouse.clone(),
                closing: tokio::sync::watch::channel(false).0,
                poll_warned: parking_lot::Mutex::new(None),
                feed: parking_lot::Mutex::new(None),
                feed_turn: tokio::sync::Mutex::new(()),
            },
            feed,
            rx,
        ))
    }

    /// Loads the log, then starts the feed, follower and expiry tasks.
    pub async fn start(
        self: &Arc<Self>,
        feed: Receiver<Alert>,
        events: EventOut,
        lists: Option<Arc<dyn SharedLists>>,
    ) {
        self.poll_once().await;
        *self.feed.lock() = Some((feed, events));
        let me = self.clone();
        tokio::spawn(async move {
            let tick = me.log.gather().max(FEED_TICK);
            loop {
                tokio::time::sleep(tick).await;
                me.take_feed().await;
            }
        });
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(POLL).await;
                me.poll_once().await;
            }
        });
        if let Some(lists) = lists {
            let me = self.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    me.lift_expired_blocks(&lists).await;
                }
            });
        }
    }

    /// Takes the alerts this process raised since the last take into the log (durable
    /// first), then the book.
    async fn take_feed(&self) {
        let _turn = self.feed_turn.lock().await;
        let records: Vec<_> = match &*self.feed.lock() {
            Some((feed, events)) => feed.try_iter().map(|a| events.alert_record(&a)).collect(),
            None => return,
        };
        if records.is_empty() {
            return;
        }
        if let Err(e) = self.log.raised(records.clone()).await {
            tracing::error!("alerts log: could not record raised alerts: {e:#}");
        }
        for r in records {
            self.book.add_alert(r);
        }
    }

    /// The last take at a graceful stop, once no request is being answered any more:
    /// an alert raised after the feed task's last tick still reaches the log.
    pub async fn flush_feed(&self) {
        self.take_feed().await;
    }

    async fn poll_once(&self) {
        match self.log.poll().await {
            Ok((alerts, events)) => {
                for a in alerts {
                    self.book.add_alert(a);
                }
                for e in events {
                    self.book.add_event(e);
                }
            }
            Err(e) => {
                let mut last = self.poll_warned.lock();
                if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                    *last = Some(std::time::Instant::now());
                    tracing::warn!(
                        "alerts log ({}): poll failed (was `acm schema apply` run?): {e:#}",
                        self.log.name()
                    );
                }
            }
        }
    }

    /// Appends entries to the log (durable first), then to the book.
    pub async fn record(&self, events: Vec<AlertEventRecord>) -> Result<()> {
        self.log.append(events.clone()).await?;
        for e in events {
            self.book.add_event(e);
        }
        Ok(())
    }

    pub fn entry(&self, alert_id: &str, kind: &str, actor: &str) -> AlertEventRecord {
        AlertEventRecord {
            at_ms: chrono::Utc::now().timestamp_millis(),
            alert_id: alert_id.to_string(),
            kind: kind.to_string(),
            actor: actor.to_string(),
            node: self.node.clone(),
            ..Default::default()
        }
    }

    async fn lift_expired_blocks(&self, lists: &Arc<dyn SharedLists>) {
        let now = chrono::Utc::now().timestamp_millis();
        for b in self.book.expired_blocks(now) {
            let Some(list) = SharedList::parse(&b.list) else {
                continue;
            };
            let (l, entries) = (lists.clone(), b.entries.clone());
            let removed =
                tokio::task::spawn_blocking(move || l.change(list, false, &entries)).await;
            match removed {
                Ok(Ok((changed, _))) => {
                    let mut e = self.entry(&b.alert_id, "action", &self.node);
                    e.note = serde_json::json!({
                        "action": "unblock", "list": b.list, "entries": b.entries,
                        "block_at_ms": b.block_at_ms, "removed": changed,
                    })
                    .to_string();
                    if let Err(err) = self.record(vec![e]).await {
                        tracing::warn!(
                            "alerts: block of {} lifted but not logged: {err:#}",
                            b.alert_id
                        );
                    } else {
                        tracing::info!(alert = %b.alert_id, list = %b.list, "block lifted");
                    }
                }
                Ok(Err(e)) => tracing::warn!("alerts: cannot lift block of {}: {e}", b.alert_id),
                Err(e) => tracing::warn!("alerts: lift task: {e}"),
            }
        }
    }
}
