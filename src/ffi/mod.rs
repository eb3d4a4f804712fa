// SPDX-License-Identifier: MIT OR Apache-2.0
//! The C ABI: the functions and structs of `include/acm.h`.
//!
//! Every entry point runs behind [`guard`], a panic boundary: a panic becomes
//! a fail-open answer and never unwinds into the switch. Inputs are borrowed
//! byte strings that may be NULL, not NUL-terminated, not UTF-8 or huge; each
//! is converted defensively before the engine sees it.
//!
//! Process model: `acm_init` (before fork) reads and validates the config
//! and, for the shared-memory store, maps its region (every worker forked
//! after shares it). Each worker builds its own [`crate::node::Node`] — detector, store
//! connection, event drainer, lists follower — in `acm_child_init`, or lazily
//! on its first check, and judges every call through its Detector. A runtime
//! remembers the pid that built it, so state inherited through fork is never
//! used by the child.

mod exit_flush;
#[cfg(all(test, feature = "header-check"))]
mod header_check;
mod latency;
mod runtime;

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use crate::contract::stable_hash;
use crate::engine::call::{Attestation, Call, MAX_CALL_ID_LEN, MAX_NUMBER_LEN, MAX_TRUNK_LEN};
use crate::engine::{Reason, Verdict};

pub use runtime::{stats_json, ProcessRuntime};

pub const ACM_OK: i32 = 0;
pub const ACM_ERR: i32 = -1;
pub const ACM_REASONS_LEN: usize = 256;
pub const ACM_ALERT_ID_LEN: usize = 64;
pub const ACM_ABI_VERSION: u32 = 1;

/// `acm_str`: a borrowed byte string.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct AcmStr {
    pub ptr: *const c_char,
    pub len: usize,
}

/// `acm_call`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct AcmCall {
    pub call_id: AcmStr,
    pub a_number: AcmStr,
    pub b_number: AcmStr,
    pub source_ip: AcmStr,
    pub trunk: AcmStr,
    pub pai: AcmStr,
    pub attestation: AcmStr,
    pub event_time_ms: i64,
}

/// `acm_verdict`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct AcmVerdict {
    pub action: i32,
    pub reason_bits: u32,
    pub distinct_callers: u32,
    pub cli_calls: u32,
    pub check_us: u32,
    pub reasons: [c_char; ACM_REASONS_LEN],
    pub alert_id: [c_char; ACM_ALERT_ID_LEN],
}

/// Longest string the ABI reads from any field; beyond it the field is cut
/// (A-number, trunk), hashed (Call-ID) or refused (B-number).
const READ_LIMIT: usize = 4096;

/// Runs `f`, turning a panic into `on_panic`.
fn guard<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(on_panic)
}

/// The bytes of an `acm_str`, or None when absent.
///
/// # Safety
/// `s.ptr` must be NULL or point to `s.len` readable bytes.
unsafe fn bytes_of(s: &AcmStr) -> Option<&[u8]> {
    if s.ptr.is_null() || s.len == 0 {
        return None;
    }
    Some(std::slice::from_raw_parts(
        s.ptr as *const u8,
        s.len.min(READ_LIMIT),
    ))
}

