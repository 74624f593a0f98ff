//! Re-keying: the database encrypted again under a new random data key, and every remaining
//! slot given that key, so that a deactivated account's slot, or an old copy of the key file,
//! opens nothing of the current file (issue 16.1).
//!
//! SQLCipher's `PRAGMA rekey` does not work on a database in WAL mode, so the database is
//! copied with `sqlcipher_export` into `<db>.next` under the new key (the changes that call for
//! the re-key are made in that copy only), then the new slots are written to `<db>.keys.next`,
//! naming the copy's salt. Then `<db>.next` is renamed over the database, the old log and index
//! (`-wal`, `-shm`, which belong to the old file) are removed, and `<db>.keys.next` is renamed
//! over the key file. A crash at any point leaves, at the next open, either the old database and
//! key file, or the new ones: [`recover`] decides from which file the surviving database is
//! (its salt), deterministically.
//!
//! Other terminals: while `<db>.next` exists and the key file's lock is held, their writes are
//! refused at once as "busy" and retried (nothing is lost); the old database's write lock, held
//! from the copy to the swap, stops any write that came before. Every write checks first that
//! the file is still the one its connection opened, and a terminal whose file was replaced opens
//! the new one with its own slot ([`Store::follow_rekey`]), or is told its access changed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::audit;
use super::db::Db;
use super::error::{StoreError, StoreResult};
use super::keyslots::{DATABASE_SALT_LEN, DataKey, KeyFile, KeySlot, database_salt};
use super::{Store, connection, schema};
use crate::atomic_file::sync_parent;

/// The attached name of the new copy while it is made.
pub(super) const NEXT: &str = "next";
const NEXT_C: &std::ffi::CStr = c"next";

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The database being made by a re-key, beside the database.
pub fn next_database_path(db_path: &Path) -> PathBuf {
    with_suffix(db_path, ".next")
}

/// Its key file, written once the new database is whole.
pub fn next_key_file_path(db_path: &Path) -> PathBuf {
    with_suffix(&KeyFile::path_for(db_path), ".next")
}

fn remove_if_present(path: &Path) -> StoreResult<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(StoreError::io(path.display().to_string(), err)),
    }
}

/// A half-made copy and its companions.
fn remove_next_database(db_path: &Path) -> StoreResult<()> {
    let next = next_database_path(db_path);
    for suffix in ["", "-journal", "-wal", "-shm"] {
        remove_if_present(&with_suffix(&next, suffix))?;
    }
    Ok(())
}

/// Finishes or undoes a re-key that a crash interrupted; the caller holds the key file's lock.
/// `<db>.keys.next` is written (atomically) only once `<db>.next` is whole: if it names the
/// salt of the file now at the database's path, that file is the new database and the new key
/// file wins; otherwise the database was never replaced and the leftovers go.
pub(super) fn recover(db_path: &Path) -> StoreResult<()> {
    let next_keys = next_key_file_path(db_path);
    if std::fs::symlink_metadata(&next_keys).is_err() {
        return remove_next_database(db_path);
    }
    let next = KeyFile::load(&next_keys)?;
    let current = database_salt(db_path)?;
    if next.database_salt() == Some(current) {
        // The database was replaced: the log and index at its path are the old file's.
        for suffix in ["-wal", "-shm"] {
            remove_if_present(&with_suffix(db_path, suffix))?;
        }
        sync_parent(db_path).map_err(|e| StoreError::io(db_path.display().to_string(), e))?;
        let keys = KeyFile::path_for(db_path);
        std::fs::rename(&next_keys, &keys).map_err(|e| StoreError::io(keys.display().to_string(), e))?;
        sync_parent(&keys).map_err(|e| StoreError::io(keys.display().to_string(), e))?;
        remove_next_database(db_path)
    } else {
        remove_if_present(&next_keys)?;
        remove_next_database(db_path)
    }
}

/// What a re-key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RekeyReport {
    /// Slots given the new key.
    pub slots: usize,
    /// Logins whose slot was still version 1 (their owner never unlocked since the upgrade):
    /// such a slot cannot receive a new key, so it is removed; a supervisor resets them.
    pub removed_version_1: Vec<String>,
    pub elapsed: Duration,
}

/// How far the copy is: bytes written so far, and the size it is expected to reach.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Debug builds only: `PERMANENCE_TEST_REKEY_PAUSE_MS` waits at each step of a re-key, so that
/// the tests can kill the process at any of them.
fn injected_pause() {
    if cfg!(debug_assertions)
        && let Some(ms) =
            std::env::var("PERMANENCE_TEST_REKEY_PAUSE_MS").ok().and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(Duration::from_millis(ms.min(60_000)));
    }
}

