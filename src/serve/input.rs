// SPDX-License-Identifier: MIT OR Apache-2.0
//! Turns request JSON or query parameters into calls, or into an error that
//! names the field and the reason. Nothing is judged until the whole request
//! has parsed, so a refused request changes no state.
//!
//! A body is read straight into [`Fields`]: each known field's value borrowed
//! from the body where it needs no unescaping, no JSON tree built. A
//! `serde_json::Value` (the gRPC face, tests) and query parameters go through
//! the same [`Fields`], so every face accepts and refuses the same calls with
//! the same words.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
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
const CALL_ID: usize = 0;
const A_NUMBER: usize = 1;
const B_NUMBER: usize = 2;
const TIMESTAMP: usize = 3;
const SOURCE_IP: usize = 4;
const TRUNK: usize = 5;
const PAI: usize = 6;
const ATTESTATION: usize = 7;

/// A field's value as the request gave it, borrowed from the body where it can be.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Text(Cow<'a, str>),
    /// A whole number, 0 or more.
    Unsigned(u64),
    /// A whole number below 0.
    Negative(i64),
    /// Anything else: a fraction, true or false, an array, an object.
    Other,
}

impl<'a> Scalar<'a> {
    fn of_value(v: &'a Value) -> Scalar<'a> {
        match v {
            Value::Null => Scalar::Null,
            Value::String(s) => Scalar::Text(Cow::Borrowed(s)),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => Scalar::Unsigned(u),
                (None, Some(i)) => Scalar::Negative(i),
                _ => Scalar::Other,
            },
            _ => Scalar::Other,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(s)))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Unsigned(n))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(match u64::try_from(n) {
            Ok(u) => Scalar::Unsigned(u),
            Err(_) => Scalar::Negative(n),
        })
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

/// A key of a call's object: a known field's index, or the unknown name.
struct Key<'a>(Result<usize, Cow<'a, str>>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Key(field_index(s).ok_or(Cow::Borrowed(s))))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Key(field_index(s).ok_or_else(|| Cow::Owned(s.to_owned()))))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

fn field_index(name: &str) -> Option<usize> {
    FIELDS.iter().position(|f| *f == name)
}

/// The fields of one call as a request gave them, not yet judged.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Fields<'a> {
    values: [Option<Scalar<'a>>; 8],
    /// The unknown field first in name order (the one an error names).
    unknown: Option<Cow<'a, str>>,
    /// Not a JSON object at all.
    not_object: bool,
}

impl<'a> Fields<'a> {
    fn set(&mut self, key: Key<'a>, value: Scalar<'a>) {
        match key.0 {
            // A field given twice: the last one counts (as JSON objects are read).
            Ok(i) => self.values[i] = Some(value),
            Err(name) => {
                if self.unknown.as_ref().is_none_or(|u| name < *u) {
                    self.unknown = Some(name);
                }
            }
        }
    }

