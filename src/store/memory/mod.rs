// SPDX-License-Identifier: MIT OR Apache-2.0
//! The embedded window store: in-process, concurrent, memory-bounded.
//!
//! State is split over 64 shards, each behind its own mutex, so concurrent
//! checks rarely meet. A key string is found by one 64-bit hash, computed once
//! per request with a per-store random seed (so nobody outside can aim
//! collisions at it), through a compact open-addressing [`index`] (one cache
//! line per lookup) into a dense slab of slots; the windows of every rule on
//! that key share the slot. A window keeps its members by latest time (inline
//! while one, a sorted array up to 128 — every default rule's cap — then an
//! append-only time log plus a hash index), its latest event time, its alert
//! cooldown and its last 16 calls for evidence (where their records lie in
//! the store's [`evidence_log`]s: one record per call, shared by its windows).
//!
//! The keys of one call are unrelated, so their cache misses are overlapped:
//! the engine hints each key as soon as it knows it ([`MemoryStore::prefetch`],
//! lock-free), and `apply` starts loading every key's index line, then every
//! slot, before updating any.
//!
//! Memory is bounded three ways:
//! - members older than the window, or past the rule's cap, are dropped on
//!   every update;
//! - keys whose window and cooldown have passed (in event time, `LATE_MS`
//!   ago: the store contract's late events) are reclaimed by a sweeping hand
//!   that looks at two slots whenever a window is created (and prefetches
//!   a step ahead: the window arrays of its next step's slots, the slots of
//!   the step after): an even, bounded cost per call
//!   (no pauses for a sweep of a whole shard), and the slab stays within about
//!   twice the live windows;
//! - at most `max_keys` keys are tracked. When a shard is full, it is swept (at
//!   most once per second of event time) and if still full a new key is **not
//!   tracked** (existing keys keep working): its update answers
//!   `tracked = false` and the verdict carries `store_capacity`. Failing open
//!   this way keeps memory fixed under a flood of random numbers; the counter
//!   `untracked` tells operators to raise the cap.
//!
//! Tables are sized for `max_keys` (up to 4M) when the store is made: address
//! space is reserved, pages become resident as they are used, and nothing is
//! reallocated or rehashed while calls are being checked.

mod evidence_log;
mod index;

use std::collections::VecDeque;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use compact_str::CompactString;
use hashbrown::HashMap;
use parking_lot::Mutex;
use smallvec::SmallVec;

use super::{
    AlertState, BlockEntry, MetricKind, StoreAnswer, StoreError, StoreMetric, StoreRequest,
    WindowOp, WindowOutcome, WindowStore, EVIDENCE_MAX,
};
use crate::contract::Learn;
use crate::contract::{Evidence, Reason, Repeats, Withdrawal};
use crate::store::prefetch::prefetch_lines;
use evidence_log::EvidenceLog;
use index::{IndexHint, KeyIndex};

const SHARDS: usize = 64;
/// Evidence logs: a call's record goes to one, picked by its first key, so
/// concurrent checks rarely share a log.
const EVIDENCE_LOGS: usize = 16;
/// Where an evidence record lies: log number above this bit, offset below.
const EVIDENCE_LOG_SHIFT: u32 = 56;
/// Above this many members a window builds a hash index; below `INDEX_DROP` it drops it.
/// (From 32, a check counts 1.6% fewer instructions but runs slower by the clock: a map
/// lookup on a cold line against a scan of a warm array; BENCHMARKS.md, *A busy window's
/// index from fewer members*.)
const INDEX_BUILD: usize = 128;
const INDEX_DROP: usize = 64;
/// A full shard is swept for room at most this often (event time)...
const FULL_SWEEP_EVERY_MS: i64 = 1000;
/// ...and, while its sweeps free little (a shard full of live keys, where a
/// sweep of every slot costs hundreds of µs and finds what the hand already
/// took), half as often after each such sweep, down to this.
const FULL_SWEEP_MAX_EVERY_MS: i64 = 8_000;

/// Limits of the embedded store.
#[derive(Debug, Clone, Copy)]
pub struct MemoryStoreConfig {
    /// Most keys (windows plus auto-blocks) tracked at once.
    pub max_keys: usize,
    /// Most members one window keeps, whatever its rule's cap
    /// (`WindowOp::member_cap`); the oldest go first.
    pub max_members_per_key: usize,
    /// Most bytes of alert evidence kept, over all evidence logs; past it the
    /// oldest records go (counted in `evidence_evicted`), so an alert quotes
    /// fewer calls. Verdicts do not depend on it.
    pub evidence_max_bytes: usize,
    /// The seed of the called stamps' hash (`store::called`) and of the
    /// keys' (which finds a key's shard, slot and spell, `store::spell`).
    /// None: random, as a live store wants (nobody outside can aim numbers
    /// at one bucket); replays fix it, so that one file replays to the same
    /// verdicts (the spells' bounded collisions fall the same way).
    pub called_seed: Option<u64>,
}

impl Default for MemoryStoreConfig {
    fn default() -> Self {
        MemoryStoreConfig::from(&crate::config::StoreConfig::default())
    }
}

impl From<&crate::config::StoreConfig> for MemoryStoreConfig {
    fn from(c: &crate::config::StoreConfig) -> Self {
        MemoryStoreConfig {
            max_keys: c.max_keys,
            max_members_per_key: c.max_members_per_key,
            evidence_max_bytes: c.evidence_max_bytes,
            called_seed: None,
        }
    }
}

/// Where the embedded store's bytes are ([`MemoryStore::footprint`]); heap sizes are
/// capacities (the allocator adds its own few bytes per block).
#[derive(Debug, Default, Clone)]
pub struct Footprint {
    /// Slots holding a key, and slots the slabs hold (used or free: resident once touched).
    pub slots: usize,
    pub slab_slots: usize,
    pub windows: usize,
    /// `size_of` a slot (its windows inline) and of one window.
    pub slot_bytes: usize,
    pub window_bytes: usize,
    /// Windows of slots with more than the inline ones.
    pub heap_bytes: usize,
    /// Members past the one kept inline.
    pub member_bytes: usize,
    /// Evidence offsets past the two kept inline.
    pub recent_bytes: usize,
    /// Cooldowns and learned levels (boxed).
    pub extra_bytes: usize,
    /// The key index tables.
    pub index_bytes: usize,
    /// The evidence logs' chunks.
    pub evidence_bytes: usize,
}

/// Where a call's evidence record lies: written up front, or (while the store
/// is nearly full) on the first window that keeps it, so that a call no window
/// could track leaves no record.
#[derive(Clone, Copy)]
enum EvidenceAt {
    Written(u64),
    Pending { pick: u64, longest_window_ms: i64 },
}

/// Counters of the embedded store.
#[derive(Debug, Default)]
pub struct MemoryStoreStats {
    pub keys: AtomicU64,
    pub reclaimed: AtomicU64,
    pub untracked: AtomicU64,
    pub members_evicted: AtomicU64,
    /// Evidence records dropped by the evidence byte cap while still quotable.
    pub evidence_evicted: AtomicU64,
    /// Sweeps of a whole shard because it was full: a growing count says
    /// `max_keys` is too small for the traffic (each such sweep pauses the
    /// check that triggers it).
    pub full_sweeps: AtomicU64,
}

/// Keys and members are already 64-bit hashes: tables use them as they are.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed here; anything else still hashes correctly.
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ *b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type HashedMap<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

/// The members of one window, one entry per member at its latest time. Most
/// windows hold one or two members, so those live inline; up to `INDEX_BUILD`
/// members stay a plain array sorted by time (ties in arrival order), scanned
/// from the newest end, which for a capped window (a few dozen members) beats
/// any hash table on a cold cache. A window that grows past `INDEX_BUILD`
/// moves to [`LargeMembers`], which keeps a hotline with thousands of callers
/// O(1) per update.
enum Members {
    Small(SmallMembers),
    Large(Box<LargeMembers>),
}

/// A sorted array whose first `start` entries have left (trimmed by time or
/// evicted by the cap): dropping the oldest member moves `start`, and the
/// array is compacted only once the dead prefix is long, so a window at its
/// cap does not shift its whole array on every call.
struct SmallMembers {
    v: SmallVec<[(i64, u64); 1]>,
    /// `start` + 1: never zero, so that [`Members`] tells its two forms
    /// apart by that zero and fits in 32 bytes, not 40 (8 bytes a window:
    /// 7 MiB at a million keys). Read through [`SmallMembers::start`].
    start1: NonZeroU32,
}

impl Default for SmallMembers {
    fn default() -> Self {
        SmallMembers {
            v: SmallVec::new(),
            start1: NonZeroU32::MIN,
        }
    }
}

// A window's members in 32 bytes (see `SmallMembers::start1`).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<Members>() == 32);

