//! Calls: saved in one transaction with their themes, orientations and prompts, the file's
//! last contact, the removal of the draft and the audit entry.

use super::db::{Db, Value};
use super::error::{StoreError, StoreResult};
use super::rollup::{self, Rows};
use super::rows::{from_secs, from_secs_opt, parse_word, parse_word_opt, to_secs};
use super::seal::Field;
use super::{Store, audit};
use crate::db_params;
use crate::domain::assessment::Rud;
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::call::{Call, CallDraft, CallRecord, NewCall, SaveToken};
use crate::domain::callback::{
    Attempt, AttemptResult, CallbackNow, CallbackRequest, CallbackStatus, NewCallback,
};
use crate::domain::prompt::{Acknowledgement, PromptRecord};
use crate::domain::{CallId, FileId, ListenerId, ShiftId};

/// A call saved, and what the save found changed meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCall {
    pub id: CallId,
    /// The callback the call performed was closed by someone else since it was taken: the
    /// call and its attempt are saved, the callback stays as it is now.
    pub callback_closed_meanwhile: Option<CallbackNow>,
}

/// What `insert_once` did.
pub(super) enum Inserted {
    New(CallId),
    /// A call with the same save token was already saved (a save tried again after its answer
    /// was lost): nothing was written.
    AlreadySaved(CallId),
}

/// [`insert_once`]'s call, whether new or already saved (tests that write through the store's
/// own insert).
#[cfg(test)]
pub(super) fn insert(db: &Db, listener_id: ListenerId, call: &NewCall) -> StoreResult<CallId> {
    match insert_once(db, listener_id, call)? {
        Inserted::New(id) | Inserted::AlreadySaved(id) => Ok(id),
    }
}

/// The call's rows alone: a bulk load counts what it wrote when it commits.
pub(super) fn insert_rows(db: &Db, listener_id: ListenerId, call: &NewCall) -> StoreResult<CallId> {
    match insert_rows_once(db, listener_id, call)? {
        Inserted::New(id) | Inserted::AlreadySaved(id) => Ok(id),
    }
}

/// Inserts a call and what hangs off it, counted in the statistics' rollup, once per save
/// token: a call already saved is neither written nor counted again. Inside a write transaction
/// (its id is drawn first, for its sealed notes).
pub(super) fn insert_once(db: &Db, listener_id: ListenerId, call: &NewCall) -> StoreResult<Inserted> {
    let inserted = insert_rows_once(db, listener_id, call)?;
    if let Inserted::New(id) = inserted {
        rollup::count(db, Rows::Call(id), 1)?;
    }
    Ok(inserted)
}

