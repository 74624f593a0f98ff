//! The statistics of a period (the statistics screen, the activity report): `Store::summary`'s
//! figures and the raw counts `domain::statistics` makes local-time charts of. Aggregates
//! only, each query over the index on the column it ranges on (`call_by_start`,
//! `callback_by_created`, `shift_by_start`), so a year reads that year's rows on a store of
//! ten.

use super::Store;
use super::error::StoreResult;
use super::rows::to_secs;
use super::summary::ScopeRequest;
use crate::db_params;
use crate::domain::Timestamp;
use crate::domain::statistics::{
    BUCKET_SECONDS, CallbackRow, CallbackState, Listening, RawCounts, Statistics, StatsPeriod,
};
use crate::local_time::Zone;

/// Calls per UTC quarter hour (`?3` seconds): `call_by_start` covers it, no row is read.
const QUARTERS: &str = "SELECT started_at / ?3, count(*) FROM call
                        WHERE started_at >= ?1 AND started_at < ?2 GROUP BY 1";

/// The files' profiles as they are now (a file's age band is not kept per call), counted per
/// file first: one look-up per file, not per call.
const PROFILES: &str = "SELECT f.age_band, f.gender, f.relation, sum(g.calls)
                        FROM (SELECT caller_file_id, count(*) AS calls FROM call
                              WHERE started_at >= ?1 AND started_at < ?2 GROUP BY 1) g
                        LEFT JOIN caller_file f ON f.id = g.caller_file_id GROUP BY 1, 2, 3";

impl Store {
    /// The figures of the local days of `period`, hours and days read in `zone`.
    pub fn statistics(&self, period: StatsPeriod, zone: Zone, now: Timestamp) -> StoreResult<Statistics> {
        let (from, to) = period.bounds(zone);
        // The summary's pass over the calls gives the lengths by type too; its themes come
        // from the themes-by-gender query below (one join of calls and themes, not two).
        let (mut summary, lengths) = self.summary_parts(ScopeRequest::Period { from, to }, now, false)?;
        let (from, to) = (to_secs(from), to_secs(to));
        let (before_from, before_to) = period.a_year_before().bounds(zone);
        let db = &self.conn;

        let quarters = |from: i64, to: i64| -> StoreResult<Vec<(i64, u32)>> {
            db.query_map(QUARTERS, db_params![from, to, BUCKET_SECONDS], |row| Ok((row.get(0)?, row.get(1)?)))
        };
        let profiles = db.query_map(PROFILES, db_params![from, to], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
        let themes: Vec<(String, Option<String>, u32)> = db.query_map(
            // Counted per file and theme first: one look-up per file, not per call.
            "SELECT g.theme, f.gender, sum(g.calls)
             FROM (SELECT c.caller_file_id AS file, t.theme AS theme, count(*) AS calls
                   FROM call c JOIN call_theme t ON t.call_id = c.id
                   WHERE c.started_at >= ?1 AND c.started_at < ?2 GROUP BY 1, 2) g
             LEFT JOIN caller_file f ON f.id = g.file GROUP BY 1, 2",
            db_params![from, to],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        let callbacks = db.query_map(
            // CASE: the server's comparisons are booleans, read here as 0 or 1 like the file's.
            "SELECT cb.status, cb.flagged, CASE WHEN cb.status = 'pending' AND cb.due_at < ?3 THEN 1 ELSE 0 END,
                    (SELECT min(a.attempted_at) FROM callback_attempt a WHERE a.callback_id = cb.id)
                      - cb.due_at
             FROM callback cb WHERE cb.created_at >= ?1 AND cb.created_at < ?2",
            db_params![from, to, to_secs(now)],
            |row| {
                let status = match row.get::<String>(0)?.as_str() {
                    "pending" => CallbackState::Pending,
                    "done" => CallbackState::Done,
                    _ => CallbackState::Cancelled,
                };
                Ok(CallbackRow {
                    status,
                    flagged: row.get(1)?,
                    overdue: row.get(2)?,
                    first_attempt_after: row.get(3)?,
                })
            },
        )?;
        // Shifts clipped to the period; one still open counts up to now. CASE rather than
        // SQLite's two-argument min() and max(), which the server spells least() and greatest().
        let listening = db.query_row(
            "SELECT count(*), coalesce(sum(
                      CASE WHEN coalesce(ended_at, ?3) < ?2 THEN coalesce(ended_at, ?3) ELSE ?2 END
                    - CASE WHEN started_at > ?1 THEN started_at ELSE ?1 END), 0)
             FROM shift WHERE started_at < ?2 AND coalesce(ended_at, ?3) > ?1",
            db_params![from, to, to_secs(now)],
            |row| Ok(Listening { shifts: row.get(0)?, seconds: row.get(1)? }),
        )?;
        for (theme, _, calls) in &themes {
            *summary.by_theme.entry(theme.clone()).or_insert(0) += calls;
        }
        let raw = RawCounts {
            quarters: quarters(from, to)?,
            previous_quarters: quarters(to_secs(before_from), to_secs(before_to))?,
            lengths,
            profiles,
            themes,
            callbacks,
            listening,
        };
        Ok(Statistics::build(period, zone, summary, raw))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::create;

    /// A year's figures read indexes, not the calls' rows (which hold the notes): the pass over
    /// the calls, the profiles' and the quarter hours' are covered by an index.
    #[test]
    fn the_passes_over_a_periods_calls_read_only_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = create(&dir.path().join("p.db"));
        // The statements the code runs, not copies of them.
        let pass = super::super::summary::contacts_pass("c.started_at >= ?1 AND c.started_at < ?2");
        for sql in [pass.as_str(), super::PROFILES, super::QUARTERS] {
            let conn = store.conn.sqlite().unwrap();
            let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let params = [1i64, 2, 900];
            let params = &params[..statement.parameter_count()];
            let plan: Vec<String> = statement
                .query_map(rusqlite::params_from_iter(params), |row| row.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            // The profiles' inner pass is the covered one; its join looks files up by id.
            assert!(plan.iter().any(|step| step.contains("COVERING INDEX")), "{sql}: {plan:?}");
        }
    }
}
