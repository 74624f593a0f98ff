//! Accounts and their key slots. An account is never deleted: deactivating it removes its
//! key slot, and its past calls keep their author. Every slot a supervisor writes for someone
//! else carries that supervisor's endorsement (docs/keyslots.md, "Who may unlock").

use rusqlite::Connection;

use super::db::{Db, Row};
use super::error::{StoreError, StoreResult};
use super::keyslots::{AccountKeys, KdfParams, KeyFile, KeySlot, Slot};
use super::rekey::{Progress, RekeyReport};
use super::rows::{from_secs, now, parse_word, to_secs};
use super::{NewAccount, Store, audit, pins};
use crate::db_params;
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::listener::{Listener, Role};
use crate::domain::passphrase::check_passphrase;
use crate::domain::{ListenerId, Timestamp};
use crate::i18n::Phrase;

const COLUMNS: &str = "id, login, display_name, role, active, created_at";

/// A taken login inserts nothing (ON CONFLICT: on the server a failed statement would abort
/// the whole transaction) and is refused.
/// The same with an id drawn before (a server's `nextval`, so that the key slot naming it could
/// be sealed before the write lock).
fn insert_with_id(
    db: &Db,
    id: ListenerId,
    account: &NewAccount<'_>,
    at: Timestamp,
) -> StoreResult<ListenerId> {
    let id = db.query_opt(
        "INSERT INTO listener (id, login, display_name, role, active, created_at) VALUES (?5, ?1, ?2, ?3, 1, ?4)
         ON CONFLICT (login) DO NOTHING RETURNING id",
        db_params![account.login, account.display_name.trim(), account.role.as_str(), to_secs(at), id.0],
        |row| row.get(0),
    )?;
    id.map(ListenerId)
        .ok_or_else(|| StoreError::Refused(Phrase::new(|s| &s.cli.login_taken).with("login", account.login)))
}

pub(super) fn insert(db: &Db, account: &NewAccount<'_>, at: Timestamp) -> StoreResult<ListenerId> {
    let id = db.query_opt(
        "INSERT INTO listener (login, display_name, role, active, created_at) VALUES (?1, ?2, ?3, 1, ?4)
         ON CONFLICT (login) DO NOTHING RETURNING id",
        db_params![account.login, account.display_name.trim(), account.role.as_str(), to_secs(at)],
        |row| row.get(0),
    )?;
    id.map(ListenerId)
        .ok_or_else(|| StoreError::Refused(Phrase::new(|s| &s.cli.login_taken).with("login", account.login)))
}

/// Every account, active or not.
pub(super) fn all(db: &Db) -> StoreResult<Vec<Listener>> {
    db.query_map(&format!("SELECT {COLUMNS} FROM listener ORDER BY login"), db_params![], read)
}

pub(super) fn get(db: &Db, id: ListenerId) -> StoreResult<Option<Listener>> {
    db.query_opt(&format!("SELECT {COLUMNS} FROM listener WHERE id = ?1"), db_params![id.0], read)
}

fn read(row: &Row) -> StoreResult<Listener> {
    Ok(Listener {
        id: ListenerId(row.get(0)?),
        login: row.get(1)?,
        display_name: row.get(2)?,
        role: parse_word(3, row.get(3)?)?,
        active: row.get(4)?,
        created_at: from_secs(row.get(5)?),
    })
}

impl Store {
    pub fn listeners(&self) -> StoreResult<Vec<Listener>> {
        all(&self.conn)
    }

    /// Display names by id, to show the author of each call.
    pub fn listener_names(&self) -> StoreResult<std::collections::HashMap<ListenerId, String>> {
        let names = self.conn.query_map("SELECT id, display_name FROM listener", db_params![], |row| {
            Ok((ListenerId(row.get(0)?), row.get(1)?))
        })?;
        Ok(names.into_iter().collect())
    }

    /// The active accounts, by display name (case aside): whom a callback can be given to.
    pub fn active_listeners_by_name(&self) -> StoreResult<Vec<(ListenerId, String)>> {
        let mut active: Vec<_> =
            self.listeners()?.into_iter().filter(|l| l.active).map(|l| (l.id, l.display_name)).collect();
        active.sort_by_key(|(_, name)| name.to_lowercase());
        Ok(active)
    }

