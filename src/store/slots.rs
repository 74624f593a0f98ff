//! The key slots of an open store, wherever they live: the key file beside a database file
//! (docs/keyslots.md), or the same bytes in the one row of a server's `key_file` table. A change
//! to the slots is made with the database change it belongs to, so that neither is ever
//! without the other: on the file, under the key file's lock, the key file written before the
//! database commits (and put back if it does not); on a server, the row locked (`SELECT … FOR
//! UPDATE`) and rewritten inside the same transaction, which commits both or neither.

use std::path::PathBuf;

use super::db::Db;
use super::error::{StoreError, StoreResult};
use super::keyslots::KeyFile;
use super::location::Location;
use super::postgres::ServerUrl;
use super::{Store, audit};
use crate::db_params;

impl Store {
    /// The key slots as they are now, for reading (`check`).
    pub(super) fn key_file_now(&self) -> StoreResult<KeyFile> {
        match &self.location {
            Location::File(path) => KeyFile::load(&KeyFile::path_for(path)),
            Location::Server(url) => read(&self.conn, url, false)?.ok_or_else(|| missing(&self.conn, url)),
        }
    }

    /// Runs `change` on the key slots and, in the actor's signed write transaction, on the
    /// database; both are kept, or neither. On the file, another terminal's re-key is followed
    /// first (under the key file's lock, which re-keys hold too).
    pub(super) fn change_slots<T>(
        &mut self,
        change: impl FnOnce(&Store, &audit::Tx<'_>, &mut KeyFile) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.require_writable()?;
        match self.location.clone() {
            Location::File(db_path) => {
                let key_path = KeyFile::path_for(&db_path);
                let _slots = KeyFile::lock(&key_path)?;
                self.follow_rekey_locked()?;
                let mut key_file = KeyFile::load(&key_path)?;
                let before = key_file.clone();
                let store: &Store = self;
                let tx = audit::Tx::begin(&store.conn, super::signer_of(&store.actor, store.keys.as_ref()))?;
                store.still_the_opened_file()?;
                let value = change(store, &tx, &mut key_file)?;
                super::listeners::bind(&mut key_file, &db_path)?;
                // Written before the database commits: a committed account always has its slot.
                key_file.save()?;
                if let Err(err) = tx.commit() {
                    // The database kept nothing: neither do the slots.
                    let _ = before.save();
                    return Err(err);
                }
                Ok(value)
            }
            Location::Server(url) => {
                let store: &Store = self;
                let tx = audit::Tx::begin(&store.conn, super::signer_of(&store.actor, store.keys.as_ref()))?;
                let mut key_file = read(&tx, &url, true)?.ok_or_else(|| missing(&tx, &url))?;
                if key_file.database_salt() != Some(store.salt) {
                    return Err(StoreError::DatabaseReplaced(url.redacted()));
                }
                store.still_granted()?;
                let value = change(store, &tx, &mut key_file)?;
                write(&tx, &key_file)?;
                tx.commit()?;
                Ok(value)
            }
        }
    }
}

/// What messages name the server's key slots by.
pub(super) fn label(url: &ServerUrl) -> PathBuf {
    PathBuf::from(format!("{} (key_file)", url.redacted()))
}

/// No store on that server (yet): `permanence init` makes one.
pub(super) fn not_found(url: &ServerUrl) -> StoreError {
    StoreError::NotFound(PathBuf::from(url.redacted()))
}

/// What a schema without its key slots is: nothing yet (an `init` to make), or a centre's
/// data whose key slots must be restored (`KeyFileMissing`, as a file without its key file:
/// making a store again there would leave every sealed row unreadable).
pub(super) fn missing(db: &Db, url: &ServerUrl) -> StoreError {
    match super::postgres::schema::holds_data(db) {
        Ok(false) => not_found(url),
        Ok(true) => StoreError::KeyFileMissing(label(url)),
        Err(err) => err,
    }
}

/// The server's key slots, if it has any; with `for_update`, its row stays locked until the
/// transaction ends (the file's `<db>.keys.lock`).
pub(super) fn read(db: &Db, url: &ServerUrl, for_update: bool) -> StoreResult<Option<KeyFile>> {
    let sql = if for_update {
        "SELECT body FROM key_file WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT body FROM key_file WHERE id = 1"
    };
    let body: Option<Vec<u8>> = db.query_opt(sql, db_params![], |row| row.get(0))?;
    body.map(|bytes| KeyFile::parse(&label(url), &bytes)).transpose()
}

/// The database id the server's key slots name now (made at `init`; `None` without them).
pub(super) fn database_id(db: &Db) -> StoreResult<Option<[u8; super::keyslots::DATABASE_SALT_LEN]>> {
    let body: Option<Vec<u8>> =
        db.query_opt("SELECT body FROM key_file WHERE id = 1", db_params![], |row| row.get(0))?;
    Ok(body.as_deref().and_then(KeyFile::database_salt_in))
}

/// Writes the server's first key slots, at `init` (by the role that owns the schema).
pub(super) fn insert(db: &Db, key_file: &KeyFile) -> StoreResult<()> {
    db.execute("INSERT INTO key_file (id, body) VALUES (1, ?1)", db_params![key_file.to_bytes()?])?;
    Ok(())
}

/// Rewrites the server's key slots (inside the transaction that changes the accounts with
/// them): an UPDATE, so that the terminals' role needs no INSERT on the table.
pub(super) fn write(db: &Db, key_file: &KeyFile) -> StoreResult<()> {
    db.execute("UPDATE key_file SET body = ?1 WHERE id = 1", db_params![key_file.to_bytes()?])?;
    Ok(())
}

/// The server's key slots before anyone unlocked (the unlock screen's logins), on a
/// connection of their own.
pub(super) fn server_key_file_before_unlock(url: &ServerUrl) -> StoreResult<KeyFile> {
    let db = Db::postgres(url.connect()?);
    if super::postgres::schema::version(&db)?.is_none() {
        super::postgres::schema::refuse_foreign(&db)?;
        return Err(not_found(url));
    }
    read(&db, url, false)?.ok_or_else(|| missing(&db, url))
}
