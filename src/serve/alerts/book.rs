// SPDX-License-Identifier: MIT OR Apache-2.0
//! The alerts `acm serve` knows and the state of each: the newest
//! `alerts.keep`, built from the lifecycle log (file or ClickHouse) and kept
//! current by following it. An alert's status, assignee and notes are a replay
//! of its log entries in time order (the latest status entry wins), so every
//! node that reads one log agrees. Each change is also a live-stream item
//! (`GET /v1/alerts/stream`), kept in a ring for clients that resume.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::pipeline::webhook::{alert_view, b_numbers, rfc3339};
use crate::pipeline::{AlertEventRecord, AlertRecord};

/// Stream items a resuming client can get back.
const RING: usize = 10_000;
/// Log entries of alerts not (yet) known, held until their alert arrives.
const ORPHANS_MAX: usize = 100_000;

/// Where an alert is in its triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    New,
    Investigating,
    Resolved,
    FalsePositive,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::New,
        Status::Investigating,
        Status::Resolved,
        Status::FalsePositive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Investigating => "investigating",
            Status::Resolved => "resolved",
            Status::FalsePositive => "false_positive",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The statuses an analyst may move an alert to from this one: new →
    /// investigating (or straight to false_positive when triage dismisses it);
    /// investigating → resolved | false_positive; a closed alert may be
    /// reopened (→ investigating).
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::New => &[Status::Investigating, Status::FalsePositive],
            Status::Investigating => &[Status::Resolved, Status::FalsePositive],
            Status::Resolved | Status::FalsePositive => &[Status::Investigating],
        }
    }
}

/// One alert and what happened to it.
#[derive(Debug, Clone)]
pub struct AlertState {
    pub record: AlertRecord,
    pub status: Status,
    pub assignee: String,
    pub updated_at_ms: i64,
    /// Log entries other than "raised", in time order.
    pub history: Vec<AlertEventRecord>,
}

impl AlertState {
    fn new(record: AlertRecord) -> AlertState {
        AlertState {
            updated_at_ms: record.raised_at_ms,
            record,
            status: Status::New,
            assignee: String::new(),
            history: Vec::new(),
        }
    }

    fn replay(&mut self) {
        self.status = Status::New;
        self.assignee.clear();
        self.updated_at_ms = self.record.raised_at_ms;
        for e in &self.history {
            match e.kind.as_str() {
                "status" => {
                    if let Some(s) = Status::parse(&e.to_status) {
                        self.status = s;
                    }
                }
                "assign" => self.assignee = e.to_status.clone(),
                _ => {}
            }
            self.updated_at_ms = self.updated_at_ms.max(e.at_ms);
        }
    }

    /// The alert as `GET /v1/alerts` lists it.
    pub fn summary(&self) -> Value {
        let mut v = alert_view(&self.record);
        v["status"] = json!(self.status.as_str());
        v["assignee"] = json!(self.assignee);
        v["updated_at"] = json!(rfc3339(self.updated_at_ms));
        v
    }

    /// The alert with its evidence and history (`GET /v1/alerts/{id}`).
    pub fn detail(&self) -> Value {
        let mut v = self.summary();
        let r = &self.record;
        v["evidence"] = json!({
            "calls": r.call_ids,
            "callers": r.a_numbers,
            "callees": b_numbers(r),
            "sources": r.sources,
            "trunk": if r.rule == "cli_rotation" || r.rule == "intl_ingress_local_cli" { json!(r.key) } else { Value::Null },
            "window": {"ms": r.window_ms, "from": rfc3339(r.raised_at_ms - r.window_ms as i64), "to": rfc3339(r.raised_at_ms)},
            "count": r.count,
            "threshold": r.threshold,
        });
        let mut history = vec![json!({
            "kind": "raised", "at": rfc3339(r.raised_at_ms), "to": "new", "actor": r.node, "node": r.node,
        })];
        history.extend(self.history.iter().map(event_json));
        v["history"] = json!(history);
        v["notes"] = json!(self
            .history
            .iter()
            .filter(|e| !e.note.is_empty() && e.kind != "action")
            .map(|e| json!({"at": rfc3339(e.at_ms), "actor": e.actor, "note": e.note}))
            .collect::<Vec<_>>());
        v
    }
}

