//! The embedded window store: in-process, concurrent, memory-bounded.
//!
//! State is split over 64 shards, each behind its own mutex, so concurrent
//! checks rarely meet. A window keeps one entry per member sorted by time (a
//! hash index is added once it grows past a few dozen members), its latest
//! event time, its alert cooldown and a short list of recent calls for evidence.
//!
//! Memory is bounded three ways:
//! - entries older than the window are trimmed on every update;
//! - keys whose window and cooldown have passed (in event time) are reclaimed
//!   a few at a time on every update, from a per-shard expiry queue;
//! - at most `max_keys` keys are tracked. When the store is full, a new key is
//!   **not tracked** (existing keys keep working): its update answers
//!   `tracked = false` and the verdict carries `store_capacity`. Failing open
//!   this way keeps memory fixed under a flood of random numbers; the counter
//!   `untracked` tells operators to raise the cap.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use compact_str::CompactString;
use hashbrown::HashMap;
use parking_lot::Mutex;
use smallvec::SmallVec;

use super::{
    evidence_in_window, AlertState, BlockEntry, StoreAnswer, StoreError, StoreRequest, WindowOp,
    WindowOutcome, WindowStore, EVIDENCE_MAX,
};
use crate::engine::verdict::{Evidence, WindowRule};

const SHARDS: usize = 64;
/// Above this many members a window builds a hash index; below `INDEX_DROP` it drops it.
const INDEX_BUILD: usize = 16;
const INDEX_DROP: usize = 8;
/// Expired keys examined per update (amortised reclamation).
const RECLAIM_PER_UPDATE: usize = 2;
/// Expired keys examined before refusing a new key when the shard is full.
const RECLAIM_WHEN_FULL: usize = 64;

/// Limits of the embedded store.
#[derive(Debug, Clone, Copy)]
pub struct MemoryStoreConfig {
    /// Most keys (windows plus auto-blocks) tracked at once.
    pub max_keys: usize,
    /// Most members one window keeps; the oldest go first.
    pub max_members_per_key: usize,
}

impl Default for MemoryStoreConfig {
    fn default() -> Self {
        MemoryStoreConfig {
            max_keys: 1_000_000,
            max_members_per_key: 10_000,
        }
    }
}

/// Counters of the embedded store.
#[derive(Debug, Default)]
pub struct MemoryStoreStats {
    pub keys: AtomicU64,
    pub reclaimed: AtomicU64,
    pub untracked: AtomicU64,
    pub members_evicted: AtomicU64,
}

type WindowKey = (WindowRule, CompactString);

/// The members of one window: (latest time, member hash), one entry per
/// member, sorted by time (ties in arrival order). Most windows hold one or two members, so those live
/// inline; a window that grows past `INDEX_BUILD` moves to a deque with a hash
/// index, which keeps a hotline with thousands of callers O(1) per update.
enum Members {
    Small(SmallVec<[(i64, u64); 2]>),
    Large(Box<LargeMembers>),
}

struct LargeMembers {
    order: VecDeque<(i64, u64)>,
    index: HashMap<u64, i64>,
}

impl Members {
    fn len(&self) -> usize {
        match self {
            Members::Small(v) => v.len(),
            Members::Large(l) => l.order.len(),
        }
    }

    fn front_time(&self) -> Option<i64> {
        match self {
            Members::Small(v) => v.first().map(|e| e.0),
            Members::Large(l) => l.order.front().map(|e| e.0),
        }
    }

    fn latest_of(&self, m: u64) -> Option<i64> {
        match self {
            Members::Small(v) => v.iter().find(|e| e.1 == m).map(|e| e.0),
            Members::Large(l) => l.index.get(&m).copied(),
        }
    }

    fn remove_entry(&mut self, t: i64, m: u64) {
        match self {
            Members::Small(v) => v.retain(|e| *e != (t, m)),
            Members::Large(l) => {
                let start = l.order.partition_point(|e| e.0 < t);
                if let Some(off) = l.order.range(start..).position(|e| *e == (t, m)) {
                    l.order.remove(start + off);
                }
                l.index.remove(&m);
            }
        }
    }

