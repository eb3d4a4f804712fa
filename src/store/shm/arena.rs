// SPDX-License-Identifier: MIT OR Apache-2.0
//! Member extents: a buddy allocator over the region's arena of 64-byte lines.
//!
//! A window of up to 2 members keeps them in its record; a bigger one keeps
//! them in an extent of 2^order lines taken from here (4 members a line).
//! Extents are split from and merged back into blocks of the largest order,
//! so whatever sizes come and go the arena never fragments for good. The
//! free lists are linked through the free blocks themselves (offsets, never
//! pointers); a byte per line says whether a line heads a free block and of
//! which order. One lock guards the lists: extents are taken only when a
//! window grows past a size class and given back when it shrinks or is
//! reclaimed, never per member, so it is seldom taken. It is taken while a
//! shard's lock is held, never the other way round.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::lock::{LockError, ShmMutex};
use super::region::{Layout, LINE};

const NIL: u32 = u32::MAX;
/// Orders 0 (one line) to 31.
pub const ORDERS: usize = 32;

/// The arena's state in the header.
#[repr(C)]
pub struct ArenaHead {
    pub lock: ShmMutex,
    free: [u32; ORDERS],
    pub used_lines: AtomicU64,
}

/// The first bytes of a free block.
#[repr(C)]
#[derive(Clone, Copy)]
struct Link {
    next: u32,
    prev: u32,
}

/// A process's handle on the arena.
pub struct Arena {
    head: *mut ArenaHead,
    lines: *mut u8,
    map: *mut u8,
    n_lines: u32,
    max_order: u8,
}

// SAFETY: the arena is used only under its lock (lists, map) or through
// extents owned by one window, itself under its shard's lock.
unsafe impl Send for Arena {}
unsafe impl Sync for Arena {}

/// The lists and map while the lock is held.
struct Held<'a> {
    a: &'a Arena,
    free: &'a mut [u32; ORDERS],
}

impl Held<'_> {
    fn link(&self, line: u32) -> *mut Link {
        // SAFETY (for callers): `line` heads a free block inside the arena.
        unsafe { self.a.lines.add(line as usize * LINE) as *mut Link }
    }

    fn mark(&self, line: u32, v: u8) {
        // SAFETY: the map has one byte per line; `line` is inside the arena.
        unsafe { *self.a.map.add(line as usize) = v };
    }

    fn marked(&self, line: u32) -> u8 {
        // SAFETY: as in `mark`.
        unsafe { *self.a.map.add(line as usize) }
    }

    fn push(&mut self, order: u8, line: u32) {
        let head = self.free[order as usize];
        // SAFETY: `line` and `head` head free blocks (links live in their first bytes).
        unsafe {
            *self.link(line) = Link {
                next: head,
                prev: NIL,
            };
            if head != NIL {
                (*self.link(head)).prev = line;
            }
        }
        self.free[order as usize] = line;
        self.mark(line, order + 1);
    }

    fn remove(&mut self, order: u8, line: u32) {
        // SAFETY: `line` heads a free block on list `order`; so do its neighbours.
        unsafe {
            let Link { next, prev } = *self.link(line);
            if prev == NIL {
                self.free[order as usize] = next;
            } else {
                (*self.link(prev)).next = next;
            }
            if next != NIL {
                (*self.link(next)).prev = prev;
            }
        }
        self.mark(line, 0);
    }
}

impl Arena {
    /// The arena of a region laid out by `layout`, whose header lies at `head`.
    ///
    /// # Safety
    /// `base` is the start of a mapped region laid out by `layout`; `head` is
    /// inside its header.
    pub unsafe fn new(base: *mut u8, head: *mut ArenaHead, layout: &Layout) -> Arena {
        Arena {
            head,
            lines: base.add(layout.arena),
            map: base.add(layout.arena_map),
            n_lines: layout.arena_lines,
            max_order: layout.max_order,
        }
    }

    /// Puts every largest block on its free list (lowest addresses first out).
    ///
    /// # Safety
    /// Once, before the region is shared; the lock is initialised here.
    pub unsafe fn init(&self) -> Result<(), String> {
        ShmMutex::init(&raw mut (*self.head).lock)?;
        let free = &mut (*self.head).free;
        *free = [NIL; ORDERS];
        let mut held = Held { a: self, free };
        let top = 1u32 << self.max_order;
        for block in (0..self.n_lines / top).rev() {
            held.push(self.max_order, block * top);
        }
        Ok(())
    }

