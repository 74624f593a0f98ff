//! Shifts: opened at unlock, closed with a handover note.

use rusqlite::{OptionalExtension, params};

use super::error::{StoreError, StoreResult};
use super::rows::{from_secs, from_secs_opt, now, to_secs};
use super::{Store, audit};
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::shift::Shift;
use crate::domain::{ListenerId, ShiftId};

const COLUMNS: &str = "id, listener_id, started_at, ended_at, handover_note";

fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Shift> {
    Ok(Shift {
        id: ShiftId(row.get(0)?),
        listener_id: ListenerId(row.get(1)?),
        started_at: from_secs(row.get(2)?),
        ended_at: from_secs_opt(row.get(3)?),
        handover_note: row.get(4)?,
    })
}

impl Store {
    /// The actor's shift still open (after a crash, or a lock), if any.
    pub fn open_shift(&self) -> StoreResult<Option<Shift>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM shift WHERE listener_id = ?1 AND ended_at IS NULL
                     ORDER BY started_at DESC LIMIT 1"
                ),
                [self.actor.id.0],
                read,
            )
            .optional()?)
    }

    pub fn start_shift(&mut self) -> StoreResult<Shift> {
        if let Some(shift) = self.open_shift()? {
            return Err(StoreError::Invalid(format!(
                "shift {} is still open: resume it or end it first",
                shift.id
            )));
        }
        let started_at = now();
        let id = self.write(|tx, actor| {
            tx.execute(
                "INSERT INTO shift (listener_id, started_at) VALUES (?1, ?2)",
                params![actor.id.0, to_secs(started_at)],
            )?;
            let id = ShiftId(tx.last_insert_rowid());
            audit::append(tx, Some(actor.id), AuditAction::ShiftStarted, ObjectKind::Shift, Some(id.0))?;
            Ok(id)
        })?;
        Ok(Shift { id, listener_id: self.actor.id, started_at, ended_at: None, handover_note: None })
    }

    /// Ends a shift of the actor's (or anyone's, for a supervisor) with its handover note.
    pub fn end_shift(&mut self, id: ShiftId, handover_note: &str) -> StoreResult<()> {
        let shift = self.shift(id)?;
        if shift.listener_id != self.actor.id {
            self.require_supervisor("close another listener's shift")?;
        }
        if !shift.is_open() {
            return Err(StoreError::Invalid(format!("shift {id} is already closed")));
        }
        let note = Some(handover_note.trim()).filter(|n| !n.is_empty());
        self.write(|tx, actor| {
            tx.execute(
                "UPDATE shift SET ended_at = ?2, handover_note = ?3 WHERE id = ?1",
                params![id.0, to_secs(now()), note],
            )?;
            audit::append(tx, Some(actor.id), AuditAction::ShiftEnded, ObjectKind::Shift, Some(id.0))
        })
    }

    pub fn shift(&self, id: ShiftId) -> StoreResult<Shift> {
        self.conn
            .query_row(&format!("SELECT {COLUMNS} FROM shift WHERE id = ?1"), [id.0], read)
            .optional()?
            .ok_or_else(|| StoreError::Invalid(format!("no shift {id}")))
    }

    /// The most recently closed shift, whose handover note the next listener reads first.
    pub fn last_closed_shift(&self) -> StoreResult<Option<Shift>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM shift WHERE ended_at IS NOT NULL
                     ORDER BY ended_at DESC, id DESC LIMIT 1"
                ),
                [],
                read,
            )
            .optional()?)
    }
}
