// SPDX-License-Identifier: MIT OR Apache-2.0
//! The hand-off ring: a memory-mapped file per process between the call path and the
//! drainer, so that an event whose call was answered survives the process being killed
//! (the kernel keeps the file's pages when the process dies; the next start adopts them).
//!
//! Layout: one header page, then `capacity` bytes of records. Positions are byte offsets in
//! an endless stream (a record at position `p` lies at `p % capacity` in the data area).
//! Record: `len: u32 LE | crc32(position, payload): u32 LE | payload`, padded to 8 bytes; a
//! record never wraps (a `len` of `u32::MAX` pads to the end of the area). The position is in
//! the checksum, so a record left from an earlier lap never passes for a newer one.
//!
//! Header positions (each `AtomicU64`): `write`, the end of the last committed record (the
//! producer's, stored after the record is complete); `tail`, below which the producer may
//! reuse space (the drainer's: the least of its acknowledgements); the acknowledgements
//! themselves, one per kind of destination (calls to ClickHouse, alerts to ClickHouse, alerts
//! to the alert lanes: everything of that kind before it was delivered or spooled). A crash
//! between an INSERT's success and the next acknowledgement re-sends that one batch on the
//! next start, the spool's bound (at most one batch per table per crash). No syscall on the
//! producer's side.
//!
//! Ownership: the creating process holds an exclusive `flock` on the file for its lifetime and
//! writes its pid, start time and boot id into the header. A later process adopts a ring
//! whose lock it can take and whose owner is gone (not running, or a different process under
//! the same pid), so two processes never adopt the same ring.

use std::fs::{self, File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{bail, Context, Result};

const MAGIC: &[u8; 8] = b"ACMRING1";
const VERSION: u32 = 1;
/// The header page; the data area follows it.
pub const HEADER_BYTES: u64 = 4096;
/// Smallest data area.
pub const MIN_CAPACITY: u64 = crate::config::MIN_HANDOFF_BYTES;
const RECORD_HEADER: usize = 8;
/// A `len` that pads to the end of the data area.
const PAD: u32 = u32::MAX;

const OFF_VERSION: usize = 8;
const OFF_CAPACITY: usize = 16;
const OFF_PID: usize = 24;
const OFF_START: usize = 32;
const OFF_BOOT: usize = 40; // 40 bytes
const OFF_META_LEN: usize = 80;
// Producer and drainer positions on cache lines of their own.
const OFF_WRITE: usize = 128;
const OFF_TAIL: usize = 192;
const OFF_ACK_CALLS: usize = 256;
const OFF_ACK_ALERTS: usize = 264;
const OFF_ACK_LANES: usize = 272;
const OFF_META: usize = 1024;
const META_MAX: usize = HEADER_BYTES as usize - OFF_META;

/// Distinguishes several rings in one process (tests); valid after fork (the pid changes).
static INSTANCE: AtomicU64 = AtomicU64::new(0);

/// The drainer's acknowledgements as stored in a ring's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Acks {
    pub calls: u64,
    pub alerts: u64,
    pub lanes: u64,
}

impl Acks {
    pub fn least(&self) -> u64 {
        self.calls.min(self.alerts).min(self.lanes)
    }
}

/// What lies at a position.
pub enum Read<'a> {
    Record {
        payload: &'a [u8],
        next: u64,
    },
    /// Not a record this ring wrote there (torn by a power loss, overwritten): the rest of
    /// the ring cannot be trusted.
    Corrupt(String),
}

/// One mapped ring file.
pub struct Ring {
    path: PathBuf,
    /// Holds the `flock` while this process owns the ring.
    _file: File,
    base: *mut u8,
    map_len: usize,
    capacity: u64,
}

// SAFETY: the mapping is plain shared memory; producers write only above `write` and below
// `tail + capacity` (one producer at a time, under the hand-off's lock), the drainer reads
// only below `write`, and header fields are atomics.
unsafe impl Send for Ring {}
unsafe impl Sync for Ring {}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: the region mapped in `map`, unmapped once.
        unsafe {
            libc::munmap(self.base.cast(), self.map_len);
        }
    }
}

