// SPDX-License-Identifier: MIT OR Apache-2.0
//! Time and popularity: hourly traffic profiles (interpolated per minute, so
//! no step at the top of an hour), the draws of event times that follow them,
//! paced sequences for attacks, and skewed choices of callers and callees.

use rand::RngExt;
use rand_pcg::Pcg64;

/// Relative call volume per local hour (Lagos), midnight first; peak 1.
pub const DAILY: [f64; 24] = [
    0.15, 0.09, 0.06, 0.06, 0.09, 0.18, 0.35, 0.59, 0.82, 0.94, 1.0, 1.0, 0.94, 0.94, 0.94, 0.94,
    0.94, 0.94, 0.88, 0.82, 0.76, 0.65, 0.47, 0.26,
];
/// Business hours (08:00 to 18:00), a lull at lunch; peak 1.
pub const BUSINESS: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.8, 1.0, 1.0, 1.0, 0.7, 0.8, 1.0, 1.0, 0.9, 0.6, 0.1,
    0.0, 0.0, 0.0, 0.0, 0.0,
];

/// A traffic profile over the simulated span, one weight per minute.
pub struct Profile {
    start_ms: i64,
    end_ms: i64,
    cum: Vec<f64>,
}

impl Profile {
    /// `day_ms` is local midnight of the day the span starts in.
    pub fn new(day_ms: i64, start_ms: i64, end_ms: i64, hourly: &[f64; 24]) -> Profile {
        let minutes = ((end_ms - start_ms + 59_999) / 60_000).max(1) as usize;
        let mut cum = Vec::with_capacity(minutes);
        let mut acc = 0.0;
        for m in 0..minutes {
            // Hours since local midnight at the middle of this minute; each
            // hourly value holds at the middle of its hour.
            let mid = start_ms + m as i64 * 60_000 + 30_000;
            let h = (mid - day_ms) as f64 / 3_600_000.0 - 0.5;
            let lo = h.floor();
            let frac = h - lo;
            let at = |x: f64| hourly[(x.rem_euclid(24.0)) as usize % 24];
            acc += at(lo) * (1.0 - frac) + at(lo + 1.0) * frac;
            cum.push(acc);
        }
        Profile {
            start_ms,
            end_ms,
            cum,
        }
    }

    /// The profile's weight over the span, in minutes at full rate.
    pub fn minutes(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }

    /// Expected events of a process running at `per_sec` at the profile's peak.
    pub fn expected(&self, per_sec: f64) -> f64 {
        per_sec * 60.0 * self.minutes()
    }

    /// An event time drawn from the profile.
    pub fn sample(&self, rng: &mut Pcg64) -> i64 {
        let u = rng.random::<f64>() * self.minutes();
        let m = self
            .cum
            .partition_point(|c| *c <= u)
            .min(self.cum.len() - 1);
        let t = self.start_ms + m as i64 * 60_000 + rng.random_range(0..60_000i64);
        t.min(self.end_ms - 1)
    }
}

/// `n` event times from `t0` to exactly `t0 + span_ms`, evenly paced with each
/// gap varied by up to `jitter` (0..1) of the mean: the first and last calls
/// fix the rate the label states.
pub fn paced(rng: &mut Pcg64, t0: i64, n: usize, span_ms: i64, jitter: f64) -> Vec<i64> {
    if n <= 1 {
        return vec![t0; n];
    }
    let gaps: Vec<f64> = (1..n)
        .map(|_| 1.0 + jitter * (2.0 * rng.random::<f64>() - 1.0))
        .collect();
    let total: f64 = gaps.iter().sum();
    let mut out = Vec::with_capacity(n);
    out.push(t0);
    let mut acc = 0.0;
    for g in &gaps[..n - 2] {
        acc += g;
        out.push(t0 + (acc / total * span_ms as f64).round() as i64);
    }
    out.push(t0 + span_ms);
    out
}

