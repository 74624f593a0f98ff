//! Caller files. Every opening, change, closure and reopening is audited (ids only).

use rusqlite::{Connection, OptionalExtension, params};

use super::error::{StoreError, StoreResult};
use super::rollup::{self, Rows};
use super::rows::{file_code, from_secs, from_secs_opt, now, to_secs, word, word_opt};
use super::{Store, audit};
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::caller_file::{
    CallerFile, Closure, Departement, FileCode, FileEvent, FileEventKind, FileFilter, FileHit, FileProfile,
    FileStatus,
};
use crate::domain::file_record::FileRecord;
use crate::domain::{FileId, ListenerId, Timestamp};
use crate::i18n::Phrase;

const COLUMNS: &str = "id, code, status, closed_reason, caller_agreed, age_band, gender, departement, \
                       relation, situation_summary, instructions, created_at, last_contact_at, legal_hold, \
                       purged_at, version";

/// How many random codes to draw before giving up: with 3.5 million codes, a collision is
/// rare even with 100,000 files; ten in a row means something else is wrong.
const CODE_ATTEMPTS: usize = 10;

fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<CallerFile> {
    let departement: Option<String> = row.get(7)?;
    let closure = match (row.get::<_, Option<String>>(3)?, row.get::<_, Option<bool>>(4)?) {
        (Some(reason), Some(caller_agreed)) => Some(Closure { reason, caller_agreed }),
        _ => None,
    };
    Ok(CallerFile {
        id: FileId(row.get(0)?),
        code: file_code(row, 1)?,
        status: word(2, row.get(2)?)?,
        closure,
        profile: FileProfile {
            age_band: word_opt(5, row.get(5)?)?,
            gender: word_opt(6, row.get(6)?)?,
            departement: departement.and_then(|d| Departement::parse(&d).ok()),
            relation: word_opt(8, row.get(8)?)?,
            situation_summary: row.get(9)?,
            instructions: row.get(10)?,
        },
        created_at: from_secs(row.get(11)?),
        last_contact_at: from_secs_opt(row.get(12)?),
        legal_hold: row.get(13)?,
        purged_at: from_secs_opt(row.get(14)?),
        version: row.get(15)?,
    })
}

