//! What the server costs (issue 18, review finding 14, and the keypress benchmark): a write's
//! start is one request; only a change another desk shows tells the other desks (a draft
//! autosaved every second while typing, a wrong passphrase, an audit entry alone do not); the
//! draft takes no write lock, and an audit entry cannot be written without it; opening a file
//! and searching cost as many requests whatever the history or the hits.

use std::time::{Duration, Instant};

use super::ServerUrl;
use crate::domain::audit::{AuditAction, ObjectKind};
use crate::domain::call::{CallDraft, CallRecord};
use crate::domain::caller_file::{FileFilter, FileProfile};
use crate::domain::listener::Role;
use crate::store::db::TxKind;
use crate::store::{KdfParams, Location, NewAccount, Store, StoreError, audit};
use crate::test_support::postgres::fresh_database;

const PASS: &str = "trois pommes bleues vertes";
const LISTENER_PASS: &str = "quatre poires jaunes mûres";

fn account<'a>(login: &'a str, role: Role, passphrase: &'a str) -> NewAccount<'a> {
    NewAccount { login, display_name: login, role, passphrase }
}

fn draft(notes: &str) -> CallDraft {
    CallDraft {
        shift_id: crate::domain::ShiftId(1),
        started_at: chrono::Utc::now(),
        call_type: None,
        record: CallRecord { notes: notes.into(), ..Default::default() },
    }
}

