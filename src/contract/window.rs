// SPDX-License-Identifier: MIT OR Apache-2.0
//! The engine–store contract: the window updates one call needs and the
//! store's answer. Semantics every store keeps are in `crate::store`.

use compact_str::CompactString;
use serde::Serialize;
use smallvec::SmallVec;

use super::{stable_hash, Reason};

/// How many recent calls a window keeps as alert evidence.
pub const EVIDENCE_MAX: usize = 16;

/// One call seen inside an alert's window.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Evidence {
    pub time_ms: i64,
    pub call_id: CompactString,
    pub a_number: CompactString,
    pub b_number: CompactString,
    pub source: CompactString,
}

/// How a window learns its key's normal level (a per-entity baseline), and
/// how the level raises the key's threshold. Integer arithmetic only, the same
/// in every store (reference: `store::memory`; `store/redis/check.lua`):
///
/// - Only updates whose count reaches the learning floor,
///   `ceil(threshold × floor_milli / 1000)`, are observed (a count below it
///   is an interval with nothing observed): a key that never comes near
///   alerting needs no level, and at `floor_milli = 1000` a store pays for
///   learning only where it would have looked at the key's cooldown anyway. The first such update creates the key's state:
///   level 0, the open interval `t.div_euclid(interval_ms)`, peak 0.
/// - At an observed update in a later interval `i`, the open interval is
///   closed: its peak, clipped to at most `max(threshold, GROWTH × level)`
///   (a level cannot jump), moves the level by 1/2^shift of the difference
///   (`level += (obs − level) >> shift`, truncated towards the old level);
///   each interval between with no observed update moves it as far towards
///   0, and [`LEARN_GAP_MAX`] of them or more forget it; `i` is opened with
///   peak 0.
/// - An observed update raises the open interval's peak to its count.
/// - The key's threshold is `max(threshold, ceil(level × k_milli / 10⁶))`,
///   from the level before this update's interval (an attack does not raise
///   its own bar within an interval), and its window keeps at least twice
///   that many members (up to the store's own cap).
/// - Learned state is gone from the end of its open interval plus `keep_ms`
///   (event time) while its level raises the threshold, otherwise plus the
///   longer of the window and the interval: an update at or after that time
///   finds none (fresh state), whenever the store actually frees it.
///
/// Levels are in thousandths of a member (`level_m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learn {
    pub interval_ms: u32,
    /// An interval weighs 1/2^shift in the level (1: a half, 2: a quarter).
    pub shift: u8,
    /// The learning floor as thousandths of the threshold (1000: the threshold).
    pub floor_milli: u32,
    /// The factor on the level, in thousandths (2000: twice the level).
    pub k_milli: u32,
    pub keep_ms: u32,
    /// After this many intervals in a row whose peak reached the key's
    /// threshold, the next ones that do teach nothing (the level stays) until
    /// one does not: a SIM that stays over its bar for an hour is never
    /// learned as normal, while a busy person's busy spells still are.
    /// 0: off, for keys that must learn a busy nature they show from their
    /// first minute on (a new interconnect's CLIs). A run of
    /// [`LEARN_OVER_MAX`] intervals is learned again (a trunk whose traffic
    /// really tripled is not held over its bar for ever).
    pub hold_after: u8,
    /// Hold only keys whose nature is known: [`LEARN_CALM_BUSY`] intervals
    /// closed under their bar. A key busy from its first minute (a new
    /// interconnect's CLIs) learns freely; an established one that an attack
    /// keeps over its bar does not learn the attack.
    pub hold_known: bool,
    /// Hold only keys that were not themselves called lately (the window's
    /// [`Called`] stamp, judged at the update that closes the interval): a
    /// SIM only calls out, a business on a mobile is also called, so a CLI
    /// over its bar for an hour that nobody called is not learned as normal
    /// while a called one learns its busy nature. Without a `Called` on the
    /// update no key counts as called.
    pub hold_uncalled: bool,
    /// An interval is not learned when the key's updates are machine-paced
    /// ([`paced`], over the window's newest members at the update that
    /// closes it): SIM-box studies find a box's dialler places each SIM's
    /// calls at near-even gaps, while people call at random. A SIM box
    /// running before the detector started, or before its first interval
    /// over the bar, is then not learned as normal; a person's interval
    /// looks paced by chance a few times in a hundred, which only delays
    /// its learning. Held whatever the run over the threshold, up to
    /// [`LEARN_OVER_MAX`] intervals in a row over it.
    pub hold_paced: bool,
    /// A known key with a level keeps its state `keep_ms`, as one whose
    /// level raises its threshold does: its nature (`Learn::busy`,
    /// `hold_known`) would otherwise be forgotten after a quiet interval
    /// or two.
    pub keep_known: bool,
}

/// An interval's peak counts for at most GROWTH times the level.
pub const LEARN_GROWTH: u64 = 2;
/// This many empty intervals in a row forget a level.
pub const LEARN_GAP_MAX: i64 = 64;
/// The longest run of intervals over the threshold a key's history counts;
/// a hold (`Learn::hold_after`) ends when the run reaches it.
pub const LEARN_OVER_MAX: u8 = 63;
/// Intervals under its bar after which a key with a level is busy by nature.
pub const LEARN_CALM_BUSY: u8 = 3;
/// [`paced`] looks at most at this many of a window's newest members...
pub const PACED_MEMBERS_MAX: usize = 32;
/// ...and needs at least this many to judge.
pub const PACED_MEMBERS_MIN: usize = 8;

/// Whether members' latest times (any order; the newest
/// [`PACED_MEMBERS_MAX`] of a window, at least [`PACED_MEMBERS_MIN`]) are
/// machine-paced: at least four in five of the gaps between consecutive
/// times lie within a factor two of their median (the lower one), in
/// integers so every store answers alike. Gaps of a dialler that paces each
/// call with a few tens of percent of jitter almost all do; a person's
/// (exponential gaps) about 46% do, so a busy person's interval passes by
/// chance 2–3% of the time (docs/QUALITY.md).
pub fn paced(times: &[i64]) -> bool {
    let n = times.len().min(PACED_MEMBERS_MAX);
    if n < PACED_MEMBERS_MIN {
        return false;
    }
    let mut t = [0i64; PACED_MEMBERS_MAX];
    t[..n].copy_from_slice(&times[..n]);
    t[..n].sort_unstable();
    let mut gaps = [0i64; PACED_MEMBERS_MAX];
    for i in 1..n {
        gaps[i - 1] = t[i] - t[i - 1];
    }
    let k = n - 1;
    gaps[..k].sort_unstable();
    let m = gaps[(k - 1) / 2];
    let near = gaps[..k]
        .iter()
        .filter(|&&d| 2 * d >= m && d <= 2 * m)
        .count();
    5 * near >= 4 * k
}

