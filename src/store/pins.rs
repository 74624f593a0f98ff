//! Each account's public keys pinned in the database (`listener_key`, with their history) and
//! the centre's root key (`centre_root`), and the rules a key slot must meet to unlock: its
//! keys are its account's current ones, its role is its account's, and a supervisor vouches for
//! it (docs/keyslots.md, "Who may unlock").

use std::collections::HashMap;

use crate::i18n::Phrase;
use rusqlite::{Connection, params};

use super::db::{Db, Row};
use super::error::{StoreError, StoreResult};
use super::keyslots::{KeySlot, PublicKeys, Slot};
use crate::db_params;
use crate::domain::ListenerId;
use crate::domain::listener::{Listener, Role};

/// One account's public keys as pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub id: i64,
    pub listener_id: ListenerId,
    pub keys: PublicKeys,
    /// Microseconds; `None` while pending (written before the key file, made current after).
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// The centre's root: the one signing key that may endorse its own slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub listener_id: ListenerId,
    pub signing_key: [u8; 32],
}

pub(super) fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

fn key32(row: &Row, i: usize) -> StoreResult<[u8; 32]> {
    let bytes: Vec<u8> = row.get(i)?;
    bytes
        .try_into()
        .map_err(|_| StoreError::DatabaseDamaged(format!("column {i}: a public key is not 32 bytes")))
}

fn read(row: &Row) -> StoreResult<Pin> {
    Ok(Pin {
        id: row.get(0)?,
        listener_id: ListenerId(row.get(1)?),
        keys: PublicKeys { signing_key: key32(row, 2)?, box_key: key32(row, 3)? },
        since: row.get(4)?,
        until: row.get(5)?,
    })
}

const COLUMNS: &str = "id, listener_id, signing_key, box_key, since, until";

/// The account's current keys, if it has any (an account whose slot is still version 1 has
/// none).
pub(super) fn current(db: &Db, listener: ListenerId) -> StoreResult<Option<Pin>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM listener_key WHERE listener_id = ?1 AND since IS NOT NULL AND until IS NULL"),
        db_params![listener.0],
        read,
    )
}

/// Every key the account ever had or is about to have, oldest first.
pub(super) fn history(db: &Db, listener: ListenerId) -> StoreResult<Vec<Pin>> {
    db.query_map(
        &format!("SELECT {COLUMNS} FROM listener_key WHERE listener_id = ?1 ORDER BY id"),
        db_params![listener.0],
        read,
    )
}

/// New keys for an account that has none yet, current at once (a new account: its slot is
/// written before the transaction commits, so the two land together).
pub(super) fn insert_current(db: &Db, listener: ListenerId, keys: &PublicKeys) -> StoreResult<()> {
    let now = now_micros();
    db.execute(
        "INSERT INTO listener_key (listener_id, signing_key, box_key, created_at, since) VALUES (?1, ?2, ?3, ?4, ?4)",
        db_params![listener.0, keys.signing_key.as_slice(), keys.box_key.as_slice(), now],
    )?;
    Ok(())
}

/// New keys written before the key file that carries them; see [`make_current`].
pub(super) fn insert_pending(db: &Db, listener: ListenerId, keys: &PublicKeys) -> StoreResult<()> {
    db.execute(
        "INSERT INTO listener_key (listener_id, signing_key, box_key, created_at) VALUES (?1, ?2, ?3, ?4)",
        db_params![listener.0, keys.signing_key.as_slice(), keys.box_key.as_slice(), now_micros()],
    )?;
    Ok(())
}

/// Once the key file carries `keys`: they become the account's current keys, the former ones
/// are retired (kept), and any other pending keys of the account are removed. `false` if no
/// pending pin holds `keys`.
pub(super) fn make_current(db: &Db, listener: ListenerId, keys: &PublicKeys) -> StoreResult<bool> {
    let now = now_micros();
    let pending: Option<i64> = db.query_opt(
        "SELECT id FROM listener_key WHERE listener_id = ?1 AND since IS NULL
         AND signing_key = ?2 AND box_key = ?3",
        db_params![listener.0, keys.signing_key.as_slice(), keys.box_key.as_slice()],
        |row| row.get(0),
    )?;
    let Some(pending) = pending else { return Ok(false) };
    db.execute(
        "UPDATE listener_key SET until = ?2 WHERE listener_id = ?1 AND since IS NOT NULL AND until IS NULL",
        db_params![listener.0, now],
    )?;
    db.execute("UPDATE listener_key SET since = ?2 WHERE id = ?1", db_params![pending, now])?;
    remove_pending(db, listener)?;
    Ok(true)
}