/// Inserts a file with a fresh random code; shared by the interface and the demo filler.
pub(super) fn insert(
    conn: &Connection,
    rng: &mut impl rand::Rng,
    profile: &FileProfile,
    created_at: Timestamp,
) -> StoreResult<(FileId, FileCode)> {
    let mut statement = conn.prepare_cached(
        "INSERT INTO caller_file (code, status, age_band, gender, departement, relation,
                                  situation_summary, instructions, created_at)
         VALUES (?1, 'open', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for _ in 0..CODE_ATTEMPTS {
        let code = FileCode::generate(rng);
        let result = statement.execute(params![
            code.as_str(),
            profile.age_band.map(|a| a.as_str()),
            profile.gender.map(|g| g.as_str()),
            profile.departement.as_ref().map(|d| d.as_str()),
            profile.relation.map(|r| r.as_str()),
            profile.situation_summary,
            profile.instructions,
            to_secs(created_at),
        ]);
        match result {
            Ok(_) => return Ok((FileId(conn.last_insert_rowid()), code)),
            Err(err) if err.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
                continue;
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::Invalid("no free file code found; try again".into()))
}

/// Appends to a file's history (in the caller's transaction).
pub(super) fn add_event(
    conn: &Connection,
    file: FileId,
    at: Timestamp,
    listener: Option<ListenerId>,
    kind: FileEventKind,
    reason: &str,
    caller_agreed: Option<bool>,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO file_event (caller_file_id, at, listener_id, kind, reason, caller_agreed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        file.0,
        to_secs(at),
        listener.map(|l| l.0),
        kind.as_str(),
        reason,
        caller_agreed
    ])?;
    Ok(())
}

impl Store {
    /// Opens a new file; its code is generated and returned to be given to the caller.
    pub fn create_file(&mut self, profile: &FileProfile) -> StoreResult<CallerFile> {
        let id = self.write(|tx, actor| {
            let (id, _) = insert(tx, &mut rand::thread_rng(), profile, now())?;
            audit::append(tx, Some(actor.id), AuditAction::FileCreated, ObjectKind::CallerFile, Some(id.0))?;
            Ok(id)
        })?;
        self.file_unaudited(id)
    }

    /// Opens a file to read it: audited.
    pub fn open_file(&mut self, id: FileId) -> StoreResult<CallerFile> {
        let file = self.file_unaudited(id)?;
        // Read-only media: reading goes on, unrecorded (the screen says so). A full disk is
        // retried like any write, and refuses the opening while the audit cannot be written:
        // filling the disk must not be a way to read files without a trace.
        if self.access != super::Access::ReadOnly {
            self.write(|tx, actor| {
                audit::append(tx, Some(actor.id), AuditAction::FileOpened, ObjectKind::CallerFile, Some(id.0))
            })?;
        }
        Ok(file)
    }

    /// Everything held on a file, for a caller's right of access: supervisors only, audited.
    pub fn file_for_access_request(&mut self, code: &str) -> StoreResult<FileRecord> {
        self.require_supervisor(|s| &s.cli.what_export_file)?;
        let id = self
            .file_id_by_code(code)?
            .ok_or_else(|| StoreError::Refused(Phrase::new(|s| &s.cli.no_file_code).with("code", code)))?;
        let record = self.file_with_history(id)?;
        self.write(|tx, actor| {
            audit::append(tx, Some(actor.id), AuditAction::Exported, ObjectKind::CallerFile, Some(id.0))
        })?;
        Ok(record)
    }

    /// Finds a file by the code the caller gives (any case, with or without the dash).
    pub fn file_id_by_code(&self, code: &str) -> StoreResult<Option<FileId>> {
        let code = FileCode::parse(code).map_err(|e| StoreError::Refused(Phrase::bad_file_code(&e)))?;
        Ok(self
            .conn
            .query_row("SELECT id FROM caller_file WHERE code = ?1", [code.as_str()], |row| {
                row.get(0).map(FileId)
            })
            .optional()?)
    }

    fn file_unaudited(&self, id: FileId) -> StoreResult<CallerFile> {
        self.conn
            .query_row(&format!("SELECT {COLUMNS} FROM caller_file WHERE id = ?1"), [id.0], read)
            .optional()?
            .ok_or_else(|| StoreError::Invalid(format!("no caller file {id}")))
    }

    pub fn update_file_profile(
        &mut self,
        id: FileId,
        version: i64,
        profile: &FileProfile,
    ) -> StoreResult<()> {
        self.update_file(id, version, None, profile)
    }

    /// Changes a file's profile and, when given, moves it between open and follow-up: one
    /// transaction, one event, one audit entry. A closed file keeps its status (it is
    /// reopened with [`Store::reopen_file`]). Made on `version`, the one its author saw: if
    /// the file changed since (another person's edit, a purge), nothing is written and the
    /// answer is [`StoreError::FileChanged`], so old text is never written back.
    pub fn update_file(
        &mut self,
        id: FileId,
        version: i64,
        status: Option<FileStatus>,
        profile: &FileProfile,
    ) -> StoreResult<()> {
        if status == Some(FileStatus::Closed) {
            return Err(StoreError::Invalid("closing a file needs a reason and the caller's answer".into()));
        }
        self.write(|tx, actor| {
            // Its calls' facts count the file's profile: taken away, then added back changed.
            rollup::count(tx, Rows::CallsOfFile(id), -1)?;
            // Text written on a purged file is due again: it is as old as the file's last contact.
            let changed = tx.execute(
                "UPDATE caller_file SET age_band = ?3, gender = ?4, departement = ?5, relation = ?6,
                        situation_summary = ?7, instructions = ?8, version = version + 1,
                        purged_at = CASE WHEN ?7 = '' AND ?8 = '' THEN purged_at END
                 WHERE id = ?1 AND version = ?2",
                params![
                    id.0,
                    version,
                    profile.age_band.map(|a| a.as_str()),
                    profile.gender.map(|g| g.as_str()),
                    profile.departement.as_ref().map(|d| d.as_str()),
                    profile.relation.map(|r| r.as_str()),
                    profile.situation_summary,
                    profile.instructions,
                ],
            )?;
            rollup::count(tx, Rows::CallsOfFile(id), 1)?;
            if changed == 0 {
                let exists = tx
                    .query_row("SELECT 1 FROM caller_file WHERE id = ?1", [id.0], |_| Ok(()))
                    .optional()?
                    .is_some();
                return Err(if exists {
                    StoreError::FileChanged
                } else {
                    StoreError::Invalid(format!("no caller file {id}"))
                });
            }
            if let Some(status) = status {
                tx.execute(
                    "UPDATE caller_file SET status = ?2 WHERE id = ?1 AND status != 'closed'",
                    params![id.0, status.as_str()],
                )?;
            }
            add_event(tx, id, now(), Some(actor.id), FileEventKind::Changed, "", None)?;
            audit::append(tx, Some(actor.id), AuditAction::FileChanged, ObjectKind::CallerFile, Some(id.0))
        })
    }

    /// Moves an open file to follow-up, or back. A closed file is reopened with
    /// [`Store::reopen_file`], which records why.
    pub fn set_file_status(&mut self, id: FileId, status: FileStatus) -> StoreResult<()> {
        if status == FileStatus::Closed {
            return Err(StoreError::Invalid("closing a file needs a reason and the caller's answer".into()));
        }
        self.write(|tx, actor| {
            let changed = tx.execute(
                "UPDATE caller_file SET status = ?2 WHERE id = ?1 AND status != 'closed'",
                params![id.0, status.as_str()],
            )?;
            if changed == 0 {
                return Err(StoreError::Invalid(format!("caller file {id} is missing or closed")));
            }
            add_event(tx, id, now(), Some(actor.id), FileEventKind::Changed, "", None)?;
            audit::append(tx, Some(actor.id), AuditAction::FileChanged, ObjectKind::CallerFile, Some(id.0))
        })
    }

    /// Closes a file, recording why and whether the caller agreed; both stay in the file's
    /// history after a reopening.
    pub fn close_file(&mut self, id: FileId, closure: &Closure) -> StoreResult<()> {
        let reason = closure.reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("a closure needs a reason".into()));
        }
        self.write(|tx, actor| {
            let changed = tx.execute(
                "UPDATE caller_file SET status = 'closed', closed_reason = ?2, caller_agreed = ?3
                 WHERE id = ?1 AND status != 'closed'",
                params![id.0, reason, closure.caller_agreed],
            )?;
            if changed == 0 {
                return Err(StoreError::Invalid(format!("caller file {id} is missing or already closed")));
            }
            add_event(
                tx,
                id,
                now(),
                Some(actor.id),
                FileEventKind::Closed,
                reason,
                Some(closure.caller_agreed),
            )?;
            audit::append(tx, Some(actor.id), AuditAction::FileClosed, ObjectKind::CallerFile, Some(id.0))
        })
    }

    /// Reopens a closed file (the caller calls again about it, or it was closed by mistake).
    pub fn reopen_file(&mut self, id: FileId, reason: &str) -> StoreResult<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("reopening a file needs a reason".into()));
        }
        self.write(|tx, actor| {
            let changed = tx.execute(
                "UPDATE caller_file SET status = 'follow_up', closed_reason = NULL, caller_agreed = NULL
                 WHERE id = ?1 AND status = 'closed'",
                [id.0],
            )?;
            if changed == 0 {
                return Err(StoreError::Invalid(format!("caller file {id} is missing or not closed")));
            }
            add_event(tx, id, now(), Some(actor.id), FileEventKind::Reopened, reason, None)?;
            audit::append(tx, Some(actor.id), AuditAction::FileReopened, ObjectKind::CallerFile, Some(id.0))
        })
    }

    /// Sets or lifts a legal hold (supervisors only): while held, the retention purge keeps
    /// the file's free text.
    pub fn set_legal_hold(&mut self, id: FileId, hold: bool, reason: &str) -> StoreResult<()> {
        self.require_supervisor(|s| &s.cli.what_legal_hold)?;
        let reason = reason.trim();
        if hold && reason.is_empty() {
            return Err(StoreError::Refused(Phrase::new(|s| &s.cli.hold_needs_reason)));
        }
        self.write(|tx, actor| {
            let changed = tx.execute(
                "UPDATE caller_file SET legal_hold = ?2 WHERE id = ?1 AND legal_hold != ?2",
                params![id.0, hold],
            )?;
            if changed == 0 {
                let state = if hold {
                    Phrase::new(|s| &s.cli.hold_already)
                } else {
                    Phrase::new(|s| &s.cli.hold_none)
                };
                return Err(StoreError::Refused(state));
            }
            let (kind, action) = if hold {
                (FileEventKind::HoldSet, AuditAction::LegalHoldSet)
            } else {
                (FileEventKind::HoldLifted, AuditAction::LegalHoldLifted)
            };
            add_event(tx, id, now(), Some(actor.id), kind, reason, None)?;
            audit::append(tx, Some(actor.id), action, ObjectKind::CallerFile, Some(id.0))
        })
    }

    /// A file's history besides its calls, newest first.
    pub fn file_events(&self, id: FileId) -> StoreResult<Vec<FileEvent>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT at, listener_id, kind, reason, caller_agreed FROM file_event
             WHERE caller_file_id = ?1 ORDER BY at DESC, id DESC",
        )?;
        let events = statement
            .query_map([id.0], |row| {
                Ok(FileEvent {
                    at: from_secs(row.get(0)?),
                    listener_id: row.get::<_, Option<i64>>(1)?.map(ListenerId),
                    kind: word(2, row.get(2)?)?,
                    reason: row.get(3)?,
                    caller_agreed: row.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(events)
    }

    /// A file with its calls, events and callbacks, newest first, without auditing: for
    /// showing again a file the listener already has open (after saving a call on it).
    pub fn file_with_history(&self, id: FileId) -> StoreResult<FileRecord> {
        Ok(FileRecord {
            file: self.file_unaudited(id)?,
            calls: self.calls_of_file(id)?,
            events: self.file_events(id)?,
            callbacks: self.callbacks_of_file(id)?,
        })
    }

    /// Files whose code starts like `query` (as a caller would say it), then files whose
    /// summary, instructions or call notes contain its words (accents folded, each word as a
    /// prefix); most recently contacted first. Without words, the files the filter keeps, most
    /// recently contacted first. Each scan walks its index newest first and stops at `limit`
    /// matches, so a keypress costs the same on a store of years.
    ///
    /// Audited like opening a file: a list showing files' summaries, or files found by words
    /// in their text, says what those files hold. Each such file gets an entry (its id, never
    /// the query or the text) the first time a search shows it since the unlock, so searching
    /// as one types records each file once rather than at every key. Files listed by their
    /// code alone, with no summary, show no text and are not recorded. On read-only media the
    /// search goes on unrecorded (the screen says so); on a full disk it is refused while the
    /// entry cannot be written.
    pub fn search_files(
        &mut self,
        query: &str,
        filter: &FileFilter,
        limit: usize,
    ) -> StoreResult<Vec<FileHit>> {
        let found = self.find_files(query, filter, limit)?;
        let unrecorded: Vec<FileId> = found
            .iter()
            .filter(|(by_words, hit)| *by_words || !hit.summary.trim().is_empty())
            .map(|(_, hit)| hit.id)
            .filter(|id| !self.shown_in_search.contains(id))
            .collect();
        if !unrecorded.is_empty() && self.access != super::Access::ReadOnly {
            self.write(|tx, actor| {
                unrecorded.iter().try_for_each(|id| {
                    audit::append(
                        tx,
                        Some(actor.id),
                        AuditAction::FileShownInSearch,
                        ObjectKind::CallerFile,
                        Some(id.0),
                    )
                })
            })?;
            self.shown_in_search.extend(unrecorded);
        }
        Ok(found.into_iter().map(|(_, hit)| hit).collect())
    }

    /// The search itself: each hit with whether it was found by words in the file's text.
    fn find_files(
        &self,
        query: &str,
        filter: &FileFilter,
        limit: usize,
    ) -> StoreResult<Vec<(bool, FileHit)>> {
        let status = filter.status.map(|s| s.as_str());
        let departement = filter.departement.as_ref().map(|d| d.as_str());
        let mut ids: Vec<i64> = Vec::new();
        if let Some(prefix) = code_prefix(query) {
            let mut statement = self.conn.prepare_cached(
                "SELECT id FROM caller_file
                 WHERE code >= ?1 AND code < ?1 || char(127)
                   AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR departement = ?3)
                 ORDER BY code LIMIT ?4",
            )?;
            let found =
                statement.query_map(params![prefix, status, departement, limit as i64], |row| row.get(0))?;
            ids.extend(found.collect::<Result<Vec<i64>, _>>()?);
        }
        let by_code = ids.len();
        if let Some(words) = fts_query(query) {
            // With a filter, only the newest FILTERED_SCAN matches of each index are looked at:
            // a selective filter (a small département) would otherwise walk most of a common
            // word's matches on years of notes (13 ms measured on 1,000,000 calls).
            let (files_sql, notes_sql) = if filter.is_empty() {
                (
                    "SELECT rowid FROM caller_file_fts WHERE caller_file_fts MATCH ?1
                     ORDER BY rowid DESC LIMIT ?4",
                    "SELECT c.caller_file_id FROM call_fts JOIN call c ON c.id = call_fts.rowid
                     WHERE call_fts MATCH ?1 AND c.caller_file_id IS NOT NULL
                     ORDER BY call_fts.rowid DESC LIMIT ?4",
                )
            } else {
                (
                    "SELECT f.id FROM
                       (SELECT rowid AS id FROM caller_file_fts WHERE caller_file_fts MATCH ?1
                        ORDER BY rowid DESC LIMIT ?5) m
                     JOIN caller_file f ON f.id = m.id
                     WHERE (?2 IS NULL OR f.status = ?2) AND (?3 IS NULL OR f.departement = ?3)
                     ORDER BY m.id DESC LIMIT ?4",
                    "SELECT c.caller_file_id FROM
                       (SELECT rowid AS id FROM call_fts WHERE call_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?5) m
                     JOIN call c ON c.id = m.id
                     JOIN caller_file f ON f.id = c.caller_file_id
                     WHERE (?2 IS NULL OR f.status = ?2) AND (?3 IS NULL OR f.departement = ?3)
                     ORDER BY m.id DESC LIMIT ?4",
                )
            };
            for (sql, wanted) in [(files_sql, limit), (notes_sql, limit * 4)] {
                let mut statement = self.conn.prepare_cached(sql)?;
                // SQLite binds by index: the unfiltered statements skip ?2 and ?3, harmlessly.
                let read = |row: &rusqlite::Row<'_>| row.get::<_, i64>(0);
                let found: rusqlite::Result<Vec<i64>> = if filter.is_empty() {
                    statement.query_map(params![words, status, departement, wanted as i64], read)?.collect()
                } else {
                    statement
                        .query_map(params![words, status, departement, wanted as i64, FILTERED_SCAN], read)?
                        .collect()
                };
                let found = found?;
                ids.extend(found);
            }
        } else if code_prefix(query).is_none() && query.trim().is_empty() && !filter.is_empty() {
            let mut statement = self.conn.prepare_cached(
                "SELECT id FROM caller_file
                 WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR departement = ?2)
                 ORDER BY last_contact_at DESC LIMIT ?3",
            )?;
            let found = statement.query_map(params![status, departement, limit as i64], |row| row.get(0))?;
            ids.extend(found.collect::<Result<Vec<i64>, _>>()?);
        }
        let mut seen = std::collections::HashSet::new();
        let mut hits = Vec::new();
        let mut statement = self.conn.prepare_cached(
            "SELECT id, code, status, last_contact_at, situation_summary FROM caller_file WHERE id = ?1",
        )?;
        for (index, id) in ids.into_iter().enumerate() {
            if !seen.insert(id) {
                continue;
            }
            let hit = statement.query_row([id], |row| {
                Ok(FileHit {
                    id: FileId(row.get(0)?),
                    code: file_code(row, 1)?,
                    status: word(2, row.get(2)?)?,
                    last_contact_at: from_secs_opt(row.get(3)?),
                    summary: row.get(4)?,
                })
            })?;
            hits.push((index >= by_code, hit));
        }
        // Code matches first; then the most recent contact first.
        hits.sort_by(|(a_text, a), (b_text, b)| {
            a_text.cmp(b_text).then(b.last_contact_at.cmp(&a.last_contact_at))
        });
        Ok(hits.into_iter().take(limit).collect())
    }

    /// The file with the most calls (benchmarks open it as the worst case).
    pub fn busiest_file(&self) -> StoreResult<Option<FileId>> {
        Ok(self
            .conn
            .query_row(
                "SELECT caller_file_id FROM call WHERE caller_file_id IS NOT NULL
                 GROUP BY caller_file_id ORDER BY count(*) DESC LIMIT 1",
                [],
                |row| row.get(0).map(FileId),
            )
            .optional()?)
    }
}

/// The start of a file code as typed or heard ("kat 4" -> "KAT-4"), if the query can be one.
fn code_prefix(query: &str) -> Option<String> {
    let compact = crate::domain::caller_file::FileCode::compact(query);
    let (letters, digits) = compact.split_at(compact.len().min(3));
    let valid = !compact.is_empty()
        && letters.iter().all(u8::is_ascii_uppercase)
        && digits.iter().all(u8::is_ascii_digit)
        && compact.len() <= 6;
    // Checked ASCII above, so the bytes are one character each ("idé" is no code).
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    valid.then(
        || if digits.is_empty() { text(letters) } else { format!("{}-{}", text(letters), text(digits)) },
    )
}

/// With a status or département filter, how many of the newest full-text matches are
/// checked against it (see `search_files`).
const FILTERED_SCAN: i64 = 2000;

/// Words shorter than this are left out of full-text search: a one- or two-letter prefix
/// matches a large part of the vocabulary, which costs hundreds of milliseconds on years of
/// notes and finds nothing useful (codes are still matched from the first letter).
const MIN_WORD: usize = 3;

/// An FTS5 query matching every word of `query` as a prefix, or `None` without words.
fn fts_query(query: &str) -> Option<String> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= MIN_WORD)
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}