/// Text of a field with control characters replaced, cut at `max` bytes
/// (on a character boundary). Non-UTF-8 bytes become U+FFFD.
fn clean_text(bytes: &[u8], max: usize) -> String {
    let lossy = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(lossy.len().min(max));
    for c in lossy.chars() {
        let c = if c.is_control() { '?' } else { c };
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

/// Builds the engine's call from the C struct, or says which field is unusable.
///
/// # Safety
/// Every `acm_str` in `c` must be NULL or valid for its length.
unsafe fn call_from_c(c: &AcmCall) -> Result<Call, &'static str> {
    let b = bytes_of(&c.b_number).ok_or("b_number")?;
    if b.len() > MAX_NUMBER_LEN || std::str::from_utf8(b).is_err() {
        return Err("b_number");
    }
    let mut call = Call {
        b_number: clean_text(b, MAX_NUMBER_LEN).into(),
        // A garbage CLI is judged (invalid_cli), not refused: a spoofer must not
        // escape detection by sending a long or binary one.
        a_number: bytes_of(&c.a_number)
            .map(|a| clean_text(a, MAX_NUMBER_LEN))
            .unwrap_or_default()
            .into(),
        ..Call::default()
    };
    if let Some(id) = bytes_of(&c.call_id) {
        call.call_id = if id.len() <= MAX_CALL_ID_LEN && std::str::from_utf8(id).is_ok() {
            clean_text(id, MAX_CALL_ID_LEN).into()
        } else {
            format!("h-{:016x}", stable_hash(id)).into()
        };
    }
    call.source_ip = bytes_of(&c.source_ip)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| {
            s.trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .ok()
        });
    call.trunk = bytes_of(&c.trunk).map(|t| clean_text(t, MAX_TRUNK_LEN).into());
    call.pai = bytes_of(&c.pai).map(|p| clean_text(p, MAX_NUMBER_LEN).into());
    call.attestation = bytes_of(&c.attestation)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(Attestation::parse)
        .unwrap_or_default();
    if c.event_time_ms > 0 {
        call.time_ms = Some(c.event_time_ms);
    }
    Ok(call)
}

/// Copies `s` into a C char array, truncated, always NUL-terminated.
fn write_cstr(dst: &mut [c_char], s: &str) {
    let n = s.len().min(dst.len().saturating_sub(1));
    // Cut on a character boundary so the C side never sees half a character.
    let n = (0..=n).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    for (d, b) in dst.iter_mut().zip(s.as_bytes()[..n].iter()) {
        *d = *b as c_char;
    }
    if let Some(last) = dst.get_mut(n) {
        *last = 0;
    }
}

fn fill_verdict(out: &mut AcmVerdict, v: &Verdict, check_us: u32) {
    out.action = v.action.abi_code();
    out.reason_bits = v.reasons.0;
    out.distinct_callers = v.count(Reason::DistinctCallers);
    out.cli_calls = v.count(Reason::CliVelocity);
    out.check_us = check_us;
    write_reasons(&mut out.reasons, v.reasons);
    write_cstr(&mut out.alert_id, v.alert_id.as_deref().unwrap_or(""));
}

/// Writes the reason codes comma-separated, as `Reasons::joined` spells them,
/// straight into the C buffer (no allocation per INVITE), truncated and
/// NUL-terminated like `write_cstr`.
fn write_reasons(dst: &mut [c_char], reasons: crate::engine::Reasons) {
    let cap = dst.len().saturating_sub(1);
    let mut n = 0;
    for (i, r) in reasons.iter().enumerate() {
        let sep: &[u8] = if i == 0 { b"" } else { b"," };
        for &b in sep.iter().chain(r.code().as_bytes()) {
            if n == cap {
                break;
            }
            dst[n] = b as c_char;
            n += 1;
        }
    }
    if let Some(last) = dst.get_mut(n) {
        *last = 0;
    }
}

/// Writes an error message into a caller's buffer (NULL or zero length: skipped).
///
/// # Safety
/// `err` must be NULL or point to `err_len` writable bytes.
unsafe fn write_err(err: *mut c_char, err_len: usize, msg: &str) {
    if err.is_null() || err_len == 0 {
        return;
    }
    let dst = std::slice::from_raw_parts_mut(err, err_len);
    write_cstr(dst, msg);
}

/// # Safety
/// `config_path` is NULL or a NUL-terminated string; `err` is NULL or has `err_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn acm_init(
    config_path: *const c_char,
    err: *mut c_char,
    err_len: usize,
) -> i32 {
    guard(ACM_ERR, || {
        let path = if config_path.is_null() {
            None
        } else {
            match CStr::from_ptr(config_path).to_str() {
                Ok("") => None,
                Ok(p) => Some(std::path::PathBuf::from(p)),
                Err(_) => {
                    write_err(err, err_len, "config path is not UTF-8");
                    return ACM_ERR;
                }
            }
        };
        match runtime::load_config(path) {
            Ok(()) => ACM_OK,
            Err(e) => {
                write_err(err, err_len, &e);
                ACM_ERR
            }
        }
    })
}