/// Removes pending keys of `listener` that never became current (a crash's leftover).
pub(super) fn remove_pending(db: &Db, listener: ListenerId) -> StoreResult<usize> {
    db.execute("DELETE FROM listener_key WHERE listener_id = ?1 AND since IS NULL", db_params![listener.0])
}

/// On a server, in the reset's transaction, in one step: `listener`'s current keys retired
/// (pending ones removed), `keys` current from now.
pub(super) fn replace_current(db: &Db, listener: ListenerId, keys: &PublicKeys) -> StoreResult<()> {
    let now = now_micros();
    remove_pending(db, listener)?;
    db.execute(
        "UPDATE listener_key SET until = ?2 WHERE listener_id = ?1 AND since IS NOT NULL AND until IS NULL",
        db_params![listener.0, now],
    )?;
    db.execute(
        "INSERT INTO listener_key (listener_id, signing_key, box_key, created_at, since) VALUES (?1, ?2, ?3, ?4, ?4)",
        db_params![listener.0, keys.signing_key.as_slice(), keys.box_key.as_slice(), now],
    )?;
    Ok(())
}

/// In the database attached as `schema` (a re-key's new copy), in one step: `listener`'s
/// current keys retired, `keys` current from now.
pub(super) fn replace_current_in(
    conn: &Connection,
    schema: &str,
    listener: ListenerId,
    keys: &PublicKeys,
) -> StoreResult<()> {
    let now = now_micros();
    conn.execute(
        &format!("DELETE FROM {schema}.listener_key WHERE listener_id = ?1 AND since IS NULL"),
        [listener.0],
    )?;
    conn.execute(
        &format!(
            "UPDATE {schema}.listener_key SET until = ?2
             WHERE listener_id = ?1 AND since IS NOT NULL AND until IS NULL"
        ),
        params![listener.0, now],
    )?;
    conn.execute(
        &format!(
            "INSERT INTO {schema}.listener_key (listener_id, signing_key, box_key, created_at, since)
             VALUES (?1, ?2, ?3, ?4, ?4)"
        ),
        params![listener.0, keys.signing_key.as_slice(), keys.box_key.as_slice(), now],
    )?;
    Ok(())
}

pub(super) fn root(db: &Db) -> StoreResult<Option<Root>> {
    db.query_opt(
        "SELECT listener_id, signing_key FROM centre_root ORDER BY id DESC LIMIT 1",
        db_params![],
        |row| Ok(Root { listener_id: ListenerId(row.get(0)?), signing_key: key32(row, 1)? }),
    )
}

pub(super) fn set_root(db: &Db, listener: ListenerId, signing_key: &[u8; 32]) -> StoreResult<()> {
    db.execute(
        "INSERT INTO centre_root (listener_id, signing_key, since) VALUES (?1, ?2, ?3)",
        db_params![listener.0, signing_key.as_slice(), now_micros()],
    )?;
    Ok(())
}

pub(super) fn set_root_in(
    conn: &Connection,
    schema: &str,
    listener: ListenerId,
    signing_key: &[u8; 32],
) -> StoreResult<()> {
    conn.execute(
        &format!("INSERT INTO {schema}.centre_root (listener_id, signing_key, since) VALUES (?1, ?2, ?3)"),
        params![listener.0, signing_key.as_slice(), now_micros()],
    )?;
    Ok(())
}

/// Why a key slot may not unlock, or what `check` says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotProblem {
    NoAccount,
    Deactivated,
    OtherLogin(String),
    /// A version-1 slot for an account that already has keys: an old key file, or a forged
    /// slot (a real one was converted when its owner unlocked).
    LegacyAfterConversion,
    /// The slot's public keys are not the ones pinned for its account.
    NotPinned,
    Role {
        slot: Role,
        account: Role,
    },
    /// Converted from version 1 (or made by hand): no supervisor has vouched for it yet.
    NotEndorsed,
    /// Its endorsement is no valid signature of an active supervisor other than its owner, nor
    /// the centre root's own.
    BadEndorsement,
}

