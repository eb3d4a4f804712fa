// SPDX-License-Identifier: MIT OR Apache-2.0
//! The key index of one shard: a key hash → the slot that holds its windows.
//!
//! An open-addressing table of 8-byte entries with linear probing: the top 32
//! bits of the key's hash (its tag, which also picks the home position) and
//! the slot number. Eight entries share a cache line, so looking up a key that
//! is not in cache costs one miss (a general-purpose table keeps control bytes
//! and entries apart: two). Entries are self-contained, so growing and removal
//! never look at the slots. Removal shifts the following entries back instead
//! of leaving tombstones: probe runs stay short however many keys come and go.
//! A tag match is only a candidate; the caller confirms it against the full
//! hash kept in the slot. Shards are chosen by the hash's low bits, so the
//! tag's bits are independent of the shard.
//!
//! The table's address and mask are also published in an [`IndexHint`] kept
//! beside the shard's lock, so a key can be prefetched without taking it: the
//! hint only asks the CPU to start loading a line, never reads through it.

use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use crate::store::prefetch::prefetch_line;

/// An empty entry. Real entries never equal it: slot numbers are stored + 1.
const EMPTY: u64 = 0;
/// Grow when more than this many eighths of the entries are used.
const MAX_LOAD_EIGHTHS: usize = 5;
const MIN_CAPACITY: usize = 64;

fn tag(h: u64) -> u64 {
    h >> 32
}

fn entry(h: u64, slot: u32) -> u64 {
    (tag(h) << 32) | (slot as u64 + 1)
}

fn slot_of(e: u64) -> u32 {
    (e as u32).wrapping_sub(1)
}

pub(super) struct KeyIndex {
    table: Box<[u64]>,
    len: usize,
}

impl KeyIndex {
    #[cfg(test)]
    pub fn new() -> KeyIndex {
        KeyIndex::with_capacity(0)
    }

    /// An index that holds `keys` keys without growing.
    pub fn with_capacity(keys: usize) -> KeyIndex {
        KeyIndex {
            // Zeroed by the allocator: pages become resident as they are used.
            table: vec![EMPTY; Self::entries_for(keys)].into_boxed_slice(),
            len: 0,
        }
    }

    fn entries_for(keys: usize) -> usize {
        let entries = (keys * 8).div_ceil(MAX_LOAD_EIGHTHS) + 1;
        entries.next_power_of_two().max(MIN_CAPACITY)
    }

    /// Bytes of this index's table.
    pub fn bytes(&self) -> usize {
        self.table.len() * std::mem::size_of::<u64>()
    }

    /// Bytes of the table [`KeyIndex::with_capacity`] makes for `keys` keys.
    pub fn with_capacity_bytes(keys: usize) -> usize {
        Self::entries_for(keys) * std::mem::size_of::<u64>()
    }

