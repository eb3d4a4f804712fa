// SPDX-License-Identifier: MIT OR Apache-2.0
//! Holds `include/acm.h` and `src/ffi` to one contract: bindgen reads the
//! header at build time (feature `header-check`), and these tests compare
//! every struct layout, constant and function signature with the Rust side.

#![allow(non_camel_case_types, non_upper_case_globals, dead_code, clippy::all)]

mod c {
    include!(concat!(env!("OUT_DIR"), "/acm_h.rs"));
}

use std::mem::{align_of, offset_of, size_of};

use super::*;
use crate::engine::{Action, Reason};

macro_rules! same_layout {
    ($c:ty, $r:ty, [$($f:ident),*]) => {{
        assert_eq!(size_of::<$c>(), size_of::<$r>(), "size of {}", stringify!($c));
        assert_eq!(align_of::<$c>(), align_of::<$r>(), "align of {}", stringify!($c));
        $(assert_eq!(offset_of!($c, $f), offset_of!($r, $f), "offset of {}.{}", stringify!($c), stringify!($f));)*
    }};
}

#[test]
fn structs_have_the_same_layout() {
    same_layout!(c::acm_str, AcmStr, [ptr, len]);
    same_layout!(
        c::acm_call,
        AcmCall,
        [
            call_id,
            a_number,
            b_number,
            source_ip,
            trunk,
            pai,
            attestation,
            event_time_ms
        ]
    );
    same_layout!(
        c::acm_verdict,
        AcmVerdict,
        [
            action,
            reason_bits,
            distinct_callers,
            cli_calls,
            check_us,
            reasons,
            alert_id
        ]
    );
}

#[test]
fn constants_agree() {
    assert_eq!(c::ACM_ABI_VERSION, ACM_ABI_VERSION);
    assert_eq!(c::ACM_OK as i32, ACM_OK);
    assert_eq!(c::ACM_ERR as i32, ACM_ERR);
    assert_eq!(c::ACM_REASONS_LEN as usize, ACM_REASONS_LEN);
    assert_eq!(c::ACM_ALERT_ID_LEN as usize, ACM_ALERT_ID_LEN);
    assert_eq!(c::ACM_ACTION_ALLOW as i32, Action::Allow.abi_code());
    assert_eq!(c::ACM_ACTION_FLAG as i32, Action::Flag.abi_code());
    assert_eq!(c::ACM_ACTION_BLOCK as i32, Action::Block.abi_code());
    let bits: [(u32, Reason); Reason::COUNT] = [
        (c::ACM_REASON_DISTINCT_CALLERS, Reason::DistinctCallers),
        (
            c::ACM_REASON_INTL_INGRESS_LOCAL_CLI,
            Reason::IntlIngressLocalCli,
        ),
        (c::ACM_REASON_INVALID_CLI, Reason::InvalidCli),
        (c::ACM_REASON_CLI_VELOCITY, Reason::CliVelocity),
        (c::ACM_REASON_CLI_ROTATION, Reason::CliRotation),
        (c::ACM_REASON_DENYLIST, Reason::Denylist),
        (c::ACM_REASON_AUTO_BLOCK, Reason::AutoBlock),
        (c::ACM_REASON_ALLOWLIST, Reason::Allowlist),
        (c::ACM_REASON_MONITOR_ONLY, Reason::MonitorOnly),
        (c::ACM_REASON_STORE_UNAVAILABLE, Reason::StoreUnavailable),
        (c::ACM_REASON_STORE_CAPACITY, Reason::StoreCapacity),
        (c::ACM_REASON_BAD_INPUT, Reason::BadInput),
        (c::ACM_REASON_INTERNAL_ERROR, Reason::InternalError),
        (c::ACM_REASON_NOT_INITIALISED, Reason::NotInitialised),
        (
            c::ACM_REASON_DISTINCT_CALLERS_SLOW,
            Reason::DistinctCallersSlow,
        ),
        (c::ACM_REASON_CLI_FANOUT, Reason::CliFanout),
        (c::ACM_REASON_LEARNING_WARMUP, Reason::LearningWarmup),
        (c::ACM_REASON_QUIET_FANIN, Reason::QuietFanin),
    ];
    for (bit, reason) in bits {
        assert_eq!(bit, reason.bit(), "{}", reason.code());
    }
    assert_eq!(
        bits.len(),
        Reason::ALL.len(),
        "every reason has a header constant"
    );
}

/// The header's comment beside each reason bit names the code the Rust side
/// writes for it (`#define ACM_REASON_X (1u << n) /* "code" ... */`).
#[test]
fn reason_comments_name_the_codes() {
    let header = include_str!("../../include/acm.h");
    let mut seen = 0;
    for line in header
        .lines()
        .filter(|l| l.starts_with("#define ACM_REASON_"))
    {
        let Some((_, rest)) = line.split_once("(1u << ") else {
            continue;
        };
        let bit: u8 = rest[..rest.find(')').unwrap()].parse().unwrap();
        let code = rest
            .split('"')
            .nth(1)
            .expect("a quoted code in the comment");
        let reason = Reason::ALL[bit as usize];
        assert_eq!(reason.code(), code, "{line}");
        seen += 1;
    }
    assert_eq!(seen, Reason::COUNT, "one #define per reason");
}

#[test]
fn functions_have_the_same_signatures() {
    // Each pair: the header's declaration and the Rust definition, both cast
    // to the shape the header promises. A changed signature stops compiling.
    let _: unsafe extern "C" fn(*const std::ffi::c_char, *mut std::ffi::c_char, usize) -> i32 =
        c::acm_init;
    let _: unsafe extern "C" fn(*const std::ffi::c_char, *mut std::ffi::c_char, usize) -> i32 =
        acm_init;
    let _: unsafe extern "C" fn(i32, *mut std::ffi::c_char, usize) -> i32 = c::acm_child_init;
    let _: unsafe extern "C" fn(i32, *mut std::ffi::c_char, usize) -> i32 = acm_child_init;
    let _: unsafe extern "C" fn(*const c::acm_call, *mut c::acm_verdict) -> i32 = c::acm_check;
    let _: unsafe extern "C" fn(*const AcmCall, *mut AcmVerdict) -> i32 = acm_check;
    let _: unsafe extern "C" fn(*mut std::ffi::c_char, usize) -> i32 = c::acm_reload;
    let _: unsafe extern "C" fn(*mut std::ffi::c_char, usize) -> i32 = acm_reload;
    let _: unsafe extern "C" fn(*mut std::ffi::c_char, usize) -> i64 = c::acm_stats_json;
    let _: unsafe extern "C" fn(*mut std::ffi::c_char, usize) -> i64 = acm_stats_json;
    let _: unsafe extern "C" fn(i32, *mut std::ffi::c_char, usize) -> i32 = c::acm_start_notes;
    let _: unsafe extern "C" fn(i32, *mut std::ffi::c_char, usize) -> i32 = acm_start_notes;
    let _: unsafe extern "C" fn() -> i32 = c::acm_flush_on_exit_signal;
    let _: extern "C" fn() -> i32 = acm_flush_on_exit_signal;
    let _: unsafe extern "C" fn() = c::acm_shutdown;
    let _: extern "C" fn() = acm_shutdown;
    let _: unsafe extern "C" fn() -> *const std::ffi::c_char = c::acm_version;
    let _: extern "C" fn() -> *const std::ffi::c_char = acm_version;
}
