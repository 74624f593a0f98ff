//! The statistics' rollup kept, checked, broken and counted afresh, on the file and on a server
//! alike: what its upkeep does when the rollup disagrees with the raw rows or fails outright
//! (the call is saved all the same), and the recount one month per transaction. Each test runs
//! on both backends; a raw connection plays whoever changes the tables behind the program's back.

use chrono::{DateTime, Datelike, Duration, Utc};

use super::db::Db;
use super::tests::{PASS, create, raw_connection};
use super::*;
use crate::domain::call::{CallRecord, CallType, NewCall};
use crate::domain::caller_file::FileProfile;
use crate::domain::statistics::{StatsPeriod, StatsRequest};
use crate::test_support::postgres::{TestDatabase, fresh_database};

/// Where a test's store lives.
enum Backend {
    File(tempfile::TempDir),
    Server(Box<TestDatabase>),
}

impl Backend {
    fn location(&self) -> Location {
        match self {
            Backend::File(dir) => Location::File(dir.path().join("p.db")),
            Backend::Server(database) => Location::from(postgres::ServerUrl::parse(database.url()).unwrap()),
        }
    }

    /// A new store whose only account is the supervisor `coord`.
    fn create(&self) -> Store {
        match self {
            Backend::File(dir) => create(&dir.path().join("p.db")),
            Backend::Server(_) => {
                let account = NewAccount {
                    login: "coord",
                    display_name: "Dominique",
                    role: Role::Supervisor,
                    passphrase: PASS,
                };
                Store::create(self.location(), account, KdfParams::MINIMUM).unwrap()
            }
        }
    }

    fn open(&self) -> Store {
        Store::open(self.location(), "coord", PASS).unwrap()
    }

    /// A second connection of the store's, outside the program.
    fn raw(&self, store: &Store) -> Db {
        match self {
            Backend::File(_) => Db::Sqlite(raw_connection(store)),
            Backend::Server(database) => Db::postgres(database.connect()),
        }
    }

    /// Makes the rollup's table refuse every new row, as a constraint or a bug would.
    fn refuse_rollup_rows(&self, raw: &Db) {
        raw.execute_batch(match self {
            Backend::File(_) => {
                "CREATE TRIGGER refuse BEFORE INSERT ON stat_count BEGIN SELECT RAISE(ABORT, 'refused'); END"
            }
            Backend::Server(_) => {
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
                 CREATE TRIGGER refuse BEFORE INSERT ON stat_count FOR EACH ROW EXECUTE FUNCTION refuse();"
            }
        })
        .unwrap();
    }

    fn accept_rollup_rows(&self, raw: &Db) {
        raw.execute_batch(match self {
            Backend::File(_) => "DROP TRIGGER refuse",
            Backend::Server(_) => "DROP TRIGGER refuse ON stat_count",
        })
        .unwrap();
    }
}

/// Runs `test` on a file, then on a fresh database of the test server (skipped with a line
/// outside CI when there is none; a failure under CI).
fn on_each_backend(name: &str, test: impl Fn(&Backend)) {
    test(&Backend::File(tempfile::tempdir().unwrap()));
    if let Some(database) = fresh_database(name) {
        test(&Backend::Server(Box::new(database)));
    }
}

fn listening(shift: crate::domain::ShiftId, started_at: DateTime<Utc>, themes: Vec<String>) -> NewCall {
    NewCall {
        shift_id: shift,
        started_at,
        ended_at: started_at + Duration::minutes(12),
        call_type: CallType::Listening,
        time_spent: None,
        record: CallRecord { themes, ..CallRecord::default() },
    }
}

/// The statistics of the local days from `first` to today.
fn days_since(first: DateTime<Utc>) -> StatsRequest {
    let zone = crate::local_time::Zone::default();
    let days = StatsPeriod::new(zone.today(first), zone.today(Utc::now())).unwrap();
    crate::config::Config::default().statistics_of(days, Utc::now())
}

fn names_month(store: &Store, month: chrono::NaiveDate) -> bool {
    let findings = store.check().unwrap().findings;
    findings.iter().any(|f| matches!(f, CheckFinding::Statistics(m) if *m == month))
}

