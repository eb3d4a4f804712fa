// SPDX-License-Identifier: MIT OR Apache-2.0
//! A hash that is the same in every process, build and version, for values two
//! nodes must derive alike (alert ids, Call-ID members, generated Call-IDs),
//! and the cheap text helpers those values are written with.

use compact_str::CompactString;

/// FNV-1a: tiny, and stable across processes, builds and versions.
#[inline]
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// `v` as 16 lower-case hex digits.
#[inline]
pub fn hex16(v: u64) -> CompactString {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 16];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = HEX[((v >> (60 - 4 * i)) & 0xf) as usize];
    }
    CompactString::from(ascii(&buf))
}

/// Bytes this crate wrote as ASCII (digits, `+`, hex, dots) as text, without
/// a general UTF-8 validation, which costs more than the rest of a number's
/// normalisation on strings this short. Anything not ASCII reads as "".
#[inline]
pub fn ascii(b: &[u8]) -> &str {
    if b.is_ascii() {
        // SAFETY: every byte is below 0x80, and ASCII is valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(b) }
    } else {
        ""
    }
}
