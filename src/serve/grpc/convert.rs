// SPDX-License-Identifier: MIT OR Apache-2.0
//! Between the gRPC messages and the crate's types, the HTTP face's way: a
//! request becomes the JSON object HTTP would have read and goes through the
//! same parser (so both faces accept and refuse the same calls); answers carry
//! the same fields as HTTP's JSON, taken from the same values.

use serde_json::{Map, Value};

use super::proto;
use crate::engine::call::InputError;
use crate::engine::{Alert, Call, Reason, Verdict};
use crate::serve::input;

/// The call of a request, or the field refused and why (HTTP's checks). An
/// empty string is a field left out.
pub fn call(r: &proto::CheckRequest) -> Result<Call, InputError> {
    let mut m = Map::new();
    for (k, v) in [
        ("call_id", &r.call_id),
        ("a_number", &r.a_number),
        ("b_number", &r.b_number),
        ("timestamp", &r.timestamp),
        ("source_ip", &r.source_ip),
        ("trunk", &r.trunk),
        ("pai", &r.pai),
        ("attestation", &r.attestation),
    ] {
        if !v.is_empty() {
            m.insert(k.into(), Value::String(v.clone()));
        }
    }
    input::call_from_json(&Value::Object(m))
}

/// The verdict's window count a `Verdict` field carries, by HTTP's field name.
pub fn count_field(v: &proto::Verdict, field: &str) -> Option<u32> {
    match field {
        "distinct_callers" => Some(v.distinct_callers),
        "cli_calls" => Some(v.cli_calls),
        "rotation_clis" => Some(v.rotation_clis),
        "callees" => Some(v.callees),
        _ => None,
    }
}

pub fn verdict(v: &Verdict) -> proto::Verdict {
    proto::Verdict {
        action: v.action.as_str().into(),
        reasons: v.reasons.iter().map(|r| r.code().to_string()).collect(),
        alert_id: v.alert_id.as_deref().unwrap_or_default().to_string(),
        distinct_callers: v.count(Reason::DistinctCallers),
        cli_calls: v.count(Reason::CliVelocity),
        rotation_clis: v.count(Reason::CliRotation),
        callees: v.count(Reason::CliFanout),
        a_number: v.a_number.to_string(),
        b_number: v.b_number.to_string(),
        time_ms: v.time_ms,
    }
}

pub fn alert(a: &Alert) -> proto::Alert {
    proto::Alert {
        id: a.id.to_string(),
        rule: a.rule.code().into(),
        key: a.key.to_string(),
        action: a.action.as_str().into(),
        raised_at_ms: a.raised_at_ms,
        raised_at: crate::serve::raised_at_text(a.raised_at_ms),
        window_ms: a.window_ms,
        threshold: a.threshold,
        baseline: a.baseline,
        count: a.count,
        evidence: a
            .evidence
            .iter()
            .map(|e| proto::Evidence {
                time_ms: e.time_ms,
                call_id: e.call_id.to_string(),
                a_number: e.a_number.to_string(),
                b_number: e.b_number.to_string(),
                source: e.source.to_string(),
            })
            .collect(),
    }
}

pub fn input_error(e: &InputError) -> proto::InputError {
    proto::InputError {
        field: e.field.into(),
        reason: e.reason.clone(),
    }
}

fn text(v: &Value, k: &str) -> String {
    match &v[k] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn texts(v: &Value, k: &str) -> Vec<String> {
    v[k].as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn int(v: &Value, k: &str) -> i64 {
    v[k].as_i64().unwrap_or_default()
}

fn uint(v: &Value, k: &str) -> u32 {
    v[k].as_u64().unwrap_or_default().min(u32::MAX as u64) as u32
}

/// An alert as GET /v1/alerts lists it (its JSON there).
pub fn summary(v: &Value) -> proto::AlertSummary {
    proto::AlertSummary {
        id: text(v, "id"),
        rule: text(v, "rule"),
        key: text(v, "key"),
        action: text(v, "action"),
        severity: text(v, "severity"),
        raised_at: text(v, "raised_at"),
        raised_at_ms: int(v, "raised_at_ms"),
        window_ms: uint(v, "window_ms"),
        threshold: uint(v, "threshold"),
        count: uint(v, "count"),
        a_numbers: texts(v, "a_numbers"),
        b_numbers: texts(v, "b_numbers"),
        call_ids: texts(v, "call_ids"),
        sources: texts(v, "sources"),
        mode: text(v, "mode"),
        node: text(v, "node"),
        status: text(v, "status"),
        assignee: text(v, "assignee"),
        updated_at: text(v, "updated_at"),
    }
}

/// A change as the HTTP stream's `change` event carries it (its JSON there).
pub fn change(v: &Value) -> proto::AlertChange {
    let action = v["action"].as_object().map(|_| {
        let a = &v["action"];
        proto::ActionTaken {
            action: text(a, "action"),
            list: text(a, "list"),
            entries: texts(a, "entries"),
            until_ms: int(a, "until_ms"),
            block_at_ms: int(a, "block_at_ms"),
            added: a["added"].as_u64().unwrap_or_default(),
            removed: a["removed"].as_u64().unwrap_or_default(),
            ended: texts(a, "ended"),
            not_found: texts(a, "not_found"),
            note: text(a, "note"),
        }
    });
    proto::AlertChange {
        alert_id: text(v, "alert_id"),
        kind: text(v, "kind"),
        at: text(v, "at"),
        at_ms: int(v, "at_ms"),
        actor: text(v, "actor"),
        node: text(v, "node"),
        from: text(v, "from"),
        to: text(v, "to"),
        assignee: text(v, "assignee"),
        note: text(v, "note"),
        action,
        status: text(v, "status"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rules::count_fields;

    #[test]
    fn every_count_http_shows_has_its_field() {
        // A rule with a count field needs its field in the proto too.
        let mut v = Verdict::new(1, "+1".into(), "+2".into());
        for (i, (_, rule)) in count_fields().enumerate() {
            v.counts.set(rule, 10 + i as u32);
        }
        let p = verdict(&v);
        let json = serde_json::to_value(&v).unwrap();
        for (field, _) in count_fields() {
            assert_eq!(
                count_field(&p, field).map(u64::from),
                json[field].as_u64(),
                "Verdict.{field} in proto/acm/v1/acm.proto"
            );
        }
    }

    #[test]
    fn requests_go_through_the_http_parser() {
        let r = proto::CheckRequest {
            call_id: "c1".into(),
            a_number: "+2348031234567".into(),
            b_number: "+2348039999999".into(),
            timestamp: "1672531200000".into(),
            ..Default::default()
        };
        let c = call(&r).unwrap();
        assert_eq!(c.time_ms, Some(1_672_531_200_000));
        let bad = proto::CheckRequest {
            b_number: "+2348039999999".into(),
            source_ip: "nope".into(),
            ..Default::default()
        };
        assert_eq!(call(&bad).unwrap_err().field, "source_ip");
        assert_eq!(
            call(&proto::CheckRequest::default()).unwrap_err().field,
            "b_number"
        );
    }
}