/// The statistics' rollup changed behind the program's back (or a fault in its upkeep) is named
/// by `check`, with the month it first differs in; a fact it does not hold never fails a save,
/// the statistics wait for a recount, and the next opening counts it afresh.
#[test]
fn a_rollup_that_disagrees_with_the_calls_is_found_by_check_and_counted_again_at_the_next_opening() {
    let test =
        "a_rollup_that_disagrees_with_the_calls_is_found_by_check_and_counted_again_at_the_next_opening";
    on_each_backend(test, |backend| {
        let mut store = backend.create();
        let shift = store.start_shift().unwrap();
        let started_at = Utc::now() - Duration::minutes(30);
        let call = |themes| listening(shift.id, started_at, themes);
        store.save_call(&call(vec!["deuil".into()])).unwrap();
        assert!(store.check().unwrap().is_clean());
        // A theme counted once more than there are calls with it.
        let raw = backend.raw(&store);
        raw.execute_batch("UPDATE stat_count SET n = n + 1 WHERE facet = 'theme'").unwrap();
        let month = started_at.date_naive().with_day(1).unwrap();
        assert!(names_month(&store, month));
        // Its day's rows taken away altogether: the next save of the same facts still saves.
        raw.execute_batch("DELETE FROM stat_count WHERE span = 'day'").unwrap();
        let id = store.save_call(&call(vec!["deuil".into()])).unwrap();
        let seen = store.call(id).unwrap().record.notes;
        store.amend_call_notes(id, &seen, "reprises").unwrap();
        let request = days_since(started_at);
        assert!(store.statistics(&request).is_ok(), "additions alone do not mark it");
        let file = store.create_file(&FileProfile::default()).unwrap();
        let mut linked = call(vec![]);
        linked.record.caller_file_id = Some(file.id);
        store.save_call(&linked).unwrap();
        // Taking away what it does not hold (a file's calls, its profile edited) marks it.
        store.update_file_profile(file.id, file.version, &FileProfile::default()).unwrap();
        raw.execute_batch("DELETE FROM stat_count WHERE facet = 'age_band'").unwrap();
        let version = store.open_file(file.id).unwrap().version;
        store.update_file_profile(file.id, version, &FileProfile::default()).unwrap();
        assert!(matches!(store.statistics(&request), Err(StoreError::Refused(_))), "the figures wait");
        drop((raw, store));
        let store = backend.open();
        assert!(store.check().unwrap().is_clean(), "counted afresh at the opening");
        let figures = store.statistics(&request).unwrap();
        assert_eq!((figures.summary.calls, figures.summary.by_theme["deuil"]), (3, 2));
    });
}

/// A fault of the rollup's upkeep itself (its table refusing a row, or gone altogether) never
/// costs the listener a call: the call is saved, the rollup is marked stale (the statistics wait)
/// and `check` names the month it no longer counts right. On a server the refused statement
/// aborts the transaction until the upkeep's savepoint is rolled back to: the save commits all
/// the same (`Db::rollback_to`).
#[test]
fn a_broken_rollup_never_fails_a_save_and_is_marked_stale() {
    on_each_backend("a_broken_rollup_never_fails_a_save_and_is_marked_stale", |backend| {
        let mut store = backend.create();
        let shift = store.start_shift().unwrap();
        let started_at = Utc::now() - Duration::minutes(30);
        let call = listening(shift.id, started_at, vec!["deuil".into()]);
        store.save_call(&call).unwrap();
        let request = days_since(started_at);
        assert!(store.statistics(&request).is_ok());
        let raw = backend.raw(&store);
        backend.refuse_rollup_rows(&raw);
        let id = store.save_call(&call).expect("the call is saved although its upkeep failed");
        assert_eq!(store.call(id).unwrap().record.themes, vec!["deuil".to_string()]);
        let saved: i64 =
            raw.query_row("SELECT count(*) FROM call", crate::db_params![], |r| r.get(0)).unwrap();
        assert_eq!(saved, 2, "committed, as another connection sees");
        assert!(matches!(store.statistics(&request), Err(StoreError::Refused(_))), "the figures wait");
        backend.accept_rollup_rows(&raw);
        assert!(names_month(&store, started_at.date_naive().with_day(1).unwrap()));
        // The table gone altogether: calls still save.
        raw.execute_batch("DROP TABLE stat_count").unwrap();
        store.save_call(&call).expect("saved without the rollup's table");
        assert_eq!(store.counts().unwrap().calls, 3);
    });
}

/// The rollup is counted afresh one month per transaction, with a cursor: between two months
/// another terminal saves (in a month counted already and in one not yet counted) and both are
/// counted right; a recount cut short (the program stopped) resumes at the next opening, and
/// the figures wait until every month is counted.
#[test]
fn the_rollup_is_recounted_a_month_at_a_time_and_a_recount_cut_short_resumes() {
    on_each_backend("the_rollup_is_recounted_a_month_at_a_time_and_a_recount_cut_short_resumes", |backend| {
        let mut store = backend.create();
        let shift = store.start_shift().unwrap();
        let now = Utc::now();
        let call = |at| listening(shift.id, at, vec!["deuil".into()]);
        let (old, older, recent) =
            (now - Duration::days(40), now - Duration::days(75), now - Duration::minutes(30));
        for at in [older, old, recent] {
            store.save_call(&call(at)).unwrap();
        }
        // Stale and wrong: made by other rules.
        let raw = backend.raw(&store);
        raw.execute_batch("DELETE FROM stat_rules; UPDATE stat_count SET n = n + 5;").unwrap();
        assert!(rollup::rebuild_step(&raw).unwrap(), "the first month counted");
        let (rules, cursor): (i64, i64) = raw
            .query_row(
                "SELECT (SELECT count(*) FROM stat_rules), (SELECT count(*) FROM stat_rebuild)",
                crate::db_params![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((rules, cursor), (0, 1), "a cursor, and no rules before the last month");
        // Another terminal saves between two months: in the month counted, and in one not yet.
        store.save_call(&call(older + Duration::hours(1))).unwrap();
        store.save_call(&call(recent + Duration::minutes(1))).unwrap();
        let request = days_since(older);
        assert!(matches!(store.statistics(&request), Err(StoreError::Refused(_))), "the figures wait");
        // Cut short: the next opening resumes and finishes it.
        drop((raw, store));
        let store = backend.open();
        assert!(store.check().unwrap().is_clean(), "every month counted right");
        let figures = store.statistics(&request).unwrap();
        assert_eq!((figures.summary.calls, figures.summary.by_theme["deuil"]), (5, 5));
    });
}