impl Learn {
    /// The lowest count that is observed at all.
    pub fn floor(&self, threshold: u32) -> u32 {
        (threshold as u64 * self.floor_milli.clamp(1, 1000) as u64)
            .div_ceil(1000)
            .max(1) as u32
    }

    /// The threshold a key with this level is judged against.
    pub fn threshold(&self, threshold: u32, level_m: u64) -> u32 {
        let learned = (level_m.saturating_mul(self.k_milli as u64)).div_ceil(1_000_000);
        (threshold as u64).max(learned).min(u32::MAX as u64) as u32
    }

    /// The level after closing the open interval with `peak` and `gap` empty
    /// intervals after it. `runs` is the key's history byte, kept by the
    /// store with the level (0 for a fresh key) and updated here: bits 0–5
    /// count the intervals in a row, up to the one closed, whose peak
    /// reached the key's threshold (up to 63, [`Learn::over`]); bits 6–7 the
    /// intervals closed with a peak under it (up to 3, [`Learn::calm`]).
    /// `called` answers whether the key was called lately; it is asked only
    /// when it decides a hold (`hold_uncalled`). `paced` answers whether
    /// the key's updates are machine-paced ([`paced`]); it is asked only
    /// when it decides a hold (`hold_paced`, an observed interval not held
    /// otherwise, under [`LEARN_OVER_MAX`] intervals over the bar).
    #[allow(clippy::too_many_arguments)]
    pub fn fold(
        &self,
        threshold: u32,
        level_m: u64,
        peak: u32,
        gap: i64,
        runs: &mut u8,
        called: impl FnOnce() -> bool,
        paced: impl FnOnce() -> bool,
    ) -> u64 {
        let shift = self.shift.clamp(1, 6) as u32;
        let cap = (threshold as u64 * 1000).max(LEARN_GROWTH.saturating_mul(level_m));
        let obs = (peak as u64 * 1000).min(cap);
        let reached = peak >= self.threshold(threshold, level_m);
        let mut calm = Self::calm(*runs);
        let over = if reached {
            (Self::over(*runs) + 1).min(LEARN_OVER_MAX)
        } else {
            if peak > 0 {
                calm = (calm + 1).min(LEARN_CALM_BUSY);
            }
            0
        };
        *runs = over | calm << 6;
        // A run as long as the history counts is learned again: a change
        // that lasts that long is the key's new normal.
        let held = self.hold_after > 0
            && over > self.hold_after
            && over < LEARN_OVER_MAX
            && (!self.hold_known || calm >= LEARN_CALM_BUSY)
            && !(self.hold_uncalled && called());
        let held = held || (self.hold_paced && peak > 0 && over < LEARN_OVER_MAX && paced());
        let mut level = if held {
            level_m
        } else if obs >= level_m {
            level_m + ((obs - level_m) >> shift)
        } else {
            level_m - ((level_m - obs) >> shift)
        };
        if gap > 0 {
            *runs = calm << 6;
        }
        if gap >= LEARN_GAP_MAX {
            return 0;
        }
        for _ in 0..gap.max(0) {
            level -= level >> shift;
        }
        level
    }

    /// Intervals in a row, up to the last closed, whose peak reached the
    /// key's threshold (from its history byte, [`Learn::fold`]).
    pub fn over(runs: u8) -> u8 {
        runs & LEARN_OVER_MAX
    }

    /// Intervals closed with a peak under the key's threshold, up to
    /// [`LEARN_CALM_BUSY`] (from its history byte, [`Learn::fold`]).
    pub fn calm(runs: u8) -> u8 {
        runs >> 6
    }

    /// Whether a key is busy by nature: its level at or above the threshold
    /// (a shared trunk), or at or above the learning floor after at least
    /// [`LEARN_CALM_BUSY`] intervals it spent under its bar (a small
    /// gateway or wholesale trunk that always carries a few CLIs a minute).
    /// A key an attack brought over the floor has no calm intervals of its
    /// own. On such a key the others' calls cannot be told from an attack's.
    pub fn busy(&self, threshold: u32, level_m: u64, runs: u8) -> bool {
        level_m >= threshold as u64 * 1000
            || (Self::calm(runs) >= LEARN_CALM_BUSY
                && level_m >= self.floor(threshold) as u64 * 1000)
    }

    /// Whether a level raises the key's threshold.
    pub fn raises(&self, threshold: u32, level_m: u64) -> bool {
        self.threshold(threshold, level_m) > threshold
    }

    /// Whether learned state is kept `keep_ms`: its level raises the key's
    /// threshold, or the key is known and has a level (`keep_known`).
    pub fn keeps(&self, threshold: u32, level_m: u64, runs: u8) -> bool {
        self.raises(threshold, level_m)
            || (self.keep_known && level_m > 0 && Self::calm(runs) >= LEARN_CALM_BUSY)
    }

    /// The event time from which learned state with this level and history,
    /// its open interval `interval`, is gone.
    pub fn gone_at(
        &self,
        threshold: u32,
        level_m: u64,
        runs: u8,
        interval: i64,
        window_ms: i64,
    ) -> i64 {
        let life = if self.keeps(threshold, level_m, runs) {
            self.keep_ms as i64
        } else {
            window_ms.max(self.interval_ms as i64)
        };
        (interval + 1)
            .saturating_mul(self.interval_ms.max(1) as i64)
            .saturating_add(life)
    }
}

/// One sliding-window update.
#[derive(Debug, Clone)]
pub struct WindowOp {
    /// The rule whose window this is, by its reason code (its tag names the window).
    pub rule: Reason,
    /// What the window is about: a B-number, an A-number, a source or trunk.
    pub key: CompactString,
    /// What is counted: an A-number, or a call id for velocity.
    pub member: CompactString,
    pub time_ms: i64,
    pub window_ms: i64,
    pub threshold: u32,
    /// At most 30 days (config validation): four bytes, which keeps a
    /// `WindowOp` within the 128 bytes a call's pushes copy inline.
    pub cooldown_ms: u32,
    /// Most members the window keeps, newest first.
    pub member_cap: u32,
    /// The window learns its key's level, which raises its threshold.
    pub learn: Option<Learn>,
    /// Only the count is wanted (a companion count the engine reads beside
    /// another window): the store keeps no alert evidence and no cooldown for
    /// it, and answers no alert (`AlertState::None`, no evidence) whatever
    /// the count. Its members, cap and count are those of any window.
    pub count_only: bool,
    /// Raise the threshold when the key (a number) was itself called lately:
    /// see [`Called`]. Only for windows keyed by a number.
    pub called: Option<Called>,
    /// Raise the threshold when the key keeps coming back to members it
    /// already has: see [`Repeats`]. Only for windows that learn.
    pub repeats: Option<Repeats>,
    /// Answer how far back the kept members reach when the count stops at
    /// the cap (`WindowOutcome::span_ms`): the windows an ingress share is
    /// read from.
    pub span: bool,
    /// Also answer how many of the kept members called in the last this
    /// many ms of the window (`WindowOutcome::recent`); 0: not asked. A
    /// companion over a longer window answers a shorter window's count over
    /// every ingress too (the burst tier's, read from the slow tier's). Only
    /// on count-only ops with `span` (never with `called` or `repeats`).
    pub recent_ms: u32,
    /// Track the key's spell and answer an alert for a fresh one that
    /// reached a count: see [`Spell`]. Only on count-only ops.
    pub spell: Option<Spell>,
}

