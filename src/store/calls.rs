//! Calls: saved in one transaction with their themes, orientations and prompts, the file's
//! last contact, the removal of the draft and the audit entry.

use rusqlite::{Connection, params};

use super::error::{StoreError, StoreResult};
use super::rollup::{self, Rows};
use super::rows::{from_secs, from_secs_opt, to_secs, word, word_opt};
use super::{Store, audit};
use crate::domain::assessment::Rud;
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::call::{Call, CallRecord, NewCall};
use crate::domain::callback::{Attempt, AttemptResult, CallbackRequest, NewCallback};
use crate::domain::prompt::{Acknowledgement, PromptRecord};
use crate::domain::{CallId, FileId, ListenerId, ShiftId};

/// Inserts a call and what hangs off it, counted in the statistics' rollup.
pub(super) fn insert(conn: &Connection, listener_id: ListenerId, call: &NewCall) -> StoreResult<CallId> {
    let id = insert_rows(conn, listener_id, call)?;
    rollup::count(conn, Rows::Call(id), 1)?;
    Ok(id)
}

/// The call's rows alone: a bulk load counts what it wrote when it commits.
pub(super) fn insert_rows(conn: &Connection, listener_id: ListenerId, call: &NewCall) -> StoreResult<CallId> {
    let record = &call.record;
    conn.prepare_cached(
        "INSERT INTO call (shift_id, listener_id, caller_file_id, started_at, ended_at, call_type,
                           notes, rud_risk, rud_urgency, rud_danger, outcome, channel, time_spent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        call.shift_id.0,
        listener_id.0,
        record.caller_file_id.map(|f| f.0),
        to_secs(call.started_at),
        to_secs(call.ended_at),
        call.call_type.as_str(),
        record.notes,
        record.rud.risk.map(|l| l.as_str()),
        record.rud.urgency.map(|l| l.as_str()),
        record.rud.danger.map(|l| l.as_str()),
        record.outcome.map(|o| o.as_str()),
        record.channel,
        call.time_spent,
    ])?;
    let id = CallId(conn.last_insert_rowid());
    let mut theme = conn.prepare_cached("INSERT INTO call_theme (call_id, theme) VALUES (?1, ?2)")?;
    for t in &record.themes {
        theme.execute(params![id.0, t])?;
    }
    let mut orientation =
        conn.prepare_cached("INSERT INTO call_orientation (call_id, number) VALUES (?1, ?2)")?;
    for number in &record.orientations {
        orientation.execute(params![id.0, number])?;
    }
    let mut situation =
        conn.prepare_cached("INSERT INTO call_situation (call_id, situation) VALUES (?1, ?2)")?;
    for s in &record.situations {
        situation.execute(params![id.0, s.as_str()])?;
    }
    let mut prompt = conn.prepare_cached(
        "INSERT INTO emergency_prompt (call_id, number, rule, raised_at, acknowledged_at, outcome, outcome_note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for p in &record.prompts {
        let ack = p.acknowledgement.as_ref();
        prompt.execute(params![
            id.0,
            p.number,
            p.rule,
            to_secs(p.raised_at),
            ack.map(|a| to_secs(a.at)),
            ack.map(|a| a.outcome.as_str()),
            ack.and_then(|a| a.note.as_deref()),
        ])?;
    }
    if let Some(hash) = record.phone.as_ref().and_then(|p| p.caller.as_ref()) {
        super::phone::insert_caller(conn, id, hash)?;
    }
    if let Some(file) = record.caller_file_id {
        conn.prepare_cached(
            "UPDATE caller_file SET last_contact_at = max(coalesce(last_contact_at, 0), ?2), purged_at = NULL
             WHERE id = ?1",
        )?
        .execute(params![file.0, to_secs(call.ended_at)])?;
    }
    Ok(id)
}

impl Store {
    /// Saves a finished call and drops the actor's draft, in one transaction.
    pub fn save_call(&mut self, call: &NewCall) -> StoreResult<CallId> {
        self.save_call_with_callback(call, None)
    }

