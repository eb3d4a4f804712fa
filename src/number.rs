//! Phone-number normalisation to E.164 for one home country.
//!
//! Runs on every call, so it is a few byte loops rather than a full numbering
//! plan library: it strips SIP/tel decoration and visual separators, resolves
//! the international and national prefixes of the home country, and checks the
//! length. For Nigeria `08031234567`, `2348031234567`, `+2348031234567` and
//! `002348031234567` all become `+2348031234567`.

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
}

impl NumberingPlan {
    pub fn nigeria() -> Self {
        NumberingPlan {
            country_code: "234".into(),
            national_prefix: "0".into(),
            international_prefixes: vec!["009".into(), "00".into()],
            national_number_lengths: vec![8, 10],
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
    /// `+` and then `digits` (already checked to be digits).
    fn from_parts(parts: &[&str]) -> E164 {
        let mut plus =
            CompactString::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
        plus.push('+');
        for p in parts {
            plus.push_str(p);
        }
        E164 { plus }
    }
    pub fn digits(&self) -> &str {
        &self.plus[1..]
    }
    /// `+` followed by the digits.
    pub fn to_plus(&self) -> CompactString {
        self.plus.clone()
    }
    pub fn starts_with(&self, prefix_digits: &str) -> bool {
        self.digits().starts_with(prefix_digits)
    }
}

/// Up to 32 digits gathered on the stack.
struct Digits {
    buf: [u8; 32],
    len: usize,
}

impl Digits {
    fn as_str(&self) -> &str {
        // Only ASCII digits are ever written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

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
/// separators. Returns None if any other character appears. Digits gather in a
/// stack buffer: more than 32 cannot be a phone number anyway.
fn digits_of(s: &str) -> Option<(bool, Digits)> {
    let bytes = s.as_bytes();
    let (plus, rest) = match bytes.first() {
        Some(b'+') => (true, &bytes[1..]),
        _ => (false, bytes),
    };
    let mut buf = [0u8; 32];
    let mut n = 0;
    for &b in rest {
        match b {
            b'0'..=b'9' => {
                if n == buf.len() {
                    // Too long for any number: keep the first 32 (length checks refuse it).
                    continue;
                }
                buf[n] = b;
                n += 1;
            }
            b' ' | b'-' | b'.' | b'(' | b')' | b'/' => {}
            _ => return None,
        }
    }
    Some((plus, Digits { buf, len: n }))
}

impl NumberingPlan {
    /// Normalises `raw` to E.164 or says why it cannot.
    pub fn normalise(&self, raw: &str) -> Result<E164, NumberProblem> {
        let s = strip_uri(raw);
        if s.is_empty() {
            return Err(NumberProblem::Empty);
        }
        let (plus, digits) = digits_of(s).ok_or(NumberProblem::NotDigits)?;
        let digits = digits.as_str();
        if digits.is_empty() {
            return Err(NumberProblem::NotDigits);
        }
        let international: &str = if plus {
            digits
        } else if let Some(p) = self
            .international_prefixes
            .iter()
            .find(|p| !p.is_empty() && digits.starts_with(p.as_str()))
        {
            &digits[p.len()..]
        } else if !self.national_prefix.is_empty()
            && digits.starts_with(self.national_prefix.as_str())
        {
            return self.national(&digits[self.national_prefix.len()..]);
        } else if digits.starts_with(self.country_code.as_str())
            && self
                .national_number_lengths
                .contains(&((digits.len() - self.country_code.len()) as u8))
        {
            digits
        } else if self.national_prefix.is_empty()
            && self.national_number_lengths.contains(&(digits.len() as u8))
        {
            return self.national(digits);
        } else {
            // Digits alone, no prefix: read as international without the `+`.
            digits
        };
        Self::check_length(international)?;
        if international.starts_with('0') {
            return Err(NumberProblem::NotDigits);
        }
        // A home-country number must also have a national length that exists.
        if let Some(nsn) = international.strip_prefix(self.country_code.as_str()) {
            if !self.national_number_lengths.is_empty()
                && !self.national_number_lengths.contains(&(nsn.len() as u8))
            {
                return Err(NumberProblem::BadNationalLength);
            }
        }
        Ok(E164::from_parts(&[international]))
    }

    fn national(&self, nsn: &str) -> Result<E164, NumberProblem> {
        if nsn.is_empty() {
            return Err(NumberProblem::TooShort);
        }
        if !self.national_number_lengths.is_empty()
            && !self.national_number_lengths.contains(&(nsn.len() as u8))
        {
            return Err(NumberProblem::BadNationalLength);
        }
        let n = E164::from_parts(&[&self.country_code, nsn]);
        Self::check_length(n.digits())?;
        Ok(n)
    }

    fn check_length(d: &str) -> Result<(), NumberProblem> {
        if d.len() < MIN_E164_DIGITS {
            Err(NumberProblem::TooShort)
        } else if d.len() > MAX_E164_DIGITS {
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
            Ok(n) => n.to_plus(),
            Err(_) => {
                let s = strip_uri(raw);
                match digits_of(s) {
                    Some((plus, d)) if d.len > 0 => {
                        if plus {
                            E164::from_parts(&[d.as_str()]).plus
                        } else {
                            d.as_str().into()
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
    fn keys_fall_back_to_digits_or_text() {
        let plan = NumberingPlan::nigeria();
        assert_eq!(plan.key_of("08031234567"), "+2348031234567");
        assert_eq!(plan.key_of("112"), "112");
        assert_eq!(plan.key_of("+234999"), "+234999");
        assert_eq!(plan.key_of("anonymous"), "anonymous");
    }
}