/// [`insert_once`] without the rollup. A call whose token is already saved is not written again
/// (`ON CONFLICT DO NOTHING` on the token's unique index: never a failing statement, which would
/// abort a server's transaction).
fn insert_rows_once(db: &Db, listener_id: ListenerId, call: &NewCall) -> StoreResult<Inserted> {
    let record = &call.record;
    let token = record.save_token.map(|t| t.bytes().to_vec());
    let id = CallId(db.next_id("call")?);
    let inserted: Option<i64> = db.query_opt(
        "INSERT INTO call (id, shift_id, listener_id, caller_file_id, started_at, ended_at, call_type,
                           notes, rud_risk, rud_urgency, rud_danger, outcome, channel, time_spent, save_token)
         VALUES (?12, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?13, ?14, ?15)
         ON CONFLICT (save_token) DO NOTHING RETURNING id",
        db_params![
            call.shift_id.0,
            listener_id.0,
            record.caller_file_id.map(|f| f.0),
            to_secs(call.started_at),
            to_secs(call.ended_at),
            call.call_type.as_str(),
            db.seal(Field::CALL_NOTES, id.0, &record.notes)?,
            record.rud.risk.map(|l| l.as_str()),
            record.rud.urgency.map(|l| l.as_str()),
            record.rud.danger.map(|l| l.as_str()),
            record.outcome.map(|o| o.as_str()),
            id.0,
            record.channel.as_str(),
            call.time_spent,
            token.clone(),
        ],
        |row| row.get(0),
    )?;
    if inserted.is_none() {
        let saved =
            db.query_row("SELECT id FROM call WHERE save_token = ?1", db_params![token], |row| row.get(0))?;
        return Ok(Inserted::AlreadySaved(CallId(saved)));
    }
    super::blind_index::index_call(db, id.0, &record.notes)?;
    // One statement for each list, however long (a request each on the server): the call's
    // id beside each of its values.
    let lists: [(&str, Vec<&str>); 3] = [
        (
            "INSERT INTO call_theme (call_id, theme) VALUES",
            record.themes.iter().map(String::as_str).collect(),
        ),
        (
            "INSERT INTO call_orientation (call_id, number) VALUES",
            record.orientations.iter().map(String::as_str).collect(),
        ),
        (
            "INSERT INTO call_situation (call_id, situation) VALUES",
            record.situations.iter().map(|s| s.as_str()).collect(),
        ),
    ];
    for (insert, values) in lists {
        let rows: Vec<Value> = values.into_iter().flat_map(|v| [Value::from(id.0), Value::from(v)]).collect();
        db.insert_rows(insert, "", 2, &rows)?;
    }
    for p in &record.prompts {
        let ack = p.acknowledgement.as_ref();
        let prompt_id = db.next_id("emergency_prompt")?;
        db.execute(
            "INSERT INTO emergency_prompt (id, call_id, number, rule, raised_at, acknowledged_at, outcome, outcome_note)
             VALUES (?8, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            db_params![
                id.0,
                p.number.as_str(),
                p.rule.as_str(),
                to_secs(p.raised_at),
                ack.map(|a| to_secs(a.at)),
                ack.map(|a| a.outcome.as_str()),
                db.seal_opt(Field::PROMPT_NOTE, prompt_id, ack.and_then(|a| a.note.as_deref()))?,
                prompt_id,
            ],
        )?;
    }
    if let Some(hash) = record.phone.as_ref().and_then(|p| p.caller.as_ref()) {
        super::phone::insert_caller(db, id, hash)?;
    }
    if let Some(file) = record.caller_file_id {
        // CASE rather than SQLite's two-argument max(), which the server spells greatest().
        db.execute(
            "UPDATE caller_file SET purged_at = NULL,
                    last_contact_at = CASE WHEN coalesce(last_contact_at, 0) > ?2 THEN last_contact_at ELSE ?2 END
             WHERE id = ?1",
            db_params![file.0, to_secs(call.ended_at)],
        )?;
    }
    Ok(Inserted::New(id))
}

/// Drops `listener`'s draft if it is the draft of the call with `token` (or of a call without
/// one): the draft of a call begun while this one waited for the server stays.
fn drop_draft_of(db: &Db, listener: ListenerId, token: Option<SaveToken>) -> StoreResult<()> {
    let body: Option<Value> =
        db.query_opt("SELECT body FROM call_draft WHERE listener_id = ?1", db_params![listener.0], |row| {
            row.get(0)
        })?;
    let Some(body) = body else { return Ok(()) };
    let draft: Option<CallDraft> = db
        .unseal(Field::DRAFT_BODY, listener.0, &body)
        .ok()
        .and_then(|json| serde_json::from_str(&json).ok());
    let another_call = match (token, draft.and_then(|d| d.record.save_token)) {
        (Some(saved), Some(drafted)) => saved != drafted,
        _ => false,
    };
    if !another_call {
        db.execute("DELETE FROM call_draft WHERE listener_id = ?1", db_params![listener.0])?;
    }
    Ok(())
}

