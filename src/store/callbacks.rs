//! Callbacks and their attempts. The callback number is wiped in the same transaction that
//! closes the callback (and a CHECK constraint refuses a closed callback that keeps one).

use super::db::{Db, Row, Value};
use super::error::{StoreError, StoreResult};
use super::rollup::{self, Rows};
use super::rows::{code_at, from_secs, from_secs_opt, now, parse_word, to_secs};
use super::seal::Field;
use super::{Store, audit};
use crate::db_params;
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::callback::{
    Address, Assignee, Attempt, AttemptResult, Callback, CallbackNow, CallbackStatus, NewCallback,
    QueueEntry, RetryPolicy,
};
use crate::domain::{CallId, CallbackId, FileId, ListenerId, Timestamp};

const COLUMNS: &str = "id, caller_file_id, origin_call_id, due_at, priority, callback_number, \
                       assigned_listener_id, status, note, created_at, closed_at, closed_reason, version, flagged, channel";

fn read(db: &Db, row: &Row) -> StoreResult<Callback> {
    let id = row.get(0)?;
    let number = db.unseal_opt(Field::CALLBACK_NUMBER, id, &row.get(5)?)?;
    Ok(Callback {
        id: CallbackId(id),
        caller_file_id: FileId(row.get(1)?),
        origin_call_id: row.get::<Option<i64>>(2)?.map(CallId),
        due_at: from_secs(row.get(3)?),
        priority: parse_word(4, row.get(4)?)?,
        channel: row.get(14)?,
        callback_number: number.map(Address::stored),
        assignee: match row.get::<Option<i64>>(6)? {
            Some(id) => Assignee::Listener(ListenerId(id)),
            None => Assignee::Anyone,
        },
        status: parse_word(7, row.get(7)?)?,
        note: db.unseal(Field::CALLBACK_NOTE, id, &row.get(8)?)?,
        created_at: from_secs(row.get(9)?),
        closed_at: from_secs_opt(row.get(10)?),
        closed_reason: db.unseal_opt(Field::CALLBACK_CLOSED_REASON, id, &row.get::<Value>(11)?)?,
        version: row.get(12)?,
        flagged: row.get(13)?,
        attempts: Vec::new(),
    })
}

/// Inserts a pending callback, counted in the statistics' rollup.
pub(super) fn insert(db: &Db, callback: &NewCallback, created_at: Timestamp) -> StoreResult<CallbackId> {
    let id = insert_row(db, callback, created_at)?;
    rollup::count(db, Rows::Callback(id), 1)?;
    Ok(id)
}

/// The callback's row alone: a bulk load counts what it wrote when it commits.
pub(super) fn insert_row(db: &Db, callback: &NewCallback, created_at: Timestamp) -> StoreResult<CallbackId> {
    let id = db.next_id("callback")?;
    db.execute(
        "INSERT INTO callback (id, caller_file_id, origin_call_id, due_at, priority, consent, callback_number,
                               assigned_listener_id, status, note, created_at, channel)
         VALUES (?9, ?1, ?2, ?3, ?4, 1, ?5, ?6, 'pending', ?7, ?8, ?10)",
        db_params![
            callback.caller_file_id.0,
            callback.origin_call_id.map(|c| c.0),
            to_secs(callback.due_at),
            callback.priority.as_str(),
            db.seal(Field::CALLBACK_NUMBER, id, callback.callback_number.as_str())?,
            assignee_id(callback.assignee),
            db.seal(Field::CALLBACK_NOTE, id, &callback.note)?,
            to_secs(created_at),
            id,
            callback.channel.as_str(),
        ],
    )?;
    Ok(CallbackId(id))
}

/// Records an attempt and, when it reached the caller, closes the callback and wipes the number;
/// the rollup kept (the callback's facts, the call it became: no longer "answered").
pub(super) fn insert_attempt(
    db: &Db,
    id: CallbackId,
    attempt: &Attempt,
    reschedule_to: Option<Timestamp>,
) -> StoreResult<()> {
    let attempt_id = rollup::changing(db, &touched_by(id, attempt), || {
        insert_attempt_rows(db, id, attempt, reschedule_to)
    })?;
    rollup::count(db, Rows::Attempt(attempt_id), 1)
}

/// What an attempt changes the facts of: its callback (its first attempt), and the call it was
/// made by (no longer "answered": we called).
fn touched_by(id: CallbackId, attempt: &Attempt) -> Vec<Rows> {
    std::iter::once(Rows::Callback(id)).chain(attempt.call_id.map(Rows::Call)).collect()
}