    /// The fields of a JSON value.
    pub fn of_value(v: &'a Value) -> Fields<'a> {
        let mut f = Fields::default();
        match v {
            Value::Object(map) => f.add_map(map),
            _ => f.not_object = true,
        }
        f
    }

    fn add_map(&mut self, map: &'a Map<String, Value>) {
        for (k, v) in map {
            let key = Key(field_index(k).ok_or(Cow::Borrowed(k.as_str())));
            self.set(key, Scalar::of_value(v));
        }
    }

    /// The call these fields describe, or the first field refused and why.
    pub fn call(&self) -> Result<Call, InputError> {
        if self.not_object {
            return Err(InputError::new("body", "must be a JSON object"));
        }
        if let Some(unknown) = &self.unknown {
            return Err(InputError {
                field: "body",
                reason: format!("unknown field {unknown:?} (known: {})", FIELDS.join(", ")),
            });
        }
        let get = |i: usize| -> Result<Option<Cow<'_, str>>, InputError> {
            match &self.values[i] {
                Some(v) => text_of(FIELDS[i], v),
                None => Ok(None),
            }
        };
        let mut call = Call {
            call_id: get(CALL_ID)?.as_deref().unwrap_or_default().into(),
            a_number: get(A_NUMBER)?.as_deref().unwrap_or_default().into(),
            b_number: get(B_NUMBER)?
                .ok_or_else(|| InputError::new("b_number", "is required"))?
                .as_ref()
                .into(),
            ..Call::default()
        };
        call.time_ms = match &self.values[TIMESTAMP] {
            Some(v) => time_of(v)?,
            None => None,
        };
        if let Some(ip) = get(SOURCE_IP)?.filter(|s| !s.is_empty()) {
            call.source_ip = Some(
                ip.trim()
                    .parse()
                    .map_err(|_| InputError::new("source_ip", "is not an IPv4 or IPv6 address"))?,
            );
        }
        call.trunk = get(TRUNK)?
            .filter(|s| !s.is_empty())
            .map(|s| s.as_ref().into());
        call.pai = get(PAI)?
            .filter(|s| !s.is_empty())
            .map(|s| s.as_ref().into());
        if let Some(a) = get(ATTESTATION)? {
            call.attestation = Attestation::parse(&a)
                .ok_or_else(|| InputError::new("attestation", "must be A, B, C or empty"))?;
        }
        call.validate()?;
        Ok(call)
    }
}

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldsVisitor)
    }
}

/// Reads any JSON value: an object's fields, anything else marked as not an object
/// (read to its end, so that a syntax error is still one).
struct FieldsVisitor;

impl FieldsVisitor {
    fn not_object<'a>() -> Fields<'a> {
        Fields {
            not_object: true,
            ..Fields::default()
        }
    }
}

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut f = Fields::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.0 {
                Ok(_) => {
                    let v = map.next_value::<Scalar<'de>>()?;
                    f.set(key, v);
                }
                Err(_) => {
                    map.next_value::<IgnoredAny>()?;
                    f.set(key, Scalar::Null);
                }
            }
        }
        Ok(f)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Self::not_object())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Self::not_object())
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Self::not_object())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Self::not_object())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Self::not_object())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Self::not_object())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Self::not_object())
    }
}

fn text_of<'s>(field: &'static str, v: &'s Scalar<'_>) -> Result<Option<Cow<'s, str>>, InputError> {
    match v {
        Scalar::Null => Ok(None),
        Scalar::Text(s) => Ok(Some(Cow::Borrowed(s.as_ref()))),
        // Numbers written as JSON numbers: 2348031234567.
        Scalar::Unsigned(n) => Ok(Some(Cow::Owned(n.to_string()))),
        _ => Err(InputError::new(field, "must be a string")),
    }
}

/// Parses a timestamp: RFC 3339 text, or epoch milliseconds as a number or digits. A time
/// before 1970 is refused with its own reason (event times are epoch milliseconds, never
/// negative).
pub fn parse_time(v: &Value) -> Result<Option<i64>, InputError> {
    time_of(&Scalar::of_value(v))
}

