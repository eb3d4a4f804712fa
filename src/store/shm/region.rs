// SPDX-License-Identifier: MIT OR Apache-2.0
//! The shared region: one `mmap(MAP_SHARED | MAP_ANONYMOUS)` made before the
//! fork, and its fixed layout.
//!
//! Everything the store keeps lives inside the region at offsets computed
//! once from the config ([`Layout`]); nothing in it is a pointer, nothing in
//! it is allocated or dropped by Rust. Every process forked after the region
//! was made sees the same bytes at the same address (`memmap2`'s anonymous
//! maps are private, copy-on-write after fork: not usable here). Pages are
//! reserved, not committed (`MAP_NORESERVE`): they become resident when first
//! touched, so [`Layout::total`] is the bound, not the footprint of a quiet
//! switch.
//!
//! The order, each part aligned to a page:
//! header (magic, seed, counters, the arena's lock) · shard heads · evidence
//! log heads · key indexes (one per shard) · window records (one array per
//! shard) · the member arena and its order map · evidence rings · called stamps · spells.

use std::sync::atomic::AtomicU64;

use super::arena::ArenaHead;
use super::window::Rec;

/// Shards of windows, each behind its own lock.
pub const SHARDS: usize = 64;
/// Evidence logs, each behind its own lock.
pub const EVIDENCE_LOGS: usize = 16;
/// Bytes of one arena line: the unit member extents are made of (4 members).
pub const LINE: usize = 64;
/// Entries (time, member) per line.
pub const PER_LINE: usize = LINE / 16;
/// Evidence bytes reserved per tracked key (see [`Layout::new`]).
const EVIDENCE_PER_KEY: u64 = 96;
/// Smallest evidence ring.
const MIN_RING: u64 = 64 * 1024;
/// Member lines (of 4 members) reserved per tracked key, on average.
const LINES_PER_KEY: u64 = 2;
const PAGE: usize = 4096;
const MAGIC: u64 = 0x6163_6d5f_7368_6d31; // "acm_shm1"

/// The counters every process updates in place.
#[repr(C)]
#[derive(Default)]
pub struct Counters {
    pub keys: AtomicU64,
    pub untracked: AtomicU64,
    pub reclaimed: AtomicU64,
    pub members_evicted: AtomicU64,
    pub evidence_evicted: AtomicU64,
    pub full_sweeps: AtomicU64,
    pub member_pool_full: AtomicU64,
    pub lock_timeouts: AtomicU64,
    pub checks_on_lost_shards: AtomicU64,
}

/// The first page of the region.
#[repr(C, align(64))]
pub struct Header {
    pub magic: u64,
    /// The hash seed every process uses (random per region).
    pub seed: u64,
    pub total: u64,
    pub counters: Counters,
    /// The member arena's lock and free lists.
    pub arena: ArenaHead,
}

/// Where everything lies, computed from the limits alone: every process that
/// computes it from the same config finds the same offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub records_per_shard: u32,
    /// Entries of one shard's key index (a power of two).
    pub index_cap: u32,
    /// Lines of the member arena (a multiple of the largest extent).
    pub arena_lines: u32,
    /// Order (log2 of lines) of the largest extent.
    pub max_order: u8,
    /// Bytes of one evidence ring (a power of two).
    pub ring_bytes: u64,
    pub shard_heads: usize,
    pub log_heads: usize,
    pub indexes: usize,
    pub records: usize,
    pub arena: usize,
    pub arena_map: usize,
    pub rings: usize,
    /// The called stamps (`store::called`): `called_slots` of 4 bytes.
    pub called: usize,
    pub called_slots: usize,
    /// The spells (`store::spell`): `spell_slots` of 4 bytes, after the stamps.
    pub spells: usize,
    pub spell_slots: usize,
    pub total: usize,
}

fn page_up(n: usize) -> usize {
    n.next_multiple_of(PAGE)
}

