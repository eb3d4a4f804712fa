// SPDX-License-Identifier: MIT OR Apache-2.0
//! The call mix shared by the benchmarks: many cold B-numbers, a few hot ones,
//! Zipf-skewed callers, 60 sources, event time advancing at 10,000 calls/s.

use acm::engine::Call;

/// A small, portable PRNG (xorshift64*), so the mix is the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Roughly Zipf(1) over 0..n: a few numbers call a lot.
    fn skewed(&mut self, n: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) - 1.0) as u64 % n
    }
}

/// `b_space`/`a_space`: how many distinct cold B-numbers and callers exist. The
/// realistic mix keeps hundreds of thousands of live windows (memory-bound);
/// the small one fits in cache and shows the compute cost alone.
pub fn workload(n: usize, seed: u64, b_space: u64, a_space: u64) -> Vec<Call> {
    let mut rng = Rng(seed);
    let t0 = 1_700_000_000_000i64;
    (0..n)
        .map(|i| {
            let b = if rng.below(100) < 5 {
                format!("+2348090000{:03}", rng.below(20)) // 20 hot B-numbers, 5% of calls
            } else {
                format!("+23480{:08}", rng.below(b_space))
            };
            let a = format!("+23481{:08}", rng.skewed(a_space));
            let mut c = Call::new(
                &format!("{i:x}-{}@sbc.example.net", rng.next() % 100_000),
                &a,
                &b,
            );
            c.time_ms = Some(t0 + (i as i64) / 10);
            c.source_ip = Some(
                format!("10.0.{}.{}", rng.below(4), rng.below(15) + 1)
                    .parse()
                    .unwrap(),
            );
            c
        })
        .collect()
}
