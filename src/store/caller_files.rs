//! Caller files. Every opening, change, closure and reopening is audited (ids only).

use super::db::{Db, Row, Value};
use super::error::{StoreError, StoreResult};
use super::rollup::{self, Rows};
use super::rows::{code_at, from_secs, from_secs_opt, now, parse_word, parse_word_opt, to_secs};
use super::seal::Field;
use super::{Store, audit};
use crate::db_params;
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

fn read(db: &Db, row: &Row) -> StoreResult<CallerFile> {
    let id = row.get(0)?;
    let departement: Option<String> = row.get(7)?;
    let reason = db.unseal_opt(Field::FILE_CLOSED_REASON, id, &row.get::<Value>(3)?)?;
    let closure = match (reason, row.get::<Option<bool>>(4)?) {
        (Some(reason), Some(caller_agreed)) => Some(Closure { reason, caller_agreed }),
        _ => None,
    };
    Ok(CallerFile {
        id: FileId(id),
        code: code_at(row, 1)?,
        status: parse_word(2, row.get(2)?)?,
        closure,
        profile: FileProfile {
            age_band: parse_word_opt(5, row.get(5)?)?,
            gender: parse_word_opt(6, row.get(6)?)?,
            departement: departement.and_then(|d| Departement::parse(&d).ok()),
            relation: parse_word_opt(8, row.get(8)?)?,
            situation_summary: db.unseal(Field::FILE_SUMMARY, id, &row.get(9)?)?,
            instructions: db.unseal(Field::FILE_INSTRUCTIONS, id, &row.get(10)?)?,
        },
        created_at: from_secs(row.get(11)?),
        last_contact_at: from_secs_opt(row.get(12)?),
        legal_hold: row.get(13)?,
        purged_at: from_secs_opt(row.get(14)?),
        version: row.get(15)?,
    })
}

/// Inserts a file with a fresh random code; shared by the interface and the demo filler. A
/// code already taken inserts nothing (ON CONFLICT: on the server a failed statement would
/// abort the whole transaction) and another is drawn.
pub(super) fn insert(
    db: &Db,
    rng: &mut impl rand::Rng,
    profile: &FileProfile,
    created_at: Timestamp,
) -> StoreResult<(FileId, FileCode)> {
    for _ in 0..CODE_ATTEMPTS {
        let id = db.next_id("caller_file")?;
        let code = FileCode::generate(rng);
        let inserted = db.query_opt(
            "INSERT INTO caller_file (id, code, status, age_band, gender, departement, relation,
                                      situation_summary, instructions, created_at)
             VALUES (?9, ?1, 'open', ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (code) DO NOTHING RETURNING id",
            db_params![
                code.as_str(),
                profile.age_band.map(|a| a.as_str()),
                profile.gender.map(|g| g.as_str()),
                profile.departement.as_ref().map(|d| d.as_str()),
                profile.relation.map(|r| r.as_str()),
                db.seal(Field::FILE_SUMMARY, id, &profile.situation_summary)?,
                db.seal(Field::FILE_INSTRUCTIONS, id, &profile.instructions)?,
                to_secs(created_at),
                id,
            ],
            |row| row.get::<i64>(0),
        )?;
        if let Some(id) = inserted {
            super::blind_index::index_file(db, id, &profile.situation_summary, &profile.instructions)?;
            return Ok((FileId(id), code));
        }
    }
    Err(StoreError::Invalid("no free file code found; try again".into()))
}

/// Appends to a file's history (in the caller's transaction).
pub(super) fn add_event(
    db: &Db,
    file: FileId,
    at: Timestamp,
    listener: Option<ListenerId>,
    kind: FileEventKind,
    reason: &str,
    caller_agreed: Option<bool>,
) -> StoreResult<()> {
    let id = db.next_id("file_event")?;
    db.execute(
        "INSERT INTO file_event (id, caller_file_id, at, listener_id, kind, reason, caller_agreed)
         VALUES (?7, ?1, ?2, ?3, ?4, ?5, ?6)",
        db_params![
            file.0,
            to_secs(at),
            listener.map(|l| l.0),
            kind.as_str(),
            db.seal(Field::EVENT_REASON, id, reason)?,
            caller_agreed,
            id,
        ],
    )?;
    Ok(())
}

