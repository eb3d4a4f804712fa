// SPDX-License-Identifier: MIT OR Apache-2.0
//! Alert evidence in the region: byte rings, one record per call.
//!
//! As in the embedded store, a call leaves one short record (time, Call-ID,
//! numbers, source) in one of the logs, and each of its windows keeps only
//! where it lies (log number in the top byte, offset below). Offsets grow for
//! ever; a ring keeps the newest `ring_bytes` of them, so a record can be read
//! while `tail <= offset < head` and is gone once overwritten. Records
//! overwritten while still young enough for a window to quote them (within
//! the longest window the log serves) are counted (`evidence_evicted`): the
//! ring is then too small for the traffic, alerts quote fewer calls.
//!
//! Record: `u32 length · i64 time · 4 × (u16 length · bytes)`, written and
//! read across the ring's end as needed.

use std::sync::atomic::Ordering;

use compact_str::CompactString;

use super::lock::ShmMutex;
use super::region::{Counters, Layout, EVIDENCE_LOGS};
use crate::contract::Evidence;

/// Where an evidence record lies: log number above this bit, offset below.
pub const LOG_SHIFT: u32 = 56;
/// No record (the log could not be had).
pub const NONE: u64 = u64::MAX;
/// Longest string kept per field (the engine's own limits are lower).
const FIELD_MAX: usize = 1024;
/// Records are counted as lost early while this young past the longest window.
const RETAIN_SLACK_MS: i64 = 1_000;

/// One log's state, in the region.
#[repr(C)]
pub struct LogHead {
    pub lock: ShmMutex,
    head: u64,
    tail: u64,
    newest_ms: i64,
    longest_window_ms: i64,
}

/// A process's handle on the evidence logs.
pub struct Logs {
    heads: *mut LogHead,
    rings: *mut u8,
    ring_bytes: u64,
}

// SAFETY: each log is used only under its own lock.
unsafe impl Send for Logs {}
unsafe impl Sync for Logs {}

/// A log while its lock is held.
pub struct Log<'a> {
    head: &'a mut LogHead,
    ring: &'a mut [u8],
}

impl Logs {
    /// # Safety
    /// `base` is a mapped region laid out by `layout`.
    pub unsafe fn new(base: *mut u8, layout: &Layout) -> Logs {
        Logs {
            heads: base.add(layout.log_heads) as *mut LogHead,
            rings: base.add(layout.rings),
            ring_bytes: layout.ring_bytes,
        }
    }

    /// # Safety
    /// Once, before the region is shared.
    pub unsafe fn init(&self) -> Result<(), String> {
        for n in 0..EVIDENCE_LOGS {
            let h = self.heads.add(n);
            ShmMutex::init(&raw mut (*h).lock)?;
            (*h).newest_ms = i64::MIN;
        }
        Ok(())
    }

    /// Starts loading the record at `at` (log number in the top byte): its
    /// place follows from the offset alone, so no lock is needed.
    pub fn prefetch(&self, at: u64) {
        let n = (at >> LOG_SHIFT) as usize;
        if n >= EVIDENCE_LOGS {
            return;
        }
        let offset = (at & ((1 << LOG_SHIFT) - 1)) % self.ring_bytes;
        let p = self
            .rings
            .wrapping_add(n * self.ring_bytes as usize + offset as usize);
        crate::store::prefetch::prefetch_line(p);
        crate::store::prefetch::prefetch_line(p.wrapping_add(64));
    }

    pub fn lock_of(&self, n: usize) -> &ShmMutex {
        // SAFETY: `n < EVIDENCE_LOGS`; the heads are in the mapped region.
        unsafe { &(*self.heads.add(n)).lock }
    }

    /// Log `n`'s contents; call only while holding `lock_of(n)`.
    ///
    /// # Safety
    /// The caller holds log `n`'s lock for as long as the answer lives.
    pub unsafe fn held(&self, n: usize) -> Log<'_> {
        Log {
            head: &mut *self.heads.add(n),
            ring: std::slice::from_raw_parts_mut(
                self.rings.add(n * self.ring_bytes as usize),
                self.ring_bytes as usize,
            ),
        }
    }
}

fn field(s: &str) -> &[u8] {
    let b = s.as_bytes();
    if b.len() <= FIELD_MAX {
        return b;
    }
    let mut n = FIELD_MAX;
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &b[..n]
}