    pub fn listener_by_login(&self, login: &str) -> StoreResult<Listener> {
        self.conn
            .query_opt(&format!("SELECT {COLUMNS} FROM listener WHERE login = ?1"), db_params![login], read)?
            .ok_or_else(|| StoreError::UnknownListener(login.to_owned()))
    }

    /// The centre's root: the login holding it and its signing key's fingerprint. `init`
    /// prints it and `check` shows it, so that a root rewritten by someone holding the data key
    /// shows as a fingerprint that changed without a `root_passed` entry.
    pub fn centre_root(&self) -> StoreResult<Option<(String, String)>> {
        let Some(root) = pins::root(&self.conn)? else { return Ok(None) };
        let login = get(&self.conn, root.listener_id)?.map(|l| l.login).unwrap_or_default();
        Ok(Some((login, fingerprint(&root.signing_key))))
    }

    /// The actor's signing key, to endorse a slot; refused while their own slot is still
    /// version 1 (it is converted at their next writable unlock).
    fn endorsing_key(&self) -> StoreResult<&ed25519_dalek::SigningKey> {
        self.signer().ok_or_else(|| {
            StoreError::Invalid(
                "your own key slot is still version 1: unlock once where the store can be written, then try again"
                    .into(),
            )
        })
    }

    /// Adds an account and its key slot (supervisor only), the slot endorsed by the actor. The
    /// slot is written before the account commits, so a committed account can always unlock.
    pub fn add_listener(&mut self, account: NewAccount<'_>, kdf: KdfParams) -> StoreResult<Listener> {
        self.require_supervisor(|s| &s.cli.what_add_account)?;
        account.validate()?;
        self.require_writable()?;
        self.endorsing_key()?;
        let keys = AccountKeys::generate()?;
        let seal = |store: &Store, id| {
            let mut slot =
                Slot::seal(id, account.login, account.role, account.passphrase, kdf, &keys, &store.key)?;
            let signer = store.keys.as_ref().map(AccountKeys::signer).expect("checked above");
            slot.endorse(store.actor.id, signer);
            Ok::<_, StoreError>(slot)
        };
        // On a server the id is drawn from its sequence first, and the slot sealed (Argon2id, a
        // second or so) before the write lock every desk's writes wait on; the file's next id
        // is known only under its own lock, as it always was.
        let sealed_early = match self.conn.is_postgres() {
            true => {
                let id = ListenerId(self.conn.next_id("listener")?);
                Some((id, seal(self, id)?))
            }
            false => None,
        };
        let id = self.change_slots(|store, tx, key_file| {
            let (id, slot) = match sealed_early {
                Some((id, slot)) => (insert_with_id(tx, id, &account, now())?, slot),
                None => {
                    let id = insert(tx, &account, now())?;
                    (id, seal(store, id)?)
                }
            };
            audit::append(
                tx,
                Some(store.actor.id),
                AuditAction::ListenerAdded,
                ObjectKind::Listener,
                Some(id.0),
            )?;
            pins::insert_current(tx, id, &keys.public())?;
            key_file.set_slot(slot);
            Ok(id)
        })?;
        Ok(get(&self.conn, id)?.expect("the account just committed"))
    }

    /// Deactivates an account and removes its key slot (supervisor only). On the file, the
    /// database is re-keyed too: a copy of that slot, of the key file, or of any backup's opens
    /// nothing of the file from now on. On a server the data key stays (no rotation there yet:
    /// [`Withdrawal::KeyKept`]). Slots the departing account had endorsed (a supervisor's) are
    /// endorsed again by the actor, in the same step.
    pub fn deactivate_listener(&mut self, login: &str) -> StoreResult<Withdrawal> {
        self.deactivate_listener_with(login, &|_, _| {})
    }

