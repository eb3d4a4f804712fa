// SPDX-License-Identifier: MIT OR Apache-2.0
//! The shared-memory store: one set of windows for every process of one
//! host, at memory speed — Kamailio's SIP workers, forked from the process
//! that made the region.
//!
//! The region ([`region`]) is made once, before the fork (Kamailio's
//! `mod_init` → `acm_init`), and sized from the config: `max_keys` records of
//! 256 bytes in 64 shards, their key indexes, a member arena (2 lines of 4
//! members per key on average, at least 4 of the largest windows) and the
//! evidence rings (96 bytes per key): about 540 bytes per key. Its size is the memory bound, stated at
//! start and in the store's metrics (`region_bytes`). Nothing in it is a
//! pointer, nothing in it is allocated or dropped: records come from per-shard
//! slabs and free lists ([`index`]), members beyond three from a buddy arena
//! ([`arena`]), evidence from byte rings ([`evidence`]).
//!
//! Semantics are the embedded store's, call for call (`tests/store_suite.rs`
//! holds every store to them): per (rule, key) a window of members by latest
//! time, the member cap, event-time trimming, learned levels
//! (`contract::Learn`), the alert cooldown, the last 16 calls quoted as
//! evidence, auto-blocks. When full, the same fail-open
//! policy: a new key is not tracked (`store_capacity`, counted in
//! `untracked`), existing keys keep working; a window that cannot grow (the
//! member arena is full) answers its update untracked too.
//!
//! Locks work across processes ([`lock`]): one per shard, one per evidence
//! log, one for the arena; a check holds one shard's lock at a time. A process
//! that dies holding a lock loses that shard (its checks fail open,
//! `store_unavailable`, until the region is made again); Kamailio's main
//! process stops the whole server when a worker dies, and the region goes
//! with it.

mod arena;
mod evidence;
mod index;
mod lock;
mod region;
mod window;

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use compact_str::CompactString;
use smallvec::SmallVec;

use super::{
    AlertState, BlockEntry, MetricKind, StoreAnswer, StoreError, StoreMetric, StoreRequest,
    WindowOp, WindowOutcome, WindowStore,
};
use crate::contract::{Evidence, Withdrawal, EVIDENCE_MAX};
use crate::store::prefetch::prefetch_line;
use arena::Arena;
use evidence::Logs;
use index::{Shard, ShardHead};
use lock::{LockError, ShmGuard};
use region::{Counters, Layout, Region, EVIDENCE_LOGS, SHARDS};
use window::{Ctx, Rec, KIND_BLOCK, KIND_WINDOW};

/// Distinguishes a block's index key from a window's on the same string.
const BLOCK_SALT: u64 = 0x5be0_cd19_137e_2179;

/// Limits of the shared-memory store.
#[derive(Debug, Clone, Copy)]
pub struct ShmStoreConfig {
    /// Most keys (windows plus auto-blocks) tracked at once.
    pub max_keys: usize,
    /// Most members one window keeps.
    pub max_members_per_key: usize,
    /// Longest a check waits for a lock before failing open.
    pub budget: Duration,
}

impl Default for ShmStoreConfig {
    fn default() -> Self {
        ShmStoreConfig {
            max_keys: 1_000_000,
            max_members_per_key: 10_000,
            budget: Duration::from_millis(25),
        }
    }
}

/// The shared-memory store. See the module documentation. Made before the
/// fork; every process forked after uses the same region.
pub struct ShmStore {
    region: Region,
    layout: Layout,
    hasher: foldhash::fast::FixedState,
    /// The region's hash seed (also the called stamps').
    seed: u64,
    arena: Arena,
    logs: Logs,
    max_keys_per_shard: usize,
    max_members: usize,
    budget: Duration,
    cfg: ShmStoreConfig,
}

/// A shard while its lock is held (the view first: it goes before the lock).
struct Held<'a> {
    shard: Shard<'a>,
    _guard: ShmGuard<'a>,
}

