//! The store's typed errors: each failure a person can meet gets its own case, so the
//! interface can tell a wrong passphrase from a damaged file from a full disk.

use std::io;
use std::path::PathBuf;

use rusqlite::ErrorCode;

use crate::i18n::Phrase;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no database at {0}: create one with `permanence init` (or try `permanence demo`)")]
    NotFound(PathBuf),
    #[error("a database already exists at {0}; nothing was changed")]
    AlreadyExists(PathBuf),
    #[error(
        "the key file {0} is missing, so the database beside it cannot be unlocked; \
         restore the key file from the backup taken with the database"
    )]
    KeyFileMissing(PathBuf),
    #[error(
        "the database file {0} is missing although its key file is there; \
         restore the database from a backup"
    )]
    DatabaseMissing(PathBuf),
    #[error("the key file {path} is damaged ({detail}); restore it from a backup")]
    KeyFileDamaged { path: PathBuf, detail: String },
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("no account {0:?} can unlock this database")]
    UnknownListener(String),
    #[error("the account {0:?} is deactivated")]
    Deactivated(String),
    /// The passphrase opened the slot, but the slot is not one this account may use
    /// (docs/keyslots.md, "Who may unlock").
    #[error("the key slot of {login:?} is refused: {problem}")]
    SlotRefused { login: String, problem: super::pins::SlotProblem },
    /// The database was re-keyed while this session was open, and this account's slot does not
    /// open the new key (deactivated, or its passphrase reset): unlock again.
    #[error("your access to this database changed (account deactivated or passphrase reset): unlock again")]
    AccessRevoked,
    #[error(
        "the database is damaged ({0}); nothing was changed. \
         Run `permanence check` and restore from a backup"
    )]
    DatabaseDamaged(String),
    #[error(
        "the database was written by a newer version of permanence (schema {found}, this one knows up to {known})"
    )]
    TooNew { found: i64, known: i64 },
    #[error("the database is busy in another program; try again in a moment (nothing was lost)")]
    Locked,
    #[error("cannot write {0}: the folder or the file is read-only")]
    ReadOnly(String),
    #[error("the disk is full: nothing was saved. Free some space and try again (nothing was lost)")]
    DiskFull,
    /// What only a supervisor may do, as "only a supervisor can …" completes it.
    #[error("{}", Phrase::new(|s| &s.cli.forbidden).with_phrase("what", .0.clone()))]
    Forbidden(Phrase),
    /// Someone else changed the callback first (another terminal): nothing was changed.
    #[error("the callback was changed meanwhile ({0}); nothing was changed")]
    Conflict(crate::domain::callback::CallbackNow),
    #[error("too many wrong passphrases for this account: wait {0} s before trying again")]
    TooSoon(i64),
    #[error(
        "the file changed since it was shown (another person's edit, or the retention purge); nothing was written"
    )]
    FileChanged,
    /// A supervisor closing the shift of someone whose terminal is still open.
    #[error("a terminal of {0}'s is still open: their shift is ended there")]
    TerminalStillOpen(String),
    /// Something a person asked that cannot be done as asked (a code that names no file, a
    /// login taken, a legal hold without a reason…), said in the reader's language.
    #[error("{0}")]
    Refused(Phrase),
    /// Refused by the passphrase policy; said in French, the interface's default language
    /// (the terminal and the command line word it in the configured one before it gets here).
    #[error("{}", crate::i18n::Strings::get(crate::i18n::Language::Fr).weak_passphrase(.0))]
    WeakPassphrase(crate::domain::passphrase::WeakPassphrase),
    /// A fault inside the program or the system (no randomness, a setting SQLite refused),
    /// which no person can act on: its detail is technical.
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// The connection to the centre's server broke (the server restarted or stopped, the
    /// network dropped) and could not be made again yet. What was being written is not known
    /// to be saved: it stays in the terminal (the call being taken in its local draft too) and
    /// is written again, once, when the server answers.
    #[error(
        "the database server cannot be reached (the connection was lost); what was being saved is kept \
         and will be saved once the server answers again"
    )]
    ConnectionLost,
    /// The centre's PostgreSQL server refused or failed (its cases get their own errors as
    /// they are told apart: unreachable, wrong password, TLS refused…).
    #[error("database server error: {}", server_detail(.0))]
    Server(::postgres::Error),
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What `ReadOnly` names when SQLite refuses a write without saying which file.
pub const THE_DATABASE: &str = "the database";

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked,
            Some(ErrorCode::DiskFull) => StoreError::DiskFull,
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly(THE_DATABASE.into()),
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                StoreError::DatabaseDamaged(err.to_string())
            }
            _ => StoreError::Sqlite(err),
        }
    }
}

/// What the server said: its message (rust-postgres's own display is only "db error"), never
/// its DETAIL, which may quote a row's values.
pub fn server_detail(err: &::postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => err.to_string(),
    }
}

impl From<::postgres::Error> for StoreError {
    fn from(err: ::postgres::Error) -> Self {
        if super::db::is_lost(&err) { StoreError::ConnectionLost } else { StoreError::Server(err) }
    }
}

impl StoreError {
    /// Whether the files themselves are damaged or missing (as opposed to a wrong passphrase,
    /// a busy database or a full disk).
    pub fn is_damage(&self) -> bool {
        matches!(
            self,
            StoreError::DatabaseDamaged(_)
                | StoreError::KeyFileDamaged { .. }
                | StoreError::KeyFileMissing(_)
                | StoreError::DatabaseMissing(_)
        )
    }

    /// Classifies an I/O failure on `what` (a file named for the person reading the message).
    pub fn io(what: impl Into<String>, err: io::Error) -> StoreError {
        let what = what.into();
        match err.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => StoreError::DiskFull,
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => StoreError::ReadOnly(what),
            _ => StoreError::Io { context: what, source: err },
        }
    }
}
