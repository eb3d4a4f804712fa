// SPDX-License-Identifier: MIT OR Apache-2.0
//! The vocabulary every layer shares, and nothing else: what a switch is told
//! ([`Action`]), why ([`Reason`], stable codes that are also bits of the C ABI),
//! and the contract between the engine and the stores — the window updates one
//! call needs ([`StoreRequest`]), the store's answer ([`StoreAnswer`]), the
//! evidence a window keeps ([`Evidence`]) and the hash two nodes agree on.
//!
//! This module depends on nothing else in the crate. The engine plans window
//! updates in these terms and every store applies them in these terms, so the
//! two only meet here (see `docs/ARCHITECTURE.md`).

mod action;
mod hash;
mod reason;
mod window;

pub use action::Action;
pub use hash::{ascii, hex16, stable_hash};
pub use reason::{Reason, Reasons};
pub use window::{
    alert_raised_ms, paced, AlertState, BlockEntry, Called, CalledStamp, Evidence, Learn, Repeats,
    Spell, StoreAnswer, StoreError, StoreRequest, WindowOp, WindowOutcome, Withdrawal,
    EVIDENCE_MAX, LEARN_CALM_BUSY, LEARN_GAP_MAX, LEARN_GROWTH, LEARN_OVER_MAX, PACED_MEMBERS_MAX,
    PACED_MEMBERS_MIN,
};
