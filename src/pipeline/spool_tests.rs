// SPDX-License-Identifier: MIT OR Apache-2.0
//! Spool unit tests: order, ack persistence, corrupt tails, the size cap, orphan adoption.

use super::*;
use crate::pipeline::record::CallRecord;

fn calls(from: usize, n: usize) -> SpoolBatch {
    SpoolBatch::Calls(
        (from..from + n)
            .map(|i| CallRecord {
                call_id: format!("c{i}"),
                event_time_ms: i as i64,
                ..CallRecord::default()
            })
            .collect(),
    )
}

fn open(dir: &Path, max: u64) -> (Spool, Arc<PipelineStats>) {
    let stats = Arc::new(PipelineStats::default());
    (Spool::open(dir, max, Arc::clone(&stats)).unwrap(), stats)
}

fn drain(spool: &mut Spool) -> Vec<SpoolBatch> {
    let mut out = Vec::new();
    while let Some(batch) = spool.peek().unwrap() {
        spool.ack().unwrap();
        out.push(batch);
    }
    out
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "spool"))
        .collect();
    files.sort();
    files
}

#[test]
fn delivers_in_order_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spool, stats) = open(dir.path(), 1 << 30);
    assert!(spool.peek().unwrap().is_none());
    for i in 0..5 {
        spool.append(&calls(i * 10, 10)).unwrap();
    }
    assert!(!spool.is_empty());
    assert_eq!(stats.spooled.load(Ordering::Relaxed), 50);
    let got = drain(&mut spool);
    assert_eq!(got, (0..5).map(|i| calls(i * 10, 10)).collect::<Vec<_>>());
    assert!(spool.is_empty());
    assert_eq!(stats.spool_bytes.load(Ordering::Relaxed), 0);
    assert!(segment_files(dir.path()).is_empty());
    // Appending again after a full drain starts a fresh segment.
    spool.append(&calls(100, 1)).unwrap();
    assert_eq!(drain(&mut spool), vec![calls(100, 1)]);
}

#[test]
fn a_restarted_owner_resumes_after_the_last_ack() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut spool, _) = open(dir.path(), 1 << 30);
        for i in 0..3 {
            spool.append(&calls(i, 1)).unwrap();
        }
        assert_eq!(spool.peek().unwrap(), Some(calls(0, 1)));
        spool.ack().unwrap();
        // "Crash": the second record is peeked (sent) but never acked.
        assert_eq!(spool.peek().unwrap(), Some(calls(1, 1)));
    }
    let (mut next, _) = open(dir.path(), 1 << 30);
    assert_eq!(drain(&mut next), vec![calls(1, 1), calls(2, 1)]);
    assert!(fs::read_dir(dir.path()).unwrap().all(|e| {
        let name = e.unwrap().file_name().into_string().unwrap();
        !name.starts_with("seg-")
    }));
}

#[test]
fn torn_tail_is_counted_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut spool, _) = open(dir.path(), 1 << 30);
        spool.append(&calls(0, 3)).unwrap();
        spool.append(&calls(3, 3)).unwrap();
    }
    // Crash mid-write: half a record at the end of the segment.
    let segment = segment_files(dir.path()).pop().unwrap();
    let len = fs::metadata(&segment).unwrap().len();
    let full = fs::read(&segment).unwrap();
    let one_record = (len - HEADER) / 2;
    let mut file = OpenOptions::new().append(true).open(&segment).unwrap();
    file.write_all(&full[HEADER as usize..(HEADER + one_record / 2) as usize])
        .unwrap();
    drop(file);
    let (mut spool, stats) = open(dir.path(), 1 << 30);
    assert_eq!(drain(&mut spool), vec![calls(0, 3), calls(3, 3)]);
    assert_eq!(stats.dropped_corrupt.load(Ordering::Relaxed), 1);
    assert!(spool.is_empty());
}

#[test]
fn flipped_bit_fails_the_checksum() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut spool, _) = open(dir.path(), 1 << 30);
        spool.append(&calls(0, 2)).unwrap();
        spool.append(&calls(2, 2)).unwrap();
    }
    let segment = segment_files(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&segment).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x40;
    fs::write(&segment, bytes).unwrap();
    let (mut spool, stats) = open(dir.path(), 1 << 30);
    assert_eq!(drain(&mut spool), vec![calls(0, 2)]);
    assert_eq!(stats.dropped_corrupt.load(Ordering::Relaxed), 1);
}

#[test]
fn cap_refuses_new_batches() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spool, _) = open(dir.path(), 4096);
    let mut accepted = 0;
    let mut refused = 0;
    for i in 0..100 {
        match spool.append(&calls(i * 5, 5)) {
            Ok(()) => accepted += 1,
            Err(AppendError::Full) => refused += 1,
            Err(AppendError::Io(e)) => panic!("{e}"),
        }
    }
    assert!(
        accepted > 0 && refused > 0,
        "accepted {accepted}, refused {refused}"
    );
    assert!(spool.bytes() <= 4096);
    assert_eq!(drain(&mut spool).len(), accepted);
}

#[test]
fn live_owners_are_left_alone_and_dead_ones_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut alive, _) = open(dir.path(), 1 << 30);
    alive.append(&calls(0, 1)).unwrap();
    let (mut other, _) = open(dir.path(), 1 << 30);
    assert!(other.is_empty(), "must not adopt a live owner's segments");
    drop(alive); // the owner dies: its lock is released, its files stay
    other.append(&calls(9, 1)).unwrap();
    let (mut heir, _) = open(dir.path(), 1 << 30);
    assert_eq!(drain(&mut heir), vec![calls(0, 1)]);
    assert_eq!(drain(&mut other), vec![calls(9, 1)]);
    let locks = fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".lock")
        })
        .count();
    assert_eq!(
        locks, 2,
        "the dead owner's lock file is removed once delivered"
    );
}