/// A count-only window whose key (a number's callers over every ingress)
/// is judged by its *spell*: the calls to it since it was last quiet. A
/// victim of masking is a subscriber nobody was calling; a hotline, a
/// business or a phone-in is called all the time (docs/QUALITY.md, *Spread
/// fan-in at a quiet callee*).
///
/// The store keeps, per key, the minute of its last update and the minute
/// its spell began (minutes: `time_ms.div_euclid(60_000)`). An update whose
/// minute is at least `quiet_min` after the last one's, or of a key with
/// none, begins a spell; an update in an earlier minute than the last one's
/// (a late event) changes nothing and is not judged. Once the window's count
/// reaches `at` while its spell began no earlier than the minute of
/// `time_ms - window_ms` (every member is of the spell), the op answers an
/// alert although it is count-only: `Raised` the first time in the spell,
/// `Active` after, with the id [`WindowOp::format_alert_id`]`(reason, spell
/// start minute × 60,000, key hash)`, and no evidence. A [`Withdrawal`] of
/// that alert (on this op, with that id) silences the spell: it answers no
/// alert until a new spell begins, which may raise again.
///
/// The embedded stores keep spells in a fixed table of 4-byte entries
/// (`store::spell`): the last minute modulo 16,384, so a gap of over ten
/// days may read as late or short (no spell begins: a quiet callee missed),
/// a late event more than a day late begins a spell, a key may read
/// another's entry (fingerprints of 12 bits), and an entry may be forgotten
/// early when four other keys of its bucket were updated since (the key
/// then begins a spell at its next update). The store suite's traffic is far
/// from all of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spell {
    /// The rule whose alert this is (its tag starts the id).
    pub reason: Reason,
    /// The count that raises (2 to 255: one byte, which keeps a `WindowOp`
    /// within 128 bytes).
    pub at: u8,
    /// Minutes without an update that end a spell (at most 720: config
    /// validation).
    pub quiet_min: std::num::NonZeroU16,
}

impl Spell {
    /// The minute of an event time.
    #[inline]
    pub fn minute(time_ms: i64) -> i64 {
        time_ms.div_euclid(60_000)
    }

    /// Whether a spell that began in minute `start` holds every member of
    /// the op's window: it began no earlier than the minute of the window's
    /// start (`start >= minute(time_ms - window_ms)`, without a division).
    #[inline]
    pub fn covers(start: i64, op: &WindowOp) -> bool {
        start.saturating_add(1).saturating_mul(60_000) > op.time_ms.saturating_sub(op.window_ms)
    }

    /// The alert id of the spell that began in minute `start`.
    pub fn alert_id(&self, start: i64, op: &WindowOp) -> CompactString {
        WindowOp::format_alert_id(self.reason, start.saturating_mul(60_000), op.key_hash())
    }
}

/// A window that judges its key more leniently when the key calls members
/// it already has (a CLI calling a callee again): a SIM in a SIM box
/// terminates each call to whoever it is given and almost never repeats a
/// callee, a person or a business redials and calls customers back.
///
/// A *repeat* is an update whose member was in the window with a latest
/// time after `time_ms - window_ms` before this update (a late or
/// same-millisecond event for a member already seen at or after it is one
/// too). Repeats are kept in the learned state as a run; a repeat whose
/// count is below the learning floor but at least 2 is recorded too (a
/// person's first calls are often a redial between calls to others),
/// creating a fresh learned state when the key has none or its state is
/// gone (it records the update's ingress, but below the floor a move is no
/// repeat and nothing else of the state changes). At a count of 1 (a key
/// that only ever repeats one member, e.g. a line ringing one number back)
/// it is not: that says nothing of fanning out, and would cost a shared
/// store a state write on every such call. The run is the second of the last repeat
/// (`time_ms / 1000`, rounded down) and how many repeats the run holds
/// (saturating at 65,535). A repeat more
/// than `span_s` seconds after the run's last one
/// starts a new run of 1; a repeat whose second precedes the run's last is
/// counted without moving it. When the window's count reaches its threshold
/// (after learning and the [`Called`] factor), the run counts if its last
/// repeat is at most `span_s` seconds before the event's second;
/// if `run × 1000 >= share_milli × count`, the threshold is `factor` times
/// as high (saturating) and the outcome reports that threshold. A fresh or
/// gone learned state has no run. (See [`Repeats::record`] and
/// [`Repeats::lenient`]: every store keeps this arithmetic.)
///
/// A *move* counts as a repeat too: an update whose `ingress` (a hash of
/// the call's ingress, 0 when unknown or not asked for) differs from both
/// ingresses the learned state recorded last (none in a fresh state).
/// SIM-box studies find a box's SIMs stay in one place, a person moves
/// between switches (docs/QUALITY.md, *A fifth generator*); but a network
/// that shares its subscribers' calls between two nodes (a pair of core
/// SBCs) sends a SIM's calls back and forth as it does everyone's, so a
/// return to the ingress before the last is no move (docs/QUALITY.md, *A
/// ninth generator*). The learned state keeps the last two distinct
/// non-zero ingresses in one `u16` (see [`Repeats::moved`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeats {
    /// Repeats per thousand members of the count (1 to 1000).
    pub share_milli: u16,
    /// At most 1000 (config validation).
    pub factor: u16,
    /// How long a run lasts after its last repeat: a business calls a
    /// customer back every quarter of an hour or so, which a run as long as
    /// its window (ten minutes) would keep losing. In seconds (at most 18
    /// hours); non-zero, which keeps `Option<Repeats>` at
    /// eight bytes with `ingress` (and `WindowOp` at 128: moved without a
    /// `memcpy` call).
    pub span_s: std::num::NonZeroU16,
    /// The call's ingress, hashed ([`Repeats::ingress_of`]); 0: not known,
    /// or moves not counted.
    pub ingress: u16,
}

