//! The statistics of a period on a demo store, checked against the same figures computed
//! independently: raw SQL through a plain connection of its own (SQLCipher's, or the server's),
//! local hours with chrono-tz call by call. Then a purge of the period's free text, after which
//! the figures are the same. Every test runs on a file and on a server (`on_each_backend`).

mod common;

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Timelike, Utc};
use chrono_tz::Europe::Paris;
use common::*;
use permanence::config::Config;
use permanence::db_params;
use permanence::domain::settings::Setting;
use permanence::domain::statistics::StatsPeriod;
use permanence::local_time::Zone;
use permanence::store::ScopeRequest;
use permanence::store::Store;
use permanence::store::db::Value;

#[test]
fn a_periods_figures_match_independent_sql_and_survive_the_purge_of_its_free_text() {
    let test = "a_periods_figures_match_independent_sql_and_survive_the_purge_of_its_free_text";
    on_each_backend(test, |backend| {
        // 90 days of history, nothing purged yet.
        permanence::demo::build(backend.db.clone(), 3000, &Config::default().themes, 36_500).unwrap();
        let mut store = Store::open(&backend.db, SUPERVISOR, SUPERVISOR_PASS).unwrap();
        let zone = Zone::default();
        let now = Utc::now();
        let today = zone.today(now);
        // The 60 days that end 31 days ago: old enough to be purged with a 30-day retention.
        let period = StatsPeriod::new(today - Duration::days(90), today - Duration::days(31)).unwrap();
        let request = Config::default().statistics_of(period, now);
        let stats = store.statistics(&request).unwrap();
        let (from, to) = period.bounds(zone);

        let raw = backend.raw();
        let range = db_params![from.timestamp(), to.timestamp()];
        let count =
            |sql: &str, params: &[Value]| -> i64 { raw.query_row(sql, params, |row| row.get(0)).unwrap() };
        let starts: Vec<i64> = raw
            .query_map(
                "SELECT started_at FROM call WHERE started_at >= ?1 AND started_at < ?2",
                range,
                |row| row.get(0),
            )
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
        assert_eq!(
            stats.over_time.current,
            per_day.values().copied().collect::<Vec<_>>(),
            "calls per local day"
        );
        assert_eq!(stats.over_time.starts.first(), Some(&period.first));

        let mut lengths: Vec<i64> = raw
            .query_map(
                "SELECT ended_at - started_at FROM call
                 WHERE started_at >= ?1 AND started_at < ?2 AND time_spent IS NULL",
                range,
                |row| row.get(0),
            )
            .unwrap();
        lengths.sort();
        let p90 = lengths[(lengths.len() * 9).div_ceil(10) - 1];
        let n = lengths.len();
        let median = if n % 2 == 1 { lengths[n / 2] } else { (lengths[n / 2 - 1] + lengths[n / 2]) / 2 };
        // Read from minute-wide bins: within a minute of the exact figures.
        assert!(
            (stats.lengths[0].median_seconds - median).abs() < 60,
            "{} {median}",
            stats.lengths[0].median_seconds
        );
        assert_eq!(stats.summary.median_seconds, stats.lengths[0].median_seconds);
        assert!((stats.lengths[0].p90_seconds - p90).abs() < 60, "{} {p90}", stats.lengths[0].p90_seconds);
        assert_eq!(stats.lengths[0].mean_seconds, lengths.iter().sum::<i64>() / lengths.len() as i64);

        // The same period's summary counted from the calls themselves (the exports' and the end
        // of a shift's way) gives the same figures, but for the medians read within their bins.
        let mut exact = store.summary(ScopeRequest::Period { from, to }, now).unwrap();
        exact.median_seconds = stats.summary.median_seconds;
        exact.written.median_seconds = stats.summary.written.median_seconds;
        assert_eq!(exact, stats.summary);

        let women_themes = count(
            "SELECT count(*) FROM call c JOIN call_theme t ON t.call_id = c.id
             JOIN caller_file f ON f.id = c.caller_file_id
             WHERE f.gender = 'woman' AND c.started_at >= ?1 AND c.started_at < ?2",
            range,
        );
        let counted: u32 = stats.themes_by_gender.values().filter_map(|g| g.get("woman")).sum();
        assert_eq!(i64::from(counted), women_themes);
        let anonymous = count(
            "SELECT count(*) FROM call WHERE caller_file_id IS NULL AND started_at >= ?1 AND started_at < ?2",
            range,
        );
        assert!(i64::from(stats.profiles.relation["unknown"]) >= anonymous);
        let created =
            count("SELECT count(*) FROM callback WHERE created_at >= ?1 AND created_at < ?2", range);
        assert_eq!(i64::from(stats.callbacks.created), created);
        assert!(created > 0);
        // CASE: SQLite's two-argument min() and max() are the server's least() and greatest().
        let listening = count(
            "SELECT sum(CASE WHEN ended_at < ?2 THEN ended_at ELSE ?2 END
                        - CASE WHEN started_at > ?1 THEN started_at ELSE ?1 END) FROM shift
             WHERE started_at < ?2 AND ended_at > ?1",
            range,
        );
        assert_eq!(stats.listening.seconds, listening);
        assert!(stats.previous_calls == 0, "the demo has no history a year before");

        // Purge every free text older than 30 days: the period's notes are gone, its figures
        // stay. Notes are counted by length (sealed bytes on the server, text in the file).
        let notes = || {
            count(
                "SELECT count(*) FROM call WHERE length(notes) > 0 AND started_at < ?1",
                db_params![to.timestamp()],
            )
        };
        let notes_before = notes();
        assert!(notes_before > 0);
        store.set_setting(Setting::RetentionDays, 30).unwrap();
        let purged = store.purge(now, false).unwrap();
        assert!(purged.files > 0 && purged.calls > 0, "{purged:?}");
        let notes_after = notes();
        // What is left is the notes of files still in contact since (their last call is recent).
        let left_on_purged = count(
            "SELECT count(*) FROM call c LEFT JOIN caller_file f ON f.id = c.caller_file_id
             WHERE length(c.notes) > 0 AND c.started_at < ?1 AND (f.id IS NULL OR f.purged_at IS NOT NULL)",
            db_params![to.timestamp()],
        );
        assert!(
            notes_after < notes_before,
            "notes of the period were purged: {notes_after} of {notes_before} left"
        );
        assert_eq!(left_on_purged, 0);
        // The summary's "pending now" is the whole store's queue at this instant, not the
        // period's: the purge cancels the pending callbacks of the files it wipes (documented),
        // so it is left out; the period's own callbacks (created in it, and what became of
        // them) stay.
        let mut after = store.statistics(&request).unwrap();
        let mut before = stats;
        for figures in [&mut after, &mut before] {
            figures.summary.callbacks.pending = 0;
            figures.summary.callbacks.overdue = 0;
        }
        assert_eq!(after, before);
    });
}