impl Log<'_> {
    fn write(&mut self, at: u64, bytes: &[u8]) {
        let cap = self.ring.len();
        let i = (at % cap as u64) as usize;
        let first = bytes.len().min(cap - i);
        self.ring[i..i + first].copy_from_slice(&bytes[..first]);
        self.ring[..bytes.len() - first].copy_from_slice(&bytes[first..]);
    }

    fn read(&self, at: u64, out: &mut [u8]) {
        let cap = self.ring.len();
        let i = (at % cap as u64) as usize;
        let first = out.len().min(cap - i);
        out[..first].copy_from_slice(&self.ring[i..i + first]);
        let rest = out.len() - first;
        out[first..].copy_from_slice(&self.ring[..rest]);
    }

    fn u32_at(&self, at: u64) -> u32 {
        let mut b = [0; 4];
        self.read(at, &mut b);
        u32::from_le_bytes(b)
    }

    fn i64_at(&self, at: u64) -> i64 {
        let mut b = [0; 8];
        self.read(at, &mut b);
        i64::from_le_bytes(b)
    }

    /// Notes that a window of `window_ms` quotes this log.
    pub fn serves_window(&mut self, window_ms: i64) {
        self.head.longest_window_ms = self.head.longest_window_ms.max(window_ms);
    }

    /// Appends one call's record; answers its offset.
    pub fn append(&mut self, e: &Evidence, counters: &Counters) -> u64 {
        let fields = [&e.call_id, &e.a_number, &e.b_number, &e.source].map(|s| field(s));
        let len = 4 + 8 + fields.iter().map(|f| 2 + f.len()).sum::<usize>();
        let len = len as u64;
        self.head.newest_ms = self.head.newest_ms.max(e.time_ms);
        // Make room: records at the tail are overwritten.
        let horizon = self
            .head
            .newest_ms
            .saturating_sub(self.head.longest_window_ms.saturating_add(RETAIN_SLACK_MS));
        let cap = self.ring.len() as u64;
        let mut early = 0;
        while self.head.head + len - self.head.tail > cap {
            let n = self.u32_at(self.head.tail) as u64;
            if self.i64_at(self.head.tail + 4) > horizon {
                early += 1;
            }
            self.head.tail += n;
        }
        if early > 0 {
            counters
                .evidence_evicted
                .fetch_add(early, Ordering::Relaxed);
        }
        let at = self.head.head;
        let mut pos = at;
        self.write(pos, &(len as u32).to_le_bytes());
        pos += 4;
        self.write(pos, &e.time_ms.to_le_bytes());
        pos += 8;
        for f in fields {
            self.write(pos, &(f.len() as u16).to_le_bytes());
            pos += 2;
            self.write(pos, f);
            pos += f.len() as u64;
        }
        self.head.head = pos;
        at
    }

    /// The record at `offset`, unless it was overwritten.
    pub fn get(&self, offset: u64) -> Option<Evidence> {
        if offset < self.head.tail || offset >= self.head.head {
            return None;
        }
        let len = self.u32_at(offset) as usize;
        if len < 12 || len as u64 > self.head.head - offset {
            return None;
        }
        let mut buf: smallvec::SmallVec<[u8; 640]> = smallvec::smallvec![0u8; len];
        self.read(offset, &mut buf);
        let time_ms = i64::from_le_bytes(buf[4..12].try_into().ok()?);
        let mut at = 12;
        let mut next = || -> Option<CompactString> {
            let n = u16::from_le_bytes(buf.get(at..at + 2)?.try_into().ok()?) as usize;
            let s = crate::store::evidence_text(buf.get(at + 2..at + 2 + n)?)?;
            at += 2 + n;
            Some(CompactString::from(s))
        };
        Some(Evidence {
            time_ms,
            call_id: next()?,
            a_number: next()?,
            b_number: next()?,
            source: next()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::shm::region::Region;

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
    fn records_read_back_across_the_end_until_overwritten() {
        let layout = Layout::new(1024, 100);
        let r = Region::map(layout.total).unwrap();
        let logs = unsafe { Logs::new(r.base(), &layout) };
        unsafe { logs.init().unwrap() };
        let counters = Counters::default();
        let _g = logs
            .lock_of(3)
            .lock(std::time::Duration::from_secs(1))
            .unwrap();
        let mut log = unsafe { logs.held(3) };
        log.serves_window(5_000);
        let ids: Vec<String> = (0..5_000)
            .map(|i| format!("c{i}-{}", "x".repeat(i % 37)))
            .collect();
        let mut at = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            at.push(log.append(&ev(i as i64, id), &counters));
        }
        let ring = layout.ring_bytes;
        let written = log.head.head;
        assert!(written > 3 * ring, "the test wraps the ring several times");
        let mut held = 0;
        for (i, &a) in at.iter().enumerate() {
            match log.get(a) {
                Some(e) => {
                    assert_eq!(e, ev(i as i64, &ids[i]), "record {i}");
                    held += 1;
                }
                None => assert!(written - a > ring - 200, "record {i} lost while young"),
            }
        }
        assert!(held > 100);
        assert_eq!(log.get(written), None);
        // All within the 5 s window: every overwrite was early.
        assert_eq!(
            counters.evidence_evicted.load(Ordering::Relaxed) as usize,
            5_000 - held
        );
    }
}