/// The dead prefix of a small window is compacted once it reaches this.
const SMALL_DEAD_MAX: usize = 16;

impl SmallMembers {
    fn start(&self) -> usize {
        self.start1.get() as usize - 1
    }

    fn set_start(&mut self, start: usize) {
        // Below `SMALL_DEAD_MAX` (`drop_oldest` compacts past it): no overflow.
        debug_assert!(start < SMALL_DEAD_MAX);
        self.start1 = NonZeroU32::MIN.saturating_add(start as u32);
    }

    fn live(&self) -> &[(i64, u64)] {
        debug_assert!(self.start() <= self.v.len());
        // SAFETY: `start` never passes the array's length: `drop_oldest`
        // clamps it to the length, and a member is removed only from the
        // live part (`observe`), which leaves the length at or past it.
        // (Unchecked: a window's members are read here several times a
        // call, issue 19.)
        unsafe { self.v.get_unchecked(self.start()..) }
    }

    /// Where `m` is among the live members, searched from the newest end
    /// (repeat callers and retransmissions are recent), four at a time: a
    /// velocity window's members are nearly always new, so most searches
    /// cover the whole array.
    fn find(live: &[(i64, u64)], m: u64) -> Option<usize> {
        // Whole groups of four from the newest end (as arrays: no bounds
        // checks in the loop), then the oldest few.
        let (head, quads) = live.as_rchunks::<4>();
        for (k, c) in quads.iter().enumerate().rev() {
            if (c[0].1 == m) | (c[1].1 == m) | (c[2].1 == m) | (c[3].1 == m) {
                return c
                    .iter()
                    .rposition(|e| e.1 == m)
                    .map(|p| head.len() + 4 * k + p);
            }
        }
        head.iter().rposition(|e| e.1 == m)
    }

    /// Answers the member's latest time before this update, if it had one.
    fn observe(&mut self, t: i64, m: u64) -> Option<i64> {
        let start = self.start();
        // The live members read once (each look at a `SmallVec` asks where
        // its items are).
        let live = self.live();
        let mut last = live.last().map(|e| e.0);
        let before = match Self::find(live, m) {
            Some(pos) if live[pos].0 >= t => return Some(live[pos].0),
            Some(pos) => {
                let before = self.v.remove(start + pos).0;
                last = self.v.last().map(|e| e.0);
                Some(before)
            }
            None => None,
        };
        match last {
            Some(last) if last > t => {
                let pos = start + self.live().partition_point(|x| x.0 <= t);
                self.v.insert(pos, (t, m));
            }
            _ => self.v.push((t, m)),
        }
        before
    }

    fn pop_oldest(&mut self) {
        self.drop_oldest(1);
    }

    /// Drops the `n` oldest live members (at most all of them): what `n`
    /// calls of `pop_oldest` leave, in one step.
    fn drop_oldest(&mut self, n: usize) {
        let len = self.v.len();
        let start = (self.start() + n).min(len);
        if start >= SMALL_DEAD_MAX || start == len {
            self.v.drain(..start);
            self.set_start(0);
        } else {
            self.set_start(start);
        }
    }

    /// How many of the oldest live members lie at or before `cutoff`.
    fn count_at_or_before(live: &[(i64, u64)], cutoff: i64) -> usize {
        live.iter().take_while(|e| e.0 <= cutoff).count()
    }
}

/// A time-ordered log of (time, member) plus each member's latest time. A
/// repeat caller is appended again rather than moved: its older log entry is
/// stale, marked so in place (its member becomes `STALE`, found by its time
/// with a binary search), and skipped when it reaches the front. The log is
/// compacted when stale entries outnumber live ones. Marked in place, a
/// stale entry is told from a live one without a lookup: counting a busy
/// number's callers in its last seconds (the slow tier's companion, on every
/// call to it) reads the log's tail and nothing else.
struct LargeMembers {
    log: VecDeque<(i64, u64)>,
    latest: HashedMap<i64>,
    /// Stale entries in `log`. While none (a velocity window's Call-IDs are
    /// nearly always new), the front is live without a lookup.
    stale: usize,
}

/// The member of a stale log entry (`LargeMembers`). A member whose hash is
/// this is counted as `STALE - 1` (`Members::observe`): a collision as likely
/// as any other.
const STALE: u64 = u64::MAX;

impl LargeMembers {
    fn is_live(&self, (t, m): (i64, u64)) -> bool {
        debug_assert!(m == STALE || self.latest.get(&m) == Some(&t));
        m != STALE
    }

    /// Marks the log entry of member `m` at time `t` stale.
    fn mark_stale(&mut self, t: i64, m: u64) {
        let from = self.log.partition_point(|x| x.0 < t);
        let entry = self
            .log
            .range_mut(from..)
            .take_while(|e| e.0 == t)
            .find(|e| e.1 == m);
        debug_assert!(entry.is_some(), "a member's latest entry is in the log");
        if let Some(e) = entry {
            e.1 = STALE;
            self.stale += 1;
        }
    }

    fn append(&mut self, t: i64, m: u64) {
        match self.log.back() {
            Some(last) if last.0 > t => {
                let pos = self.log.partition_point(|x| x.0 <= t);
                self.log.insert(pos, (t, m));
            }
            _ => self.log.push_back((t, m)),
        }
    }

    /// Drops stale entries at the front, so the front is the oldest live member.
    fn skip_stale(&mut self) {
        while self.stale > 0 {
            match self.log.front() {
                Some(&front) if !self.is_live(front) => {
                    self.log.pop_front();
                    self.stale -= 1;
                }
                _ => break,
            }
        }
    }

    fn compact_if_sparse(&mut self) {
        if self.stale > self.latest.len() + 64 {
            self.log.retain(|&(_, m)| m != STALE);
            self.stale = 0;
        }
    }
}

impl Members {
    fn len(&self) -> usize {
        match self {
            Members::Small(s) => s.live().len(),
            Members::Large(l) => l.latest.len(),
        }
    }

    fn front_time(&mut self) -> Option<i64> {
        match self {
            Members::Small(s) => s.live().first().map(|e| e.0),
            Members::Large(l) => {
                l.skip_stale();
                l.log.front().map(|e| e.0)
            }
        }
    }

    /// Records member `m` at time `t` unless it was already seen at `t` or
    /// later; answers its latest time before this update, if it had one.
    fn observe(&mut self, t: i64, m: u64) -> Option<i64> {
        let m = m.min(STALE - 1);
        match self {
            Members::Small(s) => {
                let before = s.observe(t, m);
                if s.live().len() > INDEX_BUILD {
                    let log: VecDeque<(i64, u64)> = s.live().iter().copied().collect();
                    let latest = log.iter().map(|&(t, m)| (m, t)).collect();
                    *self = Members::Large(Box::new(LargeMembers {
                        log,
                        latest,
                        stale: 0,
                    }));
                }
                before
            }
            Members::Large(l) => {
                let before = match l.latest.entry(m) {
                    hashbrown::hash_map::Entry::Occupied(o) if *o.get() >= t => {
                        return Some(*o.get())
                    }
                    hashbrown::hash_map::Entry::Occupied(mut o) => Some(o.insert(t)),
                    hashbrown::hash_map::Entry::Vacant(v) => {
                        v.insert(t);
                        None
                    }
                };
                if let Some(old) = before {
                    l.mark_stale(old, m);
                }
                l.append(t, m);
                l.compact_if_sparse();
                before
            }
        }
    }

    /// Whether the newest members' latest times are machine-paced
    /// ([`crate::contract::paced`]).
    fn paced(&self) -> bool {
        const MAX: usize = crate::contract::PACED_MEMBERS_MAX;
        let mut t = [0i64; MAX];
        let mut n = 0;
        match self {
            Members::Small(s) => {
                for e in s.live().iter().rev().take(MAX) {
                    t[n] = e.0;
                    n += 1;
                }
            }
            Members::Large(l) => {
                for &e in l.log.iter().rev().filter(|&&e| l.is_live(e)).take(MAX) {
                    t[n] = e.0;
                    n += 1;
                }
            }
        }
        crate::contract::paced(&t[..n])
    }

    /// How many members have their latest time after `cutoff` (both forms
    /// are time-ordered: read from the newest end, where the few that
    /// count are).
    fn count_after(&self, cutoff: i64) -> usize {
        match self {
            Members::Small(s) => s.live().iter().rev().take_while(|e| e.0 > cutoff).count(),
            Members::Large(l) => l
                .log
                .iter()
                .rev()
                .take_while(|e| e.0 > cutoff)
                .filter(|&&e| l.is_live(e))
                .count(),
        }
    }

