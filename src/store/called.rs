// SPDX-License-Identifier: MIT OR Apache-2.0
//! Which numbers were called lately: the stamp table of the embedded and
//! shared-memory stores (`contract::Called`).
//!
//! A fixed array of 4-byte entries in buckets of four (16 bytes, a quarter
//! of a cache line): an entry is a 16-bit fingerprint of a number and the
//! minute it was last called (16 bits, modulo 65,536 minutes: 45 days). A
//! number's bucket and fingerprint come from a seeded hash. Stamping a
//! callee updates its entry, else takes the bucket's oldest; asking finds
//! the number's entry in its bucket. No locks (racing stamps may lose one:
//! a number then reads as not called), no allocation after start, 4 bytes
//! an entry whatever the traffic.
//!
//! Errors, both bounded: a number never called reads as called only when
//! another number of its bucket has the same fingerprint and a recent stamp
//! (at most 4 in 65,535: 0.006%); a called number is forgotten early when
//! four other numbers of its bucket were called after it — with N distinct
//! callees an hour and B buckets, a Poisson tail: for a stamp an hour old
//! at N/B = 1 (a million callees an hour in the 1 Mi buckets of
//! `store.max_keys` = 2 M) 1.9%, at N/B = 2 (the same in the default
//! 512 Ki buckets) 14%, at N/B = 0.1 (50,000 callees an hour) under 0.001%.
//! A forgotten stamp only makes a called number judged as an uncalled one:
//! the rule as it was without this table.

use std::sync::atomic::{AtomicU32, Ordering};

/// Entries per bucket.
pub(super) const WAYS: usize = 4;
/// Minutes a stamp can be ahead of the asking event (late events) and
/// still read as recent: a day.
const AHEAD_MIN: u16 = 1440;

/// Stamps over entries kept elsewhere (a boxed slice, or the shared region).
pub struct Stamps<'a> {
    slots: &'a [AtomicU32],
    seed: u64,
}

/// The number of entries for `max_keys` tracked keys: twice `max_keys`
/// rounded up to a power of two (2 to 4 entries, 8 to 16 bytes, a key).
pub fn slots_for(max_keys: usize) -> usize {
    max_keys.clamp(512, 1 << 29).next_power_of_two() * 2
}

/// The minute of an event time, modulo 65,536.
#[inline]
fn minute(time_ms: i64) -> u16 {
    time_ms.div_euclid(60_000) as u16
}

impl<'a> Stamps<'a> {
    /// `slots.len()` must be a power of two, at least [`WAYS`].
    pub fn new(slots: &'a [AtomicU32], seed: u64) -> Stamps<'a> {
        debug_assert!(slots.len().is_power_of_two() && slots.len() >= WAYS);
        Stamps { slots, seed }
    }

    /// The number's bucket and fingerprint (never 0: 0 is an empty entry).
    #[inline]
    fn at(&self, number: &[u8]) -> (&[AtomicU32], u32) {
        use std::hash::BuildHasher;
        // foldhash with the table's seed: the same in every process that
        // shares the table, not guessable from outside.
        let h = foldhash::fast::FixedState::with_seed(self.seed).hash_one(number);
        let buckets = self.slots.len() / WAYS;
        let b = (h as usize) & (buckets - 1);
        let fp = ((h >> 48) as u32).max(1);
        (&self.slots[b * WAYS..b * WAYS + WAYS], fp)
    }

    /// Starts loading the number's bucket (a stamp written after a call's
    /// windows then finds it in cache).
    #[inline]
    pub fn prefetch(&self, number: &[u8]) {
        let (bucket, _) = self.at(number);
        crate::store::prefetch::prefetch_line(bucket.as_ptr() as *const u8);
    }

    /// Remembers `number` as called at `time_ms`.
    #[inline]
    pub fn stamp(&self, number: &[u8], time_ms: i64) {
        let (bucket, fp) = self.at(number);
        let now = minute(time_ms);
        let entry = fp << 16 | now as u32;
        // Its own entry, else an empty one, else the oldest.
        let mut victim = 0;
        let mut oldest = 0u16;
        for (i, e) in bucket.iter().enumerate() {
            let v = e.load(Ordering::Relaxed);
            if v >> 16 == fp {
                // A late call does not move the stamp back.
                if age(now, v as u16) < u16::MAX - AHEAD_MIN {
                    e.store(entry, Ordering::Relaxed);
                }
                return;
            }
            let a = if v == 0 { u16::MAX } else { age(now, v as u16) };
            if a >= oldest {
                oldest = a;
                victim = i;
            }
        }
        bucket[victim].store(entry, Ordering::Relaxed);
    }

    /// Whether `number` was stamped at a minute no earlier than that of
    /// `since_ms` (rounded down), and at most a day after `time_ms`.
    #[inline]
    pub fn called_since(&self, number: &[u8], since_ms: i64, time_ms: i64) -> bool {
        let (bucket, fp) = self.at(number);
        let now = minute(time_ms);
        let span = now.wrapping_sub(minute(since_ms));
        bucket.iter().any(|e| {
            let v = e.load(Ordering::Relaxed);
            let a = age(now, v as u16);
            v >> 16 == fp && (a <= span || a > u16::MAX - AHEAD_MIN)
        })
    }

    /// Whether the window's key was called within its `Called::within_ms`
    /// (false for a window without a `Called`).
    #[inline]
    pub fn called_lately(&self, op: &crate::contract::WindowOp) -> bool {
        op.called.is_some_and(|c| {
            self.called_since(
                op.key.as_bytes(),
                op.time_ms - c.within_ms as i64,
                op.time_ms,
            )
        })
    }

    /// The threshold a window judges against once its count reached `threshold`.
    #[inline]
    pub fn judged(&self, op: &crate::contract::WindowOp, threshold: u32) -> u32 {
        match op.called {
            Some(c) if self.called_lately(op) => threshold.saturating_mul(c.factor.get()),
            _ => threshold,
        }
    }
}

/// Minutes from a stamp to `now`, modulo 65,536.
#[inline]
fn age(now: u16, stamp: u16) -> u16 {
    now.wrapping_sub(stamp)
}

/// A table owned by one process (the embedded store).
pub struct OwnedStamps {
    slots: Box<[AtomicU32]>,
    seed: u64,
}

impl OwnedStamps {
    pub fn new(max_keys: usize, seed: u64) -> OwnedStamps {
        Self::with_slots(slots_for(max_keys), seed)
    }