pub fn event_json(e: &AlertEventRecord) -> Value {
    let mut v = json!({
        "alert_id": e.alert_id,
        "kind": e.kind,
        "at": rfc3339(e.at_ms),
        "at_ms": e.at_ms,
        "actor": e.actor,
        "node": e.node,
    });
    match e.kind.as_str() {
        "status" => {
            v["from"] = json!(e.from_status);
            v["to"] = json!(e.to_status);
        }
        "assign" => {
            v["from"] = json!(e.from_status);
            v["assignee"] = json!(e.to_status);
        }
        _ => {}
    }
    if e.kind == "action" {
        v["action"] = serde_json::from_str(&e.note).unwrap_or(json!(e.note));
    } else if !e.note.is_empty() {
        v["note"] = json!(e.note);
    }
    v
}

/// One item of the live stream.
#[derive(Debug)]
pub struct StreamItem {
    pub seq: u64,
    pub at_ms: i64,
    /// "alert" (raised) or "change" (status, note, assignment, action).
    pub event: &'static str,
    pub data: String,
}

/// What `GET /v1/alerts` asks for.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub status: Vec<Status>,
    pub severity: Vec<String>,
    pub rule: Vec<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub a_number: Option<String>,
    pub b_number: Option<String>,
    /// Only alerts older than this (raised_at_ms, id): the previous page's cursor.
    pub before: Option<(i64, String)>,
    pub limit: usize,
}

impl Filter {
    /// Whether the alert, in its current state, passes.
    pub fn passes(&self, s: &AlertState) -> bool {
        let r = &s.record;
        (self.status.is_empty() || self.status.contains(&s.status))
            && (self.severity.is_empty() || self.severity.contains(&r.severity))
            && (self.rule.is_empty() || self.rule.contains(&r.rule))
            && self.since_ms.is_none_or(|t| r.raised_at_ms >= t)
            && self.until_ms.is_none_or(|t| r.raised_at_ms < t)
            && self.a_number.as_ref().is_none_or(|a| {
                r.a_numbers.contains(a) || (r.key == *a && r.rule == "cli_velocity")
            })
            && self
                .b_number
                .as_ref()
                .is_none_or(|b| b_numbers(r).contains(b))
    }
}

struct Inner {
    alerts: HashMap<String, AlertState>,
    order: BTreeSet<(i64, String)>,
    orphans: HashMap<String, Vec<AlertEventRecord>>,
    orphan_count: usize,
    ring: VecDeque<Arc<StreamItem>>,
    seq: u64,
}

/// The alerts and their state; shared by the handlers and the log follower.
pub struct Book {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<StreamItem>>,
    /// Names this process's stream ids (a new one at every start).
    pub boot: String,
    keep: usize,
}