    /// Removes the oldest member (the front, after skipping stale entries).
    fn pop_oldest(&mut self) {
        match self {
            Members::Small(s) => s.pop_oldest(),
            Members::Large(l) => {
                l.skip_stale();
                if let Some((t, m)) = l.log.pop_front() {
                    debug_assert!(l.latest.get(&m) == Some(&t), "stale count out of step");
                    l.latest.remove(&m);
                }
                if l.latest.len() < INDEX_DROP {
                    let v = l.log.iter().copied().filter(|&e| l.is_live(e)).collect();
                    *self = Members::Small(SmallMembers {
                        v,
                        ..SmallMembers::default()
                    });
                }
            }
        }
    }
}

/// One (rule, key) window. Kept inline in its slot: a window that
/// sees one call costs no allocation beyond the slot.
struct Window {
    rule: Reason,
    /// At most 30 days (config), so it fits.
    window_ms: u32,
    members: Members,
    hw: i64,
    /// The last `EVIDENCE_MAX` calls, as evidence log offsets: oldest first
    /// until full, then a ring whose oldest entry is at `recent_head` (a busy
    /// window replaces one entry per call instead of shifting all 16).
    recent: SmallVec<[u64; 2]>,
    recent_head: u8,
    /// (until, alert id) of the alert in its cooldown; rare, so boxed.
    cooldown: Option<Box<(i64, CompactString)>>,
    /// What the window learned of its key (see `contract::Learn`); only keys
    /// whose counts reach the learning floor have it, so boxed.
    learned: Option<Box<Learned>>,
}

/// A key's learned level (`contract::Learn`).
#[derive(Debug, Clone, Copy)]
struct Learned {
    level_m: u64,
    /// The open interval.
    interval: i64,
    /// The largest observed count in the open interval.
    peak: u32,
    /// The history byte (`contract::Learn::fold`): intervals in a row
    /// over the threshold, intervals closed under it.
    runs: u8,
    /// Event time from which the state is gone (`contract::Learn`).
    until: i64,
    /// The key's run of repeats (`contract::Repeats`): its last second, its length.
    rep_last: u32,
    rep_n: u16,
    /// The last ingress recorded (`contract::Repeats::moved`; 0: none).
    rep_ingress: u16,
}

impl Window {
    fn new(rule: Reason, hw: i64, window_ms: i64) -> Window {
        Window {
            rule,
            window_ms: window_ms.clamp(0, u32::MAX as i64) as u32,
            members: Members::Small(SmallMembers::default()),
            hw,
            recent: SmallVec::new(),
            recent_head: 0,
            cooldown: None,
            learned: None,
        }
    }

    /// Event time after which this key holds nothing worth keeping.
    fn expires_at(&self) -> i64 {
        let mut w = self.hw.saturating_add(self.window_ms as i64);
        if let Some(c) = &self.cooldown {
            w = w.max(c.0);
        }
        if let Some(l) = &self.learned {
            w = w.max(l.until);
        }
        w
    }

    /// Creates the learned state, or closes its open interval when `t` lies
    /// in a later one; answers the key's threshold, the level it rests on
    /// and the key's history byte. `called` answers whether the key was
    /// called lately (`Learn::hold_uncalled`).
    fn learned_threshold(
        &mut self,
        learn: &Learn,
        threshold: u32,
        t: i64,
        called: impl FnOnce() -> bool,
    ) -> (u32, u64, u8) {
        let i = t.div_euclid(learn.interval_ms.max(1) as i64);
        let window_ms = self.window_ms as i64;
        let members = &self.members;
        let l = Self::learn_fresh(&mut self.learned, learn, threshold, t, window_ms);
        if i > l.interval {
            l.level_m = learn.fold(
                threshold,
                l.level_m,
                l.peak,
                i - l.interval - 1,
                &mut l.runs,
                called,
                || members.paced(),
            );
            l.interval = i;
            l.peak = 0;
            l.until = learn.gone_at(threshold, l.level_m, l.runs, i, window_ms);
        }
        (learn.threshold(threshold, l.level_m), l.level_m, l.runs)
    }

    /// The learned state, started fresh when there is none or it is gone
    /// (whether or not the slot was reclaimed yet).
    fn learn_fresh<'a>(
        learned: &'a mut Option<Box<Learned>>,
        learn: &Learn,
        threshold: u32,
        t: i64,
        window_ms: i64,
    ) -> &'a mut Learned {
        let i = t.div_euclid(learn.interval_ms.max(1) as i64);
        let fresh = Learned {
            level_m: 0,
            interval: i,
            peak: 0,
            runs: 0,
            until: learn.gone_at(threshold, 0, 0, i, window_ms),
            rep_last: 0,
            rep_n: 0,
            rep_ingress: 0,
        };
        let l = learned.get_or_insert_with(|| Box::new(fresh));
        if t >= l.until {
            **l = fresh;
        }
        l
    }

    /// A repeat below the learning floor (`contract::Repeats`): recorded in
    /// the learned state, started for it when there is none.
    fn early_repeat(&mut self, learn: &Learn, threshold: u32, t: i64, r: &Repeats) {
        let l = Self::learn_fresh(
            &mut self.learned,
            learn,
            threshold,
            t,
            self.window_ms as i64,
        );
        l.rep_ingress = r.moved(l.rep_ingress).1;
        (l.rep_last, l.rep_n) = r.record((l.rep_last, l.rep_n), t);
    }

    /// Its members in its last `ms` (`WindowOutcome::recent`), at most
    /// `count`. Out of line: only the slow tier's companion asks, and the
    /// update loop is tighter without it.
    #[inline(never)]
    fn recent(&self, ms: u32, count: u32) -> u16 {
        let cutoff = self.hw.saturating_sub(ms as i64);
        self.members
            .count_after(cutoff)
            .min(count as usize)
            .min(u16::MAX as usize) as u16
    }

    /// Records an observed update's count in the learned state.
    fn learn_count(&mut self, count: u32) {
        if let Some(l) = self.learned.as_deref_mut() {
            l.peak = l.peak.max(count);
        }
    }

    /// Adds or refreshes a member and trims the window to its time span;
    /// answers the member count (before any size cap) and whether the
    /// member was a repeat (`contract::Repeats`: in the window with a
    /// latest time after `t - window`).
    fn observe(&mut self, t: i64, m: u64) -> (usize, bool) {
        let before = self.members.observe(t, m);
        let repeat = before.is_some_and(|b| b > t - self.window_ms as i64);
        self.hw = self.hw.max(t);
        let cutoff = self.hw - self.window_ms as i64;
        if let Members::Small(s) = &mut self.members {
            // The members that left, dropped together (the live members
            // read once).
            let live = s.live();
            let (n, gone) = (live.len(), SmallMembers::count_at_or_before(live, cutoff));
            if gone > 0 {
                s.drop_oldest(gone);
            }
            return (n - gone, repeat);
        }
        while matches!(self.members.front_time(), Some(ft) if ft <= cutoff) {
            self.members.pop_oldest();
        }
        (self.members.len(), repeat)
    }

    /// The learned state's run of repeats (none without a learned state).
    fn repeat_run(&self) -> (u32, u16) {
        self.learned
            .as_deref()
            .map_or((0, 0), |l| (l.rep_last, l.rep_n))
    }

    /// Records the update's ingress in the learned state and, when the
    /// update repeats a member or moved, a repeat in its run.
    fn record_repeat(&mut self, r: &Repeats, t: i64, repeat: bool) {
        if let Some(l) = self.learned.as_deref_mut() {
            let moved;
            (moved, l.rep_ingress) = r.moved(l.rep_ingress);
            if repeat || moved {
                (l.rep_last, l.rep_n) = r.record((l.rep_last, l.rep_n), t);
            }
        }
    }

    /// Remembers the evidence record of the call just counted, forgetting
    /// the oldest past `EVIDENCE_MAX`.
    fn remember(&mut self, at: u64) {
        if self.recent.len() < EVIDENCE_MAX {
            // Out of its two inline entries, room for eight at once: one
            // allocation for a window's first eight calls, not two (-57
            // instructions a check on the realistic mix, RSS unchanged at a
            // million keys: BENCHMARKS.md).
            if self.recent.len() == 2 && !self.recent.spilled() {
                self.recent.grow(8);
            }
            self.recent.push(at);
        } else {
            let head = self.recent_head as usize % EVIDENCE_MAX;
            self.recent[head] = at;
            self.recent_head = ((head + 1) % EVIDENCE_MAX) as u8;
        }
    }

    /// The remembered records, oldest first.
    fn recent_in_order(&self) -> SmallVec<[u64; EVIDENCE_MAX]> {
        let head = self.recent_head as usize % self.recent.len().max(1);
        let mut v = SmallVec::new();
        v.extend_from_slice(&self.recent[head..]);
        v.extend_from_slice(&self.recent[..head]);
        v
    }

    /// Drops the oldest members beyond `max_members`; answers how many.
    fn trim_to(&mut self, max_members: usize) -> u64 {
        if let Members::Small(s) = &mut self.members {
            let excess = s.live().len().saturating_sub(max_members);
            if excess > 0 {
                s.drop_oldest(excess);
            }
            return excess as u64;
        }
        let mut evicted = 0;
        while self.members.len() > max_members {
            self.members.pop_oldest();
            evicted += 1;
        }
        evicted
    }
}