impl Layout {
    /// The layout for `max_keys` windows and blocks and windows of at most
    /// `max_members` members:
    /// - per key: a 256-byte record, its index entry (8 bytes at a load of at
    ///   most 5/8), 128 bytes of member lines on average (windows of up to 2
    ///   members keep them in their record) and 96 bytes of evidence;
    /// - the arena holds at least four of the largest windows.
    pub fn new(max_keys: usize, max_members: usize) -> Layout {
        let records_per_shard = max_keys.div_ceil(SHARDS).max(1) as u32;
        let index_cap = ((records_per_shard as usize * 8).div_ceil(5) + 1)
            .next_power_of_two()
            .max(64) as u32;
        let max_order = super::window::order_for_members(max_members);
        let top = 1u64 << max_order;
        let arena_lines = (max_keys as u64 * LINES_PER_KEY)
            .max(4 * top)
            .next_multiple_of(top)
            .min(u32::MAX as u64 / 2 / top * top) as u32;
        let ring_bytes = (max_keys as u64 * EVIDENCE_PER_KEY / EVIDENCE_LOGS as u64)
            .max(MIN_RING)
            .next_power_of_two();

        let shard_heads = page_up(std::mem::size_of::<Header>());
        let log_heads =
            shard_heads + page_up(SHARDS * std::mem::size_of::<super::index::ShardHead>());
        let indexes =
            log_heads + page_up(EVIDENCE_LOGS * std::mem::size_of::<super::evidence::LogHead>());
        let records = indexes + page_up(SHARDS * index_cap as usize * 8);
        let arena =
            records + page_up(SHARDS * records_per_shard as usize * std::mem::size_of::<Rec>());
        let arena_map = arena + arena_lines as usize * LINE;
        let rings = page_up(arena_map + arena_lines as usize);
        let called = page_up(rings + EVIDENCE_LOGS * ring_bytes as usize);
        let called_slots = crate::store::called::slots_for(max_keys);
        let spells = page_up(called + called_slots * 4);
        let spell_slots = crate::store::spell::slots_for(max_keys);
        let total = spells + spell_slots * 4;
        Layout {
            records_per_shard,
            index_cap,
            arena_lines,
            max_order,
            ring_bytes,
            shard_heads,
            log_heads,
            indexes,
            records,
            arena,
            arena_map,
            rings,
            called,
            called_slots,
            spells,
            spell_slots,
            total,
        }
    }
}

/// An anonymous shared mapping, unmapped when dropped.
pub struct Region {
    base: *mut u8,
    len: usize,
}

// SAFETY: the region is plain memory; every access to its contents goes
// through the store's locks or atomics.
unsafe impl Send for Region {}
unsafe impl Sync for Region {}

impl Region {
    /// Maps `len` zeroed bytes shared with every process forked from now on.
    pub fn map(len: usize) -> Result<Region, String> {
        // SAFETY: a fresh anonymous mapping; no existing memory is touched.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(format!(
                "cannot map {len} bytes of shared memory: {}",
                std::io::Error::last_os_error()
            ));
        }
        Ok(Region {
            base: p as *mut u8,
            len,
        })
    }

    pub fn base(&self) -> *mut u8 {
        self.base
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Writes the header's plain fields: magic, seed, size.
    pub fn init_header(&self, seed: u64) {
        let h = self.base as *mut Header;
        // SAFETY: the header lies at the start of a zeroed mapping of at least
        // a page that no other process uses yet (atomics are valid zeroed).
        unsafe {
            (*h).magic = MAGIC;
            (*h).seed = seed;
            (*h).total = self.len as u64;
        }
    }

    pub fn header_ptr(&self) -> *mut Header {
        self.base as *mut Header
    }

    pub fn header(&self) -> &Header {
        // SAFETY: initialised by `init_header`; its plain fields are written
        // only before the region is shared, the rest are atomics and a mutex.
        unsafe { &*(self.base as *const Header) }
    }

    pub fn is_ours(&self) -> bool {
        self.header().magic == MAGIC
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `map` mapped; no reference into the
        // region outlives the store that owns it.
        unsafe {
            libc::munmap(self.base as *mut libc::c_void, self.len);
        }
    }
}

/// A random seed for the key hash, from the kernel.
pub fn random_seed() -> u64 {
    let mut b = [0u8; 8];
    // SAFETY: writes at most 8 bytes into `b`.
    let n = unsafe { libc::getrandom(b.as_mut_ptr() as *mut libc::c_void, 8, 0) };
    if n == 8 {
        u64::from_le_bytes(b)
    } else {
        // Not secret-grade, but unknown outside this host.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        t ^ ((std::process::id() as u64) << 32) ^ 0x9e37_79b9_7f4a_7c15
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_layout_is_stated_and_aligned() {
        let l = Layout::new(1_000_000, 10_000);
        for off in [
            l.shard_heads,
            l.log_heads,
            l.indexes,
            l.records,
            l.arena,
            l.rings,
        ] {
            assert_eq!(off % PAGE, 0);
        }
        assert_eq!(l.arena_lines % (1 << l.max_order), 0);
        assert!(l.index_cap as usize * 5 >= l.records_per_shard as usize * 8);
        // 521 MiB for a million keys (docs/shm-store.md): the bound printed at start.
        let mib = l.total >> 20;
        assert!((400..560).contains(&mib), "{mib} MiB");
        let small = Layout::new(1024, 10_000);
        assert!(small.total < 64 << 20, "{} bytes", small.total);
    }
}
