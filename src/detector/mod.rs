// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Detector: one engine, one store, the outputs — and the one place the
//! check sequence is written.
//!
//! Every face of the product (the C ABI in Kamailio workers, `acm serve`,
//! `acm replay` and `acm quality`) judges a call by calling [`Detector::check`]
//! (or [`Detector::check_now`] where nothing may wait): prepare the call on the
//! engine (lists, per-call rules, window plan), apply the plan on the store in
//! one step, conclude the verdict, withdraw the alerts it holds back, record
//! the auto-blocks a new blocking alert asks for, and hand call and verdict to
//! every sink. The engine does no I/O;
//! the store does nothing but windows; sinks do nothing on the call path but
//! queue or count (I/O happens off it, see `crate::pipeline`).

mod sink;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use crate::contract::StoreAnswer;
use crate::engine::{Call, Engine, InputError, Prepared, Reason, Verdict};
use crate::store::{Answer, Store};
pub use sink::{AlertLog, VerdictSink};

/// The check sequence, written once. `$answer` turns a store's [`Answer`]
/// into its result: `awaited` for [`Detector::check`], `at_once` for
/// [`Detector::check_now`] (no future, no executor on the call path). `$p`
/// is the slot the call is prepared and concluded in (`&mut Prepared`): the
/// request and verdict are built there and never moved until the verdict is
/// returned. `$a` is where the store writes its answer (`&mut StoreAnswer`,
/// whatever it held is replaced).
macro_rules! check_sequence {
    ($det:expr, $call:expr, $started:expr, $answer:ident, $p:expr, $a:expr) => {{
        let (det, call, p): (&Detector, &Call, &mut Prepared) = ($det, $call, $p);
        let a: &mut StoreAnswer = $a;
        let store = &*det.store;
        // 1. Validate, normalise, lists and per-call rules, the window plan.
        det.engine
            .prepare_in(call, |key| store.prefetch(key), p)?;
        // 2. Every window update of the call in one step.
        //    The answer is written where it lies, never moved.
        let answer = if p.store_free() {
            Ok(None)
        } else {
            match $answer!(store.update(&p.request, a)) {
                Ok(()) => Ok(Some(a)),
                Err(e) => Err(e),
            }
        };
        // 3. Thresholds, alerts, actions.
        det.engine.conclude_in(p, answer);
        // 4. Alerts the store raised that the verdict holds back are
        //    withdrawn (no later call may be flagged under an alert nobody
        //    was told of), and auto-blocks a new blocking alert asks for are
        //    recorded. A failed write leaves detection as it was: said, not
        //    fatal.
        if !p.withdrawals().is_empty() {
            if let Err(e) = $answer!(store.withdraw(&p.request, p.withdrawals())) {
                tracing::warn!(error = %e, "could not withdraw held-back alerts");
            }
        }
        let v = p.verdict();
        if !v.new_alerts.is_empty() {
            let blocks = det.engine.blocks_for(v);
            if !blocks.is_empty() {
                if let Err(e) = $answer!(store.record_blocks(&blocks)) {
                    tracing::warn!(error = %e, "could not record auto-blocks");
                }
            }
        }
        // 5. Every sink sees the verdict.
        det.emit(call, v, $started);
        Ok(p.take_verdict())
    }};
}

macro_rules! awaited {
    ($store:ident . update ( $req:expr, $into:expr )) => {
        match $store.update($req).await {
            Ok(a) => {
                *$into = a;
                Ok(())
            }
            Err(e) => Err(e),
        }
    };
    ($answer:expr) => {
        $answer.await
    };
}

macro_rules! at_once {
    ($store:ident . update ( $req:expr, $into:expr )) => {
        $store.update_now($req, $into)
    };
    ($store:ident . record_blocks ( $blocks:expr )) => {
        $store.record_blocks($blocks).now()
    };
    ($store:ident . withdraw ( $req:expr, $w:expr )) => {
        $store.withdraw($req, $w).now()
    };
}