/// The windows of one key string, one per rule. Rules that share a key (the
/// fan-in tiers on a B-number; rotation and international ingress on a
/// source) share one slot: one lookup for both. An empty slot is free.
///
/// One window is inline: on the realistic mix 96% of keys have one (measured
/// with [`MemoryStore::footprint`]: 965,131 slots for 1,001,159 windows), and a
/// second inline one cost every slot 96 bytes; a key with more keeps them on
/// the heap.
#[derive(Default)]
struct Slot {
    key: u64,
    windows: SmallVec<[Window; 1]>,
}

struct Shard {
    /// Key hash → slot in `slab`: one cache miss for a key not in cache.
    index: KeyIndex,
    slab: Vec<Slot>,
    /// Empty slots of `slab`, reused first (last freed, first reused: the
    /// slot the sweeping hand just emptied is still in cache).
    free: Vec<u32>,
    /// Windows across all entries (the unit of `max_keys`).
    windows: usize,
    blocks: HashMap<CompactString, BlockEntry>,
    /// The sweeping hand: the next slot it looks at.
    hand: usize,
    /// Slots the hand found expired, taken out of the index at its next step
    /// (their index lines were prefetched when they were found).
    pending: SmallVec<[u32; 4]>,
    /// Event time of the last sweep made because the shard was full.
    full_sweep_ms: i64,
    /// How long after it the next may come (`FULL_SWEEP_EVERY_MS` doubled
    /// after each sweep that freed little).
    full_sweep_every_ms: i64,
}

/// Slots the sweeping hand looks at per window created. Two keep the slab at
/// most about twice the live windows (each slot is revisited after half as
/// many creations as there are slots) with a bounded, even cost per call.
const SWEEP_STEP: usize = 2;
/// Slots looked at per window created once a shard is 7/8 full.
const SWEEP_STEP_NEAR_FULL: usize = 16;
/// Most keys an index or slab is sized for up front (per store): below this
/// the tables never grow or move while the store runs.
const PRESIZE_KEYS: usize = 1 << 22;

impl Shard {
    /// A shard whose tables are sized for `presize` keys up front.
    fn new(presize: usize) -> Shard {
        Shard {
            index: KeyIndex::with_capacity(presize),
            // Reserved, not touched: pages become resident as slots are used.
            slab: Vec::with_capacity(presize),
            free: Vec::new(),
            windows: 0,
            blocks: HashMap::new(),
            hand: 0,
            pending: SmallVec::new(),
            full_sweep_ms: i64::MIN,
            full_sweep_every_ms: FULL_SWEEP_EVERY_MS,
        }
    }

    fn len(&self) -> usize {
        self.windows + self.blocks.len()
    }

    /// Takes a slot whose windows have all expired out of the index and
    /// frees it.
    fn reclaim(&mut self, i: usize, stats: &MemoryStoreStats) {
        let slot = &mut self.slab[i];
        let gone = slot.windows.len() as u64;
        slot.windows.clear();
        // A key that had several windows gives their heap array back.
        slot.windows.shrink_to_fit();
        self.windows -= gone as usize;
        self.index.remove(slot.key, i as u32);
        self.free.push(i as u32);
        stats.reclaimed.fetch_add(gone, Ordering::Relaxed);
        stats.keys.fetch_sub(gone, Ordering::Relaxed);
    }

    /// One step of the sweeping hand, made whenever a window is created:
    /// reclaims what the last step found, then looks at the next slots (more
    /// of them when the shard nears `max_keys`, so that it is seldom full and
    /// never has to stop for a sweep of every slot).
    fn sweep_step(&mut self, now: i64, max_keys: usize, stats: &MemoryStoreStats) {
        // Frees what expired `LATE_MS` before the event (the store contract's late events).
        let now = now.saturating_sub(crate::store::LATE_MS);
        let pending = std::mem::take(&mut self.pending);
        for i in pending {
            let slot = &self.slab[i as usize];
            // Skipped if the key was used again since (or freed already).
            if !slot.windows.is_empty() && slot.windows.iter().all(|w| w.expires_at() <= now) {
                self.reclaim(i as usize, stats);
            }
        }
        let step = if self.len() * 8 > max_keys * 7 {
            SWEEP_STEP_NEAR_FULL
        } else {
            SWEEP_STEP
        };
        for _ in 0..step {
            if self.hand >= self.slab.len() {
                if self.slab.is_empty() {
                    return;
                }
                // A full turn: auto-blocks are few, cleaned once per turn.
                self.hand = 0;
                self.drop_expired_blocks(now, stats);
            }
            let i = self.hand;
            self.hand += 1;
            let slot = &mut self.slab[i];
            if slot.windows.is_empty() {
                continue;
            }
            let live = slot.windows.iter().filter(|w| w.expires_at() > now).count();
            if live == 0 {
                self.index.prefetch_entry(slot.key);
                self.pending.push(i as u32);
            } else if live < slot.windows.len() {
                self.drop_expired_windows(i, now, stats);
            }
        }
        // The hand's next step in this shard comes several calls later: start
        // loading what it will look at, so that it finds it in cache (the
        // hand moves a few slots per window created in a shard of thousands:
        // too slowly for the hardware's stream prefetcher, and each slot it
        // looked at was a miss). In two stages, a step apart: the slots of
        // the next step were loaded by this one's predecessor, so their heap
        // arrays (a key with several windows keeps them there) can be found
        // now; the slots of the step after next are only started.
        self.prefetch_spilled(self.hand, step);
        self.prefetch_slots(self.hand + step, step);
    }

    /// Starts loading the lines of slots `from..from + n` (those that exist).
    fn prefetch_slots(&self, from: usize, n: usize) {
        let end = (from + n).min(self.slab.len());
        if from >= end {
            return;
        }
        prefetch_lines(
            self.slab[from..end].as_ptr().cast(),
            (end - from) * size_of::<Slot>(),
        );
    }

    /// Starts loading the heap arrays of windows of slots `from..from + n`
    /// (reads the slots: only for slots already loaded).
    fn prefetch_spilled(&self, from: usize, n: usize) {
        let end = (from + n).min(self.slab.len());
        for slot in self.slab.get(from..end).unwrap_or_default() {
            if slot.windows.spilled() {
                let w = &slot.windows[..];
                prefetch_lines(w.as_ptr().cast(), size_of_val(w));
            }
        }
    }

    /// Drops the expired windows of slot `i`, which keeps at least one live one.
    fn drop_expired_windows(&mut self, i: usize, now: i64, stats: &MemoryStoreStats) {
        let slot = &mut self.slab[i];
        let before = slot.windows.len();
        slot.windows.retain(|w| w.expires_at() > now);
        if slot.windows.spilled() && slot.windows.len() <= 1 {
            // Back inline (the fan-in's burst window goes seconds before its slow one).
            slot.windows.shrink_to_fit();
        }
        let gone = (before - slot.windows.len()) as u64;
        self.windows -= gone as usize;
        stats.reclaimed.fetch_add(gone, Ordering::Relaxed);
        stats.keys.fetch_sub(gone, Ordering::Relaxed);
    }

    fn drop_expired_blocks(&mut self, now: i64, stats: &MemoryStoreStats) {
        let before = self.blocks.len();
        self.blocks.retain(|_, b| b.until_ms > now);
        let gone = (before - self.blocks.len()) as u64;
        stats.reclaimed.fetch_add(gone, Ordering::Relaxed);
        stats.keys.fetch_sub(gone, Ordering::Relaxed);
    }

    /// Removes every window and block that has expired as of `now` (when the
    /// shard is full and the hand has not kept up).
    fn sweep(&mut self, now: i64, stats: &MemoryStoreStats) {
        let now = now.saturating_sub(crate::store::LATE_MS);
        self.pending.clear();
        for i in 0..self.slab.len() {
            let slot = &mut self.slab[i];
            if slot.windows.is_empty() {
                continue;
            }
            if slot.windows.iter().all(|w| w.expires_at() <= now) {
                self.reclaim(i, stats);
            } else {
                self.drop_expired_windows(i, now, stats);
            }
        }
        self.drop_expired_blocks(now, stats);
    }

