// SPDX-License-Identifier: MIT OR Apache-2.0
//! Spells of the embedded and shared-memory stores (`contract::Spell`): for
//! each key a window tracks that way, the minute of its last update and how
//! long ago its spell (its updates since it was last quiet) began.
//!
//! The same shape as the called stamps (`store::called`): a fixed array of
//! 4-byte entries in buckets of four, found by a fingerprint, no
//! allocation after start. An entry is an 11-bit fingerprint, the last
//! update's minute modulo 16,384 (14 bits: 11 days), the spell's age in
//! minutes at that update (5 bits, saturating at 31), whether the spell's
//! alert was withdrawn (1 bit) and whether the spell raised it (1 bit). An
//! update is one compare-and-swap of its entry (a lost race is retried), so
//! two workers never both raise a spell's alert.
//!
//! Errors, bounded; two of them can flag. A key never seen reads another's
//! entry when their fingerprints match (at most 4 in 2,047: its spell then
//! is that key's); a gap of over 11 days reads as its remainder modulo
//! 16,384 minutes, which one time in 11 is under an hour or looks late (no
//! spell begins: a quiet key missed); an event more than a day late begins a
//! spell (flags); and a key is forgotten when four other keys of its bucket
//! were updated after it (flags: a busy key then reads as quiet). A busy key is forgotten only in a bucket holding five or more
//! keys updated within its gaps: with λ such keys a bucket, a share
//! P(Poisson(λ) ≥ 4) of keys. At the default 128 Ki buckets
//! (`store.max_keys` 1 M: [`slots_for`]), with N other numbers called
//! through the routes the slow tier counts within a busy number's gap
//! between calls: N = 10,000 (λ 0.08) 0.0001%, 50,000 (λ 0.38) 0.06%,
//! 200,000 (λ 1.5) 7%; raise `store.max_keys` with the traffic
//! (docs/memory.md).

use std::sync::atomic::{AtomicU32, Ordering};

use crate::contract::{AlertState, Spell, WindowOp};

use super::called::WAYS;

/// Minutes modulo which entries keep their last update.
const MINUTES: u32 = 1 << 14;
/// A gap at least this long reads as an update before the last (a late
/// event): a day back.
const LATE: u32 = MINUTES - 1440;
/// The most an entry's age counts; windows judged by spells are at most
/// 30 minutes (config validation).
const AGE_MAX: u32 = 31;
/// An entry's fingerprint is its bits from here up (11 bits).
const FP_SHIFT: u32 = 21;
/// The spell raised its alert.
const RAISED: u32 = 1;
/// The spell's alert was withdrawn.
const SILENCED: u32 = 2;

/// The number of entries for `max_keys` tracked keys: a quarter of the
/// called stamps' (`store::called::slots_for`), half `max_keys` rounded up
/// to a power of two (2 MiB at the default million keys). Numbers called
/// through the routes the slow tier counts touch every page of it within
/// minutes: with as many entries as the called stamps the embedded store
/// went over issue 20's 250 MB at a million live keys
/// (`tests/memory_realistic.rs`: 248 MiB against 233).
pub fn slots_for(max_keys: usize) -> usize {
    (super::called::slots_for(max_keys) / 4).max(WAYS)
}

/// Spells over entries kept elsewhere (a boxed slice, or the shared region).
pub struct Spells<'a> {
    slots: &'a [AtomicU32],
}