/// The attempt's rows alone (a bulk load counts them when it commits); returns its id.
pub(super) fn insert_attempt_rows(
    db: &Db,
    id: CallbackId,
    attempt: &Attempt,
    reschedule_to: Option<Timestamp>,
) -> StoreResult<i64> {
    let attempt_id = record_attempt_row(db, id, attempt)?;
    if attempt.result == AttemptResult::Reached {
        close(db, id, CallbackStatus::Done, None, attempt.at)?;
    } else if let Some(due) = reschedule_to {
        db.execute(
            "UPDATE callback SET due_at = ?2, version = version + 1 WHERE id = ?1",
            db_params![id.0, to_secs(due)],
        )?;
    }
    Ok(attempt_id)
}

/// Records an attempt in the callback's history, and nothing else but the rollup.
pub(super) fn record_attempt(db: &Db, id: CallbackId, attempt: &Attempt) -> StoreResult<()> {
    let attempt_id = rollup::changing(db, &touched_by(id, attempt), || record_attempt_row(db, id, attempt))?;
    rollup::count(db, Rows::Attempt(attempt_id), 1)
}

/// The attempt's row; its id.
fn record_attempt_row(db: &Db, id: CallbackId, attempt: &Attempt) -> StoreResult<i64> {
    db.query_row(
        "INSERT INTO callback_attempt (callback_id, attempted_at, listener_id, result, call_id)
         VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        db_params![
            id.0,
            to_secs(attempt.at),
            attempt.listener_id.0,
            attempt.result.as_str(),
            attempt.call_id.map(|c| c.0)
        ],
        |row| row.get(0),
    )
}

/// The callback's status now; `None` when there is no such callback.
pub(super) fn status_of(db: &Db, id: CallbackId) -> StoreResult<Option<CallbackStatus>> {
    let status: Option<String> =
        db.query_opt("SELECT status FROM callback WHERE id = ?1", db_params![id.0], |row| row.get(0))?;
    status.map(|status| parse_word(0, status)).transpose()
}

fn close(
    db: &Db,
    id: CallbackId,
    status: CallbackStatus,
    reason: Option<&str>,
    at: Timestamp,
) -> StoreResult<()> {
    let changed = db.execute(
        "UPDATE callback SET status = ?2, callback_number = NULL, closed_at = ?3, closed_reason = ?4,
                             version = version + 1
         WHERE id = ?1 AND status = 'pending'",
        db_params![
            id.0,
            status.as_str(),
            to_secs(at),
            db.seal_opt(Field::CALLBACK_CLOSED_REASON, id.0, reason)?
        ],
    )?;
    if changed == 0 {
        return Err(StoreError::Invalid(format!("callback {id} is missing or already closed")));
    }
    Ok(())
}

