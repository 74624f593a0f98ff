//! Callbacks and their attempts. The callback number is wiped in the same transaction that
//! closes the callback (and a CHECK constraint refuses a closed callback that keeps one).

use rusqlite::{Connection, OptionalExtension, params};

use super::error::{StoreError, StoreResult};
use super::rollup::{self, Rows};
use super::rows::{file_code, from_secs, from_secs_opt, now, to_secs, word};
use super::{Store, audit};
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::callback::{
    Address, Assignee, Attempt, AttemptResult, Callback, CallbackNow, CallbackStatus, NewCallback,
    QueueEntry, RetryPolicy,
};
use crate::domain::{CallId, CallbackId, FileId, ListenerId, Timestamp};

const COLUMNS: &str = "id, caller_file_id, origin_call_id, due_at, priority, callback_number, \
                       assigned_listener_id, status, note, created_at, closed_at, closed_reason, version, flagged, channel";

fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Callback> {
    let number: Option<String> = row.get(5)?;
    Ok(Callback {
        id: CallbackId(row.get(0)?),
        caller_file_id: FileId(row.get(1)?),
        origin_call_id: row.get::<_, Option<i64>>(2)?.map(CallId),
        due_at: from_secs(row.get(3)?),
        priority: word(4, row.get(4)?)?,
        channel: row.get(14)?,
        callback_number: number.map(Address::stored),
        assignee: match row.get::<_, Option<i64>>(6)? {
            Some(id) => Assignee::Listener(ListenerId(id)),
            None => Assignee::Anyone,
        },
        status: word(7, row.get(7)?)?,
        note: row.get(8)?,
        created_at: from_secs(row.get(9)?),
        closed_at: from_secs_opt(row.get(10)?),
        closed_reason: row.get(11)?,
        version: row.get(12)?,
        flagged: row.get(13)?,
        attempts: Vec::new(),
    })
}

/// Inserts a pending callback, counted in the statistics' rollup.
pub(super) fn insert(
    conn: &Connection,
    callback: &NewCallback,
    created_at: Timestamp,
) -> StoreResult<CallbackId> {
    let id = insert_row(conn, callback, created_at)?;
    rollup::count(conn, Rows::Callback(id), 1)?;
    Ok(id)
}

/// The callback's row alone: a bulk load counts what it wrote when it commits.
pub(super) fn insert_row(
    conn: &Connection,
    callback: &NewCallback,
    created_at: Timestamp,
) -> StoreResult<CallbackId> {
    conn.prepare_cached(
        "INSERT INTO callback (caller_file_id, origin_call_id, due_at, priority, consent, callback_number,
                               assigned_listener_id, status, note, created_at, channel)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, 'pending', ?7, ?8, ?9)",
    )?
    .execute(params![
        callback.caller_file_id.0,
        callback.origin_call_id.map(|c| c.0),
        to_secs(callback.due_at),
        callback.priority.as_str(),
        callback.callback_number.as_str(),
        match callback.assignee {
            Assignee::Anyone => None,
            Assignee::Listener(id) => Some(id.0),
        },
        callback.note,
        to_secs(created_at),
        callback.channel,
    ])?;
    Ok(CallbackId(conn.last_insert_rowid()))
}

/// Records an attempt and, when it reached the caller, closes the callback and wipes the number;
/// the rollup kept (the callback's facts, the call it became: no longer "answered").
pub(super) fn insert_attempt(
    conn: &Connection,
    id: CallbackId,
    attempt: &Attempt,
    reschedule_to: Option<Timestamp>,
) -> StoreResult<()> {
    let touched: Vec<Rows> =
        std::iter::once(Rows::Callback(id)).chain(attempt.call_id.map(Rows::Call)).collect();
    let attempt_id =
        rollup::changing(conn, &touched, || insert_attempt_rows(conn, id, attempt, reschedule_to))?;
    rollup::count(conn, Rows::Attempt(attempt_id), 1)
}

/// The attempt's rows alone (a bulk load counts them when it commits); returns its id.
pub(super) fn insert_attempt_rows(
    conn: &Connection,
    id: CallbackId,
    attempt: &Attempt,
    reschedule_to: Option<Timestamp>,
) -> StoreResult<i64> {
    conn.prepare_cached(
        "INSERT INTO callback_attempt (callback_id, attempted_at, listener_id, result, call_id)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        id.0,
        to_secs(attempt.at),
        attempt.listener_id.0,
        attempt.result.as_str(),
        attempt.call_id.map(|c| c.0)
    ])?;
    let attempt_id = conn.last_insert_rowid();
    if attempt.result == AttemptResult::Reached {
        close(conn, id, CallbackStatus::Done, None, attempt.at)?;
    } else if let Some(due) = reschedule_to {
        conn.prepare_cached("UPDATE callback SET due_at = ?2, version = version + 1 WHERE id = ?1")?
            .execute(params![id.0, to_secs(due)])?;
    }
    Ok(attempt_id)
}

fn close(
    conn: &Connection,
    id: CallbackId,
    status: CallbackStatus,
    reason: Option<&str>,
    at: Timestamp,
) -> StoreResult<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE callback SET status = ?2, callback_number = NULL, closed_at = ?3, closed_reason = ?4,
                                 version = version + 1
             WHERE id = ?1 AND status = 'pending'",
        )?
        .execute(params![id.0, status.as_str(), to_secs(at), reason])?;
    if changed == 0 {
        return Err(StoreError::Invalid(format!("callback {id} is missing or already closed")));
    }
    Ok(())
}

