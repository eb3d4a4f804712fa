// SPDX-License-Identifier: MIT OR Apache-2.0
//! Alert evidence kept by the embedded store: append-only byte logs.
//!
//! Every call the windows count leaves one short record (time, Call-ID,
//! numbers, source) that an alert may later quote; all the call's windows
//! keep only where it lies: nothing is allocated, reference-counted or freed
//! per call, and reclaiming a window costs nothing for its evidence.
//!
//! Whole chunks are retired once every record in them is older than the
//! longest window the log has served (no window can quote them any more), or
//! when the log passes its byte cap, oldest first; an alert then quotes fewer
//! calls, and the records lost that way are counted.

use std::collections::VecDeque;

use compact_str::CompactString;

use crate::contract::Evidence;

/// Bytes per chunk; a record is at most ~600 bytes (field limits of `Call`).
const CHUNK_BYTES: usize = 16 * 1024;
/// Offsets each chunk spans: every chunk starts at a multiple of this, so the chunk of an
/// offset is found by arithmetic (no search). Larger than any record (four strings of at
/// most 64 KiB each); unused offsets cost nothing, 2^56 of them last for centuries.
const CHUNK_SPAN: u64 = 1 << 20;
/// Most bytes one log keeps unless told otherwise (the store's logs share
/// `store.evidence_max_bytes`).
const DEFAULT_MAX_BYTES: usize = 16 << 20;
/// Smallest cap of one log: a few chunks.
pub(super) const MIN_MAX_BYTES: usize = 4 * CHUNK_BYTES;

/// Most bytes a log with cap `max_bytes` holds at once: its cap plus the chunk being
/// filled and a spare.
pub(super) fn max_held_bytes(max_bytes: usize) -> usize {
    max_bytes.max(MIN_MAX_BYTES) + 2 * CHUNK_BYTES
}
/// Records are kept this long past the longest window, for late events.
const RETAIN_SLACK_MS: i64 = 1_000;

struct Chunk {
    /// Offset of `data[0]` in the log.
    base: u64,
    /// Latest event time of a record in the chunk.
    newest_ms: i64,
    records: u32,
    data: Vec<u8>,
}

/// One shard's evidence log. Offsets grow forever; a retired offset reads as `None`.
pub(super) struct EvidenceLog {
    chunks: VecDeque<Chunk>,
    /// A retired chunk's buffer, reused for the next chunk.
    spare: Option<Vec<u8>>,
    next: u64,
    /// Sum of the chunks' buffer capacities.
    held: usize,
    newest_ms: i64,
    longest_window_ms: i64,
    /// Most bytes kept: past it the oldest chunks go, quotable or not.
    max_bytes: usize,
}

impl Default for EvidenceLog {
    fn default() -> Self {
        EvidenceLog::new(DEFAULT_MAX_BYTES)
    }
}

/// A field's bytes as recorded: at most `u16::MAX` of them.
fn clipped(b: &[u8]) -> &[u8] {
    &b[..b.len().min(u16::MAX as usize)]
}

fn take_str<'a>(data: &'a [u8], at: &mut usize, len: u16) -> Option<&'a str> {
    let s = data.get(*at..*at + len as usize)?;
    *at += len as usize;
    crate::store::evidence_text(s)
}

impl EvidenceLog {
    /// An empty log keeping at most `max_bytes` (at least [`MIN_MAX_BYTES`]).
    pub fn new(max_bytes: usize) -> EvidenceLog {
        EvidenceLog {
            chunks: VecDeque::new(),
            spare: None,
            next: 0,
            held: 0,
            newest_ms: i64::MIN,
            longest_window_ms: 0,
            max_bytes: max_bytes.max(MIN_MAX_BYTES),
        }
    }

    /// Notes that a window of `window_ms` quotes this log: records are kept
    /// at least that long.
    pub fn serves_window(&mut self, window_ms: i64) {
        self.longest_window_ms = self.longest_window_ms.max(window_ms);
    }

