//! The statistics' rollup (schema 15): the facts of `domain::rollup` counted per UTC day and per
//! UTC month (`stat_count`), and contacts, phone calls answered and missed calls per UTC quarter
//! hour (`stat_quarter`), so that a year's figures read some thousands of rows.
//!
//! The facts are defined once, as SQL over the raw tables (`facts_sql`, `time_shape_sql`), and
//! used four ways: `count` takes away the facts of the rows a write is about to change and adds
//! them back once changed (or adds those of new rows), in the write's own transaction — the one
//! function every write path calls; `rebuild` counts every row when a store's rollup was made
//! by other rules (`RULES`: the first opening after the upgrade to schema 15); `check` recounts
//! and compares; and a period's hours that are not whole UTC days are counted from the raw rows
//! when it is read (`period_facts`). Statements are plain SQL both SQLite and PostgreSQL take
//! (`?N` parameters, CASE, upserts with ON CONFLICT, integer division of BIGINTs, days and
//! months reckoned here rather than by a date function of either), written once and run through
//! `store::db` on either backend.

use std::collections::BTreeMap;

use super::db::{Db, TxKind, Value};
use super::error::{StoreError, StoreResult};
use crate::db_params;
use crate::domain::channel::PHONE;
use crate::domain::rollup::{BIN_STEPS, FLAGGED, Facet, Fact};
use crate::domain::statistics::HourCount;
use crate::domain::{CallId, CallbackId, FileId};
use chrono::{Datelike, Duration, Months, NaiveDate};

/// The counting rules the code counts by; a store whose rollup was made by others is recounted
/// at its opening (`stat_rules`). Raise it whenever `facts_sql` or `time_shape_sql` change.
pub(super) const RULES: i64 = 1;

const DAY: i64 = 86_400;
/// The store's quarter hours, in seconds.
const QUARTER: i64 = crate::domain::statistics::QUARTER_SECONDS;

/// Which raw rows to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rows {
    Call(CallId),
    /// The calls of a file: its profile is part of their facts.
    CallsOfFile(FileId),
    Callback(CallbackId),
    Attempt(i64),
    Missed(i64),
    /// Every row written after these (a bulk load, at its commit).
    After(Marks),
    /// Every row of `[from, to)` (seconds), each at its own instant: a call when it started, a
    /// callback when it was scheduled, an attempt when it was made, a missed call when it rang.
    Between(i64, i64),
}

/// The last row id of each table facts are counted from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Marks {
    call: i64,
    callback: i64,
    attempt: i64,
    missed: i64,
}

impl Marks {
    pub(super) fn now(db: &Db) -> StoreResult<Marks> {
        db.query_row(
            "SELECT (SELECT coalesce(max(id), 0) FROM call), (SELECT coalesce(max(id), 0) FROM callback),
                    (SELECT coalesce(max(id), 0) FROM callback_attempt), (SELECT coalesce(max(id), 0) FROM missed_call)",
            db_params![],
            |row| Ok(Marks { call: row.get(0)?, callback: row.get(1)?, attempt: row.get(2)?, missed: row.get(3)? }),
        )
    }

    /// Whether `id` was a callback already there at this mark.
    pub(super) fn had_callback(&self, id: CallbackId) -> bool {
        id.0 <= self.callback
    }

    pub(super) fn had_call(&self, id: CallId) -> bool {
        id.0 <= self.call
    }
}

/// The condition selecting the rows in each source table (`c` calls, `cb` callbacks, `a`
/// attempts, `m` missed calls), and the parameters they use.
struct Selection {
    calls: &'static str,
    callbacks: &'static str,
    attempts: &'static str,
    missed: &'static str,
    params: Vec<i64>,
}

const NONE: &str = "0 = 1";

