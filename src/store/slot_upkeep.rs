//! Keeping the key file and the accounts in agreement: a version-1 slot converted at its
//! owner's unlock, what a crash left half-way finished at the next unlock, and what `check`
//! says of each slot.

use super::error::{StoreError, StoreResult};
use super::keyslots::{AccountKeys, KeyFile, KeySlot, Slot};
use super::{Store, audit, pins};
use crate::domain::ListenerId;
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::listener::Role;
use crate::i18n::Phrase;

/// What `check` says of the key file.
#[derive(Debug, Default)]
pub(super) struct SlotFindings {
    /// Slots that cannot unlock or should not, and accounts that cannot unlock.
    pub faults: Vec<Phrase>,
    /// Version-1 slots waiting for their owner's unlock: not a fault.
    pub notes: Vec<Phrase>,
}

impl Store {
    /// Gives the actor's version-1 slot its key pairs, in three steps so that a crash at any
    /// point leaves a slot that opens: the public keys pinned as pending, the key file, the
    /// keys made current. The first supervisor converted in a store made before schema 9
    /// becomes the centre's root and endorses their own slot; anyone else's converted slot
    /// waits for a supervisor's endorsement (`permanence listener endorse`).
    pub(super) fn convert_legacy_slot(&mut self, passphrase: &str) -> StoreResult<()> {
        // A server's slots were made at version 2: none is ever version 1 there.
        let key_path = KeyFile::path_for(self.db_path()?);
        let _slots = KeyFile::lock(&key_path)?;
        // Read and write the database the key file now goes with (another terminal may have
        // re-keyed it since this session opened it).
        self.follow_rekey_locked()?;
        let mut key_file = KeyFile::load(&key_path)?;
        let id = self.actor.id;
        let Some(KeySlot::Legacy(legacy)) = key_file.slot(id).cloned() else {
            // Converted meanwhile by another terminal: it is used from the next unlock.
            return Ok(());
        };
        if pins::current(&self.conn, id)?.is_some() {
            return Err(StoreError::SlotRefused {
                login: self.actor.login.clone(),
                problem: pins::SlotProblem::LegacyAfterConversion,
            });
        }
        let keys = AccountKeys::generate()?;
        let public = keys.public();
        // The root of a store made before schema 9, or a conversion of the root that a crash
        // interrupted (the root names this account, which has no current keys).
        let becomes_root = self.actor.role == Role::Supervisor
            && pins::root(&self.conn)?.is_none_or(|root| root.listener_id == id);
        self.write(|tx, _| {
            pins::remove_pending(tx.db(), id)?;
            pins::insert_pending(tx.db(), id, &public)?;
            if becomes_root {
                pins::set_root(tx.db(), id, &public.signing_key)?;
            }
            Ok(())
        })?;
        let mut slot =
            Slot::seal(id, &self.actor.login, self.actor.role, passphrase, legacy.kdf, &keys, &self.key)?;
        if becomes_root {
            slot.endorse(id, keys.signer());
        }
        key_file.set_slot(slot);
        super::listeners::bind(&mut key_file, self.db_path()?)?;
        key_file.save()?;
        // The entry recording the conversion is the first one signed with the new keys.
        self.keys = Some(keys);
        let converted = self.write(|tx, actor| {
            pins::make_current(tx.db(), id, &public)?;
            audit::append(tx, Some(actor.id), AuditAction::KeysConverted, ObjectKind::Listener, Some(id.0))
        });
        if converted.is_err() {
            // Still pending: the next unlock makes them current; until then nothing signs.
            self.keys = None;
        }
        converted
    }

    /// Makes the key file and the accounts agree, under the key file's lock: the slot of a
    /// deactivated account, or of an account that never committed (a crash mid-`listener add`),
    /// is removed; keys a crash left pending are made current if the slot carries them, removed
    /// if it does not. With the lock held no change is half-way, so whatever disagrees is a
    /// crash's leftover.
    pub(super) fn reconcile_key_slots(&mut self) -> StoreResult<()> {
        // On a server an account and its slot change in one transaction: nothing is left
        // half-way for an unlock to finish.
        let Some(db_path) = self.location.file().map(std::path::Path::to_owned) else { return Ok(()) };
        let key_path = KeyFile::path_for(&db_path);
        let _slots = KeyFile::lock(&key_path)?;
        // Read and write the database the key file now goes with (another terminal may have
        // re-keyed it since this session opened it).
        self.follow_rekey_locked()?;
        let mut key_file = KeyFile::load(&key_path)?;
        let active: std::collections::HashSet<ListenerId> =
            self.listeners()?.into_iter().filter(|l| l.active).map(|l| l.id).collect();
        let stale: Vec<ListenerId> =
            key_file.slots().iter().map(KeySlot::listener_id).filter(|id| !active.contains(id)).collect();
        for id in &stale {
            key_file.remove_slot(*id);
        }
        // The key file opened this database: it names it (a version-1 file, or one copied by
        // hand beside another copy of the database, names none or another).
        let salt = super::keyslots::database_salt(&db_path)?;
        let rebind = key_file.database_salt() != Some(salt);
        key_file.bind_to(salt);
        if !stale.is_empty() || rebind {
            key_file.save()?;
        }
        let pending: Vec<ListenerId> = self.conn.query_map(
            "SELECT DISTINCT listener_id FROM listener_key WHERE since IS NULL",
            crate::db_params![],
            |row| Ok(ListenerId(row.get(0)?)),
        )?;
        for id in pending {
            let in_slot = match key_file.slot(id) {
                Some(KeySlot::Current(slot)) => Some(slot.keys),
                _ => None,
            };
            self.write(|tx, _| {
                let completed = match &in_slot {
                    Some(keys) => pins::make_current(tx.db(), id, keys)?,
                    None => false,
                };
                if completed {
                    audit::append(tx, None, AuditAction::KeysChanged, ObjectKind::Listener, Some(id.0))
                } else {
                    pins::remove_pending(tx.db(), id).map(drop)
                }
            })?;
        }
        Ok(())
    }
}

/// What `permanence check` says of the key slots `key_file` against the accounts of `db`:
/// every slot that does not verify (no active account, keys not the account's, no valid
/// endorsement, …), every active account without a slot, and, as notes, version-1 slots not
/// converted yet. Also run by `migrate` on the copy it is writing, before it commits.
pub(super) fn slot_findings(db: &super::db::Db, key_file: &KeyFile) -> StoreResult<SlotFindings> {
    let listeners = super::listeners::all(db)?;
    let mut findings = SlotFindings::default();
    let accounts = pins::accounts_by_id(listeners.clone());
    for slot in key_file.slots() {
        match pins::verify(db, slot, &accounts)? {
            Err(problem) => findings.faults.push(
                Phrase::new(|s| &s.cli.slot_fault)
                    .with("slot", format!("{:?}", slot.login()))
                    .with_phrase("problem", problem.phrase()),
            ),
            Ok(()) if matches!(slot, KeySlot::Legacy(_)) => findings
                .notes
                .push(Phrase::new(|s| &s.cli.slot_legacy_note).with("slot", format!("{:?}", slot.login()))),
            Ok(()) => {}
        }
    }
    for listener in listeners.iter().filter(|l| l.active) {
        if key_file.slot(listener.id).is_none() {
            findings.faults.push(
                Phrase::new(|s| &s.cli.account_without_slot).with("login", format!("{:?}", listener.login)),
            );
        }
    }
    Ok(findings)
}
