// SPDX-License-Identifier: MIT OR Apache-2.0
//! Where the alerts' lifecycle is kept: one seam, [`LifecycleLog`], two
//! homes. Without ClickHouse, an append-only JSON-lines file on this host
//! ([`FileLog`]: alerts this node raised and every log entry; other processes
//! of the host that follow the same file see them too). With ClickHouse, the
//! `alerts` and `alert_events` tables ([`ClickHouseLog`]), shared by every node
//! and every Kamailio worker: workers' alerts arrive there through their
//! drainers, and each `acm serve` follows both tables.
//!
//! Following ClickHouse: every poll reads the rows of parts whose highest
//! block number is above what was seen ~10 s before (block numbers grow with
//! every INSERT into a table; the overlap covers INSERTs that commit out of
//! order). The book drops what it already has.

use std::collections::VecDeque;
use std::io::{BufRead, Seek, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::PipelineConfig;
use crate::contract::Action;
use crate::pipeline::{insert_alert_events, AlertEventRecord, AlertRecord};

/// What a poll brought: alerts and log entries not necessarily new.
pub type Batch = (Vec<AlertRecord>, Vec<AlertEventRecord>);

/// The lifecycle's home. The first `poll` loads what is there.
pub trait LifecycleLog: Send + Sync {
    fn name(&self) -> &'static str;
    /// Alerts this process raised. ClickHouse gets them through the pipeline already.
    fn raised(&self, alerts: Vec<AlertRecord>) -> BoxFuture<'_, Result<()>>;
    /// How long the feed gathers raised alerts before one `raised` (a group commit:
    /// the file syncs at most this often however many alerts come).
    fn gather(&self) -> Duration {
        Duration::ZERO
    }
    /// Appends entries; durable when it answers Ok.
    fn append(&self, events: Vec<AlertEventRecord>) -> BoxFuture<'_, Result<()>>;
    /// What was added since the last poll (everything on the first).
    fn poll(&self) -> BoxFuture<'_, Result<Batch>>;
}

/// One line of the file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Line {
    Alert(AlertRecord),
    Event(AlertEventRecord),
}

/// The local append-only file.
pub struct FileLog {
    path: PathBuf,
    writer: Mutex<std::fs::File>,
    read_at: Mutex<u64>,
}

impl FileLog {
    pub fn open(path: PathBuf) -> Result<FileLog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("alerts.events_file: cannot create {}", dir.display()))?;
        }
        let writer = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| {
                format!(
                    "alerts.events_file: cannot open {} for appending (set it to a writable path)",
                    path.display()
                )
            })?;
        Ok(FileLog {
            path,
            writer: Mutex::new(writer),
            read_at: Mutex::new(0),
        })
    }

    fn write(&self, lines: Vec<Line>) -> Result<()> {
        let mut buf = Vec::new();
        for l in &lines {
            serde_json::to_writer(&mut buf, l)?;
            buf.push(b'\n');
        }
        let mut f = self.writer.lock();
        // One write under an exclusive lock: other processes appending to the file never
        // interleave with it.
        f.lock().context("alerts.events_file: lock")?;
        let r = f.write_all(&buf).and_then(|_| f.sync_data());
        let _ = f.unlock();
        r.with_context(|| format!("alerts.events_file: cannot write {}", self.path.display()))
    }

    fn read_new(&self) -> Result<Batch> {
        let mut at = self.read_at.lock();
        let mut f = std::fs::File::open(&self.path)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        f.seek(std::io::SeekFrom::Start(*at))?;
        let mut r = std::io::BufReader::new(f);
        let (mut alerts, mut events) = (Vec::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            let n = r.read_line(&mut line)?;
            if n == 0 || !line.ends_with('\n') {
                break; // the end, or a line still being written
            }
            *at += n as u64;
            match serde_json::from_str::<Line>(&line) {
                Ok(Line::Alert(a)) => alerts.push(a),
                Ok(Line::Event(e)) => events.push(e),
                Err(e) => tracing::warn!(
                    "{}: skipped a line that is not an alert or a log entry: {e}",
                    self.path.display()
                ),
            }
        }
        Ok((alerts, events))
    }
}

