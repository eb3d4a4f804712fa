// SPDX-License-Identifier: MIT OR Apache-2.0
//! Cache-line hints, shared by the embedded stores: a call's keys are
//! unrelated, so their misses can overlap if each is started before any is
//! read. Hints only: they never fault and change nothing Rust can observe.

/// A hint to load the cache line holding `p`; a no-op where unsupported.
#[inline(always)]
pub(crate) fn prefetch_line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint: it never faults and never reads into
    // anything Rust can observe, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A hint to load every cache line of the `len` bytes at `p` (none if 0).
#[inline]
pub(crate) fn prefetch_lines(p: *const u8, len: usize) {
    let mut line = p as usize & !63;
    let end = p as usize + len;
    while line < end {
        prefetch_line(line as *const u8);
        line += 64;
    }
}
