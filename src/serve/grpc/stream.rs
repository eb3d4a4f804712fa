// SPDX-License-Identifier: MIT OR Apache-2.0
//! `CheckStream`: calls in, verdicts out, in order, with bounded memory.
//!
//! One task per stream reads a call, judges it (`AppState::check`, one call
//! after another, so the calls of a stream reach the windows in the order they
//! were sent) and queues the answer for the transport. The queue holds
//! `max_in_flight` answers, and a place in it is taken *before* the next call
//! is read: a client that stops reading its verdicts stops the server reading
//! its calls once that many wait, and HTTP/2 flow control then stops the
//! client sending. Nothing grows without bound; the `acm_grpc_stream_in_flight`
//! gauge shows what waits.

use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::Stream;
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

use super::{convert, proto, CHECK_STREAM};
use crate::serve::metrics::{Face, StreamGauges};
use crate::serve::Shared;

type Item = Result<proto::CheckStreamResponse, Status>;

/// What one stream holds: counted here and in the service's gauges; whatever
/// is still held when the stream goes away leaves the gauges with it.
struct Window {
    held: AtomicI64,
    gauges: Arc<StreamGauges>,
}

impl Window {
    fn add(&self) {
        self.held.fetch_add(1, Ordering::Relaxed);
        self.gauges.in_flight.fetch_add(1, Ordering::Relaxed);
    }
    fn take(&self) {
        self.held.fetch_sub(1, Ordering::Relaxed);
        self.gauges.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        let left = self.held.load(Ordering::Relaxed);
        self.gauges.in_flight.fetch_sub(left, Ordering::Relaxed);
        self.gauges.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The verdicts of one stream, as the transport takes them.
pub struct Verdicts {
    rx: mpsc::Receiver<Item>,
    window: Arc<Window>,
}

impl Stream for Verdicts {
    type Item = Item;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let polled = self.rx.poll_recv(cx);
        if let Poll::Ready(Some(_)) = &polled {
            self.window.take();
        }
        polled
    }
}

/// Starts judging a stream's calls; answers come out of the returned stream.
pub fn pump(state: Shared, mut calls: Streaming<proto::CheckRequest>, window: usize) -> Verdicts {
    let (tx, rx) = mpsc::channel::<Item>(window);
    let gauges = state.metrics.streams.clone();
    gauges.open.fetch_add(1, Ordering::Relaxed);
    let held = Arc::new(Window {
        held: AtomicI64::new(0),
        gauges,
    });
    let w = held.clone();
    let mut closing = state.alerts.closing.subscribe();
    tokio::spawn(async move {
        loop {
            // A place for the answer first: a full window stops the reading.
            let slot = tokio::select! {
                s = tx.reserve() => match s {
                    Ok(s) => s,
                    Err(_) => break, // the client went away
                },
                _ = closing.wait_for(|c| *c) => break,
            };
            let next = tokio::select! {
                m = calls.message() => m,
                _ = closing.wait_for(|c| *c) => break,
            };
            let request = match next {
                Ok(Some(r)) => r,
                Ok(None) => break, // the client closed its side: done
                Err(status) => {
                    w.add();
                    slot.send(Err(status));
                    break;
                }
            };
            let started = Instant::now();
            w.gauges.received.inc();
            w.add();
            slot.send(Ok(judge(&state, request, started).await));
        }
    });
    Verdicts { rx, window: held }
}

async fn judge(
    state: &Shared,
    r: proto::CheckRequest,
    started: Instant,
) -> proto::CheckStreamResponse {
    use proto::check_stream_response::Result as R;
    let checked = match convert::call(&r) {
        Ok(call) => state.check_since(Face::Grpc, &call, started).await,
        Err(e) => Err(e),
    };
    let mut out = proto::CheckStreamResponse {
        call_id: r.call_id,
        ..Default::default()
    };
    match checked {
        Ok(v) => {
            out.new_alerts = v.new_alerts.iter().map(convert::alert).collect();
            out.result = Some(R::Verdict(convert::verdict(&v)));
        }
        Err(e) => {
            state
                .metrics
                .bad_request(Face::Grpc, CHECK_STREAM, "InvalidArgument");
            out.result = Some(R::Error(convert::input_error(&e)));
        }
    }
    out
}