    /// Starts loading the line where the probe for `h` starts (a key about to
    /// be looked up or removed under the lock already held).
    pub fn prefetch_entry(&self, h: u64) {
        prefetch_line(&self.table[self.home(tag(h))] as *const u64 as *const u8);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    fn mask(&self) -> usize {
        self.table.len() - 1
    }

    /// Where the probe for a tag starts.
    fn home(&self, tag: u64) -> usize {
        tag as usize & self.mask()
    }

    /// The slot of `h`: the first candidate (same tag, in probe order) for
    /// which `holds(slot)` confirms the full hash.
    pub fn find(&self, h: u64, mut holds: impl FnMut(u32) -> bool) -> Option<u32> {
        let mask = self.mask();
        let mut i = self.home(tag(h));
        loop {
            let e = self.table[i];
            if e == EMPTY {
                return None;
            }
            if e >> 32 == tag(h) && holds(slot_of(e)) {
                return Some(slot_of(e));
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `h → slot`; the caller knows `h` is not present. True when the
    /// table moved (its hint must be published again).
    pub fn insert(&mut self, h: u64, slot: u32) -> bool {
        let grow = (self.len + 1) * 8 > self.table.len() * MAX_LOAD_EIGHTHS;
        if grow {
            self.resize(self.table.len() * 2);
        }
        self.place(entry(h, slot));
        self.len += 1;
        grow
    }

    fn place(&mut self, e: u64) {
        let mask = self.mask();
        let mut i = self.home(e >> 32);
        while self.table[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.table[i] = e;
    }

    fn resize(&mut self, capacity: usize) {
        let old = std::mem::replace(&mut self.table, vec![EMPTY; capacity].into_boxed_slice());
        for e in old.iter().copied().filter(|&e| e != EMPTY) {
            self.place(e);
        }
    }

    /// Removes the entry `h → slot`, shifting later entries of its run back
    /// into the hole when it lies on their probe path.
    pub fn remove(&mut self, h: u64, slot: u32) {
        let mask = self.mask();
        let target = entry(h, slot);
        let mut i = self.home(tag(h));
        while self.table[i] != target {
            if self.table[i] == EMPTY {
                debug_assert!(false, "removing a key that is not indexed");
                return;
            }
            i = (i + 1) & mask;
        }
        let mut hole = i;
        let mut j = (i + 1) & mask;
        while self.table[j] != EMPTY {
            let e = self.table[j];
            // How far each sits from its home: an entry may move back into
            // the hole only if the hole is not before its home.
            let from_home = j.wrapping_sub(self.home(e >> 32)) & mask;
            let from_hole = j.wrapping_sub(hole) & mask;
            if from_home >= from_hole {
                self.table[hole] = e;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.table[hole] = EMPTY;
        self.len -= 1;
    }
}

/// Where a shard's index lies, readable without the shard's lock.
pub(super) struct IndexHint {
    base: AtomicPtr<u64>,
    mask: AtomicUsize,
}

impl IndexHint {
    pub fn new(index: &KeyIndex) -> IndexHint {
        let hint = IndexHint {
            base: AtomicPtr::new(std::ptr::null_mut()),
            mask: AtomicUsize::new(0),
        };
        hint.publish(index);
        hint
    }

    /// Records the index's current table (called under the shard's lock
    /// whenever the table moves).
    pub fn publish(&self, index: &KeyIndex) {
        self.mask.store(index.mask(), Ordering::Relaxed);
        self.base
            .store(index.table.as_ptr() as *mut u64, Ordering::Relaxed);
    }

    /// Asks the CPU to start loading the line where the probe for `h` starts.
    /// Harmless while the table is being replaced: the address is computed
    /// with wrapping arithmetic and only prefetched, never read.
    #[inline]
    pub fn prefetch(&self, h: u64) {
        let base = self.base.load(Ordering::Relaxed);
        let i = tag(h) as usize & self.mask.load(Ordering::Relaxed);
        prefetch_line(base.wrapping_add(i) as *const u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The index against a plain map through a long random run of inserts
    /// and removals, with hashes that share tags and home positions.
    #[test]
    fn matches_a_plain_map() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut index = KeyIndex::new();
        // slot → full hash, as the store's slab would hold it.
        let mut slots: HashMap<u32, u64> = HashMap::new();
        let mut by_hash: HashMap<u64, u32> = HashMap::new();
        let mut next_slot = 0u32;
        for step in 0..60_000 {
            let r = next();
            // A pool of 5,000 hashes over 1,024 tags: keys come back, and
            // many share a tag (and so a home) with others.
            let k = r % 5_000;
            let h = ((k % 1_024) << 32) | k;
            match by_hash.get(&h).copied() {
                Some(slot) if r % 3 != 0 => {
                    index.remove(h, slot);
                    slots.remove(&slot);
                    by_hash.remove(&h);
                }
                Some(_) => {}
                None => {
                    index.insert(h, next_slot);
                    slots.insert(next_slot, h);
                    by_hash.insert(h, next_slot);
                    next_slot += 1;
                }
            }
            if step % 10_000 == 0 || step > 59_990 {
                assert_eq!(index.len(), by_hash.len());
                for (&h, &slot) in &by_hash {
                    assert_eq!(index.find(h, |s| slots.get(&s) == Some(&h)), Some(slot));
                }
            }
            let probe = next();
            let found = index.find(probe, |s| slots.get(&s) == Some(&probe));
            assert_eq!(found, by_hash.get(&probe).copied());
        }
    }
}
