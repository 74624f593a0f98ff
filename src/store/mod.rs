//! The store: the encrypted SQLite file, or the centre's PostgreSQL server (`postgres`, with
//! free text sealed in the terminal); unlocking, schema, and one module per aggregate, written
//! once for both through `db`. The only place in the program that holds SQL.
//!
//! Every write is one explicit transaction holding the write lock, together with its audit
//! entry; a method returns only after COMMIT did, so "saved" in the interface means saved.

mod aside;
mod audit;
#[cfg(test)]
mod audit_tests;
pub mod blind_index;
mod bulk;
mod callbacks;
mod caller_files;
mod calls;
mod code_index;
mod connection;
pub mod db;
mod drafts;
mod error;
mod keyslots;
mod listeners;
mod local_draft;
mod location;
mod maintenance;
mod migrate;
mod phone;
mod pins;
pub mod postgres;
pub mod presence;
mod rekey;
mod retention;
mod rollup;
#[cfg(test)]
mod rollup_tests;
mod rows;
mod schema;
pub mod seal;
mod settings;
mod shifts;
#[cfg(test)]
mod slot_tests;
mod slot_upkeep;
mod slots;
mod statistics;
mod summary;
#[cfg(test)]
mod tests;
mod throttle;
mod wal;

use std::path::{Path, PathBuf};

use chrono::Utc;
use db::{Db, TxKind};
use rusqlite::Connection;

pub use crate::domain::Access;
pub use aside::Aside;
pub use audit::{AuditReport, ExportedKey};
pub use bulk::BulkWriter;
pub use calls::SavedCall;
pub use error::{CertificateProblem, StoreError, StoreResult, THE_DATABASE, Unreachable, server_detail};
pub use keyslots::{AccountKeys, DataKey, KdfParams, KeyFile, KeySlot, Slot, Unwrapped};
pub use listeners::Withdrawal;
pub use local_draft::{EndedCall, Kept, LocalDraft};
pub use location::Location;
pub use maintenance::{BackupReport, CheckFinding, CheckReport, Counts};
pub use migrate::MigrationReport;
pub use pins::SlotProblem;
pub use rekey::{RekeyReport, next_database_path, next_key_file_path};
pub use schema::LATEST as SCHEMA_VERSION;
pub use statistics::FiguresReader;
pub use summary::{AuditHead, ScopeRequest};

use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::listener::{Actor, Role, validate_display_name, validate_login};
use crate::domain::passphrase::check_passphrase;
use crate::i18n::{Phrase, Strings};

/// An account to create, with the passphrase that will open its key slot.
#[derive(Debug, Clone, Copy)]
pub struct NewAccount<'a> {
    pub login: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub passphrase: &'a str,
}

impl NewAccount<'_> {
    fn validate(&self) -> StoreResult<()> {
        validate_login(self.login).map_err(|e| StoreError::Refused(Phrase::bad_login(&e)))?;
        validate_display_name(self.display_name)
            .map_err(|e| StoreError::Refused(Phrase::bad_display_name(&e)))?;
        check_passphrase(self.passphrase, self.login, self.display_name).map_err(StoreError::WeakPassphrase)
    }
}

/// An unlocked database. Holds the data key (wiped on drop) to wrap new key slots, and the
/// actor's own secret keys (wiped on drop, so on lock too): its signing key endorses slots and
/// signs in the actor's name.
pub struct Store {
    conn: Db,
    location: Location,
    key: DataKey,
    actor: Actor,
    access: Access,
    /// `None` only while the actor's slot is still version 1: it could not be converted at
    /// this unlock (read-only media, a full disk).
    keys: Option<AccountKeys>,
    /// Files a search has shown with text since the unlock, already in the audit log.
    shown_in_search: std::collections::HashSet<crate::domain::FileId>,
    /// On a server, the files' codes, matched here against a query of letters (`code_index`).
    code_index: std::cell::RefCell<code_index::CodeIndex>,
    /// On a server, the other sessions' changes counted at the last poll: when it grows, this
    /// account's access is checked again (`still_granted`).
    changes_heard: i64,
    /// The salt of the file this connection opened: a re-key by another terminal puts a file
    /// with another salt at the same path (`rekey`). On a server, the random id its key file
    /// was bound to at `init`.
    salt: [u8; keyslots::DATABASE_SALT_LEN],
}

