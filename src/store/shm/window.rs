// SPDX-License-Identifier: MIT OR Apache-2.0
//! One window (or one auto-block) in a fixed 256-byte record, and its members.
//!
//! The semantics are the embedded store's (`store::memory`), kept the same
//! way: members by latest time, oldest first, ties in arrival order.
//! - Up to 2 members live in the record itself (most windows hold one or two).
//! - Up to about 128 they are a sorted array in an arena extent, scanned from
//!   the newest end; the oldest leave by moving a start mark, and the array
//!   is compacted only once 16 have left.
//! - Beyond that (a trunk presenting thousands of CLIs) the extent holds an
//!   append-only time log plus an open-addressing map member → latest time:
//!   a repeat member is appended again and its older entry, now stale, is
//!   marked so in place (its member becomes `STALE`, found by its time with
//!   a binary search) and skipped when it reaches the front. O(log n) per
//!   update; counting a busy number's recent callers reads the log's tail
//!   and no map.
//!
//! An extent that cannot be had (the arena is full) leaves the window as it
//! was and the update is answered untracked, like a key the store has no
//! room for. Nothing here allocates: everything is in the record or in
//! extents of the region's arena.
//!
//! A window that learns its key's level (`contract::Learn`) keeps that state
//! in its record too, with the embedded store's arithmetic.

use std::time::Duration;

use super::arena::Arena;
use super::region::{Counters, PER_LINE};
use crate::contract::{Learn, EVIDENCE_MAX};

#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Entry {
    pub t: i64,
    pub m: u64,
}

/// Members kept in the record itself.
pub const INLINE: usize = 2;
/// Above this many members a window moves to the log + map form; below
/// `LARGE_DROP` it moves back.
const LARGE_BUILD: usize = 128;
const LARGE_DROP: usize = 64;
/// The smallest log + map class (members).
const LARGE_MIN: usize = 256;
/// A sorted array's dead prefix is compacted once it reaches this.
const DEAD_MAX: u32 = 16;
/// An empty map slot (no event time is this old).
const EMPTY_T: i64 = i64::MIN;

pub const KIND_FREE: u8 = 0;
pub const KIND_WINDOW: u8 = 1;
pub const KIND_BLOCK: u8 = 2;

const MODE_INLINE: u8 = 0;
const MODE_SMALL: u8 = 1;
const MODE_LARGE: u8 = 2;

/// Longest block number and alert id a block record keeps.
pub const BLOCK_NUMBER_MAX: usize = 128;
pub const BLOCK_ALERT_MAX: usize = 30;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct WinBody {
    pub inline: [Entry; INLINE],
    /// Where the last calls' evidence records lie, oldest first.
    pub recent: [u64; EVIDENCE_MAX],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct BlockBody {
    pub number_len: u8,
    pub alert_len: u8,
    pub bytes: [u8; BLOCK_NUMBER_MAX + BLOCK_ALERT_MAX],
}

#[repr(C)]
pub union Body {
    pub w: WinBody,
    pub b: BlockBody,
}

/// A record of a shard's slab: a window, an auto-block, or free.
#[repr(C, align(64))]
pub struct Rec {
    /// The window's key (key hash mixed with the rule), the block's number
    /// hash; the next free record while free.
    pub key: u64,
    pub kind: u8,
    /// The rule's reason code.
    pub rule: u8,
    pub nrecent: u8,
    mode: u8,
    pub window_ms: u32,
    /// Latest event time seen (blocks: blocked until).
    pub hw: i64,
    /// End of the alert cooldown, `i64::MIN` when none.
    pub cooldown_until: i64,
    /// Event time of the alert in its cooldown (its id is derived from it).
    pub raised_ms: i64,
    /// Small forms: the live members are `[start, end)`.
    start: u32,
    end: u32,
    /// The extent (first arena line) and its order, unless inline.
    ext: u32,
    order: u8,
    /// The learning history byte (`contract::Learn::fold`): intervals in a
    /// row over the threshold, intervals closed under it.
    learn_runs: u8,
    /// The key's run of repeats (`contract::Repeats`), with `rep_last`: its length.
    rep_n: u16,
    /// What the window learned of its key (`contract::Learn`), when
    /// `learn_on`: the level in thousandths of a member, the open interval,
    /// the event time from which the state is gone, the open interval's peak.
    learn_level: u64,
    learn_interval: i64,
    learn_until: i64,
    learn_peak: u32,
    learn_on: u16,
    /// The last ingress recorded (`contract::Repeats::moved`; 0: none).
    rep_ingress: u16,
    /// The key's hash in the id of the alert in its cooldown.
    pub raised_hash: u32,
    /// The second of the key's last repeat (`contract::Repeats`).
    rep_last: u32,
    pub body: Body,
}

const _: () = assert!(std::mem::size_of::<Rec>() == 256);
/// What `expires_at` reads lies in a record's first two lines (the sweeping
/// hand prefetches those two: `index::Shard::sweep_step`).
pub const EXPIRY_LINES: usize = 2;
const _: () = {
    use std::mem::offset_of;
    let end = 64 * EXPIRY_LINES;
    assert!(offset_of!(Rec, kind) < end && offset_of!(Rec, hw) + 8 <= end);
    assert!(offset_of!(Rec, window_ms) + 4 <= end && offset_of!(Rec, cooldown_until) + 8 <= end);
    assert!(offset_of!(Rec, learn_on) + 2 <= end && offset_of!(Rec, learn_until) + 8 <= end);
};

/// The window could not grow: no extent to be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoRoom;

/// What member operations need besides the record.
pub struct Ctx<'a> {
    pub arena: &'a Arena,
    pub budget: Duration,
    pub counters: &'a Counters,
}