impl Book {
    pub fn new(keep: usize) -> Book {
        let (tx, _) = broadcast::channel(4096);
        let boot = format!(
            "{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis())
                ^ ((std::process::id() as u128) << 40)
        );
        Book {
            inner: Mutex::new(Inner {
                alerts: HashMap::new(),
                order: BTreeSet::new(),
                orphans: HashMap::new(),
                orphan_count: 0,
                ring: VecDeque::new(),
                seq: 0,
            }),
            tx,
            boot,
            keep,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StreamItem>> {
        self.tx.subscribe()
    }

    fn emit(&self, inner: &mut Inner, at_ms: i64, event: &'static str, data: Value) {
        inner.seq += 1;
        let item = Arc::new(StreamItem {
            seq: inner.seq,
            at_ms,
            event,
            data: data.to_string(),
        });
        inner.ring.push_back(item.clone());
        if inner.ring.len() > RING {
            inner.ring.pop_front();
        }
        let _ = self.tx.send(item);
    }

    /// Stream items after a client's `Last-Event-ID` (`{boot}-{seq}-{at_ms}`):
    /// by sequence when it is this process's, else by time. Returns the items and
    /// the last sequence number they cover.
    pub fn replay_after(&self, last_event_id: Option<&str>) -> (Vec<Arc<StreamItem>>, u64) {
        let inner = self.inner.lock();
        let items: Vec<Arc<StreamItem>> = match last_event_id.and_then(parse_event_id) {
            None => Vec::new(),
            Some((boot, seq, at_ms)) => inner
                .ring
                .iter()
                .filter(|i| {
                    if boot == self.boot {
                        i.seq > seq
                    } else {
                        i.at_ms > at_ms
                    }
                })
                .cloned()
                .collect(),
        };
        (items, inner.seq)
    }

    pub fn event_id(&self, item: &StreamItem) -> String {
        format!("{}-{}-{}", self.boot, item.seq, item.at_ms)
    }

    /// Adds an alert (known ones are ignored); true when it was new.
    pub fn add_alert(&self, record: AlertRecord) -> bool {
        let mut inner = self.inner.lock();
        if inner.alerts.contains_key(&record.alert_id) {
            return false;
        }
        let id = record.alert_id.clone();
        let at = record.raised_at_ms;
        let mut state = AlertState::new(record);
        if let Some(mut held) = inner.orphans.remove(&id) {
            inner.orphan_count -= held.len();
            held.sort_by_key(|e| e.at_ms);
            held.dedup();
            state.history = held;
            state.replay();
        }
        let summary = state.summary();
        inner.order.insert((at, id.clone()));
        inner.alerts.insert(id, state);
        while inner.order.len() > self.keep {
            if let Some(oldest) = inner.order.pop_first() {
                inner.alerts.remove(&oldest.1);
            }
        }
        self.emit(&mut inner, at, "alert", summary);
        true
    }

    /// Adds a log entry (a known one is ignored); true when it changed something.
    pub fn add_event(&self, e: AlertEventRecord) -> bool {
        if e.kind == "raised" {
            return false;
        }
        let mut inner = self.inner.lock();
        let Some(state) = inner.alerts.get_mut(&e.alert_id) else {
            if inner.orphan_count < ORPHANS_MAX {
                inner.orphan_count += 1;
                inner.orphans.entry(e.alert_id.clone()).or_default().push(e);
            }
            return false;
        };
        if state.history.contains(&e) {
            return false;
        }
        let pos = state.history.partition_point(|h| h.at_ms <= e.at_ms);
        state.history.insert(pos, e.clone());
        state.replay();
        let mut data = event_json(&e);
        data["status"] = json!(state.status.as_str());
        self.emit(&mut inner, e.at_ms, "change", data);
        true
    }

    pub fn status_of(&self, id: &str) -> Option<Status> {
        self.inner.lock().alerts.get(id).map(|s| s.status)
    }

    pub fn get(&self, id: &str) -> Option<AlertState> {
        self.inner.lock().alerts.get(id).cloned()
    }

    /// One page, newest first, and the cursor of the next page.
    pub fn list(&self, f: &Filter) -> (Vec<Value>, Option<String>, usize) {
        let inner = self.inner.lock();
        let mut out = Vec::new();
        let mut last = None;
        let iter = inner.order.iter().rev().filter(|k| {
            f.before
                .as_ref()
                .is_none_or(|(t, id)| (k.0, &k.1) < (*t, id))
        });
        let mut more = false;
        for k in iter {
            let Some(s) = inner.alerts.get(&k.1) else {
                continue;
            };
            if !f.passes(s) {
                continue;
            }
            if out.len() == f.limit {
                more = true;
                break;
            }
            out.push(s.summary());
            last = Some(k.clone());
        }
        let cursor = if more {
            last.map(|(t, id)| format!("{t}:{id}"))
        } else {
            None
        };
        (out, cursor, inner.alerts.len())
    }

    /// Block actions whose time is up and that were not lifted yet.
    pub fn expired_blocks(&self, now_ms: i64) -> Vec<ExpiredBlock> {
        let inner = self.inner.lock();
        let mut out = Vec::new();
        for (id, s) in &inner.alerts {
            for e in s.history.iter().filter(|e| e.kind == "action") {
                let Ok(a) = serde_json::from_str::<Value>(&e.note) else {
                    continue;
                };
                if a["action"] != "block" || a["until_ms"].as_i64().is_none_or(|u| u > now_ms) {
                    continue;
                }
                let list = a["list"].as_str().unwrap_or("").to_string();
                let lifted = s.history.iter().any(|l| {
                    l.kind == "action"
                        && serde_json::from_str::<Value>(&l.note).is_ok_and(|n| {
                            n["action"] == "unblock"
                                && n["list"] == a["list"]
                                && n["block_at_ms"] == json!(e.at_ms)
                        })
                });
                if !lifted {
                    let entries = a["entries"]
                        .as_array()
                        .map(|v| {
                            v.iter()
                                .filter_map(|x| x.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default();
                    out.push(ExpiredBlock {
                        alert_id: id.clone(),
                        list,
                        block_at_ms: e.at_ms,
                        entries,
                    });
                }
            }
        }
        out
    }
}

/// A block whose duration is over.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiredBlock {
    pub alert_id: String,
    pub list: String,
    /// Names the block action it lifts.
    pub block_at_ms: i64,
    pub entries: Vec<String>,
}

fn parse_event_id(s: &str) -> Option<(String, u64, i64)> {
    let mut it = s.trim().splitn(3, '-');
    let boot = it.next()?.to_string();
    let seq = it.next()?.parse().ok()?;
    let at = it.next()?.parse().ok()?;
    Some((boot, seq, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(id: &str, at: i64) -> AlertRecord {
        AlertRecord {
            alert_id: id.into(),
            raised_at_ms: at,
            rule: "distinct_callers".into(),
            key: "+2348030000000".into(),
            severity: "high".into(),
            a_numbers: vec!["+2348031111111".into()],
            ..Default::default()
        }
    }

    fn status(id: &str, at: i64, from: &str, to: &str) -> AlertEventRecord {
        AlertEventRecord {
            at_ms: at,
            alert_id: id.into(),
            kind: "status".into(),
            from_status: from.into(),
            to_status: to.into(),
            actor: "a".into(),
            ..Default::default()
        }
    }

    #[test]
    fn transitions() {
        assert!(Status::New.next().contains(&Status::Investigating));
        assert!(!Status::New.next().contains(&Status::Resolved));
        assert!(Status::Investigating.next().contains(&Status::Resolved));
        assert!(Status::Resolved.next().contains(&Status::Investigating));
        assert!(!Status::FalsePositive.next().contains(&Status::Resolved));
    }

    #[test]
    fn latest_status_wins_and_duplicates_and_orphans_are_handled() {
        let b = Book::new(100);
        // An entry that arrives before its alert is held.
        assert!(!b.add_event(status("x", 20, "new", "investigating")));
        assert!(b.add_alert(alert("x", 10)));
        assert!(!b.add_alert(alert("x", 10)));
        assert_eq!(b.status_of("x"), Some(Status::Investigating));
        assert!(b.add_event(status("x", 30, "investigating", "resolved")));
        assert!(!b.add_event(status("x", 30, "investigating", "resolved")));
        assert_eq!(b.status_of("x"), Some(Status::Resolved));
        let (page, cursor, _) = b.list(&Filter {
            limit: 10,
            ..Default::default()
        });
        assert_eq!(page.len(), 1);
        assert_eq!(page[0]["status"], "resolved");
        assert!(cursor.is_none());
    }

    #[test]
    fn pages_and_filters() {
        let b = Book::new(100);
        for i in 0..5 {
            b.add_alert(alert(&format!("a{i}"), 100 + i));
        }
        let mut f = Filter {
            limit: 2,
            ..Default::default()
        };
        let (p1, c1, _) = b.list(&f);
        assert_eq!(p1[0]["id"], "a4");
        let c = c1.unwrap();
        let (t, id) = c.split_once(':').unwrap();
        f.before = Some((t.parse().unwrap(), id.into()));
        let (p2, _, _) = b.list(&f);
        assert_eq!(p2[0]["id"], "a2");
        f.before = None;
        f.b_number = Some("+2348030000000".into());
        f.since_ms = Some(103);
        assert_eq!(b.list(&f).0.len(), 2);
        f.status = vec![Status::Resolved];
        assert_eq!(b.list(&f).0.len(), 0);
    }

    #[test]
    fn resume_by_sequence_or_time() {
        let b = Book::new(100);
        b.add_alert(alert("a", 100));
        b.add_alert(alert("b", 200));
        let (all, _) = b.replay_after(Some(&format!("{}-0-0", b.boot)));
        assert_eq!(all.len(), 2);
        let id = b.event_id(&all[0]);
        assert_eq!(b.replay_after(Some(&id)).0.len(), 1);
        assert_eq!(b.replay_after(Some("other-99-150")).0.len(), 1);
        assert!(b.replay_after(None).0.is_empty());
    }
}