impl ShmStore {
    /// Maps and lays out a region for `cfg`. Call before forking the
    /// processes that will share it.
    pub fn new(cfg: ShmStoreConfig) -> Result<ShmStore, String> {
        let max_members = cfg.max_members_per_key.max(1);
        let layout = Layout::new(cfg.max_keys.max(1), max_members);
        let region = Region::map(layout.total)?;
        let seed = region::random_seed();
        region.init_header(seed);
        let base = region.base();
        // SAFETY: the region was just mapped with `layout`; nothing else uses it yet.
        let (arena, logs) = unsafe {
            let arena = Arena::new(base, &raw mut (*region.header_ptr()).arena, &layout);
            arena.init()?;
            let logs = Logs::new(base, &layout);
            logs.init()?;
            for s in 0..SHARDS {
                ShardHead::init((base.add(layout.shard_heads) as *mut ShardHead).add(s))?;
            }
            (arena, logs)
        };
        debug_assert!(region.is_ours());
        Ok(ShmStore {
            region,
            layout,
            hasher: foldhash::fast::FixedState::with_seed(seed),
            seed,
            arena,
            logs,
            max_keys_per_shard: cfg.max_keys.div_ceil(SHARDS).max(1),
            max_members,
            budget: cfg.budget,
            cfg,
        })
    }

    /// Maps the region `new` would map for `cfg` and unmaps it at once,
    /// laying nothing out: `acm check-config` runs it for the Kamailio
    /// module's store. Returns the region's size in bytes.
    pub fn check(cfg: ShmStoreConfig) -> Result<usize, String> {
        let layout = Layout::new(cfg.max_keys.max(1), cfg.max_members_per_key.max(1));
        Region::map(layout.total).map(|r| r.len())
    }

    /// The limits it was made with.
    pub fn config(&self) -> ShmStoreConfig {
        self.cfg
    }

    /// Bytes of the region: the most this store can ever hold.
    pub fn region_bytes(&self) -> usize {
        self.region.len()
    }

    /// One line for the start-up log: what is shared and its memory bound.
    pub fn describe(&self) -> String {
        let l = &self.layout;
        format!(
            "shm store: one region of {} MiB shared by every process forked from this one \
             (max_keys {}, {} MiB of windows, {} MiB of members beyond 2 per window, \
             {} MiB of alert evidence, {} MiB of called stamps and spells); when full, new keys are not \
             tracked (store_capacity)",
            self.region_bytes() >> 20,
            self.cfg.max_keys,
            (SHARDS * l.records_per_shard as usize * std::mem::size_of::<Rec>()
                + SHARDS * l.index_cap as usize * 8)
                >> 20,
            (l.arena_lines as usize * region::LINE) >> 20,
            (EVIDENCE_LOGS as u64 * l.ring_bytes) >> 20,
            ((l.called_slots + l.spell_slots) * 4) >> 20,
        )
    }

