//! Wrong passphrases, counted per account in `<db>.keys.attempts` beside the key file (logins,
//! counts and times; no secret). Every unlock, the terminal's and the command line's, waits as
//! `domain::passphrase::wait_after` says, and quitting or relaunching resets nothing. It slows a
//! person or a script using this program; it cannot slow an attacker who copies the key file
//! and runs Argon2id elsewhere (the key derivation's cost is the protection there), nor one who
//! can delete this file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::keyslots::KeyFile;
use crate::atomic_file::write_atomically;
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
    let (failures, last) = *load(key_path).accounts.get(login)?;
    let until = last + wait_after(failures)?.num_seconds();
    let left = until - now.timestamp();
    (left > 0).then_some(left)
}

/// Counts a wrong passphrase for `login` (best effort: a read-only folder keeps no count).
pub fn record_failure(key_path: &Path, login: &str, now: Timestamp) {
    change(key_path, |attempts| {
        let entry = attempts.accounts.entry(login.to_owned()).or_insert((0, 0));
        *entry = (entry.0.saturating_add(1), now.timestamp());
    });
}

/// The right passphrase: the count starts again.
pub fn clear(key_path: &Path, login: &str) {
    if load(key_path).accounts.contains_key(login) {
        change(key_path, |attempts| {
            attempts.accounts.remove(login);
        });
    }
}

fn change(key_path: &Path, edit: impl FnOnce(&mut Attempts)) {
    // Under the key file's lock: two processes counting at once lose no failure.
    let Ok(_lock) = KeyFile::lock(key_path) else { return };
    let mut attempts = load(key_path);
    edit(&mut attempts);
    if let Ok(json) = serde_json::to_vec(&attempts) {
        let _ = write_atomically(&path_for(key_path), &json);
    }
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
}
