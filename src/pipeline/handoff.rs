// SPDX-License-Identifier: MIT OR Apache-2.0
//! The call path's records in the hand-off ring (`ring`): a judged call or a raised alert,
//! written straight from the engine's verdict into the mapped file (no allocation, no
//! syscall), and read back by the drainer, or after a crash by the process that adopts the
//! ring. A compact binary form, little endian, strings as `u16` length + bytes:
//!
//! - call (kind 1): action, attestation, flags (degraded; trunk, PAI, alert id present; IP
//!   version), reasons, event time, the three window counts, check µs, the source IP, then
//!   call id, A-number, B-number and the optional strings;
//! - alert (kind 2): action, rule, severity, window, raise time, threshold, count, then id,
//!   key and the evidence (A-number, call id, source of each).
//!
//! The node name and mode are the process's, stored once in the ring's header.

use std::net::IpAddr;
use std::sync::Arc;

use anyhow::{bail, Result};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::config::Severity;
use crate::engine::{Action, Alert, Attestation, Call, Reason, Reasons, Verdict};
use crate::pipeline::outbox::{CallId, CheckedCall, RecordMeta};
use crate::pipeline::record::AlertRecord;
use crate::pipeline::ring::Ring;

const KIND_CALL: u8 = 1;
const KIND_ALERT: u8 = 2;
const FLAG_DEGRADED: u8 = 1;
const FLAG_TRUNK: u8 = 2;
const FLAG_PAI: u8 = 4;
const FLAG_ALERT_ID: u8 = 8;
const FLAG_V4: u8 = 16;
const FLAG_V6: u8 = 32;
/// Fixed part of a call record.
const CALL_FIXED: usize = 32;
/// Fixed part of an alert record.
const ALERT_FIXED: usize = 24;

/// What a ring's creator leaves in its header for an adopter.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RingMeta {
    pub node: String,
    pub mode: String,
}

/// The producer's side of a ring: one writer at a time (the lock), sealed at shutdown.
pub struct HandOff {
    ring: Arc<Ring>,
    /// True once the drainer has taken its last look: later records are refused.
    sealed: parking_lot::Mutex<bool>,
}

/// Why a record did not go into the ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Full (or the record too large): the in-memory hand-off takes it, counted.
    Full,
    /// The pipeline is shut down.
    Sealed,
}

impl std::fmt::Debug for HandOff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandOff")
            .field("ring", &self.ring.path())
            .finish()
    }
}

impl HandOff {
    pub fn new(ring: Arc<Ring>) -> HandOff {
        HandOff {
            ring,
            sealed: parking_lot::Mutex::new(false),
        }
    }

    pub fn ring(&self) -> &Arc<Ring> {
        &self.ring
    }

    /// Writes one judged call.
    #[inline]
    pub fn put_call(&self, call: &Call, v: &Verdict, check_us: u32) -> Result<(), Refused> {
        let Some(len) = call_len(call, v) else {
            return Err(Refused::Full);
        };
        let sealed = self.sealed.lock();
        if *sealed {
            return Err(Refused::Sealed);
        }
        if self
            .ring
            .append(len, |buf| encode_call(buf, call, v, check_us))
        {
            Ok(())
        } else {
            Err(Refused::Full)
        }
    }

    /// Writes one raised alert with the severity of its rule.
    pub fn put_alert(&self, a: &Alert, severity: Severity) -> Result<(), Refused> {
        let Some(len) = alert_len(a) else {
            return Err(Refused::Full);
        };
        let sealed = self.sealed.lock();
        if *sealed {
            return Err(Refused::Sealed);
        }
        if self.ring.append(len, |buf| encode_alert(buf, a, severity)) {
            Ok(())
        } else {
            Err(Refused::Full)
        }
    }

    /// Refuses every later record; waits a little for a producer holding the lock, and
    /// gives up on one that never lets go (a worker parked by its exit signal mid-write:
    /// its record is not committed, so nothing is lost by not waiting).
    pub fn seal(&self) {
        if let Some(mut s) = self
            .sealed
            .try_lock_for(std::time::Duration::from_millis(50))
        {
            *s = true;
        }
    }
}