impl Repeats {
    /// The hash of an ingress (a trunk or an address) an op carries: FNV-1a
    /// folded to 8 bits, never 0 (1 to 255). The same on every node (shared
    /// stores compare it); two ingresses hashing alike are one (a move
    /// missed: one pair in 255).
    pub fn ingress_of(ingress: &str) -> u16 {
        let mut h: u32 = 0x811c_9dc5;
        for &b in ingress.as_bytes() {
            h = (h ^ b as u32).wrapping_mul(0x0100_0193);
        }
        let x = (h >> 24) ^ (h >> 16) ^ (h >> 8) ^ h;
        match (x & 0xff) as u16 {
            0 => 1,
            x => x,
        }
    }

    /// Whether this update is a move, and the ingresses to record now.
    /// `seen` is the learned state's record: the last ingress in its low
    /// byte, the distinct one before it in its high byte (0: none). A move
    /// is an ingress that is neither (and not the first one recorded); any
    /// change of ingress shifts the last into the high byte.
    pub fn moved(&self, seen: u16) -> (bool, u16) {
        let (last, before) = (seen & 0xff, seen >> 8);
        if self.ingress == 0 || self.ingress == last {
            (false, seen)
        } else {
            (
                last != 0 && self.ingress != before,
                self.ingress | (last << 8),
            )
        }
    }

    /// The run `(last second, repeats)` after a repeat at `time_ms`.
    pub fn record(&self, run: (u32, u16), time_ms: i64) -> (u32, u16) {
        let s = Self::second(time_ms);
        let (last, n) = run;
        if n == 0 || s > last.saturating_add(self.span()) {
            (s, 1)
        } else {
            (last.max(s), n.saturating_add(1))
        }
    }

    /// The threshold a window with this run is judged against when its
    /// `count` reaches `threshold`.
    pub fn lenient(&self, run: (u32, u16), time_ms: i64, count: u32, threshold: u32) -> u32 {
        let (last, n) = run;
        let live = n > 0 && Self::second(time_ms) <= last.saturating_add(self.span());
        if live && n as u64 * 1000 >= self.share_milli as u64 * count as u64 {
            threshold.saturating_mul(self.factor as u32)
        } else {
            threshold
        }
    }

    fn second(time_ms: i64) -> u32 {
        time_ms.div_euclid(1000).clamp(0, u32::MAX as i64) as u32
    }

    /// A run's span in seconds.
    fn span(&self) -> u32 {
        self.span_s.get() as u32
    }
}

/// A window that judges a number more leniently when that number was itself
/// called lately ([`StoreRequest::called`] stamps callees): a SIM in a SIM
/// box only calls out, a person or a business on a mobile is also called.
/// When the window's count reaches its threshold (after learning), the store
/// asks whether the key was stamped as called in a minute within
/// `within_ms` before the event (`stamp_ms / 60000 >= (time_ms - within_ms)
/// / 60000`, minutes rounded down; a stamp up to a day after the event
/// counts too); if so the threshold is `factor` times as high (saturating),
/// and the outcome reports that threshold. The embedded stores may forget a
/// stamp early and, rarely, find one for a number never called
/// (`store::called`): the store suite's traffic is far from either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Called {
    /// Never 0 (and so `Option<Called>` costs no tag: a window op stays
    /// within the 128 bytes a call's pushes copy inline, issue 19).
    pub factor: std::num::NonZeroU32,
    /// At most 30 days (config validation).
    pub within_ms: u32,
}

/// A callee to remember as called (see [`Called`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalledStamp {
    /// The rule whose windows ask (a shared store keeps the stamp beside
    /// that rule's windows of the number: one hash slot on a cluster).
    pub rule: Reason,
    /// The callee's key (E.164 with `+`), as windows keyed by numbers use it.
    pub number: CompactString,
    pub time_ms: i64,
    /// How long the longest [`Called::within_ms`] asking for it looks back:
    /// a store may forget the stamp after that (Redis: its TTL).
    pub keep_ms: i64,
    /// The caller's own window in this request (an index into
    /// [`StoreRequest::windows`]): when its answered count is at or over
    /// that op's own `threshold` (the op's, before learning or a called
    /// factor), the callee is not stamped. A caller that itself reaches a
    /// SIM's fan-out does not vouch for its callee: a SIM box whose SIMs
    /// call one another would otherwise make each of them look called.
    /// A store may apply a stamp that passes later than the request (Redis
    /// sends it after the answer: the async client at once, off the call
    /// path; the blocking one with the connection's next request), never
    /// earlier.
    pub unless_over: Option<u8>,
}

impl CalledStamp {
    /// Whether the stamp is applied, given the request and its windows'
    /// answers (in request order).
    pub fn passes(&self, req: &StoreRequest, outcomes: &[WindowOutcome]) -> bool {
        match self.unless_over {
            None => true,
            Some(i) => match (req.windows.get(i as usize), outcomes.get(i as usize)) {
                (Some(op), Some(out)) => out.count < op.threshold.max(1),
                // No such window answered: as without a caller's count.
                _ => true,
            },
        }
    }
}

impl WindowOp {
    /// The id the alert gets if this update raises one:
    /// `<rule tag>-<event ms in hex>-<key hash>`. Deterministic, so a replayed
    /// attack gets the id the live one got, and two nodes racing agree.
    /// Formatted only when needed.
    pub fn alert_id(&self) -> CompactString {
        self.alert_id_at(self.time_ms)
    }

    /// The id of the alert this window raised at event time `raised_ms`
    /// (a store that keeps the raising time rather than the id).
    /// Written digit by digit (it is answered for every call an alert in
    /// its cooldown covers): the same text as
    /// `format!("{tag}-{raised_ms:x}-{hash:08x}")`.
    pub fn alert_id_at(&self, raised_ms: i64) -> CompactString {
        Self::format_alert_id(self.rule, raised_ms, self.key_hash())
    }

    /// The key's hash as alert ids carry it.
    pub fn key_hash(&self) -> u32 {
        stable_hash(self.key.as_bytes()) as u32
    }

    /// An alert id from its parts (`alert_id_at` with the key already hashed).
    pub fn format_alert_id(rule: Reason, raised_ms: i64, hash: u32) -> CompactString {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let tag = rule.tag().as_bytes();
        let mut buf = [0u8; 64];
        let mut n = tag.len().min(32);
        buf[..n].copy_from_slice(&tag[..n]);
        buf[n] = b'-';
        n += 1;
        // `{:x}` of an i64 writes its two's complement bits, no leading zeros.
        let t = raised_ms as u64;
        let digits = ((64 - t.leading_zeros()) as usize).div_ceil(4).max(1);
        for i in (0..digits).rev() {
            buf[n] = HEX[((t >> (4 * i)) & 15) as usize];
            n += 1;
        }
        buf[n] = b'-';
        n += 1;
        for i in (0..8).rev() {
            buf[n] = HEX[((hash >> (4 * i)) & 15) as usize];
            n += 1;
        }
        // Every byte written is ASCII (tags are).
        CompactString::from(std::str::from_utf8(&buf[..n]).unwrap_or_default())
    }
}

