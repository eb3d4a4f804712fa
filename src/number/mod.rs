// SPDX-License-Identifier: MIT OR Apache-2.0
//! Phone-number normalisation to E.164 for one home country.
//!
//! Runs on every call, so it is a few byte loops rather than a full numbering
//! plan library: it strips SIP/tel decoration and visual separators, resolves
//! the international and national prefixes of the home country, and checks the
//! length. For Nigeria `08031234567`, `2348031234567`, `+2348031234567` and
//! `002348031234567` all become `+2348031234567`; so does `8031234567` (a
//! CDR that dropped the trunk prefix) when the home plan is known and has
//! that number. Whether a home number can exist at all (its range is
//! allocated) is [`plan`]'s business.

pub mod areas;
pub mod plan;

use compact_str::CompactString;

/// How numbers are written in the home country.
#[derive(Debug, Clone)]
pub struct NumberingPlan {
    /// Country calling code, digits only ("234").
    pub country_code: CompactString,
    /// Trunk prefix of national numbers ("0"); empty if none.
    pub national_prefix: CompactString,
    /// International call prefixes, tried longest first ("009", "00").
    pub international_prefixes: Vec<CompactString>,
    /// Allowed lengths of a national significant number (after the trunk prefix).
    pub national_number_lengths: Vec<u8>,
    /// The home plan's valid numbers, when known: bare digits of a national
    /// length that it has (`8031234567`) are read as a national number
    /// without its trunk prefix rather than as international without `+`.
    pub home: Option<std::sync::Arc<plan::NsnPlan>>,
}

impl NumberingPlan {
    pub fn nigeria() -> Self {
        NumberingPlan {
            country_code: "234".into(),
            national_prefix: "0".into(),
            international_prefixes: vec!["009".into(), "00".into()],
            national_number_lengths: vec![8, 10],
            home: None,
        }
    }
}

/// Shortest and longest plausible international numbers, country code included
/// (E.164 allows at most 15 digits; the shortest in service have 7).
pub const MIN_E164_DIGITS: usize = 7;
pub const MAX_E164_DIGITS: usize = 15;

/// A number in E.164 form, kept in its `+` form (the form every key uses, so
/// `to_plus` is a copy).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct E164 {
    plus: CompactString,
}

impl E164 {
    /// `+` and then the concatenated `parts` (already checked to be ASCII
    /// digits, at most `MAX_E164_DIGITS` in all), assembled on the stack and
    /// copied once into an inline string.
    fn from_parts(parts: &[&[u8]]) -> E164 {
        let mut buf = [0u8; 1 + DIGITS_MAX];
        buf[0] = b'+';
        let mut n = 1;
        for p in parts {
            let take = p.len().min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&p[..take]);
            n += take;
        }
        E164 {
            plus: ascii(&buf[..n]).into(),
        }
    }
    pub fn digits(&self) -> &str {
        &self.plus[1..]
    }
    /// `+` followed by the digits.
    pub fn to_plus(&self) -> CompactString {
        self.plus.clone()
    }
    #[inline]
    pub fn starts_with(&self, prefix_digits: &str) -> bool {
        strip_short_prefix(self.digits().as_bytes(), prefix_digits.as_bytes()).is_some()
    }
}

/// Most digits gathered: more than 32 cannot be a phone number anyway.
const DIGITS_MAX: usize = 32;

/// Up to `DIGITS_MAX` digits gathered on the stack.
struct Digits {
    buf: [u8; DIGITS_MAX],
    len: usize,
}

impl Digits {
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

pub(crate) use crate::contract::ascii;

/// Why a number could not be read as E.164.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberProblem {
    Empty,
    NotDigits,
    TooShort,
    TooLong,
    BadNationalLength,
}

impl NumberProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberProblem::Empty => "empty",
            NumberProblem::NotDigits => "not digits",
            NumberProblem::TooShort => "too short",
            NumberProblem::TooLong => "too long",
            NumberProblem::BadNationalLength => "wrong length for a national number",
        }
    }
}

/// Strips a `sip:`/`sips:`/`tel:` scheme, a `@host` part and `;params`.
fn strip_uri(raw: &str) -> &str {
    let mut s = raw.trim();
    for scheme in ["sip:", "sips:", "tel:"] {
        if s.get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
        {
            s = &s[scheme.len()..];
            break;
        }
    }
    if let Some(at) = s.find('@') {
        s = &s[..at];
    }
    if let Some(semi) = s.find(';') {
        s = &s[..semi];
    }
    s
}