/// Refuses a change made on an outdated view of a callback (another terminal changed it, or
/// it is no longer pending), saying what it is now.
fn expect_version(conn: &Connection, id: CallbackId, version: i64) -> StoreResult<()> {
    let current: Option<(i64, String, Option<String>)> = conn
        .query_row(
            "SELECT cb.version, cb.status, l.display_name FROM callback cb
             LEFT JOIN listener l ON l.id = cb.assigned_listener_id WHERE cb.id = ?1",
            [id.0],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    match current {
        None => Err(StoreError::Invalid(format!("no callback {id}"))),
        Some((_, status, _)) if status != "pending" => {
            Err(StoreError::Conflict(CallbackNow::Closed(word(1, status)?)))
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
            expect_version(tx, id, version)?;
            tx.execute(
                "UPDATE callback SET assigned_listener_id = ?2, version = version + 1 WHERE id = ?1",
                params![id.0, actor.id.0],
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
            insert_attempt(tx, id, &attempt, Some(at + policy.retry_after))?;
            let failed: u32 = tx.query_row(
                "SELECT count(*) FROM callback_attempt WHERE callback_id = ?1 AND result != 'reached'",
                [id.0],
                |row| row.get(0),
            )?;
            let flagged = policy.flags(failed, result);
            if flagged {
                rollup::changing(tx, &[Rows::Callback(id)], || {
                    Ok(tx.execute("UPDATE callback SET flagged = 1 WHERE id = ?1", [id.0])?)
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
            expect_version(tx, id, version)?;
            rollup::changing(tx, &[Rows::Callback(id)], || {
                Ok(tx.execute(
                    "UPDATE callback SET assigned_listener_id = ?2, flagged = 0, version = version + 1 WHERE id = ?1",
                    params![id.0, assignee_id(assignee)],
                )?)
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
            expect_version(tx, id, version)?;
            rollup::changing(tx, &[Rows::Callback(id)], || {
                Ok(tx.execute(
                    "UPDATE callback SET due_at = ?2, flagged = 0, version = version + 1 WHERE id = ?1",
                    params![id.0, to_secs(due_at)],
                )?)
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
            let id = insert(tx, callback, now())?;
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
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM callback WHERE status = 'pending' ORDER BY due_at, id"
        ))?;
        let callbacks = statement.query_map([], read)?.collect::<Result<Vec<_>, _>>()?;
        Ok(callbacks)
    }

    pub fn callback(&self, id: CallbackId) -> StoreResult<Callback> {
        let mut callback = self
            .conn
            .query_row(&format!("SELECT {COLUMNS} FROM callback WHERE id = ?1"), [id.0], read)
            .optional()?
            .ok_or_else(|| StoreError::Invalid(format!("no callback {id}")))?;
        callback.attempts = self.attempts(id)?;
        Ok(callback)
    }

    /// Every callback of a file with its attempts: pending first, then newest first.
    pub fn callbacks_of_file(&self, file: FileId) -> StoreResult<Vec<Callback>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM callback WHERE caller_file_id = ?1
             ORDER BY status = 'pending' DESC, due_at DESC, id DESC"
        ))?;
        let mut callbacks = statement.query_map([file.0], read)?.collect::<Result<Vec<_>, _>>()?;
        for callback in &mut callbacks {
            callback.attempts = self.attempts(callback.id)?;
        }
        Ok(callbacks)
    }

    fn attempts(&self, id: CallbackId) -> StoreResult<Vec<Attempt>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT attempted_at, listener_id, result, call_id FROM callback_attempt
             WHERE callback_id = ?1 ORDER BY attempted_at, id",
        )?;
        let attempts = statement
            .query_map([id.0], |row| {
                Ok(Attempt {
                    at: from_secs(row.get(0)?),
                    listener_id: ListenerId(row.get(1)?),
                    result: word(2, row.get(2)?)?,
                    call_id: row.get::<_, Option<i64>>(3)?.map(CallId),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(attempts)
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
            insert_attempt(tx, id, &attempt, reschedule_to)?;
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
                expect_version(tx, id, version)?;
            }
            rollup::changing(tx, &[Rows::Callback(id)], || {
                close(tx, id, CallbackStatus::Cancelled, Some(reason.trim()), now())
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
        let mut statement = self.conn.prepare_cached(
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
        )?;
        let entries = statement
            .query_map([to_secs(now)], |row| {
                Ok(QueueEntry {
                    id: CallbackId(row.get(0)?),
                    file_code: file_code(row, 1)?,
                    due_at: from_secs(row.get(2)?),
                    priority: word(3, row.get(3)?)?,
                    assignee: match row.get::<_, Option<i64>>(4)? {
                        Some(id) => Assignee::Listener(ListenerId(id)),
                        None => Assignee::Anyone,
                    },
                    assignee_name: row.get(5)?,
                    attempts: row.get(6)?,
                    version: row.get(7)?,
                    file_id: FileId(row.get(8)?),
                    flagged: row.get(9)?,
                    note: row.get(10)?,
                    channel: row.get(11)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(entries)
    }
}
