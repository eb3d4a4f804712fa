// SPDX-License-Identifier: MIT OR Apache-2.0
//! The config as `acm check-config` and the dashboard show it: every default
//! filled in, secrets replaced by `"<redacted>"` (webhook secrets, passwords,
//! the old admin token, a password in a URL's user info). Token hashes stay:
//! they are SHA-256 of 256-bit random tokens, not the tokens.

use super::Config;

/// What stands in for a secret.
pub const REDACTED: &str = "<redacted>";

/// Keys whose string value is a secret wherever they appear.
const SECRET_KEYS: &[&str] = &["secret", "password", "admin_token"];

/// `scheme://user:pass@host` → `scheme://user:<redacted>@host`; other text unchanged.
fn redact_url(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once("://") else {
        return s.to_string();
    };
    let (auth_end, _) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let Some(at) = auth_end.rfind('@') else {
        return s.to_string();
    };
    let userinfo = &auth_end[..at];
    let user = match userinfo.split_once(':') {
        Some((u, _)) => format!("{u}:{REDACTED}"),
        None if userinfo.is_empty() => return s.to_string(),
        // redis://secret@host: a lone user info is a password for Redis.
        None => REDACTED.to_string(),
    };
    format!("{scheme}://{user}{}", &rest[at..])
}

fn walk(v: &mut toml::Value) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t.iter_mut() {
                match v {
                    toml::Value::String(s) if SECRET_KEYS.contains(&k.as_str()) => {
                        if !s.is_empty() {
                            *s = REDACTED.to_string();
                        }
                    }
                    _ => walk(v),
                }
            }
        }
        toml::Value::Array(a) => a.iter_mut().for_each(walk),
        toml::Value::String(s) => *s = redact_url(s),
        _ => {}
    }
}

impl Config {
    /// The config with every default and no secret, as a TOML value.
    pub fn redacted(&self) -> toml::Value {
        let mut v = toml::Value::try_from(self).unwrap_or(toml::Value::Table(Default::default()));
        walk(&mut v);
        v
    }

    /// [`Config::redacted`] as TOML text.
    pub fn redacted_toml(&self) -> String {
        toml::to_string_pretty(&self.redacted()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let mut cfg = Config::default();
        cfg.serve.admin_token = "legacy-admin".into();
        cfg.webhooks.receivers.push(
            toml::from_str(
                "name = \"soc\"\nurl = \"http://u:pw@127.0.0.1:9/h\"\nsecret = \"whsec_c2VjcmV0\"",
            )
            .unwrap(),
        );
        let text = cfg.redacted_toml();
        for secret in ["legacy-admin", "whsec_c2VjcmV0", "pw@"] {
            assert!(!text.contains(secret), "{secret} shown:\n{text}");
        }
        assert!(text.contains("http://u:<redacted>@127.0.0.1:9/h"), "{text}");
        assert_eq!(
            redact_url("redis://tok@h:6379"),
            "redis://<redacted>@h:6379"
        );
        assert_eq!(redact_url("http://h:8123/a@b"), "http://h:8123/a@b");
        assert_eq!(redact_url("plain"), "plain");
    }
}
