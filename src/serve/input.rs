// SPDX-License-Identifier: MIT OR Apache-2.0
//! Turns request JSON or query parameters into calls, or into an error that
//! names the field and the reason. Nothing is judged until the whole request
//! has parsed, so a refused request changes no state.

use serde_json::{Map, Value};

use crate::engine::call::{Attestation, Call, InputError};

/// Fields a call may carry. `timestamp` is RFC 3339 or epoch milliseconds.
pub const FIELDS: [&str; 8] = [
    "call_id",
    "a_number",
    "b_number",
    "timestamp",
    "source_ip",
    "trunk",
    "pai",
    "attestation",
];

fn text_of(field: &'static str, v: &Value) -> Result<Option<String>, InputError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        // Numbers written as JSON numbers: 2348031234567.
        Value::Number(n) if n.is_u64() => Ok(Some(n.to_string())),
        _ => Err(InputError::new(field, "must be a string")),
    }
}

/// Parses a timestamp: RFC 3339 text, or epoch milliseconds as a number or digits. A time
/// before 1970 is refused with its own reason (event times are epoch milliseconds, never
/// negative).
pub fn parse_time(v: &Value) -> Result<Option<i64>, InputError> {
    let bad = || {
        InputError::new(
            "timestamp",
            "must be RFC 3339 (2023-01-01T00:00:00Z) or epoch milliseconds",
        )
    };
    let t = match v {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_i64().ok_or_else(bad)?,
        Value::String(s) => parse_time_text(s).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if t < 0 {
        return Err(InputError {
            field: "timestamp",
            reason: format!(
                "{} is before 1970-01-01T00:00:00Z: event times must be 1970 or later",
                match v {
                    Value::String(s) => format!("{s:?}"),
                    other => other.to_string(),
                }
            ),
        });
    }
    Ok(Some(t))
}

fn parse_time_text(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok();
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// A call from a JSON object.
pub fn call_from_json(v: &Value) -> Result<Call, InputError> {
    let Value::Object(map) = v else {
        return Err(InputError::new("body", "must be a JSON object"));
    };
    call_from_map(map)
}

fn call_from_map(map: &Map<String, Value>) -> Result<Call, InputError> {
    if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(InputError {
            field: "body",
            reason: format!("unknown field {unknown:?} (known: {})", FIELDS.join(", ")),
        });
    }
    let get = |f: &'static str| -> Result<Option<String>, InputError> {
        match map.get(f) {
            Some(v) => text_of(f, v),
            None => Ok(None),
        }
    };
    let mut call = Call {
        call_id: get("call_id")?.unwrap_or_default().into(),
        a_number: get("a_number")?.unwrap_or_default().into(),
        b_number: get("b_number")?
            .ok_or_else(|| InputError::new("b_number", "is required"))?
            .into(),
        ..Call::default()
    };
    call.time_ms = match map.get("timestamp") {
        Some(v) => parse_time(v)?,
        None => None,
    };
    if let Some(ip) = get("source_ip")?.filter(|s| !s.is_empty()) {
        call.source_ip = Some(
            ip.trim()
                .parse()
                .map_err(|_| InputError::new("source_ip", "is not an IPv4 or IPv6 address"))?,
        );
    }
    call.trunk = get("trunk")?.filter(|s| !s.is_empty()).map(Into::into);
    call.pai = get("pai")?.filter(|s| !s.is_empty()).map(Into::into);
    if let Some(a) = get("attestation")? {
        call.attestation = Attestation::parse(&a)
            .ok_or_else(|| InputError::new("attestation", "must be A, B, C or empty"))?;
    }
    call.validate()?;
    Ok(call)
}

/// A call from query parameters (`GET /v1/check?...`), same fields and rules.
pub fn call_from_query(params: &[(String, String)]) -> Result<Call, InputError> {
    let mut map = Map::new();
    for (k, v) in params {
        if map.insert(k.clone(), Value::String(v.clone())).is_some() {
            return Err(InputError {
                field: "query",
                reason: format!("parameter {k:?} given twice"),
            });
        }
    }
    call_from_map(&map)
}

