// SPDX-License-Identifier: MIT OR Apache-2.0
//! The on-disk spool: batches that could not reach ClickHouse wait here, in order, until it is
//! back. Append-only segment files of length-prefixed, CRC32-checksummed records; a `.ack` file
//! beside each segment holds the offset of the first undelivered record. One owner per process
//! (pid + instance); a process that starts later adopts the segments of owners that are gone.
//!
//! Record: `len: u32 LE | crc32(payload): u32 LE | payload`, payload = `kind: u8 | JSON array`.
//! Segment: 8-byte magic `ACMSPL01`, then records. A torn or corrupt record (crash mid-write)
//! fails its length or checksum: it is counted and the rest of that segment is skipped.

use crate::pipeline::outbox::{CheckedCall, RecordMeta};
use crate::pipeline::record::{AlertRecord, CallRecord};
use crate::pipeline::stats::PipelineStats;
use anyhow::{bail, Context, Result};
use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const MAGIC: &[u8; 8] = b"ACMSPL01";
const HEADER: u64 = 8;
const RECORD_HEADER: u64 = 8;
const MAX_RECORD: u64 = 512 << 20;
const KIND_CALLS: u8 = 1;
const KIND_ALERTS: u8 = 2;

/// Distinguishes several pipelines in one process (tests); a plain counter, so nothing global
/// needs initialising at load time and it stays valid after fork (the pid changes).
static INSTANCE: AtomicU64 = AtomicU64::new(0);

/// What one spool record holds: one batch for one table (so one record = one INSERT).
#[derive(Debug, Clone, PartialEq)]
pub enum SpoolBatch {
    Calls(Vec<CallRecord>),
    /// Calls as the call path handed them over: compact, built into rows only
    /// while they are inserted (or spooled), so a pending batch holds no
    /// per-field strings.
    Checked(CheckedBatch),
    Alerts(Vec<AlertRecord>),
}

