// SPDX-License-Identifier: MIT OR Apache-2.0
//! The drainer's side of a hand-off ring: reads records in order and keeps the ring's
//! acknowledgements, so a record stays in the ring until what it became was delivered or
//! spooled. For a ring adopted from a dead process, the acknowledgements it left say what
//! each kind of destination had already handled: that part is not sent again.

use std::sync::Arc;

use crate::config::Mode;
use crate::pipeline::handoff::{decode, Decoded, RingMeta};
use crate::pipeline::outbox::RecordMeta;
use crate::pipeline::ring::{Acks, Read, Ring};

/// One record read: what it is and where it goes.
pub(crate) enum Item {
    Call(crate::pipeline::outbox::CheckedCall),
    Alert {
        record: crate::pipeline::record::AlertRecord,
        to_clickhouse: bool,
        to_lanes: bool,
    },
    /// Already handled before the crash, or not readable (counted by the caller).
    Skip {
        corrupt: bool,
    },
}

pub(crate) struct RingReader {
    pub ring: Arc<Ring>,
    pub meta: Arc<RecordMeta>,
    /// Position of the next record to read.
    pub read: u64,
    /// Position of the oldest call read from the ring and not yet inserted or spooled.
    pub calls_from: Option<u64>,
    /// The same for alerts on their way to ClickHouse.
    pub alerts_from: Option<u64>,
    /// What the ring's previous owner had acknowledged (zero for this process's own ring).
    skip: Acks,
    /// Past a corrupt record nothing in the ring is trusted.
    broken: bool,
    adopted: bool,
    /// Records of an adopted ring sent on (not already handled before the crash).
    pub recovered: u64,
}

fn meta_from(m: &RingMeta) -> RecordMeta {
    RecordMeta {
        node: m.node.clone(),
        mode: if m.mode == Mode::Monitor.as_str() {
            Mode::Monitor.as_str()
        } else {
            Mode::Enforce.as_str()
        },
        alerts: Default::default(),
    }
}

impl RingReader {
    /// This process's own ring, read from its start.
    pub fn live(ring: Arc<Ring>, meta: &RingMeta) -> RingReader {
        RingReader {
            ring,
            meta: Arc::new(meta_from(meta)),
            read: 0,
            calls_from: None,
            alerts_from: None,
            skip: Acks::default(),
            broken: false,
            adopted: false,
            recovered: 0,
        }
    }

    /// A dead process's ring, read from the least of its acknowledgements.
    pub fn adopted(ring: Arc<Ring>) -> RingReader {
        let meta: RingMeta = serde_json::from_str(&ring.meta()).unwrap_or_else(|e| {
            tracing::warn!(
                "hand-off: {}: unreadable node/mode ({e}); recovered rows carry this node's",
                ring.path().display()
            );
            RingMeta {
                node: String::new(),
                mode: Mode::Enforce.as_str().into(),
            }
        });
        let skip = ring.acks();
        RingReader {
            read: skip.least(),
            meta: Arc::new(meta_from(&meta)),
            ring,
            calls_from: None,
            alerts_from: None,
            skip,
            broken: false,
            adopted: true,
            recovered: 0,
        }
    }

    pub fn is_adopted(&self) -> bool {
        self.adopted
    }

    /// Records written and not read yet.
    pub fn pending(&self) -> bool {
        !self.broken && self.read < self.ring.write_pos()
    }