    /// [`Store::deactivate_listener`], telling `progress` how far the re-encryption is.
    pub fn deactivate_listener_with(
        &mut self,
        login: &str,
        progress: Progress<'_>,
    ) -> StoreResult<Withdrawal> {
        self.require_supervisor(|s| &s.cli.what_deactivate)?;
        let target = self.listener_by_login(login)?;
        if target.id == self.actor.id {
            return Err(StoreError::Refused(Phrase::new(|s| &s.cli.own_account)));
        }
        if !target.active {
            return Err(StoreError::Deactivated(login.to_owned()));
        }
        self.require_writable()?;
        self.endorsing_key()?;
        if self.conn.is_postgres() {
            return self.deactivate_on_server(&target).map(|()| Withdrawal::KeyKept);
        }
        let key_path = KeyFile::path_for(self.db_path()?);
        let _slots = KeyFile::lock(&key_path)?;
        self.follow_rekey_locked()?;
        let mut key_file = KeyFile::load(&key_path)?;
        let taken_over = self.take_over_endorsements(&mut key_file, &target)?;
        key_file.remove_slot(target.id);
        let actor = self.actor.id;
        self.rekey(
            key_file,
            |conn, schema, signer| {
                let changed = conn.execute(
                    &format!("UPDATE {schema}.listener SET active = 0 WHERE id = ?1 AND active = 1"),
                    [target.id.0],
                )?;
                if changed == 0 {
                    return Err(StoreError::Deactivated(target.login.clone()));
                }
                pass_root(conn, schema, signer, actor, taken_over.root)?;
                record_rekeyed(conn, schema, signer, actor, AuditAction::ListenerDeactivated, target.id)
            },
            progress,
        )
        .map(Withdrawal::Rekeyed)
    }

    /// On a server: the account inactive, its slot removed and the endorsements it gave taken
    /// over, in one transaction with the key slots' row locked (`change_slots`); the data key
    /// is not rotated. A session of that account still open is refused at its next write or
    /// poll (`Store::still_granted`).
    fn deactivate_on_server(&mut self, target: &Listener) -> StoreResult<()> {
        self.change_slots(|store, tx, key_file| {
            let changed = tx.execute(
                "UPDATE listener SET active = 0 WHERE id = ?1 AND active = 1",
                db_params![target.id.0],
            )?;
            if changed == 0 {
                return Err(StoreError::Deactivated(target.login.clone()));
            }
            let taken_over = store.take_over_endorsements(key_file, target)?;
            key_file.remove_slot(target.id);
            pass_root_on_server(tx, store.actor.id, taken_over.root)?;
            audit::append(
                tx,
                Some(store.actor.id),
                AuditAction::ListenerDeactivated,
                ObjectKind::Listener,
                Some(target.id.0),
            )?;
            Ok(())
        })
    }

    /// Sets the passphrase of `login`: one's own (the same keys, resealed; the endorsement
    /// stays), or anyone's for a supervisor (a reset: new key pairs, endorsed by the actor, the
    /// old public keys kept as history; on the file the database re-keyed so that the old slot,
    /// kept anywhere, opens nothing of it; on a server the data key kept).
    pub fn set_passphrase(&mut self, login: &str, passphrase: &str, kdf: KdfParams) -> StoreResult<()> {
        self.set_passphrase_with(login, passphrase, kdf, &|_, _| {}).map(drop)
    }

    /// [`Store::set_passphrase`]; a reset tells `progress` how far the re-encryption is and
    /// returns what it did to the data key (`None` for one's own change).
    pub fn set_passphrase_with(
        &mut self,
        login: &str,
        passphrase: &str,
        kdf: KdfParams,
        progress: Progress<'_>,
    ) -> StoreResult<Option<Withdrawal>> {
        let target = self.listener_by_login(login)?;
        let own = target.id == self.actor.id;
        if !own {
            self.require_supervisor(|s| &s.cli.what_reset_passphrase)?;
        }
        if !target.active {
            return Err(StoreError::Deactivated(login.to_owned()));
        }
        check_passphrase(passphrase, login, &target.display_name).map_err(StoreError::WeakPassphrase)?;
        self.require_writable()?;
        if own {
            self.change_own_passphrase(passphrase, kdf).map(|()| None)
        } else if self.conn.is_postgres() {
            self.reset_on_server(&target, passphrase, kdf).map(|()| Some(Withdrawal::KeyKept))
        } else {
            self.reset_passphrase(&target, passphrase, kdf, progress).map(|r| Some(Withdrawal::Rekeyed(r)))
        }
    }

