//! The store opened and created on a real server: `Store::create` and `Store::open` with a
//! `postgresql://` location, the key slots in the `key_file` row, wrong passphrases counted in
//! `unlock_attempt`, account changes in one transaction with their slot, presence held by a
//! session's advisory lock, another terminal's commit heard by `data_version`.

use std::time::{Duration, Instant};

use crate::db_params;
use crate::domain::listener::Role;
use crate::store::db::Db;
use crate::store::keyslots::KeyFile;
use crate::store::presence::Presence;
use crate::store::{KdfParams, Location, NewAccount, Store, StoreError, Withdrawal};
use crate::test_support::postgres::{TestDatabase, fresh_database};

const PASS: &str = "trois pommes bleues vertes";
const LISTENER_PASS: &str = "quatre poires jaunes mûres";

fn account<'a>(login: &'a str, role: Role, passphrase: &'a str) -> NewAccount<'a> {
    NewAccount { login, display_name: login, role, passphrase }
}

fn server(test: &str) -> Option<(Location, TestDatabase)> {
    let database = fresh_database(test)?;
    let location = Location::from(super::ServerUrl::parse(database.url()).unwrap());
    Some((location, database))
}

/// The key slots as the server keeps them: the bytes of docs/keyslots.md, in one row.
fn key_file_row(database: &TestDatabase) -> KeyFile {
    let db = Db::postgres(database.connect());
    let body: Vec<u8> =
        db.query_row("SELECT body FROM key_file WHERE id = 1", db_params![], |row| row.get(0)).unwrap();
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(
        text.contains("\"format\": \"permanence-keyslots\"") && text.contains("\"version\": 2"),
        "{text}"
    );
    KeyFile::parse(std::path::Path::new("row"), &body).unwrap()
}

#[test]
fn a_store_is_created_on_a_server_once_and_unlocks_there() {
    let Some((location, database)) = server("a_store_is_created_on_a_server_once_and_unlocks_there") else {
        return;
    };
    assert!(matches!(Store::logins(&location), Err(StoreError::NotFound(_))), "an empty database");
    let mut store =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    assert_eq!(store.key_file_path(), None, "no key file on this machine");
    assert_eq!(store.schema_version().unwrap(), super::schema::LATEST);
    store.add_listener(account("camille", Role::Listener, LISTENER_PASS), KdfParams::MINIMUM).unwrap();
    let slots = key_file_row(&database);
    assert_eq!(slots.slots().len(), 2);
    assert!(slots.database_salt().is_some(), "bound to a database id");
    assert_eq!(Store::logins(&location).unwrap(), ["coord", "camille"]);
    drop(store);

    let again = Store::create(&location, account("autre", Role::Supervisor, PASS), KdfParams::MINIMUM);
    assert!(matches!(again, Err(StoreError::AlreadyExists(_))), "{:?}", again.err());
    let camille = Store::open(&location, "camille", LISTENER_PASS).unwrap();
    assert_eq!(camille.actor().login, "camille");
    assert!(camille.check().unwrap().is_clean(), "{:?}", camille.check().unwrap().findings);
    assert!(matches!(Store::open(&location, "personne", PASS), Err(StoreError::UnknownListener(_))));
}

#[test]
fn another_applications_database_is_refused_untouched() {
    let Some((location, database)) = server("another_applications_database_is_refused_untouched") else {
        return;
    };
    Db::postgres(database.connect()).execute_batch("CREATE TABLE invoices (id BIGINT)").unwrap();
    let created = Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM);
    assert!(matches!(created, Err(StoreError::ForeignDatabase(_))), "{:?}", created.err());
    assert!(matches!(Store::open(&location, "coord", PASS), Err(StoreError::ForeignDatabase(_))));
    assert!(matches!(Store::logins(&location), Err(StoreError::ForeignDatabase(_))));
    let tables: i64 = Db::postgres(database.connect())
        .query_row("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", db_params![], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1, "only its own table");
}