/// Refuses a change made on an outdated view of a callback (another terminal changed it, or
/// it is no longer pending), saying what it is now.
fn expect_version(db: &Db, id: CallbackId, version: i64) -> StoreResult<()> {
    let current: Option<(i64, String, Option<String>)> = db.query_opt(
        "SELECT cb.version, cb.status, l.display_name FROM callback cb
         LEFT JOIN listener l ON l.id = cb.assigned_listener_id WHERE cb.id = ?1",
        db_params![id.0],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    match current {
        None => Err(StoreError::Invalid(format!("no callback {id}"))),
        Some((_, status, _)) if status != "pending" => {
            Err(StoreError::Conflict(CallbackNow::Closed(parse_word(1, status)?)))
        }
        Some((now, _, assignee)) if now != version => {
            Err(StoreError::Conflict(CallbackNow::AssignedTo(assignee)))
        }
        Some(_) => Ok(()),
    }
}

fn assignee_id(assignee: Assignee) -> Option<i64> {
    match assignee {
        Assignee::Anyone => None,
        Assignee::Listener(id) => Some(id.0),
    }
}

impl Store {
    /// Takes a pending callback to perform it: it is assigned to the actor and its number
    /// returned. Refused, and nothing changed, when another terminal changed it since
    /// `version` was read (a supervisor reassigned it, another listener took it).
    pub fn take_callback(&mut self, id: CallbackId, version: i64) -> StoreResult<Callback> {
        self.write(|tx, actor| {
            expect_version(tx.db(), id, version)?;
            tx.db().execute(
                "UPDATE callback SET assigned_listener_id = ?2, version = version + 1 WHERE id = ?1",
                db_params![id.0, actor.id.0],
            )?;
            audit::append(tx, Some(actor.id), AuditAction::CallbackTaken, ObjectKind::Callback, Some(id.0))
        })?;
        self.callback(id)
    }

    /// An attempt that did not reach the caller: logged, the callback moved `policy.retry_after`
    /// later, and flagged for a supervisor when the policy says so. Returns whether it is
    /// flagged now.
    pub fn callback_attempt_failed(
        &mut self,
        id: CallbackId,
        result: AttemptResult,
        policy: RetryPolicy,
    ) -> StoreResult<bool> {
        if result == AttemptResult::Reached {
            return Err(StoreError::Invalid("a reached callback is closed by saving its call".into()));
        }
        self.write(|tx, actor| {
            let at = now();
            let attempt = Attempt { at, listener_id: actor.id, result, call_id: None };
            insert_attempt(tx.db(), id, &attempt, Some(at + policy.retry_after))?;
            let failed: u32 = tx.db().query_row(
                "SELECT count(*) FROM callback_attempt WHERE callback_id = ?1 AND result != 'reached'",
                db_params![id.0],
                |row| row.get(0),
            )?;
            let flagged = policy.flags(failed, result);
            if flagged {
                rollup::changing(tx.db(), &[Rows::Callback(id)], || {
                    tx.db().execute("UPDATE callback SET flagged = 1 WHERE id = ?1", db_params![id.0])
                })?;
            }
            audit::append(
                tx,
                Some(actor.id),
                AuditAction::CallbackAttempted,
                ObjectKind::Callback,
                Some(id.0),
            )?;
            Ok(flagged)
        })
    }

    /// Gives a callback to another listener, or to anyone (supervisors). Clears the flag: the
    /// supervisor has looked at it.
    pub fn reassign_callback(&mut self, id: CallbackId, version: i64, assignee: Assignee) -> StoreResult<()> {
        self.require_supervisor(|s| &s.cli.what_reassign)?;
        self.write(|tx, actor| {
            expect_version(tx.db(), id, version)?;
            rollup::changing(tx.db(), &[Rows::Callback(id)], || {
                tx.db().execute(
                    "UPDATE callback SET assigned_listener_id = ?2, flagged = 0, version = version + 1 WHERE id = ?1",
                    db_params![id.0, assignee_id(assignee)],
                )
            })?;
            audit::append(tx, Some(actor.id), AuditAction::CallbackReassigned, ObjectKind::Callback, Some(id.0))
        })
    }

    /// Moves a callback to another time (supervisors, or the listener it is assigned to).
    pub fn reschedule_callback(
        &mut self,
        id: CallbackId,
        version: i64,
        due_at: Timestamp,
    ) -> StoreResult<()> {
        let callback = self.callback(id)?;
        if callback.assignee != Assignee::Listener(self.actor.id) {
            self.require_supervisor(|s| &s.cli.what_reschedule_other)?;
        }
        self.write(|tx, actor| {
            expect_version(tx.db(), id, version)?;
            rollup::changing(tx.db(), &[Rows::Callback(id)], || {
                tx.db().execute(
                    "UPDATE callback SET due_at = ?2, flagged = 0, version = version + 1 WHERE id = ?1",
                    db_params![id.0, to_secs(due_at)],
                )
            })?;
            audit::append(
                tx,
                Some(actor.id),
                AuditAction::CallbackRescheduled,
                ObjectKind::Callback,
                Some(id.0),
            )
        })
    }

    pub fn schedule_callback(&mut self, callback: &NewCallback) -> StoreResult<CallbackId> {
        self.write(|tx, actor| {
            let id = insert(tx.db(), callback, now())?;
            audit::append(
                tx,
                Some(actor.id),
                AuditAction::CallbackCreated,
                ObjectKind::Callback,
                Some(id.0),
            )?;
            Ok(id)
        })
    }

    /// Every pending callback, soonest due first.
    pub fn pending_callbacks(&self) -> StoreResult<Vec<Callback>> {
        self.conn.query_map(
            &format!("SELECT {COLUMNS} FROM callback WHERE status = 'pending' ORDER BY due_at, id"),
            db_params![],
            |row| read(&self.conn, row),
        )
    }

    pub fn callback(&self, id: CallbackId) -> StoreResult<Callback> {
        let mut callback = self
            .conn
            .query_opt(&format!("SELECT {COLUMNS} FROM callback WHERE id = ?1"), db_params![id.0], |row| {
                read(&self.conn, row)
            })?
            .ok_or_else(|| StoreError::Invalid(format!("no callback {id}")))?;
        callback.attempts = self.attempts(id)?;
        Ok(callback)
    }

    /// Every callback of a file with its attempts: pending first, then newest first.
    pub fn callbacks_of_file(&self, file: FileId) -> StoreResult<Vec<Callback>> {
        let mut callbacks = self.conn.query_map(
            &format!(
                "SELECT {COLUMNS} FROM callback WHERE caller_file_id = ?1
                 ORDER BY status = 'pending' DESC, due_at DESC, id DESC"
            ),
            db_params![file.0],
            |row| read(&self.conn, row),
        )?;
        // Every attempt of the file's callbacks in one query (on a server, one round trip
        // rather than one per callback).
        let mut attempts: std::collections::HashMap<i64, Vec<Attempt>> = std::collections::HashMap::new();
        for (callback, attempt) in self.conn.query_map(
            "SELECT a.callback_id, a.attempted_at, a.listener_id, a.result, a.call_id
             FROM callback_attempt a JOIN callback cb ON cb.id = a.callback_id
             WHERE cb.caller_file_id = ?1 ORDER BY a.callback_id, a.attempted_at, a.id",
            db_params![file.0],
            |row| Ok((row.get::<i64>(0)?, attempt_at(row, 1)?)),
        )? {
            attempts.entry(callback).or_default().push(attempt);
        }
        for callback in &mut callbacks {
            callback.attempts = attempts.remove(&callback.id.0).unwrap_or_default();
        }
        Ok(callbacks)
    }

    fn attempts(&self, id: CallbackId) -> StoreResult<Vec<Attempt>> {
        self.conn.query_map(
            "SELECT attempted_at, listener_id, result, call_id FROM callback_attempt
             WHERE callback_id = ?1 ORDER BY attempted_at, id",
            db_params![id.0],
            |row| attempt_at(row, 0),
        )
    }

    /// Logs an attempt by the actor; a reached caller closes the callback and wipes the number,
    /// a failed attempt moves it to `reschedule_to` when given.
    pub fn record_callback_attempt(
        &mut self,
        id: CallbackId,
        result: AttemptResult,
        reschedule_to: Option<Timestamp>,
    ) -> StoreResult<()> {
        self.write(|tx, actor| {
            let attempt = Attempt { at: now(), listener_id: actor.id, result, call_id: None };
            insert_attempt(tx.db(), id, &attempt, reschedule_to)?;
            audit::append(
                tx,
                Some(actor.id),
                AuditAction::CallbackAttempted,
                ObjectKind::Callback,
                Some(id.0),
            )
        })
    }

    /// Cancels a pending callback with a reason; the number is wiped. With `version`, refused
    /// if the callback changed since it was read.
    pub fn cancel_callback(&mut self, id: CallbackId, version: Option<i64>, reason: &str) -> StoreResult<()> {
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid("cancelling a callback needs a reason".into()));
        }
        self.write(|tx, actor| {
            if let Some(version) = version {
                expect_version(tx.db(), id, version)?;
            }
            rollup::changing(tx.db(), &[Rows::Callback(id)], || {
                close(tx.db(), id, CallbackStatus::Cancelled, Some(reason.trim()), now())
            })?;
            audit::append(
                tx,
                Some(actor.id),
                AuditAction::CallbackCancelled,
                ObjectKind::Callback,
                Some(id.0),
            )
        })
    }

    /// The pending callbacks as the queue shows them: overdue first, then by priority
    /// (most urgent first), then soonest due.
    pub fn callback_queue(&self, now: Timestamp) -> StoreResult<Vec<QueueEntry>> {
        let db = &self.conn;
        db.query_map(
            "SELECT cb.id, f.code, cb.due_at, cb.priority, cb.assigned_listener_id, l.display_name,
                    (SELECT count(*) FROM callback_attempt a WHERE a.callback_id = cb.id),
                    cb.version, cb.caller_file_id, cb.flagged, cb.note, cb.channel
             FROM callback cb
             JOIN caller_file f ON f.id = cb.caller_file_id
             LEFT JOIN listener l ON l.id = cb.assigned_listener_id
             WHERE cb.status = 'pending'
             ORDER BY cb.due_at < ?1 DESC,
                      CASE cb.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END,
                      cb.due_at, cb.id",
            db_params![to_secs(now)],
            |row| {
                let id = row.get(0)?;
                Ok(QueueEntry {
                    id: CallbackId(id),
                    file_code: code_at(row, 1)?,
                    due_at: from_secs(row.get(2)?),
                    priority: parse_word(3, row.get(3)?)?,
                    assignee: match row.get::<Option<i64>>(4)? {
                        Some(id) => Assignee::Listener(ListenerId(id)),
                        None => Assignee::Anyone,
                    },
                    assignee_name: row.get(5)?,
                    attempts: row.get(6)?,
                    version: row.get(7)?,
                    file_id: FileId(row.get(8)?),
                    flagged: row.get(9)?,
                    note: db.unseal(Field::CALLBACK_NOTE, id, &row.get(10)?)?,
                    channel: row.get(11)?,
                })
            },
        )
    }
}

/// An attempt read from `row`, its columns from `first` on: attempted_at, listener_id, result,
/// call_id.
fn attempt_at(row: &super::db::Row, first: usize) -> StoreResult<Attempt> {
    Ok(Attempt {
        at: from_secs(row.get(first)?),
        listener_id: ListenerId(row.get(first + 1)?),
        result: parse_word(first + 2, row.get(first + 2)?)?,
        call_id: row.get::<Option<i64>>(first + 3)?.map(CallId),
    })
}
