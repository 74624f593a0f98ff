//! The retention purge (RGPD, CNIL social-sector referential): the free text of files whose
//! last contact is older than the retention period — summary, instructions, closure and
//! event reasons, call notes, prompt notes, callback notes — is wiped; categorical fields
//! stay for statistics. Files under legal hold are skipped. Anonymous calls and handover
//! notes older than the period are wiped too. Every purged file gets an event and an audit
//! entry; the full-text indexes use 'secure-delete', and the log is checkpointed afterwards
//! so that no page image of the wiped text stays in the WAL.

use chrono::Duration;

use super::caller_files::add_event;
use super::db::{Db, Value};
use super::error::{StoreError, StoreResult};
use super::rollup::{self, Rows};
use super::rows::to_secs;
use super::seal::Field;
use super::{Store, audit};
use crate::db_params;
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::caller_file::{FileEventKind, PurgeReport, UnlockPurge};
use crate::domain::settings::Setting;
use crate::domain::{CallbackId, FileId, ListenerId, Timestamp};
use crate::i18n::Phrase;

/// Above this many notes to wipe at once (the first purge of a store that has years of
/// history), removing each note's words from the full-text index in place ('secure-delete')
/// costs minutes; the index is then rebuilt without them in one pass instead ('optimize'),
/// which leaves no trace of the wiped words either.
pub(super) const BULK_NOTES: i64 = 2000;

/// The cancellation reason given to a pending callback whose file is purged.
const RETENTION_REASON: &str = "retention";

/// Files old enough to purge: last contact (or creation) before the cutoff, and not purged
/// since (a new call clears `purged_at`). Matches the partial index `caller_file_to_purge`.
const DUE: &str = "coalesce(last_contact_at, created_at) < ?1 AND purged_at IS NULL";

impl Store {
    /// `permanence purge`: supervisors only, with the centre's retention period. A dry run
    /// counts and changes nothing.
    pub fn purge(&mut self, now: Timestamp, dry_run: bool) -> StoreResult<PurgeReport> {
        self.require_supervisor(|s| &s.cli.what_purge)?;
        self.require_writable()?;
        let actor = self.actor.id;
        let retention_days = self
            .settings()?
            .retention_days
            .ok_or_else(|| StoreError::Refused(Phrase::new(|s| &s.cli.retention_not_set)))?;
        let cutoff = cutoff(now, retention_days)?;
        let tx = self.begin()?;
        let report = purge_in(&tx, cutoff, now, Some(actor))?;
        let committed = commit_unless(tx, &report, dry_run)?;
        self.finish_purge(committed);
        Ok(report)
    }

    /// The check at unlock, whoever unlocks: retention is the centre's rule, not a choice, and
    /// its period comes from the store, never from a terminal's config. Audited as the
    /// software's own act. A purge larger than the centre's share waits for a supervisor.
    pub fn purge_at_unlock(&mut self, now: Timestamp) -> StoreResult<UnlockPurge> {
        // Nothing can be wiped where nothing can be written; the next writable unlock will.
        if self.access != super::Access::ReadWrite {
            return Ok(UnlockPurge::Nothing);
        }
        let settings = self.settings()?;
        let Some(retention_days) = settings.retention_days else { return Ok(UnlockPurge::RetentionNotSet) };
        let cutoff = cutoff(now, retention_days)?;
        // Asked first without the write lock: at most unlocks nothing is due, and then nothing
        // is written (on a server the purge's statements would otherwise run at every unlock
        // over every old row, under the lock every desk's writes wait on).
        if !anything_due(&self.conn, cutoff)? {
            return Ok(UnlockPurge::Nothing);
        }
        let tx = self.begin()?;
        let (files_due, notes_due) = due(tx.db(), cutoff)?;
        if files_due + notes_due > 0 {
            let (files, calls) = tx.db().query_row(
                "SELECT (SELECT count(*) FROM caller_file), (SELECT count(*) FROM call)",
                db_params![],
                |row| Ok((row.get::<usize>(0)?, row.get::<usize>(1)?)),
            )?;
            if settings.purge_needs_a_supervisor(files_due, files)
                || settings.purge_needs_a_supervisor(notes_due, calls)
            {
                tx.rollback()?;
                let waiting = PurgeReport { files: files_due, calls: notes_due, ..PurgeReport::default() };
                return Ok(UnlockPurge::AwaitingSupervisor(waiting));
            }
        }
        let report = purge_in(&tx, cutoff, now, None)?;
        let committed = commit_unless(tx, &report, false)?;
        self.finish_purge(committed);
        Ok(if report.is_empty() { UnlockPurge::Nothing } else { UnlockPurge::Done(report) })
    }

    /// After a purge that committed, checkpoints the log.
    fn finish_purge(&self, committed: bool) {
        if committed {
            // Best effort: the text is already gone from the database; this only shortens the
            // time its old page images stay in the (encrypted) log.
            if let Some(conn) = self.conn.sqlite() {
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            }
        }
    }
}

