//! Opening a connection on the encrypted file, with the same pragmas every time.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use zeroize::Zeroizing;

use super::error::{StoreError, StoreResult};
use super::keyslots::DataKey;

/// How long a write waits for another process (a supervisor's terminal) to finish its own.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub fn open(path: &Path, key: &DataKey, create: bool) -> StoreResult<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = keyed_connection(path, key, flags).or_else(|err| match err {
        // Seen once in a loaded test run with several threads opening connections at the same
        // moment: SQLCipher refused to set up its cipher context, and a fresh connection keyed
        // fine. One more try on a new connection; a second failure is reported.
        StoreError::Sqlite(ref inner) if inner.to_string().contains("PRAGMA key") => {
            keyed_connection(path, key, flags)
        }
        other => Err(other),
    })?;
    // The key was already proven right by its slot, so a first page that does not decrypt
    // is damage to the file (or a key file from another database), never a wrong passphrase.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0))
        .map_err(|err| classify(err, path))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let journal: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !journal.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Invalid(format!(
            "the database could not switch to WAL journaling (it stays in {journal})"
        )));
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;",
    )?;
    Ok(conn)
}

fn keyed_connection(path: &Path, key: &DataKey, flags: OpenFlags) -> StoreResult<Connection> {
    let conn = Connection::open_with_flags(path, flags).map_err(|err| classify(err, path))?;
    // SQLCipher otherwise logs HMAC failures to stderr, over the terminal interface.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    let keying = Zeroizing::new(format!("PRAGMA key = \"{}\";", key.sqlcipher_literal().as_str()));
    conn.execute_batch(&keying)?;
    Ok(conn)
}

/// SQLite says "cannot open" both for a missing file and for a folder where it cannot create
/// its -wal and -shm files; tell the two apart for the person reading the message.
fn classify(err: rusqlite::Error, path: &Path) -> StoreError {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::CannotOpen) if path.exists() => {
            StoreError::ReadOnly(path.parent().unwrap_or(path).display().to_string())
        }
        Some(rusqlite::ErrorCode::CannotOpen) => StoreError::NotFound(path.to_owned()),
        _ => err.into(),
    }
}
