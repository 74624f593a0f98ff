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

use super::connection;
use super::error::StoreResult;
use super::keyslots::{AccountKeys, DataKey};
use super::location::Location;
use super::{Access, Actor, Store, db::Db};

/// What a second session is made of, to be sent to the thread that opens it (again, if its
/// server went away). The keys in it are copies, wiped when it is dropped, as are the copies in
/// each session made of it.
pub struct Aside {
    location: Location,
    key: DataKey,
    actor: Actor,
    access: Access,
    keys: Option<AccountKeys>,
    salt: [u8; super::keyslots::DATABASE_SALT_LEN],
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
        let key = self.key.duplicate();
        let conn = match &self.location {
            Location::File(path) => Db::Sqlite(match self.access {
                Access::ReadWrite => connection::open(path, &key, false)?,
                _ => connection::open_read_only(path, &key)?,
            }),
            Location::Server(url) => {
                let db = Db::connect(url)?;
                db.set_key(&key);
                db.expect_database(self.salt, url.redacted());
                db
            }
        };
        Ok(Store {
            conn,
            location: self.location.clone(),
            key,
            actor: self.actor.clone(),
            access: self.access,
            keys: self.keys.as_ref().map(AccountKeys::duplicate),
            shown_in_search: Default::default(),
            code_index: Default::default(),
            changes_heard: 0,
            salt: self.salt,
        })
    }
}

impl Store {
    /// Before a read in a second session: a re-key of the file by another terminal followed
    /// (the keyboard's session learns it at its poll; this one reads nothing stale meanwhile).
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