fn str_len(s: &str) -> Option<usize> {
    (s.len() <= u16::MAX as usize).then_some(2 + s.len())
}

fn call_len(call: &Call, v: &Verdict) -> Option<usize> {
    let mut n = CALL_FIXED + 16;
    n += str_len(&call.call_id)?;
    n += str_len(&v.a_number)?;
    n += str_len(&v.b_number)?;
    if let Some(t) = &call.trunk {
        n += str_len(t)?;
    }
    if let Some(p) = &call.pai {
        n += str_len(p)?;
    }
    if let Some(a) = &v.alert_id {
        n += str_len(a)?;
    }
    Some(n)
}

/// Writes into a slice known to be large enough (computed by the `*_len` functions).
struct Out<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl Out<'_> {
    #[inline]
    fn bytes(&mut self, b: &[u8]) {
        self.buf[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
    }
    #[inline]
    fn str(&mut self, s: &str) {
        self.bytes(&(s.len() as u16).to_le_bytes());
        self.bytes(s.as_bytes());
    }
}

fn encode_call(buf: &mut [u8], call: &Call, v: &Verdict, check_us: u32) {
    let mut flags = 0u8;
    if v.degraded() {
        flags |= FLAG_DEGRADED;
    }
    if call.trunk.is_some() {
        flags |= FLAG_TRUNK;
    }
    if call.pai.is_some() {
        flags |= FLAG_PAI;
    }
    if v.alert_id.is_some() {
        flags |= FLAG_ALERT_ID;
    }
    let mut ip = [0u8; 16];
    match call.source_ip {
        Some(IpAddr::V4(a)) => {
            flags |= FLAG_V4;
            ip[..4].copy_from_slice(&a.octets());
        }
        Some(IpAddr::V6(a)) => {
            flags |= FLAG_V6;
            ip = a.octets();
        }
        None => {}
    }
    let mut o = Out { buf, at: 0 };
    o.bytes(&[KIND_CALL, v.action as u8, call.attestation as u8, flags]);
    o.bytes(&v.reasons.0.to_le_bytes());
    o.bytes(&v.time_ms.to_le_bytes());
    o.bytes(&v.count(Reason::DistinctCallers).to_le_bytes());
    o.bytes(&v.count(Reason::CliVelocity).to_le_bytes());
    o.bytes(&v.count(Reason::CliRotation).to_le_bytes());
    o.bytes(&check_us.to_le_bytes());
    o.bytes(&ip);
    o.str(&call.call_id);
    o.str(&v.a_number);
    o.str(&v.b_number);
    if let Some(t) = &call.trunk {
        o.str(t);
    }
    if let Some(p) = &call.pai {
        o.str(p);
    }
    if let Some(a) = &v.alert_id {
        o.str(a);
    }
    debug_assert_eq!(o.at, o.buf.len());
}

fn alert_len(a: &Alert) -> Option<usize> {
    let mut n = ALERT_FIXED + str_len(&a.id)? + str_len(&a.key)? + 2;
    if a.evidence.len() > u16::MAX as usize {
        return None;
    }
    for e in &a.evidence {
        n += str_len(&e.a_number)? + str_len(&e.call_id)? + str_len(&e.source)?;
    }
    Some(n)
}

fn encode_alert(buf: &mut [u8], a: &Alert, severity: Severity) {
    let mut o = Out { buf, at: 0 };
    o.bytes(&[KIND_ALERT, a.action as u8, a.rule as u8, severity as u8]);
    o.bytes(&a.window_ms.to_le_bytes());
    o.bytes(&a.raised_at_ms.to_le_bytes());
    o.bytes(&a.threshold.to_le_bytes());
    o.bytes(&a.count.to_le_bytes());
    o.str(&a.id);
    o.str(&a.key);
    o.bytes(&(a.evidence.len() as u16).to_le_bytes());
    for e in &a.evidence {
        o.str(&e.a_number);
        o.str(&e.call_id);
        o.str(&e.source);
    }
    debug_assert_eq!(o.at, o.buf.len());
}