fn time_of(v: &Scalar<'_>) -> Result<Option<i64>, InputError> {
    let bad = || {
        InputError::new(
            "timestamp",
            "must be RFC 3339 (2023-01-01T00:00:00Z) or epoch milliseconds",
        )
    };
    let t = match v {
        Scalar::Null => return Ok(None),
        Scalar::Unsigned(n) => i64::try_from(*n).map_err(|_| bad())?,
        Scalar::Negative(n) => *n,
        Scalar::Text(s) => parse_time_text(s).ok_or_else(bad)?,
        Scalar::Other => return Err(bad()),
    };
    if t < 0 {
        return Err(InputError {
            field: "timestamp",
            reason: format!(
                "{} is before 1970-01-01T00:00:00Z: event times must be 1970 or later",
                match v {
                    Scalar::Text(s) => format!("{s:?}"),
                    _ => t.to_string(),
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
    Fields::of_value(v).call()
}

/// A call from a request body: `Err` when the body is not JSON at all, else the
/// call or the field refused (as [`call_from_json`] on the parsed body).
pub fn call_from_body(body: &[u8]) -> Result<Result<Call, InputError>, serde_json::Error> {
    let fields: Fields<'_> = serde_json::from_slice(body)?;
    Ok(fields.call())
}

/// A call from query parameters (`GET /v1/check?...`), same fields and rules.
pub fn call_from_query(params: &[(String, String)]) -> Result<Call, InputError> {
    let mut f = Fields::default();
    for (i, (k, v)) in params.iter().enumerate() {
        if params[..i].iter().any(|(seen, _)| seen == k) {
            return Err(InputError {
                field: "query",
                reason: format!("parameter {k:?} given twice"),
            });
        }
        let key = Key(field_index(k).ok_or(Cow::Borrowed(k.as_str())));
        f.set(key, Scalar::Text(Cow::Borrowed(v)));
    }
    f.call()
}

/// The body of a `POST /v1/events`: the events' fields, or the shape it was not.
enum Batch<'a> {
    Events(Vec<Fields<'a>>),
    BadShape,
}

impl<'de> Deserialize<'de> for Batch<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BatchVisitor)
    }
}

struct BatchVisitor;

/// The value of `"events"`: its items when it is an array.
struct EventsSeed;

impl<'de> DeserializeSeed<'de> for EventsSeed {
    type Value = Option<Vec<Fields<'de>>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Vec<Fields<'de>>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                BatchVisitor.visit_seq(seq).map(|b| match b {
                    Batch::Events(e) => Some(e),
                    Batch::BadShape => None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Visitor<'de> for BatchVisitor {
    type Value = Batch<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(f) = seq.next_element::<Fields<'de>>()? {
            items.push(f);
        }
        Ok(Batch::Events(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Only `{"events": [...]}`: one key (given twice, the last counts).
        let mut events = None;
        let mut other_key = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "events" {
                events = Some(map.next_value_seed(EventsSeed)?);
            } else {
                map.next_value::<IgnoredAny>()?;
                other_key = true;
            }
        }
        Ok(match events {
            Some(Some(items)) if !other_key => Batch::Events(items),
            _ => Batch::BadShape,
        })
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Batch::BadShape)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Batch::BadShape)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Batch::BadShape)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Batch::BadShape)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Batch::BadShape)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Batch::BadShape)
    }
}

fn calls_of(batch: Batch<'_>, max: usize) -> Result<Vec<Call>, InputError> {
    let items = match batch {
        Batch::Events(items) => items,
        Batch::BadShape => {
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
            item.call().map_err(|e| InputError {
                field: e.field,
                reason: format!("event {i}: {}", e.reason),
            })
        })
        .collect()
}

/// The calls of a `POST /v1/events` body: `{"events": [...]}` or a bare array.
pub fn calls_from_batch(v: &Value, max: usize) -> Result<Vec<Call>, InputError> {
    let batch = match v {
        Value::Array(a) => Batch::Events(a.iter().map(Fields::of_value).collect()),
        Value::Object(m) => match m.get("events") {
            Some(Value::Array(a)) if m.len() == 1 => {
                Batch::Events(a.iter().map(Fields::of_value).collect())
            }
            _ => Batch::BadShape,
        },
        _ => Batch::BadShape,
    };
    calls_of(batch, max)
}

