// SPDX-License-Identifier: MIT OR Apache-2.0
//! acm — real-time call-masking detection for carrier voice networks.
//!
//! One detection engine, three faces:
//! - in the switch: the C ABI in [`ffi`] (contract: `include/acm.h`), loaded by
//!   the Kamailio module in `kamailio-module/`;
//! - beside the switch: the HTTP service in [`serve`] (`acm serve`);
//! - after the call: verdicts and alerts drained to ClickHouse.
//!
//! Layers, each depending only on those above it (`docs/ARCHITECTURE.md`;
//! `tests/layers.rs` fails on an import against the order):
//! - [`contract`], [`clock`], [`number`]: shared vocabulary and leaves;
//! - [`config`]: the one TOML file, a section per file;
//! - [`engine`] decides (no I/O; rules one per file), [`store`] keeps windows;
//! - [`detector`]: engine + store + sinks, the one check sequence;
//! - [`pipeline`]: the ClickHouse outbox, a sink drained off the call path;
//! - [`node`]: what one process runs, built from the config;
//! - the faces: [`ffi`], [`serve`], [`replay`], [`quality`], [`report`],
//!   [`simulate`].

pub mod clock;
pub mod config;
pub mod contract;
pub mod detector;
pub mod engine;
pub mod ffi;
pub mod node;
pub mod number;
pub mod pipeline;
pub mod quality;
pub mod replay;
pub mod report;
pub mod serve;
pub mod simulate;
pub mod store;
