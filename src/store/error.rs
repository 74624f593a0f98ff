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
    /// On a server: the schema is older than the program's, and the connected role (the
    /// terminals') may not upgrade it; its owner role must open it once.
    #[error(
        "the database's schema (version {found}) is older than this program's ({known}) and only its owner role may upgrade it"
    )]
    SchemaNeedsOwner { found: i64, known: i64 },
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
    /// The centre's PostgreSQL server could not be reached at all (`server`: its address
    /// without the password).
    #[error("the database server {server} cannot be reached: {why}")]
    ServerUnreachable { server: String, why: Unreachable },
    /// The server refused the role's password (or the URL gives none where one is asked).
    #[error("the database server {server} refused the password of the role {role:?}")]
    ServerPassword { server: String, role: String },
    /// A server on the network asked for with an `sslmode` that verifies nothing (`disable`,
    /// `allow`, `prefer`): refused before anything is sent (`mode` as the URL writes it).
    #[error(
        "the address of the database server {server} asks for sslmode={mode}, which verifies nothing over a network: use sslmode=verify-full"
    )]
    WeakSslMode { server: String, mode: String },
    /// The server's TLS certificate was refused (`sslmode=verify-ca` or `verify-full`).
    #[error("the certificate of the database server {server} is refused: {problem}")]
    ServerCertificate { server: String, problem: CertificateProblem },
    /// `sslmode` asks for TLS and the server offers none.
    #[error("the database server {server} offers no TLS, which the address's sslmode requires")]
    ServerWithoutTls { server: String },
    /// `sslmode=disable`, and the server admits no unencrypted connection (`said`: the
    /// server's message and SQLSTATE).
    #[error("the database server {server} refuses connections without TLS: {said}")]
    ServerRequiresTls { server: String, said: String },
    /// The server's access rules (`pg_hba.conf`) admit no connection of this role, database
    /// and host.
    #[error("the database server {server} does not admit this connection: {said}")]
    ServerNotAdmitted { server: String, said: String },
    /// The URL names a database the server does not have.
    #[error("the database server {server} has no such database: {said}")]
    ServerNoDatabase { server: String, said: String },
    /// The server's database holds tables, none of them ours: another application's. Nothing
    /// is written into it.
    #[error(
        "the database {0} belongs to another application (it holds tables, none of permanence's); nothing was changed"
    )]
    ForeignDatabase(String),
    /// The database on the server is not the one this session unlocked (its key slots name
    /// another database id: restored from another store's backup, or replaced): nothing is
    /// written into it with this session's key.
    #[error("the database {0} is no longer the one this session unlocked; nothing was written")]
    DatabaseReplaced(String),
    /// The role lacks a privilege the program needs (SQLSTATE 42501) on `object` (a table,
    /// a sequence, as the server names it); `said` is the server's message and SQLSTATE.
    #[error("the database role lacks a privilege on {object}: {said}")]
    ServerPrivilege { object: String, said: String },
    /// Any other refusal or failure of the server: its message and SQLSTATE, never its DETAIL.
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

/// Why a server could not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreachable {
    /// Nothing listens at that address and port (the server is stopped, or another port).
    Refused,
    /// No answer within the connection's time limit (`connect_timeout`, 10 s by default).
    TimedOut,
    /// Connected, then no answer within that many seconds: the connection was given up.
    Unanswered(u64),
    /// The host name is unknown (a typing mistake, or no name service).
    NameUnknown,
    /// A server answers, but only reads: a standby, its primary gone and none promoted yet (a
    /// failover under way), or a URL that names standbys only.
    StandbyOnly,
    /// What the system said (no route to the host…).
    Other(String),
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreachable::Refused => f.write_str("connection refused"),
            Unreachable::TimedOut => f.write_str("no answer in time"),
            Unreachable::Unanswered(seconds) => write!(f, "no answer for {seconds} s"),
            Unreachable::NameUnknown => f.write_str("unknown host name"),
            Unreachable::StandbyOnly => f.write_str("only a standby answers, which takes no writes"),
            Unreachable::Other(said) => f.write_str(said),
        }
    }
}

/// Why a server's TLS certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateProblem {
    /// Not signed by the authority trusted here (`sslrootcert`, `~/.postgresql/root.crt`).
    UnknownAuthority,
    /// Signed, but for another host name than the one in the URL (`verify-full`).
    OtherHost(String),
    /// Out of its dates.
    Expired,
    /// What OpenSSL said.
    Other(String),
}

impl std::fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertificateProblem::UnknownAuthority => f.write_str("not signed by a trusted authority"),
            CertificateProblem::OtherHost(host) => write!(f, "it does not name the host {host}"),
            CertificateProblem::Expired => f.write_str("out of its dates"),
            CertificateProblem::Other(said) => f.write_str(said),
        }
    }
}

impl From<::postgres::Error> for StoreError {
    /// A failure during a session: a connection gone (closed, reset, the server shutting down)
    /// is `ConnectionLost`; a missing privilege gets its own case; a wait for another
    /// desk's lock past `lock_timeout` (or a statement past `statement_timeout`, a deadlock) is
    /// "busy", as the file's: nothing changed, try again; the connection's own failures
    /// (address, password, TLS) are told at connecting (`ServerUrl::connect`).
    fn from(err: ::postgres::Error) -> Self {
        use ::postgres::error::SqlState;
        if super::db::is_lost(&err) {
            return StoreError::ConnectionLost;
        }
        match err.as_db_error() {
            Some(db) if *db.code() == SqlState::INSUFFICIENT_PRIVILEGE => {
                StoreError::ServerPrivilege { object: object_named(db.message()), said: server_detail(&err) }
            }
            Some(db)
                if [
                    SqlState::LOCK_NOT_AVAILABLE,
                    SqlState::QUERY_CANCELED,
                    SqlState::T_R_DEADLOCK_DETECTED,
                ]
                .contains(db.code()) =>
            {
                StoreError::Locked
            }
            _ => StoreError::Server(err),
        }
    }
}

/// The object a server's refusal names: its message ends with it, in any of the server's
/// languages ("permission denied for table audit", "droit refusé pour la table audit").
fn object_named(message: &str) -> String {
    message.split_whitespace().last().unwrap_or_default().trim_matches(['"', '«', '»', ' ']).to_owned()
}

impl StoreError {
    /// Whether the server could not be reached or stopped answering: at connecting
    /// (`ServerUnreachable`) or mid-session (`ConnectionLost`, or an answer waited for past the
    /// patience, `Unreachable::Unanswered`). What was being saved is kept and tried again.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, StoreError::ConnectionLost | StoreError::ServerUnreachable { .. })
    }

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
