// SPDX-License-Identifier: MIT OR Apache-2.0
//! Flush on the exit signal. Kamailio's workers leave with `_exit(0)` straight from their
//! SIGTERM/SIGINT handler, which would lose the events still queued in the process (up to one
//! `flush_interval_ms` of calls). A worker that opts in (`acm_flush_on_exit_signal`) gets a
//! handler of ours instead: it parks the signalled thread — the worker's SIP thread, since
//! every thread this crate starts blocks those signals — so the worker takes no more calls,
//! and a watcher thread flushes the queue (INSERT, or the spool when ClickHouse is slow or
//! down) within [`EXIT_FLUSH_BUDGET`] and then ends the process with `_exit(0)`, as
//! Kamailio would have. Should the flush hang (say the parked thread held a lock it needs),
//! the handler exits on its own after [`HARD_LIMIT_MS`].

use std::ffi::c_int;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

/// Longest the watcher spends delivering or spooling what is queued.
pub const EXIT_FLUSH_BUDGET: Duration = Duration::from_secs(3);
/// Longest a signalled thread stays parked, whatever the watcher does.
const HARD_LIMIT_MS: i64 = 5_000;
const EXIT_SIGNALS: [c_int; 2] = [libc::SIGTERM, libc::SIGINT];

/// Write end of the pipe that wakes the watcher (-1: not installed).
static WAKE: AtomicI32 = AtomicI32::new(-1);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Runs `f` (which starts threads) with SIGTERM and SIGINT blocked in the calling thread, so
/// the threads it starts inherit the block and the process's exit signal reaches the
/// switch's own thread; the caller's mask is restored afterwards, even on a panic.
pub fn with_exit_signals_blocked<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(libc::sigset_t);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: a mask saved by pthread_sigmask below.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
        }
    }
    // SAFETY: sigset_t is plain data, initialised by sigemptyset/pthread_sigmask.
    let _restore = unsafe {
        let mut block: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut block);
        for s in EXIT_SIGNALS {
            libc::sigaddset(&mut block, s);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old);
        Restore(old)
    };
    f()
}

/// Installs the handler and starts the watcher (once per process). Without a pipeline there
/// is nothing to flush and Kamailio's own handler stays; so it does in the process that ran
/// `acm_init` (Kamailio's main, also the only process with `fork=no`), whose exit runs
/// `mod_destroy` and so `acm_shutdown`.
pub fn install() -> Result<(), String> {
    if !super::runtime::has_pipeline() || super::runtime::is_loading_process() {
        return Ok(());
    }
    if INSTALLED.swap(true, Ordering::AcqRel) {
        return Ok(());
    }
    let mut fds = [0 as c_int; 2];
    // SAFETY: fds has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        INSTALLED.store(false, Ordering::Release);
        return Err(format!("pipe2: {}", std::io::Error::last_os_error()));
    }
    let [read_end, write_end] = fds;
    with_exit_signals_blocked(|| {
        std::thread::Builder::new()
            .name("acm-exit-flush".into())
            .spawn(move || watch(read_end))
    })
    .map_err(|e| format!("exit-flush thread: {e}"))?;
    WAKE.store(write_end, Ordering::Release);
    for sig in EXIT_SIGNALS {
        // SAFETY: a zeroed sigaction with a valid handler and an empty mask.
        let ok = unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_exit_signal as extern "C" fn(c_int) as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut()) == 0
        };
        if !ok {
            return Err(format!("sigaction: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

/// The signal handler: async-signal-safe calls only (write, clock_gettime, nanosleep, _exit).
extern "C" fn on_exit_signal(_sig: c_int) {
    let fd = WAKE.load(Ordering::Acquire);
    let byte = 1u8;
    // SAFETY: write(2) of one byte from a live local; a failure only loses the wake-up, and
    // the hard limit below still ends the process.
    unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    let deadline = monotonic_ms() + HARD_LIMIT_MS;
    while monotonic_ms() < deadline {
        let nap = libc::timespec {
            tv_sec: 0,
            tv_nsec: 10_000_000,
        };
        // SAFETY: nanosleep with a valid timespec.
        unsafe { libc::nanosleep(&nap, std::ptr::null_mut()) };
    }
    // SAFETY: _exit is async-signal-safe; it is what Kamailio's own handler does.
    unsafe { libc::_exit(0) }
}

fn monotonic_ms() -> i64 {
    // SAFETY: clock_gettime writes into a live timespec.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

/// The watcher: waits for the handler's byte, flushes, exits the process.
fn watch(read_end: c_int) {
    let mut byte = 0u8;
    loop {
        // SAFETY: read(2) into a live one-byte buffer.
        let n = unsafe { libc::read(read_end, (&mut byte as *mut u8).cast(), 1) };
        if n == 1 {
            break;
        }
        if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return;
    }
    super::runtime::flush_for_exit(EXIT_FLUSH_BUDGET);
    // SAFETY: ends the process as Kamailio's handler would have, without running its atexit
    // handlers in a process that forked from a multi-threaded parent.
    unsafe { libc::_exit(0) }
}