impl SpoolBatch {
    pub fn len(&self) -> usize {
        match self {
            SpoolBatch::Calls(rows) => rows.len(),
            SpoolBatch::Checked(b) => b.len,
            SpoolBatch::Alerts(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn encode(&self) -> Result<Vec<u8>> {
        let mut payload = Vec::with_capacity(64 + self.len() * 256);
        match self {
            SpoolBatch::Calls(rows) => {
                payload.push(KIND_CALLS);
                serde_json::to_writer(&mut payload, rows)?;
            }
            SpoolBatch::Checked(b) => {
                payload.push(KIND_CALLS);
                serde_json::to_writer(&mut payload, &b.records().collect::<Vec<_>>())?;
            }
            SpoolBatch::Alerts(rows) => {
                payload.push(KIND_ALERTS);
                serde_json::to_writer(&mut payload, rows)?;
            }
        }
        Ok(payload)
    }

    fn decode(payload: &[u8]) -> Result<SpoolBatch> {
        match payload.split_first() {
            Some((&KIND_CALLS, json)) => Ok(SpoolBatch::Calls(serde_json::from_slice(json)?)),
            Some((&KIND_ALERTS, json)) => Ok(SpoolBatch::Alerts(serde_json::from_slice(json)?)),
            _ => bail!("unknown spool record kind"),
        }
    }
}

/// Producers' hand-off batches, kept as they came until one INSERT takes them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CheckedBatch {
    pub parts: Vec<(Arc<RecordMeta>, Vec<CheckedCall>)>,
    /// Calls over all parts.
    pub len: usize,
}

impl CheckedBatch {
    pub fn push(&mut self, meta: Arc<RecordMeta>, calls: Vec<CheckedCall>) {
        self.len += calls.len();
        self.parts.push((meta, calls));
    }

    /// One call; joins the last part when it has the same meta.
    pub fn push_one(&mut self, meta: Arc<RecordMeta>, call: CheckedCall) {
        self.len += 1;
        match self.parts.last_mut() {
            Some((m, calls)) if Arc::ptr_eq(m, &meta) => calls.push(call),
            _ => self.parts.push((meta, vec![call])),
        }
    }

    /// The rows, built one at a time.
    pub fn records(&self) -> impl Iterator<Item = CallRecord> + '_ {
        self.parts
            .iter()
            .flat_map(|(meta, calls)| calls.iter().map(move |c| c.record(meta)))
    }
}

#[derive(Debug)]
pub enum AppendError {
    /// The spool is at `spool_max_bytes`; the batch was not written.
    Full,
    Io(anyhow::Error),
}

struct Segment {
    path: PathBuf,
    /// Offset of the first undelivered record.
    read_offset: u64,
    /// Bytes written (own active segment) or file size (others).
    len: u64,
}

struct Writer {
    file: File,
}

pub struct Spool {
    dir: PathBuf,
    owner: String,
    max_bytes: u64,
    segment_max: u64,
    stats: Arc<PipelineStats>,
    /// Pending segments, oldest first (adopted ones before our own).
    segments: VecDeque<Segment>,
    writer: Option<Writer>,
    next_seq: u64,
    total_bytes: u64,
    _own_lock: File,
    /// Lock files of dead owners we adopted; removed once their segments are delivered.
    adopted: Vec<(String, File)>,
    /// Length of the record returned by the last `peek`, consumed by `ack`.
    peeked_len: Option<u64>,
}

fn segment_prefix(owner: &str) -> String {
    format!("seg-{owner}-")
}

fn ack_path(segment: &Path) -> PathBuf {
    let mut name = segment.as_os_str().to_owned();
    name.push(".ack");
    PathBuf::from(name)
}

impl Spool {
    /// Opens (creating) the spool directory, takes this process's owner lock and adopts the
    /// segments of owners whose lock is free (their process is gone).
    pub fn open(dir: &Path, max_bytes: u64, stats: Arc<PipelineStats>) -> Result<Spool> {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create spool directory {}", dir.display()))?;
        let owner = format!(
            "{}-{}",
            std::process::id(),
            INSTANCE.fetch_add(1, Ordering::Relaxed)
        );
        // Lock under a temporary name, then rename: others never see an unlocked live lock file.
        let tmp = dir.join(format!(".owner-{owner}.lock.tmp"));
        let own_lock =
            File::create(&tmp).with_context(|| format!("cannot write in {}", dir.display()))?;
        own_lock
            .try_lock()
            .context("cannot lock own spool lock file")?;
        fs::rename(&tmp, dir.join(format!("owner-{owner}.lock")))?;
        let mut spool = Spool {
            dir: dir.to_path_buf(),
            owner,
            max_bytes,
            segment_max: (max_bytes / 8).clamp(1 << 20, 64 << 20),
            stats,
            segments: VecDeque::new(),
            writer: None,
            next_seq: 0,
            total_bytes: 0,
            _own_lock: own_lock,
            adopted: Vec::new(),
            peeked_len: None,
        };
        spool.adopt_orphans()?;
        spool.publish_bytes();
        Ok(spool)
    }

