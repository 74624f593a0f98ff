//! A store on the centre's server: created by `permanence init` in an empty database (the
//! schema, the first account and the key slots in one transaction; a database whose key slots
//! are missing is refused, never made again), unlocked as a file is
//! (its key slots read from the database, wrong passphrases counted there), then the data key
//! handed to the connection so that free text is sealed before it leaves the terminal.

use std::path::PathBuf;

use chrono::Utc;

use super::{ServerUrl, schema};
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::listener::{Actor, Role};
use crate::store::db::Db;
use crate::store::error::{StoreError, StoreResult};
use crate::store::keyslots::{AccountKeys, DATABASE_SALT_LEN, DataKey, KdfParams, KeyFile, Slot, Unwrapped};
use crate::store::location::Location;
use crate::store::{Access, NewAccount, Store, audit, listeners, pins, settings, slots, throttle};

impl Store {
    /// Creates the store in the server's database: it must hold no permanence store yet (an
    /// empty database, made for it by `createdb`); another application's is refused untouched.
    pub(in crate::store) fn create_on_server(
        url: &ServerUrl,
        first: NewAccount<'_>,
        kdf: KdfParams,
    ) -> StoreResult<Store> {
        first.validate()?;
        if first.role != Role::Supervisor {
            return Err(StoreError::Invalid("the first account must be a supervisor".into()));
        }
        let db = Db::connect(url)?;
        let key = DataKey::generate()?;
        let keys = AccountKeys::generate()?;
        db.set_key(&key);
        // The key file's header names its database: here a random id, made once.
        let mut salt = [0u8; DATABASE_SALT_LEN];
        getrandom::fill(&mut salt).map_err(|e| StoreError::Invalid(format!("no randomness: {e}")))?;
        // One transaction under the write lock, the schema included: two `init`s at once make
        // one store, and a failure leaves the database as it was.
        let mut tx = audit::Tx::begin(&db, None)?;
        schema::migrate_in(&tx)?;
        if slots::read(&tx, url, true)?.is_some() {
            return Err(StoreError::AlreadyExists(PathBuf::from(url.redacted())));
        }
        // A centre's data without its key slots: made again, it would be a second store over
        // the first one's sealed rows, none of which the new key opens.
        if schema::holds_data(&tx)? {
            return Err(StoreError::KeyFileMissing(slots::label(url)));
        }
        crate::store::rollup::start_counted(&tx)?;
        let id = listeners::insert(&tx, &first, Utc::now())?;
        settings::insert_default_retention(&tx)?;
        let public = keys.public();
        pins::insert_current(&tx, id, &public)?;
        pins::set_root(&tx, id, &public.signing_key)?;
        tx.signer = Some(audit::Signer { id, key: keys.signer() });
        audit::append(&tx, None, AuditAction::DatabaseCreated, ObjectKind::Database, None)?;
        audit::append(&tx, Some(id), AuditAction::ListenerAdded, ObjectKind::Listener, Some(id.0))?;
        let mut slot = Slot::seal(id, first.login, first.role, first.passphrase, kdf, &keys, &key)?;
        slot.endorse(id, keys.signer());
        let mut key_file = KeyFile::empty(slots::label(url), salt);
        key_file.set_slot(slot);
        slots::insert(&tx, &key_file)?;
        tx.commit()?;
        db.expect_database(salt, url.redacted());
        db.listen()?;
        let actor = Actor {
            id,
            login: first.login.to_owned(),
            display_name: first.display_name.to_owned(),
            role: first.role,
        };
        Ok(Store {
            conn: db,
            location: Location::Server(Box::new(url.clone())),
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

    /// Unlocks the store on the server as `login`: the file's rules (the wait after wrong
    /// passphrases, the slot checked against the pinned keys and the centre's root), the
    /// schema brought up to date, the data key given to the connection.
    pub(in crate::store) fn open_on_server(
        url: &ServerUrl,
        login: &str,
        passphrase: &str,
    ) -> StoreResult<Store> {
        let db = Db::connect(url)?;
        let found = match schema::version(&db)? {
            None => {
                schema::refuse_foreign(&db)?;
                return Err(slots::not_found(url));
            }
            Some(found) if found > schema::LATEST => {
                return Err(StoreError::TooNew { found, known: schema::LATEST });
            }
            Some(found) => found,
        };
        let key_file = slots::read(&db, url, false)?.ok_or_else(|| slots::missing(&db, url))?;
        if !key_file.slots().iter().any(|slot| slot.login() == login) {
            return Err(StoreError::UnknownListener(login.to_owned()));
        }
        // Counted as a failure before it is tried, cleared if right (`throttle::begin`).
        throttle::server_begin(&db, login)?.map_err(StoreError::TooSoon)?;
        let (id, key, keys) = match key_file.unlock(login, passphrase) {
            Err(StoreError::WrongPassphrase) => return Err(StoreError::WrongPassphrase),
            Ok(Unwrapped::Current { id, key, keys }) => (id, key, *keys),
            Ok(Unwrapped::Legacy { .. }) => {
                throttle::server_cancel(&db, login)?;
                return Err(StoreError::KeyFileDamaged {
                    path: slots::label(url),
                    detail: "a version-1 slot, which a server never holds".into(),
                });
            }
            Err(err) => {
                throttle::server_cancel(&db, login)?;
                return Err(err);
            }
        };
        // From here free text is sealed and opened with it (it never leaves the terminal).
        db.set_key(&key);
        throttle::server_clear(&db, login)?;
        // Only the schema's owner may upgrade it: a terminals' role that meets an old schema
        // (a new version of the program, the owner not yet come by) says who must.
        schema::migrate(&db).map_err(|err| match err {
            StoreError::ServerPrivilege { .. } => {
                StoreError::SchemaNeedsOwner { found, known: schema::LATEST }
            }
            other => other,
        })?;
        // The statistics' rollup counted afresh where it was made by other rules or found
        // stale, one month per short transaction. One that cannot be counted now leaves the
        // store usable all the same: the next opening resumes, and its statistics wait for it.
        let _ = crate::store::rollup::rebuild_if_stale(&db);
        let listener = crate::store::opened_account(&db, &key_file, id, login)?;
        let salt = key_file.database_salt().ok_or_else(|| StoreError::KeyFileDamaged {
            path: slots::label(url),
            detail: "no database id".into(),
        })?;
        db.expect_database(salt, url.redacted());
        db.listen()?;
        let actor =
            Actor { id, login: listener.login, display_name: listener.display_name, role: listener.role };
        let mut store = Store {
            conn: db,
            location: Location::Server(Box::new(url.clone())),
            key,
            actor,
            access: Access::ReadWrite,
            keys: Some(keys),
            shown_in_search: Default::default(),
            code_index: Default::default(),
            changes_heard: 0,
            salt,
        };
        // The file codes are not read here, where half a second at a million calls would be
        // the unlock's: the terminal's reading thread reads them as it starts
        // (`Store::prepare_search`), and a store used alone at its first search.
        store.record_unlock()?;
        Ok(store)
    }
}