/// Collects the digits of `s` (and whether it began with `+`), skipping visual
/// separators. Returns None if any other character appears. Digits past
/// `DIGITS_MAX` are dropped (the length checks refuse such a number).
fn digits_of(s: &[u8]) -> Option<(bool, Digits)> {
    let (plus, rest) = match s.first() {
        Some(b'+') => (true, &s[1..]),
        _ => (false, s),
    };
    let mut d = Digits {
        buf: [0u8; DIGITS_MAX],
        len: 0,
    };
    for &b in rest {
        match b {
            b'0'..=b'9' => {
                if d.len < DIGITS_MAX {
                    d.buf[d.len] = b;
                    d.len += 1;
                }
            }
            b' ' | b'-' | b'.' | b'(' | b')' | b'/' => {}
            _ => return None,
        }
    }
    Some((plus, d))
}

/// The digits of a number as written, or None when it holds anything but
/// digits and separators after SIP/tel decoration is stripped. The common
/// case (`+2348031234567`, `08031234567`) is read in one pass without
/// looking for decoration at all.
fn gather(raw: &str) -> Result<(bool, Digits), NumberProblem> {
    if let Some((plus, d)) = digits_of(raw.as_bytes()) {
        if d.len > 0 {
            return Ok((plus, d));
        }
    }
    let s = strip_uri(raw);
    if s.is_empty() {
        return Err(NumberProblem::Empty);
    }
    match digits_of(s.as_bytes()) {
        Some((plus, d)) if d.len > 0 => Ok((plus, d)),
        _ => Err(NumberProblem::NotDigits),
    }
}

/// Whether every byte is an ASCII digit, eight bytes at a time: a byte is a
/// digit iff its high nibble is 3 and its low nibble plus 6 stays below 16
/// (no carry crosses a byte). A tail of 1-7 bytes is the last word read again.
fn all_digits(s: &[u8]) -> bool {
    const HI: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let digits =
        |x: u64| x & HI == 0x3030_3030_3030_3030 && ((x & !HI) + 0x0606_0606_0606_0606) & HI == 0;
    let Some(last) = s.last_chunk::<8>() else {
        return s.iter().all(u8::is_ascii_digit);
    };
    let mut ok = digits(u64::from_le_bytes(*last));
    let mut rest = s;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        ok &= digits(u64::from_le_bytes(*word));
        rest = tail;
    }
    ok
}

/// `s` without `prefix`, compared byte by byte: prefixes here are a country
/// code or a trunk prefix (1-3 bytes), shorter than a `memcmp` call's setup.
#[inline]
fn strip_short_prefix<'s>(s: &'s [u8], prefix: &[u8]) -> Option<&'s [u8]> {
    if s.len() < prefix.len() || s.iter().zip(prefix).any(|(a, b)| a != b) {
        return None;
    }
    Some(&s[prefix.len()..])
}

fn has_len(lengths: &[u8], len: usize) -> bool {
    lengths.iter().any(|&l| l as usize == len)
}

impl NumberingPlan {
    /// Normalises `raw` to E.164 or says why it cannot.
    #[inline]
    pub fn normalise(&self, raw: &str) -> Result<E164, NumberProblem> {
        // The form nearly every switch sends, `+` and digits only, is checked in
        // one pass over its bytes and copied once, as it is.
        if let [b'+', digits @ ..] = raw.as_bytes() {
            if (1..=DIGITS_MAX).contains(&digits.len()) && all_digits(digits) {
                self.check_international(digits)?;
                return Ok(E164 {
                    plus: CompactString::from(raw),
                });
            }
        }
        self.normalise_written(raw)
    }

