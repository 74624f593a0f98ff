//! The statistics of a period (the statistics screen, the activity report), read from the
//! statistics' rollup (`rollup`): the period's facts — whole UTC months and days from the
//! rollup, the hours at its ends from the raw rows — and its quarter hours (and the year
//! before's), which `domain::statistics` puts in local hours and days. Then what is no count of
//! the past (callbacks pending now) or is read whole (shifts, for the listening hours and the
//! coverage; files opened and closed). One read transaction: the figures of one instant. The
//! same statements on both backends.

use super::db::{Db, TxKind};
use super::error::{StoreError, StoreResult};
use super::keyslots::DataKey;
use super::location::Location;
use super::postgres::ServerUrl;
use super::rows::{from_secs, to_secs};
use super::summary::{pending_now, period_files};
use super::{Store, rollup};
use crate::db_params;
use crate::domain::statistics::{QUARTER_SECONDS as QUARTER, RawCounts, Statistics, StatsRequest};
use crate::i18n::Phrase;

/// Pending callbacks of the period already overdue. `+created_at` (SQLite's way of keeping a
/// column off its index choice): the few pending callbacks are read by their partial index, not
/// the period's thousands by their creation. The server's planner needs no hint (and has no
/// such syntax).
const OVERDUE_FILE: &str = "SELECT count(*) FROM callback
     WHERE status = 'pending' AND due_at < ?3 AND +created_at >= ?1 AND +created_at < ?2";
const OVERDUE_SERVER: &str = "SELECT count(*) FROM callback
     WHERE status = 'pending' AND due_at < ?3 AND created_at >= ?1 AND created_at < ?2";

impl Store {
    /// The figures `request` asks for.
    pub fn statistics(&self, request: &StatsRequest) -> StoreResult<Statistics> {
        read_statistics(&self.conn, request)
    }

    /// A connection of its own to read statistics on, off the thread that holds the store (the
    /// terminal reads a long period's without holding its keyboard); it reads only, and closes
    /// when dropped. A file's is opened here with the store's key, which stays in the store. A
    /// server's is made on the thread that first reads with it (no round trip on the key
    /// loop), from the server's address and a copy of the data key (wiped when the reader is
    /// dropped, which the terminal does before the store wipes its own).
    pub fn figures_reader(&self) -> StoreResult<FiguresReader> {
        let source = match &self.location {
            Location::Server(url) => {
                Source::Server { url: url.clone(), key: Some(self.key.duplicate()), db: None }
            }
            Location::File(path) => {
                let conn = match self.access {
                    super::Access::ReadWrite => {
                        let conn = super::connection::open(path, &self.key, false)?;
                        conn.execute_batch("PRAGMA query_only = ON;")?;
                        conn
                    }
                    _ => super::connection::open_read_only(path, &self.key)?,
                };
                Source::File(Db::Sqlite(conn))
            }
        };
        Ok(FiguresReader { source })
    }
}

/// A reading connection for statistics (`Store::figures_reader`), to be used on another thread.
pub struct FiguresReader {
    source: Source,
}

enum Source {
    File(Db),
    /// The connection, once made; the key, until it is.
    Server {
        url: Box<ServerUrl>,
        key: Option<DataKey>,
        db: Option<Db>,
    },
}

impl FiguresReader {
    /// As [`Store::statistics`]; on a server, in a read-only transaction.
    pub fn statistics(&mut self, request: &StatsRequest) -> StoreResult<Statistics> {
        let db = match &mut self.source {
            Source::File(db) => db,
            Source::Server { url, key, db } => {
                if db.is_none() {
                    let made = Db::connect(url)?;
                    let key = key
                        .take()
                        .ok_or_else(|| StoreError::Invalid("the statistics' key is gone".into()))?;
                    made.set_key(&key);
                    *db = Some(made);
                }
                db.as_ref().expect("made above")
            }
        };
        read_statistics(db, request)
    }
}

/// The figures `request` asks for, read on `db`.
fn read_statistics(db: &Db, request: &StatsRequest) -> StoreResult<Statistics> {
    let StatsRequest { period, zone, now, .. } = *request;
    let read = db.transaction(TxKind::Read)?;
    if !rollup::is_current(&read)? {
        // Found to disagree with the raw rows during this session (counted afresh at the
        // next unlock), or counted by other rules on a store that cannot be written.
        return Err(StoreError::Refused(Phrase::new(|s| &s.cli.statistics_stale)));
    }
    let (from, to) = period.bounds(zone);
    let (from, to) = (to_secs(from), to_secs(to));
    let facts = rollup::period_facts(&read, from, to)?;
    let quarters = rollup::quarters(&read, from.div_euclid(QUARTER), to.div_euclid(QUARTER))?;
    let (before_from, before_to) = period.a_year_before().bounds(zone);
    let previous_quarters = rollup::quarters(
        &read,
        to_secs(before_from).div_euclid(QUARTER),
        to_secs(before_to).div_euclid(QUARTER),
    )?;
    let (pending_now, overdue_now) = pending_now(&read, now)?;
    let overdue_sql = if read.is_postgres() { OVERDUE_SERVER } else { OVERDUE_FILE };
    let overdue = read.query_row(overdue_sql, db_params![from, to, to_secs(now)], |row| row.get(0))?;
    // Shifts clipped to the period; one still open counts up to now.
    let shifts = read.query_map(
        "SELECT started_at, coalesce(ended_at, ?3) FROM shift
             WHERE started_at < ?2 AND coalesce(ended_at, ?3) > ?1",
        db_params![from, to, to_secs(now)],
        |row| {
            let (start, end): (i64, i64) = (row.get(0)?, row.get(1)?);
            Ok((from_secs(start.max(from)), from_secs(end.min(to))))
        },
    )?;
    let raw = RawCounts {
        facts,
        quarters,
        previous_quarters,
        files: period_files(&read, from, to)?,
        pending_now,
        overdue_now,
        overdue,
        shifts,
    };
    read.commit()?;
    Ok(Statistics::build(request, raw))
}

#[cfg(test)]
mod tests {
    use super::super::tests::create;

    /// A year's figures read the rollup's rows by their keys: no step scans a table.
    #[test]
    fn a_periods_reads_go_by_the_rollups_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = create(&dir.path().join("p.db"));
        let statements = [
            "SELECT facet, value, detail, sum(n), sum(seconds) FROM stat_count
             WHERE span = ?1 AND first_day >= ?2 AND first_day < ?3 GROUP BY 1, 2, 3",
            "SELECT quarter, contacts, answered, missed FROM stat_quarter WHERE quarter >= ?1 AND quarter < ?2",
        ];
        for sql in statements {
            let plan: Vec<String> = store
                .conn
                .sqlite()
                .unwrap()
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(
                    rusqlite::params_from_iter(["day", "1", "2"].iter().take(sql.matches('?').count())),
                    |row| row.get(3),
                )
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter()
                    .any(|step| step.contains("PRIMARY KEY") || step.contains("USING INTEGER PRIMARY KEY")),
                "{sql}: {plan:?}"
            );
            assert!(
                !plan.iter().any(|step| step.starts_with("SCAN") && !step.contains("USING")),
                "{sql}: {plan:?}"
            );
        }
    }
}