    /// Appends one call's record; answers its offset and how many older
    /// records the byte cap pushed out.
    pub fn append(&mut self, e: &Evidence) -> (u64, u64) {
        self.newest_ms = self.newest_ms.max(e.time_ms);
        // Each field's bytes found once (a `CompactString` decides where its
        // bytes are at every look).
        let fields = [
            clipped(e.call_id.as_bytes()),
            clipped(e.a_number.as_bytes()),
            clipped(e.b_number.as_bytes()),
            clipped(e.source.as_bytes()),
        ];
        let need = 8 + 8 + fields.iter().map(|f| f.len()).sum::<usize>();
        let fits = self.chunks.back().is_some_and(|c| {
            c.data.len() + need <= c.data.capacity() && (c.data.len() + need) as u64 <= CHUNK_SPAN
        });
        if !fits {
            let mut data = self
                .spare
                .take()
                .unwrap_or_else(|| Vec::with_capacity(CHUNK_BYTES));
            data.clear();
            data.reserve(need);
            self.held += data.capacity();
            self.chunks.push_back(Chunk {
                base: self.next.next_multiple_of(CHUNK_SPAN),
                newest_ms: i64::MIN,
                records: 0,
                data,
            });
        }
        let chunk = self.chunks.back_mut().expect("a chunk was just ensured");
        let at = chunk.base + chunk.data.len() as u64;
        let before = chunk.data.len();
        // A record: its time and the four fields' lengths (16 bytes, one
        // copy), then the fields' bytes.
        let mut head = [0u8; 16];
        head[..8].copy_from_slice(&e.time_ms.to_le_bytes());
        for (i, f) in fields.iter().enumerate() {
            head[8 + 2 * i..10 + 2 * i].copy_from_slice(&(f.len() as u16).to_le_bytes());
        }
        chunk.data.extend_from_slice(&head);
        for f in fields {
            chunk.data.extend_from_slice(f);
        }
        chunk.newest_ms = chunk.newest_ms.max(e.time_ms);
        chunk.records += 1;
        // The next record's lines (~85 bytes a record): a reused chunk's
        // buffer is long cold, and a store into a line not in cache holds up
        // the lock release that follows until the line arrives.
        let end = chunk.data.len();
        let spare = chunk.data.spare_capacity_mut();
        for ahead in [64, 128] {
            if let Some(b) = spare.get(ahead) {
                crate::store::prefetch::prefetch_line(b.as_ptr());
            }
        }
        self.next = at + (end - before) as u64;
        (at, self.retire())
    }

    /// Retires chunks no window can quote, and the oldest past the byte cap.
    /// Answers how many records went before their time.
    fn retire(&mut self) -> u64 {
        let horizon = self
            .newest_ms
            .saturating_sub(self.longest_window_ms.saturating_add(RETAIN_SLACK_MS));
        let mut early = 0;
        while self.chunks.len() > 1 {
            let front = &self.chunks[0];
            let expired = front.newest_ms <= horizon;
            if !expired && self.bytes() <= self.max_bytes {
                break;
            }
            if !expired {
                early += front.records as u64;
            }
            let c = self.chunks.pop_front().expect("more than one chunk");
            self.held -= c.data.capacity();
            self.spare = Some(c.data);
        }
        early
    }

    /// Bytes the log holds: its chunks' buffers.
    pub fn bytes(&self) -> usize {
        self.held
    }

    /// Where the record at `offset` lies: its chunk and position, unless retired.
    fn locate(&self, offset: u64) -> Option<(&Chunk, usize)> {
        let first = self.chunks.front()?.base;
        if offset < first || offset >= self.next {
            return None;
        }
        let c = self
            .chunks
            .get(((offset - first) / CHUNK_SPAN) as usize)
            .filter(|c| offset >= c.base)?;
        Some((c, (offset - c.base) as usize))
    }

    /// Starts loading the record at `offset` (alerts quote up to 16 records
    /// written long ago: fetched together, their misses overlap).
    pub fn prefetch(&self, offset: u64) {
        if let Some((c, at)) = self.locate(offset) {
            if let Some(b) = c.data.get(at..) {
                crate::store::prefetch::prefetch_line(b.as_ptr());
                if b.len() > 64 {
                    crate::store::prefetch::prefetch_line(b[64..].as_ptr());
                }
            }
        }
    }

