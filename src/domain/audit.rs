//! The append-only audit log: who opened, changed, exported or purged what — ids only,
//! never content. Each entry carries the hash of the previous one, so an edited, inserted or
//! deleted entry breaks the chain.

use sha2::{Digest, Sha256};

use super::{AuditId, ListenerId, Timestamp, stored_enum};

stored_enum! {
    AuditAction {
        DatabaseCreated = "database_created",
        Unlocked = "unlocked",
        ListenerAdded = "listener_added",
        ListenerDeactivated = "listener_deactivated",
        PassphraseChanged = "passphrase_changed",
        PassphraseReset = "passphrase_reset",
        ShiftStarted = "shift_started",
        ShiftEnded = "shift_ended",
        FileCreated = "file_created",
        FileOpened = "file_opened",
        /// A search listed the file with text: its summary, or words found in its text.
        FileShownInSearch = "file_shown_in_search",
        FileChanged = "file_changed",
        FileClosed = "file_closed",
        FileReopened = "file_reopened",
        CallSaved = "call_saved",
        CallbackCreated = "callback_created",
        CallbackAttempted = "callback_attempted",
        CallbackCancelled = "callback_cancelled",
        CallbackTaken = "callback_taken",
        CallbackReassigned = "callback_reassigned",
        CallbackRescheduled = "callback_rescheduled",
        Exported = "exported",
        ExportedWithNotes = "exported_with_notes",
        Purged = "purged",
        LegalHoldSet = "legal_hold_set",
        LegalHoldLifted = "legal_hold_lifted",
        CallAmended = "call_amended",
        BackedUp = "backed_up",
        DemoFilled = "demo_filled",
        SettingChanged = "setting_changed",
        /// A version-1 key slot given its key pairs at its owner's unlock.
        KeysConverted = "keys_converted",
        /// New keys that a crash had left pending, made current at the next unlock.
        KeysChanged = "keys_changed",
        SlotEndorsed = "slot_endorsed",
        /// The centre's root key passed to the supervisor who retired the previous one.
        RootPassed = "root_passed",
        /// The database encrypted again with a new data key (a deactivation, a reset).
        Rekeyed = "rekeyed",
        /// The centre copied here from another store (`permanence migrate`); its object id is
        /// the source's last entry, whose hash this entry follows.
        Migrated = "migrated",
    }
}

stored_enum! {
    ObjectKind {
        Listener = "listener",
        Shift = "shift",
        CallerFile = "caller_file",
        Call = "call",
        Callback = "callback",
        Database = "database",
    }
}

/// The hash that precedes the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: AuditId,
    pub at: Timestamp,
    /// `None` for what the software does on its own (creation, scheduled purge).
    pub actor: Option<ListenerId>,
    pub action: AuditAction,
    pub object_kind: ObjectKind,
    pub object_id: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of one entry over every field and the previous hash, hex-encoded.
pub fn entry_hash(
    prev_hash: &str,
    id: AuditId,
    at: Timestamp,
    actor: Option<ListenerId>,
    action: AuditAction,
    object_kind: ObjectKind,
    object_id: Option<i64>,
) -> String {
    // Fields are separated by a byte that none of them can contain, so no two different
    // entries serialise to the same bytes.
    let text = format!(
        "{prev_hash}\x1f{id}\x1f{at}\x1f{actor}\x1f{action}\x1f{object_kind}\x1f{object_id}",
        id = id.0,
        at = at.timestamp_micros(),
        actor = actor.map_or(String::new(), |a| a.0.to_string()),
        object_id = object_id.map_or(String::new(), |o| o.to_string()),
    );
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("audit entry {0} does not match its hash: it was changed")]
    Altered(AuditId),
    #[error("audit entry {0} does not follow the entry before it: an entry was removed or inserted")]
    Unlinked(AuditId),
}

/// Checks entries one by one, in id order, so that a long log is verified in a stream.
#[derive(Debug)]
pub struct ChainVerifier {
    last_hash: String,
    count: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier { last_hash: GENESIS_HASH.to_owned(), count: 0 }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        if entry.prev_hash != self.last_hash {
            return Err(ChainBreak::Unlinked(entry.id));
        }
        let expected = entry_hash(
            &entry.prev_hash,
            entry.id,
            entry.at,
            entry.actor,
            entry.action,
            entry.object_kind,
            entry.object_id,
        );
        if expected != entry.hash {
            return Err(ChainBreak::Altered(entry.id));
        }
        self.last_hash = expected;
        self.count += 1;
        Ok(())
    }

    /// The head of the chain: an export carries it so a later truncation can be detected.
    pub fn head(&self) -> &str {
        &self.last_hash
    }

    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|i| {
                let at = Utc.timestamp_opt(1_700_000_000 + i, 0).unwrap();
                let hash = entry_hash(
                    &prev,
                    AuditId(i),
                    at,
                    Some(ListenerId(1)),
                    AuditAction::FileOpened,
                    ObjectKind::CallerFile,
                    Some(i),
                );
                AuditEntry {
                    id: AuditId(i),
                    at,
                    actor: Some(ListenerId(1)),
                    action: AuditAction::FileOpened,
                    object_kind: ObjectKind::CallerFile,
                    object_id: Some(i),
                    prev_hash: std::mem::replace(&mut prev, hash.clone()),
                    hash,
                }
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry]) -> Result<u64, ChainBreak> {
        let mut verifier = ChainVerifier::default();
        entries.iter().try_for_each(|e| verifier.push(e))?;
        Ok(verifier.count())
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn edited_entry_is_detected() {
        let mut entries = chain(5);
        entries[2].object_id = Some(99);
        assert_eq!(verify(&entries), Err(ChainBreak::Altered(AuditId(3))));
    }

    #[test]
    fn deleted_entry_is_detected() {
        let mut entries = chain(5);
        entries.remove(2);
        assert_eq!(verify(&entries), Err(ChainBreak::Unlinked(AuditId(4))));
    }
}