impl Store {
    /// Opens a new file; its code is generated and returned to be given to the caller.
    pub fn create_file(&mut self, profile: &FileProfile) -> StoreResult<CallerFile> {
        let id = self.write(|tx, actor| {
            let (id, _) = insert(tx.db(), &mut rand::thread_rng(), profile, now())?;
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
            self.write_unseen(|tx, actor| {
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
        self.write_unseen(|tx, actor| {
            audit::append(tx, Some(actor.id), AuditAction::Exported, ObjectKind::CallerFile, Some(id.0))
        })?;
        Ok(record)
    }

    /// Finds a file by the code the caller gives (any case, with or without the dash).
    pub fn file_id_by_code(&self, code: &str) -> StoreResult<Option<FileId>> {
        let code = FileCode::parse(code).map_err(|e| StoreError::Refused(Phrase::bad_file_code(&e)))?;
        self.conn.query_opt("SELECT id FROM caller_file WHERE code = ?1", db_params![code.as_str()], |row| {
            row.get(0).map(FileId)
        })
    }

    fn file_unaudited(&self, id: FileId) -> StoreResult<CallerFile> {
        self.conn
            .query_opt(
                &format!("SELECT {COLUMNS} FROM caller_file WHERE id = ?1"),
                db_params![id.0],
                |row| read(&self.conn, row),
            )?
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
            let db = tx.db();
            // Its calls' facts count the file's profile: taken away, then added back changed.
            rollup::count(db, Rows::CallsOfFile(id), -1)?;
            // Text written on a purged file is due again: it is as old as the file's last contact.
            let no_text = profile.situation_summary.is_empty() && profile.instructions.is_empty();
            let changed = db.execute(
                "UPDATE caller_file SET age_band = ?3, gender = ?4, departement = ?5, relation = ?6,
                        situation_summary = ?7, instructions = ?8, version = version + 1,
                        purged_at = CASE WHEN ?9 = 1 THEN purged_at END
                 WHERE id = ?1 AND version = ?2",
                db_params![
                    id.0,
                    version,
                    profile.age_band.map(|a| a.as_str()),
                    profile.gender.map(|g| g.as_str()),
                    profile.departement.as_ref().map(|d| d.as_str()),
                    profile.relation.map(|r| r.as_str()),
                    db.seal(Field::FILE_SUMMARY, id.0, &profile.situation_summary)?,
                    db.seal(Field::FILE_INSTRUCTIONS, id.0, &profile.instructions)?,
                    no_text,
                ],
            )?;
            rollup::count(db, Rows::CallsOfFile(id), 1)?;
            if changed == 0 {
                let exists = db
                    .query_opt("SELECT 1 FROM caller_file WHERE id = ?1", db_params![id.0], |_| Ok(()))?
                    .is_some();
                return Err(if exists {
                    StoreError::FileChanged
                } else {
                    StoreError::Invalid(format!("no caller file {id}"))
                });
            }
            super::blind_index::index_file(db, id.0, &profile.situation_summary, &profile.instructions)?;
            if let Some(status) = status {
                db.execute(
                    "UPDATE caller_file SET status = ?2 WHERE id = ?1 AND status != 'closed'",
                    db_params![id.0, status.as_str()],
                )?;
            }
            add_event(db, id, now(), Some(actor.id), FileEventKind::Changed, "", None)?;
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
            let changed = tx.db().execute(
                "UPDATE caller_file SET status = ?2 WHERE id = ?1 AND status != 'closed'",
                db_params![id.0, status.as_str()],
            )?;
            if changed == 0 {
                return Err(StoreError::Invalid(format!("caller file {id} is missing or closed")));
            }
            add_event(tx.db(), id, now(), Some(actor.id), FileEventKind::Changed, "", None)?;
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
            let db = tx.db();
            let changed = db.execute(
                "UPDATE caller_file SET status = 'closed', closed_reason = ?2, caller_agreed = ?3
                 WHERE id = ?1 AND status != 'closed'",
                db_params![id.0, db.seal(Field::FILE_CLOSED_REASON, id.0, reason)?, closure.caller_agreed],
            )?;
            if changed == 0 {
                return Err(StoreError::Invalid(format!("caller file {id} is missing or already closed")));
            }
            add_event(
                db,
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
            let changed = tx.db().execute(
                "UPDATE caller_file SET status = 'follow_up', closed_reason = NULL, caller_agreed = NULL
                 WHERE id = ?1 AND status = 'closed'",
                db_params![id.0],
            )?;
            if changed == 0 {
                return Err(StoreError::Invalid(format!("caller file {id} is missing or not closed")));
            }
            add_event(tx.db(), id, now(), Some(actor.id), FileEventKind::Reopened, reason, None)?;
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
            let changed = tx.db().execute(
                "UPDATE caller_file SET legal_hold = ?2 WHERE id = ?1 AND legal_hold != ?2",
                db_params![id.0, hold],
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
            add_event(tx.db(), id, now(), Some(actor.id), kind, reason, None)?;
            audit::append(tx, Some(actor.id), action, ObjectKind::CallerFile, Some(id.0))
        })
    }

    /// A file's history besides its calls, newest first.
    pub fn file_events(&self, id: FileId) -> StoreResult<Vec<FileEvent>> {
        let db = &self.conn;
        db.query_map(
            "SELECT at, listener_id, kind, reason, caller_agreed, id FROM file_event
             WHERE caller_file_id = ?1 ORDER BY at DESC, id DESC",
            db_params![id.0],
            |row| {
                Ok(FileEvent {
                    at: from_secs(row.get(0)?),
                    listener_id: row.get::<Option<i64>>(1)?.map(ListenerId),
                    kind: parse_word(2, row.get(2)?)?,
                    reason: db.unseal(Field::EVENT_REASON, row.get(5)?, &row.get(3)?)?,
                    caller_agreed: row.get(4)?,
                })
            },
        )
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
            self.write_unseen(|tx, actor| {
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
    ///
    /// A query that is a code being typed with its dash or a digit ("KAT-", "kat 4") is
    /// searched as a code only; letters alone are matched against codes and searched as words.
    /// On a server, letters alone are matched against the codes held in the terminal
    /// (`code_index`): the server never receives the letters of a query beside its tags.
    pub(super) fn find_files(
        &self,
        query: &str,
        filter: &FileFilter,
        limit: usize,
    ) -> StoreResult<Vec<(bool, FileHit)>> {
        let db = &self.conn;
        let status = filter.status.map(|s| s.as_str());
        let departement = filter.departement.as_ref().map(|d| d.as_str());
        let as_code = as_code(query);
        let mut ids: Vec<i64> = Vec::new();
        // Hits already known in the terminal (the server's codes matched here): not read again.
        let mut known: std::collections::HashMap<i64, FileHit> = Default::default();
        match &as_code {
            AsCode::Letters(prefix) if db.is_postgres() => {
                let mut index = self.code_index.borrow_mut();
                index.refresh(db)?;
                for hit in index.matching(prefix, status, departement, limit) {
                    ids.push(hit.id.0);
                    known.insert(hit.id.0, hit);
                }
            }
            AsCode::Letters(prefix) | AsCode::Code(prefix) => {
                // The server's codes are compared as text patterns (index
                // `caller_file_code_prefix`), whatever the database's collation.
                let sql = if db.is_postgres() {
                    "SELECT id FROM caller_file
                     WHERE code LIKE ?1 || '%'
                       AND (CAST(?2 AS TEXT) IS NULL OR status = ?2) AND (CAST(?3 AS TEXT) IS NULL OR departement = ?3)
                     ORDER BY code LIMIT ?4"
                } else {
                    "SELECT id FROM caller_file
                     WHERE code >= ?1 AND code < ?1 || char(127)
                       AND (CAST(?2 AS TEXT) IS NULL OR status = ?2) AND (CAST(?3 AS TEXT) IS NULL OR departement = ?3)
                     ORDER BY code LIMIT ?4"
                };
                ids.extend(db.query_map(
                    sql,
                    db_params![prefix, status, departement, limit as i64],
                    |row| row.get::<i64>(0),
                )?);
            }
            AsCode::No => {}
        }
        let by_code = ids.len();
        let by_words = match as_code {
            AsCode::Code(_) => Vec::new(),
            _ if db.is_postgres() => files_by_tags(db, query, status, departement, limit)?,
            _ => match fts_query(query) {
                Some(words) => files_by_fts(db, &words, filter, status, departement, limit)?,
                None => Vec::new(),
            },
        };
        // A file found by its words too is read whole, its summary shown.
        for id in &by_words {
            known.remove(id);
        }
        ids.extend(by_words);
        if query.trim().is_empty() && !filter.is_empty() {
            ids.extend(db.query_map(
                "SELECT id FROM caller_file
                 WHERE (CAST(?1 AS TEXT) IS NULL OR status = ?1) AND (CAST(?2 AS TEXT) IS NULL OR departement = ?2)
                 ORDER BY last_contact_at DESC NULLS LAST LIMIT ?3",
                db_params![status, departement, limit as i64],
                |row| row.get::<i64>(0),
            )?);
        }
        let mut seen = std::collections::HashSet::new();
        let found: Vec<(bool, i64)> = ids
            .into_iter()
            .enumerate()
            .filter(|(_, id)| seen.insert(*id))
            .map(|(index, id)| (index >= by_code, id))
            .collect();
        let read = |row: &Row| -> StoreResult<FileHit> {
            let id = row.get(0)?;
            Ok(FileHit {
                id: FileId(id),
                code: code_at(row, 1)?,
                status: parse_word(2, row.get(2)?)?,
                last_contact_at: from_secs_opt(row.get(3)?),
                summary: db.unseal(Field::FILE_SUMMARY, id, &row.get(4)?)?,
            })
        };
        let mut hits = Vec::new();
        let unknown: Vec<i64> =
            found.iter().map(|(_, id)| *id).filter(|id| !known.contains_key(id)).collect();
        if db.is_postgres() && !unknown.is_empty() {
            // Every hit not known yet in one query: one round trip, not one per file found.
            let list = format!("{{{}}}", unknown.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
            let read_all = db.query_map(
                "SELECT id, code, status, last_contact_at, situation_summary FROM caller_file
                 WHERE id = ANY(CAST(CAST(?1 AS TEXT) AS BIGINT[]))",
                db_params![list],
                |row| read(row).map(|hit| (hit.id.0, hit)),
            )?;
            known.extend(read_all);
        }
        for (by_words, id) in found {
            let hit = match known.remove(&id) {
                Some(hit) => hit,
                None if db.is_postgres() => continue, // gone since its id was found
                None => db.query_row(
                    "SELECT id, code, status, last_contact_at, situation_summary FROM caller_file WHERE id = ?1",
                    db_params![id],
                    read,
                )?,
            };
            hits.push((by_words, hit));
        }
        // Code matches first; then the most recent contact first.
        hits.sort_by(|(a_text, a), (b_text, b)| {
            a_text.cmp(b_text).then(b.last_contact_at.cmp(&a.last_contact_at))
        });
        Ok(hits.into_iter().take(limit).collect())
    }

    /// The file with the most calls (benchmarks open it as the worst case).
    pub fn busiest_file(&self) -> StoreResult<Option<FileId>> {
        self.conn.query_opt(
            "SELECT caller_file_id FROM call WHERE caller_file_id IS NOT NULL
             GROUP BY caller_file_id ORDER BY count(*) DESC LIMIT 1",
            db_params![],
            |row| row.get(0).map(FileId),
        )
    }
}

/// Files whose text holds every word of `words` (an FTS5 query), through the file's indexes:
/// the files' own, then their calls' notes. With a filter, only the newest FILTERED_SCAN
/// matches of each index are looked at: a selective filter (a small département) would
/// otherwise walk most of a common word's matches on years of notes (13 ms measured on
/// 1,000,000 calls).
fn files_by_fts(
    db: &Db,
    words: &str,
    filter: &FileFilter,
    status: Option<&str>,
    departement: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<i64>> {
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
             WHERE (CAST(?2 AS TEXT) IS NULL OR f.status = ?2) AND (CAST(?3 AS TEXT) IS NULL OR f.departement = ?3)
             ORDER BY m.id DESC LIMIT ?4",
            "SELECT c.caller_file_id FROM
               (SELECT rowid AS id FROM call_fts WHERE call_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?5) m
             JOIN call c ON c.id = m.id
             JOIN caller_file f ON f.id = c.caller_file_id
             WHERE (CAST(?2 AS TEXT) IS NULL OR f.status = ?2) AND (CAST(?3 AS TEXT) IS NULL OR f.departement = ?3)
             ORDER BY m.id DESC LIMIT ?4",
        )
    };
    let mut ids = Vec::new();
    for (sql, wanted) in [(files_sql, limit), (notes_sql, limit * 4)] {
        // SQLite binds by index: the unfiltered statements skip ?2 and ?3, harmlessly, but
        // refuse a parameter past their last (?4).
        let params = db_params![words, status, departement, wanted as i64, FILTERED_SCAN];
        let params = if filter.is_empty() { &params[..4] } else { params };
        ids.extend(db.query_map(sql, params, |row| row.get::<i64>(0))?);
    }
    Ok(ids)
}

/// The same on the server: rows whose blind-index tags hold the query's (GIN index), checked
/// in the terminal on their opened text, so that a query word longer than the indexed
/// prefixes finds what FTS5 finds (`blind_index`). As on the file, a filtered search keeps
/// what passes the filter among the newest [`FILTERED_SCAN`] matches.
fn files_by_tags(
    db: &Db,
    query: &str,
    status: Option<&str>,
    departement: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<i64>> {
    let Some(tags) = db.query_tags(query)? else { return Ok(Vec::new()) };
    let filtered = status.is_some() || departement.is_some();
    let scan = |wanted: usize| if filtered { FILTERED_SCAN } else { wanted as i64 };
    let files = newest_tagged(db, &TAGGED_FILES, &tags, status, departement, scan(limit), limit, |row| {
        let id: i64 = row.get(0)?;
        let summary = db.unseal(Field::FILE_SUMMARY, id, &row.get(1)?)?;
        let instructions = db.unseal(Field::FILE_INSTRUCTIONS, id, &row.get(2)?)?;
        Ok(super::blind_index::matches(query, &[&summary, &instructions]).then_some(id))
    })?;
    let notes =
        newest_tagged(db, &TAGGED_NOTES, &tags, status, departement, scan(limit * 4), limit * 4, |row| {
            let notes = db.unseal(Field::CALL_NOTES, row.get(0)?, &row.get(1)?)?;
            Ok(super::blind_index::matches(query, &[&notes]).then_some(row.get::<i64>(2)?))
        })?;
    let files = files.into_iter().flatten().take(limit);
    Ok(files.chain(notes.into_iter().flatten().take(limit * 4)).collect())
}

/// How many of a table's newest rows the first try of a search by tags reads, checking each
/// row's tags (about 2 µs a row on the server): a word common enough to be met there is
/// answered without the GIN index, whose posting lists cost more the commoner the word.
const NEWEST_FIRST: i64 = 2000;

/// A search by tags on one table, in its two tries: among the newest [`NEWEST_FIRST`] rows,
/// and through the GIN index alone (schema 3). Both list the newest `?4` rows whose tags hold
/// `?1`, newest first: the row's id and its sealed texts (a call's file after its notes), then
/// whether the filter keeps it (`?2` status, `?3` département).
struct TaggedSearch {
    newest_first: &'static str,
    through_index: &'static str,
}

const TAGGED_FILES: TaggedSearch = TaggedSearch {
    newest_first: "SELECT s.id, s.situation_summary, s.instructions,
                          (CAST(?2 AS TEXT) IS NULL OR s.status = ?2) AND (CAST(?3 AS TEXT) IS NULL OR s.departement = ?3)
                   FROM (SELECT r.id, r.situation_summary, r.instructions, r.status, r.departement
                         FROM (SELECT id, situation_summary, instructions, status, departement, search_tags FROM caller_file
                               ORDER BY id DESC LIMIT ?5) r
                         WHERE r.search_tags @> ?1 ORDER BY r.id DESC LIMIT ?4) s
                   ORDER BY s.id DESC",
    through_index: "SELECT s.id, s.situation_summary, s.instructions,
                           (CAST(?2 AS TEXT) IS NULL OR s.status = ?2) AND (CAST(?3 AS TEXT) IS NULL OR s.departement = ?3)
                    FROM files_tagged_newest(?1, ?4) s ORDER BY s.id DESC",
};

const TAGGED_NOTES: TaggedSearch = TaggedSearch {
    newest_first: "SELECT s.id, s.notes, s.caller_file_id,
                          (CAST(?2 AS TEXT) IS NULL OR f.status = ?2) AND (CAST(?3 AS TEXT) IS NULL OR f.departement = ?3)
                   FROM (SELECT r.id, r.caller_file_id, r.notes
                         FROM (SELECT id, caller_file_id, notes, search_tags FROM call ORDER BY id DESC LIMIT ?5) r
                         WHERE r.search_tags @> ?1 AND r.caller_file_id IS NOT NULL ORDER BY r.id DESC LIMIT ?4) s
                   JOIN caller_file f ON f.id = s.caller_file_id
                   ORDER BY s.id DESC",
    through_index: "SELECT s.id, s.notes, s.caller_file_id,
                           (CAST(?2 AS TEXT) IS NULL OR f.status = ?2) AND (CAST(?3 AS TEXT) IS NULL OR f.departement = ?3)
                    FROM calls_tagged_newest(?1, ?4) s JOIN caller_file f ON f.id = s.caller_file_id
                    ORDER BY s.id DESC",
};

/// The newest `scan` rows a [`TaggedSearch`] finds, newest first, those the filter keeps
/// turned by `each`, `None` for the others. The newest rows are tried first; they answer when
/// they hold `scan` matches (the newest `scan` of the whole table), or `wanted` that the filter
/// keeps (the newest such among the newest `scan` matches, since the first try reads fewer rows
/// than a filtered search scans); otherwise the index answers.
#[allow(clippy::too_many_arguments)]
fn newest_tagged<T>(
    db: &Db,
    search: &TaggedSearch,
    tags: &Value,
    status: Option<&str>,
    departement: Option<&str>,
    scan: i64,
    wanted: usize,
    mut each: impl FnMut(&Row) -> StoreResult<Option<T>>,
) -> StoreResult<Vec<Option<T>>> {
    debug_assert!(scan >= NEWEST_FIRST || wanted as i64 == scan);
    let params = db_params![tags.clone(), status, departement, scan, NEWEST_FIRST];
    // Each row, if the filter keeps it; `each` (which opens sealed text) runs only on the rows
    // of the try that answers.
    let read = |sql: &str, params: &[Value]| {
        db.query_map(sql, params, |row| Ok(row.get::<bool>(row.len() - 1)?.then(|| row.clone())))
    };
    let found = read(search.newest_first, params)?;
    let kept = found.iter().filter(|row| row.is_some()).count();
    let found = if found.len() as i64 == scan || kept >= wanted {
        found
    } else {
        read(search.through_index, &params[..4])?
    };
    found.into_iter().map(|row| row.map_or(Ok(None), |row| each(&row))).collect()
}

/// What a query is as a file code.
#[derive(Debug, PartialEq, Eq)]
enum AsCode {
    /// Not the start of a code.
    No,
    /// Letters only ("peu"), which may as well start a word: matched against codes and searched
    /// as words.
    Letters(String),
    /// A code being typed with its dash or a digit ("KAT-", "kat 4" → `KAT-4`): searched as a
    /// code only, so that its letters never go beside their blind-index tags.
    Code(String),
}

/// The start of a file code as typed or heard ("kat 4" -> "KAT-4"), if the query can be one.
fn as_code(query: &str) -> AsCode {
    let compact = crate::domain::caller_file::FileCode::compact(query);
    let (letters, digits) = compact.split_at(compact.len().min(3));
    let valid = !compact.is_empty()
        && letters.iter().all(u8::is_ascii_uppercase)
        && digits.iter().all(u8::is_ascii_digit)
        && compact.len() <= 6;
    if !valid {
        return AsCode::No;
    }
    // Checked ASCII above, so the bytes are one character each ("idé" is no code).
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    if digits.is_empty() && !query.contains('-') {
        AsCode::Letters(text(letters))
    } else if digits.is_empty() {
        AsCode::Code(text(letters))
    } else {
        AsCode::Code(format!("{}-{}", text(letters), text(digits)))
    }
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

#[cfg(test)]
mod tests {
    use super::{AsCode, as_code};

    #[test]
    fn a_code_is_letters_then_a_dash_or_digits_and_letters_alone_may_be_a_word() {
        let code = |s: &str| AsCode::Code(s.into());
        let letters = |s: &str| AsCode::Letters(s.into());
        assert_eq!(as_code("kat 4"), code("KAT-4"));
        assert_eq!(as_code("KAT-452"), code("KAT-452"));
        assert_eq!(as_code("kat452"), code("KAT-452"));
        assert_eq!(as_code("kat-"), code("KAT"), "the dash says it is a code");
        assert_eq!(as_code("ka"), letters("KA"));
        assert_eq!(as_code("peu"), letters("PEU"));
        assert_eq!(as_code("peur"), AsCode::No);
        assert_eq!(as_code("idé"), AsCode::No);
        assert_eq!(as_code("3114"), AsCode::No);
        assert_eq!(as_code("age 45"), code("AGE-45"));
        assert_eq!(as_code(" "), AsCode::No);
    }
}

/// The two tries of a search by tags on the server give the same newest rows, and a match
/// older than the newest rows read first is found through the index.
#[cfg(test)]
mod tagged_tests {
    use super::{NEWEST_FIRST, TAGGED_FILES, TAGGED_NOTES, newest_tagged};
    use crate::db_params;
    use crate::domain::caller_file::FileProfile;
    use crate::store::db::{Db, TxKind, Value};
    use crate::store::keyslots::DataKey;
    use crate::test_support::postgres::fresh_database;

    #[test]
    fn the_newest_rows_and_the_index_find_the_same_newest_matches() {
        let test = "the_newest_rows_and_the_index_find_the_same_newest_matches";
        let Some(database) = fresh_database(test) else { return };
        let db = Db::postgres(database.connect());
        crate::store::postgres::schema::migrate(&db).unwrap();
        db.set_key(&DataKey::generate().unwrap());
        db.execute_batch(
            "INSERT INTO listener (id, login, display_name, role, created_at) VALUES (1, 'coord', 'Dominique', 'supervisor', 0);
             INSERT INTO shift (id, listener_id, started_at) VALUES (1, 1, 0);",
        )
        .unwrap();
        let tx = db.transaction(TxKind::Write).unwrap();
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(7);
        let mut file = |summary: &str| {
            let profile = FileProfile { situation_summary: summary.into(), ..FileProfile::default() };
            super::insert(&tx, &mut rng, &profile, chrono::Utc::now()).unwrap().0
        };
        let (isolated, asleep) = (file("isolée"), file("sommeil"));
        tx.execute("UPDATE caller_file SET status = 'follow_up' WHERE id = ?1", db_params![asleep.0])
            .unwrap();
        // Five old calls about isolation, then more calls about sleep than the first try reads.
        let calls = |n: i64, file: i64, word: &str| {
            let tags = db.search_tags(&[word]).unwrap().unwrap();
            tx.execute(
                "INSERT INTO call (shift_id, listener_id, caller_file_id, started_at, ended_at, call_type, search_tags)
                 SELECT 1, 1, ?1, 0, 0, 'listening', ?2 FROM generate_series(1, ?3)",
                db_params![file, tags, n],
            )
            .unwrap();
        };
        calls(5, isolated.0, "isolée");
        calls(NEWEST_FIRST + 500, asleep.0, "sommeil");
        tx.commit().unwrap();

        let tags = |word: &str| db.query_tags(word).unwrap().unwrap();
        let ids_wanted =
            |search, word: &str, status: Option<&str>, scan: i64, wanted: usize| -> Vec<Option<i64>> {
                newest_tagged(&db, search, &tags(word), status, None, scan, wanted, |row| row.get(0)).unwrap()
            };
        let ids = |search, word: &str, status: Option<&str>, scan: i64| {
            ids_wanted(search, word, status, scan, scan as usize)
        };
        let tried_alone = |search: &super::TaggedSearch, word: &str, status: Option<&str>, scan: i64| {
            let params = db_params![tags(word), status, None::<&str>, scan, NEWEST_FIRST];
            let read = |sql: &str, params: &[Value]| -> Vec<Option<i64>> {
                db.query_map(sql, params, |row| Ok(row.get::<bool>(row.len() - 1)?.then_some(row.get(0)?)))
                    .unwrap()
            };
            (read(search.newest_first, params), read(search.through_index, &params[..4]))
        };

        // A common word: the newest rows answer, as the index would.
        let (first, index) = tried_alone(&TAGGED_NOTES, "sommeil", None, 80);
        assert_eq!(first.len(), 80);
        assert_eq!(first, index);
        assert_eq!(ids(&TAGGED_NOTES, "sommeil", None, 80), first);
        let newest = db.query_row("SELECT max(id) FROM call", db_params![], |row| row.get::<i64>(0)).unwrap();
        assert_eq!(first[0], Some(newest));
        // Filtered: the newest matches with the filter's verdict.
        let (first, index) = tried_alone(&TAGGED_NOTES, "sommeil", Some("open"), 80);
        assert_eq!(first, index);
        assert!(first.iter().all(Option::is_none), "the file is followed up, not open");

        // A word only older calls hold: not among the newest rows; the index finds them.
        let (first, _) = tried_alone(&TAGGED_NOTES, "isolée", None, 80);
        assert!(first.is_empty());
        assert_eq!(ids(&TAGGED_NOTES, "isolée", None, 80), [5, 4, 3, 2, 1].map(Some).to_vec());
        assert_eq!(ids(&TAGGED_NOTES, "isolée", None, 3), [5, 4, 3].map(Some).to_vec());

        // Filtered, with other words among the newest rows: the newest rows hold fewer matches
        // than a filtered search scans, but enough that the filter keeps; the index agrees.
        let tx = db.transaction(TxKind::Write).unwrap();
        let grief = db.search_tags(&["deuil"]).unwrap().unwrap();
        tx.execute(
            "INSERT INTO call (shift_id, listener_id, caller_file_id, started_at, ended_at, call_type, search_tags)
             SELECT 1, 1, ?1, 0, 0, 'listening', ?2 FROM generate_series(1, 3)",
            db_params![asleep.0, grief],
        )
        .unwrap();
        tx.commit().unwrap();
        let kept = |rows: Vec<Option<i64>>| rows.into_iter().flatten().take(10).collect::<Vec<_>>();
        let (first, index) = tried_alone(&TAGGED_NOTES, "sommeil", Some("follow_up"), NEWEST_FIRST);
        assert_eq!(first.len() as i64, NEWEST_FIRST - 3, "the first try alone is not whole");
        let searched = ids_wanted(&TAGGED_NOTES, "sommeil", Some("follow_up"), NEWEST_FIRST, 10);
        assert_eq!(kept(searched), kept(index.clone()));
        assert_eq!(kept(first), kept(index));

        // Files: two, fewer than a try wants, so the index answers.
        assert_eq!(ids(&TAGGED_FILES, "isol", None, 20), vec![Some(isolated.0)]);
        assert_eq!(ids(&TAGGED_FILES, "sommeil", Some("open"), 20), vec![None]);
        assert_eq!(ids(&TAGGED_FILES, "sommeil", Some("follow_up"), 20), vec![Some(asleep.0)]);
    }
}
