// SPDX-License-Identifier: MIT OR Apache-2.0
//! The facts of one call, as a switch or a CDR presents them.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// Longest accepted text per field, in bytes. Longer input is refused (HTTP)
/// or answered safely (C ABI) rather than stored.
pub const MAX_CALL_ID_LEN: usize = 256;
pub const MAX_NUMBER_LEN: usize = 128;
pub const MAX_SOURCE_LEN: usize = 64;
pub const MAX_TRUNK_LEN: usize = 64;

/// STIR/SHAKEN attestation level (RFC 8588).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Attestation {
    #[default]
    #[serde(rename = "none")]
    None,
    A,
    B,
    C,
}

impl Attestation {
    pub fn parse(s: &str) -> Option<Attestation> {
        match s.trim() {
            "" | "none" | "NONE" => Some(Attestation::None),
            "A" | "a" => Some(Attestation::A),
            "B" | "b" => Some(Attestation::B),
            "C" | "c" => Some(Attestation::C),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Attestation::None => "",
            Attestation::A => "A",
            Attestation::B => "B",
            Attestation::C => "C",
        }
    }
}

/// One call to check. Only `b_number` is required.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Call {
    pub call_id: CompactString,
    /// The CLI as presented (From user part).
    pub a_number: CompactString,
    pub b_number: CompactString,
    /// Event time in ms since the epoch; None means now.
    pub time_ms: Option<i64>,
    pub source_ip: Option<std::net::IpAddr>,
    pub trunk: Option<CompactString>,
    /// P-Asserted-Identity user part.
    pub pai: Option<CompactString>,
    pub attestation: Attestation,
}

/// A field of a call that was refused, and why. Nothing is recorded for a
/// refused call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InputError {
    pub field: &'static str,
    pub reason: String,
}

impl InputError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        InputError {
            field,
            reason: reason.into(),
        }
    }
}

/// Whether `s` holds a control character (C0, DEL or C1), reading bytes:
/// C1 controls are U+0080..U+009F, encoded 0xC2 0x80..0x9F.
#[inline]
fn has_control(s: &str) -> bool {
    let b = s.as_bytes();
    // Fast path (every INVITE): printable ASCII only.
    if printable_ascii(b) {
        return false;
    }
    b.iter().enumerate().any(|(i, &c)| {
        c < 0x20
            || c == 0x7f
            || (c == 0xc2 && b.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)))
    })
}

/// Whether every byte is printable ASCII (0x20..=0x7e), eight bytes at a
/// time: a word has a byte below 0x20 iff `(x - 0x20..) & !x & 0x80..` is not
/// zero, a 0x7f byte iff the same holds for `x ^ 0x7f..` below 1, and a byte
/// of 0x80 or above shows in its top bit (exact tests, not estimates).
fn printable_ascii(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let bad = |x: u64| {
        let del = x ^ (0x7f * LO);
        x | (x.wrapping_sub(0x20 * LO) & !x) | (del.wrapping_sub(LO) & !del)
    };
    // Shorter than a word: byte by byte.
    let Some(last) = b.last_chunk::<8>() else {
        return b.iter().all(|c| (0x20..0x7f).contains(c));
    };
    let mut acc = 0u64;
    let mut rest = b;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        acc |= bad(u64::from_le_bytes(*word));
        rest = tail;
    }
    // The last 1-7 bytes: the last eight bytes read again (overlapping the
    // word before; no copy into a padded buffer).
    if !rest.is_empty() {
        acc |= bad(u64::from_le_bytes(*last));
    }
    acc & HI == 0
}

/// Whether `s` holds nothing but whitespace. Decided on the first byte for
/// nearly every real value (a digit or a letter), without a Unicode trim.
pub(crate) fn is_blank(s: &str) -> bool {
    match s.as_bytes().first() {
        None => true,
        Some(b) if b.is_ascii() && !b.is_ascii_whitespace() => false,
        _ => s.trim().is_empty(),
    }
}

#[inline]
fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), InputError> {
    if value.len() > max || has_control(value) {
        Err(refused(field, value, max))
    } else {
        Ok(())
    }
}

/// Why `check_len` refused `value` (off the common path).
#[cold]
#[inline(never)]
fn refused(field: &'static str, value: &str, max: usize) -> InputError {
    if value.len() > max {
        InputError::new(field, format!("longer than {max} bytes"))
    } else {
        InputError::new(field, "contains control characters")
    }
}

impl Call {
    /// A call with the three facts every switch has.
    pub fn new(call_id: &str, a_number: &str, b_number: &str) -> Call {
        Call {
            call_id: call_id.into(),
            a_number: a_number.into(),
            b_number: b_number.into(),
            ..Call::default()
        }
    }

    pub fn at(mut self, time_ms: i64) -> Call {
        self.time_ms = Some(time_ms);
        self
    }

    /// Refuses calls the engine must not record: missing B-number, oversized
    /// or control-character fields, times before 1970 or past year 9999.
    pub fn validate(&self) -> Result<(), InputError> {
        if is_blank(&self.b_number) {
            return Err(InputError::new("b_number", "is required"));
        }
        check_len("b_number", &self.b_number, MAX_NUMBER_LEN)?;
        check_len("a_number", &self.a_number, MAX_NUMBER_LEN)?;
        check_len("call_id", &self.call_id, MAX_CALL_ID_LEN)?;
        if let Some(t) = &self.trunk {
            check_len("trunk", t, MAX_TRUNK_LEN)?;
        }
        if let Some(p) = &self.pai {
            check_len("pai", p, MAX_NUMBER_LEN)?;
        }
        if let Some(t) = self.time_ms {
            if !(0..=253_402_300_799_999).contains(&t) {
                return Err(InputError::new("timestamp", "out of range"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn blank_means_only_whitespace() {
        for s in ["", " ", "\t\n", "\u{a0}", " \u{2003} "] {
            assert!(super::is_blank(s), "{s:?}");
        }
        for s in ["0", " 1", "a", "\u{a0}x", "é"] {
            assert!(!super::is_blank(s), "{s:?}");
        }
    }

    #[test]
    fn control_characters_are_found_by_bytes() {
        for s in ["a\u{0}b", "\n", "x\u{7f}", "\u{85}", "\u{9f}z"] {
            assert!(super::has_control(s), "{s:?}");
        }
        for s in [
            "",
            "+2348031234567",
            "caf\u{e9}",
            "\u{a0}",
            "\u{1F4DE}",
            "\u{c2}\u{a9}",
        ] {
            assert!(!super::has_control(s), "{s:?}");
        }
        for c in '\0'..='\u{2FF}' {
            assert_eq!(super::has_control(&c.to_string()), c.is_control(), "{c:?}");
        }
        // Every byte at every place of an 8-byte word and of the tail after
        // it, in strings shorter than a word, of whole words, and between.
        for len in [1, 5, 7, 8, 11, 16, 23] {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut b = vec![b'7'; len];
                    b[at] = byte;
                    let printable = (0x20..0x7f).contains(&byte);
                    assert_eq!(
                        super::printable_ascii(&b),
                        printable,
                        "{byte:#x} at {at} of {len}"
                    );
                }
            }
        }
        assert!(super::printable_ascii(b""));
    }
}
