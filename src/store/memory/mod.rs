//! The embedded window store: in-process, concurrent, memory-bounded.
//!
//! State is split over 64 shards, each behind its own mutex, so concurrent
//! checks rarely meet. A key string is found by one 64-bit hash, computed once
//! per request with a per-store random seed (so nobody outside can aim
//! collisions at it), through a small index into a dense slab of slots; the
//! windows of every rule on that key share the slot. A window keeps its
//! members by latest time (inline while small; past 16 members an append-only
//! time log plus a hash index), its latest event time, its alert cooldown and
//! its last 16 calls for evidence (offsets into the shard's [`evidence_log`]).
//!
//! Memory is bounded three ways:
//! - members older than the window are trimmed on every update;
//! - keys whose window and cooldown have passed (in event time) are swept out
//!   of a shard whenever it has doubled since its last sweep: one sequential
//!   pass, amortised O(1) per update, with no per-key expiry bookkeeping;
//! - at most `max_keys` keys are tracked. When a shard is full, it is swept (at
//!   most once per second of event time) and if still full a new key is **not
//!   tracked** (existing keys keep working): its update answers
//!   `tracked = false` and the verdict carries `store_capacity`. Failing open
//!   this way keeps memory fixed under a flood of random numbers; the counter
//!   `untracked` tells operators to raise the cap.

mod evidence_log;

use std::collections::VecDeque;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use compact_str::CompactString;
use hashbrown::HashMap;
use parking_lot::Mutex;
use smallvec::SmallVec;

use super::{
    AlertState, BlockEntry, StoreAnswer, StoreError, StoreRequest, WindowOp, WindowOutcome,
    WindowStore, EVIDENCE_MAX,
};
use crate::engine::verdict::{Evidence, WindowRule};
use evidence_log::EvidenceLog;

const SHARDS: usize = 64;
/// Above this many members a window builds a hash index; below `INDEX_DROP` it drops it.
const INDEX_BUILD: usize = 16;
const INDEX_DROP: usize = 8;
/// A shard is not swept before it holds this many keys.
const SWEEP_MIN: usize = 128;
/// A full shard is swept for room at most this often (event time).
const FULL_SWEEP_EVERY_MS: i64 = 1000;

/// Limits of the embedded store.
#[derive(Debug, Clone, Copy)]
pub struct MemoryStoreConfig {
    /// Most keys (windows plus auto-blocks) tracked at once.
    pub max_keys: usize,
    /// Most members one window keeps, whatever its rule's cap
    /// (`WindowOp::member_cap`); the oldest go first.
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
    /// Evidence records dropped by the evidence byte cap while still quotable.
    pub evidence_evicted: AtomicU64,
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
/// windows hold one or two members, so those live inline, sorted by time (ties
/// in arrival order). A window that grows past `INDEX_BUILD` moves to
/// [`LargeMembers`], which keeps a hotline with thousands of callers O(1) per
/// update.
enum Members {
    Small(SmallVec<[(i64, u64); 1]>),
    Large(Box<LargeMembers>),
}

/// A time-ordered log of (time, member) plus each member's latest time. A
/// repeat caller is appended again rather than moved: its older log entry is
/// stale (its time is no longer the member's latest) and is skipped when it
/// reaches the front. The log is compacted when stale entries outnumber live ones.
struct LargeMembers {
    log: VecDeque<(i64, u64)>,
    latest: HashedMap<i64>,
    /// Stale entries in `log`. While none (a velocity window's Call-IDs are
    /// nearly always new), the front is live without a lookup.
    stale: usize,
}

impl LargeMembers {
    fn is_live(&self, (t, m): (i64, u64)) -> bool {
        self.latest.get(&m) == Some(&t)
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
            let latest = &self.latest;
            self.log.retain(|&(t, m)| latest.get(&m) == Some(&t));
            self.stale = 0;
        }
    }
}

impl Members {
    fn len(&self) -> usize {
        match self {
            Members::Small(v) => v.len(),
            Members::Large(l) => l.latest.len(),
        }
    }

    fn front_time(&mut self) -> Option<i64> {
        match self {
            Members::Small(v) => v.first().map(|e| e.0),
            Members::Large(l) => {
                l.skip_stale();
                l.log.front().map(|e| e.0)
            }
        }
    }