    fn adopt_orphans(&mut self) -> Result<()> {
        let mut owners: Vec<String> = fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                Some(
                    name.strip_prefix("owner-")?
                        .strip_suffix(".lock")?
                        .to_string(),
                )
            })
            .filter(|owner| *owner != self.owner)
            .collect();
        owners.sort();
        for owner in owners {
            let lock_path = self.dir.join(format!("owner-{owner}.lock"));
            let Ok(lock) = File::open(&lock_path) else {
                continue;
            };
            if lock.try_lock().is_err() {
                continue; // alive, or being adopted by another process
            }
            let prefix = segment_prefix(&owner);
            let mut names: Vec<String> = fs::read_dir(&self.dir)?
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.starts_with(&prefix) && n.ends_with(".spool"))
                .collect();
            names.sort();
            for name in names {
                let path = self.dir.join(name);
                let len = fs::metadata(&path)?.len();
                let read_offset = read_ack(&path).unwrap_or(HEADER).min(len);
                self.total_bytes += len - read_offset;
                tracing::info!(
                    "spool: adopting {} ({} bytes pending)",
                    path.display(),
                    len - read_offset
                );
                self.segments.push_back(Segment {
                    path,
                    read_offset,
                    len,
                });
            }
            self.adopted.push((owner, lock));
        }
        self.release_finished_adoptions();
        Ok(())
    }

    /// Once no segment of an adopted owner is pending, its lock file goes too.
    fn release_finished_adoptions(&mut self) {
        let segments = &self.segments;
        let dir = &self.dir;
        self.adopted.retain(|(owner, _)| {
            let prefix = segment_prefix(owner);
            let pending = segments.iter().any(|s| {
                s.path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
            });
            if !pending {
                let _ = fs::remove_file(dir.join(format!("owner-{owner}.lock")));
            }
            pending
        });
    }

    pub fn is_empty(&self) -> bool {
        self.total_bytes == 0
    }

    pub fn bytes(&self) -> u64 {
        self.total_bytes
    }

    fn publish_bytes(&self) {
        self.stats
            .spool_bytes
            .store(self.total_bytes, Ordering::Relaxed);
    }

    /// Appends one batch as one record. Never blocks on anything but the local disk.
    pub fn append(&mut self, batch: &SpoolBatch) -> Result<(), AppendError> {
        let payload = batch.encode().map_err(AppendError::Io)?;
        let record_len = RECORD_HEADER + payload.len() as u64;
        if self.total_bytes + record_len > self.max_bytes {
            return Err(AppendError::Full);
        }
        let need_new = match (&self.writer, self.segments.back()) {
            (Some(_), Some(active)) => {
                active.len + record_len > self.segment_max && active.len > HEADER
            }
            _ => true,
        };
        if need_new {
            self.start_segment().map_err(AppendError::Io)?;
        }
        let mut buf = Vec::with_capacity(record_len as usize);
        buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        buf.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        buf.extend_from_slice(&payload);
        let writer = self.writer.as_mut().expect("segment open");
        if let Err(e) = writer.file.write_all(&buf) {
            // A partial record may be on disk: its checksum will reject it; start afresh.
            self.writer = None;
            return Err(AppendError::Io(
                anyhow::Error::new(e).context("spool write failed"),
            ));
        }
        let active = self.segments.back_mut().expect("active segment");
        active.len += record_len;
        self.total_bytes += record_len;
        self.publish_bytes();
        PipelineStats::add(&self.stats.spooled, batch.len() as u64);
        Ok(())
    }

    fn start_segment(&mut self) -> Result<()> {
        if let Some(writer) = self.writer.take() {
            let _ = writer.file.sync_data();
        }
        let path = self.dir.join(format!(
            "{}{:010}.spool",
            segment_prefix(&self.owner),
            self.next_seq
        ));
        self.next_seq += 1;
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot create spool segment {}", path.display()))?;
        file.write_all(MAGIC)?;
        self.segments.push_back(Segment {
            path,
            read_offset: HEADER,
            len: HEADER,
        });
        self.writer = Some(Writer { file });
        Ok(())
    }

    fn is_active(&self, index: usize) -> bool {
        self.writer.is_some() && index + 1 == self.segments.len()
    }

    /// The oldest undelivered batch, or None when the spool is empty. Corrupt or torn records
    /// are counted in `dropped_corrupt` and skipped (with the rest of their segment).
    pub fn peek(&mut self) -> Result<Option<SpoolBatch>> {
        loop {
            self.peeked_len = None;
            let Some(segment) = self.segments.front() else {
                return Ok(None);
            };
            if segment.read_offset >= segment.len {
                if self.is_active(0) {
                    return Ok(None);
                }
                self.finish_front();
                continue;
            }
            match read_record(&segment.path, segment.read_offset, segment.len) {
                Ok((payload, record_len)) => match SpoolBatch::decode(&payload) {
                    Ok(batch) => {
                        self.peeked_len = Some(record_len);
                        return Ok(Some(batch));
                    }
                    Err(e) => self.skip_corrupt_rest(&e.to_string()),
                },
                Err(RecordError::Corrupt(why)) => self.skip_corrupt_rest(&why),
                Err(RecordError::Io(e)) => return Err(e),
            }
        }
    }

    fn skip_corrupt_rest(&mut self, why: &str) {
        let active = self.is_active(0);
        let segment = self.segments.front_mut().expect("segment");
        let skipped = segment.len - segment.read_offset;
        tracing::warn!(
            "spool: corrupt record in {} at offset {} ({why}); skipping {skipped} bytes",
            segment.path.display(),
            segment.read_offset
        );
        segment.read_offset = segment.len;
        self.total_bytes -= skipped;
        PipelineStats::add(&self.stats.dropped_corrupt, 1);
        if active {
            self.writer = None; // never append after garbage
        }
        self.finish_front();
        self.publish_bytes();
    }

    /// Marks the batch returned by the last `peek` as delivered (persisted in the `.ack` file).
    pub fn ack(&mut self) -> Result<()> {
        let Some(record_len) = self.peeked_len.take() else {
            return Ok(());
        };
        let segment = self.segments.front_mut().expect("peeked segment");
        segment.read_offset += record_len;
        self.total_bytes -= record_len;
        let done = segment.read_offset >= segment.len;
        if done && !self.is_active(0) {
            self.finish_front();
        } else if done {
            // Our own active segment, fully delivered: remove it; the next append starts anew.
            self.writer = None;
            self.finish_front();
        } else {
            let segment = self.segments.front().expect("segment");
            write_ack(&segment.path, segment.read_offset)?;
        }
        self.publish_bytes();
        Ok(())
    }

    /// Deletes the front segment (delivered or skipped) and its ack file.
    fn finish_front(&mut self) {
        if let Some(segment) = self.segments.pop_front() {
            let _ = fs::remove_file(ack_path(&segment.path));
            let _ = fs::remove_file(&segment.path);
        }
        self.release_finished_adoptions();
    }
}