impl<'a> Spells<'a> {
    /// `slots.len()` must be a power of two, at least 4.
    pub fn new(slots: &'a [AtomicU32]) -> Spells<'a> {
        debug_assert!(slots.len().is_power_of_two() && slots.len() >= WAYS);
        Spells { slots }
    }

    /// The bucket and fingerprint (11 bits, never 0: 0 is an empty entry)
    /// of a key whose hash the store already took (`h`, the store's own
    /// seeded hash of the key: the same in every process sharing a table),
    /// mixed so that they owe nothing to the bits the store's index uses.
    #[inline]
    fn at(&self, h: u64) -> (&[AtomicU32], u32) {
        let x = (h ^ h >> 29).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let buckets = self.slots.len() / WAYS;
        let b = (x >> 32) as usize & (buckets - 1);
        let fp = ((x >> 21) as u32 & 0x7ff).max(1);
        (&self.slots[b * WAYS..b * WAYS + WAYS], fp)
    }

    /// Records `op` (its key, hashed `h` by the store, and its time) in its
    /// key's spell and judges it: the alert `op` answers, given the window's
    /// `count` after it. Out of line: the store's update stays lean.
    #[inline(never)]
    pub fn update(&self, h: u64, op: &WindowOp, spell: &Spell, count: u32) -> AlertState {
        let (b, fp) = self.at(h);
        let now_full = Spell::minute(op.time_ms);
        // Modulo a power of two: the low bits (two's complement).
        let now = now_full as u32 & (MINUTES - 1);
        let quiet = spell.quiet_min.get() as u32;
        // A lost race reads the bucket again; after a few, the answer of the
        // last reading stands unwritten (never a second raise: the bit is
        // only set by a swap that succeeded).
        for _ in 0..4 {
            // The key's entry, else the one a new key takes: an empty one,
            // else the one updated longest ago. One pass.
            let (mut slot, mut seen, mut oldest) = (0, 0, 0);
            let mut own = false;
            for (i, e) in b.iter().enumerate() {
                let v = e.load(Ordering::Relaxed);
                if v >> FP_SHIFT == fp {
                    (slot, seen, own) = (i, v, true);
                    break;
                }
                let gap = if v == 0 {
                    u32::MAX
                } else {
                    now.wrapping_sub(last(v)) & (MINUTES - 1)
                };
                if gap >= oldest {
                    (slot, seen, oldest) = (i, v, gap);
                }
            }
            let (age, flags) = if !own {
                (0, 0)
            } else {
                let gap = now.wrapping_sub(last(seen)) & (MINUTES - 1);
                if gap >= LATE {
                    return AlertState::None;
                } else if gap >= quiet {
                    (0, 0)
                } else {
                    (
                        (age_of(seen) + gap).min(AGE_MAX),
                        seen & (RAISED | SILENCED),
                    )
                }
            };
            let start = now_full - age as i64;
            let judged = count >= spell.at as u32 && Spell::covers(start, op);
            let entry = fp << FP_SHIFT | now << 7 | age << 2 | flags | (judged as u32 * RAISED);
            if entry == seen
                || b[slot]
                    .compare_exchange(seen, entry, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                return if !judged || flags & SILENCED != 0 {
                    AlertState::None
                } else if flags & RAISED != 0 {
                    AlertState::Active(spell.alert_id(start, op))
                } else {
                    AlertState::Raised(spell.alert_id(start, op))
                };
            }
        }
        AlertState::None
    }

    /// Withdraws the alert `id` the spell of `op`'s key raised on `op`
    /// (`contract::Withdrawal`): the spell answers no alert after, until a
    /// new spell begins. Nothing when the key's spell is another.
    pub fn withdraw(&self, h: u64, op: &WindowOp, spell: &Spell, id: &str) {
        let (b, fp) = self.at(h);
        let now_full = Spell::minute(op.time_ms);
        let now = now_full as u32 & (MINUTES - 1);
        for _ in 0..4 {
            let Some(e) = b
                .iter()
                .find(|e| e.load(Ordering::Relaxed) >> FP_SHIFT == fp)
            else {
                return;
            };
            let v = e.load(Ordering::Relaxed);
            let gap = now.wrapping_sub(last(v)) & (MINUTES - 1);
            if v >> FP_SHIFT != fp || gap >= LATE {
                return;
            }
            let start = now_full - (gap + age_of(v)) as i64;
            if spell.alert_id(start, op) != id
                || e.compare_exchange(v, v | SILENCED, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
        }
    }
}

/// An entry's last minute (modulo [`MINUTES`]).
#[inline]
fn last(v: u32) -> u32 {
    (v >> 7) & (MINUTES - 1)
}

/// An entry's spell age at its last update.
#[inline]
fn age_of(v: u32) -> u32 {
    (v >> 2) & AGE_MAX
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Reason;
    use crate::store::called::OwnedStamps;

    const MIN: i64 = 60_000;

    /// A key's hash, as a store takes it.
    fn h(op: &WindowOp) -> u64 {
        use std::hash::BuildHasher;
        foldhash::fast::FixedState::with_seed(5).hash_one(op.key.as_str())
    }

    /// Updates `key`'s spell at `t` with the window's count.
    fn up(s: &Spells, key: &str, t: i64, count: u32) -> AlertState {
        let o = op(key, t);
        s.update(h(&o), &o, &SPELL, count)
    }

    /// Withdraws `id` from `key`'s spell after an update at `t`.
    fn wd(s: &Spells, key: &str, t: i64, id: &str) {
        let o = op(key, t);
        s.withdraw(h(&o), &o, &SPELL, id)
    }

    fn op(key: &str, time_ms: i64) -> WindowOp {
        WindowOp {
            rule: Reason::DistinctCallersSlow,
            key: key.into(),
            member: "+2348030000001".into(),
            time_ms,
            window_ms: 120_000,
            threshold: 64,
            cooldown_ms: 0,
            member_cap: 64,
            learn: None,
            count_only: true,
            called: None,
            repeats: None,
            span: true,
            recent_ms: 0,
            spell: None,
        }
    }

    const SPELL: Spell = Spell {
        reason: Reason::QuietFanin,
        at: 3,
        quiet_min: match std::num::NonZeroU16::new(60) {
            Some(q) => q,
            None => unreachable!(),
        },
    };

    #[test]
    fn a_quiet_key_raises_once_a_spell_and_a_busy_one_never() {
        let t = OwnedStamps::new(1024, 3);
        let s = t.spells();
        let t0 = 1_700_000_040_000i64;
        let k = "*|+2348031234567";
        assert_eq!(up(&s, k, t0, 1), AlertState::None);
        assert_eq!(up(&s, k, t0 + 20_000, 2), AlertState::None);
        let id = SPELL.alert_id(Spell::minute(t0), &op(k, t0));
        assert_eq!(up(&s, k, t0 + 50_000, 3), AlertState::Raised(id.clone()));
        assert_eq!(up(&s, k, t0 + 70_000, 4), AlertState::Active(id));
        // Three minutes on, the spell began before the window: not judged.
        assert_eq!(up(&s, k, t0 + 3 * MIN, 3), AlertState::None);
        // Called every half hour since: never quiet again.
        for i in 1..6 {
            assert_eq!(up(&s, k, t0 + i * 30 * MIN, 5), AlertState::None);
        }
        // A late event changes nothing.
        assert_eq!(up(&s, k, t0 + 100 * MIN, 9), AlertState::None);
        assert_eq!(up(&s, k, t0 + 150 * MIN, 1), AlertState::None);
        // An hour of quiet: a new spell, a new alert.
        let t1 = t0 + 5 * 30 * MIN + 60 * MIN;
        assert_eq!(up(&s, k, t1, 1), AlertState::None);
        let id1 = SPELL.alert_id(Spell::minute(t1), &op(k, t1));
        assert_eq!(up(&s, k, t1 + 1_000, 3), AlertState::Raised(id1));
        // Another key is its own; its alert withdrawn, its spell answers none.
        let other = "*|+2348037654321";
        let AlertState::Raised(id2) = up(&s, other, t1, 3) else {
            panic!("a quiet key at its count raises")
        };
        wd(&s, other, t1, "qf-0-0");
        assert!(matches!(up(&s, other, t1 + 1, 4), AlertState::Active(_)));
        wd(&s, other, t1 + 1, &id2);
        assert_eq!(up(&s, other, t1 + 2, 5), AlertState::None);
        // Until a new spell.
        let t2 = t1 + 61 * MIN;
        assert!(matches!(up(&s, other, t2, 3), AlertState::Raised(_)));
    }

    #[test]
    fn few_busy_keys_are_forgotten() {
        // 256 buckets of 4; 200 keys called every 20 minutes for three
        // hours (0.78 a bucket in each gap): a busy key reads as quiet only
        // where its bucket holds five or more of them (the oldest goes on
        // every update: 200 x P(Poisson(0.78) >= 4) = 1.6 a round).
        let t = OwnedStamps::new(512, 9);
        let s = t.spells();
        let t0 = 1_700_000_000_000i64;
        let mut raised = 0;
        for round in 0..9i64 {
            for i in 0..200i64 {
                let at = t0 + round * 20 * MIN + i * 1_000;
                let a = up(&s, &format!("*|+23480{i:08}"), at, 3);
                if round > 0 && a != AlertState::None {
                    raised += 1;
                }
            }
        }
        assert!(raised < 40, "{raised} of 1,600 busy updates read as quiet");
    }
}