/// Commits `tx` unless it is a dry run or changed nothing; says whether it committed.
fn commit_unless(tx: audit::Tx<'_>, report: &PurgeReport, dry_run: bool) -> StoreResult<bool> {
    if dry_run || report.is_empty() {
        tx.rollback()?;
        return Ok(false);
    }
    tx.commit()?;
    Ok(true)
}

/// The instant before which free text is due, in the database's seconds.
fn cutoff(now: Timestamp, retention_days: u32) -> StoreResult<i64> {
    let limit = Setting::RetentionDays.check(retention_days).map_err(StoreError::Invalid)?;
    now.checked_sub_signed(Duration::days(limit.into()))
        .map(to_secs)
        .ok_or_else(|| StoreError::Invalid(format!("{retention_days} days before now is out of range")))
}

/// Files due (not under hold) and notes due (theirs and anonymous calls'), counted on the
/// partial indexes: cheap enough for every unlock. (`notes != ''` holds on both backends: the
/// server keeps empty text as empty bytes.)
fn due(db: &Db, cutoff: i64) -> StoreResult<(usize, usize)> {
    db.query_row(
        &format!(
            "SELECT (SELECT count(*) FROM caller_file WHERE legal_hold = 0 AND {DUE}),
                    (SELECT count(*) FROM call WHERE notes != '' AND caller_file_id IN
                        (SELECT id FROM caller_file WHERE legal_hold = 0 AND {DUE}))
                  + (SELECT count(*) FROM call
                     WHERE caller_file_id IS NULL AND notes != '' AND started_at < ?1)"
        ),
        db_params![cutoff],
        |row| Ok((row.get::<usize>(0)?, row.get::<usize>(1)?)),
    )
}

/// Whether the purge has anything to wipe before `cutoff`: a file, a note, a handover note, an
/// anonymous call's prompt note or number hash. Each asked on its index, at every unlock. The
/// files' as the oldest last contact rather than `EXISTS`: the server keeps no statistics of a
/// partial index's expression, guessed a third of the files due and read them all (0.1 s warm,
/// more cold, at a million calls), where the oldest is the index's first entry on both backends.
fn anything_due(db: &Db, cutoff: i64) -> StoreResult<bool> {
    db.query_row(
        "SELECT ((SELECT min(coalesce(last_contact_at, created_at)) FROM caller_file
                   WHERE legal_hold = 0 AND purged_at IS NULL) < ?1) IS TRUE
                 OR EXISTS (SELECT 1 FROM call WHERE caller_file_id IS NULL AND notes != '' AND started_at < ?1)
                 OR EXISTS (SELECT 1 FROM shift WHERE ended_at < ?1 AND handover_note IS NOT NULL)
                 OR EXISTS (SELECT 1 FROM emergency_prompt p JOIN call c ON c.id = p.call_id
                            WHERE p.outcome_note IS NOT NULL AND c.caller_file_id IS NULL AND c.started_at < ?1)
                 OR EXISTS (SELECT 1 FROM call_caller h JOIN call c ON c.id = h.call_id
                            WHERE c.caller_file_id IS NULL AND c.started_at < ?1)",
        db_params![cutoff],
        |row| row.get(0),
    )
}