/// The calls of a `POST /v1/events` body: `{"events": [...]}` or a bare array.
pub fn calls_from_batch(v: &Value, max: usize) -> Result<Vec<Call>, InputError> {
    let items = match v {
        Value::Array(a) => a,
        Value::Object(m) => match m.get("events") {
            Some(Value::Array(a)) if m.len() == 1 => a,
            _ => {
                return Err(InputError::new(
                    "events",
                    "body must be {\"events\": [...]} or an array",
                ))
            }
        },
        _ => {
            return Err(InputError::new(
                "events",
                "body must be {\"events\": [...]} or an array",
            ))
        }
    };
    if items.len() > max {
        return Err(InputError::new(
            "events",
            format!("{} events; at most {max} per request", items.len()),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            call_from_json(item).map_err(|e| InputError {
                field: e.field,
                reason: format!("event {i}: {}", e.reason),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_seed_event_parses() {
        let c = call_from_json(&json!({"call_id":"1","a_number":"+111","b_number":"+234999","timestamp":"2023-01-01T00:00:00Z"}))
            .unwrap();
        assert_eq!(c.call_id, "1");
        assert_eq!(c.time_ms, Some(1_672_531_200_000));
    }

    #[test]
    fn times_in_both_forms() {
        assert_eq!(
            parse_time(&json!(1_672_531_200_000i64)).unwrap(),
            Some(1_672_531_200_000)
        );
        assert_eq!(
            parse_time(&json!("1672531200000")).unwrap(),
            Some(1_672_531_200_000)
        );
        assert_eq!(
            parse_time(&json!("2023-01-01T01:00:00+01:00")).unwrap(),
            Some(1_672_531_200_000)
        );
        assert_eq!(
            parse_time(&json!("yesterday")).unwrap_err().field,
            "timestamp"
        );
        assert_eq!(parse_time(&json!(-1)).unwrap_err().field, "timestamp");
        // A valid RFC 3339 time before 1970 says so, not "must be RFC 3339".
        let e = parse_time(&json!("1969-12-31T23:59:59Z")).unwrap_err();
        assert_eq!(e.field, "timestamp");
        assert!(e.reason.contains("before 1970"), "{}", e.reason);
        assert!(parse_time(&json!(-5))
            .unwrap_err()
            .reason
            .contains("before 1970"));
        assert_eq!(parse_time(&json!("1970-01-01T00:00:00Z")).unwrap(), Some(0));
    }

    #[test]
    fn errors_name_the_field() {
        let e = |v: Value| call_from_json(&v).unwrap_err();
        assert_eq!(e(json!({"a_number":"+1"})).field, "b_number");
        assert_eq!(e(json!({"b_number": ["x"]})).field, "b_number");
        assert_eq!(
            e(json!({"b_number":"1","source_ip":"nope"})).field,
            "source_ip"
        );
        assert_eq!(
            e(json!({"b_number":"1","attestation":"Z"})).field,
            "attestation"
        );
        assert!(e(json!({"b_number":"1","b_numbr":"2"}))
            .reason
            .contains("b_numbr"));
        assert_eq!(e(json!("text")).field, "body");
    }

    #[test]
    fn batches_are_bounded_and_all_or_nothing() {
        let ok = json!({"events":[{"b_number":"+2348099999999"},{"b_number":"+2348099999998"}]});
        assert_eq!(calls_from_batch(&ok, 10).unwrap().len(), 2);
        assert_eq!(calls_from_batch(&ok, 1).unwrap_err().field, "events");
        let bad = json!([{"b_number":"+2348099999999"},{"a_number":"+1"}]);
        let e = calls_from_batch(&bad, 10).unwrap_err();
        assert_eq!(e.field, "b_number");
        assert!(e.reason.starts_with("event 1"));
    }
}