#[test]
fn only_a_change_another_desk_shows_tells_it_and_a_write_starts_in_one_request() {
    let Some(database) =
        fresh_database("only_a_change_another_desk_shows_tells_it_and_a_write_starts_in_one_request")
    else {
        return;
    };
    let location = Location::from(ServerUrl::parse(database.url()).unwrap());
    let mut coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    coord.add_listener(account("camille", Role::Listener, LISTENER_PASS), KdfParams::MINIMUM).unwrap();
    let file = coord
        .create_file(&FileProfile { situation_summary: "Isolée le soir".into(), ..Default::default() })
        .unwrap();
    let mut camille = Store::open(&location, "camille", LISTENER_PASS).unwrap();
    let before = coord.data_version().unwrap();

    // What no other desk shows: the draft at every autosave, an audit entry alone (a file
    // opened, files shown by a search), wrong passphrases counted.
    camille.save_draft(&draft("Appelle depuis sa cuisine")).unwrap();
    let requests = camille.conn.requests();
    camille.save_draft(&draft("Appelle depuis sa cuisine, parle de sa fille")).unwrap();
    assert_eq!(camille.conn.requests() - requests, 3, "BEGIN, the row, COMMIT: no lock, no notification");
    camille.open_file(file.id).unwrap();
    assert_eq!(camille.search_files("isolée", &FileFilter::default(), 20).unwrap().len(), 1);
    camille.discard_draft().unwrap();
    assert!(matches!(
        Store::open(&location, "camille", "pas la bonne phrase"),
        Err(StoreError::WrongPassphrase)
    ));

    // Then a change the others show. Notifications arrive in the order of the commits: once it
    // is heard, any sent before it would have been.
    camille.create_file(&FileProfile::default()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while coord.data_version().unwrap() == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(coord.data_version().unwrap(), before + 1, "one notification: the new file's");

    // A write's start is one request: BEGIN, the write lock, the notification, the database id.
    let requests = camille.conn.requests();
    let tx = camille.conn.transaction(TxKind::Write).unwrap();
    assert_eq!(camille.conn.requests() - requests, 1);
    drop(tx);
}

#[test]
fn an_audit_entry_is_refused_outside_the_write_lock() {
    let Some(database) = fresh_database("an_audit_entry_is_refused_outside_the_write_lock") else { return };
    let location = Location::from(ServerUrl::parse(database.url()).unwrap());
    let coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    let entries = |store: &Store| -> i64 {
        store.conn.query_row("SELECT count(*) FROM audit", &[], |row| row.get(0)).unwrap()
    };
    let before = entries(&coord);
    let tx = audit::Tx::begin_as(&coord.conn, TxKind::OwnRow, None).unwrap();
    let refused =
        audit::append(&tx, Some(coord.actor().id), AuditAction::SettingChanged, ObjectKind::Database, None);
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
    tx.commit().unwrap();
    assert_eq!(entries(&coord), before);
}

/// A file's history and a search were read with one request per callback and per hit: 27 and
/// 19 requests a keypress on the benchmark's busiest file. They now cost a fixed number,
/// whatever how much there is.
#[test]
fn a_files_history_and_a_search_cost_requests_independent_of_their_size() {
    use crate::domain::call::{CallType, NewCall};
    use crate::domain::callback::{Assignee, AttemptResult, NewCallback, PhoneNumber, Priority};

    let Some(database) =
        fresh_database("a_files_history_and_a_search_cost_requests_independent_of_their_size")
    else {
        return;
    };
    let location = Location::from(ServerUrl::parse(database.url()).unwrap());
    let mut coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    let shift = coord.start_shift().unwrap();
    let file = coord
        .create_file(&FileProfile {
            situation_summary: "Isolée depuis le déménagement".into(),
            ..Default::default()
        })
        .unwrap();
    let more = |store: &mut Store, n: usize| {
        for i in 0..n {
            let now = chrono::Utc::now();
            let call = NewCall {
                shift_id: shift.id,
                started_at: now - chrono::Duration::minutes(10),
                ended_at: now,
                call_type: CallType::Listening,
                time_spent: None,
                record: CallRecord {
                    caller_file_id: Some(file.id),
                    notes: format!("Isolée, appel {i}"),
                    themes: vec!["isolement".into(), "famille".into()],
                    ..CallRecord::default()
                },
            };
            let call = store.save_call(&call).unwrap();
            let callback = NewCallback::with_consent(
                true,
                file.id,
                Some(call),
                now,
                Priority::Normal,
                PhoneNumber::parse("0639980000").unwrap(),
                Assignee::Anyone,
                "Rappeler".into(),
            )
            .unwrap();
            let callback = store.schedule_callback(&callback).unwrap();
            store.record_callback_attempt(callback, AttemptResult::NoAnswer, None).unwrap();
            let other = store
                .create_file(&FileProfile {
                    situation_summary: format!("Isolée, dossier {i}"),
                    ..Default::default()
                })
                .unwrap();
            assert_ne!(other.id, file.id);
        }
    };
    let costs = |store: &mut Store| {
        let before = store.conn.requests();
        let record = store.file_with_history(file.id).unwrap();
        let history = store.conn.requests() - before;
        // Twice: the second shows only files already recorded (no audit entry written).
        store.search_files("isolée", &FileFilter::default(), 20).unwrap();
        let before = store.conn.requests();
        let hits = store.search_files("isolée", &FileFilter::default(), 20).unwrap();
        (history, store.conn.requests() - before, record.calls.len(), hits.len())
    };
    more(&mut coord, 1);
    // Once to prepare the statements (the connection keeps them).
    costs(&mut coord);
    let (history, search, calls, hits) = costs(&mut coord);
    assert_eq!((calls, hits), (1, 2));
    more(&mut coord, 6);
    let (history_then, search_then, calls, hits) = costs(&mut coord);
    assert_eq!((calls, hits), (7, 8));
    assert_eq!(history_then, history, "a file's history: {history} requests");
    assert_eq!(search_then, search, "a search: {search} requests");
}

/// Saving a call sends a few requests, however many themes it has and facts the statistics'
/// rollup counts for it: rows go to a table in a few statements (`Db::insert_rows`), where one
/// a row made a save send 42 requests (57 with six themes).
#[test]
fn saving_a_call_sends_a_fixed_few_requests_whatever_the_rollup_counts() {
    use crate::domain::assessment::{Rud, RudLevel};
    use crate::domain::call::{CallType, NewCall, Outcome};
    use crate::domain::prompt::{Acknowledgement, PromptOutcome, PromptRecord};

    let test = "saving_a_call_sends_a_fixed_few_requests_whatever_the_rollup_counts";
    let Some(database) = fresh_database(test) else { return };
    let location = Location::from(ServerUrl::parse(database.url()).unwrap());
    let mut store =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    let shift = store.start_shift().unwrap();
    let call = |themes: Vec<String>, minutes: i64| {
        let started_at = chrono::Utc::now() - chrono::Duration::minutes(minutes);
        let ended_at = started_at + chrono::Duration::minutes(10);
        NewCall {
            shift_id: shift.id,
            started_at,
            ended_at,
            call_type: CallType::Listening,
            time_spent: None,
            record: CallRecord {
                notes: "Appelle le soir".into(),
                themes,
                rud: Rud { risk: Some(RudLevel::Medium), urgency: Some(RudLevel::Low), danger: None },
                outcome: Some(Outcome::Oriented),
                prompts: vec![PromptRecord {
                    number: "3114".into(),
                    rule: "suicidal_ideation".into(),
                    raised_at: started_at,
                    acknowledgement: Some(Acknowledgement {
                        at: ended_at,
                        outcome: PromptOutcome::NumberGiven,
                        note: None,
                    }),
                }],
                ..CallRecord::default()
            },
        }
    };
    // Once to prepare the statements (the connection keeps them).
    store.save_call(&call(vec!["isolement".into()], 30)).unwrap();
    let Some(mut log) = database.log_statements(test) else { return };
    let mut store = Store::open(&location, "coord", PASS).unwrap();
    store.save_call(&call(vec!["isolement".into()], 30)).unwrap();
    let pid = store.conn.backend_pid().unwrap();
    log.mark();
    let before = store.conn.requests();
    store.save_call(&call(vec!["isolement".into()], 60)).unwrap();
    let few = store.conn.requests() - before;
    let statements = log.statements(pid);
    assert!(few <= 20, "{few} requests (42 before):\n{}", statements.join("\n"));
    let before = store.conn.requests();
    let themes = ["isolement", "famille", "deuil", "violence", "santé", "travail"];
    store.save_call(&call(themes.iter().map(|t| (*t).into()).collect(), 90)).unwrap();
    let many = store.conn.requests() - before;
    // Five more themes are five more rows in `call_theme` and ten in `stat_count` (their
    // day's and their month's): a statement or two more, not fifteen as before.
    assert!(many <= few + 5, "{many} requests with six themes, {few} with one");
}

/// The supervisor's view asks whose terminal is still open in one request for everyone on
/// shift (it asked once per listener: 52 requests at 50 desks in the desks bench), and still
/// tells who is gone.
#[test]
fn the_supervisors_view_costs_as_many_requests_whatever_the_listeners_on_shift() {
    let Some(database) =
        fresh_database("the_supervisors_view_costs_as_many_requests_whatever_the_listeners_on_shift")
    else {
        return;
    };
    let location = Location::from(ServerUrl::parse(database.url()).unwrap());
    let mut coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    let mut desks = Vec::new();
    let mut cost = Vec::new();
    for login in ["camille", "sacha", "alex"] {
        let id =
            coord.add_listener(account(login, Role::Listener, LISTENER_PASS), KdfParams::MINIMUM).unwrap().id;
        let presence = crate::store::presence::Presence::hold(&location, id).unwrap();
        let mut desk = Store::open(&location, login, LISTENER_PASS).unwrap();
        desk.start_shift().unwrap();
        desks.push((desk, Some(presence)));
        // Its statements prepared (the first time costs a request more each), then counted.
        coord.shift_overview().unwrap();
        let before = coord.conn.requests();
        let overview = coord.shift_overview().unwrap();
        cost.push(coord.conn.requests() - before);
        assert_eq!(overview.len(), desks.len());
        assert!(overview.iter().all(|on| on.left.is_none()), "every terminal is open: {overview:?}");
    }
    assert_eq!(cost, [2, 2, 2], "who is on shift, and whose terminal is open: one listener or three");

    // Camille's terminal ends: she is told gone, the others not.
    desks[0].1 = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    let gone = loop {
        let overview = coord.shift_overview().unwrap();
        let gone: Vec<bool> = overview.iter().map(|on| on.left.is_some()).collect();
        if gone.iter().any(|g| *g) || Instant::now() > deadline {
            break gone;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(gone, [true, false, false]);
}

/// Saving a call that performs a callback takes the callback's facts away from the statistics'
/// rollup and counts them again: with a statement per fact taken away (and one more to remove
/// what reached zero) and the audit log's head read for every entry, such a save sent 95
/// requests. The facts go in a few statements now (`Db::with_rows`), and the head is read once
/// per transaction: 56.
#[test]
fn saving_a_call_that_performs_a_callback_sends_a_fixed_few_requests() {
    use crate::domain::call::{CallType, NewCall};
    use crate::domain::callback::{Assignee, NewCallback, PhoneNumber, Priority};

    let Some(database) = fresh_database("saving_a_call_that_performs_a_callback_sends_a_fixed_few_requests")
    else {
        return;
    };
    let location = Location::from(ServerUrl::parse(database.url()).unwrap());
    let mut coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    let shift = coord.start_shift().unwrap();
    let file = coord.create_file(&FileProfile::default()).unwrap();
    let performing = |store: &mut Store, themes: &[&str]| {
        let now = chrono::Utc::now();
        let callback = NewCallback::with_consent(
            true,
            file.id,
            None,
            now - chrono::Duration::hours(2),
            Priority::Normal,
            PhoneNumber::parse("0639980000").unwrap(),
            Assignee::Anyone,
            "Rappeler".into(),
        )
        .unwrap();
        let callback = store.schedule_callback(&callback).unwrap();
        let call = NewCall {
            shift_id: shift.id,
            started_at: now - chrono::Duration::minutes(10),
            ended_at: now,
            call_type: CallType::Listening,
            time_spent: None,
            record: CallRecord {
                caller_file_id: Some(file.id),
                notes: "Rappel fait".into(),
                themes: themes.iter().map(|t| (*t).into()).collect(),
                performs_callback: Some(callback),
                ..CallRecord::default()
            },
        };
        let before = store.conn.requests();
        store.save_call(&call).unwrap();
        store.conn.requests() - before
    };
    let six = ["isolement", "famille", "deuil", "violence", "santé", "travail"];
    // Once to prepare the statements (the connection keeps them).
    performing(&mut coord, &["isolement"]);
    performing(&mut coord, &six);
    let few = performing(&mut coord, &["isolement"]);
    let many = performing(&mut coord, &six);
    assert!(few <= 60, "{few} requests (95 before)");
    // Five more themes are more facts in each of the five upkeeps: rows go in groups whose
    // sizes are powers of two, so a statement or two more each, not one a fact.
    assert!(many <= few + 10, "{many} requests with six themes, {few} with one");
    assert!(coord.check().unwrap().is_clean(), "the rollup agrees with the calls");
}
