// SPDX-License-Identifier: MIT OR Apache-2.0
//! What one process runs, built from the config in one place: a
//! [`Detector`] over the engine and the configured store, its outputs (the
//! ClickHouse outbox plus the sinks the caller adds), the pipeline's drainer
//! thread and, with a shared store, the lists follower. The C ABI builds one
//! per Kamailio worker (after fork), `acm serve` one per process.

pub mod lists;

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::clock::Clock;
use crate::config::{Config, StoreKind};
use crate::detector::{Detector, VerdictSink};
use crate::engine::Engine;
use crate::pipeline::{EventOut, Pipeline, StatsSnapshot};
use crate::store::{self, Client, FileLists, RedisStore, SharedLists, Store};
use lists::ListsFollower;

/// A running process's detection.
pub struct Node {
    pub detector: Detector,
    /// The ClickHouse outbox (also one of the detector's sinks).
    pub events: EventOut,
    /// The lists shared through the store, when the store shares them.
    pub shared_lists: Option<Arc<dyn SharedLists>>,
    lists: Option<ListsFollower>,
    /// Counters of the pipeline's alert lanes (webhook receivers, teardown).
    lanes: Vec<(String, Arc<crate::pipeline::LaneStats>)>,
    /// The drainer; taken and flushed by [`Node::shutdown`].
    pipeline: Mutex<Option<Pipeline>>,
}

impl Node {
    /// Builds the engine, store, outbox and followers the config asks for.
    /// Starts threads (drainer, lists follower): call after fork. `sinks`
    /// see every verdict after the outbox.
    pub fn start(
        cfg: &Config,
        clock: Arc<dyn Clock>,
        client: Client,
        sinks: Vec<Arc<dyn VerdictSink>>,
    ) -> Result<Node, String> {
        let store = store::from_config(cfg, client).map_err(|e| format!("store: {e}"))?;
        Node::start_on(cfg, store, clock, sinks)
    }

    /// [`Node::start`] on a store made beforehand (the C ABI's shared-memory
    /// store, made before the fork).
    pub fn start_on(
        cfg: &Config,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        sinks: Vec<Arc<dyn VerdictSink>>,
    ) -> Result<Node, String> {
        let engine = Arc::new(Engine::from_config(cfg, clock).map_err(|e| e.to_string())?);
        let pipeline = EventOut::start_pipeline(cfg)?;
        let events = EventOut::new(pipeline.sink(), cfg);
        let lanes = pipeline.lane_stats();
        let shared_lists: Option<Arc<dyn SharedLists>> = match cfg.store.kind {
            StoreKind::Redis => Some(Arc::new(
                RedisStore::from_config(&cfg.store).map_err(|e| format!("store: {e}"))?,
            )),
            _ if !cfg.store.lists_file.is_empty() => {
                Some(Arc::new(FileLists::new(&cfg.store.lists_file)))
            }
            _ => None,
        };
        let lists = match &shared_lists {
            Some(shared) => Some(ListsFollower::start(
                shared.clone(),
                engine.clone(),
                cfg.lists.clone(),
                Duration::from_millis(cfg.store.lists_poll_ms),
            )?),
            None => None,
        };
        let mut detector = Detector::new(engine, store).with_sink(Arc::new(events.clone()));
        for s in sinks {
            detector = detector.with_sink(s);
        }
        Ok(Node {
            detector,
            events,
            shared_lists,
            lists,
            lanes,
            pipeline: Mutex::new(Some(pipeline)),
        })
    }

    /// What [`Node::start`] checks before it starts anything, without starting anything or
    /// touching the network: the config's own checks, the rules and lists compiled, every
    /// webhook receiver and the teardown target built. `acm check-config` runs it.
    pub fn check(cfg: &Config) -> Result<(), String> {
        cfg.validate().map_err(|e| e.to_string())?;
        Engine::from_config(cfg, Arc::new(crate::clock::SystemClock)).map_err(|e| e.to_string())?;
        // The Kamailio module maps its shared-memory region at start: try the
        // same mapping here, so a region the machine cannot give fails now.
        if cfg.store.kind.resolve(crate::config::Face::Module) == crate::config::StoreKind::Shm {
            crate::store::ShmStore::check(crate::store::shm_config(cfg))
                .map_err(|e| format!("store (the Kamailio module's shared-memory region): {e}"))?;
        }
        if let Some(ch) = &cfg.clickhouse {
            ch.validate().map_err(|e| e.to_string())?;
        }
        for r in &cfg.webhooks.receivers {
            crate::pipeline::webhook::Webhook::new(r)
                .map_err(|e| format!("webhooks.receivers {}: {e:#}", r.name))?;
        }
        if cfg.teardown.on_blocking_alert {
            crate::pipeline::teardown::Teardown::new(&cfg.teardown)
                .map_err(|e| format!("teardown: {e:#}"))?;
        }
        Ok(())
    }

    pub fn engine(&self) -> &Arc<Engine> {
        self.detector.engine()
    }

    /// Swaps in the rules and lists of a new config (store settings take effect
    /// at the next start); the shared lists are applied again on top.
    pub fn reload(&self, cfg: &Config) -> Result<(), String> {
        let compiled = crate::engine::EngineConfig::from_config(cfg).map_err(|e| e.to_string())?;
        self.engine().reload(compiled);
        if let Some(f) = &self.lists {
            f.file_reloaded(&cfg.lists);
        }
        Ok(())
    }

    /// Each alert lane's counters.
    pub fn lane_stats(&self) -> Vec<crate::pipeline::LaneSnapshot> {
        self.lanes.iter().map(|(n, s)| s.snapshot(n)).collect()
    }

    /// Rebuilds windows and learned levels from call records before serving
    /// (a restart of a store that keeps them in the process): `files` are
    /// replayed, in event-time order, through the config's rules on this
    /// node's store, by an engine of their own — nothing reaches the sinks or
    /// the node's counters — and the learning warm-up counts from their first
    /// call. Answers the replay's summary.
    pub fn warm_from(
        &self,
        cfg: &Config,
        files: &[std::path::PathBuf],
    ) -> Result<crate::replay::Summary, String> {
        let engine = Engine::from_config(cfg, Arc::new(crate::clock::SystemClock))
            .map_err(|e| e.to_string())?;
        let warm = Detector::new(Arc::new(engine), self.detector.store().clone());
        let opts = crate::replay::ReplayOptions::default();
        let summary = crate::replay::replay(&warm, files, &opts, &mut crate::replay::NoSink);
        if let Some(first) = summary.first_ms {
            self.engine().note_history(first);
        }
        if summary.checked == 0 {
            return Err(format!(
                "--warm-from: no call could be replayed ({} rows, {} bad)",
                summary.rows, summary.bad_rows
            ));
        }
        Ok(summary)
    }

    /// Whether events go to ClickHouse.
    pub fn has_pipeline(&self) -> bool {
        self.events.sink().is_enabled()
    }

    /// Flushes queued events (to ClickHouse, or the spool once `timeout` is
    /// spent) and stops the drainer and the lists follower. Later verdicts'
    /// events are counted as dropped. None when already shut down.
    pub fn shutdown(&self, timeout: Duration) -> Option<StatsSnapshot> {
        if let Some(f) = &self.lists {
            f.stop();
        }
        let pipeline = self.pipeline.lock().take();
        pipeline.map(|mut p| p.shutdown(timeout))
    }
}