/// [`calls_from_batch`] on a request body: `Err` when the body is not JSON at all.
pub fn calls_from_body(
    body: &[u8],
    max: usize,
) -> Result<Result<Vec<Call>, InputError>, serde_json::Error> {
    let batch: Batch<'_> = serde_json::from_slice(body)?;
    Ok(calls_of(batch, max))
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

    #[test]
    fn bodies_read_as_their_json_trees_are() {
        let bodies = [
            r#"{"call_id":"1","a_number":"+111","b_number":"+234999","timestamp":"2023-01-01T00:00:00Z"}"#,
            r#"{"b_number":2348031234567,"a_number":"+2348031234568","timestamp":1672531200000}"#,
            r#"{"b_number":"+234\u0038031234567","call_id":"a\"b","a_n\u0075mber":"+1"}"#,
            r#"{"b_number":"+1","b_number":"+2348031234567"}"#,
            r#"{"b_number":"+2348031234567","zeta":1,"alpha":[1,{"x":2}]}"#,
            r#"{"b_number":-5}"#,
            r#"{"b_number":1.5}"#,
            r#"{"b_number":true}"#,
            r#"{"b_number":null}"#,
            r#"{"b_number":{"x":[1]}}"#,
            r#"{"b_number":"+2348031234567","timestamp":-5}"#,
            r#"{"b_number":"+2348031234567","timestamp":1.5}"#,
            r#"{"b_number":"+2348031234567","timestamp":"1969-12-31T23:59:59Z"}"#,
            r#"{"b_number":"+2348031234567","timestamp":18446744073709551615}"#,
            r#"{"b_number":"+2348031234567","timestamp":"yesterday"}"#,
            r#"{"b_number":"+2348031234567","timestamp":null,"call_id":7}"#,
            r#"{"b_number":"+2348031234567","source_ip":" 10.0.0.1 ","trunk":"","pai":"+2348031234568","attestation":"a"}"#,
            r#"{"b_number":"+2348031234567","source_ip":"nope"}"#,
            r#"{"b_number":"+2348031234567","attestation":"Z"}"#,
            r#"{}"#,
            r#"[1,2]"#,
            r#""text""#,
            "5",
            "null",
        ];
        for b in bodies {
            let tree: Value = serde_json::from_str(b).unwrap();
            assert_eq!(
                call_from_body(b.as_bytes()).unwrap(),
                call_from_json(&tree),
                "{b}"
            );
        }
        // Unknown fields: the first by name is named, whatever their order.
        let e = call_from_body(br#"{"zeta":1,"b_number":"+1","alpha":2}"#)
            .unwrap()
            .unwrap_err();
        assert_eq!(e.field, "body");
        assert!(
            e.reason.starts_with("unknown field \"alpha\""),
            "{}",
            e.reason
        );
        // An escaped value is read as its text.
        let c = call_from_body(br#"{"b_number":"+2348031234567","call_id":"a\"b\u00e9"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(c.call_id, "a\"bé");
        // Not JSON: the parser's error, whatever the fields before it.
        for b in [
            r#"{"b_number":"+1""#,
            r#"{"colour":"red",}"#,
            "[1,2",
            "{} x",
            "",
        ] {
            assert!(call_from_body(b.as_bytes()).is_err(), "{b}");
            assert!(serde_json::from_str::<Value>(b).is_err(), "{b}");
        }
    }

    #[test]
    fn batch_bodies_read_as_their_json_trees_are() {
        let bodies = [
            r#"{"events":[{"b_number":"+2348099999999"},{"b_number":"+2348099999998"}]}"#,
            r#"[{"b_number":"+2348099999999"},{"a_number":"+1"}]"#,
            r#"[{"b_number":"+2348099999999"},[1],"x"]"#,
            r#"{"events":[{"b_number":"+2348099999999"}],"more":1}"#,
            r#"{"events":{"b_number":"+2348099999999"}}"#,
            r#"{"events":"x"}"#,
            r#"{"evts":[]}"#,
            r#"{"events":[]}"#,
            r#"[]"#,
            r#"7"#,
            r#"[{},{},{}]"#,
        ];
        for b in bodies {
            let tree: Value = serde_json::from_str(b).unwrap();
            for max in [1, 2, 10] {
                assert_eq!(
                    calls_from_body(b.as_bytes(), max).unwrap(),
                    calls_from_batch(&tree, max),
                    "{b} (max {max})"
                );
            }
        }
        assert!(calls_from_body(b"{\"events\":[{}]", 10).is_err());
    }
}
