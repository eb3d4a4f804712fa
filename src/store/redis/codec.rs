// SPDX-License-Identifier: MIT OR Apache-2.0
//! How the Redis store names its keys and packs alert evidence.
//!
//! Every key of one window update shares one hash tag — `acm:{dc:+234...}:m`
//! (members, and three markers: the key's latest time among them), `:e`
//! (evidence), `:c` (cooldown) — so the update is one script call on one node,
//! in Redis Cluster and in Dragonfly's emulated cluster alike. Evidence is
//! stored opaquely by the script as a length-prefixed record:
//! `<time>;<len>:<call id><len>:<a><len>:<b><len>:<source>`, lengths in bytes,
//! so any byte a field holds (`;`, `:`, digits) needs no escaping.

use compact_str::CompactString;

use crate::contract::{Evidence, Reason};

/// The last letter of a window's keys: members (`m`), evidence (`e`), cooldown (`c`).
pub const WINDOW_SUFFIXES: [u8; 3] = [b'm', b'e', b'c'];

/// Key names under one configurable prefix.
#[derive(Debug, Clone)]
pub struct KeyNames {
    prefix: String,
}

impl KeyNames {
    pub fn new(prefix: &str) -> KeyNames {
        KeyNames {
            prefix: prefix.to_string(),
        }
    }

    /// The three keys of a window: members, evidence, cooldown.
    pub fn window(&self, rule: Reason, key: &str) -> [String; 3] {
        WINDOW_SUFFIXES.map(|suffix| {
            let mut out = Vec::new();
            self.write_window(rule, key, suffix, &mut out);
            String::from_utf8(out).unwrap_or_default()
        })
    }

    /// Appends the name of one key of a window (`suffix`: one of
    /// [`WINDOW_SUFFIXES`]) to `out`, without building a `String`.
    pub fn write_window(&self, rule: Reason, key: &str, suffix: u8, out: &mut Vec<u8>) {
        out.extend_from_slice(self.prefix.as_bytes());
        out.extend_from_slice(b":{");
        out.extend_from_slice(rule.tag().as_bytes());
        out.push(b':');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"}:");
        out.push(suffix);
    }

    /// Appends the name of a window's own key (`suffix`: `c`, its cooldown)
    /// when the window counts in another window's members set and reads its
    /// evidence list (see [`crate::store::redis`]'s pairing): under that
    /// window's hash tag, `acm:{ds:<key>}:dc:c`, so one script call on one
    /// node serves both.
    pub fn write_paired(
        &self,
        owner: Reason,
        rule: Reason,
        key: &str,
        suffix: u8,
        out: &mut Vec<u8>,
    ) {
        out.extend_from_slice(self.prefix.as_bytes());
        out.extend_from_slice(b":{");
        out.extend_from_slice(owner.tag().as_bytes());
        out.push(b':');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"}:");
        out.extend_from_slice(rule.tag().as_bytes());
        out.push(b':');
        out.push(suffix);
    }

    /// The auto-block of an A-number.
    pub fn block(&self, number: &str) -> String {
        format!("{}:{{blk:{}}}", self.prefix, number)
    }

    /// The set holding one shared list.
    pub fn list(&self, name: &str) -> String {
        format!("{}:{{lists}}:{}", self.prefix, name)
    }

    /// The version counter bumped by every change of a shared list.
    pub fn lists_version(&self) -> String {
        format!("{}:{{lists}}:version", self.prefix)
    }
}

/// The Redis Cluster hash slot of a key: CRC16 (XMODEM) of its hash tag (the
/// part between the first `{` and the next `}`, when not empty), mod 16384.
pub fn hash_slot(key: &[u8]) -> u16 {
    let mut part = key;
    if let Some(open) = key.iter().position(|&c| c == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&c| c == b'}') {
            if len > 0 {
                part = &key[open + 1..open + 1 + len];
            }
        }
    }
    let mut crc: u16 = 0;
    for &b in part {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc % 16384
}

