//! Shifts: opened at unlock, closed with a handover note.

use super::db::{Db, Row, Value};
use super::error::{StoreError, StoreResult};
use super::rows::{from_secs, from_secs_opt, now, to_secs};
use super::seal::Field;
use super::{Store, audit};
use crate::db_params;
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::call::CallDraft;
use crate::domain::shift::{OnShift, Shift};
use crate::domain::{ListenerId, ShiftId, Timestamp};
use crate::i18n::Phrase;

const COLUMNS: &str = "id, listener_id, started_at, ended_at, handover_note";

fn read(db: &Db, row: &Row) -> StoreResult<Shift> {
    let id = row.get(0)?;
    Ok(Shift {
        id: ShiftId(id),
        listener_id: ListenerId(row.get(1)?),
        started_at: from_secs(row.get(2)?),
        ended_at: from_secs_opt(row.get(3)?),
        handover_note: db.unseal_opt(Field::HANDOVER_NOTE, id, &row.get(4)?)?,
    })
}

impl Store {
    /// The actor's shift still open (after a crash, or a lock), if any.
    pub fn open_shift(&self) -> StoreResult<Option<Shift>> {
        self.conn.query_opt(
            &format!(
                "SELECT {COLUMNS} FROM shift WHERE listener_id = ?1 AND ended_at IS NULL
                 ORDER BY started_at DESC LIMIT 1"
            ),
            db_params![self.actor.id.0],
            |row| read(&self.conn, row),
        )
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
            let id = ShiftId(tx.db().query_row(
                "INSERT INTO shift (listener_id, started_at) VALUES (?1, ?2) RETURNING id",
                db_params![actor.id.0, to_secs(started_at)],
                |row| row.get(0),
            )?);
            audit::append(tx, Some(actor.id), AuditAction::ShiftStarted, ObjectKind::Shift, Some(id.0))?;
            Ok(id)
        })?;
        Ok(Shift { id, listener_id: self.actor.id, started_at, ended_at: None, handover_note: None })
    }

    /// Ends a shift of the actor's with its handover note; or, for a supervisor, the shift of
    /// someone who left without ending it, but never one whose terminal is still open (a call
    /// may be being typed there: it is closed there).
    pub fn end_shift(&mut self, id: ShiftId, handover_note: &str) -> StoreResult<()> {
        let shift = self.shift(id)?;
        if shift.listener_id != self.actor.id {
            self.require_supervisor(|s| &s.cli.what_close_shift)?;
            if self.is_present(shift.listener_id) != Some(false) {
                let name = super::listeners::get(&self.conn, shift.listener_id)?.map(|l| l.display_name);
                return Err(StoreError::TerminalStillOpen(name.unwrap_or_default()));
            }
        }
        let already_closed = || StoreError::Invalid(format!("shift {id} is already closed"));
        if !shift.is_open() {
            return Err(already_closed());
        }
        let note = Some(handover_note.trim()).filter(|n| !n.is_empty());
        self.write(|tx, actor| {
            let db = tx.db();
            // Closed by someone else since it was read (two supervisors, two terminals): the
            // first closing and its handover note stand.
            let closed = db.execute(
                "UPDATE shift SET ended_at = ?2, handover_note = ?3 WHERE id = ?1 AND ended_at IS NULL",
                db_params![id.0, to_secs(now()), db.seal_opt(Field::HANDOVER_NOTE, id.0, note)?],
            )?;
            if closed == 0 {
                return Err(already_closed());
            }
            audit::append(tx, Some(actor.id), AuditAction::ShiftEnded, ObjectKind::Shift, Some(id.0))
        })
    }

    pub fn shift(&self, id: ShiftId) -> StoreResult<Shift> {
        self.conn
            .query_opt(&format!("SELECT {COLUMNS} FROM shift WHERE id = ?1"), db_params![id.0], |row| {
                read(&self.conn, row)
            })?
            .ok_or_else(|| StoreError::Refused(Phrase::new(|s| &s.cli.no_shift).with("shift", id)))
    }

    /// The most recently closed shift, whose handover note the next listener reads first.
    pub fn last_closed_shift(&self) -> StoreResult<Option<Shift>> {
        self.conn.query_opt(
            &format!(
                "SELECT {COLUMNS} FROM shift WHERE ended_at IS NOT NULL
                 ORDER BY ended_at DESC, id DESC LIMIT 1"
            ),
            db_params![],
            |row| read(&self.conn, row),
        )
    }

    /// Everyone on shift now: their calls so far, their prompts, the call being taken (read
    /// from its draft), and whether a terminal of theirs is still open, for the supervisor's
    /// view. For someone whose terminal is gone, their last activity: the last thing they did
    /// that the store keeps — their last audited action (an unlock, a file opened, a call
    /// saved, a callback taken…) or the last autosave of the call they were typing — and at
    /// least the start of the shift.
    pub fn shift_overview(&self) -> StoreResult<Vec<OnShift>> {
        let rows = self.conn.query_map(
            "SELECT s.id, s.listener_id, l.display_name, s.started_at,
                    (SELECT count(*) FROM call c WHERE c.shift_id = s.id),
                    (SELECT count(*) FROM emergency_prompt p JOIN call c ON c.id = p.call_id WHERE c.shift_id = s.id),
                    d.body, d.saved_at
             FROM shift s
             JOIN listener l ON l.id = s.listener_id
             LEFT JOIN call_draft d ON d.listener_id = s.listener_id
             WHERE s.ended_at IS NULL
             ORDER BY s.started_at",
            db_params![],
            |row| {
                Ok((
                    ShiftId(row.get(0)?),
                    ListenerId(row.get(1)?),
                    row.get::<String>(2)?,
                    from_secs(row.get(3)?),
                    row.get::<u32>(4)?,
                    row.get::<u32>(5)?,
                    row.get::<Value>(6)?,
                    from_secs_opt(row.get(7)?),
                ))
            },
        )?;
        let presence = self.presence_of(&rows.iter().map(|row| row.1).collect::<Vec<_>>());
        let mut overview = Vec::new();
        for (row, present) in rows.into_iter().zip(presence) {
            let (shift_id, listener_id, name, shift_started_at, calls, prompts, draft, draft_saved_at) = row;
            let left = match present {
                Some(false) => {
                    let audited = self.last_audited_action(listener_id)?;
                    Some(audited.into_iter().chain(draft_saved_at).fold(shift_started_at, |a, b| a.max(b)))
                }
                // Open, or it cannot be told: nobody is called gone on a guess.
                _ => None,
            };
            // A draft that cannot be read says nothing about a call; unlock reports it.
            let draft = self.conn.unseal_opt(Field::DRAFT_BODY, listener_id.0, &draft).ok().flatten();
            let draft: Option<CallDraft> = draft.and_then(|body| serde_json::from_str(&body).ok());
            let prompts_in_call = draft.as_ref().map_or(0, |d| d.record.prompts.len() as u32);
            let prompts_waiting = draft.as_ref().map_or(0, |d| {
                d.record.prompts.iter().filter(|p| p.acknowledgement.is_none()).count() as u32
            });
            overview.push(OnShift {
                shift_id,
                listener_id,
                name,
                shift_started_at,
                calls,
                prompts_raised: prompts + prompts_in_call,
                on_call_since: draft.map(|d| d.started_at),
                prompts_waiting,
                left,
            });
        }
        Ok(overview)
    }

    /// When `listener` last did something the audit log records (index `audit_by_actor`).
    fn last_audited_action(&self, listener: ListenerId) -> StoreResult<Option<Timestamp>> {
        let micros: Option<i64> = self.conn.query_row(
            "SELECT max(at) FROM audit WHERE actor = ?1",
            db_params![listener.0],
            |row| row.get(0),
        )?;
        Ok(micros.and_then(chrono::DateTime::from_timestamp_micros))
    }
}
