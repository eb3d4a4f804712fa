// SPDX-License-Identifier: MIT OR Apache-2.0
//! The embedded store's memory at 1,000,000 live keys on the benchmarks' realistic mix
//! (issue 20): cold B-numbers, 5% of calls to 20 hot ones, Zipf-skewed callers, 60 sources,
//! event time at 10,000 calls/s (`benches/common/workload.rs`, generated here call by call
//! so the test's own memory stays flat). The default config with `store.max_keys` raised to
//! 1,100,000 so that 1,000,000 live keys fit. Calls are checked until the store holds
//! 1,000,000 keys; the process's RSS then stays under the bound docs/memory.md derives
//! (`MemoryStore::memory_bound_bytes`) and under the 250 MB. Alone in its test
//! binary, so the process's RSS is the store's and the engine's.

use std::sync::atomic::Ordering;
use std::sync::Arc;

mod support;

use acm::config::Config;
use acm::detector::Detector;
use acm::engine::{Call, Engine};
use acm::store::{MemoryStore, MemoryStoreConfig};
use support::status_kib;

/// The realistic mix of `benches/common/workload.rs` (same generator, same seed), one call
/// at a time.
struct Mix {
    s: u64,
    i: u64,
}

impl Mix {
    fn next_u64(&mut self) -> u64 {
        self.s ^= self.s >> 12;
        self.s ^= self.s << 25;
        self.s ^= self.s >> 27;
        self.s.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    fn skewed(&mut self, n: u64) -> u64 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) - 1.0) as u64 % n
    }
    fn call(&mut self) -> Call {
        const B_SPACE: u64 = 20_000_000;
        const A_SPACE: u64 = 2_000_000;
        let b = if self.below(100) < 5 {
            format!("+2348090000{:03}", self.below(20))
        } else {
            format!("+23480{:08}", self.below(B_SPACE))
        };
        let a = format!("+23481{:08}", self.skewed(A_SPACE));
        let tag = self.next_u64() % 100_000;
        let id = format!("{:x}-{tag}@sbc.example.net", self.i);
        let mut c = Call::new(&id, &a, &b);
        c.time_ms = Some(1_700_000_000_000 + (self.i as i64) / 10);
        c.source_ip = Some(
            format!("10.0.{}.{}", self.below(4), self.below(15) + 1)
                .parse()
                .unwrap(),
        );
        self.i += 1;
        c
    }
}

#[test]
fn a_million_live_keys_on_the_realistic_mix_stay_under_250_mb() {
    const LIVE: u64 = 1_000_000;
    let mut cfg = Config::default();
    cfg.store.max_keys = 1_100_000;
    let store_cfg = MemoryStoreConfig::from(&cfg.store);
    let store = Arc::new(MemoryStore::new(store_cfg));
    let engine = Engine::from_config(&cfg, Arc::new(acm::clock::SystemClock)).unwrap();
    let det = Detector::new(Arc::new(engine), store.clone());
    let before_kib = status_kib("VmRSS:");
    let mut mix = Mix {
        s: 0x5eed_1234,
        i: 0,
    };
    let keys = || store.stats().keys.load(Ordering::Relaxed);
    while keys() < LIVE {
        for _ in 0..10_000 {
            det.check_now(&mix.call()).unwrap();
        }
        assert!(mix.i < 50_000_000, "{} keys after {} calls", keys(), mix.i);
    }
    let rss_kib = status_kib("VmRSS:");
    eprintln!("{:#?}", store.footprint());
    let peak_kib = status_kib("VmHWM:");
    let bound = MemoryStore::memory_bound_bytes(&store_cfg);
    let st = store.stats();
    eprintln!(
        "realistic mix: {} calls, {} keys, untracked {}, evidence evicted {}; RSS before {} MiB, \
         at {LIVE} keys {} MiB ({} MB), peak {} MiB; bound {} MiB",
        mix.i,
        keys(),
        st.untracked.load(Ordering::Relaxed),
        st.evidence_evicted.load(Ordering::Relaxed),
        before_kib / 1024,
        rss_kib / 1024,
        rss_kib * 1024 / 1_000_000,
        peak_kib / 1024,
        bound >> 20
    );
    assert_eq!(
        st.untracked.load(Ordering::Relaxed),
        0,
        "the store was full"
    );
    assert!(
        peak_kib * 1024 <= bound,
        "peak RSS {} MiB over the stated bound {} MiB",
        peak_kib / 1024,
        bound >> 20
    );
    assert!(
        rss_kib * 1024 <= 250_000_000,
        "RSS {} MB at {LIVE} live keys: over the issue's 250 MB",
        rss_kib * 1024 / 1_000_000
    );
}
