//! Accounts and their key slots. An account is never deleted: deactivating it removes its
//! key slot, and its past calls keep their author.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::error::{StoreError, StoreResult};
use super::keyslots::{KdfParams, KeyFile};
use super::rows::{from_secs, now, to_secs, word};
use super::{NewAccount, Store, audit};
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::listener::Listener;
use crate::domain::passphrase::check_passphrase;
use crate::domain::{ListenerId, Timestamp};

const COLUMNS: &str = "id, login, display_name, role, active, created_at";

pub(super) fn insert(conn: &Connection, account: &NewAccount<'_>, at: Timestamp) -> StoreResult<ListenerId> {
    let result = conn.execute(
        "INSERT INTO listener (login, display_name, role, active, created_at) VALUES (?1, ?2, ?3, 1, ?4)",
        params![account.login, account.display_name.trim(), account.role.as_str(), to_secs(at)],
    );
    match result {
        Ok(_) => Ok(ListenerId(conn.last_insert_rowid())),
        Err(err) if err.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
            Err(StoreError::Invalid(format!("the login {:?} is already taken", account.login)))
        }
        Err(err) => Err(err.into()),
    }
}

pub(super) fn get(conn: &Connection, id: ListenerId) -> StoreResult<Option<Listener>> {
    Ok(conn.query_row(&format!("SELECT {COLUMNS} FROM listener WHERE id = ?1"), [id.0], read).optional()?)
}

fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Listener> {
    Ok(Listener {
        id: ListenerId(row.get(0)?),
        login: row.get(1)?,
        display_name: row.get(2)?,
        role: word(3, row.get(3)?)?,
        active: row.get(4)?,
        created_at: from_secs(row.get(5)?),
    })
}

impl Store {
    pub fn listeners(&self) -> StoreResult<Vec<Listener>> {
        let mut statement = self.conn.prepare(&format!("SELECT {COLUMNS} FROM listener ORDER BY login"))?;
        let listeners = statement.query_map([], read)?.collect::<Result<Vec<_>, _>>()?;
        Ok(listeners)
    }

