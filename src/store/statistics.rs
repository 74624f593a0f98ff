//! The statistics of a period (the statistics screen, the activity report), read from the
//! statistics' rollup (`rollup`): the period's facts — whole UTC months and days from the
//! rollup, the hours at its ends from the raw rows — and its quarter hours (and the year
//! before's), which `domain::statistics` puts in local hours and days. Then what is no count of
//! the past (callbacks pending now) or is read whole (shifts, for the listening hours and the
//! coverage; files opened and closed). One read transaction: the figures of one instant.

use rusqlite::{Connection, params};

use super::error::{StoreError, StoreResult};
use super::rows::{from_secs, to_secs};
use super::summary::{pending_now, period_files};
use super::{Store, rollup};
use crate::domain::statistics::{QUARTER_SECONDS as QUARTER, RawCounts, Statistics, StatsRequest};
use crate::i18n::Phrase;

impl Store {
    /// The figures `request` asks for.
    pub fn statistics(&self, request: &StatsRequest) -> StoreResult<Statistics> {
        read_statistics(&self.conn, request)
    }

    /// A connection of its own to read statistics on, off the thread that holds the store (the
    /// terminal reads a long period's without holding its keyboard). Opened with the store's
    /// key, which stays in the store; it reads only, and closes when dropped.
    pub fn figures_reader(&self) -> StoreResult<FiguresReader> {
        let conn = match self.access {
            super::Access::ReadWrite => {
                let conn = super::connection::open(&self.db_path, &self.key, false)?;
                conn.execute_batch("PRAGMA query_only = ON;")?;
                conn
            }
            _ => super::connection::open_read_only(&self.db_path, &self.key)?,
        };
        Ok(FiguresReader { conn })
    }
}

/// A reading connection for statistics (`Store::figures_reader`), to be used on another thread.
pub struct FiguresReader {
    conn: Connection,
}

impl FiguresReader {
    /// As [`Store::statistics`].
    pub fn statistics(&self, request: &StatsRequest) -> StoreResult<Statistics> {
        read_statistics(&self.conn, request)
    }
}

/// The figures `request` asks for, read on `conn`.
fn read_statistics(conn: &Connection, request: &StatsRequest) -> StoreResult<Statistics> {
    let StatsRequest { period, zone, now, .. } = *request;
    let read = conn.unchecked_transaction()?;
    if !rollup::is_current(conn)? {
        // Found to disagree with the raw rows during this session (counted afresh at the
        // next unlock), or counted by other rules on a store that cannot be written.
        return Err(StoreError::Refused(Phrase::new(|s| &s.cli.statistics_stale)));
    }
    let (from, to) = period.bounds(zone);
    let (from, to) = (to_secs(from), to_secs(to));
    let facts = rollup::period_facts(conn, from, to)?;
    let quarters = rollup::quarters(conn, from.div_euclid(QUARTER), to.div_euclid(QUARTER))?;
    let (before_from, before_to) = period.a_year_before().bounds(zone);
    let previous_quarters = rollup::quarters(
        conn,
        to_secs(before_from).div_euclid(QUARTER),
        to_secs(before_to).div_euclid(QUARTER),
    )?;
    let (pending_now, overdue_now) = pending_now(conn, now)?;
    // `+created_at`: the few pending callbacks are read by their partial index, not the
    // period's thousands by their creation.
    let overdue = conn.query_row(
        "SELECT count(*) FROM callback
             WHERE status = 'pending' AND due_at < ?3 AND +created_at >= ?1 AND +created_at < ?2",
        params![from, to, to_secs(now)],
        |row| row.get(0),
    )?;
    // Shifts clipped to the period; one still open counts up to now.
    let shifts = conn
        .prepare_cached(
            "SELECT started_at, coalesce(ended_at, ?3) FROM shift
                 WHERE started_at < ?2 AND coalesce(ended_at, ?3) > ?1",
        )?
        .query_map(params![from, to, to_secs(now)], |row| {
            let (start, end): (i64, i64) = (row.get(0)?, row.get(1)?);
            Ok((from_secs(start.max(from)), from_secs(end.min(to))))
        })?
        .collect::<Result<_, _>>()?;
    let raw = RawCounts {
        facts,
        quarters,
        previous_quarters,
        files: period_files(conn, from, to)?,
        pending_now,
        overdue_now,
        overdue,
        shifts,
    };
    read.finish()?;
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