/// The file's rules, counted on the server: the free tries, then a wait that every terminal
/// sees (`unlock_wait`), the count cleared by the right passphrase.
#[test]
fn wrong_passphrases_are_counted_on_the_server_as_in_the_file() {
    let Some((location, database)) = server("wrong_passphrases_are_counted_on_the_server_as_in_the_file")
    else {
        return;
    };
    drop(Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap());
    for _ in 0..3 {
        assert!(matches!(Store::open(&location, "coord", "mauvaise"), Err(StoreError::WrongPassphrase)));
    }
    let wait = Store::unlock_wait(&location, "coord").expect("three wrong ones make it wait");
    assert!((1..=5).contains(&wait), "{wait}");
    assert!(
        matches!(Store::open(&location, "coord", PASS), Err(StoreError::TooSoon(_))),
        "even the right one"
    );
    let (failures, login): (i64, String) = Db::postgres(database.connect())
        .query_row("SELECT failures, login FROM unlock_attempt", db_params![], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((failures, login.as_str()), (3, "coord"), "no passphrase in it, the refused try not counted");
    Db::postgres(database.connect())
        .execute("UPDATE unlock_attempt SET last_at = last_at - 60", db_params![])
        .unwrap();
    assert_eq!(Store::unlock_wait(&location, "coord"), None);
    drop(Store::open(&location, "coord", PASS).unwrap());
    let left: i64 = Db::postgres(database.connect())
        .query_row("SELECT count(*) FROM unlock_attempt", db_params![], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0, "the right passphrase clears the count");
}

/// Account changes commit with their slot; several at once from several terminals keep every
/// one (the row is locked across each): accounts added, a deactivation, a supervisor's reset and
/// one's own change racing each other. Neither a deactivation nor a reset rotates the data key
/// on a server; the account deactivated unlocks nowhere, the reset one only with its new
/// passphrase, and their sessions still open are refused at their next write and poll.
#[test]
fn account_changes_commit_with_their_slot_and_a_deactivation_or_reset_races_the_others() {
    let Some((location, database)) =
        server("account_changes_commit_with_their_slot_and_a_deactivation_or_reset_races_the_others")
    else {
        return;
    };
    drop(Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap());
    let adders: Vec<_> = ["camille", "sacha", "dominique", "alex"]
        .into_iter()
        .map(|login| {
            // Opened one after the other: tries under way count as failures until they succeed.
            let mut store = Store::open(&location, "coord", PASS).unwrap();
            std::thread::spawn(move || {
                store
                    .add_listener(account(login, Role::Listener, LISTENER_PASS), KdfParams::MINIMUM)
                    .unwrap();
            })
        })
        .collect();
    for adder in adders {
        adder.join().unwrap();
    }
    assert_eq!(key_file_row(&database).slots().len(), 5, "every slot kept");
    let mut camille = Store::open(&location, "camille", LISTENER_PASS).unwrap();
    camille.set_passphrase("camille", "cinq prunes rouges sucrées", KdfParams::MINIMUM).unwrap();
    assert!(matches!(Store::open(&location, "camille", LISTENER_PASS), Err(StoreError::WrongPassphrase)));
    drop(Store::open(&location, "camille", "cinq prunes rouges sucrées").unwrap());

    // Sessions of the two accounts about to lose their access, open at their desks.
    let mut sacha_at_desk = Store::open(&location, "sacha", LISTENER_PASS).unwrap();
    let mut dominique_at_desk = Store::open(&location, "dominique", LISTENER_PASS).unwrap();
    let heard = sacha_at_desk.data_version().unwrap();
    let key_before = key_file_row(&database);

    // Four changes at once, from four sessions: each commits with its slot, none is lost.
    let mut coord = Store::open(&location, "coord", PASS).unwrap();
    let mut coord_2 = Store::open(&location, "coord", PASS).unwrap();
    let mut coord_3 = Store::open(&location, "coord", PASS).unwrap();
    let mut alex = Store::open(&location, "alex", LISTENER_PASS).unwrap();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let at_once = |change: Box<dyn FnOnce() -> Result<(), StoreError> + Send>| {
        let barrier = barrier.clone();
        std::thread::spawn(move || {
            barrier.wait();
            change()
        })
    };
    let changes = [
        at_once(Box::new(move || {
            coord.deactivate_listener("sacha").map(|w| assert_eq!(w, Withdrawal::KeyKept))
        })),
        at_once(Box::new(move || {
            coord_2.set_passphrase("dominique", "six figues vertes mûres", KdfParams::MINIMUM)
        })),
        at_once(Box::new(move || {
            coord_3.add_listener(account("eden", Role::Listener, LISTENER_PASS), KdfParams::MINIMUM).map(drop)
        })),
        at_once(Box::new(move || alex.set_passphrase("alex", "sept kiwis bruns ronds", KdfParams::MINIMUM))),
    ];
    for change in changes {
        change.join().unwrap().unwrap();
    }

    let slots = key_file_row(&database);
    let mut logins: Vec<_> = slots.slots().iter().map(|slot| slot.login().to_owned()).collect();
    logins.sort();
    assert_eq!(
        logins,
        ["alex", "camille", "coord", "dominique", "eden"],
        "sacha's slot gone, every other kept"
    );
    // The data key was not rotated: a slot still open with the old passphrase opens the same key.
    assert_eq!(slots.database_salt(), key_before.database_salt());
    assert!(matches!(
        Store::open(&location, "sacha", LISTENER_PASS),
        Err(StoreError::UnknownListener(_) | StoreError::Deactivated(_))
    ));
    assert!(matches!(Store::open(&location, "dominique", LISTENER_PASS), Err(StoreError::WrongPassphrase)));
    drop(Store::open(&location, "dominique", "six figues vertes mûres").unwrap());
    drop(Store::open(&location, "alex", "sept kiwis bruns ronds").unwrap());
    drop(Store::open(&location, "eden", LISTENER_PASS).unwrap());
    drop(Store::open(&location, "camille", "cinq prunes rouges sucrées").unwrap());

    // The sessions still open: refused at the next write and at the next poll.
    assert!(matches!(sacha_at_desk.start_shift(), Err(StoreError::AccessRevoked)));
    assert!(matches!(dominique_at_desk.start_shift(), Err(StoreError::AccessRevoked)));
    let polled = sacha_at_desk.data_version();
    assert!(matches!(polled, Err(StoreError::AccessRevoked)), "{polled:?} after {heard}");
    assert!(matches!(dominique_at_desk.data_version(), Err(StoreError::AccessRevoked)));

    let mut coord = Store::open(&location, "coord", PASS).unwrap();
    assert!(!coord.listener_by_login("sacha").unwrap().active);
    assert!(matches!(coord.deactivate_listener("sacha"), Err(StoreError::Deactivated(_))));
    assert!(matches!(coord.deactivate_listener("coord"), Err(StoreError::Refused(_))));
    let mut eden = Store::open(&location, "eden", LISTENER_PASS).unwrap();
    assert!(matches!(eden.deactivate_listener("alex"), Err(StoreError::Forbidden(_))));
    assert!(matches!(
        eden.set_passphrase("alex", "huit dattes molles brunes", KdfParams::MINIMUM),
        Err(StoreError::Forbidden(_))
    ));
    let report = coord.check().unwrap();
    assert!(report.is_clean(), "{:?}", report.findings);
    let actions: Vec<String> = Db::postgres(database.connect())
        .query_map("SELECT action FROM audit ORDER BY id", db_params![], |r| r.get(0))
        .unwrap();
    assert_eq!(actions.iter().filter(|a| *a == "listener_deactivated").count(), 1, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| *a == "passphrase_reset").count(), 1, "{actions:?}");
    assert!(!actions.iter().any(|a| a == "rekeyed"), "no re-key on a server: {actions:?}");
    let backup = coord.backup(&tempfile::tempdir().unwrap().path().join("copy.db"));
    assert!(matches!(backup, Err(StoreError::Refused(_))), "a server is backed up with pg_dump");
}