impl Selection {
    /// `sql` with the parameters it names, numbered afresh from `?1` when it skips some (facts
    /// are not counted from missed calls, the time shape not from callbacks): the server must
    /// know every parameter's type, and one a statement never names has none.
    fn bound(&self, sql: &str) -> (String, Vec<Value>) {
        let used: Vec<usize> = (1..=self.params.len()).filter(|&n| names_parameter(sql, n)).collect();
        let values = used.iter().map(|&n| Value::from(self.params[n - 1])).collect();
        if used.iter().enumerate().all(|(i, &n)| n == i + 1) {
            return (sql.to_owned(), values);
        }
        let mut out = String::with_capacity(sql.len());
        let mut rest = sql;
        while let Some(at) = rest.find('?') {
            out.push_str(&rest[..at]);
            let digits = rest[at + 1..].find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len() - at - 1);
            let n: usize = rest[at + 1..at + 1 + digits].parse().unwrap_or(0);
            match used.iter().position(|&u| u == n) {
                Some(i) => out.push_str(&format!("?{}", i + 1)),
                None => out.push_str(&rest[at..at + 1 + digits]),
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_str(rest);
        (out, values)
    }
}

/// Whether `sql` names the parameter `?n` (not merely a longer one, `?12` for `?1`).
fn names_parameter(sql: &str, n: usize) -> bool {
    let name = format!("?{n}");
    sql.match_indices(&name).any(|(at, _)| !sql[at + name.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

impl Rows {
    fn selection(self) -> Selection {
        let only = |calls, callbacks, attempts, missed, id: i64| Selection {
            calls,
            callbacks,
            attempts,
            missed,
            params: vec![id],
        };
        match self {
            Rows::Call(id) => only("c.id = ?1", NONE, NONE, NONE, id.0),
            Rows::CallsOfFile(file) => only("c.caller_file_id = ?1", NONE, NONE, NONE, file.0),
            Rows::Callback(id) => only(NONE, "cb.id = ?1", NONE, NONE, id.0),
            Rows::Attempt(id) => only(NONE, NONE, "a.id = ?1", NONE, id),
            Rows::Missed(id) => only(NONE, NONE, NONE, "m.id = ?1", id),
            Rows::After(marks) => Selection {
                calls: "c.id > ?1",
                callbacks: "cb.id > ?2",
                attempts: "a.id > ?3",
                missed: "m.id > ?4",
                params: vec![marks.call, marks.callback, marks.attempt, marks.missed],
            },
            Rows::Between(from, to) => Selection {
                calls: "c.started_at >= ?1 AND c.started_at < ?2",
                callbacks: "cb.created_at >= ?1 AND cb.created_at < ?2",
                attempts: "a.attempted_at >= ?1 AND a.attempted_at < ?2",
                missed: "m.rang_at >= ?1 AND m.rang_at < ?2",
                params: vec![from, to],
            },
        }
    }
}

/// The first second of the bin of `expr` seconds (`domain::rollup::bin_start`), as text.
fn bin_sql(expr: &str) -> String {
    let mut sql = String::from("CAST(CASE");
    for (i, &(from, width)) in BIN_STEPS.iter().enumerate().rev() {
        let floor = format!("{from} + ({expr} - {from}) / {width} * {width}");
        if i == 0 {
            sql.push_str(&format!(" ELSE {floor} END AS TEXT)"));
        } else {
            sql.push_str(&format!(" WHEN {expr} >= {from} THEN {floor}"));
        }
    }
    sql
}

/// Whether a call `c` was answered on the phone: a phone call that did not perform a callback
/// (then we called). The summary's `answered` is the same condition.
pub(super) const ANSWERED: &str = "c.channel = 'phone'
    AND NOT EXISTS (SELECT 1 FROM callback_attempt x WHERE x.call_id = c.id)";

/// Every fact of the selected rows, summed by UTC day (days since 1970), facet, value and detail.
fn facts_sql(s: &Selection) -> String {
    let (calls, callbacks, attempts) = (s.calls, s.callbacks, s.attempts);
    let f = |facet: Facet| format!("'{}'", facet.as_str());
    let file = "LEFT JOIN caller_file p ON p.id = c.caller_file_id";
    let length = "c.ended_at - c.started_at";
    let delay =
        "(SELECT min(a.attempted_at) FROM callback_attempt a WHERE a.callback_id = cb.id) - cb.due_at";
    let rud = |facet: Facet, column: &str| {
        format!(
            "SELECT c.started_at, {}, coalesce(c.{column}, ''), '', 1, 0 FROM call c WHERE {calls}",
            f(facet)
        )
    };
    // The three words of the file's profile from one look-up of the file per call.
    let (age, gender, relation) = (f(Facet::AgeBand), f(Facet::Gender), f(Facet::Relation));
    let profile = format!(
        "SELECT c.started_at, k.facet,
                CASE k.facet WHEN {age} THEN coalesce(p.age_band, '') WHEN {gender} THEN coalesce(p.gender, '')
                             ELSE coalesce(p.relation, '') END, '', 1, 0
         FROM call c {file}
         CROSS JOIN (SELECT {age} AS facet UNION ALL SELECT {gender} UNION ALL SELECT {relation}) k
         WHERE {calls}"
    );
    let branches = [
        format!(
            "SELECT c.started_at AS at, {} AS facet, c.channel AS value, '' AS detail, 1 AS n,
                    coalesce(c.time_spent, {length}) AS seconds FROM call c WHERE {calls}",
            f(Facet::Channel)
        ),
        format!("SELECT c.started_at, {}, c.call_type, '', 1, 0 FROM call c WHERE {calls}", f(Facet::Type)),
        format!(
            "SELECT c.started_at, {}, c.outcome, '', 1, 0 FROM call c WHERE ({calls}) AND c.outcome IS NOT NULL",
            f(Facet::Outcome)
        ),
        rud(Facet::Risk, "rud_risk"),
        rud(Facet::Urgency, "rud_urgency"),
        rud(Facet::Danger, "rud_danger"),
        format!(
            "SELECT c.started_at, {}, c.call_type, {}, 1, {length} FROM call c
             WHERE ({calls}) AND c.time_spent IS NULL",
            f(Facet::Length),
            bin_sql(length)
        ),
        format!(
            "SELECT c.started_at, {}, '', {}, 1, c.time_spent FROM call c WHERE ({calls}) AND c.time_spent IS NOT NULL",
            f(Facet::Written),
            bin_sql("c.time_spent")
        ),
        profile,
        format!(
            "SELECT c.started_at, {}, t.theme, coalesce(p.gender, ''), 1, 0
             FROM call c JOIN call_theme t ON t.call_id = c.id {file} WHERE {calls}",
            f(Facet::Theme)
        ),
        format!(
            "SELECT c.started_at, {}, e.number, coalesce(e.outcome, ''), 1, 0
             FROM call c JOIN emergency_prompt e ON e.call_id = c.id WHERE {calls}",
            f(Facet::Prompt)
        ),
        format!(
            "SELECT cb.created_at, {}, cb.status, CASE WHEN cb.flagged = 1 THEN '{FLAGGED}' ELSE '' END, 1, 0
             FROM callback cb WHERE {callbacks}",
            f(Facet::Callback)
        ),
        format!(
            "SELECT d.at, {}, '', {}, 1, d.seconds
             FROM (SELECT e.at, CASE WHEN e.late < 0 THEN 0 ELSE e.late END AS seconds
                   FROM (SELECT cb.created_at AS at, {delay} AS late FROM callback cb WHERE {callbacks}) e
                   WHERE e.late IS NOT NULL) d",
            f(Facet::FirstAttempt),
            bin_sql("d.seconds")
        ),
        format!(
            "SELECT a.attempted_at, {}, '', '', 1, 0 FROM callback_attempt a WHERE ({attempts}) AND a.result = 'reached'",
            f(Facet::Reached)
        ),
    ];
    format!(
        "SELECT f.at / {DAY}, f.facet, f.value, f.detail, sum(f.n), sum(f.seconds) FROM ({}) f GROUP BY 1, 2, 3, 4",
        branches.join("\n UNION ALL ")
    )
}

/// Contacts, phone calls answered and missed calls of the selected rows, by UTC quarter hour.
fn time_shape_sql(s: &Selection) -> String {
    debug_assert!(ANSWERED.contains(&format!("'{PHONE}'")));
    format!(
        "SELECT t.at / {QUARTER}, sum(t.contacts), sum(t.answered), sum(t.missed) FROM (
           SELECT c.started_at AS at, 1 AS contacts, CASE WHEN {ANSWERED} THEN 1 ELSE 0 END AS answered, 0 AS missed
           FROM call c WHERE {calls}
           UNION ALL SELECT m.rang_at, 0, 0, 1 FROM missed_call m WHERE {missed}
         ) t GROUP BY 1",
        calls = s.calls,
        missed = s.missed
    )
}

/// A row of `stat_count`: span, its first day, facet, value, detail.
type CountKey = (&'static str, i64, String, String, String);

/// What counting some rows gives: (n, seconds) per `stat_count` row, (contacts, answered,
/// missed) per quarter hour.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counted {
    counts: BTreeMap<CountKey, (i64, i64)>,
    quarters: BTreeMap<i64, (i64, i64, i64)>,
}

/// The first day of the UTC month of `day` (days since 1970).
fn month_of(day: i64) -> i64 {
    let date = date_of(day);
    day - i64::from(date.day0())
}

fn date_of(day: i64) -> NaiveDate {
    NaiveDate::default() + Duration::days(day)
}

fn day_number(date: NaiveDate) -> i64 {
    (date - NaiveDate::default()).num_days()
}

/// The facts of `rows`, each counted in its day's row and its month's, and (with `quarters`)
/// their contacts, answered and missed calls by quarter hour.
fn recount(db: &Db, rows: Rows, quarters: bool) -> StoreResult<Counted> {
    let selection = rows.selection();
    let mut counted = Counted::default();
    let (sql, params) = selection.bound(&facts_sql(&selection));
    db.query_map(&sql, &params, |row| {
        let day: i64 = row.get(0)?;
        let (facet, value, detail): (String, String, String) = (row.get(1)?, row.get(2)?, row.get(3)?);
        let (n, seconds): (i64, i64) = (row.get(4)?, row.get(5)?);
        for key in [("day", day), ("month", month_of(day))] {
            let sum = counted
                .counts
                .entry((key.0, key.1, facet.clone(), value.clone(), detail.clone()))
                .or_default();
            sum.0 += n;
            sum.1 += seconds;
        }
        Ok(())
    })?;
    if quarters {
        let (sql, params) = selection.bound(&time_shape_sql(&selection));
        db.query_map(&sql, &params, |row| {
            counted.quarters.insert(row.get(0)?, (row.get(1)?, row.get(2)?, row.get(3)?));
            Ok(())
        })?;
    }
    Ok(counted)
}

/// Adds (`sign` 1) or takes away (-1) the facts of `rows` to the rollup: called by every write
/// that changes what they count, in its transaction — before a change with -1 and after it
/// with 1 on the rows it changes, after an insertion with 1 on the new rows. Taking away what
/// the rollup does not hold (it disagrees with the raw rows: a fault `check` reports) never
/// fails the write: the rollup is marked for counting afresh at the next opening. Nor does a
/// fault of the upkeep itself (a statement refused, a constraint, a bug): its changes are rolled
/// back to a savepoint, the rollup is marked stale the same way and the listener's write goes on;
/// only what would fail the write anyway (a full disk, an I/O error, a busy or damaged file) fails it.
///
/// On the server a refused statement aborts the whole transaction until the savepoint is rolled
/// back to; `Db::rollback_to` clears the executor's note of it then (never a lost connection's),
/// so the write commits there too.
pub(super) fn count(db: &Db, rows: Rows, sign: i64) -> StoreResult<()> {
    db.savepoint(UPKEEP, GENERIC_PLANS)?;
    match count_in_place(db, rows, sign) {
        Ok(()) => db.release(UPKEEP, CUSTOM_PLANS),
        Err(err) => {
            let undone = db.rollback_to(UPKEEP).and_then(|()| db.release(UPKEEP, ""));
            if !upkeep_fault(&err) {
                return Err(err);
            }
            undone?;
            mark_stale(db)
        }
    }
}

/// The savepoint the upkeep runs under.
const UPKEEP: &str = "rollup_upkeep";

/// On the server, the upkeep's statements may keep a plan made once for any parameters (after
/// five runs, when it costs no more than the plans made for each): they read a call's or a
/// callback's rows by id, and planning the facts' query for every save cost 3.6 ms, three times
/// its run (`EXPLAIN ANALYZE`), five times a save. Every other statement is planned for its
/// parameters (`connect::SESSION`: a search's generic plan once walked every call), as again
/// after the upkeep; a rollback to the savepoint undoes the setting too.
const GENERIC_PLANS: &str = "SET LOCAL plan_cache_mode = auto";
const CUSTOM_PLANS: &str = "SET LOCAL plan_cache_mode TO DEFAULT";

/// Whether an error of the rollup's upkeep is its own (the write goes on with the rollup marked
/// stale) rather than one the write itself would meet (it fails as it would without a rollup):
/// on the file, all but an I/O error (a full disk, a busy or damaged file have errors of their
/// own); on the server, a statement refused (or one the client could not send), but not a lost
/// connection nor the server out of disk, memory or its own files (SQLSTATE classes 53, 58).
fn upkeep_fault(err: &StoreError) -> bool {
    match err {
        StoreError::Sqlite(e) => e.sqlite_error_code() != Some(rusqlite::ErrorCode::SystemIoFailure),
        // A lost connection is `ConnectionLost`, never `Server`.
        StoreError::Server(e) => {
            let code = e.as_db_error().map(|db| db.code().code());
            !code.is_some_and(|code| code.starts_with("53") || code.starts_with("58"))
        }
        StoreError::Invalid(_) => true,
        _ => false,
    }
}

/// Marks the rollup for counting afresh: its rules forgotten, and a recount under way starts
/// over (what it counted already may be what is now found wrong).
fn mark_stale(db: &Db) -> StoreResult<()> {
    db.execute_batch("DELETE FROM stat_rules; DELETE FROM stat_rebuild;")
}

/// [`count`] without its savepoint: a fault fails the caller (the rebuild's own transaction).
fn count_in_place(db: &Db, rows: Rows, sign: i64) -> StoreResult<()> {
    let counted = recount(db, rows, true)?;
    let mut disagrees = false;
    // Each `stat_count` row as its key then (n, seconds); each quarter as its hour then
    // (contacts, answered, missed): the values of one statement's rows.
    let counts: Vec<Value> = counted
        .counts
        .iter()
        .flat_map(|((span, first_day, facet, value, detail), (n, seconds))| {
            [
                Value::from(*span),
                Value::from(*first_day),
                Value::from(facet),
                Value::from(value),
                Value::from(detail),
                Value::from(*n),
                Value::from(*seconds),
            ]
        })
        .collect();
    let quarters: Vec<Value> = counted
        .quarters
        .iter()
        .flat_map(|(quarter, (contacts, answered, missed))| {
            [Value::from(*quarter), Value::from(*contacts), Value::from(*answered), Value::from(*missed)]
        })
        .collect();
    if sign > 0 {
        db.insert_rows(
            "INSERT INTO stat_count (span, first_day, facet, value, detail, n, seconds) VALUES",
            "ON CONFLICT (span, first_day, facet, value, detail)
             DO UPDATE SET n = stat_count.n + excluded.n, seconds = stat_count.seconds + excluded.seconds",
            7,
            &counts,
        )?;
        db.insert_rows(
            "INSERT INTO stat_quarter (quarter, contacts, answered, missed) VALUES",
            "ON CONFLICT (quarter) DO UPDATE SET contacts = stat_quarter.contacts + excluded.contacts,
                 answered = stat_quarter.answered + excluded.answered, missed = stat_quarter.missed + excluded.missed",
            4,
            &quarters,
        )?;
    } else {
        // An UPDATE, not an upsert: SQLite checks a row's CHECK constraints before its conflict.
        // A fact the rollup holds less of than is taken away is one it disagrees on.
        let taken = db.with_rows(
            "UPDATE stat_count SET n = stat_count.n - v.column6, seconds = stat_count.seconds - v.column7
             FROM (VALUES",
            ") AS v WHERE stat_count.span = v.column1 AND stat_count.first_day = v.column2
               AND stat_count.facet = v.column3 AND stat_count.value = v.column4
               AND stat_count.detail = v.column5 AND stat_count.n >= v.column6",
            &["TEXT", "BIGINT", "TEXT", "TEXT", "TEXT", "BIGINT", "BIGINT"],
            &counts,
        )?;
        disagrees |= taken < counted.counts.len();
        let keys: Vec<Value> = counts.chunks(7).flat_map(|row| row[..5].iter().cloned()).collect();
        db.with_rows(
            "DELETE FROM stat_count WHERE n = 0 AND (span, first_day, facet, value, detail) IN (VALUES",
            ")",
            &["TEXT", "BIGINT", "TEXT", "TEXT", "TEXT"],
            &keys,
        )?;
        let taken = db.with_rows(
            "UPDATE stat_quarter SET contacts = stat_quarter.contacts - v.column2,
                 answered = stat_quarter.answered - v.column3, missed = stat_quarter.missed - v.column4
             FROM (VALUES",
            ") AS v WHERE stat_quarter.quarter = v.column1 AND stat_quarter.contacts >= v.column2
               AND stat_quarter.answered >= v.column3 AND stat_quarter.missed >= v.column4",
            &["BIGINT", "BIGINT", "BIGINT", "BIGINT"],
            &quarters,
        )?;
        disagrees |= taken < counted.quarters.len();
        let hours: Vec<Value> = quarters.chunks(4).map(|row| row[0].clone()).collect();
        db.with_rows(
            "DELETE FROM stat_quarter WHERE contacts = 0 AND missed = 0 AND quarter IN (VALUES",
            ")",
            &["BIGINT"],
            &hours,
        )?;
    }
    if disagrees {
        mark_stale(db)?;
    }
    Ok(())
}

/// Makes `change` to the rows `rows` with the rollup kept: their facts taken away before, added
/// back after (what a change of a call, a callback or a file's profile calls).
pub(super) fn changing<T>(db: &Db, rows: &[Rows], change: impl FnOnce() -> StoreResult<T>) -> StoreResult<T> {
    for &r in rows {
        count(db, r, -1)?;
    }
    let done = change()?;
    for &r in rows {
        count(db, r, 1)?;
    }
    Ok(done)
}

/// The UTC months holding every row facts are counted from, as [from, to) in seconds.
fn months(db: &Db) -> StoreResult<Vec<(i64, i64)>> {
    let (first, last): (Option<i64>, Option<i64>) = db.query_row(
        "SELECT min(t.at), max(t.at) FROM (
           SELECT min(started_at) AS at FROM call UNION ALL SELECT max(started_at) FROM call
           UNION ALL SELECT min(created_at) FROM callback UNION ALL SELECT max(created_at) FROM callback
           UNION ALL SELECT min(attempted_at) FROM callback_attempt UNION ALL SELECT max(attempted_at) FROM callback_attempt
           UNION ALL SELECT min(rang_at) FROM missed_call UNION ALL SELECT max(rang_at) FROM missed_call) t",
        db_params![],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let (Some(first), Some(last)) = (first, last) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    let mut month = date_of(month_of(first.div_euclid(DAY)));
    while day_number(month) * DAY <= last {
        let next = month + Months::new(1);
        out.push((day_number(month) * DAY, day_number(next) * DAY));
        month = next;
    }
    Ok(out)
}

/// Counts every row afresh when the rollup was made by other rules than the code's (the first
/// opening after the upgrade to schema 15) or was found stale: one UTC month per short write
/// transaction, so another terminal's save waits at most one month's count. Each month's step
/// is whole (its rows deleted and counted again) and moves the cursor in `stat_rebuild`: a
/// recount cut short resumes there. A write between two steps stays right: in a month counted
/// already it is counted as any write, in one not yet counted it is counted again with its
/// month. The rules are set only when every month is counted. Whether it counted.
pub(super) fn rebuild_if_stale(db: &Db) -> StoreResult<bool> {
    let mut counted = false;
    while rebuild_step(db)? {
        counted = true;
    }
    Ok(counted)
}

/// Marks the rollup of a new, empty store as counted by the code's rules (in `init`'s
/// transaction: there is nothing to count).
pub(super) fn start_counted(db: &Db) -> StoreResult<()> {
    db.execute("INSERT INTO stat_rules (id, rules) VALUES (1, ?1)", db_params![RULES])?;
    Ok(())
}

/// One step of [`rebuild_if_stale`] in its own transaction: `false` when nothing is left to count.
pub(super) fn rebuild_step(db: &Db) -> StoreResult<bool> {
    let tx = db.transaction(TxKind::Write)?;
    if is_current(&tx)? {
        return Ok(false);
    }
    let cursor: Option<(i64, i64)> =
        tx.query_opt("SELECT rules, next_month FROM stat_rebuild", db_params![], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    let next = match cursor {
        Some((rules, next)) if rules == RULES => next,
        // Starting over: nothing of the old count is kept.
        _ => {
            tx.execute_batch("DELETE FROM stat_count; DELETE FROM stat_quarter;")?;
            i64::MIN
        }
    };
    match months(&tx)?.into_iter().find(|&(from, _)| from >= next) {
        Some((from, to)) => {
            tx.execute(
                "DELETE FROM stat_count WHERE (span = 'day' AND first_day >= ?1 AND first_day < ?2)
                    OR (span = 'month' AND first_day = ?1)",
                db_params![from / DAY, to / DAY],
            )?;
            tx.execute(
                "DELETE FROM stat_quarter WHERE quarter >= ?1 AND quarter < ?2",
                db_params![from / QUARTER, to / QUARTER],
            )?;
            count_in_place(&tx, Rows::Between(from, to), 1)?;
            tx.execute(
                "INSERT INTO stat_rebuild (id, rules, next_month) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, next_month = excluded.next_month",
                db_params![RULES, to],
            )?;
        }
        None => {
            tx.execute("DELETE FROM stat_rebuild", db_params![])?;
            tx.execute(
                "INSERT INTO stat_rules (id, rules) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET rules = excluded.rules",
                db_params![RULES],
            )?;
        }
    }
    tx.commit()?;
    Ok(true)
}

/// Whether the rollup was made by the code's rules (a read-only store is not recounted).
pub(super) fn is_current(db: &Db) -> StoreResult<bool> {
    let rules: Option<i64> =
        db.query_row("SELECT max(rules) FROM stat_rules", db_params![], |row| row.get(0))?;
    Ok(rules == Some(RULES))
}

/// Where the rollup and a recount of the raw rows disagree: the first month that differs, as
/// its first day (`None`: they agree everywhere). `progress(done, total)` follows the months.
pub(super) fn check(db: &Db, progress: &mut dyn FnMut(u64, u64)) -> StoreResult<Option<NaiveDate>> {
    let months = months(db)?;
    let total = months.len() as u64;
    let (mut counted_rows, mut quarters) = (0i64, 0i64);
    for (i, &(from, to)) in months.iter().enumerate() {
        let expected = recount(db, Rows::Between(from, to), true)?;
        let stored = stored(db, from, to)?;
        if stored != expected {
            return Ok(Some(date_of(from / DAY)));
        }
        counted_rows += expected.counts.len() as i64;
        quarters += expected.quarters.len() as i64;
        progress(i as u64 + 1, total);
    }
    // Nothing outside the months counted.
    let (all_rows, all_quarters): (i64, i64) = db.query_row(
        "SELECT (SELECT count(*) FROM stat_count), (SELECT count(*) FROM stat_quarter)",
        db_params![],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    if all_rows != counted_rows || all_quarters != quarters {
        return Ok(Some(NaiveDate::default()));
    }
    Ok(None)
}

/// What the rollup holds for the UTC month `[from, to)`.
fn stored(db: &Db, from: i64, to: i64) -> StoreResult<Counted> {
    let mut counted = Counted::default();
    db.query_map(
        "SELECT span, first_day, facet, value, detail, n, seconds FROM stat_count
         WHERE (span = 'day' AND first_day >= ?1 AND first_day < ?2) OR (span = 'month' AND first_day = ?1)",
        db_params![from / DAY, to / DAY],
        |row| {
            let span = if row.get::<String>(0)? == "day" { "day" } else { "month" };
            counted.counts.insert(
                (span, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?),
                (row.get(5)?, row.get(6)?),
            );
            Ok(())
        },
    )?;
    db.query_map(
        "SELECT quarter, contacts, answered, missed FROM stat_quarter WHERE quarter >= ?1 AND quarter < ?2",
        db_params![from / QUARTER, to / QUARTER],
        |row| {
            counted.quarters.insert(row.get(0)?, (row.get(1)?, row.get(2)?, row.get(3)?));
            Ok(())
        },
    )?;
    Ok(counted)
}

/// How a period `[from, to)` (seconds) is read: runs of rollup rows of whole UTC months and
/// days, and raw rows for what is no whole day at its ends, each added (1) or taken away (-1):
/// a month or a day mostly inside the period is cheaper read whole, less what lies outside.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Plan {
    /// Runs of rollup rows: (span, first day of the first, first day after the last, sign).
    pub spans: Vec<(&'static str, i64, i64, i64)>,
    /// Raw rows: (from, to, sign), in seconds.
    pub raw: Vec<(i64, i64, i64)>,
}

pub(super) fn plan(from: i64, to: i64) -> Plan {
    let mut plan = Plan::default();
    if from >= to {
        return plan;
    }
    // Whole days [first, end); the hours of a partial day at either end read raw, or its whole
    // day read less the raw hours outside, whichever reads fewer hours.
    let (mut first, mut end) = (from.div_euclid(DAY), to.div_euclid(DAY));
    if from.rem_euclid(DAY) != 0 {
        if (first + 1) * DAY - from > DAY / 2 {
            plan.raw.push((first * DAY, from, -1));
        } else {
            plan.raw.push((from, (first + 1) * DAY, 1));
            first += 1;
        }
    }
    if to.rem_euclid(DAY) != 0 {
        if to - end * DAY > DAY / 2 {
            plan.raw.push((to, (end + 1) * DAY, -1));
            end += 1;
        } else {
            plan.raw.push((end * DAY, to, 1));
        }
    }
    if first >= end {
        return Plan { spans: Vec::new(), raw: vec![(from, to, 1)] };
    }
    let mut month = month_of(first);
    while month < end {
        let next = day_number(date_of(month) + Months::new(1));
        let (start, stop) = (month.max(first), next.min(end));
        let (inside, outside) = (stop - start, (next - month) - (stop - start));
        if outside == 0 {
            push_run(&mut plan.spans, "month", month, next, 1);
        } else if inside > outside + 1 {
            push_run(&mut plan.spans, "month", month, next, 1);
            if month < start {
                push_run(&mut plan.spans, "day", month, start, -1);
            }
            if stop < next {
                push_run(&mut plan.spans, "day", stop, next, -1);
            }
        } else {
            push_run(&mut plan.spans, "day", start, stop, 1);
        }
        month = next;
    }
    plan
}

/// Adds a run of rows, joined to the last one when it continues it.
fn push_run(
    spans: &mut Vec<(&'static str, i64, i64, i64)>,
    span: &'static str,
    from: i64,
    to: i64,
    sign: i64,
) {
    if let Some(last) = spans.last_mut()
        && last.0 == span
        && last.3 == sign
        && last.2 == from
    {
        last.2 = to;
        return;
    }
    spans.push((span, from, to, sign));
}

/// The facts of `[from, to)`, as `plan` reads them.
pub(super) fn period_facts(db: &Db, from: i64, to: i64) -> StoreResult<Vec<Fact>> {
    let mut sums: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
    let plan = plan(from, to);
    for &(span, first, end, sign) in &plan.spans {
        db.query_map(
            "SELECT facet, value, detail, sum(n), sum(seconds) FROM stat_count
             WHERE span = ?1 AND first_day >= ?2 AND first_day < ?3 GROUP BY 1, 2, 3",
            db_params![span, first, end],
            |row| {
                let sum = sums.entry((row.get(0)?, row.get(1)?, row.get(2)?)).or_default();
                sum.0 += sign * row.get::<i64>(3)?;
                sum.1 += sign * row.get::<i64>(4)?;
                Ok(())
            },
        )?;
    }
    for &(from, to, sign) in &plan.raw {
        for ((span, _, facet, value, detail), (n, seconds)) in
            recount(db, Rows::Between(from, to), false)?.counts
        {
            if span == "day" {
                let sum = sums.entry((facet, value, detail)).or_default();
                sum.0 += sign * n;
                sum.1 += sign * seconds;
            }
        }
    }
    Ok(sums
        .into_iter()
        .filter(|(_, (n, _))| *n != 0)
        .filter_map(|((facet, value, detail), (n, seconds))| {
            Some(Fact { facet: facet.parse().ok()?, value, detail, n, seconds })
        })
        .collect())
}

/// Contacts, phone calls answered and missed calls of the quarter hours `[from, to)` (quarter
/// numbers: seconds / 900), in order; a plain scan of the table's keys, folded by the caller.
pub(super) fn quarters(db: &Db, from: i64, to: i64) -> StoreResult<Vec<(i64, HourCount)>> {
    db.query_map(
        "SELECT quarter, contacts, answered, missed FROM stat_quarter
         WHERE quarter >= ?1 AND quarter < ?2 ORDER BY quarter",
        db_params![from, to],
        |row| {
            Ok((row.get(0)?, HourCount { contacts: row.get(1)?, answered: row.get(2)?, missed: row.get(3)? }))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> i64 {
        day_number(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    /// On the server the upkeep's statements may keep a generic plan, and only they: the
    /// session's own setting (plans made for each statement's parameters) is back after the
    /// upkeep, whether it was kept or rolled back.
    #[test]
    fn only_the_upkeep_keeps_its_plans_on_the_server() {
        let test = "only_the_upkeep_keeps_its_plans_on_the_server";
        let Some(database) = crate::test_support::postgres::fresh_database(test) else { return };
        let db = Db::connect(&crate::store::postgres::ServerUrl::parse(database.url()).unwrap()).unwrap();
        let plans = |db: &Db| {
            db.query_row("SELECT current_setting('plan_cache_mode')", db_params![], |row| {
                row.get::<String>(0)
            })
            .unwrap()
        };
        assert_eq!(plans(&db), "force_custom_plan");
        let tx = db.transaction(crate::store::db::TxKind::Write).unwrap();
        tx.savepoint(UPKEEP, GENERIC_PLANS).unwrap();
        assert_eq!(plans(&tx), "auto", "in the upkeep");
        tx.release(UPKEEP, CUSTOM_PLANS).unwrap();
        assert_eq!(plans(&tx), "force_custom_plan", "after it");
        tx.savepoint(UPKEEP, GENERIC_PLANS).unwrap();
        tx.rollback_to(UPKEEP).unwrap();
        tx.release(UPKEEP, "").unwrap();
        assert_eq!(plans(&tx), "force_custom_plan", "after an upkeep rolled back");
        tx.commit().unwrap();
    }

    #[test]
    fn a_statement_skipping_parameters_is_numbered_afresh() {
        let selection = Rows::After(Marks { call: 7, callback: 8, attempt: 9, missed: 10 }).selection();
        let (sql, params) = selection.bound("SELECT 1 WHERE a > ?1 UNION ALL SELECT 2 WHERE b > ?4");
        assert_eq!(sql, "SELECT 1 WHERE a > ?1 UNION ALL SELECT 2 WHERE b > ?2");
        assert_eq!(params, vec![Value::from(7i64), Value::from(10i64)]);
        let (sql, params) = selection.bound("SELECT ?1, ?2, ?3");
        assert_eq!((sql.as_str(), params.len()), ("SELECT ?1, ?2, ?3", 3));
    }

    #[test]
    fn bins_in_sql_are_the_domains_on_both_backends() {
        let server =
            crate::test_support::postgres::fresh_database("bins_in_sql_are_the_domains_on_both_backends");
        let mut dbs = vec![Db::Sqlite(rusqlite::Connection::open_in_memory().unwrap())];
        dbs.extend(server.as_ref().map(|database| Db::postgres(database.connect())));
        for db in &dbs {
            for seconds in
                [0i64, 59, 60, 3_599, 3_600, 3_899, 10_799, 10_800, 86_399, 86_400, 700_000, 2_000_000]
            {
                // A BIGINT, as the columns are on the server.
                let sql = format!("SELECT {} FROM (SELECT CAST(?1 AS BIGINT) AS x) t", bin_sql("t.x"));
                let got: String = db.query_row(&sql, db_params![seconds], |row| row.get(0)).unwrap();
                assert_eq!(got, crate::domain::rollup::bin_start(seconds).to_string(), "{seconds}");
            }
        }
    }

    #[test]
    fn a_local_year_reads_whole_months_and_an_hour_at_each_end() {
        // 2026 in Paris: 31 December 2025 23:00 UTC to 31 December 2026 23:00 UTC.
        let (from, to) = ((day(2026, 1, 1) * DAY) - 3600, day(2026, 12, 31) * DAY + 23 * 3600);
        let plan = plan(from, to);
        assert_eq!(plan.raw, vec![(from, day(2026, 1, 1) * DAY, 1), (to, day(2027, 1, 1) * DAY, -1)]);
        assert_eq!(plan.spans, vec![("month", day(2026, 1, 1), day(2027, 1, 1), 1)]);
    }

    #[test]
    fn a_local_month_reads_its_month_and_shorter_periods_their_days() {
        // March 2026 in Paris: 28 February 23:00 UTC to 31 March 22:00 UTC.
        let (from, to) = (day(2026, 3, 1) * DAY - 3600, day(2026, 3, 31) * DAY + 22 * 3600);
        let plan = plan(from, to);
        assert_eq!(plan.spans, vec![("month", day(2026, 3, 1), day(2026, 4, 1), 1)]);
        assert_eq!(plan.raw, vec![(from, day(2026, 3, 1) * DAY, 1), (to, day(2026, 4, 1) * DAY, -1)]);
        // Ten days in the middle of a month: those days.
        let plan = super::plan(day(2026, 3, 10) * DAY, day(2026, 3, 20) * DAY);
        assert_eq!(plan.spans, vec![("day", day(2026, 3, 10), day(2026, 3, 20), 1)]);
        assert!(plan.raw.is_empty());
        // Less than a day: raw only.
        let plan = super::plan(day(2026, 3, 10) * DAY + 3600, day(2026, 3, 10) * DAY + 7200);
        assert_eq!(
            plan,
            Plan {
                spans: Vec::new(),
                raw: vec![(day(2026, 3, 10) * DAY + 3600, day(2026, 3, 10) * DAY + 7200, 1)]
            }
        );
        // Twenty days of a month, ending at noon: the month less its last eleven days, and the
        // morning.
        let plan = super::plan(day(2026, 3, 1) * DAY, day(2026, 3, 21) * DAY + 12 * 3600);
        assert_eq!(
            plan.spans,
            vec![
                ("month", day(2026, 3, 1), day(2026, 4, 1), 1),
                ("day", day(2026, 3, 21), day(2026, 4, 1), -1)
            ]
        );
        assert_eq!(plan.raw, vec![(day(2026, 3, 21) * DAY, day(2026, 3, 21) * DAY + 12 * 3600, 1)]);
    }
}
