//! A second session of the account unlocked, on a connection of its own, for what the terminal
//! reads without holding the keyboard: search as you type, a file opened, the supervisor's
//! view, a shift's summary (`runner`'s reader thread). It is the same account with the same
//! keys: it records in the audit log what it shows (a file opened, files shown by a search),
//! signed as the keyboard's session would, and takes its turn at the write lock like any
//! other. It never takes part in the call being typed (draft, save), nor listens for changes.
//!
//! Made from the open store without a round trip ([`Store::aside`]); its connection is made on
//! the thread that uses it ([`Aside::open`]), so that neither the connection nor the first
//! reading of the file codes (half a second at a million calls) holds the keyboard.

use super::error::{StoreError, StoreResult};
use super::keyslots::{self, AccountKeys, DATABASE_SALT_LEN, DataKey, KeyFile, KeySlot};
use super::location::Location;
use super::{Access, Actor, Store, connection, db::Db, rekey};

/// What a second session is made of, to be sent to the thread that opens it (again, if its
/// server went away). The keys in it are copies, wiped when it is dropped, as are the copies in
/// each session made of it.
pub struct Aside {
    location: Location,
    key: DataKey,
    actor: Actor,
    access: Access,
    keys: Option<AccountKeys>,
    salt: [u8; DATABASE_SALT_LEN],
}

impl Store {
    /// A second session of this one, to be opened elsewhere (above).
    pub fn aside(&self) -> Aside {
        Aside {
            location: self.location.clone(),
            key: self.key.duplicate(),
            actor: self.actor.clone(),
            access: self.access,
            keys: self.keys.as_ref().map(AccountKeys::duplicate),
            salt: self.salt,
        }
    }
}

impl Aside {
    /// A session, on a connection of its own: on a file, one that writes only where the
    /// first session may; on a server, one bound to the database id the first unlocked, so
    /// that a database replaced meanwhile is refused here too.
    pub fn open(&self) -> StoreResult<Store> {
        let (conn, key, salt, access) = match &self.location {
            Location::File(path) => self.open_file(path)?,
            Location::Server(url) => {
                let key = self.key.duplicate();
                let db = Db::connect(url)?;
                db.set_key(&key);
                db.expect_database(self.salt, url.redacted());
                (db, key, self.salt, self.access)
            }
        };
        Ok(Store {
            conn,
            location: self.location.clone(),
            key,
            actor: self.actor.clone(),
            access,
            keys: self.keys.as_ref().map(AccountKeys::duplicate),
            shown_in_search: Default::default(),
            code_index: Default::default(),
            changes_heard: 0,
            salt,
        })
    }

    /// The file as it is now, under the key file's lock (no re-key replaces it meanwhile): the
    /// one the first session opened, or the file another terminal's re-key put there since,
    /// opened with the new key this account's slot holds (as `Store::follow_rekey` does). Where
    /// nothing can be written now (read-only media, a full disk) it is read only.
    fn open_file(
        &self,
        path: &std::path::Path,
    ) -> StoreResult<(Db, DataKey, [u8; DATABASE_SALT_LEN], Access)> {
        let key_path = KeyFile::path_for(path);
        // On read-only media there is no lock to take, and nobody re-keys there.
        let _no_rekey = KeyFile::lock(&key_path).ok();
        rekey::recover(path)?;
        let salt = keyslots::database_salt(path)?;
        let key = match salt == self.salt {
            true => self.key.duplicate(),
            false => {
                let key_file = KeyFile::load(&key_path)?;
                let keys = self.keys.as_ref().ok_or(StoreError::AccessRevoked)?;
                match key_file.slot(self.actor.id) {
                    Some(KeySlot::Current(slot)) if slot.keys == keys.public() => {
                        keys.open_wrapped(slot).ok_or(StoreError::AccessRevoked)?
                    }
                    _ => return Err(StoreError::AccessRevoked),
                }
            }
        };
        let (conn, access) = match self.access {
            Access::ReadOnly => (connection::open_read_only(path, &key)?, Access::ReadOnly),
            _ => super::connect(path, &key)?,
        };
        Ok((Db::Sqlite(conn), key, salt, access))
    }
}

impl Store {
    /// A re-key of the file by another terminal followed: at the keyboard's session's poll
    /// (`data_version`), and before each read of a second session, which has no poll.
    pub fn keep_up(&mut self) -> StoreResult<()> {
        match self.access {
            Access::ReadOnly => Ok(()),
            _ => self.follow_rekey(),
        }
    }

    /// Makes the first search quick: on a server, the file codes read into the terminal
    /// (`code_index`), which a search otherwise reads first. Nothing on a file.
    pub fn prepare_search(&self) -> StoreResult<()> {
        match self.conn.is_postgres() {
            true => self.code_index.borrow_mut().refresh(&self.conn),
            false => Ok(()),
        }
    }
}

/// An audit entry as a test looks at it: action, actor, object, signed by.
#[cfg(test)]
pub(crate) type AuditRow = (String, Option<i64>, Option<i64>, Option<i64>);

#[cfg(test)]
impl Store {
    /// The audit log, oldest first: what a test of the reading session looks for.
    pub(crate) fn audit_entries(&self) -> Vec<AuditRow> {
        self.conn
            .query_map(
                "SELECT action, actor, object_id, signed_by FROM audit ORDER BY id",
                crate::db_params![],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .expect("the audit log reads")
    }
}