enum RecordError {
    Corrupt(String),
    Io(anyhow::Error),
}

fn read_record(path: &Path, offset: u64, len: u64) -> Result<(Vec<u8>, u64), RecordError> {
    let io = |e: std::io::Error| {
        RecordError::Io(anyhow::Error::new(e).context(format!("reading {}", path.display())))
    };
    let mut file = File::open(path).map_err(io)?;
    if offset == HEADER {
        let mut magic = [0u8; 8];
        file.read_exact(&mut magic)
            .map_err(|_| RecordError::Corrupt("short header".into()))?;
        if &magic != MAGIC {
            return Err(RecordError::Corrupt("bad segment magic".into()));
        }
    }
    if len - offset < RECORD_HEADER {
        return Err(RecordError::Corrupt("truncated record header".into()));
    }
    file.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut header = [0u8; 8];
    file.read_exact(&mut header).map_err(io)?;
    let payload_len = u32::from_le_bytes(header[0..4].try_into().unwrap()) as u64;
    let crc = u32::from_le_bytes(header[4..8].try_into().unwrap());
    if payload_len > MAX_RECORD || payload_len > len - offset - RECORD_HEADER {
        return Err(RecordError::Corrupt(format!(
            "record length {payload_len} runs past the end"
        )));
    }
    let mut payload = vec![0u8; payload_len as usize];
    file.read_exact(&mut payload).map_err(io)?;
    if crc32fast::hash(&payload) != crc {
        return Err(RecordError::Corrupt("checksum mismatch".into()));
    }
    Ok((payload, RECORD_HEADER + payload_len))
}

fn read_ack(segment: &Path) -> Option<u64> {
    fs::read_to_string(ack_path(segment))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Write-then-rename, so a crash leaves either the old or the new offset.
fn write_ack(segment: &Path, offset: u64) -> Result<()> {
    let path = ack_path(segment);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    fs::write(&tmp, offset.to_string())?;
    fs::rename(&tmp, &path)?;
    Ok(())
}

#[cfg(test)]
#[path = "spool_tests.rs"]
mod tests;
