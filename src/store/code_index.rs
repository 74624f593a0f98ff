//! The centre's file codes held in the terminal, on a server only: a query of letters alone
//! ("peu", which may be the start of a word as well as of a code) is matched against codes here,
//! never sent, because the same keypress sends the word's blind-index tags and an administrator
//! reading both would learn which letters a tag stands for (review of issue 18, finding 1).
//!
//! Read whole once (at unlock, or at the first search), then kept up to date by the rows
//! changed since: every insert and update of a `caller_file` row on the server takes a new
//! number from the sequence `caller_file_changes` (server schema 1, a trigger), and writers
//! take turns on the write lock, so numbers commit in order and none is skipped. Files are
//! never deleted and codes never change. What the index holds is what the server shows in
//! clear anyway: codes, statuses, départements, last contacts.

use std::collections::BTreeMap;

use super::db::Db;
use super::error::StoreResult;
use super::rows::{code_at, from_secs_opt, parse_word};
use crate::db_params;
use crate::domain::caller_file::{FileCode, FileHit, FileStatus};
use crate::domain::{FileId, Timestamp};

#[derive(Default)]
pub(super) struct CodeIndex {
    /// By code, in the order `ORDER BY code` gives.
    files: BTreeMap<String, Indexed>,
    /// The highest change number read.
    seen: i64,
}

struct Indexed {
    id: FileId,
    code: FileCode,
    status: FileStatus,
    departement: Option<String>,
    last_contact_at: Option<Timestamp>,
}

impl CodeIndex {
    /// Reads what changed on the server since the last call (everything, the first time). In
    /// no order: the highest number is kept whatever the order, and sorting every file's row by
    /// it cost the first reading (at each unlock) twice its time at a million calls.
    pub(super) fn refresh(&mut self, db: &Db) -> StoreResult<()> {
        let rows = db.query_map(
            "SELECT id, code, status, departement, last_contact_at, changed FROM caller_file
             WHERE changed > ?1",
            db_params![self.seen],
            |row| {
                let file = Indexed {
                    id: FileId(row.get(0)?),
                    code: code_at(row, 1)?,
                    status: parse_word(2, row.get(2)?)?,
                    departement: row.get(3)?,
                    last_contact_at: from_secs_opt(row.get(4)?),
                };
                Ok((file, row.get::<i64>(5)?))
            },
        )?;
        for (file, changed) in rows {
            self.seen = self.seen.max(changed);
            self.files.insert(file.code.as_str().to_owned(), file);
        }
        Ok(())
    }

    /// The files whose code starts with `prefix` and which the filter keeps, by code, at most
    /// `limit`: what the file's `code >= ?1 AND code < ?1 || char(127)` finds. Their summaries
    /// are not read (reading them by id would tell the server which codes matched): such hits
    /// show no text.
    pub(super) fn matching(
        &self,
        prefix: &str,
        status: Option<&str>,
        departement: Option<&str>,
        limit: usize,
    ) -> Vec<FileHit> {
        self.files
            .range(prefix.to_owned()..)
            .take_while(|(code, _)| code.starts_with(prefix))
            .map(|(_, file)| file)
            .filter(|file| status.is_none_or(|s| file.status.as_str() == s))
            .filter(|file| departement.is_none_or(|d| file.departement.as_deref() == Some(d)))
            .take(limit)
            .map(|file| FileHit {
                id: file.id,
                code: file.code.clone(),
                status: file.status,
                last_contact_at: file.last_contact_at,
                summary: String::new(),
            })
            .collect()
    }
}
