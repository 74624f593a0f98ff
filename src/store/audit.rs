//! Appending to and verifying the hash-chained, signed audit log.

use std::ops::Deref;

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use rusqlite::{Connection, OptionalExtension};

use super::db::{self, Db, TxKind};

use super::error::{StoreError, StoreResult};
use super::rows::parse_word;
use crate::domain::audit::{
    AuditAction, AuditEntry, ChainBreak, ChainVerifier, GENESIS_HASH, ObjectKind, entry_hash,
};
use crate::domain::audit_signature::{
    self, EntrySignature, SIGNATURE_LEN, SignatureReport, SignatureVerifier, SigningKeys,
};
use crate::domain::{AuditId, ListenerId, Timestamp};

/// Who signs the audit entries of a transaction: the account whose session writes them.
#[derive(Clone, Copy)]
pub(super) struct Signer<'k> {
    pub id: ListenerId,
    pub key: &'k SigningKey,
}

/// A write transaction that knows who signs its audit entries. Everything that writes an
/// audit entry goes through one, so no entry can be written unsigned by forgetting to sign it;
/// `signer` is `None` only in a session whose key slot is still version 1 (it has no signing
/// key) and could not be converted, and `check` names what such a session wrote.
pub(super) struct Tx<'c> {
    tx: db::Tx<'c>,
    pub signer: Option<Signer<'c>>,
    /// The entry this transaction appended last (id, hash): the chain's head while the write
    /// lock is held, so the next entry needs no request to find it.
    appended: std::cell::RefCell<Option<(i64, String)>>,
}

impl<'c> Tx<'c> {
    /// Takes the write lock at once (IMMEDIATE, the server's advisory lock), like every write
    /// of the store.
    pub fn begin(db: &'c Db, signer: Option<Signer<'c>>) -> StoreResult<Tx<'c>> {
        Tx::begin_as(db, TxKind::Write, signer)
    }

    /// A write of `kind` (other desks told or not, the write lock or not: `TxKind`).
    pub fn begin_as(db: &'c Db, kind: TxKind, signer: Option<Signer<'c>>) -> StoreResult<Tx<'c>> {
        Ok(Tx { tx: db.transaction(kind)?, signer, appended: Default::default() })
    }

    /// The transaction on either backend, for the statements written for both.
    pub fn db(&self) -> &Db {
        &self.tx
    }

    pub fn commit(self) -> StoreResult<()> {
        self.tx.commit()
    }

    pub fn rollback(self) -> StoreResult<()> {
        self.tx.rollback()
    }
}

/// The transaction, for the statements written for both backends.
impl Deref for Tx<'_> {
    type Target = Db;

    fn deref(&self) -> &Db {
        &self.tx
    }
}

/// Appends one entry, signed by the transaction's signer. Called inside the transaction of
/// the change it records, so the change and its entry commit or vanish together. The head is
/// read and extended under the write lock (the file's, or the server's advisory lock), so
/// concurrent writers keep one chain.
pub(super) fn append(
    tx: &Tx<'_>,
    actor: Option<ListenerId>,
    action: AuditAction,
    object_kind: ObjectKind,
    object_id: Option<i64>,
) -> StoreResult<()> {
    if !tx.tx.kind().locks() {
        // The chain's head is read and extended under the write lock only.
        return Err(StoreError::Invalid("an audit entry outside the write lock".into()));
    }
    let db = tx.db();
    let last = match tx.appended.take() {
        Some(last) => Some(last),
        None => head(db)?.map(|head| (head.entry, head.hash)),
    };
    let entry = Entry::next(last, tx.signer, actor, action, object_kind, object_id);
    db.execute(
        "INSERT INTO audit (id, at, actor, action, object_kind, object_id, prev_hash, hash, signed_by, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        crate::db_params![
            entry.id.0,
            entry.micros,
            actor.map(|a| a.0),
            action.as_str(),
            object_kind.as_str(),
            object_id,
            entry.prev_hash,
            entry.hash.clone(),
            entry.signature.map(|(by, _)| by),
            entry.signature.as_ref().map(|(_, sig)| sig.as_slice()),
        ],
    )?;
    tx.appended.replace(Some((entry.id.0, entry.hash)));
    Ok(())
}

/// An entry about to be appended after `last` (id and hash), hashed and signed.
struct Entry {
    id: AuditId,
    micros: i64,
    prev_hash: String,
    hash: String,
    signature: Option<(i64, [u8; SIGNATURE_LEN])>,
}