    /// Makes room for one more key if it can; false when the shard stays full.
    fn room_for_one(&mut self, now: i64, max_keys: usize, stats: &MemoryStoreStats) -> bool {
        if self.len() < max_keys {
            return true;
        }
        if now.saturating_sub(self.full_sweep_ms) >= self.full_sweep_every_ms {
            self.full_sweep_ms = now;
            stats.full_sweeps.fetch_add(1, Ordering::Relaxed);
            let before = self.len();
            self.sweep(now, stats);
            // Less than 1/16 of the shard freed: its keys are live, and the
            // sweeping hand (which moves on every window created) reclaims
            // what expires among them; sweep everything less often.
            let freed = before.saturating_sub(self.len());
            self.full_sweep_every_ms = if freed.saturating_mul(16) < max_keys {
                (self.full_sweep_every_ms.saturating_mul(2)).min(FULL_SWEEP_MAX_EVERY_MS)
            } else {
                FULL_SWEEP_EVERY_MS
            };
        }
        self.len() < max_keys
    }

    /// The slot of `key`, if it has one.
    fn slot_of(&self, key: u64) -> Option<usize> {
        let slab = &self.slab;
        self.index
            .find(key, |i| slab[i as usize].key == key)
            .map(|i| i as usize)
    }

    /// The slot of `key`, trying `known` first: the slot this key had a
    /// moment ago (when the shard was last locked, or for the previous
    /// update of the same key), still its slot if it holds windows under
    /// that key — a slot holds windows exactly while the index points at it
    /// under its key — which saves the index probe.
    fn slot_of_known(&self, key: u64, known: Option<usize>) -> Option<usize> {
        match known {
            Some(i)
                if self
                    .slab
                    .get(i)
                    .is_some_and(|s| s.key == key && !s.windows.is_empty()) =>
            {
                Some(i)
            }
            _ => self.slot_of(key),
        }
    }

    /// Where the window of `rule` under `key` sits (slot, position in the
    /// slot), created when there is room. `known`: where the key's slot was
    /// last seen (see [`Shard::slot_of_known`]).
    fn window(
        &mut self,
        key: u64,
        known: Option<usize>,
        op: &WindowOp,
        max_keys: usize,
        stats: &MemoryStoreStats,
        hint: &IndexHint,
    ) -> Option<(usize, usize)> {
        if let Some(i) = self.slot_of_known(key, known) {
            if let Some(pos) = self.slab[i].windows.iter().position(|w| w.rule == op.rule) {
                return Some((i, pos));
            }
        }
        // A window is about to be created: the sweeping hand moves first (it
        // may drop windows of this very slot, or free it if all had expired).
        self.sweep_step(op.time_ms, max_keys, stats);
        if !self.room_for_one(op.time_ms, max_keys, stats) {
            return None;
        }
        // A sweep may have freed this key's slot: look again.
        let i = match self.slot_of(key) {
            Some(i) => i,
            None => {
                let i = match self.free.pop() {
                    Some(i) => i as usize,
                    None => {
                        self.slab.push(Slot::default());
                        self.slab.len() - 1
                    }
                };
                self.slab[i].key = key;
                if self.index.insert(key, i as u32) {
                    hint.publish(&self.index);
                }
                i
            }
        };
        let windows = &mut self.slab[i].windows;
        windows.push(Window::new(op.rule, op.time_ms, op.window_ms));
        self.windows += 1;
        stats.keys.fetch_add(1, Ordering::Relaxed);
        Some((i, windows.len() - 1))
    }

    /// Starts loading what an update of `key` will touch: its slot, or the
    /// free slot a new key would take. Answers the key's slot, if it has one.
    fn prefetch_slot(&self, key: u64) -> Option<usize> {
        let found = self.slot_of(key);
        match found.or(self.free.last().map(|&i| i as usize)) {
            // By address only: reading the slot here would wait for it.
            Some(i) => self.prefetch_slots(i, 1),
            // The slot a new key would add at the end (reserved, so the
            // address is in the slab's allocation while there is room).
            None if self.slab.len() < self.slab.capacity() => prefetch_lines(
                self.slab.as_ptr().wrapping_add(self.slab.len()).cast(),
                size_of::<Slot>(),
            ),
            None => {}
        }
        found
    }
}

/// Consecutive window updates of one key string in a request.
#[derive(Clone, Copy)]
struct Run {
    /// The run's first update, and how many there are.
    first: usize,
    len: usize,
    /// The key's hash.
    key: u64,
    /// Where the key's slot was seen while the request's slots were
    /// prefetched (see [`Shard::slot_of_known`]).
    known: Option<usize>,
}

/// The shard of a hashed key: its low bits (the index tags by the top half).
fn shard_index(h: u64) -> usize {
    h as usize % SHARDS
}

/// A shard and, beside its lock, where its index lies (for prefetching).
struct ShardCell {
    shard: Mutex<Shard>,
    hint: IndexHint,
}

/// The embedded store. See the module documentation.
pub struct MemoryStore {
    shards: Box<[ShardCell]>,
    /// Alert evidence, one record per call (see [`evidence_log`]).
    evidence: Box<[Mutex<EvidenceLog>]>,
    /// Keys' and members' hash: seeded from `called_seed` when given (the
    /// spells' entries are found from it), else at random.
    hasher: foldhash::fast::FixedState,
    max_keys_per_shard: usize,
    max_members: usize,
    stats: MemoryStoreStats,
    /// Callees lately called (`contract::Called`).
    called: super::called::OwnedStamps,
    /// Keys' spells (`contract::Spell`): a quarter of `called`'s entries.
    spells: super::called::OwnedStamps,
}

impl MemoryStore {
    pub fn new(cfg: MemoryStoreConfig) -> MemoryStore {
        let max_keys_per_shard = cfg.max_keys.div_ceil(SHARDS).max(1);
        use std::hash::BuildHasher;
        let random = || std::collections::hash_map::RandomState::new().hash_one(0x6361_6c6cu64);
        let seed = cfg.called_seed.unwrap_or_else(random);
        let key_seed = cfg
            .called_seed
            .map_or_else(random, |s| s ^ 0x6b65_7973_6b65_7973);
        MemoryStore {
            shards: (0..SHARDS)
                .map(|_| {
                    let shard = Shard::new(cfg.max_keys.min(PRESIZE_KEYS).div_ceil(SHARDS));
                    let hint = IndexHint::new(&shard.index);
                    ShardCell {
                        shard: Mutex::new(shard),
                        hint,
                    }
                })
                .collect(),
            evidence: (0..EVIDENCE_LOGS)
                .map(|_| Mutex::new(EvidenceLog::new(cfg.evidence_max_bytes / EVIDENCE_LOGS)))
                .collect(),
            hasher: foldhash::fast::FixedState::with_seed(key_seed),
            max_keys_per_shard,
            max_members: cfg.max_members_per_key.max(1),
            stats: MemoryStoreStats::default(),
            called: super::called::OwnedStamps::new(cfg.max_keys, seed),
            spells: super::called::OwnedStamps::with_slots(
                super::spell::slots_for(cfg.max_keys),
                seed,
            ),
        }
    }

    pub fn stats(&self) -> &MemoryStoreStats {
        &self.stats
    }

    /// Where the store's bytes are, counted slot by slot (locks every shard in turn: for
    /// tests and diagnostics, not the call path).
    pub fn footprint(&self) -> Footprint {
        let mut f = Footprint {
            slot_bytes: std::mem::size_of::<Slot>(),
            window_bytes: std::mem::size_of::<Window>(),
            ..Footprint::default()
        };
        for cell in self.shards.iter() {
            let shard = cell.shard.lock();
            f.slab_slots += shard.slab.len();
            f.index_bytes += shard.index.bytes();
            for slot in &shard.slab {
                if slot.windows.is_empty() {
                    continue;
                }
                f.slots += 1;
                f.windows += slot.windows.len();
                if slot.windows.spilled() {
                    f.heap_bytes += slot.windows.capacity() * std::mem::size_of::<Window>();
                }
                for w in &slot.windows {
                    match &w.members {
                        Members::Small(m) if m.v.spilled() => {
                            f.member_bytes += m.v.capacity() * 16;
                        }
                        Members::Small(_) => {}
                        Members::Large(l) => {
                            f.member_bytes += l.log.capacity() * 16 + l.latest.capacity() * 24;
                        }
                    }
                    if w.recent.spilled() {
                        f.recent_bytes += w.recent.capacity() * 8;
                    }
                    f.extra_bytes += w.cooldown.as_ref().map_or(0, |_| 40)
                        + w.learned.as_ref().map_or(0, |_| 32);
                }
            }
        }
        f.evidence_bytes = self.evidence.iter().map(|l| l.lock().bytes()).sum();
        f
    }