/// A record read back from a ring.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    Call(CheckedCall),
    Alert(AlertRecord),
}

struct In<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() - self.at < n {
            bail!("record cut short");
        }
        let b = &self.buf[self.at..self.at + n];
        self.at += n;
        Ok(b)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into()?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into()?))
    }
    fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into()?))
    }
    fn str(&mut self) -> Result<&'a str> {
        let n = self.u16()? as usize;
        Ok(std::str::from_utf8(self.take(n)?)?)
    }
}

fn action(code: u8) -> Result<Action> {
    match Action::ALL.get(code as usize) {
        Some(a) => Ok(*a),
        None => bail!("bad action {code}"),
    }
}

/// Reads one record; `meta` is the node and mode of the process that wrote it.
pub fn decode(payload: &[u8], meta: &RecordMeta) -> Result<Decoded> {
    let mut r = In {
        buf: payload,
        at: 0,
    };
    match r.u8()? {
        KIND_CALL => {
            let action = action(r.u8()?)?;
            let attestation = match r.u8()? {
                0 => Attestation::None,
                1 => Attestation::A,
                2 => Attestation::B,
                3 => Attestation::C,
                x => bail!("bad attestation {x}"),
            };
            let flags = r.u8()?;
            let reasons = Reasons(r.u32()?);
            let time_ms = r.i64()?;
            let distinct_callers = r.u32()?;
            let cli_calls = r.u32()?;
            let rotation_clis = r.u32()?;
            let check_us = r.u32()?;
            let ip: [u8; 16] = r.take(16)?.try_into()?;
            let source_ip = if flags & FLAG_V4 != 0 {
                Some(IpAddr::from([ip[0], ip[1], ip[2], ip[3]]))
            } else if flags & FLAG_V6 != 0 {
                Some(IpAddr::from(ip))
            } else {
                None
            };
            let call_id = CallId::new(r.str()?);
            let a_number = CompactString::from(r.str()?);
            let b_number = CompactString::from(r.str()?);
            let mut opt = |flag: u8| -> Result<Option<CompactString>> {
                Ok(if flags & flag != 0 {
                    Some(CompactString::from(r.str()?))
                } else {
                    None
                })
            };
            let trunk = opt(FLAG_TRUNK)?;
            let pai = opt(FLAG_PAI)?;
            let alert_id = opt(FLAG_ALERT_ID)?;
            Ok(Decoded::Call(CheckedCall {
                call_id,
                a_number,
                b_number,
                trunk,
                pai,
                alert_id,
                source_ip,
                time_ms,
                reasons,
                distinct_callers,
                cli_calls,
                rotation_clis,
                check_us,
                action,
                attestation,
                degraded: flags & FLAG_DEGRADED != 0,
            }))
        }
        KIND_ALERT => {
            let action = action(r.u8()?)?;
            let rule = r.u8()?;
            let Some(rule) = Reason::ALL.get(rule as usize) else {
                bail!("bad rule {rule}");
            };
            let severity = match Severity::ALL.get(r.u8()? as usize) {
                Some(s) => *s,
                None => bail!("bad severity"),
            };
            let window_ms = r.u32()?;
            let raised_at_ms = r.i64()?;
            let threshold = r.u32()?;
            let count = r.u32()?;
            let alert_id = r.str()?.to_string();
            let key = r.str()?.to_string();
            let n = r.u16()? as usize;
            let mut a_numbers = Vec::with_capacity(n);
            let mut call_ids = Vec::with_capacity(n);
            let mut sources = Vec::new();
            for _ in 0..n {
                a_numbers.push(r.str()?.to_string());
                call_ids.push(r.str()?.to_string());
                let s = r.str()?;
                if !s.is_empty() {
                    sources.push(s.to_string());
                }
            }
            sources.sort();
            sources.dedup();
            Ok(Decoded::Alert(AlertRecord {
                alert_id,
                raised_at_ms,
                rule: rule.code().to_string(),
                key,
                action,
                window_ms,
                threshold,
                count,
                a_numbers,
                call_ids,
                sources,
                mode: meta.mode.to_string(),
                node: meta.node.clone(),
                severity: severity.as_str().to_string(),
            }))
        }
        k => bail!("unknown record kind {k}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::contract::Evidence;
    use crate::pipeline::outbox::EventOut;
    use crate::pipeline::ring::Read;
    use crate::pipeline::Pipeline;

    fn verdict(call: &Call) -> Verdict {
        let engine = crate::engine::Engine::from_config(
            &Config::default(),
            Arc::new(crate::clock::ManualClock::new(1_700_000_000_000)),
        )
        .unwrap();
        let store = crate::store::MemoryStore::new(Default::default());
        crate::detector::Detector::new(Arc::new(engine), Arc::new(store))
            .check_now(call)
            .unwrap()
    }

    #[test]
    fn a_call_and_an_alert_read_back_as_the_rows_they_would_have_made() {
        let dir = tempfile::tempdir().unwrap();
        let ring = Arc::new(Ring::create(dir.path(), 1 << 16, "{}").unwrap());
        let h = HandOff::new(ring.clone());
        let cfg = Config::default();
        let out = EventOut::new(Pipeline::disabled().sink(), &cfg);
        let meta = RecordMeta::for_tests();
        let mut calls = vec![
            Call::new("c-1", "+2348031234567", "+2348037654321").at(1_700_000_000_000),
            Call::new(&"x".repeat(200), "0803 123 4567", "+2348037654321").at(1_700_000_000_001),
        ];
        calls[1].trunk = Some("intl-1".into());
        calls[1].pai = Some("+2348031111111".into());
        calls[1].source_ip = Some("2001:db8::1".parse().unwrap());
        calls[1].attestation = Attestation::C;
        calls[0].source_ip = Some("10.1.2.3".parse().unwrap());
        for c in &calls {
            let v = verdict(c);
            h.put_call(c, &v, 42).unwrap();
        }
        let alert = Alert {
            id: "dc-1-2".into(),
            rule: Reason::DistinctCallers,
            key: "+2348037654321".into(),
            action: Action::Block,
            raised_at_ms: 1_700_000_000_005,
            window_ms: 5000,
            threshold: 5,
            baseline: None,
            count: 5,
            evidence: (0..5)
                .map(|i| Evidence {
                    time_ms: i,
                    call_id: format!("e{i}").into(),
                    a_number: format!("+23480300000{i}").into(),
                    b_number: "+2348037654321".into(),
                    source: if i % 2 == 0 { "10.0.0.1" } else { "" }.into(),
                })
                .collect(),
        };
        h.put_alert(&alert, Severity::High).unwrap();

        let mut pos = 0;
        let mut got = Vec::new();
        while pos < ring.write_pos() {
            let Read::Record { payload, next } = ring.read(pos) else {
                panic!("corrupt")
            };
            got.push(decode(payload, &meta).unwrap());
            pos = next;
        }
        assert_eq!(got.len(), 3);
        for (c, d) in calls.iter().zip(&got) {
            let v = verdict(c);
            let Decoded::Call(checked) = d else {
                panic!("{d:?}")
            };
            let mut want = out.call_record(c, &v, 42);
            want.mode = "enforce".into();
            want.node = "test".into();
            assert_eq!(checked.record(&meta), want);
        }
        let Decoded::Alert(a) = &got[2] else { panic!() };
        let mut want = meta.alert_record(&alert);
        want.severity = "high".into();
        assert_eq!(*a, want);

        h.seal();
        let c = &calls[0];
        assert_eq!(h.put_call(c, &verdict(c), 1), Err(Refused::Sealed));
    }

    #[test]
    fn garbage_is_refused_not_trusted() {
        let meta = RecordMeta::for_tests();
        for bad in [&[][..], &[9], &[1, 5, 0, 0], &[2, 0, 99, 0, 0, 0, 0, 0]] {
            assert!(decode(bad, &meta).is_err(), "{bad:?}");
        }
    }
}
