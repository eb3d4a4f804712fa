// SPDX-License-Identifier: MIT OR Apache-2.0
//! Nigeria's numbering plan as the simulator draws from it: the allocated
//! mobile ranges, the 10-digit national significant numbers (NSNs) that no
//! range allows, and the malformed CLIs grey routes present.
//!
//! Read from libphonenumber's metadata for territory NG (v9.0.33, as the
//! `phonenumber` crate bundles it; research note 5.1):
//! - mobile: `(?:702[0-24-9]|819[01])\d{6}|(?:7(?:0[13-9]|[12]\d)|8(?:0[1-9]|1[0-8])|9(?:0[1-9]|1[1-6]))\d{7}`
//! - fixed: `20(?:[1259]\d|3[013-9]|4[1-8]|6[024-689]|7[1-79]|8[2-9])\d{6}`
//! - toll free `800\d{7,11}`, UAN `700\d{7,11}`; every valid NSN has 10 to 14
//!   digits and starts with 20, 7, 8 or 9.
//!
//! acm bundles 9.0.43 (`number::plan::Metadata::bundled`), which adds 910 to
//! the mobiles; the tables below are checked against it.
//!
//! The unit tests hold these tables to `is_valid` over the bundled metadata.

use rand::RngExt;
use rand_pcg::Pcg64;

/// Allocated mobile ranges (leading digits of a 10-digit NSN).
pub const MOBILE_RANGES: [&str; 72] = [
    "701", "703", "704", "705", "706", "707", "708", "709", "7020", "7021", "7022", "7024", "7025",
    "7026", "7027", "7028", "7029", "710", "711", "712", "713", "714", "715", "716", "717", "718",
    "719", "720", "721", "722", "723", "724", "725", "726", "727", "728", "729", "801", "802",
    "803", "804", "805", "806", "807", "808", "809", "810", "811", "812", "813", "814", "815",
    "816", "817", "818", "8190", "8191", "901", "902", "903", "904", "905", "906", "907", "908",
    "909", "911", "912", "913", "914", "915", "916",
];

/// Leading digits of 10-digit NSNs that no NG range allows: the right length,
/// but they cannot exist (1, 3–6 lead nothing; 2 only as `20` + an area code;
/// 7023, 73–79, 82–89, 8192–8199, 900, 917–919, 92–99 are unallocated; 910
/// was too until libphonenumber 9.0.43, which acm bundles, made it mobile).
pub const UNASSIGNED: [&str; 51] = [
    "1", "3", "4", "5", "6", "21", "22", "23", "24", "25", "26", "27", "28", "29", "200", "2032",
    "2040", "2049", "2061", "2063", "2067", "2070", "2078", "2080", "2081", "7023", "73", "74",
    "75", "76", "77", "78", "79", "82", "83", "84", "85", "86", "87", "88", "89", "8192", "8193",
    "8195", "8198", "900", "917", "918", "919", "92", "99",
];

/// `n` random decimal digits.
pub fn random_digits(rng: &mut Pcg64, n: u32) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// A random valid mobile NSN (10 digits, no `+234`).
pub fn random_mobile_nsn(rng: &mut Pcg64) -> String {
    let p = MOBILE_RANGES[rng.random_range(0..MOBILE_RANGES.len())];
    format!("{p}{}", random_digits(rng, 10 - p.len() as u32))
}

/// The kinds of impossible CLI an `invalid_cli` instance presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// The NSN starts with the trunk prefix 0: `+2340803123456` (10 digits,
    /// passes a length check) or `+23408031234567` (a national-format number
    /// with the country code prepended).
    Nsn0,
    /// 10 digits in a range no NG number can have.
    Unassigned,
    /// A mobile range with too few or too many digits, or a short string.
    Length,
    /// Letters where digits belong.
    Letters,
}

impl Invalid {
    pub const ALL: [Invalid; 4] = [
        Invalid::Nsn0,
        Invalid::Unassigned,
        Invalid::Length,
        Invalid::Letters,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Invalid::Nsn0 => "nsn0",
            Invalid::Unassigned => "unassigned",
            Invalid::Length => "length",
            Invalid::Letters => "letters",
        }
    }

    /// One CLI of this kind.
    pub fn draw(self, rng: &mut Pcg64) -> String {
        match self {
            Invalid::Nsn0 => {
                let nsn = random_mobile_nsn(rng);
                if rng.random_bool(0.5) {
                    format!("+2340{}", &nsn[..9])
                } else {
                    format!("+2340{nsn}")
                }
            }
            Invalid::Unassigned => {
                let p = UNASSIGNED[rng.random_range(0..UNASSIGNED.len())];
                format!("+234{p}{}", random_digits(rng, 10 - p.len() as u32))
            }
            Invalid::Length => {
                let nsn = random_mobile_nsn(rng);
                match rng.random_range(0..4u32) {
                    0 => format!("+234{}", &nsn[..9]),
                    1 => format!("+234{nsn}{}", random_digits(rng, 1)),
                    2 => format!("+234{}", &nsn[..7]),
                    _ => {
                        let n = rng.random_range(4..7u32);
                        random_digits(rng, n)
                    }
                }
            }
            Invalid::Letters => {
                let nsn = random_mobile_nsn(rng);
                match rng.random_range(0..4u32) {
                    0 => "UNKNOWN".into(),
                    1 => format!("+234{}ABC{}", &nsn[..3], &nsn[6..]),
                    2 => format!("{}ab{}", &nsn[..2], &nsn[4..]),
                    _ => "Private".into(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn valid(n: &str) -> bool {
        let db = crate::number::plan::Metadata::bundled().db;
        phonenumber::parse_with(db, None, n)
            .map(|p| phonenumber::is_valid_with(db, &p))
            .unwrap_or(false)
    }

    #[test]
    fn the_tables_agree_with_libphonenumber() {
        let mut rng = Pcg64::seed_from_u64(5);
        let plan = crate::number::NumberingPlan::nigeria();
        for p in MOBILE_RANGES {
            for _ in 0..20 {
                let n = format!("+234{p}{}", random_digits(&mut rng, 10 - p.len() as u32));
                assert!(valid(&n), "{n} should be valid");
            }
        }
        for p in UNASSIGNED {
            for _ in 0..20 {
                let n = format!("+234{p}{}", random_digits(&mut rng, 10 - p.len() as u32));
                assert!(!valid(&n), "{n} should be invalid");
            }
        }
        for _ in 0..400 {
            for kind in [Invalid::Unassigned, Invalid::Length] {
                let n = kind.draw(&mut rng);
                assert!(!valid(&n), "{kind:?} {n} should be invalid");
            }
            // libphonenumber reads letters as keypad digits (vanity numbers);
            // acm does not.
            let n = Invalid::Letters.draw(&mut rng);
            assert!(n.chars().any(|c| c.is_ascii_alphabetic()), "{n}");
            assert!(plan.normalise(&n).is_err(), "{n}");
            // libphonenumber repairs a leading 0 after the country code, so
            // this kind is checked on the digits themselves.
            let n = Invalid::Nsn0.draw(&mut rng);
            assert!(
                n.starts_with("+2340") && (n.len() == 14 || n.len() == 15),
                "{n}"
            );
        }
    }
}
