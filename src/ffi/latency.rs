// SPDX-License-Identifier: MIT OR Apache-2.0
//! How long `acm_check` takes inside the switch: a per-process histogram of
//! whole checks (the C call, start to end), published in `acm_stats_json`
//! (`check_us`) so that `acm.stats` — and the SIPp benchmark, which merges
//! the workers' histograms — shows the check's own latency inside Kamailio.
//!
//! Buckets: one per microsecond below 64 µs, then 32 per power of two (about
//! 3% wide; published 12.5% wide from 1 ms), up to 2^32 µs; lock-free
//! counters, one relaxed add per check.

use std::sync::atomic::{AtomicU64, Ordering};

const LINEAR: u32 = 64;
const SUB: u32 = 32;
const BUCKETS: usize = (LINEAR + (32 - 6) * SUB) as usize;

static COUNTS: [AtomicU64; BUCKETS] = [const { AtomicU64::new(0) }; BUCKETS];

fn bucket(us: u32) -> usize {
    if us < LINEAR {
        return us as usize;
    }
    let e = 31 - us.leading_zeros(); // >= 6
    let sub = (us >> (e - 5)) & (SUB - 1);
    (LINEAR + (e - 6) * SUB + sub) as usize
}

/// The smallest value of bucket `b`.
fn lower(b: usize) -> u64 {
    let b = b as u32;
    if b < LINEAR {
        return b as u64;
    }
    let e = 6 + (b - LINEAR) / SUB;
    let sub = (b - LINEAR) % SUB;
    ((SUB + sub) as u64) << (e - 5)
}

/// Counts one check of `us` microseconds.
#[inline]
pub fn record(us: u32) {
    COUNTS[bucket(us)].fetch_add(1, Ordering::Relaxed);
}

/// From this bucket on, the JSON merges four buckets into one (12.5% wide,
/// from 1,024 µs), so that a worker's whole `acm_stats_json` stays well within
/// the switch's slot for it (at most ~370 buckets, ~7 KB).
const COARSE_FROM: usize = (LINEAR + 4 * SUB) as usize;

/// The histogram as JSON: `{"count": N, "buckets": [[lowest µs, count], ...]}`,
/// non-empty buckets only, in order.
pub fn json() -> serde_json::Value {
    json_of(&COUNTS)
}

fn json_of(counts: &[AtomicU64; BUCKETS]) -> serde_json::Value {
    let mut count = 0;
    let mut buckets: Vec<serde_json::Value> = Vec::new();
    let mut b = 0;
    while b < BUCKETS {
        let width = if b < COARSE_FROM { 1 } else { 4 };
        let n: u64 = counts[b..(b + width).min(BUCKETS)]
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum();
        if n > 0 {
            count += n;
            buckets.push(serde_json::json!([lower(b), n]));
        }
        b += width;
    }
    serde_json::json!({ "count": count, "buckets": buckets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order_within_three_percent() {
        let mut last = 0;
        for us in (0..200_000u32).chain([u32::MAX / 2, u32::MAX]) {
            let b = bucket(us);
            assert!(b < BUCKETS);
            assert!(b >= last, "monotonic at {us}");
            last = b;
            let lo = lower(b);
            assert!(lo <= us as u64, "{us} below its bucket's {lo}");
            assert!(
                us < LINEAR || (us as u64 - lo) * 32 <= lo,
                "{us} in a bucket from {lo}"
            );
        }
        assert_eq!(bucket(63), 63);
        assert_eq!(lower(COARSE_FROM), 1024);
        assert_eq!((BUCKETS - COARSE_FROM) % 4, 0);
        assert_eq!(lower(bucket(64)), 64);
        assert_eq!(lower(bucket(100)), 100);
    }

    #[test]
    fn the_published_histogram_stays_small_whatever_it_holds() {
        // Every bucket non-empty, with counts of ten digits (a histogram of
        // its own: this process's is other tests' business).
        let counts: [AtomicU64; BUCKETS] = [const { AtomicU64::new(1_000_000_000) }; BUCKETS];
        let text = json_of(&counts).to_string();
        assert!(text.len() < 8_000, "{} bytes", text.len());
        let v = json_of(&counts);
        let lows: Vec<u64> = v["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b[0].as_u64().unwrap())
            .collect();
        assert!(lows.windows(2).all(|w| w[0] < w[1]), "in order");
    }
}
