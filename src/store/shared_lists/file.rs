// SPDX-License-Identifier: MIT OR Apache-2.0
//! Shared lists in a file: for the processes of one host that share no
//! Redis — `acm serve` on the embedded store, the Kamailio workers of one
//! switch — and durable across restarts.
//!
//! The file is JSON: `{"version": N, "lists": {<the [lists] keys>}}`. A change
//! takes an exclusive lock on `<file>.lock`, reads the current file, applies
//! the change, writes a temporary file beside it and renames it over the old
//! one (readers never see half a file), and bumps the version. Readers take no
//! lock: the lists follower of each process reads the version every
//! `store.lists_poll_ms` (one small read) and the whole file only when it
//! moved. A missing file is version 0 with empty lists.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{validate_entries, SharedList, SharedLists};
use crate::config::ListsConfig;
use crate::store::StoreError;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    version: u64,
    lists: ListsConfig,
}

/// Lists shared through one file on the local file system.
#[derive(Debug, Clone)]
pub struct FileLists {
    path: PathBuf,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("lists file {}: {what}: {e}", path.display()))
}

impl FileLists {
    /// Lists kept at `path` (created on the first change; its directory must exist
    /// or be creatable).
    pub fn new(path: impl Into<PathBuf>) -> FileLists {
        FileLists { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<Stored, StoreError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                StoreError::Protocol(format!("lists file {}: {e}", self.path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Stored::default()),
            Err(e) => Err(io("read", &self.path, e)),
        }
    }

    fn write(&self, stored: &Stored) -> Result<(), StoreError> {
        let tmp = self
            .path
            .with_extension(format!("tmp.{}", std::process::id()));
        let text = serde_json::to_vec_pretty(stored)
            .map_err(|e| StoreError::Protocol(format!("lists file: {e}")))?;
        let mut f = File::create(&tmp).map_err(|e| io("create", &tmp, e))?;
        f.write_all(&text)
            .and_then(|_| f.sync_all())
            .map_err(|e| io("write", &tmp, e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| io("rename", &self.path, e))
    }
}

impl SharedLists for FileLists {
    fn version(&self) -> Result<u64, StoreError> {
        Ok(self.read()?.version)
    }

    fn snapshot(&self) -> Result<(u64, ListsConfig), StoreError> {
        let s = self.read()?;
        Ok((s.version, s.lists))
    }

    fn change(
        &self,
        list: SharedList,
        add: bool,
        entries: &[String],
    ) -> Result<(u64, u64), StoreError> {
        if add {
            validate_entries(list, entries)?;
        }
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io("create directory", dir, e))?;
        }
        let lock_path = self.path.with_extension("lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io("open", &lock_path, e))?;
        lock.lock().map_err(|e| io("lock", &lock_path, e))?;
        let mut stored = self.read()?;
        let field = list.field(&mut stored.lists);
        let mut changed = 0u64;
        for e in entries {
            let present = field.iter().position(|x| x == e);
            match (add, present) {
                (true, None) => {
                    field.push(e.clone());
                    changed += 1;
                }
                (false, Some(i)) => {
                    field.remove(i);
                    changed += 1;
                }
                _ => {}
            }
        }
        field.sort();
        if changed > 0 {
            stored.version += 1;
            self.write(&stored)?;
        }
        // The lock is released when `lock` is dropped.
        Ok((changed, stored.version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_bump_the_version_and_survive_a_new_handle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("lists.json");
        let l = FileLists::new(&path);
        assert_eq!(l.version().unwrap(), 0, "no file: version 0");
        let (n, v) = l
            .change(
                SharedList::DenyANumbers,
                true,
                &["+2348030000001".into(), "+234701*".into()],
            )
            .unwrap();
        assert_eq!((n, v), (2, 1));
        assert_eq!(
            l.change(SharedList::DenyANumbers, true, &["+2348030000001".into()])
                .unwrap(),
            (0, 1),
            "no change, no new version"
        );
        assert!(l
            .change(SharedList::AllowSources, true, &["nonsense".into()])
            .is_err());
        let again = FileLists::new(&path);
        let (v, lists) = again.snapshot().unwrap();
        assert_eq!(v, 1);
        assert_eq!(lists.deny_a_numbers, vec!["+234701*", "+2348030000001"]);
        assert_eq!(
            again
                .change(SharedList::DenyANumbers, false, &["+234701*".into()])
                .unwrap(),
            (1, 2)
        );
    }

    #[test]
    fn concurrent_writers_lose_no_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lists.json");
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let l = FileLists::new(&path);
                std::thread::spawn(move || {
                    for i in 0..25 {
                        l.change(SharedList::DenyTrunks, true, &[format!("T{t}-{i}")])
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let (v, lists) = FileLists::new(&path).snapshot().unwrap();
        assert_eq!(v, 100);
        assert_eq!(lists.deny_trunks.len(), 100);
    }
}