    fn insert_entry(&mut self, t: i64, m: u64) {
        let e = (t, m);
        match self {
            Members::Small(v) => {
                match v.last() {
                    Some(last) if last.0 > t => {
                        let pos = v.partition_point(|x| x.0 <= t);
                        v.insert(pos, e);
                    }
                    _ => v.push(e),
                }
                if v.len() > INDEX_BUILD {
                    let order: VecDeque<(i64, u64)> = v.iter().copied().collect();
                    let index = order.iter().map(|&(t, m)| (m, t)).collect();
                    *self = Members::Large(Box::new(LargeMembers { order, index }));
                }
            }
            Members::Large(l) => {
                match l.order.back() {
                    Some(last) if last.0 > t => {
                        let pos = l.order.partition_point(|x| x.0 <= t);
                        l.order.insert(pos, e);
                    }
                    _ => l.order.push_back(e),
                }
                l.index.insert(m, t);
            }
        }
    }

    fn pop_oldest(&mut self) {
        match self {
            Members::Small(v) => {
                if !v.is_empty() {
                    v.remove(0);
                }
            }
            Members::Large(l) => {
                if let Some((_, m)) = l.order.pop_front() {
                    l.index.remove(&m);
                }
                if l.order.len() < INDEX_DROP {
                    let v = l.order.iter().copied().collect();
                    *self = Members::Small(v);
                }
            }
        }
    }
}

/// One (rule, key) window. Kept inline in the shard's table: a window that
/// sees one or two calls costs no allocation beyond the table slot.
struct Window {
    members: Members,
    hw: i64,
    window_ms: i64,
    /// The last `EVIDENCE_MAX` calls, oldest first.
    recent: SmallVec<[Arc<Evidence>; 2]>,
    /// (until, alert id) of the alert in its cooldown; rare, so boxed.
    cooldown: Option<Box<(i64, CompactString)>>,
}

impl Window {
    fn new(hw: i64, window_ms: i64) -> Window {
        Window {
            members: Members::Small(SmallVec::new()),
            hw,
            window_ms,
            recent: SmallVec::new(),
            cooldown: None,
        }
    }

    /// Event time after which this key holds nothing worth keeping.
    fn expires_at(&self) -> i64 {
        let w = self.hw.saturating_add(self.window_ms);
        match &self.cooldown {
            Some(c) => w.max(c.0),
            None => w,
        }
    }

    /// Adds or refreshes a member, trims the window, answers the member count
    /// and how many members the size cap evicted.
    fn observe(&mut self, t: i64, m: u64, max_members: usize) -> (usize, u64) {
        match self.members.latest_of(m) {
            Some(old) if old >= t => {}
            Some(old) => {
                self.members.remove_entry(old, m);
                self.members.insert_entry(t, m);
            }
            None => self.members.insert_entry(t, m),
        }
        self.hw = self.hw.max(t);
        let cutoff = self.hw - self.window_ms;
        while matches!(self.members.front_time(), Some(ft) if ft <= cutoff) {
            self.members.pop_oldest();
        }
        let mut evicted = 0;
        while self.members.len() > max_members {
            self.members.pop_oldest();
            evicted += 1;
        }
        (self.members.len(), evicted)
    }
}

#[derive(Default)]
struct Shard {
    windows: HashMap<WindowKey, Window>,
    blocks: HashMap<CompactString, BlockEntry>,
    /// (expiry in event time, key) in creation order; re-queued when extended.
    expiry: VecDeque<(i64, WindowKey)>,
    updates: u32,
}

impl Shard {
    fn len(&self) -> usize {
        self.windows.len() + self.blocks.len()
    }

    /// Reclaims up to `budget` expired windows and blocks as of `now`.
    fn reclaim(&mut self, now: i64, budget: usize, stats: &MemoryStoreStats) {
        for _ in 0..budget {
            match self.expiry.front() {
                Some((at, _)) if *at <= now => {}
                _ => break,
            }
            let Some((_, key)) = self.expiry.pop_front() else {
                break;
            };
            match self.windows.get(&key).map(|w| w.expires_at()) {
                Some(at) if at <= now => {
                    self.windows.remove(&key);
                    stats.reclaimed.fetch_add(1, Ordering::Relaxed);
                    stats.keys.fetch_sub(1, Ordering::Relaxed);
                }
                Some(at) => self.expiry.push_back((at, key)),
                None => {}
            }
        }
        self.updates = self.updates.wrapping_add(1);
        if self.blocks.len() > 64 && self.updates.is_multiple_of(1024) {
            let before = self.blocks.len();
            self.blocks.retain(|_, b| b.until_ms > now);
            let gone = (before - self.blocks.len()) as u64;
            stats.keys.fetch_sub(gone, Ordering::Relaxed);
        }
    }
}

