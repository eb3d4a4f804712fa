// SPDX-License-Identifier: MIT OR Apache-2.0
//! Geographic numbers of an open numbering plan: an area code from the
//! regulator's list, then a subscriber number. libphonenumber's patterns for
//! such a plan accept nearly any digits (Germany's fixed line: 5 to 15 after a
//! loosely checked first digit), so a number in an area code that does not
//! exist, or with a subscriber number that cannot be, passes them. This module
//! carries the list (from libphonenumber's geocoding data, written by
//! `scripts/area-codes.py` into `area_codes/CC.txt`) and the plan's rules on
//! what follows it, and the ranges the country's law bars as a caller's
//! number, for the countries acm has both for. `invalid_cli` asks it
//! about home CLIs the plan types fixed line.
//!
//! The lookups are bit tests, one per code length, on a table built at start.

/// Why a geographic number cannot exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unassignable {
    /// It starts with no area code of the list.
    NoAreaCode,
    /// Its subscriber number starts with digits the plan never gives one.
    SubscriberStart,
    /// It is longer than the plan's geographic numbers.
    TooLong,
}

/// What a country's plan says about its geographic numbers, besides the list.
struct CountryRules {
    country_code: &'static str,
    /// The area codes, as `scripts/area-codes.py` writes them.
    list: &'static str,
    /// Most digits of a geographic NSN (area code and subscriber number).
    max_nsn: usize,
    /// A subscriber number never starts with one of these.
    barred_starts: &'static [&'static str],
    /// Blocks libphonenumber types fixed line that are not geographic (no
    /// area code): left alone.
    non_geographic: &'static [&'static str],
    /// Ranges of any type the country's law bars as a caller's number.
    barred_cli: &'static [&'static str],
}

/// The countries acm carries a list for.
///
/// Germany (Bundesnetzagentur's plan for geographic numbers, as summarised
/// in "Telephone numbers in Germany"): 5,200 area codes of 2 to 5 digits; a
/// number is at most 11 digits after the trunk prefix; a subscriber number
/// never starts with 0 (the trunk prefix) or 11 (network services, dialled
/// without a code). 032 numbers are national subscriber numbers, typed fixed
/// line by libphonenumber, with no area code. Subscriber numbers may be as
/// short as two or three digits in old exchanges, so no shortest length.
/// § 120 (2) TKG (2021; § 66k before) bars numbers of directory enquiries
/// (118), mass-traffic services (0137: TV votes) and premium services (0900)
/// as a caller's number; libphonenumber types 0137 shared cost, the type of
/// the 0180 numbers call centres present lawfully (0900 is premium rate,
/// already `invalid_types`).
const COUNTRIES: &[CountryRules] = &[CountryRules {
    country_code: "49",
    list: include_str!("area_codes/49.txt"),
    max_nsn: 11,
    barred_starts: &["0", "11"],
    non_geographic: &["32"],
    barred_cli: &["118", "137", "900"],
}];

/// One country's area codes and rules, compiled for the call path.
#[derive(Clone)]
pub struct AreaCodes {
    /// For each code length present, longest first: a bit per value of that
    /// many digits.
    by_len: Vec<(usize, Vec<u64>)>,
    max_nsn: usize,
    barred_starts: &'static [&'static str],
    non_geographic: &'static [&'static str],
    barred_cli: &'static [&'static str],
    /// How many codes the list has, for the record.
    pub codes: usize,
}

impl std::fmt::Debug for AreaCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AreaCodes")
            .field("codes", &self.codes)
            .field("max_nsn", &self.max_nsn)
            .finish()
    }
}

/// The value of a run of ASCII digits, None if one is not a digit.
fn value(digits: &[u8]) -> Option<usize> {
    digits.iter().try_fold(0usize, |v, &b| {
        let d = b.wrapping_sub(b'0');
        (d <= 9).then_some(v * 10 + d as usize)
    })
}

impl AreaCodes {
    /// The list and rules acm carries for `country_code` (digits), if any.
    pub fn bundled(country_code: &str) -> Option<AreaCodes> {
        let c = COUNTRIES.iter().find(|c| c.country_code == country_code)?;
        // The bundled lists are checked by the tests below.
        AreaCodes::parse(c).ok()
    }