/// A terminal's presence is a session's advisory lock: seen by another session while held,
/// gone when its connection ends.
#[test]
fn presence_on_a_server_is_held_by_a_session_and_seen_by_others() {
    let Some((location, _database)) = server("presence_on_a_server_is_held_by_a_session_and_seen_by_others")
    else {
        return;
    };
    let mut coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    let camille =
        coord.add_listener(account("camille", Role::Listener, LISTENER_PASS), KdfParams::MINIMUM).unwrap().id;
    assert_eq!(coord.is_present(camille), Some(false));
    let held = Presence::hold(&location, camille).unwrap();
    let second = Presence::hold(&location, camille).unwrap();
    assert_eq!(coord.is_present(camille), Some(true));
    assert_eq!(coord.is_present(coord.actor().id), Some(false), "per account");
    // The supervisor's view asks for every account at once, in one request (once prepared).
    coord.presence_of(&[camille]);
    let sent = coord.conn.requests();
    assert_eq!(coord.presence_of(&[coord.actor().id, camille]), [Some(false), Some(true)]);
    assert_eq!(coord.conn.requests() - sent, 1);
    drop(held);
    assert_eq!(coord.is_present(camille), Some(true), "a second terminal still holds it");
    drop(second);
    // The server lets go when it has read the connection's end.
    let deadline = Instant::now() + Duration::from_secs(10);
    while coord.is_present(camille) != Some(false) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(coord.is_present(camille), Some(false));
}