    /// The next record and the position after it; None when everything written was read.
    pub fn next(&mut self) -> Option<(Item, u64)> {
        let write = self.ring.write_pos();
        if self.read >= write || self.broken {
            return None;
        }
        let pos = self.read;
        match self.ring.read(pos) {
            Read::Record { payload, next } => {
                let item = match decode(payload, &self.meta) {
                    Ok(Decoded::Call(c)) if pos >= self.skip.calls => Item::Call(c),
                    Ok(Decoded::Call(_)) => Item::Skip { corrupt: false },
                    Ok(Decoded::Alert(record)) => {
                        let to_clickhouse = pos >= self.skip.alerts;
                        let to_lanes = pos >= self.skip.lanes;
                        if to_clickhouse || to_lanes {
                            Item::Alert {
                                record,
                                to_clickhouse,
                                to_lanes,
                            }
                        } else {
                            Item::Skip { corrupt: false }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(
                            "hand-off: {}: record at {pos} unreadable: {e:#}",
                            self.ring.path().display()
                        );
                        Item::Skip { corrupt: true }
                    }
                };
                Some((item, next))
            }
            Read::Corrupt(why) => {
                tracing::warn!(
                    "hand-off: {}: {why}; the rest of the ring ({} bytes) is skipped",
                    self.ring.path().display(),
                    write - pos
                );
                self.broken = true;
                self.read = write;
                Some((Item::Skip { corrupt: true }, write))
            }
        }
    }

    /// What is handled so far: everything before `read` except what waits in a batch.
    pub fn acks(&self) -> Acks {
        Acks {
            calls: self.calls_from.unwrap_or(self.read).max(self.skip.calls),
            alerts: self.alerts_from.unwrap_or(self.read).max(self.skip.alerts),
            lanes: self.read.max(self.skip.lanes),
        }
    }

    pub fn store_acks(&self) {
        self.ring.store_acks(&self.acks());
    }

    /// Everything written was read and handled.
    pub fn done(&self) -> bool {
        self.read >= self.ring.write_pos() && self.acks().least() >= self.read
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Severity};
    use crate::engine::{Action, Alert, Call, Reason};
    use crate::pipeline::handoff::HandOff;

    #[test]
    fn an_adopted_ring_resends_only_what_each_destination_had_not_handled() {
        let dir = tempfile::tempdir().unwrap();
        let meta = RingMeta {
            node: "dead".into(),
            mode: "monitor".into(),
        };
        let ring = Arc::new(
            Ring::create(dir.path(), 1 << 16, &serde_json::to_string(&meta).unwrap()).unwrap(),
        );
        let h = HandOff::new(ring.clone());
        let engine = crate::engine::Engine::from_config(
            &Config::default(),
            Arc::new(crate::clock::ManualClock::new(1_700_000_000_000)),
        )
        .unwrap();
        let det = crate::detector::Detector::new(
            Arc::new(engine),
            Arc::new(crate::store::MemoryStore::new(Default::default())),
        );
        let alert = Alert {
            id: "dc-1".into(),
            rule: Reason::DistinctCallers,
            key: "+2348037654321".into(),
            action: Action::Block,
            raised_at_ms: 1,
            window_ms: 5000,
            threshold: 5,
            baseline: None,
            count: 5,
            evidence: Vec::new(),
        };
        let mut ends = Vec::new();
        for i in 0..3 {
            let c = Call::new(&format!("c{i}"), "+2348031234567", "+2348037654321");
            h.put_call(&c, &det.check_now(&c).unwrap(), 1).unwrap();
            ends.push(ring.write_pos());
            h.put_alert(&alert, Severity::High).unwrap();
            ends.push(ring.write_pos());
        }
        // Before the crash: calls inserted up to the second call, alerts to ClickHouse up to
        // the first alert, the lanes had everything up to the second alert.
        ring.store_acks(&Acks {
            calls: ends[2],
            alerts: ends[1],
            lanes: ends[3],
        });
        let path = ring.path().to_path_buf();
        drop(h);
        drop(ring);
        let adopted = Ring::adopt_orphans(dir.path());
        assert_eq!(adopted.len(), 1);
        assert_eq!(adopted[0].path(), path);
        let mut r = RingReader::adopted(Arc::new(adopted.into_iter().next().unwrap()));
        assert_eq!(r.meta.node, "dead");
        assert_eq!(r.meta.mode, "monitor");
        let mut seen = Vec::new();
        while let Some((item, next)) = r.next() {
            seen.push(match item {
                Item::Call(c) => format!("call {}", c.record(&r.meta).call_id),
                Item::Alert {
                    to_clickhouse,
                    to_lanes,
                    ..
                } => format!("alert ch={to_clickhouse} lanes={to_lanes}"),
                Item::Skip { corrupt } => format!("skip {corrupt}"),
            });
            r.read = next;
        }
        assert_eq!(
            seen,
            [
                "skip false",                // call c1: inserted before the crash
                "alert ch=true lanes=false", // ClickHouse had not got it; the lanes had
                "call c2",
                "alert ch=true lanes=true",
            ],
        );
        assert!(r.done());
        assert_eq!(r.acks().least(), r.ring.write_pos());
    }
}
