// SPDX-License-Identifier: MIT OR Apache-2.0
//! One shard: its lock, its slab of records and the key index over it.
//!
//! The index is an open-addressing table of 8-byte entries with linear
//! probing (the top 32 bits of a record's key, which also pick the home
//! position, and the record number + 1), as in the embedded store: eight
//! entries a cache line, removal by shifting later entries back (no
//! tombstones). A tag match is only a candidate; the record's full key
//! confirms it. The table is sized for the shard's records at a load of at
//! most 5/8 when the region is made, and never grows.
//!
//! Records are handed out from a free list, else from the never-used rest of
//! the slab (so pages are touched only as the shard fills). A sweeping hand
//! looks at two records whenever a window is created (sixteen once the shard
//! is 7/8 full) and reclaims those whose window and cooldown (or block) have
//! passed in event time (`LATE_MS` ago: the store contract's late events),
//! one step after it found them (what a step touches is prefetched a step
//! ahead, as in the embedded store); a full shard is swept whole at most once
//! a second of event time (less often, up to every 8 s, while its sweeps free
//! little: a shard full of live keys), and if still full a new key is not
//! tracked.

use std::sync::atomic::{AtomicU32, Ordering};

use super::lock::ShmMutex;
use super::region::Counters;
use super::window::{Ctx, Rec, EXPIRY_LINES, KIND_BLOCK, KIND_WINDOW};
use crate::store::prefetch::prefetch_line;

const EMPTY: u64 = 0;
const NIL: u32 = u32::MAX;
const SWEEP_STEP: usize = 2;
const SWEEP_STEP_NEAR_FULL: usize = 16;
const FULL_SWEEP_EVERY_MS: i64 = 1000;
/// A whole-shard sweep that frees under 1/16 of the shard doubles the time
/// to the next, up to this (as the embedded store does).
const FULL_SWEEP_MAX_EVERY_MS: i64 = 8_000;

/// A shard's state, in the region.
#[repr(C, align(64))]
pub struct ShardHead {
    pub lock: ShmMutex,
    /// Set once a process died holding the lock.
    pub lost: AtomicU32,
    state: ShardState,
}

#[repr(C)]
struct ShardState {
    /// Records handed out at least once: `[0, used)`.
    used: u32,
    /// First free record (linked through `Rec::key`).
    free: u32,
    /// Records in use (windows and blocks): the unit of `max_keys`.
    live: u32,
    hand: u32,
    full_sweep_ms: i64,
    full_sweep_every_ms: i64,
    /// Records the hand's last step found expired, `pending[..npending]`:
    /// reclaimed by the next step if still expired, their index lines
    /// prefetched in between.
    npending: u32,
    pending: [u32; SWEEP_STEP_NEAR_FULL],
}

impl ShardHead {
    /// # Safety
    /// Once, before the region is shared.
    pub unsafe fn init(p: *mut ShardHead) -> Result<(), String> {
        ShmMutex::init(&raw mut (*p).lock)?;
        (*p).state = ShardState {
            used: 0,
            free: NIL,
            live: 0,
            hand: 0,
            full_sweep_ms: i64::MIN,
            full_sweep_every_ms: FULL_SWEEP_EVERY_MS,
            npending: 0,
            pending: [NIL; SWEEP_STEP_NEAR_FULL],
        };
        Ok(())
    }
}

fn tag(k: u64) -> u64 {
    k >> 32
}

/// A shard while its lock is held.
pub struct Shard<'a> {
    st: &'a mut ShardState,
    index: &'a mut [u64],
    recs: &'a mut [Rec],
}

