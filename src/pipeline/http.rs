// SPDX-License-Identifier: MIT OR Apache-2.0
//! A small HTTP/1.1 client for the alert lanes (webhook receivers, Kamailio's
//! JSON-RPC): hyper's pooled client, already in the tree through the
//! ClickHouse client, over plain TCP. Async for `acm serve`'s handlers; the
//! drainer thread drives it on a runtime of its own ([`BlockingHttp`]).

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A pooled client (connections kept for reuse).
pub fn client() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(Duration::from_secs(3)));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector)
}

/// The answer to a POST: status and body (at most 64 KiB read).
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

/// POSTs `body` with `headers` (content-type JSON) and reads the answer, all within `timeout`.
pub async fn post_json(
    client: &HttpClient,
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<Answer> {
    let mut req = hyper::Request::post(url)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(
            hyper::header::USER_AGENT,
            concat!("acm/", env!("CARGO_PKG_VERSION")),
        );
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    let req = req
        .body(Full::new(Bytes::from(body)))
        .with_context(|| format!("bad request for {url}"))?;
    let work = async {
        let resp = client
            .request(req)
            .await
            .map_err(|e| anyhow!("{url}: {e}"))?;
        let status = resp.status().as_u16();
        let limited = http_body_util::Limited::new(resp.into_body(), 64 << 10);
        let body = limited
            .collect()
            .await
            .map_err(|e| anyhow!("{url}: reading the answer: {e}"))?
            .to_bytes();
        Ok::<_, anyhow::Error>(Answer { status, body })
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(anyhow!("{url}: no answer within {timeout:?}")),
    }
}

/// The client and a current-thread runtime, for the drainer thread.
pub struct BlockingHttp {
    runtime: tokio::runtime::Runtime,
    client: HttpClient,
}

impl BlockingHttp {
    pub fn new() -> Result<BlockingHttp> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot build an HTTP runtime")?;
        let client = {
            let _guard = runtime.enter();
            client()
        };
        Ok(BlockingHttp { runtime, client })
    }

    pub fn post_json(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Answer> {
        self.runtime
            .block_on(post_json(&self.client, url, headers, body, timeout))
    }

    /// Runs `f` with the client on this runtime.
    pub fn block_on<'a, F, T>(&'a self, f: impl FnOnce(&'a HttpClient) -> F) -> T
    where
        F: std::future::Future<Output = T> + 'a,
    {
        self.runtime.block_on(f(&self.client))
    }
}