    /// The record at `offset`, unless it was retired.
    pub fn get(&self, offset: u64) -> Option<Evidence> {
        let (c, mut at) = self.locate(offset)?;
        let data = &c.data[..];
        let head: &[u8; 16] = data.get(at..at + 16)?.try_into().ok()?;
        let time_ms = i64::from_le_bytes(head[..8].try_into().ok()?);
        let len = |i: usize| u16::from_le_bytes([head[8 + 2 * i], head[9 + 2 * i]]);
        at += 16;
        let mut field = |i| take_str(data, &mut at, len(i)).map(CompactString::from);
        Some(Evidence {
            time_ms,
            call_id: field(0)?,
            a_number: field(1)?,
            b_number: field(2)?,
            source: field(3)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: i64, id: &str) -> Evidence {
        Evidence {
            time_ms: t,
            call_id: id.into(),
            a_number: "+2348031234567".into(),
            b_number: "+2348099999999".into(),
            source: "trunk:intl-gw-1".into(),
        }
    }

    #[test]
    fn records_read_back_until_no_window_can_quote_them() {
        let mut log = EvidenceLog::default();
        log.serves_window(5_000);
        let (first, _) = log.append(&ev(1_000, "first"));
        assert_eq!(log.get(first), Some(ev(1_000, "first")));
        let long_id = "x".repeat(256);
        let mut offsets = vec![];
        // Enough records to fill many chunks, all within one window.
        for i in 0..2_000 {
            offsets.push(log.append(&ev(2_000 + i, &long_id)).0);
        }
        assert_eq!(log.get(first), Some(ev(1_000, "first")));
        assert_eq!(log.get(offsets[1_999]), Some(ev(3_999, &long_id)));
        // Time passes beyond window + slack: the old chunks retire.
        let (late, early) = log.append(&ev(20_000, "late"));
        assert_eq!(early, 0, "retired by time, not by the cap");
        assert_eq!(log.get(first), None);
        assert_eq!(log.get(offsets[0]), None);
        assert_eq!(log.get(late), Some(ev(20_000, "late")));
        assert_eq!(log.get(late + 1_000_000), None);
    }

    #[test]
    fn every_held_record_is_found_across_chunks_and_retirements() {
        // Chunks start on CHUNK_SPAN boundaries and a record's chunk is found by
        // arithmetic: check it against every record, before and after the oldest
        // chunks are retired, and that offsets between records or chunks read nothing.
        let mut log = EvidenceLog::default();
        log.serves_window(10_000);
        let ids: Vec<String> = (0..3_000)
            .map(|i| format!("call-{i}-{}", "x".repeat(i % 90)))
            .collect();
        let offsets: Vec<u64> = (0..3_000)
            .map(|i| log.append(&ev(1_000 + i as i64, &ids[i])).0)
            .collect();
        assert!(log.chunks.len() > 5, "the test spans several chunks");
        assert!(log.chunks.iter().all(|c| c.base % CHUNK_SPAN == 0));
        for (i, &at) in offsets.iter().enumerate() {
            assert_eq!(
                log.get(at),
                Some(ev(1_000 + i as i64, &ids[i])),
                "record {i}"
            );
        }
        let last_of_first_chunk = log.chunks[0].base + log.chunks[0].data.len() as u64;
        assert_eq!(log.get(last_of_first_chunk), None, "past a chunk's end");
        // Time moves on: the records of the first 2,000 ms retire with their chunks.
        log.append(&ev(13_000, "later"));
        let held = offsets.iter().filter(|&&at| log.get(at).is_some()).count();
        assert!(held > 0 && held < 3_000, "some retired, some held: {held}");
        for (i, &at) in offsets.iter().enumerate() {
            if let Some(e) = log.get(at) {
                assert_eq!(
                    e,
                    ev(1_000 + i as i64, &ids[i]),
                    "record {i} after retiring"
                );
            }
        }
    }

    #[test]
    fn the_byte_cap_drops_the_oldest_and_counts_them() {
        let mut log = EvidenceLog::default();
        let id = "y".repeat(200);
        log.serves_window(60_000);
        let first = log.append(&ev(0, &id)).0;
        let mut early = 0;
        for i in 0..(2 * DEFAULT_MAX_BYTES / 250) {
            // All within the window: only the cap retires them.
            early += log.append(&ev((i / 100) as i64, &id)).1;
        }
        assert!(early > 0);
        assert!(log.bytes() <= DEFAULT_MAX_BYTES + CHUNK_BYTES);
        assert_eq!(log.get(first), None);
    }
}