impl<'a> Shard<'a> {
    /// # Safety
    /// The caller holds `head`'s lock for as long as the answer lives;
    /// `index` and `recs` are that shard's.
    pub unsafe fn held(
        head: *mut ShardHead,
        index: &'a mut [u64],
        recs: &'a mut [Rec],
    ) -> Shard<'a> {
        Shard {
            st: &mut (*head).state,
            index,
            recs,
        }
    }

    pub fn rec(&mut self, i: u32) -> &mut Rec {
        &mut self.recs[i as usize]
    }

    fn mask(&self) -> usize {
        self.index.len() - 1
    }

    /// The record whose key is `k` and that `holds` confirms.
    pub fn find(&self, k: u64, holds: impl Fn(&Rec) -> bool) -> Option<u32> {
        let mask = self.mask();
        let mut i = tag(k) as usize & mask;
        loop {
            let e = self.index[i];
            if e == EMPTY {
                return None;
            }
            if e >> 32 == tag(k) {
                let r = (e as u32).wrapping_sub(1);
                let rec = &self.recs[r as usize];
                if rec.key == k && holds(rec) {
                    return Some(r);
                }
            }
            i = (i + 1) & mask;
        }
    }

    fn index_insert(&mut self, k: u64, r: u32) {
        let mask = self.mask();
        let mut i = tag(k) as usize & mask;
        while self.index[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.index[i] = (tag(k) << 32) | (r as u64 + 1);
    }

    fn index_remove(&mut self, k: u64, r: u32) {
        let mask = self.mask();
        let target = (tag(k) << 32) | (r as u64 + 1);
        let mut i = tag(k) as usize & mask;
        while self.index[i] != target {
            if self.index[i] == EMPTY {
                debug_assert!(false, "removing a record that is not indexed");
                return;
            }
            i = (i + 1) & mask;
        }
        let mut hole = i;
        let mut j = (i + 1) & mask;
        while self.index[j] != EMPTY {
            let e = self.index[j];
            let home = (e >> 32) as usize & mask;
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.index[hole] = e;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.index[hole] = EMPTY;
    }

    /// Takes a record for key `k` and indexes it; the caller fills it.
    fn take(&mut self, k: u64, counters: &Counters) -> Option<u32> {
        let r = if self.st.free != NIL {
            let r = self.st.free;
            self.st.free = self.recs[r as usize].key as u32;
            r
        } else if (self.st.used as usize) < self.recs.len() {
            self.st.used += 1;
            self.st.used - 1
        } else {
            return None;
        };
        self.recs[r as usize].key = k;
        self.index_insert(k, r);
        self.st.live += 1;
        counters.keys.fetch_add(1, Ordering::Relaxed);
        Some(r)
    }

    /// Frees record `r`: out of the index, its extent back, onto the free list.
    fn reclaim(&mut self, r: u32, ctx: &Ctx) {
        let k = self.recs[r as usize].key;
        self.index_remove(k, r);
        let rec = &mut self.recs[r as usize];
        rec.release(ctx);
        rec.key = self.st.free as u64;
        self.st.free = r;
        self.st.live -= 1;
        ctx.counters.reclaimed.fetch_add(1, Ordering::Relaxed);
        ctx.counters.keys.fetch_sub(1, Ordering::Relaxed);
    }

    /// Whether record `r` may be freed at event time `now`: `LATE_MS` past
    /// its expiry (the store contract's late events).
    fn expired(&self, r: u32, now: i64) -> bool {
        let rec = &self.recs[r as usize];
        matches!(rec.kind, KIND_WINDOW | KIND_BLOCK)
            && rec.expires_at() <= now.saturating_sub(crate::store::LATE_MS)
    }

    /// One step of the sweeping hand, made whenever a record is about to be
    /// taken: reclaims what the last step found, then looks at the next
    /// records. The hand moves a few records at a time through a shard of
    /// thousands, too slowly for the hardware's prefetcher: each record it
    /// looked at, and the index line of each it reclaimed, was a miss. So
    /// what a step will touch is prefetched a step ahead: the records it
    /// will look at, the index lines of those it will reclaim.
    fn sweep_step(&mut self, now: i64, max: usize, ctx: &Ctx) {
        // (Bounded again: the state lives in memory other processes write.)
        for p in 0..(self.st.npending as usize).min(SWEEP_STEP_NEAR_FULL) {
            let r = self.st.pending[p];
            // Not if a call used the key since, or a whole-shard sweep
            // freed the record (a free record is not expired).
            if self.expired(r, now) {
                self.reclaim(r, ctx);
            }
        }
        self.st.npending = 0;
        let step = if self.st.live as usize * 8 > max * 7 {
            SWEEP_STEP_NEAR_FULL
        } else {
            SWEEP_STEP
        };
        for _ in 0..step {
            if self.st.hand >= self.st.used {
                if self.st.used == 0 {
                    return;
                }
                self.st.hand = 0;
            }
            let r = self.st.hand;
            self.st.hand += 1;
            if self.expired(r, now) {
                let k = self.recs[r as usize].key;
                prefetch_line((&self.index[tag(k) as usize & self.mask()] as *const u64).cast());
                self.st.pending[self.st.npending as usize] = r;
                self.st.npending += 1;
            }
        }
        // The next step's records, as far as `expires_at` reads them.
        let end = (self.st.hand as usize + step).min(self.st.used as usize);
        for rec in self
            .recs
            .get(self.st.hand as usize..end)
            .unwrap_or_default()
        {
            // Records are line-aligned: no need to work out the lines.
            let p: *const u8 = (rec as *const Rec).cast();
            for line in 0..EXPIRY_LINES {
                prefetch_line(p.wrapping_add(64 * line));
            }
        }
    }

    /// Reclaims every expired record (when the shard is full).
    fn sweep(&mut self, now: i64, ctx: &Ctx) {
        for r in 0..self.st.used {
            if self.expired(r, now) {
                self.reclaim(r, ctx);
            }
        }
    }

    /// A record for a new key `k` at event time `now`, if there is room
    /// (after the hand's step, and a sweep of the whole shard when full).
    pub fn create(&mut self, k: u64, now: i64, max: usize, ctx: &Ctx) -> Option<u32> {
        self.sweep_step(now, max, ctx);
        if self.st.live as usize >= max
            && now.saturating_sub(self.st.full_sweep_ms) >= self.st.full_sweep_every_ms
        {
            self.st.full_sweep_ms = now;
            ctx.counters.full_sweeps.fetch_add(1, Ordering::Relaxed);
            let before = self.st.live as usize;
            self.sweep(now, ctx);
            // Under a shared lock, a walk over every record that finds what
            // the hand already took only stalls the other workers: back off.
            let freed = before.saturating_sub(self.st.live as usize);
            self.st.full_sweep_every_ms = if freed.saturating_mul(16) < max {
                (self.st.full_sweep_every_ms.saturating_mul(2)).min(FULL_SWEEP_MAX_EVERY_MS)
            } else {
                FULL_SWEEP_EVERY_MS
            };
        }
        if self.st.live as usize >= max {
            return None;
        }
        self.take(k, ctx.counters)
    }

    /// A record for key `k` if the shard is below `max`, without sweeping
    /// (auto-blocks: they carry no event time to sweep by).
    pub fn take_if_room(&mut self, k: u64, max: usize, counters: &Counters) -> Option<u32> {
        if self.st.live as usize >= max {
            return None;
        }
        self.take(k, counters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `f` on the first shard of a fresh region laid out for
    /// `max_keys` keys (and the shard's record count), lock not taken.
    fn with_first_shard(max_keys: usize, f: impl FnOnce(&mut Shard<'_>, &Ctx<'_>, usize)) {
        use crate::store::shm::arena::{Arena, ArenaHead};
        use crate::store::shm::region::{Layout, Region};
        let layout = Layout::new(max_keys, 100);
        let r = Region::map(layout.total).unwrap();
        let arena = unsafe { Arena::new(r.base(), r.base() as *mut ArenaHead, &layout) };
        unsafe { arena.init().unwrap() };
        let counters = Counters::default();
        let ctx = Ctx {
            arena: &arena,
            budget: std::time::Duration::from_secs(1),
            counters: &counters,
        };
        let head = unsafe { r.base().add(layout.shard_heads) } as *mut ShardHead;
        unsafe { ShardHead::init(head).unwrap() };
        let index = unsafe {
            std::slice::from_raw_parts_mut(
                r.base().add(layout.indexes) as *mut u64,
                layout.index_cap as usize,
            )
        };
        let recs = unsafe {
            std::slice::from_raw_parts_mut(
                r.base().add(layout.records) as *mut Rec,
                layout.records_per_shard as usize,
            )
        };
        let mut shard = unsafe { Shard::held(head, index, recs) };
        f(&mut shard, &ctx, layout.records_per_shard as usize);
    }

    /// A shard full of live windows is not swept whole on every second of
    /// attempts: the sweeps back off, and come back once windows expire.
    #[test]
    fn a_full_shard_of_live_windows_sweeps_less_often() {
        with_first_shard(64 * 200, |shard, ctx, _| {
            let counters = ctx.counters;
            let max = 200;
            // Full of windows live for an hour.
            for k in 1..=max as u64 {
                let rec = shard.create(k, 0, max, ctx).unwrap();
                shard.rec(rec).init_window(k, 1, 0, 3_600_000);
            }
            // A new key every 10 ms for 60 s: every attempt finds it full.
            for i in 0..6_000i64 {
                assert!(shard.create(1_000 + i as u64, 10 * i, max, ctx).is_none());
            }
            // Once a second would be 60 sweeps; backed off: 0, 1, 3, 7, 15, 23, ... s.
            let sweeps = counters.full_sweeps.load(Ordering::Relaxed);
            assert!((5..=12).contains(&sweeps), "{sweeps} full sweeps");
            // An hour later they have expired: a new key gets a record.
            assert!(shard.create(99_999, 3_700_000, max, ctx).is_some());
        });
    }

    /// The hand reclaims a record one step after it finds it expired (its
    /// index line is prefetched in between), and not if the key was used
    /// again meanwhile.
    #[test]
    fn the_hand_reclaims_a_step_later_unless_the_key_came_back() {
        with_first_shard(64 * 200, |shard, ctx, _| {
            let max = 200;
            let a = shard.create(1, 0, max, ctx).unwrap();
            shard.rec(a).init_window(1, 1, 0, 10);
            let b = shard.create(2, 0, max, ctx).unwrap();
            shard.rec(b).init_window(2, 1, 0, 10);
            // A minute later both have expired: the step made for a new key
            // finds them, and leaves them to the next step.
            let t = 60_000;
            let c = shard.create(3, t, max, ctx).unwrap();
            shard.rec(c).init_window(3, 1, t, 10);
            assert_eq!(shard.st.npending, 2);
            assert_eq!(shard.find(1, |_| true), Some(a));
            assert_eq!(shard.find(2, |_| true), Some(b));
            assert_eq!(shard.st.live, 3);
            // Key 1 is used again before the next step: it stays.
            shard.rec(a).init_window(1, 1, t, 10);
            let d = shard.create(4, t, max, ctx).unwrap();
            shard.rec(d).init_window(4, 1, t, 10);
            assert_eq!(shard.find(1, |_| true), Some(a));
            assert_eq!(shard.find(2, |_| true), None);
            assert_eq!(shard.st.live, 3);
            assert_eq!(ctx.counters.reclaimed.load(Ordering::Relaxed), 1);
        });
    }

    /// The index against a plain map through a long random run of records
    /// taken and reclaimed, with keys that share tags and home positions.
    #[test]
    fn records_are_found_while_keys_come_and_go() {
        with_first_shard(64 * 4_000, |shard, ctx, records| {
            let max = records;
            let mut by_key: std::collections::HashMap<u64, u32> = Default::default();
            let mut seed = 0x2545_f491_4f6c_dd1du64;
            for _ in 0..60_000 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let k = seed % 3_000;
                let key = ((k % 512) << 32) | (k + 1);
                match by_key.get(&key).copied() {
                    Some(r) if !seed.is_multiple_of(3) => {
                        shard.reclaim(r, ctx);
                        by_key.remove(&key);
                    }
                    Some(_) => {}
                    None => {
                        let r = shard.create(key, 0, max, ctx).unwrap();
                        shard.rec(r).init_window(key, 1, 1_000, 10);
                        by_key.insert(key, r);
                    }
                }
                let k2 = (seed >> 20) % 3_000;
                let probe = ((k2 % 512) << 32) | (k2 + 1);
                assert_eq!(shard.find(probe, |_| true), by_key.get(&probe).copied());
            }
            for (&key, &r) in &by_key {
                assert_eq!(shard.find(key, |_| true), Some(r));
            }
            assert_eq!(shard.st.live as usize, by_key.len());
        });
    }
}
