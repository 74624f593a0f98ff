//! The statistics of a period on a demo store, checked against the same figures computed
//! independently: raw SQL through a plain SQLCipher connection, local hours with chrono-tz
//! call by call. Then a purge of the period's free text, after which the figures are the same.

mod common;

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Timelike, Utc};
use chrono_tz::Europe::Paris;
use common::*;
use permanence::config::Config;
use permanence::domain::settings::Setting;
use permanence::domain::statistics::StatsPeriod;
use permanence::local_time::Zone;
use permanence::store::{KeyFile, Store};

/// A plain SQLCipher connection with the data key, as any SQLCipher client would open it.
pub fn raw_connection(db: &std::path::Path) -> rusqlite::Connection {
    let unwrapped =
        KeyFile::load(&KeyFile::path_for(db)).unwrap().unlock(SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let conn = rusqlite::Connection::open(db).unwrap();
    let key = unwrapped.data_key().sqlcipher_literal();
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.as_str())).unwrap();
    conn
}

#[test]
fn a_periods_figures_match_independent_sql_and_survive_the_purge_of_its_free_text() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("demo.db");
    // 90 days of history, nothing purged yet.
    permanence::demo::build(&db, 3000, &Config::default().themes, 36_500).unwrap();
    let mut store = Store::open(&db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
    let zone = Zone::default();
    let now = Utc::now();
    let today = zone.today(now);
    // The 60 days that end 31 days ago: old enough to be purged with a 30-day retention.
    let period = StatsPeriod::new(today - Duration::days(90), today - Duration::days(31)).unwrap();
    let stats = store.statistics(period, zone, now).unwrap();
    let (from, to) = period.bounds(zone);

    let conn = raw_connection(&db);
    let range = rusqlite::params![from.timestamp(), to.timestamp()];
    let starts: Vec<i64> = conn
        .prepare("SELECT started_at FROM call WHERE started_at >= ?1 AND started_at < ?2")
        .unwrap()
        .query_map(range, |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(starts.len() > 1000, "the period holds calls: {}", starts.len());
    assert_eq!(stats.summary.calls as usize, starts.len());
    let mut heat = [[0u32; 24]; 7];
    let mut per_day: BTreeMap<chrono::NaiveDate, u32> = BTreeMap::new();
    for at in &starts {
        let local = chrono::DateTime::from_timestamp(*at, 0).unwrap().with_timezone(&Paris);
        heat[local.weekday().num_days_from_monday() as usize][local.hour() as usize] += 1;
        *per_day.entry(local.date_naive()).or_default() += 1;
    }
    assert_eq!(stats.by_weekday_hour, heat, "calls by local weekday and hour");
    assert_eq!(stats.over_time.current, per_day.values().copied().collect::<Vec<_>>(), "calls per local day");
    assert_eq!(stats.over_time.starts.first(), Some(&period.first));

    let mut lengths: Vec<i64> = conn
        .prepare(
            "SELECT ended_at - started_at FROM call
             WHERE started_at >= ?1 AND started_at < ?2 AND time_spent IS NULL",
        )
        .unwrap()
        .query_map(range, |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    lengths.sort();
    let p90 = lengths[(lengths.len() * 9).div_ceil(10) - 1];
    let n = lengths.len();
    let median = if n % 2 == 1 { lengths[n / 2] } else { (lengths[n / 2 - 1] + lengths[n / 2]) / 2 };
    assert_eq!(stats.lengths[0].median_seconds, median);
    assert_eq!(stats.summary.median_seconds, median);
    assert_eq!(stats.lengths[0].p90_seconds, p90);

    let women_themes: i64 = conn
        .query_row(
            "SELECT count(*) FROM call c JOIN call_theme t ON t.call_id = c.id
             JOIN caller_file f ON f.id = c.caller_file_id
             WHERE f.gender = 'woman' AND c.started_at >= ?1 AND c.started_at < ?2",
            range,
            |row| row.get(0),
        )
        .unwrap();
    let counted: u32 = stats.themes_by_gender.values().filter_map(|g| g.get("woman")).sum();
    assert_eq!(i64::from(counted), women_themes);
    let anonymous: i64 = conn
        .query_row(
            "SELECT count(*) FROM call WHERE caller_file_id IS NULL AND started_at >= ?1 AND started_at < ?2",
            range,
            |row| row.get(0),
        )
        .unwrap();
    assert!(i64::from(stats.profiles.relation["unknown"]) >= anonymous);
    let created: i64 = conn
        .query_row("SELECT count(*) FROM callback WHERE created_at >= ?1 AND created_at < ?2", range, |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(i64::from(stats.callbacks.created), created);
    assert!(created > 0);
    let listening: i64 = conn
        .query_row(
            "SELECT sum(min(ended_at, ?2) - max(started_at, ?1)) FROM shift
             WHERE started_at < ?2 AND ended_at > ?1",
            range,
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(stats.listening.seconds, listening);
    assert!(stats.previous_calls == 0, "the demo has no history a year before");

    // Purge every free text older than 30 days: the period's notes are gone, its figures stay.
    let notes_before: i64 = conn
        .query_row(
            "SELECT count(*) FROM call WHERE notes <> '' AND started_at < ?1",
            [to.timestamp()],
            |row| row.get(0),
        )
        .unwrap();
    assert!(notes_before > 0);
    store.set_setting(Setting::RetentionDays, 30).unwrap();
    let purged = store.purge(now, false).unwrap();
    assert!(purged.files > 0 && purged.calls > 0, "{purged:?}");
    let notes_after: i64 = conn
        .query_row(
            "SELECT count(*) FROM call WHERE notes <> '' AND started_at < ?1",
            [to.timestamp()],
            |row| row.get(0),
        )
        .unwrap();
    // What is left is the notes of files still in contact since (their last call is recent).
    let left_on_purged: i64 = conn
        .query_row(
            "SELECT count(*) FROM call c LEFT JOIN caller_file f ON f.id = c.caller_file_id
             WHERE c.notes <> '' AND c.started_at < ?1 AND (f.id IS NULL OR f.purged_at IS NOT NULL)",
            [to.timestamp()],
            |row| row.get(0),
        )
        .unwrap();
    assert!(
        notes_after < notes_before,
        "notes of the period were purged: {notes_after} of {notes_before} left"
    );
    assert_eq!(left_on_purged, 0);
    // The summary's "pending now" is the whole store's queue at this instant, not the period's:
    // the purge cancels the pending callbacks of the files it wipes (documented), so it is
    // left out; the period's own callbacks (created in it, and what became of them) stay.
    let mut after = store.statistics(period, zone, now).unwrap();
    let mut before = stats;
    for figures in [&mut after, &mut before] {
        figures.summary.callbacks.pending = 0;
        figures.summary.callbacks.overdue = 0;
    }
    assert_eq!(after, before);
}
