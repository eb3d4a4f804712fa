//! acm — real-time call-masking detection for carrier voice networks.
//!
//! One detection engine, three faces:
//! - in the switch: the C ABI in [`ffi`] (contract: `include/acm.h`), loaded by
//!   the Kamailio module in `kamailio-module/`;
//! - beside the switch: the HTTP service in [`serve`] (`acm serve`);
//! - after the call: verdicts and alerts drained to ClickHouse.
//!
//! Layout: [`engine`] decides (no I/O), [`store`] keeps sliding windows,
//! [`config`] reads the one TOML file, [`number`] normalises phone numbers.

pub mod clock;
pub mod config;
pub mod engine;
pub mod events;
pub mod ffi;
pub mod number;
pub mod pipeline;
pub mod quality;
pub mod replay;
pub mod report;
pub mod serve;
pub mod simulate;
pub mod store;