    /// The most memory a store of this config holds under a flood of distinct keys (each
    /// window one or a few members): per shard the key index sized for its share of
    /// `max_keys`, a slab of at most twice that many slots (the sweeping hand keeps it
    /// within about twice the live windows) with its free list, the windows of keys that
    /// have more than one (on the heap, in an array of at most 4/3 as many: a key is shared
    /// by at most four rules, two today) and the evidence logs at their byte cap.
    /// docs/memory.md gives the figures and what windows with many members add (each
    /// member 16 bytes, up to its rule's cap).
    pub fn memory_bound_bytes(cfg: &MemoryStoreConfig) -> u64 {
        let per_shard = cfg.max_keys.div_ceil(SHARDS).max(1);
        let index = KeyIndex::with_capacity_bytes(per_shard);
        let slab = 2 * per_shard * (std::mem::size_of::<Slot>() + std::mem::size_of::<u32>());
        // Every key in a shared slot, its window in a heap array (plus the allocator's
        // header, 16 bytes per array of at least two).
        let shared = per_shard * (std::mem::size_of::<Window>() * 4 / 3 + 8);
        let evidence =
            EVIDENCE_LOGS * evidence_log::max_held_bytes(cfg.evidence_max_bytes / EVIDENCE_LOGS);
        // The called stamps and the spells, 4 bytes an entry each.
        let called =
            (super::called::slots_for(cfg.max_keys) + super::spell::slots_for(cfg.max_keys)) * 4;
        (SHARDS * (index + slab + shared) + evidence + called) as u64
    }

    fn hash<T: Hash + ?Sized>(&self, v: &T) -> u64 {
        self.hasher.hash_one(v)
    }

    fn shard_of(&self, h: u64) -> &Mutex<Shard> {
        &self.shards[shard_index(h)].shard
    }

    /// Starts loading the index entry of `key` without taking any lock: the
    /// engine calls it as soon as it knows a window key, so the cache miss
    /// overlaps with the rest of its work on the call.
    pub fn prefetch(&self, key: &str) {
        let h = self.hash(key);
        self.shards[shard_index(h)].hint.prefetch(h);
    }

    /// Writes one call's evidence record, once for all its windows, into one
    /// of the evidence logs; answers where it lies (log number in the top byte).
    fn record_evidence(&self, call: &Evidence, pick: u64, longest_window_ms: i64) -> u64 {
        let n = (pick >> 40) as usize % EVIDENCE_LOGS;
        let mut log = self.evidence[n].lock();
        log.serves_window(longest_window_ms);
        let (offset, early) = log.append(call);
        if early > 0 {
            self.stats
                .evidence_evicted
                .fetch_add(early, Ordering::Relaxed);
        }
        ((n as u64) << EVIDENCE_LOG_SHIFT) | offset
    }

    /// The records of `recent` (see `record_evidence`) still held and inside
    /// the window (after `cutoff`), oldest first, ties in the order the calls
    /// came: what an alert quotes. The logs involved are locked once each, in
    /// ascending order (so two quotes cannot deadlock), and every record is
    /// prefetched before any is read: the 20 or so cold records of an alert
    /// are fetched from memory together, not one after another.
    fn quote(&self, recent: &[u64], cutoff: i64) -> Vec<Evidence> {
        let log_of = |at: u64| (at >> EVIDENCE_LOG_SHIFT) as usize;
        let offset = |at: u64| at & ((1 << EVIDENCE_LOG_SHIFT) - 1);
        // (where, position in `recent`), grouped by log in ascending order.
        let mut order: SmallVec<[(u64, usize); EVIDENCE_MAX]> =
            recent.iter().copied().zip(0..).collect();
        order.sort_unstable();
        let groups: SmallVec<[_; EVIDENCE_LOGS]> = order
            .chunk_by(|a, b| log_of(a.0) == log_of(b.0))
            .filter_map(|group| Some((self.evidence.get(log_of(group[0].0))?.lock(), group)))
            .collect();
        for (log, group) in &groups {
            for &(at, _) in group.iter() {
                log.prefetch(offset(at));
            }
        }
        let mut quoted: Vec<(usize, Evidence)> = Vec::with_capacity(order.len());
        for (log, group) in &groups {
            quoted.extend(group.iter().filter_map(|&(at, pos)| {
                let e = log.get(offset(at))?;
                (e.time_ms > cutoff).then_some((pos, e))
            }));
        }
        drop(groups);
        quoted.sort_unstable_by_key(|(pos, e)| (e.time_ms, *pos));
        quoted.into_iter().map(|(_, e)| e).collect()
    }

    /// Where this call's record lies, written now if it was left for the first
    /// window that keeps it (the shard lock is held: evidence logs are locked
    /// after shard locks, never before).
    fn evidence_at(&self, at: &mut EvidenceAt, record: &Evidence) -> u64 {
        match *at {
            EvidenceAt::Written(offset) => offset,
            EvidenceAt::Pending {
                pick,
                longest_window_ms,
            } => {
                let offset = self.record_evidence(record, pick, longest_window_ms);
                *at = EvidenceAt::Written(offset);
                offset
            }
        }
    }

    /// Applies one update to its window in a locked shard and adds its
    /// outcome to `outs` (built there, not moved); `evidence` is where this
    /// call's record (`record`) lies or is to be written. `known` is where
    /// the key's slot was last seen, and is set to where it is.
    #[allow(clippy::too_many_arguments)]
    // One caller, in `apply_into`'s loop over a call's windows: kept inline
    // there whatever the crate's code-generation units make of it (left to
    // LLVM it was split out when unrelated code moved: +1.2% a check).
    #[inline(always)]
    fn update(
        &self,
        shard: &mut Shard,
        hint: &IndexHint,
        key: u64,
        known: &mut Option<usize>,
        op: &WindowOp,
        member: u64,
        record: &Evidence,
        evidence: &mut EvidenceAt,
        outs: &mut SmallVec<[WindowOutcome; 5]>,
    ) {
        let found = shard.window(key, *known, op, self.max_keys_per_shard, &self.stats, hint);
        *known = found.map(|(slot, _)| slot);
        let Some((slot, pos)) = found else {
            self.stats.untracked.fetch_add(1, Ordering::Relaxed);
            outs.push(WindowOutcome {
                count: 0,
                threshold: op.threshold,
                level_m: 0,
                runs: 0,
                tracked: false,
                alert: AlertState::None,
                evidence: Vec::new(),
                span_ms: 0,
                recent: 0,
            });
            return;
        };
        let w = &mut shard.slab[slot].windows[pos];
        w.window_ms = op.window_ms.clamp(0, u32::MAX as i64) as u32;
        let (raw, repeat) = w.observe(op.time_ms, member);
        // A learned level raises the key's threshold, and its window keeps
        // twice that many members. Below the learning floor nothing is
        // observed, nor reported (`contract::Learn`).
        let learning = op
            .learn
            .as_ref()
            .filter(|l| raw as u64 >= l.floor(op.threshold).max(1) as u64);
        let (mut threshold, level_m, runs) = match learning {
            Some(learn) => w.learned_threshold(learn, op.threshold, op.time_ms, || {
                self.called.stamps().called_lately(op)
            }),
            None => (op.threshold, 0, 0),
        };
        let cap = (op.member_cap as usize)
            .max((threshold as usize).saturating_mul(2))
            .clamp(1, self.max_members);
        let evicted = w.trim_to(cap);
        if evicted > 0 {
            self.stats
                .members_evicted
                .fetch_add(evicted, Ordering::Relaxed);
        }
        let count = raw.min(cap) as u32;
        let span_ms = if op.span && raw >= cap {
            let oldest = w.members.front_time().unwrap_or(op.time_ms);
            op.time_ms.saturating_sub(oldest).clamp(1, u32::MAX as i64) as u32
        } else {
            0
        };
        if learning.is_some() {
            w.learn_count(count);
            if let Some(r) = op.repeats.as_ref() {
                w.record_repeat(r, op.time_ms, repeat);
            }
        } else if let (Some(learn), Some(r), true) =
            (op.learn.as_ref(), op.repeats.as_ref(), repeat && raw >= 2)
        {
            w.early_repeat(learn, op.threshold, op.time_ms, r);
        }
        if count >= threshold && op.called.is_some() {
            threshold = self.called.stamps().judged(op, threshold);
        }
        if let Some(r) = op
            .repeats
            .filter(|_| count >= threshold && learning.is_some())
        {
            threshold = r.lenient(w.repeat_run(), op.time_ms, count, threshold);
        }
        let cutoff = w.hw - w.window_ms as i64;
        // A count-only window keeps no evidence and no cooldown.
        if op.time_ms > cutoff && !op.count_only {
            w.remember(self.evidence_at(evidence, record));
        }
        // A count-only window judged by its key's spell answers the spell's alert.
        let alert = match op.spell {
            Some(sp) if op.count_only => self.spells.spells().update(key, op, &sp, count),
            _ => AlertState::None,
        };
        outs.push(WindowOutcome {
            count,
            threshold,
            level_m,
            runs,
            tracked: true,
            alert,
            evidence: Vec::new(),
            span_ms,
            recent: 0,
        });
        if count >= threshold && !op.count_only {
            let out = outs.last_mut().expect("just pushed");
            match &w.cooldown {
                Some(c) if op.time_ms < c.0 => out.alert = AlertState::Active(c.1.clone()),
                // Past its cooldown, the members that raised it do not raise
                // another: that takes `threshold` members since it ended.
                Some(c) if w.members.count_after(c.0 - 1) < threshold as usize => {
                    out.alert = AlertState::Active(c.1.clone())
                }
                _ => {
                    let id = op.alert_id();
                    w.cooldown = Some(Box::new((
                        op.time_ms.saturating_add(op.cooldown_ms as i64),
                        id.clone(),
                    )));
                    out.alert = AlertState::Raised(id);
                    // Evidence logs are locked after shard locks, never before.
                    out.evidence = self.quote(&w.recent_in_order(), cutoff);
                }
            }
        }
        // Its callers in its last `recent_ms`, when asked (only the slow
        // tier's companion asks): set last, out of the common path.
        if op.recent_ms > 0 {
            if let Some(out) = outs.last_mut() {
                out.recent = w.recent(op.recent_ms, count);
            }
        }
    }