    /// Records member `m` at time `t` unless it was already seen at `t` or later.
    fn observe(&mut self, t: i64, m: u64) {
        match self {
            Members::Small(v) => {
                match v.iter().position(|e| e.1 == m) {
                    Some(pos) if v[pos].0 >= t => return,
                    Some(pos) => {
                        v.remove(pos);
                    }
                    None => {}
                }
                match v.last() {
                    Some(last) if last.0 > t => {
                        let pos = v.partition_point(|x| x.0 <= t);
                        v.insert(pos, (t, m));
                    }
                    _ => v.push((t, m)),
                }
                if v.len() > INDEX_BUILD {
                    let log: VecDeque<(i64, u64)> = v.iter().copied().collect();
                    let latest = log.iter().map(|&(t, m)| (m, t)).collect();
                    *self = Members::Large(Box::new(LargeMembers {
                        log,
                        latest,
                        stale: 0,
                    }));
                }
            }
            Members::Large(l) => {
                match l.latest.entry(m) {
                    hashbrown::hash_map::Entry::Occupied(o) if *o.get() >= t => return,
                    hashbrown::hash_map::Entry::Occupied(mut o) => {
                        o.insert(t);
                        l.stale += 1;
                    }
                    hashbrown::hash_map::Entry::Vacant(v) => {
                        v.insert(t);
                    }
                }
                l.append(t, m);
                l.compact_if_sparse();
            }
        }
    }

    /// Removes the oldest member (the front, after skipping stale entries).
    fn pop_oldest(&mut self) {
        match self {
            Members::Small(v) => {
                if !v.is_empty() {
                    v.remove(0);
                }
            }
            Members::Large(l) => {
                l.skip_stale();
                if let Some((t, m)) = l.log.pop_front() {
                    debug_assert!(l.latest.get(&m) == Some(&t), "stale count out of step");
                    l.latest.remove(&m);
                }
                if l.latest.len() < INDEX_DROP {
                    let v = l.log.iter().copied().filter(|&e| l.is_live(e)).collect();
                    *self = Members::Small(v);
                }
            }
        }
    }
}

/// One (rule, key) window. Kept inline in its slot: a window that
/// sees one call costs no allocation beyond the slot.
struct Window {
    rule: WindowRule,
    /// At most 30 days (config), so it fits.
    window_ms: u32,
    members: Members,
    hw: i64,
    /// The last `EVIDENCE_MAX` calls, oldest first, as evidence log offsets.
    recent: SmallVec<[u64; 2]>,
    /// (until, alert id) of the alert in its cooldown; rare, so boxed.
    cooldown: Option<Box<(i64, CompactString)>>,
}

impl Window {
    fn new(rule: WindowRule, hw: i64, window_ms: i64) -> Window {
        Window {
            rule,
            window_ms: window_ms.clamp(0, u32::MAX as i64) as u32,
            members: Members::Small(SmallVec::new()),
            hw,
            recent: SmallVec::new(),
            cooldown: None,
        }
    }

    /// Event time after which this key holds nothing worth keeping.
    fn expires_at(&self) -> i64 {
        let w = self.hw.saturating_add(self.window_ms as i64);
        match &self.cooldown {
            Some(c) => w.max(c.0),
            None => w,
        }
    }

