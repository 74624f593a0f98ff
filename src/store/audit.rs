//! Appending to and verifying the hash-chained audit log.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::Store;
use super::error::{StoreError, StoreResult};
use super::rows::word;
use crate::domain::audit::{
    AuditAction, AuditEntry, ChainBreak, ChainVerifier, GENESIS_HASH, ObjectKind, entry_hash,
};
use crate::domain::{AuditId, ListenerId};

/// Appends one entry. Called inside the transaction of the change it records, so the change
/// and its entry commit or vanish together.
pub(super) fn append(
    conn: &Connection,
    actor: Option<ListenerId>,
    action: AuditAction,
    object_kind: ObjectKind,
    object_id: Option<i64>,
) -> StoreResult<()> {
    append_in(conn, "main", actor, action, object_kind, object_id)
}

/// [`append`] to the log of the database attached as `schema` (the re-keyed copy, whose
/// changes land with its new key or not at all).
pub(super) fn append_in(
    conn: &Connection,
    schema: &str,
    actor: Option<ListenerId>,
    action: AuditAction,
    object_kind: ObjectKind,
    object_id: Option<i64>,
) -> StoreResult<()> {
    let (last_id, prev_hash) = conn
        .query_row(&format!("SELECT id, hash FROM {schema}.audit ORDER BY id DESC LIMIT 1"), [], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })
        .optional()?
        .unwrap_or((0, GENESIS_HASH.to_owned()));
    let id = AuditId(last_id + 1);
    let micros = Utc::now().timestamp_micros();
    let at = DateTime::from_timestamp_micros(micros).unwrap_or_default();
    let hash = entry_hash(&prev_hash, id, at, actor, action, object_kind, object_id);
    conn.prepare_cached(&format!(
        "INSERT INTO {schema}.audit (id, at, actor, action, object_kind, object_id, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    ))?
    .execute(rusqlite::params![
        id.0,
        micros,
        actor.map(|a| a.0),
        action.as_str(),
        object_kind.as_str(),
        object_id,
        prev_hash,
        hash
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

impl Store {
    /// Walks the whole chain in id order. `Ok(Err(break))` when the chain is broken.
    pub fn verify_audit_chain(&self) -> StoreResult<Result<AuditReport, ChainBreak>> {
        verify(&self.conn)
    }
}

pub(super) fn verify(conn: &Connection) -> StoreResult<Result<AuditReport, ChainBreak>> {
    let mut statement = conn.prepare(
        "SELECT id, at, actor, action, object_kind, object_id, prev_hash, hash
         FROM audit ORDER BY id",
    )?;
    let mut rows = statement.query([])?;
    let mut verifier = ChainVerifier::default();
    while let Some(row) = rows.next()? {
        let entry = read_entry(row).map_err(|e| StoreError::DatabaseDamaged(e.to_string()))?;
        if let Err(chain_break) = verifier.push(&entry) {
            return Ok(Err(chain_break));
        }
    }
    Ok(Ok(AuditReport { entries: verifier.count(), head_hash: verifier.head().to_owned() }))
}

fn read_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: AuditId(row.get(0)?),
        at: DateTime::from_timestamp_micros(row.get(1)?).unwrap_or_default(),
        actor: row.get::<_, Option<i64>>(2)?.map(ListenerId),
        action: word(3, row.get(3)?)?,
        object_kind: word(4, row.get(4)?)?,
        object_id: row.get(5)?,
        prev_hash: row.get(6)?,
        hash: row.get(7)?,
    })
}
