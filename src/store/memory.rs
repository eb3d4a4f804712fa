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

use super::{
    evidence_in_window, AlertState, BlockEntry, StoreAnswer, StoreError, StoreRequest, WindowOp,
    WindowOutcome, WindowStore, EVIDENCE_MAX,
};
use crate::engine::verdict::{Evidence, WindowRule};

const SHARDS: usize = 64;
/// Above this many members a window builds a hash index; below `INDEX_DROP` it drops it.
const INDEX_BUILD: usize = 32;
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

struct Window {
    /// One entry per member: (latest time, member hash), sorted.
    order: VecDeque<(i64, u64)>,
    /// member hash -> latest time, present while the window is large.
    index: Option<HashMap<u64, i64>>,
    hw: i64,
    window_ms: i64,
    recent: VecDeque<Arc<Evidence>>,
    cooldown: Option<(i64, CompactString)>,
}

impl Window {
    fn new(hw: i64, window_ms: i64) -> Window {
        Window {
            order: VecDeque::new(),
            index: None,
            hw,
            window_ms,
            recent: VecDeque::new(),
            cooldown: None,
        }
    }

    /// Event time after which this key holds nothing worth keeping.
    fn expires_at(&self) -> i64 {
        let w = self.hw.saturating_add(self.window_ms);
        match &self.cooldown {
            Some((until, _)) => w.max(*until),
            None => w,
        }
    }

    fn latest_of(&self, m: u64) -> Option<i64> {
        match &self.index {
            Some(ix) => ix.get(&m).copied(),
            None => self.order.iter().find(|e| e.1 == m).map(|e| e.0),
        }
    }

    fn remove_entry(&mut self, t: i64, m: u64) {
        let start = self.order.partition_point(|e| e.0 < t);
        if let Some(off) = self.order.range(start..).position(|e| *e == (t, m)) {
            self.order.remove(start + off);
        }
        if let Some(ix) = &mut self.index {
            ix.remove(&m);
        }
    }

    fn insert_entry(&mut self, t: i64, m: u64) {
        let e = (t, m);
        match self.order.back() {
            Some(last) if *last > e => {
                let pos = self.order.partition_point(|x| *x <= e);
                self.order.insert(pos, e);
            }
            _ => self.order.push_back(e),
        }
        if let Some(ix) = &mut self.index {
            ix.insert(m, t);
        } else if self.order.len() > INDEX_BUILD {
            self.index = Some(self.order.iter().map(|&(t, m)| (m, t)).collect());
        }
    }

    fn pop_oldest(&mut self) {
        if let Some((_, m)) = self.order.pop_front() {
            if let Some(ix) = &mut self.index {
                ix.remove(&m);
            }
        }
    }

    /// Adds or refreshes a member, trims the window, answers the member count.
    fn observe(&mut self, t: i64, m: u64, max_members: usize) -> (usize, u64) {
        match self.latest_of(m) {
            Some(old) if old >= t => {}
            Some(old) => {
                self.remove_entry(old, m);
                self.insert_entry(t, m);
            }
            None => self.insert_entry(t, m),
        }
        self.hw = self.hw.max(t);
        let cutoff = self.hw - self.window_ms;
        while matches!(self.order.front(), Some(&(ft, _)) if ft <= cutoff) {
            self.pop_oldest();
        }
        let mut evicted = 0;
        while self.order.len() > max_members {
            self.pop_oldest();
            evicted += 1;
        }
        if self.order.len() < INDEX_DROP {
            self.index = None;
        }
        (self.order.len(), evicted)
    }
}

#[derive(Default)]
struct Shard {
    /// Boxed: keeps the table small and its rehashes cheap.
    windows: HashMap<WindowKey, Box<Window>>,
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
        let mut shard = self.shard_for(op.key.as_str()).lock();
        shard.reclaim(op.time_ms, RECLAIM_PER_UPDATE, &self.stats);
        let key: WindowKey = (op.rule, op.key.clone());
        if !shard.windows.contains_key(&key) {
            if shard.len() >= self.max_keys_per_shard {
                shard.reclaim(op.time_ms, RECLAIM_WHEN_FULL, &self.stats);
            }
            if shard.len() >= self.max_keys_per_shard {
                self.stats.untracked.fetch_add(1, Ordering::Relaxed);
                return WindowOutcome {
                    count: 0,
                    tracked: false,
                    alert: AlertState::None,
                    evidence: Vec::new(),
                };
            }
            let w = Window::new(op.time_ms, op.window_ms);
            shard.expiry.push_back((w.expires_at(), key.clone()));
            shard.windows.insert(key.clone(), Box::new(w));
            self.stats.keys.fetch_add(1, Ordering::Relaxed);
        }
        let w = shard.windows.get_mut(&key).expect("window inserted above");
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
                w.recent.pop_front();
            }
            w.recent.push_back(op.evidence.clone());
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
                Some((until, id)) if op.time_ms < *until => {
                    out.alert = AlertState::Active(id.clone())
                }
                _ => {
                    let id = op.alert_id();
                    w.cooldown = Some((op.time_ms.saturating_add(op.cooldown_ms), id.clone()));
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