impl Store {
    /// Whether the call with `token` is saved (a local draft left by a crash after its save
    /// committed is not offered back).
    pub fn call_saved_with(&self, token: SaveToken) -> StoreResult<bool> {
        self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM call WHERE save_token = ?1)",
            db_params![token.bytes().to_vec()],
            |row| row.get(0),
        )
    }

    /// Saves a finished call and drops the actor's draft, in one transaction.
    pub fn save_call(&mut self, call: &NewCall) -> StoreResult<CallId> {
        self.save_call_with_callback(call, None)
    }

    /// Saves a finished call, the callback scheduled at its end (if any) and drops the
    /// actor's draft, all in one transaction ([`Store::save_ended_call`]).
    pub fn save_call_with_callback(
        &mut self,
        call: &NewCall,
        callback: Option<&CallbackRequest>,
    ) -> StoreResult<CallId> {
        self.save_ended_call(call, callback).map(|saved| saved.id)
    }

    /// Saves a finished call, the callback scheduled at its end (if any) and drops the
    /// actor's draft, all in one transaction. A call whose save token is already saved (this
    /// save is tried again after its answer was lost) is not written again: its id is
    /// returned, and only the draft goes. A call that performed a callback closed by someone
    /// else meanwhile (cancelled, or done by another desk) is saved all the same, with its
    /// attempt in the callback's history; the callback stays as it is, and the answer says so.
    pub fn save_ended_call(
        &mut self,
        call: &NewCall,
        callback: Option<&CallbackRequest>,
    ) -> StoreResult<SavedCall> {
        call.validate().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let shift = self.shift(call.shift_id)?;
        if shift.listener_id != self.actor.id {
            self.require_supervisor(|s| &s.cli.what_call_on_other_shift)?;
        }
        self.write(|tx, actor| {
            let id = match insert_once(tx.db(), actor.id, call)? {
                Inserted::New(id) => id,
                // Its first save committed and its answer was lost: the call, its callback and
                // its audit entry are there once; only a draft saved since remains to go.
                Inserted::AlreadySaved(id) => {
                    drop_draft_of(tx.db(), actor.id, call.record.save_token)?;
                    return Ok(SavedCall { id, callback_closed_meanwhile: None });
                }
            };
            let mut callback_closed_meanwhile = None;
            drop_draft_of(tx.db(), actor.id, call.record.save_token)?;
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
                match super::callbacks::status_of(tx.db(), performed)? {
                    Some(CallbackStatus::Pending) => {
                        super::callbacks::insert_attempt(tx.db(), performed, &attempt, None)?
                    }
                    // Closed by someone else since it was taken: the call happened all the
                    // same; it is saved, its attempt noted, the closure left as it is.
                    Some(status) => {
                        super::callbacks::record_attempt(tx.db(), performed, &attempt)?;
                        callback_closed_meanwhile = Some(CallbackNow::Closed(status));
                    }
                    None => return Err(StoreError::Invalid(format!("no callback {performed}"))),
                }
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
                let callback_id = super::callbacks::insert(tx.db(), &new, call.ended_at)?;
                audit::append(
                    tx,
                    Some(actor.id),
                    AuditAction::CallbackCreated,
                    ObjectKind::Callback,
                    Some(callback_id.0),
                )?;
            }
            Ok(SavedCall { id, callback_closed_meanwhile })
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
            let db = tx.db();
            // Compared here, opened: sealed notes never compare equal in SQL. The write
            // transaction keeps anyone from changing them between this read and the update.
            let now = db.query_opt("SELECT notes FROM call WHERE id = ?1", db_params![id.0], |row| {
                db.unseal(Field::CALL_NOTES, id.0, &row.get(0)?)
            })?;
            if now.as_deref() != Some(seen) {
                return Err(StoreError::FileChanged);
            }
            db.execute(
                "UPDATE call SET notes = ?2, amended_at = ?3 WHERE id = ?1",
                db_params![id.0, db.seal(Field::CALL_NOTES, id.0, notes)?, to_secs(super::rows::now())],
            )?;
            super::blind_index::index_call(db, id.0, notes)?;
            if !notes.trim().is_empty() {
                db.execute(
                    "UPDATE caller_file SET purged_at = NULL
                     WHERE purged_at IS NOT NULL AND id = (SELECT caller_file_id FROM call WHERE id = ?1)",
                    db_params![id.0],
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
        let db = &self.conn;
        let mut calls = db.query_map(
            &format!(
                "SELECT c.id, c.shift_id, c.listener_id, c.caller_file_id, c.started_at, c.ended_at,
                        c.call_type, c.notes, c.rud_risk, c.rud_urgency, c.rud_danger, c.outcome,
                        c.channel, c.time_spent
                 FROM call c WHERE {condition} ORDER BY c.started_at DESC, c.id DESC"
            ),
            db_params![value],
            |row| {
                let id = row.get(0)?;
                Ok(Call {
                    id: CallId(id),
                    shift_id: ShiftId(row.get(1)?),
                    listener_id: ListenerId(row.get(2)?),
                    started_at: from_secs(row.get(4)?),
                    ended_at: from_secs(row.get(5)?),
                    call_type: parse_word(6, row.get(6)?)?,
                    time_spent: row.get(13)?,
                    record: CallRecord {
                        channel: row.get(12)?,
                        caller_file_id: row.get::<Option<i64>>(3)?.map(FileId),
                        notes: db.unseal(Field::CALL_NOTES, id, &row.get(7)?)?,
                        rud: Rud {
                            risk: parse_word_opt(8, row.get(8)?)?,
                            urgency: parse_word_opt(9, row.get(9)?)?,
                            danger: parse_word_opt(10, row.get(10)?)?,
                        },
                        outcome: parse_word_opt(11, row.get(11)?)?,
                        ..CallRecord::default()
                    },
                })
            },
        )?;
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
        // Themes, orientations and situations in one query (one round trip on a server).
        let lists =
            [("call_theme", "theme"), ("call_orientation", "number"), ("call_situation", "situation")]
                .iter()
                .enumerate()
                .map(|(kind, (table, column))| {
                    format!(
                        "SELECT t.call_id, {kind}, t.{column} FROM call c JOIN {table} t ON t.call_id = c.id
                     WHERE {condition}"
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
        let listed = db.query_map(&format!("{lists} ORDER BY 1, 2, 3"), db_params![value], |row| {
            Ok((row.get::<i64>(0)?, row.get::<i64>(1)?, row.get::<String>(2)?))
        })?;
        for (call, kind, item) in listed {
            let Some(&i) = index.get(&call) else { continue };
            let record = &mut calls[i].record;
            match kind {
                0 => record.themes.push(item),
                1 => record.orientations.push(item),
                _ => record.situations.push(parse_word(2, item)?),
            }
        }
        let prompts = db.query_map(
            &joined(
                "emergency_prompt",
                "t.number, t.rule, t.raised_at, t.acknowledged_at, t.outcome, t.outcome_note, t.id",
                "t.raised_at, t.id",
            ),
            db_params![value],
            |row| {
                let acknowledged_at = from_secs_opt(row.get(4)?);
                let outcome = parse_word_opt(5, row.get(5)?)?;
                let note = db.unseal_opt(Field::PROMPT_NOTE, row.get(7)?, &row.get::<Value>(6)?)?;
                let prompt = PromptRecord {
                    number: row.get(1)?,
                    rule: row.get(2)?,
                    raised_at: from_secs(row.get(3)?),
                    acknowledgement: acknowledged_at.zip(outcome).map(|(at, outcome)| Acknowledgement {
                        at,
                        outcome,
                        note,
                    }),
                };
                Ok((row.get::<i64>(0)?, prompt))
            },
        )?;
        for (call, prompt) in prompts {
            if let Some(&i) = index.get(&call) {
                calls[i].record.prompts.push(prompt);
            }
        }
        Ok(calls)
    }
}