    /// A table of `n` entries (a power of two, at least [`WAYS`]).
    pub fn with_slots(n: usize, seed: u64) -> OwnedStamps {
        // Zeroed pages from the allocator, touched only where stamped.
        let zeroed: Box<[u32]> = vec![0u32; n].into_boxed_slice();
        // SAFETY: `AtomicU32` has the same size, alignment and bit validity
        // as `u32` (its documentation says so), so the slice is reinterpreted
        // in place and freed with the same layout.
        let slots = unsafe { Box::from_raw(Box::into_raw(zeroed) as *mut [AtomicU32]) };
        OwnedStamps { slots, seed }
    }

    pub fn stamps(&self) -> Stamps<'_> {
        Stamps::new(&self.slots, self.seed)
    }

    /// These entries read as spells (`store::spell`); a store keeps its
    /// spells in a table of their own ([`OwnedStamps::with_slots`]).
    pub fn spells(&self) -> super::spell::Spells<'_> {
        super::spell::Spells::new(&self.slots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn a_called_number_is_found_and_forgotten_after_its_window() {
        let t = OwnedStamps::new(1024, 7);
        let s = t.stamps();
        let n = b"+2348031234567";
        let t0 = 1_700_000_000_000i64;
        s.stamp(n, t0);
        assert!(s.called_since(n, t0 - H, t0));
        assert!(s.called_since(n, t0 + 59 * 60_000 - H, t0 + 59 * 60_000));
        // A stamp in the minute before the window's first: gone.
        assert!(!s.called_since(n, t0 + 2 * H - H, t0 + 2 * H));
        assert!(!s.called_since(b"+2348037654321", t0 - H, t0));
        // A late call never moves the stamp back; a stamp after the
        // asking event (a late event asking) still counts.
        s.stamp(n, t0 - 3 * H);
        assert!(s.called_since(n, t0 - H, t0));
        assert!(s.called_since(n, t0 - 10 * 60_000 - H, t0 - 10 * 60_000));
    }

    #[test]
    fn few_uncalled_numbers_read_as_called_and_few_called_are_forgotten() {
        // 512 buckets of 4, 1,024 callees in the hour: 2 a bucket.
        let t = OwnedStamps::new(1024, 1);
        let s = t.stamps();
        let t0 = 1_700_000_000_000i64;
        for i in 0..1024i64 {
            s.stamp(format!("+23480{i:08}").as_bytes(), t0 + i * 3_000);
        }
        let end = t0 + 1024 * 3_000;
        let wrong = (0..100_000u32)
            .filter(|i| s.called_since(format!("+23481{i:08}").as_bytes(), end - H, end))
            .count();
        assert!(
            wrong < 20,
            "{wrong} of 100,000 uncalled numbers read as called"
        );
        let lost = (0..1024u32)
            .filter(|i| !s.called_since(format!("+23480{i:08}").as_bytes(), end - H, end))
            .count();
        // Poisson(2) >= 4 newer in the bucket, for the oldest: under 15%; on average less.
        assert!(lost < 100, "{lost} of 1,024 called numbers forgotten");
    }
}