    /// [`NumberingPlan::normalise`] of every other form (decoration,
    /// separators, national and international prefixes).
    #[inline(never)]
    fn normalise_written(&self, raw: &str) -> Result<E164, NumberProblem> {
        let (plus, digits) = gather(raw)?;
        let digits = digits.bytes();
        let cc = self.country_code.as_bytes();
        let national_prefix = self.national_prefix.as_bytes();
        let international: &[u8] = if plus {
            digits
        } else if let Some(p) = self
            .international_prefixes
            .iter()
            .find(|p| !p.is_empty() && digits.starts_with(p.as_bytes()))
        {
            &digits[p.len()..]
        } else if !national_prefix.is_empty() && digits.starts_with(national_prefix) {
            return self.national(&digits[national_prefix.len()..]);
        } else if digits.starts_with(cc)
            && has_len(&self.national_number_lengths, digits.len() - cc.len())
        {
            digits
        } else if has_len(&self.national_number_lengths, digits.len())
            && (national_prefix.is_empty()
                || national_prefix == cc
                || self.home.as_ref().is_some_and(|p| p.is_valid(digits)))
        {
            // A national number without its trunk prefix: a plan without one
            // writes them so, and some switches' CDRs drop it. Under the
            // NANP (trunk prefix "1", the calling code) ten digits are the
            // national form, valid or not: 298 660 6448 is an invalid US
            // number, not the Faroes' +298 660 6448.
            return self.national(digits);
        } else {
            // Digits alone, no prefix: read as international without the `+`.
            digits
        };
        self.check_international(international)?;
        Ok(E164::from_parts(&[international]))
    }

    /// Whether the digits of an international number (country code first)
    /// can be a number.
    #[inline]
    fn check_international(&self, international: &[u8]) -> Result<(), NumberProblem> {
        Self::check_length(international.len())?;
        if international.first() == Some(&b'0') {
            return Err(NumberProblem::NotDigits);
        }
        // A home-country number must also have a national length that exists.
        if let Some(nsn) = strip_short_prefix(international, self.country_code.as_bytes()) {
            if !self.national_number_lengths.is_empty()
                && !has_len(&self.national_number_lengths, nsn.len())
            {
                return Err(NumberProblem::BadNationalLength);
            }
        }
        Ok(())
    }

    fn national(&self, nsn: &[u8]) -> Result<E164, NumberProblem> {
        if nsn.is_empty() {
            return Err(NumberProblem::TooShort);
        }
        if !self.national_number_lengths.is_empty()
            && !has_len(&self.national_number_lengths, nsn.len())
        {
            return Err(NumberProblem::BadNationalLength);
        }
        Self::check_length(self.country_code.len() + nsn.len())?;
        Ok(E164::from_parts(&[self.country_code.as_bytes(), nsn]))
    }

    fn check_length(digits: usize) -> Result<(), NumberProblem> {
        if digits < MIN_E164_DIGITS {
            Err(NumberProblem::TooShort)
        } else if digits > MAX_E164_DIGITS {
            Err(NumberProblem::TooLong)
        } else {
            Ok(())
        }
    }