    /// Adds or refreshes a member, trims the window, answers the member count
    /// and how many members the size cap evicted.
    fn observe(&mut self, t: i64, m: u64, max_members: usize) -> (usize, u64) {
        self.members.observe(t, m);
        self.hw = self.hw.max(t);
        let cutoff = self.hw - self.window_ms as i64;
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

/// The windows of one key string, one per rule. Rules that share a key (the
/// fan-in tiers on a B-number; rotation and international ingress on a
/// source) share one slot: one lookup for both. An empty slot is free.
#[derive(Default)]
struct Slot {
    key: u64,
    windows: SmallVec<[Window; 2]>,
}

struct Shard {
    /// Key hash → slot in `slab`. Small entries (16 bytes), so the index of a
    /// million keys mostly stays in cache and a lookup costs one miss, on the slot.
    index: HashedMap<u32>,
    slab: Vec<Slot>,
    /// Empty slots of `slab`, reused first.
    free: Vec<u32>,
    /// Windows across all entries (the unit of `max_keys`).
    windows: usize,
    blocks: HashMap<CompactString, BlockEntry>,
    evidence: EvidenceLog,
    /// The next sweep happens when the shard holds this many windows.
    sweep_at: usize,
    /// Event time of the last sweep made because the shard was full.
    full_sweep_ms: i64,
}

impl Shard {
    fn new(max_keys: usize) -> Shard {
        Shard {
            index: HashedMap::default(),
            slab: Vec::new(),
            free: Vec::new(),
            windows: 0,
            blocks: HashMap::new(),
            evidence: EvidenceLog::default(),
            sweep_at: SWEEP_MIN.min(max_keys),
            full_sweep_ms: i64::MIN,
        }
    }

    fn len(&self) -> usize {
        self.windows + self.blocks.len()
    }

    /// Removes every window and block that has expired as of `now`.
    fn sweep(&mut self, now: i64, max_keys: usize, stats: &MemoryStoreStats) {
        let before = self.len();
        let mut windows = 0;
        // One pass over the dense slab; the index only hears of removals.
        for (i, slot) in self.slab.iter_mut().enumerate() {
            if slot.windows.is_empty() {
                continue;
            }
            slot.windows.retain(|w| w.expires_at() > now);
            windows += slot.windows.len();
            if slot.windows.is_empty() {
                self.index.remove(&slot.key);
                self.free.push(i as u32);
            }
        }
        self.windows = windows;
        self.blocks.retain(|_, b| b.until_ms > now);
        let gone = (before - self.len()) as u64;
        stats.reclaimed.fetch_add(gone, Ordering::Relaxed);
        stats.keys.fetch_sub(gone, Ordering::Relaxed);
        // Twice what survived: each key is swept over a bounded number of times.
        self.sweep_at = (2 * self.windows).clamp(SWEEP_MIN.min(max_keys), max_keys);
    }

    /// Makes room for one more key if it can; false when the shard stays full.
    fn room_for_one(&mut self, now: i64, max_keys: usize, stats: &MemoryStoreStats) -> bool {
        if self.len() < max_keys {
            return true;
        }
        if now.saturating_sub(self.full_sweep_ms) >= FULL_SWEEP_EVERY_MS {
            self.full_sweep_ms = now;
            self.sweep(now, max_keys, stats);
        }
        self.len() < max_keys
    }

    /// Where the window of `rule` under `key` sits (slot, position in the
    /// slot), created when there is room.
    fn window(
        &mut self,
        key: u64,
        op: &WindowOp,
        max_keys: usize,
        stats: &MemoryStoreStats,
    ) -> Option<(usize, usize)> {
        if self.windows >= self.sweep_at {
            self.sweep(op.time_ms, max_keys, stats);
        }
        let slot = self.index.get(&key).map(|&i| i as usize);
        if let Some(i) = slot {
            if let Some(pos) = self.slab[i].windows.iter().position(|w| w.rule == op.rule) {
                return Some((i, pos));
            }
        }
        if !self.room_for_one(op.time_ms, max_keys, stats) {
            return None;
        }
        // The sweep above may have freed this key's slot: look again.
        let i = match self.index.get(&key) {
            Some(&i) => i as usize,
            None => {
                let i = match self.free.pop() {
                    Some(i) => i as usize,
                    None => {
                        self.slab.push(Slot::default());
                        self.slab.len() - 1
                    }
                };
                self.slab[i].key = key;
                self.index.insert(key, i as u32);
                i
            }
        };
        let windows = &mut self.slab[i].windows;
        windows.push(Window::new(op.rule, op.time_ms, op.window_ms));
        self.windows += 1;
        stats.keys.fetch_add(1, Ordering::Relaxed);
        Some((i, windows.len() - 1))
    }
}

/// The shard of a hashed key. Tables index by the low bits and tag by the top
/// seven, so the shard takes bits from the middle.
fn shard_index(h: u64) -> usize {
    (h >> 32) as usize % SHARDS
}

/// The embedded store. See the module documentation.
pub struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    hasher: foldhash::fast::RandomState,
    max_keys_per_shard: usize,
    max_members: usize,
    stats: MemoryStoreStats,
}

impl MemoryStore {
    pub fn new(cfg: MemoryStoreConfig) -> MemoryStore {
        let max_keys_per_shard = cfg.max_keys.div_ceil(SHARDS).max(1);
        MemoryStore {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(Shard::new(max_keys_per_shard)))
                .collect(),
            hasher: foldhash::fast::RandomState::default(),
            max_keys_per_shard,
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

    fn shard_of(&self, h: u64) -> &Mutex<Shard> {
        &self.shards[shard_index(h)]
    }

    /// Applies one update to its window in a locked shard.
    /// `written`: this call's evidence record in this shard's log, once written.
    fn update(
        &self,
        shard: &mut Shard,
        key: u64,
        op: &WindowOp,
        call: &Evidence,
        written: &mut Option<u64>,
    ) -> WindowOutcome {
        let member = self.hash(op.member.as_str());
        let Some((slot, pos)) = shard.window(key, op, self.max_keys_per_shard, &self.stats) else {
            self.stats.untracked.fetch_add(1, Ordering::Relaxed);
            return WindowOutcome {
                count: 0,
                tracked: false,
                alert: AlertState::None,
                evidence: Vec::new(),
            };
        };
        let Shard { slab, evidence, .. } = shard;
        let w = &mut slab[slot].windows[pos];
        w.window_ms = op.window_ms.clamp(0, u32::MAX as i64) as u32;
        let cap = (op.member_cap as usize).clamp(1, self.max_members);
        let (count, evicted) = w.observe(op.time_ms, member, cap);
        if evicted > 0 {
            self.stats
                .members_evicted
                .fetch_add(evicted, Ordering::Relaxed);
        }
        let cutoff = w.hw - w.window_ms as i64;
        if op.time_ms > cutoff {
            evidence.serves_window(op.window_ms);
            let offset = *written.get_or_insert_with(|| {
                let (offset, early) = evidence.append(call);
                if early > 0 {
                    self.stats
                        .evidence_evicted
                        .fetch_add(early, Ordering::Relaxed);
                }
                offset
            });
            if w.recent.len() == EVIDENCE_MAX {
                w.recent.remove(0);
            }
            w.recent.push(offset);
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
                    let mut quoted: Vec<Evidence> = (w.recent.iter())
                        .filter_map(|&offset| evidence.get(offset))
                        .filter(|e| e.time_ms > cutoff)
                        .collect();
                    quoted.sort_by_key(|e| e.time_ms);
                    out.evidence = quoted;
                }
            }
        }
        out
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