    /// Saves a finished call, the callback scheduled at its end (if any) and drops the
    /// actor's draft, all in one transaction.
    pub fn save_call_with_callback(
        &mut self,
        call: &NewCall,
        callback: Option<&CallbackRequest>,
    ) -> StoreResult<CallId> {
        call.validate().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let shift = self.shift(call.shift_id)?;
        if shift.listener_id != self.actor.id {
            self.require_supervisor(|s| &s.cli.what_call_on_other_shift)?;
        }
        self.write(|tx, actor| {
            let id = insert(tx, actor.id, call)?;
            tx.execute("DELETE FROM call_draft WHERE listener_id = ?1", [actor.id.0])?;
            audit::append(tx, Some(actor.id), AuditAction::CallSaved, ObjectKind::Call, Some(id.0))?;
            if let Some(performed) = call.record.performs_callback {
                // The caller was reached: the attempt, the closure and the number's wiping
                // commit with the call.
                let attempt = Attempt {
                    at: call.ended_at,
                    listener_id: actor.id,
                    result: AttemptResult::Reached,
                    call_id: Some(id),
                };
                super::callbacks::insert_attempt(tx, performed, &attempt, None)?;
                audit::append(
                    tx,
                    Some(actor.id),
                    AuditAction::CallbackAttempted,
                    ObjectKind::Callback,
                    Some(performed.0),
                )?;
            }
            if let Some(request) = callback {
                let file = call.record.caller_file_id.ok_or_else(|| {
                    StoreError::Invalid("a callback needs the call to be linked to a file".into())
                })?;
                let new = NewCallback::from_request(file, Some(id), request);
                let callback_id = super::callbacks::insert(tx, &new, call.ended_at)?;
                audit::append(
                    tx,
                    Some(actor.id),
                    AuditAction::CallbackCreated,
                    ObjectKind::Callback,
                    Some(callback_id.0),
                )?;
            }
            Ok(id)
        })
    }

    /// Rewrites a saved call's notes: the listener who took it, or a supervisor. Made on the
    /// notes its author saw (`seen`): if they changed since (the purge, another amendment),
    /// nothing is written and the answer is [`StoreError::FileChanged`]. Notes written on a
    /// purged file make it due for the purge again.
    pub fn amend_call_notes(&mut self, id: CallId, seen: &str, notes: &str) -> StoreResult<()> {
        let call = self.call(id)?;
        if call.listener_id != self.actor.id {
            self.require_supervisor(|s| &s.cli.what_change_other_call)?;
        }
        self.write(|tx, actor| {
            let changed = tx.execute(
                "UPDATE call SET notes = ?2, amended_at = ?3 WHERE id = ?1 AND notes = ?4",
                params![id.0, notes, to_secs(super::rows::now()), seen],
            )?;
            if changed == 0 {
                return Err(StoreError::FileChanged);
            }
            if !notes.trim().is_empty() {
                tx.execute(
                    "UPDATE caller_file SET purged_at = NULL
                     WHERE purged_at IS NOT NULL AND id = (SELECT caller_file_id FROM call WHERE id = ?1)",
                    [id.0],
                )?;
            }
            audit::append(tx, Some(actor.id), AuditAction::CallAmended, ObjectKind::Call, Some(id.0))
        })
    }

    pub fn call(&self, id: CallId) -> StoreResult<Call> {
        self.calls_where("c.id = ?1", id.0)?.pop().ok_or_else(|| StoreError::Invalid(format!("no call {id}")))
    }

    /// Every call on a file, newest first.
    pub fn calls_of_file(&self, file: FileId) -> StoreResult<Vec<Call>> {
        self.calls_where("c.caller_file_id = ?1", file.0)
    }

    pub fn calls_of_shift(&self, shift: ShiftId) -> StoreResult<Vec<Call>> {
        self.calls_where("c.shift_id = ?1", shift.0)
    }