fn align8(n: u64) -> u64 {
    (n + 7) & !7
}

impl Ring {
    /// A new ring of `capacity` bytes (rounded to 8) in `dir`, owned by this process; `meta`
    /// (at most ~3 KiB) is stored in its header for whoever adopts it. The file's blocks are
    /// reserved up front, so writing into the mapping never needs disk space later.
    pub fn create(dir: &Path, capacity: u64, meta: &str) -> Result<Ring> {
        let capacity = (capacity.max(MIN_CAPACITY) + 7) & !7;
        if meta.len() > META_MAX {
            bail!("hand-off metadata too large ({} bytes)", meta.len());
        }
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create directory {}", dir.display()))?;
        let name = format!(
            "handoff-{}-{}.ring",
            std::process::id(),
            INSTANCE.fetch_add(1, Ordering::Relaxed)
        );
        // Locked under a temporary name, then renamed: nobody sees an unlocked live ring.
        let tmp = dir.join(format!(".{name}.tmp"));
        let path = dir.join(&name);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        let made = (|| {
            file.try_lock().context("cannot lock the new ring")?;
            let len = HEADER_BYTES + capacity;
            // SAFETY: a valid descriptor; reserves the blocks (ENOSPC now, not SIGBUS later).
            let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len as libc::off_t) };
            if rc != 0 {
                bail!(
                    "cannot reserve {len} bytes: {}",
                    std::io::Error::from_raw_os_error(rc)
                );
            }
            let ring = Ring::map(path.clone(), file.try_clone()?, len)?;
            ring.init(capacity, meta);
            fs::rename(&tmp, &path)?;
            Ok(ring)
        })();
        if made.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        let ring = made.with_context(|| format!("hand-off ring in {}", dir.display()))?;
        drop(file); // the clone inside the ring keeps the lock (same open file)
        Ok(ring)
    }

    fn map(path: PathBuf, file: File, len: u64) -> Result<Ring> {
        // SAFETY: a shared read-write mapping of a file we hold open; unmapped on drop.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            bail!("mmap: {}", std::io::Error::last_os_error());
        }
        Ok(Ring {
            path,
            _file: file,
            base: base.cast(),
            map_len: len as usize,
            capacity: len - HEADER_BYTES,
        })
    }

    fn init(&self, capacity: u64, meta: &str) {
        let (start, boot) = self_identity();
        // SAFETY: the header page is ours alone until the file is renamed into view.
        unsafe {
            let h = std::slice::from_raw_parts_mut(self.base, HEADER_BYTES as usize);
            h.fill(0);
            h[..8].copy_from_slice(MAGIC);
            h[OFF_VERSION..OFF_VERSION + 4].copy_from_slice(&VERSION.to_le_bytes());
            h[OFF_CAPACITY..OFF_CAPACITY + 8].copy_from_slice(&capacity.to_le_bytes());
            h[OFF_PID..OFF_PID + 8].copy_from_slice(&(std::process::id() as u64).to_le_bytes());
            h[OFF_START..OFF_START + 8].copy_from_slice(&start.to_le_bytes());
            let b = boot.as_bytes();
            let n = b.len().min(40);
            h[OFF_BOOT..OFF_BOOT + n].copy_from_slice(&b[..n]);
            h[OFF_META_LEN..OFF_META_LEN + 4].copy_from_slice(&(meta.len() as u32).to_le_bytes());
            h[OFF_META..OFF_META + meta.len()].copy_from_slice(meta.as_bytes());
        }
    }

    /// Rings in `dir` whose owner is gone, locked for this process (each adopted by exactly
    /// one process). Files that are not rings of this format are left alone, with a warning.
    pub fn adopt_orphans(dir: &Path) -> Vec<Ring> {
        let Ok(entries) = fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("handoff-") && n.ends_with(".ring"))
            .collect();
        names.sort();
        let mut out = Vec::new();
        for name in names {
            let path = dir.join(&name);
            match Ring::try_adopt(&path) {
                Ok(Some(ring)) => out.push(ring),
                Ok(None) => {}
                Err(e) => tracing::warn!("hand-off: not adopting {}: {e:#}", path.display()),
            }
        }
        out
    }

    fn try_adopt(path: &Path) -> Result<Option<Ring>> {
        let file = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if file.try_lock().is_err() {
            return Ok(None); // its owner is alive, or another process is adopting it
        }
        let len = file.metadata()?.len();
        if len < HEADER_BYTES + MIN_CAPACITY {
            bail!("{len} bytes: too short for a ring");
        }
        let ring = Ring::map(path.to_path_buf(), file, len)?;
        let h = ring.header();
        if &h[..8] != MAGIC || u32_at(h, OFF_VERSION) != VERSION {
            bail!("not a hand-off ring of this version");
        }
        if u64_at(h, OFF_CAPACITY) != ring.capacity {
            bail!("its capacity does not match its size");
        }
        let (pid, start, boot) = ring.owner();
        if pid != std::process::id() as u64 && is_running(pid, start, &boot) {
            // Lock free yet the owner runs: it let go of the ring without removing it.
            return Ok(None);
        }
        Ok(Some(ring))
    }

    fn header(&self) -> &[u8] {
        // SAFETY: the header page is mapped; its plain fields are written once at creation.
        unsafe { std::slice::from_raw_parts(self.base, HEADER_BYTES as usize) }
    }

    fn atomic(&self, off: usize) -> &AtomicU64 {
        // SAFETY: 8-aligned offsets inside the mapped header page.
        unsafe { &*(self.base.add(off) as *const AtomicU64) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// (pid, start time in clock ticks since boot, boot id) of the process that made it.
    pub fn owner(&self) -> (u64, u64, String) {
        let h = self.header();
        let boot = String::from_utf8_lossy(&h[OFF_BOOT..OFF_BOOT + 40])
            .trim_end_matches('\0')
            .to_string();
        (u64_at(h, OFF_PID), u64_at(h, OFF_START), boot)
    }

    /// What the creator stored for adopters (node name, mode).
    pub fn meta(&self) -> String {
        let h = self.header();
        let n = (u32_at(h, OFF_META_LEN) as usize).min(META_MAX);
        String::from_utf8_lossy(&h[OFF_META..OFF_META + n]).into_owned()
    }

    /// End of the committed records.
    pub fn write_pos(&self) -> u64 {
        self.atomic(OFF_WRITE).load(Ordering::Acquire)
    }

    pub fn acks(&self) -> Acks {
        let get = |off| self.atomic(off).load(Ordering::Acquire);
        Acks {
            calls: get(OFF_ACK_CALLS),
            alerts: get(OFF_ACK_ALERTS),
            lanes: get(OFF_ACK_LANES),
        }
    }

    /// Stores the acknowledgements and frees the space below the least of them.
    pub fn store_acks(&self, a: &Acks) {
        let set = |off, v| self.atomic(off).store(v, Ordering::Release);
        set(OFF_ACK_CALLS, a.calls);
        set(OFF_ACK_ALERTS, a.alerts);
        set(OFF_ACK_LANES, a.lanes);
        self.atomic(OFF_TAIL).store(a.least(), Ordering::Release);
    }

    /// Bytes written and not yet acknowledged everywhere.
    pub fn pending_bytes(&self) -> u64 {
        self.write_pos()
            .saturating_sub(self.atomic(OFF_TAIL).load(Ordering::Acquire))
    }

    /// Appends one record of `len` bytes filled by `fill`. False when it does not fit (the
    /// ring is full up to the drainer's tail, or the record is larger than a quarter of the
    /// ring). The caller guarantees a single producer at a time.
    #[inline]
    pub fn append(&self, len: usize, fill: impl FnOnce(&mut [u8])) -> bool {
        let need = align8((RECORD_HEADER + len) as u64);
        if need > self.capacity / 4 {
            return false;
        }
        let write = self.atomic(OFF_WRITE).load(Ordering::Relaxed);
        let at = write % self.capacity;
        let pad = if at + need > self.capacity {
            self.capacity - at
        } else {
            0
        };
        let tail = self.atomic(OFF_TAIL).load(Ordering::Acquire);
        if write + pad + need - tail > self.capacity {
            return false;
        }
        // SAFETY: [write, write + pad + need) lies within one lap above the tail: no reader
        // looks there until `write` is published below.
        unsafe {
            let data = self.base.add(HEADER_BYTES as usize);
            if pad > 0 {
                (data.add(at as usize) as *mut u32).write_unaligned(PAD.to_le());
            }
            let start = write + pad;
            let i = (start % self.capacity) as usize;
            let payload = std::slice::from_raw_parts_mut(data.add(i + RECORD_HEADER), len);
            fill(payload);
            let mut crc = crc32fast::Hasher::new();
            crc.update(&start.to_le_bytes());
            crc.update(payload);
            (data.add(i) as *mut u32).write_unaligned((len as u32).to_le());
            (data.add(i + 4) as *mut u32).write_unaligned(crc.finalize().to_le());
            self.atomic(OFF_WRITE)
                .store(start + need, Ordering::Release);
        }
        true
    }

    /// The record at `pos` (below [`Ring::write_pos`]), checked.
    pub fn read(&self, pos: u64) -> Read<'_> {
        let mut pos = pos;
        // SAFETY: reads inside the data area below `write`, which the producer no longer
        // touches (it writes only at or above `write`, and below `tail` + capacity).
        unsafe {
            let data = self.base.add(HEADER_BYTES as usize);
            let mut at = pos % self.capacity;
            let mut len = u32::from_le((data.add(at as usize) as *const u32).read_unaligned());
            if len == PAD {
                pos += self.capacity - at;
                at = 0;
                len = u32::from_le((data as *const u32).read_unaligned());
            }
            let need = align8(RECORD_HEADER as u64 + len as u64);
            if len == PAD || need > self.capacity / 4 || at + need > self.capacity {
                return Read::Corrupt(format!("bad record length {len} at position {pos}"));
            }
            let crc = u32::from_le((data.add(at as usize + 4) as *const u32).read_unaligned());
            let payload =
                std::slice::from_raw_parts(data.add(at as usize + RECORD_HEADER), len as usize);
            let mut h = crc32fast::Hasher::new();
            h.update(&pos.to_le_bytes());
            h.update(payload);
            if h.finalize() != crc {
                return Read::Corrupt(format!("checksum mismatch at position {pos}"));
            }
            Read::Record {
                payload,
                next: pos + need,
            }
        }
    }

    /// Writes the ring's dirty pages to disk and waits (the `interval` sync policy).
    pub fn sync(&self) -> std::io::Result<()> {
        // SAFETY: the whole mapping, which stays mapped during the call.
        let rc = unsafe { libc::msync(self.base.cast(), self.map_len, libc::MS_SYNC) };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    /// Deletes the file (everything in it was delivered); the mapping stays valid for whoever
    /// still holds the ring.
    pub fn remove(&self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn u32_at(h: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(h[off..off + 4].try_into().unwrap())
}

fn u64_at(h: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(h[off..off + 8].try_into().unwrap())
}

/// This process's start time (clock ticks since boot) and the boot's id.
fn self_identity() -> (u64, String) {
    (
        start_ticks(std::process::id() as u64).unwrap_or(0),
        boot_id(),
    )
}

fn boot_id() -> String {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Field 22 of `/proc/<pid>/stat` (after the command name, which may hold spaces).
fn start_ticks(pid: u64) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the process that wrote (pid, start, boot) still runs: same boot, the pid exists
/// and started at the same tick (not a later process that got the pid).
fn is_running(pid: u64, start: u64, boot: &str) -> bool {
    if pid == 0 || boot != boot_id() {
        return false;
    }
    start_ticks(pid) == Some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_wrap_and_refuse_when_full() {
        let dir = tempfile::tempdir().unwrap();
        let ring = Ring::create(dir.path(), MIN_CAPACITY, "{}").unwrap();
        let cap = ring.capacity();
        let mut read = 0u64;
        let mut seen = 0u32;
        let mut written = 0u32;
        // Records of varying length, read and acknowledged as we go, over several laps.
        for i in 0..20_000u32 {
            let len = 20 + (i as usize * 37) % 300;
            while !ring.append(len, |b| {
                b.fill(i as u8);
                b[..4].copy_from_slice(&i.to_le_bytes());
            }) {
                // Full: the drainer catches up.
                assert!(ring.pending_bytes() + 8 + len as u64 > cap - 8 * 1024);
                while read < ring.write_pos() {
                    match ring.read(read) {
                        Read::Record { payload, next } => {
                            assert_eq!(u32::from_le_bytes(payload[..4].try_into().unwrap()), seen);
                            seen += 1;
                            read = next;
                        }
                        Read::Corrupt(why) => panic!("{why}"),
                    }
                }
                ring.store_acks(&Acks {
                    calls: read,
                    alerts: read,
                    lanes: read,
                });
            }
            written += 1;
        }
        assert!(ring.write_pos() > 3 * cap, "several laps");
        while read < ring.write_pos() {
            let Read::Record { next, .. } = ring.read(read) else {
                panic!("corrupt")
            };
            seen += 1;
            read = next;
        }
        assert_eq!(seen, written);
        assert!(!ring.append(cap as usize / 4, |_| {}), "too large");
    }

    #[test]
    fn a_torn_or_stale_record_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let ring = Ring::create(dir.path(), MIN_CAPACITY, "{}").unwrap();
        assert!(ring.append(100, |b| b.fill(7)));
        // SAFETY: test: corrupt one payload byte.
        unsafe { *ring.base.add(HEADER_BYTES as usize + 20) ^= 1 };
        assert!(matches!(ring.read(0), Read::Corrupt(_)));
        // A valid record read at the position of a later lap fails its checksum.
        let ring2 = Ring::create(dir.path(), MIN_CAPACITY, "{}").unwrap();
        assert!(ring2.append(100, |b| b.fill(7)));
        assert!(matches!(ring2.read(0), Read::Record { .. }));
        assert!(matches!(ring2.read(ring2.capacity()), Read::Corrupt(_)));
    }

    #[test]
    fn only_rings_of_dead_owners_are_adopted_and_by_one_taker() {
        let dir = tempfile::tempdir().unwrap();
        let live = Ring::create(dir.path(), MIN_CAPACITY, r#"{"node":"a"}"#).unwrap();
        assert!(live.append(10, |b| b.fill(1)));
        assert!(Ring::adopt_orphans(dir.path()).is_empty(), "locked: alive");
        let path = live.path().to_path_buf();
        drop(live); // lock released, file kept: as after a crash
                    // Released, but its owner (this process) still runs under the same pid: adopted,
                    // because a live owner in this process would still hold the lock.
        let adopted = Ring::adopt_orphans(dir.path());
        assert_eq!(adopted.len(), 1);
        assert_eq!(adopted[0].path(), path);
        assert_eq!(adopted[0].meta(), r#"{"node":"a"}"#);
        assert_eq!(adopted[0].write_pos(), 24);
        assert!(Ring::adopt_orphans(dir.path()).is_empty(), "one taker");
        drop(adopted);
        // A ring whose header names a live process of another pid is left alone.
        let other = Ring::create(dir.path(), MIN_CAPACITY, "{}").unwrap();
        let other_path = other.path().to_path_buf();
        // SAFETY: test-only header edit: pid 1 (init) with its real start time.
        unsafe {
            (other.base.add(OFF_PID) as *mut u64).write_unaligned(1);
            (other.base.add(OFF_START) as *mut u64).write_unaligned(start_ticks(1).unwrap());
        }
        drop(other);
        let adopted = Ring::adopt_orphans(dir.path());
        assert!(adopted.iter().all(|r| r.path() != other_path));
        // pid 1 with another start time: a different process, so the ring is an orphan.
        for r in adopted {
            r.remove();
        }
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&other_path)
            .unwrap();
        let r = Ring::map(other_path.clone(), f, HEADER_BYTES + MIN_CAPACITY).unwrap();
        // SAFETY: test-only header edit.
        unsafe { (r.base.add(OFF_START) as *mut u64).write_unaligned(start_ticks(1).unwrap() + 1) };
        drop(r);
        assert_eq!(Ring::adopt_orphans(dir.path()).len(), 1);
    }
}