/// The event time an alert id was raised at (the inverse of
/// [`WindowOp::alert_id`]); `None` for an id of another form.
pub fn alert_raised_ms(id: &str) -> Option<i64> {
    let mut parts = id.split('-');
    let (_tag, t) = (parts.next()?, parts.next()?);
    parts.next()?;
    i64::from_str_radix(t, 16).ok()
}

/// An alert a store raised that the engine did not publish: the window at
/// `window` in the request answered `AlertState::Raised(id)`, and the engine
/// held it back (the number's callers did not come mostly through that
/// ingress, or it folded into another rule's alert on the same call). Nobody
/// was told of it, so no later call may be flagged under it: the store
/// forgets the window's alert when it is still `id` (its cooldown ends), and
/// the next update at or over the threshold raises a new one. Members,
/// counts, learned state and evidence are untouched. A store may apply it
/// later than the call (Redis: with the connection's next request), never
/// before; an alert of that window raised since is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    /// The window's index in [`StoreRequest::windows`].
    pub window: u8,
    pub id: CompactString,
}

impl Withdrawal {
    /// The window each withdrawal names in `req`, beside it (one naming no
    /// window of the request is skipped).
    pub fn in_request<'a>(
        req: &'a StoreRequest,
        withdrawals: &'a [Withdrawal],
    ) -> impl Iterator<Item = (&'a Withdrawal, &'a WindowOp)> {
        withdrawals
            .iter()
            .filter_map(|wd| Some((wd, req.windows.get(wd.window as usize)?)))
    }
}

/// An auto-block entry: calls from `number` are blocked until `until_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockEntry {
    pub number: CompactString,
    pub until_ms: i64,
    pub alert_id: CompactString,
}

/// Everything one call needs from the store.
#[derive(Debug, Clone, Default)]
pub struct StoreRequest {
    pub windows: SmallVec<[WindowOp; 5]>,
    /// What the windows remember about this call for alert evidence.
    pub evidence: Evidence,
    /// Look up an auto-block of this A-number at `time_ms`.
    pub block_lookup: Option<(CompactString, i64)>,
    /// Stamp this callee as called, after every window of the request.
    pub called: Option<CalledStamp>,
}

/// Whether a window update raised an alert.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AlertState {
    /// Below the threshold.
    #[default]
    None,
    /// This update raised the alert with this id.
    Raised(CompactString),
    /// Over the threshold, and this alert (raised earlier) is in its cooldown.
    Active(CompactString),
}

/// The answer to one [`WindowOp`]. (Only `alert` and `evidence` may own
/// memory: [`StoreAnswer::clear_windows`] relies on it.)
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowOutcome {
    pub count: u32,
    /// The threshold the key was judged against: the op's, or above it when
    /// the key's learned level raised it.
    pub threshold: u32,
    /// The key's learned level, in thousandths of a member (0: none).
    pub level_m: u64,
    /// The key's history byte as of its last closed interval
    /// (`Learn::fold`; 0 without learned state).
    pub runs: u8,
    /// False when the store had no room for a new key (see `max_keys`).
    pub tracked: bool,
    pub alert: AlertState,
    /// Filled when the alert was raised: recent calls inside the window, oldest first.
    pub evidence: Vec<Evidence>,
    /// For an op with `span`, when the window holds at least as many
    /// members as it keeps (its cap, after learning raised it): how far
    /// before the event (event time, ms, at least 1) its oldest kept member
    /// called, the cap-th newest. 0 otherwise: the count is exact. Two
    /// windows at their caps read a fixed ratio of counts whatever the
    /// traffic; their kept members' rates (`count / span_ms`) still compare
    /// them (the ingress share: `engine`).
    pub span_ms: u32,
    /// For an op with `recent_ms`: how many of the members counted (at most
    /// `count`) have their latest call in the last `recent_ms` of the window
    /// (after its latest event time, this event's included, minus
    /// `recent_ms`: a late event reads the window as it stands, as its count
    /// does), saturating at 65,535. 0 when not asked. (Two bytes: an
    /// outcome stays within 80 bytes, issue 19.)
    pub recent: u16,
}

/// The answer to one [`StoreRequest`], window outcomes in request order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreAnswer {
    pub windows: SmallVec<[WindowOutcome; 5]>,
    pub blocked: Option<BlockEntry>,
}

impl WindowOutcome {
    /// Whether dropping this outcome would free nothing: no alert id, no
    /// evidence array.
    #[inline]
    fn owns_nothing(&self) -> bool {
        matches!(self.alert, AlertState::None) && self.evidence.capacity() == 0
    }
}

impl StoreAnswer {
    /// Empties `windows` for the next answer, keeping its room. Most
    /// outcomes own nothing (no alert, no evidence): when none does, they
    /// are forgotten in one step instead of each passed to its drop glue
    /// (a call a window; issue 19).
    #[inline]
    pub fn clear_windows(&mut self) {
        if self.windows.iter().all(WindowOutcome::owns_nothing) {
            // SAFETY: the length only shrinks, and every outcome cut off
            // owns nothing: its other fields are plain values (see
            // `WindowOutcome`), its alert is `None` and its evidence a
            // vector with no allocation, so dropping it would be a no-op.
            unsafe { self.windows.set_len(0) }
        } else {
            self.windows.clear();
        }
    }
}

/// Why a store could not answer. The engine then fails open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("store did not answer within its budget")]
    Timeout,
    #[error("store skipped: circuit breaker open after repeated failures")]
    BreakerOpen,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store answered something unexpected: {0}")]
    Protocol(String),
}

impl StoreError {
    /// Short label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Timeout => "timeout",
            StoreError::BreakerOpen => "breaker_open",
            StoreError::Unavailable(_) => "unavailable",
            StoreError::Protocol(_) => "protocol",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_op_and_an_outcome_stay_small() {
        // A call pushes up to five ops and reads as many outcomes: past
        // 128 bytes an op's push goes through `memcpy` (+105 instructions a
        // check, issue 19); an outcome is 80.
        assert!(std::mem::size_of::<WindowOp>() <= 128);
        assert!(std::mem::size_of::<WindowOutcome>() <= 80);
    }