    fn lookup_block(&self, number: &CompactString, time_ms: i64) -> Option<BlockEntry> {
        let shard = self.shard_of(self.hash(number.as_str())).lock();
        shard
            .blocks
            .get(number)
            .filter(|b| b.until_ms > time_ms)
            .cloned()
    }
}

impl WindowStore for MemoryStore {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn metrics(&self) -> Vec<StoreMetric> {
        let st = &self.stats;
        let m = |name, help, kind, v: &AtomicU64| StoreMetric {
            name,
            help,
            kind,
            label: None,
            value: v.load(Ordering::Relaxed),
        };
        vec![
            m("keys", "Keys held by the embedded store", MetricKind::Gauge, &st.keys),
            m(
                "untracked",
                "Window updates not tracked because the embedded store was full",
                MetricKind::Counter,
                &st.untracked,
            ),
            m(
                "reclaimed",
                "Expired keys reclaimed by the embedded store",
                MetricKind::Counter,
                &st.reclaimed,
            ),
            m(
                "evidence_evicted",
                "Alert evidence records the embedded store dropped for room while still in a window",
                MetricKind::Counter,
                &st.evidence_evicted,
            ),
            m(
                "full_sweeps",
                "Sweeps of a whole shard of the embedded store because it was full (raise store.max_keys if this grows)",
                MetricKind::Counter,
                &st.full_sweeps,
            ),
        ]
    }

    fn apply_into(&self, req: &StoreRequest, answer: &mut StoreAnswer) -> Result<(), StoreError> {
        answer.clear_windows();
        answer.blocked = None;
        if let Some(c) = &req.called {
            // Stamped after the windows: its miss overlaps with theirs.
            self.called.stamps().prefetch(c.number.as_bytes());
        }
        let ops = &req.windows[..];
        // Consecutive updates of one key string share a lock and a slot.
        // Room for every op of a call with the defaults on the stack (a
        // call counted by both fan-in tiers, each beside its every-ingress
        // window, plus rotation and fan-out: six keys; four spilled to the
        // heap on 42% of the check benchmark's calls).
        // (Collected by `extend`, which writes into the inline room without
        // asking the vector where its items are at every run as `push` does.)
        let mut runs: SmallVec<[Run; 8]> = SmallVec::new();
        let mut i = 0;
        runs.extend(std::iter::from_fn(|| {
            let key = &ops.get(i)?.key;
            let same = ops[i + 1..].iter().take_while(|o| o.key == *key).count();
            let run = Run {
                first: i,
                len: same + 1,
                key: self.hash(key.as_str()),
                known: None,
            };
            i += same + 1;
            Some(run)
        }));
        // The keys of one call are unrelated, so their cache misses can
        // overlap: start loading every slot before updating any (and note
        // where each was, so that the update need not look it up again).
        if runs.len() > 1 {
            // Every key's index line first, without a lock, so that the
            // probes below (one per shard, each under its lock) do not wait
            // for them one after another.
            for run in &runs {
                self.shards[shard_index(run.key)].hint.prefetch(run.key);
            }
            for run in runs.iter_mut() {
                run.known = self.shards[shard_index(run.key)]
                    .shard
                    .lock()
                    .prefetch_slot(run.key);
            }
        }
        // One evidence record per call, written before any shard is locked;
        // while the store is nearly full, by the first window that keeps it
        // (a call that no window can track then leaves none: under a flood of
        // new numbers, most calls).
        let near_full = self.stats.keys.load(Ordering::Relaxed) as usize * 8
            > self.max_keys_per_shard * SHARDS * 7;
        let mut evidence = match runs.first() {
            Some(&Run { key: pick, .. }) => {
                let longest_window_ms = ops.iter().map(|o| o.window_ms).max().unwrap_or(0);
                if near_full {
                    EvidenceAt::Pending {
                        pick,
                        longest_window_ms,
                    }
                } else {
                    EvidenceAt::Written(self.record_evidence(
                        &req.evidence,
                        pick,
                        longest_window_ms,
                    ))
                }
            }
            None => EvidenceAt::Written(0),
        };
        for &Run {
            first,
            len,
            key,
            mut known,
        } in &runs
        {
            let cell = &self.shards[shard_index(key)];
            let mut shard = cell.shard.lock();
            for op in &ops[first..first + len] {
                let m = self.hash(op.member.as_str());
                self.update(
                    &mut shard,
                    &cell.hint,
                    key,
                    &mut known,
                    op,
                    m,
                    &req.evidence,
                    &mut evidence,
                    &mut answer.windows,
                );
            }
        }
        if let Some(c) = req
            .called
            .as_ref()
            .filter(|c| c.passes(req, &answer.windows))
        {
            self.called.stamps().stamp(c.number.as_bytes(), c.time_ms);
        }
        if let Some((number, t)) = &req.block_lookup {
            answer.blocked = self.lookup_block(number, *t);
        }
        Ok(())
    }

    fn prefetch(&self, key: &str) {
        MemoryStore::prefetch(self, key);
    }

    fn withdraw_alerts(
        &self,
        req: &StoreRequest,
        withdrawals: &[Withdrawal],
    ) -> Result<(), StoreError> {
        for (wd, op) in Withdrawal::in_request(req, withdrawals) {
            // A spell's alert: its entry, no lock.
            let key = self.hash(op.key.as_str());
            if let Some(sp) = op.spell.as_ref().filter(|_| op.count_only) {
                self.spells.spells().withdraw(key, op, sp, &wd.id);
                continue;
            }
            let mut shard = self.shard_of(key).lock();
            let Some(slot) = shard.slot_of(key) else {
                continue;
            };
            let windows = &mut shard.slab[slot].windows;
            if let Some(w) = windows.iter_mut().find(|w| w.rule == op.rule) {
                if w.cooldown.as_ref().is_some_and(|c| c.1 == wd.id) {
                    w.cooldown = None;
                }
            }
        }
        Ok(())
    }