    fn counters(&self) -> &Counters {
        &self.region.header().counters
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            arena: &self.arena,
            budget: self.budget,
            counters: self.counters(),
        }
    }

    #[inline]
    fn hash(&self, s: &str) -> u64 {
        self.hasher.hash_one(s)
    }

    /// The called stamps, at the end of the region.
    fn called(&self) -> crate::store::called::Stamps<'_> {
        // SAFETY: the stamps lie in the mapped region at `layout.called`,
        // `called_slots` of them, page-aligned; they are only ever accessed
        // as atomics, by every process sharing the region.
        let slots = unsafe {
            std::slice::from_raw_parts(
                self.region.base().add(self.layout.called) as *const std::sync::atomic::AtomicU32,
                self.layout.called_slots,
            )
        };
        crate::store::called::Stamps::new(slots, self.seed)
    }

    /// The spells, after the called stamps.
    fn spells(&self) -> crate::store::spell::Spells<'_> {
        // SAFETY: as the stamps: `spell_slots` entries at `layout.spells`,
        // page-aligned, only ever accessed as atomics.
        let slots = unsafe {
            std::slice::from_raw_parts(
                self.region.base().add(self.layout.spells) as *const std::sync::atomic::AtomicU32,
                self.layout.spell_slots,
            )
        };
        crate::store::spell::Spells::new(slots)
    }

    fn shard_head(&self, s: usize) -> *mut ShardHead {
        // SAFETY: `s < SHARDS`; the heads lie in the mapped region.
        unsafe { (self.region.base().add(self.layout.shard_heads) as *mut ShardHead).add(s) }
    }

    /// Starts loading the index line where key `h`'s probe starts.
    #[inline]
    fn prefetch_hash(&self, h: u64) {
        let s = shard_index(h);
        let i = (h >> 32) as usize & (self.layout.index_cap as usize - 1);
        let at = self.layout.indexes + (s * self.layout.index_cap as usize + i) * 8;
        prefetch_line(self.region.base().wrapping_add(at));
    }

    /// Locks shard `s` and lays out its view.
    fn lock_shard(&self, s: usize) -> Result<Held<'_>, StoreError> {
        let head = self.shard_head(s);
        // SAFETY: the head is in the mapped region; `lost` is an atomic.
        let lost = unsafe { &(*head).lost };
        if lost.load(Ordering::Relaxed) != 0 {
            return Err(self.lost(s));
        }
        // SAFETY: as above; the mutex was initialised with the region.
        let guard = match unsafe { &(*head).lock }.lock(self.budget) {
            Ok(g) => g.poison_on_panic(lost),
            Err(LockError::Lost) => {
                lost.store(1, Ordering::Relaxed);
                return Err(self.lost(s));
            }
            Err(LockError::Timeout) => {
                self.counters()
                    .lock_timeouts
                    .fetch_add(1, Ordering::Relaxed);
                return Err(StoreError::Timeout);
            }
        };
        let l = &self.layout;
        let base = self.region.base();
        // SAFETY: the lock is held (and lives as long as the view, in
        // `Held`); the shard's index and records lie at these offsets.
        let shard = unsafe {
            let index = std::slice::from_raw_parts_mut(
                (base.add(l.indexes) as *mut u64).add(s * l.index_cap as usize),
                l.index_cap as usize,
            );
            let recs = std::slice::from_raw_parts_mut(
                (base.add(l.records) as *mut Rec).add(s * l.records_per_shard as usize),
                l.records_per_shard as usize,
            );
            Shard::held(head, index, recs)
        };
        Ok(Held {
            shard,
            _guard: guard,
        })
    }

    #[cold]
    fn lost(&self, s: usize) -> StoreError {
        self.counters()
            .checks_on_lost_shards
            .fetch_add(1, Ordering::Relaxed);
        StoreError::Unavailable(format!(
            "shared-memory shard {s} is lost: a process died holding its lock (restart to recover)"
        ))
    }

    /// Writes one call's evidence record into one of the logs; answers where
    /// it lies (`evidence::NONE` when that log's lock could not be had).
    fn record_evidence(&self, call: &Evidence, pick: u64, longest_window_ms: i64) -> u64 {
        let n = (pick >> 40) as usize % EVIDENCE_LOGS;
        let Ok(_g) = self.logs.lock_of(n).lock(self.budget) else {
            self.counters()
                .lock_timeouts
                .fetch_add(1, Ordering::Relaxed);
            return evidence::NONE;
        };
        // SAFETY: log `n`'s lock is held for the life of `log`.
        let mut log = unsafe { self.logs.held(n) };
        log.serves_window(longest_window_ms);
        let offset = log.append(call, self.counters());
        ((n as u64) << evidence::LOG_SHIFT) | offset
    }

    /// The records of `recent` still held and inside the window (after
    /// `cutoff`), oldest first, ties in the order the calls came. The logs
    /// involved are locked once each, in ascending order.
    fn quote(&self, recent: &[u64], cutoff: i64) -> Vec<Evidence> {
        let log_of = |at: u64| (at >> evidence::LOG_SHIFT) as usize;
        let offset = |at: u64| at & ((1 << evidence::LOG_SHIFT) - 1);
        // The 16 or so records are cold: fetched together, their misses overlap.
        for &at in recent {
            self.logs.prefetch(at);
        }
        let mut order: SmallVec<[(u64, usize); EVIDENCE_MAX]> =
            recent.iter().copied().zip(0..).collect();
        order.sort_unstable();
        let mut quoted: Vec<(usize, Evidence)> = Vec::with_capacity(order.len());
        for group in order.chunk_by(|a, b| log_of(a.0) == log_of(b.0)) {
            let n = log_of(group[0].0);
            let Ok(_g) = self.logs.lock_of(n).lock(self.budget) else {
                self.counters()
                    .lock_timeouts
                    .fetch_add(1, Ordering::Relaxed);
                continue;
            };
            // SAFETY: log `n`'s lock is held for the life of `log`.
            let log = unsafe { self.logs.held(n) };
            quoted.extend(group.iter().filter_map(|&(at, pos)| {
                let e = log.get(offset(at))?;
                (e.time_ms > cutoff).then_some((pos, e))
            }));
        }
        quoted.sort_unstable_by_key(|(pos, e)| (e.time_ms, *pos));
        quoted.into_iter().map(|(_, e)| e).collect()
    }

    fn untracked(&self, op: &WindowOp) -> WindowOutcome {
        self.counters().untracked.fetch_add(1, Ordering::Relaxed);
        WindowOutcome {
            count: 0,
            threshold: op.threshold,
            level_m: 0,
            runs: 0,
            tracked: false,
            alert: AlertState::None,
            evidence: Vec::new(),
            span_ms: 0,
            recent: 0,
        }
    }

    /// Applies one update to its window in a locked shard.
    fn update(&self, shard: &mut Shard, h: u64, op: &WindowOp, evidence: u64) -> WindowOutcome {
        let ctx = self.ctx();
        let rule = op.rule as u8;
        let member = self.hash(op.member.as_str());
        let r = match shard.find(h, |rec| rec.kind == KIND_WINDOW && rec.rule == rule) {
            Some(r) => r,
            None => match shard.create(h, op.time_ms, self.max_keys_per_shard, &ctx) {
                Some(r) => {
                    shard.rec(r).init_window(h, rule, op.time_ms, op.window_ms);
                    r
                }
                None => return self.untracked(op),
            },
        };
        let w = shard.rec(r);
        w.window_ms = op.window_ms.clamp(0, u32::MAX as i64) as u32;
        let Ok((raw, repeat)) = w.observe(op.time_ms, member, &ctx) else {
            return self.untracked(op);
        };
        // A learned level raises the key's threshold, and its window keeps
        // twice that many members. Below the learning floor nothing is
        // observed, nor reported (`contract::Learn`).
        let learning = op
            .learn
            .as_ref()
            .filter(|l| raw as u64 >= l.floor(op.threshold).max(1) as u64);
        let (mut threshold, level_m, runs) = match learning {
            Some(learn) => w.learned_threshold(learn, op.threshold, op.time_ms, ctx.arena, || {
                self.called().called_lately(op)
            }),
            None => (op.threshold, 0, 0),
        };
        let cap = (op.member_cap as usize)
            .max((threshold as usize).saturating_mul(2))
            .clamp(1, self.max_members);
        let evicted = w.trim_to(cap, &ctx);
        if evicted > 0 {
            self.counters()
                .members_evicted
                .fetch_add(evicted, Ordering::Relaxed);
        }
        let count = raw.min(cap) as u32;
        // A share's windows (`span`): the span at the cap, and the recent
        // count when asked (only such windows ask).
        let (span_ms, recent) = if op.span {
            let span_ms = if raw >= cap {
                let oldest = w.front_time(ctx.arena).unwrap_or(op.time_ms);
                op.time_ms.saturating_sub(oldest).clamp(1, u32::MAX as i64) as u32
            } else {
                0
            };
            let recent = if op.recent_ms > 0 {
                w.recent_count(op.recent_ms, count, ctx.arena)
            } else {
                0
            };
            (span_ms, recent)
        } else {
            (0, 0)
        };
        if learning.is_some() {
            w.learn_count(count);
            if let Some(r) = op.repeats.as_ref() {
                w.record_repeat(r, op.time_ms, repeat);
            }
        } else if let (Some(learn), Some(r), true) = (&op.learn, &op.repeats, repeat && raw >= 2) {
            w.early_repeat(learn, op.threshold, op.time_ms, r);
        }
        if count >= threshold && op.called.is_some() {
            threshold = self.called().judged(op, threshold);
        }
        if let Some(r) = op
            .repeats
            .filter(|_| count >= threshold && learning.is_some())
        {
            threshold = r.lenient(w.repeat_run(), op.time_ms, count, threshold);
        }
        let cutoff = w.hw - w.window_ms as i64;
        // A count-only window keeps no evidence and no cooldown.
        if op.time_ms > cutoff && evidence != evidence::NONE && !op.count_only {
            w.push_recent(evidence);
        }
        let mut out = WindowOutcome {
            count,
            threshold,
            level_m,
            runs,
            tracked: true,
            alert: AlertState::None,
            evidence: Vec::new(),
            span_ms,
            recent,
        };
        if count >= threshold && !op.count_only {
            // Past its cooldown, the members that raised the alert do not
            // raise another: that takes `threshold` members since it ended.
            if op.time_ms < w.cooldown_until
                || (w.cooldown_until != i64::MIN
                    && w.count_since(w.cooldown_until, ctx.arena) < threshold)
            {
                out.alert = AlertState::Active(WindowOp::format_alert_id(
                    op.rule,
                    w.raised_ms,
                    w.raised_hash,
                ));
            } else {
                w.raised_ms = op.time_ms;
                w.raised_hash = op.key_hash();
                w.cooldown_until = op.time_ms.saturating_add(op.cooldown_ms as i64);
                out.alert = AlertState::Raised(op.alert_id());
                // Evidence logs are locked after shard locks, never before.
                out.evidence = self.quote(w.recent(), cutoff);
            }
        }
        // A count-only window judged by its key's spell answers the spell's alert.
        if let Some(sp) = op.spell.as_ref().filter(|_| op.count_only) {
            out.alert = self.spells().update(h, op, sp, count);
        }
        out
    }

    fn block_holds(number: &str) -> impl Fn(&Rec) -> bool + '_ {
        move |rec| rec.kind == KIND_BLOCK && rec.block().0 == number
    }

    fn lookup_block(
        &self,
        number: &CompactString,
        time_ms: i64,
    ) -> Result<Option<BlockEntry>, StoreError> {
        let h = self.hash(number.as_str());
        let mut held = self.lock_shard(shard_index(h))?;
        let shard = &mut held.shard;
        let Some(r) = shard.find(h ^ BLOCK_SALT, Self::block_holds(number)) else {
            return Ok(None);
        };
        let rec = shard.rec(r);
        if rec.hw <= time_ms {
            return Ok(None);
        }
        let (_, alert_id) = rec.block();
        Ok(Some(BlockEntry {
            number: number.clone(),
            until_ms: rec.hw,
            alert_id: alert_id.into(),
        }))
    }
}