/// Written for both backends: text is wiped with `substr(x, 1, 0)` (empty text in the file,
/// empty bytes on the server, NULL kept NULL); a reason compared or written is opened or
/// sealed in the terminal, row by row; on the server the wiped rows' blind-index tags go too.
pub(super) fn purge_in(
    tx: &audit::Tx<'_>,
    cutoff: i64,
    now: Timestamp,
    actor: Option<ListenerId>,
) -> StoreResult<PurgeReport> {
    let db = tx.db();
    // The first purge of years of notes may take minutes on a server, as in the file.
    db.unhurried()?;
    let held: usize = db.query_row(
        &format!("SELECT count(*) FROM caller_file WHERE legal_hold = 1 AND {DUE}"),
        db_params![cutoff],
        |row| row.get(0),
    )?;
    let mut report = PurgeReport { held, ..PurgeReport::default() };
    let files: Vec<FileId> = db.query_map(
        &format!("SELECT id FROM caller_file WHERE legal_hold = 0 AND {DUE} ORDER BY id"),
        db_params![cutoff],
        |row| row.get(0).map(FileId),
    )?;
    let at = to_secs(now);
    let notes_due: i64 = db.query_row(
        &format!(
            "SELECT count(*) FROM call WHERE notes != '' AND caller_file_id IN
               (SELECT id FROM caller_file WHERE legal_hold = 0 AND {DUE})"
        ),
        db_params![cutoff],
        |row| row.get(0),
    )?;
    // FTS5's secure-delete and optimize: the file's full-text index only (the server's blind
    // index is cleared with the text).
    let fts = if notes_due > BULK_NOTES { db.sqlite() } else { None };
    if let Some(conn) = fts {
        set_secure_delete(conn, false)?;
    }
    for &file in &files {
        db.execute(
            "UPDATE caller_file SET situation_summary = substr(situation_summary, 1, 0),
                    instructions = substr(instructions, 1, 0), closed_reason = substr(closed_reason, 1, 0),
                    purged_at = ?2, version = version + 1
             WHERE id = ?1",
            db_params![file.0, at],
        )?;
        db.execute(
            "UPDATE file_event SET reason = substr(reason, 1, 0) WHERE caller_file_id = ?1 AND reason != ''",
            db_params![file.0],
        )?;
        report.calls += db.execute(
            "UPDATE call SET notes = substr(notes, 1, 0) WHERE caller_file_id = ?1 AND notes != ''",
            db_params![file.0],
        )?;
        // A caller's number hash goes with the text: past retention, a number is not recognised.
        db.execute(
            "DELETE FROM call_caller WHERE call_id IN (SELECT id FROM call WHERE caller_file_id = ?1)",
            db_params![file.0],
        )?;
        db.execute(
            "UPDATE emergency_prompt SET outcome_note = NULL
             WHERE outcome_note IS NOT NULL AND call_id IN (SELECT id FROM call WHERE caller_file_id = ?1)",
            db_params![file.0],
        )?;
        if db.is_postgres() {
            db.execute("UPDATE caller_file SET search_tags = '{}' WHERE id = ?1", db_params![file.0])?;
            db.execute(
                "UPDATE call SET search_tags = '{}' WHERE caller_file_id = ?1 AND cardinality(search_tags) > 0",
                db_params![file.0],
            )?;
        }
        let callbacks = db.query_map(
            "SELECT id, status, closed_reason FROM callback WHERE caller_file_id = ?1",
            db_params![file.0],
            |row| Ok((row.get::<i64>(0)?, row.get::<String>(1)?, row.get::<Value>(2)?)),
        )?;
        for (callback, status, reason) in callbacks {
            if status == "pending" {
                // Cancelled: counted so in the statistics' rollup.
                report.callbacks_cancelled +=
                    rollup::changing(db, &[Rows::Callback(CallbackId(callback))], || {
                        db.execute(
                            "UPDATE callback SET status = 'cancelled', closed_at = ?2, closed_reason = ?3,
                            callback_number = NULL, note = substr(note, 1, 0), version = version + 1
                     WHERE id = ?1",
                            db_params![
                                callback,
                                at,
                                db.seal(Field::CALLBACK_CLOSED_REASON, callback, RETENTION_REASON)?
                            ],
                        )
                    })?;
            } else if db.unseal_opt(Field::CALLBACK_CLOSED_REASON, callback, &reason)?.as_deref()
                != Some(RETENTION_REASON)
            {
                db.execute(
                    "UPDATE callback SET note = substr(note, 1, 0), closed_reason = substr(closed_reason, 1, 0)
                     WHERE id = ?1",
                    db_params![callback],
                )?;
            }
        }
        add_event(db, file, now, actor, FileEventKind::Purged, "", None)?;
        audit::append(tx, actor, AuditAction::Purged, ObjectKind::CallerFile, Some(file.0))?;
    }
    report.files = files.len();
    let anonymous = db.execute(
        "UPDATE call SET notes = substr(notes, 1, 0) WHERE caller_file_id IS NULL AND notes != '' AND started_at < ?1",
        db_params![cutoff],
    )?;
    if db.is_postgres() {
        // Only rows that still have tags: those wiped before are left alone, not rewritten.
        db.execute(
            "UPDATE call SET search_tags = '{}'
             WHERE caller_file_id IS NULL AND started_at < ?1 AND cardinality(search_tags) > 0",
            db_params![cutoff],
        )?;
    }
    db.execute(
        "UPDATE emergency_prompt SET outcome_note = NULL WHERE outcome_note IS NOT NULL
         AND EXISTS (SELECT 1 FROM call c WHERE c.id = call_id AND c.caller_file_id IS NULL AND c.started_at < ?1)",
        db_params![cutoff],
    )?;
    report.calls += anonymous;
    let hashes = db.execute(
        "DELETE FROM call_caller WHERE call_id IN
           (SELECT id FROM call WHERE caller_file_id IS NULL AND started_at < ?1)",
        db_params![cutoff],
    )?;
    report.handover_notes = db.execute(
        "UPDATE shift SET handover_note = NULL
         WHERE ended_at < ?1 AND handover_note IS NOT NULL",
        db_params![cutoff],
    )?;
    if anonymous + hashes + report.handover_notes > 0 {
        audit::append(tx, actor, AuditAction::Purged, ObjectKind::Database, None)?;
    }
    if let Some(conn) = fts {
        for table in ["caller_file_fts", "call_fts"] {
            conn.execute(&format!("INSERT INTO {table}({table}) VALUES ('optimize')"), [])?;
        }
        set_secure_delete(conn, true)?;
    }
    Ok(report)
}

fn set_secure_delete(conn: &rusqlite::Connection, on: bool) -> StoreResult<()> {
    for table in ["caller_file_fts", "call_fts"] {
        conn.execute(
            &format!("INSERT INTO {table}({table}, rank) VALUES ('secure-delete', ?1)"),
            [on as i64],
        )?;
    }
    Ok(())
}