    fn change_own_passphrase(&mut self, passphrase: &str, kdf: KdfParams) -> StoreResult<()> {
        self.endorsing_key()?;
        let changed = || StoreError::Invalid("your key slot changed since you unlocked: unlock again".into());
        // Resealed (Argon2id, a second or so) before any lock is taken; under the locks the
        // slot must still be the one resealed, byte for byte, or nothing is written.
        let keys = self.keys.as_ref().expect("checked above");
        let before = match self.key_file_now()?.slot(self.actor.id) {
            Some(KeySlot::Current(slot)) if slot.keys == keys.public() => slot.clone(),
            _ => return Err(changed()),
        };
        let slot = before.reseal(passphrase, kdf, keys)?;
        self.change_slots(|store, tx, key_file| {
            match key_file.slot(store.actor.id) {
                Some(KeySlot::Current(now)) if *now == before => {}
                _ => return Err(changed()),
            }
            audit::append(
                tx,
                Some(store.actor.id),
                AuditAction::PassphraseChanged,
                ObjectKind::Listener,
                Some(store.actor.id.0),
            )?;
            key_file.set_slot(slot);
            Ok(())
        })
    }

    /// New keys for `target`, endorsed by the actor, pinned in the re-keyed copy of the
    /// database in the same step as the new data key.
    fn reset_passphrase(
        &mut self,
        target: &Listener,
        passphrase: &str,
        kdf: KdfParams,
        progress: Progress<'_>,
    ) -> StoreResult<RekeyReport> {
        self.endorsing_key()?;
        let keys = AccountKeys::generate()?;
        let public = keys.public();
        let key_path = KeyFile::path_for(self.db_path()?);
        let _slots = KeyFile::lock(&key_path)?;
        self.follow_rekey_locked()?;
        let mut key_file = KeyFile::load(&key_path)?;
        let taken_over = self.take_over_endorsements(&mut key_file, target)?;
        let mut slot = Slot::seal(target.id, &target.login, target.role, passphrase, kdf, &keys, &self.key)?;
        let signer = self.keys.as_ref().map(AccountKeys::signer).expect("checked above");
        slot.endorse(self.actor.id, signer);
        key_file.set_slot(slot);
        let actor = self.actor.id;
        self.rekey(
            key_file,
            |conn, schema, signer| {
                pins::replace_current_in(conn, schema, target.id, &public)?;
                pass_root(conn, schema, signer, actor, taken_over.root)?;
                record_rekeyed(conn, schema, signer, actor, AuditAction::PassphraseReset, target.id)
            },
            progress,
        )
    }

    /// A reset on a server: the new slot sealed (Argon2id, a second or so) before the lock on
    /// the key slots' row, which every account change and every desk's writes wait on; under
    /// it, the account must still be active, its keys replaced in the pins and its slot in the
    /// row, in one transaction. The data key is not rotated.
    fn reset_on_server(&mut self, target: &Listener, passphrase: &str, kdf: KdfParams) -> StoreResult<()> {
        self.endorsing_key()?;
        let keys = AccountKeys::generate()?;
        let public = keys.public();
        let mut slot = Slot::seal(target.id, &target.login, target.role, passphrase, kdf, &keys, &self.key)?;
        let signer = self.keys.as_ref().map(AccountKeys::signer).expect("checked above");
        slot.endorse(self.actor.id, signer);
        self.change_slots(|store, tx, key_file| {
            let still = get(tx, target.id)?
                .is_some_and(|l| l.active && l.login == target.login && l.role == target.role);
            if !still {
                return Err(StoreError::Deactivated(target.login.clone()));
            }
            let taken_over = store.take_over_endorsements(key_file, target)?;
            pins::replace_current(tx, target.id, &public)?;
            key_file.set_slot(slot);
            pass_root_on_server(tx, store.actor.id, taken_over.root)?;
            audit::append(
                tx,
                Some(store.actor.id),
                AuditAction::PassphraseReset,
                ObjectKind::Listener,
                Some(target.id.0),
            )
        })
    }