    fn apply(&self, req: &StoreRequest) -> Result<StoreAnswer, StoreError> {
        let mut answer = StoreAnswer::default();
        // Consecutive updates of one key string share a lock and a slot.
        let ops = &req.windows[..];
        let mut written: SmallVec<[(usize, u64); 4]> = SmallVec::new();
        let mut i = 0;
        while i < ops.len() {
            let key = self.hash(ops[i].key.as_str());
            let same = ops[i + 1..]
                .iter()
                .take_while(|o| o.key == ops[i].key)
                .count();
            let shard_index = shard_index(key);
            let mut shard = self.shards[shard_index].lock();
            // One evidence record per call and shard, shared by its windows there.
            let mut here = written
                .iter()
                .find(|(s, _)| *s == shard_index)
                .map(|(_, offset)| *offset);
            for op in &ops[i..=i + same] {
                answer
                    .windows
                    .push(self.update(&mut shard, key, op, &req.evidence, &mut here));
            }
            if let Some(offset) = here {
                written.push((shard_index, offset));
            }
            i += same + 1;
        }
        if let Some((number, t)) = &req.block_lookup {
            answer.blocked = self.lookup_block(number, *t);
        }
        Ok(answer)
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

    /// A window checked against a plain model (member → latest time, trimmed
    /// to `(hw - W, hw]`, oldest evicted past the cap) over a long random run
    /// with repeat members, late events and sizes crossing the inline/indexed
    /// boundary both ways: counts must match after every update.
    #[test]
    fn windows_match_a_plain_model() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for (window_ms, members, cap) in [(1_000, 40, 10_000), (5_000, 300, 100), (200, 5, 3)] {
            let mut w = Window::new(WindowRule::CliRotation, 0, window_ms);
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
                let (count, evicted) = w.observe(at, m, cap);

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
            }
        }
    }
}
