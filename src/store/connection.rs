//! Opening a connection on the encrypted file, with the same pragmas every time.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::error::{StoreError, StoreResult};
use super::keyslots::DataKey;

/// How long a write waits for another process (a supervisor's terminal) to finish its own.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection (rusqlite's default is 16). The program runs 64
/// distinct statements through the keypress benchmark's actions; a listener's round (the
/// queue, a file, a search, the draft, the poll, a phone call looked up) runs more than 16, so
/// that each evicted the next one's and SQLite parsed and planned them again: measured on the
/// 100,000-call demo store, a round of those ten actions 3.3 ms with 16, 2.8–3.1 ms with 64.
const STATEMENT_CACHE: usize = 64;

pub fn open(path: &Path, key: &DataKey, create: bool) -> StoreResult<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = keyed(path, key, flags)?;
    let journal: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !journal.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Invalid(format!(
            "the database could not switch to WAL journaling (it stays in {journal})"
        )));
    }
    // The log is emptied, never deleted, when the last connection closes (see `keep_log_files`).
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;
         PRAGMA journal_size_limit = 0;",
    )?;
    Ok(conn)
}

/// SQLite's last connection to close deletes the `-wal` and `-shm` files *by name*. After a
/// re-key has put a new file at the database's path, a terminal still holding the old file
/// would delete the new file's live log that way. Told to keep them (`PERSIST_WAL`), SQLite
/// empties the log through its own descriptor instead (`journal_size_limit = 0`).
fn keep_log_files(conn: &Connection) -> StoreResult<()> {
    let mut on: std::ffi::c_int = 1;
    // SAFETY: a valid open handle, the "main" database, and a pointer to an int, as
    // SQLITE_FCNTL_PERSIST_WAL documents.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_PERSIST_WAL,
            (&mut on as *mut std::ffi::c_int).cast(),
        )
    };
    if rc == rusqlite::ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!("the database could not keep its log files (code {rc})")))
    }
}

/// A connection that never writes, for a database on read-only media or in a folder this
/// account cannot write (SQLite then keeps the log's index in memory, as it may for a
/// read-only WAL database), or on a full disk. `query_only` refuses any write outright.
pub fn open_read_only(path: &Path, key: &DataKey) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = match keyed(path, key, flags) {
        Ok(conn) => conn,
        // SQLite reads a WAL database only if it can open or create its -shm file, or if told
        // the file is immutable: true of read-only media (nobody can write there) whose log
        // was checkpointed away when the database was last closed.
        Err(StoreError::ReadOnly(_) | StoreError::NotFound(_)) | Err(StoreError::Sqlite(_))
            if std::fs::metadata(super::wal::wal_path(path)).map_or(true, |m| m.len() == 0) =>
        {
            keyed(Path::new(&immutable_uri(path)), key, flags | OpenFlags::SQLITE_OPEN_URI)?
        }
        Err(err) => return Err(err),
    };
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA temp_store = MEMORY;")?;
    Ok(conn)
}