    fn locked<T>(&self, budget: Duration, f: impl FnOnce(&mut Held) -> T) -> Result<T, LockError> {
        // SAFETY: the head is in the mapped header; its lock is initialised.
        let head = unsafe { &*self.head };
        let _g = head.lock.lock(budget)?;
        // SAFETY: the free lists are only touched while the lock is held.
        let free = unsafe { &mut (*self.head).free };
        let mut held = Held { a: self, free };
        Ok(f(&mut held))
    }

    /// An extent of 2^order lines, or None when the arena has none (or its
    /// lock could not be had).
    pub fn alloc(&self, order: u8, budget: Duration) -> Result<Option<u32>, LockError> {
        if order > self.max_order {
            return Ok(None);
        }
        let got = self.locked(budget, |h| {
            let mut o = order;
            while h.free[o as usize] == NIL {
                o += 1;
                if o > self.max_order {
                    return None;
                }
            }
            let line = h.free[o as usize];
            h.remove(o, line);
            while o > order {
                o -= 1;
                h.push(o, line + (1 << o));
            }
            Some(line)
        })?;
        if got.is_some() {
            // SAFETY: the head is in the mapped header.
            unsafe { &*self.head }
                .used_lines
                .fetch_add(1 << order, Ordering::Relaxed);
        }
        Ok(got)
    }

    /// Gives an extent back, merging it with its free buddies.
    pub fn free(&self, line: u32, order: u8, budget: Duration) -> Result<(), LockError> {
        self.locked(budget, |h| {
            let (mut line, mut o) = (line, order);
            while o < self.max_order {
                let buddy = line ^ (1 << o);
                if h.marked(buddy) != o + 1 {
                    break;
                }
                h.remove(o, buddy);
                line = line.min(buddy);
                o += 1;
            }
            h.push(o, line);
        })?;
        // SAFETY: the head is in the mapped header.
        unsafe { &*self.head }
            .used_lines
            .fetch_sub(1 << order, Ordering::Relaxed);
        Ok(())
    }

    /// Where extent `line` starts.
    #[inline]
    pub fn at(&self, line: u32) -> *mut u8 {
        // SAFETY (for callers): `line` is inside the arena.
        unsafe { self.lines.add(line as usize * LINE) }
    }

    pub fn used_lines(&self) -> u64 {
        // SAFETY: the head is in the mapped header.
        unsafe { &*self.head }.used_lines.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    pub fn lines(&self) -> u32 {
        self.n_lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::shm::region::Region;

    /// Random allocations and frees: extents never overlap, and once all are
    /// given back the arena is whole again (every largest block free).
    #[test]
    fn extents_never_overlap_and_merge_back() {
        let layout = Layout::new(4096, 1000);
        let r = Region::map(layout.total).unwrap();
        let head = r.base() as *mut ArenaHead;
        let a = unsafe { Arena::new(r.base(), head, &layout) };
        unsafe { a.init().unwrap() };
        let budget = Duration::from_secs(1);
        let mut owner = vec![u32::MAX; a.lines() as usize];
        let mut held: Vec<(u32, u8)> = Vec::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for step in 0..20_000u32 {
            if held.is_empty() || next() % 3 != 0 {
                let order = (next() % (layout.max_order as u64 + 1)) as u8;
                if let Some(line) = a.alloc(order, budget).unwrap() {
                    assert_eq!(line % (1 << order), 0, "aligned");
                    for l in line..line + (1 << order) {
                        assert_eq!(owner[l as usize], u32::MAX, "line {l} given twice");
                        owner[l as usize] = step;
                    }
                    held.push((line, order));
                }
            } else {
                let (line, order) = held.swap_remove((next() % held.len() as u64) as usize);
                for l in line..line + (1 << order) {
                    owner[l as usize] = u32::MAX;
                }
                a.free(line, order, budget).unwrap();
            }
        }
        for (line, order) in held.drain(..) {
            a.free(line, order, budget).unwrap();
        }
        assert_eq!(a.used_lines(), 0);
        let top = layout.arena_lines >> layout.max_order;
        for _ in 0..top {
            assert!(a.alloc(layout.max_order, budget).unwrap().is_some());
        }
        assert_eq!(a.alloc(0, budget).unwrap(), None, "full");
    }
}
