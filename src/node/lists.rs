// SPDX-License-Identifier: MIT OR Apache-2.0
//! The lists follower: keeps this process's allow/deny lists in step with the
//! lists shared through the store (edited with `acm serve`'s admin API), so
//! every node and Kamailio worker agrees without a restart.
//!
//! It runs on its own thread with its own connection, started after fork, so a
//! poll never waits on — or delays — a call. Every `store.lists_poll_ms` it
//! reads the lists' version (one cheap round trip); when the version moved, it
//! fetches the lists and swaps the file's lists merged with the shared ones
//! into the engine. While the store is down the process keeps its lists.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::config::ListsConfig;
use crate::engine::lists::Lists;
use crate::engine::Engine;
use crate::store::shared_lists::merge_lists;
use crate::store::SharedLists;

/// No version seen yet: the next poll applies whatever is there.
const UNSEEN: u64 = u64::MAX;

pub struct ListsFollower {
    stop: Arc<AtomicBool>,
    seen: Arc<AtomicU64>,
    file_lists: Arc<parking_lot::Mutex<ListsConfig>>,
}

/// Swaps a configuration with the file's lists plus the shared ones into the
/// engine; checks in flight finish on the old one.
pub fn apply_shared_lists(engine: &Engine, file: &ListsConfig, shared: &ListsConfig) {
    let mut cfg = (*engine.config()).clone();
    cfg.lists = Lists::new(&cfg.plan, &merge_lists(file, shared));
    engine.reload(cfg);
}

impl ListsFollower {
    pub fn start(
        shared: Arc<dyn SharedLists>,
        engine: Arc<Engine>,
        file_lists: ListsConfig,
        every: Duration,
    ) -> Result<ListsFollower, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(AtomicU64::new(UNSEEN));
        let file_lists = Arc::new(parking_lot::Mutex::new(file_lists));
        let (stop2, seen2, file2) = (stop.clone(), seen.clone(), file_lists.clone());
        std::thread::Builder::new()
            .name("acm-lists".into())
            .spawn(move || {
                while !stop2.load(Ordering::Relaxed) {
                    if let Ok(v) = shared.version() {
                        if seen2.load(Ordering::Relaxed) != v {
                            if let Ok((v, lists)) = shared.snapshot() {
                                apply_shared_lists(&engine, &file2.lock(), &lists);
                                seen2.store(v, Ordering::Relaxed);
                                tracing::info!(version = v, "shared lists applied");
                            }
                        }
                    }
                    std::thread::sleep(every);
                }
            })
            .map_err(|e| format!("cannot start the lists thread: {e}"))?;
        Ok(ListsFollower {
            stop,
            seen,
            file_lists,
        })
    }

    /// After a config file reload: new file lists, and re-apply the shared
    /// ones on the next poll (the reload replaced the engine's lists).
    pub fn file_reloaded(&self, lists: &ListsConfig) {
        *self.file_lists.lock() = lists.clone();
        self.seen.store(UNSEEN, Ordering::Relaxed);
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Drop for ListsFollower {
    fn drop(&mut self) {
        self.stop();
    }
}
