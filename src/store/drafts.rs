//! The draft of the call being taken: one row per listener, replaced on every autosave,
//! inside the encrypted file like everything else.

use rusqlite::{OptionalExtension, params};

use super::Store;
use super::error::{StoreError, StoreResult};
use super::rows::{now, to_secs};
use crate::domain::call::CallDraft;

impl Store {
    /// Saves the draft; returns after COMMIT, so the interface may then say "saved".
    pub fn save_draft(&mut self, draft: &CallDraft) -> StoreResult<()> {
        let body = serde_json::to_string(draft)
            .map_err(|e| StoreError::Invalid(format!("serialising the draft: {e}")))?;
        self.write(|tx, actor| {
            tx.prepare_cached(
                "INSERT INTO call_draft (listener_id, saved_at, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (listener_id) DO UPDATE SET saved_at = excluded.saved_at, body = excluded.body",
            )?
            .execute(params![actor.id.0, to_secs(now()), body])?;
            Ok(())
        })
    }

    /// The draft the actor left, offered back at unlock.
    pub fn draft(&self) -> StoreResult<Option<CallDraft>> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM call_draft WHERE listener_id = ?1", [self.actor.id.0], |row| {
                row.get(0)
            })
            .optional()?;
        body.map(|body| {
            serde_json::from_str(&body)
                .map_err(|e| StoreError::DatabaseDamaged(format!("the saved draft cannot be read: {e}")))
        })
        .transpose()
    }

    pub fn discard_draft(&mut self) -> StoreResult<()> {
        self.write(|tx, actor| {
            tx.execute("DELETE FROM call_draft WHERE listener_id = ?1", [actor.id.0])?;
            Ok(())
        })
    }
}