    fn add_blocks(&self, blocks: &[BlockEntry]) -> Result<(), StoreError> {
        for b in blocks {
            let mut shard = self.shard_of(self.hash(b.number.as_str())).lock();
            let fresh = match shard.blocks.get(&b.number) {
                Some(old) => old.until_ms < b.until_ms,
                None => {
                    self.stats.keys.fetch_add(1, Ordering::Relaxed);
                    true
                }
            };
            if fresh {
                shard.blocks.insert(b.number.clone(), b.clone());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed seed (replays) fixes the keys' hash too, which places a key's
    /// shard, slot and spell: one file replays to the same verdicts even
    /// where the spells' bounded collisions decide one.
    #[test]
    fn a_fixed_seed_hashes_keys_alike_in_every_store() {
        let seeded = |seed| {
            MemoryStore::new(MemoryStoreConfig {
                called_seed: seed,
                ..MemoryStoreConfig::default()
            })
        };
        let (a, b) = (seeded(Some(7)), seeded(Some(7)));
        for k in ["*|+2348031234567", "trunk:IC-1|+2348099999999"] {
            assert_eq!(a.hash(k), b.hash(k));
        }
        assert_ne!(a.hash("k"), seeded(Some(8)).hash("k"));
        assert_ne!(seeded(None).hash("k"), seeded(None).hash("k"));
    }

    /// A steady flow of new keys: the sweeping hand reclaims them at the
    /// rate they come, so live keys stay near what the window holds.
    #[test]
    fn the_sweeping_hand_keeps_up_with_a_steady_flow() {
        let store = MemoryStore::new(MemoryStoreConfig::default());
        let t0 = 1_700_000_000_000i64;
        let mut peak = 0;
        for i in 0..200_000i64 {
            let op = WindowOp {
                rule: Reason::DistinctCallers,
                key: format!("+23480{i:08}").into(),
                member: "+2348031000000".into(),
                time_ms: t0 + i,
                window_ms: 1_000,
                threshold: 5,
                cooldown_ms: 60_000,
                member_cap: 64,
                learn: None,
                count_only: false,
                called: None,
                repeats: None,
                span: false,
                recent_ms: 0,
                spell: None,
            };
            let req = StoreRequest {
                windows: smallvec::smallvec![op],
                evidence: Evidence::default(),
                block_lookup: None,
                called: None,
            };
            let ans = store.apply(&req).unwrap();
            assert_eq!(ans.windows[0].count, 1);
            peak = peak.max(store.stats().keys.load(Ordering::Relaxed));
        }
        // One new key per ms, each live for 1 s and kept `LATE_MS` more:
        // 6,000 kept at any time.
        assert!(peak <= 18_000, "peak {peak}");
        assert!(store.stats().reclaimed.load(Ordering::Relaxed) >= 190_000);
    }

    /// A store full of live keys does not sweep every slot on every attempt
    /// to add one (hundreds of µs each): its full sweeps back off while they
    /// free nothing, and come back as soon as keys expire.
    #[test]
    fn a_store_full_of_live_keys_sweeps_it_less_often() {
        let store = MemoryStore::new(MemoryStoreConfig {
            max_keys: 64 * 8,
            ..MemoryStoreConfig::default()
        });
        let t0 = 1_700_000_000_000i64;
        let op = |i: i64, t: i64| StoreRequest {
            windows: smallvec::smallvec![WindowOp {
                rule: Reason::DistinctCallers,
                key: format!("+23480{i:08}").into(),
                member: "+2348031000000".into(),
                time_ms: t,
                window_ms: 3_600_000,
                threshold: 5,
                cooldown_ms: 60_000,
                member_cap: 64,
                learn: None,
                count_only: false,
                called: None,
                repeats: None,
                span: false,
                recent_ms: 0,
                spell: None,
            }],
            evidence: Evidence::default(),
            block_lookup: None,
            called: None,
        };
        // Fill it, then try a new key every 10 ms for 60 s of event time.
        let mut i = 0;
        while store.stats().untracked.load(Ordering::Relaxed) == 0 {
            store.apply(&op(i, t0)).unwrap();
            i += 1;
        }
        let sweeps = |s: &MemoryStore| s.stats().full_sweeps.load(Ordering::Relaxed);
        let before = sweeps(&store);
        for k in 0..6_000 {
            store.apply(&op(i + k, t0 + 10 * k)).unwrap();
        }
        // Every shard is full: one sweep a second would be 64 × 60; with the
        // back-off each shard sweeps after 0, 1, 3, 7, 15, 23, ... s.
        let made = sweeps(&store) - before;
        assert!(made > 0 && made <= 64 * 12, "{made} full sweeps");
        assert!(store.stats().keys.load(Ordering::Relaxed) <= 64 * 8);
        // An hour later everything has expired: new keys are tracked at once.
        let later = t0 + 3_700_000;
        for k in 0..64 {
            let ans = store.apply(&op(1_000_000 + k, later)).unwrap();
            assert!(ans.windows[0].tracked, "key {k} an hour later");
        }
    }

    /// A deterministic pseudo-random source: `next(n)` is below `n`.
    fn xorshift(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        }
    }

    /// The whole store against a plain model: two rules sharing each key
    /// (as the fan-in tiers do) with different windows, many keys per shard,
    /// so the sweeping hand drops expired windows next to live ones and frees
    /// slots while their keys come back. Time only moves forward here, so a
    /// dropped window never held anything a later update could count.
    #[test]
    fn the_store_matches_a_plain_model_while_it_sweeps() {
        let store = MemoryStore::new(MemoryStoreConfig::default());
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        // (rule, key) → (member → latest time, cooldown until).
        type Model =
            std::collections::HashMap<(Reason, u64), (std::collections::HashMap<u64, i64>, i64)>;
        let mut model: Model = Default::default();
        let mut t = 1_700_000_000_000i64;
        for step in 0..150_000u64 {
            // Seconds apart, so that idle keys pass `LATE_MS` and are freed.
            t += next(3) as i64 * 1_000;
            let key = next(3_000);
            let member = next(12);
            let mut ops = smallvec::SmallVec::<[WindowOp; 5]>::new();
            for (rule, window_ms) in [
                (Reason::DistinctCallers, 40_000),
                (Reason::DistinctCallersSlow, 400_000),
            ] {
                if rule == Reason::DistinctCallersSlow && next(3) == 0 {
                    continue;
                }
                ops.push(WindowOp {
                    rule,
                    key: format!("k{key}").into(),
                    member: format!("m{member}").into(),
                    time_ms: t,
                    window_ms,
                    threshold: 3,
                    cooldown_ms: 100_000,
                    member_cap: 64,
                    learn: None,
                    count_only: false,
                    called: None,
                    repeats: None,
                    span: false,
                    recent_ms: 0,
                    spell: None,
                });
            }
            let req = StoreRequest {
                windows: ops.clone(),
                evidence: Evidence::default(),
                block_lookup: None,
                called: None,
            };
            let ans = store.apply(&req).unwrap();
            for (op, out) in ops.iter().zip(&ans.windows) {
                let (members, cooldown) = model.entry((op.rule, key)).or_default();
                members.insert(member, t);
                members.retain(|_, &mut seen| seen > t - op.window_ms);
                let count = members.len() as u32;
                assert_eq!(out.count, count, "step {step} {:?}", op.rule);
                let expected = if count < op.threshold {
                    AlertState::None
                } else if t < *cooldown
                    // Past it (0: none), the same members raise no other.
                    || (*cooldown != 0
                        && members.values().filter(|&&seen| seen >= *cooldown).count()
                            < op.threshold as usize)
                {
                    AlertState::Active(CompactString::default())
                } else {
                    *cooldown = t + op.cooldown_ms as i64;
                    AlertState::Raised(CompactString::default())
                };
                assert_eq!(
                    std::mem::discriminant(&out.alert),
                    std::mem::discriminant(&expected),
                    "step {step} {:?}",
                    op.rule
                );
            }
        }
        assert!(store.stats().reclaimed.load(Ordering::Relaxed) > 10_000);
    }

    /// A window checked against a plain model (member → latest time, trimmed
    /// to `(hw - W, hw]`, oldest evicted past the cap) over a long random run
    /// with repeat members, late events and sizes crossing the inline/indexed
    /// boundary both ways: counts must match after every update.
    #[test]
    fn windows_match_a_plain_model() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for (window_ms, members, cap) in [
            (1_000, 40, 10_000),
            (5_000, 300, 100),
            (200, 5, 3),
            (20_000, 600, 10_000),
            (20_000, 600, 200),
        ] {
            let mut w = Window::new(Reason::CliRotation, 0, window_ms);
            // member → (latest time, order of the update that set it): ties in
            // time leave in arrival order, as in the store.
            let mut model: std::collections::HashMap<u64, (i64, u64)> = Default::default();
            let mut hw = 0i64;
            let mut t = 0i64;
            for step in 0..50_000u64 {
                // Mostly forward in time, sometimes a late event.
                t += next(40) as i64;
                let at = if next(10) == 0 {
                    t - next(window_ms as u64 * 2) as i64
                } else {
                    t
                };
                let m = next(members);
                w.observe(at, m);
                let evicted = w.trim_to(cap);
                let count = w.members.len();

                let e = model.entry(m).or_insert((i64::MIN, 0));
                if at > e.0 {
                    *e = (at, step);
                }
                hw = hw.max(at);
                model.retain(|_, &mut (seen, _)| seen > hw - window_ms);
                let mut expected_evicted = 0;
                while model.len() > cap {
                    let oldest = *model.iter().min_by_key(|(_, &v)| v).unwrap().0;
                    model.remove(&oldest);
                    expected_evicted += 1;
                }
                assert_eq!(count, model.len(), "step {step}, W {window_ms}");
                assert_eq!(
                    evicted,
                    expected_evicted,
                    "step {step}, W {window_ms}, cap {cap}, count {count}, late {}",
                    at < t
                );
                // The members of the window's last quarter (the slow tier's
                // companion asks this on every call), every few steps.
                if step % 8 == 0 {
                    let cutoff = w.hw - window_ms / 4;
                    let recent = model.values().filter(|&&(seen, _)| seen > cutoff).count();
                    assert_eq!(
                        w.members.count_after(cutoff),
                        recent,
                        "step {step}, W {window_ms}"
                    );
                }
            }
        }
    }
}
