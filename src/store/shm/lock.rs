// SPDX-License-Identifier: MIT OR Apache-2.0
//! Locks that work across processes: process-shared, robust pthread mutexes
//! living inside the shared region.
//!
//! std's and parking_lot's locks wait with private futexes: a waiter in one
//! process is never woken by an unlock in another. A `PTHREAD_PROCESS_SHARED`
//! mutex waits on a shared futex, and `PTHREAD_MUTEX_ROBUST` makes the kernel
//! mark it when its holder dies (the holder's robust list is walked at exit,
//! `SIGKILL` included): the next locker gets `EOWNERDEAD` at once.
//!
//! What the store does then: the data the lock guards may be half updated,
//! so it is never trusted again. The lock is released without being marked
//! consistent, which makes it unrecoverable: every later lock of it answers
//! at once [`LockError::Lost`], and the checks it would serve fail open
//! (`store_unavailable`) until the region is made again — in Kamailio, at the
//! next start: its main process stops the whole server when a worker dies,
//! and the region goes with it. A holder that is alive but stuck (stopped by
//! a debugger, say) makes a waiter give up after the store's budget:
//! [`LockError::Timeout`], also failing open.
//!
//! A lock is tried a few times in a spin before the thread sleeps: critical
//! sections here last well under a microsecond.

use std::cell::UnsafeCell;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

/// A mutex in shared memory. Valid only once [`ShmMutex::init`] ran on it.
#[repr(C, align(64))]
pub struct ShmMutex {
    m: UnsafeCell<libc::pthread_mutex_t>,
}

// SAFETY: a process-shared pthread mutex is made to be used from many threads
// and processes at once; all access goes through the pthread functions.
unsafe impl Sync for ShmMutex {}
unsafe impl Send for ShmMutex {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockError {
    /// A holder died with the lock: what it guards is lost until restart.
    Lost,
    /// Not acquired within the budget.
    Timeout,
}

/// Tries before the thread sleeps on the lock.
const SPINS: u32 = 64;

impl ShmMutex {
    /// Initialises the mutex at `p` in place: process-shared and robust.
    ///
    /// # Safety
    /// `p` points into the region before any other process or thread uses it.
    pub unsafe fn init(p: *mut ShmMutex) -> Result<(), String> {
        let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
        let rc = libc::pthread_mutexattr_init(&mut attr);
        if rc != 0 {
            return Err(format!("pthread_mutexattr_init: {rc}"));
        }
        let rc = libc::pthread_mutexattr_setpshared(&mut attr, libc::PTHREAD_PROCESS_SHARED);
        let rc = if rc == 0 {
            libc::pthread_mutexattr_setrobust(&mut attr, libc::PTHREAD_MUTEX_ROBUST)
        } else {
            rc
        };
        let rc = if rc == 0 {
            libc::pthread_mutex_init((*p).m.get(), &attr)
        } else {
            rc
        };
        libc::pthread_mutexattr_destroy(&mut attr);
        if rc != 0 {
            return Err(format!(
                "cannot make a process-shared robust mutex: {}",
                std::io::Error::from_raw_os_error(rc)
            ));
        }
        Ok(())
    }

    /// Locks within `budget`.
    #[inline]
    pub fn lock(&self, budget: Duration) -> Result<ShmGuard<'_>, LockError> {
        let m = self.m.get();
        for i in 0..SPINS {
            // SAFETY: an initialised mutex in the mapped region.
            match unsafe { libc::pthread_mutex_trylock(m) } {
                0 => {
                    return Ok(ShmGuard {
                        lock: self,
                        poison: None,
                    })
                }
                libc::EBUSY => {
                    if i > 8 {
                        std::hint::spin_loop();
                    }
                }
                rc => return self.settle(rc),
            }
        }
        let deadline = deadline_after(budget);
        // SAFETY: as above; `deadline` is a valid timespec.
        let rc = unsafe { libc::pthread_mutex_timedlock(m, &deadline) };
        match rc {
            0 => Ok(ShmGuard {
                lock: self,
                poison: None,
            }),
            rc => self.settle(rc),
        }
    }

    /// What a failed (or owner-dead) lock means for the caller.
    #[cold]
    fn settle(&self, rc: i32) -> Result<ShmGuard<'_>, LockError> {
        match rc {
            libc::EOWNERDEAD => {
                // We hold it now, over data a dead process was changing: never
                // mark it consistent; unlocking makes it unrecoverable.
                // SAFETY: held by this thread.
                unsafe { libc::pthread_mutex_unlock(self.m.get()) };
                Err(LockError::Lost)
            }
            libc::ENOTRECOVERABLE => Err(LockError::Lost),
            _ => Err(LockError::Timeout),
        }
    }
}

fn deadline_after(budget: Duration) -> libc::timespec {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes one timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    let nanos = now.tv_nsec as u64 + budget.subsec_nanos() as u64;
    libc::timespec {
        tv_sec: now.tv_sec
            + budget.as_secs() as libc::time_t
            + (nanos / 1_000_000_000) as libc::time_t,
        tv_nsec: (nanos % 1_000_000_000) as libc::c_long,
    }
}

/// A held lock; released when dropped. Dropped while this thread panics, the
/// lock is left held for good (what it guards may be half updated) and the
/// flag given to [`ShmGuard::poison_on_panic`] is set, so that other threads
/// and processes give up on it at once rather than after their budget.
pub struct ShmGuard<'a> {
    lock: &'a ShmMutex,
    poison: Option<&'a AtomicU32>,
}

impl<'a> ShmGuard<'a> {
    /// Sets `flag` if this thread panics while holding the lock.
    pub fn poison_on_panic(mut self, flag: &'a AtomicU32) -> ShmGuard<'a> {
        self.poison = Some(flag);
        self
    }
}

impl Drop for ShmGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Some(flag) = self.poison {
                flag.store(1, std::sync::atomic::Ordering::Relaxed);
            }
            return;
        }
        // SAFETY: held by this thread (the guard exists only while it is).
        unsafe { libc::pthread_mutex_unlock(self.lock.m.get()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::shm::region::Region;

    fn mutex_in(r: &Region) -> &ShmMutex {
        let p = r.base() as *mut ShmMutex;
        unsafe { ShmMutex::init(p).unwrap() };
        unsafe { &*p }
    }

    #[test]
    fn a_held_lock_times_out_and_a_dead_holder_loses_it() {
        let r = Region::map(4096).unwrap();
        let m = mutex_in(&r);
        let g = m.lock(Duration::from_millis(10)).unwrap();
        // Another thread of this process: held, so it times out.
        std::thread::scope(|s| {
            s.spawn(|| {
                let t = std::time::Instant::now();
                assert_eq!(
                    m.lock(Duration::from_millis(30)).err(),
                    Some(LockError::Timeout)
                );
                assert!(t.elapsed() >= Duration::from_millis(25));
            });
        });
        drop(g);
        // A child process takes the lock and is killed holding it.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let g = m.lock(Duration::from_secs(1));
            std::mem::forget(g);
            unsafe { libc::raise(libc::SIGKILL) };
            unsafe { libc::_exit(0) };
        }
        let mut status = 0;
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFSIGNALED(status));
        let t = std::time::Instant::now();
        assert_eq!(m.lock(Duration::from_secs(5)).err(), Some(LockError::Lost));
        assert_eq!(m.lock(Duration::from_secs(5)).err(), Some(LockError::Lost));
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "no waiting on the dead"
        );
    }
}
