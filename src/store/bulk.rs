//! Writing many rows in one transaction, for the demo and benchmark stores
//! (`permanence demo --calls 1000000`). Uses the same inserts as the interface.

use super::error::StoreResult;
use super::rows::to_secs;
use super::{Store, audit, callbacks, caller_files, calls};
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::call::NewCall;
use crate::domain::callback::{Attempt, NewCallback};
use crate::domain::caller_file::{Closure, FileCode, FileEventKind, FileProfile};
use crate::domain::{CallId, CallbackId, FileId, ListenerId, ShiftId, Timestamp};

/// An open write transaction with the bulk inserts. Nothing is visible until `commit`.
pub struct BulkWriter<'a> {
    tx: audit::Tx<'a>,
    actor: ListenerId,
}

impl Store {
    /// Starts a bulk load (supervisor only).
    pub fn bulk(&mut self) -> StoreResult<BulkWriter<'_>> {
        self.require_supervisor(|s| &s.cli.what_bulk)?;
        let actor = self.actor.id;
        Ok(BulkWriter { tx: self.begin()?, actor })
    }
}

impl BulkWriter<'_> {
    pub fn shift(
        &self,
        listener: ListenerId,
        started_at: Timestamp,
        ended_at: Option<Timestamp>,
        handover_note: Option<&str>,
    ) -> StoreResult<ShiftId> {
        let db = self.tx.db();
        let id = db.next_id("shift")?;
        db.execute(
            "INSERT INTO shift (id, listener_id, started_at, ended_at, handover_note) VALUES (?5, ?1, ?2, ?3, ?4)",
            crate::db_params![
                listener.0,
                to_secs(started_at),
                ended_at.map(to_secs),
                db.seal_opt(super::seal::Field::HANDOVER_NOTE, id, handover_note)?,
                id
            ],
        )?;
        Ok(ShiftId(id))
    }

    pub fn file(
        &self,
        rng: &mut impl rand::Rng,
        profile: &FileProfile,
        created_at: Timestamp,
    ) -> StoreResult<(FileId, FileCode)> {
        caller_files::insert(self.tx.db(), rng, profile, created_at)
    }

    pub fn close_file(&self, id: FileId, closure: &Closure) -> StoreResult<()> {
        let db = self.tx.db();
        db.execute(
            "UPDATE caller_file SET status = 'closed', closed_reason = ?2, caller_agreed = ?3 WHERE id = ?1",
            crate::db_params![
                id.0,
                db.seal(super::seal::Field::FILE_CLOSED_REASON, id.0, &closure.reason)?,
                closure.caller_agreed
            ],
        )?;
        caller_files::add_event(
            db,
            id,
            super::rows::now(),
            Some(self.actor),
            FileEventKind::Closed,
            &closure.reason,
            Some(closure.caller_agreed),
        )
    }

    pub fn call(&self, listener: ListenerId, call: &NewCall) -> StoreResult<CallId> {
        calls::insert(self.tx.db(), listener, call)
    }

    pub fn callback(&self, callback: &NewCallback, created_at: Timestamp) -> StoreResult<CallbackId> {
        callbacks::insert(self.tx.db(), callback, created_at)
    }

    pub fn attempt(
        &self,
        id: CallbackId,
        attempt: &Attempt,
        reschedule_to: Option<Timestamp>,
    ) -> StoreResult<()> {
        callbacks::insert_attempt(self.tx.db(), id, attempt, reschedule_to)
    }

    /// Commits everything, with one audit entry for the whole load.
    pub fn commit(self) -> StoreResult<()> {
        audit::append(&self.tx, Some(self.actor), AuditAction::DemoFilled, ObjectKind::Database, None)?;
        self.tx.commit()?;
        Ok(())
    }
}