    fn parse(c: &CountryRules) -> Result<AreaCodes, String> {
        let mut by_len: Vec<(usize, Vec<u64>)> = Vec::new();
        let mut codes = 0;
        for code in c
            .list
            .lines()
            .filter(|l| !l.starts_with('#'))
            .flat_map(str::split_whitespace)
        {
            let len = code.len();
            let v = value(code.as_bytes())
                .filter(|_| (1..=6).contains(&len))
                .ok_or_else(|| format!("area code {code:?}: 1 to 6 digits"))?;
            let bits = match by_len.iter_mut().find(|(l, _)| *l == len) {
                Some((_, b)) => b,
                None => {
                    by_len.push((len, vec![0; 10usize.pow(len as u32).div_ceil(64)]));
                    &mut by_len.last_mut().expect("just pushed").1
                }
            };
            bits[v / 64] |= 1 << (v % 64);
            codes += 1;
        }
        by_len.sort_by_key(|b| std::cmp::Reverse(b.0));
        Ok(AreaCodes {
            by_len,
            max_nsn: c.max_nsn,
            barred_starts: c.barred_starts,
            non_geographic: c.non_geographic,
            barred_cli: c.barred_cli,
            codes,
        })
    }

    /// The longest area code `nsn` starts with that leaves a digit after it.
    fn area_code_len(&self, nsn: &[u8]) -> Option<usize> {
        self.by_len.iter().find_map(|(len, bits)| {
            let v = value(nsn.get(..*len).filter(|_| nsn.len() > *len)?)?;
            (bits[v / 64] >> (v % 64) & 1 == 1).then_some(*len)
        })
    }

    /// Whether the law bars `nsn` (any home number) as a caller's number.
    pub fn barred(&self, nsn: &[u8]) -> bool {
        self.barred_cli
            .iter()
            .any(|p| nsn.starts_with(p.as_bytes()))
    }

    /// Whether a geographic `nsn` (digits after the calling code, one the
    /// plan types fixed line) cannot exist, and why. None: it may.
    pub fn judge(&self, nsn: &[u8]) -> Option<Unassignable> {
        if self
            .non_geographic
            .iter()
            .any(|p| nsn.starts_with(p.as_bytes()))
        {
            return None;
        }
        let Some(len) = self.area_code_len(nsn) else {
            return Some(Unassignable::NoAreaCode);
        };
        if nsn.len() > self.max_nsn {
            return Some(Unassignable::TooLong);
        }
        let subscriber = &nsn[len..];
        self.barred_starts
            .iter()
            .any(|p| subscriber.starts_with(p.as_bytes()))
            .then_some(Unassignable::SubscriberStart)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_list_reads_whole() {
        for c in COUNTRIES {
            let codes: usize = c
                .list
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| l.split_whitespace().count())
                .sum();
            let a = AreaCodes::parse(c).unwrap_or_else(|e| panic!("+{}: {e}", c.country_code));
            assert_eq!(a.codes, codes, "+{}", c.country_code);
            assert!(AreaCodes::bundled(c.country_code).is_some());
        }
        // Germany: the Bundesnetzagentur's ~5,200 codes, 2 to 5 digits.
        let de = AreaCodes::bundled("49").unwrap();
        assert!((5_000..5_500).contains(&de.codes), "{}", de.codes);
        assert_eq!(
            de.by_len.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            vec![5, 4, 3, 2]
        );
        assert!(AreaCodes::bundled("234").is_none());
    }

    #[test]
    fn german_geographic_numbers() {
        let de = AreaCodes::bundled("49").unwrap();
        let judge = |n: &str| de.judge(n.as_bytes());
        // Berlin, Bielefeld, Solingen and Haan (212 and 2129: the longest
        // code is the number's), a five-digit code of the new states.
        for ok in [
            "3012345678",
            "30123456",
            "5211234567",
            "21212345678",
            "21291234567",
            "3520412345",
        ] {
            assert_eq!(judge(ok), None, "{ok}");
        }
        // 0219 is no area code (nor any code it starts with).
        assert_eq!(judge("21991234567"), Some(Unassignable::NoAreaCode));
        assert_eq!(judge("2"), Some(Unassignable::NoAreaCode));
        assert_eq!(judge("30"), Some(Unassignable::NoAreaCode), "a code alone");
        assert_eq!(judge("301234567890"), Some(Unassignable::TooLong));
        assert_eq!(judge("5210123456"), Some(Unassignable::SubscriberStart));
        assert_eq!(judge("301123456"), Some(Unassignable::SubscriberStart));
        assert_eq!(judge("21290123456"), Some(Unassignable::SubscriberStart));
        // National subscriber numbers (032): no area code, left alone.
        assert_eq!(judge("32123456789"), None);
        assert_eq!(judge("3a1234567"), Some(Unassignable::NoAreaCode));
        // Barred as a CLI whatever its type: a TV vote's 0137, 118 enquiries.
        assert!(de.barred(b"1371234567"));
        assert!(de.barred(b"11833"));
        assert!(de.barred(b"9001234567"));
        assert!(
            !de.barred(b"18012345678"),
            "0180: call centres' shared cost"
        );
        assert!(!de.barred(b"5211234567"));
    }
}
