// SPDX-License-Identifier: MIT OR Apache-2.0
//! The C ABI called as C would call it, including hostile inputs.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use super::*;

// The ABI keeps process-wide state: run these tests one at a time.
static SERIAL: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

fn s(v: &[u8]) -> AcmStr {
    AcmStr {
        ptr: v.as_ptr() as *const c_char,
        len: v.len(),
    }
}
const NONE: AcmStr = AcmStr {
    ptr: ptr::null(),
    len: 0,
};

fn call(id: &[u8], a: &[u8], b: &[u8], t: i64) -> AcmCall {
    AcmCall {
        call_id: s(id),
        a_number: s(a),
        b_number: s(b),
        source_ip: NONE,
        trunk: NONE,
        pai: NONE,
        attestation: NONE,
        event_time_ms: t,
    }
}

fn blank() -> AcmVerdict {
    AcmVerdict {
        action: 0,
        reason_bits: 0,
        distinct_callers: 0,
        cli_calls: 0,
        check_us: 0,
        reasons: [0; ACM_REASONS_LEN],
        alert_id: [0; ACM_ALERT_ID_LEN],
    }
}

fn text(a: &[c_char]) -> String {
    unsafe { CStr::from_ptr(a.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

fn init_with(toml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acm.toml");
    std::fs::write(&path, toml).unwrap();
    let p = CString::new(path.to_str().unwrap()).unwrap();
    let mut err = [0 as c_char; 256];
    let rc = unsafe { acm_init(p.as_ptr(), err.as_mut_ptr(), err.len()) };
    assert_eq!(rc, ACM_OK, "{}", text(&err));
    acm_shutdown();
    assert_eq!(unsafe { acm_child_init(1, ptr::null_mut(), 0) }, ACM_OK);
}

#[test]
fn the_seed_attack_through_the_abi() {
    let _g = SERIAL.lock();
    init_with("");
    let t0 = 1_700_000_000_000;
    for i in 0..5u8 {
        let a = format!("+23480300000{i:02}");
        let mut out = blank();
        let rc = unsafe {
            acm_check(
                &call(
                    &[b'c', b'0' + i],
                    a.as_bytes(),
                    b"+2348099999999",
                    t0 + i as i64,
                ),
                &mut out,
            )
        };
        assert_eq!(rc, out.action);
        if i < 4 {
            assert_eq!(rc, 1, "call {i}");
            assert_eq!(text(&out.reasons), "");
        } else {
            assert_eq!(rc, 3);
            assert_eq!(text(&out.reasons), "distinct_callers");
            assert_eq!(out.reason_bits, 1);
            assert_eq!(out.distinct_callers, 5);
            assert!(
                text(&out.alert_id).starts_with("dc-"),
                "{}",
                text(&out.alert_id)
            );
        }
    }
    let mut buf = vec![0 as c_char; 4096];
    let n = unsafe { acm_stats_json(buf.as_mut_ptr(), buf.len()) };
    assert!(n > 0 && (n as usize) < buf.len());
    let stats: serde_json::Value = serde_json::from_str(&text(&buf)).unwrap();
    assert_eq!(stats["actions"]["block"], 1);
    assert_eq!(stats["checks"], 5);
    assert_eq!(stats["alerts"]["distinct_callers"], 1);
    assert_eq!(stats["alerts_withdrawn"]["distinct_callers"], 0);
    // Too small a buffer: the needed length, nothing written past it.
    let mut small = [7 as c_char; 4];
    assert_eq!(
        unsafe { acm_stats_json(small.as_mut_ptr(), small.len()) },
        n
    );
    assert_eq!(small, [7; 4]);
}

#[test]
fn hostile_inputs_get_safe_answers() {
    let _g = SERIAL.lock();
    init_with("");
    unsafe {
        // NULL call, NULL out.
        assert_eq!(acm_check(ptr::null(), ptr::null_mut()), 1);
        let mut out = blank();
        assert_eq!(acm_check(ptr::null(), &mut out), 1);
        assert_eq!(text(&out.reasons), "bad_input");
        // NULL pointer with a length.
        let mut c = call(b"x", b"+2348031234567", b"+2348099999999", 0);
        c.b_number = AcmStr {
            ptr: ptr::null(),
            len: 99,
        };
        assert_eq!(acm_check(&c, &mut out), 1);
        assert_eq!(text(&out.reasons), "bad_input");
        // A huge, binary CLI is judged invalid, not waved through.
        let huge = vec![0xffu8; 1 << 20];
        let c = call(b"y", &huge, b"+2348099999998", 0);
        assert_eq!(acm_check(&c, &mut out), 2);
        assert_eq!(text(&out.reasons), "invalid_cli");
        // Embedded NULs and control bytes.
        let c = call(b"z\0z", b"+234\x00803\n1234567", b"+2348099999997", 0);
        assert_eq!(acm_check(&c, &mut out), 2);
        // A huge B-number is refused safely.
        let c = call(b"w", b"+2348031234567", &huge, 0);
        assert_eq!(acm_check(&c, &mut out), 1);
        assert_eq!(text(&out.reasons), "bad_input");
        // A huge Call-ID is hashed, the call still judged.
        let c = call(&huge, b"+2348031234567", b"+2348099999996", 0);
        assert_eq!(acm_check(&c, &mut out), 1);
        assert_eq!(text(&out.reasons), "");
        // Bad optional fields are ignored.
        let mut c = call(b"v", b"+2348031234567", b"+2348099999995", 0);
        c.source_ip = s(b"not-an-ip");
        c.attestation = s(b"Z");
        c.trunk = s(&huge);
        assert_eq!(acm_check(&c, &mut out), 1);
    }
}

#[test]
fn init_reports_bad_config_and_can_be_retried() {
    let _g = SERIAL.lock();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[rules.distinct_callers]\nthreshold = 0\n").unwrap();
    let p = CString::new(path.to_str().unwrap()).unwrap();
    let mut err = [0 as c_char; 256];
    assert_eq!(
        unsafe { acm_init(p.as_ptr(), err.as_mut_ptr(), err.len()) },
        ACM_ERR
    );
    assert!(
        text(&err).contains("rules.distinct_callers.threshold"),
        "{}",
        text(&err)
    );
    let missing = CString::new("/nonexistent/acm.toml").unwrap();
    assert_eq!(
        unsafe { acm_init(missing.as_ptr(), err.as_mut_ptr(), err.len()) },
        ACM_ERR
    );
    assert!(text(&err).contains("cannot read"), "{}", text(&err));
    // A tiny error buffer is still NUL-terminated.
    let mut tiny = [1 as c_char; 3];
    assert_eq!(
        unsafe { acm_init(missing.as_ptr(), tiny.as_mut_ptr(), tiny.len()) },
        ACM_ERR
    );
    assert_eq!(tiny[2], 0);
    // And init works after failures.
    assert_eq!(unsafe { acm_init(ptr::null(), ptr::null_mut(), 0) }, ACM_OK);
}

#[test]
fn reload_validates_and_swaps_rules() {
    let _g = SERIAL.lock();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acm.toml");
    std::fs::write(&path, "").unwrap();
    let p = CString::new(path.to_str().unwrap()).unwrap();
    unsafe {
        assert_eq!(acm_init(p.as_ptr(), ptr::null_mut(), 0), ACM_OK);
        acm_shutdown();
        assert_eq!(acm_child_init(1, ptr::null_mut(), 0), ACM_OK);
        std::fs::write(&path, "[lists]\ndeny_a_numbers = [\"+2348031234567\"]\n").unwrap();
        assert_eq!(acm_reload(ptr::null_mut(), 0), ACM_OK);
        let mut out = blank();
        assert_eq!(
            acm_check(&call(b"r", b"08031234567", b"+2348099999999", 0), &mut out),
            3
        );
        assert_eq!(text(&out.reasons), "denylist");
        // A broken file is refused and the old rules stay.
        std::fs::write(&path, "mode = 12\n").unwrap();
        let mut err = [0 as c_char; 256];
        assert_eq!(acm_reload(err.as_mut_ptr(), err.len()), ACM_ERR);
        assert!(!text(&err).is_empty());
        assert_eq!(
            acm_check(&call(b"r2", b"08031234567", b"+2348099999999", 0), &mut out),
            3
        );
    }
}

#[test]
fn version_is_a_static_c_string() {
    let v = unsafe { CStr::from_ptr(acm_version()) }.to_str().unwrap();
    assert!(v.starts_with("acm ") && v.ends_with("abi 1"), "{v}");
}

#[test]
fn reason_text_matches_joined_and_is_cut_safely() {
    use crate::engine::Reasons;
    for bits in [0u32, 1, 0b101, (1 << Reason::ALL.len()) - 1] {
        let r = Reasons(bits);
        let mut buf = [1 as c_char; ACM_REASONS_LEN];
        write_reasons(&mut buf, r);
        assert_eq!(text(&buf), r.joined());
    }
    let mut small = [1 as c_char; 8];
    write_reasons(&mut small, Reasons((1 << Reason::ALL.len()) - 1));
    assert_eq!(
        text(&small),
        &Reasons((1 << Reason::ALL.len()) - 1).joined()[..7]
    );
}
