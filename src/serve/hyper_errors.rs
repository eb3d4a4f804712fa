// SPDX-License-Identifier: MIT OR Apache-2.0
//! JSON bodies for the answers hyper gives on its own. A request hyper cannot parse never
//! reaches the router: hyper writes `400` (malformed request line or header), `414` (request
//! target over 65,534 bytes) or `431` (request head over its buffer, ~400 KiB, or over 100
//! headers) with an empty body and closes the connection. [`JsonErrors`] wraps the listener's
//! connections and rewrites exactly that answer on its way out as the JSON every other error
//! gets (`{"error": code, "reason": text}`, as `json_errors` in `serve/mod.rs` makes them).
//!
//! How it is recognised: hyper writes it where a response starts (first bytes of the
//! connection, or the first write after a flush, vectored writes being turned off so a head
//! arrives in one piece), as one whole head with `content-length: 0`, no `content-type`, and
//! nothing after it. The router never answers an error that way (every error of ours has a
//! JSON body). A parse error on a pipelined request whose predecessor's answer is still in
//! hyper's buffer arrives behind it in the same write: that rare one keeps its empty body.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A listener whose connections get [`JsonErrorsIo`].
pub struct JsonErrors<L>(pub L);

impl<L: axum::serve::Listener> axum::serve::Listener for JsonErrors<L> {
    type Io = JsonErrorsIo<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.0.accept().await;
        (JsonErrorsIo::new(io), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// A connection whose hyper-made error answers are rewritten as JSON.
pub struct JsonErrorsIo<S> {
    inner: S,
    /// The next write starts a response (connection start, or after a flush).
    at_start: bool,
    /// A rewritten answer still being written, and how far.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> JsonErrorsIo<S> {
    pub fn new(inner: S) -> Self {
        JsonErrorsIo {
            inner,
            at_start: true,
            pending: None,
        }
    }
}

/// The statuses hyper answers by itself, with what to tell the client.
fn reason(status: &[u8]) -> Option<(&'static str, &'static str)> {
    Some(match status {
        b"400" => (
            "bad_request",
            "the request is not valid HTTP/1.1: its request line or a header could not be parsed",
        ),
        b"414" => (
            "uri_too_long",
            "the request target is longer than 65534 bytes; send long input in a POST body",
        ),
        b"431" => (
            "request_header_fields_too_large",
            "the request line and headers exceed the server's buffer (about 400 KiB) or number \
             more than 100 headers",
        ),
        _ => return None,
    })
}

/// The JSON answer that replaces `buf` when `buf` is exactly hyper's own empty error
/// answer; `None` for anything else.
pub fn rewrite(buf: &[u8]) -> Option<Vec<u8>> {
    let rest = buf
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| buf.strip_prefix(b"HTTP/1.0 "))?;
    let (code, message) = reason(rest.get(..3)?)?;
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    if head_end != buf.len() {
        return None;
    }
    let head = std::str::from_utf8(buf).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut empty = false;
    let mut kept = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "content-length" if value.trim() == "0" => empty = true,
            "content-length" | "content-type" | "transfer-encoding" => return None,
            _ => kept.push(line),
        }
    }
    if !empty {
        return None;
    }
    let body = serde_json::json!({ "error": code, "reason": message }).to_string();
    let mut out = format!(
        "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for line in kept {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&body);
    Some(out.into_bytes())
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonErrorsIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonErrorsIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.is_none() && this.at_start {
            this.pending = rewrite(buf).map(|b| (b, 0));
        }
        if let Some((out, done)) = &mut this.pending {
            // hyper offers the same bytes again until they are reported written.
            while *done < out.len() {
                let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &out[*done..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                *done += n;
            }
            this.pending = None;
            this.at_start = false;
            return Poll::Ready(Ok(buf.len()));
        }
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        if n > 0 {
            this.at_start = false;
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(Pin::new(&mut self.inner).poll_flush(cx))?;
        self.at_start = true;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        // hyper then flattens a response into one buffer: a head arrives whole.
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_empty_error_answer_is_rewritten() {
        let hyper_414 = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: Thu, 03 Dec 2026 20:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(rewrite(hyper_414).unwrap()).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert!(head.contains("date: Thu, 03 Dec 2026"), "{head}");
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"], "uri_too_long");
        for not_hypers in [
            &b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\n\r\nmore",
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"{\"error\":\"x\"}",
        ] {
            assert!(
                rewrite(not_hypers).is_none(),
                "{}",
                String::from_utf8_lossy(not_hypers)
            );
        }
    }
}