    fn learn(k: u32) -> Learn {
        Learn {
            interval_ms: 10_000,
            shift: 2,
            floor_milli: 1000,
            k_milli: k,
            keep_ms: 3_600_000,
            hold_after: 0,
            hold_known: false,
            hold_uncalled: false,
            hold_paced: false,
            keep_known: false,
        }
    }

    #[test]
    fn an_outcome_owns_memory_only_through_its_alert_and_evidence() {
        // `StoreAnswer::clear_windows` forgets outcomes that own nothing
        // without dropping them: written field by field, so a new field
        // fails to compile here until that is checked for it too.
        let WindowOutcome {
            count: _,
            threshold: _,
            level_m: _,
            runs: _,
            tracked: _,
            alert: _,
            evidence: _,
            span_ms: _,
            recent: _,
        } = WindowOutcome::default();
        assert!(WindowOutcome::default().owns_nothing());
        let mut with_alert = WindowOutcome {
            alert: AlertState::Raised("cli-rotation-1-2".into()),
            ..WindowOutcome::default()
        };
        assert!(!with_alert.owns_nothing());
        with_alert.alert = AlertState::None;
        with_alert.evidence = Vec::with_capacity(1);
        assert!(!with_alert.owns_nothing());
    }

    #[test]
    fn clearing_an_answer_keeps_its_room_whatever_its_outcomes_own() {
        let owning = WindowOutcome {
            alert: AlertState::Active("x".repeat(40).into()),
            evidence: vec![Evidence {
                call_id: "y".repeat(40).into(),
                ..Evidence::default()
            }],
            ..WindowOutcome::default()
        };
        for outcomes in [
            vec![WindowOutcome::default(); 7],
            vec![
                WindowOutcome::default(),
                owning.clone(),
                WindowOutcome::default(),
            ],
            vec![owning; 6],
        ] {
            let mut a = StoreAnswer {
                windows: outcomes.into_iter().collect(),
                blocked: None,
            };
            let room = a.windows.capacity();
            a.clear_windows();
            assert!(a.windows.is_empty());
            assert_eq!(a.windows.capacity(), room);
            a.windows.push(WindowOutcome {
                count: 3,
                ..WindowOutcome::default()
            });
            assert_eq!(a.windows[0].count, 3);
        }
    }

    /// `fold` for a key that had no interval over its threshold before.
    fn fold(l: &Learn, threshold: u32, level_m: u64, peak: u32, gap: i64) -> u64 {
        l.fold(threshold, level_m, peak, gap, &mut 0, || false, || false)
    }

    #[test]
    fn the_level_moves_a_quarter_and_cannot_jump() {
        let l = learn(2_000);
        // From nothing, a peak of 8 over a floor of 5: clipped to the floor.
        assert_eq!(fold(&l, 5, 0, 8, 0), 1_250);
        // Clipped to twice the level once that is above the floor.
        assert_eq!(fold(&l, 5, 4_000, 100, 0), 5_000);
        // Down a quarter of the way, truncated towards the old level.
        assert_eq!(fold(&l, 5, 8_000, 2, 0), 6_500);
        assert_eq!(fold(&l, 5, 3, 0, 0), 3);
        // Empty intervals: a quarter off each.
        assert_eq!(fold(&l, 5, 8_000, 8, 2), 4_500);
        assert_eq!(fold(&l, 5, 8_000, 8, 10_000), 0, "long silence forgets");
        // Weight a half.
        let half = Learn { shift: 1, ..l };
        assert_eq!(fold(&half, 5, 0, 8, 0), 2_500);
    }

    #[test]
    fn the_intervals_over_the_threshold_in_a_row_are_counted() {
        let l = learn(2_000);
        let mut runs = 0;
        // Level 4: threshold 8. Over, over, under, over.
        for (peak, want) in [(8, 1), (9, 2), (7, 0), (12, 1)] {
            l.fold(5, 4_000, peak, 0, &mut runs, || false, || false);
            assert_eq!(Learn::over(runs), want, "peak {peak}");
        }
        // Empty intervals after an interval over it end the run.
        l.fold(5, 4_000, 12, 1, &mut runs, || false, || false);
        assert_eq!(Learn::over(runs), 0);
        // The run is counted up to 63.
        let mut runs = 0;
        for _ in 0..100 {
            l.fold(5, 4_000, 50, 0, &mut runs, || false, || false);
        }
        assert_eq!(Learn::over(runs), LEARN_OVER_MAX);
        assert_eq!(Learn::calm(runs), 0);
    }

    #[test]
    fn the_intervals_under_the_threshold_are_counted_up_to_three_and_stay() {
        let l = learn(2_000);
        let mut runs = 0;
        // Level 4: threshold 8. Under, over, under, under, under.
        for (peak, calm) in [(7, 1), (8, 1), (3, 2), (6, 3), (2, 3)] {
            l.fold(5, 4_000, peak, 0, &mut runs, || false, || false);
            assert_eq!(Learn::calm(runs), calm, "peak {peak}");
        }
        // Neither a run over the threshold nor empty intervals take them away.
        for _ in 0..5 {
            l.fold(5, 4_000, 40, 0, &mut runs, || false, || false);
        }
        l.fold(5, 4_000, 40, 3, &mut runs, || false, || false);
        assert_eq!((Learn::over(runs), Learn::calm(runs)), (0, 3));
        // An interval with nothing observed is not calm: it is no interval.
        let mut runs = 0;
        l.fold(5, 4_000, 0, 0, &mut runs, || false, || false);
        assert_eq!(runs, 0);
    }

    #[test]
    fn a_key_is_busy_by_its_level_or_by_a_known_nature_over_the_floor() {
        let l = Learn {
            floor_milli: 300,
            ..learn(1_500)
        };
        // Threshold 20, floor 6.
        let known = 3 << 6;
        assert!(l.busy(20, 20_000, 0), "a level at the threshold");
        assert!(
            !l.busy(20, 19_999, 2 << 6),
            "two calm intervals are not enough"
        );
        assert!(l.busy(20, 6_000, known));
        assert!(l.busy(20, 6_000, known | 5), "over its bar since");
        assert!(!l.busy(20, 5_999, known), "under the floor");
        assert!(!l.busy(20, 0, known));
    }