    /// On a server, inside a write transaction: this session's account is still active, with
    /// the login and role it unlocked with, and its current keys are this session's. A
    /// supervisor at another desk deactivated it or reset its passphrase otherwise
    /// (`AccessRevoked`, on which the terminal locks). The file learns the same from the re-key
    /// those changes make there (`Store::follow_rekey`).
    pub(super) fn still_granted(&self) -> StoreResult<()> {
        if !self.conn.is_postgres() {
            return Ok(());
        }
        let (id, login, role) = (self.actor.id.0, self.actor.login.as_str(), self.actor.role.as_str());
        let granted: Option<i64> = match self.keys.as_ref().map(AccountKeys::public) {
            Some(keys) => self.conn.query_opt(
                "SELECT 1 FROM listener l JOIN listener_key k ON k.listener_id = l.id
                 WHERE l.id = ?1 AND l.active = 1 AND l.login = ?2 AND l.role = ?3
                 AND k.since IS NOT NULL AND k.until IS NULL AND k.signing_key = ?4 AND k.box_key = ?5",
                db_params![id, login, role, keys.signing_key.as_slice(), keys.box_key.as_slice()],
                |row| row.get(0),
            )?,
            None => self.conn.query_opt(
                "SELECT 1 FROM listener WHERE id = ?1 AND active = 1 AND login = ?2 AND role = ?3",
                db_params![id, login, role],
                |row| row.get(0),
            )?,
        };
        granted.map(drop).ok_or(StoreError::AccessRevoked)
    }

    /// A supervisor vouches for the slot of `login` as it is: a slot converted from version 1
    /// (its owner unlocked once and it got its key pairs), or one whose endorser has gone.
    /// Say which keys you endorse: compare the fingerprint with the person first.
    pub fn endorse_slot(&mut self, login: &str) -> StoreResult<String> {
        self.require_supervisor(|s| &s.cli.what_endorse_slot)?;
        let target = self.listener_by_login(login)?;
        if target.id == self.actor.id {
            return Err(StoreError::Invalid("a supervisor cannot endorse their own key slot".into()));
        }
        if !target.active {
            return Err(StoreError::Deactivated(login.to_owned()));
        }
        self.require_writable()?;
        self.endorsing_key()?;
        self.change_slots(|store, tx, key_file| {
            let Some(KeySlot::Current(slot)) = key_file.slot(target.id) else {
                return Err(StoreError::Invalid(format!(
                    "the key slot of {login:?} is still version 1: it gets its keys when {login} next unlocks"
                )));
            };
            let mut slot = slot.clone();
            let accounts = pins::accounts_by_id(all(tx)?);
            match pins::verify(tx, &KeySlot::Current(slot.clone()), &accounts)? {
                Ok(()) => {
                    return Err(StoreError::Invalid(format!(
                        "the key slot of {login:?} is already endorsed"
                    )));
                }
                Err(pins::SlotProblem::NotEndorsed | pins::SlotProblem::BadEndorsement) => {}
                Err(problem) => return Err(StoreError::SlotRefused { login: login.to_owned(), problem }),
            }
            let signer = store.keys.as_ref().map(AccountKeys::signer).expect("checked above");
            slot.endorse(store.actor.id, signer);
            let fingerprint = fingerprint(&slot.keys.signing_key);
            audit::append(
                tx,
                Some(store.actor.id),
                AuditAction::SlotEndorsed,
                ObjectKind::Listener,
                Some(target.id.0),
            )?;
            key_file.set_slot(slot);
            Ok(fingerprint)
        })
    }