/// The shard of a hashed key: its low bits (the index tags by the top half).
fn shard_index(h: u64) -> usize {
    h as usize % SHARDS
}

impl WindowStore for ShmStore {
    fn name(&self) -> &'static str {
        "shm"
    }

    fn apply_into(&self, req: &StoreRequest, answer: &mut StoreAnswer) -> Result<(), StoreError> {
        answer.clear_windows();
        answer.blocked = None;
        if let Some(c) = &req.called {
            // Stamped after the windows: its miss overlaps with theirs.
            self.called().prefetch(c.number.as_bytes());
        }
        let ops = &req.windows[..];
        // Consecutive updates of one key string share a lock: runs of
        // (first op, ops in the run, key hash). Room for a call's every key
        // with the defaults on the stack (six: as the memory store's runs).
        let mut runs: SmallVec<[(usize, usize, u64); 8]> = SmallVec::new();
        let mut i = 0;
        while i < ops.len() {
            let same = ops[i + 1..]
                .iter()
                .take_while(|o| o.key == ops[i].key)
                .count();
            runs.push((i, same + 1, self.hash(ops[i].key.as_str())));
            i += same + 1;
        }
        if runs.len() > 1 {
            for &(_, _, h) in &runs {
                self.prefetch_hash(h);
            }
        }
        // One evidence record per call, written before any shard is locked.
        let evidence = match runs.first() {
            Some(&(_, _, pick)) => {
                let longest = ops.iter().map(|o| o.window_ms).max().unwrap_or(0);
                self.record_evidence(&req.evidence, pick, longest)
            }
            None => evidence::NONE,
        };
        for &(first, len, h) in &runs {
            let mut held = self.lock_shard(shard_index(h))?;
            for op in &ops[first..first + len] {
                answer
                    .windows
                    .push(self.update(&mut held.shard, h, op, evidence));
            }
        }
        if let Some(c) = req
            .called
            .as_ref()
            .filter(|c| c.passes(req, &answer.windows))
        {
            self.called().stamp(c.number.as_bytes(), c.time_ms);
        }
        if let Some((number, t)) = &req.block_lookup {
            answer.blocked = self.lookup_block(number, *t)?;
        }
        Ok(())
    }

    fn prefetch(&self, key: &str) {
        self.prefetch_hash(self.hash(key));
    }

    fn withdraw_alerts(
        &self,
        req: &StoreRequest,
        withdrawals: &[Withdrawal],
    ) -> Result<(), StoreError> {
        for (wd, op) in Withdrawal::in_request(req, withdrawals) {
            // A spell's alert: its entry, no lock.
            let (h, rule) = (self.hash(op.key.as_str()), op.rule as u8);
            if let Some(sp) = op.spell.as_ref().filter(|_| op.count_only) {
                self.spells().withdraw(h, op, sp, &wd.id);
                continue;
            }
            let mut held = self.lock_shard(shard_index(h))?;
            let shard = &mut held.shard;
            if let Some(r) = shard.find(h, |rec| rec.kind == KIND_WINDOW && rec.rule == rule) {
                let w = shard.rec(r);
                if w.cooldown_until != i64::MIN
                    && WindowOp::format_alert_id(op.rule, w.raised_ms, w.raised_hash) == wd.id
                {
                    w.cooldown_until = i64::MIN;
                }
            }
        }
        Ok(())
    }

    fn add_blocks(&self, blocks: &[BlockEntry]) -> Result<(), StoreError> {
        for b in blocks {
            let h = self.hash(b.number.as_str());
            let mut held = self.lock_shard(shard_index(h))?;
            let shard = &mut held.shard;
            match shard.find(h ^ BLOCK_SALT, Self::block_holds(&b.number)) {
                Some(r) => {
                    let rec = shard.rec(r);
                    if rec.hw < b.until_ms {
                        rec.set_block(&b.number, b.until_ms, &b.alert_id);
                    }
                }
                None => match shard.take_if_room(
                    h ^ BLOCK_SALT,
                    self.max_keys_per_shard,
                    self.counters(),
                ) {
                    Some(r) => {
                        shard
                            .rec(r)
                            .init_block(h ^ BLOCK_SALT, &b.number, b.until_ms, &b.alert_id)
                    }
                    None => {
                        self.counters().untracked.fetch_add(1, Ordering::Relaxed);
                    }
                },
            }
        }
        Ok(())
    }

    fn metrics(&self) -> Vec<StoreMetric> {
        let c = self.counters();
        let m = |name, help, kind, value: u64| StoreMetric {
            name,
            help,
            kind,
            label: None,
            value,
        };
        let load = |v: &AtomicU64| v.load(Ordering::Relaxed);
        let lost = (0..SHARDS)
            // SAFETY: the heads are in the mapped region; `lost` is an atomic.
            .filter(|&s| unsafe { &(*self.shard_head(s)).lost }.load(Ordering::Relaxed) != 0)
            .count() as u64;
        vec![
            m("keys", "Keys held by the shared-memory store", MetricKind::Gauge, load(&c.keys)),
            m(
                "untracked",
                "Window updates not tracked because the shared-memory store was full",
                MetricKind::Counter,
                load(&c.untracked),
            ),
            m(
                "reclaimed",
                "Expired keys reclaimed by the shared-memory store",
                MetricKind::Counter,
                load(&c.reclaimed),
            ),
            m(
                "evidence_evicted",
                "Alert evidence records overwritten while still in a window (the evidence rings are small for the traffic)",
                MetricKind::Counter,
                load(&c.evidence_evicted),
            ),
            m(
                "full_sweeps",
                "Sweeps of a whole shard because it was full (raise store.max_keys if this grows)",
                MetricKind::Counter,
                load(&c.full_sweeps),
            ),
            m(
                "member_pool_full",
                "Window updates not tracked because the member arena had no room (raise store.max_keys)",
                MetricKind::Counter,
                load(&c.member_pool_full),
            ),
            m(
                "lock_timeouts",
                "Shared-memory locks not had within store.budget_ms (the check failed open)",
                MetricKind::Counter,
                load(&c.lock_timeouts),
            ),
            m(
                "lost_shards",
                "Shards whose lock holder died: their checks fail open until restart",
                MetricKind::Gauge,
                lost,
            ),
            m(
                "region_bytes",
                "Size of the shared-memory region: the most the store can hold",
                MetricKind::Gauge,
                self.region_bytes() as u64,
            ),
            m(
                "member_bytes_used",
                "Bytes of the member arena in use",
                MetricKind::Gauge,
                self.arena.used_lines() * region::LINE as u64,
            ),
        ]
    }
}

#[doc(hidden)]
impl ShmStore {
    /// Takes the lock of the shard that holds `key` and never gives it back:
    /// for tests of a process that dies holding a lock. Never use otherwise.
    pub fn hold_lock_of_key_forever(&self, key: &str) {
        let s = shard_index(self.hash(key));
        // SAFETY: the head is in the mapped region.
        if let Ok(g) = unsafe { &(*self.shard_head(s)).lock }.lock(self.budget) {
            std::mem::forget(g);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_maps_what_new_would() {
        let cfg = ShmStoreConfig {
            max_keys: 10_000,
            max_members_per_key: 64,
            budget: Duration::from_millis(5),
        };
        let checked = ShmStore::check(cfg).unwrap();
        assert!(checked > 0);
        assert_eq!(checked, ShmStore::new(cfg).unwrap().region_bytes());
    }
}