impl LifecycleLog for FileLog {
    fn name(&self) -> &'static str {
        "file"
    }

    fn gather(&self) -> Duration {
        Duration::from_millis(50)
    }

    fn raised(&self, alerts: Vec<AlertRecord>) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.write(alerts.into_iter().map(Line::Alert).collect()) })
    }

    fn append(&self, events: Vec<AlertEventRecord>) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.write(events.into_iter().map(Line::Event).collect()) })
    }

    fn poll(&self) -> BoxFuture<'_, Result<Batch>> {
        Box::pin(async move { self.read_new() })
    }
}

/// How far back (in time) the block-number floor of a poll lies.
const OVERLAP: Duration = Duration::from_secs(10);

struct Cursor {
    loaded: bool,
    alerts_seen: u64,
    events_seen: u64,
    /// (when, alerts_seen, events_seen) after each poll.
    marks: VecDeque<(Instant, u64, u64)>,
}

/// The shared ClickHouse tables.
pub struct ClickHouseLog {
    cfg: PipelineConfig,
    client: clickhouse::Client,
    keep: usize,
    cursor: tokio::sync::Mutex<Cursor>,
}

const BLOCK: &str = "toUInt64(splitByChar('_', _part)[3])";
const ALERT_COLUMNS: &str =
    "alert_id, raised_at_ms, rule, key, action, window_ms, threshold, count, \
                             a_numbers, call_ids, sources, mode, node, severity";
const EVENT_COLUMNS: &str = "at_ms, alert_id, kind, from_status, to_status, actor, note, node";

fn num(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => s.parse().unwrap_or(0),
        _ => 0,
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default()
}

fn alert_of(v: &Value) -> AlertRecord {
    AlertRecord {
        alert_id: text(&v["alert_id"]),
        raised_at_ms: num(&v["raised_at_ms"]),
        rule: text(&v["rule"]),
        key: text(&v["key"]),
        action: match v["action"].as_str() {
            Some("block") => Action::Block,
            Some("allow") => Action::Allow,
            _ => Action::Flag,
        },
        window_ms: num(&v["window_ms"]) as u32,
        threshold: num(&v["threshold"]) as u32,
        count: num(&v["count"]) as u32,
        a_numbers: texts(&v["a_numbers"]),
        call_ids: texts(&v["call_ids"]),
        sources: texts(&v["sources"]),
        mode: text(&v["mode"]),
        node: text(&v["node"]),
        severity: text(&v["severity"]),
    }
}

fn event_of(v: &Value) -> AlertEventRecord {
    AlertEventRecord {
        at_ms: num(&v["at_ms"]),
        alert_id: text(&v["alert_id"]),
        kind: text(&v["kind"]),
        from_status: text(&v["from_status"]),
        to_status: text(&v["to_status"]),
        actor: text(&v["actor"]),
        note: text(&v["note"]),
        node: text(&v["node"]),
    }
}

impl ClickHouseLog {
    pub fn new(cfg: &PipelineConfig, keep: usize) -> ClickHouseLog {
        ClickHouseLog {
            client: crate::pipeline::client(cfg, true),
            cfg: cfg.clone(),
            keep,
            cursor: tokio::sync::Mutex::new(Cursor {
                loaded: false,
                alerts_seen: 0,
                events_seen: 0,
                marks: VecDeque::new(),
            }),
        }
    }