    #[test]
    fn holding_known_keys_only_lets_a_new_busy_key_learn() {
        let hold = Learn {
            hold_after: 1,
            hold_known: true,
            ..learn(2_000)
        };
        // A new key over its threshold from its first interval learns as
        // without holding.
        let (mut level, mut runs) = (0, 0);
        for _ in 0..30 {
            level = hold.fold(5, level, 40, 0, &mut runs, || false, || false);
        }
        assert!(hold.threshold(5, level) > 40, "learned: {level}");
        // A key that spent three intervals under its bar first is held
        // after one interval over it.
        let (mut level, mut runs) = (0, 0);
        for _ in 0..20 {
            level = hold.fold(5, level, 4, 0, &mut runs, || false, || false);
        }
        assert_eq!(Learn::calm(runs), 3);
        let known = level;
        level = hold.fold(5, level, 40, 0, &mut runs, || false, || false);
        let first = level;
        assert!(first > known, "the first interval over is learned");
        for _ in 0..30 {
            level = hold.fold(5, level, 40, 0, &mut runs, || false, || false);
        }
        assert_eq!(level, first, "the rest of the run is not");
        // One interval under the bar ends the hold.
        level = hold.fold(5, level, 4, 0, &mut runs, || false, || false);
        assert_ne!(level, first);
        // So does a run of 63 intervals: then the level learns it.
        let (mut level, mut runs) = (4_000, 3 << 6);
        let mut levels = vec![];
        for _ in 0..70 {
            level = hold.fold(5, level, 40, 0, &mut runs, || false, || false);
            levels.push(level);
        }
        assert_eq!(levels[1], levels[61], "held from the 2nd to the 62nd");
        assert!(levels[62] > levels[61], "learned from the 63rd");
        assert!(hold.threshold(5, level) > 40, "learned: {level}");
    }

    #[test]
    fn a_holding_level_learns_nothing_from_a_long_run_over_its_threshold() {
        let hold = Learn {
            hold_after: 1,
            ..learn(2_000)
        };
        let plain = learn(2_000);
        // The first interval over the threshold is learned as without holding.
        let mut over = 0;
        assert_eq!(
            hold.fold(5, 0, 8, 0, &mut over, || false, || false),
            fold(&plain, 5, 0, 8, 0)
        );
        assert_eq!(over, 1);
        // The next one over the key's threshold (5 at level 1.25) teaches nothing.
        assert_eq!(
            hold.fold(5, 1_250, 8, 0, &mut over, || false, || false),
            1_250
        );
        assert_eq!(over, 2);
        // Under it: learned, and the run ends.
        assert_eq!(
            hold.fold(5, 1_250, 4, 0, &mut over, || false, || false),
            1_937
        );
        assert_eq!(Learn::over(over), 0);
        // The key's own threshold counts: level 4 gives 8; a run of 7s is learned.
        let mut over = 1;
        assert_eq!(
            hold.fold(5, 4_000, 7, 0, &mut over, || false, || false),
            4_750
        );
        // Empty intervals after a held one still pull the level down.
        let mut over = 1;
        assert_eq!(
            hold.fold(5, 8_000, 100, 2, &mut over, || false, || false),
            4_500
        );
        // A steady attack over the floor does not become the key's normal
        // for 62 intervals ...
        let (mut level, mut over) = (0, 0);
        for _ in 0..62 {
            level = hold.fold(5, level, 7, 0, &mut over, || false, || false);
        }
        assert_eq!(level, 1_250, "only its first interval is learned");
        assert_eq!(hold.threshold(5, level), 5);
        // ... as it is without holding.
        let (mut level, mut over) = (0, 0);
        for _ in 0..100 {
            level = plain.fold(5, level, 7, 0, &mut over, || false, || false);
        }
        assert!(plain.threshold(5, level) > 7, "learned: {level}");
        // Holding after three: three intervals of the run are learned.
        let three = Learn {
            hold_after: 3,
            ..learn(2_000)
        };
        let (mut level, mut over) = (0, 0);
        let mut levels = vec![];
        for _ in 0..6 {
            level = three.fold(5, level, 7, 0, &mut over, || false, || false);
            levels.push(level);
        }
        assert_eq!(levels, [1_250, 2_187, 2_890, 2_890, 2_890, 2_890]);
        // Holding only uncalled keys: a called key learns the run, an
        // uncalled one is held as before, and `called` is asked only when
        // it decides a hold.
        let uncalled = Learn {
            hold_uncalled: true,
            ..three
        };
        // (A called key asked once learns enough that 7 is under its bar.)
        for (called, want) in [(true, (5_094, 1)), (false, (2_890, 3))] {
            let (mut level, mut over, mut asked) = (0, 0, 0);
            for _ in 0..6 {
                level = uncalled.fold(
                    5,
                    level,
                    7,
                    0,
                    &mut over,
                    || {
                        asked += 1;
                        called
                    },
                    || false,
                );
            }
            assert_eq!((level, asked), want, "called {called}");
        }
        // A busy person: one busy interval in three is learned every time.
        let (mut level, mut over) = (0, 0);
        for i in 0..60 {
            level = hold.fold(
                5,
                level,
                if i % 3 == 0 { 9 } else { 4 },
                0,
                &mut over,
                || false,
                || false,
            );
        }
        assert!(level > 4_000, "{level}");
    }

    #[test]
    fn paced_calls_are_near_even_gaps() {
        // A dialler: 60 s apart, ±20%, in any order.
        let even = [
            0, 55_000, 118_000, 170_000, 236_000, 290_000, 345_000, 410_000, 468_000,
        ];
        assert!(paced(&even));
        let mut rev = even;
        rev.reverse();
        assert!(paced(&rev));
        // One pause in eight gaps does not hide it; three do.
        let pause = [
            0, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000, 720_000,
        ];
        assert!(paced(&pause));
        let pauses = [
            0, 60_000, 120_000, 180_000, 240_000, 300_000, 600_000, 900_000, 1_200_000,
        ];
        assert!(!paced(&pauses));
        // A person: gaps from 5 s to 4 min.
        let person = [
            0, 5_000, 65_000, 305_000, 320_000, 400_000, 600_000, 610_000, 760_000,
        ];
        assert!(!paced(&person));
        // Too few members to judge: never paced.
        assert!(!paced(&even[..PACED_MEMBERS_MIN - 1]));
        assert!(paced(&even[..PACED_MEMBERS_MIN]));
        // Only the first PACED_MEMBERS_MAX count (the newest, as stores pass them).
        let mut many: Vec<i64> = (0..PACED_MEMBERS_MAX as i64).map(|i| i * 60_000).collect();
        many.extend([5_000_000, 9_000_000, 9_001_000, 20_000_000, 20_000_001]);
        assert!(paced(&many));
        // Same-millisecond members: a median gap of 0 is paced only by zeros.
        assert!(paced(&[7; 9]));
        assert!(!paced(&[0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7]));
    }

