//! The figures of a shift or a period, from SQL aggregates over the store: the summary screen
//! and every export read them here, so they cannot disagree.

use super::audit::ExportedKey;
use super::db::{Db, Value};
use super::error::{StoreError, StoreResult};
use super::rows::{from_secs, parse_word as word, parse_word_opt as word_opt, to_secs};
use super::seal::Field;
use super::{Store, audit};
use crate::db_params;
use crate::domain::assessment::{Rud, RudLevel};
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::call::{CallType, Outcome};
use crate::domain::statistics::lengths_of;
use crate::domain::summary::{
    CallRow, CallbackCounts, ChannelCounts, FileCounts, PromptCount, RudCounts, Scope, Summary, WrittenCounts,
};
use crate::domain::{ShiftId, Timestamp};
use crate::i18n::Phrase;
use std::collections::BTreeMap;

/// What to make figures of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeRequest {
    Shift(ShiftId),
    Period { from: Timestamp, to: Timestamp },
}

/// The last entry of the audit chain when an export was made (the export's own entry):
/// a later truncation of the log shows as a missing entry with this hash. With it, its
/// signature and every account's signing keys: a log or keys rewritten later contradict the
/// export.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditHead {
    pub entry: i64,
    pub hash: String,
    /// False when the store was read-only: the export is not in the log, and the head is
    /// the last entry before it.
    pub recorded: bool,
    /// Who signed the head entry (a listener id), and the Ed25519 signature in hexadecimal;
    /// `None` for an entry written before signing began.
    pub signed_by: Option<i64>,
    pub signature: Option<String>,
    pub signing_keys: Vec<ExportedKey>,
}

/// The separator of lists built by `group_concat` (themes may contain commas).
const SEP: char = '\u{1f}';

/// The one pass over a scope's contacts (`calls_where` selects them): every column it reads is
/// in the index `call_statistics`, so it never reads a call's row (nor its notes).
pub(super) fn contacts_pass(calls_where: &str) -> String {
    format!(
        "SELECT c.call_type, c.outcome, c.rud_risk, c.rud_urgency, c.rud_danger, c.ended_at - c.started_at,
                c.channel, c.time_spent, count(*)
         FROM call c WHERE {calls_where} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
    )
}

/// Files opened and closed in `[from, to)` (seconds).
pub(super) fn period_files(db: &Db, from: i64, to: i64) -> StoreResult<FileCounts> {
    Ok(FileCounts {
        opened: db.query_row(
            "SELECT count(*) FROM caller_file WHERE created_at >= ?1 AND created_at < ?2",
            db_params![from, to],
            |row| row.get(0),
        )?,
        closed: db.query_row(
            "SELECT count(*) FROM file_event WHERE kind = 'closed' AND at >= ?1 AND at < ?2",
            db_params![from, to],
            |row| row.get(0),
        )?,
    })
}