/// What one terminal saves, another's one-second poll sees (`data_version`), and reads.
#[test]
fn another_terminals_save_is_heard_and_read() {
    let Some((location, _database)) = server("another_terminals_save_is_heard_and_read") else {
        return;
    };
    let mut coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    coord.add_listener(account("camille", Role::Listener, LISTENER_PASS), KdfParams::MINIMUM).unwrap();
    let mut camille = Store::open(&location, "camille", LISTENER_PASS).unwrap();
    let before = coord.data_version().unwrap();
    let file = camille.create_file(&crate::domain::caller_file::FileProfile::default()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while coord.data_version().unwrap() == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_ne!(coord.data_version().unwrap(), before);
    assert_eq!(coord.file_with_history(file.id).unwrap().file.code, file.code);
}

/// Review of issue 18, finding 1: searching as one types sends the server no letter of the
/// query. The server logs every statement with its parameters (`log_statement = 'all'`, as an
/// administrator may set it); a word typed letter by letter, and the letters of a file's code,
/// leave no parameter that is a start of what was typed — a blind-index tag beside the letters
/// it stands for would tell the administrator the word. A code typed with a digit is searched
/// as a code alone: its letters go, no tag with them.
#[test]
fn searching_as_one_types_sends_the_server_no_letter_of_the_query() {
    use crate::domain::caller_file::{FileFilter, FileProfile};
    let test = "searching_as_one_types_sends_the_server_no_letter_of_the_query";
    let Some((location, database)) = server(test) else { return };
    let mut store =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    let profile = |summary: &str| FileProfile { situation_summary: summary.into(), ..FileProfile::default() };
    let afraid = store.create_file(&profile("Peur du noir, appelle le soir")).unwrap();
    let other = store.create_file(&profile("Deuil récent")).unwrap();
    drop(store);
    let Some(mut log) = database.log_statements(test) else { return };
    let mut store = Store::open(&location, "coord", PASS).unwrap();
    let pid = store.conn.backend_pid().expect("a listening session");
    let search = |store: &mut Store, query: &str| -> Vec<crate::domain::FileId> {
        store.search_files(query, &FileFilter::default(), 20).unwrap().into_iter().map(|h| h.id).collect()
    };
    // What the server was sent that starts what was typed (separators and case aside).
    let starts_of = |typed: &str, sent: &[String]| -> Vec<String> {
        let compact = |text: &str| -> String {
            text.chars().filter(|c| !matches!(c, '-' | ' ')).flat_map(char::to_uppercase).collect()
        };
        let typed = compact(typed);
        sent.iter()
            .filter(|value| !value.starts_with("\\x") && !value.starts_with('{'))
            .filter(|value| !compact(value).is_empty() && typed.starts_with(&compact(value)))
            .cloned()
            .collect()
    };
    let tags_in = |sent: &[String]| sent.iter().filter(|v| v.starts_with("{\"\\\\x")).count();

    let words = "peur du noir";
    log.mark();
    for end in 1..=words.len() {
        let found = search(&mut store, &words[..end]);
        if end >= 3 {
            assert!(found.contains(&afraid.id), "{:?} finds the file", &words[..end]);
        }
    }
    let sent = log.parameters(pid);
    assert!(tags_in(&sent) >= 3, "the words' tags were sent and logged: {sent:?}");
    assert_eq!(starts_of(words, &sent), Vec::<String>::new(), "letters of {words:?} sent");

    // The letters of a code, which are a word's start too: matched in the terminal.
    let code = other.code.as_str().to_owned();
    let letters = code[..3].to_lowercase();
    log.mark();
    for end in 1..=3 {
        assert!(
            search(&mut store, &letters[..end]).contains(&other.id),
            "{:?} finds its code",
            &letters[..end]
        );
    }
    let sent = log.parameters(pid);
    assert!(tags_in(&sent) >= 1, "{letters:?} is searched as a word too: {sent:?}");
    assert_eq!(starts_of(&letters, &sent), Vec::<String>::new(), "letters of {letters:?} sent");

    // With its first digit it is a code being typed: the code goes, and no tag.
    let heard = format!("{letters} {}", &code[4..5]);
    log.mark();
    assert_eq!(search(&mut store, &heard), [other.id]);
    let sent = log.parameters(pid);
    assert!(sent.contains(&code[..5].to_owned()), "the code's start is asked: {sent:?}");
    assert_eq!(tags_in(&sent), 0, "no tag beside a code: {sent:?}");
}

/// The codes held in the terminal follow what other desks change: a file made at another desk
/// is found by its letters, and a status changed there is filtered as it is now.
#[test]
fn the_codes_matched_in_the_terminal_follow_other_desks() {
    use crate::domain::caller_file::{FileFilter, FileProfile, FileStatus};
    let Some((location, _database)) = server("the_codes_matched_in_the_terminal_follow_other_desks") else {
        return;
    };
    let mut here =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    here.create_file(&FileProfile::default()).unwrap();
    let mut there = Store::open(&location, "coord", PASS).unwrap();
    let made_there = there.create_file(&FileProfile::default()).unwrap();
    let letters = made_there.code.as_str()[..3].to_owned();
    let ids = |store: &mut Store, filter: FileFilter| -> Vec<crate::domain::FileId> {
        store.search_files(&letters, &filter, 20).unwrap().into_iter().map(|h| h.id).collect()
    };
    assert!(ids(&mut here, FileFilter::default()).contains(&made_there.id));
    let follow_up = FileFilter { status: Some(FileStatus::FollowUp), ..FileFilter::default() };
    assert!(!ids(&mut here, follow_up.clone()).contains(&made_there.id));
    there.set_file_status(made_there.id, FileStatus::FollowUp).unwrap();
    assert!(ids(&mut here, follow_up).contains(&made_there.id), "its new status is the one filtered");
}

/// Review of issue 18, finding 4: a centre's database whose key slots are gone (the row
/// deleted, a partial restore) is never made again by `init` — a new data key and a second
/// centre root over rows sealed under the first would leave them unreadable — and is not
/// offered for creation at unlock: its key slots must be restored, as a file's key file.
#[test]
fn a_database_without_its_key_slots_is_never_made_again() {
    let Some((location, database)) = server("a_database_without_its_key_slots_is_never_made_again") else {
        return;
    };
    let mut store =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    store.create_file(&Default::default()).unwrap();
    drop(store);
    let raw = Db::postgres(database.connect());
    let count = |sql: &str| -> i64 { raw.query_row(sql, db_params![], |row| row.get(0)).unwrap() };
    let entries = count("SELECT count(*) FROM audit");
    raw.execute_batch("DELETE FROM key_file").unwrap();

    let again = Store::create(&location, account("autre", Role::Supervisor, PASS), KdfParams::MINIMUM);
    assert!(matches!(again, Err(StoreError::KeyFileMissing(_))), "{:?}", again.err());
    assert!(matches!(Store::logins(&location), Err(StoreError::KeyFileMissing(_))), "no creation offered");
    assert!(matches!(Store::open(&location, "coord", PASS), Err(StoreError::KeyFileMissing(_))));
    assert_eq!(count("SELECT count(*) FROM audit"), entries, "nothing written");
    assert_eq!(count("SELECT count(*) FROM listener"), 1);
    assert_eq!(count("SELECT count(*) FROM centre_root"), 1, "no second root");
}

/// `init` makes the schema in its own transaction: DDL run inside a transaction that does not
/// commit leaves the database as it was (empty), so an `init` that fails anywhere leaves
/// nothing behind, and the next one starts clean.
#[test]
fn the_schema_made_inside_a_transaction_that_fails_leaves_nothing() {
    let Some(database) = fresh_database("the_schema_made_inside_a_transaction_that_fails_leaves_nothing")
    else {
        return;
    };
    let db = Db::postgres(database.connect());
    {
        let tx = db.transaction(crate::store::db::TxKind::Write).unwrap();
        super::schema::migrate_in(&tx).unwrap();
        assert_eq!(super::schema::version(&tx).unwrap(), Some(super::schema::LATEST));
        // Dropped without a commit, as `init` on any error.
    }
    let tables: i64 = db
        .query_row("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", db_params![], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 0);
    assert_eq!(super::schema::version(&db).unwrap(), None);
}

/// Review of issue 18, finding 3: a save whose COMMIT the server did, but whose answer the
/// network lost, is told `ConnectionLost`; tried again with the same call (its save token), on a
/// connection made again, it finds the call there and writes nothing twice: one call, one
/// callback, one audit entry.
#[test]
fn a_save_whose_answer_was_lost_is_written_once_when_tried_again() {
    use crate::domain::call::{CallRecord, CallType, NewCall, SaveToken};
    use crate::domain::callback::{Assignee, CallbackRequest, PhoneNumber, Priority};
    use crate::test_support::postgres::CommitCutter;
    let Some((_, database)) = server("a_save_whose_answer_was_lost_is_written_once_when_tried_again") else {
        return;
    };
    let cutter = CommitCutter::start(database.url());
    let location = Location::from(super::ServerUrl::parse(&cutter.url(database.url())).unwrap());
    let mut store =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    let shift = store.start_shift().unwrap();
    let file = store.create_file(&Default::default()).unwrap();
    let now = chrono::Utc::now();
    let call = NewCall {
        shift_id: shift.id,
        started_at: now - chrono::Duration::minutes(12),
        ended_at: now,
        call_type: CallType::Listening,
        time_spent: None,
        record: CallRecord {
            caller_file_id: Some(file.id),
            notes: "Elle rappellera demain".into(),
            save_token: Some(SaveToken::new(rand::random())),
            ..CallRecord::default()
        },
    };
    let request = CallbackRequest::with_consent(
        true,
        now + chrono::Duration::days(1),
        Priority::Normal,
        PhoneNumber::parse("0639980000").unwrap(),
        Assignee::Anyone,
        String::new(),
    )
    .unwrap();
    let raw = Db::postgres(database.connect());
    let count = |sql: &str| -> i64 { raw.query_row(sql, db_params![], |row| row.get(0)).unwrap() };

    cutter.cut_after_next_commit();
    let lost = store.save_call_with_callback(&call, Some(&request));
    assert!(matches!(lost, Err(StoreError::ConnectionLost)), "{lost:?}");
    assert_eq!(cutter.cuts(), 1);
    assert_eq!(count("SELECT count(*) FROM call"), 1, "the server committed it");

    let id = store.save_call_with_callback(&call, Some(&request)).unwrap();
    assert_eq!(count("SELECT count(*) FROM call"), 1, "written once");
    assert_eq!(count("SELECT count(*) FROM callback"), 1);
    assert_eq!(count("SELECT count(*) FROM audit WHERE action = 'call_saved'"), 1);
    assert_eq!(store.call(id).unwrap().record.notes, "Elle rappellera demain");
    assert!(store.check().unwrap().is_clean());
}

/// Review of 756f17b, finding 5: a server restart ends the presence's connection and its lock
/// with it; `renew` finds it gone and takes it again, so the listener is not seen as gone.
#[test]
fn presence_lost_with_a_server_restart_is_taken_again() {
    let Some(cluster) = crate::test_support::postgres::OwnCluster::start(
        "presence_lost_with_a_server_restart_is_taken_again",
    ) else {
        return;
    };
    let database = cluster.fresh_database();
    let location = Location::from(super::ServerUrl::parse(database.url()).unwrap());
    let coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    let id = coord.actor().id;
    drop(coord);
    let mut presence = Presence::hold(&location, id).unwrap();
    let asked = || crate::store::presence::is_present_on(&Db::postgres(database.connect()), id);
    assert_eq!(asked(), Some(true));
    assert!(presence.renew(&location), "held: nothing to do");
    cluster.stop_immediately();
    cluster.start_again();
    assert_eq!(asked(), Some(false), "the restart took it away");
    assert!(presence.renew(&location));
    assert_eq!(asked(), Some(true), "taken again");
}

/// Review of 756f17b, finding 5: two supervisors closing the same left-open shift at once
/// (both read it open) close it once: the second is refused, and the first's handover note
/// stands. Both are held at the write lock until both have read the shift.
#[test]
fn a_shift_closed_by_two_supervisors_at_once_keeps_the_first_closing() {
    use crate::store::db::WRITE_LOCK;
    let Some((location, database)) =
        server("a_shift_closed_by_two_supervisors_at_once_keeps_the_first_closing")
    else {
        return;
    };
    let mut coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    coord.add_listener(account("sacha", Role::Supervisor, LISTENER_PASS), KdfParams::MINIMUM).unwrap();
    coord
        .add_listener(account("camille", Role::Listener, "cinq citrons verts au soleil"), KdfParams::MINIMUM)
        .unwrap();
    let mut camille = Store::open(&location, "camille", "cinq citrons verts au soleil").unwrap();
    let shift = camille.start_shift().unwrap().id;
    drop(camille);
    drop(coord);

    let stores: Vec<Store> = [("coord", PASS), ("sacha", LISTENER_PASS)]
        .into_iter()
        .map(|(login, pass)| Store::open(&location, login, pass).unwrap())
        .collect();
    let gate = Db::postgres(database.connect());
    gate.execute("SELECT pg_advisory_lock(?1)", db_params![WRITE_LOCK]).unwrap();
    let closers: Vec<_> = stores
        .into_iter()
        .map(|mut store| {
            std::thread::spawn(move || {
                let login = store.actor().login.clone();
                store.end_shift(shift, &format!("passation de {login}")).map(|()| login)
            })
        })
        .collect();
    // Both past their reading of the shift, waiting for the write lock.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: i64 = gate
            .query_row(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid::bigint = ?1",
                db_params![WRITE_LOCK],
                |row| row.get(0),
            )
            .unwrap();
        if waiting == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "both closers wait at the write lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    gate.execute("SELECT pg_advisory_unlock(?1)", db_params![WRITE_LOCK]).unwrap();
    let results: Vec<_> = closers.into_iter().map(|t| t.join().unwrap()).collect();
    let winners: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(
        results.iter().any(|r| matches!(r, Err(StoreError::Invalid(why)) if why.contains("already closed")))
    );
    let store = Store::open(&location, "coord", PASS).unwrap();
    assert_eq!(store.shift(shift).unwrap().handover_note.unwrap(), format!("passation de {}", winners[0]));
}

/// Review of 756f17b, finding 6: the purge at unlock writes nothing when nothing is due (no
/// write lock, no statement over old rows), and a purge that runs leaves alone the rows an
/// earlier one wiped (an anonymous call's row is not rewritten: its `xmin` stays).
#[test]
fn the_purge_at_unlock_writes_nothing_when_nothing_is_due_nor_rewrites_wiped_rows() {
    use crate::domain::call::{CallRecord, CallType, NewCall};
    use crate::domain::caller_file::FileProfile;
    let test = "the_purge_at_unlock_writes_nothing_when_nothing_is_due_nor_rewrites_wiped_rows";
    let Some((location, database)) = server(test) else { return };
    let mut store =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    let shift = store.start_shift().unwrap().id;
    let now = chrono::Utc::now();
    let long_ago = now - chrono::Duration::days(5 * 365);
    let old_call = |file, notes: &str| NewCall {
        shift_id: shift,
        started_at: long_ago,
        ended_at: long_ago,
        call_type: CallType::Listening,
        time_spent: None,
        record: CallRecord { caller_file_id: file, notes: notes.into(), ..CallRecord::default() },
    };
    let anonymous = store.save_call(&old_call(None, "appel anonyme ancien")).unwrap();
    assert_eq!(store.purge(now, false).unwrap().calls, 1, "wiped once");
    drop(store);
    let raw = Db::postgres(database.connect());
    let xmin = || -> String {
        raw.query_row("SELECT xmin::text FROM call WHERE id = ?1", db_params![anonymous.0], |row| row.get(0))
            .unwrap()
    };
    let wiped_at = xmin();

    let Some(mut log) = database.log_statements(test) else { return };
    let mut store = Store::open(&location, "coord", PASS).unwrap();
    let pid = store.conn.backend_pid().unwrap();
    log.mark();
    assert_eq!(store.purge_at_unlock(now).unwrap(), crate::domain::caller_file::UnlockPurge::Nothing);
    let written: Vec<String> = log
        .statements(pid)
        .into_iter()
        .filter(|s| s.starts_with("UPDATE") || s.starts_with("DELETE") || s.contains("pg_advisory_xact_lock"))
        .collect();
    assert_eq!(written, Vec::<String>::new(), "nothing due, nothing written");
    assert!(!log.statements(pid).is_empty(), "the unlock's reading was logged");

    // Something due: a file last contacted long ago. The anonymous row wiped before is not
    // written again.
    let file =
        store.create_file(&FileProfile { situation_summary: "ancien".into(), ..Default::default() }).unwrap();
    store.save_call(&old_call(Some(file.id), "notes anciennes")).unwrap();
    raw.execute("UPDATE caller_file SET created_at = ?1", db_params![long_ago.timestamp()]).unwrap();
    let report = store.purge(now, false).unwrap();
    assert_eq!((report.files, report.calls), (1, 1));
    assert_eq!(xmin(), wiped_at, "the row wiped before was not rewritten");
}

/// Review of 756f17b, finding 7: wrong passphrases are counted and waited on the server's
/// clock, never a desk's (the functions take none): a try's time is the server's, and the wait
/// is measured against the server's time now.
#[test]
fn the_wait_after_wrong_passphrases_runs_on_the_servers_clock() {
    let Some((location, database)) = server("the_wait_after_wrong_passphrases_runs_on_the_servers_clock")
    else {
        return;
    };
    drop(Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap());
    let raw = Db::postgres(database.connect());
    let server_now = || -> i64 {
        raw.query_row("SELECT extract(epoch FROM now())::bigint", db_params![], |r| r.get(0)).unwrap()
    };
    let before = server_now();
    assert!(matches!(Store::open(&location, "coord", "mauvaise"), Err(StoreError::WrongPassphrase)));
    let after = server_now();
    let last: i64 = raw.query_row("SELECT last_at FROM unlock_attempt", db_params![], |r| r.get(0)).unwrap();
    assert!((before..=after).contains(&last), "{before} <= {last} <= {after}");
    // Four in a row (ten seconds' wait), the last two seconds ago on the server's clock: at most
    // eight seconds left, counted from the server's time now.
    raw.execute(
        "UPDATE unlock_attempt SET failures = 4, last_at = extract(epoch FROM now())::bigint - 2",
        db_params![],
    )
    .unwrap();
    let wait = Store::unlock_wait(&location, "coord").expect("four wrong ones make it wait");
    assert!((1..=8).contains(&wait), "{wait}");
}

/// Review of 756f17b, finding 12: on a server, adding an account (its id drawn from the
/// sequence first), changing one's own passphrase and a supervisor's reset of someone else's derive
/// their keys (Argon2id) before the write lock every desk's writes wait on, never under it.
#[test]
fn account_changes_on_a_server_derive_their_keys_outside_the_write_lock() {
    use crate::store::db::write_transactions::derivations_inside;
    let Some((location, _database)) =
        server("account_changes_on_a_server_derive_their_keys_outside_the_write_lock")
    else {
        return;
    };
    let mut coord =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    let before = derivations_inside();
    let camille =
        coord.add_listener(account("camille", Role::Listener, LISTENER_PASS), KdfParams::MINIMUM).unwrap();
    coord.set_passphrase("coord", "quatre chevaux gris dans la brume", KdfParams::MINIMUM).unwrap();
    coord.set_passphrase("camille", "cinq chevaux gris dans la brume", KdfParams::MINIMUM).unwrap();
    assert_eq!(derivations_inside(), before, "no key derivation under the write lock");
    assert_eq!(
        Store::open(&location, "camille", "cinq chevaux gris dans la brume").unwrap().actor().id,
        camille.id
    );
    assert!(Store::open(&location, "coord", "quatre chevaux gris dans la brume").is_ok());
    let taken = coord.add_listener(account("camille", Role::Listener, LISTENER_PASS), KdfParams::MINIMUM);
    assert!(matches!(taken, Err(StoreError::Refused(_))), "a login taken is still refused");
}

/// The file's rules for a supervisor who leaves, on a server: the slots they endorsed are
/// endorsed again by the supervisor deactivating them (refused when that supervisor's own slot
/// was theirs), the root passes when they held it; a reset keeps the former keys as history.
#[test]
fn a_departing_supervisors_endorsements_are_taken_over_on_a_server() {
    use crate::store::keyslots::KeySlot;
    use crate::store::pins;
    let Some((location, database)) =
        server("a_departing_supervisors_endorsements_are_taken_over_on_a_server")
    else {
        return;
    };
    let slot_of = |login: &str| match key_file_row(&database)
        .slots()
        .iter()
        .find(|slot| slot.login() == login)
        .cloned()
    {
        Some(KeySlot::Current(slot)) => slot,
        other => panic!("{login}: {other:?}"),
    };
    let mut founder =
        Store::create(&location, account("coord", Role::Supervisor, PASS), KdfParams::MINIMUM).unwrap();
    for login in ["sacha", "alex"] {
        founder.add_listener(account(login, Role::Supervisor, LISTENER_PASS), KdfParams::MINIMUM).unwrap();
    }
    let mut sacha = Store::open(&location, "sacha", LISTENER_PASS).unwrap();
    sacha.add_listener(account("camille", Role::Listener, LISTENER_PASS), KdfParams::MINIMUM).unwrap();
    sacha.add_listener(account("noe", Role::Supervisor, LISTENER_PASS), KdfParams::MINIMUM).unwrap();
    drop(sacha);

    // Noé's slot was endorsed by Sacha, who is not the root: Noé cannot remove Sacha.
    let mut noe = Store::open(&location, "noe", LISTENER_PASS).unwrap();
    let before = key_file_row(&database).to_bytes().unwrap();
    let err = noe.deactivate_listener("sacha").unwrap_err();
    assert!(err.to_string().contains("listener endorse noe"), "{err}");
    assert_eq!(key_file_row(&database).to_bytes().unwrap(), before, "nothing changed");
    assert!(noe.listener_by_login("sacha").unwrap().active);
    drop(noe);
    // Alex can: Camille's and Noé's slots are then Alex's to vouch for.
    let mut alex = Store::open(&location, "alex", LISTENER_PASS).unwrap();
    alex.deactivate_listener("sacha").unwrap();
    for login in ["camille", "noe"] {
        assert_eq!(slot_of(login).endorsement.unwrap().signed_by, alex.actor().id, "{login}");
    }
    assert!(alex.check().unwrap().is_clean(), "{:?}", alex.check().unwrap().findings);
    // Alex removes the founder, who held the root: the root passes to Alex.
    alex.deactivate_listener("coord").unwrap();
    let root = pins::root(&alex.conn).unwrap().unwrap();
    assert_eq!(root.listener_id, alex.actor().id);
    assert_eq!(slot_of("alex").endorsement.unwrap().signed_by, alex.actor().id, "Alex's own slot, as root");
    assert!(alex.check().unwrap().is_clean(), "{:?}", alex.check().unwrap().findings);
    // A reset: new keys, the former ones kept as history, endorsed by Alex.
    let noe_id = alex.listener_by_login("noe").unwrap().id;
    let old_keys = slot_of("noe").keys;
    alex.set_passphrase("noe", "neuf noix dures fendues", KdfParams::MINIMUM).unwrap();
    let history = pins::history(&alex.conn, noe_id).unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert!(history[0].keys == old_keys && history[0].until.is_some(), "retired, kept");
    assert!(history[1].keys == slot_of("noe").keys && history[1].until.is_none());
    assert!(alex.check().unwrap().is_clean(), "{:?}", alex.check().unwrap().findings);
    drop(alex);
    for (login, passphrase) in
        [("alex", LISTENER_PASS), ("camille", LISTENER_PASS), ("noe", "neuf noix dures fendues")]
    {
        Store::open(&location, login, passphrase).unwrap_or_else(|e| panic!("{login}: {e}"));
    }
    for gone in ["coord", "sacha"] {
        assert!(
            Store::open(&location, gone, PASS).is_err()
                && Store::open(&location, gone, LISTENER_PASS).is_err()
        );
    }
}