/// A draw from `lo..=hi`, log-uniform (`lo == hi`: that value).
pub fn log_uniform(rng: &mut Pcg64, lo: f64, hi: f64) -> f64 {
    if hi <= lo {
        return lo;
    }
    (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp()
}

/// Rounds to four significant digits, so a label states exactly the value used.
pub fn sig4(x: f64) -> f64 {
    format!("{x:.3e}").parse().unwrap_or(x)
}

/// Zipf-like popularity: weight of rank i is (i + offset)^-s.
pub struct Zipf {
    cum: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64, offset: f64) -> Zipf {
        let mut cum = Vec::with_capacity(n);
        let mut acc = 0.0;
        for i in 0..n {
            acc += (i as f64 + offset).powf(-s);
            cum.push(acc);
        }
        Zipf { cum }
    }

    pub fn sample(&self, rng: &mut Pcg64) -> usize {
        let u = rng.random::<f64>() * self.cum.last().copied().unwrap_or(0.0);
        self.cum
            .partition_point(|c| *c <= u)
            .min(self.cum.len() - 1)
    }
}

/// A rank in `0..n` from three tiers of activity: the top `tiers[0].0` of
/// the ranks get `tiers[0].1` of the draws, and so on (uniform within a tier).
pub fn tiered(rng: &mut Pcg64, n: u64, tiers: &[(f64, f64)]) -> u64 {
    let u = rng.random::<f64>();
    let mut share = 0.0;
    let mut lo = 0u64;
    for (i, (size, weight)) in tiers.iter().enumerate() {
        let hi = if i + 1 == tiers.len() {
            n
        } else {
            (lo + (n as f64 * size) as u64).clamp(lo + 1, n)
        };
        share += weight;
        if u < share || i + 1 == tiers.len() {
            return rng.random_range(lo..hi.max(lo + 1));
        }
        lo = hi;
    }
    0
}

/// Callers: 1% of subscribers place 15% of the calls, the next 19% place 45%.
pub const CALLER_TIERS: [(f64, f64); 3] = [(0.01, 0.15), (0.19, 0.45), (0.8, 0.40)];
/// Popular callees (shops, small businesses on mobiles): 0.1% of subscribers
/// receive 10% of the calls not made to a contact.
pub const CALLEE_TIERS: [(f64, f64); 3] = [(0.001, 0.10), (0.05, 0.30), (0.949, 0.60)];

/// A stable 64-bit mix of a few integers (contacts, customer lists).
pub fn mix(a: u64, b: u64, c: u64) -> u64 {
    let mut z = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(c.wrapping_mul(0x94D0_49BB_1331_11EB));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Rank `r` of `0..n` spread over the whole range (a bijection on `0..n`
/// unless `n` is a multiple of the prime 1,000,003).
pub fn scatter(r: u64, n: u64, salt: u64) -> u64 {
    (r.wrapping_mul(1_000_003) + salt) % n
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn paced_sequences_keep_their_span_and_order() {
        let mut rng = Pcg64::seed_from_u64(1);
        for n in [2usize, 3, 7, 50] {
            let t = paced(&mut rng, 1_000, n, 9_000, 0.8);
            assert_eq!(t.len(), n);
            assert_eq!((t[0], t[n - 1]), (1_000, 10_000));
            assert!(t.windows(2).all(|w| w[0] <= w[1]), "{t:?}");
        }
    }

    #[test]
    fn profiles_follow_the_hours() {
        let day = 0;
        let p = Profile::new(day, 9 * 3_600_000, 11 * 3_600_000, &DAILY);
        assert!((p.minutes() - 120.0 * 0.97).abs() < 3.0, "{}", p.minutes());
        let mut rng = Pcg64::seed_from_u64(2);
        for _ in 0..1000 {
            let t = p.sample(&mut rng);
            assert!((9 * 3_600_000..11 * 3_600_000).contains(&t));
        }
        let night = Profile::new(day, 2 * 3_600_000, 3 * 3_600_000, &BUSINESS);
        assert_eq!(night.minutes(), 0.0);
    }

    #[test]
    fn tiers_and_scatter_stay_in_range() {
        let mut rng = Pcg64::seed_from_u64(3);
        let mut top = 0;
        for _ in 0..100_000 {
            let r = tiered(&mut rng, 1_000, &CALLER_TIERS);
            assert!(r < 1_000);
            top += (r < 10) as u32;
        }
        assert!((13_000..17_000).contains(&top), "{top}");
        let mut seen = std::collections::HashSet::new();
        for r in 0..10_000 {
            assert!(seen.insert(scatter(r, 10_000, 7)));
        }
    }
}