    /// When `departing`'s current signing key stops counting (the account is deactivated or
    /// gets new keys), the actor endorses again, in `key_file`, every slot that key vouched
    /// for. If it was the centre's root, the root passes to the actor (its signing key is
    /// returned, to record as the new root). Refused if the actor's own slot was vouched for
    /// by that key and the root does not pass: another supervisor must endorse it first.
    fn take_over_endorsements(&self, key_file: &mut KeyFile, departing: &Listener) -> StoreResult<TakenOver> {
        let mut taken_over = TakenOver { root: None };
        let Some(old) = pins::current(&self.conn, departing.id)? else { return Ok(taken_over) };
        if departing.role != Role::Supervisor {
            return Ok(taken_over);
        }
        let signer = self.endorsing_key()?;
        let actor_key = signer.verifying_key().to_bytes();
        let root_passes = pins::root(&self.conn)?
            .is_some_and(|root| root.listener_id == departing.id && root.signing_key == old.keys.signing_key);
        for slot in key_file.slots_mut() {
            let KeySlot::Current(slot) = slot else { continue };
            let vouched = slot.endorsement.as_ref().is_some_and(|e| e.signed_by == departing.id)
                && slot.endorsement_verifies(&old.keys.signing_key);
            if !vouched || slot.listener_id == departing.id {
                continue;
            }
            if slot.listener_id == self.actor.id && !root_passes {
                return Err(StoreError::Invalid(format!(
                    "your own key slot is endorsed by {:?}: ask another supervisor to endorse it \
                     (`permanence listener endorse {}`) before {:?} loses that right",
                    departing.login, self.actor.login, departing.login
                )));
            }
            // The root's holder endorses its own slot; anyone else's, the actor endorses.
            slot.endorse(self.actor.id, signer);
        }
        taken_over.root = root_passes.then_some(actor_key);
        Ok(taken_over)
    }
}

/// Records, in the database attached as `schema`, what `actor` did to the account `target`
/// and the re-key it took.
fn record_rekeyed(
    conn: &Connection,
    schema: &str,
    signer: Option<audit::Signer<'_>>,
    actor: ListenerId,
    action: AuditAction,
    target: ListenerId,
) -> StoreResult<()> {
    audit::append_in(conn, schema, signer, Some(actor), action, ObjectKind::Listener, Some(target.0))?;
    audit::append_in(conn, schema, signer, Some(actor), AuditAction::Rekeyed, ObjectKind::Database, None)
}

/// Records, in the database attached as `schema`, that the root passed to `actor`.
fn pass_root(
    conn: &Connection,
    schema: &str,
    signer: Option<audit::Signer<'_>>,
    actor: ListenerId,
    signing_key: Option<[u8; 32]>,
) -> StoreResult<()> {
    let Some(signing_key) = signing_key else { return Ok(()) };
    pins::set_root_in(conn, schema, actor, &signing_key)?;
    audit::append_in(
        conn,
        schema,
        signer,
        Some(actor),
        AuditAction::RootPassed,
        ObjectKind::Listener,
        Some(actor.0),
    )
}

/// On a server, inside the account change's transaction: the root passed to `actor`.
fn pass_root_on_server(
    tx: &audit::Tx<'_>,
    actor: ListenerId,
    signing_key: Option<[u8; 32]>,
) -> StoreResult<()> {
    let Some(signing_key) = signing_key else { return Ok(()) };
    pins::set_root(tx, actor, &signing_key)?;
    audit::append(tx, Some(actor), AuditAction::RootPassed, ObjectKind::Listener, Some(actor.0))
}

/// What withdrawing an account's access (a deactivation, a supervisor's reset) did to the data
/// key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withdrawal {
    /// The file: encrypted again under a new data key.
    Rekeyed(RekeyReport),
    /// A server: the slot removed or replaced, the data key kept (it is not rotated there yet,
    /// docs/postgres-status.md): whoever copied the key slots' row while they had access still
    /// opens it with their old passphrase; their database role must go too.
    KeyKept,
}

impl Withdrawal {
    /// The re-key's report, on the file.
    pub fn rekeyed(self) -> Option<RekeyReport> {
        match self {
            Withdrawal::Rekeyed(report) => Some(report),
            Withdrawal::KeyKept => None,
        }
    }
}

/// What [`Store::take_over_endorsements`] changed.
struct TakenOver {
    /// The actor's signing key, to record as the centre's new root.
    root: Option<[u8; 32]>,
}

/// Names, in `key_file`, the database file it opens (a version-1 file named none).
pub(super) fn bind(key_file: &mut KeyFile, db_path: &std::path::Path) -> StoreResult<()> {
    if key_file.database_salt().is_none() {
        key_file.bind_to(super::keyslots::database_salt(db_path)?);
    }
    Ok(())
}

/// A signing key's fingerprint, to read aloud: the first 16 bytes of its SHA-256, in groups.
pub fn fingerprint(signing_key: &[u8; 32]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(signing_key);
    digest[..16].chunks(2).map(hex::encode).collect::<Vec<_>>().join(" ")
}