impl SlotProblem {
    /// The problem in words, for the terminal, the command line and `check`.
    pub fn phrase(&self) -> Phrase {
        match self {
            SlotProblem::NoAccount => Phrase::new(|s| &s.cli.slot_no_account),
            SlotProblem::Deactivated => Phrase::new(|s| &s.cli.slot_deactivated),
            SlotProblem::OtherLogin(login) => {
                Phrase::new(|s| &s.cli.slot_other_login).with("login", format!("{login:?}"))
            }
            SlotProblem::LegacyAfterConversion => Phrase::new(|s| &s.cli.slot_legacy_after_conversion),
            SlotProblem::NotPinned => Phrase::new(|s| &s.cli.slot_not_pinned),
            SlotProblem::Role { slot, account } => {
                Phrase::new(|s| &s.cli.slot_role).with("slot", slot).with("account", account)
            }
            SlotProblem::NotEndorsed => Phrase::new(|s| &s.cli.slot_not_endorsed),
            SlotProblem::BadEndorsement => Phrase::new(|s| &s.cli.slot_bad_endorsement),
        }
    }
}

impl std::fmt::Display for SlotProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.phrase().fmt(f)
    }
}

/// Checks one slot against the accounts and their pinned keys. A version-1 slot of an account
/// with no keys yet passes: it is converted at its owner's unlock.
pub(super) fn verify(
    conn: &Db,
    slot: &KeySlot,
    accounts: &HashMap<ListenerId, Listener>,
) -> StoreResult<Result<(), SlotProblem>> {
    let Some(account) = accounts.get(&slot.listener_id()) else { return Ok(Err(SlotProblem::NoAccount)) };
    if !account.active {
        return Ok(Err(SlotProblem::Deactivated));
    }
    if account.login != slot.login() {
        return Ok(Err(SlotProblem::OtherLogin(account.login.clone())));
    }
    let slot = match slot {
        KeySlot::Legacy(_) => {
            return Ok(match current(conn, account.id)? {
                Some(_) => Err(SlotProblem::LegacyAfterConversion),
                None => Ok(()),
            });
        }
        KeySlot::Current(slot) => slot,
    };
    if slot.role != account.role {
        return Ok(Err(SlotProblem::Role { slot: slot.role, account: account.role }));
    }
    // The current keys, or keys pending after a crash between the key file and the commit
    // that would have made them current (the next writable unlock does).
    let pinned = history(conn, account.id)?.iter().any(|pin| pin.until.is_none() && pin.keys == slot.keys);
    if !pinned {
        return Ok(Err(SlotProblem::NotPinned));
    }
    endorsed(conn, slot, accounts)
}

fn endorsed(
    conn: &Db,
    slot: &Slot,
    accounts: &HashMap<ListenerId, Listener>,
) -> StoreResult<Result<(), SlotProblem>> {
    let Some(endorsement) = &slot.endorsement else { return Ok(Err(SlotProblem::NotEndorsed)) };
    let verifies = if endorsement.signed_by == slot.listener_id {
        // Only the root endorses itself, and only with the root key.
        root(conn)?.is_some_and(|root| {
            root.listener_id == slot.listener_id
                && root.signing_key == slot.keys.signing_key
                && slot.role == Role::Supervisor
                && slot.endorsement_verifies(&root.signing_key)
        })
    } else {
        match accounts.get(&endorsement.signed_by) {
            Some(signer) if signer.active && signer.role == Role::Supervisor => {
                current(conn, signer.id)?.is_some_and(|pin| slot.endorsement_verifies(&pin.keys.signing_key))
            }
            _ => false,
        }
    };
    Ok(if verifies { Ok(()) } else { Err(SlotProblem::BadEndorsement) })
}

/// The accounts by id, for [`verify`].
pub(super) fn accounts_by_id(listeners: Vec<Listener>) -> HashMap<ListenerId, Listener> {
    listeners.into_iter().map(|l| (l.id, l)).collect()
}