impl Entry {
    fn next(
        last: Option<(i64, String)>,
        signer: Option<Signer<'_>>,
        actor: Option<ListenerId>,
        action: AuditAction,
        object_kind: ObjectKind,
        object_id: Option<i64>,
    ) -> Entry {
        // An entry is written in its actor's own session: `check` reports any other signer.
        debug_assert!(actor.is_none_or(|actor| signer.is_none_or(|s| s.id == actor)));
        let (last_id, prev_hash) = last.unwrap_or((0, GENESIS_HASH.to_owned()));
        let id = AuditId(last_id + 1);
        let micros = Utc::now().timestamp_micros();
        let at = DateTime::from_timestamp_micros(micros).unwrap_or_default();
        let hash = entry_hash(&prev_hash, id, at, actor, action, object_kind, object_id);
        let signature = signer.map(|s| (s.id.0, audit_signature::sign(s.key, s.id, id, &hash)));
        Entry { id, micros, prev_hash, hash, signature }
    }
}

/// [`append`] to the log of the database attached as `schema` of a file's connection (the
/// re-keyed copy, whose changes land with its new key or not at all), signed by `signer`.
pub(super) fn append_in(
    conn: &Connection,
    schema: &str,
    signer: Option<Signer<'_>>,
    actor: Option<ListenerId>,
    action: AuditAction,
    object_kind: ObjectKind,
    object_id: Option<i64>,
) -> StoreResult<()> {
    let last = conn
        .query_row(&format!("SELECT id, hash FROM {schema}.audit ORDER BY id DESC LIMIT 1"), [], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })
        .optional()?;
    let entry = Entry::next(last, signer, actor, action, object_kind, object_id);
    conn.prepare_cached(&format!(
        "INSERT INTO {schema}.audit (id, at, actor, action, object_kind, object_id, prev_hash, hash, signed_by, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?
    .execute(rusqlite::params![
        entry.id.0,
        entry.micros,
        actor.map(|a| a.0),
        action.as_str(),
        object_kind.as_str(),
        object_id,
        entry.prev_hash,
        entry.hash,
        entry.signature.map(|(by, _)| by),
        entry.signature.as_ref().map(|(_, sig)| sig.as_slice()),
    ])?;
    Ok(())
}

/// The state of the audit chain once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    pub entries: u64,
    /// Carried by exports, so that a later truncation of the log can be detected.
    pub head_hash: String,
}

/// The whole log verified: its chain, and its signatures when asked for.
#[derive(Debug)]
pub(super) struct Verified {
    pub chain: Result<AuditReport, ChainBreak>,
    pub signatures: Option<SignatureReport>,
}

impl super::Store {
    /// Walks the whole chain in id order. `Ok(Err(break))` when the chain is broken.
    pub fn verify_audit_chain(&self) -> StoreResult<Result<AuditReport, ChainBreak>> {
        verify(&self.conn)
    }
}

/// The hash chain alone (a backup's copy is checked this way).
pub(super) fn verify(db: &Db) -> StoreResult<Result<AuditReport, ChainBreak>> {
    Ok(verify_log(db, false, &mut |_, _| {})?.chain)
}

/// Walks the log once, in id order, streaming: the hash chain, and with `signatures` every
/// entry's signature against the key its signer had at that instant. `progress(done, total)` is
/// called every few thousand entries. A broken chain stops the chain's verification at the
/// break, not the signatures'.
pub(super) fn verify_log(
    db: &Db,
    signatures: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> StoreResult<Verified> {
    let total: u64 = db
        .query_row("SELECT coalesce(max(id), 0) FROM audit", crate::db_params![], |row| row.get::<i64>(0))?
        .max(0) as u64;
    let mut signature_verifier = match signatures {
        true => Some(SignatureVerifier::new(signing_keys(db)?, first_signed(db)?)),
        false => None,
    };
    let mut chain = ChainVerifier::default();
    let mut chain_break = None;
    let mut done = 0;
    let damaged = |e: StoreError| match e {
        StoreError::DatabaseDamaged(_) => e,
        other => StoreError::DatabaseDamaged(other.to_string()),
    };
    db.for_each_unhurried(
        "SELECT id, at, actor, action, object_kind, object_id, prev_hash, hash, signed_by, signature
         FROM audit ORDER BY id",
        crate::db_params![],
        |row| {
            if chain_break.is_some() && signature_verifier.is_none() {
                return Ok(());
            }
            let entry = read_entry(row).map_err(damaged)?;
            if chain_break.is_none()
                && let Err(found) = chain.push(&entry)
            {
                chain_break = Some(found);
                if signature_verifier.is_none() {
                    return Ok(());
                }
            }
            if let Some(verifier) = &mut signature_verifier {
                let signature = read_signature(row).map_err(damaged)?;
                verifier.push(&entry, signature.as_ref());
            }
            done += 1;
            if done % 4096 == 0 {
                progress(done, total.max(done));
            }
            Ok(())
        },
    )?;
    progress(done, total.max(done));
    let chain = match chain_break {
        Some(found) => Err(found),
        None => Ok(AuditReport { entries: chain.count(), head_hash: chain.head().to_owned() }),
    };
    Ok(Verified { chain, signatures: signature_verifier.map(SignatureVerifier::finish) })
}

fn read_entry(row: &db::Row) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: AuditId(row.get(0)?),
        at: DateTime::from_timestamp_micros(row.get(1)?).unwrap_or_default(),
        actor: row.get::<Option<i64>>(2)?.map(ListenerId),
        action: parse_word(3, row.get(3)?)?,
        object_kind: parse_word(4, row.get(4)?)?,
        object_id: row.get(5)?,
        prev_hash: row.get(6)?,
        hash: row.get(7)?,
    })
}

