//! Keeps a worker's allow/deny lists in step with the lists shared through the
//! Redis store (edited with `acm serve`'s admin API), so every Kamailio worker
//! and node agrees without a restart.
//!
//! It runs on its own thread with its own connection, started after fork, so a
//! poll never waits on — or delays — a call. Every `lists_poll_ms` it reads the
//! lists' version (one cheap round trip); when the version moved, it fetches
//! the lists and swaps the file's lists merged with the shared ones into the
//! engine.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, ListsConfig};
use crate::engine::Engine;
use crate::store::redis::lists::apply_shared_lists;
use crate::store::redis::RedisStore;

/// No version seen yet: the next poll applies whatever is there.
const UNSEEN: u64 = u64::MAX;

pub struct ListsFollower {
    stop: Arc<AtomicBool>,
    seen: Arc<AtomicU64>,
    file_lists: Arc<parking_lot::Mutex<ListsConfig>>,
}

impl ListsFollower {
    /// Starts following when the config uses the Redis store; None otherwise.
    pub fn start(config: &Config, engine: Arc<Engine>) -> Result<Option<ListsFollower>, String> {
        if config.store.kind != crate::config::StoreKind::Redis {
            return Ok(None);
        }
        let store = RedisStore::from_config(&config.store).map_err(|e| e.to_string())?;
        let every = Duration::from_millis(config.store.lists_poll_ms);
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(AtomicU64::new(UNSEEN));
        let file_lists = Arc::new(parking_lot::Mutex::new(config.lists.clone()));
        let (stop2, seen2, file2) = (stop.clone(), seen.clone(), file_lists.clone());
        std::thread::Builder::new()
            .name("acm-lists".into())
            .spawn(move || {
                // Fail open: while the store is down the worker keeps its lists.
                let _ = store.connect();
                while !stop2.load(Ordering::Relaxed) {
                    if let Ok(v) = store.lists_version() {
                        if seen2.load(Ordering::Relaxed) != v {
                            if let Ok((v, shared)) = store.list_snapshot() {
                                apply_shared_lists(&engine, &file2.lock(), &shared);
                                seen2.store(v, Ordering::Relaxed);
                            }
                        }
                    }
                    std::thread::sleep(every);
                }
            })
            .map_err(|e| format!("cannot start the lists thread: {e}"))?;
        Ok(Some(ListsFollower {
            stop,
            seen,
            file_lists,
        }))
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