/// The whole store's callbacks pending at `now`, and of those overdue. CASE, not sum() of a
/// comparison: the server's comparisons are booleans, which it does not add up.
pub(super) fn pending_now(db: &Db, now: Timestamp) -> StoreResult<(u32, u32)> {
    db.query_row(
        "SELECT count(*), coalesce(sum(CASE WHEN due_at < ?1 THEN 1 ELSE 0 END), 0) FROM callback WHERE status = 'pending'",
        db_params![to_secs(now)],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
}

impl Store {
    fn scope(&self, request: ScopeRequest, now: Timestamp) -> StoreResult<Scope> {
        Ok(match request {
            ScopeRequest::Shift(id) => {
                let shift = self.shift(id)?;
                let listener = self
                    .listener_names()?
                    .remove(&shift.listener_id)
                    .unwrap_or_else(|| shift.listener_id.to_string());
                Scope::Shift {
                    id,
                    listener_id: shift.listener_id,
                    listener,
                    from: shift.started_at,
                    to: shift.ended_at.unwrap_or(now),
                }
            }
            ScopeRequest::Period { from, to } => {
                if to <= from {
                    return Err(StoreError::Refused(Phrase::new(|s| &s.cli.period_backwards)));
                }
                Scope::Period { from, to }
            }
        })
    }

    /// The figures of a shift (its own calls) or of a period (calls started in it), counted from
    /// the calls themselves: exact, medians included (the statistics of long periods read the
    /// rollup instead, `Store::statistics`).
    pub fn summary(&self, request: ScopeRequest, now: Timestamp) -> StoreResult<Summary> {
        let scope = self.scope(request, now)?;
        let (calls_where, args): (&str, Vec<i64>) = match &scope {
            Scope::Shift { id, .. } => ("c.shift_id = ?1", vec![id.0]),
            Scope::Period { from, to } => {
                ("c.started_at >= ?1 AND c.started_at < ?2", vec![to_secs(*from), to_secs(*to)])
            }
        };
        let (from, to) = match &scope {
            Scope::Shift { from, to, .. } | Scope::Period { from, to } => (to_secs(*from), to_secs(*to)),
        };
        let db = &self.conn;
        let args: Vec<Value> = args.into_iter().map(Value::from).collect();

        // One pass over the contacts: type, outcome, RUD, length, channel and time spent together
        // (the covering index `call_statistics` holds them all), folded here into each
        // breakdown. Calls, chats and SMS last from start to end; written contacts (a time
        // spent) are counted apart, so an e-mail answered over a day does not stretch the
        // calls' median.
        let mut by_type = BTreeMap::new();
        let mut by_outcome = BTreeMap::new();
        let mut by_channel: BTreeMap<String, ChannelCounts> = BTreeMap::new();
        let mut spent: BTreeMap<i64, u32> = BTreeMap::new();
        let mut rud = RudCounts::default();
        let mut lengths: BTreeMap<(CallType, i64), u32> = BTreeMap::new();
        db.for_each(&contacts_pass(calls_where), &args, |row| {
            let call_type: CallType = word(0, row.get(0)?)?;
            let outcome: Option<Outcome> = word_opt(1, row.get(1)?)?;
            let count: u32 = row.get(8)?;
            *by_type.entry(call_type).or_insert(0) += count;
            if let Some(outcome) = outcome {
                *by_outcome.entry(outcome).or_insert(0) += count;
            }
            for (axis, column) in [(&mut rud.risk, 2), (&mut rud.urgency, 3), (&mut rud.danger, 4)] {
                let level: Option<RudLevel> = word_opt(column, row.get(column)?)?;
                axis.add(level, count);
            }
            let length: i64 = row.get(5)?;
            let time_spent: Option<i64> = row.get(7)?;
            let channel = by_channel.entry(row.get(6)?).or_default();
            channel.contacts += count;
            channel.seconds += time_spent.unwrap_or(length) * i64::from(count);
            match time_spent {
                Some(seconds) => *spent.entry(seconds).or_insert(0) += count,
                None => *lengths.entry((call_type, length)).or_insert(0) += count,
            }
            Ok(())
        })?;
        let all = lengths_of(None, lengths.iter().map(|(&(_, s), &n)| (s, n)));
        let written_seconds: i64 = spent.iter().map(|(s, n)| s * i64::from(*n)).sum();
        let written = lengths_of(None, spent.into_iter());
        let by_theme = db
            .query_map(
                &format!(
                    "SELECT t.theme, count(*) FROM call c JOIN call_theme t ON t.call_id = c.id WHERE {calls_where} GROUP BY 1"
                ),
                &args,
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?
            .into_iter()
            .collect();
        let mut prompts = db.query_map(
            &format!(
                "SELECT p.number, p.outcome, count(*) FROM call c JOIN emergency_prompt p ON p.call_id = c.id
                 WHERE {calls_where} GROUP BY 1, 2"
            ),
            &args,
            |row| Ok(PromptCount { number: row.get(0)?, outcome: row.get(1)?, count: row.get(2)? }),
        )?;
        // Ordered here: the file sorts a missing outcome first, the server last.
        prompts.sort_by(|a, b| (&a.number, &a.outcome).cmp(&(&b.number, &b.outcome)));

        let count =
            |sql: &str, params: &[Value]| -> StoreResult<u32> { db.query_row(sql, params, |row| row.get(0)) };
        let (created, done, files) = match &scope {
            Scope::Shift { id, listener_id, .. } => (
                count(
                    "SELECT count(*) FROM call c JOIN callback cb ON cb.origin_call_id = c.id WHERE c.shift_id = ?1",
                    db_params![id.0],
                )?,
                count(
                    "SELECT count(*) FROM callback_attempt WHERE result = 'reached' AND listener_id = ?1
                     AND attempted_at >= ?2 AND attempted_at <= ?3",
                    db_params![listener_id.0, from, to],
                )?,
                FileCounts {
                    opened: count(
                        "SELECT count(*) FROM caller_file f WHERE f.created_at >= ?2 AND f.created_at <= ?3
                         AND EXISTS (SELECT 1 FROM call c WHERE c.caller_file_id = f.id AND c.shift_id = ?1)",
                        db_params![id.0, from, to],
                    )?,
                    closed: count(
                        "SELECT count(*) FROM file_event WHERE kind = 'closed' AND listener_id = ?1
                         AND at >= ?2 AND at <= ?3",
                        db_params![listener_id.0, from, to],
                    )?,
                },
            ),
            Scope::Period { .. } => (
                count(
                    "SELECT count(*) FROM callback WHERE created_at >= ?1 AND created_at < ?2",
                    db_params![from, to],
                )?,
                count(
                    "SELECT count(*) FROM callback_attempt WHERE result = 'reached'
                     AND attempted_at >= ?1 AND attempted_at < ?2",
                    db_params![from, to],
                )?,
                period_files(db, from, to)?,
            ),
        };
        // Answered: the scope's phone calls but those that performed a callback (we called
        // them); a written contact or a chat never rang. The rollup's condition, so that the
        // two count alike (`callback_attempt_by_call` leads from a call to its attempt).
        let answered = count(
            &format!("SELECT count(*) FROM call c WHERE ({calls_where}) AND {}", super::rollup::ANSWERED),
            &args,
        )?;
        let missed = match &scope {
            Scope::Shift { id, .. } => {
                count("SELECT count(*) FROM missed_call WHERE shift_id = ?1", db_params![id.0])?
            }
            Scope::Period { .. } => count(
                "SELECT count(*) FROM missed_call WHERE rang_at >= ?1 AND rang_at < ?2",
                db_params![from, to],
            )?,
        };
        let (pending, overdue) = pending_now(db, now)?;

        let summary = Summary {
            scope,
            generated_at: now,
            calls: all.calls + written.calls,
            total_seconds: lengths.iter().map(|(&(_, s), &n)| s * i64::from(n)).sum(),
            median_seconds: all.median_seconds,
            by_channel,
            written: WrittenCounts {
                contacts: written.calls,
                total_seconds: written_seconds,
                median_seconds: written.median_seconds,
            },
            by_type,
            by_theme,
            by_outcome,
            rud,
            prompts,
            callbacks: CallbackCounts { created, done, pending, overdue },
            files,
            phone: crate::domain::phone::Offered::new(answered, missed),
        };
        Ok(summary)
    }

    /// The calls of a scope, one row each with their categories (and their notes when asked
    /// for: the caller checks who may), oldest first.
    pub fn call_rows(&self, request: ScopeRequest, include_notes: bool) -> StoreResult<Vec<CallRow>> {
        let (calls_where, args): (&str, Vec<i64>) = match request {
            ScopeRequest::Shift(id) => ("c.shift_id = ?1", vec![id.0]),
            ScopeRequest::Period { from, to } => {
                ("c.started_at >= ?1 AND c.started_at < ?2", vec![to_secs(from), to_secs(to)])
            }
        };
        let db = &self.conn;
        let args: Vec<Value> = args.into_iter().map(Value::from).collect();
        let joined = |expr: &str| joined(db, expr);
        let sql = format!(
            "SELECT c.started_at, c.ended_at - c.started_at, c.call_type, c.caller_file_id IS NOT NULL,
                    (SELECT {} FROM call_theme WHERE call_id = c.id),
                    c.rud_risk, c.rud_urgency, c.rud_danger,
                    (SELECT {} FROM emergency_prompt WHERE call_id = c.id),
                    (SELECT {} FROM call_orientation WHERE call_id = c.id),
                    c.outcome, c.notes, c.id, c.channel, c.time_spent
             FROM call c WHERE {calls_where} ORDER BY c.started_at, c.id",
            joined("theme"),
            joined("number || ':' || coalesce(outcome, 'waiting')"),
            joined("number"),
        );
        let list = |text: Option<String>| -> Vec<String> {
            text.map(|t| t.split(SEP).map(str::to_owned).collect()).unwrap_or_default()
        };
        db.query_map(&sql, &args, |row| {
            Ok(CallRow {
                started_at: from_secs(row.get(0)?),
                seconds: row.get(1)?,
                channel: row.get(13)?,
                time_spent: row.get(14)?,
                call_type: word(2, row.get(2)?)?,
                linked_to_file: row.get(3)?,
                themes: list(row.get(4)?),
                rud: Rud {
                    risk: word_opt(5, row.get(5)?)?,
                    urgency: word_opt(6, row.get(6)?)?,
                    danger: word_opt(7, row.get(7)?)?,
                },
                prompts: list(row.get(8)?),
                orientations: list(row.get(9)?),
                outcome: word_opt(10, row.get(10)?)?,
                notes: match include_notes {
                    true => Some(db.unseal(Field::CALL_NOTES, row.get(12)?, &row.get(11)?)?),
                    false => None,
                },
            })
        })
    }

    /// Records an export in the audit log and returns the chain's head — that very entry — for
    /// the export to carry. A period, notes, or another listener's shift need a supervisor.
    pub fn record_export(&mut self, request: ScopeRequest, include_notes: bool) -> StoreResult<AuditHead> {
        let object = match request {
            ScopeRequest::Period { .. } => {
                self.require_supervisor(|s| &s.cli.what_export_period)?;
                (ObjectKind::Database, None)
            }
            ScopeRequest::Shift(id) => {
                if self.shift(id)?.listener_id != self.actor.id {
                    self.require_supervisor(|s| &s.cli.what_export_other_shift)?;
                }
                (ObjectKind::Shift, Some(id.0))
            }
        };
        if include_notes {
            self.require_supervisor(|s| &s.cli.what_export_notes)?;
        }
        let action = if include_notes { AuditAction::ExportedWithNotes } else { AuditAction::Exported };
        let head = |conn: &Db, recorded: bool| -> StoreResult<AuditHead> {
            let head =
                audit::head(conn)?.ok_or_else(|| StoreError::Invalid("the audit log is empty".into()))?;
            Ok(AuditHead {
                entry: head.entry,
                hash: head.hash,
                recorded,
                signed_by: head.signed_by.map(|id| id.0),
                signature: head.signature.map(hex::encode),
                signing_keys: audit::exported_keys(conn)?,
            })
        };
        // On read-only media figures may leave unrecorded (the export says so); notes never.
        if self.access == super::Access::ReadOnly && !include_notes {
            return head(&self.conn, false);
        }
        self.write_unseen(|tx, actor| {
            audit::append(tx, Some(actor.id), action, object.0, object.1)?;
            head(tx.db(), true)
        })
    }
}

/// `expr` of every row joined with `SEP`, in each backend's words.
fn joined(db: &Db, expr: &str) -> String {
    if db.is_postgres() {
        format!("string_agg({expr}, chr(31))")
    } else {
        format!("group_concat({expr}, char(31))")
    }
}