mod kept_up_to_date {
    //! The statistics' rollup, kept by every write, is what a recount of the raw rows gives:
    //! random histories written through the real paths (calls of every kind and channel, files
    //! and their profiles edited, callbacks scheduled, tried, performed, moved, reassigned and
    //! cancelled, notes amended, missed calls, bulk loads, the retention purge), then `check`
    //! recounts month by month, and the statistics of the whole history are the figures the
    //! summary counts from the calls themselves (but for medians, read within a bin).

    use super::*;
    use chrono::DateTime;
    use permanence::domain::assessment::{Rud, RudLevel};
    use permanence::domain::call::{CallRecord, CallType, NewCall, Outcome};
    use permanence::domain::callback::{
        Assignee, Attempt, AttemptResult, CallbackRequest, NewCallback, PhoneNumber, Priority, RetryPolicy,
    };
    use permanence::domain::caller_file::{AgeBand, CallerRelation, FileProfile, Gender};
    use permanence::domain::phone::MissedCall;
    use permanence::domain::prompt::{Acknowledgement, PromptOutcome, PromptRecord};
    use permanence::domain::{CallId, FileId, ShiftId};
    use permanence::store::CheckFinding;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Call { days_ago: i64, minutes: i64, kind: usize, channel: usize, file: Option<usize>, detail: u32 },
        NewFile { profile: u32 },
        EditFile { file: usize, profile: u32 },
        Amend { call: usize },
        Attempt { callback: usize, result: usize },
        Perform { callback: usize, minutes: i64 },
        Reschedule { callback: usize, hours: i64 },
        Reassign { callback: usize },
        Cancel { callback: usize },
        Missed { days_ago: i64 },
        Bulk { days_ago: i64, calls: usize, callback: usize },
        Purge,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0i64..90, 0i64..90, 0usize..8, 0usize..5, proptest::option::of(0usize..8), any::<u32>())
                .prop_map(|(days_ago, minutes, kind, channel, file, detail)| Op::Call { days_ago, minutes, kind, channel, file, detail }),
            2 => any::<u32>().prop_map(|profile| Op::NewFile { profile }),
            1 => (0usize..8, any::<u32>()).prop_map(|(file, profile)| Op::EditFile { file, profile }),
            1 => (0usize..20).prop_map(|call| Op::Amend { call }),
            2 => (0usize..8, 0usize..3).prop_map(|(callback, result)| Op::Attempt { callback, result }),
            1 => (0usize..8, 1i64..60).prop_map(|(callback, minutes)| Op::Perform { callback, minutes }),
            1 => (0usize..8, -30i64..48).prop_map(|(callback, hours)| Op::Reschedule { callback, hours }),
            1 => (0usize..8).prop_map(|callback| Op::Reassign { callback }),
            1 => (0usize..8).prop_map(|callback| Op::Cancel { callback }),
            1 => (0i64..90).prop_map(|days_ago| Op::Missed { days_ago }),
            1 => (0i64..90, 1usize..6, 0usize..8).prop_map(|(days_ago, calls, callback)| Op::Bulk { days_ago, calls, callback }),
            1 => Just(Op::Purge),
        ]
    }

    fn pick<T: Copy>(items: &[T], bits: u32) -> T {
        items[bits as usize % items.len()]
    }

    fn profile(bits: u32) -> FileProfile {
        FileProfile {
            age_band: (!bits.is_multiple_of(7)).then(|| pick(AgeBand::ALL, bits >> 3)),
            gender: (!bits.is_multiple_of(5)).then(|| pick(Gender::ALL, bits >> 7)),
            relation: (!bits.is_multiple_of(3)).then(|| pick(CallerRelation::ALL, bits >> 11)),
            situation_summary: format!("Situation {bits}"),
            ..FileProfile::default()
        }
    }

    /// A contact of kind `kind` on channel `channel`, its details drawn from `detail`'s bits.
    fn contact(
        shift: ShiftId,
        started_at: DateTime<Utc>,
        minutes: i64,
        kind: usize,
        channel: usize,
        file: Option<FileId>,
        detail: u32,
    ) -> NewCall {
        let themes = ["isolement", "deuil", "idées suicidaires", "famille"];
        let level = |bits: u32| {
            [None, Some(RudLevel::Low), Some(RudLevel::Medium), Some(RudLevel::High)][bits as usize % 4]
        };
        let channel = ["phone", "phone", "chat", "email", "letter"][channel];
        let written = matches!(channel, "email" | "letter");
        let mut record = CallRecord {
            channel: channel.into(),
            caller_file_id: file,
            themes: themes
                .iter()
                .enumerate()
                .filter(|(i, _)| detail >> i & 1 == 1)
                .map(|(_, t)| (*t).to_owned())
                .collect(),
            notes: format!("note {detail}"),
            rud: Rud { risk: level(detail >> 4), urgency: level(detail >> 6), danger: level(detail >> 8) },
            outcome: (detail >> 10 & 3 != 0).then(|| pick(Outcome::ALL, detail >> 12)),
            ..CallRecord::default()
        };
        if detail >> 15 & 3 == 0 {
            let ack = (detail >> 17 & 1 == 1).then(|| Acknowledgement {
                at: started_at,
                outcome: pick(PromptOutcome::ALL, detail >> 18),
                note: Some("donné".into()),
            });
            record.prompts.push(PromptRecord {
                number: pick(&["15", "3114", "119"], detail >> 20).into(),
                rule: "test".into(),
                raised_at: started_at,
                acknowledgement: ack,
            });
        }
        NewCall {
            shift_id: shift,
            started_at,
            ended_at: started_at + Duration::minutes(minutes) + Duration::seconds(i64::from(detail % 60)),
            call_type: CallType::ALL[kind],
            time_spent: written.then_some(minutes * 60 + i64::from(detail % 600)),
            record,
        }
    }

    fn number() -> PhoneNumber {
        PhoneNumber::parse("0639980000").unwrap()
    }

    /// `ops` on a new store of each backend.
    fn run(ops: &[Op]) {
        common::on_each_backend("the_rollup_is_a_recount_of_what_was_written", |backend| {
            run_on(backend, ops)
        });
    }

    fn run_on(backend: &Backend, ops: &[Op]) {
        let mut store = common::create(backend.db.clone());
        let shift = store.start_shift().unwrap().id;
        let now = Utc::now();
        let mut files: Vec<FileId> = Vec::new();
        let mut calls: Vec<CallId> = Vec::new();
        let pending = |store: &Store, i: usize| {
            let pending = store.pending_callbacks().unwrap();
            (!pending.is_empty()).then(|| pending[i % pending.len()].clone())
        };
        for op in ops {
            match op.clone() {
                Op::NewFile { profile: bits } => files.push(store.create_file(&profile(bits)).unwrap().id),
                Op::Call { days_ago, minutes, kind, channel, file, detail } => {
                    let file = file.and_then(|f| files.get(f % files.len().max(1)).copied());
                    let started_at = now - Duration::days(days_ago) - Duration::minutes(minutes * 7);
                    let call = contact(shift, started_at, minutes, kind, channel, file, detail);
                    let request = (file.is_some() && detail % 4 == 0).then(|| {
                        let due = started_at + Duration::hours(i64::from(detail % 30));
                        CallbackRequest::with_consent(
                            true,
                            due,
                            Priority::Normal,
                            number(),
                            Assignee::Anyone,
                            String::new(),
                        )
                        .unwrap()
                    });
                    calls.push(store.save_call_with_callback(&call, request.as_ref()).unwrap());
                }
                Op::EditFile { file, profile: bits } => {
                    if let Some(&id) = files.get(file % files.len().max(1)) {
                        let version = store.open_file(id).unwrap().version;
                        store.update_file_profile(id, version, &profile(bits)).unwrap();
                    }
                }
                Op::Amend { call } => {
                    if let Some(&id) = calls.get(call % calls.len().max(1)) {
                        let seen = store.call(id).unwrap().record.notes;
                        store.amend_call_notes(id, &seen, "notes reprises").unwrap();
                    }
                }
                Op::Attempt { callback, result } => {
                    if let Some(cb) = pending(&store, callback) {
                        let result = [
                            AttemptResult::NoAnswer,
                            AttemptResult::MessageNotLeft,
                            AttemptResult::WrongNumber,
                        ][result];
                        let policy = RetryPolicy { retry_after: Duration::hours(2), max_failed_attempts: 2 };
                        store.callback_attempt_failed(cb.id, result, policy).unwrap();
                    }
                }
                Op::Perform { callback, minutes } => {
                    if let Some(cb) = pending(&store, callback) {
                        let mut call = contact(
                            shift,
                            now - Duration::minutes(minutes + 5),
                            minutes,
                            0,
                            0,
                            Some(cb.caller_file_id),
                            3,
                        );
                        call.record.performs_callback = Some(cb.id);
                        calls.push(store.save_call(&call).unwrap());
                    }
                }
                Op::Reschedule { callback, hours } => {
                    if let Some(cb) = pending(&store, callback) {
                        store.reschedule_callback(cb.id, cb.version, now + Duration::hours(hours)).unwrap();
                    }
                }
                Op::Reassign { callback } => {
                    if let Some(cb) = pending(&store, callback) {
                        store.reassign_callback(cb.id, cb.version, Assignee::Anyone).unwrap();
                    }
                }
                Op::Cancel { callback } => {
                    if let Some(cb) = pending(&store, callback) {
                        store.cancel_callback(cb.id, Some(cb.version), "plus nécessaire").unwrap();
                    }
                }
                Op::Missed { days_ago } => {
                    let rang_at = now - Duration::days(days_ago) - Duration::minutes(days_ago * 11);
                    store
                        .record_missed_call(&MissedCall::new(
                            Some(shift),
                            rang_at,
                            rang_at + Duration::seconds(40),
                        ))
                        .unwrap();
                }
                Op::Bulk { days_ago, calls: count, callback } => {
                    let older = pending(&store, callback);
                    let listener = store.actor().id;
                    let bulk = store.bulk().unwrap();
                    for i in 0..count {
                        let started_at = now - Duration::days(days_ago) + Duration::minutes(i as i64 * 13);
                        let file = files.get(i % files.len().max(1)).copied();
                        let call = contact(shift, started_at, 12, i % 8, i % 5, file, i as u32 * 977);
                        let id = bulk.call(listener, &call).unwrap();
                        if let Some(file) = file.filter(|_| i % 2 == 0) {
                            let new = NewCallback::with_consent(
                                true,
                                file,
                                Some(id),
                                started_at + Duration::hours(3),
                                Priority::High,
                                number(),
                                Assignee::Anyone,
                                String::new(),
                            )
                            .unwrap();
                            let made = bulk.callback(&new, started_at).unwrap();
                            let reached = Attempt {
                                at: started_at + Duration::hours(4),
                                listener_id: listener,
                                result: AttemptResult::Reached,
                                call_id: None,
                            };
                            bulk.attempt(made, &reached, None).unwrap();
                        }
                    }
                    // An attempt on a callback from before the load.
                    if let Some(cb) = older {
                        let missed = Attempt {
                            at: now,
                            listener_id: listener,
                            result: AttemptResult::NoAnswer,
                            call_id: None,
                        };
                        bulk.attempt(cb.id, &missed, Some(now + Duration::hours(1))).unwrap();
                    }
                    bulk.commit().unwrap();
                }
                Op::Purge => {
                    store.set_setting(Setting::RetentionDays, 30).unwrap();
                    store.purge(now, false).unwrap();
                }
            }
        }
        let report = store.check().unwrap();
        assert!(
            !report.findings.iter().any(|f| matches!(f, CheckFinding::Statistics(_))),
            "the rollup differs from a recount: {:?}",
            report.findings
        );
        let today = Zone::default().today(now);
        // The whole history, and a period that ends inside it (read in part from the raw rows).
        same_figures(&store, StatsPeriod::new(today - Duration::days(100), today).unwrap(), now);
        same_figures(
            &store,
            StatsPeriod::new(today - Duration::days(40), today - Duration::days(3)).unwrap(),
            now,
        );
    }

    /// The statistics of `period` are the summary counted from its calls themselves, but for
    /// the medians (read within a bin).
    fn same_figures(store: &Store, period: StatsPeriod, now: DateTime<Utc>) {
        let stats = store.statistics(&Config::default().statistics_of(period, now)).unwrap();
        let (from, to) = period.bounds(Zone::default());
        let mut exact = store.summary(ScopeRequest::Period { from, to }, now).unwrap();
        exact.median_seconds = stats.summary.median_seconds;
        exact.written.median_seconds = stats.summary.written.median_seconds;
        assert_eq!(exact, stats.summary);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn the_rollup_is_a_recount_of_what_was_written(ops in proptest::collection::vec(op(), 10..50)) {
            run(&ops);
        }
    }
}