/// # Safety
/// `err` is NULL or has `err_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn acm_child_init(rank: i32, err: *mut c_char, err_len: usize) -> i32 {
    guard(ACM_ERR, || match runtime::start_process(rank) {
        Ok(()) => ACM_OK,
        Err(e) => {
            write_err(err, err_len, &e);
            ACM_ERR
        }
    })
}

/// # Safety
/// `call` is NULL or a valid `acm_call` whose strings are NULL or valid for
/// their lengths; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn acm_check(call: *const AcmCall, out: *mut AcmVerdict) -> i32 {
    let started = Instant::now();
    let verdict = guard(None, || {
        let Some(c) = call.as_ref() else {
            return Some(runtime::fail_open(Reason::BadInput));
        };
        Some(match call_from_c(c) {
            Err(_) => runtime::fail_open(Reason::BadInput),
            Ok(call) => runtime::check(&call, started),
        })
    })
    .unwrap_or_else(|| Verdict::fail_open(Reason::InternalError, 0));
    let us = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
    latency::record(us);
    if let Some(out) = out.as_mut() {
        guard((), || fill_verdict(out, &verdict, us));
    }
    verdict.action.abi_code()
}

/// # Safety
/// `err` is NULL or has `err_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn acm_reload(err: *mut c_char, err_len: usize) -> i32 {
    guard(ACM_ERR, || match runtime::reload() {
        Ok(()) => ACM_OK,
        Err(e) => {
            write_err(err, err_len, &e);
            ACM_ERR
        }
    })
}

/// # Safety
/// `buf` is NULL or has `buf_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn acm_stats_json(buf: *mut c_char, buf_len: usize) -> i64 {
    guard(-1, || {
        let text = stats_json();
        if !buf.is_null() && buf_len > text.len() {
            let dst = std::slice::from_raw_parts_mut(buf, buf_len);
            write_cstr(dst, &text);
        }
        text.len() as i64
    })
}

/// # Safety
/// `buf` is NULL or has `buf_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn acm_start_notes(workers: i32, buf: *mut c_char, buf_len: usize) -> i32 {
    guard(ACM_ERR, || match runtime::start_notes(workers) {
        Ok(notes) => {
            let text: Vec<String> = notes
                .iter()
                .map(|(warn, t)| format!("{}: {t}", if *warn { "warning" } else { "info" }))
                .collect();
            if !buf.is_null() && buf_len > 0 {
                write_cstr(
                    std::slice::from_raw_parts_mut(buf, buf_len),
                    &text.join("\n"),
                );
            }
            notes.iter().filter(|(warn, _)| *warn).count() as i32
        }
        Err(e) => {
            write_err(buf, buf_len, &e);
            ACM_ERR
        }
    })
}

/// Makes SIGTERM and SIGINT flush this process's queued events before it exits (see
/// `exit_flush`). For forked workers whose switch ends them from the signal handler.
#[no_mangle]
pub extern "C" fn acm_flush_on_exit_signal() -> i32 {
    guard(ACM_ERR, || match exit_flush::install() {
        Ok(()) => ACM_OK,
        Err(_) => ACM_ERR,
    })
}

#[no_mangle]
pub extern "C" fn acm_shutdown() {
    guard((), runtime::shutdown)
}

static VERSION: &CStr = match CStr::from_bytes_with_nul(
    concat!("acm ", env!("CARGO_PKG_VERSION"), " abi 1\0").as_bytes(),
) {
    Ok(s) => s,
    Err(_) => panic!("version string"),
};

#[no_mangle]
pub extern "C" fn acm_version() -> *const c_char {
    VERSION.as_ptr()
}

#[cfg(test)]
mod tests;