/// The account whose slot `id` the passphrase just opened, on either backend: it must still be
/// that login's and active, and the slot one this account may use (its pinned keys, the
/// centre's root).
pub(crate) fn opened_account(
    db: &Db,
    key_file: &KeyFile,
    id: crate::domain::ListenerId,
    login: &str,
) -> StoreResult<crate::domain::listener::Listener> {
    let listener = listeners::get(db, id)?
        .filter(|l| l.login == login)
        .ok_or_else(|| StoreError::UnknownListener(login.to_owned()))?;
    if !listener.active {
        return Err(StoreError::Deactivated(login.to_owned()));
    }
    let slot = key_file.slot(id).expect("the slot just opened");
    let accounts = pins::accounts_by_id(listeners::all(db)?);
    if let Err(problem) = pins::verify(db, slot, &accounts)? {
        return Err(StoreError::SlotRefused { login: login.to_owned(), problem });
    }
    Ok(listener)
}

impl Store {
    /// Creates a new database with its first account, a supervisor: a file, or the schema
    /// and the key slots in an empty database on a server.
    pub fn create(
        location: impl Into<Location>,
        first: NewAccount<'_>,
        kdf: KdfParams,
    ) -> StoreResult<Store> {
        match location.into() {
            Location::File(path) => Self::create_database_file(&path, first, kdf),
            Location::Server(url) => Self::create_on_server(&url, first, kdf),
        }
    }