/// The decimal form of `v`, written at the end of `buf` (no formatter, no allocation).
pub fn int_digits(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    let mut u = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// Appends the decimal form of `v` to `out`.
pub fn put_int(out: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(int_digits(v, &mut buf));
}

/// Packs one evidence record.
pub fn encode_evidence(e: &Evidence) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        24 + e.call_id.len() + e.a_number.len() + e.b_number.len() + e.source.len(),
    );
    write_evidence(e, &mut out);
    out
}

/// Appends one packed evidence record to `out`.
pub fn write_evidence(e: &Evidence, out: &mut Vec<u8>) {
    put_int(out, e.time_ms);
    out.push(b';');
    for f in [&e.call_id, &e.a_number, &e.b_number, &e.source] {
        put_int(out, f.len() as i64);
        out.push(b':');
        out.extend_from_slice(f.as_bytes());
    }
}

/// Unpacks one evidence record; `None` when it is not one.
pub fn decode_evidence(b: &[u8]) -> Option<Evidence> {
    // A record the burst tier did not keep, in the slow tier's shared list
    // (see check.lua): marked with a leading '~'.
    let b = b.strip_prefix(b"~").unwrap_or(b);
    let semi = b.iter().position(|&c| c == b';')?;
    let time_ms: i64 = std::str::from_utf8(&b[..semi]).ok()?.parse().ok()?;
    let mut rest = &b[semi + 1..];
    let mut field = || -> Option<CompactString> {
        let colon = rest.iter().position(|&c| c == b':')?;
        let len: usize = std::str::from_utf8(&rest[..colon]).ok()?.parse().ok()?;
        let body = rest.get(colon + 1..colon + 1 + len)?;
        let s = CompactString::from(crate::store::evidence_text(body)?);
        rest = &rest[colon + 1 + len..];
        Some(s)
    };
    let call_id = field()?;
    let a_number = field()?;
    let b_number = field()?;
    let source = field()?;
    if !rest.is_empty() {
        return None;
    }
    Some(Evidence {
        time_ms,
        call_id,
        a_number,
        b_number,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_round_trips_with_awkward_bytes() {
        let e = Evidence {
            time_ms: -5,
            call_id: "a;b:12:c\u{e9}".into(),
            a_number: "+2348031234567".into(),
            b_number: "".into(),
            source: "trunk:X:Y".into(),
        };
        let packed = encode_evidence(&e);
        assert_eq!(decode_evidence(&packed), Some(e));
        assert_eq!(decode_evidence(b"12;1:a"), None);
        assert_eq!(decode_evidence(b"12;1:a1:b1:c1:dX"), None);
        assert_eq!(decode_evidence(b"x;0:0:0:0:"), None);
    }

    #[test]
    fn integers_print_as_the_formatter_prints_them() {
        for v in [0, 1, -1, 9, 10, -10, 1_796_128_230_997, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            put_int(&mut out, v);
            assert_eq!(out, v.to_string().into_bytes());
        }
    }

    #[test]
    fn hash_slots_match_redis_cluster() {
        // Reference values from `CLUSTER KEYSLOT`.
        assert_eq!(hash_slot(b"123456789"), 12739);
        assert_eq!(hash_slot(b"foo"), 12182);
        assert_eq!(hash_slot(b"{user1000}.following"), hash_slot(b"user1000"));
        assert_eq!(hash_slot(b"foo{}{bar}"), 8363);
        assert_eq!(hash_slot(b"foo{{bar}}zap"), hash_slot(b"{bar"));
        let k = KeyNames::new("acm");
        let [w, e, c] = k.window(Reason::DistinctCallers, "+234999");
        assert_eq!(hash_slot(w.as_bytes()), hash_slot(e.as_bytes()));
        assert_eq!(hash_slot(w.as_bytes()), hash_slot(c.as_bytes()));
    }

    #[test]
    fn keys_share_one_hash_tag() {
        let k = KeyNames::new("acm");
        let [w, e, c] = k.window(Reason::DistinctCallers, "+234999");
        assert_eq!(w, "acm:{dc:+234999}:m");
        assert_eq!(e, "acm:{dc:+234999}:e");
        assert_eq!(c, "acm:{dc:+234999}:c");
        assert_eq!(k.block("+2341"), "acm:{blk:+2341}");
        assert_eq!(k.lists_version(), "acm:{lists}:version");
    }
}
