// SPDX-License-Identifier: MIT OR Apache-2.0
//! The ClickHouse row shapes of `calls` and `alerts` (RowBinary, field order = column order in
//! `sql/migrations`), borrowed from the records so a batch is serialised without copies.

use crate::pipeline::record::{AlertEventRecord, AlertRecord, CallRecord};
use serde::Serialize;

#[derive(clickhouse::Row, Serialize)]
pub struct CallRow<'a> {
    /// Date: days since 1970-01-01.
    pub event_date: u16,
    /// DateTime: seconds since the epoch.
    pub event_time: u32,
    pub event_time_ms: i64,
    pub call_id: &'a str,
    pub a_number: &'a str,
    pub b_number: &'a str,
    pub source_ip: &'a str,
    pub trunk: &'a str,
    pub pai: &'a str,
    pub attestation: &'a str,
    /// Enum8('allow' = 1, 'flag' = 2, 'block' = 3)
    pub action: i8,
    pub reasons: &'a [String],
    pub alert_id: &'a str,
    pub distinct_callers: u32,
    pub cli_calls: u32,
    pub rotation_clis: u32,
    pub check_us: u32,
    pub degraded: u8,
    pub mode: &'a str,
    pub node: &'a str,
}

#[derive(clickhouse::Row, Serialize)]
pub struct AlertRow<'a> {
    pub event_date: u16,
    pub raised_at: u32,
    pub raised_at_ms: i64,
    pub alert_id: &'a str,
    pub rule: &'a str,
    pub key: &'a str,
    pub action: i8,
    pub window_ms: u32,
    pub threshold: u32,
    pub count: u32,
    pub a_numbers: &'a [String],
    pub call_ids: &'a [String],
    pub sources: &'a [String],
    pub mode: &'a str,
    pub node: &'a str,
    pub severity: &'a str,
}

#[derive(clickhouse::Row, Serialize)]
pub struct AlertEventRow<'a> {
    pub event_date: u16,
    pub at: u32,
    pub at_ms: i64,
    pub alert_id: &'a str,
    pub kind: &'a str,
    pub from_status: &'a str,
    pub to_status: &'a str,
    pub actor: &'a str,
    pub note: &'a str,
    pub node: &'a str,
}

impl<'a> From<&'a AlertEventRecord> for AlertEventRow<'a> {
    fn from(r: &'a AlertEventRecord) -> Self {
        let (event_date, at) = date_and_time(r.at_ms);
        AlertEventRow {
            event_date,
            at,
            at_ms: r.at_ms,
            alert_id: &r.alert_id,
            kind: &r.kind,
            from_status: &r.from_status,
            to_status: &r.to_status,
            actor: &r.actor,
            note: &r.note,
            node: &r.node,
        }
    }
}

/// (Date, DateTime) of a millisecond timestamp, clamped to the types' ranges.
fn date_and_time(ms: i64) -> (u16, u32) {
    let secs = ms.div_euclid(1000).clamp(0, u32::MAX as i64);
    ((secs / 86_400).min(u16::MAX as i64) as u16, secs as u32)
}

impl<'a> From<&'a CallRecord> for CallRow<'a> {
    fn from(r: &'a CallRecord) -> Self {
        let (event_date, event_time) = date_and_time(r.event_time_ms);
        CallRow {
            event_date,
            event_time,
            event_time_ms: r.event_time_ms,
            call_id: &r.call_id,
            a_number: &r.a_number,
            b_number: &r.b_number,
            source_ip: &r.source_ip,
            trunk: &r.trunk,
            pai: &r.pai,
            attestation: &r.attestation,
            action: r.action.enum8(),
            reasons: &r.reasons,
            alert_id: &r.alert_id,
            distinct_callers: r.distinct_callers,
            cli_calls: r.cli_calls,
            rotation_clis: r.rotation_clis,
            check_us: r.check_us,
            degraded: r.degraded as u8,
            mode: &r.mode,
            node: &r.node,
        }
    }
}

impl<'a> From<&'a AlertRecord> for AlertRow<'a> {
    fn from(r: &'a AlertRecord) -> Self {
        let (event_date, raised_at) = date_and_time(r.raised_at_ms);
        AlertRow {
            event_date,
            raised_at,
            raised_at_ms: r.raised_at_ms,
            alert_id: &r.alert_id,
            rule: &r.rule,
            key: &r.key,
            action: r.action.enum8(),
            window_ms: r.window_ms,
            threshold: r.threshold,
            count: r.count,
            a_numbers: &r.a_numbers,
            call_ids: &r.call_ids,
            sources: &r.sources,
            mode: &r.mode,
            node: &r.node,
            severity: &r.severity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_and_time(0), (0, 0));
        assert_eq!(date_and_time(86_400_999), (1, 86_400));
        assert_eq!(date_and_time(-5), (0, 0));
    }
}
