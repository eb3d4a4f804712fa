// SPDX-License-Identifier: MIT OR Apache-2.0
//! Webhook receivers as destinations of the drainer: one POST per alert, in
//! the receiver's format — a generic JSON body signed as the Standard Webhooks
//! spec says, a Slack incoming-webhook body, or Alertmanager's webhook body
//! (v4). The alert id is the `webhook-id`, so a receiver can drop a second
//! delivery of one alert (possible only if the process dies between the answer
//! and the spool's acknowledgement).

use std::time::Duration;

use anyhow::anyhow;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::config::{webhook_key, ReceiverConfig, Severity, WebhookFormat};
use crate::pipeline::http::BlockingHttp;
use crate::pipeline::spool::SpoolBatch;
use crate::pipeline::{AlertRecord, Delivery, Destination};

/// The alert as the API, the live stream and the webhooks show it.
pub fn alert_view(a: &AlertRecord) -> Value {
    json!({
        "id": a.alert_id,
        "rule": a.rule,
        "key": a.key,
        "action": a.action.as_str(),
        "severity": a.severity,
        "raised_at": rfc3339(a.raised_at_ms),
        "raised_at_ms": a.raised_at_ms,
        "window_ms": a.window_ms,
        "threshold": a.threshold,
        "count": a.count,
        "a_numbers": a.a_numbers,
        "b_numbers": b_numbers(a),
        "call_ids": a.call_ids,
        "sources": a.sources,
        "mode": a.mode,
        "node": a.node,
    })
}

/// The B-numbers an alert is about: its key for the rules keyed on the callee
/// (without the ingress, `<source>|<B-number>`, when counted per ingress).
pub fn b_numbers(a: &AlertRecord) -> Vec<String> {
    match a.rule.as_str() {
        "distinct_callers" | "distinct_callers_slow" => {
            vec![a.key.rsplit('|').next().unwrap_or(&a.key).to_string()]
        }
        _ => Vec::new(),
    }
}

pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("v1,{sig}")
}

/// The request body for `format`.
pub fn body(format: WebhookFormat, receiver: &str, a: &AlertRecord, now_ms: i64) -> Value {
    let summary = format!(
        "[{}] {} on {}: {} in {} s (threshold {}, {})",
        a.severity.to_uppercase(),
        a.rule,
        a.key,
        a.count,
        a.window_ms / 1000,
        a.threshold,
        a.action.as_str()
    );
    match format {
        WebhookFormat::Standard => json!({
            "type": "alert.raised",
            "timestamp": rfc3339(now_ms),
            "data": alert_view(a),
        }),
        WebhookFormat::Slack => {
            let callers = a.a_numbers.join(", ");
            json!({
                "text": format!("acm alert {}: {summary}", a.alert_id),
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn",
                        "text": format!("*acm alert* `{}`\n{summary}", a.alert_id)}},
                    {"type": "context", "elements": [{"type": "mrkdwn",
                        "text": format!("callers: {callers} · node {} · {}", a.node, rfc3339(a.raised_at_ms))}]},
                ],
            })
        }
        WebhookFormat::Alertmanager => {
            let labels = json!({
                "alertname": format!("acm_{}", a.rule),
                "rule": a.rule,
                "severity": a.severity,
                "key": a.key,
                "action": a.action.as_str(),
                "alert_id": a.alert_id,
                "node": a.node,
            });
            let annotations = json!({
                "summary": summary,
                "a_numbers": a.a_numbers.join(","),
                "call_ids": a.call_ids.join(","),
                "sources": a.sources.join(","),
            });
            let fingerprint = format!(
                "{:016x}",
                crate::contract::stable_hash(a.alert_id.as_bytes())
            );
            json!({
                "version": "4",
                "groupKey": format!("{{}}:{{alert_id=\"{}\"}}", a.alert_id),
                "truncatedAlerts": 0,
                "status": "firing",
                "receiver": receiver,
                "groupLabels": {"alert_id": a.alert_id},
                "commonLabels": labels,
                "commonAnnotations": annotations,
                "externalURL": "",
                "alerts": [{
                    "status": "firing",
                    "labels": labels,
                    "annotations": annotations,
                    "startsAt": rfc3339(a.raised_at_ms),
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "",
                    "fingerprint": fingerprint,
                }],
            })
        }
    }
}

/// What an HTTP status means for the delivery.
pub fn judge(status: u16, url: &str, body: &[u8]) -> Result<(), Delivery> {
    let err = || {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        anyhow!("{url} answered {status}: {text}")
    };
    match status {
        200..=299 => Ok(()),
        410 => Err(Delivery::Gone(err())),
        408 | 425 | 429 | 500..=599 => Err(Delivery::Retry(err())),
        _ => Err(Delivery::Refused(err())),
    }
}

/// One receiver.
pub struct Webhook {
    cfg: ReceiverConfig,
    name: String,
    key: Option<Vec<u8>>,
    http: BlockingHttp,
}

