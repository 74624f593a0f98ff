//! The draft of the call being taken: one row per listener, replaced on every autosave,
//! inside the encrypted file like everything else.

use super::Store;
use super::db::TxKind;
use super::error::{StoreError, StoreResult};
use super::rows::{now, to_secs};
use super::seal::Field;
use crate::db_params;
use crate::domain::call::CallDraft;

impl Store {
    /// Saves the draft; returns after COMMIT, so the interface may then say "saved".
    pub fn save_draft(&mut self, draft: &CallDraft) -> StoreResult<()> {
        let body = serde_json::to_string(draft)
            .map_err(|e| StoreError::Invalid(format!("serialising the draft: {e}")))?;
        // One row of the listener's own, which no other desk shows: on a server, neither the
        // write lock nor the other desks' reload, at every autosave (`TxKind::OwnRow`).
        self.write_as(TxKind::OwnRow, |tx, actor| {
            let db = tx.db();
            // Its row is the listener's: a draft moved to another account's row does not open.
            let body = db.seal(Field::DRAFT_BODY, actor.id.0, &body)?;
            db.execute(
                "INSERT INTO call_draft (listener_id, saved_at, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (listener_id) DO UPDATE SET saved_at = excluded.saved_at, body = excluded.body",
                db_params![actor.id.0, to_secs(now()), body],
            )?;
            Ok(())
        })
    }

    /// The draft the actor left, offered back at unlock.
    pub fn draft(&self) -> StoreResult<Option<CallDraft>> {
        let id = self.actor.id.0;
        let body = self.conn.query_opt(
            "SELECT body FROM call_draft WHERE listener_id = ?1",
            db_params![id],
            |row| self.conn.unseal(Field::DRAFT_BODY, id, &row.get(0)?),
        )?;
        body.map(|body| {
            serde_json::from_str(&body)
                .map_err(|e| StoreError::DatabaseDamaged(format!("the saved draft cannot be read: {e}")))
        })
        .transpose()
    }

    pub fn discard_draft(&mut self) -> StoreResult<()> {
        self.write_as(TxKind::OwnRow, |tx, actor| {
            tx.db().execute("DELETE FROM call_draft WHERE listener_id = ?1", db_params![actor.id.0])?;
            Ok(())
        })
    }
}