    fn create_database_file(db_path: &Path, first: NewAccount<'_>, kdf: KdfParams) -> StoreResult<Store> {
        first.validate()?;
        if first.role != Role::Supervisor {
            return Err(StoreError::Invalid("the first account must be a supervisor".into()));
        }
        let key_path = KeyFile::path_for(db_path);
        if db_path.exists() {
            return Err(StoreError::AlreadyExists(db_path.to_owned()));
        }
        if key_path.exists() {
            return Err(StoreError::AlreadyExists(key_path));
        }
        if let Some(parent) = db_path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent)?;
        }
        let key = DataKey::generate()?;
        let keys = AccountKeys::generate()?;
        let result = Self::create_with_key(db_path, &key_path, first, kdf, &key, &keys);
        if result.is_err() {
            // Leave nothing half-made behind: the next `init` must find a clean place.
            for suffix in ["", "-wal", "-shm"] {
                let mut name = db_path.as_os_str().to_owned();
                name.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(name));
            }
        }
        let (conn, actor) = result?;
        let salt = keyslots::database_salt(db_path)?;
        Ok(Store {
            conn: Db::Sqlite(conn),
            location: Location::File(db_path.to_owned()),
            key,
            actor,
            access: Access::ReadWrite,
            keys: Some(keys),
            shown_in_search: Default::default(),
            code_index: Default::default(),
            changes_heard: 0,
            salt,
        })
    }

    fn create_with_key(
        db_path: &Path,
        key_path: &Path,
        first: NewAccount<'_>,
        kdf: KdfParams,
        key: &DataKey,
        keys: &AccountKeys,
    ) -> StoreResult<(Connection, Actor)> {
        create_private_file(db_path)?;
        let mut conn = connection::open(db_path, key, true)?;
        schema::migrate(&mut conn)?;
        // The salt is in the file's first page, which the log may still hold.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let salt = keyslots::database_salt(db_path)?;
        let db = Db::Sqlite(conn);
        let mut tx = audit::Tx::begin(&db, None)?;
        rollup::start_counted(&tx)?;
        let id = listeners::insert(tx.db(), &first, Utc::now())?;
        settings::insert_default_retention(tx.db())?;
        // The founding supervisor's signing key is the centre's root: it endorses its own slot.
        // Pinned before the first entries, which it signs: a key verifies what was signed
        // while it was current.
        let public = keys.public();
        pins::insert_current(tx.db(), id, &public)?;
        pins::set_root(tx.db(), id, &public.signing_key)?;
        tx.signer = Some(audit::Signer { id, key: keys.signer() });
        audit::append(&tx, None, AuditAction::DatabaseCreated, ObjectKind::Database, None)?;
        audit::append(&tx, Some(id), AuditAction::ListenerAdded, ObjectKind::Listener, Some(id.0))?;
        let mut slot = Slot::seal(id, first.login, first.role, first.passphrase, kdf, keys, key)?;
        slot.endorse(id, keys.signer());
        let mut key_file = KeyFile::empty(key_path.to_owned(), salt);
        key_file.set_slot(slot);
        key_file.save()?;
        if let Err(err) = tx.commit() {
            let _ = std::fs::remove_file(key_path);
            return Err(err);
        }
        let Db::Sqlite(conn) = db else { unreachable!("a file's connection") };
        let actor = Actor {
            id,
            login: first.login.to_owned(),
            display_name: first.display_name.to_owned(),
            role: first.role,
        };
        Ok((conn, actor))
    }

    /// Seconds before `login` may try a passphrase again, if the wrong ones it was given (from
    /// any terminal or the command line) make it wait; measured on the clock `open` counts them
    /// with (the machine's for a file, the server's for a server).
    pub fn unlock_wait(location: impl Into<Location>, login: &str) -> Option<i64> {
        match location.into() {
            Location::File(path) => throttle::wait_left(&KeyFile::path_for(&path), login, Utc::now()),
            Location::Server(url) => throttle::server_wait_left(&url, login),
        }
    }

    /// Unlocks the store at `location` as `login`.
    pub fn open(location: impl Into<Location>, login: &str, passphrase: &str) -> StoreResult<Store> {
        match location.into() {
            Location::File(path) => Self::open_database_file(&path, login, passphrase),
            Location::Server(url) => Self::open_on_server(&url, login, passphrase),
        }
    }

    fn open_database_file(db_path: &Path, login: &str, passphrase: &str) -> StoreResult<Store> {
        let key_path = KeyFile::path_for(db_path);
        match (db_path.exists(), key_path.exists()) {
            (false, false) => return Err(StoreError::NotFound(db_path.to_owned())),
            (true, false) => return Err(StoreError::KeyFileMissing(key_path)),
            (false, true) => return Err(StoreError::DatabaseMissing(db_path.to_owned())),
            (true, true) => {}
        }
        recover_interrupted_rekey(db_path)?;
        let key_file = KeyFile::load(&key_path)?;
        if !key_file.slots().iter().any(|slot| slot.login() == login) {
            return Err(StoreError::UnknownListener(login.to_owned()));
        }
        // Counted as a failure before it is tried (see `throttle::begin`), cleared if right.
        throttle::begin(&key_path, login, Utc::now()).map_err(StoreError::TooSoon)?;
        let (id, mut key, keys) = match key_file.unlock(login, passphrase) {
            Err(StoreError::WrongPassphrase) => return Err(StoreError::WrongPassphrase),
            Ok(keyslots::Unwrapped::Legacy { id, key }) => (id, key, None),
            Ok(keyslots::Unwrapped::Current { id, key, keys }) => (id, key, Some(*keys)),
            Err(err) => {
                throttle::cancel(&key_path, login);
                return Err(err);
            }
        };
        throttle::clear(&key_path, login);
        // SQLite would take an empty file for a new database and write a fresh schema into it.
        if std::fs::metadata(db_path).is_ok_and(|m| m.len() == 0) {
            return Err(StoreError::DatabaseDamaged("the database file is empty (0 bytes)".into()));
        }
        // No re-key may replace the file while this connection is made (a terminal opening the
        // database in the middle of one waits for it, then says "busy"); on read-only media
        // there is no lock to take, and nobody re-keys there.
        let no_rekey = match KeyFile::lock(&key_path) {
            Ok(lock) => Some(lock),
            Err(StoreError::Locked) => return Err(StoreError::Locked),
            Err(_) => None,
        };
        if no_rekey.is_some() {
            recover_interrupted_rekey_locked(db_path)?;
            // Re-keyed since the slot was opened: the same account's slot holds the new key.
            let now_file = KeyFile::load(&key_path)?;
            if now_file.database_salt() != key_file.database_salt() {
                key = match (now_file.slot(id), &keys) {
                    (Some(KeySlot::Current(slot)), Some(keys)) if slot.keys == keys.public() => {
                        keys.open_wrapped(slot).ok_or(StoreError::AccessRevoked)?
                    }
                    _ => return Err(StoreError::AccessRevoked),
                };
            }
        }
        // Before SQLite replays the log and silently drops what follows a damaged frame.
        wal::check(db_path).map_err(StoreError::DatabaseDamaged)?;
        let (mut conn, access) = connect(db_path, &key)?;
        let salt = keyslots::database_salt(db_path)?;
        drop(no_rekey);
        prepare_schema(&mut conn, access, db_path)?;
        let conn = Db::Sqlite(conn);
        if access == Access::ReadWrite {
            // The statistics' rollup counted afresh where it was made by other rules (the
            // first opening after the upgrade to schema 15) or found stale, one month per
            // short transaction. One that cannot be counted now (a damaged page, a full disk)
            // leaves the store usable all the same: the months counted stay counted, the next
            // opening resumes at the month that failed, and its statistics wait for it.
            let _ = rollup::rebuild_if_stale(&conn);
        }
        let listener = opened_account(&conn, &key_file, id, login)?;
        let actor =
            Actor { id, login: listener.login, display_name: listener.display_name, role: listener.role };
        let mut store = Store {
            conn,
            location: Location::File(db_path.to_owned()),
            key,
            actor,
            access,
            keys,
            shown_in_search: Default::default(),
            code_index: Default::default(),
            changes_heard: 0,
            salt,
        };
        if access == Access::ReadWrite {
            if store.keys.is_none() {
                // First, so that the unlock's own entry is signed with the new keys. Best
                // effort: a slot left at version 1 still opens, and `check` names it.
                let _ = store.convert_legacy_slot(passphrase);
            }
            store.record_unlock()?;
        }
        Ok(store)
    }

    /// The actor's signing key; `None` only while their slot is still version 1 (it could not
    /// be converted at this unlock: read-only media or a full disk).
    pub(super) fn signer(&self) -> Option<&ed25519_dalek::SigningKey> {
        self.keys.as_ref().map(AccountKeys::signer)
    }

    /// Makes the key file agree with the accounts and records the unlock. A full disk does not
    /// keep anyone from reading: the store stays open, marked so.
    fn record_unlock(&mut self) -> StoreResult<()> {
        // Best effort: where the key file cannot be changed, `check` reports what is left.
        let _ = self.reconcile_key_slots();
        let recorded = self.write_unseen(|tx, actor| {
            audit::append(tx, Some(actor.id), AuditAction::Unlocked, ObjectKind::Listener, Some(actor.id.0))
        });
        match recorded {
            Err(StoreError::DiskFull) => {
                self.access = Access::DiskFull;
                Ok(())
            }
            other => other,
        }
    }

    /// The logins that have a key slot, for the unlock screen. Reads the key file only:
    /// nothing inside the database is visible before unlocking.
    pub fn logins(location: impl Into<Location>) -> StoreResult<Vec<String>> {
        let key_file = match location.into() {
            Location::File(path) => KeyFile::load(&KeyFile::path_for(&path))?,
            Location::Server(url) => slots::server_key_file_before_unlock(&url)?,
        };
        Ok(key_file.slots().iter().map(|s| s.login().to_owned()).collect())
    }

    /// The data key, for tests that look for copies of it in memory.
    #[cfg(test)]
    pub(crate) fn data_key(&self) -> &DataKey {
        &self.key
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// How the store was opened: read-only media, or a full disk, are said on screen.
    pub fn access(&self) -> Access {
        self.access
    }

    /// Changes whenever another connection (another terminal) commits to the store (on a
    /// server, told by its notifications). Polled by the terminal: it is also where a re-key
    /// of the file by another terminal is followed (the new file opened with this account's own
    /// slot), or found to have withdrawn this account's access (`StoreError::AccessRevoked`);
    /// on a server, where a database replaced under the session is found
    /// (`StoreError::DatabaseReplaced`), and, once another desk has written, this account's
    /// access withdrawn (`StoreError::AccessRevoked`).
    pub fn data_version(&mut self) -> StoreResult<i64> {
        self.keep_up()?;
        if self.conn.is_postgres() && !self.conn.checks_database(&self.salt) {
            self.still_the_opened_file()?;
        }
        // On a server, the same request compares the database id.
        let version = self.conn.data_version()?;
        // Another desk wrote: perhaps a supervisor deactivated this account or reset its
        // passphrase (the file learns it from its re-key, above).
        if self.conn.is_postgres() && version != self.changes_heard {
            self.still_granted()?;
            self.changes_heard = version;
        }
        Ok(version)
    }

    /// The schema's version: the file's `user_version`, the server's `permanence_schema`.
    pub fn schema_version(&self) -> StoreResult<i64> {
        match self.conn.sqlite() {
            Some(conn) => schema::user_version(conn),
            None => Ok(postgres::schema::version(&self.conn)?.unwrap_or(0)),
        }
    }

    /// The key file beside the database file; `None` on a server, whose key slots are a row
    /// of its database.
    pub fn key_file_path(&self) -> Option<PathBuf> {
        self.location.file().map(KeyFile::path_for)
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// How this session reaches its server (TLS, and what of the certificate is checked);
    /// `None` for a file.
    pub fn server_connection(&self) -> StoreResult<Option<postgres::ServerConnection>> {
        match &self.location {
            Location::File(_) => Ok(None),
            Location::Server(url) => postgres::ServerConnection::of(&self.conn, url).map(Some),
        }
    }

    /// The database file, for what only a file has (its key file, log, re-key, backup); an
    /// error on a server, where code written for the file must not run.
    fn db_path(&self) -> StoreResult<&Path> {
        self.location
            .file()
            .ok_or_else(|| StoreError::Invalid("an operation of the database file asked of a server".into()))
    }

    /// Inside a write transaction: the file at our path is still the one this connection opened
    /// (`rekey::still_the_opened_file`); on a server, its key slots still name the database id
    /// this session unlocked (a database restored from another store's backup, or replaced,
    /// under an open session is written nothing with this session's key).
    fn still_the_opened_file(&self) -> StoreResult<()> {
        match &self.location {
            Location::File(path) => rekey::still_the_opened_file(path, &self.salt),
            // Compared by the write transaction's first request itself (`Db::transaction`).
            Location::Server(_) if self.conn.checks_database(&self.salt) => Ok(()),
            Location::Server(url) => match slots::database_id(&self.conn)? {
                Some(id) if id == self.salt => Ok(()),
                _ => Err(StoreError::DatabaseReplaced(url.redacted())),
            },
        }
    }

    /// Refuses a write at once on a store opened read-only, naming the file. A store opened
    /// on a full disk reads without the log's index: before a write it is reopened for
    /// writing, which works once space is back (and says the disk is full until then).
    fn require_writable(&mut self) -> StoreResult<()> {
        match self.access {
            Access::ReadWrite => Ok(()),
            Access::ReadOnly => Err(StoreError::ReadOnly(self.location.to_string())),
            Access::DiskFull => match connection::open(self.db_path()?, &self.key, false) {
                Ok(conn) => {
                    self.conn = Db::Sqlite(conn);
                    self.access = Access::ReadWrite;
                    Ok(())
                }
                Err(err) if is_disk_full_at_open(&err, self.db_path()?) => Err(StoreError::DiskFull),
                Err(err) => Err(err),
            },
        }
    }

    /// `what` completes "only a supervisor can …".
    fn require_supervisor(&self, what: fn(&Strings) -> &String) -> StoreResult<()> {
        match self.actor.role {
            Role::Supervisor => Ok(()),
            Role::Listener => Err(StoreError::Forbidden(Phrase::new(what))),
        }
    }

    /// Runs `change` in one IMMEDIATE transaction and returns after COMMIT. Its audit entries
    /// are signed by the actor.
    fn write<T>(&mut self, change: impl FnOnce(&audit::Tx<'_>, &Actor) -> StoreResult<T>) -> StoreResult<T> {
        self.write_as(TxKind::Write, change)
    }

    /// `write`, for what no other desk shows (audit entries alone): on a server, the other
    /// desks are not told to reload.
    fn write_unseen<T>(
        &mut self,
        change: impl FnOnce(&audit::Tx<'_>, &Actor) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.write_as(TxKind::WriteUnseen, change)
    }

    fn write_as<T>(
        &mut self,
        kind: TxKind,
        change: impl FnOnce(&audit::Tx<'_>, &Actor) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.require_writable()?;
        self.follow_rekey()?;
        let tx = audit::Tx::begin_as(&self.conn, kind, signer_of(&self.actor, self.keys.as_ref()))?;
        self.still_the_opened_file()?;
        // Not at the draft's autosave, every second while typing (its own row, three requests:
        // `write_cost_tests`); the poll finds a withdrawn access within a second instead.
        if kind != TxKind::OwnRow {
            self.still_granted()?;
        }
        let value = change(&tx, &self.actor)?;
        tx.commit()?;
        Ok(value)
    }

    /// A write transaction whose audit entries the actor signs, for a change that must also do
    /// something else (write the key file) before it commits; on the file this session opened:
    /// after another terminal's re-key, this one follows it first (or says "busy" while it runs).
    fn begin(&mut self) -> StoreResult<audit::Tx<'_>> {
        self.follow_rekey()?;
        let tx = audit::Tx::begin(&self.conn, signer_of(&self.actor, self.keys.as_ref()))?;
        self.still_the_opened_file()?;
        self.still_granted()?;
        Ok(tx)
    }
}

/// The actor signs what their session writes; a session whose slot is still version 1 has no
/// signing key yet.
fn signer_of<'k>(actor: &Actor, keys: Option<&'k AccountKeys>) -> Option<audit::Signer<'k>> {
    keys.map(|keys| audit::Signer { id: actor.id, key: keys.signer() })
}

/// Finishes or undoes, under the key file's lock, a re-key a crash interrupted (`rekey`).
/// Nothing to do, and nothing locked, when it left nothing behind. A re-key under way is waited
/// for (`KeyFile::lock`: at most 10 s, then "busy"), so that a command run meanwhile goes on.
fn recover_interrupted_rekey(db_path: &Path) -> StoreResult<()> {
    if !rekey_leftovers(db_path) {
        return Ok(());
    }
    let _slots = KeyFile::lock(&KeyFile::path_for(db_path))?;
    rekey::recover(db_path)
}

/// The same, for a caller that holds the lock.
fn recover_interrupted_rekey_locked(db_path: &Path) -> StoreResult<()> {
    if rekey_leftovers(db_path) { rekey::recover(db_path) } else { Ok(()) }
}

fn rekey_leftovers(db_path: &Path) -> bool {
    [rekey::next_key_file_path(db_path), rekey::next_database_path(db_path)]
        .iter()
        .any(|path| std::fs::symlink_metadata(path).is_ok())
}

/// A connection for reading and writing where that is possible; otherwise, for reading only
/// (read-only media, a folder of someone else's, a full disk): `check` of a backup, the queue,
/// exports of figures and the screen still work there.
fn connect(db_path: &Path, key: &DataKey) -> StoreResult<(Connection, Access)> {
    if !can_write(db_path) {
        return Ok((connection::open_read_only(db_path, key)?, Access::ReadOnly));
    }
    match connection::open(db_path, key, false) {
        Ok(conn) => Ok((conn, Access::ReadWrite)),
        Err(StoreError::ReadOnly(_)) => Ok((connection::open_read_only(db_path, key)?, Access::ReadOnly)),
        // A full disk cannot even size the log's index: reading goes on without it.
        Err(err) if is_disk_full_at_open(&err, db_path) => {
            Ok((connection::open_read_only(db_path, key)?, Access::DiskFull))
        }
        Err(err) => Err(err),
    }
}

/// Brings the schema up to date, or, where nothing can be written, checks that it need not be.
fn prepare_schema(conn: &mut Connection, access: Access, db_path: &Path) -> StoreResult<()> {
    let version = schema::user_version(conn)?;
    if version == 0 {
        // Not ours, or emptied: a fresh schema is never written into an existing file.
        return Err(StoreError::DatabaseDamaged("the file holds no permanence schema".into()));
    }
    match access {
        Access::ReadWrite => schema::migrate(conn),
        _ if version < schema::LATEST => Err(StoreError::ReadOnly(format!(
            "{} (its schema needs an upgrade, which cannot be written here)",
            db_path.display()
        ))),
        _ if version > schema::LATEST => Err(StoreError::TooNew { found: version, known: schema::LATEST }),
        _ => Ok(()),
    }
}

/// A full disk seen while opening: SQLite reports it as an I/O error on sizing the log's
/// index, so the filesystem is asked whether it has room left.
fn is_disk_full_at_open(err: &StoreError, db_path: &Path) -> bool {
    match err {
        StoreError::DiskFull => true,
        StoreError::Sqlite(inner) => {
            inner.sqlite_error_code() == Some(rusqlite::ErrorCode::SystemIoFailure) && nearly_full(db_path)
        }
        _ => false,
    }
}

/// Whether the filesystem holding `db_path` has less than 64 KiB left for this process.
fn nearly_full(db_path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let folder = match db_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Ok(name) = std::ffi::CString::new(folder.as_os_str().as_bytes()) else { return false };
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(name.as_ptr(), &mut stats) } != 0 {
        return false;
    }
    (stats.f_bavail as u64).saturating_mul(stats.f_frsize as u64) < 64 * 1024
}

/// Whether this process may write the database file and create its log beside it.
fn can_write(db_path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let folder = match db_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    [db_path, folder].iter().all(|path| {
        std::ffi::CString::new(path.as_os_str().as_bytes())
            .is_ok_and(|name| unsafe { libc::access(name.as_ptr(), libc::W_OK) } == 0)
    })
}

/// The database folder holds only our files; nobody else on the machine needs to list it.
fn create_private_dir(dir: &Path) -> StoreResult<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| StoreError::io(dir.display().to_string(), e))
}

/// Creates an empty file readable by its owner only, before SQLite writes anything in it
/// (SQLite gives its -wal and -shm files the same mode).
fn create_private_file(path: &Path) -> StoreResult<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|e| StoreError::io(path.display().to_string(), e))
}