    fn calls_where(&self, condition: &str, value: i64) -> StoreResult<Vec<Call>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT c.id, c.shift_id, c.listener_id, c.caller_file_id, c.started_at, c.ended_at,
                    c.call_type, c.notes, c.rud_risk, c.rud_urgency, c.rud_danger, c.outcome,
                    c.channel, c.time_spent
             FROM call c WHERE {condition} ORDER BY c.started_at DESC, c.id DESC"
        ))?;
        let mut calls = statement
            .query_map([value], |row| {
                Ok(Call {
                    id: CallId(row.get(0)?),
                    shift_id: ShiftId(row.get(1)?),
                    listener_id: ListenerId(row.get(2)?),
                    started_at: from_secs(row.get(4)?),
                    ended_at: from_secs(row.get(5)?),
                    call_type: word(6, row.get(6)?)?,
                    time_spent: row.get(13)?,
                    record: CallRecord {
                        channel: row.get(12)?,
                        caller_file_id: row.get::<_, Option<i64>>(3)?.map(FileId),
                        notes: row.get(7)?,
                        rud: Rud {
                            risk: word_opt(8, row.get(8)?)?,
                            urgency: word_opt(9, row.get(9)?)?,
                            danger: word_opt(10, row.get(10)?)?,
                        },
                        outcome: word_opt(11, row.get(11)?)?,
                        ..CallRecord::default()
                    },
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        // What hangs off the calls, one query per table for all of them (a file's history is
        // tens of calls: one query per call and table cost a millisecond per opening).
        let index: std::collections::HashMap<i64, usize> =
            calls.iter().enumerate().map(|(i, call)| (call.id.0, i)).collect();
        let joined = |table: &str, columns: &str, order: &str| {
            format!(
                "SELECT t.call_id, {columns} FROM call c JOIN {table} t ON t.call_id = c.id
                 WHERE {condition} ORDER BY t.call_id, {order}"
            )
        };
        let mut statement = self.conn.prepare_cached(&joined("call_theme", "t.theme", "t.theme"))?;
        let mut rows = statement.query([value])?;
        while let Some(row) = rows.next()? {
            if let Some(&i) = index.get(&row.get::<_, i64>(0)?) {
                calls[i].record.themes.push(row.get(1)?);
            }
        }
        let mut statement = self.conn.prepare_cached(&joined("call_orientation", "t.number", "t.number"))?;
        let mut rows = statement.query([value])?;
        while let Some(row) = rows.next()? {
            if let Some(&i) = index.get(&row.get::<_, i64>(0)?) {
                calls[i].record.orientations.push(row.get(1)?);
            }
        }
        let mut statement =
            self.conn.prepare_cached(&joined("call_situation", "t.situation", "t.situation"))?;
        let mut rows = statement.query([value])?;
        while let Some(row) = rows.next()? {
            if let Some(&i) = index.get(&row.get::<_, i64>(0)?) {
                calls[i].record.situations.push(word(1, row.get(1)?)?);
            }
        }
        let mut statement = self.conn.prepare_cached(&joined(
            "emergency_prompt",
            "t.number, t.rule, t.raised_at, t.acknowledged_at, t.outcome, t.outcome_note",
            "t.raised_at, t.id",
        ))?;
        let mut rows = statement.query([value])?;
        while let Some(row) = rows.next()? {
            let Some(&i) = index.get(&row.get::<_, i64>(0)?) else { continue };
            let acknowledged_at = from_secs_opt(row.get(4)?);
            let outcome = word_opt(5, row.get(5)?)?;
            let note: Option<String> = row.get(6)?;
            calls[i].record.prompts.push(PromptRecord {
                number: row.get(1)?,
                rule: row.get(2)?,
                raised_at: from_secs(row.get(3)?),
                acknowledgement: acknowledged_at.zip(outcome).map(|(at, outcome)| Acknowledgement {
                    at,
                    outcome,
                    note,
                }),
            });
        }
        Ok(calls)
    }
}