/// The embedded store. See the module documentation.
pub struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    hasher: foldhash::fast::FixedState,
    max_keys_per_shard: usize,
    max_members: usize,
    stats: MemoryStoreStats,
}

impl MemoryStore {
    pub fn new(cfg: MemoryStoreConfig) -> MemoryStore {
        MemoryStore {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            // A fixed seed keeps shard placement stable across runs (benchmarks, tests).
            hasher: foldhash::fast::FixedState::with_seed(0x0ac3_5eed),
            max_keys_per_shard: cfg.max_keys.div_ceil(SHARDS).max(1),
            max_members: cfg.max_members_per_key.max(1),
            stats: MemoryStoreStats::default(),
        }
    }

    pub fn stats(&self) -> &MemoryStoreStats {
        &self.stats
    }

    fn hash<T: Hash + ?Sized>(&self, v: &T) -> u64 {
        self.hasher.hash_one(v)
    }

    fn shard_for<T: Hash + ?Sized>(&self, v: &T) -> &Mutex<Shard> {
        &self.shards[(self.hash(v) >> 58) as usize % SHARDS]
    }

    fn apply_window(&self, op: &WindowOp) -> WindowOutcome {
        let member = self.hash(op.member.as_str());
        let mut guard = self.shard_for(op.key.as_str()).lock();
        let shard = &mut *guard;
        shard.reclaim(op.time_ms, RECLAIM_PER_UPDATE, &self.stats);
        let key: WindowKey = (op.rule, op.key.clone());
        let full = shard.len() >= self.max_keys_per_shard;
        if full && !shard.windows.contains_key(&key) {
            shard.reclaim(op.time_ms, RECLAIM_WHEN_FULL, &self.stats);
            if shard.len() >= self.max_keys_per_shard {
                self.stats.untracked.fetch_add(1, Ordering::Relaxed);
                return WindowOutcome {
                    count: 0,
                    tracked: false,
                    alert: AlertState::None,
                    evidence: Vec::new(),
                };
            }
        }
        // One probe of the table for both a new and a known key.
        let w = match shard.windows.entry(key) {
            hashbrown::hash_map::Entry::Occupied(o) => o.into_mut(),
            hashbrown::hash_map::Entry::Vacant(v) => {
                let w = Window::new(op.time_ms, op.window_ms);
                shard.expiry.push_back((w.expires_at(), v.key().clone()));
                self.stats.keys.fetch_add(1, Ordering::Relaxed);
                v.insert(w)
            }
        };
        w.window_ms = op.window_ms;
        let (count, evicted) = w.observe(op.time_ms, member, self.max_members);
        if evicted > 0 {
            self.stats
                .members_evicted
                .fetch_add(evicted, Ordering::Relaxed);
        }
        let cutoff = w.hw - w.window_ms;
        if op.time_ms > cutoff {
            if w.recent.len() == EVIDENCE_MAX {
                w.recent.remove(0);
            }
            w.recent.push(op.evidence.clone());
        }
        let count = count as u32;
        let mut out = WindowOutcome {
            count,
            tracked: true,
            alert: AlertState::None,
            evidence: Vec::new(),
        };
        if count >= op.threshold {
            match &w.cooldown {
                Some(c) if op.time_ms < c.0 => out.alert = AlertState::Active(c.1.clone()),
                _ => {
                    let id = op.alert_id();
                    w.cooldown = Some(Box::new((
                        op.time_ms.saturating_add(op.cooldown_ms),
                        id.clone(),
                    )));
                    out.alert = AlertState::Raised(id);
                    out.evidence = evidence_in_window(w.recent.iter().map(|e| &**e), cutoff);
                }
            }
        }
        out
    }

    fn lookup_block(&self, number: &CompactString, time_ms: i64) -> Option<BlockEntry> {
        let shard = self.shard_for(number.as_str()).lock();
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

    fn apply(&self, req: &StoreRequest) -> Result<StoreAnswer, StoreError> {
        let mut answer = StoreAnswer::default();
        for op in &req.windows {
            answer.windows.push(self.apply_window(op));
        }
        if let Some((number, t)) = &req.block_lookup {
            answer.blocked = self.lookup_block(number, *t);
        }
        Ok(answer)
    }

    fn add_blocks(&self, blocks: &[BlockEntry]) -> Result<(), StoreError> {
        for b in blocks {
            let mut shard = self.shard_for(b.number.as_str()).lock();
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