impl Ctx<'_> {
    fn alloc(&self, order: u8) -> Option<u32> {
        use std::sync::atomic::Ordering::Relaxed;
        match self.arena.alloc(order, self.budget) {
            Ok(Some(line)) => Some(line),
            Ok(None) => {
                self.counters.member_pool_full.fetch_add(1, Relaxed);
                None
            }
            Err(_) => {
                self.counters.lock_timeouts.fetch_add(1, Relaxed);
                None
            }
        }
    }

    fn free(&self, line: u32, order: u8) {
        if self.arena.free(line, order, self.budget).is_err() {
            // The arena's lock is lost or stuck: the extent stays taken.
            self.counters
                .lock_timeouts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// The extent order (log2 of lines) the largest window of `max_members`
/// members needs, and at least what the sorted arrays need.
pub fn order_for_members(max_members: usize) -> u8 {
    let small = (4 * LARGE_BUILD / PER_LINE).trailing_zeros() as u8; // 256 entries
    if max_members < LARGE_BUILD {
        return small;
    }
    let c = (max_members + 1).next_power_of_two().max(LARGE_MIN);
    (c.trailing_zeros() as u8).max(small)
}

fn small_cap(order: u8) -> usize {
    PER_LINE << order
}

/// Where `m` is among `e` (the live members), searched from the newest end
/// four at a time.
fn find(e: &[Entry], m: u64) -> Option<usize> {
    let mut end = e.len();
    while end >= 4 {
        let c = &e[end - 4..end];
        if (c[0].m == m) | (c[1].m == m) | (c[2].m == m) | (c[3].m == m) {
            return c.iter().rposition(|x| x.m == m).map(|p| end - 4 + p);
        }
        end -= 4;
    }
    e[..end].iter().rposition(|x| x.m == m)
}

/// The member of a stale log entry (the log + map form). A member whose hash
/// is this is counted as `STALE - 1` (`Rec::observe`): a collision as likely
/// as any other.
const STALE: u64 = u64::MAX;

/// The first line of the log + map form.
#[repr(C)]
struct LargeHead {
    /// Class: members the map holds at half load; the extent is this many lines.
    c: u32,
    head: u32,
    len: u32,
    live: u32,
    stale: u32,
}

/// The log + map form over an extent.
struct Large<'a> {
    h: &'a mut LargeHead,
    log: &'a mut [Entry],
    map: &'a mut [Entry],
}

impl<'a> Large<'a> {
    /// # Safety
    /// `p` is an extent of `c` lines in the form (or being made so).
    unsafe fn at(p: *mut u8, c: usize) -> Large<'a> {
        let e = p as *mut Entry;
        Large {
            h: &mut *(p as *mut LargeHead),
            log: std::slice::from_raw_parts_mut(e.add(PER_LINE), 2 * c - PER_LINE),
            map: std::slice::from_raw_parts_mut(e.add(2 * c), 2 * c),
        }
    }

    /// # Safety
    /// As for `at`; the extent's previous contents are discarded.
    unsafe fn make(p: *mut u8, c: usize) -> Large<'a> {
        let l = Large::at(p, c);
        *l.h = LargeHead {
            c: c as u32,
            head: 0,
            len: 0,
            live: 0,
            stale: 0,
        };
        l.map.fill(Entry { t: EMPTY_T, m: 0 });
        l
    }

    fn slot(&self, i: u32) -> usize {
        let cap = self.log.len();
        let j = self.h.head as usize + i as usize;
        if j >= cap {
            j - cap
        } else {
            j
        }
    }

    fn log_at(&self, i: u32) -> Entry {
        self.log[self.slot(i)]
    }

    fn set_log(&mut self, i: u32, e: Entry) {
        let s = self.slot(i);
        self.log[s] = e;
    }

    /// The map slot of `m`, or the empty slot where it would go.
    fn probe(&self, m: u64) -> Result<usize, usize> {
        let mask = self.map.len() - 1;
        let mut i = m as usize & mask;
        loop {
            let s = self.map[i];
            if s.t == EMPTY_T {
                return Err(i);
            }
            if s.m == m {
                return Ok(i);
            }
            i = (i + 1) & mask;
        }
    }

    fn latest(&self, m: u64) -> Option<i64> {
        self.probe(m).ok().map(|i| self.map[i].t)
    }

    fn is_live(&self, e: Entry) -> bool {
        debug_assert!(e.m == STALE || self.latest(e.m) == Some(e.t));
        e.m != STALE
    }

    /// The index of the first log entry for which `before` is false (the
    /// log is in time order: `before` tests an entry's time).
    fn partition_point(&self, before: impl Fn(i64) -> bool) -> u32 {
        let (mut lo, mut hi) = (0, self.h.len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if before(self.log_at(mid).t) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Marks the log entry of member `m` at time `t` stale.
    fn mark_stale(&mut self, t: i64, m: u64) {
        // The first entry at `t` or later, then the entries at `t`.
        let mut i = self.partition_point(|x| x < t);
        while i < self.h.len && self.log_at(i).t == t {
            if self.log_at(i).m == m {
                self.set_log(i, Entry { t, m: STALE });
                return;
            }
            i += 1;
        }
        debug_assert!(false, "a member's latest entry is in the log");
    }

    fn set_latest(&mut self, m: u64, t: i64) {
        let i = match self.probe(m) {
            Ok(i) | Err(i) => i,
        };
        self.map[i] = Entry { t, m };
    }

    /// Removes `m` from the map, shifting later entries of its run back.
    fn forget(&mut self, m: u64) {
        let Ok(i) = self.probe(m) else { return };
        let mask = self.map.len() - 1;
        let mut hole = i;
        let mut j = (i + 1) & mask;
        while self.map[j].t != EMPTY_T {
            let home = self.map[j].m as usize & mask;
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.map[hole] = self.map[j];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.map[hole] = Entry { t: EMPTY_T, m: 0 };
    }

    fn pop_front(&mut self) -> Entry {
        let e = self.log_at(0);
        self.h.head = self.slot(1) as u32;
        self.h.len -= 1;
        e
    }

    fn skip_stale(&mut self) {
        while self.h.stale > 0 && self.h.len > 0 && !self.is_live(self.log_at(0)) {
            self.pop_front();
            self.h.stale -= 1;
        }
    }

    /// Drops every stale entry, in place.
    fn compact(&mut self) {
        let mut j = 0;
        for i in 0..self.h.len {
            let e = self.log_at(i);
            if self.is_live(e) {
                self.set_log(j, e);
                j += 1;
            }
        }
        self.h.len = j;
        self.h.stale = 0;
    }

    /// Appends in time order (a late event is inserted, ties after).
    fn append(&mut self, e: Entry) {
        if self.h.len as usize == self.log.len() {
            self.compact();
        }
        let len = self.h.len;
        let mut pos = len;
        if len > 0 && self.log_at(len - 1).t > e.t {
            // The first entry later than `e`.
            pos = self.partition_point(|x| x <= e.t);
            let mut i = len;
            while i > pos {
                let prev = self.log_at(i - 1);
                self.set_log(i, prev);
                i -= 1;
            }
        }
        self.set_log(pos, e);
        self.h.len += 1;
    }

    /// The live members, oldest first.
    fn live_entries(&self) -> impl Iterator<Item = Entry> + '_ {
        (0..self.h.len)
            .map(|i| self.log_at(i))
            .filter(|e| self.is_live(*e))
    }
}

impl Rec {
    /// Makes this (free) record a new window.
    pub fn init_window(&mut self, key: u64, rule: u8, hw: i64, window_ms: i64) {
        self.key = key;
        self.kind = KIND_WINDOW;
        self.rule = rule;
        self.nrecent = 0;
        self.mode = MODE_INLINE;
        self.window_ms = window_ms.clamp(0, u32::MAX as i64) as u32;
        self.hw = hw;
        self.cooldown_until = i64::MIN;
        self.raised_ms = 0;
        self.start = 0;
        self.end = 0;
        self.ext = 0;
        self.order = 0;
        self.learn_on = 0;
    }

    /// Event time after which this record holds nothing worth keeping.
    #[inline]
    pub fn expires_at(&self) -> i64 {
        match self.kind {
            KIND_WINDOW => {
                let w = self
                    .hw
                    .saturating_add(self.window_ms as i64)
                    .max(self.cooldown_until);
                if self.learn_on != 0 {
                    w.max(self.learn_until)
                } else {
                    w
                }
            }
            _ => self.hw,
        }
    }

    /// Gives back what the record holds outside itself.
    pub fn release(&mut self, ctx: &Ctx) {
        if self.kind == KIND_WINDOW && self.mode != MODE_INLINE {
            ctx.free(self.ext, self.order);
        }
        self.kind = KIND_FREE;
        self.mode = MODE_INLINE;
    }

    /// The sorted array's storage (inline or extent), its capacity.
    fn small(&mut self, arena: &Arena) -> &mut [Entry] {
        match self.mode {
            MODE_INLINE => {
                // SAFETY: a window record: the body is a window body.
                unsafe { &mut self.body.w.inline[..] }
            }
            _ => {
                // SAFETY: the record owns this extent of `order` lines.
                unsafe {
                    std::slice::from_raw_parts_mut(
                        arena.at(self.ext) as *mut Entry,
                        small_cap(self.order),
                    )
                }
            }
        }
    }

    fn large(&mut self, arena: &Arena) -> Large<'_> {
        // SAFETY: the record owns this extent, in the log + map form.
        unsafe { Large::at(arena.at(self.ext), 1 << self.order) }
    }

    /// Members in the window.
    pub fn len(&mut self, arena: &Arena) -> usize {
        match self.mode {
            MODE_LARGE => self.large(arena).h.live as usize,
            _ => (self.end - self.start) as usize,
        }
    }

    pub fn front_time(&mut self, arena: &Arena) -> Option<i64> {
        match self.mode {
            MODE_LARGE => {
                let mut l = self.large(arena);
                l.skip_stale();
                (l.h.len > 0).then(|| l.log_at(0).t)
            }
            _ => {
                let (s, e) = (self.start as usize, self.end as usize);
                (s < e).then(|| self.small(arena)[s].t)
            }
        }
    }

    /// Its members in its last `ms` (`WindowOutcome::recent`), at most
    /// `count` (both forms keep members in time order: read from the newest
    /// end). Out of line: only the slow tier's companion asks.
    #[inline(never)]
    pub fn recent_count(&mut self, ms: u32, count: u32, arena: &Arena) -> u16 {
        let n = self.count_after(self.hw.saturating_sub(ms as i64), arena);
        n.min(count as usize).min(u16::MAX as usize) as u16
    }

    /// How many members have their latest time at or after `t`.
    pub fn count_since(&mut self, t: i64, arena: &Arena) -> u32 {
        self.count_after(t.saturating_sub(1), arena)
            .min(u32::MAX as usize) as u32
    }

    /// How many members have their latest time after `cutoff` (read from
    /// the newest end, where the few that count are).
    fn count_after(&mut self, cutoff: i64, arena: &Arena) -> usize {
        match self.mode {
            MODE_LARGE => {
                let l = self.large(arena);
                (0..l.h.len)
                    .rev()
                    .map(|i| l.log_at(i))
                    .take_while(|e| e.t > cutoff)
                    .filter(|&e| l.is_live(e))
                    .count()
            }
            _ => {
                let (s, e) = (self.start as usize, self.end as usize);
                self.small(arena)[s..e]
                    .iter()
                    .rev()
                    .take_while(|x| x.t > cutoff)
                    .count()
            }
        }
    }

    /// Moves the sorted array into a bigger extent.
    fn grow_small(&mut self, ctx: &Ctx) -> Result<(), NoRoom> {
        let order = match self.mode {
            MODE_INLINE => 1,
            _ => self.order + 1,
        };
        let line = ctx.alloc(order).ok_or(NoRoom)?;
        let (s, e) = (self.start as usize, self.end as usize);
        // SAFETY: a fresh extent of `order` lines, owned by nobody else.
        let to = unsafe {
            std::slice::from_raw_parts_mut(ctx.arena.at(line) as *mut Entry, small_cap(order))
        };
        to[..e - s].copy_from_slice(&self.small(ctx.arena)[s..e]);
        if self.mode != MODE_INLINE {
            ctx.free(self.ext, self.order);
        }
        self.mode = MODE_SMALL;
        self.ext = line;
        self.order = order;
        self.start = 0;
        self.end = (e - s) as u32;
        Ok(())
    }

    /// Moves a big sorted array to the log + map form (if an extent is had).
    fn make_large(&mut self, ctx: &Ctx) {
        let (s, e) = (self.start as usize, self.end as usize);
        let c = (e - s + 1).next_power_of_two().max(LARGE_MIN);
        let order = c.trailing_zeros() as u8;
        let Some(line) = ctx.alloc(order) else { return };
        // SAFETY: a fresh extent of `c` lines.
        let mut l = unsafe { Large::make(ctx.arena.at(line), c) };
        for &x in &self.small(ctx.arena)[s..e] {
            l.set_latest(x.m, x.t);
            l.append(x);
        }
        l.h.live = (e - s) as u32;
        if self.mode != MODE_INLINE {
            ctx.free(self.ext, self.order);
        }
        self.mode = MODE_LARGE;
        self.ext = line;
        self.order = order;
    }

    /// A log + map form of twice the class, or a sorted array again; Err
    /// when no extent could be had (the window is left as it was).
    fn rebuild_large(&mut self, ctx: &Ctx, grow: bool) -> Result<(), NoRoom> {
        let old = (self.ext, self.order);
        let live = self.large(ctx.arena).h.live as usize;
        if grow {
            let c = (1usize << self.order) * 2;
            let order = c.trailing_zeros() as u8;
            let line = ctx.alloc(order).ok_or(NoRoom)?;
            // SAFETY: a fresh extent of `c` lines.
            let mut to = unsafe { Large::make(ctx.arena.at(line), c) };
            let from = self.large(ctx.arena);
            for x in from.live_entries() {
                to.set_latest(x.m, x.t);
                to.append(x);
            }
            to.h.live = live as u32;
            self.ext = line;
            self.order = order;
        } else {
            let order = (live.max(1) * 2)
                .div_ceil(PER_LINE)
                .next_power_of_two()
                .trailing_zeros() as u8;
            let line = ctx.alloc(order).ok_or(NoRoom)?;
            // SAFETY: a fresh extent of `order` lines.
            let to = unsafe {
                std::slice::from_raw_parts_mut(ctx.arena.at(line) as *mut Entry, small_cap(order))
            };
            let from = self.large(ctx.arena);
            for (i, x) in from.live_entries().enumerate() {
                to[i] = x;
            }
            self.mode = MODE_SMALL;
            self.ext = line;
            self.order = order;
            self.start = 0;
            self.end = live as u32;
        }
        ctx.free(old.0, old.1);
        Ok(())
    }

    /// Records member `m` at time `t` unless it was already seen at `t` or
    /// later; answers its latest time before this update, if it had one.
    fn observe_member(&mut self, t: i64, m: u64, ctx: &Ctx) -> Result<Option<i64>, NoRoom> {
        if self.mode == MODE_LARGE {
            let (known, full) = {
                let l = self.large(ctx.arena);
                (l.latest(m), l.h.live >= l.h.c)
            };
            match known {
                Some(old) if old >= t => return Ok(Some(old)),
                None if full => self.rebuild_large(ctx, true)?,
                _ => {}
            }
            let mut l = self.large(ctx.arena);
            if let Some(old) = known {
                l.mark_stale(old, m);
                l.h.stale += 1;
            } else {
                l.h.live += 1;
            }
            l.set_latest(m, t);
            l.append(Entry { t, m });
            if l.h.stale > l.h.live + 64 {
                l.compact();
            }
            return Ok(known);
        }
        let (mut s, mut e) = (self.start as usize, self.end as usize);
        let found = find(&self.small(ctx.arena)[s..e], m).map(|p| s + p);
        let before = found.map(|p| self.small(ctx.arena)[p].t);
        match found {
            Some(p) if self.small(ctx.arena)[p].t >= t => return Ok(before),
            Some(p) => {
                self.small(ctx.arena).copy_within(p + 1..e, p);
                e -= 1;
            }
            None => {
                let cap = match self.mode {
                    MODE_INLINE => INLINE,
                    _ => small_cap(self.order),
                };
                if e == cap {
                    if s > 0 {
                        self.small(ctx.arena).copy_within(s..e, 0);
                        e -= s;
                        s = 0;
                    } else {
                        self.grow_small(ctx)?;
                    }
                }
            }
        }
        let v = self.small(ctx.arena);
        let pos = if e > s && v[e - 1].t > t {
            s + v[s..e].partition_point(|x| x.t <= t)
        } else {
            e
        };
        v.copy_within(pos..e, pos + 1);
        v[pos] = Entry { t, m };
        e += 1;
        self.start = s as u32;
        self.end = e as u32;
        if e - s > LARGE_BUILD {
            self.make_large(ctx);
        }
        Ok(before)
    }

    /// Removes the oldest member.
    fn pop_oldest(&mut self, ctx: &Ctx) {
        if self.mode == MODE_LARGE {
            let live = {
                let mut l = self.large(ctx.arena);
                l.skip_stale();
                if l.h.len > 0 {
                    let e = l.pop_front();
                    l.forget(e.m);
                    l.h.live -= 1;
                }
                l.h.live as usize
            };
            if live < LARGE_DROP {
                let _ = self.rebuild_large(ctx, false);
            }
            return;
        }
        if self.start < self.end {
            self.start += 1;
        }
        if self.start >= DEAD_MAX || self.start == self.end {
            let (s, e) = (self.start as usize, self.end as usize);
            self.small(ctx.arena).copy_within(s..e, 0);
            self.start = 0;
            self.end = (e - s) as u32;
        }
    }

    /// Adds or refreshes a member and trims the window to its time span;
    /// answers the member count (before any size cap) and whether the
    /// member was a repeat (`contract::Repeats`).
    pub fn observe(&mut self, t: i64, m: u64, ctx: &Ctx) -> Result<(usize, bool), NoRoom> {
        let m = m.min(STALE - 1);
        let before = self.observe_member(t, m, ctx)?;
        let repeat = before.is_some_and(|b| b > t - self.window_ms as i64);
        self.hw = self.hw.max(t);
        let cutoff = self.hw - self.window_ms as i64;
        while matches!(self.front_time(ctx.arena), Some(ft) if ft <= cutoff) {
            self.pop_oldest(ctx);
        }
        Ok((self.len(ctx.arena), repeat))
    }

    /// The learned state's run of repeats (none without a learned state).
    pub fn repeat_run(&self) -> (u32, u16) {
        if self.learn_on == 0 {
            (0, 0)
        } else {
            (self.rep_last, self.rep_n)
        }
    }

    /// Records the update's ingress in the learned state and, when the
    /// update repeats a member or moved, a repeat in its run.
    pub fn record_repeat(&mut self, r: &crate::contract::Repeats, t: i64, repeat: bool) {
        if self.learn_on != 0 {
            let moved;
            (moved, self.rep_ingress) = r.moved(self.rep_ingress);
            if repeat || moved {
                (self.rep_last, self.rep_n) = r.record((self.rep_last, self.rep_n), t);
            }
        }
    }

    /// Whether the newest members' latest times are machine-paced
    /// ([`crate::contract::paced`]; the embedded store's `Members::paced`).
    fn paced(&mut self, arena: &Arena) -> bool {
        const MAX: usize = crate::contract::PACED_MEMBERS_MAX;
        let mut t = [0i64; MAX];
        let mut n = 0;
        if self.mode == MODE_LARGE {
            let l = self.large(arena);
            for i in (0..l.h.len).rev() {
                let e = l.log_at(i);
                if l.is_live(e) {
                    t[n] = e.t;
                    n += 1;
                    if n == MAX {
                        break;
                    }
                }
            }
        } else {
            let (s, e) = (self.start as usize, self.end as usize);
            for x in self.small(arena)[s..e].iter().rev().take(MAX) {
                t[n] = x.t;
                n += 1;
            }
        }
        crate::contract::paced(&t[..n])
    }

    /// Drops the oldest members beyond `max_members`; answers how many.
    pub fn trim_to(&mut self, max_members: usize, ctx: &Ctx) -> u64 {
        let mut evicted = 0;
        while self.len(ctx.arena) > max_members {
            self.pop_oldest(ctx);
            evicted += 1;
        }
        evicted
    }

    /// Creates the learned state, or closes its open interval when `t` lies
    /// in a later one; answers the key's threshold, the level it rests on
    /// and the key's history byte (the embedded store's `learned_threshold`,
    /// step for step).
    pub fn learned_threshold(
        &mut self,
        learn: &Learn,
        threshold: u32,
        t: i64,
        arena: &Arena,
        called: impl FnOnce() -> bool,
    ) -> (u32, u64, u8) {
        let iv = learn.interval_ms.max(1) as i64;
        let i = t.div_euclid(iv);
        let window_ms = self.window_ms as i64;
        self.learn_fresh(learn, threshold, t);
        if i > self.learn_interval {
            let (level, peak, gap) = (
                self.learn_level,
                self.learn_peak,
                i - self.learn_interval - 1,
            );
            let mut runs = self.learn_runs;
            self.learn_level = learn.fold(threshold, level, peak, gap, &mut runs, called, || {
                self.paced(arena)
            });
            self.learn_runs = runs;
            self.learn_interval = i;
            self.learn_peak = 0;
            self.learn_until =
                learn.gone_at(threshold, self.learn_level, self.learn_runs, i, window_ms);
        }
        (
            learn.threshold(threshold, self.learn_level),
            self.learn_level,
            self.learn_runs,
        )
    }

    /// Starts a fresh learned state when there is none, or it is gone
    /// (whether or not the record was reclaimed yet).
    fn learn_fresh(&mut self, learn: &Learn, threshold: u32, t: i64) {
        if self.learn_on == 0 || t >= self.learn_until {
            let i = t.div_euclid(learn.interval_ms.max(1) as i64);
            self.learn_on = 1;
            self.learn_level = 0;
            self.learn_interval = i;
            self.learn_peak = 0;
            self.learn_runs = 0;
            self.learn_until = learn.gone_at(threshold, 0, 0, i, self.window_ms as i64);
            self.rep_last = 0;
            self.rep_n = 0;
            self.rep_ingress = 0;
        }
    }

    /// A repeat below the learning floor (`contract::Repeats`): recorded in
    /// the learned state, started for it when there is none.
    pub fn early_repeat(
        &mut self,
        learn: &Learn,
        threshold: u32,
        t: i64,
        r: &crate::contract::Repeats,
    ) {
        self.learn_fresh(learn, threshold, t);
        self.rep_ingress = r.moved(self.rep_ingress).1;
        (self.rep_last, self.rep_n) = r.record((self.rep_last, self.rep_n), t);
    }

    /// Records an observed update's count in the learned state.
    pub fn learn_count(&mut self, count: u32) {
        if self.learn_on != 0 {
            self.learn_peak = self.learn_peak.max(count);
        }
    }

    /// Remembers where this call's evidence lies (the last `EVIDENCE_MAX`).
    pub fn push_recent(&mut self, at: u64) {
        // SAFETY: a window record: the body is a window body.
        let w = unsafe { &mut self.body.w };
        let n = self.nrecent as usize;
        if n == EVIDENCE_MAX {
            w.recent.copy_within(1.., 0);
            w.recent[EVIDENCE_MAX - 1] = at;
        } else {
            w.recent[n] = at;
            self.nrecent += 1;
        }
    }

    pub fn recent(&self) -> &[u64] {
        // SAFETY: a window record: the body is a window body.
        unsafe { &self.body.w.recent[..self.nrecent as usize] }
    }

    /// Makes this (free) record an auto-block.
    pub fn init_block(&mut self, key: u64, number: &str, until_ms: i64, alert_id: &str) {
        self.key = key;
        self.kind = KIND_BLOCK;
        self.mode = MODE_INLINE;
        self.set_block(number, until_ms, alert_id);
    }

    pub fn set_block(&mut self, number: &str, until_ms: i64, alert_id: &str) {
        self.hw = until_ms;
        let n = cut(number, BLOCK_NUMBER_MAX);
        let a = cut(alert_id, BLOCK_ALERT_MAX);
        // SAFETY: a block record: the body is a block body.
        let b = unsafe { &mut self.body.b };
        b.number_len = n.len() as u8;
        b.alert_len = a.len() as u8;
        b.bytes[..n.len()].copy_from_slice(n.as_bytes());
        b.bytes[n.len()..n.len() + a.len()].copy_from_slice(a.as_bytes());
    }

    /// The block's (number, alert id).
    pub fn block(&self) -> (&str, &str) {
        // SAFETY: a block record: the body is a block body.
        let b = unsafe { &self.body.b };
        let n = b.number_len as usize;
        let a = b.alert_len as usize;
        (
            std::str::from_utf8(&b.bytes[..n]).unwrap_or(""),
            std::str::from_utf8(&b.bytes[n..n + a]).unwrap_or(""),
        )
    }
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut n = max;
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::shm::arena::ArenaHead;
    use crate::store::shm::region::{Layout, Region};

    fn xorshift(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        }
    }

    /// A window against a plain model (member → latest time, trimmed to
    /// `(hw - W, hw]`, oldest evicted past the cap, ties in arrival order)
    /// over long random runs with repeats, late events and sizes crossing the
    /// inline / sorted / log + map boundaries both ways: counts and evictions
    /// must match after every update, and every extent goes back at the end.
    #[test]
    fn windows_match_a_plain_model() {
        let layout = Layout::new(4096, 10_000);
        let r = Region::map(layout.total).unwrap();
        let head = r.base() as *mut ArenaHead;
        let arena = unsafe { Arena::new(r.base(), head, &layout) };
        unsafe { arena.init().unwrap() };
        let counters = Counters::default();
        let ctx = Ctx {
            arena: &arena,
            budget: Duration::from_secs(1),
            counters: &counters,
        };
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for (window_ms, members, cap) in [
            (1_000, 40, 10_000),
            (5_000, 300, 100),
            (200, 5, 3),
            (20_000, 600, 10_000),
            (20_000, 600, 200),
            (200_000, 3_000, 10_000),
        ] {
            let mut w: Rec = unsafe { std::mem::zeroed() };
            w.init_window(1, 4, 0, window_ms);
            let mut model: std::collections::HashMap<u64, (i64, u64)> = Default::default();
            let mut hw = 0i64;
            let mut t = 0i64;
            for step in 0..40_000u64 {
                t += next(40) as i64;
                let at = if next(10) == 0 {
                    t - next(window_ms as u64 * 2) as i64
                } else {
                    t
                };
                let m = next(members) + 1;
                w.observe(at, m, &ctx).unwrap();
                let evicted = w.trim_to(cap, &ctx);
                let count = w.len(&arena);
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
                assert_eq!(evicted, expected_evicted, "step {step}, W {window_ms}");
                // The members of the window's last quarter (the slow tier's
                // companion asks this on every call), every few steps.
                if step % 8 == 0 {
                    let cutoff = w.hw - window_ms / 4;
                    let recent = model.values().filter(|&&(seen, _)| seen > cutoff).count();
                    assert_eq!(
                        w.count_after(cutoff, &arena),
                        recent,
                        "step {step}, W {window_ms}"
                    );
                }
            }
            w.release(&ctx);
        }
        assert_eq!(arena.used_lines(), 0, "every extent went back");
        assert_eq!(
            counters
                .member_pool_full
                .load(std::sync::atomic::Ordering::Relaxed),
            0
        );
    }
}