    /// Normalises a number used as a key (B-number, list entry): E.164 when
    /// possible, otherwise its digits (short codes such as `112`), otherwise
    /// the trimmed text itself.
    pub fn key_of(&self, raw: &str) -> CompactString {
        match self.normalise(raw) {
            Ok(n) => n.plus,
            Err(_) => {
                let s = strip_uri(raw);
                match digits_of(s.as_bytes()) {
                    Some((plus, d)) if d.len > 0 => {
                        if plus {
                            E164::from_parts(&[d.bytes()]).plus
                        } else {
                            ascii(d.bytes()).into()
                        }
                    }
                    _ => s.into(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nigerian_forms_are_one_number() {
        let plan = NumberingPlan::nigeria();
        for raw in [
            "08031234567",
            "2348031234567",
            "+2348031234567",
            "002348031234567",
            "0092348031234567",
            "sip:+2348031234567@10.0.0.1;user=phone",
            "tel:+234-803-123-4567",
            " +234 (803) 123 4567 ",
        ] {
            assert_eq!(
                plan.normalise(raw).unwrap().to_plus(),
                "+2348031234567",
                "{raw}"
            );
        }
    }

    #[test]
    fn foreign_numbers_stay_foreign() {
        let plan = NumberingPlan::nigeria();
        assert_eq!(
            plan.normalise("+447911123456").unwrap().digits(),
            "447911123456"
        );
        assert_eq!(
            plan.normalise("00447911123456").unwrap().digits(),
            "447911123456"
        );
        assert_eq!(
            plan.normalise("447911123456").unwrap().digits(),
            "447911123456"
        );
    }

    #[test]
    fn under_the_nanp_ten_bare_digits_are_national_even_when_invalid() {
        let plan = NumberingPlan {
            country_code: "1".into(),
            national_prefix: "1".into(),
            international_prefixes: vec!["011".into()],
            national_number_lengths: vec![10],
            home: Some(std::sync::Arc::new(
                plan::NsnPlan::for_country_code("1").unwrap(),
            )),
        };
        for (raw, want) in [
            ("5135551234", "15135551234"),
            ("2986606448", "12986606448"), // area code 298 is unassigned
            ("5113370361", "15113370361"), // N11 as an area code
            ("15135551234", "15135551234"),
            ("+15135551234", "15135551234"),
            ("01144207123456", "44207123456"),
        ] {
            assert_eq!(plan.normalise(raw).unwrap().digits(), want, "{raw}");
        }
    }

    #[test]
    fn bare_digits_of_a_home_number_are_national_when_the_plan_knows_it() {
        let mut plan = NumberingPlan::nigeria();
        // Without the home plan: international without the `+` (as before).
        assert_eq!(plan.normalise("8031234567").unwrap().digits(), "8031234567");
        plan.home = Some(std::sync::Arc::new(
            plan::NsnPlan::for_country_code("234").unwrap(),
        ));
        for raw in ["8031234567", "7031234567", "9031234567", "803 123 4567"] {
            assert_eq!(
                plan.normalise(raw).unwrap().digits(),
                format!("234{}", raw.replace(' ', "")),
                "{raw}"
            );
        }
        // Not a home number (no NG range starts with 47), or not of a home
        // length: international as before.
        assert_eq!(plan.normalise("4791234567").unwrap().digits(), "4791234567");
        assert_eq!(
            plan.normalise("447911123456").unwrap().digits(),
            "447911123456"
        );
        // The other forms are unchanged.
        assert_eq!(
            plan.normalise("08031234567").unwrap().digits(),
            "2348031234567"
        );
        assert_eq!(
            plan.normalise("2348031234567").unwrap().digits(),
            "2348031234567"
        );
    }

    #[test]
    fn fixed_line_national_length() {
        let plan = NumberingPlan::nigeria();
        assert_eq!(plan.normalise("012345678").unwrap().digits(), "23412345678");
    }

    #[test]
    fn implausible_numbers_are_refused_with_a_reason() {
        let plan = NumberingPlan::nigeria();
        assert_eq!(plan.normalise(""), Err(NumberProblem::Empty));
        assert_eq!(plan.normalise("anonymous"), Err(NumberProblem::NotDigits));
        assert_eq!(plan.normalise("+111"), Err(NumberProblem::TooShort));
        assert_eq!(
            plan.normalise("+1234567890123456"),
            Err(NumberProblem::TooLong)
        );
        assert_eq!(
            plan.normalise("0803123"),
            Err(NumberProblem::BadNationalLength)
        );
        assert_eq!(
            plan.normalise("+2348031234"),
            Err(NumberProblem::BadNationalLength)
        );
        assert_eq!(plan.normalise("12a45678"), Err(NumberProblem::NotDigits));
        assert_eq!(plan.normalise("+"), Err(NumberProblem::NotDigits));
    }

    #[test]
    fn any_text_is_answered_without_panicking() {
        let plan = NumberingPlan::nigeria();
        let samples = [
            "\u{fffd}\u{fffd}\u{fffd}",
            "é",
            "sé",
            "si\u{fffd}:",
            "+\u{1F4DE}",
            "tel:",
            "sip:@",
            "@",
            ";",
            "0",
            "00",
            "009",
            "+0",
        ];
        for s in samples {
            let _ = plan.normalise(s);
            let _ = plan.key_of(s);
        }
        // Every prefix of a multi-byte string.
        let long = "sip:+234\u{e9}803\u{1F4DE}1234567@h\u{e9}st;x=\u{fffd}";
        for (i, _) in long.char_indices() {
            let _ = plan.normalise(&long[i..]);
            let _ = plan.key_of(&long[..i]);
        }
    }

    #[test]
    fn digits_are_told_from_every_other_byte() {
        for len in [1, 7, 8, 13, 16, 20] {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut b = vec![b'5'; len];
                    b[at] = byte;
                    assert_eq!(
                        all_digits(&b),
                        byte.is_ascii_digit(),
                        "{byte:#x} at {at} of {len}"
                    );
                }
            }
        }
        assert!(all_digits(b"") && all_digits(b"0123456789"));
    }

    #[test]
    fn keys_fall_back_to_digits_or_text() {
        let plan = NumberingPlan::nigeria();
        assert_eq!(plan.key_of("08031234567"), "+2348031234567");
        assert_eq!(plan.key_of("112"), "112");
        assert_eq!(plan.key_of("+234999"), "+234999");
        assert_eq!(plan.key_of("anonymous"), "anonymous");
    }
}
