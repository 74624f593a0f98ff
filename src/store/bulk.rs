//! Writing many rows in one transaction, for the demo and benchmark stores
//! (`permanence demo --calls 1000000`). Uses the same inserts as the interface; the statistics'
//! rollup counts what was written once, at the commit (row by row it would triple a large load).

use std::cell::RefCell;
use std::collections::BTreeSet;

use super::error::StoreResult;
use super::rollup::{self, Marks, Rows};
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
    /// The rows there before the load: what comes after is counted at the commit.
    before: Marks,
    /// Rows there before that the load changed (an attempt on an older callback), their facts
    /// already taken away from the rollup: counted again at the commit.
    changed: RefCell<BTreeSet<Changed>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Changed {
    Call(CallId),
    Callback(CallbackId),
}

impl Store {
    /// Starts a bulk load (supervisor only).
    pub fn bulk(&mut self) -> StoreResult<BulkWriter<'_>> {
        self.require_supervisor(|s| &s.cli.what_bulk)?;
        let actor = self.actor.id;
        let tx = self.begin()?;
        // A load holds its transaction, and counts it in the rollup at the end, for longer than
        // a keypress's statement may take on a server: no statement timeout until it ends.
        tx.unhurried()?;
        let before = Marks::now(&tx)?;
        Ok(BulkWriter { tx, actor, before, changed: RefCell::new(BTreeSet::new()) })
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
        calls::insert_rows(&self.tx, listener, call)
    }

    /// A call that rang unanswered during `shift`.
    pub fn missed_call(&self, missed: &crate::domain::phone::MissedCall) -> StoreResult<()> {
        super::phone::insert_missed(&self.tx, missed).map(|_| ())
    }

    pub fn callback(&self, callback: &NewCallback, created_at: Timestamp) -> StoreResult<CallbackId> {
        callbacks::insert_row(&self.tx, callback, created_at)
    }

    pub fn attempt(
        &self,
        id: CallbackId,
        attempt: &Attempt,
        reschedule_to: Option<Timestamp>,
    ) -> StoreResult<()> {
        // An older callback (and the older call it became) changes: its facts are taken away
        // now, once, and counted again at the commit.
        let older = [
            self.before.had_callback(id).then_some(Changed::Callback(id)),
            attempt.call_id.filter(|c| self.before.had_call(*c)).map(Changed::Call),
        ];
        for changed in older.into_iter().flatten() {
            if self.changed.borrow_mut().insert(changed) {
                rollup::count(&self.tx, changed.rows(), -1)?;
            }
        }
        callbacks::insert_attempt_rows(&self.tx, id, attempt, reschedule_to).map(|_| ())
    }

    /// Counts what the load wrote and changed in the statistics' rollup, and commits everything,
    /// with one audit entry for the whole load.
    pub fn commit(self) -> StoreResult<()> {
        rollup::count(&self.tx, Rows::After(self.before), 1)?;
        for changed in self.changed.borrow().iter() {
            rollup::count(&self.tx, changed.rows(), 1)?;
        }
        audit::append(&self.tx, Some(self.actor), AuditAction::DemoFilled, ObjectKind::Database, None)?;
        self.tx.commit()?;
        Ok(())
    }
}

impl Changed {
    fn rows(self) -> Rows {
        match self {
            Changed::Call(id) => Rows::Call(id),
            Changed::Callback(id) => Rows::Callback(id),
        }
    }
}
