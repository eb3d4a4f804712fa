// SPDX-License-Identifier: MIT OR Apache-2.0
//! The embedded store's memory under a flood (issue 20): 5,000,000 calls, each from a new
//! A-number to a new B-number, within 5 s of event time (so no window expires and the
//! store fills up), through the default config's rules on the embedded store. The process's
//! peak RSS stays under the bound docs/memory.md derives from `store.max_keys` and the
//! evidence cap, the key count never exceeds `max_keys`, and the calls the store could not
//! track are counted (`untracked`). Alone in its test binary, so the process's RSS is the
//! store's and the engine's.

use std::sync::Arc;

mod support;

use acm::config::Config;
use acm::detector::Detector;
use acm::engine::{Call, Engine};
use acm::store::{MemoryStore, MemoryStoreConfig};
use support::status_kib;

#[test]
fn a_flood_of_5m_distinct_numbers_stays_under_the_stated_bound() {
    const CALLS: u64 = 5_000_000;
    let cfg = Config::default();
    let max_keys = cfg.store.max_keys;
    let store_cfg = MemoryStoreConfig::from(&cfg.store);
    let store = Arc::new(MemoryStore::new(store_cfg));
    let engine = Engine::from_config(&cfg, Arc::new(acm::clock::SystemClock)).unwrap();
    let det = Detector::new(Arc::new(engine), store.clone());
    let before_kib = status_kib("VmRSS:");
    let t0 = 1_700_000_000_000i64;
    let mut max_seen_keys = 0;
    for i in 0..CALLS {
        let call = Call::new(
            &format!("flood-{i}"),
            &format!("+23480{:08}", i),
            &format!("+23481{:08}", i),
        )
        .at(t0 + (i / 1000) as i64);
        det.check_now(&call).unwrap();
        if i % 100_000 == 0 {
            let keys = store
                .stats()
                .keys
                .load(std::sync::atomic::Ordering::Relaxed);
            max_seen_keys = max_seen_keys.max(keys);
        }
    }
    let st = store.stats();
    let keys = st.keys.load(std::sync::atomic::Ordering::Relaxed);
    let untracked = st.untracked.load(std::sync::atomic::Ordering::Relaxed);
    let peak_kib = status_kib("VmHWM:");
    let bound = MemoryStore::memory_bound_bytes(&store_cfg);
    eprintln!(
        "flood: {CALLS} calls, keys {keys} (max seen {max_seen_keys}) of {max_keys}, untracked {untracked}, \
         RSS before {} MiB, peak {} MiB, bound {} MiB",
        before_kib / 1024,
        peak_kib / 1024,
        bound >> 20
    );
    assert!(keys.max(max_seen_keys) <= max_keys as u64, "{keys} keys");
    assert!(
        untracked > 0,
        "the flood filled the store: untracked calls are counted"
    );
    assert!(
        peak_kib * 1024 <= bound,
        "peak RSS {} MiB over the stated bound {} MiB",
        peak_kib / 1024,
        bound >> 20
    );
}