/// An entry's signature; one of the wrong length (the constraint dropped) can verify nothing.
fn read_signature(row: &db::Row) -> StoreResult<Option<EntrySignature>> {
    let signed_by: Option<i64> = row.get(8)?;
    let signature: Option<Vec<u8>> = row.get(9)?;
    Ok(match (signed_by, signature) {
        (Some(by), Some(bytes)) => Some(EntrySignature {
            signed_by: ListenerId(by),
            signature: bytes.try_into().unwrap_or([0; SIGNATURE_LEN]),
        }),
        _ => None,
    })
}

/// Every signing key ever pinned and made current, with when it was current.
fn signing_keys(db: &Db) -> StoreResult<SigningKeys> {
    let mut keys = SigningKeys::default();
    let rows = db.query_map(
        "SELECT listener_id, signing_key, since, until FROM listener_key WHERE since IS NOT NULL",
        crate::db_params![],
        |row| {
            Ok((row.get::<i64>(0)?, row.get::<Vec<u8>>(1)?, row.get::<i64>(2)?, row.get::<Option<i64>>(3)?))
        },
    )?;
    for (listener, key, since, until) in rows {
        if let Ok(key) = <[u8; 32]>::try_from(key) {
            keys.add(ListenerId(listener), &key, since, until);
        }
    }
    Ok(keys)
}

/// The first entry that must be signed. Without its row (removed by hand), every entry must.
fn first_signed(db: &Db) -> StoreResult<AuditId> {
    let first: Option<i64> =
        db.query_opt("SELECT first_signed FROM audit_signing WHERE id = 1", crate::db_params![], |row| {
            row.get(0)
        })?;
    Ok(AuditId(first.unwrap_or(1)))
}

/// The last entry, its signature and who made it: what an export carries.
pub(super) struct Head {
    pub entry: i64,
    pub hash: String,
    pub signed_by: Option<ListenerId>,
    pub signature: Option<Vec<u8>>,
}

pub(super) fn head(db: &Db) -> StoreResult<Option<Head>> {
    db.query_opt(
        "SELECT id, hash, signed_by, signature FROM audit ORDER BY id DESC LIMIT 1",
        crate::db_params![],
        |row| {
            Ok(Head {
                entry: row.get(0)?,
                hash: row.get(1)?,
                signed_by: row.get::<Option<i64>>(2)?.map(ListenerId),
                signature: row.get(3)?,
            })
        },
    )
}

/// One account's signing key as an export carries it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportedKey {
    pub listener_id: i64,
    pub login: String,
    /// Ed25519 public key, hexadecimal.
    pub signing_key: String,
    pub valid_from: Timestamp,
    /// `None` while it is the account's current key.
    pub valid_until: Option<Timestamp>,
}

/// Every account's signing keys that were ever current, oldest first within an account.
pub(super) fn exported_keys(db: &Db) -> StoreResult<Vec<ExportedKey>> {
    let instant = |micros: i64| DateTime::from_timestamp_micros(micros).unwrap_or_default();
    db.query_map(
        "SELECT k.listener_id, l.login, k.signing_key, k.since, k.until
         FROM listener_key k JOIN listener l ON l.id = k.listener_id
         WHERE k.since IS NOT NULL ORDER BY k.listener_id, k.id",
        crate::db_params![],
        |row| {
            Ok(ExportedKey {
                listener_id: row.get(0)?,
                login: row.get(1)?,
                signing_key: hex::encode(row.get::<Vec<u8>>(2)?),
                valid_from: instant(row.get(3)?),
                valid_until: row.get::<Option<i64>>(4)?.map(instant),
            })
        },
    )
}