impl Webhook {
    pub fn new(cfg: &ReceiverConfig) -> anyhow::Result<Webhook> {
        let key = if cfg.secret.is_empty() {
            None
        } else {
            Some(
                webhook_key(&cfg.secret)
                    .map_err(|e| anyhow!("webhooks.receivers {}: secret: {e}", cfg.name))?,
            )
        };
        Ok(Webhook {
            cfg: cfg.clone(),
            name: format!("webhook {}", cfg.name),
            key,
            http: BlockingHttp::new()?,
        })
    }

    /// Whether the receiver's filter passes this alert.
    pub fn passes(cfg: &ReceiverConfig, a: &AlertRecord) -> bool {
        let sev = Severity::parse(&a.severity).unwrap_or(Severity::Medium);
        sev >= cfg.min_severity && (cfg.rules.is_empty() || cfg.rules.contains(&a.rule))
    }

    fn send(&self, a: &AlertRecord, timeout: Duration) -> Result<(), Delivery> {
        let now = chrono::Utc::now();
        let body = serde_json::to_vec(&body(
            self.cfg.format,
            &self.cfg.name,
            a,
            now.timestamp_millis(),
        ))
        .map_err(|e| Delivery::Refused(e.into()))?;
        let mut headers = Vec::new();
        if let Some(key) = &self.key {
            let ts = now.timestamp();
            headers.push(("webhook-id", a.alert_id.clone()));
            headers.push(("webhook-timestamp", ts.to_string()));
            headers.push(("webhook-signature", sign(key, &a.alert_id, ts, &body)));
        }
        let timeout = timeout.min(Duration::from_millis(self.cfg.timeout_ms));
        let answer = self
            .http
            .post_json(&self.cfg.url, &headers, body, timeout)?;
        judge(answer.status, &self.cfg.url, &answer.body)
    }
}

impl Destination for Webhook {
    fn name(&self) -> &str {
        &self.name
    }

    fn accepts(&self, alert: &AlertRecord) -> bool {
        Webhook::passes(&self.cfg, alert)
    }

    fn deliver(&mut self, batch: &SpoolBatch, timeout: Duration) -> Result<(), Delivery> {
        match batch {
            SpoolBatch::Alerts(alerts) => {
                for a in alerts {
                    self.send(a, timeout)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks spec's reference libraries.
        let key = webhook_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn statuses() {
        assert!(judge(204, "u", b"").is_ok());
        assert!(matches!(judge(410, "u", b""), Err(Delivery::Gone(_))));
        assert!(matches!(judge(503, "u", b""), Err(Delivery::Retry(_))));
        assert!(matches!(judge(429, "u", b""), Err(Delivery::Retry(_))));
        assert!(matches!(judge(400, "u", b""), Err(Delivery::Refused(_))));
    }

    #[test]
    fn slack_and_alertmanager_bodies() {
        let a = AlertRecord {
            alert_id: "dc-1".into(),
            rule: "distinct_callers".into(),
            key: "+2348030000000".into(),
            severity: "high".into(),
            raised_at_ms: 1_700_000_000_000,
            a_numbers: vec!["+2348031111111".into()],
            ..Default::default()
        };
        let slack = body(WebhookFormat::Slack, "soc", &a, 0);
        assert!(slack["text"].as_str().unwrap().contains("dc-1"));
        assert_eq!(slack["blocks"][0]["type"], "section");
        let am = body(WebhookFormat::Alertmanager, "soc", &a, 0);
        assert_eq!(am["version"], "4");
        assert_eq!(am["status"], "firing");
        assert_eq!(am["receiver"], "soc");
        for k in [
            "groupKey",
            "groupLabels",
            "commonLabels",
            "commonAnnotations",
            "externalURL",
        ] {
            assert!(!am[k].is_null(), "{k}");
        }
        let alert = &am["alerts"][0];
        assert_eq!(alert["labels"]["alertname"], "acm_distinct_callers");
        assert_eq!(alert["labels"]["severity"], "high");
        assert_eq!(alert["startsAt"], "2023-11-14T22:13:20.000Z");
        assert_eq!(alert["fingerprint"].as_str().unwrap().len(), 16);
        let std = body(WebhookFormat::Standard, "soc", &a, 0);
        assert_eq!(
            (std["type"].as_str(), std["data"]["id"].as_str()),
            (Some("alert.raised"), Some("dc-1"))
        );
    }

    #[test]
    fn filter_by_rule_and_severity() {
        let a = AlertRecord {
            rule: "cli_velocity".into(),
            severity: "medium".into(),
            ..Default::default()
        };
        let mut cfg = ReceiverConfig::default();
        assert!(Webhook::passes(&cfg, &a));
        cfg.min_severity = Severity::High;
        assert!(!Webhook::passes(&cfg, &a));
        cfg.min_severity = Severity::Low;
        cfg.rules = vec!["distinct_callers".into()];
        assert!(!Webhook::passes(&cfg, &a));
    }
}
