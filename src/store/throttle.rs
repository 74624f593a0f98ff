//! Wrong passphrases, counted per account in `<db>.keys.attempts` beside the key file (logins,
//! counts and times; no secret). Every unlock, the terminal's and the command line's, waits as
//! `domain::passphrase::wait_after` says, and quitting or relaunching resets nothing. It slows a
//! person or a script using this program; it cannot slow an attacker who copies the key file
//! and runs Argon2id elsewhere (the key derivation's cost is the protection there), nor one who
//! can delete this file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::db::{Db, TxKind};
use super::error::StoreResult;
use super::keyslots::KeyFile;
use super::postgres::ServerUrl;
use crate::atomic_file::write_atomically;
use crate::db_params;
use crate::domain::Timestamp;
use crate::domain::passphrase::wait_after;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Attempts {
    /// Login → wrong passphrases in a row, and the time of the last one (Unix seconds).
    accounts: BTreeMap<String, (u32, i64)>,
}

pub fn path_for(key_path: &Path) -> PathBuf {
    let mut name = key_path.as_os_str().to_owned();
    name.push(".attempts");
    PathBuf::from(name)
}

/// A damaged or unreadable file counts as no failure: it must never lock everyone out.
fn load(key_path: &Path) -> Attempts {
    crate::bounded_read::read_regular_file(&path_for(key_path), 1 << 20)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Seconds before `login` may try again, if it must wait.
pub fn wait_left(key_path: &Path, login: &str, now: Timestamp) -> Option<i64> {
    left_in(&load(key_path), login, now)
}

fn left_in(attempts: &Attempts, login: &str, now: Timestamp) -> Option<i64> {
    let (failures, last) = *attempts.accounts.get(login)?;
    left(failures, last, now)
}

/// The rule, for the file and the server: seconds left after `failures` in a row, the last at
/// `last` (Unix seconds).
fn left(failures: u32, last: i64, now: Timestamp) -> Option<i64> {
    left_secs(failures, last, now.timestamp())
}

fn left_secs(failures: u32, last: i64, now: i64) -> Option<i64> {
    let until = last + wait_after(failures)?.num_seconds();
    let left = until - now;
    (left > 0).then_some(left)
}

/// Before a passphrase is tried: `Err(seconds)` if `login` must wait; otherwise the try is
/// counted as a failure now, in the same step as the check (under the key file's lock), and
/// [`clear`]ed if the passphrase is right. Checking first and counting after the key
/// derivation let a script start many processes at once that all passed the check before any
/// of them had failed; now at most the free tries run together. A process killed mid-try
/// keeps its try counted. Where nothing can be written (read-only media), the count on file
/// is still enforced.
pub fn begin(key_path: &Path, login: &str, now: Timestamp) -> Result<(), i64> {
    let mut refused = None;
    let counted = change(key_path, |attempts| {
        refused = left_in(attempts, login, now);
        if refused.is_some() {
            return false;
        }
        let entry = attempts.accounts.entry(login.to_owned()).or_insert((0, 0));
        *entry = (entry.0.saturating_add(1), now.timestamp());
        true
    });
    if !counted {
        refused = wait_left(key_path, login, now);
    }
    refused.map_or(Ok(()), Err)
}

/// The try counted by [`begin`] never tested the passphrase (a damaged key file): uncounted.
pub fn cancel(key_path: &Path, login: &str) {
    change(key_path, |attempts| match attempts.accounts.get_mut(login) {
        Some((failures, _)) if *failures > 1 => {
            *failures -= 1;
            true
        }
        Some(_) => attempts.accounts.remove(login).is_some(),
        None => false,
    });
}

/// Counts a wrong passphrase for `login` (best effort: a read-only folder keeps no count).
#[cfg(test)]
pub fn record_failure(key_path: &Path, login: &str, now: Timestamp) {
    let _ = begin(key_path, login, now);
}

/// The right passphrase: the count starts again.
pub fn clear(key_path: &Path, login: &str) {
    if load(key_path).accounts.contains_key(login) {
        change(key_path, |attempts| attempts.accounts.remove(login).is_some());
    }
}

/// Reads, edits and writes back the counts under the key file's lock, so that two processes
/// counting at once lose no failure; `edit` says whether it changed anything. Whether the
/// edit was made and written: a read-only folder keeps no count.
fn change(key_path: &Path, edit: impl FnOnce(&mut Attempts) -> bool) -> bool {
    let Ok(_lock) = KeyFile::lock(key_path) else { return false };
    let mut attempts = load(key_path);
    if !edit(&mut attempts) {
        return true;
    }
    serde_json::to_vec(&attempts).is_ok_and(|json| write_atomically(&path_for(key_path), &json).is_ok())
}

// The same rules on a server: the counts in its `unlock_attempt` table, each step one write
// transaction, which the server's write lock orders across every terminal as the key file's
// lock does on one machine; and on the server's clock (`now()`), never a desk's, so that a desk
// whose clock is late or early neither shortens nor stretches anyone's wait.

/// The server's clock in the same statement, in Unix seconds.
const SERVER_NOW: &str = "extract(epoch FROM now())::bigint";

/// [`begin`] on a server.
pub fn server_begin(db: &Db, login: &str) -> StoreResult<Result<(), i64>> {
    let tx = db.transaction(TxKind::WriteUnseen)?;
    if let Some(wait) =
        server_counts(&tx, login)?.and_then(|(failures, last, now)| left_secs(failures, last, now))
    {
        return Ok(Err(wait));
    }
    tx.execute(
        &format!(
            "INSERT INTO unlock_attempt (login, failures, last_at) VALUES (?1, 1, {SERVER_NOW})
             ON CONFLICT (login) DO UPDATE SET failures = unlock_attempt.failures + 1, last_at = excluded.last_at"
        ),
        db_params![login],
    )?;
    tx.commit()?;
    Ok(Ok(()))
}

/// [`cancel`] on a server.
pub fn server_cancel(db: &Db, login: &str) -> StoreResult<()> {
    let tx = db.transaction(TxKind::WriteUnseen)?;
    tx.execute("UPDATE unlock_attempt SET failures = failures - 1 WHERE login = ?1", db_params![login])?;
    tx.execute("DELETE FROM unlock_attempt WHERE login = ?1 AND failures <= 0", db_params![login])?;
    tx.commit()
}

/// [`clear`] on a server.
pub fn server_clear(db: &Db, login: &str) -> StoreResult<()> {
    if server_counts(db, login)?.is_some() {
        let tx = db.transaction(TxKind::WriteUnseen)?;
        tx.execute("DELETE FROM unlock_attempt WHERE login = ?1", db_params![login])?;
        tx.commit()?;
    }
    Ok(())
}

/// [`wait_left`] on the server at `url` (its own connection: nobody is unlocked yet), on its
/// clock; a server that cannot be asked makes nobody wait.
pub fn server_wait_left(url: &ServerUrl, login: &str) -> Option<i64> {
    let db = Db::postgres(url.connect().ok()?);
    let (failures, last, now) = server_counts(&db, login).ok()??;
    left_secs(failures, last, now)
}

/// Wrong passphrases in a row, the last one's time and the server's time now (Unix seconds).
fn server_counts(db: &Db, login: &str) -> StoreResult<Option<(u32, i64, i64)>> {
    db.query_opt(
        &format!("SELECT failures, last_at, {SERVER_NOW} FROM unlock_attempt WHERE login = ?1"),
        db_params![login],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn the_wait_grows_with_failures_survives_reloading_and_ends_with_the_right_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("p.db.keys");
        let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
        for n in 0..2 {
            record_failure(&keys, "camille", t0);
            assert_eq!(wait_left(&keys, "camille", t0), None, "failure {} is free", n + 1);
        }
        record_failure(&keys, "camille", t0);
        assert_eq!(wait_left(&keys, "camille", t0), Some(5));
        assert_eq!(wait_left(&keys, "camille", t0 + Duration::seconds(5)), None);
        record_failure(&keys, "camille", t0 + Duration::seconds(5));
        assert_eq!(wait_left(&keys, "camille", t0 + Duration::seconds(5)), Some(10));
        assert_eq!(wait_left(&keys, "sacha", t0), None, "per account");
        clear(&keys, "camille");
        assert_eq!(wait_left(&keys, "camille", t0 + Duration::seconds(5)), None);
        std::fs::write(path_for(&keys), b"{damaged").unwrap();
        assert_eq!(wait_left(&keys, "camille", t0), None, "a damaged count locks nobody out");
        let text = {
            record_failure(&keys, "camille", t0);
            std::fs::read_to_string(path_for(&keys)).unwrap()
        };
        assert!(text.contains("camille") && !text.contains("pass"), "logins and counts only: {text}");
    }

    #[test]
    fn a_try_is_counted_before_it_is_made_and_refused_once_the_free_ones_are_taken() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("p.db.keys");
        let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
        // Three tries begun, none finished yet (three processes at once): the fourth waits.
        for _ in 0..3 {
            assert_eq!(begin(&keys, "camille", t0), Ok(()));
        }
        assert_eq!(begin(&keys, "camille", t0), Err(5));
        assert_eq!(load(&keys).accounts["camille"].0, 3, "a refused try is not counted");
        // A try that never tested the passphrase (a damaged key file) is taken back.
        cancel(&keys, "camille");
        assert_eq!(begin(&keys, "camille", t0), Ok(()), "back to two, a third is free");
        // The right passphrase clears the count.
        clear(&keys, "camille");
        assert!(!load(&keys).accounts.contains_key("camille"));
        cancel(&keys, "camille");
        assert!(!load(&keys).accounts.contains_key("camille"), "nothing to take back");
    }
}