    #[test]
    fn a_paced_interval_is_not_learned() {
        let l = Learn {
            hold_paced: true,
            ..learn(2_000)
        };
        let (mut level, mut runs, mut asked) = (0, 0, 0);
        for _ in 0..6 {
            level = l.fold(
                5,
                level,
                7,
                0,
                &mut runs,
                || false,
                || {
                    asked += 1;
                    true
                },
            );
        }
        assert_eq!(
            (level, asked),
            (0, 6),
            "held from its first interval, over or under"
        );
        // Under the bar too, and asked only for observed intervals.
        let (level, asked) = (4_000, std::cell::Cell::new(0));
        let ask = || {
            asked.set(asked.get() + 1);
            true
        };
        assert_eq!(l.fold(5, level, 3, 0, &mut 0, || false, ask), 4_000);
        assert_eq!(
            l.fold(5, level, 0, 2, &mut 0, || false, ask),
            1_688,
            "empty ones decay"
        );
        assert_eq!(asked.get(), 1);
        // Not paced: learned as without the option.
        assert_eq!(
            l.fold(5, 0, 8, 0, &mut 0, || false, || false),
            fold(&learn(2_000), 5, 0, 8, 0)
        );
        // A run of LEARN_OVER_MAX intervals over the bar is learned again.
        let mut runs = LEARN_OVER_MAX - 1;
        assert_eq!(l.fold(5, 1_000, 40, 0, &mut runs, || false, || true), 2_000);
    }

    #[test]
    fn a_run_of_repeats_grows_within_its_span_and_starts_again_after_it() {
        let rep = Repeats {
            share_milli: 100,
            factor: 3,
            span_s: std::num::NonZeroU16::new(600).unwrap(),
            ingress: 0,
        };
        let r = rep.record((0, 0), 1_000_500);
        assert_eq!(r, (1_000, 1), "a first repeat starts a run at its second");
        let r = rep.record(r, 1_600_999);
        assert_eq!(r, (1_600, 2), "600 s after the last: still the run");
        assert_eq!(
            rep.record(r, 1_500_000),
            (1_600, 3),
            "a late one counts, the last stays"
        );
        assert_eq!(
            rep.record(r, 2_201_000),
            (2_201, 1),
            "601 s after the last: a new run"
        );
        assert_eq!(rep.record((5, u16::MAX), 5_000), (5, u16::MAX), "saturates");
        // A longer span keeps the run going: 601 s, 1,800 s after the last.
        let long = Repeats {
            span_s: std::num::NonZeroU16::new(1_800).unwrap(),
            ..rep
        };
        assert_eq!(long.record(r, 2_201_000), (2_201, 3));
        assert_eq!(long.record((1_600, 2), 3_400_999), (3_400, 3));
        assert_eq!(long.record((1_600, 2), 3_401_000), (3_401, 1));
    }

    #[test]
    fn a_live_run_long_enough_raises_the_threshold() {
        let r = Repeats {
            share_milli: 100,
            factor: 3,
            span_s: std::num::NonZeroU16::new(600).unwrap(),
            ingress: 0,
        };
        let run = (1_000, 1);
        assert_eq!(
            r.lenient(run, 1_000_000, 10, 10),
            30,
            "one repeat per ten callees"
        );
        assert_eq!(
            r.lenient(run, 1_000_000, 11, 10),
            10,
            "fewer than one per ten"
        );
        assert_eq!(
            r.lenient(run, 1_600_999, 10, 10),
            30,
            "live up to its span after the last"
        );
        assert_eq!(r.lenient(run, 1_601_000, 10, 10), 10, "stale after it");
        let long = Repeats {
            span_s: std::num::NonZeroU16::new(1_800).unwrap(),
            ..r
        };
        assert_eq!(long.lenient(run, 2_800_999, 10, 10), 30, "a longer span");
        assert_eq!(long.lenient(run, 2_801_000, 10, 10), 10);
        assert_eq!(r.lenient((0, 0), 1_000_000, 1, 1), 1, "no run");
        assert_eq!(
            r.lenient(run, 1_000_000, 1, u32::MAX),
            u32::MAX,
            "saturates"
        );
    }

    #[test]
    fn a_move_is_an_ingress_neither_of_the_last_two() {
        let a = Repeats::ingress_of("trunk:MSC-1");
        let b = Repeats::ingress_of("trunk:MSC-2");
        let c = Repeats::ingress_of("trunk:MSC-3");
        assert!(a != b && b != c && a != c);
        assert!((1..=255).contains(&a));
        assert_eq!(a, Repeats::ingress_of("trunk:MSC-1"), "stable");
        // FNV-1a 32 of "" is 0x811c9dc5: its four bytes folded (0x81 ^ 0x1c ^ 0x9d
        // ^ 0xc5), 0xc5.
        assert_eq!(Repeats::ingress_of(""), 0xc5);
        let at = |ingress| Repeats {
            share_milli: 100,
            factor: 3,
            span_s: std::num::NonZeroU16::new(600).unwrap(),
            ingress,
        };
        assert_eq!(at(b).moved(0), (false, b), "a fresh state records");
        assert_eq!(at(b).moved(b), (false, b), "the same ingress");
        assert_eq!(at(b).moved(a), (true, b | a << 8), "another one: a move");
        let ab = b | a << 8;
        assert_eq!(at(b).moved(ab), (false, ab), "still the last");
        assert_eq!(
            at(a).moved(ab),
            (false, a | b << 8),
            "back to the one before: load shared, no move"
        );
        assert_eq!(at(c).moved(ab), (true, c | b << 8), "a third: a move");
        assert_eq!(at(0).moved(ab), (false, ab), "not known: nothing changes");
    }

    #[test]
    fn floor_threshold_and_lifetime() {
        let l = learn(2_000);
        assert_eq!(l.floor(5), 5);
        assert_eq!(
            Learn {
                floor_milli: 500,
                ..l
            }
            .floor(5),
            3
        );
        assert_eq!(
            l.threshold(5, 2_400),
            5,
            "2 × 2.4 rounds up to 5: the floor"
        );
        assert_eq!(l.threshold(5, 2_600), 6);
        assert!(!l.raises(5, 2_500) && l.raises(5, 2_501));
        // Interval 7 ends at 80 s; then one window/interval more, or keep_ms.
        assert_eq!(l.gone_at(5, 0, 0, 7, 5_000), 90_000);
        assert_eq!(l.gone_at(5, 9_000, 0, 7, 5_000), 80_000 + 3_600_000);
        // A known key with a level is kept as long, when it keeps known ones.
        let known = 3 << 6;
        assert_eq!(l.gone_at(5, 2_000, known, 7, 5_000), 90_000);
        let kk = Learn {
            keep_known: true,
            ..l
        };
        assert_eq!(kk.gone_at(5, 2_000, known, 7, 5_000), 80_000 + 3_600_000);
        assert_eq!(kk.gone_at(5, 2_000, 2 << 6, 7, 5_000), 90_000);
        assert_eq!(kk.gone_at(5, 0, known, 7, 5_000), 90_000);
    }
}