    /// Display names by id, to show the author of each call.
    pub fn listener_names(&self) -> StoreResult<std::collections::HashMap<ListenerId, String>> {
        let mut statement = self.conn.prepare_cached("SELECT id, display_name FROM listener")?;
        let names = statement
            .query_map([], |row| Ok((ListenerId(row.get(0)?), row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(names)
    }

    pub fn listener_by_login(&self, login: &str) -> StoreResult<Listener> {
        self.conn
            .query_row(&format!("SELECT {COLUMNS} FROM listener WHERE login = ?1"), [login], read)
            .optional()?
            .ok_or_else(|| StoreError::UnknownListener(login.to_owned()))
    }

    /// Adds an account and its key slot (supervisor only). The slot is written before the
    /// account commits, so a committed account can always unlock.
    pub fn add_listener(&mut self, account: NewAccount<'_>, kdf: KdfParams) -> StoreResult<Listener> {
        self.require_supervisor("add an account")?;
        account.validate()?;
        self.require_writable()?;
        let key_path = self.key_file_path();
        let _slots = KeyFile::lock(&key_path)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert(&tx, &account, now())?;
        audit::append(
            &tx,
            Some(self.actor.id),
            AuditAction::ListenerAdded,
            ObjectKind::Listener,
            Some(id.0),
        )?;
        // Reloaded under the write lock: another terminal may have changed slots since.
        let mut key_file = KeyFile::load(&key_path)?;
        key_file.set_slot(id, account.login, account.passphrase, &self.key, kdf)?;
        key_file.save()?;
        if let Err(err) = tx.commit() {
            key_file.remove_slot(id);
            let _ = key_file.save();
            return Err(err.into());
        }
        Ok(get(&self.conn, id)?.expect("the account just committed"))
    }

    /// Deactivates an account and removes its key slot (supervisor only).
    pub fn deactivate_listener(&mut self, login: &str) -> StoreResult<()> {
        self.require_supervisor("deactivate an account")?;
        let target = self.listener_by_login(login)?;
        if target.id == self.actor.id {
            return Err(StoreError::Invalid("you cannot deactivate your own account".into()));
        }
        // Held across the commit and the slot's removal; a crash between the two leaves a slot
        // that the next unlock removes (`reconcile_key_slots`).
        let _slots = KeyFile::lock(&self.key_file_path())?;
        self.write(|tx, actor| {
            let changed =
                tx.execute("UPDATE listener SET active = 0 WHERE id = ?1 AND active = 1", [target.id.0])?;
            if changed == 0 {
                return Err(StoreError::Deactivated(login.to_owned()));
            }
            audit::append(
                tx,
                Some(actor.id),
                AuditAction::ListenerDeactivated,
                ObjectKind::Listener,
                Some(target.id.0),
            )
        })?;
        // After the commit: even if removing the slot failed, the account is refused at unlock.
        let mut key_file = KeyFile::load(&self.key_file_path())?;
        if key_file.remove_slot(target.id) {
            key_file.save()?;
        }
        Ok(())
    }

    /// Sets the passphrase of `login`: one's own, or anyone's for a supervisor (a reset).
    /// Only that slot is rewrapped; the database is never re-encrypted.
    pub fn set_passphrase(&mut self, login: &str, passphrase: &str, kdf: KdfParams) -> StoreResult<()> {
        let target = self.listener_by_login(login)?;
        let action = if target.id == self.actor.id {
            AuditAction::PassphraseChanged
        } else {
            self.require_supervisor("reset another person's passphrase")?;
            AuditAction::PassphraseReset
        };
        if !target.active {
            return Err(StoreError::Deactivated(login.to_owned()));
        }
        check_passphrase(passphrase, login, &target.display_name).map_err(StoreError::WeakPassphrase)?;
        self.require_writable()?;
        let key_path = self.key_file_path();
        let _slots = KeyFile::lock(&key_path)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        audit::append(&tx, Some(self.actor.id), action, ObjectKind::Listener, Some(target.id.0))?;
        let mut key_file = KeyFile::load(&key_path)?;
        key_file.set_slot(target.id, login, passphrase, &self.key, kdf)?;
        key_file.save()?;
        tx.commit()?;
        Ok(())
    }

    /// Makes the key file agree with the accounts, under its lock: the slot of a deactivated
    /// account, or of an account that never committed (a crash mid-`listener add`), is removed.
    /// With the lock held no change is half-way, so whatever disagrees is a crash's leftover.
    pub(super) fn reconcile_key_slots(&self) -> StoreResult<()> {
        let key_path = self.key_file_path();
        let _slots = KeyFile::lock(&key_path)?;
        let mut key_file = KeyFile::load(&key_path)?;
        let active: std::collections::HashSet<ListenerId> =
            self.listeners()?.into_iter().filter(|l| l.active).map(|l| l.id).collect();
        let stale: Vec<ListenerId> =
            key_file.slots().iter().map(|slot| slot.listener_id).filter(|id| !active.contains(id)).collect();
        for id in &stale {
            key_file.remove_slot(*id);
        }
        if !stale.is_empty() {
            key_file.save()?;
        }
        Ok(())
    }

    /// What `permanence check` says of the key file: slots without an active account, and
    /// active accounts without a slot (they cannot unlock).
    pub(super) fn key_slot_findings(&self) -> StoreResult<Vec<String>> {
        let key_file = KeyFile::load(&self.key_file_path())?;
        let listeners = self.listeners()?;
        let mut findings = Vec::new();
        for slot in key_file.slots() {
            match listeners.iter().find(|l| l.id == slot.listener_id) {
                Some(l) if l.active && l.login == slot.login => {}
                Some(l) if l.active => findings.push(format!(
                    "the key slot of {:?} names account {} whose login is {:?}",
                    slot.login, slot.listener_id, l.login
                )),
                Some(_) => findings.push(format!(
                    "the key slot of {:?} belongs to a deactivated account and still opens the database",
                    slot.login
                )),
                None => findings.push(format!("the key slot of {:?} belongs to no account", slot.login)),
            }
        }
        for listener in listeners.iter().filter(|l| l.active) {
            if !key_file.slots().iter().any(|s| s.listener_id == listener.id) {
                findings.push(format!(
                    "the active account {:?} has no key slot: it cannot unlock",
                    listener.login
                ));
            }
        }
        Ok(findings)
    }
}