/// `file:…?immutable=1` for `path`, with the characters a URI gives meaning to escaped.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => uri.push_str(&format!("%{:02X}", c as u32)),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Opens, keys and proves the key on a first read; the busy timeout set.
fn keyed(path: &Path, key: &DataKey, flags: OpenFlags) -> StoreResult<Connection> {
    let conn = keyed_connection(path, key, flags)?;
    // The key was already proven right by its slot, so a first page that does not decrypt
    // is damage to the file (or a key file from another database), never a wrong passphrase.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0))
        .map_err(|err| classify(err, path))?;
    keep_log_files(&conn)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// SQLite marks itself initialised, and lets other threads open connections, a moment before
/// SQLCipher's own start-up (its private heap, its random mask from OpenSSL) has run: a
/// connection keyed in that window is refused with "An error occurred with PRAGMA key" (SQLite
/// 3.54's `sqlite3_initialize` sets `isInit` before it calls `SQLITE_EXTRA_INIT`, and
/// `sqlcipherCodecAttach` refuses keys while SQLCipher is not started). Only the first
/// connections of a process opened by several threads at once can meet it, as in a test run.
/// So no connection is keyed before a keyed probe has succeeded once in this process; the
/// probe retries only while the start-up it waits for is under way in another thread.
fn sqlcipher_started() -> StoreResult<()> {
    static STARTED: OnceLock<Result<(), String>> = OnceLock::new();
    let probe = || -> Result<(), String> {
        let memory = Connection::open_in_memory().map_err(|e| e.to_string())?;
        memory
            .execute_batch("PRAGMA cipher_log_level = NONE; PRAGMA key = 'start-up probe';")
            .map_err(|e| e.to_string())
    };
    STARTED
        .get_or_init(|| {
            let mut outcome = probe();
            for _ in 0..200 {
                if outcome.is_ok() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
                outcome = probe();
            }
            outcome
        })
        .clone()
        .map_err(|e| StoreError::Invalid(format!("SQLCipher did not start: {e}")))
}

fn keyed_connection(path: &Path, key: &DataKey, flags: OpenFlags) -> StoreResult<Connection> {
    sqlcipher_started()?;
    let conn = Connection::open_with_flags(path, flags).map_err(|err| classify(err, path))?;
    // SQLCipher otherwise logs HMAC failures to stderr, over the terminal interface.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    key_schema(&conn, c"main", key)?;
    Ok(conn)
}

/// Keys the database `schema` of `conn` (`main`, or one just attached without a KEY clause)
/// through SQLCipher's C call rather than `PRAGMA key` or `ATTACH … KEY`: a statement's text or
/// bound value is copied by SQLite into memory freed without being wiped, while SQLCipher
/// copies the key into its own allocations, which it wipes when it frees them.
pub(super) fn key_schema(conn: &Connection, schema: &std::ffi::CStr, key: &DataKey) -> StoreResult<()> {
    let literal = key.sqlcipher_literal();
    let length = std::ffi::c_int::try_from(literal.len()).expect("a 67-byte literal");
    let keyed = unsafe {
        rusqlite::ffi::sqlite3_key_v2(conn.handle(), schema.as_ptr(), literal.as_ptr().cast(), length)
    };
    if keyed != rusqlite::ffi::SQLITE_OK {
        return Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(keyed),
            Some(KEYING.into()),
        )));
    }
    Ok(())
}

const KEYING: &str = "keying the connection (sqlite3_key_v2)";

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

#[cfg(test)]
mod tests {
    use super::*;

    const CHILD_TEST: &str = "store::connection::tests::first_connections_of_a_process_key_at_once";

    /// Several threads key their first connections at the same instant, as the test harness
    /// does: each must be keyed, none refused. Run alone in fresh processes by the test below,
    /// since only the first connections of a process meet SQLCipher's start-up.
    #[test]
    #[ignore = "run in fresh processes by sqlcipher_start_up_never_refuses_a_key"]
    fn first_connections_of_a_process_key_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let key = std::sync::Arc::new(DataKey::generate().unwrap());
        let start = std::sync::Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (path, key, start) = (dir.path().join(format!("{i}.db")), key.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    // The keying itself, as it stood before (it then retried in `keyed`).
                    keyed_connection(
                        &path,
                        &key,
                        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
                    )
                    .map(drop)
                    .map_err(|e| e.to_string())
                })
            })
            .collect();
        let refused: Vec<String> = threads.into_iter().filter_map(|t| t.join().unwrap().err()).collect();
        assert!(refused.is_empty(), "refused: {refused:?}");
    }

    #[test]
    fn sqlcipher_start_up_never_refuses_a_key() {
        let exe = std::env::current_exe().unwrap();
        for run in 0..30 {
            let out = std::process::Command::new(&exe)
                .args(["--ignored", "--exact", CHILD_TEST, "--test-threads", "1"])
                .output()
                .unwrap();
            assert!(
                out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
                "run {run}:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
