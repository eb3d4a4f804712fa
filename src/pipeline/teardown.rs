// SPDX-License-Identifier: MIT OR Apache-2.0
//! Ending the calls of an alert through Kamailio's dialog module, over its
//! JSON-RPC (jsonrpcs + xhttp): each call is found by its Call-ID
//! (`dlg.dlg_list <callid>` gives the dialog's `h_entry`/`h_id`) and ended with
//! `dlg.end_dlg h_entry h_id` (BYE to both sides of a confirmed dialog). Used
//! on demand by `acm serve` (`POST /v1/alerts/{id}/disconnect`) and, with
//! `teardown.on_blocking_alert`, by the drainer of the process that raised a
//! blocking alert, off the call path.

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use serde_json::{json, Value};

use crate::config::TeardownConfig;
use crate::contract::Action;
use crate::pipeline::http::{post_json, BlockingHttp, HttpClient};
use crate::pipeline::spool::SpoolBatch;
use crate::pipeline::{AlertRecord, Delivery, Destination};

/// What a teardown did, call by call.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Report {
    /// Calls whose dialogs were ended.
    pub ended: Vec<String>,
    /// Calls with no dialog (never set up, already over, or not through this Kamailio).
    pub not_found: Vec<String>,
}

async fn rpc(
    client: &HttpClient,
    url: &str,
    method: &str,
    params: Value,
    timeout: Duration,
) -> Result<Value> {
    let body = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1});
    let answer = post_json(client, url, &[], serde_json::to_vec(&body)?, timeout).await?;
    if !(200..300).contains(&answer.status) {
        return Err(anyhow!("{url}: {method} answered HTTP {}", answer.status));
    }
    let v: Value = serde_json::from_slice(&answer.body)
        .with_context(|| format!("{url}: {method}: not JSON"))?;
    if let Some(e) = v.get("error") {
        return Err(anyhow!("{method}: {e}"));
    }
    Ok(v.get("result").cloned().unwrap_or(Value::Null))
}

/// The (h_entry, h_id) of every dialog in a `dlg.dlg_list` answer.
fn dialog_ids(result: &Value) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut visit = |d: &Value| {
        if let (Some(e), Some(i)) = (
            d.get("h_entry").and_then(Value::as_u64),
            d.get("h_id").and_then(Value::as_u64),
        ) {
            out.push((e, i));
        }
    };
    match result {
        Value::Array(items) => items.iter().for_each(&mut visit),
        v => visit(v),
    }
    out
}

/// Ends every dialog of `call_ids` through Kamailio at `url`.
pub async fn end_calls(
    client: &HttpClient,
    url: &str,
    call_ids: &[String],
    timeout: Duration,
) -> Result<Report> {
    let mut report = Report::default();
    for call_id in call_ids {
        let listed = match rpc(client, url, "dlg.dlg_list", json!([call_id]), timeout).await {
            Ok(v) => v,
            // The dialog module answers a fault when it has no such dialog.
            Err(e) if e.to_string().contains("500") || e.to_string().contains("find") => {
                report.not_found.push(call_id.clone());
                continue;
            }
            Err(e) => return Err(e),
        };
        let ids = dialog_ids(&listed);
        if ids.is_empty() {
            report.not_found.push(call_id.clone());
            continue;
        }
        for (entry, id) in ids {
            rpc(client, url, "dlg.end_dlg", json!([entry, id]), timeout).await?;
        }
        report.ended.push(call_id.clone());
    }
    Ok(report)
}

/// The teardown target as an alert lane: blocking alerts' calls are ended.
pub struct Teardown {
    url: String,
    timeout: Duration,
    http: BlockingHttp,
}

impl Teardown {
    pub fn new(cfg: &TeardownConfig) -> Result<Teardown> {
        Ok(Teardown {
            url: cfg.kamailio_rpc.clone(),
            timeout: Duration::from_millis(cfg.timeout_ms),
            http: BlockingHttp::new()?,
        })
    }
}

impl Destination for Teardown {
    fn name(&self) -> &str {
        "kamailio teardown"
    }

    fn accepts(&self, alert: &AlertRecord) -> bool {
        alert.action == Action::Block && alert.mode != "monitor"
    }

    fn deliver(&mut self, batch: &SpoolBatch, timeout: Duration) -> Result<(), Delivery> {
        let SpoolBatch::Alerts(alerts) = batch else {
            return Ok(());
        };
        let timeout = timeout.min(self.timeout);
        for a in alerts {
            let (url, ids) = (self.url.clone(), a.call_ids.clone());
            let report = self
                .http
                .block_on(|client| async move { end_calls(client, &url, &ids, timeout).await })?;
            tracing::warn!(alert = %a.alert_id, ended = ?report.ended, "calls of a blocking alert ended");
        }
        Ok(())
    }
}