/// An engine, its store and its outputs.
pub struct Detector {
    engine: Arc<Engine>,
    store: Arc<dyn Store>,
    sinks: Vec<Arc<dyn VerdictSink>>,
}

impl Detector {
    pub fn new(engine: Arc<Engine>, store: Arc<dyn Store>) -> Detector {
        Detector {
            engine,
            store,
            sinks: Vec::new(),
        }
    }

    /// Adds an output: it sees every verdict (fail-open ones included).
    pub fn with_sink(mut self, sink: Arc<dyn VerdictSink>) -> Detector {
        self.sinks.push(sink);
        self
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Judges one call. A refused call changes no state and reaches no sink.
    pub async fn check(&self, call: &Call) -> Result<Verdict, InputError> {
        self.check_since(call, Instant::now()).await
    }

    /// [`Detector::check`], with the time the caller started on the call, so
    /// that the recorded check time covers the caller's own work.
    pub async fn check_since(&self, call: &Call, started: Instant) -> Result<Verdict, InputError> {
        check_sequence!(
            self,
            call,
            started,
            awaited,
            &mut Prepared::default(),
            &mut StoreAnswer::default()
        )
    }

    /// [`Detector::check`] without an executor: with a store that answers at
    /// once (embedded, blocking Redis client) it never waits on anything but
    /// the store itself. With an async store it parks the thread until the
    /// answer arrives (that store's runtime must be driven elsewhere).
    pub fn check_now(&self, call: &Call) -> Result<Verdict, InputError> {
        self.check_now_since(call, Instant::now())
    }

    /// [`Detector::check_now`] with the caller's start time. (Never inlined:
    /// `scripts/ab-check-insns.sh` counts the instructions under this symbol.)
    #[inline(never)]
    pub fn check_now_since(&self, call: &Call, started: Instant) -> Result<Verdict, InputError> {
        // The thread's slot, reused call after call: nothing of the ~750-byte
        // request and verdict is built, moved or dropped whole per call. A
        // check made from inside a check on this thread (a sink, a store)
        // finds it taken and uses a fresh one.
        SLOT.with(|slot| match slot.try_borrow_mut() {
            Ok(mut slot) => {
                let (p, a) = &mut *slot;
                check_sequence!(self, call, started, at_once, p, a)
            }
            Err(_) => check_sequence!(
                self,
                call,
                started,
                at_once,
                &mut Prepared::default(),
                &mut StoreAnswer::default()
            ),
        })
    }

    /// The answer for a call that cannot be judged (bad input at the C ABI, an
    /// internal error): allow, with the reason; counted and sent to the sinks
    /// like any verdict when `call` is known.
    pub fn fail_open(&self, reason: Reason, call: Option<&Call>, started: Instant) -> Verdict {
        let v = self.engine.record_fail_open(reason);
        if let Some(call) = call {
            self.emit(call, &v, started);
        }
        v
    }

    fn emit(&self, call: &Call, v: &Verdict, started: Instant) {
        if self.sinks.is_empty() {
            return;
        }
        let us = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
        for s in &self.sinks {
            s.record(call, v, us);
        }
    }
}

thread_local! {
    /// The slot [`Detector::check_now`] prepares calls in, one per thread.
    /// Beside it, the store's answer, also reused: the memory its outcomes
    /// spill to (a call of six windows has one more than fit inline) is
    /// allocated once per thread, not once per call.
    static SLOT: std::cell::RefCell<(Prepared, StoreAnswer)> =
        std::cell::RefCell::new((Prepared::default(), StoreAnswer::default()));
}

/// Wakes a parked thread.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

impl<T> Answer<'_, T> {
    /// The result: taken when it is there, else waited for on this thread.
    #[inline]
    pub(crate) fn now(self) -> Result<T, crate::contract::StoreError> {
        match self {
            Answer::Now(Some(r)) => r,
            other => resolve(other),
        }
    }
}

/// Runs a future to completion on this thread: one poll when it is ready at
/// once, else parking between wake-ups.
fn resolve<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        return v;
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