    async fn rows(&self, sql: &str) -> Result<Vec<Value>> {
        let mut cursor = self
            .client
            .query(sql)
            .fetch_bytes("JSONEachRow")
            .map_err(|e| anyhow!("{e}"))?;
        let body = tokio::time::timeout(Duration::from_secs(10), cursor.collect())
            .await
            .map_err(|_| anyhow!("ClickHouse did not answer within 10 s: {sql}"))?
            .map_err(|e| anyhow!("ClickHouse refused: {sql}: {e}"))?;
        body.split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).context("unreadable row"))
            .collect()
    }

    async fn max_block(&self, table: &str) -> Result<u64> {
        let rows = self
            .rows(&format!("SELECT max({BLOCK}) AS b FROM {table}"))
            .await?;
        Ok(rows.first().map_or(0, |r| num(&r["b"]) as u64))
    }

    async fn load(&self, c: &mut Cursor) -> Result<Batch> {
        c.alerts_seen = self.max_block("alerts").await?;
        c.events_seen = self.max_block("alert_events").await?;
        let alerts = self
            .rows(&format!(
                "SELECT {ALERT_COLUMNS} FROM alerts ORDER BY raised_at_ms DESC LIMIT 1 BY alert_id LIMIT {}",
                self.keep
            ))
            .await?;
        let alerts: Vec<AlertRecord> = alerts.iter().map(alert_of).collect();
        let oldest = alerts.iter().map(|a| a.raised_at_ms).min().unwrap_or(0);
        let events = self
            .rows(&format!(
                "SELECT {EVENT_COLUMNS} FROM alert_events WHERE kind != 'raised' AND at_ms >= {oldest} ORDER BY at_ms"
            ))
            .await?;
        c.loaded = true;
        Ok((alerts, events.iter().map(event_of).collect()))
    }

    async fn follow(&self, c: &mut Cursor) -> Result<Batch> {
        let now = Instant::now();
        while c.marks.len() > 1 && c.marks[1].0 + OVERLAP <= now {
            c.marks.pop_front();
        }
        // The newest mark at least OVERLAP old (or the load's, while none is).
        let (a_floor, e_floor) = c.marks.front().map_or((0, 0), |m| (m.1, m.2));
        let alerts = self
            .rows(&format!(
                "SELECT {ALERT_COLUMNS}, {BLOCK} AS blk FROM alerts WHERE blk > {a_floor}"
            ))
            .await?;
        let events = self
            .rows(&format!(
                "SELECT {EVENT_COLUMNS}, {BLOCK} AS blk FROM alert_events WHERE blk > {e_floor} AND kind != 'raised' ORDER BY at_ms"
            ))
            .await?;
        for r in &alerts {
            c.alerts_seen = c.alerts_seen.max(num(&r["blk"]) as u64);
        }
        for r in &events {
            c.events_seen = c.events_seen.max(num(&r["blk"]) as u64);
        }
        c.marks.push_back((now, c.alerts_seen, c.events_seen));
        Ok((
            alerts.iter().map(alert_of).collect(),
            events.iter().map(event_of).collect(),
        ))
    }
}

impl LifecycleLog for ClickHouseLog {
    fn name(&self) -> &'static str {
        "clickhouse"
    }

    fn raised(&self, _alerts: Vec<AlertRecord>) -> BoxFuture<'_, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn append(&self, events: Vec<AlertEventRecord>) -> BoxFuture<'_, Result<()>> {
        Box::pin(
            async move { insert_alert_events(&self.cfg, &events, Duration::from_secs(10)).await },
        )
    }

    fn poll(&self) -> BoxFuture<'_, Result<Batch>> {
        Box::pin(async move {
            let mut c = self.cursor.lock().await;
            if !c.loaded {
                let mut c2 = Cursor {
                    loaded: false,
                    alerts_seen: 0,
                    events_seen: 0,
                    marks: VecDeque::new(),
                };
                let batch = self.load(&mut c2).await?;
                c2.marks
                    .push_back((Instant::now(), c2.alerts_seen, c2.events_seen));
                *c = c2;
                return Ok(batch);
            }
            self.follow(&mut c).await
        })
    }
}