impl Store {
    /// Re-keys the database with `key_file`'s slots (already changed as the caller wants:
    /// a slot removed, a slot replaced), and `changes` made in the new copy, in the same step.
    /// The caller holds the key file's lock. The file only: a server's data key is not rotated
    /// (docs/postgres-status.md, "Revocation on the server"; `Withdrawal::KeyKept`).
    pub(super) fn rekey(
        &mut self,
        mut key_file: KeyFile,
        changes: impl FnOnce(&Connection, &str, Option<audit::Signer<'_>>) -> StoreResult<()>,
        progress: Progress<'_>,
    ) -> StoreResult<RekeyReport> {
        let db_path = self.db_path()?.to_owned();
        let started = Instant::now();
        let new_key = DataKey::generate()?;
        let mut removed_version_1 = Vec::new();
        for slot in key_file.slots().to_vec() {
            if let KeySlot::Legacy(legacy) = slot {
                removed_version_1.push(legacy.login.clone());
                key_file.remove_slot(legacy.listener_id);
            }
        }
        let mut slots = 0;
        for slot in key_file.slots_mut() {
            if let KeySlot::Current(slot) = slot {
                slot.rewrap(&new_key)?;
                slots += 1;
            }
        }
        recover(&db_path)?;
        let next = next_database_path(&db_path);
        super::create_private_file(&next)?;
        let result = self.rekey_into(&next, key_file, &new_key, changes, progress);
        if result.is_err() {
            // Whatever happened, the old database and key file are whole; the next open would
            // clean up too.
            let _ = recover(&db_path);
        }
        let new_salt = result?;
        // This session goes on with the new file. (The old connection, closing, keeps the log
        // files at the path, which are the new file's now: `connection::keep_log_files`.)
        self.conn = Db::Sqlite(connection::open(&db_path, &new_key, false)?);
        self.key = new_key;
        self.salt = new_salt;
        Ok(RekeyReport { slots, removed_version_1, elapsed: started.elapsed() })
    }

    fn rekey_into(
        &mut self,
        next: &Path,
        key_file: KeyFile,
        new_key: &DataKey,
        changes: impl FnOnce(&Connection, &str, Option<audit::Signer<'_>>) -> StoreResult<()>,
        progress: Progress<'_>,
    ) -> StoreResult<[u8; DATABASE_SALT_LEN]> {
        let db_path = self.db_path()?.to_owned();
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |e| StoreError::io(path.clone(), e)
        };
        // The old database's write lock, held until the new file has taken its place: no other
        // terminal writes meanwhile (they wait, then say "busy"; nothing is lost).
        let hold = self.conn.transaction(super::db::TxKind::Write)?;
        // Nobody can have re-keyed between our last check and this lock: re-keys hold the key
        // file's lock, which the caller holds.
        let version = schema::user_version(hold.sqlite().ok_or(StoreError::Locked)?)?;
        let copier = connection::open(&db_path, &self.key, false)?;
        // Attached without a KEY clause (which would bind the new key as an SQL value, copied
        // by SQLite into memory freed unwiped), then keyed the way every connection is.
        copier.execute(&format!("ATTACH DATABASE ?1 AS {NEXT}"), [next.to_string_lossy()])?;
        connection::key_schema(&copier, NEXT_C, new_key)?;
        let expected = [String::new(), "-wal".into()]
            .iter()
            .filter_map(|suffix| std::fs::metadata(with_suffix(&db_path, suffix)).ok())
            .map(|m| m.len())
            .sum::<u64>()
            .max(1);
        let copied = std::sync::atomic::AtomicBool::new(false);
        let exported = std::thread::scope(|scope| {
            scope.spawn(|| {
                while !copied.load(std::sync::atomic::Ordering::Relaxed) {
                    let done = std::fs::metadata(next).map(|m| m.len()).unwrap_or(0);
                    progress(done.min(expected), expected);
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
            let result = (|| -> StoreResult<()> {
                copier.execute_batch(&format!(
                    "BEGIN;
                     SELECT sqlcipher_export('{NEXT}');
                     PRAGMA {NEXT}.user_version = {version};"
                ))?;
                changes(&copier, NEXT, super::signer_of(&self.actor, self.keys.as_ref()))?;
                copier.execute_batch("COMMIT;")?;
                Ok(())
            })();
            copied.store(true, std::sync::atomic::Ordering::Relaxed);
            result
        });
        if let Err(err) = exported {
            let _ = copier.execute_batch("ROLLBACK;");
            return Err(err);
        }
        progress(expected, expected);
        copier.execute_batch(&format!("DETACH DATABASE {NEXT};"))?;
        drop(copier);
        std::fs::File::open(next).and_then(|f| f.sync_all()).map_err(io(next))?;
        injected_pause();
        // The new key file, naming the new file: from now on, a crash ends with the new state
        // if the database was replaced, with the old one otherwise.
        let salt = database_salt(next)?;
        let next_keys = next_key_file_path(&db_path);
        key_file.copy_to(next_keys.clone(), salt).save()?;
        injected_pause();
        std::fs::rename(next, &db_path).map_err(io(&db_path))?;
        sync_parent(&db_path).map_err(io(&db_path))?;
        injected_pause();
        for suffix in ["-wal", "-shm"] {
            remove_if_present(&with_suffix(&db_path, suffix))?;
        }
        sync_parent(&db_path).map_err(io(&db_path))?;
        let keys = KeyFile::path_for(&db_path);
        std::fs::rename(&next_keys, &keys).map_err(io(&keys))?;
        sync_parent(&keys).map_err(io(&keys))?;
        // Nothing was written through the held lock; the old file is gone from its path.
        drop(hold);
        Ok(salt)
    }

    /// If another terminal re-keyed the database since this session opened it, opens the new
    /// file with this account's own slot (no passphrase needed: the slot's X25519 secret is in
    /// memory). `AccessRevoked` if the new key file holds no slot with this session's keys (the
    /// account was deactivated, or its passphrase reset). While a re-key is under way, "busy" at
    /// once rather than a wait for the old file's write lock (a whole re-key can take a few
    /// seconds on a large store, and a terminal saves its draft every second).
    pub(super) fn follow_rekey(&mut self) -> StoreResult<()> {
        // A server is not re-keyed (docs/postgres-status.md); a database replaced there is
        // found by its id (`Store::still_the_opened_file`).
        if self.conn.is_postgres() {
            return Ok(());
        }
        let db_path = self.db_path()?.to_owned();
        let key_path = KeyFile::path_for(&db_path);
        if std::fs::symlink_metadata(next_database_path(&db_path)).is_ok() {
            let Some(_slots) = KeyFile::try_lock(&key_path)? else { return Err(StoreError::Locked) };
            return self.follow_rekey_locked();
        }
        if database_salt(&db_path).is_ok_and(|salt| salt == self.salt) {
            return Ok(());
        }
        let _slots = KeyFile::lock(&key_path)?;
        self.follow_rekey_locked()
    }

    /// [`Store::follow_rekey`], for a caller that holds the key file's lock (an account change,
    /// which waits for a re-key under way rather than say "busy").
    pub(super) fn follow_rekey_locked(&mut self) -> StoreResult<()> {
        if self.conn.is_postgres() {
            return Ok(());
        }
        let db_path = self.db_path()?.to_owned();
        // A re-key that died is finished or undone first.
        recover(&db_path)?;
        let salt = database_salt(&db_path)?;
        if salt == self.salt {
            return Ok(());
        }
        let key_file = KeyFile::load(&KeyFile::path_for(&db_path))?;
        let keys = self.keys.as_ref().ok_or(StoreError::AccessRevoked)?;
        let key = match key_file.slot(self.actor.id) {
            Some(KeySlot::Current(slot)) if slot.keys == keys.public() => {
                keys.open_wrapped(slot).ok_or(StoreError::AccessRevoked)?
            }
            _ => return Err(StoreError::AccessRevoked),
        };
        let conn = Db::Sqlite(connection::open(&db_path, &key, false)?);
        let still = super::listeners::get(&conn, self.actor.id)?
            .is_some_and(|l| l.active && l.role == self.actor.role && l.login == self.actor.login);
        if !still {
            return Err(StoreError::AccessRevoked);
        }
        self.conn = conn;
        self.key = key;
        self.salt = salt;
        Ok(())
    }
}

/// Inside a write transaction: refuses to write if the database at our path is no longer the
/// file this connection opened (a re-key finished while this write waited for the lock).
/// Nothing is written; the next try opens the new file.
pub(super) fn still_the_opened_file(db_path: &Path, salt: &[u8; DATABASE_SALT_LEN]) -> StoreResult<()> {
    if database_salt(db_path)? == *salt { Ok(()) } else { Err(StoreError::Locked) }
}
